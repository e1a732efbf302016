/*
 * sub.c: the pure parts of subscription mode (broker spec §1.5-1.8):
 * the XSUB channel list and eopkey exactly as 1.1.0 builds them, the
 * acceptance of an XNOTIFY's xdescr, and the descriptor pool.
 *
 * The pool follows 1.1.0's deputy (one experiment at a time, highest
 * exp_priority first, ties to the newest) and fixes its weaknesses
 * (§1.11): a descriptor whose pub_end is past is dropped and never
 * picked, and a descriptor byte-identical to one taken in before is
 * refused, so the same experiment never runs twice (1.1.0 crashed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pktlab/nvp.h>
#include <pktlab/wire.h>

#include "conf/addr.h"
#include "cred/cred.h"
#include "endpoint/pure/endpt.h"
#include "util/util.h"

/* ---- XSUB ---- */

int
ep_sub_chlist(const struct ep_conf *c, const uint8_t (*aki)[32], size_t n,
    struct pl_chlist *cl, char *why, size_t whylen)
{
	size_t	 i, j, npriv = c->autoextract ? n : 0;

	memset(cl, 0, sizeof(*cl));
	if (!c->have_channels) {
		if (npriv == 0) {
			snprintf(why, whylen, "no channel to subscribe to: "
			    "BrokerChannel is absent and AutoExtractChannel is 0");
			return -1;
		}
		if (npriv > PL_CHLIST_MAX)
			goto toomany;
		for (i = 0; i < npriv; i++) {
			cl->len[cl->cnt] = 32;
			cl->id[cl->cnt++] = aki[n - 1 - i];
		}
		return 0;
	}
	for (i = 0; i < c->nchan; i++) {
		if (c->chan[i].len != 0) {
			if (cl->cnt == PL_CHLIST_MAX)
				goto toomany;
			cl->len[cl->cnt] = c->chan[i].len;
			cl->id[cl->cnt++] = c->chan[i].id;
			continue;
		}
		if (npriv == 0) {
			snprintf(why, whylen, "BrokerChannel has an empty "
			    "element (the private channels) but "
			    "AutoExtractChannel is 0");
			return -1;
		}
		for (j = 0; j < npriv; j++) {
			if (cl->cnt == PL_CHLIST_MAX)
				goto toomany;
			cl->len[cl->cnt] = 32;
			cl->id[cl->cnt++] = aki[n - 1 - j];
		}
	}
	if (cl->cnt == 0) {
		snprintf(why, whylen, "no channel to subscribe to");
		return -1;
	}
	return 0;
toomany:
	snprintf(why, whylen, "more than %d channels to subscribe to",
	    PL_CHLIST_MAX);
	return -1;
}

int
ep_sub_eopkey(const uint8_t (*ids)[32], size_t n, const uint8_t aki[32])
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (memcmp(ids[i], aki, 32) == 0)
			return (int)i;
	return -1;
}

void
ep_submsgs_clear(struct ep_submsgs *m)
{
	size_t	 i;

	for (i = 0; i < m->n; i++)
		free(m->buf[i]);
	free(m->buf);
	free(m->len);
	memset(m, 0, sizeof(*m));
}

static int
submsg_add(struct ep_submsgs *m, const struct pl_msg *msg)
{
	ssize_t	 n = pl_encode(msg, NULL, 0);

	if (n < 0)
		return -1;
	m->buf = xrealloc(m->buf, (m->n + 1) * sizeof(*m->buf));
	m->len = xrealloc(m->len, (m->n + 1) * sizeof(*m->len));
	m->buf[m->n] = xmalloc((size_t)n);
	m->len[m->n] = (size_t)pl_encode(msg, m->buf[m->n], (size_t)n);
	m->n++;
	return 0;
}

int
ep_sub_build(const struct ep_conf *conf, const struct cred_cert *cc,
    size_t n, const uint8_t kid[32], const struct cred_keys *oproots,
    struct ep_submsgs *out, char *why, size_t whylen)
{
	struct pl_chlist	 cl;
	struct pl_msg		 m;
	uint8_t			 (*aki)[32], raw[32];
	char			 hex[65], w[256];
	size_t			 i, mine = SIZE_MAX;
	int			 k, rc = -1;

