/*
 * ctl.c: the controllers' side (broker spec §3.1).  A connection goes
 * through the stages of one registration:
 *   TLS 1.3 server handshake (agent certificate; the client's optional)
 *   -> xreg read as a byte stream (1.1.0 writes header and body as two
 *   records) -> one result -> the controller's close_notify -> ours
 *   (SendCloseNotify) -> raw "PKTLAB" out -> raw "PKTLAB" in, which ends
 *   everything the controller sent while registering -> idle in the pool
 *   of its snikey, as a plain TCP socket that ep.c hands to an endpoint.
 * Every stage is bounded by RegistrationTimeout; idle connections have no
 * timer but TCP keepalive, and EOF on them removes them at once.
 *
 * The pool of a snikey holds one group per controller (its agent key when
 * it presented one, else its host), and endpoints go round robin over the
 * groups that have an idle connection.
 */
#include <sys/socket.h>


#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include <pktlab/wire.h>

#include "conf/kv.h"
#include "cred/tls.h"
#include "proxy/proxy.h"
#include "util/log.h"
#include "util/util.h"

enum {
	ST_HS,		/* TLS handshake */
	ST_XREG,	/* reading the xreg */
	ST_DELAY,	/* a refusal waits for its turn (rate limit) */
	ST_RESULT,	/* writing the result */
	ST_REFUSED,	/* refusal written: our close_notify, then close */
	ST_CLOSE_WAIT,	/* reading the controller's close_notify */
	ST_SHUTDOWN,	/* writing ours */
	ST_MARK_OUT,	/* writing PKTLAB */
	ST_MARK_IN,	/* reading the controller's PKTLAB */
	ST_IDLE,	/* in the pool */
};

static const char *const stage_names[] = {
	"TLS handshake", "xreg", "refusal delay", "result", "refusal",
	"close_notify", "close_notify", "PKTLAB out", "PKTLAB in", "idle",
};

#define MARK_SKIP_MAX	4096	/* raw bytes tolerated before the PKTLAB */
#define REFUSAL_QUEUE_MAX (5ull * 1000000000ull)	/* longest refusal delay */
#define ERR_BOUND	PL_ESYSNOPERM	/* snikey bound to another agent key */

