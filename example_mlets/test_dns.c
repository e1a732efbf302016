/*
 * test_dns: the PacketLab tutorial's DNS query over UDP, on the mlet
 * library.
 *
 *   test_dns [DOMAIN [DNS_IPV4]]      (www.example.com, 8.8.8.8)
 *
 * Opens UDP socket 1 on the endpoint, sends an A query for DOMAIN to
 * DNS_IPV4:53 with tag 1234, waits for one datagram and prints the
 * answers on stdout.  Same messages, output and exit statuses as 1.1.0
 * (protocol spec §14.2), except that an EOF or a bad ntag is reported
 * instead of crashing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example.h"
#include "dns.h"

#define SKTID		1
#define TAG		1234
#define RBUFSZ		0x1000
#define DNS_ID		5566
#define DNS_SERVER	"8.8.8.8"

int
main(int argc, char *argv[])
{
	static uint8_t		 reply[PL_NDATA_MAX];
	struct pl_mlet_addr	 epa, server;
	struct pl_mlet_msg	*pm;
	struct pl_mlet		*m;
	const char		*ep = ex_epaddr();
	const char		*domain = argc >= 2 ? argv[1] : EX_DEFAULT_HOST;
	const char		*srv = DNS_SERVER;
	uint8_t			 query[512];
	struct ex_rx		 rx = { reply, sizeof(reply), 0, 0, 0 };
	pl_time_t		 ep_sent = 0, ctl_sent;
	int			 got = 0, qlen;

	fprintf(stderr, "> Endpoint address is %s\n", ep);
	if (pl_mlet_addr_parse(&epa, ep, 0) == -1) {
		fprintf(stderr, "%s: not a valid IP address\n", ep);
		exit(EXIT_FAILURE);
	}
	if (argc == 3 && pl_mlet_addr_parse(&server, argv[2], 53) == 0 &&
	    server.family == PL_FAM_IPV4)
		srv = argv[2];
	pl_mlet_addr_parse(&server, srv, 53);
	fprintf(stderr, "> PacketLab Measurement Applet: DNS query example "
	    "(querying '%s' for domain '%s') using pktxpmgr\n", srv, domain);
	m = ex_session();
	if ((qlen = dns_query(query, sizeof(query), domain, DNS_ID)) == -1)
		ex_die("error: '%s' is not a domain name a DNS query can carry", domain);

	ex_result_only(m, pl_mlet_nopen_udp(m, SKTID, PL_FAM_IPV4, NULL, RBUFSZ));
	ctl_sent = pl_time_now();
	ex_result_only(m, pl_mlet_nsend_to(m, SKTID, TAG, PL_TIME_NOW, &server, query,
	    (size_t)qlen));

	while (!got) {
		pm = ex_next(m);
		switch (pm->msg.known ? pm->msg.type : PL_UNDEF) {
		case PL_NTAG:
			ep_sent = ex_ntag(pm, TAG);
			break;
		case PL_NDATA:
			ex_ndata(&rx, pm, SKTID);	/* one datagram ends the loop */
			got = 1;
			break;
		case PL_NSTAT:
			fprintf(stderr, "nstat msg id %d\n", pm->msg.u.nstat.code);
			break;
		default:
			ex_die_with(pm, "Unknown msg type %d", pm->msg.type);
		}
		pl_mlet_msg_free(pm);
	}

	ex_result_only(m, pl_mlet_nclose(m, SKTID));

	ex_results(rx.len, ex_ns(rx.ep_time, ep_sent), ex_ns(rx.ctl_time, ctl_sent));
	ex_hexdump(stderr, reply, rx.len);
	dns_print(stdout, stderr, reply, rx.len, DNS_ID, ep);
	fprintf(stderr, "> Terminating\n");
	pl_mlet_free(m);
	return 0;
}
