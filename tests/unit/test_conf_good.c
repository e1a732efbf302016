/*
 * test_conf_good.c: configurations pktxpmgr accepts, and the values they
 * give: the pktlab-cred / pktlab_init.py files, defaults, duplicates,
 * relative paths, ExpExec fields and overrides, random SNIKEYs, the
 * command-line merge, the published controller address and the -t summary.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/xpconf.h"
#include "conftest.h"
#include "credtest.h"
#include "util/log.h"

#define H	"/home/u/.pktlab"
/* The effective lines of the xpmgr.conf 1.1.0's pktlab_init.py writes (certs spec §6). */
#define INIT_CONF \
	"EnableExpPublication 1\n" \
	"BrokerAddr pktbrokr.caida.org\n" \
	"PubAgentCertPath " H "/certs/agent_xc_xc.cert\n" \
	"BrokerCertRootPath " H "/keys/caida_k_bop.pub\n" \
	"PubPeriod 31536000000000000\n" \
	"ControllerPrivkeyPath " H "/keys/k_xc\n" \
	"ExpExec 1::" H "/certs/exppriv_eop_exper.cert," H "/certs/pubcmd_exper_xc.cert:" \
	    H "/keys/k_eop.pub::\n" \
	"ProgramDirPath " H "/progs\n"
#define PROXY_LINES \
	"EnableProxyMode 1\n" \
	"BacklogConnAgentCertPath " H "/certs/agent_xc_xc.cert\n" \
	"TargetBacklogConn 2\n" \
	"BacklogConnTimeout 2000000000\n" \
	"BootstrapBacklogTimeout 5000000000\n"
#define REQ	"EnableExpPublication 0\nControllerPrivkeyPath /k/k_xc\n"

static struct xpmgr_conf	 conf;

static void
parse_ok(const char *path, const char *text)
{
	char	 err[XPMGR_ERRLEN];

	ck_assert_msg(xpmgr_conf_parse(&conf, path, text, strlen(text), err,
	    sizeof(err)) == 0, "%s", err);
}

/* Run the command line on top of conf; NULL-terminated arguments, MLET included. */
static int
apply(char *err, size_t errlen, const char *const *args)
{
	struct xpmgr_cli	 cli;

	ck_assert_int_eq(conftest_cli(&cli, err, errlen, args), 0);
	return xpmgr_conf_apply_cli(&conf, &cli, err, errlen);
}

#define ARGS	CT_ARGS

static void
teardown(void)
{
	xpmgr_conf_free(&conf);
}

/* A deterministic random source: counts up from *ctx. */
static int
counting_rand(void *ctx, uint8_t *buf, size_t n)
{
	uint8_t	*next = ctx;
	size_t	 i;

	for (i = 0; i < n; i++)
		buf[i] = (*next)++;
	return 0;
}

static int
failing_rand(void *ctx, uint8_t *buf, size_t n)
{
	return -1;
}

