/*
 * rec13.c: TLS 1.3 record protection after the handshake (rec13.h).
 *
 * Per record (RFC 8446 §5.2-5.3): the header is the additional data, the
 * nonce is the direction's IV xor the 64-bit sequence number, and the
 * plaintext carries its real content type after the data, followed by
 * optional zero padding.  Keys come from the traffic secret with
 * HKDF-Expand-Label (§7.1); a KeyUpdate replaces the secret with
 * HKDF-Expand-Label(secret, "traffic upd", "", Hash.length) (§7.2).  Every
 * Expand here asks for at most one hash block, so HKDF-Expand is a single
 * HMAC over the label and the counter byte 1.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cred/rec13.h"

#define CT_APPDATA	23
#define CT_ALERT	21
#define CT_HANDSHAKE	22
#define CT_CCS		20
#define HS_KEY_UPDATE	24

struct suite {
	uint16_t	 id;
	const char	*name;
	uint8_t		 hashlen, keylen;
	const EVP_MD	*(*md)(void);
	const EVP_CIPHER *(*cipher)(void);
	EVP_CIPHER_CTX	*cctx;		/* cached, keyed per record */
};

static struct suite suites[] = {
	{ 0x1301, "TLS_AES_128_GCM_SHA256", 32, 16, EVP_sha256,
	    EVP_aes_128_gcm, NULL },
	{ 0x1302, "TLS_AES_256_GCM_SHA384", 48, 32, EVP_sha384,
	    EVP_aes_256_gcm, NULL },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256", 32, 32, EVP_sha256,
	    EVP_chacha20_poly1305, NULL },
};

static const struct {
	uint8_t		 code;
	const char	*name;
} alerts[] = {
	{ 0, "close_notify" }, { 10, "unexpected_message" },
	{ 20, "bad_record_mac" }, { 22, "record_overflow" },
	{ 40, "handshake_failure" }, { 42, "bad_certificate" },
	{ 43, "unsupported_certificate" }, { 44, "certificate_revoked" },
	{ 45, "certificate_expired" }, { 46, "certificate_unknown" },
	{ 47, "illegal_parameter" }, { 48, "unknown_ca" },
	{ 49, "access_denied" }, { 50, "decode_error" },
	{ 51, "decrypt_error" }, { 70, "protocol_version" },
	{ 71, "insufficient_security" }, { 80, "internal_error" },
	{ 86, "inappropriate_fallback" }, { 90, "user_canceled" },
	{ 109, "missing_extension" }, { 110, "unsupported_extension" },
	{ 112, "unrecognized_name" }, { 116, "certificate_required" },
	{ 120, "no_application_protocol" },
};

static struct suite *
suite_get(uint16_t id)
{
	size_t	 i;

	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].id == id)
			return &suites[i];
	return NULL;
}

const char *
rec13_suite_name(uint16_t id)
{
	struct suite	*s = suite_get(id);

	return s != NULL ? s->name : NULL;
}

/* HKDF-Expand-Label(secret, label, "", outlen) for outlen <= hashlen. */
static int
expand_label(const struct suite *s, const uint8_t *secret, const char *label,
    uint8_t *out, size_t outlen)
{
	uint8_t		 info[2 + 1 + 6 + 16 + 1 + 1], md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	size_t		 ll = strlen(label), n = 0;

	if (outlen > s->hashlen || ll > 16)
		return -1;
	info[n++] = (uint8_t)(outlen >> 8);
	info[n++] = (uint8_t)outlen;
	info[n++] = (uint8_t)(6 + ll);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, ll);
	n += ll;
	info[n++] = 0;		/* empty context */
	info[n++] = 1;		/* HKDF-Expand's block counter */
	if (HMAC(s->md(), secret, s->hashlen, info, n, md, &mdlen) == NULL ||
	    mdlen < outlen)
		return -1;
	memcpy(out, md, outlen);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

static int
dir_keys(const struct suite *s, struct rec13_dir *d)
{
	d->seq = 0;
	if (expand_label(s, d->secret, "key", d->key, s->keylen) == -1 ||
	    expand_label(s, d->secret, "iv", d->iv, sizeof(d->iv)) == -1)
		return -1;
	return 0;
}

static int
dir_update(const struct suite *s, struct rec13_dir *d)
{
	uint8_t	 next[REC13_SECRET_MAX];

	if (expand_label(s, d->secret, "traffic upd", next, s->hashlen) == -1)
		return -1;
	memcpy(d->secret, next, s->hashlen);
	OPENSSL_cleanse(next, sizeof(next));
	return dir_keys(s, d);
}

