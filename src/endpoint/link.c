/*
 * link.c: reaching the controller in direct mode, and running one session
 * after another on it.  Every address the name resolves to is tried in
 * turn with ConnectTimeout each; the TLS handshake has HandshakeTimeout
 * (1.1.0 had none, ERRATA missing-fact 9); a failed attempt is retried
 * after RetryDelay, up to ConnectAttempts in a row (0: for ever, as 1.1.0).
 * A handshake that TLS itself rejects (our check of the controller's chain,
 * or an alert from the controller) is not retried: it cannot succeed.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "conf/addr.h"
#include "cred/tls.h"
#include "endpoint/endpoint.h"
#include "util/event.h"
#include "util/log.h"
#include "util/util.h"

struct ep_link {
	struct event_base	*base;
	const struct ep_conf	*conf;
	const struct ep_sysparam *sys;
	const struct ep_target	*target;
	SSL_CTX			*ssl_ctx;
	const char		*snikey;
	uint64_t		 repeat;
	uint64_t		 sessions;	/* ended */
	uint64_t		 failures;	/* sessions that ended in error */
	uint64_t		 attempts;	/* failed attempts in a row */
	struct addrinfo		*ai_list;
	struct addrinfo		*ai;
	int			 fd;
	char			 peer[80];
	struct event		*conn_ev;
	struct event		*timer;
	struct event		*next_ev;
	struct event		*sig_int;
	struct event		*sig_term;
	struct bufferevent	*bev;		/* during the handshake */
	struct ep_session	*sess;
	enum ep_end		 last_end;
	pl_time_t		 rhint;
	int			 stopping;
	int			 status;
	ep_link_done_fn		*done;		/* embedded (subscription mode) */
	void			*done_arg;
	struct event		*done_ev;
	unsigned		 seq;
	const char		*errs;		/* first attempt failure, for the log */
	char			 err[512];
};

static void	 attempt(struct ep_link *);
static void	 try_next(struct ep_link *);
static void	 attempt_failed(struct ep_link *, const char *);
static void	 conn_cb(evutil_socket_t, short, void *);
static void	 tcp_up(struct ep_link *);
static void	 hs_eventcb(struct bufferevent *, short, void *);
static void	 timer_cb(evutil_socket_t, short, void *);
static void	 session_start(struct ep_link *, struct bufferevent *,
		    const struct cred_chain *);
static void	 session_done(void *, enum ep_end, pl_time_t);
static void	 next_cb(evutil_socket_t, short, void *);
static void	 signal_cb(evutil_socket_t, short, void *);
static void	 drop_attempt(struct ep_link *);
static void	 stop(struct ep_link *, int status);
static void	 fail_stop(struct ep_link *, const char *fmt, ...)
		    PL_PRINTF(2, 3);
static void	 done_cb(evutil_socket_t, short, void *);

static void
link_init(struct ep_link *l, struct event_base *base,
    const struct ep_conf *conf, const struct ep_sysparam *sys,
    const struct ep_target *target, void *ssl_ctx, const char *snikey,
    uint64_t repeat)
{
	memset(l, 0, sizeof(*l));
	l->base = base;
	l->conf = conf;
	l->sys = sys;
	l->target = target;
	l->ssl_ctx = ssl_ctx;
	l->snikey = snikey;
	l->repeat = repeat;
	l->fd = -1;
	l->timer = evtimer_new(base, timer_cb, l);
	l->next_ev = event_new(base, -1, 0, next_cb, l);
	if (l->timer == NULL || l->next_ev == NULL)
		fatalx("libevent: cannot create the link's events");
}

static void
link_release(struct ep_link *l)
{
	drop_attempt(l);
	if (l->sess != NULL)
		ep_session_free(l->sess);
	l->sess = NULL;
	event_free(l->timer);
	event_free(l->next_ev);
}

int
ep_link_run(struct event_base *base, const struct ep_conf *conf,
    const struct ep_sysparam *sys, const struct ep_target *target,
    void *ssl_ctx, const char *snikey, uint64_t repeat)
{
	struct ep_link	 l;

	link_init(&l, base, conf, sys, target, ssl_ctx, snikey, repeat);
	l.sig_int = evsignal_new(base, SIGINT, signal_cb, &l);
	l.sig_term = evsignal_new(base, SIGTERM, signal_cb, &l);
	if (l.sig_int == NULL || l.sig_term == NULL)
		fatalx("libevent: cannot create the link's events");
	xevent_add(l.sig_int, NULL, "SIGINT");
	xevent_add(l.sig_term, NULL, "SIGTERM");

	attempt(&l);
	event_base_dispatch(base);

	link_release(&l);
	event_free(l.sig_int);
	event_free(l.sig_term);
	return l.status;
}

