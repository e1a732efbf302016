/*
 * test_cred_vectors.c: every verdict of tests/data/pki/EXPECTED.md (the
 * verdicts PacketLab 1.1.0 reached on these files): the keys and key ids,
 * the decode table with every information and limit field, the chain
 * table, the default channel, and the three CSRs.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cred/cred.h"
#include "credtest.h"

static const char *k_eop_id =
    "73be06b78b7eaeb76843415a6c6f6731dc961ba9349b4151f2e367f3ba63a374";
static const char *k_exper_id =
    "32c67590f5ed02131e76bced111b3cef6075c17d55f43ea6183ad28f95a70fcc";
static const char *k_xc_id =
    "cd89dab4b2a22502cece2ff24d71c5efab860e91479715404b4edf07952ca18b";

static char *
hex32(const uint8_t *p, char buf[65])
{
	static const char	 d[] = "0123456789abcdef";
	int			 i;

	for (i = 0; i < 32; i++) {
		buf[2 * i] = d[p[i] >> 4];
		buf[2 * i + 1] = d[p[i] & 15];
	}
	buf[64] = '\0';
	return buf;
}

/* ------------------------------------------------------------------ */
/* keys */

START_TEST(key_ids)
{
	EVP_PKEY	*k;
	uint8_t		 id[32], id2[32];
	char		 h[65];

	k = ct_pub("keys/k_eop.pub");
	ck_assert_int_eq(cred_keyid(k, id), 0);
	ck_assert_str_eq(hex32(id, h), k_eop_id);
	EVP_PKEY_free(k);
	/* The private key gives the same id as its .pub. */
	k = ct_key("keys/k_eop");
	ck_assert_int_eq(cred_keyid(k, id2), 0);
	ck_assert_mem_eq(id, id2, 32);
	EVP_PKEY_free(k);
	k = ct_pub("keys/k_exper.pub");
	cred_keyid(k, id);
	ck_assert_str_eq(hex32(id, h), k_exper_id);
	EVP_PKEY_free(k);
	k = ct_key("keys/k_xc");
	cred_keyid(k, id);
	ck_assert_str_eq(hex32(id, h), k_xc_id);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(encrypted_key)
{
	struct cred_pass	 none = { NULL, NULL, 0 };
	struct cred_pass	 env = { NULL, "CT_TEST_PASS", 0 };
	struct cred_pass	 file = { NULL, NULL, 0 };
	struct cred_err		 err;
	EVP_PKEY		*k, *pub;
	char			*path = ct_path("keys/k_enc_demo");
	char			*dir = ct_tmpdir(), *pf;
	uint8_t			 a[32], b[32];

	/* Without a passphrase it fails, naming the way to give one. */
	k = cred_key_load(path, &none, &err);
	ck_assert_ptr_null(k);
	ck_assert_ptr_nonnull(strstr(err.msg, "encrypted"));
	ck_assert_ptr_nonnull(strstr(err.msg, "k_enc_demo"));
	ck_assert_ptr_null(cred_key_load(path, NULL, &err));

	/* From the environment. */
	setenv("CT_TEST_PASS", "secret-pass", 1);
	k = cred_key_load(path, &env, &err);
	ck_assert_msg(k != NULL, "%s", err.msg);
	pub = ct_pub("keys/k_enc_demo.pub");
	cred_keyid(k, a);
	cred_keyid(pub, b);
	ck_assert_mem_eq(a, b, 32);
	EVP_PKEY_free(k);

	/* Wrong passphrase. */
	setenv("CT_TEST_PASS", "not-it", 1);
	ck_assert_ptr_null(cred_key_load(path, &env, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "wrong passphrase"));
	unsetenv("CT_TEST_PASS");

	/* From a file: the first line, without its newline. */
	ck_assert_int_ne(asprintf(&pf, "%s/pass", dir), -1);
	ck_assert_int_eq(cred_write_file(pf, "secret-pass\nignored\n", 20,
	    0600, 0, &err), 0);
	file.file = pf;
	k = cred_key_load(path, &file, &err);
	ck_assert_msg(k != NULL, "%s", err.msg);
	EVP_PKEY_free(k);

	/* An unencrypted key never needs a source. */
	free(path);
	path = ct_path("keys/k_ep");
	k = cred_key_load(path, &none, &err);
	ck_assert_msg(k != NULL, "%s", err.msg);
	EVP_PKEY_free(k);
	EVP_PKEY_free(pub);
	free(path);
	free(pf);
	ct_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(non_ed25519_key)
{
	struct cred_err	 err;
	EVP_PKEY	*rsa, *ec;
	char		*dir = ct_tmpdir(), *priv, *pub, *text;
	size_t		 len;

	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	ck_assert_ptr_nonnull(rsa);
	ck_assert_int_ne(asprintf(&priv, "%s/rsa", dir), -1);
	ck_assert_int_ne(asprintf(&pub, "%s/rsa.pub", dir), -1);
	text = cred_key_pem(rsa, 1, NULL, 0, &len, &err);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(cred_write_file(priv, text, len, 0600, 0, &err), 0);
	free(text);
	text = cred_key_pem(rsa, 0, NULL, 0, &len, &err);
	ck_assert_int_eq(cred_write_file(pub, text, len, 0600, 0, &err), 0);
	free(text);

	ck_assert_ptr_null(cred_key_load(priv, NULL, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "not Ed25519"));
	ck_assert_ptr_nonnull(strstr(err.msg, "RSA"));
	ck_assert_ptr_null(cred_pubkey_load(pub, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "not Ed25519"));

	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ck_assert_int_eq(cred_key_check(ec, "ec", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "EC"));
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
	free(priv);
	free(pub);
	ct_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(garbage_key)
{
	struct cred_err	 err;
	char		*dir = ct_tmpdir(), *p;

	ck_assert_int_ne(asprintf(&p, "%s/junk", dir), -1);
	ck_assert_int_eq(cred_write_file(p, "hello\n", 6, 0600, 0, &err), 0);
	ck_assert_ptr_null(cred_key_load(p, NULL, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "not a PEM private key"));
	ck_assert_ptr_null(cred_pubkey_load(p, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "junk"));
	ck_assert_ptr_null(cred_key_load("/nonexistent/k", NULL, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/k"));
	free(p);
	ct_rmtree(dir);
	free(dir);
}
END_TEST

/* ------------------------------------------------------------------ */
/* decode table */

static const struct {
	const char	*file;
	enum cred_type	 type;
	const char	*aki, *ski;
} decode_rows[] = {
	{ "certs/agent_xc_xc.cert", CRED_AGENT, NULL, NULL },
	{ "certs/agent_ep_ep.cert", CRED_AGENT, NULL, NULL },
	{ "certs/exppriv_eop_exper.cert", CRED_EXPPRIV,
	    "73be06b78b7eaeb76843415a6c6f6731dc961ba9349b4151f2e367f3ba63a374",
	    "32c67590f5ed02131e76bced111b3cef6075c17d55f43ea6183ad28f95a70fcc" },
	{ "certs/pubcmd_exper_xc.cert", CRED_PUBCMD,
	    "32c67590f5ed02131e76bced111b3cef6075c17d55f43ea6183ad28f95a70fcc",
	    "cd89dab4b2a22502cece2ff24d71c5efab860e91479715404b4edf07952ca18b" },
	{ "certs/subcmd_eop_ep.cert", CRED_SUBCMD,
	    "73be06b78b7eaeb76843415a6c6f6731dc961ba9349b4151f2e367f3ba63a374",
	    NULL },
	{ "certs/exppriv_eop_exper.limits.cert", CRED_EXPPRIV, NULL, NULL },
	{ "certs/exppriv_eop_exper.optstar.cert", CRED_EXPPRIV, NULL, NULL },
	{ "deleg/delpriv_exp.cert", CRED_DELPRIV, NULL, NULL },
	{ "deleg/delpriv_rep.cert", CRED_DELPRIV, NULL, NULL },
	{ "deleg/pubcmd_exper2_xc.cert", CRED_PUBCMD, NULL, NULL },
};

START_TEST(decode_table)
{
	struct cred_cert	 c;
	char			 h[65];

	ct_decode(decode_rows[_i].file, &c);
	ck_assert_int_eq(c.info.type, decode_rows[_i].type);
	ck_assert_int_eq(c.ca, cred_type_is_ca(c.info.type));
	if (decode_rows[_i].aki != NULL)
		ck_assert_str_eq(hex32(c.aki, h), decode_rows[_i].aki);
	if (decode_rows[_i].ski != NULL)
		ck_assert_str_eq(hex32(c.ski, h), decode_rows[_i].ski);
	/* pktlab_init.py's validity: 1970-01-01 .. 2038-01-19. */
	ck_assert_int_eq(c.not_before, 0);
	ck_assert_int_eq(c.not_after, 2147483647);
	ck_assert_uint_gt(c.serial_len, 0);
	if (c.info.type == CRED_AGENT)	/* self-signed */
		ck_assert_mem_eq(c.aki, c.ski, 32);
	cred_cert_clear(&c);
}
END_TEST

START_TEST(decode_plain_exppriv)
{
	struct cred_cert	 c;

	ct_decode("certs/exppriv_eop_exper.cert", &c);
	ck_assert_int_eq(c.pathlen, -1);
	ck_assert_int_eq(c.has_limits, 0);
	ck_assert_ptr_null(c.info.desc);
	ck_assert_uint_eq(c.info.naux, 0);
	ck_assert_uint_eq(c.key_usage, 0x04);
	/* A serial with the top bit set (DER pads it; the value is kept). */
	ck_assert_uint_eq(c.serial_len, 16);
	ck_assert_uint_eq(c.serial[0], 0xb5);
	cred_cert_clear(&c);
}
END_TEST

START_TEST(decode_limits)
{
	struct cred_cert	 c;
	const struct cred_limits *l = &c.lim;
	uint8_t			 a[16];
	char			 h[65], s[64];

	ct_decode("certs/exppriv_eop_exper.limits.cert", &c);
	ck_assert_int_eq(c.pathlen, 1);
	ck_assert_str_eq(c.info.desc, "demo exppriv (with limits)");
	ck_assert_int_eq(c.has_limits, 1);
	ck_assert_uint_eq(l->nmonitor, 1);
	ck_assert_str_eq(hex32(l->monitor[0].d, h),
	    "3a3dff7a950ab7caf70cfcf8d67f45e2e3e4cd72e3e6e484496394b419755ccd");
	ck_assert_uint_eq(l->num[CRED_LIM_MAX_NUM_PRIORITY], 10);
	ck_assert_uint_eq(l->num[CRED_LIM_MAX_SOCKET_COUNT], 4);
	ck_assert_uint_eq(l->num[CRED_LIM_MAX_EXP_PERIOD], 3600000000000ULL);
	ck_assert_uint_eq(l->num[CRED_LIM_MAX_SEND_BYTE], 100000000);
	ck_assert_uint_eq(l->num[CRED_LIM_MAX_RECV_PKT], 1000000);
	ck_assert(!(l->have & CRED_LIM_BIT(CRED_LIM_MAX_SEND_PKT)));
	ck_assert(!(l->have & CRED_LIM_BIT(CRED_LIM_MAX_RECV_BYTE)));
	ck_assert_uint_eq(l->nburst_pkt, 2);
	ck_assert_uint_eq(l->burst_pkt[0].count, 100);
	ck_assert_uint_eq(l->burst_pkt[0].window, 1000000000);
	ck_assert_uint_eq(l->burst_pkt[1].count, 1000);
	ck_assert_uint_eq(l->burst_pkt[1].window, 60000000000ULL);
	ck_assert_uint_eq(l->nburst_byte, 0);
	ck_assert_uint_eq(l->ndest, 2);
	ck_assert_str_eq(cred_subnet_str(&l->dest[0], s, sizeof(s)),
	    "192.0.2.0/24");
	ck_assert_str_eq(cred_subnet_str(&l->dest[1], s, sizeof(s)),
	    "2001:db8::/32");
	/* The IPv6 mask is computed, not read from stray memory. */
	ck_assert_uint_eq(l->dest[1].mask[3], 0xff);
	ck_assert_uint_eq(l->dest[1].mask[4], 0);
	ck_assert_uint_eq(l->dest[1].mask[15], 0);
	inet_pton(AF_INET6, "2001:db8:ffff::1", a);
	ck_assert(cred_subnet_match(&l->dest[1], AF_INET6, a));
	inet_pton(AF_INET6, "2001:db9::1", a);
	ck_assert(!cred_subnet_match(&l->dest[1], AF_INET6, a));
	inet_pton(AF_INET, "192.0.2.200", a);
	ck_assert(cred_subnet_match(&l->dest[0], AF_INET, a));
	ck_assert(!cred_subnet_match(&l->dest[1], AF_INET, a));
	ck_assert(l->have & CRED_LIM_BIT(CRED_LIM_SRC_IP_SPOOFING));
	ck_assert_int_eq(l->src_ip_spoofing, 0);
	/* The optional unknown limit is kept as an aux limit. */
	ck_assert_uint_eq(l->naux, 1);
	ck_assert_str_eq(l->aux[0].name, "x_site_policy");
	ck_assert_str_eq(l->aux[0].value, "strict");
	ck_assert_int_eq(l->aux[0].optional, 1);
	ck_assert_uint_eq(l->optional, 0);
	cred_cert_clear(&c);
}
END_TEST

START_TEST(decode_optstar)
{
	struct cred_cert	 c;

	/* 1.1.0 segfaults here; a '*'-prefixed known limit is optional. */
	ct_decode("certs/exppriv_eop_exper.optstar.cert", &c);
	ck_assert_int_eq(c.has_limits, 1);
	ck_assert_uint_eq(c.lim.have, CRED_LIM_BIT(CRED_LIM_MAX_RECV_PKT));
	ck_assert_uint_eq(c.lim.optional, CRED_LIM_BIT(CRED_LIM_MAX_RECV_PKT));
	ck_assert_uint_eq(c.lim.num[CRED_LIM_MAX_RECV_PKT], 1000000);
	ck_assert_uint_eq(c.lim.naux, 0);
	cred_cert_clear(&c);
}
END_TEST

START_TEST(decode_delpriv)
{
	struct cred_cert	 c;

	ct_decode("deleg/delpriv_exp.cert", &c);
	ck_assert_uint_eq(c.info.del_type, CRED_DEL_EXPPRIV);
	cred_cert_clear(&c);
	ct_decode("deleg/delpriv_rep.cert", &c);
	ck_assert_uint_eq(c.info.del_type, CRED_DEL_REPPRIV);
	cred_cert_clear(&c);
	ct_decode("deleg/exppriv_pl0.cert", &c);
	ck_assert_int_eq(c.pathlen, 0);
	cred_cert_clear(&c);
}
END_TEST

/* ------------------------------------------------------------------ */
/* chain table */

static const struct {
	const char		*c[3];
	const char		*root;		/* NULL: none configured */
	enum cred_mode		 mode;
	enum cred_verdict	 verdict;
	size_t			 n;		/* certificates in the chain */
	const char		*reason;	/* words the reason must hold */
} chain_rows[] = {
	{ { "certs/pubcmd_exper_xc.cert", "certs/exppriv_eop_exper.cert" },
	    "keys/k_eop.pub", CRED_MODE_ENDPOINT_AUTH_CONTROLLER, CRED_OK, 2,
	    NULL },
	{ { "certs/exppriv_eop_exper.cert", "certs/pubcmd_exper_xc.cert" },
	    "keys/k_eop.pub", CRED_MODE_ENDPOINT_AUTH_CONTROLLER,
	    CRED_UNEXPECTED_CERT, 0, "leaf must be first" },
	{ { "certs/pubcmd_exper_xc.cert", "certs/exppriv_eop_exper.cert" },
	    "keys/k_exper.pub", CRED_MODE_ENDPOINT_AUTH_CONTROLLER,
	    CRED_NO_MATCHING_SIGN_KEY, 0, "untrusted root" },
	{ { "certs/pubcmd_exper_xc.cert", "certs/exppriv_eop_exper.cert" },
	    NULL, CRED_MODE_ENDPOINT_AUTH_CONTROLLER, CRED_OK, 2, NULL },
	{ { "certs/subcmd_eop_ep.cert" }, "keys/k_eop.pub",
	    CRED_MODE_CONTROLLER_AUTH_ENDPOINT, CRED_OK, 1, NULL },
	{ { "certs/agent_xc_xc.cert" }, NULL, CRED_MODE_AGENT, CRED_OK, 1,
	    NULL },
	{ { "deleg/pubcmd_exper2_xc.cert", "deleg/delpriv_exp.cert",
	    "deleg/exppriv_plNone.cert" }, "keys/k_eop.pub",
	    CRED_MODE_ENDPOINT_AUTH_CONTROLLER, CRED_OK, 3, NULL },
	{ { "deleg/pubcmd_exper2_xc.cert", "deleg/exppriv_plNone.cert",
	    "deleg/delpriv_exp.cert" }, "keys/k_eop.pub",
	    CRED_MODE_ENDPOINT_AUTH_CONTROLLER, CRED_OK, 3, NULL },
	{ { "deleg/pubcmd_exper2_xc.cert", "deleg/delpriv_exp.cert",
	    "deleg/exppriv_pl1.cert" }, "keys/k_eop.pub",
	    CRED_MODE_ENDPOINT_AUTH_CONTROLLER, CRED_OK, 3, NULL },
	{ { "deleg/pubcmd_exper2_xc.cert", "deleg/delpriv_exp.cert",
	    "deleg/exppriv_pl0.cert" }, "keys/k_eop.pub",
	    CRED_MODE_ENDPOINT_AUTH_CONTROLLER, CRED_PATHLEN_EXCEEDED, 0,
	    "path length exceeded" },
	{ { "deleg/pubcmd_exper2_xc.cert", "deleg/delpriv_rep.cert",
	    "deleg/exppriv_plNone.cert" }, "keys/k_eop.pub",
	    CRED_MODE_ENDPOINT_AUTH_CONTROLLER, CRED_BAD_DEL_TYPE, 0,
	    "wrong delegation type" },
	{ { "certs/pubcmd_exper_xc.cert", "deleg/exppriv_pl0.cert" },
	    "keys/k_eop.pub", CRED_MODE_ENDPOINT_AUTH_CONTROLLER, CRED_OK, 2,
	    NULL },
	{ { "certs/pubcmd_exper_xc.cert", "deleg/exppriv_expired.cert" },
	    "keys/k_eop.pub", CRED_MODE_ENDPOINT_AUTH_CONTROLLER,
	    CRED_EXPIRED_CERT, 0,
	    "exppriv_expired.cert: expired 2001-09-09 01:46:40 UTC" },
};

START_TEST(chain_table)
{
	struct cred_certs	 cs;
	struct cred_keys	 roots;
	struct cred_chain	 ch;
	struct cred_err		 err;
	enum cred_verdict	 v;

	ct_certs(&cs, chain_rows[_i].c[0], chain_rows[_i].c[1],
	    chain_rows[_i].c[2], (char *)NULL);
	ct_roots(&roots, chain_rows[_i].root, (char *)NULL);
	v = ct_verify(chain_rows[_i].mode, &roots, CT_NOW, &cs, &ch, &err);
	ck_assert_msg(v == chain_rows[_i].verdict, "row %d: verdict %s (%s)",
	    _i, cred_verdict_name(v), err.msg);
	if (v == CRED_OK) {
		ck_assert_uint_eq(ch.n, chain_rows[_i].n);
		ck_assert_int_eq(ch.top_unchecked, roots.n == 0);
		ck_assert_int_eq(ch.root, roots.n == 0 ? -1 : 0);
		/* Ordered leaf -> top whatever the file order. */
		ck_assert_int_eq(ch.cert[0].info.type, chain_rows[_i].mode ==
		    CRED_MODE_ENDPOINT_AUTH_CONTROLLER ? CRED_PUBCMD :
		    chain_rows[_i].mode == CRED_MODE_AGENT ? CRED_AGENT :
		    CRED_SUBCMD);
		if (chain_rows[_i].mode == CRED_MODE_ENDPOINT_AUTH_CONTROLLER)
			ck_assert_int_eq(ch.cert[ch.n - 1].info.type,
			    CRED_EXPPRIV);
		cred_chain_free(&ch);
	} else
		ck_assert_msg(strstr(err.msg, chain_rows[_i].reason) != NULL,
		    "row %d: reason \"%s\" lacks \"%s\"", _i, err.msg,
		    chain_rows[_i].reason);
	cred_certs_free(&cs);
	cred_keys_free(&roots);
}
END_TEST

START_TEST(default_channel)
{
	struct cred_certs	 cs;
	struct cred_keys	 roots;
	struct cred_chain	 ch;
	struct cred_err		 err;
	char			 h[65];

	ct_certs(&cs, "certs/pubcmd_exper_xc.cert",
	    "certs/exppriv_eop_exper.cert", (char *)NULL);
	ct_roots(&roots, "keys/k_exper.pub", "keys/k_eop.pub", (char *)NULL);
	ck_assert_int_eq(ct_verify(CRED_MODE_ENDPOINT_AUTH_CONTROLLER, &roots,
	    CT_NOW, &cs, &ch, &err), CRED_OK);
	ck_assert_str_eq(hex32(ch.top_aki, h), k_eop_id);
	ck_assert_int_eq(ch.root, 1);	/* the second root key */
	ck_assert_str_eq(hex32(roots.id[ch.root], h), k_eop_id);
	cred_chain_free(&ch);
	cred_certs_free(&cs);
	cred_keys_free(&roots);
}
END_TEST

START_TEST(effective_limits)
{
	struct cred_certs	 cs;
	struct cred_keys	 roots;
	struct cred_chain	 ch;
	struct cred_err		 err;
	uint8_t			 a[16];

	ct_certs(&cs, "certs/pubcmd_exper_xc.cert",
	    "certs/exppriv_eop_exper.limits.cert", (char *)NULL);
	ct_roots(&roots, "keys/k_eop.pub", (char *)NULL);
	ck_assert_int_eq(ct_verify(CRED_MODE_ENDPOINT_AUTH_CONTROLLER, &roots,
	    CT_NOW, &cs, &ch, &err), CRED_OK);
	ck_assert_uint_eq(ch.eff.nmonitor, 1);
	ck_assert_uint_eq(ch.eff.num[CRED_LIM_MAX_SOCKET_COUNT], 4);
	ck_assert_uint_eq(ch.eff.num[CRED_LIM_MAX_NUM_PRIORITY], 10);
	ck_assert_uint_eq(ch.eff.num[CRED_LIM_MAX_SEND_PKT], UINT64_MAX);
	ck_assert_uint_eq(ch.eff.nburst_pkt, 2);
	ck_assert_int_eq(ch.eff.src_ip_spoofing, 0);
	ck_assert_int_eq(ch.eff.not_after, 2147483647);
	inet_pton(AF_INET, "192.0.2.7", a);
	ck_assert(cred_eff_dest_ok(&ch.eff, AF_INET, a));
	inet_pton(AF_INET, "198.51.100.7", a);
	ck_assert(!cred_eff_dest_ok(&ch.eff, AF_INET, a));
	cred_chain_free(&ch);
	cred_certs_free(&cs);
	cred_keys_free(&roots);
}
END_TEST

START_TEST(chain_count_limits)
{
	struct cred_certs	 cs;
	struct cred_chain	 ch;
	struct cred_err		 err;

	/* A controller chain needs 2 certificates. */
	ct_certs(&cs, "certs/pubcmd_exper_xc.cert", (char *)NULL);
	ck_assert_int_eq(ct_verify(CRED_MODE_ENDPOINT_AUTH_CONTROLLER, NULL,
	    CT_NOW, &cs, &ch, &err), CRED_NOT_ENOUGH_CERT);
	cred_certs_free(&cs);
	/* Agent links take exactly one certificate (ERRATA missing-fact 5). */
	ct_certs(&cs, "certs/agent_xc_xc.cert", "certs/agent_ep_ep.cert",
	    (char *)NULL);
	ck_assert_int_eq(ct_verify(CRED_MODE_AGENT, NULL, CT_NOW, &cs, &ch,
	    &err), CRED_TOO_MANY_CERT);
	cred_certs_free(&cs);
	memset(&cs, 0, sizeof(cs));
	ck_assert_int_eq(ct_verify(CRED_MODE_AGENT, NULL, CT_NOW, &cs, &ch,
	    &err), CRED_NOT_ENOUGH_CERT);
}
END_TEST

/* ------------------------------------------------------------------ */
/* CSRs */

static const struct {
	const char	*file;
	enum cred_type	 type;
	unsigned	 del;
	const char	*key;
} csr_rows[] = {
	{ "csrs/exppriv_exper.csr", CRED_EXPPRIV, 0, "keys/k_exper.pub" },
	{ "csrs/delpriv_exp_exper.csr", CRED_DELPRIV, CRED_DEL_EXPPRIV,
	    "keys/k_exper.pub" },
	{ "csrs/delpriv_rep_eop.csr", CRED_DELPRIV, CRED_DEL_REPPRIV,
	    "keys/k_eop.pub" },
};

START_TEST(csr_decode)
{
	struct cred_csr	 c;
	struct cred_err	 err;
	X509_REQ	*req;
	EVP_PKEY	*k;
	uint8_t		 raw[32];
	char		*p = ct_path(csr_rows[_i].file);

	req = cred_csr_load(p, &err);
	ck_assert_msg(req != NULL, "%s", err.msg);
	ck_assert_msg(cred_csr_decode(req, csr_rows[_i].file, &c, &err) == 0,
	    "%s", err.msg);
	ck_assert_int_eq(c.info.type, csr_rows[_i].type);
	ck_assert_uint_eq(c.info.del_type, csr_rows[_i].del);
	ck_assert_int_eq(c.has_bc, 0);
	ck_assert_int_eq(c.pathlen, -1);
	ck_assert_int_eq(c.has_limits, 0);
	k = ct_pub(csr_rows[_i].key);
	cred_key_raw(k, raw);
	ck_assert_mem_eq(raw, c.key, 32);
	EVP_PKEY_free(k);
	cred_csr_clear(&c);
	free(p);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("cred_vectors");
	TCase	*tc;

	tc = tcase_create("keys");
	tcase_add_test(tc, key_ids);
	tcase_add_test(tc, encrypted_key);
	tcase_add_test(tc, non_ed25519_key);
	tcase_add_test(tc, garbage_key);
	suite_add_tcase(s, tc);
	tc = tcase_create("decode");
	tcase_add_loop_test(tc, decode_table, 0, (int)(sizeof(decode_rows) /
	    sizeof(decode_rows[0])));
	tcase_add_test(tc, decode_plain_exppriv);
	tcase_add_test(tc, decode_limits);
	tcase_add_test(tc, decode_optstar);
	tcase_add_test(tc, decode_delpriv);
	suite_add_tcase(s, tc);
	tc = tcase_create("chain");
	tcase_add_loop_test(tc, chain_table, 0, (int)(sizeof(chain_rows) /
	    sizeof(chain_rows[0])));
	tcase_add_test(tc, default_channel);
	tcase_add_test(tc, effective_limits);
	tcase_add_test(tc, chain_count_limits);
	suite_add_tcase(s, tc);
	tc = tcase_create("csr");
	tcase_add_loop_test(tc, csr_decode, 0, (int)(sizeof(csr_rows) /
	    sizeof(csr_rows[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ct_run(suite());
}
