/*
 * test_wire.c: the codec against the reference vectors: every section B
 * message decodes to the fields its description states and re-encodes to
 * the same bytes, the constructors reproduce the reference encoder's
 * bytes, the decoder edge cases classify as stated, and the section C
 * transcripts decode message by message, whole, split byte by byte, or
 * coalesced into one buffer.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "pktlab/nvp.h"
#include "pktlab/prog.h"
#include "pktlab/wire.h"
#include "vec.h"
#include "ctrun.h"

#define T	0x17979cfe3d85cd15ull	/* the vectors' pktlab time */

static struct vec_set	*vs;

static void
setup(void)
{
	vs = vec_load("protocol_vectors.txt");
	ck_assert_msg(vs != NULL, "cannot load protocol_vectors.txt");
}

static void
teardown(void)
{
	vec_free(vs);
}

static const struct vec *
V(const char *prefix)
{
	const struct vec	*v = vec_find(vs, VEC_MSG, prefix);

	ck_assert_msg(v != NULL, "no vector \"%s\"", prefix);
	return v;
}

static void
decode_ok(const uint8_t *b, size_t len, struct pl_msg *m)
{
	size_t		 c = 0;
	const char	*r = NULL;

	ck_assert_int_eq(pl_decode(b, len, m, &c, &r), PL_DEC_OK);
	ck_assert_ptr_null(r);
	ck_assert_uint_eq(c, len);
	ck_assert(m->known);
}

/* Encoding m gives exactly want[0..len). */
static void
encodes_to(const struct pl_msg *m, const uint8_t *want, size_t len)
{
	uint8_t	 buf[1024];
	ssize_t	 n;

	ck_assert_uint_le(len, sizeof(buf));
	ck_assert_int_eq(pl_encode(m, NULL, 0), (ssize_t)len);
	n = pl_encode(m, buf, sizeof(buf));
	ck_assert_int_eq(n, (ssize_t)len);
	ck_assert_mem_eq(buf, want, len);
}

static int
is(const struct vec *v, const char *prefix)
{
	return strncmp(v->desc, prefix, strlen(prefix)) == 0;
}

static void
str_eq(const void *p, size_t len, const char *want)
{
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_mem_eq(p, want, len);
}

static const uint8_t	 zero16[16];
static const uint8_t	 ip_example[4] = { 93, 184, 216, 34 };
static const uint8_t	 ip_google[4] = { 8, 8, 8, 8 };

/*
 * The fields each section B description states.  Returns 1 when a rule
 * covered the vector, so the caller can insist that every vector has one.
 */
