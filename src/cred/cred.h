/*
 * cred.h: PacketLab credentials (certs spec §1-§4, §9): Ed25519 keys and
 * their passphrases, the X.509 profile of the five certificate types with the
 * PacketLab extensions 1.2.3.1 and 1.2.3.3, chain verification in the three
 * modes of libpktlab 1.1.0, certificates and CSRs issued by pktlab-cred, and
 * the digest of encoded monitor programs.  TLS contexts are in cred/tls.h.
 *
 * Nothing here logs: every failure is reported in a struct cred_err with a
 * sentence that names the file (or certificate label) and the reason, e.g.
 *   exppriv_eop_exper.cert: expired 2001-09-09 01:46:40 UTC
 *
 * Grouped by source file, in the order a reader meets them.
 */
#ifndef PL_CRED_H
#define PL_CRED_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define CRED_KEYID_LEN		32	/* SHA-256 of the raw Ed25519 key */
#define CRED_RAWKEY_LEN		32
#define CRED_DIGEST_LEN		32	/* SHA-256 of an encoded program */

/* The environment variable read for a passphrase when nobody can type. */
#define CRED_PASS_ENV		"PKTLAB_PASSPHRASE"

struct cred_err {
	char	 msg[512];
};

/* ------------------------------------------------------------------ */
/* err.c */

