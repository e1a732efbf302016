/*
 * net.c: the broker's sockets.  Listeners for both ports; per connection an
 * agent-mode TLS server (a handshake timeout, the client's agent key taken
 * from its verified certificate), then our own TLS 1.3 record layer:
 * once the handshake is done the connection leaves OpenSSL
 * (cred_tls_detach, cred/rec13.h), because a broker holds one connection
 * per subscription, mostly idle, and OpenSSL's state for one is about
 * 14 KiB.  Then byte-stream reassembly of records and of messages that
 * clients write as several records, a bounded output, buffers that exist
 * only while something is half-way, and one close funnel with a reason.
 * Idle established clients are never timed out: TCP keepalive finds dead
 * ones.  A peer refused several times in a row (by agent key) is answered
 * more slowly.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>

#include "util/event.h"
#include "util/log.h"
#include "util/util.h"
#include "conf/addr.h"
#include "cred/cred.h"
#include "cred/tls.h"
#include "xpmgr/pure/xppure.h"
#include "broker/broker.h"

#define ACCEPT_BURST	64

static void	 listener_accept(evutil_socket_t, short, void *);
static void	 listener_resume(evutil_socket_t, short, void *);
static void	 conn_new(struct bkd *, enum bk_side, int, const struct sockaddr *,
		    socklen_t);
static void	 conn_start_tls(struct bconn *);
static int	 conn_watch(struct bconn *, short);
static void	 conn_rewatch(struct bconn *);
static void	 conn_handshake(struct bconn *);
static void	 conn_delay_cb(evutil_socket_t, short, void *);
static void	 conn_timeout(evutil_socket_t, short, void *);
static void	 conn_io(evutil_socket_t, short, void *);
static void	 conn_established(struct bconn *);
static void	 conn_readable(struct bconn *);
static void	 conn_plaintext(struct bconn *, const uint8_t *, size_t);
static int	 conn_msg_len(struct bconn *, const uint8_t *, size_t, size_t *);
static void	 conn_message(struct bconn *, const uint8_t *, size_t);
static int	 conn_flush(struct bconn *);
static void	 conn_close(struct bconn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 conn_doom(struct bconn *, const char *);
static void	 reaper_cb(evutil_socket_t, short, void *);
static void	 expiry_cb(evutil_socket_t, short, void *);
static void	 timer_ns(struct event *, uint64_t);
static uint64_t	 now_ns(void);
static struct throttle *throttle_get(struct bkd *, const char *, int);
static struct hscount *hs_get(struct bkd *, const char *, int);
static void	 hs_done(struct bconn *);
static void	 ops_send(void *, const uint8_t *, size_t);
static void	 ops_log(void *, int, const char *);

const struct bk_ops bkd_ops = { ops_send, ops_log };

/* ---- listeners ---- */

int
bkd_listen(struct bkd *d, enum bk_side side, const char *addr, char *why,
    size_t whylen)
{
	struct pl_hostport hp;
	struct addrinfo	*res, *ai;
	struct bklistener *l;
	char		 one_why[256];
	int		 fd, one = 1, n = 0;

	if (pl_addr_split(addr, side == BK_SIDE_PUB ? 20556 : 20557, &hp, why,
	    whylen) == -1 || pl_addr_resolve(&hp, 1, &res, why, whylen) == -1)
		return -1;
	one_why[0] = '\0';
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1) {
			snprintf(one_why, sizeof(one_why), "socket: %s", strerror(errno));
			continue;
		}
		if (ai->ai_family == AF_INET6)
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
		    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
		    listen(fd, 1024) == -1) {
			snprintf(one_why, sizeof(one_why), "%s", strerror(errno));
			close(fd);
			continue;
		}
		l = xcalloc(1, sizeof(*l));
		l->d = d;
		l->side = side;
		l->fd = fd;
		if ((l->ev = event_new(d->base, fd, EV_READ | EV_PERSIST,
		    listener_accept, l)) == NULL || event_add(l->ev, NULL) == -1)
			fatalx("event_new failed");
		TAILQ_INSERT_TAIL(&d->listeners, l, entry);
		n++;
	}
	freeaddrinfo(res);
	if (n == 0) {
		snprintf(why, whylen, "cannot listen on %s: %s", addr, one_why);
		return -1;
	}
	log_info("%s port: listening on %s", side == BK_SIDE_PUB ? "publisher" :
	    "subscriber", addr);
	return 0;
}

