/*
 * skt.c: the experiment's sockets (protocol spec §4.7-§4.14, §6, §12.2):
 * TCP connect and UDP over IPv4 and IPv6, the per-socket send FIFO with
 * time-scheduled sends, TCP FIN, receive flow control (rbufsz window and the
 * global BufMax budget), and the ntag/nstat/ndata notifications with the
 * NOTIFMASK hold-back.
 *
 * Raw sockets, ncap filters and TCP listen are out of scope: TRANSSUP says
 * TCP and UDP only, a raw or listening nopen gets ESKTNOPROTO (as a 1.1.0
 * endpoint with raw disabled answers raw), and ncap on our sockets gets
 * EUNKFAULT after the checks §4.10 lists.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include <pktlab/prog.h>

#include "cred/cred.h"
#include "endpoint/endpoint.h"
#include "util/event.h"
#include "util/log.h"
#include "util/util.h"

struct ep_send {
	TAILQ_ENTRY(ep_send)	 entry;
	pl_time_t		 time;
	uint16_t		 tag;
	struct sockaddr_storage	 dst;		/* UDP */
	socklen_t		 dstlen;
	uint8_t			*data;
	size_t			 len;
	size_t			 off;		/* TCP: bytes already written */
	uint32_t		 charge;
};

/* A notification held back by NOTIFMASK (§6), encoded. */
struct ep_held {
	TAILQ_ENTRY(ep_held)	 entry;
	uint16_t		 bit;
	uint8_t			*bytes;
	size_t			 len;
	uint32_t		 charge;
	uint32_t		 rbuf;
};

struct ep_skt {
	struct ep_session	*s;
	uint8_t			 id;
	uint32_t		 gen;
	int			 fd;
	int			 af;
	struct ep_sktinfo	*info;		/* the vmem block */
	struct event		*rev;
	struct event		*wev;
	struct event		*timer;
	TAILQ_HEAD(, ep_send)	 sendq;
	TAILQ_HEAD(, ep_held)	 held;
	int			 fin_pending;
	pl_time_t		 fin_time;
	int			 connecting;
};

static void	 skt_readcb(evutil_socket_t, short, void *);
static void	 skt_writecb(evutil_socket_t, short, void *);
static void	 skt_timercb(evutil_socket_t, short, void *);
static void	 skt_connected(struct ep_skt *);
static void	 skt_tcp_read(struct ep_skt *);
static void	 skt_udp_read(struct ep_skt *);
static void	 skt_update_read(struct ep_skt *);
static void	 skt_run_sends(struct ep_skt *);
static int	 skt_send_head(struct ep_skt *, struct ep_send *);
static void	 skt_fin(struct ep_skt *);
static void	 skt_fail(struct ep_skt *, int err);
static int	 skt_watch(struct ep_skt *, struct event *);
static void	 skt_fail_sends(struct ep_skt *, int8_t nsenderr);
static void	 skt_free(struct ep_skt *);
static void	 send_free(struct ep_session *, struct ep_send *);
static void	 notify(struct ep_skt *, const struct pl_msg *, uint16_t bit,
		    uint32_t charge, uint32_t rbuf);
static void	 ntag(struct ep_skt *, uint16_t tag, uint16_t errid);
static void	 reply(struct ep_session *, uint16_t errid);
static int	 dest_ok(struct ep_session *, int af, const uint8_t *addr);
static socklen_t mksa(struct sockaddr_storage *, int af, const uint8_t *addr,
		    uint16_t port);
static void	 fill_local(struct ep_skt *);
static const char *ctx(struct ep_skt *, char *, size_t);

static int
wire_af(uint8_t family)
{
	return family == PL_FAM_IPV6 ? AF_INET6 : AF_INET;
}

static const char *
ctx(struct ep_skt *k, char *buf, size_t len)
{
	snprintf(buf, len, "%s skt %u", k->s->ctx, k->id);
	return buf;
}

static void
reply(struct ep_session *s, uint16_t errid)
{
	struct pl_msg	 m;

	pl_msg_result(&m, errid);
	ep_out_push(s, &m, 0, NULL, 0);
}

