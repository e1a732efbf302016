/*
 * test_addr.c: "ADDR[:PORT]" splitting (src/conf/addr.c) and resolution of
 * numeric loopback addresses (src/conf/resolve.c; no DNS is needed).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <check.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "conf/addr.h"
#include "credtest.h"

/* want == NULL: must fail with reason err. */
static const struct {
	const char	*in;
	const char	*host;
	unsigned	 port;		/* with default 20556 */
	int		 v6;
	const char	*err;
} split_cases[] = {
	{ "192.0.2.1", "192.0.2.1", 20556, 0, NULL },
	{ "192.0.2.1:80", "192.0.2.1", 80, 0, NULL },
	{ "127.0.0.1:65535", "127.0.0.1", 65535, 0, NULL },
	{ "localhost", "localhost", 20556, 0, NULL },
	{ "pktbrokr.caida.org", "pktbrokr.caida.org", 20556, 0, NULL },
	{ "pktbrokr.caida.org.", "pktbrokr.caida.org.", 20556, 0, NULL },
	{ "my_host-1:1", "my_host-1", 1, 0, NULL },
	/* 1.1.0 took a ':' at index 4 for IPv6 and failed these. */
	{ "abcd:80", "abcd", 80, 0, NULL },
	{ "host:20557", "host", 20557, 0, NULL },
	/* 1.1.0 rejected [::1] and ::1. */
	{ "::1", "::1", 20556, 1, NULL },
	{ "::", "::", 20556, 1, NULL },
	{ "[::1]", "::1", 20556, 1, NULL },
	{ "[::1]:20557", "::1", 20557, 1, NULL },
	{ "2001:db8::1", "2001:db8::1", 20556, 1, NULL },
	{ "[2001:db8::1]:443", "2001:db8::1", 443, 1, NULL },
	{ "fe80::1%eth0", "fe80::1%eth0", 20556, 1, NULL },
	{ "[fe80::1%lo]:9", "fe80::1%lo", 9, 1, NULL },
	{ "::ffff:192.0.2.1", "::ffff:192.0.2.1", 20556, 1, NULL },
	{ "0.0.0.0:1", "0.0.0.0", 1, 0, NULL },
	{ "h:00080", "h", 80, 0, NULL },

	{ "", NULL, 0, 0, "empty address" },
	{ "1.2.3.4:", NULL, 0, 0, "\"1.2.3.4:\": missing port after ':'" },
	{ ":20556", NULL, 0, 0, "\":20556\": missing host before ':'" },
	{ "h:p:q", NULL, 0, 0, "\"h:p:q\": too many ':' for HOST:PORT, and not an IPv6 "
	    "address (write [IPv6]:PORT)" },
	{ "h:0", NULL, 0, 0, "\"h:0\": port 0 is not allowed (use 1 to 65535)" },
	{ "h:65536", NULL, 0, 0, "\"h:65536\": port \"65536\" is out of range (use 1 to 65535)" },
	{ "h:http", NULL, 0, 0, "\"h:http\": port \"http\" is not a number (use 1 to 65535)" },
	{ "h:-1", NULL, 0, 0, "\"h:-1\": port \"-1\" is not a number (use 1 to 65535)" },
	{ "[::1", NULL, 0, 0, "\"[::1\": missing ']' after the IPv6 address" },
	{ "[]:1", NULL, 0, 0, "\"[]:1\": empty IPv6 address in []" },
	{ "[::1]:", NULL, 0, 0, "\"[::1]:\": missing port after ':'" },
	{ "[::1]x", NULL, 0, 0, "\"[::1]x\": unexpected text after ']' (write [IPv6]:PORT)" },
	{ "[1.2.3.4]:1", NULL, 0, 0, "\"[1.2.3.4]:1\": the text in [] is not an IPv6 address" },
	{ "[host]:1", NULL, 0, 0, "\"[host]:1\": the text in [] is not an IPv6 address" },
	{ "fe80::1%", NULL, 0, 0, "\"fe80::1%\": too many ':' for HOST:PORT, and not an "
	    "IPv6 address (write [IPv6]:PORT)" },
	{ "300.1.1.1", NULL, 0, 0, "\"300.1.1.1\": \"300.1.1.1\" is not an IPv4 address "
	    "(four numbers 0-255 separated by '.')" },
	{ "1.2.3", NULL, 0, 0, "\"1.2.3\": \"1.2.3\" is not an IPv4 address "
	    "(four numbers 0-255 separated by '.')" },
	{ "a..b", NULL, 0, 0, "\"a..b\": empty label in host name \"a..b\"" },
	{ ".a", NULL, 0, 0, "\".a\": empty label in host name \".a\"" },
	{ "a b", NULL, 0, 0, "\"a b\": invalid character ' ' in host name" },
	{ "h*st:1", NULL, 0, 0, "\"h*st:1\": invalid character '*' in host name" },
	{ "h\xc3\xa9", NULL, 0, 0, "\"h\\xc3\\xa9\": invalid byte 0xc3 in host name" },
};

