/*
 * vmem.c: the endpoint's virtual memory map as controllers see it through
 * mread and mwrite (protocol spec §8): SYSPARAM, the SKTINFO blocks and the
 * NSENDTSTP array (always zero, as 1.1.0 never fills it).
 *
 * Reads compose the big-endian image of each field that overlaps the
 * requested range, so no region is ever materialised whole.  Writes are
 * applied byte by byte onto the big-endian image of the writable fields,
 * which gives partial writes of a multi-byte field a defined meaning.
 */
#include <string.h>

#include "endpoint/pure/endpt.h"
#include "util/util.h"

struct region {
	uint32_t	 base;
	uint32_t	 span;
	void		(*read)(const struct ep_vmem *, uint32_t off, uint8_t *,
			    size_t);
};

static void	 read_sysparam(const struct ep_vmem *, uint32_t, uint8_t *, size_t);
static void	 read_sktinfo(const struct ep_vmem *, uint32_t, uint8_t *, size_t);
static void	 read_zero(const struct ep_vmem *, uint32_t, uint8_t *, size_t);
static void	 put(uint8_t *out, uint32_t off, size_t len, uint32_t foff,
		    const void *field, size_t flen);
static void	 skt_image(const struct ep_sktinfo *, uint8_t img[0x180]);

/* CURPKT, MONSCRATCH and MONPERSIST are not mapped for controllers. */
static const struct region regions[] = {
	{ PL_VMEM_SYSPARAM,	PL_VMEM_SYSPARAM_LEN,	read_sysparam },
	{ PL_VMEM_SKTINFO,	PL_VMEM_SKTINFO_LEN,	read_sktinfo },
	{ PL_VMEM_NSENDTSTP,	PL_VMEM_NSENDTSTP_LEN,	read_zero },
};

/* IPv4 header fields: version IHL TOS totlen ID flags frag TTL proto csum src dst. */
static const uint8_t linux_ip4hdrmod[12] = { 0, 0, 0, 1, 2, 0, 0, 0, 0, 1, 2, 0 };

/* The SKTINFO image up to CTFL's end; the rest of a block reads as 0. */
#define SKT_IMAGE_LEN	(PL_SKT_CTFL + PL_SKT_CTFL_LEN)

void
ep_vmem_sys_init(struct ep_sysparam *sp, const struct ep_conf *conf)
{
	size_t	 i;

	memset(sp, 0, sizeof(*sp));
	sp->nip4 = (uint8_t)(conf->nip4 > 255 ? 255 : conf->nip4);
	for (i = 0; i < conf->nip4 && i < PL_MAX_LADDR_CNT; i++) {
		memcpy(sp->ip4[i], conf->ip4[i].addr, 4);
		memcpy(sp->ip4[i] + 4, conf->ip4[i].mask, 4);
	}
	sp->nip6 = (uint8_t)(conf->nip6 > 255 ? 255 : conf->nip6);
	for (i = 0; i < conf->nip6 && i < PL_MAX_LADDR_CNT; i++)
		memcpy(sp->ip6[i], conf->ip6[i], 16);
	sp->transsup = conf->transsup;
	sp->bufmax = conf->bufmax;
	sp->ndns4 = (uint8_t)conf->ndns4;
	memcpy(sp->dns4, conf->dns4, sizeof(sp->dns4));
	sp->ndns6 = (uint8_t)conf->ndns6;
	memcpy(sp->dns6, conf->dns6, sizeof(sp->dns6));
	memcpy(sp->ip4hdrmod, linux_ip4hdrmod, sizeof(sp->ip4hdrmod));
	memcpy(sp->hostid, conf->hostid, sizeof(conf->hostid));
}

void
ep_vmem_read(const struct ep_vmem *vm, uint32_t addr, uint8_t *out, size_t len)
{
	const struct region	*r;
	uint64_t		 a = addr, end = (uint64_t)addr + len;
	size_t			 i, n;

	memset(out, 0, len);
	while (a < end) {
		r = NULL;
		for (i = 0; i < PL_NELEM(regions); i++)
			if (a >= regions[i].base &&
			    a < (uint64_t)regions[i].base + regions[i].span)
				r = &regions[i];
		if (r == NULL)
			return;		/* a gap: the rest stays zero */
		n = (size_t)((uint64_t)r->base + r->span - a);
		if (n > end - a)
			n = (size_t)(end - a);
		r->read(vm, (uint32_t)(a - r->base), out + (a - addr), n);
		a += n;
	}
}

