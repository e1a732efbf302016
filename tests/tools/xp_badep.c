/*
 * xp_badep.c: a scripted (and often misbehaving) endpoint for pktxpmgr's
 * end-to-end tests: a TLS 1.3 client built from the credentials library and
 * our codec, one behaviour per mode.
 *
 *   xp_badep [-c CERT[,CERT...]] [-k KEY] [-R EOPKEY.pub] [-s SNI] [-w SECONDS]
 *            [-d MS] [-G FILE] [-g FILE] [-l] HOST PORT MODE [N]
 *
 * -c/-k  the endpoint's chain and key (none: no client certificate)
 * -R     check pktxpmgr's chain against this operator key
 * -s     send this SNI key
 * -w     give up after this long (default 10 s)
 * -d     wait this long before answering start
 * -G     wait until FILE exists before answering start (within -w): the
 *        test decides when, instead of a delay that load can outrun
 * -g     flood: wait until FILE exists before pushing (within -w)
 * -l     send a linfo right after answering start
 * -S     flood: ndata payload bytes (default 61440; 16 makes a 31-byte ndata)
 *
 * Modes (each prints what happened on stdout, one line per fact):
 *   stall       TCP only, never a byte; wait for pktxpmgr to close
 *   silent      TLS, then close without a message
 *   silentrst   TLS, wait until pktxpmgr's first message is here, then
 *               close without reading it nor sending close_notify: the
 *               kernel answers with a TCP reset
 *   hold        answer the setup, then read until pktxpmgr closes
 *   serve       answer the setup, then answer each request (mread: mdata,
 *               other requests: result) until pktxpmgr closes; an nsend of
 *               more than 64 KiB is reported "big nsend N bytes intact" when
 *               byte i of its payload is i % 251 (xp_mlet nsend), else
 *               "... corrupt"
 *   refuse      answer start with ECTLNOTSUP
 *   monukn      answer start with SUCCESS, then ECTLMONUKN for monitor 0
 *   monuknreply like serve, but answer the first request with ECTLMONUKN
 *               (a monitor that crashed on that request, spec §12.1)
 *   malformed   answer the setup, then send an nclose without its body
 *   oversize    answer the setup, then announce a 2 MiB ndata
 *   garbage     answer the setup, then send an HTTP request line
 *   midmsg      answer the setup, then 10 bytes of a 100-byte ndata, close
 *   disconnect  answer the setup, then drop TCP without close_notify
 *   noread      answer the setup, then read nothing for -w seconds
 *   flood N     answer the setup, then push N ndata of 60 KiB each (-S),
 *               one TLS record each, never reading; stops when a write
 *               times out (-w) or fails
 *
 * Exit status: 0 when the mode ran as scripted, 1 on a timeout, 3 when TLS
 * failed, 4 when the setup did not go as expected.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <pktlab/wire.h>

#include "cred/cred.h"
#include "cred/tls.h"
#include "util/util.h"

static int		 wait_s = 10;
static int		 start_delay_ms;
static const char	*start_gate;	/* -G */
static const char	*flood_gate;	/* -g */
static int		 monukn_first;	/* serve: first reply is ECTLMONUKN */
static size_t		 flood_size = 60 * 1024;	/* flood: ndata payload */
static struct timespec	 t0;

static void	 usage(void) __attribute__((noreturn));

static void
usage(void)
{
	fprintf(stderr, "usage: xp_badep [-c CERTS] [-k KEY] [-R EOPKEY] [-s SNI] "
	    "[-w SECONDS] [-d MS] [-G FILE] [-g FILE] [-l] [-S BYTES] HOST PORT MODE [N]\n");
	exit(2);
}

static long
elapsed_ms(void)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
}

/* Wait until path exists (the test's go-ahead); -1 after -w seconds. */
static int
wait_file(const char *path)
{
	while (access(path, F_OK) == -1) {
		if (elapsed_ms() > wait_s * 1000) {
			printf("timeout waiting for %s\n", path);
			return -1;
		}
		usleep(10000);
	}
	return 0;
}

static int
tcp_connect(const char *host, const char *port)
{
	struct addrinfo	 hints, *res, *ai;
	struct timeval	 tv = { 0, 0 };
	int		 fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		usage();
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		printf("connect failed: %s\n", strerror(errno));
		exit(1);
	}
	tv.tv_sec = wait_s;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Wait until the peer closes fd (read gives 0 or an error). */
