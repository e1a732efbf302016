/*
 * tlsglue.c: what the daemon needs from the credentials library: every
 * ExpExec entry's chain loaded and checked as at 1.1.0's start-up, the
 * monitor digests each chain lists, and the TLS server context.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "util/log.h"
#include "util/util.h"
#include "conf/xpconf.h"
#include "cred/cred.h"
#include "cred/tls.h"
#include "xpmgr/daemon.h"

struct xp_tls {
	EVP_PKEY	*key;		/* controller key */
	struct xp_entry	*e;
	size_t		 ne;
	SSL_CTX		*ctx;
};

static int	 entry_load(struct xp_tls *t, const struct xpmgr_conf *c, size_t i,
		    struct cred_certs *certs, struct cred_keys *roots, char *why,
		    size_t whylen);
static void	 xp_tls_warn_crash_110(const struct xpmgr_conf *c, unsigned line,
		    const struct cred_certs *certs);
static void	 entries_free(struct cred_certs *certs, struct cred_keys *roots,
		    size_t n);

struct xp_tls *
xp_tls_new(const struct xpmgr_conf *c, char *why, size_t whylen)
{
	struct xp_tls		*t;
	struct cred_pass	 pass = { NULL, CRED_PASS_ENV, 1 };
	struct cred_tls_entry	*te;
	struct cred_certs	*certs;
	struct cred_keys	*roots;
	struct cred_err		 err;
	size_t			 i;

	t = xcalloc(1, sizeof(*t));
	te = xcalloc(c->nexp, sizeof(*te));
	certs = xcalloc(c->nexp, sizeof(*certs));
	roots = xcalloc(c->nexp, sizeof(*roots));
	if ((t->key = cred_key_load(c->ctrl_key, &pass, &err)) == NULL) {
		/* file:line, as -t says it */
		(void)xpmgr_conf_err(c, why, whylen, c->line[XPDIR_CTRL_KEY],
		    "ControllerPrivkeyPath", "%s", err.msg);
		goto fail;
	}
	t->e = xcalloc(c->nexp, sizeof(*t->e));
	t->ne = c->nexp;
	for (i = 0; i < c->nexp; i++) {
		if (entry_load(t, c, i, &certs[i], &roots[i], why, whylen) == -1)
			goto fail;
		te[i].snikey = t->e[i].snikey;
		te[i].is_default = t->e[i].is_default;
		te[i].chain = &certs[i];
		te[i].roots = &roots[i];
		te[i].udata = &t->e[i];
	}
	if ((t->ctx = cred_tls_server_ctx(t->key, te, c->nexp, &err)) == NULL) {
		snprintf(why, whylen, "TLS server context: %s", err.msg);
		goto fail;
	}
	/* Sessions leave OpenSSL after the handshake (session.c). */
	if (cred_tls_keep_secrets(t->ctx) == -1) {
		snprintf(why, whylen, "TLS server context: cannot set the TLS 1.3 "
		    "cipher suites");
		goto fail;
	}
	entries_free(certs, roots, c->nexp);
	free(te);
	return t;
fail:
	entries_free(certs, roots, c->nexp);
	free(te);
	xp_tls_free(t);
	return NULL;
}

static void
entries_free(struct cred_certs *certs, struct cred_keys *roots, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		cred_certs_free(&certs[i]);
		cred_keys_free(&roots[i]);
	}
	free(certs);
	free(roots);
}

/*
 * One ExpExec entry, as start-up and -t load it: its trusted keys, its chain
 * with the certificate of the controller key first, verified as an endpoint
 * will (top signature unchecked when there are no trusted keys, as in
 * 1.1.0).  A chain that cannot work fails here rather than in every session.
 */
int
xp_entry_load(const struct xpmgr_conf *c, size_t i, const EVP_PKEY *key,
    struct cred_certs *certs, struct cred_keys *roots, struct cred_chain *chain,
    char *why, size_t whylen)
{
	const struct xpmgr_expexec	*x = &c->exp[i];
	struct cred_err			 err;
	const char			*what;

	if (cred_keys_load(roots, (const char *const *)x->trusted.v, x->trusted.n,
	    &err) == -1)
		what = "TRUSTEDEOP_PATH";
	else if (cred_certs_load(certs, (const char *const *)x->chain.v, x->chain.n,
	    &err) == -1 || cred_certs_leaf_first(certs, key, "the chain", &err) == -1)
		what = "EXPPRIVCHAIN_PATH";
	else {
		xp_tls_warn_crash_110(c, x->line, certs);
		if (cred_chain_verify(certs, roots->n > 0 ? roots : NULL,
		    CRED_MODE_ENDPOINT_AUTH_CONTROLLER, (int64_t)time(NULL), chain,
		    &err) == CRED_OK)
			return 0;
		what = "chain";
	}
	snprintf(why, whylen, "%s: %s", what, err.msg);
	return -1;
}