static int
check_fields(const struct vec *v, const struct pl_msg *m)
{
	const struct vec	*prog;
	struct pl_nvp		 p;
	uint8_t			 tbuf[8];

	if (is(v, "nopen TCP/IPv4 connect")) {
		ck_assert_uint_eq(m->type, PL_NOPEN);
		ck_assert_uint_eq(m->u.nopen.sktid, 1);
		ck_assert_uint_eq(m->u.nopen.family, PL_FAM_IPV4);
		ck_assert_uint_eq(m->u.nopen.proto, PL_PROTO_TCP);
		ck_assert_uint_eq(m->u.nopen.rbufsz, 0x1000);
		ck_assert_mem_eq(m->u.nopen.laddr, zero16, 4);
		ck_assert(m->u.nopen.has_lport && m->u.nopen.has_raddr);
		ck_assert_uint_eq(m->u.nopen.lport, 0);
		ck_assert_mem_eq(m->u.nopen.raddr, ip_example, 4);
		ck_assert_uint_eq(m->u.nopen.rport, 80);
	} else if (is(v, "nopen UDP/IPv4") || is(v, "nopen RAW/IPv4")) {
		ck_assert_uint_eq(m->type, PL_NOPEN);
		ck_assert_uint_eq(m->u.nopen.sktid, 1);
		ck_assert_uint_eq(m->u.nopen.family, PL_FAM_IPV4);
		ck_assert_uint_eq(m->u.nopen.rbufsz, 0x1000);
		ck_assert_mem_eq(m->u.nopen.laddr, zero16, 4);
		ck_assert(!m->u.nopen.has_raddr);
		if (is(v, "nopen UDP")) {
			ck_assert_uint_eq(m->u.nopen.proto, PL_PROTO_UDP);
			ck_assert(m->u.nopen.has_lport);
			ck_assert_uint_eq(m->u.nopen.lport, 0);
		} else {
			ck_assert_uint_eq(m->u.nopen.proto, PL_PROTO_RAW);
			ck_assert(!m->u.nopen.has_lport);
		}
	} else if (is(v, "nsend TCP sktid=1 time=0 tag=1234 data=\"GET / HTTP/1.0\\r\\n\\r\\n\"")) {
		ck_assert_uint_eq(m->type, PL_NSEND);
		ck_assert_uint_eq(m->u.ndata.sktid, 1);
		ck_assert_uint_eq(m->u.ndata.family, PL_FAM_IPV4);
		ck_assert_uint_eq(m->u.ndata.proto, PL_PROTO_TCP);
		ck_assert_uint_eq(m->u.ndata.time, 0);
		ck_assert_uint_eq(m->u.ndata.tag, 1234);
		str_eq(m->u.ndata.data, m->u.ndata.len, "GET / HTTP/1.0\r\n\r\n");
	} else if (is(v, "nsend TCP sktid=1 time=0 tag=1234 data=\"GET / HTTP/1.0\\r\\nHost")) {
		ck_assert_uint_eq(m->type, PL_NSEND);
		ck_assert_uint_eq(m->u.ndata.tag, 1234);
		str_eq(m->u.ndata.data, m->u.ndata.len,
		    "GET / HTTP/1.0\r\nHost: www.example.com\r\n\r\n");
	} else if (is(v, "nsend UDP sktid=1 time=0 tag=1234 to 8.8.8.8:53")) {
		ck_assert_uint_eq(m->type, PL_NSEND);
		ck_assert_uint_eq(m->u.ndata.proto, PL_PROTO_UDP);
		ck_assert_uint_eq(m->u.ndata.tag, 1234);
		ck_assert_mem_eq(m->u.ndata.addr, ip_google, 4);
		ck_assert_uint_eq(m->u.ndata.port, 53);
		/* DNS header, ID 5566 in little-endian host order, then QNAME. */
		ck_assert_uint_eq(m->u.ndata.len, 33);
		ck_assert_mem_eq(m->u.ndata.data, "\xbe\x15\x01\x00\x00\x01", 6);
		ck_assert_mem_eq(m->u.ndata.data + 12, "\x03www\x07" "example", 12);
	} else if (is(v, "nsend TCP sktid=1 time=T tag=0")) {
		ck_assert_uint_eq(m->u.ndata.time, T);
		ck_assert_uint_eq(m->u.ndata.tag, 0);
		str_eq(m->u.ndata.data, m->u.ndata.len, "x");
	} else if (is(v, "nclose sktid=1")) {
		ck_assert_uint_eq(m->type, PL_NCLOSE);
		ck_assert_uint_eq(m->u.nclose.sktid, 1);
	} else if (is(v, "mread ")) {
		ck_assert_uint_eq(m->type, PL_MREAD);
		if (is(v, "mread hostid")) {
			ck_assert_uint_eq(m->u.mread.addr, 0x10030000);
			ck_assert_uint_eq(m->u.mread.len, 0x100);
		} else if (is(v, "mread endpoint time")) {
			ck_assert_uint_eq(m->u.mread.addr, 0x10010000);
			ck_assert_uint_eq(m->u.mread.len, 8);
		} else if (is(v, "mread IPv4 DNS server count")) {
			ck_assert_uint_eq(m->u.mread.addr, 0x10020000);
			ck_assert_uint_eq(m->u.mread.len, 1);
		} else if (is(v, "mread first IPv4")) {
			ck_assert_uint_eq(m->u.mread.addr, 0x10020010);
			ck_assert_uint_eq(m->u.mread.len, 4);
		} else if (is(v, "mread addr=0x10020010 len=0x40")) {
			ck_assert_uint_eq(m->u.mread.addr, 0x10020010);
			ck_assert_uint_eq(m->u.mread.len, 0x40);
		} else if (is(v, "mread sktinfo[0].laddr")) {
			ck_assert_uint_eq(m->u.mread.addr, 0x20000010);
			ck_assert_uint_eq(m->u.mread.len, 4);
		} else if (is(v, "mread whole sktinfo block")) {
			ck_assert_uint_eq(m->u.mread.addr, 0x20000400);
			ck_assert_uint_eq(m->u.mread.len, 0x400);
		} else
			return 0;
	} else if (is(v, "mwrite sktinfo[1].notifmask")) {
		ck_assert_uint_eq(m->type, PL_MWRITE);
		ck_assert_uint_eq(m->u.mem.addr, 0x20000470);
		ck_assert_uint_eq(m->u.mem.len, 2);
		ck_assert_mem_eq(m->u.mem.data, "\x00\x08", 2);
	} else if (is(v, "ncap RAW/IPv4")) {
		prog = V("(encoded program alone");
		ck_assert_uint_eq(m->type, PL_NCAP);
		ck_assert_uint_eq(m->u.ncap.sktid, 1);
		ck_assert_uint_eq(m->u.ncap.family, PL_FAM_IPV4);
		ck_assert_uint_eq(m->u.ncap.proto, PL_PROTO_RAW);
		ck_assert_uint_eq(m->u.ncap.endtime, PL_TIME_FOREVER);
		ck_assert_uint_eq(m->u.ncap.filterlen, prog->len);
		ck_assert_mem_eq(m->u.ncap.filter, prog->bytes, prog->len);
	} else if (is(v, "(encoded program alone")) {
		ck_assert_ptr_null(m);
		ck_assert_uint_eq(v->len, 1 + 15 * 8);
		ck_assert_int_eq(pl_prog_check(v->bytes, v->len, NULL), 0);
	} else if (is(v, "nctl TCP FIN")) {
		ck_assert_uint_eq(m->type, PL_NCTL);
		ck_assert_uint_eq(m->u.nctl.sktid, 1);
		ck_assert_uint_eq(m->u.nctl.family, PL_FAM_IPV4);
		ck_assert_uint_eq(m->u.nctl.proto, PL_PROTO_TCP);
		ck_assert_uint_eq(m->u.nctl.time, 0);
		ck_assert_uint_eq(m->u.nctl.cmd, PL_NCTL_TCP_FIN);
	} else if (is(v, "start") || is(v, "end") || is(v, "cont") ||
	    is(v, "suspd") || is(v, "resumd")) {
		ck_assert_str_eq(pl_type_name(m->type), v->desc);
		ck_assert_uint_eq(m->bodylen, 0);
	} else if (is(v, "yield rhint=60s")) {
		ck_assert_uint_eq(m->type, PL_YIELD);
		ck_assert_uint_eq(m->u.yield.rhint, 60 * PL_TICKS_PER_SEC);
	} else if (is(v, "cdata hint=\"monitor\"")) {
		ck_assert_uint_eq(m->type, PL_CDATA);
		str_eq(m->u.cdata.hint, m->u.cdata.hintlen, "monitor");
		ck_assert_uint_eq(m->u.cdata.proglen, 9);
		ck_assert_mem_eq(m->u.cdata.prog, "\x01\x00" "asm\x01\x00\x00\x00", 9);
		ck_assert_int_eq(pl_prog_check(m->u.cdata.prog, m->u.cdata.proglen,
		    NULL), 0);
	} else if (is(v, "result ")) {
		ck_assert_uint_eq(m->type, PL_RESULT);
		ck_assert(!m->u.result.explicit_ok);
		if (is(v, "result SUCCESS"))
			ck_assert_uint_eq(m->u.result.errid, PL_SUCCESS);
		else if (is(v, "result ESKTINUSE"))
			ck_assert_uint_eq(m->u.result.errid, PL_ESKTINUSE);
		else if (is(v, "result ECTLBADMSG"))
			ck_assert_uint_eq(m->u.result.errid, PL_ECTLBADMSG);
		else if (is(v, "result EMEMBADADR"))
			ck_assert_uint_eq(m->u.result.errid, PL_EMEMBADADR);
		else if (is(v, "result EUNKFAULT"))
			ck_assert_uint_eq(m->u.result.errid, PL_EUNKFAULT);
		else if (is(v, "result ECTLMONREJ monindx=2 monerrid=7")) {
			ck_assert_uint_eq(m->u.result.errid, PL_ECTLMONREJ);
			ck_assert_uint_eq(m->u.result.monindx, 2);
			ck_assert_uint_eq(m->u.result.monerrid, 7);
		} else if (is(v, "result ECTLMONUKN monindx=3")) {
			ck_assert_uint_eq(m->u.result.errid, PL_ECTLMONUKN);
			ck_assert_uint_eq(m->u.result.monindx, 3);
		} else
			return 0;
	} else if (is(v, "mdata addr=0x10010000 data=T")) {
		ck_assert_uint_eq(m->type, PL_MDATA);
		ck_assert_uint_eq(m->u.mem.addr, 0x10010000);
		pl_put64(tbuf, T);
		ck_assert_uint_eq(m->u.mem.len, 8);
		ck_assert_mem_eq(m->u.mem.data, tbuf, 8);
	} else if (is(v, "mdata addr=0x10030000 len=0x100 hostid=\"pktlabme\"")) {
		ck_assert_uint_eq(m->u.mem.addr, 0x10030000);
		ck_assert_uint_eq(m->u.mem.len, 0x100);
		ck_assert_mem_eq(m->u.mem.data, "pktlabme", 8);
		for (size_t i = 8; i < 0x100; i++)
			ck_assert_uint_eq(m->u.mem.data[i], 0);
	} else if (is(v, "ndata TCP")) {
		ck_assert_uint_eq(m->type, PL_NDATA);
		ck_assert_uint_eq(m->u.ndata.sktid, 1);
		ck_assert_uint_eq(m->u.ndata.proto, PL_PROTO_TCP);
		ck_assert_uint_eq(m->u.ndata.time, T);
		str_eq(m->u.ndata.data, m->u.ndata.len, "HTTP/1.0 200 OK\r\n");
	} else if (is(v, "ndata UDP")) {
		ck_assert_uint_eq(m->type, PL_NDATA);
		ck_assert_uint_eq(m->u.ndata.proto, PL_PROTO_UDP);
		ck_assert_uint_eq(m->u.ndata.time, T);
		ck_assert_mem_eq(m->u.ndata.addr, ip_google, 4);
		ck_assert_uint_eq(m->u.ndata.port, 53);
		ck_assert_uint_eq(m->u.ndata.len, 4);
		ck_assert_mem_eq(m->u.ndata.data, "\xbe\x15\x81\x80", 4);
	} else if (is(v, "ntag sktid=1 tag=1234 time=T")) {
		ck_assert_uint_eq(m->type, PL_NTAG);
		ck_assert_uint_eq(m->u.ntag.sktid, 1);
		ck_assert_uint_eq(m->u.ntag.tag, 1234);
		ck_assert_uint_eq(m->u.ntag.time, T);
		if (is(v, "ntag sktid=1 tag=1234 time=T success")) {
			ck_assert(!m->u.ntag.has_errid);
			ck_assert_uint_eq(m->u.ntag.errid, 0);
		} else {
			ck_assert(m->u.ntag.has_errid);
			ck_assert_uint_eq(m->u.ntag.errid, PL_EPKTNOTSENT);
		}
	} else if (is(v, "nstat TCP sktid=1 time=T")) {
		ck_assert_uint_eq(m->type, PL_NSTAT);
		ck_assert_uint_eq(m->u.nstat.sktid, 1);
		ck_assert_uint_eq(m->u.nstat.family, PL_FAM_IPV4);
		ck_assert_uint_eq(m->u.nstat.proto, PL_PROTO_TCP);
		ck_assert_uint_eq(m->u.nstat.time, T);
		if (is(v, "nstat TCP sktid=1 time=T ESTABLISHED")) {
			ck_assert_uint_eq(m->u.nstat.code, PL_NSTAT_ESTABLISHED);
			ck_assert(m->u.nstat.has_raddr);
			ck_assert_mem_eq(m->u.nstat.raddr, ip_example, 4);
			ck_assert_uint_eq(m->u.nstat.rport, 80);
		} else {
			ck_assert(!m->u.nstat.has_raddr);
			ck_assert_uint_eq(m->u.nstat.code,
			    is(v, "nstat TCP sktid=1 time=T code=PEERCLOSED") ?
			    PL_NSTAT_PEERCLOSED : PL_NSTAT_RESET);
		}
	} else if (is(v, "ndrop sktid=1 UDP")) {
		ck_assert_uint_eq(m->type, PL_NDROP);
		ck_assert_uint_eq(m->u.ndrop.sktid, 1);
		ck_assert_uint_eq(m->u.ndrop.proto, PL_PROTO_UDP);
		ck_assert_uint_eq(m->u.ndrop.tfirst, T);
		ck_assert_uint_eq(m->u.ndrop.tlast, T + 1000);
		ck_assert_uint_eq(m->u.ndrop.unitcnt, 3);
		ck_assert_uint_eq(m->u.ndrop.bytecnt, 1500);
	} else if (is(v, "nblock sktid=1 TCP monerrid=5")) {
		ck_assert_uint_eq(m->type, PL_NBLOCK);
		ck_assert_uint_eq(m->u.nblock.sktid, 1);
		ck_assert_uint_eq(m->u.nblock.proto, PL_PROTO_TCP);
		ck_assert_uint_eq(m->u.nblock.monerrid, 5);
		ck_assert_uint_eq(m->u.nblock.time, T);
	} else if (is(v, "linfo name=\"nm\"")) {
		ck_assert_uint_eq(m->type, PL_LINFO);
		str_eq(m->u.linfo.name, m->u.linfo.namelen, "nm");
		ck_assert_uint_eq(m->u.linfo.auxlen, 0);
		str_eq(m->u.linfo.info, m->u.linfo.infolen, "hi");
	} else if (is(v, "chlist with one 3-byte channel")) {
		struct pl_chlist cl;

		ck_assert_ptr_null(m);
		ck_assert_int_eq(pl_chlist_decode(v->bytes, v->len, &cl, NULL), 0);
		ck_assert_uint_eq(cl.cnt, 1);
		ck_assert_uint_eq(cl.len[0], 3);
		ck_assert_mem_eq(cl.id[0], "\xab\xcd\xef", 3);
	} else if (is(v, "xpub ") || is(v, "xsub ")) {
		ck_assert_uint_eq(m->type, is(v, "xpub") ? PL_XPUB : PL_XSUB);
		ck_assert_uint_eq(m->u.xpub.chlist.cnt, 1);
		ck_assert_uint_eq(m->u.xpub.chlist.len[0], 3);
		ck_assert_mem_eq(m->u.xpub.chlist.id[0], "\xab\xcd\xef", 3);
		for (int i = 0; i < 32; i++)
			ck_assert_uint_eq(m->u.xpub.eopkey[i], i);
		if (m->type == PL_XPUB) {
			str_eq(m->u.xpub.descr, m->u.xpub.descrlen,
			    "controller_addr=192.0.2.1:20556;sni_key=abc123;");
			ck_assert(pl_nvp_find(m->u.xpub.descr, m->u.xpub.descrlen,
			    PL_NVP_XDESCR, "sni_key", 0, &p));
			str_eq(p.value, p.valuelen, "abc123");
		} else
			str_eq(m->u.xpub.descr, m->u.xpub.descrlen, "country=US;");
	} else if (is(v, "xnotify channel=abcdef")) {
		ck_assert_uint_eq(m->type, PL_XNOTIFY);
		ck_assert_uint_eq(m->u.xnotify.channellen, 3);
		ck_assert_mem_eq(m->u.xnotify.channel, "\xab\xcd\xef", 3);
		str_eq(m->u.xnotify.descr, m->u.xnotify.descrlen,
		    "controller_addr=192.0.2.1:20556;sni_key=abc123;");
	} else if (is(v, "xcert der=30020500")) {
		ck_assert_uint_eq(m->type, PL_XCERT);
		ck_assert_uint_eq(m->u.xcert.derlen, 4);
		ck_assert_mem_eq(m->u.xcert.der, "\x30\x02\x05\x00", 4);
	} else if (is(v, "xreg snikey=\"abc123\"")) {
		ck_assert_uint_eq(m->type, PL_XREG);
		str_eq(m->u.xreg.snikey, m->u.xreg.snikeylen, "abc123");
	} else
		return 0;
	return 1;
}

