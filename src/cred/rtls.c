/*
 * rtls.c: a detached TLS 1.3 connection on a non-blocking socket (rtls.h).
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cred/rtls.h"
#include "util/util.h"

/* One read(2) takes up to this much: several records at once. */
#define RTLS_READ	(64u * 1024u)

void
rtls_init(struct rtls *t, int fd, const struct rec13 *rec)
{
	memset(t, 0, sizeof(*t));
	t->fd = fd;
	t->rec = *rec;
}

void
rtls_free(struct rtls *t)
{
	free(t->in);
	free(t->out);
	t->in = t->out = NULL;
	t->pt = NULL;
	t->inoff = t->inlen = t->incap = t->ptlen = 0;
	t->outoff = t->outlen = t->outcap = 0;
	rec13_wipe(&t->rec);
}

size_t
rtls_unsent(const struct rtls *t)
{
	return t->outlen - t->outoff;
}

int
rtls_pending(const struct rtls *t)
{
	long	 n;

	if (t->ptlen > 0)
		return 1;
	n = rec13_reclen(t->in + t->inoff, t->inlen);
	return n != 0 && (n < 0 || t->inlen >= (size_t)n);
}

void
rtls_idle(struct rtls *t)
{
	if (t->inlen == 0 && t->ptlen == 0 && t->in != NULL) {
		free(t->in);
		t->in = NULL;
		t->inoff = t->incap = 0;
	}
}

/* Room for n more sealed bytes at the end of out. */
static void
out_reserve(struct rtls *t, size_t n)
{
	size_t	 cap;

	if (t->outoff > 0 && t->outoff == t->outlen)
		t->outoff = t->outlen = 0;
	if (t->outlen + n <= t->outcap)
		return;
	if (t->outoff > 0) {
		memmove(t->out, t->out + t->outoff, t->outlen - t->outoff);
		t->outlen -= t->outoff;
		t->outoff = 0;
		if (t->outlen + n <= t->outcap)
			return;
	}
	cap = t->outcap > 0 ? t->outcap : 4096;
	while (cap < t->outlen + n)
		cap *= 2;
	t->out = xrealloc(t->out, cap);
	t->outcap = cap;
}

static enum rtls_res
fail(struct rtls *t, const char *what)
{
	t->syserr = 0;
	snprintf(t->why, sizeof(t->why), "%s", what);
	return RTLS_ERROR;
}

static enum rtls_res
sysfail(struct rtls *t, int e)
{
	t->syserr = e;
	snprintf(t->why, sizeof(t->why), "%s", strerror(e));
	return RTLS_ERROR;
}