struct ep_link *
ep_link_start(struct event_base *base, const struct ep_conf *conf,
    const struct ep_sysparam *sys, const struct ep_target *target,
    void *ssl_ctx, const char *snikey, ep_link_done_fn *done, void *arg)
{
	struct ep_link	*l = xmalloc(sizeof(*l));

	link_init(l, base, conf, sys, target, ssl_ctx, snikey, 1);
	l->done = done;
	l->done_arg = arg;
	if ((l->done_ev = event_new(base, -1, 0, done_cb, l)) == NULL)
		fatalx("libevent: cannot create the link's events");
	attempt(l);
	return l;
}

void
ep_link_stop(struct ep_link *l, int suspend, const char *why)
{
	struct pl_msg	 m;

	l->stopping = 1;
	if (l->sess != NULL) {
		if (suspend) {
			pl_msg_empty(&m, PL_SUSPD);
			ep_out_push(l->sess, &m, 0, NULL, 0);
		}
		ep_session_close(l->sess, EP_END_DONE, suspend, "%s", why);
		return;
	}
	drop_attempt(l);
	stop(l, 1);
}

void
ep_link_free(struct ep_link *l)
{
	if (l == NULL)
		return;
	link_release(l);
	event_free(l->done_ev);
	free(l);
}

static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ep_link	*l = arg;

	l->done(l->done_arg, l->status, l->rhint);
}

/* One connection attempt: resolve, then try each address. */
static void
attempt(struct ep_link *l)
{
	struct pl_hostport	 hp;
	char			 why[256];

	memset(&hp, 0, sizeof(hp));
	pl_strlcpy(hp.host, l->target->host, sizeof(hp.host));
	hp.port = l->target->port;
	hp.is_ipv4 = hp.is_ipv6 = 0;
	if (l->ai_list != NULL)
		freeaddrinfo(l->ai_list);
	l->ai_list = NULL;
	l->errs = NULL;
	if (pl_addr_resolve(&hp, 0, &l->ai_list, why, sizeof(why)) == -1) {
		attempt_failed(l, why);
		return;
	}
	l->ai = l->ai_list;
	try_next(l);
}

static void
try_next(struct ep_link *l)
{
	struct timeval	 tv;
	struct addrinfo	*ai;
	char		 host[NI_MAXHOST], serv[NI_MAXSERV];

	for (; (ai = l->ai) != NULL; l->ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host),
		    serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
			pl_strlcpy(host, "?", sizeof(host));
		snprintf(l->peer, sizeof(l->peer), ai->ai_family == AF_INET6 ?
		    "[%s]:%s" : "%s:%s", host, serv);
		l->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (l->fd == -1) {
			snprintf(l->err, sizeof(l->err), "%s: socket: %s", l->peer,
			    strerror(errno));
			continue;
		}
		if (connect(l->fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			l->ai = ai->ai_next;
			tcp_up(l);
			return;
		}
		if (errno == EINPROGRESS) {
			l->conn_ev = event_new(l->base, l->fd, EV_WRITE, conn_cb, l);
			if (l->conn_ev == NULL)
				fatalx("libevent: cannot create a connect event");
			ep_tv_from_ns(&tv, l->conf->connect_timeout);
			if (event_add(l->conn_ev, &tv) == 0) {
				log_debug("connecting to %s", l->peer);
				return;
			}
			event_free(l->conn_ev);
			l->conn_ev = NULL;
		}
		snprintf(l->err, sizeof(l->err), "connect to %s: %s", l->peer,
		    strerror(errno));
		log_debug("%s", l->err);
		close(l->fd);
		l->fd = -1;
	}
	attempt_failed(l, l->err[0] != '\0' ? l->err : "no address to try");
}