START_TEST(test_init_conf)
{
	const struct xpmgr_expexec	*e;

	parse_ok(H "/xpmgr.conf", INIT_CONF);
	ck_assert_int_eq(conf.enable_pub, 1);
	ck_assert_str_eq(conf.broker_addr, "pktbrokr.caida.org");
	ck_assert_str_eq(conf.broker.host, "pktbrokr.caida.org");
	ck_assert_uint_eq(conf.broker.port, 20556);
	ck_assert_str_eq(conf.pub_agent_cert, H "/certs/agent_xc_xc.cert");
	ck_assert_uint_eq(conf.broker_roots.n, 1);
	ck_assert_str_eq(conf.broker_roots.v[0], H "/keys/caida_k_bop.pub");
	ck_assert_uint_eq(conf.pub_period, 31536000000000000ull);
	ck_assert_uint_eq(conf.line[XPDIR_PUB_PERIOD], 5);
	ck_assert_str_eq(conf.ctrl_key, H "/keys/k_xc");
	ck_assert_str_eq(conf.prog_dir, H "/progs");
	ck_assert_int_eq(conf.proxy_mode, 0);
	ck_assert(!XPMGR_HAS(&conf, XPDIR_PUB_PRIO));
	ck_assert(!XPMGR_HAS(&conf, XPDIR_PUB_CTRL_ADDR));
	ck_assert_uint_eq(conf.nexp, 1);
	e = &conf.exp[0];
	ck_assert_uint_eq(e->line, 7);
	ck_assert_int_eq(e->is_default, 1);
	ck_assert_int_eq(e->snikey_random, 1);
	ck_assert_str_eq(e->snikey, "");
	ck_assert_uint_eq(e->chain.n, 2);
	ck_assert_str_eq(e->chain.v[0], H "/certs/exppriv_eop_exper.cert");
	ck_assert_str_eq(e->chain.v[1], H "/certs/pubcmd_exper_xc.cert");
	ck_assert_uint_eq(e->trusted.n, 1);
	ck_assert_str_eq(e->trusted.v[0], H "/keys/k_eop.pub");
	ck_assert_uint_eq(e->nchan, 1);
	ck_assert_uint_eq(e->chan[0].len, 0);
	ck_assert_uint_eq(e->overridelen, 0);
	ck_assert_str_eq(e->override, "");
	ck_assert_uint_eq(conf.ndiag, 0);
	/* Defaults of everything not given. */
	ck_assert_uint_eq(conf.target_backlog, 2);
	ck_assert_uint_eq(conf.backlog_timeout, 2000000000ull);
	ck_assert_uint_eq(conf.bootstrap_timeout, 5000000000ull);
	ck_assert_uint_eq(conf.handshake_timeout, 10000000000ull);
	ck_assert_uint_eq(conf.setup_timeout, 10000000000ull);
	ck_assert_uint_eq(conf.broker_timeout, 10000000000ull);
	ck_assert_uint_eq(conf.greet_after_pub_end, 0);
	ck_assert_uint_eq(conf.countries.n + conf.locations.n + conf.proxy_roots.n, 0);
}
END_TEST

START_TEST(test_init_proxy_conf)
{
	char	 err[XPMGR_ERRLEN];

	parse_ok(H "/xpmgr.proxy.conf", INIT_CONF PROXY_LINES);
	ck_assert_int_eq(conf.proxy_mode, 1);
	ck_assert_str_eq(conf.backlog_agent_cert, H "/certs/agent_xc_xc.cert");
	ck_assert_uint_eq(conf.target_backlog, 2);
	ck_assert_uint_eq(conf.backlog_timeout, 2000000000ull);
	ck_assert_uint_eq(conf.bootstrap_timeout, 5000000000ull);
	ck_assert_uint_eq(conf.ndiag, 0);
	ck_assert_int_eq(apply(err, sizeof(err), ARGS("-a", "pktproxy.caida.org", "m")), 0);
	ck_assert_str_eq(conf.listen.host, "pktproxy.caida.org");
	ck_assert_uint_eq(conf.listen.port, 20557);
}
END_TEST

START_TEST(test_values)
{
	parse_ok("x.conf", REQ
	    "ExpExec 0:k:/c::00ff:\n"
	    "PubExpPriority 7\n"
	    "PubCountry USA,DEU\n"
	    "PubLocation FN42,IO9?,*\n"
	    "GreetPeriodAfterPubEnd 60000000000\n"
	    "BrokerAddr [::1]:1\n"
	    "PubControllerAddr ctrl.example:20000\n"
	    "TargetBacklogConn 18446744073709551615\n"
	    "HandshakeTimeout 500ms\n"
	    "SetupTimeout 3s\n"
	    "BrokerTimeout 2500ms\n"
	    "MaxPendingSessions 20\n"
	    "MaxSessions 5000\n"
	    "BacklogConnTimeout 0\n"
	    "ProxyCertRootPath /a.pub,/b.pub\n");
	ck_assert_uint_eq(conf.pub_prio, 7);
	ck_assert_uint_eq(conf.countries.n, 2);
	ck_assert_str_eq(conf.countries.v[1], "DEU");
	ck_assert_uint_eq(conf.locations.n, 3);
	ck_assert_str_eq(conf.locations.v[1], "IO9?");
	ck_assert_uint_eq(conf.greet_after_pub_end, 60000000000ull);
	ck_assert_str_eq(conf.broker.host, "::1");
	ck_assert_uint_eq(conf.broker.port, 1);
	ck_assert_str_eq(conf.pub_ctrl_addr, "ctrl.example:20000");
	ck_assert_uint_eq(conf.target_backlog, UINT64_MAX);
	ck_assert_uint_eq(conf.handshake_timeout, 500000000ull);
	ck_assert_uint_eq(conf.setup_timeout, 3000000000ull);
	ck_assert_uint_eq(conf.broker_timeout, 2500000000ull);
	ck_assert_uint_eq(conf.max_pending, 20);
	ck_assert_uint_eq(conf.max_sessions, 5000);
	ck_assert_uint_eq(conf.backlog_timeout, 0);
	ck_assert_uint_eq(conf.proxy_roots.n, 2);
	ck_assert_str_eq(conf.proxy_roots.v[1], "/b.pub");
}
END_TEST

