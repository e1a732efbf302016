/*
 * cert.c: one PacketLab certificate against the profile libpktlab 1.1.0
 * enforces when it decodes (certs spec §2.1, §2.3, ERRATA 9): v3, non-zero
 * serial, Ed25519 everywhere, no unique ids, only the allowed extensions and
 * each once, AKI/SKI non-critical 32-byte key ids with SKI = SHA-256(raw
 * key), KeyUsage and critical BasicConstraints by type, and the critical
 * PacketLab extensions 1.2.3.1 / 1.2.3.3 (double-wrapped OCTET STRINGs).
 * Also: PEM certificate files and ordered lists of certificates.
 *
 * Signatures are not checked here; chain.c does that.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cred/cred.h"
#include "util/util.h"

/* The extensions a PacketLab certificate may carry. */
enum ext {
	EXT_AKI, EXT_SKI, EXT_KU, EXT_BC, EXT_INFO, EXT_LIMIT,
	EXT_CRLDP, EXT_FRESHEST, EXT_AIA, EXT_SIA, EXT_N
};

static const char *const ext_names[EXT_N] = {
	"AuthorityKeyIdentifier", "SubjectKeyIdentifier", "KeyUsage",
	"BasicConstraints", "1.2.3.1 (certificate information)",
	"1.2.3.3 (certificate limitation)", "CRLDistributionPoints",
	"FreshestCRL", "AuthorityInfoAccess", "SubjectInfoAccess",
};

/* DER content octets of the placeholder OIDs 1.2.3.1 and 1.2.3.3. */
static const uint8_t oid_info[] = { 0x2a, 0x03, 0x01 };
static const uint8_t oid_limit[] = { 0x2a, 0x03, 0x03 };

static int	 ext_kind(const ASN1_OBJECT *);
static int	 check_basics(X509 *, struct cred_cert *, struct cred_err *);
static int	 check_ext(X509_EXTENSION *, int, struct cred_cert *,
		    struct cred_err *);
static int	 check_type_rules(struct cred_cert *, const int *,
		    struct cred_err *);
static int	 inner_octets(const uint8_t *, size_t, const uint8_t **,
		    size_t *);
static int	 asn1_time(const ASN1_TIME *, int64_t *);
static int	 is_alg_ed25519(const X509_ALGOR *);

int
cred_cert_decode_der(const uint8_t *der, size_t len, const char *label,
    struct cred_cert *c, struct cred_err *err)
{
	const unsigned char	*p = der;
	X509			*x;
	int			 r;

	memset(c, 0, sizeof(*c));
	c->info.type = CRED_UNKNOWN;
	if (len > LONG_MAX || (x = d2i_X509(NULL, &p, (long)len)) == NULL)
		return cred_setsslerr(err, "%s: not a DER X.509 certificate",
		    label);
	if (p != der + len) {
		X509_free(x);
		return cred_seterr(err, "%s: %zu bytes after the certificate",
		    label, (size_t)(der + len - p));
	}
	r = cred_cert_decode(x, label, c, err);
	X509_free(x);
	return r;
}

int
cred_cert_decode(X509 *x, const char *label, struct cred_cert *c,
    struct cred_err *err)
{
	const STACK_OF(X509_EXTENSION)	*exts;
	unsigned char			*der = NULL;
	int				 seen[EXT_N], i, n, k, len;

	memset(c, 0, sizeof(*c));
	memset(seen, 0, sizeof(seen));
	c->info.type = CRED_UNKNOWN;
	c->pathlen = -1;
	X509_up_ref(x);
	c->x509 = x;
	c->label = xstrdup(label);
	if ((len = i2d_X509(x, &der)) <= 0) {
		cred_setsslerr(err, "%s: cannot encode the certificate", label);
		goto fail;
	}
	c->der = xmalloc((size_t)len);
	memcpy(c->der, der, (size_t)len);
	c->derlen = (size_t)len;
	OPENSSL_free(der);

