/*
 * test_proxy.c: pktlab-proxy's pure parts: the ClientHello SNI parser
 * (src/proxy/pure/sni.c) on real ClientHellos (one captured from our
 * pktlab-endpoint, two made by Python's OpenSSL) cut every way, and on
 * broken ones; the PKTLAB marker search (C8 quirk fixed); proxy.conf.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/pure/proxy_pure.h"
#include "vec.h"

static uint8_t scratch[PX_HELLO_MAX + 4];

static uint8_t *
load(const char *name, size_t *len)
{
	char *path = vec_data_path(name);
	FILE *f = fopen(path, "rb");
	uint8_t *b = malloc(70000);

	ck_assert_msg(f != NULL, "cannot open %s", path);
	*len = fread(b, 1, 70000, f);
	fclose(f);
	free(path);
	return b;
}

/* The same handshake message cut into k records of (about) equal size. */
static uint8_t *
resplit(const uint8_t *h, size_t hlen, size_t k, size_t *outlen)
{
	size_t body = hlen - 5, i, a, b, o = 0;
	uint8_t *out = malloc(body + 5 * k);

	for (i = 0; i < k; i++) {
		a = body * i / k;
		b = body * (i + 1) / k;
		if (b == a)
			continue;
		out[o++] = 22;
		out[o++] = 3;
		out[o++] = 1;
		out[o++] = (uint8_t)((b - a) >> 8);
		out[o++] = (uint8_t)(b - a);
		memcpy(out + o, h + 5 + a, b - a);
		o += b - a;
	}
	*outlen = o;
	return out;
}

START_TEST(endpoint_hello)
{
	struct px_sni s;
	size_t len, i;
	uint8_t *h = load("proxy/hello_endpoint.bin", &len);

	ck_assert_uint_eq(len, 240);
	ck_assert_int_eq(px_sni_parse(h, len, scratch, sizeof(scratch), &s),
	    PX_SNI_OK);
	ck_assert_int_eq(s.has_sni, 1);
	ck_assert_str_eq(s.name, "abc123");
	ck_assert_uint_eq(s.used, 240);
	/* Every prefix: read more. */
	for (i = 0; i < len; i++)
		ck_assert_int_eq(px_sni_parse(h, i, scratch, sizeof(scratch),
		    &s), PX_SNI_NEED);
	free(h);
}
END_TEST

START_TEST(split_records)
{
	struct px_sni s;
	size_t len, k, slen, i;
	uint8_t *h = load("proxy/hello_python.bin", &len), *sp;

	for (k = 1; k <= 40; k++) {
		sp = resplit(h, len, k, &slen);
		for (i = 0; i < slen; i++)
			ck_assert_int_eq(px_sni_parse(sp, i, scratch,
			    sizeof(scratch), &s), PX_SNI_NEED);
		ck_assert_int_eq(px_sni_parse(sp, slen, scratch,
		    sizeof(scratch), &s), PX_SNI_OK);
		ck_assert_str_eq(s.name, "k0abcdefghijklmnopqrstuvwxyz0123456789"
		    "abcdefghijklmnopqrstuvwxy");
		ck_assert_uint_eq(s.namelen, 63);
		ck_assert_uint_eq(s.used, slen);
		free(sp);
	}
	free(h);
}
END_TEST

START_TEST(no_sni)
{
	struct px_sni s;
	size_t len;
	uint8_t *h = load("proxy/hello_nosni.bin", &len);

	ck_assert_int_eq(px_sni_parse(h, len, scratch, sizeof(scratch), &s),
	    PX_SNI_OK);
	ck_assert_int_eq(s.has_sni, 0);
	free(h);
}
END_TEST

