/*
 * test_conf_bad.c: configurations pktxpmgr must refuse, each with the exact
 * message a user sees (file, line, directive, reason).  Pure parsing
 * (xpmgr_conf_parse), plus the command-line merge for the cases that need it.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "conf/xpconf.h"
#include "conftest.h"
#include "credtest.h"

/* The required lines, valid on their own (publication off). */
#define REQ	"EnableExpPublication 0\nControllerPrivkeyPath /k/k_xc\n"
#define EXP	"ExpExec 1::/c/exppriv.cert,/c/pubcmd.cert:/k/k_eop.pub::\n"
#define PUB	"EnableExpPublication 1\nControllerPrivkeyPath /k/k_xc\n" \
		"BrokerAddr broker.example\nPubAgentCertPath /c/agent.cert\nPubPeriod 1\n"
#define F	"xpmgr.conf:"
#define K64	"0123456789012345678901234567890123456789012345678901234567890123"

static const struct {
	const char	*text;
	const char	*err;
} bad[] = {
	/* Lexical. */
	{ REQ EXP "Foo 1\n", F "4: unknown directive \"Foo\"" },
	{ "pubperiod 5\n" REQ EXP, F "1: unknown directive \"pubperiod\" (did you mean "
	    "PubPeriod? names are case-sensitive)" },
	{ REQ "PubPeriod 1\x01\n" EXP, F "3: control character 0x01 at column 12" },
	{ REQ "PubPeriod 1\rx\n" EXP, F "3: control character 0x0d at column 12" },
	{ REQ "PubPeriod\n" EXP, F "3: PubPeriod: missing value" },
	{ REQ "ExpExec   \n", F "3: ExpExec: missing value" },
	/* Booleans. */
	{ "EnableExpPublication yes\nControllerPrivkeyPath /k\n" EXP,
	    F "1: EnableExpPublication: \"yes\": expected 0 or 1" },
	{ "EnableExpPublication 2\nControllerPrivkeyPath /k\n" EXP,
	    F "1: EnableExpPublication: \"2\": expected 0 or 1" },
	{ REQ EXP "EnableProxyMode 01\n", F "4: EnableProxyMode: \"01\": expected 0 or 1" },
	/* Numbers and times. */
	{ REQ EXP "PubPeriod -1\n", F "4: PubPeriod: \"-1\": expected an unsigned "
	    "decimal number" },
	{ REQ EXP "PubPeriod 1e9\n", F "4: PubPeriod: \"1e9\": expected an unsigned "
	    "decimal number" },
	{ REQ EXP "PubPeriod 18446744073709551616\n", F "4: PubPeriod: "
	    "\"18446744073709551616\": number too large (the maximum is "
	    "18446744073709551615)" },
	{ REQ EXP "PubExpPriority high\n", F "4: PubExpPriority: \"high\": expected an "
	    "unsigned decimal number" },
	{ REQ EXP "GreetPeriodAfterPubEnd 10s\n", F "4: GreetPeriodAfterPubEnd: \"10s\": "
	    "expected an unsigned decimal number" },
	{ REQ EXP "TargetBacklogConn 0\n", F "4: TargetBacklogConn: \"0\": must be at "
	    "least 1" },
	/* 1.1.0 silently ignored a non-numeric TargetBacklogConn. */
	{ REQ EXP "TargetBacklogConn two\n", F "4: TargetBacklogConn: \"two\": expected "
	    "an unsigned decimal number" },
	{ REQ EXP "BacklogConnTimeout 2s\n", F "4: BacklogConnTimeout: \"2s\": expected "
	    "an unsigned decimal number" },
	{ REQ EXP "HandshakeTimeout 0\n", F "4: HandshakeTimeout: \"0\": a timeout must "
	    "be longer than 0" },
	{ REQ EXP "HandshakeTimeout 0ms\n", F "4: HandshakeTimeout: \"0ms\": a timeout "
	    "must be longer than 0" },
	{ REQ EXP "SetupTimeout 5m\n", F "4: SetupTimeout: \"5m\": expected a number of "
	    "nanoseconds, optionally with a unit ns, us, ms or s" },
	{ REQ EXP "SetupTimeout 10 s\n", F "4: SetupTimeout: \"10 s\": expected a number "
	    "of nanoseconds, optionally with a unit ns, us, ms or s" },
	{ REQ EXP "BrokerTimeout 0\n", F "4: BrokerTimeout: \"0\": a timeout must "
	    "be longer than 0" },
	{ REQ EXP "BrokerTimeout 1min\n", F "4: BrokerTimeout: \"1min\": expected a "
	    "number of nanoseconds, optionally with a unit ns, us, ms or s" },
	/* Addresses (never resolved while parsing). */
	{ REQ EXP "BrokerAddr h:p:q\n", F "4: BrokerAddr: \"h:p:q\": too many ':' for "
	    "HOST:PORT, and not an IPv6 address (write [IPv6]:PORT)" },
	{ REQ EXP "BrokerAddr 1.2.3.4:\n", F "4: BrokerAddr: \"1.2.3.4:\": missing port "
	    "after ':'" },
	{ REQ EXP "PubControllerAddr :80\n", F "4: PubControllerAddr: \":80\": missing "
	    "host before ':'" },
	{ REQ EXP "PubControllerAddr fe80::1%eth0\n", F "4: PubControllerAddr: "
	    "\"fe80::1%eth0\": a zone index ('%') cannot appear in a published descriptor" },
	/* Lists. */
	{ REQ EXP "BrokerCertRootPath a,,b\n", F "4: BrokerCertRootPath: element 2 of "
	    "the list is empty" },
	{ REQ EXP "ProxyCertRootPath a, b\n", F "4: ProxyCertRootPath: list element "
	    "\" b\" has white space around it (write the list without spaces after ',')" },
	{ REQ EXP "PubCountry us\n", F "4: PubCountry: \"us\": expected 3 upper-case "
	    "letters (ISO 3166-1 alpha-3, e.g. USA)" },
	{ REQ EXP "PubCountry USA,DEUT\n", F "4: PubCountry: \"DEUT\": expected 3 "
	    "upper-case letters (ISO 3166-1 alpha-3, e.g. USA)" },
	{ REQ EXP "PubCountry USA,\n", F "4: PubCountry: element 2 of the list is empty" },
	{ REQ EXP "PubLocation io91\n", F "4: PubLocation: \"io91\": invalid character "
	    "'i' (a location is made of A-Z, 0-9, * and ?)" },
	{ REQ EXP "PubLocation FN4?,AB-1\n", F "4: PubLocation: \"AB-1\": invalid "
	    "character '-' (a location is made of A-Z, 0-9, * and ?)" },
	/* Presence (xpmgr spec §2.4). */
	{ "ControllerPrivkeyPath /k\n" EXP, F " EnableExpPublication is missing (it is "
	    "required: 1 to publish to a broker, 0 not to)" },
	{ "EnableExpPublication 0\n" EXP, F " ControllerPrivkeyPath is missing (the "
	    "controller's private key is required)" },
	{ REQ, F " no ExpExec entry (at least one is required)" },
	{ "EnableExpPublication 1\nControllerPrivkeyPath /k\nPubAgentCertPath /a\n" EXP,
	    F "1: EnableExpPublication: publication is on, but BrokerAddr is missing" },
	{ "EnableExpPublication 1\nControllerPrivkeyPath /k\nBrokerAddr b\n" EXP,
	    F "1: EnableExpPublication: publication is on, but PubAgentCertPath is missing" },
	/* ExpExec fields (xpmgr spec §2.5). */
	{ REQ "ExpExec 1:abc:/c\n", F "3: ExpExec: expected 6 fields IS_DEFAULT:SNIKEY:"
	    "EXPPRIVCHAIN_PATH:TRUSTEDEOP_PATH:PUB_CHANNEL:OVERRIDE_XDESCRNVP, found 3" },
	{ REQ "ExpExec 1::/c:/k:\n", F "3: ExpExec: expected 6 fields IS_DEFAULT:SNIKEY:"
	    "EXPPRIVCHAIN_PATH:TRUSTEDEOP_PATH:PUB_CHANNEL:OVERRIDE_XDESCRNVP, found 5" },
	{ REQ "ExpExec :abc:/c:/k::\n", F "3: ExpExec: IS_DEFAULT is empty: expected 0 or 1" },
	{ REQ "ExpExec yes:abc:/c:/k::\n", F "3: ExpExec: IS_DEFAULT \"yes\": expected 0 or 1" },
	{ REQ "ExpExec 0:ab_c:/c:/k::\n", F "3: ExpExec: SNIKEY \"ab_c\": invalid character '_'" },
	{ REQ "ExpExec 0:a.b:/c:/k::\n", F "3: ExpExec: SNIKEY \"a.b\": invalid character '.'" },
	{ REQ "ExpExec 0:" K64 ":/c:/k::\n", F "3: ExpExec: SNIKEY \"0123456789012345678901"
	    "2345678901234567890123456789012345...\": longer than 63 characters (64)" },
	{ REQ "ExpExec 0:abc::/k::\n", F "3: ExpExec: EXPPRIVCHAIN_PATH is empty (list the "
	    "certificate files of the experiment privilege chain)" },
	{ REQ "ExpExec 0:abc:/a,,/b:/k::\n", F "3: ExpExec: EXPPRIVCHAIN_PATH: element 2 "
	    "of the list is empty" },
	{ REQ "ExpExec 0:abc:/a:/k,::\n", F "3: ExpExec: TRUSTEDEOP_PATH: element 2 of the "
	    "list is empty" },
	{ REQ "ExpExec 0:abc:/a:/k:abc:\n", F "3: ExpExec: PUB_CHANNEL \"abc\": odd number "
	    "of hex digits" },
	{ REQ "ExpExec 0:abc:/a:/k:00,zz:\n", F "3: ExpExec: PUB_CHANNEL \"zz\": invalid "
	    "character 'z' (a channel id is hex)" },
	{ REQ "ExpExec 0:abc:/a:/k:0x12:\n", F "3: ExpExec: PUB_CHANNEL \"0x12\": invalid "
	    "character 'x' (a channel id is hex)" },
	{ REQ "ExpExec 0:abc:/a:/k:" K64 "00:\n", F "3: ExpExec: PUB_CHANNEL \"012345678901234567"
	    "89012345678901234567890123456789012345...\": "
	    "longer than 64 hex digits (32 bytes)" },
	{ REQ "ExpExec 1:a:/a:/k::\nExpExec 1:b:/a:/k::\n", F "4: ExpExec: a second default "
	    "entry (IS_DEFAULT 1); line 3 is already the default" },
	/* SNIKEYs are folded to lower case, so these two are the same key. */
	{ REQ "ExpExec 0:abc:/a:/k::\n\nExpExec 0:ABC:/a:/k::\n", F "5: ExpExec: SNIKEY "
	    "\"abc\" is already used on line 3" },
	/* Descriptor overrides (xpmgr spec §8.2). */
	{ REQ "ExpExec 0:abc:/a:/k::a=b;=c;\n", F "3: ExpExec: OVERRIDE_XDESCRNVP "
	    "\"a=b;=c;\": empty name (at byte 4)" },
	{ REQ "ExpExec 0:abc:/a:/k::a=b@c;\n", F "3: ExpExec: OVERRIDE_XDESCRNVP "
	    "\"a=b@c;\": invalid character '@' in value of \"a\" (at byte 3)" },
	{ REQ "ExpExec 0:abc:/a:/k::sni_key=x;\n", F "3: ExpExec: OVERRIDE_XDESCRNVP: "
	    "sni_key cannot be overridden (it is always the entry's SNIKEY)" },
	{ REQ "ExpExec 0:abc:/a:/k::controller_addr=a;controller_addr=b;\n", F "3: ExpExec: "
	    "OVERRIDE_XDESCRNVP: controller_addr appears 2 times (at most once)" },
	{ REQ "ExpExec 0:abc:/a:/k::controller_addr=h:1:2;\n", F "3: ExpExec: "
	    "OVERRIDE_XDESCRNVP: controller_addr: \"h:1:2\": too many ':' for HOST:PORT, "
	    "and not an IPv6 address (write [IPv6]:PORT)" },
	{ REQ "ExpExec 0:abc:/a:/k::controller_addr=h*;\n", F "3: ExpExec: "
	    "OVERRIDE_XDESCRNVP: controller_addr: \"h*\": invalid character '*' in host name" },
	{ REQ "ExpExec 0:abc:/a:/k::pub_end=soon;\n", F "3: ExpExec: OVERRIDE_XDESCRNVP: "
	    "pub_end \"soon\": expected an unsigned decimal number (nanoseconds since 1970)" },
	{ REQ "ExpExec 0:abc:/a:/k::pub_end=1;pub_end=2;\n", F "3: ExpExec: "
	    "OVERRIDE_XDESCRNVP: pub_end appears 2 times (at most once)" },
	{ REQ "ExpExec 0:abc:/a:/k::exp_priority=-1;\n", F "3: ExpExec: OVERRIDE_XDESCRNVP: "
	    "exp_priority \"-1\": expected an unsigned decimal number" },
	{ REQ "ExpExec 0:abc:/a:/k::endpoint_country=USA;endpoint_country=usa;\n",
	    F "3: ExpExec: OVERRIDE_XDESCRNVP: endpoint_country \"usa\": expected 3 "
	    "upper-case letters (ISO 3166-1 alpha-3, e.g. USA)" },
	{ REQ "ExpExec 0:abc:/a:/k::endpoint_location=io91;\n", F "3: ExpExec: "
	    "OVERRIDE_XDESCRNVP: endpoint_location \"io91\": invalid character 'i' (a "
	    "location is made of A-Z, 0-9, * and ?)" },
	/* 1.1.0 aborted on any hostid override; one is fine, two are not. */
	{ REQ "ExpExec 0:abc:/a:/k::hostid=a;hostid=b;\n", F "3: ExpExec: "
	    "OVERRIDE_XDESCRNVP: hostid appears 2 times (at most once)" },
	/* The key channel needs an EOp key, when publishing. */
	{ PUB "ExpExec 1:abc:/a:::\n", F "6: ExpExec: PUB_CHANNEL: the key channel (an "
	    "empty PUB_CHANNEL or element) needs TRUSTEDEOP_PATH; give the channel id in hex" },
	{ PUB "ExpExec 1:abc:/a::ab,:\n", F "6: ExpExec: PUB_CHANNEL: the key channel (an "
	    "empty PUB_CHANNEL or element) needs TRUSTEDEOP_PATH; give the channel id in hex" },
	{ PUB "ExpExec 1:abc:/a::" K64 ":\n", F "6: ExpExec: PUB_CHANNEL: a 32-byte channel "
	    "id is reserved for key channels and needs TRUSTEDEOP_PATH" },
};

