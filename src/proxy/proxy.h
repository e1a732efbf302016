/*
 * proxy.h: pktlab-proxy, a PacketLab proxy (broker spec §3).  Controllers
 * register idle "backlog" connections per snikey on one port (ctl.c);
 * endpoints arrive on another, are routed on the SNI of their ClientHello
 * (ep.c) and spliced to one of those connections (relay.c).  TLS stays end
 * to end between endpoint and controller.  One libevent loop, no threads.
 */
#ifndef PL_PROXY_H
#define PL_PROXY_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stdint.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "proxy/pure/proxy_pure.h"

#define PX_PEER_MAX	64
#define PX_CTX_MAX	200
#define PX_KEY_LINGER_S	60	/* an empty pool is still "known" this long */

struct px;
struct px_key;
struct px_group;
struct sess;

/* One controller connection, from accept to idle in a pool. */
struct px_reg {
	struct px	*px;
	uint64_t	 id;
	int		 fd;
	SSL		*ssl;
	int		 stage;
	char		 peer[PX_PEER_MAX];	/* ADDR:PORT */
	char		 host[PX_PEER_MAX];	/* ADDR, the group when no key */
	char		 ctx[PX_CTX_MAX];	/* for log lines */
	int		 has_key;
	uint8_t		 agent[32];		/* the agent certificate's key */
	char		 snikey[64];
	uint8_t		 in[4 + 255];		/* the xreg, then raw bytes */
	size_t		 inlen;
	size_t		 out_off;		/* bytes of the current write done */
	uint16_t	 errid;			/* refusal */
	struct event	*ev;
	struct event	*timer;
	struct px_group	*group;			/* idle: the pool it is in */
	int		 counted;		/* holds a reference on its key */
	struct timespec	 t0;
	TAILQ_ENTRY(px_reg) entry;
};
TAILQ_HEAD(px_reg_q, px_reg);

/* The idle connections of one controller for one snikey. */
struct px_group {
	struct px_key	*key;
	uint64_t	 id;		/* round robin order */
	int		 has_key;
	uint8_t		 agent[32];
	char		 host[PX_PEER_MAX];
	struct px_reg_q	 idle;		/* oldest first */
	size_t		 nidle;
	TAILQ_ENTRY(px_group) entry;
};

struct px_ep;
TAILQ_HEAD(px_ep_q, px_ep);

struct px_key {
	char		 name[64];
	TAILQ_HEAD(, px_group) groups;
	struct px_ep_q	 waiting;	/* endpoints held for a connection */
	uint64_t	 rr_last;	/* id of the group used last */
	int		 has_owner;	/* BindSNIKeyToAgentKey */
	uint8_t		 owner[32];
	size_t		 owner_refs;	/* keyed registrations and sessions */
	size_t		 refs;		/* registrations past xreg, sessions */
	time_t		 last;		/* last registration (monotonic s) */
	TAILQ_ENTRY(px_key) entry;
};

/* One endpoint connection, from accept to its session. */
struct px_ep {
	struct px	*px;
	uint64_t	 id;
	int		 fd;
	char		 peer[PX_PEER_MAX];
	char		 ctx[PX_CTX_MAX];
	uint8_t		*buf;		/* bytes read so far */
	size_t		 len, cap;
	struct px_key	*key;		/* while held */
	struct event	*ev;
	struct event	*timer;
	struct timespec	 t0;
	TAILQ_ENTRY(px_ep) entry;
};

struct px_refusal {
	char		 host[PX_PEER_MAX];
	struct timespec	 next;		/* earliest time of the next refusal */
	TAILQ_ENTRY(px_refusal) entry;
};

struct px_listener {
	struct px	*px;
	int		 fd;
	int		 ctl;		/* controllers' port, else endpoints' */
	char		 name[PX_PEER_MAX];
	struct event	*ev;
	TAILQ_ENTRY(px_listener) entry;
};

struct px {
	struct event_base *base;
	struct px_conf	 conf;
	SSL_CTX		*ctx;
	TAILQ_HEAD(, px_listener) listeners;
	struct event	*resume;	/* accepting again after EMFILE */
	struct event	*gc;		/* forgets empty pools */
	TAILQ_HEAD(, px_key) keys;
	struct px_reg_q	 regs;		/* registering */
	TAILQ_HEAD(, px_ep) eps;	/* reading the ClientHello */
	TAILQ_HEAD(, px_refusal) refusals;
	uint64_t	 next_reg, next_ep, next_group;
	TAILQ_HEAD(, sess) sessions;
	size_t		 nsessions;
	int		 stopping;
	uint8_t		 scratch[PX_HELLO_MAX + 4];	/* px_sni_parse's */
};

/* main.c */
void	 px_tv(struct timeval *, uint64_t ns);
double	 px_elapsed(const struct timespec *);
void	 px_peerstr(const struct sockaddr *, socklen_t, char *host, size_t,
	    char *hostport, size_t);
void	 px_pause_accept(struct px *);
void	 px_keepalive(int fd);
void	 px_log(int level, const char *ctx, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

/* ctl.c */
void	 reg_new(struct px *, int fd, const struct sockaddr *, socklen_t);
void	 reg_free_all(struct px *);
struct px_key *key_find(struct px *, const char *);
int	 key_known(const struct px_key *);
void	 key_unref(struct px *, struct px_key *, const uint8_t *agent);
/* What pool_take hands over: the raw backlog connection and its owner. */
struct px_taken {
	int		 fd;
	int		 has_key;
	uint8_t		 agent[32];
	char		 who[PX_CTX_MAX];	/* "r12 127.0.0.1:4000" */
};
/* An idle connection for key, round robin over controllers; its fd is the
 * caller's, the registration is gone, its key reference goes with it.
 * -1 when none. */
int	 pool_take(struct px *, struct px_key *, struct px_taken *);
void	 key_gc(struct px *);

/* ep.c */
void	 ep_new(struct px *, int fd, const struct sockaddr *, socklen_t);
void	 ep_serve_waiting(struct px *, struct px_key *);
void	 ep_free_all(struct px *);

/* relay.c */
void	 sess_new(struct px *, int epfd, const struct px_taken *,
	    const uint8_t *pre, size_t prelen, const char *ctx, struct px_key *);
void	 sess_free_all(struct px *);

#endif /* PL_PROXY_H */