/* Every section B vector: fields as described, and byte-identical re-encoding. */
START_TEST(vectors_fields_and_roundtrip)
{
	struct pl_msg	 m, m2;
	size_t		 i, nmsg = 0;
	uint8_t		 buf[1024];
	ssize_t		 n;

	for (i = 0; i < vs->n; i++) {
		const struct vec *v = &vs->v[i];

		if (v->kind != VEC_MSG)
			continue;
		ck_assert_msg(v->stated_len == v->len,
		    "line %u: %zu bytes, stated %zu", v->lineno, v->len,
		    v->stated_len);
		if (!v->roundtrip) {
			ck_assert_msg(check_fields(v, NULL), "line %u: no check "
			    "for \"%s\"", v->lineno, v->desc);
			continue;
		}
		nmsg++;
		decode_ok(v->bytes, v->len, &m);
		ck_assert_msg(check_fields(v, &m), "line %u: no field check "
		    "for \"%s\"", v->lineno, v->desc);
		n = pl_encode(&m, buf, sizeof(buf));
		ck_assert_msg(n == (ssize_t)v->len &&
		    memcmp(buf, v->bytes, v->len) == 0,
		    "line %u: \"%s\" does not re-encode identically",
		    v->lineno, v->desc);
		decode_ok(buf, (size_t)n, &m2);
		ck_assert(pl_msg_equal(&m, &m2));
	}
	/* The file holds 49 round-trip vectors; none may be lost by parsing. */
	ck_assert_uint_eq(nmsg, 49);
}
END_TEST

/* The constructors give the reference encoder's canonical bytes. */
START_TEST(constructors_match_reference)
{
	static const uint8_t eopkey[32] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
		18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 };
	static const char xd[] = "controller_addr=192.0.2.1:20556;sni_key=abc123;";
	const struct vec *prog = V("(encoded program alone");
	const char	*get = "GET / HTTP/1.0\r\n\r\n";
	uint8_t		 tbuf[8], hostid[0x100] = "pktlabme";
	struct pl_chlist cl = { 1, { 3 }, { (const uint8_t *)"\xab\xcd\xef" } };
	struct pl_msg	 m;
	const struct vec *v;

	pl_msg_nopen(&m, 1, PL_FAM_IPV4, PL_PROTO_TCP, 0x1000, zero16, 0,
	    ip_example, 80);
	v = V("nopen TCP/IPv4 connect");
	encodes_to(&m, v->bytes, v->len);
	pl_msg_nopen(&m, 1, PL_FAM_IPV4, PL_PROTO_UDP, 0x1000, zero16, 0, NULL, 0);
	v = V("nopen UDP/IPv4");
	encodes_to(&m, v->bytes, v->len);
	/* RAW ignores lport and raddr: there is no room for them. */
	pl_msg_nopen(&m, 1, PL_FAM_IPV4, PL_PROTO_RAW, 0x1000, zero16, 99,
	    ip_example, 80);
	v = V("nopen RAW/IPv4");
	encodes_to(&m, v->bytes, v->len);

	pl_msg_nsend(&m, 1, PL_FAM_IPV4, PL_PROTO_TCP, 0, 1234, NULL, 0,
	    (const uint8_t *)get, strlen(get));
	v = V("nsend TCP sktid=1 time=0 tag=1234 data=\"GET / HTTP/1.0\\r\\n\\r\\n\"");
	encodes_to(&m, v->bytes, v->len);
	v = V("nsend UDP sktid=1");
	pl_msg_nsend(&m, 1, PL_FAM_IPV4, PL_PROTO_UDP, 0, 1234, ip_google, 53,
	    v->bytes + 4 + 19, v->len - 4 - 19);
	encodes_to(&m, v->bytes, v->len);
	pl_msg_nsend(&m, 1, PL_FAM_IPV4, PL_PROTO_TCP, T, 0, NULL, 0,
	    (const uint8_t *)"x", 1);
	v = V("nsend TCP sktid=1 time=T tag=0");
	encodes_to(&m, v->bytes, v->len);

	pl_msg_nclose(&m, 1);
	encodes_to(&m, V("nclose")->bytes, 5);
	pl_msg_mread(&m, 0x10030000, 0x100);
	encodes_to(&m, V("mread hostid")->bytes, 10);
	pl_msg_mwrite(&m, 0x20000470, (const uint8_t *)"\x00\x08", 2);
	encodes_to(&m, V("mwrite sktinfo[1]")->bytes, 10);
	pl_msg_ncap(&m, 1, PL_FAM_IPV4, PL_PROTO_RAW, PL_TIME_FOREVER,
	    prog->bytes, prog->len);
	v = V("ncap RAW/IPv4");
	encodes_to(&m, v->bytes, v->len);
	pl_msg_nctl(&m, 1, PL_FAM_IPV4, PL_PROTO_TCP, PL_TIME_NOW, PL_NCTL_TCP_FIN);
	v = V("nctl TCP FIN");
	encodes_to(&m, v->bytes, v->len);

	pl_msg_start(&m);
	encodes_to(&m, V("start")->bytes, 4);
	pl_msg_empty(&m, PL_END);
	encodes_to(&m, V("end")->bytes, 4);
	pl_msg_empty(&m, PL_CONT);
	encodes_to(&m, V("cont")->bytes, 4);
	pl_msg_empty(&m, PL_SUSPD);
	encodes_to(&m, V("suspd")->bytes, 4);
	pl_msg_empty(&m, PL_RESUMD);
	encodes_to(&m, V("resumd")->bytes, 4);
	pl_msg_yield(&m, pl_time_from_sec(60));
	encodes_to(&m, V("yield")->bytes, 12);
	pl_msg_cdata(&m, "monitor", (const uint8_t *)"\x01\x00" "asm\x01\x00\x00\x00", 9);
	encodes_to(&m, V("cdata")->bytes, 21);

	pl_msg_result(&m, PL_SUCCESS);
	encodes_to(&m, V("result SUCCESS")->bytes, 4);
	pl_msg_result(&m, PL_ESKTINUSE);
	encodes_to(&m, V("result ESKTINUSE")->bytes, 6);
	pl_msg_result(&m, PL_EUNKFAULT);
	encodes_to(&m, V("result EUNKFAULT")->bytes, 6);
	pl_msg_result_mon(&m, PL_ECTLMONREJ, 2, 7);
	encodes_to(&m, V("result ECTLMONREJ")->bytes, 10);
	pl_msg_result_mon(&m, PL_ECTLMONUKN, 3, 99);
	encodes_to(&m, V("result ECTLMONUKN")->bytes, 8);
	pl_put64(tbuf, T);
	pl_msg_mdata(&m, 0x10010000, tbuf, 8);
	encodes_to(&m, V("mdata addr=0x10010000")->bytes, 16);
	pl_msg_mdata(&m, 0x10030000, hostid, sizeof(hostid));
	encodes_to(&m, V("mdata addr=0x10030000")->bytes, 264);

	pl_msg_ndata(&m, 1, PL_FAM_IPV4, PL_PROTO_TCP, T, NULL, 0,
	    (const uint8_t *)"HTTP/1.0 200 OK\r\n", 17);
	encodes_to(&m, V("ndata TCP")->bytes, 32);
	pl_msg_ndata(&m, 1, PL_FAM_IPV4, PL_PROTO_UDP, T, ip_google, 53,
	    (const uint8_t *)"\xbe\x15\x81\x80", 4);
	encodes_to(&m, V("ndata UDP")->bytes, 25);
	pl_msg_ntag(&m, 1, 1234, T, 0);
	encodes_to(&m, V("ntag sktid=1 tag=1234 time=T success")->bytes, 15);
	pl_msg_ntag(&m, 1, 1234, T, PL_EPKTNOTSENT);
	encodes_to(&m, V("ntag sktid=1 tag=1234 time=T errid")->bytes, 17);
	pl_msg_nstat(&m, 1, PL_FAM_IPV4, PL_PROTO_TCP, T, PL_NSTAT_ESTABLISHED,
	    ip_example, 80);
	encodes_to(&m, V("nstat TCP sktid=1 time=T ESTABLISHED")->bytes, 21);
	pl_msg_nstat(&m, 1, PL_FAM_IPV4, PL_PROTO_TCP, T, PL_NSTAT_PEERCLOSED,
	    ip_example, 80);
	encodes_to(&m, V("nstat TCP sktid=1 time=T code=PEERCLOSED")->bytes, 16);
	pl_msg_ndrop(&m, 1, PL_FAM_IPV4, PL_PROTO_UDP, T, T + 1000, 3, 1500);
	encodes_to(&m, V("ndrop")->bytes, 31);
	pl_msg_nblock(&m, 1, PL_FAM_IPV4, PL_PROTO_TCP, 5, T);
	encodes_to(&m, V("nblock")->bytes, 17);
	pl_msg_linfo(&m, (const uint8_t *)"nm", 2, NULL, 0,
	    (const uint8_t *)"hi", 2);
	encodes_to(&m, V("linfo")->bytes, 20);

	pl_msg_xpub(&m, PL_XPUB, &cl, eopkey, xd, strlen(xd));
	encodes_to(&m, V("xpub")->bytes, 88);
	pl_msg_xpub(&m, PL_XSUB, &cl, eopkey, "country=US;", 11);
	encodes_to(&m, V("xsub")->bytes, 52);
	pl_msg_xnotify(&m, (const uint8_t *)"\xab\xcd\xef", 3, xd, strlen(xd));
	encodes_to(&m, V("xnotify")->bytes, 55);
	pl_msg_xcert(&m, (const uint8_t *)"\x30\x02\x05\x00", 4);
	encodes_to(&m, V("xcert")->bytes, 8);
	pl_msg_xreg(&m, "abc123", 6);
	encodes_to(&m, V("xreg")->bytes, 10);
}
END_TEST

