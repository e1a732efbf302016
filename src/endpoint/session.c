/*
 * session.c: one experiment on one controller connection, from the end of
 * the TLS handshake to the disconnect (protocol spec §1.3, §2, §4, §12).
 *
 * Requests are read whole from the bufferevent and answered in order: every
 * reply and notification is encoded into s->pending, the single outgoing
 * FIFO.  A parallel queue of ep_out records knows where each message ends,
 * so that when the bytes drain we release the buffer budget of ndata and
 * count the messages still queued (back-pressure at 100).
 *
 * One message per TLS record (ERRATA fact 10): a 1.1.0 pktxpmgr reads one
 * record at a time and aborts (assert endpoint2mlet == NULL) when a record
 * holds two complete messages.  bufferevent_openssl hands its output buffer
 * to SSL_write chunk by chunk, so messages queued together would share a
 * record.  Hence the bufferevent's output holds at most one message: the
 * next one moves from s->pending when the previous one has been written
 * (ctl_drained).  SSL_write then cuts a message longer than a record into
 * records of its own.  TCP_NODELAY keeps a small record from waiting for
 * the peer's ACK of the one before.
 *
 * 1.1.0 wrote a few final replies (yield, ECTLBADMSG, start failures)
 * straight to the socket, overtaking and sometimes losing queued replies
 * (ERRATA 6).  Here they go through the FIFO like the others, the session
 * stops reading, and it closes once the FIFO drained (bounded by
 * CloseTimeout), so nothing is lost and the order holds.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <pktlab/prog.h>

#include "cred/cred.h"
#include "endpoint/endpoint.h"
#include "util/event.h"
#include "util/log.h"
#include "util/util.h"

struct ep_out {
	TAILQ_ENTRY(ep_out)	 entry;
	size_t			 left;		/* bytes not yet written */
	uint32_t		 charge;	/* BufMax budget to release */
	uint32_t		 rbuf;		/* rbufused to release */
	uint8_t			 sktid;
	uint32_t		 gen;
};

static void	 ctl_readcb(struct bufferevent *, void *);
static void	 ctl_eventcb(struct bufferevent *, short, void *);
static void	 ctl_drained(struct evbuffer *, const struct evbuffer_cb_info *, void *);
static int	 cut_short(struct evbuffer *, size_t *, size_t *);
static void	 out_feed(struct ep_session *);
static size_t	 out_len(const struct ep_session *);
static void	 kick_cb(evutil_socket_t, short, void *);
static void	 setup_timeout_cb(evutil_socket_t, short, void *);
static void	 limit_cb(evutil_socket_t, short, void *);
static void	 close_timeout_cb(evutil_socket_t, short, void *);
static void	 fin_cb(evutil_socket_t, short, void *);
static int	 close_notify(struct ep_session *);
static void	 shut_cb(evutil_socket_t, short, void *);
static void	 process(struct ep_session *);
static void	 dispatch(struct ep_session *, const struct pl_msg *);
static void	 reply(struct ep_session *, uint16_t errid);
static void	 req_cdata(struct ep_session *, const struct pl_msg *);
static void	 req_start(struct ep_session *);
static void	 req_mread(struct ep_session *, const struct pl_msg *);
static void	 req_mwrite(struct ep_session *, const struct pl_msg *);
static void	 req_yield(struct ep_session *, const struct pl_msg *);
static void	 vmem_changed(void *, uint8_t, const struct ep_sktinfo *);
static void	 finish(struct ep_session *);

struct ep_session *
ep_session_new(struct event_base *base, const struct ep_conf *conf,
    const struct ep_sysparam *sys, const struct cred_chain *chain,
    struct bufferevent *bev, const char *ctx, ep_done_fn *done, void *arg)
{
	struct ep_session	*s;
	struct timeval		 tv;
	int			 one = 1;