/* §4.7: ENORES, ESKTINUSE, ESKTNOPRFAM, ESKTNOPROTO, then addresses, bind, connect. */
void
ep_skt_nopen(struct ep_session *s, const struct pl_msg *m)
{
	const struct ep_conf	*conf = s->conf;
	uint8_t			 id = m->u.nopen.sktid, fam = m->u.nopen.family;
	uint8_t			 proto = m->u.nopen.proto;
	uint64_t		 maxskt = PL_MAX_SKT_CNT;
	struct sockaddr_storage	 ss;
	struct ep_skt		*k;
	socklen_t		 sl;
	char			 a[64], c[128];
	int			 af = wire_af(fam), fd, on = 1, e;
	static const uint8_t	 zero[16];

	if (s->chain != NULL && (s->chain->eff.have &
	    CRED_LIM_BIT(CRED_LIM_MAX_SOCKET_COUNT)))
		maxskt = s->chain->eff.num[CRED_LIM_MAX_SOCKET_COUNT];
	if (s->nskt >= maxskt) {
		log_cinfo(s->ctx, "nopen %u: %u socket(s) open, the chain allows "
		    "%llu: ENORES", id, s->nskt, (unsigned long long)maxskt);
		reply(s, PL_ENORES);
		return;
	}
	if (s->skt[id] != NULL) {
		reply(s, PL_ESKTINUSE);
		return;
	}
	if ((fam == PL_FAM_IPV4 && !conf->ipv4) || (fam == PL_FAM_IPV6 && !conf->ipv6)) {
		reply(s, PL_ESKTNOPRFAM);
		return;
	}
	if ((proto == PL_PROTO_TCP && (!(conf->transsup & PL_TRANSSUP_TCP) ||
	    !m->u.nopen.has_raddr)) ||
	    (proto == PL_PROTO_UDP && !(conf->transsup & PL_TRANSSUP_UDP)) ||
	    proto == PL_PROTO_RAW) {
		log_cinfo(s->ctx, "nopen %u: %s is not supported: ESKTNOPROTO", id,
		    proto == PL_PROTO_RAW ? "raw IP" : proto == PL_PROTO_TCP &&
		    !m->u.nopen.has_raddr ? "TCP listen" : proto == PL_PROTO_TCP ?
		    "TCP (TransprotoSup)" : "UDP (TransprotoSup)");
		reply(s, PL_ESKTNOPROTO);
		return;
	}
	if (proto == PL_PROTO_TCP && !dest_ok(s, af, m->u.nopen.raddr)) {
		log_cinfo(s->ctx, "nopen %u: destination %s is not allowed: "
		    "ESKTOPNDENY", id, ep_fmt_addr(af, m->u.nopen.raddr,
		    m->u.nopen.rport, a, sizeof(a)));
		reply(s, PL_ESKTOPNDENY);
		return;
	}

	fd = socket(af, (proto == PL_PROTO_TCP ? SOCK_STREAM : SOCK_DGRAM) |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_cwarn(s->ctx, "nopen %u: socket", id);
		reply(s, errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM ? PL_ENORES : PL_EUNKFAULT);
		return;
	}
	if (af == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	/* UDP always binds, so the port shows in SKTINFO before the first send. */
	if (proto == PL_PROTO_UDP || m->u.nopen.lport != 0 ||
	    memcmp(m->u.nopen.laddr, zero, pl_addrlen(fam)) != 0) {
		sl = mksa(&ss, af, m->u.nopen.laddr, m->u.nopen.lport);
		if (bind(fd, (struct sockaddr *)&ss, sl) == -1) {
			e = errno;
			log_cinfo(s->ctx, "nopen %u: bind %s: %s", id,
			    ep_fmt_addr(af, m->u.nopen.laddr, m->u.nopen.lport,
			    a, sizeof(a)), strerror(e));
			close(fd);
			reply(s, e == EADDRNOTAVAIL ? PL_ESKTNOADDR :
			    e == EADDRINUSE ? (proto == PL_PROTO_TCP ?
			    PL_ETCPNOPORT : PL_EUDPNOPORT) : PL_EUNKFAULT);
			return;
		}
	}
	k = xcalloc(1, sizeof(*k));
	k->s = s;
	k->id = id;
	k->gen = ++s->gen;
	k->fd = fd;
	k->af = af;
	k->info = &s->vm.skt[id];
	TAILQ_INIT(&k->sendq);
	TAILQ_INIT(&k->held);
	memset(k->info, 0, sizeof(*k->info));
	k->info->family = fam;
	k->info->proto = proto;
	k->info->rbufsz = m->u.nopen.rbufsz;
	if (proto == PL_PROTO_TCP) {
		memcpy(k->info->raddr, m->u.nopen.raddr, pl_addrlen(fam));
		k->info->rport = m->u.nopen.rport;
		sl = mksa(&ss, af, m->u.nopen.raddr, m->u.nopen.rport);
		if (connect(fd, (struct sockaddr *)&ss, sl) == -1) {
			e = errno;
			if (e != EINPROGRESS) {
				log_cinfo(s->ctx, "nopen %u: connect %s: %s: "
				    "EUNKFAULT", id, ep_fmt_addr(af,
				    m->u.nopen.raddr, m->u.nopen.rport, a,
				    sizeof(a)), strerror(e));
				close(fd);
				memset(k->info, 0, sizeof(*k->info));
				free(k);
				reply(s, PL_EUNKFAULT);
				return;
			}
			k->connecting = 1;
		}
		k->info->state = k->connecting ? PL_SKTST_OPENING : PL_SKTST_OPEN;
	} else
		k->info->state = PL_SKTST_OPEN;
	fill_local(k);
	k->rev = event_new(s->base, fd, EV_READ | EV_PERSIST, skt_readcb, k);
	k->wev = event_new(s->base, fd, EV_WRITE, skt_writecb, k);
	k->timer = evtimer_new(s->base, skt_timercb, k);
	if (k->rev == NULL || k->wev == NULL || k->timer == NULL)
		fatalx("libevent: cannot create socket events");
	s->skt[id] = k;
	s->nskt++;
	reply(s, PL_SUCCESS);
	log_cdebug(ctx(k, c, sizeof(c)), "opened %s/%s%s%s", proto == PL_PROTO_TCP ?
	    "TCP" : "UDP", fam == PL_FAM_IPV4 ? "IPv4" : "IPv6",
	    proto == PL_PROTO_TCP ? " to " : "", proto == PL_PROTO_TCP ?
	    ep_fmt_addr(af, m->u.nopen.raddr, m->u.nopen.rport, a, sizeof(a)) : "");
	if (k->connecting)
		(void)skt_watch(k, k->wev);
	skt_update_read(k);
}

/* §4.8 */
void
ep_skt_nclose(struct ep_session *s, const struct pl_msg *m)
{
	struct ep_skt	*k = s->skt[m->u.nclose.sktid];

	if (k == NULL) {
		reply(s, PL_ESKTNOTOPEN);
		return;
	}
	skt_free(k);
	reply(s, PL_SUCCESS);
}

/* §4.9: state, match, destination, size, budget; then queue. */
void
ep_skt_nsend(struct ep_session *s, const struct pl_msg *m)
{
	struct ep_skt	*k = s->skt[m->u.ndata.sktid];
	struct ep_send	*q;
	uint64_t	 need;
	int8_t		 st;
	char		 a[64];

	st = k != NULL ? k->info->state : PL_SKTST_FREE;
	if (k == NULL || (st != PL_SKTST_OPENING && st != PL_SKTST_OPEN &&
	    st != PL_SKTST_EOF)) {
		reply(s, PL_ESKTNOTOPEN);
		return;
	}
	if (m->u.ndata.family != k->info->family ||
	    m->u.ndata.proto != k->info->proto) {
		reply(s, PL_ESKTNOMATCH);
		return;
	}
	if (k->info->proto == PL_PROTO_UDP && !dest_ok(s, k->af, m->u.ndata.addr)) {
		log_cinfo(s->ctx, "nsend on %u: destination %s is not allowed: "
		    "ESKTPKTDENY", k->id, ep_fmt_addr(k->af, m->u.ndata.addr,
		    m->u.ndata.port, a, sizeof(a)));
		reply(s, PL_ESKTPKTDENY);
		return;
	}
	need = (uint64_t)m->u.ndata.len + EP_OVERHEAD;
	if (need > s->conf->bufmax) {
		log_cinfo(s->ctx, "nsend on %u: %zu bytes can never fit BufMax "
		    "%u: ESKTPKTDENY", k->id, m->u.ndata.len, s->conf->bufmax);
		reply(s, PL_ESKTPKTDENY);
		return;
	}
	if (s->bufused + need > s->conf->bufmax) {
		log_cdebug(s->ctx, "nsend on %u: buffer full (%llu of %u used): "
		    "ESYSNOBUFS", k->id, (unsigned long long)s->bufused,
		    s->conf->bufmax);
		reply(s, PL_ESYSNOBUFS);
		return;
	}
	q = xcalloc(1, sizeof(*q));
	q->time = m->u.ndata.time;
	q->tag = m->u.ndata.tag;
	q->len = m->u.ndata.len;
	q->data = xmalloc(q->len > 0 ? q->len : 1);
	memcpy(q->data, m->u.ndata.data, q->len);
	q->charge = (uint32_t)need;
	if (k->info->proto == PL_PROTO_UDP)
		q->dstlen = mksa(&q->dst, k->af, m->u.ndata.addr, m->u.ndata.port);
	ep_budget_take(s, need);
	TAILQ_INSERT_TAIL(&k->sendq, q, entry);
	reply(s, PL_SUCCESS);
	skt_run_sends(k);
}

/*
 * §4.10.  No socket of ours can take a filter: after the state, match and
 * filter checks the answer is the "other failure" one, EUNKFAULT.
 */
void
ep_skt_ncap(struct ep_session *s, const struct pl_msg *m)
{
	struct ep_skt	*k = s->skt[m->u.ncap.sktid];
	const char	*why;

	if (k == NULL || (k->info->state != PL_SKTST_OPENING &&
	    k->info->state != PL_SKTST_OPEN)) {
		reply(s, PL_ESKTNOTOPEN);
		return;
	}
	if (m->u.ncap.family != k->info->family || m->u.ncap.proto != k->info->proto) {
		reply(s, PL_ESKTNOMATCH);
		return;
	}
	if (m->u.ncap.filterlen > 0x10000 || m->u.ncap.filter[0] != PL_PROG_EBPF ||
	    pl_prog_check(m->u.ncap.filter, m->u.ncap.filterlen, &why) == -1) {
		reply(s, PL_ESKTBADFILT);
		return;
	}
	log_cinfo(s->ctx, "ncap on %u: capture filters need raw sockets, which "
	    "this endpoint does not offer: EUNKFAULT", k->id);
	reply(s, PL_EUNKFAULT);
}

/* §4.11 with ERRATA 3 and 4. */
void
ep_skt_nctl(struct ep_session *s, const struct pl_msg *m)
{
	struct ep_skt	*k = s->skt[m->u.nctl.sktid];

	/* A FREE slot is zeroed, so the match fails first (ERRATA 3). */
	if (k == NULL || m->u.nctl.family != k->info->family ||
	    m->u.nctl.proto != k->info->proto) {
		reply(s, PL_ESKTNOMATCH);
		return;
	}
	if (m->u.nctl.cmd != PL_NCTL_TCP_FIN) {
		/* 1.1.0 asserted here on a live socket (ERRATA 4). */
		log_cinfo(s->ctx, "nctl on %u: unknown command 0x%02x: ECTLBADMSG",
		    k->id, m->u.nctl.cmd);
		reply(s, PL_ECTLBADMSG);
		return;
	}
	if (k->info->state < PL_SKTST_OPENING) {
		reply(s, PL_ESKTNOTOPEN);
		return;
	}
	if (!k->fin_pending && k->info->state != PL_SKTST_WFIN &&
	    k->info->state != PL_SKTST_END) {
		k->fin_pending = 1;	/* the first time wins */
		k->fin_time = m->u.nctl.time;
	}
	reply(s, PL_SUCCESS);
	skt_run_sends(k);
}

void
ep_skt_changed(struct ep_session *s, uint8_t sktid, const struct ep_sktinfo *before)
{
	struct ep_skt	*k = s->skt[sktid];
	struct ep_held	*h, *next;
	uint16_t	 cleared;

	if (k == NULL)
		return;
	/* Clearing a bit releases what it held; NBLOCK never (ERRATA missing-fact 4). */
	cleared = before->notifmask & ~k->info->notifmask &
	    (PL_NOTIF_NTAG | PL_NOTIF_NSTAT | PL_NOTIF_NDATA | PL_NOTIF_NDROP);
	if (cleared != 0) {
		for (h = TAILQ_FIRST(&k->held); h != NULL; h = next) {
			struct pl_msg	 m;
			size_t		 used;

			next = TAILQ_NEXT(h, entry);
			if (!(h->bit & cleared))
				continue;
			TAILQ_REMOVE(&k->held, h, entry);
			if (pl_decode(h->bytes, h->len, &m, &used, NULL) != PL_DEC_OK)
				fatalx("internal error: held notification does not decode");
			ep_out_push(s, &m, h->charge, h->rbuf > 0 ? k : NULL, h->rbuf);
			free(h->bytes);
			free(h);
		}
	}
	if (k->info->rbufsz != before->rbufsz)
		skt_update_read(k);
}

void
ep_skt_poll_all(struct ep_session *s)
{
	unsigned	 i;

	for (i = 0; i < PL_MAX_SKT_CNT; i++)
		if (s->skt[i] != NULL)
			skt_update_read(s->skt[i]);
}

void
ep_skt_rbuf_release(struct ep_session *s, uint8_t sktid, uint32_t gen, uint32_t n)
{
	struct ep_skt	*k = s->skt[sktid];

	if (k == NULL || k->gen != gen)
		return;		/* closed since: its window went with it */
	k->info->rbufused = n > k->info->rbufused ? 0 : k->info->rbufused - n;
}

uint32_t
ep_skt_gen(const struct ep_skt *k)
{
	return k->gen;
}

uint8_t
ep_skt_id(const struct ep_skt *k)
{
	return k->id;
}

void
ep_skt_close_all(struct ep_session *s)
{
	unsigned	 i;

	for (i = 0; i < PL_MAX_SKT_CNT; i++)
		if (s->skt[i] != NULL)
			skt_free(s->skt[i]);
}

/* ---- events ---- */

static void
skt_readcb(evutil_socket_t fd, short ev, void *arg)
{
	struct ep_skt	*k = arg;

	if (k->info->proto == PL_PROTO_TCP)
		skt_tcp_read(k);
	else
		skt_udp_read(k);
}

static void
skt_writecb(evutil_socket_t fd, short ev, void *arg)
{
	struct ep_skt	*k = arg;
	socklen_t	 sl = sizeof(int);
	int		 err = 0;

	if (k->connecting) {
		if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
			err = errno;
		k->connecting = 0;
		if (err != 0) {
			skt_fail(k, err);
			return;
		}
		skt_connected(k);
		return;
	}
	skt_run_sends(k);
}

static void
skt_timercb(evutil_socket_t fd, short ev, void *arg)
{
	skt_run_sends(arg);
}

/* §4.7: ESTABLISHED only after a connect that was in progress. */
static void
skt_connected(struct ep_skt *k)
{
	struct pl_msg	 m;
	char		 c[128];

	k->info->state = PL_SKTST_OPEN;
	fill_local(k);
	log_cdebug(ctx(k, c, sizeof(c)), "connected");
	pl_msg_nstat(&m, k->id, k->info->family, k->info->proto, pl_time_now(),
	    PL_NSTAT_ESTABLISHED, k->info->raddr, k->info->rport);
	notify(k, &m, PL_NOTIF_NSTAT, 0, 0);
	skt_update_read(k);
	skt_run_sends(k);
}

/* TCP reads only into the rbufsz window and the global budget (§12.2). */
static void
skt_update_read(struct ep_skt *k)
{
	struct ep_session	*s = k->s;
	int			 want;

	if (k->fd == -1)
		return;
	if (k->info->proto == PL_PROTO_UDP)
		want = 1;
	else
		want = k->info->state == PL_SKTST_OPEN ||
		    k->info->state == PL_SKTST_WFIN;
	if (want && k->info->proto == PL_PROTO_TCP)
		want = k->info->rbufused < k->info->rbufsz &&
		    ep_budget_free(s) > 0;
	if (want && !event_pending(k->rev, EV_READ, NULL))
		(void)skt_watch(k, k->rev);
	else if (!want && event_pending(k->rev, EV_READ, NULL))
		event_del(k->rev);
}

static void
skt_tcp_read(struct ep_skt *k)
{
	struct ep_session	*s = k->s;
	struct pl_msg		 m;
	uint64_t		 room;
	ssize_t			 n;
	char			 c[128];

	room = k->info->rbufsz - k->info->rbufused;
	if (k->info->rbufused >= k->info->rbufsz)
		room = 0;
	if (room > ep_budget_free(s))
		room = ep_budget_free(s);
	if (room > EP_CHUNK_MAX)
		room = EP_CHUNK_MAX;
	if (room == 0) {
		skt_update_read(k);
		return;
	}
	n = recv(k->fd, s->scratch, (size_t)room, 0);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		skt_fail(k, errno);
		return;
	}
	if (n == 0) {
		log_cdebug(ctx(k, c, sizeof(c)), "peer closed");
		k->info->state = k->info->state == PL_SKTST_WFIN ?
		    PL_SKTST_END : PL_SKTST_EOF;
		event_del(k->rev);
		pl_msg_nstat(&m, k->id, k->info->family, k->info->proto,
		    pl_time_now(), PL_NSTAT_PEERCLOSED, NULL, 0);
		notify(k, &m, PL_NOTIF_NSTAT, 0, 0);
		return;
	}
	k->info->rbufused += (uint32_t)n;
	ep_budget_take(s, (uint64_t)n + EP_OVERHEAD);
	pl_msg_ndata(&m, k->id, k->info->family, k->info->proto, pl_time_now(),
	    NULL, 0, s->scratch, (size_t)n);
	notify(k, &m, PL_NOTIF_NDATA, (uint32_t)n + EP_OVERHEAD, (uint32_t)n);
	skt_update_read(k);
}

