/*
 * broker.c: the endpoint's one connection to the broker in subscription
 * mode (broker spec §1.4-1.7).
 *
 * Connect to BrokerAddr (every resolved address in turn), agent-mode TLS
 * 1.3 without SNI, then write every XCERT of SubPrivCertChainPath (file
 * order) and the XSUB at once, pipelined as 1.1.0 does, and expect N+1
 * SUCCESS results.  Then each XNOTIFY's xdescr goes to the caller.
 *
 * Beyond 1.1.0 (§1.11): connect+TLS and every result have a timeout, and
 * every failure (not only a failed TCP connect) is retried after an
 * exponential backoff with jitter, 1 s doubling to 60 s, reset once a
 * subscription has held for EP_BROKER_HELD.  A failure is logged once;
 * the same failure again is logged at debug level only.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>

#include <errno.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "conf/addr.h"
#include "cred/cred.h"
#include "cred/tls.h"
#include "endpoint/endpoint.h"
#include "util/event.h"
#include "util/log.h"
#include "util/util.h"

#define BACKOFF_MIN	(1 * PL_TICKS_PER_SEC)
#define BACKOFF_MAX	(60 * PL_TICKS_PER_SEC)
#define EP_BROKER_HELD	(30 * PL_TICKS_PER_SEC)
#define RESULT_TIMEOUT	(10 * PL_TICKS_PER_SEC)
/* Largest message taken from a broker: an xnotify with room to spare. */
#define BODY_MAX	(64 * 1024)

enum bstate { B_WAIT, B_CONNECT, B_SUBSCRIBE, B_RUNNING, B_STOPPED };

struct ep_broker {
	struct event_base	*base;
	const struct ep_conf	*conf;
	SSL_CTX			*ctx;
	const struct ep_submsgs	*msgs;
	ep_xdescr_fn		*fn;
	void			*arg;
	struct pl_hostport	 hp;
	char			 display[PL_HOST_MAX + 16];
	struct addrinfo		*ai_list, *ai;
	char			 peer[80];
	struct bufferevent	*tcp;		/* while TCP connects */
	struct bufferevent	*bev;		/* TLS */
	struct event		*timer;
	enum bstate		 state;
	size_t			 nresults;
	unsigned		 backoff;	/* failures in a row */
	pl_time_t		 subscribed_at;
	uint64_t		 attempts;
	uint8_t			 restarts;	/* 1.1.0's 8-bit counter */
	char			 err[256];	/* the last address's failure */
	char			 lastfail[256];	/* logged once */
	int			 quiet;		/* the last failure was a repeat */
};

static void	 attempt(struct ep_broker *);
static void	 try_addr(struct ep_broker *);
static void	 drop_tcp(struct ep_broker *);
static void	 tcp_cb(struct bufferevent *, short, void *);
static void	 fail(struct ep_broker *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 teardown(struct ep_broker *);
static void	 event_cb(struct bufferevent *, short, void *);
static void	 read_cb(struct bufferevent *, void *);
static void	 timer_cb(evutil_socket_t, short, void *);
static void	 timer_in(struct ep_broker *, uint64_t ns);

/* ---- preparing the subscription ---- */

int
ep_submsgs_build(const struct ep_conf *conf, EVP_PKEY *key,
    const struct cred_keys *oproots, struct ep_submsgs *out, char *why,
    size_t whylen)
{
	struct cred_certs	 certs;
	struct cred_cert	*cc;
	struct cred_err		 err;
	uint8_t			 kid[32];
	size_t			 i, ndec = 0;
	int			 rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&certs, 0, sizeof(certs));
	if (cred_certs_load(&certs, (const char *const *)conf->subchain,
	    conf->nsubchain, &err) == -1) {
		snprintf(why, whylen, "SubPrivCertChainPath: %s", err.msg);
		return -1;
	}
	cc = xcalloc(certs.n, sizeof(*cc));
	if (cred_keyid(key, kid) == -1)
		fatalx("cannot compute the endpoint key's id");
	for (ndec = 0; ndec < certs.n; ndec++)
		if (cred_cert_decode(certs.x[ndec], certs.label[ndec], &cc[ndec],
		    &err) == -1) {
			snprintf(why, whylen, "SubPrivCertChainPath: %s",
			    err.msg);
			goto done;
		}
	rc = ep_sub_build(conf, cc, certs.n, kid, oproots, out, why, whylen);
done:
	for (i = 0; i < ndec; i++)
		cred_cert_clear(&cc[i]);
	free(cc);
	cred_certs_free(&certs);
	return rc;
}

