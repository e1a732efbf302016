/*
 * epconf.c: the directives of endpt.conf, read with the shared Key Value
 * lexer (conf/kv.h).  The credential directives keep their 1.1.0 names so
 * a file written by `pktlab-cred init` (or a 1.1.0 endpt.conf) works as it
 * is, and so do 1.1.0's broker subscription directives (broker spec §1.3).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pktlab/nvp.h>

#include "conf/addr.h"
#include "conf/kv.h"
#include "cred/cred.h"
#include "endpoint/pure/endpt.h"
#include "util/util.h"

struct pctx {
	struct ep_conf	*conf;
	const char	*dir;
	ep_diag_fn	*diag;
	void		*arg;
	int		 nerr;
	unsigned	 line;
};

struct directive;
typedef int	 dir_fn(struct pctx *, const struct directive *, const char *,
		    size_t);

static void	 diag(struct pctx *, enum ep_diag_level, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static char	*mkpath(const char *dir, const char *s, size_t n);
static int	 d_privkey(struct pctx *, const struct directive *, const char *, size_t);
static int	 d_chain(struct pctx *, const struct directive *, const char *, size_t);
static int	 d_oproots(struct pctx *, const struct directive *, const char *, size_t);
static int	 d_snikey(struct pctx *, const struct directive *, const char *, size_t);
static int	 d_hostid(struct pctx *, const struct directive *, const char *, size_t);
static int	 d_laddr4(struct pctx *, const struct directive *, const char *, size_t);
static int	 d_laddr6(struct pctx *, const struct directive *, const char *, size_t);
static int	 d_dns(struct pctx *, const struct directive *, const char *, size_t);
static int	 d_allow(struct pctx *, const struct directive *, const char *, size_t);
static int	 d_transsup(struct pctx *, const struct directive *, const char *, size_t);
static int	 d_families(struct pctx *, const struct directive *, const char *, size_t);
static int	 d_bufmax(struct pctx *, const struct directive *, const char *, size_t);
static int	 d_duration(struct pctx *, const struct directive *, const char *, size_t);
static int	 d_attempts(struct pctx *, const struct directive *, const char *, size_t);
static int	 d_bool(struct pctx *, const struct directive *, const char *, size_t);
static int	 d_brokeraddr(struct pctx *, const struct directive *, const char *, size_t);
static int	 d_brokerroots(struct pctx *, const struct directive *, const char *, size_t);
static int	 d_agentcert(struct pctx *, const struct directive *, const char *, size_t);
static int	 d_subchain(struct pctx *, const struct directive *, const char *, size_t);
static int	 d_channel(struct pctx *, const struct directive *, const char *, size_t);
static int	 d_dattr(struct pctx *, const struct directive *, const char *, size_t);

/*
 * Durations and booleans point at their field; zero_ok says whether 0 is
 * allowed.  BrokerChannel and EndpointAttr may be empty (= absent).
 */
static const struct directive {
	const char	*name;
	dir_fn		*fn;
	size_t		 off;
	int		 zero_ok;
} directives[] = {
	{ "EndpointPrivKey",		d_privkey, 0, 0 },
	{ "ControllerCertChainPath",	d_chain, 0, 0 },
	{ "EndpointOpPubKeyPath",	d_oproots, 0, 0 },
	{ "SNIKey",			d_snikey, 0, 0 },
	{ "NoSubModeSNIKey",		d_snikey, 0, 0 },
	{ "HostID",			d_hostid, 0, 0 },
	{ "VMemLocalAddrStrIPv4",	d_laddr4, 0, 0 },
	{ "VMemLocalAddrStrIPv6",	d_laddr6, 0, 0 },
	{ "DNSServers",			d_dns, 0, 0 },
	{ "AllowedDest",		d_allow, 0, 0 },
	{ "TransprotoSup",		d_transsup, 0, 0 },
	{ "SocketFamilies",		d_families, 0, 0 },
	{ "BufMax",			d_bufmax, 0, 0 },
	{ "ConnectTimeout",		d_duration,
	    offsetof(struct ep_conf, connect_timeout), 0 },
	{ "HandshakeTimeout",		d_duration,
	    offsetof(struct ep_conf, handshake_timeout), 0 },
	{ "RetryDelay",			d_duration,
	    offsetof(struct ep_conf, retry_delay), 1 },
	{ "SetupTimeout",		d_duration,
	    offsetof(struct ep_conf, setup_timeout), 0 },
	{ "CloseTimeout",		d_duration,
	    offsetof(struct ep_conf, close_timeout), 0 },
	{ "ConnectAttempts",		d_attempts, 0, 0 },
	{ "NoSubMode",			d_bool,
	    offsetof(struct ep_conf, nosubmode), 0 },
	{ "AutoExtractChannel",		d_bool,
	    offsetof(struct ep_conf, autoextract), 0 },
	{ "BrokerAddr",			d_brokeraddr, 0, 0 },
	{ "BrokerChainRootPath",	d_brokerroots, 0, 0 },
	{ "EndpointAgentCertPath",	d_agentcert, 0, 0 },
	{ "SubPrivCertChainPath",	d_subchain, 0, 0 },
	{ "BrokerChannel",		d_channel, 0, 0 },
	{ "EndpointAttr",		d_dattr, 0, 0 },
};

