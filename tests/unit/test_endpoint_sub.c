/*
 * test_endpoint_sub.c: subscription mode's pure parts
 * (src/endpoint/pure/sub.c, the broker directives of epconf.c): the XCERT
 * and XSUB of transcripts B1 and B2 byte for byte, the chlist rules of
 * broker spec §1.5, the eopkey choice, xdescr acceptance (§1.8, §1.11)
 * and the descriptor pool (priority, ties, duplicates, expiry, yield).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pktlab/wire.h>

#include "cred/cred.h"
#include "endpoint/pure/endpt.h"
#include "util/util.h"
#include "credtest.h"
#include "ctrun.h"

/* From shared/vectors/broker_transcripts.txt. */
static const char B1_XCERT[] =
    "300001743082017030820122a003020102021100acb40afa41c22426401eaf0dfadfdea5"
    "300506032b6570300c310a300806035504030c0120301e170d3730303130313030303030"
    "305a170d3338303131393033313430375a300c310a300806035504030c0120302a300506"
    "032b6570032100270426c0a1b2c8cd125f2d91600653892be7bd07a418c0445b713506cc"
    "762b78a38198308195302b0603551d2304243022802073be06b78b7eaeb76843415a6c6f"
    "6731dc961ba9349b4151f2e367f3ba63a37430290603551d0e0422042039be8e7f1e863c"
    "01196dc94c25b0318e26c3b5609ffafc8d2bf96580a32fabdd300e0603551d0f0101ff04"
    "0403020780300c0603551d130101ff04023000301d06032a03010101ff04130411636572"
    "745f747970653d737562636d643b300506032b6570034100eb2d26eea620736f6ae17af8"
    "29a25cc131b8cd138a7f3c16742b7f27b194e32f51421846d84ff7e695fa7657cebcb74b"
    "7015d50957ab5a07e368575c55409404";
static const char B1_XSUB[] =
    "380000542073be06b78b7eaeb76843415a6c6f6731dc961ba9349b4151f2e367f3ba63a3"
    "74067075626c6963003489b6a72c9edea1f67e937b968ce4edff77a0d84b60064e8d3225"
    "7e898b1dd6686f737469643d6570373b";
static const char B2_XSUB[] =
    "380000752073be06b78b7eaeb76843415a6c6f6731dc961ba9349b4151f2e367f3ba63a3"
    "7420758e19359c7a1b64d9a23e013dab68a01e5918851bbd53c0f2d1a44d4085aedd0670"
    "75626c6963003489b6a72c9edea1f67e937b968ce4edff77a0d84b60064e8d32257e898b"
    "1dd6686f737469643d6570373b";
static const char K_EOP_ID[] =
    "73be06b78b7eaeb76843415a6c6f6731dc961ba9349b4151f2e367f3ba63a374";
static const char K_EOP2_ID[] =
    "758e19359c7a1b64d9a23e013dab68a01e5918851bbd53c0f2d1a44d4085aedd";

static const char SUBCONF[] =
    "AutoExtractChannel 1\n"
    "BrokerChannel ,7075626c6963\n"
    "EndpointAttr hostid=ep7;\n";

struct diags {
	int		 n[3];
	unsigned	 line;
	char		 msg[EP_MSGLEN];
};

static void
collect(void *arg, enum ep_diag_level lvl, unsigned line, const char *msg)
{
	struct diags	*d = arg;

	d->n[lvl]++;
	d->line = line;
	snprintf(d->msg, sizeof(d->msg), "%s", msg);
}

static int
parse(struct ep_conf *c, const char *text, struct diags *d)
{
	memset(d, 0, sizeof(*d));
	ep_conf_init(c);
	return ep_conf_parse(c, text, strlen(text), "/etc/pktlab", collect, d);
}

static void
unhex(const char *hex, uint8_t **out, size_t *len)
{
	*len = strlen(hex) / 2;
	*out = xmalloc(*len);
	ck_assert_int_eq(pl_unhex(hex, strlen(hex), *out, *len), (ssize_t)*len);
}