/* The entry's part of the server context, and its monitor digests. */
static int
entry_load(struct xp_tls *t, const struct xpmgr_conf *c, size_t i,
    struct cred_certs *certs, struct cred_keys *roots, char *why, size_t whylen)
{
	const struct xpmgr_expexec	*x = &c->exp[i];
	struct xp_entry			*e = &t->e[i];
	struct cred_chain		 chain;
	char				 what[400];

	memset(&chain, 0, sizeof(chain));
	e->snikey = x->snikey;
	e->is_default = x->is_default;
	if (xp_entry_load(c, i, t->key, certs, roots, &chain, what, sizeof(what)) == -1) {
		snprintf(why, whylen, "%s:%u: ExpExec: %s", c->path, x->line, what);
		cred_chain_free(&chain);
		return -1;
	}
	e->has_trusted = roots->n > 0;
	if (!e->has_trusted)
		/* 1.1.0 does the same, silently (xpmgr spec §2.5: a weakness). */
		log_warnx("%s:%u: ExpExec: TRUSTEDEOP_PATH is empty: any endpoint is "
		    "accepted, even one without a certificate, and an endpoint's "
		    "chain is checked for form only (its top signature is not "
		    "checked)", c->path, x->line);
	if (chain.eff.nmonitor > 0) {
		e->monitors = xcalloc(chain.eff.nmonitor, sizeof(*e->monitors));
		memcpy(e->monitors, chain.eff.monitor, chain.eff.nmonitor * 32);
		e->nmonitors = chain.eff.nmonitor;
	}
	cred_chain_free(&chain);
	return 0;
}

static void
xp_tls_warn_crash_110(const struct xpmgr_conf *c, unsigned line,
    const struct cred_certs *certs)
{
	enum cred_lim	 l;
	int		 i;

	if ((i = cred_certs_crash_110(certs, &l)) < 0)
		return;
	log_warnx("%s:%u: ExpExec: %s marks the limit %s optional (*%s): PacketLab "
	    "1.1.0 endpoints crash decoding it (they get every certificate of the "
	    "chain); have it reissued without the '*'", c->path, line,
	    certs->label[i], cred_lim_name(l), cred_lim_name(l));
}

EVP_PKEY *
xp_tls_key(struct xp_tls *t)
{
	return t->key;
}

void
xp_tls_free(struct xp_tls *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ne; i++)
		free(t->e[i].monitors);
	free(t->e);
	SSL_CTX_free(t->ctx);
	EVP_PKEY_free(t->key);
	free(t);
}

SSL *
xp_tls_ssl_new(struct xp_tls *t)
{
	SSL	*ssl;

	/*
	 * An idle session then holds no TLS record buffers (about 34 KiB):
	 * with 1,000 sessions held (bench/run) pktxpmgr's RSS per session
	 * drops from about 37 to 22 KiB, at no measurable relay cost.
	 */
	if ((ssl = SSL_new(t->ctx)) != NULL)
		SSL_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
	return ssl;
}

const struct xp_entry *
xp_tls_entry(struct xp_tls *t, SSL *ssl)
{
	int	 i;

	if ((i = cred_tls_server_entry(ssl, NULL)) < 0 || (size_t)i >= t->ne)
		return NULL;
	return &t->e[i];
}

size_t
xp_tls_peer_ncerts(SSL *ssl)
{
	const struct cred_chain	*pc = cred_tls_peer_chain(ssl);

	return pc != NULL ? pc->n : 0;
}

const char *
xp_tls_sni(SSL *ssl)
{
	return cred_tls_server_sni(ssl);
}

char *
xp_tls_failure(SSL *ssl, unsigned long err, char *out, size_t outlen)
{
	/* The alert for this one (certificate_required) has no name in OpenSSL 3.0. */
	if (ERR_GET_LIB(err) == ERR_LIB_SSL &&
	    ERR_GET_REASON(err) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
		snprintf(out, outlen, "the endpoint presented no certificate, and "
		    "this ExpExec entry requires one (it has trusted operator keys)");
		return out;
	}
	cred_tls_reason(ssl, err, out, outlen);
	return out;
}