START_TEST(test_split_table)
{
	struct pl_hostport	 hp;
	char			 why[256];
	int			 r;

	r = pl_addr_split(split_cases[_i].in, 20556, &hp, why, sizeof(why));
	if (split_cases[_i].err != NULL) {
		ck_assert_msg(r == -1, "%s: accepted", split_cases[_i].in);
		ck_assert_str_eq(why, split_cases[_i].err);
		return;
	}
	ck_assert_msg(r == 0, "%s: %s", split_cases[_i].in, why);
	ck_assert_str_eq(hp.host, split_cases[_i].host);
	ck_assert_uint_eq(hp.port, split_cases[_i].port);
	ck_assert_int_eq(hp.is_ipv6, split_cases[_i].v6);
	ck_assert_int_eq(hp.has_port, strchr(split_cases[_i].in, ']') != NULL ?
	    strstr(split_cases[_i].in, "]:") != NULL :
	    !split_cases[_i].v6 && strchr(split_cases[_i].in, ':') != NULL);
}
END_TEST

START_TEST(test_split_flags_and_fmt)
{
	struct pl_hostport	 hp;
	char			 why[256], out[300];

	ck_assert_int_eq(pl_addr_split("192.0.2.1", 20557, &hp, why, sizeof(why)), 0);
	ck_assert_int_eq(hp.is_ipv4, 1);
	ck_assert_int_eq(hp.has_port, 0);
	ck_assert_uint_eq(hp.port, 20557);
	ck_assert_str_eq(pl_addr_fmt(&hp, out, sizeof(out)), "192.0.2.1:20557");
	ck_assert_int_eq(pl_addr_split("[::1]:9", 1, &hp, why, sizeof(why)), 0);
	ck_assert_int_eq(hp.bracketed, 1);
	ck_assert_str_eq(pl_addr_fmt(&hp, out, sizeof(out)), "[::1]:9");
	ck_assert_int_eq(pl_addr_split("::1", 1, &hp, why, sizeof(why)), 0);
	ck_assert_int_eq(hp.bracketed, 0);
	ck_assert_str_eq(pl_addr_fmt(&hp, out, sizeof(out)), "[::1]:1");
	ck_assert_int_eq(pl_addr_split("example.org", 1, &hp, why, sizeof(why)), 0);
	ck_assert_int_eq(hp.is_ipv4 | hp.is_ipv6, 0);
}
END_TEST

START_TEST(test_split_long_names)
{
	struct pl_hostport	 hp;
	char			 name[400], why[256];

	/* 63-character labels are fine, 64 are not; 253 characters in all. */
	memset(name, 'a', 63);
	strcpy(name + 63, ".b");
	ck_assert_int_eq(pl_addr_split(name, 1, &hp, why, sizeof(why)), 0);
	memset(name, 'a', 64);
	strcpy(name + 64, ".b");
	ck_assert_int_eq(pl_addr_split(name, 1, &hp, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "is longer than 63 characters"));
	memset(name, 'a', sizeof(name));
	for (size_t i = 50; i < 300; i += 51)
		name[i] = '.';
	name[254] = '\0';
	ck_assert_int_eq(pl_addr_split(name, 1, &hp, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "host name longer than 253 characters"));
	name[253] = '\0';
	ck_assert_int_eq(pl_addr_split(name, 1, &hp, why, sizeof(why)), 0);
}
END_TEST

