/*
 * test_nvp.c: name-value pair strings: the vector file's outcomes, the
 * grammar of each kind (wildcards, empty values, bad characters, missing
 * ';', the certificate-limit '*'), duplicates, iteration, appending, glob
 * matching and the broker match.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "pktlab/nvp.h"
#include "vec.h"
#include "ctrun.h"

/* The section B "name-value" lines, whatever their form. */
START_TEST(vectors)
{
	struct vec_set	*vs = vec_load("protocol_vectors.txt");
	struct pl_nvp_err err;
	char		 buf[64];
	size_t		 i, used, n = 0, bytes;
	int		 rc, want, paircnt;

	ck_assert_ptr_nonnull(vs);
	for (i = 0; i < vs->n; i++) {
		const struct vec *v = &vs->v[i];
		enum pl_nvp_kind kind;

		if (v->kind != VEC_NVP)
			continue;
		n++;
		if (strncmp(v->desc, "xdescr {", 8) == 0) {
			/* Built from its pairs, it is the quoted string. */
			used = 0;
			ck_assert_int_eq(pl_nvp_append(buf, sizeof(buf), &used,
			    PL_NVP_XDESCR, "foo", "bar", 3), 0);
			ck_assert_int_eq(pl_nvp_append(buf, sizeof(buf), &used,
			    PL_NVP_XDESCR, "hello", "wor*d", 5), 0);
			ck_assert_int_eq(sscanf(strrchr(v->outcome, '(') + 1,
			    "%zu bytes", &bytes), 1);
			ck_assert_uint_eq(used, bytes);
			ck_assert_str_eq(buf, v->str[0]);
			ck_assert_int_eq(pl_nvp_validate(buf, used, PL_NVP_XDESCR,
			    NULL), 2);
		} else if (strncmp(v->desc, "match xdescr", 12) == 0) {
			ck_assert_int_eq(v->nstr, 2);
			want = atoi(v->outcome);
			ck_assert_msg(pl_nvp_match(v->str[0], strlen(v->str[0]),
			    v->str[1], strlen(v->str[1])) == want,
			    "line %u: %s", v->lineno, v->desc);
		} else if (strncmp(v->desc, "decode ", 7) == 0) {
			kind = strncmp(v->desc, "decode dattr", 12) == 0 ?
			    PL_NVP_DATTR : PL_NVP_XDESCR;
			rc = pl_nvp_validate(v->str[0], strlen(v->str[0]), kind,
			    &err);
			ck_assert_int_eq(sscanf(v->outcome, "rc=%d", &want), 1);
			if (want == -1) {
				/* 1.1.0's syntax error */
				ck_assert_int_eq(rc, -1);
				ck_assert_ptr_null(strstr(err.msg, "duplicate"));
			} else if (want == -2) {
				/* 1.1.0's duplicate-name error */
				ck_assert_int_eq(rc, -1);
				ck_assert_ptr_nonnull(strstr(err.msg, "duplicate"));
			} else {
				ck_assert_int_ge(rc, 0);
				if (sscanf(v->outcome, "rc=%*d paircnt=%d",
				    &paircnt) == 1)
					ck_assert_int_eq(rc, paircnt);
			}
		} else
			ck_abort_msg("line %u: unknown name-value vector", v->lineno);
	}
	ck_assert_uint_eq(n, 8);
	vec_free(vs);
}
END_TEST

#define ALLK	(-9)	/* expect the same for every kind */

