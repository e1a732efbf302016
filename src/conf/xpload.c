/*
 * xpload.c: the steps of loading pktxpmgr's configuration that touch the
 * system: choosing and reading the file, the kernel's random source for
 * SNIKEYs, and checking configured paths (see xpconf.h).
 */
#include <sys/random.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/file.h"
#include "conf/xpconf.h"
#include "util/util.h"

static int	load_random(void *ctx, uint8_t *buf, size_t n);
static int	check_path(const struct xpmgr_conf *c, unsigned line,
		    const char *directive, const char *field, const char *path,
		    enum pl_path_kind kind, char *err, size_t errlen);
static int	check_list(const struct xpmgr_conf *c, unsigned line,
		    const char *directive, const char *field,
		    const struct xpmgr_strlist *l, char *err, size_t errlen);

int
xpmgr_conf_load(struct xpmgr_conf *c, const struct xpmgr_cli *cli, const char *home,
    char *err, size_t errlen)
{
	char		 path[4096], why[XPMGR_ERRLEN], *buf;
	size_t		 len;
	int		 fallback = 0, r;

	memset(c, 0, sizeof(*c));
	if (cli->conf_path != NULL)
		snprintf(path, sizeof(path), "%s", cli->conf_path);
	else if ((fallback = xpmgr_default_conf_path(home, path, sizeof(path))) == -1) {
		snprintf(err, errlen, "HOME is too long for the default configuration "
		    "path; use -c");
		return -1;
	}
	if (pl_conf_readfile(path, &buf, &len, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: cannot read the configuration: %s%s", path, why,
		    fallback == 1 ? " (HOME is not set, so it was looked for in the "
		    "working directory; use -c)" : "");
		return -1;
	}
	r = xpmgr_conf_parse(c, path, buf, len, err, errlen);
	free(buf);
	if (r == -1)
		return -1;
	if (fallback == 1) {
		/* Put it first: it explains every path that follows. */
		c->diag = xrealloc(c->diag, (c->ndiag + 1) * sizeof(*c->diag));
		memmove(c->diag + 1, c->diag, c->ndiag * sizeof(*c->diag));
		c->diag[0].level = XPMGR_WARN;
		c->diag[0].msg = xstrdup("HOME is not set: using xpmgr.conf in the "
		    "working directory");
		c->ndiag++;
	}
	if (xpmgr_conf_apply_cli(c, cli, err, errlen) == -1 ||
	    xpmgr_conf_finish(c, load_random, NULL, err, errlen) == -1 ||
	    xpmgr_conf_check_paths(c, err, errlen) == -1)
		return -1;
	return 0;
}

/* getrandom(2) blocks only until the kernel pool is first seeded. */
static int
load_random(void *ctx, uint8_t *buf, size_t n)
{
	ssize_t	 r;
	size_t	 got = 0;

	while (got < n) {
		r = getrandom(buf + got, n - got, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int
check_path(const struct xpmgr_conf *c, unsigned line, const char *directive,
    const char *field, const char *path, enum pl_path_kind kind, char *err,
    size_t errlen)
{
	char	 why[256];

	if (path == NULL || pl_path_check(path, kind, why, sizeof(why)) == 0)
		return 0;
	return xpmgr_conf_err(c, err, errlen, line, directive, "%s%s%s: %s",
	    field != NULL ? field : "", field != NULL ? " " : "", path, why);
}

static int
check_list(const struct xpmgr_conf *c, unsigned line, const char *directive,
    const char *field, const struct xpmgr_strlist *l, char *err, size_t errlen)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		if (check_path(c, line, directive, field, l->v[i], PL_PATH_FILE, err,
		    errlen) == -1)
			return -1;
	return 0;
}

int
xpmgr_conf_check_paths(const struct xpmgr_conf *c, char *err, size_t errlen)
{
	const struct xpmgr_expexec	*e;
	size_t				 i;

#define LINE(d)	c->line[d], xpmgr_directive_name(d), NULL
	if (check_path(c, LINE(XPDIR_CTRL_KEY), c->ctrl_key, PL_PATH_FILE, err,
	    errlen) == -1 ||
	    check_path(c, LINE(XPDIR_PUB_AGENT_CERT), c->pub_agent_cert, PL_PATH_FILE,
	    err, errlen) == -1 ||
	    check_list(c, LINE(XPDIR_BROKER_ROOTS), &c->broker_roots, err, errlen) == -1 ||
	    check_path(c, LINE(XPDIR_PROG_DIR), c->prog_dir, PL_PATH_DIR, err,
	    errlen) == -1 ||
	    check_path(c, LINE(XPDIR_BACKLOG_AGENT_CERT), c->backlog_agent_cert,
	    PL_PATH_FILE, err, errlen) == -1 ||
	    check_list(c, LINE(XPDIR_PROXY_ROOTS), &c->proxy_roots, err, errlen) == -1)
		return -1;
#undef LINE
	for (i = 0; i < c->nexp; i++) {
		e = &c->exp[i];
		if (check_list(c, e->line, "ExpExec", "EXPPRIVCHAIN_PATH", &e->chain,
		    err, errlen) == -1 ||
		    check_list(c, e->line, "ExpExec", "TRUSTEDEOP_PATH", &e->trusted,
		    err, errlen) == -1)
			return -1;
	}
	return 0;
}
