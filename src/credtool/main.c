/*
 * main.c: pktlab-cred's entry point: the command table, the top-level help,
 * and how usage errors are reported.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credtool/credtool.h"
#include "util/log.h"

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
	    "  --version     the version\n"
	    "\n"
	    "Encrypted private keys are opened with --passphrase-file FILE, the\n"
	    "environment variable %s, or a prompt on the terminal.\n"
	    "Exit status: 0 done, 1 failed, 2 bad usage.\n", CRED_PASS_ENV);
}

void
help_exit(const char *text, int ok)
{
	fputs(text, ok ? stdout : stderr);
	exit(ok ? 0 : EXIT_USAGE);
}

void
usage_fail(const char *cmd, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "pktlab-cred %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'pktlab-cred %s --help')\n", cmd);
	exit(EXIT_USAGE);
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
	if (argc < 2) {
		top_help(stderr);
		return EXIT_USAGE;
	}
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
	if (strcmp(argv[1], "--version") == 0) {
		printf("pktlab-cred %s\n", PKTXP_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "pktlab-cred: unknown command \"%s\"\n\n", argv[1]);
	top_help(stderr);
	return EXIT_USAGE;
}
