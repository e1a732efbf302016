/*
 * responder.c: the endpoint's side of the bench protocol (bench.h), on any
 * bufferevent: xpbench-ep runs it over TLS after the session setup, and
 * xpbench-mlet's baseline child over a plain socket pair.
 *
 * Like an endpoint, it answers every request in order.  A push (mwrite at
 * BENCH_PUSH_ADDR) is paced by the output buffer: frames are added up to
 * BENCH_HIGH_WATER and the write callback adds more below BENCH_LOW_WATER,
 * so memory stays bounded whatever the transfer size.  Reading stops while
 * the output is over the high mark, so a peer flooding requests is held
 * back by its socket instead of growing our buffers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <pktlab/wire.h>

#include "bench.h"

static void	 resp_read(struct bufferevent *, void *);
static void	 resp_write(struct bufferevent *, void *);
static void	 resp_event(struct bufferevent *, short, void *);
static int	 resp_answer(struct responder *, uint8_t, uint32_t);
static void	 resp_push(struct responder *);
static void	 resp_fail(struct responder *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static const uint8_t	 zeros[PL_MREAD_MAX];

void
resp_attach(struct responder *r, struct bufferevent *bev,
    const struct resp_ops *ops, void *arg)
{
	struct pl_msg	 m;

	r->bev = bev;
	r->ops = ops;
	r->arg = arg;
	pl_msg_ndata(&m, 0, PL_FAM_IPV4, PL_PROTO_TCP, 0, NULL, 0, NULL, 0);
	bench_tmpl_init(&r->ndata, &m);
	pl_msg_nsend(&m, 0, PL_FAM_IPV4, PL_PROTO_TCP, 0, 0, NULL, 0, NULL, 0);
	bench_tmpl_init(&r->nsend, &m);
	bufferevent_setcb(bev, resp_read, resp_write, resp_event, r);
	bufferevent_setwatermark(bev, EV_WRITE, BENCH_LOW_WATER, 0);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	/* Requests that arrived with the last bytes of the setup. */
	resp_read(bev, r);
}

static void
resp_read(struct bufferevent *bev, void *arg)
{
	struct responder	*r = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer		*out = bufferevent_get_output(bev);
	uint8_t			 type;
	uint32_t		 bodylen;
	int			 rc;

	for (;;) {
		if (evbuffer_get_length(out) > BENCH_HIGH_WATER) {
			bufferevent_disable(bev, EV_READ);
			r->paused = 1;
			return;
		}
		if ((rc = bench_frame_next(in, BENCH_FRAME_MAX, &type, &bodylen)) == 0)
			return;
		if (rc == -1) {
			resp_fail(r, "a frame of %u bytes (type 0x%02x) from the mlet",
			    bodylen, type);
			return;
		}
		if (r->nreq == 0 && r->ops->first != NULL)
			r->ops->first(r);
		if (resp_answer(r, type, bodylen) == -1)
			return;
	}
}

/* Answer the first frame of the input and drain it; -1 when the session ended. */
static int
resp_answer(struct responder *r, uint8_t type, uint32_t bodylen)
{
	struct evbuffer	*in = bufferevent_get_input(r->bev);
	struct evbuffer	*out = bufferevent_get_output(r->bev);
	struct pl_msg	 m, a;
	uint64_t	 total;
	uint32_t	 chunk;
	char		 why[200];

	r->nreq++;
	if (type == PL_NSEND) {
		/* The payload is only counted: no need to make it contiguous. */
		if (bodylen < r->nsend.fixed) {
			resp_fail(r, "an nsend of %u bytes, under the TCP form's %u",
			    bodylen, r->nsend.fixed);
			return -1;
		}
		r->nsend_bytes += bodylen - r->nsend.fixed;
		evbuffer_drain(in, PL_HLEN + (size_t)bodylen);
		pl_msg_result(&a, PL_SUCCESS);
		bench_send(out, &a);
		return 0;
	}
	if (bench_frame_decode(in, bodylen, &m, why, sizeof(why)) != PL_DEC_OK) {
		resp_fail(r, "a malformed %s from the mlet: %s",
		    pl_type_name(type) != NULL ? pl_type_name(type) : "message", why);
		return -1;
	}
	if (m.type == PL_MREAD) {
		pl_msg_mdata(&a, m.u.mread.addr, zeros, m.u.mread.len);
		bench_send(out, &a);
	} else if (m.type == PL_MWRITE && m.u.mem.addr == BENCH_PUSH_ADDR &&
	    m.u.mem.len == BENCH_PUSH_LEN) {
		total = pl_get64(m.u.mem.data);
		chunk = pl_get32(m.u.mem.data + 8);
		if (chunk == 0 || chunk > BENCH_CHUNK) {
			resp_fail(r, "a push in chunks of %u bytes (1..%u)", chunk,
			    BENCH_CHUNK);
			return -1;
		}
		pl_msg_result(&a, PL_SUCCESS);
		bench_send(out, &a);
		r->push_left += total;
		r->push_chunk = chunk;
	} else {
		pl_msg_result(&a, PL_SUCCESS);
		bench_send(out, &a);
	}
	evbuffer_drain(in, PL_HLEN + (size_t)bodylen);
	if (r->push_left > 0)
		resp_push(r);
	return 0;
}

static void
resp_push(struct responder *r)
{
	struct evbuffer	*out = bufferevent_get_output(r->bev);
	uint32_t	 n;

	while (r->push_left > 0 && evbuffer_get_length(out) < BENCH_HIGH_WATER) {
		n = r->push_left < r->push_chunk ? (uint32_t)r->push_left : r->push_chunk;
		bench_tmpl_add(out, &r->ndata, n);
		r->push_left -= n;
	}
}

static void
resp_write(struct bufferevent *bev, void *arg)
{
	struct responder	*r = arg;

	if (r->push_left > 0)
		resp_push(r);
	if (r->paused && evbuffer_get_length(bufferevent_get_output(bev)) <
	    BENCH_HIGH_WATER) {
		r->paused = 0;
		bufferevent_enable(bev, EV_READ);
		resp_read(bev, r);
	}
}

static void
resp_event(struct bufferevent *bev, short what, void *arg)
{
	struct responder	*r = arg;
	int			 e = errno;

	if (what & BEV_EVENT_EOF) {
		r->ops->end(r, NULL);
		return;
	}
	if (what & BEV_EVENT_ERROR)
		resp_fail(r, "connection error%s%s", e != 0 ? ": " : "",
		    e != 0 ? strerror(e) : "");
}

static void
resp_fail(struct responder *r, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	bufferevent_disable(r->bev, EV_READ | EV_WRITE);
	r->ops->end(r, r->why);
}
