/*
 * test_cli.c: pktxpmgr's command line (src/conf/xpcli.c): parsing, errors,
 * the default configuration path, and --help kept in sync with the man page.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/xpcli.h"
#include "conftest.h"
#include "credtest.h"

#define ARGS	CT_ARGS

START_TEST(test_minimal)
{
	struct xpmgr_cli	 cli;
	char			 err[256];

	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("./mlet")), 0);
	ck_assert_str_eq(cli.mlet, "./mlet");
	ck_assert_int_eq(cli.nmlet_args, 0);
	ck_assert_ptr_null(cli.conf_path);
	ck_assert_ptr_null(cli.addr);
	ck_assert_ptr_null(cli.pub_addr);
	ck_assert_ptr_null(cli.hostid);
	ck_assert_int_eq(cli.has_attempts, 0);
	ck_assert_uint_eq(cli.attempts, UINT64_MAX);
	ck_assert_int_eq(cli.singleton | cli.check | cli.help | cli.version, 0);
	ck_assert_int_eq(cli.verbosity, 0);
}
END_TEST

START_TEST(test_all_options)
{
	struct xpmgr_cli	 cli;
	char			 err[256];

	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("-c", "x.conf", "-a",
	    "127.0.0.1:9", "-p", "ctrl.example:20556", "-n", "5", "-i", "ep*7", "-s",
	    "-t", "m", "a", "b")), 0);
	ck_assert_str_eq(cli.conf_path, "x.conf");
	ck_assert_str_eq(cli.addr, "127.0.0.1:9");
	ck_assert_str_eq(cli.pub_addr, "ctrl.example:20556");
	ck_assert_str_eq(cli.hostid, "ep*7");
	ck_assert_int_eq(cli.has_attempts, 1);
	ck_assert_uint_eq(cli.attempts, 5);
	ck_assert_int_eq(cli.singleton, 1);
	ck_assert_int_eq(cli.check, 1);
	ck_assert_str_eq(cli.mlet, "m");
	ck_assert_int_eq(cli.nmlet_args, 2);
	ck_assert_str_eq(cli.mlet_args[0], "a");
	ck_assert_str_eq(cli.mlet_args[1], "b");
}
END_TEST

START_TEST(test_grouped_and_attached)
{
	struct xpmgr_cli	 cli;
	char			 err[256];

	/* Flags group; an option with an argument ends the group. */
	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("-stcmy.conf", "m")), 0);
	ck_assert_int_eq(cli.singleton, 1);
	ck_assert_int_eq(cli.check, 1);
	ck_assert_str_eq(cli.conf_path, "my.conf");
	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("-sn", "3", "m")), 0);
	ck_assert_uint_eq(cli.attempts, 3);
	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("-vvvq", "-v", "m")), 0);
	ck_assert_int_eq(cli.verbosity, 3);
	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("-qq", "m")), 0);
	ck_assert_int_eq(cli.verbosity, -2);
	/* The last of a repeated option wins, as with getopt. */
	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("-c", "a", "-c", "b", "m")), 0);
	ck_assert_str_eq(cli.conf_path, "b");
}
END_TEST

START_TEST(test_long_options)
{
	struct xpmgr_cli	 cli;
	char			 err[256];

	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("--config=c.conf", "--addr",
	    "[::1]:20556", "--publish-addr=h", "--attempts", "2", "--hostid=x",
	    "--singleton", "--check", "--verbose", "--quiet", "--quiet", "m")), 0);
	ck_assert_str_eq(cli.conf_path, "c.conf");
	ck_assert_str_eq(cli.addr, "[::1]:20556");
	ck_assert_str_eq(cli.pub_addr, "h");
	ck_assert_uint_eq(cli.attempts, 2);
	ck_assert_str_eq(cli.hostid, "x");
	ck_assert_int_eq(cli.singleton & cli.check, 1);
	ck_assert_int_eq(cli.verbosity, -1);
}
END_TEST

/* The results options (docs/results.md). */
START_TEST(test_results_options)
{
	struct xpmgr_cli	 cli;
	char			 err[256];

	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("m")), 0);
	ck_assert_ptr_null(cli.output_dir);
	ck_assert_int_eq(cli.append | cli.trace | cli.no_progress, 0);
	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("-o", "res", "--append",
	    "--trace", "--no-progress", "m", "--trace")), 0);
	ck_assert_str_eq(cli.output_dir, "res");
	ck_assert_int_eq(cli.append & cli.trace & cli.no_progress, 1);
	ck_assert_int_eq(cli.version, 0);
	ck_assert_int_eq(cli.nmlet_args, 1);
	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("-sores", "m")), 0);
	ck_assert_str_eq(cli.output_dir, "res");
	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("--output-dir=r", "m")), 0);
	ck_assert_str_eq(cli.output_dir, "r");
	/* The whole command line is kept for run.json. */
	ck_assert_int_eq(cli.argc, 3);
	ck_assert_str_eq(cli.argv[1], "--output-dir=r");
}
END_TEST