/* ---- the connection ---- */

struct ep_broker *
ep_broker_start(struct event_base *base, const struct ep_conf *conf,
    SSL_CTX *ctx, const struct ep_submsgs *msgs, ep_xdescr_fn *fn, void *arg)
{
	struct ep_broker	*b = xcalloc(1, sizeof(*b));
	char			 why[256];

	b->base = base;
	b->conf = conf;
	b->ctx = ctx;
	b->msgs = msgs;
	b->fn = fn;
	b->arg = arg;
	/* Split as when the file was read (epconf.c). */
	if (pl_addr_split(conf->broker_addr, EP_BROKER_PORT, &b->hp, why,
	    sizeof(why)) == -1)
		fatalx("BrokerAddr: %s", why);
	pl_addr_fmt(&b->hp, b->display, sizeof(b->display));
	if ((b->timer = evtimer_new(base, timer_cb, b)) == NULL)
		fatalx("libevent: cannot create the broker's timer");
	attempt(b);
	return b;
}

void
ep_broker_free(struct ep_broker *b)
{
	if (b == NULL)
		return;
	/* As 1.1.0 on exit: a TLS close_notify, then the close. */
	if (b->bev != NULL && (b->state == B_SUBSCRIBE ||
	    b->state == B_RUNNING))
		(void)SSL_shutdown(bufferevent_openssl_get_ssl(b->bev));
	teardown(b);
	event_free(b->timer);
	free(b);
}

uint64_t
ep_broker_attempts(const struct ep_broker *b)
{
	return b->attempts;
}

static void
timer_in(struct ep_broker *b, uint64_t ns)
{
	struct timeval	 tv;

	ep_tv_from_ns(&tv, ns);
	xevent_add(b->timer, &tv, "broker timer");
}

static void
attempt(struct ep_broker *b)
{
	char	 why[256];

	b->state = B_CONNECT;
	b->attempts++;
	b->err[0] = '\0';
	log_debug("broker %s: connecting (attempt %llu)", b->display,
	    (unsigned long long)b->attempts);
	if (pl_addr_resolve(&b->hp, 0, &b->ai_list, why, sizeof(why)) == -1) {
		b->ai_list = NULL;
		fail(b, "%s", why);
		return;
	}
	b->ai = b->ai_list;
	try_addr(b);
}

/*
 * TCP to the next address with a plain bufferevent (so a failed connect
 * is told apart from a failed handshake), then TLS over the same socket
 * (tls_start); TCP and TLS together within the timeouts.
 */
static void
try_addr(struct ep_broker *b)
{
	struct addrinfo	*ai;
	char		 host[NI_MAXHOST], serv[NI_MAXSERV];

	if ((ai = b->ai) == NULL) {
		fail(b, "could not connect (%s)", b->err[0] != '\0' ?
		    b->err : "no address");
		return;
	}
	b->ai = ai->ai_next;
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), serv,
	    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		pl_strlcpy(host, "?", sizeof(host));
	snprintf(b->peer, sizeof(b->peer), ai->ai_family == AF_INET6 ?
	    "[%s]:%s" : "%s:%s", host, serv);
	/* Not CLOSE_ON_FREE: the socket goes on to the TLS bufferevent. */
	if ((b->tcp = bufferevent_socket_new(b->base, -1, 0)) == NULL)
		fatalx("libevent: cannot create a bufferevent");
	bufferevent_setcb(b->tcp, NULL, NULL, tcp_cb, b);
	timer_in(b, b->conf->connect_timeout + b->conf->handshake_timeout);
	if (bufferevent_socket_connect(b->tcp, ai->ai_addr,
	    (int)ai->ai_addrlen) == -1) {
		snprintf(b->err, sizeof(b->err), "%s: %s", b->peer,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		drop_tcp(b);
		try_addr(b);
	}
}

