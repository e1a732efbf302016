/*
 * mlet.c: the one place that starts and reaps children.  Each mlet is
 * started with posix_spawn (no fork of a large parent), gets its socket as
 * fd 0 and nothing else, and is reaped from the SIGCHLD event; a table keyed
 * by pid tells its owner.  Also the singleton mlet of -s: one child fed one
 * socket per endpoint over SCM_RIGHTS (protocol spec §13.3).
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "util/log.h"
#include "util/util.h"
#include "conf/xpconf.h"
#include "xpmgr/daemon.h"

static void	 singleton_read(evutil_socket_t fd, short ev, void *arg);
static void	 singleton_write(evutil_socket_t fd, short ev, void *arg);
static void	 singleton_exited(void *arg, pid_t pid, int status);
static int	 singleton_send(struct xpd *d, int fd, const char *epaddr);

/*
 * Live children by pid.  A fixed power-of-two bucket array keeps lookups
 * O(1) on average for thousands of mlets without any resizing logic.
 */
#define CHILD_BUCKETS	4096
struct child {
	SLIST_ENTRY(child)	 entry;
	pid_t			 pid;
	xp_child_cb		 cb;
	void			*arg;
};
SLIST_HEAD(childlist, child);
static struct childlist	 children[CHILD_BUCKETS];
static size_t		 nchildren;

int
xp_spawn(const char *path, char *const argv[], int fd, const char *epaddr,
    const int outfds[2], pid_t *pid)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 at;
	sigset_t			 def, none;
	char				 env0[8 + XP_EPADDR_MAX];
	char				*envp[2];
	int				 r;

	/*
	 * The daemon keeps /dev/null on fd 0, so a socket is never 0 and the
	 * dup2 below always copies (a dup2 onto itself would keep CLOEXEC).
	 */
	if (fd <= 0)
		return EINVAL;
	envp[0] = envp[1] = NULL;
	if (epaddr != NULL && epaddr[0] != '\0') {
		snprintf(env0, sizeof(env0), "EPADDR=%s", epaddr);
		envp[0] = env0;
	}
	if ((r = posix_spawn_file_actions_init(&fa)) != 0)
		return r;
	if ((r = posix_spawnattr_init(&at)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return r;
	}
	/*
	 * Our own descriptors are all close-on-exec; closefrom also stops any
	 * that pktxpmgr inherited from its parent: only 0, 1, 2 reach the mlet.
	 */
	r = posix_spawn_file_actions_adddup2(&fa, fd, 0);
	/* -o: the results files (opened close-on-exec, above 2 like fd). */
	if (r == 0 && outfds != NULL && outfds[0] > 2)
		r = posix_spawn_file_actions_adddup2(&fa, outfds[0], 1);
	if (r == 0 && outfds != NULL && outfds[1] > 2)
		r = posix_spawn_file_actions_adddup2(&fa, outfds[1], 2);
	if (r == 0)
		r = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	/*
	 * Default dispositions, except SIGPIPE: 1.1.0 mlets inherit it ignored
	 * and may rely on write() failing with EPIPE rather than dying.  No
	 * new process group: a terminal's Ctrl-C reaches the mlets as in 1.1.0.
	 */
	sigfillset(&def);
	sigdelset(&def, SIGPIPE);
	sigemptyset(&none);
	if (r == 0)
		r = posix_spawnattr_setsigdefault(&at, &def);
	if (r == 0)
		r = posix_spawnattr_setsigmask(&at, &none);
	if (r == 0)
		r = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF |
		    POSIX_SPAWN_SETSIGMASK);
	if (r == 0)
		r = posix_spawn(pid, path, &fa, &at, argv, envp);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return r;
}

void
xp_close_fds(int fds[2])
{
	int	 i;

	for (i = 0; i < 2; i++)
		if (fds[i] != -1) {
			close(fds[i]);
			fds[i] = -1;
		}
}

static struct childlist *
child_bucket(pid_t pid)
{
	return &children[(unsigned)pid & (CHILD_BUCKETS - 1)];
}

