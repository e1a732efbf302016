/*
 * issue.c: certificates and CSRs made by pktlab-cred, byte for byte in the
 * profile 1.1.0 peers and ppksman use (certs spec §2.4, §3): CN=" " as a
 * UTF8String, a random positive 128-bit serial, v3, Ed25519, and the
 * extensions AKI, SKI, KU, BC, 1.2.3.1, [1.2.3.3] in that order with the
 * exact encodings of the vectors.  Also reading and checking CSRs.
 *
 * Every extension value is written as raw DER rather than through
 * OpenSSL's config-string builders, so the bytes are the profile's and
 * nothing else (no issuer/serial in AKI, no default pathLen).
 */
#include <limits.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "cred/cred.h"
#include "util/util.h"

/* KeyUsage: digitalSignature for end types, keyCertSign for CA types. */
static const uint8_t ku_end[] = { 0x03, 0x02, 0x07, 0x80 };
static const uint8_t ku_ca[] = { 0x03, 0x02, 0x02, 0x04 };

static size_t	 der_len(uint8_t *, size_t);
static size_t	 bc_der(uint8_t *, int, int);
static int	 push_ext(STACK_OF(X509_EXTENSION) *, int, const char *, int,
		    const uint8_t *, size_t);
static int	 push_text(STACK_OF(X509_EXTENSION) *, const char *,
		    const char *);
static int	 set_names(X509_NAME **);
static int	 csr_ext(X509_EXTENSION *, struct cred_csr *, struct cred_err *);

X509 *
cred_cert_issue(const struct cred_issue *is, EVP_PKEY *subject,
    EVP_PKEY *signer, struct cred_err *err)
{
	STACK_OF(X509_EXTENSION)	*exts = NULL;
	X509				*x = NULL;
	X509_NAME			*name = NULL;
	BIGNUM				*bn = NULL;
	uint8_t				 serial[16], buf[4 + CRED_KEYID_LEN];
	uint8_t				 bc[16];
	int				 ca = cred_type_is_ca(is->type), i;

	if ((unsigned)is->type >= CRED_NTYPES) {
		cred_seterr(err, "unknown certificate type");
		return NULL;
	}
	if (!ca && (is->pathlen >= 0 || is->limits != NULL)) {
		cred_seterr(err, "%s %s certificate takes neither pathLen "
		    "nor limits", cred_an(cred_type_name(is->type)),
		    cred_type_name(is->type));
		return NULL;
	}
	if (is->info == NULL || *is->info == '\0') {
		cred_seterr(err, "no certificate information (1.2.3.1)");
		return NULL;
	}
	if (cred_key_check(subject, "subject key", err) < 0 ||
	    cred_key_check(signer, "signing key", err) < 0)
		return NULL;
	if (is->not_after < is->not_before) {
		cred_seterr(err, "notAfter is before notBefore");
		return NULL;
	}

	if ((x = X509_new()) == NULL || (exts =
	    sk_X509_EXTENSION_new_null()) == NULL)
		goto sslfail;
	if (!X509_set_version(x, X509_VERSION_3))
		goto sslfail;
	/* Positive, non-zero, 16 bytes with the top bit clear: no pad byte. */
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto sslfail;
	serial[0] &= 0x7f;
	if (serial[0] == 0)
		serial[0] = 0x01;
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto sslfail;
	if (set_names(&name) < 0 || !X509_set_issuer_name(x, name) ||
	    !X509_set_subject_name(x, name))
		goto sslfail;
	/* ASN1_TIME_set follows RFC 5280: UTCTime until 2049, then Generalized. */
	if (ASN1_TIME_set(X509_getm_notBefore(x), (time_t)is->not_before) ==
	    NULL || ASN1_TIME_set(X509_getm_notAfter(x),
	    (time_t)is->not_after) == NULL)
		goto sslfail;
	if (!X509_set_pubkey(x, subject))
		goto sslfail;

	memcpy(buf, "\x30\x22\x80\x20", 4);
	if (cred_keyid(signer, buf + 4) < 0 ||
	    push_ext(exts, NID_authority_key_identifier, NULL, 0, buf,
	    4 + CRED_KEYID_LEN) < 0)
		goto sslfail;
	memcpy(buf, "\x04\x20", 2);
	if (cred_keyid(subject, buf + 2) < 0 ||
	    push_ext(exts, NID_subject_key_identifier, NULL, 0, buf,
	    2 + CRED_KEYID_LEN) < 0)
		goto sslfail;
	if (push_ext(exts, NID_key_usage, NULL, 1, ca ? ku_ca : ku_end,
	    sizeof(ku_ca)) < 0 ||
	    push_ext(exts, NID_basic_constraints, NULL, 1, bc,
	    bc_der(bc, ca, is->pathlen)) < 0 ||
	    push_text(exts, "1.2.3.1", is->info) < 0 ||
	    (is->limits != NULL && push_text(exts, "1.2.3.3",
	    is->limits) < 0))
		goto sslfail;
	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++)
		if (!X509_add_ext(x, sk_X509_EXTENSION_value(exts, i), -1))
			goto sslfail;
	/* Ed25519 signs the message itself: no digest. */
	if (X509_sign(x, signer, NULL) <= 0)
		goto sslfail;
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(name);
	BN_free(bn);
	return x;
 sslfail:
	cred_setsslerr(err, "cannot build the certificate");
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(name);
	BN_free(bn);
	X509_free(x);
	return NULL;
}

