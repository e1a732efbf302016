/*
 * test_cred_reject.c: the negative matrix.  Each case is a certificate or
 * chain that must be refused, and the reason must say why in words a
 * person can act on: the profile rules of the decoder (built here with raw
 * OpenSSL calls, since our issuer refuses to make them), and the chain
 * rules (expired, not yet valid, wrong root, bad signature, pathLen,
 * delegation type, leaf not first, a cycle, extra certificates).
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cred/cred.h"
#include "credtest.h"

/* One extension as raw DER value bytes. */
struct ext {
	const char	*oid;
	int		 crit;
	uint8_t		 der[80];
	size_t		 len;
};

struct spec {
	long		 version;	/* 2 = v3 */
	long		 serial;
	EVP_PKEY	*subject;
	EVP_PKEY	*signer;
	struct ext	 e[10];
	size_t		 n;
};

static EVP_PKEY	*k_a, *k_b, *k_c;

static void
setup(void)
{
	struct cred_err	 err;

	k_a = cred_key_generate(&err);
	k_b = cred_key_generate(&err);
	k_c = cred_key_generate(&err);
}

static void
teardown(void)
{
	EVP_PKEY_free(k_a);
	EVP_PKEY_free(k_b);
	EVP_PKEY_free(k_c);
}

static void
ext_set(struct ext *e, const char *oid, int crit, const void *der, size_t len)
{
	e->oid = oid;
	e->crit = crit;
	memcpy(e->der, der, len);
	e->len = len;
}

/* payload text wrapped in its inner OCTET STRING */
static void
ext_text(struct ext *e, const char *oid, const char *text)
{
	size_t	 len = strlen(text);

	e->oid = oid;
	e->crit = 1;
	e->der[0] = 0x04;
	e->der[1] = (uint8_t)len;
	memcpy(e->der + 2, text, len);
	e->len = 2 + len;
}

/* The profile's extensions for a type, as ppksman writes them. */
static void
spec_std(struct spec *s, enum cred_type t, EVP_PKEY *subject, EVP_PKEY *signer)
{
	uint8_t	 buf[4 + 32];
	int	 ca = cred_type_is_ca(t);
	char	 info[64];

	memset(s, 0, sizeof(*s));
	s->version = 2;
	s->serial = 12345;
	s->subject = subject;
	s->signer = signer;
	memcpy(buf, "\x30\x22\x80\x20", 4);
	cred_keyid(signer, buf + 4);
	ext_set(&s->e[0], "2.5.29.35", 0, buf, 36);
	memcpy(buf, "\x04\x20", 2);
	cred_keyid(subject, buf + 2);
	ext_set(&s->e[1], "2.5.29.14", 0, buf, 34);
	ext_set(&s->e[2], "2.5.29.15", 1, ca ? "\x03\x02\x02\x04" :
	    "\x03\x02\x07\x80", 4);
	ext_set(&s->e[3], "2.5.29.19", 1, ca ? "\x30\x03\x01\x01\xff" :
	    "\x30\x00", ca ? 5 : 2);
	snprintf(info, sizeof(info), "cert_type=%s;%s", cred_type_name(t),
	    t == CRED_DELPRIV ? "del_type=exppriv;" : "");
	ext_text(&s->e[4], "1.2.3.1", info);
	s->n = 5;
}

static void
spec_del(struct spec *s, const char *oid)
{
	size_t	 i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->e[i].oid, oid) == 0) {
			memmove(&s->e[i], &s->e[i + 1],
			    (s->n - i - 1) * sizeof(s->e[0]));
			s->n--;
			return;
		}
	ck_abort_msg("no extension %s", oid);
}

static struct ext *
spec_get(struct spec *s, const char *oid)
{
	size_t	 i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->e[i].oid, oid) == 0)
			return &s->e[i];
	ck_abort_msg("no extension %s", oid);
	return NULL;
}