	s = xcalloc(1, sizeof(*s));
	s->base = base;
	s->conf = conf;
	s->chain = chain;
	s->bev = bev;
	pl_strlcpy(s->ctx, ctx, sizeof(s->ctx));
	s->state = EP_SETUP;
	s->vm.sys = *sys;
	TAILQ_INIT(&s->outq);
	s->done = done;
	s->done_arg = arg;
	s->scratch = xmalloc(EP_CHUNK_MAX + 1);
	if (chain != NULL && chain->eff.nmonitor > 0)
		s->delivered = xcalloc(chain->eff.nmonitor, 1);
	s->setup_timer = evtimer_new(base, setup_timeout_cb, s);
	s->limit_timer = evtimer_new(base, limit_cb, s);
	s->close_timer = evtimer_new(base, close_timeout_cb, s);
	s->kick = event_new(base, -1, 0, kick_cb, s);
	s->fin = event_new(base, -1, 0, fin_cb, s);
	s->pending = evbuffer_new();
	if (s->setup_timer == NULL || s->limit_timer == NULL ||
	    s->close_timer == NULL || s->kick == NULL || s->fin == NULL ||
	    s->pending == NULL)
		fatalx("libevent: cannot create the session's events");
	if (setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one)) == -1)
		log_cdebug(ctx, "TCP_NODELAY: %s", strerror(errno));

	bufferevent_setcb(bev, ctl_readcb, NULL, ctl_eventcb, s);
	s->drain_cb = evbuffer_add_cb(bufferevent_get_output(bev), ctl_drained, s);
	if (bufferevent_enable(bev, EV_READ | EV_WRITE) == -1) {
		ep_session_close(s, EP_END_FAIL, 0, "cannot watch the controller "
		    "connection: %s", strerror(errno));
		return s;
	}

	/* ERRATA missing-fact 3: the SETUP window starts after TLS. */
	ep_tv_from_ns(&tv, conf->setup_timeout);
	xevent_add(s->setup_timer, &tv, "setup timer");
	log_cinfo(s->ctx, "session started; waiting for start (setup window %llu ms)",
	    (unsigned long long)(conf->setup_timeout / 1000000));
	/* Input may already be buffered from the handshake. */
	event_active(s->kick, 0, 0);
	return s;
}

void
ep_session_free(struct ep_session *s)
{
	struct ep_out	*o;

	if (s == NULL)
		return;
	ep_skt_close_all(s);
	while ((o = TAILQ_FIRST(&s->outq)) != NULL) {
		TAILQ_REMOVE(&s->outq, o, entry);
		free(o);
	}
	if (s->bev != NULL) {
		evbuffer_remove_cb_entry(bufferevent_get_output(s->bev), s->drain_cb);
		bufferevent_free(s->bev);
	}
	event_free(s->setup_timer);
	event_free(s->limit_timer);
	event_free(s->close_timer);
	event_free(s->kick);
	event_free(s->fin);
	if (s->shut_ev != NULL)
		event_free(s->shut_ev);
	if (s->pending != NULL)
		evbuffer_free(s->pending);
	free(s->delivered);
	free(s->scratch);
	free(s);
}

void
ep_session_close(struct ep_session *s, enum ep_end end, int flush,
    const char *reason, ...)
{
	char		 msg[512];
	struct timeval	 tv;
	va_list		 ap;

	if (s->state == EP_CLOSING)
		return;
	va_start(ap, reason);
	vsnprintf(msg, sizeof(msg), reason, ap);
	va_end(ap);
	if (end == EP_END_FAIL)
		log_cwarnx(s->ctx, "session ends: %s", msg);
	else
		log_cinfo(s->ctx, "session ends: %s", msg);
	s->state = EP_CLOSING;
	s->end = end;
	evtimer_del(s->setup_timer);
	evtimer_del(s->limit_timer);
	/* Reset (§1.3): sockets closed, queued sends dropped without ntag. */
	ep_skt_close_all(s);
	if (s->bev == NULL) {
		finish(s);
		return;
	}
	bufferevent_disable(s->bev, EV_READ);
	if (!flush || out_len(s) == 0) {
		finish(s);
		return;
	}
	ep_tv_from_ns(&tv, s->conf->close_timeout);
	xevent_add(s->close_timer, &tv, "close timer");
}

/*
 * The output is flushed (or given up on).  The teardown runs from the loop,
 * so that no caller up the stack is left holding the bufferevent.
 */
static void
finish(struct ep_session *s)
{
	evtimer_del(s->close_timer);
	event_active(s->fin, 0, 0);
}