	memset(out, 0, sizeof(*out));
	if (n == 0) {
		snprintf(why, whylen, "SubPrivCertChainPath: no certificate");
		return -1;
	}
	aki = xcalloc(n, sizeof(*aki));
	for (i = 0; i < n; i++) {
		memcpy(aki[i], cc[i].aki, 32);
		if (memcmp(cc[i].ski, kid, 32) == 0 && mine == SIZE_MAX)
			mine = i;
	}
	if (mine == SIZE_MAX) {
		snprintf(why, whylen, "SubPrivCertChainPath: no certificate "
		    "belongs to EndpointPrivKey (key id %s)", pl_hex(kid, 32,
		    hex));
		goto done;
	}
	k = ep_sub_eopkey((const uint8_t (*)[32])oproots->id, oproots->n,
	    aki[n - 1]);
	if (k < 0) {
		snprintf(why, whylen, "SubPrivCertChainPath: the last "
		    "certificate, %s, was issued by key id %s, which is no "
		    "EndpointOpPubKeyPath key (the xsub eopkey is that key)",
		    cc[n - 1].label, pl_hex(aki[n - 1], 32, hex));
		goto done;
	}
	if (cred_key_raw(oproots->key[k], raw) == -1) {
		snprintf(why, whylen, "EndpointOpPubKeyPath: cannot read %s",
		    oproots->label[k]);
		goto done;
	}
	if (ep_sub_chlist(conf, (const uint8_t (*)[32])aki, n, &cl, w,
	    sizeof(w)) == -1) {
		snprintf(why, whylen, "%s", w);
		goto done;
	}
	for (i = 0; i < n; i++) {
		pl_msg_xcert(&m, cc[i].der, cc[i].derlen);
		if (submsg_add(out, &m) == -1) {
			snprintf(why, whylen, "%s: cannot encode an xcert",
			    cc[i].label);
			goto done;
		}
	}
	pl_msg_xpub(&m, PL_XSUB, &cl, raw, conf->dattr, conf->dattrlen);
	if (submsg_add(out, &m) == -1) {
		snprintf(why, whylen, "cannot encode the xsub");
		goto done;
	}
	out->nchan = cl.cnt;
	rc = 0;
done:
	free(aki);
	if (rc == -1)
		ep_submsgs_clear(out);
	return rc;
}

/* ---- xdescr ---- */

/* 1.1.0's exp_priority: decimal, wrapping; not fully numeric gives 0. */
static uint32_t
prio_110(const char *s, size_t n)
{
	uint32_t	 v = 0;
	size_t		 i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	return v;
}

/* controller_addr: [v6]:port, or split at the last ':' (ERRATA 5). */
static int
split_ctrl(const char *s, size_t n, struct ep_xdescr *d, char *why,
    size_t whylen)
{
	struct pl_hostport	 hp;
	const char		*colon;
	char			 buf[EP_CTRLADDR_MAX + 1], w[200];
	size_t			 hlen;

	memcpy(buf, s, n);
	buf[n] = '\0';
	if (n > 0 && s[0] == '[') {
		if (pl_addr_split(buf, PL_PORT_EXP, &hp, w, sizeof(w)) == -1) {
			snprintf(why, whylen, "controller_addr: %s", w);
			return -1;
		}
		pl_strlcpy(d->host, hp.host, sizeof(d->host));
		d->port = hp.port;
		return 0;
	}
	d->port = PL_PORT_EXP;
	colon = memrchr(s, ':', n);
	hlen = colon != NULL ? (size_t)(colon - s) : n;
	if (colon != NULL && pl_addr_port(colon + 1, n - hlen - 1, &d->port, w,
	    sizeof(w)) == -1) {
		snprintf(why, whylen, "controller_addr \"%s\": %s", buf, w);
		return -1;
	}
	if (hlen == 0) {
		snprintf(why, whylen, "controller_addr \"%s\": no host", buf);
		return -1;
	}
	memcpy(d->host, s, hlen);
	d->host[hlen] = '\0';
	return 0;
}

