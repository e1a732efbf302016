/*
 * store.c: the broker's state (spec §2.4-2.5).  Live publications and
 * subscriptions, matched in both directions: a new publication goes to
 * every matching subscription, a new subscription gets every matching live
 * publication.  One xnotify per (publication, agent key): each agent key
 * remembers the xdescrs delivered to it (by a seeded hash) until their
 * pub_end, across reconnects, because a 1.1.0 endpoint keeps its pool over
 * reconnects and crashes on a duplicate (§1.8).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pktlab/nvp.h>

#include "util/log.h"
#include "util/util.h"
#include "broker/pure/bk.h"

struct bk_seen {
	uint64_t	 hash;
	uint64_t	 pub_end;
};

struct bk_agent {
	struct bk_agent	*next;		/* hash chain */
	uint8_t		 key[BK_KEY_LEN];
	unsigned	 nsubs;
	struct bk_seen	*seen;		/* a ring of at most BK_SEEN_MAX */
	size_t		 nseen, cap, head;
};

static struct bk_agent *agent_get(struct bk_store *, const uint8_t *, int);
static void	 agent_put(struct bk_store *, struct bk_agent *);
static int	 agent_seen(struct bk_agent *, uint64_t, uint64_t);
static void	 agent_mark(struct bk_agent *, uint64_t, uint64_t);
static void	 deliver(struct bk_store *, struct bk_pub *, struct bk_sub *,
		    size_t, uint64_t);
static uint64_t	 xhash(uint64_t, const char *, size_t);
static void	 chans_copy(struct bk_chans *, const struct bk_chset *);
static void	 chans_free(struct bk_chans *);
static size_t	 ch_slot(const struct bk_store *, size_t, const uint8_t *, size_t);
static void	 chidx_add(struct bk_store *, struct bk_sub *);
static void	 chidx_del(struct bk_store *, struct bk_sub *);
static void	 say(const struct bk_store *, void *, int, const char *, ...)
		    __attribute__((format(printf, 4, 5)));

void
bk_store_init(struct bk_store *st, const struct bk_ops *ops, uint64_t seed)
{
	memset(st, 0, sizeof(*st));
	st->ops = ops;
	st->seed = seed;
	st->next_expiry = UINT64_MAX;
	TAILQ_INIT(&st->pubs);
	TAILQ_INIT(&st->subs);
	st->tabsz = 64;
	st->tab = xcalloc(st->tabsz, sizeof(*st->tab));
	st->chtabsz = 64;
	st->chtab = xcalloc(st->chtabsz, sizeof(*st->chtab));
}

/* Connections own publications and subscriptions; this frees the agents. */
void
bk_store_clear(struct bk_store *st)
{
	struct bk_agent	*a, *n;
	size_t		 i;

	for (i = 0; i < st->tabsz; i++)
		for (a = st->tab[i]; a != NULL; a = n) {
			n = a->next;
			free(a->seen);
			free(a);
		}
	free(st->tab);
	st->tab = NULL;
	st->tabsz = st->nagents = 0;
	free(st->chtab);	/* empty: subscriptions remove their entries */
	st->chtab = NULL;
	st->chtabsz = st->nchent = 0;
}

struct bk_pub *
bk_store_publish(struct bk_store *st, struct bk_conn *c, const struct bk_req *r,
    uint64_t now_ns)
{
	struct bk_pub	*p;
	struct bk_chent	*e;
	size_t		 ch, i;

	p = xcalloc(1, sizeof(*p));
	p->id = ++st->next_pubid;
	p->conn = c;
	chans_copy(&p->ch, &r->ch);
	p->xdescr = xstrndup(r->descr, r->dlen);
	p->xlen = r->dlen;
	p->hash = xhash(st->seed, p->xdescr, p->xlen);
	p->pub_end = r->pub_end;
	if (p->pub_end < st->next_expiry)
		st->next_expiry = p->pub_end;
	TAILQ_INSERT_TAIL(&st->pubs, p, entry);
	TAILQ_INSERT_TAIL(&c->pubs, p, centry);
	st->npubs++;
	say(st, c->udata, LOG_LVL_INFO, "publication p%llu on %zu channel(s): %s",
	    (unsigned long long)p->id, p->ch.n, p->xdescr);
	/*
	 * Only the subscriptions on one of its channels, through the index,
	 * in the order of the publication's channels: a subscription reached
	 * twice is skipped by the per-agent record after the first delivery.
	 */
	for (i = 0; i < p->ch.n; i++)
		for (e = st->chtab[ch_slot(st, st->chtabsz, p->ch.id[i], p->ch.len[i])];
		    e != NULL; e = e->next)
			if (e->len == p->ch.len[i] &&
			    memcmp(e->id, p->ch.id[i], e->len) == 0 &&
			    bk_match(p, e->sub, &ch))
				deliver(st, p, e->sub, ch, now_ns);
	return p;
}

