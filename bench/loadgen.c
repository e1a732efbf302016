/*
 * loadgen.c: xpbench-ep, N endpoints against pktxpmgr in one process (one
 * libevent loop, no threads).
 *
 *   xpbench-ep -c ENDPT_CONF [-H] [-k SNIKEY] [-n SESSIONS] [-C CONCURRENCY]
 *              [-p XPMGR_PID] [-w SECONDS] HOST:PORT
 *   xpbench-ep port
 *
 * Each endpoint connects, does the TLS 1.3 handshake with the credentials
 * of endpt.conf (as pktlab-endpoint does), answers every cdata and the start
 * with a SUCCESS result, then runs the responder (responder.c) until
 * pktxpmgr closes the session.  A session is set up when the mlet's first
 * request arrives: connect -> TLS -> start -> result -> mlet running and
 * heard from.  -n sessions in all (default 100), at most -C being set up at
 * a time (default 8); -w gives up after that many seconds (default 120).
 *
 * -H holds every session once all are set up, samples pktxpmgr (-p) with
 * them held, then closes them all (TLS close_notify) and waits until
 * pktxpmgr's descriptor count is back where it was before the first connect.
 * "xpbench-ep port" prints a free TCP port on 127.0.0.1.
 *
 * Results go to stdout as "key=value" lines (setup ..., hold ...); the exit
 * status is 0 when every session went through, else 1.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <pktlab/wire.h>

#include "conf/file.h"
#include "cred/cred.h"
#include "cred/tls.h"
#include "endpoint/pure/endpt.h"
#include "util/log.h"
#include "util/util.h"
#include "bench.h"

enum cstate {
	C_IDLE,		/* not started yet */
	C_TLS,		/* connecting, TLS handshake */
	C_SETUP,	/* cdata/start */
	C_RUN,		/* responder running */
	C_GONE,		/* ended or failed */
};

static const char *const state_name[] = {
	"not started", "connecting (TCP, TLS)", "in setup", "running", "over",
};

struct conn {
	int			 idx;
	enum cstate		 state;
	struct bufferevent	*bev;
	int			 ready;		/* the mlet's first request came */
	uint64_t		 t_conn, t_tls, t_ready;
	struct responder	 r;
};

