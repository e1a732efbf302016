/*
 * chain.c: PacketLab chain verification as libpktlab 1.1.0 does it
 * (pktlab_verify_cert_chain, certs spec §4), and the limits an endpoint
 * enforces for a whole chain.
 *
 * A mode is a list of phases (type, one or any number, may the chain end
 * here).  The leaf is element 0; every next certificate is the first unused
 * one whose SKI equals the current AKI (greedy, no backtracking, as 1.1.0).
 * Where a phase may end, the top is checked against the trusted roots and a
 * success is recorded; the longest recorded chain wins.  Without roots the
 * top signature is not checked at all, exactly as in 1.1.0: the result says
 * so, so that callers warn.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "cred/cred.h"
#include "util/util.h"

struct phase {
	enum cred_type	 type;
	int		 many;		/* 0..n of this type, else exactly one */
	int		 may_end;
	unsigned	 del;		/* delpriv: the del_type bit required */
};

struct mode {
	const char		*name;
	const struct phase	*ph;
	size_t			 nph;
	size_t			 min, max;
};

static const struct phase ph_endpoint[] = {
	{ CRED_SUBCMD, 0, 1, 0 },
	{ CRED_DELPRIV, 1, 1, CRED_DEL_REPPRIV },
};
static const struct phase ph_controller[] = {
	{ CRED_PUBCMD, 0, 0, 0 },
	{ CRED_DELPRIV, 1, 0, CRED_DEL_EXPPRIV },
	{ CRED_EXPPRIV, 0, 1, 0 },
};
static const struct phase ph_agent[] = {
	{ CRED_AGENT, 0, 1, 0 },
};

static const struct mode modes[] = {
	[CRED_MODE_CONTROLLER_AUTH_ENDPOINT] = { "endpoint", ph_endpoint,
	    PL_NELEM(ph_endpoint), 1, SIZE_MAX },
	[CRED_MODE_ENDPOINT_AUTH_CONTROLLER] = { "controller", ph_controller,
	    PL_NELEM(ph_controller), 2, SIZE_MAX },
	[CRED_MODE_AGENT] = { "agent", ph_agent, PL_NELEM(ph_agent), 1, 1 },
};

static const char *const verdict_names[] = {
	"success", "invalid argument", "bad certificate", "not enough "
	"certificates", "too many certificates", "unexpected certificate",
	"expired certificate", "no matching signing key", "path length "
	"exceeded", "end of phases", "bad delegation type",
};

/* The state of one verification. */
struct walk {
	const struct mode	*m;
	const struct cred_keys	*roots;
	int64_t			 now;
	struct cred_cert	*dec;		/* every supplied cert, decoded */
	size_t			 ndec;
	int			*used;
	size_t			*order;		/* indices into dec, leaf first */
	size_t			 n;
	size_t			*best;		/* the longest recorded chain */
	size_t			 nbest;
	int			 best_root;
	enum cred_verdict	 last;
	struct cred_err		 lasterr;
};

static enum cred_verdict fail(struct walk *, enum cred_verdict, const char *,
			    ...) __attribute__((format(printf, 3, 4)));
static int	 check_time(struct walk *, const struct cred_cert *);
static void	 try_end(struct walk *);
static int	 link_parent(struct walk *, size_t, size_t);
static void	 effective(struct cred_chain *);
static void	 digest_union(struct cred_digest **, size_t *,
		    const struct cred_digest *, size_t);
static void	 rates_add(struct cred_rate **, size_t *,
		    const struct cred_rate *, size_t);

const char *
cred_mode_name(enum cred_mode m)
{
	if ((unsigned)m < PL_NELEM(modes))
		return modes[m].name;
	return "?";
}

const char *
cred_verdict_name(enum cred_verdict v)
{
	if ((unsigned)v < PL_NELEM(verdict_names))
		return verdict_names[v];
	return "unknown";
}

enum cred_verdict
cred_chain_verify(const struct cred_certs *in, const struct cred_keys *roots,
    enum cred_mode mode, int64_t now, struct cred_chain *out,
    struct cred_err *err)
{
	struct walk		 w;
	const struct phase	*ph;
	struct cred_cert	*cur;
	size_t			 i, p, np, cand;
	enum cred_verdict	 v;
	char			 hex[2 * CRED_KEYID_LEN + 1];

