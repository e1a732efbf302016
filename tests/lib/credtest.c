/*
 * credtest.c: see credtest.h.
 */
#include <check.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "credtest.h"

static int	 rm_one(const char *, const struct stat *, int, struct FTW *);

char *
ct_path(const char *rel)
{
	const char	*dir = getenv("PL_TEST_DATA");
	char		*p;

	if (dir == NULL || *dir == '\0')
		dir = "tests/data";
	if (asprintf(&p, "%s/pki/%s", dir, rel) < 0)
		abort();
	return p;
}

X509 *
ct_cert(const char *rel)
{
	struct cred_err	 err;
	char		*p = ct_path(rel);
	X509		*x;

	x = cred_x509_load(p, &err);
	ck_assert_msg(x != NULL, "%s", err.msg);
	free(p);
	return x;
}

EVP_PKEY *
ct_key(const char *rel)
{
	struct cred_err	 err;
	char		*p = ct_path(rel);
	EVP_PKEY	*k;

	k = cred_key_load(p, NULL, &err);
	ck_assert_msg(k != NULL, "%s", err.msg);
	free(p);
	return k;
}

EVP_PKEY *
ct_pub(const char *rel)
{
	struct cred_err	 err;
	char		*p = ct_path(rel);
	EVP_PKEY	*k;

	k = cred_pubkey_load(p, &err);
	ck_assert_msg(k != NULL, "%s", err.msg);
	free(p);
	return k;
}

void
ct_decode(const char *rel, struct cred_cert *c)
{
	struct cred_err	 err;
	X509		*x = ct_cert(rel);
	int		 r;

	r = cred_cert_decode(x, rel, c, &err);
	ck_assert_msg(r == 0, "%s", err.msg);
	X509_free(x);
}

void
ct_certs(struct cred_certs *cs, ...)
{
	const char	*rel;
	va_list		 ap;
	X509		*x;

	memset(cs, 0, sizeof(*cs));
	va_start(ap, cs);
	while ((rel = va_arg(ap, const char *)) != NULL) {
		x = ct_cert(rel);
		cred_certs_add(cs, x, strrchr(rel, '/') != NULL ?
		    strrchr(rel, '/') + 1 : rel);
		X509_free(x);
	}
	va_end(ap);
}

void
ct_roots(struct cred_keys *ks, ...)
{
	const char	*rel;
	va_list		 ap;
	EVP_PKEY	*k;

	memset(ks, 0, sizeof(*ks));
	va_start(ap, ks);
	while ((rel = va_arg(ap, const char *)) != NULL) {
		k = ct_pub(rel);
		cred_keys_add(ks, k, strrchr(rel, '/') != NULL ?
		    strrchr(rel, '/') + 1 : rel);
		EVP_PKEY_free(k);
	}
	va_end(ap);
}

enum cred_verdict
ct_verify(enum cred_mode mode, const struct cred_keys *roots, int64_t now,
    const struct cred_certs *cs, struct cred_chain *ch, struct cred_err *err)
{
	memset(err, 0, sizeof(*err));
	return cred_chain_verify(cs, roots, mode, now, ch, err);
}

char *
ct_tmpdir(void)
{
	const char	*base = getenv("TMPDIR");
	char		*p;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (asprintf(&p, "%s/credtest.XXXXXX", base) < 0)
		abort();
	ck_assert_ptr_nonnull(mkdtemp(p));
	return p;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void
ct_rmtree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
