/*
 * test_conf_files.c: configuration loading against real files: path checks,
 * the default path under HOME, the seed workflow of the tutorial (a config
 * as pktlab-cred init writes it, then the documented printf appending a
 * second ExpExec, run through /bin/sh), and every file shipped in conf/.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/file.h"
#include "conf/kv.h"
#include "conf/xpconf.h"
#include "conftest.h"
#include "credtest.h"

static char	*tmp;		/* a fresh folder per test */

static void
setup(void)
{
	tmp = ct_tmpdir();
}

static void
teardown(void)
{
	ct_rmtree(tmp);
	free(tmp);
}

/* Create tmp/rel with the given text (NULL: an empty file); "rel/" makes a folder. */
static void
put(const char *rel, const char *text)
{
	char	 path[1024], *slash;
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	for (slash = strchr(path + strlen(tmp) + 1, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
	}
	if (path[strlen(path) - 1] == '/')
		return;
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s", path);
	if (text != NULL)
		fputs(text, f);
	fclose(f);
}

/* Load like the program does: cli from args (MLET included), HOME = home. */
static int
load(struct xpmgr_conf *c, const char *home, char *err, size_t errlen,
    const char *const *args)
{
	struct xpmgr_cli	 cli;

	ck_assert_int_eq(conftest_cli(&cli, err, errlen, args), 0);
	return xpmgr_conf_load(c, &cli, home, err, errlen);
}

#define ARGS	CT_ARGS

START_TEST(test_check_paths)
{
	struct xpmgr_conf	 c;
	char			 err[XPMGR_ERRLEN], conf[600], want[1200];

	put("keys/k_xc", "key");
	put("certs/a.cert", "");
	put("progs/", NULL);
	snprintf(conf, sizeof(conf), "%s/xpmgr.conf", tmp);

	put("xpmgr.conf", "EnableExpPublication 0\nControllerPrivkeyPath keys/k_xc\n"
	    "ProgramDirPath progs/\nExpExec 1:a:certs/a.cert:::\n");
	ck_assert_msg(load(&c, NULL, err, sizeof(err), ARGS("-c", conf, "m")) == 0, "%s", err);
	snprintf(want, sizeof(want), "%s/progs", tmp);
	ck_assert_str_eq(c.prog_dir, want);
	ck_assert_uint_eq(strlen(c.exp[0].snikey), 1);
	xpmgr_conf_free(&c);

	put("xpmgr.conf", "EnableExpPublication 0\nControllerPrivkeyPath keys/nope\n"
	    "ExpExec 1:a:certs/a.cert:::\n");
	ck_assert_int_eq(load(&c, NULL, err, sizeof(err), ARGS("-c", conf, "m")), -1);
	snprintf(want, sizeof(want), "%s:2: ControllerPrivkeyPath: %s/keys/nope: No such "
	    "file or directory", conf, tmp);
	ck_assert_str_eq(err, want);
	xpmgr_conf_free(&c);

	put("xpmgr.conf", "EnableExpPublication 0\nControllerPrivkeyPath keys\n"
	    "ExpExec 1:a:certs/a.cert:::\n");
	ck_assert_int_eq(load(&c, NULL, err, sizeof(err), ARGS("-c", conf, "m")), -1);
	snprintf(want, sizeof(want), "%s:2: ControllerPrivkeyPath: %s/keys: is a directory",
	    conf, tmp);
	ck_assert_str_eq(err, want);
	xpmgr_conf_free(&c);

	put("xpmgr.conf", "EnableExpPublication 0\nControllerPrivkeyPath keys/k_xc\n"
	    "ProgramDirPath keys/k_xc\nExpExec 1:a:certs/a.cert:::\n");
	ck_assert_int_eq(load(&c, NULL, err, sizeof(err), ARGS("-c", conf, "m")), -1);
	snprintf(want, sizeof(want), "%s:3: ProgramDirPath: %s/keys/k_xc: not a directory",
	    conf, tmp);
	ck_assert_str_eq(err, want);
	xpmgr_conf_free(&c);

	put("xpmgr.conf", "EnableExpPublication 0\nControllerPrivkeyPath keys/k_xc\n"
	    "\nExpExec 1:a:certs/a.cert,certs/b.cert:::\n");
	ck_assert_int_eq(load(&c, NULL, err, sizeof(err), ARGS("-c", conf, "m")), -1);
	snprintf(want, sizeof(want), "%s:4: ExpExec: EXPPRIVCHAIN_PATH %s/certs/b.cert: No "
	    "such file or directory", conf, tmp);
	ck_assert_str_eq(err, want);
	xpmgr_conf_free(&c);

	put("xpmgr.conf", "EnableExpPublication 0\nControllerPrivkeyPath keys/k_xc\n"
	    "ExpExec 1:a:certs/a.cert:keys/eop.pub::\nBrokerCertRootPath /nonexistent/r.pub\n");
	ck_assert_int_eq(load(&c, NULL, err, sizeof(err), ARGS("-c", conf, "m")), -1);
	snprintf(want, sizeof(want), "%s:4: BrokerCertRootPath: /nonexistent/r.pub: No such "
	    "file or directory", conf);
	ck_assert_str_eq(err, want);
	xpmgr_conf_free(&c);
}
END_TEST

START_TEST(test_default_path_and_errors)
{
	struct xpmgr_conf	 c;
	char			 err[XPMGR_ERRLEN], want[1200], cwd[1024];

	put(".pktlab/keys/k_xc", "key");
	put(".pktlab/c.cert", "");
	put(".pktlab/xpmgr.conf", "EnableExpPublication 0\nControllerPrivkeyPath keys/k_xc\n"
	    "ExpExec 1::c.cert:::\n");
	ck_assert_msg(load(&c, tmp, err, sizeof(err), ARGS("m")) == 0, "%s", err);
	snprintf(want, sizeof(want), "%s/.pktlab/xpmgr.conf", tmp);
	ck_assert_str_eq(c.path, want);
	snprintf(want, sizeof(want), "%s/.pktlab/keys/k_xc", tmp);
	ck_assert_str_eq(c.ctrl_key, want);
	/* The random key is drawn by the load step. */
	ck_assert_uint_eq(strlen(c.exp[0].snikey), 63);
	ck_assert_uint_eq(strspn(c.exp[0].snikey, "0123456789abcdefghijklmnopqrstuvwxyz"), 63);
	ck_assert_uint_eq(c.ndiag, 0);
	xpmgr_conf_free(&c);

	/* No HOME: ./xpmgr.conf, and the user is told why. */
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "%s/.pktlab", tmp);
	ck_assert_int_eq(chdir(want), 0);
	ck_assert_msg(load(&c, NULL, err, sizeof(err), ARGS("m")) == 0, "%s", err);
	ck_assert_str_eq(c.path, "xpmgr.conf");
	ck_assert_str_eq(c.ctrl_key, "keys/k_xc");
	ck_assert_uint_eq(c.ndiag, 1);
	ck_assert_str_eq(c.diag[0].msg, "HOME is not set: using xpmgr.conf in the working "
	    "directory");
	xpmgr_conf_free(&c);
	ck_assert_int_eq(chdir(tmp), 0);
	ck_assert_int_eq(load(&c, NULL, err, sizeof(err), ARGS("m")), -1);
	ck_assert_str_eq(err, "xpmgr.conf: cannot read the configuration: No such file or "
	    "directory (HOME is not set, so it was looked for in the working directory; "
	    "use -c)");
	xpmgr_conf_free(&c);
	ck_assert_int_eq(chdir(cwd), 0);

	ck_assert_int_eq(load(&c, "/nonexistent-home", err, sizeof(err), ARGS("m")), -1);
	ck_assert_str_eq(err, "/nonexistent-home/.pktlab/xpmgr.conf: cannot read the "
	    "configuration: No such file or directory");
	xpmgr_conf_free(&c);
	ck_assert_int_eq(load(&c, NULL, err, sizeof(err), ARGS("-c", tmp, "m")), -1);
	snprintf(want, sizeof(want), "%s: cannot read the configuration: is a directory", tmp);
	ck_assert_str_eq(err, want);
	xpmgr_conf_free(&c);
}
END_TEST