static void
assert_bytes(const uint8_t *got, size_t gotlen, const char *hex)
{
	uint8_t	*want;
	size_t	 wantlen;
	char	*h = xmalloc(gotlen * 2 + 1);

	unhex(hex, &want, &wantlen);
	ck_assert_msg(gotlen == wantlen && memcmp(got, want, wantlen) == 0,
	    "got %s", pl_hex(got, gotlen, h));
	free(want);
	free(h);
}

START_TEST(b1_bytes)
{
	struct ep_conf		 c;
	struct diags		 d;
	struct cred_cert	 cc;
	struct cred_keys	 roots;
	struct ep_submsgs	 m;
	EVP_PKEY		*ep = ct_pub("keys/k_ep.pub");
	uint8_t			 kid[32];
	char			 why[300];

	ck_assert_int_eq(parse(&c, SUBCONF, &d), 0);
	ct_decode("certs/subcmd_eop_ep.cert", &cc);
	memset(&roots, 0, sizeof(roots));
	ct_roots(&roots, "keys/k_eop.pub", NULL);
	ck_assert_int_eq(cred_keyid(ep, kid), 0);
	ck_assert_msg(ep_sub_build(&c, &cc, 1, kid, &roots, &m, why,
	    sizeof(why)) == 0, "%s", why);
	ck_assert_uint_eq(m.n, 2);
	ck_assert_uint_eq(m.nchan, 2);
	assert_bytes(m.buf[0], m.len[0], B1_XCERT);
	assert_bytes(m.buf[1], m.len[1], B1_XSUB);
	ep_submsgs_clear(&m);
	cred_cert_clear(&cc);
	cred_keys_free(&roots);
	EVP_PKEY_free(ep);
	ep_conf_clear(&c);
}
END_TEST

/* B2's chain, by the fields the XSUB depends on: AKIs, SKI, file order. */
START_TEST(b2_bytes)
{
	struct ep_conf		 c;
	struct diags		 d;
	struct cred_cert	 cc[2];
	struct cred_keys	 roots;
	struct ep_submsgs	 m;
	uint8_t			*id;
	size_t			 n;
	uint8_t			 kid[32], der[3] = { 0x30, 0x01, 0x00 };
	char			 why[300];

	ck_assert_int_eq(parse(&c, SUBCONF, &d), 0);
	memset(cc, 0, sizeof(cc));
	memset(kid, 0x39, sizeof(kid));
	/* subcmd_eop2_ep.cert: k_eop2 -> k_ep. */
	unhex(K_EOP2_ID, &id, &n);
	memcpy(cc[0].aki, id, 32);
	free(id);
	memcpy(cc[0].ski, kid, 32);
	/* delpriv_eop_eop2.cert: k_eop -> k_eop2. */
	unhex(K_EOP_ID, &id, &n);
	memcpy(cc[1].aki, id, 32);
	free(id);
	memset(cc[1].ski, 0x75, 32);
	cc[0].der = cc[1].der = der;
	cc[0].derlen = cc[1].derlen = sizeof(der);
	cc[0].label = "subcmd_eop2_ep.cert";
	cc[1].label = "delpriv_eop_eop2.cert";
	memset(&roots, 0, sizeof(roots));
	ct_roots(&roots, "keys/k_eop.pub", NULL);
	ck_assert_msg(ep_sub_build(&c, cc, 2, kid, &roots, &m, why,
	    sizeof(why)) == 0, "%s", why);
	ck_assert_uint_eq(m.n, 3);
	ck_assert_uint_eq(m.nchan, 3);
	assert_bytes(m.buf[2], m.len[2], B2_XSUB);
	ep_submsgs_clear(&m);

	/* The last certificate names the eopkey: not an operator key. */
	memset(cc[1].aki, 0x11, 32);
	ck_assert_int_eq(ep_sub_build(&c, cc, 2, kid, &roots, &m, why,
	    sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "delpriv_eop_eop2.cert"));
	ck_assert_ptr_nonnull(strstr(why, "EndpointOpPubKeyPath"));
	/* No certificate of the endpoint key. */
	memset(kid, 0x01, sizeof(kid));
	ck_assert_int_eq(ep_sub_build(&c, cc, 2, kid, &roots, &m, why,
	    sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "belongs to EndpointPrivKey"));
	cred_keys_free(&roots);
	ep_conf_clear(&c);
}
END_TEST

