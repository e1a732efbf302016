/*
 * test_cred_issue.c: certificates and CSRs made by the library.
 *
 * Every vector certificate is issued again from its own decoded content
 * with the vector keys: the result must have the same bytes everywhere
 * except serial and signature (names, validity, key, every extension), so
 * 1.1.0 peers see the profile they know.  Then round trips with a fresh
 * PKI (sign, parse, verify) and CSRs (make, decode, tamper).
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cred/cred.h"
#include "credtest.h"

/* The vector keys whose private halves we hold, by key id. */
static const char *const priv_keys[] = {
	"keys/k_eop", "keys/k_ep", "keys/k_exper", "keys/k_xc",
	"deleg/k_exper2",
};

static EVP_PKEY *
signer_of(const uint8_t aki[32])
{
	EVP_PKEY	*k;
	uint8_t		 id[32];
	size_t		 i;

	for (i = 0; i < sizeof(priv_keys) / sizeof(priv_keys[0]); i++) {
		k = ct_key(priv_keys[i]);
		cred_keyid(k, id);
		if (memcmp(id, aki, 32) == 0)
			return k;
		EVP_PKEY_free(k);
	}
	ck_abort_msg("no vector key for this AKI");
	return NULL;
}

/* DER of a part of a certificate, for comparison. */
static int
der_of(int (*i2d)(const void *, unsigned char **), const void *p,
    unsigned char **out)
{
	*out = NULL;
	return i2d(p, out);
}

#define SAME_DER(fn, a, b) do {						\
	unsigned char	*da, *db;					\
	int		 la, lb;					\
	la = der_of((int (*)(const void *, unsigned char **))fn, a, &da); \
	lb = der_of((int (*)(const void *, unsigned char **))fn, b, &db); \
	ck_assert_int_gt(la, 0);					\
	ck_assert_int_eq(la, lb);					\
	ck_assert_mem_eq(da, db, (size_t)la);				\
	OPENSSL_free(da);						\
	OPENSSL_free(db);						\
} while (0)

static const char *const vector_certs[] = {
	"certs/agent_xc_xc.cert", "certs/agent_ep_ep.cert",
	"certs/exppriv_eop_exper.cert", "certs/pubcmd_exper_xc.cert",
	"certs/subcmd_eop_ep.cert", "certs/exppriv_eop_exper.limits.cert",
	"certs/exppriv_eop_exper.optstar.cert", "deleg/delpriv_exp.cert",
	"deleg/delpriv_rep.cert", "deleg/exppriv_expired.cert",
	"deleg/exppriv_pl0.cert", "deleg/exppriv_pl1.cert",
	"deleg/exppriv_plNone.cert", "deleg/pubcmd_exper2_xc.cert",
};

