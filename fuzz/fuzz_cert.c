/*
 * fuzz_cert.c: libFuzzer harness for the PacketLab certificate decoder.
 *
 * An input starting with 0x30 is DER: a certificate for cred_cert_decode
 * (then chain verification of it alone in every mode, and a re-issue of
 * its decoded content that must decode to the same content), else a
 * PKCS#10 request for cred_csr_decode.  Any other first byte selects the
 * text layer on the rest: 'I' a 1.2.3.1 payload, 'L' a 1.2.3.3 payload
 * (both must survive a round trip through a pair list unchanged), 'S' a
 * valid_dest subnet (its printed form must parse back to itself).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "cred/cred.h"

#include "require.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	 fuzz_der(const uint8_t *, size_t);
static void	 fuzz_text(int, const char *, size_t);
static void	 reissue(const struct cred_cert *);

static EVP_PKEY	*fuzz_key;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	if (data[0] == 0x30)
		fuzz_der(data, size);
	else
		fuzz_text(data[0], (const char *)data + 1, size - 1);
	return 0;
}

static void
fuzz_der(const uint8_t *data, size_t size)
{
	const unsigned char	*p = data;
	struct cred_cert	 c;
	struct cred_certs	 one = { 0 };
	struct cred_chain	 ch;
	struct cred_csr		 csr;
	struct cred_err		 err;
	uint8_t			 id[CRED_KEYID_LEN];
	X509_REQ		*req;
	int			 m;

	if (cred_cert_decode_der(data, size, "fuzz", &c, &err) == 0) {
		/* What the decoder promises about an accepted certificate. */
		cred_keyid_raw(c.key, id);
		REQUIRE(memcmp(id, c.ski, sizeof(id)) == 0);
		REQUIRE((unsigned)c.info.type < CRED_NTYPES);
		REQUIRE(c.ca == cred_type_is_ca(c.info.type));
		REQUIRE(!c.has_limits || cred_type_is_ca(c.info.type));
		REQUIRE(c.serial_len > 0);
		cred_certs_add(&one, c.x509, "fuzz");
		for (m = 0; m <= CRED_MODE_AGENT; m++)
			if (cred_chain_verify(&one, NULL, (enum cred_mode)m,
			    0, &ch, &err) == CRED_OK) {
				REQUIRE(ch.n == 1);
				cred_chain_free(&ch);
			}
		cred_certs_free(&one);
		reissue(&c);
		cred_cert_clear(&c);
		return;
	}
	REQUIRE(strncmp(err.msg, "fuzz: ", 6) == 0);
	if ((req = d2i_X509_REQ(NULL, &p, (long)size)) != NULL &&
	    cred_csr_decode(req, "fuzz", &csr, &err) == 0)
		cred_csr_clear(&csr);
}

/* Issuing the decoded content again gives a certificate with that content. */
static void
reissue(const struct cred_cert *c)
{
	struct cred_issue	 is;
	struct cred_cert	 again;
	struct cred_err		 err;
	X509			*x;

	if (fuzz_key == NULL && (fuzz_key = cred_key_generate(&err)) == NULL)
		abort();
	memset(&is, 0, sizeof(is));
	is.type = c->info.type;
	is.pathlen = c->pathlen;
	is.not_before = c->not_before;
	is.not_after = c->not_after;
	is.info = c->info_text;
	is.limits = c->limits_text;
	/* Times outside what ASN1_TIME can write are refused, nothing else. */
	if ((x = cred_cert_issue(&is, fuzz_key, fuzz_key, &err)) == NULL)
		return;
	REQUIRE(cred_cert_decode(x, "again", &again, &err) == 0);
	REQUIRE(again.info.type == c->info.type);
	REQUIRE(again.pathlen == c->pathlen);
	REQUIRE(again.not_before == c->not_before);
	REQUIRE(again.not_after == c->not_after);
	REQUIRE(strcmp(again.info_text, c->info_text) == 0);
	REQUIRE((again.limits_text == NULL) == (c->limits_text == NULL));
	REQUIRE(c->limits_text == NULL ||
	    strcmp(again.limits_text, c->limits_text) == 0);
	REQUIRE(again.lim.have == c->lim.have);
	cred_cert_clear(&again);
	X509_free(x);
}

static void
fuzz_text(int kind, const char *s, size_t len)
{
	struct cred_info	 info;
	struct cred_limits	 lim;
	struct cred_nvlist	 l = { 0 };
	struct cred_subnet	 sn, sn2;
	struct cred_err		 err;
	const char		*why;
	char			*text, buf[64];
	size_t			 tlen;
	int			 ok;

	switch (kind) {
	case 'I':
	case 'L':
		ok = kind == 'I' ?
		    cred_info_parse(s, len, "fuzz", &info, &err) == 0 :
		    cred_limits_parse(s, len, "fuzz", &lim, &err) == 0;
		if (!ok)
			return;
		REQUIRE(cred_nvlist_parse(&l, s, len, kind == 'L', "fuzz",
		    &err) == 0);
		text = cred_nvlist_text(&l, &tlen);
		REQUIRE(text != NULL && tlen == len &&
		    memcmp(text, s, len) == 0);
		free(text);
		cred_nvlist_clear(&l);
		if (kind == 'I')
			cred_info_clear(&info);
		else
			cred_limits_clear(&lim);
		return;
	case 'S':
		if (cred_subnet_parse(s, len, &sn, &why) < 0)
			return;
		cred_subnet_str(&sn, buf, sizeof(buf));
		REQUIRE(cred_subnet_parse(buf, strlen(buf), &sn2, &why) == 0);
		REQUIRE(sn2.af == sn.af && sn2.plen == sn.plen &&
		    !sn2.hostbits && memcmp(sn2.addr, sn.addr, 16) == 0);
		REQUIRE(cred_subnet_match(&sn, sn.af, sn.addr));
		return;
	}
}
