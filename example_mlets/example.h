/*
 * example.h: what the example mlets share: opening the session pktxpmgr
 * hands over, the PacketLab 1.1.0 tutorial's way of waiting for a result
 * and of reporting, its results block, a hex dump and a local IPv4 lookup.
 *
 * Static functions in a header, so that each example is still one .c file
 * to build (see Makefile.example).  Messages and exit statuses are the
 * tutorial's (protocol spec §14): progress on stderr, results on stdout,
 * 255 for what the tutorial's print_err_exit(-1, ...) gives.
 */
#ifndef PL_EXAMPLE_H
#define PL_EXAMPLE_H

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <pktlab/pktlab.h>

#define EX_FAIL		255	/* print_err_exit(-1, ...) */
#define EX_DEFAULT_HOST	"www.example.com"

static inline void
ex_vdie(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0), noreturn));
static inline void
ex_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static inline void
ex_die_with(struct pl_mlet_msg *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* Print a line to stderr and exit 255. */
static inline void
ex_vdie(const char *fmt, va_list ap)
{
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	exit(EX_FAIL);
}

static inline void
ex_die(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	ex_vdie(fmt, ap);
}

/*
 * The same with a message in hand, which is freed first (so that a leak
 * checker has nothing to report); the arguments must not point into it.
 */
static inline void
ex_die_with(struct pl_mlet_msg *pm, const char *fmt, ...)
{
	va_list	 ap;

	pl_mlet_msg_free(pm);
	va_start(ap, fmt);
	ex_vdie(fmt, ap);
}

/* EPADDR, or the tutorial's complaint and exit 1. */
static inline const char *
ex_epaddr(void)
{
	const char	*ep = getenv("EPADDR");

	if (ep == NULL) {
		fprintf(stderr, "EPADDR not set (are you running this mlet using "
		    "pktxpmgr?)\n");
		exit(EXIT_FAILURE);
	}
	return ep;
}

/* The session on fd 0 (where 1.1.0 asserted, and aborted, we explain). */
static inline struct pl_mlet *
ex_session(void)
{
	struct pl_mlet	*m;

	if ((m = pl_mlet_from_env()) == NULL)
		ex_die("error: fd 0 is not a session from pktxpmgr (%s)", strerror(errno));
	return m;
}

/* A request's outcome: ">> result msg id: 0", or the error and exit. */
static inline void
ex_check(struct pl_mlet *m, int r)
{
	const struct pl_mlet_error	*e = pl_mlet_error(m);

	if (r == PL_MLET_ERRID)
		ex_die("result msg %d", e->errid);
	if (r == PL_MLET_UNEXPECTED)
		fprintf(stderr, ">> Got unexpected msg: %d, expecting %d\n", e->msgtype,
		    PL_RESULT);
	if (r < 0)
		ex_die("error: %s", pl_mlet_strerror(m));
	fprintf(stderr, ">> result msg id: 0\n");
}

/*
 * The tutorial read messages until the result, skipping the others with a
 * line each.  The library queued those; report them the same way.
 */
static inline void
ex_result(struct pl_mlet *m, int r)
{
	struct pl_mlet_msg	*pm;

	while ((pm = pl_mlet_take(m, NULL)) != NULL) {
		fprintf(stderr, ">> Got unexpected msg: %d, expecting %d\n",
		    pm->msg.type, PL_RESULT);
		pl_mlet_msg_free(pm);
	}
	ex_check(m, r);
}

/* test_dns's stricter form: the one message read must be the result. */
static inline void
ex_result_only(struct pl_mlet *m, int r)
{
	struct pl_mlet_msg	*pm;

	if ((pm = pl_mlet_take(m, NULL)) != NULL)
		ex_die_with(pm, "Got non-result msg: %d", pm->msg.type);
	ex_check(m, r);
}

/* The next message of the main loop; EOF and such end the mlet. */
static inline struct pl_mlet_msg *
ex_next(struct pl_mlet *m)
{
	struct pl_mlet_msg	*pm;

	if (pl_mlet_next(m, -1, &pm) < 0)
		ex_die("error: %s", pl_mlet_strerror(m));
	return pm;
}

/* The tutorial asserted this; a failed assert is a crash, so explain. */
static inline pl_time_t
ex_ntag(struct pl_mlet_msg *pm, uint16_t tag)
{
	if (pm->msg.u.ntag.tag != tag || pm->msg.u.ntag.errid != PL_SUCCESS)
		ex_die_with(pm, "error: unexpected ntag (tag %u, errid %u), "
		    "expecting tag %u", pm->msg.u.ntag.tag, pm->msg.u.ntag.errid, tag);
	return pm->msg.u.ntag.time;
}

/* Received data, and when its last part came. */
struct ex_rx {
	uint8_t		*buf;
	size_t		 cap, len;
	pl_time_t	 ep_time;	/* endpoint's receive time (ndata) */
	pl_time_t	 ctl_time;	/* when it reached this mlet */
};

/* Append an ndata payload from sktid; others end the mlet as in 1.1.0. */
static inline void
ex_ndata(struct ex_rx *rx, struct pl_mlet_msg *pm, uint8_t sktid)
{
	if (pm->msg.u.ndata.sktid != sktid)
		ex_die_with(pm, "Got ndata from unknown socket");
	if (pm->msg.u.ndata.len > rx->cap - rx->len)
		ex_die_with(pm, "Got too much ndata from endpoint");
	memcpy(rx->buf + rx->len, pm->msg.u.ndata.data, pm->msg.u.ndata.len);
	rx->len += pm->msg.u.ndata.len;
	rx->ep_time = pm->msg.u.ndata.time;
	rx->ctl_time = pm->rxtime;
}

static inline long long
ex_ns(pl_time_t later, pl_time_t earlier)
{
	return (long long)(later - earlier);
}

static inline void
ex_results(size_t len, long long ep_ns, long long ctl_ns)
{
	fprintf(stderr, "\n---->Results<----\nReceived data length: %zu\n", len);
	fprintf(stderr, "Spent time (in ns) at endpoint: %lld\n", ep_ns);
	fprintf(stderr, "Spent time (in ns) at controller: %lld\n", ctl_ns);
	fprintf(stderr, "\n-->Content<--\n\n");
}

/* Eight bytes per line. */
static inline void
ex_hexdump(FILE *f, const uint8_t *p, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		fprintf(f, "%02x%s", p[i], i % 8 == 7 || i + 1 == len ? "\n" : " ");
}

/* The first IPv4 address of host, looked up on this (the controller's)
 * host as the tutorial did. */
static inline void
ex_resolve_ipv4(const char *host, struct pl_mlet_addr *a, uint16_t port)
{
	struct addrinfo	 hints, *res;
	char		 buf[PL_MLET_ADDRSTRLEN];
	int		 r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	if ((r = getaddrinfo(host, NULL, &hints, &res)) != 0)
		ex_die("error: getaddrinfo failed: %s", gai_strerror(r));
	if (res == NULL || pl_mlet_addr_from_sockaddr(a, res->ai_addr) == -1) {
		freeaddrinfo(res);
		ex_die("error: cannot resolve domain");
	}
	freeaddrinfo(res);
	a->port = port;
	fprintf(stderr, ">> Resolved IPv4 address: %s\n",
	    pl_mlet_addr_ntop(a, buf, sizeof(buf)));
}

#endif /* PL_EXAMPLE_H */
