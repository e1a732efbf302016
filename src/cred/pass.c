/*
 * pass.c: passphrases for private keys and the files keys live in.
 *
 * A passphrase comes from a file, an environment variable, or a prompt on
 * /dev/tty with echo off (never stdin: stdin may be an mlet's or a pipe's).
 * Key files are written atomically (a temporary file renamed into place) so
 * an interrupted pktlab-cred never leaves half a key behind.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "cred/cred.h"
#include "util/util.h"

#define DERFILE_MAX	(256 * 1024)

static int	 pass_from_file(const char *, char *, size_t, struct cred_err *);
static int	 pass_prompt(const char *, char *, size_t, struct cred_err *);
static int	 no_source(const char *, struct cred_err *);

int
cred_pass_get(const struct cred_pass *src, const char *path, char *buf,
    size_t len, struct cred_err *err)
{
	const char	*env;
	char		*prompt;
	int		 r;

	if (src == NULL)
		return no_source(path, err);
	if (src->file != NULL)
		return pass_from_file(src->file, buf, len, err);
	if (src->env != NULL && (env = getenv(src->env)) != NULL) {
		if (strlen(env) >= len)
			return cred_seterr(err, "passphrase in %s is too long",
			    src->env);
		pl_strlcpy(buf, env, len);
		return (int)strlen(buf);
	}
	if (!src->prompt)
		return no_source(path, err);
	prompt = xasprintf("Enter passphrase for private key at %s:", path);
	r = pass_prompt(prompt, buf, len, err);
	free(prompt);
	return r == -2 ? no_source(path, err) : r;
}

int
cred_pass_get_new(const struct cred_pass *src, const char *path, char *buf,
    size_t len, struct cred_err *err)
{
	char	*prompt, again[1024];
	int	 r;

	if (src == NULL || src->file != NULL || !src->prompt ||
	    (src->env != NULL && getenv(src->env) != NULL))
		return cred_pass_get(src, path, buf, len, err);
	prompt = xasprintf("Enter passphrase for new private key at %s:",
	    path);
	r = pass_prompt(prompt, buf, len, err);
	free(prompt);
	if (r == -2)
		return cred_seterr(err, "no passphrase for the new key at %s: "
		    "no terminal to ask on (give a passphrase file or set %s)",
		    path, CRED_PASS_ENV);
	if (r <= 0)
		return r;
	if (pass_prompt("Enter the same passphrase again:", again,
	    sizeof(again), err) < 0)
		return -1;
	if (strcmp(again, buf) != 0) {
		OPENSSL_cleanse(again, sizeof(again));
		OPENSSL_cleanse(buf, len);
		return cred_seterr(err, "the two passphrases differ");
	}
	OPENSSL_cleanse(again, sizeof(again));
	return r;
}

static int
no_source(const char *path, struct cred_err *err)
{
	return cred_seterr(err, "%s is encrypted and no passphrase is "
	    "available (no terminal to ask on: give a passphrase file or set "
	    "%s)", path, CRED_PASS_ENV);
}

/* The first line, without its end-of-line. */
static int
pass_from_file(const char *file, char *buf, size_t len, struct cred_err *err)
{
	char	*text;
	size_t	 n, tlen;

	if (cred_read_file(file, 65536, &text, &tlen, err) < 0)
		return -1;
	n = strcspn(text, "\r\n");
	if (n >= len) {
		OPENSSL_cleanse(text, tlen);
		free(text);
		return cred_seterr(err, "%s: passphrase longer than %zu bytes",
		    file, len - 1);
	}
	memcpy(buf, text, n);
	buf[n] = '\0';
	OPENSSL_cleanse(text, tlen);
	free(text);
	return (int)n;
}

static int
pass_prompt(const char *prompt, char *buf, size_t len, struct cred_err *err)
{
	struct termios	 old, quiet;
	size_t		 n = 0;
	ssize_t		 r;
	char		 c;
	int		 fd, echo_off = 0;

	/* -2: nobody to ask; the caller says what is missing. */
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) == -1)
		return -2;
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		echo_off = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	(void)!write(fd, prompt, strlen(prompt));
	for (;;) {
		r = read(fd, &c, 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		if (n + 1 < len)
			buf[n++] = c;
	}
	buf[n] = '\0';
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &old);
	(void)!write(fd, "\n", 1);
	close(fd);
	if (r < 0)
		return cred_seterr(err, "reading the passphrase: %s",
		    strerror(errno));
	return (int)n;
}

int
cred_read_file(const char *path, size_t maxlen, char **bufp, size_t *lenp,
    struct cred_err *err)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 len = 0, cap = 0;
	ssize_t		 r;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return cred_seterr(err, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		close(fd);
		return cred_seterr(err, "%s: not a regular file", path);
	}
	for (;;) {
		if (len + 1 >= cap) {
			cap = cap == 0 ? 4096 : cap * 2;
			buf = xrealloc(buf, cap);
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			cred_seterr(err, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > maxlen) {
			cred_seterr(err, "%s: larger than %zu bytes", path,
			    maxlen);
			goto fail;
		}
	}
	close(fd);
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
 fail:
	close(fd);
	free(buf);
	return -1;
}

int
cred_write_file(const char *path, const void *data, size_t len, int mode,
    int force, struct cred_err *err)
{
	char		*tmp;
	const char	*p = data;
	ssize_t		 r;
	int		 fd, saved;

	if (!force && access(path, F_OK) == 0)
		return cred_seterr(err, "%s already exists (not overwritten)",
		    path);
	tmp = xasprintf("%s.tmpXXXXXX", path);
	if ((fd = mkstemp(tmp)) == -1) {
		saved = errno;
		free(tmp);
		return cred_seterr(err, "%s: %s", path, strerror(saved));
	}
	if (fchmod(fd, (mode_t)mode) == -1)
		goto fail;
	while (len > 0) {
		r = write(fd, p, len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		p += r;
		len -= (size_t)r;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	/* link() refuses to replace: a file that appeared meanwhile survives. */
	if (!force) {
		if (link(tmp, path) == -1)
			goto fail;
		unlink(tmp);
	} else if (rename(tmp, path) == -1)
		goto fail;
	free(tmp);
	return 0;
 fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	return cred_seterr(err, "%s: %s", path, strerror(saved));
}

int
cred_read_der(const char *path, const char *pemtype, unsigned char **der,
    size_t *lenp, struct cred_err *err)
{
	unsigned char	*data = NULL;
	char		*text, *name = NULL;
	size_t		 len;
	long		 dlen = 0;
	BIO		*bio;
	int		 ok = 0;

	if (cred_read_file(path, DERFILE_MAX, &text, &len, err) < 0)
		return -1;
	if (len > 0 && (unsigned char)text[0] == 0x30) {
		/* Plain DER, as certificates travel on the wire. */
		*der = OPENSSL_malloc(len);
		if (*der != NULL) {
			memcpy(*der, text, len);
			*lenp = len;
			ok = 1;
		}
	} else if ((bio = BIO_new_mem_buf(text, (int)len)) != NULL) {
		if (PEM_bytes_read_bio(&data, &dlen, &name, pemtype, bio, NULL,
		    NULL) && dlen > 0) {
			*der = data;
			*lenp = (size_t)dlen;
			ok = 1;
		}
		OPENSSL_free(name);
		BIO_free(bio);
	}
	free(text);
	if (!ok)
		return cred_setsslerr(err, "%s: no PEM \"%s\" block", path,
		    pemtype);
	ERR_clear_error();
	return 0;
}