START_TEST(chlist_rules)
{
	struct ep_conf		 c;
	struct diags		 d;
	struct pl_chlist	 cl;
	uint8_t			 aki[3][32];
	char			 why[300];

	memset(aki[0], 1, 32);
	memset(aki[1], 2, 32);
	memset(aki[2], 2, 32);		/* duplicates are kept */

	/* BrokerChannel absent: the private list, last file first. */
	ck_assert_int_eq(parse(&c, "AutoExtractChannel 1\nBrokerChannel\n",
	    &d), 0);
	ck_assert_int_eq(ep_sub_chlist(&c, (const uint8_t (*)[32])aki, 3, &cl,
	    why, sizeof(why)), 0);
	ck_assert_uint_eq(cl.cnt, 3);
	ck_assert(cl.id[0] == aki[2] && cl.id[1] == aki[1] && cl.id[2] == aki[0]);
	ep_conf_clear(&c);

	/* Elements in order; each empty one adds the whole private list. */
	ck_assert_int_eq(parse(&c, "AutoExtractChannel 1\n"
	    "BrokerChannel aa,,bbcc,\n", &d), 0);
	ck_assert_int_eq(ep_sub_chlist(&c, (const uint8_t (*)[32])aki, 2, &cl,
	    why, sizeof(why)), 0);
	ck_assert_uint_eq(cl.cnt, 6);
	ck_assert_uint_eq(cl.len[0], 1);
	ck_assert_uint_eq(cl.id[0][0], 0xaa);
	ck_assert(cl.id[1] == aki[1] && cl.id[2] == aki[0]);
	ck_assert_uint_eq(cl.len[3], 2);
	ck_assert(cl.id[4] == aki[1] && cl.id[5] == aki[0]);
	ep_conf_clear(&c);

	/* Public channels only: no AutoExtractChannel needed. */
	ck_assert_int_eq(parse(&c, "BrokerChannel 7075626c6963\n", &d), 0);
	ck_assert_int_eq(ep_sub_chlist(&c, (const uint8_t (*)[32])aki, 1, &cl,
	    why, sizeof(why)), 0);
	ck_assert_uint_eq(cl.cnt, 1);
	ep_conf_clear(&c);

	/* 1.1.0's "Failed to encode channel list" cases. */
	ck_assert_int_eq(parse(&c, "BrokerChannel ,aa\n", &d), 0);
	ck_assert_int_eq(ep_sub_chlist(&c, (const uint8_t (*)[32])aki, 1, &cl,
	    why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "AutoExtractChannel"));
	ep_conf_clear(&c);
	ck_assert_int_eq(parse(&c, "", &d), 0);
	ck_assert_int_eq(ep_sub_chlist(&c, (const uint8_t (*)[32])aki, 1, &cl,
	    why, sizeof(why)), -1);
	ep_conf_clear(&c);
}
END_TEST