/* Files of a ~/.pktlab that pktlab-cred init makes, plus the tutorial's downloads. */
static const char *const seed_files[] = {
	".pktlab/keys/k_xc", ".pktlab/keys/k_eop.pub", ".pktlab/keys/caida_k_bop.pub",
	".pktlab/keys/caida_k_eop.pub", ".pktlab/certs/agent_xc_xc.cert",
	".pktlab/certs/exppriv_eop_exper.cert", ".pktlab/certs/pubcmd_exper_xc.cert",
	".pktlab/certs/caida_exppriv.cert", ".pktlab/progs/",
};

/* The 8 lines of certs spec §6, with absolute paths under HOME. */
static void
write_init_conf(const char *name, int proxy)
{
	char	 text[4096], rel[64];
	int	 n;

	n = snprintf(text, sizeof(text),
	    "# written like pktlab-cred init\n"
	    "EnableExpPublication 1\n"
	    "BrokerAddr pktbrokr.caida.org\n"
	    "PubAgentCertPath %1$s/.pktlab/certs/agent_xc_xc.cert\n"
	    "BrokerCertRootPath %1$s/.pktlab/keys/caida_k_bop.pub\n"
	    "PubPeriod 31536000000000000\n"
	    "ControllerPrivkeyPath %1$s/.pktlab/keys/k_xc\n"
	    "ExpExec 1::%1$s/.pktlab/certs/exppriv_eop_exper.cert,"
	    "%1$s/.pktlab/certs/pubcmd_exper_xc.cert:%1$s/.pktlab/keys/k_eop.pub::\n"
	    "ProgramDirPath %1$s/.pktlab/progs\n", tmp);
	if (proxy)
		snprintf(text + n, sizeof(text) - (size_t)n,
		    "EnableProxyMode 1\n"
		    "BacklogConnAgentCertPath %s/.pktlab/certs/agent_xc_xc.cert\n"
		    "TargetBacklogConn 2\n"
		    "BacklogConnTimeout 2000000000\n"
		    "BootstrapBacklogTimeout 5000000000\n", tmp);
	snprintf(rel, sizeof(rel), ".pktlab/%s", name);
	put(rel, text);
}

