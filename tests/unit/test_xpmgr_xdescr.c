/*
 * test_xpmgr_xdescr.c: what pktxpmgr publishes (src/xpmgr/pure/xdescr.c):
 * the XPUB of transcripts A1, A2 and A4 byte for byte, overrides with
 * §8.2's intended meaning (ERRATA 11), the controller address precedence
 * of §1.3 (passive, inferred, proxy), -i as hostid, channel lists and
 * eopkeys, and the publication window.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/xpconf.h"
#include "conftest.h"
#include "ctrun.h"
#include "util/util.h"
#include "xpmgr/pure/xpub.h"

#define H	"/h"
#define PUB_HEAD \
	"EnableExpPublication 1\n" \
	"BrokerAddr 127.0.0.1:20556\n" \
	"PubAgentCertPath " H "/certs/agent_xc_xc.cert\n" \
	"ControllerPrivkeyPath " H "/keys/k_xc\n"
#define CHAIN	H "/certs/exppriv_eop_exper.cert," H "/certs/pubcmd_exper_xc.cert"
#define EXP_ABC	"ExpExec 1:abc123:" CHAIN ":" H "/keys/k_eop.pub::\n"
#define EXP_DEF	"ExpExec 0:def456:" CHAIN "::7075626c6963:\n"

/* keyid(k_eop), the key channel, and k_eop raw (transcripts A1, A2). */
static const char KEYCHAN[] =
    "73be06b78b7eaeb76843415a6c6f6731dc961ba9349b4151f2e367f3ba63a374";
static const char EOPKEY[] =
    "3489b6a72c9edea1f67e937b968ce4edff77a0d84b60064e8d32257e898b1dd6";

static struct xpmgr_conf	 conf;
static uint8_t			 keychan[32], eopkey[32];

static void
unhex(const char *s, uint8_t *out, size_t n)
{
	size_t		 i;
	unsigned	 v;

	ck_assert_uint_eq(strlen(s), 2 * n);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void
load(const char *text, const char *const *args)
{
	struct xpmgr_cli	 cli;
	char			 err[XPMGR_ERRLEN];

	ck_assert_msg(xpmgr_conf_parse(&conf, "xpmgr.conf", text, strlen(text), err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), args), 0);
	ck_assert_msg(xpmgr_conf_apply_cli(&conf, &cli, err, sizeof(err)) == 0, "%s", err);
}

static void
setup(void)
{
	unhex(KEYCHAN, keychan, 32);
	unhex(EOPKEY, eopkey, 32);
}

static void
teardown(void)
{
	xpmgr_conf_free(&conf);
}

