/*
 * main.c: pktlab-cred's entry point: the command table, the top-level help,
 * and how usage errors are reported.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credtool/credtool.h"
#include "util/log.h"
#include "util/util.h"

static const struct command {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*what;
} commands[] = {
	{ "init", cmd_init, "create ~/.pktlab: keys, certificates, CSRs, "
	    "configurations" },
	{ "key", cmd_key, "make an Ed25519 key pair" },
	{ "csr", cmd_csr, "make a request for exppriv or delpriv "
	    "privileges" },
	{ "sign", cmd_sign, "sign a certificate from a request or a public "
	    "key" },
	{ "show", cmd_show, "decode certificates, requests and keys" },
	{ "verify", cmd_verify, "verify a certificate chain" },
};

static void	 top_help(FILE *);

/* The command being run and its argv, for one-line option errors. */
static const char	*cur_cmd;
static char		**cur_argv;

static void
top_help(FILE *f)
{
	size_t	 i;

	fprintf(f,
	    "usage: pktlab-cred [-v] COMMAND [OPTIONS] [ARGS]\n"
	    "\n"
	    "PacketLab credentials: Ed25519 keys, certificates and requests\n"
	    "in the PacketLab 1.1.0 profile, and the ~/.pktlab home.\n"
	    "\n"
	    "Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].what);
	fprintf(f,
	    "\n"
	    "  -v            log more\n"
	    "  -h, --help    this text; 'pktlab-cred COMMAND --help' for a "
	    "command\n"
	    "  -V, --version the version\n"
	    "\n"
	    "Encrypted private keys are opened with --passphrase-file FILE, the\n"
	    "environment variable %s, or a prompt on the terminal.\n"
	    "Exit status: 0 done, 1 failed, 2 bad usage.\n", CRED_PASS_ENV);
}

/*
 * --help (ok: the text on stdout, exit 0), or a bad option (one line
 * naming it, exit 2; getopt's own message is off).
 */
void
help_exit(const char *text, int ok)
{
	char	 cmd[64];

	if (ok) {
		fputs(text, stdout);
		exit(0);
	}
	snprintf(cmd, sizeof(cmd), "pktlab-cred %s", cur_cmd != NULL ? cur_cmd : "");
	if (cur_argv != NULL && optind > 0)
		pl_usage_exit(cmd, "unknown option or missing argument: %s",
		    cur_argv[optind - 1]);
	pl_usage_exit(cmd, "bad option");
}

void
usage_fail(const char *cmd, const char *fmt, ...)
{
	char	 prog[64];
	va_list	 ap;

	snprintf(prog, sizeof(prog), "pktlab-cred %s", cmd);
	va_start(ap, fmt);
	pl_usage_vexit(prog, fmt, ap);
}

int
main(int argc, char **argv)
{
	size_t	 i;
	int	 level = LOG_LVL_INFO;

	log_init("pktlab-cred", level);
	log_set_timestamps(0);
	while (argc > 1 && strcmp(argv[1], "-v") == 0) {
		log_set_level(++level);
		argc--;
		argv++;
	}
	if (argc < 2)
		pl_usage_exit("pktlab-cred", "missing COMMAND");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc > 2 && strcmp(argv[1], "help") == 0) {
			/* "help CMD" is "CMD --help". */
			argv[1] = argv[2];
			argv[2] = (char *)"--help";
			argc = 3;
		} else {
			top_help(stdout);
			return 0;
		}
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		pl_print_version("pktlab-cred");
		return 0;
	}
	opterr = 0;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			cur_cmd = commands[i].name;
			cur_argv = argv + 1;
			return commands[i].fn(argc - 1, argv + 1);
		}
	}
	pl_usage_exit("pktlab-cred", "unknown command \"%s\"", argv[1]);
}
