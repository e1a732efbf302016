/*
 * ep_ctl.h: a scripted PacketLab controller for the endpoint's tests.  It
 * listens on 127.0.0.1, starts the real pktlab-endpoint ($PL_BIN_DIR) as a
 * child pointed at it, accepts its TLS connection with the vector PKI
 * (pubcmd_exper_xc + an exppriv the test may issue with limits), and then
 * sends requests and reads replies with our codec.  Plus tiny loopback
 * servers (HTTP, UDP echo) that run in threads.
 *
 * Every connection watches the endpoint's TLS records (a message callback
 * on the SSL): a message that does not start its own record fails the test,
 * because a 1.1.0 pktxpmgr asserts on a record holding two messages.
 */
#ifndef PL_TEST_EP_CTL_H
#define PL_TEST_EP_CTL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include <pktlab/wire.h>

struct ep_rx {
	struct pl_msg	 m;
	uint8_t		*buf;		/* the message's bytes; m points into it */
	size_t		 len;
	uint64_t	 at;		/* pl_time_now() when it was read */
};

#define EP_CTL_STASH	4096

struct ep_ctl {
	char		*dir;		/* scratch folder: endpt.conf, log */
	char		*log;		/* the endpoint's stderr */
	int		 lfd;		/* listening socket */
	uint16_t	 port;
	pid_t		 pid;
	int		 fd;
	SSL_CTX		*ctx;
	SSL		*ssl;
	int		 eof;
	struct ep_rx	 stash[EP_CTL_STASH];	/* read, not yet asked for */
	size_t		 nstash;
	/*
	 * TLS records as they arrive (ERRATA fact 10): every message read must
	 * begin at the start of an application-data record, so no record holds
	 * bytes of two messages.  read_msg fails the test otherwise.
	 */
	uint64_t	 rx_off;	/* plaintext bytes read on this connection */
	uint64_t	 rec_start;	/* rx_off where the current record began */
	uint64_t	 nrec;		/* application-data records received */
	uint64_t	 nmsg;		/* messages received */
};

struct ep_ctl_opts {
	const char	*conf_extra;	/* lines appended to endpt.conf */
	const char	*limits;	/* 1.2.3.3 text of a fresh exppriv, or NULL */
	const char	*args;		/* extra command-line words, space-separated */
	int		 no_accept;	/* start the endpoint but do not accept */
};

/* Start an endpoint and accept its TLS connection (fails the test otherwise). */
void	 ep_ctl_start(struct ep_ctl *, const struct ep_ctl_opts *);
/* Accept (another) connection from the running endpoint; 0, or -1 on timeout. */
int	 ep_ctl_accept(struct ep_ctl *, int timeout_ms);
void	 ep_ctl_send(struct ep_ctl *, const struct pl_msg *);
void	 ep_ctl_send_raw(struct ep_ctl *, const uint8_t *, size_t);
/*
 * The next message of type (0: any) whose sktid is sktid (-1: any), from
 * the stash or the connection.  1 with *rx filled (free with ep_rx_free),
 * 0 on EOF, -1 on timeout.
 */
int	 ep_ctl_wait(struct ep_ctl *, uint8_t type, int sktid, int timeout_ms,
	    struct ep_rx *);
/* The next result (notifications stay stashed); fails the test unless errid. */
void	 ep_ctl_expect(struct ep_ctl *, uint16_t errid, const char *what);
/* 1 when a message of type is stashed or arrives within timeout_ms. */
int	 ep_ctl_sees(struct ep_ctl *, uint8_t type, int sktid, int timeout_ms);
/* mread helper: copies len bytes at addr into out. */
void	 ep_ctl_mread(struct ep_ctl *, uint32_t addr, uint16_t len, uint8_t *out);
/* Standard sequence: start, expect SUCCESS. */
void	 ep_ctl_begin(struct ep_ctl *);
/* Close the connection (TLS close_notify). */
void	 ep_ctl_hangup(struct ep_ctl *);
/* Wait for the endpoint to exit (fails after timeout_ms); returns its status. */
int	 ep_ctl_exit(struct ep_ctl *, int timeout_ms);
/* 1 when the endpoint's log holds text. */
int	 ep_ctl_log_has(struct ep_ctl *, const char *text);
void	 ep_ctl_free(struct ep_ctl *);
void	 ep_rx_free(struct ep_rx *);

/* Loopback servers, each in a thread; port chosen by the system. */
struct ep_srv;
/* Answers one HTTP request per connection with body, then closes. */
struct ep_srv *ep_srv_http(int af, const char *body, size_t bodylen);
/* Echoes every datagram back to its sender, remembering its arrival time. */
struct ep_srv *ep_srv_udp_echo(int af);
/* Accepts TCP connections, records when data arrives; never answers. */
struct ep_srv *ep_srv_tcp_sink(int af);
uint16_t ep_srv_port(const struct ep_srv *);
/* pl_time of the first byte (sink) or datagram (echo) received, 0 if none. */
uint64_t ep_srv_first_at(struct ep_srv *, int timeout_ms);
/* Bytes the sink received so far (waits up to timeout_ms for at least want). */
size_t	 ep_srv_received(struct ep_srv *, size_t want, int timeout_ms, uint8_t *out,
	    size_t outlen);
void	 ep_srv_stop(struct ep_srv *);

/* A closed local TCP port (bound, never listening): connects get refused. */
uint16_t ep_closed_port(void);

#endif /* PL_TEST_EP_CTL_H */
