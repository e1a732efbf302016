/*
 * handoff.c: singleton mode (spec §13.3).  pktxpmgr passes each endpoint
 * as one sendmsg: the endpoint address with its NUL (at most 46 bytes) as
 * data, and exactly one SCM_RIGHTS descriptor as control.
 *
 * The receiver reads one byte per recvmsg.  A stream socket may otherwise
 * return the start of the next handoff together with this one; reading
 * byte by byte never crosses the NUL, and costs at most 46 calls per
 * endpoint.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mlet_int.h"

#define FDS_MAX		8	/* room to see (and close) surplus descriptors */

static int	 fail(struct pl_mlet_error *, int, int, const char *, ...)
		    __attribute__((format(printf, 4, 5)));
static int	 take_fds(struct msghdr *, int *, int *);
static int	 drop_fd(int);

static int
fail(struct pl_mlet_error *err, int code, int sys_errno, const char *fmt, ...)
{
	va_list	 ap;

	if (err != NULL) {
		va_start(ap, fmt);
		mlet_error_set(err, code, sys_errno, fmt, ap);
		va_end(ap);
	}
	return code;
}

static int
drop_fd(int fd)
{
	if (fd != -1)
		close(fd);
	return -1;
}

/* Collect the descriptors of one recvmsg; *extra counts the surplus ones,
 * which are closed at once. */
static int
take_fds(struct msghdr *mh, int *fd, int *extra)
{
	struct cmsghdr	*c;
	size_t		 i, n;
	int		 got;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*fd == -1)
				*fd = got;
			else {
				close(got);
				(*extra)++;
			}
		}
	}
	return (mh->msg_flags & MSG_CTRUNC) ? -1 : 0;
}

int
pl_mlet_recv_endpoint(int ctlfd, int *fdp, char addr[PL_MLET_EPADDR_MAX],
    struct pl_mlet_error *err)
{
	union {
		struct cmsghdr	 h;
		char		 buf[CMSG_SPACE(sizeof(int) * FDS_MAX)];
	}		 cbuf;
	struct msghdr	 mh;
	struct iovec	 iov;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd = -1, extra = 0, e;
	char		 c;

	*fdp = -1;
	addr[0] = '\0';
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	for (;;) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = &c;
		iov.iov_len = 1;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		n = recvmsg(ctlfd, &mh, MSG_CMSG_CLOEXEC);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			e = errno;
			drop_fd(fd);
			return fail(err, PL_MLET_SYS, e, "recvmsg on fd %d: %s", ctlfd,
			    strerror(e));
		}
		if (n == 0) {
			if (len == 0 && fd == -1)
				return 0;
			drop_fd(fd);
			return fail(err, PL_MLET_PROTO, 0, "pktxpmgr closed the socket "
			    "in the middle of an endpoint address");
		}
		if (take_fds(&mh, &fd, &extra) == -1) {
			drop_fd(fd);
			return fail(err, PL_MLET_PROTO, 0, "pktxpmgr passed more "
			    "descriptors than fit (MSG_CTRUNC)");
		}
		addr[len++] = c;
		if (c == '\0')
			break;
		if (len < PL_MLET_EPADDR_MAX)
			addr[len] = '\0';	/* printable on every path */
		if (len == PL_MLET_EPADDR_MAX) {
			drop_fd(fd);
			addr[len - 1] = '\0';
			return fail(err, PL_MLET_TOOLONG, 0, "endpoint address \"%.45s...\" "
			    "is longer than %d bytes", addr, PL_MLET_EPADDR_MAX - 1);
		}
	}
	if (extra > 0) {
		drop_fd(fd);
		return fail(err, PL_MLET_PROTO, 0, "pktxpmgr passed %d descriptors "
		    "with endpoint \"%s\"; exactly one was expected", extra + 1, addr);
	}
	if (fd == -1)
		return fail(err, PL_MLET_NOFD, 0, "endpoint address \"%s\" came "
		    "without a descriptor", addr);
	if (fd <= 2) {
		close(fd);
		*fdp = fd;
		return fail(err, PL_MLET_BADFD, 0, "the descriptor for endpoint \"%s\" "
		    "arrived as fd %d, a standard stream that was closed", addr, fd);
	}
	*fdp = fd;
	return 1;
}
