/*
 * daemon.c: xpmgr_run, the passive-mode daemon around one event_base:
 * process set-up (descriptors 0-2, RLIMIT_NOFILE, SIGPIPE), the features
 * this version refuses or only warns about, signals as libevent events,
 * the -n gate, wrap-up and the exit status.
 *
 * States: RUNNING (greeting) -> WRAPUP (first SIGINT/SIGTERM, -n reached,
 * singleton gone: no new endpoints, running sessions finish) -> exit 0;
 * a second signal -> FORCE: sessions cut, mlets get SIGTERM, SIGKILL after
 * XP_KILL_GRACE_MS -> exit 1.
 */
#include <sys/types.h>
#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "util/event.h"
#include "util/log.h"
#include "util/util.h"
#include "conf/addr.h"
#include "conf/file.h"
#include "conf/xpconf.h"
#include "xpmgr/daemon.h"

static void	 stdio_setup(void);
static uint64_t	 nofile_raise(void);
static int	 preflight(const struct xpmgr_conf *c);
static void	 on_stop_signal(evutil_socket_t sig, short ev, void *arg);
static void	 on_sighup(evutil_socket_t sig, short ev, void *arg);
static void	 on_sigchld(evutil_socket_t sig, short ev, void *arg);
static void	 on_kill_timer(evutil_socket_t fd, short ev, void *arg);
static void	 on_gc(evutil_socket_t fd, short ev, void *arg);
static void	 xpd_force(struct xpd *d);
static void	 xpd_free(struct xpd *d);
static void	 ev_free(struct event **ev);

int
xpmgr_run(const struct xpmgr_conf *c)
{
	struct xpd	 d;
	char		 why[1024], addr[300];
	uint64_t	 nofile, reserve, budget;
	int		 code;

	stdio_setup();
	nofile = nofile_raise();
	signal(SIGPIPE, SIG_IGN);

	if (preflight(c) == -1)
		return 1;

	memset(&d, 0, sizeof(d));
	d.conf = c;
	d.sg_fd = -1;
	reserve = nofile / 4 < XP_FD_RESERVE ? nofile / 4 : XP_FD_RESERVE;
	budget = nofile > reserve + XP_FD_PER_SESSION ?
	    (nofile - reserve) / XP_FD_PER_SESSION : 1;
	d.max_sessions = c->max_sessions != 0 ? c->max_sessions : budget;
	if (c->max_sessions > budget)
		log_warnx("MaxSessions %ju needs about %ju descriptors; the limit is "
		    "%ju, so accepting will also pause when descriptors run out",
		    (uintmax_t)c->max_sessions, (uintmax_t)(c->max_sessions *
		    XP_FD_PER_SESSION + reserve), (uintmax_t)nofile);
	d.state = XPD_RUNNING;
	TAILQ_INIT(&d.sessions);
	TAILQ_INIT(&d.gated);
	TAILQ_INIT(&d.dead);
	TAILQ_INIT(&d.listeners);
	STAILQ_INIT(&d.sg_queue);

	if (c->prog_dir != NULL) {
		if (xp_progs_load(c->prog_dir, &d.progs, why, sizeof(why)) == -1) {
			log_fatalx("%s", why);
			return 1;
		}
		log_info("%zu monitor program(s) loaded from %s", d.progs.n, c->prog_dir);
	}
	if ((d.tls = xp_tls_new(c, why, sizeof(why))) == NULL) {
		log_fatalx("%s", why);
		xpd_free(&d);
		return 1;
	}

	if ((d.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	d.sig_int = evsignal_new(d.base, SIGINT, on_stop_signal, &d);
	d.sig_term = evsignal_new(d.base, SIGTERM, on_stop_signal, &d);
	d.sig_hup = evsignal_new(d.base, SIGHUP, on_sighup, &d);
	d.sig_chld = evsignal_new(d.base, SIGCHLD, on_sigchld, &d);
	d.gc_ev = event_new(d.base, -1, 0, on_gc, &d);
	d.kill_timer = evtimer_new(d.base, on_kill_timer, &d);
	if (d.sig_int == NULL || d.sig_term == NULL || d.sig_hup == NULL ||
	    d.sig_chld == NULL || d.gc_ev == NULL || d.kill_timer == NULL)
		fatalx("cannot create events");
	xevent_add(d.sig_int, NULL, "SIGINT");
	xevent_add(d.sig_term, NULL, "SIGTERM");
	xevent_add(d.sig_hup, NULL, "SIGHUP");
	xevent_add(d.sig_chld, NULL, "SIGCHLD");

	/* As 1.1.0: the singleton runs before any endpoint can arrive. */
	if (c->singleton && xp_singleton_start(&d, why, sizeof(why)) == -1) {
		log_fatalx("%s", why);
		xpd_free(&d);
		return 1;
	}
	/* Proxy mode (proxy.c) greets through the proxy; passive mode listens. */
	if ((c->proxy_mode ? proxy_start(&d, why, sizeof(why)) :
	    listener_open(&d, why, sizeof(why))) == -1) {
		log_fatalx("%s", why);
		d.exit_code = 1;
		xpd_force(&d);
		event_base_dispatch(d.base);
		xpd_free(&d);
		return 1;
	}
	pl_addr_fmt(&c->listen, addr, sizeof(addr));
	log_info("greeting endpoints %s %s; mlet %s%s; %s", c->proxy_mode ?
	    "through the proxy" : "on", addr, c->mlet,
	    c->singleton ? " (singleton)" : "", c->max_attempts == UINT64_MAX ?
	    "no session limit" : "session limit set by -n");
	log_info("connection caps: %ju not past set-up (MaxPendingSessions), "
	    "%ju sessions in all (%s)", (uintmax_t)c->max_pending,
	    (uintmax_t)d.max_sessions, c->max_sessions != 0 ? "MaxSessions" :
	    "from the descriptor limit");
	if (c->max_attempts != UINT64_MAX)
		log_info("-n %llu: greeting stops after that many sessions have started",
		    (unsigned long long)c->max_attempts);
	/* Proxy mode gets there when its bootstrap ends (proxy.c). */
	if (!c->proxy_mode)
		xpd_greeting_ready(&d);

	event_base_dispatch(d.base);

	log_info("done: %llu session(s) started, %llu ended normally, %llu failed, "
	    "%llu dropped", (unsigned long long)d.nstarted, (unsigned long long)d.nok,
	    (unsigned long long)d.nfail, (unsigned long long)d.ndropped);
	code = d.exit_code;
	xpd_free(&d);
	return code;
}

/*
 * fd 0 is /dev/null for the whole run (ERRATA missing fact 8: 1.1.0 closes
 * stdin, and a socket landing on fd 0 breaks the mlet's dup2).  Closed 1
 * and 2 are reopened too, so no socket can receive log lines.
 */
static void
stdio_setup(void)
{
	int	 fd, i;

	/* Lower slots are filled first, so open() returns exactly i. */
	for (i = 0; i < 3; i++)
		if (fcntl(i, F_GETFD) == -1 && (fd = open("/dev/null", O_RDWR)) != i) {
			if (fd == -1 || dup2(fd, i) == -1)
				fatal("/dev/null");
			close(fd);
		}
	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 || dup2(fd, 0) == -1)
		fatal("/dev/null");
	close(fd);
	/*
	 * Descriptors inherited from whoever started us become close-on-exec
	 * like our own (mlets are spawned with everything above 2 closed
	 * anyway; this covers anything else we might exec).
	 */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == -1)
		log_debug("close_range: %s", strerror(errno));
}

