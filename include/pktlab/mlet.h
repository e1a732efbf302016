/*
 * pktlab/mlet.h: the library a measurement applet (mlet) is written against.
 *
 * pktxpmgr starts an mlet with fd 0 = a plain AF_UNIX stream socket that
 * carries PacketLab messages to and from one endpoint, and an environment of
 * only EPADDR=<endpoint IP> (protocol spec §13.1).  In singleton mode it
 * starts one mlet and hands it one such socket per endpoint over SCM_RIGHTS
 * (§13.3); pl_mlet_recv_endpoint() receives them.
 *
 * A session (struct pl_mlet) wraps one such socket.  Requests get exactly
 * one reply each (result or mdata), in request order (§2): the library
 * matches them first-in-first-out.  Every other message that arrives
 * meanwhile (ndata, nstat, ntag, ndrop, nblock, suspd, unknown types...) is
 * kept, in arrival order, in the session's notification queue, which the
 * caller drains or waits on.
 *
 * Rules of the road:
 *  - No global state: sessions are independent; one session must not be
 *    used by two threads at once.
 *  - Every function that can fail returns 0 (or a count) on success and a
 *    negative PL_MLET_* status on failure; pl_mlet_error() then tells what
 *    happened in a sentence fit for a user.
 *  - Memory: the session owns everything inside it.  A struct pl_mlet_msg
 *    handed to the caller is one malloc block owned by the caller, released
 *    with pl_mlet_msg_free(); its pointers point into itself.  Nothing else
 *    is allocated for the caller.
 *  - fd 0 stays blocking: the library uses poll() for its timeouts and
 *    MSG_DONTWAIT/MSG_NOSIGNAL per call, never changes the descriptor's
 *    flags, and never raises SIGPIPE.
 *  - Some replies end the session (ERRATA 6): the SUCCESS reply to yield, a
 *    result ECTLBADMSG (except to an nctl, whose unknown command gets it
 *    without a reset), a start failure, an unsolicited error result, and
 *    the suspd notification.  Once one is seen pl_mlet_ending() is 1,
 *    nothing more is read or written, and every later wait that the queue
 *    (and the bytes already received) cannot satisfy fails with
 *    PL_MLET_ENDED and the reason.
 */
#ifndef PKTLAB_MLET_H
#define PKTLAB_MLET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <pktlab/wire.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Outcomes.  Every failure is negative. */
enum pl_mlet_status {
	PL_MLET_OK		= 0,
	PL_MLET_ERRID		= -1,	/* the endpoint answered with a non-zero errid */
	PL_MLET_EOF		= -2,	/* the endpoint (pktxpmgr) closed the session */
	PL_MLET_ENDED		= -3,	/* the endpoint said the session ends (yield, suspd, ...) */
	PL_MLET_TIMEOUT		= -4,	/* nothing suitable arrived in time */
	PL_MLET_SYS		= -5,	/* a system call failed; see sys_errno */
	PL_MLET_MALFORMED	= -6,	/* malformed message from pktxpmgr */
	PL_MLET_UNEXPECTED	= -7,	/* a reply of the wrong kind (mdata to nopen, ...) */
	PL_MLET_PROTO		= -8,	/* the peer broke the protocol in another way */
	PL_MLET_INVAL		= -9,	/* bad argument (a bug in the caller) */
	PL_MLET_NOMEM		= -10,	/* out of memory */
	PL_MLET_NOFD		= -11,	/* singleton: address string without a descriptor */
	PL_MLET_TOOLONG		= -12,	/* singleton: address string over 46 bytes */
	PL_MLET_BADFD		= -13,	/* singleton: descriptor landed on 0, 1 or 2 */
};

/* What went wrong, last failure of a session (or of pl_mlet_recv_endpoint). */
struct pl_mlet_error {
	int		 code;		/* enum pl_mlet_status; 0 when nothing failed */
	int		 sys_errno;	/* PL_MLET_SYS, and EOF by reset: errno */
	uint16_t	 errid;		/* PL_MLET_ERRID: the endpoint's errid */
	uint16_t	 monindx;	/* ECTLMONREJ, ECTLMONUKN */
	uint16_t	 monerrid;	/* ECTLMONREJ */
	uint8_t		 msgtype;	/* UNEXPECTED, MALFORMED: type byte received */
	char		 text[320];	/* "nopen: endpoint answered ESKTINUSE (...)" */
};