	memset(out, 0, sizeof(*out));
	out->root = -1;
	if ((unsigned)mode >= PL_NELEM(modes) || in == NULL) {
		cred_seterr(err, "invalid verification mode");
		return CRED_INVAL;
	}
	memset(&w, 0, sizeof(w));
	w.m = &modes[mode];
	w.roots = roots != NULL && roots->n > 0 ? roots : NULL;
	w.now = now;
	w.best_root = -1;
	if (in->n < w.m->min) {
		cred_seterr(err, "%zu certificate%s: %s %s chain needs at "
		    "least %zu", in->n, in->n == 1 ? "" : "s",
		    cred_an(w.m->name), w.m->name, w.m->min);
		return CRED_NOT_ENOUGH_CERT;
	}
	if (in->n > w.m->max) {
		cred_seterr(err, "%zu certificates: %s %s chain has at most "
		    "%zu", in->n, cred_an(w.m->name), w.m->name, w.m->max);
		return CRED_TOO_MANY_CERT;
	}

	/* Every supplied certificate must decode, even ones left unused. */
	w.ndec = in->n;
	w.dec = xcalloc(w.ndec, sizeof(*w.dec));
	w.used = xcalloc(w.ndec, sizeof(*w.used));
	w.order = xcalloc(w.ndec, sizeof(*w.order));
	w.best = xcalloc(w.ndec, sizeof(*w.best));
	for (i = 0; i < w.ndec; i++)
		if (cred_cert_decode(in->x[i], in->label[i], &w.dec[i],
		    &w.lasterr) < 0) {
			v = CRED_BAD_CERT;
			if (err != NULL)
				*err = w.lasterr;
			goto done;
		}

	/* The leaf; checks in 1.1.0's order: validity, then type. */
	cur = &w.dec[0];
	ph = &w.m->ph[0];
	if (check_time(&w, cur) < 0)
		goto finish;
	if (cur->info.type != ph->type) {
		fail(&w, CRED_UNEXPECTED_CERT, "%s: the leaf must be first: "
		    "this is %s %s certificate, the leaf of %s %s chain is "
		    "%s %s", cur->label, cred_an(cred_type_name(cur->info.type)),
		    cred_type_name(cur->info.type), cred_an(w.m->name),
		    w.m->name, cred_an(cred_type_name(ph->type)),
		    cred_type_name(ph->type));
		goto finish;
	}
	w.used[0] = 1;
	w.order[w.n++] = 0;

	for (p = 0;;) {
		ph = &w.m->ph[p];
		if (ph->may_end)
			try_end(&w);
		if (!ph->many && p + 1 == w.m->nph)
			break;
		cur = &w.dec[w.order[w.n - 1]];
		for (cand = 1; cand < w.ndec; cand++)
			if (!w.used[cand] && memcmp(w.dec[cand].ski, cur->aki,
			    CRED_KEYID_LEN) == 0)
				break;
		if (cand == w.ndec) {
			if (w.nbest == 0 && w.last == CRED_OK)
				fail(&w, CRED_NO_MATCHING_SIGN_KEY, "%s: no "
				    "certificate for its signer (key id %s)",
				    cur->label, pl_hex(cur->aki,
				    CRED_KEYID_LEN, hex));
			break;
		}
		/* A type mismatch in a "many" phase moves on to the next one. */
		np = ph->many ? p : p + 1;
		while (np < w.m->nph && w.m->ph[np].many &&
		    w.dec[cand].info.type != w.m->ph[np].type)
			np++;
		if (np == w.m->nph) {
			fail(&w, CRED_END_OF_PHASES, "%s: %s %s certificate "
			    "cannot sign %s in %s %s chain", w.dec[cand].label,
			    cred_an(cred_type_name(w.dec[cand].info.type)),
			    cred_type_name(w.dec[cand].info.type), cur->label,
			    cred_an(w.m->name), w.m->name);
			break;
		}
		if (link_parent(&w, cand, np) < 0)
			break;
		w.used[cand] = 1;
		w.order[w.n++] = cand;
		p = np;
	}

