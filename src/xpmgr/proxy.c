/*
 * proxy.c: proxy (active) mode (xpmgr spec §7, broker.md §3).  Per SNI
 * key, TargetBacklogConn "backlog" connections to the proxy (-a) are kept
 * registered.  Each goes through the stages of §7.2 on the daemon's one
 * event loop, each stage bounded by BacklogConnTimeout:
 *
 *   1 TCP         non-blocking connect, every address -a resolves to in turn
 *   2 TLS         TLS 1.3 client, no SNI, agent mode: the proxy shows one
 *                 agent certificate (issuer pinned by ProxyCertRootPath);
 *                 ours is BacklogConnAgentCertPath, only when set
 *   3 XREG        the SNI key, inside TLS
 *   4 RESULT      exactly one message; errid 0 = registered
 *   5 TLS off     our close_notify, then the TLS state is freed
 *   6 PKTLAB in   raw bytes skipped up to the marker (a correct matcher,
 *                 ERRATA 13), never reading past it
 *   7 PKTLAB out  the 6 raw bytes
 *   8 idle        no TLS state, no timer, no thread: one read event.  The
 *                 endpoint's first bytes (its ClientHello, which the proxy
 *                 forwards) turn it into a session exactly like an accepted
 *                 connection (session_new), with the proxy's address as
 *                 EPADDR as in 1.1.0; the slot is refilled at once.
 *
 * Unlike 1.1.0, nothing the proxy does after the bootstrap is fatal, and a
 * failure (refused connect, TLS error, refused xreg, reset, time-out) makes
 * that SNI key back off exponentially (100 ms doubling to 30 s, jittered)
 * and probe with one connection at a time; a connection that works (used by
 * an endpoint, or idle for PC_IDLE_MIN_MS after its registration) resets it.  A failing key logs a warning
 * when it starts failing or fails differently, and a notice when it
 * recovers; each retry is only a debug line.
 *
 * Bootstrap (§7.5): greeting is ready when every key reached its target,
 * or after BootstrapBacklogTimeout; then with no registration at all the
 * daemon exits 1, otherwise it warns and goes on.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <pktlab/wire.h>

#include "util/event.h"
#include "util/log.h"
#include "util/util.h"
#include "conf/addr.h"
#include "conf/xpconf.h"
#include "cred/cred.h"
#include "cred/tls.h"
#include "xpmgr/daemon.h"
#include "xpmgr/pure/proxypure.h"

/* A proxy that sends more than this before PKTLAB is not one. */
#define PC_SKIP_MAX		(64u * 1024u)
/* The largest result body we take (a result is 0, 2 or 6 bytes). */
#define PC_RESULT_MAX		64
/* An idle connection lost sooner than this counts as a failure (backoff). */
#define PC_IDLE_MIN_MS		1000
/* "b12 proxy.example.org:20557 sni=<63 chars>" */
#define PC_CTX_MAX		(PL_HOST_MAX + 112)

enum pc_stage {
	PC_TCP = 1, PC_TLS, PC_XREG, PC_RESULT, PC_TLSOFF, PC_MARK_IN, PC_MARK_OUT,
	PC_IDLE,
};

static const char *const stage_names[] = {
	"", "TCP connect", "TLS handshake", "xreg", "xreg result", "TLS close",
	"PKTLAB from the proxy", "PKTLAB to the proxy", "idle",
};

/* What went wrong, so a key logs only when its trouble changes. */
enum pc_fail {
	PF_NONE, PF_CONNECT, PF_TLS, PF_REFUSED, PF_PROTO, PF_EOF, PF_TIMEOUT,
	PF_IDLE,
};

struct proxy;
struct pkey;

struct pconn {
	TAILQ_ENTRY(pconn)	 entry;
	struct pkey		*k;
	uint64_t		 id;
	enum pc_stage		 stage;
	int			 io_err;	/* event_add failed on the socket: errno */
	int			 fd;
	SSL			*ssl;
	struct event		 io;		/* armed for one direction at a time */
	struct event		 timer;		/* the stage deadline */
	int			 io_set;
	const struct addrinfo	*ai;		/* stage 1: the address tried */
	char			 connerr[128];	/* stage 1: the last address's error */
	uint8_t			 buf[PL_HLEN + PC_RESULT_MAX];
	size_t			 have, want;	/* stages 3-4, 7 */
	struct xp_marker	 mk;
	struct timespec		 t_idle;
	char			 ctx[PC_CTX_MAX];
};
TAILQ_HEAD(pconnq, pconn);

