/*
 * prog.c: encoded programs (protocol spec §9): the eBPF and WASM encoders,
 * the eBPF text format of program files (xpmgr spec §9), and the form check
 * of an encoded program.
 *
 * The text parser reads the bounded buffer itself, with the number syntax
 * of strtoull(..., 0) (sign, 0x/0 prefixes, saturation), because a
 * program file is not NUL-terminated and may hold NUL bytes.
 */
#include <limits.h>
#include <string.h>

#include "pktlab/prog.h"
#include "pktlab/wire.h"

#define EBPF_INSN_LEN	8

static void	 put_insn(uint8_t *, const struct pl_ebpf_insn *);
static int	 is_space(int);
static int	 digit_value(int);
static int	 parse_number(const char *, size_t, size_t *, unsigned long long *);
static const char *parse_line(const char *, size_t, struct pl_ebpf_insn *);

size_t
pl_prog_encode_ebpf(const struct pl_ebpf_insn *insn, size_t n, uint8_t *out,
    size_t outlen)
{
	size_t	 i, total;

	if (n > (SIZE_MAX - 1) / EBPF_INSN_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (insn[i].dst > 15 || insn[i].src > 15)
			return 0;
	total = 1 + n * EBPF_INSN_LEN;
	if (out == NULL || outlen < total)
		return total;
	out[0] = PL_PROG_EBPF;
	for (i = 0; i < n; i++)
		put_insn(out + 1 + i * EBPF_INSN_LEN, &insn[i]);
	return total;
}

size_t
pl_prog_encode_wasm(const uint8_t *wasm, size_t len, uint8_t *out, size_t outlen)
{
	if (len == SIZE_MAX)
		return 0;
	if (out != NULL && outlen >= 1 + len) {
		out[0] = PL_PROG_WASM;
		if (len > 0)
			memcpy(out + 1, wasm, len);
	}
	return 1 + len;
}

ssize_t
pl_prog_parse_ebpf_text(const char *text, size_t len, uint8_t *out,
    size_t outlen, unsigned *badline, const char **why)
{
	struct pl_ebpf_insn	 insn = { 0 };
	const char		*w;
	size_t			 pos = 0, eol, total = 1;
	unsigned		 line = 0;

	if (badline != NULL)
		*badline = 0;
	if (out != NULL && outlen >= 1)
		out[0] = PL_PROG_EBPF;
	while (pos < len) {
		line++;
		for (eol = pos; eol < len && text[eol] != '\n'; eol++)
			;
		if (eol > pos && text[pos] != '#' && text[pos] != '\r') {
			if ((w = parse_line(text + pos, eol - pos, &insn)) != NULL) {
				if (badline != NULL)
					*badline = line;
				if (why != NULL)
					*why = w;
				return -1;
			}
			if (total > (size_t)SSIZE_MAX - EBPF_INSN_LEN) {
				if (badline != NULL)
					*badline = line;
				if (why != NULL)
					*why = "program too long";
				return -1;
			}
			if (out != NULL && outlen >= total + EBPF_INSN_LEN)
				put_insn(out + total, &insn);
			total += EBPF_INSN_LEN;
		}
		pos = eol + 1;
	}
	if (total == 1) {
		if (why != NULL)
			*why = "no instructions";
		return -1;
	}
	return (ssize_t)total;
}

int
pl_prog_check(const uint8_t *prog, size_t len, const char **why)
{
	const char	*w = NULL;

	if (len == 0)
		w = "empty program";
	else if (prog[0] == PL_PROG_EBPF) {
		if ((len - 1) % EBPF_INSN_LEN != 0)
			w = "eBPF program length is not 1 + 8n";
		else if (len == 1)
			w = "eBPF program has no instructions";
	} else if (prog[0] == PL_PROG_WASM) {
		if (len < 1 + 8 || memcmp(prog + 1, "\0asm", 4) != 0)
			w = "WASM module lacks the \\0asm header";
	} else
		w = "unknown program type (want 0x00 eBPF or 0x01 WASM)";
	if (w == NULL)
		return 0;
	if (why != NULL)
		*why = w;
	return -1;
}

/* opcode, dst<<4|src, offset BE16, imm BE32: the §9 layout, not Linux's. */
static void
put_insn(uint8_t *p, const struct pl_ebpf_insn *insn)
{
	p[0] = insn->opcode;
	p[1] = (uint8_t)((insn->dst << 4) | (insn->src & 0x0f));
	pl_put16(p + 2, insn->off);
	pl_put32(p + 4, insn->imm);
}

/* isspace() in the C locale, without the locale. */
static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	    c == '\r';
}

static int
digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/*
 * strtoull(s, &end, 0) over s[*pos..len): leading white space, a sign,
 * base from the prefix, saturation at ULLONG_MAX, and a '-' that negates
 * in unsigned arithmetic.  Returns 0 with *pos past the number, or -1 when
 * no digit is there.
 */
static int
parse_number(const char *s, size_t len, size_t *pos, unsigned long long *v)
{
	unsigned long long acc = 0;
	size_t		 i = *pos, digits = 0;
	unsigned	 base = 10;
	int		 neg = 0, over = 0, d;

	while (i < len && is_space((unsigned char)s[i]))
		i++;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (i < len && s[i] == '0') {
		base = 8;
		if (i + 2 < len && (s[i + 1] == 'x' || s[i + 1] == 'X') &&
		    digit_value((unsigned char)s[i + 2]) < 16) {
			base = 16;
			i += 2;
		}
	}
	for (; i < len && (d = digit_value((unsigned char)s[i])) < (int)base;
	    i++, digits++) {
		if (acc > (ULLONG_MAX - (unsigned)d) / base)
			over = 1;
		else
			acc = acc * base + (unsigned)d;
	}
	if (digits == 0)
		return -1;
	*pos = i;
	*v = over ? ULLONG_MAX : neg ? (unsigned long long)0 - acc : acc;
	return 0;
}

/* One instruction line: five numbers, anything after the fifth ignored. */
static const char *
parse_line(const char *s, size_t len, struct pl_ebpf_insn *insn)
{
	static const struct {
		unsigned long long	 max;
		const char		*why;
	} field[5] = {
		{ 0xFF,		"opcode above 255" },
		{ 0xF,		"dst register above 15" },
		{ 0xF,		"src register above 15" },
		{ 0xFFFF,	"offset above 65535" },
		{ 0xFFFFFFFF,	"imm above 4294967295" },
	};
	unsigned long long	 v[5];
	size_t			 pos = 0;
	int			 i;

	for (i = 0; i < 5; i++) {
		if (parse_number(s, len, &pos, &v[i]) == -1)
			return i == 0 ? "expected 5 integers, found none" :
			    "expected 5 integers";
		if (v[i] > field[i].max)
			return field[i].why;
		if (i < 4 && pos < len && !is_space((unsigned char)s[pos]))
			return "junk after a number";
	}
	insn->opcode = (uint8_t)v[0];
	insn->dst = (uint8_t)v[1];
	insn->src = (uint8_t)v[2];
	insn->off = (uint16_t)v[3];
	insn->imm = (uint32_t)v[4];
	return NULL;
}
