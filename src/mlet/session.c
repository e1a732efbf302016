/*
 * session.c: the mlet session: reading and writing the message stream on
 * the socket pktxpmgr handed over, matching replies to requests first in,
 * first out (spec §2, §12.4), the notification queue, the end-of-session
 * rules of ERRATA 6, and the error reports.
 *
 * Bytes are read as they come but decoded one message at a time, only when
 * a wait needs the next one.  So when a reply is handed out, the queue
 * holds exactly the notifications that arrived before it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mlet_int.h"

#define IN_CHUNK	65536		/* first size of the input buffer */
#define IN_MIN_ROOM	4096		/* free space wanted before a read */
#define IN_HOLD_MAX	(64u << 20)	/* read-ahead while blocked writing */
#define WHY_MAX		160		/* room for the decoder's reason */

static int64_t		 now_ms(void);
static int64_t		 deadline_of(int);
static int		 left_ms(int64_t);
static void		 set_ending(struct pl_mlet *, int, const char *, ...)
			    __attribute__((format(printf, 3, 4)));
static int		 end_fail(struct pl_mlet *, const char *);
static int		 sys_fail(struct pl_mlet *, const char *, const char *);
static int		 in_room(struct pl_mlet *, size_t);
static int		 slurp(struct pl_mlet *, const char *);
static int		 fill(struct pl_mlet *, int64_t, const char *);
static int		 write_all(struct pl_mlet *, const uint8_t *, size_t, int64_t,
			    const char *);
static struct pl_mlet_msg *msg_new(const uint8_t *, size_t, pl_time_t);
static int		 dispatch(struct pl_mlet *, struct pl_mlet_msg **, const char *);
static void		 on_reply(struct pl_mlet *, struct pl_mlet_msg *);
static void		 note_result(struct pl_mlet *, const struct pending *, uint16_t);
static void		 unsolicited(struct pl_mlet *, const struct pl_mlet_msg *);
static int		 pump(struct pl_mlet *, int64_t, const char *, struct pl_mlet_msg **);
static int		 wants_reply(uint8_t);
static int		 send_msg(struct pl_mlet *, const struct pl_msg *, int64_t,
			    const char *, uint64_t *);
static struct pending	*pending_find(struct pl_mlet *, uint64_t);
static void		 pending_unlink(struct pl_mlet *, struct pending *);
static int		 wait_reply(struct pl_mlet *, uint64_t, int64_t, const char *,
			    struct pl_mlet_msg **);
static int		 check_reply(struct pl_mlet *, const char *, const struct pl_msg *,
			    const struct pl_mlet_msg *);
static int		 matches(const struct pl_mlet_msg *, const struct pl_mlet_match *);
static void		 queue_append(struct pl_mlet *, struct pl_mlet_msg *);
static void		 queue_remove(struct pl_mlet *, struct pl_mlet_msg *);
static int		 deliver(struct pl_mlet *, struct pl_mlet_msg *, const char *,
			    struct pl_mlet_msg **);
static int		 wait_match(struct pl_mlet *, const struct pl_mlet_match *, int,
			    const char *, struct pl_mlet_msg **);
static int		 wait_for(struct pl_mlet *, int, int, int, int, int,
			    struct pl_mlet_msg **);

const char *
pl_mlet_status_str(int status)
{
	switch (status) {
	case PL_MLET_OK:		return "success";
	case PL_MLET_ERRID:		return "endpoint answered with an error";
	case PL_MLET_EOF:		return "endpoint closed the session";
	case PL_MLET_ENDED:		return "the session is ending";
	case PL_MLET_TIMEOUT:		return "timed out";
	case PL_MLET_SYS:		return "system error";
	case PL_MLET_MALFORMED:		return "malformed message from pktxpmgr";
	case PL_MLET_UNEXPECTED:	return "unexpected reply";
	case PL_MLET_PROTO:		return "protocol violation by the peer";
	case PL_MLET_INVAL:		return "invalid argument";
	case PL_MLET_NOMEM:		return "out of memory";
	case PL_MLET_NOFD:		return "address string without a descriptor";
	case PL_MLET_TOOLONG:		return "address string too long";
	case PL_MLET_BADFD:		return "descriptor landed on a standard fd";
	}
	return "unknown status";
}

void
mlet_error_set(struct pl_mlet_error *e, int code, int sys_errno, const char *fmt,
    va_list ap)
{
	memset(e, 0, sizeof(*e));
	e->code = code;
	e->sys_errno = sys_errno;
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
}

