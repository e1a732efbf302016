/*
 * test_endpoint_conf.c: endpt.conf (src/endpoint/pure/epconf.c) and the
 * resolv.conf reader: defaults, every directive, relative paths, the
 * destination rules, and an error with its line for each kind of mistake.
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "cred/cred.h"
#include "endpoint/pure/endpt.h"
#include "ctrun.h"

struct diags {
	int		 n[3];
	unsigned	 line;		/* of the last one */
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

START_TEST(defaults)
{
	struct ep_conf	 c;
	struct diags	 d;

	ck_assert_int_eq(parse(&c, "", &d), 0);
	ck_assert_uint_eq(c.bufmax, 0x800000);
	ck_assert_uint_eq(c.transsup, PL_TRANSSUP_TCP | PL_TRANSSUP_UDP);
	ck_assert(c.ipv4 && c.ipv6);
	ck_assert_uint_eq(c.connect_timeout, 3000000000ull);
	ck_assert_uint_eq(c.handshake_timeout, 10000000000ull);
	ck_assert_uint_eq(c.retry_delay, 1000000000ull);
	ck_assert_uint_eq(c.setup_timeout, 10000000000ull);
	ck_assert_uint_eq(c.connect_attempts, 0);
	ck_assert(c.privkey == NULL && c.nchain == 0 && c.nallow == 0);
	ck_assert(!c.have_dns && !c.have_ip4 && !c.have_ip6);
	ep_conf_clear(&c);
}
END_TEST

START_TEST(every_directive)
{
	static const char text[] =
	    "# what pktlab-cred init writes\r\n"
	    "EndpointPrivKey /home/u/.pktlab/keys/k_ep\n"
	    "ControllerCertChainPath certs/subcmd_eop_ep.cert,certs/delpriv.cert\n"
	    "EndpointOpPubKeyPath keys/k_eop.pub\n"
	    "SNIKey abc123\n"
	    "HostID lab-7 (rack 2)\n"
	    "VMemLocalAddrStrIPv4 192.0.2.7/24,10.1.2.3\n"
	    "VMemLocalAddrStrIPv6 2001:db8::7\n"
	    "DNSServers 192.0.2.53,2001:db8::53\n"
	    "AllowedDest 127.0.0.0/8,::1/128\n"
	    "TransprotoSup udp\n"
	    "SocketFamilies ipv4\n"
	    "BufMax 65536\n"
	    "ConnectTimeout 500ms\n"
	    "HandshakeTimeout 2s\n"
	    "RetryDelay 0\n"
	    "SetupTimeout 3s\n"
	    "CloseTimeout 1s\n"
	    "ConnectAttempts 5\n"
	    "EndpointAgentCertPath certs/agent_ep_ep.cert\n";
	struct ep_conf	 c;
	struct diags	 d;
	uint8_t		 a[16];

	ck_assert_int_eq(parse(&c, text, &d), 0);
	ck_assert_int_eq(d.n[EP_DIAG_WARN], 0);
	ck_assert_int_eq(d.n[EP_DIAG_NOTE], 0);
	ck_assert_str_eq(c.agent_cert, "/etc/pktlab/certs/agent_ep_ep.cert");
	ck_assert_str_eq(c.privkey, "/home/u/.pktlab/keys/k_ep");
	ck_assert_uint_eq(c.nchain, 2);
	ck_assert_str_eq(c.chain[0], "/etc/pktlab/certs/subcmd_eop_ep.cert");
	ck_assert_str_eq(c.chain[1], "/etc/pktlab/certs/delpriv.cert");
	ck_assert_str_eq(c.oproots[0], "/etc/pktlab/keys/k_eop.pub");
	ck_assert_str_eq(c.snikey, "abc123");
	ck_assert_str_eq(c.hostid, "lab-7 (rack 2)");
	ck_assert_uint_eq(c.nip4, 2);
	ck_assert_mem_eq(c.ip4[0].addr, "\xc0\0\x02\x07", 4);
	ck_assert_mem_eq(c.ip4[0].mask, "\xff\xff\xff\0", 4);
	ck_assert_mem_eq(c.ip4[1].mask, "\xff\xff\xff\xff", 4);
	ck_assert_uint_eq(c.nip6, 1);
	ck_assert_uint_eq(c.ndns4, 1);
	ck_assert_uint_eq(c.ndns6, 1);
	ck_assert_uint_eq(c.transsup, PL_TRANSSUP_UDP);
	ck_assert(c.ipv4 && !c.ipv6);
	ck_assert_uint_eq(c.bufmax, 65536);
	ck_assert_uint_eq(c.connect_timeout, 500000000ull);
	ck_assert_uint_eq(c.handshake_timeout, 2000000000ull);
	ck_assert_uint_eq(c.retry_delay, 0);
	ck_assert_uint_eq(c.setup_timeout, 3000000000ull);
	ck_assert_uint_eq(c.close_timeout, 1000000000ull);
	ck_assert_uint_eq(c.connect_attempts, 5);
	inet_pton(AF_INET, "127.9.9.9", a);
	ck_assert(ep_conf_dest_ok(&c, AF_INET, a));
	inet_pton(AF_INET, "128.0.0.1", a);
	ck_assert(!ep_conf_dest_ok(&c, AF_INET, a));
	inet_pton(AF_INET6, "::1", a);
	ck_assert(ep_conf_dest_ok(&c, AF_INET6, a));
	inet_pton(AF_INET6, "::2", a);
	ck_assert(!ep_conf_dest_ok(&c, AF_INET6, a));
	ep_conf_clear(&c);
}
END_TEST