/* UDP always reads; what does not fit is truncated or dropped and counted. */
static void
skt_udp_read(struct ep_skt *k)
{
	struct ep_session	*s = k->s;
	struct sockaddr_storage	 ss;
	struct pl_msg		 m;
	socklen_t		 sl;
	uint64_t		 room;
	const uint8_t		*addr;
	uint16_t		 port;
	ssize_t			 n;
	size_t			 keep;
	int			 i;
	char			 c[128];

	for (i = 0; i < 64; i++) {
		sl = sizeof(ss);
		n = recvfrom(k->fd, s->scratch, EP_CHUNK_MAX, MSG_TRUNC,
		    (struct sockaddr *)&ss, &sl);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_cdebug(ctx(k, c, sizeof(c)), "UDP receive: %s",
				    strerror(errno));
			return;
		}
		room = k->info->rbufused < k->info->rbufsz ?
		    k->info->rbufsz - k->info->rbufused : 0;
		if (room > ep_budget_free(s))
			room = ep_budget_free(s);
		keep = (size_t)n;
		if (keep > EP_CHUNK_MAX)
			keep = EP_CHUNK_MAX;
		if (keep > room)
			keep = (size_t)room;
		if (keep < (size_t)n) {
			k->info->dropbyte += (uint32_t)((size_t)n - keep);
			k->info->droppkt++;
			if (keep == 0)
				continue;
		}
		if (ss.ss_family == AF_INET6) {
			addr = ((struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr;
			port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		} else {
			addr = (const uint8_t *)&((struct sockaddr_in *)&ss)->sin_addr;
			port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		}
		k->info->rbufused += (uint32_t)keep;
		ep_budget_take(s, keep + EP_OVERHEAD);
		pl_msg_ndata(&m, k->id, k->info->family, k->info->proto,
		    pl_time_now(), addr, port, s->scratch, keep);
		notify(k, &m, PL_NOTIF_NDATA, (uint32_t)keep + EP_OVERHEAD,
		    (uint32_t)keep);
	}
}

/*
 * Sends go out strictly in FIFO order (§4.9): the head waits for its time
 * and blocks the ones behind it.  A FIN (§4.11) goes once its time came and
 * no queued send was due before it.
 */
static void
skt_run_sends(struct ep_skt *k)
{
	struct ep_send	*q, *x;
	struct timeval	 tv;
	pl_time_t	 now, wake;
	int		 st, earlier;

	for (;;) {
		st = k->info->state;
		if (k->fd == -1 || st < PL_SKTST_OPENING)
			return;
		if (st == PL_SKTST_OPENING)
			return;		/* skt_connected() resumes */
		now = pl_time_now();
		q = TAILQ_FIRST(&k->sendq);
		if (k->fin_pending && k->fin_time <= now && (q == NULL || q->off == 0)) {
			earlier = 0;
			TAILQ_FOREACH(x, &k->sendq, entry)
				if (x->time <= k->fin_time)
					earlier = 1;
			if (!earlier) {
				skt_fin(k);
				continue;
			}
		}
		if (q == NULL)
			break;
		if (q->time > now)
			break;
		if (skt_send_head(k, q) == 0)
			return;		/* waiting for writability, or failed */
	}
	/* Sleep until the head's time or the FIN's, whichever is first. */
	wake = PL_TIME_FOREVER;
	if ((q = TAILQ_FIRST(&k->sendq)) != NULL)
		wake = q->time;
	if (k->fin_pending && k->fin_time < wake)
		wake = k->fin_time;
	if (wake == PL_TIME_FOREVER) {
		evtimer_del(k->timer);
		return;
	}
	now = pl_time_now();
	ep_tv_from_ns(&tv, wake > now ? wake - now : 0);
	xevent_add(k->timer, &tv, "send timer");
}

/* 1: the head went out (or failed for good) and is gone; 0: stop for now. */
static int
skt_send_head(struct ep_skt *k, struct ep_send *q)
{
	struct ep_session	*s = k->s;
	ssize_t			 n;
	int			 e;
	char			 c[128];

	if (k->info->proto == PL_PROTO_TCP) {
		n = send(k->fd, q->data + q->off, q->len - q->off,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
				(void)skt_watch(k, k->wev);
				return 0;
			}
			skt_fail(k, errno);
			return 0;
		}
		q->off += (size_t)n;
		if (q->off < q->len) {
			(void)skt_watch(k, k->wev);
			return 0;
		}
	} else {
		n = sendto(k->fd, q->data, q->len, MSG_NOSIGNAL | MSG_DONTWAIT,
		    (struct sockaddr *)&q->dst, q->dstlen);
		if (n == -1) {
			e = errno;
			if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR) {
				(void)skt_watch(k, k->wev);
				return 0;
			}
			log_cinfo(ctx(k, c, sizeof(c)), "UDP send of %zu bytes "
			    "(tag %u): %s", q->len, q->tag, strerror(e));
			k->info->nsenderr = e == EHOSTUNREACH || e == ENETUNREACH ?
			    PL_NSENDERR_UNREACH : e == EMSGSIZE ?
			    PL_NSENDERR_BADPKT : PL_NSENDERR_UNKFAULT;
			k->info->nsenderrtag = q->tag;
			TAILQ_REMOVE(&k->sendq, q, entry);
			ntag(k, q->tag, PL_EPKTNOTSENT);
			send_free(s, q);
			return 1;
		}
	}
	TAILQ_REMOVE(&k->sendq, q, entry);
	ntag(k, q->tag, PL_SUCCESS);
	send_free(s, q);
	return 1;
}