struct bk_sub *
bk_store_subscribe(struct bk_store *st, struct bk_conn *c, const struct bk_req *r,
    uint64_t now_ns)
{
	struct bk_sub	*s;
	struct bk_pub	*p;
	size_t		 ch;

	s = xcalloc(1, sizeof(*s));
	s->conn = c;
	chans_copy(&s->ch, &r->ch);
	s->dattr = xstrndup(r->descr, r->dlen);
	s->dlen = r->dlen;
	s->agent = agent_get(st, c->agent, 1);
	s->agent->nsubs++;
	TAILQ_INSERT_TAIL(&st->subs, s, entry);
	st->nsubs++;
	chidx_add(st, s);
	say(st, c->udata, LOG_LVL_INFO, "subscription on %zu channel(s), dattr "
	    "\"%s\"", s->ch.n, s->dattr);
	TAILQ_FOREACH(p, &st->pubs, entry)
		if (bk_match(p, s, &ch))
			deliver(st, p, s, ch, now_ns);
	return s;
}

void
bk_store_withdraw(struct bk_store *st, struct bk_pub *p, const char *why)
{
	say(st, p->conn->udata, LOG_LVL_INFO, "withdrew publication p%llu: %s",
	    (unsigned long long)p->id, why);
	if (p->pub_end == st->next_expiry)
		st->expiry_dirty = 1;
	TAILQ_REMOVE(&st->pubs, p, entry);
	TAILQ_REMOVE(&p->conn->pubs, p, centry);
	st->npubs--;
	chans_free(&p->ch);
	free(p->xdescr);
	free(p);
}

void
bk_store_unsubscribe(struct bk_store *st, struct bk_sub *s)
{
	TAILQ_REMOVE(&st->subs, s, entry);
	st->nsubs--;
	chidx_del(st, s);
	s->agent->nsubs--;
	agent_put(st, s->agent);
	chans_free(&s->ch);
	free(s->dattr);
	free(s);
}

uint64_t
bk_store_expire(struct bk_store *st, uint64_t now_ns)
{
	struct bk_pub	*p, *n;
	uint64_t	 next = UINT64_MAX;

	if (!st->expiry_dirty && now_ns < st->next_expiry)
		return st->next_expiry;
	for (p = TAILQ_FIRST(&st->pubs); p != NULL; p = n) {
		n = TAILQ_NEXT(p, entry);
		if (p->pub_end <= now_ns)
			bk_store_withdraw(st, p, "pub_end passed");
		else if (p->pub_end < next)
			next = p->pub_end;
	}
	st->next_expiry = next;
	st->expiry_dirty = 0;
	return next;
}

/* A channel in common (the first of P's that S has) and the dattr match. */
int
bk_match(const struct bk_pub *p, const struct bk_sub *s, size_t *chidx)
{
	size_t	 i, j;

	for (i = 0; i < p->ch.n; i++)
		for (j = 0; j < s->ch.n; j++)
			if (p->ch.len[i] == s->ch.len[j] &&
			    memcmp(p->ch.id[i], s->ch.id[j], p->ch.len[i]) == 0)
				goto shared;
	return 0;
shared:
	*chidx = i;
	return pl_nvp_match(p->xdescr, p->xlen, s->dattr, s->dlen);
}

