/*
 * vmem.c: endpoint facts an mlet reads from the endpoint's memory map
 * (spec §8): its clock, host id, transports, buffer budget, local and DNS
 * addresses, and one socket's SKTINFO block; and the two SKTINFO fields an
 * mlet writes (NOTIFMASK, RBUFSZ).
 */
#include <string.h>

#include "pktlab/vmem.h"
#include "mlet_int.h"

#define SKTINFO_READ	0x80	/* covers every field up to NOTIFMASK */

static int	 family_ok(struct pl_mlet *, const char *, uint8_t);
static int	 read_count(struct pl_mlet *, uint32_t, size_t, size_t, size_t *,
		    size_t *);
static void	 addr_set(struct pl_mlet_addr *, uint8_t, const uint8_t *, uint16_t);

int
pl_mlet_ep_time(struct pl_mlet *m, pl_time_t *now)
{
	uint8_t	 b[8];
	int	 r;

	if ((r = pl_mlet_mread(m, PL_SP_TIME, b, sizeof(b))) < 0)
		return r;
	*now = pl_get64(b);
	return 0;
}

int
pl_mlet_hostid(struct pl_mlet *m, char *buf, size_t len)
{
	uint8_t	 b[PL_SP_HOSTID_LEN];
	size_t	 n;
	int	 r;

	if (len == 0)
		return mlet_fail(m, PL_MLET_INVAL, "hostid: no room for the answer");
	if ((r = pl_mlet_mread(m, PL_SP_HOSTID, b, sizeof(b))) < 0)
		return r;
	for (n = 0; n < sizeof(b) && b[n] != '\0' && n < len - 1; n++)
		buf[n] = (char)b[n];
	buf[n] = '\0';
	return 0;
}

int
pl_mlet_transsup(struct pl_mlet *m, uint32_t *mask)
{
	uint8_t	 b[4];
	int	 r;

	if ((r = pl_mlet_mread(m, PL_SP_TRANSSUP, b, sizeof(b))) < 0)
		return r;
	*mask = pl_get32(b);
	return 0;
}

int
pl_mlet_bufinfo(struct pl_mlet *m, uint32_t *max, uint32_t *used)
{
	uint8_t	 b[8];
	int	 r;

	if ((r = pl_mlet_mread(m, PL_SP_BUFMAX, b, sizeof(b))) < 0)
		return r;
	*max = pl_get32(b);
	*used = pl_get32(b + 4);
	return 0;
}

static int
family_ok(struct pl_mlet *m, const char *op, uint8_t family)
{
	if (family == PL_FAM_IPV4 || family == PL_FAM_IPV6)
		return 0;
	return mlet_fail(m, PL_MLET_INVAL, "%s: family %u is neither IPv4 (4) "
	    "nor IPv6 (6)", op, family);
}

/* The count byte at addr: *n as the endpoint says, *take what fits. */
static int
read_count(struct pl_mlet *m, uint32_t addr, size_t limit, size_t max, size_t *n,
    size_t *take)
{
	uint8_t	 c;
	int	 r;

	if ((r = pl_mlet_mread(m, addr, &c, 1)) < 0)
		return r;
	*n = c;
	*take = c < limit ? c : limit;
	if (*take > max)
		*take = max;
	return 0;
}

static void
addr_set(struct pl_mlet_addr *a, uint8_t family, const uint8_t *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	memcpy(a->ip, ip, pl_addrlen(family));
	a->port = port;
}

