/*
 * main.c: pktlab-proxy's command line, proxy.conf, the TLS context, the two
 * listening ports and the event loop.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include <pktlab/wire.h>

#include "conf/addr.h"
#include "conf/file.h"
#include "conf/kv.h"
#include "cred/cred.h"
#include "cred/tls.h"
#include "proxy/proxy.h"
#include "util/log.h"
#include "util/util.h"

#define PX_PROG	"pktlab-proxy"	/* in usage errors and -V */

#define DEFAULT_CONF	".pktlab/proxy.conf"
#define ACCEPT_BURST	64
#define ACCEPT_PAUSE_MS	100
#define LISTEN_BACKLOG	1024
#define GC_INTERVAL_S	10

static void	 usage(FILE *, int) __attribute__((noreturn));

static const struct option longopts[] = {
	{ "config",	required_argument,	NULL, 'c' },
	{ "controllers", required_argument,	NULL, 'a' },
	{ "endpoints",	required_argument,	NULL, 'e' },
	{ "check",	no_argument,		NULL, 't' },
	{ "quiet",	no_argument,		NULL, 'q' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 },
};

void
px_log(int level, const char *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, ctx, 0, fmt, ap);
	va_end(ap);
}

void
px_tv(struct timeval *tv, uint64_t ns)
{
	tv->tv_sec = (time_t)(ns / 1000000000u);
	tv->tv_usec = (suseconds_t)(ns % 1000000000u / 1000u);
}

double
px_elapsed(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	    (now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* TCP keepalive: a peer whose host vanished is noticed in about 90 s. */
void
px_keepalive(int fd)
{
	int one = 1, idle = 60, intvl = 10, cnt = 3;

	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

void
px_peerstr(const struct sockaddr *sa, socklen_t salen, char *host, size_t hl,
    char *hp, size_t hpl)
{
	char h[NI_MAXHOST], p[NI_MAXSERV];

	if (getnameinfo(sa, salen, h, sizeof(h), p, sizeof(p),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(h, sizeof(h), "?");
		snprintf(p, sizeof(p), "?");
	}
	snprintf(host, hl, "%s", h);
	if (sa->sa_family == AF_INET6)
		snprintf(hp, hpl, "[%s]:%s", h, p);
	else
		snprintf(hp, hpl, "%s:%s", h, p);
}

static void
on_accept(evutil_socket_t lfd, short ev, void *arg)
{
	struct px_listener *l = arg;
	struct px *px = l->px;
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd, i;

	for (i = 0; i < ACCEPT_BURST && !px->stopping; i++) {
		fd = pl_accept(lfd, &ss, &sslen, l->ctl ? "a controller" :
		    "an endpoint", ACCEPT_PAUSE_MS);
		if (fd == PL_ACCEPT_FULL)
			px_pause_accept(px);
		if (fd < 0)
			return;
		if (l->ctl)
			reg_new(px, fd, (struct sockaddr *)&ss, sslen);
		else
			ep_new(px, fd, (struct sockaddr *)&ss, sslen);
	}
}

void
px_pause_accept(struct px *px)
{
	struct px_listener *l;
	struct timeval tv = { 0, ACCEPT_PAUSE_MS * 1000 };

	TAILQ_FOREACH(l, &px->listeners, entry)
		event_del(l->ev);
	evtimer_add(px->resume, &tv);
}

static void
on_resume(evutil_socket_t fd, short ev, void *arg)
{
	struct px *px = arg;
	struct px_listener *l;

	TAILQ_FOREACH(l, &px->listeners, entry)
		event_add(l->ev, NULL);
}

static int
listen_on(struct px *px, const char *addr, uint16_t defport, int ctl)
{
	struct pl_hostport hp;
	struct addrinfo *res, *ai;
	struct px_listener *l;
	char why[256], name[300], host[PX_PEER_MAX];
	int fd, one = 1, n = 0, nfail = 0, lasterr = 0;

	if (pl_addr_split(addr, defport, &hp, why, sizeof(why)) == -1 ||
	    pl_addr_resolve(&hp, 1, &res, why, sizeof(why)) == -1) {
		log_fatalx("%s address: %s", ctl ? "controller" : "endpoint", why);
		return -1;
	}
	pl_addr_fmt(&hp, name, sizeof(name));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one)) == -1 || bind(fd, ai->ai_addr,
		    ai->ai_addrlen) == -1 || listen(fd, LISTEN_BACKLOG) == -1) {
			lasterr = errno;
			nfail++;
			if (fd != -1)
				close(fd);
			continue;
		}
		l = xcalloc(1, sizeof(*l));
		l->px = px;
		l->fd = fd;
		l->ctl = ctl;
		px_peerstr(ai->ai_addr, ai->ai_addrlen, host, sizeof(host),
		    l->name, sizeof(l->name));
		if ((l->ev = event_new(px->base, fd, EV_READ | EV_PERSIST,
		    on_accept, l)) == NULL)
			fatalx("event_new failed");
		event_add(l->ev, NULL);
		TAILQ_INSERT_TAIL(&px->listeners, l, entry);
		log_info("listening for %s on %s", ctl ? "controllers" :
		    "endpoints", l->name);
		n++;
	}
	freeaddrinfo(res);
	/* One line: FATAL when nothing listens, else a WARN for the rest. */
	if (n == 0)
		log_fatalx("cannot listen for %s on %s: %s", ctl ? "controllers" :
		    "endpoints", name, strerror(lasterr));
	else if (nfail > 0)
		log_warnx("cannot listen for %s on %d of the addresses of %s: %s",
		    ctl ? "controllers" : "endpoints", nfail, name,
		    strerror(lasterr));
	return n > 0 ? 0 : -1;
}

