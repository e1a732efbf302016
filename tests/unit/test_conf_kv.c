/*
 * test_conf_kv.c: the "Key Value" lexer and the typed value parsers
 * (src/conf/kv.c).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/kv.h"
#include "credtest.h"

/* Lex all of text into "key=value@line|" items, or "ERR@line:why|". */
static void
lex_all(const char *text, size_t len, char *out, size_t outlen)
{
	struct pl_kv_lexer	 lx;
	struct pl_kv		 kv;
	char			 why[256];
	size_t			 used = 0;
	int			 r;

	out[0] = '\0';
	pl_kv_init(&lx, text, len);
	while ((r = pl_kv_next(&lx, &kv, why, sizeof(why))) != 0) {
		if (r == -1)
			used += (size_t)snprintf(out + used, outlen - used, "ERR@%u:%s|",
			    lx.line, why);
		else
			used += (size_t)snprintf(out + used, outlen - used, "%.*s=%.*s@%u|",
			    (int)kv.keylen, kv.key, (int)kv.vallen, kv.val, kv.line);
		ck_assert_uint_lt(used, outlen);
	}
}

static const struct {
	const char	*in;
	const char	*want;
} lex_cases[] = {
	{ "", "" },
	{ "\n\n\n", "" },
	{ "A 1", "A=1@1|" },
	{ "A 1\nB 2\n", "A=1@1|B=2@2|" },
	/* CRLF and trailing blanks are trimmed; 1.1.0 kept them. */
	{ "A 1\r\nB  two words \t\r\n", "A=1@1|B=two words@2|" },
	/* Separator: any run of spaces and tabs; internal blanks are kept. */
	{ "Key\t \tv a\tl", "Key=v a\tl@1|" },
	/* Comments: whole lines only, also indented; '#' inside a value stays. */
	{ "# c\n  # indented\nA x#y\n#B 2", "A=x#y@3|" },
	/* Indented directives are directives. */
	{ "   A 1", "A=1@1|" },
	/* A key alone has an empty value; the directive table judges it. */
	{ "A\nB   \n", "A=@1|B=@2|" },
	/* Blank lines still count. */
	{ "\n \t \n\r\nA 1", "A=1@4|" },
	/* A UTF-8 byte-order mark before the first key is skipped. */
	{ "\xEF\xBB\xBF" "A 1", "A=1@1|" },
	/* Control characters inside a directive are errors; lexing goes on. */
	{ "A 1\x01\nB 2", "ERR@1:control character 0x01 at column 4|B=2@2|" },
	{ "A a\rb\n", "ERR@1:control character 0x0d at column 4|" },
	{ "A \x7f", "ERR@1:control character 0x7f at column 3|" },
	/* ... but not inside comments. */
	{ "# \x01\x02\nA 1", "A=1@2|" },
	/* Values keep ':', ',', ';', '=' (ExpExec). */
	{ "ExpExec 0:k:a,b:c::x=1;y=h:2;", "ExpExec=0:k:a,b:c::x=1;y=h:2;@1|" },
};

START_TEST(test_lex_table)
{
	char	 out[1024];

	lex_all(lex_cases[_i].in, strlen(lex_cases[_i].in), out, sizeof(out));
	ck_assert_msg(strcmp(out, lex_cases[_i].want) == 0, "case %d: got \"%s\" want \"%s\"",
	    _i, out, lex_cases[_i].want);
}
END_TEST

START_TEST(test_lex_nul)
{
	static const char	 text[] = "A 1\nB x\0y\nC 3";
	char			 out[256];

	lex_all(text, sizeof(text) - 1, out, sizeof(out));
	ck_assert_str_eq(out, "A=1@1|ERR@2:control character 0x00 at column 4|C=3@3|");
}
END_TEST

