/*
 * brokerload.c: bkbench, the load generator for pktlab-broker's fan-out
 * benchmark (bench/broker-run).  One libevent loop, no threads.
 *
 *   bkbench -P PUBPORT -S SUBPORT -c CERT -k KEY -b BROKERPID [-n N] [-m M]
 *           [-C C]
 *
 * 1. N subscribers connect (at most C handshakes at a time), each with an
 *    agent certificate of its own (a fresh key and a self-signed agent
 *    certificate per subscriber, made before the clock starts, so every
 *    one is a distinct agent key), and subscribe to a public channel:
 *    subscriptions/s is N over the time from the first connect to the last
 *    xsub result.  The broker's VmRSS before and after gives its memory per
 *    subscription.
 * 2. One publisher (CERT, KEY) publishes once on that channel: the time
 *    from sending the xpub to the N-th xnotify received is the fan-out.
 * 3. The publisher then sends M more xpubs on a channel nobody has, each
 *    waiting for its result: publications/s.
 * Prints one "name value" line per figure; exits 1 when anything failed.
 */
#include <sys/resource.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include <pktlab/wire.h>

#include "cred/cred.h"
#include "cred/tls.h"

struct cl {
	struct bufferevent *bev;
	SSL_CTX		*ctx;
	int		 sub;		/* subscriber (else the publisher) */
	int		 results, notified;
};

static struct event_base *base;
static struct cl	*subs, pubc;
static int		 n = 1000, m = 1000, conc = 32, started, subscribed, nnotified;
static int		 pubs_sent, pubs_done, failed;
static uint16_t		 pubport, subport;
static double		 t_sub0, t_sub1, t_pub0, t_fan1, t_pubs0, t_pubs1;
static pid_t		 broker;
static long		 rss0, rss1;

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
rss_kib(pid_t pid)
{
	char	 path[64], line[256];
	FILE	*f;
	long	 v = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void
send_xpub(struct cl *c, int type, const char *chan, const char *descr)
{
	uint8_t		 b[512];
	size_t		 cl = strlen(chan), dl = strlen(descr), len;

	len = 1 + cl + 1 + 32 + dl;
	pl_put32(b, ((uint32_t)type << 24) | (uint32_t)len);
	b[4] = (uint8_t)cl;
	memcpy(b + 5, chan, cl);
	b[5 + cl] = 0;
	memset(b + 6 + cl, 0, 32);
	memcpy(b + 38 + cl, descr, dl);
	bufferevent_write(c->bev, b, PL_HLEN + len);
}

static void	 start_more(void);

static void
next_pub(void)
{
	char	 xd[128];

	if (pubs_sent == m) {
		t_pubs1 = now();
		event_base_loopexit(base, NULL);
		return;
	}
	snprintf(xd, sizeof(xd), "controller_addr=127.0.0.1:20600;sni_key=p%d;",
	    pubs_sent++);
	send_xpub(&pubc, PL_XPUB, "nobody", xd);
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct cl	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	uint8_t		 h[PL_HLEN];
	uint32_t	 len;

	while (evbuffer_copyout(in, h, PL_HLEN) == PL_HLEN) {
		len = pl_get32(h) & 0xFFFFFF;
		if (evbuffer_get_length(in) < PL_HLEN + len)
			return;
		if (h[0] == PL_RESULT && len >= 2) {
			uint8_t	 e[PL_HLEN + 2];

			evbuffer_copyout(in, e, sizeof(e));
			if (pl_get16(e + PL_HLEN) != 0) {
				fprintf(stderr, "bkbench: refused: errid 0x%04x\n",
				    pl_get16(e + PL_HLEN));
				failed++;
			}
		}
		evbuffer_drain(in, PL_HLEN + len);
		if (c->sub && h[0] == PL_RESULT) {
			if (++subscribed == n) {
				t_sub1 = now();
				usleep(200000);
				rss1 = rss_kib(broker);
				t_pub0 = now();
				send_xpub(&pubc, PL_XPUB, "fanout",
				    "controller_addr=127.0.0.1:20600;sni_key=fanout;");
			} else
				start_more();
		} else if (c->sub && h[0] == PL_XNOTIFY) {
			c->notified++;
			if (c->notified > 1)
				failed++;
			if (++nnotified == n) {
				t_fan1 = now();
				t_pubs0 = now();
				next_pub();
			}
		} else if (!c->sub && h[0] == PL_RESULT) {
			if (++pubs_done > 1)
				next_pub();
		}
	}
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct cl	*c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		if (c->sub)
			send_xpub(c, PL_XSUB, "fanout", "");
		return;
	}
	fprintf(stderr, "bkbench: %s connection ended (0x%x)\n", c->sub ?
	    "subscriber" : "publisher", what);
	failed++;
	event_base_loopexit(base, NULL);
}

