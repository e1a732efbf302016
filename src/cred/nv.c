/*
 * nv.c: the text inside the PacketLab certificate extensions (certs spec
 * §2.2): 1.2.3.1 "certificate information" and 1.2.3.3 "certificate
 * limitation", decoded into structs, and the ordered pair lists pktlab-cred
 * builds them from.  Pure code: no I/O, no OpenSSL.
 *
 * Where 1.1.0 is weak we differ invisibly: a '*'-prefixed known limit is
 * that limit marked optional (1.1.0 dereferences NULL), IPv6 masks are
 * computed (1.1.0 reads uninitialised memory), and a valid_dest address with
 * host bits set is masked (ERRATA missing-fact 7).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pktlab/nvp.h>

#include "cred/cred.h"
#include "util/util.h"

static const char *const type_names[CRED_NTYPES] = {
	"subcmd", "pubcmd", "exppriv", "delpriv", "agent",
};

static const char *const lim_names[CRED_LIM_NKNOWN] = {
	"monitor", "filter", "max_num_priority", "max_socket_count",
	"max_exp_period", "max_send_byte", "max_send_pkt", "max_recv_byte",
	"max_recv_pkt", "max_burst_rate_byte", "max_burst_rate_pkt",
	"valid_dest", "src_ip_spoofing",
};

static int	 name_is(const struct pl_nvp *, size_t, const char *);
static char	*vdup(const struct pl_nvp *);
static void	 aux_add(struct cred_nv **, size_t *, const char *, size_t,
		    const char *, size_t, int);
static int	 syntax(const char *, size_t, enum pl_nvp_kind, const char *,
		    const char *, struct cred_err *);
static int	 parse_u64(const char *, size_t, uint64_t *);
static int	 split_list(const char *, size_t,
		    int (*)(const char *, size_t, void *), void *);
static int	 del_item(const char *, size_t, void *);
static int	 rate_item(const char *, size_t, void *);
static int	 dest_item(const char *, size_t, void *);
static int	 parse_del_type(const char *, size_t, unsigned *);
static int	 parse_digests(const char *, size_t, struct cred_digest **,
		    size_t *);
static int	 parse_rates(const char *, size_t, struct cred_rate **, size_t *);
static int	 parse_dests(const char *, size_t, struct cred_subnet **,
		    size_t *, const char **);
static int	 limit_value(struct cred_limits *, int, const struct pl_nvp *,
		    const char **);
static int	 nv_rank(const struct cred_nv *, int);
static int	 base_eq(const char *, const char *);

const char *
cred_type_name(enum cred_type t)
{
	if ((unsigned)t < CRED_NTYPES)
		return type_names[t];
	return "unknown";
}

enum cred_type
cred_type_parse(const char *s, size_t len)
{
	unsigned	 i;

	for (i = 0; i < CRED_NTYPES; i++)
		if (strlen(type_names[i]) == len &&
		    memcmp(type_names[i], s, len) == 0)
			return (enum cred_type)i;
	return CRED_UNKNOWN;
}

int
cred_type_is_ca(enum cred_type t)
{
	return t == CRED_EXPPRIV || t == CRED_DELPRIV;
}

const char *
cred_lim_name(enum cred_lim l)
{
	return (unsigned)l < CRED_LIM_NKNOWN ? lim_names[l] : "?";
}

int
cred_lim_parse(const char *s, size_t len)
{
	int	 i;

	if (len > 0 && s[0] == '*') {
		s++;
		len--;
	}
	for (i = 0; i < CRED_LIM_NKNOWN; i++)
		if (strlen(lim_names[i]) == len &&
		    memcmp(lim_names[i], s, len) == 0)
			return i;
	return -1;
}

char *
cred_del_type_str(unsigned del, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", del & CRED_DEL_EXPPRIV ? "exppriv" : "",
	    (del & CRED_DEL_EXPPRIV) && (del & CRED_DEL_REPPRIV) ? "," : "",
	    del & CRED_DEL_REPPRIV ? "reppriv" : "");
	return buf;
}

/* ------------------------------------------------------------------ */

int
cred_info_parse(const char *s, size_t len, const char *label,
    struct cred_info *info, struct cred_err *err)
{
	struct pl_nvp	 p;
	size_t		 off = 0;
	int		 have_type = 0, have_del = 0;

