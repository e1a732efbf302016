/*
 * test_endpoint_session.c: the real pktlab-endpoint driven by a scripted
 * controller over TLS on loopback (tests/lib/ep_ctl.c): every request type
 * on its happy and error paths, a TCP fetch from a local HTTP server, UDP
 * exchanges over IPv4 and IPv6, the chain's limits, time-scheduled sends,
 * the notification mask, flow control and back-pressure.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pktlab/prog.h>
#include <pktlab/vmem.h>
#include <pktlab/wire.h>

#include "cred/cred.h"
#include "ep_ctl.h"
#include "ctrun.h"

static const uint8_t	 lo4[4] = { 127, 0, 0, 1 };
static const uint8_t	 any4[4];
static const uint8_t	 lo6[16] = { [15] = 1 };
static const uint8_t	 any6[16];

/* Scheduled sends must leave within this much of their time. */
#define TOLERANCE_NS	(50 * 1000000ull)

static void
nopen_tcp(struct ep_ctl *c, uint8_t id, uint16_t port, uint32_t rbufsz)
{
	struct pl_msg	 m;

	pl_msg_nopen(&m, id, PL_FAM_IPV4, PL_PROTO_TCP, rbufsz, any4, 0, lo4, port);
	ep_ctl_send(c, &m);
}

static void
nopen_udp(struct ep_ctl *c, uint8_t id, uint8_t fam)
{
	struct pl_msg	 m;

	pl_msg_nopen(&m, id, fam, PL_PROTO_UDP, 0x1000, fam == PL_FAM_IPV4 ?
	    any4 : any6, 0, NULL, 0);
	ep_ctl_send(c, &m);
}

static void
sendreq(struct ep_ctl *c, uint8_t id, uint8_t fam, uint8_t proto, pl_time_t t,
    uint16_t tag, const uint8_t *raddr, uint16_t rport, const void *data,
    size_t len)
{
	struct pl_msg	 m;

	pl_msg_nsend(&m, id, fam, proto, t, tag, raddr, rport, data, len);
	ep_ctl_send(c, &m);
}

static int8_t
skt_state(struct ep_ctl *c, uint8_t id)
{
	uint8_t	 b;

	ep_ctl_mread(c, pl_sktinfo_addr(id, PL_SKT_STATE), 1, &b);
	return (int8_t)b;
}

/* Poll a socket's state until it is want or 5 s passed; returns the last one. */
static int8_t
wait_state(struct ep_ctl *c, uint8_t id, int8_t want)
{
	int8_t	 st;
	int	 i;

	for (i = 0; i < 250 && (st = skt_state(c, id)) != want; i++)
		usleep(20000);
	return st;
}

/* Poll a 32-bit memory word until it is want or 5 s passed; returns the last value. */
static uint32_t
wait_u32(struct ep_ctl *c, uint32_t addr, uint32_t want)
{
	uint8_t		 b[4];
	uint32_t	 v;
	int		 i;

	for (i = 0; i < 250; i++) {
		ep_ctl_mread(c, addr, 4, b);
		if ((v = pl_get32(b)) == want)
			break;
		usleep(20000);
	}
	return v;
}

static void
finish_ok(struct ep_ctl *c)
{
	int	 st;

	ep_ctl_hangup(c);
	st = ep_ctl_exit(c, 10000);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "endpoint exit status %d (log %s)", st, c->log);
	ep_ctl_free(c);
}

/*
 * The very next message, whatever its type (nothing stashed may come
 * first): how 1.1.0's pktxpmgr reads the start reply and test_dns reads
 * the reply to each request.
 */
static void
next_is(struct ep_ctl *c, uint8_t type, const char *what, struct ep_rx *rx)
{
	ck_assert_msg(c->nstash == 0, "%s: %zu message(s) stashed before it", what,
	    c->nstash);
	ck_assert_msg(ep_ctl_wait(c, 0, -1, 5000, rx) == 1, "%s: nothing came", what);
	ck_assert_msg(rx->m.type == type, "%s: got type 0x%02x, want 0x%02x", what,
	    rx->m.type, type);
}

static void
next_result(struct ep_ctl *c, const char *what)
{
	struct ep_rx	 rx;

	next_is(c, PL_RESULT, what, &rx);
	ck_assert_msg(rx.m.u.result.errid == PL_SUCCESS && rx.m.bodylen == 0,
	    "%s: errid 0x%04x, body %u bytes", what, rx.m.u.result.errid,
	    rx.m.bodylen);
	ep_rx_free(&rx);
}

/* The endpoint closes the connection (no further message) and exits with status. */
static void
expect_end(struct ep_ctl *c, int status)
{
	struct ep_rx	 rx;
	int		 st;

	ck_assert_int_eq(ep_ctl_wait(c, 0, -1, 5000, &rx), 0);
	st = ep_ctl_exit(c, 5000);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == status,
	    "endpoint exit status %d, expected exit(%d) (log %s)", st, status, c->log);
}

/* ---- SETUP ---- */

START_TEST(setup_phase)
{
	struct ep_ctl	 c;
	struct pl_msg	 m;
	uint8_t		 prog[] = { PL_PROG_WASM, 0, 'a', 's', 'm', 1, 0, 0, 0 };

	ep_ctl_start(&c, NULL);
	pl_msg_mread(&m, PL_SP_TIME, 8);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ECTLNOTSUP, "mread in SETUP");
	pl_msg_cdata(&m, "program", prog, sizeof(prog));
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ECRTBADHINT, "cdata with hint \"program\"");
	pl_msg_cdata(&m, "filter", prog, sizeof(prog));
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ECRTBADHDAT, "filter cdata");
	pl_msg_cdata(&m, "monitor", prog, sizeof(prog));
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ECRTBADHDAT, "monitor the chain does not list");
	pl_msg_cdata(&m, "monitor", (const uint8_t *)"\x07xyz", 4);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ECRTBADHDAT, "program of unknown type");
	ep_ctl_begin(&c);
	pl_msg_start(&m);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ECTLNOTSUP, "second start");
	pl_msg_empty(&m, PL_END);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ECTLNOTSUP, "end");
	pl_msg_empty(&m, PL_CONT);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ECTLNOTSUP, "cont");
	pl_msg_cdata(&m, "monitor", prog, sizeof(prog));
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ECTLNOTSUP, "cdata after start");
	pl_msg_raw(&m, 0x9a, (const uint8_t *)"zz", 2);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ECTLNOTSUP, "unknown type 0x9a");
	pl_msg_result(&m, 0);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ECTLNOTSUP, "a result sent to the endpoint");
	finish_ok(&c);
}
END_TEST

START_TEST(setup_timeout_silent)
{
	struct ep_ctl	 c;
	struct ep_ctl_opts o = { .conf_extra = "SetupTimeout 300ms" };

	ep_ctl_start(&c, &o);
	expect_end(&c, 1);
	ck_assert(ep_ctl_log_has(&c, "no start within the setup window"));
	ep_ctl_free(&c);
}
END_TEST

START_TEST(malformed_resets)
{
	struct ep_ctl	 c;
	/* nopen with family 5: malformed. */
	const uint8_t	 bad[] = { 0x2a, 0, 0, 13, 1, 5, 0x11, 0, 0, 0x10, 0,
	    0, 0, 0, 0, 0, 0 };

	ep_ctl_start(&c, NULL);
	ep_ctl_begin(&c);
	ep_ctl_send_raw(&c, bad, sizeof(bad));
	ep_ctl_expect(&c, PL_ECTLBADMSG, "malformed nopen");
	expect_end(&c, 1);
	ck_assert(ep_ctl_log_has(&c, "malformed message from the controller"));
	ep_ctl_free(&c);
}
END_TEST

