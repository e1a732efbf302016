/*
 * ctrun.h: the one main() body every Check test program needs.
 */
#ifndef PL_TEST_CTRUN_H
#define PL_TEST_CTRUN_H

struct Suite;
/* Run a Check suite; returns the exit status for main(). */
int	 ct_run(struct Suite *);

#endif /* PL_TEST_CTRUN_H */