static X509 *
build(const struct spec *s)
{
	X509		*x = X509_new();
	X509_NAME	*name = X509_NAME_new();
	size_t		 i;

	ck_assert_int_eq(X509_set_version(x, s->version), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), s->serial);
	X509_NAME_add_entry_by_NID(name, NID_commonName, V_ASN1_UTF8STRING,
	    (const unsigned char *)" ", 1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_set_subject_name(x, name);
	X509_NAME_free(name);
	ASN1_TIME_set(X509_getm_notBefore(x), 0);
	ASN1_TIME_set(X509_getm_notAfter(x), 2147483647);
	X509_set_pubkey(x, s->subject);
	for (i = 0; i < s->n; i++) {
		ASN1_OBJECT		*o = OBJ_txt2obj(s->e[i].oid, 1);
		ASN1_OCTET_STRING	*os = ASN1_OCTET_STRING_new();
		X509_EXTENSION		*e;

		ASN1_OCTET_STRING_set(os, s->e[i].der, (int)s->e[i].len);
		e = X509_EXTENSION_create_by_OBJ(NULL, o, s->e[i].crit, os);
		ck_assert_ptr_nonnull(e);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
		ASN1_OCTET_STRING_free(os);
		ASN1_OBJECT_free(o);
	}
	ck_assert_int_gt(X509_sign(x, s->signer, NULL), 0);
	return x;
}

/* The decoder must refuse s with a reason holding want. */
static void
refused(const struct spec *s, const char *want)
{
	struct cred_cert	 c;
	struct cred_err		 err;
	X509			*x = build(s);

	ck_assert_msg(cred_cert_decode(x, "case.cert", &c, &err) == -1,
	    "accepted a certificate that should fail with \"%s\"", want);
	ck_assert_msg(strstr(err.msg, want) != NULL, "reason \"%s\" lacks "
	    "\"%s\"", err.msg, want);
	ck_assert_msg(strncmp(err.msg, "case.cert: ", 11) == 0,
	    "reason \"%s\" does not name the certificate", err.msg);
	X509_free(x);
}

START_TEST(profile_baseline)
{
	struct spec		 s;
	struct cred_cert	 c;
	struct cred_err		 err;
	X509			*x;
	int			 t;

	/* What the builder makes by default is a valid certificate. */
	for (t = 0; t < CRED_NTYPES; t++) {
		spec_std(&s, (enum cred_type)t, k_a, k_b);
		x = build(&s);
		ck_assert_msg(cred_cert_decode(x, "ok", &c, &err) == 0, "%s",
		    err.msg);
		cred_cert_clear(&c);
		X509_free(x);
	}
}
END_TEST