static void
fin_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ep_session	*s = arg;

	if (s->bev != NULL) {
		if (s->end != EP_END_FAIL && close_notify(s) == 0)
			return;		/* shut_cb calls again */
		if (s->shut_ev != NULL) {
			event_free(s->shut_ev);
			s->shut_ev = NULL;
		}
		evbuffer_remove_cb_entry(bufferevent_get_output(s->bev), s->drain_cb);
		bufferevent_free(s->bev);
		s->bev = NULL;
	}
	if (s->done != NULL)
		s->done(s->done_arg, s->end, s->rhint);
}

/*
 * One close_notify, not awaited.  When the socket has no room for it
 * (WANT_WRITE), it would be lost by closing now: returns 0 and retries
 * once the socket is writable, for up to CloseTimeout.  1: done.
 */
static int
close_notify(struct ep_session *s)
{
	SSL		*ssl = bufferevent_openssl_get_ssl(s->bev);
	struct timeval	 tv;
	int		 r;

	if (ssl == NULL || s->shut_done)
		return 1;
	ERR_clear_error();
	r = SSL_shutdown(ssl);
	if (r >= 0 || SSL_get_error(ssl, r) != SSL_ERROR_WANT_WRITE) {
		ERR_clear_error();
		s->shut_done = 1;
		return 1;
	}
	ERR_clear_error();
	if (s->shut_ev == NULL && (s->shut_ev = event_new(s->base,
	    bufferevent_getfd(s->bev), EV_WRITE, shut_cb, s)) == NULL)
		fatalx("libevent: cannot create an event");
	ep_tv_from_ns(&tv, s->conf->close_timeout);
	if (event_add(s->shut_ev, &tv) == -1) {
		s->shut_done = 1;
		return 1;
	}
	log_cdebug(s->ctx, "close_notify waits for room in the socket");
	return 0;
}

static void
shut_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ep_session	*s = arg;

	if (what & EV_TIMEOUT) {
		log_cdebug(s->ctx, "no room for the close_notify within CloseTimeout");
		s->shut_done = 1;
	}
	fin_cb(-1, 0, s);
}

static void
close_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ep_session *s = arg;

	log_cwarnx(s->ctx, "controller did not take the last %zu bytes in time; "
	    "closing anyway", out_len(s));
	s->end = EP_END_FAIL;
	finish(s);
}

static void
setup_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ep_session *s = arg;

	/* §1.3: a silent disconnect. */
	ep_session_close(s, EP_END_FAIL, 0, "no start within the setup window "
	    "(%llu ms); disconnecting without a message",
	    (unsigned long long)(s->conf->setup_timeout / 1000000));
}

static void
limit_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ep_session *s = arg;

	/* §12.3: a silent disconnect when the period is used up. */
	ep_session_close(s, EP_END_LIMIT, 0, "the experiment period of the "
	    "controller's chain is used up; disconnecting without a message");
}

/* ---- the controller connection ---- */

static void
ctl_readcb(struct bufferevent *bev, void *arg)
{
	process(arg);
}

static void
ctl_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct ep_session	*s = arg;
	unsigned long		 e;
	size_t			 got, want;
	char			 buf[256];

	if (s->state == EP_CLOSING) {
		/* Flushing the last replies, and the controller is gone: done. */
		if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
			finish(s);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		/* §2: EOF inside a message is an error, not the end of an experiment. */
		if (cut_short(bufferevent_get_input(bev), &got, &want)) {
			ep_session_close(s, EP_END_FAIL, 0, "controller closed the "
			    "connection in the middle of a message (%zu of %zu bytes "
			    "received)", got, want);
			return;
		}
		if (s->state == EP_SETUP)
			ep_session_close(s, EP_END_FAIL, 0, "controller closed "
			    "the connection before start");
		else
			ep_session_close(s, EP_END_DONE, 0, "controller closed "
			    "the connection");
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		e = bufferevent_get_openssl_error(bev);
		if (e != 0) {
			ERR_error_string_n(e, buf, sizeof(buf));
			ep_session_close(s, EP_END_FAIL, 0, "TLS error: %s", buf);
		} else
			ep_session_close(s, EP_END_FAIL, 0, "connection error: %s",
			    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	}
}