int
ep_xdescr_accept(const char *s, size_t len, struct ep_xdescr *d, char *why,
    size_t whylen)
{
	struct pl_nvp_err	 err;
	struct pl_nvp		 p;
	size_t			 off = 0, i;
	int			 have_addr = 0;
	uint64_t		 v;

	memset(d, 0, sizeof(*d));
	if (len > EP_XDESCR_MAX) {
		snprintf(why, whylen, "xdescr of %zu bytes, more than %u", len,
		    EP_XDESCR_MAX);
		return -1;
	}
	if (len == 0) {
		snprintf(why, whylen, "empty xdescr");
		return -1;
	}
	if (pl_nvp_validate(s, len, PL_NVP_XDESCR, &err) < 0) {
		snprintf(why, whylen, "malformed xdescr at byte %zu: %s",
		    err.off, err.msg);
		return -1;
	}
	while (pl_nvp_next(s, len, PL_NVP_XDESCR, &off, &p, NULL) == 1) {
#define IS(x)	(p.namelen == sizeof(x) - 1 && memcmp(p.name, x, p.namelen) == 0)
		if (IS("controller_addr")) {
			if (p.valuelen > EP_CTRLADDR_MAX) {
				snprintf(why, whylen, "controller_addr of %zu "
				    "bytes, more than %u", p.valuelen,
				    EP_CTRLADDR_MAX);
				return -1;
			}
			if (split_ctrl(p.value, p.valuelen, d, why, whylen) == -1)
				return -1;
			memcpy(d->addr, p.value, p.valuelen);
			d->addr[p.valuelen] = '\0';
			have_addr = 1;
		} else if (IS("sni_key")) {
			if (p.valuelen != 0 && !pl_snikey_valid(p.value,
			    p.valuelen)) {
				snprintf(why, whylen, "sni_key \"%.*s\" is not "
				    "1 to 63 of [a-z0-9]", p.valuelen > 80 ? 80 :
				    (int)p.valuelen, p.value);
				return -1;
			}
			memcpy(d->sni, p.value, p.valuelen);
			d->sni[p.valuelen] = '\0';
		} else if (IS("exp_priority")) {
			d->prio = prio_110(p.value, p.valuelen);
		} else if (IS("pub_end")) {
			v = 0;
			for (i = 0; i < p.valuelen; i++) {
				if (p.value[i] < '0' || p.value[i] > '9' ||
				    v > (UINT64_MAX - 9) / 10) {
					snprintf(why, whylen, "pub_end \"%.*s\" "
					    "is not a time in ns", p.valuelen >
					    40 ? 40 : (int)p.valuelen, p.value);
					return -1;
				}
				v = v * 10 + (uint64_t)(p.value[i] - '0');
			}
			if (p.valuelen == 0) {
				snprintf(why, whylen, "empty pub_end");
				return -1;
			}
			d->has_pub_end = 1;
			d->pub_end = v;
		}
#undef IS
	}
	if (!have_addr) {
		snprintf(why, whylen, "no controller_addr");
		return -1;
	}
	return 0;
}

/* ---- the pool ---- */

void
ep_pool_init(struct ep_pool *p)
{
	memset(p, 0, sizeof(*p));
	p->next_id = 1;
}

void
ep_pool_clear(struct ep_pool *p)
{
	size_t	 i;

	for (i = 0; i < p->n; i++)
		free(p->ent[i].text);
	free(p->ent);
	for (i = 0; i < p->nseen; i++)
		free(p->seen[i]);
	free(p->seen);
	free(p->seenlen);
	ep_pool_init(p);
}

