/*
 * check.c: pktxpmgr -t.  Loads everything a run would load, as start-up
 * does, but opens no socket and resolves no name: the controller key, the
 * agent certificates and root keys, every ExpExec chain verified against its
 * trusted keys, the TLS server context built from them, the monitor
 * programs the chains ask for, and MLET.  Like nginx -t: the plan goes to
 * stdout, each problem to stderr as "file:line: directive: reason", and the
 * exit status is 0 or 1.  It does not stop at the first problem.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ssl.h>

#include "conf/file.h"
#include "cred/cred.h"
#include "cred/tls.h"
#include "util/log.h"
#include "util/util.h"
#include "xpmgr/daemon.h"
#include "xpmgr/pure/xpub.h"
#include "xpmgr.h"

/* What one ExpExec entry left behind for the TLS context and the summary. */
struct check_entry {
	struct cred_certs	 certs;		/* leaf first */
	struct cred_keys	 roots;
	struct cred_chain	 chain;
	int			 ok;
	char			*keychan;	/* hex of the key channel, or NULL */
};

static int	check_fail(const struct xpmgr_conf *c, unsigned line,
		    const char *directive, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));
static int	check_agent(const struct xpmgr_conf *c, enum xpmgr_directive d,
		    const char *path, const EVP_PKEY *key);
static int	check_roots(const struct xpmgr_conf *c, enum xpmgr_directive d,
		    const struct xpmgr_strlist *l);
static int	check_entry(const struct xpmgr_conf *c, size_t i, const EVP_PKEY *key,
		    struct check_entry *ce);
static int	check_tls(const struct xpmgr_conf *c, EVP_PKEY *key,
		    struct check_entry *ce);
static int	check_monitors(const struct xpmgr_conf *c, const struct check_entry *ce);
static int	check_publication(const struct xpmgr_conf *c, const struct check_entry *ce);

/* Report one problem (FATAL: it fails the check); returns 1 to count. */
static int
check_fail(const struct xpmgr_conf *c, unsigned line, const char *directive,
    const char *fmt, ...)
{
	char	 msg[XPMGR_ERRLEN], err[XPMGR_ERRLEN];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	xpmgr_conf_err(c, err, sizeof(err), line, directive, "%s", msg);
	log_fatalx("%s", err);
	return 1;
}

int
xpmgr_check(const struct xpmgr_conf *c)
{
	struct cred_pass	 pass = { NULL, CRED_PASS_ENV, 1 };
	struct check_entry	*ce;
	struct cred_err		 err;
	EVP_PKEY		*key;
	char			 why[256], *text;
	const char		**keychan;
	int			 bad = 0;
	size_t			 i;

	/* MLET is run with execve: no PATH search, relative to the cwd. */
	if (pl_path_check(c->mlet, PL_PATH_EXEC, why, sizeof(why)) == -1) {
		log_fatalx("MLET %s: %s", c->mlet, why);
		bad++;
	}
	key = cred_key_load(c->ctrl_key, &pass, &err);
	if (key == NULL)
		bad += check_fail(c, c->line[XPDIR_CTRL_KEY], "ControllerPrivkeyPath",
		    "%s", err.msg);
	if (c->enable_pub) {
		if (key != NULL)
			bad += check_agent(c, XPDIR_PUB_AGENT_CERT, c->pub_agent_cert, key);
		bad += check_roots(c, XPDIR_BROKER_ROOTS, &c->broker_roots);
	}
	if (c->proxy_mode) {
		if (key != NULL && c->backlog_agent_cert != NULL)
			bad += check_agent(c, XPDIR_BACKLOG_AGENT_CERT,
			    c->backlog_agent_cert, key);
		bad += check_roots(c, XPDIR_PROXY_ROOTS, &c->proxy_roots);
	}

	ce = xcalloc(c->nexp, sizeof(*ce));
	keychan = xcalloc(c->nexp, sizeof(*keychan));
	for (i = 0; i < c->nexp; i++) {
		if (key != NULL)
			bad += check_entry(c, i, key, &ce[i]);
		keychan[i] = ce[i].keychan;
	}
	if (bad == 0)
		bad += check_tls(c, key, ce);

	if ((text = xpmgr_conf_summary(c, keychan)) != NULL) {
		fputs(text, stdout);
		free(text);
	}
	if (bad == 0)
		bad += check_monitors(c, ce);
	if (bad == 0 && c->enable_pub)
		bad += check_publication(c, ce);
	fflush(stdout);

	for (i = 0; i < c->nexp; i++) {
		cred_chain_free(&ce[i].chain);
		cred_keys_free(&ce[i].roots);
		cred_certs_free(&ce[i].certs);
		free(ce[i].keychan);
	}
	free(ce);
	free(keychan);
	EVP_PKEY_free(key);
	if (bad > 0) {
		log_fatalx("check failed: %d problem%s in %s", bad, bad == 1 ? "" : "s",
		    c->path);
		return -1;
	}
	printf("check passed: %s\n", c->path);
	return 0;
}