int
mlet_fail(struct pl_mlet *m, int code, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	mlet_error_set(&m->err, code, 0, fmt, ap);
	va_end(ap);
	return code;
}

const char *
mlet_type_str(uint8_t type, char buf[8])
{
	const char	*name = pl_type_name(type);

	if (name != NULL)
		return name;
	snprintf(buf, 8, "0x%02x", type);
	return buf;
}

/* A non-zero result, said the way a user can act on. */
int
mlet_fail_errid(struct pl_mlet *m, const char *op, const struct pl_msg *res)
{
	uint16_t	 errid = res->u.result.errid;
	const char	*name = pl_err_name(errid);
	char		 mon[64] = "", idbuf[8];

	if (errid == PL_ECTLMONREJ)
		snprintf(mon, sizeof(mon), " by monitor %u with error %u",
		    res->u.result.monindx, res->u.result.monerrid);
	else if (errid == PL_ECTLMONUKN)
		snprintf(mon, sizeof(mon), " (monitor %u)", res->u.result.monindx);
	if (name == NULL) {
		snprintf(idbuf, sizeof(idbuf), "0x%04x", errid);
		name = idbuf;
	}
	mlet_fail(m, PL_MLET_ERRID, "%s: endpoint answered %s (%s)%s%s", op, name,
	    pl_err_str(errid), mon, m->ending ? "; the session is ending" : "");
	m->err.errid = errid;
	m->err.monindx = res->u.result.monindx;
	m->err.monerrid = res->u.result.monerrid;
	m->err.msgtype = PL_RESULT;
	return PL_MLET_ERRID;
}

struct pl_mlet *
pl_mlet_new(int fd, const char *epaddr)
{
	struct pl_mlet	*m;
	int		 type;
	socklen_t	 sl = sizeof(type);

	if (fd < 0 || fcntl(fd, F_GETFD) == -1) {
		errno = EBADF;
		return NULL;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &sl) == -1)
		return NULL;		/* ENOTSOCK */
	if (type != SOCK_STREAM) {
		errno = EPROTOTYPE;
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	TAILQ_INIT(&m->queue);
	TAILQ_INIT(&m->pending);
	/* Never NULL, so that in + inoff is always defined. */
	if ((m->in = malloc(IN_CHUNK)) == NULL ||
	    (epaddr != NULL && (m->epaddr = strdup(epaddr)) == NULL)) {
		free(m->in);
		free(m);
		return NULL;
	}
	m->incap = IN_CHUNK;
	m->fd = fd;
	m->timeout_ms = -1;
	return m;
}

struct pl_mlet *
pl_mlet_from_env(void)
{
	const char	*ep = getenv("EPADDR");

	if (ep == NULL) {
		errno = ENOENT;
		return NULL;
	}
	return pl_mlet_new(0, ep);
}

void
pl_mlet_free(struct pl_mlet *m)
{
	struct pl_mlet_msg	*pm;
	struct pending		*p;

	if (m == NULL)
		return;
	while ((pm = TAILQ_FIRST(&m->queue)) != NULL) {
		TAILQ_REMOVE(&m->queue, pm, entry_);
		pl_mlet_msg_free(pm);
	}
	while ((p = TAILQ_FIRST(&m->pending)) != NULL) {
		TAILQ_REMOVE(&m->pending, p, entry);
		pl_mlet_msg_free(p->reply);
		free(p);
	}
	free(m->in);
	free(m->out);
	free(m->epaddr);
	free(m);
}

int
pl_mlet_close(struct pl_mlet *m)
{
	int	 fd;

	if (m == NULL)
		return 0;
	fd = m->fd;
	pl_mlet_free(m);
	return close(fd);
}

int
pl_mlet_fd(const struct pl_mlet *m)
{
	return m->fd;
}

const char *
pl_mlet_epaddr(const struct pl_mlet *m)
{
	return m->epaddr;
}

void
pl_mlet_set_timeout(struct pl_mlet *m, int ms)
{
	m->timeout_ms = ms < 0 ? -1 : ms;
}

const struct pl_mlet_error *
pl_mlet_error(const struct pl_mlet *m)
{
	return &m->err;
}

const char *
pl_mlet_strerror(const struct pl_mlet *m)
{
	return m->err.code == 0 ? "no error" : m->err.text;
}