static void
skt_fin(struct ep_skt *k)
{
	char	 c[128];

	k->fin_pending = 0;
	if (shutdown(k->fd, SHUT_WR) == -1)
		log_cdebug(ctx(k, c, sizeof(c)), "shutdown: %s", strerror(errno));
	k->info->state = k->info->state == PL_SKTST_EOF ? PL_SKTST_END :
	    PL_SKTST_WFIN;
	log_cdebug(ctx(k, c, sizeof(c)), "FIN sent");
	if (!TAILQ_EMPTY(&k->sendq))
		skt_fail_sends(k, PL_NSENDERR_WFIN);
	if (k->info->state == PL_SKTST_END)
		event_del(k->rev);
}

/* Watch the socket's descriptor; failing that is an error of this socket. */
static int
skt_watch(struct ep_skt *k, struct event *ev)
{
	if (event_add(ev, NULL) == 0)
		return 0;
	skt_fail(k, errno);
	return -1;
}

/* A connect or I/O error: the socket moves to an error state (§4.9, §4.13). */
static void
skt_fail(struct ep_skt *k, int err)
{
	struct pl_msg	 m;
	int		 was_connecting = k->info->state == PL_SKTST_OPENING;
	int8_t		 st, nse;
	uint8_t		 code;
	char		 c[128];

	switch (err) {
	case ECONNREFUSED:
		st = was_connecting ? PL_SKTST_REFUSED : PL_SKTST_RESET;
		code = PL_NSTAT_RESET;
		nse = PL_NSENDERR_RESET;
		break;
	case ECONNRESET:
	case EPIPE:
		st = PL_SKTST_RESET;
		code = PL_NSTAT_RESET;
		nse = PL_NSENDERR_RESET;
		break;
	case ETIMEDOUT:
		st = PL_SKTST_TIMEDOUT;
		code = PL_NSTAT_TIMEOUT;
		nse = PL_NSENDERR_TIMEDOUT;
		break;
	case EHOSTUNREACH:
	case ENETUNREACH:
		st = PL_SKTST_UNREACH;
		code = PL_NSTAT_UNKNOWN;
		nse = PL_NSENDERR_UNREACH;
		break;
	default:
		st = PL_SKTST_UNKFAULT;
		code = PL_NSTAT_UNKNOWN;
		nse = PL_NSENDERR_UNKFAULT;
		break;
	}
	log_cinfo(ctx(k, c, sizeof(c)), "%s: %s", was_connecting ? "connect" :
	    "TCP", strerror(err));
	k->info->state = st;
	event_del(k->rev);
	event_del(k->wev);
	evtimer_del(k->timer);
	close(k->fd);
	k->fd = -1;
	k->fin_pending = 0;
	/* A refused or failed connect only changes the state (§4.7). */
	if (!was_connecting) {
		pl_msg_nstat(&m, k->id, k->info->family, k->info->proto,
		    pl_time_now(), code, NULL, 0);
		notify(k, &m, PL_NOTIF_NSTAT, 0, 0);
	}
	skt_fail_sends(k, nse);
}