/* Section B "decoder edge cases": the stated classification. */
START_TEST(vectors_edge_cases)
{
	struct pl_msg	 m;
	size_t		 i, c, nedge = 0;
	uint8_t		 buf[64];
	const char	*r;
	enum pl_dec	 d;

	for (i = 0; i < vs->n; i++) {
		const struct vec *v = &vs->v[i];

		if (v->kind != VEC_EDGE)
			continue;
		nedge++;
		c = 12345;
		d = pl_decode(v->bytes, v->len, &m, &c, &r);
		if (v->need) {
			ck_assert_msg(d == PL_DEC_NEED, "line %u", v->lineno);
			ck_assert_uint_eq(c, 12345);
			continue;
		}
		ck_assert_msg(d == (v->malformed ? PL_DEC_MALFORMED : PL_DEC_OK),
		    "line %u: \"%s\" gives %d", v->lineno, v->desc, d);
		ck_assert_uint_eq(c, v->consumed);
		ck_assert(!m.known);
		if (v->malformed) {
			ck_assert_ptr_nonnull(r);
			ck_assert_msg(strncmp(r, pl_type_name(v->bytes[0]),
			    strlen(pl_type_name(v->bytes[0]))) == 0,
			    "reason \"%s\" does not name the type", r);
		}
		/* Raw forwarding: the exact bytes come back. */
		ck_assert_int_eq(pl_encode(&m, buf, sizeof(buf)), (ssize_t)c);
		ck_assert_mem_eq(buf, v->bytes, c);
	}
	ck_assert_uint_eq(nedge, 6);
}
END_TEST

/* Decode one body of the given type; the header is built here. */
static enum pl_dec
dec_body(uint8_t type, const uint8_t *body, size_t n, struct pl_msg *m,
    char *why, size_t whylen)
{
	static uint8_t	 buf[PL_HLEN + 1024];
	size_t		 c;

	ck_assert_uint_le(n, 1024);
	buf[0] = type;
	buf[1] = 0;
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	memcpy(buf + PL_HLEN, body, n);
	return pl_decode_r(buf, PL_HLEN + n, m, &c, why, whylen);
}

/*
 * Body lengths around each type's rule.  The body is the hex, cut or
 * padded with zero bytes to n.
 */