START_TEST(last_wins_and_any)
{
	struct ep_conf	 c;
	struct diags	 d;
	uint8_t		 a[4] = { 8, 8, 8, 8 };

	ck_assert_int_eq(parse(&c, "AllowedDest 10.0.0.0/8\nAllowedDest any\n"
	    "BufMax 5000\nBufMax 6000\nTransprotoSup 6\nDNSServers none\n", &d), 0);
	ck_assert(ep_conf_dest_ok(&c, AF_INET, a));
	ck_assert_uint_eq(c.bufmax, 6000);
	ck_assert_uint_eq(c.transsup, PL_TRANSSUP_TCP | PL_TRANSSUP_UDP);
	ck_assert(c.have_dns && c.ndns4 == 0 && c.ndns6 == 0);
	ep_conf_clear(&c);
	/* Host bits in AllowedDest: a warning, and the network is used. */
	ck_assert_int_eq(parse(&c, "AllowedDest 10.1.2.3/8\n", &d), 0);
	ck_assert_int_eq(d.n[EP_DIAG_WARN], 1);
	a[0] = 10;
	ck_assert(ep_conf_dest_ok(&c, AF_INET, a));
	ep_conf_clear(&c);
}
END_TEST

static const struct {
	const char	*text;
	unsigned	 line;
	const char	*needle;
} bad[] = {
	{ "BufMax 12x\n", 1, "BufMax" },
	{ "\nBufMax 100\n", 2, "4096" },
	{ "BufMax 4294967296\n", 1, "BufMax" },
	{ "HostID\n", 1, "missing value" },
	{ "SNIKey ABC\n", 1, "SNIKey" },
	{ "VMemLocalAddrStrIPv4 300.1.1.1\n", 1, "not an IPv4 address" },
	{ "VMemLocalAddrStrIPv4 10.0.0.1/33\n", 1, "prefix length" },
	{ "VMemLocalAddrStrIPv4 10.0.0.1/\n", 1, "missing prefix length" },
	{ "VMemLocalAddrStrIPv6 10.0.0.1\n", 1, "not an IPv6 address" },
	{ "DNSServers 1.2.3.4, 5.6.7.8\n", 1, "white space" },
	{ "DNSServers 1.2.3.4,,5.6.7.8\n", 1, "empty" },
	{ "DNSServers fe80::zz\n", 1, "not an IPv6" },
	{ "AllowedDest 10.0.0.0/40\n", 1, "AllowedDest" },
	{ "TransprotoSup raw\n", 1, "raw sockets" },
	{ "TransprotoSup 7\n", 1, "raw sockets" },
	{ "SocketFamilies ipx\n", 1, "ipv4 or ipv6" },
	{ "ConnectTimeout 0\n", 1, "more than 0" },
	{ "SetupTimeout 10 minutes\n", 1, "SetupTimeout" },
	{ "ControllerCertChainPath a,,b\n", 1, "empty" },
	{ "ConnectAttempts -1\n", 1, "ConnectAttempts" },
};

START_TEST(errors_name_line)
{
	struct ep_conf	 c;
	struct diags	 d;

	ck_assert_int_eq(parse(&c, bad[_i].text, &d), 1);
	ck_assert_uint_eq(d.line, bad[_i].line);
	ck_assert_msg(strstr(d.msg, bad[_i].needle) != NULL,
	    "\"%s\" does not mention \"%s\"", d.msg, bad[_i].needle);
	ep_conf_clear(&c);
}
END_TEST

START_TEST(unknown_warns)
{
	struct ep_conf	 c;
	struct diags	 d;
	char		 big[300];

	ck_assert_int_eq(parse(&c, "HostId typo\n", &d), 0);
	ck_assert_int_eq(d.n[EP_DIAG_WARN], 1);
	ck_assert(strstr(d.msg, "HostId") != NULL);
	ep_conf_clear(&c);
	memset(big, 'h', sizeof(big));
	memcpy(big, "HostID ", 7);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(parse(&c, big, &d), 1);
	ck_assert(strstr(d.msg, "at most 255") != NULL);
	ep_conf_clear(&c);
}
END_TEST

START_TEST(resolv)
{
	static const char text[] =
	    "# comment\n"
	    "search example.org\n"
	    "nameserver 192.0.2.1\n"
	    "  nameserver\t2001:db8::1%eth0  \n"
	    "nameserver not-an-address\n"
	    "nameservers 192.0.2.9\n"
	    "nameserver 192.0.2.2 # trailing\n";
	struct ep_conf	 c;
	int		 i;
	char		 many[64 * 24];
	size_t		 n = 0;

	ep_conf_init(&c);
	ck_assert_uint_eq(ep_resolv_parse(text, strlen(text), &c), 3);
	ck_assert_uint_eq(c.ndns4, 2);
	ck_assert_mem_eq(c.dns4[0], "\xc0\0\x02\x01", 4);
	ck_assert_mem_eq(c.dns4[1], "\xc0\0\x02\x02", 4);
	ck_assert_uint_eq(c.ndns6, 1);
	ck_assert_uint_eq(c.dns6[0][15], 1);
	ep_conf_clear(&c);
	/* At most 16 per family. */
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n,
		    "nameserver 10.0.0.%d\n", i);
	ep_conf_init(&c);
	ck_assert_uint_eq(ep_resolv_parse(many, n, &c), 16);
	ck_assert_uint_eq(c.ndns4, 16);
	ep_conf_clear(&c);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("endpoint_conf");
	TCase	*tc = tcase_create("conf");

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, every_directive);
	tcase_add_test(tc, last_wins_and_any);
	tcase_add_loop_test(tc, errors_name_line, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, unknown_warns);
	tcase_add_test(tc, resolv);
	suite_add_tcase(s, tc);
	return ct_run(s);
}