/*
 * A message cut short at the end of the input: 1 with the bytes of it
 * received and the bytes it needed.  Whole messages before it are skipped:
 * TLS may report the close in the same read as the last requests.
 */
static int
cut_short(struct evbuffer *in, size_t *got, size_t *want)
{
	struct evbuffer_ptr	 p;
	uint8_t			 hdr[PL_HLEN];
	uint32_t		 bodylen;
	size_t			 len = evbuffer_get_length(in), off = 0;

	while (off < len) {
		if (len - off < PL_HLEN) {
			*got = len - off;
			*want = PL_HLEN;
			return 1;
		}
		if (evbuffer_ptr_set(in, &p, off, EVBUFFER_PTR_SET) == -1 ||
		    evbuffer_copyout_from(in, &p, hdr, PL_HLEN) != PL_HLEN)
			return 0;
		(void)pl_peek_header(hdr, PL_HLEN, NULL, &bodylen);
		if (len - off - PL_HLEN < bodylen) {
			*got = len - off;
			*want = PL_HLEN + (size_t)bodylen;
			return 1;
		}
		off += PL_HLEN + (size_t)bodylen;
	}
	return 0;
}

/* Bytes left the output buffer: retire the messages they completed. */
static void
ctl_drained(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct ep_session	*s = arg;
	struct ep_out		*o;
	size_t			 n = info->n_deleted, k;
	int			 released = 0;

	while (n > 0 && (o = TAILQ_FIRST(&s->outq)) != NULL) {
		k = n < o->left ? n : o->left;
		o->left -= k;
		n -= k;
		if (o->left > 0)
			break;
		TAILQ_REMOVE(&s->outq, o, entry);
		s->noutq--;
		s->inflight = 0;
		if (o->charge > 0)
			ep_budget_release(s, o->charge);
		if (o->rbuf > 0)
			ep_skt_rbuf_release(s, o->sktid, o->gen, o->rbuf);
		released = 1;
		free(o);
	}
	if (released)
		out_feed(s);
	if (s->state == EP_CLOSING) {
		if (out_len(s) == 0 && evtimer_pending(s->close_timer, NULL))
			finish(s);
	} else if (released)
		ep_session_kick(s);
}

/*
 * Hand the next message to the bufferevent once the one before it has been
 * written, so that no TLS record holds bytes of two messages.
 */
static void
out_feed(struct ep_session *s)
{
	struct evbuffer	*out;
	struct ep_out	*o;

	if (s->bev == NULL || s->inflight || (o = TAILQ_FIRST(&s->outq)) == NULL)
		return;
	out = bufferevent_get_output(s->bev);
	s->inflight = 1;
	if (evbuffer_remove_buffer(s->pending, out, o->left) != (int)o->left)
		fatalx("libevent: cannot move a %zu-byte message", o->left);
}

/* Bytes not yet written to the controller. */
static size_t
out_len(const struct ep_session *s)
{
	return evbuffer_get_length(s->pending) + (s->bev == NULL ? 0 :
	    evbuffer_get_length(bufferevent_get_output(s->bev)));
}

void
ep_session_kick(struct ep_session *s)
{
	if (!event_pending(s->kick, EV_TIMEOUT, NULL))
		event_active(s->kick, 0, 0);
}

static void
kick_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ep_session *s = arg;

	if (s->state == EP_CLOSING)
		return;
	ep_skt_poll_all(s);
	if (s->paused && s->noutq < EP_OUTQ_MAX) {
		s->paused = 0;
		if (bufferevent_enable(s->bev, EV_READ) == -1) {
			ep_session_close(s, EP_END_FAIL, 0, "cannot watch the "
			    "controller connection again: %s", strerror(errno));
			return;
		}
	}
	process(s);
}

void
ep_out_push(struct ep_session *s, const struct pl_msg *m, uint32_t charge,
    struct ep_skt *rs, uint32_t rbuf)
{
	struct evbuffer		*out;
	struct evbuffer_iovec	 vec;
	struct ep_out		*o;
	ssize_t			 n;