 finish:
	if (w.nbest == 0) {
		v = w.last != CRED_OK ? w.last : CRED_NO_MATCHING_SIGN_KEY;
		if (err != NULL)
			*err = w.lasterr;
		goto done;
	}
	v = CRED_OK;
	out->n = w.nbest;
	out->cert = xcalloc(w.nbest, sizeof(*out->cert));
	for (i = 0; i < w.nbest; i++) {
		out->cert[i] = w.dec[w.best[i]];
		memset(&w.dec[w.best[i]], 0, sizeof(w.dec[0]));
	}
	out->root = w.best_root;
	out->top_unchecked = w.roots == NULL;
	memcpy(out->top_aki, out->cert[out->n - 1].aki, CRED_KEYID_LEN);
	effective(out);
 done:
	for (i = 0; i < w.ndec; i++)
		cred_cert_clear(&w.dec[i]);
	free(w.dec);
	free(w.used);
	free(w.order);
	free(w.best);
	ERR_clear_error();
	return v;
}

static enum cred_verdict
fail(struct walk *w, enum cred_verdict v, const char *fmt, ...)
{
	va_list	 ap;

	w->last = v;
	va_start(ap, fmt);
	vsnprintf(w->lasterr.msg, sizeof(w->lasterr.msg), fmt, ap);
	va_end(ap);
	return v;
}

static int
check_time(struct walk *w, const struct cred_cert *c)
{
	char	 t[40];

	if (w->now < c->not_before) {
		fail(w, CRED_EXPIRED_CERT, "%s: not valid before %s", c->label,
		    cred_fmt_time(c->not_before, t, sizeof(t)));
		return -1;
	}
	if (w->now > c->not_after) {
		fail(w, CRED_EXPIRED_CERT, "%s: expired %s", c->label,
		    cred_fmt_time(c->not_after, t, sizeof(t)));
		return -1;
	}
	return 0;
}

/* The chain may end here: check the top against the roots and record it. */
static void
try_end(struct walk *w)
{
	const struct cred_cert	*top = &w->dec[w->order[w->n - 1]];
	char			 hex[2 * CRED_KEYID_LEN + 1];
	size_t			 r;
	int			 root = -1;

	if (w->roots != NULL) {
		for (r = 0; r < w->roots->n; r++)
			if (memcmp(w->roots->id[r], top->aki,
			    CRED_KEYID_LEN) == 0)
				break;
		if (r == w->roots->n) {
			fail(w, CRED_NO_MATCHING_SIGN_KEY, "%s: untrusted root: "
			    "signed by key id %s, which is not a trusted root "
			    "key", top->label, pl_hex(top->aki, CRED_KEYID_LEN,
			    hex));
			return;
		}
		if (X509_verify(top->x509, w->roots->key[r]) != 1) {
			fail(w, CRED_BAD_CERT, "%s: bad signature: does not "
			    "verify with trusted root key %s", top->label,
			    w->roots->label[r]);
			return;
		}
		root = (int)r;
	}
	memcpy(w->best, w->order, w->n * sizeof(*w->order));
	w->nbest = w->n;
	w->best_root = root;
}

/* Place dec[cand] above the current top in phase np, or say why not. */
static int
link_parent(struct walk *w, size_t cand, size_t np)
{
	const struct phase	*ph = &w->m->ph[np];
	struct cred_cert	*c = &w->dec[cand];
	struct cred_cert	*child = &w->dec[w->order[w->n - 1]];
	char			 d[32];

	/* 1.1.0's order: validity, type, delegation type, then the link. */
	if (check_time(w, c) < 0)
		return -1;
	if (c->info.type != ph->type) {
		fail(w, CRED_UNEXPECTED_CERT, "%s: %s %s certificate where "
		    "%s %s chain needs %s (above %s)", c->label,
		    cred_an(cred_type_name(c->info.type)),
		    cred_type_name(c->info.type), cred_an(w->m->name),
		    w->m->name, cred_type_name(ph->type), child->label);
		return -1;
	}
	if (ph->del != 0 && (c->info.del_type & ph->del) == 0) {
		fail(w, CRED_BAD_DEL_TYPE, "%s: wrong delegation type: "
		    "del_type %s, %s %s chain needs %s", c->label,
		    cred_del_type_str(c->info.del_type, d, sizeof(d)),
		    cred_an(w->m->name), w->m->name,
		    ph->del == CRED_DEL_EXPPRIV ? "exppriv" : "reppriv");
		return -1;
	}
	if (!cred_type_is_ca(c->info.type)) {
		fail(w, CRED_UNEXPECTED_CERT, "%s: %s %s certificate cannot "
		    "sign others", c->label,
		    cred_an(cred_type_name(c->info.type)),
		    cred_type_name(c->info.type));
		return -1;
	}
	/* pathLen counts the CA certificates below, not the leaf. */
	if (c->pathlen >= 0 && w->n - 1 > (size_t)c->pathlen) {
		fail(w, CRED_PATHLEN_EXCEEDED, "%s: path length exceeded: "
		    "pathLen %d, but %zu delegation certificate%s below it",
		    c->label, c->pathlen, w->n - 1, w->n - 1 == 1 ? "" : "s");
		return -1;
	}
	if (X509_verify(child->x509, X509_get0_pubkey(c->x509)) != 1) {
		fail(w, CRED_BAD_CERT, "%s: bad signature: not signed by the "
		    "key of %s", child->label, c->label);
		return -1;
	}
	return 0;
}

