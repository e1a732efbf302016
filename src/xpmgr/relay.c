/*
 * relay.c: the data path of a running session.  Whole messages move between
 * the endpoint (TLS) and the mlet (plain socket) in both directions: headers
 * are parsed, known bodies validated, the original bytes forwarded without
 * re-encoding; linfo from the endpoint is logged and eaten.  A malformed
 * message ends the session when the endpoint sends it; from the mlet it is
 * forwarded with a warning, as 1.1.0 does, for the endpoint to judge.
 *
 * The handshake (OpenSSL) and the setup run in session.c; after the
 * handshake the endpoint's TLS is ours (cred/rtls.h, cred/rec13.h).  Once
 * start has succeeded, relay_start takes the session over on the next loop
 * turn: the mlet's bufferevent is disabled and kept only to own its socket
 * until the end, and the relay drives both sockets itself from four events:
 *
 *   - the endpoint is read with rtls_read (one read(2) of up to 64 KiB for
 *     several records, opened in place), the mlet with one read of up to
 *     256 KiB;
 *   - what is read lands in the process-wide read buffer (the scratch area;
 *     one loop, no threads), or behind what the session still holds;
 *     frames are parsed and validated in place;
 *   - whole frames go to the sink at once, in the same callback: one write
 *     to the mlet for all of them, 16 KiB TLS records to the endpoint, up
 *     to four of them sealed and written with one write(2);
 *   - only what the sink did not take is kept, in the session's buffer for
 *     that direction (struct xp_rbuf), allocated then and freed as soon as
 *     it is empty: an idle session holds no relay buffer.
 *
 * Back-pressure: a source is not read while more than XP_HIGH_WATER bytes
 * of whole frames wait for its sink, and is read again below XP_LOW_WATER.
 * What waits is in one contiguous buffer, so what is counted is what it
 * costs, however small the messages: a session whose endpoint or mlet
 * stops reading holds at most about XP_HIGH_WATER plus one read plus one
 * frame per direction.
 *
 * When the session closes, the side that is still there gets the whole
 * frames meant for it, then its socket closes: the mlet reads EOF, the
 * endpoint gets a TLS close_notify; both waits are bounded.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <pktlab/wire.h>

#include "util/log.h"
#include "util/util.h"
#include "cred/rtls.h"
#include "xpmgr/daemon.h"

/* The process-wide read buffer; reads of the mlet take up to this much. */
#define RL_SHARED	(256u * 1024u)
/* Least room for a read into a session's buffer: mlet, endpoint. */
#define RL_READ_ML	(64u * 1024u)
#define RL_READ_EP	(16u * 1024u)
/*
 * Plaintext handed to the endpoint's TLS at a time, and the most sealed
 * bytes that may wait in it before the relay stops handing over: four
 * records, written with one write(2).
 */
#define RL_RECORD	(64u * 1024u)
/* A session's buffer starts at this, then grows to RL_BUF_MAX or one frame. */
#define RL_BUF_FIRST	(64u * 1024u)
/* A session's buffer grows to this, or to what one frame needs. */
#define RL_BUF_MAX	(XP_HIGH_WATER + RL_READ_ML)
/* What one callback reads from the endpoint before letting others run. */
#define RL_EP_TURN	(256u * 1024u)

enum rl_rd {
	RD_OK,		/* nothing more for now */
	RD_MORE,	/* stopped for room or fairness; the SSL may hold more */
	RD_EOF,
	RD_ERR,		/* why says what */
};

static void	 rl_ep_readable(evutil_socket_t, short, void *);
static void	 rl_ml_readable(evutil_socket_t, short, void *);
static void	 rl_ep_writable(evutil_socket_t, short, void *);
static void	 rl_ml_writable(evutil_socket_t, short, void *);
static void	 rl_handover(struct session *s);
static int	 rl_discard_ep(struct session *s);
static void	 rl_pump(struct session *s, int dir);
static int	 rl_parse(struct session *s, int dir, struct xp_rbuf *t);
static int	 rl_flush(struct session *s, int dir, struct xp_rbuf *t);
static void	 rl_keep(struct session *s, int dir, struct xp_rbuf *t);
static void	 rl_after_sink(struct session *s, int dir);
static void	 rl_update_read(struct session *s, int dir);
static void	 rl_source_ended(struct session *s, int dir, enum rl_rd r,
		    const char *why);