/* Plan entry i so that its pub_end is pub_end (PubPeriod period) and compare the XPUB to hex. */
static void
expect_xpub(size_t i, int trusted, uint64_t start, const char *local, const char *xdescr,
    const char *hex)
{
	struct xp_pubplan	 p;
	uint8_t			 buf[8192];
	char			 why[512], *got;
	ssize_t			 n;

	ck_assert_msg(xp_pubplan_build(&conf, i, trusted ? keychan : NULL,
	    trusted ? eopkey : NULL, start, local, &p, why, sizeof(why)) == 0, "%s", why);
	ck_assert_str_eq(p.xdescr, xdescr);
	ck_assert_uint_eq(p.xdlen, strlen(xdescr));
	n = xp_pubplan_encode(&p, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	if (hex != NULL) {
		got = xmalloc(2 * (size_t)n + 1);
		pl_hex(buf, (size_t)n, got);
		ck_assert_str_eq(got, hex);
		free(got);
	}
}

/* A1: two entries, -a 127.0.0.1:20600, -i 'ep7*', PubPeriod 4 s. */
START_TEST(a1_bytes)
{
	load(PUB_HEAD "PubPeriod 4000000000\n" EXP_ABC EXP_DEF,
	    CT_ARGS("-a", "127.0.0.1:20600", "-i", "ep7*", "m"));
	ck_assert_uint_eq(conf.nexp, 2);
	/* Sent first: the second entry (reverse config order). */
	expect_xpub(1, 0, 1796492469099942466ull - 4000000000ull, NULL,
	    "hostid=ep7*;pub_end=1796492469099942466;controller_addr=127.0.0.1:20600;"
	    "sni_key=def456;",
	    "3100007f067075626c696300000000000000000000000000000000000000000000000000"
	    "0000000000000000686f737469643d6570372a3b7075625f656e643d3137393634393234"
	    "36393039393934323436363b636f6e74726f6c6c65725f616464723d3132372e302e302e"
	    "313a32303630303b736e695f6b65793d6465663435363b");
	expect_xpub(0, 1, 1796492470049421539ull - 4000000000ull, NULL,
	    "hostid=ep7*;pub_end=1796492470049421539;controller_addr=127.0.0.1:20600;"
	    "sni_key=abc123;",
	    "310000992073be06b78b7eaeb76843415a6c6f6731dc961ba9349b4151f2e367f3ba63a374"
	    "003489b6a72c9edea1f67e937b968ce4edff77a0d84b60064e8d32257e898b1dd6686f7374"
	    "69643d6570372a3b7075625f656e643d313739363439323437303034393432313533393b63"
	    "6f6e74726f6c6c65725f616464723d3132372e302e302e313a32303630303b736e695f6b65"
	    "793d6162633132333b");
}
END_TEST

/* A2: PubControllerAddr, PubExpPriority, PubCountry, PubLocation. */
START_TEST(a2_bytes)
{
	load(PUB_HEAD "PubPeriod 2000000000\nPubControllerAddr 127.0.0.1:20600\n"
	    "PubExpPriority 5\nPubCountry USA,CAN\nPubLocation FN31*,IO9?\n" EXP_ABC,
	    CT_ARGS("m"));
	expect_xpub(0, 1, 1796492701856680630ull - 2000000000ull, "10.9.9.9",
	    "endpoint_location=IO9?;endpoint_location=FN31*;endpoint_country=CAN;"
	    "endpoint_country=USA;exp_priority=5;pub_end=1796492701856680630;"
	    "controller_addr=127.0.0.1:20600;sni_key=abc123;",
	    "310000f52073be06b78b7eaeb76843415a6c6f6731dc961ba9349b4151f2e367f3ba63a374"
	    "003489b6a72c9edea1f67e937b968ce4edff77a0d84b60064e8d32257e898b1dd6656e6470"
	    "6f696e745f6c6f636174696f6e3d494f393f3b656e64706f696e745f6c6f636174696f6e3d"
	    "464e33312a3b656e64706f696e745f636f756e7472793d43414e3b656e64706f696e745f63"
	    "6f756e7472793d5553413b6578705f7072696f726974793d353b7075625f656e643d313739"
	    "363439323730313835363638303633303b636f6e74726f6c6c65725f616464723d3132372e"
	    "302e302e313a32303630303b736e695f6b65793d6162633132333b");
}
END_TEST

/* A4's XPUB (the broker then answers EPUBBADXD). */
START_TEST(a4_bytes)
{
	load(PUB_HEAD "PubPeriod 4000000000\n" EXP_DEF, CT_ARGS("-a", "127.0.0.1:20600", "m"));
	expect_xpub(0, 0, 1796492492359444111ull - 4000000000ull, NULL,
	    "pub_end=1796492492359444111;controller_addr=127.0.0.1:20600;sni_key=def456;",
	    "31000073067075626c696300000000000000000000000000000000000000000000000000"
	    "00000000000000007075625f656e643d313739363439323439323335393434343131313b"
	    "636f6e74726f6c6c65725f616464723d3132372e302e302e313a32303630303b736e695f"
	    "6b65793d6465663435363b");
}
END_TEST

/* A3's one override that 1.1.0 published: other names come after sni_key. */
START_TEST(override_custom)
{
	load(PUB_HEAD "PubPeriod 1\nExpExec 1:abc123:" CHAIN ":" H "/keys/k_eop.pub::"
	    "x_custom=1;\n", CT_ARGS("-a", "127.0.0.1:20600", "m"));
	expect_xpub(0, 1, 1796492484188525672ull, NULL,
	    "pub_end=1796492484188525673;controller_addr=127.0.0.1:20600;"
	    "sni_key=abc123;x_custom=1;", NULL);
}
END_TEST

/* §8.2 as meant: each predefined name in the override replaces its default. */
START_TEST(override_replaces)
{
	load(PUB_HEAD "PubPeriod 1000\nPubExpPriority 5\nPubCountry USA,CAN\n"
	    "PubLocation FN31*\n"
	    "ExpExec 1:abc123:" CHAIN ":" H "/keys/k_eop.pub::controller_addr=ctl.example:9;"
	    "pub_end=77;exp_priority=3;endpoint_country=MEX;endpoint_location=AB12;"
	    "endpoint_country=BRA;hostid=h1;a=;\n",
	    CT_ARGS("-a", "127.0.0.1:20600", "-i", "ep7*", "-p", "p.example", "m"));
	expect_xpub(0, 1, 5000, NULL,
	    "sni_key=abc123;a=;hostid=h1;endpoint_country=BRA;endpoint_location=AB12;"
	    "endpoint_country=MEX;exp_priority=3;pub_end=77;controller_addr=ctl.example:9;",
	    NULL);
	/* The window follows the override's pub_end. */
	ck_assert_uint_eq(xp_pub_window_end(&conf, 5000), 77);
}
END_TEST

/* Straight into the builder: sni_key and a repeated hostid are refused. */
START_TEST(override_refused)
{
	struct xp_xdin	 in;
	char		 out[XP_XDESCR_MAX + 1], why[256];
	size_t		 len;

	memset(&in, 0, sizeof(in));
	in.snikey = "abc";
	in.ctrl_addr = "1.2.3.4";
	in.override = "sni_key=x;";
	in.overridelen = strlen(in.override);
	ck_assert_int_eq(xp_xdescr_build(&in, out, sizeof(out), &len, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "sni_key"));
	in.override = "hostid=a;hostid=b;";
	in.overridelen = strlen(in.override);
	ck_assert_int_eq(xp_xdescr_build(&in, out, sizeof(out), &len, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "hostid"));
	in.override = "bad";
	in.overridelen = 3;
	ck_assert_int_eq(xp_xdescr_build(&in, out, sizeof(out), &len, why, sizeof(why)), -1);
	/* No controller address at all. */
	in.override = NULL;
	in.overridelen = 0;
	in.ctrl_addr = NULL;
	ck_assert_int_eq(xp_xdescr_build(&in, out, sizeof(out), &len, why, sizeof(why)), -1);
	/* A bad -i reaching the builder names the character. */
	in.ctrl_addr = "1.2.3.4";
	in.hostid = "a=b";
	ck_assert_int_eq(xp_xdescr_build(&in, out, sizeof(out), &len, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "hostid"));
	/* The configuration refuses a sni_key override at its line. */
	{
		const char	*t = PUB_HEAD "PubPeriod 1\nExpExec 1:abc:" CHAIN "::61:sni_key=x;\n";
		char		 err[XPMGR_ERRLEN];

		ck_assert_int_eq(xpmgr_conf_parse(&conf, "xpmgr.conf", t, strlen(t), err,
		    sizeof(err)), -1);
		ck_assert_ptr_nonnull(strstr(err, "xpmgr.conf:6:"));
	}
}
END_TEST

/* A too long descriptor is refused, not truncated. */
START_TEST(xdescr_too_long)
{
	struct xp_xdin	 in;
	char		 out[XP_XDESCR_MAX + 1], why[256], *big;
	size_t		 len;

	big = xmalloc(5000);
	memset(big, 'a', 4999);
	big[4999] = '\0';
	memset(&in, 0, sizeof(in));
	in.snikey = "abc";
	in.ctrl_addr = "1.2.3.4";
	in.hostid = big;
	ck_assert_int_eq(xp_xdescr_build(&in, out, sizeof(out), &len, why, sizeof(why)), -1);
	ck_assert_int_eq(xp_hostid_check(big, why, sizeof(why)), -1);
	free(big);
}
END_TEST

START_TEST(hostid_chars)
{
	char	 why[256];

	ck_assert_int_eq(xp_hostid_check("ep7*", why, sizeof(why)), 0);
	ck_assert_int_eq(xp_hostid_check("A-z_0.9:[],/() \t?", why, sizeof(why)), 0);
	ck_assert_int_eq(xp_hostid_check("", why, sizeof(why)), 0);
	ck_assert_int_eq(xp_hostid_check("a=b", why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "'='"));
	ck_assert_int_eq(xp_hostid_check("a;b", why, sizeof(why)), -1);
	ck_assert_int_eq(xp_hostid_check("a@b", why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "at 2"));
}
END_TEST

/* §1.3: -p, PubControllerAddr, -a (passive: verbatim; proxy: its host), inference. */
START_TEST(ctrl_addr_precedence)
{
	struct xp_pubplan	 p;
	char			 why[256];

	load(PUB_HEAD "PubControllerAddr cfg.example\n" EXP_DEF,
	    CT_ARGS("-p", "cli.example:1", "-a", "127.0.0.1:20600", "m"));
	ck_assert_int_eq(xp_pubplan_build(&conf, 0, NULL, NULL, 0, "10.0.0.9", &p, why,
	    sizeof(why)), 0);
	ck_assert_str_eq(p.xdescr, "controller_addr=cli.example:1;sni_key=def456;");
	teardown();

	load(PUB_HEAD "PubControllerAddr cfg.example\n" EXP_DEF,
	    CT_ARGS("-a", "127.0.0.1:20600", "m"));
	ck_assert_int_eq(xp_pubplan_build(&conf, 0, NULL, NULL, 0, "10.0.0.9", &p, why,
	    sizeof(why)), 0);
	ck_assert_str_eq(p.xdescr, "controller_addr=cfg.example;sni_key=def456;");
	teardown();

	/* Passive with -a: verbatim. */
	load(PUB_HEAD EXP_DEF, CT_ARGS("-a", "127.0.0.1:20600", "m"));
	ck_assert_int_eq(xp_pubplan_build(&conf, 0, NULL, NULL, 0, "10.0.0.9", &p, why,
	    sizeof(why)), 0);
	ck_assert_str_eq(p.xdescr, "controller_addr=127.0.0.1:20600;sni_key=def456;");
	ck_assert_int_eq(p.has_pub_end, 0);
	teardown();

	/* Passive without -a (or a wildcard -a): the broker connection's local address. */
	load(PUB_HEAD EXP_DEF, CT_ARGS("m"));
	ck_assert_int_eq(xp_pubplan_build(&conf, 0, NULL, NULL, 0, "10.0.0.9", &p, why,
	    sizeof(why)), 0);
	ck_assert_str_eq(p.xdescr, "controller_addr=10.0.0.9;sni_key=def456;");
	ck_assert_int_eq(p.sendable, 1);
	/* Unknown yet (-t): shown, not sendable. */
	ck_assert_int_eq(xp_pubplan_build(&conf, 0, NULL, NULL, 0, NULL, &p, why,
	    sizeof(why)), 0);
	ck_assert_str_eq(p.xdescr, "controller_addr=" XP_CTRL_ADDR_LOCAL ";sni_key=def456;");
	ck_assert_int_eq(p.sendable, 0);
	teardown();
	load(PUB_HEAD EXP_DEF, CT_ARGS("-a", "0.0.0.0:20600", "m"));
	ck_assert_int_eq(xp_pubplan_build(&conf, 0, NULL, NULL, 0, "10.0.0.9", &p, why,
	    sizeof(why)), 0);
	ck_assert_str_eq(p.xdescr, "controller_addr=10.0.0.9;sni_key=def456;");
	teardown();

	/* Proxy mode: the host of -a, port and brackets stripped. */
	load(PUB_HEAD EXP_DEF "EnableProxyMode 1\n", CT_ARGS("-a", "proxy.example:20557", "m"));
	ck_assert_int_eq(xp_pubplan_build(&conf, 0, NULL, NULL, 0, "10.0.0.9", &p, why,
	    sizeof(why)), 0);
	ck_assert_str_eq(p.xdescr, "controller_addr=proxy.example;sni_key=def456;");
}
END_TEST

/* Channels: the key channel for empty elements, ids in order; the eopkey. */
START_TEST(chlist_eopkey)
{
	struct xp_pubplan	 p;
	char			 why[256], chans[XP_CHANS_TEXT_MAX], hex[65];

	load(PUB_HEAD "PubPeriod 10\nExpExec 1:abc:" CHAIN ":" H "/keys/k_eop.pub:"
	    "7075626c6963,,61:\n", CT_ARGS("-a", "127.0.0.1", "m"));
	ck_assert_int_eq(xp_pubplan_build(&conf, 0, keychan, eopkey, 100, NULL, &p, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(p.nchan, 3);
	xp_pubplan_chans(&p, chans, sizeof(chans));
	ck_assert_str_eq(chans, "7075626c6963," "73be06b78b7eaeb76843415a6c6f6731dc961ba9"
	    "349b4151f2e367f3ba63a374,61");
	ck_assert_str_eq(pl_hex(p.eopkey, 32, hex), EOPKEY);
	ck_assert_int_eq(p.has_pub_end, 1);
	ck_assert_uint_eq(p.pub_end, 110);
	/* Without the key channel's root: refused. */
	ck_assert_int_eq(xp_pubplan_build(&conf, 0, NULL, NULL, 100, NULL, &p, why,
	    sizeof(why)), -1);
	teardown();
	/* No trusted keys: zero eopkey. */
	load(PUB_HEAD "PubPeriod 10\n" EXP_DEF, CT_ARGS("-a", "127.0.0.1", "m"));
	ck_assert_int_eq(xp_pubplan_build(&conf, 0, NULL, NULL, 100, NULL, &p, why,
	    sizeof(why)), 0);
	ck_assert_str_eq(pl_hex(p.eopkey, 32, hex), "0000000000000000000000000000000000"
	    "000000000000000000000000000000");
}
END_TEST

/* §8.5: the window is the largest pub_end; none anywhere = 0; saturation. */
START_TEST(window)
{
	uint64_t	 v;

	load(PUB_HEAD EXP_DEF, CT_ARGS("m"));
	ck_assert_uint_eq(xp_pub_window_end(&conf, 1000), 0);
	teardown();
	load(PUB_HEAD "PubPeriod 0\n" EXP_DEF, CT_ARGS("m"));
	ck_assert_uint_eq(xp_pub_window_end(&conf, 1000), 1000);
	teardown();
	load(PUB_HEAD "PubPeriod 18446744073709551615\n" EXP_DEF, CT_ARGS("m"));
	ck_assert_int_eq(xp_pub_end(&conf, 0, 5, &v), 1);
	ck_assert_uint_eq(v, UINT64_MAX);
	teardown();
	load(PUB_HEAD "PubPeriod 100\n" EXP_DEF "ExpExec 0:x1:" CHAIN "::61:pub_end=5000;\n",
	    CT_ARGS("m"));
	ck_assert_uint_eq(xp_pub_window_end(&conf, 1000), 5000);
	ck_assert_uint_eq(xp_pub_window_end(&conf, 9000), 9100);
}
END_TEST

START_TEST(addr_v6)
{
	ck_assert_int_eq(xp_addr_is_v6("::1"), 1);
	ck_assert_int_eq(xp_addr_is_v6("[::1]:20556"), 1);
	ck_assert_int_eq(xp_addr_is_v6("2001:db8::1"), 1);
	ck_assert_int_eq(xp_addr_is_v6("127.0.0.1:20600"), 0);
	ck_assert_int_eq(xp_addr_is_v6("host.example"), 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("xpmgr_xdescr");
	TCase	*tc = tcase_create("xdescr");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a1_bytes);
	tcase_add_test(tc, a2_bytes);
	tcase_add_test(tc, a4_bytes);
	tcase_add_test(tc, override_custom);
	tcase_add_test(tc, override_replaces);
	tcase_add_test(tc, override_refused);
	tcase_add_test(tc, xdescr_too_long);
	tcase_add_test(tc, hostid_chars);
	tcase_add_test(tc, ctrl_addr_precedence);
	tcase_add_test(tc, chlist_eopkey);
	tcase_add_test(tc, window);
	tcase_add_test(tc, addr_v6);
	suite_add_tcase(s, tc);
	return ct_run(s);
}
