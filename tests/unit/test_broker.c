/*
 * test_broker.c: pktlab-broker's pure parts: the xpub/xsub checks and their
 * error codes (broker spec §2.2-2.3, §2.6) with the PKI vectors, matching
 * and delivery (§2.4) including the B1 xnotify bytes, per-agent-key
 * de-duplication across reconnects, pub_end expiry, the per-connection
 * protocol (pipelining, nothing after a subscription) and broker.conf.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pktlab/wire.h>

#include "credtest.h"
#include "util/log.h"
#include "util/util.h"
#include "broker/pure/bk.h"

#define NOW_NS	((uint64_t)CT_NOW * 1000000000ull)

/* ---- fixtures ---- */

struct sink {
	uint8_t		 buf[65536];
	size_t		 len;
	int		 nlog;
};

static void
sink_send(void *udata, const uint8_t *m, size_t len)
{
	struct sink	*s = udata;

	ck_assert_uint_le(s->len + len, sizeof(s->buf));
	memcpy(s->buf + s->len, m, len);
	s->len += len;
}

static void
sink_log(void *udata, int level, const char *text)
{
	(void)level;
	(void)text;
	((struct sink *)udata)->nlog++;
}

static const struct bk_ops ops = { sink_send, sink_log };

static uint8_t *
der_of(const char *rel, size_t *len)
{
	X509		*x = ct_cert(rel);
	unsigned char	*der = NULL;
	int		 n;

	n = i2d_X509(x, &der);
	ck_assert_int_gt(n, 0);
	X509_free(x);
	*len = (size_t)n;
	return der;
}

static void
raw_of(const char *rel, uint8_t raw[32])
{
	EVP_PKEY	*k = ct_pub(rel);

	ck_assert_int_eq(cred_key_raw(k, raw), 0);
	EVP_PKEY_free(k);
}

/* chlist of one channel, eopkey, descr. */
static size_t
body(uint8_t *out, const uint8_t *ch, size_t chlen, const uint8_t *eop,
    const char *descr)
{
	size_t	 n = 0;

	if (chlen > 0) {
		out[n++] = (uint8_t)chlen;
		memcpy(out + n, ch, chlen);
		n += chlen;
	}
	out[n++] = 0;
	memcpy(out + n, eop, 32);
	n += 32;
	memcpy(out + n, descr, strlen(descr));
	return n + strlen(descr);
}

struct creds {
	uint8_t		*pubcmd, *exppriv, *subcmd;
	size_t		 pubcmdlen, expprivlen, subcmdlen;
	uint8_t		 k_xc[32], k_ep[32], k_eop[32], k_exper[32];
	uint8_t		 chan[32];	/* keyid(k_eop) */
};

static struct creds C;

static void
setup(void)
{
	C.pubcmd = der_of("certs/pubcmd_exper_xc.cert", &C.pubcmdlen);
	C.exppriv = der_of("certs/exppriv_eop_exper.cert", &C.expprivlen);
	C.subcmd = der_of("certs/subcmd_eop_ep.cert", &C.subcmdlen);
	raw_of("keys/k_xc.pub", C.k_xc);
	raw_of("keys/k_ep.pub", C.k_ep);
	raw_of("keys/k_eop.pub", C.k_eop);
	raw_of("keys/k_exper.pub", C.k_exper);
	cred_keyid_raw(C.k_eop, C.chan);
}

static void
teardown(void)
{
	OPENSSL_free(C.pubcmd);
	OPENSSL_free(C.exppriv);
	OPENSSL_free(C.subcmd);
}

static uint16_t
pubcheck(const uint8_t *ch, size_t chlen, const uint8_t *eop, const char *xd,
    int certs, const uint8_t *agent, struct bk_req *req)
{
	uint8_t		 b[8192];
	/* Sent as 1.1.0 pktxpmgr does, leaf first; order does not matter. */
	uint8_t		*cert[2] = { C.exppriv, C.pubcmd };
	size_t		 len[2] = { C.expprivlen, C.pubcmdlen };
	char		 why[512];
	uint16_t	 e;

	e = bk_check(BK_SIDE_PUB, b, body(b, ch, chlen, eop, xd), cert, len,
	    (size_t)certs, agent, CT_NOW, req, why, sizeof(why));
	if (e != 0)
		ck_assert_msg(why[0] != '\0', "no reason for %s", pl_err_name(e));
	return e;
}