START_TEST(same_bytes_as_vectors)
{
	const STACK_OF(X509_EXTENSION)	*ea, *eb;
	struct cred_cert		 v, mine;
	struct cred_issue		 is;
	struct cred_err			 err;
	EVP_PKEY			*signer, *subject;
	X509				*x;
	const ASN1_INTEGER		*serial;
	int				 i;

	ct_decode(vector_certs[_i], &v);
	signer = signer_of(v.aki);
	subject = X509_get_pubkey(v.x509);
	memset(&is, 0, sizeof(is));
	is.type = v.info.type;
	is.pathlen = v.pathlen;
	is.not_before = v.not_before;
	is.not_after = v.not_after;
	is.info = v.info_text;
	is.limits = v.limits_text;
	x = cred_cert_issue(&is, subject, signer, &err);
	ck_assert_msg(x != NULL, "%s", err.msg);

	ck_assert_int_eq(X509_get_version(x), X509_get_version(v.x509));
	SAME_DER(i2d_X509_ALGOR, X509_get0_tbs_sigalg(x),
	    X509_get0_tbs_sigalg(v.x509));
	SAME_DER(i2d_X509_NAME, X509_get_issuer_name(x),
	    X509_get_issuer_name(v.x509));
	SAME_DER(i2d_X509_NAME, X509_get_subject_name(x),
	    X509_get_subject_name(v.x509));
	SAME_DER(i2d_ASN1_TIME, X509_get0_notBefore(x),
	    X509_get0_notBefore(v.x509));
	SAME_DER(i2d_ASN1_TIME, X509_get0_notAfter(x),
	    X509_get0_notAfter(v.x509));
	SAME_DER(i2d_X509_PUBKEY, X509_get_X509_PUBKEY(x),
	    X509_get_X509_PUBKEY(v.x509));
	ea = X509_get0_extensions(x);
	eb = X509_get0_extensions(v.x509);
	ck_assert_int_eq(sk_X509_EXTENSION_num(ea), sk_X509_EXTENSION_num(eb));
	for (i = 0; i < sk_X509_EXTENSION_num(ea); i++)
		SAME_DER(i2d_X509_EXTENSION, sk_X509_EXTENSION_value(ea, i),
		    sk_X509_EXTENSION_value(eb, i));
	/* A positive 128-bit serial with the top bit clear: 16 bytes, no pad. */
	serial = X509_get0_serialNumber(x);
	ck_assert_int_eq(ASN1_STRING_length(serial), 16);
	ck_assert_int_eq(ASN1_STRING_type(serial), V_ASN1_INTEGER);
	ck_assert_uint_lt(ASN1_STRING_get0_data(serial)[0], 0x80);
	ck_assert_uint_gt(ASN1_STRING_get0_data(serial)[0], 0);
	/* Signed by the issuer's key, and our decoder reads it back. */
	ck_assert_int_eq(X509_verify(x, signer), 1);
	cred_cert_clear(&v);
	ck_assert_msg(cred_cert_decode(x, "reissued", &mine, &err) == 0, "%s",
	    err.msg);
	ck_assert_int_eq(mine.info.type, is.type);
	cred_cert_clear(&mine);
	X509_free(x);
	EVP_PKEY_free(signer);
	EVP_PKEY_free(subject);
}
END_TEST

