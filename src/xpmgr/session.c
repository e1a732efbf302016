/*
 * session.c: one endpoint, from accept to the summary line.
 *
 *   HANDSHAKE  TLS 1.3 server handshake (HandshakeTimeout)
 *   SETUP      cdata "monitor" for each program the chain lists, then
 *              start, each answered by a result (SetupTimeout)
 *   GATED      ready to start but -n has every remaining slot in flight
 *   RELAY      the mlet runs; relay.c moves messages
 *   CLOSING    flushing what the surviving side still needs, bounded
 *   CLOSED     sockets gone; waiting for the mlet to be reaped
 *
 * Every end goes through session_close() (or session_abort()) with a
 * reason, first one wins; the summary is logged once both the sockets are
 * closed and the mlet is reaped, and the object is freed on a later loop
 * turn, so no callback ever runs on freed memory.
 */
#include <sys/types.h>
#include <sys/socket.h>

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
#include <openssl/ssl.h>

#include <pktlab/wire.h>

#include "util/event.h"
#include "util/log.h"
#include "util/util.h"
#include "conf/xpconf.h"
#include "cred/rtls.h"
#include "cred/tls.h"
#include "xpmgr/daemon.h"

static void	 ep_io(evutil_socket_t fd, short what, void *arg);
static void	 ep_handshake(struct session *s);
static void	 ep_established(struct session *s);
static void	 ep_setup_io(struct session *s, short what);
static void	 ep_setup_read(struct session *s);
static void	 ep_setup_ended(struct session *s, enum rtls_res r);
static void	 session_timeout(evutil_socket_t fd, short ev, void *arg);
static void	 setup_begin(struct session *s);
static void	 setup_next(struct session *s);
static void	 setup_result(struct session *s, const struct pl_msg *m);
static void	 setup_started(struct session *s);
static void	 session_send(struct session *s, const struct pl_msg *m);
static void	 session_child_exited(void *arg, pid_t pid, int status);
static void	 session_over(struct session *s);
static void	 session_set_ctx(struct session *s, const char *sni);
static void	 timer_ns(struct session *s, uint64_t ns);
static void	 set_sockopts(int fd);
static void	 session_unpend(struct session *s);

void
session_new(struct xpd *d, int fd, const struct sockaddr *sa, socklen_t salen)
{
	struct session	*s;

	s = xcalloc(1, sizeof(*s));
	s->d = d;
	s->id = ++d->next_sid;
	s->state = XP_S_HANDSHAKE;
	clock_gettime(CLOCK_MONOTONIC, &s->t_start);
	clock_gettime(CLOCK_REALTIME, &s->t_wall);
	d->nconn++;
	xp_peerstr(sa, salen, s->peer, sizeof(s->peer));
	xp_epaddr(sa, salen, s->epaddr, sizeof(s->epaddr));
	session_set_ctx(s, NULL);
	TAILQ_INSERT_TAIL(&d->sessions, s, entry);
	d->nsessions++;
	s->pending = 1;
	d->npending++;

	set_sockopts(fd);
	if ((s->timer = evtimer_new(d->base, session_timeout, s)) == NULL)
		fatalx("evtimer_new failed");
	/*
	 * OpenSSL does the handshake on the socket; then the session leaves
	 * it (ep_handshake) and the endpoint's records are ours (cred/rtls.h):
	 * a held session keeps a few hundred bytes of TLS state, not
	 * OpenSSL's 14 KiB.
	 */
	s->ep = xcalloc(1, sizeof(*s->ep));
	s->ep->fd = fd;
	if ((s->ep_ev = event_new(d->base, fd, 0, ep_io, s)) == NULL)
		fatalx("event_new failed");
	if ((s->ssl = xp_tls_ssl_new(d->tls)) == NULL ||
	    SSL_set_fd(s->ssl, fd) != 1) {
		session_abort(s, XP_END_FAIL, "cannot create a TLS session");
		return;
	}
	SSL_set_accept_state(s->ssl);
	/* The endpoint speaks first (ClientHello). */
	if (session_ep_watch(s, EV_READ) == -1) {
		session_abort(s, XP_END_FAIL, "cannot watch the connection: %s",
		    strerror(errno));
		return;
	}
	timer_ns(s, d->conf->handshake_timeout);
	log_cinfo(s->ctx, "new endpoint connection");
}