struct pkey {
	struct proxy		*p;
	const char		*snikey;
	struct pconnq		 conns;
	uint64_t		 nsetup, nidle;
	uint64_t		 nreg;		/* registrations completed */
	struct xp_backoff	 bo;
	struct event		*retry;
	enum pc_fail		 failing;	/* PF_NONE: healthy */
	char			 ctx[PC_CTX_MAX];
};

struct proxy {
	struct xpd		*d;
	struct addrinfo		*res;
	char			 name[PL_HOST_MAX + 16];
	SSL_CTX			*ctx;
	struct pkey		*k;
	size_t			 nk;
	struct event		*boot;
	int			 booting;
	int			 closing;	/* wrap-up: no refill */
	uint64_t		 next_id;
};

static void	 pk_fill(struct pkey *k);
static void	 pk_fail(struct pkey *k, enum pc_fail kind, const char *why);
static void	 pk_retry(evutil_socket_t fd, short ev, void *arg);
static void	 pc_open(struct pkey *k);
static void	 pc_close(struct pconn *c, enum pc_fail kind, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
static void	 pc_stage(struct pconn *c, enum pc_stage st);
static void	 pc_wait(struct pconn *c, short what);
static void	 pc_io(evutil_socket_t fd, short ev, void *arg);
static void	 pc_timeout(evutil_socket_t fd, short ev, void *arg);
static void	 pc_step(struct pconn *c);
static int	 pc_connect_next(struct pconn *c);
static int	 pc_tls(struct pconn *c, int r, const char *what);
static void	 pc_registered(struct pconn *c);
static void	 pc_idle_read(struct pconn *c);
static void	 pk_recovered(struct pkey *k);
static void	 boot_check(struct proxy *p);
static void	 boot_timeout(evutil_socket_t fd, short ev, void *arg);
static SSL_CTX	*proxy_ctx(struct xpd *d, char *why, size_t whylen);
static uint64_t	 sessions_left(const struct xpd *d);

int
proxy_start(struct xpd *d, char *why, size_t whylen)
{
	const struct xpmgr_conf	*c = d->conf;
	struct proxy		*p;
	struct timeval		 tv;
	char			 one[256];
	size_t			 i;

	p = xcalloc(1, sizeof(*p));
	p->d = d;
	d->proxy = p;
	pl_addr_fmt(&c->listen, p->name, sizeof(p->name));
	if (pl_addr_resolve(&c->listen, 0, &p->res, one, sizeof(one)) == -1) {
		snprintf(why, whylen, "proxy %s: %s", p->name, one);
		return -1;
	}
	if ((p->ctx = proxy_ctx(d, why, whylen)) == NULL)
		return -1;
	p->nk = c->nexp;
	p->k = xcalloc(p->nk, sizeof(*p->k));
	for (i = 0; i < p->nk; i++) {
		p->k[i].p = p;
		p->k[i].snikey = c->exp[i].snikey;
		TAILQ_INIT(&p->k[i].conns);
		xp_backoff_reset(&p->k[i].bo);
		snprintf(p->k[i].ctx, sizeof(p->k[i].ctx), "proxy %s sni=%s", p->name,
		    p->k[i].snikey);
		if ((p->k[i].retry = evtimer_new(d->base, pk_retry, &p->k[i])) == NULL)
			fatalx("evtimer_new failed");
	}
	if ((p->boot = evtimer_new(d->base, boot_timeout, p)) == NULL)
		fatalx("evtimer_new failed");
	p->booting = 1;
	tv.tv_sec = (time_t)(c->bootstrap_timeout / 1000000000ull);
	tv.tv_usec = (suseconds_t)((c->bootstrap_timeout % 1000000000ull) / 1000);
	xevent_add(p->boot, &tv, "proxy bootstrap timer");
	log_info("proxy mode: keeping %ju backlog connection(s) per SNI key "
	    "registered with the proxy %s (%zu key(s)); bootstrap within %llu ms",
	    (uintmax_t)c->target_backlog, p->name, p->nk,
	    (unsigned long long)(c->bootstrap_timeout / 1000000));
	for (i = 0; i < p->nk; i++)
		pk_fill(&p->k[i]);
	return 0;
}

/* The client context: agent mode, our agent certificate only when configured. */
static SSL_CTX *
proxy_ctx(struct xpd *d, char *why, size_t whylen)
{
	const struct xpmgr_conf	*c = d->conf;
	struct cred_tls_client	 cl;
	struct cred_certs	 certs;
	struct cred_keys	 roots;
	struct cred_err		 err;
	const char		*path = c->backlog_agent_cert;
	SSL_CTX			*ctx = NULL;

	memset(&certs, 0, sizeof(certs));
	memset(&roots, 0, sizeof(roots));
	memset(&cl, 0, sizeof(cl));
	cl.mode = CRED_MODE_AGENT;
	if (c->proxy_roots.n > 0) {
		if (cred_keys_load(&roots, (const char *const *)c->proxy_roots.v,
		    c->proxy_roots.n, &err) == -1) {
			snprintf(why, whylen, "ProxyCertRootPath: %s", err.msg);
			goto done;
		}
		cl.roots = &roots;
	}
	if (path != NULL) {
		if (cred_certs_load(&certs, &path, 1, &err) == -1 ||
		    cred_certs_leaf_first(&certs, xp_tls_key(d->tls),
		    "BacklogConnAgentCertPath", &err) == -1) {
			snprintf(why, whylen, "BacklogConnAgentCertPath: %s", err.msg);
			goto done;
		}
		cl.key = xp_tls_key(d->tls);
		cl.chain = &certs;
	}
	if ((ctx = cred_tls_client_ctx(&cl, &err)) == NULL)
		snprintf(why, whylen, "proxy TLS context: %s", err.msg);
done:
	cred_certs_free(&certs);
	cred_keys_free(&roots);
	return ctx;
}

static uint64_t
sessions_left(const struct xpd *d)
{
	uint64_t	 used = d->nstarted + d->ninflight;

	if (d->conf->max_attempts == UINT64_MAX)
		return UINT64_MAX;
	return used >= d->conf->max_attempts ? 0 : d->conf->max_attempts - used;
}

/* ---- one SNI key ---- */

static void
pk_fill(struct pkey *k)
{
	struct xpd	*d = k->p->d;
	uint64_t	 n;

	if (d->state != XPD_RUNNING || k->p->closing ||
	    evtimer_pending(k->retry, NULL))
		return;
	n = xp_pool_want(d->conf->target_backlog, k->nsetup, k->nidle,
	    sessions_left(d));
	/*
	 * A failing key probes with one connection at a time, so each failure
	 * is one step of the backoff; the first registration fills the rest.
	 */
	if (k->failing != PF_NONE && n > 0)
		n = k->nsetup == 0 ? 1 : 0;
	while (n-- > 0 && d->state == XPD_RUNNING)
		pc_open(k);
}

static void
pk_retry(evutil_socket_t fd, short ev, void *arg)
{
	pk_fill(arg);
}

static const char *
fail_kind_name(enum pc_fail kind)
{
	static const char *const names[] = { "", "cannot connect",
	    "TLS failure", "registration refused", "protocol error",
	    "connection closed", "timed out", "idle connections lost" };

	return names[kind];
}

/* One failure of this key: back off, log only when the trouble changes. */
static void
pk_fail(struct pkey *k, enum pc_fail kind, const char *why)
{
	uint32_t	 rnd = 0, ms;
	struct timeval	 tv;

	if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
		rnd = (uint32_t)random();
	ms = xp_backoff_next(&k->bo, rnd);
	if (k->failing != kind)
		log_cwarnx(k->ctx, "%s: %s; retrying with backoff (%u ms now, "
		    "doubling up to %u ms); further failures of this kind are "
		    "logged at debug level", fail_kind_name(kind), why, ms,
		    XP_BACKOFF_CAP_MS);
	else
		log_cdebug(k->ctx, "%s (failure %llu in a row); next attempt in %u ms",
		    why, (unsigned long long)k->bo.failures, ms);
	k->failing = kind;
	if (!evtimer_pending(k->retry, NULL)) {
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
		xevent_add(k->retry, &tv, "proxy retry timer");
	}
}

/* ---- one backlog connection ---- */

static void
pc_open(struct pkey *k)
{
	struct proxy	*p = k->p;
	struct pconn	*c;

	c = xcalloc(1, sizeof(*c));
	c->k = k;
	c->id = ++p->next_id;
	c->fd = -1;
	snprintf(c->ctx, sizeof(c->ctx), "b%llu %s sni=%s",
	    (unsigned long long)c->id, p->name, k->snikey);
	evtimer_assign(&c->timer, p->d->base, pc_timeout, c);
	TAILQ_INSERT_TAIL(&k->conns, c, entry);
	k->nsetup++;
	c->ai = p->res;
	pc_stage(c, PC_TCP);
	/* Writable once the connect is over; SO_ERROR then says how. */
	pc_connect_next(c);
}

/* Enter a stage: its own deadline (§7.2: the clock restarts on each stage). */
static void
pc_stage(struct pconn *c, enum pc_stage st)
{
	uint64_t	 ns = c->k->p->d->conf->backlog_timeout;
	struct timeval	 tv;

	c->stage = st;
	c->have = c->want = 0;
	evtimer_del(&c->timer);
	if (st == PC_IDLE || ns == 0)
		return;
	tv.tv_sec = (time_t)(ns / 1000000000ull);
	tv.tv_usec = (suseconds_t)((ns % 1000000000ull) / 1000);
	xevent_add(&c->timer, &tv, "proxy stage timer");
	log_cdebug(c->ctx, "stage %d: %s", (int)st, stage_names[st]);
}

static void
pc_wait(struct pconn *c, short what)
{
	if (c->io_set)
		event_del(&c->io);
	event_assign(&c->io, c->k->p->d->base, c->fd, what, pc_io, c);
	c->io_set = 1;
	if (event_add(&c->io, NULL) == -1) {
		/* epoll_ctl failed for this socket: close it from the timer, not
		 * under our caller's feet. */
		c->io_err = errno != 0 ? errno : ENOMEM;
		event_active(&c->timer, EV_TIMEOUT, 1);
	}
}

static void
pc_io(evutil_socket_t fd, short ev, void *arg)
{
	struct pconn	*c = arg;

	if (c->stage == PC_IDLE)
		pc_idle_read(c);
	else
		pc_step(c);
}

static void
pc_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct pconn	*c = arg;

	if (c->io_err != 0) {
		pc_close(c, PF_PROTO, "cannot watch the connection: %s",
		    strerror(c->io_err));
		return;
	}
	if (c->stage == PC_IDLE) {
		/* Idle long enough to count as working (pc_registered). */
		pk_recovered(c->k);
		return;
	}
	pc_close(c, PF_TIMEOUT, "stage %d (%s) timed out after %llu ms",
	    (int)c->stage, stage_names[c->stage],
	    (unsigned long long)(c->k->p->d->conf->backlog_timeout / 1000000));
}