/* The last of a repeated directive wins; both lines are named in a warning. */
START_TEST(test_duplicates)
{
	parse_ok("/etc/xpmgr.conf", REQ
	    "PubPeriod 5\n"
	    "ExpExec 0:a:/c:/k::\n"
	    "PubPeriod 7\n"
	    "PubCountry USA\n"
	    "PubCountry CAN\n"
	    "ExpExec 0:b:/c:/k::\n");
	ck_assert_uint_eq(conf.pub_period, 7);
	ck_assert_uint_eq(conf.line[XPDIR_PUB_PERIOD], 5);
	ck_assert_uint_eq(conf.countries.n, 1);
	ck_assert_str_eq(conf.countries.v[0], "CAN");
	ck_assert_uint_eq(conf.nexp, 2);
	ck_assert_str_eq(conf.exp[1].snikey, "b");
	ck_assert_uint_eq(conf.line[XPDIR_EXPEXEC], 4);
	ck_assert_uint_eq(conf.ndiag, 2);
	ck_assert_int_eq(conf.diag[0].level, XPMGR_WARN);
	ck_assert_str_eq(conf.diag[0].msg, "/etc/xpmgr.conf:5: PubPeriod: given again: "
	    "this value replaces the one on line 3");
	ck_assert_str_eq(conf.diag[1].msg, "/etc/xpmgr.conf:7: PubCountry: given again: "
	    "this value replaces the one on line 6");
}
END_TEST

/* Relative paths are relative to the configuration file's folder. */
START_TEST(test_relative_paths)
{
	static const char text[] = "EnableExpPublication 0\nControllerPrivkeyPath keys/k\n"
	    "ExpExec 0:a:c1.cert,/abs/c2.cert:../k.pub::\nProgramDirPath progs//\n"
	    "BrokerCertRootPath ./r.pub\n";

	parse_ok("/etc/pktlab/xpmgr.conf", text);
	ck_assert_str_eq(conf.ctrl_key, "/etc/pktlab/keys/k");
	ck_assert_str_eq(conf.exp[0].chain.v[0], "/etc/pktlab/c1.cert");
	ck_assert_str_eq(conf.exp[0].chain.v[1], "/abs/c2.cert");
	ck_assert_str_eq(conf.exp[0].trusted.v[0], "/etc/pktlab/../k.pub");
	ck_assert_str_eq(conf.prog_dir, "/etc/pktlab/progs");
	ck_assert_str_eq(conf.broker_roots.v[0], "/etc/pktlab/./r.pub");
	xpmgr_conf_free(&conf);
	parse_ok("conf/x.conf", text);
	ck_assert_str_eq(conf.ctrl_key, "conf/keys/k");
	xpmgr_conf_free(&conf);
	parse_ok("/x.conf", text);
	ck_assert_str_eq(conf.ctrl_key, "/keys/k");
	xpmgr_conf_free(&conf);
	/* In the working directory: left as they are. */
	parse_ok("xpmgr.conf", text);
	ck_assert_str_eq(conf.ctrl_key, "keys/k");
	ck_assert_str_eq(conf.prog_dir, "progs");
	xpmgr_conf_free(&conf);
	parse_ok("x.conf", REQ "ExpExec 0:a:/c:/k::\nProgramDirPath /\n");
	ck_assert_str_eq(conf.prog_dir, "/");
}
END_TEST