static void
listener_accept(evutil_socket_t fd, short ev, void *arg)
{
	struct bklistener	*l = arg, *x;
	struct bkd		*d = l->d;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct timeval		 tv = { 0, 200000 };
	int			 c, i;

	(void)ev;
	for (i = 0; i < ACCEPT_BURST; i++) {
		c = pl_accept(fd, &ss, &sslen, l->side == BK_SIDE_PUB ?
		    "a publisher" : "a subscriber", 200);
		if (c == PL_ACCEPT_FULL) {
			TAILQ_FOREACH(x, &d->listeners, entry)
				event_del(x->ev);
			evtimer_add(d->accept_resume, &tv);
		}
		if (c < 0)
			return;
		if (d->conf->max_conns != 0 && d->nconns >= d->conf->max_conns) {
			log_warnx("MaxConnections (%u) reached: connection refused",
			    d->conf->max_conns);
			close(c);
			continue;
		}
		conn_new(d, l->side, c, (struct sockaddr *)&ss, sslen);
	}
}

static void
listener_resume(evutil_socket_t fd, short ev, void *arg)
{
	struct bkd		*d = arg;
	struct bklistener	*l;

	(void)fd;
	(void)ev;
	TAILQ_FOREACH(l, &d->listeners, entry)
		event_add(l->ev, NULL);
}

/* ---- one connection ---- */

static void
set_sockopts(int fd)
{
	int	 one = 1, idle = 60, intvl = 10, cnt = 6;

	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) == -1)
		log_debug("keepalive: %s", strerror(errno));
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		log_debug("TCP_NODELAY: %s", strerror(errno));
}

static void
conn_new(struct bkd *d, enum bk_side side, int fd, const struct sockaddr *sa,
    socklen_t salen)
{
	struct bconn	*bc;
	struct hscount	*hs;
	char		 peer[96];

	bc = xcalloc(1, sizeof(*bc));
	bc->d = d;
	bc->id = ++d->next_id;
	bc->side = side;
	bc->fd = fd;
	xp_epaddr(sa, salen, bc->ip, sizeof(bc->ip));
	xp_peerstr(sa, salen, peer, sizeof(peer));
	snprintf(bc->ctx, sizeof(bc->ctx), "%c%llu %s", side == BK_SIDE_PUB ?
	    'p' : 's', (unsigned long long)bc->id, peer);
	TAILQ_INSERT_TAIL(&d->conns, bc, entry);
	d->nconns++;
	set_sockopts(fd);
	if ((bc->timer = evtimer_new(d->base, conn_timeout, bc)) == NULL ||
	    (bc->ev = event_new(d->base, fd, 0, conn_io, bc)) == NULL)
		fatalx("event_new failed");
	log_cdebug(bc->ctx, "new %s connection", side == BK_SIDE_PUB ?
	    "publisher" : "subscriber");
	/* A flood of silent connections from one address starves only it. */
	if ((hs = hs_get(d, bc->ip, 1)) != NULL) {
		if (hs->n >= BKD_HS_PER_ADDR) {
			conn_close(bc, "%u TLS handshakes from this address in progress "
			    "already", hs->n);
			return;
		}
		hs->n++;
		bc->hs_counted = 1;
	}
	conn_start_tls(bc);
}

/*
 * Watch the socket for what the connection needs now: the handshake's
 * wish, or reading (unless throttled) plus writing while output waits.
 */
static int
conn_watch(struct bconn *bc, short what)
{
	return pl_event_watch(bc->ev, &bc->watching, what);
}

