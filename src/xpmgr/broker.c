/*
 * broker.c: publication to the broker (xpmgr spec §8, broker.md §2.2,
 * §2.5), on the daemon's event_base: nothing here blocks, so sessions run
 * while the broker is slow, down or stalled.
 *
 * One connection at a time:
 *   CONNECT   every address BrokerAddr resolves to, in turn (host names
 *             through evdns), each bounded by BrokerTimeout;
 *   TLS       agent mode, TLS 1.3, no SNI, PubAgentCertPath with the
 *             controller key; the broker's one agent certificate checked,
 *             pinned to BrokerCertRootPath when set; bounded;
 *   PUBLISH   per entry in reverse config order: XCERT for each certificate
 *             of the verified chain (leaf first) when the entry has trusted
 *             keys, then XPUB; each waits for its RESULT, bounded;
 *   UP        idle, reading only to notice the broker's close;
 *   BACKOFF   after a failure: 1 s doubling to 60 s, with jitter, then
 *             CONNECT again and republish what is still inside its window;
 *   STOPPED   the window is over (largest pub_end), the first SIGINT, -n
 *             reached, the singleton gone: close_notify and close.
 * Greeting goes on for GreetPeriodAfterPubEnd after the window, then the
 * daemon wraps up.
 *
 * Beyond 1.1.0, which blocks, has no timeouts and never reconnects: the
 * timeouts, the reconnection, and a broker error after start-up costs only
 * the entry it names.  A broker error during the first publication pass is
 * a configuration problem: logged with the entry's file:line, exit 1, as
 * 1.1.0 does.  The broker sees 1.1.0's bytes.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "conf/addr.h"
#include "conf/xpconf.h"
#include "cred/cred.h"
#include "cred/tls.h"
#include "util/event.h"
#include "util/log.h"
#include "util/util.h"
#include "xpmgr/daemon.h"
#include "xpmgr/pure/xpub.h"

#define XPB_BACKOFF_MIN_MS	1000u
#define XPB_BACKOFF_MAX_MS	60000u
/* The largest message taken from the broker (a RESULT has 2 bytes). */
#define XPB_BODY_MAX		65536u

enum xpb_state {
	XPB_IDLE,
	XPB_RESOLVE,
	XPB_CONNECT,
	XPB_TLS,
	XPB_PUBLISH,
	XPB_UP,
	XPB_BACKOFF,
	XPB_STOPPED,
};

struct xpb_entry {
	size_t			 idx;
	unsigned		 line;
	struct cred_certs	 certs;
	struct cred_keys	 roots;
	struct cred_chain	 chain;
	int			 trusted;
	uint8_t			 keychan[PL_CHANNEL_MAX];
	uint8_t			 eopkey[PL_EOPKEY_LEN];
	int			 refused;	/* the broker said no: not sent again */
	int			 v6_warned;
	int			 xd_logged;	/* its xdescr logged since the last pass */
};

struct xpb {
	struct xpd		*d;
	const struct xpmgr_conf	*c;
	struct event_base	*base;
	SSL_CTX			*ctx;
	EVP_PKEY		*key;
	struct xpb_entry	*e;
	size_t			 n;
	uint64_t		 start_ns;	/* fixes every pub_end */
	uint64_t		 window_end;	/* largest pub_end; 0: none */
	char			 name[PL_HOST_MAX + 16];	/* BrokerAddr for logs */

	enum xpb_state		 state;
	int			 pass_done_once;	/* start-up is over */
	int			 window_over;	/* its timer fired */
	int			 greet_due;	/* greeting deadline passed meanwhile */
	unsigned		 conn_no;	/* connections that reached TCP */
	unsigned		 backoff_ms;
	unsigned		 failures;	/* in a row */
	int			 conn_logged;	/* connection logged since the last pass */
	char			 last_fail[256];	/* logged once until it changes */

	struct evdns_base	*dns;
	struct evdns_getaddrinfo_request *dnsreq;
	struct addrinfo		*ai_list;	/* from getaddrinfo */
	struct evutil_addrinfo	*ai_dns;	/* from evdns */
	struct addrinfo		*ai;		/* being tried */
	int			 fd;
	struct event		*conn_ev;
	struct bufferevent	*bev;
	char			 peer[64];
	char			 local[64];	/* numeric, no port */
	char			 connerr[160];	/* the last address's failure */

