/*
 * test_xpmgr_proxy.c: proxy mode's pure parts (src/xpmgr/pure/proxypure.c):
 * the PKTLAB matcher (transcript C8 and every split of the input), the
 * backoff's growth, cap, jitter range and reset, the pool's fill
 * arithmetic, and the check of the xreg result.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pktlab/wire.h>

#include "ctrun.h"
#include "xpmgr/pure/proxypure.h"

/* Feed s in pieces of step bytes; returns the offset just past the marker, or -1. */
static long
find(const char *s, size_t len, size_t step)
{
	struct xp_marker	 m;
	size_t			 off = 0, n, used;
	int			 found;

	xp_marker_init(&m);
	while (off < len) {
		n = len - off < step ? len - off : step;
		used = xp_marker_feed(&m, (const uint8_t *)s + off, n, &found);
		ck_assert_uint_le(used, n);
		off += used;
		if (found) {
			ck_assert_uint_eq(m.skipped, off - XP_PKTLAB_LEN);
			return (long)off;
		}
		ck_assert_uint_eq(used, n);
	}
	return -1;
}

START_TEST(marker_plain)
{
	size_t	 step;

	for (step = 1; step <= 16; step++) {
		ck_assert_int_eq(find("PKTLAB", 6, step), 6);
		ck_assert_int_eq(find("PKTLABxyz", 9, step), 6);
		ck_assert_int_eq(find("\x17\x03\x03\x00\x13garbagePKTLAB\x16", 19, step), 18);
		ck_assert_int_eq(find("PKTLA", 5, step), -1);
		ck_assert_int_eq(find("pktlab", 6, step), -1);
		ck_assert_int_eq(find("", 0, step), -1);
	}
}
END_TEST

/* C8: a proper prefix of the marker right before it; 1.1.0 misses these. */
START_TEST(marker_c8_prefixes)
{
	static const char *const cases[] = {
		"PPKTLAB", "PKPKTLAB", "PKTPKTLAB", "PKTLPKTLAB", "PKTLAPKTLAB",
		"PKTLAPKTLPKTLAB", "PPPPPPKTLAB", "\x50PKTLAB", "APKTLAB",
	};
	size_t	 i, step, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = strlen(cases[i]);
		for (step = 1; step <= len; step++)
			ck_assert_int_eq(find(cases[i], len, step), (long)len);
	}
}
END_TEST

/* Every byte value in front of the marker: exactly one marker is found, right after it. */
START_TEST(marker_any_prefix_byte)
{
	char	 buf[8];
	int	 b;

	for (b = 0; b < 256; b++) {
		buf[0] = (char)b;
		memcpy(buf + 1, "PKTLAB", 6);
		ck_assert_int_eq(find(buf, 7, 1), 7);
		ck_assert_int_eq(find(buf, 7, 7), 7);
	}
}
END_TEST

/* The bytes after the marker belong to the endpoint: never consumed. */
START_TEST(marker_stops_at_end)
{
	struct xp_marker	 m;
	int			 found;

	xp_marker_init(&m);
	ck_assert_uint_eq(xp_marker_feed(&m, (const uint8_t *)"xxPKT", 5, &found), 5);
	ck_assert_int_eq(found, 0);
	ck_assert_uint_eq(xp_marker_feed(&m, (const uint8_t *)"LAB\x16\x03\x01", 6,
	    &found), 3);
	ck_assert_int_eq(found, 1);
	ck_assert_uint_eq(m.skipped, 2);
}
END_TEST

START_TEST(backoff_growth)
{
	struct xp_backoff	 b;
	uint32_t		 base = XP_BACKOFF_START_MS, d, lo, hi;
	int			 i;

	xp_backoff_reset(&b);
	for (i = 0; i < 40; i++) {
		lo = xp_backoff_next(&b, 0);
		ck_assert_uint_eq(b.base_ms, base);
		ck_assert_uint_eq(lo, base / 2);
		base = base * 2 > XP_BACKOFF_CAP_MS ? XP_BACKOFF_CAP_MS : base * 2;
	}
	ck_assert_uint_eq(b.base_ms, XP_BACKOFF_CAP_MS);
	ck_assert_uint_eq(b.failures, 40);
	/* Jitter stays in [base/2, base]. */
	for (i = 0; i < 1000; i++) {
		d = xp_backoff_next(&b, (uint32_t)rand() ^ ((uint32_t)rand() << 16));
		ck_assert_uint_ge(d, XP_BACKOFF_CAP_MS / 2);
		ck_assert_uint_le(d, XP_BACKOFF_CAP_MS);
	}
	hi = xp_backoff_next(&b, UINT32_MAX);
	ck_assert_uint_le(hi, XP_BACKOFF_CAP_MS);
	xp_backoff_reset(&b);
	ck_assert_uint_eq(b.failures, 0);
	d = xp_backoff_next(&b, UINT32_MAX);
	ck_assert_uint_ge(d, XP_BACKOFF_START_MS / 2);
	ck_assert_uint_le(d, XP_BACKOFF_START_MS);
}
END_TEST

