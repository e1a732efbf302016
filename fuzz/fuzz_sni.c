/*
 * fuzz_sni.c: libFuzzer harness for pktlab-proxy's ClientHello SNI parser
 * (src/proxy/pure/sni.c), which reads bytes from any endpoint before any
 * authentication.  Checks: an accepted hello gives a printable name within
 * bounds and a "used" inside the input; every shorter prefix of the bytes
 * it used is "need more" (so the proxy never decides early), and the used
 * bytes alone give the same answer; the PKTLAB marker search on the same
 * bytes returns an offset in range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/pure/proxy_pure.h"
#include "require.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t scratch[PX_HELLO_MAX + 4];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct px_sni s, again;
	enum px_sni_res r;
	size_t i, keep, m;

	r = px_sni_parse(data, size, scratch, sizeof(scratch), &s);
	REQUIRE(r == PX_SNI_OK || r == PX_SNI_NEED || r == PX_SNI_BAD);
	if (r == PX_SNI_BAD)
		REQUIRE(s.why[0] != '\0');
	if (r == PX_SNI_OK) {
		REQUIRE(s.used > 0 && s.used <= size);
		if (s.has_sni) {
			REQUIRE(s.namelen > 0 && s.namelen <= PX_SNI_NAME_MAX);
			REQUIRE(strlen(s.name) == s.namelen);
			for (i = 0; i < s.namelen; i++)
				REQUIRE(s.name[i] > 0x20 && s.name[i] < 0x7f);
		}
		REQUIRE(px_sni_parse(data, s.used, scratch, sizeof(scratch),
		    &again) == PX_SNI_OK);
		REQUIRE(again.has_sni == s.has_sni && again.used == s.used);
		REQUIRE(strcmp(again.name, s.name) == 0);
		/* Prefixes: need more (or an early BAD is impossible: the
		   same bytes were good). */
		for (i = 0; i < s.used; i += 1 + i / 8)
			REQUIRE(px_sni_parse(data, i, scratch, sizeof(scratch),
			    &again) == PX_SNI_NEED);
	}
	m = px_marker_find(data, size, &keep);
	REQUIRE(m == 0 || (m >= PX_MARKER_LEN && m <= size &&
	    memcmp(data + m - PX_MARKER_LEN, PX_MARKER, PX_MARKER_LEN) == 0));
	REQUIRE(keep < PX_MARKER_LEN && keep <= size);
	return 0;
}
