/*
 * xpconf.h: pktxpmgr's configuration: the directives of xpmgr.conf (xpmgr
 * spec §2.4), the ExpExec grammar (§2.5), the descriptor-override rules
 * (§8.2), and the command line merged on top (§1), in one struct
 * xpmgr_conf that the daemon runs from.
 *
 * Loading happens in steps, so each can be tested on its own:
 *   1. xpmgr_conf_parse      pure: text -> struct, syntax, types, presence
 *   2. xpmgr_conf_apply_cli  pure: -a -p -n -i -s -v -q, the mode's defaults
 *   3. xpmgr_conf_finish     pure given a random source: random SNIKEYs
 *   4. xpmgr_conf_check_paths   stat()s every configured file and folder
 * xpmgr_conf_load (xpload.c) runs all four for a program.  No step
 * resolves host names: that happens when a connection is made.
 *
 * Errors are one line naming file, line, directive and reason:
 *   xpmgr.conf:12: ExpExec: SNIKEY "ab_c": invalid character '_'
 * Warnings and notices that do not stop loading are collected in the
 * struct (diag) for the program to log.
 */
#ifndef PL_CONF_XPCONF_H
#define PL_CONF_XPCONF_H

#include <stddef.h>
#include <stdint.h>

#include <pktlab/wire.h>

#include "conf/addr.h"
#include "conf/xpcli.h"

/* Room for any error message of this module. */
#define XPMGR_ERRLEN	1024

/* Every directive, in the order of the table in xpconf.c. */
enum xpmgr_directive {
	XPDIR_ENABLE_PUB,			/* EnableExpPublication */
	XPDIR_BROKER_ADDR,		/* BrokerAddr */
	XPDIR_PUB_AGENT_CERT,		/* PubAgentCertPath */
	XPDIR_BROKER_ROOTS,		/* BrokerCertRootPath */
	XPDIR_PUB_CTRL_ADDR,		/* PubControllerAddr */
	XPDIR_PUB_PERIOD,			/* PubPeriod */
	XPDIR_PUB_PRIO,			/* PubExpPriority */
	XPDIR_PUB_COUNTRY,		/* PubCountry */
	XPDIR_PUB_LOCATION,		/* PubLocation */
	XPDIR_GREET_AFTER,		/* GreetPeriodAfterPubEnd */
	XPDIR_CTRL_KEY,			/* ControllerPrivkeyPath */
	XPDIR_PROG_DIR,			/* ProgramDirPath */
	XPDIR_EXPEXEC,			/* ExpExec (repeatable) */
	XPDIR_PROXY_MODE,			/* EnableProxyMode */
	XPDIR_BACKLOG_AGENT_CERT,		/* BacklogConnAgentCertPath */
	XPDIR_PROXY_ROOTS,		/* ProxyCertRootPath */
	XPDIR_TARGET_BACKLOG,		/* TargetBacklogConn */
	XPDIR_BACKLOG_TIMEOUT,		/* BacklogConnTimeout */
	XPDIR_BOOTSTRAP_TIMEOUT,		/* BootstrapBacklogTimeout */
	XPDIR_HANDSHAKE_TIMEOUT,		/* HandshakeTimeout (new) */
	XPDIR_SETUP_TIMEOUT,		/* SetupTimeout (new) */
	XPDIR_BROKER_TIMEOUT,		/* BrokerTimeout (new) */
	XPDIR_MAX_PENDING,		/* MaxPendingSessions (new) */
	XPDIR_MAX_SESSIONS,		/* MaxSessions (new) */
	XPDIR_COUNT
};

/* Name of a directive ("PubPeriod"). */
const char	*xpmgr_directive_name(enum xpmgr_directive d);

struct xpmgr_conf;
/*
 * Format "path:line: directive: reason" into err (line 0 and directive NULL
 * are left out) and return -1, for every step that reports on the file.
 */
int	 xpmgr_conf_err(const struct xpmgr_conf *c, char *err, size_t errlen,
	    unsigned line, const char *directive, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));