int
pl_mlet_ending(const struct pl_mlet *m)
{
	return m->ending;
}

void
pl_mlet_msg_free(struct pl_mlet_msg *pm)
{
	free(pm);
}

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* What poll() should wait: -1 without a deadline, 0 once it passed. */
static int
left_ms(int64_t deadline)
{
	int64_t	 left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

static void
set_ending(struct pl_mlet *m, int code, const char *fmt, ...)
{
	va_list	 ap;

	if (m->ending)
		return;
	m->ending = 1;
	m->end_code = code;
	va_start(ap, fmt);
	vsnprintf(m->end_text, sizeof(m->end_text), fmt, ap);
	va_end(ap);
}

static int
end_fail(struct pl_mlet *m, const char *op)
{
	return mlet_fail(m, m->end_code, "%s: %s", op, m->end_text);
}

static int
sys_fail(struct pl_mlet *m, const char *op, const char *call)
{
	int	 e = errno;

	mlet_fail(m, PL_MLET_SYS, "%s: %s on fd %d: %s", op, call, m->fd, strerror(e));
	m->err.sys_errno = e;
	return PL_MLET_SYS;
}

/* Make room for want more bytes after in[inlen], compacting first. */
static int
in_room(struct pl_mlet *m, size_t want)
{
	uint8_t	*n;
	size_t	 cap;

	if (m->inoff > 0 && m->incap - m->inlen < want) {
		memmove(m->in, m->in + m->inoff, m->inlen - m->inoff);
		m->inlen -= m->inoff;
		m->inoff = 0;
	}
	if (m->incap - m->inlen >= want)
		return 0;
	cap = m->incap;
	while (cap - m->inlen < want)
		cap *= 2;
	if ((n = realloc(m->in, cap)) == NULL)
		return -1;
	m->in = n;
	m->incap = cap;
	return 0;
}

/* One non-blocking read into the input buffer: the byte count (0 at EOF
 * or when nothing was there), or an error. */
static int
slurp(struct pl_mlet *m, const char *op)
{
	ssize_t	 n;

	if (in_room(m, IN_MIN_ROOM) == -1)
		return mlet_fail(m, PL_MLET_NOMEM, "%s: out of memory for input", op);
	n = recv(m->fd, m->in + m->inlen, m->incap - m->inlen, MSG_DONTWAIT);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno == ECONNRESET) {
			set_ending(m, PL_MLET_EOF, "endpoint closed the session "
			    "(connection reset)");
			m->eof = 1;
			return end_fail(m, op);
		}
		return sys_fail(m, op, "recv");
	}
	if (n == 0) {
		m->eof = 1;
		return 0;
	}
	m->inlen += (size_t)n;
	m->rxtime = pl_time_now();
	return (int)n;
}

/* Wait until more bytes (or EOF) came in. */
static int
fill(struct pl_mlet *m, int64_t deadline, const char *op)
{
	struct pollfd	 pfd;
	int		 r = 0;

	/* The buffer grows as bytes come, not as a header announces them:
	 * a peer's length field alone never costs 16 MiB. */
	while (!m->eof && r == 0) {
		pfd.fd = m->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, left_ms(deadline));
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return sys_fail(m, op, "poll");
		}
		if (r == 0)
			return mlet_fail(m, PL_MLET_TIMEOUT, "%s: timed out", op);
		if ((r = slurp(m, op)) < 0)
			return r;
	}
	return 0;
}

/*
 * Write a whole message.  While the socket is full, keep reading: the
 * endpoint stops reading requests while its own output is stuck (spec §2),
 * so a writer that does not read can deadlock both sides.
 */
static int
write_all(struct pl_mlet *m, const uint8_t *buf, size_t len, int64_t deadline,
    const char *op)
{
	struct pollfd	 pfd;
	size_t		 off = 0;
	ssize_t		 n;
	int		 r;

	while (off < len) {
		n = send(m->fd, buf + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EPIPE || errno == ECONNRESET) {
			set_ending(m, PL_MLET_EOF, "endpoint closed the session");
			return end_fail(m, op);
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return sys_fail(m, op, "send");
		pfd.fd = m->fd;
		pfd.events = POLLOUT;
		if (!m->eof && m->inlen - m->inoff < IN_HOLD_MAX)
			pfd.events |= POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, left_ms(deadline));
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return sys_fail(m, op, "poll");
		}
		if (r == 0) {
			if (off > 0)
				set_ending(m, PL_MLET_PROTO, "a %s request was cut short by a "
				    "timeout: the message stream is out of step", op);
			return mlet_fail(m, PL_MLET_TIMEOUT, "%s: timed out writing "
			    "(%zu of %zu bytes written)", op, off, len);
		}
		if ((pfd.events & POLLIN) && (pfd.revents & (POLLIN | POLLHUP)) &&
		    (r = slurp(m, op)) < 0)
			return r;
	}
	return 0;
}