START_TEST(conf_directives)
{
	struct ep_conf	 c;
	struct diags	 d;

	ck_assert_int_eq(parse(&c,
	    "NoSubMode 0\n"
	    "NoSubMode 1\n"
	    "BrokerAddr [::1]:20600\n"
	    "BrokerChainRootPath keys/k_bop.pub,/k2.pub\n"
	    "EndpointAgentCertPath certs/agent_ep_ep.cert\n"
	    "SubPrivCertChainPath a.cert,b.cert\n"
	    "AutoExtractChannel 1\n"
	    "BrokerChannel ,7075626c6963\n"
	    "EndpointAttr hostid=ep7;\n"
	    "NoSubModeSNIKey abc\n"
	    "EndpointPrivKey k\nEndpointOpPubKeyPath o\n", &d), 0);
	ck_assert_int_eq(c.nosubmode, 0);	/* the first occurrence wins */
	ck_assert_int_eq(d.n[EP_DIAG_WARN], 1);
	ck_assert_str_eq(c.broker_addr, "[::1]:20600");
	ck_assert_uint_eq(c.nbroker_roots, 2);
	ck_assert_str_eq(c.broker_roots[0], "/etc/pktlab/keys/k_bop.pub");
	ck_assert_str_eq(c.agent_cert, "/etc/pktlab/certs/agent_ep_ep.cert");
	ck_assert_uint_eq(c.nsubchain, 2);
	ck_assert_str_eq(c.subchain[1], "/etc/pktlab/b.cert");
	ck_assert_uint_eq(c.nchan, 2);
	ck_assert_uint_eq(c.chan[0].len, 0);
	ck_assert_uint_eq(c.chan[1].len, 6);
	ck_assert_str_eq(c.dattr, "hostid=ep7;");
	ck_assert_str_eq(c.snikey, "abc");
	ck_assert_int_eq(c.autoextract, 1);
	ck_assert_int_eq(ep_conf_check_sub(&c, collect, &d), 0);
	ep_conf_clear(&c);

	/* Errors name the directive and the line. */
	ck_assert_int_eq(parse(&c, "# x\nBrokerChannel abc\n", &d), 1);
	ck_assert_uint_eq(d.line, 2);
	ck_assert_ptr_nonnull(strstr(d.msg, "BrokerChannel"));
	ep_conf_clear(&c);
	ck_assert_int_eq(parse(&c, "BrokerChannel 00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff00\n", &d), 1);
	ep_conf_clear(&c);
	ck_assert_int_eq(parse(&c, "EndpointAttr *\n", &d), 1);
	ck_assert_ptr_nonnull(strstr(d.msg, "EndpointAttr"));
	ep_conf_clear(&c);
	ck_assert_int_eq(parse(&c, "EndpointAttr a=1;a=2;\n", &d), 1);
	ep_conf_clear(&c);
	ck_assert_int_eq(parse(&c, "NoSubMode yes\n", &d), 1);
	ep_conf_clear(&c);
	ck_assert_int_eq(parse(&c, "BrokerAddr 1.2.3.4:\n", &d), 1);
	ck_assert_ptr_nonnull(strstr(d.msg, "BrokerAddr"));
	ep_conf_clear(&c);

	/* §1.11: the pieces 1.1.0 did not check are required. */
	ck_assert_int_eq(parse(&c,
	    "EndpointPrivKey k\nEndpointOpPubKeyPath o\n"
	    "BrokerAddr 127.0.0.1\nBrokerChainRootPath r\n"
	    "EndpointAgentCertPath a\nNoSubMode 0\n", &d), 0);
	ck_assert_int_eq(ep_conf_check_sub(&c, collect, &d), 2);
	ck_assert_uint_eq(d.line, 6);
	ck_assert_ptr_nonnull(strstr(d.msg, "channel"));
	ep_conf_clear(&c);
	ck_assert_int_eq(parse(&c, "", &d), 0);
	ck_assert_int_eq(ep_conf_check_sub(&c, collect, &d), 7);
	ep_conf_clear(&c);
}
END_TEST

static int
accept_str(const char *s, struct ep_xdescr *d, char *why, size_t n)
{
	return ep_xdescr_accept(s, strlen(s), d, why, n);
}

