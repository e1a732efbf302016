/*
 * mlet.c: xpbench-mlet, the mlet side of the pktxpmgr benchmark.
 *
 *   xpbench-mlet hello                  one mread/mdata on fd 0, then exit
 *   xpbench-mlet relay RTTS OUT [IN]    on fd 0: RTTS timed round trips, OUT
 *                                       bytes of nsend payload to the endpoint
 *                                       and IN (default OUT) of ndata back;
 *                                       then the same over a direct socket
 *                                       pair to a child process (the baseline)
 *   xpbench-mlet baseline RTTS OUT [IN] the baseline alone (no pktxpmgr)
 *   xpbench-mlet singleton hello|hold   run with pktxpmgr -s: for each
 *                                       descriptor handed over, a hello;
 *                                       then close it (hello) or keep it
 *                                       until pktxpmgr closes it (hold)
 *
 * The baseline child runs the same responder as xpbench-ep, on the same
 * kind of bufferevent, so the two figures differ by what pktxpmgr and TLS
 * add.  It is forked before any event loop exists, and waits on its socket
 * while the run through pktxpmgr goes on.
 *
 * Results go to stdout (pktxpmgr's stdout) as "key=value" lines; mistakes
 * go to stderr through the log.  Counts and sizes take K/M/G suffixes.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
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
#include "bench.h"

/* One session handed to the singleton. */
struct single {
	struct driver	 d;
	long		 id;		/* hand-over number, from 1 */
	char		 epaddr[64];
	struct single	*next, *prev;
};

static void	 usage(void) PL_NORETURN;
static void	 need_socket(int);
static void	 run_plan(struct bufferevent *, const struct drv_plan *,
		    const char *, struct driver *);
static struct bufferevent *sock_bev(int);
static int	 run_hello(void);
static int	 run_relay(uint64_t, uint64_t, uint64_t, int);
static void	 stop_cb(struct driver *, enum drv_event, const char *);
static void	 print_result(const char *, const struct driver *);
static pid_t	 baseline_fork(int *);
static void	 baseline_end(struct responder *, const char *);
static int	 run_singleton(int);
static void	 ctl_read(evutil_socket_t, short, void *);
static void	 single_new(int, const char *);
static void	 single_cb(struct driver *, enum drv_event, const char *);
static void	 single_free(struct single *);
static void	 single_maybe_exit(void);

static struct event_base	*base;
static int			 failed, stopped;

/* Singleton state. */
static int			 hold_mode, ctl_eof;
static struct event		*ctl_ev;
static struct single		*singles;
static int			*fdq;		/* descriptors awaiting their address */
static size_t			 nfdq, fdq_cap;
static char			 addr[64];
static size_t			 addrlen;
static long			 nsessions, nok, nopen, maxopen;

static void
usage(void)
{
	fprintf(stderr, "usage: xpbench-mlet hello\n"
	    "       xpbench-mlet relay|baseline RTTS OUT [IN]\n"
	    "       xpbench-mlet singleton hello|hold\n");
	exit(2);
}

/* What pktxpmgr gives an mlet as fd 0; anything else is a mistake. */
static void
need_socket(int fd)
{
	socklen_t	 len;
	int		 type;

	len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_STREAM)
		fatalx("fd %d is not a stream socket: xpbench-mlet runs as "
		    "pktxpmgr's MLET (see bench/README.md)", fd);
}

int
main(int argc, char *argv[])
{
	uint64_t	 rtts, out, in;

	log_init("xpbench-mlet", LOG_LVL_INFO);
	if (argc == 2 && strcmp(argv[1], "hello") == 0)
		return run_hello();
	if ((argc == 4 || argc == 5) && (strcmp(argv[1], "relay") == 0 ||
	    strcmp(argv[1], "baseline") == 0)) {
		if (bench_parse_size(argv[2], &rtts) == -1 || rtts > 100000000)
			fatalx("RTTS %s: a count up to 100M", argv[2]);
		if (bench_parse_size(argv[3], &out) == -1)
			fatalx("OUT %s: a size such as 256M", argv[3]);
		in = out;
		if (argc == 5 && bench_parse_size(argv[4], &in) == -1)
			fatalx("IN %s: a size such as 256M", argv[4]);
		return run_relay(rtts, out, in, strcmp(argv[1], "relay") == 0);
	}
	if (argc == 3 && strcmp(argv[1], "singleton") == 0) {
		if (strcmp(argv[2], "hello") != 0 && strcmp(argv[2], "hold") != 0)
			usage();
		return run_singleton(strcmp(argv[2], "hold") == 0);
	}
	usage();
}