/* After the handshake: read unless throttled, write while output waits. */
static void
conn_rewatch(struct bconn *bc)
{
	short	 what = 0;

	if (bc->state == BC_OPEN)
		what |= EV_READ;
	if (bc->detached && rtls_unsent(&bc->tls) > 0)
		what |= EV_WRITE;
	if (conn_watch(bc, what) == -1)
		conn_doom(bc, "cannot watch the connection");
}

/* The throttle's pause is over: read the client's requests now. */
static void
conn_delay_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct bconn	*bc = arg;

	(void)fd;
	(void)ev;
	bc->state = BC_OPEN;
	event_assign(bc->timer, bc->d->base, -1, 0, conn_timeout, bc);
	timer_ns(bc->timer, bc->d->conf->request_timeout);
	if (conn_watch(bc, EV_READ | (rtls_unsent(&bc->tls) > 0 ? EV_WRITE :
	    0)) == -1)
		conn_close(bc, "cannot watch the connection: %s", strerror(errno));
}

static void
conn_start_tls(struct bconn *bc)
{
	struct bkd	*d = bc->d;

	bc->state = BC_HANDSHAKE;
	if ((bc->ssl = SSL_new(d->ctx)) == NULL || SSL_set_fd(bc->ssl,
	    bc->fd) != 1) {
		conn_close(bc, "cannot create a TLS session");
		return;
	}
	SSL_set_accept_state(bc->ssl);
	SSL_set_options(bc->ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
	timer_ns(bc->timer, d->conf->handshake_timeout);
	/* The client speaks first. */
	if (conn_watch(bc, EV_READ) == -1)
		conn_close(bc, "cannot watch the connection: %s", strerror(errno));
}

static void
conn_handshake(struct bconn *bc)
{
	unsigned long	 e;
	char		 why[300];
	int		 r = 0, se;

	switch (cred_tls_handshake(bc->ssl, &e, &se)) {
	case CRED_HS_DONE:
		conn_established(bc);
		return;
	case CRED_HS_WANT_READ:
		r = conn_watch(bc, EV_READ);
		break;
	case CRED_HS_WANT_WRITE:
		r = conn_watch(bc, EV_WRITE);
		break;
	case CRED_HS_CLOSED:
		conn_close(bc, "closed during the TLS handshake%s%s",
		    se != 0 ? ": " : "", se != 0 ? strerror(se) : "");
		return;
	case CRED_HS_FAILED:
	default:
		if (e != 0)
			cred_tls_reason(bc->ssl, e, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "%s", strerror(se));
		conn_close(bc, "TLS handshake failed: %s", why);
		return;
	}
	if (r == -1)
		conn_close(bc, "cannot watch the connection: %s", strerror(errno));
}

static void
conn_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct bconn	*bc = arg;

	(void)fd;
	(void)ev;
	if (bc->state == BC_HANDSHAKE)
		conn_close(bc, "TLS handshake timed out");
	else if (bc->state == BC_DELAYED)
		return;
	else if (!bc->accepted)
		conn_close(bc, "no complete request in time");
	else
		conn_close(bc, "a message was begun but not finished in time");
}

/*
 * Everything a socket event leads to runs with bc->busy set: a close deep
 * inside (a bad record, a refused message) tears the connection down but
 * leaves the struct to be freed here, once nothing up the stack uses it.
 */
static void
conn_io(evutil_socket_t fd, short what, void *arg)
{
	struct bconn	*bc = arg;

	(void)fd;
	bc->busy = 1;
	if (bc->state == BC_HANDSHAKE)
		conn_handshake(bc);
	else {
		if ((what & EV_WRITE) && conn_flush(bc) == -1)
			conn_close(bc, "%s", bc->dead_why != NULL ?
			    bc->dead_why : "write failed");
		if ((what & EV_READ) && bc->state == BC_OPEN &&
		    bc->dead_why == NULL)
			conn_readable(bc);
		if (bc->state != BC_DEAD && bc->dead_why == NULL)
			conn_rewatch(bc);
	}
	bc->busy = 0;
	if (bc->state == BC_DEAD)
		free(bc);
}