/* 1.1.0 split lines at 4095 bytes; ours have no limit. */
START_TEST(test_lex_long_line)
{
	struct pl_kv_lexer	 lx;
	struct pl_kv		 kv;
	char			 why[128], *text;
	size_t			 n = 200000, i;

	text = malloc(n + 16);
	ck_assert_ptr_nonnull(text);
	memcpy(text, "Long ", 5);
	for (i = 5; i < n; i++)
		text[i] = (char)('a' + i % 26);
	memcpy(text + n, "\nNext 1\n", 8);
	pl_kv_init(&lx, text, n + 8);
	ck_assert_int_eq(pl_kv_next(&lx, &kv, why, sizeof(why)), 1);
	ck_assert_uint_eq(kv.vallen, n - 5);
	ck_assert_int_eq(pl_kv_is(&kv, "Long"), 1);
	ck_assert_int_eq(pl_kv_next(&lx, &kv, why, sizeof(why)), 1);
	ck_assert_int_eq(pl_kv_is(&kv, "Next"), 1);
	ck_assert_uint_eq(kv.line, 2);
	ck_assert_int_eq(pl_kv_next(&lx, &kv, why, sizeof(why)), 0);
	free(text);
}
END_TEST

START_TEST(test_kv_is)
{
	struct pl_kv	 kv = { "PubPeriod", 9, "1", 1, 1 };

	ck_assert_int_eq(pl_kv_is(&kv, "PubPeriod"), 1);
	ck_assert_int_eq(pl_kv_is(&kv, "pubperiod"), 0);
	ck_assert_int_eq(pl_kv_is(&kv, "PubPerio"), 0);
	ck_assert_int_eq(pl_kv_is(&kv, "PubPeriods"), 0);
}
END_TEST

