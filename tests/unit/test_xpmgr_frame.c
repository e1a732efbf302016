/*
 * test_xpmgr_frame.c: the relay's framing over evbuffers
 * (src/xpmgr/frame.c): partial frames, the size cap, validation of known
 * types, unknown types passing through, frames split across buffer chains,
 * and the bounded text of a linfo.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include <pktlab/wire.h>

#include "xpmgr/pure/xppure.h"

static struct xp_scratch	 sc;

/* Append the encoding of m to b; returns its length. */
static size_t
put(struct evbuffer *b, const struct pl_msg *m)
{
	uint8_t		 buf[4096];
	ssize_t		 n;

	n = pl_encode(m, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(evbuffer_add(b, buf, (size_t)n), 0);
	return (size_t)n;
}

static void
put_raw(struct evbuffer *b, uint8_t type, uint32_t len, const void *body, size_t have)
{
	uint8_t	 h[4] = { type, (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len };

	evbuffer_add(b, h, 4);
	if (have > 0)
		evbuffer_add(b, body, have);
}

START_TEST(need_more)
{
	struct evbuffer		*b = evbuffer_new();
	struct xp_frame		 f;
	struct pl_msg		 m;
	uint8_t			 laddr[4] = { 0 }, raddr[4] = { 127, 0, 0, 1 };
	uint8_t			 enc[64];
	ssize_t			 n;

	ck_assert_int_eq(xp_frame_next(b, XP_FRAME_BODY_MAX, &sc, &f), XP_FRAME_NEED);
	ck_assert_uint_eq(f.total, 0);
	pl_msg_nopen(&m, 1, PL_FAM_IPV4, PL_PROTO_TCP, 0x1000, laddr, 0, raddr, 80);
	n = pl_encode(&m, enc, sizeof(enc));
	ck_assert_int_eq(n, 4 + 19);
	evbuffer_add(b, enc, 3);
	ck_assert_int_eq(xp_frame_next(b, XP_FRAME_BODY_MAX, &sc, &f), XP_FRAME_NEED);
	evbuffer_add(b, enc + 3, 10);
	ck_assert_int_eq(xp_frame_next(b, XP_FRAME_BODY_MAX, &sc, &f), XP_FRAME_NEED);
	ck_assert_uint_eq(f.total, 23);
	ck_assert_uint_eq(f.type, PL_NOPEN);
	evbuffer_add(b, enc + 13, (size_t)n - 13);
	ck_assert_int_eq(xp_frame_next(b, XP_FRAME_BODY_MAX, &sc, &f), XP_FRAME_OK);
	ck_assert_uint_eq(f.total, 23);
	ck_assert(f.msg.known);
	ck_assert_uint_eq(f.msg.u.nopen.rport, 80);
	ck_assert_uint_eq(f.msg.u.nopen.sktid, 1);
	/* Looking does not consume. */
	ck_assert_uint_eq(evbuffer_get_length(b), 23);
	evbuffer_free(b);
}
END_TEST

START_TEST(back_to_back)
{
	struct evbuffer		*b = evbuffer_new();
	struct xp_frame		 f;
	struct pl_msg		 m;
	size_t			 n1, n2;

	pl_msg_result(&m, PL_SUCCESS);
	n1 = put(b, &m);
	pl_msg_result(&m, PL_ESKTINUSE);
	n2 = put(b, &m);
	ck_assert_int_eq(xp_frame_next(b, XP_FRAME_BODY_MAX, &sc, &f), XP_FRAME_OK);
	ck_assert_uint_eq(f.total, n1);
	ck_assert_uint_eq(f.msg.u.result.errid, PL_SUCCESS);
	evbuffer_drain(b, f.total);
	ck_assert_int_eq(xp_frame_next(b, XP_FRAME_BODY_MAX, &sc, &f), XP_FRAME_OK);
	ck_assert_uint_eq(f.total, n2);
	ck_assert_uint_eq(f.msg.u.result.errid, PL_ESKTINUSE);
	evbuffer_drain(b, f.total);
	ck_assert_int_eq(xp_frame_next(b, XP_FRAME_BODY_MAX, &sc, &f), XP_FRAME_NEED);
	evbuffer_free(b);
}
END_TEST

START_TEST(oversize)
{
	struct evbuffer		*b = evbuffer_new();
	struct xp_frame		 f;

	/* Only the header is needed to refuse it: nothing is buffered for it. */
	put_raw(b, PL_NDATA, XP_FRAME_BODY_MAX + 1, NULL, 0);
	ck_assert_int_eq(xp_frame_next(b, XP_FRAME_BODY_MAX, &sc, &f), XP_FRAME_OVERSIZE);
	ck_assert_str_eq(f.why, "oversize frame (1048581 bytes)");
	evbuffer_drain(b, evbuffer_get_length(b));
	/* An unknown type is capped too. */
	put_raw(b, 0x99, 0xFFFFFF, NULL, 0);
	ck_assert_int_eq(xp_frame_next(b, 1000, &sc, &f), XP_FRAME_OVERSIZE);
	ck_assert_str_eq(f.why, "oversize frame (16777219 bytes)");
	evbuffer_drain(b, evbuffer_get_length(b));
	/* Exactly at the cap is fine. */
	put_raw(b, 0x99, 1000, NULL, 0);
	{
		uint8_t	 z[1000] = { 0 };
		evbuffer_add(b, z, sizeof(z));
	}
	ck_assert_int_eq(xp_frame_next(b, 1000, &sc, &f), XP_FRAME_OK);
	evbuffer_free(b);
}
END_TEST

START_TEST(malformed)
{
	struct evbuffer		*b = evbuffer_new();
	struct xp_frame		 f;
	uint8_t			 one = 0;

	/* start must have an empty body. */
	put_raw(b, PL_START, 1, &one, 1);
	ck_assert_int_eq(xp_frame_next(b, XP_FRAME_BODY_MAX, &sc, &f), XP_FRAME_MALFORMED);
	ck_assert_uint_eq(f.type, PL_START);
	ck_assert_uint_eq(f.total, 5);
	ck_assert_str_ne(f.why, "");
	evbuffer_drain(b, evbuffer_get_length(b));
	/* nclose is exactly one byte. */
	put_raw(b, PL_NCLOSE, 0, NULL, 0);
	ck_assert_int_eq(xp_frame_next(b, XP_FRAME_BODY_MAX, &sc, &f), XP_FRAME_MALFORMED);
	ck_assert_ptr_nonnull(strstr(f.why, "nclose"));
	evbuffer_free(b);
}
END_TEST

START_TEST(unknown_passes)
{
	struct evbuffer		*b = evbuffer_new();
	struct xp_frame		 f;
	const char		 body[] = "private use";

	put_raw(b, 0x9A, sizeof(body), body, sizeof(body));
	ck_assert_int_eq(xp_frame_next(b, XP_FRAME_BODY_MAX, &sc, &f), XP_FRAME_OK);
	ck_assert_uint_eq(f.type, 0x9A);
	ck_assert(!f.msg.known);
	ck_assert_uint_eq(f.total, 4 + sizeof(body));
	evbuffer_free(b);
}
END_TEST

/* A frame spread over several chains is validated from the scratch copy. */
START_TEST(split_chains)
{
	static uint8_t		 enc[4096];
	struct evbuffer		*b = evbuffer_new();
	struct xp_frame		 f;
	struct pl_msg		 m;
	uint8_t			 data[3000], saddr[4] = { 127, 0, 0, 1 };
	ssize_t			 n;
	size_t			 off;

	memset(data, 'd', sizeof(data));
	pl_msg_ndata(&m, 1, PL_FAM_IPV4, PL_PROTO_TCP, 42, saddr, 80, data, sizeof(data));
	n = pl_encode(&m, enc, sizeof(enc));
	ck_assert_int_gt(n, 3000);
	/* References are chains of their own: seven pieces, seven chains. */
	for (off = 0; off < (size_t)n; off += 500)
		evbuffer_add_reference(b, enc + off, (size_t)n - off < 500 ?
		    (size_t)n - off : 500, NULL, NULL);
	ck_assert_int_eq(xp_frame_next(b, XP_FRAME_BODY_MAX, &sc, &f), XP_FRAME_OK);
	ck_assert_uint_eq(f.total, (size_t)n);
	ck_assert_uint_eq(f.msg.u.ndata.len, sizeof(data));
	ck_assert_uint_ge(sc.cap, (size_t)n);
	ck_assert_int_eq(memcmp(f.msg.u.ndata.data, data, sizeof(data)), 0);
	evbuffer_free(b);
}
END_TEST

/* In place, on one piece of memory: the same answers as over an evbuffer. */
START_TEST(in_place)
{
	struct evbuffer		*b = evbuffer_new();
	struct xp_frame		 f, g;
	struct pl_msg		 m;
	uint8_t			 buf[256], body[3] = { 1, 2, 3 };
	size_t			 len, i;

	pl_msg_mread(&m, 0x10010000, 8);
	len = put(b, &m);
	put_raw(b, 0xee, 3, body, 3);			/* unknown: passes */
	put_raw(b, PL_NCLOSE, 0, NULL, 0);		/* malformed */
	put_raw(b, PL_NDATA, 2u * 1024 * 1024, NULL, 0);	/* oversize */
	ck_assert_uint_le(evbuffer_get_length(b), sizeof(buf));
	evbuffer_copyout(b, buf, evbuffer_get_length(b));
	/* Every prefix of the first frame is incomplete. */
	for (i = 0; i < len; i++)
		ck_assert_int_eq(xp_frame_mem(buf, i, XP_FRAME_BODY_MAX, &f), XP_FRAME_NEED);
	i = 0;
	for (;;) {
		enum xp_frame_res r = xp_frame_next(b, XP_FRAME_BODY_MAX, &sc, &g);

		ck_assert_int_eq(xp_frame_mem(buf + i, sizeof(buf) - i,
		    XP_FRAME_BODY_MAX, &f), r);
		ck_assert_uint_eq(f.total, g.total);
		ck_assert_uint_eq(f.type, g.type);
		if (r != XP_FRAME_OK && r != XP_FRAME_MALFORMED)
			break;
		i += f.total;
		evbuffer_drain(b, f.total);
	}
	ck_assert_int_eq(xp_frame_mem(buf + i, sizeof(buf) - i, XP_FRAME_BODY_MAX,
	    &f), XP_FRAME_OVERSIZE);
	ck_assert_str_eq(f.why, "oversize frame (2097156 bytes)");
	evbuffer_free(b);
}
END_TEST

START_TEST(linfo_text)
{
	struct pl_msg	 m;
	char		 out[512], big[1000];
	uint8_t		 aux[2] = { 0x01, 0x00 }, bin[3] = { 0x00, 0xff, 0x10 };

	pl_msg_linfo(&m, (const uint8_t *)"monitor", 7, aux, 2,
	    (const uint8_t *)"hello monitor", 13);
	ck_assert_str_eq(xp_linfo_text(&m, out, sizeof(out)),
	    "name \"monitor\", aux 0100, info 13 B \"hello monitor\"");
	pl_msg_linfo(&m, NULL, 0, NULL, 0, bin, 3);
	ck_assert_str_eq(xp_linfo_text(&m, out, sizeof(out)),
	    "name (empty), aux (empty), info 3 B 00ff10");
	/* A peer's long info is cut, and the line stays one line. */
	memset(big, 'A', sizeof(big));
	big[10] = '\n';
	pl_msg_linfo(&m, (const uint8_t *)"monitor", 7, NULL, 0, (const uint8_t *)big,
	    sizeof(big));
	xp_linfo_text(&m, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "info 1000 B "));
	ck_assert_ptr_nonnull(strstr(out, "...(+936 B)"));
	ck_assert_ptr_null(strchr(out, '\n'));
	memset(big, 'B', sizeof(big));
	pl_msg_linfo(&m, (const uint8_t *)"monitor", 7, NULL, 0, (const uint8_t *)big,
	    sizeof(big));
	xp_linfo_text(&m, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "...(+744 B)"));
	/* A small output buffer is never overrun. */
	xp_linfo_text(&m, out, 20);
	ck_assert_uint_eq(strlen(out), 19);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("xpmgr_frame");
	TCase	*tc = tcase_create("frame");
	SRunner	*sr;
	int	 nf;

	tcase_add_test(tc, need_more);
	tcase_add_test(tc, back_to_back);
	tcase_add_test(tc, oversize);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, unknown_passes);
	tcase_add_test(tc, split_chains);
	tcase_add_test(tc, in_place);
	tcase_add_test(tc, linfo_text);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	xp_scratch_free(&sc);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