static const struct lencase {
	uint8_t		 type;
	const char	*hex;
	size_t		 n;
	enum pl_dec	 want;
} lencases[] = {
	/* exactly 0 */
	{ PL_START, "", 0, PL_DEC_OK }, { PL_START, "", 1, PL_DEC_MALFORMED },
	{ PL_END, "", 0, PL_DEC_OK }, { PL_END, "", 1, PL_DEC_MALFORMED },
	{ PL_CONT, "", 0, PL_DEC_OK }, { PL_CONT, "", 1, PL_DEC_MALFORMED },
	{ PL_SUSPD, "", 0, PL_DEC_OK }, { PL_SUSPD, "", 1, PL_DEC_MALFORMED },
	{ PL_RESUMD, "", 0, PL_DEC_OK }, { PL_RESUMD, "", 1, PL_DEC_MALFORMED },
	/* fixed lengths */
	{ PL_YIELD, "", 7, PL_DEC_MALFORMED }, { PL_YIELD, "", 8, PL_DEC_OK },
	{ PL_YIELD, "", 9, PL_DEC_MALFORMED },
	{ PL_MREAD, "100300000100", 5, PL_DEC_MALFORMED },
	{ PL_MREAD, "100300000100", 6, PL_DEC_OK },
	{ PL_MREAD, "100300000100", 7, PL_DEC_MALFORMED },
	{ PL_NCLOSE, "01", 0, PL_DEC_MALFORMED }, { PL_NCLOSE, "01", 1, PL_DEC_OK },
	{ PL_NCLOSE, "01", 2, PL_DEC_MALFORMED },
	{ PL_NCTL, "010406", 11, PL_DEC_MALFORMED }, { PL_NCTL, "010406", 12, PL_DEC_OK },
	{ PL_NCTL, "010406", 13, PL_DEC_MALFORMED },
	{ PL_NDROP, "", 26, PL_DEC_MALFORMED }, { PL_NDROP, "", 27, PL_DEC_OK },
	{ PL_NDROP, "", 28, PL_DEC_MALFORMED },
	{ PL_NBLOCK, "", 12, PL_DEC_MALFORMED }, { PL_NBLOCK, "", 13, PL_DEC_OK },
	{ PL_NBLOCK, "", 14, PL_DEC_MALFORMED },
	/* nopen: one length per form, TCP two */
	{ PL_NOPEN, "010400", 10, PL_DEC_MALFORMED }, { PL_NOPEN, "010400", 11, PL_DEC_OK },
	{ PL_NOPEN, "010400", 12, PL_DEC_MALFORMED },
	{ PL_NOPEN, "010600", 22, PL_DEC_MALFORMED }, { PL_NOPEN, "010600", 23, PL_DEC_OK },
	{ PL_NOPEN, "010600", 24, PL_DEC_MALFORMED },
	{ PL_NOPEN, "010411", 12, PL_DEC_MALFORMED }, { PL_NOPEN, "010411", 13, PL_DEC_OK },
	{ PL_NOPEN, "010411", 14, PL_DEC_MALFORMED }, { PL_NOPEN, "010411", 19, PL_DEC_MALFORMED },
	{ PL_NOPEN, "010611", 24, PL_DEC_MALFORMED }, { PL_NOPEN, "010611", 25, PL_DEC_OK },
	{ PL_NOPEN, "010611", 26, PL_DEC_MALFORMED },
	{ PL_NOPEN, "010406", 12, PL_DEC_MALFORMED }, { PL_NOPEN, "010406", 13, PL_DEC_OK },
	{ PL_NOPEN, "010406", 14, PL_DEC_MALFORMED }, { PL_NOPEN, "010406", 18, PL_DEC_MALFORMED },
	{ PL_NOPEN, "010406", 19, PL_DEC_OK }, { PL_NOPEN, "010406", 20, PL_DEC_MALFORMED },
	{ PL_NOPEN, "010606", 24, PL_DEC_MALFORMED }, { PL_NOPEN, "010606", 25, PL_DEC_OK },
	{ PL_NOPEN, "010606", 26, PL_DEC_MALFORMED }, { PL_NOPEN, "010606", 42, PL_DEC_MALFORMED },
	{ PL_NOPEN, "010606", 43, PL_DEC_OK }, { PL_NOPEN, "010606", 44, PL_DEC_MALFORMED },
	{ PL_NOPEN, "0105", 11, PL_DEC_MALFORMED },	/* family 5 */
	{ PL_NOPEN, "010407", 13, PL_DEC_MALFORMED },	/* proto 7 */
	{ PL_NOPEN, "0104", 2, PL_DEC_MALFORMED },
	/* result: 0, 2, MONUKN 4, MONREJ 6 */
	{ PL_RESULT, "", 0, PL_DEC_OK }, { PL_RESULT, "0032", 1, PL_DEC_MALFORMED },
	{ PL_RESULT, "0032", 2, PL_DEC_OK }, { PL_RESULT, "0032", 3, PL_DEC_MALFORMED },
	{ PL_RESULT, "0032", 4, PL_DEC_MALFORMED },
	{ PL_RESULT, "0013", 2, PL_DEC_MALFORMED }, { PL_RESULT, "0013", 3, PL_DEC_MALFORMED },
	{ PL_RESULT, "0013", 4, PL_DEC_OK }, { PL_RESULT, "0013", 5, PL_DEC_MALFORMED },
	{ PL_RESULT, "0013", 6, PL_DEC_MALFORMED },
	{ PL_RESULT, "0012", 2, PL_DEC_MALFORMED }, { PL_RESULT, "0012", 4, PL_DEC_MALFORMED },
	{ PL_RESULT, "0012", 5, PL_DEC_MALFORMED }, { PL_RESULT, "0012", 6, PL_DEC_OK },
	{ PL_RESULT, "0012", 7, PL_DEC_MALFORMED },
	{ PL_RESULT, "0000", 2, PL_DEC_OK }, { PL_RESULT, "0000", 4, PL_DEC_MALFORMED },
	/* ntag 11/13, nstat 12/17(v4)/29(v6) */
	{ PL_NTAG, "", 10, PL_DEC_MALFORMED }, { PL_NTAG, "", 11, PL_DEC_OK },
	{ PL_NTAG, "", 12, PL_DEC_MALFORMED }, { PL_NTAG, "", 13, PL_DEC_OK },
	{ PL_NTAG, "", 14, PL_DEC_MALFORMED },
	{ PL_NSTAT, "010406", 11, PL_DEC_MALFORMED }, { PL_NSTAT, "010406", 12, PL_DEC_OK },
	{ PL_NSTAT, "010406", 13, PL_DEC_MALFORMED }, { PL_NSTAT, "010406", 16, PL_DEC_MALFORMED },
	{ PL_NSTAT, "010406", 17, PL_DEC_OK }, { PL_NSTAT, "010406", 18, PL_DEC_MALFORMED },
	{ PL_NSTAT, "010406", 29, PL_DEC_MALFORMED },
	{ PL_NSTAT, "010606", 12, PL_DEC_OK }, { PL_NSTAT, "010606", 17, PL_DEC_MALFORMED },
	{ PL_NSTAT, "010606", 28, PL_DEC_MALFORMED }, { PL_NSTAT, "010606", 29, PL_DEC_OK },
	{ PL_NSTAT, "010606", 30, PL_DEC_MALFORMED },
	{ PL_NSTAT, "010006", 17, PL_DEC_MALFORMED },
	/* variable lengths: the minimum and one below */
	{ PL_MWRITE, "10000000", 3, PL_DEC_MALFORMED }, { PL_MWRITE, "10000000", 4, PL_DEC_OK },
	{ PL_MDATA, "10000000", 3, PL_DEC_MALFORMED }, { PL_MDATA, "10000000", 4, PL_DEC_OK },
	{ PL_NSEND, "010406", 12, PL_DEC_MALFORMED }, { PL_NSEND, "010406", 13, PL_DEC_OK },
	{ PL_NSEND, "010400", 13, PL_DEC_OK },
	{ PL_NSEND, "010411", 18, PL_DEC_MALFORMED }, { PL_NSEND, "010411", 19, PL_DEC_OK },
	{ PL_NSEND, "010611", 30, PL_DEC_MALFORMED }, { PL_NSEND, "010611", 31, PL_DEC_OK },
	{ PL_NSEND, "010011", 40, PL_DEC_MALFORMED },	/* UDP, family 0 */
	{ PL_NSEND, "010407", 20, PL_DEC_MALFORMED },	/* proto 7 */
	{ PL_NDATA, "010406", 10, PL_DEC_MALFORMED }, { PL_NDATA, "010406", 11, PL_DEC_OK },
	{ PL_NDATA, "010411", 16, PL_DEC_MALFORMED }, { PL_NDATA, "010411", 17, PL_DEC_OK },
	{ PL_NDATA, "010611", 28, PL_DEC_MALFORMED }, { PL_NDATA, "010611", 29, PL_DEC_OK },
	{ PL_NDATA, "010511", 40, PL_DEC_MALFORMED },	/* UDP, family 5 */
	{ PL_NCAP, "010400", 11, PL_DEC_MALFORMED }, { PL_NCAP, "010400", 12, PL_DEC_OK },
	{ PL_NCTL, "010411", 12, PL_DEC_MALFORMED },	/* nctl is TCP only */
	{ PL_XCERT, "30", 0, PL_DEC_MALFORMED }, { PL_XCERT, "30", 1, PL_DEC_OK },
	{ PL_XPUB, "00", 32, PL_DEC_MALFORMED }, { PL_XPUB, "00", 33, PL_DEC_OK },
	{ PL_XSUB, "00", 32, PL_DEC_MALFORMED }, { PL_XSUB, "00", 33, PL_DEC_OK },
	{ PL_XPUB, "01aa", 33, PL_DEC_MALFORMED }, { PL_XPUB, "01aa", 35, PL_DEC_OK },
	{ PL_XNOTIFY, "01", 1, PL_DEC_MALFORMED }, { PL_XNOTIFY, "01", 2, PL_DEC_OK },
	{ PL_XNOTIFY, "00", 2, PL_DEC_MALFORMED },
	{ PL_XNOTIFY, "20", 33, PL_DEC_OK }, { PL_XNOTIFY, "21", 34, PL_DEC_MALFORMED },
	{ PL_XNOTIFY, "05", 5, PL_DEC_MALFORMED },
	{ PL_LINFO, "", 11, PL_DEC_MALFORMED }, { PL_LINFO, "", 12, PL_DEC_OK },
	{ PL_LINFO, "", 13, PL_DEC_MALFORMED },
	{ PL_LINFO, "000000010000000000000000", 12, PL_DEC_MALFORMED },
	{ PL_LINFO, "000000010000000000000000", 13, PL_DEC_OK },
	{ PL_CDATA, "00", 0, PL_DEC_MALFORMED }, { PL_CDATA, "00", 1, PL_DEC_OK },
	{ PL_CDATA, "07", 7, PL_DEC_MALFORMED }, { PL_CDATA, "07", 8, PL_DEC_OK },
	{ PL_XREG, "61", 0, PL_DEC_MALFORMED }, { PL_XREG, "61", 1, PL_DEC_OK },
	{ PL_XREG, "6100", 2, PL_DEC_MALFORMED },	/* no trailing NUL */
};

START_TEST(body_lengths)
{
	const struct lencase	*lc = &lencases[_i];
	uint8_t			 body[64] = { 0 };
	struct pl_msg		 m;
	char			 why[128];
	enum pl_dec		 d;

	ck_assert_int_ge(vec_unhex_into(lc->hex, body, sizeof(body)), 0);
	d = dec_body(lc->type, body, lc->n, &m, why, sizeof(why));
	ck_assert_msg(d == lc->want, "%s body \"%s\" cut/padded to %zu: got "
	    "%d, want %d (%s)", pl_type_name(lc->type), lc->hex, lc->n, d,
	    lc->want, why);
	if (d == PL_DEC_MALFORMED) {
		ck_assert(!m.known);
		ck_assert_msg(strncmp(why, pl_type_name(lc->type),
		    strlen(pl_type_name(lc->type))) == 0, "reason \"%s\"", why);
	} else
		ck_assert(m.known);
}
END_TEST

/* Every xreg length 1..63 of [a-z0-9] is accepted; 64 and others are not. */
START_TEST(xreg_snikey)
{
	char		 key[70];
	struct pl_msg	 m;

	memset(key, 'a', sizeof(key));
	for (size_t n = 1; n <= 63; n++)
		ck_assert_int_eq(dec_body(PL_XREG, (uint8_t *)key, n, &m, NULL, 0),
		    PL_DEC_OK);
	ck_assert_int_eq(dec_body(PL_XREG, (uint8_t *)key, 64, &m, NULL, 0),
	    PL_DEC_MALFORMED);
	ck_assert_int_eq(dec_body(PL_XREG, (const uint8_t *)"abC", 3, &m, NULL, 0),
	    PL_DEC_MALFORMED);
	ck_assert_int_eq(dec_body(PL_XREG, (const uint8_t *)"a.b", 3, &m, NULL, 0),
	    PL_DEC_MALFORMED);
	ck_assert_int_eq(dec_body(PL_XREG, (const uint8_t *)"a-b", 3, &m, NULL, 0),
	    PL_DEC_MALFORMED);
	ck_assert(pl_snikey_valid("0z9", 3));
	ck_assert(!pl_snikey_valid("", 0));
	ck_assert(!pl_snikey_valid(NULL, 3));
}
END_TEST