/* Stage 1: start a connect to the next address; 0 in progress or done, -1 closed. */
static int
pc_connect_next(struct pconn *c)
{
	char	 peer[64];
	int	 one = 1;

	for (; c->ai != NULL; c->ai = c->ai->ai_next) {
		if (c->fd != -1)
			close(c->fd);
		c->fd = socket(c->ai->ai_family, c->ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, c->ai->ai_protocol);
		if (c->fd == -1) {
			snprintf(c->connerr, sizeof(c->connerr), "socket: %s",
			    strerror(errno));
			continue;
		}
		/* Small records in a row (Finished, xreg, close_notify, PKTLAB): no Nagle. */
		if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
			log_cdebug(c->ctx, "TCP_NODELAY: %s", strerror(errno));
		if (connect(c->fd, c->ai->ai_addr, c->ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS) {
			pc_wait(c, EV_WRITE);
			return 0;
		}
		snprintf(c->connerr, sizeof(c->connerr), "%s: %s",
		    xp_peerstr(c->ai->ai_addr, c->ai->ai_addrlen, peer, sizeof(peer)),
		    strerror(errno));
	}
	pc_close(c, PF_CONNECT, "%s", c->connerr);
	return -1;
}

/* An SSL call's outcome: 1 done, 0 waiting, -1 closed with why. */
static int
pc_tls(struct pconn *c, int r, const char *what)
{
	char		 why[300];
	unsigned long	 e;
	int		 err = SSL_get_error(c->ssl, r);

	switch (err) {
	case SSL_ERROR_NONE:
		return 1;
	case SSL_ERROR_WANT_READ:
		pc_wait(c, EV_READ);
		return 0;
	case SSL_ERROR_WANT_WRITE:
		pc_wait(c, EV_WRITE);
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		pc_close(c, PF_EOF, "the proxy closed TLS during the %s", what);
		return -1;
	case SSL_ERROR_SYSCALL:
		if ((e = ERR_peek_error()) == 0) {
			if (errno == 0)
				pc_close(c, PF_EOF, "the proxy closed the connection "
				    "during the %s", what);
			else
				pc_close(c, PF_EOF, "connection error during the %s: "
				    "%s", what, strerror(errno));
			return -1;
		}
		/* FALLTHROUGH */
	default:
		e = ERR_get_error();
		cred_tls_reason(c->ssl, e, why, sizeof(why));
		ERR_clear_error();
		pc_close(c, PF_TLS, "%s failed: %s%s", what, why,
		    ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) ==
		    SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED &&
		    c->k->p->d->conf->backlog_agent_cert == NULL ? " (the proxy "
		    "wants our agent certificate: set BacklogConnAgentCertPath)" : "");
		return -1;
	}
}

