/*
 * conftest.c: see conftest.h.
 */
#include <check.h>

#include "conftest.h"

int
conftest_cli(struct xpmgr_cli *cli, char *err, size_t errlen, const char *const *args)
{
	/* cli->mlet_args points into it: it must outlive the call. */
	static char	*argv[32];
	int		 argc = 0;

	argv[argc++] = (char *)"pktxpmgr";
	while (*args != NULL) {
		ck_assert_int_lt(argc, 31);
		argv[argc++] = (char *)*args++;
	}
	argv[argc] = NULL;
	if (errlen > 0)
		err[0] = '\0';
	return xpmgr_cli_parse(argc, argv, cli, err, errlen);
}
