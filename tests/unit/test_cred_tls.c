/*
 * test_cred_tls.c: real TLS 1.3 handshakes between our contexts over a
 * non-blocking socketpair, with the vector credentials: SNI selects the
 * ExpExec entry (none -> default, unknown -> both sides fail), client
 * certificates are required exactly when the entry has trusted roots, a
 * wrong root fails, agent links, TLS 1.3 only, no NewSessionTicket.
 * Detached connections: after cred_tls_detach the server side speaks
 * through rec13 while the client stays plain OpenSSL, for each of the
 * three suites, both directions, records of every size, KeyUpdate either
 * way, close_notify either way, and tampered records.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cred/cred.h"
#include "cred/rec13.h"
#include "cred/rtls.h"
#include "cred/tls.h"
#include "credtest.h"
#include "util/util.h"

struct side {
	SSL	*ssl;
	int	 fd;
	int	 done;		/* handshake finished */
	int	 failed;
	char	 reason[600];
	int	 tickets;	/* NewSessionTicket messages received */
};

static struct cred_certs	 ctrl_chain, ep_chain, agent_xc, agent_ep;
static struct cred_keys		 eop_roots, wrong_roots;
static EVP_PKEY			*k_xc, *k_ep;

static void
setup(void)
{
	struct cred_err	 err;

	/* As configured (any order), then the leaf moved first. */
	ct_certs(&ctrl_chain, "certs/exppriv_eop_exper.cert",
	    "certs/pubcmd_exper_xc.cert", (char *)NULL);
	k_xc = ct_key("keys/k_xc");
	k_ep = ct_key("keys/k_ep");
	ck_assert_int_eq(cred_certs_leaf_first(&ctrl_chain, k_xc, "chain",
	    &err), 0);
	ct_certs(&ep_chain, "certs/subcmd_eop_ep.cert", (char *)NULL);
	ct_certs(&agent_xc, "certs/agent_xc_xc.cert", (char *)NULL);
	ct_certs(&agent_ep, "certs/agent_ep_ep.cert", (char *)NULL);
	ct_roots(&eop_roots, "keys/k_eop.pub", (char *)NULL);
	ct_roots(&wrong_roots, "keys/k_exper.pub", (char *)NULL);
}

static void
teardown(void)
{
	cred_certs_free(&ctrl_chain);
	cred_certs_free(&ep_chain);
	cred_certs_free(&agent_xc);
	cred_certs_free(&agent_ep);
	cred_keys_free(&eop_roots);
	cred_keys_free(&wrong_roots);
	EVP_PKEY_free(k_xc);
	EVP_PKEY_free(k_ep);
}

static void
msg_cb(int write_p, int version, int type, const void *buf, size_t len,
    SSL *ssl, void *arg)
{
	struct side	*s = arg;

	if (!write_p && type == SSL3_RT_HANDSHAKE && len > 0 &&
	    ((const uint8_t *)buf)[0] == SSL3_MT_NEWSESSION_TICKET)
		s->tickets++;
}

static void
side_init(struct side *s, SSL_CTX *ctx, int fd, int server)
{
	memset(s, 0, sizeof(*s));
	s->ssl = SSL_new(ctx);
	ck_assert_ptr_nonnull(s->ssl);
	s->fd = fd;
	ck_assert_int_eq(pl_set_nonblock(fd), 0);
	SSL_set_fd(s->ssl, fd);
	if (server)
		SSL_set_accept_state(s->ssl);
	else
		SSL_set_connect_state(s->ssl);
	SSL_set_msg_callback(s->ssl, msg_cb);
	SSL_set_msg_callback_arg(s->ssl, s);
}

static void
step(struct side *s)
{
	unsigned long	 e;
	int		 r;

	if (s->done || s->failed)
		return;
	if ((r = SSL_do_handshake(s->ssl)) == 1) {
		s->done = 1;
		return;
	}
	r = SSL_get_error(s->ssl, r);
	if (r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE)
		return;
	e = ERR_peek_error();
	cred_tls_reason(s->ssl, e, s->reason, sizeof(s->reason));
	ERR_clear_error();
	s->failed = 1;
}

/* Runs both handshakes to completion or failure. */
static void
handshake(struct side *c, struct side *s)
{
	int	 i;

	for (i = 0; i < 2000; i++) {
		step(c);
		step(s);
		if ((c->done || c->failed) && (s->done || s->failed))
			return;
	}
}

/* After a TLS 1.3 handshake the client learns of a rejection on reading. */
static int
exchange(struct side *c, struct side *s)
{
	char	 buf[16];
	int	 i, r = -1, w = 0;

	for (i = 0; i < 2000; i++) {
		if (!w && s->done && SSL_write(s->ssl, "hello", 5) == 5)
			w = 1;
		if (!s->done)
			step(s);
		r = SSL_read(c->ssl, buf, sizeof(buf));
		if (r > 0)
			return memcmp(buf, "hello", 5) == 0 ? 0 : -1;
		r = SSL_get_error(c->ssl, r);
		if (r != SSL_ERROR_WANT_READ && r != SSL_ERROR_WANT_WRITE) {
			cred_tls_reason(c->ssl, ERR_peek_error(), c->reason,
			    sizeof(c->reason));
			ERR_clear_error();
			return -1;
		}
	}
	return -1;
}

struct pair {
	SSL_CTX		*sctx, *cctx;
	struct side	 c, s;
};

