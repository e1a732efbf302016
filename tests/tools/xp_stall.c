/*
 * xp_stall: many stalled TCP connections, for pktxpmgr's connection caps.
 *
 *   xp_stall [-w SECONDS] -n COUNT HOST PORT
 *
 * Opens COUNT connections to HOST:PORT (an IPv4 or IPv6 literal) at once
 * and never sends a byte.  Raises its own descriptor limit to fit.  Holds
 * them for SECONDS (default 10), or until the server closed every one,
 * then exits printing one line:
 *   connected C closed D failed F open O
 * C: connections that completed; D: of those, closed by the server; F:
 * connects that failed; O: still open at exit.  A server whose accept queue
 * is full drops the client's last handshake packet, so "connected" counts
 * connections the server may not have accepted yet (or, after its SYN-ACK
 * retries, never will).  Exit status 0, or 2 on a usage or set-up error.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum st { ST_CONNECTING, ST_OPEN, ST_DONE };

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
usage(void)
{
	fprintf(stderr, "usage: xp_stall [-w SECONDS] -n COUNT HOST PORT\n");
	return 2;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	struct rlimit		 rl;
	struct pollfd		*pfd;
	enum st			*st;
	socklen_t		 sl, el;
	long long		 deadline;
	char			 b[64];
	long			 n = 0, wait_s = 10, i, connected = 0, closed = 0,
				 failed = 0, open_now;
	int			 ch, err, r;

	while ((ch = getopt(argc, argv, "n:w:")) != -1) {
		switch (ch) {
		case 'n':
			n = strtol(optarg, NULL, 10);
			break;
		case 'w':
			wait_s = strtol(optarg, NULL, 10);
			break;
		default:
			return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || n <= 0 || wait_s <= 0)
		return usage();
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, argv[0], &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)atoi(argv[1]));
		sl = sizeof(*sin);
	} else if (inet_pton(AF_INET6, argv[0], &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)atoi(argv[1]));
		sl = sizeof(*sin6);
	} else
		return usage();

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = (rlim_t)n + 64;
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;	/* works as root */
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			fprintf(stderr, "xp_stall: cannot raise the descriptor limit "
			    "to %ld: %s\n", n + 64, strerror(errno));
			return 2;
		}
	}
	pfd = calloc((size_t)n, sizeof(*pfd));
	st = calloc((size_t)n, sizeof(*st));
	if (pfd == NULL || st == NULL)
		return 2;
	for (i = 0; i < n; i++) {
		pfd[i].fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (pfd[i].fd == -1) {
			fprintf(stderr, "xp_stall: socket %ld: %s\n", i, strerror(errno));
			return 2;
		}
		pfd[i].events = POLLOUT;
		if (connect(pfd[i].fd, (struct sockaddr *)&ss, sl) == 0) {
			st[i] = ST_OPEN;
			pfd[i].events = POLLIN;
			connected++;
		} else if (errno != EINPROGRESS) {
			st[i] = ST_DONE;
			close(pfd[i].fd);
			pfd[i].fd = -1;
			failed++;
		}
	}

	deadline = now_ms() + wait_s * 1000;
	for (;;) {
		open_now = n - closed - failed;
		if (open_now == 0 || now_ms() >= deadline)
			break;
		r = poll(pfd, (nfds_t)n, 100);
		if (r <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			if (st[i] == ST_CONNECTING) {
				err = 0;
				el = sizeof(err);
				(void)getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err == 0) {
					st[i] = ST_OPEN;
					pfd[i].events = POLLIN;
					connected++;
					continue;
				}
				failed++;
			} else {
				/* The server closed it (EOF or reset); anything else is ignored. */
				ssize_t	 got = recv(pfd[i].fd, b, sizeof(b), MSG_DONTWAIT);

				if (got > 0 || (got == -1 && (errno == EAGAIN ||
				    errno == EINTR)))
					continue;
				closed++;
			}
			st[i] = ST_DONE;
			close(pfd[i].fd);
			pfd[i].fd = -1;
		}
	}
	open_now = n - closed - failed;
	printf("connected %ld closed %ld failed %ld open %ld\n", connected, closed,
	    failed, open_now);
	for (i = 0; i < n; i++)
		if (pfd[i].fd != -1)
			close(pfd[i].fd);
	free(pfd);
	free(st);
	return 0;
}