/* Copy the part of field [foff, foff+flen) that overlaps [off, off+len). */
static void
put(uint8_t *out, uint32_t off, size_t len, uint32_t foff, const void *field,
    size_t flen)
{
	uint64_t	 lo, hi;

	lo = off > foff ? off : foff;
	hi = (uint64_t)off + len < (uint64_t)foff + flen ?
	    (uint64_t)off + len : (uint64_t)foff + flen;
	if (lo >= hi)
		return;
	memcpy(out + (lo - off), (const uint8_t *)field + (lo - foff),
	    (size_t)(hi - lo));
}

static void
read_sysparam(const struct ep_vmem *vm, uint32_t off, uint8_t *out, size_t len)
{
	const struct ep_sysparam *sp = &vm->sys;
	uint8_t		 b4[4], b8[8];

#define SP(f)	((f) - PL_VMEM_SYSPARAM)
	put(out, off, len, SP(PL_SP_IP4NO), &sp->nip4, 1);
	put(out, off, len, SP(PL_SP_IP6NO), &sp->nip6, 1);
	pl_put32(b4, sp->transsup);
	put(out, off, len, SP(PL_SP_TRANSSUP), b4, 4);
	pl_put32(b4, sp->bufmax);
	put(out, off, len, SP(PL_SP_BUFMAX_DUP), b4, 4);
	put(out, off, len, SP(PL_SP_IP4LS), sp->ip4, (size_t)sp->nip4 * 8);
	put(out, off, len, SP(PL_SP_IP6LS), sp->ip6, (size_t)sp->nip6 * 16);
	pl_put64(b8, sp->time);
	put(out, off, len, SP(PL_SP_TIME), b8, 8);
	put(out, off, len, SP(PL_SP_BUFMAX), b4, 4);
	pl_put32(b4, sp->bufused);
	put(out, off, len, SP(PL_SP_BUFUSED), b4, 4);
	put(out, off, len, SP(PL_SP_IP4DNSNO), &sp->ndns4, 1);
	put(out, off, len, SP(PL_SP_IP6DNSNO), &sp->ndns6, 1);
	put(out, off, len, SP(PL_SP_IP4DNSLS), sp->dns4, (size_t)sp->ndns4 * 4);
	put(out, off, len, SP(PL_SP_IP6DNSLS), sp->dns6, (size_t)sp->ndns6 * 16);
	put(out, off, len, SP(PL_SP_IP4HDRMOD), sp->ip4hdrmod, sizeof(sp->ip4hdrmod));
	put(out, off, len, SP(PL_SP_IP6HDRMOD), sp->ip6hdrmod, sizeof(sp->ip6hdrmod));
	put(out, off, len, SP(PL_SP_HOSTID), sp->hostid, sizeof(sp->hostid));
	/* LATLONG and OSINFO are zeros, as in 1.1.0. */
#undef SP
}

/* The big-endian image of one block, up to the end of CTFL. */
static void
skt_image(const struct ep_sktinfo *s, uint8_t img[SKT_IMAGE_LEN])
{
	memset(img, 0, SKT_IMAGE_LEN);
	img[PL_SKT_FAMILY] = s->family;
	img[PL_SKT_PROTO] = s->proto;
	img[PL_SKT_STATE] = (uint8_t)s->state;
	memcpy(img + PL_SKT_LADDR, s->laddr, 16);
	memcpy(img + PL_SKT_RADDR, s->raddr, 16);
	pl_put16(img + PL_SKT_LPORT, s->lport);
	pl_put16(img + PL_SKT_RPORT, s->rport);
	pl_put32(img + PL_SKT_RBUFSZ, s->rbufsz);
	pl_put32(img + PL_SKT_RBUFUSED, s->rbufused);
	pl_put32(img + PL_SKT_DROPBYTE, s->dropbyte);
	pl_put32(img + PL_SKT_DROPPKT, s->droppkt);
	img[PL_SKT_NSENDERR] = (uint8_t)s->nsenderr;
	pl_put16(img + PL_SKT_NSENDERRTAG, s->nsenderrtag);
	pl_put16(img + PL_SKT_NOTIFMASK, s->notifmask);
	memcpy(img + PL_SKT_CTFL, s->ctfl, PL_SKT_CTFL_LEN);
}