/* The tutorial's command, verbatim, for one file. */
static void
run_seed_printf(const char *name)
{
	char	 cmd[1024];
	int	 st;

	snprintf(cmd, sizeof(cmd), "HOME='%s' /bin/sh -c 'printf \"%%b\" "
	    "\"\\nExpExec 0::${HOME}/.pktlab/certs/caida_exppriv.cert,${HOME}/.pktlab/certs/"
	    "pubcmd_exper_xc.cert:${HOME}/.pktlab/keys/caida_k_eop.pub::\\n\" >> "
	    "~/.pktlab/%s'", tmp, name);
	st = system(cmd);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", cmd);
}

static void
check_seed_entries(const struct xpmgr_conf *c, unsigned line)
{
	char	 want[1024];

	ck_assert_uint_eq(c->nexp, 2);
	ck_assert_int_eq(c->exp[0].is_default, 1);
	/* After the blank line the printf starts with. */
	ck_assert_uint_eq(c->exp[1].line, line);
	ck_assert_int_eq(c->exp[1].is_default, 0);
	ck_assert_int_eq(c->exp[1].snikey_random, 1);
	ck_assert_uint_eq(strlen(c->exp[1].snikey), 63);
	ck_assert_str_ne(c->exp[0].snikey, c->exp[1].snikey);
	ck_assert_uint_eq(c->exp[1].chain.n, 2);
	snprintf(want, sizeof(want), "%s/.pktlab/certs/caida_exppriv.cert", tmp);
	ck_assert_str_eq(c->exp[1].chain.v[0], want);
	snprintf(want, sizeof(want), "%s/.pktlab/certs/pubcmd_exper_xc.cert", tmp);
	ck_assert_str_eq(c->exp[1].chain.v[1], want);
	ck_assert_uint_eq(c->exp[1].trusted.n, 1);
	snprintf(want, sizeof(want), "%s/.pktlab/keys/caida_k_eop.pub", tmp);
	ck_assert_str_eq(c->exp[1].trusted.v[0], want);
	ck_assert_uint_eq(c->exp[1].nchan, 1);
	ck_assert_uint_eq(c->exp[1].chan[0].len, 0);
	ck_assert_str_eq(c->exp[1].override, "");
}

