/*
 * fuzz_wire.c: libFuzzer harness for the codec.
 *
 * The input is read twice: as a byte stream of framed messages, and as
 * one message whose first byte is the type and the rest the body (so the
 * fuzzer reaches every body decoder without having to get a length field
 * right).  For every message: each shorter prefix needs more bytes; an
 * accepted message re-encodes to the same bytes and decodes again to an
 * equal struct; a malformed one has a reason naming its type and is
 * forwarded as its own raw bytes.  Then each accepted message is altered
 * field by field: whatever the encoder still accepts must decode back to
 * an equal message (the encoder never produces what the decoder rejects).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pktlab/wire.h"

#include "require.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	 check_one(const uint8_t *, size_t, const uint8_t *, size_t);
static void	 check_encoder(const struct pl_msg *, const uint8_t *, size_t);
static void	 alter(struct pl_msg *, uint8_t, uint8_t);

static uint8_t	 enc[PL_HLEN + 70000];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t	 framed[PL_HLEN + 70000];
	struct pl_msg	 m;
	size_t		 off = 0, c;
	enum pl_dec	 d;

	/* As a stream. */
	while (off < size) {
		d = pl_decode(data + off, size - off, &m, &c, NULL);
		if (d == PL_DEC_NEED)
			break;
		REQUIRE(c >= PL_HLEN && c <= size - off);
		check_one(data + off, c, data, size);
		off += c;
	}

	/* As one type byte and a body. */
	if (size >= 1 && size - 1 <= sizeof(framed) - PL_HLEN) {
		framed[0] = data[0];
		framed[1] = (uint8_t)((size - 1) >> 16);
		framed[2] = (uint8_t)((size - 1) >> 8);
		framed[3] = (uint8_t)(size - 1);
		memcpy(framed + PL_HLEN, data + 1, size - 1);
		check_one(framed, PL_HLEN + size - 1, data, size);
	}
	return 0;
}

/* msg[0..len) is exactly one whole message. */
static void
check_one(const uint8_t *msg, size_t len, const uint8_t *data, size_t size)
{
	struct pl_msg	 m, m2;
	char		 why[160];
	const char	*tn;
	size_t		 c, k;
	ssize_t		 n;
	enum pl_dec	 d;

	d = pl_decode_r(msg, len, &m, &c, why, sizeof(why));
	REQUIRE(d != PL_DEC_NEED && c == len);
	REQUIRE(m.type == msg[0] && m.body == msg + PL_HLEN &&
	    m.bodylen == len - PL_HLEN);
	for (k = 0; k < len && k < 64; k++)
		REQUIRE(pl_decode(msg, k, &m2, NULL, NULL) == PL_DEC_NEED);
	REQUIRE(pl_decode(msg, len - 1, &m2, NULL, NULL) == PL_DEC_NEED);

	if (d == PL_DEC_MALFORMED) {
		REQUIRE(!m.known);
		tn = pl_type_name(m.type);
		REQUIRE(tn != NULL && strncmp(why, tn, strlen(tn)) == 0 &&
		    why[strlen(tn)] == ':');
	} else
		REQUIRE(m.known == (pl_type_name(m.type) != NULL));

	/* Same bytes back, known or raw. */
	n = pl_encode(&m, NULL, 0);
	REQUIRE(n == (ssize_t)len);
	if (len > sizeof(enc))
		return;
	REQUIRE(pl_encode(&m, enc, sizeof(enc)) == n);
	REQUIRE(memcmp(enc, msg, len) == 0);
	REQUIRE(pl_decode(enc, len, &m2, &c, NULL) == d && c == len);
	REQUIRE(pl_msg_equal(&m, &m2));

	if (d == PL_DEC_OK && m.known)
		check_encoder(&m, data, size);
}

/*
 * Alter one field at a time, driven by the input bytes; the encoder may
 * refuse the result, but what it accepts decodes back equal.
 */
static void
check_encoder(const struct pl_msg *orig, const uint8_t *data, size_t size)
{
	struct pl_msg	 m, m2;
	size_t		 i, c;
	ssize_t		 n;

	for (i = 0; i + 1 < size && i < 32; i += 2) {
		m = *orig;
		alter(&m, data[i], data[i + 1]);
		n = pl_encode(&m, NULL, 0);
		if (n == -1)
			continue;
		REQUIRE(n >= PL_HLEN && (size_t)n <= PL_HLEN + PL_BODY_MAX);
		if ((size_t)n > sizeof(enc))
			continue;
		REQUIRE(pl_encode(&m, enc, sizeof(enc)) == n);
		REQUIRE(pl_decode(enc, (size_t)n, &m2, &c, NULL) == PL_DEC_OK);
		REQUIRE(c == (size_t)n && m2.known);
		REQUIRE(pl_msg_equal(&m, &m2));
	}
}