START_TEST(xdescr)
{
	struct ep_xdescr	 d;
	char			 why[300], big[EP_XDESCR_MAX + 2], *p;

	ck_assert_int_eq(accept_str("controller_addr=127.0.0.1:20600;"
	    "sni_key=abc123;", &d, why, sizeof(why)), 0);
	ck_assert_str_eq(d.host, "127.0.0.1");
	ck_assert_uint_eq(d.port, 20600);
	ck_assert_str_eq(d.sni, "abc123");
	ck_assert_uint_eq(d.prio, 0);
	ck_assert(!d.has_pub_end);
	/* Defaults, IPv6 in brackets, names 1.1.0 reads and what it ignores. */
	ck_assert_int_eq(accept_str("hostid=x;controller_addr=ctl.example;"
	    "exp_priority=7;pub_end=1800000000000000000;", &d, why,
	    sizeof(why)), 0);
	ck_assert_str_eq(d.host, "ctl.example");
	ck_assert_uint_eq(d.port, 20556);
	ck_assert_str_eq(d.sni, "");
	ck_assert_uint_eq(d.prio, 7);
	ck_assert(d.has_pub_end && d.pub_end == 1800000000000000000ull);
	ck_assert_int_eq(accept_str("controller_addr=[::1]:20601;", &d, why,
	    sizeof(why)), 0);
	ck_assert_str_eq(d.host, "::1");
	ck_assert_uint_eq(d.port, 20601);
	/* 1.1.0 splits at the last ':'. */
	ck_assert_int_eq(accept_str("controller_addr=::1;", &d, why,
	    sizeof(why)), 0);
	ck_assert_str_eq(d.host, ":");
	ck_assert_uint_eq(d.port, 1);
	/* exp_priority as 1.1.0 reads it. */
	ck_assert_int_eq(accept_str("controller_addr=a;exp_priority=12x;", &d,
	    why, sizeof(why)), 0);
	ck_assert_uint_eq(d.prio, 0);
	ck_assert_int_eq(accept_str("controller_addr=a;exp_priority=4294967297;",
	    &d, why, sizeof(why)), 0);
	ck_assert_uint_eq(d.prio, 1);
	/* The last occurrence wins, whole (1.1.0 mixed the bytes). */
	ck_assert_int_eq(accept_str("controller_addr=longhost:1;"
	    "controller_addr=ab:2;", &d, why, sizeof(why)), 0);
	ck_assert_str_eq(d.host, "ab");

	/* Refused, each with a reason. */
	ck_assert_int_eq(accept_str("", &d, why, sizeof(why)), -1);
	ck_assert_int_eq(accept_str("sni_key=abc;", &d, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "controller_addr"));
	ck_assert_int_eq(accept_str("controller_addr=a:1;sni_key=abc", &d, why,
	    sizeof(why)), -1);
	ck_assert_int_eq(accept_str("controller_addr=a:1;sni_key=ABC;", &d, why,
	    sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "sni_key"));
	ck_assert_int_eq(accept_str("controller_addr=a:1;sni_key="
	    "0123456789012345678901234567890123456789012345678901234567890123;",
	    &d, why, sizeof(why)), -1);
	ck_assert_int_eq(accept_str("controller_addr=a:99999;", &d, why,
	    sizeof(why)), -1);
	ck_assert_int_eq(accept_str("controller_addr=:1;", &d, why,
	    sizeof(why)), -1);
	ck_assert_int_eq(accept_str("controller_addr=a;pub_end=soon;", &d, why,
	    sizeof(why)), -1);
	p = big;
	p += sprintf(p, "controller_addr=");
	memset(p, 'h', (size_t)(big + sizeof(big) - 2 - p));
	big[sizeof(big) - 2] = ';';
	big[sizeof(big) - 1] = '\0';
	ck_assert_uint_eq(strlen(big), EP_XDESCR_MAX + 1);
	ck_assert_int_eq(accept_str(big, &d, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "4094"));
	/* controller_addr: 255 bytes kept; longer is refused, not cut. */
	memset(big, 0, sizeof(big));
	p = big + sprintf(big, "controller_addr=");
	memset(p, 'h', 256);
	p[256] = ';';
	ck_assert_int_eq(accept_str(big, &d, why, sizeof(why)), -1);
	p[255] = ';';
	p[256] = '\0';
	ck_assert_int_eq(accept_str(big, &d, why, sizeof(why)), 0);
}
END_TEST