START_TEST(test_seed_workflow)
{
	struct xpmgr_conf	 c;
	char			 err[XPMGR_ERRLEN], conf[600];
	size_t			 i;

	for (i = 0; i < sizeof(seed_files) / sizeof(seed_files[0]); i++)
		put(seed_files[i], NULL);
	write_init_conf("xpmgr.conf", 0);
	run_seed_printf("xpmgr.conf");
	ck_assert_msg(load(&c, tmp, err, sizeof(err), ARGS("m")) == 0, "%s", err);
	check_seed_entries(&c, 11);
	ck_assert_int_eq(c.proxy_mode, 0);
	ck_assert_uint_eq(c.ndiag, 0);
	xpmgr_conf_free(&c);

	write_init_conf("xpmgr.proxy.conf", 1);
	run_seed_printf("xpmgr.proxy.conf");
	snprintf(conf, sizeof(conf), "%s/.pktlab/xpmgr.proxy.conf", tmp);
	ck_assert_msg(load(&c, tmp, err, sizeof(err), ARGS("-c", conf, "-a",
	    "pktproxy.caida.org", "m")) == 0, "%s", err);
	check_seed_entries(&c, 16);
	ck_assert_int_eq(c.proxy_mode, 1);
	ck_assert_uint_eq(c.listen.port, 20557);
	xpmgr_conf_free(&c);
}
END_TEST

/* A folder like ~/.pktlab made of the test PKI, for the shipped examples. */
static void
make_pki_home(void)
{
	const char	*data = getenv("PL_TEST_DATA");
	const char	*sub[] = { "keys", "certs" };
	char		 src[1024], dst[1024];
	struct dirent	*de;
	DIR		*d;
	size_t		 i;

	ck_assert_ptr_nonnull(data);
	for (i = 0; i < 2; i++) {
		snprintf(dst, sizeof(dst), "%s/%s", tmp, sub[i]);
		ck_assert_int_eq(mkdir(dst, 0700), 0);
		snprintf(src, sizeof(src), "%s/pki/%s", data, sub[i]);
		d = opendir(src);
		ck_assert_msg(d != NULL, "%s", src);
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(src, sizeof(src), "%s/pki/%s/%s", data, sub[i], de->d_name);
			snprintf(dst, sizeof(dst), "%s/%s/%s", tmp, sub[i], de->d_name);
			ck_assert_int_eq(symlink(src, dst), 0);
		}
		closedir(d);
	}
	/* The broker operator's key is not part of the test PKI: any key will do. */
	snprintf(src, sizeof(src), "%s/pki/keys/k_eop.pub", data);
	snprintf(dst, sizeof(dst), "%s/keys/caida_k_bop.pub", tmp);
	ck_assert_int_eq(symlink(src, dst), 0);
	put("progs/", NULL);
}

