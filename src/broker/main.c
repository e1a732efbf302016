/*
 * main.c: pktlab-broker: the command line, broker.conf, the broker's own
 * credentials (one agent certificate for its key, checked at start-up so a
 * mistake is named here rather than in every client's handshake), signals,
 * and the one event loop.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "util/log.h"
#include "util/util.h"
#include "cred/cred.h"
#include "cred/tls.h"
#include "broker/broker.h"

static void	 usage(FILE *, int) PL_NORETURN;
static char	*conf_default(void);
static SSL_CTX	*load_creds(const struct bk_conf *, char *, size_t);
static void	 on_signal(evutil_socket_t, short, void *);

static const char usage_text[] =
"usage: pktlab-broker [-tqv] [-c broker.conf]\n"
"       pktlab-broker -V | -h\n"
"\n"
"A PacketLab broker: controllers (pktxpmgr) publish experiment descriptors\n"
"on the publisher port (PubListen, default 0.0.0.0:20556); endpoints\n"
"subscribe on the subscriber port (SubListen, default 0.0.0.0:20557) and\n"
"receive each matching descriptor once per endpoint agent key.\n"
"Both ports speak agent-mode TLS 1.3 and require the client's agent\n"
"certificate.\n"
"\n"
"  -c, --config FILE  the configuration (default ~/.pktlab/broker.conf;\n"
"                     written by pktlab-cred init --broker 127.0.0.1)\n"
"  -t, --check        check the configuration and credentials, then exit\n"
"  -q, -v             less or more logging (repeatable)\n"
"  -V, --version      the version\n"
"  -h, --help         this text\n"
"\n"
"broker.conf directives: BrokerPrivKeyPath, BrokerAgentCertPath (required),\n"
"ClientCertRootPath, PubListen, SubListen, HandshakeTimeout (10s),\n"
"RequestTimeout (30s), MaxConnections (0: the descriptor limit).\n"
"See pktlab-broker(1).\n";

int
main(int argc, char *argv[])
{
	struct bk_conf	 conf;
	struct bkd	 d;
	struct event	*sigs[3];
	char		*path = NULL, *buf, why[1024];
	struct cred_err	 err;
	size_t		 len;
	uint64_t	 seed;
	int		 ch, level = LOG_LVL_INFO, check = 0, i;
	const int	 signos[3] = { SIGINT, SIGTERM, SIGHUP };

	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	log_init("pktlab-broker", level);
	opterr = 0;	/* one line of our own instead */
	while ((ch = getopt_long(argc, argv, "c:tqvVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = xstrdup(optarg);
			break;
		case 't':
			check = 1;
			break;
		case 'q':
			level--;
			break;
		case 'v':
			level++;
			break;
		case 'V':
			pl_print_version("pktlab-broker");
			return 0;
		case 'h':
			usage(stdout, 0);
		default:
			pl_usage_exit("pktlab-broker", "unknown option or missing "
			    "argument: %s", argv[optind - 1]);
		}
	}
	if (optind != argc)
		pl_usage_exit("pktlab-broker", "unexpected argument %s", argv[optind]);
	log_set_level(level);
	if (check)
		log_set_timestamps(0);	/* a one-shot command, as pktxpmgr -t */
	if (path == NULL)
		path = conf_default();
	if (cred_read_file(path, 1u << 20, &buf, &len, &err) == -1)
		fatalx("%s", err.msg);
	if (bk_conf_parse(&conf, path, buf, len, why, sizeof(why)) == -1)
		fatalx("%s", why);
	free(buf);
	free(path);

	memset(&d, 0, sizeof(d));
	d.conf = &conf;
	if ((d.ctx = load_creds(&conf, why, sizeof(why))) == NULL)
		fatalx("%s", why);
	if (check) {
		printf("%s: OK (publisher port %s, subscriber port %s, client "
		    "agent certificates %s)\n", conf.path, conf.pub_listen,
		    conf.sub_listen, conf.nroots > 0 ? "checked against "
		    "ClientCertRootPath" : "of any issuer");
		SSL_CTX_free(d.ctx);
		bk_conf_clear(&conf);
		return 0;
	}

	signal(SIGPIPE, SIG_IGN);
	if ((d.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if (RAND_bytes((unsigned char *)&seed, sizeof(seed)) != 1)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	bk_store_init(&d.st, &bkd_ops, seed);
	TAILQ_INIT(&d.conns);
	TAILQ_INIT(&d.listeners);
	bkd_events_init(&d);
	if (bkd_listen(&d, BK_SIDE_PUB, conf.pub_listen, why, sizeof(why)) == -1 ||
	    bkd_listen(&d, BK_SIDE_SUB, conf.sub_listen, why, sizeof(why)) == -1)
		fatalx("%s", why);
	for (i = 0; i < 3; i++)
		if ((sigs[i] = evsignal_new(d.base, signos[i], on_signal, &d)) == NULL ||
		    evsignal_add(sigs[i], NULL) == -1)
			fatalx("evsignal_new failed");
	log_info("pktlab-broker %s started", PKTXP_VERSION);
	event_base_dispatch(d.base);

	bkd_close_all(&d, "broker shutting down");
	for (i = 0; i < 3; i++)
		event_free(sigs[i]);
	bkd_events_free(&d);
	bk_store_clear(&d.st);
	event_base_free(d.base);
	SSL_CTX_free(d.ctx);
	bk_conf_clear(&conf);
	log_info("stopped");
	return 0;
}

static void
usage(FILE *f, int status)
{
	fputs(usage_text, f);
	exit(status);
}

static char *
conf_default(void)
{
	const char	*home = getenv("HOME");

	if (home == NULL || home[0] == '\0')
		return xstrdup("broker.conf");
	return xasprintf("%s/.pktlab/broker.conf", home);
}

/*
 * The broker key, its one agent certificate (1.1.0 clients refuse a longer
 * chain), and the optional issuers of the clients' agent certificates.
 */
static SSL_CTX *
load_creds(const struct bk_conf *c, char *why, size_t whylen)
{
	struct cred_pass pass = { NULL, CRED_PASS_ENV, 1 };
	struct cred_certs certs;
	struct cred_keys roots;
	struct cred_chain chain;
	struct cred_err	 err;
	EVP_PKEY	*key;
	SSL_CTX		*ctx = NULL;
	const char	*p = c->cert;

	memset(&certs, 0, sizeof(certs));
	memset(&roots, 0, sizeof(roots));
	memset(&chain, 0, sizeof(chain));
	if ((key = cred_key_load(c->key, &pass, &err)) == NULL) {
		snprintf(why, whylen, "%s: BrokerPrivKeyPath: %s", c->path, err.msg);
		return NULL;
	}
	if (cred_certs_load(&certs, &p, 1, &err) == -1 ||
	    cred_certs_leaf_first(&certs, key, "BrokerAgentCertPath", &err) == -1 ||
	    cred_chain_verify(&certs, NULL, CRED_MODE_AGENT, (int64_t)time(NULL),
	    &chain, &err) != CRED_OK) {
		snprintf(why, whylen, "%s: BrokerAgentCertPath: %s", c->path, err.msg);
		goto out;
	}
	if (cred_keys_load(&roots, (const char *const *)c->roots, c->nroots,
	    &err) == -1) {
		snprintf(why, whylen, "%s: ClientCertRootPath: %s", c->path, err.msg);
		goto out;
	}
	if ((ctx = cred_tls_plain_server_ctx(key, &certs, roots.n > 0 ? &roots : NULL,
	    CRED_MODE_AGENT, 1, &err)) == NULL)
		snprintf(why, whylen, "TLS server context: %s", err.msg);
	else if (cred_tls_keep_secrets(ctx) == -1) {
		/* Established connections leave OpenSSL (net.c). */
		snprintf(why, whylen, "TLS server context: cannot set the "
		    "TLS 1.3 cipher suites");
		SSL_CTX_free(ctx);
		ctx = NULL;
	}
out:
	cred_chain_free(&chain);
	cred_certs_free(&certs);
	cred_keys_free(&roots);
	EVP_PKEY_free(key);
	return ctx;
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct bkd	*d = arg;

	(void)ev;
	if (sig == SIGHUP) {
		log_info("SIGHUP ignored (restart to reload broker.conf)");
		return;
	}
	log_info("signal %d: shutting down", (int)sig);
	event_base_loopbreak(d->base);
}