/* ERRATA 1: a range may end at 0xFFFFFFFF but not at 2^32; same for mwrite. */
START_TEST(memory_ranges)
{
	struct pl_msg	 m;
	char		 why[128];
	uint8_t		 b[8];

	pl_put32(b, 0xFFFFFFFEu);
	pl_put16(b + 4, 1);
	ck_assert_int_eq(dec_body(PL_MREAD, b, 6, &m, why, sizeof(why)), PL_DEC_OK);
	pl_put32(b, 0xFFFFFFFFu);
	ck_assert_int_eq(dec_body(PL_MREAD, b, 6, &m, why, sizeof(why)),
	    PL_DEC_MALFORMED);
	ck_assert_str_eq(why, "mread: range 0xffffffff+0x1 runs past 0xffffffff");
	pl_put32(b, 0xFFFF0000u);
	pl_put16(b + 4, 0xFFFF);
	ck_assert_int_eq(dec_body(PL_MREAD, b, 6, &m, NULL, 0), PL_DEC_OK);
	pl_put32(b, 0xFFFF0001u);
	ck_assert_int_eq(dec_body(PL_MREAD, b, 6, &m, NULL, 0), PL_DEC_MALFORMED);

	/* mwrite: addr + data length, data may be empty */
	pl_put32(b, 0xFFFFFFFDu);
	ck_assert_int_eq(dec_body(PL_MWRITE, b, 6, &m, NULL, 0), PL_DEC_OK);
	pl_put32(b, 0xFFFFFFFEu);
	ck_assert_int_eq(dec_body(PL_MWRITE, b, 6, &m, NULL, 0), PL_DEC_MALFORMED);
	pl_put32(b, 0xFFFFFFFFu);
	ck_assert_int_eq(dec_body(PL_MWRITE, b, 4, &m, NULL, 0), PL_DEC_OK);
	/* mdata is a reply, not a range request: no rule */
	ck_assert_int_eq(dec_body(PL_MDATA, b, 8, &m, NULL, 0), PL_DEC_OK);

	/* The encoder refuses what the decoder refuses. */
	pl_msg_mread(&m, 0xFFFFFFFFu, 1);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_mread(&m, 0x10000000u, 0);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_mwrite(&m, 0xFFFFFFFEu, b, 2);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_mwrite(&m, 0xFFFFFFFDu, b, 2);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), 10);
}
END_TEST

/* Reasons name the type and say what is wrong. */
START_TEST(reasons)
{
	static const uint8_t nopen20[] = { 1, 4, 6, 0, 0, 0x10, 0, 0, 0, 0, 0,
	    0, 0, 93, 184, 216, 34, 0, 80, 0 };
	struct pl_msg	 m;
	char		 why[128], tiny[8];
	const char	*r;
	uint8_t		 buf[64];
	size_t		 c;

	ck_assert_int_eq(dec_body(PL_NOPEN, nopen20, 20, &m, why, sizeof(why)),
	    PL_DEC_MALFORMED);
	ck_assert_str_eq(why, "nopen: body length 20 invalid for TCP/IPv4 "
	    "(want 13 or 19)");
	ck_assert_int_eq(dec_body(PL_RESULT, (const uint8_t *)"\x00\x12", 2, &m,
	    why, sizeof(why)), PL_DEC_MALFORMED);
	ck_assert_str_eq(why, "result: ECTLMONREJ needs a 6-byte body, got 2");
	ck_assert_int_eq(dec_body(PL_NSEND, (const uint8_t *)"\x01\x04\x11"
	    "\0\0\0\0\0\0\0\0\0\0\1\2\3\4", 17, &m, why, sizeof(why)),
	    PL_DEC_MALFORMED);
	ck_assert_str_eq(why, "nsend: body length 17 too short for UDP/IPv4 "
	    "(want at least 19)");
	ck_assert_int_eq(dec_body(PL_XSUB, (const uint8_t *)"\0"
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
	    "a=1;a=2;", 41, &m, why, sizeof(why)), PL_DEC_MALFORMED);
	ck_assert_msg(strstr(why, "xsub: dattr") == why &&
	    strstr(why, "duplicate name \"a\"") != NULL, "%s", why);

	/* A small buffer truncates but stays a string. */
	ck_assert_int_eq(dec_body(PL_NOPEN, nopen20, 20, &m, tiny, sizeof(tiny)),
	    PL_DEC_MALFORMED);
	ck_assert_str_eq(tiny, "nopen: ");

	/* pl_decode's reason; NULL on success; optional out-parameters. */
	memcpy(buf, "\x2b\x00\x00\x02\x01\x01", 6);
	ck_assert_int_eq(pl_decode(buf, 6, &m, &c, &r), PL_DEC_MALFORMED);
	ck_assert_str_eq(r, "nclose: body length 2 invalid (want 1)");
	ck_assert_int_eq(pl_decode(buf, 6, &m, NULL, NULL), PL_DEC_MALFORMED);
	buf[3] = 1;
	ck_assert_int_eq(pl_decode(buf, 5, &m, &c, &r), PL_DEC_OK);
	ck_assert_ptr_null(r);
}
END_TEST

/* Semantics of the special forms: explicit SUCCESS, ntag errid, nstat. */
START_TEST(special_forms)
{
	struct pl_msg	 m, m2;
	uint8_t		 buf[64];
	uint8_t		 b29[29] = { 7, 6, 6 };

	ck_assert_int_eq(dec_body(PL_RESULT, (const uint8_t *)"\0\0", 2, &m, NULL,
	    0), PL_DEC_OK);
	ck_assert_uint_eq(m.u.result.errid, PL_SUCCESS);
	ck_assert(m.u.result.explicit_ok);
	ck_assert_int_eq(pl_encode(&m, buf, sizeof(buf)), 6);
	ck_assert_mem_eq(buf, "\x40\x00\x00\x02\x00\x00", 6);
	pl_msg_result(&m2, PL_SUCCESS);
	ck_assert(!pl_msg_equal(&m, &m2));	/* the forms differ on the wire */
	m.u.result.errid = PL_ESKTINUSE;	/* explicit_ok only goes with 0 */
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);

	/* ntag: a 13-byte body with errid 0 is kept as it came */
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(dec_body(PL_NTAG, buf, 13, &m, NULL, 0), PL_DEC_OK);
	ck_assert(m.u.ntag.has_errid);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), 17);
	m.u.ntag.has_errid = 0;
	m.u.ntag.errid = PL_EPKTNOTSENT;
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);

	/* nstat ESTABLISHED over IPv6; the code is implied */
	b29[11] = 0x20;
	b29[26] = 1;
	b29[27] = 0x01;
	b29[28] = 0xbb;
	ck_assert_int_eq(dec_body(PL_NSTAT, b29, 29, &m, NULL, 0), PL_DEC_OK);
	ck_assert(m.u.nstat.has_raddr);
	ck_assert_uint_eq(m.u.nstat.code, PL_NSTAT_ESTABLISHED);
	ck_assert_uint_eq(m.u.nstat.raddr[0], 0x20);
	ck_assert_uint_eq(m.u.nstat.raddr[15], 1);
	ck_assert_uint_eq(m.u.nstat.rport, 443);
	m.u.nstat.code = PL_NSTAT_RESET;
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	/* A constructor with a non-ESTABLISHED code, or UDP, gives 12 bytes. */
	pl_msg_nstat(&m, 1, PL_FAM_IPV4, PL_PROTO_UDP, T, PL_NSTAT_ESTABLISHED,
	    ip_example, 80);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), 16);

	/* nblock has no monindx on the wire */
	ck_assert_int_eq(dec_body(PL_NBLOCK, (const uint8_t *)"\x01\x04\x06\x00"
	    "\x05\0\0\0\0\0\0\0\x09", 13, &m, NULL, 0), PL_DEC_OK);
	ck_assert_uint_eq(m.u.nblock.monerrid, 5);
	ck_assert_uint_eq(m.u.nblock.time, 9);

	/* TCP listen nopen: lport, no raddr */
	pl_msg_nopen(&m, 2, PL_FAM_IPV6, PL_PROTO_TCP, 0, zero16, 8080, NULL, 0);
	ck_assert_int_eq(pl_encode(&m, buf, sizeof(buf)), 4 + 25);
	ck_assert_int_eq(dec_body(PL_NOPEN, buf + 4, 25, &m2, NULL, 0), PL_DEC_OK);
	ck_assert(m2.u.nopen.has_lport && !m2.u.nopen.has_raddr);
	ck_assert_uint_eq(m2.u.nopen.lport, 8080);
	ck_assert(pl_msg_equal(&m, &m2));
}
END_TEST