	if (check_basics(x, c, err) < 0)
		goto fail;
	exts = X509_get0_extensions(x);
	if ((n = sk_X509_EXTENSION_num(exts)) <= 0) {
		cred_seterr(err, "%s: no extensions (a PacketLab certificate "
		    "needs AKI, SKI, KeyUsage, BasicConstraints and 1.2.3.1)",
		    label);
		goto fail;
	}
	for (i = 0; i < n; i++) {
		X509_EXTENSION	*e = sk_X509_EXTENSION_value(exts, i);
		char		 oid[80];

		if ((k = ext_kind(X509_EXTENSION_get_object(e))) < 0) {
			const ASN1_OBJECT *o = X509_EXTENSION_get_object(e);
			int		 nid = OBJ_obj2nid(o);
			const char	*ln = nid != NID_undef ?
					    OBJ_nid2ln(nid) : NULL;

			OBJ_obj2txt(oid, sizeof(oid), o, 1);
			cred_seterr(err, "%s: extension %s%s%s%s is not allowed "
			    "in a PacketLab certificate", label, oid,
			    ln != NULL ? " (" : "", ln != NULL ? ln : "",
			    ln != NULL ? ")" : "");
			goto fail;
		}
		if (seen[k]++) {
			cred_seterr(err, "%s: extension %s appears twice",
			    label, ext_names[k]);
			goto fail;
		}
		if (check_ext(e, k, c, err) < 0)
			goto fail;
	}
	if (check_type_rules(c, seen, err) < 0)
		goto fail;
	return 0;
 fail:
	cred_cert_clear(c);
	return -1;
}

void
cred_cert_clear(struct cred_cert *c)
{
	X509_free(c->x509);
	free(c->label);
	free(c->der);
	free(c->info_text);
	free(c->limits_text);
	cred_info_clear(&c->info);
	cred_limits_clear(&c->lim);
	memset(c, 0, sizeof(*c));
	c->info.type = CRED_UNKNOWN;
	c->pathlen = -1;
}

static int
ext_kind(const ASN1_OBJECT *obj)
{
	switch (OBJ_obj2nid(obj)) {
	case NID_authority_key_identifier:
		return EXT_AKI;
	case NID_subject_key_identifier:
		return EXT_SKI;
	case NID_key_usage:
		return EXT_KU;
	case NID_basic_constraints:
		return EXT_BC;
	case NID_crl_distribution_points:
		return EXT_CRLDP;
	case NID_freshest_crl:
		return EXT_FRESHEST;
	case NID_info_access:
		return EXT_AIA;
	case NID_sinfo_access:
		return EXT_SIA;
	}
	switch (cred_ext_pktlab(obj)) {
	case 1:
		return EXT_INFO;
	case 3:
		return EXT_LIMIT;
	}
	return -1;
}

int
cred_ext_pktlab(const ASN1_OBJECT *obj)
{
	size_t	 len = (size_t)OBJ_length(obj);

	if (len == sizeof(oid_info) &&
	    memcmp(OBJ_get0_data(obj), oid_info, len) == 0)
		return 1;
	if (len == sizeof(oid_limit) &&
	    memcmp(OBJ_get0_data(obj), oid_limit, len) == 0)
		return 3;
	return 0;
}