/* Every template parses as no directive at all: everything is commented. */
START_TEST(test_shipped_templates)
{
	struct pl_kv_lexer	 lx;
	struct pl_kv		 kv;
	const char		*srcdir = getenv("PL_SRC_DIR");
	char			 dir[1024], path[1400], why[256], *buf;
	struct dirent		*de;
	size_t			 len;
	int			 n = 0, r;
	DIR			*d;

	ck_assert_ptr_nonnull(srcdir);
	snprintf(dir, sizeof(dir), "%s/conf", srcdir);
	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 9 || strcmp(de->d_name + len - 9, ".template") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ck_assert_msg(pl_conf_readfile(path, &buf, &len, why, sizeof(why)) == 0,
		    "%s: %s", path, why);
		pl_kv_init(&lx, buf, len);
		r = pl_kv_next(&lx, &kv, why, sizeof(why));
		ck_assert_msg(r == 0, "%s:%u: not a comment (%s)", path, lx.line,
		    r == -1 ? why : "a directive");
		free(buf);
		n++;
	}
	closedir(d);
	ck_assert_int_eq(n, 2);
}
END_TEST

/* Commented-out directives in the templates, once uncommented, are valid names. */
START_TEST(test_templates_name_real_directives)
{
	const char	*srcdir = getenv("PL_SRC_DIR");
	const char	*names[] = { "xpmgr.conf.template", "xpmgr.proxy.conf.template" };
	char		 path[1400], line[4096], key[128];
	unsigned	 d, found[XPDIR_COUNT];
	size_t		 i;
	FILE		*f;

	memset(found, 0, sizeof(found));
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/conf/%s", srcdir, names[i]);
		ck_assert_ptr_nonnull(f = fopen(path, "r"));
		while (fgets(line, sizeof(line), f) != NULL) {
			/* "#Name value": a directive to uncomment, not prose. */
			if (line[0] != '#' || line[1] < 'A' || line[1] > 'Z' ||
			    sscanf(line + 1, "%127s", key) != 1)
				continue;
			for (d = 0; d < XPDIR_COUNT; d++)
				if (strcmp(key, xpmgr_directive_name(d)) == 0)
					break;
			ck_assert_msg(d < XPDIR_COUNT, "%s: unknown directive %s", names[i], key);
			found[d]++;
		}
		fclose(f);
	}
	/* Between them, the templates show every directive. */
	for (d = 0; d < XPDIR_COUNT; d++)
		ck_assert_msg(found[d] > 0, "no template shows %s", xpmgr_directive_name(d));
}
END_TEST

/* Every example loads cleanly against the test PKI, with no warning. */
START_TEST(test_shipped_examples)
{
	struct xpmgr_conf	 c;
	const char		*srcdir = getenv("PL_SRC_DIR");
	char			 dir[1024], src[1400], dst[1400], err[XPMGR_ERRLEN], *buf;
	struct dirent		*de;
	size_t			 len, i;
	int			 n = 0;
	DIR			*d;
	FILE			*f;

	make_pki_home();
	snprintf(dir, sizeof(dir), "%s/conf/examples", srcdir);
	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		snprintf(src, sizeof(src), "%s/%s", dir, de->d_name);
		ck_assert_int_eq(pl_conf_readfile(src, &buf, &len, err, sizeof(err)), 0);
		snprintf(dst, sizeof(dst), "%s/%s", tmp, de->d_name);
		ck_assert_ptr_nonnull(f = fopen(dst, "w"));
		fwrite(buf, 1, len, f);
		fclose(f);
		free(buf);
		ck_assert_msg(load(&c, NULL, err, sizeof(err), ARGS("-c", dst, "-a",
		    "127.0.0.1", "m")) == 0, "%s: %s", de->d_name, err);
		for (i = 0; i < c.ndiag; i++)
			ck_assert_msg(0, "%s: %s", de->d_name, c.diag[i].msg);
		ck_assert_uint_ge(c.nexp, 1);
		xpmgr_conf_free(&c);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 3);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("conf_files");
	TCase	*tc = tcase_create("files");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_check_paths);
	tcase_add_test(tc, test_default_path_and_errors);
	tcase_add_test(tc, test_seed_workflow);
	tcase_add_test(tc, test_shipped_templates);
	tcase_add_test(tc, test_templates_name_real_directives);
	tcase_add_test(tc, test_shipped_examples);
	suite_add_tcase(s, tc);
	return ct_run(s);
}
