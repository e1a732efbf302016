/*
 * rtls.h: a TLS 1.3 connection on a non-blocking socket after
 * cred_tls_detach: our record layer (cred/rec13.h) with the buffering of a
 * socket, shaped like OpenSSL's non-blocking calls so that a data path
 * written for SSL_read/SSL_write moves over with few changes.
 *
 * Differences that matter to a caller:
 *  - rtls_write always takes everything it is given (sealed into records of
 *    at most 16 KiB, written at once where the socket takes them, the rest
 *    kept): the caller bounds what it hands over with rtls_unsent.  Several
 *    records go out in one write(2).
 *  - rtls_read reads the socket up to 64 KiB at a time and opens records in
 *    place; a peer's KeyUpdate that asks for ours is answered at once.  A
 *    peer that keeps asking while it reads nothing would grow the output
 *    without end: after RTLS_KU_MAX answers waiting for the socket the
 *    connection fails.
 *  - Buffers exist only while they hold something (rtls_idle frees the
 *    read buffer once empty; the write buffer goes as soon as it is
 *    written): an idle connection costs sizeof(struct rtls).
 * One thread; no locking.
 */
#ifndef PL_CRED_RTLS_H
#define PL_CRED_RTLS_H

#include <stddef.h>
#include <stdint.h>

#include "cred/rec13.h"

struct rtls {
	int		 fd;
	struct rec13	 rec;
	uint8_t		*in;		/* raw bytes read, not yet opened */
	size_t		 inoff, inlen, incap;
	const uint8_t	*pt;		/* an opened record's data not yet taken */
	size_t		 ptlen;
	uint8_t		*out;		/* sealed records not yet written */
	size_t		 outoff, outlen, outcap;
	unsigned	 eof:1;		/* the socket said EOF */
	unsigned	 sent_close:1;	/* our close_notify is sealed */
	unsigned	 ku_unsent;	/* KeyUpdate answers since out was empty */
	int		 syserr;	/* RTLS_ERROR from the socket: errno, else 0 */
	char		 why[120];	/* RTLS_ERROR: what happened */
};

#define RTLS_KU_MAX	1024

enum rtls_res {
	RTLS_OK,
	RTLS_WANT_READ,		/* nothing more now: wait for EV_READ */
	RTLS_CLOSED,		/* the peer's close_notify */
	RTLS_EOF,		/* the socket closed (or reset) without one */
	RTLS_ERROR		/* why says what; the connection is over */
};

/* fd and the record state from cred_tls_detach; buffers start empty. */
void	 rtls_init(struct rtls *, int fd, const struct rec13 *);
/* Free the buffers and erase the keys; the socket is the caller's. */
void	 rtls_free(struct rtls *);

/* Up to room bytes of application data into buf (*n > 0 with RTLS_OK). */
enum rtls_res rtls_read(struct rtls *, uint8_t *buf, size_t room, size_t *n);
/* Data or a whole record is buffered: read again without waiting. */
int	 rtls_pending(const struct rtls *);
/* The read buffer goes when it holds nothing. */
void	 rtls_idle(struct rtls *);

/*
 * Seal len bytes after what waits and write what the socket takes.
 * RTLS_OK (even when some stays in rtls_unsent) or RTLS_ERROR (the socket
 * failed: EPIPE, a reset; why says so).
 */
enum rtls_res rtls_write(struct rtls *, const void *buf, size_t len);
/* Write what waits; RTLS_OK or RTLS_ERROR. */
enum rtls_res rtls_flush(struct rtls *);
/* Sealed bytes the socket has not taken yet. */
size_t	 rtls_unsent(const struct rtls *);
/* Seal our close_notify (once) and flush. */
enum rtls_res rtls_close_notify(struct rtls *);

#endif /* PL_CRED_RTLS_H */