START_TEST(profile_rules)
{
	struct spec	 s;
	struct ext	*e;

	spec_std(&s, CRED_PUBCMD, k_a, k_b);
	spec_del(&s, "1.2.3.1");
	refused(&s, "no 1.2.3.1");

	spec_std(&s, CRED_PUBCMD, k_a, k_b);
	spec_del(&s, "2.5.29.19");
	refused(&s, "no BasicConstraints");

	spec_std(&s, CRED_EXPPRIV, k_a, k_b);
	spec_get(&s, "2.5.29.19")->crit = 0;
	refused(&s, "BasicConstraints is not critical");

	spec_std(&s, CRED_PUBCMD, k_a, k_b);
	spec_get(&s, "1.2.3.1")->crit = 0;
	refused(&s, "1.2.3.1 is not critical");

	/* An unknown critical extension, and an unknown non-critical one. */
	spec_std(&s, CRED_PUBCMD, k_a, k_b);
	ext_text(&s.e[s.n++], "1.2.3.2", "x=1;");
	refused(&s, "extension 1.2.3.2 is not allowed");
	spec_std(&s, CRED_PUBCMD, k_a, k_b);
	ext_set(&s.e[s.n++], "2.5.29.37", 0,
	    "\x30\x0a\x06\x08\x2b\x06\x01\x05\x05\x07\x03\x01", 12);
	refused(&s, "extension 2.5.29.37 (X509v3 Extended Key Usage) is "
	    "not allowed");

	spec_std(&s, CRED_PUBCMD, k_a, k_b);
	s.e[s.n++] = *spec_get(&s, "2.5.29.15");
	refused(&s, "KeyUsage appears twice");

	spec_std(&s, CRED_PUBCMD, k_a, k_b);
	spec_get(&s, "2.5.29.35")->crit = 1;
	refused(&s, "AuthorityKeyIdentifier is critical");
	spec_std(&s, CRED_PUBCMD, k_a, k_b);
	spec_get(&s, "2.5.29.14")->crit = 1;
	refused(&s, "SubjectKeyIdentifier is critical");

	/* SKI not matching the key. */
	spec_std(&s, CRED_PUBCMD, k_a, k_b);
	spec_get(&s, "2.5.29.14")->der[5] ^= 1;
	refused(&s, "does not match the subject key");

	/* AKI with a 20-byte key id (the RFC 5280 SHA-1 method). */
	spec_std(&s, CRED_PUBCMD, k_a, k_b);
	e = spec_get(&s, "2.5.29.35");
	e->der[1] = 0x16;
	e->der[3] = 0x14;
	e->len = 24;
	refused(&s, "no 32-byte keyIdentifier");

	/* Single-wrapped PacketLab payload. */
	spec_std(&s, CRED_PUBCMD, k_a, k_b);
	e = spec_get(&s, "1.2.3.1");
	memmove(e->der, e->der + 2, e->len - 2);
	e->len -= 2;
	refused(&s, "does not hold exactly one OCTET STRING");

	/* End types must not carry limits; KU and BC by type. */
	spec_std(&s, CRED_PUBCMD, k_a, k_b);
	ext_text(&s.e[s.n++], "1.2.3.3", "max_socket_count=1;");
	refused(&s, "must not carry 1.2.3.3");
	spec_std(&s, CRED_SUBCMD, k_a, k_b);
	ext_set(spec_get(&s, "2.5.29.15"), "2.5.29.15", 1, "\x03\x02\x02\x04",
	    4);
	refused(&s, "must be digitalSignature only");
	spec_std(&s, CRED_EXPPRIV, k_a, k_b);
	ext_set(spec_get(&s, "2.5.29.15"), "2.5.29.15", 1, "\x03\x02\x07\x80",
	    4);
	refused(&s, "must be keyCertSign");
	spec_std(&s, CRED_DELPRIV, k_a, k_b);
	ext_set(spec_get(&s, "2.5.29.19"), "2.5.29.19", 1, "\x30\x00", 2);
	refused(&s, "must say CA:TRUE");
	spec_std(&s, CRED_AGENT, k_a, k_b);
	ext_set(spec_get(&s, "2.5.29.19"), "2.5.29.19", 1,
	    "\x30\x03\x01\x01\xff", 5);
	refused(&s, "must say CA:FALSE");

	/* Information and limit contents. */
	spec_std(&s, CRED_EXPPRIV, k_a, k_b);
	ext_text(spec_get(&s, "1.2.3.1"), "1.2.3.1",
	    "cert_type=exppriv;del_type=exppriv;");
	refused(&s, "del_type is only allowed in delpriv");
	spec_std(&s, CRED_DELPRIV, k_a, k_b);
	ext_text(spec_get(&s, "1.2.3.1"), "1.2.3.1", "cert_type=delpriv;");
	refused(&s, "needs del_type");
	spec_std(&s, CRED_PUBCMD, k_a, k_b);
	ext_text(spec_get(&s, "1.2.3.1"), "1.2.3.1", "cert_type=root;");
	refused(&s, "unknown cert_type \"root\"");
	spec_std(&s, CRED_PUBCMD, k_a, k_b);
	ext_text(spec_get(&s, "1.2.3.1"), "1.2.3.1", "cert_type=pubcmd");
	refused(&s, "missing ';'");
	spec_std(&s, CRED_EXPPRIV, k_a, k_b);
	ext_text(&s.e[s.n++], "1.2.3.3",
	    "max_recv_pkt=1;*max_recv_pkt=2;");
	refused(&s, "max_recv_pkt is given twice");
	spec_std(&s, CRED_EXPPRIV, k_a, k_b);
	ext_text(&s.e[s.n++], "1.2.3.3", "max_socket_count=-1;");
	refused(&s, "limit max_socket_count \"-1\": not a decimal number");
	spec_std(&s, CRED_EXPPRIV, k_a, k_b);
	ext_text(&s.e[s.n++], "1.2.3.3", "valid_dest=10.0.0.0/33;");
	refused(&s, "prefix length is not 0..32");
	spec_std(&s, CRED_EXPPRIV, k_a, k_b);
	ext_text(&s.e[s.n++], "1.2.3.3", "max_burst_rate_pkt=5/0;");
	refused(&s, "WINDOW > 0");
	spec_std(&s, CRED_EXPPRIV, k_a, k_b);
	ext_text(&s.e[s.n++], "1.2.3.3", "monitor=abcd;");
	refused(&s, "64 hex digits");
	spec_std(&s, CRED_EXPPRIV, k_a, k_b);
	ext_text(&s.e[s.n++], "1.2.3.3", "src_ip_spoofing=yes;");
	refused(&s, "must be 0 or 1");
}
END_TEST

