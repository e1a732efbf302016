/*
 * test_cred_nv.c: the pure text layer of the PacketLab extensions:
 * information and limit payloads, valid_dest subnets (masks computed,
 * host bits masked), and the ordered pair lists pktlab-cred merges.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "cred/cred.h"
#include "credtest.h"

static int
info(const char *s, struct cred_info *i, struct cred_err *err)
{
	return cred_info_parse(s, strlen(s), "t", i, err);
}

static int
lim(const char *s, struct cred_limits *l, struct cred_err *err)
{
	return cred_limits_parse(s, strlen(s), "t", l, err);
}

START_TEST(info_payloads)
{
	struct cred_info	 i;
	struct cred_err		 err;

	ck_assert_int_eq(info("cert_type=agent;", &i, &err), 0);
	ck_assert_int_eq(i.type, CRED_AGENT);
	cred_info_clear(&i);
	ck_assert_int_eq(info("site=ucsd;cert_type=delpriv;"
	    "del_type=reppriv,exppriv;cert_desc=a b (c);", &i, &err), 0);
	ck_assert_uint_eq(i.del_type, CRED_DEL_EXPPRIV | CRED_DEL_REPPRIV);
	ck_assert_str_eq(i.desc, "a b (c)");
	ck_assert_uint_eq(i.naux, 1);
	ck_assert_str_eq(i.aux[0].name, "site");
	ck_assert_str_eq(i.aux[0].value, "ucsd");
	cred_info_clear(&i);

	ck_assert_int_eq(info("", &i, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "empty"));
	ck_assert_int_eq(info("cert_desc=x;", &i, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "no cert_type"));
	ck_assert_int_eq(info("cert_type=agent;cert_type=agent;", &i, &err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "duplicate"));
	ck_assert_int_eq(info("cert_type=delpriv;del_type=exppriv,;", &i,
	    &err), -1);
	ck_assert_int_eq(info("cert_type=delpriv;del_type=;", &i, &err), -1);
	ck_assert_int_eq(info("*cert_type=agent;", &i, &err), -1);
	ck_assert_int_eq(cred_info_parse("cert_type=agent;\0x=1;", 22, "t",
	    &i, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "NUL"));
}
END_TEST

START_TEST(limit_payloads)
{
	struct cred_limits	 l;
	struct cred_err		 err;

	ck_assert_int_eq(lim("max_send_pkt=18446744073709551615;"
	    "max_burst_rate_byte=1/1;monitor=;", &l, &err), 0);
	ck_assert_uint_eq(l.num[CRED_LIM_MAX_SEND_PKT], UINT64_MAX);
	ck_assert_uint_eq(l.nburst_byte, 1);
	ck_assert_uint_eq(l.nmonitor, 0);
	ck_assert(l.have & CRED_LIM_BIT(CRED_LIM_MONITOR));
	cred_limits_clear(&l);
	ck_assert_int_eq(lim("max_send_pkt=18446744073709551616;", &l, &err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "below 2^64"));
	ck_assert_int_eq(lim("max_socket_count=;", &l, &err), -1);
	ck_assert_int_eq(lim("max_socket_count=+3;", &l, &err), -1);
	ck_assert_int_eq(lim("max_burst_rate_pkt=1/2,3;", &l, &err), -1);
	ck_assert_int_eq(lim("valid_dest=;", &l, &err), -1);
	ck_assert_int_eq(lim("valid_dest=10.0.0.0/8,,1.2.3.4;", &l, &err), -1);

	/* Two digests, mixed case; known '*' limits; unknown names are aux. */
	ck_assert_int_eq(lim("monitor=3A3DFF7A950AB7CAF70CFCF8D67F45E2E3E4CD72"
	    "E3E6E484496394B419755CCD3a3dff7a950ab7caf70cfcf8d67f45e2e3e4cd72e"
	    "3e6e484496394b419755ccd;*valid_dest=::1;other=x;*opt=y;", &l,
	    &err), 0);
	ck_assert_uint_eq(l.nmonitor, 2);
	ck_assert_mem_eq(l.monitor[0].d, l.monitor[1].d, 32);
	ck_assert_uint_eq(l.optional, CRED_LIM_BIT(CRED_LIM_VALID_DEST));
	ck_assert_uint_eq(l.dest[0].plen, 128);
	ck_assert_uint_eq(l.naux, 2);
	ck_assert_int_eq(l.aux[0].optional, 0);
	ck_assert_str_eq(l.aux[1].name, "opt");
	ck_assert_int_eq(l.aux[1].optional, 1);
	cred_limits_clear(&l);

	/* filter is not known to 1.1.0: a malformed one stays an aux limit. */
	ck_assert_int_eq(lim("filter=zz;", &l, &err), 0);
	ck_assert(!(l.have & CRED_LIM_BIT(CRED_LIM_FILTER)));
	ck_assert_uint_eq(l.naux, 1);
	cred_limits_clear(&l);
}
END_TEST

