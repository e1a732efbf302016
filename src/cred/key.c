/*
 * key.c: Ed25519 keys (certs spec §1): generation, PKCS#8 private keys with
 * an optional passphrase, SPKI public keys, lists of public-key files (trust
 * roots), and the key id, SHA-256 of the raw 32-byte key.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "cred/cred.h"
#include "util/util.h"

#define KEYFILE_MAX	(64 * 1024)

struct pw {
	const char	*p;
	size_t		 len;
};

static int	 pw_cb(char *, int, int, void *);
static EVP_PKEY	*read_private(const char *, size_t, const char *, size_t);
static int	 is_encrypted(const char *);

EVP_PKEY *
cred_key_generate(struct cred_err *err)
{
	EVP_PKEY	*k;

	if ((k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL)
		cred_setsslerr(err, "cannot generate an Ed25519 key");
	return k;
}

EVP_PKEY *
cred_key_load(const char *path, const struct cred_pass *pass,
    struct cred_err *err)
{
	EVP_PKEY	*k;
	char		*text, pw[1024];
	size_t		 len;
	int		 pwlen;

	if (cred_read_file(path, KEYFILE_MAX, &text, &len, err) < 0)
		return NULL;
	/* An empty passphrase first: unencrypted keys never ask (as 1.1.0). */
	if ((k = read_private(text, len, "", 0)) == NULL) {
		if (!is_encrypted(text)) {
			cred_setsslerr(err, "%s: not a PEM private key", path);
			goto done;
		}
		ERR_clear_error();
		if ((pwlen = cred_pass_get(pass, path, pw, sizeof(pw),
		    err)) < 0)
			goto done;
		k = read_private(text, len, pw, (size_t)pwlen);
		OPENSSL_cleanse(pw, sizeof(pw));
		if (k == NULL) {
			cred_setsslerr(err, "%s: cannot decrypt the private key "
			    "(wrong passphrase?)", path);
			goto done;
		}
	}
	if (cred_key_check(k, path, err) < 0) {
		EVP_PKEY_free(k);
		k = NULL;
	}
 done:
	OPENSSL_cleanse(text, len);
	free(text);
	return k;
}

static EVP_PKEY *
read_private(const char *text, size_t len, const char *pass, size_t passlen)
{
	struct pw	 pw = { pass, passlen };
	EVP_PKEY	*k;
	BIO		*bio;

	if ((bio = BIO_new_mem_buf(text, (int)len)) == NULL)
		return NULL;
	k = PEM_read_bio_PrivateKey(bio, NULL, pw_cb, &pw);
	BIO_free(bio);
	return k;
}

/* Hands OpenSSL our passphrase, so it never opens a prompt of its own. */
static int
pw_cb(char *buf, int size, int rwflag, void *u)
{
	const struct pw	*pw = u;

	if (pw == NULL || size < 0 || pw->len > (size_t)size)
		return -1;
	memcpy(buf, pw->p, pw->len);
	return (int)pw->len;
}

