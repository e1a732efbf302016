/*
 * pxconf.c: the directives of proxy.conf, read with the shared Key Value
 * lexer (conf/kv.h).  Every error names its line; an unknown or repeated
 * directive is an error, so that a typo never goes unnoticed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/addr.h"
#include "conf/kv.h"
#include "proxy/pure/proxy_pure.h"
#include "util/util.h"

struct pctx {
	struct px_conf	*conf;
	const char	*dir;
	px_diag_fn	*diag;
	void		*arg;
	int		 nerr;
	unsigned	 line;
};

enum kind { K_PATH, K_PATHS, K_BOOL, K_DUR, K_ADDR, K_RELAY, K_SIZE, K_COUNT };

static const struct directive {
	const char	*name;
	enum kind	 kind;
	size_t		 off;
	uint16_t	 port;		/* K_ADDR: the default port */
} directives[] = {
	{ "ProxyPrivKeyPath",	K_PATH, offsetof(struct px_conf, key), 0 },
	{ "ProxyAgentCertPath",	K_PATH, offsetof(struct px_conf, cert), 0 },
	{ "ControllerCertRootPath", K_PATHS, 0, 0 },
	{ "RequireControllerCert", K_BOOL,
	    offsetof(struct px_conf, require_cert), 0 },
	{ "ControllerAddr",	K_ADDR, offsetof(struct px_conf, ctl_addr),
	    PX_PORT_CTL },
	{ "EndpointAddr",	K_ADDR, offsetof(struct px_conf, ep_addr),
	    PX_PORT_EP },
	{ "RegistrationTimeout", K_DUR,
	    offsetof(struct px_conf, stage_timeout), 0 },
	{ "ClientHelloTimeout",	K_DUR,
	    offsetof(struct px_conf, hello_timeout), 0 },
	{ "HoldTimeout",	K_DUR, offsetof(struct px_conf, hold_timeout), 0 },
	{ "SessionIdleTimeout",	K_DUR, offsetof(struct px_conf, idle_timeout), 0 },
	{ "RefusalDelay",	K_DUR,
	    offsetof(struct px_conf, refusal_interval), 0 },
	{ "SendCloseNotify",	K_BOOL, offsetof(struct px_conf, close_notify), 0 },
	{ "BindSNIKeyToAgentKey", K_BOOL, offsetof(struct px_conf, bind_key), 0 },
	{ "RelayMode",		K_RELAY, 0, 0 },
	{ "RelayBufferSize",	K_SIZE, offsetof(struct px_conf, bufsize), 0 },
	{ "MaxIdlePerController", K_COUNT, offsetof(struct px_conf, max_idle), 0 },
};
#define NDIR	(sizeof(directives) / sizeof(directives[0]))

static void
diag(struct pctx *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->nerr++;
	if (c->diag != NULL)
		c->diag(c->arg, c->line, msg);
}

static char *
mkpath(const char *dir, const char *s, size_t n)
{
	if (n > 0 && s[0] == '/')
		return xstrndup(s, n);
	return xasprintf("%s/%.*s", dir != NULL ? dir : ".", (int)n, s);
}

void
px_conf_defaults(struct px_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->stage_timeout = PX_STAGE_TIMEOUT_DEF;
	c->hello_timeout = PX_HELLO_TIMEOUT_DEF;
	c->hold_timeout = PX_HOLD_TIMEOUT_DEF;
	c->idle_timeout = PX_IDLE_TIMEOUT_DEF;
	c->refusal_interval = PX_REFUSAL_DEF;
	c->close_notify = 1;
	c->bind_key = 1;
	c->relay = PX_RELAY_SPLICE;
	c->bufsize = PX_BUFSIZE_DEF;
	c->max_idle = PX_MAX_IDLE_DEF;
	c->log_level = -1;
}

