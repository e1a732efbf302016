/*
 * sni.c: the server_name of a TLS ClientHello, read from the raw bytes an
 * endpoint sends to the proxy (broker spec §3.2 steps 1-2).  The proxy
 * never terminates TLS: it only needs to know where to route.
 *
 * Records (RFC 8446 §5.1): type 22 (handshake), legacy version 3.x, a
 * length of 1..2^14; the handshake message may span several records.  The
 * ClientHello (§4.1.2): version, random, session id, cipher suites,
 * compression methods, then the extensions, whose server_name (RFC 6066
 * §3) holds a list of (name_type, name); we take the host_name (type 0).
 */
#include <stdio.h>
#include <string.h>

#include "proxy/pure/proxy_pure.h"

#define REC_HANDSHAKE	22
#define HS_CLIENT_HELLO	1
#define EXT_SERVER_NAME	0
#define REC_MAX		16384u

struct cur {
	const uint8_t	*p;
	size_t		 n;
	size_t		 off;
};

static int
bad(struct px_sni *out, const char *why)
{
	snprintf(out->why, sizeof(out->why), "%s", why);
	return PX_SNI_BAD;
}

static int
get(struct cur *c, size_t k, const uint8_t **p)
{
	if (c->n - c->off < k)
		return -1;
	*p = c->p + c->off;
	c->off += k;
	return 0;
}

static int
get_u(struct cur *c, size_t k, size_t *v)
{
	const uint8_t *p;
	size_t i;

	if (get(c, k, &p) < 0)
		return -1;
	*v = 0;
	for (i = 0; i < k; i++)
		*v = (*v << 8) | p[i];
	return 0;
}

/* A length-prefixed vector: its body as a sub-cursor. */
static int
get_vec(struct cur *c, size_t lenbytes, struct cur *sub)
{
	size_t n;

	if (get_u(c, lenbytes, &n) < 0 || get(c, n, &sub->p) < 0)
		return -1;
	sub->n = n;
	sub->off = 0;
	return 0;
}

static int
server_name(struct cur *ext, struct px_sni *out)
{
	struct cur list, name;
	size_t type;
	int seen = 0;

	if (get_vec(ext, 2, &list) < 0 || ext->off != ext->n)
		return bad(out, "server_name extension: malformed list");
	if (list.n == 0)
		return bad(out, "server_name extension: empty list");
	while (list.off < list.n) {
		if (get_u(&list, 1, &type) < 0 || get_vec(&list, 2, &name) < 0)
			return bad(out, "server_name extension: truncated entry");
		if (type != 0)
			continue;
		if (seen)
			return bad(out, "server_name extension: two host_names");
		seen = 1;
		if (name.n == 0)
			return bad(out, "server_name: empty host_name");
		if (name.n > PX_SNI_NAME_MAX)
			return bad(out, "server_name: host_name longer than 255");
		for (size_t i = 0; i < name.n; i++)
			if (name.p[i] < 0x21 || name.p[i] > 0x7e)
				return bad(out, "server_name: host_name has a "
				    "byte outside printable ASCII");
		memcpy(out->name, name.p, name.n);
		out->name[name.n] = '\0';
		out->namelen = name.n;
		out->has_sni = 1;
	}
	return 0;
}

static int
client_hello(const uint8_t *b, size_t n, struct px_sni *out)
{
	struct cur c = { b, n, 0 }, v, exts, ext;
	const uint8_t *p;
	size_t ver, type;
	int seen_sni = 0;

	if (get_u(&c, 2, &ver) < 0 || get(&c, 32, &p) < 0)
		return bad(out, "ClientHello: truncated");
	if ((ver >> 8) != 3)
		return bad(out, "ClientHello: not a TLS version");
	if (get_vec(&c, 1, &v) < 0 || v.n > 32)
		return bad(out, "ClientHello: bad session id");
	if (get_vec(&c, 2, &v) < 0 || v.n < 2 || v.n % 2 != 0)
		return bad(out, "ClientHello: bad cipher suites");
	if (get_vec(&c, 1, &v) < 0 || v.n < 1)
		return bad(out, "ClientHello: bad compression methods");
	if (c.off == c.n)
		return PX_SNI_OK;	/* no extensions at all: no SNI */
	if (get_vec(&c, 2, &exts) < 0 || c.off != c.n)
		return bad(out, "ClientHello: extensions do not fill the message");
	while (exts.off < exts.n) {
		if (get_u(&exts, 2, &type) < 0 || get_vec(&exts, 2, &ext) < 0)
			return bad(out, "ClientHello: truncated extension");
		if (type != EXT_SERVER_NAME)
			continue;
		if (seen_sni++)
			return bad(out, "ClientHello: two server_name extensions");
		if (server_name(&ext, out) != 0)
			return PX_SNI_BAD;
	}
	return PX_SNI_OK;
}

enum px_sni_res
px_sni_parse(const uint8_t *buf, size_t len, uint8_t *scratch,
    size_t scratchlen, struct px_sni *out)
{
	size_t off = 0, have = 0, need = 0, rlen;

	memset(out, 0, sizeof(*out));
	if (scratchlen < PX_HELLO_MAX + 4)
		return bad(out, "internal: scratch buffer too small");
	for (;;) {
		if (len - off < 5) {
			/* Check what we have of the header already. */
			if (len > off && buf[off] != REC_HANDSHAKE)
				return bad(out, off == 0 ?
				    "not a TLS handshake record" :
				    "a non-handshake record inside the ClientHello");
			if (len - off >= 2 && buf[off + 1] != 3)
				return bad(out, "record: not a TLS version");
			return PX_SNI_NEED;
		}
		if (buf[off] != REC_HANDSHAKE)
			return bad(out, off == 0 ? "not a TLS handshake record" :
			    "a non-handshake record inside the ClientHello");
		if (buf[off + 1] != 3)
			return bad(out, "record: not a TLS version");
		rlen = ((size_t)buf[off + 3] << 8) | buf[off + 4];
		if (rlen == 0)
			return bad(out, "record: empty handshake fragment");
		if (rlen > REC_MAX)
			return bad(out, "record: longer than 2^14");
		if (len - off - 5 < rlen)
			return PX_SNI_NEED;
		/* Take what the hello still needs; a record may not carry more. */
		{
			size_t take = rlen;

			if (have < 4) {
				size_t h = 4 - have < take ? 4 - have : take;

				memcpy(scratch + have, buf + off + 5, h);
				have += h;
				if (have == 4) {
					if (scratch[0] != HS_CLIENT_HELLO)
						return bad(out, "handshake: not a "
						    "ClientHello");
					need = ((size_t)scratch[1] << 16) |
					    ((size_t)scratch[2] << 8) | scratch[3];
					if (need > PX_HELLO_MAX)
						return bad(out, "ClientHello longer "
						    "than 16384 bytes");
					need += 4;
				}
				take -= h;
				if (take > 0 && have == 4 && need - have < take)
					return bad(out, "record: bytes past the "
					    "ClientHello");
				memcpy(scratch + have, buf + off + 5 + h, take);
				have += take;
			} else {
				if (need - have < take)
					return bad(out, "record: bytes past the "
					    "ClientHello");
				memcpy(scratch + have, buf + off + 5, take);
				have += take;
			}
		}
		off += 5 + rlen;
		if (have >= 4 && have == need) {
			out->used = off;
			return client_hello(scratch + 4, need - 4, out);
		}
	}
}
