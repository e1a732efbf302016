/*
 * fuzz_rec13.c: libFuzzer harness for TLS 1.3 record protection after the
 * handshake (src/cred/rec13.c), which a detached connection runs on every
 * byte a peer sends.
 *
 * Input: byte 0 picks the suite (0x1301, 0x1302, 0x1303), byte 1 the
 * operations (bits 0-3: a KeyUpdate before data record 0-3, bit 4: a
 * close_notify at the end, bit 5: an inner plaintext near REC13_PT_MAX,
 * bit 6: sequence numbers 3 short of exhaustion),
 * byte 2 the chunk size, byte 3 which sealed record gets a bit flipped and
 * bytes 4-5 which bit; the rest is the payload.  Missing bytes count as 0.
 * The reader r and the writer w are mirrored (w writes with r's read
 * secret) from fixed secrets, so seeds can hold real records.
 *
 * Checks, in four passes over the payload:
 * - stream: the payload as bytes from a socket, cut by rec13_reclen and
 *   opened record by record with a fresh r: DATA gives 0 < ptlen <=
 *   REC13_PT_MAX inside the record, ERROR always says why, and after
 *   ERROR or CLOSE nothing more is read;
 * - round trip: the payload in up to 4 chunks sealed by w (with the
 *   KeyUpdates and close_notify the operations ask for) opens with r to
 *   exactly the same bytes (NOTHING for a KeyUpdate, CLOSE for the
 *   close); every sealed record is len + REC13_OVERHEAD long and
 *   rec13_reclen says so; at the last sequence number a seal refuses
 *   (returns 0) and an open fails, unless a KeyUpdate restarted them;
 * - tampering: one bit flipped anywhere in one sealed record makes a copy
 *   of r answer ERROR (the real r then still opens the original);
 * - inner plaintext: the payload sealed as TLSInnerPlaintext by the
 *   harness's own AEAD (libcrypto with w's key, IV and sequence number)
 *   opens with r to what RFC 8446 §5.4 says: padding stripped, content type
 *   last, application data, close_notify, other alerts, KeyUpdate (which
 *   must move r's read key exactly as rec13_seal_keyupdate moves w's write
 *   key) or an error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cred/rec13.h"
#include "require.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define HDR		6
#define NCHUNK		4
#define RECBUF		(REC13_HLEN + REC13_CT_MAX)

static const uint16_t	 suite_ids[3] = { 0x1301, 0x1302, 0x1303 };
static uint8_t		 rec[RECBUF];

/* An exact-size copy, so that ASan sees a read past the record. */
static uint8_t *
dup(const uint8_t *p, size_t n)
{
	uint8_t	*c;

	if ((c = malloc(n)) == NULL)
		abort();
	memcpy(c, p, n);
	return c;
}

/* Secret i of a fixed pair, hashlen bytes. */
static void
secret(uint8_t *s, size_t n, uint8_t salt)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		s[i] = (uint8_t)(salt ^ (i * 37 + 11));
}

/* The stream pass: what a server reading a socket does. */
static void
stream(struct rec13 *r, const uint8_t *p, size_t n)
{
	enum rec13_res	 res;
	uint8_t		*pt, *copy;
	size_t		 off = 0, ptlen;
	long		 len;
	int		 due = 0;
	char		 why[200];

	for (;;) {
		len = rec13_reclen(p + off, n - off);
		if (len <= 0)
			return;
		REQUIRE(len >= REC13_HLEN && len <= RECBUF);
		if ((size_t)len > n - off)
			return;
		copy = dup(p + off, (size_t)len);
		why[0] = '\0';
		res = rec13_open(r, copy, (size_t)len, &pt, &ptlen, &due, why,
		    sizeof(why));
		if (res == REC13_DATA) {
			REQUIRE(ptlen > 0 && ptlen <= REC13_PT_MAX);
			REQUIRE(pt >= copy + REC13_HLEN &&
			    pt + ptlen <= copy + len);
		} else
			REQUIRE(res == REC13_NOTHING || res == REC13_CLOSE ||
			    (res == REC13_ERROR && why[0] != '\0'));
		free(copy);
		if (res == REC13_CLOSE || res == REC13_ERROR)
			return;
		off += (size_t)len;
	}
}

/*
 * Open the sealed record rec[0..n) with r and require want (and the bytes
 * pt[0..ptlen) for DATA); if it is the record to tamper with, first flip
 * one bit of it for a copy of r, which must refuse.
 */