	memset(info, 0, sizeof(*info));
	info->type = CRED_UNKNOWN;
	if (syntax(s, len, PL_NVP_CERTINFO, label, "1.2.3.1", err) < 0)
		return -1;
	while (pl_nvp_next(s, len, PL_NVP_CERTINFO, &off, &p, NULL) == 1) {
		if (name_is(&p, 9, "cert_type")) {
			info->type = cred_type_parse(p.value, p.valuelen);
			if (info->type == CRED_UNKNOWN) {
				cred_seterr(err, "%s: 1.2.3.1: unknown cert_type "
				    "\"%.*s\"", label, (int)(p.valuelen > 32 ?
				    32 : p.valuelen), p.value);
				goto fail;
			}
			have_type = 1;
		} else if (name_is(&p, 8, "del_type")) {
			if (parse_del_type(p.value, p.valuelen,
			    &info->del_type) < 0) {
				cred_seterr(err, "%s: 1.2.3.1: del_type \"%.*s\" "
				    "is not a comma list of exppriv and reppriv",
				    label, (int)(p.valuelen > 32 ? 32 :
				    p.valuelen), p.value);
				goto fail;
			}
			have_del = 1;
		} else if (name_is(&p, 9, "cert_desc")) {
			info->desc = vdup(&p);
		} else
			aux_add(&info->aux, &info->naux, p.name, p.namelen,
			    p.value, p.valuelen, 0);
	}
	if (!have_type) {
		cred_seterr(err, "%s: 1.2.3.1: no cert_type", label);
		goto fail;
	}
	if (info->type == CRED_DELPRIV && !have_del) {
		cred_seterr(err, "%s: 1.2.3.1: a delpriv certificate needs "
		    "del_type", label);
		goto fail;
	}
	if (info->type != CRED_DELPRIV && have_del) {
		cred_seterr(err, "%s: 1.2.3.1: del_type is only allowed in "
		    "delpriv certificates, this one is %s", label,
		    cred_type_name(info->type));
		goto fail;
	}
	return 0;
 fail:
	cred_info_clear(info);
	return -1;
}

int
cred_limits_parse(const char *s, size_t len, const char *label,
    struct cred_limits *lim, struct cred_err *err)
{
	struct pl_nvp	 p;
	const char	*why;
	size_t		 off = 0;
	int		 l, opt;

	memset(lim, 0, sizeof(*lim));
	if (syntax(s, len, PL_NVP_CERTLIMIT, label, "1.2.3.3", err) < 0)
		return -1;
	while (pl_nvp_next(s, len, PL_NVP_CERTLIMIT, &off, &p, NULL) == 1) {
		opt = p.name[0] == '*';
		l = cred_lim_parse(p.name, p.namelen);
		if (l < 0) {
			aux_add(&lim->aux, &lim->naux, p.name + opt,
			    p.namelen - (size_t)opt, p.value, p.valuelen, opt);
			continue;
		}
		if (lim->have & CRED_LIM_BIT(l)) {
			cred_seterr(err, "%s: 1.2.3.3: limit %s is given twice "
			    "(with and without '*')", label, lim_names[l]);
			goto fail;
		}
		if (limit_value(lim, l, &p, &why) < 0) {
			/* 1.1.0 does not know filter: keep a bad one as aux. */
			if (l == CRED_LIM_FILTER) {
				aux_add(&lim->aux, &lim->naux, p.name + opt,
				    p.namelen - (size_t)opt, p.value,
				    p.valuelen, opt);
				continue;
			}
			cred_seterr(err, "%s: 1.2.3.3: limit %s \"%.*s%s\": %s",
			    label, lim_names[l], (int)(p.valuelen > 48 ? 48 :
			    p.valuelen), p.value, p.valuelen > 48 ? "..." : "",
			    why);
			goto fail;
		}
		lim->have |= CRED_LIM_BIT(l);
		if (opt)
			lim->optional |= CRED_LIM_BIT(l);
	}
	return 0;
 fail:
	cred_limits_clear(lim);
	return -1;
}

