/*
 * daemon.h: pktxpmgr's passive-mode daemon: the structs every part of it
 * shares and, grouped by source file, the functions each file offers.
 *
 *   daemon.c     xpmgr_run: process set-up, signals, wrap-up, exit code
 *   listener.c   listening sockets and accept
 *   proxy.c      proxy (active) mode: the backlog connections to a proxy
 *   session.c    one endpoint: TLS handshake, program submission, start,
 *                then the relay; the one close funnel; the summary
 *   relay.c      the data path between the endpoint and the mlet
 *   mlet.c       spawning and reaping mlets; the singleton mlet
 *   programs.c   monitor programs: loading, encoding, digests
 *   results.c    -o DIR: mlet output files, sessions.jsonl, run.json
 *   trace.c      --trace: every message of a session into a pcap file
 *   status.c     the status line on a terminal, SIGUSR1's status log line
 *   tlsglue.c    the server TLS context and the entry a handshake chose
 *   broker.c     publication to the broker (EnableExpPublication 1)
 *   pure/        framing, log text, EPADDR: no I/O (xppure.h, library plxpmgr)
 *
 * One process, one event_base, no threads: every callback runs to
 * completion, so no locking anywhere.
 */
#ifndef PL_XPMGR_DAEMON_H
#define PL_XPMGR_DAEMON_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <pktlab/wire.h>

#include "xpmgr/pure/xppure.h"

struct event_base;
struct event;
struct bufferevent;
struct evbuffer;
struct rtls;
struct ssl_ctx_st;
struct ssl_st;
struct xpmgr_conf;
struct cred_certs;
struct cred_keys;
struct cred_chain;
struct evp_pkey_st;
struct xp_trace;
struct xp_sess_info;
struct xp_seen;

/*
 * Limits.  Compile-time constants, documented in docs/xpmgr.md.
 */
/* Back-pressure: stop reading a side when its partner's output holds more
 * than XP_HIGH_WATER bytes, resume below XP_LOW_WATER. */
#define XP_HIGH_WATER		(256u * 1024u)
#define XP_LOW_WATER		(64u * 1024u)
/* How long a closing session may take to flush what it still holds. */
#define XP_DRAIN_TIMEOUT_MS	5000
/* How long to wait for the endpoint's answer to our TLS close_notify. */
#define XP_TLS_CLOSE_WAIT_MS	2000
/* After the second SIGINT/SIGTERM: SIGTERM to the mlets, SIGKILL after. */
#define XP_KILL_GRACE_MS	2000
/* Accepting pauses this long when the process is out of descriptors. */
#define XP_ACCEPT_PAUSE_MS	250
/* Listen backlog. */
#define XP_LISTEN_BACKLOG	511
/*
 * The default MaxSessions: a running session holds two descriptors (the
 * endpoint's socket, our end of the mlet's); the rest of the limit is kept
 * for listeners, libevent, logs, monitor programs and the singleton: 64, or
 * a quarter of a smaller limit.
 */
#define XP_FD_PER_SESSION	2
#define XP_FD_RESERVE		64
/* ---- programs.c: monitor programs (xpmgr spec §9) ---- */

struct xp_prog {
	char		*name;		/* file name, for logs */
	uint8_t		*enc;		/* encoded program: type byte + payload */
	size_t		 len;
	uint8_t		 digest[32];	/* SHA-256 of enc */
};

struct xp_progs {
	struct xp_prog	*v;
	size_t		 n;
};

/* The largest encoded program a cdata can carry with the "monitor" hint. */
#define XP_PROG_MAX	(PL_BODY_MAX - 1 - 7)

/*
 * Load every program of dir (sorted by name; bad files are logged and
 * skipped).  Returns 0, or -1 with why when the folder cannot be read.
 */
int	 xp_progs_load(const char *dir, struct xp_progs *ps, char *why, size_t whylen);
const struct xp_prog *xp_progs_find(const struct xp_progs *ps, const uint8_t digest[32]);
void	 xp_progs_free(struct xp_progs *ps);

/* ---- tlsglue.c: the server side of TLS ---- */

/* What the daemon keeps per ExpExec entry once its chain is loaded. */
struct xp_entry {
	const char	*snikey;	/* final key; entries without SNI use is_default */
	int		 is_default;
	uint8_t		(*monitors)[32];	/* monitor digests of the chain, in order */
	size_t		 nmonitors;
	int		 has_trusted;	/* endpoint certificates required */
};

struct xp_tls;
/*
 * Build the server context from the configuration: controller key, every
 * entry's chain and trusted keys.  Returns NULL with why filled.
 */