	size_t			 pos;		/* entries left in this pass (reverse order) */
	size_t			 cert_i;	/* next XCERT of the current entry */
	int			 awaiting;
	uint8_t			 await_type;
	unsigned		 npub;		/* XPUBs accepted on this connection */
	unsigned		 nunexpected;	/* messages nobody asked for, this connection */

	struct event		*timer;		/* connect, TLS, result */
	struct event		*retry;
	struct event		*window;
	struct event		*greet;
};

static void	 xpb_connect(struct xpb *b);
static void	 xpb_try_next(struct xpb *b);
static void	 xpb_dns_cb(int result, struct evutil_addrinfo *res, void *arg);
static void	 xpb_conn_cb(evutil_socket_t fd, short what, void *arg);
static void	 xpb_tls_start(struct xpb *b);
static void	 xpb_event_cb(struct bufferevent *bev, short what, void *arg);
static int	 xpb_cert_refused(const SSL *ssl, unsigned long e);
static void	 xpb_read_cb(struct bufferevent *bev, void *arg);
static void	 xpb_next(struct xpb *b);
static void	 xpb_result(struct xpb *b, const uint8_t *body, uint32_t len);
static void	 xpb_fail(struct xpb *b, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 xpb_drop(struct xpb *b, int notify);
static void	 xpb_fatal(struct xpb *b, const char *fmt, ...)
		    PL_PRINTF(2, 3);
static void	 xpb_timer_cb(evutil_socket_t fd, short what, void *arg);
static void	 xpb_retry_cb(evutil_socket_t fd, short what, void *arg);
static void	 xpb_window_cb(evutil_socket_t fd, short what, void *arg);
static void	 xpb_greet_cb(evutil_socket_t fd, short what, void *arg);
static void	 xpb_arm_at(struct event *ev, uint64_t when_ns);
static void	 xpb_arm_ns(struct event *ev, uint64_t ns);
static void	 xpb_free_addrs(struct xpb *b);
static int	 xpb_load(struct xpb *b, char *why, size_t whylen);

/* ---- start, stop ---- */

int
xpb_start(struct xpd *d, char *why, size_t whylen)
{
	const struct xpmgr_conf	*c = d->conf;
	struct cred_tls_client	 tc;
	struct cred_certs	 agent;
	struct cred_keys	 roots;
	struct cred_err		 err;
	struct xpb		*b;
	const char		*path = c->pub_agent_cert;
	uint64_t		 now;

	b = xcalloc(1, sizeof(*b));
	d->pub = b;
	b->d = d;
	b->c = c;
	b->base = d->base;
	b->fd = -1;
	/* Until it is set up, stopping it is a no-op. */
	b->state = XPB_STOPPED;
	b->key = xp_tls_key(d->tls);
	pl_addr_fmt(&c->broker, b->name, sizeof(b->name));
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());

	if (c->hostid != NULL && xp_hostid_check(c->hostid, why, whylen) == -1)
		return -1;
	memset(&agent, 0, sizeof(agent));
	memset(&roots, 0, sizeof(roots));
	if (cred_certs_load(&agent, &path, 1, &err) == -1 ||
	    cred_keys_load(&roots, (const char *const *)c->broker_roots.v,
	    c->broker_roots.n, &err) == -1) {
		snprintf(why, whylen, "%s", err.msg);
		cred_certs_free(&agent);
		cred_keys_free(&roots);
		return -1;
	}
	memset(&tc, 0, sizeof(tc));
	tc.key = b->key;
	tc.chain = &agent;
	tc.roots = &roots;
	tc.mode = CRED_MODE_AGENT;
	b->ctx = cred_tls_client_ctx(&tc, &err);
	cred_certs_free(&agent);
	cred_keys_free(&roots);
	if (b->ctx == NULL) {
		snprintf(why, whylen, "%s:%u: PubAgentCertPath: %s", c->path,
		    c->line[XPDIR_PUB_AGENT_CERT], err.msg);
		return -1;
	}
	if (c->broker_roots.n == 0)
		log_warnx("no BrokerCertRootPath: the broker's agent certificate is "
		    "checked for form only");
	if (xpb_load(b, why, whylen) == -1)
		return -1;

	b->timer = evtimer_new(b->base, xpb_timer_cb, b);
	b->retry = evtimer_new(b->base, xpb_retry_cb, b);
	b->window = evtimer_new(b->base, xpb_window_cb, b);
	b->greet = evtimer_new(b->base, xpb_greet_cb, b);
	if (b->timer == NULL || b->retry == NULL || b->window == NULL || b->greet == NULL)
		fatalx("cannot create events");

	b->state = XPB_IDLE;
	now = pl_time_now();
	b->start_ns = now;
	b->window_end = xp_pub_window_end(c, now);
	/*
	 * §8.5's traps: 1.1.0 publishes once, then stops at once.  No pub_end
	 * anywhere is already reported by the configuration; PubPeriod 0 here.
	 */
	if (XPMGR_HAS(c, XPDIR_PUB_PERIOD) && c->pub_period == 0)
		log_warnx("%s:%u: PubPeriod 0: publication ends as soon as it is made, "
		    "and greeting %s later (as in 1.1.0)", c->path,
		    c->line[XPDIR_PUB_PERIOD], c->greet_after_pub_end == 0 ? "at once" :
		    "GreetPeriodAfterPubEnd");
	xpb_arm_at(b->window, b->window_end);
	xpb_arm_at(b->greet, b->window_end + c->greet_after_pub_end < b->window_end ?
	    UINT64_MAX : b->window_end + c->greet_after_pub_end);
	log_info("Publishing experiment(s) to %s; publication until %llu, greeting "
	    "until %llu (ns since the epoch)", b->name,
	    (unsigned long long)b->window_end,
	    (unsigned long long)(b->window_end + c->greet_after_pub_end <
	    b->window_end ? UINT64_MAX : b->window_end + c->greet_after_pub_end));
	xpb_connect(b);
	return 0;
}

