/*
 * xpcli.c: pktxpmgr's command-line parser and help text (see xpcli.h).
 * getopt_long, as in the other tools, tamed for a tested function: "+" stops
 * at MLET (no permutation), ":" and opterr = 0 leave the messages to us,
 * optind = 0 starts afresh on every call, and a long option must be spelt
 * out (glibc would take any unambiguous prefix).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <pktlab/nvp.h>

#include "conf/addr.h"
#include "conf/kv.h"
#include "conf/xpcli.h"

static const struct xpmgr_cli_opt *cli_find_long(const char *arg);
static int	cli_apply(struct xpmgr_cli *cli, const struct xpmgr_cli_opt *o,
		    const char *val, const char *shown, char *err, size_t errlen);
static int	cli_attempts(const char *val, uint64_t *out, char *why, size_t whylen);

static const struct xpmgr_cli_opt cli_opts[] = {
	{ 'a', "addr", "ADDR[:PORT]", "where to listen (0.0.0.0:20556), or the proxy (:20557)" },
	{ 'c', "config", "PATH", "configuration file (default ~/.pktlab/xpmgr.conf)" },
	{ 'h', "help", NULL, "print this help and exit" },
	{ 'i', "hostid", "HOSTID", "publish hostid=HOSTID: only endpoints with a "
	    "matching host id come" },
	{ 'n', "attempts", "N", "stop after N endpoint sessions (default: no limit)" },
	{ 'o', "output-dir", "DIR", "results in DIR: mlet output, sessions.jsonl, run.json" },
	{ 'p', "publish-addr", "ADDR[:PORT]", "controller address to publish "
	    "(overrides PubControllerAddr)" },
	{ 'q', "quiet", NULL, "log less (repeatable)" },
	{ 's', "singleton", NULL, "singleton mode: one mlet receives every endpoint" },
	{ 't', "check", NULL, "check config, credentials and MLET, print the plan "
	    "(with each XPUB), exit; contacts nothing" },
	{ 'v', "verbose", NULL, "log more (repeatable)" },
	{ 'V', "version", NULL, "print the version and exit" },
	{ 0, "append", NULL, "with -o: add this run to a DIR that holds earlier runs" },
	{ 0, "trace", NULL, "with -o: each session's messages to sNN-ADDR.pcap" },
	{ 0, "no-progress", NULL, "no status line on a terminal" },
};

/* Two lines, aligned for a "usage: " prefix. */
static const char cli_synopsis[] = "pktxpmgr [-hqstvV] [-c XPMGR_CONF_PATH] "
    "[-a ADDR[:PORT]] [-p PUBLISH_ADDR[:PORT]]\n"
    "                [-n ATTEMPT_CNT] [-i HOSTID] [-o DIR [--append] [--trace]]\n"
    "                [--no-progress] MLET [MLET_ARGS ...]";

const struct xpmgr_cli_opt *
xpmgr_cli_options(size_t *n)
{
	*n = sizeof(cli_opts) / sizeof(cli_opts[0]);
	return cli_opts;
}

const char *
xpmgr_cli_synopsis(void)
{
	return cli_synopsis;
}

const char *
xpmgr_cli_help(void)
{
	static char	 text[4096];
	char		 left[64];
	size_t		 i, used;
	int		 r;

	if (text[0] != '\0')
		return text;
	r = snprintf(text, sizeof(text), "usage: %s\n\n"
	    "Run MLET for every PacketLab endpoint that connects; with\n"
	    "EnableExpPublication 1, publish the experiments to a broker first so\n"
	    "that subscribed endpoints come (see pktxpmgr(1)).\n\n",
	    cli_synopsis);
	used = (size_t)r;
	for (i = 0; i < sizeof(cli_opts) / sizeof(cli_opts[0]); i++) {
		if (cli_opts[i].letter != 0)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", cli_opts[i].letter,
			    cli_opts[i].name, cli_opts[i].arg ? " " : "",
			    cli_opts[i].arg ? cli_opts[i].arg : "");
		else
			snprintf(left, sizeof(left), "    --%s", cli_opts[i].name);
		r = snprintf(text + used, sizeof(text) - used, "  %-30s %s\n", left,
		    cli_opts[i].help);
		used += (size_t)r;
	}
	snprintf(text + used, sizeof(text) - used,
	    "\nEverything after MLET is passed to the mlet.  On a terminal a status line\n"
	    "shows the sessions and bytes relayed; SIGUSR1 logs it in any mode.\n");
	return text;
}

