/*
 * test_single_mlet: the singleton mlet of pktxpmgr -s (protocol spec
 * §13.3, §14.5).
 *
 *   pktxpmgr -s test_single_mlet REAL_MLET [ARGS...]
 *
 * Receives each endpoint from pktxpmgr on fd 0 (its address and one
 * descriptor) and starts REAL_MLET for it the way pktxpmgr itself would:
 * argv[0] the basename, fd 0 the endpoint's socket, environment only
 * EPADDR.  Finished children are reaped as they exit (1.1.0 left them as
 * zombies).  Exits 0 when pktxpmgr closes fd 0; never writes to it.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pktlab/mlet.h>

static void	 reap(int);
static int	 recv_code(int);
static void	 spawn(const char *, char *[], const char *, int);

/* Async-signal-safe: only waitpid, and errno is kept. */
static void
reap(int sig)
{
	int	 saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = saved;
}

/* The numbers 1.1.0 printed for each way the receive could fail. */
static int
recv_code(int status)
{
	switch (status) {
	case PL_MLET_SYS:
		return -1;
	case PL_MLET_NOFD:
		return -3;
	case PL_MLET_TOOLONG:
		return -4;
	}
	return -2;
}

static void
spawn(const char *path, char *argv[], const char *addr, int fd)
{
	posix_spawn_file_actions_t	 fa;
	char				 env0[16 + PL_MLET_EPADDR_MAX];
	char				*envp[2] = { NULL, NULL };
	pid_t				 pid;
	int				 r;

	if (addr[0] != '\0') {
		snprintf(env0, sizeof(env0), "EPADDR=%s", addr);
		envp[0] = env0;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, 0);
	r = posix_spawn(&pid, path, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		fprintf(stderr, "Cannot run %s: %s\n", path, strerror(r));
}

int
main(int argc, char *argv[])
{
	struct pl_mlet_error	 err;
	struct sigaction	 sa;
	char			 addr[PL_MLET_EPADDR_MAX];
	char			*path, *base;
	int			 fd, r;

	if (argc < 2) {
		fprintf(stderr, "At least 1 argument must be provided\n");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = reap;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);

	/* The children's argv: argv[1..], the first cut to its basename. */
	path = argv[1];
	base = strrchr(path, '/');
	argv[1] = base != NULL ? base + 1 : path;
	for (;;) {
		r = pl_mlet_recv_endpoint(0, &fd, addr, &err);
		if (r == 0) {
			fprintf(stderr, "Detected xpmgr EOF\n");
			return 0;
		}
		if (r == PL_MLET_BADFD) {
			fprintf(stderr, "Got invalid new fd: %d\n", fd);
			return 1;
		}
		if (r < 0) {
			fprintf(stderr, "Failed to receive new fd (%d)\n", recv_code(r));
			fprintf(stderr, "Failed with %s\n", r == PL_MLET_SYS ?
			    strerror(err.sys_errno) : err.text);
			return 1;
		}
		fprintf(stderr, "Got new fd %d, spawning mlet\n", fd);
		spawn(path, argv + 1, addr, fd);
		close(fd);
	}
}