START_TEST(profile_basics)
{
	struct spec	 s;
	EVP_PKEY	*rsa;

	spec_std(&s, CRED_PUBCMD, k_a, k_b);
	s.serial = 0;
	refused(&s, "serial number is 0");
	spec_std(&s, CRED_PUBCMD, k_a, k_b);
	s.version = 1;
	refused(&s, "not an X.509 v3 certificate");
	spec_std(&s, CRED_PUBCMD, k_a, k_b);
	s.n = 0;
	refused(&s, "no extensions");

	/* A non-Ed25519 subject key (the SKI cannot be right either). */
	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	spec_std(&s, CRED_PUBCMD, k_a, k_b);
	s.subject = rsa;
	refused(&s, "subject key is RSA, not Ed25519");
	/* ... and an RSA signature (sha256WithRSAEncryption). */
	spec_std(&s, CRED_AGENT, k_a, k_b);
	{
		struct cred_cert	 c;
		struct cred_err		 err;
		X509			*y = build(&s);

		ck_assert_int_gt(X509_sign(y, rsa, EVP_sha256()), 0);
		ck_assert_int_eq(cred_cert_decode(y, "rsa.cert", &c, &err), -1);
		ck_assert_ptr_nonnull(strstr(err.msg, "signature algorithm is "
		    "not Ed25519"));
		X509_free(y);
	}
	EVP_PKEY_free(rsa);
}
END_TEST

START_TEST(der_garbage)
{
	struct cred_cert	 c;
	struct cred_err		 err;
	uint8_t			 junk[64];
	X509			*x;
	unsigned char		*der = NULL;
	int			 len;

	memset(junk, 0x30, sizeof(junk));
	ck_assert_int_eq(cred_cert_decode_der(junk, sizeof(junk), "junk", &c,
	    &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "junk: not a DER X.509"));
	/* A good certificate with a byte after it. */
	x = ct_cert("certs/agent_xc_xc.cert");
	len = i2d_X509(x, &der);
	der = OPENSSL_realloc(der, (size_t)len + 1);
	der[len] = 0;
	ck_assert_int_eq(cred_cert_decode_der(der, (size_t)len + 1, "trail",
	    &c, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "after the certificate"));
	ck_assert_int_eq(cred_cert_decode_der(der, (size_t)len, "ok", &c,
	    &err), 0);
	cred_cert_clear(&c);
	OPENSSL_free(der);
	X509_free(x);
}
END_TEST

/* ------------------------------------------------------------------ */
/* chain rules */

static X509 *
issue(enum cred_type t, int pathlen, const char *info, EVP_PKEY *subj,
    EVP_PKEY *signer, int64_t nb, int64_t na)
{
	struct cred_issue	 is = { t, pathlen, nb, na, info, NULL };
	struct cred_err		 err;
	X509			*x;

	x = cred_cert_issue(&is, subj, signer, &err);
	ck_assert_msg(x != NULL, "%s", err.msg);
	return x;
}

static void
push(struct cred_certs *cs, X509 *x, const char *label)
{
	cred_certs_add(cs, x, label);
	X509_free(x);
}

/* Expect verdict v with a reason holding want. */
static void
expect(const struct cred_certs *cs, EVP_PKEY *root, enum cred_mode m,
    enum cred_verdict v, const char *want)
{
	struct cred_keys	 roots = { 0 };
	struct cred_chain	 ch;
	struct cred_err		 err;
	enum cred_verdict	 got;