static const struct gcase {
	const char	*s;
	size_t		 len;		/* 0: strlen */
	int		 kind;		/* enum pl_nvp_kind, or ALLK */
	int		 want;		/* pair count, or -1 */
	size_t		 off;		/* error offset when want == -1 */
	const char	*msg;		/* error message (prefix), or NULL */
} gcases[] = {
	{ "", 0, ALLK, 0, 0, NULL },
	{ "a=;", 0, ALLK, 1, 0, NULL },
	{ "a=1;b=;c=x;", 0, ALLK, 3, 0, NULL },
	{ "a=b", 0, ALLK, -1, 3, "missing ';' after value of \"a\"" },
	{ "a", 0, ALLK, -1, 1, "missing '=' after name \"a\"" },
	{ "a=1;b", 0, ALLK, -1, 5, "missing '=' after name \"b\"" },
	{ "=b;", 0, ALLK, -1, 0, "empty name" },
	{ "a b=c;", 0, ALLK, -1, 1, "invalid character \\x20 in name" },
	{ "a=b=c;", 0, ALLK, -1, 3, "invalid character '=' in value of \"a\"" },
	{ "a=b;;", 0, ALLK, -1, 4, "invalid character ';' in name" },
	{ "a=1;\n", 0, ALLK, -1, 4, "invalid character \\x0a in name" },
	{ "a=\0;", 4, ALLK, -1, 2, "invalid character \\x00 in value of \"a\"" },
	{ "a=\xc3\xa9;", 0, ALLK, -1, 2, "invalid character \\xc3" },
	{ "k=v;\0", 5, ALLK, -1, 4, "invalid character \\x00 in name" },
	{ "os=linux 6.1 (x86_64),[::1]/64:\t-_;", 0, ALLK, 1, 0, NULL },
	/* wildcards: values of an xdescr only */
	{ "a=x*;", 0, PL_NVP_XDESCR, 1, 0, NULL },
	{ "a=x?y;", 0, PL_NVP_XDESCR, 1, 0, NULL },
	{ "a=*;b=?;", 0, PL_NVP_XDESCR, 2, 0, NULL },
	{ "a=x*;", 0, PL_NVP_DATTR, -1, 3, "invalid character '*' in value of \"a\"" },
	{ "a=x?y;", 0, PL_NVP_DATTR, -1, 3, "invalid character '?'" },
	{ "a=x*;", 0, PL_NVP_CERTINFO, -1, 3, NULL },
	{ "a=x*;", 0, PL_NVP_CERTLIMIT, -1, 3, NULL },
	{ "a*=1;", 0, PL_NVP_XDESCR, -1, 1, "invalid character '*' in name" },
	/* a leading '*' in names of a certificate limit only */
	{ "*a=1;", 0, PL_NVP_CERTLIMIT, 1, 0, NULL },
	{ "*a=1;", 0, PL_NVP_CERTINFO, -1, 0, "invalid character '*' in name" },
	{ "*a=1;", 0, PL_NVP_DATTR, -1, 0, NULL },
	{ "*a=1;", 0, PL_NVP_XDESCR, -1, 0, NULL },
	{ "**a=1;", 0, PL_NVP_CERTLIMIT, -1, 1, "invalid character '*' in name" },
	{ "*=1;", 0, PL_NVP_CERTLIMIT, -1, 1, "empty name" },
	{ "a*=1;", 0, PL_NVP_CERTLIMIT, -1, 1, NULL },
	{ "a=1;*a=2;", 0, PL_NVP_CERTLIMIT, 2, 0, NULL },	/* different names */
	/* duplicates: rejected except in an xdescr, compared exactly */
	{ "a=1;b=2;a=3;", 0, PL_NVP_XDESCR, 3, 0, NULL },
	{ "a=1;b=2;a=3;", 0, PL_NVP_DATTR, -1, 8, "duplicate name \"a\"" },
	{ "a=1;b=2;a=3;", 0, PL_NVP_CERTINFO, -1, 8, "duplicate name \"a\"" },
	{ "*a=;*a=;", 0, PL_NVP_CERTLIMIT, -1, 4, "duplicate name \"*a\"" },
	{ "a=;a=;", 0, PL_NVP_DATTR, -1, 3, NULL },
	{ "A=1;a=1;", 0, PL_NVP_DATTR, 2, 0, NULL },
	{ "ab=1;a=1;b=1;", 0, PL_NVP_DATTR, 3, 0, NULL },
	/* the extensions a pktlab certificate carries */
	{ "cert_type=delpriv;del_type=exppriv,reppriv;cert_desc=x y;", 0,
	    PL_NVP_CERTINFO, 3, 0, NULL },
	{ "monitor=3a3dff7a;*max_burst_rate_byte=1000/1000000;"
	    "valid_dest=10.0.0.0/8,::1/128;", 0, PL_NVP_CERTLIMIT, 3, 0, NULL },
};