X509_REQ *
cred_csr_make(EVP_PKEY *key, int ca, int pathlen, const char *info,
    const char *limits, struct cred_err *err)
{
	STACK_OF(X509_EXTENSION)	*exts = NULL;
	X509_REQ			*req = NULL;
	X509_NAME			*name = NULL;
	uint8_t				 bc[16];

	if (cred_key_check(key, "requester key", err) < 0)
		return NULL;
	if (pathlen >= 0 && !ca) {
		cred_seterr(err, "pathLen is only for exppriv and delpriv "
		    "requests");
		return NULL;
	}
	if ((req = X509_REQ_new()) == NULL ||
	    (exts = sk_X509_EXTENSION_new_null()) == NULL ||
	    !X509_REQ_set_version(req, X509_REQ_VERSION_1) ||
	    set_names(&name) < 0 || !X509_REQ_set_subject_name(req, name) ||
	    !X509_REQ_set_pubkey(req, key))
		goto sslfail;
	if (pathlen >= 0 && push_ext(exts, NID_basic_constraints, NULL, 1, bc,
	    bc_der(bc, ca, pathlen)) < 0)
		goto sslfail;
	if ((info != NULL && push_text(exts, "1.2.3.1", info) < 0) ||
	    (limits != NULL && push_text(exts, "1.2.3.3", limits) < 0))
		goto sslfail;
	if (sk_X509_EXTENSION_num(exts) > 0 &&
	    !X509_REQ_add_extensions(req, exts))
		goto sslfail;
	if (X509_REQ_sign(req, key, NULL) <= 0)
		goto sslfail;
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(name);
	return req;
 sslfail:
	cred_setsslerr(err, "cannot build the request");
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(name);
	X509_REQ_free(req);
	return NULL;
}