START_TEST(test_bad)
{
	struct xpmgr_conf	 c;
	char			 err[XPMGR_ERRLEN];
	int			 r;

	err[0] = '\0';
	r = xpmgr_conf_parse(&c, "xpmgr.conf", bad[_i].text, strlen(bad[_i].text), err,
	    sizeof(err));
	ck_assert_msg(r == -1, "case %d accepted:\n%s", _i, bad[_i].text);
	ck_assert_msg(strcmp(err, bad[_i].err) == 0, "case %d:\n got: %s\nwant: %s", _i,
	    err, bad[_i].err);
	xpmgr_conf_free(&c);
}
END_TEST

/* A NUL byte cannot be written in a string literal table. */
START_TEST(test_bad_nul)
{
	static const char	 text[] = REQ EXP "PubPeriod 1\0002\n";
	struct xpmgr_conf	 c;
	char			 err[XPMGR_ERRLEN];

	ck_assert_int_eq(xpmgr_conf_parse(&c, "/etc/x.conf", text, sizeof(text) - 1, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "/etc/x.conf:4: control character 0x00 at column 12");
	xpmgr_conf_free(&c);
}
END_TEST

/* Errors that need the command line. */
static const struct {
	const char	*text;
	const char	*args[4];	/* MLET included */
	const char	*err;
} bad_cli[] = {
	{ REQ EXP "EnableProxyMode 1\n", { "mlet", NULL }, F "4: EnableProxyMode: proxy mode needs "
	    "the proxy's address: give -a PROXY_ADDR[:PORT] (default port 20557)" },
	{ PUB "ExpExec 1::/a:/k::\n", { "-p", "fe80::1%lo", "mlet", NULL }, "-p: \"fe80::1%lo\": a "
	    "zone index ('%') cannot appear in a published descriptor" },
};

START_TEST(test_bad_cli)
{
	struct xpmgr_conf	 c;
	struct xpmgr_cli	 cli;
	char			 err[XPMGR_ERRLEN];

	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), bad_cli[_i].args), 0);
	ck_assert_int_eq(xpmgr_conf_parse(&c, "xpmgr.conf", bad_cli[_i].text,
	    strlen(bad_cli[_i].text), err, sizeof(err)), 0);
	ck_assert_int_eq(xpmgr_conf_apply_cli(&c, &cli, err, sizeof(err)), -1);
	ck_assert_str_eq(err, bad_cli[_i].err);
	xpmgr_conf_free(&c);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("conf_bad");
	TCase	*tc = tcase_create("bad");

	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_bad_nul);
	tcase_add_loop_test(tc, test_bad_cli, 0, (int)(sizeof(bad_cli) / sizeof(bad_cli[0])));
	suite_add_tcase(s, tc);
	return ct_run(s);
}