	if (s->bev == NULL || s->state == EP_CLOSING) {
		if (charge > 0)
			ep_budget_release(s, charge);
		return;
	}
	n = pl_encode(m, NULL, 0);
	if (n < 0)
		fatalx("internal error: cannot encode a %s message",
		    pl_type_name(m->type));
	out = s->pending;
	if (evbuffer_reserve_space(out, n, &vec, 1) != 1 ||
	    pl_encode(m, vec.iov_base, vec.iov_len) != n)
		fatalx("libevent: cannot queue %zd bytes", n);
	vec.iov_len = (size_t)n;
	o = xcalloc(1, sizeof(*o));
	o->left = (size_t)n;
	o->charge = charge;
	if (rs != NULL) {
		o->rbuf = rbuf;
		o->sktid = ep_skt_id(rs);
		o->gen = ep_skt_gen(rs);
	}
	TAILQ_INSERT_TAIL(&s->outq, o, entry);
	s->noutq++;
	if (evbuffer_commit_space(out, &vec, 1) != 0)
		fatalx("libevent: cannot commit %zd bytes", n);
	log_trace("[%s] -> %s (%zd bytes)", s->ctx, pl_type_name(m->type), n);
	out_feed(s);
}

uint64_t
ep_budget_free(const struct ep_session *s)
{
	uint64_t	 max = s->conf->bufmax;

	if (s->bufused + EP_OVERHEAD >= max)
		return 0;
	return max - s->bufused - EP_OVERHEAD;
}

void
ep_budget_take(struct ep_session *s, uint64_t n)
{
	s->bufused += n;
}

void
ep_budget_release(struct ep_session *s, uint64_t n)
{
	s->bufused = n > s->bufused ? 0 : s->bufused - n;
}

/* ---- requests ---- */

/* Read and answer every whole request, unless the FIFO is full. */
static void
process(struct ep_session *s)
{
	struct evbuffer	*in;
	struct pl_msg	 m;
	uint8_t		 hdr[PL_HLEN], type, *p;
	uint32_t	 bodylen;
	size_t		 consumed;
	char		 why[256];
	enum pl_dec	 r;

	while (s->state != EP_CLOSING && s->bev != NULL) {
		if (s->noutq >= EP_OUTQ_MAX) {
			if (!s->paused) {
				log_cdebug(s->ctx, "%u messages queued to the "
				    "controller; pausing requests", s->noutq);
				s->paused = 1;
				bufferevent_disable(s->bev, EV_READ);
			}
			return;
		}
		in = bufferevent_get_input(s->bev);
		if (evbuffer_copyout(in, hdr, PL_HLEN) != PL_HLEN)
			return;
		(void)pl_peek_header(hdr, PL_HLEN, &type, &bodylen);
		if (evbuffer_get_length(in) < PL_HLEN + (size_t)bodylen)
			return;
		p = evbuffer_pullup(in, PL_HLEN + (ssize_t)bodylen);
		if (p == NULL)
			fatalx("libevent: cannot gather a %u-byte message", bodylen);
		r = pl_decode_r(p, PL_HLEN + (size_t)bodylen, &m, &consumed, why,
		    sizeof(why));
		if (r == PL_DEC_MALFORMED) {
			/* §1.3: ECTLBADMSG, then reset. */
			reply(s, PL_ECTLBADMSG);
			evbuffer_drain(in, consumed);
			ep_session_close(s, EP_END_FAIL, 1, "malformed message "
			    "from the controller: %s", why);
			return;
		}
		log_trace("[%s] <- %s (%u bytes)", s->ctx,
		    m.known ? pl_type_name(m.type) : "unknown type", bodylen);
		dispatch(s, &m);
		evbuffer_drain(in, consumed);
	}
}

