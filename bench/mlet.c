/*
 * mlet.c: xpbench-mlet, the mlet side of the pktxpmgr benchmark.
 *
 *   xpbench-mlet hello                  one mread/mdata on fd 0, then exit
 *   xpbench-mlet relay RTTS OUT [IN [SMALL [PIDFILE]]]
 *                                       on fd 0: RTTS timed round trips, OUT
 *                                       bytes of nsend payload to the endpoint
 *                                       and IN (default OUT) of ndata back,
 *                                       then SMALL messages of 1 byte of
 *                                       payload each way, pipelined; then the
 *                                       same over a direct socket pair to a
 *                                       child process (the baseline), and a
 *                                       raw blocking read/write baseline.
 *                                       PIDFILE holds the endpoint rig's pid:
 *                                       its CPU is counted with ours
 *   xpbench-mlet baseline RTTS OUT [IN [SMALL]]  the baselines alone
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
static int	 run_relay(uint64_t, uint64_t, uint64_t, uint64_t, int, const char *);
static void	 run_raw(uint64_t, uint64_t, uint64_t);
static void	 run_two(struct bufferevent *, const struct drv_plan *,
		    const struct drv_plan *, const char *);
static pid_t	 rig_pid(const char *);
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
	uint64_t	 rtts, out, in, small = 0;

	log_init("xpbench-mlet", LOG_LVL_INFO);
	if (argc == 2 && strcmp(argv[1], "hello") == 0)
		return run_hello();
	if (argc >= 4 && argc <= 7 && (strcmp(argv[1], "relay") == 0 ||
	    strcmp(argv[1], "baseline") == 0)) {
		if (bench_parse_size(argv[2], &rtts) == -1 || rtts > 100000000)
			fatalx("RTTS %s: a count up to 100M", argv[2]);
		if (bench_parse_size(argv[3], &out) == -1)
			fatalx("OUT %s: a size such as 256M", argv[3]);
		in = out;
		if (argc >= 5 && bench_parse_size(argv[4], &in) == -1)
			fatalx("IN %s: a size such as 256M", argv[4]);
		if (argc >= 6 && bench_parse_size(argv[5], &small) == -1)
			fatalx("SMALL %s: a count such as 1M", argv[5]);
		return run_relay(rtts, out, in, small, strcmp(argv[1], "relay") == 0,
		    argc == 7 ? argv[6] : NULL);
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

/*
 * Through pktxpmgr on fd 0 (when via_xpmgr), then over the socket pair;
 * each plan of 64 KiB messages is followed by one of SMALL 1-byte-payload
 * messages each way, on the same connection.
 */
static int
run_relay(uint64_t rtts, uint64_t out, uint64_t in, uint64_t small, int via_xpmgr,
    const char *pidfile)
{
	struct drv_plan	 plan, splan;
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
	memset(&splan, 0, sizeof(splan));
	splan.out_bytes = splan.in_bytes = small;
	splan.chunk = 1;
	if (via_xpmgr) {
		/* The mlet's parent is pktxpmgr: its CPU time is worth knowing. */
		plan.cpu_pid = splan.cpu_pid = getppid();
		plan.rig_pid = splan.rig_pid = rig_pid(pidfile);
		/* pktxpmgr sees the mlet close, and ends the session. */
		run_two(sock_bev(0), &plan, &splan, "xpmgr");
	}
	if (!failed) {
		plan.cpu_pid = splan.cpu_pid = 0;
		plan.rig_pid = splan.rig_pid = child;
		run_two(sock_bev(fd), &plan, &splan, "socketpair");
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
	if (!failed)
		run_raw(rtts, out, in);
	return failed;
}

/* The large plan, then the small one (when it has messages), then close. */
static void
run_two(struct bufferevent *bev, const struct drv_plan *plan,
    const struct drv_plan *splan, const char *via)
{
	struct driver	 d;
	char		 name[64];

	run_plan(bev, plan, via, &d);
	if (!failed)
		print_result(via, &d);
	drv_clear(&d);
	if (!failed && splan->out_bytes > 0) {
		snprintf(name, sizeof(name), "%s-small", via);
		run_plan(bev, splan, name, &d);
		if (!failed)
			print_result(name, &d);
		drv_clear(&d);
	}
	bufferevent_free(bev);
}

/* The endpoint rig's pid, from the file bench/run wrote (0: unknown). */
static pid_t
rig_pid(const char *path)
{
	FILE	*f;
	long	 pid = 0;
	int	 i;

	/* bench/run writes it right after starting the rig: allow a moment. */
	for (i = 0; path != NULL && i < 100 && pid <= 0; i++) {
		if ((f = fopen(path, "r")) != NULL) {
			if (fscanf(f, "%ld", &pid) != 1)
				pid = 0;
			fclose(f);
		}
		if (pid <= 0)
			usleep(10000);
	}
	return pid > 0 ? (pid_t)pid : 0;
}

/* Write len bytes of p, blocking. */
static void
raw_write(int fd, const uint8_t *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			fatal("raw baseline: write");
		p += n;
		len -= (size_t)n;
	}
}

