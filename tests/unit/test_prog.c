/*
 * test_prog.c: encoded programs: the eBPF text format (number syntax,
 * limits, skipped lines, bad lines), the encoders against the reference
 * ICMP filter of test_icmp_echo, and the form check.
 */
#include <string.h>

#include <check.h>

#include "pktlab/prog.h"
#include "vec.h"
#include "ctrun.h"

/*
 * test_icmp_echo's filter as a program file, in every number syntax the
 * loader takes, with comments, blank and '\r' lines and CRLF endings.
 */
static const char icmp_text[] =
	"# ICMP echo reply, id 0x15be (test_icmp_echo)\n"
	"191 6 1 0 0\n"
	"0xb7 7 0 0 0\r\n"
	"\n"
	"48 0 0 0 0\n"
	"87 0 0 0 0xfffffff0\n"
	"\r\n"
	"85 0 0 8 64\n"
	"48\t0\t0\t0\t9\n"
	"0x55 0 0 6 1\n"
	"# loads of the ICMP type/code and id\n"
	"40 0 0 0 20\n"
	" 85 0 0 4 0\n"
	"40 0 0 0 030\n"
	"0267 07 0 0 65535\n"
	"+21 0 0 1 5566\n"
	"183 7 0 0 -0\n"
	"191 0 7 0 0 mov r0, r7\n"
	"0X95 0 0 0 0";

static const struct pl_ebpf_insn icmp_insn[] = {
	{ 191, 6, 1, 0, 0 }, { 183, 7, 0, 0, 0 }, { 48, 0, 0, 0, 0 },
	{ 87, 0, 0, 0, 0xfffffff0 }, { 85, 0, 0, 8, 64 }, { 48, 0, 0, 0, 9 },
	{ 85, 0, 0, 6, 1 }, { 40, 0, 0, 0, 20 }, { 85, 0, 0, 4, 0 },
	{ 40, 0, 0, 0, 24 }, { 183, 7, 0, 0, 65535 }, { 21, 0, 0, 1, 5566 },
	{ 183, 7, 0, 0, 0 }, { 191, 0, 7, 0, 0 }, { 149, 0, 0, 0, 0 },
};

static const struct vec *
reference_program(struct vec_set **vs)
{
	const struct vec	*v;

	*vs = vec_load("protocol_vectors.txt");
	ck_assert_ptr_nonnull(*vs);
	v = vec_find(*vs, VEC_MSG, "(encoded program alone");
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(v->len, 121);
	return v;
}

START_TEST(text_gives_reference_bytes)
{
	struct vec_set		*vs;
	const struct vec	*ref = reference_program(&vs);
	uint8_t			 out[200];
	unsigned		 line = 99;
	const char		*why = NULL;

	ck_assert_int_eq(pl_prog_parse_ebpf_text(icmp_text, strlen(icmp_text),
	    NULL, 0, &line, &why), 121);
	memset(out, 0xEE, sizeof(out));
	ck_assert_int_eq(pl_prog_parse_ebpf_text(icmp_text, strlen(icmp_text),
	    out, sizeof(out), &line, &why), 121);
	ck_assert_mem_eq(out, ref->bytes, 121);
	ck_assert_uint_eq(out[121], 0xEE);
	ck_assert_int_eq(pl_prog_check(out, 121, &why), 0);
	vec_free(vs);
}
END_TEST