static int
wait_close(int fd)
{
	char	 buf[4096];
	ssize_t	 n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0)
			continue;
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			printf("timeout after %ld ms\n", elapsed_ms());
			return 1;
		}
		printf("server closed after %ld ms\n", elapsed_ms());
		return 0;
	}
}

static int
ssl_write_all(SSL *ssl, const void *p, size_t len)
{
	size_t	 done;

	while (len > 0) {
		if (SSL_write_ex(ssl, p, len, &done) != 1)
			return -1;
		p = (const uint8_t *)p + done;
		len -= done;
	}
	return 0;
}

static int
send_msg(SSL *ssl, const struct pl_msg *m)
{
	static uint8_t	 buf[PL_HLEN + 0x20000];
	ssize_t		 n;

	if ((n = pl_encode(m, buf, sizeof(buf))) < 0)
		return -1;
	return ssl_write_all(ssl, buf, (size_t)n);
}

/*
 * Read one message into buf (grown as needed).  1 with *len, 0 at a clean
 * end, -1 on error or timeout (reason printed).
 */
static int
read_msg(SSL *ssl, uint8_t **buf, size_t *cap, size_t *len)
{
	uint8_t		 type;
	uint32_t	 bodylen;
	size_t		 want = PL_HLEN, have = 0, got;
	int		 e;

	if (*cap < PL_HLEN) {
		*buf = xrealloc(*buf, 4096);
		*cap = 4096;
	}
	while (have < want) {
		if (SSL_read_ex(ssl, *buf + have, want - have, &got) != 1) {
			e = SSL_get_error(ssl, 0);
			if (e == SSL_ERROR_ZERO_RETURN && have == 0)
				return 0;
			if (e == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK))
				printf("timeout after %ld ms\n", elapsed_ms());
			else {
				char	 why[256];

				printf("server closed after %ld ms: %s\n", elapsed_ms(),
				    e == SSL_ERROR_ZERO_RETURN ? "close_notify mid-message" :
				    cred_tls_reason(ssl, ERR_peek_error(), why, sizeof(why)));
			}
			return -1;
		}
		have += got;
		if (have == PL_HLEN && want == PL_HLEN) {
			pl_peek_header(*buf, have, &type, &bodylen);
			want = PL_HLEN + bodylen;
			if (*cap < want) {
				*buf = xrealloc(*buf, want);
				*cap = want;
			}
		}
	}
	*len = have;
	return 1;
}

/* Answer cdata with SUCCESS and start as the mode wants. */
static int
setup(SSL *ssl, const char *mode, int linfo)
{
	uint8_t		*buf = NULL;
	size_t		 cap = 0, len, used;
	struct pl_msg	 m, r;
	int		 ncdata = 0, rc;

	for (;;) {
		if ((rc = read_msg(ssl, &buf, &cap, &len)) != 1) {
			if (rc == 0)
				printf("server closed after %ld ms\n", elapsed_ms());
			free(buf);
			return -1;
		}
		if (pl_decode(buf, len, &m, &used, NULL) != PL_DEC_OK) {
			printf("bad message from pktxpmgr\n");
			free(buf);
			return -1;
		}
		if (m.type == PL_CDATA) {
			printf("cdata %.*s %zu bytes\n", m.u.cdata.hintlen, m.u.cdata.hint,
			    m.u.cdata.proglen);
			ncdata++;
			pl_msg_result(&r, PL_SUCCESS);
			send_msg(ssl, &r);
			continue;
		}
		if (m.type != PL_START) {
			printf("unexpected type 0x%02x during setup\n", m.type);
			free(buf);
			return -1;
		}
		free(buf);
		printf("start received\n");
		if (start_delay_ms > 0)
			usleep((useconds_t)start_delay_ms * 1000);
		if (start_gate != NULL && wait_file(start_gate) == -1)
			return 1;
		if (strcmp(mode, "refuse") == 0) {
			pl_msg_result(&r, PL_ECTLNOTSUP);
			send_msg(ssl, &r);
			printf("start refused\n");
			return 0;
		}
		pl_msg_result(&r, PL_SUCCESS);
		send_msg(ssl, &r);
		if (strcmp(mode, "monukn") == 0) {
			pl_msg_result_mon(&r, PL_ECTLMONUKN, 0, 0);
			send_msg(ssl, &r);
		}
		if (linfo) {
			static const uint8_t aux[2] = { 0, 0 };

			pl_msg_linfo(&r, (const uint8_t *)"monitor", 7, aux, 2,
			    (const uint8_t *)"xp_badep says hello", 19);
			send_msg(ssl, &r);
		}
		printf("setup ok (%d cdata)\n", ncdata);
		fflush(stdout);
		return 0;
	}
}

