/*
 * endpoint.h: pktlab-endpoint, a PacketLab endpoint that dials one controller
 * directly (1.1.0's "no subscription" mode) and runs its experiments.
 *
 * One libevent loop, no threads.  The pieces, by file:
 *   main.c     command line, configuration and credentials, signals
 *   link.c     reaching the controller: connect and TLS timeouts, retries
 *   session.c  one experiment: the state machine of protocol spec §1.3 and
 *              §12, request dispatch, the single outgoing FIFO
 *   skt.c      the experiment's sockets: nopen, nsend queues, receive
 *              flow control, notifications
 *   sysinfo.c  what the memory map exports about this host
 * The pure parts (endpt.conf, the vmem map) are in pure/endpt.h.
 */
#ifndef PL_ENDPOINT_H
#define PL_ENDPOINT_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stdint.h>

#include <pktlab/vmem.h>
#include <pktlab/wire.h>

#include "endpoint/pure/endpt.h"

struct bufferevent;
struct evbuffer_cb_entry;
struct event;
struct event_base;
struct timeval;
struct cred_chain;
struct ep_session;
struct ep_skt;

/* Queue at most this many messages to the controller before we stop reading (§2). */
#define EP_OUTQ_MAX		100
/* Budget charged per queued nsend or ndata on top of its payload (§12.2). */
#define EP_OVERHEAD		100
/* Largest ndata payload (§2). */
#define EP_CHUNK_MAX		PL_NDATA_MAX

/* How a session ended. */
enum ep_end {
	EP_END_DONE,		/* the controller closed, or yielded */
	EP_END_LIMIT,		/* a limit of the chain ended it (period, validity) */
	EP_END_FAIL,		/* an error: protocol, setup, I/O */
};

typedef void	 ep_done_fn(void *arg, enum ep_end, pl_time_t rhint);

/* ------------------------------------------------------------------ */
/* session.c */

struct ep_out;
struct ep_held;
TAILQ_HEAD(ep_outq, ep_out);

enum ep_state { EP_SETUP, EP_IDLE, EP_CLOSING };

struct ep_session {
	struct event_base	*base;
	const struct ep_conf	*conf;
	const struct cred_chain	*chain;		/* NULL: no limits (plaintext test mode) */
	struct bufferevent	*bev;
	char			 ctx[96];	/* log context: "s1 127.0.0.1:20556" */
	enum ep_state		 state;
	enum ep_end		 end;
	pl_time_t		 rhint;		/* yield */
	struct ep_vmem		 vm;
	struct ep_skt		*skt[PL_MAX_SKT_CNT];
	unsigned		 nskt;		/* sockets not FREE */
	uint32_t		 gen;		/* socket incarnations */
	uint64_t		 bufused;
	struct ep_outq		 outq;
	unsigned		 noutq;
	int			 paused;	/* stopped reading: outq full */
	uint8_t			*delivered;	/* per monitor digest of the chain */
	struct event		*setup_timer;
	struct event		*limit_timer;
	struct event		*close_timer;
	struct event		*kick;		/* deferred: resume reading, sockets */
	struct event		*fin;		/* deferred teardown */
	struct evbuffer_cb_entry *drain_cb;
	uint8_t			*scratch;	/* EP_CHUNK_MAX + 1 receive buffer */
	ep_done_fn		*done;
	void			*done_arg;
};

/*
 * Start a session on a connected (and, with TLS, handshaken) bufferevent,
 * which the session then owns.  chain is the verified controller chain
 * (NULL only in plaintext test mode).  done is called once, after the
 * session has released everything but the struct, which the caller frees
 * with ep_session_free.
 */
struct ep_session *ep_session_new(struct event_base *, const struct ep_conf *,
	    const struct ep_sysparam *, const struct cred_chain *,
	    struct bufferevent *, const char *ctx, ep_done_fn *, void *);
void	 ep_session_free(struct ep_session *);
/* The one way a session ends; reason is logged.  flush: deliver queued output first. */
void	 ep_session_close(struct ep_session *, enum ep_end, int flush,
	    const char *reason, ...) __attribute__((format(printf, 4, 5)));

/* Queue an encoded message to the controller; charge/rbuf are released when it is written. */
void	 ep_out_push(struct ep_session *, const struct pl_msg *, uint32_t charge,
	    struct ep_skt *rbuf_skt, uint32_t rbuf);
/* Budget left under BufMax after one more item's overhead (0 when none). */
uint64_t ep_budget_free(const struct ep_session *);
void	 ep_budget_take(struct ep_session *, uint64_t);
void	 ep_budget_release(struct ep_session *, uint64_t);
/* Ask for a deferred pass over sockets and the request reader. */
void	 ep_session_kick(struct ep_session *);
const char *ep_fmt_addr(int af, const void *addr, uint16_t port, char *, size_t);
/* A libevent delay from nanoseconds (clamped to about 68 years). */
void	 ep_tv_from_ns(struct timeval *, uint64_t);