static void
dispatch(struct ep_session *s, const struct pl_msg *m)
{
	if (!m->known) {
		log_cdebug(s->ctx, "message type 0x%02x is not supported", m->type);
		reply(s, PL_ECTLNOTSUP);
		return;
	}
	if (s->state == EP_SETUP) {
		switch (m->type) {
		case PL_CDATA:
			req_cdata(s, m);
			return;
		case PL_START:
			req_start(s);
			return;
		default:
			log_cdebug(s->ctx, "%s before start: ECTLNOTSUP",
			    pl_type_name(m->type));
			reply(s, PL_ECTLNOTSUP);
			return;
		}
	}
	switch (m->type) {
	case PL_MREAD:
		req_mread(s, m);
		break;
	case PL_MWRITE:
		req_mwrite(s, m);
		break;
	case PL_NOPEN:
		ep_skt_nopen(s, m);
		break;
	case PL_NCLOSE:
		ep_skt_nclose(s, m);
		break;
	case PL_NSEND:
		ep_skt_nsend(s, m);
		break;
	case PL_NCAP:
		ep_skt_ncap(s, m);
		break;
	case PL_NCTL:
		ep_skt_nctl(s, m);
		break;
	case PL_YIELD:
		req_yield(s, m);
		break;
	default:
		/* start, cdata, end, cont, x*, replies: §1.3. */
		log_cdebug(s->ctx, "%s is not supported after start: ECTLNOTSUP",
		    pl_type_name(m->type));
		reply(s, PL_ECTLNOTSUP);
		break;
	}
}

static void
reply(struct ep_session *s, uint16_t errid)
{
	struct pl_msg	 m;

	pl_msg_result(&m, errid);
	ep_out_push(s, &m, 0, NULL, 0);
}

/*
 * §4.3: the hint, then the program, then its digest against the chain.
 * Running monitors is out of scope, so a matching program is accepted here
 * and fails to load at start, as in 1.1.0 for a monitor it cannot run.
 */
static void
req_cdata(struct ep_session *s, const struct pl_msg *m)
{
	const struct cred_eff	*eff = s->chain != NULL ? &s->chain->eff : NULL;
	uint8_t			 d[CRED_DIGEST_LEN];
	char			 hex[2 * CRED_DIGEST_LEN + 1];
	const char		*why;
	size_t			 i;
	int			 monitor;

	monitor = m->u.cdata.hintlen == 7 &&
	    memcmp(m->u.cdata.hint, "monitor", 7) == 0;
	if (!monitor && !(m->u.cdata.hintlen == 6 &&
	    memcmp(m->u.cdata.hint, "filter", 6) == 0)) {
		log_cwarnx(s->ctx, "cdata with unknown hint \"%.*s\": ECRTBADHINT",
		    (int)m->u.cdata.hintlen, m->u.cdata.hint);
		reply(s, PL_ECRTBADHINT);
		return;
	}
	if (pl_prog_check(m->u.cdata.prog, m->u.cdata.proglen, &why) == -1) {
		log_cwarnx(s->ctx, "cdata %s program is invalid (%s): ECRTBADHDAT",
		    monitor ? "monitor" : "filter", why);
		reply(s, PL_ECRTBADHDAT);
		return;
	}
	cred_prog_digest(m->u.cdata.prog, m->u.cdata.proglen, d);
	pl_hex(d, sizeof(d), hex);
	/* 1.1.0 expects no filter digests at all (§4.3). */
	for (i = 0; monitor && eff != NULL && i < eff->nmonitor; i++)
		if (memcmp(eff->monitor[i].d, d, sizeof(d)) == 0)
			break;
	if (!monitor || eff == NULL || i == eff->nmonitor) {
		log_cwarnx(s->ctx, "cdata %s program %s is not listed by the "
		    "controller's chain: ECRTBADHDAT", monitor ? "monitor" :
		    "filter", hex);
		reply(s, PL_ECRTBADHDAT);
		return;
	}
	s->delivered[i] = 1;
	log_cinfo(s->ctx, "monitor program %s received", hex);
	reply(s, PL_SUCCESS);
}

