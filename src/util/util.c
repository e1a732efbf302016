/*
 * util.c: see util.h.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

void *
xmalloc(size_t n)
{
	void	*p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		fatalx("out of memory (%zu bytes)", n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void	*p = calloc(nmemb == 0 ? 1 : nmemb, size == 0 ? 1 : size);

	if (p == NULL)
		fatalx("out of memory (%zu x %zu bytes)", nmemb, size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void	*q = realloc(p, n == 0 ? 1 : n);

	if (q == NULL)
		fatalx("out of memory (%zu bytes)", n);
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p;
	size_t	 len = strnlen(s, n);

	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;
	int	 r;

	va_start(ap, fmt);
	r = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (r < 0)
		fatalx("out of memory (asprintf)");
	return p;
}

char *
pl_hex(const uint8_t *p, size_t len, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * len] = '\0';
	return out;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

ssize_t
pl_unhex(const char *s, size_t slen, uint8_t *out, size_t outlen)
{
	size_t	 i;
	int	 hi, lo;

	if (slen % 2 != 0 || slen / 2 > outlen)
		return -1;
	for (i = 0; i < slen / 2; i++) {
		hi = hexval((unsigned char)s[2 * i]);
		lo = hexval((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (ssize_t)(slen / 2);
}

size_t
pl_strlcpy(char *dst, const char *src, size_t dstsz)
{
	size_t	 len = strlen(src);

	if (dstsz > 0) {
		size_t n = len < dstsz - 1 ? len : dstsz - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int
pl_set_cloexec(int fd)
{
	int	 fl = fcntl(fd, F_GETFD);

	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

int
pl_set_nonblock(int fd)
{
	int	 fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void
pl_usage_vexit(const char *prog, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see '%s --help')\n", prog);
	exit(PL_EXIT_USAGE);
}

void
pl_usage_exit(const char *prog, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	pl_usage_vexit(prog, fmt, ap);
}

void
pl_print_version(const char *prog)
{
	printf("%s %s (PacketLab 1.1.0 compatible)\n", prog, PKTXP_VERSION);
}

int
pl_accept(int lfd, struct sockaddr_storage *ss, socklen_t *sslen,
    const char *what, int pause_ms)
{
	socklen_t	 len = sizeof(*ss);
	int		 fd;

	fd = accept4(lfd, (struct sockaddr *)ss, &len, SOCK_NONBLOCK |
	    SOCK_CLOEXEC);
	*sslen = len;
	if (fd >= 0)
		return fd;
	switch (errno) {
	case EAGAIN:
	case EINTR:
	case ECONNABORTED:
		return PL_ACCEPT_NONE;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		log_warn("cannot accept %s; pausing for %d ms", what, pause_ms);
		return PL_ACCEPT_FULL;
	default:
		log_warn("accept %s", what);
		return PL_ACCEPT_ERR;
	}
}