static void
pair_run(struct pair *p, SSL_CTX *sctx, SSL_CTX *cctx, const char *sni)
{
	struct cred_err	 err;
	int		 fds[2];

	ck_assert_ptr_nonnull(sctx);
	ck_assert_ptr_nonnull(cctx);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	p->sctx = sctx;
	p->cctx = cctx;
	side_init(&p->s, sctx, fds[0], 1);
	side_init(&p->c, cctx, fds[1], 0);
	if (sni != NULL)
		ck_assert_int_eq(cred_tls_set_sni(p->c.ssl, sni, &err), 0);
	handshake(&p->c, &p->s);
}

static void
pair_free(struct pair *p)
{
	SSL_free(p->c.ssl);
	SSL_free(p->s.ssl);
	close(p->c.fd);
	close(p->s.fd);
	SSL_CTX_free(p->sctx);
	SSL_CTX_free(p->cctx);
}

static SSL_CTX *
server(const struct cred_keys *roots_abc, int dflt_abc, struct cred_err *err)
{
	struct cred_tls_entry	 e[2];
	static int		 tag_abc, tag_other;

	memset(e, 0, sizeof(e));
	e[0].snikey = "abc123";
	e[0].is_default = dflt_abc;
	e[0].chain = &ctrl_chain;
	e[0].roots = roots_abc;
	e[0].udata = &tag_abc;
	e[1].snikey = "other";
	e[1].is_default = !dflt_abc;
	e[1].chain = &ctrl_chain;
	e[1].udata = &tag_other;
	return cred_tls_server_ctx(k_xc, e, 2, err);
}

static SSL_CTX *
endpoint(const struct cred_certs *chain, const struct cred_keys *roots)
{
	struct cred_tls_client	 cl;
	struct cred_err		 err;
	SSL_CTX			*ctx;

	memset(&cl, 0, sizeof(cl));
	cl.key = chain != NULL ? k_ep : NULL;
	cl.chain = chain;
	cl.roots = roots;
	cl.mode = CRED_MODE_ENDPOINT_AUTH_CONTROLLER;
	ctx = cred_tls_client_ctx(&cl, &err);
	ck_assert_msg(ctx != NULL, "%s", err.msg);
	return ctx;
}

START_TEST(sni_selects_entry)
{
	const struct cred_tls_entry	*e;
	const struct cred_chain		*pc;
	struct cred_err			 err;
	struct pair			 p;
	int				 nid;

	pair_run(&p, server(&eop_roots, 0, &err),
	    endpoint(&ep_chain, &eop_roots), "abc123");
	ck_assert_msg(p.s.done && p.c.done, "server: %s / client: %s",
	    p.s.reason, p.c.reason);
	ck_assert_int_eq(exchange(&p.c, &p.s), 0);
	/* The entry chosen by SNI, with the caller's own pointer. */
	ck_assert_int_eq(cred_tls_server_entry(p.s.ssl, &e), 0);
	ck_assert_str_eq(e->snikey, "abc123");
	ck_assert_str_eq(cred_tls_server_sni(p.s.ssl), "abc123");
	/* Server sees 1 client certificate, client sees 2. */
	pc = cred_tls_peer_chain(p.s.ssl);
	ck_assert_ptr_nonnull(pc);
	ck_assert_uint_eq(pc->n, 1);
	ck_assert_int_eq(pc->cert[0].info.type, CRED_SUBCMD);
	pc = cred_tls_peer_chain(p.c.ssl);
	ck_assert_ptr_nonnull(pc);
	ck_assert_uint_eq(pc->n, 2);
	ck_assert_int_eq(pc->cert[1].info.type, CRED_EXPPRIV);
	ck_assert_int_eq(pc->root, 0);
	ck_assert_int_eq(sk_X509_num(SSL_get0_verified_chain(p.c.ssl)), 2);
	/* TLSv1.3, TLS_AES_256_GCM_SHA384, Ed25519 signatures. */
	ck_assert_str_eq(SSL_get_version(p.c.ssl), "TLSv1.3");
	ck_assert_str_eq(SSL_CIPHER_get_name(SSL_get_current_cipher(p.c.ssl)),
	    "TLS_AES_256_GCM_SHA384");
	ck_assert_int_eq(SSL_get_peer_signature_type_nid(p.c.ssl, &nid), 1);
	ck_assert_int_eq(nid, NID_ED25519);
	ck_assert_int_eq(SSL_get_peer_signature_type_nid(p.s.ssl, &nid), 1);
	ck_assert_int_eq(nid, NID_ED25519);
	/* No session ticket reached the client. */
	ck_assert_int_eq(p.c.tickets, 0);
	pair_free(&p);
}
END_TEST

START_TEST(ticket_detector_works)
{
	struct cred_err	 err;
	struct pair	 p;
	SSL_CTX		*s = server(&eop_roots, 0, &err);

	/* With tickets switched back on the same check does see one. */
	SSL_CTX_set_num_tickets(s, 1);
	SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_SERVER);
	pair_run(&p, s, endpoint(&ep_chain, &eop_roots), "abc123");
	ck_assert(p.s.done && p.c.done);
	ck_assert_int_eq(exchange(&p.c, &p.s), 0);
	ck_assert_int_gt(p.c.tickets, 0);
	pair_free(&p);
}
END_TEST