static int
is_encrypted(const char *text)
{
	return strstr(text, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL ||
	    strstr(text, "Proc-Type: 4,ENCRYPTED") != NULL;
}

EVP_PKEY *
cred_pubkey_load(const char *path, struct cred_err *err)
{
	EVP_PKEY	*k;
	char		*text;
	size_t		 len;

	if (cred_read_file(path, KEYFILE_MAX, &text, &len, err) < 0)
		return NULL;
	k = cred_pubkey_from_pem(text, len, path, err);
	free(text);
	return k;
}

EVP_PKEY *
cred_pubkey_from_pem(const char *text, size_t len, const char *label,
    struct cred_err *err)
{
	EVP_PKEY	*k;
	BIO		*bio;

	if ((bio = BIO_new_mem_buf(text, (int)len)) == NULL) {
		cred_setsslerr(err, "%s: out of memory", label);
		return NULL;
	}
	k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (k == NULL && !is_encrypted(text)) {
		ERR_clear_error();
		k = read_private(text, len, "", 0);
	}
	if (k == NULL) {
		cred_setsslerr(err, "%s: not a PEM public key", label);
		return NULL;
	}
	if (cred_key_check(k, label, err) < 0) {
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

int
cred_key_check(const EVP_PKEY *k, const char *label, struct cred_err *err)
{
	const char	*name;

	if (EVP_PKEY_get_id(k) == EVP_PKEY_ED25519)
		return 0;
	name = EVP_PKEY_get0_type_name(k);
	return cred_seterr(err, "%s: key type %s, not Ed25519 (PacketLab "
	    "keys are Ed25519 only)", label, name != NULL ? name : "unknown");
}

int
cred_key_raw(const EVP_PKEY *k, uint8_t raw[CRED_RAWKEY_LEN])
{
	size_t	 len = CRED_RAWKEY_LEN;

	if (EVP_PKEY_get_id(k) != EVP_PKEY_ED25519 ||
	    EVP_PKEY_get_raw_public_key(k, raw, &len) != 1 ||
	    len != CRED_RAWKEY_LEN)
		return -1;
	return 0;
}

int
cred_keyid(const EVP_PKEY *k, uint8_t id[CRED_KEYID_LEN])
{
	uint8_t	 raw[CRED_RAWKEY_LEN];

	if (cred_key_raw(k, raw) < 0)
		return -1;
	cred_keyid_raw(raw, id);
	return 0;
}

void
cred_keyid_raw(const uint8_t raw[CRED_RAWKEY_LEN], uint8_t id[CRED_KEYID_LEN])
{
	SHA256(raw, CRED_RAWKEY_LEN, id);
}

char *
cred_key_pem(EVP_PKEY *k, int private, const char *pass, size_t passlen,
    size_t *len, struct cred_err *err)
{
	BIO	*bio;
	char	*text = NULL;
	int	 ok;

	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		cred_setsslerr(err, "out of memory");
		return NULL;
	}
	if (!private)
		ok = PEM_write_bio_PUBKEY(bio, k);
	else if (passlen > 0)
		/* PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC: what ppksman writes. */
		ok = PEM_write_bio_PKCS8PrivateKey(bio, k, EVP_aes_256_cbc(),
		    pass, (int)passlen, NULL, NULL);
	else
		ok = PEM_write_bio_PKCS8PrivateKey(bio, k, NULL, NULL, 0,
		    NULL, NULL);
	if (ok)
		text = cred_bio_text(bio, len);
	else
		cred_setsslerr(err, "cannot encode the %s key",
		    private ? "private" : "public");
	BIO_free(bio);
	return text;
}

char *
cred_bio_text(BIO *bio, size_t *len)
{
	char	*p, *text;
	long	 n;

	n = BIO_get_mem_data(bio, &p);
	text = xmalloc((size_t)n + 1);
	memcpy(text, p, (size_t)n);
	text[n] = '\0';
	*len = (size_t)n;
	return text;
}

int
cred_keys_load(struct cred_keys *ks, const char *const *paths, size_t n,
    struct cred_err *err)
{
	EVP_PKEY	*k;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if ((k = cred_pubkey_load(paths[i], err)) == NULL)
			return -1;
		cred_keys_add(ks, k, cred_basename(paths[i]));
		EVP_PKEY_free(k);
	}
	return 0;
}

void
cred_keys_add(struct cred_keys *ks, EVP_PKEY *k, const char *label)
{
	size_t	 n = ks->n + 1;

	ks->key = xrealloc(ks->key, n * sizeof(*ks->key));
	ks->label = xrealloc(ks->label, n * sizeof(*ks->label));
	ks->id = xrealloc(ks->id, n * sizeof(*ks->id));
	EVP_PKEY_up_ref(k);
	ks->key[ks->n] = k;
	ks->label[ks->n] = xstrdup(label);
	if (cred_keyid(k, ks->id[ks->n]) < 0)
		memset(ks->id[ks->n], 0, CRED_KEYID_LEN);
	ks->n = n;
}

void
cred_keys_free(struct cred_keys *ks)
{
	size_t	 i;

	for (i = 0; i < ks->n; i++) {
		EVP_PKEY_free(ks->key[i]);
		free(ks->label[i]);
	}
	free(ks->key);
	free(ks->label);
	free(ks->id);
	memset(ks, 0, sizeof(*ks));
}
