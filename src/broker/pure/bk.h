/*
 * bk.h: pktlab-broker's pure parts (broker spec §2): the checks of xpub and
 * xsub with their certificates (§2.2-2.3, error codes §2.6), the store of
 * publications and subscriptions with matching (§2.4), per-agent-key
 * de-duplication and pub_end expiry (§2.5), the protocol of one connection
 * (message in, results and notifications out), and broker.conf.
 *
 * No I/O and no libevent: bytes and times go in, bytes and log lines come
 * out through struct bk_ops, so unit tests and the fuzzer drive it all.
 */
#ifndef PL_BROKER_BK_H
#define PL_BROKER_BK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <pktlab/wire.h>

#define BK_KEY_LEN		32
#define BK_XDESCR_MAX		4094	/* the endpoint's limit (spec §1.1) */
#define BK_DATTR_MAX		4094
#define BK_CERT_MAX		16384	/* one DER certificate */
#define BK_CERTS_MAX		16	/* certificates before one xpub/xsub */
/* The largest body we accept: an xpub with a full chlist and xdescr. */
#define BK_BODY_MAX		(PL_CHLIST_MAX * 33 + 1 + 32 + BK_XDESCR_MAX)
/* Remembered deliveries per agent key (oldest forgotten first). */
#define BK_SEEN_MAX		4096

enum bk_side { BK_SIDE_PUB, BK_SIDE_SUB };

/* What the store and the connections need from the daemon. */
struct bk_ops {
	/* Queue a whole encoded message on the connection with this udata. */
	void	(*send)(void *udata, const uint8_t *msg, size_t len);
	/* One log line about that connection (level as in util/log.h). */
	void	(*log)(void *udata, int level, const char *text);
};

struct bk_chset {
	size_t		 n;
	uint8_t		 len[PL_CHLIST_MAX];
	uint8_t		 id[PL_CHLIST_MAX][32];
};

/* The same, stored compactly for as long as a publication or subscription lives. */
struct bk_chans {
	size_t		 n;
	uint8_t		*len;
	uint8_t		(*id)[32];
};

struct bk_pub {
	TAILQ_ENTRY(bk_pub) entry;
	TAILQ_ENTRY(bk_pub) centry;	/* on its connection */
	uint64_t	 id;
	struct bk_conn	*conn;
	struct bk_chans	 ch;
	char		*xdescr;
	size_t		 xlen;
	uint64_t	 hash;		/* of the xdescr, for de-duplication */
	uint64_t	 pub_end;	/* ns since the epoch; UINT64_MAX: none */
};

struct bk_agent;

struct bk_sub {
	TAILQ_ENTRY(bk_sub) entry;
	struct bk_conn	*conn;
	struct bk_agent	*agent;
	struct bk_chans	 ch;
	char		*dattr;
	size_t		 dlen;
};

/* One channel of one subscription, in the store's channel index. */
struct bk_chent {
	struct bk_chent	*next;
	struct bk_sub	*sub;
	uint8_t		 len;
	uint8_t		 id[32];
};

TAILQ_HEAD(bk_pubq, bk_pub);
TAILQ_HEAD(bk_subq, bk_sub);

struct bk_store {
	const struct bk_ops *ops;
	struct bk_pubq	 pubs;
	struct bk_subq	 subs;
	size_t		 npubs, nsubs;
	uint64_t	 next_pubid;
	uint64_t	 seed;		/* of the xdescr hash */
	struct bk_agent	**tab;		/* agents by key, chained */
	size_t		 tabsz, nagents;
	struct bk_chent	**chtab;	/* subscriptions by channel, chained */
	size_t		 chtabsz, nchent;
	uint64_t	 ndelivered;
	/*
	 * The earliest pub_end, so that bk_store_expire (after every
	 * publisher message) walks the publications only when one is due or
	 * the earliest was withdrawn.
	 */
	uint64_t	 next_expiry;
	int		 expiry_dirty;
};

/* One connection as the protocol sees it. */
struct bk_conn {
	struct bk_store	*st;
	enum bk_side	 side;
	void		*udata;		/* given back to the ops */
	uint8_t		 agent[BK_KEY_LEN];	/* the client's agent cert key */
	uint8_t		*cert[BK_CERTS_MAX];	/* DER since the last xpub/xsub */
	size_t		 certlen[BK_CERTS_MAX];
	size_t		 ncert;
	struct bk_pubq	 pubs;		/* publisher: its publications */
	struct bk_sub	*sub;		/* subscriber: once subscribed */
	unsigned	 nrefused;	/* error results since the last success */
	unsigned	 naccepted;	/* xpub/xsub accepted */
};

