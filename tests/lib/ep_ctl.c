/*
 * ep_ctl.c: the scripted controller and loopback servers of ep_ctl.h.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "cred/cred.h"
#include "cred/tls.h"
#include "credtest.h"
#include "ep_ctl.h"

static int	 ms_left(uint64_t deadline);
static uint64_t	 deadline_in(int ms);
static int	 read_full(struct ep_ctl *, uint8_t *, size_t, uint64_t deadline,
		    uint64_t *first_rec);
static void	 record_cb(int, int, int, const void *, size_t, SSL *, void *);
static int	 read_msg(struct ep_ctl *, struct ep_rx *, uint64_t deadline);
static void	 write_file(const char *path, const char *text);
static char	*issue_exppriv(const char *dir, const char *limits);

static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
deadline_in(int ms)
{
	return now_ms() + (uint64_t)ms;
}

static int
ms_left(uint64_t deadline)
{
	uint64_t	 n = now_ms();

	return n >= deadline ? 0 : (int)(deadline - n);
}

static void
write_file(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

/* An exppriv k_eop -> k_exper carrying the given limits, as a PEM file. */
static char *
issue_exppriv(const char *dir, const char *limits)
{
	struct cred_issue	 is;
	struct cred_err		 err;
	EVP_PKEY		*eop = ct_key("keys/k_eop");
	EVP_PKEY		*exper = ct_pub("keys/k_exper.pub");
	X509			*x;
	FILE			*f;
	char			*path;

	memset(&is, 0, sizeof(is));
	is.type = CRED_EXPPRIV;
	is.pathlen = -1;
	is.not_before = 0;
	is.not_after = 2147483647;
	is.info = "cert_type=exppriv;";
	is.limits = limits;
	x = cred_cert_issue(&is, exper, eop, &err);
	ck_assert_msg(x != NULL, "issue exppriv: %s", err.msg);
	ck_assert(asprintf(&path, "%s/exppriv_limits.cert", dir) > 0);
	f = fopen(path, "w");
	ck_assert(f != NULL);
	PEM_write_X509(f, x);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(eop);
	EVP_PKEY_free(exper);
	return path;
}