/* The encoder refuses every message the decoder would reject. */
START_TEST(encoder_refuses)
{
	static uint8_t	 big[PL_BODY_MAX];
	struct pl_msg	 m;
	struct pl_chlist cl = { 0 };
	char		 hint[300];
	uint8_t		 key[32] = { 0 }, out[8];

	memset(hint, 'h', sizeof(hint));
	hint[256] = '\0';
	pl_msg_cdata(&m, hint, (const uint8_t *)"\0", 1);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	hint[255] = '\0';
	pl_msg_cdata(&m, hint, (const uint8_t *)"\0", 1);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), 4 + 1 + 255 + 1);

	pl_msg_nopen(&m, 1, 5, PL_PROTO_TCP, 0, zero16, 0, NULL, 0);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_nopen(&m, 1, PL_FAM_IPV4, 7, 0, zero16, 0, NULL, 0);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_nopen(&m, 1, PL_FAM_IPV4, PL_PROTO_UDP, 0, zero16, 0, NULL, 0);
	m.u.nopen.has_raddr = 1;
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_nopen(&m, 1, PL_FAM_IPV4, PL_PROTO_RAW, 0, zero16, 0, NULL, 0);
	m.u.nopen.has_lport = 1;
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);

	pl_msg_nsend(&m, 1, 0, PL_PROTO_UDP, 0, 1, NULL, 0, NULL, 0);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_nsend(&m, 1, 0, PL_PROTO_TCP, 0, 1, NULL, 0, NULL, 0);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), 4 + 13);
	pl_msg_nsend(&m, 1, PL_FAM_IPV4, 9, 0, 1, NULL, 0, NULL, 0);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_ndata(&m, 1, 9, PL_PROTO_UDP, 0, NULL, 0, NULL, 0);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_nsend(&m, 1, PL_FAM_IPV4, PL_PROTO_TCP, 0, 1, NULL, 0, NULL, 5);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);	/* data missing */

	pl_msg_ncap(&m, 1, PL_FAM_IPV4, PL_PROTO_RAW, 0, NULL, 0);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_nctl(&m, 1, PL_FAM_IPV4, PL_PROTO_UDP, 0, PL_NCTL_TCP_FIN);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_xcert(&m, NULL, 0);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_xreg(&m, "ABC", 3);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_xreg(&m, "abc\0", 4);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_xnotify(&m, key, 0, NULL, 0);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_xnotify(&m, key, 33, NULL, 0);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_xnotify(&m, key, 32, "a=b", 3);		/* no ';' */
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_xnotify(&m, key, 32, "a=b*;", 5);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), 4 + 1 + 32 + 5);

	pl_msg_xpub(&m, PL_XPUB, &cl, key, "os=lin*;", 8);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), 4 + 1 + 32 + 8);
	pl_msg_xpub(&m, PL_XSUB, &cl, key, "os=lin*;", 8);	/* no wildcard in dattr */
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_xpub(&m, PL_XSUB, &cl, NULL, "", 0);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_xpub(&m, PL_NOPEN, &cl, key, "", 0);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	cl.cnt = 1;
	cl.len[0] = 0;
	cl.id[0] = key;
	pl_msg_xpub(&m, PL_XSUB, &cl, key, "", 0);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);

	pl_msg_nstat(&m, 1, 3, PL_PROTO_TCP, 0, PL_NSTAT_ESTABLISHED, zero16, 1);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);

	/* The body limit: PL_BODY_MAX fits, one more does not. */
	pl_msg_xcert(&m, big, PL_BODY_MAX);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), 4 + PL_BODY_MAX);
	pl_msg_mwrite(&m, 0, big, PL_BODY_MAX - 4);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), 4 + PL_BODY_MAX);
	pl_msg_mwrite(&m, 0, big, PL_BODY_MAX - 3);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_linfo(&m, big, 0x800000, big, 0x800000, NULL, 0);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_linfo(&m, big, 0xFFFFFFFFu, big, 0xFFFFFFFFu, big, 0xFFFFFFFFu);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_raw(&m, 0x99, big, PL_BODY_MAX + 1);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);
	pl_msg_raw(&m, 0x99, NULL, 1);
	ck_assert_int_eq(pl_encode(&m, NULL, 0), -1);

	/* A short output buffer is not written, and the size is returned. */
	memset(out, 0xEE, sizeof(out));
	pl_msg_yield(&m, 1);
	ck_assert_int_eq(pl_encode(&m, out, 11), 12);
	for (size_t i = 0; i < sizeof(out); i++)
		ck_assert_uint_eq(out[i], 0xEE);
}
END_TEST

/* Unknown types travel as raw bytes, both ways. */
START_TEST(unknown_types)
{
	static const uint8_t types[] = { 0x00, 0x25, 0x3f, 0x42, 0x71, 0x81, 0x90, 0xff };
	uint8_t		 in[16], out[16];
	struct pl_msg	 m;
	size_t		 c;

	for (size_t i = 0; i < sizeof(types); i++) {
		ck_assert_ptr_null(pl_type_name(types[i]));
		memcpy(in, "\x00\x00\x00\x03xyz", 7);
		in[0] = types[i];
		ck_assert_int_eq(pl_decode(in, 7, &m, &c, NULL), PL_DEC_OK);
		ck_assert(!m.known);
		ck_assert_uint_eq(m.type, types[i]);
		ck_assert_uint_eq(m.bodylen, 3);
		ck_assert_ptr_eq(m.body, in + 4);
		ck_assert_int_eq(pl_encode(&m, out, sizeof(out)), 7);
		ck_assert_mem_eq(out, in, 7);
	}
	pl_msg_raw(&m, 0x90, NULL, 0);
	ck_assert_int_eq(pl_encode(&m, out, sizeof(out)), 4);
	ck_assert_mem_eq(out, "\x90\x00\x00\x00", 4);
	/* A known type may be carried raw, too (pktxpmgr forwarding). */
	pl_msg_raw(&m, PL_NCLOSE, (const uint8_t *)"\x01\x02", 2);
	ck_assert_int_eq(pl_encode(&m, out, sizeof(out)), 6);
	ck_assert_mem_eq(out, "\x2b\x00\x00\x02\x01\x02", 6);
}
END_TEST

/* Every prefix of a message is "need more", and nothing is consumed. */
START_TEST(split_prefixes)
{
	struct pl_msg	 m;
	size_t		 i, k, c;
	uint8_t		 t;
	uint32_t	 bl;

	for (i = 0; i < vs->n; i++) {
		const struct vec *v = &vs->v[i];

		if (v->kind != VEC_MSG || !v->roundtrip)
			continue;
		for (k = 0; k < v->len; k++) {
			c = 777;
			ck_assert_int_eq(pl_decode(v->bytes, k, &m, &c, NULL),
			    PL_DEC_NEED);
			ck_assert_uint_eq(c, 777);
			ck_assert_int_eq(pl_peek_header(v->bytes, k, &t, &bl),
			    k >= PL_HLEN);
		}
		ck_assert(pl_peek_header(v->bytes, v->len, &t, &bl));
		ck_assert_uint_eq(t, v->bytes[0]);
		ck_assert_uint_eq(bl, v->len - PL_HLEN);
	}
}
END_TEST

/*
 * A stream reader as a relay would write it: append bytes as they come,
 * decode whole messages, keep the rest.  step = 1 delivers the stream one
 * byte at a time; step = 0 delivers it all at once.
 */
static size_t
stream_decode(const uint8_t *stream, size_t len, size_t step,
    struct pl_msg *out, size_t maxout, uint8_t *work)
{
	size_t		 have = 0, fed = 0, c, n = 0, needs = 0;
	enum pl_dec	 d;

	while (fed < len || have > 0) {
		size_t chunk = step == 0 ? len - fed : step;

		if (chunk > len - fed)
			chunk = len - fed;
		memcpy(work + have, stream + fed, chunk);
		have += chunk;
		fed += chunk;
		for (;;) {
			ck_assert_uint_lt(n, maxout);
			d = pl_decode(work, have, &out[n], &c, NULL);
			if (d == PL_DEC_NEED) {
				needs++;
				break;
			}
			ck_assert_int_eq(d, PL_DEC_OK);
			/* Keep the message's bytes: move them out of the window. */
			out[n].body = (uint8_t *)memcpy(malloc(c), work, c) + PL_HLEN;
			n++;
			memmove(work, work + c, have - c);
			have -= c;
		}
		if (fed == len && have > 0)
			ck_abort_msg("%zu bytes left over", have);
	}
	ck_assert_uint_gt(needs, 0);
	return n;
}

/* The section C transcripts decode message by message, split and coalesced. */
START_TEST(transcripts)
{
	static const struct {
		const char	*name;
		const char	*seq;
	} want[] = {
		{ "test_dns", "nopen result nsend result ntag ndata nclose result" },
		{ "test_http_get", "nopen result nsend result nstat ntag ndata "
		    "nstat nclose result" },
		{ "test_icmp_echo", "nopen result ncap result nsend result ntag "
		    "ndata nclose result" },
		{ "test_pktif_dns", "nopen result nsend result ntag ndata nclose "
		    "result" },
		{ "test_pktif_traceroute", "mread mdata mread mdata nopen result "
		    "ncap result mread mdata nsend result ntag ndata nsend result "
		    "ntag ndata nsend result ntag ndata nsend result ntag ndata "
		    "nsend result ntag ndata nsend result ntag ndata nclose result" },
	};
	static struct pl_msg whole[64], split[64], joined[64];
	static uint8_t	 stream[8192], work[8192], enc[2048];
	char		 seq[1024];
	size_t		 i, j, len, n1, n2;

	ck_assert_uint_eq(vs->nt, 5);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct vec_transcript *t = vec_transcript(vs, want[i].name);

		ck_assert_msg(t != NULL, "no transcript %s", want[i].name);
		ck_assert(t->mlet_eof);
		seq[0] = '\0';
		len = 0;
		for (j = 0; j < t->nmsg; j++) {
			decode_ok(t->msg[j].bytes, t->msg[j].len, &whole[j]);
			ck_assert_int_eq(pl_encode(&whole[j], enc, sizeof(enc)),
			    (ssize_t)t->msg[j].len);
			ck_assert_mem_eq(enc, t->msg[j].bytes, t->msg[j].len);
			snprintf(seq + strlen(seq), sizeof(seq) - strlen(seq),
			    "%s%s", j ? " " : "", pl_type_name(whole[j].type));
			memcpy(stream + len, t->msg[j].bytes, t->msg[j].len);
			len += t->msg[j].len;
		}
		ck_assert_str_eq(seq, want[i].seq);

		/* The whole conversation as one byte stream. */
		n1 = stream_decode(stream, len, 1, split, 64, work);
		n2 = stream_decode(stream, len, 0, joined, 64, work);
		ck_assert_uint_eq(n1, t->nmsg);
		ck_assert_uint_eq(n2, t->nmsg);
		for (j = 0; j < t->nmsg; j++) {
			/* Re-point at the kept copy so pointers are valid. */
			decode_ok(split[j].body - PL_HLEN, t->msg[j].len, &split[j]);
			decode_ok(joined[j].body - PL_HLEN, t->msg[j].len, &joined[j]);
			ck_assert(pl_msg_equal(&whole[j], &split[j]));
			ck_assert(pl_msg_equal(&whole[j], &joined[j]));
			free((void *)(split[j].body - PL_HLEN));
			free((void *)(joined[j].body - PL_HLEN));
		}
	}
}
END_TEST

