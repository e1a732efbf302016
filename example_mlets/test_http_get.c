/*
 * test_http_get: the PacketLab tutorial's HTTP GET, on the mlet library.
 *
 *   test_http_get [DOMAIN [PATH]]      (DOMAIN www.example.com, PATH /)
 *
 * Opens TCP socket 1 from the endpoint to DOMAIN:80 (resolved here, on the
 * controller), sends "GET PATH HTTP/1.0" with tag 1234, collects the
 * response until the server closes, and prints it on stdout.  Same
 * messages, output and exit statuses as 1.1.0 (protocol spec §14.1), except
 * that an EOF or a bad ntag is reported instead of crashing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example.h"

#define SKTID		1
#define TAG		1234
#define RBUFSZ		0x1000
#define RESP_MAX	65536

static int	 run(struct pl_mlet *, const char *, const char *, const char *);

/* Returns only when the endpoint suspends the experiment. */
static int
run(struct pl_mlet *m, const char *domain, const char *path, const char *ep)
{
	static uint8_t		 resp[RESP_MAX];
	struct ex_rx		 rx = { resp, sizeof(resp), 0, 0, 0 };
	struct pl_mlet_addr	 dst;
	struct pl_mlet_msg	*pm;
	char			*req;
	pl_time_t		 ep_sent = 0, ctl_sent;
	int			 done = 0, reqlen;

	fprintf(stderr, "> Sending nopen msg\n");
	ex_resolve_ipv4(domain, &dst, 80);
	ex_result(m, pl_mlet_nopen_tcp(m, SKTID, NULL, &dst, RBUFSZ));

	fprintf(stderr, "> Sending nsend msg\n");
	if ((reqlen = asprintf(&req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path,
	    domain)) == -1)
		ex_die("error: out of memory");
	ctl_sent = pl_time_now();
	ex_result(m, pl_mlet_nsend(m, SKTID, TAG, PL_TIME_NOW, req, (size_t)reqlen));
	free(req);

	while (!done) {
		pm = ex_next(m);
		fprintf(stderr, ">> Got message type: %d\n", pm->msg.type);
		switch (pm->msg.known ? pm->msg.type : PL_UNDEF) {
		case PL_NTAG:
			ep_sent = ex_ntag(pm, TAG);
			break;
		case PL_NDATA:
			ex_ndata(&rx, pm, SKTID);
			break;
		case PL_NSTAT:
			fprintf(stderr, "nstat msg id %d\n", pm->msg.u.nstat.code);
			done = pm->msg.u.nstat.code == PL_NSTAT_PEERCLOSED;
			break;
		case PL_NBLOCK:
			/* monindx is not on the wire: 1.1.0 prints its 0. */
			fprintf(stderr, "nblock msg by monitor 0 with error code %u\n",
			    pm->msg.u.nblock.monerrid);
			break;
		case PL_SUSPD:
			fprintf(stderr, "experiment suspended\n");
			pl_mlet_msg_free(pm);
			return 0;
		default:
			ex_die_with(pm, "Unknown msg type %d", pm->msg.type);
		}
		pl_mlet_msg_free(pm);
	}

	fprintf(stderr, "> Sending nclose msg\n");
	ex_result(m, pl_mlet_nclose(m, SKTID));

	ex_results(rx.len, ex_ns(rx.ep_time, ep_sent), ex_ns(rx.ctl_time, ctl_sent));
	fwrite(resp, 1, rx.len, stdout);
	printf("\n\n(HTTP GET for %s%s via %s)\n", domain, path, ep);
	exit(0);
}

int
main(int argc, char *argv[])
{
	const char	*domain = argc >= 2 ? argv[1] : EX_DEFAULT_HOST;
	const char	*path = argc == 3 ? argv[2] : "/";
	const char	*ep = ex_epaddr();
	struct pl_mlet	*m = ex_session();

	fprintf(stderr, "> PacketLab Measurement Applet: HTTP GET example for "
	    "'%s%s' using pktxpmgr\n", domain, path);
	run(m, domain, path, ep);
	fprintf(stderr, "> Terminating\n");
	pl_mlet_free(m);
	return 0;
}