/* §2: EOF in the middle of a message is an error, not a normal end. */
START_TEST(eof_mid_message)
{
	struct ep_ctl	 c;
	int		 st;

	ep_ctl_start(&c, NULL);
	ep_ctl_begin(&c);
	/* An mread whose header announces 6 body bytes; 2 come. */
	ep_ctl_send_raw(&c, (const uint8_t *)"\x28\0\0\x06\x10\x02", 6);
	ep_ctl_hangup(&c);
	st = ep_ctl_exit(&c, 10000);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1,
	    "endpoint exit status %d, expected exit(1) (log %s)", st, c.log);
	ck_assert(ep_ctl_log_has(&c, "in the middle of a message (6 of 10 bytes "
	    "received)"));
	ep_ctl_free(&c);
}
END_TEST

START_TEST(monitors_required)
{
	struct ep_ctl	 c;
	struct ep_ctl_opts o;
	struct pl_msg	 m;
	struct ep_rx	 rx;
	uint8_t		 prog[] = { PL_PROG_WASM, 0, 'a', 's', 'm', 1, 0, 0, 0 };
	uint8_t		 d[CRED_DIGEST_LEN];
	char		 hex[65], limits[128];
	int		 i;

	cred_prog_digest(prog, sizeof(prog), d);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	snprintf(limits, sizeof(limits), "monitor=%s;", hex);
	memset(&o, 0, sizeof(o));
	o.limits = limits;

	/* start before the program: ECRTNOHDAT, then the end. */
	ep_ctl_start(&c, &o);
	pl_msg_start(&m);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ECRTNOHDAT, "start without the monitor");
	expect_end(&c, 1);
	ep_ctl_free(&c);

	/* With it: cdata is accepted, the monitor cannot run: ECTLMONUKN(0). */
	ep_ctl_start(&c, &o);
	pl_msg_cdata(&m, "monitor", prog, sizeof(prog));
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_SUCCESS, "listed monitor");
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_SUCCESS, "the same monitor again");
	pl_msg_start(&m);
	ep_ctl_send(&c, &m);
	ck_assert_int_eq(ep_ctl_wait(&c, PL_RESULT, -1, 5000, &rx), 1);
	ck_assert_uint_eq(rx.m.u.result.errid, PL_ECTLMONUKN);
	ck_assert_uint_eq(rx.m.u.result.monindx, 0);
	ck_assert_uint_eq(rx.m.bodylen, 4);
	ep_rx_free(&rx);
	expect_end(&c, 1);
	ep_ctl_free(&c);
}
END_TEST

/*
 * The order of what the endpoint sends, message by message, as the 1.1.0
 * readers see it (vectors section C, §12.4): pktxpmgr aborts on anything
 * but result SUCCESS after start; test_dns reads exactly one message after
 * nopen, nsend and nclose and needs it to be the result, so a send's ntag
 * and the answer's ndata come after its result; test_http_get's loop sees
 * ntag, ndata and finally nstat PEERCLOSED.
 */
START_TEST(transcript_order)
{
	static const char body[] = "<p>order</p>";
	struct ep_ctl	 c;
	struct ep_srv	*udp = ep_srv_udp_echo(AF_INET);
	struct ep_srv	*http = ep_srv_http(AF_INET, body, sizeof(body) - 1);
	struct ep_rx	 rx;
	struct pl_msg	 m;
	const char	 q[] = "\xbe\x15\x01\x00 query";
	const char	*get = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	int		 ndata = 0;

	ep_ctl_start(&c, NULL);
	pl_msg_start(&m);
	ep_ctl_send(&c, &m);
	next_result(&c, "start");
	ck_assert(!ep_ctl_sees(&c, 0, -1, 200));		/* no linfo, nothing */

	/* test_dns */
	nopen_udp(&c, 1, PL_FAM_IPV4);
	next_result(&c, "nopen UDP");
	sendreq(&c, 1, PL_FAM_IPV4, PL_PROTO_UDP, 0, 1234, lo4, ep_srv_port(udp), q,
	    sizeof(q) - 1);
	next_result(&c, "nsend UDP");
	next_is(&c, PL_NTAG, "ntag after the nsend result", &rx);
	ck_assert_uint_eq(rx.m.bodylen, 11);
	ck_assert_uint_eq(rx.m.u.ntag.tag, 1234);
	ep_rx_free(&rx);
	next_is(&c, PL_NDATA, "ndata of the answer", &rx);
	ck_assert_uint_eq(rx.m.u.ndata.sktid, 1);
	ck_assert_uint_eq(rx.m.u.ndata.len, sizeof(q) - 1);
	ck_assert(rx.m.u.ndata.time >= rx.at - 5 * 1000000000ull && rx.m.u.ndata.time <= rx.at);
	ep_rx_free(&rx);
	pl_msg_nclose(&m, 1);
	ep_ctl_send(&c, &m);
	next_result(&c, "nclose UDP");

	/* test_http_get */
	nopen_tcp(&c, 1, ep_srv_port(http), 0x1000);
	next_result(&c, "nopen TCP");
	next_is(&c, PL_NSTAT, "nstat ESTABLISHED after the nopen result", &rx);
	ck_assert_uint_eq(rx.m.bodylen, 17);
	ep_rx_free(&rx);
	sendreq(&c, 1, PL_FAM_IPV4, PL_PROTO_TCP, 0, 1234, NULL, 0, get, strlen(get));
	next_result(&c, "nsend TCP");
	next_is(&c, PL_NTAG, "ntag after the nsend result", &rx);
	ck_assert_uint_eq(rx.m.u.ntag.tag, 1234);
	ck_assert(!rx.m.u.ntag.has_errid);
	ep_rx_free(&rx);
	for (;;) {
		ck_assert_int_eq(ep_ctl_wait(&c, 0, -1, 5000, &rx), 1);
		if (rx.m.type != PL_NDATA)
			break;
		ndata++;
		ep_rx_free(&rx);
	}
	ck_assert_int_gt(ndata, 0);
	ck_assert_uint_eq(rx.m.type, PL_NSTAT);
	ck_assert_uint_eq(rx.m.bodylen, 12);
	ck_assert_uint_eq(rx.m.u.nstat.code, PL_NSTAT_PEERCLOSED);
	ep_rx_free(&rx);
	pl_msg_nclose(&m, 1);
	ep_ctl_send(&c, &m);
	next_result(&c, "nclose TCP");
	ck_assert(!ep_ctl_sees(&c, 0, -1, 200));
	finish_ok(&c);
	ep_srv_stop(udp);
	ep_srv_stop(http);
}
END_TEST

/* ---- memory ---- */

