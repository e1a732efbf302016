/*
 * check.c: what the broker checks at an xpub (broker spec §2.2) and an xsub
 * (§2.3), in the order the spec gives, and the errid each failure answers
 * (§2.6).  The certificates received before the message are verified as a
 * chain whose leaf belongs to the client's agent key and whose top is
 * signed by the message's eopkey.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <pktlab/nvp.h>
#include <pktlab/wire.h>

#include "conf/addr.h"
#include "conf/kv.h"
#include "cred/cred.h"
#include "broker/pure/bk.h"

static uint16_t	 check_chain(enum bk_side, uint8_t *const *, const size_t *, size_t,
		    const uint8_t *, const uint8_t *, int64_t, struct bk_chset *,
		    char *, size_t);
static uint16_t	 check_xdescr(const char *, size_t, uint64_t *, char *, size_t);
static int	 chset_has(const struct bk_chset *, const uint8_t *, size_t);
static void	 chset_add(struct bk_chset *, const uint8_t *, size_t);
static int	 dec_u64(const char *, size_t, uint64_t *);

static const uint8_t zero_key[BK_KEY_LEN];

uint16_t
bk_check(enum bk_side side, const uint8_t *body, size_t bodylen,
    uint8_t *const *cert, const size_t *certlen, size_t ncert,
    const uint8_t agent[BK_KEY_LEN], int64_t now, struct bk_req *req,
    char *why, size_t whylen)
{
	const int	 pub = side == BK_SIDE_PUB;
	const uint16_t	 e_chl = pub ? PL_EPUBBADCHL : PL_ESUBBADCHL;
	const uint16_t	 e_chn = pub ? PL_EPUBBADCHN : PL_ESUBBADCHN;
	struct pl_chlist cl;
	struct bk_chset	 allowed;
	struct pl_nvp_err nerr;
	const uint8_t	*eopkey;
	const char	*cwhy;
	ssize_t		 span;
	size_t		 i;
	uint16_t	 e;

	memset(req, 0, sizeof(*req));
	req->pub_end = UINT64_MAX;
	memset(&allowed, 0, sizeof(allowed));

	/* 1. The channel list: well formed, not empty, then the eopkey. */
	if ((span = pl_chlist_span(body, bodylen, &cl, &cwhy)) < 0) {
		snprintf(why, whylen, "channel list: %s", cwhy);
		return e_chl;
	}
	if (cl.cnt == 0) {
		snprintf(why, whylen, "empty channel list");
		return e_chl;
	}
	if (bodylen - (size_t)span < BK_KEY_LEN) {
		snprintf(why, whylen, "body ends before the 32-byte eopkey");
		return e_chl;
	}
	for (i = 0; i < cl.cnt; i++)
		chset_add(&req->ch, cl.id[i], cl.len[i]);
	eopkey = body + span;
	req->descr = (const char *)eopkey + BK_KEY_LEN;
	req->dlen = bodylen - (size_t)span - BK_KEY_LEN;

	/* The descriptor (xpub: §2.2 items 4-6) or the dattr (xsub: item 2). */
	if (!pub) {
		if (req->dlen > BK_DATTR_MAX) {
			snprintf(why, whylen, "dattr of %zu bytes (limit %d)",
			    req->dlen, BK_DATTR_MAX);
			return PL_ESUBBADDA;
		}
		if (pl_nvp_validate(req->descr, req->dlen, PL_NVP_DATTR, &nerr) < 0) {
			snprintf(why, whylen, "dattr: %s", nerr.msg);
			return PL_ESUBBADDA;
		}
	}

	/* 2-3. The chain and the private (32-byte) channels it grants. */
	if (memcmp(eopkey, zero_key, BK_KEY_LEN) != 0) {
		if ((e = check_chain(side, cert, certlen, ncert, agent, eopkey,
		    now, &allowed, why, whylen)) != 0)
			return e;
	}
	for (i = 0; i < req->ch.n; i++) {
		if (req->ch.len[i] != 32 ||
		    chset_has(&allowed, req->ch.id[i], 32))
			continue;
		if (memcmp(eopkey, zero_key, BK_KEY_LEN) == 0)
			snprintf(why, whylen, "private channel %zu (32 bytes) with a "
			    "zero eopkey: only public channels are allowed", i + 1);
		else
			snprintf(why, whylen, "private channel %zu is not granted by "
			    "the certificate chain", i + 1);
		return e_chn;
	}
	if (pub)
		return check_xdescr(req->descr, req->dlen, &req->pub_end, why, whylen);
	return 0;
}