static int
limit_value(struct cred_limits *lim, int l, const struct pl_nvp *p,
    const char **why)
{
	switch (l) {
	case CRED_LIM_MONITOR:
		*why = "not a list of SHA-256 digests (64 hex digits each)";
		return parse_digests(p->value, p->valuelen, &lim->monitor,
		    &lim->nmonitor);
	case CRED_LIM_FILTER:
		*why = "not a list of SHA-256 digests (64 hex digits each)";
		return parse_digests(p->value, p->valuelen, &lim->filter,
		    &lim->nfilter);
	case CRED_LIM_MAX_BURST_RATE_BYTE:
		*why = "not a comma list of COUNT/WINDOW with WINDOW > 0";
		return parse_rates(p->value, p->valuelen, &lim->burst_byte,
		    &lim->nburst_byte);
	case CRED_LIM_MAX_BURST_RATE_PKT:
		*why = "not a comma list of COUNT/WINDOW with WINDOW > 0";
		return parse_rates(p->value, p->valuelen, &lim->burst_pkt,
		    &lim->nburst_pkt);
	case CRED_LIM_VALID_DEST:
		return parse_dests(p->value, p->valuelen, &lim->dest,
		    &lim->ndest, why);
	case CRED_LIM_SRC_IP_SPOOFING:
		*why = "must be 0 or 1";
		if (p->valuelen != 1 || (p->value[0] != '0' &&
		    p->value[0] != '1'))
			return -1;
		lim->src_ip_spoofing = p->value[0] == '1';
		return 0;
	default:
		*why = "not a decimal number below 2^64";
		return parse_u64(p->value, p->valuelen, &lim->num[l]);
	}
}

void
cred_info_clear(struct cred_info *info)
{
	size_t	 i;

	for (i = 0; i < info->naux; i++) {
		free(info->aux[i].name);
		free(info->aux[i].value);
	}
	free(info->aux);
	free(info->desc);
	memset(info, 0, sizeof(*info));
	info->type = CRED_UNKNOWN;
}

void
cred_limits_clear(struct cred_limits *lim)
{
	size_t	 i;

	for (i = 0; i < lim->naux; i++) {
		free(lim->aux[i].name);
		free(lim->aux[i].value);
	}
	free(lim->aux);
	free(lim->monitor);
	free(lim->filter);
	free(lim->burst_byte);
	free(lim->burst_pkt);
	free(lim->dest);
	memset(lim, 0, sizeof(*lim));
}

/* Syntax and duplicate names; a payload holds at least one pair. */
static int
syntax(const char *s, size_t len, enum pl_nvp_kind kind, const char *label,
    const char *ext, struct cred_err *err)
{
	struct pl_nvp_err	 e;

	if (len == 0)
		return cred_seterr(err, "%s: %s: empty payload", label, ext);
	if (memchr(s, '\0', len) != NULL)
		return cred_seterr(err, "%s: %s: NUL byte in the payload",
		    label, ext);
	if (pl_nvp_validate(s, len, kind, &e) < 0)
		return cred_seterr(err, "%s: %s: %s (byte %zu of \"%.*s%s\")",
		    label, ext, e.msg, e.off, (int)(len > 64 ? 64 : len), s,
		    len > 64 ? "..." : "");
	return 0;
}

static int
name_is(const struct pl_nvp *p, size_t len, const char *name)
{
	return p->namelen == len && memcmp(p->name, name, len) == 0;
}

static char *
vdup(const struct pl_nvp *p)
{
	return xstrndup(p->value, p->valuelen);
}

static void
aux_add(struct cred_nv **v, size_t *n, const char *name, size_t namelen,
    const char *value, size_t valuelen, int optional)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n].name = xstrndup(name, namelen);
	(*v)[*n].value = xstrndup(value, valuelen);
	(*v)[*n].optional = optional;
	(*n)++;
}

static int
parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t	 v = 0;
	size_t		 i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Calls fn on each element of a comma list; stops at the first failure. */
static int
split_list(const char *s, size_t len, int (*fn)(const char *, size_t, void *),
    void *arg)
{
	size_t	 i = 0, j;

	for (;;) {
		for (j = i; j < len && s[j] != ','; j++)
			;
		if (fn(s + i, j - i, arg) < 0)
			return -1;
		if (j == len)
			return 0;
		i = j + 1;
	}
}

static int
del_item(const char *s, size_t len, void *arg)
{
	unsigned	*del = arg;

	if (len == 7 && memcmp(s, "exppriv", 7) == 0)
		*del |= CRED_DEL_EXPPRIV;
	else if (len == 7 && memcmp(s, "reppriv", 7) == 0)
		*del |= CRED_DEL_REPPRIV;
	else
		return -1;
	return 0;
}

static int
parse_del_type(const char *s, size_t len, unsigned *del)
{
	*del = 0;
	return split_list(s, len, del_item, del);
}

static int
parse_digests(const char *s, size_t len, struct cred_digest **d, size_t *n)
{
	size_t	 i, cnt;

	if (len % (2 * CRED_DIGEST_LEN) != 0)
		return -1;
	cnt = len / (2 * CRED_DIGEST_LEN);
	*d = xcalloc(cnt, sizeof(**d));
	for (i = 0; i < cnt; i++)
		if (pl_unhex(s + i * 2 * CRED_DIGEST_LEN, 2 * CRED_DIGEST_LEN,
		    (*d)[i].d, CRED_DIGEST_LEN) != CRED_DIGEST_LEN) {
			free(*d);
			*d = NULL;
			return -1;
		}
	*n = cnt;
	return 0;
}