START_TEST(vmem_sysparam)
{
	struct ep_ctl	 c;
	struct ep_ctl_opts o = { .conf_extra = "BufMax 65536" };
	struct pl_msg	 m;
	uint8_t		 b[0x100];
	const uint8_t	 hdrmod[12] = { 0, 0, 0, 1, 2, 0, 0, 0, 0, 1, 2, 0 };
	pl_time_t	 before, t;

	ep_ctl_start(&c, &o);
	ep_ctl_begin(&c);
	ep_ctl_mread(&c, PL_SP_IP4NO, 10, b);
	ck_assert_uint_eq(b[0], 1);				/* IP4NO */
	ck_assert_uint_eq(b[1], 1);				/* IP6NO */
	ck_assert_uint_eq(pl_get32(b + 2), PL_TRANSSUP_TCP | PL_TRANSSUP_UDP);
	ck_assert_uint_eq(pl_get32(b + 6), 65536);		/* BUFMAX copy */
	ep_ctl_mread(&c, PL_SP_IP4LS, 8, b);
	ck_assert_mem_eq(b, "\x7f\0\0\x01\xff\0\0\0", 8);
	ep_ctl_mread(&c, PL_SP_IP6LS, 16, b);
	ck_assert_mem_eq(b, lo6, 16);
	before = pl_time_now();
	ep_ctl_mread(&c, PL_SP_TIME, 8, b);
	t = pl_get64(b);
	ck_assert_msg(t >= before && t <= pl_time_now(), "TIME not current");
	ep_ctl_mread(&c, PL_SP_BUFMAX, 8, b);
	ck_assert_uint_eq(pl_get32(b), 65536);
	ck_assert_uint_eq(pl_get32(b + 4), 0);			/* BUFUSED */
	ep_ctl_mread(&c, PL_SP_IP4DNSNO, 2, b);
	ck_assert_uint_eq(b[0], 1);
	ck_assert_uint_eq(b[1], 1);
	/* pktif's quirky 0x40-byte read of the IPv4 DNS list. */
	ep_ctl_mread(&c, PL_SP_IP4DNSLS, 0x40, b);
	ck_assert_mem_eq(b, "\x7f\0\0\x35\0\0\0\0", 8);
	ep_ctl_mread(&c, PL_SP_IP6DNSLS, 16, b);
	ck_assert_mem_eq(b, lo6, 16);
	ep_ctl_mread(&c, PL_SP_IP4HDRMOD, 12, b);
	ck_assert_mem_eq(b, hdrmod, 12);
	ep_ctl_mread(&c, PL_SP_HOSTID, 0x100, b);
	ck_assert_str_eq((char *)b, "ep-test-host");
	ck_assert_uint_eq(b[0xff], 0);
	ep_ctl_mread(&c, PL_SP_OSINFO, 0x20, b);
	ck_assert_mem_eq(b, (uint8_t[0x20]){ 0 }, 0x20);
	/* Unmapped, and a read that starts in a gap: zeros. */
	memset(b, 0xee, sizeof(b));
	ep_ctl_mread(&c, 0x40000000, 16, b);
	ck_assert_mem_eq(b, (uint8_t[16]){ 0 }, 16);
	ep_ctl_mread(&c, PL_VMEM_SYSPARAM - 4, 8, b);
	ck_assert_mem_eq(b, (uint8_t[8]){ 0 }, 8);
	/* mwrite to read-only memory: SUCCESS and no effect. */
	pl_msg_mwrite(&m, PL_SP_BUFMAX, (const uint8_t *)"\0\0\0\1", 4);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_SUCCESS, "mwrite to SYSPARAM");
	ep_ctl_mread(&c, PL_SP_BUFMAX, 4, b);
	ck_assert_uint_eq(pl_get32(b), 65536);
	/* mwrite to a FREE socket: ignored. */
	pl_msg_mwrite(&m, pl_sktinfo_addr(3, PL_SKT_NOTIFMASK), (const uint8_t *)"\0\x02", 2);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_SUCCESS, "mwrite to a FREE socket");
	ep_ctl_mread(&c, pl_sktinfo_addr(3, 0), 0x80, b);
	ck_assert_mem_eq(b, (uint8_t[0x80]){ 0 }, 0x80);
	/* A read ending at 2^32 is malformed (ERRATA 1). */
	ep_ctl_send_raw(&c, (const uint8_t *)"\x28\0\0\x06\xff\xff\xff\xf0\0\x10", 10);
	ep_ctl_expect(&c, PL_ECTLBADMSG, "mread to 2^32");
	expect_end(&c, 1);
	ep_ctl_free(&c);
}
END_TEST

START_TEST(yield_ends)
{
	struct ep_ctl	 c;
	struct pl_msg	 m;
	struct ep_rx	 rx;

	ep_ctl_start(&c, NULL);
	ep_ctl_begin(&c);
	/* Replies queued before the yield still come first, in order. */
	pl_msg_mread(&m, PL_SP_IP4NO, 1);
	ep_ctl_send(&c, &m);
	pl_msg_yield(&m, 0);
	ep_ctl_send(&c, &m);
	ck_assert_int_eq(ep_ctl_wait(&c, 0, -1, 5000, &rx), 1);
	ck_assert_uint_eq(rx.m.type, PL_MDATA);
	ep_rx_free(&rx);
	ep_ctl_expect(&c, PL_SUCCESS, "yield");
	expect_end(&c, 0);
	ep_ctl_free(&c);
}
END_TEST

/* ---- TCP ---- */

START_TEST(tcp_http_fetch)
{
	static const char body[] = "<html>hello from the loopback server</html>";
	struct ep_ctl	 c;
	struct ep_srv	*srv = ep_srv_http(AF_INET, body, sizeof(body) - 1);
	struct ep_rx	 rx;
	struct pl_msg	 m;
	const char	*get = "GET /index.html HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	uint8_t		 got[4096], b[0x40];
	size_t		 n = 0;
	int		 r;

	ep_ctl_start(&c, NULL);
	ep_ctl_begin(&c);
	nopen_tcp(&c, 1, ep_srv_port(srv), 0x1000);
	ep_ctl_expect(&c, PL_SUCCESS, "nopen TCP");
	ck_assert_int_eq(ep_ctl_wait(&c, PL_NSTAT, 1, 5000, &rx), 1);
	ck_assert(rx.m.u.nstat.has_raddr);		/* ESTABLISHED form */
	ck_assert_uint_eq(rx.m.bodylen, 17);
	ck_assert_mem_eq(rx.m.u.nstat.raddr, lo4, 4);
	ck_assert_uint_eq(rx.m.u.nstat.rport, ep_srv_port(srv));
	ep_rx_free(&rx);
	sendreq(&c, 1, PL_FAM_IPV4, PL_PROTO_TCP, 0, 1234, NULL, 0, get, strlen(get));
	ep_ctl_expect(&c, PL_SUCCESS, "nsend GET");
	ck_assert_int_eq(ep_ctl_wait(&c, PL_NTAG, 1, 5000, &rx), 1);
	ck_assert_uint_eq(rx.m.u.ntag.tag, 1234);
	ck_assert(!rx.m.u.ntag.has_errid);
	ep_rx_free(&rx);
	for (;;) {
		r = ep_ctl_wait(&c, 0, 1, 5000, &rx);
		ck_assert_int_eq(r, 1);
		if (rx.m.type == PL_NSTAT) {
			ck_assert_uint_eq(rx.m.u.nstat.code, PL_NSTAT_PEERCLOSED);
			ep_rx_free(&rx);
			break;
		}
		ck_assert_uint_eq(rx.m.type, PL_NDATA);
		ck_assert(n + rx.m.u.ndata.len <= sizeof(got));
		memcpy(got + n, rx.m.u.ndata.data, rx.m.u.ndata.len);
		n += rx.m.u.ndata.len;
		ep_rx_free(&rx);
	}
	ck_assert(n > sizeof(body) - 1);
	ck_assert_mem_eq(got + n - (sizeof(body) - 1), body, sizeof(body) - 1);
	ck_assert(memmem(got, n, "200 OK", 6) != NULL);
	ck_assert(ep_srv_received(srv, 4, 1000, b, sizeof(b)) >= 4);
	ck_assert_mem_eq(b, "GET ", 4);
	/* SKTINFO: EOF, addresses from getsockname, counters back to 0. */
	ep_ctl_mread(&c, pl_sktinfo_addr(1, 0), 0x40, b);
	ck_assert_uint_eq(b[PL_SKT_FAMILY], PL_FAM_IPV4);
	ck_assert_uint_eq(b[PL_SKT_PROTO], PL_PROTO_TCP);
	ck_assert_int_eq((int8_t)b[PL_SKT_STATE], PL_SKTST_EOF);
	ck_assert_mem_eq(b + PL_SKT_LADDR, lo4, 4);
	ck_assert_mem_eq(b + PL_SKT_RADDR, lo4, 4);
	ck_assert_uint_ne(pl_get16(b + PL_SKT_LPORT), 0);
	ck_assert_uint_eq(pl_get16(b + PL_SKT_RPORT), ep_srv_port(srv));
	ep_ctl_mread(&c, pl_sktinfo_addr(1, PL_SKT_RBUFSZ), 8, b);
	ck_assert_uint_eq(pl_get32(b), 0x1000);
	ck_assert_uint_eq(pl_get32(b + 4), 0);
	pl_msg_nclose(&m, 1);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_SUCCESS, "nclose");
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ESKTNOTOPEN, "nclose of a FREE slot");
	ck_assert_int_eq(skt_state(&c, 1), PL_SKTST_FREE);
	finish_ok(&c);
	ep_srv_stop(srv);
}
END_TEST

