/*
 * xpconf.c: pktxpmgr's directive table, the ExpExec grammar, the presence
 * rules and the merge of the command line (see xpconf.h).  Pure code: the
 * only side effects are allocations; nothing is resolved or opened here.
 *
 * Rules where 1.1.0 was loose or silent (docs/config.md lists them):
 *   - unknown directives and empty values are errors;
 *   - a single-valued directive given twice: the last one wins, both are
 *     validated, and a warning names both lines (1.1.0: last non-empty wins);
 *   - relative paths are resolved against the configuration file's folder;
 *   - SNIKEY upper case is folded; duplicate SNIKEYs are errors;
 *   - the key-channel rule of PUB_CHANNEL applies only when publishing;
 *   - an override without its final ';' gets one, with a notice.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pktlab/nvp.h>
#include <pktlab/wire.h>

#include "conf/kv.h"
#include "conf/xpconf.h"
#include "util/log.h"
#include "util/util.h"

enum xpd_type {
	T_BOOL,		/* 0 or 1 */
	T_U64,		/* unsigned decimal */
	T_U64_POS,	/* unsigned decimal > 0 */
	T_TIME,		/* nanoseconds, decimal */
	T_TIMEOUT,	/* nanoseconds or with a unit, > 0 */
	T_FILE,		/* one path */
	T_FILES,	/* comma list of paths */
	T_DIR,		/* one folder */
	T_ADDR,		/* ADDR[:PORT] */
	T_COUNTRY,	/* comma list of 3 upper-case letters */
	T_LOCATION,	/* comma list of [A-Z0-9*?]+ */
	T_EXPEXEC,	/* repeatable, own grammar */
};

struct xpd_def {
	const char	*name;
	enum xpd_type	 type;
	size_t		 off;		/* of the field in struct xpmgr_conf */
};

static void	conf_diag(struct xpmgr_conf *c, enum xpmgr_diag_level level,
		    unsigned line, const char *directive, const char *fmt, ...)
		    __attribute__((format(printf, 5, 6)));
static char	*conf_path(const struct xpmgr_conf *c, const char *p, size_t n);
static void	 strlist_free(struct xpmgr_strlist *l);
static void	 strlist_paths(const struct xpmgr_conf *c, struct xpmgr_strlist *l,
		    const char *s, size_t n);
static int	 conf_set(struct xpmgr_conf *c, enum xpmgr_directive d,
		    const struct pl_kv *kv, char *why, size_t whylen);
static int	 conf_codes(const char *s, size_t n, struct xpmgr_strlist *l,
		    int (*check)(const char *, size_t, char *, size_t),
		    char *why, size_t whylen);
static int	 conf_expexec(struct xpmgr_conf *c, const struct pl_kv *kv,
		    char *why, size_t whylen);
static int	 exp_snikey(struct xpmgr_expexec *e, const char *s, size_t n,
		    char *why, size_t whylen);
static int	 exp_channels(struct xpmgr_expexec *e, const char *s, size_t n,
		    char *why, size_t whylen);
static int	 exp_override(struct xpmgr_conf *c, struct xpmgr_expexec *e,
		    const char *s, size_t n, char *why, size_t whylen);
static int	 ov_single(const struct xpmgr_expexec *e, const char *name,
		    struct pl_nvp *out, char *why, size_t whylen);
static void	 exp_free(struct xpmgr_expexec *e);
static int	 conf_presence(struct xpmgr_conf *c, char *err, size_t errlen);
static int	 conf_unspecified(const char *host);
static int	 conf_v6_published(const char *addr);

#define F(field)	offsetof(struct xpmgr_conf, field)
static const struct xpd_def xpd_defs[XPDIR_COUNT] = {
	[XPDIR_ENABLE_PUB] =		{ "EnableExpPublication", T_BOOL, F(enable_pub) },
	[XPDIR_BROKER_ADDR] =		{ "BrokerAddr", T_ADDR, F(broker_addr) },
	[XPDIR_PUB_AGENT_CERT] =		{ "PubAgentCertPath", T_FILE, F(pub_agent_cert) },
	[XPDIR_BROKER_ROOTS] =		{ "BrokerCertRootPath", T_FILES, F(broker_roots) },
	[XPDIR_PUB_CTRL_ADDR] =		{ "PubControllerAddr", T_ADDR, F(pub_ctrl_addr) },
	[XPDIR_PUB_PERIOD] =		{ "PubPeriod", T_TIME, F(pub_period) },
	[XPDIR_PUB_PRIO] =		{ "PubExpPriority", T_U64, F(pub_prio) },
	[XPDIR_PUB_COUNTRY] =		{ "PubCountry", T_COUNTRY, F(countries) },
	[XPDIR_PUB_LOCATION] =		{ "PubLocation", T_LOCATION, F(locations) },
	[XPDIR_GREET_AFTER] =		{ "GreetPeriodAfterPubEnd", T_TIME,
					    F(greet_after_pub_end) },
	[XPDIR_CTRL_KEY] =		{ "ControllerPrivkeyPath", T_FILE, F(ctrl_key) },
	[XPDIR_PROG_DIR] =		{ "ProgramDirPath", T_DIR, F(prog_dir) },
	[XPDIR_EXPEXEC] =			{ "ExpExec", T_EXPEXEC, 0 },
	[XPDIR_PROXY_MODE] =		{ "EnableProxyMode", T_BOOL, F(proxy_mode) },
	[XPDIR_BACKLOG_AGENT_CERT] =	{ "BacklogConnAgentCertPath", T_FILE,
					    F(backlog_agent_cert) },
	[XPDIR_PROXY_ROOTS] =		{ "ProxyCertRootPath", T_FILES, F(proxy_roots) },
	[XPDIR_TARGET_BACKLOG] =		{ "TargetBacklogConn", T_U64_POS, F(target_backlog) },
	[XPDIR_BACKLOG_TIMEOUT] =		{ "BacklogConnTimeout", T_TIME, F(backlog_timeout) },
	[XPDIR_BOOTSTRAP_TIMEOUT] =	{ "BootstrapBacklogTimeout", T_TIME,
					    F(bootstrap_timeout) },
	[XPDIR_HANDSHAKE_TIMEOUT] =	{ "HandshakeTimeout", T_TIMEOUT, F(handshake_timeout) },
	[XPDIR_SETUP_TIMEOUT] =		{ "SetupTimeout", T_TIMEOUT, F(setup_timeout) },
	[XPDIR_BROKER_TIMEOUT] =		{ "BrokerTimeout", T_TIMEOUT, F(broker_timeout) },
	[XPDIR_MAX_PENDING] =		{ "MaxPendingSessions", T_U64_POS, F(max_pending) },
	[XPDIR_MAX_SESSIONS] =		{ "MaxSessions", T_U64_POS, F(max_sessions) },
};
#undef F