	if (root != NULL)
		cred_keys_add(&roots, root, "root.pub");
	got = ct_verify(m, &roots, CT_NOW, cs, &ch, &err);
	ck_assert_msg(got == v, "verdict %s (%s), wanted %s",
	    cred_verdict_name(got), got == CRED_OK ? "" : err.msg,
	    cred_verdict_name(v));
	if (got == CRED_OK)
		cred_chain_free(&ch);
	else
		ck_assert_msg(strstr(err.msg, want) != NULL,
		    "reason \"%s\" lacks \"%s\"", err.msg, want);
	cred_keys_free(&roots);
}

#define PUB	"cert_type=pubcmd;"
#define EXP	"cert_type=exppriv;"
#define DELX	"cert_type=delpriv;del_type=exppriv;"
#define DELR	"cert_type=delpriv;del_type=reppriv;"
#define SUB	"cert_type=subcmd;"
#define END	2147483647

START_TEST(chain_times)
{
	struct cred_certs	 cs = { 0 };

	push(&cs, issue(CRED_PUBCMD, -1, PUB, k_c, k_b, 0, END), "pub.cert");
	push(&cs, issue(CRED_EXPPRIV, -1, EXP, k_b, k_a, 0, CT_NOW - 86400),
	    "old.cert");
	expect(&cs, k_a, CRED_MODE_ENDPOINT_AUTH_CONTROLLER,
	    CRED_EXPIRED_CERT, "old.cert: expired 2025-12-31");
	cred_certs_free(&cs);

	push(&cs, issue(CRED_PUBCMD, -1, PUB, k_c, k_b, CT_NOW + 3600, END),
	    "future.cert");
	push(&cs, issue(CRED_EXPPRIV, -1, EXP, k_b, k_a, 0, END), "exp.cert");
	expect(&cs, k_a, CRED_MODE_ENDPOINT_AUTH_CONTROLLER,
	    CRED_EXPIRED_CERT, "future.cert: not valid before 2026-01-01 "
	    "01:00:00 UTC");
	cred_certs_free(&cs);

	/* The bounds themselves are inside (inclusive). */
	push(&cs, issue(CRED_PUBCMD, -1, PUB, k_c, k_b, CT_NOW, CT_NOW),
	    "edge.cert");
	push(&cs, issue(CRED_EXPPRIV, -1, EXP, k_b, k_a, 0, END), "exp.cert");
	expect(&cs, k_a, CRED_MODE_ENDPOINT_AUTH_CONTROLLER, CRED_OK, NULL);
	cred_certs_free(&cs);
}
END_TEST

START_TEST(chain_roots_and_signatures)
{
	struct cred_certs	 cs = { 0 };
	struct cred_keys	 none = { 0 };
	struct cred_chain	 ch;
	struct cred_err		 err;
	unsigned char		*der = NULL;
	const unsigned char	*p;
	X509			*bad, *good;
	int			 len;

	push(&cs, issue(CRED_PUBCMD, -1, PUB, k_c, k_b, 0, END), "pub.cert");
	push(&cs, issue(CRED_EXPPRIV, -1, EXP, k_b, k_a, 0, END), "exp.cert");
	expect(&cs, k_c, CRED_MODE_ENDPOINT_AUTH_CONTROLLER,
	    CRED_NO_MATCHING_SIGN_KEY, "exp.cert: untrusted root");
	cred_certs_free(&cs);

	/* A flipped bit in the top's signature: refused with roots ... */
	good = issue(CRED_EXPPRIV, -1, EXP, k_b, k_a, 0, END);
	len = i2d_X509(good, &der);
	X509_free(good);
	der[len - 1] ^= 1;
	p = der;
	bad = d2i_X509(NULL, &p, len);
	push(&cs, issue(CRED_PUBCMD, -1, PUB, k_c, k_b, 0, END), "pub.cert");
	cred_certs_add(&cs, bad, "exp.cert");
	expect(&cs, k_a, CRED_MODE_ENDPOINT_AUTH_CONTROLLER, CRED_BAD_CERT,
	    "exp.cert: bad signature");
	/* ... and accepted without, as 1.1.0 does, flagged unchecked. */
	ck_assert_int_eq(ct_verify(CRED_MODE_ENDPOINT_AUTH_CONTROLLER, &none,
	    CT_NOW, &cs, &ch, &err), CRED_OK);
	ck_assert_int_eq(ch.top_unchecked, 1);
	ck_assert_int_eq(ch.root, -1);
	cred_chain_free(&ch);
	cred_certs_free(&cs);

	/* A flipped bit in the leaf's signature is always refused. */
	OPENSSL_free(der);
	der = NULL;
	good = issue(CRED_PUBCMD, -1, PUB, k_c, k_b, 0, END);
	len = i2d_X509(good, &der);
	X509_free(good);
	der[len - 1] ^= 1;
	p = der;
	X509_free(bad);
	bad = d2i_X509(NULL, &p, len);
	cred_certs_add(&cs, bad, "pub.cert");
	push(&cs, issue(CRED_EXPPRIV, -1, EXP, k_b, k_a, 0, END), "exp.cert");
	expect(&cs, NULL, CRED_MODE_ENDPOINT_AUTH_CONTROLLER, CRED_BAD_CERT,
	    "pub.cert: bad signature: not signed by the key of exp.cert");
	cred_certs_free(&cs);
	X509_free(bad);
	OPENSSL_free(der);
}
END_TEST