START_TEST(no_sni_uses_default)
{
	const struct cred_tls_entry	*e;
	struct cred_err			 err;
	struct pair			 p;

	pair_run(&p, server(&eop_roots, 0, &err),
	    endpoint(&ep_chain, &eop_roots), NULL);
	ck_assert_msg(p.s.done && p.c.done, "%s / %s", p.s.reason,
	    p.c.reason);
	ck_assert_int_eq(exchange(&p.c, &p.s), 0);
	ck_assert_int_eq(cred_tls_server_entry(p.s.ssl, &e), 1);
	ck_assert_str_eq(e->snikey, "other");
	ck_assert_ptr_null(cred_tls_server_sni(p.s.ssl));
	pair_free(&p);
}
END_TEST

START_TEST(unknown_sni_fails_both)
{
	struct cred_err	 err;
	struct pair	 p;

	pair_run(&p, server(&eop_roots, 1, &err),
	    endpoint(&ep_chain, &eop_roots), "nosuchkey");
	ck_assert(p.s.failed);
	ck_assert(p.c.failed);
	ck_assert_ptr_nonnull(strstr(p.s.reason, "unknown SNI \"nosuchkey\""));
	ck_assert_ptr_nonnull(strstr(p.c.reason, "unrecognized name"));
	ck_assert_int_eq(cred_tls_server_entry(p.s.ssl, NULL), -1);
	pair_free(&p);
}
END_TEST

START_TEST(bad_sni_fails)
{
	struct cred_err	 err;
	struct pair	 p;
	int		 fds[2];

	/* The wire value must already be a lower-case snikey. */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	p.sctx = server(&eop_roots, 1, &err);
	p.cctx = endpoint(&ep_chain, &eop_roots);
	side_init(&p.s, p.sctx, fds[0], 1);
	side_init(&p.c, p.cctx, fds[1], 0);
	ck_assert_int_eq(cred_tls_set_sni(p.c.ssl, "ABC123", &err), -1);
	SSL_set_tlsext_host_name(p.c.ssl, "ABC123");
	handshake(&p.c, &p.s);
	ck_assert(p.s.failed && p.c.failed);
	ck_assert_ptr_nonnull(strstr(p.s.reason, "not a valid SNI key"));
	pair_free(&p);
}
END_TEST

START_TEST(no_default_fails)
{
	struct cred_tls_entry	 e = { "abc123", 0, NULL, NULL, NULL };
	struct cred_err		 err;
	struct pair		 p;

	e.chain = &ctrl_chain;
	pair_run(&p, cred_tls_server_ctx(k_xc, &e, 1, &err),
	    endpoint(&ep_chain, &eop_roots), NULL);
	ck_assert(p.s.failed && p.c.failed);
	ck_assert_ptr_nonnull(strstr(p.s.reason, "no SNI and no default"));
	pair_free(&p);
}
END_TEST

START_TEST(client_cert_required_with_roots)
{
	struct cred_err	 err;
	struct pair	 p;

	pair_run(&p, server(&eop_roots, 0, &err),
	    endpoint(NULL, &eop_roots), "abc123");
	/* TLS 1.3: the client finishes first and hears of it on reading. */
	ck_assert(p.s.failed);
	ck_assert_msg(strstr(p.s.reason, "certificate") != NULL, "%s",
	    p.s.reason);
	ck_assert_int_eq(exchange(&p.c, &p.s), -1);
	ck_assert_ptr_nonnull(strstr(p.c.reason, "certificate required"));
	pair_free(&p);
}
END_TEST

START_TEST(client_cert_optional_without_roots)
{
	struct cred_err	 err;
	struct pair	 p;

	/* Entry "other" has no trusted roots: no certificate is accepted. */
	pair_run(&p, server(&eop_roots, 0, &err),
	    endpoint(NULL, &eop_roots), "other");
	ck_assert_msg(p.s.done && p.c.done, "%s / %s", p.s.reason,
	    p.c.reason);
	ck_assert_int_eq(exchange(&p.c, &p.s), 0);
	ck_assert_ptr_null(cred_tls_peer_chain(p.s.ssl));
	pair_free(&p);

	/* When one is sent it is still checked for form and links. */
	pair_run(&p, server(&eop_roots, 0, &err),
	    endpoint(&ep_chain, &eop_roots), "other");
	ck_assert(p.s.done && p.c.done);
	ck_assert_int_eq(exchange(&p.c, &p.s), 0);
	ck_assert_ptr_nonnull(cred_tls_peer_chain(p.s.ssl));
	ck_assert_int_eq(cred_tls_peer_chain(p.s.ssl)->top_unchecked, 1);
	pair_free(&p);
}
END_TEST

START_TEST(wrong_root_fails)
{
	struct cred_err	 err;
	struct pair	 p;

	/* The endpoint trusts another operator: it refuses the controller. */
	pair_run(&p, server(&eop_roots, 0, &err),
	    endpoint(&ep_chain, &wrong_roots), "abc123");
	ck_assert(p.c.failed);
	ck_assert_msg(strstr(p.c.reason, "untrusted root") != NULL, "%s",
	    p.c.reason);
	ck_assert(p.s.failed);
	ck_assert_ptr_nonnull(strstr(p.s.reason, "alert"));
	pair_free(&p);

	/* The entry trusts another operator: it refuses the endpoint. */
	pair_run(&p, server(&wrong_roots, 0, &err),
	    endpoint(&ep_chain, &eop_roots), "abc123");
	ck_assert(p.s.failed);
	ck_assert_msg(strstr(p.s.reason, "endpoint chain rejected") != NULL &&
	    strstr(p.s.reason, "untrusted root") != NULL, "%s", p.s.reason);
	ck_assert_int_eq(exchange(&p.c, &p.s), -1);
	pair_free(&p);
}
END_TEST