START_TEST(test_val_bool)
{
	char	 why[128];
	int	 b = -1;

	ck_assert_int_eq(pl_val_bool("0", 1, &b, why, sizeof(why)), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(pl_val_bool("1", 1, &b, why, sizeof(why)), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(pl_val_bool("yes", 3, &b, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "\"yes\": expected 0 or 1");
	ck_assert_int_eq(pl_val_bool("01", 2, &b, why, sizeof(why)), -1);
	ck_assert_int_eq(pl_val_bool("", 0, &b, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "\"\": expected 0 or 1");
}
END_TEST

START_TEST(test_val_u64)
{
	char		 why[128];
	uint64_t	 v = 0;

	ck_assert_int_eq(pl_val_u64("0", 1, &v, why, sizeof(why)), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(pl_val_u64("31536000000000000", 17, &v, why, sizeof(why)), 0);
	ck_assert_uint_eq(v, 31536000000000000ull);
	ck_assert_int_eq(pl_val_u64("18446744073709551615", 20, &v, why, sizeof(why)), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(pl_val_u64("18446744073709551616", 20, &v, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "\"18446744073709551616\": number too large "
	    "(the maximum is 18446744073709551615)");
	/* 1.1.0's strtoull took a sign: -1 became 2^64-1. */
	ck_assert_int_eq(pl_val_u64("-1", 2, &v, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "\"-1\": expected an unsigned decimal number");
	ck_assert_int_eq(pl_val_u64("+1", 2, &v, why, sizeof(why)), -1);
	ck_assert_int_eq(pl_val_u64("0x10", 4, &v, why, sizeof(why)), -1);
	ck_assert_int_eq(pl_val_u64("1 2", 3, &v, why, sizeof(why)), -1);
	ck_assert_int_eq(pl_val_u64("", 0, &v, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "empty number");
}
END_TEST

START_TEST(test_val_duration)
{
	char		 why[160];
	uint64_t	 v = 0;

	ck_assert_int_eq(pl_val_duration("10000000000", 11, &v, why, sizeof(why)), 0);
	ck_assert_uint_eq(v, 10000000000ull);
	ck_assert_int_eq(pl_val_duration("10s", 3, &v, why, sizeof(why)), 0);
	ck_assert_uint_eq(v, 10000000000ull);
	ck_assert_int_eq(pl_val_duration("500ms", 5, &v, why, sizeof(why)), 0);
	ck_assert_uint_eq(v, 500000000ull);
	ck_assert_int_eq(pl_val_duration("7us", 3, &v, why, sizeof(why)), 0);
	ck_assert_uint_eq(v, 7000ull);
	ck_assert_int_eq(pl_val_duration("9ns", 3, &v, why, sizeof(why)), 0);
	ck_assert_uint_eq(v, 9ull);
	ck_assert_int_eq(pl_val_duration("10m", 3, &v, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "\"10m\": expected a number of nanoseconds, optionally "
	    "with a unit ns, us, ms or s");
	ck_assert_int_eq(pl_val_duration("s", 1, &v, why, sizeof(why)), -1);
	ck_assert_int_eq(pl_val_duration("10 s", 4, &v, why, sizeof(why)), -1);
	ck_assert_int_eq(pl_val_duration("18446744074s", 12, &v, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "\"18446744074s\": duration too large");
}
END_TEST

START_TEST(test_val_list)
{
	const char	*e;
	size_t		 off = 0, elen;
	char		 why[160];

	ck_assert_int_eq(pl_val_list_next("a,,b", 4, &off, &e, &elen), 1);
	ck_assert_uint_eq(elen, 1);
	ck_assert_int_eq(pl_val_list_next("a,,b", 4, &off, &e, &elen), 1);
	ck_assert_uint_eq(elen, 0);
	ck_assert_int_eq(pl_val_list_next("a,,b", 4, &off, &e, &elen), 1);
	ck_assert_uint_eq(elen, 1);
	ck_assert_int_eq(e[0], 'b');
	ck_assert_int_eq(pl_val_list_next("a,,b", 4, &off, &e, &elen), 0);
	off = 0;
	ck_assert_int_eq(pl_val_list_next("", 0, &off, &e, &elen), 1);
	ck_assert_uint_eq(elen, 0);
	ck_assert_int_eq(pl_val_list_next("", 0, &off, &e, &elen), 0);

	ck_assert_int_eq(pl_val_list_check("a,b,c", 5, why, sizeof(why)), 3);
	ck_assert_int_eq(pl_val_list_check("a,,c", 4, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "element 2 of the list is empty");
	ck_assert_int_eq(pl_val_list_check("a,", 2, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "element 2 of the list is empty");
	ck_assert_int_eq(pl_val_list_check("a, b", 4, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "list element \" b\" has white space around it "
	    "(write the list without spaces after ',')");
}
END_TEST

START_TEST(test_val_quote)
{
	char	 q[PL_QUOTE_MAX], big[200];

	ck_assert_str_eq(pl_val_quote("ab\"c\\", 5, q, sizeof(q)), "\"ab\\\"c\\\\\"");
	ck_assert_str_eq(pl_val_quote("\x01\xff", 2, q, sizeof(q)), "\"\\x01\\xff\"");
	memset(big, 'x', sizeof(big));
	pl_val_quote(big, sizeof(big), q, sizeof(q));
	ck_assert_uint_lt(strlen(q), PL_QUOTE_MAX);
	ck_assert_str_eq(q + strlen(q) - 4, "...\"");
	memset(big, 0x01, sizeof(big));
	pl_val_quote(big, sizeof(big), q, sizeof(q));
	ck_assert_uint_lt(strlen(q), PL_QUOTE_MAX);
	ck_assert_str_eq(q + strlen(q) - 4, "...\"");
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("conf_kv");
	TCase	*tc = tcase_create("kv");

	tcase_add_loop_test(tc, test_lex_table, 0,
	    (int)(sizeof(lex_cases) / sizeof(lex_cases[0])));
	tcase_add_test(tc, test_lex_nul);
	tcase_add_test(tc, test_lex_long_line);
	tcase_add_test(tc, test_kv_is);
	tcase_add_test(tc, test_val_bool);
	tcase_add_test(tc, test_val_u64);
	tcase_add_test(tc, test_val_duration);
	tcase_add_test(tc, test_val_list);
	tcase_add_test(tc, test_val_quote);
	suite_add_tcase(s, tc);
	return ct_run(s);
}
