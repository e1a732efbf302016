/*
 * rec13.h: TLS 1.3 record protection for a connection whose handshake
 * OpenSSL has finished (RFC 8446 §5.2-5.5 records, §7.1-7.3 traffic keys,
 * §4.6.3 KeyUpdate).
 *
 * A server that holds many idle connections (pktlab-broker: one per
 * subscription, for days) pays about 14 KiB per connection for OpenSSL's
 * SSL object, its session, the peer's certificate and two cipher contexts.
 * cred_tls_detach (tls.h) moves the two application traffic secrets into a
 * struct rec13 (a few hundred bytes), after which the SSL is freed and the
 * caller protects records itself with this module.  The peer sees the same
 * TLS 1.3 stream either way.
 *
 * Pure: bytes in, bytes out, no I/O.  The AEAD and HMAC come from OpenSSL's
 * libcrypto; the cipher contexts are cached per process (one thread).
 * Supported suites: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 and
 * TLS_CHACHA20_POLY1305_SHA256, OpenSSL's default TLS 1.3 list.
 */
#ifndef PL_CRED_REC13_H
#define PL_CRED_REC13_H

#include <stddef.h>
#include <stdint.h>

#define REC13_HLEN	5			/* record header */
#define REC13_PT_MAX	16384			/* plaintext per record */
#define REC13_CT_MAX	(REC13_PT_MAX + 256)	/* body limit (§5.2) */
#define REC13_TAG	16
#define REC13_OVERHEAD	(REC13_HLEN + 1 + REC13_TAG)	/* per sealed record */
#define REC13_SECRET_MAX 48			/* SHA-384 */

struct rec13_dir {
	uint8_t		 secret[REC13_SECRET_MAX];
	uint8_t		 key[32];
	uint8_t		 iv[12];
	uint64_t	 seq;
};

struct rec13 {
	uint16_t	 suite;		/* 0x1301, 0x1302 or 0x1303 */
	uint8_t		 hashlen;	/* 32 or 48 */
	uint8_t		 keylen;	/* 16 or 32 */
	struct rec13_dir rd;		/* what the peer sends */
	struct rec13_dir wr;		/* what we send */
};

/*
 * Start both directions from their traffic secrets (hashlen bytes each, as
 * the suite says), with sequence numbers at 0.  Fails (why) for a suite
 * not listed above or a secret of the wrong length.
 */
int	 rec13_init(struct rec13 *, uint16_t suite, const uint8_t *rsecret,
	    const uint8_t *wsecret, size_t secretlen, char *why, size_t whylen);
/* Erase the keys. */
void	 rec13_wipe(struct rec13 *);
/* The suite's name, for log lines ("TLS_AES_256_GCM_SHA384"), or NULL. */
const char *rec13_suite_name(uint16_t);

/*
 * The length of the record at the front of buf (header included): 0 while
 * fewer than REC13_HLEN bytes are there, -1 when the header announces a
 * body over REC13_CT_MAX (the caller closes).  The record is whole once len
 * reaches that value.
 */
long	 rec13_reclen(const uint8_t *buf, size_t len);

enum rec13_res {
	REC13_DATA,	/* application bytes: *pt, *ptlen */
	REC13_NOTHING,	/* nothing for the caller (KeyUpdate, empty data) */
	REC13_CLOSE,	/* the peer sent close_notify */
	REC13_ERROR	/* why says what; the connection is over */
};

/*
 * Open one whole record (rec13_reclen bytes) in place.  *pt points into
 * rec.  When the peer's KeyUpdate asks for ours, *update_due is set to 1:
 * the caller sends rec13_seal_keyupdate before its next application data.
 */
enum rec13_res rec13_open(struct rec13 *, uint8_t *rec, size_t len,
	    uint8_t **pt, size_t *ptlen, int *update_due, char *why,
	    size_t whylen);

/*
 * Seal len (<= REC13_PT_MAX) bytes of application data into out, which has
 * room for len + REC13_OVERHEAD bytes.  Returns the record's length, or 0
 * when the write sequence is exhausted or libcrypto fails.
 */
size_t	 rec13_seal(struct rec13 *, const uint8_t *pt, size_t len,
	    uint8_t *out);
/* Our KeyUpdate (update_not_requested); the write key moves on after it. */
size_t	 rec13_seal_keyupdate(struct rec13 *, uint8_t *out);
/* A close_notify alert. */
size_t	 rec13_seal_close(struct rec13 *, uint8_t *out);

#endif /* PL_CRED_REC13_H */