START_TEST(times_after_2049)
{
	struct cred_issue	 is = { CRED_AGENT, -1, 0, 0,
				    "cert_type=agent;", NULL };
	struct cred_cert	 c;
	struct cred_err		 err;
	EVP_PKEY		*k = cred_key_generate(&err);
	X509			*x;

	/* 2049-12-31T23:59:59Z is UTCTime, 2050-01-01 GeneralizedTime. */
	is.not_before = 2524607999;
	is.not_after = 2524608000;
	x = cred_cert_issue(&is, k, k, &err);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(ASN1_STRING_type(X509_get0_notBefore(x)),
	    V_ASN1_UTCTIME);
	ck_assert_int_eq(ASN1_STRING_type(X509_get0_notAfter(x)),
	    V_ASN1_GENERALIZEDTIME);
	ck_assert_int_eq(cred_cert_decode(x, "t", &c, &err), 0);
	ck_assert_int_eq(c.not_before, 2524607999);
	ck_assert_int_eq(c.not_after, 2524608000);
	cred_cert_clear(&c);
	X509_free(x);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(refuses_bad_requests)
{
	struct cred_issue	 is = { CRED_PUBCMD, 2, 0, 10,
				    "cert_type=pubcmd;", NULL };
	struct cred_err		 err;
	EVP_PKEY		*k = cred_key_generate(&err);

	ck_assert_ptr_null(cred_cert_issue(&is, k, k, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "neither pathLen nor limits"));
	is.pathlen = -1;
	is.limits = "max_socket_count=1;";
	ck_assert_ptr_null(cred_cert_issue(&is, k, k, &err));
	is.limits = NULL;
	is.not_after = -5;
	ck_assert_ptr_null(cred_cert_issue(&is, k, k, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "notAfter"));
	EVP_PKEY_free(k);
}
END_TEST

/* ------------------------------------------------------------------ */

struct pki {
	EVP_PKEY	*eop, *ep, *exper, *exper2, *xc;
};

static void
pki_new(struct pki *p)
{
	struct cred_err	 err;

	p->eop = cred_key_generate(&err);
	p->ep = cred_key_generate(&err);
	p->exper = cred_key_generate(&err);
	p->exper2 = cred_key_generate(&err);
	p->xc = cred_key_generate(&err);
	ck_assert(p->eop && p->ep && p->exper && p->exper2 && p->xc);
}

static void
pki_free(struct pki *p)
{
	EVP_PKEY_free(p->eop);
	EVP_PKEY_free(p->ep);
	EVP_PKEY_free(p->exper);
	EVP_PKEY_free(p->exper2);
	EVP_PKEY_free(p->xc);
}

static void
add(struct cred_certs *cs, enum cred_type t, int pathlen, const char *info,
    const char *lim, EVP_PKEY *subj, EVP_PKEY *signer, const char *label)
{
	struct cred_issue	 is = { t, pathlen, 0, 2147483647, info, lim };
	struct cred_err		 err;
	X509			*x;

	x = cred_cert_issue(&is, subj, signer, &err);
	ck_assert_msg(x != NULL, "%s", err.msg);
	cred_certs_add(cs, x, label);
	X509_free(x);
}

START_TEST(roundtrip_pki)
{
	struct pki		 p;
	struct cred_certs	 ctrl = { 0 }, ep = { 0 };
	struct cred_keys	 roots = { 0 };
	struct cred_chain	 ch;
	struct cred_err		 err;
	uint8_t			 id[32];

	pki_new(&p);
	cred_keys_add(&roots, p.eop, "eop");
	/* Delegation: eop -> exper (exppriv) -> exper2 (delpriv) -> xc. */
	add(&ctrl, CRED_PUBCMD, -1, "cert_type=pubcmd;", NULL, p.xc, p.exper2,
	    "pubcmd");
	add(&ctrl, CRED_EXPPRIV, 1, "cert_type=exppriv;",
	    "max_socket_count=8;valid_dest=10.0.0.0/8;", p.exper, p.eop,
	    "exppriv");
	add(&ctrl, CRED_DELPRIV, -1, "cert_type=delpriv;del_type=exppriv;",
	    "max_socket_count=2;*max_exp_period=5;valid_dest=10.1.0.0/16,"
	    "192.0.2.0/24;", p.exper2, p.exper, "delpriv");
	ck_assert_msg(ct_verify(CRED_MODE_ENDPOINT_AUTH_CONTROLLER, &roots,
	    CT_NOW, &ctrl, &ch, &err) == CRED_OK, "%s", err.msg);
	ck_assert_uint_eq(ch.n, 3);
	ck_assert_str_eq(ch.cert[1].label, "delpriv");
	ck_assert_uint_eq(ch.eff.num[CRED_LIM_MAX_SOCKET_COUNT], 2);
	ck_assert_uint_eq(ch.eff.num[CRED_LIM_MAX_EXP_PERIOD], 5);
	ck_assert_uint_eq(ch.eff.ndest, 2);
	{
		uint8_t a10[4] = { 10, 1, 2, 3 }, b10[4] = { 10, 2, 0, 1 };
		uint8_t doc[4] = { 192, 0, 2, 1 };

		ck_assert(cred_eff_dest_ok(&ch.eff, AF_INET, a10));
		ck_assert(!cred_eff_dest_ok(&ch.eff, AF_INET, b10));
		ck_assert(!cred_eff_dest_ok(&ch.eff, AF_INET, doc));
	}
	cred_keyid(p.eop, id);
	ck_assert_mem_eq(ch.top_aki, id, 32);
	cred_chain_free(&ch);

	/* Endpoint chain: eop -> ep (subcmd). */
	add(&ep, CRED_SUBCMD, -1, "cert_type=subcmd;", NULL, p.ep, p.eop,
	    "subcmd");
	ck_assert_int_eq(ct_verify(CRED_MODE_CONTROLLER_AUTH_ENDPOINT, &roots,
	    CT_NOW, &ep, &ch, &err), CRED_OK);
	cred_chain_free(&ch);

	/* pktxpmgr's leaf selection moves the pubcmd (key xc) first. */
	{
		struct cred_certs	 cs = { 0 };
		size_t			 i;

		for (i = ctrl.n; i-- > 0;)
			cred_certs_add(&cs, ctrl.x[i], ctrl.label[i]);
		ck_assert_str_eq(cs.label[0], "delpriv");
		ck_assert_int_eq(cred_certs_leaf_first(&cs, p.xc, "ExpExec",
		    &err), 0);
		ck_assert_str_eq(cs.label[0], "pubcmd");
		ck_assert_int_eq(cred_certs_leaf_first(&cs, p.ep, "ExpExec",
		    &err), -1);
		ck_assert_ptr_nonnull(strstr(err.msg, "no certificate in "
		    "ExpExec"));
		ck_assert_ptr_nonnull(strstr(err.msg, "matches the controller "
		    "key"));
		cred_certs_free(&cs);
	}
	cred_certs_free(&ctrl);
	cred_certs_free(&ep);
	cred_keys_free(&roots);
	pki_free(&p);
}
END_TEST

/* ------------------------------------------------------------------ */

START_TEST(csr_roundtrip)
{
	struct cred_csr	 c;
	struct cred_err	 err;
	EVP_PKEY	*k = cred_key_generate(&err);
	X509_REQ	*req;
	unsigned char	*der = NULL, *p;
	const unsigned char *q;
	uint8_t		 raw[32];
	int		 len;

	req = cred_csr_make(k, 1, 3, "cert_type=delpriv;del_type=exppriv;"
	    "cert_desc=please;", "max_socket_count=4;*max_recv_pkt=9;", &err);
	ck_assert_msg(req != NULL, "%s", err.msg);
	len = i2d_X509_REQ(req, &der);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(cred_csr_decode(req, "req", &c, &err), 0);
	ck_assert_int_eq(c.info.type, CRED_DELPRIV);
	ck_assert_uint_eq(c.info.del_type, CRED_DEL_EXPPRIV);
	ck_assert_str_eq(c.info.desc, "please");
	ck_assert_int_eq(c.has_bc, 1);
	ck_assert_int_eq(c.ca, 1);
	ck_assert_int_eq(c.pathlen, 3);
	ck_assert_int_eq(c.has_limits, 1);
	ck_assert_uint_eq(c.lim.num[CRED_LIM_MAX_SOCKET_COUNT], 4);
	ck_assert_uint_eq(c.lim.optional, CRED_LIM_BIT(CRED_LIM_MAX_RECV_PKT));
	cred_key_raw(k, raw);
	ck_assert_mem_eq(raw, c.key, 32);
	cred_csr_clear(&c);

	/* A changed byte in the signed part breaks the proof of possession. */
	p = der + len - 70;	/* inside the requested extensions */
	while (*p != 'p' && p > der)
		p--;
	*p = 'q';
	q = der;
	req = d2i_X509_REQ(NULL, &q, len);
	ck_assert_ptr_nonnull(req);
	ck_assert_int_eq(cred_csr_decode(req, "tampered", &c, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "self-signature"));
	OPENSSL_free(der);

	/* Without pathLen there is no BasicConstraints, as ppksman does. */
	req = cred_csr_make(k, 1, -1, "cert_type=exppriv;", NULL, &err);
	ck_assert_int_eq(cred_csr_decode(req, "plain", &c, &err), 0);
	ck_assert_int_eq(c.has_bc, 0);
	ck_assert_int_eq(c.has_limits, 0);
	cred_csr_clear(&c);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(csr_same_bytes_as_vectors)
{
	static const char *const csrs[] = {
		"csrs/exppriv_exper.csr", "csrs/delpriv_exp_exper.csr",
		"csrs/delpriv_rep_eop.csr",
	};
	struct cred_csr	 v;
	struct cred_err	 err;
	EVP_PKEY	*k;
	X509_REQ	*mine;
	char		*path = ct_path(csrs[_i]);
	unsigned char	*a = NULL, *b = NULL;
	int		 la, lb;

	ck_assert_int_eq(cred_csr_decode(cred_csr_load(path, &err), csrs[_i],
	    &v, &err), 0);
	k = _i == 2 ? ct_key("keys/k_eop") : ct_key("keys/k_exper");
	mine = cred_csr_make(k, 1, -1, v.info_text, NULL, &err);
	ck_assert_ptr_nonnull(mine);
	/* Ed25519 is deterministic: the whole request is byte-identical. */
	la = i2d_X509_REQ(mine, &a);
	lb = i2d_X509_REQ(v.req, &b);
	ck_assert_int_eq(la, lb);
	ck_assert_mem_eq(a, b, (size_t)la);
	OPENSSL_free(a);
	OPENSSL_free(b);
	X509_REQ_free(mine);
	cred_csr_clear(&v);
	EVP_PKEY_free(k);
	free(path);
}
END_TEST

START_TEST(program_digest)
{
	struct cred_err	 err;
	uint8_t		*prog, d[32];
	size_t		 len;
	char		*dir = ct_tmpdir(), *ebpf, *wasm, *bad;
	static const uint8_t mod[] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
	static const uint8_t expect_wasm[32] = {
		0xe4, 0x15, 0x4b, 0x64, 0x77, 0xe1, 0xa3, 0x7d, 0xdb, 0x4c,
		0x83, 0x26, 0x2c, 0x8f, 0x34, 0xfa, 0x2c, 0x71, 0x83, 0xa4,
		0x34, 0x11, 0xa7, 0xff, 0x84, 0xc7, 0xe5, 0xb9, 0x6d, 0x96,
		0x98, 0xc6,
	};

	ck_assert_int_ne(asprintf(&ebpf, "%s/m.ebpf", dir), -1);
	ck_assert_int_ne(asprintf(&wasm, "%s/m.wasm", dir), -1);
	ck_assert_int_ne(asprintf(&bad, "%s/m.txt", dir), -1);
	ck_assert_int_eq(cred_write_file(ebpf, "# x\n0x95 0 0 0 0\n", 17, 0644,
	    0, &err), 0);
	ck_assert_int_eq(cred_write_file(wasm, mod, sizeof(mod), 0644, 0,
	    &err), 0);
	ck_assert_int_eq(cred_prog_load(ebpf, &prog, &len, &err), 0);
	ck_assert_uint_eq(len, 9);
	ck_assert_uint_eq(prog[0], 0x00);
	ck_assert_uint_eq(prog[1], 0x95);
	free(prog);
	ck_assert_int_eq(cred_prog_load(wasm, &prog, &len, &err), 0);
	ck_assert_uint_eq(len, 9);
	ck_assert_uint_eq(prog[0], 0x01);
	/* SHA-256 of 01 00 61 73 6d 01 00 00 00. */
	cred_prog_digest(prog, len, d);
	ck_assert_mem_eq(d, expect_wasm, 32);
	free(prog);
	ck_assert_int_eq(cred_prog_load(bad, &prog, &len, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "extension"));
	free(ebpf);
	free(wasm);
	free(bad);
	ct_rmtree(dir);
	free(dir);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("cred_issue");
	TCase	*tc;

	tc = tcase_create("profile");
	tcase_add_loop_test(tc, same_bytes_as_vectors, 0,
	    (int)(sizeof(vector_certs) / sizeof(vector_certs[0])));
	tcase_add_test(tc, times_after_2049);
	tcase_add_test(tc, refuses_bad_requests);
	suite_add_tcase(s, tc);
	tc = tcase_create("roundtrip");
	tcase_add_test(tc, roundtrip_pki);
	tcase_add_test(tc, csr_roundtrip);
	tcase_add_loop_test(tc, csr_same_bytes_as_vectors, 0, 3);
	tcase_add_test(tc, program_digest);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ct_run(suite());
}