START_TEST(test_port)
{
	uint16_t	 p;
	char		 why[128];

	ck_assert_int_eq(pl_addr_port("1", 1, &p, why, sizeof(why)), 0);
	ck_assert_uint_eq(p, 1);
	ck_assert_int_eq(pl_addr_port("65535", 5, &p, why, sizeof(why)), 0);
	ck_assert_uint_eq(p, 65535);
	ck_assert_int_eq(pl_addr_port("99999999999999999999", 20, &p, why, sizeof(why)), -1);
	ck_assert_int_eq(pl_addr_port("", 0, &p, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "empty port");
}
END_TEST

/* Every result is returned, numeric hosts never hit DNS. */
START_TEST(test_resolve_numeric)
{
	struct pl_hostport	 hp;
	struct addrinfo		*res, *ai;
	char			 why[256], txt[INET6_ADDRSTRLEN];
	int			 n = 0;

	ck_assert_int_eq(pl_addr_split("127.0.0.1:20600", 1, &hp, why, sizeof(why)), 0);
	ck_assert_int_eq(pl_addr_resolve(&hp, 0, &res, why, sizeof(why)), 0);
	for (ai = res; ai != NULL; ai = ai->ai_next, n++) {
		ck_assert_int_eq(ai->ai_family, AF_INET);
		ck_assert_int_eq(ai->ai_socktype, SOCK_STREAM);
		inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, txt,
		    sizeof(txt));
		ck_assert_str_eq(txt, "127.0.0.1");
		ck_assert_uint_eq(ntohs(((struct sockaddr_in *)ai->ai_addr)->sin_port), 20600);
	}
	ck_assert_int_ge(n, 1);
	freeaddrinfo(res);

	ck_assert_int_eq(pl_addr_split("[::1]:7", 1, &hp, why, sizeof(why)), 0);
	ck_assert_int_eq(pl_addr_resolve(&hp, 0, &res, why, sizeof(why)), 0);
	ck_assert_int_eq(res->ai_family, AF_INET6);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in6 *)res->ai_addr)->sin6_port), 7);
	freeaddrinfo(res);

	/* For bind: the wildcard addresses. */
	ck_assert_int_eq(pl_addr_split("0.0.0.0", 20556, &hp, why, sizeof(why)), 0);
	ck_assert_int_eq(pl_addr_resolve(&hp, 1, &res, why, sizeof(why)), 0);
	ck_assert_int_eq(res->ai_family, AF_INET);
	freeaddrinfo(res);
}
END_TEST

/* A failed lookup names the host; AI_NUMERICHOST keeps this test off DNS. */
START_TEST(test_resolve_failure)
{
	struct pl_hostport	 hp;
	struct addrinfo		*res = (struct addrinfo *)1;
	char			 why[256];

	memset(&hp, 0, sizeof(hp));
	strcpy(hp.host, "192.0.2.300");
	hp.is_ipv4 = 1;
	hp.port = 1;
	ck_assert_int_eq(pl_addr_resolve(&hp, 0, &res, why, sizeof(why)), -1);
	ck_assert_ptr_null(res);
	ck_assert_msg(strncmp(why, "cannot resolve 192.0.2.300: ", 28) == 0, "%s", why);
	hp.host[0] = '\0';
	ck_assert_int_eq(pl_addr_resolve(&hp, 0, &res, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "empty host");
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("addr");
	TCase	*tc = tcase_create("addr");

	tcase_add_loop_test(tc, test_split_table, 0,
	    (int)(sizeof(split_cases) / sizeof(split_cases[0])));
	tcase_add_test(tc, test_split_flags_and_fmt);
	tcase_add_test(tc, test_split_long_names);
	tcase_add_test(tc, test_port);
	tcase_add_test(tc, test_resolve_numeric);
	tcase_add_test(tc, test_resolve_failure);
	suite_add_tcase(s, tc);
	return ct_run(s);
}