struct rates {
	struct cred_rate	*r;
	size_t			 n;
};

static int
rate_item(const char *s, size_t len, void *arg)
{
	struct rates		*rs = arg;
	struct cred_rate	 rate;
	const char		*slash = memchr(s, '/', len);

	if (slash == NULL ||
	    parse_u64(s, (size_t)(slash - s), &rate.count) < 0 ||
	    parse_u64(slash + 1, len - (size_t)(slash - s) - 1,
	    &rate.window) < 0 || rate.window == 0)
		return -1;
	rs->r = xrealloc(rs->r, (rs->n + 1) * sizeof(*rs->r));
	rs->r[rs->n++] = rate;
	return 0;
}

static int
parse_rates(const char *s, size_t len, struct cred_rate **r, size_t *n)
{
	struct rates	 rs = { NULL, 0 };

	if (split_list(s, len, rate_item, &rs) < 0) {
		free(rs.r);
		return -1;
	}
	*r = rs.r;
	*n = rs.n;
	return 0;
}

struct dests {
	struct cred_subnet	*d;
	size_t			 n;
	const char		**why;
};

static int
dest_item(const char *s, size_t len, void *arg)
{
	struct dests		*ds = arg;
	struct cred_subnet	 sn;

	if (cred_subnet_parse(s, len, &sn, ds->why) < 0)
		return -1;
	ds->d = xrealloc(ds->d, (ds->n + 1) * sizeof(*ds->d));
	ds->d[ds->n++] = sn;
	return 0;
}

static int
parse_dests(const char *s, size_t len, struct cred_subnet **d, size_t *n,
    const char **why)
{
	struct dests	 ds = { NULL, 0, why };

	if (split_list(s, len, dest_item, &ds) < 0) {
		free(ds.d);
		return -1;
	}
	*d = ds.d;
	*n = ds.n;
	return 0;
}

/* ------------------------------------------------------------------ */