/* issuer = subject = one RDN, commonName, UTF8String " ". */
static int
set_names(X509_NAME **name)
{
	if ((*name = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_NID(*name, NID_commonName,
	    V_ASN1_UTF8STRING, (const unsigned char *)" ", 1, -1, 0))
		return -1;
	return 0;
}

/* A DER length at p; returns its size. */
static size_t
der_len(uint8_t *p, size_t n)
{
	size_t	 nb = 0, t;

	if (n < 0x80) {
		p[0] = (uint8_t)n;
		return 1;
	}
	for (t = n; t > 0; t >>= 8)
		nb++;
	p[0] = (uint8_t)(0x80 | nb);
	for (t = 0; t < nb; t++)
		p[1 + t] = (uint8_t)(n >> (8 * (nb - 1 - t)));
	return 1 + nb;
}

/* 30 00 | 30 03 01 01 ff | 30 LL 01 01 ff 02 LL <pathLen> */
static size_t
bc_der(uint8_t *p, int ca, int pathlen)
{
	uint8_t	 num[sizeof(int) + 1];
	size_t	 n = 0, i;
	unsigned v;

	if (!ca) {
		p[0] = 0x30;
		p[1] = 0x00;
		return 2;
	}
	if (pathlen < 0) {
		memcpy(p, "\x30\x03\x01\x01\xff", 5);
		return 5;
	}
	/* Minimal two's complement of a non-negative value. */
	v = (unsigned)pathlen;
	do {
		num[sizeof(num) - 1 - n++] = (uint8_t)v;
		v >>= 8;
	} while (v > 0);
	if (num[sizeof(num) - n] & 0x80)
		num[sizeof(num) - 1 - n++] = 0;
	p[0] = 0x30;
	p[1] = (uint8_t)(3 + 2 + n);
	memcpy(p + 2, "\x01\x01\xff\x02", 4);
	p[6] = (uint8_t)n;
	for (i = 0; i < n; i++)
		p[7 + i] = num[sizeof(num) - n + i];
	return 7 + n;
}

/* An extension with value bytes as given, by NID or by dotted OID. */
static int
push_ext(STACK_OF(X509_EXTENSION) *exts, int nid, const char *oid, int crit,
    const uint8_t *val, size_t len)
{
	ASN1_OCTET_STRING	*os;
	ASN1_OBJECT		*obj;
	X509_EXTENSION		*e = NULL;

	obj = oid != NULL ? OBJ_txt2obj(oid, 1) : OBJ_nid2obj(nid);
	if (obj == NULL || (os = ASN1_OCTET_STRING_new()) == NULL) {
		ASN1_OBJECT_free(obj);
		return -1;
	}
	if (len <= INT_MAX && ASN1_OCTET_STRING_set(os, val, (int)len))
		e = X509_EXTENSION_create_by_OBJ(NULL, obj, crit, os);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	if (e == NULL || !sk_X509_EXTENSION_push(exts, e)) {
		X509_EXTENSION_free(e);
		return -1;
	}
	return 0;
}

/* A PacketLab extension: critical, OCTET STRING { OCTET STRING { text } }. */
static int
push_text(STACK_OF(X509_EXTENSION) *exts, const char *oid, const char *text)
{
	uint8_t	*buf;
	size_t	 len = strlen(text), hl;
	int	 r;

	buf = xmalloc(len + 10);
	buf[0] = 0x04;
	hl = 1 + der_len(buf + 1, len);
	memcpy(buf + hl, text, len);
	r = push_ext(exts, NID_undef, oid, 1, buf, hl + len);
	free(buf);
	return r;
}

/* ------------------------------------------------------------------ */

X509_REQ *
cred_csr_load(const char *path, struct cred_err *err)
{
	const unsigned char	*p;
	unsigned char		*der;
	X509_REQ		*req;
	size_t			 len;

	if (cred_read_der(path, PEM_STRING_X509_REQ, &der, &len, err) < 0)
		return NULL;
	p = der;
	if ((req = d2i_X509_REQ(NULL, &p, (long)len)) != NULL &&
	    p != der + len) {
		X509_REQ_free(req);
		req = NULL;
	}
	if (req == NULL)
		cred_setsslerr(err, "%s: not a certificate request", path);
	OPENSSL_free(der);
	return req;
}

int
cred_csr_decode(X509_REQ *req, const char *label, struct cred_csr *c,
    struct cred_err *err)
{
	STACK_OF(X509_EXTENSION)	*exts;
	EVP_PKEY			*pk;
	int				 i, r = 0;

	memset(c, 0, sizeof(*c));
	c->pathlen = -1;
	c->info.type = CRED_UNKNOWN;
	c->label = xstrdup(label);
	c->req = req;
	if ((pk = X509_REQ_get0_pubkey(req)) == NULL) {
		cred_setsslerr(err, "%s: unreadable public key", label);
		goto fail;
	}
	if (cred_key_check(pk, label, err) < 0 || cred_key_raw(pk, c->key) < 0)
		goto fail;
	if (X509_REQ_verify(req, pk) != 1) {
		cred_setsslerr(err, "%s: the request's self-signature does not "
		    "verify (not signed by the requester's key)", label);
		goto fail;
	}
	exts = X509_REQ_get_extensions(req);
	for (i = 0; r == 0 && i < sk_X509_EXTENSION_num(exts); i++)
		r = csr_ext(sk_X509_EXTENSION_value(exts, i), c, err);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	if (r < 0)
		goto fail;
	ERR_clear_error();
	return 0;
 fail:
	cred_csr_clear(c);
	return -1;
}

/* Requests may carry BasicConstraints, 1.2.3.1 and 1.2.3.3; the rest is the
 * signer's business and ignored. */
static int
csr_ext(X509_EXTENSION *e, struct cred_csr *c, struct cred_err *err)
{
	ASN1_OBJECT		*obj = X509_EXTENSION_get_object(e);
	BASIC_CONSTRAINTS	*bc;
	int64_t			 pl;

	if (OBJ_obj2nid(obj) == NID_basic_constraints) {
		if ((bc = X509V3_EXT_d2i(e)) == NULL)
			return cred_setsslerr(err, "%s: malformed "
			    "BasicConstraints", c->label);
		c->has_bc = 1;
		c->ca = bc->ca != 0;
		if (bc->pathlen != NULL) {
			if (!ASN1_INTEGER_get_int64(&pl, bc->pathlen) ||
			    pl < 0 || pl > INT_MAX) {
				BASIC_CONSTRAINTS_free(bc);
				return cred_seterr(err, "%s: bad pathLen",
				    c->label);
			}
			c->pathlen = (int)pl;
		}
		BASIC_CONSTRAINTS_free(bc);
		return 0;
	}
	return cred_ext_decode(e, c->label, &c->info_text, &c->limits_text,
	    &c->info, &c->lim, &c->has_limits, err);
}

char *
cred_x509_pem(X509 *x, size_t *len, struct cred_err *err)
{
	BIO	*bio = BIO_new(BIO_s_mem());
	char	*text = NULL;

	if (bio != NULL && PEM_write_bio_X509(bio, x))
		text = cred_bio_text(bio, len);
	else
		cred_setsslerr(err, "cannot encode the certificate");
	BIO_free(bio);
	return text;
}

char *
cred_csr_pem(X509_REQ *req, size_t *len, struct cred_err *err)
{
	BIO	*bio = BIO_new(BIO_s_mem());
	char	*text = NULL;

	if (bio != NULL && PEM_write_bio_X509_REQ(bio, req))
		text = cred_bio_text(bio, len);
	else
		cred_setsslerr(err, "cannot encode the request");
	BIO_free(bio);
	return text;
}

void
cred_csr_clear(struct cred_csr *c)
{
	X509_REQ_free(c->req);
	free(c->label);
	free(c->info_text);
	free(c->limits_text);
	cred_info_clear(&c->info);
	cred_limits_clear(&c->lim);
	memset(c, 0, sizeof(*c));
	c->pathlen = -1;
	c->info.type = CRED_UNKNOWN;
}