static void
skt_fail_sends(struct ep_skt *k, int8_t nsenderr)
{
	struct ep_send	*q;

	while ((q = TAILQ_FIRST(&k->sendq)) != NULL) {
		TAILQ_REMOVE(&k->sendq, q, entry);
		k->info->nsenderr = nsenderr;
		k->info->nsenderrtag = q->tag;
		ntag(k, q->tag, PL_EPKTNOTSENT);
		send_free(k->s, q);
	}
}

/* nclose or reset: queued sends go without ntag, held notifications are lost. */
static void
skt_free(struct ep_skt *k)
{
	struct ep_session	*s = k->s;
	struct ep_send		*q;
	struct ep_held		*h;

	while ((q = TAILQ_FIRST(&k->sendq)) != NULL) {
		TAILQ_REMOVE(&k->sendq, q, entry);
		send_free(s, q);
	}
	while ((h = TAILQ_FIRST(&k->held)) != NULL) {
		TAILQ_REMOVE(&k->held, h, entry);
		ep_budget_release(s, h->charge);
		free(h->bytes);
		free(h);
	}
	if (k->rev != NULL)
		event_free(k->rev);
	if (k->wev != NULL)
		event_free(k->wev);
	if (k->timer != NULL)
		event_free(k->timer);
	if (k->fd != -1)
		close(k->fd);
	memset(k->info, 0, sizeof(*k->info));
	s->skt[k->id] = NULL;
	s->nskt--;
	free(k);
	ep_session_kick(s);	/* budget may have been released */
}