/*
 * select()'s FD_SETSIZE is gone with libevent; the kernel's limit is what
 * is left.  Returns that limit (0 when unknown).
 */
static uint64_t
nofile_raise(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("cannot raise the descriptor limit");
	}
	log_debug("descriptor limit %llu", (unsigned long long)rl.rlim_cur);
	return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
}

/* What this version refuses, what it only warns about, and the mlet path. */
static int
preflight(const struct xpmgr_conf *c)
{
	char	 why[256];

	if (c->hostid != NULL && !c->enable_pub)
		log_warnx("-i %s: the host id only filters a broker publication, "
		    "and publication is off (EnableExpPublication 0); ignored",
		    c->hostid);
	/* 1.1.0 finds a bad path only when the first endpoint arrives. */
	if (pl_path_check(c->mlet, PL_PATH_EXEC, why, sizeof(why)) == -1) {
		log_fatalx("mlet %s: %s", c->mlet, why);
		return -1;
	}
	return 0;
}

/* ---- state ---- */

void
xpd_greeting_ready(struct xpd *d)
{
	char	 why[256], msg[300];

	log_debug("greeting endpoints: ready");
	/* Publication (broker.c): greeting is up first, as in 1.1.0. */
	if (d->conf->enable_pub && d->state == XPD_RUNNING &&
	    xpb_start(d, why, sizeof(why)) == -1) {
		/* One FATAL line; 1.1.0's words kept for those who grep. */
		snprintf(msg, sizeof(msg), "%s; Experiment publication failed",
		    why);
		xpd_abort(d, msg);
	}
}

int
xpd_gate_open(const struct xpd *d)
{
	return d->state == XPD_RUNNING &&
	    d->nstarted + d->ninflight < d->conf->max_attempts;
}

int
xpd_count_start(struct xpd *d)
{
	if (d->nstarted >= d->conf->max_attempts)
		return 0;
	d->nstarted++;
	return 1;
}

void
xpd_wrapup(struct xpd *d, const char *why)
{
	if (d->state != XPD_RUNNING)
		return;
	d->state = XPD_WRAPUP;
	xpb_stop(d->pub, why);
	log_info("stopping greeting endpoints (%s); waiting for %llu running "
	    "session(s)", why, (unsigned long long)d->nsessions);
	listener_close_all(d);
	proxy_wrapup(d);
	session_drop_unstarted(d, why);
	xpd_maybe_done(d);
}

