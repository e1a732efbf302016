/*
 * main.c: pktxpmgr's entry point: the command line, the configuration
 * file, then -t (check.c) or the daemon (daemon.c).  Everything here is
 * thin: parsing and validation live in src/conf (plconf).
 */
#include <stdio.h>
#include <stdlib.h>

#include "util/log.h"
#include "xpmgr/daemon.h"
#include "xpmgr.h"

static void	usage_error(const char *why) PL_NORETURN;

static void
usage_error(const char *why)
{
	fprintf(stderr, "pktxpmgr: %s\nusage: %s\nTry 'pktxpmgr --help'.\n", why,
	    xpmgr_cli_synopsis());
	exit(1);
}

void
xpmgr_log_diags(const struct xpmgr_conf *c)
{
	size_t	 i;

	for (i = 0; i < c->ndiag; i++) {
		if (c->diag[i].level == XPMGR_WARN)
			log_warnx("%s", c->diag[i].msg);
		else
			log_info("%s", c->diag[i].msg);
	}
}

int
main(int argc, char *argv[])
{
	struct xpmgr_cli	 cli;
	struct xpmgr_conf	 conf;
	char			 err[XPMGR_ERRLEN];
	int			 r;

	log_init("pktxpmgr", LOG_LVL_INFO);
	if (xpmgr_cli_parse(argc, argv, &cli, err, sizeof(err)) == -1)
		usage_error(err);
	if (cli.help) {
		fputs(xpmgr_cli_help(), stdout);
		fputs("\nProxy mode (EnableProxyMode 1, -a PROXY[:PORT], default port 20557):\n"
		    "pktxpmgr keeps TargetBacklogConn connections per SNI key registered at\n"
		    "the proxy, which splices endpoints onto them; failures back off.\n"
		    "\nNot in this version: broker publication (EnableExpPublication 1 is\n"
		    "warned about; endpoints must be pointed at pktxpmgr directly).\n", stdout);
		return 0;
	}
	if (cli.version) {
		printf("pktxpmgr %s (PacketLab 1.1.0 compatible)\n", PKTXP_VERSION);
		return 0;
	}
	log_set_level(LOG_LVL_INFO + cli.verbosity);
	if (cli.check)
		log_set_timestamps(0);

	r = xpmgr_conf_load(&conf, &cli, getenv("HOME"), err, sizeof(err));
	xpmgr_log_diags(&conf);
	if (r == -1) {
		log_warnx("%s", err);
		fatalx("configuration not loaded%s", cli.check ? ": check failed" : "");
	}
	if (cli.check)
		r = xpmgr_check(&conf) == 0 ? 0 : 1;
	else
		r = xpmgr_run(&conf);
	xpmgr_conf_free(&conf);
	return r;
}