START_TEST(grammar)
{
	const struct gcase	*g = &gcases[_i];
	struct pl_nvp_err	 err;
	size_t			 len = g->len ? g->len : strlen(g->s);
	int			 k, r;

	for (k = PL_NVP_XDESCR; k <= PL_NVP_CERTLIMIT; k++) {
		if (g->kind != ALLK && g->kind != k)
			continue;
		memset(&err, 0, sizeof(err));
		r = pl_nvp_validate(g->s, len, k, &err);
		ck_assert_msg(r == g->want, "\"%s\" kind %d: got %d (%s), want %d",
		    g->s, k, r, err.msg, g->want);
		if (r >= 0)
			continue;
		ck_assert_msg(err.off == g->off, "\"%s\": error at %zu, want %zu",
		    g->s, err.off, g->off);
		if (g->msg != NULL)
			ck_assert_msg(strncmp(err.msg, g->msg, strlen(g->msg)) == 0,
			    "\"%s\": message \"%s\", want \"%s\"", g->s, err.msg,
			    g->msg);
		/* Without an err, the same verdict. */
		ck_assert_int_eq(pl_nvp_validate(g->s, len, k, NULL), -1);
	}
}
END_TEST

START_TEST(iteration)
{
	static const char s[] = "a=1;long_name-2=;c=x y;";
	struct pl_nvp	 p;
	struct pl_nvp_err err;
	size_t		 off = 0;

	ck_assert_int_eq(pl_nvp_next(s, strlen(s), PL_NVP_DATTR, &off, &p, &err), 1);
	ck_assert_uint_eq(p.namelen, 1);
	ck_assert_mem_eq(p.name, "a", 1);
	ck_assert_uint_eq(p.valuelen, 1);
	ck_assert_mem_eq(p.value, "1", 1);
	ck_assert_uint_eq(off, 4);
	ck_assert_int_eq(pl_nvp_next(s, strlen(s), PL_NVP_DATTR, &off, &p, &err), 1);
	ck_assert_uint_eq(p.namelen, 11);
	ck_assert_uint_eq(p.valuelen, 0);
	ck_assert_ptr_eq(p.value, s + 16);
	ck_assert_int_eq(pl_nvp_next(s, strlen(s), PL_NVP_DATTR, &off, &p, &err), 1);
	ck_assert_uint_eq(p.valuelen, 3);
	ck_assert_mem_eq(p.value, "x y", 3);
	ck_assert_int_eq(pl_nvp_next(s, strlen(s), PL_NVP_DATTR, &off, &p, &err), 0);
	ck_assert_int_eq(pl_nvp_next(s, strlen(s), PL_NVP_DATTR, &off, &p, &err), 0);

	/* An error leaves the position where the bad pair starts. */
	off = 0;
	ck_assert_int_eq(pl_nvp_next("a=1;b=*;", 8, PL_NVP_DATTR, &off, &p, NULL), 1);
	ck_assert_int_eq(pl_nvp_next("a=1;b=*;", 8, PL_NVP_DATTR, &off, &p, &err), -1);
	ck_assert_uint_eq(off, 4);
	ck_assert_uint_eq(err.off, 6);
	/* The length bounds the string: no NUL is needed or read. */
	off = 0;
	ck_assert_int_eq(pl_nvp_next("a=1;XXXX", 4, PL_NVP_DATTR, &off, &p, NULL), 1);
	ck_assert_int_eq(pl_nvp_next("a=1;XXXX", 4, PL_NVP_DATTR, &off, &p, NULL), 0);
}
END_TEST

