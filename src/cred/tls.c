/*
 * tls.c: the TLS contexts of tls.h.
 *
 * State lives in OpenSSL ex_data so it is freed with its owner: a struct
 * tls_ctx per SSL_CTX (the copied entry table or the client's roots) and a
 * struct tls_conn per SSL (the selected entry, the SNI received, the peer
 * chain our callback verified, and the reason of a failure).
 *
 * The server picks the entry in a ClientHello callback and sets that
 * entry's certificate, key and verify flags on the SSL itself, which is
 * what 1.1.0 does with its "await"/"conn" context swap, without the swap.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <pktlab/wire.h>

#include "cred/cred.h"
#include "cred/rec13.h"
#include "cred/tls.h"
#include "util/util.h"

enum ctx_kind { CTX_SNI_SERVER, CTX_PLAIN_SERVER, CTX_CLIENT };

struct srv_entry {
	char			 snikey[PL_SNIKEY_MAX + 1];
	struct cred_certs	 chain;
	struct cred_keys	 roots;
	STACK_OF(X509)		*extra;		/* chain[1..], not referenced */
	struct cred_tls_entry	 pub;		/* what cred_tls_server_entry gives */
};

struct tls_ctx {
	enum ctx_kind		 kind;
	EVP_PKEY		*key;
	struct srv_entry	*e;
	size_t			 n;
	struct cred_keys	 roots;		/* plain server and client */
	enum cred_mode		 mode;
	int64_t			 now;		/* 0: the real clock */
};

struct tls_conn {
	int			 entry;		/* -1 until the ClientHello */
	int			 has_sni;
	char			 sni[PL_SNIKEY_MAX + 1];
	int			 have_peer;
	struct cred_chain	 peer;
	char			 reason[600];	/* ours: verification, SNI */
	char			 alert[80];	/* the fatal alert the peer sent */
	/* cred_tls_keep_secrets: the application traffic secrets. */
	uint8_t			 csecret[REC13_SECRET_MAX];
	uint8_t			 ssecret[REC13_SECRET_MAX];
	uint8_t			 clen, slen;
};

static pthread_once_t	 idx_once = PTHREAD_ONCE_INIT;
static int		 ctx_idx = -1;
static int		 conn_idx = -1;

static void	 idx_init(void);
static void	 ctx_free(void *, void *, CRYPTO_EX_DATA *, int, long, void *);
static void	 conn_free(void *, void *, CRYPTO_EX_DATA *, int, long, void *);
static SSL_CTX	*ctx_new(struct tls_ctx *, struct cred_err *);
static void	 tctx_free(struct tls_ctx *);
static struct tls_conn *conn_get(const SSL *);
static void	 conn_reason(struct tls_conn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static STACK_OF(X509) *extra_chain(const struct cred_certs *);
static int	 client_hello_cb(SSL *, int *, void *);
static int	 parse_sni(const unsigned char *, size_t, const unsigned char **,
		    size_t *);
static int	 select_entry(SSL *, struct tls_ctx *, struct tls_conn *, int);
static int	 verify_cb(X509_STORE_CTX *, void *);
static void	 copy_certs(struct cred_certs *, const struct cred_certs *);
static void	 copy_keys(struct cred_keys *, const struct cred_keys *);

static void
idx_init(void)
{
	ctx_idx = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_CTX, 0, NULL,
	    NULL, NULL, ctx_free);
	conn_idx = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL, 0, NULL,
	    NULL, NULL, conn_free);
}

static void
ctx_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	tctx_free(ptr);
}

static void
conn_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	struct tls_conn	*c = ptr;

	if (c == NULL)
		return;
	if (c->have_peer)
		cred_chain_free(&c->peer);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

static void
tctx_free(struct tls_ctx *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		cred_certs_free(&t->e[i].chain);
		cred_keys_free(&t->e[i].roots);
		sk_X509_free(t->e[i].extra);
	}
	free(t->e);
	cred_keys_free(&t->roots);
	EVP_PKEY_free(t->key);
	free(t);
}