START_TEST(tcp_refused_and_errors)
{
	struct ep_ctl	 c;
	struct ep_ctl_opts o = { .conf_extra = "BufMax 8192" };
	struct ep_srv	*srv = ep_srv_tcp_sink(AF_INET);
	struct pl_msg	 m;
	const uint8_t	 ten[4] = { 10, 0, 0, 1 }, unavail[4] = { 192, 0, 2, 1 };
	uint8_t		 big[8192], b[4];
	uint16_t	 closed = ep_closed_port();

	ep_ctl_start(&c, &o);
	ep_ctl_begin(&c);
	/* Refused: SUCCESS, then only the state tells (no nstat). */
	nopen_tcp(&c, 2, closed, 0x1000);
	ep_ctl_expect(&c, PL_SUCCESS, "nopen to a closed port");
	ck_assert_int_eq(wait_state(&c, 2, PL_SKTST_REFUSED), PL_SKTST_REFUSED);
	ck_assert(!ep_ctl_sees(&c, PL_NSTAT, 2, 200));
	/* nsend on an error state: ESKTNOTOPEN; FIN: ESKTNOTOPEN. */
	sendreq(&c, 2, PL_FAM_IPV4, PL_PROTO_TCP, 0, 1, NULL, 0, "x", 1);
	ep_ctl_expect(&c, PL_ESKTNOTOPEN, "nsend on REFUSED");
	pl_msg_nctl(&m, 2, PL_FAM_IPV4, PL_PROTO_TCP, 0, PL_NCTL_TCP_FIN);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ESKTNOTOPEN, "FIN on REFUSED");
	/* The slot stays taken until nclose. */
	nopen_tcp(&c, 2, ep_srv_port(srv), 0x1000);
	ep_ctl_expect(&c, PL_ESKTINUSE, "nopen on an error slot");
	pl_msg_nclose(&m, 2);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_SUCCESS, "nclose of REFUSED");

	/* Destination outside AllowedDest. */
	pl_msg_nopen(&m, 3, PL_FAM_IPV4, PL_PROTO_TCP, 0, any4, 0, ten, 80);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ESKTOPNDENY, "TCP to 10.0.0.1");
	/* An address this host does not have. */
	pl_msg_nopen(&m, 3, PL_FAM_IPV4, PL_PROTO_TCP, 0, unavail, 0, lo4, 80);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ESKTNOADDR, "bind to 192.0.2.1");
	/* Raw, and TCP listen: not offered. */
	pl_msg_nopen(&m, 3, PL_FAM_IPV4, PL_PROTO_RAW, 0, any4, 0, NULL, 0);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ESKTNOPROTO, "raw nopen");
	pl_msg_nopen(&m, 3, PL_FAM_IPV4, PL_PROTO_TCP, 0, any4, 5555, NULL, 0);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ESKTNOPROTO, "TCP listen");

	/* A connected socket: slot in use, mismatched sends, size limits. */
	nopen_tcp(&c, 4, ep_srv_port(srv), 0x1000);
	ep_ctl_expect(&c, PL_SUCCESS, "nopen to the sink");
	ck_assert(ep_ctl_sees(&c, PL_NSTAT, 4, 5000));
	ep_ctl_mread(&c, pl_sktinfo_addr(4, PL_SKT_LPORT), 2, b);
	pl_msg_nopen(&m, 5, PL_FAM_IPV4, PL_PROTO_TCP, 0, lo4, pl_get16(b), lo4,
	    ep_srv_port(srv));
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ETCPNOPORT, "bind to a port in use");
	nopen_tcp(&c, 4, ep_srv_port(srv), 0x1000);
	ep_ctl_expect(&c, PL_ESKTINUSE, "nopen on a busy slot");
	sendreq(&c, 4, PL_FAM_IPV6, PL_PROTO_TCP, 0, 1, NULL, 0, "x", 1);
	ep_ctl_expect(&c, PL_ESKTNOMATCH, "nsend IPv6 on IPv4");
	sendreq(&c, 4, PL_FAM_IPV4, PL_PROTO_UDP, 0, 1, lo4, 9, "x", 1);
	ep_ctl_expect(&c, PL_ESKTNOMATCH, "nsend UDP on TCP");
	sendreq(&c, 9, PL_FAM_IPV4, PL_PROTO_TCP, 0, 1, NULL, 0, "x", 1);
	ep_ctl_expect(&c, PL_ESKTNOTOPEN, "nsend on a FREE slot");
	memset(big, 'B', sizeof(big));
	sendreq(&c, 4, PL_FAM_IPV4, PL_PROTO_TCP, 0, 1, NULL, 0, big, sizeof(big));
	ep_ctl_expect(&c, PL_ESKTPKTDENY, "nsend larger than BufMax");
	/* Two far-future sends fill the budget: the third gets ESYSNOBUFS. */
	sendreq(&c, 4, PL_FAM_IPV4, PL_PROTO_TCP, PL_TIME_FOREVER - 1, 0, NULL, 0,
	    big, 3000);
	ep_ctl_expect(&c, PL_SUCCESS, "queued send 1");
	sendreq(&c, 4, PL_FAM_IPV4, PL_PROTO_TCP, PL_TIME_FOREVER - 1, 0, NULL, 0,
	    big, 3000);
	ep_ctl_expect(&c, PL_SUCCESS, "queued send 2");
	ep_ctl_mread(&c, PL_SP_BUFUSED, 4, b);
	ck_assert_uint_eq(pl_get32(b), 2 * (3000 + 100));
	sendreq(&c, 4, PL_FAM_IPV4, PL_PROTO_TCP, 0, 0, NULL, 0, big, 3000);
	ep_ctl_expect(&c, PL_ESYSNOBUFS, "budget full");
	/* nclose drops queued sends without ntag and frees their budget. */
	pl_msg_nclose(&m, 4);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_SUCCESS, "nclose with queued sends");
	ep_ctl_mread(&c, PL_SP_BUFUSED, 4, b);
	ck_assert_uint_eq(pl_get32(b), 0);
	ck_assert(!ep_ctl_sees(&c, PL_NTAG, -1, 200));
	finish_ok(&c);
	ep_srv_stop(srv);
}
END_TEST

