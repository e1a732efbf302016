/*
 * xpub.h: what pktxpmgr publishes to a broker, as pure functions (no I/O,
 * no clock, no randomness), so unit tests and -t reach them directly:
 *
 *   - the xdescr of an entry (xpmgr spec §8.1): pairs in 1.1.0's order
 *     (transcripts A1, A2), with overrides as §8.2 means them (ERRATA 11,
 *     broker.md §5.1: an override of a predefined name replaces that
 *     default; hostid at most once and it replaces -i; sni_key refused);
 *   - the whole XPUB of an entry: channel list (PUB_CHANNEL, the key
 *     channel for empty elements), eopkey (the EOp key rooting the verified
 *     chain, or 32 zero bytes), xdescr, and the pub_end it carries;
 *   - the publication window: the largest pub_end.
 */
#ifndef PL_XPMGR_XPUB_H
#define PL_XPMGR_XPUB_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <pktlab/wire.h>

struct xpmgr_conf;

/* The longest xdescr an endpoint takes (broker.md §1.1, §2.2 item 4). */
#define XP_XDESCR_MAX		4094

/* Shown by -t in place of a controller address learnt only when connected. */
#define XP_CTRL_ADDR_LOCAL	"(local address of the broker connection)"

/* The parts of one xdescr. */
struct xp_xdin {
	const char	 *snikey;
	/*
	 * controller_addr unless the override holds one.  NULL: none known
	 * (an error), unless ctrl_addr_local, which writes
	 * XP_CTRL_ADDR_LOCAL instead (for display only: not a valid value).
	 */
	const char	 *ctrl_addr;
	int		  ctrl_addr_local;
	int		  has_pub_end;
	uint64_t	  pub_end;		/* ns since the epoch */
	int		  has_prio;
	uint64_t	  prio;
	char *const	 *countries;		/* PubCountry, config order */
	size_t		  ncountries;
	char *const	 *locations;		/* PubLocation, config order */
	size_t		  nlocations;
	const char	 *hostid;		/* -i, or NULL */
	const char	 *override;		/* ';'-terminated pairs, or NULL */
	size_t		  overridelen;
};

/*
 * Build the xdescr into out (NUL-terminated, *len without the NUL).
 * Emission order (1.1.0): hostid, endpoint_location (reverse), endpoint_country
 * (reverse), exp_priority, pub_end, controller_addr, sni_key, then the
 * override's pairs in reverse order.  A default is left out when the
 * override holds its name.  Returns 0, or -1 with why.
 */
int	 xp_xdescr_build(const struct xp_xdin *in, char *out, size_t outsz,
	    size_t *len, char *why, size_t whylen);

/*
 * -i HOSTID: a valid xdescr value (xpmgr spec §1.4: A-Z a-z 0-9 _ - . : [ ]
 * , / ( ) space tab * ?), at most XP_XDESCR_MAX bytes.  Returns 0, or -1
 * with why naming the first bad character.
 */
int	 xp_hostid_check(const char *hostid, char *why, size_t whylen);

/* The XPUB of one entry. */
struct xp_pubplan {
	size_t		 entry;			/* index into conf->exp */
	unsigned	 line;			/* its config line */
	uint8_t		 chan[PL_CHLIST_MAX][PL_CHANNEL_MAX];
	uint8_t		 chanlen[PL_CHLIST_MAX];
	size_t		 nchan;
	uint8_t		 eopkey[PL_EOPKEY_LEN];	/* zero without trusted keys */
	int		 has_pub_end;
	uint64_t	 pub_end;
	int		 sendable;		/* 0: display only (-t, local address) */
	char		 xdescr[XP_XDESCR_MAX + 1];
	size_t		 xdlen;
};

/*
 * The pub_end an entry publishes when its publication starts at start_ns
 * (ns since the epoch): its override's, else start_ns + PubPeriod
 * (saturating), else none (returns 0).
 */
int	 xp_pub_end(const struct xpmgr_conf *c, size_t i, uint64_t start_ns,
	    uint64_t *pub_end);

/*
 * The XPUB of entry i of c.  keychan: the id of the EOp key rooting the
 * verified chain (for empty PUB_CHANNEL elements), NULL when the entry has
 * no trusted keys; eopkey: that key raw, or NULL (zeros).  start_ns fixes
 * pub_end (xp_pub_end).  local_addr: the local address of the broker
 * connection, used when §1.3 infers the controller address; NULL there
 * gives a display-only plan.  Returns 0, or -1 with why.
 */
int	 xp_pubplan_build(const struct xpmgr_conf *c, size_t i,
	    const uint8_t *keychan, const uint8_t *eopkey, uint64_t start_ns,
	    const char *local_addr, struct xp_pubplan *p, char *why, size_t whylen);

/* The XPUB as a message (pointing into p and cl, which must outlive it). */
void	 xp_pubplan_msg(const struct xp_pubplan *p, struct pl_chlist *cl,
	    struct pl_msg *m);
/* The XPUB message, header included: length, writing when it fits (pl_encode). */
ssize_t	 xp_pubplan_encode(const struct xp_pubplan *p, uint8_t *out, size_t outlen);

/* "7075626c6963,73be06...": the channels in hex, comma-separated. */
char	*xp_pubplan_chans(const struct xp_pubplan *p, char *out, size_t outlen);

/* Room for xp_pubplan_chans. */
#define XP_CHANS_TEXT_MAX	(PL_CHLIST_MAX * (2 * PL_CHANNEL_MAX + 1) + 1)

/*
 * The end of the publication window (xpmgr spec §8.5): the largest pub_end
 * of every entry when published from start_ns, 0 when none has one (the
 * trap: publication ends at once).
 */
uint64_t xp_pub_window_end(const struct xpmgr_conf *c, uint64_t start_ns);

/* The address is an IPv6 literal (bare, or [v6] with or without a port). */
int	 xp_addr_is_v6(const char *addr);

#endif /* PL_XPMGR_XPUB_H */