size_t
bk_store_nagents(const struct bk_store *st)
{
	return st->nagents;
}

/* One xnotify, unless this agent key had this xdescr already or it expired. */
static void
deliver(struct bk_store *st, struct bk_pub *p, struct bk_sub *s, size_t ch,
    uint64_t now_ns)
{
	uint8_t		*m;
	size_t		 len, bodylen;
	char		 hex[65];

	if (p->pub_end <= now_ns)
		return;
	if (agent_seen(s->agent, p->hash, now_ns)) {
		say(st, s->conn->udata, LOG_LVL_DEBUG, "publication p%llu already "
		    "delivered to this agent key; not again",
		    (unsigned long long)p->id);
		return;
	}
	bodylen = 1 + p->ch.len[ch] + p->xlen;
	len = PL_HLEN + bodylen;
	m = xmalloc(len);
	pl_put32(m, ((uint32_t)PL_XNOTIFY << 24) | (uint32_t)bodylen);
	m[PL_HLEN] = p->ch.len[ch];
	memcpy(m + PL_HLEN + 1, p->ch.id[ch], p->ch.len[ch]);
	memcpy(m + PL_HLEN + 1 + p->ch.len[ch], p->xdescr, p->xlen);
	st->ops->send(s->conn->udata, m, len);
	free(m);
	agent_mark(s->agent, p->hash, p->pub_end);
	st->ndelivered++;
	pl_hex(p->ch.id[ch], p->ch.len[ch] > 8 ? 8 : p->ch.len[ch], hex);
	say(st, s->conn->udata, LOG_LVL_INFO, "delivered publication p%llu "
	    "(channel %s%s)", (unsigned long long)p->id, hex,
	    p->ch.len[ch] > 8 ? "..." : "");
}

static void
chans_copy(struct bk_chans *c, const struct bk_chset *from)
{
	c->n = from->n;
	c->len = xmalloc(from->n);
	c->id = xcalloc(from->n, sizeof(*c->id));
	memcpy(c->len, from->len, from->n);
	memcpy(c->id, from->id, from->n * sizeof(*c->id));
}

static void
chans_free(struct bk_chans *c)
{
	free(c->len);
	free(c->id);
}

static size_t
ch_slot(const struct bk_store *st, size_t sz, const uint8_t *id, size_t len)
{
	return (size_t)(xhash(st->seed, (const char *)id, len) & (sz - 1));
}

static void
chidx_add(struct bk_store *st, struct bk_sub *s)
{
	struct bk_chent	*e, *n, **tab;
	size_t		 i, k, osz;

	if (st->nchent + s->ch.n > st->chtabsz) {
		tab = st->chtab;
		osz = st->chtabsz;
		while (st->nchent + s->ch.n > st->chtabsz)
			st->chtabsz *= 2;
		st->chtab = xcalloc(st->chtabsz, sizeof(*st->chtab));
		for (i = 0; i < osz; i++)
			for (e = tab[i]; e != NULL; e = n) {
				n = e->next;
				k = ch_slot(st, st->chtabsz, e->id, e->len);
				e->next = st->chtab[k];
				st->chtab[k] = e;
			}
		free(tab);
	}
	for (i = 0; i < s->ch.n; i++) {
		e = xcalloc(1, sizeof(*e));
		e->sub = s;
		e->len = s->ch.len[i];
		memcpy(e->id, s->ch.id[i], e->len);
		k = ch_slot(st, st->chtabsz, e->id, e->len);
		e->next = st->chtab[k];
		st->chtab[k] = e;
		st->nchent++;
	}
}

static void
chidx_del(struct bk_store *st, struct bk_sub *s)
{
	struct bk_chent	**pp, *e;
	size_t		 i;

	for (i = 0; i < s->ch.n; i++) {
		pp = &st->chtab[ch_slot(st, st->chtabsz, s->ch.id[i], s->ch.len[i])];
		while ((e = *pp) != NULL) {
			if (e->sub == s) {
				*pp = e->next;
				free(e);
				st->nchent--;
			} else
				pp = &e->next;
		}
	}
}