static struct child *
child_find(pid_t pid)
{
	struct child	*c;

	SLIST_FOREACH(c, child_bucket(pid), entry)
		if (c->pid == pid)
			return c;
	return NULL;
}

void
xp_children_add(pid_t pid, xp_child_cb cb, void *arg)
{
	struct child	*c;

	c = xcalloc(1, sizeof(*c));
	c->pid = pid;
	c->cb = cb;
	c->arg = arg;
	SLIST_INSERT_HEAD(child_bucket(pid), c, entry);
	nchildren++;
}

void
xp_children_detach(pid_t pid)
{
	struct child	*c;

	if ((c = child_find(pid)) != NULL) {
		c->cb = NULL;
		c->arg = NULL;
	}
}

size_t
xp_children_count(void)
{
	return nchildren;
}

static void
child_done(pid_t pid, int status)
{
	struct child	*c;
	char		 st[64];

	if ((c = child_find(pid)) == NULL) {
		log_debug("reaped unknown child %ld (%s)", (long)pid,
		    xp_wstatus(status, st, sizeof(st)));
		return;
	}
	SLIST_REMOVE(child_bucket(pid), c, child, entry);
	nchildren--;
	if (c->cb != NULL)
		c->cb(c->arg, pid, status);
	else
		log_info("mlet pid %ld: %s", (long)pid, xp_wstatus(status, st, sizeof(st)));
	free(c);
}

void
xp_children_reap(void)
{
	pid_t	 pid;
	int	 status;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		child_done(pid, status);
	}
}

void
xp_children_reap_all(void)
{
	pid_t	 pid;
	int	 status;

	while (nchildren > 0) {
		pid = waitpid(-1, &status, 0);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid == -1)
			break;
		child_done(pid, status);
	}
}

void
xp_children_signal(int sig)
{
	struct child	*c;
	size_t		 i;

	for (i = 0; i < CHILD_BUCKETS; i++)
		SLIST_FOREACH(c, &children[i], entry)
			kill(c->pid, sig);
}

/*
 * The singleton: started once with an empty environment; its fd 0 is our
 * control socket, on which it must never write.
 */
int
xp_singleton_start(struct xpd *d, char *why, size_t whylen)
{
	int	 sv[2], out[2], r;

	if (xp_results_mlet_fds(d, NULL, out, why, whylen) == -1)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		snprintf(why, whylen, "socketpair: %s", strerror(errno));
		xp_close_fds(out);
		return -1;
	}
	if (pl_set_nonblock(sv[0]) == -1) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		xp_close_fds(out);
		return -1;
	}
	r = xp_spawn(d->conf->mlet, d->conf->mlet_argv, sv[1], NULL, out, &d->sg_pid);
	close(sv[1]);
	xp_close_fds(out);
	if (r != 0) {
		snprintf(why, whylen, "cannot run singleton mlet %s: %s", d->conf->mlet,
		    strerror(r));
		close(sv[0]);
		return -1;
	}
	xp_children_add(d->sg_pid, singleton_exited, d);
	d->sg_fd = sv[0];
	d->sg_rev = event_new(d->base, d->sg_fd, EV_READ | EV_PERSIST, singleton_read, d);
	d->sg_wev = event_new(d->base, d->sg_fd, EV_WRITE | EV_PERSIST, singleton_write, d);
	if (d->sg_rev == NULL || d->sg_wev == NULL)
		fatalx("event_new failed");
	if (event_add(d->sg_rev, NULL) == -1) {
		snprintf(why, whylen, "cannot watch the singleton mlet's socket: %s",
		    strerror(errno));
		xp_singleton_close(d);
		return -1;
	}
	log_info("singleton mlet %s started (pid %ld)", d->conf->mlet, (long)d->sg_pid);
	return 0;
}

/* Readable control socket: EOF (the singleton is gone) or a protocol error. */
static void
singleton_read(evutil_socket_t fd, short ev, void *arg)
{
	struct xpd	*d = arg;
	uint8_t		 buf[256];
	ssize_t		 n;

	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		log_warnx("singleton mlet wrote %zd bytes to its control socket; "
		    "a singleton-mode mlet never writes there (is %s meant for -s?)",
		    n, d->conf->mlet);
		d->exit_code = 1;
	} else if (n == 0)
		log_info("singleton mlet closed its control socket");
	else
		log_warn("singleton mlet control socket");
	xp_singleton_close(d);
	xpd_wrapup(d, "the singleton mlet is gone");
}