void
xpd_maybe_done(struct xpd *d)
{
	if (d->state == XPD_RUNNING)
		return;
	if (d->state == XPD_FORCE) {
		if (xp_children_count() == 0 && d->nsessions == 0)
			event_base_loopexit(d->base, NULL);
		return;
	}
	if (d->nsessions > 0)
		return;
	if (d->conf->singleton && !d->sg_reaped && d->sg_pid != 0) {
		/* Every session is over: the singleton may go (it reads EOF). */
		if (d->sg_fd != -1) {
			d->sg_expected_exit = 1;
			xp_singleton_close(d);
		}
		return;
	}
	event_base_loopexit(d->base, NULL);
}

/* ---- signals ---- */

static void
on_stop_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct xpd	*d = arg;
	const char	*name = sig == SIGINT ? "SIGINT" : "SIGTERM";

	d->nsig++;
	if (d->nsig == 1) {
		log_info("%s: finishing the running sessions, then exiting "
		    "(send it again to force)", name);
		xpd_wrapup(d, name);
		return;
	}
	if (d->nsig == 2) {
		log_warnx("%s again: forcing the end", name);
		d->exit_code = 1;
		xpd_force(d);
		return;
	}
	log_warnx("%s a third time: killing the mlets now", name);
	xp_children_signal(SIGKILL);
	xp_children_reap_all();
	event_base_loopexit(d->base, NULL);
}

void
xpd_abort(struct xpd *d, const char *why)
{
	log_fatalx("%s; ending (exit 1)", why);
	d->exit_code = 1;
	if (d->state != XPD_FORCE)
		xpd_force(d);
}

/* Cut every session, tell the mlets to terminate, kill them after a grace period. */
static void
xpd_force(struct xpd *d)
{
	struct timeval	 tv;

	d->state = XPD_FORCE;
	xpb_stop(d->pub, "forced end");
	listener_close_all(d);
	proxy_wrapup(d);
	xp_singleton_close(d);
	d->sg_expected_exit = 1;
	session_abort_all(d, "forced shutdown");
	if (xp_children_count() > 0) {
		log_info("sending SIGTERM to %zu mlet(s); SIGKILL in %d ms",
		    xp_children_count(), XP_KILL_GRACE_MS);
		xp_children_signal(SIGTERM);
		tv.tv_sec = XP_KILL_GRACE_MS / 1000;
		tv.tv_usec = (XP_KILL_GRACE_MS % 1000) * 1000;
		xevent_add(d->kill_timer, &tv, "SIGKILL timer");
	}
	xpd_maybe_done(d);
}

static void
on_kill_timer(evutil_socket_t fd, short ev, void *arg)
{
	struct xpd	*d = arg;

	if (xp_children_count() > 0) {
		log_warnx("%zu mlet(s) still running; sending SIGKILL",
		    xp_children_count());
		xp_children_signal(SIGKILL);
		xp_children_reap_all();
	}
	event_base_loopexit(d->base, NULL);
}

static void
on_sighup(evutil_socket_t sig, short ev, void *arg)
{
	log_info("SIGHUP ignored: pktxpmgr does not reload its configuration; "
	    "SIGINT or SIGTERM stop it");
}

static void
on_sigchld(evutil_socket_t sig, short ev, void *arg)
{
	struct xpd	*d = arg;

	xp_children_reap();
	xpd_maybe_done(d);
}

static void
on_gc(evutil_socket_t fd, short ev, void *arg)
{
	session_gc(arg);
}

static void
ev_free(struct event **ev)
{
	if (*ev != NULL) {
		event_free(*ev);
		*ev = NULL;
	}
}

static void
xpd_free(struct xpd *d)
{
	struct session	*s;

	listener_close_all(d);
	proxy_free(d);
	xp_singleton_close(d);
	/* Anything left (loop left early): no callbacks may run any more. */
	while ((s = TAILQ_FIRST(&d->sessions)) != NULL) {
		if (s->pid != 0 && !s->reaped)
			xp_children_detach(s->pid);
		if (s->ep != NULL)
			session_ep_free(s);
		if (s->ml != NULL)
			bufferevent_free(s->ml);
		TAILQ_REMOVE(&d->sessions, s, entry);
		TAILQ_INSERT_TAIL(&d->dead, s, entry);
	}
	if (d->conf->singleton && d->sg_pid != 0 && !d->sg_reaped)
		xp_children_detach(d->sg_pid);
	session_gc(d);
	xpb_free(d->pub);
	d->pub = NULL;
	ev_free(&d->sig_int);
	ev_free(&d->sig_term);
	ev_free(&d->sig_hup);
	ev_free(&d->sig_chld);
	ev_free(&d->gc_ev);
	ev_free(&d->kill_timer);
	if (d->base != NULL)
		event_base_free(d->base);
	if (d->tls != NULL)
		xp_tls_free(d->tls);
	xp_progs_free(&d->progs);
	xp_scratch_free(&d->scratch);
}