/* Settings every PacketLab link shares (certs spec §5.1). */
static SSL_CTX *
ctx_new(struct tls_ctx *t, struct cred_err *err)
{
	SSL_CTX	*ctx;

	if (pthread_once(&idx_once, idx_init) != 0 || ctx_idx < 0 ||
	    conn_idx < 0) {
		cred_seterr(err, "cannot register TLS ex_data");
		tctx_free(t);
		return NULL;
	}
	if ((ctx = SSL_CTX_new(TLS_method())) == NULL) {
		cred_setsslerr(err, "cannot create a TLS context");
		tctx_free(t);
		return NULL;
	}
	if (!SSL_CTX_set_ex_data(ctx, ctx_idx, t)) {
		cred_setsslerr(err, "cannot attach TLS context data");
		tctx_free(t);
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	/* No resumption: no NewSessionTicket, no session cache. */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_cert_verify_callback(ctx, verify_cb, NULL);
	SSL_CTX_set_info_callback(ctx, cred_tls_info_cb);
	return ctx;
}

SSL_CTX *
cred_tls_server_ctx(EVP_PKEY *key, const struct cred_tls_entry *ent, size_t n,
    struct cred_err *err)
{
	struct tls_ctx		*t;
	struct srv_entry	*e;
	SSL_CTX			*ctx;
	size_t			 i, j, ndef = 0;

	for (i = 0; i < n; i++) {
		const char *k = ent[i].snikey != NULL ? ent[i].snikey : "";

		if (*k != '\0' && !pl_snikey_valid(k, strlen(k))) {
			cred_seterr(err, "SNI key \"%s\" is not 1..63 of "
			    "[a-z0-9]", k);
			return NULL;
		}
		for (j = 0; *k != '\0' && j < i; j++)
			if (ent[j].snikey != NULL &&
			    strcmp(ent[j].snikey, k) == 0) {
				cred_seterr(err, "SNI key \"%s\" is used by two "
				    "entries", k);
				return NULL;
			}
		if (ent[i].is_default && ndef++ > 0) {
			cred_seterr(err, "more than one default entry");
			return NULL;
		}
		if (ent[i].chain == NULL || ent[i].chain->n == 0) {
			cred_seterr(err, "entry %zu has no certificate chain", i);
			return NULL;
		}
		if (X509_check_private_key(ent[i].chain->x[0], key) != 1) {
			cred_setsslerr(err, "%s does not belong to the "
			    "controller key", ent[i].chain->label[0]);
			return NULL;
		}
	}
	t = xcalloc(1, sizeof(*t));
	t->kind = CTX_SNI_SERVER;
	t->mode = CRED_MODE_CONTROLLER_AUTH_ENDPOINT;
	EVP_PKEY_up_ref(key);
	t->key = key;
	t->e = xcalloc(n, sizeof(*t->e));
	t->n = n;
	for (i = 0; i < n; i++) {
		e = &t->e[i];
		if (ent[i].snikey != NULL)
			pl_strlcpy(e->snikey, ent[i].snikey, sizeof(e->snikey));
		copy_certs(&e->chain, ent[i].chain);
		copy_keys(&e->roots, ent[i].roots);
		e->extra = extra_chain(&e->chain);
		e->pub = ent[i];
		e->pub.snikey = e->snikey;
		e->pub.chain = &e->chain;
		e->pub.roots = &e->roots;
	}
	if ((ctx = ctx_new(t, err)) == NULL)
		return NULL;
	/* The ClientHello callback sets the real flags per connection. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_client_hello_cb(ctx, client_hello_cb, NULL);
	return ctx;
}

SSL_CTX *
cred_tls_plain_server_ctx(EVP_PKEY *key, const struct cred_certs *chain,
    const struct cred_keys *roots, enum cred_mode mode, int require,
    struct cred_err *err)
{
	struct tls_ctx	*t;
	STACK_OF(X509)	*extra;
	SSL_CTX		*ctx;
	int		 ok;

	if (chain == NULL || chain->n == 0) {
		cred_seterr(err, "a TLS server needs a certificate");
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->kind = CTX_PLAIN_SERVER;
	t->mode = mode;
	copy_keys(&t->roots, roots);
	if ((ctx = ctx_new(t, err)) == NULL)
		return NULL;
	extra = extra_chain(chain);
	ok = SSL_CTX_use_cert_and_key(ctx, chain->x[0], key, extra, 1);
	sk_X509_free(extra);
	if (ok != 1) {
		cred_setsslerr(err, "%s does not go with the server key",
		    chain->label[0]);
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE |
	    (require ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
	return ctx;
}

SSL_CTX *
cred_tls_client_ctx(const struct cred_tls_client *cl, struct cred_err *err)
{
	struct tls_ctx	*t;
	STACK_OF(X509)	*extra;
	SSL_CTX		*ctx;
	int		 has_chain = cl->chain != NULL && cl->chain->n > 0, ok;

	if ((cl->key != NULL) != has_chain) {
		cred_seterr(err, "a client certificate needs its key and a key "
		    "needs its certificate");
		return NULL;
	}
	if (cl->mode == CRED_MODE_AGENT && has_chain && cl->chain->n != 1) {
		cred_seterr(err, "agent links carry exactly one certificate, "
		    "not %zu", cl->chain->n);
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->kind = CTX_CLIENT;
	t->mode = cl->mode;
	copy_keys(&t->roots, cl->roots);
	if ((ctx = ctx_new(t, err)) == NULL)
		return NULL;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (has_chain) {
		extra = extra_chain(cl->chain);
		ok = SSL_CTX_use_cert_and_key(ctx, cl->chain->x[0], cl->key,
		    extra, 1);
		sk_X509_free(extra);
		if (ok != 1) {
			cred_setsslerr(err, "%s does not go with the client "
			    "key", cl->chain->label[0]);
			SSL_CTX_free(ctx);
			return NULL;
		}
	}
	return ctx;
}

int
cred_tls_set_sni(SSL *ssl, const char *snikey, struct cred_err *err)
{
	if (snikey == NULL || !pl_snikey_valid(snikey, strlen(snikey)))
		return cred_seterr(err, "SNI key \"%s\" is not 1..63 of "
		    "[a-z0-9]", snikey != NULL ? snikey : "");
	if (!SSL_set_tlsext_host_name(ssl, snikey))
		return cred_setsslerr(err, "cannot set SNI");
	return 0;
}

void
cred_tls_set_time(SSL_CTX *ctx, int64_t now)
{
	struct tls_ctx	*t;

	if (ctx_idx >= 0 && (t = SSL_CTX_get_ex_data(ctx, ctx_idx)) != NULL)
		t->now = now;
}

static void
copy_certs(struct cred_certs *dst, const struct cred_certs *src)
{
	size_t	 i;

	for (i = 0; src != NULL && i < src->n; i++)
		cred_certs_add(dst, src->x[i], src->label[i]);
}

static void
copy_keys(struct cred_keys *dst, const struct cred_keys *src)
{
	size_t	 i;

	for (i = 0; src != NULL && i < src->n; i++)
		cred_keys_add(dst, src->key[i], src->label[i]);
}

/* The certificates sent after the leaf, in configuration order. */
static STACK_OF(X509) *
extra_chain(const struct cred_certs *cs)
{
	STACK_OF(X509)	*sk = sk_X509_new_null();
	size_t		 i;

	for (i = 1; sk != NULL && i < cs->n; i++)
		sk_X509_push(sk, cs->x[i]);
	return sk;
}

/* ------------------------------------------------------------------ */

static struct tls_conn *
conn_get(const SSL *ssl)
{
	struct tls_conn	*c;

	if (conn_idx < 0)
		return NULL;
	if ((c = SSL_get_ex_data(ssl, conn_idx)) != NULL)
		return c;
	c = xcalloc(1, sizeof(*c));
	c->entry = -1;
	/* ex_data is bookkeeping beside the connection, not its state. */
	if (!SSL_set_ex_data((SSL *)(uintptr_t)ssl, conn_idx, c)) {
		free(c);
		return NULL;
	}
	return c;
}

static void
conn_reason(struct tls_conn *c, const char *fmt, ...)
{
	va_list	 ap;

	if (c == NULL || c->reason[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
}

static int
client_hello_cb(SSL *ssl, int *al, void *arg)
{
	struct tls_ctx		*t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl),
				    ctx_idx);
	struct tls_conn		*c = conn_get(ssl);
	const unsigned char	*ext, *name;
	size_t			 len, nlen, i;
	int			 r;

	if (t == NULL || c == NULL) {
		*al = SSL_AD_INTERNAL_ERROR;
		return SSL_CLIENT_HELLO_ERROR;
	}
	if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &ext,
	    &len))
		len = 0;
	r = len <= 2 ? 0 : parse_sni(ext, len, &name, &nlen);
	if (r < 0) {
		conn_reason(c, "malformed SNI extension");
		*al = SSL_AD_DECODE_ERROR;
		return SSL_CLIENT_HELLO_ERROR;
	}
	if (r == 0) {
		c->has_sni = 0;
		for (i = 0; i < t->n; i++)
			if (t->e[i].pub.is_default)
				return select_entry(ssl, t, c, (int)i) < 0 ?
				    (*al = SSL_AD_INTERNAL_ERROR,
				    SSL_CLIENT_HELLO_ERROR) :
				    SSL_CLIENT_HELLO_SUCCESS;
		conn_reason(c, "no SNI and no default ExpExec entry");
		*al = SSL_AD_UNRECOGNIZED_NAME;
		return SSL_CLIENT_HELLO_ERROR;
	}
	if (!pl_snikey_valid((const char *)name, nlen)) {
		conn_reason(c, "SNI \"%.*s\" is not a valid SNI key",
		    (int)(nlen > 64 ? 64 : nlen), name);
		*al = SSL_AD_UNRECOGNIZED_NAME;
		return SSL_CLIENT_HELLO_ERROR;
	}
	memcpy(c->sni, name, nlen);
	c->sni[nlen] = '\0';
	c->has_sni = 1;
	for (i = 0; i < t->n; i++)
		if (strcmp(t->e[i].snikey, c->sni) == 0)
			return select_entry(ssl, t, c, (int)i) < 0 ?
			    (*al = SSL_AD_INTERNAL_ERROR,
			    SSL_CLIENT_HELLO_ERROR) : SSL_CLIENT_HELLO_SUCCESS;
	conn_reason(c, "unknown SNI \"%s\"", c->sni);
	*al = SSL_AD_UNRECOGNIZED_NAME;
	return SSL_CLIENT_HELLO_ERROR;
}

