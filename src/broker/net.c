/*
 * net.c: the broker's sockets.  Listeners for both ports; per connection an
 * agent-mode TLS server (a handshake timeout, the client's agent key taken
 * from its verified certificate), byte-stream reassembly of messages that
 * clients write as several records, a bounded input and output, and one
 * close funnel with a reason.  Idle established clients are never timed
 * out: TCP keepalive finds dead ones.  A peer refused several times in a
 * row (by agent key) is answered more slowly.
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

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
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
static void	 conn_delay_cb(evutil_socket_t, short, void *);
static void	 conn_timeout(evutil_socket_t, short, void *);
static void	 conn_event(struct bufferevent *, short, void *);
static void	 conn_read(struct bufferevent *, void *);
static void	 conn_established(struct bconn *);
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
		sslen = sizeof(ss);
		c = accept4(fd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c == -1) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* Out of descriptors: wait instead of spinning. */
				log_warn("accept");
				TAILQ_FOREACH(x, &d->listeners, entry)
					event_del(x->ev);
				evtimer_add(d->accept_resume, &tv);
			} else if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
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
	if ((bc->timer = evtimer_new(d->base, conn_timeout, bc)) == NULL)
		fatalx("evtimer_new failed");
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
	if (bufferevent_enable(bc->bev, EV_READ) == -1) {
		conn_close(bc, "cannot watch the connection: %s", strerror(errno));
		return;
	}
	conn_read(bc->bev, bc);
}

static void
conn_start_tls(struct bconn *bc)
{
	struct bkd	*d = bc->d;

	bc->state = BC_HANDSHAKE;
	if ((bc->ssl = SSL_new(d->ctx)) == NULL) {
		conn_close(bc, "cannot create a TLS session");
		return;
	}
	SSL_set_options(bc->ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* Idle subscriptions are the common case: no 16 KiB buffers for them. */
	SSL_set_mode(bc->ssl, SSL_MODE_RELEASE_BUFFERS);
	bc->bev = bufferevent_openssl_socket_new(d->base, bc->fd, bc->ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bc->bev == NULL) {
		SSL_free(bc->ssl);
		bc->ssl = NULL;
		conn_close(bc, "cannot create a TLS buffer");
		return;
	}
	bc->fd = -1;	/* the bufferevent owns it now */
	bufferevent_openssl_set_allow_dirty_shutdown(bc->bev, 1);
	/*
	 * Each read reserves its size in the input buffer, and an idle
	 * connection keeps that empty reservation: small reads keep an idle
	 * subscription small (broker messages are a few hundred bytes).
	 */
	bufferevent_set_max_single_read(bc->bev, 1024);
	bufferevent_setcb(bc->bev, conn_read, NULL, conn_event, bc);
	/* Never buffer more than one largest message (a certificate) and a header. */
	bufferevent_setwatermark(bc->bev, EV_READ, 0, PL_HLEN +
	    (BK_CERT_MAX > BK_BODY_MAX ? BK_CERT_MAX : BK_BODY_MAX));
	if (bufferevent_enable(bc->bev, EV_READ | EV_WRITE) == -1) {
		conn_close(bc, "cannot watch the connection: %s", strerror(errno));
		return;
	}
	timer_ns(bc->timer, d->conf->handshake_timeout);
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

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct bconn	*bc = arg;
	unsigned long	 e;
	char		 why[300];

	if (what & BEV_EVENT_CONNECTED) {
		conn_established(bc);
		return;
	}
	if (bc->state == BC_HANDSHAKE) {
		if (what & BEV_EVENT_EOF)
			conn_close(bc, "closed during the TLS handshake");
		else {
			e = bufferevent_get_openssl_error(bev);
			cred_tls_reason(bc->ssl, e, why, sizeof(why));
			conn_close(bc, "TLS handshake failed: %s", why);
		}
		return;
	}
	if (what & BEV_EVENT_EOF)
		conn_close(bc, "peer closed the connection");
	else {
		e = bufferevent_get_openssl_error(bev);
		if (e != 0)
			cred_tls_reason(bc->ssl, e, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "%s", strerror(errno));
		conn_close(bc, "connection error: %s", why);
	}
}

/* The client's agent key is the subject key of its one verified certificate. */
static void
conn_established(struct bconn *bc)
{
	const struct cred_chain	*ch;
	struct throttle		*t;
	uint64_t		 ms;
	unsigned		 n;

	hs_done(bc);
	ch = cred_tls_peer_chain(bc->ssl);
	if (ch == NULL || ch->n != 1) {
		conn_close(bc, "client presented no agent certificate");
		return;
	}
	bc->state = BC_OPEN;
	bk_conn_init(&bc->pc, &bc->d->st, bc->side, bc, ch->cert[0].key);
	bc->has_pc = 1;
	pl_hex(ch->cert[0].key, BK_KEY_LEN, bc->agent);
	log_cdebug(bc->ctx, "TLS established, agent key %.16s...", bc->agent);
	/* The agent key is all a broker keeps of the handshake. */
	cred_tls_release(bc->ssl);
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
		bufferevent_disable(bc->bev, EV_READ);
		evtimer_del(bc->timer);
		event_assign(bc->timer, bc->d->base, -1, 0, conn_delay_cb, bc);
		timer_ns(bc->timer, ms * 1000000ull);
		return;
	}
	timer_ns(bc->timer, bc->d->conf->request_timeout);
	conn_read(bc->bev, bc);
}

