/*
 * msg.c: constructors that fill a struct pl_msg in the canonical form the
 * 1.1.0 encoder produces, and pl_msg_equal(), which compares two messages
 * by what they put on the wire.
 *
 * Constructors borrow pointers.  When an argument cannot be represented
 * (a hint over 255 bytes), the message is poisoned so that pl_encode()
 * refuses it instead of sending something else.
 */
#include <string.h>

#include "pktlab/wire.h"

static void	 init(struct pl_msg *, uint8_t);
static void	 poison(struct pl_msg *);
static int	 same_bytes(const void *, const void *, size_t);
static int	 chlist_equal(const struct pl_chlist *, const struct pl_chlist *);

static void
init(struct pl_msg *m, uint8_t type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->known = 1;
}

/* A known message of a type without an encoder: pl_encode() returns -1. */
static void
poison(struct pl_msg *m)
{
	m->type = PL_UNDEF;
	m->known = 1;
}

void
pl_msg_start(struct pl_msg *m)
{
	init(m, PL_START);
}

void
pl_msg_empty(struct pl_msg *m, uint8_t type)
{
	init(m, type);
}

void
pl_msg_result(struct pl_msg *m, uint16_t errid)
{
	init(m, PL_RESULT);
	m->u.result.errid = errid;
}

void
pl_msg_result_mon(struct pl_msg *m, uint16_t errid, uint16_t monindx,
    uint16_t monerrid)
{
	pl_msg_result(m, errid);
	m->u.result.monindx = monindx;
	m->u.result.monerrid = monerrid;
}

void
pl_msg_cdata(struct pl_msg *m, const char *hint, const uint8_t *prog,
    size_t proglen)
{
	size_t	 hl = hint != NULL ? strlen(hint) : 0;

	init(m, PL_CDATA);
	if (hl > UINT8_MAX) {
		poison(m);
		return;
	}
	m->u.cdata.hint = hint;
	m->u.cdata.hintlen = (uint8_t)hl;
	m->u.cdata.prog = prog;
	m->u.cdata.proglen = proglen;
}

void
pl_msg_yield(struct pl_msg *m, pl_time_t rhint)
{
	init(m, PL_YIELD);
	m->u.yield.rhint = rhint;
}

void
pl_msg_mread(struct pl_msg *m, uint32_t addr, uint16_t len)
{
	init(m, PL_MREAD);
	m->u.mread.addr = addr;
	m->u.mread.len = len;
}

void
pl_msg_mwrite(struct pl_msg *m, uint32_t addr, const uint8_t *data, size_t len)
{
	init(m, PL_MWRITE);
	m->u.mem.addr = addr;
	m->u.mem.data = data;
	m->u.mem.len = len;
}

void
pl_msg_mdata(struct pl_msg *m, uint32_t addr, const uint8_t *data, size_t len)
{
	pl_msg_mwrite(m, addr, data, len);
	m->type = PL_MDATA;
}

void
pl_msg_nopen(struct pl_msg *m, uint8_t sktid, uint8_t family, uint8_t proto,
    uint32_t rbufsz, const uint8_t *laddr, uint16_t lport,
    const uint8_t *raddr, uint16_t rport)
{
	size_t	 al = pl_addrlen(family);

	init(m, PL_NOPEN);
	m->u.nopen.sktid = sktid;
	m->u.nopen.family = family;
	m->u.nopen.proto = proto;
	m->u.nopen.rbufsz = rbufsz;
	if (laddr != NULL)
		memcpy(m->u.nopen.laddr, laddr, al);
	if (proto == PL_PROTO_TCP || proto == PL_PROTO_UDP) {
		m->u.nopen.has_lport = 1;
		m->u.nopen.lport = lport;
	}
	if (proto == PL_PROTO_TCP && raddr != NULL) {
		m->u.nopen.has_raddr = 1;
		memcpy(m->u.nopen.raddr, raddr, al);
		m->u.nopen.rport = rport;
	}
}