void
ep_conf_init(struct ep_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->transsup = PL_TRANSSUP_TCP | PL_TRANSSUP_UDP;
	c->ipv4 = c->ipv6 = 1;
	c->bufmax = PL_BUFMAX_DEFAULT;
	c->connect_timeout = EP_CONNECT_TIMEOUT_DEF;
	c->handshake_timeout = EP_HANDSHAKE_TIMEOUT_DEF;
	c->retry_delay = EP_RETRY_DELAY_DEF;
	c->setup_timeout = EP_SETUP_TIMEOUT_DEF;
	c->close_timeout = EP_CLOSE_TIMEOUT_DEF;
}

static void
free_list(char ***v, size_t *n)
{
	size_t	 i;

	for (i = 0; i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
	*n = 0;
}

void
ep_conf_clear(struct ep_conf *c)
{
	free(c->dir);
	free(c->privkey);
	free_list(&c->chain, &c->nchain);
	free_list(&c->oproots, &c->noproots);
	free(c->snikey);
	free(c->allow);
	free(c->broker_addr);
	free_list(&c->broker_roots, &c->nbroker_roots);
	free(c->agent_cert);
	free_list(&c->subchain, &c->nsubchain);
	free(c->chan);
	free(c->dattr);
	ep_conf_init(c);
}

int
ep_conf_parse(struct ep_conf *c, const char *buf, size_t len, const char *dir,
    ep_diag_fn *fn, void *arg)
{
	struct pctx		 p = { c, dir, fn, arg, 0, 0 };
	struct pl_kv_lexer	 lx;
	struct pl_kv		 kv;
	char			 why[EP_MSGLEN], q[PL_QUOTE_MAX];
	size_t			 i;
	int			 r;

	if (dir != NULL && c->dir == NULL)
		c->dir = xstrdup(dir);
	pl_kv_init(&lx, buf, len);
	for (;;) {
		r = pl_kv_next(&lx, &kv, why, sizeof(why));
		p.line = lx.line;
		if (r == 0)
			break;
		if (r == -1) {
			diag(&p, EP_DIAG_ERROR, "%s", why);
			continue;
		}
		for (i = 0; i < PL_NELEM(directives); i++)
			if (pl_kv_is(&kv, directives[i].name))
				break;
		if (i < PL_NELEM(directives)) {
			if (kv.vallen == 0 && (directives[i].fn == d_channel ||
			    directives[i].fn == d_dattr))
				(void)directives[i].fn(&p, &directives[i], "", 0);
			else if (kv.vallen == 0)
				diag(&p, EP_DIAG_ERROR, "%s: missing value",
				    directives[i].name);
			else
				(void)directives[i].fn(&p, &directives[i], kv.val,
				    kv.vallen);
			continue;
		}
		diag(&p, EP_DIAG_WARN, "unknown directive %s, ignored",
		    pl_val_quote(kv.key, kv.keylen, q, sizeof(q)));
	}
	return p.nerr;
}

int
ep_conf_dest_ok(const struct ep_conf *c, int af, const void *addr)
{
	size_t	 i;

	if (c->nallow == 0)
		return 1;
	for (i = 0; i < c->nallow; i++)
		if (cred_subnet_match(&c->allow[i], af, addr))
			return 1;
	return 0;
}

/* ---- helpers ---- */

static void
diag(struct pctx *p, enum ep_diag_level lvl, const char *fmt, ...)
{
	char	 msg[EP_MSGLEN];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (lvl == EP_DIAG_ERROR)
		p->nerr++;
	if (p->diag != NULL)
		p->diag(p->arg, lvl, p->line, msg);
}

/* A path from the file: relative ones start in the file's folder. */
static char *
mkpath(const char *dir, const char *s, size_t n)
{
	if (s[0] == '/' || dir == NULL || dir[0] == '\0')
		return xstrndup(s, n);
	return xasprintf("%s/%.*s", dir, (int)n, s);
}

/* A comma list of paths, replacing the previous value. */
static int
path_list(struct pctx *p, const char *name, const char *s, size_t n,
    char ***v, size_t *cnt)
{
	char		 why[EP_MSGLEN];
	const char	*e;
	size_t		 off = 0, elen;

	if (pl_val_list_check(s, n, why, sizeof(why)) == -1) {
		diag(p, EP_DIAG_ERROR, "%s: %s", name, why);
		return -1;
	}
	free_list(v, cnt);
	while (pl_val_list_next(s, n, &off, &e, &elen)) {
		*v = xrealloc(*v, (*cnt + 1) * sizeof(**v));
		(*v)[(*cnt)++] = mkpath(p->dir, e, elen);
	}
	return 0;
}

static int
d_privkey(struct pctx *p, const struct directive *d, const char *s, size_t n)
{
	free(p->conf->privkey);
	p->conf->privkey = mkpath(p->dir, s, n);
	return 0;
}

static int
d_chain(struct pctx *p, const struct directive *d, const char *s, size_t n)
{
	return path_list(p, "ControllerCertChainPath", s, n, &p->conf->chain,
	    &p->conf->nchain);
}

static int
d_oproots(struct pctx *p, const struct directive *d, const char *s, size_t n)
{
	return path_list(p, "EndpointOpPubKeyPath", s, n, &p->conf->oproots,
	    &p->conf->noproots);
}

static int
d_snikey(struct pctx *p, const struct directive *d, const char *s, size_t n)
{
	char	 q[PL_QUOTE_MAX];

	if (!pl_snikey_valid(s, n)) {
		diag(p, EP_DIAG_ERROR, "SNIKey: %s is not 1 to 63 of [a-z0-9]",
		    pl_val_quote(s, n, q, sizeof(q)));
		return -1;
	}
	free(p->conf->snikey);
	p->conf->snikey = xstrndup(s, n);
	return 0;
}

static int
d_hostid(struct pctx *p, const struct directive *d, const char *s, size_t n)
{
	if (n > EP_HOSTID_MAX) {
		diag(p, EP_DIAG_ERROR, "HostID: %zu bytes, at most %u fit in "
		    "the memory map", n, EP_HOSTID_MAX);
		return -1;
	}
	memset(p->conf->hostid, 0, sizeof(p->conf->hostid));
	memcpy(p->conf->hostid, s, n);
	return 0;
}

/* "ADDR" or "ADDR/LEN" of family af, the address kept as written. */
static int
addr_elem(const char *e, size_t elen, int af, uint8_t *addr, unsigned *plen,
    const char **why)
{
	char		 buf[INET6_ADDRSTRLEN + 1];
	const char	*slash;
	size_t		 alen, i;
	unsigned	 max = af == AF_INET ? 32 : 128, v = 0;

	slash = memchr(e, '/', elen);
	alen = slash != NULL ? (size_t)(slash - e) : elen;
	if (alen == 0 || alen >= sizeof(buf)) {
		*why = "not an address";
		return -1;
	}
	memcpy(buf, e, alen);
	buf[alen] = '\0';
	if (inet_pton(af, buf, addr) != 1) {
		*why = af == AF_INET ? "not an IPv4 address" : "not an IPv6 address";
		return -1;
	}
	*plen = max;
	if (slash == NULL)
		return 0;
	if (alen + 1 == elen) {
		*why = "missing prefix length after '/'";
		return -1;
	}
	for (i = alen + 1; i < elen; i++) {
		if (e[i] < '0' || e[i] > '9' || (v = v * 10 + (unsigned)(e[i] - '0')) > max) {
			*why = af == AF_INET ? "prefix length is not 0..32" :
			    "prefix length is not 0..128";
			return -1;
		}
	}
	*plen = v;
	return 0;
}

/* Walk a checked comma list, calling one(p, elem) for each element. */
static int
each_elem(struct pctx *p, const char *name, const char *s, size_t n,
    int (*one)(struct pctx *, const char *, const char *, size_t))
{
	char		 why[EP_MSGLEN];
	const char	*e;
	size_t		 off = 0, elen;

	if (pl_val_list_check(s, n, why, sizeof(why)) == -1) {
		diag(p, EP_DIAG_ERROR, "%s: %s", name, why);
		return -1;
	}
	while (pl_val_list_next(s, n, &off, &e, &elen))
		if (one(p, name, e, elen) == -1)
			return -1;
	return 0;
}

static int
elem_err(struct pctx *p, const char *name, const char *e, size_t elen,
    const char *why)
{
	char	 q[PL_QUOTE_MAX];

	diag(p, EP_DIAG_ERROR, "%s: %s: %s", name,
	    pl_val_quote(e, elen, q, sizeof(q)), why);
	return -1;
}

static int
one_laddr4(struct pctx *p, const char *name, const char *e, size_t elen)
{
	struct ep_conf	*c = p->conf;
	const char	*why;
	unsigned	 plen, i;

	if (c->nip4 == PL_MAX_LADDR_CNT)
		return elem_err(p, name, e, elen, "more than 256 addresses");
	if (addr_elem(e, elen, AF_INET, c->ip4[c->nip4].addr, &plen, &why) == -1)
		return elem_err(p, name, e, elen, why);
	memset(c->ip4[c->nip4].mask, 0, 4);
	for (i = 0; i < plen; i++)
		c->ip4[c->nip4].mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	c->nip4++;
	return 0;
}

static int
d_laddr4(struct pctx *p, const struct directive *d, const char *s, size_t n)
{
	p->conf->nip4 = 0;
	p->conf->have_ip4 = 1;
	return each_elem(p, "VMemLocalAddrStrIPv4", s, n, one_laddr4);
}

static int
one_laddr6(struct pctx *p, const char *name, const char *e, size_t elen)
{
	struct ep_conf	*c = p->conf;
	const char	*why;
	unsigned	 plen;

	if (c->nip6 == PL_MAX_LADDR_CNT)
		return elem_err(p, name, e, elen, "more than 256 addresses");
	if (addr_elem(e, elen, AF_INET6, c->ip6[c->nip6], &plen, &why) == -1)
		return elem_err(p, name, e, elen, why);
	c->nip6++;
	return 0;
}

static int
d_laddr6(struct pctx *p, const struct directive *d, const char *s, size_t n)
{
	p->conf->nip6 = 0;
	p->conf->have_ip6 = 1;
	return each_elem(p, "VMemLocalAddrStrIPv6", s, n, one_laddr6);
}

static int
one_dns(struct pctx *p, const char *name, const char *e, size_t elen)
{
	struct ep_conf	*c = p->conf;
	char		 buf[INET6_ADDRSTRLEN + 1];

	if (elen >= sizeof(buf))
		return elem_err(p, name, e, elen, "not an IPv4 or IPv6 address");
	memcpy(buf, e, elen);
	buf[elen] = '\0';
	if (memchr(buf, ':', elen) == NULL) {
		if (c->ndns4 == PL_MAX_DNS_CNT)
			return elem_err(p, name, e, elen,
			    "more than 16 IPv4 servers");
		if (inet_pton(AF_INET, buf, c->dns4[c->ndns4]) != 1)
			return elem_err(p, name, e, elen, "not an IPv4 address");
		c->ndns4++;
	} else {
		if (c->ndns6 == PL_MAX_DNS_CNT)
			return elem_err(p, name, e, elen,
			    "more than 16 IPv6 servers");
		if (inet_pton(AF_INET6, buf, c->dns6[c->ndns6]) != 1)
			return elem_err(p, name, e, elen, "not an IPv6 address");
		c->ndns6++;
	}
	return 0;
}

static int
d_dns(struct pctx *p, const struct directive *d, const char *s, size_t n)
{
	p->conf->ndns4 = p->conf->ndns6 = 0;
	p->conf->have_dns = 1;
	if (n == 4 && memcmp(s, "none", 4) == 0)
		return 0;
	return each_elem(p, "DNSServers", s, n, one_dns);
}

static int
one_allow(struct pctx *p, const char *name, const char *e, size_t elen)
{
	struct ep_conf		*c = p->conf;
	struct cred_subnet	 sn;
	const char		*why;

	if (cred_subnet_parse(e, elen, &sn, &why) == -1)
		return elem_err(p, name, e, elen, why);
	if (sn.hostbits)
		diag(p, EP_DIAG_WARN, "%s: %.*s has host bits set; "
		    "using the network address", name, (int)elen, e);
	c->allow = xrealloc(c->allow, (c->nallow + 1) * sizeof(*c->allow));
	c->allow[c->nallow++] = sn;
	return 0;
}

static int
d_allow(struct pctx *p, const struct directive *d, const char *s, size_t n)
{
	free(p->conf->allow);
	p->conf->allow = NULL;
	p->conf->nallow = 0;
	if (n == 3 && memcmp(s, "any", 3) == 0)
		return 0;
	return each_elem(p, "AllowedDest", s, n, one_allow);
}

/*
 * Either a number (the TRANSSUP bitmask: 1 raw, 2 TCP, 4 UDP) or a list of
 * names.  Raw sockets are not supported: asking for them is an error.
 */
static int
d_transsup(struct pctx *p, const struct directive *d, const char *s, size_t n)
{
	char		 why[EP_MSGLEN], q[PL_QUOTE_MAX];
	const char	*e;
	size_t		 off = 0, elen;
	uint64_t	 v;
	uint32_t	 bits = 0;

	if (s[0] >= '0' && s[0] <= '9') {
		if (pl_val_u64(s, n, &v, why, sizeof(why)) == -1) {
			diag(p, EP_DIAG_ERROR, "TransprotoSup: %s", why);
			return -1;
		}
		if (v & ~(uint64_t)(PL_TRANSSUP_TCP | PL_TRANSSUP_UDP)) {
			diag(p, EP_DIAG_ERROR, "TransprotoSup: %s: only TCP (2) "
			    "and UDP (4) are supported; raw sockets (1) are not",
			    pl_val_quote(s, n, q, sizeof(q)));
			return -1;
		}
		bits = (uint32_t)v;
	} else {
		if (pl_val_list_check(s, n, why, sizeof(why)) == -1) {
			diag(p, EP_DIAG_ERROR, "TransprotoSup: %s", why);
			return -1;
		}
		while (pl_val_list_next(s, n, &off, &e, &elen)) {
			if (elen == 3 && strncasecmp(e, "tcp", 3) == 0)
				bits |= PL_TRANSSUP_TCP;
			else if (elen == 3 && strncasecmp(e, "udp", 3) == 0)
				bits |= PL_TRANSSUP_UDP;
			else
				return elem_err(p, "TransprotoSup", e, elen,
				    "expected tcp or udp (raw sockets are not "
				    "supported)");
		}
	}
	p->conf->transsup = bits;
	return 0;
}

static int
d_families(struct pctx *p, const struct directive *d, const char *s, size_t n)
{
	char		 why[EP_MSGLEN];
	const char	*e;
	size_t		 off = 0, elen;
	int		 v4 = 0, v6 = 0;

	if (pl_val_list_check(s, n, why, sizeof(why)) == -1) {
		diag(p, EP_DIAG_ERROR, "SocketFamilies: %s", why);
		return -1;
	}
	while (pl_val_list_next(s, n, &off, &e, &elen)) {
		if (elen == 4 && strncasecmp(e, "ipv4", 4) == 0)
			v4 = 1;
		else if (elen == 4 && strncasecmp(e, "ipv6", 4) == 0)
			v6 = 1;
		else
			return elem_err(p, "SocketFamilies", e, elen,
			    "expected ipv4 or ipv6");
	}
	p->conf->ipv4 = v4;
	p->conf->ipv6 = v6;
	return 0;
}

static int
d_bufmax(struct pctx *p, const struct directive *d, const char *s, size_t n)
{
	char		 why[EP_MSGLEN];
	uint64_t	 v;

	if (pl_val_u64(s, n, &v, why, sizeof(why)) == -1) {
		diag(p, EP_DIAG_ERROR, "BufMax: %s", why);
		return -1;
	}
	if (v < EP_BUFMAX_MIN || v > UINT32_MAX) {
		diag(p, EP_DIAG_ERROR, "BufMax: %llu is not %u..%u bytes",
		    (unsigned long long)v, EP_BUFMAX_MIN, UINT32_MAX);
		return -1;
	}
	p->conf->bufmax = (uint32_t)v;
	return 0;
}

static int
d_duration(struct pctx *p, const struct directive *d, const char *s, size_t n)
{
	char		 why[EP_MSGLEN];
	uint64_t	 v;

	if (pl_val_duration(s, n, &v, why, sizeof(why)) == -1) {
		diag(p, EP_DIAG_ERROR, "%s: %s", d->name, why);
		return -1;
	}
	if (v == 0 && !d->zero_ok) {
		diag(p, EP_DIAG_ERROR, "%s: must be more than 0", d->name);
		return -1;
	}
	memcpy((char *)p->conf + d->off, &v, sizeof(v));
	return 0;
}

static int
d_attempts(struct pctx *p, const struct directive *d, const char *s, size_t n)
{
	char	 why[EP_MSGLEN];

	if (pl_val_u64(s, n, &p->conf->connect_attempts, why, sizeof(why)) == -1) {
		diag(p, EP_DIAG_ERROR, "ConnectAttempts: %s", why);
		return -1;
	}
	return 0;
}

/* ---- broker subscription (broker spec §1.3) ---- */

/*
 * 0 or 1.  As in 1.1.0 the first occurrence wins (its options are applied
 * from the last line up); a later one that differs is warned about.
 */
static int
d_bool(struct pctx *p, const struct directive *d, const char *s, size_t n)
{
	unsigned	*line = (unsigned *)(void *)((char *)p->conf +
			    (d->off == offsetof(struct ep_conf, nosubmode) ?
			    offsetof(struct ep_conf, nosubmode_line) :
			    offsetof(struct ep_conf, autoextract_line)));
	int		*val = (int *)(void *)((char *)p->conf + d->off);
	char		 q[PL_QUOTE_MAX];
	int		 v;

	if (n != 1 || (s[0] != '0' && s[0] != '1')) {
		diag(p, EP_DIAG_ERROR, "%s: %s is not 0 or 1", d->name,
		    pl_val_quote(s, n, q, sizeof(q)));
		return -1;
	}
	v = s[0] - '0';
	if (*line != 0) {
		if (v != *val)
			diag(p, EP_DIAG_WARN, "%s %d ignored: line %u already "
			    "set it to %d, and as in PacketLab 1.1.0 the first "
			    "occurrence wins", d->name, v, *line, *val);
		return 0;
	}
	*val = v;
	*line = p->line;
	return 0;
}

/* Split here exactly as when connecting: [v6]:port works. */
static int
d_brokeraddr(struct pctx *p, const struct directive *d, const char *s,
    size_t n)
{
	struct pl_hostport	 hp;
	char			*v = xstrndup(s, n), why[EP_MSGLEN];

	if (pl_addr_split(v, EP_BROKER_PORT, &hp, why, sizeof(why)) == -1) {
		diag(p, EP_DIAG_ERROR, "BrokerAddr: %s", why);
		free(v);
		return -1;
	}
	free(p->conf->broker_addr);
	p->conf->broker_addr = v;
	p->conf->broker_addr_line = p->line;
	return 0;
}

static int
d_brokerroots(struct pctx *p, const struct directive *d, const char *s,
    size_t n)
{
	return path_list(p, "BrokerChainRootPath", s, n, &p->conf->broker_roots,
	    &p->conf->nbroker_roots);
}

static int
d_agentcert(struct pctx *p, const struct directive *d, const char *s, size_t n)
{
	free(p->conf->agent_cert);
	p->conf->agent_cert = mkpath(p->dir, s, n);
	return 0;
}

static int
d_subchain(struct pctx *p, const struct directive *d, const char *s, size_t n)
{
	return path_list(p, "SubPrivCertChainPath", s, n, &p->conf->subchain,
	    &p->conf->nsubchain);
}

/*
 * A comma list whose elements are empty (the private channels) or an
 * even-length hex channel id of 1 to 32 bytes.  An empty value counts as
 * absent, as in 1.1.0 (its template ships "BrokerChannel" bare).
 */
static int
d_channel(struct pctx *p, const struct directive *d, const char *s, size_t n)
{
	struct ep_conf		*c = p->conf;
	struct ep_channel	*v = NULL;
	const char		*e = s, *comma;
	size_t			 cnt = 0, elen;
	ssize_t			 k;

	if (n == 0) {
		free(c->chan);
		c->chan = NULL;
		c->nchan = 0;
		c->have_channels = 0;
		return 0;
	}
	for (;;) {
		comma = memchr(e, ',', (size_t)(s + n - e));
		elen = comma != NULL ? (size_t)(comma - e) : (size_t)(s + n - e);
		v = xrealloc(v, (cnt + 1) * sizeof(*v));
		memset(&v[cnt], 0, sizeof(*v));
		if (elen > 0) {
			if (elen % 2 != 0 || elen > 64 ||
			    (k = pl_unhex(e, elen, v[cnt].id, 32)) <= 0) {
				free(v);
				return elem_err(p, "BrokerChannel", e, elen,
				    "a channel is an even-length hex string of "
				    "1 to 32 bytes");
			}
			v[cnt].len = (uint8_t)k;
		}
		cnt++;
		if (comma == NULL)
			break;
		e = comma + 1;
	}
	free(c->chan);
	c->chan = v;
	c->nchan = cnt;
	c->have_channels = 1;
	c->channel_line = p->line;
	return 0;
}

static int
d_dattr(struct pctx *p, const struct directive *d, const char *s, size_t n)
{
	struct pl_nvp_err	 err;

	if (pl_nvp_validate(s, n, PL_NVP_DATTR, &err) < 0) {
		diag(p, EP_DIAG_ERROR, "EndpointAttr: not a valid dattr at byte "
		    "%zu: %s", err.off, err.msg);
		return -1;
	}
	if (n + 1 + 32 + 1 > PL_BODY_MAX) {
		diag(p, EP_DIAG_ERROR, "EndpointAttr: %zu bytes do not fit in "
		    "an xsub", n);
		return -1;
	}
	free(p->conf->dattr);
	p->conf->dattr = n == 0 ? NULL : xstrndup(s, n);
	p->conf->dattrlen = n;
	return 0;
}

int
ep_conf_check_sub(const struct ep_conf *c, ep_diag_fn *fn, void *arg)
{
	struct pctx	 p = { (struct ep_conf *)c, NULL, fn, arg, 0, 0 };
	static const struct {
		size_t		 off;
		const char	*name;
		const char	*what;
	} need[] = {
		{ offsetof(struct ep_conf, broker_addr), "BrokerAddr",
		    "the broker to subscribe to" },
		{ offsetof(struct ep_conf, agent_cert), "EndpointAgentCertPath",
		    "the agent certificate presented to the broker" },
		{ offsetof(struct ep_conf, privkey), "EndpointPrivKey",
		    "the endpoint key" },
	};
	size_t		 i;

	p.line = c->nosubmode_line;
	for (i = 0; i < PL_NELEM(need); i++)
		if (*(char *const *)(const void *)((const char *)c +
		    need[i].off) == NULL)
			diag(&p, EP_DIAG_ERROR, "subscription mode (NoSubMode "
			    "0, no address on the command line) needs %s: %s",
			    need[i].name, need[i].what);
	if (c->nbroker_roots == 0)
		diag(&p, EP_DIAG_ERROR, "subscription mode needs "
		    "BrokerChainRootPath: the keys that may sign the broker's "
		    "agent certificate");
	if (c->nsubchain == 0)
		diag(&p, EP_DIAG_ERROR, "subscription mode needs "
		    "SubPrivCertChainPath: the subscription privilege chain "
		    "(PacketLab 1.1.0 crashes without it)");
	if (c->noproots == 0)
		diag(&p, EP_DIAG_ERROR, "subscription mode needs "
		    "EndpointOpPubKeyPath: the xsub eopkey is chosen from it");
	if (!c->autoextract && !c->have_channels)
		diag(&p, EP_DIAG_ERROR, "subscription mode needs a channel: "
		    "BrokerChannel, or AutoExtractChannel 1");
	if (!c->autoextract && c->have_channels) {
		p.line = c->channel_line;
		for (i = 0; i < c->nchan; i++)
			if (c->chan[i].len == 0) {
				diag(&p, EP_DIAG_ERROR, "BrokerChannel: an empty "
				    "element stands for the private channels, "
				    "which need AutoExtractChannel 1");
				break;
			}
	}
	return p.nerr;
}