/* A short phrase for a status: "endpoint closed the session". */
const char	*pl_mlet_status_str(int status);

/*
 * An address as the wire carries it.  ip is network order (IPv4 uses the
 * first 4 bytes), port is host order.
 */
struct pl_mlet_addr {
	uint8_t		 family;	/* PL_FAM_IPV4 or PL_FAM_IPV6 */
	uint8_t		 ip[16];
	uint16_t	 port;
};
#define PL_MLET_ADDRSTRLEN	46	/* INET6_ADDRSTRLEN */

/* A numeric IPv4 or IPv6 literal (never a DNS lookup): 0, or -1. */
int		 pl_mlet_addr_parse(struct pl_mlet_addr *, const char *ip, uint16_t port);
/* 0.0.0.0:0 or [::]:0, "any" for nopen. */
void		 pl_mlet_addr_any(struct pl_mlet_addr *, uint8_t family);
/* From an AF_INET / AF_INET6 sockaddr: 0, or -1 for another family. */
int		 pl_mlet_addr_from_sockaddr(struct pl_mlet_addr *, const struct sockaddr *);
/* The IP as text (no port) into buf; returns buf ("?" for a bad family). */
const char	*pl_mlet_addr_ntop(const struct pl_mlet_addr *, char *buf, size_t len);

/*
 * A message received from the endpoint.  One malloc block: free it with
 * pl_mlet_msg_free().  msg's pointers point into raw.
 */
struct pl_mlet_msg {
	struct pl_msg		 msg;		/* decoded (msg.known == 0 for unknown types) */
	const uint8_t		*raw;		/* the message as received, header included */
	size_t			 rawlen;
	int			 malformed;	/* its body failed validation */
	const char		*why;		/* malformed: the decoder's reason, else "" */
	pl_time_t		 rxtime;	/* local pktlab time the library read it */
	TAILQ_ENTRY(pl_mlet_msg) entry_;	/* library use */
};
void		 pl_mlet_msg_free(struct pl_mlet_msg *);

/* Sessions. */
struct pl_mlet;

/*
 * A session on fd, a connected stream socket; epaddr (may be NULL) is
 * copied.  NULL with errno EBADF (fd not open), ENOTSOCK, EPROTOTYPE (not a
 * stream socket) or ENOMEM.
 */
struct pl_mlet	*pl_mlet_new(int fd, const char *epaddr);
/* The session pktxpmgr hands over: fd 0 and EPADDR.  NULL with errno ENOENT
 * when EPADDR is not set, otherwise as pl_mlet_new(). */
struct pl_mlet	*pl_mlet_from_env(void);
/* Free the session, its queue and unclaimed replies; the fd stays open. */
void		 pl_mlet_free(struct pl_mlet *);
/* Free the session and close its fd (pktxpmgr then ends the endpoint
 * session).  Returns close()'s result. */
int		 pl_mlet_close(struct pl_mlet *);

int		 pl_mlet_fd(const struct pl_mlet *);
/* The endpoint address given at creation (EPADDR), or NULL. */
const char	*pl_mlet_epaddr(const struct pl_mlet *);
/*
 * Timeout for every synchronous helper below (requests and their replies),
 * in milliseconds; -1 (the default) waits for ever, as 1.1.0 does.
 */
void		 pl_mlet_set_timeout(struct pl_mlet *, int ms);
/* The last failure on this session. */
const struct pl_mlet_error *pl_mlet_error(const struct pl_mlet *);
const char	*pl_mlet_strerror(const struct pl_mlet *);
/* 1 once the endpoint has said the session ends (see the top comment). */
int		 pl_mlet_ending(const struct pl_mlet *);

/*
 * Raw requests.  pl_mlet_send() writes any message; a request (types
 * 0x20-0x3F, 0x80-0x8F) is given a sequence number *seq (0 for a message
 * that gets no reply) whose reply pl_mlet_wait_reply() returns, in any
 * order the caller likes.  A reply nobody will claim should be forgotten,
 * or it stays in the session until pl_mlet_free().  The reply comes back as
 * received: a result with a non-zero errid is not a failure here.
 * pl_mlet_request() sends, waits (session timeout) and checks: it fails with
 * PL_MLET_ERRID for a non-zero errid, PL_MLET_UNEXPECTED for the wrong
 * reply type.  *reply may be NULL when the caller does not want it.
 * On failure *reply is set to NULL.
 */