static void	 usage(void) PL_NORETURN;
static int	 free_port(void);
static SSL_CTX	*load_creds(const char *);
static void	 conf_diag(void *, enum ep_diag_level, unsigned, const char *);
static void	 parse_target(const char *);
static void	 launch(void);
static void	 conn_open(struct conn *);
static void	 conn_free(struct conn *);
static void	 conn_fail(struct conn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 hs_event(struct bufferevent *, short, void *);
static const char *io_why(struct bufferevent *, int, char *, size_t);
static void	 setup_read(struct bufferevent *, void *);
static void	 setup_event(struct bufferevent *, short, void *);
static void	 run_first(struct responder *);
static void	 run_end(struct responder *, const char *);
static void	 check_done(void);
static void	 hold_settle(void);
static void	 settle_poll(evutil_socket_t, short, void *);
static void	 hold_measure(void);
static void	 release_poll(evutil_socket_t, short, void *);
static void	 deadline(evutil_socket_t, short, void *);
static void	 report_setup(void);

static const struct resp_ops run_ops = { run_first, run_end };

/* The run. */
static struct event_base	*base;
static SSL_CTX			*ssl_ctx;
static const char		*snikey;
static struct sockaddr_storage	 target;
static socklen_t		 targetlen;
static char			 target_text[128];
static struct conn		*conns;
static int			 nconn = 100, concurrency = 8, hold, wait_s = 120;
static pid_t			 xpid;

/* Progress. */
static int			 nstarted, inflight, nready, nended, nfailed;
static int			 launching, releasing, finished, nwarned;
static uint64_t			 t_begin, t_last_ready, t_release;
static uint64_t			 cpu_begin;
static long			 rss_idle = -1, fds_idle = -1;
static struct event		*poll_ev, *settle_ev;

static void
usage(void)
{
	fprintf(stderr, "usage: xpbench-ep -c ENDPT_CONF [-H] [-k SNIKEY] "
	    "[-n SESSIONS] [-C CONCURRENCY] [-p XPMGR_PID] [-w SECONDS] HOST:PORT\n"
	    "       xpbench-ep port\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct event	*dl;
	struct timeval	 tv;
	const char	*confpath = NULL;
	uint64_t	 v;
	long		 lim;
	int		 ch;

	log_init("xpbench-ep", LOG_LVL_INFO);
	if (argc == 2 && strcmp(argv[1], "port") == 0)
		return free_port();
	while ((ch = getopt(argc, argv, "c:Hk:n:C:p:w:")) != -1) {
		switch (ch) {
		case 'c':
			confpath = optarg;
			break;
		case 'H':
			hold = 1;
			break;
		case 'k':
			snikey = optarg;
			break;
		case 'n':
		case 'C':
		case 'p':
		case 'w':
			if (bench_parse_size(optarg, &v) == -1 || v < 1 || v > 10000000)
				fatalx("-%c %s: want a number from 1 to 10000000", ch,
				    optarg);
			lim = (long)v;
			if (ch == 'n')
				nconn = (int)lim;
			else if (ch == 'C')
				concurrency = (int)lim;
			else if (ch == 'p')
				xpid = (pid_t)lim;
			else
				wait_s = (int)lim;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1 || confpath == NULL)
		usage();
	parse_target(argv[0]);
	if (snikey != NULL && !pl_snikey_valid(snikey, strlen(snikey)))
		fatalx("-k %s: not a valid SNI key (1..63 of a-z, 0-9)", snikey);
	/* One descriptor per endpoint, and a few for ourselves. */
	lim = bench_raise_nofile();
	if (lim != -1 && lim < nconn + 16)
		fatalx("%d sessions need %d descriptors; the limit is %ld "
		    "(raise the hard limit: ulimit -Hn)", nconn, nconn + 16, lim);
	ssl_ctx = load_creds(confpath);
	if ((base = event_base_new()) == NULL)
		fatalx("libevent: cannot create the event loop");
	conns = xcalloc((size_t)nconn, sizeof(*conns));
	for (ch = 0; ch < nconn; ch++)
		conns[ch].idx = ch;
	if (xpid > 0) {
		rss_idle = bench_proc_rss_kb(xpid);
		fds_idle = bench_proc_nfds(xpid);
		cpu_begin = bench_proc_cpu_ns(xpid);
		if (rss_idle == -1 || fds_idle == -1)
			fatalx("-p %ld: cannot read /proc/%ld", (long)xpid, (long)xpid);
	}
	tv.tv_sec = wait_s;
	tv.tv_usec = 0;
	dl = evtimer_new(base, deadline, NULL);
	evtimer_add(dl, &tv);
	poll_ev = evtimer_new(base, release_poll, NULL);
	settle_ev = evtimer_new(base, settle_poll, NULL);

	t_begin = bench_now_ns();
	launch();
	event_base_dispatch(base);

	event_free(dl);
	event_free(poll_ev);
	event_free(settle_ev);
	for (ch = 0; ch < nconn; ch++)
		conn_free(&conns[ch]);
	free(conns);
	event_base_free(base);
	SSL_CTX_free(ssl_ctx);
	return nfailed == 0 && finished ? 0 : 1;
}

static int
free_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		fatal("a free port on 127.0.0.1");
	printf("%u\n", ntohs(sin.sin_port));
	close(fd);
	return 0;
}

static void
conf_diag(void *arg, enum ep_diag_level lvl, unsigned line, const char *msg)
{
	if (lvl != EP_DIAG_NOTE)
		log_warnx("%s:%u: %s", (const char *)arg, line, msg);
}

/* endpt.conf's key, chain and operator keys, as pktlab-endpoint loads them. */
static SSL_CTX *
load_creds(const char *path)
{
	struct cred_pass	 pass = { NULL, CRED_PASS_ENV, 0 };
	struct ep_conf		 conf;
	struct cred_tls_client	 tc;
	struct cred_certs	 chain;
	struct cred_keys	 roots;
	struct cred_err		 err;
	SSL_CTX			*ctx;
	char			*buf, *dir, why[256];
	size_t			 len;
	int			 nerr;

	if (pl_conf_readfile(path, &buf, &len, why, sizeof(why)) == -1)
		fatalx("%s: %s", path, why);
	ep_conf_init(&conf);
	dir = xstrdup(path);
	nerr = ep_conf_parse(&conf, buf, len, dirname(dir), conf_diag, (void *)path);
	free(dir);
	free(buf);
	if (nerr > 0)
		fatalx("%s: %d error%s", path, nerr, nerr == 1 ? "" : "s");
	if (conf.privkey == NULL || conf.nchain == 0)
		fatalx("%s: EndpointPrivKey and ControllerCertChainPath are needed",
		    path);
	memset(&chain, 0, sizeof(chain));
	memset(&roots, 0, sizeof(roots));
	memset(&tc, 0, sizeof(tc));
	if ((tc.key = cred_key_load(conf.privkey, &pass, &err)) == NULL ||
	    cred_certs_load(&chain, (const char *const *)conf.chain, conf.nchain,
	    &err) == -1 ||
	    cred_certs_leaf_first(&chain, tc.key, "ControllerCertChainPath",
	    &err) == -1 ||
	    cred_keys_load(&roots, (const char *const *)conf.oproots,
	    conf.noproots, &err) == -1)
		fatalx("%s: %s", path, err.msg);
	tc.chain = &chain;
	tc.roots = &roots;
	tc.mode = CRED_MODE_ENDPOINT_AUTH_CONTROLLER;
	if ((ctx = cred_tls_client_ctx(&tc, &err)) == NULL)
		fatalx("TLS: %s", err.msg);
	/* The context holds its own references. */
	EVP_PKEY_free(tc.key);
	cred_certs_free(&chain);
	cred_keys_free(&roots);
	ep_conf_clear(&conf);
	return ctx;
}

/* HOST:PORT or [V6]:PORT, numeric only: the benchmark never resolves names. */
static void
parse_target(const char *s)
{
	struct addrinfo	 hints, *res;
	char		 host[64], *port;
	int		 e;

	if (strlen(s) >= sizeof(host))
		fatalx("%s: too long for HOST:PORT", s);
	pl_strlcpy(host, s, sizeof(host));
	if (host[0] == '[') {
		if ((port = strchr(host, ']')) == NULL || port[1] != ':')
			fatalx("%s: want [IPV6]:PORT", s);
		*port = '\0';
		port += 2;
		memmove(host, host + 1, strlen(host));
	} else if ((port = strrchr(host, ':')) == NULL)
		fatalx("%s: want HOST:PORT", s);
	else
		*port++ = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0)
		fatalx("%s: %s (a numeric address and port)", s, gai_strerror(e));
	memcpy(&target, res->ai_addr, res->ai_addrlen);
	targetlen = res->ai_addrlen;
	freeaddrinfo(res);
	pl_strlcpy(target_text, s, sizeof(target_text));
}

/* Start sessions while there are some left and room for more setups. */
static void
launch(void)
{
	/* A connect that fails at once calls back here: the loop goes on. */
	if (launching)
		return;
	launching = 1;
	while (!releasing && nstarted < nconn && inflight < concurrency)
		conn_open(&conns[nstarted++]);
	launching = 0;
}

static void
conn_open(struct conn *c)
{
	struct cred_err	 err;
	SSL		*ssl;
	int		 one = 1;

	inflight++;
	c->t_conn = bench_now_ns();
	if ((ssl = SSL_new(ssl_ctx)) == NULL)
		fatalx("OpenSSL: cannot create a TLS connection");
	if (snikey != NULL && cred_tls_set_sni(ssl, snikey, &err) == -1)
		fatalx("SNI: %s", err.msg);
	c->bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		fatalx("libevent: cannot create a TLS bufferevent");
	/* pktxpmgr's close is a close, with or without close_notify. */
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	c->state = C_TLS;
	bufferevent_setcb(c->bev, NULL, NULL, hs_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&target,
	    (int)targetlen) == -1) {
		conn_fail(c, "connect to %s: %s", target_text, strerror(errno));
		return;
	}
	/* Round trips are measured: no Nagle on our side either. */
	setsockopt(bufferevent_getfd(c->bev), IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one));
}