static int
serve(SSL *ssl)
{
	static uint8_t	 zeros[0x10000];
	uint8_t		*buf = NULL;
	size_t		 cap = 0, len, used;
	struct pl_msg	 m, r;
	long		 n = 0;
	int		 rc;

	while ((rc = read_msg(ssl, &buf, &cap, &len)) == 1) {
		if (pl_decode(buf, len, &m, &used, NULL) != PL_DEC_OK)
			pl_msg_result(&r, PL_ECTLBADMSG);
		else if (monukn_first && n == 0)
			pl_msg_result_mon(&r, PL_ECTLMONUKN, 0, 0);
		else if (m.type == PL_MREAD)
			pl_msg_mdata(&r, m.u.mread.addr, zeros, m.u.mread.len);
		else if (m.type == PL_NSEND && m.u.ndata.len > 0x10000) {
			size_t	 i;

			for (i = 0; i < m.u.ndata.len &&
			    m.u.ndata.data[i] == (uint8_t)(i % 251); i++)
				;
			printf("big nsend %zu bytes %s\n", (size_t)m.u.ndata.len,
			    i == m.u.ndata.len ? "intact" : "corrupt");
			pl_msg_result(&r, PL_SUCCESS);
		}
		else
			pl_msg_result(&r, PL_SUCCESS);
		if (send_msg(ssl, &r) == -1)
			break;
		n++;
	}
	free(buf);
	printf("served %ld requests\n", n);
	if (rc == 0)
		printf("server closed after %ld ms\n", elapsed_ms());
	return rc == 0 ? 0 : 1;
}

static int
flood(SSL *ssl, long count)
{
	static uint8_t	 data[0x10000];
	struct pl_msg	 m;
	uint8_t		 a[4] = { 127, 0, 0, 1 };
	long		 i;

	if (flood_gate != NULL && wait_file(flood_gate) == -1)
		return 1;
	for (i = 0; i < count; i++) {
		pl_msg_ndata(&m, 1, PL_FAM_IPV4, PL_PROTO_TCP, 0, a, 80, data, flood_size);
		if (send_msg(ssl, &m) == -1) {
			printf("flood stopped after %ld messages (%ld ms)\n", i, elapsed_ms());
			return 1;
		}
	}
	printf("flooded %ld messages in %ld ms\n", count, elapsed_ms());
	return 0;
}

