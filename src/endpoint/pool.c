/*
 * pool.c: subscription mode (broker spec §1.7-1.9): every XNOTIFY from the
 * broker link (broker.c) is checked and put in the descriptor pool
 * (pure/sub.c); one experiment runs at a time, dialed and run exactly as
 * in direct mode (link.c, session.c).
 *
 * As 1.1.0: highest exp_priority first, ties to the newest; a candidate of
 * strictly higher priority preempts the running experiment, which sends
 * suspd, disconnects and later runs again from the start; a yield keeps
 * the descriptor until its time; any other end removes it.  Beyond 1.1.0
 * (§1.11): expired descriptors are dropped and never dialed, duplicates
 * never run twice, and the broker link reconnecting does not disturb the
 * experiment that runs.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "endpoint/endpoint.h"
#include "util/log.h"
#include "util/util.h"

/* 1.1.0 gives up on a controller 5 s after the worker started (ERRATA 12). */
#define SUB_CONNECT_ATTEMPTS	5

struct ep_sub {
	struct event_base	*base;
	struct ep_conf		 dconf;		/* the dial's: bounded attempts */
	const struct ep_sysparam *sys;
	SSL_CTX			*ctx;
	struct ep_broker	*broker;
	struct ep_pool		 pool;
	struct ep_link		*link;
	uint64_t		 running;	/* descriptor id, 0: none */
	int			 preempting;
	struct ep_target	 target;	/* of the running one */
	char			 host[EP_CTRLADDR_MAX + 1];
	char			 display[EP_CTRLADDR_MAX + 1];
	char			 sni[64];
	struct event		*tick;
	struct event		*sig_int, *sig_term;
	uint64_t		 repeat, ended, failures;
	int			 stopping;
};

static void	 on_xdescr(void *, const char *, size_t);
static void	 schedule(struct ep_sub *);
static void	 run(struct ep_sub *, struct ep_pool_ent *);
static void	 run_done(void *, int, pl_time_t);
static void	 tick_cb(evutil_socket_t, short, void *);
static void	 signal_cb(evutil_socket_t, short, void *);
static void	 finish(struct ep_sub *);

int
ep_sub_run(struct event_base *base, const struct ep_conf *conf,
    const struct ep_sysparam *sys, SSL_CTX *ctrl_ctx, SSL_CTX *broker_ctx,
    const struct ep_submsgs *msgs, uint64_t repeat)
{
	struct ep_sub	 s;
	struct timeval	 one = { 1, 0 };

	memset(&s, 0, sizeof(s));
	s.base = base;
	s.dconf = *conf;
	if (s.dconf.connect_attempts == 0)
		s.dconf.connect_attempts = SUB_CONNECT_ATTEMPTS;
	s.sys = sys;
	s.ctx = ctrl_ctx;
	s.repeat = repeat;
	ep_pool_init(&s.pool);
	s.tick = event_new(base, -1, EV_PERSIST, tick_cb, &s);
	s.sig_int = evsignal_new(base, SIGINT, signal_cb, &s);
	s.sig_term = evsignal_new(base, SIGTERM, signal_cb, &s);
	if (s.tick == NULL || s.sig_int == NULL || s.sig_term == NULL)
		fatalx("libevent: cannot create the pool's events");
	/* 1.1.0's deputy schedules at least once a second. */
	event_add(s.tick, &one);
	evsignal_add(s.sig_int, NULL);
	evsignal_add(s.sig_term, NULL);
	s.broker = ep_broker_start(base, conf, broker_ctx, msgs, on_xdescr, &s);

	event_base_dispatch(base);

	ep_broker_free(s.broker);
	ep_link_free(s.link);
	ep_pool_clear(&s.pool);
	event_free(s.tick);
	event_free(s.sig_int);
	event_free(s.sig_term);
	return s.failures > 0;
}

static void
on_xdescr(void *arg, const char *text, size_t len)
{
	struct ep_sub		*s = arg;
	struct ep_xdescr	 d;
	pl_time_t		 now = pl_time_now();
	char			 why[300];

	if (ep_xdescr_accept(text, len, &d, why, sizeof(why)) == -1) {
		log_warnx("broker: xnotify ignored: %s", why);
		return;
	}
	if (s->stopping)
		return;
	switch (ep_pool_add(&s->pool, text, len, &d, now)) {
	case EP_POOL_DUP:
		/* A broker may resend everything on each resubscription. */
		log_debug("broker: xnotify for %s ignored: the same descriptor "
		    "was received before", d.addr);
		return;
	case EP_POOL_EXPIRED:
		log_warnx("broker: xnotify for %s dropped: its pub_end passed "
		    "%.3f s ago", d.addr, (double)(now - d.pub_end) / 1e9);
		return;
	case EP_POOL_ADDED:
		break;
	}
	log_info("descriptor #%llu: controller %s%s%s, priority %u%s",
	    (unsigned long long)s->pool.next_id - 1, d.addr,
	    d.sni[0] != '\0' ? ", SNI " : "", d.sni, d.prio,
	    d.has_pub_end ? "" : ", no pub_end");
	schedule(s);
}

