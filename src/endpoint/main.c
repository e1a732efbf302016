/*
 * main.c: pktlab-endpoint's command line, configuration and credentials.
 *
 *   pktlab-endpoint [-hqvV] [-c CONF] [-k SNIKEY] [-r N] [ADDR[:PORT]]
 *
 * Direct mode (1.1.0's "no subscription" mode): dial the controller at
 * ADDR[:PORT] (default port 20556), run one experiment and exit 0 when the
 * controller closes; -r N runs N experiments in a row (0: for ever).
 * Without ADDR, subscription mode (broker spec §1): subscribe to
 * BrokerAddr and run the experiments it announces (pool.c, broker.c);
 * with NoSubMode 1 and no ADDR, direct mode to 127.0.0.1:20556 as 1.1.0.
 */
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "conf/addr.h"
#include "conf/file.h"
#include "conf/kv.h"
#include "cred/cred.h"
#include "cred/tls.h"
#include "endpoint/endpoint.h"
#include "util/log.h"
#include "util/util.h"

#define EP_PROG	"pktlab-endpoint"	/* in usage errors and -V */

#define DEFAULT_CONF	".pktlab/endpt.conf"

struct creds {
	EVP_PKEY		*key;
	struct cred_certs	 chain;
	struct cred_keys	 roots;
};

static void	 usage(FILE *, int) __attribute__((noreturn));
static char	*default_conf(void);
static int	 load_conf(struct ep_conf *, const char *path, int must_exist);
static void	 conf_diag(void *, enum ep_diag_level, unsigned, const char *);
static SSL_CTX	*load_tls(const struct ep_conf *, const char *path, struct creds *);
static int	 run_sub(struct event_base *, const struct ep_conf *,
		    const struct ep_sysparam *, const char *path, SSL_CTX *,
		    struct creds *, uint64_t repeat);

struct diagctx {
	const char	*path;
	int		 nerr;
};

enum { OPT_INSECURE = 256 };

static const struct option longopts[] = {
	{ "config",		required_argument,	NULL, 'c' },
	{ "sni-key",		required_argument,	NULL, 'k' },
	{ "repeat",		required_argument,	NULL, 'r' },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, 'V' },
	{ "insecure-plaintext",	no_argument,		NULL, OPT_INSECURE },
	{ NULL,			0,			NULL, 0 },
};