/* A received message as one block: the struct, the bytes, the reason. */
static struct pl_mlet_msg *
msg_new(const uint8_t *bytes, size_t len, pl_time_t rxtime)
{
	struct pl_mlet_msg	*pm;
	uint8_t			*raw;
	char			*why;
	size_t			 consumed;
	enum pl_dec		 r;

	if ((pm = calloc(1, sizeof(*pm) + len + WHY_MAX)) == NULL)
		return NULL;
	raw = (uint8_t *)(pm + 1);
	why = (char *)(raw + len);
	memcpy(raw, bytes, len);
	pm->raw = raw;
	pm->rawlen = len;
	pm->rxtime = rxtime;
	pm->why = why;
	r = pl_decode_r(raw, len, &pm->msg, &consumed, why, WHY_MAX);
	if (r == PL_DEC_OK && consumed == len)
		why[0] = '\0';
	else {
		pm->malformed = 1;
		pm->msg.type = raw[0];
		pm->msg.known = 0;
		if (r != PL_DEC_MALFORMED || why[0] == '\0')
			snprintf(why, WHY_MAX, "%s message of %zu bytes not decodable",
			    pl_type_name(raw[0]) != NULL ? pl_type_name(raw[0]) : "a",
			    len);
	}
	return pm;
}

/* Decode the next complete message, if there is one: 1, 0 or an error. */
static int
dispatch(struct pl_mlet *m, struct pl_mlet_msg **queued, const char *op)
{
	struct pl_mlet_msg	*pm;
	size_t			 have = m->inlen - m->inoff, total;
	uint8_t			 type;
	uint32_t		 bodylen;

	*queued = NULL;
	if (!pl_peek_header(m->in + m->inoff, have, &type, &bodylen))
		return 0;
	total = PL_HLEN + (size_t)bodylen;
	if (have < total)
		return 0;
	if ((pm = msg_new(m->in + m->inoff, total, m->rxtime)) == NULL)
		return mlet_fail(m, PL_MLET_NOMEM,
		    "%s: out of memory for a %zu-byte message", op, total);
	m->inoff += total;
	if (m->inoff == m->inlen)
		m->inoff = m->inlen = 0;
	if (type == PL_RESULT || type == PL_MDATA) {
		on_reply(m, pm);
		return 1;
	}
	if (type == PL_SUSPD && !pm->malformed)
		set_ending(m, PL_MLET_ENDED, "endpoint suspended the experiment "
		    "(suspd): the session is ending");
	queue_append(m, pm);
	*queued = pm;
	return 1;
}

static void
on_reply(struct pl_mlet *m, struct pl_mlet_msg *pm)
{
	struct pending	*p = m->unanswered;

	if (p == NULL) {
		unsolicited(m, pm);
		pl_mlet_msg_free(pm);
		return;
	}
	m->unanswered = TAILQ_NEXT(p, entry);
	p->answered = 1;
	if (!pm->malformed && pm->msg.type == PL_RESULT)
		note_result(m, p, pm->msg.u.result.errid);
	if (p->abandoned) {
		pending_unlink(m, p);
		free(p);
		pl_mlet_msg_free(pm);
		return;
	}
	p->reply = pm;
}