static void
conf_diag(void *arg, unsigned line, const char *msg)
{
	/* Every diagnostic of px_conf_parse is an error that stops us. */
	if (line > 0)
		log_fatalx("%s:%u: %s", (const char *)arg, line, msg);
	else
		log_fatalx("%s: %s", (const char *)arg, msg);
}

static char *
default_conf(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home == NULL || *home == '\0') {
		if ((pw = getpwuid(getuid())) == NULL)
			fatalx("cannot find the home folder: set HOME or use -c");
		home = pw->pw_dir;
	}
	return xasprintf("%s/%s", home, DEFAULT_CONF);
}

static int
load_conf(struct px_conf *conf, const char *path)
{
	char *buf, *dup, why[256];
	size_t len;
	int nerr;

	if (pl_conf_readfile(path, &buf, &len, why, sizeof(why)) == -1) {
		log_fatalx("%s: %s", path, why);
		return -1;
	}
	dup = xstrdup(path);
	nerr = px_conf_parse(conf, buf, len, dirname(dup), conf_diag,
	    (void *)path);
	free(dup);
	free(buf);
	/* Each error had its own FATAL line; no summary line. */
	return nerr > 0 ? -1 : 0;
}

/* The key, the one agent certificate, the optional controller roots. */
static SSL_CTX *
load_tls(const struct px_conf *c, const char *path)
{
	struct cred_pass pass = { NULL, CRED_PASS_ENV, 1 };
	struct cred_certs certs = { 0 };
	struct cred_keys roots = { 0 };
	struct cred_err err;
	EVP_PKEY *key;
	SSL_CTX *ctx = NULL;
	const char *cp = c->cert;

	if ((key = cred_key_load(c->key, &pass, &err)) == NULL) {
		log_fatalx("%s: ProxyPrivKeyPath: %s", path, err.msg);
		return NULL;
	}
	if (cred_certs_load(&certs, &cp, 1, &err) == -1) {
		log_fatalx("%s: ProxyAgentCertPath: %s", path, err.msg);
		goto done;
	}
	if (c->nroots > 0 && cred_keys_load(&roots, (const char *const *)
	    c->roots, c->nroots, &err) == -1) {
		log_fatalx("%s: ControllerCertRootPath: %s", path, err.msg);
		goto done;
	}
	if ((ctx = cred_tls_plain_server_ctx(key, &certs, &roots,
	    CRED_MODE_AGENT, c->require_cert, &err)) == NULL)
		log_fatalx("%s: %s", path, err.msg);
done:
	EVP_PKEY_free(key);
	cred_certs_free(&certs);
	cred_keys_free(&roots);
	return ctx;
}

