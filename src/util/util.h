/*
 * util.h: small helpers shared by every program: allocation that cannot
 * fail silently, hex, bounded string copies, close-on-exec.
 */
#ifndef PL_UTIL_H
#define PL_UTIL_H

#include <sys/socket.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PL_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* These call fatalx("out of memory") instead of returning NULL. */
void	*xmalloc(size_t n);
void	*xcalloc(size_t nmemb, size_t size);
void	*xrealloc(void *p, size_t n);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
/* asprintf that cannot fail. */
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Lower-case hex of len bytes into out (2*len+1 bytes).  Returns out. */
char	*pl_hex(const uint8_t *p, size_t len, char *out);
/* Parse an even-length hex string into out; returns byte count or -1. */
ssize_t	 pl_unhex(const char *s, size_t slen, uint8_t *out, size_t outlen);

/* strlcpy semantics: returns strlen(src). */
size_t	 pl_strlcpy(char *dst, const char *src, size_t dstsz);

/*
 * One convention for every program of the project.  A usage error is one
 * line on stderr, "PROG: MESSAGE (see 'PROG --help')", and exit status 2.
 * -V/--version prints "PROG VERSION (PacketLab 1.1.0 compatible)".
 */
void	 pl_usage_exit(const char *prog, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
void	 pl_usage_vexit(const char *prog, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0), noreturn));
void	 pl_print_version(const char *prog);
#define PL_EXIT_USAGE	2

/* Set close-on-exec / non-blocking on fd; 0 or -1 with errno. */
int	 pl_set_cloexec(int fd);
int	 pl_set_nonblock(int fd);

/*
 * accept4 as every listener of the project does it: a non-blocking,
 * close-on-exec descriptor, or one of these, errno's meaning for a loop
 * that accepts a burst per event:
 *   PL_ACCEPT_NONE  nothing more now (EAGAIN, EINTR, ECONNABORTED);
 *   PL_ACCEPT_FULL  out of descriptors or memory: "cannot accept WHAT;
 *                   pausing for MS ms" is logged, and the caller stops
 *                   accepting for that long instead of spinning;
 *   PL_ACCEPT_ERR   anything else, logged as "accept WHAT".
 */
#define PL_ACCEPT_NONE	(-1)
#define PL_ACCEPT_FULL	(-2)
#define PL_ACCEPT_ERR	(-3)
int	 pl_accept(int lfd, struct sockaddr_storage *, socklen_t *sslen,
	    const char *what, int pause_ms);

#endif /* PL_UTIL_H */
