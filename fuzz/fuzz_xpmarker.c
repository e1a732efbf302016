/*
 * fuzz_xpmarker.c: libFuzzer harness for proxy mode's pure parts
 * (src/xpmgr/pure/proxypure.c).  The PKTLAB matcher, fed the input in
 * pieces whose sizes come from the first byte, must stop exactly after the
 * first occurrence of PKTLAB (memmem), consume nothing past it, and count
 * the bytes it skipped; the xreg result check must agree with the decoder
 * on the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pktlab/wire.h>

#include "xpmgr/pure/proxypure.h"
#include "require.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_marker(const uint8_t *data, size_t size, size_t step)
{
	struct xp_marker	 m;
	const uint8_t		*hit;
	size_t			 off = 0, n, used, want;
	int			 found = 0;

	hit = memmem(data, size, XP_PKTLAB_MARKER, XP_PKTLAB_LEN);
	want = hit != NULL ? (size_t)(hit - data) + XP_PKTLAB_LEN : 0;
	xp_marker_init(&m);
	while (off < size && !found) {
		n = size - off < step ? size - off : step;
		used = xp_marker_feed(&m, data + off, n, &found);
		REQUIRE(used <= n);
		REQUIRE(found || used == n);
		off += used;
	}
	if (hit == NULL) {
		REQUIRE(!found);
		REQUIRE(off == size);
		return;
	}
	REQUIRE(found);
	REQUIRE(off == want);
	REQUIRE(m.skipped == want - XP_PKTLAB_LEN);
}

static void
fuzz_result(const uint8_t *data, size_t size)
{
	struct pl_msg		 m;
	enum xp_xreg_res	 r;
	uint16_t		 errid;
	uint8_t			 type;
	size_t			 used;

	r = xp_xreg_result(data, size, &errid, &type);
	if (r == XP_XREG_OK || r == XP_XREG_REFUSED) {
		REQUIRE(pl_decode(data, size, &m, &used, NULL) == PL_DEC_OK);
		REQUIRE(used == size && m.type == PL_RESULT);
		REQUIRE((m.u.result.errid == PL_SUCCESS) == (r == XP_XREG_OK));
		REQUIRE(m.u.result.errid == errid);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t	 step;

	if (size == 0)
		return 0;
	step = (size_t)data[0] % 16 + 1;
	fuzz_marker(data + 1, size - 1, step);
	fuzz_marker(data + 1, size - 1, size);
	fuzz_result(data + 1, size - 1);
	return 0;
}
