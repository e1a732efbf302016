/*
 * relay.c: one spliced session, an endpoint and a backlog connection
 * joined byte for byte in both directions until both are done.  Each
 * direction moves bytes from its source to its sink through a pipe with
 * splice(2) (RelayMode splice) or through a bounded buffer (RelayMode
 * buffer); reading stops while the sink is full, so a slow side only slows
 * its own session.  An EOF is passed on as a half-close (shutdown SHUT_WR)
 * once everything before it is written; a reset or an error aborts both
 * sides, the other one with a reset too (SO_LINGER 0).  One summary line
 * per session: bytes each way, duration and why it ended.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy/proxy.h"
#include "util/log.h"
#include "util/util.h"

#define PUMP_BURST	16	/* moves per readiness, for fairness */

struct dir {
	struct sess	*s;
	const char	*name;		/* "endpoint->controller" */
	int		 src, dst;
	int		 pipe[2];	/* splice mode */
	uint8_t		*buf;		/* buffer mode */
	size_t		 off, pending;	/* bytes in the pipe or buffer */
	uint8_t		*pre;		/* bytes read before the session */
	size_t		 prelen, preoff;
	uint64_t	 bytes;
	int		 eof, done;
	struct event	*ev_in, *ev_out;
};

struct sess {
	struct px	*px;
	char		 ctx[PX_CTX_MAX * 2 + 8];
	int		 fd[2];		/* endpoint, controller */
	struct dir	 d[2];		/* 0: endpoint->controller, 1: back */
	struct px_key	*key;
	int		 has_key;
	uint8_t		 agent[32];
	struct timespec	 t0;
	struct event	*idle;
	int		 closing;
	TAILQ_ENTRY(sess) entry;
};

static void	 pump(struct dir *);
static void	 on_in(evutil_socket_t, short, void *);
static void	 on_out(evutil_socket_t, short, void *);
static void	 on_idle(evutil_socket_t, short, void *);
static void	 sess_end(struct sess *, int abort, const char *reason);

static void
sess_free_cb(evutil_socket_t fd, short ev, void *arg)
{
	free(arg);
}

void
sess_free_all(struct px *px)
{
	struct sess *s;

	while ((s = TAILQ_FIRST(&px->sessions)) != NULL)
		sess_end(s, 1, "the proxy is shutting down");
}

