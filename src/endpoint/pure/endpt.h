/*
 * endpt.h: the pure parts of pktlab-endpoint, kept in a library of their own
 * (plendpt) so that unit tests and fuzzers call them directly: the endpt.conf
 * directive table (epconf.c), the resolv.conf reader (resolv.c) and the
 * endpoint virtual memory map (vmem.c, protocol spec §8).
 *
 * Nothing here does I/O, logs or touches libevent.  Grouped by source file.
 */
#ifndef PL_ENDPT_H
#define PL_ENDPT_H

#include <stddef.h>
#include <stdint.h>

#include <pktlab/vmem.h>
#include <pktlab/wire.h>

struct cred_subnet;

/* ------------------------------------------------------------------ */
/* epconf.c: endpt.conf */

#define EP_PORT_DEFAULT		PL_PORT_EXP
#define EP_HOSTID_MAX		(PL_SP_HOSTID_LEN - 1)	/* NUL-padded field */
#define EP_BUFMAX_MIN		4096u
#define EP_MSGLEN		1024	/* room for one diagnostic */

/* Defaults (ERRATA missing-fact 9: 1.1.0 used 3 s, none, 1 s; 10 s setup). */
#define EP_CONNECT_TIMEOUT_DEF	(3 * PL_TICKS_PER_SEC)
#define EP_HANDSHAKE_TIMEOUT_DEF (10 * PL_TICKS_PER_SEC)
#define EP_RETRY_DELAY_DEF	(1 * PL_TICKS_PER_SEC)
#define EP_SETUP_TIMEOUT_DEF	(10 * PL_TICKS_PER_SEC)
#define EP_CLOSE_TIMEOUT_DEF	(5 * PL_TICKS_PER_SEC)

struct ep_addr4 {
	uint8_t		 addr[4];
	uint8_t		 mask[4];
};

/* One BrokerChannel element: len 0 stands for the private list (§1.5). */
struct ep_channel {
	uint8_t		 len;
	uint8_t		 id[32];
};

struct ep_conf {
	char		*dir;		/* folder of the file: base of relative paths */
	/* Credentials (1.1.0 names). */
	char		*privkey;	/* EndpointPrivKey */
	char		**chain;	/* ControllerCertChainPath, leaf first */
	size_t		 nchain;
	char		**oproots;	/* EndpointOpPubKeyPath */
	size_t		 noproots;
	char		*snikey;	/* SNIKey (-k wins) */
	/* What the vmem map exports. */
	char		 hostid[EP_HOSTID_MAX + 1];	/* HostID */
	int		 have_ip4, have_ip6;	/* else taken from the interfaces */
	struct ep_addr4	 ip4[PL_MAX_LADDR_CNT];
	size_t		 nip4;
	uint8_t		 ip6[PL_MAX_LADDR_CNT][16];
	size_t		 nip6;
	int		 have_dns;	/* else /etc/resolv.conf */
	uint8_t		 dns4[PL_MAX_DNS_CNT][4];
	size_t		 ndns4;
	uint8_t		 dns6[PL_MAX_DNS_CNT][16];
	size_t		 ndns6;
	/* What experiments may do. */
	struct cred_subnet *allow;	/* AllowedDest; empty: any destination */
	size_t		 nallow;
	uint32_t	 transsup;	/* PL_TRANSSUP_TCP | PL_TRANSSUP_UDP */
	int		 ipv4, ipv6;	/* SocketFamilies */
	uint32_t	 bufmax;	/* BufMax */
	/* Timing, in ns. */
	uint64_t	 connect_timeout;
	uint64_t	 handshake_timeout;
	uint64_t	 retry_delay;
	uint64_t	 setup_timeout;
	uint64_t	 close_timeout;
	uint64_t	 connect_attempts;	/* 0: for ever */
	/* Broker subscription (1.1.0 names, broker spec §1.3). */
	int		 nosubmode;	/* NoSubMode (first occurrence wins) */
	unsigned	 nosubmode_line;	/* 0: not set */
	char		*broker_addr;	/* BrokerAddr, checked with pl_addr_split */
	unsigned	 broker_addr_line;
	char		**broker_roots;	/* BrokerChainRootPath */
	size_t		 nbroker_roots;
	char		*agent_cert;	/* EndpointAgentCertPath */
	char		**subchain;	/* SubPrivCertChainPath, in file order */
	size_t		 nsubchain;
	int		 have_channels;	/* BrokerChannel with a value */
	unsigned	 channel_line;
	struct ep_channel *chan;
	size_t		 nchan;
	int		 autoextract;	/* AutoExtractChannel (first occurrence wins) */
	unsigned	 autoextract_line;
	char		*dattr;		/* EndpointAttr, a valid dattr; NULL: none */
	size_t		 dattrlen;
};

