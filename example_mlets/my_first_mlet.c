/*
 * my_first_mlet: a small mlet to start from.  It reads a few facts from
 * the endpoint's memory and prints them on stdout:
 *
 *   endpoint 192.0.2.7 (host id "lab-3"), clock 1700000000.123456789
 *   transports: raw tcp udp
 *   local IPv4 address: 192.0.2.7/255.255.255.0
 *   DNS server: 192.0.2.53
 *
 * Build it against the installed library (see Makefile.example):
 *   cc -o my_first_mlet my_first_mlet.c $(pkg-config --cflags --libs pktlab-mlet)
 * and run it with pktxpmgr: pktxpmgr ./my_first_mlet
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pktlab/pktlab.h>

#define MAX_ADDRS	8

int
main(void)
{
	struct pl_mlet		*m;
	struct pl_mlet_laddr	 la[MAX_ADDRS];
	struct pl_mlet_addr	 dns[MAX_ADDRS];
	char			 hostid[PL_SP_HOSTID_LEN + 1], ip[PL_MLET_ADDRSTRLEN];
	char			 mask[PL_MLET_ADDRSTRLEN];
	struct pl_mlet_addr	 ma;
	pl_time_t		 now;
	uint32_t		 trans;
	size_t			 n, i;

	/* fd 0 and EPADDR, as pktxpmgr hands them over. */
	if ((m = pl_mlet_from_env()) == NULL) {
		fprintf(stderr, "my_first_mlet: run me with pktxpmgr\n");
		return 1;
	}
	/* Give up on an endpoint that stops answering. */
	pl_mlet_set_timeout(m, 10000);

	if (pl_mlet_hostid(m, hostid, sizeof(hostid)) < 0 ||
	    pl_mlet_ep_time(m, &now) < 0 || pl_mlet_transsup(m, &trans) < 0)
		goto fail;
	printf("endpoint %s (host id \"%s\"), clock %llu.%09llu\n",
	    pl_mlet_epaddr(m), hostid,
	    (unsigned long long)(now / PL_TICKS_PER_SEC),
	    (unsigned long long)(now % PL_TICKS_PER_SEC));
	printf("transports:%s%s%s\n", trans & PL_TRANSSUP_RAW ? " raw" : "",
	    trans & PL_TRANSSUP_TCP ? " tcp" : "", trans & PL_TRANSSUP_UDP ? " udp" : "");

	if (pl_mlet_local_addrs(m, PL_FAM_IPV4, la, MAX_ADDRS, &n) < 0)
		goto fail;
	for (i = 0; i < n && i < MAX_ADDRS; i++) {
		pl_mlet_addr_any(&ma, PL_FAM_IPV4);
		memcpy(ma.ip, la[i].netmask, 4);
		printf("local IPv4 address: %s/%s\n",
		    pl_mlet_addr_ntop(&la[i].addr, ip, sizeof(ip)),
		    pl_mlet_addr_ntop(&ma, mask, sizeof(mask)));
	}
	if (pl_mlet_dns_servers(m, PL_FAM_IPV4, dns, MAX_ADDRS, &n) < 0)
		goto fail;
	for (i = 0; i < n && i < MAX_ADDRS; i++)
		printf("DNS server: %s\n", pl_mlet_addr_ntop(&dns[i], ip, sizeof(ip)));

	/* Closing fd 0 tells pktxpmgr the experiment is over. */
	pl_mlet_close(m);
	return 0;
fail:
	fprintf(stderr, "my_first_mlet: %s\n", pl_mlet_strerror(m));
	pl_mlet_close(m);
	return 1;
}
