/*
 * test_icmp_echo: the PacketLab tutorial's ping, on the mlet library.
 *
 *   test_icmp_echo [TARGET]      (www.example.com)
 *
 * Opens raw IPv4 socket 1 on the endpoint, installs a capture filter for
 * ICMP echo replies with id 0x15be, sends one echo request to TARGET
 * (resolved here, on the controller) with tag 1234, and prints the round
 * trip time measured at the endpoint.  Needs an endpoint that allows raw
 * sockets.  Wire bytes, output and exit statuses as 1.1.0 (protocol spec
 * §14.3), except that an EOF or a bad ntag is reported instead of crashing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example.h"

#define SKTID		1
#define TAG		1234
#define RBUFSZ		0x1000
#define ICMP_ID		0x15be
#define ECHO_TTL		30	/* 1.1.0 asked for 40 but built 30 */
#define PKT_LEN		28	/* IPv4 header + ICMP echo header */

/*
 * Accept (0xffff bytes of) an IPv4 ICMP echo reply with id 0x15be; the
 * fixed offsets assume a 20-byte IP header, as in 1.1.0.
 */
static const struct pl_ebpf_insn filter[] = {
	{ 0xbf, 6, 1, 0, 0 },			/* r6 = r1 (context) */
	{ 0xb7, 7, 0, 0, 0 },			/* r7 = 0: reject */
	{ 0x30, 0, 0, 0, 0 },			/* r0 = byte [0] */
	{ 0x57, 0, 0, 0, 0xfffffff0 },		/* r0 &= 0xf0: version */
	{ 0x55, 0, 0, 8, 0x40 },		/* not IPv4: out */
	{ 0x30, 0, 0, 0, 9 },			/* r0 = byte [9]: protocol */
	{ 0x55, 0, 0, 6, 1 },			/* not ICMP: out */
	{ 0x28, 0, 0, 0, 20 },			/* r0 = half [20]: type, code */
	{ 0x55, 0, 0, 4, 0 },			/* not an echo reply: out */
	{ 0x28, 0, 0, 0, 24 },			/* r0 = half [24]: id */
	{ 0xb7, 7, 0, 0, 0xffff },		/* r7 = accept */
	{ 0x15, 0, 0, 1, ICMP_ID },		/* our id: keep r7 */
	{ 0xb7, 7, 0, 0, 0 },			/* r7 = 0 */
	{ 0xbf, 0, 7, 0, 0 },			/* r0 = r7 */
	{ 0x95, 0, 0, 0, 0 },			/* exit */
};

static uint16_t	 cksum(const uint8_t *, size_t);
static void	 build_echo(uint8_t *, const struct pl_mlet_addr *);

static uint16_t
cksum(const uint8_t *p, size_t len)
{
	uint32_t	 sum = 0;
	size_t		 i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Source 0.0.0.0: the endpoint's OS fills it in. */
static void
build_echo(uint8_t *pkt, const struct pl_mlet_addr *dst)
{
	memset(pkt, 0, PKT_LEN);
	pkt[0] = 0x45;
	pl_put16(pkt + 2, PKT_LEN);
	pl_put16(pkt + 4, ICMP_ID);
	pkt[8] = ECHO_TTL;
	pkt[9] = 1;				/* ICMP */
	memcpy(pkt + 16, dst->ip, 4);
	pl_put16(pkt + 10, cksum(pkt, 20));
	pkt[20] = 8;				/* echo request */
	pl_put16(pkt + 24, ICMP_ID);
	pl_put16(pkt + 22, cksum(pkt + 20, 8));
}

int
main(int argc, char *argv[])
{
	static uint8_t		 reply[PL_NDATA_MAX];
	struct pl_mlet_addr	 dst;
	struct pl_mlet_msg	*pm;
	struct pl_mlet		*m;
	const char		*ep = ex_epaddr();
	const char		*target = argc >= 2 ? argv[1] : EX_DEFAULT_HOST;
	uint8_t			 prog[1 + sizeof(filter) / sizeof(filter[0]) * 8];
	uint8_t			 pkt[PKT_LEN];
	char			 ip[PL_MLET_ADDRSTRLEN];
	struct ex_rx		 rx = { reply, sizeof(reply), 0, 0, 0 };
	size_t			 proglen;
	pl_time_t		 ep_sent = 0, ctl_sent;
	int			 got_tag = 0, got_data = 0;

	m = ex_session();
	fprintf(stderr, "> Sending nopen msg\n");
	ex_resolve_ipv4(target, &dst, 0);
	ex_result(m, pl_mlet_nopen_raw(m, SKTID, PL_FAM_IPV4, NULL, RBUFSZ));

	fprintf(stderr, "> Sending ncap msg\n");
	proglen = pl_prog_encode_ebpf(filter, sizeof(filter) / sizeof(filter[0]),
	    prog, sizeof(prog));
	ex_result(m, pl_mlet_ncap(m, SKTID, PL_TIME_FOREVER, prog, proglen));

	fprintf(stderr, "> Sending nsend msg\n");
	build_echo(pkt, &dst);
	ctl_sent = pl_time_now();
	ex_result(m, pl_mlet_nsend(m, SKTID, TAG, PL_TIME_NOW, pkt, sizeof(pkt)));

	while (!got_tag || !got_data) {
		pm = ex_next(m);
		switch (pm->msg.known ? pm->msg.type : PL_UNDEF) {
		case PL_NTAG:
			ep_sent = ex_ntag(pm, TAG);
			got_tag = 1;
			break;
		case PL_NDATA:
			rx.len = 0;		/* one whole packet */
			ex_ndata(&rx, pm, SKTID);
			got_data = 1;
			break;
		case PL_SUSPD:
			fprintf(stderr, "experiment suspended\n");
			fprintf(stderr, "> Terminating\n");
			exit(0);
		default:
			ex_die_with(pm, "Unknown msg type %d", pm->msg.type);
		}
		pl_mlet_msg_free(pm);
	}

	fprintf(stderr, "> Sending nclose msg\n");
	ex_result(m, pl_mlet_nclose(m, SKTID));

	printf("Spent time (in ns) at endpoint (endpoint RTT): %lld\n",
	    ex_ns(rx.ep_time, ep_sent));
	printf("Spent time (in ns) at controller: %lld\n", ex_ns(rx.ctl_time, ctl_sent));
	printf("\n(ICMP echo to %s (%s) via %s)\n", target,
	    pl_mlet_addr_ntop(&dst, ip, sizeof(ip)), ep);
	ex_hexdump(stderr, reply, rx.len);
	fprintf(stderr, "> Terminating\n");
	pl_mlet_free(m);
	return 0;
}
