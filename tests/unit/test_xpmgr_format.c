/*
 * test_xpmgr_format.c: pktxpmgr's pure text helpers (src/xpmgr/format.c):
 * EPADDR and peer formatting, exit statuses, close-reason bookkeeping and
 * the session summary line.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "xpmgr/pure/xppure.h"
#include "ctrun.h"

static socklen_t
v4(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in	*s = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, ip, &s->sin_addr), 1);
	return sizeof(*s);
}

static socklen_t
v6(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in6	*s = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	s->sin6_family = AF_INET6;
	s->sin6_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET6, ip, &s->sin6_addr), 1);
	return sizeof(*s);
}

START_TEST(epaddr_forms)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	char			 out[XP_EPADDR_MAX], peer[64];

	len = v4(&ss, "127.0.0.1", 50312);
	ck_assert_int_eq(xp_epaddr((struct sockaddr *)&ss, len, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "127.0.0.1");
	ck_assert_str_eq(xp_peerstr((struct sockaddr *)&ss, len, peer, sizeof(peer)),
	    "127.0.0.1:50312");

	len = v6(&ss, "::1", 20556);
	ck_assert_int_eq(xp_epaddr((struct sockaddr *)&ss, len, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "::1");
	ck_assert_str_eq(xp_peerstr((struct sockaddr *)&ss, len, peer, sizeof(peer)),
	    "[::1]:20556");

	len = v6(&ss, "2001:db8::7", 1);
	ck_assert_int_eq(xp_epaddr((struct sockaddr *)&ss, len, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "2001:db8::7");

	/* A v4-mapped peer of a dual-stack listener is the IPv4 host it is. */
	len = v6(&ss, "::ffff:192.0.2.7", 4242);
	ck_assert_int_eq(xp_epaddr((struct sockaddr *)&ss, len, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "192.0.2.7");
	ck_assert_str_eq(xp_peerstr((struct sockaddr *)&ss, len, peer, sizeof(peer)),
	    "192.0.2.7:4242");

	/* The longest IPv6 text fits the 46 bytes the singleton protocol allows. */
	len = v6(&ss, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1);
	ck_assert_int_eq(xp_epaddr((struct sockaddr *)&ss, len, out, sizeof(out)), 0);
	ck_assert_uint_lt(strlen(out) + 1, XP_EPADDR_MAX + 1);
}
END_TEST

START_TEST(epaddr_bad)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	char			 out[XP_EPADDR_MAX], peer[64], small[4];

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	ck_assert_int_eq(xp_epaddr((struct sockaddr *)&ss, sizeof(ss), out,
	    sizeof(out)), -1);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(xp_peerstr((struct sockaddr *)&ss, sizeof(ss), peer,
	    sizeof(peer)), "?");
	/* Truncated sockaddr. */
	len = v6(&ss, "::1", 1);
	ck_assert_int_eq(xp_epaddr((struct sockaddr *)&ss, 8, out, sizeof(out)), -1);
	/* Too small an output. */
	len = v4(&ss, "192.0.2.1", 1);
	ck_assert_int_eq(xp_epaddr((struct sockaddr *)&ss, len, small, sizeof(small)), -1);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(xp_epaddr(NULL, 0, out, sizeof(out)), -1);
}
END_TEST

START_TEST(wstatus_text)
{
	char	 out[80];

	ck_assert_str_eq(xp_wstatus(0, out, sizeof(out)), "exit 0");
	ck_assert_str_eq(xp_wstatus(3 << 8, out, sizeof(out)), "exit 3");
	ck_assert_str_eq(xp_wstatus(255 << 8, out, sizeof(out)), "exit 255");
	ck_assert_str_eq(xp_wstatus(SIGKILL, out, sizeof(out)),
	    "killed by signal 9 (SIGKILL)");
	ck_assert_str_eq(xp_wstatus(SIGSEGV | 0x80, out, sizeof(out)),
	    "killed by signal 11 (SIGSEGV), core dumped");
}
END_TEST

START_TEST(reason_first_wins)
{
	struct xp_reason	 r;

	memset(&r, 0, sizeof(r));
	ck_assert_str_eq(xp_end_name(r.kind), "open");
	ck_assert_int_eq(xp_reason_set(&r, XP_END_DONE, "mlet closed its %s", "socket"), 1);
	/* The EOF that the close itself causes must not rewrite the story. */
	ck_assert_int_eq(xp_reason_set(&r, XP_END_FAIL, "endpoint connection error"), 0);
	ck_assert_int_eq(r.kind, XP_END_DONE);
	ck_assert_str_eq(r.text, "mlet closed its socket");
	ck_assert_str_eq(xp_end_name(XP_END_FAIL), "failed");
	ck_assert_str_eq(xp_end_name(XP_END_DROPPED), "dropped");
	ck_assert_str_eq(xp_end_name(XP_END_DONE), "done");
}
END_TEST

START_TEST(reason_truncated)
{
	struct xp_reason	 r;
	char			 big[1000];

	memset(&r, 0, sizeof(r));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	xp_reason_set(&r, XP_END_FAIL, "%s", big);
	ck_assert_uint_eq(strlen(r.text), sizeof(r.text) - 1);
}
END_TEST

START_TEST(summary_line)
{
	struct xp_reason	 r;
	struct xp_stats		 st;
	char			 out[512];

	memset(&r, 0, sizeof(r));
	memset(&st, 0, sizeof(st));
	xp_reason_set(&r, XP_END_DONE, "mlet closed its socket");
	st.msgs[XP_EP2ML] = 12;
	st.bytes[XP_EP2ML] = 3456;
	st.msgs[XP_ML2EP] = 5;
	st.bytes[XP_ML2EP] = 789;
	st.linfo = 1;
	ck_assert_str_eq(xp_summary(out, sizeof(out), &r, 1234, &st, "mlet exit 0"),
	    "session done (mlet closed its socket): 1.234 s, endpoint->mlet 12 msgs "
	    "3456 B, mlet->endpoint 5 msgs 789 B, 1 linfo, mlet exit 0");
	memset(&r, 0, sizeof(r));
	memset(&st, 0, sizeof(st));
	xp_reason_set(&r, XP_END_FAIL, "TLS handshake timed out after 10000 ms");
	ck_assert_str_eq(xp_summary(out, sizeof(out), &r, 10001, &st, "no mlet"),
	    "session failed (TLS handshake timed out after 10000 ms): 10.001 s, "
	    "endpoint->mlet 0 msgs 0 B, mlet->endpoint 0 msgs 0 B, 0 linfo, no mlet");
}
END_TEST

START_TEST(ms_between)
{
	struct timespec	 a = { 10, 900000000 }, b = { 12, 100000000 };

	ck_assert_uint_eq(xp_ms_between(&a, &b), 1200);
	ck_assert_uint_eq(xp_ms_between(&b, &a), 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("xpmgr_format");
	TCase	*tc = tcase_create("format");

	tcase_add_test(tc, epaddr_forms);
	tcase_add_test(tc, epaddr_bad);
	tcase_add_test(tc, wstatus_text);
	tcase_add_test(tc, reason_first_wins);
	tcase_add_test(tc, reason_truncated);
	tcase_add_test(tc, summary_line);
	tcase_add_test(tc, ms_between);
	suite_add_tcase(s, tc);
	return ct_run(s);
}