int		 pl_mlet_send(struct pl_mlet *, const struct pl_msg *, uint64_t *seq);
int		 pl_mlet_wait_reply(struct pl_mlet *, uint64_t seq, int timeout_ms,
		    struct pl_mlet_msg **reply);
void		 pl_mlet_forget(struct pl_mlet *, uint64_t seq);
int		 pl_mlet_request(struct pl_mlet *, const struct pl_msg *,
		    struct pl_mlet_msg **reply);

/*
 * Request helpers: send one request, wait for its reply (session timeout),
 * return 0 on SUCCESS.  The session remembers the family and protocol of
 * each socket opened here (as 1.1.0's pktif does), so nsend, ncap and nctl
 * only need the socket id.  A NULL laddr means "any" (0.0.0.0:0 / [::]:0;
 * for RAW the endpoint's first exported address).
 * The result of nopen and nsend means "accepted": wait for nstat / ntag.
 */
int	pl_mlet_nopen_tcp(struct pl_mlet *, uint8_t sktid, const struct pl_mlet_addr *laddr,
	    const struct pl_mlet_addr *raddr, uint32_t rbufsz);
int	pl_mlet_nopen_udp(struct pl_mlet *, uint8_t sktid, uint8_t family,
	    const struct pl_mlet_addr *laddr, uint32_t rbufsz);
int	pl_mlet_nopen_raw(struct pl_mlet *, uint8_t sktid, uint8_t family,
	    const struct pl_mlet_addr *laddr, uint32_t rbufsz);
/* TCP and RAW (a RAW payload is a whole IP packet).  tag 0: no ntag. */
int	pl_mlet_nsend(struct pl_mlet *, uint8_t sktid, uint16_t tag, pl_time_t time,
	    const void *data, size_t len);
/* UDP: one datagram to raddr. */
int	pl_mlet_nsend_to(struct pl_mlet *, uint8_t sktid, uint16_t tag, pl_time_t time,
	    const struct pl_mlet_addr *raddr, const void *data, size_t len);
int	pl_mlet_nclose(struct pl_mlet *, uint8_t sktid);
/* RAW sockets only (a 1.1.0 endpoint crashes on ncap for TCP/UDP).
 * prog is an encoded eBPF program (pktlab/prog.h). */
int	pl_mlet_ncap(struct pl_mlet *, uint8_t sktid, pl_time_t endtime,
	    const uint8_t *prog, size_t proglen);
/* nctl TCP_FIN: half-close the write side at time (0 = now). */
int	pl_mlet_tcp_fin(struct pl_mlet *, uint8_t sktid, pl_time_t time);
/* Endpoint memory; ranges over 0xFFFF bytes are split into several mreads.
 * addr + len must stay within 0xFFFFFFFF. */
int	pl_mlet_mread(struct pl_mlet *, uint32_t addr, void *buf, size_t len);
int	pl_mlet_mwrite(struct pl_mlet *, uint32_t addr, const void *data, size_t len);
/*
 * Ask the endpoint to run this experiment again after rhint (absolute
 * pktlab time).  The endpoint then ends the session: on success
 * pl_mlet_ending() is 1.  An EOF right after the yield also counts as
 * success, since its reply may be lost (ERRATA 6).
 */
int	pl_mlet_yield(struct pl_mlet *, pl_time_t rhint);

/* Endpoint facts, read from its memory (protocol spec §8). */
int	pl_mlet_ep_time(struct pl_mlet *, pl_time_t *now);
/* HostID, NUL-terminated, truncated to len - 1; "" when unset. */
int	pl_mlet_hostid(struct pl_mlet *, char *buf, size_t len);
/* PL_TRANSSUP_* bits. */
int	pl_mlet_transsup(struct pl_mlet *, uint32_t *mask);
/* Global buffer budget and use, in bytes. */
int	pl_mlet_bufinfo(struct pl_mlet *, uint32_t *max, uint32_t *used);

struct pl_mlet_laddr {
	struct pl_mlet_addr	 addr;		/* port 0 */
	uint8_t			 netmask[4];	/* IPv4 only */
};
/*
 * Exported local addresses (family PL_FAM_IPV4 or PL_FAM_IPV6): fills up to
 * max entries; *n is how many the endpoint has (may exceed max).
 */
int	pl_mlet_local_addrs(struct pl_mlet *, uint8_t family, struct pl_mlet_laddr *out,
	    size_t max, size_t *n);