/*
 * The server_name extension body: a 2-byte list length, then entries of
 * type (1), length (2), name.  Exactly one host_name entry is accepted.
 * Returns 1 with the name, -1 when malformed.
 */
static int
parse_sni(const unsigned char *p, size_t len, const unsigned char **name,
    size_t *nlen)
{
	size_t	 l = (size_t)p[0] << 8 | p[1];

	if (l != len - 2 || l < 3)
		return -1;
	p += 2;
	if (p[0] != TLSEXT_NAMETYPE_host_name)
		return -1;
	*nlen = (size_t)p[1] << 8 | p[2];
	if (*nlen == 0 || 3 + *nlen != l)
		return -1;
	*name = p + 3;
	return 1;
}

static int
select_entry(SSL *ssl, struct tls_ctx *t, struct tls_conn *c, int i)
{
	struct srv_entry	*e = &t->e[i];
	int			 mode;

	if (SSL_use_cert_and_key(ssl, e->chain.x[0], t->key, e->extra, 1) != 1) {
		conn_reason(c, "cannot load the chain of entry %d", i);
		return -1;
	}
	/* A client certificate is always asked for, required with roots. */
	mode = SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE;
	if (e->roots.n > 0)
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_set_verify(ssl, mode, NULL);
	c->entry = i;
	return 0;
}