int
xpmgr_default_conf_path(const char *home, char *buf, size_t buflen)
{
	int	 r;

	if (home == NULL || home[0] == '\0') {
		r = snprintf(buf, buflen, "xpmgr.conf");
		return r < 0 || (size_t)r >= buflen ? -1 : 1;
	}
	r = snprintf(buf, buflen, "%s%s.pktlab/xpmgr.conf", home,
	    home[strlen(home) - 1] == '/' ? "" : "/");
	return r < 0 || (size_t)r >= buflen ? -1 : 0;
}

/* The option named by a long-option argument ("--name" or "--name=..."), exactly. */
static const struct xpmgr_cli_opt *
cli_find_long(const char *a)
{
	size_t	 i, len;

	if (a[0] != '-' || a[1] != '-')
		return NULL;
	a += 2;
	len = strcspn(a, "=");
	for (i = 0; i < sizeof(cli_opts) / sizeof(cli_opts[0]); i++)
		if (strlen(cli_opts[i].name) == len &&
		    memcmp(cli_opts[i].name, a, len) == 0)
			return &cli_opts[i];
	return NULL;
}

/* A positive decimal count; 1.1.0's strtoumax(.., 0) took hex, octal and junk. */
static int
cli_attempts(const char *val, uint64_t *out, char *why, size_t whylen)
{
	char	 q[PL_QUOTE_MAX], reason[160];

	pl_val_quote(val, strlen(val), q, sizeof(q));
	if (val[0] == '\0' || strspn(val, "0123456789") != strlen(val)) {
		snprintf(why, whylen, "%s: expected a positive decimal number", q);
		return -1;
	}
	if (pl_val_u64(val, strlen(val), out, reason, sizeof(reason)) == -1) {
		snprintf(why, whylen, "%s", reason);
		return -1;
	}
	if (*out == 0) {
		snprintf(why, whylen, "%s: the attempt count must be at least 1", q);
		return -1;
	}
	return 0;
}