static void
one(struct pctx *c, const struct directive *d, const char *v, size_t n)
{
	char why[256], q[PL_QUOTE_MAX];
	struct pl_hostport hp;
	uint64_t u;
	int b;
	char *s;

	switch (d->kind) {
	case K_PATH:
		if (n == 0) {
			diag(c, "%s: empty path", d->name);
			return;
		}
		free(*(char **)((char *)c->conf + d->off));
		*(char **)((char *)c->conf + d->off) = mkpath(c->dir, v, n);
		return;
	case K_PATHS: {
		size_t off = 0, el;
		const char *e;

		if (pl_val_list_check(v, n, why, sizeof(why)) < 0) {
			diag(c, "%s: %s", d->name, why);
			return;
		}
		while (pl_val_list_next(v, n, &off, &e, &el)) {
			c->conf->roots = xrealloc(c->conf->roots,
			    (c->conf->nroots + 1) * sizeof(char *));
			c->conf->roots[c->conf->nroots++] = mkpath(c->dir, e, el);
		}
		return;
	}
	case K_BOOL:
		if (pl_val_bool(v, n, &b, why, sizeof(why)) < 0)
			diag(c, "%s: %s", d->name, why);
		else
			*(int *)((char *)c->conf + d->off) = b;
		return;
	case K_DUR:
		if (pl_val_duration(v, n, &u, why, sizeof(why)) < 0)
			diag(c, "%s: %s", d->name, why);
		else if (u == 0 && d->off != offsetof(struct px_conf,
		    idle_timeout) && d->off != offsetof(struct px_conf,
		    refusal_interval))
			diag(c, "%s: must not be 0", d->name);
		else
			*(uint64_t *)((char *)c->conf + d->off) = u;
		return;
	case K_SIZE:
		if (pl_val_u64(v, n, &u, why, sizeof(why)) < 0)
			diag(c, "%s: %s", d->name, why);
		else if (u < 4096 || u > 16u * 1024 * 1024)
			diag(c, "%s: %s: want 4096 .. 16777216", d->name,
			    pl_val_quote(v, n, q, sizeof(q)));
		else
			*(uint64_t *)((char *)c->conf + d->off) = u;
		return;
	case K_COUNT:
		if (pl_val_u64(v, n, &u, why, sizeof(why)) < 0)
			diag(c, "%s: %s", d->name, why);
		else if (u < 1 || u > 1000000)
			diag(c, "%s: %s: want 1 .. 1000000", d->name,
			    pl_val_quote(v, n, q, sizeof(q)));
		else
			*(uint64_t *)((char *)c->conf + d->off) = u;
		return;
	case K_ADDR:
		s = xstrndup(v, n);
		if (pl_addr_split(s, d->port, &hp, why, sizeof(why)) < 0) {
			diag(c, "%s: %s", d->name, why);
			free(s);
			return;
		}
		free(*(char **)((char *)c->conf + d->off));
		*(char **)((char *)c->conf + d->off) = s;
		return;
	case K_RELAY:
		if (n == 6 && memcmp(v, "splice", 6) == 0)
			c->conf->relay = PX_RELAY_SPLICE;
		else if (n == 6 && memcmp(v, "buffer", 6) == 0)
			c->conf->relay = PX_RELAY_BUFFER;
		else
			diag(c, "%s: %s: expected splice or buffer", d->name,
			    pl_val_quote(v, n, q, sizeof(q)));
		return;
	}
}

int
px_conf_parse(struct px_conf *conf, const char *buf, size_t len,
    const char *dir, px_diag_fn *fn, void *arg)
{
	struct pctx c = { conf, dir, fn, arg, 0, 0 };
	struct pl_kv_lexer lx;
	struct pl_kv kv;
	char why[256];
	unsigned seen[NDIR];
	size_t i;
	int r;

	memset(seen, 0, sizeof(seen));
	free(conf->dir);
	conf->dir = xstrdup(dir != NULL ? dir : ".");
	pl_kv_init(&lx, buf, len);
	while ((r = pl_kv_next(&lx, &kv, why, sizeof(why))) != 0) {
		c.line = lx.line;
		if (r < 0) {
			diag(&c, "%s", why);
			continue;
		}
		for (i = 0; i < NDIR; i++)
			if (pl_kv_is(&kv, directives[i].name))
				break;
		if (i == NDIR) {
			char q[PL_QUOTE_MAX];

			diag(&c, "unknown directive %s",
			    pl_val_quote(kv.key, kv.keylen, q, sizeof(q)));
			continue;
		}
		if (seen[i] != 0 && directives[i].kind != K_PATHS) {
			diag(&c, "%s given twice (first on line %u)",
			    directives[i].name, seen[i]);
			continue;
		}
		seen[i] = c.line;
		one(&c, &directives[i], kv.val, kv.vallen);
	}
	c.line = 0;
	if (conf->key == NULL)
		diag(&c, "ProxyPrivKeyPath is required");
	if (conf->cert == NULL)
		diag(&c, "ProxyAgentCertPath is required");
	return c.nerr;
}

void
px_conf_free(struct px_conf *c)
{
	size_t i;

	free(c->dir);
	free(c->key);
	free(c->cert);
	for (i = 0; i < c->nroots; i++)
		free(c->roots[i]);
	free(c->roots);
	free(c->ctl_addr);
	free(c->ep_addr);
	memset(c, 0, sizeof(*c));
}
