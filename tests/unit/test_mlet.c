/*
 * test_mlet.c: the mlet library against a scripted fake endpoint (peer.c)
 * on a real socketpair: the bytes of every request helper (checked against
 * the reference vectors), FIFO reply matching with notifications in
 * between, the notification queue, timeouts, byte-by-byte input,
 * malformed input, the end-of-session rules, writes while the peer floods,
 * endpoint facts from vmem, and the singleton receive.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pktlab/mlet.h"
#include "pktlab/vmem.h"
#include "peer.h"
#include "vec.h"
#include "ctrun.h"

#define STEP_MS		5000
#define T_HEX		"17979cfe3d85cd15"	/* the vectors' time T */
#define T_VAL		0x17979cfe3d85cd15ull

static struct pl_mlet	*m;
static struct peer	*p;
static struct vec_set	*vs;

static void	 setup(void);
static void	 teardown(void);
static void	 expect_vec(const char *);
static const struct vec *vec(const char *);
static void	 script(const char *);
static void	 finish(void);
static long	 elapsed_ms(const struct timespec *);

static void
setup(void)
{
	int	 sv[2];

	ck_assert_int_eq(peer_socketpair(sv), 0);
	m = pl_mlet_new(sv[0], "127.0.0.1");
	ck_assert_ptr_nonnull(m);
	p = peer_new(sv[1]);
	vs = vec_load("protocol_vectors.txt");
	ck_assert_ptr_nonnull(vs);
}

static void
teardown(void)
{
	peer_free(p);
	pl_mlet_close(m);
	vec_free(vs);
}

static const struct vec *
vec(const char *prefix)
{
	const struct vec	*v = vec_find(vs, VEC_MSG, prefix);

	ck_assert_msg(v != NULL, "no vector \"%s\"", prefix);
	return v;
}

static void
expect_vec(const char *prefix)
{
	const struct vec	*v = vec(prefix);

	peer_expect_bytes(p, v->bytes, v->len);
}

