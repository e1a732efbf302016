/*
 * tlsbev.c: a TLS client connection on libevent, the one set-up shared by
 * pktxpmgr's broker agent and the endpoint's broker agent and controller
 * link.
 */

#include <openssl/ssl.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "cred/cred.h"
#include "cred/tls.h"

struct bufferevent *
cred_tls_bev_client(struct event_base *base, int fd, SSL_CTX *ctx,
    const char *snikey, struct cred_err *err)
{
	struct bufferevent	*bev;
	SSL			*ssl;

	if ((ssl = SSL_new(ctx)) == NULL) {
		cred_setsslerr(err, "cannot create a TLS connection");
		return NULL;
	}
	if (snikey != NULL && cred_tls_set_sni(ssl, snikey, err) == -1) {
		SSL_free(ssl);
		return NULL;
	}
	bev = bufferevent_openssl_socket_new(base, fd, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		cred_seterr(err, "libevent: cannot create a TLS bufferevent");
		return NULL;
	}
	/* A peer that closes without close_notify has still closed. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}
