/*
 * xp_dnsd.c: a tiny DNS responder for tests (test_dns on loopback).
 *
 *   xp_dnsd [-a ADDR] [-p PORT] [-A IPV4] [-n COUNT] [-r READYFILE]
 *
 * Listens on UDP ADDR:PORT (default 127.0.0.1:53).  Every A query gets one
 * answer, IPV4 (default 192.0.2.80), except names whose first label is
 * "nx", which get NXDOMAIN.  Writes the port to READYFILE once bound; exits
 * after COUNT queries (default: never).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xp_server.h"

static void
usage(void)
{
	fprintf(stderr, "usage: xp_dnsd [-a ADDR] [-p PORT] [-A IPV4] [-n COUNT] "
	    "[-r READYFILE]\n");
	exit(2);
}

/* Length of the question section at q (QNAME + QTYPE + QCLASS), or 0. */
static size_t
question_len(const uint8_t *q, size_t len, int *nx)
{
	size_t	 off = 0;

	*nx = len > 3 && q[0] == 2 && q[1] == 'n' && q[2] == 'x';
	while (off < len && q[off] != 0) {
		if (q[off] & 0xC0)
			return 0;
		off += 1 + q[off];
	}
	if (off >= len || off + 5 > len)
		return 0;
	return off + 5;
}

int
main(int argc, char *argv[])
{
	struct xp_srvopt	 o = { "127.0.0.1", 53, -1, NULL };
	const char		*answer = "192.0.2.80";
	long			 served = 0;
	struct sockaddr_in	 sa, from;
	socklen_t		 fromlen;
	struct in_addr		 ans;
	uint8_t			 buf[512], out[600];
	size_t			 qlen, n;
	ssize_t			 r;
	int			 ch, fd, nx;

	while ((ch = getopt(argc, argv, "a:p:A:n:r:")) != -1) {
		if (xp_srvopt(&o, ch, optarg))
			continue;
		if (ch == 'A')
			answer = optarg;
		else
			usage();
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)o.port);
	if (optind != argc || o.port < 0 || o.port > 65535 ||
	    inet_pton(AF_INET, o.addr, &sa.sin_addr) != 1 ||
	    inet_pton(AF_INET, answer, &ans) != 1)
		usage();
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		fprintf(stderr, "xp_dnsd: %s port %ld: %s\n", o.addr, o.port, strerror(errno));
		return 1;
	}
	fromlen = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &fromlen);
	xp_srv_ready(&o, ntohs(sa.sin_port));
	while (o.count < 0 || served < o.count) {
		fromlen = sizeof(from);
		r = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		if (r == -1 && errno == EINTR)
			continue;
		if (r < 12)
			continue;
		/* One question, no answers: a query as test_dns sends it. */
		if ((buf[2] & 0x80) || buf[4] != 0 || buf[5] != 1)
			continue;
		if ((qlen = question_len(buf + 12, (size_t)r - 12, &nx)) == 0)
			continue;
		memcpy(out, buf, 12 + qlen);
		out[2] = 0x81 | (buf[2] & 0x01);	/* QR, RD copied */
		out[3] = nx ? 0x83 : 0x80;		/* RA, NXDOMAIN or no error */
		out[6] = 0;
		out[7] = nx ? 0 : 1;			/* ANCOUNT */
		memset(out + 8, 0, 4);
		n = 12 + qlen;
		if (!nx) {
			const uint8_t rr[] = { 0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4 };

			memcpy(out + n, rr, sizeof(rr));
			n += sizeof(rr);
			memcpy(out + n, &ans, 4);
			n += 4;
		}
		sendto(fd, out, n, 0, (struct sockaddr *)&from, fromlen);
		fprintf(stderr, "xp_dnsd: answered a query (%s)\n", nx ? "NXDOMAIN" : answer);
		served++;
	}
	return 0;
}