static void
conn_free(struct conn *c)
{
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	c->state = C_GONE;
}

static void
conn_fail(struct conn *c, const char *fmt, ...)
{
	va_list	 ap;
	char	 why[300];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (nwarned++ < 10)
		log_warnx("session %d %s: %s", c->idx + 1, state_name[c->state], why);
	if (!c->ready)
		inflight--;
	nfailed++;
	conn_free(c);
	launch();
	check_done();
}

static void
hs_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;
	char		 why[300];
	int		 en = errno;

	if (what & BEV_EVENT_CONNECTED) {
		c->t_tls = bench_now_ns();
		c->state = C_SETUP;
		bufferevent_setcb(bev, setup_read, NULL, setup_event, c);
		return;
	}
	if (io_why(bev, en, why, sizeof(why)) != NULL)
		conn_fail(c, "%s", why);
	else if (what & BEV_EVENT_EOF)
		conn_fail(c, "pktxpmgr closed the connection during the handshake");
	else
		conn_fail(c, "TLS handshake failed");
}

/*
 * Why a connection failed: OpenSSL's reason when it queued one, else the
 * system's (a refused connect shows as errno, with no OpenSSL error).
 * NULL when neither says anything.
 */
static const char *
io_why(struct bufferevent *bev, int en, char *buf, size_t len)
{
	unsigned long	 e = bufferevent_get_openssl_error(bev);

	/* libevent queues SSL_get_error() values too: those are not reasons. */
	if (e != 0 && ERR_GET_LIB(e) != 0) {
		cred_tls_reason(bufferevent_openssl_get_ssl(bev), e, buf, len);
		return buf;
	}
	if (en != 0) {
		snprintf(buf, len, "%s", strerror(en));
		return buf;
	}
	return NULL;
}