/* CRLF, trailing blanks, tabs, comments, a BOM: 1.1.0 broke on most of these. */
START_TEST(test_layout)
{
	parse_ok("x.conf", "\xEF\xBB\xBF# pktxpmgr\r\n"
	    "EnableExpPublication\t0  \r\n"
	    "\r\n"
	    "   # indented comment\r\n"
	    "  ControllerPrivkeyPath   /k/k xc \r\n"
	    "ExpExec 1:abc:/c:/k::\r\n");
	ck_assert_int_eq(conf.enable_pub, 0);
	ck_assert_uint_eq(conf.line[XPDIR_ENABLE_PUB], 2);
	ck_assert_str_eq(conf.ctrl_key, "/k/k xc");
	ck_assert_uint_eq(conf.line[XPDIR_CTRL_KEY], 5);
	ck_assert_str_eq(conf.exp[0].snikey, "abc");
	ck_assert_uint_eq(conf.exp[0].line, 6);
}
END_TEST

START_TEST(test_expexec_fields)
{
	const struct xpmgr_expexec	*e;

	parse_ok("x.conf", REQ
	    "ExpExec 0:AbC123:/c1,/c2,/c3:/k1,/k2:00ab,,FF:controller_addr=h.example:20600;"
	    "pub_end=1700000000000000000;exp_priority=3;endpoint_country=USA;"
	    "endpoint_country=CAN;endpoint_location=FN4*;hostid=ep?;custom=a b:c;\n"
	    "ExpExec 1:" "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0"
	    ":/c::77:\n");
	ck_assert_uint_eq(conf.nexp, 2);
	e = &conf.exp[0];
	ck_assert_str_eq(e->snikey, "abc123");
	ck_assert_int_eq(e->snikey_random, 0);
	ck_assert_int_eq(e->is_default, 0);
	ck_assert_uint_eq(e->chain.n, 3);
	ck_assert_uint_eq(e->trusted.n, 2);
	ck_assert_uint_eq(e->nchan, 3);
	ck_assert_uint_eq(e->chan[0].len, 2);
	ck_assert_uint_eq(e->chan[0].id[0], 0x00);
	ck_assert_uint_eq(e->chan[0].id[1], 0xab);
	ck_assert_uint_eq(e->chan[1].len, 0);
	ck_assert_uint_eq(e->chan[2].len, 1);
	ck_assert_uint_eq(e->chan[2].id[0], 0xff);
	/* The sixth field takes the rest of the line, ':' included. */
	ck_assert_str_eq(e->override, "controller_addr=h.example:20600;"
	    "pub_end=1700000000000000000;exp_priority=3;endpoint_country=USA;"
	    "endpoint_country=CAN;endpoint_location=FN4*;hostid=ep?;custom=a b:c;");
	ck_assert_uint_eq(e->overridelen, strlen(e->override));
	ck_assert_int_eq(e->ov_controller_addr, 1);
	ck_assert_int_eq(e->ov_pub_end, 1);
	ck_assert_uint_eq(e->ov_pub_end_ns, 1700000000000000000ull);
	ck_assert_int_eq(e->ov_exp_priority, 1);
	ck_assert_int_eq(e->ov_country, 1);
	ck_assert_int_eq(e->ov_location, 1);
	ck_assert_int_eq(e->ov_hostid, 1);
	e = &conf.exp[1];
	ck_assert_uint_eq(strlen(e->snikey), 63);
	ck_assert_int_eq(e->is_default, 1);
	/* Without publication, no trusted keys and an explicit channel are fine. */
	ck_assert_uint_eq(e->trusted.n, 0);
	ck_assert_uint_eq(e->chan[0].len, 1);
	ck_assert_int_eq(e->ov_controller_addr | e->ov_pub_end | e->ov_hostid, 0);
	ck_assert_uint_eq(conf.ndiag, 0);
}
END_TEST

/* The 1.1.0 template's example override lacks its final ';': accept it, and say so. */
START_TEST(test_override_missing_semicolon)
{
	parse_ok("x.conf", REQ
	    "ExpExec 1:abc:/c:/k::pub_end=1700000000000000000;endpoint_location=IO91\n");
	ck_assert_str_eq(conf.exp[0].override, "pub_end=1700000000000000000;"
	    "endpoint_location=IO91;");
	ck_assert_int_eq(conf.exp[0].ov_location, 1);
	ck_assert_uint_eq(conf.ndiag, 1);
	ck_assert_int_eq(conf.diag[0].level, XPMGR_NOTICE);
	ck_assert_str_eq(conf.diag[0].msg, "x.conf:3: ExpExec: OVERRIDE_XDESCRNVP does not "
	    "end with ';': added one (every pair must end with ';')");
}
END_TEST