/* Every entry's chain and keys, as the TLS server loaded them. */
static int
xpb_load(struct xpb *b, char *why, size_t whylen)
{
	const struct xpmgr_conf	*c = b->c;
	struct xpb_entry	*e;
	char			 what[400];
	size_t			 i;

	b->n = c->nexp;
	b->e = xcalloc(b->n, sizeof(*b->e));
	for (i = 0; i < b->n; i++) {
		e = &b->e[i];
		e->idx = i;
		e->line = c->exp[i].line;
		if (xp_entry_load(c, i, b->key, &e->certs, &e->roots, &e->chain, what,
		    sizeof(what)) == -1) {
			snprintf(why, whylen, "%s:%u: ExpExec: %s", c->path, e->line, what);
			return -1;
		}
		e->trusted = e->roots.n > 0 && e->chain.root >= 0;
		if (e->trusted) {
			memcpy(e->keychan, e->chain.top_aki, PL_CHANNEL_MAX);
			if (cred_key_raw(e->roots.key[e->chain.root], e->eopkey) == -1) {
				snprintf(why, whylen, "%s:%u: ExpExec: cannot read the "
				    "EOp key", c->path, e->line);
				return -1;
			}
		}
	}
	return 0;
}

/* Stop publishing (window over, SIGINT, wrap-up): close_notify and close. */
void
xpb_stop(struct xpb *b, const char *why)
{
	if (b == NULL || b->state == XPB_STOPPED)
		return;
	log_info("Stopping publication (%s)", why);
	xpb_drop(b, 1);
	evtimer_del(b->retry);
	evtimer_del(b->window);
	b->state = XPB_STOPPED;
	if (b->greet_due)
		xpb_greet_cb(-1, 0, b);
}

void
xpb_free(struct xpb *b)
{
	size_t	 i;

	if (b == NULL)
		return;
	xpb_drop(b, 0);
	if (b->timer != NULL)
		event_free(b->timer);
	if (b->retry != NULL)
		event_free(b->retry);
	if (b->window != NULL)
		event_free(b->window);
	if (b->greet != NULL)
		event_free(b->greet);
	if (b->dns != NULL)
		evdns_base_free(b->dns, 0);
	for (i = 0; b->e != NULL && i < b->n; i++) {
		cred_chain_free(&b->e[i].chain);
		cred_keys_free(&b->e[i].roots);
		cred_certs_free(&b->e[i].certs);
	}
	free(b->e);
	SSL_CTX_free(b->ctx);
	free(b);
}

/* ---- connecting ---- */

/* libevent's resolver speaks through our log (its own failures are ours too). */
static void
xpb_dns_log(int is_warn, const char *msg)
{
	log_debug("resolver: %s%s", msg, is_warn ? " (warning)" : "");
}

