/*
 * xp_mlet.c: a test mlet for pktxpmgr's tests, doing one thing per mode:
 *
 *   probe FILE       write what it was given (argv[0], environment, fd 0,
 *                    open descriptors, signal state, process group) to FILE
 *   exit N           exit with status N at once
 *   crash            abort() at once
 *   sleep SECONDS    never read fd 0; exit 0 after SECONDS
 *   stubborn [FILE]  ignore SIGTERM (then create FILE, to say so) and never
 *                    exit: only SIGKILL ends it
 *   hold             read fd 0 until EOF, discarding it; exit 0
 *   mread N [FILE]   send N mread requests of the time (pipelined), read
 *                    their N replies, report "replies N" to FILE or stdout
 *   count N [FILE]   read (slowly: a pause every 8 frames) until N ndata have
 *                    come, report "ndata N bytes B" to FILE or stdout
 *   write HEX        write these bytes to fd 0 (e.g. a malformed frame), then
 *                    hold
 *   answer SIZE      a chatty mlet: answer every frame it reads with one
 *                    write of one message: an mread (10 bytes) when SIZE is
 *                    0, else an nsend with SIZE bytes of payload; until EOF
 *                    or a failed write; exit 0
 *   nsend SIZE [FILE]  send one TCP nsend on socket 1 with SIZE bytes of
 *                    payload (byte i is i % 251), read its reply, report
 *                    "reply ERRID" to FILE or stdout
 *   singleton FILE   singleton-mode receiver: for each descriptor passed on
 *                    fd 0, log "pass addr=<text> datalen=<n> fds=<count>" to
 *                    FILE and close it; "eof" at EOF; exit 0
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pktlab/vmem.h>
#include <pktlab/wire.h>

#include "util/util.h"

extern char	**environ;

static void	 usage(void) __attribute__((noreturn));

static void
usage(void)
{
	fprintf(stderr, "usage: xp_mlet probe FILE | exit N | crash | sleep S | stubborn [FILE] | hold | "
	    "mread N [FILE] | count N [FILE] | write HEX | nsend SIZE [FILE] | answer SIZE | "
	    "singleton FILE\n");
	exit(2);
}

static FILE *
out_open(const char *path)
{
	FILE	*f = path != NULL ? fopen(path, "w") : stdout;

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	return f;
}

static const char *
disposition(int sig)
{
	struct sigaction	 sa;

	if (sigaction(sig, NULL, &sa) == -1)
		return "?";
	if (sa.sa_handler == SIG_IGN)
		return "ign";
	if (sa.sa_handler == SIG_DFL)
		return "dfl";
	return "caught";
}

static int
probe(const char *path, const char *argv0)
{
	FILE		*f = out_open(path);
	struct stat	 sb;
	sigset_t	 mask;
	DIR		*dp;
	struct dirent	*de;
	char		**e;
	int		 n = 0, sig, blocked = 0, fl;

	fprintf(f, "argv0=%s\n", argv0);
	for (e = environ; *e != NULL; e++, n++)
		fprintf(f, "env=%s\n", *e);
	fprintf(f, "envc=%d\n", n);
	if (fstat(0, &sb) == -1)
		fprintf(f, "fd0=closed\n");
	else
		fprintf(f, "fd0=%s\n", S_ISSOCK(sb.st_mode) ? "socket" : "other");
	fl = fcntl(0, F_GETFL);
	fprintf(f, "fd0mode=%s\n", fl == -1 ? "?" : (fl & O_NONBLOCK) ?
	    "nonblocking" : "blocking");
	/* fileno(f) is ours: leave it out, along with the listing's own. */
	if ((dp = opendir("/proc/self/fd")) != NULL) {
		fprintf(f, "fds=");
		n = 0;
		while ((de = readdir(dp)) != NULL) {
			if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(dp) ||
			    atoi(de->d_name) == fileno(f))
				continue;
			fprintf(f, "%s%s", n++ ? "," : "", de->d_name);
		}
		fprintf(f, "\n");
		closedir(dp);
	}
	fprintf(f, "sigpipe=%s\nsigint=%s\nsigterm=%s\nsighup=%s\nsigchld=%s\n",
	    disposition(SIGPIPE), disposition(SIGINT), disposition(SIGTERM),
	    disposition(SIGHUP), disposition(SIGCHLD));
	sigprocmask(SIG_BLOCK, NULL, &mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sigismember(&mask, sig) == 1)
			blocked++;
	fprintf(f, "blocked=%d\npgid=%ld\nppgid=%ld\n", blocked, (long)getpgrp(),
	    (long)getpgid(getppid()));
	fclose(f);
	return 0;
}