/* Advance the set-up as far as the socket allows. */
static void
pc_step(struct pconn *c)
{
	struct pl_msg		 m;
	struct xp_marker	*mk = &c->mk;
	enum xp_xreg_res	 res;
	uint8_t			 tmp[512], type;
	uint16_t		 errid;
	uint32_t		 bodylen;
	socklen_t		 len;
	ssize_t			 n;
	size_t			 used;
	int			 r, soerr, found;
	const char		*name;

	for (;;) {
		switch (c->stage) {
		case PC_TCP:
			soerr = 0;
			len = sizeof(soerr);
			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
				soerr = errno;
			if (soerr == EINPROGRESS || soerr == EALREADY) {
				pc_wait(c, EV_WRITE);
				return;
			}
			if (soerr != 0) {
				errno = soerr;
				snprintf(c->connerr, sizeof(c->connerr), "%s: %s",
				    xp_peerstr(c->ai->ai_addr, c->ai->ai_addrlen,
				    (char *)tmp, sizeof(tmp)), strerror(soerr));
				c->ai = c->ai->ai_next;
				pc_connect_next(c);
				return;
			}
			if ((c->ssl = SSL_new(c->k->p->ctx)) == NULL ||
			    SSL_set_fd(c->ssl, c->fd) != 1) {
				pc_close(c, PF_TLS, "cannot create a TLS session");
				return;
			}
			/* No SNI (broker.md §3.1): the proxy is not routing this one. */
			SSL_set_connect_state(c->ssl);
			pc_stage(c, PC_TLS);
			break;
		case PC_TLS:
			ERR_clear_error();
			errno = 0;
			if ((r = pc_tls(c, SSL_connect(c->ssl), "TLS handshake")) != 1)
				return;
			pl_msg_xreg(&m, c->k->snikey, strlen(c->k->snikey));
			n = pl_encode(&m, c->buf, sizeof(c->buf));
			if (n < 0)
				fatalx("cannot encode xreg for %s", c->k->snikey);
			pc_stage(c, PC_XREG);
			c->want = (size_t)n;
			break;
		case PC_XREG:
			ERR_clear_error();
			errno = 0;
			r = SSL_write(c->ssl, c->buf + c->have, (int)(c->want - c->have));
			if (pc_tls(c, r, "xreg write") != 1)
				return;
			c->have += (size_t)r;
			if (c->have < c->want)
				break;
			pc_stage(c, PC_RESULT);
			c->want = PL_HLEN;
			break;
		case PC_RESULT:
			/* Exactly one message: the header, then its body, no more. */
			ERR_clear_error();
			errno = 0;
			r = SSL_read(c->ssl, c->buf + c->have, (int)(c->want - c->have));
			if (pc_tls(c, r, "wait for the xreg result") != 1)
				return;
			c->have += (size_t)r;
			if (c->have < c->want)
				break;
			if (c->want == PL_HLEN) {
				pl_peek_header(c->buf, PL_HLEN, &type, &bodylen);
				if (bodylen > PC_RESULT_MAX) {
					name = pl_type_name(type);
					pc_close(c, PF_PROTO, "the proxy answered xreg "
					    "with a %s of %lu bytes", name != NULL ? name :
					    "message", (unsigned long)bodylen);
					return;
				}
				c->want += bodylen;
				if (bodylen > 0)
					break;
			}
			res = xp_xreg_result(c->buf, c->have, &errid, &type);
			if (res == XP_XREG_REFUSED) {
				name = pl_err_name(errid);
				pc_close(c, PF_REFUSED, "the proxy refused the xreg: "
				    "errid %u (%s)", errid, name != NULL ? name :
				    "not a PacketLab error name");
				return;
			}
			if (res != XP_XREG_OK) {
				name = pl_type_name(type);
				pc_close(c, PF_PROTO, "the proxy answered xreg with %s "
				    "(type 0x%02x) instead of a result", res ==
				    XP_XREG_MALFORMED ? "a malformed result" : name !=
				    NULL ? name : "an unknown message", type);
				return;
			}
			pc_stage(c, PC_TLSOFF);
			break;
		case PC_TLSOFF:
			/* One close_notify, not waiting for the proxy's (§7.2 stage 5). */
			ERR_clear_error();
			errno = 0;
			r = SSL_shutdown(c->ssl);
			if (r < 0 && pc_tls(c, r, "TLS close") != 1)
				return;
			SSL_free(c->ssl);
			c->ssl = NULL;
			xp_marker_init(mk);
			pc_stage(c, PC_MARK_IN);
			break;
		case PC_MARK_IN:
			/* Peek, then take exactly what the matcher used. */
			n = recv(c->fd, tmp, sizeof(tmp), MSG_PEEK);
			if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
				pc_wait(c, EV_READ);
				return;
			}
			if (n <= 0) {
				pc_close(c, PF_EOF, "the proxy %s before PKTLAB",
				    n == 0 ? "closed the connection" : strerror(errno));
				return;
			}
			used = xp_marker_feed(mk, tmp, (size_t)n, &found);
			if (recv(c->fd, tmp, used, 0) != (ssize_t)used) {
				pc_close(c, PF_EOF, "read: %s", strerror(errno));
				return;
			}
			if (!found && mk->skipped > PC_SKIP_MAX) {
				pc_close(c, PF_PROTO, "no PKTLAB in the first %u bytes "
				    "after the registration", PC_SKIP_MAX);
				return;
			}
			if (!found)
				break;
			if (mk->skipped > 0)
				log_cdebug(c->ctx, "skipped %llu byte(s) before PKTLAB",
				    (unsigned long long)mk->skipped);
			pc_stage(c, PC_MARK_OUT);
			break;
		case PC_MARK_OUT:
			n = send(c->fd, &XP_PKTLAB_MARKER[c->have], XP_PKTLAB_LEN -
			    c->have, MSG_NOSIGNAL);
			if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
				pc_wait(c, EV_WRITE);
				return;
			}
			if (n == -1) {
				pc_close(c, PF_EOF, "sending PKTLAB: %s", strerror(errno));
				return;
			}
			c->have += (size_t)n;
			if (c->have < XP_PKTLAB_LEN)
				break;
			pc_registered(c);
			return;
		case PC_IDLE:
			return;
		}
	}
}

