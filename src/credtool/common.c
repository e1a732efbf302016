/*
 * common.c: what several pktlab-cred commands need: times and numbers from
 * the command line, private keys with their passphrase sources, key pairs
 * and PEM files written with the right modes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "credtool/credtool.h"
#include "util/log.h"
#include "util/util.h"

int
parse_time(const char *s, int64_t *out)
{
	static const char *const fmts[] = {
		"%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
		"%Y-%m-%dT%H:%MZ", "%Y-%m-%dT%H:%M", "%Y-%m-%d",
	};
	struct tm	 tm;
	const char	*end;
	uint64_t	 v;
	size_t		 i;

	if (parse_uint(s, INT64_MAX, &v) == 0) {
		*out = (int64_t)v;
		return 0;
	}
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, fmts[i], &tm);
		if (end != NULL && *end == '\0') {
			*out = (int64_t)timegm(&tm);
			return 0;
		}
	}
	return -1;
}

/*
 * A validity bound given on the command line, or a usage error.  PacketLab
 * 1.1.0 holds certificate times as 64-bit nanoseconds since 1970, which
 * overflow after 2262-04-11T23:47:16Z: a later date would not be read as
 * written by a 1.1.0 peer, so it is refused here.
 */
void
validity_opt(const char *cmd, const char *opt, const char *arg, int64_t *out)
{
	if (parse_time(arg, out) < 0)
		usage_fail(cmd, "--%s %s: not UNIX seconds or an ISO date", opt, arg);
	if (*out > CREDTOOL_TIME_MAX)
		usage_fail(cmd, "--%s %s: after 2262-04-11T23:47:16Z, where PacketLab "
		    "1.1.0's nanosecond clock overflows", opt, arg);
}

int
outopt_handle(struct outopt *oo, int ch, const char *arg)
{
	switch (ch) {
	case 'o':
		oo->out = arg;
		return 1;
	case 'f':
		oo->force = 1;
		return 1;
	case 'p':
		oo->pass.file = arg;
		return 1;
	}
	return 0;
}

int
parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t	 v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

void
pass_source(const struct passopt *po, struct cred_pass *src)
{
	src->file = po != NULL ? po->file : NULL;
	src->env = CRED_PASS_ENV;
	src->prompt = 1;
}

EVP_PKEY *
load_private_or_die(const char *path, const struct passopt *po)
{
	struct cred_pass	 src;
	struct cred_err		 err;
	EVP_PKEY		*k;

	pass_source(po, &src);
	if ((k = cred_key_load(path, &src, &err)) == NULL)
		fatalx("%s", err.msg);
	return k;
}

EVP_PKEY *
load_public_or_die(const char *path)
{
	struct cred_err	 err;
	EVP_PKEY	*k;

	if ((k = cred_pubkey_load(path, &err)) == NULL)
		fatalx("%s", err.msg);
	return k;
}

size_t
new_passphrase(const struct passopt *po, const char *what, char *buf,
    size_t len)
{
	struct cred_pass	 src;
	struct cred_err		 err;
	int			 n;

	buf[0] = '\0';
	if (po == NULL || (!po->encrypt && po->file == NULL))
		return 0;
	pass_source(po, &src);
	if ((n = cred_pass_get_new(&src, what, buf, len, &err)) < 0)
		fatalx("%s", err.msg);
	/* Asked to encrypt: an empty passphrase would silently not. */
	if (n == 0)
		fatalx("empty passphrase for %s (%s); leave out --encrypt "
		    "for keys without one", what, po->file != NULL ? po->file :
		    getenv(CRED_PASS_ENV) != NULL ? "$" CRED_PASS_ENV :
		    "typed");
	return (size_t)n;
}

int
write_key_pair(const char *path, EVP_PKEY *k, const char *pass,
    size_t passlen, int force, struct cred_err *err)
{
	char	*text, *pub;
	size_t	 len;
	int	 r;

	if ((text = cred_key_pem(k, 1, pass, passlen, &len, err)) == NULL)
		return -1;
	r = cred_write_file(path, text, len, 0600, force, err);
	OPENSSL_cleanse(text, len);
	free(text);
	if (r < 0)
		return -1;
	if ((text = cred_key_pem(k, 0, NULL, 0, &len, err)) == NULL)
		return -1;
	pub = xasprintf("%s.pub", path);
	r = cred_write_file(pub, text, len, 0600, force, err);
	free(pub);
	free(text);
	return r;
}

int
write_out(const char *path, const char *text, size_t len, int mode,
    int force, struct cred_err *err)
{
	if (path == NULL || strcmp(path, "-") == 0) {
		if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)
			return cred_seterr(err, "stdout: %s", strerror(errno));
		return 0;
	}
	return cred_write_file(path, text, len, mode, force, err);
}

char *
keyid_hex(const uint8_t *id, char buf[2 * CRED_KEYID_LEN + 1])
{
	return pl_hex(id, CRED_KEYID_LEN, buf);
}

struct option *
longopts_with_priv(const struct option *own, size_t n)
{
	struct option	*o;

	o = xcalloc(n + privopt_nlongopts + 1, sizeof(*o));
	memcpy(o, own, n * sizeof(*o));
	memcpy(o + n, privopt_longopts, privopt_nlongopts * sizeof(*o));
	return o;
}