static void
xpb_connect(struct xpb *b)
{
	const struct pl_hostport	*hp = &b->c->broker;
	struct evutil_addrinfo		 hints;
	char				 why[300], port[8];

	xpb_free_addrs(b);
	b->connerr[0] = '\0';
	if (!hp->is_ipv4 && !hp->is_ipv6) {
		/* A host name: evdns, so a slow resolver blocks nobody. */
		evdns_set_log_fn(xpb_dns_log);
		if (b->dns == NULL && (b->dns = evdns_base_new(b->base,
		    EVDNS_BASE_INITIALIZE_NAMESERVERS |
		    EVDNS_BASE_DISABLE_WHEN_INACTIVE)) == NULL) {
			xpb_fail(b, "cannot set up the resolver for %s", hp->host);
			return;
		}
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_protocol = IPPROTO_TCP;
		hints.ai_flags = EVUTIL_AI_NUMERICSERV;
		snprintf(port, sizeof(port), "%u", (unsigned)hp->port);
		b->state = XPB_RESOLVE;
		xpb_arm_ns(b->timer, b->c->broker_timeout);
		b->dnsreq = evdns_getaddrinfo(b->dns, hp->host, port, &hints,
		    xpb_dns_cb, b);
		return;
	}
	if (pl_addr_resolve(hp, 0, &b->ai_list, why, sizeof(why)) == -1) {
		xpb_fail(b, "%s", why);
		return;
	}
	b->ai = b->ai_list;
	xpb_try_next(b);
}

static void
xpb_dns_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct xpb	*b = arg;

	b->dnsreq = NULL;
	if (result == EVUTIL_EAI_CANCEL)
		return;
	evtimer_del(b->timer);
	if (result != 0) {
		xpb_fail(b, "cannot resolve %s: %s", b->c->broker.host,
		    evutil_gai_strerror(result));
		return;
	}
	b->ai_dns = res;
	b->ai = res;
	xpb_try_next(b);
}

/* Connect to the next address; when none is left, the attempt failed. */
static void
xpb_try_next(struct xpb *b)
{
	int	 fd, on = 1;

	b->state = XPB_CONNECT;
	for (; b->ai != NULL; b->ai = b->ai->ai_next) {
		xp_peerstr(b->ai->ai_addr, b->ai->ai_addrlen, b->peer, sizeof(b->peer));
		fd = socket(b->ai->ai_family, b->ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, b->ai->ai_protocol);
		if (fd == -1) {
			snprintf(b->connerr, sizeof(b->connerr), "socket: %s",
			    strerror(errno));
			continue;
		}
		/* 1.1.0 sets it too: a dead broker is found even when idle. */
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
		/* Each message is written whole; none should wait for an ACK. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		if (connect(fd, b->ai->ai_addr, b->ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS) {
			b->fd = fd;
			b->conn_ev = event_new(b->base, fd, EV_WRITE, xpb_conn_cb, b);
			if (b->conn_ev == NULL)
				fatalx("cannot create events");
			if (event_add(b->conn_ev, NULL) == -1) {
				snprintf(b->connerr, sizeof(b->connerr),
				    "connect to %s: cannot watch the socket: %s",
				    b->peer, strerror(errno));
				event_free(b->conn_ev);
				b->conn_ev = NULL;
				close(fd);
				b->fd = -1;
				continue;
			}
			xpb_arm_ns(b->timer, b->c->broker_timeout);
			return;
		}
		snprintf(b->connerr, sizeof(b->connerr), "connect to %s: %s", b->peer,
		    strerror(errno));
		close(fd);
	}
	xpb_fail(b, "%s", b->connerr[0] != '\0' ? b->connerr : "no address to try");
}

static void
xpb_conn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct xpb		*b = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(int);
	int			 err = 0;

	evtimer_del(b->timer);
	event_free(b->conn_ev);
	b->conn_ev = NULL;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
		err = errno;
	if (err != 0) {
		snprintf(b->connerr, sizeof(b->connerr), "connect to %s: %s", b->peer,
		    strerror(err));
		log_debug("broker: %s", b->connerr);
		close(b->fd);
		b->fd = -1;
		b->ai = b->ai->ai_next;
		xpb_try_next(b);
		return;
	}
	/* The local address: what §1.3 publishes when nothing else says. */
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    xp_epaddr((struct sockaddr *)&ss, sl, b->local, sizeof(b->local)) == -1)
		snprintf(b->local, sizeof(b->local), "0.0.0.0");
	b->conn_no++;
	xpb_free_addrs(b);
	xpb_tls_start(b);
}