/*
 * The client's agent key is the subject key of its one verified
 * certificate.  That key and the traffic secrets are all a broker keeps of
 * the handshake: the connection leaves OpenSSL here (cred_tls_detach), so
 * an idle subscription costs a few hundred bytes instead of OpenSSL's
 * SSL object, session and the client's certificate (about 14 KiB).
 */
static void
conn_established(struct bconn *bc)
{
	const struct cred_chain	*ch;
	struct throttle		*t;
	struct rec13		 rec;
	uint64_t		 ms;
	unsigned		 n;
	char			 why[200];

	hs_done(bc);
	ch = cred_tls_peer_chain(bc->ssl);
	if (ch == NULL || ch->n != 1) {
		conn_close(bc, "client presented no agent certificate");
		return;
	}
	bk_conn_init(&bc->pc, &bc->d->st, bc->side, bc, ch->cert[0].key);
	bc->has_pc = 1;
	pl_hex(ch->cert[0].key, BK_KEY_LEN, bc->agent);
	if (cred_tls_detach(bc->ssl, &rec, why, sizeof(why)) == -1) {
		conn_close(bc, "cannot take the TLS connection over: %s", why);
		return;
	}
	rtls_init(&bc->tls, bc->fd, &rec);
	rec13_wipe(&rec);
	bc->detached = 1;
	log_cdebug(bc->ctx, "TLS established (%s), agent key %.16s...",
	    rec13_suite_name(bc->tls.rec.suite), bc->agent);
	cred_tls_release(bc->ssl);
	SSL_free(bc->ssl);	/* the socket stays ours (SSL_set_fd) */
	bc->ssl = NULL;
	bc->state = BC_OPEN;
	/*
	 * A client refused again and again (a 1.1.0 endpoint retries at once,
	 * about 11 times a second) waits before its requests are read: 100 ms
	 * doubling to 10 s.  Only that agent key is slowed down.
	 */
	t = throttle_get(bc->d, bc->agent, 0);
	if (t != NULL && t->refused >= BKD_THROTTLE_AFTER) {
		n = t->refused - BKD_THROTTLE_AFTER;
		ms = 100ull << (n < 7 ? n : 7);
		if (ms > BKD_THROTTLE_MAX_MS)
			ms = BKD_THROTTLE_MAX_MS;
		log_cinfo(bc->ctx, "refused %u times in a row: answering in %llu ms",
		    t->refused, (unsigned long long)ms);
		bc->state = BC_DELAYED;
		if (conn_watch(bc, 0) == -1)
			return;
		evtimer_del(bc->timer);
		event_assign(bc->timer, bc->d->base, -1, 0, conn_delay_cb, bc);
		timer_ns(bc->timer, ms * 1000000ull);
		return;
	}
	timer_ns(bc->timer, bc->d->conf->request_timeout);
	if (conn_watch(bc, EV_READ) == -1)
		conn_close(bc, "cannot watch the connection: %s", strerror(errno));
}

/*
 * Read what the socket has, a turn's worth at most (the loop is
 * level-triggered), and reassemble messages from the plaintext.  rtls
 * answers a KeyUpdate by itself and keeps a read buffer only while a
 * record is half-way.
 */
