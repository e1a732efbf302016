/*
 * ctrun.c: running a Check suite (see ctrun.h).
 */
#include <stdlib.h>

#include <check.h>

#include "ctrun.h"

int
ct_run(Suite *s)
{
	SRunner	*sr = srunner_create(s);
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
