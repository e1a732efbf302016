/*
 * xppure.h: pktxpmgr's pure parts, in the library plxpmgr so that unit
 * tests and fuzzers call them directly: framing and validation of relayed
 * messages over libevent buffers (frame.c), and the text pktxpmgr gives to
 * mlets and to its log (format.c).  No I/O here.
 */
#ifndef PL_XPMGR_PURE_H
#define PL_XPMGR_PURE_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <pktlab/wire.h>

struct evbuffer;

/* The largest message body taken from the endpoint (1 MiB): a 1.1.0
 * endpoint sends at most 64 KiB and a few bytes (ndata, mdata, linfo). */
#define XP_FRAME_BODY_MAX	(1024u * 1024u)
/* From the mlet, every body a header can describe, as 1.1.0 relays: an
 * nsend or mwrite may be that large (NSEND_MAX is not enforced). */
#define XP_FRAME_BODY_MAX_MLET	PL_BODY_MAX
/* Room for an EPADDR value (INET6_ADDRSTRLEN). */
#define XP_EPADDR_MAX		46
/* Room for a log context "s12 [2001:db8::1]:50312 sni=<63 chars>". */
#define XP_CTX_MAX		128
#define XP_REASON_MAX		512

/* ---- format.c: text for logs and for mlets (pure) ---- */

/*
 * EPADDR for a peer: inet_ntop of its address, no port, no brackets.  A
 * v4-mapped IPv6 peer (dual-stack listener) is printed as IPv4, the address
 * the endpoint itself has.  Returns 0, or -1 (unknown family: empty out).
 */
int	 xp_epaddr(const struct sockaddr *sa, socklen_t salen, char *out, size_t outlen);
/* "127.0.0.1:50312" or "[::1]:50312" (v4-mapped shown as IPv4); "?" when unknown. */
char	*xp_peerstr(const struct sockaddr *sa, socklen_t salen, char *out, size_t outlen);
/* "exit 0", "exit 3", "killed by signal 9 (SIGKILL)", from a waitpid status. */
char	*xp_wstatus(int status, char *out, size_t outlen);
/* Milliseconds from a to b (CLOCK_MONOTONIC stamps). */
uint64_t xp_ms_between(const struct timespec *a, const struct timespec *b);

/*
 * How a session ended.  The first reason given wins: a session closes once,
 * and later events (the partner's EOF that the close itself caused) must not
 * rewrite its story.
 */
enum xp_end {
	XP_END_NONE = 0,
	XP_END_DONE,		/* normal: the mlet or the endpoint finished */
	XP_END_FAIL,		/* handshake, setup, protocol, I/O errors, timeouts */
	XP_END_DROPPED,		/* attempt limit reached or shutting down */
};

struct xp_reason {
	enum xp_end	 kind;
	char		 text[XP_REASON_MAX];
};

/* Record a reason unless one is already there.  Returns 1 when recorded. */
int	 xp_reason_set(struct xp_reason *r, enum xp_end kind, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	 xp_reason_vset(struct xp_reason *r, enum xp_end kind, const char *fmt,
	    va_list ap) __attribute__((format(printf, 3, 0)));
const char *xp_end_name(enum xp_end kind);

/* Traffic counters of one session; index XP_EP2ML or XP_ML2EP. */
#define XP_EP2ML	0
#define XP_ML2EP	1
struct xp_stats {
	uint64_t	 msgs[2];
	uint64_t	 bytes[2];
	uint64_t	 linfo;		/* linfo messages eaten */
};

/*
 * The one-line summary logged when a session is over:
 * "session over (mlet closed its socket): 1.234 s, endpoint->mlet 12 msgs
 *  3456 B, mlet->endpoint 5 msgs 789 B, 1 linfo, mlet exit 0".
 * child is the text for the mlet part ("mlet exit 0", "no mlet").
 */
char	*xp_summary(char *out, size_t outlen, const struct xp_reason *r,
	    uint64_t ms, const struct xp_stats *st, const char *child);

/* ---- frame.c: one frame at the head of an evbuffer (pure) ---- */

enum xp_frame_res {
	XP_FRAME_NEED = 0,	/* incomplete; f->total says how much is needed */
	XP_FRAME_OK,		/* f->msg decoded (or an unknown type: known == 0) */
	XP_FRAME_OVERSIZE,	/* header announces a body above the cap */
	XP_FRAME_MALFORMED,	/* a known type with an invalid body: f->why */
};

struct xp_frame {
	uint8_t		 type;
	uint32_t	 bodylen;
	size_t		 total;		/* PL_HLEN + bodylen (0 before the header) */
	struct pl_msg	 msg;		/* pointers valid until buf changes */
	char		 why[160];
};

/* Contiguous room for frames that straddle evbuffer chains; one per process. */
struct xp_scratch {
	uint8_t		*p;
	size_t		 cap;
};

/*
 * Look at the first frame of buf without consuming it.  Known types are
 * validated with pl_decode; unknown types pass as they are.  The caller
 * consumes f->total bytes (forward or drain) after XP_FRAME_OK.
 */
enum xp_frame_res xp_frame_next(struct evbuffer *buf, uint32_t max_body,
	    struct xp_scratch *sc, struct xp_frame *f);
/* The same on bytes in one piece (the relay's own buffers), in place. */
enum xp_frame_res xp_frame_mem(const uint8_t *p, size_t len, uint32_t max_body,
	    struct xp_frame *f);
void	 xp_scratch_free(struct xp_scratch *sc);

/*
 * A linfo for the log, bounded: name "monitor", aux as hex, info as text
 * when printable, else hex; long fields are cut with "...(+N B)".
 */
char	*xp_linfo_text(const struct pl_msg *m, char *out, size_t outlen);

#endif /* PL_XPMGR_PURE_H */