START_TEST(find_and_count)
{
	static const char s[] = "endpoint_country=USA;sni_key=k1;endpoint_country=CAN;"
	    "endpoint_country=;";
	struct pl_nvp	 p;
	size_t		 n = strlen(s);

	ck_assert_uint_eq(pl_nvp_count(s, n, PL_NVP_XDESCR, "endpoint_country"), 3);
	ck_assert_uint_eq(pl_nvp_count(s, n, PL_NVP_XDESCR, "sni_key"), 1);
	ck_assert_uint_eq(pl_nvp_count(s, n, PL_NVP_XDESCR, "sni"), 0);
	ck_assert_uint_eq(pl_nvp_count(s, n, PL_NVP_XDESCR, "endpoint_country_x"), 0);
	ck_assert(pl_nvp_find(s, n, PL_NVP_XDESCR, "endpoint_country", 1, &p));
	ck_assert_uint_eq(p.valuelen, 3);
	ck_assert_mem_eq(p.value, "CAN", 3);
	ck_assert(pl_nvp_find(s, n, PL_NVP_XDESCR, "endpoint_country", 2, &p));
	ck_assert_uint_eq(p.valuelen, 0);
	ck_assert(!pl_nvp_find(s, n, PL_NVP_XDESCR, "endpoint_country", 3, &p));
	ck_assert(pl_nvp_find(s, n, PL_NVP_XDESCR, "sni_key", 0, NULL));
	ck_assert(!pl_nvp_find(s, n, PL_NVP_XDESCR, "SNI_KEY", 0, &p));
	ck_assert(pl_nvp_find("*x=1;x=2;", 9, PL_NVP_CERTLIMIT, "x", 0, &p));
	ck_assert_mem_eq(p.value, "2", 1);
}
END_TEST