/* A few facts the example mlets rely on, read from the transcripts. */
START_TEST(transcript_fields)
{
	const struct vec_transcript *t;
	struct pl_msg	 m;

	t = vec_transcript(vs, "test_http_get");
	ck_assert_ptr_nonnull(t);
	decode_ok(t->msg[2].bytes, t->msg[2].len, &m);
	str_eq(m.u.ndata.data, m.u.ndata.len,
	    "GET / HTTP/1.0\r\nHost: 93.184.216.34\r\n\r\n");
	decode_ok(t->msg[8].bytes, t->msg[8].len, &m);	/* nclose */
	ck_assert_uint_eq(m.u.nclose.sktid, 1);

	t = vec_transcript(vs, "test_pktif_dns");
	decode_ok(t->msg[4].bytes, t->msg[4].len, &m);
	ck_assert_uint_eq(m.type, PL_NTAG);
	ck_assert_uint_eq(m.u.ntag.tag, 15);

	t = vec_transcript(vs, "test_pktif_traceroute");
	ck_assert_str_eq(t->out == NULL ? "" : t->out, "");
	decode_ok(t->msg[6].bytes, t->msg[6].len, &m);	/* ncap */
	ck_assert_uint_eq(m.type, PL_NCAP);
	ck_assert_uint_eq(m.u.ncap.sktid, 0);
	ck_assert_uint_eq(m.u.ncap.filterlen, 1 + 85 * 8);
	ck_assert_int_eq(pl_prog_check(m.u.ncap.filter, m.u.ncap.filterlen,
	    NULL), 0);
	for (size_t j = 10, tag = 33434; j < t->nmsg - 2; j += 4, tag++) {
		decode_ok(t->msg[j].bytes, t->msg[j].len, &m);
		ck_assert_uint_eq(m.type, PL_NSEND);
		ck_assert_uint_eq(m.u.ndata.tag, tag);
		ck_assert_uint_eq(m.u.ndata.len, 60);
	}

	t = vec_transcript(vs, "test_dns");
	ck_assert_str_eq(t->out, "www.example.com is 93.184.216.34 (via 192.0.2.7)\n");
	ck_assert_int_eq(t->rc, 0);
	ck_assert_int_eq(vec_transcript(vs, "test_pktif_dns")->rc, 1);
}
END_TEST

/* The relay decodes every message: that must not touch the heap. */
START_TEST(decoder_does_not_allocate)
{
	struct mallinfo2 before, after;
	struct pl_msg	 m;
	const char	*r;
	size_t		 i, c;
	int		 round;

	before = mallinfo2();
	for (round = 0; round < 100; round++)
		for (i = 0; i < vs->n; i++)
			if (vs->v[i].kind != VEC_NVP)
				(void)pl_decode(vs->v[i].bytes, vs->v[i].len,
				    &m, &c, &r);
	after = mallinfo2();
	ck_assert_uint_eq(before.uordblks, after.uordblks);
	ck_assert_uint_eq(before.hblkhd, after.hblkhd);
}
END_TEST

START_TEST(names_and_time)
{
	ck_assert_str_eq(pl_err_name(PL_SUCCESS), "SUCCESS");
	ck_assert_str_eq(pl_err_name(PL_ECTLBADMSG), "ECTLBADMSG");
	ck_assert_str_eq(pl_err_name(PL_ESKTOPNDENY), "ESKTOPNDENY");
	ck_assert_str_eq(pl_err_name(PL_ESUBBADDA), "ESUBBADDA");
	ck_assert_str_eq(pl_err_name(PL_EUNKFAULT), "EUNKFAULT");
	ck_assert_ptr_null(pl_err_name(0x1234));
	ck_assert_str_eq(pl_err_str(PL_ECTLBADMSG), "malformed message");
	ck_assert_str_eq(pl_err_str(0x1234), "unknown error 0x1234");
	/* Every named code has a sentence of its own. */
	for (unsigned e = 0; e <= 0xFFFF; e++)
		if (pl_err_name((uint16_t)e) != NULL)
			ck_assert_ptr_null(strstr(pl_err_str((uint16_t)e), "unknown error"));

	ck_assert_str_eq(pl_type_name(PL_NOPEN), "nopen");
	ck_assert_str_eq(pl_type_name(PL_XREG), "xreg");
	ck_assert_str_eq(pl_type_name(PL_RESUMD), "resumd");
	ck_assert_ptr_null(pl_type_name(PL_UNDEF));

	ck_assert_uint_eq(pl_time_from_sec(0), 0);
	ck_assert_uint_eq(pl_time_from_sec(60), 60000000000ull);
	ck_assert_uint_eq(pl_time_from_sec(UINT64_MAX / PL_TICKS_PER_SEC),
	    UINT64_MAX / PL_TICKS_PER_SEC * PL_TICKS_PER_SEC);
	ck_assert_uint_eq(pl_time_from_sec(UINT64_MAX / PL_TICKS_PER_SEC + 1),
	    PL_TIME_FOREVER);
	/* After 2023-11-14 (the vectors' T) and before 2100. */
	ck_assert_uint_gt(pl_time_now(), T);
	ck_assert_uint_lt(pl_time_now(), pl_time_from_sec(4102444800ull));
}
END_TEST

START_TEST(chlists)
{
	struct pl_chlist cl, cl2;
	uint8_t		 buf[64 * 33 + 8], out[64 * 33 + 8];
	const char	*why;
	size_t		 i;

	ck_assert_int_eq(pl_chlist_decode((const uint8_t *)"\0", 1, &cl, &why), 0);
	ck_assert_uint_eq(cl.cnt, 0);
	ck_assert_int_eq(pl_chlist_encode(&cl, out, sizeof(out)), 1);
	ck_assert_uint_eq(out[0], 0);

	ck_assert_int_eq(pl_chlist_decode((const uint8_t *)"", 0, &cl, &why), -1);
	ck_assert_str_eq(why, "missing 0x00 terminator");
	ck_assert_int_eq(pl_chlist_decode((const uint8_t *)"\x02\xaa", 2, &cl, &why), -1);
	ck_assert_str_eq(why, "channel id runs past the end");
	ck_assert_int_eq(pl_chlist_decode((const uint8_t *)"\x01\xaa\x00\x00", 4,
	    &cl, &why), -1);
	ck_assert_str_eq(why, "bytes after the 0x00 terminator");
	ck_assert_int_eq(pl_chlist_span((const uint8_t *)"\x01\xaa\x00\x00", 4,
	    NULL, &why), 3);

	/* 32 bytes is the longest id, 33 is too long */
	buf[0] = 32;
	memset(buf + 1, 0x5a, 33);
	buf[33] = 0;
	ck_assert_int_eq(pl_chlist_decode(buf, 34, &cl, &why), 0);
	buf[0] = 33;
	ck_assert_int_eq(pl_chlist_decode(buf, 35, &cl, &why), -1);
	ck_assert_str_eq(why, "channel id longer than 32 bytes");

	/* 64 channels fit the struct; 65 do not */
	for (i = 0; i < 65; i++) {
		buf[2 * i] = 1;
		buf[2 * i + 1] = (uint8_t)i;
	}
	buf[128] = 0;
	ck_assert_int_eq(pl_chlist_decode(buf, 129, &cl, &why), 0);
	ck_assert_uint_eq(cl.cnt, 64);
	ck_assert_uint_eq(cl.id[63][0], 63);
	ck_assert_int_eq(pl_chlist_encode(&cl, out, sizeof(out)), 129);
	ck_assert_mem_eq(out, buf, 129);
	ck_assert_int_eq(pl_chlist_decode(out, 129, &cl2, NULL), 0);
	buf[128] = 1;
	buf[130] = 0;
	ck_assert_int_eq(pl_chlist_decode(buf, 131, &cl, &why), -1);
	ck_assert_str_eq(why, "more than 64 channels");

	cl.cnt = 65;
	ck_assert_int_eq(pl_chlist_encode(&cl, NULL, 0), -1);
	cl.cnt = 1;
	cl.len[0] = 33;
	ck_assert_int_eq(pl_chlist_encode(&cl, NULL, 0), -1);
	cl.len[0] = 2;
	cl.id[0] = NULL;
	ck_assert_int_eq(pl_chlist_encode(&cl, NULL, 0), -1);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("wire");
	TCase	*tc = tcase_create("vectors");
	TCase	*tl = tcase_create("rules");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, vectors_fields_and_roundtrip);
	tcase_add_test(tc, constructors_match_reference);
	tcase_add_test(tc, vectors_edge_cases);
	tcase_add_test(tc, split_prefixes);
	tcase_add_test(tc, transcripts);
	tcase_add_test(tc, transcript_fields);
	tcase_add_test(tc, decoder_does_not_allocate);
	suite_add_tcase(s, tc);

	tcase_add_loop_test(tl, body_lengths, 0,
	    (int)(sizeof(lencases) / sizeof(lencases[0])));
	tcase_add_test(tl, xreg_snikey);
	tcase_add_test(tl, memory_ranges);
	tcase_add_test(tl, reasons);
	tcase_add_test(tl, special_forms);
	tcase_add_test(tl, encoder_refuses);
	tcase_add_test(tl, unknown_types);
	tcase_add_test(tl, names_and_time);
	tcase_add_test(tl, chlists);
	suite_add_tcase(s, tl);

	return ct_run(s);
}