/* The endpoint's DNS servers, port 53; same conventions. */
int	pl_mlet_dns_servers(struct pl_mlet *, uint8_t family, struct pl_mlet_addr *out,
	    size_t max, size_t *n);

/* One socket's SKTINFO block (§8.3). */
struct pl_mlet_sktinfo {
	uint8_t			 family, proto;
	int8_t			 state;		/* PL_SKTST_* */
	struct pl_mlet_addr	 laddr, raddr;	/* family copied from above */
	uint32_t		 rbufsz, rbufused;
	uint32_t		 dropbytes, droppkts;
	int8_t			 nsenderr;	/* PL_NSENDERR_* */
	uint16_t		 nsenderrtag;
	uint16_t		 notifmask;	/* PL_NOTIF_*: a set bit holds that kind back */
};
int	pl_mlet_sktinfo(struct pl_mlet *, uint8_t sktid, struct pl_mlet_sktinfo *);
int	pl_mlet_set_notifmask(struct pl_mlet *, uint8_t sktid, uint16_t mask);
int	pl_mlet_set_rbufsz(struct pl_mlet *, uint8_t sktid, uint32_t rbufsz);

/*
 * The notification queue.  A match selects messages: each field is a value
 * or PL_MLET_ANY.  sktid applies to ntag, nstat, ndata, ndrop and nblock;
 * tag to ntag; code to nstat (ESTABLISHED is 0).  A NULL match takes any.
 *
 * pl_mlet_wait() returns the oldest queued message that matches, reading
 * more from the endpoint while there is none (timeout_ms: -1 for ever, 0 to
 * read only what is already there).  Messages that do not match stay
 * queued, in order.  It fails with PL_MLET_MALFORMED (and drops the
 * message) when a malformed message of a wanted type comes first, and
 * with PL_MLET_ENDED / PL_MLET_EOF once the session is over and nothing
 * queued matches.  Replies to outstanding requests that arrive meanwhile
 * are stored for their pl_mlet_wait_reply().
 */
#define PL_MLET_ANY	(-1)
struct pl_mlet_match {
	int	 type;		/* message type byte */
	int	 sktid;
	int	 tag;
	int	 code;
};
void	pl_mlet_match_any(struct pl_mlet_match *);
int	pl_mlet_wait(struct pl_mlet *, const struct pl_mlet_match *, int timeout_ms,
	    struct pl_mlet_msg **out);
/* The next message of any kind, in arrival order. */
int	pl_mlet_next(struct pl_mlet *, int timeout_ms, struct pl_mlet_msg **out);
int	pl_mlet_wait_ntag(struct pl_mlet *, uint16_t tag, int timeout_ms,
	    struct pl_mlet_msg **out);
int	pl_mlet_wait_ndata(struct pl_mlet *, uint8_t sktid, int timeout_ms,
	    struct pl_mlet_msg **out);
/* code: an nstat code or PL_MLET_ANY. */
int	pl_mlet_wait_nstat(struct pl_mlet *, uint8_t sktid, int code, int timeout_ms,
	    struct pl_mlet_msg **out);
/* From the queue only, never reading: the oldest match (malformed ones
 * included), or NULL. */
struct pl_mlet_msg *pl_mlet_take(struct pl_mlet *, const struct pl_mlet_match *);
size_t	pl_mlet_queued(const struct pl_mlet *);

/*
 * Singleton mode (§13.3): receive the next endpoint from pktxpmgr on ctlfd
 * (the singleton's fd 0).  Returns 1 with *fd (close-on-exec; dup2 it to 0
 * in the child) and addr (NUL-terminated, "" when pktxpmgr did not know the
 * address), 0 when pktxpmgr closed the socket (it is done), or a negative
 * status with err filled: PL_MLET_NOFD, PL_MLET_TOOLONG, PL_MLET_BADFD
 * (*fd is then the number it had; it is already closed), PL_MLET_PROTO,
 * PL_MLET_SYS.  Never writes to ctlfd.  err may be NULL.
 */
#define PL_MLET_EPADDR_MAX	46
int	pl_mlet_recv_endpoint(int ctlfd, int *fd, char addr[PL_MLET_EPADDR_MAX],
	    struct pl_mlet_error *err);

#ifdef __cplusplus
}
#endif
#endif /* PKTLAB_MLET_H */