START_TEST(trailing)
{
	struct px_sni s;
	size_t len;
	uint8_t *h = load("proxy/hello_endpoint.bin", &len), *b;

	/* A next record after the hello is the caller's: used stops before. */
	b = malloc(len + 10);
	memcpy(b, h, len);
	memcpy(b + len, "\x14\x03\x03\x00\x01\x01GARB", 10);
	ck_assert_int_eq(px_sni_parse(b, len + 10, scratch, sizeof(scratch),
	    &s), PX_SNI_OK);
	ck_assert_uint_eq(s.used, len);
	/* Bytes past the hello inside its own record: refused. */
	b[3] = 0;
	b[4] = 0xeb + 1;
	b[len] = 0;
	ck_assert_int_eq(px_sni_parse(b, len + 1, scratch, sizeof(scratch),
	    &s), PX_SNI_BAD);
	ck_assert_str_eq(s.why, "record: bytes past the ClientHello");
	free(b);
	free(h);
}
END_TEST

static enum px_sni_res
mutated(size_t at, uint8_t v, struct px_sni *s)
{
	size_t len;
	uint8_t *h = load("proxy/hello_endpoint.bin", &len);
	enum px_sni_res r;

	h[at] = v;
	r = px_sni_parse(h, len, scratch, sizeof(scratch), s);
	free(h);
	return r;
}

START_TEST(broken)
{
	static const struct {
		const char *bytes;
		size_t len;
		const char *why;
	} cases[] = {
		{ "GET / HTTP/1.1\r\n", 16, "not a TLS handshake record" },
		{ "\x17\x03\x03\x00\x10", 5, "not a TLS handshake record" },
		{ "\x16\x02", 2, "record: not a TLS version" },
		{ "\x16\x03\x01\x00\x00", 5, "record: empty handshake fragment" },
		{ "\x16\x03\x01\x40\x01", 5, "record: longer than 2^14" },
		{ "\x16\x03\x01\x00\x04\x02\x00\x00\x00", 9,
		    "handshake: not a ClientHello" },
		{ "\x16\x03\x01\x00\x04\x01\x01\x00\x00", 9,
		    "ClientHello longer than 16384 bytes" },
		{ "\x16\x03\x01\x00\x04\x01\x00\x00\x00", 9,
		    "ClientHello: truncated" },
		{ "\x80\x2e\x01", 3, "not a TLS handshake record" },	/* SSLv2 */
	};
	struct px_sni s;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(px_sni_parse((const uint8_t *)cases[i].bytes,
		    cases[i].len, scratch, sizeof(scratch), &s), PX_SNI_BAD);
		ck_assert_str_eq(s.why, cases[i].why);
	}
	/* A non-handshake record between two fragments. */
	{
		size_t len, slen;
		uint8_t *h = load("proxy/hello_endpoint.bin", &len);
		uint8_t *sp = resplit(h, len, 2, &slen), *b = malloc(slen + 6);
		size_t first = 5 + (len - 5) / 2;

		memcpy(b, sp, first);
		memcpy(b + first, "\x15\x03\x03\x00\x02\x01", 6);
		ck_assert_int_eq(px_sni_parse(b, first + 6, scratch,
		    sizeof(scratch), &s), PX_SNI_BAD);
		ck_assert_str_eq(s.why,
		    "a non-handshake record inside the ClientHello");
		free(b);
		free(sp);
		free(h);
	}
	/* Within the real hello: the extensions' total length off by one. */
	{
		size_t len;
		uint8_t *h = load("proxy/hello_endpoint.bin", &len);
		/* 5 rec + 4 hs + 2 ver + 32 rnd, then session id. */
		size_t o = 5 + 4 + 2 + 32;

		o += 1 + h[o];
		o += 2 + ((size_t)h[o] << 8 | h[o + 1]);
		o += 1 + h[o];
		free(h);
		ck_assert_int_eq(mutated(o + 1, 0, &s), PX_SNI_BAD);
		ck_assert_int_eq(mutated(5 + 4, 2, &s), PX_SNI_BAD);
		ck_assert_str_eq(s.why, "ClientHello: not a TLS version");
	}
}
END_TEST

