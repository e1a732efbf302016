/*
 * xpsummary.c: the text "pktxpmgr -t" prints: what a run with this
 * configuration and command line would do (see xpconf.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/xpconf.h"
#include "util/util.h"

static const char	*sum_duration(uint64_t ns, char *buf, size_t buflen);
static void		 sum_list(FILE *f, const char *label, const struct xpmgr_strlist *l,
			    const char *none);
static void		 sum_publication(FILE *f, const struct xpmgr_conf *c);
static void		 sum_pool(FILE *f, const struct xpmgr_conf *c);
static void		 sum_entry(FILE *f, const struct xpmgr_conf *c,
			    const struct xpmgr_expexec *e, const char *keychan);

/* "365d", "10s", "1500ms", "7ns", "0s": the largest unit that divides exactly. */
static const char *
sum_duration(uint64_t ns, char *buf, size_t buflen)
{
	static const struct {
		uint64_t	 sec;
		const char	*unit;
	} big[] = { { 86400, "d" }, { 3600, "h" }, { 60, "min" } };
	size_t	 i;

	for (i = 0; ns != 0 && i < sizeof(big) / sizeof(big[0]); i++) {
		if (ns % (big[i].sec * PL_TICKS_PER_SEC) == 0) {
			snprintf(buf, buflen, "%ju%s", (uintmax_t)(ns /
			    (big[i].sec * PL_TICKS_PER_SEC)), big[i].unit);
			return buf;
		}
	}
	if (ns % PL_TICKS_PER_SEC == 0)
		snprintf(buf, buflen, "%jus", (uintmax_t)(ns / PL_TICKS_PER_SEC));
	else if (ns != 0 && ns % 1000000 == 0)
		snprintf(buf, buflen, "%jums", (uintmax_t)(ns / 1000000));
	else if (ns != 0 && ns % 1000 == 0)
		snprintf(buf, buflen, "%juus", (uintmax_t)(ns / 1000));
	else
		snprintf(buf, buflen, "%juns", (uintmax_t)ns);
	return buf;
}

static void
sum_list(FILE *f, const char *label, const struct xpmgr_strlist *l, const char *none)
{
	size_t	 i;

	fprintf(f, "%s", label);
	if (l->n == 0)
		fprintf(f, "%s", none);
	for (i = 0; i < l->n; i++)
		fprintf(f, "%s%s", i > 0 ? ", " : "", l->v[i]);
	fprintf(f, "\n");
}

static void
sum_publication(FILE *f, const struct xpmgr_conf *c)
{
	char	 d[32], hp[PL_HOST_MAX + 16];

	if (!c->enable_pub) {
		fprintf(f, "publication:      off\n");
		return;
	}
	fprintf(f, "publication:      to broker %s (resolved when publishing)\n",
	    pl_addr_fmt(&c->broker, hp, sizeof(hp)));
	fprintf(f, "  agent cert:     %s\n", c->pub_agent_cert);
	sum_list(f, "  broker roots:   ", &c->broker_roots,
	    "none (the broker's agent certificate is checked for form only)");
	if (XPMGR_HAS(c, XPDIR_PUB_PERIOD))
		fprintf(f, "  period:         %s, then greeting for %s more\n",
		    sum_duration(c->pub_period, d, sizeof(d)),
		    sum_duration(c->greet_after_pub_end, hp, sizeof(hp)));
	else
		fprintf(f, "  period:         none (only pub_end overrides)\n");
	fprintf(f, "  timeouts:       %s for connect, TLS and each result; retries "
	    "back off from 1s to 1min\n", sum_duration(c->broker_timeout, d, sizeof(d)));
	if (XPMGR_HAS(c, XPDIR_PUB_PRIO))
		fprintf(f, "  exp_priority:   %ju\n", (uintmax_t)c->pub_prio);
	if (c->countries.n > 0)
		sum_list(f, "  countries:      ", &c->countries, "");
	if (c->locations.n > 0)
		sum_list(f, "  locations:      ", &c->locations, "");
	if (c->hostid != NULL)
		fprintf(f, "  hostid:         %s\n", c->hostid);
}

/* Proxy mode: the backlog connections each SNI key keeps (xpmgr spec §7). */
static void
sum_pool(FILE *f, const struct xpmgr_conf *c)
{
	char	 hp[PL_HOST_MAX + 16];
	size_t	 i;

	fprintf(f, "  pool:           %zu SNI key(s) x %ju = %ju backlog connection(s) "
	    "to %s\n", c->nexp, (uintmax_t)c->target_backlog,
	    (uintmax_t)(c->target_backlog * c->nexp),
	    pl_addr_fmt(&c->listen, hp, sizeof(hp)));
	for (i = 0; i < c->nexp; i++)
		fprintf(f, "    SNI key:      %s (line %u)%s\n", c->exp[i].snikey,
		    c->exp[i].line, c->exp[i].is_default ? ": default entry, but "
		    "endpoints without an SNI key cannot reach it through a proxy" : "");
	fprintf(f, "  retries:        per SNI key, backoff from 100 ms doubling up to "
	    "30 s; at start-up, exit 1 if no key registers within the bootstrap\n");
	fprintf(f, "  endpoints:      dial the proxy's host %s (port 20556 unless "
	    "published otherwise) with the entry's SNI key; publication "
	    "announces that host as controller_addr\n", c->listen.host);
}