static void
send_free(struct ep_session *s, struct ep_send *q)
{
	ep_budget_release(s, q->charge);
	free(q->data);
	free(q);
}

/* Queue a notification, or hold it while its NOTIFMASK bit is set. */
static void
notify(struct ep_skt *k, const struct pl_msg *m, uint16_t bit, uint32_t charge,
    uint32_t rbuf)
{
	struct ep_held	*h;
	ssize_t		 n;

	if (!(k->info->notifmask & bit)) {
		ep_out_push(k->s, m, charge, rbuf > 0 ? k : NULL, rbuf);
		return;
	}
	n = pl_encode(m, NULL, 0);
	if (n < 0)
		fatalx("internal error: cannot encode a %s notification",
		    pl_type_name(m->type));
	h = xcalloc(1, sizeof(*h));
	h->bit = bit;
	h->bytes = xmalloc((size_t)n);
	h->len = (size_t)pl_encode(m, h->bytes, (size_t)n);
	/* Held notifications cost budget too, so a mask cannot grow memory unbounded. */
	if (charge == 0) {
		charge = (uint32_t)n + EP_OVERHEAD;
		ep_budget_take(k->s, charge);
	}
	h->charge = charge;
	h->rbuf = rbuf;
	TAILQ_INSERT_TAIL(&k->held, h, entry);
}