int
main(int argc, char *argv[])
{
	struct cred_certs	 chain;
	struct cred_keys	 roots;
	struct cred_tls_client	 tc;
	struct cred_err		 err;
	struct pl_msg		 m;
	const char		*certs = NULL, *keyp = NULL, *root = NULL, *sni = NULL;
	const char		*mode;
	char			*list[16], *tok, *dup, why[256];
	size_t			 nlist = 0;
	SSL_CTX			*ctx;
	SSL			*ssl;
	int			 ch, fd, linfo = 0, rc;
	uint8_t			 head[PL_HLEN + 10];

	while ((ch = getopt(argc, argv, "c:k:R:s:w:d:G:g:lS:")) != -1) {
		switch (ch) {
		case 'c':
			certs = optarg;
			break;
		case 'k':
			keyp = optarg;
			break;
		case 'R':
			root = optarg;
			break;
		case 's':
			sni = optarg;
			break;
		case 'w':
			wait_s = atoi(optarg);
			break;
		case 'l':
			linfo = 1;
			break;
		case 'd':
			start_delay_ms = atoi(optarg);
			break;
		case 'G':
			start_gate = optarg;
			break;
		case 'g':
			flood_gate = optarg;
			break;
		case 'S':
			flood_size = strtoul(optarg, NULL, 10);
			if (flood_size > 0x10000)
				usage();
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 3 || argc > 4 || (certs == NULL) != (keyp == NULL))
		usage();
	mode = argv[2];
	setvbuf(stdout, NULL, _IOLBF, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	fd = tcp_connect(argv[0], argv[1]);
	if (strcmp(mode, "stall") == 0)
		return wait_close(fd);

	memset(&chain, 0, sizeof(chain));
	memset(&roots, 0, sizeof(roots));
	memset(&tc, 0, sizeof(tc));
	if (certs != NULL) {
		dup = xstrdup(certs);
		for (tok = strtok(dup, ","); tok != NULL && nlist < PL_NELEM(list);
		    tok = strtok(NULL, ","))
			list[nlist++] = tok;
		if (cred_certs_load(&chain, (const char *const *)list, nlist, &err) == -1 ||
		    (tc.key = cred_key_load(keyp, NULL, &err)) == NULL) {
			fprintf(stderr, "xp_badep: %s\n", err.msg);
			return 2;
		}
		tc.chain = &chain;
	}
	if (root != NULL) {
		if (cred_keys_load(&roots, &root, 1, &err) == -1) {
			fprintf(stderr, "xp_badep: %s\n", err.msg);
			return 2;
		}
		tc.roots = &roots;
	}
	tc.mode = CRED_MODE_ENDPOINT_AUTH_CONTROLLER;
	if ((ctx = cred_tls_client_ctx(&tc, &err)) == NULL) {
		fprintf(stderr, "xp_badep: %s\n", err.msg);
		return 2;
	}
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (sni != NULL && cred_tls_set_sni(ssl, sni, &err) == -1) {
		fprintf(stderr, "xp_badep: %s\n", err.msg);
		return 2;
	}
	if (SSL_connect(ssl) != 1) {
		printf("tls failed: %s\n", cred_tls_reason(ssl, 0, why, sizeof(why)));
		return 3;
	}
	printf("tls ok\n");

	if (strcmp(mode, "silent") == 0) {
		SSL_shutdown(ssl);
		close(fd);
		return 0;
	}
	if (strcmp(mode, "silentrst") == 0) {
		struct pollfd	 pfd = { fd, POLLIN, 0 };

		if (poll(&pfd, 1, wait_s * 1000) != 1)
			return 1;
		close(fd);	/* unread data: RST, no FIN */
		return 0;
	}
	if (setup(ssl, mode, linfo) == -1)
		return 4;
	if (strcmp(mode, "refuse") == 0 || strcmp(mode, "monukn") == 0 ||
	    strcmp(mode, "hold") == 0) {
		rc = serve(ssl) == 0 ? 0 : 1;
	} else if (strcmp(mode, "serve") == 0) {
		rc = serve(ssl);
	} else if (strcmp(mode, "monuknreply") == 0) {
		monukn_first = 1;
		rc = serve(ssl);
	} else if (strcmp(mode, "malformed") == 0) {
		pl_msg_raw(&m, PL_NCLOSE, NULL, 0);
		send_msg(ssl, &m);
		rc = serve(ssl);
	} else if (strcmp(mode, "oversize") == 0) {
		memset(head, 0, sizeof(head));
		pl_put32(head, (PL_NDATA << 24) | (2u * 1024 * 1024));
		ssl_write_all(ssl, head, sizeof(head));
		rc = serve(ssl);
	} else if (strcmp(mode, "garbage") == 0) {
		ssl_write_all(ssl, "GET / HTTP/1.1\r\n\r\n", 18);
		rc = serve(ssl);
	} else if (strcmp(mode, "midmsg") == 0) {
		memset(head, 0, sizeof(head));
		pl_put32(head, (PL_NDATA << 24) | 96);
		ssl_write_all(ssl, head, 10);
		SSL_shutdown(ssl);
		printf("left mid-message\n");
		rc = 0;
	} else if (strcmp(mode, "disconnect") == 0) {
		struct linger	 lg = { 1, 0 };

		/* A reset: no close_notify, no FIN. */
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		printf("dropped the connection\n");
		rc = 0;
	} else if (strcmp(mode, "noread") == 0) {
		sleep((unsigned)wait_s);
		printf("slept %d s without reading\n", wait_s);
		rc = 0;
	} else if (strcmp(mode, "flood") == 0 && argc == 4) {
		/* A write that fails says so rather than killing us. */
		signal(SIGPIPE, SIG_IGN);
		rc = flood(ssl, strtol(argv[3], NULL, 10));
	} else
		usage();
	close(fd);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	cred_certs_free(&chain);
	cred_keys_free(&roots);
	EVP_PKEY_free(tc.key);
	return rc;
}