/* A diagnostic: severity, line (0: the file as a whole) and text. */
enum ep_diag_level { EP_DIAG_ERROR, EP_DIAG_WARN, EP_DIAG_NOTE };
typedef void	 ep_diag_fn(void *arg, enum ep_diag_level, unsigned line,
		    const char *msg);

/* Defaults: nothing configured, every limit at its documented default. */
void	 ep_conf_init(struct ep_conf *);
void	 ep_conf_clear(struct ep_conf *);
/*
 * Parse the text of an endpt.conf.  dir (may be NULL: the current folder)
 * is where relative paths start.  Every problem goes to diag with its line;
 * the return value is the number of errors (0: the struct is usable).
 * Later occurrences of a directive replace earlier ones, as in 1.1.0.
 */
int	 ep_conf_parse(struct ep_conf *, const char *buf, size_t len,
	    const char *dir, ep_diag_fn *, void *arg);
/*
 * What subscription mode needs (broker spec §1.3, and §1.11: also
 * SubPrivCertChainPath and a channel source).  Each missing piece goes to
 * diag, with the line of a related directive when there is one.  Returns
 * the number of errors.
 */
int	 ep_conf_check_sub(const struct ep_conf *, ep_diag_fn *, void *);
/* 1 when (af, 4 or 16 bytes) is an allowed destination under AllowedDest. */
int	 ep_conf_dest_ok(const struct ep_conf *, int af, const void *addr);

/* ------------------------------------------------------------------ */
/* resolv.c: "nameserver ADDR" lines of resolv.conf(5) */

/* Appends up to PL_MAX_DNS_CNT servers per family; returns how many were added. */
size_t	 ep_resolv_parse(const char *buf, size_t len, struct ep_conf *);

/* ------------------------------------------------------------------ */
/* vmem.c: the memory map read with mread and written with mwrite */

struct ep_sysparam {
	uint8_t		 nip4, nip6;
	uint8_t		 ip4[PL_MAX_LADDR_CNT][8];	/* address, netmask */
	uint8_t		 ip6[PL_MAX_LADDR_CNT][16];
	uint32_t	 transsup;
	uint32_t	 bufmax;
	uint32_t	 bufused;	/* the caller keeps this current */
	pl_time_t	 time;		/* ... and this, before each read */
	uint8_t		 ndns4, ndns6;
	uint8_t		 dns4[PL_MAX_DNS_CNT][4];
	uint8_t		 dns6[PL_MAX_DNS_CNT][16];
	uint8_t		 ip4hdrmod[12];
	uint8_t		 ip6hdrmod[8];
	char		 hostid[PL_SP_HOSTID_LEN];
};

/* One SKTINFO block (§8.3); all zero is a FREE slot. */
struct ep_sktinfo {
	uint8_t		 family;
	uint8_t		 proto;
	int8_t		 state;
	uint8_t		 laddr[16];
	uint8_t		 raddr[16];
	uint16_t	 lport;		/* host order; network order in vmem */
	uint16_t	 rport;
	uint32_t	 rbufsz;	/* W */
	uint32_t	 rbufused;
	uint32_t	 dropbyte;
	uint32_t	 droppkt;
	int8_t		 nsenderr;	/* W */
	uint16_t	 nsenderrtag;	/* W */
	uint16_t	 notifmask;	/* W */
	uint8_t		 ctfl[PL_SKT_CTFL_LEN];	/* W */
};

struct ep_vmem {
	struct ep_sysparam sys;
	struct ep_sktinfo skt[PL_MAX_SKT_CNT];
};

/* Fill the fixed SYSPARAM fields from a configuration (Linux IP4HDRMOD). */
void	 ep_vmem_sys_init(struct ep_sysparam *, const struct ep_conf *);
/*
 * Read len bytes at addr.  Unmapped bytes read as 0; as in 1.1.0, once the
 * read reaches an address outside every region, the rest reads as 0.
 */
void	 ep_vmem_read(const struct ep_vmem *, uint32_t addr, uint8_t *out,
	    size_t len);
/*
 * Write to the writable SKTINFO fields of sockets in state >= OPENING;
 * everything else is ignored, as in 1.1.0.  changed is called once per
 * socket whose fields were written, with a copy of the block before.
 */
typedef void	 ep_vmem_change_fn(void *arg, uint8_t sktid,
		    const struct ep_sktinfo *before);
void	 ep_vmem_write(struct ep_vmem *, uint32_t addr, const uint8_t *data,
	    size_t len, ep_vmem_change_fn *changed, void *arg);

/* ------------------------------------------------------------------ */
/* sub.c: subscription mode's pure parts (broker spec §1.5-1.8, §1.11) */

#define EP_BROKER_PORT		20557
#define EP_XDESCR_MAX		4094	/* 1.1.0's deputy buffer less 2 */
#define EP_CTRLADDR_MAX		255	/* controller_addr bytes kept by 1.1.0 */
#define EP_SEEN_MAX		4096	/* descriptors remembered for de-duplication */

