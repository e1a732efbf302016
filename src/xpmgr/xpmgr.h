/*
 * xpmgr.h: the pktxpmgr program.  The configuration and command line it
 * runs from are struct xpmgr_conf (conf/xpconf.h), loaded by main.c; this
 * header lists what the program's own files provide, grouped by file.
 */
#ifndef PL_XPMGR_H
#define PL_XPMGR_H

#include "conf/xpconf.h"

/* check.c: -t, check everything a run would load, print a summary, exit status. */
int	xpmgr_check(const struct xpmgr_conf *c);

/* main.c: log the warnings and notices collected while loading. */
void	xpmgr_log_diags(const struct xpmgr_conf *c);

#endif /* PL_XPMGR_H */
