/*
 * file.h: the file-system side of configuration loading, kept out of the
 * pure parsers: reading a whole configuration file, and checking that a
 * configured path is what it should be (a readable file, a folder, an
 * executable).  Shared by pktxpmgr and the endpoint.
 */
#ifndef PL_CONF_FILE_H
#define PL_CONF_FILE_H

#include <stddef.h>

/* Configuration files are small; this bounds what a mistaken path can cost. */
#define PL_CONF_FILE_MAX	(16u * 1024 * 1024)

/*
 * Read the regular file at path into a malloc'ed, NUL-terminated buffer
 * (*len excludes the NUL).  Returns 0, or -1 with a reason in why
 * ("No such file or directory", "is a directory", ...).
 */
int	pl_conf_readfile(const char *path, char **buf, size_t *len, char *why,
	    size_t whylen);

enum pl_path_kind {
	PL_PATH_FILE,		/* a regular file we can read (symlinks followed) */
	PL_PATH_DIR,		/* a folder we can list */
	PL_PATH_EXEC,		/* a regular file we can execute */
};

/* 0, or -1 with a reason in why (not including the path). */
int	pl_path_check(const char *path, enum pl_path_kind kind, char *why, size_t whylen);

#endif /* PL_CONF_FILE_H */