static void
open_sealed(struct rec13 *r, size_t n, enum rec13_res want,
    const uint8_t *pt, size_t ptlen, int tamper, size_t bit)
{
	struct rec13	 rc;
	enum rec13_res	 res;
	uint8_t		*got, *bad;
	size_t		 gotlen;
	int		 due = 0;
	char		 why[200];

	REQUIRE(n >= REC13_OVERHEAD && rec13_reclen(rec, n) == (long)n);
	REQUIRE(rec[0] == 0x17 && rec[1] == 0x03 && rec[2] == 0x03);
	if (tamper) {
		rc = *r;
		bad = dup(rec, n);
		bit %= n * 8;
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		why[0] = '\0';
		REQUIRE(rec13_open(&rc, bad, n, &got, &gotlen, &due, why,
		    sizeof(why)) == REC13_ERROR);
		REQUIRE(why[0] != '\0');
		free(bad);
		rec13_wipe(&rc);
	}
	bad = dup(rec, n);
	why[0] = '\0';
	res = rec13_open(r, bad, n, &got, &gotlen, &due, why, sizeof(why));
	REQUIRE(res == want);
	REQUIRE(due == 0);
	if (want == REC13_DATA)
		REQUIRE(gotlen == ptlen && got == bad + REC13_HLEN &&
		    memcmp(got, pt, ptlen) == 0);
	free(bad);
}

/*
 * Whether a seal of ptlen bytes made a record (len is what it returned,
 * seq the write sequence number before it): only an exhausted sequence
 * refuses, and then with 0.
 */
static int
sealed(uint64_t seq, size_t len, size_t ptlen)
{
	if (seq == UINT64_MAX) {
		REQUIRE(len == 0);
		return 0;
	}
	REQUIRE(len == ptlen + REC13_OVERHEAD);
	return 1;
}

/* Seal in[0..n) as TLSInnerPlaintext with w's write key, into rec. */
static size_t
seal_inner(const struct rec13 *w, const uint8_t *in, size_t n)
{
	const EVP_CIPHER *c = w->suite == 0x1301 ? EVP_aes_128_gcm() :
	    w->suite == 0x1302 ? EVP_aes_256_gcm() : EVP_chacha20_poly1305();
	EVP_CIPHER_CTX	*x;
	uint8_t		 iv[12];
	size_t		 body = n + REC13_TAG;
	int		 i, out;

	memcpy(iv, w->wr.iv, 12);
	for (i = 0; i < 8; i++)
		iv[11 - i] ^= (uint8_t)(w->wr.seq >> (8 * i));
	rec[0] = 0x17;
	rec[1] = rec[2] = 0x03;
	rec[3] = (uint8_t)(body >> 8);
	rec[4] = (uint8_t)body;
	memcpy(rec + REC13_HLEN, in, n);
	if ((x = EVP_CIPHER_CTX_new()) == NULL)
		abort();
	if (EVP_EncryptInit_ex(x, c, NULL, w->wr.key, iv) != 1 ||
	    EVP_EncryptUpdate(x, NULL, &out, rec, REC13_HLEN) != 1 ||
	    (n > 0 && EVP_EncryptUpdate(x, rec + REC13_HLEN, &out,
	    rec + REC13_HLEN, (int)n) != 1) ||
	    EVP_EncryptFinal_ex(x, rec + REC13_HLEN + n, &out) != 1 ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, REC13_TAG,
	    rec + REC13_HLEN + n) != 1)
		abort();
	EVP_CIPHER_CTX_free(x);
	return REC13_HLEN + body;
}