/* Keepalive finds vanished endpoints in a long relay; no Nagle delay for small requests. */
static void
set_sockopts(int fd)
{
	int	 one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) == -1)
		log_debug("SO_KEEPALIVE: %s", strerror(errno));
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		log_debug("TCP_NODELAY: %s", strerror(errno));
}

static void
session_set_ctx(struct session *s, const char *sni)
{
	if (sni == NULL)
		snprintf(s->ctx, sizeof(s->ctx), "s%llu %s",
		    (unsigned long long)s->id, s->peer);
	else
		snprintf(s->ctx, sizeof(s->ctx), "s%llu %s sni=%s",
		    (unsigned long long)s->id, s->peer, sni[0] != '\0' ? sni : "-");
}

static void
timer_ns(struct session *s, uint64_t ns)
{
	struct timeval	 tv;

	tv.tv_sec = (time_t)(ns / 1000000000ull);
	tv.tv_usec = (suseconds_t)((ns % 1000000000ull) / 1000);
	xevent_add(s->timer, &tv, "session timer");
}

void
session_timer_ms(struct session *s, unsigned ms)
{
	timer_ns(s, (uint64_t)ms * 1000000ull);
}

/* ---- handshake and setup ---- */

/* Watch the endpoint's socket for what (0: nothing); -1: epoll refused. */
int
session_ep_watch(struct session *s, short what)
{
	if (s->ep_ev == NULL)
		return 0;
	return pl_event_watch(s->ep_ev, &s->ep_watch, what);
}

static void
ep_io(evutil_socket_t fd, short what, void *arg)
{
	struct session	*s = arg;

	(void)fd;
	switch (s->state) {
	case XP_S_HANDSHAKE:
		ep_handshake(s);
		break;
	case XP_S_SETUP:
	case XP_S_GATED:
		ep_setup_io(s, what);
		break;
	case XP_S_CLOSING:
		relay_ep_event(s, what);
		break;
	default:
		/* The relay has events of its own. */
		(void)session_ep_watch(s, 0);
		break;
	}
}

static void
ep_handshake(struct session *s)
{
	char		 why[400];
	unsigned long	 err;
	int		 r, se;

	switch (cred_tls_handshake(s->ssl, &err, &se)) {
	case CRED_HS_DONE:
		ep_established(s);
		return;
	case CRED_HS_WANT_READ:
		r = session_ep_watch(s, EV_READ);
		break;
	case CRED_HS_WANT_WRITE:
		r = session_ep_watch(s, EV_WRITE);
		break;
	case CRED_HS_CLOSED:
	case CRED_HS_FAILED:
	default:
		s->ep_gone = 1;
		if (err != 0)
			session_close(s, XP_END_FAIL, "TLS handshake failed: %s",
			    xp_tls_failure(s->ssl, err, why, sizeof(why)));
		else
			/* A socket error is the endpoint gone, as EOF. */
			session_close(s, XP_END_FAIL, "endpoint closed the connection "
			    "during the TLS handshake%s%s", se != 0 ? ": " : "",
			    se != 0 ? strerror(se) : "");
		return;
	}
	if (r == -1)
		session_abort(s, XP_END_FAIL, "cannot watch the connection: %s",
		    strerror(errno));
}

