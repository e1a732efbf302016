/*
 * file.c: reading configuration files and checking configured paths (see
 * file.h).
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/file.h"
#include "util/util.h"

int
pl_conf_readfile(const char *path, char **buf, size_t *len, char *why, size_t whylen)
{
	struct stat	 st;
	char		*p = NULL;
	size_t		 used = 0, cap = 0;
	ssize_t		 r;
	int		 fd;

	*buf = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, S_ISDIR(st.st_mode) ? "is a directory" :
		    "not a regular file");
		goto fail;
	}
	for (;;) {
		if (used == cap) {
			if (cap >= PL_CONF_FILE_MAX) {
				snprintf(why, whylen, "larger than %u bytes",
				    PL_CONF_FILE_MAX);
				goto fail;
			}
			cap = cap == 0 ? 4096 : cap * 2;
			p = xrealloc(p, cap + 1);
		}
		r = read(fd, p + used, cap - used);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			snprintf(why, whylen, "%s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		used += (size_t)r;
	}
	close(fd);
	if (p == NULL)
		p = xmalloc(1);
	p[used] = '\0';
	*buf = p;
	*len = used;
	return 0;
fail:
	free(p);
	close(fd);
	return -1;
}

int
pl_path_check(const char *path, enum pl_path_kind kind, char *why, size_t whylen)
{
	struct stat	 st;

	if (stat(path, &st) == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	switch (kind) {
	case PL_PATH_DIR:
		if (!S_ISDIR(st.st_mode)) {
			snprintf(why, whylen, "not a directory");
			return -1;
		}
		if (access(path, R_OK | X_OK) == -1) {
			snprintf(why, whylen, "%s", strerror(errno));
			return -1;
		}
		return 0;
	case PL_PATH_FILE:
	case PL_PATH_EXEC:
		if (!S_ISREG(st.st_mode)) {
			snprintf(why, whylen, S_ISDIR(st.st_mode) ? "is a directory" :
			    "not a regular file");
			return -1;
		}
		if (access(path, kind == PL_PATH_FILE ? R_OK : X_OK) == -1) {
			snprintf(why, whylen, kind == PL_PATH_FILE ? "%s" :
			    "not executable (%s)", strerror(errno));
			return -1;
		}
		return 0;
	}
	snprintf(why, whylen, "unknown path kind");
	return -1;
}