void
ep_ctl_start(struct ep_ctl *c, const struct ep_ctl_opts *o)
{
	static const struct ep_ctl_opts	 none;
	struct sockaddr_in	 sin;
	struct cred_certs	 chain;
	struct cred_keys	 roots;
	struct cred_err		 err;
	EVP_PKEY		*key;
	socklen_t		 sl = sizeof(sin);
	const char		*bindir = getenv("PL_BIN_DIR");
	char			*conf, *text, *k_ep, *subcmd, *eop, *pubcmd, *exppriv;
	char			*bin, *argv[32], *args = NULL, *tok, *save, port[16];
	int			 argc = 0, one = 1, logfd;

	if (o == NULL)
		o = &none;
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->dir = ct_tmpdir();
	ck_assert(asprintf(&c->log, "%s/endpoint.log", c->dir) > 0);

	/* The controller's side: pubcmd + exppriv, key k_xc; endpoints checked against k_eop. */
	pubcmd = ct_path("certs/pubcmd_exper_xc.cert");
	exppriv = o->limits != NULL ? issue_exppriv(c->dir, o->limits) :
	    ct_path("certs/exppriv_eop_exper.cert");
	memset(&chain, 0, sizeof(chain));
	memset(&roots, 0, sizeof(roots));
	{
		const char	*paths[2] = { pubcmd, exppriv };

		ck_assert_msg(cred_certs_load(&chain, paths, 2, &err) == 0, "%s", err.msg);
	}
	eop = ct_path("keys/k_eop.pub");
	{
		const char	*paths[1] = { eop };

		ck_assert_msg(cred_keys_load(&roots, paths, 1, &err) == 0, "%s", err.msg);
	}
	key = ct_key("keys/k_xc");
	c->ctx = cred_tls_plain_server_ctx(key, &chain, &roots,
	    CRED_MODE_CONTROLLER_AUTH_ENDPOINT, 1, &err);
	ck_assert_msg(c->ctx != NULL, "server ctx: %s", err.msg);
	EVP_PKEY_free(key);
	cred_certs_free(&chain);
	cred_keys_free(&roots);

	c->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert(c->lfd >= 0);
	setsockopt(c->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(bind(c->lfd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	ck_assert(listen(c->lfd, 8) == 0);
	ck_assert(getsockname(c->lfd, (struct sockaddr *)&sin, &sl) == 0);
	c->port = ntohs(sin.sin_port);

	k_ep = ct_path("keys/k_ep");
	subcmd = ct_path("certs/subcmd_eop_ep.cert");
	ck_assert(asprintf(&text,
	    "# written by tests/lib/ep_ctl.c\n"
	    "EndpointPrivKey %s\n"
	    "ControllerCertChainPath %s\n"
	    "EndpointOpPubKeyPath %s\n"
	    "HostID ep-test-host\n"
	    "AllowedDest 127.0.0.0/8,::1/128\n"
	    "DNSServers 127.0.0.53,::1\n"
	    "VMemLocalAddrStrIPv4 127.0.0.1/8\n"
	    "VMemLocalAddrStrIPv6 ::1\n"
	    "RetryDelay 100ms\n"
	    "%s\n", k_ep, subcmd, eop, o->conf_extra != NULL ? o->conf_extra : "") > 0);
	ck_assert(asprintf(&conf, "%s/endpt.conf", c->dir) > 0);
	write_file(conf, text);

	ck_assert_msg(bindir != NULL, "PL_BIN_DIR is not set");
	ck_assert(asprintf(&bin, "%s/pktlab-endpoint", bindir) > 0);
	snprintf(port, sizeof(port), "127.0.0.1:%u", c->port);
	argv[argc++] = bin;
	argv[argc++] = "-v";
	argv[argc++] = "-c";
	argv[argc++] = conf;
	if (o->args != NULL) {
		args = strdup(o->args);
		for (tok = strtok_r(args, " ", &save); tok != NULL && argc < 28;
		    tok = strtok_r(NULL, " ", &save))
			argv[argc++] = tok;
	}
	argv[argc++] = port;
	argv[argc] = NULL;

	logfd = open(c->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	ck_assert(logfd >= 0);
	c->pid = fork();
	ck_assert(c->pid >= 0);
	if (c->pid == 0) {
		dup2(logfd, 2);
		execv(bin, argv);
		_exit(127);
	}
	close(logfd);
	free(args);
	free(bin);
	free(text);
	free(conf);
	free(k_ep);
	free(subcmd);
	free(eop);
	free(pubcmd);
	free(exppriv);
	if (!o->no_accept)
		ck_assert_msg(ep_ctl_accept(c, 10000) == 0,
		    "the endpoint did not complete TLS (see %s)", c->log);
}

int
ep_ctl_accept(struct ep_ctl *c, int timeout_ms)
{
	struct pollfd	 pfd = { c->lfd, POLLIN, 0 };
	uint64_t	 dl = deadline_in(timeout_ms);
	int		 r, e;

	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->eof = 0;
	c->rx_off = c->rec_start = 0;
	if (poll(&pfd, 1, timeout_ms) != 1)
		return -1;
	c->fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (c->fd == -1)
		return -1;
	c->ssl = SSL_new(c->ctx);
	SSL_set_fd(c->ssl, c->fd);
	SSL_set_read_ahead(c->ssl, 0);
	SSL_set_msg_callback(c->ssl, record_cb);
	SSL_set_msg_callback_arg(c->ssl, c);
	for (;;) {
		r = SSL_accept(c->ssl);
		if (r == 1)
			return 0;
		e = SSL_get_error(c->ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return -1;
		pfd.fd = c->fd;
		pfd.events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		if (poll(&pfd, 1, ms_left(dl)) != 1)
			return -1;
	}
}

void
ep_ctl_send_raw(struct ep_ctl *c, const uint8_t *p, size_t n)
{
	struct pollfd	 pfd;
	size_t		 off = 0;
	int		 r, e;

	while (off < n) {
		r = SSL_write(c->ssl, p + off, (int)(n - off));
		if (r > 0) {
			off += (size_t)r;
			continue;
		}
		e = SSL_get_error(c->ssl, r);
		ck_assert_msg(e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE,
		    "SSL_write failed (%d)", e);
		pfd.fd = c->fd;
		pfd.events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		ck_assert(poll(&pfd, 1, 10000) == 1);
	}
}

void
ep_ctl_send(struct ep_ctl *c, const struct pl_msg *m)
{
	ssize_t	 n = pl_encode(m, NULL, 0);
	uint8_t	*buf;

	ck_assert(n > 0);
	buf = malloc((size_t)n);
	ck_assert(pl_encode(m, buf, (size_t)n) == n);
	ep_ctl_send_raw(c, buf, (size_t)n);
	free(buf);
}

/*
 * OpenSSL reports each TLS 1.3 record's inner content type once it is
 * decrypted, before SSL_read hands out any of its bytes: the record begins
 * at the plaintext offset read so far.
 */
static void
record_cb(int write_p, int version, int content_type, const void *buf,
    size_t len, SSL *ssl, void *arg)
{
	struct ep_ctl	*c = arg;

	if (write_p || content_type != SSL3_RT_INNER_CONTENT_TYPE || len != 1 ||
	    *(const uint8_t *)buf != SSL3_RT_APPLICATION_DATA)
		return;
	c->rec_start = c->rx_off;
	c->nrec++;
}

/*
 * 1: read n bytes; 0: EOF; -1: timeout.  first_rec (may be NULL): where the
 * record holding the first of these bytes began.
 */
static int
read_full(struct ep_ctl *c, uint8_t *p, size_t n, uint64_t dl, uint64_t *first_rec)
{
	struct pollfd	 pfd;
	size_t		 off = 0;
	int		 r, e;

	while (off < n) {
		if (c->eof)
			return 0;
		r = SSL_read(c->ssl, p + off, (int)(n - off));
		if (r > 0) {
			if (off == 0 && first_rec != NULL)
				*first_rec = c->rec_start;
			off += (size_t)r;
			c->rx_off += (uint64_t)r;
			continue;
		}
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL ||
		    e == SSL_ERROR_SSL) {
			c->eof = 1;
			return 0;
		}
		pfd.fd = c->fd;
		pfd.events = e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
		if (poll(&pfd, 1, ms_left(dl)) != 1)
			return -1;
	}
	return 1;
}

static int
read_msg(struct ep_ctl *c, struct ep_rx *rx, uint64_t dl)
{
	uint8_t		 hdr[PL_HLEN], type;
	uint32_t	 blen;
	uint64_t	 start = c->rx_off, rec = 0;
	size_t		 used;
	int		 r;

	memset(rx, 0, sizeof(*rx));
	if ((r = read_full(c, hdr, PL_HLEN, dl, &rec)) != 1)
		return r;
	pl_peek_header(hdr, PL_HLEN, &type, &blen);
	ck_assert_msg(rec == start, "message %llu (type 0x%02x, %u-byte body) "
	    "starts at byte %llu of the stream, inside a TLS record that began "
	    "at byte %llu: one record holds bytes of two messages (ERRATA fact "
	    "10; log %s)", (unsigned long long)c->nmsg, type, blen,
	    (unsigned long long)start, (unsigned long long)rec, c->log);
	c->nmsg++;
	rx->len = PL_HLEN + blen;
	rx->buf = malloc(rx->len);
	memcpy(rx->buf, hdr, PL_HLEN);
	/* A message once begun is finished, whatever the caller's deadline. */
	if (read_full(c, rx->buf + PL_HLEN, blen, deadline_in(10000), NULL) != 1) {
		free(rx->buf);
		ck_abort_msg("connection ended inside a message");
	}
	rx->at = pl_time_now();
	ck_assert_msg(pl_decode(rx->buf, rx->len, &rx->m, &used, NULL) == PL_DEC_OK,
	    "the endpoint sent a malformed message (type 0x%02x)", type);
	return 1;
}

static int
rx_sktid(const struct ep_rx *rx)
{
	switch (rx->m.type) {
	case PL_NTAG:
		return rx->m.u.ntag.sktid;
	case PL_NSTAT:
		return rx->m.u.nstat.sktid;
	case PL_NDATA:
		return rx->m.u.ndata.sktid;
	default:
		return -1;
	}
}

int
ep_ctl_wait(struct ep_ctl *c, uint8_t type, int sktid, int timeout_ms,
    struct ep_rx *out)
{
	uint64_t	 dl = deadline_in(timeout_ms);
	struct ep_rx	 rx;
	size_t		 i;
	int		 r;

	for (i = 0; i < c->nstash; i++) {
		if ((type == 0 || c->stash[i].m.type == type) &&
		    (sktid < 0 || rx_sktid(&c->stash[i]) == sktid)) {
			*out = c->stash[i];
			memmove(&c->stash[i], &c->stash[i + 1],
			    (c->nstash - i - 1) * sizeof(c->stash[0]));
			c->nstash--;
			return 1;
		}
	}
	for (;;) {
		if ((r = read_msg(c, &rx, dl)) != 1)
			return r;
		if ((type == 0 || rx.m.type == type) &&
		    (sktid < 0 || rx_sktid(&rx) == sktid)) {
			*out = rx;
			return 1;
		}
		ck_assert_msg(c->nstash < EP_CTL_STASH, "stash overflow");
		c->stash[c->nstash++] = rx;
	}
}

int
ep_ctl_sees(struct ep_ctl *c, uint8_t type, int sktid, int timeout_ms)
{
	struct ep_rx	 rx;

	if (ep_ctl_wait(c, type, sktid, timeout_ms, &rx) != 1)
		return 0;
	/* Put it back at the front for a later ep_ctl_wait. */
	ck_assert(c->nstash < EP_CTL_STASH);
	memmove(&c->stash[1], &c->stash[0], c->nstash * sizeof(c->stash[0]));
	c->stash[0] = rx;
	c->nstash++;
	return 1;
}

void
ep_ctl_expect(struct ep_ctl *c, uint16_t errid, const char *what)
{
	struct ep_rx	 rx;
	int		 r;

	r = ep_ctl_wait(c, PL_RESULT, -1, 10000, &rx);
	ck_assert_msg(r == 1, "%s: no result (%s)", what, r == 0 ? "EOF" : "timeout");
	ck_assert_msg(rx.m.u.result.errid == errid, "%s: result %s (0x%04x), "
	    "expected %s (0x%04x)", what, pl_err_name(rx.m.u.result.errid),
	    rx.m.u.result.errid, pl_err_name(errid), errid);
	ep_rx_free(&rx);
}

void
ep_ctl_mread(struct ep_ctl *c, uint32_t addr, uint16_t len, uint8_t *out)
{
	struct pl_msg	 m;
	struct ep_rx	 rx;

	pl_msg_mread(&m, addr, len);
	ep_ctl_send(c, &m);
	ck_assert_msg(ep_ctl_wait(c, PL_MDATA, -1, 10000, &rx) == 1,
	    "no mdata for 0x%08x", addr);
	ck_assert_uint_eq(rx.m.u.mem.addr, addr);
	ck_assert_uint_eq(rx.m.u.mem.len, len);
	memcpy(out, rx.m.u.mem.data, len);
	ep_rx_free(&rx);
}

void
ep_ctl_begin(struct ep_ctl *c)
{
	struct pl_msg	 m;

	pl_msg_start(&m);
	ep_ctl_send(c, &m);
	ep_ctl_expect(c, PL_SUCCESS, "start");
}

void
ep_ctl_hangup(struct ep_ctl *c)
{
	if (c->ssl != NULL) {
		(void)SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

int
ep_ctl_exit(struct ep_ctl *c, int timeout_ms)
{
	uint64_t	 dl = deadline_in(timeout_ms);
	int		 st;
	pid_t		 r;

	for (;;) {
		r = waitpid(c->pid, &st, WNOHANG);
		if (r == c->pid) {
			c->pid = 0;
			return st;
		}
		ck_assert_msg(ms_left(dl) > 0, "the endpoint did not exit in %d ms "
		    "(log %s)", timeout_ms, c->log);
		usleep(20000);
	}
}

int
ep_ctl_log_has(struct ep_ctl *c, const char *text)
{
	FILE	*f = fopen(c->log, "r");
	char	 line[4096];
	int	 found = 0;

	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, text) != NULL;
	fclose(f);
	return found;
}

void
ep_ctl_free(struct ep_ctl *c)
{
	size_t	 i;

	ep_ctl_hangup(c);
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	for (i = 0; i < c->nstash; i++)
		ep_rx_free(&c->stash[i]);
	if (c->lfd > 0)
		close(c->lfd);
	SSL_CTX_free(c->ctx);
	if (getenv("PL_KEEP_TMP") == NULL)
		ct_rmtree(c->dir);
	free(c->dir);
	free(c->log);
}

void
ep_rx_free(struct ep_rx *rx)
{
	free(rx->buf);
	rx->buf = NULL;
}

/* ---- loopback servers ---- */

enum srv_kind { SRV_HTTP, SRV_UDP_ECHO, SRV_TCP_SINK };

struct ep_srv {
	enum srv_kind	 kind;
	int		 fd;
	uint16_t	 port;
	pthread_t	 th;
	volatile int	 stop;
	pthread_mutex_t	 mu;
	uint64_t	 first_at;
	uint8_t		 data[1 << 16];
	size_t		 ndata;
	const char	*body;
	size_t		 bodylen;
};

static int
srv_wait(struct ep_srv *s, int fd)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };

	while (!s->stop)
		if (poll(&pfd, 1, 50) == 1)
			return 0;
	return -1;
}

static void
srv_note(struct ep_srv *s, const uint8_t *p, size_t n)
{
	pthread_mutex_lock(&s->mu);
	if (s->first_at == 0)
		s->first_at = pl_time_now();
	if (n > sizeof(s->data) - s->ndata)
		n = sizeof(s->data) - s->ndata;
	memcpy(s->data + s->ndata, p, n);
	s->ndata += n;
	pthread_mutex_unlock(&s->mu);
}

static void *
srv_main(void *arg)
{
	struct ep_srv		*s = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	uint8_t			 buf[1 << 16];
	char			 hdr[128];
	ssize_t			 n;
	size_t			 got;
	int			 cfd;

	while (srv_wait(s, s->fd) == 0) {
		if (s->kind == SRV_UDP_ECHO) {
			sl = sizeof(ss);
			n = recvfrom(s->fd, buf, sizeof(buf), 0,
			    (struct sockaddr *)&ss, &sl);
			if (n < 0)
				continue;
			srv_note(s, buf, (size_t)n);
			(void)sendto(s->fd, buf, (size_t)n, 0,
			    (struct sockaddr *)&ss, sl);
			continue;
		}
		if ((cfd = accept(s->fd, NULL, NULL)) == -1)
			continue;
		got = 0;
		while (srv_wait(s, cfd) == 0) {
			n = recv(cfd, buf + got, sizeof(buf) - got, 0);
			if (n <= 0)
				break;
			srv_note(s, buf + got, (size_t)n);
			got += (size_t)n;
			if (s->kind == SRV_HTTP && got >= 4 &&
			    memmem(buf, got, "\r\n\r\n", 4) != NULL) {
				snprintf(hdr, sizeof(hdr), "HTTP/1.0 200 OK\r\n"
				    "Content-Length: %zu\r\n\r\n", s->bodylen);
				(void)send(cfd, hdr, strlen(hdr), MSG_NOSIGNAL);
				(void)send(cfd, s->body, s->bodylen, MSG_NOSIGNAL);
				break;
			}
			if (got == sizeof(buf))
				got = 0;
		}
		close(cfd);
	}
	return NULL;
}

static struct ep_srv *
srv_new(enum srv_kind kind, int af)
{
	struct ep_srv		*s = calloc(1, sizeof(*s));
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	int			 one = 1;

	ck_assert(s != NULL);
	s->kind = kind;
	pthread_mutex_init(&s->mu, NULL);
	s->fd = socket(af, kind == SRV_UDP_ECHO ? SOCK_DGRAM : SOCK_STREAM, 0);
	ck_assert(s->fd >= 0);
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET6) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
		sl = sizeof(struct sockaddr_in6);
	} else {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(struct sockaddr_in);
	}
	ck_assert_msg(bind(s->fd, (struct sockaddr *)&ss, sl) == 0, "bind: %s",
	    strerror(errno));
	if (kind != SRV_UDP_ECHO)
		ck_assert(listen(s->fd, 8) == 0);
	ck_assert(getsockname(s->fd, (struct sockaddr *)&ss, &sl) == 0);
	s->port = ntohs(af == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	return s;
}

static struct ep_srv *
srv_go(struct ep_srv *s)
{
	ck_assert(pthread_create(&s->th, NULL, srv_main, s) == 0);
	return s;
}

struct ep_srv *
ep_srv_http(int af, const char *body, size_t bodylen)
{
	struct ep_srv	*s = srv_new(SRV_HTTP, af);

	s->body = body;
	s->bodylen = bodylen;
	return srv_go(s);
}

struct ep_srv *
ep_srv_udp_echo(int af)
{
	return srv_go(srv_new(SRV_UDP_ECHO, af));
}

struct ep_srv *
ep_srv_tcp_sink(int af)
{
	return srv_go(srv_new(SRV_TCP_SINK, af));
}

uint16_t
ep_srv_port(const struct ep_srv *s)
{
	return s->port;
}

uint64_t
ep_srv_first_at(struct ep_srv *s, int timeout_ms)
{
	uint64_t	 dl = deadline_in(timeout_ms), t;

	for (;;) {
		pthread_mutex_lock(&s->mu);
		t = s->first_at;
		pthread_mutex_unlock(&s->mu);
		if (t != 0 || ms_left(dl) == 0)
			return t;
		usleep(2000);
	}
}

size_t
ep_srv_received(struct ep_srv *s, size_t want, int timeout_ms, uint8_t *out,
    size_t outlen)
{
	uint64_t	 dl = deadline_in(timeout_ms);
	size_t		 n;

	for (;;) {
		pthread_mutex_lock(&s->mu);
		n = s->ndata;
		if (n >= want || ms_left(dl) == 0) {
			if (out != NULL)
				memcpy(out, s->data, n < outlen ? n : outlen);
			pthread_mutex_unlock(&s->mu);
			return n;
		}
		pthread_mutex_unlock(&s->mu);
		usleep(2000);
	}
}

void
ep_srv_stop(struct ep_srv *s)
{
	s->stop = 1;
	pthread_join(s->th, NULL);
	close(s->fd);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

uint16_t
ep_closed_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	int			 fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t		 port;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	ck_assert(getsockname(fd, (struct sockaddr *)&sin, &sl) == 0);
	port = ntohs(sin.sin_port);
	close(fd);	/* nobody listens there now */
	return port;
}