/* Answer each cdata and the start with SUCCESS, as a willing endpoint does. */
static void
setup_read(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	struct pl_msg	 m, a;
	uint8_t		 type;
	uint32_t	 bodylen;
	char		 why[200];
	int		 rc, start;

	while ((rc = bench_frame_next(in, PL_BODY_MAX, &type, &bodylen)) == 1) {
		if (bench_frame_decode(in, bodylen, &m, why, sizeof(why)) != PL_DEC_OK) {
			conn_fail(c, "malformed message from pktxpmgr: %s", why);
			return;
		}
		if (m.type != PL_CDATA && m.type != PL_START) {
			conn_fail(c, "unexpected %s (type 0x%02x) during setup",
			    pl_type_name(m.type) != NULL ? pl_type_name(m.type) : "message",
			    m.type);
			return;
		}
		start = m.type == PL_START;
		evbuffer_drain(in, PL_HLEN + (size_t)bodylen);
		pl_msg_result(&a, PL_SUCCESS);
		bench_send(bufferevent_get_output(bev), &a);
		if (start) {
			c->state = C_RUN;
			resp_attach(&c->r, bev, &run_ops, c);
			return;
		}
	}
	if (rc == -1)
		conn_fail(c, "a frame of %u bytes during setup", bodylen);
}

static void
setup_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;
	char		 why[300];
	int		 en = errno;

	if ((what & BEV_EVENT_ERROR) && io_why(bev, en, why, sizeof(why)) != NULL)
		conn_fail(c, "%s", why);
	else
		conn_fail(c, "pktxpmgr closed the session before start");
}

static void
run_first(struct responder *r)
{
	struct conn	*c = r->arg;

	c->ready = 1;
	c->t_ready = t_last_ready = bench_now_ns();
	nready++;
	inflight--;
	launch();
	check_done();
}

static void
run_end(struct responder *r, const char *why)
{
	struct conn	*c = r->arg;
	char		 buf[300];

	if (why != NULL) {
		/* The responder's reason, or the TLS layer's when it has one. */
		if (strncmp(why, "connection error", 16) == 0 &&
		    io_why(c->bev, 0, buf, sizeof(buf)) != NULL)
			why = buf;
		conn_fail(c, "%s", why);
		return;
	}
	if (!c->ready) {
		conn_fail(c, "pktxpmgr closed the session before the mlet spoke");
		return;
	}
	if (hold) {
		conn_fail(c, "pktxpmgr closed a session that was being held");
		return;
	}
	nended++;
	conn_free(c);
	check_done();
}

static void
check_done(void)
{
	if (hold) {
		if (!releasing && nready + nfailed == nconn)
			hold_settle();
		return;
	}
	if (nended + nfailed == nconn) {
		report_setup();
		finished = 1;
		event_base_loopbreak(base);
	}
}