static void
xpb_tls_start(struct xpb *b)
{
	struct cred_err	 cerr;
	int		 fd = b->fd;

	b->fd = -1;
	b->state = XPB_TLS;
	/* No SNI: a broker has one certificate. */
	if ((b->bev = cred_tls_bev_client(b->base, fd, b->ctx, NULL,
	    &cerr)) == NULL)
		fatalx("%s", cerr.msg);
	bufferevent_setcb(b->bev, xpb_read_cb, NULL, xpb_event_cb, b);
	if (bufferevent_enable(b->bev, EV_READ | EV_WRITE) == -1) {
		xpb_fail(b, "connection to the broker %s: cannot watch it: %s",
		    b->peer, strerror(errno));
		return;
	}
	xpb_arm_ns(b->timer, b->c->broker_timeout);
	log_debug("broker: connected to %s from %s; TLS handshake", b->peer, b->local);
}

static void
xpb_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct xpb	*b = arg;
	SSL		*ssl = bufferevent_openssl_get_ssl(bev);
	unsigned long	 e;
	char		 why[300];

	if (what & BEV_EVENT_CONNECTED) {
		evtimer_del(b->timer);
		if (cred_tls_peer_chain(ssl) == NULL) {
			xpb_fail(b, "TLS with %s: the broker presented no certificate",
			    b->peer);
			return;
		}
		b->state = XPB_PUBLISH;
		b->nunexpected = 0;
		b->pos = b->n;
		b->cert_i = 0;
		b->npub = 0;
		/* Once per streak: a broker that stalls after TLS is not news. */
		if (b->conn_logged)
			log_debug("broker: connected to %s again", b->peer);
		else if (b->last_fail[0] != '\0' || b->failures > 0)
			log_info("broker %s reachable again; publishing", b->peer);
		else
			log_info("connected to broker %s (TLS, agent mode)", b->peer);
		b->conn_logged = 1;
		xpb_next(b);
		return;
	}
	e = bufferevent_get_openssl_error(bev);
	cred_tls_reason(ssl, e, why, sizeof(why));
	/*
	 * A refused certificate (our check of the broker's, or an alert from
	 * the broker about ours, which TLS 1.3 may deliver after the handshake)
	 * is a configuration problem: during the first pass that ends the run,
	 * as in 1.1.0.  Anything else (EOF, reset, stall) is retried.
	 */
	if (!b->pass_done_once && xpb_cert_refused(ssl, e)) {
		xpb_drop(b, 0);
		xpb_fatal(b, "TLS with broker %s failed: %s", b->peer, why);
		return;
	}
	if (b->state == XPB_TLS)
		xpb_fail(b, "TLS with %s: %s", b->peer, e == 0 || (what & BEV_EVENT_EOF) ||
		    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING ?
		    "the broker closed the connection during the handshake" : why);
	else if (what & BEV_EVENT_EOF)
		xpb_fail(b, "the broker %s closed the connection", b->peer);
	else if (e != 0)
		xpb_fail(b, "connection to the broker %s: %s", b->peer, why);
	else
		xpb_fail(b, "connection to the broker %s: %s", b->peer,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

/* Did certificates end this TLS connection (not the network)? */
static int
xpb_cert_refused(const SSL *ssl, unsigned long e)
{
	int	 r = ERR_GET_REASON(e);

	if (SSL_get_verify_result(ssl) != X509_V_OK)
		return 1;
	if (e == 0 || ERR_GET_LIB(e) != ERR_LIB_SSL)
		return 0;
	/* Our own check failed, or the broker sent an alert. */
	return r == SSL_R_CERTIFICATE_VERIFY_FAILED || (r >= SSL_AD_REASON_OFFSET &&
	    r != SSL_AD_REASON_OFFSET + SSL_AD_CLOSE_NOTIFY);
}

/* ---- publishing ---- */

static void
xpb_send(struct xpb *b, const struct pl_msg *m)
{
	uint8_t		*buf;
	ssize_t		 n;

	if ((n = pl_encode(m, NULL, 0)) < 0)
		fatalx("cannot encode a %s", pl_type_name(m->type));
	buf = xmalloc((size_t)n);
	pl_encode(m, buf, (size_t)n);
	bufferevent_write(b->bev, buf, (size_t)n);
	free(buf);
	b->awaiting = 1;
	b->await_type = m->type;
	xpb_arm_ns(b->timer, b->c->broker_timeout);
}

/* Send the next XCERT or XPUB of this pass, or finish the pass. */
static void
xpb_next(struct xpb *b)
{
	struct xpb_entry	*e;
	struct xp_pubplan	*p;
	struct pl_msg		 m;
	struct pl_chlist	 cl;
	char			 why[600], chans[XP_CHANS_TEXT_MAX];
	uint64_t		 now = pl_time_now(), end;
	size_t			 i;
	int			 infer;

	while (b->pos > 0) {
		e = &b->e[b->pos - 1];
		/* Refused entries stay out; on reconnect, so do expired ones. */
		if (e->refused || (b->pass_done_once &&
		    xp_pub_end(b->c, e->idx, b->start_ns, &end) && end <= now)) {
			b->pos--;
			b->cert_i = 0;
			continue;
		}
		if (e->trusted && b->cert_i < e->chain.n) {
			pl_msg_xcert(&m, e->chain.cert[b->cert_i].der,
			    e->chain.cert[b->cert_i].derlen);
			log_debug("broker: XCERT %s (ExpExec line %u)",
			    e->chain.cert[b->cert_i].label, e->line);
			b->cert_i++;
			xpb_send(b, &m);
			return;
		}
		p = xmalloc(sizeof(*p));
		if (xp_pubplan_build(b->c, e->idx, e->trusted ? e->keychan : NULL,
		    e->trusted ? e->eopkey : NULL, b->start_ns, b->local, p, why,
		    sizeof(why)) == -1) {
			free(p);
			if (!b->pass_done_once) {
				xpb_fatal(b, "%s:%u: ExpExec: %s", b->c->path,
				    e->line, why);
				return;
			}
			log_warnx("%s:%u: ExpExec: %s", b->c->path, e->line, why);
			e->refused = 1;
			continue;
		}
		/*
		 * ERRATA 5.  Configured addresses were warned about at start-up;
		 * the connection's local address is known only now.
		 */
		if (!e->v6_warned && xpmgr_conf_ctrl_addr(b->c, &b->c->exp[e->idx],
		    &infer) == NULL && infer && xp_addr_is_v6(b->local)) {
			log_warnx("%s:%u: ExpExec: publishing the IPv6 controller_addr "
			    "%s (the local address of the broker connection): "
			    "PacketLab 1.1.0 endpoints cannot connect to it (use -p or "
			    "PubControllerAddr with a host name or an IPv4 address)",
			    b->c->path, e->line, b->local);
			e->v6_warned = 1;
		}
		/* 1.1.0's line; once per entry until a pass completes. */
		xp_pubplan_chans(p, chans, sizeof(chans));
		if (e->xd_logged)
			log_debug("Publishing xdescr (%s) to channels (%s)", p->xdescr,
			    chans);
		else
			log_info("Publishing xdescr (%s) to channels (%s)", p->xdescr,
			    chans);
		e->xd_logged = 1;
		xp_pubplan_msg(p, &cl, &m);
		xpb_send(b, &m);
		free(p);
		return;
	}

	/* The pass is over. */
	b->state = XPB_UP;
	b->conn_logged = 0;
	for (i = 0; i < b->n; i++)
		b->e[i].xd_logged = 0;
	b->failures = 0;
	b->backoff_ms = 0;
	b->last_fail[0] = '\0';
	if (!b->pass_done_once) {
		b->pass_done_once = 1;
		log_info("Experiment publication completed (%u publication(s))", b->npub);
	} else
		log_info("republished %u experiment(s) to %s", b->npub, b->peer);
	if (b->window_over)
		xpb_stop(b, "max publication time reached");
}

static void
xpb_read_cb(struct bufferevent *bev, void *arg)
{
	struct xpb	*b = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	uint8_t		 hdr[PL_HLEN], *body;
	uint8_t		 type;
	uint32_t	 len;

	while (b->bev == bev && evbuffer_get_length(in) >= PL_HLEN) {
		evbuffer_copyout(in, hdr, PL_HLEN);
		pl_peek_header(hdr, PL_HLEN, &type, &len);
		if (len > XPB_BODY_MAX) {
			xpb_fail(b, "the broker %s sent a %u-byte message (type 0x%02x)",
			    b->peer, len, type);
			return;
		}
		if (evbuffer_get_length(in) < PL_HLEN + (size_t)len)
			return;
		evbuffer_drain(in, PL_HLEN);
		body = xmalloc(len + 1);
		evbuffer_remove(in, body, len);
		if (type == PL_RESULT && b->awaiting)
			xpb_result(b, body, len);
		else if (b->nunexpected++ == 0)
			/* 1.1.0's words; once per connection, a flood is not news. */
			log_warnx("Unexpected message from broker with type %u (%s), "
			    "ignoring (further ones on this connection: debug)", type,
			    pl_type_name(type) != NULL ? pl_type_name(type) : "unknown");
		else
			log_debug("broker: unexpected message of type %u ignored", type);
		free(body);
	}
}

static void
xpb_result(struct xpb *b, const uint8_t *body, uint32_t len)
{
	struct xpb_entry	*e = &b->e[b->pos - 1];
	uint16_t		 errid;
	const char		*name;

	evtimer_del(b->timer);
	b->awaiting = 0;
	if (len == 0) {
		if (b->await_type == PL_XPUB) {
			b->npub++;
			b->pos--;
			b->cert_i = 0;
		}
		xpb_next(b);
		return;
	}
	if (len == 1) {
		xpb_fail(b, "the broker %s sent a malformed result (1-byte body)",
		    b->peer);
		return;
	}
	errid = (uint16_t)(body[0] << 8 | body[1]);
	name = pl_err_name(errid);
	if (!b->pass_done_once) {
		xpb_fatal(b, "%s:%u: ExpExec: the broker refused the %s: %s "
		    "(0x%04x, %s); Broker returned error: %u", b->c->path,
		    e->line, pl_type_name(b->await_type), name != NULL ? name :
		    "unknown error", errid, pl_err_str(errid), errid);
		return;
	}
	log_warnx("%s:%u: ExpExec: the broker refused the %s: %s (0x%04x, %s)",
	    b->c->path, e->line, pl_type_name(b->await_type), name != NULL ? name :
	    "unknown error", errid, pl_err_str(errid));
	/* Later: the others stay published; this one is not sent again. */
	e->refused = 1;
	b->pos--;
	b->cert_i = 0;
	xpb_next(b);
}

/* ---- failures, retries, timers ---- */

static void
xpb_fail(struct xpb *b, const char *fmt, ...)
{
	va_list		 ap;
	char		 why[256];
	unsigned	 ms, jit;
	int		 was_up = b->state == XPB_UP;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	xpb_drop(b, 0);
	if (b->state == XPB_STOPPED)
		return;
	if (b->window_over) {
		/* The window closed meanwhile: nothing left to publish. */
		log_warnx("broker: %s", why);
		xpb_stop(b, "max publication time reached");
		return;
	}
	b->failures++;
	b->backoff_ms = b->backoff_ms == 0 ? XPB_BACKOFF_MIN_MS :
	    b->backoff_ms * 2 > XPB_BACKOFF_MAX_MS ? XPB_BACKOFF_MAX_MS :
	    b->backoff_ms * 2;
	/* Jitter: 75% to 125% of the step, never past the maximum. */
	jit = (unsigned)(random() % (b->backoff_ms / 2 + 1));
	ms = b->backoff_ms - b->backoff_ms / 4 + jit;
	if (ms > XPB_BACKOFF_MAX_MS)
		ms = XPB_BACKOFF_MAX_MS;
	/* Each kind of failure once, not once per retry. */
	if (strcmp(why, b->last_fail) != 0) {
		log_warnx("broker: %s; %s with backoff (%u ms first, up to %u s)", why,
		    was_up ? "republishing after reconnecting" : "retrying", ms,
		    XPB_BACKOFF_MAX_MS / 1000);
		snprintf(b->last_fail, sizeof(b->last_fail), "%s", why);
	} else
		log_debug("broker: %s; retry %u in %u ms", why, b->failures, ms);
	b->state = XPB_BACKOFF;
	xpb_arm_ns(b->retry, (uint64_t)ms * 1000000ull);
}

/* Close the connection (close_notify when notify and TLS is up). */
static void
xpb_drop(struct xpb *b, int notify)
{
	SSL	*ssl;

	if (b->timer != NULL)
		evtimer_del(b->timer);
	if (b->dnsreq != NULL) {
		evdns_getaddrinfo_cancel(b->dnsreq);
		b->dnsreq = NULL;
	}
	if (b->conn_ev != NULL) {
		event_free(b->conn_ev);
		b->conn_ev = NULL;
	}
	if (b->fd != -1) {
		close(b->fd);
		b->fd = -1;
	}
	if (b->bev != NULL) {
		ssl = bufferevent_openssl_get_ssl(b->bev);
		if (notify && b->state != XPB_TLS && ssl != NULL) {
			ERR_clear_error();
			SSL_shutdown(ssl);
			ERR_clear_error();
		}
		bufferevent_free(b->bev);
		b->bev = NULL;
	}
	b->awaiting = 0;
	xpb_free_addrs(b);
}

/* A start-up failure 1.1.0 exits 1 on. */
/*
 * A failure of the first publication pass ends the run, as in 1.1.0: one
 * FATAL line (through xpd_abort) with the reason and 1.1.0's words.
 */
static void
xpb_fatal(struct xpb *b, const char *fmt, ...)
{
	char	 why[1024], msg[1100];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "%s; Experiment publication failed", why);
	xpb_drop(b, 1);
	b->state = XPB_STOPPED;
	evtimer_del(b->retry);
	evtimer_del(b->window);
	evtimer_del(b->greet);
	xpd_abort(b->d, msg);
}