START_TEST(tcp_fin_and_nctl)
{
	struct ep_ctl	 c;
	struct ep_srv	*srv = ep_srv_tcp_sink(AF_INET);
	struct pl_msg	 m;
	struct ep_rx	 rx;

	ep_ctl_start(&c, NULL);
	ep_ctl_begin(&c);
	pl_msg_nctl(&m, 7, PL_FAM_IPV4, PL_PROTO_TCP, 0, PL_NCTL_TCP_FIN);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ESKTNOMATCH, "nctl on a FREE slot (ERRATA 3)");
	nopen_tcp(&c, 7, ep_srv_port(srv), 0x1000);
	ep_ctl_expect(&c, PL_SUCCESS, "nopen");
	ck_assert_int_eq(ep_ctl_wait(&c, PL_NSTAT, 7, 5000, &rx), 1);
	ck_assert(rx.m.u.nstat.has_raddr);
	ep_rx_free(&rx);
	pl_msg_nctl(&m, 7, PL_FAM_IPV4, PL_PROTO_TCP, 0, 0x77);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ECTLBADMSG, "unknown nctl command (ERRATA 4)");
	pl_msg_nctl(&m, 7, PL_FAM_IPV6, PL_PROTO_TCP, 0, PL_NCTL_TCP_FIN);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ESKTNOMATCH, "nctl family mismatch");
	/* The session goes on after the unknown command. */
	sendreq(&c, 7, PL_FAM_IPV4, PL_PROTO_TCP, 0, 5, NULL, 0, "hello", 5);
	ep_ctl_expect(&c, PL_SUCCESS, "nsend before FIN");
	pl_msg_nctl(&m, 7, PL_FAM_IPV4, PL_PROTO_TCP, 0, PL_NCTL_TCP_FIN);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_SUCCESS, "FIN");
	ck_assert_int_eq(ep_ctl_wait(&c, PL_NTAG, 7, 5000, &rx), 1);
	ck_assert(!rx.m.u.ntag.has_errid);
	ep_rx_free(&rx);
	ck_assert_uint_eq(ep_srv_received(srv, 5, 3000, NULL, 0), 5);
	{
		int8_t	 st = skt_state(&c, 7);

		ck_assert(st == PL_SKTST_WFIN || st == PL_SKTST_END);
	}
	/* The sink closes when it reads our FIN: WFIN -> END. */
	ck_assert_int_eq(ep_ctl_wait(&c, PL_NSTAT, 7, 5000, &rx), 1);
	ck_assert_uint_eq(rx.m.u.nstat.code, PL_NSTAT_PEERCLOSED);
	ep_rx_free(&rx);
	ck_assert_int_eq(skt_state(&c, 7), PL_SKTST_END);
	sendreq(&c, 7, PL_FAM_IPV4, PL_PROTO_TCP, 0, 6, NULL, 0, "late", 4);
	ep_ctl_expect(&c, PL_ESKTNOTOPEN, "nsend after FIN");
	finish_ok(&c);
	ep_srv_stop(srv);
}
END_TEST

START_TEST(tcp_ipv6)
{
	struct ep_ctl	 c;
	struct ep_srv	*srv = ep_srv_tcp_sink(AF_INET6);
	struct pl_msg	 m;
	struct ep_rx	 rx;
	uint8_t		 b[16];

	ep_ctl_start(&c, NULL);
	ep_ctl_begin(&c);
	pl_msg_nopen(&m, 9, PL_FAM_IPV6, PL_PROTO_TCP, 0x1000, any6, 0, lo6,
	    ep_srv_port(srv));
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_SUCCESS, "nopen TCP/IPv6");
	ck_assert_int_eq(ep_ctl_wait(&c, PL_NSTAT, 9, 5000, &rx), 1);
	ck_assert_uint_eq(rx.m.bodylen, 29);		/* ESTABLISHED, IPv6 form */
	ck_assert_mem_eq(rx.m.u.nstat.raddr, lo6, 16);
	ep_rx_free(&rx);
	sendreq(&c, 9, PL_FAM_IPV6, PL_PROTO_TCP, 0, 3, NULL, 0, "over v6", 7);
	ep_ctl_expect(&c, PL_SUCCESS, "nsend TCP/IPv6");
	ck_assert_uint_eq(ep_srv_received(srv, 7, 3000, b, sizeof(b)), 7);
	ck_assert_mem_eq(b, "over v6", 7);
	ep_ctl_mread(&c, pl_sktinfo_addr(9, PL_SKT_LADDR), 16, b);
	ck_assert_mem_eq(b, lo6, 16);
	finish_ok(&c);
	ep_srv_stop(srv);
}
END_TEST

START_TEST(tcp_rbufsz_window)
{
	static const char body[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	struct ep_ctl	 c;
	struct ep_srv	*srv = ep_srv_http(AF_INET, body, sizeof(body) - 1);
	struct pl_msg	 m;
	struct ep_rx	 rx;
	const char	*get = "GET / HTTP/1.0\r\n\r\n";
	uint8_t		 sz[4];

	ep_ctl_start(&c, NULL);
	ep_ctl_begin(&c);
	nopen_tcp(&c, 1, ep_srv_port(srv), 0);
	ep_ctl_expect(&c, PL_SUCCESS, "nopen rbufsz 0");
	sendreq(&c, 1, PL_FAM_IPV4, PL_PROTO_TCP, 0, 0, NULL, 0, get, strlen(get));
	ep_ctl_expect(&c, PL_SUCCESS, "nsend");
	/* rbufsz 0: nothing is ever delivered. */
	ck_assert(!ep_ctl_sees(&c, PL_NDATA, 1, 500));
	/* Open the window to 10 bytes: chunks of at most 10 arrive as we go. */
	pl_put32(sz, 10);
	pl_msg_mwrite(&m, pl_sktinfo_addr(1, PL_SKT_RBUFSZ), sz, 4);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_SUCCESS, "mwrite RBUFSZ");
	ck_assert_int_eq(ep_ctl_wait(&c, PL_NDATA, 1, 5000, &rx), 1);
	ck_assert(rx.m.u.ndata.len > 0 && rx.m.u.ndata.len <= 10);
	ep_rx_free(&rx);
	ck_assert_int_eq(ep_ctl_wait(&c, PL_NDATA, 1, 5000, &rx), 1);
	ck_assert(rx.m.u.ndata.len > 0 && rx.m.u.ndata.len <= 10);
	ep_rx_free(&rx);
	finish_ok(&c);
	ep_srv_stop(srv);
}
END_TEST

/* ---- UDP ---- */

static void
udp_exchange(uint8_t fam)
{
	struct ep_ctl	 c;
	int		 af = fam == PL_FAM_IPV4 ? AF_INET : AF_INET6;
	struct ep_srv	*srv = ep_srv_udp_echo(af);
	const uint8_t	*lo = fam == PL_FAM_IPV4 ? lo4 : lo6;
	struct ep_rx	 rx;
	struct pl_msg	 m;
	const char	 q[] = "\x15\xbe\x01\x00 a query";
	uint8_t		 b[0x60];

	ep_ctl_start(&c, NULL);
	ep_ctl_begin(&c);
	nopen_udp(&c, 1, fam);
	ep_ctl_expect(&c, PL_SUCCESS, "nopen UDP");
	ck_assert(!ep_ctl_sees(&c, PL_NSTAT, 1, 100));		/* UDP: no nstat */
	sendreq(&c, 1, fam, PL_PROTO_UDP, 0, 1234, lo, ep_srv_port(srv), q,
	    sizeof(q) - 1);
	ep_ctl_expect(&c, PL_SUCCESS, "nsend UDP");
	ck_assert_int_eq(ep_ctl_wait(&c, PL_NTAG, 1, 5000, &rx), 1);
	ck_assert_uint_eq(rx.m.u.ntag.tag, 1234);
	ck_assert(!rx.m.u.ntag.has_errid);
	ep_rx_free(&rx);
	ck_assert_int_eq(ep_ctl_wait(&c, PL_NDATA, 1, 5000, &rx), 1);
	ck_assert_uint_eq(rx.m.u.ndata.family, fam);
	ck_assert_uint_eq(rx.m.u.ndata.proto, PL_PROTO_UDP);
	ck_assert_mem_eq(rx.m.u.ndata.addr, lo, pl_addrlen(fam));
	ck_assert_uint_eq(rx.m.u.ndata.port, ep_srv_port(srv));
	ck_assert_uint_eq(rx.m.u.ndata.len, sizeof(q) - 1);
	ck_assert_mem_eq(rx.m.u.ndata.data, q, sizeof(q) - 1);
	ep_rx_free(&rx);
	ep_ctl_mread(&c, pl_sktinfo_addr(1, 0), 0x58, b);
	ck_assert_int_eq((int8_t)b[PL_SKT_STATE], PL_SKTST_OPEN);
	ck_assert_uint_ne(pl_get16(b + PL_SKT_LPORT), 0);	/* bound at nopen */
	ck_assert_uint_eq(pl_get32(b + PL_SKT_DROPPKT), 0);
	/* A destination outside AllowedDest. */
	sendreq(&c, 1, fam, PL_PROTO_UDP, 0, 1, fam == PL_FAM_IPV4 ?
	    (const uint8_t *)"\x0a\0\0\x01" : (const uint8_t *)"\x20\x01\x0d\xb8"
	    "\0\0\0\0\0\0\0\0\0\0\0\x01", 53, q, 4);
	ep_ctl_expect(&c, PL_ESKTPKTDENY, "UDP to a denied destination");
	pl_msg_nclose(&m, 1);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_SUCCESS, "nclose UDP");
	finish_ok(&c);
	ep_srv_stop(srv);
}

