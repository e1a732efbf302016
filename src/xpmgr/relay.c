/*
 * relay.c: the data path of a running session.  Whole messages move between
 * the endpoint (TLS) and the mlet (plain socket) in both directions: headers
 * are parsed, known bodies validated, the original bytes forwarded without
 * re-encoding; linfo from the endpoint is logged and eaten.  A malformed
 * message ends the session when the endpoint sends it; from the mlet it is
 * forwarded with a warning, as 1.1.0 does, for the endpoint to judge.
 *
 * Back-pressure (the le-proxy pattern): when the partner's output holds more
 * than XP_HIGH_WATER bytes the source stops reading, and the partner's write
 * callback resumes it below XP_LOW_WATER, so a slow mlet or endpoint costs
 * bounded memory.  When the session closes, the side that is still there
 * gets what was meant for it, then its socket closes: the mlet reads EOF,
 * the endpoint gets a TLS close_notify; both waits are bounded.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <pktlab/wire.h>

#include "util/log.h"
#include "xpmgr/daemon.h"

static void	 relay_ep_read(struct bufferevent *bev, void *arg);
static void	 relay_ml_read(struct bufferevent *bev, void *arg);
static void	 relay_ml_read_more(struct session *s);
static void	 relay_ep_write(struct bufferevent *bev, void *arg);
static void	 relay_ml_write(struct bufferevent *bev, void *arg);
static void	 relay_ep_event(struct bufferevent *bev, short what, void *arg);
static void	 relay_ml_event(struct bufferevent *bev, short what, void *arg);
static int	 relay_pump(struct session *s, int dir, int closing);
static void	 relay_resume(struct session *s, int dir);
static void	 relay_side_ended(struct session *s, int dir, short what);
static void	 drain_read(struct bufferevent *bev, void *arg);
static void	 drain_write(struct bufferevent *bev, void *arg);
static void	 drain_event(struct bufferevent *bev, short what, void *arg);
static void	 drain_check(struct session *s);
static void	 tls_shutdown(struct session *s);

static const char *const side_name[2] = { "endpoint", "mlet" };

/*
 * libevent 2.1 reads at most 4 KiB per turn of the loop (EVBUFFER_MAX_READ,
 * fixed until 2.2), so a fast mlet cost an ioctl, a readv and an epoll_wait
 * per 4 KiB, and each 4 KiB chain went out as a TLS record of its own.  When
 * a read leaves 4 KiB or more waiting, relay_ml_read_more takes up to this
 * much more from the socket at once (bench/run, 256 MiB of nsend: a third
 * less CPU per MB, and 1.3 to 1.7 times the mlet->endpoint throughput).
 */
#define ML_READ_MORE	(64u * 1024u)

void
relay_start(struct session *s)
{
	bufferevent_setcb(s->ep, relay_ep_read, relay_ep_write, relay_ep_event, s);
	bufferevent_setcb(s->ml, relay_ml_read, relay_ml_write, relay_ml_event, s);
	/* Input holds at most one frame in the making (plus one read). */
	bufferevent_setwatermark(s->ep, EV_READ, 0, PL_HLEN + XP_FRAME_BODY_MAX);
	bufferevent_setwatermark(s->ml, EV_READ, 0, PL_HLEN + XP_FRAME_BODY_MAX_MLET);
	bufferevent_setwatermark(s->ep, EV_WRITE, XP_LOW_WATER, 0);
	bufferevent_setwatermark(s->ml, EV_WRITE, XP_LOW_WATER, 0);
	bufferevent_enable(s->ml, EV_READ | EV_WRITE);
	bufferevent_enable(s->ep, EV_READ | EV_WRITE);
	/* Bytes that came right behind the start result. */
	relay_pump(s, XP_EP2ML, 0);
}

static struct bufferevent *
src_of(struct session *s, int dir)
{
	return dir == XP_EP2ML ? s->ep : s->ml;
}

static struct bufferevent *
dst_of(struct session *s, int dir)
{
	return dir == XP_EP2ML ? s->ml : s->ep;
}

/*
 * Move every complete frame from one side to the other.  Stops at an
 * incomplete frame or when the partner's output is over the high mark
 * (unless closing: then the frames are bounded by what was already read).
 * Returns -1 when the session was closed.
 */