static int
cli_apply(struct xpmgr_cli *cli, const struct xpmgr_cli_opt *o, const char *val,
    const char *shown, char *err, size_t errlen)
{
	struct pl_hostport	 hp;
	char			 why[256];
	size_t			 i;

	if (val != NULL && val[0] == '\0') {
		snprintf(err, errlen, "%s: empty argument", shown);
		return -1;
	}
	switch (o->letter) {
	case 'a':
	case 'p':
		if (pl_addr_split(val, 1, &hp, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s: %s", shown, why);
			return -1;
		}
		*(o->letter == 'a' ? &cli->addr : &cli->pub_addr) = val;
		break;
	case 'c':
		cli->conf_path = val;
		break;
	case 'h':
		cli->help = 1;
		break;
	case 'i':
		/* It becomes the value of a descriptor pair: 1.1.0 failed late. */
		for (i = 0; val[i] != '\0'; i++) {
			if (!pl_nvp_value_char((unsigned char)val[i], PL_NVP_XDESCR)) {
				pl_val_quote(val, strlen(val), why, sizeof(why));
				snprintf(err, errlen, "%s: %s: character '%c' cannot appear "
				    "in a descriptor value", shown, why, val[i]);
				return -1;
			}
		}
		cli->hostid = val;
		break;
	case 'o':
		cli->output_dir = val;
		break;
	case 'n':
		if (cli_attempts(val, &cli->attempts, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s: %s", shown, why);
			return -1;
		}
		cli->has_attempts = 1;
		break;
	case 'q':
		cli->verbosity--;
		break;
	case 's':
		cli->singleton = 1;
		break;
	case 't':
		cli->check = 1;
		break;
	case 'v':
		cli->verbosity++;
		break;
	case 'V':
		cli->version = 1;
		break;
	default:
		/* Long-only options. */
		if (strcmp(o->name, "append") == 0)
			cli->append = 1;
		else if (strcmp(o->name, "trace") == 0)
			cli->trace = 1;
		else if (strcmp(o->name, "no-progress") == 0)
			cli->no_progress = 1;
		break;
	}
	return 0;
}

int
xpmgr_cli_parse(int argc, char *const argv[], struct xpmgr_cli *cli, char *err,
    size_t errlen)
{
	enum { NOPT = sizeof(cli_opts) / sizeof(cli_opts[0]) };
	struct option			 lo[NOPT + 1];
	const struct xpmgr_cli_opt	*o;
	const char			*a;
	char				 optstr[2 + 2 * NOPT + 1], shown[64], q[PL_QUOTE_MAX];
	size_t				 i, n = 0;
	int				 ch, elem;

	memset(cli, 0, sizeof(*cli));
	cli->attempts = UINT64_MAX;
	cli->argc = argc;
	cli->argv = argv;
	memset(lo, 0, sizeof(lo));
	optstr[n++] = '+';
	optstr[n++] = ':';
	for (i = 0; i < NOPT; i++) {
		lo[i].name = cli_opts[i].name;
		lo[i].has_arg = cli_opts[i].arg != NULL ? required_argument : no_argument;
		/* Long-only options: a value no letter has; found by name below. */
		lo[i].val = cli_opts[i].letter != 0 ? (unsigned char)cli_opts[i].letter :
		    0x100 + (int)i;
		if (cli_opts[i].letter == 0)
			continue;
		optstr[n++] = cli_opts[i].letter;
		if (cli_opts[i].arg != NULL)
			optstr[n++] = ':';
	}
	optstr[n] = '\0';
	opterr = 0;
	optind = 0;
	for (;;) {
		/* The word being looked at: optind moves past it when it is done. */
		elem = optind == 0 ? 1 : optind;
		if ((ch = getopt_long(argc, argv, optstr, lo, NULL)) == -1)
			break;
		a = elem < argc ? argv[elem] : "";
		if (a[0] == '-' && a[1] == '-') {
			/* A long option: spelt out, argument as the option says. */
			if ((o = cli_find_long(a)) == NULL) {
				snprintf(err, errlen, "unknown option %s",
				    pl_val_quote(a, strlen(a), q, sizeof(q)));
				return -1;
			}
			snprintf(shown, sizeof(shown), "--%s", o->name);
			if (ch == '?' && o->arg == NULL) {
				snprintf(err, errlen, "%s takes no argument", shown);
				return -1;
			}
		} else {
			if (ch == '?') {
				if (optopt > 0x20 && optopt < 0x7f)
					snprintf(err, errlen, "unknown option -%c", optopt);
				else
					snprintf(err, errlen, "unknown option: %s in %s",
					    pl_val_charname(optopt, shown),
					    pl_val_quote(a, strlen(a), q, sizeof(q)));
				return -1;
			}
			for (o = NULL, i = 0; i < NOPT && o == NULL; i++)
				if (cli_opts[i].letter == (ch == ':' ? optopt : ch))
					o = &cli_opts[i];
			if (o == NULL) {
				snprintf(err, errlen, "unknown option %s",
				    pl_val_quote(a, strlen(a), q, sizeof(q)));
				return -1;
			}
			snprintf(shown, sizeof(shown), "-%c", o->letter);
		}
		if (ch == ':') {
			snprintf(err, errlen, "%s needs an argument (%s)", shown, o->arg);
			return -1;
		}
		if (cli_apply(cli, o, o->arg != NULL ? optarg : NULL, shown, err,
		    errlen) == -1)
			return -1;
	}
	if (optind < argc) {
		if (argv[optind][0] == '\0') {
			snprintf(err, errlen, "MLET is an empty string");
			return -1;
		}
		cli->mlet = argv[optind];
		cli->mlet_args = argv + optind + 1;
		cli->nmlet_args = argc - optind - 1;
	} else if (!cli->help && !cli->version) {
		snprintf(err, errlen, "missing MLET (the measurement applet to run)");
		return -1;
	}
	if (cli->output_dir == NULL && (cli->append || cli->trace)) {
		snprintf(err, errlen, "%s needs -o DIR (the results folder)",
		    cli->trace ? "--trace" : "--append");
		return -1;
	}
	return 0;
}
