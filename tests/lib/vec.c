/*
 * vec.c: hex decoding and the protocol_vectors.txt loader (see vec.h).
 *
 * The file is line-oriented: section A is commentary and is skipped,
 * section B lists messages under "## group" headings (the groups
 * "decoder edge cases" and "name-value" have their own line forms), and
 * section C holds transcripts opened by "== name rc=N".  A line the loader
 * cannot read inside B or C fails the whole load with file:line, so a
 * damaged vector file cannot silently shrink the tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "vec.h"

enum section { SEC_NONE, SEC_B, SEC_C };

static void	*zalloc(size_t);
static char	*dupn(const char *, size_t);
static char	*trim(char *);
static int	 split_hex(char *, char **, char **);
static int	 parse_msg(struct vec *, char *);
static int	 parse_edge(struct vec *, char *);
static int	 parse_nvp(struct vec *, char *);
static int	 parse_transcript_line(struct vec_set *, char *);
static struct vec *new_vec(struct vec_set *, enum vec_kind, unsigned);

static void *
zalloc(size_t n)
{
	void	*p = calloc(1, n == 0 ? 1 : n);

	if (p == NULL)
		abort();
	return p;
}

static char *
dupn(const char *s, size_t n)
{
	char	*p = zalloc(n + 1);

	memcpy(p, s, n);
	return p;
}

long
vec_unhex_into(const char *hex, uint8_t *out, size_t outlen)
{
	size_t	 n = 0, run;
	ssize_t	 r;

	for (;;) {
		hex += strspn(hex, " \t\n");
		if (*hex == '\0')
			return (long)n;
		run = strcspn(hex, " \t\n");
		if ((r = pl_unhex(hex, run, out + n, outlen - n)) < 0)
			return -1;
		n += (size_t)r;
		hex += run;
	}
}

uint8_t *
vec_unhex(const char *hex, size_t *len)
{
	size_t	 cap = strlen(hex) / 2 + 1;
	uint8_t	*p = zalloc(cap);
	long	 n;

	if ((n = vec_unhex_into(hex, p, cap)) < 0) {
		free(p);
		return NULL;
	}
	*len = (size_t)n;
	return p;
}

char *
vec_data_path(const char *name)
{
	const char	*dir = getenv("PL_TEST_DATA");
	char		*p;
	size_t		 n;

	if (dir == NULL || *dir == '\0')
		dir = "tests/data";
	n = strlen(dir) + strlen(name) + 2;
	p = zalloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/*
 * "desc: HEX" (already cut before any trailer): the hex is the last word,
 * the description everything before the ": " that precedes it.
 */
static int
split_hex(char *left, char **desc, char **hex)
{
	char	*sp;

	left = trim(left);
	if ((sp = strrchr(left, ' ')) == NULL || sp - left < 1 || sp[-1] != ':')
		return -1;
	*hex = sp + 1;
	sp[-1] = '\0';
	*desc = trim(left);
	return 0;
}

static struct vec *
new_vec(struct vec_set *set, enum vec_kind kind, unsigned lineno)
{
	struct vec	*v;

	set->v = realloc(set->v, (set->n + 1) * sizeof(*set->v));
	if (set->v == NULL)
		abort();
	v = &set->v[set->n++];
	memset(v, 0, sizeof(*v));
	v->kind = kind;
	v->lineno = lineno;
	v->group = set->ngroups > 0 ? set->groups[set->ngroups - 1] : "";
	return v;
}

static int
parse_msg(struct vec *v, char *line)
{
	char	*lb, *desc, *hex;

	/* The trailer "[N bytes...]" is the last '['; descriptions use '[' too. */
	if ((lb = strrchr(line, '[')) == NULL)
		return -1;
	*lb++ = '\0';
	if (sscanf(lb, "%zu bytes", &v->stated_len) != 1)
		return -1;
	v->roundtrip = strstr(lb, "roundtrip-ok") != NULL;
	if (split_hex(line, &desc, &hex) == -1)
		return -1;
	v->desc = dupn(desc, strlen(desc));
	if ((v->bytes = vec_unhex(hex, &v->len)) == NULL)
		return -1;
	return 0;
}

static int
parse_edge(struct vec *v, char *line)
{
	char	*arrow, *desc, *hex, *out;

	if ((arrow = strstr(line, " -> ")) == NULL)
		return -1;
	*arrow = '\0';
	out = trim(arrow + 4);
	if (split_hex(line, &desc, &hex) == -1)
		return -1;
	v->desc = dupn(desc, strlen(desc));
	if ((v->bytes = vec_unhex(hex, &v->len)) == NULL)
		return -1;
	if (strncmp(out, "returns 0", 9) == 0) {
		v->need = 1;
		return 0;
	}
	if (sscanf(out, "consumed %zu, UNDEF raw, malformed=%d", &v->consumed,
	    &v->malformed) != 2)
		return -1;
	return 0;
}

static int
parse_nvp(struct vec *v, char *line)
{
	char	*p, *q, *colon;

	line = trim(line);
	v->desc = dupn(line, strlen(line));
	for (p = line; v->nstr < 2 && (p = strchr(p, '"')) != NULL; p = q + 1) {
		if ((q = strchr(p + 1, '"')) == NULL)
			return -1;
		v->str[v->nstr++] = dupn(p + 1, (size_t)(q - p - 1));
	}
	if ((colon = strstr(line, "): ")) != NULL)
		colon += 1;
	else if ((colon = strchr(line, '}')) != NULL && colon[1] == ':')
		colon += 1;
	else if ((colon = strrchr(line, ':')) == NULL)
		return -1;
	v->outcome = dupn(trim(colon + 1), strlen(trim(colon + 1)));
	return 0;
}