static void
sum_entry(FILE *f, const struct xpmgr_conf *c, const struct xpmgr_expexec *e,
    const char *keychan)
{
	char		 hex[2 * PL_CHANNEL_MAX + 1];
	const char	*addr;
	size_t		 i;
	int		 infer;

	fprintf(f, "ExpExec (line %u)%s:\n", e->line, e->is_default ?
	    " default entry, for endpoints that send no SNI key" : "");
	fprintf(f, "  SNI key:        %s%s\n", e->snikey, e->snikey_random ?
	    " (random, new on every run)" : "");
	sum_list(f, "  chain:          ", &e->chain, "");
	sum_list(f, "  trusted keys:   ", &e->trusted, "none: any endpoint is accepted, "
	    "even one without a certificate");
	fprintf(f, "  channels:       ");
	for (i = 0; i < e->nchan; i++) {
		if (i > 0)
			fprintf(f, ", ");
		if (e->chan[i].len == 0 && keychan != NULL)
			fprintf(f, "%s (key channel)", keychan);
		else if (e->chan[i].len == 0)
			fprintf(f, "key channel (SHA-256 of the EOp root key)");
		else
			fprintf(f, "%s", pl_hex(e->chan[i].id, e->chan[i].len, hex));
	}
	fprintf(f, "%s\n", c->enable_pub ? "" : " (unused: publication is off)");
	if (e->overridelen > 0)
		fprintf(f, "  override:       %s\n", e->override);
	if (!c->enable_pub)
		return;
	addr = xpmgr_conf_ctrl_addr(c, e, &infer);
	if (addr != NULL && c->proxy_mode && addr == c->listen.host)
		fprintf(f, "  controller_addr: %s (proxy mode publishes the proxy's "
		    "host)\n", addr);
	else if (addr != NULL)
		fprintf(f, "  controller_addr: %s\n", addr);
	else if (infer)
		fprintf(f, "  controller_addr: the local address of the broker connection\n");
	else
		fprintf(f, "  controller_addr: from the override\n");
}

char *
xpmgr_conf_summary(const struct xpmgr_conf *c, const char *const *keychan)
{
	char	*text = NULL, hp[PL_HOST_MAX + 16], d1[32], d2[32];
	size_t	 len = 0, i, j;
	FILE	*f;

	if ((f = open_memstream(&text, &len)) == NULL)
		return NULL;
	fprintf(f, "configuration:    %s\n", c->path);
	if (c->proxy_mode)
		fprintf(f, "mode:             proxy: %ju backlog connection(s) per SNI "
		    "key to %s\n", (uintmax_t)c->target_backlog,
		    pl_addr_fmt(&c->listen, hp, sizeof(hp)));
	else
		fprintf(f, "mode:             passive: listen on %s\n",
		    pl_addr_fmt(&c->listen, hp, sizeof(hp)));
	if (c->proxy_mode) {
		fprintf(f, "  proxy agent cert: %s\n", c->backlog_agent_cert != NULL ?
		    c->backlog_agent_cert : "none (registration is not authenticated)");
		sum_list(f, "  proxy roots:    ", &c->proxy_roots,
		    "none (the proxy's agent certificate is checked for form only)");
		fprintf(f, "  timeouts:       %s per set-up stage, %s bootstrap\n",
		    sum_duration(c->backlog_timeout, d1, sizeof(d1)),
		    sum_duration(c->bootstrap_timeout, d2, sizeof(d2)));
		sum_pool(f, c);
	}
	if (c->mlet != NULL) {
		fprintf(f, "mlet:             %s", c->mlet);
		for (j = 1; c->mlet_argv[j] != NULL; j++)
			fprintf(f, " %s", c->mlet_argv[j]);
		fprintf(f, "%s\n", c->singleton ? " (singleton: one for all endpoints)" :
		    " (one per endpoint)");
	}
	if (c->output_dir != NULL)
		fprintf(f, "results:          %s%s%s\n", c->output_dir,
		    c->out_append ? " (added to earlier runs)" : "",
		    c->trace ? ", with message traces" : "");
	if (c->max_attempts == UINT64_MAX)
		fprintf(f, "sessions:         no limit\n");
	else
		fprintf(f, "sessions:         stop after %ju\n", (uintmax_t)c->max_attempts);
	fprintf(f, "controller key:   %s\n", c->ctrl_key);
	fprintf(f, "monitor programs: %s\n", c->prog_dir != NULL ? c->prog_dir : "none");
	fprintf(f, "session timeouts: TLS handshake %s, set-up %s\n",
	    sum_duration(c->handshake_timeout, d1, sizeof(d1)),
	    sum_duration(c->setup_timeout, d2, sizeof(d2)));
	fprintf(f, "connection caps:  %ju not past set-up, ", (uintmax_t)c->max_pending);
	if (c->max_sessions == 0)
		fprintf(f, "all sessions up to the descriptor limit\n");
	else
		fprintf(f, "%ju sessions in all\n", (uintmax_t)c->max_sessions);
	sum_publication(f, c);
	for (i = 0; i < c->nexp; i++)
		sum_entry(f, c, &c->exp[i], keychan != NULL ? keychan[i] : NULL);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