/* Replaces OpenSSL's X.509 verification with the pktlab chain rules. */
static int
verify_cb(X509_STORE_CTX *xs, void *arg)
{
	SSL			*ssl;
	struct tls_ctx		*t;
	struct tls_conn		*c;
	STACK_OF(X509)		*peer, *verified;
	const struct cred_keys	*roots;
	struct cred_certs	 certs;
	struct cred_err		 err;
	enum cred_verdict	 v;
	char			 label[48];
	size_t			 i;
	int			 n;

	ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl == NULL || (t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl),
	    ctx_idx)) == NULL || (c = conn_get(ssl)) == NULL) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_UNSPECIFIED);
		return 0;
	}
	roots = &t->roots;
	if (t->kind == CTX_SNI_SERVER)
		roots = c->entry >= 0 ? &t->e[c->entry].roots : NULL;
	memset(&certs, 0, sizeof(certs));
	peer = X509_STORE_CTX_get0_untrusted(xs);
	n = peer != NULL ? sk_X509_num(peer) : 0;
	for (i = 0; i < (size_t)n; i++) {
		snprintf(label, sizeof(label), "peer certificate %zu", i + 1);
		cred_certs_add(&certs, sk_X509_value(peer, (int)i), label);
	}
	if (c->have_peer) {
		cred_chain_free(&c->peer);
		c->have_peer = 0;
	}
	v = cred_chain_verify(&certs, roots, t->mode, t->now != 0 ? t->now :
	    (int64_t)time(NULL), &c->peer, &err);
	cred_certs_free(&certs);
	if (v != CRED_OK) {
		conn_reason(c, "%s chain rejected (%s): %s",
		    cred_mode_name(t->mode), cred_verdict_name(v), err.msg);
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	c->have_peer = 1;
	if ((verified = sk_X509_new_null()) == NULL) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_OUT_OF_MEM);
		return 0;
	}
	for (i = 0; i < c->peer.n; i++) {
		X509_up_ref(c->peer.cert[i].x509);
		sk_X509_push(verified, c->peer.cert[i].x509);
	}
	X509_STORE_CTX_set0_verified_chain(xs, verified);
	X509_STORE_CTX_set_error(xs, X509_V_OK);
	return 1;
}