static void
report_setup(void)
{
	uint64_t	*lat, *tls;
	double		 secs;
	int		 i, n = 0;

	lat = xcalloc((size_t)nconn, sizeof(*lat));
	tls = xcalloc((size_t)nconn, sizeof(*tls));
	for (i = 0; i < nconn; i++) {
		if (!conns[i].ready)
			continue;
		lat[n] = conns[i].t_ready - conns[i].t_conn;
		tls[n++] = conns[i].t_tls - conns[i].t_conn;
	}
	secs = n > 0 ? (double)(t_last_ready - t_begin) / 1e9 : 0;
	printf("setup sessions=%d ok=%d failed=%d concurrency=%d secs=%.3f rate=%.1f "
	    "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f tls_p50_ms=%.3f",
	    nconn, n, nfailed, concurrency, secs, secs > 0 ? n / secs : 0,
	    bench_pct(lat, (size_t)n, 50) / 1e6, bench_pct(lat, (size_t)n, 99) / 1e6,
	    bench_pct(lat, (size_t)n, 100) / 1e6, bench_pct(tls, (size_t)n, 50) / 1e6);
	if (xpid > 0 && n > 0)
		printf(" xpmgr_cpu_ms_per_session=%.3f",
		    (double)(bench_proc_cpu_ns(xpid) - cpu_begin) / 1e6 / n);
	printf("\n");
	fflush(stdout);
	free(lat);
	free(tls);
}

/*
 * Every session is set up (or failed).  The answers to the last hellos may
 * still sit in our output: wait (up to 2 s) until they are all sent, so the
 * mlet has heard back on every session before pktxpmgr is sampled.
 */
static void
hold_settle(void)
{
	struct timeval	 tv = { 0, 0 };

	releasing = 1;
	report_setup();
	t_release = bench_now_ns();
	/* Not now: the last session's responder is still in its callback. */
	evtimer_add(settle_ev, &tv);
}

static void
settle_poll(evutil_socket_t fd, short what, void *arg)
{
	struct timeval	 tv = { 0, 10000 };
	int		 i;

	for (i = 0; i < nconn; i++)
		if (conns[i].state == C_RUN &&
		    evbuffer_get_length(bufferevent_get_output(conns[i].bev)) > 0)
			break;
	if (i < nconn && bench_now_ns() - t_release < 2000000000ull) {
		evtimer_add(settle_ev, &tv);
		return;
	}
	hold_measure();
}

/* Sample pktxpmgr with every session held, then let them all go. */
static void
hold_measure(void)
{
	struct timeval	 tv = { 0, 50000 };
	SSL		*ssl;
	int		 i, held = 0;

	for (i = 0; i < nconn; i++)
		held += conns[i].state == C_RUN;
	printf("hold sessions=%d held=%d", nconn, held);
	if (xpid > 0)
		printf(" rss_idle_kb=%ld rss_held_kb=%ld fds_idle=%ld fds_held=%ld",
		    rss_idle, bench_proc_rss_kb(xpid), fds_idle, bench_proc_nfds(xpid));
	fflush(stdout);
	t_release = bench_now_ns();
	for (i = 0; i < nconn; i++) {
		if (conns[i].state != C_RUN)
			continue;
		/* A clean end: close_notify, then the socket. */
		ssl = bufferevent_openssl_get_ssl(conns[i].bev);
		SSL_shutdown(ssl);
		conn_free(&conns[i]);
	}
	if (xpid > 0)
		evtimer_add(poll_ev, &tv);
	else {
		printf("\n");
		finished = 1;
		event_base_loopbreak(base);
	}
}

/* Wait (up to 10 s) for pktxpmgr to close every descriptor of the sessions. */
static void
release_poll(evutil_socket_t fd, short what, void *arg)
{
	struct timeval	 tv = { 0, 50000 };
	long		 nfds = bench_proc_nfds(xpid);
	uint64_t	 el = bench_now_ns() - t_release;

	if (nfds > fds_idle && el < 10 * 1000000000ull) {
		evtimer_add(poll_ev, &tv);
		return;
	}
	printf(" rss_after_kb=%ld fds_after=%ld release_ms=%.1f\n",
	    bench_proc_rss_kb(xpid), nfds, el / 1e6);
	if (nfds > fds_idle)
		log_warnx("pktxpmgr still holds %ld descriptors more than before "
		    "the first session, 10 s after the last one closed",
		    nfds - fds_idle);
	finished = 1;
	event_base_loopbreak(base);
}

static void
deadline(evutil_socket_t fd, short what, void *arg)
{
	int	 i, count[C_GONE + 1] = { 0 };

	for (i = 0; i < nconn; i++)
		count[conns[i].state]++;
	log_warnx("gave up after %d s: %d set up, %d ended, %d failed; %d not "
	    "started, %d in TLS, %d in setup, %d running", wait_s, nready, nended,
	    nfailed, count[C_IDLE], count[C_TLS], count[C_SETUP], count[C_RUN]);
	if (!releasing)
		report_setup();
	event_base_loopbreak(base);
}