static void
drop_tcp(struct ep_broker *b)
{
	evutil_socket_t	 fd;

	if (b->tcp == NULL)
		return;
	fd = bufferevent_getfd(b->tcp);
	bufferevent_free(b->tcp);
	b->tcp = NULL;
	if (fd != -1)
		evutil_closesocket(fd);
}

static void
tcp_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ep_broker	*b = arg;
	struct cred_err		 cerr;
	evutil_socket_t		 fd;
	int			 on = 1;

	if (!(what & BEV_EVENT_CONNECTED)) {
		snprintf(b->err, sizeof(b->err), "%s: %s", b->peer,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		drop_tcp(b);
		try_addr(b);
		return;
	}
	fd = bufferevent_getfd(bev);
	bufferevent_free(bev);
	b->tcp = NULL;
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	/* No SNI towards a broker (certs spec §5). */
	if ((b->bev = cred_tls_bev_client(b->base, fd, b->ctx, NULL,
	    &cerr)) == NULL)
		fatalx("%s", cerr.msg);
	bufferevent_setcb(b->bev, read_cb, NULL, event_cb, b);
	if (bufferevent_enable(b->bev, EV_READ | EV_WRITE) == -1) {
		fail(b, "%s: cannot watch the connection: %s", b->peer,
		    strerror(errno));
		return;
	}
	log_debug("broker %s: TCP up with %s; TLS handshake", b->display,
	    b->peer);
}

static void
teardown(struct ep_broker *b)
{
	drop_tcp(b);
	if (b->bev != NULL) {
		bufferevent_free(b->bev);
		b->bev = NULL;
	}
	if (b->ai_list != NULL) {
		freeaddrinfo(b->ai_list);
		b->ai_list = NULL;
		b->ai = NULL;
	}
	evtimer_del(b->timer);
}

/* Every failure ends here: close, then retry after the backoff. */
static void
fail(struct ep_broker *b, const char *fmt, ...)
{
	char		 why[256];
	va_list		 ap;
	uint64_t	 delay, r = 0;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (b->state == B_RUNNING &&
	    pl_time_now() - b->subscribed_at >= EP_BROKER_HELD) {
		/* It held: start the backoff afresh, and log anew. */
		b->backoff = 0;
		b->lastfail[0] = '\0';
	}
	teardown(b);
	b->restarts++;
	delay = BACKOFF_MIN << (b->backoff < 6 ? b->backoff : 6);
	if (delay > BACKOFF_MAX)
		delay = BACKOFF_MAX;
	/* Jitter: somewhere in [delay/2, delay]. */
	(void)RAND_bytes((unsigned char *)&r, sizeof(r));
	delay = delay / 2 + r % (delay / 2 + 1);
	b->backoff++;
	b->quiet = strcmp(why, b->lastfail) == 0;
	if (!b->quiet) {
		log_warnx("broker %s: %s; resubscribing in %.1f s (backoff, "
		    "repeats of this failure are logged with -v)", b->display,
		    why, (double)delay / 1e9);
		pl_strlcpy(b->lastfail, why, sizeof(b->lastfail));
	} else
		log_debug("broker %s: %s again (%u in a row); resubscribing in "
		    "%.1f s", b->display, why, b->backoff, (double)delay / 1e9);
	b->state = B_WAIT;
	timer_in(b, delay);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ep_broker	*b = arg;

	switch (b->state) {
	case B_WAIT:
		attempt(b);
		break;
	case B_CONNECT:
		fail(b, "TCP connect and TLS handshake with %s timed out after "
		    "%.1f s", b->peer, (double)(b->conf->connect_timeout +
		    b->conf->handshake_timeout) / 1e9);
		break;
	case B_SUBSCRIBE:
		fail(b, "no result from the broker within %.0f s (%zu of %zu "
		    "received)", (double)RESULT_TIMEOUT / 1e9, b->nresults,
		    b->msgs->n);
		break;
	default:
		break;
	}
}

