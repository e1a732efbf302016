/*
 * ep.c: the endpoints' side (broker spec §3.2).  Plain TCP: read only as
 * much as holds the ClientHello (bounded by ClientHelloTimeout), take its
 * SNI, and hand the connection with the bytes read so far to an idle
 * backlog connection of that snikey.  With none idle, hold the endpoint
 * up to HoldTimeout for the controller to refill.  What cannot be placed
 * is closed at once, with a log line: the proxy cannot speak TLS for the
 * controller.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pktlab/wire.h>

#include "conf/kv.h"
#include "proxy/proxy.h"
#include "util/log.h"
#include "util/util.h"

/* Records around a 16 KiB hello, even cut into small ones, fit in this. */
#define EP_READ_MAX	(128u * 1024)

static void	 ep_read(evutil_socket_t, short, void *);
static void	 ep_timeout(evutil_socket_t, short, void *);
static void	 ep_close(struct px_ep *, int level, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

void
ep_new(struct px *px, int fd, const struct sockaddr *sa, socklen_t salen)
{
	struct px_ep *e;
	struct timeval tv;
	char host[PX_PEER_MAX];

	e = xcalloc(1, sizeof(*e));
	e->px = px;
	e->id = ++px->next_ep;
	e->fd = fd;
	px_peerstr(sa, salen, host, sizeof(host), e->peer, sizeof(e->peer));
	snprintf(e->ctx, sizeof(e->ctx), "e%llu %s", (unsigned long long)e->id,
	    e->peer);
	clock_gettime(CLOCK_MONOTONIC, &e->t0);
	e->cap = 2048;
	e->buf = xmalloc(e->cap);
	if ((e->ev = event_new(px->base, fd, EV_READ | EV_PERSIST, ep_read,
	    e)) == NULL || (e->timer = evtimer_new(px->base, ep_timeout,
	    e)) == NULL)
		fatalx("event_new failed");
	TAILQ_INSERT_TAIL(&px->eps, e, entry);
	event_add(e->ev, NULL);
	px_tv(&tv, px->conf.hello_timeout);
	evtimer_add(e->timer, &tv);
	log_cdebug(e->ctx, "endpoint connected");
}

/* Start the session of e over a backlog connection, if one is idle. */
static int
ep_place(struct px_ep *e, struct px_key *k)
{
	struct px *px = e->px;
	struct px_taken t;
	char ctx[PX_CTX_MAX * 2 + 8];

	if (pool_take(px, k, &t) == -1)
		return -1;
	snprintf(ctx, sizeof(ctx), "%s via %s", e->ctx, t.who);
	log_cinfo(ctx, "spliced after %.3f s", px_elapsed(&e->t0));
	if (e->key != NULL) {
		TAILQ_REMOVE(&k->waiting, e, entry);
		e->key = NULL;
	} else
		TAILQ_REMOVE(&px->eps, e, entry);
	sess_new(px, e->fd, &t, e->buf, e->len, ctx, k);
	e->fd = -1;
	event_free(e->ev);
	event_free(e->timer);
	free(e->buf);
	free(e);
	return 0;
}

void
ep_serve_waiting(struct px *px, struct px_key *k)
{
	struct px_ep *e;

	while ((e = TAILQ_FIRST(&k->waiting)) != NULL)
		if (ep_place(e, k) == -1)
			break;
}

static void
ep_hello(struct px_ep *e, const struct px_sni *sni)
{
	struct px *px = e->px;
	struct px_key *k;
	struct timeval tv;
	char q[PL_QUOTE_MAX];

	if (!sni->has_sni) {
		ep_close(e, LOG_LVL_WARN, "ClientHello without SNI: a proxy "
		    "cannot route it (the default entry is not reachable "
		    "through a proxy)");
		return;
	}
	if (!pl_snikey_valid(sni->name, sni->namelen)) {
		ep_close(e, LOG_LVL_WARN, "SNI %s is not a snikey (1..63 of "
		    "[a-z0-9])", pl_val_quote(sni->name, sni->namelen, q,
		    sizeof(q)));
		return;
	}
	{
		char ctx[PX_CTX_MAX + PX_SNI_NAME_MAX + 8];

		snprintf(ctx, sizeof(ctx), "%s sni=%s", e->ctx, sni->name);
		pl_strlcpy(e->ctx, ctx, sizeof(e->ctx));
	}
	k = key_find(px, sni->name);
	if (!key_known(k)) {
		ep_close(e, LOG_LVL_WARN, "no controller registered this "
		    "snikey");
		return;
	}
	if (ep_place(e, k) == 0)
		return;
	log_cinfo(e->ctx, "no idle backlog connection: holding up to %.3f s",
	    px->conf.hold_timeout / 1e9);
	TAILQ_REMOVE(&px->eps, e, entry);
	TAILQ_INSERT_TAIL(&k->waiting, e, entry);
	e->key = k;
	px_tv(&tv, px->conf.hold_timeout);
	evtimer_add(e->timer, &tv);
}

static void
ep_read(evutil_socket_t fd, short ev, void *arg)
{
	struct px_ep *e = arg;
	struct px_sni sni;
	ssize_t n;

	if (e->len == e->cap) {
		if (e->cap >= EP_READ_MAX) {
			ep_close(e, LOG_LVL_WARN, "%zu bytes without a complete "
			    "ClientHello", e->len);
			return;
		}
		e->cap *= 2;
		e->buf = xrealloc(e->buf, e->cap);
	}
	n = read(fd, e->buf + e->len, e->cap - e->len);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		ep_close(e, LOG_LVL_WARN, "read: %s", strerror(errno));
		return;
	}
	if (n == 0) {
		ep_close(e, LOG_LVL_WARN, "the endpoint closed %s",
		    e->key != NULL ? "while held" :
		    "before a complete ClientHello");
		return;
	}
	e->len += (size_t)n;
	if (e->key != NULL)
		return;		/* held: the bytes go with the rest */
	/* The parse starts over on every read: one scratch buffer for all. */
	switch (px_sni_parse(e->buf, e->len, e->px->scratch,
	    sizeof(e->px->scratch), &sni)) {
	case PX_SNI_NEED:
		return;
	case PX_SNI_BAD:
		ep_close(e, LOG_LVL_WARN, "not a TLS ClientHello: %s", sni.why);
		return;
	case PX_SNI_OK:
		ep_hello(e, &sni);
		return;
	}
}

