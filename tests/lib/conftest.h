/*
 * conftest.h: helpers for the configuration and command-line tests: parse a
 * list of arguments as pktxpmgr's command line (argv[0] added).
 */
#ifndef PL_TEST_CONFTEST_H
#define PL_TEST_CONFTEST_H

#include <stddef.h>

#include "conf/xpcli.h"

/* A NULL-terminated argument list, for conftest_cli(..., CT_ARGS("-s", "m")). */
#define CT_ARGS(...)	((const char *const[]){ __VA_ARGS__, NULL })

/*
 * xpmgr_cli_parse over "pktxpmgr" followed by args (at most 30).  *cli
 * points into args and into a static argv: it is valid until the next
 * call.  err is cleared first.  Returns what the parser returns.
 */
int	conftest_cli(struct xpmgr_cli *cli, char *err, size_t errlen,
	    const char *const *args);

#endif /* PL_TEST_CONFTEST_H */
