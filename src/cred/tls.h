/*
 * tls.h: OpenSSL contexts for every PacketLab link (certs spec §5): TLS 1.3
 * only, no session tickets, partial writes and moving write buffers, and a
 * cert-verify callback that replaces OpenSSL's X.509 logic with the pktlab
 * chain rules of cred/cred.h.  The contexts do not depend on libevent; use
 * them with bufferevent_openssl or plain sockets.
 *
 *  - cred_tls_server_ctx: pktxpmgr towards endpoints.  The ClientHello
 *    selects an entry by SNI (a snikey; none -> the default entry; unknown
 *    or malformed -> the handshake fails), loads its chain and the
 *    controller key, and asks for a client certificate, required exactly
 *    when the entry has trusted roots.
 *  - cred_tls_client_ctx: the endpoint towards a controller (mode
 *    ENDPOINT_AUTH_CONTROLLER, roots = operator keys), and the agent-mode
 *    links to brokers and proxies (mode AGENT, one agent certificate).
 *  - cred_tls_plain_server_ctx: one fixed chain, no SNI (test brokers and
 *    proxies).
 */
#ifndef PL_CRED_TLS_H
#define PL_CRED_TLS_H

#include <openssl/ssl.h>

#include "cred/cred.h"

/* One ExpExec entry as the TLS server sees it. */
struct cred_tls_entry {
	const char		*snikey;	/* NULL or "": reachable only as default */
	int			 is_default;
	const struct cred_certs	*chain;		/* leaf first (cred_certs_leaf_first) */
	const struct cred_keys	*roots;		/* trusted EOp keys; NULL or empty: none */
	void			*udata;		/* the caller's, returned as is */
};

/*
 * The controller's server context.  Entries are copied (certificates and
 * keys referenced), so the caller's arrays may go away.  Fails when a
 * snikey is invalid or repeated, two entries are default, or a chain's
 * leaf does not belong to key.
 */
SSL_CTX	*cred_tls_server_ctx(EVP_PKEY *key, const struct cred_tls_entry *,
	    size_t n, struct cred_err *);
/* The entry the ClientHello selected (index into the table given), or -1. */
int	 cred_tls_server_entry(const SSL *, const struct cred_tls_entry **);
/* The snikey the client sent, or NULL when it sent none. */
const char *cred_tls_server_sni(const SSL *);

struct cred_tls_client {
	EVP_PKEY		*key;		/* with chain, or both NULL */
	const struct cred_certs	*chain;		/* leaf first */
	const struct cred_keys	*roots;		/* NULL or empty: top unchecked */
	enum cred_mode		 mode;		/* how the server's chain is checked */
};

SSL_CTX	*cred_tls_client_ctx(const struct cred_tls_client *, struct cred_err *);
/* Send this snikey as SNI; it must be a valid snikey. */
int	 cred_tls_set_sni(SSL *, const char *, struct cred_err *);

struct bufferevent;
struct event_base;
/*
 * A client connection from ctx on the connected socket fd, handshaking,
 * with snikey as SNI unless NULL (none towards a broker), owning fd and
 * taking a close without close_notify as a close (tlsbev.c).
 */
struct bufferevent *cred_tls_bev_client(struct event_base *, int fd, SSL_CTX *,
	    const char *snikey, struct cred_err *);

/*
 * A server with one chain and no SNI selection: peers are checked in mode;
 * require makes a client certificate mandatory.
 */
SSL_CTX	*cred_tls_plain_server_ctx(EVP_PKEY *key, const struct cred_certs *,
	    const struct cred_keys *roots, enum cred_mode, int require,
	    struct cred_err *);

/*
 * The peer's chain as our verify callback verified it (leaf -> top, with
 * the chain-wide limits), or NULL when the peer sent no certificate.
 */
const struct cred_chain *cred_tls_peer_chain(const SSL *);

/*
 * Free our per-connection state (the peer's decoded chain, the SNI, the
 * failure reasons) once the caller has taken what it needs after the
 * handshake: an established connection then costs only OpenSSL's own state.
 * Afterwards cred_tls_peer_chain and cred_tls_server_sni return NULL and
 * cred_tls_reason falls back to OpenSSL's error and the peer's alert.
 */
void	 cred_tls_release(SSL *);

/* One step of a handshake on a non-blocking socket. */
enum cred_hs {
	CRED_HS_DONE,
	CRED_HS_WANT_READ,	/* wait until the socket is readable */
	CRED_HS_WANT_WRITE,	/* ... writable */
	CRED_HS_CLOSED,		/* the peer closed or reset: *syserr 0 or the errno */
	CRED_HS_FAILED		/* *sslerr (cred_tls_reason), or else *syserr */
};

/*
 * SSL_do_handshake once, with OpenSSL's error queue read and cleared:
 * what the caller waits for next, or how the handshake ended.
 */
enum cred_hs cred_tls_handshake(SSL *, unsigned long *sslerr, int *syserr);

struct rec13;

/*
 * Keep the application traffic secrets of this context's connections (the
 * key-log callback), for cred_tls_detach.  Only for contexts whose
 * connections are detached: the secrets sit in our per-connection state
 * until then.  It also pins the TLS 1.3 suites to OpenSSL's default three
 * (the ones rec13 supports), whatever openssl.cnf says.  -1: OpenSSL
 * refused the suite list.
 */
int	 cred_tls_keep_secrets(SSL_CTX *);

/*
 * After a finished handshake on a context with cred_tls_keep_secrets and
 * no session tickets (ours never send any): move the record state into r
 * (cred/rec13.h), both sequence numbers at 0, so that the caller can free
 * the SSL and protect records itself on the same socket.  The caller must
 * not have read or written application data through the SSL.  Fails (why)
 * when the secrets are missing, OpenSSL holds unread bytes, or the suite
 * is not one rec13 supports.  The secrets are erased from our state either
 * way.
 */
int	 cred_tls_detach(SSL *, struct rec13 *, char *why, size_t whylen);

/*
 * Why the handshake failed, for a log line: our own reason (verification,
 * SNI selection) when there is one, else OpenSSL's error e (0: the first
 * one queued), else the fatal alert the peer sent, else a generic phrase.
 */
const char *cred_tls_reason(const SSL *, unsigned long e, char *, size_t);

/*
 * The contexts install this info callback to remember the peer's fatal
 * alert; a caller that sets its own should call it from there.
 */
void	 cred_tls_info_cb(const SSL *, int, int);

/* Tests: verify peers as if the clock said now (seconds); 0 = real clock. */
void	 cred_tls_set_time(SSL_CTX *, int64_t now);

#endif /* PL_CRED_TLS_H */