static void
ep_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct px_ep *e = arg;

	if (e->key != NULL)
		ep_close(e, LOG_LVL_WARN, "no idle backlog connection within "
		    "%.3f s", e->px->conf.hold_timeout / 1e9);
	else
		ep_close(e, LOG_LVL_WARN, "no complete ClientHello within "
		    "%.3f s (%zu bytes)", e->px->conf.hello_timeout / 1e9,
		    e->len);
}

static void
ep_close(struct px_ep *e, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, e->ctx, 0, fmt, ap);
	va_end(ap);
	if (e->key != NULL)
		TAILQ_REMOVE(&e->key->waiting, e, entry);
	else
		TAILQ_REMOVE(&e->px->eps, e, entry);
	if (e->fd != -1)
		close(e->fd);
	event_free(e->ev);
	event_free(e->timer);
	free(e->buf);
	free(e);
}

void
ep_free_all(struct px *px)
{
	struct px_ep *e;
	struct px_key *k;

	while ((e = TAILQ_FIRST(&px->eps)) != NULL)
		ep_close(e, LOG_LVL_DEBUG, "shutting down");
	TAILQ_FOREACH(k, &px->keys, entry)
		while ((e = TAILQ_FIRST(&k->waiting)) != NULL)
			ep_close(e, LOG_LVL_DEBUG, "shutting down");
}