START_TEST(subnets)
{
	struct cred_subnet	 sn;
	const char		*why;
	uint8_t			 a[16];
	char			 s[64];

	ck_assert_int_eq(cred_subnet_parse("10.0.0.1/8", 10, &sn, &why), 0);
	ck_assert_int_eq(sn.hostbits, 1);
	ck_assert_str_eq(cred_subnet_str(&sn, s, sizeof(s)), "10.0.0.0/8");
	inet_pton(AF_INET, "10.200.1.1", a);
	ck_assert(cred_subnet_match(&sn, AF_INET, a));
	inet_pton(AF_INET, "11.0.0.0", a);
	ck_assert(!cred_subnet_match(&sn, AF_INET, a));

	ck_assert_int_eq(cred_subnet_parse("2001:db8::1/33", 14, &sn, &why),
	    0);
	ck_assert_str_eq(cred_subnet_str(&sn, s, sizeof(s)), "2001:db8::/33");
	ck_assert_uint_eq(sn.mask[4], 0x80);
	inet_pton(AF_INET6, "2001:db8:7fff::", a);
	ck_assert(cred_subnet_match(&sn, AF_INET6, a));
	inet_pton(AF_INET6, "2001:db8:8000::", a);
	ck_assert(!cred_subnet_match(&sn, AF_INET6, a));

	ck_assert_int_eq(cred_subnet_parse("0.0.0.0/0", 9, &sn, &why), 0);
	inet_pton(AF_INET, "203.0.113.9", a);
	ck_assert(cred_subnet_match(&sn, AF_INET, a));
	ck_assert_int_eq(cred_subnet_parse("192.0.2.1", 9, &sn, &why), 0);
	ck_assert_uint_eq(sn.plen, 32);
	ck_assert_int_eq(sn.hostbits, 0);

	ck_assert_int_eq(cred_subnet_parse("::/129", 6, &sn, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "0..128"));
	ck_assert_int_eq(cred_subnet_parse("1.2.3/8", 7, &sn, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "IPv4"));
	ck_assert_int_eq(cred_subnet_parse("1.2.3.4/", 8, &sn, &why), -1);
	ck_assert_int_eq(cred_subnet_parse("[::1]", 5, &sn, &why), -1);
}
END_TEST

START_TEST(nvlists)
{
	struct cred_nvlist	 l = { 0 };
	struct cred_err		 err;
	char			*t;
	size_t			 len;

	const char		*csr = "valid_dest=10.0.0.0/8;*max_recv_pkt=5;"
				    "zz=1;monitor=;";

	ck_assert_int_eq(cred_nvlist_parse(&l, csr, strlen(csr), 1, "csr",
	    &err), 0);
	/* The command line wins, and "x" replaces "*x". */
	cred_nvlist_set(&l, "max_recv_pkt", 0, "7");
	cred_nvlist_set(&l, "*max_socket_count", 0, "2");
	cred_nvlist_sort(&l, 1);
	t = cred_nvlist_text(&l, &len);
	ck_assert_str_eq(t, "monitor=;*max_socket_count=2;max_recv_pkt=7;"
	    "valid_dest=10.0.0.0/8;zz=1;");
	ck_assert_uint_eq(len, strlen(t));
	ck_assert_ptr_nonnull(cred_nvlist_get(&l, "*max_recv_pkt"));
	ck_assert_int_eq(cred_nvlist_del(&l, "zz"), 1);
	ck_assert_ptr_null(cred_nvlist_get(&l, "zz"));
	free(t);
	cred_nvlist_clear(&l);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("cred_nv");
	TCase	*tc = tcase_create("nv");

	tcase_add_test(tc, info_payloads);
	tcase_add_test(tc, limit_payloads);
	tcase_add_test(tc, subnets);
	tcase_add_test(tc, nvlists);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ct_run(suite());
}