/* Without publication, the key-channel rule does not apply (1.1.0 refused this). */
START_TEST(test_no_publication_no_eop)
{
	parse_ok("x.conf", REQ "ExpExec 1:abc:/c:::\n");
	ck_assert_uint_eq(conf.exp[0].trusted.n, 0);
	ck_assert_uint_eq(conf.exp[0].nchan, 1);
	ck_assert_uint_eq(conf.exp[0].chan[0].len, 0);
}
END_TEST

START_TEST(test_publication_warnings)
{
	char	 err[XPMGR_ERRLEN];

	parse_ok("x.conf", "EnableExpPublication 1\nControllerPrivkeyPath /k\n"
	    "BrokerAddr b\nPubAgentCertPath /a\nPubControllerAddr [2001:db8::1]:20556\n"
	    "ExpExec 1:abc:/c:/k::controller_addr=::1;\n"
	    "ExpExec 0:def:/c::0a:\n");
	ck_assert_uint_eq(conf.ndiag, 3);
	ck_assert_str_eq(conf.diag[0].msg, "x.conf:1: EnableExpPublication: neither "
	    "PubPeriod nor a pub_end override is set: publication ends at once and "
	    "pktxpmgr exits when running sessions end");
	ck_assert_str_eq(conf.diag[1].msg, "x.conf:5: PubControllerAddr: "
	    "\"[2001:db8::1]:20556\" is IPv6: PacketLab 1.1.0 endpoints cannot connect to "
	    "it (publish a host name or an IPv4 address)");
	ck_assert_str_eq(conf.diag[2].msg, "x.conf:6: ExpExec: controller_addr \"::1\" is "
	    "IPv6: PacketLab 1.1.0 endpoints cannot connect to it (publish a host name or "
	    "an IPv4 address)");
	/* -p replaces PubControllerAddr; an IPv6 one is reported once. */
	ck_assert_int_eq(apply(err, sizeof(err), ARGS("-p", "[::1]:5", "m")), 0);
	ck_assert_uint_eq(conf.ndiag, 4);
	ck_assert_str_eq(conf.diag[3].msg, "x.conf: the controller address to publish, "
	    "\"[::1]:5\", is IPv6: PacketLab 1.1.0 endpoints cannot connect to it (use -p "
	    "with a host name or an IPv4 address)");
}
END_TEST

START_TEST(test_apply_defaults)
{
	char	 err[XPMGR_ERRLEN];

	parse_ok("x.conf", REQ "ExpExec 1:abc:/c:/k::\n");
	ck_assert_int_eq(apply(err, sizeof(err), ARGS("./dir/my_mlet")), 0);
	ck_assert_str_eq(conf.listen.host, "0.0.0.0");
	ck_assert_uint_eq(conf.listen.port, 20556);
	ck_assert_ptr_null(conf.listen_arg);
	ck_assert_uint_eq(conf.max_attempts, UINT64_MAX);
	ck_assert_int_eq(conf.singleton, 0);
	ck_assert_int_eq(conf.check_only, 0);
	ck_assert_int_eq(conf.log_level, LOG_LVL_INFO);
	ck_assert_str_eq(conf.mlet, "./dir/my_mlet");
	ck_assert_str_eq(conf.mlet_argv[0], "my_mlet");
	ck_assert_ptr_null(conf.mlet_argv[1]);
	ck_assert_uint_eq(conf.ndiag, 0);
}
END_TEST