/*
 * The certificates as a chain rooted at eopkey whose leaf is the agent key:
 * a controller experiment chain (pubcmd, delpriv*, exppriv) granting the
 * channel keyid(eopkey), or an endpoint chain (subcmd, delpriv(reppriv)*)
 * granting the AKI of each of its certificates.
 */
static uint16_t
check_chain(enum bk_side side, uint8_t *const *cert, const size_t *certlen,
    size_t ncert, const uint8_t *agent, const uint8_t *eopkey, int64_t now,
    struct bk_chset *allowed, char *why, size_t whylen)
{
	const uint16_t	 e_chn = side == BK_SIDE_PUB ? PL_EPUBBADCHN : PL_ESUBBADCHN;
	struct cred_certs certs;
	struct cred_keys roots;
	struct cred_chain chain;
	struct cred_err	 err;
	EVP_PKEY	*root = NULL, *k;
	X509		*x;
	const uint8_t	*p;
	uint8_t		 raw[CRED_RAWKEY_LEN], id[CRED_KEYID_LEN];
	char		 label[48];
	size_t		 i, leaf = ncert;
	uint16_t	 rc = e_chn;

	memset(&certs, 0, sizeof(certs));
	memset(&roots, 0, sizeof(roots));
	memset(&chain, 0, sizeof(chain));
	if (ncert == 0) {
		snprintf(why, whylen, "non-zero eopkey but no certificate was sent");
		return e_chn;
	}
	for (i = 0; i < ncert; i++) {
		p = cert[i];
		if ((x = d2i_X509(NULL, &p, (long)certlen[i])) == NULL ||
		    p != cert[i] + certlen[i]) {
			X509_free(x);
			snprintf(why, whylen, "certificate %zu is not one DER "
			    "certificate", i + 1);
			goto out;
		}
		snprintf(label, sizeof(label), "certificate %zu", i + 1);
		cred_certs_add(&certs, x, label);
		X509_free(x);
		if (leaf == ncert && (k = X509_get0_pubkey(certs.x[i])) != NULL &&
		    cred_key_raw(k, raw) == 0 && memcmp(raw, agent, BK_KEY_LEN) == 0)
			leaf = i;
	}
	if (leaf == ncert) {
		snprintf(why, whylen, "no certificate is for the client's agent key");
		goto out;
	}
	/* The verifier wants the leaf first; the rest may come in any order. */
	x = certs.x[0], certs.x[0] = certs.x[leaf], certs.x[leaf] = x;
	if ((root = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, eopkey,
	    BK_KEY_LEN)) == NULL) {
		snprintf(why, whylen, "eopkey is not an Ed25519 key");
		goto out;
	}
	cred_keys_add(&roots, root, "eopkey");
	if (cred_chain_verify(&certs, &roots, side == BK_SIDE_PUB ?
	    CRED_MODE_ENDPOINT_AUTH_CONTROLLER : CRED_MODE_CONTROLLER_AUTH_ENDPOINT,
	    now, &chain, &err) != CRED_OK) {
		snprintf(why, whylen, "chain not rooted at eopkey: %s", err.msg);
		goto out;
	}
	if (side == BK_SIDE_PUB) {
		cred_keyid_raw(eopkey, id);
		chset_add(allowed, id, sizeof(id));
	} else
		for (i = 0; i < chain.n; i++)
			chset_add(allowed, chain.cert[i].aki, CRED_KEYID_LEN);
	rc = 0;
out:
	cred_chain_free(&chain);
	cred_keys_free(&roots);
	cred_certs_free(&certs);
	EVP_PKEY_free(root);
	return rc;
}

/*
 * The xdescr (§2.2 items 4-6): well formed and within the endpoint's limit,
 * one valid sni_key at most, exactly one usable controller_addr, numeric
 * exp_priority values, and a numeric pub_end (the last one counts, as at
 * the endpoint).
 */