/* Defaults (xpmgr spec §2.4, ERRATA missing fact 3). */
#define XPMGR_DEF_TARGET_BACKLOG	2
#define XPMGR_DEF_BACKLOG_TIMEOUT	(2ull * PL_TICKS_PER_SEC)
#define XPMGR_DEF_BOOTSTRAP_TIMEOUT	(5ull * PL_TICKS_PER_SEC)
#define XPMGR_DEF_HANDSHAKE_TIMEOUT	(10ull * PL_TICKS_PER_SEC)
#define XPMGR_DEF_SETUP_TIMEOUT		(10ull * PL_TICKS_PER_SEC)
#define XPMGR_DEF_BROKER_TIMEOUT	(10ull * PL_TICKS_PER_SEC)
#define XPMGR_DEF_MAX_PENDING		1024
#define XPMGR_DEF_LISTEN		"0.0.0.0"

struct xpmgr_strlist {
	char		**v;
	size_t		  n;
};

/* A publication channel.  len 0 is the key channel: SHA-256 of the EOp root key. */
struct xpmgr_channel {
	uint8_t		 id[PL_CHANNEL_MAX];
	size_t		 len;
};

/* One ExpExec line: IS_DEFAULT:SNIKEY:EXPPRIVCHAIN:TRUSTEDEOP:PUB_CHANNEL:OVERRIDE. */
struct xpmgr_expexec {
	unsigned		 line;
	int			 is_default;
	char			 snikey[PL_SNIKEY_MAX + 1];	/* final, lower case */
	int			 snikey_random;	/* empty in the file: generated */
	struct xpmgr_strlist	 chain;		/* certificate files (resolved paths) */
	struct xpmgr_strlist	 trusted;	/* EOp public key files; may be empty */
	struct xpmgr_channel	*chan;		/* at least one */
	size_t			 nchan;
	/* Descriptor pairs, always ';'-terminated; "" when none. */
	char			*override;
	size_t			 overridelen;
	/* Which predefined names the override holds (they replace the defaults). */
	unsigned		 ov_controller_addr:1, ov_pub_end:1, ov_exp_priority:1,
				 ov_country:1, ov_location:1, ov_hostid:1;
	uint64_t		 ov_pub_end_ns;	/* when ov_pub_end */
};

enum xpmgr_diag_level {
	XPMGR_NOTICE,
	XPMGR_WARN,
};

struct xpmgr_diag {
	enum xpmgr_diag_level	 level;
	char			*msg;		/* "xpmgr.conf:7: PubPeriod: ..." */
};

struct xpmgr_conf {
	char			*path;		/* as given, used in messages */
	char			*dir;		/* folder of path, or NULL for "." */

	/* Directives.  line[d] is where d was set, 0 when absent (default). */
	unsigned		 line[XPDIR_COUNT];
	int			 enable_pub;
	char			*broker_addr;		/* verbatim */
	struct pl_hostport	 broker;		/* split, port 20556 by default */
	char			*pub_agent_cert;
	struct xpmgr_strlist	 broker_roots;
	char			*pub_ctrl_addr;		/* verbatim */
	uint64_t		 pub_period;		/* ns, when line[XPDIR_PUB_PERIOD] */
	uint64_t		 pub_prio;		/* when line[XPDIR_PUB_PRIO] */
	struct xpmgr_strlist	 countries;		/* 3 upper-case letters each */
	struct xpmgr_strlist	 locations;
	uint64_t		 greet_after_pub_end;	/* ns */
	char			*ctrl_key;
	char			*prog_dir;		/* no trailing '/' */
	struct xpmgr_expexec	*exp;			/* in file order */
	size_t			 nexp;
	int			 proxy_mode;
	char			*backlog_agent_cert;
	struct xpmgr_strlist	 proxy_roots;
	uint64_t		 target_backlog;	/* > 0 */
	uint64_t		 backlog_timeout;	/* ns, per set-up stage */
	uint64_t		 bootstrap_timeout;	/* ns */
	uint64_t		 handshake_timeout;	/* ns, > 0 */
	uint64_t		 setup_timeout;		/* ns, > 0 */
	uint64_t		 broker_timeout;	/* ns, > 0: connect, TLS, each result */
	uint64_t		 max_pending;		/* sessions not past set-up, > 0 */
	uint64_t		 max_sessions;		/* all sessions; 0: the descriptor budget */