START_TEST(test_apply_options)
{
	char	 err[XPMGR_ERRLEN];

	parse_ok("x.conf", REQ "ExpExec 1:abc:/c:/k::hostid=h;\n");
	ck_assert_int_eq(apply(err, sizeof(err), ARGS("-a", "[::1]", "-n", "3", "-s", "-t",
	    "-vv", "-p", "c.example", "-i", "ep1", "mlet", "x", "-y")), 0);
	ck_assert_str_eq(conf.listen.host, "::1");
	ck_assert_uint_eq(conf.listen.port, 20556);
	ck_assert_str_eq(conf.listen_arg, "[::1]");
	ck_assert_uint_eq(conf.max_attempts, 3);
	ck_assert_int_eq(conf.singleton, 1);
	ck_assert_int_eq(conf.check_only, 1);
	ck_assert_int_eq(conf.log_level, LOG_LVL_TRACE);
	ck_assert_str_eq(conf.pub_addr_arg, "c.example");
	ck_assert_str_eq(conf.hostid, "ep1");
	ck_assert_str_eq(conf.mlet_argv[0], "mlet");
	ck_assert_str_eq(conf.mlet_argv[1], "x");
	ck_assert_str_eq(conf.mlet_argv[2], "-y");
	ck_assert_ptr_null(conf.mlet_argv[3]);
	/* Publication is off: -p does nothing, and the user is told. */
	ck_assert_uint_eq(conf.ndiag, 1);
	ck_assert_str_eq(conf.diag[0].msg, "x.conf: -p is ignored: publication is off "
	    "(EnableExpPublication 0)");
}
END_TEST

START_TEST(test_apply_quiet_clamped)
{
	char	 err[XPMGR_ERRLEN];

	parse_ok("x.conf", REQ "ExpExec 1:abc:/c:/k::\n");
	ck_assert_int_eq(apply(err, sizeof(err), ARGS("-qqqqq", "m")), 0);
	ck_assert_int_eq(conf.log_level, LOG_LVL_ERROR);
}
END_TEST

START_TEST(test_hostid_override_replaces_i)
{
	char	 err[XPMGR_ERRLEN];

	parse_ok("x.conf", "EnableExpPublication 1\nControllerPrivkeyPath /k\n"
	    "BrokerAddr b\nPubAgentCertPath /a\nPubPeriod 1\n"
	    "ExpExec 1:abc:/c:/k::hostid=ep*;\nExpExec 0:def:/c:/k::\n");
	ck_assert_int_eq(apply(err, sizeof(err), ARGS("-i", "ep7", "m")), 0);
	ck_assert_uint_eq(conf.ndiag, 1);
	ck_assert_int_eq(conf.diag[0].level, XPMGR_NOTICE);
	ck_assert_str_eq(conf.diag[0].msg, "x.conf:6: ExpExec: the hostid of "
	    "OVERRIDE_XDESCRNVP replaces -i for this entry");
}
END_TEST