static uint16_t
check_xdescr(const char *d, size_t dlen, uint64_t *pub_end, char *why,
    size_t whylen)
{
	struct pl_nvp_err nerr;
	struct pl_nvp	 p;
	uint64_t	 v;
	unsigned	 i, n;

	if (dlen > BK_XDESCR_MAX) {
		snprintf(why, whylen, "xdescr of %zu bytes (limit %d)", dlen,
		    BK_XDESCR_MAX);
		return PL_EPUBBADXD;
	}
	if (pl_nvp_validate(d, dlen, PL_NVP_XDESCR, &nerr) < 0) {
		snprintf(why, whylen, "xdescr: %s", nerr.msg);
		return PL_EPUBBADXD;
	}
	if ((n = pl_nvp_count(d, dlen, PL_NVP_XDESCR, "sni_key")) > 1) {
		snprintf(why, whylen, "xdescr: %u sni_key pairs", n);
		return PL_EPUBBADXD;
	}
	if (n == 1 && pl_nvp_find(d, dlen, PL_NVP_XDESCR, "sni_key", 0, &p) == 1 &&
	    !pl_snikey_valid(p.value, p.valuelen)) {
		snprintf(why, whylen, "xdescr: sni_key is not [a-z0-9]{1,63}");
		return PL_EPUBBADXD;
	}
	n = pl_nvp_count(d, dlen, PL_NVP_XDESCR, "pub_end");
	for (i = 0; i < n; i++)
		if (pl_nvp_find(d, dlen, PL_NVP_XDESCR, "pub_end", i, &p) == 1) {
			if (dec_u64(p.value, p.valuelen, &v) == -1) {
				snprintf(why, whylen, "xdescr: pub_end is not a "
				    "decimal time");
				return PL_EPUBBADXD;
			}
			*pub_end = v;
		}
	if ((n = pl_nvp_count(d, dlen, PL_NVP_XDESCR, "controller_addr")) != 1) {
		snprintf(why, whylen, "xdescr: %s controller_addr", n == 0 ?
		    "no" : "more than one");
		return PL_EPUBBADADDR;
	}
	if (pl_nvp_find(d, dlen, PL_NVP_XDESCR, "controller_addr", 0, &p) != 1 ||
	    !bk_ctrl_addr_ok(p.value, p.valuelen)) {
		snprintf(why, whylen, "xdescr: controller_addr is not a host name "
		    "or IPv4 address with an optional :PORT");
		return PL_EPUBBADADDR;
	}
	n = pl_nvp_count(d, dlen, PL_NVP_XDESCR, "exp_priority");
	for (i = 0; i < n; i++)
		if (pl_nvp_find(d, dlen, PL_NVP_XDESCR, "exp_priority", i, &p) != 1 ||
		    dec_u64(p.value, p.valuelen, &v) == -1 || v > UINT32_MAX) {
			snprintf(why, whylen, "xdescr: exp_priority is not a "
			    "32-bit decimal number");
			return PL_EPUBBADPR;
		}
	return 0;
}

/* ERRATA 5: what a 1.1.0 endpoint can dial (no IPv6, no wildcards). */
int
bk_ctrl_addr_ok(const char *s, size_t n)
{
	struct pl_hostport hp;
	char		 buf[PL_HOST_MAX + 8], why[128];
	size_t		 i;

	if (n == 0 || n >= sizeof(buf))
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[' || s[i] == ']' ||
		    s[i] == ' ' || s[i] == '\t' || s[i] == '/' || s[i] == ',' ||
		    s[i] == '(' || s[i] == ')')
			return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (pl_addr_split(buf, 20556, &hp, why, sizeof(why)) == -1)
		return 0;
	return !hp.is_ipv6 && hp.host[0] != '\0';
}

/* Digits only, at most 2^64-1 (conf/kv.h's rule for config numbers). */
static int
dec_u64(const char *s, size_t n, uint64_t *out)
{
	char	 why[8];

	return pl_val_u64(s, n, out, why, sizeof(why));
}

static int
chset_has(const struct bk_chset *c, const uint8_t *id, size_t len)
{
	size_t	 i;

	for (i = 0; i < c->n; i++)
		if (c->len[i] == len && memcmp(c->id[i], id, len) == 0)
			return 1;
	return 0;
}

/* Duplicates are dropped: one channel is one channel. */
static void
chset_add(struct bk_chset *c, const uint8_t *id, size_t len)
{
	if (len == 0 || len > 32 || c->n >= PL_CHLIST_MAX || chset_has(c, id, len))
		return;
	c->len[c->n] = (uint8_t)len;
	memcpy(c->id[c->n], id, len);
	c->n++;
}