static void
conn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ep_link	*l = arg;
	socklen_t	 sl = sizeof(int);
	int		 err = 0;

	event_free(l->conn_ev);
	l->conn_ev = NULL;
	if (what & EV_TIMEOUT)
		err = ETIMEDOUT;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
		err = errno;
	if (err != 0) {
		snprintf(l->err, sizeof(l->err), "connect to %s: %s", l->peer,
		    err == ETIMEDOUT ? "timed out" : strerror(err));
		log_debug("%s", l->err);
		close(l->fd);
		l->fd = -1;
		l->ai = l->ai->ai_next;
		try_next(l);
		return;
	}
	tcp_up(l);
}

static void
tcp_up(struct ep_link *l)
{
	struct bufferevent	*bev;
	struct timeval		 tv;
	struct cred_err		 cerr;
	int			 fd = l->fd;

	l->fd = -1;
	if (l->ssl_ctx == NULL) {
		log_warnx("connected to %s WITHOUT TLS (--insecure-plaintext, "
		    "a test mode)", l->peer);
		bev = bufferevent_socket_new(l->base, fd, BEV_OPT_CLOSE_ON_FREE);
		if (bev == NULL)
			fatalx("libevent: cannot create a bufferevent");
		session_start(l, bev, NULL);
		return;
	}
	if ((l->bev = cred_tls_bev_client(l->base, fd, l->ssl_ctx, l->snikey,
	    &cerr)) == NULL)
		fatalx("%s", cerr.msg);
	bufferevent_setcb(l->bev, NULL, NULL, hs_eventcb, l);
	if (bufferevent_enable(l->bev, EV_READ | EV_WRITE) == -1) {
		snprintf(l->err, sizeof(l->err), "%s: cannot watch the connection: "
		    "%s", l->peer, strerror(errno));
		attempt_failed(l, l->err);
		return;
	}
	ep_tv_from_ns(&tv, l->conf->handshake_timeout);
	xevent_add(l->timer, &tv, "handshake timer");
	log_debug("connected to %s; TLS handshake%s%s", l->peer,
	    l->snikey != NULL ? " with SNI " : "", l->snikey != NULL ? l->snikey : "");
}

static void
hs_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct ep_link		*l = arg;
	const struct cred_chain	*chain;
	unsigned long		 e;
	char			 why[300];
	SSL			*ssl = bufferevent_openssl_get_ssl(bev);

	evtimer_del(l->timer);
	if (what & BEV_EVENT_CONNECTED) {
		l->bev = NULL;
		chain = cred_tls_peer_chain(ssl);
		if (chain == NULL) {
			bufferevent_free(bev);
			attempt_failed(l, "controller presented no certificate chain");
			return;
		}
		if (chain->top_unchecked)
			log_warnx("%s: no EndpointOpPubKeyPath configured: the "
			    "controller chain's top signature was NOT checked",
			    l->peer);
		session_start(l, bev, chain);
		return;
	}
	e = bufferevent_get_openssl_error(bev);
	cred_tls_reason(ssl, e, why, sizeof(why));
	bufferevent_free(bev);
	l->bev = NULL;
	if (e != 0) {
		fail_stop(l, "TLS handshake with %s failed: %s", l->peer, why);
		return;
	}
	snprintf(l->err, sizeof(l->err), "TLS handshake with %s: %s", l->peer,
	    (what & BEV_EVENT_EOF) ? "controller closed the connection" : why);
	attempt_failed(l, l->err);
}

static void
attempt_failed(struct ep_link *l, const char *why)
{
	struct timeval	 tv;

	drop_attempt(l);
	l->attempts++;
	if (l->stopping) {
		stop(l, 1);
		return;
	}
	if (l->conf->connect_attempts != 0 &&
	    l->attempts >= l->conf->connect_attempts) {
		fail_stop(l, "cannot reach the controller %s: %s (gave up after "
		    "%llu attempt%s)", l->target->display, why,
		    (unsigned long long)l->attempts, l->attempts == 1 ? "" : "s");
		return;
	}
	log_warnx("cannot reach the controller %s: %s; retrying in %.1f s",
	    l->target->display, why, (double)l->conf->retry_delay / 1e9);
	ep_tv_from_ns(&tv, l->conf->retry_delay);
	xevent_add(l->timer, &tv, "retry timer");
}

/* The retry delay, the handshake timeout, or the wait for a yield's rhint. */
static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ep_link	*l = arg;
	char		 why[300];

	if (l->bev != NULL) {
		snprintf(why, sizeof(why), "TLS handshake with %s timed out after "
		    "%.1f s", l->peer, (double)l->conf->handshake_timeout / 1e9);
		bufferevent_free(l->bev);
		l->bev = NULL;
		attempt_failed(l, why);
		return;
	}
	attempt(l);
}

