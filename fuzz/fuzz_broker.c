/*
 * fuzz_broker.c: libFuzzer harness for pktlab-broker's message handling
 * (src/broker/pure/): the checks, the store and the per-connection
 * protocol, driven as the daemon drives them.
 *
 * The input is a list of records: one selector byte, then one message
 * (a 4-byte header and as many body bytes as it says, cut at the end of
 * the input).  The selector picks a connection: a publisher (agent key A),
 * two subscribers sharing agent key B (a reconnecting endpoint) and one
 * with key C; or it advances the clock and expires publications.  A
 * message the protocol refuses closes that connection, which then comes
 * back fresh, as a client reconnects.
 *
 * Properties: every message on an unsubscribed connection gets exactly
 * one result, before anything else; a subscription gets nothing but
 * well-formed xnotify after its result; an agent key never receives the
 * same xdescr twice while it is live; every stored publication has a
 * future pub_end; the store's counts match the connections.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pktlab/wire.h>

#include "broker/pure/bk.h"

#include "require.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NCONN	4
#define NSEEN	64

struct fconn {
	struct bk_conn	 c;
	int		 agent;		/* index into keys */
	uint8_t		 out[1 << 16];
	size_t		 outlen;
	int		 overflow;
};

static struct fconn	 F[NCONN];
static const enum bk_side side_of[NCONN] = { BK_SIDE_PUB, BK_SIDE_SUB,
    BK_SIDE_SUB, BK_SIDE_SUB };
static const int	 agent_of[NCONN] = { 0, 1, 1, 2 };
static uint8_t		 keys[3][32];

/* xdescrs delivered per agent key (only the first NSEEN tracked). */
static struct {
	char	*x[NSEEN];
	size_t	 len[NSEEN];
	size_t	 n;
} seen[3];

static void
f_send(void *udata, const uint8_t *m, size_t len)
{
	struct fconn	*f = udata;

	if (f->outlen + len > sizeof(f->out)) {
		f->overflow = 1;
		return;
	}
	memcpy(f->out + f->outlen, m, len);
	f->outlen += len;
}

static const struct bk_ops ops = { f_send, NULL };

/* Every message sent to f since mark must decode; returns the count of type. */
static size_t
scan(struct fconn *f, size_t mark, uint8_t type, size_t *first_type)
{
	struct pl_msg	 m;
	size_t		 off = mark, used, n = 0;

	*first_type = 0x100;
	while (off < f->outlen) {
		REQUIRE(pl_decode(f->out + off, f->outlen - off, &m, &used, NULL) ==
		    PL_DEC_OK);
		if (*first_type == 0x100)
			*first_type = m.type;
		if (m.type == type)
			n++;
		if (m.type == PL_XNOTIFY) {
			int	 a = f->agent;
			size_t	 i;

			REQUIRE(f->c.sub != NULL);
			for (i = 0; i < seen[a].n; i++)
				REQUIRE(seen[a].len[i] != m.u.xnotify.descrlen ||
				    memcmp(seen[a].x[i], m.u.xnotify.descr,
				    seen[a].len[i]) != 0);
			if (seen[a].n < NSEEN) {
				seen[a].x[seen[a].n] = malloc(m.u.xnotify.descrlen + 1);
				memcpy(seen[a].x[seen[a].n], m.u.xnotify.descr,
				    m.u.xnotify.descrlen);
				seen[a].len[seen[a].n++] = m.u.xnotify.descrlen;
			}
		}
		off += used;
	}
	return n;
}

static void
reopen(struct bk_store *st, int i)
{
	F[i].agent = agent_of[i];
	F[i].outlen = 0;
	F[i].overflow = 0;
	bk_conn_init(&F[i].c, st, side_of[i], &F[i], keys[agent_of[i]]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bk_store	 st;
	uint64_t	 now_ns = 1767225600ull * 1000000000ull;
	uint8_t		 msg[PL_HLEN + BK_BODY_MAX + 64];
	size_t		 off = 0, len, bodylen, mark, nres, first, i, a;
	size_t		 marks[NCONN];
	char		 why[512];
	int		 sel, was_sub, rc;

	if (size > 1 << 18)
		return 0;
	memset(keys, 0, sizeof(keys));
	keys[0][0] = 1, keys[1][0] = 2, keys[2][0] = 3;
	bk_store_init(&st, &ops, 99);
	for (i = 0; i < NCONN; i++)
		reopen(&st, (int)i);
	while (off < size) {
		sel = data[off++] % 5;
		if (sel == 4) {
			now_ns += (uint64_t)(off < size ? data[off++] : 0) * 1000000000ull;
			(void)bk_store_expire(&st, now_ns);
			{
				struct bk_pub	*p;

				TAILQ_FOREACH(p, &st.pubs, entry)
					REQUIRE(p->pub_end > now_ns);
			}
			continue;
		}
		len = size - off < PL_HLEN ? size - off : PL_HLEN;
		memset(msg, 0, PL_HLEN);
		memcpy(msg, data + off, len);
		off += len;
		bodylen = pl_get32(msg) & 0xFFFFFF;
		if (bodylen > size - off)
			bodylen = size - off;
		if (bodylen > BK_BODY_MAX + 32)
			bodylen = BK_BODY_MAX + 32;
		memcpy(msg + PL_HLEN, data + off, bodylen);
		off += bodylen;
		pl_put32(msg, ((uint32_t)msg[0] << 24) | (uint32_t)bodylen);

		for (i = 0; i < NCONN; i++)
			marks[i] = F[i].outlen;
		mark = marks[sel];
		was_sub = F[sel].c.sub != NULL;
		rc = bk_conn_msg(&F[sel].c, msg, PL_HLEN + bodylen,
		    (int64_t)(now_ns / 1000000000ull), now_ns, why, sizeof(why));
		if (rc == -1) {
			REQUIRE(F[sel].outlen == mark);	/* refused unanswered */
			REQUIRE(why[0] != '\0');
			bk_conn_clear(&F[sel].c, why);
			reopen(&st, sel);
			continue;
		}
		REQUIRE(!was_sub);
		nres = scan(&F[sel], mark, PL_RESULT, &first);
		if (!F[sel].overflow) {
			REQUIRE(nres == 1 && first == PL_RESULT);
		}
		for (i = 0; i < NCONN; i++)
			if ((int)i != sel && !F[i].overflow) {
				REQUIRE(F[i].outlen == marks[i] || F[i].c.sub != NULL);
				(void)scan(&F[i], marks[i], 0, &first);
			}
		for (i = 0; i < NCONN; i++)
			if (F[i].outlen > sizeof(F[i].out) / 2) {
				F[i].outlen = 0;	/* drained, as a socket would */
			}
	}
	{
		struct bk_pub	*p;
		size_t		 n = 0;

		TAILQ_FOREACH(p, &st.pubs, entry)
			n++;
		REQUIRE(n == st.npubs);
	}
	for (i = 0; i < NCONN; i++)
		bk_conn_clear(&F[i].c, "end");
	REQUIRE(st.npubs == 0 && st.nsubs == 0);
	bk_store_clear(&st);
	for (a = 0; a < 3; a++) {
		for (i = 0; i < seen[a].n; i++)
			free(seen[a].x[i]);
		seen[a].n = 0;
	}
	return 0;
}