static const char	 exp_fields[] =
    "IS_DEFAULT:SNIKEY:EXPPRIVCHAIN_PATH:TRUSTEDEOP_PATH:PUB_CHANNEL:OVERRIDE_XDESCRNVP";

const char *
xpmgr_directive_name(enum xpmgr_directive d)
{
	return (unsigned)d < XPDIR_COUNT ? xpd_defs[d].name : "?";
}

/* "path:line: directive: reason"; line 0 and directive NULL are left out. */
int
xpmgr_conf_err(const struct xpmgr_conf *c, char *err, size_t errlen, unsigned line,
    const char *directive, const char *fmt, ...)
{
	va_list	 ap;
	int	 r;

	if (line != 0)
		r = snprintf(err, errlen, "%s:%u: ", c->path, line);
	else
		r = snprintf(err, errlen, "%s: ", c->path);
	if (r >= 0 && (size_t)r < errlen && directive != NULL)
		r += snprintf(err + r, errlen - (size_t)r, "%s: ", directive);
	if (r >= 0 && (size_t)r < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + r, errlen - (size_t)r, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void
conf_diag(struct xpmgr_conf *c, enum xpmgr_diag_level level, unsigned line,
    const char *directive, const char *fmt, ...)
{
	char	 msg[XPMGR_ERRLEN], head[XPMGR_ERRLEN];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line != 0)
		snprintf(head, sizeof(head), "%s:%u: ", c->path, line);
	else
		snprintf(head, sizeof(head), "%s: ", c->path);
	c->diag = xrealloc(c->diag, (c->ndiag + 1) * sizeof(*c->diag));
	c->diag[c->ndiag].level = level;
	c->diag[c->ndiag].msg = xasprintf("%s%s%s%s", head,
	    directive != NULL ? directive : "", directive != NULL ? ": " : "", msg);
	c->ndiag++;
}

/* A configured path: absolute as is, relative to the config file's folder. */
static char *
conf_path(const struct xpmgr_conf *c, const char *p, size_t n)
{
	if (n > 0 && p[0] == '/')
		return xstrndup(p, n);
	if (c->dir == NULL)
		return xstrndup(p, n);
	return xasprintf("%s%s%.*s", c->dir,
	    c->dir[strlen(c->dir) - 1] == '/' ? "" : "/", (int)n, p);
}

static void
strlist_free(struct xpmgr_strlist *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Fill l from a list already checked by pl_val_list_check. */
static void
strlist_paths(const struct xpmgr_conf *c, struct xpmgr_strlist *l, const char *s,
    size_t n)
{
	const char	*e;
	size_t		 off = 0, elen;

	strlist_free(l);
	while (pl_val_list_next(s, n, &off, &e, &elen)) {
		l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
		l->v[l->n++] = c != NULL ? conf_path(c, e, elen) : xstrndup(e, elen);
	}
}

int
xpmgr_conf_parse(struct xpmgr_conf *c, const char *path, const char *buf, size_t len,
    char *err, size_t errlen)
{
	struct pl_kv_lexer	 lx;
	struct pl_kv		 kv;
	char			 why[XPMGR_ERRLEN], q[PL_QUOTE_MAX];
	const char		*slash;
	size_t			 d;
	int			 r;

	memset(c, 0, sizeof(*c));
	c->path = xstrdup(path);
	if ((slash = strrchr(path, '/')) != NULL)
		c->dir = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
	c->target_backlog = XPMGR_DEF_TARGET_BACKLOG;
	c->backlog_timeout = XPMGR_DEF_BACKLOG_TIMEOUT;
	c->bootstrap_timeout = XPMGR_DEF_BOOTSTRAP_TIMEOUT;
	c->handshake_timeout = XPMGR_DEF_HANDSHAKE_TIMEOUT;
	c->broker_timeout = XPMGR_DEF_BROKER_TIMEOUT;
	c->setup_timeout = XPMGR_DEF_SETUP_TIMEOUT;
	c->max_pending = XPMGR_DEF_MAX_PENDING;
	c->max_attempts = UINT64_MAX;
	c->log_level = LOG_LVL_INFO;

	pl_kv_init(&lx, buf, len);
	while ((r = pl_kv_next(&lx, &kv, why, sizeof(why))) != 0) {
		if (r == -1)
			return xpmgr_conf_err(c, err, errlen, lx.line, NULL, "%s", why);
		for (d = 0; d < XPDIR_COUNT; d++)
			if (pl_kv_is(&kv, xpd_defs[d].name))
				break;
		if (d == XPDIR_COUNT) {
			pl_val_quote(kv.key, kv.keylen, q, sizeof(q));
			for (d = 0; d < XPDIR_COUNT; d++) {
				if (strlen(xpd_defs[d].name) == kv.keylen &&
				    strncasecmp(xpd_defs[d].name, kv.key, kv.keylen) == 0)
					return xpmgr_conf_err(c, err, errlen, kv.line, NULL,
					    "unknown directive %s (did you mean %s? names "
					    "are case-sensitive)", q, xpd_defs[d].name);
			}
			return xpmgr_conf_err(c, err, errlen, kv.line, NULL,
			    "unknown directive %s", q);
		}
		if (kv.vallen == 0)
			return xpmgr_conf_err(c, err, errlen, kv.line, xpd_defs[d].name,
			    "missing value");
		if (d == XPDIR_EXPEXEC) {
			if (conf_expexec(c, &kv, why, sizeof(why)) == -1)
				return xpmgr_conf_err(c, err, errlen, kv.line, "ExpExec", "%s", why);
			if (c->line[d] == 0)
				c->line[d] = kv.line;
			continue;
		}
		if (conf_set(c, (enum xpmgr_directive)d, &kv, why, sizeof(why)) == -1)
			return xpmgr_conf_err(c, err, errlen, kv.line, xpd_defs[d].name, "%s", why);
		if (c->line[d] != 0)
			conf_diag(c, XPMGR_WARN, kv.line, xpd_defs[d].name,
			    "given again: this value replaces the one on line %u",
			    c->line[d]);
		c->line[d] = kv.line;
	}
	return conf_presence(c, err, errlen);
}

static int
conf_set(struct xpmgr_conf *c, enum xpmgr_directive d, const struct pl_kv *kv,
    char *why, size_t whylen)
{
	void			*field = (char *)c + xpd_defs[d].off;
	struct pl_hostport	 hp;
	char			 q[PL_QUOTE_MAX], *s;
	uint64_t		 v;
	size_t			 i;
	int			 b;

	switch (xpd_defs[d].type) {
	case T_BOOL:
		if (pl_val_bool(kv->val, kv->vallen, &b, why, whylen) == -1)
			return -1;
		*(int *)field = b;
		return 0;
	case T_U64:
	case T_TIME:
	case T_U64_POS:
		if (pl_val_u64(kv->val, kv->vallen, &v, why, whylen) == -1)
			return -1;
		if (xpd_defs[d].type == T_U64_POS && v == 0) {
			snprintf(why, whylen, "\"0\": must be at least 1");
			return -1;
		}
		*(uint64_t *)field = v;
		return 0;
	case T_TIMEOUT:
		if (pl_val_duration(kv->val, kv->vallen, &v, why, whylen) == -1)
			return -1;
		if (v == 0) {
			snprintf(why, whylen, "%s: a timeout must be longer than 0",
			    pl_val_quote(kv->val, kv->vallen, q, sizeof(q)));
			return -1;
		}
		*(uint64_t *)field = v;
		return 0;
	case T_FILE:
	case T_DIR:
		s = conf_path(c, kv->val, kv->vallen);
		/* "progs/" and "progs" name the same folder; keep "/" itself. */
		if (xpd_defs[d].type == T_DIR)
			for (i = strlen(s); i > 1 && s[i - 1] == '/'; i--)
				s[i - 1] = '\0';
		free(*(char **)field);
		*(char **)field = s;
		return 0;
	case T_FILES:
		if (pl_val_list_check(kv->val, kv->vallen, why, whylen) == -1)
			return -1;
		strlist_paths(c, field, kv->val, kv->vallen);
		return 0;
	case T_ADDR:
		s = xstrndup(kv->val, kv->vallen);
		if (pl_addr_split(s, PL_PORT_PUB, &hp, why, whylen) == -1) {
			free(s);
			return -1;
		}
		if (d == XPDIR_PUB_CTRL_ADDR && strchr(s, '%') != NULL) {
			snprintf(why, whylen, "%s: a zone index ('%%') cannot appear in "
			    "a published descriptor", pl_val_quote(s, strlen(s), q,
			    sizeof(q)));
			free(s);
			return -1;
		}
		if (d == XPDIR_BROKER_ADDR)
			c->broker = hp;
		free(*(char **)field);
		*(char **)field = s;
		return 0;
	case T_COUNTRY:
		return conf_codes(kv->val, kv->vallen, field, xpmgr_check_country,
		    why, whylen);
	case T_LOCATION:
		return conf_codes(kv->val, kv->vallen, field, xpmgr_check_location,
		    why, whylen);
	case T_EXPEXEC:
		break;
	}
	snprintf(why, whylen, "internal error: no parser");
	return -1;
}

/* PubCountry, PubLocation: a list of codes, each checked by check. */
static int
conf_codes(const char *s, size_t n, struct xpmgr_strlist *l,
    int (*check)(const char *, size_t, char *, size_t), char *why, size_t whylen)
{
	const char	*e;
	size_t		 off = 0, elen;

	if (pl_val_list_check(s, n, why, whylen) == -1)
		return -1;
	while (pl_val_list_next(s, n, &off, &e, &elen))
		if (check(e, elen, why, whylen) == -1)
			return -1;
	strlist_paths(NULL, l, s, n);
	return 0;
}

int
xpmgr_check_country(const char *s, size_t n, char *why, size_t whylen)
{
	char	 q[PL_QUOTE_MAX];
	size_t	 i;

	for (i = 0; i < n; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			break;
	if (n == 3 && i == 3)
		return 0;
	snprintf(why, whylen, "%s: expected 3 upper-case letters (ISO 3166-1 "
	    "alpha-3, e.g. USA)", pl_val_quote(s, n, q, sizeof(q)));
	return -1;
}

int
xpmgr_check_location(const char *s, size_t n, char *why, size_t whylen)
{
	char	 q[PL_QUOTE_MAX], cn[16];
	size_t	 i;

	pl_val_quote(s, n, q, sizeof(q));
	if (n == 0) {
		snprintf(why, whylen, "empty location");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '*' || s[i] == '?')
			continue;
		snprintf(why, whylen, "%s: invalid %s (a location is made of A-Z, "
		    "0-9, * and ?)", q, pl_val_charname(s[i], cn));
		return -1;
	}
	return 0;
}

static void
exp_free(struct xpmgr_expexec *e)
{
	strlist_free(&e->chain);
	strlist_free(&e->trusted);
	free(e->chan);
	free(e->override);
	memset(e, 0, sizeof(*e));
}

/* One ExpExec line; the sixth field takes the rest of the line. */
static int
conf_expexec(struct xpmgr_conf *c, const struct pl_kv *kv, char *why, size_t whylen)
{
	struct xpmgr_expexec	 e;
	const char		*f[6], *p = kv->val, *end = kv->val + kv->vallen, *colon;
	size_t			 fl[6], i;
	char			 reason[512];

	for (i = 0; i < 5; i++) {
		colon = memchr(p, ':', (size_t)(end - p));
		if (colon == NULL) {
			snprintf(why, whylen, "expected 6 fields %s, found %zu",
			    exp_fields, i + 1);
			return -1;
		}
		f[i] = p;
		fl[i] = (size_t)(colon - p);
		p = colon + 1;
	}
	f[5] = p;
	fl[5] = (size_t)(end - p);

	memset(&e, 0, sizeof(e));
	e.line = kv->line;
	if (pl_val_bool(f[0], fl[0], &e.is_default, reason, sizeof(reason)) == -1) {
		snprintf(why, whylen, "IS_DEFAULT %s", fl[0] == 0 ?
		    "is empty: expected 0 or 1" : reason);
		goto fail;
	}
	if (exp_snikey(&e, f[1], fl[1], why, whylen) == -1)
		goto fail;
	if (fl[2] == 0) {
		snprintf(why, whylen, "EXPPRIVCHAIN_PATH is empty (list the "
		    "certificate files of the experiment privilege chain)");
		goto fail;
	}
	if (pl_val_list_check(f[2], fl[2], reason, sizeof(reason)) == -1) {
		snprintf(why, whylen, "EXPPRIVCHAIN_PATH: %s", reason);
		goto fail;
	}
	strlist_paths(c, &e.chain, f[2], fl[2]);
	if (fl[3] != 0) {
		if (pl_val_list_check(f[3], fl[3], reason, sizeof(reason)) == -1) {
			snprintf(why, whylen, "TRUSTEDEOP_PATH: %s", reason);
			goto fail;
		}
		strlist_paths(c, &e.trusted, f[3], fl[3]);
	}
	if (exp_channels(&e, f[4], fl[4], why, whylen) == -1)
		goto fail;
	if (exp_override(c, &e, f[5], fl[5], why, whylen) == -1)
		goto fail;

	for (i = 0; i < c->nexp; i++) {
		if (e.is_default && c->exp[i].is_default) {
			snprintf(why, whylen, "a second default entry (IS_DEFAULT 1); "
			    "line %u is already the default", c->exp[i].line);
			goto fail;
		}
		if (!e.snikey_random && strcmp(e.snikey, c->exp[i].snikey) == 0) {
			snprintf(why, whylen, "SNIKEY \"%s\" is already used on line %u",
			    e.snikey, c->exp[i].line);
			goto fail;
		}
	}
	c->exp = xrealloc(c->exp, (c->nexp + 1) * sizeof(*c->exp));
	c->exp[c->nexp++] = e;
	return 0;
fail:
	exp_free(&e);
	return -1;
}

static int
exp_snikey(struct xpmgr_expexec *e, const char *s, size_t n, char *why, size_t whylen)
{
	char	 q[PL_QUOTE_MAX], cn[16];
	size_t	 i;
	char	 ch;

	if (n == 0) {
		e->snikey_random = 1;
		return 0;
	}
	pl_val_quote(s, n, q, sizeof(q));
	if (n > PL_SNIKEY_MAX) {
		snprintf(why, whylen, "SNIKEY %s: longer than %d characters (%zu)", q,
		    PL_SNIKEY_MAX, n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		ch = s[i];
		/* The 1.1.0 template promises case-insensitive keys; fold. */
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) {
			snprintf(why, whylen, "SNIKEY %s: invalid %s", q,
			    pl_val_charname(ch, cn));
			return -1;
		}
		e->snikey[i] = ch;
	}
	e->snikey[n] = '\0';
	return 0;
}

static int
exp_channels(struct xpmgr_expexec *e, const char *s, size_t n, char *why, size_t whylen)
{
	char		 q[PL_QUOTE_MAX], cn[16];
	const char	*el;
	size_t		 off = 0, elen, i;
	ssize_t		 r;

	while (pl_val_list_next(s, n, &off, &el, &elen)) {
		if (e->nchan == PL_CHLIST_MAX) {
			snprintf(why, whylen, "PUB_CHANNEL: more than %d channels",
			    PL_CHLIST_MAX);
			return -1;
		}
		e->chan = xrealloc(e->chan, (e->nchan + 1) * sizeof(*e->chan));
		memset(&e->chan[e->nchan], 0, sizeof(e->chan[0]));
		e->nchan++;
		if (elen == 0)
			continue;		/* the key channel */
		pl_val_quote(el, elen, q, sizeof(q));
		for (i = 0; i < elen; i++) {
			if (!((el[i] >= '0' && el[i] <= '9') ||
			    (el[i] >= 'a' && el[i] <= 'f') ||
			    (el[i] >= 'A' && el[i] <= 'F'))) {
				snprintf(why, whylen, "PUB_CHANNEL %s: invalid %s (a "
				    "channel id is hex)", q, pl_val_charname(el[i], cn));
				return -1;
			}
		}
		if (elen % 2 != 0) {
			snprintf(why, whylen, "PUB_CHANNEL %s: odd number of hex digits", q);
			return -1;
		}
		if (elen > 2 * PL_CHANNEL_MAX) {
			snprintf(why, whylen, "PUB_CHANNEL %s: longer than %d hex digits "
			    "(%d bytes)", q, 2 * PL_CHANNEL_MAX, PL_CHANNEL_MAX);
			return -1;
		}
		r = pl_unhex(el, elen, e->chan[e->nchan - 1].id, PL_CHANNEL_MAX);
		if (r <= 0) {
			snprintf(why, whylen, "PUB_CHANNEL %s: not hex", q);
			return -1;
		}
		e->chan[e->nchan - 1].len = (size_t)r;
	}
	return 0;
}

/* The only occurrence of a predefined name: 1 found, 0 absent, -1 repeated. */
static int
ov_single(const struct xpmgr_expexec *e, const char *name, struct pl_nvp *out,
    char *why, size_t whylen)
{
	unsigned	 cnt;

	cnt = pl_nvp_count(e->override, e->overridelen, PL_NVP_XDESCR, name);
	if (cnt > 1) {
		snprintf(why, whylen, "OVERRIDE_XDESCRNVP: %s appears %u times "
		    "(at most once)", name, cnt);
		return -1;
	}
	if (cnt == 0)
		return 0;
	pl_nvp_find(e->override, e->overridelen, PL_NVP_XDESCR, name, 0, out);
	return 1;
}

static int
exp_override(struct xpmgr_conf *c, struct xpmgr_expexec *e, const char *s, size_t n,
    char *why, size_t whylen)
{
	struct pl_nvp_err	 nerr;
	struct pl_nvp		 p;
	struct pl_hostport	 hp;
	char			 q[PL_QUOTE_MAX], reason[512], *v;
	unsigned		 i;
	int			 r, fixed = 0;

	e->override = xmalloc(n + 2);
	memcpy(e->override, s, n);
	e->overridelen = n;
	if (n > 0 && s[n - 1] != ';') {
		/* The 1.1.0 template's own example lacks it. */
		e->override[e->overridelen++] = ';';
		fixed = 1;
	}
	e->override[e->overridelen] = '\0';
	if (n == 0)
		return 0;

	memset(&nerr, 0, sizeof(nerr));
	if (pl_nvp_validate(e->override, e->overridelen, PL_NVP_XDESCR, &nerr) < 0) {
		snprintf(why, whylen, "OVERRIDE_XDESCRNVP %s: %s (at byte %zu)",
		    pl_val_quote(s, n, q, sizeof(q)), nerr.msg, nerr.off);
		return -1;
	}
	if (pl_nvp_count(e->override, e->overridelen, PL_NVP_XDESCR, "sni_key") > 0) {
		snprintf(why, whylen, "OVERRIDE_XDESCRNVP: sni_key cannot be overridden "
		    "(it is always the entry's SNIKEY)");
		return -1;
	}
	if ((r = ov_single(e, "controller_addr", &p, why, whylen)) == -1)
		return -1;
	if (r == 1) {
		v = xstrndup(p.value, p.valuelen);
		r = pl_addr_split(v, PL_PORT_EXP, &hp, reason, sizeof(reason));
		free(v);
		if (r == -1) {
			snprintf(why, whylen, "OVERRIDE_XDESCRNVP: controller_addr: %s",
			    reason);
			return -1;
		}
		e->ov_controller_addr = 1;
	}
	if ((r = ov_single(e, "pub_end", &p, why, whylen)) == -1)
		return -1;
	if (r == 1) {
		if (pl_val_u64(p.value, p.valuelen, &e->ov_pub_end_ns, reason,
		    sizeof(reason)) == -1) {
			snprintf(why, whylen, "OVERRIDE_XDESCRNVP: pub_end %s (nanoseconds "
			    "since 1970)", reason);
			return -1;
		}
		e->ov_pub_end = 1;
	}
	if ((r = ov_single(e, "exp_priority", &p, why, whylen)) == -1)
		return -1;
	if (r == 1) {
		uint64_t	 prio;

		if (pl_val_u64(p.value, p.valuelen, &prio, reason, sizeof(reason)) == -1) {
			snprintf(why, whylen, "OVERRIDE_XDESCRNVP: exp_priority %s", reason);
			return -1;
		}
		e->ov_exp_priority = 1;
	}
	if ((r = ov_single(e, "hostid", &p, why, whylen)) == -1)
		return -1;
	e->ov_hostid = r == 1;
	for (i = 0; pl_nvp_find(e->override, e->overridelen, PL_NVP_XDESCR,
	    "endpoint_country", i, &p); i++) {
		if (xpmgr_check_country(p.value, p.valuelen, reason, sizeof(reason)) == -1) {
			snprintf(why, whylen, "OVERRIDE_XDESCRNVP: endpoint_country %s",
			    reason);
			return -1;
		}
		e->ov_country = 1;
	}
	for (i = 0; pl_nvp_find(e->override, e->overridelen, PL_NVP_XDESCR,
	    "endpoint_location", i, &p); i++) {
		if (xpmgr_check_location(p.value, p.valuelen, reason, sizeof(reason)) == -1) {
			snprintf(why, whylen, "OVERRIDE_XDESCRNVP: endpoint_location %s",
			    reason);
			return -1;
		}
		e->ov_location = 1;
	}
	if (fixed)
		conf_diag(c, XPMGR_NOTICE, e->line, "ExpExec", "OVERRIDE_XDESCRNVP "
		    "does not end with ';': added one (every pair must end with ';')");
	return 0;
}

/* The rules that need the whole file (xpmgr spec §2.4 presence check, §2.5). */
static int
conf_presence(struct xpmgr_conf *c, char *err, size_t errlen)
{
	struct pl_nvp			 p;
	const struct xpmgr_expexec	*e;
	size_t				 i, j;
	int				 has_end;

	if (!XPMGR_HAS(c, XPDIR_ENABLE_PUB))
		return xpmgr_conf_err(c, err, errlen, 0, NULL, "EnableExpPublication is "
		    "missing (it is required: 1 to publish to a broker, 0 not to)");
	if (!XPMGR_HAS(c, XPDIR_CTRL_KEY))
		return xpmgr_conf_err(c, err, errlen, 0, NULL, "ControllerPrivkeyPath is "
		    "missing (the controller's private key is required)");
	if (c->nexp == 0)
		return xpmgr_conf_err(c, err, errlen, 0, NULL, "no ExpExec entry (at least "
		    "one is required)");
	if (!c->enable_pub)
		return 0;

	if (!XPMGR_HAS(c, XPDIR_BROKER_ADDR))
		return xpmgr_conf_err(c, err, errlen, c->line[XPDIR_ENABLE_PUB],
		    "EnableExpPublication", "publication is on, but BrokerAddr is missing");
	if (!XPMGR_HAS(c, XPDIR_PUB_AGENT_CERT))
		return xpmgr_conf_err(c, err, errlen, c->line[XPDIR_ENABLE_PUB],
		    "EnableExpPublication", "publication is on, but PubAgentCertPath "
		    "is missing");
	has_end = XPMGR_HAS(c, XPDIR_PUB_PERIOD);
	for (i = 0; i < c->nexp; i++) {
		e = &c->exp[i];
		has_end |= e->ov_pub_end;
		/*
		 * A key channel is derived from the EOp key that roots the
		 * chain, and the broker pairs 32-byte channels with that key;
		 * without TRUSTEDEOP_PATH there is none (1.1.0 checked this
		 * even when not publishing).
		 */
		if (e->trusted.n > 0)
			continue;
		for (j = 0; j < e->nchan; j++) {
			if (e->chan[j].len == 0)
				return xpmgr_conf_err(c, err, errlen, e->line, "ExpExec",
				    "PUB_CHANNEL: the key channel (an empty PUB_CHANNEL "
				    "or element) needs TRUSTEDEOP_PATH; give the channel "
				    "id in hex");
			if (e->chan[j].len == PL_CHANNEL_MAX)
				return xpmgr_conf_err(c, err, errlen, e->line, "ExpExec",
				    "PUB_CHANNEL: a 32-byte channel id is reserved for "
				    "key channels and needs TRUSTEDEOP_PATH");
		}
	}
	if (!has_end)
		conf_diag(c, XPMGR_WARN, c->line[XPDIR_ENABLE_PUB], "EnableExpPublication",
		    "neither PubPeriod nor a pub_end override is set: publication "
		    "ends at once and pktxpmgr exits when running sessions end");
	if (XPMGR_HAS(c, XPDIR_PUB_CTRL_ADDR) && conf_v6_published(c->pub_ctrl_addr))
		conf_diag(c, XPMGR_WARN, c->line[XPDIR_PUB_CTRL_ADDR], "PubControllerAddr",
		    "\"%s\" is IPv6: PacketLab 1.1.0 endpoints cannot connect to it "
		    "(publish a host name or an IPv4 address)", c->pub_ctrl_addr);
	for (i = 0; i < c->nexp; i++) {
		e = &c->exp[i];
		if (!e->ov_controller_addr)
			continue;
		pl_nvp_find(e->override, e->overridelen, PL_NVP_XDESCR,
		    "controller_addr", 0, &p);
		{
			char	*v = xstrndup(p.value, p.valuelen);

			if (conf_v6_published(v))
				conf_diag(c, XPMGR_WARN, e->line, "ExpExec", "controller_addr "
				    "\"%s\" is IPv6: PacketLab 1.1.0 endpoints cannot connect "
				    "to it (publish a host name or an IPv4 address)", v);
			free(v);
		}
	}
	return 0;
}

/* An address a 1.1.0 endpoint would mis-split (ERRATA 5). */
static int
conf_v6_published(const char *addr)
{
	struct pl_hostport	 hp;
	char			 why[256];

	return pl_addr_split(addr, PL_PORT_EXP, &hp, why, sizeof(why)) == 0 &&
	    hp.is_ipv6;
}

static int
conf_unspecified(const char *host)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return a4.s_addr == htonl(INADDR_ANY);
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_UNSPECIFIED(&a6);
	return 0;
}

int
xpmgr_conf_apply_cli(struct xpmgr_conf *c, const struct xpmgr_cli *cli, char *err,
    size_t errlen)
{
	const struct xpmgr_expexec	*e;
	const char			*slash, *addr;
	char				 why[XPMGR_ERRLEN];
	int				 level, infer, i;
	size_t				 k;

	if (cli->addr != NULL) {
		if (pl_addr_split(cli->addr, c->proxy_mode ? PL_PORT_PROXY : PL_PORT_EXP,
		    &c->listen, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "-a: %s", why);
			return -1;
		}
		c->listen_arg = xstrdup(cli->addr);
	} else if (c->proxy_mode)
		return xpmgr_conf_err(c, err, errlen, c->line[XPDIR_PROXY_MODE], "EnableProxyMode",
		    "proxy mode needs the proxy's address: give -a PROXY_ADDR[:PORT] "
		    "(default port %u)", PL_PORT_PROXY);
	else
		pl_addr_split(XPMGR_DEF_LISTEN, PL_PORT_EXP, &c->listen, why, sizeof(why));

	/* xpmgr spec §7.6: a proxy routes on the SNI key only. */
	for (k = 0; k < c->nexp && c->proxy_mode; k++)
		if (c->exp[k].is_default)
			conf_diag(c, XPMGR_WARN, c->exp[k].line, "ExpExec", "IS_DEFAULT "
			    "1 has no effect in proxy mode: a proxy routes endpoints "
			    "by SNI key only, so endpoints that send none cannot "
			    "reach this entry (those that send its SNI key can)");

	if (cli->pub_addr != NULL) {
		c->pub_addr_arg = xstrdup(cli->pub_addr);
		if (strchr(cli->pub_addr, '%') != NULL) {
			snprintf(err, errlen, "-p: \"%s\": a zone index ('%%') cannot "
			    "appear in a published descriptor", cli->pub_addr);
			return -1;
		}
		if (!c->enable_pub)
			conf_diag(c, XPMGR_WARN, 0, NULL, "-p is ignored: publication "
			    "is off (EnableExpPublication 0)");
	}
	if (cli->hostid != NULL) {
		/* The daemon says when -i goes unused; nothing to add here. */
		c->hostid = xstrdup(cli->hostid);
		for (k = 0; k < c->nexp && c->enable_pub; k++)
			if (c->exp[k].ov_hostid)
				conf_diag(c, XPMGR_NOTICE, c->exp[k].line, "ExpExec",
				    "the hostid of OVERRIDE_XDESCRNVP replaces -i for "
				    "this entry");
	}
	if (c->enable_pub) {
		for (k = 0; k < c->nexp; k++) {
			e = &c->exp[k];
			addr = xpmgr_conf_ctrl_addr(c, e, &infer);
			/* PubControllerAddr was already reported while parsing. */
			if (addr == NULL || addr == c->pub_ctrl_addr ||
			    !conf_v6_published(addr))
				continue;
			conf_diag(c, XPMGR_WARN, 0, NULL, "the controller address to "
			    "publish, \"%s\", is IPv6: PacketLab 1.1.0 endpoints cannot "
			    "connect to it (use -p with a host name or an IPv4 address)",
			    addr);
			break;
		}
	}

	c->max_attempts = cli->has_attempts ? cli->attempts : UINT64_MAX;
	c->singleton = cli->singleton;
	c->check_only = cli->check;
	level = LOG_LVL_INFO + cli->verbosity;
	c->log_level = level < LOG_LVL_ERROR ? LOG_LVL_ERROR :
	    level > LOG_LVL_TRACE ? LOG_LVL_TRACE : level;
	if (cli->mlet != NULL) {
		c->mlet = xstrdup(cli->mlet);
		c->mlet_argv = xcalloc((size_t)cli->nmlet_args + 2, sizeof(char *));
		slash = strrchr(cli->mlet, '/');
		c->mlet_argv[0] = xstrdup(slash != NULL ? slash + 1 : cli->mlet);
		for (i = 0; i < cli->nmlet_args; i++)
			c->mlet_argv[i + 1] = xstrdup(cli->mlet_args[i]);
	}
	if (cli->output_dir != NULL)
		c->output_dir = xstrdup(cli->output_dir);
	c->out_append = cli->append;
	c->trace = cli->trace;
	c->no_progress = cli->no_progress;
	c->cmdline = xcalloc((size_t)(cli->argc > 0 ? cli->argc : 0) + 1, sizeof(char *));
	for (i = 0; i < cli->argc; i++)
		c->cmdline[i] = xstrdup(cli->argv[i]);
	return 0;
}

const char *
xpmgr_conf_ctrl_addr(const struct xpmgr_conf *c, const struct xpmgr_expexec *e,
    int *infer)
{
	*infer = 0;
	if (e != NULL && e->ov_controller_addr)
		return NULL;
	if (c->pub_addr_arg != NULL)
		return c->pub_addr_arg;
	if (c->pub_ctrl_addr != NULL)
		return c->pub_ctrl_addr;
	/* Proxy: endpoints reach us through the proxy's host, on port 20556. */
	if (c->proxy_mode && c->listen_arg != NULL)
		return c->listen.host;
	/* 1.1.0 published a wildcard -a verbatim, which no endpoint can use. */
	if (c->listen_arg != NULL && !conf_unspecified(c->listen.host))
		return c->listen_arg;
	*infer = 1;
	return NULL;
}

int
xpmgr_snikey_random(char out[PL_SNIKEY_MAX + 1], xpmgr_rand_fn rnd, void *ctx)
{
	static const char	 alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	uint8_t			 buf[64];
	size_t			 n = 0, i;

	while (n < PL_SNIKEY_MAX) {
		if (rnd(ctx, buf, sizeof(buf)) == -1)
			return -1;
		/* 252 = 7 * 36: taking the rest of larger bytes would bias. */
		for (i = 0; i < sizeof(buf) && n < PL_SNIKEY_MAX; i++)
			if (buf[i] < 252)
				out[n++] = alphabet[buf[i] % 36];
	}
	out[n] = '\0';
	return 0;
}

int
xpmgr_conf_finish(struct xpmgr_conf *c, xpmgr_rand_fn rnd, void *ctx, char *err,
    size_t errlen)
{
	size_t	 i, j;

	for (i = 0; i < c->nexp; i++) {
		if (!c->exp[i].snikey_random || c->exp[i].snikey[0] != '\0')
			continue;
		if (xpmgr_snikey_random(c->exp[i].snikey, rnd, ctx) == -1)
			return xpmgr_conf_err(c, err, errlen, c->exp[i].line, "ExpExec",
			    "cannot generate a random SNIKEY: no random bytes");
	}
	for (i = 0; i < c->nexp; i++)
		for (j = 0; j < i; j++)
			if (strcmp(c->exp[i].snikey, c->exp[j].snikey) == 0)
				return xpmgr_conf_err(c, err, errlen, c->exp[i].line, "ExpExec",
				    "SNIKEY \"%s\" is already used on line %u",
				    c->exp[i].snikey, c->exp[j].line);
	return 0;
}

void
xpmgr_conf_free(struct xpmgr_conf *c)
{
	size_t	 i;

	free(c->path);
	free(c->dir);
	free(c->broker_addr);
	free(c->pub_agent_cert);
	strlist_free(&c->broker_roots);
	free(c->pub_ctrl_addr);
	strlist_free(&c->countries);
	strlist_free(&c->locations);
	free(c->ctrl_key);
	free(c->prog_dir);
	for (i = 0; i < c->nexp; i++)
		exp_free(&c->exp[i]);
	free(c->exp);
	free(c->backlog_agent_cert);
	strlist_free(&c->proxy_roots);
	free(c->listen_arg);
	free(c->pub_addr_arg);
	free(c->hostid);
	free(c->mlet);
	if (c->mlet_argv != NULL)
		for (i = 0; c->mlet_argv[i] != NULL; i++)
			free(c->mlet_argv[i]);
	free(c->mlet_argv);
	free(c->output_dir);
	if (c->cmdline != NULL)
		for (i = 0; c->cmdline[i] != NULL; i++)
			free(c->cmdline[i]);
	free(c->cmdline);
	for (i = 0; i < c->ndiag; i++)
		free(c->diag[i].msg);
	free(c->diag);
	memset(c, 0, sizeof(*c));
}