/* A bufferevent on a socket we were given blocking (fd 0, a passed fd). */
static struct bufferevent *
sock_bev(int fd)
{
	struct bufferevent	*bev;

	if (pl_set_nonblock(fd) == -1)
		fatal("descriptor %d", fd);
	if ((bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL)
		fatalx("libevent: cannot create a bufferevent");
	return bev;
}

/* One plan on one connection: its end ends the loop; d->arg names it. */
static void
stop_cb(struct driver *d, enum drv_event ev, const char *why)
{
	if (ev == DRV_FAILED) {
		log_warnx("%s: %s", (const char *)d->arg, why);
		failed = 1;
	}
	stopped = 1;
	event_base_loopbreak(base);
}

/* Run plan on bev until it ends; d keeps the results. */
static void
run_plan(struct bufferevent *bev, const struct drv_plan *plan, const char *name,
    struct driver *d)
{
	memset(d, 0, sizeof(*d));
	stopped = 0;
	drv_start(d, bev, plan, stop_cb, (void *)name);
	event_base_dispatch(base);
	if (!stopped) {
		log_warnx("%s: the event loop ended with the plan unfinished", name);
		failed = 1;
	}
}

static int
run_hello(void)
{
	struct drv_plan	 plan;
	struct driver	 d;

	need_socket(0);
	memset(&plan, 0, sizeof(plan));
	if ((base = event_base_new()) == NULL)
		fatalx("libevent: cannot create the event loop");
	run_plan(sock_bev(0), &plan, "hello", &d);
	bufferevent_free(d.bev);
	drv_clear(&d);
	event_base_free(base);
	return failed;
}

/* Through pktxpmgr on fd 0 (when via_xpmgr), then over the socket pair. */
static int
run_relay(uint64_t rtts, uint64_t out, uint64_t in, int via_xpmgr)
{
	struct drv_plan	 plan;
	struct driver	 d;
	pid_t		 child;
	int		 fd, status;

	if (via_xpmgr)
		need_socket(0);
	child = baseline_fork(&fd);
	if ((base = event_base_new()) == NULL)
		fatalx("libevent: cannot create the event loop");
	memset(&plan, 0, sizeof(plan));
	plan.rtts = rtts;
	plan.out_bytes = out;
	plan.in_bytes = in;
	if (via_xpmgr) {
		/* The mlet's parent is pktxpmgr: its CPU time is worth knowing. */
		plan.cpu_pid = getppid();
		run_plan(sock_bev(0), &plan, "through pktxpmgr", &d);
		if (!failed)
			print_result("xpmgr", &d);
		/* pktxpmgr sees the mlet close, and ends the session. */
		bufferevent_free(d.bev);
		drv_clear(&d);
	}
	if (!failed) {
		plan.cpu_pid = 0;
		run_plan(sock_bev(fd), &plan, "over the socket pair", &d);
		if (!failed)
			print_result("socketpair", &d);
		bufferevent_free(d.bev);
		drv_clear(&d);
		/* libevent closes a freed bufferevent's socket from the loop. */
		event_base_loop(base, EVLOOP_NONBLOCK);
	} else
		close(fd);
	if (waitpid(child, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		log_warnx("the baseline's responder process failed");
		failed = 1;
	}
	event_base_free(base);
	return failed;
}

static void
print_result(const char *via, const struct driver *d)
{
	const struct drv_result	*r = &d->res;
	uint64_t		 sum = 0, i;
	double			 out_s = r->out_ns / 1e9, in_s = r->in_ns / 1e9;

	for (i = 0; i < r->nrtt; i++)
		sum += r->rtt_ns[i];
	printf("relay via=%s rtts=%llu", via, (unsigned long long)r->nrtt);
	if (r->nrtt > 0)
		printf(" rtt_min_us=%.1f rtt_p50_us=%.1f rtt_p99_us=%.1f rtt_mean_us=%.1f",
		    r->rtt_ns[0] / 1e3, bench_pct(r->rtt_ns, r->nrtt, 50) / 1e3,
		    bench_pct(r->rtt_ns, r->nrtt, 99) / 1e3,
		    (double)sum / (double)r->nrtt / 1e3);
	if (d->plan.out_bytes > 0)
		printf(" out_bytes=%llu out_ms=%.1f out_mbps=%.1f",
		    (unsigned long long)d->plan.out_bytes, out_s * 1e3,
		    d->plan.out_bytes / 1e6 / out_s);
	if (d->plan.in_bytes > 0)
		printf(" in_bytes=%llu in_ms=%.1f in_mbps=%.1f",
		    (unsigned long long)d->plan.in_bytes, in_s * 1e3,
		    d->plan.in_bytes / 1e6 / in_s);
	if (d->plan.cpu_pid > 0 && out_s > 0)
		printf(" xpmgr_cpu_out_pct=%.0f", r->out_cpu_ns / 1e7 / out_s);
	if (d->plan.cpu_pid > 0 && in_s > 0)
		printf(" xpmgr_cpu_in_pct=%.0f", r->in_cpu_ns / 1e7 / in_s);
	printf("\n");
	fflush(stdout);
}

/*
 * The baseline's endpoint side: a child with its own event loop and the
 * same responder xpbench-ep runs.  *fd is the parent's end.
 */
static pid_t
baseline_fork(int *fd)
{
	static const struct resp_ops	 ops = { NULL, baseline_end };
	struct responder		 r;
	int				 sv[2], devnull;
	pid_t				 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("socketpair");
	fflush(stdout);
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0) {
		close(sv[1]);
		*fd = sv[0];
		return pid;
	}
	close(sv[0]);
	/* pktxpmgr must see the mlet's close when the parent closes fd 0. */
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1 ||
	    dup2(devnull, 0) == -1)
		_exit(1);
	close(devnull);
	if ((base = event_base_new()) == NULL)
		_exit(1);
	memset(&r, 0, sizeof(r));
	resp_attach(&r, sock_bev(sv[1]), &ops, NULL);
	event_base_dispatch(base);
	bufferevent_free(r.bev);
	event_base_free(base);
	_exit(failed);
}