static void
read_sktinfo(const struct ep_vmem *vm, uint32_t off, uint8_t *out, size_t len)
{
	uint8_t		 img[SKT_IMAGE_LEN];
	uint64_t	 end = (uint64_t)off + len;
	uint32_t	 id, boff;

	for (id = off / PL_VMEM_SKTINFO_STRIDE;
	    id < PL_MAX_SKT_CNT && (uint64_t)id * PL_VMEM_SKTINFO_STRIDE < end;
	    id++) {
		boff = id * PL_VMEM_SKTINFO_STRIDE;
		skt_image(&vm->skt[id], img);
		put(out, off, len, boff, img, sizeof(img));
	}
}

static void
read_zero(const struct ep_vmem *vm, uint32_t off, uint8_t *out, size_t len)
{
	memset(out, 0, len);
}

/* The writable fields of a block (§8.3), as offsets and lengths. */
static const struct {
	uint32_t	 off;
	uint32_t	 len;
} writable[] = {
	{ PL_SKT_RBUFSZ,	4 },
	{ PL_SKT_NSENDERR,	1 },
	{ PL_SKT_NSENDERRTAG,	2 },
	{ PL_SKT_NOTIFMASK,	2 },
	{ PL_SKT_CTFL,		PL_SKT_CTFL_LEN },
};

void
ep_vmem_write(struct ep_vmem *vm, uint32_t addr, const uint8_t *data,
    size_t len, ep_vmem_change_fn *changed, void *arg)
{
	struct ep_sktinfo	 before, *s;
	uint8_t			 img[SKT_IMAGE_LEN];
	uint64_t		 a, end = (uint64_t)addr + len, lo, hi;
	uint32_t		 id, boff;
	size_t			 i;
	int			 hit;

	if (len == 0 || end <= PL_VMEM_SKTINFO ||
	    addr >= (uint64_t)PL_VMEM_SKTINFO + PL_VMEM_SKTINFO_LEN)
		return;
	a = addr < PL_VMEM_SKTINFO ? PL_VMEM_SKTINFO : addr;
	for (id = (uint32_t)((a - PL_VMEM_SKTINFO) / PL_VMEM_SKTINFO_STRIDE);
	    id < PL_MAX_SKT_CNT; id++) {
		boff = PL_VMEM_SKTINFO + id * PL_VMEM_SKTINFO_STRIDE;
		if (boff >= end)
			break;
		s = &vm->skt[id];
		if (s->state < PL_SKTST_OPENING)
			continue;
		before = *s;
		skt_image(s, img);
		hit = 0;
		for (i = 0; i < PL_NELEM(writable); i++) {
			lo = boff + writable[i].off;
			hi = lo + writable[i].len;
			if (lo < addr)
				lo = addr;
			if (hi > end)
				hi = end;
			if (lo >= hi)
				continue;
			memcpy(img + (lo - boff), data + (lo - addr),
			    (size_t)(hi - lo));
			hit = 1;
		}
		if (!hit)
			continue;
		s->rbufsz = pl_get32(img + PL_SKT_RBUFSZ);
		s->nsenderr = (int8_t)img[PL_SKT_NSENDERR];
		s->nsenderrtag = pl_get16(img + PL_SKT_NSENDERRTAG);
		s->notifmask = pl_get16(img + PL_SKT_NOTIFMASK);
		memcpy(s->ctfl, img + PL_SKT_CTFL, PL_SKT_CTFL_LEN);
		if (changed != NULL)
			changed(arg, (uint8_t)id, &before);
	}
}
