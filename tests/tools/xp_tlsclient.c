/*
 * xp_tlsclient.c: a broker client that does what Python's ssl module
 * cannot, to test the record layer of pktlab-broker (cred/rec13.c) with
 * OpenSSL on the other side:
 *
 *   xp_tlsclient --port P --cert F --key F [options] HEXMSG...
 *
 * It connects to 127.0.0.1:P with agent-mode TLS 1.3 (our client context,
 * F's agent certificate), sends each HEXMSG (whole broker messages, as
 * `bclient.py --emit` prints them) and reads the broker's answers, printing
 * one line per message as bclient.py does ("result SUCCESS", "result
 * 0xNNNN", "xnotify CHANNELHEX XDESCR"), then "close_notify", "eof" or
 * "tls-error TEXT" when the connection ends.
 *
 *   --keyupdate   a KeyUpdate (update_requested) before every message
 *   --trickle     write the TLS records one byte at a time, 1 ms apart
 *   --tamper      flip one bit of the first record's tag
 *   --huge        send a record header announcing 16,641 bytes
 *   --pipeline    send every message, then read the results
 *   --notify N    then wait for N xnotify messages
 *   --close       then send close_notify and wait for the broker to close
 *   --hold S      then read S more seconds (until the broker closes)
 *   --suite NAME  offer only this TLS 1.3 suite
 * Exit 0 when every expected answer came, 1 otherwise.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cred/cred.h"
#include "cred/tls.h"

static SSL	*ssl;
static SSL_CTX	*ctx;
static EVP_PKEY	*key;
static struct cred_certs chain;
static BIO	*mem;		/* --trickle/--tamper: the records, before the socket */
static int	 fd, trickle, tamper, tampered;
static uint8_t	 rbuf[1 << 17];
static size_t	 rlen;

/* Every way out frees everything (LeakSanitizer runs the tools too). */
static void
cleanup(void)
{
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	EVP_PKEY_free(key);
	cred_certs_free(&chain);
	BIO_free(mem);
	if (fd > 0)
		close(fd);
}

static void
die(const char *what)
{
	char	 why[300];

	printf("tls-error %s: %s\n", what, cred_tls_reason(ssl, 0, why,
	    sizeof(why)));
	exit(1);
}

static void
raw_send(const uint8_t *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(fd, p, n)) <= 0) {
			printf("tls-error write: %s\n", strerror(errno));
			exit(1);
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Move what OpenSSL wrote into the memory BIO onto the socket. */
static void
pump(void)
{
	struct timespec	 ms = { 0, 1000000 };
	uint8_t		 buf[1 << 15];
	size_t		 i;
	int		 n;

	if (mem == NULL)
		return;
	while ((n = BIO_read(mem, buf, sizeof(buf))) > 0) {
		if (tamper && !tampered && n >= 5 + 17) {
			/* The last byte of the first record: its tag. */
			size_t	 end = 5 + ((size_t)buf[3] << 8 | buf[4]);

			if (end <= (size_t)n)
				buf[end - 1] ^= 0x01;
			tampered = 1;
		}
		if (!trickle) {
			raw_send(buf, (size_t)n);
			continue;
		}
		for (i = 0; i < (size_t)n; i++) {
			raw_send(buf + i, 1);
			nanosleep(&ms, NULL);
		}
	}
}

static void
send_msg(const uint8_t *m, size_t n, int keyupdate)
{
	if (keyupdate && SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED) != 1)
		die("SSL_key_update");
	if (SSL_write(ssl, m, (int)n) != (int)n)
		die("SSL_write");
	pump();
}