static int
parse_transcript_line(struct vec_set *set, char *line)
{
	struct vec_transcript	*t;
	struct vec_msg		*m;
	char			 name[64];
	size_t			 n;

	if (strncmp(line, "== ", 3) == 0) {
		set->t = realloc(set->t, (set->nt + 1) * sizeof(*set->t));
		if (set->t == NULL)
			abort();
		t = &set->t[set->nt++];
		memset(t, 0, sizeof(*t));
		if (sscanf(line, "== %63s rc=%d", name, &t->rc) != 2)
			return -1;
		t->name = dupn(name, strlen(name));
		return 0;
	}
	if (set->nt == 0)
		return -1;
	t = &set->t[set->nt - 1];
	if (strcmp(trim(line), "mlet EOF") == 0) {
		t->mlet_eof = 1;
		return 0;
	}
	if (strcmp(trim(line), "-- stdout --") == 0) {
		t->out = dupn("", 0);
		return 0;
	}
	if (t->out != NULL) {
		n = strlen(t->out);
		t->out = realloc(t->out, n + strlen(line) + 2);
		if (t->out == NULL)
			abort();
		snprintf(t->out + n, strlen(line) + 2, "%s\n", trim(line));
		return 0;
	}
	t->msg = realloc(t->msg, (t->nmsg + 1) * sizeof(*t->msg));
	if (t->msg == NULL)
		abort();
	m = &t->msg[t->nmsg];
	if (strncmp(line, "mlet->ep ", 9) == 0)
		m->from_mlet = 1;
	else if (strncmp(line, "ep->mlet ", 9) == 0)
		m->from_mlet = 0;
	else
		return -1;
	if ((m->bytes = vec_unhex(line + 9, &m->len)) == NULL)
		return -1;
	t->nmsg++;
	return 0;
}

struct vec_set *
vec_load(const char *file)
{
	struct vec_set	*set;
	enum section	 sec = SEC_NONE;
	enum vec_kind	 kind = VEC_MSG;
	FILE		*f;
	char		*path, *line = NULL, *s;
	size_t		 cap = 0;
	unsigned	 lineno = 0;
	int		 r = 0;

	path = strchr(file, '/') != NULL ? dupn(file, strlen(file)) :
	    vec_data_path(file);
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "vec_load: %s: cannot open\n", path);
		free(path);
		return NULL;
	}
	set = zalloc(sizeof(*set));
	while (r == 0 && getline(&line, &cap, f) != -1) {
		lineno++;
		s = trim(line);
		if (strncmp(s, "# B.", 4) == 0) {
			sec = SEC_B;
			continue;
		}
		if (strncmp(s, "# C.", 4) == 0) {
			sec = SEC_C;
			continue;
		}
		if (*s == '\0' || sec == SEC_NONE)
			continue;
		if (sec == SEC_C) {
			if (*s != '#')
				r = parse_transcript_line(set, line);
			continue;
		}
		if (strncmp(s, "## ", 3) == 0) {
			s += 3;
			kind = strncmp(s, "decoder edge", 12) == 0 ? VEC_EDGE :
			    strncmp(s, "name-value", 10) == 0 ? VEC_NVP : VEC_MSG;
			if (set->ngroups < sizeof(set->groups) / sizeof(set->groups[0]))
				set->groups[set->ngroups++] = dupn(s, strlen(s));
			continue;
		}
		if (*s == '#')
			continue;
		switch (kind) {
		case VEC_MSG:
			r = parse_msg(new_vec(set, kind, lineno), line);
			break;
		case VEC_EDGE:
			r = parse_edge(new_vec(set, kind, lineno), line);
			break;
		case VEC_NVP:
			r = parse_nvp(new_vec(set, kind, lineno), line);
			break;
		}
	}
	free(line);
	fclose(f);
	if (r != 0) {
		fprintf(stderr, "%s:%u: cannot read this vector line\n", path,
		    lineno);
		free(path);
		vec_free(set);
		return NULL;
	}
	free(path);
	return set;
}

void
vec_free(struct vec_set *set)
{
	size_t	 i, j;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++) {
		free(set->v[i].desc);
		free(set->v[i].bytes);
		free(set->v[i].str[0]);
		free(set->v[i].str[1]);
		free(set->v[i].outcome);
	}
	free(set->v);
	for (i = 0; i < set->nt; i++) {
		for (j = 0; j < set->t[i].nmsg; j++)
			free(set->t[i].msg[j].bytes);
		free(set->t[i].msg);
		free(set->t[i].name);
		free(set->t[i].out);
	}
	free(set->t);
	for (i = 0; i < set->ngroups; i++)
		free(set->groups[i]);
	free(set);
}

const struct vec *
vec_find(const struct vec_set *set, enum vec_kind kind, const char *prefix)
{
	size_t	 i, n = strlen(prefix);

	for (i = 0; i < set->n; i++)
		if (set->v[i].kind == kind &&
		    strncmp(set->v[i].desc, prefix, n) == 0)
			return &set->v[i];
	return NULL;
}

const struct vec_transcript *
vec_transcript(const struct vec_set *set, const char *name)
{
	size_t	 i;

	for (i = 0; i < set->nt; i++)
		if (strcmp(set->t[i].name, name) == 0)
			return &set->t[i];
	return NULL;
}