static int
relay_pump(struct session *s, int dir, int closing)
{
	struct evbuffer		*in = bufferevent_get_input(src_of(s, dir));
	struct evbuffer		*out = bufferevent_get_output(dst_of(s, dir));
	struct xp_frame		 f;
	enum xp_frame_res	 r;

	for (;;) {
		if (!closing && evbuffer_get_length(out) > XP_HIGH_WATER) {
			bufferevent_disable(src_of(s, dir), EV_READ);
			if (dir == XP_EP2ML)
				s->ep_paused = 1;
			else
				s->ml_paused = 1;
			log_cdebug(s->ctx, "%s not read: %zu bytes wait for the %s",
			    side_name[dir], evbuffer_get_length(out), side_name[!dir]);
			return 0;
		}
		r = xp_frame_next(in, dir == XP_EP2ML ? XP_FRAME_BODY_MAX :
		    XP_FRAME_BODY_MAX_MLET, &s->d->scratch, &f);
		switch (r) {
		case XP_FRAME_NEED:
			return 0;
		case XP_FRAME_OVERSIZE:
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
			session_close(s, XP_END_FAIL, "%s sent a malformed %s: %s",
			    side_name[dir], pl_type_name(f.type), f.why);
			return -1;
		case XP_FRAME_OK:
			break;
		}
		if (dir == XP_EP2ML && f.type == PL_LINFO) {
			xp_trace_msg(s, dir, XP_TR_INTERCEPTED, NULL, in, f.total);
			relay_log_linfo(s, &f.msg);
			evbuffer_drain(in, f.total);
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
			xp_trace_msg(s, dir, XP_TR_INTERCEPTED, NULL, in, f.total);
			session_close(s, XP_END_FAIL, "endpoint could not start monitor %u "
			    "(ECTLMONUKN after start)", f.msg.u.result.monindx);
			return -1;
		}
		xp_trace_msg(s, dir, 0, NULL, in, f.total);
		evbuffer_remove_buffer(in, out, f.total);
		s->st.msgs[dir]++;
		s->st.bytes[dir] += f.total;
	}
}

void
relay_log_linfo(struct session *s, const struct pl_msg *m)
{
	char	 text[512];

	s->st.linfo++;
	log_cinfo(s->ctx, "linfo from endpoint: %s", xp_linfo_text(m, text,
	    sizeof(text)));
}

static void
relay_ep_read(struct bufferevent *bev, void *arg)
{
	relay_pump(arg, XP_EP2ML, 0);
}

static void
relay_ml_read(struct bufferevent *bev, void *arg)
{
	relay_ml_read_more(arg);
	relay_pump(arg, XP_ML2EP, 0);
}

/*
 * Read what else the mlet's socket holds into the same input buffer, past
 * libevent's 4 KiB.  Only when 4 KiB or more wait (a small request costs no
 * extra syscall), within the input's high mark, and while the endpoint is
 * not held back.  EOF and errors are left for libevent's next read, which
 * sees them again, to report.
 */
static void
relay_ml_read_more(struct session *s)
{
	struct evbuffer		*in = bufferevent_get_input(s->ml);
	struct evbuffer_iovec	 v[2];
	struct iovec		 iov[2];
	size_t			 have = evbuffer_get_length(in);
	ssize_t			 n;
	int			 i, nv;

	if (have < 4096 || have >= PL_HLEN + XP_FRAME_BODY_MAX_MLET ||
	    evbuffer_get_length(bufferevent_get_output(s->ep)) > XP_HIGH_WATER)
		return;
	/* A bufferevent's input is frozen at its end but while libevent reads. */
	evbuffer_unfreeze(in, 0);
	if ((nv = evbuffer_reserve_space(in, ML_READ_MORE, v, 2)) <= 0)
		goto done;
	for (i = 0; i < nv; i++) {
		iov[i].iov_base = v[i].iov_base;
		iov[i].iov_len = v[i].iov_len;
	}
	if ((n = readv(bufferevent_getfd(s->ml), iov, nv)) <= 0) {
		evbuffer_commit_space(in, v, 0);
		goto done;
	}
	/* Commit the vectors the bytes landed in, the last one partly. */
	for (i = 0; i < nv && n > 0; i++) {
		if ((size_t)n < v[i].iov_len)
			v[i].iov_len = (size_t)n;
		n -= (ssize_t)v[i].iov_len;
	}
	evbuffer_commit_space(in, v, i);
done:
	evbuffer_freeze(in, 0);
}

/* The mlet's output drained: the endpoint may be read again, and so on. */
static void
relay_ml_write(struct bufferevent *bev, void *arg)
{
	relay_resume(arg, XP_EP2ML);
}

static void
relay_ep_write(struct bufferevent *bev, void *arg)
{
	relay_resume(arg, XP_ML2EP);
}

static void
relay_resume(struct session *s, int dir)
{
	unsigned	 paused = dir == XP_EP2ML ? s->ep_paused : s->ml_paused;

	if (!paused || s->state != XP_S_RELAY ||
	    evbuffer_get_length(bufferevent_get_output(dst_of(s, dir))) > XP_LOW_WATER)
		return;
	if (dir == XP_EP2ML)
		s->ep_paused = 0;
	else
		s->ml_paused = 0;
	log_cdebug(s->ctx, "%s read again", side_name[dir]);
	/* Frames already read first: no new data may come to wake us for them. */
	if (relay_pump(s, dir, 0) == 0 && !(dir == XP_EP2ML ? s->ep_paused : s->ml_paused))
		bufferevent_enable(src_of(s, dir), EV_READ);
}