/* The next message: 1, or 0 when the connection ended (line printed). */
static int
next_msg(uint8_t *type, const uint8_t **body, size_t *blen, int timeout_ms)
{
	static size_t	 consumed;
	struct pollfd	 pfd;
	size_t		 n;
	int		 r, e;

	if (consumed > 0) {
		memmove(rbuf, rbuf + consumed, rlen - consumed);
		rlen -= consumed;
		consumed = 0;
	}
	for (;;) {
		if (rlen >= 4 && rlen >= 4 + (n = (size_t)rbuf[1] << 16 |
		    (size_t)rbuf[2] << 8 | rbuf[3])) {
			*type = rbuf[0];
			*body = rbuf + 4;
			*blen = n;
			consumed = 4 + n;
			return 1;
		}
		if (SSL_pending(ssl) == 0) {
			pfd.fd = fd;
			pfd.events = POLLIN;
			if ((r = poll(&pfd, 1, timeout_ms)) == 0) {
				printf("timeout\n");
				return 0;
			}
		}
		r = SSL_read(ssl, rbuf + rlen, (int)(sizeof(rbuf) - rlen));
		pump();	/* a KeyUpdate answer */
		if (r > 0) {
			rlen += (size_t)r;
			continue;
		}
		e = SSL_get_error(ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			continue;
		if (e == SSL_ERROR_ZERO_RETURN)
			printf("close_notify\n");
		else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
			printf("eof\n");
		else {
			char	 why[300];

			printf("tls-error %s\n", cred_tls_reason(ssl,
			    ERR_peek_error(), why, sizeof(why)));
		}
		return 0;
	}
}

static void
show(uint8_t t, const uint8_t *b, size_t n)
{
	size_t	 i, cl;

	if (t == 0x40) {
		unsigned e = n >= 2 ? (unsigned)b[0] << 8 | b[1] : 0;

		if (e == 0)
			printf("result SUCCESS\n");
		else
			printf("result 0x%04x\n", e);
	} else if (t == 0x70 && n > 0) {
		cl = b[0] < n - 1 ? b[0] : n - 1;
		printf("xnotify ");
		for (i = 0; i < cl; i++)
			printf("%02x", b[1 + i]);
		printf(" %.*s\n", (int)(n - 1 - cl), (const char *)b + 1 + cl);
	} else
		printf("type-0x%02x (%zu bytes)\n", t, n);
	fflush(stdout);
}

static size_t
unhex(const char *s, uint8_t **out)
{
	size_t	 n = strlen(s) / 2, i;
	unsigned v;

	*out = malloc(n + 1);
	if (*out == NULL)
		exit(1);
	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			exit(2);
		(*out)[i] = (uint8_t)v;
	}
	return n;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "port", 1, NULL, 'p' }, { "cert", 1, NULL, 'c' },
		{ "key", 1, NULL, 'k' }, { "keyupdate", 0, NULL, 'u' },
		{ "trickle", 0, NULL, 't' }, { "tamper", 0, NULL, 'x' },
		{ "huge", 0, NULL, 'H' }, { "pipeline", 0, NULL, 'P' },
		{ "notify", 1, NULL, 'n' }, { "close", 0, NULL, 'C' },
		{ "hold", 1, NULL, 'h' }, { "suite", 1, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct cred_tls_client	 tc;
	struct cred_err		 err;
	struct sockaddr_in	 sin;
	const char		*certp = NULL, *keyp = NULL, *suite = NULL;
	const uint8_t		*body;
	uint8_t			*m, type;
	size_t			 n, blen;
	double			 hold = 0;
	int			 c, port = 0, keyupdate = 0, huge = 0, pipeline = 0;
	int			 notify = 0, closeit = 0, i, ok = 1, got;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'p': port = atoi(optarg); break;
		case 'c': certp = optarg; break;
		case 'k': keyp = optarg; break;
		case 'u': keyupdate = 1; break;
		case 't': trickle = 1; break;
		case 'x': tamper = 1; break;
		case 'H': huge = 1; break;
		case 'P': pipeline = 1; break;
		case 'n': notify = atoi(optarg); break;
		case 'C': closeit = 1; break;
		case 'h': hold = atof(optarg); break;
		case 's': suite = optarg; break;
		default: return 2;
		}
	}
	if (port == 0 || certp == NULL || keyp == NULL) {
		fprintf(stderr, "usage: xp_tlsclient --port P --cert F --key F "
		    "[options] HEXMSG...\n");
		return 2;
	}
	/* After OpenSSL's own exit handler, so that ours runs first. */
	OPENSSL_init_ssl(0, NULL);
	atexit(cleanup);
	memset(&tc, 0, sizeof(tc));
	if (cred_certs_load(&chain, &certp, 1, &err) == -1 ||
	    (key = tc.key = cred_key_load(keyp, NULL, &err)) == NULL) {
		fprintf(stderr, "xp_tlsclient: %s\n", err.msg);
		return 2;
	}
	tc.chain = &chain;
	tc.mode = CRED_MODE_AGENT;
	if ((ctx = cred_tls_client_ctx(&tc, &err)) == NULL) {
		fprintf(stderr, "xp_tlsclient: %s\n", err.msg);
		return 2;
	}
	if (suite != NULL && SSL_CTX_set_ciphersuites(ctx, suite) != 1)
		return 2;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		printf("tls-error connect: %s\n", strerror(errno));
		return 1;
	}
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1)
		die("handshake");
	printf("established %s\n", SSL_get_cipher_name(ssl));
	fflush(stdout);
	if (trickle || tamper) {
		/* From now on records go through memory, then to the socket. */
		if ((mem = BIO_new(BIO_s_mem())) == NULL)
			return 1;
		SSL_set0_wbio(ssl, mem);
		BIO_up_ref(mem);
	}
	if (huge) {
		static const uint8_t hdr[5] = { 0x17, 0x03, 0x03, 0x41, 0x01 };

		raw_send(hdr, sizeof(hdr));
	}
	got = 0;
	for (i = optind; i < argc; i++) {
		n = unhex(argv[i], &m);
		send_msg(m, n, keyupdate);
		free(m);
		if (pipeline)
			continue;
		if (!next_msg(&type, &body, &blen, 20000))
			return 1;
		show(type, body, blen);
		got += type == 0x70;
	}
	for (i = optind; pipeline && i < argc; i++) {
		if (!next_msg(&type, &body, &blen, 20000))
			return 1;
		show(type, body, blen);
		got += type == 0x70;
	}
	while (ok && got < notify) {
		if (!next_msg(&type, &body, &blen, 20000))
			return 1;
		show(type, body, blen);
		got += type == 0x70;
	}
	if (closeit) {
		if (SSL_shutdown(ssl) < 0)
			die("SSL_shutdown");
		pump();
		hold = hold > 0 ? hold : 10;
	}
	if (hold > 0) {
		while (next_msg(&type, &body, &blen, (int)(hold * 1000)))
			show(type, body, blen);
	}
	fflush(stdout);
	return ok ? 0 : 1;
}