static uint64_t
xhash(uint64_t seed, const char *s, size_t n)
{
	uint64_t	 h = 0xcbf29ce484222325ull ^ seed;
	size_t		 i;

	for (i = 0; i < n; i++) {
		h ^= (uint8_t)s[i];
		h *= 0x100000001b3ull;
	}
	h ^= n;
	h *= 0x100000001b3ull;
	return h ^ (h >> 29);
}

static size_t
agent_slot(const struct bk_store *st, const uint8_t *key)
{
	uint64_t	 h;

	memcpy(&h, key, sizeof(h));	/* keys are uniform enough */
	return (size_t)((h ^ st->seed) & (st->tabsz - 1));
}

static struct bk_agent *
agent_get(struct bk_store *st, const uint8_t *key, int create)
{
	struct bk_agent	*a, **tab, *n;
	size_t		 i, osz;

	for (a = st->tab[agent_slot(st, key)]; a != NULL; a = a->next)
		if (memcmp(a->key, key, BK_KEY_LEN) == 0)
			return a;
	if (!create)
		return NULL;
	if (st->nagents >= st->tabsz) {
		tab = st->tab;
		osz = st->tabsz;
		st->tabsz *= 2;
		st->tab = xcalloc(st->tabsz, sizeof(*st->tab));
		for (i = 0; i < osz; i++)
			for (a = tab[i]; a != NULL; a = n) {
				n = a->next;
				a->next = st->tab[agent_slot(st, a->key)];
				st->tab[agent_slot(st, a->key)] = a;
			}
		free(tab);
	}
	a = xcalloc(1, sizeof(*a));
	memcpy(a->key, key, BK_KEY_LEN);
	a->next = st->tab[agent_slot(st, key)];
	st->tab[agent_slot(st, key)] = a;
	st->nagents++;
	return a;
}

/* An agent without subscriptions and without live deliveries is forgotten. */
static void
agent_put(struct bk_store *st, struct bk_agent *a)
{
	struct bk_agent	**pp;

	if (a->nsubs > 0 || a->nseen > 0)
		return;
	for (pp = &st->tab[agent_slot(st, a->key)]; *pp != NULL; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	st->nagents--;
	free(a->seen);
	free(a);
}

static int
agent_seen(struct bk_agent *a, uint64_t hash, uint64_t now_ns)
{
	size_t	 i, k;

	for (i = 0; i < a->nseen; i++) {
		k = (a->head + i) % a->cap;
		if (a->seen[k].hash == hash && a->seen[k].pub_end > now_ns)
			return 1;
	}
	return 0;
}

/* Expired entries are dropped first, then the oldest when the ring is full. */
static void
agent_mark(struct bk_agent *a, uint64_t hash, uint64_t pub_end)
{
	if (a->nseen == a->cap && a->cap < BK_SEEN_MAX) {
		struct bk_seen	*n;
		size_t		 i, ncap = a->cap == 0 ? 4 : a->cap * 2;

		if (ncap > BK_SEEN_MAX)
			ncap = BK_SEEN_MAX;
		n = xcalloc(ncap, sizeof(*n));
		for (i = 0; i < a->nseen; i++)
			n[i] = a->seen[(a->head + i) % a->cap];
		free(a->seen);
		a->seen = n;
		a->cap = ncap;
		a->head = 0;
	}
	if (a->nseen == a->cap) {	/* full at BK_SEEN_MAX: forget the oldest */
		a->head = (a->head + 1) % a->cap;
		a->nseen--;
	}
	a->seen[(a->head + a->nseen) % a->cap].hash = hash;
	a->seen[(a->head + a->nseen) % a->cap].pub_end = pub_end;
	a->nseen++;
}

static void
say(const struct bk_store *st, void *udata, int level, const char *fmt, ...)
{
	char	 buf[BK_XDESCR_MAX + 256];
	va_list	 ap;

	if (st->ops->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	st->ops->log(udata, level, buf);
}