static void	 rl_sink_failed(struct session *s, int side, int e);
static void	 rl_watch(struct session *s, struct event *ev);
static void	 rl_set_read(struct session *s, int side, int on);
static void	 rl_set_write(struct session *s, int side, int on);
static void	 rl_close_side(struct session *s, int side);
static void	 rl_drain_step(struct session *s);
static void	 rl_tls_shutdown(struct session *s);
static void	 drain_read(struct bufferevent *bev, void *arg);
static void	 drain_write(struct bufferevent *bev, void *arg);
static void	 drain_event(struct bufferevent *bev, short what, void *arg);
static void	 drain_check(struct session *s);
static void	 tls_shutdown(struct session *s);

static const char *const side_name[2] = { "endpoint", "mlet" };

/* ---- buffers ---- */

static void
rb_consume(struct xp_rbuf *b, size_t n)
{
	b->off += n;
	b->ready -= n;
	b->len -= n;
	if (b->len == 0)
		b->off = 0;
}

/* Room for want more bytes at the end of b: compact, then grow. */
static void
rb_room(struct xp_rbuf *b, size_t want)
{
	size_t	 need, ncap;

	if (b->cap - b->off - b->len >= want)
		return;
	if (b->off > 0) {
		memmove(b->p, b->p + b->off, b->len);
		b->off = 0;
		if (b->cap - b->len >= want)
			return;
	}
	/*
	 * Two sizes only, a first one for a short lag and the most a lagging
	 * sink may hold (more only for one large frame): few reallocations,
	 * and an allocator that keeps size classes keeps few of them.
	 */
	need = b->len + want;
	if (b->cap == 0 && need <= RL_BUF_FIRST)
		ncap = RL_BUF_FIRST;
	else
		ncap = need > RL_BUF_MAX ? (need + 4095) & ~(size_t)4095 : RL_BUF_MAX;
	b->p = xrealloc(b->p, ncap);
	b->cap = ncap;
}