START_TEST(append)
{
	char	 buf[32];
	size_t	 used = 0;

	memset(buf, 'Z', sizeof(buf));
	ck_assert_int_eq(pl_nvp_append(buf, sizeof(buf), &used, PL_NVP_DATTR,
	    "os", "linux", 5), 0);
	ck_assert_str_eq(buf, "os=linux;");
	ck_assert_int_eq(pl_nvp_append(buf, sizeof(buf), &used, PL_NVP_DATTR,
	    "e", NULL, 0), 0);
	ck_assert_str_eq(buf, "os=linux;e=;");
	ck_assert_uint_eq(used, 12);
	/* No duplicate in a dattr, no wildcard, no bad character, no empty name. */
	ck_assert_int_eq(pl_nvp_append(buf, sizeof(buf), &used, PL_NVP_DATTR,
	    "os", "bsd", 3), -1);
	ck_assert_int_eq(pl_nvp_append(buf, sizeof(buf), &used, PL_NVP_DATTR,
	    "v", "x*", 2), -1);
	ck_assert_int_eq(pl_nvp_append(buf, sizeof(buf), &used, PL_NVP_DATTR,
	    "v", "a;b", 3), -1);
	ck_assert_int_eq(pl_nvp_append(buf, sizeof(buf), &used, PL_NVP_DATTR,
	    "v", "a=b", 3), -1);
	ck_assert_int_eq(pl_nvp_append(buf, sizeof(buf), &used, PL_NVP_DATTR,
	    "", "x", 1), -1);
	ck_assert_int_eq(pl_nvp_append(buf, sizeof(buf), &used, PL_NVP_DATTR,
	    "a=b", "x", 1), -1);
	ck_assert_int_eq(pl_nvp_append(buf, sizeof(buf), &used, PL_NVP_DATTR,
	    "*a", "x", 1), -1);
	ck_assert_int_eq(pl_nvp_append(buf, sizeof(buf), &used, PL_NVP_DATTR,
	    "v", "a\0b", 3), -1);
	ck_assert_uint_eq(used, 12);
	ck_assert_str_eq(buf, "os=linux;e=;");

	/* Exactly filling the buffer leaves no room for the NUL, and is fine. */
	ck_assert_int_eq(pl_nvp_append(buf, sizeof(buf), &used, PL_NVP_DATTR,
	    "k", "0123456789abcdefg", 17), 0);
	ck_assert_uint_eq(used, 32);
	ck_assert_mem_eq(buf, "os=linux;e=;k=0123456789abcdefg;", 32);
	ck_assert_int_eq(pl_nvp_append(buf, sizeof(buf), &used, PL_NVP_DATTR,
	    "z", "", 0), -1);
	ck_assert_int_eq(pl_nvp_validate(buf, used, PL_NVP_DATTR, NULL), 3);

	/* One byte too many does not fit and changes nothing. */
	used = 0;
	memset(buf, 'Z', sizeof(buf));
	ck_assert_int_eq(pl_nvp_append(buf, 4, &used, PL_NVP_XDESCR, "ab",
	    "c", 1), -1);
	ck_assert_uint_eq(used, 0);
	ck_assert_uint_eq(buf[0], 'Z');
	ck_assert_int_eq(pl_nvp_append(buf, 5, &used, PL_NVP_XDESCR, "ab",
	    "", 0), 0);
	ck_assert_str_eq(buf, "ab=;");
	/* An xdescr takes duplicates and wildcards. */
	ck_assert_int_eq(pl_nvp_append(buf, sizeof(buf), &used, PL_NVP_XDESCR,
	    "ab", "F?3*", 4), 0);
	ck_assert_str_eq(buf, "ab=;ab=F?3*;");
	/* A certificate limit takes one leading '*'. */
	used = 0;
	ck_assert_int_eq(pl_nvp_append(buf, sizeof(buf), &used, PL_NVP_CERTLIMIT,
	    "*opt", "1", 1), 0);
	ck_assert_int_eq(pl_nvp_append(buf, sizeof(buf), &used, PL_NVP_CERTLIMIT,
	    "opt", "1", 1), 0);
	ck_assert_int_eq(pl_nvp_append(buf, sizeof(buf), &used, PL_NVP_CERTLIMIT,
	    "*opt", "2", 1), -1);
	ck_assert_int_eq(pl_nvp_append(buf, sizeof(buf), &used, PL_NVP_CERTLIMIT,
	    "**x", "2", 1), -1);
	ck_assert_int_eq(pl_nvp_append(buf, sizeof(buf), &used, PL_NVP_CERTLIMIT,
	    "*", "2", 1), -1);
	ck_assert_str_eq(buf, "*opt=1;opt=1;");
}
END_TEST

static const struct globcase {
	const char	*pat, *s;
	int		 want;
} globs[] = {
	{ "", "", 1 }, { "", "a", 0 }, { "*", "", 1 }, { "*", "abc", 1 },
	{ "**", "x", 1 }, { "?", "", 0 }, { "?", "a", 1 }, { "?", "ab", 0 },
	{ "*?", "", 0 }, { "*?", "a", 1 }, { "abc", "abc", 1 }, { "abc", "ab", 0 },
	{ "ab", "abc", 0 }, { "a?c", "abc", 1 }, { "a?c", "ac", 0 },
	{ "a*c", "ac", 1 }, { "a*c", "abbbc", 1 }, { "a*c", "abbbd", 0 },
	{ "*a", "ba", 1 }, { "*a", "ab", 0 }, { "a*b*c", "aXbYc", 1 },
	{ "a*b*c", "aXcYb", 0 }, { "*ab*ab*", "xxabyyab", 1 },
	{ "*ab*ab", "xxabyyabab", 1 }, { "*ab*ab", "xxabyyaba", 0 },
	{ "lin*", "linux", 1 }, { "lin*", "Linux", 0 }, { "FN3?", "FN31", 1 },
	{ "FN*", "FN31pr", 1 }, { "*.example.*", "www.example.com", 1 },
};

