/*
 * xp_httpd.c: a tiny HTTP/1.0 server for tests and scripts/demo, so that an
 * experiment (test_http_get) has something to fetch on loopback without
 * Python or any outside host.
 *
 *   xp_httpd [-a ADDR] [-p PORT] [-n COUNT] [-r READYFILE] [-f FILE]
 *
 * Listens on ADDR:PORT (default 127.0.0.1:80; port 0 picks a free one),
 * answers GET / and GET /index.html with a small page (or FILE's contents),
 * anything else with 404, one connection at a time.  Writes the port to
 * READYFILE once listening.  Exits after COUNT requests (default: never) or
 * on SIGTERM/SIGINT.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xp_server.h"

static const char default_page[] =
    "<!DOCTYPE html>\n"
    "<html><head><title>PacketLab local experiment</title></head>\n"
    "<body><h1>Hello from the local web server</h1>\n"
    "<p>This page travelled from 127.0.0.1 to the PacketLab endpoint, then over\n"
    "TLS to pktxpmgr, then to the mlet that asked for it.</p></body></html>\n";

static void
usage(void)
{
	fprintf(stderr, "usage: xp_httpd [-a ADDR] [-p PORT] [-n COUNT] [-r READYFILE] "
	    "[-f FILE]\n");
	exit(2);
}

static int
sendall(int fd, const char *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
serve(int fd, const char *page, size_t pagelen)
{
	char		 req[4096], path[1024], head[512];
	size_t		 have = 0;
	ssize_t		 n;
	struct timeval	 tv = { 5, 0 };
	int		 ok;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (have < sizeof(req) - 1) {
		n = recv(fd, req + have, sizeof(req) - 1 - have, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		req[have] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	req[have] = '\0';
	if (sscanf(req, "GET %1023s HTTP/", path) != 1) {
		fprintf(stderr, "xp_httpd: bad request (%zu bytes)\n", have);
		return;
	}
	ok = strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0;
	fprintf(stderr, "xp_httpd: GET %s -> %d\n", path, ok ? 200 : 404);
	if (!ok) {
		page = "not found\n";
		pagelen = strlen(page);
	}
	snprintf(head, sizeof(head), "HTTP/1.0 %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	    ok ? "200 OK" : "404 Not Found", ok ? "text/html" : "text/plain", pagelen);
	if (sendall(fd, head, strlen(head)) == 0)
		sendall(fd, page, pagelen);
	/* Let the client read everything before our FIN, no reset. */
	shutdown(fd, SHUT_WR);
	while (recv(fd, req, sizeof(req), 0) > 0)
		;
}

static char *
read_page(const char *path, size_t *len)
{
	FILE	*f = fopen(path, "rb");
	char	*p;
	long	 n;

	if (f == NULL || fseek(f, 0, SEEK_END) == -1 || (n = ftell(f)) < 0) {
		perror(path);
		exit(2);
	}
	rewind(f);
	if ((p = malloc((size_t)n + 1)) == NULL || fread(p, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(2);
	}
	fclose(f);
	*len = (size_t)n;
	return p;
}

int
main(int argc, char *argv[])
{
	struct xp_srvopt	 o = { "127.0.0.1", 80, -1, NULL };
	const char		*page = default_page;
	size_t			 pagelen = sizeof(default_page) - 1;
	long			 served = 0;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ss;
	int			 ch, lfd, fd, one = 1;

	while ((ch = getopt(argc, argv, "a:p:n:r:f:")) != -1) {
		if (xp_srvopt(&o, ch, optarg))
			continue;
		if (ch == 'f')
			page = read_page(optarg, &pagelen);
		else
			usage();
	}
	if (optind != argc || o.port < 0 || o.port > 65535)
		usage();
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, o.addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)o.port);
		sslen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, o.addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)o.port);
		sslen = sizeof(*s6);
	} else
		usage();
	if ((lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(lfd, (struct sockaddr *)&ss, sslen) == -1 || listen(lfd, 64) == -1) {
		fprintf(stderr, "xp_httpd: %s port %ld: %s\n", o.addr, o.port, strerror(errno));
		return 1;
	}
	sslen = sizeof(ss);
	getsockname(lfd, (struct sockaddr *)&ss, &sslen);
	xp_srv_ready(&o, ntohs(ss.ss_family == AF_INET ? s4->sin_port : s6->sin6_port));
	while (o.count < 0 || served < o.count) {
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("accept");
			return 1;
		}
		serve(fd, page, pagelen);
		close(fd);
		served++;
	}
	return 0;
}