START_TEST(encoder_gives_reference_bytes)
{
	struct vec_set		*vs;
	const struct vec	*ref = reference_program(&vs);
	struct pl_ebpf_insn	 bad = { 0, 16, 0, 0, 0 };
	uint8_t			 out[200];
	size_t			 n = sizeof(icmp_insn) / sizeof(icmp_insn[0]);

	ck_assert_uint_eq(pl_prog_encode_ebpf(icmp_insn, n, NULL, 0), 121);
	memset(out, 0xEE, sizeof(out));
	ck_assert_uint_eq(pl_prog_encode_ebpf(icmp_insn, n, out, 120), 121);
	ck_assert_uint_eq(out[0], 0xEE);		/* too small: untouched */
	ck_assert_uint_eq(pl_prog_encode_ebpf(icmp_insn, n, out, 121), 121);
	ck_assert_mem_eq(out, ref->bytes, 121);
	ck_assert_uint_eq(pl_prog_encode_ebpf(icmp_insn, 0, out, 1), 1);
	ck_assert_uint_eq(out[0], PL_PROG_EBPF);
	ck_assert_uint_eq(pl_prog_encode_ebpf(&bad, 1, out, sizeof(out)), 0);
	bad.dst = 15;
	bad.src = 16;
	ck_assert_uint_eq(pl_prog_encode_ebpf(&bad, 1, out, sizeof(out)), 0);
	bad.src = 15;
	ck_assert_uint_eq(pl_prog_encode_ebpf(&bad, 1, out, sizeof(out)), 9);
	ck_assert_uint_eq(out[1 + 1], 0xff);
	vec_free(vs);
}
END_TEST

/* A partial output buffer is never overrun. */
START_TEST(text_small_buffer)
{
	uint8_t	 out[64];

	for (size_t sz = 0; sz < 64; sz++) {
		memset(out, 0xEE, sizeof(out));
		ck_assert_int_eq(pl_prog_parse_ebpf_text(icmp_text,
		    strlen(icmp_text), out, sz, NULL, NULL), 121);
		for (size_t i = sz; i < sizeof(out); i++)
			ck_assert_uint_eq(out[i], 0xEE);
	}
}
END_TEST

static const struct textcase {
	const char	*text;
	size_t		 len;		/* 0: strlen */
	long		 want;		/* encoded length, or -1 */
	unsigned	 line;
	const char	*why;
} texts[] = {
	{ "255 15 15 65535 4294967295", 0, 9, 0, NULL },
	{ "0xff 0xf 0xF 0xffff 0xffffffff\n", 0, 9, 0, NULL },
	{ "0377 017 017 0177777 037777777777", 0, 9, 0, NULL },
	{ "256 0 0 0 0", 0, -1, 1, "opcode above 255" },
	{ "0 16 0 0 0", 0, -1, 1, "dst register above 15" },
	{ "0 0 16 0 0", 0, -1, 1, "src register above 15" },
	{ "0 0 0 65536 0", 0, -1, 1, "offset above 65535" },
	{ "0 0 0 0 4294967296", 0, -1, 1, "imm above 4294967295" },
	{ "0 0 0 0 0x100000000", 0, -1, 1, "imm above 4294967295" },
	{ "0 0 0 0 99999999999999999999999", 0, -1, 1, "imm above 4294967295" },
	{ "0 0 0 0 -1", 0, -1, 1, "imm above 4294967295" },	/* wraps, as strtoull */
	{ "-0 -0 -0 -0 -0", 0, 9, 0, NULL },
	{ "+1 +2 +3 +4 +5", 0, 9, 0, NULL },
	{ "0 0 0 0", 0, -1, 1, "expected 5 integers" },
	{ "1 2 3 4\n5", 0, -1, 1, "expected 5 integers" },
	{ "1 2 3 4\r\n", 0, -1, 1, "expected 5 integers" },
	{ "x 0 0 0 0", 0, -1, 1, "expected 5 integers, found none" },
	{ "0,0,0,0,0", 0, -1, 1, "junk after a number" },
	{ "0x 0 0 0 0", 0, -1, 1, "junk after a number" },
	{ "08 0 0 0 0", 0, -1, 1, "junk after a number" },
	{ "1 2\0 3 4 5", 10, -1, 1, "junk after a number" },
	{ "1 2 3 4 5 6 7", 0, 9, 0, NULL },		/* the rest is ignored */
	{ "1 2 3 4 5junk\0more", 18, 9, 0, NULL },
	{ "1 2 3 4 5\n1 2 3 4 5\r\n# x\n\r\n\n1 2 3 4 5\n", 0, 25, 0, NULL },
	{ "# one\n1 2 3 4 5\n   \n", 0, -1, 3, "expected 5 integers, found none" },
	{ "# one\n\n\n1 2 3 4 5 \n0 0 0 0 0x1ffffffff\n", 0, -1, 5,
	    "imm above 4294967295" },
	{ "", 0, -1, 0, "no instructions" },
	{ "# only a comment\n\n\r\n", 0, -1, 0, "no instructions" },
};

