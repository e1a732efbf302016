/*
 * proxy_pure.h: the pure parts of pktlab-proxy, in a library of their own
 * (plproxy) so that unit tests and fuzzers call them directly:
 *  - sni.c: find the SNI of a TLS ClientHello in the first bytes an
 *    endpoint sends, without terminating TLS (broker spec §3.2);
 *  - marker.c: the "PKTLAB" marker search of the registration (§3.1 step 7);
 *  - pxconf.c: the directives of proxy.conf.
 *
 * Nothing here does I/O, logs or touches libevent.
 */
#ifndef PL_PROXY_PURE_H
#define PL_PROXY_PURE_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* sni.c */

/* The longest ClientHello handshake message we buffer (real ones: < 2 KiB). */
#define PX_HELLO_MAX		16384u
/* The longest host_name we keep (a DNS name; snikeys are at most 63). */
#define PX_SNI_NAME_MAX		255u

enum px_sni_res {
	PX_SNI_BAD = -1,	/* not a TLS ClientHello we can route: close */
	PX_SNI_NEED = 0,	/* a prefix of one: read more */
	PX_SNI_OK = 1,		/* a complete ClientHello was parsed */
};

struct px_sni {
	int		 has_sni;	/* a server_name host_name was found */
	char		 name[PX_SNI_NAME_MAX + 1];	/* NUL-terminated */
	size_t		 namelen;
	size_t		 used;		/* bytes of input up to the end of the
					   record that completed the hello */
	char		 why[128];	/* PX_SNI_BAD: the reason */
};

/*
 * Look at the first len bytes an endpoint sent.  The ClientHello may be
 * split over several TLS records and the records over several reads; the
 * handshake fragments are gathered in scratch (at least PX_HELLO_MAX + 4
 * bytes).  Returns PX_SNI_NEED while the bytes are a valid prefix,
 * PX_SNI_OK with out filled once the ClientHello is complete (whether or
 * not it has an SNI: see has_sni), or PX_SNI_BAD with out->why set.
 * The name is returned as sent, bytes checked only to be printable ASCII;
 * whether it is a valid snikey is the caller's decision.
 */
enum px_sni_res px_sni_parse(const uint8_t *buf, size_t len, uint8_t *scratch,
	    size_t scratchlen, struct px_sni *out);

/* ------------------------------------------------------------------ */
/* marker.c */

#define PX_MARKER	"PKTLAB"
#define PX_MARKER_LEN	6

/*
 * Search buf[0..len) for "PKTLAB" with a correct matcher (unlike 1.1.0's,
 * ERRATA 13, a partial match followed by the marker is found).  Returns the
 * offset just past the marker, or 0 when it is not there; *keep is then
 * the number of trailing bytes that could start it (to keep for the next
 * read).
 */
size_t	px_marker_find(const uint8_t *buf, size_t len, size_t *keep);

/* ------------------------------------------------------------------ */
/* pxconf.c: proxy.conf */

#define PX_PORT_CTL		20557	/* controllers' backlog set-up */
#define PX_PORT_EP		20556	/* endpoints */

enum px_relay_mode {
	PX_RELAY_SPLICE = 0,	/* splice(2) through a pipe */
	PX_RELAY_BUFFER = 1,	/* read(2)/write(2) through a bounded buffer */
};

struct px_conf {
	char		*dir;		/* folder of the file: base of relative paths */
	char		*key;		/* ProxyPrivKeyPath */
	char		*cert;		/* ProxyAgentCertPath */
	char		**roots;	/* ControllerCertRootPath (pins the issuer) */
	size_t		 nroots;
	int		 require_cert;	/* RequireControllerCert */
	char		*ctl_addr;	/* ControllerAddr: listen, ADDR[:PORT] */
	char		*ep_addr;	/* EndpointAddr: listen, ADDR[:PORT] */
	uint64_t	 stage_timeout;		/* RegistrationTimeout (ns) */
	uint64_t	 hello_timeout;		/* ClientHelloTimeout */
	uint64_t	 hold_timeout;		/* HoldTimeout */
	uint64_t	 idle_timeout;		/* SessionIdleTimeout, 0: none */
	uint64_t	 refusal_interval;	/* RefusalDelay: refusals per peer */
	int		 close_notify;	/* SendCloseNotify */
	int		 bind_key;	/* BindSNIKeyToAgentKey */
	enum px_relay_mode relay;	/* RelayMode */
	uint64_t	 bufsize;	/* RelayBufferSize */
	uint64_t	 max_idle;	/* MaxIdlePerController */
	int		 log_level;	/* LogLevel, -1: not set */
};

#define PX_STAGE_TIMEOUT_DEF	(5ull * 1000000000ull)
#define PX_HELLO_TIMEOUT_DEF	(5ull * 1000000000ull)
#define PX_HOLD_TIMEOUT_DEF	(2ull * 1000000000ull)
#define PX_IDLE_TIMEOUT_DEF	0ull
#define PX_REFUSAL_DEF		(100ull * 1000000ull)
#define PX_BUFSIZE_DEF		65536u
#define PX_MAX_IDLE_DEF		64u

/* One diagnostic: file:line is the caller's to print. */
typedef void	 px_diag_fn(void *arg, unsigned line, const char *msg);

void	px_conf_defaults(struct px_conf *);
/*
 * Parse proxy.conf held in buf (dir: where relative paths start).  Every
 * error goes to diag with its line; returns the number of errors.
 */
int	px_conf_parse(struct px_conf *, const char *buf, size_t len,
	    const char *dir, px_diag_fn *diag, void *arg);
void	px_conf_free(struct px_conf *);

#endif /* PL_PROXY_PURE_H */