/* Read exactly len bytes into buf (cap at a time), blocking. */
static void
raw_read(int fd, uint8_t *buf, size_t cap, uint64_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = read(fd, buf, len < cap ? (size_t)len : cap);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			fatal("raw baseline: read");
		len -= (uint64_t)n;
	}
}

/* Stream len bytes one way in 64 KiB writes; the reader acknowledges with a byte. */
static void
raw_stream(int wfd, int rfd, uint8_t *buf, uint64_t len, int writer)
{
	uint64_t	 left;
	size_t		 n;

	if (writer) {
		for (left = len; left > 0; left -= n) {
			n = left < BENCH_CHUNK ? (size_t)left : BENCH_CHUNK;
			raw_write(wfd, buf, n);
		}
		raw_read(rfd, buf, 1, 1);
	} else {
		raw_read(rfd, buf, BENCH_CHUNK, len);
		raw_write(wfd, buf, 1);
	}
}

/*
 * The machine's own ceiling: the same amounts over a socket pair between
 * two processes with plain blocking read and write, no framing, no event
 * loop; round trips of a 10-byte request and an 18-byte answer.
 */
static void
run_raw(uint64_t rtts, uint64_t out, uint64_t in)
{
	static uint8_t	 buf[BENCH_CHUNK];
	uint64_t	*ns, t0, i, out_ns, in_ns, cpu0, out_cpu, in_cpu;
	int		 sv[2], status;
	pid_t		 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("socketpair");
	fflush(stdout);
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		close(sv[0]);
		for (i = 0; i < rtts; i++) {
			raw_read(sv[1], buf, 10, 10);
			raw_write(sv[1], buf, 18);
		}
		raw_stream(sv[1], sv[1], buf, out, 0);
		raw_stream(sv[1], sv[1], buf, in, 1);
		_exit(0);
	}
	close(sv[1]);
	ns = xcalloc(rtts > 0 ? rtts : 1, sizeof(*ns));
	memset(buf, 0, sizeof(buf));
	for (i = 0; i < rtts; i++) {
		t0 = bench_now_ns();
		raw_write(sv[0], buf, 10);
		raw_read(sv[0], buf, 18, 18);
		ns[i] = bench_now_ns() - t0;
	}
	bench_sort(ns, rtts);
	cpu0 = bench_proc_cpu_ns(getpid()) + bench_proc_cpu_ns(pid);
	t0 = bench_now_ns();
	raw_stream(sv[0], sv[0], buf, out, 1);
	out_ns = bench_now_ns() - t0;
	out_cpu = bench_proc_cpu_ns(getpid()) + bench_proc_cpu_ns(pid) - cpu0;
	t0 = bench_now_ns();
	raw_stream(sv[0], sv[0], buf, in, 0);
	in_ns = bench_now_ns() - t0;
	in_cpu = bench_proc_cpu_ns(getpid()) + bench_proc_cpu_ns(pid) - out_cpu - cpu0;
	close(sv[0]);
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		log_warnx("the raw baseline's child failed");
		failed = 1;
	}
	printf("relay via=raw rtts=%llu", (unsigned long long)rtts);
	if (rtts > 0)
		printf(" rtt_p50_us=%.1f rtt_p99_us=%.1f", bench_pct(ns, rtts, 50) / 1e3,
		    bench_pct(ns, rtts, 99) / 1e3);
	if (out > 0)
		printf(" out_mbps=%.1f rig_cpu_out_pct=%.0f", out / 1e3 / (out_ns / 1e6),
		    out_cpu / 1e7 / (out_ns / 1e9));
	if (in > 0)
		printf(" in_mbps=%.1f rig_cpu_in_pct=%.0f", in / 1e3 / (in_ns / 1e6),
		    in_cpu / 1e7 / (in_ns / 1e9));
	printf("\n");
	fflush(stdout);
	free(ns);
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
	if (d->plan.cpu_pid > 0 && d->plan.out_bytes > 0)
		printf(" xpmgr_ms_per_mb_out=%.3f", r->out_cpu_ns / 1e6 /
		    (d->plan.out_bytes / 1e6));
	if (d->plan.cpu_pid > 0 && d->plan.in_bytes > 0)
		printf(" xpmgr_ms_per_mb_in=%.3f", r->in_cpu_ns / 1e6 /
		    (d->plan.in_bytes / 1e6));
	if (out_s > 0)
		printf(" rig_cpu_out_pct=%.0f", r->out_rig_ns / 1e7 / out_s);
	if (in_s > 0)
		printf(" rig_cpu_in_pct=%.0f", r->in_rig_ns / 1e7 / in_s);
	if (d->plan.chunk > 0) {
		/* Small messages: one per payload chunk. */
		if (out_s > 0)
			printf(" out_msgs_per_s=%.0f out_frame=%u", d->plan.out_bytes /
			    d->plan.chunk / out_s, PL_HLEN + d->nsend.fixed + d->plan.chunk);
		if (in_s > 0)
			printf(" in_msgs_per_s=%.0f in_frame=%u", d->plan.in_bytes /
			    d->plan.chunk / in_s, PL_HLEN + d->ndata.fixed + d->plan.chunk);
	}
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
