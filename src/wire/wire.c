/*
 * wire.c: the PacketLab 1.1.0 framing, and the decoder and encoder of every
 * message body (protocol spec §2-§4, ERRATA 1, 2, and the nctl/xreg notes).
 *
 * The decoder is strict where the 1.1.0 decoder had holes (short UDP
 * nsend/ndata, MONREJ/MONUKN results shorter than their fields, TCP nopen
 * of a length matching no form, wrapping mread/mwrite, nctl not exactly 12
 * bytes) and otherwise accepts exactly what 1.1.0 accepts.  It never
 * allocates: variable parts point into the caller's buffer.
 *
 * The encoder writes through a cursor that can also just count, so one
 * function per type both checks a message and produces its bytes; it
 * refuses every field combination the decoder would reject, which keeps
 * decode(encode(m)) total and encode(decode(b)) == b.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pktlab/nvp.h"
#include "pktlab/wire.h"

/* Decoder state: where the reason for a rejection goes. */
struct dec {
	const char	*tname;
	char		*why;
	size_t		 whylen;
};

/* Encoder cursor: p == NULL only counts. */
struct wcur {
	uint8_t		*p;
	size_t		 off;
};

typedef int	(*dec_fn)(struct pl_msg *, const uint8_t *, uint32_t, struct dec *);
typedef int	(*enc_fn)(const struct pl_msg *, struct wcur *);

struct typeinfo {
	uint8_t		 type;
	const char	*name;
	dec_fn		 dec;
	enc_fn		 enc;
};

