/*
 * request.c: one function per request an mlet sends (nopen, nsend, nclose,
 * ncap, nctl, mread, mwrite), each checking its arguments before anything
 * is written, so that a mistake is reported here rather than as an
 * ECTLBADMSG that ends the session or a request that crashes a 1.1.0
 * endpoint (spec §16).  yield is in session.c.
 */
#include <string.h>

#include "mlet_int.h"

#define MREAD_CHUNK	PL_MREAD_MAX			/* len is 16-bit */
#define MWRITE_MAX	(PL_BODY_MAX - 4)		/* body = addr + data */
#define VMEM_LAST	0xFFFFFFFFu			/* ERRATA 1 */

static int	 family_ok(uint8_t);
static int	 nopen(struct pl_mlet *, uint8_t, uint8_t, uint8_t,
		    const struct pl_mlet_addr *, const struct pl_mlet_addr *, uint32_t);
static const struct sktslot *lookup(struct pl_mlet *, const char *, uint8_t,
		    uint8_t);
static int	 range_ok(struct pl_mlet *, const char *, uint32_t, size_t);

static int
family_ok(uint8_t family)
{
	return family == PL_FAM_IPV4 || family == PL_FAM_IPV6;
}

static int
nopen(struct pl_mlet *m, uint8_t sktid, uint8_t family, uint8_t proto,
    const struct pl_mlet_addr *laddr, const struct pl_mlet_addr *raddr,
    uint32_t rbufsz)
{
	struct pl_mlet_addr	 any;
	struct pl_msg		 msg;

	if (!family_ok(family))
		return mlet_fail(m, PL_MLET_INVAL, "nopen: family %u is neither "
		    "IPv4 (4) nor IPv6 (6)", family);
	if (laddr == NULL) {
		pl_mlet_addr_any(&any, family);
		laddr = &any;
	} else if (laddr->family != family)
		return mlet_fail(m, PL_MLET_INVAL, "nopen: the local address is "
		    "not of the socket's family");
	pl_msg_nopen(&msg, sktid, family, proto, rbufsz, laddr->ip, laddr->port,
	    raddr != NULL ? raddr->ip : NULL, raddr != NULL ? raddr->port : 0);
	return mlet_transact(m, "nopen", &msg, NULL);
}

int
pl_mlet_nopen_tcp(struct pl_mlet *m, uint8_t sktid, const struct pl_mlet_addr *laddr,
    const struct pl_mlet_addr *raddr, uint32_t rbufsz)
{
	/* Without raddr this would be a TCP listen, which aborts 1.1.0. */
	if (raddr == NULL || !family_ok(raddr->family))
		return mlet_fail(m, PL_MLET_INVAL, "nopen: a TCP socket needs a "
		    "remote IPv4 or IPv6 address");
	return nopen(m, sktid, raddr->family, PL_PROTO_TCP, laddr, raddr, rbufsz);
}

int
pl_mlet_nopen_udp(struct pl_mlet *m, uint8_t sktid, uint8_t family,
    const struct pl_mlet_addr *laddr, uint32_t rbufsz)
{
	return nopen(m, sktid, family, PL_PROTO_UDP, laddr, NULL, rbufsz);
}

int
pl_mlet_nopen_raw(struct pl_mlet *m, uint8_t sktid, uint8_t family,
    const struct pl_mlet_addr *laddr, uint32_t rbufsz)
{
	return nopen(m, sktid, family, PL_PROTO_RAW, laddr, NULL, rbufsz);
}

/* The socket as opened here, or NULL with the error set; want is the
 * protocol the request needs, or 0xFF for "TCP or RAW". */
static const struct sktslot *
lookup(struct pl_mlet *m, const char *op, uint8_t sktid, uint8_t want)
{
	const struct sktslot	*s = &m->skt[sktid];
	const char		*what;

	if (!s->open) {
		mlet_fail(m, PL_MLET_INVAL, "%s: socket %u was not opened in this "
		    "session", op, sktid);
		return NULL;
	}
	if (want == 0xFF ? s->proto == PL_PROTO_UDP : s->proto != want) {
		what = want == PL_PROTO_RAW ? "RAW" : want == PL_PROTO_TCP ? "TCP" :
		    want == PL_PROTO_UDP ? "UDP" : "TCP or RAW";
		mlet_fail(m, PL_MLET_INVAL, "%s: socket %u is not a %s socket", op,
		    sktid, what);
		return NULL;
	}
	return s;
}