int
rec13_init(struct rec13 *r, uint16_t suite, const uint8_t *rsecret,
    const uint8_t *wsecret, size_t secretlen, char *why, size_t whylen)
{
	struct suite	*s;

	memset(r, 0, sizeof(*r));
	if ((s = suite_get(suite)) == NULL) {
		snprintf(why, whylen, "cipher suite 0x%04x is not supported",
		    suite);
		return -1;
	}
	if (secretlen != s->hashlen) {
		snprintf(why, whylen, "%s: a traffic secret of %zu bytes, not "
		    "%u", s->name, secretlen, s->hashlen);
		return -1;
	}
	r->suite = suite;
	r->hashlen = s->hashlen;
	r->keylen = s->keylen;
	memcpy(r->rd.secret, rsecret, secretlen);
	memcpy(r->wr.secret, wsecret, secretlen);
	if (dir_keys(s, &r->rd) == -1 || dir_keys(s, &r->wr) == -1) {
		rec13_wipe(r);
		snprintf(why, whylen, "%s: cannot derive the traffic keys",
		    s->name);
		return -1;
	}
	return 0;
}

void
rec13_wipe(struct rec13 *r)
{
	OPENSSL_cleanse(r, sizeof(*r));
}

long
rec13_reclen(const uint8_t *buf, size_t len)
{
	size_t	 body;

	if (len < REC13_HLEN)
		return 0;
	body = (size_t)buf[3] << 8 | buf[4];
	if (body > REC13_CT_MAX)
		return -1;
	return (long)(REC13_HLEN + body);
}

static EVP_CIPHER_CTX *
cipher_ctx(struct suite *s)
{
	if (s->cctx == NULL) {
		if ((s->cctx = EVP_CIPHER_CTX_new()) == NULL)
			return NULL;
		if (EVP_CipherInit_ex(s->cctx, s->cipher(), NULL, NULL, NULL,
		    1) != 1) {
			EVP_CIPHER_CTX_free(s->cctx);
			s->cctx = NULL;
			return NULL;
		}
	}
	return s->cctx;
}

static void
nonce(const struct rec13_dir *d, uint8_t out[12])
{
	int	 i;

	memcpy(out, d->iv, 12);
	for (i = 0; i < 8; i++)
		out[11 - i] ^= (uint8_t)(d->seq >> (8 * i));
}

/*
 * AEAD over buf[0..len) in place with the record header as additional
 * data; enc: the tag goes to tag, else tag is checked.
 */
static int
aead(const struct rec13 *r, const struct rec13_dir *d, int enc,
    const uint8_t hdr[REC13_HLEN], uint8_t *buf, size_t len, uint8_t *tag)
{
	struct suite	*s = suite_get(r->suite);
	EVP_CIPHER_CTX	*c;
	uint8_t		 iv[12];
	int		 out, fin;

	if (s == NULL || (c = cipher_ctx(s)) == NULL || len > REC13_CT_MAX)
		return -1;
	nonce(d, iv);
	if (EVP_CipherInit_ex(c, NULL, NULL, d->key, iv, enc) != 1 ||
	    EVP_CipherUpdate(c, NULL, &out, hdr, REC13_HLEN) != 1 ||
	    (len > 0 && EVP_CipherUpdate(c, buf, &out, buf, (int)len) != 1))
		return -1;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, REC13_TAG,
	    tag) != 1)
		return -1;
	if (EVP_CipherFinal_ex(c, buf + len, &fin) != 1)
		return -1;
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, REC13_TAG,
	    tag) != 1)
		return -1;
	return 0;
}