static const uint8_t zero[32];
static const uint8_t public_ch[6] = "public";

/* ---- xpub ---- */

START_TEST(test_pub_ok)
{
	struct bk_req	 r;

	ck_assert_uint_eq(pubcheck(C.chan, 32, C.k_eop,
	    "pub_end=1767225700000000000;controller_addr=127.0.0.1:20600;"
	    "sni_key=abc123;exp_priority=5;", 2, C.k_xc, &r), 0);
	ck_assert_uint_eq(r.ch.n, 1);
	ck_assert_uint_eq(r.pub_end, 1767225700000000000ull);
	/* No chain, zero eopkey, public channel: as an entry without TRUSTEDEOP. */
	ck_assert_uint_eq(pubcheck(public_ch, 6, zero, "controller_addr=h.example;",
	    0, C.k_xc, &r), 0);
	ck_assert_uint_eq(r.pub_end, UINT64_MAX);
}
END_TEST

START_TEST(test_pub_errors)
{
	struct bk_req	 r;
	uint8_t		 other[32], b[64];
	char		 big[5000], why[256];
	const char	*ok = "controller_addr=127.0.0.1;";

	memset(other, 0x11, sizeof(other));
	/* Channel list. */
	ck_assert_uint_eq(pubcheck(NULL, 0, zero, ok, 0, C.k_xc, &r), PL_EPUBBADCHL);
	b[0] = 33;
	ck_assert_uint_eq(bk_check(BK_SIDE_PUB, b, 1, NULL, NULL, 0, C.k_xc, CT_NOW,
	    &r, why, sizeof(why)), PL_EPUBBADCHL);
	b[0] = 1, b[1] = 'x', b[2] = 0;		/* no eopkey */
	ck_assert_uint_eq(bk_check(BK_SIDE_PUB, b, 3, NULL, NULL, 0, C.k_xc, CT_NOW,
	    &r, why, sizeof(why)), PL_EPUBBADCHL);
	/* Chain: not the agent's, not rooted at eopkey, missing, private w/o key. */
	ck_assert_uint_eq(pubcheck(C.chan, 32, C.k_eop, ok, 2, C.k_ep, &r),
	    PL_EPUBBADCHN);
	ck_assert_uint_eq(pubcheck(C.chan, 32, C.k_exper, ok, 2, C.k_xc, &r),
	    PL_EPUBBADCHN);
	ck_assert_uint_eq(pubcheck(C.chan, 32, C.k_eop, ok, 0, C.k_xc, &r),
	    PL_EPUBBADCHN);
	ck_assert_uint_eq(pubcheck(C.chan, 32, zero, ok, 0, C.k_xc, &r),
	    PL_EPUBBADCHN);
	/* A private channel the chain does not grant. */
	ck_assert_uint_eq(pubcheck(other, 32, C.k_eop, ok, 2, C.k_xc, &r),
	    PL_EPUBBADCHN);
	/* The descriptor. */
	ck_assert_uint_eq(pubcheck(public_ch, 6, zero, "controller_addr=h", 0,
	    C.k_xc, &r), PL_EPUBBADXD);
	ck_assert_uint_eq(pubcheck(public_ch, 6, zero,
	    "controller_addr=h;sni_key=ABC;", 0, C.k_xc, &r), PL_EPUBBADXD);
	ck_assert_uint_eq(pubcheck(public_ch, 6, zero,
	    "controller_addr=h;pub_end=soon;", 0, C.k_xc, &r), PL_EPUBBADXD);
	memset(big, 'a', sizeof(big));
	memcpy(big, "controller_addr=h;x=", 20);
	big[4093] = ';';
	big[4094] = '\0';
	ck_assert_uint_eq(pubcheck(public_ch, 6, zero, big, 0, C.k_xc, &r), 0);
	big[4093] = 'a', big[4094] = ';', big[4095] = '\0';
	ck_assert_uint_eq(pubcheck(public_ch, 6, zero, big, 0, C.k_xc, &r),
	    PL_EPUBBADXD);
	/* controller_addr. */
	ck_assert_uint_eq(pubcheck(public_ch, 6, zero, "sni_key=abc;", 0, C.k_xc,
	    &r), PL_EPUBBADADDR);
	ck_assert_uint_eq(pubcheck(public_ch, 6, zero, "controller_addr=[::1]:20556;",
	    0, C.k_xc, &r), PL_EPUBBADADDR);
	ck_assert_uint_eq(pubcheck(public_ch, 6, zero, "controller_addr=h*;", 0,
	    C.k_xc, &r), PL_EPUBBADADDR);
	ck_assert_uint_eq(pubcheck(public_ch, 6, zero,
	    "controller_addr=a;controller_addr=b;", 0, C.k_xc, &r), PL_EPUBBADADDR);
	/* exp_priority. */
	ck_assert_uint_eq(pubcheck(public_ch, 6, zero,
	    "controller_addr=h;exp_priority=4294967296;", 0, C.k_xc, &r),
	    PL_EPUBBADPR);
	ck_assert_uint_eq(pubcheck(public_ch, 6, zero,
	    "controller_addr=h;exp_priority=1*;", 0, C.k_xc, &r), PL_EPUBBADPR);
	ck_assert_uint_eq(pubcheck(public_ch, 6, zero,
	    "controller_addr=h;exp_priority=4294967295;", 0, C.k_xc, &r), 0);
}
END_TEST

