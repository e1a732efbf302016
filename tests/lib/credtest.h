/*
 * credtest.h: helpers for the credential tests: paths of the PKI vectors
 * under $PL_TEST_DATA/pki, loading keys, certificates and lists of them
 * with a test failure instead of an error return, and scratch folders.
 */
#ifndef PL_TEST_CREDTEST_H
#define PL_TEST_CREDTEST_H

#include "ctrun.h"

#include "cred/cred.h"

/* $PL_TEST_DATA/pki/REL (malloc'ed). */
char	*ct_path(const char *rel);
X509	*ct_cert(const char *rel);
EVP_PKEY *ct_key(const char *rel);		/* private, unencrypted */
EVP_PKEY *ct_pub(const char *rel);
/* Decode a vector certificate; fails the test with the reason otherwise. */
void	 ct_decode(const char *rel, struct cred_cert *);
/* Fill a list from NULL-terminated relative paths. */
void	 ct_certs(struct cred_certs *, ...) __attribute__((sentinel));
void	 ct_roots(struct cred_keys *, ...) __attribute__((sentinel));
/* Verify in mode at now; roots may be NULL.  Returns the verdict, err set. */
enum cred_verdict ct_verify(enum cred_mode, const struct cred_keys *roots,
	    int64_t now, const struct cred_certs *, struct cred_chain *,
	    struct cred_err *);
/* A fresh folder under $TMPDIR, and removing it with its contents. */
char	*ct_tmpdir(void);
void	 ct_rmtree(const char *);
/* A time inside every vector certificate's validity (2026-01-01). */
#define CT_NOW	((int64_t)1767225600)

#endif /* PL_TEST_CREDTEST_H */