START_TEST(glob)
{
	const struct globcase *g = &globs[_i];

	ck_assert_msg(pl_nvp_glob(g->pat, strlen(g->pat), g->s, strlen(g->s)) ==
	    g->want, "\"%s\" vs \"%s\"", g->pat, g->s);
}
END_TEST

/* Matching the worst patterns stays polynomial (no exponential backtracking). */
START_TEST(glob_worst_case)
{
	static char	 s[20001], pat[41];
	clock_t		 t0 = clock();

	memset(s, 'a', 20000);
	for (int i = 0; i < 20; i++) {
		pat[2 * i] = '*';
		pat[2 * i + 1] = 'a';
	}
	pat[39] = 'b';
	ck_assert(!pl_nvp_glob(pat, 40, s, 20000));
	ck_assert(pl_nvp_glob(pat, 39, s, 20000));
	ck_assert_msg(clock() - t0 < 5 * CLOCKS_PER_SEC, "glob took too long");
}
END_TEST

static const struct matchcase {
	const char	*xdescr, *dattr;
	int		 want;
} matches[] = {
	{ "", "", 1 },
	{ "os=win;", "", 1 },			/* empty dattr matches */
	{ "", "os=linux;", 1 },			/* xdescr names nothing */
	{ "hostid=ep1;", "os=linux;", 1 },	/* names the dattr lacks do not count */
	{ "os=lin*;", "os=linux;", 1 },
	{ "os=win;", "os=linux;", 0 },
	{ "c=USA;c=CAN;", "c=CAN;", 1 },	/* any pair of that name */
	{ "c=USA;c=CAN;", "c=MEX;", 0 },
	{ "os=lin*;c=US?;", "os=linux;c=USA;", 1 },
	{ "os=lin*;c=US?;", "os=linux;c=CAN;", 0 },	/* every dattr pair */
	{ "os=lin*;", "os=linux;c=CAN;", 1 },
	{ "os=;", "os=;", 1 },
	{ "os=*;", "os=;", 1 },
	{ "os=?;", "os=;", 0 },
	{ "OS=win;", "os=linux;", 1 },		/* names are case-sensitive */
	/* malformed never matches */
	{ "os=lin*", "os=linux;", 0 },
	{ "os=lin*;", "os=linux", 0 },
	{ "os=lin*;", "os=lin*;", 0 },		/* wildcard in a dattr */
	{ "os=linux;", "os=linux;os=linux;", 0 },	/* duplicate in a dattr */
	{ "=x;", "", 0 },
};

START_TEST(match)
{
	const struct matchcase *m = &matches[_i];

	ck_assert_msg(pl_nvp_match(m->xdescr, strlen(m->xdescr), m->dattr,
	    strlen(m->dattr)) == m->want, "\"%s\" vs \"%s\"", m->xdescr, m->dattr);
}
END_TEST

/*
 * The duplicate-rejecting kinds hold PL_NVP_UNIQUE_MAX pairs; an xdescr is
 * unbounded.  Checking and matching big strings stays fast.
 */