/* xpmgr spec §1.3, with wildcard -a no longer published verbatim. */
START_TEST(test_ctrl_addr_precedence)
{
	const char	*a;
	char		 err[XPMGR_ERRLEN];
	int		 infer;

	parse_ok("x.conf", "EnableExpPublication 1\nControllerPrivkeyPath /k\n"
	    "BrokerAddr b\nPubAgentCertPath /a\nPubPeriod 1\nPubControllerAddr conf.example\n"
	    "ExpExec 1:abc:/c:/k::controller_addr=ov.example;\nExpExec 0:def:/c:/k::\n");
	ck_assert_int_eq(apply(err, sizeof(err), ARGS("-p", "cli.example:7", "m")), 0);
	ck_assert_ptr_null(xpmgr_conf_ctrl_addr(&conf, &conf.exp[0], &infer));
	ck_assert_int_eq(infer, 0);
	ck_assert_str_eq(xpmgr_conf_ctrl_addr(&conf, &conf.exp[1], &infer), "cli.example:7");
	xpmgr_conf_free(&conf);

	parse_ok("x.conf", "EnableExpPublication 1\nControllerPrivkeyPath /k\n"
	    "BrokerAddr b\nPubAgentCertPath /a\nPubPeriod 1\nPubControllerAddr conf.example\n"
	    "ExpExec 1:abc:/c:/k::\n");
	ck_assert_int_eq(apply(err, sizeof(err), ARGS("-a", "192.0.2.1:9", "m")), 0);
	ck_assert_str_eq(xpmgr_conf_ctrl_addr(&conf, &conf.exp[0], &infer), "conf.example");
	xpmgr_conf_free(&conf);

	parse_ok("x.conf", "EnableExpPublication 1\nControllerPrivkeyPath /k\n"
	    "BrokerAddr b\nPubAgentCertPath /a\nPubPeriod 1\nExpExec 1:abc:/c:/k::\n");
	ck_assert_int_eq(apply(err, sizeof(err), ARGS("-a", "192.0.2.1:9", "m")), 0);
	ck_assert_str_eq(xpmgr_conf_ctrl_addr(&conf, &conf.exp[0], &infer), "192.0.2.1:9");
	ck_assert_int_eq(infer, 0);
	xpmgr_conf_free(&conf);

	/* 1.1.0 published "0.0.0.0:20556" here, which no endpoint can reach. */
	parse_ok("x.conf", "EnableExpPublication 1\nControllerPrivkeyPath /k\n"
	    "BrokerAddr b\nPubAgentCertPath /a\nPubPeriod 1\nExpExec 1:abc:/c:/k::\n");
	ck_assert_int_eq(apply(err, sizeof(err), ARGS("-a", "0.0.0.0:20556", "m")), 0);
	ck_assert_ptr_null(xpmgr_conf_ctrl_addr(&conf, &conf.exp[0], &infer));
	ck_assert_int_eq(infer, 1);
	xpmgr_conf_free(&conf);

	parse_ok("x.conf", "EnableExpPublication 1\nControllerPrivkeyPath /k\n"
	    "BrokerAddr b\nPubAgentCertPath /a\nPubPeriod 1\nExpExec 1:abc:/c:/k::\n");
	ck_assert_int_eq(apply(err, sizeof(err), ARGS("m")), 0);
	ck_assert_ptr_null(xpmgr_conf_ctrl_addr(&conf, &conf.exp[0], &infer));
	ck_assert_int_eq(infer, 1);
	xpmgr_conf_free(&conf);

	/* Proxy: the proxy's host, without its port (endpoints use 20556 there). */
	parse_ok("x.conf", "EnableExpPublication 1\nControllerPrivkeyPath /k\n"
	    "BrokerAddr b\nPubAgentCertPath /a\nPubPeriod 1\nExpExec 0:abc:/c:/k::\n"
	    "EnableProxyMode 1\n");
	ck_assert_int_eq(apply(err, sizeof(err), ARGS("-a", "proxy.example:20557", "m")), 0);
	a = xpmgr_conf_ctrl_addr(&conf, &conf.exp[0], &infer);
	ck_assert_str_eq(a, "proxy.example");
}
END_TEST

