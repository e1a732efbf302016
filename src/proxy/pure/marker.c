/*
 * marker.c: the raw "PKTLAB" that a controller sends after our own, which
 * marks the end of its registration bytes (broker spec §3.1 step 7).
 */
#include <string.h>

#include "proxy/pure/proxy_pure.h"

size_t
px_marker_find(const uint8_t *buf, size_t len, size_t *keep)
{
	const uint8_t *m = (const uint8_t *)PX_MARKER;
	size_t i, k;

	for (i = 0; i + PX_MARKER_LEN <= len; i++)
		if (memcmp(buf + i, m, PX_MARKER_LEN) == 0) {
			*keep = 0;
			return i + PX_MARKER_LEN;
		}
	/* The longest suffix that is a proper prefix of the marker. */
	*keep = 0;
	for (k = PX_MARKER_LEN - 1; k > 0; k--)
		if (k <= len && memcmp(buf + len - k, m, k) == 0) {
			*keep = k;
			break;
		}
	return 0;
}