START_TEST(limits_and_speed)
{
	size_t	 dcap = PL_NVP_UNIQUE_MAX * 16 + 64, xcap = 200000 * 12;
	char	*d = malloc(dcap), *x = malloc(xcap), name[16];
	size_t	 dlen = 0, xlen = 0;
	clock_t	 t0 = clock();
	int	 i;

	ck_assert(d != NULL && x != NULL);
	for (i = 0; i < PL_NVP_UNIQUE_MAX; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		ck_assert_int_eq(pl_nvp_append(d, dcap, &dlen, PL_NVP_DATTR,
		    name, "v", 1), 0);
	}
	ck_assert_int_eq(pl_nvp_validate(d, dlen, PL_NVP_DATTR, NULL),
	    PL_NVP_UNIQUE_MAX);
	ck_assert_int_eq(pl_nvp_append(d, dcap, &dlen, PL_NVP_DATTR, "one_more",
	    "v", 1), -1);
	memcpy(d + dlen, "x=1;", 4);
	{
		struct pl_nvp_err err;

		ck_assert_int_eq(pl_nvp_validate(d, dlen + 4, PL_NVP_DATTR, &err), -1);
		ck_assert_str_eq(err.msg, "more than 512 pairs");
		ck_assert_uint_eq(err.off, dlen);
	}
	/* An xdescr with 200000 pairs, every name also in the dattr. */
	for (i = 0; i < 200000; i++) {
		snprintf(name, sizeof(name), "n%d", i % PL_NVP_UNIQUE_MAX);
		ck_assert_int_eq(pl_nvp_append(x, xcap, &xlen, PL_NVP_XDESCR,
		    name, i >= 200000 - PL_NVP_UNIQUE_MAX ? "?" : "w", 1), 0);
	}
	ck_assert_int_eq(pl_nvp_validate(x, xlen, PL_NVP_XDESCR, NULL), 200000);
	/* Only the last 512 pairs, one per name, match the dattr's "v". */
	ck_assert_int_eq(pl_nvp_match(x, xlen, d, dlen), 1);
	x[xlen - 2] = 'w';
	ck_assert_int_eq(pl_nvp_match(x, xlen, d, dlen), 0);
	ck_assert_msg(clock() - t0 < 5 * CLOCKS_PER_SEC, "took too long");
	free(d);
	free(x);
}
END_TEST

START_TEST(char_classes)
{
	int	 c, names = 0, dvals = 0, xvals = 0;

	for (c = 0; c < 256; c++) {
		names += pl_nvp_name_char(c);
		dvals += pl_nvp_value_char(c, PL_NVP_DATTR);
		xvals += pl_nvp_value_char(c, PL_NVP_XDESCR);
		ck_assert_int_eq(pl_nvp_value_char(c, PL_NVP_DATTR),
		    pl_nvp_value_char(c, PL_NVP_CERTINFO));
		ck_assert_int_eq(pl_nvp_value_char(c, PL_NVP_DATTR),
		    pl_nvp_value_char(c, PL_NVP_CERTLIMIT));
	}
	ck_assert_int_eq(names, 26 + 26 + 10 + 2);
	ck_assert_int_eq(dvals, names + 10);	/* . : [ ] , / ( ) space tab */
	ck_assert_int_eq(xvals, dvals + 2);	/* * ? */
	ck_assert(!pl_nvp_name_char('='));
	ck_assert(!pl_nvp_value_char('=', PL_NVP_XDESCR));
	ck_assert(!pl_nvp_value_char(';', PL_NVP_XDESCR));
	ck_assert(!pl_nvp_value_char('\0', PL_NVP_XDESCR));
	ck_assert(pl_nvp_value_char('\t', PL_NVP_DATTR));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("nvp");
	TCase	*tc = tcase_create("nvp");

	tcase_add_test(tc, vectors);
	tcase_add_loop_test(tc, grammar, 0, (int)(sizeof(gcases) / sizeof(gcases[0])));
	tcase_add_test(tc, iteration);
	tcase_add_test(tc, find_and_count);
	tcase_add_test(tc, append);
	tcase_add_loop_test(tc, glob, 0, (int)(sizeof(globs) / sizeof(globs[0])));
	tcase_add_test(tc, glob_worst_case);
	tcase_add_loop_test(tc, match, 0, (int)(sizeof(matches) / sizeof(matches[0])));
	tcase_add_test(tc, limits_and_speed);
	tcase_add_test(tc, char_classes);
	suite_add_tcase(s, tc);

	return ct_run(s);
}
