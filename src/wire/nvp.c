/*
 * nvp.c: name-value pair strings (protocol spec §10, certs spec §2.2):
 * the grammar of each kind, iteration, validation with the duplicate rule,
 * appending, wildcard matching and the broker match (§10.2).
 *
 * Duplicate names are found with a small open-addressing table on the
 * stack, so validating a descriptor that came from a peer stays linear in
 * its length and never allocates; the price is a cap, PL_NVP_UNIQUE_MAX,
 * on the pairs of the kinds that reject duplicates.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pktlab/nvp.h"

#define TAB_SLOTS	(2 * PL_NVP_UNIQUE_MAX)	/* power of two, load <= 1/2 */

/* The distinct names of a string (and, for matching, their values). */
struct nametab {
	uint16_t	 slot[TAB_SLOTS];	/* entry index + 1, 0 = free */
	struct pl_nvp	 e[PL_NVP_UNIQUE_MAX];
	size_t		 n;
};

static int	 dup_kind(enum pl_nvp_kind);
static int	 fail(struct pl_nvp_err *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static const char *show(int, char [8]);
static uint32_t	 hash(const char *, size_t);
static int	 tab_add(struct nametab *, const struct pl_nvp *);
static long	 tab_find(const struct nametab *, const char *, size_t);
static int	 name_valid(const char *, size_t, enum pl_nvp_kind);

int
pl_nvp_name_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int
pl_nvp_value_char(int c, enum pl_nvp_kind kind)
{
	if (pl_nvp_name_char(c))
		return 1;
	switch (c) {
	case '.': case ':': case '[': case ']': case ',': case '/':
	case '(': case ')': case ' ': case '\t':
		return 1;
	case '*': case '?':
		return kind == PL_NVP_XDESCR;
	}
	return 0;
}

int
pl_nvp_next(const char *s, size_t len, enum pl_nvp_kind kind, size_t *off,
    struct pl_nvp *out, struct pl_nvp_err *err)
{
	size_t	 i = *off, start = *off, nstart;
	char	 cb[8];

	if (i >= len)
		return 0;
	if (kind == PL_NVP_CERTLIMIT && s[i] == '*')
		i++;
	nstart = i;
	while (i < len && pl_nvp_name_char((unsigned char)s[i]))
		i++;
	if (i == len)
		return fail(err, i, "missing '=' after name \"%.*s\"",
		    (int)(i - start > 24 ? 24 : i - start), s + start);
	if (s[i] != '=')
		return fail(err, i, "invalid character %s in name",
		    show((unsigned char)s[i], cb));
	if (i == nstart)
		return fail(err, i, "empty name");
	out->name = s + start;
	out->namelen = i - start;
	i++;
	out->value = s + i;
	while (i < len && pl_nvp_value_char((unsigned char)s[i], kind))
		i++;
	if (i == len)
		return fail(err, i, "missing ';' after value of \"%.*s\"",
		    (int)(out->namelen > 24 ? 24 : out->namelen), out->name);
	if (s[i] != ';')
		return fail(err, i, "invalid character %s in value of \"%.*s\"",
		    show((unsigned char)s[i], cb),
		    (int)(out->namelen > 24 ? 24 : out->namelen), out->name);
	out->valuelen = (size_t)(s + i - out->value);
	*off = i + 1;
	return 1;
}

int
pl_nvp_validate(const char *s, size_t len, enum pl_nvp_kind kind,
    struct pl_nvp_err *err)
{
	struct nametab	 tab;
	struct pl_nvp	 p;
	size_t		 off = 0, at;
	int		 r, cnt = 0;

	tab.n = 0;
	if (dup_kind(kind))
		memset(tab.slot, 0, sizeof(tab.slot));
	for (;;) {
		at = off;
		if ((r = pl_nvp_next(s, len, kind, &off, &p, err)) <= 0)
			break;
		if (cnt == INT_MAX)
			return fail(err, at, "too many pairs");
		cnt++;
		if (!dup_kind(kind))
			continue;
		switch (tab_add(&tab, &p)) {
		case 0:
			return fail(err, at, "duplicate name \"%.*s\"",
			    (int)(p.namelen > 24 ? 24 : p.namelen), p.name);
		case -1:
			return fail(err, at, "more than %d pairs",
			    PL_NVP_UNIQUE_MAX);
		}
	}
	return r < 0 ? -1 : cnt;
}

int
pl_nvp_find(const char *s, size_t len, enum pl_nvp_kind kind, const char *name,
    unsigned n, struct pl_nvp *out)
{
	struct pl_nvp	 p;
	size_t		 off = 0, nl = strlen(name);

	while (pl_nvp_next(s, len, kind, &off, &p, NULL) == 1) {
		if (p.namelen != nl || memcmp(p.name, name, nl) != 0)
			continue;
		if (n-- == 0) {
			if (out != NULL)
				*out = p;
			return 1;
		}
	}
	return 0;
}

unsigned
pl_nvp_count(const char *s, size_t len, enum pl_nvp_kind kind, const char *name)
{
	struct pl_nvp	 p;
	size_t		 off = 0, nl = strlen(name);
	unsigned	 cnt = 0;

	while (pl_nvp_next(s, len, kind, &off, &p, NULL) == 1)
		if (p.namelen == nl && memcmp(p.name, name, nl) == 0)
			cnt++;
	return cnt;
}

int
pl_nvp_append(char *buf, size_t bufsz, size_t *used, enum pl_nvp_kind kind,
    const char *name, const char *value, size_t valuelen)
{
	size_t	 nl = strlen(name), need, i;
	int	 have;

	if (!name_valid(name, nl, kind) || (valuelen > 0 && value == NULL))
		return -1;
	for (i = 0; i < valuelen; i++)
		if (!pl_nvp_value_char((unsigned char)value[i], kind))
			return -1;
	if (*used > bufsz || nl + valuelen + 2 < nl ||
	    bufsz - *used < nl + valuelen + 2)
		return -1;
	if (dup_kind(kind)) {
		/* Keep the string valid for its kind: no duplicate, no overflow. */
		if ((have = pl_nvp_validate(buf, *used, kind, NULL)) < 0 ||
		    have >= PL_NVP_UNIQUE_MAX ||
		    pl_nvp_count(buf, *used, kind, name) != 0)
			return -1;
	}
	need = nl + valuelen + 2;
	memcpy(buf + *used, name, nl);
	buf[*used + nl] = '=';
	if (valuelen > 0)
		memcpy(buf + *used + nl + 1, value, valuelen);
	buf[*used + need - 1] = ';';
	*used += need;
	if (*used < bufsz)
		buf[*used] = '\0';
	return 0;
}

/*
 * Greedy matching with one backtrack point, the last '*': on a mismatch
 * that star swallows one more character.  Linear space, O(p*s) time.
 */
int
pl_nvp_glob(const char *pat, size_t patlen, const char *s, size_t slen)
{
	size_t	 p = 0, i = 0, star_p = 0, star_i = 0;
	int	 have_star = 0;

	while (i < slen) {
		if (p < patlen && pat[p] == '*') {
			have_star = 1;
			star_p = ++p;
			star_i = i;
		} else if (p < patlen && (pat[p] == '?' || pat[p] == s[i])) {
			p++;
			i++;
		} else if (have_star) {
			p = star_p;
			i = ++star_i;
		} else
			return 0;
	}
	while (p < patlen && pat[p] == '*')
		p++;
	return p == patlen;
}

/*
 * Every dattr pair must be matched by some xdescr pair of the same name,
 * unless the xdescr does not mention that name at all.
 */
int
pl_nvp_match(const char *xdescr, size_t xlen, const char *dattr, size_t dlen)
{
	struct nametab	 tab;
	uint8_t		 seen[PL_NVP_UNIQUE_MAX], ok[PL_NVP_UNIQUE_MAX];
	struct pl_nvp	 p;
	size_t		 off = 0, i;
	long		 k;

	if (pl_nvp_validate(xdescr, xlen, PL_NVP_XDESCR, NULL) < 0 ||
	    pl_nvp_validate(dattr, dlen, PL_NVP_DATTR, NULL) < 0)
		return 0;
	memset(tab.slot, 0, sizeof(tab.slot));
	tab.n = 0;
	while (pl_nvp_next(dattr, dlen, PL_NVP_DATTR, &off, &p, NULL) == 1)
		(void)tab_add(&tab, &p);
	memset(seen, 0, tab.n);
	memset(ok, 0, tab.n);
	off = 0;
	while (pl_nvp_next(xdescr, xlen, PL_NVP_XDESCR, &off, &p, NULL) == 1) {
		if ((k = tab_find(&tab, p.name, p.namelen)) < 0 || ok[k])
			continue;
		seen[k] = 1;
		ok[k] = (uint8_t)pl_nvp_glob(p.value, p.valuelen,
		    tab.e[k].value, tab.e[k].valuelen);
	}
	for (i = 0; i < tab.n; i++)
		if (seen[i] && !ok[i])
			return 0;
	return 1;
}

static int
dup_kind(enum pl_nvp_kind kind)
{
	return kind != PL_NVP_XDESCR;
}

static int
fail(struct pl_nvp_err *err, size_t off, const char *fmt, ...)
{
	va_list	 ap;

	if (err != NULL) {
		err->off = off;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A character for an error message: 'x', or \xHH when not printable. */
static const char *
show(int c, char buf[8])
{
	if (c > 0x20 && c < 0x7f)
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "\\x%02x", c);
	return buf;
}

/* FNV-1a: the table only needs a cheap, well-spread key. */
static uint32_t
hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t	 i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

/* 1 added, 0 already there, -1 table full. */
static int
tab_add(struct nametab *t, const struct pl_nvp *p)
{
	size_t	 i = hash(p->name, p->namelen) & (TAB_SLOTS - 1);
	uint16_t k;

	while ((k = t->slot[i]) != 0) {
		if (t->e[k - 1].namelen == p->namelen &&
		    memcmp(t->e[k - 1].name, p->name, p->namelen) == 0)
			return 0;
		i = (i + 1) & (TAB_SLOTS - 1);
	}
	if (t->n == PL_NVP_UNIQUE_MAX)
		return -1;
	t->e[t->n] = *p;
	t->slot[i] = (uint16_t)(++t->n);
	return 1;
}

static long
tab_find(const struct nametab *t, const char *name, size_t len)
{
	size_t	 i = hash(name, len) & (TAB_SLOTS - 1);
	uint16_t k;

	while ((k = t->slot[i]) != 0) {
		if (t->e[k - 1].namelen == len &&
		    memcmp(t->e[k - 1].name, name, len) == 0)
			return k - 1;
		i = (i + 1) & (TAB_SLOTS - 1);
	}
	return -1;
}

static int
name_valid(const char *name, size_t len, enum pl_nvp_kind kind)
{
	size_t	 i = 0;

	if (kind == PL_NVP_CERTLIMIT && len > 0 && name[0] == '*')
		i = 1;
	if (i == len)
		return 0;
	for (; i < len; i++)
		if (!pl_nvp_name_char((unsigned char)name[i]))
			return 0;
	return 1;
}