/* ------------------------------------------------------------------ */
/* skt.c */

/* Request handlers of IDLE; each answers with exactly one result. */
void	 ep_skt_nopen(struct ep_session *, const struct pl_msg *);
void	 ep_skt_nclose(struct ep_session *, const struct pl_msg *);
void	 ep_skt_nsend(struct ep_session *, const struct pl_msg *);
void	 ep_skt_ncap(struct ep_session *, const struct pl_msg *);
void	 ep_skt_nctl(struct ep_session *, const struct pl_msg *);
/* After an mwrite changed a socket's writable fields. */
void	 ep_skt_changed(struct ep_session *, uint8_t sktid, const struct ep_sktinfo *before);
/* Re-evaluate reading and sending of every socket (budget released). */
void	 ep_skt_poll_all(struct ep_session *);
/* An ndata charge of this socket was written to the controller. */
void	 ep_skt_rbuf_release(struct ep_session *, uint8_t sktid, uint32_t gen,
	    uint32_t n);
uint32_t ep_skt_gen(const struct ep_skt *);
uint8_t	 ep_skt_id(const struct ep_skt *);
/* Close every socket, dropping queued sends without ntag (reset, §1.3). */
void	 ep_skt_close_all(struct ep_session *);

/* ------------------------------------------------------------------ */
/* link.c */

struct ep_target {
	char		*host;		/* without brackets */
	uint16_t	 port;
	char		*display;	/* as given, for logs */
};

struct ep_link;
/*
 * Run experiments against target until `repeat` sessions ended (0: for
 * ever) or a fatal error.  ssl_ctx NULL means plaintext (test only).
 * Returns the exit status: 0 when every session ended normally.
 */
int	 ep_link_run(struct event_base *, const struct ep_conf *,
	    const struct ep_sysparam *, const struct ep_target *, void *ssl_ctx,
	    const char *snikey, uint64_t repeat);
/*
 * The same for one experiment on a loop the caller runs (subscription
 * mode): done(arg, status, rhint) is called from the loop once it is over
 * (rhint: the yield time, or 0); the caller then frees the link.
 */
typedef void	 ep_link_done_fn(void *arg, int status, pl_time_t rhint);
struct ep_link	*ep_link_start(struct event_base *, const struct ep_conf *,
	    const struct ep_sysparam *, const struct ep_target *, void *ssl_ctx,
	    const char *snikey, ep_link_done_fn *, void *);
/* End it early: suspend sends suspd first (preemption, broker spec §1.8). */
void	 ep_link_stop(struct ep_link *, int suspend, const char *why);
void	 ep_link_free(struct ep_link *);

/* ------------------------------------------------------------------ */
/* broker.c: subscription mode's link to the broker (broker spec §1.4-1.7) */

struct cred_keys;
struct ssl_ctx_st;
struct evp_pkey_st;

/*
 * Load SubPrivCertChainPath and build the subscription (ep_sub_build).
 * Returns 0, or -1 with why.
 */
int	 ep_submsgs_build(const struct ep_conf *, struct evp_pkey_st *key,
	    const struct cred_keys *oproots, struct ep_submsgs *, char *why,
	    size_t whylen);

/* An XNOTIFY's xdescr (possibly empty), borrowed for the call. */
typedef void	 ep_xdescr_fn(void *arg, const char *xdescr, size_t len);
struct ep_broker;
/* Subscribe, and keep subscribed, until freed. */
struct ep_broker *ep_broker_start(struct event_base *, const struct ep_conf *,
	    struct ssl_ctx_st *, const struct ep_submsgs *, ep_xdescr_fn *,
	    void *);
void	 ep_broker_free(struct ep_broker *);
uint64_t ep_broker_attempts(const struct ep_broker *);

/* ------------------------------------------------------------------ */
/* pool.c: subscription mode: the descriptor pool and its experiments */

/*
 * Subscribe and run the experiments the broker sends, one at a time, until
 * `repeat` experiments ended (0: for ever) or a signal.  Returns the exit
 * status: 0 when every experiment ended normally.
 */
int	 ep_sub_run(struct event_base *, const struct ep_conf *,
	    const struct ep_sysparam *, struct ssl_ctx_st *ctrl_ctx,
	    struct ssl_ctx_st *broker_ctx, const struct ep_submsgs *,
	    uint64_t repeat);

/* ------------------------------------------------------------------ */
/* sysinfo.c */

/* Fill what endpt.conf left out: local addresses, DNS servers. */
void	 ep_sysinfo_fill(struct ep_conf *);

#endif /* PL_ENDPOINT_H */