void
pl_msg_nclose(struct pl_msg *m, uint8_t sktid)
{
	init(m, PL_NCLOSE);
	m->u.nclose.sktid = sktid;
}

void
pl_msg_nsend(struct pl_msg *m, uint8_t sktid, uint8_t family, uint8_t proto,
    pl_time_t time, uint16_t tag, const uint8_t *raddr, uint16_t rport,
    const uint8_t *data, size_t len)
{
	pl_msg_ndata(m, sktid, family, proto, time, raddr, rport, data, len);
	m->type = PL_NSEND;
	m->u.ndata.tag = tag;
}

void
pl_msg_ncap(struct pl_msg *m, uint8_t sktid, uint8_t family, uint8_t proto,
    pl_time_t endtime, const uint8_t *filter, size_t filterlen)
{
	init(m, PL_NCAP);
	m->u.ncap.sktid = sktid;
	m->u.ncap.family = family;
	m->u.ncap.proto = proto;
	m->u.ncap.endtime = endtime;
	m->u.ncap.filter = filter;
	m->u.ncap.filterlen = filterlen;
}

void
pl_msg_nctl(struct pl_msg *m, uint8_t sktid, uint8_t family, uint8_t proto,
    pl_time_t time, uint8_t cmd)
{
	init(m, PL_NCTL);
	m->u.nctl.sktid = sktid;
	m->u.nctl.family = family;
	m->u.nctl.proto = proto;
	m->u.nctl.time = time;
	m->u.nctl.cmd = cmd;
}

void
pl_msg_ntag(struct pl_msg *m, uint8_t sktid, uint16_t tag, pl_time_t time,
    uint16_t errid)
{
	init(m, PL_NTAG);
	m->u.ntag.sktid = sktid;
	m->u.ntag.tag = tag;
	m->u.ntag.time = time;
	m->u.ntag.errid = errid;
	m->u.ntag.has_errid = errid != 0;
}

void
pl_msg_nstat(struct pl_msg *m, uint8_t sktid, uint8_t family, uint8_t proto,
    pl_time_t time, uint8_t code, const uint8_t *raddr, uint16_t rport)
{
	init(m, PL_NSTAT);
	m->u.nstat.sktid = sktid;
	m->u.nstat.family = family;
	m->u.nstat.proto = proto;
	m->u.nstat.time = time;
	m->u.nstat.code = code;
	if (code == PL_NSTAT_ESTABLISHED && proto == PL_PROTO_TCP &&
	    raddr != NULL) {
		m->u.nstat.has_raddr = 1;
		memcpy(m->u.nstat.raddr, raddr, pl_addrlen(family));
		m->u.nstat.rport = rport;
	}
}

void
pl_msg_ndata(struct pl_msg *m, uint8_t sktid, uint8_t family, uint8_t proto,
    pl_time_t time, const uint8_t *saddr, uint16_t sport,
    const uint8_t *data, size_t len)
{
	init(m, PL_NDATA);
	m->u.ndata.sktid = sktid;
	m->u.ndata.family = family;
	m->u.ndata.proto = proto;
	m->u.ndata.time = time;
	if (proto == PL_PROTO_UDP) {
		if (saddr != NULL)
			memcpy(m->u.ndata.addr, saddr, pl_addrlen(family));
		m->u.ndata.port = sport;
	}
	m->u.ndata.data = data;
	m->u.ndata.len = len;
}

void
pl_msg_ndrop(struct pl_msg *m, uint8_t sktid, uint8_t family, uint8_t proto,
    pl_time_t tfirst, pl_time_t tlast, uint32_t unitcnt, uint32_t bytecnt)
{
	init(m, PL_NDROP);
	m->u.ndrop.sktid = sktid;
	m->u.ndrop.family = family;
	m->u.ndrop.proto = proto;
	m->u.ndrop.tfirst = tfirst;
	m->u.ndrop.tlast = tlast;
	m->u.ndrop.unitcnt = unitcnt;
	m->u.ndrop.bytecnt = bytecnt;
}

