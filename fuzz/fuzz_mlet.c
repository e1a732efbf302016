/*
 * fuzz_mlet.c: libFuzzer harness for the mlet library's input side: the
 * message stream from pktxpmgr and the singleton hand-over string.
 *
 * Byte 0 picks which requests the mlet makes; the rest is written, as
 * what pktxpmgr sends, into a socketpair that is then half-closed.  The
 * session issues its requests, claims their replies and drains the
 * notification queue until the stream ends.  Checks: every call returns
 * 0 or a status of the enum, with a matching error report; every message
 * handed out is complete, not malformed, and re-encodes to the bytes it
 * came as; once a wait fails with EOF or ENDED the session says it is
 * ending; the queue is empty after draining.  The same bytes are then
 * offered, without descriptors, to the singleton receiver.
 */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pktlab/mlet.h"
#include "pktlab/vmem.h"

#include "require.h"

#define INPUT_MAX	32768	/* fits in a socket buffer: no writer thread */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	 check_status(struct pl_mlet *, int);
static void	 check_msg(const struct pl_mlet_msg *);
static void	 requests(struct pl_mlet *, uint8_t);
static void	 drain(struct pl_mlet *);
static void	 handoff(const uint8_t *, size_t);
static int	 feed(const uint8_t *, size_t, int sv[2]);

static void
check_status(struct pl_mlet *m, int r)
{
	const struct pl_mlet_error	*e = pl_mlet_error(m);

	REQUIRE(r <= 0 && r >= PL_MLET_BADFD);
	if (r < 0) {
		REQUIRE(e->code == r);
		REQUIRE(e->text[0] != '\0');
		REQUIRE(memchr(e->text, '\0', sizeof(e->text)) != NULL);
	}
	if (r == PL_MLET_EOF || r == PL_MLET_ENDED)
		REQUIRE(pl_mlet_ending(m));
}

static void
check_msg(const struct pl_mlet_msg *pm)
{
	uint8_t		 buf[64];
	ssize_t		 n;

	REQUIRE(pm->rawlen >= PL_HLEN);
	REQUIRE(pm->rawlen == PL_HLEN + pl_get32(pm->raw) % 0x1000000u);
	REQUIRE(!pm->malformed);
	REQUIRE(pm->msg.type == pm->raw[0]);
	n = pl_encode(&pm->msg, NULL, 0);
	REQUIRE(n == (ssize_t)pm->rawlen);
	if ((size_t)n <= sizeof(buf)) {
		REQUIRE(pl_encode(&pm->msg, buf, sizeof(buf)) == n);
		REQUIRE(memcmp(buf, pm->raw, (size_t)n) == 0);
	}
}

static void
requests(struct pl_mlet *m, uint8_t sel)
{
	struct pl_mlet_addr	 ra;
	struct pl_mlet_sktinfo	 si;
	struct pl_mlet_msg	*r;
	struct pl_msg		 req;
	uint64_t		 s1, s2;
	pl_time_t		 t;
	char			 host[32];
	uint8_t			 b[300];
	size_t			 n;

	pl_mlet_addr_parse(&ra, "127.0.0.1", 80);
	if (sel & 0x01) {
		check_status(m, pl_mlet_nopen_tcp(m, 1, NULL, &ra, 0x1000));
		check_status(m, pl_mlet_nsend(m, 1, 1234, 0, "GET /", 5));
	}
	if (sel & 0x02) {
		check_status(m, pl_mlet_ep_time(m, &t));
		check_status(m, pl_mlet_hostid(m, host, sizeof(host)));
	}
	if (sel & 0x04) {
		/* Two in flight, claimed last first. */
		pl_msg_nclose(&req, 1);
		check_status(m, pl_mlet_send(m, &req, &s1));
		pl_msg_mread(&req, PL_SP_TIME, 8);
		check_status(m, pl_mlet_send(m, &req, &s2));
		if (s2 != 0) {
			check_status(m, pl_mlet_wait_reply(m, s2, 1000, &r));
			pl_mlet_msg_free(r);
		}
		if (s1 != 0) {
			check_status(m, pl_mlet_wait_reply(m, s1, 1000, &r));
			pl_mlet_msg_free(r);
		}
	}
	if (sel & 0x08)
		check_status(m, pl_mlet_wait_ntag(m, 1234, 1000, &r));
	else if (sel & 0x10)
		check_status(m, pl_mlet_wait_ndata(m, 1, 1000, &r));
	else
		r = NULL;
	if (r != NULL) {
		check_msg(r);
		pl_mlet_msg_free(r);
	}
	if (sel & 0x20) {
		check_status(m, pl_mlet_local_addrs(m, PL_FAM_IPV4, NULL, 0, &n));
		check_status(m, pl_mlet_sktinfo(m, 1, &si));
		check_status(m, pl_mlet_mread(m, PL_SP_HOSTID, b, sizeof(b)));
	}
	if (sel & 0x40)
		check_status(m, pl_mlet_yield(m, 0));
}

static void
drain(struct pl_mlet *m)
{
	struct pl_mlet_msg	*pm;
	int			 r;

	for (;;) {
		r = pl_mlet_next(m, 1000, &pm);
		check_status(m, r);
		if (r == PL_MLET_MALFORMED)
			continue;
		if (r < 0)
			break;
		check_msg(pm);
		pl_mlet_msg_free(pm);
	}
	REQUIRE(pl_mlet_queued(m) == 0);
}

/* The bytes into one end of a socketpair, which is then half-closed. */
static int
feed(const uint8_t *data, size_t len, int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return -1;
	if (len > 0 && send(sv[1], data, len, MSG_NOSIGNAL) != (ssize_t)len) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	shutdown(sv[1], SHUT_WR);
	return 0;
}

static void
handoff(const uint8_t *data, size_t len)
{
	struct pl_mlet_error	 err;
	char			 addr[PL_MLET_EPADDR_MAX];
	int			 sv[2], fd, r;

	if (feed(data, len, sv) == -1)
		return;
	do {
		r = pl_mlet_recv_endpoint(sv[0], &fd, addr, &err);
		REQUIRE(r != 1);	/* no descriptor was ever sent */
		REQUIRE(memchr(addr, '\0', sizeof(addr)) != NULL);
		REQUIRE(r == 0 || r == PL_MLET_NOFD || r == PL_MLET_TOOLONG ||
		    r == PL_MLET_PROTO);
		REQUIRE(r == 0 || err.code == r);
	} while (r == PL_MLET_NOFD);
	close(sv[0]);
	close(sv[1]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_mlet	*m;
	int		 sv[2];

	if (size < 1 || size > INPUT_MAX)
		return 0;
	if (feed(data + 1, size - 1, sv) == -1)
		return 0;
	/* The mlet's requests pile up unread in sv[1]: keep them few. */
	if ((m = pl_mlet_new(sv[0], "127.0.0.1")) != NULL) {
		pl_mlet_set_timeout(m, 1000);
		requests(m, data[0]);
		drain(m);
		pl_mlet_free(m);
	}
	close(sv[0]);
	close(sv[1]);
	handoff(data + 1, size - 1);
	return 0;
}