int
cred_subnet_parse(const char *s, size_t len, struct cred_subnet *sn,
    const char **why)
{
	const char	*slash;
	char		 buf[INET6_ADDRSTRLEN + 1];
	size_t		 alen, i, max;
	uint64_t	 plen;
	unsigned	 bits;
	const char	*dummy;

	if (why == NULL)
		why = &dummy;
	memset(sn, 0, sizeof(*sn));
	slash = memchr(s, '/', len);
	alen = slash != NULL ? (size_t)(slash - s) : len;
	if (alen == 0 || alen >= sizeof(buf)) {
		*why = "not an IPv4 or IPv6 address";
		return -1;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (memchr(buf, ':', alen) != NULL) {
		sn->af = AF_INET6;
		max = 128;
	} else {
		sn->af = AF_INET;
		max = 32;
	}
	if (inet_pton(sn->af, buf, sn->addr) != 1) {
		*why = sn->af == AF_INET6 ? "not an IPv6 address" :
		    "not an IPv4 address";
		return -1;
	}
	plen = max;
	if (slash != NULL && (parse_u64(slash + 1, len - alen - 1, &plen) < 0 ||
	    plen > max)) {
		*why = max == 32 ? "prefix length is not 0..32" :
		    "prefix length is not 0..128";
		return -1;
	}
	sn->plen = (unsigned)plen;
	for (i = 0; i < max / 8; i++) {
		bits = sn->plen >= (i + 1) * 8 ? 8 : sn->plen > i * 8 ?
		    sn->plen - (unsigned)i * 8 : 0;
		sn->mask[i] = (uint8_t)(0xff00u >> bits);
		if (sn->addr[i] & ~sn->mask[i])
			sn->hostbits = 1;
		sn->addr[i] &= sn->mask[i];
	}
	return 0;
}

int
cred_subnet_match(const struct cred_subnet *sn, int af, const void *addr)
{
	const uint8_t	*a = addr;
	size_t		 i, n = af == AF_INET6 ? 16 : 4;

	if (af != sn->af)
		return 0;
	for (i = 0; i < n; i++)
		if ((a[i] & sn->mask[i]) != sn->addr[i])
			return 0;
	return 1;
}

char *
cred_subnet_str(const struct cred_subnet *sn, char *buf, size_t len)
{
	char	 a[INET6_ADDRSTRLEN];

	if (inet_ntop(sn->af, sn->addr, a, sizeof(a)) == NULL)
		pl_strlcpy(a, "?", sizeof(a));
	snprintf(buf, len, "%s/%u", a, sn->plen);
	return buf;
}

/* ------------------------------------------------------------------ */

/* "x" and "*x" are the same pair for replacement. */
static int
base_eq(const char *a, const char *b)
{
	return strcmp(a[0] == '*' ? a + 1 : a, b[0] == '*' ? b + 1 : b) == 0;
}

void
cred_nvlist_set(struct cred_nvlist *l, const char *name, int optional,
    const char *value)
{
	char	*n, *v;
	size_t	 i;
	int	 placed = 0;

	if (name[0] == '*') {
		name++;
		optional = 1;
	}
	/* Copies first: name or value may point into the list itself. */
	n = xstrdup(name);
	v = xstrdup(value);
	for (i = 0; i < l->n; ) {
		if (!base_eq(l->v[i].name, n)) {
			i++;
			continue;
		}
		if (!placed) {
			free(l->v[i].value);
			l->v[i].value = xstrdup(v);
			l->v[i].optional = optional;
			placed = 1;
			i++;
			continue;
		}
		free(l->v[i].name);
		free(l->v[i].value);
		memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
		l->n--;
	}
	if (!placed)
		aux_add(&l->v, &l->n, n, strlen(n), v, strlen(v), optional);
	free(n);
	free(v);
}

int
cred_nvlist_del(struct cred_nvlist *l, const char *name)
{
	size_t	 i;
	int	 found = 0;

	for (i = 0; i < l->n; ) {
		if (!base_eq(l->v[i].name, name)) {
			i++;
			continue;
		}
		free(l->v[i].name);
		free(l->v[i].value);
		memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
		l->n--;
		found = 1;
	}
	return found;
}

const struct cred_nv *
cred_nvlist_get(const struct cred_nvlist *l, const char *name)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		if (base_eq(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

int
cred_nvlist_parse(struct cred_nvlist *l, const char *s, size_t len, int limit,
    const char *label, struct cred_err *err)
{
	struct pl_nvp	 p;
	enum pl_nvp_kind kind = limit ? PL_NVP_CERTLIMIT : PL_NVP_CERTINFO;
	size_t		 off = 0;
	int		 opt;

	if (syntax(s, len, kind, label, limit ? "1.2.3.3" : "1.2.3.1", err) < 0)
		return -1;
	while (pl_nvp_next(s, len, kind, &off, &p, NULL) == 1) {
		opt = p.name[0] == '*';
		aux_add(&l->v, &l->n, p.name + opt, p.namelen - (size_t)opt,
		    p.value, p.valuelen, opt);
	}
	return 0;
}

static int
nv_rank(const struct cred_nv *nv, int limit)
{
	int	 l;

	if (limit)
		return (l = cred_lim_parse(nv->name, strlen(nv->name))) < 0 ?
		    CRED_LIM_NKNOWN : l;
	if (strcmp(nv->name, "cert_type") == 0)
		return 0;
	if (strcmp(nv->name, "del_type") == 0)
		return 1;
	if (strcmp(nv->name, "cert_desc") == 0)
		return 2;
	return 3;
}

void
cred_nvlist_sort(struct cred_nvlist *l, int limit)
{
	struct cred_nv	 t;
	size_t		 i, j;

	/* Insertion sort: stable, and the lists are short. */
	for (i = 1; i < l->n; i++) {
		t = l->v[i];
		for (j = i; j > 0 && nv_rank(&l->v[j - 1], limit) >
		    nv_rank(&t, limit); j--)
			l->v[j] = l->v[j - 1];
		l->v[j] = t;
	}
}

char *
cred_nvlist_text(const struct cred_nvlist *l, size_t *lenp)
{
	char	*s, *p;
	size_t	 i, len = 0;

	if (l->n == 0)
		return NULL;
	for (i = 0; i < l->n; i++)
		len += (l->v[i].optional ? 1 : 0) + strlen(l->v[i].name) + 1 +
		    strlen(l->v[i].value) + 1;
	p = s = xmalloc(len + 1);
	for (i = 0; i < l->n; i++)
		p += sprintf(p, "%s%s=%s;", l->v[i].optional ? "*" : "",
		    l->v[i].name, l->v[i].value);
	if (lenp != NULL)
		*lenp = len;
	return s;
}

void
cred_nvlist_clear(struct cred_nvlist *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].value);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}