/* ---- xsub ---- */

static uint16_t
subcheck(const uint8_t *ch, size_t chlen, const uint8_t *eop, const char *da,
    int certs, const uint8_t *agent)
{
	struct bk_req	 r;
	uint8_t		 b[8192], *cert[1] = { C.subcmd };
	size_t		 len[1] = { C.subcmdlen };
	char		 why[512];

	return bk_check(BK_SIDE_SUB, b, body(b, ch, chlen, eop, da), cert, len,
	    (size_t)certs, agent, CT_NOW, &r, why, sizeof(why));
}

START_TEST(test_sub_checks)
{
	uint8_t	 other[32];

	memset(other, 0x22, sizeof(other));
	ck_assert_uint_eq(subcheck(C.chan, 32, C.k_eop, "hostid=ep7;", 1, C.k_ep), 0);
	ck_assert_uint_eq(subcheck(public_ch, 6, zero, "", 0, C.k_ep), 0);
	ck_assert_uint_eq(subcheck(NULL, 0, C.k_eop, "", 1, C.k_ep), PL_ESUBBADCHL);
	ck_assert_uint_eq(subcheck(C.chan, 32, C.k_eop, "a=1;a=2;", 1, C.k_ep),
	    PL_ESUBBADDA);
	ck_assert_uint_eq(subcheck(C.chan, 32, C.k_eop, "a=1*;", 1, C.k_ep),
	    PL_ESUBBADDA);
	ck_assert_uint_eq(subcheck(other, 32, C.k_eop, "", 1, C.k_ep), PL_ESUBBADCHN);
	ck_assert_uint_eq(subcheck(C.chan, 32, C.k_eop, "", 1, C.k_xc), PL_ESUBBADCHN);
	ck_assert_uint_eq(subcheck(C.chan, 32, C.k_exper, "", 1, C.k_ep),
	    PL_ESUBBADCHN);
	ck_assert_uint_eq(subcheck(C.chan, 32, zero, "", 0, C.k_ep), PL_ESUBBADCHN);
}
END_TEST

/* ---- the store through connections ---- */

struct side {
	struct sink	 sink;
	struct bk_conn	 c;
};

static void
side_init(struct side *s, struct bk_store *st, enum bk_side side,
    const uint8_t *agent)
{
	memset(s, 0, sizeof(*s));
	bk_conn_init(&s->c, st, side, &s->sink, agent);
}