/* The results that change the session, whoever waits for them. */
static void
note_result(struct pl_mlet *m, const struct pending *p, uint16_t errid)
{
	char	 tb[8];

	/* A well-formed nctl gets ECTLBADMSG for an unknown command, without
	 * a reset (spec §4.11, §5, ERRATA 4); otherwise it means malformed. */
	if (errid == PL_ECTLBADMSG && !(p->type == PL_NCTL && p->encoded))
		set_ending(m, PL_MLET_ENDED, "endpoint rejected a %s request as "
		    "malformed (ECTLBADMSG): the session is ending",
		    mlet_type_str(p->type, tb));
	else if (p->type == PL_YIELD && errid == PL_SUCCESS)
		set_ending(m, PL_MLET_ENDED, "experiment yielded: the endpoint "
		    "ends the session");
	else if (p->type == PL_START && errid != PL_SUCCESS)
		set_ending(m, PL_MLET_ENDED, "start failed (%s): the session is "
		    "ending", pl_err_str(errid));
	else if (p->type == PL_NOPEN && errid == PL_SUCCESS) {
		m->skt[p->sktid].open = 1;
		m->skt[p->sktid].family = p->family;
		m->skt[p->sktid].proto = p->proto;
	} else if (p->type == PL_NCLOSE &&
	    (errid == PL_SUCCESS || errid == PL_ESKTNOTOPEN))
		memset(&m->skt[p->sktid], 0, sizeof(m->skt[p->sktid]));
}

/*
 * A reply with no request outstanding.  An error result is how an endpoint
 * reports a setup that failed after start (a monitor that did not load,
 * ERRATA facts 1); anything else means replies no longer line up.
 */
static void
unsolicited(struct pl_mlet *m, const struct pl_mlet_msg *pm)
{
	const struct pl_msg	*r = &pm->msg;
	const char		*name;
	char			 tb[8], mon[32] = "";

	if (pm->malformed) {
		set_ending(m, PL_MLET_PROTO, "malformed message from pktxpmgr with no "
		    "request outstanding: %s", pm->why);
		return;
	}
	if (r->type == PL_RESULT && r->u.result.errid != PL_SUCCESS) {
		name = pl_err_name(r->u.result.errid);
		if (r->u.result.errid == PL_ECTLMONUKN ||
		    r->u.result.errid == PL_ECTLMONREJ)
			snprintf(mon, sizeof(mon), ", monitor %u", r->u.result.monindx);
		set_ending(m, PL_MLET_ENDED, "endpoint reported %s (%s%s) with no "
		    "request outstanding, a failed experiment set-up: the session is "
		    "ending", name != NULL ? name : "an unknown error",
		    pl_err_str(r->u.result.errid), mon);
		return;
	}
	set_ending(m, PL_MLET_PROTO, "endpoint sent %s with no request "
	    "outstanding: replies can no longer be matched to requests",
	    r->type == PL_RESULT ? "result SUCCESS" : mlet_type_str(r->type, tb));
}

/*
 * Decode one more message, reading if needed.  0 or an error.  Once the
 * session is ending, what is already buffered is still decoded, but
 * nothing more is read.
 */
static int
pump(struct pl_mlet *m, int64_t deadline, const char *op, struct pl_mlet_msg **queued)
{
	int	 r;

	if ((r = dispatch(m, queued, op)) != 0)
		return r < 0 ? r : 0;
	if (m->ending)
		return end_fail(m, op);
	if (m->eof) {
		if (m->inlen > m->inoff)
			set_ending(m, PL_MLET_EOF, "endpoint closed the session in the "
			    "middle of a message (%zu bytes of it received)",
			    m->inlen - m->inoff);
		else
			set_ending(m, PL_MLET_EOF, "endpoint closed the session");
		return end_fail(m, op);
	}
	return fill(m, deadline, op);
}

/* Requests get a reply; results and notifications do not (spec §3). */
static int
wants_reply(uint8_t type)
{
	return (type >= 0x20 && type <= 0x3F) || (type >= 0x80 && type <= 0x8F);
}