void
pl_msg_nblock(struct pl_msg *m, uint8_t sktid, uint8_t family, uint8_t proto,
    uint16_t monerrid, pl_time_t time)
{
	init(m, PL_NBLOCK);
	m->u.nblock.sktid = sktid;
	m->u.nblock.family = family;
	m->u.nblock.proto = proto;
	m->u.nblock.monerrid = monerrid;
	m->u.nblock.time = time;
}

void
pl_msg_linfo(struct pl_msg *m, const uint8_t *name, uint32_t namelen,
    const uint8_t *aux, uint32_t auxlen, const uint8_t *info, uint32_t infolen)
{
	init(m, PL_LINFO);
	m->u.linfo.name = name;
	m->u.linfo.namelen = namelen;
	m->u.linfo.aux = aux;
	m->u.linfo.auxlen = auxlen;
	m->u.linfo.info = info;
	m->u.linfo.infolen = infolen;
}

void
pl_msg_xcert(struct pl_msg *m, const uint8_t *der, size_t derlen)
{
	init(m, PL_XCERT);
	m->u.xcert.der = der;
	m->u.xcert.derlen = derlen;
}

void
pl_msg_xpub(struct pl_msg *m, uint8_t type, const struct pl_chlist *chlist,
    const uint8_t eopkey[32], const char *descr, size_t descrlen)
{
	init(m, type);
	if (type != PL_XPUB && type != PL_XSUB) {
		poison(m);
		return;
	}
	if (chlist != NULL)
		m->u.xpub.chlist = *chlist;
	m->u.xpub.eopkey = eopkey;
	m->u.xpub.descr = descr;
	m->u.xpub.descrlen = descrlen;
}

void
pl_msg_xnotify(struct pl_msg *m, const uint8_t *channel, uint8_t channellen,
    const char *descr, size_t descrlen)
{
	init(m, PL_XNOTIFY);
	m->u.xnotify.channel = channel;
	m->u.xnotify.channellen = channellen;
	m->u.xnotify.descr = descr;
	m->u.xnotify.descrlen = descrlen;
}

void
pl_msg_xreg(struct pl_msg *m, const char *snikey, size_t len)
{
	init(m, PL_XREG);
	m->u.xreg.snikey = snikey;
	m->u.xreg.snikeylen = len;
}

void
pl_msg_raw(struct pl_msg *m, uint8_t type, const uint8_t *body, uint32_t bodylen)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->known = 0;
	m->body = body;
	m->bodylen = bodylen;
}

static int
same_bytes(const void *a, const void *b, size_t n)
{
	if (n == 0)
		return 1;
	if (a == NULL || b == NULL)
		return a == b;
	return memcmp(a, b, n) == 0;
}

static int
chlist_equal(const struct pl_chlist *a, const struct pl_chlist *b)
{
	size_t	 i;

	if (a->cnt != b->cnt || a->cnt > PL_CHLIST_MAX)
		return 0;
	for (i = 0; i < a->cnt; i++)
		if (a->len[i] != b->len[i] ||
		    !same_bytes(a->id[i], b->id[i], a->len[i]))
			return 0;
	return 1;
}

/*
 * Fields that are not on the wire for a given form (lport of a RAW nopen,
 * monindx of a plain error result) are not compared.
 */