START_TEST(chain_structure)
{
	struct cred_certs	 cs = { 0 };
	struct cred_chain	 ch;
	struct cred_keys	 none = { 0 };
	struct cred_err		 err;

	/* pathLen 0 above one delegation. */
	push(&cs, issue(CRED_PUBCMD, -1, PUB, k_c, k_b, 0, END), "pub.cert");
	push(&cs, issue(CRED_DELPRIV, -1, DELX, k_b, k_a, 0, END), "del.cert");
	push(&cs, issue(CRED_EXPPRIV, 0, EXP, k_a, k_a, 0, END), "exp.cert");
	expect(&cs, k_a, CRED_MODE_ENDPOINT_AUTH_CONTROLLER,
	    CRED_PATHLEN_EXCEEDED, "exp.cert: path length exceeded");
	cred_certs_free(&cs);

	/* A reppriv delegation in an experiment chain. */
	push(&cs, issue(CRED_PUBCMD, -1, PUB, k_c, k_b, 0, END), "pub.cert");
	push(&cs, issue(CRED_DELPRIV, -1, DELR, k_b, k_a, 0, END), "del.cert");
	push(&cs, issue(CRED_EXPPRIV, -1, EXP, k_a, k_a, 0, END), "exp.cert");
	expect(&cs, k_a, CRED_MODE_ENDPOINT_AUTH_CONTROLLER,
	    CRED_BAD_DEL_TYPE, "del.cert: wrong delegation type: del_type "
	    "reppriv");
	cred_certs_free(&cs);

	/* Leaf not first. */
	push(&cs, issue(CRED_EXPPRIV, -1, EXP, k_b, k_a, 0, END), "exp.cert");
	push(&cs, issue(CRED_PUBCMD, -1, PUB, k_c, k_b, 0, END), "pub.cert");
	expect(&cs, k_a, CRED_MODE_ENDPOINT_AUTH_CONTROLLER,
	    CRED_UNEXPECTED_CERT, "exp.cert: the leaf must be first");
	cred_certs_free(&cs);

	/* A pubcmd signing a pubcmd. */
	push(&cs, issue(CRED_PUBCMD, -1, PUB, k_c, k_b, 0, END), "pub.cert");
	push(&cs, issue(CRED_PUBCMD, -1, PUB, k_b, k_a, 0, END), "pub2.cert");
	expect(&cs, k_a, CRED_MODE_ENDPOINT_AUTH_CONTROLLER,
	    CRED_UNEXPECTED_CERT, "pub2.cert: a pubcmd certificate where a "
	    "controller chain needs exppriv");
	cred_certs_free(&cs);

	/* A cycle of two delegations never reaches the exppriv, and ends. */
	push(&cs, issue(CRED_PUBCMD, -1, PUB, k_c, k_b, 0, END), "pub.cert");
	push(&cs, issue(CRED_DELPRIV, -1, DELX, k_b, k_a, 0, END), "x.cert");
	push(&cs, issue(CRED_DELPRIV, -1, DELX, k_a, k_b, 0, END), "y.cert");
	expect(&cs, k_a, CRED_MODE_ENDPOINT_AUTH_CONTROLLER,
	    CRED_NO_MATCHING_SIGN_KEY, "y.cert: no certificate for its "
	    "signer");
	cred_certs_free(&cs);

	/* The same cycle in an endpoint chain without roots: the longest
	 * chain found is kept, each certificate used once. */
	push(&cs, issue(CRED_SUBCMD, -1, SUB, k_c, k_b, 0, END), "sub.cert");
	push(&cs, issue(CRED_DELPRIV, -1, DELR, k_b, k_a, 0, END), "x.cert");
	push(&cs, issue(CRED_DELPRIV, -1, DELR, k_a, k_b, 0, END), "y.cert");
	ck_assert_int_eq(ct_verify(CRED_MODE_CONTROLLER_AUTH_ENDPOINT, &none,
	    CT_NOW, &cs, &ch, &err), CRED_OK);
	ck_assert_uint_eq(ch.n, 3);
	cred_chain_free(&ch);
	cred_certs_free(&cs);

	/* An endpoint chain whose top is not signed by the root. */
	push(&cs, issue(CRED_SUBCMD, -1, SUB, k_c, k_b, 0, END), "sub.cert");
	expect(&cs, k_a, CRED_MODE_CONTROLLER_AUTH_ENDPOINT,
	    CRED_NO_MATCHING_SIGN_KEY, "sub.cert: untrusted root");
	cred_certs_free(&cs);
}
END_TEST

