/*
 * programs.c: monitor programs from ProgramDirPath (xpmgr spec §9).
 * Loaded once at start-up: each file is encoded (type byte + payload, eBPF
 * text compiled to 8-byte instructions, WASM verbatim) and hashed; a
 * session later sends the ones whose digest its chain lists.  Bad files are
 * logged and skipped, as in 1.1.0; only an unreadable folder is an error.
 */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <pktlab/prog.h>

#include "util/log.h"
#include "util/util.h"
#include "conf/file.h"
#include "xpmgr/daemon.h"

static int	 name_cmp(const void *a, const void *b);

enum xp_prog_kind
xp_prog_kind(const char *name)
{
	const char	*dot;

	if (name == NULL || name[0] == '\0' || name[0] == '.')
		return XP_PROG_SKIP;
	dot = strrchr(name, '.');
	if (dot == NULL || strcmp(dot, ".ebpf") == 0)
		return XP_PROG_EBPF;
	if (strcmp(dot, ".wasm") == 0)
		return XP_PROG_WASM;
	return XP_PROG_UNKNOWN;
}

int
xp_prog_encode(enum xp_prog_kind kind, const uint8_t *data, size_t len,
    uint8_t **out, size_t *outlen, char *why, size_t whylen)
{
	const char	*reason = NULL;
	unsigned	 badline = 0;
	ssize_t		 n;
	uint8_t		*enc;

	*out = NULL;
	*outlen = 0;
	switch (kind) {
	case XP_PROG_WASM:
		if (len == 0) {
			snprintf(why, whylen, "empty WASM module");
			return -1;
		}
		if (len > XP_PROG_MAX - 1) {
			snprintf(why, whylen, "too large for a cdata message (%zu bytes)", len);
			return -1;
		}
		enc = xmalloc(len + 1);
		if (pl_prog_encode_wasm(data, len, enc, len + 1) != len + 1) {
			free(enc);
			snprintf(why, whylen, "cannot encode WASM module");
			return -1;
		}
		*out = enc;
		*outlen = len + 1;
		return 0;
	case XP_PROG_EBPF:
		n = pl_prog_parse_ebpf_text((const char *)data, len, NULL, 0,
		    &badline, &reason);
		if (n < 0) {
			snprintf(why, whylen, "bad line %u: %s", badline,
			    reason != NULL ? reason : "invalid instruction");
			return -1;
		}
		if (n <= 1) {
			snprintf(why, whylen, "no eBPF instruction");
			return -1;
		}
		if ((size_t)n > XP_PROG_MAX) {
			snprintf(why, whylen, "too large for a cdata message (%zd bytes)", n);
			return -1;
		}
		enc = xmalloc((size_t)n);
		if (pl_prog_parse_ebpf_text((const char *)data, len, enc, (size_t)n,
		    &badline, &reason) != n) {
			free(enc);
			snprintf(why, whylen, "cannot encode eBPF program");
			return -1;
		}
		*out = enc;
		*outlen = (size_t)n;
		return 0;
	default:
		snprintf(why, whylen, "unknown program file extension");
		return -1;
	}
}

void
xp_prog_digest(const uint8_t *enc, size_t len, uint8_t out[32])
{
	unsigned int	 n = 32;

	if (EVP_Digest(enc, len, out, &n, EVP_sha256(), NULL) != 1 || n != 32)
		fatalx("SHA-256 failed");
}

int
xp_progs_load(const char *dir, struct xp_progs *ps, char *why, size_t whylen)
{
	DIR		*dp;
	struct dirent	*de;
	char		**names = NULL, reason[160];
	size_t		 nnames = 0, i;
	enum xp_prog_kind kind;
	uint8_t		*data, *enc;
	char		*path, *text;
	size_t		 len, enclen;
	struct xp_prog	*p;
	int		 r;

	memset(ps, 0, sizeof(*ps));
	if ((dp = opendir(dir)) == NULL) {
		snprintf(why, whylen, "ProgramDirPath %s: %s", dir, strerror(errno));
		return -1;
	}
	errno = 0;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = xrealloc(names, (nnames + 1) * sizeof(*names));
		names[nnames++] = xstrdup(de->d_name);
		errno = 0;
	}
	if (errno != 0) {
		snprintf(why, whylen, "ProgramDirPath %s: %s", dir, strerror(errno));
		for (i = 0; i < nnames; i++)
			free(names[i]);
		free(names);
		closedir(dp);
		return -1;
	}
	/* Sorted, so logs and the order of cdata do not depend on the file system. */
	if (nnames > 1)
		qsort(names, nnames, sizeof(*names), name_cmp);

	for (i = 0; i < nnames; i++) {
		kind = xp_prog_kind(names[i]);
		if (kind == XP_PROG_UNKNOWN) {
			log_warnx("program %s/%s: unknown file extension (want .wasm, "
			    ".ebpf or none), skipping", dir, names[i]);
			continue;
		}
		if (kind == XP_PROG_SKIP)
			continue;
		path = xasprintf("%s/%s", dir, names[i]);
		r = pl_conf_readfile(path, &text, &len, reason, sizeof(reason));
		free(path);
		if (r == -1) {
			log_warnx("program %s/%s: %s, skipping", dir, names[i], reason);
			continue;
		}
		data = (uint8_t *)text;
		if (xp_prog_encode(kind, data, len, &enc, &enclen, reason,
		    sizeof(reason)) == -1) {
			log_warnx("program %s/%s: %s, skipping", dir, names[i], reason);
			free(data);
			continue;
		}
		free(data);
		ps->v = xrealloc(ps->v, (ps->n + 1) * sizeof(*ps->v));
		p = &ps->v[ps->n++];
		p->name = names[i];
		names[i] = NULL;
		p->enc = enc;
		p->len = enclen;
		xp_prog_digest(enc, enclen, p->digest);
	}
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	closedir(dp);
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

const struct xp_prog *
xp_progs_find(const struct xp_progs *ps, const uint8_t digest[32])
{
	size_t	 i;

	for (i = 0; i < ps->n; i++)
		if (memcmp(ps->v[i].digest, digest, 32) == 0)
			return &ps->v[i];
	return NULL;
}

void
xp_progs_free(struct xp_progs *ps)
{
	size_t	 i;

	for (i = 0; i < ps->n; i++) {
		free(ps->v[i].name);
		free(ps->v[i].enc);
	}
	free(ps->v);
	ps->v = NULL;
	ps->n = 0;
}
