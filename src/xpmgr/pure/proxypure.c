/*
 * proxypure.c: proxy mode's pure parts (see proxypure.h).
 */
#include <stddef.h>
#include <stdint.h>

#include <pktlab/wire.h>

#include "xpmgr/pure/proxypure.h"

static const uint8_t	 marker[XP_PKTLAB_LEN] = { 'P', 'K', 'T', 'L', 'A', 'B' };

/*
 * KMP failure function of the marker: fail[i] is the length of the longest
 * proper border of marker[0..i].  PKTLAB has none, so every entry is 0,
 * but the matcher does not rely on that.
 */
static void
marker_fail(unsigned fail[XP_PKTLAB_LEN])
{
	unsigned	 k = 0, j;

	fail[0] = 0;
	for (j = 1; j < XP_PKTLAB_LEN; j++) {
		while (k > 0 && marker[j] != marker[k])
			k = fail[k - 1];
		if (marker[j] == marker[k])
			k++;
		fail[j] = k;
	}
}

void
xp_marker_init(struct xp_marker *m)
{
	m->pos = 0;
	m->skipped = 0;
}

size_t
xp_marker_feed(struct xp_marker *m, const uint8_t *buf, size_t len, int *found)
{
	unsigned	 fail[XP_PKTLAB_LEN];
	size_t		 i;

	marker_fail(fail);
	*found = 0;
	for (i = 0; i < len; i++) {
		/* Re-test the byte that broke a partial match (1.1.0 does not). */
		while (m->pos > 0 && buf[i] != marker[m->pos]) {
			m->skipped += m->pos - fail[m->pos - 1];
			m->pos = fail[m->pos - 1];
		}
		if (buf[i] == marker[m->pos])
			m->pos++;
		else
			m->skipped++;
		if (m->pos == XP_PKTLAB_LEN) {
			*found = 1;
			return i + 1;
		}
	}
	return len;
}

void
xp_backoff_reset(struct xp_backoff *b)
{
	b->base_ms = 0;
	b->failures = 0;
}

uint32_t
xp_backoff_next(struct xp_backoff *b, uint32_t rnd)
{
	uint32_t	 half;

	if (b->base_ms == 0)
		b->base_ms = XP_BACKOFF_START_MS;
	else if (b->base_ms >= XP_BACKOFF_CAP_MS / 2)
		b->base_ms = XP_BACKOFF_CAP_MS;
	else
		b->base_ms *= 2;
	b->failures++;
	half = b->base_ms / 2;
	return half + rnd % (b->base_ms - half + 1);
}

uint64_t
xp_pool_want(uint64_t target, uint64_t setting_up, uint64_t idle,
    uint64_t sessions_left)
{
	uint64_t	 have = setting_up + idle, cap;

	cap = target < sessions_left ? target : sessions_left;
	if (have < setting_up || have >= cap)		/* (wrap or full) */
		return 0;
	return cap - have;
}

enum xp_xreg_res
xp_xreg_result(const uint8_t *msg, size_t len, uint16_t *errid, uint8_t *type)
{
	struct pl_msg	 m;
	size_t		 used;

	*errid = 0;
	*type = len > 0 ? msg[0] : 0;
	if (len < PL_HLEN || msg[0] != PL_RESULT)
		return XP_XREG_NOT_RESULT;
	if (pl_decode(msg, len, &m, &used, NULL) != PL_DEC_OK ||
	    used != len)
		return XP_XREG_MALFORMED;
	*errid = m.u.result.errid;
	return *errid == PL_SUCCESS ? XP_XREG_OK : XP_XREG_REFUSED;
}