static void	 reg_step(struct px_reg *);
static void	 reg_io(evutil_socket_t, short, void *);
static void	 reg_timeout(evutil_socket_t, short, void *);
static void	 reg_close(struct px_reg *, int level, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	 idle_cb(evutil_socket_t, short, void *);
static struct px_group *group_find(struct px_key *, const struct px_reg *);

static struct px_key *
key_get(struct px *px, const char *name)
{
	struct px_key *k;

	if ((k = key_find(px, name)) != NULL)
		return k;
	k = xcalloc(1, sizeof(*k));
	pl_strlcpy(k->name, name, sizeof(k->name));
	TAILQ_INIT(&k->groups);
	TAILQ_INIT(&k->waiting);
	TAILQ_INSERT_TAIL(&px->keys, k, entry);
	return k;
}

struct px_key *
key_find(struct px *px, const char *name)
{
	struct px_key *k;

	TAILQ_FOREACH(k, &px->keys, entry)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

int
key_known(const struct px_key *k)
{
	return k != NULL;
}

static time_t
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

void
key_unref(struct px *px, struct px_key *k, const uint8_t *agent)
{
	k->refs--;
	if (agent != NULL && k->has_owner &&
	    memcmp(agent, k->owner, sizeof(k->owner)) == 0 &&
	    --k->owner_refs == 0)
		k->has_owner = 0;
	k->last = mono_s();
}

/* Empty pools are forgotten PX_KEY_LINGER_S after their last use. */
void
key_gc(struct px *px)
{
	struct px_key *k, *t;
	time_t now = mono_s();

	for (k = TAILQ_FIRST(&px->keys); k != NULL; k = t) {
		t = TAILQ_NEXT(k, entry);
		if (k->refs == 0 && TAILQ_EMPTY(&k->waiting) &&
		    TAILQ_EMPTY(&k->groups) && now - k->last >= PX_KEY_LINGER_S) {
			log_debug("forgetting snikey %s", k->name);
			TAILQ_REMOVE(&px->keys, k, entry);
			free(k);
		}
	}
}

void
reg_new(struct px *px, int fd, const struct sockaddr *sa, socklen_t salen)
{
	struct px_reg *r;

	r = xcalloc(1, sizeof(*r));
	r->px = px;
	r->id = ++px->next_reg;
	r->fd = fd;
	px_peerstr(sa, salen, r->host, sizeof(r->host), r->peer, sizeof(r->peer));
	snprintf(r->ctx, sizeof(r->ctx), "r%llu %s", (unsigned long long)r->id,
	    r->peer);
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	if ((r->ssl = SSL_new(px->ctx)) == NULL || SSL_set_fd(r->ssl, fd) != 1)
		fatalx("SSL_new failed");
	if ((r->ev = event_new(px->base, fd, EV_READ, reg_io, r)) == NULL ||
	    (r->timer = evtimer_new(px->base, reg_timeout, r)) == NULL)
		fatalx("event_new failed");
	TAILQ_INSERT_TAIL(&px->regs, r, entry);
	log_cinfo(r->ctx, "controller connected");
	r->stage = ST_HS;
	{
		struct timeval tv;

		px_tv(&tv, px->conf.stage_timeout);
		evtimer_add(r->timer, &tv);
	}
	reg_step(r);
}

static void
stage(struct px_reg *r, int st)
{
	struct timeval tv;

	r->stage = st;
	r->out_off = 0;
	px_tv(&tv, r->px->conf.stage_timeout);
	evtimer_add(r->timer, &tv);
}

static void
wait_for(struct px_reg *r, short what)
{
	event_del(r->ev);
	event_assign(r->ev, r->px->base, r->fd, what, reg_io, r);
	event_add(r->ev, NULL);
}

static void
reg_io(evutil_socket_t fd, short ev, void *arg)
{
	reg_step(arg);
}

static void
reg_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct px_reg *r = arg;

	if (r->stage == ST_DELAY) {
		stage(r, ST_RESULT);
		reg_step(r);
		return;
	}
	reg_close(r, LOG_LVL_WARN, "no progress at stage %s within %.3f s",
	    stage_names[r->stage], r->px->conf.stage_timeout / 1e9);
}

/*
 * What an SSL call's failure means: 0 when it only has to wait (the event
 * is armed), -1 when the connection was closed.
 */
static int
ssl_wait(struct px_reg *r, int ret, const char *what)
{
	char why[256];
	unsigned long e;

	switch (SSL_get_error(r->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		wait_for(r, EV_READ);
		return 0;
	case SSL_ERROR_WANT_WRITE:
		wait_for(r, EV_WRITE);
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		reg_close(r, LOG_LVL_WARN, "%s: the controller closed TLS", what);
		return -1;
	default:
		e = ERR_peek_error();
		/* A controller may give a registration up (it stops, or its
		   stage timeout fired): not the proxy's trouble. */
		if (e == 0 && (ret == 0 || errno == ECONNRESET ||
		    errno == EPIPE)) {
			reg_close(r, LOG_LVL_INFO, "%s: the controller gave the "
			    "registration up (%s)", what, ret == 0 ?
			    "closed" : strerror(errno));
			return -1;
		}
		cred_tls_reason(r->ssl, e, why, sizeof(why));
		ERR_clear_error();
		errno = 0;
		reg_close(r, LOG_LVL_WARN, "%s: %s", what, why);
		return -1;
	}
}

/* Refusals to one host come at most once per RefusalDelay. */
static uint64_t
refusal_delay(struct px *px, const char *host)
{
	struct px_refusal *f, *t;
	struct timespec now;
	uint64_t iv = px->conf.refusal_interval, d = 0;
	int64_t diff;

	if (iv == 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (f = TAILQ_FIRST(&px->refusals); f != NULL; f = t) {
		t = TAILQ_NEXT(f, entry);
		diff = (int64_t)(f->next.tv_sec - now.tv_sec) * 1000000000 +
		    (f->next.tv_nsec - now.tv_nsec);
		if (diff < -10ll * 1000000000) {	/* long quiet: forget */
			TAILQ_REMOVE(&px->refusals, f, entry);
			free(f);
			continue;
		}
		if (strcmp(f->host, host) != 0)
			continue;
		if (diff > 0)
			d = (uint64_t)diff;
		break;
	}
	if (f == NULL) {
		f = xcalloc(1, sizeof(*f));
		pl_strlcpy(f->host, host, sizeof(f->host));
		TAILQ_INSERT_TAIL(&px->refusals, f, entry);
		f->next = now;
	} else if (d == 0)
		f->next = now;
	f->next.tv_sec += (time_t)((iv + (uint64_t)f->next.tv_nsec) / 1000000000);
	f->next.tv_nsec = (long)((iv + (uint64_t)f->next.tv_nsec) % 1000000000);
	return d;
}

/* Answer a refusal, maybe later; -1 when r was closed instead. */
static int
refuse(struct px_reg *r, uint16_t errid, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
refuse(struct px_reg *r, uint16_t errid, const char *fmt, ...)
{
	char why[256];
	uint64_t d;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_cwarnx(r->ctx, "refusing the registration (%s): %s",
	    pl_err_name(errid) != NULL ? pl_err_name(errid) : "?", why);
	r->errid = errid;
	d = refusal_delay(r->px, r->host);
	if (d > REFUSAL_QUEUE_MAX) {
		/* A flood from one host: no answer (EOF is a refusal to
		   pktxpmgr too), and no descriptor held for it. */
		reg_close(r, LOG_LVL_DEBUG, "refusal queue of this host full: "
		    "closed without an answer");
		return -1;
	}
	if (d > 0) {
		struct timeval tv;

		log_cdebug(r->ctx, "refusal delayed %.3f s (RefusalDelay)",
		    d / 1e9);
		event_del(r->ev);
		r->stage = ST_DELAY;
		px_tv(&tv, d);
		evtimer_add(r->timer, &tv);
		return 0;
	}
	stage(r, ST_RESULT);
	return 0;
}

/* The xreg is complete in r->in: accept it or refuse (-1: r closed). */
static int
xreg_check(struct px_reg *r)
{
	struct px *px = r->px;
	struct px_key *k;
	size_t n = r->inlen - 4;
	char q[80];

	/* ERRATA: 1.1.0 accepts a snikey followed by NUL bytes. */
	while (n > 0 && r->in[4 + n - 1] == '\0')
		n--;
	if (!pl_snikey_valid((const char *)r->in + 4, n)) {
		return refuse(r, PL_ECTLBADMSG, "snikey %s invalid (want 1..63 "
		    "of [a-z0-9])", pl_val_quote((const char *)r->in + 4, n, q,
		    sizeof(q)));
	}
	memcpy(r->snikey, r->in + 4, n);
	r->snikey[n] = '\0';
	snprintf(r->ctx, sizeof(r->ctx), "r%llu %s sni=%s",
	    (unsigned long long)r->id, r->peer, r->snikey);
	k = key_get(px, r->snikey);
	if (px->conf.bind_key && r->has_key && k->has_owner &&
	    memcmp(k->owner, r->agent, sizeof(r->agent)) != 0) {
		char a[65], b[65];

		return refuse(r, ERR_BOUND, "snikey in use by another agent "
		    "key (%.16s..., this one %.16s...)", pl_hex(k->owner, 8, a),
		    pl_hex(r->agent, 8, b));
	}
	{
		struct px_group *g = group_find(k, r);

		/* One controller cannot fill the machine with idle sockets. */
		if (g != NULL && g->nidle >= px->conf.max_idle) {
			return refuse(r, PL_ENORES, "this controller already "
			    "has %zu idle connections for the snikey "
			    "(MaxIdlePerController)", g->nidle);
		}
	}
	k->refs++;
	k->last = mono_s();
	if (r->has_key && px->conf.bind_key) {
		if (!k->has_owner) {
			k->has_owner = 1;
			memcpy(k->owner, r->agent, sizeof(k->owner));
		}
		k->owner_refs++;
	}
	r->counted = 1;
	r->errid = 0;
	stage(r, ST_RESULT);
	return 0;
}

/* The pool's group of r's controller: same agent key (or none), same host. */
static struct px_group *
group_find(struct px_key *k, const struct px_reg *r)
{
	struct px_group *g;

	TAILQ_FOREACH(g, &k->groups, entry)
		if (g->has_key == r->has_key && strcmp(g->host, r->host) == 0 &&
		    (!r->has_key || memcmp(g->agent, r->agent, 32) == 0))
			return g;
	return NULL;
}

/* The same, made when missing. */
static struct px_group *
group_get(struct px *px, struct px_key *k, struct px_reg *r)
{
	struct px_group *g;

	if ((g = group_find(k, r)) != NULL)
		return g;
	g = xcalloc(1, sizeof(*g));
	g->key = k;
	g->id = ++px->next_group;
	g->has_key = r->has_key;
	memcpy(g->agent, r->agent, 32);
	pl_strlcpy(g->host, r->host, sizeof(g->host));
	TAILQ_INIT(&g->idle);
	TAILQ_INSERT_TAIL(&k->groups, g, entry);
	return g;
}

static void
group_remove(struct px_reg *r)
{
	struct px_group *g = r->group;

	TAILQ_REMOVE(&g->idle, r, entry);
	g->nidle--;
	r->group = NULL;
	if (g->nidle == 0) {
		TAILQ_REMOVE(&g->key->groups, g, entry);
		free(g);
	}
}

static void
go_idle(struct px_reg *r)
{
	struct px *px = r->px;
	struct px_key *k = key_find(px, r->snikey);
	struct px_group *g;

	SSL_free(r->ssl);
	r->ssl = NULL;
	event_del(r->timer);
	/* A controller host that dies silently leaves the pool in ~90 s. */
	px_keepalive(r->fd);
	TAILQ_REMOVE(&px->regs, r, entry);
	g = group_get(px, k, r);
	TAILQ_INSERT_TAIL(&g->idle, r, entry);
	g->nidle++;
	r->group = g;
	r->stage = ST_IDLE;
	event_del(r->ev);
	event_assign(r->ev, px->base, r->fd, EV_READ | EV_PERSIST, idle_cb, r);
	event_add(r->ev, NULL);
	log_cinfo(r->ctx, "registered in %.3f s (%zu idle from this controller)",
	    px_elapsed(&r->t0), g->nidle);
	ep_serve_waiting(px, k);
}

static void
idle_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct px_reg *r = arg;
	uint8_t b;
	ssize_t n;

	n = recv(fd, &b, 1, MSG_DONTWAIT);
	if (n == 0)
		reg_close(r, LOG_LVL_INFO, "the controller closed an idle "
		    "connection");
	else if (n > 0)
		reg_close(r, LOG_LVL_WARN, "the controller sent bytes on an "
		    "idle connection");
	else if (errno != EAGAIN && errno != EINTR)
		reg_close(r, LOG_LVL_INFO, "idle connection lost: %s",
		    strerror(errno));
}

static void
reg_step(struct px_reg *r)
{
	const struct cred_chain *ch;
	uint8_t res[6], tmp[64];
	size_t want, keep;
	ssize_t n;
	int ret;

	for (;;) {
		switch (r->stage) {
		case ST_HS:
			ERR_clear_error();
			errno = 0;
			if ((ret = SSL_accept(r->ssl)) != 1) {
				ssl_wait(r, ret, "TLS handshake");
				return;
			}
			if ((ch = cred_tls_peer_chain(r->ssl)) != NULL &&
			    ch->n > 0) {
				char hx[65];

				r->has_key = 1;
				memcpy(r->agent, ch->cert[0].key, 32);
				log_cdebug(r->ctx, "agent key %s",
				    pl_hex(r->agent, 32, hx));
			}
			stage(r, ST_XREG);
			r->inlen = 0;
			continue;
		case ST_XREG:
			want = 4;
			if (r->inlen >= 4) {
				uint8_t type = r->in[0];
				size_t blen = ((size_t)r->in[1] << 16) |
				    ((size_t)r->in[2] << 8) | r->in[3];

				if (type != PL_XREG) {
					if (refuse(r, PL_ECTLBADMSG, "expected "
					    "xreg (0x80), got message type "
					    "0x%02x", type) < 0)
						return;
					continue;
				}
				if (blen == 0 || blen > sizeof(r->in) - 4) {
					if (refuse(r, PL_ECTLBADMSG, "xreg body "
					    "of %zu bytes (want 1..63)",
					    blen) < 0)
						return;
					continue;
				}
				want = 4 + blen;
				if (r->inlen == want) {
					if (xreg_check(r) < 0)
						return;
					continue;
				}
			}
			ERR_clear_error();
			errno = 0;
			ret = SSL_read(r->ssl, r->in + r->inlen,
			    (int)(want - r->inlen));
			if (ret <= 0) {
				ssl_wait(r, ret, "reading the xreg");
				return;
			}
			r->inlen += (size_t)ret;
			continue;
		case ST_DELAY:
			return;
		case ST_RESULT:
			res[0] = PL_RESULT;
			res[1] = res[2] = 0;
			res[3] = r->errid != 0 ? 2 : 0;
			res[4] = (uint8_t)(r->errid >> 8);
			res[5] = (uint8_t)r->errid;
			want = r->errid != 0 ? 6 : 4;
			ERR_clear_error();
			errno = 0;
			ret = SSL_write(r->ssl, res + r->out_off,
			    (int)(want - r->out_off));
			if (ret <= 0) {
				ssl_wait(r, ret, "writing the result");
				return;
			}
			r->out_off += (size_t)ret;
			if (r->out_off < want)
				continue;
			stage(r, r->errid != 0 ? ST_REFUSED : ST_CLOSE_WAIT);
			continue;
		case ST_REFUSED:
			ERR_clear_error();
			errno = 0;
			ret = SSL_shutdown(r->ssl);
			if (ret < 0 && SSL_get_error(r->ssl, ret) ==
			    SSL_ERROR_WANT_WRITE) {
				wait_for(r, EV_WRITE);
				return;
			}
			reg_close(r, LOG_LVL_DEBUG, "refused");
			return;
		case ST_CLOSE_WAIT:
			ERR_clear_error();
			errno = 0;
			ret = SSL_read(r->ssl, tmp, sizeof(tmp));
			if (ret > 0) {
				reg_close(r, LOG_LVL_WARN, "the controller sent "
				    "data after its xreg");
				return;
			}
			if (SSL_get_error(r->ssl, ret) == SSL_ERROR_ZERO_RETURN) {
				stage(r, r->px->conf.close_notify ? ST_SHUTDOWN :
				    ST_MARK_OUT);
				continue;
			}
			ssl_wait(r, ret, "waiting for the close_notify");
			return;
		case ST_SHUTDOWN:
			ERR_clear_error();
			errno = 0;
			ret = SSL_shutdown(r->ssl);
			if (ret < 0) {
				ssl_wait(r, ret, "sending our close_notify");
				return;
			}
			stage(r, ST_MARK_OUT);
			continue;
		case ST_MARK_OUT:
			n = write(r->fd, &PX_MARKER[r->out_off],
			    PX_MARKER_LEN - r->out_off);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR) {
					wait_for(r, EV_WRITE);
					return;
				}
				reg_close(r, LOG_LVL_WARN, "writing PKTLAB: %s",
				    strerror(errno));
				return;
			}
			r->out_off += (size_t)n;
			if (r->out_off < PX_MARKER_LEN)
				continue;
			stage(r, ST_MARK_IN);
			r->inlen = 0;
			continue;
		case ST_MARK_IN:
			n = read(r->fd, r->in + r->inlen,
			    sizeof(r->in) - r->inlen);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR) {
					wait_for(r, EV_READ);
					return;
				}
				reg_close(r, errno == ECONNRESET ? LOG_LVL_INFO :
				    LOG_LVL_WARN, "reading PKTLAB: %s (the "
				    "controller gave the registration up)",
				    strerror(errno));
				return;
			}
			if (n == 0) {
				reg_close(r, LOG_LVL_INFO, "the controller closed "
				    "before its PKTLAB (it gave the registration "
				    "up)");
				return;
			}
			r->inlen += (size_t)n;
			want = px_marker_find(r->in, r->inlen, &keep);
			if (want > 0 && want < r->inlen) {
				reg_close(r, LOG_LVL_WARN, "the controller sent "
				    "%zu bytes after its PKTLAB",
				    r->inlen - want);
				return;
			}
			if (want > 0) {
				go_idle(r);
				return;
			}
			r->out_off += r->inlen - keep;	/* bytes skipped */
			if (r->out_off > MARK_SKIP_MAX) {
				reg_close(r, LOG_LVL_WARN, "no PKTLAB in the "
				    "first %d raw bytes", MARK_SKIP_MAX);
				return;
			}
			memmove(r->in, r->in + r->inlen - keep, keep);
			r->inlen = keep;
			continue;
		default:
			return;
		}
	}
}