int
pl_msg_equal(const struct pl_msg *a, const struct pl_msg *b)
{
	size_t	 al;

	if (a->type != b->type || !a->known != !b->known)
		return 0;
	if (!a->known)
		return a->bodylen == b->bodylen &&
		    same_bytes(a->body, b->body, a->bodylen);

	switch (a->type) {
	case PL_START:
	case PL_END:
	case PL_CONT:
	case PL_SUSPD:
	case PL_RESUMD:
		return 1;
	case PL_CDATA:
		return a->u.cdata.hintlen == b->u.cdata.hintlen &&
		    same_bytes(a->u.cdata.hint, b->u.cdata.hint,
		    a->u.cdata.hintlen) &&
		    a->u.cdata.proglen == b->u.cdata.proglen &&
		    same_bytes(a->u.cdata.prog, b->u.cdata.prog,
		    a->u.cdata.proglen);
	case PL_YIELD:
		return a->u.yield.rhint == b->u.yield.rhint;
	case PL_MREAD:
		return a->u.mread.addr == b->u.mread.addr &&
		    a->u.mread.len == b->u.mread.len;
	case PL_MWRITE:
	case PL_MDATA:
		return a->u.mem.addr == b->u.mem.addr &&
		    a->u.mem.len == b->u.mem.len &&
		    same_bytes(a->u.mem.data, b->u.mem.data, a->u.mem.len);
	case PL_NOPEN:
		al = pl_addrlen(a->u.nopen.family);
		if (a->u.nopen.sktid != b->u.nopen.sktid ||
		    a->u.nopen.family != b->u.nopen.family ||
		    a->u.nopen.proto != b->u.nopen.proto ||
		    a->u.nopen.rbufsz != b->u.nopen.rbufsz ||
		    !a->u.nopen.has_lport != !b->u.nopen.has_lport ||
		    !a->u.nopen.has_raddr != !b->u.nopen.has_raddr ||
		    !same_bytes(a->u.nopen.laddr, b->u.nopen.laddr, al))
			return 0;
		if (a->u.nopen.has_lport && a->u.nopen.lport != b->u.nopen.lport)
			return 0;
		return !a->u.nopen.has_raddr ||
		    (a->u.nopen.rport == b->u.nopen.rport &&
		    same_bytes(a->u.nopen.raddr, b->u.nopen.raddr, al));
	case PL_NCLOSE:
		return a->u.nclose.sktid == b->u.nclose.sktid;
	case PL_NSEND:
	case PL_NDATA:
		if (a->u.ndata.sktid != b->u.ndata.sktid ||
		    a->u.ndata.family != b->u.ndata.family ||
		    a->u.ndata.proto != b->u.ndata.proto ||
		    a->u.ndata.time != b->u.ndata.time ||
		    a->u.ndata.len != b->u.ndata.len ||
		    !same_bytes(a->u.ndata.data, b->u.ndata.data, a->u.ndata.len))
			return 0;
		if (a->type == PL_NSEND && a->u.ndata.tag != b->u.ndata.tag)
			return 0;
		return a->u.ndata.proto != PL_PROTO_UDP ||
		    (a->u.ndata.port == b->u.ndata.port &&
		    same_bytes(a->u.ndata.addr, b->u.ndata.addr,
		    pl_addrlen(a->u.ndata.family)));
	case PL_NCAP:
		return a->u.ncap.sktid == b->u.ncap.sktid &&
		    a->u.ncap.family == b->u.ncap.family &&
		    a->u.ncap.proto == b->u.ncap.proto &&
		    a->u.ncap.endtime == b->u.ncap.endtime &&
		    a->u.ncap.filterlen == b->u.ncap.filterlen &&
		    same_bytes(a->u.ncap.filter, b->u.ncap.filter,
		    a->u.ncap.filterlen);
	case PL_NCTL:
		return a->u.nctl.sktid == b->u.nctl.sktid &&
		    a->u.nctl.family == b->u.nctl.family &&
		    a->u.nctl.proto == b->u.nctl.proto &&
		    a->u.nctl.time == b->u.nctl.time &&
		    a->u.nctl.cmd == b->u.nctl.cmd;
	case PL_XCERT:
		return a->u.xcert.derlen == b->u.xcert.derlen &&
		    same_bytes(a->u.xcert.der, b->u.xcert.der, a->u.xcert.derlen);
	case PL_XPUB:
	case PL_XSUB:
		return chlist_equal(&a->u.xpub.chlist, &b->u.xpub.chlist) &&
		    same_bytes(a->u.xpub.eopkey, b->u.xpub.eopkey,
		    PL_EOPKEY_LEN) &&
		    a->u.xpub.descrlen == b->u.xpub.descrlen &&
		    same_bytes(a->u.xpub.descr, b->u.xpub.descr,
		    a->u.xpub.descrlen);
	case PL_RESULT:
		if (a->u.result.errid != b->u.result.errid)
			return 0;
		switch (a->u.result.errid) {
		case PL_SUCCESS:
			return !a->u.result.explicit_ok == !b->u.result.explicit_ok;
		case PL_ECTLMONREJ:
			if (a->u.result.monerrid != b->u.result.monerrid)
				return 0;
			/* FALLTHROUGH */
		case PL_ECTLMONUKN:
			return a->u.result.monindx == b->u.result.monindx;
		}
		return 1;
	case PL_NTAG:
		return a->u.ntag.sktid == b->u.ntag.sktid &&
		    a->u.ntag.tag == b->u.ntag.tag &&
		    a->u.ntag.time == b->u.ntag.time &&
		    !a->u.ntag.has_errid == !b->u.ntag.has_errid &&
		    a->u.ntag.errid == b->u.ntag.errid;
	case PL_NSTAT:
		if (a->u.nstat.sktid != b->u.nstat.sktid ||
		    a->u.nstat.family != b->u.nstat.family ||
		    a->u.nstat.proto != b->u.nstat.proto ||
		    a->u.nstat.time != b->u.nstat.time ||
		    a->u.nstat.code != b->u.nstat.code ||
		    !a->u.nstat.has_raddr != !b->u.nstat.has_raddr)
			return 0;
		return !a->u.nstat.has_raddr ||
		    (a->u.nstat.rport == b->u.nstat.rport &&
		    same_bytes(a->u.nstat.raddr, b->u.nstat.raddr,
		    pl_addrlen(a->u.nstat.family)));
	case PL_NDROP:
		return a->u.ndrop.sktid == b->u.ndrop.sktid &&
		    a->u.ndrop.family == b->u.ndrop.family &&
		    a->u.ndrop.proto == b->u.ndrop.proto &&
		    a->u.ndrop.tfirst == b->u.ndrop.tfirst &&
		    a->u.ndrop.tlast == b->u.ndrop.tlast &&
		    a->u.ndrop.unitcnt == b->u.ndrop.unitcnt &&
		    a->u.ndrop.bytecnt == b->u.ndrop.bytecnt;
	case PL_NBLOCK:
		return a->u.nblock.sktid == b->u.nblock.sktid &&
		    a->u.nblock.family == b->u.nblock.family &&
		    a->u.nblock.proto == b->u.nblock.proto &&
		    a->u.nblock.monerrid == b->u.nblock.monerrid &&
		    a->u.nblock.time == b->u.nblock.time;
	case PL_LINFO:
		return a->u.linfo.namelen == b->u.linfo.namelen &&
		    a->u.linfo.auxlen == b->u.linfo.auxlen &&
		    a->u.linfo.infolen == b->u.linfo.infolen &&
		    same_bytes(a->u.linfo.name, b->u.linfo.name,
		    a->u.linfo.namelen) &&
		    same_bytes(a->u.linfo.aux, b->u.linfo.aux,
		    a->u.linfo.auxlen) &&
		    same_bytes(a->u.linfo.info, b->u.linfo.info,
		    a->u.linfo.infolen);
	case PL_XNOTIFY:
		return a->u.xnotify.channellen == b->u.xnotify.channellen &&
		    same_bytes(a->u.xnotify.channel, b->u.xnotify.channel,
		    a->u.xnotify.channellen) &&
		    a->u.xnotify.descrlen == b->u.xnotify.descrlen &&
		    same_bytes(a->u.xnotify.descr, b->u.xnotify.descr,
		    a->u.xnotify.descrlen);
	case PL_XREG:
		return a->u.xreg.snikeylen == b->u.xreg.snikeylen &&
		    same_bytes(a->u.xreg.snikey, b->u.xreg.snikey,
		    a->u.xreg.snikeylen);
	}
	return 0;
}