static int
hold(void)
{
	char	 buf[4096];
	ssize_t	 n;

	while ((n = read(0, buf, sizeof(buf))) > 0 || (n == -1 && errno == EINTR))
		;
	return 0;
}

static int
writeall(int fd, const void *p, size_t len)
{
	const uint8_t	*b = p;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, b, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly one frame into buf; 1, 0 at EOF, -1 on error. */
static int
read_frame(uint8_t *buf, size_t cap, uint8_t *type)
{
	uint32_t	 len;
	size_t		 have = 0, want = PL_HLEN;
	ssize_t		 n;

	while (have < want) {
		n = read(0, buf + have, want - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0 && have == 0)
			return 0;
		if (n <= 0)
			return -1;
		have += (size_t)n;
		if (have == PL_HLEN) {
			pl_peek_header(buf, have, type, &len);
			if (PL_HLEN + (size_t)len > cap)
				return -1;
			want = PL_HLEN + len;
		}
	}
	return 1;
}

static int
mread(unsigned long count, const char *path)
{
	static uint8_t	 frame[PL_HLEN + 0x10000], batch[4096 * 10];
	struct pl_msg	 m;
	uint8_t		 type;
	ssize_t		 n;
	size_t		 per, fill;
	unsigned long	 i, got = 0;
	FILE		*f;

	pl_msg_mread(&m, PL_SP_TIME, 8);
	if ((n = pl_encode(&m, batch, sizeof(batch))) < 0)
		return 2;
	per = (size_t)n;
	/* Requests go out in batches: a flood of them is one write per batch. */
	for (i = 0; i < count; ) {
		for (fill = 0; fill + per <= sizeof(batch) && i < count; fill += per, i++)
			pl_encode(&m, batch + fill, per);
		if (writeall(0, batch, fill) == -1) {
			perror("write");
			return 1;
		}
	}
	while (got < count && read_frame(frame, sizeof(frame), &type) == 1)
		if (type == PL_MDATA || type == PL_RESULT)
			got++;
	f = out_open(path);
	fprintf(f, "replies %lu\n", got);
	if (f != stdout)
		fclose(f);
	return got == count ? 0 : 1;
}

static int
count(unsigned long want, const char *path)
{
	static uint8_t	 frame[PL_HLEN + 0x20000];
	uint8_t		 type;
	uint32_t	 len;
	unsigned long	 n = 0, bytes = 0;
	FILE		*f;

	while (n < want && read_frame(frame, sizeof(frame), &type) == 1) {
		if (type != PL_NDATA)
			continue;
		pl_peek_header(frame, PL_HLEN, &type, &len);
		n++;
		bytes += PL_HLEN + len;
		if (n % 8 == 0)
			usleep(10000);
	}
	f = out_open(path);
	fprintf(f, "ndata %lu bytes %lu\n", n, bytes);
	if (f != stdout)
		fclose(f);
	return n == want ? 0 : 1;
}

static int
nsend(size_t size, const char *path)
{
	static uint8_t	 frame[PL_HLEN + 0x10000];
	struct pl_msg	 m;
	uint8_t		*data, *msg, type;
	ssize_t		 n;
	size_t		 i;
	int		 got = -1;
	FILE		*f;

	data = xmalloc(size > 0 ? size : 1);
	for (i = 0; i < size; i++)
		data[i] = (uint8_t)(i % 251);
	pl_msg_nsend(&m, 1, PL_FAM_IPV4, PL_PROTO_TCP, 0, 0, NULL, 0, data, size);
	if ((n = pl_encode(&m, NULL, 0)) < 0)
		usage();
	msg = xmalloc((size_t)n);
	pl_encode(&m, msg, (size_t)n);
	if (writeall(0, msg, (size_t)n) == -1) {
		perror("write");
		return 1;
	}
	while (got < 0 && read_frame(frame, sizeof(frame), &type) == 1)
		if (type == PL_RESULT && pl_decode(frame, sizeof(frame), &m, NULL,
		    NULL) == PL_DEC_OK)
			got = m.u.result.errid;
	f = out_open(path);
	fprintf(f, "reply %d\n", got);
	if (f != stdout)
		fclose(f);
	free(msg);
	free(data);
	return got == 0 ? 0 : 1;
}

static int
answer(size_t size)
{
	static uint8_t	 frame[PL_HLEN + 0x20000];
	struct pl_msg	 m;
	uint8_t		*data, *msg, type;
	ssize_t		 n;

	data = xcalloc(1, size > 0 ? size : 1);
	if (size == 0)
		pl_msg_mread(&m, PL_SP_TIME, 8);
	else
		pl_msg_nsend(&m, 1, PL_FAM_IPV4, PL_PROTO_TCP, 0, 0, NULL, 0, data, size);
	if ((n = pl_encode(&m, NULL, 0)) < 0)
		usage();
	msg = xmalloc((size_t)n);
	pl_encode(&m, msg, (size_t)n);
	while (read_frame(frame, sizeof(frame), &type) == 1)
		if (writeall(0, msg, (size_t)n) == -1)
			break;
	free(msg);
	free(data);
	return 0;
}

static int
write_hex(const char *hex)
{
	uint8_t	 buf[4096];
	ssize_t	 n;

	if ((n = pl_unhex(hex, strlen(hex), buf, sizeof(buf))) < 0)
		usage();
	if (writeall(0, buf, (size_t)n) == -1)
		return 1;
	return hold();
}

static int
singleton(const char *path)
{
	FILE		*f = out_open(path);
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*c;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(4 * sizeof(int))];
	} cm;
	char		 data[128];
	ssize_t		 n;
	int		 fds, fd, i;

	setvbuf(f, NULL, _IOLBF, 0);
	for (;;) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = data;
		iov.iov_len = sizeof(data) - 1;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		n = recvmsg(0, &mh, MSG_CMSG_CLOEXEC);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			fprintf(f, "error %s\n", strerror(errno));
			return 1;
		}
		if (n == 0) {
			fprintf(f, "eof\n");
			return 0;
		}
		data[n] = '\0';
		fds = 0;
		for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			for (i = 0; (size_t)i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				close(fd);
				fds++;
			}
		}
		fprintf(f, "pass addr=%s datalen=%zd nul=%d fds=%d\n", data, n,
		    data[n - 1] == '\0', fds);
	}
}