/* Stage 8: registered and idle, until the proxy forwards an endpoint. */
static void
pc_registered(struct pconn *c)
{
	struct pkey	*k = c->k;
	struct timeval	 tv;

	pc_stage(c, PC_IDLE);
	clock_gettime(CLOCK_MONOTONIC, &c->t_idle);
	k->nsetup--;
	k->nidle++;
	k->nreg++;
	if (k->failing == PF_NONE && k->nreg == 1)
		log_cinfo(k->ctx, "first backlog connection registered");
	/*
	 * A failing key recovers once this connection proves itself: idle for
	 * PC_IDLE_MIN_MS, or used by an endpoint.  Registering alone is not
	 * enough: a proxy that breaks each connection right after would
	 * otherwise be hammered at full speed.
	 */
	if (k->failing != PF_NONE) {
		tv.tv_sec = PC_IDLE_MIN_MS / 1000;
		tv.tv_usec = (PC_IDLE_MIN_MS % 1000) * 1000;
		xevent_add(&c->timer, &tv, "proxy idle timer");
	}
	log_cdebug(c->ctx, "registered; idle (%llu idle, %llu in set-up)",
	    (unsigned long long)k->nidle, (unsigned long long)k->nsetup);
	pc_wait(c, EV_READ);
	boot_check(k->p);
	pk_fill(k);
}

