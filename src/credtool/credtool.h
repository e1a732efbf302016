/*
 * credtool.h: pktlab-cred, the credential tool for experimenters and
 * endpoint operators (keys, CSRs, certificates, the ~/.pktlab home).
 * One file per command; what they share is declared here, grouped by the
 * file that defines it.
 */
#ifndef PL_CREDTOOL_H
#define PL_CREDTOOL_H

#include <getopt.h>
#include <stdint.h>

#include "cred/cred.h"

/* Exit codes: 0 done, 1 failed (or verification refused), 2 bad usage. */
#define EXIT_USAGE	2

/* ------------------------------------------------------------------ */
/* main.c */

/* Print a command's help to stdout and exit 0, or to stderr and exit 2. */
void	 help_exit(const char *text, int ok) __attribute__((noreturn));
/* "pktlab-cred CMD: message" on stderr and exit 2. */
void	 usage_fail(const char *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

/* ------------------------------------------------------------------ */
/* common.c */

/* Options every command that reads or writes private keys takes. */
struct passopt {
	const char	*file;		/* --passphrase-file */
	int		 encrypt;	/* --encrypt (new keys) */
};

/* -o FILE, -f, --passphrase-file FILE: where output goes, and how. */
struct outopt {
	const char	*out;		/* NULL: stdout */
	int		 force;
	struct passopt	 pass;
};

#define OUTOPT_LONGOPTS						\
	{ "out", required_argument, NULL, 'o' },			\
	{ "force", no_argument, NULL, 'f' },				\
	{ "passphrase-file", required_argument, NULL, 'p' },		\
	{ "help", no_argument, NULL, 'h' }

/* 1 when ch was -o, -f or --passphrase-file ('p'), 0 otherwise. */
int	 outopt_handle(struct outopt *, int ch, const char *arg);

/* UNIX seconds, or an ISO date/time in UTC ("2026-01-31", "...T12:00:00Z"). */
int	 parse_time(const char *, int64_t *);
/* The last second PacketLab 1.1.0 can represent: INT64_MAX ns. */
#define CREDTOOL_TIME_MAX	((int64_t)9223372036)
void	 validity_opt(const char *cmd, const char *opt, const char *arg, int64_t *out);
/* A non-negative decimal no larger than max. */
int	 parse_uint(const char *, uint64_t max, uint64_t *);
void	 pass_source(const struct passopt *, struct cred_pass *);
EVP_PKEY *load_private_or_die(const char *path, const struct passopt *);
EVP_PKEY *load_public_or_die(const char *path);
/*
 * The passphrase for new keys: "" (no encryption) unless --encrypt or
 * --passphrase-file.  Fills buf; dies when none can be had.
 */
size_t	 new_passphrase(const struct passopt *, const char *what, char *,
	    size_t);
/* Write NAME and NAME.pub (mode 0600). */
int	 write_key_pair(const char *path, EVP_PKEY *, const char *pass,
	    size_t passlen, int force, struct cred_err *);
/* To path (mode, refusing to replace unless force) or stdout when NULL/"-". */
int	 write_out(const char *path, const char *, size_t, int mode, int force,
	    struct cred_err *);
/* A command's own long options followed by privopt's (malloc'ed). */
struct option *longopts_with_priv(const struct option *, size_t);
/* "ab12...", a key id in hex. */
char	*keyid_hex(const uint8_t *, char [2 * CRED_KEYID_LEN + 1]);

/* ------------------------------------------------------------------ */
/* privopt.c: the privilege options csr and sign share */

struct privopt {
	const char		*cmd;
	enum cred_type		 type;		/* CRED_UNKNOWN: not given */
	const char		*del_type;
	int			 pathlen;	/* -1 none, -2 not given */
	struct cred_nvlist	 info;		/* cert_desc and --info pairs */
	struct cred_nvlist	 lim;		/* single-valued limits */
	char			*monitor;	/* hex digests, concatenated */
	char			*filter;
	char			*burst_byte;	/* comma lists */
	char			*burst_pkt;
	char			*valid_dest;
	char			**optional;	/* --optional NAME */
	size_t			 noptional;
};

/* The long options privopt_handle understands (with code >= PRIVOPT_BASE). */
#define PRIVOPT_BASE	1000
extern const struct option privopt_longopts[];
extern const size_t privopt_nlongopts;
extern const char privopt_help[];

void	 privopt_init(struct privopt *, const char *cmd);
/* 1 when the option was one of ours, 0 when not. */
int	 privopt_handle(struct privopt *, int, const char *);
/*
 * Merge onto what a CSR asked for (info and lim may hold its pairs): the
 * command line wins per name.  Then check and write the payload texts
 * (*limits NULL when there are none).  Dies with a reason.
 */
void	 privopt_finish(struct privopt *, enum cred_type, struct cred_nvlist *,
	    struct cred_nvlist *, char **info, char **limits);
void	 privopt_clear(struct privopt *);

/* ------------------------------------------------------------------ */
/* The commands: cmd_<name>.c */

int	 cmd_init(int, char **);
int	 cmd_key(int, char **);
int	 cmd_csr(int, char **);
int	 cmd_sign(int, char **);
int	 cmd_show(int, char **);
int	 cmd_verify(int, char **);

/* show.c: the decode of one certificate, for show and verify. */
void	 show_cert(const struct cred_cert *, const char *indent);
void	 show_limits(const struct cred_limits *, const char *indent);

#endif /* PL_CREDTOOL_H */
