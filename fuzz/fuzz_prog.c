/*
 * fuzz_prog.c: libFuzzer harness for the eBPF text format and the form
 * check of encoded programs.
 *
 * Checks: sizing and writing agree; a parsed program passes the form
 * check; written back as plain decimal text it parses to the same bytes;
 * a short output buffer is never overrun; a failure names a line that
 * exists.  The raw input also goes through pl_prog_check().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pktlab/prog.h"
#include "pktlab/wire.h"

#include "require.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	*to_text(const uint8_t *, size_t, size_t *);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*text = (const char *)data, *why = NULL;
	uint8_t		*out, *again;
	unsigned	 line = 0, lines = 1;
	size_t		 i, tlen;
	ssize_t		 n;
	char		*t;

	(void)pl_prog_check(data, size, &why);

	n = pl_prog_parse_ebpf_text(text, size, NULL, 0, &line, &why);
	if (n < 0) {
		for (i = 0; i < size; i++)
			lines += data[i] == '\n';
		REQUIRE(why != NULL && line <= lines);
		return 0;
	}
	REQUIRE(n >= 9 && (n - 1) % 8 == 0);
	if ((out = malloc((size_t)n)) == NULL)
		return 0;
	REQUIRE(pl_prog_parse_ebpf_text(text, size, out, (size_t)n, &line,
	    &why) == n);
	REQUIRE(out[0] == PL_PROG_EBPF);
	REQUIRE(pl_prog_check(out, (size_t)n, &why) == 0);

	/* A buffer one instruction short: written up to its end, not past. */
	if ((again = malloc((size_t)n - 8)) != NULL) {
		REQUIRE(pl_prog_parse_ebpf_text(text, size, again, (size_t)n - 8,
		    NULL, NULL) == n);
		REQUIRE(memcmp(again, out, (size_t)n - 8) == 0);
		free(again);
	}

	/* Round trip through the plainest text. */
	if ((t = to_text(out, (size_t)n, &tlen)) != NULL) {
		if ((again = malloc((size_t)n)) != NULL) {
			REQUIRE(pl_prog_parse_ebpf_text(t, tlen, again,
			    (size_t)n, NULL, NULL) == n);
			REQUIRE(memcmp(again, out, (size_t)n) == 0);
			free(again);
		}
		free(t);
	}
	free(out);
	return 0;
}

/* "opcode dst src offset imm\n" per instruction, in decimal. */
static char *
to_text(const uint8_t *prog, size_t len, size_t *tlen)
{
	size_t	 cap = (len / 8) * 40 + 1, off = 0, i;
	char	*t = malloc(cap);

	if (t == NULL)
		return NULL;
	for (i = 1; i + 8 <= len; i += 8)
		off += (size_t)snprintf(t + off, cap - off, "%u %u %u %u %u\n",
		    prog[i], prog[i + 1] >> 4, prog[i + 1] & 0x0f,
		    pl_get16(prog + i + 2), pl_get32(prog + i + 4));
	*tlen = off;
	return t;
}