/* Everything outside the extensions. */
static int
check_basics(X509 *x, struct cred_cert *c, struct cred_err *err)
{
	const ASN1_INTEGER	*serial;
	const ASN1_BIT_STRING	*iuid, *suid, *sig;
	const X509_ALGOR	*alg;
	EVP_PKEY		*pk;
	int			 len, i, zero = 1;

	if (X509_get_version(x) != X509_VERSION_3)
		return cred_seterr(err, "%s: not an X.509 v3 certificate "
		    "(version field %ld)", c->label, X509_get_version(x));
	serial = X509_get0_serialNumber(x);
	len = serial != NULL ? ASN1_STRING_length(serial) : 0;
	if (len <= 0)
		return cred_seterr(err, "%s: no serial number", c->label);
	if ((size_t)len > sizeof(c->serial))
		return cred_seterr(err, "%s: serial number of %d bytes "
		    "(at most %zu)", c->label, len, sizeof(c->serial));
	memcpy(c->serial, ASN1_STRING_get0_data(serial), (size_t)len);
	c->serial_len = (size_t)len;
	for (i = 0; i < len; i++)
		if (c->serial[i] != 0)
			zero = 0;
	if (zero)
		return cred_seterr(err, "%s: serial number is 0", c->label);

	if (!is_alg_ed25519(X509_get0_tbs_sigalg(x)))
		return cred_seterr(err, "%s: signature algorithm is not "
		    "Ed25519", c->label);
	X509_get0_signature(&sig, &alg, x);
	if (!is_alg_ed25519(alg))
		return cred_seterr(err, "%s: outer signature algorithm is not "
		    "Ed25519", c->label);
	X509_get0_uids(x, &iuid, &suid);
	if (iuid != NULL || suid != NULL)
		return cred_seterr(err, "%s: carries an issuer or subject "
		    "unique id (not allowed)", c->label);
	if ((pk = X509_get0_pubkey(x)) == NULL)
		return cred_setsslerr(err, "%s: unreadable subject public key",
		    c->label);
	if (EVP_PKEY_get_id(pk) != EVP_PKEY_ED25519)
		return cred_seterr(err, "%s: subject key is %s, not Ed25519",
		    c->label, EVP_PKEY_get0_type_name(pk) != NULL ?
		    EVP_PKEY_get0_type_name(pk) : "another algorithm");
	if (cred_key_raw(pk, c->key) < 0)
		return cred_seterr(err, "%s: subject key is not 32 bytes",
		    c->label);
	if (asn1_time(X509_get0_notBefore(x), &c->not_before) < 0 ||
	    asn1_time(X509_get0_notAfter(x), &c->not_after) < 0)
		return cred_seterr(err, "%s: malformed validity time",
		    c->label);
	return 0;
}

static int
is_alg_ed25519(const X509_ALGOR *alg)
{
	const ASN1_OBJECT	*obj;

	if (alg == NULL)
		return 0;
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	return OBJ_obj2nid(obj) == NID_ED25519;
}