START_TEST(clock_is_used)
{
	struct cred_err	 err;
	struct pair	 p;
	SSL_CTX		*s = server(&eop_roots, 0, &err);

	/* In 2040 the endpoint's subcmd (valid until 2038) has expired. */
	cred_tls_set_time(s, 2208988800);
	pair_run(&p, s, endpoint(&ep_chain, &eop_roots), "abc123");
	ck_assert(p.s.failed);
	ck_assert_msg(strstr(p.s.reason, "peer certificate 1: expired "
	    "2038-01-19 03:14:07 UTC") != NULL, "%s", p.s.reason);
	pair_free(&p);
}
END_TEST

START_TEST(agent_links)
{
	struct cred_tls_client	 cl;
	struct cred_err		 err;
	struct cred_certs	 two = { 0 };
	struct pair		 p;
	const struct cred_chain	*pc;

	memset(&cl, 0, sizeof(cl));
	cl.key = k_ep;
	cl.chain = &agent_ep;
	cl.mode = CRED_MODE_AGENT;
	pair_run(&p, cred_tls_plain_server_ctx(k_xc, &agent_xc, NULL,
	    CRED_MODE_AGENT, 1, &err), cred_tls_client_ctx(&cl, &err), NULL);
	ck_assert_msg(p.s.done && p.c.done, "%s / %s", p.s.reason,
	    p.c.reason);
	ck_assert_int_eq(exchange(&p.c, &p.s), 0);
	pc = cred_tls_peer_chain(p.c.ssl);
	ck_assert_ptr_nonnull(pc);
	ck_assert_int_eq(pc->cert[0].info.type, CRED_AGENT);
	pair_free(&p);

	/* Agent links carry exactly one certificate. */
	ct_certs(&two, "certs/agent_ep_ep.cert", "certs/subcmd_eop_ep.cert",
	    (char *)NULL);
	cl.chain = &two;
	ck_assert_ptr_null(cred_tls_client_ctx(&cl, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "exactly one"));
	cred_certs_free(&two);

	/* A server that sends a non-agent chain is refused by the client. */
	cl.chain = &agent_ep;
	pair_run(&p, cred_tls_plain_server_ctx(k_xc, &ctrl_chain, NULL,
	    CRED_MODE_AGENT, 1, &err), cred_tls_client_ctx(&cl, &err), NULL);
	ck_assert(p.c.failed);
	ck_assert_ptr_nonnull(strstr(p.c.reason, "agent chain rejected"));
	pair_free(&p);
}
END_TEST

START_TEST(tls13_only)
{
	struct cred_err	 err;
	struct pair	 p;
	SSL_CTX		*old = SSL_CTX_new(TLS_method());

	SSL_CTX_set_max_proto_version(old, TLS1_2_VERSION);
	SSL_CTX_set_verify(old, SSL_VERIFY_NONE, NULL);
	pair_run(&p, server(NULL, 1, &err), old, NULL);
	ck_assert(p.s.failed && p.c.failed);
	ck_assert_msg(strstr(p.s.reason, "protocol") != NULL, "%s",
	    p.s.reason);
	pair_free(&p);
}
END_TEST

START_TEST(server_config_errors)
{
	struct cred_tls_entry	 e[2];
	struct cred_err		 err;
	struct cred_certs	 wrong = { 0 };

	memset(e, 0, sizeof(e));
	e[0].snikey = "Upper";
	e[0].chain = &ctrl_chain;
	ck_assert_ptr_null(cred_tls_server_ctx(k_xc, e, 1, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "is not 1..63 of [a-z0-9]"));
	e[0].snikey = "a";
	e[0].is_default = e[1].is_default = 1;
	e[1].chain = &ctrl_chain;
	ck_assert_ptr_null(cred_tls_server_ctx(k_xc, e, 2, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "more than one default"));
	e[1].is_default = 0;
	e[1].snikey = "a";
	ck_assert_ptr_null(cred_tls_server_ctx(k_xc, e, 2, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "used by two"));
	/* The leaf must be the controller key's certificate. */
	ct_certs(&wrong, "certs/exppriv_eop_exper.cert",
	    "certs/pubcmd_exper_xc.cert", (char *)NULL);
	e[0].chain = &wrong;
	ck_assert_ptr_null(cred_tls_server_ctx(k_xc, e, 1, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "exppriv_eop_exper.cert does "
	    "not belong to the controller key"));
	cred_certs_free(&wrong);
}
END_TEST


/* ---- detached connections: rec13 against an OpenSSL client ---- */

