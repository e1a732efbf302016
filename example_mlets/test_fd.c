/*
 * test_fd: checks the descriptors pktxpmgr gives an mlet (protocol spec
 * §14.4).  Sends no message; prints on stderr whether fd 0 (the session)
 * and fd 1 (stdout) are open.  Exit 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

int
main(void)
{
	int	 fd;

	for (fd = 0; fd <= 1; fd++) {
		if (fcntl(fd, F_GETFD) != -1)
			fprintf(stderr, "fd %d is open\n", fd);
		else
			fprintf(stderr, "fd %d is not available (%s)\n", fd,
			    strerror(errno));
	}
	return 0;
}
