/*
 * xpcli.h: pktxpmgr's command line, parsed by a pure function over argv.
 *
 *   pktxpmgr [-hqstvV] [-c XPMGR_CONF_PATH] [-a ADDR[:PORT]]
 *            [-p PUBLISH_ADDR[:PORT]] [-n ATTEMPT_CNT] [-i HOSTID]
 *            [-o DIR [--append] [--trace]] [--no-progress] MLET [MLET_ARGS ...]
 *
 * The 1.1.0 letters keep their meaning (xpmgr spec §1).  Option parsing
 * stops at MLET, so everything after it belongs to the mlet (1.1.0 let
 * glibc's getopt permute argv and needed "--"; "--" is still accepted).
 * Added: long names for every option, -V/--version, -v/-q (repeatable), -t
 * (check the configuration and exit), and the results options -o DIR,
 * --append, --trace and --no-progress (docs/results.md).
 */
#ifndef PL_CONF_XPCLI_H
#define PL_CONF_XPCLI_H

#include <stddef.h>
#include <stdint.h>

struct xpmgr_cli {
	const char	*conf_path;	/* -c, or NULL for the default */
	const char	*addr;		/* -a, or NULL */
	const char	*pub_addr;	/* -p, or NULL */
	const char	*hostid;	/* -i, or NULL */
	uint64_t	 attempts;	/* -n; UINT64_MAX when not given */
	int		 has_attempts;
	int		 singleton;	/* -s */
	int		 check;		/* -t */
	int		 help;		/* -h, --help */
	int		 version;	/* -V, --version */
	int		 verbosity;	/* number of -v minus number of -q */
	const char	*output_dir;	/* -o, or NULL */
	int		 append;	/* --append (needs -o) */
	int		 trace;		/* --trace (needs -o) */
	int		 no_progress;	/* --no-progress */
	int		 argc;		/* the whole command line, for run.json */
	char *const	*argv;
	const char	*mlet;		/* MLET, or NULL with --help/--version */
	char *const	*mlet_args;	/* MLET_ARGS (argv after MLET) */
	int		 nmlet_args;
};

/*
 * Parse argv[1..argc).  Returns 0 with *cli filled (strings point into
 * argv), or -1 with a one-line reason in err ("-n: \"0\": the attempt count
 * must be at least 1").  No output, no exit, no getenv.
 */
int	 xpmgr_cli_parse(int argc, char *const argv[], struct xpmgr_cli *cli,
	    char *err, size_t errlen);

/* The synopsis (two lines, aligned to follow "usage: "). */
const char *xpmgr_cli_synopsis(void);
/* The --help text: synopsis, then one line per option.  Static storage. */
const char *xpmgr_cli_help(void);

/* The options, for the help text and for tests that keep the man page in sync. */
struct xpmgr_cli_opt {
	char		 letter;	/* 0 for long-only options */
	const char	*name;		/* long name */
	const char	*arg;		/* argument name, or NULL */
	const char	*help;
};
const struct xpmgr_cli_opt *xpmgr_cli_options(size_t *n);

/*
 * The default configuration path: HOME/.pktlab/xpmgr.conf, or "xpmgr.conf"
 * in the working directory when home is NULL or empty.  Returns 0 (HOME
 * used), 1 (fallback used: the caller should say so), or -1 when the path
 * does not fit in buf.
 */
int	 xpmgr_default_conf_path(const char *home, char *buf, size_t buflen);

#endif /* PL_CONF_XPCLI_H */