/* Parsing stops at MLET: its options are its own (1.1.0 needed "--"). */
START_TEST(test_stop_at_mlet)
{
	struct xpmgr_cli	 cli;
	char			 err[256];

	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("-s", "m", "-a", "x", "-n",
	    "0", "--help")), 0);
	ck_assert_ptr_null(cli.addr);
	ck_assert_int_eq(cli.help, 0);
	ck_assert_int_eq(cli.nmlet_args, 5);
	ck_assert_str_eq(cli.mlet_args[0], "-a");
	ck_assert_str_eq(cli.mlet_args[4], "--help");
	/* "--" still works, and lets MLET start with '-'. */
	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("-s", "--", "-m", "-x")), 0);
	ck_assert_str_eq(cli.mlet, "-m");
	ck_assert_int_eq(cli.nmlet_args, 1);
	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("m", "--", "x")), 0);
	ck_assert_int_eq(cli.nmlet_args, 2);
	ck_assert_str_eq(cli.mlet_args[0], "--");
	/* A lone "-" is an operand. */
	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("-")), 0);
	ck_assert_str_eq(cli.mlet, "-");
}
END_TEST

START_TEST(test_help_version)
{
	struct xpmgr_cli	 cli;
	char			 err[256];

	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("-h")), 0);
	ck_assert_int_eq(cli.help, 1);
	ck_assert_ptr_null(cli.mlet);
	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("--help")), 0);
	ck_assert_int_eq(cli.help, 1);
	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("--version")), 0);
	ck_assert_int_eq(cli.version, 1);
	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("-c", "x", "--version")), 0);
	ck_assert_int_eq(cli.version, 1);
}
END_TEST

static const struct {
	const char	*args[6];
	const char	*err;
} bad_cases[] = {
	{ { NULL }, "missing MLET (the measurement applet to run)" },
	{ { "-s", "--", NULL }, "missing MLET (the measurement applet to run)" },
	{ { "-n", "0", "m", NULL }, "-n: \"0\": the attempt count must be at least 1" },
	{ { "-n", "000", "m", NULL }, "-n: \"000\": the attempt count must be at least 1" },
	{ { "-n", "abc", "m", NULL }, "-n: \"abc\": expected a positive decimal number" },
	{ { "-n", "-1", "m", NULL }, "-n: \"-1\": expected a positive decimal number" },
	{ { "-n", "+3", "m", NULL }, "-n: \"+3\": expected a positive decimal number" },
	{ { "-n", "0x10", "m", NULL }, "-n: \"0x10\": expected a positive decimal number" },
	{ { "-n", "5x", "m", NULL }, "-n: \"5x\": expected a positive decimal number" },
	{ { "-n", " 5", "m", NULL }, "-n: \" 5\": expected a positive decimal number" },
	{ { "-n", "", "m", NULL }, "-n: empty argument" },
	{ { "-n", "18446744073709551616", "m", NULL }, "-n: \"18446744073709551616\": "
	    "number too large (the maximum is 18446744073709551615)" },
	{ { "--attempts=0", "m", NULL }, "--attempts: \"0\": the attempt count must be at least 1" },
	{ { "-x", "m", NULL }, "unknown option -x" },
	{ { "-s\x01", "m", NULL }, "unknown option: byte 0x01 in \"-s\\x01\"" },
	{ { "-sx", "m", NULL }, "unknown option -x" },
	{ { "--bogus", "m", NULL }, "unknown option \"--bogus\"" },
	{ { "--conf=x", "m", NULL }, "unknown option \"--conf=x\"" },
	{ { "-c", NULL }, "-c needs an argument (PATH)" },
	{ { "-sa", NULL }, "-a needs an argument (ADDR[:PORT])" },
	{ { "--config", NULL }, "--config needs an argument (PATH)" },
	{ { "--help=1", NULL }, "--help takes no argument" },
	{ { "--trace", "m", NULL }, "--trace needs -o DIR (the results folder)" },
	{ { "--append", "m", NULL }, "--append needs -o DIR (the results folder)" },
	{ { "-o", "", "m", NULL }, "-o: empty argument" },
	{ { "-o", NULL }, "-o needs an argument (DIR)" },
	{ { "--trace=1", "-o", "d", "m", NULL }, "--trace takes no argument" },
	{ { "-c", "", "m", NULL }, "-c: empty argument" },
	{ { "-a", "1.2.3.4:", "m", NULL }, "-a: \"1.2.3.4:\": missing port after ':'" },
	{ { "-a", "h:p:q", "m", NULL }, "-a: \"h:p:q\": too many ':' for HOST:PORT, and "
	    "not an IPv6 address (write [IPv6]:PORT)" },
	{ { "-a", "[::1]", "-p", "h:0", "m", NULL }, "-p: \"h:0\": port 0 is not allowed "
	    "(use 1 to 65535)" },
	{ { "-i", "a=b", "m", NULL }, "-i: \"a=b\": character '=' cannot appear in a "
	    "descriptor value" },
	{ { "-i", "a;b", "m", NULL }, "-i: \"a;b\": character ';' cannot appear in a "
	    "descriptor value" },
	{ { "", NULL }, "MLET is an empty string" },
};