/* A connection of a failing key worked: the backoff starts again from zero. */
static void
pk_recovered(struct pkey *k)
{
	if (k->failing == PF_NONE)
		return;
	log_cinfo(k->ctx, "registered again after %llu failed attempt(s)",
	    (unsigned long long)k->bo.failures);
	k->failing = PF_NONE;
	xp_backoff_reset(&k->bo);
	evtimer_del(k->retry);
	pk_fill(k);
}

/* An idle connection became readable: an endpoint, or the proxy let go. */
static void
pc_idle_read(struct pconn *c)
{
	struct pkey		*k = c->k;
	struct xpd		*d = k->p->d;
	struct sockaddr_storage	 ss;
	struct timespec		 now;
	socklen_t		 sslen = sizeof(ss);
	uint8_t			 b;
	ssize_t			 n;
	int			 fd;

	n = recv(c->fd, &b, 1, MSG_PEEK);
	if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
		pc_wait(c, EV_READ);	/* (one-shot events) */
		return;
	}
	if (n <= 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (xp_ms_between(&c->t_idle, &now) < PC_IDLE_MIN_MS)
			pc_close(c, PF_IDLE, "the proxy %s an idle backlog connection "
			    "%llu ms after registering it", n == 0 ? "closed" :
			    "reset", (unsigned long long)xp_ms_between(&c->t_idle, &now));
		else
			pc_close(c, PF_NONE, "the proxy %s an idle backlog connection",
			    n == 0 ? "closed" : "reset");
		return;
	}
	/*
	 * A proxy routes on the ClientHello's SNI, so an endpoint's bytes start
	 * with a TLS handshake record.  Anything else is the proxy's own (say,
	 * a close_notify sent after PKTLAB): a failure, not a session, or a
	 * broken proxy would make us register and fail sessions in a loop.
	 */
	if (b != 0x16) {
		pc_close(c, PF_PROTO, "the proxy sent a byte 0x%02x on an idle backlog "
		    "connection, not the start of an endpoint's TLS ClientHello", b);
		return;
	}
	/* The endpoint's ClientHello: from here on a session like any other. */
	if (getpeername(c->fd, (struct sockaddr *)&ss, &sslen) == -1) {
		pc_close(c, PF_NONE, "getpeername: %s", strerror(errno));
		return;
	}
	pk_recovered(k);
	fd = c->fd;
	c->fd = -1;
	log_cdebug(c->ctx, "the proxy forwards an endpoint");
	pc_close(c, PF_NONE, NULL);
	session_new(d, fd, (struct sockaddr *)&ss, sslen);
}