START_TEST(test_random_snikey)
{
	char	 err[XPMGR_ERRLEN], key[PL_SNIKEY_MAX + 1];
	uint8_t	 next = 0;

	/* Bytes 0..62 map to 0-9a-z0-9..., in order. */
	ck_assert_int_eq(xpmgr_snikey_random(key, counting_rand, &next), 0);
	ck_assert_str_eq(key, "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopq");
	/* 252..255 would bias the draw: they are skipped. */
	next = 250;
	ck_assert_int_eq(xpmgr_snikey_random(key, counting_rand, &next), 0);
	ck_assert_int_eq(key[0], 'y');	/* 250 % 36 = 34 */
	ck_assert_int_eq(key[1], 'z');	/* 251 */
	ck_assert_int_eq(key[2], '0');	/* 252..255 skipped, then 0 */
	ck_assert_int_eq(xpmgr_snikey_random(key, failing_rand, NULL), -1);

	parse_ok("x.conf", REQ "ExpExec 1::/c:/k::\nExpExec 0:given:/c:/k::\n");
	next = 10;
	ck_assert_int_eq(xpmgr_conf_finish(&conf, counting_rand, &next, err, sizeof(err)), 0);
	ck_assert_str_eq(conf.exp[0].snikey,
	    "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0");
	ck_assert_int_eq(conf.exp[0].snikey_random, 1);
	ck_assert_str_eq(conf.exp[1].snikey, "given");
	xpmgr_conf_free(&conf);

	parse_ok("x.conf", REQ "ExpExec 1::/c:/k::\n");
	ck_assert_int_eq(xpmgr_conf_finish(&conf, failing_rand, NULL, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "x.conf:3: ExpExec: cannot generate a random SNIKEY: no "
	    "random bytes");
}
END_TEST

/* A random key that collides with another entry's is caught after generation. */
START_TEST(test_random_snikey_collision)
{
	char	 err[XPMGR_ERRLEN];
	uint8_t	 next = 0;

	parse_ok("x.conf", REQ
	    "ExpExec 0:0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopq:/c:/k::\n"
	    "ExpExec 1::/c:/k::\n");
	ck_assert_int_eq(xpmgr_conf_finish(&conf, counting_rand, &next, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "x.conf:4: ExpExec: SNIKEY \"0123456789abcdefghijklmnopqrstu"
	    "vwxyz0123456789abcdefghijklmnopq\" is already used on line 3");
}
END_TEST

START_TEST(test_summary)
{
	char		 err[XPMGR_ERRLEN], *text;
	const char	*keych[1] = { "73be06b78b7eaeb76843415a6c6f6731dc961ba9349b4151f2e367f3ba63a374" };
	uint8_t		 next = 0;

	parse_ok(H "/xpmgr.conf", INIT_CONF "HandshakeTimeout 1500ms\n");
	ck_assert_int_eq(apply(err, sizeof(err), ARGS("-n", "2", "-p", "ctrl.example",
	    "/bin/mlet", "arg")), 0);
	ck_assert_int_eq(xpmgr_conf_finish(&conf, counting_rand, &next, err, sizeof(err)), 0);
	text = xpmgr_conf_summary(&conf, keych);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "configuration:    " H "/xpmgr.conf\n"));
	ck_assert_ptr_nonnull(strstr(text, "mode:             passive: listen on 0.0.0.0:20556\n"));
	ck_assert_ptr_nonnull(strstr(text, "mlet:             /bin/mlet arg (one per endpoint)\n"));
	ck_assert_ptr_nonnull(strstr(text, "sessions:         stop after 2\n"));
	ck_assert_ptr_nonnull(strstr(text, "session timeouts: TLS handshake 1500ms, set-up 10s\n"));
	ck_assert_ptr_nonnull(strstr(text, "connection caps:  1024 not past set-up, "
	    "all sessions up to the descriptor limit\n"));
	ck_assert_ptr_nonnull(strstr(text, "publication:      to broker pktbrokr.caida.org:20556"));
	ck_assert_ptr_nonnull(strstr(text, "  period:         365d, then greeting for "
	    "0s more\n"));
	ck_assert_ptr_nonnull(strstr(text, "ExpExec (line 7) default entry, for endpoints "
	    "that send no SNI key:\n"));
	ck_assert_ptr_nonnull(strstr(text, "  SNI key:        0123456789abcdefghijklmnopqrstu"
	    "vwxyz0123456789abcdefghijklmnopq (random, new on every run)\n"));
	ck_assert_ptr_nonnull(strstr(text, "  chain:          " H "/certs/exppriv_eop_exper.cert, "
	    H "/certs/pubcmd_exper_xc.cert\n"));
	ck_assert_ptr_nonnull(strstr(text, "  trusted keys:   " H "/keys/k_eop.pub\n"));
	ck_assert_ptr_nonnull(strstr(text, "  channels:       73be06b78b7eaeb76843415a6c6f6731dc961"
	    "ba9349b4151f2e367f3ba63a374 (key channel)\n"));
	ck_assert_ptr_nonnull(strstr(text, "  controller_addr: ctrl.example\n"));
	free(text);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("conf_good");
	TCase	*tc = tcase_create("good");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_init_conf);
	tcase_add_test(tc, test_init_proxy_conf);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_relative_paths);
	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_expexec_fields);
	tcase_add_test(tc, test_override_missing_semicolon);
	tcase_add_test(tc, test_no_publication_no_eop);
	tcase_add_test(tc, test_publication_warnings);
	tcase_add_test(tc, test_apply_defaults);
	tcase_add_test(tc, test_apply_options);
	tcase_add_test(tc, test_apply_quiet_clamped);
	tcase_add_test(tc, test_hostid_override_replaces_i);
	tcase_add_test(tc, test_ctrl_addr_precedence);
	tcase_add_test(tc, test_random_snikey);
	tcase_add_test(tc, test_random_snikey_collision);
	tcase_add_test(tc, test_summary);
	suite_add_tcase(s, tc);
	return ct_run(s);
}
