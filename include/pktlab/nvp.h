/*
 * pktlab/nvp.h: name-value pair strings ("name=value;name=value;"), the text
 * of experiment descriptors (xdescr), endpoint attributes (dattr) and the
 * PacketLab certificate extensions (protocol spec §10, certs spec §2.2).
 *
 * Pure code: no I/O, no allocation.
 */
#ifndef PKTLAB_NVP_H
#define PKTLAB_NVP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Which grammar applies. */
enum pl_nvp_kind {
	PL_NVP_XDESCR,		/* values may hold the wildcards * and ?; duplicate names allowed */
	PL_NVP_DATTR,		/* no wildcards; duplicate names rejected */
	PL_NVP_CERTINFO,	/* 1.2.3.1: like dattr */
	PL_NVP_CERTLIMIT,	/* 1.2.3.3: like dattr, and a name may start with one '*' */
};

/*
 * The kinds that reject duplicate names (all but PL_NVP_XDESCR) hold at
 * most this many pairs: the duplicate check uses a fixed table so that a
 * descriptor from a peer is checked in linear time without allocating.
 */
#define PL_NVP_UNIQUE_MAX	512

struct pl_nvp {
	const char	*name;
	size_t		 namelen;
	const char	*value;
	size_t		 valuelen;
};

/* Where and why a string was rejected. */
struct pl_nvp_err {
	size_t		 off;		/* byte offset of the problem */
	char		 msg[96];	/* e.g. "invalid character '=' in value of \"a\"" */
};

/*
 * Iterate over the pairs of s[0..len).  *off starts at 0.  Returns 1 with
 * *out filled, 0 at the end of the string, or -1 on a syntax error (err
 * filled when not NULL).  Duplicate names are not checked here.
 */
int	pl_nvp_next(const char *s, size_t len, enum pl_nvp_kind kind, size_t *off,
	    struct pl_nvp *out, struct pl_nvp_err *err);

/*
 * Validate a whole string: syntax, every pair terminated by ';', and the
 * duplicate rule of the kind.  Returns the number of pairs (>= 0), or -1
 * with err filled.  The empty string is valid and has zero pairs.
 */
int	pl_nvp_validate(const char *s, size_t len, enum pl_nvp_kind kind,
	    struct pl_nvp_err *err);

/*
 * Find the n-th (0-based) pair named name.  Returns 1 and fills *out, or 0.
 * The string must already be valid.
 */
int	pl_nvp_find(const char *s, size_t len, enum pl_nvp_kind kind,
	    const char *name, unsigned n, struct pl_nvp *out);

/* Number of pairs named name in a valid string. */
unsigned pl_nvp_count(const char *s, size_t len, enum pl_nvp_kind kind, const char *name);

/*
 * Append "name=value;" to buf (which holds *used bytes of bufsz).  Returns 0,
 * or -1 when the pair is invalid for the kind or does not fit.  buf is kept
 * NUL-terminated when there is room.
 */
int	pl_nvp_append(char *buf, size_t bufsz, size_t *used, enum pl_nvp_kind kind,
	    const char *name, const char *value, size_t valuelen);

/* Valid characters. */
int	pl_nvp_name_char(int c);
int	pl_nvp_value_char(int c, enum pl_nvp_kind kind);

/*
 * Wildcard match of a whole value: '*' matches any run (also empty), '?'
 * exactly one character, everything else itself (case-sensitive).
 */
int	pl_nvp_glob(const char *pat, size_t patlen, const char *s, size_t slen);

/*
 * Broker matching (protocol spec §10.2): 1 when the xdescr applies to an
 * endpoint with this dattr, 0 otherwise (also when either is malformed).
 */
int	pl_nvp_match(const char *xdescr, size_t xlen, const char *dattr, size_t dlen);

#ifdef __cplusplus
}
#endif
#endif /* PKTLAB_NVP_H */