START_TEST(udp_ipv4)
{
	udp_exchange(PL_FAM_IPV4);
}
END_TEST

START_TEST(udp_ipv6)
{
	udp_exchange(PL_FAM_IPV6);
}
END_TEST

START_TEST(udp_truncate_and_drop)
{
	struct ep_ctl	 c;
	struct ep_srv	*srv = ep_srv_udp_echo(AF_INET);
	struct pl_msg	 m;
	struct ep_rx	 rx;
	uint8_t		 d[300], b[8];

	memset(d, 'd', sizeof(d));
	ep_ctl_start(&c, NULL);
	ep_ctl_begin(&c);
	pl_msg_nopen(&m, 1, PL_FAM_IPV4, PL_PROTO_UDP, 100, any4, 0, NULL, 0);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_SUCCESS, "nopen rbufsz 100");
	/* Hold ndata back: the window fills and stays full. */
	pl_msg_mwrite(&m, pl_sktinfo_addr(1, PL_SKT_NOTIFMASK), (const uint8_t *)"\0\x08", 2);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_SUCCESS, "mask NDATA");
	sendreq(&c, 1, PL_FAM_IPV4, PL_PROTO_UDP, 0, 0, lo4, ep_srv_port(srv), d, 300);
	ep_ctl_expect(&c, PL_SUCCESS, "send 300");
	sendreq(&c, 1, PL_FAM_IPV4, PL_PROTO_UDP, 0, 0, lo4, ep_srv_port(srv), d, 50);
	ep_ctl_expect(&c, PL_SUCCESS, "send 50");
	/* 200 cut, 50 dropped */
	ck_assert_uint_eq(wait_u32(&c, pl_sktinfo_addr(1, PL_SKT_DROPBYTE), 250), 250);
	ck_assert(!ep_ctl_sees(&c, PL_NDATA, 1, 100));
	ep_ctl_mread(&c, pl_sktinfo_addr(1, PL_SKT_DROPBYTE), 8, b);
	ck_assert_uint_eq(pl_get32(b), 200 + 50);
	ck_assert_uint_eq(pl_get32(b + 4), 2);
	pl_msg_mwrite(&m, pl_sktinfo_addr(1, PL_SKT_NOTIFMASK), (const uint8_t *)"\0\0", 2);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_SUCCESS, "unmask NDATA");
	ck_assert_int_eq(ep_ctl_wait(&c, PL_NDATA, 1, 5000, &rx), 1);
	ck_assert_uint_eq(rx.m.u.ndata.len, 100);
	ep_rx_free(&rx);
	finish_ok(&c);
	ep_srv_stop(srv);
}
END_TEST

/* ---- timing ---- */

START_TEST(scheduled_sends)
{
	struct ep_ctl	 c;
	struct ep_srv	*srv = ep_srv_udp_echo(AF_INET);
	struct ep_rx	 rx;
	pl_time_t	 t0, ta, tb;
	int64_t		 dev;

	ep_ctl_start(&c, NULL);
	ep_ctl_begin(&c);
	nopen_udp(&c, 1, PL_FAM_IPV4);
	ep_ctl_expect(&c, PL_SUCCESS, "nopen");
	t0 = pl_time_now();
	ta = t0 + 400 * 1000000ull;
	tb = t0 + 100 * 1000000ull;
	/* b is due earlier but queued later: it waits behind a (FIFO, §4.9). */
	sendreq(&c, 1, PL_FAM_IPV4, PL_PROTO_UDP, ta, 1, lo4, ep_srv_port(srv), "a", 1);
	ep_ctl_expect(&c, PL_SUCCESS, "nsend a");
	sendreq(&c, 1, PL_FAM_IPV4, PL_PROTO_UDP, tb, 2, lo4, ep_srv_port(srv), "b", 1);
	ep_ctl_expect(&c, PL_SUCCESS, "nsend b");
	ck_assert_int_eq(ep_ctl_wait(&c, PL_NTAG, 1, 5000, &rx), 1);
	ck_assert_uint_eq(rx.m.u.ntag.tag, 1);
	dev = (int64_t)(rx.m.u.ntag.time - ta);
	ck_assert_msg(dev >= 0 && (uint64_t)dev <= TOLERANCE_NS,
	    "send a left %lld ns off its time", (long long)dev);
	ep_rx_free(&rx);
	dev = (int64_t)(ep_srv_first_at(srv, 2000) - ta);
	ck_assert_msg(dev >= 0 && (uint64_t)dev <= TOLERANCE_NS,
	    "a arrived %lld ns off its time", (long long)dev);
	ck_assert_int_eq(ep_ctl_wait(&c, PL_NTAG, 1, 5000, &rx), 1);
	ck_assert_uint_eq(rx.m.u.ntag.tag, 2);
	ck_assert(rx.m.u.ntag.time >= ta);
	ep_rx_free(&rx);
	finish_ok(&c);
	ep_srv_stop(srv);
}
END_TEST

START_TEST(notifmask_ntag)
{
	struct ep_ctl	 c;
	struct ep_srv	*srv = ep_srv_udp_echo(AF_INET);
	struct pl_msg	 m;
	struct ep_rx	 rx;

	ep_ctl_start(&c, NULL);
	ep_ctl_begin(&c);
	nopen_udp(&c, 1, PL_FAM_IPV4);
	ep_ctl_expect(&c, PL_SUCCESS, "nopen");
	pl_msg_mwrite(&m, pl_sktinfo_addr(1, PL_SKT_NOTIFMASK),
	    (const uint8_t *)"\0\x0a", 2);			/* NTAG | NDATA */
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_SUCCESS, "mask");
	sendreq(&c, 1, PL_FAM_IPV4, PL_PROTO_UDP, 0, 77, lo4, ep_srv_port(srv), "x", 1);
	ep_ctl_expect(&c, PL_SUCCESS, "nsend");
	ck_assert(ep_srv_first_at(srv, 2000) != 0);
	ck_assert(!ep_ctl_sees(&c, PL_NTAG, 1, 300));
	ck_assert(!ep_ctl_sees(&c, PL_NDATA, 1, 10));
	/* Clear NTAG only: the ntag comes, the ndata stays held. */
	pl_msg_mwrite(&m, pl_sktinfo_addr(1, PL_SKT_NOTIFMASK),
	    (const uint8_t *)"\0\x08", 2);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_SUCCESS, "unmask NTAG");
	ck_assert_int_eq(ep_ctl_wait(&c, PL_NTAG, 1, 2000, &rx), 1);
	ck_assert_uint_eq(rx.m.u.ntag.tag, 77);
	ep_rx_free(&rx);
	ck_assert(!ep_ctl_sees(&c, PL_NDATA, 1, 200));
	/* CTFL and NSENDERRTAG are plain storage for the controller. */
	pl_msg_mwrite(&m, pl_sktinfo_addr(1, PL_SKT_CTFL), (const uint8_t *)"flags", 5);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_SUCCESS, "CTFL");
	{
		uint8_t	 b[5];

		ep_ctl_mread(&c, pl_sktinfo_addr(1, PL_SKT_CTFL), 5, b);
		ck_assert_mem_eq(b, "flags", 5);
	}
	finish_ok(&c);
	ep_srv_stop(srv);
}
END_TEST