static void
reg_free(struct px_reg *r)
{
	if (r->ssl != NULL)
		SSL_free(r->ssl);
	event_free(r->ev);
	event_free(r->timer);
	free(r);
}

static void
reg_close(struct px_reg *r, int level, const char *fmt, ...)
{
	struct px *px = r->px;
	struct px_key *k;
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, r->ctx, 0, fmt, ap);
	va_end(ap);
	if (r->group != NULL)
		group_remove(r);
	else
		TAILQ_REMOVE(&px->regs, r, entry);
	if (r->counted && (k = key_find(px, r->snikey)) != NULL)
		key_unref(px, k, r->has_key ? r->agent : NULL);
	close(r->fd);
	reg_free(r);
}

int
pool_take(struct px *px, struct px_key *k, struct px_taken *t)
{
	struct px_group *g, *pick;
	struct px_reg *r;
	uint8_t b;
	ssize_t n;

	for (;;) {
		pick = NULL;
		/* The next group after the last one used, in id order. */
		TAILQ_FOREACH(g, &k->groups, entry)
			if (g->id > k->rr_last && (pick == NULL ||
			    g->id < pick->id))
				pick = g;
		if (pick == NULL)
			TAILQ_FOREACH(g, &k->groups, entry)
				if (pick == NULL || g->id < pick->id)
					pick = g;
		if (pick == NULL)
			return -1;
		r = TAILQ_FIRST(&pick->idle);
		/* A controller that just went away: try the next one. */
		n = recv(r->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			reg_close(r, LOG_LVL_INFO, "idle connection found "
			    "closed when taken");
			continue;
		}
		if (n > 0) {
			reg_close(r, LOG_LVL_WARN, "the controller sent bytes "
			    "on an idle connection");
			continue;
		}
		k->rr_last = pick->id;
		t->fd = r->fd;
		t->has_key = r->has_key;
		memcpy(t->agent, r->agent, sizeof(t->agent));
		snprintf(t->who, sizeof(t->who), "r%llu %s",
		    (unsigned long long)r->id, r->peer);
		group_remove(r);
		reg_free(r);
		return 0;
	}
}

void
reg_free_all(struct px *px)
{
	struct px_key *k;
	struct px_group *g;
	struct px_reg *r;

	while ((r = TAILQ_FIRST(&px->regs)) != NULL)
		reg_close(r, LOG_LVL_DEBUG, "shutting down");
	TAILQ_FOREACH(k, &px->keys, entry)
		while ((g = TAILQ_FIRST(&k->groups)) != NULL)
			reg_close(TAILQ_FIRST(&g->idle), LOG_LVL_DEBUG,
			    "shutting down");
}