static void
baseline_end(struct responder *r, const char *why)
{
	if (why != NULL) {
		log_warnx("baseline responder: %s", why);
		failed = 1;
	}
	event_base_loopbreak(base);
}

/* ------------------------------------------------------------------ */
/* Singleton mode (protocol spec §13.3). */

static int
run_singleton(int hold)
{
	hold_mode = hold;
	need_socket(0);
	bench_raise_nofile();
	if ((base = event_base_new()) == NULL)
		fatalx("libevent: cannot create the event loop");
	/* recvmsg stays blocking-safe: only called when fd 0 is readable. */
	if ((ctl_ev = event_new(base, 0, EV_READ | EV_PERSIST, ctl_read, NULL)) == NULL ||
	    event_add(ctl_ev, NULL) == -1)
		fatalx("libevent: cannot watch the control socket");
	event_base_dispatch(base);
	event_free(ctl_ev);
	event_base_free(base);
	free(fdq);
	printf("singleton sessions=%ld ok=%ld failed=%ld max_open=%ld\n",
	    nsessions, nok, nsessions - nok, maxopen);
	fflush(stdout);
	return nok == nsessions ? 0 : 1;
}

/*
 * Each hand-over is one sendmsg: the address and its NUL, with one
 * descriptor.  Bytes are collected up to each NUL and paired with the
 * descriptors in the order they came, whatever the stream's boundaries.
 */
static void
ctl_read(evutil_socket_t fd, short what, void *arg)
{
	union {
		struct cmsghdr	 h;
		char		 b[CMSG_SPACE(4 * sizeof(int))];
	}		 cbuf;
	struct msghdr	 msg;
	struct cmsghdr	*c;
	struct iovec	 iov;
	char		 data[64];
	ssize_t		 n, i;
	size_t		 k, nfd;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = data;
	iov.iov_len = sizeof(data);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.b;
	msg.msg_controllen = sizeof(cbuf.b);
	if ((n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		fatal("recvmsg on the control socket");
	}
	if (msg.msg_flags & MSG_CTRUNC)
		fatalx("control socket: more descriptors than one per hand-over");
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < nfd; k++) {
			if (nfdq == fdq_cap) {
				fdq_cap = fdq_cap ? fdq_cap * 2 : 16;
				fdq = xrealloc(fdq, fdq_cap * sizeof(*fdq));
			}
			memcpy(&fdq[nfdq++], CMSG_DATA(c) + k * sizeof(int), sizeof(int));
		}
	}
	if (n == 0) {
		/* pktxpmgr is done: no more sessions will come. */
		event_del(ctl_ev);
		ctl_eof = 1;
		if (nfdq > 0 || addrlen > 0)
			fatalx("control socket closed in the middle of a hand-over");
		single_maybe_exit();
		return;
	}
	for (i = 0; i < n; i++) {
		if (data[i] != '\0') {
			if (addrlen + 1 >= sizeof(addr))
				fatalx("control socket: an address of over %zu bytes",
				    sizeof(addr));
			addr[addrlen++] = data[i];
			continue;
		}
		addr[addrlen] = '\0';
		if (nfdq == 0)
			fatalx("control socket: address \"%s\" came without a "
			    "descriptor", addr);
		fd = fdq[0];
		memmove(fdq, fdq + 1, --nfdq * sizeof(*fdq));
		single_new(fd, addr);
		addrlen = 0;
	}
}

static void
single_new(int fd, const char *epaddr)
{
	struct drv_plan	 plan;
	struct single	*s = xcalloc(1, sizeof(*s));

	memset(&plan, 0, sizeof(plan));
	s->next = singles;
	if (singles != NULL)
		singles->prev = s;
	singles = s;
	s->id = ++nsessions;
	pl_strlcpy(s->epaddr, epaddr, sizeof(s->epaddr));
	if (++nopen > maxopen)
		maxopen = nopen;
	drv_start(&s->d, sock_bev(fd), &plan, single_cb, s);
}

static void
single_cb(struct driver *d, enum drv_event ev, const char *why)
{
	struct single	*s = d->arg;

	switch (ev) {
	case DRV_DONE:
		nok++;
		if (hold_mode)
			return;		/* until pktxpmgr closes it */
		break;
	case DRV_CLOSED:
		break;
	case DRV_FAILED:
		log_warnx("session %ld (EPADDR %s): %s", s->id, s->epaddr, why);
		break;
	}
	single_free(s);
	single_maybe_exit();
}

static void
single_free(struct single *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		singles = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	bufferevent_free(s->d.bev);
	drv_clear(&s->d);
	free(s);
	nopen--;
}

static void
single_maybe_exit(void)
{
	if (ctl_eof && singles == NULL)
		event_base_loopbreak(base);
}