/* A hand-made hello with a given server_name extension body. */
static enum px_sni_res
with_sn(const uint8_t *sn, size_t snlen, struct px_sni *s)
{
	uint8_t b[600];
	size_t o = 9, hl;

	b[o++] = 3;
	b[o++] = 3;
	memset(b + o, 0xaa, 32);
	o += 32;
	b[o++] = 0;		/* session id */
	b[o++] = 0;
	b[o++] = 2;
	b[o++] = 0x13;
	b[o++] = 0x01;		/* one suite */
	b[o++] = 1;
	b[o++] = 0;		/* null compression */
	b[o++] = (uint8_t)((snlen + 4) >> 8);
	b[o++] = (uint8_t)(snlen + 4);
	b[o++] = 0;
	b[o++] = 0;		/* server_name */
	b[o++] = (uint8_t)(snlen >> 8);
	b[o++] = (uint8_t)snlen;
	memcpy(b + o, sn, snlen);
	o += snlen;
	hl = o - 9;
	b[0] = 22;
	b[1] = 3;
	b[2] = 1;
	b[3] = (uint8_t)((o - 5) >> 8);
	b[4] = (uint8_t)(o - 5);
	b[5] = 1;
	b[6] = 0;
	b[7] = (uint8_t)(hl >> 8);
	b[8] = (uint8_t)hl;
	return px_sni_parse(b, o, scratch, sizeof(scratch), s);
}

START_TEST(server_names)
{
	struct px_sni s;

	ck_assert_int_eq(with_sn((const uint8_t *)"\x00\x06\x00\x00\x03" "abc",
	    8, &s), PX_SNI_OK);
	ck_assert_str_eq(s.name, "abc");
	/* Another name type is skipped. */
	ck_assert_int_eq(with_sn((const uint8_t *)"\x00\x0a\x05\x00\x01x"
	    "\x00\x00\x03" "abc", 12, &s), PX_SNI_OK);
	ck_assert_str_eq(s.name, "abc");
	ck_assert_int_eq(with_sn((const uint8_t *)"\x00\x0c\x00\x00\x03" "abc"
	    "\x00\x00\x03" "def", 14, &s), PX_SNI_BAD);
	ck_assert_str_eq(s.why, "server_name extension: two host_names");
	ck_assert_int_eq(with_sn((const uint8_t *)"\x00\x03\x00\x00\x00", 5,
	    &s), PX_SNI_BAD);
	ck_assert_str_eq(s.why, "server_name: empty host_name");
	ck_assert_int_eq(with_sn((const uint8_t *)"\x00\x06\x00\x00\x03" "a\nc",
	    8, &s), PX_SNI_BAD);
	ck_assert_int_eq(with_sn((const uint8_t *)"\x00\x07\x00\x00\x03" "abc",
	    8, &s), PX_SNI_BAD);
	ck_assert_int_eq(with_sn((const uint8_t *)"\x00\x00", 2, &s),
	    PX_SNI_BAD);
	ck_assert_str_eq(s.why, "server_name extension: empty list");
}
END_TEST

START_TEST(marker)
{
	size_t keep;

	ck_assert_uint_eq(px_marker_find((const uint8_t *)"PKTLAB", 6, &keep), 6);
	ck_assert_uint_eq(px_marker_find((const uint8_t *)"xyPKTLAB", 8,
	    &keep), 8);
	/* C8: 1.1.0 misses these two. */
	ck_assert_uint_eq(px_marker_find((const uint8_t *)"PPKTLAB", 7, &keep), 7);
	ck_assert_uint_eq(px_marker_find((const uint8_t *)"PKTLPKTLAB", 10,
	    &keep), 10);
	ck_assert_uint_eq(px_marker_find((const uint8_t *)"abcPKTL", 7, &keep), 0);
	ck_assert_uint_eq(keep, 4);
	ck_assert_uint_eq(px_marker_find((const uint8_t *)"abcP", 4, &keep), 0);
	ck_assert_uint_eq(keep, 1);
	ck_assert_uint_eq(px_marker_find((const uint8_t *)"abc", 3, &keep), 0);
	ck_assert_uint_eq(keep, 0);
	ck_assert_uint_eq(px_marker_find((const uint8_t *)"", 0, &keep), 0);
	ck_assert_uint_eq(keep, 0);
}
END_TEST