static int
send_msg(struct side *s, uint8_t type, const uint8_t *b, size_t blen,
    uint64_t now_ns)
{
	uint8_t		 m[9000];
	char		 why[512];

	pl_put32(m, ((uint32_t)type << 24) | (uint32_t)blen);
	memcpy(m + PL_HLEN, b, blen);
	return bk_conn_msg(&s->c, m, PL_HLEN + blen, CT_NOW, now_ns, why,
	    sizeof(why));
}

static void
publish(struct side *p, const char *xd, uint64_t now_ns)
{
	uint8_t		 b[8192];

	ck_assert_int_eq(send_msg(p, PL_XCERT, C.pubcmd, C.pubcmdlen, now_ns), 0);
	ck_assert_int_eq(send_msg(p, PL_XCERT, C.exppriv, C.expprivlen, now_ns), 0);
	ck_assert_int_eq(send_msg(p, PL_XPUB, b, body(b, C.chan, 32, C.k_eop, xd),
	    now_ns), 0);
}

static void
subscribe(struct side *s, const char *dattr, const uint8_t *ch, size_t chlen,
    uint64_t now_ns)
{
	uint8_t		 b[8192];

	ck_assert_int_eq(send_msg(s, PL_XCERT, C.subcmd, C.subcmdlen, now_ns), 0);
	ck_assert_int_eq(send_msg(s, PL_XSUB, b, body(b, ch, chlen, C.k_eop, dattr),
	    now_ns), 0);
}

static size_t
count_type(const struct sink *s, uint8_t type)
{
	size_t	 off = 0, n = 0, len;

	while (off + PL_HLEN <= s->len) {
		len = pl_get32(s->buf + off) & 0xFFFFFF;
		n += s->buf[off] == type;
		off += PL_HLEN + len;
	}
	return n;
}

START_TEST(test_store_deliver)
{
	static const char xd[] = "controller_addr=127.0.0.1:20600;sni_key=abc123;";
	struct bk_store	 st;
	struct side	 p, s1, s2, s3, s4;
	uint8_t		 want[200];
	size_t		 wlen;

	bk_store_init(&st, &ops, 42);
	side_init(&p, &st, BK_SIDE_PUB, C.k_xc);
	publish(&p, xd, NOW_NS);
	ck_assert_uint_eq(p.sink.len, 3 * PL_HLEN);	/* three empty SUCCESS */
	ck_assert_uint_eq(st.npubs, 1);

	/* A later subscriber: two results, then the xnotify of B1, byte for byte. */
	side_init(&s1, &st, BK_SIDE_SUB, C.k_ep);
	subscribe(&s1, "hostid=ep7;", C.chan, 32, NOW_NS);
	wlen = 0;
	pl_put32(want, ((uint32_t)PL_RESULT << 24));
	pl_put32(want + 4, ((uint32_t)PL_RESULT << 24));
	wlen = 8;
	pl_put32(want + wlen, ((uint32_t)PL_XNOTIFY << 24) | (uint32_t)(33 + strlen(xd)));
	want[wlen + 4] = 32;
	memcpy(want + wlen + 5, C.chan, 32);
	memcpy(want + wlen + 37, xd, strlen(xd));
	wlen += 37 + strlen(xd);
	ck_assert_uint_eq(s1.sink.len, wlen);
	ck_assert_mem_eq(s1.sink.buf, want, wlen);

	/* The same agent key again (a reconnect): nothing new. */
	bk_conn_clear(&s1.c, "gone");
	side_init(&s2, &st, BK_SIDE_SUB, C.k_ep);
	subscribe(&s2, "", C.chan, 32, NOW_NS);
	ck_assert_uint_eq(count_type(&s2.sink, PL_XNOTIFY), 0);
	ck_assert_uint_eq(count_type(&s2.sink, PL_RESULT), 2);
	/* Anything after the subscription ends the connection, unanswered. */
	ck_assert_int_eq(send_msg(&s2, PL_XCERT, C.subcmd, C.subcmdlen, NOW_NS), -1);
	ck_assert_uint_eq(count_type(&s2.sink, PL_RESULT), 2);

	/* Another agent key with a dattr the xdescr does not name: delivered. */
	side_init(&s3, &st, BK_SIDE_SUB, C.k_ep);
	memset(s3.c.agent, 7, 32);	/* the chain check is per agent key */
	s3.c.ncert = 0;
	{
		uint8_t	 b[200];

		ck_assert_int_eq(send_msg(&s3, PL_XSUB, b, body(b, public_ch, 6, zero,
		    "x=1;"), NOW_NS), 0);
	}
	ck_assert_uint_eq(count_type(&s3.sink, PL_XNOTIFY), 0);	/* channel differs */
	bk_conn_clear(&s3.c, "gone");
	bk_conn_clear(&s2.c, "gone");

	/* hostid filter (-i): a mismatching endpoint gets nothing. */
	publish(&p, "controller_addr=h;sni_key=b;hostid=ep7*;", NOW_NS);
	side_init(&s4, &st, BK_SIDE_SUB, C.k_ep);
	memcpy(s4.c.agent, C.k_ep, 32);
	subscribe(&s4, "hostid=other;", C.chan, 32, NOW_NS);
	ck_assert_uint_eq(count_type(&s4.sink, PL_XNOTIFY), 0);
	bk_conn_clear(&s4.c, "gone");

	/* The publisher goes: its publications are withdrawn. */
	bk_conn_clear(&p.c, "closed");
	ck_assert_uint_eq(st.npubs, 0);
	ck_assert_uint_eq(st.nsubs, 0);
	bk_store_clear(&st);
}
END_TEST

