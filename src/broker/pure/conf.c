/*
 * conf.c: broker.conf, in the Key Value format of xpmgr.conf (conf/kv.h).
 * 1.1.0 ships no broker, so the directives are ours; the last occurrence
 * of a directive wins, as for string directives in 1.1.0.  Every error
 * names the file and line.  Relative paths are taken from the cwd, as in
 * the other PacketLab configuration files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/addr.h"
#include "conf/kv.h"
#include "util/util.h"
#include "broker/pure/bk.h"

#define BK_DEF_PUB	"0.0.0.0:20556"
#define BK_DEF_SUB	"0.0.0.0:20557"

static void	 set_str(char **, const struct pl_kv *);
static int	 set_roots(struct bk_conf *, const struct pl_kv *, char *, size_t);

int
bk_conf_parse(struct bk_conf *c, const char *path, const char *buf, size_t len,
    char *why, size_t whylen)
{
	struct pl_kv_lexer lx;
	struct pl_kv	 kv;
	struct pl_hostport hp;
	char		 r[256], q[PL_QUOTE_MAX];
	uint64_t	 v;
	int		 rc;

	memset(c, 0, sizeof(*c));
	c->path = xstrdup(path);
	c->handshake_timeout = 10ull * 1000000000ull;
	c->request_timeout = 30ull * 1000000000ull;
	pl_kv_init(&lx, buf, len);
	while ((rc = pl_kv_next(&lx, &kv, r, sizeof(r))) != 0) {
		if (rc == -1)
			goto bad;
		if (kv.vallen == 0) {
			snprintf(r, sizeof(r), "%.*s needs a value", (int)kv.keylen,
			    kv.key);
			goto bad;
		}
		if (pl_kv_is(&kv, "BrokerPrivKeyPath")) {
			set_str(&c->key, &kv);
		} else if (pl_kv_is(&kv, "BrokerAgentCertPath")) {
			set_str(&c->cert, &kv);
		} else if (pl_kv_is(&kv, "ClientCertRootPath")) {
			if (set_roots(c, &kv, r, sizeof(r)) == -1)
				goto bad;
		} else if (pl_kv_is(&kv, "PubListen") || pl_kv_is(&kv, "SubListen")) {
			set_str(pl_kv_is(&kv, "PubListen") ? &c->pub_listen :
			    &c->sub_listen, &kv);
			if (pl_addr_split(pl_kv_is(&kv, "PubListen") ? c->pub_listen :
			    c->sub_listen, 1, &hp, r, sizeof(r)) == -1)
				goto bad;
			if (!hp.has_port) {
				snprintf(r, sizeof(r), "%s: give a port",
				    pl_val_quote(kv.val, kv.vallen, q, sizeof(q)));
				goto bad;
			}
		} else if (pl_kv_is(&kv, "HandshakeTimeout") ||
		    pl_kv_is(&kv, "RequestTimeout")) {
			if (pl_val_duration(kv.val, kv.vallen, &v, r, sizeof(r)) == -1)
				goto bad;
			if (v == 0) {
				snprintf(r, sizeof(r), "a timeout of 0 is not allowed");
				goto bad;
			}
			if (pl_kv_is(&kv, "HandshakeTimeout"))
				c->handshake_timeout = v;
			else
				c->request_timeout = v;
		} else if (pl_kv_is(&kv, "MaxConnections")) {
			if (pl_val_u64(kv.val, kv.vallen, &v, r, sizeof(r)) == -1)
				goto bad;
			if (v > 10000000) {
				snprintf(r, sizeof(r), "%llu: at most 10000000",
				    (unsigned long long)v);
				goto bad;
			}
			c->max_conns = (unsigned)v;
		} else {
			snprintf(r, sizeof(r), "unknown directive %s",
			    pl_val_quote(kv.key, kv.keylen, q, sizeof(q)));
			goto bad;
		}
	}
	if (c->key == NULL || c->cert == NULL) {
		snprintf(why, whylen, "%s: %s is required", path, c->key == NULL ?
		    "BrokerPrivKeyPath" : "BrokerAgentCertPath");
		bk_conf_clear(c);
		return -1;
	}
	if (c->pub_listen == NULL)
		c->pub_listen = xstrdup(BK_DEF_PUB);
	if (c->sub_listen == NULL)
		c->sub_listen = xstrdup(BK_DEF_SUB);
	return 0;
bad:
	snprintf(why, whylen, "%s:%u: %s", path, lx.line, r);
	bk_conf_clear(c);
	return -1;
}

void
bk_conf_clear(struct bk_conf *c)
{
	size_t	 i;

	free(c->path);
	free(c->key);
	free(c->cert);
	for (i = 0; i < c->nroots; i++)
		free(c->roots[i]);
	free(c->roots);
	free(c->pub_listen);
	free(c->sub_listen);
	memset(c, 0, sizeof(*c));
}

static void
set_str(char **dst, const struct pl_kv *kv)
{
	free(*dst);
	*dst = xstrndup(kv->val, kv->vallen);
}

static int
set_roots(struct bk_conf *c, const struct pl_kv *kv, char *why, size_t whylen)
{
	const char	*e;
	size_t		 off = 0, elen, i;

	if (pl_val_list_check(kv->val, kv->vallen, why, whylen) == -1)
		return -1;
	for (i = 0; i < c->nroots; i++)
		free(c->roots[i]);
	free(c->roots);
	c->roots = NULL;
	c->nroots = 0;
	while (pl_val_list_next(kv->val, kv->vallen, &off, &e, &elen) == 1) {
		c->roots = xrealloc(c->roots, (c->nroots + 1) * sizeof(*c->roots));
		c->roots[c->nroots++] = xstrndup(e, elen);
	}
	return 0;
}