static void
expired_cb(void *arg, const struct ep_pool_ent *e)
{
	log_info("descriptor #%llu (%s) expired before it could run; dropped",
	    (unsigned long long)e->id, e->d.addr);
}

static void
schedule(struct ep_sub *s)
{
	struct ep_pool_ent	*cand, *cur;
	pl_time_t		 now = pl_time_now();
	int			 preempt;

	if (s->stopping)
		return;
	(void)ep_pool_expire(&s->pool, now, expired_cb, s);
	if ((cand = ep_pool_next(&s->pool, now, &preempt)) == NULL)
		return;
	if (!preempt) {
		run(s, cand);
		return;
	}
	if (s->preempting)
		return;
	cur = ep_pool_running(&s->pool);
	log_info("descriptor #%llu (priority %u) preempts #%llu (priority %u)",
	    (unsigned long long)cand->id, cand->d.prio,
	    (unsigned long long)cur->id, cur->d.prio);
	s->preempting = 1;
	ep_link_stop(s->link, 1, "preempted by a higher priority");
}

static void
run(struct ep_sub *s, struct ep_pool_ent *e)
{
	e->running = 1;
	s->running = e->id;
	s->preempting = 0;
	/* Copies: the pool's array moves when descriptors arrive. */
	pl_strlcpy(s->host, e->d.host, sizeof(s->host));
	pl_strlcpy(s->display, e->d.addr, sizeof(s->display));
	pl_strlcpy(s->sni, e->d.sni, sizeof(s->sni));
	s->target.host = s->host;
	s->target.port = e->d.port;
	s->target.display = s->display;
	log_info("descriptor #%llu: dialing the controller %s%s%s",
	    (unsigned long long)e->id, s->display, s->sni[0] != '\0' ?
	    " with SNI " : "", s->sni);
	s->link = ep_link_start(s->base, &s->dconf, s->sys, &s->target, s->ctx,
	    s->sni[0] != '\0' ? s->sni : NULL, run_done, s);
}

static void
run_done(void *arg, int status, pl_time_t rhint)
{
	struct ep_sub		*s = arg;
	struct ep_pool_ent	*e = ep_pool_get(&s->pool, s->running);
	uint64_t		 id = s->running;

	ep_link_free(s->link);
	s->link = NULL;
	s->running = 0;
	if (e != NULL && s->preempting && !s->stopping) {
		e->running = 0;
		log_info("descriptor #%llu suspended; it runs again from the "
		    "start later", (unsigned long long)id);
	} else if (e != NULL && rhint != 0 && !s->stopping) {
		e->running = 0;
		e->eligible = rhint;
		log_info("descriptor #%llu yielded; eligible again in %.3f s",
		    (unsigned long long)id, rhint > pl_time_now() ?
		    (double)(rhint - pl_time_now()) / 1e9 : 0.0);
	} else {
		ep_pool_remove(&s->pool, id);
		s->ended++;
		if (status != 0)
			s->failures++;
		log_info("descriptor #%llu done%s (%llu experiment%s ended)",
		    (unsigned long long)id, status != 0 ? " with an error" : "",
		    (unsigned long long)s->ended, s->ended == 1 ? "" : "s");
	}
	s->preempting = 0;
	if (s->stopping || (s->repeat != 0 && s->ended >= s->repeat)) {
		finish(s);
		return;
	}
	schedule(s);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	schedule(arg);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct ep_sub	*s = arg;

	if (s->stopping) {
		log_warnx("second signal: exiting now");
		exit(1);
	}
	log_info("%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	s->stopping = 1;
	if (s->link != NULL) {
		ep_link_stop(s->link, 0, sig == SIGINT ? "stopped by SIGINT" :
		    "stopped by SIGTERM");
		return;
	}
	finish(s);
}

static void
finish(struct ep_sub *s)
{
	s->stopping = 1;
	ep_broker_free(s->broker);
	s->broker = NULL;
	event_base_loopbreak(s->base);
}
