/*
 * peer.c: the scripted fake endpoint, the program runner and the
 * singleton hand-over for tests (see peer.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "peer.h"
#include "vec.h"

#define HEX_SHOWN	96	/* bytes of a message quoted in an error */

enum step_kind {
	ST_EXPECT, ST_EXPECT_TYPE, ST_SEND, ST_SEND_SLOW, ST_SLEEP, ST_SHUT,
	ST_EOF, ST_QUIET,
};

struct step {
	enum step_kind	 kind;
	uint8_t		*bytes;
	size_t		 len;
	int		 bad;		/* the hex did not parse */
	int		 ms;
	uint8_t		 type;
	unsigned	 line;		/* script line, 0 when added in code */
};

struct peer {
	int		 fd;
	struct step	*steps;
	size_t		 nsteps, capsteps;
	unsigned	 line;		/* of the script being parsed */
	char		 err[768];
	char		*log;
	size_t		 loglen, logcap;
	pthread_t	 thread;
	int		 started;
	int		 timeout_ms;
	int		 result;
};

static struct step	*add(struct peer *, enum step_kind);
static void		 add_hex(struct peer *, enum step_kind, const char *);
static void		 add_bytes(struct peer *, enum step_kind, const uint8_t *, size_t);
static void		 logf_(struct peer *, const char *, ...)
			    __attribute__((format(printf, 2, 3)));
static void		 log_bytes(struct peer *, const char *, const uint8_t *, size_t);
static int		 fail(struct peer *, size_t, const char *, ...)
			    __attribute__((format(printf, 3, 4)));
static char		*hexstr(const uint8_t *, size_t, char *, size_t);
static int		 wait_in(struct peer *, int);
static int		 recv_exact(struct peer *, size_t, uint8_t *, size_t, int *);
static int		 recv_msg(struct peer *, size_t, uint8_t **, size_t *);
static int		 send_all(struct peer *, size_t, const uint8_t *, size_t);
static int		 run_step(struct peer *, size_t);
static void		*thread_main(void *);
static void		 sleep_ms(int);
static char		*slurp_file(const char *);

struct peer *
peer_new(int fd)
{
	struct peer	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		abort();
	p->fd = fd;
	return p;
}

void
peer_free(struct peer *p)
{
	size_t	 i;

	if (p == NULL)
		return;
	if (p->started)
		peer_join(p);
	for (i = 0; i < p->nsteps; i++)
		free(p->steps[i].bytes);
	free(p->steps);
	free(p->log);
	if (p->fd != -1)
		close(p->fd);
	free(p);
}

int
peer_fd(const struct peer *p)
{
	return p->fd;
}