int
pl_mlet_local_addrs(struct pl_mlet *m, uint8_t family, struct pl_mlet_laddr *out,
    size_t max, size_t *n)
{
	uint8_t		 b[PL_MAX_LADDR_CNT * 16];
	size_t		 take, i, stride = family == PL_FAM_IPV4 ? 8 : 16;
	int		 r;

	*n = 0;
	if ((r = family_ok(m, "local addresses", family)) < 0)
		return r;
	if ((r = read_count(m, family == PL_FAM_IPV4 ? PL_SP_IP4NO : PL_SP_IP6NO,
	    PL_MAX_LADDR_CNT, max, n, &take)) < 0 || take == 0)
		return r;
	if ((r = pl_mlet_mread(m, family == PL_FAM_IPV4 ? PL_SP_IP4LS : PL_SP_IP6LS,
	    b, take * stride)) < 0)
		return r;
	for (i = 0; i < take; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		addr_set(&out[i].addr, family, b + i * stride, 0);
		if (family == PL_FAM_IPV4)
			memcpy(out[i].netmask, b + i * stride + 4, 4);
	}
	return 0;
}

int
pl_mlet_dns_servers(struct pl_mlet *m, uint8_t family, struct pl_mlet_addr *out,
    size_t max, size_t *n)
{
	uint8_t	 b[PL_MAX_DNS_CNT * 16];
	size_t	 take, i, alen = pl_addrlen(family);
	int	 r;

	*n = 0;
	if ((r = family_ok(m, "DNS servers", family)) < 0)
		return r;
	if ((r = read_count(m, family == PL_FAM_IPV4 ? PL_SP_IP4DNSNO : PL_SP_IP6DNSNO,
	    PL_MAX_DNS_CNT, max, n, &take)) < 0 || take == 0)
		return r;
	/* Only the entries asked for: 1.1.0's pktif read the whole list into
	 * one address (spec §13.4). */
	if ((r = pl_mlet_mread(m, family == PL_FAM_IPV4 ? PL_SP_IP4DNSLS :
	    PL_SP_IP6DNSLS, b, take * alen)) < 0)
		return r;
	for (i = 0; i < take; i++)
		addr_set(&out[i], family, b + i * alen, 53);
	return 0;
}

int
pl_mlet_sktinfo(struct pl_mlet *m, uint8_t sktid, struct pl_mlet_sktinfo *si)
{
	uint8_t	 b[SKTINFO_READ];
	int	 r;

	if ((r = pl_mlet_mread(m, pl_sktinfo_addr(sktid, 0), b, sizeof(b))) < 0)
		return r;
	memset(si, 0, sizeof(*si));
	si->family = b[PL_SKT_FAMILY];
	si->proto = b[PL_SKT_PROTO];
	si->state = (int8_t)b[PL_SKT_STATE];
	addr_set(&si->laddr, si->family, b + PL_SKT_LADDR, pl_get16(b + PL_SKT_LPORT));
	addr_set(&si->raddr, si->family, b + PL_SKT_RADDR, pl_get16(b + PL_SKT_RPORT));
	si->rbufsz = pl_get32(b + PL_SKT_RBUFSZ);
	si->rbufused = pl_get32(b + PL_SKT_RBUFUSED);
	si->dropbytes = pl_get32(b + PL_SKT_DROPBYTE);
	si->droppkts = pl_get32(b + PL_SKT_DROPPKT);
	si->nsenderr = (int8_t)b[PL_SKT_NSENDERR];
	si->nsenderrtag = pl_get16(b + PL_SKT_NSENDERRTAG);
	si->notifmask = pl_get16(b + PL_SKT_NOTIFMASK);
	return 0;
}

int
pl_mlet_set_notifmask(struct pl_mlet *m, uint8_t sktid, uint16_t mask)
{
	uint8_t	 b[2];

	pl_put16(b, mask);
	return pl_mlet_mwrite(m, pl_sktinfo_addr(sktid, PL_SKT_NOTIFMASK), b, sizeof(b));
}

int
pl_mlet_set_rbufsz(struct pl_mlet *m, uint8_t sktid, uint32_t rbufsz)
{
	uint8_t	 b[4];

	pl_put32(b, rbufsz);
	return pl_mlet_mwrite(m, pl_sktinfo_addr(sktid, PL_SKT_RBUFSZ), b, sizeof(b));
}