START_TEST(test_store_expiry_and_fanout)
{
	struct bk_store	 st;
	struct side	 p, s[3];
	uint64_t	 end = NOW_NS + 1000;
	char		 xd[200];
	size_t		 i;

	bk_store_init(&st, &ops, 7);
	for (i = 0; i < 3; i++) {
		side_init(&s[i], &st, BK_SIDE_SUB, C.k_ep);
		s[i].c.agent[0] ^= (uint8_t)(i + 1);	/* three agents, no chain */
		{
			uint8_t	 b[200];

			ck_assert_int_eq(send_msg(&s[i], PL_XSUB, b, body(b, public_ch,
			    6, zero, ""), NOW_NS), 0);
		}
	}
	side_init(&p, &st, BK_SIDE_PUB, C.k_xc);
	snprintf(xd, sizeof(xd), "pub_end=%llu;controller_addr=h;",
	    (unsigned long long)end);
	{
		uint8_t	 b[300];

		ck_assert_int_eq(send_msg(&p, PL_XPUB, b, body(b, public_ch, 6, zero,
		    xd), NOW_NS), 0);
	}
	for (i = 0; i < 3; i++)
		ck_assert_uint_eq(count_type(&s[i].sink, PL_XNOTIFY), 1);
	ck_assert_uint_eq(bk_store_expire(&st, NOW_NS), end);
	ck_assert_uint_eq(st.npubs, 1);
	ck_assert_uint_eq(bk_store_expire(&st, end), UINT64_MAX);
	ck_assert_uint_eq(st.npubs, 0);
	/* An already expired publication is answered but never stored. */
	{
		uint8_t	 b[300];

		ck_assert_int_eq(send_msg(&p, PL_XPUB, b, body(b, public_ch, 6, zero,
		    xd), end + 1), 0);
	}
	ck_assert_uint_eq(st.npubs, 0);
	ck_assert_uint_eq(count_type(&p.sink, PL_RESULT), 2);
	for (i = 0; i < 3; i++)
		bk_conn_clear(&s[i].c, "gone");
	bk_conn_clear(&p.c, "gone");
	ck_assert_uint_eq(bk_store_nagents(&st), 3);	/* they remember p1 */
	bk_store_clear(&st);
}
END_TEST