static void
conn_readable(struct bconn *bc)
{
	uint8_t		 buf[REC13_PT_MAX];
	enum rtls_res	 r = RTLS_OK;
	size_t		 n, got = 0;

	while (bc->state == BC_OPEN && bc->dead_why == NULL &&
	    got < 4 * sizeof(buf)) {
		if ((r = rtls_read(&bc->tls, buf, sizeof(buf), &n)) != RTLS_OK)
			break;
		got += n;
		conn_plaintext(bc, buf, n);
	}
	if (bc->state != BC_OPEN || bc->dead_why != NULL)
		return;
	switch (r) {
	case RTLS_OK:
		event_active(bc->ev, EV_READ, 0);	/* more may be buffered */
		break;
	case RTLS_WANT_READ:
		rtls_idle(&bc->tls);
		break;
	case RTLS_CLOSED:
		conn_close(bc, "peer closed the connection (close_notify)");
		return;
	case RTLS_EOF:
		conn_close(bc, "peer closed the connection");
		return;
	case RTLS_ERROR:
		bc->detached = 0;	/* no close_notify over a broken stream */
		conn_close(bc, "TLS: %s", bc->tls.why);
		return;
	}
	/* Idle established clients wait forever; a half message does not. */
	if (bc->accepted && !rtls_pending(&bc->tls) && bc->tls.inlen == 0 &&
	    bc->msglen == 0)
		evtimer_del(bc->timer);
	else if (bc->accepted || (bc->tls.inlen == 0 && bc->msglen == 0))
		timer_ns(bc->timer, bc->d->conf->request_timeout);
}

/* Reassemble broker messages from the plaintext and hand them on. */
static void
conn_plaintext(struct bconn *bc, const uint8_t *p, size_t n)
{
	const uint8_t	*m;
	size_t		 take, len;

	while (n > 0 && bc->state == BC_OPEN && bc->dead_why == NULL) {
		if (bc->msglen == 0) {
			/* Whole messages straight from the record. */
			if (conn_msg_len(bc, p, n, &len) == -1)
				return;
			if (len != 0 && len <= n) {
				conn_message(bc, p, len);
				p += len;
				n -= len;
				continue;
			}
		}
		/* A message cut by the record: gather it in bc->msg. */
		if (bc->msg == NULL) {
			bc->msgcap = PL_HLEN;
			bc->msg = xmalloc(bc->msgcap);
		}
		if (bc->msglen < PL_HLEN)
			take = PL_HLEN - bc->msglen;
		else
			take = bc->msgcap - bc->msglen;
		if (take > n)
			take = n;
		memcpy(bc->msg + bc->msglen, p, take);
		bc->msglen += take;
		p += take;
		n -= take;
		if (bc->msglen < PL_HLEN)
			return;
		if (conn_msg_len(bc, bc->msg, bc->msglen, &len) == -1)
			return;
		if (bc->msgcap < len) {
			bc->msg = xrealloc(bc->msg, len);
			bc->msgcap = len;
			continue;
		}
		if (bc->msglen < len)
			continue;
		m = bc->msg;
		bc->msg = NULL;
		bc->msglen = bc->msgcap = 0;
		conn_message(bc, m, len);
		free((void *)(uintptr_t)m);
	}
}

/*
 * The length of the message that starts at p (0 while its header is
 * incomplete), or -1 when its type or size is not acceptable here (the
 * connection is closed).
 */
static int
conn_msg_len(struct bconn *bc, const uint8_t *p, size_t n, size_t *len)
{
	size_t	 bodylen, max;

	*len = 0;
	if (n < PL_HLEN)
		return 0;
	bodylen = pl_get32(p) & 0xFFFFFFu;
	max = bk_conn_body_max(&bc->pc, p[0]);
	if (max == 0 || bodylen > max) {
		if (bc->pc.sub != NULL)
			conn_close(bc, "%s (0x%02x) after the subscription was "
			    "made (a subscriber sends nothing more)",
			    pl_type_name(p[0]), p[0]);
		else if (max == 0)
			conn_close(bc, "unexpected message %s (0x%02x) on the %s "
			    "port", pl_type_name(p[0]), p[0], bc->side ==
			    BK_SIDE_PUB ? "publisher" : "subscriber");
		else
			conn_close(bc, "%s body of %zu bytes (limit %zu)",
			    pl_type_name(p[0]), bodylen, max);
		return -1;
	}
	*len = PL_HLEN + bodylen;
	return 0;
}

