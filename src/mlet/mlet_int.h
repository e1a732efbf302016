/*
 * mlet_int.h: the inside of a session, shared by the files of the mlet
 * library (session.c: I/O, reply matching and the notification queue;
 * request.c: request helpers; vmem.c: endpoint facts; handoff.c:
 * singleton mode; addr.c: addresses).  Not installed.
 */
#ifndef PL_MLET_INT_H
#define PL_MLET_INT_H

#include <stdarg.h>
#include <stdint.h>

#include "pktlab/mlet.h"

/* A request waiting for, or holding, its reply (FIFO order, spec §2). */
struct pending {
	TAILQ_ENTRY(pending)	 entry;
	uint64_t		 seq;
	uint8_t			 type;		/* the request's type */
	uint8_t			 encoded;	/* built by the codec, so well formed */
	uint8_t			 sktid, family, proto;	/* nopen, nclose */
	uint32_t		 addr;		/* mread */
	uint16_t		 len;		/* mread */
	int			 answered;
	int			 abandoned;	/* drop the reply when it comes */
	struct pl_mlet_msg	*reply;
};

/* What the session knows of a socket it opened. */
struct sktslot {
	uint8_t		 open;
	uint8_t		 family;
	uint8_t		 proto;
};

struct pl_mlet {
	int			 fd;
	char			*epaddr;
	int			 timeout_ms;

	/* Bytes read but not yet decoded: in[inoff..inlen). */
	uint8_t			*in;
	size_t			 inoff, inlen, incap;
	pl_time_t		 rxtime;	/* when the last bytes came in */
	int			 eof;		/* read() said 0: no more bytes */
	/* Encoding scratch for outgoing messages. */
	uint8_t			*out;
	size_t			 outcap;

	/* Once set, the session is over; the first reason wins. */
	int			 ending;
	int			 end_code;
	char			 end_text[200];

	TAILQ_HEAD(, pl_mlet_msg) queue;	/* notifications, oldest first */
	size_t			 qlen;

	TAILQ_HEAD(, pending)	 pending;	/* requests, oldest first */
	struct pending		*unanswered;	/* oldest pending without reply */
	uint64_t		 nextseq;

	struct sktslot		 skt[PL_MAX_SKT_CNT];
	struct pl_mlet_error	 err;
};

/* session.c */
int	 mlet_fail(struct pl_mlet *, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	 mlet_fail_errid(struct pl_mlet *, const char *op, const struct pl_msg *result);
int	 mlet_transact(struct pl_mlet *, const char *op, const struct pl_msg *req,
	    struct pl_mlet_msg **reply);
void	 mlet_error_set(struct pl_mlet_error *, int code, int sys_errno,
	    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
const char *mlet_type_str(uint8_t type, char buf[8]);

#endif /* PL_MLET_INT_H */