/* Fill err (when not NULL) and return -1. */
int	 cred_seterr(struct cred_err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Same, appending ": <OpenSSL reason>" when OpenSSL queued one. */
int	 cred_setsslerr(struct cred_err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* "a" or "an" before a lower-case type or mode name ("an exppriv"). */
const char *cred_an(const char *);
/* The last path component, for labels ("certs/x.cert" -> "x.cert"). */
const char *cred_basename(const char *);
/* "2038-01-19 03:14:07 UTC" (date only when the time is midnight). */
char	*cred_fmt_time(int64_t, char *, size_t);

/* ------------------------------------------------------------------ */
/* pass.c: where a passphrase comes from */

struct cred_pass {
	const char	*file;		/* first line of this file */
	const char	*env;		/* this environment variable, when set */
	int		 prompt;	/* may ask on /dev/tty (no echo) */
};

/*
 * A passphrase for an existing key: the file, else the variable, else the
 * terminal prompt "Enter passphrase for private key at PATH:".  Returns its
 * length (>= 0), or -1 when no source gives one.
 */
int	 cred_pass_get(const struct cred_pass *, const char *path, char *,
	    size_t, struct cred_err *);
/*
 * A passphrase for a new key: like cred_pass_get, but the prompt asks twice
 * and the two must agree.  Length 0 means "do not encrypt".
 */
int	 cred_pass_get_new(const struct cred_pass *, const char *path, char *,
	    size_t, struct cred_err *);
/* Write whole file contents atomically with mode; refuses to replace an
 * existing file unless force. */
int	 cred_write_file(const char *path, const void *, size_t, int mode,
	    int force, struct cred_err *);
/*
 * The DER bytes of a file holding one PEM block of type pemtype (e.g.
 * "CERTIFICATE") or plain DER.  *der is freed with OPENSSL_free.
 */
int	 cred_read_der(const char *path, const char *pemtype, unsigned char **der,
	    size_t *len, struct cred_err *);
/* Read a whole file (at most maxlen bytes); *buf is malloc'ed and NUL-ended. */
int	 cred_read_file(const char *path, size_t maxlen, char **buf, size_t *len,
	    struct cred_err *);

/* ------------------------------------------------------------------ */
/* key.c: Ed25519 keys and key ids */

EVP_PKEY *cred_key_generate(struct cred_err *);
/*
 * Load a private key (PKCS#8 PEM).  An empty passphrase is tried first, as
 * 1.1.0 does, so unencrypted keys never ask; then pass (may be NULL).
 */
EVP_PKEY *cred_key_load(const char *path, const struct cred_pass *,
	    struct cred_err *);
/* Load a public key (SPKI PEM). */
EVP_PKEY *cred_pubkey_load(const char *path, struct cred_err *);
/* A key from a PEM text (private or public), no passphrase. */
EVP_PKEY *cred_pubkey_from_pem(const char *, size_t, const char *label,
	    struct cred_err *);
/* 0 when the key is Ed25519, else -1 with "LABEL: key type X, not Ed25519". */
int	 cred_key_check(const EVP_PKEY *, const char *label, struct cred_err *);
/* Raw 32-byte public key and the key id (SHA-256 of it). */
int	 cred_key_raw(const EVP_PKEY *, uint8_t[CRED_RAWKEY_LEN]);
int	 cred_keyid(const EVP_PKEY *, uint8_t[CRED_KEYID_LEN]);
void	 cred_keyid_raw(const uint8_t[CRED_RAWKEY_LEN], uint8_t[CRED_KEYID_LEN]);
/* PEM text of a private key (encrypted with AES-256-CBC/PBKDF2 when passlen
 * > 0) or a public key; malloc'ed, *len set. */
char	*cred_key_pem(EVP_PKEY *, int private, const char *pass, size_t passlen,
	    size_t *len, struct cred_err *);

/* The contents of a memory BIO as a NUL-terminated malloc'ed string. */
char	*cred_bio_text(BIO *, size_t *len);

/* A list of public keys, e.g. trusted EOp roots. */
struct cred_keys {
	size_t		 n;
	EVP_PKEY	**key;
	char		**label;	/* file name */
	uint8_t		(*id)[CRED_KEYID_LEN];
};

int	 cred_keys_load(struct cred_keys *, const char *const *paths, size_t n,
	    struct cred_err *);
/* Adds a reference to key. */
void	 cred_keys_add(struct cred_keys *, EVP_PKEY *, const char *label);
void	 cred_keys_free(struct cred_keys *);

/* ------------------------------------------------------------------ */
/* nv.c: the text of the extensions 1.2.3.1 and 1.2.3.3 (pure code) */

enum cred_type {
	CRED_SUBCMD = 0,
	CRED_PUBCMD = 1,
	CRED_EXPPRIV = 2,
	CRED_DELPRIV = 3,
	CRED_AGENT = 4,
	CRED_UNKNOWN = 127,
};
#define CRED_NTYPES		5

#define CRED_DEL_EXPPRIV	0x1
#define CRED_DEL_REPPRIV	0x2

/* The limits 1.1.0 knows, in the order pktlab-cred writes them. */
enum cred_lim {
	CRED_LIM_MONITOR,
	CRED_LIM_FILTER,		/* not known to 1.1.0 (an aux limit there) */
	CRED_LIM_MAX_NUM_PRIORITY,
	CRED_LIM_MAX_SOCKET_COUNT,
	CRED_LIM_MAX_EXP_PERIOD,
	CRED_LIM_MAX_SEND_BYTE,
	CRED_LIM_MAX_SEND_PKT,
	CRED_LIM_MAX_RECV_BYTE,
	CRED_LIM_MAX_RECV_PKT,
	CRED_LIM_MAX_BURST_RATE_BYTE,
	CRED_LIM_MAX_BURST_RATE_PKT,
	CRED_LIM_VALID_DEST,
	CRED_LIM_SRC_IP_SPOOFING,
	CRED_LIM_NKNOWN
};
/* The decimal limits are the contiguous range [FIRST_NUM, LAST_NUM]. */
#define CRED_LIM_FIRST_NUM	CRED_LIM_MAX_NUM_PRIORITY
#define CRED_LIM_LAST_NUM	CRED_LIM_MAX_RECV_PKT
#define CRED_LIM_BIT(l)		(1u << (l))
/*
 * The limits libpktlab 1.1.0 knows (filter is ppksman's only).  1.1.0
 * dereferences NULL when one of these is marked optional ("*max_recv_pkt",
 * certs spec §9.4): pktlab-cred never writes that, and pktxpmgr warns.
 */
#define CRED_LIM_KNOWN_110	(((1u << CRED_LIM_NKNOWN) - 1) & \
				    ~CRED_LIM_BIT(CRED_LIM_FILTER))

/* A name-value pair that carries no meaning for us (auxiliary). */
struct cred_nv {
	char		*name;		/* without the '*' */
	char		*value;
	int		 optional;	/* written as "*name" */
};

struct cred_digest {
	uint8_t		 d[CRED_DIGEST_LEN];
};

struct cred_rate {
	uint64_t	 count;
	uint64_t	 window;	/* ns, > 0 */
};

struct cred_subnet {
	int		 af;		/* AF_INET or AF_INET6 */
	unsigned	 plen;
	uint8_t		 addr[16];	/* masked network address */
	uint8_t		 mask[16];
	int		 hostbits;	/* the text had host bits set */
};

struct cred_info {
	enum cred_type	 type;
	unsigned	 del_type;	/* CRED_DEL_* (delpriv only) */
	char		*desc;		/* cert_desc or NULL */
	struct cred_nv	*aux;
	size_t		 naux;
};

struct cred_limits {
	uint32_t	 have;		/* CRED_LIM_BIT of each limit present */
	uint32_t	 optional;	/* ... and of those written "*name" */
	uint64_t	 num[CRED_LIM_NKNOWN];	/* the decimal ones */
	struct cred_digest *monitor;
	size_t		 nmonitor;
	struct cred_digest *filter;
	size_t		 nfilter;
	struct cred_rate *burst_byte;
	size_t		 nburst_byte;
	struct cred_rate *burst_pkt;
	size_t		 nburst_pkt;
	struct cred_subnet *dest;	/* valid_dest: OR within one cert */
	size_t		 ndest;
	int		 src_ip_spoofing;
	struct cred_nv	*aux;
	size_t		 naux;
};

const char *cred_type_name(enum cred_type);
/* CRED_UNKNOWN when the name is not one of the five. */
enum cred_type cred_type_parse(const char *, size_t);
int	 cred_type_is_ca(enum cred_type);
const char *cred_lim_name(enum cred_lim);
/* The known limit of a name (with or without '*'), or -1. */
int	 cred_lim_parse(const char *, size_t);
/* "exppriv", "reppriv", "exppriv,reppriv" */
char	*cred_del_type_str(unsigned, char *, size_t);

/*
 * Decode the payload of 1.2.3.1 / 1.2.3.3.  label prefixes error messages.
 * A '*'-prefixed known limit is that limit, marked optional.
 */
int	 cred_info_parse(const char *, size_t, const char *label,
	    struct cred_info *, struct cred_err *);
int	 cred_limits_parse(const char *, size_t, const char *label,
	    struct cred_limits *, struct cred_err *);
void	 cred_info_clear(struct cred_info *);
void	 cred_limits_clear(struct cred_limits *);

/* One valid_dest element "ADDR[/LEN]"; host bits are masked off. */
int	 cred_subnet_parse(const char *, size_t, struct cred_subnet *,
	    const char **why);
/* 1 when addr (4 or 16 bytes of family af) lies in the subnet. */
int	 cred_subnet_match(const struct cred_subnet *, int af, const void *addr);
/* "192.0.2.0/24" */
char	*cred_subnet_str(const struct cred_subnet *, char *, size_t);

/*
 * An ordered list of pairs with "set replaces" semantics, used to merge a
 * CSR's requests with the command line and to write payloads.  Setting
 * "x" or "*x" replaces both "x" and "*x".
 */
struct cred_nvlist {
	size_t		 n;
	struct cred_nv	*v;
};

void	 cred_nvlist_set(struct cred_nvlist *, const char *name, int optional,
	    const char *value);
int	 cred_nvlist_del(struct cred_nvlist *, const char *name);
const struct cred_nv *cred_nvlist_get(const struct cred_nvlist *, const char *);
/* Append the pairs of a payload text (kind PL_NVP_CERTINFO or _CERTLIMIT). */
int	 cred_nvlist_parse(struct cred_nvlist *, const char *, size_t, int limit,
	    const char *label, struct cred_err *);
/* Put the pairs in the order pktlab-cred writes (known names first). */
void	 cred_nvlist_sort(struct cred_nvlist *, int limit);
/* "a=1;b=2;" (malloc'ed); NULL when the list is empty. */
char	*cred_nvlist_text(const struct cred_nvlist *, size_t *);
void	 cred_nvlist_clear(struct cred_nvlist *);

/* ------------------------------------------------------------------ */
/* cert.c: one certificate against the PacketLab profile */

struct cred_cert {
	X509		*x509;		/* a reference of our own */
	char		*label;		/* file name or "peer certificate #N" */
	uint8_t		*der;
	size_t		 derlen;
	uint8_t		 serial[21];	/* the value, big-endian, no sign pad */
	size_t		 serial_len;
	int64_t		 not_before;	/* seconds since the epoch */
	int64_t		 not_after;
	uint8_t		 key[CRED_RAWKEY_LEN];
	uint8_t		 ski[CRED_KEYID_LEN];	/* = keyid(key) */
	uint8_t		 aki[CRED_KEYID_LEN];	/* keyid of the signer */
	int		 ca;
	int		 pathlen;	/* -1: none (unlimited) */
	uint32_t	 key_usage;	/* X509v3_KU_* bits */
	struct cred_info info;
	int		 has_limits;
	char		*info_text;	/* the two payloads as found */
	char		*limits_text;
	struct cred_limits lim;
};

/*
 * Decode a certificate with the rules libpktlab 1.1.0 enforces (§2.1), no
 * signature check.  Takes its own reference to x.  On failure the message
 * is "LABEL: reason".
 */
int	 cred_cert_decode(X509 *, const char *label, struct cred_cert *,
	    struct cred_err *);
int	 cred_cert_decode_der(const uint8_t *, size_t, const char *label,
	    struct cred_cert *, struct cred_err *);
void	 cred_cert_clear(struct cred_cert *);

/* 1 for the OID 1.2.3.1, 3 for 1.2.3.3, 0 for any other. */
int	 cred_ext_pktlab(const ASN1_OBJECT *);
/*
 * The text inside a PacketLab extension: critical, one primitive OCTET
 * STRING filling extnValue, no NUL.  malloc'ed, or NULL with err.
 */
char	*cred_ext_payload(X509_EXTENSION *, const char *label, const char *what,
	    struct cred_err *);

/*
 * Decode extension e when it is 1.2.3.1 (into *info_text and info) or
 * 1.2.3.3 (into *limits_text, lim, *has_limits); other extensions are left
 * alone.  A second occurrence is an error.
 */
int	 cred_ext_decode(X509_EXTENSION *, const char *label, char **info_text,
	    char **limits_text, struct cred_info *, struct cred_limits *,
	    int *has_limits, struct cred_err *);

/* Read one PEM (or DER) certificate file. */
X509	*cred_x509_load(const char *path, struct cred_err *);

/* An ordered list of certificates with a label each (leaf first for chains). */
struct cred_certs {
	size_t		 n;
	X509		**x;
	char		**label;
};

int	 cred_certs_load(struct cred_certs *, const char *const *paths, size_t n,
	    struct cred_err *);
/* Adds a reference to x. */
void	 cred_certs_add(struct cred_certs *, X509 *, const char *label);
void	 cred_certs_free(struct cred_certs *);
/*
 * The first certificate of the list that libpktlab 1.1.0 crashes on when it
 * decodes it: one marking a limit of CRED_LIM_KNOWN_110 optional.  Returns
 * its index with *lim set, or -1 (also when nothing decodes: the chain
 * check reports that).
 */
int	 cred_certs_crash_110(const struct cred_certs *, enum cred_lim *lim);
/*
 * pktxpmgr's leaf selection: swap the certificate whose SKI is keyid(key)
 * with the first one.  Fails with "no certificate in A, B matches the
 * controller key (key id ...)" naming what.
 */
int	 cred_certs_leaf_first(struct cred_certs *, const EVP_PKEY *,
	    const char *what, struct cred_err *);

/* ------------------------------------------------------------------ */
/* chain.c: chain verification (§4) and the chain-wide limits */

enum cred_mode {
	CRED_MODE_CONTROLLER_AUTH_ENDPOINT = 0,	/* subcmd, delpriv(reppriv)* */
	CRED_MODE_ENDPOINT_AUTH_CONTROLLER = 1,	/* pubcmd, delpriv(exppriv)*,
						   exppriv */
	CRED_MODE_AGENT = 2,			/* agent */
};

/* 1.1.0's verdict codes, kept so logs and tests can name them. */
enum cred_verdict {
	CRED_OK = 0,
	CRED_INVAL = 1,
	CRED_BAD_CERT = 2,
	CRED_NOT_ENOUGH_CERT = 3,
	CRED_TOO_MANY_CERT = 4,
	CRED_UNEXPECTED_CERT = 5,
	CRED_EXPIRED_CERT = 6,
	CRED_NO_MATCHING_SIGN_KEY = 7,
	CRED_PATHLEN_EXCEEDED = 8,
	CRED_END_OF_PHASES = 9,
	CRED_BAD_DEL_TYPE = 10,
};

/*
 * What the endpoint enforces for a whole chain: the minimum of each decimal
 * limit, unions of the digests, every burst rate, and valid_dest as an AND
 * of the certificates' lists (each an OR).
 */
struct cred_eff {
	uint32_t	 have;		/* limits present somewhere in the chain */
	uint64_t	 num[CRED_LIM_NKNOWN];	/* min over the chain; UINT64_MAX if absent */
	struct cred_digest *monitor;	/* chain order, duplicates dropped */
	size_t		 nmonitor;
	struct cred_digest *filter;
	size_t		 nfilter;
	struct cred_rate *burst_byte;
	size_t		 nburst_byte;
	struct cred_rate *burst_pkt;
	size_t		 nburst_pkt;
	const struct cred_limits **dest;	/* one per cert with valid_dest */
	size_t		 ndest;
	int		 src_ip_spoofing;	/* every privilege cert says 1 */
	int64_t		 not_after;	/* min notAfter of exppriv/delpriv certs */
};

struct cred_chain {
	size_t		 n;
	struct cred_cert *cert;		/* leaf -> top */
	int		 root;		/* index into the roots, -1 without roots */
	int		 top_unchecked;	/* no roots: the top signature was not checked */
	uint8_t		 top_aki[CRED_KEYID_LEN];	/* = keyid(root EOp): the channel */
	struct cred_eff	 eff;
};

const char *cred_mode_name(enum cred_mode);
const char *cred_verdict_name(enum cred_verdict);

/*
 * Verify certs (element 0 is the leaf, the rest in any order) in mode,
 * against roots (NULL or empty: the top signature goes unchecked, as in
 * 1.1.0; out->top_unchecked tells the caller to warn).  now is seconds since
 * the epoch.  Returns CRED_OK with out filled, or another verdict with err.
 */
enum cred_verdict cred_chain_verify(const struct cred_certs *,
	    const struct cred_keys *roots, enum cred_mode, int64_t now,
	    struct cred_chain *out, struct cred_err *);
void	 cred_chain_free(struct cred_chain *);

/* 1 when addr may be a destination under every valid_dest list of the chain. */
int	 cred_eff_dest_ok(const struct cred_eff *, int af, const void *addr);

/* ------------------------------------------------------------------ */
/* issue.c: certificates and CSRs made by pktlab-cred (§2.4, §3) */

struct cred_issue {
	enum cred_type	 type;
	int		 pathlen;	/* CA types only; -1: none */
	int64_t		 not_before;
	int64_t		 not_after;
	const char	*info;		/* 1.2.3.1 payload text */
	const char	*limits;	/* 1.2.3.3 payload text, or NULL */
};

/* A certificate for subject's key signed by signer's private key. */
X509	*cred_cert_issue(const struct cred_issue *, EVP_PKEY *subject,
	    EVP_PKEY *signer, struct cred_err *);

/* A PKCS#10 request; BasicConstraints only when pathlen >= 0 (with ca). */
X509_REQ *cred_csr_make(EVP_PKEY *key, int ca, int pathlen, const char *info,
	    const char *limits, struct cred_err *);

struct cred_csr {
	X509_REQ	*req;
	char		*label;
	uint8_t		 key[CRED_RAWKEY_LEN];
	int		 has_bc;
	int		 ca;
	int		 pathlen;	/* -1: none */
	char		*info_text;	/* NULL when absent */
	char		*limits_text;
	struct cred_info info;
	int		 has_limits;
	struct cred_limits lim;
};

/* Decode a CSR and check its self-signature (proof of possession).  The
 * request now belongs to c (freed by cred_csr_clear, also on failure). */
int	 cred_csr_decode(X509_REQ *, const char *label, struct cred_csr *,
	    struct cred_err *);
void	 cred_csr_clear(struct cred_csr *);
X509_REQ *cred_csr_load(const char *path, struct cred_err *);
/* PEM text (malloc'ed) of a certificate or a request. */
char	*cred_x509_pem(X509 *, size_t *, struct cred_err *);
char	*cred_csr_pem(X509_REQ *, size_t *, struct cred_err *);

/* ------------------------------------------------------------------ */
/* prog.c: monitor programs */

/* SHA-256 of an encoded program (type byte + body). */
void	 cred_prog_digest(const uint8_t *, size_t, uint8_t[CRED_DIGEST_LEN]);
/*
 * Load a program file as pktxpmgr does (§9): no suffix or ".ebpf" is eBPF
 * text, ".wasm" is WASM; anything else is refused.  *prog is malloc'ed.
 */
int	 cred_prog_load(const char *path, uint8_t **prog, size_t *len,
	    struct cred_err *);

#endif /* PL_CRED_H */