static void
conn_message(struct bconn *bc, const uint8_t *m, size_t len)
{
	struct timespec	 ts;
	struct throttle	*t;
	char		 why[512];

	clock_gettime(CLOCK_REALTIME, &ts);
	if (bk_conn_msg(&bc->pc, m, len, (int64_t)ts.tv_sec,
	    (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec,
	    why, sizeof(why)) == -1) {
		conn_close(bc, "%s", why);
		return;
	}
	if (!bc->accepted && bc->pc.naccepted > 0) {
		bc->accepted = 1;
		if ((t = throttle_get(bc->d, bc->agent, 0)) != NULL)
			t->refused = 0;
	}
	if (bc->side == BK_SIDE_PUB)
		bkd_expiry_rearm(bc->d);
}

/*
 * Write what waits.  -1: the peer is gone (dead_why says why, and the
 * caller closes, or the reaper does).
 */
static int
conn_flush(struct bconn *bc)
{
	char	 why[260];

	if (rtls_flush(&bc->tls) == RTLS_OK)
		return 0;
	snprintf(why, sizeof(why), "connection error: %s", bc->tls.why);
	conn_doom(bc, why);
	return -1;
}

/* The one way a connection ends. */
static void
conn_close(struct bconn *bc, const char *fmt, ...)
{
	struct bkd	*d = bc->d;
	struct throttle	*t;
	char		 why[600];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (bc->state == BC_DEAD)
		return;
	if (bc->accepted)
		log_cinfo(bc->ctx, "closed: %s", why);
	else {
		log_cinfo(bc->ctx, "closed before any accepted request: %s", why);
		if (bc->agent[0] != '\0' && (t = throttle_get(d, bc->agent, 1)) != NULL)
			t->refused++;
	}
	hs_done(bc);
	if (bc->has_pc)
		bk_conn_clear(&bc->pc, bc->side == BK_SIDE_PUB ?
		    "publisher connection closed" : "");
	bc->state = BC_DEAD;
	/*
	 * Last words, if the socket takes them now: what was queued (an
	 * error result, say) and a close_notify.  Never waited for.
	 */
	if (bc->detached && bc->dead_why == NULL)
		(void)rtls_close_notify(&bc->tls);
	evtimer_del(bc->timer);
	event_free(bc->timer);
	event_free(bc->ev);
	if (bc->ssl != NULL) {
		cred_tls_release(bc->ssl);
		SSL_free(bc->ssl);
	}
	rtls_free(&bc->tls);
	if (bc->fd != -1)
		close(bc->fd);
	free(bc->msg);
	free(bc->dead_why);
	bc->msg = NULL;
	bc->msglen = 0;
	bc->dead_why = NULL;
	bc->fd = -1;
	TAILQ_REMOVE(&d->conns, bc, entry);
	d->nconns--;
	if (!bc->busy)
		free(bc);	/* else conn_io frees it on its way out */
}

/* Close from the reaper, not from inside a store walk over subscriptions. */
static void
conn_doom(struct bconn *bc, const char *why)
{
	if (bc->dead_why != NULL || bc->state == BC_DEAD)
		return;
	bc->dead_why = xstrdup(why);
	event_active(bc->d->reaper, EV_TIMEOUT, 0);
}

static void
reaper_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct bkd	*d = arg;
	struct bconn	*bc, *n;

	(void)fd;
	(void)ev;
	for (bc = TAILQ_FIRST(&d->conns); bc != NULL; bc = n) {
		n = TAILQ_NEXT(bc, entry);
		if (bc->dead_why != NULL)
			conn_close(bc, "%s", bc->dead_why);
	}
}

void
bkd_close_all(struct bkd *d, const char *why)
{
	struct bconn		*bc;
	struct bklistener	*l;

	while ((bc = TAILQ_FIRST(&d->conns)) != NULL)
		conn_close(bc, "%s", why);
	while ((l = TAILQ_FIRST(&d->listeners)) != NULL) {
		TAILQ_REMOVE(&d->listeners, l, entry);
		event_free(l->ev);
		close(l->fd);
		free(l);
	}
}

/* ---- pub_end expiry: one timer for the earliest ---- */

