/*
 * format.c: the text pktxpmgr hands to mlets and writes in its log: EPADDR,
 * peer addresses, child exit statuses, close reasons and the one-line
 * session summary.  Pure: no I/O, no libevent.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "xpmgr/pure/xppure.h"

/*
 * A v4-mapped IPv6 address (::ffff:a.b.c.d) reaches a dual-stack listener
 * for every IPv4 peer.  We print the IPv4 form, so EPADDR and the logs do not
 * depend on whether pktxpmgr listens on 0.0.0.0 or [::].
 */
static int
xp_unmap(const struct sockaddr *sa, socklen_t salen, struct sockaddr_in *v4)
{
	const struct sockaddr_in6	*s6;

	if (sa->sa_family != AF_INET6 || salen < sizeof(*s6))
		return 0;
	s6 = (const struct sockaddr_in6 *)sa;
	if (!IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return 0;
	memset(v4, 0, sizeof(*v4));
	v4->sin_family = AF_INET;
	v4->sin_port = s6->sin6_port;
	memcpy(&v4->sin_addr, &s6->sin6_addr.s6_addr[12], 4);
	return 1;
}

int
xp_epaddr(const struct sockaddr *sa, socklen_t salen, char *out, size_t outlen)
{
	struct sockaddr_in	 v4;
	const void		*addr;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (sa == NULL)
		return -1;
	if (xp_unmap(sa, salen, &v4)) {
		sa = (const struct sockaddr *)&v4;
		salen = sizeof(v4);
	}
	if (sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in))
		addr = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6 && salen >= sizeof(struct sockaddr_in6))
		addr = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	else
		return -1;
	if (inet_ntop(sa->sa_family, addr, out, (socklen_t)outlen) == NULL) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

char *
xp_peerstr(const struct sockaddr *sa, socklen_t salen, char *out, size_t outlen)
{
	char			 ip[XP_EPADDR_MAX];
	struct sockaddr_in	 v4;
	uint16_t		 port;

	if (outlen == 0)
		return out;
	if (xp_epaddr(sa, salen, ip, sizeof(ip)) == -1) {
		snprintf(out, outlen, "?");
		return out;
	}
	if (xp_unmap(sa, salen, &v4))
		sa = (const struct sockaddr *)&v4;
	if (sa->sa_family == AF_INET) {
		port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
		snprintf(out, outlen, "%s:%u", ip, port);
	} else {
		port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
		snprintf(out, outlen, "[%s]:%u", ip, port);
	}
	return out;
}

char *
xp_wstatus(int status, char *out, size_t outlen)
{
	const char	*name;

	if (WIFEXITED(status))
		snprintf(out, outlen, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status)) {
		name = sigabbrev_np(WTERMSIG(status));
		snprintf(out, outlen, "killed by signal %d (SIG%s)%s",
		    WTERMSIG(status), name != NULL ? name : "?",
		    WCOREDUMP(status) ? ", core dumped" : "");
	} else
		snprintf(out, outlen, "status 0x%x", (unsigned)status);
	return out;
}

uint64_t
xp_ms_between(const struct timespec *a, const struct timespec *b)
{
	int64_t	 ms;

	ms = (int64_t)(b->tv_sec - a->tv_sec) * 1000 +
	    (b->tv_nsec - a->tv_nsec) / 1000000;
	return ms < 0 ? 0 : (uint64_t)ms;
}

int
xp_reason_vset(struct xp_reason *r, enum xp_end kind, const char *fmt, va_list ap)
{
	if (r->kind != XP_END_NONE)
		return 0;
	r->kind = kind;
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	return 1;
}

int
xp_reason_set(struct xp_reason *r, enum xp_end kind, const char *fmt, ...)
{
	va_list	 ap;
	int	 ret;

	va_start(ap, fmt);
	ret = xp_reason_vset(r, kind, fmt, ap);
	va_end(ap);
	return ret;
}

const char *
xp_end_name(enum xp_end kind)
{
	switch (kind) {
	case XP_END_NONE:
		return "open";
	case XP_END_DONE:
		return "done";
	case XP_END_FAIL:
		return "failed";
	case XP_END_DROPPED:
		return "dropped";
	}
	return "?";
}

char *
xp_summary(char *out, size_t outlen, const struct xp_reason *r, uint64_t ms,
    const struct xp_stats *st, const char *child)
{
	snprintf(out, outlen,
	    "session %s (%s): %llu.%03llu s, endpoint->mlet %llu msgs %llu B, "
	    "mlet->endpoint %llu msgs %llu B, %llu linfo, %s",
	    xp_end_name(r->kind), r->kind == XP_END_NONE ? "?" : r->text,
	    (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000),
	    (unsigned long long)st->msgs[XP_EP2ML],
	    (unsigned long long)st->bytes[XP_EP2ML],
	    (unsigned long long)st->msgs[XP_ML2EP],
	    (unsigned long long)st->bytes[XP_ML2EP],
	    (unsigned long long)st->linfo, child);
	return out;
}