/* An agent certificate for the broker or the proxy: ours, well formed, in date. */
static int
check_agent(const struct xpmgr_conf *c, enum xpmgr_directive d, const char *path,
    const EVP_PKEY *key)
{
	struct cred_certs	 certs;
	struct cred_chain	 chain;
	struct cred_err		 err;
	uint8_t			 id[CRED_KEYID_LEN];
	int			 bad = 0;

	memset(&certs, 0, sizeof(certs));
	memset(&chain, 0, sizeof(chain));
	if (cred_certs_load(&certs, &path, 1, &err) == -1 ||
	    cred_chain_verify(&certs, NULL, CRED_MODE_AGENT, (int64_t)time(NULL), &chain,
	    &err) != CRED_OK)
		bad = check_fail(c, c->line[d], xpmgr_directive_name(d), "%s", err.msg);
	else if (cred_keyid(key, id) == -1 ||
	    memcmp(chain.cert[0].ski, id, sizeof(id)) != 0)
		bad = check_fail(c, c->line[d], xpmgr_directive_name(d), "%s: the "
		    "certificate is not issued to the controller key (%s)",
		    cred_basename(path), cred_basename(c->ctrl_key));
	cred_chain_free(&chain);
	cred_certs_free(&certs);
	return bad;
}

static int
check_roots(const struct xpmgr_conf *c, enum xpmgr_directive d,
    const struct xpmgr_strlist *l)
{
	struct cred_keys	 keys;
	struct cred_err		 err;
	int			 bad = 0;

	memset(&keys, 0, sizeof(keys));
	if (l->n > 0 && cred_keys_load(&keys, (const char *const *)l->v, l->n, &err) == -1)
		bad = check_fail(c, c->line[d], xpmgr_directive_name(d), "%s", err.msg);
	cred_keys_free(&keys);
	return bad;
}

/*
 * One entry, as start-up loads it: the trusted keys, the chain with the
 * certificate of the controller key first, verified as an endpoint will.
 */
static int
check_entry(const struct xpmgr_conf *c, size_t i, const EVP_PKEY *key,
    struct check_entry *ce)
{
	const struct xpmgr_expexec	*e = &c->exp[i];
	char				 hex[2 * CRED_KEYID_LEN + 1], why[400];

	if (xp_entry_load(c, i, key, &ce->certs, &ce->roots, &ce->chain, why,
	    sizeof(why)) == -1)
		return check_fail(c, e->line, "ExpExec", "%s", why);
	/* The key channel is the id of the operator key that roots the chain. */
	if (ce->roots.n > 0)
		ce->keychan = xstrdup(pl_hex(ce->chain.top_aki, CRED_KEYID_LEN, hex));
	ce->ok = 1;
	return 0;
}

/* The server context start-up would build: SNI keys, default entry, leaves. */
static int
check_tls(const struct xpmgr_conf *c, EVP_PKEY *key, struct check_entry *ce)
{
	struct cred_tls_entry	*te;
	struct cred_err		 err;
	SSL_CTX			*ctx;
	size_t			 i;

	te = xcalloc(c->nexp, sizeof(*te));
	for (i = 0; i < c->nexp; i++) {
		te[i].snikey = c->exp[i].snikey;
		te[i].is_default = c->exp[i].is_default;
		te[i].chain = &ce[i].certs;
		te[i].roots = &ce[i].roots;
	}
	ctx = cred_tls_server_ctx(key, te, c->nexp, &err);
	free(te);
	if (ctx == NULL)
		return check_fail(c, 0, NULL, "TLS server context: %s", err.msg);
	SSL_CTX_free(ctx);
	return 0;
}

/*
 * The monitor programs each chain lists, and where they come from.  A
 * missing one is a warning, as at run time (the endpoint decides).
 */