static int
open_cl(struct cl *c, uint16_t port)
{
	struct sockaddr_in	 sin;
	SSL			*ssl;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((ssl = SSL_new(c->ctx)) == NULL)
		return -1;
	c->bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		return -1;
	bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return bufferevent_socket_connect(c->bev, (struct sockaddr *)&sin,
	    sizeof(sin));
}

/* Keep at most conc handshakes and subscriptions in flight. */
static void
start_more(void)
{
	while (started < n && started - subscribed < conc) {
		if (open_cl(&subs[started], subport) == -1) {
			fprintf(stderr, "bkbench: cannot open subscriber %d\n", started);
			failed++;
			event_base_loopexit(base, NULL);
			return;
		}
		started++;
	}
}

static SSL_CTX *
agent_ctx(EVP_PKEY *key, X509 *x)
{
	struct cred_tls_client	 tc;
	struct cred_certs	 certs;
	struct cred_err		 err;
	SSL_CTX			*ctx;

	memset(&certs, 0, sizeof(certs));
	cred_certs_add(&certs, x, "agent");
	memset(&tc, 0, sizeof(tc));
	tc.key = key;
	tc.chain = &certs;
	tc.mode = CRED_MODE_AGENT;
	if ((ctx = cred_tls_client_ctx(&tc, &err)) == NULL) {
		fprintf(stderr, "bkbench: %s\n", err.msg);
		exit(1);
	}
	cred_certs_free(&certs);
	return ctx;
}

int
main(int argc, char *argv[])
{
	struct cred_pass	 pass = { NULL, NULL, 0 };
	struct cred_issue	 is;
	struct cred_err		 err;
	struct rlimit		 rl;
	const char		*cert = NULL, *keyp = NULL;
	EVP_PKEY		*key, *k;
	X509			*x;
	int			 ch, i;

	while ((ch = getopt(argc, argv, "P:S:c:k:b:n:m:C:")) != -1) {
		switch (ch) {
		case 'P': pubport = (uint16_t)atoi(optarg); break;
		case 'S': subport = (uint16_t)atoi(optarg); break;
		case 'c': cert = optarg; break;
		case 'k': keyp = optarg; break;
		case 'b': broker = (pid_t)atoi(optarg); break;
		case 'n': n = atoi(optarg); break;
		case 'm': m = atoi(optarg); break;
		case 'C': conc = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: bkbench -P port -S port -c cert -k key "
			    "-b brokerpid [-n N] [-m M] [-C C]\n");
			return 2;
		}
	}
	if (cert == NULL || keyp == NULL || pubport == 0 || subport == 0 ||
	    broker == 0 || n < 1 || m < 1 || conc < 1)
		return 2;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((key = cred_key_load(keyp, &pass, &err)) == NULL ||
	    (x = cred_x509_load(cert, &err)) == NULL) {
		fprintf(stderr, "bkbench: %s\n", err.msg);
		return 1;
	}
	base = event_base_new();
	pubc.ctx = agent_ctx(key, x);
	X509_free(x);
	subs = calloc((size_t)n, sizeof(*subs));
	memset(&is, 0, sizeof(is));
	is.type = CRED_AGENT;
	is.pathlen = -1;
	is.not_after = 2147483647;
	is.info = "cert_type=agent;";
	for (i = 0; i < n; i++) {
		if ((k = cred_key_generate(&err)) == NULL ||
		    (x = cred_cert_issue(&is, k, k, &err)) == NULL) {
			fprintf(stderr, "bkbench: %s\n", err.msg);
			return 1;
		}
		subs[i].sub = 1;
		subs[i].ctx = agent_ctx(k, x);
		X509_free(x);
		EVP_PKEY_free(k);
	}
	if (open_cl(&pubc, pubport) == -1)
		return 1;
	rss0 = rss_kib(broker);
	t_sub0 = now();
	start_more();
	event_base_dispatch(base);

	if (failed || nnotified != n || pubs_sent != m) {
		fprintf(stderr, "bkbench: failed (%d errors, %d/%d notified, %d/%d "
		    "publications)\n", failed, nnotified, n, pubs_sent, m);
		return 1;
	}
	printf("subscribers %d\n", n);
	printf("subscriptions_per_s %.0f\n", n / (t_sub1 - t_sub0));
	printf("fanout_ms %.1f\n", (t_fan1 - t_pub0) * 1e3);
	printf("publications_per_s %.0f\n", m / (t_pubs1 - t_pubs0));
	printf("broker_rss_kib_before %ld\n", rss0);
	printf("broker_rss_kib_subscribed %ld\n", rss1);
	printf("broker_bytes_per_subscription %.0f\n",
	    (double)(rss1 - rss0) * 1024.0 / n);
	for (i = 0; i < n; i++) {
		bufferevent_free(subs[i].bev);
		SSL_CTX_free(subs[i].ctx);
	}
	bufferevent_free(pubc.bev);
	SSL_CTX_free(pubc.ctx);
	free(subs);
	EVP_PKEY_free(key);
	event_base_free(base);
	return 0;
}