static char diags[4096];

static void
diag(void *arg, unsigned line, const char *msg)
{
	size_t n = strlen(diags);

	snprintf(diags + n, sizeof(diags) - n, "%u: %s\n", line, msg);
}

static int
parse(struct px_conf *c, const char *text)
{
	diags[0] = '\0';
	px_conf_defaults(c);
	return px_conf_parse(c, text, strlen(text), "/etc/pl", diag, NULL);
}

START_TEST(conf_good)
{
	struct px_conf c;

	ck_assert_int_eq(parse(&c,
	    "# comment\n"
	    "ProxyPrivKeyPath keys/k_proxy\n"
	    "ProxyAgentCertPath /abs/agent.cert\n"
	    "ControllerCertRootPath a.pub,b.pub\n"
	    "RequireControllerCert 1\n"
	    "ControllerAddr 127.0.0.1:1000\n"
	    "EndpointAddr [::1]\n"
	    "HoldTimeout 500ms\n"
	    "RelayMode buffer\n"
	    "RelayBufferSize 8192\n"
	    "SendCloseNotify 0\n"), 0);
	ck_assert_str_eq(c.key, "/etc/pl/keys/k_proxy");
	ck_assert_str_eq(c.cert, "/abs/agent.cert");
	ck_assert_uint_eq(c.nroots, 2);
	ck_assert_str_eq(c.roots[1], "/etc/pl/b.pub");
	ck_assert_int_eq(c.require_cert, 1);
	ck_assert_str_eq(c.ctl_addr, "127.0.0.1:1000");
	ck_assert_str_eq(c.ep_addr, "[::1]");
	ck_assert_uint_eq(c.hold_timeout, 500000000ull);
	ck_assert_uint_eq(c.hello_timeout, PX_HELLO_TIMEOUT_DEF);
	ck_assert_int_eq(c.relay, PX_RELAY_BUFFER);
	ck_assert_uint_eq(c.bufsize, 8192);
	ck_assert_int_eq(c.close_notify, 0);
	ck_assert_int_eq(c.bind_key, 1);
	px_conf_free(&c);
}
END_TEST

START_TEST(conf_bad)
{
	struct px_conf c;

	ck_assert_int_eq(parse(&c,
	    "ProxyPrivKeyPath k\n"
	    "ProxyAgentCertPath c\n"
	    "ProxyPrivKeyPath k2\n"
	    "Bogus 1\n"
	    "HoldTimeout 0\n"
	    "RelayMode zerocopy\n"
	    "EndpointAddr 1.2.3.4:\n"
	    "SendCloseNotify yes\n"
	    "RelayBufferSize 12\n"), 7);
	ck_assert_str_eq(diags,
	    "3: ProxyPrivKeyPath given twice (first on line 1)\n"
	    "4: unknown directive \"Bogus\"\n"
	    "5: HoldTimeout: must not be 0\n"
	    "6: RelayMode: \"zerocopy\": expected splice or buffer\n"
	    "7: EndpointAddr: \"1.2.3.4:\": missing port after ':'\n"
	    "8: SendCloseNotify: \"yes\": expected 0 or 1\n"
	    "9: RelayBufferSize: \"12\": want 4096 .. 16777216\n");
	px_conf_free(&c);
	ck_assert_int_eq(parse(&c, ""), 2);
	ck_assert_str_eq(diags, "0: ProxyPrivKeyPath is required\n"
	    "0: ProxyAgentCertPath is required\n");
	px_conf_free(&c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("proxy");
	TCase *tc = tcase_create("pure");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, endpoint_hello);
	tcase_add_test(tc, split_records);
	tcase_add_test(tc, no_sni);
	tcase_add_test(tc, trailing);
	tcase_add_test(tc, broken);
	tcase_add_test(tc, server_names);
	tcase_add_test(tc, marker);
	tcase_add_test(tc, conf_good);
	tcase_add_test(tc, conf_bad);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