static int
asn1_time(const ASN1_TIME *t, int64_t *out)
{
	struct tm	 tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

/* One extension's criticality and content. */
static int
check_ext(X509_EXTENSION *e, int k, struct cred_cert *c, struct cred_err *err)
{
	const ASN1_OCTET_STRING	*data = X509_EXTENSION_get_data(e);
	const unsigned char	*p = ASN1_STRING_get0_data(data);
	long			 len = ASN1_STRING_length(data);
	int			 crit = X509_EXTENSION_get_critical(e);
	AUTHORITY_KEYID		*aki;
	ASN1_OCTET_STRING	*ski;
	ASN1_BIT_STRING		*ku;
	BASIC_CONSTRAINTS	*bc;
	const unsigned char	*q = p;
	uint8_t			 id[CRED_KEYID_LEN];
	char			 a[2 * CRED_KEYID_LEN + 1];
	char			 b[2 * CRED_KEYID_LEN + 1];
	int64_t			 pl;
	int			 ok;

	switch (k) {
	case EXT_AKI:
		if (crit)
			return cred_seterr(err, "%s: AuthorityKeyIdentifier is "
			    "critical (must not be)", c->label);
		aki = d2i_AUTHORITY_KEYID(NULL, &q, len);
		ok = aki != NULL && q == p + len && aki->keyid != NULL &&
		    ASN1_STRING_length(aki->keyid) == CRED_KEYID_LEN;
		if (ok)
			memcpy(c->aki, ASN1_STRING_get0_data(aki->keyid),
			    CRED_KEYID_LEN);
		AUTHORITY_KEYID_free(aki);
		if (!ok)
			return cred_seterr(err, "%s: AuthorityKeyIdentifier "
			    "has no 32-byte keyIdentifier", c->label);
		return 0;
	case EXT_SKI:
		if (crit)
			return cred_seterr(err, "%s: SubjectKeyIdentifier is "
			    "critical (must not be)", c->label);
		ski = d2i_ASN1_OCTET_STRING(NULL, &q, len);
		ok = ski != NULL && q == p + len &&
		    ASN1_STRING_length(ski) == CRED_KEYID_LEN;
		if (ok)
			memcpy(c->ski, ASN1_STRING_get0_data(ski),
			    CRED_KEYID_LEN);
		ASN1_OCTET_STRING_free(ski);
		if (!ok)
			return cred_seterr(err, "%s: SubjectKeyIdentifier is "
			    "not a 32-byte key id", c->label);
		cred_keyid_raw(c->key, id);
		if (memcmp(id, c->ski, CRED_KEYID_LEN) != 0)
			return cred_seterr(err, "%s: SubjectKeyIdentifier %s "
			    "does not match the subject key (key id %s)",
			    c->label, pl_hex(c->ski, CRED_KEYID_LEN, a),
			    pl_hex(id, CRED_KEYID_LEN, b));
		return 0;
	case EXT_KU:
		ku = d2i_ASN1_BIT_STRING(NULL, &q, len);
		ok = ku != NULL && q == p + len;
		if (ok) {
			c->key_usage = 0;
			if (ASN1_STRING_length(ku) > 0)
				c->key_usage = ASN1_STRING_get0_data(ku)[0];
			if (ASN1_STRING_length(ku) > 1)
				c->key_usage |=
				    (uint32_t)ASN1_STRING_get0_data(ku)[1] << 8;
		}
		ASN1_BIT_STRING_free(ku);
		if (!ok)
			return cred_seterr(err, "%s: malformed KeyUsage",
			    c->label);
		return 0;
	case EXT_BC:
		if (!crit)
			return cred_seterr(err, "%s: BasicConstraints is not "
			    "critical (must be)", c->label);
		bc = d2i_BASIC_CONSTRAINTS(NULL, &q, len);
		ok = bc != NULL && q == p + len;
		if (ok) {
			c->ca = bc->ca != 0;
			if (bc->pathlen != NULL) {
				if (!ASN1_INTEGER_get_int64(&pl, bc->pathlen) ||
				    pl < 0)
					ok = 0;
				c->pathlen = pl > INT_MAX ? INT_MAX : (int)pl;
			}
		}
		BASIC_CONSTRAINTS_free(bc);
		if (!ok)
			return cred_seterr(err, "%s: malformed "
			    "BasicConstraints", c->label);
		return 0;
	case EXT_INFO:
	case EXT_LIMIT:
		return cred_ext_decode(e, c->label, &c->info_text,
		    &c->limits_text, &c->info, &c->lim, &c->has_limits, err);
	}
	/* CRL distribution points and access descriptions: allowed, unused. */
	return 0;
}

/*
 * The payload of a PacketLab extension: a critical extension whose value is
 * one primitive OCTET STRING (tag 04, definite length) filling it exactly.
 */
char *
cred_ext_payload(X509_EXTENSION *e, const char *label, const char *what,
    struct cred_err *err)
{
	const ASN1_OCTET_STRING	*data = X509_EXTENSION_get_data(e);
	const uint8_t		*in;
	size_t			 inlen;

	if (!X509_EXTENSION_get_critical(e)) {
		cred_seterr(err, "%s: extension %s is not critical (must be)",
		    label, what);
		return NULL;
	}
	if (inner_octets(ASN1_STRING_get0_data(data),
	    (size_t)ASN1_STRING_length(data), &in, &inlen) < 0) {
		cred_seterr(err, "%s: extension %s does not hold exactly one "
		    "OCTET STRING", label, what);
		return NULL;
	}
	if (inlen == 0 || memchr(in, '\0', inlen) != NULL) {
		cred_seterr(err, "%s: extension %s is empty or holds a NUL "
		    "byte", label, what);
		return NULL;
	}
	return xstrndup((const char *)in, inlen);
}

int
cred_ext_decode(X509_EXTENSION *e, const char *label, char **info_text,
    char **limits_text, struct cred_info *info, struct cred_limits *lim,
    int *has_limits, struct cred_err *err)
{
	switch (cred_ext_pktlab(X509_EXTENSION_get_object(e))) {
	case 1:
		if (*info_text != NULL)
			return cred_seterr(err, "%s: 1.2.3.1 appears twice",
			    label);
		if ((*info_text = cred_ext_payload(e, label, "1.2.3.1",
		    err)) == NULL)
			return -1;
		return cred_info_parse(*info_text, strlen(*info_text), label,
		    info, err);
	case 3:
		if (*limits_text != NULL)
			return cred_seterr(err, "%s: 1.2.3.3 appears twice",
			    label);
		if ((*limits_text = cred_ext_payload(e, label, "1.2.3.3",
		    err)) == NULL)
			return -1;
		if (cred_limits_parse(*limits_text, strlen(*limits_text), label,
		    lim, err) < 0)
			return -1;
		*has_limits = 1;
		return 0;
	}
	return 0;
}

static int
inner_octets(const uint8_t *p, size_t len, const uint8_t **out, size_t *outlen)
{
	size_t	 n, hl, i, nb;

	if (len < 2 || p[0] != 0x04)
		return -1;
	if (p[1] < 0x80) {
		n = p[1];
		hl = 2;
	} else {
		nb = p[1] & 0x7f;
		if (nb == 0 || nb > sizeof(size_t) || len < 2 + nb)
			return -1;	/* 0x80 is the indefinite form */
		for (n = 0, i = 0; i < nb; i++)
			n = n << 8 | p[2 + i];
		hl = 2 + nb;
	}
	if (n != len - hl)
		return -1;
	*out = p + hl;
	*outlen = n;
	return 0;
}

/* The extensions each type needs; KeyUsage and BasicConstraints by type. */
static int
check_type_rules(struct cred_cert *c, const int *seen, struct cred_err *err)
{
	const char	*t;
	int		 ca;

	if (!seen[EXT_INFO])
		return cred_seterr(err, "%s: no 1.2.3.1 (certificate "
		    "information) extension", c->label);
	t = cred_type_name(c->info.type);
	ca = cred_type_is_ca(c->info.type);
	if (!seen[EXT_AKI])
		return cred_seterr(err, "%s: no AuthorityKeyIdentifier",
		    c->label);
	if (!seen[EXT_SKI])
		return cred_seterr(err, "%s: no SubjectKeyIdentifier",
		    c->label);
	if (!seen[EXT_KU])
		return cred_seterr(err, "%s: no KeyUsage", c->label);
	if (!seen[EXT_BC])
		return cred_seterr(err, "%s: no BasicConstraints", c->label);
	if (ca) {
		if (c->key_usage != X509v3_KU_KEY_CERT_SIGN &&
		    c->key_usage != (X509v3_KU_KEY_CERT_SIGN |
		    X509v3_KU_CRL_SIGN))
			return cred_seterr(err, "%s: KeyUsage of %s %s "
			    "certificate must be keyCertSign (with optional "
			    "cRLSign) only", c->label, cred_an(t), t);
		if (!c->ca)
			return cred_seterr(err, "%s: BasicConstraints of %s %s "
			    "certificate must say CA:TRUE", c->label,
			    cred_an(t), t);
	} else {
		if (c->key_usage != X509v3_KU_DIGITAL_SIGNATURE)
			return cred_seterr(err, "%s: KeyUsage of %s %s "
			    "certificate must be digitalSignature only",
			    c->label, cred_an(t), t);
		if (c->ca || c->pathlen >= 0)
			return cred_seterr(err, "%s: BasicConstraints of %s %s "
			    "certificate must say CA:FALSE without pathLen",
			    c->label, cred_an(t), t);
		if (seen[EXT_LIMIT])
			return cred_seterr(err, "%s: %s %s certificate must not "
			    "carry 1.2.3.3 limits", c->label, cred_an(t), t);
	}
	return 0;
}

/* ------------------------------------------------------------------ */

X509 *
cred_x509_load(const char *path, struct cred_err *err)
{
	const unsigned char	*p;
	unsigned char		*der;
	X509			*x;
	size_t			 len;

	if (cred_read_der(path, PEM_STRING_X509, &der, &len, err) < 0)
		return NULL;
	p = der;
	if ((x = d2i_X509(NULL, &p, (long)len)) != NULL && p != der + len) {
		X509_free(x);
		x = NULL;
	}
	if (x == NULL)
		cred_setsslerr(err, "%s: not a certificate", path);
	OPENSSL_free(der);
	return x;
}

int
cred_certs_load(struct cred_certs *cs, const char *const *paths, size_t n,
    struct cred_err *err)
{
	X509	*x;
	size_t	 i;

	for (i = 0; i < n; i++) {
		if ((x = cred_x509_load(paths[i], err)) == NULL)
			return -1;
		cred_certs_add(cs, x, cred_basename(paths[i]));
		X509_free(x);
	}
	return 0;
}

void
cred_certs_add(struct cred_certs *cs, X509 *x, const char *label)
{
	cs->x = xrealloc(cs->x, (cs->n + 1) * sizeof(*cs->x));
	cs->label = xrealloc(cs->label, (cs->n + 1) * sizeof(*cs->label));
	X509_up_ref(x);
	cs->x[cs->n] = x;
	cs->label[cs->n] = xstrdup(label);
	cs->n++;
}

void
cred_certs_free(struct cred_certs *cs)
{
	size_t	 i;

	for (i = 0; i < cs->n; i++) {
		X509_free(cs->x[i]);
		free(cs->label[i]);
	}
	free(cs->x);
	free(cs->label);
	memset(cs, 0, sizeof(*cs));
}

int
cred_certs_crash_110(const struct cred_certs *cs, enum cred_lim *lim)
{
	struct cred_cert	 c;
	uint32_t		 bits;
	size_t			 i;
	int			 l;

	for (i = 0; i < cs->n; i++) {
		if (cred_cert_decode(cs->x[i], cs->label[i], &c, NULL) < 0)
			continue;
		bits = c.lim.optional & CRED_LIM_KNOWN_110;
		cred_cert_clear(&c);
		if (bits == 0)
			continue;
		for (l = 0; !(bits & CRED_LIM_BIT(l)); l++)
			;
		*lim = (enum cred_lim)l;
		return (int)i;
	}
	ERR_clear_error();
	return -1;
}

int
cred_certs_leaf_first(struct cred_certs *cs, const EVP_PKEY *key,
    const char *what, struct cred_err *err)
{
	const ASN1_OCTET_STRING	*ski;
	uint8_t			 id[CRED_KEYID_LEN];
	char			 hex[2 * CRED_KEYID_LEN + 1], *names;
	X509			*tx;
	char			*tl;
	size_t			 i, len = 0;

	if (cred_keyid(key, id) < 0)
		return cred_seterr(err, "the controller key is not Ed25519");
	for (i = 0; i < cs->n; i++) {
		ski = X509_get0_subject_key_id(cs->x[i]);
		if (ski == NULL || ASN1_STRING_length(ski) != CRED_KEYID_LEN ||
		    memcmp(ASN1_STRING_get0_data(ski), id, CRED_KEYID_LEN) != 0)
			continue;
		tx = cs->x[0];
		tl = cs->label[0];
		cs->x[0] = cs->x[i];
		cs->label[0] = cs->label[i];
		cs->x[i] = tx;
		cs->label[i] = tl;
		ERR_clear_error();
		return 0;
	}
	ERR_clear_error();
	for (i = 0; i < cs->n; i++)
		len += strlen(cs->label[i]) + 2;
	names = xcalloc(1, len + 1);
	for (i = 0; i < cs->n; i++) {
		if (i > 0)
			strcat(names, ", ");
		strcat(names, cs->label[i]);
	}
	cred_seterr(err, "no certificate in %s (%s) matches the controller "
	    "key (key id %s)", what != NULL ? what : "the chain",
	    cs->n > 0 ? names : "nothing", pl_hex(id, CRED_KEYID_LEN, hex));
	free(names);
	return -1;
}