static void
singleton_exited(void *arg, pid_t pid, int status)
{
	struct xpd	*d = arg;
	char		 st[64];

	d->sg_reaped = 1;
	xp_wstatus(status, st, sizeof(st));
	if (d->sg_expected_exit)
		log_info("singleton mlet (pid %ld) ended: %s", (long)pid, st);
	else {
		log_warnx("singleton mlet (pid %ld) ended unexpectedly: %s", (long)pid, st);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			d->exit_code = 1;
	}
	xp_singleton_close(d);
	xpd_wrapup(d, "the singleton mlet ended");
	xpd_maybe_done(d);
}

void
xp_singleton_pass(struct xpd *d, int fd, const char *epaddr)
{
	struct xp_pass	*p;

	if (d->sg_fd == -1) {
		close(fd);
		return;
	}
	if (STAILQ_EMPTY(&d->sg_queue) && singleton_send(d, fd, epaddr) != 0)
		return;
	/* Busy (its socket buffer is full): keep order, send when writable. */
	p = xcalloc(1, sizeof(*p));
	p->fd = fd;
	pl_strlcpy(p->epaddr, epaddr, sizeof(p->epaddr));
	STAILQ_INSERT_TAIL(&d->sg_queue, p, entry);
	if (event_add(d->sg_wev, NULL) == -1) {
		log_warn("cannot watch the singleton mlet's socket");
		d->exit_code = 1;
		xp_singleton_close(d);
		xpd_wrapup(d, "the singleton mlet's socket cannot be watched");
	}
}

static void
singleton_write(evutil_socket_t fd, short ev, void *arg)
{
	struct xpd	*d = arg;
	struct xp_pass	*p;

	while ((p = STAILQ_FIRST(&d->sg_queue)) != NULL) {
		if (singleton_send(d, p->fd, p->epaddr) == 0)
			return;
		STAILQ_REMOVE_HEAD(&d->sg_queue, entry);
		free(p);
		if (d->sg_fd == -1)
			return;
	}
	event_del(d->sg_wev);
}

/*
 * One sendmsg: data = the address and its NUL (or a lone NUL), control =
 * exactly one SCM_RIGHTS descriptor.  Returns 0 when the socket is full
 * (try again later), 1 when the descriptor is dealt with (sent or given
 * up); our copy is closed then.
 */
static int
singleton_send(struct xpd *d, int fd, const char *epaddr)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct cmsghdr	*c;
	char		 data[XP_EPADDR_MAX + 1];
	size_t		 len;
	ssize_t		 n;

	len = pl_strlcpy(data, epaddr != NULL ? epaddr : "", sizeof(data)) + 1;
	if (len > XP_EPADDR_MAX) {
		data[0] = '\0';
		len = 1;
	}
	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = data;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));

	do
		n = sendmsg(d->sg_fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n == -1)
		log_warn("cannot pass a session to the singleton mlet");
	else if ((size_t)n != len)
		/* The descriptor went with the first byte; the rest is lost. */
		log_warnx("singleton control socket took %zd of %zu address bytes", n, len);
	close(fd);
	return 1;
}

void
xp_singleton_close(struct xpd *d)
{
	struct xp_pass	*p;

	while ((p = STAILQ_FIRST(&d->sg_queue)) != NULL) {
		STAILQ_REMOVE_HEAD(&d->sg_queue, entry);
		close(p->fd);
		free(p);
	}
	if (d->sg_rev != NULL) {
		event_free(d->sg_rev);
		d->sg_rev = NULL;
	}
	if (d->sg_wev != NULL) {
		event_free(d->sg_wev);
		d->sg_wev = NULL;
	}
	if (d->sg_fd != -1) {
		close(d->sg_fd);
		d->sg_fd = -1;
	}
}