static void
relay_ep_event(struct bufferevent *bev, short what, void *arg)
{
	relay_side_ended(arg, XP_EP2ML, what);
}

static void
relay_ml_event(struct bufferevent *bev, short what, void *arg)
{
	relay_side_ended(arg, XP_ML2EP, what);
}

/*
 * One side hit EOF or an error.  What it sent before is delivered to the
 * other side (complete frames only), then the session closes.
 */
static void
relay_side_ended(struct session *s, int dir, short what)
{
	struct bufferevent	*src = src_of(s, dir);
	struct evbuffer		*in = bufferevent_get_input(src);
	const char		*who = side_name[dir];
	unsigned long		 err;
	uint8_t			 hdr[PL_HLEN], type;
	uint32_t		 bodylen;
	size_t			 left;
	char			 why[400];
	int			 e = errno;

	if (dir == XP_EP2ML)
		s->ep_gone = 1;
	else
		s->ml_gone = 1;
	/*
	 * A unix socket whose peer exits with data unread reports ECONNRESET
	 * after the last byte, and writing to it EPIPE: for the mlet both
	 * just mean it is gone.
	 */
	if ((what & BEV_EVENT_ERROR) && dir == XP_ML2EP &&
	    (e == ECONNRESET || e == EPIPE))
		what = (short)((what & ~BEV_EVENT_ERROR) | BEV_EVENT_EOF);

	if (what & BEV_EVENT_ERROR) {
		if (dir == XP_EP2ML && (err = bufferevent_get_openssl_error(src)) != 0)
			xp_tls_failure(s->ssl, err, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "%s", e != 0 ? strerror(e) : "I/O error");
		session_close(s, XP_END_FAIL, "%s connection error%s: %s", who,
		    (what & BEV_EVENT_WRITING) ? " while writing" : "", why);
		return;
	}
	if (dir == XP_EP2ML)
		s->ep_eof = 1;
	else
		s->ml_eof = 1;
	if (relay_pump(s, dir, 1) == -1)
		return;
	if ((left = evbuffer_get_length(in)) > 0) {
		if (left >= PL_HLEN) {
			evbuffer_copyout(in, hdr, sizeof(hdr));
			pl_peek_header(hdr, sizeof(hdr), &type, &bodylen);
			session_close(s, XP_END_FAIL, "%s left in the middle of a message "
			    "(%zu of %zu bytes of a type 0x%02x frame)", who, left,
			    (size_t)PL_HLEN + bodylen, type);
		} else
			session_close(s, XP_END_FAIL, "%s left in the middle of a message "
			    "header (%zu of %d bytes)", who, left, PL_HLEN);
		return;
	}
	if (dir == XP_EP2ML)
		session_close(s, XP_END_DONE, "endpoint closed the session");
	else
		session_close(s, XP_END_DONE, "mlet closed its socket");
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
	if (s->ep != NULL) {
		bufferevent_disable(s->ep, EV_READ);
		bufferevent_setcb(s->ep, drain_read, drain_write, drain_event, s);
		bufferevent_setwatermark(s->ep, EV_WRITE, 0, 0);
	}
	if (s->ml != NULL) {
		bufferevent_disable(s->ml, EV_READ);
		bufferevent_setcb(s->ml, drain_read, drain_write, drain_event, s);
		bufferevent_setwatermark(s->ml, EV_WRITE, 0, 0);
	}
	session_timer_ms(s, XP_DRAIN_TIMEOUT_MS);
	drain_check(s);
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
		if (s->ep_gone) {
			bufferevent_free(s->ep);
			s->ep = NULL;
			s->ssl = NULL;
		} else if (evbuffer_get_length(bufferevent_get_output(s->ep)) == 0)
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
	ERR_clear_error();
	if (SSL_shutdown(s->ssl) == 1) {
		bufferevent_free(s->ep);
		s->ep = NULL;
		s->ssl = NULL;
		return;
	}
	ERR_clear_error();
	session_timer_ms(s, XP_TLS_CLOSE_WAIT_MS);
	bufferevent_enable(s->ep, EV_READ);
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

	if (bev == s->ep) {
		s->ep_gone = 1;
		if (s->tls_closing) {
			bufferevent_free(s->ep);
			s->ep = NULL;
			s->ssl = NULL;
		}
	} else
		s->ml_gone = 1;
	drain_check(s);
}
