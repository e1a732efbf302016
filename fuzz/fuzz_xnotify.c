/*
 * fuzz_xnotify.c: what a hostile broker can feed the endpoint once it is
 * subscribed (src/endpoint/pure/sub.c): a stream of messages, each
 * xnotify's xdescr checked by ep_xdescr_accept and put in the descriptor
 * pool, which is scheduled after every message as pool.c does.
 *
 * The first 8 input bytes are the clock ("now", ns).  Properties: no
 * crash, no leak; an accepted descriptor fits its bounds (xdescr <= 4094,
 * controller_addr <= 255 bytes, a non-empty host, an SNI that is empty or
 * a valid snikey); the same bytes are never taken in twice; the pool never
 * holds two identical descriptors; the candidate is never expired, never
 * running and never yielded past now, and no waiting descriptor has a
 * strictly higher priority.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <pktlab/wire.h>

#include "endpoint/pure/endpt.h"
#include "require.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_pool(struct ep_pool *p, pl_time_t now)
{
	struct ep_pool_ent	*c;
	size_t			 i, j;

	for (i = 0; i < p->n; i++)
		for (j = i + 1; j < p->n; j++)
			REQUIRE(p->ent[i].len != p->ent[j].len ||
			    memcmp(p->ent[i].text, p->ent[j].text,
			    p->ent[i].len) != 0);
	if ((c = ep_pool_pick(p, now, NULL)) == NULL)
		return;
	REQUIRE(!c->running && c->eligible <= now);
	REQUIRE(!c->d.has_pub_end || c->d.pub_end > now);
	for (i = 0; i < p->n; i++)
		if (!p->ent[i].running && p->ent[i].eligible <= now &&
		    (!p->ent[i].d.has_pub_end || p->ent[i].d.pub_end > now))
			REQUIRE(p->ent[i].d.prio <= c->d.prio);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ep_pool		 pool;
	struct ep_pool_ent	*e;
	struct ep_xdescr	 d;
	struct pl_msg		 m;
	pl_time_t		 now;
	size_t			 off = 8, used;
	enum ep_pool_add	 r;
	char			 why[300];
	unsigned		 step = 0;

	if (len < 8)
		return 0;
	now = pl_get64(data);
	ep_pool_init(&pool);
	while (off < len) {
		if (pl_decode(data + off, len - off, &m, &used, NULL) ==
		    PL_DEC_NEED)
			break;
		off += used;
		step++;
		/* The link resets on anything else; the pool survives. */
		if (!m.known || m.type != PL_XNOTIFY)
			continue;
		if (ep_xdescr_accept(m.u.xnotify.descr, m.u.xnotify.descrlen,
		    &d, why, sizeof(why)) == -1) {
			REQUIRE(why[0] != '\0');
			continue;
		}
		REQUIRE(m.u.xnotify.descrlen <= EP_XDESCR_MAX);
		REQUIRE(strlen(d.addr) <= EP_CTRLADDR_MAX && d.host[0] != '\0');
		REQUIRE(d.sni[0] == '\0' || pl_snikey_valid(d.sni,
		    strlen(d.sni)));
		r = ep_pool_add(&pool, m.u.xnotify.descr, m.u.xnotify.descrlen,
		    &d, now);
		if (r == EP_POOL_ADDED)
			REQUIRE(ep_pool_add(&pool, m.u.xnotify.descr,
			    m.u.xnotify.descrlen, &d, now) == EP_POOL_DUP);
		(void)ep_pool_expire(&pool, now, NULL, NULL);
		check_pool(&pool, now);
		/* Let time pass, run, yield and finish as pool.c would. */
		now += (pl_time_t)(step % 7) * PL_TICKS_PER_SEC;
		if ((e = ep_pool_running(&pool)) != NULL) {
			if (step % 3 == 0)
				e->running = 0, e->eligible = now + 1;
			else
				ep_pool_remove(&pool, e->id);
		} else if ((e = ep_pool_pick(&pool, now, NULL)) != NULL)
			e->running = 1;
		check_pool(&pool, now);
	}
	ep_pool_clear(&pool);
	return 0;
}