/*
 * The earliest pub_end is cached: publications added later or earlier move
 * it, and withdrawing the earliest (its publisher gone) makes the next
 * expire walk find the new one.
 */
START_TEST(test_store_next_expiry)
{
	struct bk_store	 st;
	struct side	 p1, p2;
	uint64_t	 e1 = NOW_NS + 1000, e2 = NOW_NS + 5000, e3 = NOW_NS + 9000;
	uint8_t		 b[300];
	char		 xd[200];

	bk_store_init(&st, &ops, 7);
	side_init(&p1, &st, BK_SIDE_PUB, C.k_xc);
	side_init(&p2, &st, BK_SIDE_PUB, C.k_xc);
	ck_assert_uint_eq(bk_store_expire(&st, NOW_NS), UINT64_MAX);
	snprintf(xd, sizeof(xd), "pub_end=%llu;controller_addr=h;",
	    (unsigned long long)e2);
	ck_assert_int_eq(send_msg(&p2, PL_XPUB, b, body(b, public_ch, 6, zero,
	    xd), NOW_NS), 0);
	snprintf(xd, sizeof(xd), "pub_end=%llu;controller_addr=h;",
	    (unsigned long long)e3);
	ck_assert_int_eq(send_msg(&p2, PL_XPUB, b, body(b, public_ch, 6, zero,
	    xd), NOW_NS), 0);
	ck_assert_uint_eq(bk_store_expire(&st, NOW_NS), e2);
	snprintf(xd, sizeof(xd), "pub_end=%llu;controller_addr=h;",
	    (unsigned long long)e1);
	ck_assert_int_eq(send_msg(&p1, PL_XPUB, b, body(b, public_ch, 6, zero,
	    xd), NOW_NS), 0);
	ck_assert_uint_eq(bk_store_expire(&st, NOW_NS), e1);
	ck_assert_uint_eq(st.npubs, 3);
	bk_conn_clear(&p1.c, "gone");	/* the earliest goes with p1 */
	ck_assert_uint_eq(bk_store_expire(&st, NOW_NS), e2);
	ck_assert_uint_eq(bk_store_expire(&st, e2), e3);
	ck_assert_uint_eq(st.npubs, 1);
	ck_assert_uint_eq(bk_store_expire(&st, e3), UINT64_MAX);
	ck_assert_uint_eq(st.npubs, 0);
	bk_conn_clear(&p2.c, "gone");
	bk_store_clear(&st);
}
END_TEST

/* Two shared channels still make one xnotify, with the publication's first. */
START_TEST(test_two_channels_one_notify)
{
	struct bk_store	 st;
	struct side	 p, s;
	uint8_t		 b[300];
	size_t		 n = 0;
	static const char xd[] = "controller_addr=h;";

	bk_store_init(&st, &ops, 3);
	side_init(&s, &st, BK_SIDE_SUB, C.k_ep);
	b[n++] = 6, memcpy(b + n, "public", 6), n += 6;
	b[n++] = 2, memcpy(b + n, "ab", 2), n += 2;
	b[n++] = 0;
	memset(b + n, 0, 32), n += 32;
	ck_assert_int_eq(send_msg(&s, PL_XSUB, b, n, NOW_NS), 0);
	side_init(&p, &st, BK_SIDE_PUB, C.k_xc);
	n = 0;
	b[n++] = 2, memcpy(b + n, "ab", 2), n += 2;
	b[n++] = 6, memcpy(b + n, "public", 6), n += 6;
	b[n++] = 0;
	memset(b + n, 0, 32), n += 32;
	memcpy(b + n, xd, strlen(xd)), n += strlen(xd);
	ck_assert_int_eq(send_msg(&p, PL_XPUB, b, n, NOW_NS), 0);
	ck_assert_uint_eq(count_type(&s.sink, PL_XNOTIFY), 1);
	/* result, then xnotify 70 000015 02 "ab" xdescr */
	ck_assert_uint_eq(s.sink.buf[PL_HLEN], PL_XNOTIFY);
	ck_assert_uint_eq(s.sink.buf[2 * PL_HLEN], 2);
	ck_assert_mem_eq(s.sink.buf + 2 * PL_HLEN + 1, "ab", 2);
	bk_conn_clear(&s.c, "gone");
	bk_conn_clear(&p.c, "gone");
	ck_assert_uint_eq(st.nchent, 0);
	bk_store_clear(&st);
}
END_TEST