static void
session_start(struct ep_link *l, struct bufferevent *bev,
    const struct cred_chain *chain)
{
	char	 ctx[96];

	l->attempts = 0;
	snprintf(ctx, sizeof(ctx), "s%u %s", ++l->seq, l->peer);
	if (chain != NULL) {
		const struct cred_eff	*e = &chain->eff;
		char			 n1[24] = "none", n2[24] = "none";

		if (e->have & CRED_LIM_BIT(CRED_LIM_MAX_SOCKET_COUNT))
			snprintf(n1, sizeof(n1), "%llu", (unsigned long long)
			    e->num[CRED_LIM_MAX_SOCKET_COUNT]);
		if (e->have & CRED_LIM_BIT(CRED_LIM_MAX_EXP_PERIOD))
			snprintf(n2, sizeof(n2), "%.3f s", (double)
			    e->num[CRED_LIM_MAX_EXP_PERIOD] / 1e9);
		log_info("[%s] TLS up; controller chain of %zu certificate(s) "
		    "verified; limits: sockets %s, valid_dest lists %zu, "
		    "period %s, monitors %zu", ctx, chain->n, n1, e->ndest, n2,
		    e->nmonitor);
	}
	l->sess = ep_session_new(l->base, l->conf, l->sys, chain, bev, ctx,
	    session_done, l);
}

/* Called from the loop once the session released its connection. */
static void
session_done(void *arg, enum ep_end end, pl_time_t rhint)
{
	struct ep_link	*l = arg;

	l->last_end = end;
	l->rhint = rhint;
	event_active(l->next_ev, 0, 0);
}

static void
next_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ep_link	*l = arg;
	struct timeval	 tv;
	pl_time_t	 now;

	ep_session_free(l->sess);
	l->sess = NULL;
	l->sessions++;
	if (l->last_end == EP_END_FAIL)
		l->failures++;
	if (l->stopping || (l->repeat != 0 && l->sessions >= l->repeat)) {
		stop(l, l->failures > 0);
		return;
	}
	now = pl_time_now();
	if (l->rhint > now) {
		log_info("the controller yielded; next connection in %.3f s",
		    (double)(l->rhint - now) / 1e9);
		ep_tv_from_ns(&tv, l->rhint - now);
	} else
		ep_tv_from_ns(&tv, 0);
	xevent_add(l->timer, &tv, "next-session timer");
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct ep_link	*l = arg;

	if (l->stopping) {
		log_warnx("second signal: exiting now");
		exit(1);
	}
	log_info("%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	l->stopping = 1;
	if (l->sess != NULL) {
		/* next_cb stops the loop once the session is gone. */
		ep_session_close(l->sess, EP_END_DONE, 0, "stopped by %s",
		    sig == SIGINT ? "SIGINT" : "SIGTERM");
		return;
	}
	drop_attempt(l);
	stop(l, l->failures > 0 || l->sessions == 0);
}

/* Forget an attempt in progress: connect, handshake, timers. */
static void
drop_attempt(struct ep_link *l)
{
	if (l->conn_ev != NULL) {
		event_free(l->conn_ev);
		l->conn_ev = NULL;
	}
	if (l->fd != -1) {
		close(l->fd);
		l->fd = -1;
	}
	if (l->bev != NULL) {
		bufferevent_free(l->bev);
		l->bev = NULL;
	}
	if (l->ai_list != NULL) {
		freeaddrinfo(l->ai_list);
		l->ai_list = NULL;
		l->ai = NULL;
	}
	evtimer_del(l->timer);
}

/*
 * A failure that ends the link.  In direct mode that ends the program:
 * FATAL (docs/logging.md).  Embedded in subscription mode it ends only
 * this experiment and the endpoint goes on: WARN.
 */
static void
fail_stop(struct ep_link *l, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(l->done == NULL ? LOG_LVL_ERROR : LOG_LVL_WARN, NULL, 0, fmt,
	    ap);
	va_end(ap);
	stop(l, 1);
}

static void
stop(struct ep_link *l, int status)
{
	l->status = status;
	drop_attempt(l);
	if (l->done != NULL)
		event_active(l->done_ev, 0, 0);
	else
		event_base_loopbreak(l->base);
}