	/* From the command line (xpmgr_conf_apply_cli). */
	struct pl_hostport	 listen;	/* passive: bind here; proxy: connect here */
	char			*listen_arg;	/* -a verbatim, or NULL */
	char			*pub_addr_arg;	/* -p verbatim, or NULL */
	char			*hostid;	/* -i, or NULL */
	uint64_t		 max_attempts;	/* -n; UINT64_MAX = unlimited */
	int			 singleton;	/* -s */
	int			 check_only;	/* -t */
	int			 log_level;	/* LOG_LVL_INFO adjusted by -v/-q */
	char			*mlet;		/* path to execute, as given */
	char			**mlet_argv;	/* basename(MLET), MLET_ARGS..., NULL */
	char			*output_dir;	/* -o, or NULL (docs/results.md) */
	int			 out_append;	/* --append */
	int			 trace;		/* --trace */
	int			 no_progress;	/* --no-progress */
	char			**cmdline;	/* argv as given, NULL-terminated */

	/* Warnings and notices for the program to log, in order. */
	struct xpmgr_diag	*diag;
	size_t			 ndiag;
};

#define XPMGR_HAS(c, d)	((c)->line[(d)] != 0)

/*
 * Step 1: parse buf[0..len), the contents of the file at path (path is used
 * in messages and its folder resolves relative paths).  Returns 0, or -1
 * with err filled.  *c is initialised here; call xpmgr_conf_free in both
 * cases.
 */
int	 xpmgr_conf_parse(struct xpmgr_conf *c, const char *path, const char *buf,
	    size_t len, char *err, size_t errlen);

/* Step 2: merge the command line.  0, or -1 with err filled. */
int	 xpmgr_conf_apply_cli(struct xpmgr_conf *c, const struct xpmgr_cli *cli,
	    char *err, size_t errlen);

/*
 * Step 3: give each entry without SNIKEY a random one from rnd (which fills
 * buf with n random bytes and returns 0, or -1), then reject duplicates.
 */
typedef int	(*xpmgr_rand_fn)(void *ctx, uint8_t *buf, size_t n);
int	 xpmgr_conf_finish(struct xpmgr_conf *c, xpmgr_rand_fn rnd, void *ctx,
	    char *err, size_t errlen);

/* Step 4 (I/O): every configured file is a readable regular file, every folder a folder. */
int	 xpmgr_conf_check_paths(const struct xpmgr_conf *c, char *err, size_t errlen);

/*
 * All steps for a program: choose the file (cli->conf_path, or the default
 * from home, which may be NULL), read it, and run steps 1-4 with the
 * kernel's random source.  Returns 0, or -1 with err filled.
 */
int	 xpmgr_conf_load(struct xpmgr_conf *c, const struct xpmgr_cli *cli,
	    const char *home, char *err, size_t errlen);

void	 xpmgr_conf_free(struct xpmgr_conf *c);

/*
 * The controller address an entry publishes (xpmgr spec §1.3, with the
 * wildcard fix): the override's controller_addr (returns NULL: it is in the
 * override already), -p, PubControllerAddr, the host of -a in proxy mode,
 * -a in passive mode unless it is a wildcard address.  NULL with *infer = 1
 * means: use the local address of the broker connection.
 */
const char *xpmgr_conf_ctrl_addr(const struct xpmgr_conf *c,
	    const struct xpmgr_expexec *e, int *infer);

/* A random SNIKEY: 63 characters of [0-9a-z], by rejection sampling. */
int	 xpmgr_snikey_random(char out[PL_SNIKEY_MAX + 1], xpmgr_rand_fn rnd, void *ctx);

/* Descriptor values of the predefined names (§8.2), shared with PubCountry/PubLocation. */
int	 xpmgr_check_country(const char *s, size_t n, char *why, size_t whylen);
int	 xpmgr_check_location(const char *s, size_t n, char *why, size_t whylen);

/*
 * What would run, for -t: mode, addresses, publication, timeouts and every
 * ExpExec entry, as text lines in a malloc'ed string.  keychan[i], when
 * keychan and it are not NULL, is the hex id of entry i's key channel (the
 * credentials code computes it); otherwise the key channel is described.
 */
char	*xpmgr_conf_summary(const struct xpmgr_conf *c, const char *const *keychan);

#endif /* PL_CONF_XPCONF_H */