static int
send_msg(struct pl_mlet *m, const struct pl_msg *msg, int64_t deadline,
    const char *op, uint64_t *seqp)
{
	struct pending	*p = NULL;
	ssize_t		 n;
	uint8_t		*nb;
	int		 r;

	if (seqp != NULL)
		*seqp = 0;
	if (m->ending)
		return end_fail(m, op);
	if ((n = pl_encode(msg, NULL, 0)) < 0)
		return mlet_fail(m, PL_MLET_INVAL, "%s: the message cannot be encoded "
		    "(a field out of range, or a body over 16 MiB)", op);
	if ((size_t)n > m->outcap) {
		if ((nb = realloc(m->out, (size_t)n)) == NULL)
			return mlet_fail(m, PL_MLET_NOMEM, "%s: out of memory", op);
		m->out = nb;
		m->outcap = (size_t)n;
	}
	if (pl_encode(msg, m->out, m->outcap) != n)
		return mlet_fail(m, PL_MLET_INVAL, "%s: the message cannot be encoded", op);
	if (wants_reply(msg->type)) {
		if ((p = calloc(1, sizeof(*p))) == NULL)
			return mlet_fail(m, PL_MLET_NOMEM, "%s: out of memory", op);
		p->type = msg->type;
		p->encoded = msg->known;
		if (msg->known && msg->type == PL_NOPEN) {
			p->sktid = msg->u.nopen.sktid;
			p->family = msg->u.nopen.family;
			p->proto = msg->u.nopen.proto;
		} else if (msg->known && msg->type == PL_NCLOSE)
			p->sktid = msg->u.nclose.sktid;
		else if (msg->known && msg->type == PL_MREAD) {
			p->addr = msg->u.mread.addr;
			p->len = msg->u.mread.len;
		}
	}
	if ((r = write_all(m, m->out, (size_t)n, deadline, op)) < 0) {
		free(p);
		return r;
	}
	if (p != NULL) {
		p->seq = ++m->nextseq;
		TAILQ_INSERT_TAIL(&m->pending, p, entry);
		if (m->unanswered == NULL)
			m->unanswered = p;
		if (seqp != NULL)
			*seqp = p->seq;
	}
	return 0;
}

int
pl_mlet_send(struct pl_mlet *m, const struct pl_msg *msg, uint64_t *seq)
{
	char	 tb[8];

	return send_msg(m, msg, deadline_of(m->timeout_ms),
	    mlet_type_str(msg->type, tb), seq);
}

static struct pending *
pending_find(struct pl_mlet *m, uint64_t seq)
{
	struct pending	*p;

	TAILQ_FOREACH(p, &m->pending, entry)
		if (p->seq == seq)
			return p;
	return NULL;
}

static void
pending_unlink(struct pl_mlet *m, struct pending *p)
{
	if (m->unanswered == p)
		m->unanswered = TAILQ_NEXT(p, entry);
	TAILQ_REMOVE(&m->pending, p, entry);
}

static int
wait_reply(struct pl_mlet *m, uint64_t seq, int64_t deadline, const char *op,
    struct pl_mlet_msg **reply)
{
	struct pending		*p;
	struct pl_mlet_msg	*pm, *q;
	int			 r;

	*reply = NULL;
	if ((p = pending_find(m, seq)) == NULL || p->abandoned)
		return mlet_fail(m, PL_MLET_INVAL, "%s: no request #%llu is waiting "
		    "for its reply", op, (unsigned long long)seq);
	while (!p->answered)
		if ((r = pump(m, deadline, op, &q)) < 0)
			return r;
	pm = p->reply;
	pending_unlink(m, p);
	free(p);
	if (pm->malformed) {
		mlet_fail(m, PL_MLET_MALFORMED, "%s: malformed message from pktxpmgr: %s",
		    op, pm->why);
		m->err.msgtype = pm->msg.type;
		pl_mlet_msg_free(pm);
		return PL_MLET_MALFORMED;
	}
	*reply = pm;
	return 0;
}

int
pl_mlet_wait_reply(struct pl_mlet *m, uint64_t seq, int timeout_ms,
    struct pl_mlet_msg **reply)
{
	return wait_reply(m, seq, deadline_of(timeout_ms), "waiting for a reply", reply);
}

void
pl_mlet_forget(struct pl_mlet *m, uint64_t seq)
{
	struct pending	*p;

	if ((p = pending_find(m, seq)) == NULL)
		return;
	if (!p->answered) {
		p->abandoned = 1;
		return;
	}
	pending_unlink(m, p);
	pl_mlet_msg_free(p->reply);
	free(p);
}

/* Is this the reply the request calls for, and a successful one? */
static int
check_reply(struct pl_mlet *m, const char *op, const struct pl_msg *req,
    const struct pl_mlet_msg *pm)
{
	const struct pl_msg	*r = &pm->msg;

	if (r->type == PL_RESULT && r->u.result.errid != PL_SUCCESS)
		return mlet_fail_errid(m, op, r);
	if (req->type == PL_MREAD && r->type != PL_MDATA) {
		mlet_fail(m, PL_MLET_UNEXPECTED, "%s: endpoint answered result "
		    "SUCCESS instead of mdata", op);
		m->err.msgtype = r->type;
		return PL_MLET_UNEXPECTED;
	}
	if (req->type != PL_MREAD && r->type == PL_MDATA) {
		mlet_fail(m, PL_MLET_UNEXPECTED, "%s: endpoint answered mdata "
		    "instead of a result", op);
		m->err.msgtype = r->type;
		return PL_MLET_UNEXPECTED;
	}
	if (req->type == PL_MREAD && req->known &&
	    (r->u.mem.addr != req->u.mread.addr || r->u.mem.len != req->u.mread.len))
		return mlet_fail(m, PL_MLET_PROTO, "%s: endpoint answered mdata for "
		    "0x%08x, %zu bytes; the request was for 0x%08x, %u bytes", op,
		    r->u.mem.addr, r->u.mem.len, req->u.mread.addr, req->u.mread.len);
	return 0;
}