/* An agent link whose server keeps its secrets; the client uses suite. */
static void
detach_pair(struct pair *p, const char *suite, struct rec13 *r)
{
	struct cred_tls_client	 cl;
	struct cred_err		 err;
	SSL_CTX			*sctx, *cctx;
	char			 why[200];

	memset(&cl, 0, sizeof(cl));
	cl.key = k_ep;
	cl.chain = &agent_ep;
	cl.mode = CRED_MODE_AGENT;
	sctx = cred_tls_plain_server_ctx(k_xc, &agent_xc, NULL,
	    CRED_MODE_AGENT, 1, &err);
	ck_assert_ptr_nonnull(sctx);
	ck_assert_int_eq(cred_tls_keep_secrets(sctx), 0);
	cctx = cred_tls_client_ctx(&cl, &err);
	ck_assert_ptr_nonnull(cctx);
	ck_assert_int_eq(SSL_CTX_set_ciphersuites(cctx, suite), 1);
	pair_run(p, sctx, cctx, NULL);
	ck_assert_msg(p->s.done && p->c.done, "%s / %s", p->s.reason,
	    p->c.reason);
	ck_assert_msg(cred_tls_detach(p->s.ssl, r, why, sizeof(why)) == 0,
	    "%s", why);
	ck_assert_str_eq(rec13_suite_name(r->suite), suite);
	SSL_free(p->s.ssl);	/* the server keeps only r and the socket */
	p->s.ssl = NULL;
}

/* One whole record from the server's socket into buf; its length. */
static size_t
raw_record(int fd, uint8_t *buf, size_t cap)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	size_t		 have = 0;
	long		 want;
	ssize_t		 n;

	for (;;) {
		want = rec13_reclen(buf, have);
		ck_assert_int_ge(want, 0);
		if (want > 0 && have >= (size_t)want)
			return have;
		/* Read exactly what the record still needs. */
		n = read(fd, buf + have, want > 0 ? (size_t)want - have :
		    REC13_HLEN - have);
		if (n == -1 && errno == EAGAIN) {
			ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
			continue;
		}
		ck_assert_int_gt(n, 0);
		have += (size_t)n;
		ck_assert_uint_le(have, cap);
	}
}

static void
raw_write(int fd, const uint8_t *buf, size_t len)
{
	struct pollfd	 pfd = { fd, POLLOUT, 0 };
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EAGAIN) {
			ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
			continue;
		}
		ck_assert_int_gt(n, 0);
		buf += n;
		len -= (size_t)n;
	}
}

/* The client writes msg; the server opens records until it has it all. */
static void
client_to_server(struct pair *p, struct rec13 *r, const uint8_t *msg,
    size_t len, int expect_update)
{
	static uint8_t	 rec[REC13_HLEN + REC13_CT_MAX];
	uint8_t		*got = malloc(len), *pt;
	size_t		 have = 0, n, ptlen;
	int		 w, due = 0, off = 0;
	char		 why[200];
	enum rec13_res	 res;

	ck_assert_ptr_nonnull(got);
	while (off < (int)len) {
		w = SSL_write(p->c.ssl, msg + off, (int)len - off);
		ck_assert_int_gt(w, 0);
		off += w;
	}
	while (have < len) {
		n = raw_record(p->s.fd, rec, sizeof(rec));
		res = rec13_open(r, rec, n, &pt, &ptlen, &due, why, sizeof(why));
		ck_assert_msg(res == REC13_DATA || res == REC13_NOTHING, "%s",
		    why);
		if (res == REC13_DATA) {
			ck_assert_uint_le(have + ptlen, len);
			memcpy(got + have, pt, ptlen);
			have += ptlen;
		}
	}
	ck_assert_int_eq(memcmp(got, msg, len), 0);
	ck_assert_int_eq(due, expect_update);
	free(got);
}

/* The server seals msg in records of at most REC13_PT_MAX; the client reads it. */
static void
server_to_client(struct pair *p, struct rec13 *r, const uint8_t *msg,
    size_t len)
{
	static uint8_t	 rec[REC13_PT_MAX + REC13_OVERHEAD];
	uint8_t		*got = malloc(len);
	struct pollfd	 pfd = { p->c.fd, POLLIN, 0 };
	size_t		 off, n, have = 0;
	int		 k;

	ck_assert_ptr_nonnull(got);
	for (off = 0; off < len; off += n) {
		n = len - off < REC13_PT_MAX ? len - off : REC13_PT_MAX;
		ck_assert_uint_gt(rec13_seal(r, msg + off, n, rec), 0);
		raw_write(p->s.fd, rec, n + REC13_OVERHEAD);
	}
	while (have < len) {
		k = SSL_read(p->c.ssl, got + have, (int)(len - have));
		if (k <= 0) {
			ck_assert_int_eq(SSL_get_error(p->c.ssl, k),
			    SSL_ERROR_WANT_READ);
			ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
			continue;
		}
		have += (size_t)k;
	}
	ck_assert_int_eq(memcmp(got, msg, len), 0);
	free(got);
}

static const char *const suites13[] = {
	"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
	"TLS_CHACHA20_POLY1305_SHA256",
};