/* The one close funnel of a backlog connection; kind PF_NONE is not a failure. */
static void
pc_close(struct pconn *c, enum pc_fail kind, const char *fmt, ...)
{
	struct pkey	*k = c->k;
	char		 why[400];
	va_list		 ap;

	why[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
		log_cdebug(c->ctx, "closed in stage %d (%s): %s", (int)c->stage,
		    stage_names[c->stage], why);
	}
	if (c->io_set)
		event_del(&c->io);
	evtimer_del(&c->timer);
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	if (c->fd != -1)
		close(c->fd);
	if (c->stage == PC_IDLE)
		k->nidle--;
	else
		k->nsetup--;
	TAILQ_REMOVE(&k->conns, c, entry);
	free(c);
	if (kind != PF_NONE)
		pk_fail(k, kind, why);
	pk_fill(k);
}

/* ---- bootstrap ---- */

static void
boot_done(struct proxy *p, const char *how)
{
	if (!p->booting)
		return;
	p->booting = 0;
	evtimer_del(p->boot);
	log_info("proxy bootstrap %s", how);
	xpd_greeting_ready(p->d);
}

static void
boot_check(struct proxy *p)
{
	size_t		 i;
	uint64_t	 target = p->d->conf->target_backlog, left;

	if (!p->booting)
		return;
	/* -n may allow fewer sessions than the target. */
	left = sessions_left(p->d);
	if (left < target)
		target = left;
	for (i = 0; i < p->nk; i++)
		if (p->k[i].nidle < target)
			return;
	boot_done(p, "complete: every SNI key has its backlog connections");
}

