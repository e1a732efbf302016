/*
 * fuzz_nvp.c: libFuzzer harness for name-value pair strings.
 *
 * Byte 0 picks the kind; the rest is the string.  Checks: validation and
 * iteration agree; a valid string rebuilt pair by pair with
 * pl_nvp_append() is the same string, and appending one more pair keeps
 * it valid; find/count agree with iteration; a '|' splits the string into
 * an xdescr and a dattr for pl_nvp_match() and pl_nvp_glob(), whose
 * answers must agree with validation and with simple glob identities.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pktlab/nvp.h"

#include "require.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	 check_string(const char *, size_t, enum pl_nvp_kind);
static void	 check_match(const char *, size_t);
static int	 has_wild(const char *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	check_string((const char *)data + 1, size - 1,
	    (enum pl_nvp_kind)(data[0] % 4));
	check_match((const char *)data + 1, size - 1);
	return 0;
}

static void
check_string(const char *s, size_t len, enum pl_nvp_kind kind)
{
	struct pl_nvp_err err;
	struct pl_nvp	 p, q;
	char		*buf, name[256];
	size_t		 off = 0, used = 0, cap = len + 64;
	int		 r, it, npairs = 0;

	r = pl_nvp_validate(s, len, kind, &err);
	if (r < 0)
		REQUIRE(err.off <= len && memchr(err.msg, '\0', sizeof(err.msg)));
	while ((it = pl_nvp_next(s, len, kind, &off, &p, NULL)) == 1) {
		REQUIRE(p.namelen > 0 && p.name >= s && p.value + p.valuelen < s + len);
		REQUIRE(p.value == p.name + p.namelen + 1 && p.value[p.valuelen] == ';');
		npairs++;
	}
	/* Iteration fails exactly on a syntax error; validation also on dups. */
	if (r >= 0)
		REQUIRE(it == 0 && npairs == r);
	else if (it == 0)
		REQUIRE(kind != PL_NVP_XDESCR &&
		    (strstr(err.msg, "duplicate") != NULL ||
		    strstr(err.msg, "more than") != NULL));
	if (r < 0)
		return;

	/* Rebuild it pair by pair: the same bytes. */
	if ((buf = malloc(cap)) == NULL)
		return;
	off = 0;
	while (pl_nvp_next(s, len, kind, &off, &p, NULL) == 1) {
		if (p.namelen >= sizeof(name))
			goto out;
		memcpy(name, p.name, p.namelen);
		name[p.namelen] = '\0';
		REQUIRE(pl_nvp_append(buf, cap, &used, kind, name, p.value,
		    p.valuelen) == 0);
		REQUIRE(pl_nvp_count(s, len, kind, name) >= 1);
		REQUIRE(pl_nvp_find(s, len, kind, name, 0, &q) == 1);
		REQUIRE(q.name <= p.name);
	}
	REQUIRE(used == len && memcmp(buf, s, len) == 0);

	/* One more pair: accepted or not, the string stays valid. */
	if (pl_nvp_append(buf, cap, &used, kind, "fz_x", "a b*", 4) == 0) {
		REQUIRE(kind == PL_NVP_XDESCR);
		REQUIRE(pl_nvp_validate(buf, used, kind, NULL) == r + 1);
	}
	if (pl_nvp_append(buf, cap, &used, kind, "fz_y", "", 0) == 0)
		REQUIRE(pl_nvp_validate(buf, used, kind, NULL) >= 1);
	REQUIRE(pl_nvp_validate(buf, used, kind, NULL) >= 0);
out:
	free(buf);
}

static int
has_wild(const char *s, size_t len)
{
	return memchr(s, '*', len) != NULL || memchr(s, '?', len) != NULL;
}

static void
check_match(const char *s, size_t len)
{
	const char	*bar = memchr(s, '|', len);
	const char	*x = s, *d;
	size_t		 xlen, dlen;
	int		 m, xv, dv;

	if (bar == NULL)
		return;
	xlen = (size_t)(bar - s);
	d = bar + 1;
	dlen = len - xlen - 1;

	/* Glob identities on the two halves as plain strings. */
	if (!has_wild(x, xlen))
		REQUIRE(pl_nvp_glob(x, xlen, x, xlen) == 1);
	REQUIRE(pl_nvp_glob("*", 1, d, dlen) == 1);
	REQUIRE(pl_nvp_glob("", 0, d, dlen) == (dlen == 0));
	if (!has_wild(x, xlen) && (xlen != dlen || memcmp(x, d, xlen) != 0))
		REQUIRE(pl_nvp_glob(x, xlen, d, dlen) == 0);
	(void)pl_nvp_glob(x, xlen, d, dlen);

	m = pl_nvp_match(x, xlen, d, dlen);
	xv = pl_nvp_validate(x, xlen, PL_NVP_XDESCR, NULL);
	dv = pl_nvp_validate(d, dlen, PL_NVP_DATTR, NULL);
	REQUIRE(m == 0 || m == 1);
	if (xv < 0 || dv < 0)
		REQUIRE(m == 0);
	else if (dv == 0 || xv == 0)
		REQUIRE(m == 1);
	/* A dattr always matches itself read as an xdescr. */
	if (dv >= 0)
		REQUIRE(pl_nvp_match(d, dlen, d, dlen) == 1);
}
