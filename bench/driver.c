/*
 * driver.c: the mlet's side of the bench protocol (bench.h) on any
 * bufferevent.  A plan runs in phases, each timed on the mlet's clock:
 *
 *   hello  one mread/mdata: the session works (always first)
 *   rtt    plan.rtts mread/mdata pairs, one at a time, each timed
 *   out    plan.out_bytes of nsend payload, then an mread as a marker: the
 *          endpoint answers requests in order, so its mdata proves every
 *          nsend arrived; the clock stops there
 *   in     an mwrite at BENCH_PUSH_ADDR asks for plan.in_bytes of ndata;
 *          the clock stops at the last payload byte
 *
 * The nsend stream is paced by the output buffer (high and low marks), so
 * a transfer of any size takes bounded memory.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <pktlab/wire.h>

#include "util/util.h"
#include "bench.h"

enum {
	P_HELLO,
	P_RTT,
	P_OUT,		/* sending nsend frames */
	P_OUT_MARK,	/* all sent; waiting for the marker's mdata */
	P_IN,
	P_DONE,
};

static const char *const phase_name[] = {
	"the hello", "the round trips", "the nsend transfer", "the nsend transfer",
	"the ndata transfer", "the end",
};

static void	 drv_read(struct bufferevent *, void *);
static void	 drv_write(struct bufferevent *, void *);
static void	 drv_event(struct bufferevent *, short, void *);
static int	 drv_frame(struct driver *, uint8_t, uint32_t);
static int	 drv_next_phase(struct driver *);
static void	 drv_fill(struct driver *);
static void	 drv_mread(struct driver *);
static uint32_t	 drv_chunk(const struct driver *);
static uint64_t	 drv_rig_cpu(const struct driver *);
static void	 drv_fail(struct driver *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

void
drv_start(struct driver *d, struct bufferevent *bev, const struct drv_plan *plan,
    drv_cb *cb, void *arg)
{
	struct pl_msg	 m;

	d->bev = bev;
	d->cb = cb;
	d->arg = arg;
	d->plan = *plan;
	memset(&d->res, 0, sizeof(d->res));
	if (plan->rtts > 0)
		d->res.rtt_ns = xcalloc(plan->rtts, sizeof(*d->res.rtt_ns));
	pl_msg_nsend(&m, 0, PL_FAM_IPV4, PL_PROTO_TCP, 0, 0, NULL, 0, NULL, 0);
	bench_tmpl_init(&d->nsend, &m);
	pl_msg_ndata(&m, 0, PL_FAM_IPV4, PL_PROTO_TCP, 0, NULL, 0, NULL, 0);
	bench_tmpl_init(&d->ndata, &m);
	bufferevent_setcb(bev, drv_read, drv_write, drv_event, d);
	bufferevent_setwatermark(bev, EV_WRITE, BENCH_LOW_WATER, 0);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	d->phase = P_HELLO;
	drv_mread(d);
}

void
drv_clear(struct driver *d)
{
	free(d->res.rtt_ns);
	d->res.rtt_ns = NULL;
}

static void
drv_mread(struct driver *d)
{
	struct pl_msg	 m;

	pl_msg_mread(&m, BENCH_HELLO_ADDR, BENCH_HELLO_LEN);
	d->t0 = bench_now_ns();
	bench_send(bufferevent_get_output(d->bev), &m);
}

static void
drv_read(struct bufferevent *bev, void *arg)
{
	struct driver	*d = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	uint8_t		 type;
	uint32_t	 bodylen;
	int		 rc;

	for (;;) {
		if ((rc = bench_frame_next(in, BENCH_FRAME_MAX, &type, &bodylen)) == 0)
			return;
		if (rc == -1) {
			drv_fail(d, "a frame of %u bytes (type 0x%02x) from the endpoint",
			    bodylen, type);
			return;
		}
		if (drv_frame(d, type, bodylen) == -1)
			return;
	}
}

/* Take the first frame of the input; -1 when the callback was called. */
static int
drv_frame(struct driver *d, uint8_t type, uint32_t bodylen)
{
	struct evbuffer	*in = bufferevent_get_input(d->bev);
	uint64_t	 now, got;

	evbuffer_drain(in, PL_HLEN + (size_t)bodylen);
	if (d->phase == P_DONE)
		return 0;
	if (d->phase == P_IN && type == PL_NDATA) {
		if (bodylen < d->ndata.fixed ||
		    (got = bodylen - d->ndata.fixed) > d->left) {
			drv_fail(d, "an ndata of %u bytes where %llu payload bytes "
			    "were left", bodylen, (unsigned long long)d->left);
			return -1;
		}
		if ((d->left -= got) > 0)
			return 0;
		d->res.in_ns = bench_now_ns() - d->t0;
		if (d->plan.cpu_pid > 0)
			d->res.in_cpu_ns = bench_proc_cpu_ns(d->plan.cpu_pid) - d->cpu0;
		d->res.in_rig_ns = drv_rig_cpu(d) - d->rig0;
		return drv_next_phase(d);
	}
	if (type == PL_RESULT)		/* nsend and push acknowledgements */
		return 0;
	if (type != PL_MDATA || d->phase == P_OUT || d->phase == P_IN) {
		drv_fail(d, "unexpected %s (type 0x%02x) during %s",
		    pl_type_name(type) != NULL ? pl_type_name(type) : "message",
		    type, phase_name[d->phase]);
		return -1;
	}
	now = bench_now_ns();
	switch (d->phase) {
	case P_HELLO:
		return drv_next_phase(d);
	case P_RTT:
		d->res.rtt_ns[d->res.nrtt++] = now - d->t0;
		if (d->res.nrtt < d->plan.rtts) {
			drv_mread(d);
			return 0;
		}
		bench_sort(d->res.rtt_ns, d->res.nrtt);
		return drv_next_phase(d);
	case P_OUT_MARK:
		d->res.out_ns = now - d->t0;
		if (d->plan.cpu_pid > 0)
			d->res.out_cpu_ns = bench_proc_cpu_ns(d->plan.cpu_pid) - d->cpu0;
		d->res.out_rig_ns = drv_rig_cpu(d) - d->rig0;
		return drv_next_phase(d);
	}
	return 0;
}

/* Start the next phase the plan has; -1 when the callback was called. */
static int
drv_next_phase(struct driver *d)
{
	struct pl_msg	 m;
	uint8_t		 push[BENCH_PUSH_LEN];

	if (d->phase < P_RTT && d->plan.rtts > 0) {
		d->phase = P_RTT;
		drv_mread(d);
		return 0;
	}
	if (d->phase < P_OUT && d->plan.out_bytes > 0) {
		d->phase = P_OUT;
		d->left = d->plan.out_bytes;
		d->t0 = bench_now_ns();
		if (d->plan.cpu_pid > 0)
			d->cpu0 = bench_proc_cpu_ns(d->plan.cpu_pid);
		d->rig0 = drv_rig_cpu(d);
		drv_fill(d);
		return 0;
	}
	if (d->phase < P_IN && d->plan.in_bytes > 0) {
		d->phase = P_IN;
		d->left = d->plan.in_bytes;
		pl_put64(push, d->plan.in_bytes);
		pl_put32(push + 8, drv_chunk(d));
		pl_msg_mwrite(&m, BENCH_PUSH_ADDR, push, sizeof(push));
		d->t0 = bench_now_ns();
		if (d->plan.cpu_pid > 0)
			d->cpu0 = bench_proc_cpu_ns(d->plan.cpu_pid);
		d->rig0 = drv_rig_cpu(d);
		bench_send(bufferevent_get_output(d->bev), &m);
		return 0;
	}
	d->phase = P_DONE;
	d->cb(d, DRV_DONE, NULL);
	return -1;
}

/* Queue nsend frames up to the high mark; the marker after the last one. */
static void
drv_fill(struct driver *d)
{
	struct evbuffer	*out = bufferevent_get_output(d->bev);
	uint32_t	 n, chunk = drv_chunk(d);

	while (d->left > 0 && evbuffer_get_length(out) < BENCH_HIGH_WATER) {
		n = d->left < chunk ? (uint32_t)d->left : chunk;
		bench_tmpl_add(out, &d->nsend, n);
		d->left -= n;
	}
	if (d->left == 0) {
		struct pl_msg	 m;

		pl_msg_mread(&m, BENCH_HELLO_ADDR, BENCH_HELLO_LEN);
		bench_send(out, &m);
		d->phase = P_OUT_MARK;
	}
}

static uint32_t
drv_chunk(const struct driver *d)
{
	return d->plan.chunk > 0 && d->plan.chunk <= BENCH_CHUNK ? d->plan.chunk :
	    BENCH_CHUNK;
}

/* The rig's CPU time: this process and the endpoint rig, when known. */
static uint64_t
drv_rig_cpu(const struct driver *d)
{
	struct timespec	 ts;
	uint64_t	 ns;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (d->plan.rig_pid > 0)
		ns += bench_proc_cpu_ns(d->plan.rig_pid);
	return ns;
}

static void
drv_write(struct bufferevent *bev, void *arg)
{
	struct driver	*d = arg;

	if (d->phase == P_OUT)
		drv_fill(d);
}

static void
drv_event(struct bufferevent *bev, short what, void *arg)
{
	struct driver	*d = arg;
	int		 e = errno;

	if (d->phase == P_DONE && (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))) {
		bufferevent_disable(bev, EV_READ | EV_WRITE);
		d->cb(d, DRV_CLOSED, NULL);
		return;
	}
	if (what & BEV_EVENT_EOF)
		drv_fail(d, "the endpoint's side closed during %s", phase_name[d->phase]);
	else if (what & BEV_EVENT_ERROR)
		drv_fail(d, "connection error during %s: %s", phase_name[d->phase],
		    strerror(e));
}

static void
drv_fail(struct driver *d, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	bufferevent_disable(d->bev, EV_READ | EV_WRITE);
	d->cb(d, DRV_FAILED, d->why);
}