START_TEST(ncap_answers)
{
	struct ep_ctl	 c;
	struct pl_msg	 m;
	const uint8_t	 ret[] = { PL_PROG_EBPF, 0x95, 0, 0, 0, 0, 0, 0, 0 };

	ep_ctl_start(&c, NULL);
	ep_ctl_begin(&c);
	pl_msg_ncap(&m, 1, PL_FAM_IPV4, PL_PROTO_RAW, PL_TIME_FOREVER, ret, sizeof(ret));
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ESKTNOTOPEN, "ncap on a FREE slot");
	nopen_udp(&c, 1, PL_FAM_IPV4);
	ep_ctl_expect(&c, PL_SUCCESS, "nopen");
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ESKTNOMATCH, "ncap RAW on a UDP socket");
	pl_msg_ncap(&m, 1, PL_FAM_IPV4, PL_PROTO_UDP, PL_TIME_FOREVER,
	    (const uint8_t *)"\x01\0asm", 5);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_ESKTBADFILT, "WASM filter");
	pl_msg_ncap(&m, 1, PL_FAM_IPV4, PL_PROTO_UDP, PL_TIME_FOREVER, ret, sizeof(ret));
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_EUNKFAULT, "ncap on a UDP socket");
	finish_ok(&c);
}
END_TEST

START_TEST(backpressure_order)
{
	struct ep_ctl	 c;
	struct pl_msg	 m;
	struct ep_rx	 rx;
	uint8_t		*burst, one[16];
	ssize_t		 n;
	int		 i;

	ep_ctl_start(&c, NULL);
	ep_ctl_begin(&c);
	/* 400 mreads of 60 KB at once: far more than 100 queued replies. */
	pl_msg_mread(&m, PL_SP_IP4NO, 0xF000);
	n = pl_encode(&m, one, sizeof(one));
	burst = malloc(400 * (size_t)n);
	for (i = 0; i < 400; i++) {
		pl_put32(one + 4, PL_SP_IP4NO + (uint32_t)i);
		memcpy(burst + i * n, one, (size_t)n);
	}
	ep_ctl_send_raw(&c, burst, 400 * (size_t)n);
	free(burst);
	for (i = 0; i < 400; i++) {
		ck_assert_int_eq(ep_ctl_wait(&c, 0, -1, 10000, &rx), 1);
		ck_assert_uint_eq(rx.m.type, PL_MDATA);
		ck_assert_uint_eq(rx.m.u.mem.addr, PL_SP_IP4NO + (uint32_t)i);
		ep_rx_free(&rx);
	}
	finish_ok(&c);
}
END_TEST

/*
 * ERRATA fact 10: a 1.1.0 pktxpmgr reads one TLS record at a time and
 * asserts when a record holds two complete messages, so every message must
 * start its own record.  ep_ctl checks that on every message it reads (its
 * record callback); this test makes the endpoint write as much as it can at
 * once: 160 nsend results with their ntags (and the echoes' ndata) on four
 * UDP sockets, and three TCP downloads, two through a 4 KiB window (many
 * small ndata), one through a 1 MiB window (ndata of up to 64 KiB, several
 * records each).  UDP echoes may be lost under load, so only the TCP side's
 * ndata are counted exactly.
 */
#define BURST_UDP	4
#define BURST_TCP	3
#define BURST_SENDS	40
#define BURST_BODY	200000
START_TEST(records_one_message_each)
{
	struct ep_ctl	 c;
	struct ep_srv	*udp = ep_srv_udp_echo(AF_INET);
	struct ep_srv	*http;
	struct pl_msg	 m;
	struct ep_rx	 rx;
	static char	 body[BURST_BODY];
	const char	*get = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	uint8_t		*burst, d[1300];
	size_t		 off = 0, cap = 1 << 20, tcpbytes[BURST_TCP] = { 0 };
	ssize_t		 n;
	int		 id, i, results = 0, ntags = 0, udpdata = 0, tcpdata = 0;
	int		 closed = 0, big = 0, next[BURST_UDP + 1] = { 0 };
	const int	 nres = BURST_UDP * BURST_SENDS + BURST_TCP;

	memset(body, 'b', sizeof(body));
	http = ep_srv_http(AF_INET, body, sizeof(body));
	memset(d, 'u', sizeof(d));
	ep_ctl_start(&c, NULL);
	ep_ctl_begin(&c);
	for (id = 1; id <= BURST_UDP; id++) {
		pl_msg_nopen(&m, (uint8_t)id, PL_FAM_IPV4, PL_PROTO_UDP, 1 << 20,
		    any4, 0, NULL, 0);
		ep_ctl_send(&c, &m);
		ep_ctl_expect(&c, PL_SUCCESS, "nopen UDP");
	}
	for (i = 0; i < BURST_TCP; i++) {
		id = BURST_UDP + 1 + i;
		nopen_tcp(&c, (uint8_t)id, ep_srv_port(http), i == 0 ? 1 << 20 : 0x1000);
		ep_ctl_expect(&c, PL_SUCCESS, "nopen TCP");
		ck_assert_int_eq(ep_ctl_wait(&c, PL_NSTAT, id, 5000, &rx), 1);
		ep_rx_free(&rx);
	}

	/* Every request in one write: the replies pile up in the endpoint. */
	burst = malloc(cap);
	ck_assert(burst != NULL);
	for (i = 0; i < BURST_SENDS; i++)
		for (id = 1; id <= BURST_UDP; id++) {
			pl_msg_nsend(&m, (uint8_t)id, PL_FAM_IPV4, PL_PROTO_UDP, 0,
			    (uint16_t)(i + 1), lo4, ep_srv_port(udp), d,
			    1 + (size_t)(i * 37 + id * 11) % sizeof(d));
			n = pl_encode(&m, burst + off, cap - off);
			ck_assert(n > 0);
			off += (size_t)n;
		}
	for (i = 0; i < BURST_TCP; i++) {
		pl_msg_nsend(&m, (uint8_t)(BURST_UDP + 1 + i), PL_FAM_IPV4,
		    PL_PROTO_TCP, 0, 999, NULL, 0, (const uint8_t *)get, strlen(get));
		n = pl_encode(&m, burst + off, cap - off);
		ck_assert(n > 0);
		off += (size_t)n;
	}
	ep_ctl_send_raw(&c, burst, off);
	free(burst);

	/*
	 * The echoes come back on their own schedule: on a loaded machine
	 * every reply and download may be in before the echo thread ran, so
	 * wait for the first echo too.
	 */
	while (results < nres || ntags < nres || closed < BURST_TCP ||
	    udpdata == 0) {
		ck_assert_msg(ep_ctl_wait(&c, 0, -1, 10000, &rx) == 1, "burst: "
		    "stalled after %d results, %d ntag, %d TCP closed, %d UDP "
		    "ndata", results, ntags, closed, udpdata);
		switch (rx.m.type) {
		case PL_RESULT:
			ck_assert_uint_eq(rx.m.u.result.errid, PL_SUCCESS);
			results++;
			break;
		case PL_NTAG:
			ck_assert(!rx.m.u.ntag.has_errid);
			id = rx.m.u.ntag.sktid;
			ck_assert(id >= 1 && id <= BURST_UDP + BURST_TCP);
			if (id <= BURST_UDP) {
				/* FIFO per socket: tags in order. */
				ck_assert_uint_eq(rx.m.u.ntag.tag, next[id] + 1);
				next[id]++;
			}
			ntags++;
			break;
		case PL_NDATA:
			id = rx.m.u.ndata.sktid;
			ck_assert(id >= 1 && id <= BURST_UDP + BURST_TCP);
			if (id > BURST_UDP) {
				tcpbytes[id - BURST_UDP - 1] += rx.m.u.ndata.len;
				tcpdata++;
			} else
				udpdata++;
			break;
		case PL_NSTAT:
			ck_assert(rx.m.u.nstat.sktid > BURST_UDP);
			ck_assert_uint_eq(rx.m.u.nstat.code, PL_NSTAT_PEERCLOSED);
			closed++;
			break;
		default:
			ck_abort_msg("unexpected message type 0x%02x", rx.m.type);
		}
		if (rx.len > 16384)
			big++;
		ep_rx_free(&rx);
	}
	for (id = 1; id <= BURST_UDP; id++)
		ck_assert_int_eq(next[id], BURST_SENDS);
	for (i = 0; i < BURST_TCP; i++)
		ck_assert_uint_gt(tcpbytes[i], sizeof(body));	/* header + body */
	ck_assert_int_gt(udpdata, 0);
	/* Two 4 KiB windows: at least 2 * 200000 / 4096 small ndata. */
	ck_assert_int_gt(tcpdata, 2 * BURST_BODY / 4096);
	ck_assert_msg(big > 0, "no message longer than one TLS record came");
	/* Every message had a record of its own, the long ones several. */
	ck_assert_msg(c.nrec > c.nmsg, "%llu records for %llu messages",
	    (unsigned long long)c.nrec, (unsigned long long)c.nmsg);
	printf("records: %llu application-data records for %llu messages "
	    "(%d UDP ndata, %d TCP ndata, %d over 16 KiB)\n",
	    (unsigned long long)c.nrec, (unsigned long long)c.nmsg, udpdata,
	    tcpdata, big);
	finish_ok(&c);
	ep_srv_stop(udp);
	ep_srv_stop(http);
}
END_TEST