static struct step *
add(struct peer *p, enum step_kind kind)
{
	struct step	*s;

	if (p->nsteps == p->capsteps) {
		p->capsteps = p->capsteps ? p->capsteps * 2 : 16;
		if ((p->steps = realloc(p->steps, p->capsteps * sizeof(*s))) == NULL)
			abort();
	}
	s = &p->steps[p->nsteps++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->line = p->line;
	return s;
}

static void
add_hex(struct peer *p, enum step_kind kind, const char *hex)
{
	struct step	*s = add(p, kind);

	if ((s->bytes = vec_unhex(hex, &s->len)) == NULL)
		s->bad = 1;
}

static void
add_bytes(struct peer *p, enum step_kind kind, const uint8_t *b, size_t len)
{
	struct step	*s = add(p, kind);

	if ((s->bytes = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(s->bytes, b, len);
	s->len = len;
}

void
peer_expect(struct peer *p, const char *hex)
{
	add_hex(p, ST_EXPECT, hex);
}

void
peer_expect_bytes(struct peer *p, const uint8_t *b, size_t len)
{
	add_bytes(p, ST_EXPECT, b, len);
}

void
peer_expect_type(struct peer *p, uint8_t type)
{
	add(p, ST_EXPECT_TYPE)->type = type;
}

void
peer_send(struct peer *p, const char *hex)
{
	add_hex(p, ST_SEND, hex);
}

void
peer_send_bytes(struct peer *p, const uint8_t *b, size_t len)
{
	add_bytes(p, ST_SEND, b, len);
}

void
peer_send_slow(struct peer *p, const char *hex, int gap_ms)
{
	add_hex(p, ST_SEND_SLOW, hex);
	p->steps[p->nsteps - 1].ms = gap_ms;
}

void
peer_sleep(struct peer *p, int ms)
{
	add(p, ST_SLEEP)->ms = ms;
}

void
peer_shutdown(struct peer *p)
{
	add(p, ST_SHUT);
}

void
peer_expect_eof(struct peer *p)
{
	add(p, ST_EOF);
}

void
peer_expect_quiet(struct peer *p, int ms)
{
	add(p, ST_QUIET)->ms = ms;
}

int
peer_script(struct peer *p, const char *text, char *why, size_t whylen)
{
	const char	*s = text, *nl;
	char		 line[8192], *l, *arg;
	size_t		 n;
	int		 ms;

	for (p->line = 1; *s != '\0'; p->line++, s = *nl ? nl + 1 : nl) {
		nl = strchr(s, '\n');
		if (nl == NULL)
			nl = s + strlen(s);
		n = (size_t)(nl - s);
		if (n >= sizeof(line)) {
			snprintf(why, whylen, "script line %u: too long", p->line);
			return -1;
		}
		memcpy(line, s, n);
		line[n] = '\0';
		if ((l = strchr(line, '#')) != NULL)
			*l = '\0';
		for (l = line; *l == ' ' || *l == '\t'; l++)
			;
		for (n = strlen(l); n > 0 && (l[n - 1] == ' ' || l[n - 1] == '\t' ||
		    l[n - 1] == '\r'); n--)
			l[n - 1] = '\0';
		if (*l == '\0')
			continue;
		arg = strchr(l, ' ');
		if (arg != NULL)
			*arg++ = '\0';
		ms = arg != NULL ? atoi(arg) : 0;
		if (strcmp(l, "mlet->ep") == 0 && arg != NULL &&
		    strncmp(arg, "type ", 5) == 0)
			peer_expect_type(p, (uint8_t)strtoul(arg + 5, NULL, 16));
		else if (strcmp(l, "mlet->ep") == 0 && arg != NULL)
			peer_expect(p, arg);
		else if (strcmp(l, "ep->mlet") == 0 && arg != NULL)
			peer_send(p, arg);
		else if (strcmp(l, "ep->mlet/slow") == 0 && arg != NULL)
			peer_send_slow(p, arg, 1);
		else if (strcmp(l, "sleep") == 0 && arg != NULL)
			peer_sleep(p, ms);
		else if (strcmp(l, "quiet") == 0 && arg != NULL)
			peer_expect_quiet(p, ms);
		else if (strcmp(l, "shut") == 0 && arg == NULL)
			peer_shutdown(p);
		else if (strcmp(l, "mlet") == 0 && arg != NULL && strcmp(arg, "EOF") == 0)
			peer_expect_eof(p);
		else {
			snprintf(why, whylen, "script line %u: cannot read \"%s%s%s\"",
			    p->line, l, arg ? " " : "", arg ? arg : "");
			p->line = 0;
			return -1;
		}
		if (p->nsteps > 0 && p->steps[p->nsteps - 1].bad) {
			snprintf(why, whylen, "script line %u: bad hex", p->line);
			p->line = 0;
			return -1;
		}
	}
	p->line = 0;
	return 0;
}

void
peer_transcript(struct peer *p, const struct vec_transcript *t)
{
	size_t	 i;

	for (i = 0; i < t->nmsg; i++) {
		if (t->msg[i].from_mlet)
			peer_expect_bytes(p, t->msg[i].bytes, t->msg[i].len);
		else
			peer_send_bytes(p, t->msg[i].bytes, t->msg[i].len);
	}
	if (t->mlet_eof)
		peer_expect_eof(p);
}

static void
logf_(struct peer *p, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(p->log + p->loglen, p->logcap - p->loglen, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < p->logcap - p->loglen) {
			p->loglen += (size_t)n;
			return;
		}
		p->logcap = (p->logcap + (size_t)n + 1) * 2;
		if ((p->log = realloc(p->log, p->logcap)) == NULL)
			abort();
	}
}

static char *
hexstr(const uint8_t *b, size_t len, char *out, size_t outlen)
{
	size_t	 i, o = 0;

	for (i = 0; i < len && o + 3 < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%02x", b[i]);
	if (i < len && o + 4 < outlen)
		snprintf(out + o, outlen - o, "...");
	else
		out[o] = '\0';
	return out;
}

static void
log_bytes(struct peer *p, const char *dir, const uint8_t *b, size_t len)
{
	char	*h;
	size_t	 i;

	if ((h = malloc(len * 2 + 1)) == NULL)
		abort();
	for (i = 0; i < len; i++)
		snprintf(h + 2 * i, 3, "%02x", b[i]);
	h[2 * len] = '\0';
	logf_(p, "%s %s\n", dir, h);
	free(h);
}

static int
fail(struct peer *p, size_t i, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	n = snprintf(p->err, sizeof(p->err), "step %zu", i + 1);
	if (p->steps[i].line != 0)
		n += snprintf(p->err + n, sizeof(p->err) - (size_t)n, " (script line %u)",
		    p->steps[i].line);
	n += snprintf(p->err + n, sizeof(p->err) - (size_t)n, ": ");
	va_start(ap, fmt);
	vsnprintf(p->err + n, sizeof(p->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* 1 readable, 0 timed out. */
static int
wait_in(struct peer *p, int ms)
{
	struct pollfd	 pfd;
	int		 r;

	pfd.fd = p->fd;
	pfd.events = POLLIN;
	do {
		r = poll(&pfd, 1, ms);
	} while (r == -1 && errno == EINTR);
	return r > 0;
}

/* 1 with n bytes, 0 at EOF before the first, -1 on error (reported). */
static int
recv_exact(struct peer *p, size_t i, uint8_t *buf, size_t n, int *got)
{
	ssize_t	 r;

	*got = 0;
	while ((size_t)*got < n) {
		if (!wait_in(p, p->timeout_ms))
			return fail(p, i, "nothing from the mlet within %d ms (%d of "
			    "%zu bytes came)", p->timeout_ms, *got, n);
		r = recv(p->fd, buf + *got, n - (size_t)*got, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return fail(p, i, "recv: %s", strerror(errno));
		if (r == 0)
			return 0;
		*got += (int)r;
	}
	return 1;
}

/* One whole message; 0 at a clean EOF. */
static int
recv_msg(struct peer *p, size_t i, uint8_t **msg, size_t *len)
{
	uint8_t		 hdr[4];
	uint32_t	 blen;
	int		 r, got;

	*msg = NULL;
	if ((r = recv_exact(p, i, hdr, 4, &got)) <= 0) {
		if (r == 0 && got > 0)
			return fail(p, i, "the mlet closed after %d header bytes", got);
		return r;
	}
	blen = ((uint32_t)hdr[1] << 16) | ((uint32_t)hdr[2] << 8) | hdr[3];
	if ((*msg = malloc(4 + (size_t)blen)) == NULL)
		abort();
	memcpy(*msg, hdr, 4);
	*len = 4 + (size_t)blen;
	if ((r = recv_exact(p, i, *msg + 4, blen, &got)) <= 0) {
		free(*msg);
		*msg = NULL;
		if (r == 0)
			return fail(p, i, "the mlet closed in the middle of a message "
			    "(%d of %u body bytes)", got, blen);
		return r;
	}
	return 1;
}

static int
send_all(struct peer *p, size_t i, const uint8_t *b, size_t len)
{
	ssize_t	 r;
	size_t	 off = 0;

	while (off < len) {
		r = send(p->fd, b + off, len - off, MSG_NOSIGNAL);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return fail(p, i, "send: %s", strerror(errno));
		off += (size_t)r;
	}
	return 0;
}

static void
sleep_ms(int ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
run_step(struct peer *p, size_t i)
{
	struct step	*s = &p->steps[i];
	char		 h1[2 * HEX_SHOWN + 4], h2[2 * HEX_SHOWN + 4];
	uint8_t		*msg, c;
	size_t		 len, k;
	ssize_t		 r;
	int		 rr;

	if (s->bad)
		return fail(p, i, "bad hex in the script");
	switch (s->kind) {
	case ST_EXPECT:
	case ST_EXPECT_TYPE:
		if ((rr = recv_msg(p, i, &msg, &len)) < 0)
			return -1;
		if (rr == 0)
			return fail(p, i, "the mlet closed the session; expected %s",
			    s->kind == ST_EXPECT ? hexstr(s->bytes, s->len, h1,
			    sizeof(h1)) : "a message");
		log_bytes(p, "mlet->ep", msg, len);
		if (s->kind == ST_EXPECT_TYPE ? msg[0] != s->type :
		    (len != s->len || memcmp(msg, s->bytes, len) != 0)) {
			if (s->kind == ST_EXPECT_TYPE)
				snprintf(h2, sizeof(h2), "type %02x", s->type);
			else
				hexstr(s->bytes, s->len, h2, sizeof(h2));
			fail(p, i, "the mlet sent %s\n  expected %s",
			    hexstr(msg, len, h1, sizeof(h1)), h2);
			free(msg);
			return -1;
		}
		free(msg);
		return 0;
	case ST_SEND:
		log_bytes(p, "ep->mlet", s->bytes, s->len);
		return send_all(p, i, s->bytes, s->len);
	case ST_SEND_SLOW:
		log_bytes(p, "ep->mlet", s->bytes, s->len);
		for (k = 0; k < s->len; k++) {
			if (send_all(p, i, s->bytes + k, 1) == -1)
				return -1;
			sleep_ms(s->ms);
		}
		return 0;
	case ST_SLEEP:
		sleep_ms(s->ms);
		return 0;
	case ST_SHUT:
		logf_(p, "ep shut\n");
		if (shutdown(p->fd, SHUT_WR) == -1)
			return fail(p, i, "shutdown: %s", strerror(errno));
		return 0;
	case ST_EOF:
		if ((rr = recv_msg(p, i, &msg, &len)) < 0)
			return -1;
		if (rr == 1) {
			log_bytes(p, "mlet->ep", msg, len);
			fail(p, i, "expected EOF, the mlet sent %s",
			    hexstr(msg, len, h1, sizeof(h1)));
			free(msg);
			return -1;
		}
		logf_(p, "mlet EOF\n");
		return 0;
	case ST_QUIET:
		if (!wait_in(p, s->ms))
			return 0;
		r = recv(p->fd, &c, 1, MSG_PEEK);
		if (r == 0)
			return fail(p, i, "expected quiet, the mlet closed the session");
		return fail(p, i, "expected quiet for %d ms, the mlet sent data", s->ms);
	}
	return fail(p, i, "unknown step");
}

int
peer_run(struct peer *p, int step_timeout_ms)
{
	size_t	 i;

	p->timeout_ms = step_timeout_ms;
	p->err[0] = '\0';
	for (i = 0; i < p->nsteps; i++)
		if (run_step(p, i) == -1)
			return p->result = -1;
	return p->result = 0;
}

static void *
thread_main(void *arg)
{
	struct peer	*p = arg;

	peer_run(p, p->timeout_ms);
	return NULL;
}

int
peer_start(struct peer *p, int step_timeout_ms)
{
	p->timeout_ms = step_timeout_ms;
	if (pthread_create(&p->thread, NULL, thread_main, p) != 0)
		return -1;
	p->started = 1;
	return 0;
}

int
peer_join(struct peer *p)
{
	if (p->started) {
		pthread_join(p->thread, NULL);
		p->started = 0;
	}
	return p->result;
}

const char *
peer_error(const struct peer *p)
{
	return p->err;
}

const char *
peer_log(const struct peer *p)
{
	return p->log != NULL ? p->log : "";
}

int
peer_socketpair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
}

int
peer_handoff(int sock, const void *data, size_t len, int fd)
{
	return peer_handoff_fds(sock, data, len, &fd, fd >= 0 ? 1 : 0);
}

int
peer_handoff_fds(int sock, const void *data, size_t len, const int *fds, size_t nfd)
{
	union {
		struct cmsghdr	 h;
		char		 buf[CMSG_SPACE(8 * sizeof(int))];
	}		 cbuf;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*c;
	ssize_t		 r;

	if (nfd > 8) {
		errno = EINVAL;
		return -1;
	}
	memset(&mh, 0, sizeof(mh));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfd > 0) {
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfd * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfd * sizeof(int));
	}
	do {
		r = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (r == -1 && errno == EINTR);
	if (r == -1)
		return -1;
	if ((size_t)r != len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int
peer_spawn(struct peer_proc *pp, const char *path, char *const argv[],
    char *const envp[], int fd0, int flags)
{
	static char *const	 empty[] = { NULL };
	posix_spawn_file_actions_t fa;
	const char		*tmp = getenv("TMPDIR");
	int			 fd, r;

	memset(pp, 0, sizeof(*pp));
	pp->pid = -1;
	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(pp->outpath, sizeof(pp->outpath), "%.40s/pl-out-XXXXXX", tmp);
	snprintf(pp->errpath, sizeof(pp->errpath), "%.40s/pl-err-XXXXXX", tmp);
	if ((fd = mkstemp(pp->outpath)) == -1)
		return -1;
	close(fd);
	if ((fd = mkstemp(pp->errpath)) == -1)
		return -1;
	close(fd);
	posix_spawn_file_actions_init(&fa);
	if (fd0 >= 0)
		posix_spawn_file_actions_adddup2(&fa, fd0, 0);
	else
		posix_spawn_file_actions_addclose(&fa, 0);
	if (flags & PEER_CLOSE_STDOUT)
		posix_spawn_file_actions_addclose(&fa, 1);
	else
		posix_spawn_file_actions_addopen(&fa, 1, pp->outpath, O_WRONLY | O_TRUNC, 0);
	if (flags & PEER_CLOSE_STDERR)
		posix_spawn_file_actions_addclose(&fa, 2);
	else
		posix_spawn_file_actions_addopen(&fa, 2, pp->errpath, O_WRONLY | O_TRUNC, 0);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	r = posix_spawn(&pp->pid, path, &fa, NULL, argv, envp != NULL ? envp : empty);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		errno = r;
		pp->pid = -1;
		return -1;
	}
	return 0;
}

static char *
slurp_file(const char *path)
{
	FILE	*f;
	char	*b;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (n < 0 || (b = malloc((size_t)n + 1)) == NULL)
		abort();
	b[fread(b, 1, (size_t)n, f)] = '\0';
	fclose(f);
	return b;
}

int
peer_wait(struct peer_proc *pp, int timeout_ms)
{
	int	 st, waited = 0, ret = 0;
	pid_t	 r;

	if (pp->pid == -1)
		return -1;
	for (;;) {
		r = waitpid(pp->pid, &st, WNOHANG);
		if (r == pp->pid)
			break;
		if (r == -1 && errno != EINTR)
			return -1;
		if (waited >= timeout_ms) {
			kill(pp->pid, SIGKILL);
			while (waitpid(pp->pid, &st, 0) == -1 && errno == EINTR)
				;
			ret = -1;
			break;
		}
		sleep_ms(5);
		waited += 5;
	}
	pp->pid = -1;
	pp->exited = WIFEXITED(st);
	pp->code = WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st);
	free(pp->out);
	free(pp->err);
	pp->out = slurp_file(pp->outpath);
	pp->err = slurp_file(pp->errpath);
	return ret;
}

void
peer_proc_free(struct peer_proc *pp)
{
	if (pp->pid != -1) {
		kill(pp->pid, SIGKILL);
		waitpid(pp->pid, NULL, 0);
		pp->pid = -1;
	}
	if (pp->outpath[0] != '\0')
		unlink(pp->outpath);
	if (pp->errpath[0] != '\0')
		unlink(pp->errpath);
	free(pp->out);
	free(pp->err);
	pp->out = pp->err = NULL;
}

char *
peer_mlet_path(const char *name)
{
	const char	*dir = getenv("PL_MLET_DIR");
	char		*p;

	if (dir == NULL)
		dir = "example_mlets";
	if (asprintf(&p, "%s/%s", dir, name) == -1)
		abort();
	return p;
}