struct xp_tls	*xp_tls_new(const struct xpmgr_conf *c, char *why, size_t whylen);
void		 xp_tls_free(struct xp_tls *t);
struct ssl_st	*xp_tls_ssl_new(struct xp_tls *t);
/* The controller key, a reference the context keeps (the agent links to the
 * proxy and the broker present their certificates with it). */
struct evp_pkey_st *xp_tls_key(struct xp_tls *t);
/* After the handshake: the entry the ClientHello selected. */
const struct xp_entry *xp_tls_entry(struct xp_tls *t, struct ssl_st *ssl);
/* The SNI the endpoint sent, or NULL. */
const char	*xp_tls_sni(struct ssl_st *ssl);
/* How many certificates of the endpoint's chain were verified (0: none sent). */
size_t		 xp_tls_peer_ncerts(struct ssl_st *ssl);
/* Why a handshake failed, for the log. */
char		*xp_tls_failure(struct ssl_st *ssl, unsigned long err, char *out, size_t outlen);
/*
 * Load ExpExec entry i as start-up does: trusted keys into roots, the chain
 * into certs with the controller key's certificate first, verified into
 * chain (warning about certificates that crash 1.1.0 endpoints).  Returns 0,
 * or -1 with why = "PART: reason" (PART: TRUSTEDEOP_PATH, EXPPRIVCHAIN_PATH,
 * chain).  The caller frees all three either way.
 */
int		 xp_entry_load(const struct xpmgr_conf *c, size_t i,
		    const struct evp_pkey_st *key, struct cred_certs *certs,
		    struct cred_keys *roots, struct cred_chain *chain, char *why,
		    size_t whylen);

/* ---- mlet.c: children ---- */

/*
 * Start path with argv and fd as its fd 0.  envp is exactly {"EPADDR=ip"}
 * when epaddr is not NULL, else empty.  Signal mask empty, every disposition
 * default except SIGPIPE, which stays ignored as in 1.1.0.  Same process
 * group as pktxpmgr.  outfds, when not NULL, become its fd 1 and 2 (a
 * descriptor of -1 keeps pktxpmgr's).  Returns 0 with *pid, or an errno value.
 */
int	 xp_spawn(const char *path, char *const argv[], int fd, const char *epaddr,
	    const int outfds[2], pid_t *pid);

/* Close both descriptors that are not -1, and set them to -1. */
void	 xp_close_fds(int fds[2]);

/* Who is told when a child is reaped. */
typedef void	(*xp_child_cb)(void *arg, pid_t pid, int status);
void	 xp_children_add(pid_t pid, xp_child_cb cb, void *arg);
/* Forget a child's callback (the owner goes away first); it is still reaped. */
void	 xp_children_detach(pid_t pid);
size_t	 xp_children_count(void);
/* SIGCHLD: reap every child that has exited, calling its callback. */
void	 xp_children_reap(void);
void	 xp_children_signal(int sig);
/* Blocking reap of everything left (after SIGKILL at exit). */
void	 xp_children_reap_all(void);

/* The singleton mlet (-s). */
struct xpd;
int	 xp_singleton_start(struct xpd *d, char *why, size_t whylen);
/* Hand one session's socket end to the singleton (queued if it is busy). */
void	 xp_singleton_pass(struct xpd *d, int fd, const char *epaddr);
/* Close the control socket and drop queued sockets: the singleton reads EOF. */
void	 xp_singleton_close(struct xpd *d);

/* ---- session.c ---- */

/*
 * The relay's buffer for one direction (relay.c): p[off, off + len) is
 * held, of which p[off, off + ready) are whole, checked frames waiting for
 * the sink and the rest the start of the next frame.  Allocated while the
 * sink is slower than the source, freed once it is empty.
 */
struct xp_rbuf {
	uint8_t		*p;
	size_t		 cap, off, ready, len;
};

/* A running session's data path (relay.c); sides and directions share indexes. */
struct xp_relay {
	int		 fd[2];		/* XP_EP2ML: the endpoint's TCP socket; XP_ML2EP: the mlet's */
	struct event	*rev[2], *wev[2];	/* by side */
	struct xp_rbuf	 b[2];		/* by direction */
	unsigned	 reading[2], writing[2];	/* rev/wev added */
	unsigned	 started:1;	/* taken over from the setup */
	int		 watch_err;	/* event_add failed on a socket: errno */
};