void
sess_new(struct px *px, int epfd, const struct px_taken *t,
    const uint8_t *pre, size_t prelen, const char *ctx, struct px_key *k)
{
	struct sess *s;
	int i;

	s = xcalloc(1, sizeof(*s));
	s->px = px;
	pl_strlcpy(s->ctx, ctx, sizeof(s->ctx));
	s->fd[0] = epfd;
	s->fd[1] = t->fd;
	s->key = k;
	s->has_key = t->has_key;
	memcpy(s->agent, t->agent, sizeof(s->agent));
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
	/* The proxy adds no delay of its own: the peers' small TLS records
	   (results, acks) go out as they come, as they would without it.
	   Keepalive ends the session of a peer whose host vanished. */
	for (i = 0; i < 2; i++) {
		int one = 1;

		setsockopt(s->fd[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		px_keepalive(s->fd[i]);
	}
	px->nsessions++;
	TAILQ_INSERT_TAIL(&px->sessions, s, entry);
	for (i = 0; i < 2; i++) {
		struct dir *d = &s->d[i];

		d->s = s;
		d->name = i == 0 ? "endpoint->controller" : "controller->endpoint";
		d->src = s->fd[i];
		d->dst = s->fd[1 - i];
		d->pipe[0] = d->pipe[1] = -1;
		if (px->conf.relay == PX_RELAY_SPLICE) {
			if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
				log_cwarn(s->ctx, "pipe2");
				/* fall back to a buffer for this direction */
			} else
				fcntl(d->pipe[1], F_SETPIPE_SZ,
				    (int)px->conf.bufsize);
		}
		if (d->pipe[0] == -1)
			d->buf = xmalloc(px->conf.bufsize);
		if ((d->ev_in = event_new(px->base, d->src, EV_READ | EV_PERSIST,
		    on_in, d)) == NULL || (d->ev_out = event_new(px->base,
		    d->dst, EV_WRITE | EV_PERSIST, on_out, d)) == NULL)
			fatalx("event_new failed");
	}
	if (prelen > 0) {
		s->d[0].pre = xmalloc(prelen);
		memcpy(s->d[0].pre, pre, prelen);
		s->d[0].prelen = prelen;
	}
	if (px->conf.idle_timeout > 0) {
		struct timeval tv;

		if ((s->idle = evtimer_new(px->base, on_idle, s)) == NULL)
			fatalx("evtimer_new failed");
		px_tv(&tv, px->conf.idle_timeout);
		evtimer_add(s->idle, &tv);
	}
	pump(&s->d[0]);
	if (!s->closing)
		pump(&s->d[1]);
}

static int
soft(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK || e == EINTR;
}

/* Write what is pending; 1 when all of it went, 0 when the sink is full. */
static int
flush(struct dir *d)
{
	struct sess *s = d->s;
	ssize_t n;
	char why[160];

	while (d->preoff < d->prelen) {
		n = write(d->dst, d->pre + d->preoff, d->prelen - d->preoff);
		if (n < 0)
			goto err;
		d->preoff += (size_t)n;
		d->bytes += (size_t)n;
	}
	while (d->pending > 0) {
		if (d->pipe[0] != -1)
			n = splice(d->pipe[0], NULL, d->dst, NULL, d->pending,
			    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		else
			n = write(d->dst, d->buf + d->off, d->pending);
		if (n < 0)
			goto err;
		d->pending -= (size_t)n;
		d->off = d->pending == 0 ? 0 : d->off + (size_t)n;
	}
	return 1;
err:
	if (soft(errno))
		return 0;
	snprintf(why, sizeof(why), "%s: write to the %s: %s", d->name,
	    d->dst == s->fd[0] ? "endpoint" : "controller", strerror(errno));
	sess_end(s, 1, why);
	return -1;
}

static void
pump(struct dir *d)
{
	struct sess *s = d->s;
	size_t cap = s->px->conf.bufsize;
	ssize_t n;
	int i, r;
	char why[160];

	if (d->done)
		return;
	for (i = 0; i < PUMP_BURST; i++) {
		if ((r = flush(d)) < 0)
			return;
		if (r == 0) {
			event_del(d->ev_in);
			event_add(d->ev_out, NULL);
			return;
		}
		event_del(d->ev_out);
		if (d->eof) {
			shutdown(d->dst, SHUT_WR);
			d->done = 1;
			event_del(d->ev_in);
			if (s->d[0].done && s->d[1].done)
				sess_end(s, 0, "both sides closed");
			return;
		}
		if (d->pipe[0] != -1) {
			n = splice(d->src, NULL, d->pipe[1], NULL, cap,
			    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		} else
			n = read(d->src, d->buf, cap);
		if (n > 0) {
			d->pending = (size_t)n;
			d->off = 0;
			d->bytes += (size_t)n;
			if (s->idle != NULL) {
				struct timeval tv;

				px_tv(&tv, s->px->conf.idle_timeout);
				evtimer_add(s->idle, &tv);
			}
			continue;
		}
		if (n == 0) {
			d->eof = 1;
			continue;
		}
		if (soft(errno)) {
			event_add(d->ev_in, NULL);
			return;
		}
		snprintf(why, sizeof(why), "%s: read from the %s: %s",
		    d->name, d->src == s->fd[0] ? "endpoint" : "controller",
		    strerror(errno));
		sess_end(s, 1, why);
		return;
	}
	/* Burst used up: come back on the next readiness, of the sink when
	   bytes wait (the source may have nothing more to say). */
	if (d->pending > 0)
		event_add(d->ev_out, NULL);
	else
		event_add(d->ev_in, NULL);
}

static void
on_in(evutil_socket_t fd, short ev, void *arg)
{
	pump(arg);
}

static void
on_out(evutil_socket_t fd, short ev, void *arg)
{
	pump(arg);
}

static void
on_idle(evutil_socket_t fd, short ev, void *arg)
{
	struct sess *s = arg;
	char why[96];

	snprintf(why, sizeof(why), "no bytes either way for %.3f s "
	    "(SessionIdleTimeout)", s->px->conf.idle_timeout / 1e9);
	sess_end(s, 1, why);
}

static void
sess_end(struct sess *s, int abort, const char *reason)
{
	struct linger lg = { 1, 0 };
	int i;

	if (s->closing)
		return;
	s->closing = 1;
	px_log(abort ? LOG_LVL_WARN : LOG_LVL_INFO, s->ctx,
	    "session closed after %.3f s: %llu bytes endpoint->controller, "
	    "%llu bytes controller->endpoint: %s", px_elapsed(&s->t0),
	    (unsigned long long)s->d[0].bytes,
	    (unsigned long long)s->d[1].bytes, reason);
	for (i = 0; i < 2; i++) {
		struct dir *d = &s->d[i];

		event_free(d->ev_in);
		event_free(d->ev_out);
		if (d->pipe[0] != -1) {
			close(d->pipe[0]);
			close(d->pipe[1]);
		}
		free(d->buf);
		free(d->pre);
	}
	if (s->idle != NULL)
		event_free(s->idle);
	for (i = 0; i < 2; i++) {
		/* A reset on one side is passed on as a reset. */
		if (abort)
			setsockopt(s->fd[i], SOL_SOCKET, SO_LINGER, &lg,
			    sizeof(lg));
		close(s->fd[i]);
	}
	key_unref(s->px, s->key, s->has_key ? s->agent : NULL);
	s->px->nsessions--;
	TAILQ_REMOVE(&s->px->sessions, s, entry);
	/* Freed by the loop's next turn: callers up the stack still hold s. */
	event_base_once(s->px->base, -1, EV_TIMEOUT, sess_free_cb, s, NULL);
}
