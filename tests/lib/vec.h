/*
 * vec.h: test helpers for byte vectors: hex decoding, and a loader for
 * tests/data/protocol_vectors.txt (reference-generated messages, decoder
 * edge cases, name-value outcomes, and the example-mlet transcripts).
 */
#ifndef PL_TEST_VEC_H
#define PL_TEST_VEC_H

#include <stddef.h>
#include <stdint.h>

/*
 * Hex to bytes; white space between digit pairs is skipped.  Returns a
 * malloc'ed buffer (never NULL, free it) and sets *len, or NULL for bad hex.
 */
uint8_t	*vec_unhex(const char *hex, size_t *len);
/* Same into a caller buffer; returns the byte count or -1 (bad hex, too long). */
long	 vec_unhex_into(const char *hex, uint8_t *out, size_t outlen);

/* A path under $PL_TEST_DATA (or the source tree's tests/data); malloc'ed. */
char	*vec_data_path(const char *name);

/* Which part of the vector file a line comes from. */
enum vec_kind {
	VEC_MSG,	/* section B: "desc: hex    [N bytes; roundtrip-ok]" */
	VEC_EDGE,	/* section B, decoder edge cases: "desc: hex    -> outcome" */
	VEC_NVP,	/* section B, name-value lines */
};

struct vec {
	enum vec_kind	 kind;
	unsigned	 lineno;
	const char	*group;		/* section B "## " heading */
	char		*desc;		/* text before ": hex" (VEC_NVP: whole line) */
	uint8_t		*bytes;		/* VEC_MSG, VEC_EDGE */
	size_t		 len;
	size_t		 stated_len;	/* "[N bytes", 0 when absent */
	int		 roundtrip;	/* "roundtrip-ok" */
	/* VEC_EDGE */
	int		 need;		/* "returns 0 (need more bytes)" */
	size_t		 consumed;
	int		 malformed;
	/* VEC_NVP: the quoted strings, and the text after the last ": " */
	char		*str[2];
	int		 nstr;
	char		*outcome;
};

struct vec_msg {
	int		 from_mlet;	/* "mlet->ep" (else "ep->mlet") */
	uint8_t		*bytes;
	size_t		 len;
};

/* Section C: one example mlet run against the scripted endpoint. */
struct vec_transcript {
	char		*name;		/* "test_dns" */
	int		 rc;
	struct vec_msg	*msg;
	size_t		 nmsg;
	int		 mlet_eof;	/* "mlet EOF" line seen */
	char		*out;		/* "-- stdout --" lines, '\n'-joined, or NULL */
};

struct vec_set {
	struct vec		*v;
	size_t			 n;
	struct vec_transcript	*t;
	size_t			 nt;
	char			*groups[16];
	size_t			 ngroups;
};

/* Load a vector file (a bare name is looked up with vec_data_path()). */
struct vec_set	*vec_load(const char *file);
void		 vec_free(struct vec_set *);
/* First vector of that kind whose description starts with prefix, or NULL. */
const struct vec *vec_find(const struct vec_set *, enum vec_kind, const char *prefix);
const struct vec_transcript *vec_transcript(const struct vec_set *, const char *name);

#endif /* PL_TEST_VEC_H */