enum rtls_res
rtls_flush(struct rtls *t)
{
	ssize_t	 n;

	while (t->outoff < t->outlen) {
		n = write(t->fd, t->out + t->outoff, t->outlen - t->outoff);
		if (n > 0) {
			t->outoff += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return RTLS_OK;
		return sysfail(t, n == 0 ? EPIPE : errno);
	}
	free(t->out);
	t->out = NULL;
	t->outoff = t->outlen = t->outcap = 0;
	t->ku_unsent = 0;
	return RTLS_OK;
}

/* Seal without writing. */
static int
seal(struct rtls *t, const uint8_t *p, size_t len)
{
	size_t	 chunk, n;

	while (len > 0) {
		chunk = len < REC13_PT_MAX ? len : REC13_PT_MAX;
		out_reserve(t, chunk + REC13_OVERHEAD);
		if ((n = rec13_seal(&t->rec, p, chunk, t->out + t->outlen)) == 0)
			return -1;
		t->outlen += n;
		p += chunk;
		len -= chunk;
	}
	return 0;
}

enum rtls_res
rtls_write(struct rtls *t, const void *buf, size_t len)
{
	if (t->sent_close)
		return fail(t, "write after close_notify");
	if (seal(t, buf, len) == -1)
		return fail(t, "cannot seal a TLS record");
	return rtls_flush(t);
}

enum rtls_res
rtls_close_notify(struct rtls *t)
{
	if (!t->sent_close) {
		out_reserve(t, REC13_OVERHEAD + 2);
		t->outlen += rec13_seal_close(&t->rec, t->out + t->outlen);
		t->sent_close = 1;
	}
	return rtls_flush(t);
}

/* Read the socket once into in, after what is there. */
static enum rtls_res
fill(struct rtls *t)
{
	long	 need;
	size_t	 want;
	ssize_t	 n;
	int	 avail = 0;

	if (t->eof)
		return RTLS_EOF;
	if (t->inoff > 0) {
		memmove(t->in, t->in + t->inoff, t->inlen);
		t->inoff = 0;
	}
	need = t->in != NULL ? rec13_reclen(t->in, t->inlen) : 0;
	if (need < 0)
		need = 0;
	if (t->in == NULL) {
		/*
		 * A fresh buffer is as large as what waits (FIONREAD), so
		 * that a connection that sends a few hundred bytes now and
		 * then (a broker's subscriber) does not make malloc hand out
		 * and take back 64 KiB each time.
		 */
		if (ioctl(t->fd, FIONREAD, &avail) == -1 || avail <= 0)
			avail = 4096;
		want = (size_t)avail < RTLS_READ ? (size_t)avail : RTLS_READ;
		if (want < (size_t)need)
			want = (size_t)need;
		if (want < REC13_HLEN)
			want = REC13_HLEN;
		t->in = xmalloc(want);
		t->incap = want;
	} else if (t->inlen == t->incap || t->incap < (size_t)need) {
		want = RTLS_READ > (size_t)need ? RTLS_READ : (size_t)need;
		if (want <= t->incap)
			want = t->incap + RTLS_READ;
		t->in = xrealloc(t->in, want);
		t->incap = want;
	}
	n = read(t->fd, t->in + t->inlen, t->incap - t->inlen);
	if (n > 0) {
		t->inlen += (size_t)n;
		return RTLS_OK;
	}
	if (n == 0 || (n == -1 && (errno == ECONNRESET || errno == EPIPE))) {
		t->eof = 1;
		return RTLS_EOF;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return RTLS_WANT_READ;
	return sysfail(t, errno);
}

enum rtls_res
rtls_read(struct rtls *t, uint8_t *buf, size_t room, size_t *n)
{
	enum rec13_res	 r;
	enum rtls_res	 f;
	uint8_t		*pt, ku[REC13_OVERHEAD + 8];
	size_t		 ptlen, k;
	long		 len;
	int		 due;

	*n = 0;
	for (;;) {
		if (t->ptlen > 0) {
			k = room < t->ptlen ? room : t->ptlen;
			memcpy(buf, t->pt, k);
			t->pt += k;
			t->ptlen -= k;
			*n = k;
			return RTLS_OK;
		}
		len = rec13_reclen(t->in + t->inoff, t->inlen);
		if (len < 0) {
			t->syserr = 0;
			snprintf(t->why, sizeof(t->why), "record longer than "
			    "%u bytes", REC13_CT_MAX);
			return RTLS_ERROR;
		}
		if (len == 0 || t->inlen < (size_t)len) {
			if ((f = fill(t)) != RTLS_OK)
				return f;
			continue;
		}
		due = 0;
		r = rec13_open(&t->rec, t->in + t->inoff, (size_t)len, &pt,
		    &ptlen, &due, t->why, sizeof(t->why));
		t->inoff += (size_t)len;
		t->inlen -= (size_t)len;
		switch (r) {
		case REC13_DATA:
			t->pt = pt;
			t->ptlen = ptlen;
			break;
		case REC13_NOTHING:
			if (due) {
				/* The peer asked for our KeyUpdate (§4.6.3). */
				if (rtls_unsent(t) > 0 && ++t->ku_unsent > RTLS_KU_MAX)
					return fail(t, "the peer asks for key updates "
					    "but does not read our answers");
				if ((k = rec13_seal_keyupdate(&t->rec, ku)) == 0)
					return fail(t, "cannot seal a KeyUpdate");
				out_reserve(t, k);
				memcpy(t->out + t->outlen, ku, k);
				t->outlen += k;
				if (rtls_flush(t) != RTLS_OK)
					return RTLS_ERROR;
			}
			break;
		case REC13_CLOSE:
			return RTLS_CLOSED;
		case REC13_ERROR:
			t->syserr = 0;
			return RTLS_ERROR;
		}
	}
}