static void
req_start(struct ep_session *s)
{
	const struct cred_eff	*eff = s->chain != NULL ? &s->chain->eff : NULL;
	struct timeval		 tv;
	pl_time_t		 now, end = PL_TIME_FOREVER, na;
	char			 hex[2 * CRED_DIGEST_LEN + 1], when[64];
	size_t			 i;

	for (i = 0; eff != NULL && i < eff->nmonitor; i++) {
		if (!s->delivered[i]) {
			pl_hex(eff->monitor[i].d, CRED_DIGEST_LEN, hex);
			reply(s, PL_ECRTNOHDAT);
			ep_session_close(s, EP_END_FAIL, 1, "start before the "
			    "monitor program %s was sent: ECRTNOHDAT", hex);
			return;
		}
	}
	if (eff != NULL && eff->nmonitor > 0) {
		struct pl_msg	 m;

		/* ERRATA missing-fact 1: a monitor that cannot load. */
		pl_msg_result_mon(&m, PL_ECTLMONUKN, 0, 0);
		ep_out_push(s, &m, 0, NULL, 0);
		ep_session_close(s, EP_END_FAIL, 1, "the chain requires %zu "
		    "monitor program(s); this endpoint cannot run monitors: "
		    "ECTLMONUKN", eff->nmonitor);
		return;
	}
	evtimer_del(s->setup_timer);
	s->state = EP_IDLE;
	reply(s, PL_SUCCESS);

	now = pl_time_now();
	if (eff != NULL && (eff->have & CRED_LIM_BIT(CRED_LIM_MAX_EXP_PERIOD)))
		end = eff->num[CRED_LIM_MAX_EXP_PERIOD] > PL_TIME_FOREVER - now ?
		    PL_TIME_FOREVER : now + eff->num[CRED_LIM_MAX_EXP_PERIOD];
	if (eff != NULL && eff->not_after > 0 && eff->not_after < INT64_MAX /
	    (int64_t)PL_TICKS_PER_SEC) {
		na = (pl_time_t)eff->not_after * PL_TICKS_PER_SEC;
		if (na < end)
			end = na;
	}
	if (end != PL_TIME_FOREVER) {
		ep_tv_from_ns(&tv, end > now ? end - now : 0);
		xevent_add(s->limit_timer, &tv, "limit timer");
		log_cinfo(s->ctx, "experiment started; the chain's limits end it "
		    "at %s", cred_fmt_time((int64_t)(end / PL_TICKS_PER_SEC),
		    when, sizeof(when)));
	} else
		log_cinfo(s->ctx, "experiment started");
}

static void
req_mread(struct ep_session *s, const struct pl_msg *m)
{
	struct pl_msg	 r;
	uint8_t		 buf[PL_MREAD_MAX];

	s->vm.sys.time = pl_time_now();
	s->vm.sys.bufused = s->bufused > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)s->bufused;
	ep_vmem_read(&s->vm, m->u.mread.addr, buf, m->u.mread.len);
	pl_msg_mdata(&r, m->u.mread.addr, buf, m->u.mread.len);
	ep_out_push(s, &r, 0, NULL, 0);
}

static void
req_mwrite(struct ep_session *s, const struct pl_msg *m)
{
	ep_vmem_write(&s->vm, m->u.mem.addr, m->u.mem.data, m->u.mem.len,
	    vmem_changed, s);
	reply(s, PL_SUCCESS);
}

static void
vmem_changed(void *arg, uint8_t sktid, const struct ep_sktinfo *before)
{
	ep_skt_changed(arg, sktid, before);
}

static void
req_yield(struct ep_session *s, const struct pl_msg *m)
{
	s->rhint = m->u.yield.rhint;
	reply(s, PL_SUCCESS);
	ep_session_close(s, EP_END_DONE, 1, "controller yielded (run again "
	    "not before %llu)", (unsigned long long)m->u.yield.rhint);
}

/* ---- helpers ---- */

void
ep_tv_from_ns(struct timeval *tv, uint64_t ns)
{
	uint64_t	 us = ns / 1000;

	if (us / 1000000 > (uint64_t)INT32_MAX)
		us = (uint64_t)INT32_MAX * 1000000;
	tv->tv_sec = (time_t)(us / 1000000);
	tv->tv_usec = (suseconds_t)(us % 1000000);
}

const char *
ep_fmt_addr(int af, const void *addr, uint16_t port, char *out, size_t len)
{
	char	 a[INET6_ADDRSTRLEN];

	if (inet_ntop(af, addr, a, sizeof(a)) == NULL)
		pl_strlcpy(a, "?", sizeof(a));
	if (af == AF_INET6)
		snprintf(out, len, "[%s]:%u", a, port);
	else
		snprintf(out, len, "%s:%u", a, port);
	return out;
}