START_TEST(test_bad_table)
{
	struct xpmgr_cli	 cli;
	char			 err[256];

	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), bad_cases[_i].args), -1);
	ck_assert_str_eq(err, bad_cases[_i].err);
}
END_TEST

START_TEST(test_attempts_max)
{
	struct xpmgr_cli	 cli;
	char			 err[256];

	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("-n", "18446744073709551615",
	    "m")), 0);
	ck_assert_uint_eq(cli.attempts, UINT64_MAX);
	ck_assert_int_eq(cli.has_attempts, 1);
	ck_assert_int_eq(conftest_cli(&cli, err, sizeof(err), ARGS("-n1", "m")), 0);
	ck_assert_uint_eq(cli.attempts, 1);
}
END_TEST

START_TEST(test_default_path)
{
	char	 buf[64];

	ck_assert_int_eq(xpmgr_default_conf_path("/home/u", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/home/u/.pktlab/xpmgr.conf");
	ck_assert_int_eq(xpmgr_default_conf_path("/home/u/", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/home/u/.pktlab/xpmgr.conf");
	ck_assert_int_eq(xpmgr_default_conf_path("/", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/.pktlab/xpmgr.conf");
	ck_assert_int_eq(xpmgr_default_conf_path(NULL, buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "xpmgr.conf");
	ck_assert_int_eq(xpmgr_default_conf_path("", buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "xpmgr.conf");
	ck_assert_int_eq(xpmgr_default_conf_path("/a/very/long/home/directory/name/"
	    "that/does/not/fit", buf, sizeof(buf)), -1);
}
END_TEST

/* --help has one line per option, each naming its letter and long name. */
START_TEST(test_help_lines)
{
	const struct xpmgr_cli_opt	*o;
	const char			*help = xpmgr_cli_help(), *line;
	char				 want[64];
	size_t				 n, i;

	o = xpmgr_cli_options(&n);
	ck_assert_ptr_nonnull(strstr(help, xpmgr_cli_synopsis()));
	for (i = 0; i < n; i++) {
		if (o[i].letter != 0)
			snprintf(want, sizeof(want), "  -%c, --%s", o[i].letter, o[i].name);
		else
			snprintf(want, sizeof(want), "      --%s", o[i].name);
		line = strstr(help, want);
		ck_assert_msg(line != NULL, "no help line for --%s", o[i].name);
		ck_assert_ptr_nonnull(strstr(line, o[i].help));
		ck_assert_ptr_eq(strchr(line, '\n'), strstr(line, o[i].help) +
		    strlen(o[i].help));
	}
}
END_TEST

/* The man page documents every option the parser knows, and nothing else. */
START_TEST(test_man_in_sync)
{
	const struct xpmgr_cli_opt	*o;
	const char			*src = getenv("PL_SRC_DIR");
	char				 path[1024], want[64], *text;
	size_t				 n, i, len;
	FILE				*f;

	ck_assert_ptr_nonnull(src);
	snprintf(path, sizeof(path), "%s/man/pktxpmgr.1", src);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s", path);
	text = calloc(1, 1 << 20);
	ck_assert_ptr_nonnull(text);
	len = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	ck_assert_uint_gt(len, 0);
	o = xpmgr_cli_options(&n);
	for (i = 0; i < n; i++) {
		if (o[i].letter != 0) {
			snprintf(want, sizeof(want), ".It Fl %c", o[i].letter);
			ck_assert_msg(strstr(text, want) != NULL, "man page lacks %s", want);
		}
		snprintf(want, sizeof(want), "Fl Fl %s", o[i].name);
		ck_assert_msg(strstr(text, want) != NULL, "man page lacks %s", want);
	}
	free(text);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("cli");
	TCase	*tc = tcase_create("cli");

	tcase_add_test(tc, test_minimal);
	tcase_add_test(tc, test_all_options);
	tcase_add_test(tc, test_grouped_and_attached);
	tcase_add_test(tc, test_long_options);
	tcase_add_test(tc, test_results_options);
	tcase_add_test(tc, test_stop_at_mlet);
	tcase_add_test(tc, test_help_version);
	tcase_add_loop_test(tc, test_bad_table, 0,
	    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_attempts_max);
	tcase_add_test(tc, test_default_path);
	tcase_add_test(tc, test_help_lines);
	tcase_add_test(tc, test_man_in_sync);
	suite_add_tcase(s, tc);
	return ct_run(s);
}