static void
listeners_close(struct px *px)
{
	struct px_listener *l;

	while ((l = TAILQ_FIRST(&px->listeners)) != NULL) {
		TAILQ_REMOVE(&px->listeners, l, entry);
		event_free(l->ev);
		close(l->fd);
		free(l);
	}
	if (px->resume != NULL)
		event_del(px->resume);
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct px *px = arg;

	log_info("%s: stopping", strsignal((int)sig));
	px->stopping = 1;
	event_base_loopexit(px->base, NULL);
}

static void
on_gc(evutil_socket_t fd, short ev, void *arg)
{
	key_gc(arg);
}

static void
nofile_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("cannot raise the descriptor limit");
	}
}

int
main(int argc, char *argv[])
{
	struct px px;
	struct event *sigs[2], *gc;
	struct timeval tv = { GC_INTERVAL_S, 0 };
	char *confpath = NULL, *own = NULL, *ctl_addr = NULL, *ep_addr = NULL;
	char why[256];
	struct pl_hostport hp;
	int ch, level = LOG_LVL_INFO, check = 0, status = 1;

	log_init(PX_PROG, level);
	opterr = 0;	/* one line of our own instead */
	while ((ch = getopt_long(argc, argv, "c:a:e:tqvhV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			confpath = optarg;
			break;
		case 'a':
			if (pl_addr_split(optarg, PX_PORT_CTL, &hp, why,
			    sizeof(why)) == -1)
				pl_usage_exit(PX_PROG, "-a %s", why);
			ctl_addr = optarg;
			break;
		case 'e':
			if (pl_addr_split(optarg, PX_PORT_EP, &hp, why,
			    sizeof(why)) == -1)
				pl_usage_exit(PX_PROG, "-e %s", why);
			ep_addr = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'q':
			level--;
			break;
		case 'v':
			level++;
			break;
		case 'h':
			usage(stdout, 0);
		case 'V':
			pl_print_version(PX_PROG);
			return 0;
		default:
			pl_usage_exit(PX_PROG, "unknown option or missing "
			    "argument: %s", argv[optind - 1]);
		}
	}
	if (optind != argc)
		pl_usage_exit(PX_PROG, "unexpected argument %s", argv[optind]);
	log_set_level(level);
	if (check)
		log_set_timestamps(0);	/* a one-shot command, as pktxpmgr -t */

	memset(&px, 0, sizeof(px));
	px_conf_defaults(&px.conf);
	if (confpath == NULL)
		confpath = own = default_conf();
	if (load_conf(&px.conf, confpath) == -1)
		goto out;
	if (ctl_addr != NULL) {
		free(px.conf.ctl_addr);
		px.conf.ctl_addr = xstrdup(ctl_addr);
	}
	if (ep_addr != NULL) {
		free(px.conf.ep_addr);
		px.conf.ep_addr = xstrdup(ep_addr);
	}
	if (px.conf.ctl_addr == NULL)
		px.conf.ctl_addr = xstrdup("0.0.0.0");
	if (px.conf.ep_addr == NULL)
		px.conf.ep_addr = xstrdup("0.0.0.0");
	if ((px.ctx = load_tls(&px.conf, confpath)) == NULL)
		goto out;
	if (check) {
		printf("%s: OK\n"
		    "controllers: %s (default port %u), TLS 1.3 agent mode, "
		    "client certificate %s%s\n"
		    "endpoints:   %s (default port %u), plain TCP routed on "
		    "the ClientHello's SNI\n"
		    "timeouts:    registration stage %.3f s, ClientHello "
		    "%.3f s, hold %.3f s, session idle %s\n"
		    "relay:       %s, %llu-byte buffers\n", confpath,
		    px.conf.ctl_addr, PX_PORT_CTL, px.conf.require_cert ?
		    "required" : "optional", px.conf.nroots > 0 ?
		    ", pinned to ControllerCertRootPath" : "",
		    px.conf.ep_addr, PX_PORT_EP, px.conf.stage_timeout / 1e9,
		    px.conf.hello_timeout / 1e9, px.conf.hold_timeout / 1e9,
		    px.conf.idle_timeout == 0 ? "none" : "set",
		    px.conf.relay == PX_RELAY_SPLICE ? "splice(2) through "
		    "pipes" : "read/write through buffers",
		    (unsigned long long)px.conf.bufsize);
		status = 0;
		goto out;
	}

	signal(SIGPIPE, SIG_IGN);
	nofile_raise();
	if ((px.base = event_base_new()) == NULL)
		fatalx("libevent: cannot create the event loop");
	TAILQ_INIT(&px.listeners);
	TAILQ_INIT(&px.keys);
	TAILQ_INIT(&px.regs);
	TAILQ_INIT(&px.eps);
	TAILQ_INIT(&px.refusals);
	TAILQ_INIT(&px.sessions);
	if ((px.resume = evtimer_new(px.base, on_resume, &px)) == NULL)
		fatalx("evtimer_new failed");
	if (listen_on(&px, px.conf.ctl_addr, PX_PORT_CTL, 1) == -1 ||
	    listen_on(&px, px.conf.ep_addr, PX_PORT_EP, 0) == -1)
		goto loopout;
	sigs[0] = evsignal_new(px.base, SIGINT, on_signal, &px);
	sigs[1] = evsignal_new(px.base, SIGTERM, on_signal, &px);
	gc = event_new(px.base, -1, EV_PERSIST, on_gc, &px);
	if (sigs[0] == NULL || sigs[1] == NULL || gc == NULL)
		fatalx("event_new failed");
	event_add(sigs[0], NULL);
	event_add(sigs[1], NULL);
	event_add(gc, &tv);
	log_info("pktlab-proxy %s ready (relay: %s)", PKTXP_VERSION,
	    px.conf.relay == PX_RELAY_SPLICE ? "splice" : "buffer");
	event_base_dispatch(px.base);
	/* Listeners first: a connection waiting in their backlog would keep
	   the last loop pass below busy for ever. */
	listeners_close(&px);
	event_free(sigs[0]);
	event_free(sigs[1]);
	event_free(gc);
	sess_free_all(&px);
	ep_free_all(&px);
	reg_free_all(&px);
	event_base_loop(px.base, EVLOOP_NONBLOCK);	/* deferred frees */
	status = 0;
loopout:
	listeners_close(&px);
	{
		struct px_key *k;
		struct px_refusal *f;

		while ((k = TAILQ_FIRST(&px.keys)) != NULL) {
			TAILQ_REMOVE(&px.keys, k, entry);
			free(k);
		}
		while ((f = TAILQ_FIRST(&px.refusals)) != NULL) {
			TAILQ_REMOVE(&px.refusals, f, entry);
			free(f);
		}
	}
	event_free(px.resume);
	event_base_free(px.base);
out:
	SSL_CTX_free(px.ctx);
	px_conf_free(&px.conf);
	free(own);
	return status;
}

static void
usage(FILE *f, int status)
{
	fprintf(f,
"usage: pktlab-proxy [-hqtvV] [-c CONF] [-a CONTROLLER_ADDR[:PORT]]\n"
"                    [-e ENDPOINT_ADDR[:PORT]]\n"
"\n"
"A PacketLab proxy: controllers behind NAT register idle TLS backlog\n"
"connections per SNI key on one port; endpoints dial the other port as if\n"
"it were the controller, and are spliced, by the SNI of their TLS\n"
"ClientHello, to one of those connections.  TLS stays end to end.\n"
"\n"
"  -c, --config CONF     configuration file (default ~/%s)\n"
"  -a, --controllers ADDR[:PORT]\n"
"                        listen for controllers here (default 0.0.0.0:%u)\n"
"  -e, --endpoints ADDR[:PORT]\n"
"                        listen for endpoints here (default 0.0.0.0:%u)\n"
"  -t, --check           check the configuration and credentials, print\n"
"                        the plan and exit\n"
"  -q, --quiet           log less (repeatable)\n"
"  -v, --verbose         log more (repeatable)\n"
"  -V, --version         print the version and exit\n"
"  -h, --help            print this help and exit\n"
"\n"
"`pktlab-cred init` writes a proxy.conf for this machine.  See\n"
"pktlab-proxy(1) for the directives.\n", DEFAULT_CONF, PX_PORT_CTL,
	    PX_PORT_EP);
	exit(status);
}