static void
rb_release(struct xp_rbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* What the read buffer still holds moves to the session's own buffer. */
static void
rb_stash(struct xp_rbuf *b, const struct xp_rbuf *t)
{
	rb_room(b, t->len);
	memcpy(b->p + b->off + b->len, t->p + t->off, t->len);
	b->len += t->len;
	b->ready += t->ready;
}

/* How many more bytes the frame at the end of b needs (0: header incomplete). */
static size_t
rb_frame_rest(const struct xp_rbuf *b)
{
	uint8_t		 type;
	uint32_t	 bodylen;
	size_t		 part = b->len - b->ready;

	if (part < PL_HLEN)
		return 0;
	pl_peek_header(b->p + b->off + b->ready, PL_HLEN, &type, &bodylen);
	return PL_HLEN + (size_t)bodylen - part;
}

/* ---- start and end ---- */

void
relay_start(struct session *s)
{
	struct xp_relay		*rl = &s->rl;
	struct event_base	*base = s->d->base;

	memset(rl, 0, sizeof(*rl));
	rl->fd[XP_EP2ML] = s->ep->fd;
	rl->fd[XP_ML2EP] = bufferevent_getfd(s->ml);
	if ((rl->rev[0] = event_new(base, rl->fd[0], EV_READ | EV_PERSIST,
	    rl_ep_readable, s)) == NULL ||
	    (rl->wev[0] = event_new(base, rl->fd[0], EV_WRITE | EV_PERSIST,
	    rl_ep_writable, s)) == NULL ||
	    (rl->rev[1] = event_new(base, rl->fd[1], EV_READ | EV_PERSIST,
	    rl_ml_readable, s)) == NULL ||
	    (rl->wev[1] = event_new(base, rl->fd[1], EV_WRITE | EV_PERSIST,
	    rl_ml_writable, s)) == NULL)
		fatalx("event_new failed");
	/*
	 * We are inside the setup's read loop: take over on a fresh turn
	 * (what the setup read past the start result waits in ep_in).
	 */
	(void)session_ep_watch(s, 0);
	event_active(rl->rev[0], EV_READ, 1);
}

/*
 * The setup's machinery stops for good: the mlet's bufferevent only keeps
 * its socket until session_finish frees it.  What the setup read past the
 * start result is the first for the mlet; the endpoint's TLS may hold more,
 * and what the setup sent but the socket did not take yet stays first in
 * the TLS output.
 */
static void
rl_handover(struct session *s)
{
	struct xp_relay	*rl = &s->rl;
	size_t		 n;

	rl->started = 1;
	bufferevent_disable(s->ml, EV_READ | EV_WRITE);
	bufferevent_setcb(s->ml, NULL, NULL, NULL, NULL);
	if (s->ep_in != NULL) {
		if ((n = evbuffer_get_length(s->ep_in)) > 0) {
			rb_room(&rl->b[XP_EP2ML], n);
			evbuffer_remove(s->ep_in, rl->b[XP_EP2ML].p, n);
			rl->b[XP_EP2ML].len = n;
		}
		evbuffer_free(s->ep_in);
		s->ep_in = NULL;
	}
	log_cdebug(s->ctx, "relay: taking over (%zu bytes from the endpoint already read)",
	    rl->b[XP_EP2ML].len);
	rl_set_read(s, XP_ML2EP, 1);
	if (rl->b[XP_ML2EP].ready > 0 && rl_flush(s, XP_ML2EP, &rl->b[XP_ML2EP]) == -1)
		return;
	/* Parse what was handed over, then read what the SSL holds. */
	if (rl_parse(s, XP_EP2ML, &rl->b[XP_EP2ML]) == -1 ||
	    rl_flush(s, XP_EP2ML, &rl->b[XP_EP2ML]) == -1)
		return;
	for (n = 0; n < 2; n++)
		if (rl->b[n].len == 0 && rl->b[n].p != NULL)
			rb_release(&rl->b[n]);
	rl_pump(s, XP_EP2ML);
}

void
relay_free(struct session *s)
{
	struct xp_relay	*rl = &s->rl;
	int		 i;

	for (i = 0; i < 2; i++) {
		if (rl->rev[i] != NULL)
			event_free(rl->rev[i]);
		if (rl->wev[i] != NULL)
			event_free(rl->wev[i]);
		rl->rev[i] = rl->wev[i] = NULL;
		rl->reading[i] = rl->writing[i] = 0;
		rb_release(&rl->b[i]);
	}
}

/*
 * epoll_ctl can fail for one socket (ENOMEM, ENOSPC): end only this
 * session, from the session timer, not under our caller's feet.
 */
static void
rl_watch(struct session *s, struct event *ev)
{
	if (event_add(ev, NULL) == 0 || s->rl.watch_err != 0)
		return;
	s->rl.watch_err = errno != 0 ? errno : ENOMEM;
	event_active(s->timer, EV_TIMEOUT, 1);
}

static void
rl_set_read(struct session *s, int side, int on)
{
	struct xp_relay	*rl = &s->rl;

	if (rl->reading[side] == (unsigned)on || rl->rev[side] == NULL)
		return;
	rl->reading[side] = (unsigned)on;
	if (on)
		rl_watch(s, rl->rev[side]);
	else
		event_del(rl->rev[side]);
}

static void
rl_set_write(struct session *s, int side, int on)
{
	struct xp_relay	*rl = &s->rl;

	if (rl->writing[side] == (unsigned)on || rl->wev[side] == NULL)
		return;
	rl->writing[side] = (unsigned)on;
	if (on)
		rl_watch(s, rl->wev[side]);
	else
		event_del(rl->wev[side]);
}

/* ---- reading ---- */

/*
 * Read the endpoint's records into t until the socket has nothing more, up
 * to a turn's worth.  close_notify, EOF and a failed socket (a reset, a
 * keepalive timeout: rtls's syserr) all end the session as an EOF: a frame
 * cut short is still caught.  Once the socket is drained the TLS read buffer goes (an
 * idle session holds none).
 */
static enum rl_rd
rl_read_ep(struct session *s, struct xp_rbuf *t, char *why, size_t whylen)
{
	size_t		 n, room, got = 0;

	for (;;) {
		if ((room = t->cap - t->off - t->len) == 0)
			return RD_MORE;
		switch (rtls_read(s->ep, t->p + t->off + t->len, room, &n)) {
		case RTLS_OK:
			t->len += n;
			got += n;
			/* Nothing buffered: epoll says when the socket has more. */
			if (!rtls_pending(s->ep))
				return RD_OK;
			if (got >= RL_EP_TURN)
				return RD_MORE;
			continue;
		case RTLS_WANT_READ:
			rtls_idle(s->ep);
			return RD_OK;
		case RTLS_CLOSED:
		case RTLS_EOF:
			return RD_EOF;
		case RTLS_ERROR:
			/* The socket failed (syserr), as rl_sink_failed reads it. */
			if (s->ep->syserr != 0)
				return RD_EOF;
			snprintf(why, whylen, "TLS: %s", s->ep->why);
			return RD_ERR;
		}
	}
}

/* One read of the mlet's socket into t. */
static enum rl_rd
rl_read_ml(struct session *s, struct xp_rbuf *t, char *why, size_t whylen)
{
	size_t	 room = t->cap - t->off - t->len;
	ssize_t	 n;

	if (room == 0)
		return RD_MORE;
	while ((n = read(s->rl.fd[XP_ML2EP], t->p + t->off + t->len, room)) == -1 &&
	    errno == EINTR)
		;
	if (n > 0) {
		t->len += (size_t)n;
		return RD_OK;
	}
	if (n == 0)
		return RD_EOF;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return RD_OK;
	/*
	 * A unix socket whose peer exits with data unread reports ECONNRESET
	 * after the last byte: for the mlet that just means it is gone.
	 */
	if (errno == ECONNRESET || errno == EPIPE)
		return RD_EOF;
	snprintf(why, whylen, "%s", strerror(errno));
	return RD_ERR;
}

/*
 * Read the source of dir, forward every whole frame to the sink in the same
 * turn, keep what the sink did not take.
 */
static void
rl_pump(struct session *s, int dir)
{
	struct xp_relay	*rl = &s->rl;
	struct xp_rbuf	*b = &rl->b[dir], *t, shared;
	struct xp_scratch *sc = &s->d->scratch;
	enum rl_rd	 r;
	size_t		 rest;
	char		 why[400];

	if (b->len > 0) {
		/* Behind what the session holds, in its own buffer. */
		t = b;
		rest = rb_frame_rest(b);
		rb_room(b, rest > (dir == XP_EP2ML ? RL_READ_EP : RL_READ_ML) ? rest :
		    (dir == XP_EP2ML ? RL_READ_EP : RL_READ_ML));
	} else {
		if (sc->cap < RL_SHARED) {
			sc->p = xrealloc(sc->p, RL_SHARED);
			sc->cap = RL_SHARED;
		}
		memset(&shared, 0, sizeof(shared));
		shared.p = sc->p;
		shared.cap = sc->cap;
		t = &shared;
	}
	why[0] = '\0';
	r = dir == XP_EP2ML ? rl_read_ep(s, t, why, sizeof(why)) :
	    rl_read_ml(s, t, why, sizeof(why));
	if (rl_parse(s, dir, t) == -1 || rl_flush(s, dir, t) == -1)
		return;
	if (t == &shared && shared.len > 0)
		rb_stash(b, &shared);
	else if (t == b && b->len == 0)
		rb_release(b);
	if (r == RD_EOF || r == RD_ERR) {
		rl_source_ended(s, dir, r, why);
		return;
	}
	rl_update_read(s, dir);
	if (r == RD_MORE && rl->reading[dir])
		event_active(rl->rev[dir], EV_READ, 1);
}

/*
 * Check every whole frame after the ready ones; ready grows over those
 * that go on.  Returns -1 when the session was closed.
 */
static int
rl_parse(struct session *s, int dir, struct xp_rbuf *t)
{
	struct xp_frame		 f;
	enum xp_frame_res	 r;
	uint8_t			*q;

	for (;;) {
		q = t->p + t->off + t->ready;
		r = xp_frame_mem(q, t->len - t->ready, dir == XP_EP2ML ?
		    XP_FRAME_BODY_MAX : XP_FRAME_BODY_MAX_MLET, &f);
		switch (r) {
		case XP_FRAME_NEED:
			return 0;
		case XP_FRAME_OVERSIZE:
			rl_keep(s, dir, t);
			session_close(s, XP_END_FAIL, "%s sent an %s", side_name[dir], f.why);
			return -1;
		case XP_FRAME_MALFORMED:
			if (dir == XP_ML2EP) {
				/*
				 * 1.1.0 forwards it as raw bytes; the endpoint's
				 * decoder is the judge (ECTLBADMSG, then a reset).
				 */
				log_cwarnx(s->ctx, "mlet sent a malformed %s (%s): "
				    "forwarded; a 1.1.0 endpoint answers ECTLBADMSG "
				    "and ends the session", pl_type_name(f.type), f.why);
				break;
			}
			rl_keep(s, dir, t);
			session_close(s, XP_END_FAIL, "%s sent a malformed %s: %s",
			    side_name[dir], pl_type_name(f.type), f.why);
			return -1;
		case XP_FRAME_OK:
			break;
		}
		if (dir == XP_EP2ML && f.type == PL_LINFO) {
			xp_trace_msg(s, dir, XP_TR_INTERCEPTED, q, NULL, f.total);
			relay_log_linfo(s, &f.msg);
			/* Eaten: the ready frames before it move up over it. */
			memmove(t->p + t->off + f.total, t->p + t->off, t->ready);
			t->off += f.total;
			t->len -= f.total;
			continue;
		}
		if (dir == XP_EP2ML && f.type == PL_RESULT &&
		    f.msg.u.result.errid == PL_ECTLMONUKN &&
		    s->st.msgs[XP_ML2EP] == 0) {
			/*
			 * ERRATA missing fact 1: a monitor failed after start
			 * succeeded.  Only a result that answers no request of
			 * the mlet's is that; after a request, ECTLMONUKN is the
			 * mlet's own reply (a monitor crashed on it, §12.1).
			 */
			xp_trace_msg(s, dir, XP_TR_INTERCEPTED, q, NULL, f.total);
			rl_keep(s, dir, t);
			session_close(s, XP_END_FAIL, "endpoint could not start monitor %u "
			    "(ECTLMONUKN after start)", f.msg.u.result.monindx);
			return -1;
		}
		xp_trace_msg(s, dir, 0, q, NULL, f.total);
		t->ready += f.total;
		s->st.msgs[dir]++;
		s->st.bytes[dir] += f.total;
	}
}

/*
 * The session is about to close on a bad frame: the whole frames before it
 * still go to the sink (the drain sends them), so they must outlive the
 * shared read buffer.
 */
static void
rl_keep(struct session *s, int dir, struct xp_rbuf *t)
{
	struct xp_rbuf	*b = &s->rl.b[dir];

	if (t == b || t->ready == 0)
		return;
	rb_room(b, t->ready);
	memcpy(b->p + b->off + b->len, t->p + t->off, t->ready);
	b->len += t->ready;
	b->ready += t->ready;
	rb_consume(t, t->ready);
}

void
relay_log_linfo(struct session *s, const struct pl_msg *m)
{
	char	 text[512];

	s->st.linfo++;
	log_cinfo(s->ctx, "linfo from endpoint: %s", xp_linfo_text(m, text,
	    sizeof(text)));
}

/* ---- writing ---- */

/*
 * Write t's ready frames to the sink of dir: one write to the mlet, 16 KiB
 * TLS records to the endpoint.  Returns -1 when the session was closed.
 */
static int
rl_flush(struct session *s, int dir, struct xp_rbuf *t)
{
	struct xp_relay	*rl = &s->rl;
	size_t		 len;
	ssize_t		 w;

	if (dir == XP_EP2ML) {
		while (t->ready > 0) {
			w = write(rl->fd[XP_ML2EP], t->p + t->off, t->ready);
			if (w == -1 && errno == EINTR)
				continue;
			if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (w <= 0) {
				rl_sink_failed(s, XP_ML2EP, w == 0 ? EPIPE : errno);
				return s->state == XP_S_RELAY ? 0 : -1;
			}
			rb_consume(t, (size_t)w);
			if (t->ready > 0)
				break;	/* the socket is full */
		}
		rl_set_write(s, XP_ML2EP, t->ready > 0);
		return 0;
	}
	/*
	 * The endpoint: sealed RL_RECORD at a time, written at once; while
	 * more than RL_RECORD sealed bytes wait for the socket, the rest stays
	 * here (counted by the back-pressure).
	 */
	if (rtls_flush(s->ep) != RTLS_OK) {
		rl_sink_failed(s, XP_EP2ML, 0);
		return -1;
	}
	while (t->ready > 0 && rtls_unsent(s->ep) < RL_RECORD) {
		len = t->ready < RL_RECORD ? t->ready : RL_RECORD;
		if (rtls_write(s->ep, t->p + t->off, len) != RTLS_OK) {
			rl_sink_failed(s, XP_EP2ML, 0);
			return -1;
		}
		rb_consume(t, len);
	}
	rl_set_write(s, XP_EP2ML, rtls_unsent(s->ep) > 0);
	return 0;
}

/* The sink of dir took bytes: release an empty buffer, maybe read again. */
static void
rl_after_sink(struct session *s, int dir)
{
	struct xp_rbuf	*b = &s->rl.b[dir];

	if (b->len == 0 && b->p != NULL)
		rb_release(b);
	rl_update_read(s, dir);
}

/* Stop reading the source of dir above the high mark, resume below the low. */
static void
rl_update_read(struct session *s, int dir)
{
	struct xp_relay	*rl = &s->rl;
	size_t		 q = rl->b[dir].ready;
	int		 paused = dir == XP_EP2ML ? s->ep_paused : s->ml_paused;

	if (s->state != XP_S_RELAY)
		return;
	if (!paused && q > XP_HIGH_WATER) {
		if (dir == XP_EP2ML)
			s->ep_paused = 1;
		else
			s->ml_paused = 1;
		log_cdebug(s->ctx, "%s not read: %zu bytes wait for the %s",
		    side_name[dir], q, side_name[!dir]);
		rl_set_read(s, dir, 0);
		return;
	}
	if (paused && q <= XP_LOW_WATER) {
		if (dir == XP_EP2ML)
			s->ep_paused = 0;
		else
			s->ml_paused = 0;
		log_cdebug(s->ctx, "%s read again", side_name[dir]);
		/*
		 * The SSL may hold records that no epoll event will announce.
		 * Added first: event_add skips an event that is active.
		 */
		rl_set_read(s, dir, 1);
		if (dir == XP_EP2ML && rtls_pending(s->ep))
			event_active(rl->rev[dir], EV_READ, 1);
		return;
	}
	if (!paused)
		rl_set_read(s, dir, 1);
}

/* ---- events ---- */

static void
rl_ep_readable(evutil_socket_t fd, short ev, void *arg)
{
	struct session	*s = arg;
	struct xp_relay	*rl = &s->rl;

	if (!rl->started) {
		if (s->state == XP_S_RELAY)
			rl_handover(s);
		return;
	}
	if (s->state == XP_S_CLOSING) {
		rl_drain_step(s);
		return;
	}
	if (s->state != XP_S_RELAY)
		return;
	if (rl->reading[XP_EP2ML])
		rl_pump(s, XP_EP2ML);
}

static void
rl_ml_readable(evutil_socket_t fd, short ev, void *arg)
{
	struct session	*s = arg;

	if (s->state == XP_S_RELAY)
		rl_pump(s, XP_ML2EP);
}

/* The sink of dir can take more: flush it, or drain when closing. */
static void
rl_sink_writable(struct session *s, int dir)
{
	if (s->state == XP_S_CLOSING) {
		rl_drain_step(s);
		return;
	}
	if (s->state != XP_S_RELAY ||
	    rl_flush(s, dir, &s->rl.b[dir]) == -1)
		return;
	rl_after_sink(s, dir);
}

static void
rl_ep_writable(evutil_socket_t fd, short ev, void *arg)
{
	rl_sink_writable(arg, XP_ML2EP);
}

static void
rl_ml_writable(evutil_socket_t fd, short ev, void *arg)
{
	rl_sink_writable(arg, XP_EP2ML);
}

/* ---- ends ---- */

/*
 * The source of dir hit EOF or an error.  The whole frames it sent are
 * delivered by the drain; a frame cut short fails the session.
 */
static void
rl_source_ended(struct session *s, int dir, enum rl_rd r, const char *why)
{
	struct xp_rbuf	*b = &s->rl.b[dir];
	const char	*who = side_name[dir];
	uint8_t		 type;
	uint32_t	 bodylen;
	size_t		 left = b->len - b->ready;

	if (dir == XP_EP2ML)
		s->ep_gone = 1;
	else
		s->ml_gone = 1;
	if (r == RD_ERR) {
		session_close(s, XP_END_FAIL, "%s connection error: %s", who, why);
		return;
	}
	if (left >= PL_HLEN) {
		pl_peek_header(b->p + b->off + b->ready, PL_HLEN, &type, &bodylen);
		session_close(s, XP_END_FAIL, "%s left in the middle of a message "
		    "(%zu of %zu bytes of a type 0x%02x frame)", who, left,
		    (size_t)PL_HLEN + bodylen, type);
	} else if (left > 0)
		session_close(s, XP_END_FAIL, "%s left in the middle of a message "
		    "header (%zu of %d bytes)", who, left, PL_HLEN);
	else if (dir == XP_EP2ML)
		session_close(s, XP_END_DONE, "endpoint closed the session");
	else
		session_close(s, XP_END_DONE, "mlet closed its socket");
}

/*
 * Writing to side failed.  An mlet that is gone (EPIPE, ECONNRESET) ended
 * the session as if it had closed its socket, an endpoint whose socket
 * failed (rtls's syserr) as if it had closed the session; anything else,
 * a TLS failure of the endpoint's included, is an error.
 */
static void
rl_sink_failed(struct session *s, int side, int e)
{
	char	 why[400];

	if (side == XP_ML2EP && (e == EPIPE || e == ECONNRESET)) {
		rl_source_ended(s, XP_ML2EP, RD_EOF, NULL);
		return;
	}
	/* A socket error without a TLS one: the endpoint left (as when reading). */
	if (side == XP_EP2ML && s->ep->syserr != 0) {
		rl_source_ended(s, XP_EP2ML, RD_EOF, NULL);
		return;
	}
	if (side == XP_EP2ML) {
		s->ep_gone = 1;
		snprintf(why, sizeof(why), "TLS: %s", s->ep->why);
	} else {
		s->ml_gone = 1;
		snprintf(why, sizeof(why), "%s", e != 0 ? strerror(e) : "I/O error");
	}
	session_close(s, XP_END_FAIL, "%s connection error while writing: %s",
	    side_name[side], why);
}

/* ---- closing ---- */

/*
 * Flush and close (session_close sets CLOSING and arms the drain timer).
 * Reading stops on both sides; a side still there keeps its output until it
 * is written, then is closed.
 */
void
relay_drain(struct session *s)
{
	if (s->rl.started) {
		rl_set_read(s, XP_EP2ML, 0);
		rl_set_read(s, XP_ML2EP, 0);
		session_timer_ms(s, XP_DRAIN_TIMEOUT_MS);
		rl_drain_step(s);
		return;
	}
	if (s->ep != NULL && session_ep_watch(s, rtls_unsent(s->ep) > 0 ?
	    EV_WRITE : 0) == -1)
		s->ep_gone = 1;
	if (s->ml != NULL) {
		bufferevent_disable(s->ml, EV_READ);
		bufferevent_setcb(s->ml, drain_read, drain_write, drain_event, s);
		bufferevent_setwatermark(s->ml, EV_WRITE, 0, 0);
	}
	session_timer_ms(s, XP_DRAIN_TIMEOUT_MS);
	drain_check(s);
}

/*
 * One step of a relay's drain: the mlet gets its whole frames, then EOF;
 * the endpoint its frames, then close_notify, then we wait (bounded) for
 * its own close.
 */
static void
rl_drain_step(struct session *s)
{
	struct xp_relay	*rl = &s->rl;

	if (s->ml != NULL) {
		if (!s->ml_gone && rl->b[XP_EP2ML].ready > 0)
			rl_flush(s, XP_EP2ML, &rl->b[XP_EP2ML]);
		if (s->ml_gone || rl->b[XP_EP2ML].ready == 0)
			rl_close_side(s, XP_ML2EP);
	}
	if (s->ep != NULL && s->tls_closing && !s->ep_gone) {
		if (rtls_unsent(s->ep) > 0 && rtls_flush(s->ep) != RTLS_OK)
			s->ep_gone = 1;
		else if (rl_discard_ep(s) && rtls_pending(s->ep))
			event_active(rl->rev[XP_EP2ML], EV_READ, 1);
		if (!s->ep_gone)
			rl_set_write(s, XP_EP2ML, rtls_unsent(s->ep) > 0);
	}
	if (s->ep != NULL && !s->ep_gone && !s->tls_closing) {
		if (rl->b[XP_ML2EP].ready > 0)
			rl_flush(s, XP_ML2EP, &rl->b[XP_ML2EP]);
		if (!s->ep_gone && rl->b[XP_ML2EP].ready == 0)
			rl_tls_shutdown(s);
	}
	if (s->ep != NULL && s->ep_gone)
		rl_close_side(s, XP_EP2ML);
	if (s->ep == NULL && s->ml == NULL && s->state == XP_S_CLOSING)
		session_finish(s);
}

/*
 * Until the endpoint's close_notify, EOF or error, what it sends is read
 * and dropped; a turn's worth at a time, or an endpoint that keeps sending
 * would hold the loop (and the close-wait timer) forever.  1: a turn's
 * worth was read and more may be buffered.
 */
static int
rl_discard_ep(struct session *s)
{
	uint8_t		 junk[4096];
	size_t		 n, got = 0;
	enum rtls_res	 r;

	while (got < RL_EP_TURN) {
		if ((r = rtls_read(s->ep, junk, sizeof(junk), &n)) == RTLS_OK) {
			got += n;
			continue;
		}
		if (r != RTLS_WANT_READ)
			s->ep_gone = 1;
		else
			rtls_idle(s->ep);
		return 0;
	}
	return 1;
}

/* close_notify; then the endpoint's reads are watched for its own close. */
static void
rl_tls_shutdown(struct session *s)
{
	if (rtls_close_notify(s->ep) != RTLS_OK) {
		s->ep_gone = 1;
		return;
	}
	s->tls_closing = 1;
	rl_set_write(s, XP_EP2ML, rtls_unsent(s->ep) > 0);
	session_timer_ms(s, XP_TLS_CLOSE_WAIT_MS);
	rl_set_read(s, XP_EP2ML, 1);
}

/* Close one side's socket (its bufferevent owns it, and the SSL). */
static void
rl_close_side(struct session *s, int side)
{
	rl_set_read(s, side, 0);
	rl_set_write(s, side, 0);
	if (side == XP_EP2ML) {
		session_ep_free(s);	/* also frees the SSL, closes the socket */
	} else {
		bufferevent_free(s->ml);	/* the mlet reads EOF */
		s->ml = NULL;
	}
}

static void
drain_check(struct session *s)
{
	if (s->ml != NULL && (s->ml_gone ||
	    evbuffer_get_length(bufferevent_get_output(s->ml)) == 0)) {
		bufferevent_free(s->ml);	/* the mlet reads EOF */
		s->ml = NULL;
	}
	if (s->ep != NULL && !s->tls_closing) {
		if (s->ep_gone)
			session_ep_free(s);
		else if (rtls_unsent(s->ep) == 0)
			tls_shutdown(s);
	}
	if (s->ep == NULL && s->ml == NULL)
		session_finish(s);
}

/*
 * Send close_notify, then wait (bounded) for the endpoint's own close:
 * closing the socket at once could make the kernel answer late data with a
 * reset, and a reset can destroy what the endpoint has not read yet.
 */
static void
tls_shutdown(struct session *s)
{
	s->tls_closing = 1;
	session_timer_ms(s, XP_TLS_CLOSE_WAIT_MS);
	if (rtls_close_notify(s->ep) != RTLS_OK ||
	    session_ep_watch(s, EV_READ | (rtls_unsent(s->ep) > 0 ? EV_WRITE :
	    0)) == -1) {
		log_cdebug(s->ctx, "cannot wait for the endpoint's close: %s",
		    s->ep->why[0] != '\0' ? s->ep->why : strerror(errno));
		session_ep_free(s);
	}
}

/* The endpoint's socket during a drain that began before the relay. */
void
relay_ep_event(struct session *s, short what)
{
	if (s->ep == NULL || s->rl.started)
		return;
	if ((what & EV_WRITE) && rtls_flush(s->ep) != RTLS_OK)
		s->ep_gone = 1;
	if ((what & EV_READ) && s->tls_closing && !s->ep_gone &&
	    rl_discard_ep(s) && rtls_pending(s->ep))
		event_active(s->ep_ev, EV_READ, 0);
	if (s->ep_gone && s->tls_closing)
		session_ep_free(s);
	else if (!s->ep_gone && session_ep_watch(s, (s->tls_closing ? EV_READ :
	    0) | (rtls_unsent(s->ep) > 0 ? EV_WRITE : 0)) == -1)
		s->ep_gone = 1;
	drain_check(s);
}

static void
drain_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer	*in = bufferevent_get_input(bev);

	evbuffer_drain(in, evbuffer_get_length(in));
}

static void
drain_write(struct bufferevent *bev, void *arg)
{
	drain_check(arg);
}

static void
drain_event(struct bufferevent *bev, short what, void *arg)
{
	struct session	*s = arg;

	(void)bev;
	s->ml_gone = 1;
	drain_check(s);
}
