/*
 * kv.h: the lexer of PacketLab's "Key Value" configuration files
 * (xpmgr.conf, endpt.conf), and the typed value parsers shared by the
 * directive tables built on top of it.
 *
 * Pure code: works on a buffer in memory, no I/O, no allocation.
 *
 * One directive per line: KEY, a run of spaces or tabs, VALUE.  Compared with
 * libpktconf 1.1.0 the lexer
 *   - accepts lines of any length (1.1.0 split lines at 4095 bytes);
 *   - trims white space at both ends of a line, and a CR before the LF, so
 *     CRLF files and trailing blanks work (1.1.0 kept them in the value);
 *   - skips blank lines and lines whose first non-blank byte is '#'; there are
 *     no comments after a value (values may hold '#', as in 1.1.0);
 *   - skips a UTF-8 byte-order mark at the start of the buffer;
 *   - rejects control characters (NUL, a lone CR, ...) inside a directive.
 * A line with a key and no value yields an empty value: the directive table
 * decides whether that is an error.
 */
#ifndef PL_CONF_KV_H
#define PL_CONF_KV_H

#include <stddef.h>
#include <stdint.h>

/* One directive.  key/val point into the lexer's buffer, not NUL-terminated. */
struct pl_kv {
	const char	*key;
	size_t		 keylen;
	const char	*val;
	size_t		 vallen;
	unsigned	 line;		/* 1-based */
};

struct pl_kv_lexer {
	const char	*buf;
	size_t		 len;
	size_t		 off;
	unsigned	 line;		/* line of the last directive or error */
};

void	pl_kv_init(struct pl_kv_lexer *lx, const char *buf, size_t len);
/*
 * The next directive: 1 with *kv filled, 0 at the end of the buffer, -1 on a
 * malformed line (why filled; lx->line names the line).  After -1 the lexer
 * may be called again: it resumes at the following line.
 */
int	pl_kv_next(struct pl_kv_lexer *lx, struct pl_kv *kv, char *why, size_t whylen);

/* 1 when the key of kv is name (exact, case-sensitive as in 1.1.0). */
int	pl_kv_is(const struct pl_kv *kv, const char *name);

/*
 * Typed values.  Each returns 0 with the result stored, or -1 with a reason
 * in why (a phrase quoting the value, e.g. "\"yes\": expected 0 or 1").
 */
/* Exactly "0" or "1". */
int	pl_val_bool(const char *s, size_t n, int *out, char *why, size_t whylen);
/* Unsigned decimal: digits only, no sign, no base prefix, at most 2^64-1. */
int	pl_val_u64(const char *s, size_t n, uint64_t *out, char *why, size_t whylen);
/*
 * A duration in nanoseconds: an unsigned decimal number, optionally followed
 * by a unit ns, us, ms or s ("10s", "500ms"; no unit means ns).
 */
int	pl_val_duration(const char *s, size_t n, uint64_t *ns, char *why, size_t whylen);

/*
 * Comma-separated lists.  *off starts at 0; each call yields the next element
 * (possibly empty) and returns 1, or 0 after the last one.  The empty string
 * is a list of one empty element.
 */
int	pl_val_list_next(const char *s, size_t n, size_t *off, const char **elem,
	    size_t *elen);
/*
 * Check a list whose elements must not be empty nor start or end with white
 * space.  Returns the element count, or -1 with a reason.
 */
int	pl_val_list_check(const char *s, size_t n, char *why, size_t whylen);

/*
 * Quote s[0..n) for a message: "text", cut to about 60 bytes with "...",
 * bytes outside printable ASCII as \xHH.  Returns out.
 */
char	*pl_val_quote(const char *s, size_t n, char *out, size_t outlen);
#define PL_QUOTE_MAX	80

/* "character 'x'" for printable ASCII, else "byte 0xHH", for messages. */
char	*pl_val_charname(int c, char out[16]);

#endif /* PL_CONF_KV_H */