static void
xpb_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct xpb	*b = arg;
	unsigned	 s = (unsigned)(b->c->broker_timeout / PL_TICKS_PER_SEC);

	switch (b->state) {
	case XPB_RESOLVE:
		xpb_fail(b, "resolving %s timed out after %u s", b->c->broker.host, s);
		break;
	case XPB_CONNECT:
		xpb_fail(b, "connect to %s timed out after %u s", b->peer, s);
		break;
	case XPB_TLS:
		xpb_fail(b, "TLS handshake with %s timed out after %u s", b->peer, s);
		break;
	case XPB_PUBLISH:
		xpb_fail(b, "waiting for the result of the %s from %s timed out "
		    "after %u s", pl_type_name(b->await_type), b->peer, s);
		break;
	default:
		break;
	}
}

static void
xpb_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	xpb_connect(arg);
}

static void
xpb_window_cb(evutil_socket_t fd, short what, void *arg)
{
	struct xpb	*b = arg;
	char		 why[96];

	b->window_over = 1;
	/* 1.1.0 finishes its (blocking) first publication first: so do we. */
	if (!b->pass_done_once && b->failures == 0 && b->state != XPB_BACKOFF &&
	    b->state != XPB_STOPPED)
		return;
	snprintf(why, sizeof(why), "max publication time reached: %llu",
	    (unsigned long long)b->window_end);
	xpb_stop(b, why);
}