void
bkd_events_init(struct bkd *d)
{
	if ((d->reaper = event_new(d->base, -1, 0, reaper_cb, d)) == NULL ||
	    (d->expiry = evtimer_new(d->base, expiry_cb, d)) == NULL ||
	    (d->accept_resume = evtimer_new(d->base, listener_resume, d)) == NULL)
		fatalx("event_new failed");
}

void
bkd_events_free(struct bkd *d)
{
	event_free(d->reaper);
	event_free(d->expiry);
	event_free(d->accept_resume);
}

void
bkd_expiry_rearm(struct bkd *d)
{
	uint64_t	 now, next;

	now = now_ns();
	next = bk_store_expire(&d->st, now);
	if (next == UINT64_MAX)
		evtimer_del(d->expiry);
	else
		timer_ns(d->expiry, next - now + 1000000ull);
}

static void
expiry_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	bkd_expiry_rearm(arg);
}

/* ---- the store's view of a connection ---- */

static void
ops_send(void *udata, const uint8_t *m, size_t len)
{
	struct bconn	*bc = udata;

	if (bc->dead_why != NULL || !bc->detached || bc->state == BC_DEAD)
		return;
	if (rtls_unsent(&bc->tls) + len > BKD_OUT_MAX) {
		conn_doom(bc, "peer does not read: output limit reached");
		return;
	}
	/* Written now; what the socket does not take waits for EV_WRITE. */
	if (rtls_write(&bc->tls, m, len) != RTLS_OK) {
		char	 why[260];

		snprintf(why, sizeof(why), "connection error: %s", bc->tls.why);
		conn_doom(bc, why);
		return;
	}
	conn_rewatch(bc);
}

static void
ops_log(void *udata, int level, const char *text)
{
	struct bconn	*bc = udata;

	switch (level) {
	case LOG_LVL_WARN:
		log_cwarnx(bc->ctx, "%s", text);
		break;
	case LOG_LVL_INFO:
		log_cinfo(bc->ctx, "%s", text);
		break;
	default:
		log_cdebug(bc->ctx, "%s", text);
		break;
	}
}

/* ---- helpers ---- */

static struct throttle *
throttle_get(struct bkd *d, const char *ip, int create)
{
	struct throttle	*t, *old = NULL;
	size_t		 i;

	for (i = 0; i < BKD_THROTTLE_SLOTS; i++) {
		t = &d->thr[i];
		if (t->ip[0] != '\0' && strcmp(t->ip, ip) == 0) {
			t->last = now_ns();
			return t;
		}
		if (old == NULL || t->last < old->last)
			old = t;
	}
	if (!create)
		return NULL;
	memset(old, 0, sizeof(*old));
	pl_strlcpy(old->ip, ip, sizeof(old->ip));
	old->last = now_ns();
	return old;
}

static struct hscount *
hs_get(struct bkd *d, const char *ip, int create)
{
	struct hscount	*free_slot = NULL;
	size_t		 i;

	for (i = 0; i < BKD_HS_SLOTS; i++) {
		if (d->hs[i].n == 0) {
			if (free_slot == NULL)
				free_slot = &d->hs[i];
			continue;
		}
		if (strcmp(d->hs[i].ip, ip) == 0)
			return &d->hs[i];
	}
	if (!create || free_slot == NULL)
		return NULL;	/* every slot busy: not counted */
	pl_strlcpy(free_slot->ip, ip, sizeof(free_slot->ip));
	return free_slot;
}

static void
hs_done(struct bconn *bc)
{
	struct hscount	*hs;

	if (!bc->hs_counted)
		return;
	bc->hs_counted = 0;
	if ((hs = hs_get(bc->d, bc->ip, 0)) != NULL && hs->n > 0)
		hs->n--;
}

static void
timer_ns(struct event *ev, uint64_t ns)
{
	struct timeval	 tv;

	tv.tv_sec = (time_t)(ns / 1000000000ull);
	tv.tv_usec = (suseconds_t)((ns % 1000000000ull) / 1000);
	xevent_add(ev, &tv, "broker timer");
}

static uint64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