int
mlet_transact(struct pl_mlet *m, const char *op, const struct pl_msg *req,
    struct pl_mlet_msg **reply)
{
	struct pl_mlet_msg	*pm;
	int64_t			 deadline = deadline_of(m->timeout_ms);
	uint64_t		 seq;
	int			 r;

	if (reply != NULL)
		*reply = NULL;
	if (!wants_reply(req->type))
		return mlet_fail(m, PL_MLET_INVAL, "%s: not a request, it gets no "
		    "reply (use pl_mlet_send)", op);
	if ((r = send_msg(m, req, deadline, op, &seq)) < 0)
		return r;
	if ((r = wait_reply(m, seq, deadline, op, &pm)) < 0) {
		pl_mlet_forget(m, seq);
		return r;
	}
	if ((r = check_reply(m, op, req, pm)) < 0 || reply == NULL)
		pl_mlet_msg_free(pm);
	else
		*reply = pm;
	return r;
}

int
pl_mlet_request(struct pl_mlet *m, const struct pl_msg *msg, struct pl_mlet_msg **reply)
{
	char	 tb[8];

	return mlet_transact(m, mlet_type_str(msg->type, tb), msg, reply);
}

void
pl_mlet_match_any(struct pl_mlet_match *mt)
{
	mt->type = mt->sktid = mt->tag = mt->code = PL_MLET_ANY;
}

/* A malformed message matches on its type alone: it may be the one wanted. */
static int
matches(const struct pl_mlet_msg *pm, const struct pl_mlet_match *mt)
{
	const struct pl_msg	*msg = &pm->msg;
	int			 sktid = -1, tag = -1, code = -1;

	if (mt == NULL)
		return 1;
	if (mt->type != PL_MLET_ANY && mt->type != msg->type)
		return 0;
	if (pm->malformed)
		return 1;
	if (msg->known) {
		switch (msg->type) {
		case PL_NTAG:
			sktid = msg->u.ntag.sktid;
			tag = msg->u.ntag.tag;
			break;
		case PL_NSTAT:
			sktid = msg->u.nstat.sktid;
			code = msg->u.nstat.code;	/* ESTABLISHED for 17/29 */
			break;
		case PL_NDATA:
			sktid = msg->u.ndata.sktid;
			break;
		case PL_NDROP:
			sktid = msg->u.ndrop.sktid;
			break;
		case PL_NBLOCK:
			sktid = msg->u.nblock.sktid;
			break;
		}
	}
	return (mt->sktid == PL_MLET_ANY || mt->sktid == sktid) &&
	    (mt->tag == PL_MLET_ANY || mt->tag == tag) &&
	    (mt->code == PL_MLET_ANY || mt->code == code);
}

static void
queue_append(struct pl_mlet *m, struct pl_mlet_msg *pm)
{
	TAILQ_INSERT_TAIL(&m->queue, pm, entry_);
	m->qlen++;
}

static void
queue_remove(struct pl_mlet *m, struct pl_mlet_msg *pm)
{
	TAILQ_REMOVE(&m->queue, pm, entry_);
	m->qlen--;
}

/* Hand a taken message to the caller, or report it when malformed. */
static int
deliver(struct pl_mlet *m, struct pl_mlet_msg *pm, const char *op,
    struct pl_mlet_msg **out)
{
	queue_remove(m, pm);
	if (pm->malformed) {
		mlet_fail(m, PL_MLET_MALFORMED, "%s: malformed message from pktxpmgr: %s",
		    op, pm->why);
		m->err.msgtype = pm->msg.type;
		pl_mlet_msg_free(pm);
		return PL_MLET_MALFORMED;
	}
	*out = pm;
	return 0;
}