/* The inner plaintext pass: r against RFC 8446 §5.4 and §4.6.3. */
static void
inner(struct rec13 *r, const struct rec13 *w, const uint8_t *in, size_t n)
{
	struct rec13	 wn;
	enum rec13_res	 res, want;
	uint8_t		*pt, *c, ku[REC13_OVERHEAD + 8];
	size_t		 m = n, ptlen, len;
	uint8_t		 type = 0;
	int		 due = 0, want_due = 0;
	char		 why[200];

	len = seal_inner(w, in, n);
	while (m > 0 && in[m - 1] == 0)
		m--;
	if (m > 0)
		type = in[--m];
	want = REC13_ERROR;
	if (n == 0 || type == 0 || m > REC13_PT_MAX ||
	    r->rd.seq == UINT64_MAX)
		want = REC13_ERROR;
	else if (type == 23)
		want = m == 0 ? REC13_NOTHING : REC13_DATA;
	else if (type == 21 && m == 2 && in[1] == 0)
		want = REC13_CLOSE;
	else if (type == 22 && m == 5 && in[0] == 24 && in[1] == 0 &&
	    in[2] == 0 && in[3] == 1 && in[4] <= 1) {
		want = REC13_NOTHING;
		want_due = in[4];
	}
	c = dup(rec, len);
	why[0] = '\0';
	res = rec13_open(r, c, len, &pt, &ptlen, &due, why, sizeof(why));
	REQUIRE(res == want);
	REQUIRE(due == want_due);
	if (res == REC13_ERROR)
		REQUIRE(why[0] != '\0');
	if (res == REC13_DATA)
		REQUIRE(ptlen == m && pt == c + REC13_HLEN &&
		    memcmp(pt, in, m) == 0);
	free(c);
	if (res == REC13_NOTHING && type == 22) {
		/* r's next read key is w's next write key. */
		wn = *w;
		REQUIRE(rec13_seal_keyupdate(&wn, ku) > 0);
		REQUIRE(r->rd.seq == 0 && wn.wr.seq == 0);
		REQUIRE(memcmp(r->rd.key, wn.wr.key, r->keylen) == 0);
		REQUIRE(memcmp(r->rd.iv, wn.wr.iv, 12) == 0);
		rec13_wipe(&wn);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t	 big[REC13_CT_MAX];
	struct rec13	 r, w, fresh;
	uint8_t		 h[HDR] = { 0 }, sa[REC13_SECRET_MAX],
			 sb[REC13_SECRET_MAX];
	const uint8_t	*p;
	size_t		 n, chunk, off, len, nrec, k, bit, i, hl;
	uint64_t	 seq;
	uint16_t	 suite;
	char		 why[200];

	memcpy(h, data, size < HDR ? size : HDR);
	p = size > HDR ? data + HDR : data;
	n = size > HDR ? size - HDR : 0;
	suite = suite_ids[h[0] % 3];
	hl = suite == 0x1302 ? 48 : 32;
	secret(sa, hl, 0xa5);
	secret(sb, hl, 0x5a);
	REQUIRE(rec13_init(&r, suite, sa, sb, hl, why, sizeof(why)) == 0);
	REQUIRE(rec13_init(&w, suite, sb, sa, hl, why, sizeof(why)) == 0);
	REQUIRE(rec13_suite_name(suite) != NULL);

	/* Stream. */
	fresh = r;
	stream(&fresh, p, n);
	rec13_wipe(&fresh);

	/* Round trip with tampering. */
	chunk = 1 + (size_t)h[2] * 65;
	if (chunk > REC13_PT_MAX)
		chunk = REC13_PT_MAX;
	nrec = 0;
	k = h[3] % 9;
	bit = (size_t)h[4] << 8 | h[5];
	off = 0;
	if (h[1] & 0x40)
		r.rd.seq = w.wr.seq = UINT64_MAX - 3;
	for (i = 0; i < NCHUNK && (i == 0 || off < n); i++) {
		if (h[1] & (1u << i)) {
			seq = w.wr.seq;
			len = rec13_seal_keyupdate(&w, rec);
			if (!sealed(seq, len, 5))
				break;
			open_sealed(&r, len, REC13_NOTHING, NULL, 0, nrec++ == k,
			    bit);
		}
		len = n - off < chunk ? n - off : chunk;
		seq = w.wr.seq;
		if (!sealed(seq, rec13_seal(&w, p + off, len, rec), len))
			break;
		open_sealed(&r, len + REC13_OVERHEAD, len > 0 ? REC13_DATA :
		    REC13_NOTHING, p + off, len, nrec++ == k, bit);
		off += len;
	}
	if (h[1] & 0x10) {
		seq = w.wr.seq;
		len = rec13_seal_close(&w, rec);
		if (sealed(seq, len, 2))
			open_sealed(&r, len, REC13_CLOSE, NULL, 0, nrec++ == k,
			    bit);
	}
	REQUIRE(r.rd.seq == w.wr.seq);
	REQUIRE(memcmp(r.rd.key, w.wr.key, r.keylen) == 0);

	/* Inner plaintext, possibly around the record_overflow limit. */
	if (h[1] & 0x20) {
		len = REC13_PT_MAX - 4 + (h[2] & 15);
		for (i = 0; i < len; i++)
			big[i] = n > 0 ? p[i % n] : 0x17;
		inner(&r, &w, big, len);
	} else
		inner(&r, &w, p, n < REC13_CT_MAX - REC13_TAG ? n :
		    REC13_CT_MAX - REC13_TAG);
	rec13_wipe(&r);
	rec13_wipe(&w);
	return 0;
}