static void
boot_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct proxy	*p = arg;
	size_t		 i, nok = 0;
	char		 why[512];

	for (i = 0; i < p->nk; i++)
		if (p->k[i].nreg > 0)
			nok++;
	if (nok == 0) {
		snprintf(why, sizeof(why), "proxy bootstrap failed: no backlog connection was "
		    "registered with the proxy %s within %llu ms "
		    "(BootstrapBacklogTimeout)%s%s", p->name,
		    (unsigned long long)(p->d->conf->bootstrap_timeout / 1000000),
		    p->nk > 0 && p->k[0].failing != PF_NONE ? "; last trouble: " : "",
		    p->nk > 0 ? fail_kind_name(p->k[0].failing) : "");
		p->booting = 0;
		xpd_abort(p->d, why);
		return;
	}
	for (i = 0; i < p->nk; i++)
		if (p->k[i].nidle < p->d->conf->target_backlog)
			log_cwarnx(p->k[i].ctx, "bootstrap timed out with %llu of "
			    "%ju backlog connection(s) registered; going on",
			    (unsigned long long)p->k[i].nidle,
			    (uintmax_t)p->d->conf->target_backlog);
	boot_done(p, "timed out while not every SNI key reached its target");
}

/* ---- wrap-up ---- */

/* Close every backlog connection that is not a session (wrap-up, §4.2). */
void
proxy_wrapup(struct xpd *d)
{
	struct proxy	*p = d->proxy;
	struct pconn	*c;
	size_t		 i, n = 0;

	if (p == NULL)
		return;
	p->closing = 1;
	if (p->boot != NULL)
		evtimer_del(p->boot);
	p->booting = 0;
	for (i = 0; i < p->nk; i++) {
		evtimer_del(p->k[i].retry);
		while ((c = TAILQ_FIRST(&p->k[i].conns)) != NULL) {
			n++;
			pc_close(c, PF_NONE, NULL);
		}
	}
	if (n > 0)
		log_info("closed %zu backlog connection(s) to the proxy %s", n, p->name);
}

void
proxy_free(struct xpd *d)
{
	struct proxy	*p = d->proxy;
	size_t		 i;

	if (p == NULL)
		return;
	proxy_wrapup(d);
	for (i = 0; i < p->nk; i++)
		if (p->k[i].retry != NULL)
			event_free(p->k[i].retry);
	if (p->boot != NULL)
		event_free(p->boot);
	free(p->k);
	if (p->res != NULL)
		freeaddrinfo(p->res);
	SSL_CTX_free(p->ctx);
	free(p);
	d->proxy = NULL;
}

uint64_t
proxy_idle(const struct xpd *d)
{
	const struct proxy	*p = d->proxy;
	uint64_t		 n = 0;
	size_t			 i;

	if (p == NULL)
		return 0;
	for (i = 0; i < p->nk; i++)
		n += p->k[i].nidle;
	return n;
}