START_TEST(detach_each_suite)
{
	static uint8_t	 big[40000], rec[64];
	struct rec13	 r;
	struct pair	 p;
	size_t		 i, n;
	int		 k;
	char		 c;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + _i);
	detach_pair(&p, suites13[_i], &r);
	client_to_server(&p, &r, (const uint8_t *)"ping", 4, 0);
	server_to_client(&p, &r, (const uint8_t *)"pong", 4);
	/* Several records each way, the largest and the smallest. */
	client_to_server(&p, &r, big, sizeof(big), 0);
	server_to_client(&p, &r, big, sizeof(big));
	server_to_client(&p, &r, big, REC13_PT_MAX);
	server_to_client(&p, &r, big, 1);
	for (i = 0; i < 50; i++)
		client_to_server(&p, &r, big + i, 1 + i * 13, 0);

	/* The client updates its keys and asks for ours. */
	ck_assert_int_eq(SSL_key_update(p.c.ssl, SSL_KEY_UPDATE_REQUESTED), 1);
	client_to_server(&p, &r, (const uint8_t *)"after", 5, 1);
	n = rec13_seal_keyupdate(&r, rec);
	ck_assert_uint_gt(n, 0);
	raw_write(p.s.fd, rec, n);
	server_to_client(&p, &r, (const uint8_t *)"reply", 5);
	client_to_server(&p, &r, big, 3000, 0);
	/* An update nobody asked for, each way. */
	ck_assert_int_eq(SSL_key_update(p.c.ssl, SSL_KEY_UPDATE_NOT_REQUESTED),
	    1);
	client_to_server(&p, &r, (const uint8_t *)"x", 1, 0);
	n = rec13_seal_keyupdate(&r, rec);
	raw_write(p.s.fd, rec, n);
	server_to_client(&p, &r, big, 20000);

	/* Our close_notify: the client reads a clean end. */
	n = rec13_seal_close(&r, rec);
	ck_assert_uint_gt(n, 0);
	raw_write(p.s.fd, rec, n);
	k = SSL_read(p.c.ssl, &c, 1);
	ck_assert_int_eq(k, 0);
	ck_assert_int_eq(SSL_get_error(p.c.ssl, k), SSL_ERROR_ZERO_RETURN);
	rec13_wipe(&r);
	pair_free(&p);
}
END_TEST

START_TEST(detach_peer_close_and_tamper)
{
	static uint8_t	 rec[REC13_HLEN + REC13_CT_MAX], bad[sizeof(rec)];
	struct rec13	 r, copy;
	struct pair	 p;
	uint8_t		*pt;
	size_t		 n, ptlen;
	int		 due = 0;
	char		 why[200];

	detach_pair(&p, "TLS_AES_256_GCM_SHA384", &r);
	ck_assert_int_eq(SSL_write(p.c.ssl, "secret", 6), 6);
	n = raw_record(p.s.fd, rec, sizeof(rec));
	/*
	 * Any flipped bit (header, body or tag) fails authentication.  A
	 * failed open leaves garbage in place: work on copies.
	 */
	memcpy(bad, rec, n);
	bad[3 + 2] ^= 0x01;
	copy = r;
	ck_assert_int_eq(rec13_open(&copy, bad, n, &pt, &ptlen, &due, why,
	    sizeof(why)), REC13_ERROR);
	ck_assert_ptr_nonnull(strstr(why, "bad_record_mac"));
	memcpy(bad, rec, n);
	bad[n - 1] ^= 0x80;
	copy = r;
	ck_assert_int_eq(rec13_open(&copy, bad, n, &pt, &ptlen, &due, why,
	    sizeof(why)), REC13_ERROR);
	memcpy(bad, rec, n);
	bad[1] = 0x01;	/* the header is authenticated too */
	copy = r;
	ck_assert_int_eq(rec13_open(&copy, bad, n, &pt, &ptlen, &due, why,
	    sizeof(why)), REC13_ERROR);
	ck_assert_int_eq(rec13_open(&r, rec, n, &pt, &ptlen, &due, why,
	    sizeof(why)), REC13_DATA);
	ck_assert_uint_eq(ptlen, 6);
	ck_assert_int_eq(memcmp(pt, "secret", 6), 0);
	/* A replayed record has the wrong sequence number. */
	ck_assert_int_eq(SSL_write(p.c.ssl, "two", 3), 3);
	n = raw_record(p.s.fd, rec, sizeof(rec));
	memcpy(bad, rec, n);
	ck_assert_int_eq(rec13_open(&r, rec, n, &pt, &ptlen, &due, why,
	    sizeof(why)), REC13_DATA);
	ck_assert_int_eq(rec13_open(&r, bad, n, &pt, &ptlen, &due, why,
	    sizeof(why)), REC13_ERROR);
	/* The client's close_notify. */
	ck_assert_int_eq(SSL_shutdown(p.c.ssl), 0);
	n = raw_record(p.s.fd, rec, sizeof(rec));
	ck_assert_int_eq(rec13_open(&r, rec, n, &pt, &ptlen, &due, why,
	    sizeof(why)), REC13_CLOSE);
	pair_free(&p);
}
END_TEST