static void
subscribe(struct ep_broker *b)
{
	size_t	 i;

	b->state = B_SUBSCRIBE;
	b->nresults = 0;
	/* Pipelined, as 1.1.0: everything now, the results later (ERRATA 6). */
	for (i = 0; i < b->msgs->n; i++)
		if (bufferevent_write(b->bev, b->msgs->buf[i],
		    b->msgs->len[i]) == -1)
			fatalx("libevent: cannot queue the subscription");
	log_debug("broker %s: TLS up with %s; sent %zu xcert and the xsub",
	    b->display, b->peer, b->msgs->n - 1);
	timer_in(b, RESULT_TIMEOUT);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ep_broker	*b = arg;
	unsigned long		 e;
	char			 why[300];

	if (what & BEV_EVENT_CONNECTED) {
		if (cred_tls_peer_chain(bufferevent_openssl_get_ssl(bev)) ==
		    NULL) {
			fail(b, "%s presented no agent certificate", b->peer);
			return;
		}
		subscribe(b);
		return;
	}
	if (b->state == B_CONNECT) {
		e = bufferevent_get_openssl_error(bev);
		cred_tls_reason(bufferevent_openssl_get_ssl(bev), e, why,
		    sizeof(why));
		fail(b, "TLS handshake with %s failed: %s", b->peer,
		    (what & BEV_EVENT_EOF) ?
		    "the broker closed the connection" : why);
		return;
	}
	if (what & BEV_EVENT_EOF)
		fail(b, "the broker closed the connection%s",
		    b->state == B_SUBSCRIBE ? " while subscribing" : "");
	else
		fail(b, "connection error: %s", evutil_socket_error_to_string(
		    EVUTIL_SOCKET_ERROR()));
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct ep_broker	*b = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct pl_msg		 m;
	uint8_t			 hdr[PL_HLEN], *p;
	uint32_t		 bodylen;
	size_t			 used;
	enum pl_dec		 r;
	char			 why[200];
	uint8_t			 type;

	while (b->state == B_SUBSCRIBE || b->state == B_RUNNING) {
		if (evbuffer_copyout(in, hdr, PL_HLEN) < PL_HLEN)
			return;
		(void)pl_peek_header(hdr, PL_HLEN, &type, &bodylen);
		if (bodylen > BODY_MAX) {
			fail(b, "message type 0x%02x of %u bytes, more than "
			    "%u", type, bodylen, BODY_MAX);
			return;
		}
		if (evbuffer_get_length(in) < PL_HLEN + (size_t)bodylen)
			return;
		p = evbuffer_pullup(in, PL_HLEN + (ssize_t)bodylen);
		r = pl_decode_r(p, PL_HLEN + bodylen, &m, &used, why,
		    sizeof(why));
		if (r != PL_DEC_OK) {
			fail(b, "malformed message from the broker: %s", why);
			return;
		}
		if (b->state == B_SUBSCRIBE) {
			if (m.type != PL_RESULT) {
				fail(b, "unexpected message type 0x%02x while "
				    "subscribing", m.type);
				return;
			}
			if (m.u.result.errid != 0) {
				fail(b, "the broker refused the subscription "
				    "(result %zu of %zu): %s (0x%04x)",
				    b->nresults + 1, b->msgs->n,
				    pl_err_name(m.u.result.errid),
				    m.u.result.errid);
				return;
			}
			evbuffer_drain(in, used);
			if (++b->nresults < b->msgs->n) {
				timer_in(b, RESULT_TIMEOUT);
				continue;
			}
			evtimer_del(b->timer);
			b->state = B_RUNNING;
			b->subscribed_at = pl_time_now();
			/* A flapping broker: once at info, then at debug. */
			(b->quiet ? log_debug : log_info)("broker %s: subscribed "
			    "(%zu certificate%s, %zu channel%s)", b->display,
			    b->msgs->n - 1, b->msgs->n == 2 ? "" : "s",
			    b->msgs->nchan, b->msgs->nchan == 1 ? "" : "s");
			continue;
		}
		if (m.type != PL_XNOTIFY) {
			fail(b, "unexpected message type 0x%02x", m.type);
			return;
		}
		/* The callback copies what it keeps. */
		b->fn(b->arg, m.u.xnotify.descr, m.u.xnotify.descrlen);
		evbuffer_drain(in, used);
	}
}