static char *
dupbytes(const char *s, size_t len)
{
	char	*d = xmalloc(len + 1);

	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

static int
seen_before(struct ep_pool *p, const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < p->nseen; i++)
		if (p->seenlen[i] == len && memcmp(p->seen[i], s, len) == 0)
			return 1;
	/* Remember it; the oldest is forgotten once the ring is full. */
	if (p->seen == NULL) {
		p->seen = xcalloc(EP_SEEN_MAX, sizeof(*p->seen));
		p->seenlen = xcalloc(EP_SEEN_MAX, sizeof(*p->seenlen));
	}
	if (p->nseen < EP_SEEN_MAX)
		p->nseen++;
	else
		free(p->seen[p->seenpos]);
	p->seen[p->seenpos] = dupbytes(s, len);
	p->seenlen[p->seenpos] = len;
	p->seenpos = (p->seenpos + 1) % EP_SEEN_MAX;
	return 0;
}

static int
expired(const struct ep_xdescr *d, pl_time_t now)
{
	return d->has_pub_end && d->pub_end <= now;
}

enum ep_pool_add
ep_pool_add(struct ep_pool *p, const char *s, size_t len,
    const struct ep_xdescr *d, pl_time_t now)
{
	struct ep_pool_ent	*e;

	if (seen_before(p, s, len))
		return EP_POOL_DUP;
	if (expired(d, now))
		return EP_POOL_EXPIRED;
	p->ent = xrealloc(p->ent, (p->n + 1) * sizeof(*p->ent));
	e = &p->ent[p->n++];
	memset(e, 0, sizeof(*e));
	e->id = p->next_id++;
	e->text = dupbytes(s, len);
	e->len = len;
	e->d = *d;
	return EP_POOL_ADDED;
}

size_t
ep_pool_expire(struct ep_pool *p, pl_time_t now,
    void (*each)(void *, const struct ep_pool_ent *), void *arg)
{
	size_t	 i, k = 0, gone = 0;

	for (i = 0; i < p->n; i++) {
		if (!p->ent[i].running && expired(&p->ent[i].d, now)) {
			if (each != NULL)
				each(arg, &p->ent[i]);
			free(p->ent[i].text);
			gone++;
			continue;
		}
		p->ent[k++] = p->ent[i];
	}
	p->n = k;
	return gone;
}

struct ep_pool_ent *
ep_pool_pick(struct ep_pool *p, pl_time_t now, pl_time_t *wake)
{
	struct ep_pool_ent	*best = NULL, *e;
	size_t			 i;

	if (wake != NULL)
		*wake = 0;
	for (i = 0; i < p->n; i++) {
		e = &p->ent[i];
		if (e->running || expired(&e->d, now))
			continue;
		if (e->eligible > now) {
			if (wake != NULL && (*wake == 0 || e->eligible < *wake))
				*wake = e->eligible;
			continue;
		}
		/* Entries are in arrival order: >= makes ties go to the newest. */
		if (best == NULL || e->d.prio >= best->d.prio)
			best = e;
	}
	return best;
}

struct ep_pool_ent *
ep_pool_next(struct ep_pool *p, pl_time_t now, int *preempt)
{
	struct ep_pool_ent	*cand, *cur;

	*preempt = 0;
	if ((cand = ep_pool_pick(p, now, NULL)) == NULL)
		return NULL;
	if ((cur = ep_pool_running(p)) == NULL)
		return cand;
	if (cand->d.prio <= cur->d.prio)
		return NULL;
	*preempt = 1;
	return cand;
}

struct ep_pool_ent *
ep_pool_running(struct ep_pool *p)
{
	size_t	 i;

	for (i = 0; i < p->n; i++)
		if (p->ent[i].running)
			return &p->ent[i];
	return NULL;
}

struct ep_pool_ent *
ep_pool_get(struct ep_pool *p, uint64_t id)
{
	size_t	 i;

	for (i = 0; i < p->n; i++)
		if (p->ent[i].id == id)
			return &p->ent[i];
	return NULL;
}

void
ep_pool_remove(struct ep_pool *p, uint64_t id)
{
	size_t	 i;

	for (i = 0; i < p->n; i++) {
		if (p->ent[i].id != id)
			continue;
		free(p->ent[i].text);
		memmove(&p->ent[i], &p->ent[i + 1], (p->n - i - 1) *
		    sizeof(*p->ent));
		p->n--;
		return;
	}
}