START_TEST(text_cases)
{
	const struct textcase	*t = &texts[_i];
	uint8_t			 out[64];
	unsigned		 line = 99;
	const char		*why = NULL;
	ssize_t			 r;

	r = pl_prog_parse_ebpf_text(t->text, t->len ? t->len : strlen(t->text),
	    out, sizeof(out), &line, &why);
	ck_assert_msg(r == t->want, "\"%s\": got %zd (%s), want %ld", t->text,
	    r, why ? why : "-", t->want);
	if (r < 0) {
		ck_assert_uint_eq(line, t->line);
		ck_assert_str_eq(why, t->why);
	} else
		ck_assert_int_eq(pl_prog_check(out, (size_t)r, NULL), 0);
}
END_TEST

START_TEST(text_fields)
{
	uint8_t	 out[16];

	ck_assert_int_eq(pl_prog_parse_ebpf_text("0x61 1 2 0x1234 0x89abcdef", 26,
	    out, sizeof(out), NULL, NULL), 9);
	ck_assert_mem_eq(out, "\x00\x61\x12\x12\x34\x89\xab\xcd\xef", 9);
}
END_TEST

START_TEST(wasm)
{
	static const uint8_t mod[8] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
	uint8_t	 out[16];

	memset(out, 0xEE, sizeof(out));
	ck_assert_uint_eq(pl_prog_encode_wasm(mod, 8, NULL, 0), 9);
	ck_assert_uint_eq(pl_prog_encode_wasm(mod, 8, out, 8), 9);
	ck_assert_uint_eq(out[0], 0xEE);
	ck_assert_uint_eq(pl_prog_encode_wasm(mod, 8, out, 9), 9);
	ck_assert_uint_eq(out[0], PL_PROG_WASM);
	ck_assert_mem_eq(out + 1, mod, 8);
	ck_assert_uint_eq(out[9], 0xEE);
	ck_assert_int_eq(pl_prog_check(out, 9, NULL), 0);
}
END_TEST

static const struct checkcase {
	const char	*hex;
	const char	*why;		/* NULL: valid */
} checks[] = {
	{ "", "empty program" },
	{ "00", "eBPF program has no instructions" },
	{ "000000000000000000", NULL },
	{ "0000000000000000", "eBPF program length is not 1 + 8n" },
	{ "00000000000000000000", "eBPF program length is not 1 + 8n" },
	{ "010061736d01000000", NULL },
	{ "010061736d010000", "WASM module lacks the \\0asm header" },
	{ "010061736e01000000", "WASM module lacks the \\0asm header" },
	{ "01", "WASM module lacks the \\0asm header" },
	{ "02000000000000000000", "unknown program type (want 0x00 eBPF or 0x01 WASM)" },
	{ "ff", "unknown program type (want 0x00 eBPF or 0x01 WASM)" },
};

START_TEST(form_check)
{
	const struct checkcase	*c = &checks[_i];
	uint8_t			 p[32];
	const char		*why = NULL;
	long			 n = vec_unhex_into(c->hex, p, sizeof(p));

	ck_assert_int_ge(n, 0);
	if (c->why == NULL)
		ck_assert_int_eq(pl_prog_check(p, (size_t)n, &why), 0);
	else {
		ck_assert_int_eq(pl_prog_check(p, (size_t)n, &why), -1);
		ck_assert_str_eq(why, c->why);
	}
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("prog");
	TCase	*tc = tcase_create("prog");

	tcase_add_test(tc, text_gives_reference_bytes);
	tcase_add_test(tc, encoder_gives_reference_bytes);
	tcase_add_test(tc, text_small_buffer);
	tcase_add_loop_test(tc, text_cases, 0, (int)(sizeof(texts) / sizeof(texts[0])));
	tcase_add_test(tc, text_fields);
	tcase_add_test(tc, wasm);
	tcase_add_loop_test(tc, form_check, 0, (int)(sizeof(checks) / sizeof(checks[0])));
	suite_add_tcase(s, tc);

	return ct_run(s);
}