static void
ntag(struct ep_skt *k, uint16_t tag, uint16_t errid)
{
	struct pl_msg	 m;

	if (tag == 0)
		return;
	pl_msg_ntag(&m, k->id, tag, pl_time_now(), errid);
	notify(k, &m, PL_NOTIF_NTAG, 0, 0);
}

/* The chain's valid_dest (§2.2) and endpt.conf's AllowedDest must both allow it. */
static int
dest_ok(struct ep_session *s, int af, const uint8_t *addr)
{
	if (s->chain != NULL && !cred_eff_dest_ok(&s->chain->eff, af, addr))
		return 0;
	return ep_conf_dest_ok(s->conf, af, addr);
}

static socklen_t
mksa(struct sockaddr_storage *ss, int af, const uint8_t *addr, uint16_t port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (af == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, addr, 16);
		sin6->sin6_port = htons(port);
		return sizeof(*sin6);
	}
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr, addr, 4);
	sin->sin_port = htons(port);
	return sizeof(*sin);
}

/* SKTINFO laddr/lport come from getsockname (§8.3). */
static void
fill_local(struct ep_skt *k)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);

	if (getsockname(k->fd, (struct sockaddr *)&ss, &sl) == -1)
		return;
	memset(k->info->laddr, 0, sizeof(k->info->laddr));
	if (ss.ss_family == AF_INET6) {
		memcpy(k->info->laddr, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
		k->info->lport = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else if (ss.ss_family == AF_INET) {
		memcpy(k->info->laddr, &((struct sockaddr_in *)&ss)->sin_addr, 4);
		k->info->lport = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
}