/* ---- check.c: xpub / xsub with their certificates (pure) ---- */

/* What a valid xpub or xsub becomes. */
struct bk_req {
	struct bk_chset	 ch;
	const char	*descr;		/* xdescr / dattr, in the message */
	size_t		 dlen;
	uint64_t	 pub_end;	/* xpub: UINT64_MAX when absent */
};

/*
 * Check an xpub (spec §2.2) or xsub (§2.3) body against the certificates
 * received before it and the client's agent key, at time now (seconds).
 * Returns 0 with req filled (pointing into body), or the errid to answer
 * with a reason in why.
 */
uint16_t bk_check(enum bk_side, const uint8_t *body, size_t bodylen,
	    uint8_t *const *cert, const size_t *certlen, size_t ncert,
	    const uint8_t agent[BK_KEY_LEN], int64_t now, struct bk_req *req,
	    char *why, size_t whylen);
/* An xdescr value usable as controller_addr (host or IPv4, optional :PORT). */
int	 bk_ctrl_addr_ok(const char *, size_t);

/* ---- store.c: publications, subscriptions, matching, de-duplication ---- */

void	 bk_store_init(struct bk_store *, const struct bk_ops *, uint64_t seed);
void	 bk_store_clear(struct bk_store *);
/* A new publication; notifies every matching subscription. */
struct bk_pub *bk_store_publish(struct bk_store *, struct bk_conn *,
	    const struct bk_req *, uint64_t now_ns);
/* A new subscription; notifies it of every matching live publication. */
struct bk_sub *bk_store_subscribe(struct bk_store *, struct bk_conn *,
	    const struct bk_req *, uint64_t now_ns);
void	 bk_store_withdraw(struct bk_store *, struct bk_pub *, const char *why);
void	 bk_store_unsubscribe(struct bk_store *, struct bk_sub *);
/* Withdraw what expired by now; returns the next pub_end (UINT64_MAX: none). */
uint64_t bk_store_expire(struct bk_store *, uint64_t now_ns);
/* 1 when the publication goes to the subscription (channel and dattr). */
int	 bk_match(const struct bk_pub *, const struct bk_sub *, size_t *chidx);
size_t	 bk_store_nagents(const struct bk_store *);

/* ---- conn.c: one connection's protocol ---- */

void	 bk_conn_init(struct bk_conn *, struct bk_store *, enum bk_side,
	    void *udata, const uint8_t agent[BK_KEY_LEN]);
/* Withdraw or unsubscribe, free what the connection holds. */
void	 bk_conn_clear(struct bk_conn *, const char *why);
/*
 * Handle one whole message (header and body).  Returns 0 to go on, -1 to
 * close the connection (why filled).  now is seconds for certificates,
 * now_ns for pub_end.
 */
int	 bk_conn_msg(struct bk_conn *, const uint8_t *msg, size_t len,
	    int64_t now, uint64_t now_ns, char *why, size_t whylen);
/* Body size limit for a message type on this side; 0: type refused. */
size_t	 bk_conn_body_max(const struct bk_conn *, uint8_t type);

/* ---- conf.c: broker.conf ---- */

struct bk_conf {
	char		*path;
	char		*key;		/* BrokerPrivKeyPath */
	char		*cert;		/* BrokerAgentCertPath */
	char		**roots;	/* ClientCertRootPath (may be none) */
	size_t		 nroots;
	char		*pub_listen;	/* PubListen, default 0.0.0.0:20556 */
	char		*sub_listen;	/* SubListen, default 0.0.0.0:20557 */
	uint64_t	 handshake_timeout;	/* ns */
	uint64_t	 request_timeout;	/* ns: a message begun but unfinished */
	unsigned	 max_conns;	/* 0: the descriptor limit */
};

/* Parse a broker.conf text.  0, or -1 with "path:line: reason". */
int	 bk_conf_parse(struct bk_conf *, const char *path, const char *buf,
	    size_t len, char *why, size_t whylen);
void	 bk_conf_clear(struct bk_conf *);

#endif /* PL_BROKER_BK_H */
