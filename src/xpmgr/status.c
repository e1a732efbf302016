/*
 * status.c: what the run is doing, in one line.  On a terminal it is a
 * status line kept below the log lines (util/log.c clears and redraws it
 * around every log line), refreshed once a second; SIGUSR1 logs the same
 * text as a normal log line in any mode.  Off with --no-progress and
 * whenever stderr is not a terminal.  Also the set of endpoints seen: an
 * endpoint is its certificate's key id, or its address when it has none,
 * so one endpoint that comes back is counted once.
 */
#include <sys/types.h>
#include <sys/ioctl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "util/event.h"
#include "util/log.h"
#include "util/util.h"
#include "conf/xpconf.h"
#include "xpmgr/daemon.h"

static void	 status_tick(evutil_socket_t fd, short ev, void *arg);
static void	 status_draw(struct xpd *d);
static char	*human_bytes(uint64_t n, char *out, size_t outlen);
static uint64_t	 seen_hash(const char *s);

/* Open addressing, load at most one half; grows by doubling. */
struct xp_seen {
	char	**v;
	size_t	  cap;
	size_t	  n;
};

void
xp_status_start(struct xpd *d)
{
	struct timeval	 tv = { 1, 0 };

	if (d->conf->no_progress || !isatty(STDERR_FILENO))
		return;
	d->status_ev = event_new(d->base, -1, EV_PERSIST, status_tick, d);
	if (d->status_ev == NULL)
		fatalx("event_new failed");
	xevent_add(d->status_ev, &tv, "status line timer");
	status_draw(d);
}

void
xp_status_stop(struct xpd *d)
{
	if (d->status_ev == NULL)
		return;
	event_free(d->status_ev);
	d->status_ev = NULL;
	log_status_set(NULL);
}

static void
status_tick(evutil_socket_t fd, short ev, void *arg)
{
	status_draw(arg);
}

/* Cut to the terminal's width: a wrapped line could not be cleared with \r. */
static void
status_draw(struct xpd *d)
{
	struct winsize	 ws;
	char		 text[400];
	size_t		 width = 80;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		width = ws.ws_col;
	xp_status_text(d, text, sizeof(text));
	if (strlen(text) >= width)
		text[width - 1] = '\0';
	log_status_set(text);
}

static uint64_t
seen_hash(const char *s)
{
	uint64_t	 h = 14695981039346656037ull;	/* FNV-1a */

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static int
seen_put(char **v, size_t cap, char *id)
{
	size_t	 i;

	for (i = seen_hash(id) & (cap - 1); v[i] != NULL; i = (i + 1) & (cap - 1))
		if (strcmp(v[i], id) == 0)
			return 0;
	v[i] = id;
	return 1;
}

void
xp_status_seen(struct xpd *d, const char *id)
{
	struct xp_seen	*t;
	char		**nv, *dup;
	size_t		 i, ncap;

	if ((t = d->seen) == NULL) {
		t = d->seen = xcalloc(1, sizeof(*t));
		t->cap = 64;
		t->v = xcalloc(t->cap, sizeof(*t->v));
	}
	if (2 * (t->n + 1) > t->cap) {
		ncap = 2 * t->cap;
		nv = xcalloc(ncap, sizeof(*nv));
		for (i = 0; i < t->cap; i++)
			if (t->v[i] != NULL)
				seen_put(nv, ncap, t->v[i]);
		free(t->v);
		t->v = nv;
		t->cap = ncap;
	}
	dup = xstrdup(id);
	if (seen_put(t->v, t->cap, dup))
		t->n++;
	else
		free(dup);
}

void
xp_status_free(struct xpd *d)
{
	struct xp_seen	*t = d->seen;
	size_t		 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->cap; i++)
		free(t->v[i]);
	free(t->v);
	free(t);
	d->seen = NULL;
}

static char *
human_bytes(uint64_t n, char *out, size_t outlen)
{
	static const char *const unit[] = { "B", "KB", "MB", "GB", "TB" };
	double	 v = (double)n;
	size_t	 u = 0;

	while (v >= 1000.0 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1000.0;
		u++;
	}
	if (u == 0)
		snprintf(out, outlen, "%llu B", (unsigned long long)n);
	else
		snprintf(out, outlen, "%.1f %s", v, unit[u]);
	return out;
}

char *
xp_status_text(const struct xpd *d, char *out, size_t outlen)
{
	const struct session	*s;
	uint64_t		 running = 0, setup = 0, b[2];
	char			 in[32], ou[32];
	size_t			 n;

	b[0] = d->done_bytes[0];
	b[1] = d->done_bytes[1];
	TAILQ_FOREACH(s, &d->sessions, entry) {
		if (s->state == XP_S_RELAY)
			running++;
		else if (s->state < XP_S_RELAY)
			setup++;
		b[0] += s->st.bytes[0];
		b[1] += s->st.bytes[1];
	}
	/* Short enough for an 80-column terminal in the usual case. */
	snprintf(out, outlen, "run %llu set-up %llu done %llu fail %llu drop %llu | "
	    "endpoints %llu | ep->mlet %s mlet->ep %s%s", (unsigned long long)running,
	    (unsigned long long)setup, (unsigned long long)d->nok,
	    (unsigned long long)d->nfail, (unsigned long long)d->ndropped,
	    (unsigned long long)(d->seen != NULL ? d->seen->n : 0), human_bytes(b[XP_EP2ML], in, sizeof(in)),
	    human_bytes(b[XP_ML2EP], ou, sizeof(ou)),
	    d->state == XPD_RUNNING ? "" : d->state == XPD_WRAPUP ?
	    " | finishing" : " | forcing the end");
	/* Publication and proxy mode, when this run has them. */
	n = strlen(out);
	if (d->pub != NULL && n < outlen)
		n += (size_t)snprintf(out + n, outlen - n, " | %s", xpb_status(d->pub));
	if (d->conf->proxy_mode && n < outlen)
		snprintf(out + n, outlen - n, " | proxy idle %llu",
		    (unsigned long long)proxy_idle(d));
	return out;
}
