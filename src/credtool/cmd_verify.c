/*
 * cmd_verify.c: `pktlab-cred verify`: a chain checked exactly as PacketLab
 * 1.1.0 peers check it (certs spec §4), in one of the three modes, with the
 * reason named on failure.  Exit 0 accepted, 1 refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "credtool/credtool.h"
#include "util/log.h"
#include "util/util.h"

static const char usage[] =
"usage: pktlab-cred verify [-m MODE] [-r ROOT.pub]... [--at TIME]\n"
"                          [--leaf-key KEY] [-q] CERT...\n"
"\n"
"Verify a chain: CERT... with the leaf first and the rest in any order,\n"
"as a PacketLab 1.1.0 peer would.\n"
"\n"
"  -m, --mode MODE     controller  pubcmd, delpriv(exppriv)..., exppriv:\n"
"                                  what an endpoint checks of a controller,\n"
"                                  and pktxpmgr of its ExpExec chain\n"
"                                  (default)\n"
"                      endpoint    subcmd, delpriv(reppriv)...: what a\n"
"                                  controller checks of an endpoint\n"
"                      agent       one agent certificate (broker, proxy)\n"
"  -r, --root FILE     a trusted root public key, e.g. the endpoint\n"
"                      operator's k_eop.pub (repeatable).  Without any, the\n"
"                      top certificate's signature is NOT checked, as in\n"
"                      PacketLab 1.1.0, and a warning says so\n"
"  --at TIME           verify as of TIME (UNIX seconds or ISO date, UTC)\n"
"  --leaf-key KEY      first move the certificate of this key to the\n"
"                      front, as pktxpmgr does with its controller key\n"
"  -q, --quiet         print nothing when the chain is accepted\n"
"  -h, --help          this text\n"
"\n"
"Exit status: 0 accepted, 1 refused (the reason is printed), 2 bad usage.\n";

static int	 parse_mode(const char *, enum cred_mode *);

static int
parse_mode(const char *s, enum cred_mode *m)
{
	if (strcmp(s, "controller") == 0)
		*m = CRED_MODE_ENDPOINT_AUTH_CONTROLLER;
	else if (strcmp(s, "endpoint") == 0)
		*m = CRED_MODE_CONTROLLER_AUTH_ENDPOINT;
	else if (strcmp(s, "agent") == 0)
		*m = CRED_MODE_AGENT;
	else
		return -1;
	return 0;
}

int
cmd_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "root", required_argument, NULL, 'r' },
		{ "at", required_argument, NULL, 'a' },
		{ "leaf-key", required_argument, NULL, 'l' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum cred_mode		 mode = CRED_MODE_ENDPOINT_AUTH_CONTROLLER;
	enum cred_verdict	 v;
	struct cred_certs	 certs = { 0 };
	struct cred_keys	 roots = { 0 };
	struct cred_chain	 ch;
	struct cred_err		 err;
	const char		**rootpaths = NULL, *leafkey = NULL;
	char			 hex[2 * CRED_KEYID_LEN + 1], t[40];
	size_t			 nroots = 0, i;
	int64_t			 now = (int64_t)time(NULL);
	int			 c, quiet = 0;
	EVP_PKEY		*k;

	while ((c = getopt_long(argc, argv, "m:r:qh", longopts, NULL)) !=
	    -1) {
		switch (c) {
		case 'm':
			if (parse_mode(optarg, &mode) < 0)
				usage_fail("verify", "--mode %s: not controller, "
				    "endpoint or agent", optarg);
			break;
		case 'r':
			rootpaths = xrealloc(rootpaths, (nroots + 1) *
			    sizeof(*rootpaths));
			rootpaths[nroots++] = optarg;
			break;
		case 'a':
			if (parse_time(optarg, &now) < 0)
				usage_fail("verify", "--at %s: not UNIX seconds "
				    "or an ISO date", optarg);
			break;
		case 'l':
			leafkey = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			help_exit(usage, 1);
		default:
			help_exit(usage, 0);
		}
	}
	if (optind == argc)
		usage_fail("verify", "give the chain's certificates, leaf "
		    "first");
	if (cred_keys_load(&roots, rootpaths, nroots, &err) < 0 ||
	    cred_certs_load(&certs, (const char *const *)argv + optind,
	    (size_t)(argc - optind), &err) < 0)
		fatalx("%s", err.msg);
	if (leafkey != NULL) {
		k = load_public_or_die(leafkey);
		if (cred_certs_leaf_first(&certs, k, "the chain", &err) < 0)
			fatalx("%s", err.msg);
		EVP_PKEY_free(k);
	}
	v = cred_chain_verify(&certs, &roots, mode, now, &ch, &err);
	if (v != CRED_OK) {
		printf("REFUSED (%s chain): %s [%s]\n", cred_mode_name(mode),
		    err.msg, cred_verdict_name(v));
		c = 1;
		goto done;
	}
	c = 0;
	if (ch.top_unchecked)
		log_warnx("no trusted root key given: the signature of %s "
		    "was NOT checked (PacketLab 1.1.0 accepts such chains)",
		    ch.cert[ch.n - 1].label);
	if (quiet)
		goto done;
	printf("ACCEPTED (%s chain, %zu certificate%s, as of %s)\n",
	    cred_mode_name(mode), ch.n, ch.n == 1 ? "" : "s",
	    cred_fmt_time(now, t, sizeof(t)));
	for (i = 0; i < ch.n; i++) {
		printf("%zu. %s\n", i + 1, ch.cert[i].label);
		show_cert(&ch.cert[i], "   ");
	}
	if (ch.root >= 0)
		printf("root: %s (key id %s)\n", roots.label[ch.root],
		    keyid_hex(roots.id[ch.root], hex));
	else
		printf("root: not checked (signer key id %s)\n",
		    keyid_hex(ch.top_aki, hex));
	if (mode == CRED_MODE_ENDPOINT_AUTH_CONTROLLER) {
		printf("channel: %s\n", keyid_hex(ch.top_aki, hex));
		printf("experiment must end by: %s\n", cred_fmt_time(
		    ch.eff.not_after, t, sizeof(t)));
	}
	if (ch.eff.have != 0) {
		struct cred_limits	 l;

		/* The chain-wide values, in the same layout. */
		memset(&l, 0, sizeof(l));
		l.have = ch.eff.have & ~CRED_LIM_BIT(CRED_LIM_VALID_DEST);
		memcpy(l.num, ch.eff.num, sizeof(l.num));
		l.monitor = ch.eff.monitor;
		l.nmonitor = ch.eff.nmonitor;
		l.filter = ch.eff.filter;
		l.nfilter = ch.eff.nfilter;
		l.burst_byte = ch.eff.burst_byte;
		l.nburst_byte = ch.eff.nburst_byte;
		l.burst_pkt = ch.eff.burst_pkt;
		l.nburst_pkt = ch.eff.nburst_pkt;
		l.src_ip_spoofing = ch.eff.src_ip_spoofing;
		printf("chain-wide (min of each limit, union of digests; "
		    "valid_dest is checked against every certificate's "
		    "list):\n");
		show_limits(&l, "   ");
	}
 done:
	if (v == CRED_OK)
		cred_chain_free(&ch);
	cred_certs_free(&certs);
	cred_keys_free(&roots);
	free(rootpaths);
	return c;
}
