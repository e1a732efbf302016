/*
 * broker.h: pktlab-broker's daemon: one libevent loop, a publisher port and
 * a subscriber port, agent-mode TLS 1.3, and one connection object per
 * client around the pure protocol of broker/pure/bk.h.
 */
#ifndef PL_BROKER_BROKER_H
#define PL_BROKER_BROKER_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stdint.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "broker/pure/bk.h"
#include "cred/rtls.h"

/* A subscriber that lets this much pile up unread is dropped. */
#define BKD_OUT_MAX		(4u << 20)
/* Refusals in a row (per agent key) before answers slow down. */
#define BKD_THROTTLE_AFTER	3
#define BKD_THROTTLE_MAX_MS	10000u
#define BKD_THROTTLE_SLOTS	1024
/* TLS handshakes in progress from one address before more are refused. */
#define BKD_HS_PER_ADDR		256
#define BKD_HS_SLOTS		1024

/* BC_DELAYED: TLS is up, requests are read after the throttle's pause. */
enum bconn_state { BC_HANDSHAKE, BC_DELAYED, BC_OPEN, BC_DEAD };

struct bkd;

struct bconn {
	TAILQ_ENTRY(bconn) entry;
	struct bkd	*d;
	uint64_t	 id;
	enum bk_side	 side;
	enum bconn_state state;
	int		 fd;
	short		 watching;	/* the flags ev is added with */
	char		 ip[64];
	char		 agent[2 * BK_KEY_LEN + 1];	/* hex, for throttling */
	char		 ctx[128];	/* log context */
	SSL		*ssl;		/* only during the handshake */
	struct rtls	 tls;		/* afterwards: our own record layer */
	int		 detached;	/* tls is in use */
	struct event	*ev;		/* the socket */
	struct event	*timer;
	/* Buffers exist only while something is half-way (NULL when idle). */
	uint8_t		*msg;		/* a partial broker message (plaintext) */
	size_t		 msglen, msgcap;
	struct bk_conn	 pc;
	int		 has_pc;
	int		 accepted;	/* a request was accepted */
	int		 hs_counted;	/* counted in the address's handshakes */
	int		 busy;		/* inside conn_io: conn_close does not free */
	char		*dead_why;	/* closed later, from the reaper */
};
TAILQ_HEAD(bconnq, bconn);

struct throttle {
	char		 ip[2 * BK_KEY_LEN + 1];	/* the agent key, hex */
	unsigned	 refused;	/* in a row */
	uint64_t	 last;		/* ns, for eviction */
};

struct hscount {
	char		 ip[64];
	unsigned	 n;		/* handshakes in progress */
};

struct bklistener {
	TAILQ_ENTRY(bklistener) entry;
	struct bkd	*d;
	enum bk_side	 side;
	int		 fd;
	struct event	*ev;
};
TAILQ_HEAD(bklistenerq, bklistener);

struct bkd {
	struct event_base *base;
	struct bk_conf	*conf;
	SSL_CTX		*ctx;
	struct bk_store	 st;
	struct bconnq	 conns;
	struct bconnq	 dead;
	size_t		 nconns;
	uint64_t	 next_id;
	struct bklistenerq listeners;
	struct event	*accept_resume;
	struct event	*reaper;
	struct event	*expiry;
	struct throttle	 thr[BKD_THROTTLE_SLOTS];
	struct hscount	 hs[BKD_HS_SLOTS];
};

/* net.c */
void	 bkd_events_init(struct bkd *);
void	 bkd_events_free(struct bkd *);
int	 bkd_listen(struct bkd *, enum bk_side, const char *addr, char *, size_t);
void	 bkd_close_all(struct bkd *, const char *why);
void	 bkd_expiry_rearm(struct bkd *);
extern const struct bk_ops bkd_ops;

#endif /* PL_BROKER_BROKER_H */