enum xp_sstate {
	XP_S_HANDSHAKE,		/* TLS server handshake */
	XP_S_SETUP,		/* cdata* then start, each awaiting its result */
	XP_S_GATED,		/* ready to start, waiting for the -n gate */
	XP_S_RELAY,		/* mlet running, messages flowing */
	XP_S_CLOSING,		/* flushing what is left, then closing */
	XP_S_CLOSED,		/* sockets closed; waiting for the mlet's exit */
};

struct session {
	TAILQ_ENTRY(session)	 entry;		/* d->sessions or d->dead */
	TAILQ_ENTRY(session)	 gentry;	/* d->gated */
	struct xpd		*d;
	uint64_t		 id;
	enum xp_sstate		 state;
	char			 ctx[XP_CTX_MAX];	/* "s12 127.0.0.1:50312 sni=abc" */
	char			 peer[64];
	char			 epaddr[XP_EPADDR_MAX];
	struct timespec		 t_start;

	struct ssl_st		*ssl;		/* the handshake only */
	/*
	 * The endpoint after the handshake: our own TLS 1.3 record layer
	 * (cred/rtls.h) on its socket; NULL once the socket is closed.
	 */
	struct rtls		*ep;
	struct event		*ep_ev;		/* handshake, setup and drain I/O */
	short			 ep_watch;	/* what ep_ev is added for */
	struct evbuffer		*ep_in;		/* setup: data read, not parsed */
	struct bufferevent	*ml;		/* our end of the mlet socket */
	struct event		*timer;		/* handshake, setup, drain deadlines */
	const struct xp_entry	*xe;
	size_t			 next_mon;	/* setup: next monitor digest */
	int			 await;		/* setup: a result is awaited for */
	uint8_t			 await_type;	/* ... this request (cdata, start) */
	uint64_t		 ep_msgs_setup;	/* messages from the endpoint so far */

	/* Relay. */
	unsigned		 ep_paused:1, ml_paused:1;	/* reading stopped */
	unsigned		 ep_gone:1, ml_gone:1;	/* EOF or error: no more I/O */
	unsigned		 tls_closing:1;
	unsigned		 counted:1;	/* counted against -n */
	unsigned		 start_inflight:1;
	unsigned		 pending:1;	/* counted in d->npending */

	struct xp_relay		 rl;

	/* The mlet (multi mode). */
	pid_t			 pid;		/* 0: none (singleton mode, never spawned) */
	int			 reaped;
	int			 wstatus;

	struct xp_reason	 reason;
	struct xp_stats		 st;

	/* Results (-o, --trace): results.c, trace.c. */
	struct timespec		 t_wall;	/* start, CLOCK_REALTIME */
	struct xp_stats		 icpt;		/* set-up messages and linfo: not relayed */
	struct xp_trace		*trace;		/* NULL: not tracing */
	struct xp_sess_info	*info;		/* TLS facts kept for the record, or NULL */
};
TAILQ_HEAD(sessionq, session);

/* A connection was accepted: start its handshake.  Takes fd. */
void	 session_new(struct xpd *d, int fd, const struct sockaddr *sa, socklen_t salen);
/*
 * The close funnel: every end of a session comes here with its reason.
 * Flushes what the surviving side still needs (bounded), then closes both
 * sockets.  Safe to call more than once; the first reason is kept.
 */