/* Against 1.1.0's 40 registrations per second: ten failures in a row wait 40 s at least (1.1.0: 0.25 s). */
START_TEST(backoff_rate)
{
	struct xp_backoff	 b;
	uint64_t		 total = 0;
	int			 i;

	xp_backoff_reset(&b);
	for (i = 0; i < 10; i++)
		total += xp_backoff_next(&b, 0);
	ck_assert_uint_ge(total, 40u * 1000u);
}
END_TEST

START_TEST(pool_want)
{
	ck_assert_uint_eq(xp_pool_want(2, 0, 0, UINT64_MAX), 2);
	ck_assert_uint_eq(xp_pool_want(2, 1, 0, UINT64_MAX), 1);
	ck_assert_uint_eq(xp_pool_want(2, 1, 1, UINT64_MAX), 0);
	ck_assert_uint_eq(xp_pool_want(2, 0, 3, UINT64_MAX), 0);
	ck_assert_uint_eq(xp_pool_want(5, 0, 0, 3), 3);
	ck_assert_uint_eq(xp_pool_want(5, 2, 0, 3), 1);
	ck_assert_uint_eq(xp_pool_want(5, 3, 0, 3), 0);
	ck_assert_uint_eq(xp_pool_want(5, 0, 0, 0), 0);
	ck_assert_uint_eq(xp_pool_want(5, 1, 2, 3), 0);
	ck_assert_uint_eq(xp_pool_want(2, 0, 1, 1), 0);
	ck_assert_uint_eq(xp_pool_want(2, 0, 1, 2), 1);
	ck_assert_uint_eq(xp_pool_want(UINT64_MAX, UINT64_MAX, 1, UINT64_MAX), 0);
}
END_TEST

static enum xp_xreg_res
xreg(const char *hex_bytes, size_t len, uint16_t *errid, uint8_t *type)
{
	return xp_xreg_result((const uint8_t *)hex_bytes, len, errid, type);
}

START_TEST(xreg_result)
{
	uint16_t	 e;
	uint8_t		 t;

	ck_assert_int_eq(xreg("\x40\x00\x00\x00", 4, &e, &t), XP_XREG_OK);
	ck_assert_int_eq(xreg("\x40\x00\x00\x02\x00\x00", 6, &e, &t), XP_XREG_OK);
	ck_assert_int_eq(xreg("\x40\x00\x00\x02\x00\x10", 6, &e, &t), XP_XREG_REFUSED);
	ck_assert_uint_eq(e, 0x10);
	ck_assert_int_eq(xreg("\x40\x00\x00\x02\x12\x34", 6, &e, &t), XP_XREG_REFUSED);
	ck_assert_uint_eq(e, 0x1234);
	ck_assert_int_eq(xreg("\x80\x00\x00\x01x", 5, &e, &t), XP_XREG_NOT_RESULT);
	ck_assert_uint_eq(t, 0x80);
	ck_assert_int_eq(xreg("\x40\x00\x00\x01\x00", 5, &e, &t), XP_XREG_MALFORMED);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("xpmgr_proxy");
	TCase	*tc = tcase_create("proxy");

	tcase_add_test(tc, marker_plain);
	tcase_add_test(tc, marker_c8_prefixes);
	tcase_add_test(tc, marker_any_prefix_byte);
	tcase_add_test(tc, marker_stops_at_end);
	tcase_add_test(tc, backoff_growth);
	tcase_add_test(tc, backoff_rate);
	tcase_add_test(tc, pool_want);
	tcase_add_test(tc, xreg_result);
	suite_add_tcase(s, tc);
	return ct_run(s);
}