static int
check_monitors(const struct xpmgr_conf *c, const struct check_entry *ce)
{
	struct xp_progs		 progs;
	const struct xp_prog	*p;
	char			 why[256], hex[2 * CRED_DIGEST_LEN + 1];
	size_t			 i, j;

	memset(&progs, 0, sizeof(progs));
	if (c->prog_dir != NULL &&
	    xp_progs_load(c->prog_dir, &progs, why, sizeof(why)) == -1)
		return check_fail(c, c->line[XPDIR_PROG_DIR], "ProgramDirPath", "%s", why);
	for (i = 0; i < c->nexp; i++) {
		for (j = 0; j < ce[i].chain.eff.nmonitor; j++) {
			pl_hex(ce[i].chain.eff.monitor[j].d, CRED_DIGEST_LEN, hex);
			p = xp_progs_find(&progs, ce[i].chain.eff.monitor[j].d);
			printf("ExpExec (line %u) monitor %s: %s\n", c->exp[i].line, hex,
			    p != NULL ? p->name : "no such program in ProgramDirPath");
			if (p == NULL)
				log_warnx("%s:%u: ExpExec: the chain lists monitor %s, which "
				    "ProgramDirPath does not hold; endpoints may refuse "
				    "the experiment", c->path, c->exp[i].line, hex);
		}
	}
	xp_progs_free(&progs);
	return 0;
}

/*
 * The publication a run would make, message by message, per entry in the
 * order they are sent (reverse config order): the XCERTs, then the exact
 * XPUB (channels, eopkey, xdescr).  pub_end is shown as if publication
 * started now.  Nothing is contacted.
 */
static int
check_publication(const struct xpmgr_conf *c, const struct check_entry *ce)
{
	struct xp_pubplan	*p;
	const struct check_entry *x;
	uint8_t			 eopkey[PL_EOPKEY_LEN];
	char			 why[600], chans[XP_CHANS_TEXT_MAX], hex[2 * PL_EOPKEY_LEN + 1];
	uint64_t		 now = pl_time_now();
	size_t			 i, j, k;
	int			 bad = 0;

	if (c->hostid != NULL && xp_hostid_check(c->hostid, why, sizeof(why)) == -1)
		return check_fail(c, 0, NULL, "%s", why);
	/* No pub_end anywhere: the configuration's own warning says so. */
	if (XPMGR_HAS(c, XPDIR_PUB_PERIOD) && c->pub_period == 0)
		log_warnx("%s:%u: PubPeriod 0: publication ends as soon as it is made, "
		    "as in 1.1.0", c->path, c->line[XPDIR_PUB_PERIOD]);
	printf("publication plan (sent in this order; pub_end as if started now):\n");
	p = xmalloc(sizeof(*p));
	for (k = 0, i = c->nexp; i-- > 0; k++) {
		x = &ce[i];
		if (x->roots.n > 0 && cred_key_raw(x->roots.key[x->chain.root], eopkey) == -1) {
			bad += check_fail(c, c->exp[i].line, "ExpExec", "cannot read the "
			    "EOp key");
			continue;
		}
		if (xp_pubplan_build(c, i, x->roots.n > 0 ? x->chain.top_aki : NULL,
		    x->roots.n > 0 ? eopkey : NULL, now, NULL, p, why, sizeof(why)) == -1) {
			bad += check_fail(c, c->exp[i].line, "ExpExec", "%s", why);
			continue;
		}
		printf("%zu. ExpExec (line %u):\n", k + 1, c->exp[i].line);
		for (j = 0; x->roots.n > 0 && j < x->chain.n; j++)
			printf("  XCERT %s (%zu bytes)\n", x->chain.cert[j].label,
			    x->chain.cert[j].derlen);
		printf("  XPUB channels:   %s\n", xp_pubplan_chans(p, chans, sizeof(chans)));
		printf("  XPUB eopkey:     %s\n", x->roots.n > 0 ?
		    pl_hex(p->eopkey, PL_EOPKEY_LEN, hex) : "zero (32 zero bytes: no "
		    "trusted keys)");
		printf("  XPUB xdescr:     %s\n", p->xdescr);
		if (!p->sendable)
			printf("  (controller_addr is the local address of the broker "
			    "connection, known once connected)\n");
	}
	free(p);
	return bad;
}