/* Remembers the fatal alert the peer sent: the error queue that says so
 * may already have been drained by the caller's event library. */
void
cred_tls_info_cb(const SSL *ssl, int where, int ret)
{
	struct tls_conn	*c;
	const char	*desc;

	if (!(where & SSL_CB_READ_ALERT) || (ret >> 8) != SSL3_AL_FATAL ||
	    (c = conn_get(ssl)) == NULL || c->alert[0] != '\0')
		return;
	switch (ret & 0xff) {
	case 109:
		desc = "missing extension";
		break;
	case 116:
		desc = "certificate required";
		break;
	default:
		desc = SSL_alert_desc_string_long(ret);
	}
	snprintf(c->alert, sizeof(c->alert), "peer sent alert %d (%s)",
	    ret & 0xff, desc);
}

/* ------------------------------------------------------------------ */

int
cred_tls_server_entry(const SSL *ssl, const struct cred_tls_entry **ep)
{
	struct tls_ctx	*t;
	struct tls_conn	*c;

	if (ctx_idx < 0 || conn_idx < 0 ||
	    (t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_idx)) == NULL ||
	    t->kind != CTX_SNI_SERVER ||
	    (c = SSL_get_ex_data(ssl, conn_idx)) == NULL || c->entry < 0)
		return -1;
	if (ep != NULL)
		*ep = &t->e[c->entry].pub;
	return c->entry;
}

const char *
cred_tls_server_sni(const SSL *ssl)
{
	struct tls_conn	*c;

	if (conn_idx < 0 || (c = SSL_get_ex_data(ssl, conn_idx)) == NULL ||
	    !c->has_sni)
		return NULL;
	return c->sni;
}

const struct cred_chain *
cred_tls_peer_chain(const SSL *ssl)
{
	struct tls_conn	*c;

	if (conn_idx < 0 || (c = SSL_get_ex_data(ssl, conn_idx)) == NULL ||
	    !c->have_peer)
		return NULL;
	return &c->peer;
}

void
cred_tls_release(SSL *ssl)
{
	struct tls_conn	*c;

	if (conn_idx < 0 || (c = SSL_get_ex_data(ssl, conn_idx)) == NULL)
		return;
	(void)SSL_set_ex_data(ssl, conn_idx, NULL);
	if (c->have_peer)
		cred_chain_free(&c->peer);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

enum cred_hs
cred_tls_handshake(SSL *ssl, unsigned long *sslerr, int *syserr)
{
	int	 r;

	*sslerr = 0;
	*syserr = 0;
	ERR_clear_error();
	errno = 0;
	if ((r = SSL_do_handshake(ssl)) == 1)
		return CRED_HS_DONE;
	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return CRED_HS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return CRED_HS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return CRED_HS_CLOSED;
	case SSL_ERROR_SYSCALL:
		if ((*sslerr = ERR_peek_error()) == 0) {
			*syserr = errno;
			return errno == 0 || errno == ECONNRESET ||
			    errno == EPIPE ? CRED_HS_CLOSED : CRED_HS_FAILED;
		}
		break;
	default:
		*sslerr = ERR_peek_error();
		break;
	}
	ERR_clear_error();
	return CRED_HS_FAILED;
}

/*
 * The key-log line of a TLS 1.3 application traffic secret:
 * "CLIENT_TRAFFIC_SECRET_0 <client random, hex> <secret, hex>".
 */