/* Cut a length, never lengthen it: the pointer behind it stays valid. */
#define SHORTER(n, v)	((n) -= (n) % ((v) + 1u))

/*
 * Change one field of the message's own variant (the union must not be
 * written through another one: that would corrupt its pointers).
 */
static void
alter(struct pl_msg *m, uint8_t which, uint8_t v)
{
	static const uint16_t errids[] = { PL_SUCCESS, PL_ECTLMONREJ,
	    PL_ECTLMONUKN, PL_ECTLBADMSG, PL_EUNKFAULT, 0x1234 };

	which %= 4;
	switch (m->type) {
	case PL_NOPEN:
		if (which == 0)
			m->u.nopen.family = v;
		else if (which == 1)
			m->u.nopen.proto = v;
		else if (which == 2)
			m->u.nopen.has_lport = v & 1;
		else
			m->u.nopen.has_raddr = v & 1;
		break;
	case PL_NSEND:
	case PL_NDATA:
		if (which == 0)
			m->u.ndata.family = v;
		else if (which == 1)
			m->u.ndata.proto = v;
		else if (which == 2)
			m->type = m->type == PL_NSEND ? PL_NDATA : PL_NSEND;
		else
			SHORTER(m->u.ndata.len, v);
		break;
	case PL_NCTL:
		if (which == 0)
			m->u.nctl.family = v;
		else if (which == 1)
			m->u.nctl.proto = v;
		else
			m->u.nctl.cmd = v;
		break;
	case PL_NCAP:
		if (which == 0)
			m->u.ncap.proto = v;
		else
			SHORTER(m->u.ncap.filterlen, v);
		break;
	case PL_NSTAT:
		if (which == 0)
			m->u.nstat.family = v;
		else if (which == 1)
			m->u.nstat.proto = v;
		else if (which == 2)
			m->u.nstat.has_raddr = v & 1;
		else
			m->u.nstat.code = v;
		break;
	case PL_NTAG:
		if (which < 2)
			m->u.ntag.has_errid = v & 1;
		else
			m->u.ntag.errid = v & 1 ? 0 : v;
		break;
	case PL_RESULT:
		if (which < 2)
			m->u.result.errid = errids[v % 6];
		else if (which == 2)
			m->u.result.explicit_ok = v & 1;
		else
			m->u.result.monindx = v;
		break;
	case PL_MREAD:
		if (which < 2)
			m->u.mread.len = (uint16_t)(v & 1 ? v : v << 8 | v);
		else
			m->u.mread.addr = 0xFFFFFFFFu - v * 0x01010101u;
		break;
	case PL_MWRITE:
	case PL_MDATA:
		if (which == 0)
			m->u.mem.addr = 0xFFFFFFFFu - v;
		else if (which == 1)
			m->type = m->type == PL_MWRITE ? PL_MDATA : PL_MWRITE;
		else
			SHORTER(m->u.mem.len, v);
		break;
	case PL_XPUB:
	case PL_XSUB:
		if (which == 0)
			m->type = m->type == PL_XPUB ? PL_XSUB : PL_XPUB;
		else if (which == 1)
			SHORTER(m->u.xpub.descrlen, v);
		else if (which == 2 && m->u.xpub.chlist.cnt > 0)
			m->u.xpub.chlist.len[0] = (uint8_t)(m->u.xpub.chlist.len[0] -
			    m->u.xpub.chlist.len[0] % (v + 1));
		else
			m->u.xpub.chlist.cnt = v;	/* unused entries are zero */
		break;
	case PL_XNOTIFY:
		if (which < 2)
			m->u.xnotify.channellen = (uint8_t)(m->u.xnotify.channellen -
			    m->u.xnotify.channellen % (v + 1));
		else
			SHORTER(m->u.xnotify.descrlen, v);
		break;
	case PL_XREG:
		SHORTER(m->u.xreg.snikeylen, v);
		break;
	case PL_XCERT:
		SHORTER(m->u.xcert.derlen, v);
		break;
	case PL_CDATA:
		m->u.cdata.hintlen = (uint8_t)(m->u.cdata.hintlen -
		    m->u.cdata.hintlen % (v + 1));
		break;
	case PL_LINFO:
		if (which < 2)
			m->u.linfo.namelen -= m->u.linfo.namelen % (v + 1u);
		else
			m->u.linfo.infolen -= m->u.linfo.infolen % (v + 1u);
		break;
	case PL_YIELD:
		m->u.yield.rhint ^= (uint64_t)v << (which * 16);
		break;
	}
}