/* Add script lines and start the peer in its thread. */
static void
script(const char *text)
{
	char	 why[256];

	ck_assert_msg(peer_script(p, text, why, sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(peer_start(p, STEP_MS), 0);
}

static void
finish(void)
{
	ck_assert_msg(peer_join(p) == 0, "peer: %s\ntranscript:\n%s", peer_error(p),
	    peer_log(p));
}

static long
elapsed_ms(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Every request helper puts the reference encoder's bytes on the wire. */
START_TEST(test_request_bytes)
{
	const struct vec	*dns = vec("nsend UDP sktid=1 time=0 tag=1234 to 8.8.8.8:53");
	const struct vec	*ncap = vec("ncap RAW/IPv4 sktid=1");
	struct pl_mlet_addr	 ra, dnsaddr;
	char			 hostid[64];
	pl_time_t		 t;

	expect_vec("nopen TCP/IPv4 connect");
	peer_send(p, "40000000");
	expect_vec("nsend TCP sktid=1 time=0 tag=1234");
	peer_send(p, "40000000");
	expect_vec("nctl TCP FIN");
	peer_send(p, "40000000");
	expect_vec("nsend TCP sktid=1 time=T tag=0");
	peer_send(p, "40000000");
	expect_vec("nclose sktid=1");
	peer_send(p, "40000000");
	expect_vec("nopen UDP/IPv4");
	peer_send(p, "40000000");
	peer_expect_bytes(p, dns->bytes, dns->len);
	peer_send(p, "40000000");
	expect_vec("nopen RAW/IPv4");
	peer_send(p, "40000000");
	peer_expect_bytes(p, ncap->bytes, ncap->len);
	peer_send(p, "40000000");
	expect_vec("mread hostid region");
	peer_send_bytes(p, vec("mdata addr=0x10030000")->bytes,
	    vec("mdata addr=0x10030000")->len);
	expect_vec("mread endpoint time");
	peer_send(p, "4100000c10010000" T_HEX);
	expect_vec("mwrite sktinfo[1].notifmask");
	peer_send(p, "40000000");
	expect_vec("yield rhint=60s");
	peer_send(p, "40000000");
	peer_expect_eof(p);
	ck_assert_int_eq(peer_start(p, STEP_MS), 0);

	ck_assert_int_eq(pl_mlet_addr_parse(&ra, "93.184.216.34", 80), 0);
	ck_assert_int_eq(pl_mlet_nopen_tcp(m, 1, NULL, &ra, 0x1000), 0);
	ck_assert_int_eq(pl_mlet_nsend(m, 1, 1234, 0, "GET / HTTP/1.0\r\n\r\n", 18), 0);
	ck_assert_int_eq(pl_mlet_tcp_fin(m, 1, 0), 0);
	ck_assert_int_eq(pl_mlet_nsend(m, 1, 0, T_VAL, "x", 1), 0);
	ck_assert_int_eq(pl_mlet_nclose(m, 1), 0);
	ck_assert_int_eq(pl_mlet_nopen_udp(m, 1, PL_FAM_IPV4, NULL, 0x1000), 0);
	ck_assert_int_eq(pl_mlet_addr_parse(&dnsaddr, "8.8.8.8", 53), 0);
	ck_assert_int_eq(pl_mlet_nsend_to(m, 1, 1234, 0, &dnsaddr, dns->bytes + 23,
	    dns->len - 23), 0);
	ck_assert_int_eq(pl_mlet_nopen_raw(m, 1, PL_FAM_IPV4, NULL, 0x1000), 0);
	ck_assert_int_eq(pl_mlet_ncap(m, 1, PL_TIME_FOREVER, ncap->bytes + 15,
	    ncap->len - 15), 0);
	ck_assert_int_eq(pl_mlet_hostid(m, hostid, sizeof(hostid)), 0);
	ck_assert_str_eq(hostid, "pktlabme");
	ck_assert_int_eq(pl_mlet_ep_time(m, &t), 0);
	ck_assert_uint_eq(t, T_VAL);
	ck_assert_int_eq(pl_mlet_set_notifmask(m, 1, PL_NOTIF_NDATA), 0);
	ck_assert_int_eq(pl_mlet_ending(m), 0);
	ck_assert_int_eq(pl_mlet_yield(m, 60 * PL_TICKS_PER_SEC), 0);
	ck_assert_int_eq(pl_mlet_ending(m), 1);
	/* After the yield nothing more is written. */
	ck_assert_int_eq(pl_mlet_nclose(m, 1), PL_MLET_ENDED);
	ck_assert_ptr_nonnull(strstr(pl_mlet_strerror(m), "yielded"));
	shutdown(pl_mlet_fd(m), SHUT_WR);
	finish();
}
END_TEST

/*
 * Three pipelined requests; the replies come in order with notifications
 * around them, and are claimed in another order.
 */
START_TEST(test_fifo_interleaved)
{
	struct pl_msg		 req;
	struct pl_mlet_msg	*r, *n;
	uint64_t		 s1, s2, s3;
	uint8_t			 laddr[4] = { 0 }, raddr[4] = { 127, 0, 0, 1 };

	script("mlet->ep type 2a\nmlet->ep type 2b\nmlet->ep 28000006100100000008\n"
	    "ep->mlet 6100001101040617979cfe3d85cd157f0000010050\n"	/* nstat up */
	    "ep->mlet 40000000\n"					/* nopen */
	    "ep->mlet 6200001c01040617979cfe3d85cd15485454502f312e3020323030204f4b0d0a\n"
	    "ep->mlet 400000020033\n"					/* nclose */
	    "ep->mlet 6000000b0104d217979cfe3d85cd15\n"		/* ntag */
	    "ep->mlet 4100000c10010000" T_HEX "\n"			/* mdata */
	    "mlet EOF\n");
	pl_msg_nopen(&req, 1, PL_FAM_IPV4, PL_PROTO_TCP, 0x1000, laddr, 0, raddr, 80);
	ck_assert_int_eq(pl_mlet_send(m, &req, &s1), 0);
	pl_msg_nclose(&req, 7);
	ck_assert_int_eq(pl_mlet_send(m, &req, &s2), 0);
	pl_msg_mread(&req, PL_SP_TIME, 8);
	ck_assert_int_eq(pl_mlet_send(m, &req, &s3), 0);
	ck_assert(s1 != 0 && s2 != 0 && s3 != 0 && s1 != s2 && s2 != s3);

	/* The last reply first: everything before it is read and sorted. */
	ck_assert_int_eq(pl_mlet_wait_reply(m, s3, 2000, &r), 0);
	ck_assert_int_eq(r->msg.type, PL_MDATA);
	ck_assert_uint_eq(pl_get64(r->msg.u.mem.data), T_VAL);
	pl_mlet_msg_free(r);
	ck_assert_uint_eq(pl_mlet_queued(m), 3);

	ck_assert_int_eq(pl_mlet_wait_reply(m, s2, 0, &r), 0);
	ck_assert_int_eq(r->msg.type, PL_RESULT);
	ck_assert_int_eq(r->msg.u.result.errid, PL_ESKTNOTOPEN);
	pl_mlet_msg_free(r);
	ck_assert_int_eq(pl_mlet_wait_reply(m, s1, 0, &r), 0);
	ck_assert_int_eq(r->msg.u.result.errid, PL_SUCCESS);
	pl_mlet_msg_free(r);
	/* A claimed reply is gone. */
	ck_assert_int_eq(pl_mlet_wait_reply(m, s1, 0, &r), PL_MLET_INVAL);

	/* The ntag is found behind the others, which keep their order. */
	ck_assert_int_eq(pl_mlet_wait_ntag(m, 1234, 0, &n), 0);
	ck_assert_int_eq(n->msg.u.ntag.sktid, 1);
	ck_assert_uint_eq(n->msg.u.ntag.time, T_VAL);
	ck_assert(n->rxtime != 0);
	pl_mlet_msg_free(n);
	ck_assert_int_eq(pl_mlet_next(m, 0, &n), 0);
	ck_assert_int_eq(n->msg.type, PL_NSTAT);
	ck_assert_int_eq(n->msg.u.nstat.code, PL_NSTAT_ESTABLISHED);
	ck_assert_int_eq(n->msg.u.nstat.rport, 80);
	pl_mlet_msg_free(n);
	ck_assert_int_eq(pl_mlet_next(m, 0, &n), 0);
	ck_assert_int_eq(n->msg.type, PL_NDATA);
	ck_assert_uint_eq(n->msg.u.ndata.len, 17);
	ck_assert_int_eq(memcmp(n->msg.u.ndata.data, "HTTP/1.0 200 OK\r\n", 17), 0);
	pl_mlet_msg_free(n);
	ck_assert_uint_eq(pl_mlet_queued(m), 0);
	/* The nopen SUCCESS opened socket 1 for the helpers; nclose 7 did not. */
	shutdown(pl_mlet_fd(m), SHUT_WR);
	finish();
}
END_TEST

/* Typed waits pick their message and leave the rest queued in order. */
START_TEST(test_queue_match)
{
	struct pl_mlet_match	 mt;
	struct pl_mlet_msg	*n;

	script("ep->mlet 6000000b0100052222222222222222\n"		/* ntag 5 */
	    "ep->mlet 6000000b0100073333333333333333\n"			/* ntag 7 */
	    "ep->mlet 6200000d02040600000000000000016161\n"		/* ndata 2 */
	    "ep->mlet 6200000d01040600000000000000016262\n"		/* ndata 1 */
	    "ep->mlet 6100000c01040617979cfe3d85cd1503\n"		/* nstat 3 */
	    "ep->mlet 9900000142\n"					/* unknown */
	    "ep->mlet 6400000d010406000517979cfe3d85cd15\n"		/* nblock */
	    "shut\n");
	ck_assert_int_eq(pl_mlet_wait_ntag(m, 7, 2000, &n), 0);
	ck_assert_uint_eq(n->msg.u.ntag.time, 0x3333333333333333ull);
	pl_mlet_msg_free(n);
	ck_assert_int_eq(pl_mlet_wait_ndata(m, 1, 2000, &n), 0);
	ck_assert_int_eq(n->msg.u.ndata.data[0], 'b');
	pl_mlet_msg_free(n);
	ck_assert_int_eq(pl_mlet_wait_nstat(m, 1, PL_NSTAT_PEERCLOSED, 2000, &n), 0);
	pl_mlet_msg_free(n);
	ck_assert_int_eq(pl_mlet_wait_nstat(m, 1, PL_NSTAT_RESET, 2000, &n), PL_MLET_EOF);
	ck_assert_ptr_null(n);
	ck_assert_str_eq(pl_mlet_strerror(m),
	    "waiting for nstat code 1 on socket 1: endpoint closed the session");

	/* Left: ntag 5, ndata 2, the unknown type, nblock. */
	ck_assert_uint_eq(pl_mlet_queued(m), 4);
	pl_mlet_match_any(&mt);
	mt.type = PL_NBLOCK;
	n = pl_mlet_take(m, &mt);
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(n->msg.u.nblock.monerrid, 5);
	pl_mlet_msg_free(n);
	ck_assert_int_eq(pl_mlet_next(m, 0, &n), 0);
	ck_assert_int_eq(n->msg.u.ntag.tag, 5);
	pl_mlet_msg_free(n);
	ck_assert_int_eq(pl_mlet_next(m, 0, &n), 0);
	ck_assert_int_eq(n->msg.u.ndata.sktid, 2);
	pl_mlet_msg_free(n);
	ck_assert_int_eq(pl_mlet_next(m, 0, &n), 0);
	ck_assert_int_eq(n->msg.type, 0x99);
	ck_assert_int_eq(n->msg.known, 0);
	ck_assert_int_eq(n->malformed, 0);
	ck_assert_uint_eq(n->rawlen, 5);
	pl_mlet_msg_free(n);
	ck_assert_int_eq(pl_mlet_next(m, 0, &n), PL_MLET_EOF);
	finish();
}
END_TEST

START_TEST(test_timeouts)
{
	struct pl_mlet_msg	*n;
	struct timespec		 t0;
	pl_time_t		 t;
	long			 ms;

	script("quiet 150\n"
	    "mlet->ep 2b00000101\nsleep 400\nep->mlet 400000020033\n"
	    "mlet->ep 28000006100100000008\nep->mlet 4100000c10010000" T_HEX "\n"
	    "mlet EOF\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(pl_mlet_wait_ntag(m, 1, 100, &n), PL_MLET_TIMEOUT);
	ms = elapsed_ms(&t0);
	ck_assert_msg(ms >= 95 && ms < 1000, "waited %ld ms", ms);
	ck_assert_str_eq(pl_mlet_strerror(m), "waiting for ntag 1: timed out");
	ck_assert_int_eq(pl_mlet_next(m, 0, &n), PL_MLET_TIMEOUT);

	/* The nclose reply comes too late: dropped when it does come. */
	usleep(200000);
	pl_mlet_set_timeout(m, 150);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(pl_mlet_nclose(m, 1), PL_MLET_TIMEOUT);
	ms = elapsed_ms(&t0);
	ck_assert_msg(ms >= 145 && ms < 1000, "waited %ld ms", ms);
	ck_assert_int_eq(pl_mlet_ending(m), 0);
	pl_mlet_set_timeout(m, -1);
	ck_assert_int_eq(pl_mlet_ep_time(m, &t), 0);
	ck_assert_uint_eq(t, T_VAL);
	ck_assert_uint_eq(pl_mlet_queued(m), 0);
	shutdown(pl_mlet_fd(m), SHUT_WR);
	finish();
}
END_TEST

/* Input that trickles in one byte at a time. */
START_TEST(test_partial_reads)
{
	struct pl_mlet_msg	*n;
	struct pl_mlet_addr	 ra;

	script("mlet->ep type 2a\nep->mlet/slow 40000000\n"
	    "ep->mlet/slow 6100001101040617979cfe3d85cd157f0000010050\n"
	    "ep->mlet/slow 6200001c01040617979cfe3d85cd15485454502f312e3020323030204f4b0d0a\n"
	    "mlet->ep 2b00000101\nep->mlet/slow 400000020033\nmlet EOF\n");
	pl_mlet_addr_parse(&ra, "127.0.0.1", 80);
	ck_assert_int_eq(pl_mlet_nopen_tcp(m, 1, NULL, &ra, 0x1000), 0);
	ck_assert_int_eq(pl_mlet_wait_ndata(m, 1, 5000, &n), 0);
	ck_assert_uint_eq(n->msg.u.ndata.len, 17);
	pl_mlet_msg_free(n);
	ck_assert_int_eq(pl_mlet_nclose(m, 1), PL_MLET_ERRID);
	ck_assert_int_eq(pl_mlet_error(m)->errid, PL_ESKTNOTOPEN);
	ck_assert_str_eq(pl_mlet_strerror(m),
	    "nclose: endpoint answered ESKTNOTOPEN (socket not open)");
	ck_assert_int_eq(pl_mlet_wait_nstat(m, 1, PL_NSTAT_ESTABLISHED, 0, &n), 0);
	pl_mlet_msg_free(n);
	shutdown(pl_mlet_fd(m), SHUT_WR);
	finish();
}
END_TEST

START_TEST(test_malformed)
{
	struct pl_mlet_msg	*n;
	struct pl_mlet_addr	 ra;
	const struct pl_mlet_error *e = pl_mlet_error(m);

	script("mlet->ep 2b00000101\nep->mlet 4000000100\n"	/* 1-byte result */
	    "mlet->ep 2b00000101\nep->mlet 40000000\n"		/* then fine again */
	    "ep->mlet 62000003010406\n"				/* short ndata */
	    "ep->mlet 6000000b0104d217979cfe3d85cd15\n"
	    "mlet->ep type 2a\nep->mlet 4100000c10010000" T_HEX "\n" /* mdata to nopen */
	    "mlet->ep 28000006100100000008\nep->mlet 4100000c10010008" T_HEX "\n"
	    "ep->mlet 400000\nshut\n");
	ck_assert_int_eq(pl_mlet_nclose(m, 1), PL_MLET_MALFORMED);
	ck_assert_ptr_nonnull(strstr(e->text, "nclose: malformed message from pktxpmgr: "));
	ck_assert_int_eq(e->msgtype, PL_RESULT);
	ck_assert_int_eq(pl_mlet_nclose(m, 1), 0);

	ck_assert_int_eq(pl_mlet_next(m, 1000, &n), PL_MLET_MALFORMED);
	ck_assert_ptr_nonnull(strstr(e->text, "malformed message from pktxpmgr"));
	ck_assert_int_eq(e->msgtype, PL_NDATA);
	ck_assert_int_eq(pl_mlet_next(m, 1000, &n), 0);
	ck_assert_int_eq(n->msg.type, PL_NTAG);
	pl_mlet_msg_free(n);

	pl_mlet_addr_parse(&ra, "127.0.0.1", 80);
	ck_assert_int_eq(pl_mlet_nopen_tcp(m, 1, NULL, &ra, 0), PL_MLET_UNEXPECTED);
	ck_assert_str_eq(e->text, "nopen: endpoint answered mdata instead of a result");
	ck_assert_int_eq(e->msgtype, PL_MDATA);
	ck_assert_int_eq(pl_mlet_mread(m, PL_SP_TIME, &ra, 8), PL_MLET_PROTO);
	ck_assert_str_eq(e->text, "mread: endpoint answered mdata for 0x10010008, "
	    "8 bytes; the request was for 0x10010000, 8 bytes");

	/* EOF after 3 bytes of a header. */
	ck_assert_int_eq(pl_mlet_next(m, 2000, &n), PL_MLET_EOF);
	ck_assert_str_eq(e->text, "waiting for a message: endpoint closed the "
	    "session in the middle of a message (3 bytes of it received)");
	ck_assert_int_eq(pl_mlet_ending(m), 1);
	finish();
}
END_TEST

START_TEST(test_eof_while_waiting)
{
	script("mlet->ep 2b00000101\nshut\n");
	ck_assert_int_eq(pl_mlet_nclose(m, 1), PL_MLET_EOF);
	ck_assert_str_eq(pl_mlet_strerror(m), "nclose: endpoint closed the session");
	ck_assert_int_eq(pl_mlet_ending(m), 1);
	/* Nothing more is written once the session is over. */
	ck_assert_int_eq(pl_mlet_nclose(m, 1), PL_MLET_EOF);
	finish();
}
END_TEST

START_TEST(test_suspd)
{
	struct pl_mlet_msg	*n;

	script("ep->mlet 6200000d01040600000000000000016161\nep->mlet 68000000\nshut\n");
	ck_assert_int_eq(pl_mlet_wait_ntag(m, 1234, 2000, &n), PL_MLET_ENDED);
	ck_assert_str_eq(pl_mlet_strerror(m), "waiting for ntag 1234: endpoint "
	    "suspended the experiment (suspd): the session is ending");
	ck_assert_int_eq(pl_mlet_ending(m), 1);
	/* What came before, and the suspd itself, can still be read. */
	ck_assert_int_eq(pl_mlet_next(m, 0, &n), 0);
	ck_assert_int_eq(n->msg.type, PL_NDATA);
	pl_mlet_msg_free(n);
	ck_assert_int_eq(pl_mlet_next(m, 0, &n), 0);
	ck_assert_int_eq(n->msg.type, PL_SUSPD);
	pl_mlet_msg_free(n);
	ck_assert_int_eq(pl_mlet_next(m, -1, &n), PL_MLET_ENDED);
	finish();
}
END_TEST

/* ECTLBADMSG, an unsolicited setup failure, an unsolicited SUCCESS. */
START_TEST(test_ending_results)
{
	struct pl_mlet_msg	*n;

	/* The ntag comes in the same write: bytes already received are
	 * still decoded once the session is ending; nothing more is read. */
	script("mlet->ep 2b00000101\nep->mlet 400000020010 6000000b0104d217979cfe3d85cd15\n"
	    "mlet EOF\n");
	ck_assert_int_eq(pl_mlet_nclose(m, 1), PL_MLET_ERRID);
	ck_assert_int_eq(pl_mlet_error(m)->errid, PL_ECTLBADMSG);
	ck_assert_ptr_nonnull(strstr(pl_mlet_strerror(m), "; the session is ending"));
	ck_assert_int_eq(pl_mlet_ending(m), 1);
	ck_assert_int_eq(pl_mlet_wait_ntag(m, 1234, 0, &n), 0);
	pl_mlet_msg_free(n);
	ck_assert_int_eq(pl_mlet_next(m, -1, &n), PL_MLET_ENDED);
	ck_assert_int_eq(pl_mlet_nclose(m, 1), PL_MLET_ENDED);
	ck_assert_ptr_nonnull(strstr(pl_mlet_strerror(m), "ECTLBADMSG"));
	shutdown(pl_mlet_fd(m), SHUT_WR);
	finish();
}
END_TEST

/*
 * An unknown nctl command is answered ECTLBADMSG without a reset (spec
 * §4.11, §5, ERRATA 4): that reply does not end the session.
 */
START_TEST(test_nctl_badmsg_goes_on)
{
	struct pl_msg	 msg;
	uint8_t		 b;

	script("mlet->ep 2a000013010406000010000000000000007f0000010050\n"
	    "ep->mlet 40000000\n"
	    "mlet->ep 2e00000c010406000000000000000077\nep->mlet 400000020010\n"
	    "mlet->ep 28000006100200000001\nep->mlet 410000051002000001\n"
	    "mlet EOF\n");
	{
		struct pl_mlet_addr	 ra;

		ck_assert_int_eq(pl_mlet_addr_parse(&ra, "127.0.0.1", 80), 0);
		ck_assert_int_eq(pl_mlet_nopen_tcp(m, 1, NULL, &ra, 0x1000), 0);
	}
	pl_msg_nctl(&msg, 1, PL_FAM_IPV4, PL_PROTO_TCP, 0, 0x77);
	ck_assert_int_eq(pl_mlet_request(m, &msg, NULL), PL_MLET_ERRID);
	ck_assert_int_eq(pl_mlet_error(m)->errid, PL_ECTLBADMSG);
	ck_assert_int_eq(pl_mlet_ending(m), 0);
	ck_assert_int_eq(pl_mlet_mread(m, PL_SP_IP4DNSNO, &b, 1), 0);
	ck_assert_uint_eq(b, 1);
	shutdown(pl_mlet_fd(m), SHUT_WR);
	finish();
}
END_TEST

START_TEST(test_unsolicited_monukn)
{
	struct pl_mlet_msg	*n;

	script("ep->mlet 4000000400130000\n");
	ck_assert_int_eq(pl_mlet_next(m, 2000, &n), PL_MLET_ENDED);
	ck_assert_str_eq(pl_mlet_strerror(m), "waiting for a message: endpoint "
	    "reported ECTLMONUKN (monitor failed, monitor 0) with no request "
	    "outstanding, a failed experiment set-up: the session is ending");
	finish();
}
END_TEST

START_TEST(test_unsolicited_success)
{
	struct pl_mlet_msg	*n;

	script("ep->mlet 40000000\n");
	ck_assert_int_eq(pl_mlet_next(m, 2000, &n), PL_MLET_PROTO);
	ck_assert_ptr_nonnull(strstr(pl_mlet_strerror(m), "result SUCCESS with no "
	    "request outstanding"));
	finish();
}
END_TEST

/* The yield reply may be lost (ERRATA 6): EOF after the yield is success. */
START_TEST(test_yield_eof)
{
	script("mlet->ep 230000080000000df8475800\nshut\n");
	ck_assert_int_eq(pl_mlet_yield(m, 60 * PL_TICKS_PER_SEC), 0);
	ck_assert_int_eq(pl_mlet_ending(m), 1);
	finish();
}
END_TEST

/*
 * The peer writes 2 MiB of ndata before it reads anything, while the mlet
 * writes a 2 MiB nsend: a writer that does not read deadlocks here.
 */
START_TEST(test_write_while_flooded)
{
	enum { CHUNK = 4096, COUNT = 512, BIG = 2 << 20 };
	struct pl_mlet_addr	 ra;
	struct pl_mlet_msg	*n;
	uint8_t			*flood, *big;
	size_t			 i, got = 0, bytes = 0;

	flood = calloc(COUNT, CHUNK + 15);
	big = calloc(1, BIG);
	ck_assert(flood != NULL && big != NULL);
	for (i = 0; i < COUNT; i++) {
		uint8_t	*q = flood + i * (CHUNK + 15);

		q[0] = PL_NDATA;
		q[1] = 0;
		q[2] = (CHUNK + 11) >> 8;
		q[3] = (CHUNK + 11) & 0xff;
		q[4] = 1;
		q[5] = PL_FAM_IPV4;
		q[6] = PL_PROTO_TCP;
		memset(q + 15, (int)i, CHUNK);
	}
	peer_expect_type(p, PL_NOPEN);
	peer_send(p, "40000000");
	peer_send_bytes(p, flood, (size_t)COUNT * (CHUNK + 15));
	peer_expect_type(p, PL_NSEND);
	peer_send(p, "40000000");
	peer_expect_eof(p);
	ck_assert_int_eq(peer_start(p, 20000), 0);

	pl_mlet_addr_parse(&ra, "127.0.0.1", 80);
	ck_assert_int_eq(pl_mlet_nopen_tcp(m, 1, NULL, &ra, 0x1000), 0);
	pl_mlet_set_timeout(m, 20000);
	ck_assert_int_eq(pl_mlet_nsend(m, 1, 0, 0, big, BIG), 0);
	while (pl_mlet_next(m, 0, &n) == 0) {
		ck_assert_int_eq(n->msg.u.ndata.data[0], (uint8_t)got);
		bytes += n->msg.u.ndata.len;
		got++;
		pl_mlet_msg_free(n);
	}
	ck_assert_uint_eq(got, COUNT);
	ck_assert_uint_eq(bytes, (size_t)COUNT * CHUNK);
	shutdown(pl_mlet_fd(m), SHUT_WR);
	finish();
	free(flood);
	free(big);
}
END_TEST

START_TEST(test_vmem_facts)
{
	struct pl_mlet_laddr	 la[4];
	struct pl_mlet_addr	 dns[4];
	struct pl_mlet_sktinfo	 si;
	uint8_t			 big[0x10005], blk[0x80], *md;
	char			 ip[PL_MLET_ADDRSTRLEN], hex[2 * sizeof(blk) + 1];
	uint32_t		 mask, max, used;
	size_t			 n, i;

	memset(blk, 0, sizeof(blk));
	blk[0] = 4; blk[1] = 6; blk[2] = 0xfe;				/* RESET */
	memcpy(blk + 0x10, "\x7f\x00\x00\x01", 4);
	memcpy(blk + 0x20, "\xc0\x00\x02\x07", 4);
	blk[0x30] = 0xc3; blk[0x31] = 0x50;				/* 50000 */
	blk[0x33] = 80;
	pl_put32(blk + 0x40, 0x1000);
	pl_put32(blk + 0x44, 0x20);
	pl_put32(blk + 0x50, 7);
	pl_put32(blk + 0x54, 2);
	blk[0x60] = 4;
	pl_put16(blk + 0x61, 1234);
	pl_put16(blk + 0x70, 0x0008);
	for (i = 0; i < sizeof(blk); i++)
		snprintf(hex + 2 * i, 3, "%02x", blk[i]);

	peer_expect(p, "28000006 10000002 0004");
	peer_send(p, "41000008 10000002 00000007");
	peer_expect(p, "28000006 10010010 0008");
	peer_send(p, "4100000c 10010010 00800000 00000123");
	peer_expect(p, "28000006 10000000 0001");		/* IP4NO */
	peer_send(p, "41000005 10000000 03");
	peer_expect(p, "28000006 10000100 0010");		/* 2 of 3 entries */
	peer_send(p, "41000014 10000100 7f000001ff000000 c0000207ffffff00");
	peer_expect(p, "28000006 10020000 0001");		/* IP4DNSNO */
	peer_send(p, "41000005 10020000 01");
	peer_expect(p, "28000006 10020010 0004");		/* only the one entry */
	peer_send(p, "41000008 10020010 09090909");
	peer_expect(p, "28000006 20000400 0080");
	peer_send(p, "41000084 20000400");
	peer_send(p, hex);
	/* mread over 0xFFFF bytes: split in two. */
	peer_expect(p, "28000006 10000000 ffff");
	md = calloc(1, 8 + 0xFFFF);
	ck_assert_ptr_nonnull(md);
	pl_put32(md, (uint32_t)PL_MDATA << 24 | (4 + 0xFFFF));
	pl_put32(md + 4, 0x10000000);
	md[8] = 0xaa;
	md[8 + 0xFFFE] = 0xbb;
	peer_send_bytes(p, md, 8 + 0xFFFF);
	free(md);
	peer_expect(p, "28000006 1000ffff 0006");
	peer_send(p, "4100000a 1000ffff ccdd00000000");
	ck_assert_int_eq(peer_start(p, STEP_MS), 0);

	ck_assert_int_eq(pl_mlet_transsup(m, &mask), 0);
	ck_assert_uint_eq(mask, PL_TRANSSUP_RAW | PL_TRANSSUP_TCP | PL_TRANSSUP_UDP);
	ck_assert_int_eq(pl_mlet_bufinfo(m, &max, &used), 0);
	ck_assert_uint_eq(max, PL_BUFMAX_DEFAULT);
	ck_assert_uint_eq(used, 0x123);
	ck_assert_int_eq(pl_mlet_local_addrs(m, PL_FAM_IPV4, la, 2, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(pl_mlet_addr_ntop(&la[1].addr, ip, sizeof(ip)), "192.0.2.7");
	ck_assert_int_eq(la[1].netmask[3], 0);
	ck_assert_int_eq(la[0].netmask[0], 0xff);
	ck_assert_int_eq(pl_mlet_dns_servers(m, PL_FAM_IPV4, dns, 4, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(pl_mlet_addr_ntop(&dns[0], ip, sizeof(ip)), "9.9.9.9");
	ck_assert_int_eq(dns[0].port, 53);
	ck_assert_int_eq(pl_mlet_sktinfo(m, 1, &si), 0);
	ck_assert_int_eq(si.family, 4);
	ck_assert_int_eq(si.proto, 6);
	ck_assert_int_eq(si.state, PL_SKTST_RESET);
	ck_assert_str_eq(pl_mlet_addr_ntop(&si.laddr, ip, sizeof(ip)), "127.0.0.1");
	ck_assert_str_eq(pl_mlet_addr_ntop(&si.raddr, ip, sizeof(ip)), "192.0.2.7");
	ck_assert_int_eq(si.laddr.port, 50000);
	ck_assert_int_eq(si.raddr.port, 80);
	ck_assert_uint_eq(si.rbufsz, 0x1000);
	ck_assert_uint_eq(si.rbufused, 0x20);
	ck_assert_uint_eq(si.dropbytes, 7);
	ck_assert_uint_eq(si.droppkts, 2);
	ck_assert_int_eq(si.nsenderr, PL_NSENDERR_RESET);
	ck_assert_int_eq(si.nsenderrtag, 1234);
	ck_assert_int_eq(si.notifmask, PL_NOTIF_NDATA);

	ck_assert_int_eq(pl_mlet_mread(m, PL_VMEM_SYSPARAM, big, 0x10005), 0);
	ck_assert_int_eq(big[0], 0xaa);
	ck_assert_int_eq(big[0xFFFE], 0xbb);
	ck_assert_int_eq(big[0xFFFF], 0xcc);
	ck_assert_int_eq(big[0x10000], 0xdd);
	shutdown(pl_mlet_fd(m), SHUT_WR);
	finish();
}
END_TEST

/* Mistakes are caught before anything goes out. */
START_TEST(test_invalid_args)
{
	struct pl_mlet_addr	 ra, l6;
	uint8_t			 b[16];

	script("quiet 200\n");
	ck_assert_int_eq(pl_mlet_nsend(m, 3, 0, 0, "x", 1), PL_MLET_INVAL);
	ck_assert_str_eq(pl_mlet_strerror(m), "nsend: socket 3 was not opened in "
	    "this session");
	ck_assert_int_eq(pl_mlet_nopen_tcp(m, 1, NULL, NULL, 0), PL_MLET_INVAL);
	pl_mlet_addr_parse(&ra, "127.0.0.1", 80);
	pl_mlet_addr_parse(&l6, "::1", 0);
	ck_assert_int_eq(pl_mlet_nopen_tcp(m, 1, &l6, &ra, 0), PL_MLET_INVAL);
	ck_assert_int_eq(pl_mlet_nopen_udp(m, 1, 5, NULL, 0), PL_MLET_INVAL);
	ck_assert_int_eq(pl_mlet_mread(m, 0xFFFFFFF0u, b, 16), PL_MLET_INVAL);
	ck_assert_int_eq(pl_mlet_mread(m, 0, b, 0), PL_MLET_INVAL);
	ck_assert_int_eq(pl_mlet_mwrite(m, 0xFFFFFFFFu, b, 1), PL_MLET_INVAL);
	ck_assert_int_eq(pl_mlet_local_addrs(m, 0, NULL, 0, &(size_t){0}),
	    PL_MLET_INVAL);
	ck_assert_int_eq(pl_mlet_wait_reply(m, 42, 0, &(struct pl_mlet_msg *){0}),
	    PL_MLET_INVAL);
	{
		struct pl_msg	 n;

		pl_msg_empty(&n, PL_SUSPD);
		ck_assert_int_eq(pl_mlet_request(m, &n, NULL), PL_MLET_INVAL);
		ck_assert_str_eq(pl_mlet_strerror(m), "suspd: not a request, it gets "
		    "no reply (use pl_mlet_send)");
	}
	finish();
}
END_TEST

START_TEST(test_socket_rules)
{
	struct pl_mlet_addr	 ra;
	uint8_t			 prog[9] = { 0 };

	script("mlet->ep type 2a\nep->mlet 40000000\n"
	    "mlet->ep type 2a\nep->mlet 40000000\n"
	    "mlet->ep 2b00000102\nep->mlet 400000020033\nquiet 200\n");
	pl_mlet_addr_parse(&ra, "127.0.0.1", 80);
	ck_assert_int_eq(pl_mlet_nopen_tcp(m, 1, NULL, &ra, 0), 0);
	ck_assert_int_eq(pl_mlet_ncap(m, 1, PL_TIME_FOREVER, prog, sizeof(prog)),
	    PL_MLET_INVAL);
	ck_assert_str_eq(pl_mlet_strerror(m), "ncap: socket 1 is not a RAW socket");
	ck_assert_int_eq(pl_mlet_nsend_to(m, 1, 0, 0, &ra, "x", 1), PL_MLET_INVAL);
	ck_assert_int_eq(pl_mlet_nopen_udp(m, 2, PL_FAM_IPV4, NULL, 0), 0);
	ck_assert_int_eq(pl_mlet_nsend(m, 2, 0, 0, "x", 1), PL_MLET_INVAL);
	ck_assert_int_eq(pl_mlet_tcp_fin(m, 2, 0), PL_MLET_INVAL);
	/* ESKTNOTOPEN on nclose still frees the slot here. */
	ck_assert_int_eq(pl_mlet_nclose(m, 2), PL_MLET_ERRID);
	ck_assert_int_eq(pl_mlet_nsend_to(m, 2, 0, 0, &ra, "x", 1), PL_MLET_INVAL);
	ck_assert_str_eq(pl_mlet_strerror(m), "nsend: socket 2 was not opened in "
	    "this session");
	finish();
}
END_TEST

START_TEST(test_new_errors)
{
	int	 sv[2], fd;

	ck_assert_ptr_null(pl_mlet_new(-1, NULL));
	ck_assert_int_eq(errno, EBADF);
	fd = open("/dev/null", O_RDONLY);
	ck_assert_ptr_null(pl_mlet_new(fd, NULL));
	ck_assert_int_eq(errno, ENOTSOCK);
	close(fd);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	ck_assert_ptr_null(pl_mlet_new(sv[0], NULL));
	ck_assert_int_eq(errno, EPROTOTYPE);
	close(sv[0]);
	close(sv[1]);
	unsetenv("EPADDR");
	ck_assert_ptr_null(pl_mlet_from_env());
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(pl_mlet_epaddr(m), "127.0.0.1");
	ck_assert_str_eq(pl_mlet_strerror(m), "no error");
}
END_TEST

START_TEST(test_addr)
{
	struct pl_mlet_addr	 a;
	char			 b[PL_MLET_ADDRSTRLEN];

	ck_assert_int_eq(pl_mlet_addr_parse(&a, "2001:db8::7", 53), 0);
	ck_assert_int_eq(a.family, PL_FAM_IPV6);
	ck_assert_int_eq(a.port, 53);
	ck_assert_str_eq(pl_mlet_addr_ntop(&a, b, sizeof(b)), "2001:db8::7");
	ck_assert_int_eq(pl_mlet_addr_parse(&a, "localhost", 0), -1);
	ck_assert_int_eq(pl_mlet_addr_parse(&a, "1.2.3", 0), -1);
	a.family = 9;
	ck_assert_str_eq(pl_mlet_addr_ntop(&a, b, sizeof(b)), "?");
}
END_TEST

START_TEST(test_singleton_recv)
{
	struct pl_mlet_error	 err;
	char			 addr[PL_MLET_EPADDR_MAX], c;
	int			 ctl[2], ep1[2], ep2[2], two[2], fd;
	char			 longaddr[61];

	ck_assert_int_eq(peer_socketpair(ctl), 0);
	ck_assert_int_eq(peer_socketpair(ep1), 0);
	ck_assert_int_eq(peer_socketpair(ep2), 0);
	/* Two hand-overs queued back to back are read apart. */
	ck_assert_int_eq(peer_handoff(ctl[1], "127.0.0.1", 10, ep1[0]), 0);
	ck_assert_int_eq(peer_handoff(ctl[1], "", 1, ep2[0]), 0);
	ck_assert_int_eq(pl_mlet_recv_endpoint(ctl[0], &fd, addr, &err), 1);
	ck_assert_str_eq(addr, "127.0.0.1");
	ck_assert_int_gt(fd, 2);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(write(fd, "A", 1), 1);
	ck_assert_int_eq(read(ep1[1], &c, 1), 1);
	ck_assert_int_eq(c, 'A');
	close(fd);
	ck_assert_int_eq(pl_mlet_recv_endpoint(ctl[0], &fd, addr, &err), 1);
	ck_assert_str_eq(addr, "");
	ck_assert_int_eq(write(fd, "B", 1), 1);
	ck_assert_int_eq(read(ep2[1], &c, 1), 1);
	ck_assert_int_eq(c, 'B');
	close(fd);

	/* An address without a descriptor. */
	ck_assert_int_eq(peer_handoff(ctl[1], "10.0.0.1", 9, -1), 0);
	ck_assert_int_eq(pl_mlet_recv_endpoint(ctl[0], &fd, addr, &err), PL_MLET_NOFD);
	ck_assert_int_eq(err.code, PL_MLET_NOFD);
	ck_assert_str_eq(err.text, "endpoint address \"10.0.0.1\" came without a descriptor");

	/* Two descriptors. */
	two[0] = ep1[0];
	two[1] = ep2[0];
	ck_assert_int_eq(peer_handoff_fds(ctl[1], "::1", 4, two, 2), 0);
	ck_assert_int_eq(pl_mlet_recv_endpoint(ctl[0], &fd, addr, &err), PL_MLET_PROTO);
	ck_assert_ptr_nonnull(strstr(err.text, "2 descriptors"));

	/* Over 46 bytes. */
	memset(longaddr, 'a', 60);
	longaddr[60] = '\0';
	ck_assert_int_eq(peer_handoff(ctl[1], longaddr, 61, ep1[0]), 0);
	ck_assert_int_eq(pl_mlet_recv_endpoint(ctl[0], &fd, addr, &err), PL_MLET_TOOLONG);
	ck_assert_ptr_nonnull(strstr(err.text, "is longer than 45 bytes"));
	close(ctl[0]);
	close(ctl[1]);

	/* Cut off in the middle, then a clean EOF. */
	ck_assert_int_eq(peer_socketpair(ctl), 0);
	ck_assert_int_eq(peer_handoff(ctl[1], "127.0", 5, -1), 0);
	shutdown(ctl[1], SHUT_WR);
	ck_assert_int_eq(pl_mlet_recv_endpoint(ctl[0], &fd, addr, &err), PL_MLET_PROTO);
	ck_assert_str_eq(err.text, "pktxpmgr closed the socket in the middle of an "
	    "endpoint address");
	close(ctl[0]);
	close(ctl[1]);
	ck_assert_int_eq(peer_socketpair(ctl), 0);
	shutdown(ctl[1], SHUT_WR);
	ck_assert_int_eq(pl_mlet_recv_endpoint(ctl[0], &fd, addr, &err), 0);
	ck_assert_int_eq(pl_mlet_recv_endpoint(-1, &fd, addr, &err), PL_MLET_SYS);
	ck_assert_int_eq(err.sys_errno, EBADF);
	close(ctl[0]);
	close(ctl[1]);
}
END_TEST

/* With fd 0 closed the descriptor lands on 0: refused, and closed. */
START_TEST(test_singleton_badfd)
{
	struct pl_mlet_error	 err;
	char			 addr[PL_MLET_EPADDR_MAX];
	int			 ctl[2], ep[2], fd;

	ck_assert_int_eq(peer_socketpair(ctl), 0);
	ck_assert_int_eq(peer_socketpair(ep), 0);
	ck_assert_int_eq(peer_handoff(ctl[1], "::1", 4, ep[0]), 0);
	close(0);
	ck_assert_int_eq(pl_mlet_recv_endpoint(ctl[0], &fd, addr, &err), PL_MLET_BADFD);
	ck_assert_int_eq(fd, 0);
	ck_assert_int_eq(fcntl(0, F_GETFD), -1);
	ck_assert_str_eq(addr, "::1");
}
END_TEST

static Suite *
mlet_suite(void)
{
	Suite	*s = suite_create("mlet");
	TCase	*tc = tcase_create("session");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_request_bytes);
	tcase_add_test(tc, test_fifo_interleaved);
	tcase_add_test(tc, test_queue_match);
	tcase_add_test(tc, test_timeouts);
	tcase_add_test(tc, test_partial_reads);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_eof_while_waiting);
	tcase_add_test(tc, test_suspd);
	tcase_add_test(tc, test_ending_results);
	tcase_add_test(tc, test_nctl_badmsg_goes_on);
	tcase_add_test(tc, test_unsolicited_monukn);
	tcase_add_test(tc, test_unsolicited_success);
	tcase_add_test(tc, test_yield_eof);
	tcase_add_test(tc, test_write_while_flooded);
	tcase_add_test(tc, test_vmem_facts);
	tcase_add_test(tc, test_invalid_args);
	tcase_add_test(tc, test_socket_rules);
	tcase_add_test(tc, test_new_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("standalone");
	tcase_add_test(tc, test_addr);
	tcase_add_test(tc, test_singleton_recv);
	tcase_add_test(tc, test_singleton_badfd);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ct_run(mlet_suite());
}
