/*
 * programs.c: monitor programs from ProgramDirPath (xpmgr spec §9).
 * Loaded once at start-up: each file is encoded by the credentials
 * library's loader (the same one pktlab-cred uses to write the digest into
 * a certificate) and hashed; a session later sends the ones whose digest
 * its chain lists.  Bad files are logged and skipped, as in 1.1.0; only an
 * unreadable folder is an error.
 */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/util.h"
#include "cred/cred.h"
#include "xpmgr/daemon.h"

static int	 name_cmp(const void *a, const void *b);

int
xp_progs_load(const char *dir, struct xp_progs *ps, char *why, size_t whylen)
{
	DIR		*dp;
	struct dirent	*de;
	char		**names = NULL, *path;
	size_t		 nnames = 0, i, enclen;
	uint8_t		*enc;
	struct xp_prog	*p;
	struct cred_err	 err;
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
		path = xasprintf("%s/%s", dir, names[i]);
		r = cred_prog_load(path, &enc, &enclen, &err);
		free(path);
		if (r == -1) {
			log_warnx("program %s, skipping", err.msg);
			continue;
		}
		if (enclen > XP_PROG_MAX) {
			log_warnx("program %s/%s: too large for a cdata message (%zu "
			    "bytes), skipping", dir, names[i], enclen);
			free(enc);
			continue;
		}
		ps->v = xrealloc(ps->v, (ps->n + 1) * sizeof(*ps->v));
		p = &ps->v[ps->n++];
		p->name = names[i];
		names[i] = NULL;
		p->enc = enc;
		p->len = enclen;
		cred_prog_digest(enc, enclen, p->digest);
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