static void
xpb_greet_cb(evutil_socket_t fd, short what, void *arg)
{
	struct xpb	*b = arg;

	if (b->state != XPB_STOPPED) {
		/* Wait for the first publication to end (the traps of §8.5). */
		b->greet_due = 1;
		return;
	}
	b->greet_due = 0;
	xpd_wrapup(b->d, "publication ended and GreetPeriodAfterPubEnd is over");
}

/* Arm ev for the wall-clock time when_ns (ns since the epoch). */
static void
xpb_arm_at(struct event *ev, uint64_t when_ns)
{
	uint64_t	 now = pl_time_now();

	xpb_arm_ns(ev, when_ns > now ? when_ns - now : 0);
}

static void
xpb_arm_ns(struct event *ev, uint64_t ns)
{
	struct timeval	 tv;
	/* libevent adds this to the clock: keep it far from overflowing. */
	const uint64_t	 max = (uint64_t)INT32_MAX * PL_TICKS_PER_SEC;

	if (ns > max)
		ns = max;
	tv.tv_sec = (time_t)(ns / PL_TICKS_PER_SEC);
	tv.tv_usec = (suseconds_t)(ns % PL_TICKS_PER_SEC / 1000);
	xevent_add(ev, &tv, "publication timer");
}

static void
xpb_free_addrs(struct xpb *b)
{
	if (b->ai_list != NULL)
		freeaddrinfo(b->ai_list);
	if (b->ai_dns != NULL)
		evutil_freeaddrinfo(b->ai_dns);
	b->ai_list = NULL;
	b->ai_dns = NULL;
	b->ai = NULL;
}

const char *
xpb_status(const struct xpb *b)
{
	if (b == NULL)
		return NULL;
	switch (b->state) {
	case XPB_UP:
		return "published";
	case XPB_BACKOFF:
		return "broker down, retrying";
	case XPB_STOPPED:
		return "publication over";
	case XPB_IDLE:
		return b->pass_done_once ? "publication over" : "publishing";
	default:
		return b->pass_done_once ? "republishing" : "publishing";
	}
}