/* The handshake is done: the endpoint's TLS leaves OpenSSL, setup begins. */
static void
ep_established(struct session *s)
{
	struct rec13	 rec;
	char		 why[400];

	if (cred_tls_detach(s->ssl, &rec, why, sizeof(why)) == -1) {
		s->ep_gone = 1;
		session_close(s, XP_END_FAIL, "cannot take the TLS connection "
		    "over: %s", why);
		return;
	}
	rtls_init(s->ep, s->ep->fd, &rec);
	rec13_wipe(&rec);
	if ((s->ep_in = evbuffer_new()) == NULL)
		fatalx("evbuffer_new failed");
	setup_begin(s);
	/* What setup_begin needed of the handshake is copied: free it. */
	if (s->ssl != NULL) {
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	if (s->state == XP_S_SETUP || s->state == XP_S_GATED)
		ep_setup_io(s, EV_READ);
}

/*
 * Setup: read what the endpoint sent (at most one largest frame ahead),
 * parse it, and write what waits.  The endpoint's end, once what it sent
 * before is parsed, ends the session with the reason setup gives it.
 */
static void
ep_setup_io(struct session *s, short what)
{
	uint8_t		 buf[16384];
	enum rtls_res	 r = RTLS_OK;
	size_t		 n;

	if (s->ep_gone) {
		ep_setup_ended(s, RTLS_ERROR);
		return;
	}
	if ((what & EV_WRITE) && rtls_flush(s->ep) != RTLS_OK) {
		ep_setup_ended(s, RTLS_ERROR);
		return;
	}
	if (what & EV_READ) {
		/*
		 * A record at a time, parsed at once: what follows the start
		 * result is the relay's to read, at the relay's pace.
		 */
		while (evbuffer_get_length(s->ep_in) < PL_HLEN + XP_FRAME_BODY_MAX) {
			r = rtls_read(s->ep, buf, sizeof(buf), &n);
			if (r != RTLS_OK)
				break;
			if (evbuffer_add(s->ep_in, buf, n) == -1)
				fatalx("evbuffer_add failed");
			ep_setup_read(s);
			if (s->state != XP_S_SETUP && s->state != XP_S_GATED)
				return;
		}
		if (r == RTLS_WANT_READ)
			rtls_idle(s->ep);
		ep_setup_read(s);
		if (s->state != XP_S_SETUP && s->state != XP_S_GATED)
			return;
		if (r != RTLS_OK && r != RTLS_WANT_READ) {
			ep_setup_ended(s, r);
			return;
		}
	}
	if (session_ep_watch(s, EV_READ | (rtls_unsent(s->ep) > 0 ? EV_WRITE :
	    0)) == -1)
		session_abort(s, XP_END_FAIL, "cannot watch the connection: %s",
		    strerror(errno));
}

static void
ep_setup_ended(struct session *s, enum rtls_res r)
{
	s->ep_gone = 1;
	if (r == RTLS_ERROR)
		session_close(s, XP_END_FAIL, "endpoint connection error during "
		    "setup: %s", s->ep->why[0] != '\0' ? s->ep->why : "I/O error");
	else if (s->ep_msgs_setup == 0)
		/* ERRATA missing fact 2: the endpoint says nothing when it refuses. */
		session_close(s, XP_END_FAIL, "endpoint disconnected right after TLS "
		    "without a message: its exp_priority may exceed the chain's "
		    "max_num_priority, or it could not use our certificate chain");
	else
		session_close(s, XP_END_FAIL, "endpoint disconnected during setup "
		    "(awaiting the result of %s)", pl_type_name(s->await_type));
}

static void
setup_begin(struct session *s)
{
	struct xpd	*d = s->d;
	const char	*sni;
	size_t		 n;

	s->state = XP_S_SETUP;
	sni = xp_tls_sni(s->ssl);
	session_set_ctx(s, sni != NULL ? sni : "");
	s->xe = xp_tls_entry(d->tls, s->ssl);
	if (s->xe == NULL) {
		session_close(s, XP_END_FAIL, "TLS handshake chose no ExpExec entry");
		return;
	}
	log_cinfo(s->ctx, "TLS established (%s, %s), ExpExec entry %s%s",
	    SSL_get_version(s->ssl), SSL_get_cipher_name(s->ssl),
	    s->xe->snikey, s->xe->is_default ? " (default)" : "");
	xp_results_tls(s);
	n = xp_tls_peer_ncerts(s->ssl);
	if (!s->xe->has_trusted && n == 0)
		log_cinfo(s->ctx, "endpoint not authenticated: it presented no "
		    "certificate, and this ExpExec entry trusts no operator key");
	else if (!s->xe->has_trusted)
		log_cinfo(s->ctx, "endpoint chain of %zu certificate%s checked for "
		    "form only (top signature unchecked): this ExpExec entry trusts "
		    "no operator key", n, n == 1 ? "" : "s");
	if (d->state != XPD_RUNNING) {
		session_close(s, XP_END_DROPPED, "no longer greeting endpoints");
		return;
	}
	timer_ns(s, d->conf->setup_timeout);
	setup_next(s);
}

/* Next step of the setup: a monitor program, the -n gate, or start. */
static void
setup_next(struct session *s)
{
	struct xpd		*d = s->d;
	const struct xp_prog	*p;
	const uint8_t		*dg;
	struct pl_msg		 m;
	char			 hex[65];

	while (s->next_mon < s->xe->nmonitors) {
		dg = s->xe->monitors[s->next_mon];
		if ((p = xp_progs_find(&d->progs, dg)) != NULL) {
			log_cdebug(s->ctx, "sending monitor program %s", p->name);
			pl_msg_cdata(&m, "monitor", p->enc, p->len);
			session_send(s, &m);
			s->await = 1;
			s->await_type = PL_CDATA;
			return;
		}
		/* As 1.1.0: skipped; the endpoint's start will say if it mattered. */
		if (d->conf->prog_dir != NULL)
			log_cwarnx(s->ctx, "no program in %s has the monitor digest %s, "
			    "skipping it", d->conf->prog_dir, pl_hex(dg, 32, hex));
		s->next_mon++;
	}
	if (!xpd_gate_open(d)) {
		if (s->state != XP_S_GATED) {
			log_cinfo(s->ctx, "ready to start; waiting: -n %llu has every "
			    "remaining slot in flight",
			    (unsigned long long)d->conf->max_attempts);
			s->state = XP_S_GATED;
			TAILQ_INSERT_TAIL(&d->gated, s, gentry);
		}
		return;
	}
	if (s->state == XP_S_GATED) {
		TAILQ_REMOVE(&d->gated, s, gentry);
		s->state = XP_S_SETUP;
	}
	pl_msg_start(&m);
	session_send(s, &m);
	s->await = 1;
	s->await_type = PL_START;
	s->start_inflight = 1;
	d->ninflight++;
}

/*
 * Sealed and written at once; what the socket does not take waits for
 * EV_WRITE.  A failed write is noticed on the next turn (ep_setup_io), not
 * under the feet of the setup step that sends.
 */
static void
session_send(struct session *s, const struct pl_msg *m)
{
	uint8_t		*buf;
	ssize_t		 n;

	if ((n = pl_encode(m, NULL, 0)) < 0)
		fatalx("cannot encode a %s message", pl_type_name(m->type));
	buf = xmalloc((size_t)n);
	if (pl_encode(m, buf, (size_t)n) != n)
		fatalx("cannot encode a %s message", pl_type_name(m->type));
	xp_trace_msg(s, XP_ML2EP, XP_TR_INTERCEPTED, buf, NULL, (size_t)n);
	if (rtls_write(s->ep, buf, (size_t)n) != RTLS_OK) {
		s->ep_gone = 1;
		event_active(s->ep_ev, EV_WRITE, 0);
	} else if (rtls_unsent(s->ep) > 0 &&
	    session_ep_watch(s, EV_READ | EV_WRITE) == -1) {
		s->ep_gone = 1;
		event_active(s->ep_ev, EV_WRITE, 0);
	}
	free(buf);
}

static void
ep_setup_read(struct session *s)
{
	struct xp_frame		 f;
	struct evbuffer		*in = s->ep_in;
	enum xp_frame_res	 r;

	while (s->state == XP_S_SETUP || s->state == XP_S_GATED) {
		r = xp_frame_next(in, XP_FRAME_BODY_MAX, &s->d->scratch, &f);
		if (r == XP_FRAME_NEED)
			return;
		if (r == XP_FRAME_OVERSIZE) {
			session_close(s, XP_END_FAIL, "endpoint sent an %s during setup",
			    f.why);
			return;
		}
		if (r == XP_FRAME_MALFORMED) {
			session_close(s, XP_END_FAIL, "endpoint sent a malformed %s "
			    "during setup: %s", pl_type_name(f.type), f.why);
			return;
		}
		s->ep_msgs_setup++;
		xp_trace_msg(s, XP_EP2ML, XP_TR_INTERCEPTED, NULL, in, f.total);
		if (f.type == PL_LINFO) {
			relay_log_linfo(s, &f.msg);
			evbuffer_drain(in, f.total);
			continue;
		}
		if (f.type != PL_RESULT || !s->await) {
			session_close(s, XP_END_FAIL, "unexpected %s (type 0x%02x) from "
			    "the endpoint during setup%s%s",
			    pl_type_name(f.type) != NULL ? pl_type_name(f.type) : "message",
			    f.type, s->await ? ", awaiting the result of " : "",
			    s->await ? pl_type_name(s->await_type) : "");
			return;
		}
		setup_result(s, &f.msg);
		evbuffer_drain(in, f.total);
		if (s->state == XP_S_RELAY) {
			/* Whatever followed the start result belongs to the mlet. */
			relay_start(s);
			return;
		}
	}
}

static void
setup_result(struct session *s, const struct pl_msg *m)
{
	struct xpd	*d = s->d;
	uint16_t	 e = m->u.result.errid;
	const char	*name = pl_err_name(e);
	char		 hint[128];

	s->await = 0;
	if (s->await_type == PL_CDATA) {
		if (e != PL_SUCCESS) {
			session_close(s, XP_END_FAIL, "endpoint refused monitor program "
			    "%s: %s (%s)", xp_progs_find(&d->progs,
			    s->xe->monitors[s->next_mon])->name,
			    name != NULL ? name : "?", pl_err_str(e));
			return;
		}
		s->next_mon++;
		setup_next(s);
		return;
	}

	/* The result of start. */
	s->start_inflight = 0;
	d->ninflight--;
	if (e == PL_SUCCESS) {
		setup_started(s);
		return;
	}
	hint[0] = '\0';
	if (e == PL_ECTLMONUKN || e == PL_ECTLMONREJ)
		snprintf(hint, sizeof(hint), " for monitor %u", m->u.result.monindx);
	else if (e == PL_ECRTNOHDAT)
		snprintf(hint, sizeof(hint), "; a program the chain lists was not "
		    "sent%s", d->conf->prog_dir == NULL ? " (ProgramDirPath is not set)" : "");
	session_close(s, XP_END_FAIL, "endpoint refused start: %s (%s)%s",
	    name != NULL ? name : "?", pl_err_str(e), hint);
	session_gate_changed(d);
}

/* start succeeded: count it, make the mlet's socket, hand it over, relay. */
static void
setup_started(struct session *s)
{
	struct xpd		*d = s->d;
	const struct xpmgr_conf	*c = d->conf;
	int			 sv[2], out[2], r;
	char			 why[512];

	if (!xpd_count_start(d)) {
		session_close(s, XP_END_DROPPED, "attempt limit reached after start");
		return;
	}
	s->counted = 1;
	evtimer_del(s->timer);
	if (c->singleton && d->sg_fd == -1) {
		session_close(s, XP_END_FAIL, "the singleton mlet is gone");
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		session_close(s, XP_END_FAIL, "socketpair: %s", strerror(errno));
		return;
	}
	if (pl_set_nonblock(sv[0]) == -1) {
		close(sv[0]);
		close(sv[1]);
		session_close(s, XP_END_FAIL, "socket: %s", strerror(errno));
		return;
	}
	s->ml = bufferevent_socket_new(d->base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	if (s->ml == NULL)
		fatalx("bufferevent_socket_new failed");
	if (c->singleton) {
		log_cinfo(s->ctx, "session started; passing it to the singleton mlet");
		xp_singleton_pass(d, sv[1], s->epaddr);
	} else {
		if (xp_results_mlet_fds(d, s, out, why, sizeof(why)) == -1) {
			close(sv[1]);
			s->ml_gone = 1;
			session_close(s, XP_END_FAIL, "cannot start mlet %s: -o: %s",
			    c->mlet, why);
			return;
		}
		r = xp_spawn(c->mlet, c->mlet_argv, sv[1], s->epaddr, out, &s->pid);
		close(sv[1]);
		xp_close_fds(out);
		if (r != 0) {
			s->pid = 0;
			s->ml_gone = 1;
			session_close(s, XP_END_FAIL, "cannot start mlet %s: %s", c->mlet,
			    strerror(r));
			return;
		}
		xp_children_add(s->pid, session_child_exited, s);
		log_cinfo(s->ctx, "session started; mlet pid %ld, EPADDR=%s",
		    (long)s->pid, s->epaddr);
	}
	s->state = XP_S_RELAY;
	session_unpend(s);
	if (d->nstarted >= c->max_attempts)
		xpd_wrapup(d, "attempt limit reached");
}

/* The -n gate changed: let a waiting session start, if any may. */
void
session_gate_changed(struct xpd *d)
{
	struct session	*s;

	while ((s = TAILQ_FIRST(&d->gated)) != NULL && xpd_gate_open(d))
		setup_next(s);
}

static void
session_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct session	*s = arg;
	const struct xpmgr_conf *c = s->d->conf;
	int		 e;

	if (s->rl.watch_err != 0 && s->state < XP_S_CLOSED) {
		e = s->rl.watch_err;
		s->rl.watch_err = 0;
		/* Nothing more can be flushed without watching the sockets. */
		session_abort(s, XP_END_FAIL, "cannot watch the relay's sockets: %s",
		    strerror(e));
		return;
	}
	switch (s->state) {
	case XP_S_HANDSHAKE:
		s->ep_gone = 1;
		session_close(s, XP_END_FAIL, "TLS handshake timed out after %llu ms",
		    (unsigned long long)(c->handshake_timeout / 1000000));
		break;
	case XP_S_SETUP:
	case XP_S_GATED:
		session_close(s, XP_END_FAIL, "setup timed out after %llu ms (%s%s)",
		    (unsigned long long)(c->setup_timeout / 1000000),
		    s->state == XP_S_GATED ? "waiting for the -n gate" :
		    "awaiting the result of ",
		    s->state == XP_S_GATED ? "" : pl_type_name(s->await_type));
		break;
	case XP_S_CLOSING:
		if (s->tls_closing)
			log_cdebug(s->ctx, "the endpoint did not close within %d ms "
			    "of our close_notify", XP_TLS_CLOSE_WAIT_MS);
		else
			log_cwarnx(s->ctx, "could not flush within %d ms; closing anyway",
			    XP_DRAIN_TIMEOUT_MS);
		session_finish(s);
		break;
	default:
		break;
	}
}

/* ---- the close funnel ---- */

static void
session_vclose(struct session *s, int flush, enum xp_end kind, const char *fmt,
    va_list ap)
{
	struct xpd	*d = s->d;

	xp_reason_vset(&s->reason, kind, fmt, ap);
	if (s->state >= XP_S_CLOSING) {
		if (!flush && s->state == XP_S_CLOSING)
			session_finish(s);
		return;
	}
	if (s->state == XP_S_GATED)
		TAILQ_REMOVE(&d->gated, s, gentry);
	if (s->start_inflight) {
		s->start_inflight = 0;
		d->ninflight--;
		session_gate_changed(d);
	}
	/* Before the handshake is over there is nothing to flush or shut down. */
	if (s->state == XP_S_HANDSHAKE)
		s->ep_gone = 1;
	s->state = XP_S_CLOSING;
	session_unpend(s);
	if (flush)
		relay_drain(s);
	else
		session_finish(s);
}

void
session_close(struct session *s, enum xp_end kind, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	session_vclose(s, 1, kind, fmt, ap);
	va_end(ap);
}

void
session_abort(struct session *s, enum xp_end kind, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	session_vclose(s, 0, kind, fmt, ap);
	va_end(ap);
}

/* The session is past set-up (or closing): it no longer counts as pending. */
static void
session_unpend(struct session *s)
{
	if (!s->pending)
		return;
	s->pending = 0;
	s->d->npending--;
	listener_update(s->d);
}

/* Close the endpoint's socket; its TLS state goes with it. */
void
session_ep_free(struct session *s)
{
	if (s->ep == NULL)
		return;
	if (s->ep_ev != NULL) {
		event_free(s->ep_ev);
		s->ep_ev = NULL;
		s->ep_watch = 0;
	}
	if (s->ssl != NULL) {
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	if (s->ep_in != NULL) {
		evbuffer_free(s->ep_in);
		s->ep_in = NULL;
	}
	close(s->ep->fd);
	rtls_free(s->ep);
	free(s->ep);
	s->ep = NULL;
}

/* Both sockets closed.  Over now, or once the mlet is reaped. */
void
session_finish(struct session *s)
{
	if (s->state == XP_S_CLOSED)
		return;
	s->state = XP_S_CLOSED;
	relay_free(s);
	session_ep_free(s);
	if (s->ml != NULL) {
		bufferevent_free(s->ml);
		s->ml = NULL;
	}
	evtimer_del(s->timer);
	if (s->pid != 0 && !s->reaped) {
		log_cdebug(s->ctx, "sockets closed; waiting for mlet pid %ld to exit",
		    (long)s->pid);
		return;
	}
	session_over(s);
}

static void
session_child_exited(void *arg, pid_t pid, int status)
{
	struct session	*s = arg;
	char		 st[64];

	s->reaped = 1;
	s->wstatus = status;
	log_cdebug(s->ctx, "mlet pid %ld: %s", (long)pid, xp_wstatus(status, st,
	    sizeof(st)));
	if (s->state == XP_S_CLOSED)
		session_over(s);
	/* Otherwise its socket's EOF (soon, or when its own children let go) ends the relay. */
}

/* Sockets closed and child reaped: log the summary, free on a later turn. */
static void
session_over(struct session *s)
{
	struct xpd	*d = s->d;
	struct timespec	 now;
	char		 child[80], st[64], line[1024];

	if (s->pid != 0)
		snprintf(child, sizeof(child), "mlet %s", xp_wstatus(s->wstatus, st,
		    sizeof(st)));
	else if (d->conf->singleton && s->counted)
		snprintf(child, sizeof(child), "singleton mlet");
	else
		snprintf(child, sizeof(child), "no mlet");
	clock_gettime(CLOCK_MONOTONIC, &now);
	xp_summary(line, sizeof(line), &s->reason, xp_ms_between(&s->t_start, &now),
	    &s->st, child);
	if (s->reason.kind == XP_END_FAIL)
		log_cwarnx(s->ctx, "%s", line);
	else
		log_cinfo(s->ctx, "%s", line);
	xp_results_session_over(s, xp_ms_between(&s->t_start, &now));
	xp_trace_close(s);
	for (int i = 0; i < 2; i++) {
		d->done_msgs[i] += s->st.msgs[i];
		d->done_bytes[i] += s->st.bytes[i];
	}
	switch (s->reason.kind) {
	case XP_END_FAIL:
		d->nfail++;
		break;
	case XP_END_DROPPED:
		d->ndropped++;
		break;
	default:
		d->nok++;
		break;
	}
	TAILQ_REMOVE(&d->sessions, s, entry);
	d->nsessions--;
	TAILQ_INSERT_TAIL(&d->dead, s, entry);
	event_active(d->gc_ev, EV_TIMEOUT, 0);
	listener_update(d);
	xpd_maybe_done(d);
}

void
session_gc(struct xpd *d)
{
	struct session	*s;

	while ((s = TAILQ_FIRST(&d->dead)) != NULL) {
		TAILQ_REMOVE(&d->dead, s, entry);
		if (s->timer != NULL)
			event_free(s->timer);
		xp_results_session_free(s);
		free(s);
	}
}

/* Drop every session that has not started (wrap-up), without touching running ones. */
void
session_drop_unstarted(struct xpd *d, const char *why)
{
	struct session	*s, *next;

	for (s = TAILQ_FIRST(&d->sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (s->state <= XP_S_GATED)
			session_close(s, XP_END_DROPPED, "%s", why);
	}
}

/* Second signal: end everything now. */
void
session_abort_all(struct xpd *d, const char *why)
{
	struct session	*s, *next;

	for (s = TAILQ_FIRST(&d->sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (s->state < XP_S_CLOSED)
			session_abort(s, XP_END_DROPPED, "%s", why);
	}
}