static const char *
alert_name(uint8_t code)
{
	size_t	 i;

	for (i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
		if (alerts[i].code == code)
			return alerts[i].name;
	return NULL;
}

/* The handshake messages of one record: only KeyUpdate, and it ends the record. */
static enum rec13_res
open_handshake(struct rec13 *r, const uint8_t *p, size_t n, int *update_due,
    char *why, size_t whylen)
{
	size_t	 mlen;

	if (n < 4 || (mlen = (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3]) >
	    n - 4) {
		snprintf(why, whylen, "a handshake message split across "
		    "records after the handshake");
		return REC13_ERROR;
	}
	if (p[0] != HS_KEY_UPDATE) {
		snprintf(why, whylen, "unexpected handshake message %u after "
		    "the handshake", p[0]);
		return REC13_ERROR;
	}
	if (mlen != 1 || p[4] > 1) {
		snprintf(why, whylen, "malformed KeyUpdate");
		return REC13_ERROR;
	}
	if (n != 5) {
		/* §5.1: a key change must end its record. */
		snprintf(why, whylen, "data after a KeyUpdate in the same record");
		return REC13_ERROR;
	}
	if (dir_update(suite_get(r->suite), &r->rd) == -1) {
		snprintf(why, whylen, "cannot derive the next traffic key");
		return REC13_ERROR;
	}
	if (p[4] == 1)
		*update_due = 1;
	return REC13_NOTHING;
}

enum rec13_res
rec13_open(struct rec13 *r, uint8_t *rec, size_t len, uint8_t **pt,
    size_t *ptlen, int *update_due, char *why, size_t whylen)
{
	const char	*an;
	size_t		 body, n;
	uint8_t		 type;

	*pt = NULL;
	*ptlen = 0;
	if (len < REC13_HLEN || rec13_reclen(rec, len) != (long)len) {
		snprintf(why, whylen, "malformed record length");
		return REC13_ERROR;
	}
	if (rec[0] != CT_APPDATA) {
		snprintf(why, whylen, "%s record in the clear after the "
		    "handshake", rec[0] == CT_ALERT ? "alert" : rec[0] ==
		    CT_HANDSHAKE ? "handshake" : rec[0] == CT_CCS ?
		    "change_cipher_spec" : "unknown");
		return REC13_ERROR;
	}
	body = len - REC13_HLEN;
	if (body < 1 + REC13_TAG) {
		snprintf(why, whylen, "record of %zu bytes is too short", body);
		return REC13_ERROR;
	}
	if (r->rd.seq == UINT64_MAX) {
		snprintf(why, whylen, "record sequence number exhausted");
		return REC13_ERROR;
	}
	n = body - REC13_TAG;
	if (aead(r, &r->rd, 0, rec, rec + REC13_HLEN, n,
	    rec + REC13_HLEN + n) == -1) {
		snprintf(why, whylen, "record authentication failed "
		    "(bad_record_mac)");
		return REC13_ERROR;
	}
	r->rd.seq++;
	while (n > 0 && rec[REC13_HLEN + n - 1] == 0)
		n--;
	if (n == 0) {
		snprintf(why, whylen, "record with no content type");
		return REC13_ERROR;
	}
	type = rec[REC13_HLEN + n - 1];
	n--;
	if (n > REC13_PT_MAX) {
		snprintf(why, whylen, "record of %zu plaintext bytes "
		    "(record_overflow)", n);
		return REC13_ERROR;
	}
	switch (type) {
	case CT_APPDATA:
		if (n == 0)
			return REC13_NOTHING;
		*pt = rec + REC13_HLEN;
		*ptlen = n;
		return REC13_DATA;
	case CT_ALERT:
		if (n != 2) {
			snprintf(why, whylen, "malformed alert");
			return REC13_ERROR;
		}
		if (rec[REC13_HLEN + 1] == 0)
			return REC13_CLOSE;
		an = alert_name(rec[REC13_HLEN + 1]);
		if (an != NULL)
			snprintf(why, whylen, "peer sent alert %s", an);
		else
			snprintf(why, whylen, "peer sent alert %u",
			    rec[REC13_HLEN + 1]);
		return REC13_ERROR;
	case CT_HANDSHAKE:
		return open_handshake(r, rec + REC13_HLEN, n, update_due, why,
		    whylen);
	default:
		snprintf(why, whylen, "unexpected content type %u", type);
		return REC13_ERROR;
	}
}

static size_t
seal_type(struct rec13 *r, uint8_t type, const uint8_t *pt, size_t len,
    uint8_t *out)
{
	size_t	 body = len + 1 + REC13_TAG;

	if (len > REC13_PT_MAX || r->wr.seq == UINT64_MAX)
		return 0;
	out[0] = CT_APPDATA;
	out[1] = 0x03;
	out[2] = 0x03;
	out[3] = (uint8_t)(body >> 8);
	out[4] = (uint8_t)body;
	if (len > 0)
		memmove(out + REC13_HLEN, pt, len);
	out[REC13_HLEN + len] = type;
	if (aead(r, &r->wr, 1, out, out + REC13_HLEN, len + 1,
	    out + REC13_HLEN + len + 1) == -1)
		return 0;
	r->wr.seq++;
	return REC13_HLEN + body;
}

size_t
rec13_seal(struct rec13 *r, const uint8_t *pt, size_t len, uint8_t *out)
{
	return seal_type(r, CT_APPDATA, pt, len, out);
}

size_t
rec13_seal_keyupdate(struct rec13 *r, uint8_t *out)
{
	static const uint8_t ku[5] = { HS_KEY_UPDATE, 0, 0, 1, 0 };
	size_t	 n;

	if ((n = seal_type(r, CT_HANDSHAKE, ku, sizeof(ku), out)) == 0 ||
	    dir_update(suite_get(r->suite), &r->wr) == -1)
		return 0;
	return n;
}

size_t
rec13_seal_close(struct rec13 *r, uint8_t *out)
{
	static const uint8_t cn[2] = { 1, 0 };	/* warning, close_notify */

	return seal_type(r, CT_ALERT, cn, sizeof(cn), out);
}
