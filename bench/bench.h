/*
 * bench.h: the parts the pktxpmgr benchmark's two programs share.
 *
 * xpbench-ep plays N endpoints against pktxpmgr (TLS 1.3, setup, then the
 * endpoint's side of the experiment); xpbench-mlet is the mlet (or the
 * singleton mlet) on the other side of pktxpmgr.  The experiment is a small
 * "bench protocol" made of ordinary PacketLab messages, so pktxpmgr relays
 * and validates it like any other:
 *
 *   mlet -> endpoint                       endpoint -> mlet
 *   mread  BENCH_HELLO_ADDR, 8 bytes       mdata 8 bytes (hello, round trip)
 *   nsend  TCP, BENCH_CHUNK bytes          result SUCCESS (mlet->endpoint flow)
 *   mwrite BENCH_PUSH_ADDR, 12 bytes       result SUCCESS, then ndata frames
 *          (total u64, chunk u32, BE)      carrying total payload bytes
 *   anything else                          result SUCCESS
 *
 * The endpoint's side is the responder (responder.c), the mlet's the driver
 * (driver.c); both run on a bufferevent, so the same code talks through
 * pktxpmgr (TLS on one end) and over a direct socket pair (the baseline).
 *
 * Grouped by source file.
 */
#ifndef XPBENCH_H
#define XPBENCH_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <pktlab/wire.h>

struct bufferevent;
struct evbuffer;

#define BENCH_HELLO_ADDR	0x10010000u	/* SYSPARAM time: what a real mlet reads first */
#define BENCH_HELLO_LEN		8
#define BENCH_PUSH_ADDR		0xB0000000u	/* outside the real vmem map */
#define BENCH_PUSH_LEN		12
#define BENCH_CHUNK		65536u		/* payload per nsend / ndata (PL_NDATA_MAX) */
/* A sender fills its output up to the high mark, then waits for the low. */
#define BENCH_HIGH_WATER	(256u * 1024u)
#define BENCH_LOW_WATER		(64u * 1024u)
/* The largest frame either side accepts (a bench frame is at most a chunk). */
#define BENCH_FRAME_MAX		(BENCH_CHUNK + 64u)

/* ------------------------------------------------------------------ */
/* frame.c: framing over evbuffers, message templates */

/*
 * The header of the first frame in buf: 1 when the whole frame is there,
 * 0 when more bytes are needed, -1 when it announces more than max bytes.
 */
int	 bench_frame_next(struct evbuffer *, uint32_t max, uint8_t *type,
	    uint32_t *bodylen);
/* Decode the whole first frame (made contiguous); PL_DEC_* as pl_decode. */
enum pl_dec bench_frame_decode(struct evbuffer *, uint32_t bodylen,
	    struct pl_msg *, char *why, size_t whylen);
/* Encode m onto buf; a message the encoder refuses is a program bug. */
void	 bench_send(struct evbuffer *, const struct pl_msg *);

/*
 * A data-carrying message (TCP nsend or ndata) split into its fixed prefix
 * and its payload, so a sender adds the prefix and references a constant
 * payload without encoding or copying 64 KiB per frame.
 */
struct bench_tmpl {
	uint8_t		 prefix[PL_HLEN + 32];
	size_t		 len;		/* header + fixed part */
	uint32_t	 fixed;		/* body bytes before the payload */
};

/* Build from a message with no payload; checks the payload comes last. */
void	 bench_tmpl_init(struct bench_tmpl *, const struct pl_msg *);
/* Add one frame carrying len payload bytes (zeros) to buf. */
void	 bench_tmpl_add(struct evbuffer *, const struct bench_tmpl *, uint32_t len);

/* ------------------------------------------------------------------ */
/* responder.c: the endpoint's side of the bench protocol */

struct responder;
struct resp_ops {
	/* The first request of the session arrived (the mlet is running). */
	void	(*first)(struct responder *);
	/* The peer closed (why NULL) or broke the protocol (why set). */
	void	(*end)(struct responder *, const char *why);
};

struct responder {
	struct bufferevent	*bev;
	const struct resp_ops	*ops;
	void			*arg;		/* the owner's */
	uint64_t		 nreq;		/* requests answered */
	uint64_t		 nsend_bytes;	/* payload received in nsend */
	uint64_t		 push_left;	/* ndata payload still to push */
	uint32_t		 push_chunk;
	int			 paused;	/* reading stopped: output over the high mark */
	struct bench_tmpl	 ndata, nsend;
	char			 why[256];
};

/* Take over bev (callbacks, watermarks) and answer what is already there. */
void	 resp_attach(struct responder *, struct bufferevent *,
	    const struct resp_ops *, void *arg);

/* ------------------------------------------------------------------ */
/* driver.c: the mlet's side: hello, round trips, transfers each way */

enum drv_event {
	DRV_DONE,	/* the plan finished */
	DRV_CLOSED,	/* the peer closed after the plan finished */
	DRV_FAILED,	/* error or close before the end: see why */
};

struct drv_plan {
	uint64_t	 rtts;		/* mread/mdata pairs timed one by one */
	uint64_t	 out_bytes;	/* nsend payload, mlet -> endpoint */
	uint64_t	 in_bytes;	/* ndata payload, endpoint -> mlet */
	pid_t		 cpu_pid;	/* sample this process's CPU time (0: none) */
	pid_t		 rig_pid;	/* ... and this one's, the endpoint rig (0: none) */
	uint32_t	 chunk;		/* payload per nsend/ndata (0: BENCH_CHUNK) */
};

struct drv_result {
	uint64_t	*rtt_ns;	/* rtts samples, sorted when done */
	uint64_t	 nrtt;
	uint64_t	 out_ns, in_ns;	/* transfer times */
	uint64_t	 out_cpu_ns, in_cpu_ns;	/* cpu_pid's CPU during each */
	uint64_t	 out_rig_ns, in_rig_ns;	/* the rig's: this process + rig_pid */
};

struct driver;
typedef void	 drv_cb(struct driver *, enum drv_event, const char *why);

struct driver {
	struct bufferevent	*bev;
	drv_cb			*cb;
	void			*arg;
	struct drv_plan		 plan;
	struct drv_result	 res;
	int			 phase;
	uint64_t		 left;		/* of the current phase */
	uint64_t		 t0, cpu0, rig0;
	struct bench_tmpl	 nsend, ndata;
	char			 why[256];
};

/*
 * Run plan over bev; a zero plan is just the hello (one mread/mdata).
 * Results stay in d->res until drv_clear.
 */
void	 drv_start(struct driver *, struct bufferevent *, const struct drv_plan *,
	    drv_cb *, void *arg);
void	 drv_clear(struct driver *);

/* ------------------------------------------------------------------ */
/* stats.c: clocks, percentiles, /proc */

uint64_t bench_now_ns(void);		/* CLOCK_MONOTONIC */
/* Sort v and return the nearest-rank percentile p (0..100) of n values. */
uint64_t bench_pct(uint64_t *v, size_t n, double p);
void	 bench_sort(uint64_t *v, size_t n);
/* From /proc/PID: VmRSS in KiB, open descriptors, user+system CPU in ns. */
long	 bench_proc_rss_kb(pid_t);
long	 bench_proc_nfds(pid_t);
uint64_t bench_proc_cpu_ns(pid_t);
/* RLIMIT_NOFILE soft limit up to the hard one; returns the new soft limit. */
long	 bench_raise_nofile(void);
/* A size with an optional K/M/G suffix (powers of 1024); -1 when invalid. */
int	 bench_parse_size(const char *, uint64_t *);

#endif /* XPBENCH_H */