int
pl_mlet_nsend(struct pl_mlet *m, uint8_t sktid, uint16_t tag, pl_time_t time,
    const void *data, size_t len)
{
	const struct sktslot	*s;
	struct pl_msg		 msg;

	if ((s = lookup(m, "nsend", sktid, 0xFF)) == NULL)
		return m->err.code;
	pl_msg_nsend(&msg, sktid, s->family, s->proto, time, tag, NULL, 0, data, len);
	return mlet_transact(m, "nsend", &msg, NULL);
}

int
pl_mlet_nsend_to(struct pl_mlet *m, uint8_t sktid, uint16_t tag, pl_time_t time,
    const struct pl_mlet_addr *raddr, const void *data, size_t len)
{
	const struct sktslot	*s;
	struct pl_msg		 msg;

	if ((s = lookup(m, "nsend", sktid, PL_PROTO_UDP)) == NULL)
		return m->err.code;
	if (raddr == NULL || raddr->family != s->family)
		return mlet_fail(m, PL_MLET_INVAL, "nsend: socket %u needs a "
		    "destination of its own family", sktid);
	pl_msg_nsend(&msg, sktid, s->family, s->proto, time, tag, raddr->ip,
	    raddr->port, data, len);
	return mlet_transact(m, "nsend", &msg, NULL);
}

int
pl_mlet_nclose(struct pl_mlet *m, uint8_t sktid)
{
	struct pl_msg	 msg;

	pl_msg_nclose(&msg, sktid);
	return mlet_transact(m, "nclose", &msg, NULL);
}

int
pl_mlet_ncap(struct pl_mlet *m, uint8_t sktid, pl_time_t endtime,
    const uint8_t *prog, size_t proglen)
{
	const struct sktslot	*s;
	struct pl_msg		 msg;

	if ((s = lookup(m, "ncap", sktid, PL_PROTO_RAW)) == NULL)
		return m->err.code;
	if (prog == NULL || proglen < 1)
		return mlet_fail(m, PL_MLET_INVAL, "ncap: the filter program is empty");
	pl_msg_ncap(&msg, sktid, s->family, s->proto, endtime, prog, proglen);
	return mlet_transact(m, "ncap", &msg, NULL);
}

int
pl_mlet_tcp_fin(struct pl_mlet *m, uint8_t sktid, pl_time_t time)
{
	const struct sktslot	*s;
	struct pl_msg		 msg;

	if ((s = lookup(m, "nctl", sktid, PL_PROTO_TCP)) == NULL)
		return m->err.code;
	pl_msg_nctl(&msg, sktid, s->family, s->proto, time, PL_NCTL_TCP_FIN);
	return mlet_transact(m, "nctl", &msg, NULL);
}

/* A range the endpoint's decoder takes (ERRATA 1: it may end at 2^32 - 1). */
static int
range_ok(struct pl_mlet *m, const char *op, uint32_t addr, size_t len)
{
	if (len == 0 || (uint64_t)addr + len > VMEM_LAST)
		return mlet_fail(m, PL_MLET_INVAL, "%s: %zu bytes at 0x%08x is not a "
		    "valid range of endpoint memory", op, len, addr);
	return 0;
}

int
pl_mlet_mread(struct pl_mlet *m, uint32_t addr, void *buf, size_t len)
{
	struct pl_mlet_msg	*pm;
	struct pl_msg		 msg;
	uint8_t			*p = buf;
	size_t			 n;
	int			 r;

	if ((r = range_ok(m, "mread", addr, len)) < 0)
		return r;
	while (len > 0) {
		n = len < MREAD_CHUNK ? len : MREAD_CHUNK;
		pl_msg_mread(&msg, addr, (uint16_t)n);
		if ((r = mlet_transact(m, "mread", &msg, &pm)) < 0)
			return r;
		memcpy(p, pm->msg.u.mem.data, n);
		pl_mlet_msg_free(pm);
		p += n;
		addr += (uint32_t)n;
		len -= n;
	}
	return 0;
}

int
pl_mlet_mwrite(struct pl_mlet *m, uint32_t addr, const void *data, size_t len)
{
	struct pl_msg	 msg;
	int		 r;

	if ((r = range_ok(m, "mwrite", addr, len)) < 0)
		return r;
	if (len > MWRITE_MAX)
		return mlet_fail(m, PL_MLET_INVAL, "mwrite: %zu bytes do not fit "
		    "in one message", len);
	pl_msg_mwrite(&msg, addr, data, len);
	return mlet_transact(m, "mwrite", &msg, NULL);
}
