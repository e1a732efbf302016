/*
 * test_xpmgr_programs.c: loading ProgramDirPath (src/xpmgr/programs.c,
 * xpmgr spec §9): which files count, how they are encoded, their SHA-256
 * digests (expected values computed independently of our code), lookup by
 * digest, and bad files skipped without stopping the rest.
 */
#include <sys/stat.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "xpmgr/daemon.h"

static char	 dir[] = "/tmp/test_xpmgr_programs.XXXXXX";

static void
put(const char *name, const void *data, size_t len)
{
	char	 path[512];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void
check_prog(const struct xp_prog *p, const char *name, const char *enchex,
    const char *digesthex)
{
	char	 hex[200];

	ck_assert_str_eq(p->name, name);
	ck_assert_uint_eq(p->len * 2, strlen(enchex));
	ck_assert_str_eq(pl_hex(p->enc, p->len, hex), enchex);
	ck_assert_str_eq(pl_hex(p->digest, 32, hex), digesthex);
}

START_TEST(load_folder)
{
	static const uint8_t	 wasm[] = { 0x00, 'a', 's', 'm', 1, 0, 0, 0 };
	struct xp_progs		 ps;
	char			 why[256], sub[512];
	uint8_t			 dg[32];

	put("c.ebpf", "183 1 2 3 4\n", 12);
	put("b", "# return\n0x95 0 0 0 0\n\n", 23);
	put("a.wasm", wasm, sizeof(wasm));
	put("d.txt", "not a program", 13);
	put(".hidden.wasm", wasm, sizeof(wasm));
	put("e.ebpf", "1 2 3\n", 6);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);

	ck_assert_int_eq(xp_progs_load(dir, &ps, why, sizeof(why)), 0);
	/* Sorted by name; d.txt, .hidden.wasm, e.ebpf and sub/ are skipped. */
	ck_assert_uint_eq(ps.n, 3);
	check_prog(&ps.v[0], "a.wasm", "010061736d01000000",
	    "e4154b6477e1a37ddb4c83262c8f34fa2c7183a43411a7ff84c7e5b96d9698c6");
	check_prog(&ps.v[1], "b", "009500000000000000",
	    "1f25dc612d8dc727c5708572c77666838b6edd0ccc300e84f9f56a18382fded2");
	check_prog(&ps.v[2], "c.ebpf", "00b712000300000004",
	    "9ef08bc2f42ab22ac38e51adcfe1f89fecec4d3e5d9b0934e890a258ded35572");

	ck_assert_int_eq(pl_unhex("1f25dc612d8dc727c5708572c77666838b6edd0ccc300e84"
	    "f9f56a18382fded2", 64, dg, sizeof(dg)), 32);
	ck_assert_ptr_eq(xp_progs_find(&ps, dg), &ps.v[1]);
	dg[0] ^= 1;
	ck_assert_ptr_null(xp_progs_find(&ps, dg));
	xp_progs_free(&ps);
	ck_assert_uint_eq(ps.n, 0);
}
END_TEST

START_TEST(empty_and_missing)
{
	struct xp_progs	 ps;
	char		 why[256], path[600], cmd[700];

	snprintf(path, sizeof(path), "%s/empty", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(xp_progs_load(path, &ps, why, sizeof(why)), 0);
	ck_assert_uint_eq(ps.n, 0);
	xp_progs_free(&ps);

	snprintf(path, sizeof(path), "%s/nothere", dir);
	ck_assert_int_eq(xp_progs_load(path, &ps, why, sizeof(why)), -1);
	snprintf(cmd, sizeof(cmd), "ProgramDirPath %s: No such file or directory", path);
	ck_assert_str_eq(why, cmd);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("xpmgr_programs");
	TCase	*tc = tcase_create("programs");
	SRunner	*sr;
	int	 nf;
	char	 cmd[256];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	tcase_add_test(tc, load_folder);
	tcase_add_test(tc, empty_and_missing);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		nf++;
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
