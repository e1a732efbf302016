/*
 * kv.c: the "Key Value" configuration lexer and the typed value parsers
 * (see kv.h for the accepted syntax and how it differs from 1.1.0).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "conf/kv.h"

static int	kv_blank(int c);
static size_t	kv_line_end(const struct pl_kv_lexer *lx, size_t *next);

void
pl_kv_init(struct pl_kv_lexer *lx, const char *buf, size_t len)
{
	lx->buf = buf;
	lx->len = len;
	lx->off = 0;
	lx->line = 0;
	/* A byte-order mark is what some editors put before the first key. */
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		lx->off = 3;
}

static int
kv_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* End of the current line (excluding LF); *next is where the next one starts. */
static size_t
kv_line_end(const struct pl_kv_lexer *lx, size_t *next)
{
	const char	*nl;

	nl = memchr(lx->buf + lx->off, '\n', lx->len - lx->off);
	if (nl == NULL) {
		*next = lx->len;
		return lx->len;
	}
	*next = (size_t)(nl - lx->buf) + 1;
	return (size_t)(nl - lx->buf);
}

int
pl_kv_next(struct pl_kv_lexer *lx, struct pl_kv *kv, char *why, size_t whylen)
{
	size_t		 start, end, next, i, k;
	unsigned char	 c;

	while (lx->off < lx->len) {
		lx->line++;
		end = kv_line_end(lx, &next);
		start = lx->off;
		lx->off = next;

		if (end > start && lx->buf[end - 1] == '\r')
			end--;
		while (start < end && kv_blank(lx->buf[start]))
			start++;
		while (end > start && kv_blank(lx->buf[end - 1]))
			end--;
		if (start == end || lx->buf[start] == '#')
			continue;

		for (i = start; i < end; i++) {
			c = (unsigned char)lx->buf[i];
			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				snprintf(why, whylen, "control character 0x%02x at column %zu",
				    c, i - start + 1);
				return -1;
			}
		}
		for (k = start; k < end && !kv_blank(lx->buf[k]); k++)
			;
		kv->key = lx->buf + start;
		kv->keylen = k - start;
		while (k < end && kv_blank(lx->buf[k]))
			k++;
		kv->val = lx->buf + k;
		kv->vallen = end - k;
		kv->line = lx->line;
		return 1;
	}
	return 0;
}

int
pl_kv_is(const struct pl_kv *kv, const char *name)
{
	return strlen(name) == kv->keylen && memcmp(kv->key, name, kv->keylen) == 0;
}

int
pl_val_bool(const char *s, size_t n, int *out, char *why, size_t whylen)
{
	char	 q[PL_QUOTE_MAX];

	if (n == 1 && (s[0] == '0' || s[0] == '1')) {
		*out = s[0] - '0';
		return 0;
	}
	snprintf(why, whylen, "%s: expected 0 or 1", pl_val_quote(s, n, q, sizeof(q)));
	return -1;
}

int
pl_val_u64(const char *s, size_t n, uint64_t *out, char *why, size_t whylen)
{
	char		 q[PL_QUOTE_MAX];
	uint64_t	 v = 0;
	size_t		 i;
	unsigned	 d;

	if (n == 0) {
		snprintf(why, whylen, "empty number");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			snprintf(why, whylen, "%s: expected an unsigned decimal number",
			    pl_val_quote(s, n, q, sizeof(q)));
			return -1;
		}
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10) {
			snprintf(why, whylen, "%s: number too large (the maximum is %ju)",
			    pl_val_quote(s, n, q, sizeof(q)), (uintmax_t)UINT64_MAX);
			return -1;
		}
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
pl_val_duration(const char *s, size_t n, uint64_t *ns, char *why, size_t whylen)
{
	static const struct {
		const char	*name;
		uint64_t	 mult;
	} units[] = {
		{ "ns", 1 },
		{ "us", 1000 },
		{ "ms", 1000000 },
		{ "s", 1000000000 },
	};
	char		 q[PL_QUOTE_MAX];
	uint64_t	 v, mult = 1;
	size_t		 digits, i;

	for (digits = 0; digits < n && s[digits] >= '0' && s[digits] <= '9'; digits++)
		;
	if (digits < n) {
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (strlen(units[i].name) == n - digits &&
			    memcmp(units[i].name, s + digits, n - digits) == 0)
				break;
		}
		if (digits == 0 || i == sizeof(units) / sizeof(units[0])) {
			snprintf(why, whylen, "%s: expected a number of nanoseconds, "
			    "optionally with a unit ns, us, ms or s",
			    pl_val_quote(s, n, q, sizeof(q)));
			return -1;
		}
		mult = units[i].mult;
	}
	if (pl_val_u64(s, digits, &v, why, whylen) == -1)
		return -1;
	if (v > UINT64_MAX / mult) {
		snprintf(why, whylen, "%s: duration too large",
		    pl_val_quote(s, n, q, sizeof(q)));
		return -1;
	}
	*ns = v * mult;
	return 0;
}

int
pl_val_list_next(const char *s, size_t n, size_t *off, const char **elem, size_t *elen)
{
	const char	*comma;
	size_t		 start = *off;

	if (start > n)
		return 0;
	comma = memchr(s + start, ',', n - start);
	*elem = s + start;
	if (comma == NULL) {
		*elen = n - start;
		*off = n + 1;
	} else {
		*elen = (size_t)(comma - s) - start;
		*off = (size_t)(comma - s) + 1;
	}
	return 1;
}

int
pl_val_list_check(const char *s, size_t n, char *why, size_t whylen)
{
	char		 q[PL_QUOTE_MAX];
	const char	*e;
	size_t		 off = 0, elen;
	int		 cnt = 0;

	while (pl_val_list_next(s, n, &off, &e, &elen)) {
		cnt++;
		if (elen == 0) {
			snprintf(why, whylen, "element %d of the list is empty", cnt);
			return -1;
		}
		if (kv_blank(e[0]) || kv_blank(e[elen - 1])) {
			snprintf(why, whylen, "list element %s has white space around it "
			    "(write the list without spaces after ',')",
			    pl_val_quote(e, elen, q, sizeof(q)));
			return -1;
		}
	}
	return cnt;
}

char *
pl_val_charname(int c, char out[16])
{
	unsigned char	 u = (unsigned char)c;

	if (u >= 0x20 && u < 0x7f)
		snprintf(out, 16, "character '%c'", u);
	else
		snprintf(out, 16, "byte 0x%02x", u);
	return out;
}

char *
pl_val_quote(const char *s, size_t n, char *out, size_t outlen)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, o = 0, cut = n;
	unsigned char		 c;

	if (outlen < 8) {
		if (outlen > 0)
			out[0] = '\0';
		return out;
	}
	/* Room for quotes, "...", a \xHH and the NUL. */
	if (cut > 60)
		cut = 56;
	out[o++] = '"';
	for (i = 0; i < cut && o + 10 < outlen; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			out[o++] = (char)c;
		else if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}