START_TEST(detach_refusals)
{
	struct cred_tls_client	 cl;
	struct cred_err		 err;
	struct rec13		 r;
	struct pair		 p;
	uint8_t			 rec[64], *pt, sec[48] = { 0 };
	size_t			 ptlen;
	int			 due = 0;
	char			 why[200];

	/* A context that did not keep its secrets cannot detach. */
	memset(&cl, 0, sizeof(cl));
	cl.key = k_ep;
	cl.chain = &agent_ep;
	cl.mode = CRED_MODE_AGENT;
	pair_run(&p, cred_tls_plain_server_ctx(k_xc, &agent_xc, NULL,
	    CRED_MODE_AGENT, 1, &err), cred_tls_client_ctx(&cl, &err), NULL);
	ck_assert(p.s.done && p.c.done);
	ck_assert_int_eq(cred_tls_detach(p.s.ssl, &r, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "not kept"));
	pair_free(&p);

	/* rec13 alone. */
	ck_assert_int_eq(rec13_init(&r, 0x1304, sec, sec, 32, why,
	    sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "0x1304"));
	ck_assert_int_eq(rec13_init(&r, 0x1302, sec, sec, 32, why,
	    sizeof(why)), -1);
	ck_assert_int_eq(rec13_init(&r, 0x1301, sec, sec, 32, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(rec13_reclen((const uint8_t *)"\x17\x03\x03", 3), 0);
	ck_assert_int_eq(rec13_reclen((const uint8_t *)"\x17\x03\x03\x41\x01",
	    5), -1);
	ck_assert_int_eq(rec13_reclen((const uint8_t *)"\x17\x03\x03\x41\x00",
	    5), 5 + 16640);
	memcpy(rec, "\x15\x03\x03\x00\x02\x01\x00", 7);	/* a clear alert */
	ck_assert_int_eq(rec13_open(&r, rec, 7, &pt, &ptlen, &due, why,
	    sizeof(why)), REC13_ERROR);
	ck_assert_ptr_nonnull(strstr(why, "alert record in the clear"));
	memcpy(rec, "\x17\x03\x03\x00\x03\x01\x02\x03", 8);	/* too short */
	ck_assert_int_eq(rec13_open(&r, rec, 8, &pt, &ptlen, &due, why,
	    sizeof(why)), REC13_ERROR);
	ck_assert_ptr_nonnull(strstr(why, "too short"));
	ck_assert_uint_eq(rec13_seal(&r, rec, REC13_PT_MAX + 1, rec), 0);
	/* Our own records open with the mirrored state. */
	{
		struct rec13	 peer;
		uint8_t		 out[64];
		size_t		 n;

		ck_assert_int_eq(rec13_init(&peer, 0x1301, sec, sec, 32, why,
		    sizeof(why)), 0);
		n = rec13_seal(&r, (const uint8_t *)"abc", 3, out);
		ck_assert_uint_eq(n, 3 + REC13_OVERHEAD);
		ck_assert_int_eq(rec13_open(&peer, out, n, &pt, &ptlen, &due,
		    why, sizeof(why)), REC13_DATA);
		ck_assert_uint_eq(ptlen, 3);
		n = rec13_seal_keyupdate(&r, out);
		ck_assert_int_eq(rec13_open(&peer, out, n, &pt, &ptlen, &due,
		    why, sizeof(why)), REC13_NOTHING);
		ck_assert_int_eq(due, 0);
		n = rec13_seal(&r, (const uint8_t *)"def", 3, out);
		ck_assert_int_eq(rec13_open(&peer, out, n, &pt, &ptlen, &due,
		    why, sizeof(why)), REC13_DATA);
		ck_assert_int_eq(memcmp(pt, "def", 3), 0);
	}
}
END_TEST


/* Read exactly len bytes through rtls, with reads of at most room bytes. */
static void
rtls_read_all(struct rtls *t, uint8_t *buf, size_t len, size_t room)
{
	struct pollfd	 pfd = { t->fd, POLLIN, 0 };
	size_t		 have = 0, n;
	enum rtls_res	 r;

	while (have < len) {
		r = rtls_read(t, buf + have, len - have < room ? len - have :
		    room, &n);
		if (r == RTLS_WANT_READ) {
			ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
			continue;
		}
		ck_assert_msg(r == RTLS_OK, "rtls_read %d: %s", r, t->why);
		ck_assert_uint_gt(n, 0);
		have += n;
	}
}

/* The client reads len bytes (the server's writes must be flushed meanwhile). */
static void
client_read_all(struct pair *p, struct rtls *t, uint8_t *buf, size_t len)
{
	struct pollfd	 pfd = { p->c.fd, POLLIN, 0 };
	size_t		 have = 0;
	int		 k;

	while (have < len) {
		ck_assert_int_eq(rtls_flush(t), RTLS_OK);
		k = SSL_read(p->c.ssl, buf + have, (int)(len - have));
		if (k <= 0) {
			ck_assert_int_eq(SSL_get_error(p->c.ssl, k),
			    SSL_ERROR_WANT_READ);
			(void)poll(&pfd, 1, 50);
			continue;
		}
		have += (size_t)k;
	}
}

START_TEST(rtls_over_a_socket)
{
	static uint8_t	 big[200000], got[200000];
	struct rec13	 r;
	struct rtls	 t;
	struct pair	 p;
	size_t		 i, n, off;
	int		 w;
	char		 c;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 13 + 7);
	detach_pair(&p, "TLS_AES_256_GCM_SHA384", &r);
	rtls_init(&t, p.s.fd, &r);
	ck_assert_int_eq(rtls_pending(&t), 0);

	/* Client to server, read 1000 bytes at a time (less than a record). */
	for (off = 0; off < 100000; off += (size_t)w) {
		w = SSL_write(p.c.ssl, big + off, (int)(100000 - off));
		ck_assert_int_gt(w, 0);
	}
	rtls_read_all(&t, got, 100000, 1000);
	ck_assert_int_eq(memcmp(got, big, 100000), 0);
	ck_assert_int_eq(rtls_read(&t, got, 10, &n), RTLS_WANT_READ);
	rtls_idle(&t);
	ck_assert_ptr_null(t.in);	/* an idle connection holds no buffer */

	/* Server to client: many records, sealed and written together. */
	ck_assert_int_eq(rtls_write(&t, big, sizeof(big)), RTLS_OK);
	client_read_all(&p, &t, got, sizeof(big));
	ck_assert_int_eq(memcmp(got, big, sizeof(big)), 0);
	ck_assert_uint_eq(rtls_unsent(&t), 0);
	ck_assert_ptr_null(t.out);

	/* The client asks for our KeyUpdate: rtls answers on its own. */
	ck_assert_int_eq(SSL_key_update(p.c.ssl, SSL_KEY_UPDATE_REQUESTED), 1);
	ck_assert_int_eq(SSL_write(p.c.ssl, "after", 5), 5);
	rtls_read_all(&t, got, 5, 100);
	ck_assert_int_eq(memcmp(got, "after", 5), 0);
	ck_assert_int_eq(rtls_write(&t, "reply", 5), RTLS_OK);
	client_read_all(&p, &t, got, 5);
	ck_assert_int_eq(memcmp(got, "reply", 5), 0);

	/* Our close_notify, then the client's. */
	ck_assert_int_eq(rtls_close_notify(&t), RTLS_OK);
	ck_assert_int_eq(rtls_write(&t, "x", 1), RTLS_ERROR);
	w = SSL_read(p.c.ssl, &c, 1);
	ck_assert_int_eq(SSL_get_error(p.c.ssl, w), SSL_ERROR_ZERO_RETURN);
	ck_assert_int_eq(SSL_shutdown(p.c.ssl), 1);
	{
		struct pollfd	 pfd = { t.fd, POLLIN, 0 };
		enum rtls_res	 res;

		while ((res = rtls_read(&t, got, 10, &n)) == RTLS_WANT_READ)
			ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
		ck_assert_int_eq(res, RTLS_CLOSED);
	}
	rtls_free(&t);
	pair_free(&p);

	/*
	 * A peer that asks for key updates while it reads nothing: once the
	 * socket is full, at most RTLS_KU_MAX answers wait, then it fails.
	 */
	detach_pair(&p, "TLS_AES_128_GCM_SHA256", &r);
	rtls_init(&t, p.s.fd, &r);
	for (i = 0; i < 20 && rtls_unsent(&t) == 0; i++)
		ck_assert_int_eq(rtls_write(&t, big, sizeof(big)), RTLS_OK);
	ck_assert_uint_gt(rtls_unsent(&t), 0);
	{
		enum rtls_res	 res = RTLS_OK;
		size_t		 k;

		for (k = 0; k < RTLS_KU_MAX + 10 && res != RTLS_ERROR; k++) {
			ck_assert_int_eq(SSL_key_update(p.c.ssl,
			    SSL_KEY_UPDATE_REQUESTED), 1);
			ck_assert_int_eq(SSL_write(p.c.ssl, "k", 1), 1);
			while ((res = rtls_read(&t, got, 10, &n)) == RTLS_OK)
				;
		}
		ck_assert_int_eq(res, RTLS_ERROR);
		ck_assert_ptr_nonnull(strstr(t.why, "does not read"));
		ck_assert_int_eq(t.syserr, 0);	/* a TLS failure, not the socket's */
		ck_assert_uint_ge(k, RTLS_KU_MAX);
	}
	rtls_free(&t);
	pair_free(&p);

	/* A TCP close without close_notify is RTLS_EOF. */
	detach_pair(&p, "TLS_AES_128_GCM_SHA256", &r);
	rtls_init(&t, p.s.fd, &r);
	ck_assert_int_eq(SSL_write(p.c.ssl, "last", 4), 4);
	SSL_free(p.c.ssl);
	p.c.ssl = NULL;
	close(p.c.fd);
	p.c.fd = -1;
	rtls_read_all(&t, got, 4, 100);
	{
		struct pollfd	 pfd = { t.fd, POLLIN, 0 };
		enum rtls_res	 res;

		while ((res = rtls_read(&t, got, 10, &n)) == RTLS_WANT_READ)
			ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
		ck_assert_int_eq(res, RTLS_EOF);
		/* Writing to the closed peer fails with the socket's error. */
		signal(SIGPIPE, SIG_IGN);
		for (i = 0; i < 10 && res != RTLS_ERROR; i++)
			res = rtls_write(&t, big, sizeof(big));
		ck_assert_int_eq(res, RTLS_ERROR);
		ck_assert_msg(t.syserr == EPIPE || t.syserr == ECONNRESET,
		    "syserr %d (%s)", t.syserr, t.why);
	}
	rtls_free(&t);
	pair_free(&p);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("cred_tls");
	TCase	*tc = tcase_create("tls");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, sni_selects_entry);
	tcase_add_test(tc, ticket_detector_works);
	tcase_add_test(tc, no_sni_uses_default);
	tcase_add_test(tc, unknown_sni_fails_both);
	tcase_add_test(tc, bad_sni_fails);
	tcase_add_test(tc, no_default_fails);
	tcase_add_test(tc, client_cert_required_with_roots);
	tcase_add_test(tc, client_cert_optional_without_roots);
	tcase_add_test(tc, wrong_root_fails);
	tcase_add_test(tc, clock_is_used);
	tcase_add_test(tc, agent_links);
	tcase_add_test(tc, tls13_only);
	tcase_add_test(tc, server_config_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("detach");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, detach_each_suite, 0,
	    (int)(sizeof(suites13) / sizeof(suites13[0])));
	tcase_add_test(tc, detach_peer_close_and_tamper);
	tcase_add_test(tc, detach_refusals);
	tcase_add_test(tc, rtls_over_a_socket);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ct_run(suite());
}
