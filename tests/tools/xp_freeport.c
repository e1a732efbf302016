/*
 * xp_freeport.c: print N free TCP ports of 127.0.0.1 (default 1), for tests
 * that run on a shared loopback (no private network namespace).  The
 * ports are held together while choosing, so they differ from each other.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sa;
	socklen_t		 len;
	int			 n = argc > 1 ? atoi(argv[1]) : 1, i, fd[64];

	if (n < 1 || n > 64) {
		fprintf(stderr, "usage: xp_freeport [COUNT]\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(sa);
		if ((fd[i] = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
		    bind(fd[i], (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
		    getsockname(fd[i], (struct sockaddr *)&sa, &len) == -1) {
			perror("xp_freeport");
			return 1;
		}
		printf("%u\n", ntohs(sa.sin_port));
	}
	for (i = 0; i < n; i++)
		close(fd[i]);
	return 0;
}