void
cred_chain_free(struct cred_chain *ch)
{
	size_t	 i;

	for (i = 0; i < ch->n; i++)
		cred_cert_clear(&ch->cert[i]);
	free(ch->cert);
	free(ch->eff.monitor);
	free(ch->eff.filter);
	free(ch->eff.burst_byte);
	free(ch->eff.burst_pkt);
	free(ch->eff.dest);
	memset(ch, 0, sizeof(*ch));
	ch->root = -1;
}

/* ------------------------------------------------------------------ */

static void
effective(struct cred_chain *ch)
{
	struct cred_eff		*e = &ch->eff;
	const struct cred_limits *l;
	size_t			 i;
	int			 k, nca = 0, spoof = 1;

	for (k = 0; k < CRED_LIM_NKNOWN; k++)
		e->num[k] = UINT64_MAX;
	e->not_after = INT64_MAX;
	for (i = 0; i < ch->n; i++) {
		if (!cred_type_is_ca(ch->cert[i].info.type))
			continue;
		nca++;
		if (ch->cert[i].not_after < e->not_after)
			e->not_after = ch->cert[i].not_after;
		l = &ch->cert[i].lim;
		if (!(l->have & CRED_LIM_BIT(CRED_LIM_SRC_IP_SPOOFING)) ||
		    !l->src_ip_spoofing)
			spoof = 0;
		if (!ch->cert[i].has_limits)
			continue;
		e->have |= l->have;
		for (k = CRED_LIM_FIRST_NUM; k <= CRED_LIM_LAST_NUM; k++)
			if ((l->have & CRED_LIM_BIT(k)) && l->num[k] < e->num[k])
				e->num[k] = l->num[k];
		digest_union(&e->monitor, &e->nmonitor, l->monitor,
		    l->nmonitor);
		digest_union(&e->filter, &e->nfilter, l->filter, l->nfilter);
		rates_add(&e->burst_byte, &e->nburst_byte, l->burst_byte,
		    l->nburst_byte);
		rates_add(&e->burst_pkt, &e->nburst_pkt, l->burst_pkt,
		    l->nburst_pkt);
		if (l->have & CRED_LIM_BIT(CRED_LIM_VALID_DEST)) {
			e->dest = xrealloc(e->dest, (e->ndest + 1) *
			    sizeof(*e->dest));
			e->dest[e->ndest++] = l;
		}
	}
	e->src_ip_spoofing = nca > 0 && spoof;
}

static void
digest_union(struct cred_digest **d, size_t *n, const struct cred_digest *add,
    size_t nadd)
{
	size_t	 i, j;

	for (i = 0; i < nadd; i++) {
		for (j = 0; j < *n; j++)
			if (memcmp((*d)[j].d, add[i].d, CRED_DIGEST_LEN) == 0)
				break;
		if (j < *n)
			continue;
		*d = xrealloc(*d, (*n + 1) * sizeof(**d));
		(*d)[(*n)++] = add[i];
	}
}

static void
rates_add(struct cred_rate **r, size_t *n, const struct cred_rate *add,
    size_t nadd)
{
	if (nadd == 0)
		return;
	*r = xrealloc(*r, (*n + nadd) * sizeof(**r));
	memcpy(*r + *n, add, nadd * sizeof(*add));
	*n += nadd;
}

int
cred_eff_dest_ok(const struct cred_eff *e, int af, const void *addr)
{
	size_t	 i, j;

	for (i = 0; i < e->ndest; i++) {
		for (j = 0; j < e->dest[i]->ndest; j++)
			if (cred_subnet_match(&e->dest[i]->dest[j], af, addr))
				break;
		if (j == e->dest[i]->ndest)
			return 0;
	}
	return 1;
}