int
main(int argc, char *argv[])
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "probe") == 0 && argc == 3)
		return probe(argv[2], argv[0]);
	if (strcmp(argv[1], "exit") == 0 && argc == 3)
		return atoi(argv[2]);
	if (strcmp(argv[1], "crash") == 0) {
		abort();
	}
	if (strcmp(argv[1], "sleep") == 0 && argc == 3) {
		sleep((unsigned)atoi(argv[2]));
		return 0;
	}
	if (strcmp(argv[1], "stubborn") == 0 && argc <= 3) {
		signal(SIGTERM, SIG_IGN);
		if (argc == 3)
			fclose(out_open(argv[2]));
		for (;;)
			pause();
	}
	if (strcmp(argv[1], "hold") == 0)
		return hold();
	if (strcmp(argv[1], "mread") == 0 && (argc == 3 || argc == 4))
		return mread(strtoul(argv[2], NULL, 10), argc == 4 ? argv[3] : NULL);
	if (strcmp(argv[1], "count") == 0 && (argc == 3 || argc == 4))
		return count(strtoul(argv[2], NULL, 10), argc == 4 ? argv[3] : NULL);
	if (strcmp(argv[1], "nsend") == 0 && (argc == 3 || argc == 4))
		return nsend(strtoul(argv[2], NULL, 10), argc == 4 ? argv[3] : NULL);
	if (strcmp(argv[1], "answer") == 0 && argc == 3)
		return answer(strtoul(argv[2], NULL, 10));
	if (strcmp(argv[1], "write") == 0 && argc == 3)
		return write_hex(argv[2]);
	if (strcmp(argv[1], "singleton") == 0 && argc == 3)
		return singleton(argv[2]);
	usage();
}
