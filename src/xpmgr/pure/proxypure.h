/*
 * proxypure.h: the pure parts of pktxpmgr's proxy (active) mode (xpmgr
 * spec §7), in the library plxpmgr so that unit tests and fuzzers reach
 * them: the PKTLAB marker matcher, the per-SNI-key backoff, the pool's fill
 * arithmetic and the check of the proxy's registration result.  No I/O.
 */
#ifndef PL_XPMGR_PROXYPURE_H
#define PL_XPMGR_PROXYPURE_H

#include <stddef.h>
#include <stdint.h>

/* The marker the proxy sends after the registration, and we send back. */
#define XP_PKTLAB_MARKER	"PKTLAB"
#define XP_PKTLAB_LEN		6

/*
 * Stage 6: skip bytes until PKTLAB.  A correct matcher (KMP): unlike
 * 1.1.0's it also finds a marker that directly follows a proper prefix of
 * it ("PPKTLAB", ERRATA 13, transcript C8).
 */
struct xp_marker {
	unsigned	 pos;		/* marker bytes matched so far */
	uint64_t	 skipped;	/* bytes before the marker */
};

void	 xp_marker_init(struct xp_marker *m);
/*
 * Feed len bytes.  Returns how many were consumed: all of them when the
 * marker is not complete yet, else exactly up to and including its last
 * byte (*found = 1); the bytes after it are not the matcher's.
 */
size_t	 xp_marker_feed(struct xp_marker *m, const uint8_t *buf, size_t len,
	    int *found);

/*
 * Exponential backoff with jitter, per SNI key: the first failure waits
 * about XP_BACKOFF_START_MS, each further one doubles the base up to
 * XP_BACKOFF_CAP_MS; the delay is drawn in [base/2, base] ("equal
 * jitter") so that several controllers do not hammer a proxy in step.
 * A connection that reaches the end of its set-up resets it.
 */
#define XP_BACKOFF_START_MS	100u
#define XP_BACKOFF_CAP_MS	30000u

struct xp_backoff {
	uint32_t	 base_ms;	/* 0: no failure since the last reset */
	uint64_t	 failures;	/* since the last reset */
};

void	 xp_backoff_reset(struct xp_backoff *b);
/* One more failure: the delay before the next attempt, from a random word. */
uint32_t xp_backoff_next(struct xp_backoff *b, uint32_t rnd);

/*
 * How many new backlog connections one SNI key should open now: the pool
 * (those in set-up and those idle) grows up to target, or up to the
 * sessions -n still allows (UINT64_MAX: no limit) when that is fewer.
 */
uint64_t xp_pool_want(uint64_t target, uint64_t setting_up, uint64_t idle,
	    uint64_t sessions_left);

/* The outcome of stage 4: the proxy's answer to our xreg. */
enum xp_xreg_res {
	XP_XREG_OK = 0,		/* registered */
	XP_XREG_REFUSED,	/* result with a non-zero errid: *errid */
	XP_XREG_NOT_RESULT,	/* another message type: *type */
	XP_XREG_MALFORMED,	/* a result whose body is not 0 or 2+ bytes */
};

/*
 * Check one whole message (header and body, exactly PL_HLEN + its length)
 * as the answer to xreg.  1.1.0 takes an empty result body or errid 0 as
 * success.
 */
enum xp_xreg_res xp_xreg_result(const uint8_t *msg, size_t len, uint16_t *errid,
	    uint8_t *type);

#endif /* PL_XPMGR_PROXYPURE_H */