/*
 * The XSUB channel list of §1.5 from the AKIs of the SubPrivCertChainPath
 * certificates (file order): AutoExtractChannel's private list is every
 * AKI, last file first; BrokerChannel absent means the private list, else
 * each element adds itself or, when empty, the whole private list.  The
 * ids point into aki[] and conf.  Returns 0, or -1 with why.
 */
int	 ep_sub_chlist(const struct ep_conf *, const uint8_t (*aki)[32],
	    size_t n, struct pl_chlist *, char *why, size_t whylen);
/* Index of the key whose id is aki (ids[n][32]), or -1. */
int	 ep_sub_eopkey(const uint8_t (*ids)[32], size_t n, const uint8_t aki[32]);

/* The encoded XCERTs (file order) and the XSUB, sent in one go. */
struct ep_submsgs {
	size_t		 n;
	uint8_t		**buf;
	size_t		*len;
	size_t		 nchan;		/* channels in the xsub */
};

struct cred_cert;
struct cred_keys;
/*
 * The subscription from the decoded SubPrivCertChainPath certificates
 * (file order): one must have SKI = kid (the endpoint key's id), the
 * last one's AKI picks the eopkey among oproots, the chlist follows
 * ep_sub_chlist and the dattr is EndpointAttr.  Returns 0, or -1 with why.
 */
int	 ep_sub_build(const struct ep_conf *, const struct cred_cert *, size_t n,
	    const uint8_t kid[32], const struct cred_keys *oproots,
	    struct ep_submsgs *, char *why, size_t whylen);
void	 ep_submsgs_clear(struct ep_submsgs *);

/* The pairs of an accepted xdescr that the endpoint uses (§1.8). */
struct ep_xdescr {
	char		 host[EP_CTRLADDR_MAX + 1];	/* controller, no brackets */
	uint16_t	 port;
	char		 addr[EP_CTRLADDR_MAX + 1];	/* controller_addr as sent */
	char		 sni[64];	/* "" : no SNI */
	uint32_t	 prio;		/* exp_priority, as 1.1.0 reads it */
	int		 has_pub_end;
	pl_time_t	 pub_end;	/* ns since the epoch */
};

/*
 * Accept or refuse an xdescr from an XNOTIFY: at most EP_XDESCR_MAX bytes,
 * a valid xdescr, a controller_addr that splits (at the last ':' as 1.1.0,
 * or [v6]:port) and fits, a sni_key that is empty or a valid snikey, a
 * decimal pub_end.  For a repeated name the last occurrence wins.
 * Returns 0, or -1 with why.
 */
int	 ep_xdescr_accept(const char *, size_t, struct ep_xdescr *, char *why,
	    size_t whylen);

/* The descriptor pool: one experiment at a time, by priority, no repeats. */
struct ep_pool_ent {
	uint64_t	 id;		/* arrival order, from 1 */
	char		*text;
	size_t		 len;
	struct ep_xdescr d;
	pl_time_t	 eligible;	/* yield: not before this */
	int		 running;
};

struct ep_pool {
	struct ep_pool_ent *ent;
	size_t		 n;
	uint64_t	 next_id;
	char		**seen;		/* ring of every descriptor taken in */
	size_t		*seenlen;
	size_t		 nseen, seenpos;
};

enum ep_pool_add {
	EP_POOL_ADDED,
	EP_POOL_DUP,		/* byte-identical to one taken in before */
	EP_POOL_EXPIRED,	/* pub_end is past */
};

void	 ep_pool_init(struct ep_pool *);
void	 ep_pool_clear(struct ep_pool *);
enum ep_pool_add ep_pool_add(struct ep_pool *, const char *, size_t,
	    const struct ep_xdescr *, pl_time_t now);
/* Remove waiting descriptors whose pub_end is past; returns how many. */
size_t	 ep_pool_expire(struct ep_pool *, pl_time_t now,
	    void (*each)(void *, const struct ep_pool_ent *), void *arg);
/*
 * The candidate (§1.8): highest exp_priority among the waiting ones that
 * are eligible and not expired, ties to the newest.  NULL when none;
 * *wake (when not NULL) is set to the next yield time, or 0.
 */
struct ep_pool_ent *ep_pool_pick(struct ep_pool *, pl_time_t now,
	    pl_time_t *wake);
/*
 * The scheduling decision after an event: the descriptor to start now, or
 * NULL.  With one running, only a candidate of strictly higher priority is
 * returned, and *preempt is set: the running one must be suspended first.
 */
struct ep_pool_ent *ep_pool_next(struct ep_pool *, pl_time_t now,
	    int *preempt);
struct ep_pool_ent *ep_pool_running(struct ep_pool *);
struct ep_pool_ent *ep_pool_get(struct ep_pool *, uint64_t id);
void	 ep_pool_remove(struct ep_pool *, uint64_t id);

#endif /* PL_ENDPT_H */