static const struct typeinfo	*typeinfo(uint8_t);
static int	 bad(struct dec *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	 want_exact(struct dec *, uint32_t, uint32_t);
static int	 want_min(struct dec *, uint32_t, uint32_t);
static const char *proto_name(uint8_t);
static const char *family_name(uint8_t);
static int	 check_family(struct dec *, const char *, uint8_t);
static int	 check_xproto(struct dec *, uint8_t);
static int	 check_descr(struct dec *, const char *, size_t, enum pl_nvp_kind);
static int	 range_ok(uint32_t, uint64_t);
static enum pl_dec decode(const uint8_t *, size_t, struct pl_msg *, size_t *,
		    char *, size_t);

static void	 w8(struct wcur *, uint8_t);
static void	 w16(struct wcur *, uint16_t);
static void	 w32(struct wcur *, uint32_t);
static void	 w64(struct wcur *, uint64_t);
static int	 wbytes(struct wcur *, const void *, size_t);
static int	 descr_ok(const char *, size_t, enum pl_nvp_kind);

static int	 dec_empty(struct pl_msg *, const uint8_t *, uint32_t, struct dec *);
static int	 dec_cdata(struct pl_msg *, const uint8_t *, uint32_t, struct dec *);
static int	 dec_yield(struct pl_msg *, const uint8_t *, uint32_t, struct dec *);
static int	 dec_mread(struct pl_msg *, const uint8_t *, uint32_t, struct dec *);
static int	 dec_mem(struct pl_msg *, const uint8_t *, uint32_t, struct dec *);
static int	 dec_nopen(struct pl_msg *, const uint8_t *, uint32_t, struct dec *);
static int	 dec_nclose(struct pl_msg *, const uint8_t *, uint32_t, struct dec *);
static int	 dec_ndata(struct pl_msg *, const uint8_t *, uint32_t, struct dec *);
static int	 dec_ncap(struct pl_msg *, const uint8_t *, uint32_t, struct dec *);
static int	 dec_nctl(struct pl_msg *, const uint8_t *, uint32_t, struct dec *);
static int	 dec_xcert(struct pl_msg *, const uint8_t *, uint32_t, struct dec *);
static int	 dec_xpub(struct pl_msg *, const uint8_t *, uint32_t, struct dec *);
static int	 dec_result(struct pl_msg *, const uint8_t *, uint32_t, struct dec *);
static int	 dec_ntag(struct pl_msg *, const uint8_t *, uint32_t, struct dec *);
static int	 dec_nstat(struct pl_msg *, const uint8_t *, uint32_t, struct dec *);
static int	 dec_ndrop(struct pl_msg *, const uint8_t *, uint32_t, struct dec *);
static int	 dec_nblock(struct pl_msg *, const uint8_t *, uint32_t, struct dec *);
static int	 dec_linfo(struct pl_msg *, const uint8_t *, uint32_t, struct dec *);
static int	 dec_xnotify(struct pl_msg *, const uint8_t *, uint32_t, struct dec *);
static int	 dec_xreg(struct pl_msg *, const uint8_t *, uint32_t, struct dec *);

static int	 enc_empty(const struct pl_msg *, struct wcur *);
static int	 enc_cdata(const struct pl_msg *, struct wcur *);
static int	 enc_yield(const struct pl_msg *, struct wcur *);
static int	 enc_mread(const struct pl_msg *, struct wcur *);
static int	 enc_mem(const struct pl_msg *, struct wcur *);
static int	 enc_nopen(const struct pl_msg *, struct wcur *);
static int	 enc_nclose(const struct pl_msg *, struct wcur *);
static int	 enc_ndata(const struct pl_msg *, struct wcur *);
static int	 enc_ncap(const struct pl_msg *, struct wcur *);
static int	 enc_nctl(const struct pl_msg *, struct wcur *);
static int	 enc_xcert(const struct pl_msg *, struct wcur *);
static int	 enc_xpub(const struct pl_msg *, struct wcur *);
static int	 enc_result(const struct pl_msg *, struct wcur *);
static int	 enc_ntag(const struct pl_msg *, struct wcur *);
static int	 enc_nstat(const struct pl_msg *, struct wcur *);
static int	 enc_ndrop(const struct pl_msg *, struct wcur *);
static int	 enc_nblock(const struct pl_msg *, struct wcur *);
static int	 enc_linfo(const struct pl_msg *, struct wcur *);
static int	 enc_xnotify(const struct pl_msg *, struct wcur *);
static int	 enc_xreg(const struct pl_msg *, struct wcur *);

static const struct typeinfo types[] = {
	{ PL_CDATA,	"cdata",	dec_cdata,	enc_cdata },
	{ PL_START,	"start",	dec_empty,	enc_empty },
	{ PL_END,	"end",		dec_empty,	enc_empty },
	{ PL_YIELD,	"yield",	dec_yield,	enc_yield },
	{ PL_CONT,	"cont",		dec_empty,	enc_empty },
	{ PL_MREAD,	"mread",	dec_mread,	enc_mread },
	{ PL_MWRITE,	"mwrite",	dec_mem,	enc_mem },
	{ PL_NOPEN,	"nopen",	dec_nopen,	enc_nopen },
	{ PL_NCLOSE,	"nclose",	dec_nclose,	enc_nclose },
	{ PL_NSEND,	"nsend",	dec_ndata,	enc_ndata },
	{ PL_NCAP,	"ncap",		dec_ncap,	enc_ncap },
	{ PL_NCTL,	"nctl",		dec_nctl,	enc_nctl },
	{ PL_XCERT,	"xcert",	dec_xcert,	enc_xcert },
	{ PL_XPUB,	"xpub",		dec_xpub,	enc_xpub },
	{ PL_XSUB,	"xsub",		dec_xpub,	enc_xpub },
	{ PL_RESULT,	"result",	dec_result,	enc_result },
	{ PL_MDATA,	"mdata",	dec_mem,	enc_mem },
	{ PL_NTAG,	"ntag",		dec_ntag,	enc_ntag },
	{ PL_NSTAT,	"nstat",	dec_nstat,	enc_nstat },
	{ PL_NDATA,	"ndata",	dec_ndata,	enc_ndata },
	{ PL_NDROP,	"ndrop",	dec_ndrop,	enc_ndrop },
	{ PL_NBLOCK,	"nblock",	dec_nblock,	enc_nblock },
	{ PL_LINFO,	"linfo",	dec_linfo,	enc_linfo },
	{ PL_SUSPD,	"suspd",	dec_empty,	enc_empty },
	{ PL_RESUMD,	"resumd",	dec_empty,	enc_empty },
	{ PL_XNOTIFY,	"xnotify",	dec_xnotify,	enc_xnotify },
	{ PL_XREG,	"xreg",		dec_xreg,	enc_xreg },
};

/*
 * Type byte -> 1 + index into types[], 0 for a type without a decoder.
 * A direct index keeps the per-message lookup of the relay constant-time.
 */
static const uint8_t type_index[256] = {
	[PL_CDATA] = 1, [PL_START] = 2, [PL_END] = 3, [PL_YIELD] = 4,
	[PL_CONT] = 5, [PL_MREAD] = 6, [PL_MWRITE] = 7, [PL_NOPEN] = 8,
	[PL_NCLOSE] = 9, [PL_NSEND] = 10, [PL_NCAP] = 11, [PL_NCTL] = 12,
	[PL_XCERT] = 13, [PL_XPUB] = 14, [PL_XSUB] = 15, [PL_RESULT] = 16,
	[PL_MDATA] = 17, [PL_NTAG] = 18, [PL_NSTAT] = 19, [PL_NDATA] = 20,
	[PL_NDROP] = 21, [PL_NBLOCK] = 22, [PL_LINFO] = 23, [PL_SUSPD] = 24,
	[PL_RESUMD] = 25, [PL_XNOTIFY] = 26, [PL_XREG] = 27,
};

/* pl_decode()'s reason text; one per thread so relays may run in parallel. */
static _Thread_local char	 reason_buf[160];

int
pl_peek_header(const uint8_t *buf, size_t len, uint8_t *type, uint32_t *bodylen)
{
	if (len < PL_HLEN)
		return 0;
	if (type != NULL)
		*type = buf[0];
	if (bodylen != NULL)
		*bodylen = ((uint32_t)buf[1] << 16) | ((uint32_t)buf[2] << 8) | buf[3];
	return 1;
}

enum pl_dec
pl_decode(const uint8_t *buf, size_t len, struct pl_msg *msg, size_t *consumed,
    const char **reason)
{
	enum pl_dec	 r;

	r = decode(buf, len, msg, consumed, reason_buf, sizeof(reason_buf));
	if (reason != NULL)
		*reason = r == PL_DEC_MALFORMED ? reason_buf : NULL;
	return r;
}

enum pl_dec
pl_decode_r(const uint8_t *buf, size_t len, struct pl_msg *msg, size_t *consumed,
    char *why, size_t whylen)
{
	return decode(buf, len, msg, consumed, why, whylen);
}

const char *
pl_type_name(uint8_t type)
{
	const struct typeinfo	*ti = typeinfo(type);

	return ti != NULL ? ti->name : NULL;
}

ssize_t
pl_encode(const struct pl_msg *msg, uint8_t *out, size_t outlen)
{
	const struct typeinfo	*ti;
	struct wcur		 c = { NULL, 0 };
	size_t			 total;

	if (!msg->known) {
		if (msg->bodylen > PL_BODY_MAX ||
		    (msg->bodylen > 0 && msg->body == NULL))
			return -1;
		total = PL_HLEN + (size_t)msg->bodylen;
		if (out != NULL && outlen >= total) {
			out[0] = msg->type;
			out[1] = (uint8_t)(msg->bodylen >> 16);
			out[2] = (uint8_t)(msg->bodylen >> 8);
			out[3] = (uint8_t)msg->bodylen;
			if (msg->bodylen > 0)
				memcpy(out + PL_HLEN, msg->body, msg->bodylen);
		}
		return (ssize_t)total;
	}

	if ((ti = typeinfo(msg->type)) == NULL)
		return -1;
	/* First pass checks and counts; the second writes. */
	if (ti->enc(msg, &c) == -1 || c.off > PL_BODY_MAX)
		return -1;
	total = PL_HLEN + c.off;
	if (out != NULL && outlen >= total) {
		out[0] = msg->type;
		out[1] = (uint8_t)(c.off >> 16);
		out[2] = (uint8_t)(c.off >> 8);
		out[3] = (uint8_t)c.off;
		c.p = out + PL_HLEN;
		c.off = 0;
		(void)ti->enc(msg, &c);
	}
	return (ssize_t)total;
}

static const struct typeinfo *
typeinfo(uint8_t type)
{
	uint8_t	 i = type_index[type];

	return i == 0 ? NULL : &types[i - 1];
}

static enum pl_dec
decode(const uint8_t *buf, size_t len, struct pl_msg *msg, size_t *consumed,
    char *why, size_t whylen)
{
	const struct typeinfo	*ti;
	struct dec		 d;
	uint8_t			 type;
	uint32_t		 bodylen;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (!pl_peek_header(buf, len, &type, &bodylen) ||
	    len - PL_HLEN < bodylen)
		return PL_DEC_NEED;

	memset(msg, 0, sizeof(*msg));
	msg->type = type;
	msg->body = buf + PL_HLEN;
	msg->bodylen = bodylen;
	if (consumed != NULL)
		*consumed = PL_HLEN + (size_t)bodylen;

	if ((ti = typeinfo(type)) == NULL)
		return PL_DEC_OK;	/* unknown: carried raw, known = 0 */

	d.tname = ti->name;
	d.why = why;
	d.whylen = whylen;
	if (ti->dec(msg, msg->body, bodylen, &d) == -1) {
		/* Leave it re-encodable as the raw bytes it came as. */
		memset(&msg->u, 0, sizeof(msg->u));
		msg->known = 0;
		return PL_DEC_MALFORMED;
	}
	msg->known = 1;
	return PL_DEC_OK;
}

static int
bad(struct dec *d, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (d->why == NULL || d->whylen == 0)
		return -1;
	n = snprintf(d->why, d->whylen, "%s: ", d->tname);
	if (n >= 0 && (size_t)n < d->whylen) {
		va_start(ap, fmt);
		vsnprintf(d->why + n, d->whylen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
want_exact(struct dec *d, uint32_t n, uint32_t want)
{
	if (n == want)
		return 0;
	return bad(d, "body length %u invalid (want %u)", n, want);
}

static int
want_min(struct dec *d, uint32_t n, uint32_t min)
{
	if (n >= min)
		return 0;
	return bad(d, "body length %u too short (want at least %u)", n, min);
}

static const char *
proto_name(uint8_t proto)
{
	switch (proto) {
	case PL_PROTO_RAW:
		return "RAW";
	case PL_PROTO_TCP:
		return "TCP";
	case PL_PROTO_UDP:
		return "UDP";
	}
	return "?";
}

static const char *
family_name(uint8_t family)
{
	return family == PL_FAM_IPV4 ? "IPv4" : family == PL_FAM_IPV6 ? "IPv6" : "?";
}

static int
check_family(struct dec *d, const char *what, uint8_t family)
{
	if (pl_addrlen(family) != 0)
		return 0;
	return bad(d, "family 0x%02x invalid%s (want 4 or 6)", family, what);
}

/* nsend, ndata: the transport protocols the endpoint knows. */
static int
check_xproto(struct dec *d, uint8_t proto)
{
	if (proto == PL_PROTO_RAW || proto == PL_PROTO_TCP ||
	    proto == PL_PROTO_UDP)
		return 0;
	return bad(d, "proto 0x%02x invalid (want 0, 6 or 17)", proto);
}

static int
check_descr(struct dec *d, const char *s, size_t len, enum pl_nvp_kind kind)
{
	struct pl_nvp_err	 err;

	if (pl_nvp_validate(s, len, kind, &err) >= 0)
		return 0;
	return bad(d, "%s at descriptor offset %zu: %s",
	    kind == PL_NVP_XDESCR ? "xdescr" : "dattr", err.off, err.msg);
}

/* ERRATA 1: a range may end at 0xFFFFFFFF, not at 2^32. */
static int
range_ok(uint32_t addr, uint64_t len)
{
	return (uint64_t)addr + len <= 0xFFFFFFFFull;
}

/* ---- decoders: return 0, or -1 through bad() ---- */

static int
dec_empty(struct pl_msg *m, const uint8_t *b, uint32_t n, struct dec *d)
{
	return want_exact(d, n, 0);
}

static int
dec_cdata(struct pl_msg *m, const uint8_t *b, uint32_t n, struct dec *d)
{
	if (want_min(d, n, 1) == -1)
		return -1;
	if (n < 1u + b[0])
		return bad(d, "body length %u shorter than hint (hintlen %u)",
		    n, b[0]);
	m->u.cdata.hintlen = b[0];
	m->u.cdata.hint = (const char *)b + 1;
	m->u.cdata.prog = b + 1 + b[0];
	m->u.cdata.proglen = n - 1u - b[0];
	return 0;
}

static int
dec_yield(struct pl_msg *m, const uint8_t *b, uint32_t n, struct dec *d)
{
	if (want_exact(d, n, 8) == -1)
		return -1;
	m->u.yield.rhint = pl_get64(b);
	return 0;
}

static int
dec_mread(struct pl_msg *m, const uint8_t *b, uint32_t n, struct dec *d)
{
	if (want_exact(d, n, 6) == -1)
		return -1;
	m->u.mread.addr = pl_get32(b);
	m->u.mread.len = pl_get16(b + 4);
	if (m->u.mread.len == 0)
		return bad(d, "len 0 at 0x%08x", m->u.mread.addr);
	if (!range_ok(m->u.mread.addr, m->u.mread.len))
		return bad(d, "range 0x%08x+0x%x runs past 0xffffffff",
		    m->u.mread.addr, m->u.mread.len);
	return 0;
}

/* mwrite and mdata. */
static int
dec_mem(struct pl_msg *m, const uint8_t *b, uint32_t n, struct dec *d)
{
	if (want_min(d, n, 4) == -1)
		return -1;
	m->u.mem.addr = pl_get32(b);
	m->u.mem.data = b + 4;
	m->u.mem.len = n - 4;
	if (m->type == PL_MWRITE && !range_ok(m->u.mem.addr, m->u.mem.len))
		return bad(d, "range 0x%08x+0x%zx runs past 0xffffffff",
		    m->u.mem.addr, m->u.mem.len);
	return 0;
}

static int
dec_nopen(struct pl_msg *m, const uint8_t *b, uint32_t n, struct dec *d)
{
	size_t	 al;
	uint32_t short_len, long_len, conn_len;

	if (n < 3)
		return want_min(d, n, 11);
	m->u.nopen.sktid = b[0];
	m->u.nopen.family = b[1];
	m->u.nopen.proto = b[2];
	if (check_family(d, "", b[1]) == -1)
		return -1;
	al = pl_addrlen(b[1]);
	short_len = 7 + (uint32_t)al;		/* RAW */
	long_len = short_len + 2;		/* UDP, TCP listen */
	conn_len = long_len + (uint32_t)al + 2;	/* TCP connect */
	switch (b[2]) {
	case PL_PROTO_RAW:
		if (n == short_len)
			break;
		return bad(d, "body length %u invalid for %s/%s (want %u)", n,
		    proto_name(b[2]), family_name(b[1]), short_len);
	case PL_PROTO_UDP:
		if (n == long_len)
			break;
		return bad(d, "body length %u invalid for %s/%s (want %u)", n,
		    proto_name(b[2]), family_name(b[1]), long_len);
	case PL_PROTO_TCP:
		if (n == long_len || n == conn_len)
			break;
		return bad(d, "body length %u invalid for %s/%s (want %u or %u)",
		    n, proto_name(b[2]), family_name(b[1]), long_len, conn_len);
	default:
		return bad(d, "proto 0x%02x invalid (want 0, 6 or 17)", b[2]);
	}
	m->u.nopen.has_lport = b[2] != PL_PROTO_RAW;
	m->u.nopen.has_raddr = n == conn_len;
	m->u.nopen.rbufsz = pl_get32(b + 3);
	memcpy(m->u.nopen.laddr, b + 7, al);
	if (m->u.nopen.has_lport)
		m->u.nopen.lport = pl_get16(b + 7 + al);
	if (m->u.nopen.has_raddr) {
		memcpy(m->u.nopen.raddr, b + 9 + al, al);
		m->u.nopen.rport = pl_get16(b + 9 + 2 * al);
	}
	return 0;
}

static int
dec_nclose(struct pl_msg *m, const uint8_t *b, uint32_t n, struct dec *d)
{
	if (want_exact(d, n, 1) == -1)
		return -1;
	m->u.nclose.sktid = b[0];
	return 0;
}

/*
 * nsend and ndata share a layout: a fixed head (nsend has a tag in it),
 * then for UDP an address and port, then the payload.  1.1.0 did not check
 * that a UDP body holds the address and port, and computed the payload
 * length by subtraction; here the minimum is enforced.
 */
static int
dec_ndata(struct pl_msg *m, const uint8_t *b, uint32_t n, struct dec *d)
{
	uint32_t head = m->type == PL_NSEND ? 13 : 11;
	size_t	 al, off;

	if (want_min(d, n, head) == -1)
		return -1;
	m->u.ndata.sktid = b[0];
	m->u.ndata.family = b[1];
	m->u.ndata.proto = b[2];
	m->u.ndata.time = pl_get64(b + 3);
	if (m->type == PL_NSEND)
		m->u.ndata.tag = pl_get16(b + 11);
	if (check_xproto(d, b[2]) == -1)
		return -1;
	off = head;
	if (b[2] == PL_PROTO_UDP) {
		if (check_family(d, " for UDP", b[1]) == -1)
			return -1;
		al = pl_addrlen(b[1]);
		if (n < head + al + 2)
			return bad(d, "body length %u too short for %s/%s "
			    "(want at least %zu)", n, proto_name(b[2]),
			    family_name(b[1]), head + al + 2);
		memcpy(m->u.ndata.addr, b + head, al);
		m->u.ndata.port = pl_get16(b + head + al);
		off += al + 2;
	}
	m->u.ndata.data = b + off;
	m->u.ndata.len = n - off;
	return 0;
}

static int
dec_ncap(struct pl_msg *m, const uint8_t *b, uint32_t n, struct dec *d)
{
	if (want_min(d, n, 12) == -1)
		return -1;
	m->u.ncap.sktid = b[0];
	m->u.ncap.family = b[1];
	m->u.ncap.proto = b[2];
	m->u.ncap.endtime = pl_get64(b + 3);
	m->u.ncap.filter = b + 11;
	m->u.ncap.filterlen = n - 11;
	return 0;
}

/* ERRATA: 1.1.0 accepted >= 11 and read the command past the body. */
static int
dec_nctl(struct pl_msg *m, const uint8_t *b, uint32_t n, struct dec *d)
{
	if (want_exact(d, n, 12) == -1)
		return -1;
	if (b[2] != PL_PROTO_TCP)
		return bad(d, "proto 0x%02x invalid (only TCP, 6)", b[2]);
	m->u.nctl.sktid = b[0];
	m->u.nctl.family = b[1];
	m->u.nctl.proto = b[2];
	m->u.nctl.time = pl_get64(b + 3);
	m->u.nctl.cmd = b[11];
	return 0;
}

static int
dec_xcert(struct pl_msg *m, const uint8_t *b, uint32_t n, struct dec *d)
{
	if (want_min(d, n, 1) == -1)
		return -1;
	m->u.xcert.der = b;
	m->u.xcert.derlen = n;
	return 0;
}

/* xpub and xsub: chlist, eopkey, then an xdescr (xpub) or dattr (xsub). */
static int
dec_xpub(struct pl_msg *m, const uint8_t *b, uint32_t n, struct dec *d)
{
	const char	*why;
	ssize_t		 cl;
	size_t		 off;

	if (want_min(d, n, 1 + PL_EOPKEY_LEN) == -1)
		return -1;
	if ((cl = pl_chlist_span(b, n, &m->u.xpub.chlist, &why)) == -1)
		return bad(d, "channel list: %s", why);
	off = (size_t)cl;
	if (n - off < PL_EOPKEY_LEN)
		return bad(d, "body length %u leaves no room for the 32-byte "
		    "eopkey after a %zu-byte channel list", n, off);
	m->u.xpub.eopkey = b + off;
	off += PL_EOPKEY_LEN;
	m->u.xpub.descr = (const char *)b + off;
	m->u.xpub.descrlen = n - off;
	return check_descr(d, m->u.xpub.descr, m->u.xpub.descrlen,
	    m->type == PL_XPUB ? PL_NVP_XDESCR : PL_NVP_DATTR);
}

/*
 * The body length must agree with the errid: 1.1.0 read the monitor fields
 * by errid and so past a short body.
 */
static int
dec_result(struct pl_msg *m, const uint8_t *b, uint32_t n, struct dec *d)
{
	uint16_t errid;

	if (n == 0)
		return 0;
	if (n != 2 && n != 4 && n != 6)
		return bad(d, "body length %u invalid (want 0, 2, 4 or 6)", n);
	errid = pl_get16(b);
	m->u.result.errid = errid;
	if (errid == PL_ECTLMONREJ && n != 6)
		return bad(d, "ECTLMONREJ needs a 6-byte body, got %u", n);
	if (errid == PL_ECTLMONUKN && n != 4)
		return bad(d, "ECTLMONUKN needs a 4-byte body, got %u", n);
	if (errid != PL_ECTLMONREJ && errid != PL_ECTLMONUKN && n != 2)
		return bad(d, "errid 0x%04x needs a 2-byte body, got %u",
		    errid, n);
	if (errid == PL_SUCCESS)
		m->u.result.explicit_ok = 1;
	if (n >= 4)
		m->u.result.monindx = pl_get16(b + 2);
	if (n == 6)
		m->u.result.monerrid = pl_get16(b + 4);
	return 0;
}

static int
dec_ntag(struct pl_msg *m, const uint8_t *b, uint32_t n, struct dec *d)
{
	if (n != 11 && n != 13)
		return bad(d, "body length %u invalid (want 11 or 13)", n);
	m->u.ntag.sktid = b[0];
	m->u.ntag.tag = pl_get16(b + 1);
	m->u.ntag.time = pl_get64(b + 3);
	if (n == 13) {
		m->u.ntag.has_errid = 1;
		m->u.ntag.errid = pl_get16(b + 11);
	}
	return 0;
}

/* 17 and 29 bytes: ESTABLISHED, the code byte replaced by raddr and rport. */
static int
dec_nstat(struct pl_msg *m, const uint8_t *b, uint32_t n, struct dec *d)
{
	if (n != 12 && n != 17 && n != 29)
		return bad(d, "body length %u invalid (want 12, 17 or 29)", n);
	m->u.nstat.sktid = b[0];
	m->u.nstat.family = b[1];
	m->u.nstat.proto = b[2];
	m->u.nstat.time = pl_get64(b + 3);
	if (n == 12) {
		m->u.nstat.code = b[11];
		return 0;
	}
	if (pl_addrlen(b[1]) != n - 13)
		return bad(d, "body length %u does not fit family 0x%02x "
		    "(ESTABLISHED: 17 for IPv4, 29 for IPv6)", n, b[1]);
	m->u.nstat.code = PL_NSTAT_ESTABLISHED;
	m->u.nstat.has_raddr = 1;
	memcpy(m->u.nstat.raddr, b + 11, n - 13);
	m->u.nstat.rport = pl_get16(b + n - 2);
	return 0;
}

static int
dec_ndrop(struct pl_msg *m, const uint8_t *b, uint32_t n, struct dec *d)
{
	if (want_exact(d, n, 27) == -1)
		return -1;
	m->u.ndrop.sktid = b[0];
	m->u.ndrop.family = b[1];
	m->u.ndrop.proto = b[2];
	m->u.ndrop.tfirst = pl_get64(b + 3);
	m->u.ndrop.tlast = pl_get64(b + 11);
	m->u.ndrop.unitcnt = pl_get32(b + 19);
	m->u.ndrop.bytecnt = pl_get32(b + 23);
	return 0;
}

static int
dec_nblock(struct pl_msg *m, const uint8_t *b, uint32_t n, struct dec *d)
{
	if (want_exact(d, n, 13) == -1)
		return -1;
	m->u.nblock.sktid = b[0];
	m->u.nblock.family = b[1];
	m->u.nblock.proto = b[2];
	m->u.nblock.monerrid = pl_get16(b + 3);
	m->u.nblock.time = pl_get64(b + 5);
	return 0;
}

static int
dec_linfo(struct pl_msg *m, const uint8_t *b, uint32_t n, struct dec *d)
{
	uint64_t sum;

	if (want_min(d, n, 12) == -1)
		return -1;
	m->u.linfo.namelen = pl_get32(b);
	m->u.linfo.auxlen = pl_get32(b + 4);
	m->u.linfo.infolen = pl_get32(b + 8);
	sum = 12ull + m->u.linfo.namelen + m->u.linfo.auxlen +
	    m->u.linfo.infolen;
	if (sum != n)
		return bad(d, "body length %u != 12 + %u + %u + %u", n,
		    m->u.linfo.namelen, m->u.linfo.auxlen, m->u.linfo.infolen);
	m->u.linfo.name = b + 12;
	m->u.linfo.aux = m->u.linfo.name + m->u.linfo.namelen;
	m->u.linfo.info = m->u.linfo.aux + m->u.linfo.auxlen;
	return 0;
}

static int
dec_xnotify(struct pl_msg *m, const uint8_t *b, uint32_t n, struct dec *d)
{
	if (want_min(d, n, 2) == -1)
		return -1;
	if (b[0] == 0 || b[0] > PL_CHANNEL_MAX)
		return bad(d, "channel length %u invalid (want 1..%u)", b[0],
		    PL_CHANNEL_MAX);
	if (n < 1u + b[0])
		return bad(d, "body length %u shorter than channel (length %u)",
		    n, b[0]);
	m->u.xnotify.channellen = b[0];
	m->u.xnotify.channel = b + 1;
	m->u.xnotify.descr = (const char *)b + 1 + b[0];
	m->u.xnotify.descrlen = n - 1u - b[0];
	return check_descr(d, m->u.xnotify.descr, m->u.xnotify.descrlen,
	    PL_NVP_XDESCR);
}

static int
dec_xreg(struct pl_msg *m, const uint8_t *b, uint32_t n, struct dec *d)
{
	if (!pl_snikey_valid((const char *)b, n))
		return bad(d, "snikey invalid (want 1..%u of [a-z0-9], "
		    "got %u bytes)", PL_SNIKEY_MAX, n);
	m->u.xreg.snikey = (const char *)b;
	m->u.xreg.snikeylen = n;
	return 0;
}

/* ---- encoder cursor ---- */

static void
w8(struct wcur *c, uint8_t v)
{
	if (c->p != NULL)
		c->p[c->off] = v;
	c->off += 1;
}

static void
w16(struct wcur *c, uint16_t v)
{
	if (c->p != NULL)
		pl_put16(c->p + c->off, v);
	c->off += 2;
}

static void
w32(struct wcur *c, uint32_t v)
{
	if (c->p != NULL)
		pl_put32(c->p + c->off, v);
	c->off += 4;
}

static void
w64(struct wcur *c, uint64_t v)
{
	if (c->p != NULL)
		pl_put64(c->p + c->off, v);
	c->off += 8;
}

/* Copies n bytes; -1 when they are missing or could never fit a body. */
static int
wbytes(struct wcur *c, const void *src, size_t n)
{
	if (n == 0)
		return 0;
	if (src == NULL || n > PL_BODY_MAX || c->off + n > PL_BODY_MAX)
		return -1;
	if (c->p != NULL)
		memcpy(c->p + c->off, src, n);
	c->off += n;
	return 0;
}

static int
descr_ok(const char *s, size_t len, enum pl_nvp_kind kind)
{
	if (len == 0)
		return 1;
	if (s == NULL || len > PL_BODY_MAX)
		return 0;
	return pl_nvp_validate(s, len, kind, NULL) >= 0;
}

/* ---- encoders: mirror the decoders; return 0 or -1 ---- */

static int
enc_empty(const struct pl_msg *m, struct wcur *c)
{
	return 0;
}

static int
enc_cdata(const struct pl_msg *m, struct wcur *c)
{
	w8(c, m->u.cdata.hintlen);
	if (wbytes(c, m->u.cdata.hint, m->u.cdata.hintlen) == -1)
		return -1;
	return wbytes(c, m->u.cdata.prog, m->u.cdata.proglen);
}

static int
enc_yield(const struct pl_msg *m, struct wcur *c)
{
	w64(c, m->u.yield.rhint);
	return 0;
}

static int
enc_mread(const struct pl_msg *m, struct wcur *c)
{
	if (m->u.mread.len == 0 ||
	    !range_ok(m->u.mread.addr, m->u.mread.len))
		return -1;
	w32(c, m->u.mread.addr);
	w16(c, m->u.mread.len);
	return 0;
}

static int
enc_mem(const struct pl_msg *m, struct wcur *c)
{
	if (m->type == PL_MWRITE && !range_ok(m->u.mem.addr, m->u.mem.len))
		return -1;
	w32(c, m->u.mem.addr);
	return wbytes(c, m->u.mem.data, m->u.mem.len);
}

static int
enc_nopen(const struct pl_msg *m, struct wcur *c)
{
	size_t	 al = pl_addrlen(m->u.nopen.family);

	if (al == 0)
		return -1;
	switch (m->u.nopen.proto) {
	case PL_PROTO_RAW:
		if (m->u.nopen.has_lport || m->u.nopen.has_raddr)
			return -1;
		break;
	case PL_PROTO_UDP:
		if (!m->u.nopen.has_lport || m->u.nopen.has_raddr)
			return -1;
		break;
	case PL_PROTO_TCP:
		if (!m->u.nopen.has_lport)
			return -1;
		break;
	default:
		return -1;
	}
	w8(c, m->u.nopen.sktid);
	w8(c, m->u.nopen.family);
	w8(c, m->u.nopen.proto);
	w32(c, m->u.nopen.rbufsz);
	(void)wbytes(c, m->u.nopen.laddr, al);
	if (m->u.nopen.has_lport)
		w16(c, m->u.nopen.lport);
	if (m->u.nopen.has_raddr) {
		(void)wbytes(c, m->u.nopen.raddr, al);
		w16(c, m->u.nopen.rport);
	}
	return 0;
}

static int
enc_nclose(const struct pl_msg *m, struct wcur *c)
{
	w8(c, m->u.nclose.sktid);
	return 0;
}

static int
enc_ndata(const struct pl_msg *m, struct wcur *c)
{
	uint8_t	 proto = m->u.ndata.proto;
	size_t	 al = pl_addrlen(m->u.ndata.family);

	if (proto != PL_PROTO_RAW && proto != PL_PROTO_TCP &&
	    proto != PL_PROTO_UDP)
		return -1;
	if (proto == PL_PROTO_UDP && al == 0)
		return -1;
	w8(c, m->u.ndata.sktid);
	w8(c, m->u.ndata.family);
	w8(c, proto);
	w64(c, m->u.ndata.time);
	if (m->type == PL_NSEND)
		w16(c, m->u.ndata.tag);
	if (proto == PL_PROTO_UDP) {
		(void)wbytes(c, m->u.ndata.addr, al);
		w16(c, m->u.ndata.port);
	}
	return wbytes(c, m->u.ndata.data, m->u.ndata.len);
}

static int
enc_ncap(const struct pl_msg *m, struct wcur *c)
{
	if (m->u.ncap.filterlen == 0)
		return -1;
	w8(c, m->u.ncap.sktid);
	w8(c, m->u.ncap.family);
	w8(c, m->u.ncap.proto);
	w64(c, m->u.ncap.endtime);
	return wbytes(c, m->u.ncap.filter, m->u.ncap.filterlen);
}

static int
enc_nctl(const struct pl_msg *m, struct wcur *c)
{
	if (m->u.nctl.proto != PL_PROTO_TCP)
		return -1;
	w8(c, m->u.nctl.sktid);
	w8(c, m->u.nctl.family);
	w8(c, m->u.nctl.proto);
	w64(c, m->u.nctl.time);
	w8(c, m->u.nctl.cmd);
	return 0;
}

static int
enc_xcert(const struct pl_msg *m, struct wcur *c)
{
	if (m->u.xcert.derlen == 0)
		return -1;
	return wbytes(c, m->u.xcert.der, m->u.xcert.derlen);
}

static int
enc_xpub(const struct pl_msg *m, struct wcur *c)
{
	ssize_t	 cl;

	if ((cl = pl_chlist_encode(&m->u.xpub.chlist, NULL, 0)) == -1 ||
	    m->u.xpub.eopkey == NULL)
		return -1;
	if (!descr_ok(m->u.xpub.descr, m->u.xpub.descrlen,
	    m->type == PL_XPUB ? PL_NVP_XDESCR : PL_NVP_DATTR))
		return -1;
	if (c->p != NULL)
		(void)pl_chlist_encode(&m->u.xpub.chlist, c->p + c->off,
		    (size_t)cl);
	c->off += (size_t)cl;
	(void)wbytes(c, m->u.xpub.eopkey, PL_EOPKEY_LEN);
	return wbytes(c, m->u.xpub.descr, m->u.xpub.descrlen);
}

static int
enc_result(const struct pl_msg *m, struct wcur *c)
{
	uint16_t errid = m->u.result.errid;

	if (errid == PL_SUCCESS) {
		if (m->u.result.explicit_ok)
			w16(c, 0);
		return 0;
	}
	if (m->u.result.explicit_ok)
		return -1;
	w16(c, errid);
	if (errid == PL_ECTLMONREJ || errid == PL_ECTLMONUKN)
		w16(c, m->u.result.monindx);
	if (errid == PL_ECTLMONREJ)
		w16(c, m->u.result.monerrid);
	return 0;
}

static int
enc_ntag(const struct pl_msg *m, struct wcur *c)
{
	if (!m->u.ntag.has_errid && m->u.ntag.errid != 0)
		return -1;
	w8(c, m->u.ntag.sktid);
	w16(c, m->u.ntag.tag);
	w64(c, m->u.ntag.time);
	if (m->u.ntag.has_errid)
		w16(c, m->u.ntag.errid);
	return 0;
}

static int
enc_nstat(const struct pl_msg *m, struct wcur *c)
{
	size_t	 al = pl_addrlen(m->u.nstat.family);

	if (m->u.nstat.has_raddr &&
	    (al == 0 || m->u.nstat.code != PL_NSTAT_ESTABLISHED))
		return -1;
	w8(c, m->u.nstat.sktid);
	w8(c, m->u.nstat.family);
	w8(c, m->u.nstat.proto);
	w64(c, m->u.nstat.time);
	if (!m->u.nstat.has_raddr) {
		w8(c, m->u.nstat.code);
		return 0;
	}
	(void)wbytes(c, m->u.nstat.raddr, al);
	w16(c, m->u.nstat.rport);
	return 0;
}

static int
enc_ndrop(const struct pl_msg *m, struct wcur *c)
{
	w8(c, m->u.ndrop.sktid);
	w8(c, m->u.ndrop.family);
	w8(c, m->u.ndrop.proto);
	w64(c, m->u.ndrop.tfirst);
	w64(c, m->u.ndrop.tlast);
	w32(c, m->u.ndrop.unitcnt);
	w32(c, m->u.ndrop.bytecnt);
	return 0;
}

static int
enc_nblock(const struct pl_msg *m, struct wcur *c)
{
	w8(c, m->u.nblock.sktid);
	w8(c, m->u.nblock.family);
	w8(c, m->u.nblock.proto);
	w16(c, m->u.nblock.monerrid);
	w64(c, m->u.nblock.time);
	return 0;
}

static int
enc_linfo(const struct pl_msg *m, struct wcur *c)
{
	w32(c, m->u.linfo.namelen);
	w32(c, m->u.linfo.auxlen);
	w32(c, m->u.linfo.infolen);
	if (wbytes(c, m->u.linfo.name, m->u.linfo.namelen) == -1 ||
	    wbytes(c, m->u.linfo.aux, m->u.linfo.auxlen) == -1)
		return -1;
	return wbytes(c, m->u.linfo.info, m->u.linfo.infolen);
}

static int
enc_xnotify(const struct pl_msg *m, struct wcur *c)
{
	uint8_t	 cl = m->u.xnotify.channellen;

	if (cl == 0 || cl > PL_CHANNEL_MAX ||
	    !descr_ok(m->u.xnotify.descr, m->u.xnotify.descrlen, PL_NVP_XDESCR))
		return -1;
	w8(c, cl);
	if (wbytes(c, m->u.xnotify.channel, cl) == -1)
		return -1;
	return wbytes(c, m->u.xnotify.descr, m->u.xnotify.descrlen);
}

static int
enc_xreg(const struct pl_msg *m, struct wcur *c)
{
	if (m->u.xreg.snikey == NULL ||
	    !pl_snikey_valid(m->u.xreg.snikey, m->u.xreg.snikeylen))
		return -1;
	return wbytes(c, m->u.xreg.snikey, m->u.xreg.snikeylen);
}