static int
wait_match(struct pl_mlet *m, const struct pl_mlet_match *mt, int timeout_ms,
    const char *op, struct pl_mlet_msg **out)
{
	struct pl_mlet_msg	*pm, *q;
	int64_t			 deadline = deadline_of(timeout_ms);
	int			 r;

	*out = NULL;
	TAILQ_FOREACH(pm, &m->queue, entry_)
		if (matches(pm, mt))
			return deliver(m, pm, op, out);
	for (;;) {
		if ((r = pump(m, deadline, op, &q)) < 0)
			return r;
		if (q != NULL && matches(q, mt))
			return deliver(m, q, op, out);
	}
}

int
pl_mlet_wait(struct pl_mlet *m, const struct pl_mlet_match *mt, int timeout_ms,
    struct pl_mlet_msg **out)
{
	return wait_match(m, mt, timeout_ms, "waiting for a notification", out);
}

int
pl_mlet_next(struct pl_mlet *m, int timeout_ms, struct pl_mlet_msg **out)
{
	return wait_match(m, NULL, timeout_ms, "waiting for a message", out);
}

/* A wait for one kind of notification, named that way in errors. */
static int
wait_for(struct pl_mlet *m, int type, int sktid, int tag, int code,
    int timeout_ms, struct pl_mlet_msg **out)
{
	struct pl_mlet_match	 mt;
	char			 op[80], tb[8];
	size_t			 n;

	mt.type = type;
	mt.sktid = sktid;
	mt.tag = tag;
	mt.code = code;
	n = (size_t)snprintf(op, sizeof(op), "waiting for %s",
	    mlet_type_str((uint8_t)type, tb));
	if (tag != PL_MLET_ANY)
		n += (size_t)snprintf(op + n, sizeof(op) - n, " %d", tag);
	if (code != PL_MLET_ANY)
		n += (size_t)snprintf(op + n, sizeof(op) - n, " code %d", code);
	if (sktid != PL_MLET_ANY)
		snprintf(op + n, sizeof(op) - n, " on socket %d", sktid);
	return wait_match(m, &mt, timeout_ms, op, out);
}

int
pl_mlet_wait_ntag(struct pl_mlet *m, uint16_t tag, int timeout_ms,
    struct pl_mlet_msg **out)
{
	return wait_for(m, PL_NTAG, PL_MLET_ANY, tag, PL_MLET_ANY, timeout_ms, out);
}

int
pl_mlet_wait_ndata(struct pl_mlet *m, uint8_t sktid, int timeout_ms,
    struct pl_mlet_msg **out)
{
	return wait_for(m, PL_NDATA, sktid, PL_MLET_ANY, PL_MLET_ANY, timeout_ms, out);
}

int
pl_mlet_wait_nstat(struct pl_mlet *m, uint8_t sktid, int code, int timeout_ms,
    struct pl_mlet_msg **out)
{
	return wait_for(m, PL_NSTAT, sktid, PL_MLET_ANY, code, timeout_ms, out);
}

struct pl_mlet_msg *
pl_mlet_take(struct pl_mlet *m, const struct pl_mlet_match *mt)
{
	struct pl_mlet_msg	*pm;

	TAILQ_FOREACH(pm, &m->queue, entry_)
		if (matches(pm, mt)) {
			queue_remove(m, pm);
			return pm;
		}
	return NULL;
}

size_t
pl_mlet_queued(const struct pl_mlet *m)
{
	return m->qlen;
}

/*
 * yield lives here because of how it ends: the endpoint writes its SUCCESS
 * straight out, possibly ahead of older replies, and may lose it (ERRATA 6).
 * An EOF after the yield went out is therefore the expected end too.
 */
int
pl_mlet_yield(struct pl_mlet *m, pl_time_t rhint)
{
	struct pl_msg		 msg;
	struct pl_mlet_msg	*pm;
	int64_t			 deadline = deadline_of(m->timeout_ms);
	uint64_t		 seq;
	int			 r;

	pl_msg_yield(&msg, rhint);
	if ((r = send_msg(m, &msg, deadline, "yield", &seq)) < 0)
		return r;
	r = wait_reply(m, seq, deadline, "yield", &pm);
	if (r == PL_MLET_EOF)
		return 0;
	if (r < 0) {
		pl_mlet_forget(m, seq);
		return r;
	}
	r = check_reply(m, "yield", &msg, pm);
	pl_mlet_msg_free(pm);
	return r;
}