/* Reassemble whole messages from the byte stream and hand them on. */
static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct bconn	*bc = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	struct timespec	 ts;
	uint8_t		 h[PL_HLEN], *m;
	size_t		 bodylen, max, len;
	char		 why[512];

	while (bc->state == BC_OPEN && bc->dead_why == NULL) {
		if (evbuffer_copyout(in, h, PL_HLEN) < PL_HLEN)
			break;
		bodylen = pl_get32(h) & 0xFFFFFFu;
		max = bk_conn_body_max(&bc->pc, h[0]);
		if (max == 0 || bodylen > max) {
			if (bc->pc.sub != NULL)
				conn_close(bc, "%s (0x%02x) after the subscription was "
				    "made (a subscriber sends nothing more)",
				    pl_type_name(h[0]), h[0]);
			else if (max == 0)
				conn_close(bc, "unexpected message %s (0x%02x) on the %s "
				    "port", pl_type_name(h[0]), h[0], bc->side ==
				    BK_SIDE_PUB ? "publisher" : "subscriber");
			else
				conn_close(bc, "%s body of %zu bytes (limit %zu)",
				    pl_type_name(h[0]), bodylen, max);
			return;
		}
		len = PL_HLEN + bodylen;
		if (evbuffer_get_length(in) < len)
			break;
		if ((m = evbuffer_pullup(in, (ssize_t)len)) == NULL)
			fatalx("evbuffer_pullup failed");
		clock_gettime(CLOCK_REALTIME, &ts);
		if (bk_conn_msg(&bc->pc, m, len, (int64_t)ts.tv_sec,
		    (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec,
		    why, sizeof(why)) == -1) {
			conn_close(bc, "%s", why);
			return;
		}
		evbuffer_drain(in, len);
		if (!bc->accepted && bc->pc.naccepted > 0) {
			struct throttle	*t;

			bc->accepted = 1;
			if ((t = throttle_get(bc->d, bc->agent, 0)) != NULL)
				t->refused = 0;
		}
		if (bc->side == BK_SIDE_PUB)
			bkd_expiry_rearm(bc->d);
	}
	if (bc->state != BC_OPEN || bc->dead_why != NULL)
		return;
	/* Idle established clients wait forever; a half message does not. */
	if (bc->accepted && evbuffer_get_length(in) == 0)
		evtimer_del(bc->timer);
	else if (bc->accepted || evbuffer_get_length(in) == 0)
		timer_ns(bc->timer, bc->d->conf->request_timeout);
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
	evtimer_del(bc->timer);
	event_free(bc->timer);
	if (bc->bev != NULL)
		bufferevent_free(bc->bev);	/* frees the SSL, closes the socket */
	else if (bc->fd != -1)
		close(bc->fd);
	TAILQ_REMOVE(&d->conns, bc, entry);
	d->nconns--;
	free(bc);
}

/* Close from the reaper, not from inside a store walk over subscriptions. */
static void
conn_doom(struct bconn *bc, const char *why)
{
	if (bc->dead_why != NULL || bc->state == BC_DEAD)
		return;
	pl_strlcpy(bc->dead_buf, why, sizeof(bc->dead_buf));
	bc->dead_why = bc->dead_buf;
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
	struct evbuffer	*out;

	if (bc->dead_why != NULL || bc->bev == NULL)
		return;
	out = bufferevent_get_output(bc->bev);
	if (evbuffer_get_length(out) + len > BKD_OUT_MAX) {
		conn_doom(bc, "peer does not read: output limit reached");
		return;
	}
	evbuffer_add(out, m, len);
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
