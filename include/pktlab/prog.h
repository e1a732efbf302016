/*
 * pktlab/prog.h: encoded programs (protocol spec §9): the cdata payload and
 * the ncap filter.  Byte 0 is the type (0x00 eBPF, 0x01 WASM); an eBPF body is
 * 8 bytes per instruction: opcode, dst<<4|src, offset (BE16), imm (BE32).
 *
 * Pure code: no I/O.  The SHA-256 digest lives with the OpenSSL code.
 */
#ifndef PKTLAB_PROG_H
#define PKTLAB_PROG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PL_PROG_EBPF	0x00
#define PL_PROG_WASM	0x01

struct pl_ebpf_insn {
	uint8_t		 opcode;
	uint8_t		 dst;		/* 0..15 */
	uint8_t		 src;		/* 0..15 */
	uint16_t	 off;
	uint32_t	 imm;
};

/*
 * Encode n instructions; returns 1 + 8n, writing when out is large enough,
 * or 0 (never a valid length) when a register is above 15.
 */
size_t	pl_prog_encode_ebpf(const struct pl_ebpf_insn *insn, size_t n,
	    uint8_t *out, size_t outlen);
/* Encode a WASM module: returns 1 + len, writing when out is large enough. */
size_t	pl_prog_encode_wasm(const uint8_t *wasm, size_t len, uint8_t *out, size_t outlen);

/*
 * Parse the eBPF text format (five integers per line, strtoull base 0; lines
 * empty, starting with '#' or '\r' are skipped) straight into an encoded
 * program.  Limits: opcode <= 255, registers <= 15, offset <= 65535,
 * imm <= 2^32-1; text after the fifth integer is ignored.  Returns the
 * encoded length (>= 9), or -1 with *badline set to the 1-based line (0 for
 * a text without any instruction) and why (when not NULL) to a static
 * phrase.  Call with out == NULL to size the output.
 */
ssize_t	pl_prog_parse_ebpf_text(const char *text, size_t len, uint8_t *out,
	    size_t outlen, unsigned *badline, const char **why);

/*
 * Check an encoded program's form: 0 when valid, -1 otherwise with *why set.
 * eBPF: 1 + 8n bytes with n >= 1; WASM: the type byte, then a module that
 * starts with the 8-byte "\0asm" header; any other type byte is invalid.
 */
int	pl_prog_check(const uint8_t *prog, size_t len, const char **why);

#ifdef __cplusplus
}
#endif
#endif /* PKTLAB_PROG_H */
