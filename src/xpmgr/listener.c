/*
 * listener.c: where endpoints come in.  Every address -a resolves to gets a
 * listening socket (SO_REUSEADDR, a real backlog, close-on-exec); accept4
 * hands new connections to session.c.  Running out of descriptors pauses
 * accepting for a moment instead of spinning on a socket that stays ready.
 *
 * Strangers cannot hold more than the caps: at MaxPendingSessions sessions
 * not past set-up (TLS and the monitor programs), or MaxSessions sessions in
 * all (default: what the descriptor limit allows), accepting pauses the
 * same way until a session moves on or ends.  Connections wait in the
 * kernel's backlog meanwhile, holding none of our descriptors.  Under a
 * flood accepting pauses and resumes many times a second; the log says so
 * once when the pressure starts, and once when it is over (both counts
 * below half their caps).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "util/event.h"
#include "util/log.h"
#include "util/util.h"
#include "conf/addr.h"
#include "conf/xpconf.h"
#include "xpmgr/daemon.h"

static void	 listener_accept(evutil_socket_t fd, short ev, void *arg);
static void	 listener_resume(evutil_socket_t fd, short ev, void *arg);
static int	 listener_bind(struct xpd *d, const struct addrinfo *ai, char *why,
		    size_t whylen);

/* At most this many accepts per readiness, so one busy socket cannot starve the rest. */
#define ACCEPT_BURST	64

int
listener_open(struct xpd *d, char *why, size_t whylen)
{
	struct addrinfo	*res, *ai;
	char		 one[256], name[300];
	int		 n = 0, nfail = 0;

	pl_addr_fmt(&d->conf->listen, name, sizeof(name));
	if (pl_addr_resolve(&d->conf->listen, 1, &res, why, whylen) == -1)
		return -1;
	one[0] = '\0';
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (listener_bind(d, ai, one, sizeof(one)) == 0)
			n++;
		else
			nfail++;
	}
	freeaddrinfo(res);
	/* One line: the caller's FATAL when nothing listens, else a WARN. */
	if (n == 0) {
		snprintf(why, whylen, "cannot listen on %s: %s", name, one);
		return -1;
	}
	if (nfail > 0)
		log_warnx("cannot listen on %d of the addresses of %s: %s", nfail,
		    name, one);
	if ((d->accept_resume = evtimer_new(d->base, listener_resume, d)) == NULL)
		fatalx("evtimer_new failed");
	return 0;
}

static int
listener_bind(struct xpd *d, const struct addrinfo *ai, char *why, size_t whylen)
{
	struct listener	*l;
	int		 fd, one = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd == -1) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	/* A restart must not wait for old connections in TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, XP_LISTEN_BACKLOG) == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	l = xcalloc(1, sizeof(*l));
	l->fd = fd;
	xp_peerstr(ai->ai_addr, ai->ai_addrlen, l->name, sizeof(l->name));
	if ((l->ev = event_new(d->base, fd, EV_READ | EV_PERSIST, listener_accept,
	    d)) == NULL)
		fatalx("event_new failed");
	if (event_add(l->ev, NULL) == -1) {
		snprintf(why, whylen, "cannot watch the socket: %s", strerror(errno));
		event_free(l->ev);
		free(l);
		close(fd);
		return -1;
	}
	TAILQ_INSERT_TAIL(&d->listeners, l, entry);
	log_info("listening for endpoints on %s", l->name);
	return 0;
}

static void
listener_accept(evutil_socket_t lfd, short ev, void *arg)
{
	struct xpd		*d = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 fd, i;

	for (i = 0; i < ACCEPT_BURST && d->state == XPD_RUNNING &&
	    !d->accept_capped && !d->accept_emfile; i++) {
		fd = pl_accept(lfd, &ss, &sslen, "an endpoint",
		    XP_ACCEPT_PAUSE_MS);
		if (fd == PL_ACCEPT_FULL)
			listener_pause(d, XP_ACCEPT_PAUSE_MS);
		if (fd < 0)
			return;
		session_new(d, fd, (struct sockaddr *)&ss, sslen);
		listener_update(d);
	}
}

void
listener_pause(struct xpd *d, int ms)
{
	struct listener	*l;
	struct timeval	 tv;

	d->accept_emfile = 1;
	TAILQ_FOREACH(l, &d->listeners, entry)
		event_del(l->ev);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	xevent_add(d->accept_resume, &tv, "accept pause");
}

static void
listener_resume(evutil_socket_t fd, short ev, void *arg)
{
	struct xpd	*d = arg;

	d->accept_emfile = 0;
	listener_update(d);
}

/* Which cap is reached, as text for the log; NULL when below both. */
static const char *
listener_cap(const struct xpd *d, char *buf, size_t len)
{
	if (d->npending >= d->conf->max_pending)
		snprintf(buf, len, "%ju connections have not finished set-up "
		    "(MaxPendingSessions %ju)", (uintmax_t)d->npending,
		    (uintmax_t)d->conf->max_pending);
	else if (d->nsessions >= d->max_sessions)
		snprintf(buf, len, "%ju sessions (MaxSessions %ju%s)",
		    (uintmax_t)d->nsessions, (uintmax_t)d->max_sessions,
		    d->conf->max_sessions == 0 ? ", from the descriptor limit" : "");
	else
		return NULL;
	return buf;
}

void
listener_update(struct xpd *d)
{
	struct listener	*l;
	char		 why[200];
	int		 capped;

	if (d->state != XPD_RUNNING)
		return;
	capped = listener_cap(d, why, sizeof(why)) != NULL;
	if (capped && !d->accept_capped) {
		d->cap_pauses++;
		if (!d->cap_episode)
			log_warnx("%s: not accepting endpoints until one moves on",
			    why);
		d->cap_episode = 1;
	} else if (!capped && d->cap_episode &&
	    d->npending <= d->conf->max_pending / 2 &&
	    d->nsessions <= d->max_sessions / 2) {
		log_info("accepting endpoints again (%ju not past set-up, %ju "
		    "sessions; accepting paused %ju times meanwhile)",
		    (uintmax_t)d->npending, (uintmax_t)d->nsessions,
		    (uintmax_t)d->cap_pauses);
		d->cap_episode = 0;
		d->cap_pauses = 0;
	}
	d->accept_capped = capped;
	TAILQ_FOREACH(l, &d->listeners, entry) {
		if (capped || d->accept_emfile)
			event_del(l->ev);
		else if (!event_pending(l->ev, EV_READ, NULL) &&
		    event_add(l->ev, NULL) == -1) {
			log_warn("cannot watch %s again; pausing for %d ms", l->name,
			    XP_ACCEPT_PAUSE_MS);
			listener_pause(d, XP_ACCEPT_PAUSE_MS);
			return;
		}
	}
}

void
listener_close_all(struct xpd *d)
{
	struct listener	*l;

	while ((l = TAILQ_FIRST(&d->listeners)) != NULL) {
		TAILQ_REMOVE(&d->listeners, l, entry);
		event_free(l->ev);
		close(l->fd);
		free(l);
	}
	if (d->accept_resume != NULL) {
		event_free(d->accept_resume);
		d->accept_resume = NULL;
	}
}