START_TEST(test_conn_limits)
{
	struct bk_store	 st;
	struct side	 s;
	uint8_t		 b[16] = { 0 };

	bk_store_init(&st, &ops, 1);
	side_init(&s, &st, BK_SIDE_SUB, C.k_ep);
	ck_assert_uint_eq(bk_conn_body_max(&s.c, PL_XPUB), 0);
	ck_assert_uint_eq(bk_conn_body_max(&s.c, PL_XSUB), BK_BODY_MAX);
	ck_assert_uint_eq(bk_conn_body_max(&s.c, 0x20), 0);
	ck_assert_int_eq(send_msg(&s, PL_XPUB, b, 1, NOW_NS), -1);
	/* An empty xcert is refused with an error, the connection goes on. */
	ck_assert_int_eq(send_msg(&s, PL_XCERT, b, 0, NOW_NS), 0);
	ck_assert_uint_eq(s.sink.len, PL_HLEN + 2);
	ck_assert_uint_eq(pl_get16(s.sink.buf + PL_HLEN), PL_ESUBBADCHN);
	ck_assert_uint_eq(s.c.nrefused, 1);
	bk_conn_clear(&s.c, "gone");
	bk_store_clear(&st);
}
END_TEST

/* ---- broker.conf ---- */

START_TEST(test_conf)
{
	struct bk_conf	 c;
	char		 why[512];
	static const char good[] =
	    "# comment\n"
	    "BrokerPrivKeyPath /k\n"
	    "BrokerAgentCertPath /c\n"
	    "ClientCertRootPath /a.pub,/b.pub\n"
	    "SubListen 127.0.0.1:20567\n"
	    "HandshakeTimeout 5s\n";

	ck_assert_int_eq(bk_conf_parse(&c, "b.conf", good, strlen(good), why,
	    sizeof(why)), 0);
	ck_assert_str_eq(c.key, "/k");
	ck_assert_uint_eq(c.nroots, 2);
	ck_assert_str_eq(c.pub_listen, "0.0.0.0:20556");
	ck_assert_str_eq(c.sub_listen, "127.0.0.1:20567");
	ck_assert_uint_eq(c.handshake_timeout, 5000000000ull);
	bk_conf_clear(&c);

	ck_assert_int_eq(bk_conf_parse(&c, "b.conf", "BrokerPrivKeyPath /k\nBogus 1\n",
	    31, why, sizeof(why)), -1);
	ck_assert_msg(strstr(why, "b.conf:2: unknown directive") != NULL, "%s", why);
	ck_assert_int_eq(bk_conf_parse(&c, "b.conf", "PubListen 127.0.0.1\n", 20,
	    why, sizeof(why)), -1);
	ck_assert_msg(strstr(why, "b.conf:1:") != NULL, "%s", why);
	ck_assert_int_eq(bk_conf_parse(&c, "b.conf", "BrokerPrivKeyPath /k\n", 21,
	    why, sizeof(why)), -1);
	ck_assert_msg(strstr(why, "BrokerAgentCertPath is required") != NULL, "%s",
	    why);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("broker");
	TCase	*tc = tcase_create("pure");

	log_init("test_broker", LOG_LVL_ERROR);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pub_ok);
	tcase_add_test(tc, test_pub_errors);
	tcase_add_test(tc, test_sub_checks);
	tcase_add_test(tc, test_store_deliver);
	tcase_add_test(tc, test_store_expiry_and_fanout);
	tcase_add_test(tc, test_store_next_expiry);
	tcase_add_test(tc, test_two_channels_one_notify);
	tcase_add_test(tc, test_conn_limits);
	tcase_add_test(tc, test_conf);
	suite_add_tcase(s, tc);
	return ct_run(s);
}