/* ---- limits of the controller's chain ---- */

START_TEST(limit_sockets)
{
	struct ep_ctl	 c;
	struct ep_ctl_opts o = { .limits = "max_socket_count=2;" };
	struct pl_msg	 m;

	ep_ctl_start(&c, &o);
	ep_ctl_begin(&c);
	nopen_udp(&c, 1, PL_FAM_IPV4);
	ep_ctl_expect(&c, PL_SUCCESS, "socket 1");
	nopen_udp(&c, 2, PL_FAM_IPV4);
	ep_ctl_expect(&c, PL_SUCCESS, "socket 2");
	nopen_udp(&c, 3, PL_FAM_IPV4);
	ep_ctl_expect(&c, PL_ENORES, "socket 3");
	/* ENORES comes before ESKTINUSE (§4.7). */
	nopen_udp(&c, 1, PL_FAM_IPV4);
	ep_ctl_expect(&c, PL_ENORES, "busy slot at the limit");
	pl_msg_nclose(&m, 2);
	ep_ctl_send(&c, &m);
	ep_ctl_expect(&c, PL_SUCCESS, "nclose 2");
	nopen_udp(&c, 3, PL_FAM_IPV4);
	ep_ctl_expect(&c, PL_SUCCESS, "socket 3 after a close");
	finish_ok(&c);
}
END_TEST

START_TEST(limit_valid_dest)
{
	struct ep_ctl	 c;
	struct ep_ctl_opts o = { .limits = "valid_dest=127.0.0.2/32;" };
	struct ep_srv	*srv = ep_srv_udp_echo(AF_INET);
	const uint8_t	 lo2[4] = { 127, 0, 0, 2 };

	ep_ctl_start(&c, &o);
	ep_ctl_begin(&c);
	nopen_tcp(&c, 1, 80, 0x1000);
	ep_ctl_expect(&c, PL_ESKTOPNDENY, "TCP to 127.0.0.1 outside valid_dest");
	nopen_udp(&c, 2, PL_FAM_IPV4);
	ep_ctl_expect(&c, PL_SUCCESS, "UDP socket");
	sendreq(&c, 2, PL_FAM_IPV4, PL_PROTO_UDP, 0, 1, lo4, ep_srv_port(srv), "x", 1);
	ep_ctl_expect(&c, PL_ESKTPKTDENY, "UDP to 127.0.0.1 outside valid_dest");
	sendreq(&c, 2, PL_FAM_IPV4, PL_PROTO_UDP, 0, 1, lo2, ep_srv_port(srv), "x", 1);
	ep_ctl_expect(&c, PL_SUCCESS, "UDP to 127.0.0.2 inside valid_dest");
	finish_ok(&c);
	ep_srv_stop(srv);
}
END_TEST

START_TEST(limit_exp_period)
{
	struct ep_ctl	 c;
	struct ep_ctl_opts o = { .limits = "max_exp_period=600000000;" };
	pl_time_t	 t0, t1;

	ep_ctl_start(&c, &o);
	ep_ctl_begin(&c);
	t0 = pl_time_now();
	expect_end(&c, 0);				/* silent, and not a failure */
	t1 = pl_time_now();
	ck_assert_msg(t1 - t0 >= 500000000ull && t1 - t0 < 2500000000ull,
	    "disconnected after %llu ns", (unsigned long long)(t1 - t0));
	ck_assert(ep_ctl_log_has(&c, "experiment period"));
	ep_ctl_free(&c);
}
END_TEST

START_TEST(repeat_runs)
{
	struct ep_ctl	 c;
	struct ep_ctl_opts o = { .args = "-r 2" };

	ep_ctl_start(&c, &o);
	ep_ctl_begin(&c);
	ep_ctl_hangup(&c);
	ck_assert_msg(ep_ctl_accept(&c, 10000) == 0, "no second connection");
	ep_ctl_begin(&c);
	finish_ok(&c);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("endpoint_session");
	TCase	*tc;

#define ADD(name, t) do {					\
	tc = tcase_create(name);				\
	tcase_set_timeout(tc, 60);				\
	tcase_add_test(tc, t);					\
	suite_add_tcase(s, tc);					\
} while (0)
	ADD("setup", setup_phase);
	ADD("setup_timeout", setup_timeout_silent);
	ADD("malformed", malformed_resets);
	ADD("eof_mid_message", eof_mid_message);
	ADD("transcript_order", transcript_order);
	ADD("monitors", monitors_required);
	ADD("vmem", vmem_sysparam);
	ADD("yield", yield_ends);
	ADD("tcp_http", tcp_http_fetch);
	ADD("tcp_errors", tcp_refused_and_errors);
	ADD("tcp_fin", tcp_fin_and_nctl);
	ADD("tcp_ipv6", tcp_ipv6);
	ADD("tcp_rbufsz", tcp_rbufsz_window);
	ADD("udp4", udp_ipv4);
	ADD("udp6", udp_ipv6);
	ADD("udp_drop", udp_truncate_and_drop);
	ADD("scheduled", scheduled_sends);
	ADD("notifmask", notifmask_ntag);
	ADD("ncap", ncap_answers);
	ADD("backpressure", backpressure_order);
	ADD("records", records_one_message_each);
	ADD("limit_sockets", limit_sockets);
	ADD("limit_dest", limit_valid_dest);
	ADD("limit_period", limit_exp_period);
	ADD("repeat", repeat_runs);
#undef ADD
	return s;
}

int
main(void)
{
	return ct_run(suite());
}
