/*
 * frame.c: PacketLab framing over libevent buffers for the benchmark, and
 * templates that let a sender put a 64 KiB nsend or ndata on the wire
 * without encoding or copying its payload.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include <pktlab/wire.h>

#include "util/log.h"
#include "bench.h"

/* The payload of every bench frame: its content does not matter. */
static const uint8_t	 zeros[BENCH_CHUNK];

int
bench_frame_next(struct evbuffer *buf, uint32_t max, uint8_t *type,
    uint32_t *bodylen)
{
	uint8_t	 h[PL_HLEN];

	if (evbuffer_copyout(buf, h, sizeof(h)) != (ev_ssize_t)sizeof(h))
		return 0;
	pl_peek_header(h, sizeof(h), type, bodylen);
	if (*bodylen > max)
		return -1;
	return evbuffer_get_length(buf) >= PL_HLEN + (size_t)*bodylen;
}

enum pl_dec
bench_frame_decode(struct evbuffer *buf, uint32_t bodylen, struct pl_msg *m,
    char *why, size_t whylen)
{
	size_t		 total = PL_HLEN + (size_t)bodylen, used;
	const uint8_t	*p;

	if ((p = evbuffer_pullup(buf, (ev_ssize_t)total)) == NULL) {
		snprintf(why, whylen, "frame of %zu bytes not buffered", total);
		return PL_DEC_MALFORMED;
	}
	return pl_decode_r(p, total, m, &used, why, whylen);
}

void
bench_send(struct evbuffer *buf, const struct pl_msg *m)
{
	struct evbuffer_iovec	 v;
	ssize_t			 n;

	if ((n = pl_encode(m, NULL, 0)) < 0)
		fatalx("cannot encode a %s message", pl_type_name(m->type));
	if (evbuffer_reserve_space(buf, n, &v, 1) != 1)
		fatalx("out of memory");
	pl_encode(m, v.iov_base, v.iov_len);
	v.iov_len = (size_t)n;
	evbuffer_commit_space(buf, &v, 1);
}

void
bench_tmpl_init(struct bench_tmpl *t, const struct pl_msg *m)
{
	struct pl_msg	 probe = *m;
	uint8_t		 tmp[sizeof(t->prefix) + 3];
	uint8_t		 type;
	uint32_t	 bodylen;
	ssize_t		 n;

	if ((n = pl_encode(m, t->prefix, sizeof(t->prefix))) < PL_HLEN ||
	    (size_t)n > sizeof(t->prefix))
		fatalx("cannot encode a %s template", pl_type_name(m->type));
	t->len = (size_t)n;
	t->fixed = (uint32_t)(n - PL_HLEN);
	/*
	 * The trick relies on the payload being the last field of the body:
	 * encode three bytes of payload and check they land at the end.
	 */
	probe.u.ndata.data = (const uint8_t *)"xyz";
	probe.u.ndata.len = 3;
	if (pl_encode(&probe, tmp, sizeof(tmp)) != n + 3 ||
	    memcmp(tmp + PL_HLEN, t->prefix + PL_HLEN, t->len - PL_HLEN) != 0 ||
	    memcmp(tmp + t->len, "xyz", 3) != 0 ||
	    !pl_peek_header(tmp, sizeof(tmp), &type, &bodylen) ||
	    bodylen != t->fixed + 3)
		fatalx("%s: the payload is not the last field", pl_type_name(m->type));
}

void
bench_tmpl_add(struct evbuffer *buf, const struct bench_tmpl *t, uint32_t len)
{
	uint8_t	 h[sizeof(t->prefix)];

	if (len > BENCH_CHUNK)
		fatalx("payload of %u bytes over the chunk size", len);
	memcpy(h, t->prefix, t->len);
	pl_put32(h, ((uint32_t)t->prefix[0] << 24) | (t->fixed + len));
	/*
	 * Large payloads by reference (no copy); small ones copied, or every
	 * message would be chains of its own, and bufferevent_openssl makes a
	 * TLS record of each chain: the rig, not pktxpmgr, would be measured.
	 */
	if (evbuffer_add(buf, h, t->len) == -1 ||
	    (len >= 4096 ? evbuffer_add_reference(buf, zeros, len, NULL, NULL) :
	    evbuffer_add(buf, zeros, len)) == -1)
		fatalx("out of memory");
}