static void
keylog_cb(const SSL *ssl, const char *line)
{
	struct tls_conn	*c;
	const char	*p;
	uint8_t		*dst, *lenp;
	size_t		 n = 0;
	int		 hi, lo;

	if (strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24) == 0)
		p = line + 24;
	else if (strncmp(line, "SERVER_TRAFFIC_SECRET_0 ", 24) == 0)
		p = line + 24;
	else
		return;
	if ((c = conn_get(ssl)) == NULL)
		return;
	if (line[0] == 'C') {
		dst = c->csecret;
		lenp = &c->clen;
	} else {
		dst = c->ssecret;
		lenp = &c->slen;
	}
	*lenp = 0;
	if ((p = strchr(p, ' ')) == NULL)
		return;
	for (p++; p[0] != '\0' && p[1] != '\0'; p += 2) {
		if ((hi = OPENSSL_hexchar2int((unsigned char)p[0])) < 0 ||
		    (lo = OPENSSL_hexchar2int((unsigned char)p[1])) < 0 ||
		    n == REC13_SECRET_MAX)
			return;
		dst[n++] = (uint8_t)(hi << 4 | lo);
	}
	if (*p == '\0')
		*lenp = (uint8_t)n;
}

int
cred_tls_keep_secrets(SSL_CTX *ctx)
{
	/* OpenSSL's default TLS 1.3 list, whatever openssl.cnf says. */
	if (SSL_CTX_set_ciphersuites(ctx, "TLS_AES_256_GCM_SHA384:"
	    "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256") != 1)
		return -1;
	SSL_CTX_set_keylog_callback(ctx, keylog_cb);
	return 0;
}

int
cred_tls_detach(SSL *ssl, struct rec13 *r, char *why, size_t whylen)
{
	struct tls_conn		*c;
	const SSL_CIPHER	*ciph;
	uint16_t		 suite;
	int			 rc;

	if (conn_idx < 0 || (c = SSL_get_ex_data(ssl, conn_idx)) == NULL ||
	    c->clen == 0 || c->slen == 0 || c->clen != c->slen) {
		snprintf(why, whylen, "the traffic secrets were not kept");
		return -1;
	}
	if (!SSL_is_init_finished(ssl) || SSL_version(ssl) != TLS1_3_VERSION) {
		snprintf(why, whylen, "no finished TLS 1.3 handshake");
		return -1;
	}
	if (SSL_has_pending(ssl)) {
		snprintf(why, whylen, "OpenSSL holds unread bytes");
		return -1;
	}
	if ((ciph = SSL_get_current_cipher(ssl)) == NULL) {
		snprintf(why, whylen, "no cipher suite");
		return -1;
	}
	suite = (uint16_t)SSL_CIPHER_get_protocol_id(ciph);
	if (SSL_is_server(ssl))
		rc = rec13_init(r, suite, c->csecret, c->ssecret, c->clen, why,
		    whylen);
	else
		rc = rec13_init(r, suite, c->ssecret, c->csecret, c->clen, why,
		    whylen);
	OPENSSL_cleanse(c->csecret, sizeof(c->csecret));
	OPENSSL_cleanse(c->ssecret, sizeof(c->ssecret));
	c->clen = c->slen = 0;
	return rc;
}

const char *
cred_tls_reason(const SSL *ssl, unsigned long e, char *buf, size_t len)
{
	struct tls_conn	*c = NULL;
	long		 vr;

	if (ssl != NULL && conn_idx >= 0)
		c = SSL_get_ex_data(ssl, conn_idx);
	if (c != NULL && c->reason[0] != '\0') {
		pl_strlcpy(buf, c->reason, len);
		return buf;
	}
	if (e == 0)
		e = ERR_peek_error();
	if (e != 0 && ERR_reason_error_string(e) != NULL) {
		pl_strlcpy(buf, ERR_reason_error_string(e), len);
		return buf;
	}
	if (c != NULL && c->alert[0] != '\0') {
		pl_strlcpy(buf, c->alert, len);
		return buf;
	}
	if (ssl != NULL && (vr = SSL_get_verify_result(ssl)) != X509_V_OK) {
		snprintf(buf, len, "certificate verification: %s",
		    X509_verify_cert_error_string(vr));
		return buf;
	}
	pl_strlcpy(buf, "TLS handshake failed", len);
	return buf;
}
