/*
 * prog.c: monitor programs as certificates name them: the SHA-256 digest of
 * the encoded program (type byte + body, protocol spec §9), and loading a
 * program file the way pktxpmgr's ProgramDirPath does (xpmgr spec §9), so
 * that `pktlab-cred sign --monitor-prog FILE` writes the digest the daemon
 * will look up.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include <pktlab/prog.h>

#include "cred/cred.h"
#include "util/util.h"

#define PROGFILE_MAX	(16 * 1024 * 1024)

void
cred_prog_digest(const uint8_t *prog, size_t len, uint8_t out[CRED_DIGEST_LEN])
{
	SHA256(prog, len, out);
}

int
cred_prog_load(const char *path, uint8_t **progp, size_t *lenp,
    struct cred_err *err)
{
	const char	*base = cred_basename(path), *dot, *why = NULL;
	char		*text;
	uint8_t		*prog;
	size_t		 len, plen;
	ssize_t		 r;
	unsigned	 line;
	int		 wasm;

	dot = strrchr(base, '.');
	if (dot == NULL || strcmp(dot, ".ebpf") == 0)
		wasm = 0;
	else if (strcmp(dot, ".wasm") == 0)
		wasm = 1;
	else
		return cred_seterr(err, "%s: unknown program file extension "
		    "(none or .ebpf for eBPF text, .wasm for WASM)", path);
	if (cred_read_file(path, PROGFILE_MAX, &text, &len, err) < 0)
		return -1;
	if (wasm) {
		plen = pl_prog_encode_wasm((const uint8_t *)text, len, NULL, 0);
		prog = xmalloc(plen);
		pl_prog_encode_wasm((const uint8_t *)text, len, prog, plen);
	} else {
		r = pl_prog_parse_ebpf_text(text, len, NULL, 0, &line, &why);
		if (r < 0) {
			free(text);
			if (line > 0)
				return cred_seterr(err, "%s:%u: %s", path, line,
				    why != NULL ? why : "bad eBPF instruction");
			return cred_seterr(err, "%s: %s", path,
			    why != NULL ? why : "bad eBPF program");
		}
		plen = (size_t)r;
		prog = xmalloc(plen);
		pl_prog_parse_ebpf_text(text, len, prog, plen, NULL, NULL);
	}
	free(text);
	if (pl_prog_check(prog, plen, &why) < 0) {
		free(prog);
		return cred_seterr(err, "%s: %s", path, why);
	}
	*progp = prog;
	*lenp = plen;
	return 0;
}