START_TEST(chain_extra_certs)
{
	struct cred_certs	 cs = { 0 };
	struct cred_keys	 roots = { 0 };
	struct cred_chain	 ch;
	struct cred_err		 err;
	struct spec		 s;

	/* §4: extra certificates are allowed when they decode ... */
	push(&cs, issue(CRED_PUBCMD, -1, PUB, k_c, k_b, 0, END), "pub.cert");
	push(&cs, issue(CRED_AGENT, -1, "cert_type=agent;", k_c, k_c, 0, END),
	    "unrelated.cert");
	push(&cs, issue(CRED_EXPPRIV, -1, EXP, k_b, k_a, 0, END), "exp.cert");
	cred_keys_add(&roots, k_a, "root");
	ck_assert_int_eq(ct_verify(CRED_MODE_ENDPOINT_AUTH_CONTROLLER, &roots,
	    CT_NOW, &cs, &ch, &err), CRED_OK);
	ck_assert_uint_eq(ch.n, 2);
	ck_assert_str_eq(ch.cert[1].label, "exp.cert");
	cred_chain_free(&ch);
	cred_certs_free(&cs);

	/* ... and the whole list is refused when one of them does not. */
	push(&cs, issue(CRED_PUBCMD, -1, PUB, k_c, k_b, 0, END), "pub.cert");
	push(&cs, issue(CRED_EXPPRIV, -1, EXP, k_b, k_a, 0, END), "exp.cert");
	spec_std(&s, CRED_PUBCMD, k_a, k_b);
	spec_del(&s, "2.5.29.15");
	push(&cs, build(&s), "junk.cert");
	expect(&cs, k_a, CRED_MODE_ENDPOINT_AUTH_CONTROLLER, CRED_BAD_CERT,
	    "junk.cert: no KeyUsage");
	cred_certs_free(&cs);
	cred_keys_free(&roots);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("cred_reject");
	TCase	*tc;

	tc = tcase_create("profile");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, profile_baseline);
	tcase_add_test(tc, profile_rules);
	tcase_add_test(tc, profile_basics);
	tcase_add_test(tc, der_garbage);
	suite_add_tcase(s, tc);
	tc = tcase_create("chain");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, chain_times);
	tcase_add_test(tc, chain_roots_and_signatures);
	tcase_add_test(tc, chain_structure);
	tcase_add_test(tc, chain_extra_certs);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ct_run(suite());
}