int
main(int argc, char *argv[])
{
	struct ep_conf		 conf;
	struct ep_sysparam	 sys;
	struct ep_target	 target;
	struct pl_hostport	 hp;
	struct creds		 creds;
	struct event_config	*cfg;
	struct event_base	*base;
	SSL_CTX			*ctx = NULL;
	char			*confpath = NULL, *ownpath = NULL, *snikey = NULL;
	char			 why[256];
	char			 hpbuf[PL_HOST_MAX + 16];
	uint64_t		 repeat = 1;
	int			 ch, level = LOG_LVL_INFO, insecure = 0, status = 1;
	int			 repeat_set = 0, sub = 0;

	log_init(argv[0], level);
	opterr = 0;	/* one line of our own instead */
	while ((ch = getopt_long(argc, argv, "+c:k:r:qvhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			confpath = optarg;
			break;
		case 'k':
			if (!pl_snikey_valid(optarg, strlen(optarg)))
				pl_usage_exit(EP_PROG, "-k %s: an SNI key is 1 to 63 of "
				    "[a-z0-9]", optarg);
			snikey = optarg;
			break;
		case 'r':
			if (pl_val_u64(optarg, strlen(optarg), &repeat, why,
			    sizeof(why)) == -1)
				pl_usage_exit(EP_PROG, "-r: %s", why);
			repeat_set = 1;
			break;
		case 'q':
			level--;
			break;
		case 'v':
			level++;
			break;
		case 'h':
			usage(stdout, 0);
		case 'V':
			pl_print_version(EP_PROG);
			return 0;
		case OPT_INSECURE:
			insecure = 1;
			break;
		default:
			pl_usage_exit(EP_PROG, "unknown option or missing argument: %s",
			    argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		pl_usage_exit(EP_PROG, "one controller address only, not %d arguments", argc);
	log_set_level(level);
	if (argc == 1 && pl_addr_split(argv[0], EP_PORT_DEFAULT, &hp, why,
	    sizeof(why)) == -1)
		pl_usage_exit(EP_PROG, "controller address %s", why);

	ep_conf_init(&conf);
	memset(&creds, 0, sizeof(creds));
	if (confpath == NULL)
		confpath = ownpath = default_conf();
	if (load_conf(&conf, confpath, ownpath == NULL || !insecure ||
	    argc == 0) == -1)
		goto done;
	if (argc == 0 && !conf.nosubmode) {
		struct diagctx	 d = { confpath, 0 };

		sub = 1;
		if (insecure)
			pl_usage_exit(EP_PROG, "--insecure-plaintext needs ADDR: a broker "
			    "is always reached with TLS");
		if (ep_conf_check_sub(&conf, conf_diag, &d) > 0) {
			log_fatalx("%s: incomplete for subscription mode; give "
			    "ADDR for direct mode, or set NoSubMode 1", confpath);
			goto done;
		}
		if (!repeat_set)
			repeat = 0;
	} else {
		/* 1.1.0: NoSubMode 1 without ADDR dials the local default. */
		if (argc == 0)
			(void)pl_addr_split("127.0.0.1", EP_PORT_DEFAULT, &hp,
			    why, sizeof(why));
		target.host = hp.host;
		target.port = hp.port;
		target.display = pl_addr_fmt(&hp, hpbuf, sizeof(hpbuf));
	}
	if (snikey == NULL)
		snikey = conf.snikey;
	ep_sysinfo_fill(&conf);
	ep_vmem_sys_init(&sys, &conf);

	signal(SIGPIPE, SIG_IGN);
	if (insecure)
		log_warnx("--insecure-plaintext: no TLS, no credentials, no "
		    "limits; for tests only");
	else if ((ctx = load_tls(&conf, confpath, &creds)) == NULL)
		goto done;

	if ((cfg = event_config_new()) == NULL)
		fatalx("libevent: cannot create a configuration");
	/* Scheduled sends should leave on time: ask for the precise timer. */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	if ((base = event_base_new_with_config(cfg)) == NULL)
		fatalx("libevent: cannot create the event loop");
	event_config_free(cfg);

	if (sub)
		status = run_sub(base, &conf, &sys, confpath, ctx, &creds, repeat);
	else {
		log_info("pktlab-endpoint %s: controller %s, %s%s%s, %llu "
		    "experiment%s", PKTXP_VERSION, target.display, insecure ?
		    "plaintext" : "TLS", snikey != NULL ? ", SNI " : "",
		    snikey != NULL ? snikey : "", (unsigned long long)repeat,
		    repeat == 1 ? "" : "s");
		status = ep_link_run(base, &conf, &sys, &target, ctx, snikey,
		    repeat);
	}

	event_base_free(base);
done:
	SSL_CTX_free(ctx);
	EVP_PKEY_free(creds.key);
	cred_certs_free(&creds.chain);
	cred_keys_free(&creds.roots);
	ep_conf_clear(&conf);
	free(ownpath);
	return status;
}

static void
usage(FILE *f, int status)
{
	fprintf(f,
"usage: pktlab-endpoint [-hqvV] [-c CONF] [-k SNIKEY] [-r N] [ADDR[:PORT]]\n"
"\n"
"A PacketLab endpoint.  With ADDR, direct mode: connects to the controller\n"
"at ADDR[:PORT] (default port %u), runs its experiment and exits.\n"
"Without ADDR, subscription mode (NoSubMode 0, the default): subscribes to\n"
"the broker at BrokerAddr (default port %u) and runs each experiment it\n"
"announces, one at a time, until stopped (or -r N experiments ended).\n"
"It needs BrokerAddr, BrokerChainRootPath, EndpointAgentCertPath,\n"
"SubPrivCertChainPath, EndpointOpPubKeyPath and BrokerChannel or\n"
"AutoExtractChannel 1 in the configuration.\n"
"\n"
"  -c, --config CONF     configuration file (default ~/%s)\n"
"  -k, --sni-key SNIKEY  send SNIKEY as TLS SNI (1-63 of [a-z0-9])\n"
"  -r, --repeat N        run N experiments, then exit; 0 runs for ever\n"
"                        (default 1 in direct mode, 0 in subscription mode)\n"
"  -q, --quiet           log less (repeatable)\n"
"  -v, --verbose         log more (repeatable)\n"
"  -V, --version         print the version and exit\n"
"  -h, --help            print this help and exit\n"
"      --insecure-plaintext\n"
"                        TEST ONLY: no TLS, no credentials, no limits\n"
"\n"
"Exit status: 0 when every experiment ended normally, 1 otherwise, 2 on a\n"
"usage error.\n", EP_PORT_DEFAULT, EP_BROKER_PORT, DEFAULT_CONF);
	exit(status);
}


static char *
default_conf(void)
{
	const char	*home = getenv("HOME");

	if (home == NULL || home[0] == '\0') {
		log_warnx("HOME is not set; looking for endpt.conf in the "
		    "current folder");
		return xstrdup("endpt.conf");
	}
	return xasprintf("%s/%s", home, DEFAULT_CONF);
}

static void
conf_diag(void *arg, enum ep_diag_level lvl, unsigned line, const char *msg)
{
	struct diagctx	*d = arg;

	char		 where[PATH_MAX + 16];

	if (line > 0)
		snprintf(where, sizeof(where), "%s:%u", d->path, line);
	else
		snprintf(where, sizeof(where), "%s", d->path);
	/* An error stops us (docs/logging.md): FATAL, with no summary. */
	switch (lvl) {
	case EP_DIAG_ERROR:
		log_fatalx("%s: %s", where, msg);
		break;
	case EP_DIAG_WARN:
		log_warnx("%s: %s", where, msg);
		break;
	case EP_DIAG_NOTE:
		log_debug("%s: %s", where, msg);
		break;
	}
}

static int
load_conf(struct ep_conf *conf, const char *path, int must_exist)
{
	struct diagctx	 d = { path, 0 };
	char		*buf, *dup, why[256];
	size_t		 len;
	int		 nerr;

	if (pl_conf_readfile(path, &buf, &len, why, sizeof(why)) == -1) {
		if (!must_exist) {
			log_info("%s: %s; using the defaults", path, why);
			return 0;
		}
		log_fatalx("cannot read the configuration %s: %s%s", path, why,
		    errno == ENOENT ? " (pktlab-cred init writes one)" : "");
		return -1;
	}
	dup = xstrdup(path);
	nerr = ep_conf_parse(conf, buf, len, dirname(dup), conf_diag, &d);
	free(dup);
	free(buf);
	if (nerr > 0)
		return -1;	/* each error had its FATAL line */
	log_debug("configuration %s loaded", path);
	return 0;
}

/* The key, the subcmd chain and the operator keys, into a client context. */
static SSL_CTX *
load_tls(const struct ep_conf *conf, const char *path, struct creds *c)
{
	struct cred_pass	 pass = { NULL, CRED_PASS_ENV, 1 };
	struct cred_tls_client	 tc;
	struct cred_err		 err;
	SSL_CTX			*ctx;

	if (conf->privkey == NULL || conf->nchain == 0) {
		log_fatalx("%s: EndpointPrivKey and ControllerCertChainPath are "
		    "needed to present ourselves to the controller", path);
		return NULL;
	}
	if ((c->key = cred_key_load(conf->privkey, &pass, &err)) == NULL ||
	    cred_certs_load(&c->chain, (const char *const *)conf->chain,
	    conf->nchain, &err) == -1 ||
	    cred_certs_leaf_first(&c->chain, c->key, "ControllerCertChainPath",
	    &err) == -1 ||
	    cred_keys_load(&c->roots, (const char *const *)conf->oproots,
	    conf->noproots, &err) == -1) {
		log_fatalx("%s: %s", path, err.msg);
		return NULL;
	}
	if (conf->noproots == 0)
		log_warnx("%s: no EndpointOpPubKeyPath: any controller chain will "
		    "be accepted without checking who signed it", path);
	tc.key = c->key;
	tc.chain = &c->chain;
	tc.roots = &c->roots;
	tc.mode = CRED_MODE_ENDPOINT_AUTH_CONTROLLER;
	if ((ctx = cred_tls_client_ctx(&tc, &err)) == NULL) {
		log_fatalx("TLS: %s", err.msg);
		return NULL;
	}
	return ctx;
}

/* Subscription mode: the broker's TLS context and the subscription. */
static int
run_sub(struct event_base *base, const struct ep_conf *conf,
    const struct ep_sysparam *sys, const char *path, SSL_CTX *ctrl_ctx,
    struct creds *c, uint64_t repeat)
{
	struct cred_tls_client	 tc;
	struct cred_certs	 agent;
	struct cred_keys	 roots;
	struct cred_err		 err;
	struct ep_submsgs	 msgs;
	SSL_CTX			*bctx = NULL;
	char			 why[512];
	int			 status = 1;

	memset(&agent, 0, sizeof(agent));
	memset(&roots, 0, sizeof(roots));
	if (ep_submsgs_build(conf, c->key, &c->roots, &msgs, why,
	    sizeof(why)) == -1) {
		log_fatalx("%s: %s", path, why);
		return 1;
	}
	if (cred_certs_load(&agent, (const char *const *)&conf->agent_cert, 1,
	    &err) == -1 ||
	    cred_keys_load(&roots, (const char *const *)conf->broker_roots,
	    conf->nbroker_roots, &err) == -1) {
		log_fatalx("%s: %s", path, err.msg);
		goto done;
	}
	tc.key = c->key;
	tc.chain = &agent;
	tc.roots = &roots;
	tc.mode = CRED_MODE_AGENT;
	if ((bctx = cred_tls_client_ctx(&tc, &err)) == NULL) {
		log_fatalx("broker TLS: %s", err.msg);
		goto done;
	}
	log_info("pktlab-endpoint %s: subscription mode, broker %s, %llu "
	    "experiment%s%s", PKTXP_VERSION, conf->broker_addr,
	    (unsigned long long)repeat, repeat == 1 ? "" : "s",
	    repeat == 0 ? " (for ever)" : "");
	status = ep_sub_run(base, conf, sys, ctrl_ctx, bctx, &msgs, repeat);
done:
	SSL_CTX_free(bctx);
	cred_certs_free(&agent);
	cred_keys_free(&roots);
	ep_submsgs_clear(&msgs);
	return status;
}