static void
add(struct ep_pool *p, const char *s, enum ep_pool_add want, pl_time_t now)
{
	struct ep_xdescr	 d;
	char			 why[300];

	ck_assert_msg(accept_str(s, &d, why, sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(ep_pool_add(p, s, strlen(s), &d, now), want);
}

START_TEST(pool)
{
	struct ep_pool		 p;
	struct ep_pool_ent	*e;
	pl_time_t		 now = 1000 * PL_TICKS_PER_SEC, wake;

	ep_pool_init(&p);
	ck_assert_ptr_null(ep_pool_pick(&p, now, &wake));
	add(&p, "controller_addr=a;exp_priority=1;", EP_POOL_ADDED, now);
	add(&p, "controller_addr=b;exp_priority=5;", EP_POOL_ADDED, now);
	add(&p, "controller_addr=c;exp_priority=5;", EP_POOL_ADDED, now);
	/* Byte-identical: refused, also after it ran and left the pool. */
	add(&p, "controller_addr=b;exp_priority=5;", EP_POOL_DUP, now);
	/* Expired on arrival. */
	add(&p, "controller_addr=d;pub_end=999000000000;", EP_POOL_EXPIRED, now);
	add(&p, "controller_addr=e;exp_priority=9;pub_end=1001000000000;",
	    EP_POOL_ADDED, now);
	ck_assert_uint_eq(p.n, 4);

	/* Highest priority first. */
	e = ep_pool_pick(&p, now, &wake);
	ck_assert_str_eq(e->d.host, "e");
	/* Once its pub_end passed it is never picked, and expire drops it. */
	now += 2 * PL_TICKS_PER_SEC;
	e = ep_pool_pick(&p, now, &wake);
	ck_assert_str_eq(e->d.host, "c");	/* ties: the newest */
	ck_assert_uint_eq(ep_pool_expire(&p, now, NULL, NULL), 1);
	ck_assert_uint_eq(p.n, 3);

	/* The running one is not a candidate; removal ends it. */
	e->running = 1;
	ck_assert_ptr_eq(ep_pool_running(&p), e);
	e = ep_pool_pick(&p, now, &wake);
	ck_assert_str_eq(e->d.host, "b");
	/* A yield: eligible again at its time. */
	e->eligible = now + 5 * PL_TICKS_PER_SEC;
	e = ep_pool_pick(&p, now, &wake);
	ck_assert_str_eq(e->d.host, "a");
	ck_assert_uint_eq(wake, now + 5 * PL_TICKS_PER_SEC);
	ck_assert_str_eq(ep_pool_pick(&p, now + 5 * PL_TICKS_PER_SEC,
	    NULL)->d.host, "b");
	ep_pool_remove(&p, ep_pool_running(&p)->id);
	ck_assert_uint_eq(p.n, 2);
	ck_assert_ptr_null(ep_pool_running(&p));
	add(&p, "controller_addr=c;exp_priority=5;", EP_POOL_DUP, now);
	ep_pool_clear(&p);
}
END_TEST

/* The decision pool.c acts on: start, wait, or preempt (strictly higher). */
START_TEST(preemption)
{
	struct ep_pool		 p;
	struct ep_pool_ent	*e;
	pl_time_t		 now = 1000 * PL_TICKS_PER_SEC;
	int			 pre;

	ep_pool_init(&p);
	ck_assert_ptr_null(ep_pool_next(&p, now, &pre));
	add(&p, "controller_addr=a;exp_priority=2;", EP_POOL_ADDED, now);
	e = ep_pool_next(&p, now, &pre);
	ck_assert_str_eq(e->d.host, "a");
	ck_assert_int_eq(pre, 0);
	e->running = 1;
	/* Equal or lower priority: the running one keeps running. */
	add(&p, "controller_addr=b;exp_priority=2;", EP_POOL_ADDED, now);
	add(&p, "controller_addr=c;exp_priority=1;", EP_POOL_ADDED, now);
	ck_assert_ptr_null(ep_pool_next(&p, now, &pre));
	/* Strictly higher: preempt. */
	add(&p, "controller_addr=d;exp_priority=3;", EP_POOL_ADDED, now);
	e = ep_pool_next(&p, now, &pre);
	ck_assert_str_eq(e->d.host, "d");
	ck_assert_int_eq(pre, 1);
	/* The suspended one stays and runs again after the preemptor. */
	ep_pool_running(&p)->running = 0;
	e->running = 1;
	ck_assert_ptr_null(ep_pool_next(&p, now, &pre));
	ep_pool_remove(&p, e->id);
	e = ep_pool_next(&p, now, &pre);
	ck_assert_str_eq(e->d.host, "b");	/* ties: the newest */
	ck_assert_int_eq(pre, 0);
	ep_pool_clear(&p);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("endpoint_sub");
	TCase	*tc = tcase_create("sub");

	tcase_add_test(tc, b1_bytes);
	tcase_add_test(tc, b2_bytes);
	tcase_add_test(tc, chlist_rules);
	tcase_add_test(tc, conf_directives);
	tcase_add_test(tc, xdescr);
	tcase_add_test(tc, pool);
	tcase_add_test(tc, preemption);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ct_run(suite());
}