void	 session_close(struct session *s, enum xp_end kind, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Close without flushing (shutdown, fatal protocol errors). */
void	 session_abort(struct session *s, enum xp_end kind, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* (Re)arm the session's one timer. */
void	 session_timer_ms(struct session *s, unsigned ms);
/* Close the endpoint's socket (and its TLS session). */
void	 session_ep_free(struct session *s);
/* Watch the endpoint's socket (ep_ev) for what; -1: epoll refused. */
int	 session_ep_watch(struct session *s, short what);
/* Both sockets are closed: the summary follows once the mlet is reaped. */
void	 session_finish(struct session *s);
/* The -n gate may have opened: start waiting sessions while it is open. */
void	 session_gate_changed(struct xpd *d);
/* Wrap-up: close every session that has not started yet. */
void	 session_drop_unstarted(struct xpd *d, const char *why);
/* Forced end: close every session without flushing. */
void	 session_abort_all(struct xpd *d, const char *why);
/* Free sessions that are fully over (deferred to a fresh loop turn). */
void	 session_gc(struct xpd *d);

/* ---- relay.c ---- */

/*
 * Take the session over from the bufferevents (after start and spawn): on
 * the next loop turn the relay drives TLS and the mlet's socket itself.
 */
void	 relay_start(struct session *s);
/* Drop the relay's events and buffers (before the sockets close). */
void	 relay_free(struct session *s);
/* Stop reading both sides, flush outputs; calls session_finish when done. */
void	 relay_drain(struct session *s);
/* The endpoint's socket during a drain that began before the relay. */
void	 relay_ep_event(struct session *s, short what);
/* Endpoint bytes after the handshake but before the relay (setup). */
void	 relay_log_linfo(struct session *s, const struct pl_msg *m);

/* ---- results.c: -o DIR ---- */

struct xp_results;
/*
 * Set up DIR: create it (0700), refuse an earlier run unless --append,
 * open sessions.jsonl, write run.json.  Sets d->next_sid past the ids of
 * earlier runs.  Returns 0 (also when -o is not given), or -1 with why.
 */
int	 xp_results_open(struct xpd *d, char *why, size_t whylen);
/* Rewrite run.json with the end time and the totals; close everything. */
void	 xp_results_close(struct xpd *d);
/*
 * TLS is up: count the endpoint for the status line (xp_status_seen) and,
 * with -o, keep what the record needs while the SSL object exists.
 */
void	 xp_results_tls(struct session *s);
/*
 * The files an mlet writes to: fds[0] for stdout, fds[1] for stderr, -1
 * each without -o.  s is NULL for the singleton.  Returns 0, or -1 with
 * why; the caller closes what it gets after the spawn.
 */
int	 xp_results_mlet_fds(struct xpd *d, const struct session *s, int fds[2],
	    char *why, size_t whylen);
/* The session is over: append its line to sessions.jsonl at once. */
void	 xp_results_session_over(struct session *s, uint64_t ms);
/* Free what xp_results_tls kept. */
void	 xp_results_session_free(struct session *s);

/* ---- trace.c: --trace ---- */

/* Pseudo-header flags (docs/results.md, contrib/wireshark/pktlab.lua). */
#define XP_TR_INTERCEPTED	0x01	/* sent or eaten by pktxpmgr, not relayed */

/* Open sNN-ADDR.pcap for a session (when --trace); logs and goes on on failure. */
void	 xp_trace_open(struct session *s, const char *dir);
/*
 * One whole message, dir XP_EP2ML or XP_ML2EP.  Intercepted messages are
 * counted in s->icpt; relayed ones are counted by the relay.  The message
 * is bytes[0..len), or the first len bytes of buf when bytes is NULL.
 */
void	 xp_trace_msg(struct session *s, int dir, unsigned flags,
	    const uint8_t *bytes, struct evbuffer *buf, size_t len);
void	 xp_trace_close(struct session *s);

/* ---- status.c: the status line and SIGUSR1 ---- */

/* Start the status line when stderr is a terminal (and not --no-progress). */
void	 xp_status_start(struct xpd *d);
void	 xp_status_stop(struct xpd *d);
/* An endpoint finished its handshake: id is its key id, or "addr ADDR". */
void	 xp_status_seen(struct xpd *d, const char *id);
void	 xp_status_free(struct xpd *d);
/* "run 2 set-up 0 done 5 fail 1 drop 0 | endpoints 8 | ep->mlet 1.2 KB mlet->ep 3.4 MB". */
char	*xp_status_text(const struct xpd *d, char *out, size_t outlen);

/* ---- listener.c ---- */

struct listener {
	TAILQ_ENTRY(listener)	 entry;
	int			 fd;
	struct event		*ev;
	char			 name[64];
};
TAILQ_HEAD(listenerq, listener);

/* Bind every address -a resolves to.  Returns 0, or -1 with why. */
int	 listener_open(struct xpd *d, char *why, size_t whylen);
void	 listener_close_all(struct xpd *d);
/* Pause (EMFILE) or resume accepting. */
void	 listener_pause(struct xpd *d, int ms);
/*
 * Session counts changed: stop accepting at MaxPendingSessions or
 * MaxSessions, start again below them (one log line per pause).
 */
void	 listener_update(struct xpd *d);

/* ---- proxy.c: proxy (active) mode, xpmgr spec §7 ---- */

struct proxy;
/*
 * Resolve -a, build the client TLS context and start filling every SNI
 * key's pool; the bootstrap ends with xpd_greeting_ready, or xpd_abort when
 * no connection registered within BootstrapBacklogTimeout.  Returns 0, or
 * -1 with why.
 */
int	 proxy_start(struct xpd *d, char *why, size_t whylen);
/* Wrap-up: close every backlog connection that is not a session; no refill. */
void	 proxy_wrapup(struct xpd *d);
void	 proxy_free(struct xpd *d);
/* Backlog connections registered and idle, over every SNI key (status line). */
uint64_t proxy_idle(const struct xpd *d);

/* ---- daemon.c ---- */

enum xpd_state {
	XPD_RUNNING,		/* greeting endpoints */
	XPD_WRAPUP,		/* no new endpoints; waiting for running sessions */
	XPD_FORCE,		/* second signal: mlets told to terminate */
};

/* A socket end waiting for the singleton to take it. */
struct xp_pass {
	STAILQ_ENTRY(xp_pass)	 entry;
	int			 fd;
	char			 epaddr[XP_EPADDR_MAX];
};
STAILQ_HEAD(xp_passq, xp_pass);

struct xpd {
	struct event_base	*base;
	const struct xpmgr_conf	*conf;
	struct xp_tls		*tls;
	struct xp_progs		 progs;
	struct xp_scratch	 scratch;
	enum xpd_state		 state;
	int			 exit_code;

	uint64_t		 next_sid;
	uint64_t		 nstarted;	/* successful setups (-n counts these) */
	uint64_t		 ninflight;	/* start sent, result not yet seen */
	uint64_t		 nsessions;	/* live session objects */
	uint64_t		 npending;	/* sessions not past set-up */
	uint64_t		 max_sessions;	/* MaxSessions, or the descriptor budget */
	uint64_t		 nok, nfail, ndropped;
	struct sessionq		 sessions;
	struct sessionq		 gated;
	struct sessionq		 dead;
	struct event		*gc_ev;

	struct listenerq	 listeners;
	struct event		*accept_resume;
	struct proxy		*proxy;		/* proxy mode, else NULL */
	int			 accept_emfile;	/* paused: out of descriptors */
	int			 accept_capped;	/* paused: MaxPendingSessions/MaxSessions */
	int			 cap_episode;	/* the pause was logged; pressure not over */
	uint64_t		 cap_pauses;	/* pauses in this episode */

	struct event		*sig_int, *sig_term, *sig_hup, *sig_chld, *sig_usr1;
	int			 nsig;
	struct event		*kill_timer;

	/* Singleton mode. */
	int			 sg_fd;		/* our end of the control socket, -1 */
	pid_t			 sg_pid;
	int			 sg_reaped;
	struct event		*sg_rev, *sg_wev;
	struct xp_passq		 sg_queue;
	int			 sg_expected_exit;	/* we closed the control socket */

	struct xpb		*pub;		/* publication, or NULL */
	/* Results and progress (results.c, status.c). */
	struct xp_results	*res;		/* NULL without -o */
	uint64_t		 done_msgs[2], done_bytes[2];	/* sessions over */
	uint64_t		 nconn;		/* connections accepted */
	struct xp_seen		*seen;		/* endpoints seen (status.c) */
	struct event		*status_ev;	/* status line redraw, or NULL */
};

/*
 * Run the daemon with a loaded configuration until it is done.  Returns the
 * process exit status (0 normal end, 1 errors and forced ends).
 */
int	 xpmgr_run(const struct xpmgr_conf *c);

/*
 * Endpoints can now arrive: the listeners are open, or the proxy bootstrap
 * is over.  Publication to a broker starts here.
 */
void	 xpd_greeting_ready(struct xpd *d);
/* A start-up failure after the loop started: exit 1 (forced end). */
void	 xpd_abort(struct xpd *d, const char *why);
/* Start wrapping up (signal, -n reached, singleton gone). */
void	 xpd_wrapup(struct xpd *d, const char *why);
/* Check whether everything is over and leave the loop if so. */
void	 xpd_maybe_done(struct xpd *d);
/* A session's setup succeeded (for -n); returns 0 when over the limit. */
int	 xpd_count_start(struct xpd *d);
/* May one more start be sent now (-n gate)? */
int	 xpd_gate_open(const struct xpd *d);

/* ---- broker.c: publication (xpmgr spec §8) ---- */

struct xpb;
/*
 * Start publishing (d->pub): load what it needs, then connect on the loop.
 * Returns 0, or -1 with why (a configuration problem).  Later failures are
 * retried; a broker error during the first pass ends the daemon (exit 1);
 * the end of the window plus GreetPeriodAfterPubEnd wraps the daemon up.
 */
int	 xpb_start(struct xpd *d, char *why, size_t whylen);
/* Stop publishing now: close_notify and close.  Safe on NULL and twice. */
void	 xpb_stop(struct xpb *b, const char *why);
void	 xpb_free(struct xpb *b);
/* The publication's state in a few words (status line), or NULL without one. */
const char *xpb_status(const struct xpb *b);

#endif /* PL_XPMGR_DAEMON_H */
