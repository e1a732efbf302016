/*
 * fuzz_xprelay.c: libFuzzer harness for pktxpmgr's relay framing
 * (src/xpmgr/pure/frame.c): a byte stream from a peer, cut into buffer
 * chains of fuzzer-chosen sizes, framed the way the relay frames it, with
 * every linfo turned into log text.
 *
 * Input: byte 0 picks the chain size (1..256), byte 1 the frame cap
 * (scaled, so small caps are reached); the rest is the stream.
 * Checks: a frame reported whole is inside the buffer and as long as its
 * header says; it never exceeds the cap; a frame of a known type that
 * passed validation encodes back to exactly the bytes that would be
 * forwarded (the relay sends the original bytes on that promise); the
 * scratch area never has to grow past the largest frame; linfo text is
 * NUL-terminated inside its buffer and on one line.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include <pktlab/wire.h>

#include "xpmgr/pure/xppure.h"

#include "require.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct xp_scratch	 sc;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t		 enc[PL_HLEN + 0x10000], copy[PL_HLEN + 0x10000];
	struct evbuffer		*b;
	struct xp_frame		 f;
	enum xp_frame_res	 r;
	char			 text[300];
	size_t			 chunk, off, n, len;
	uint32_t		 cap;
	ssize_t			 e;

	if (size < 2)
		return 0;
	chunk = (size_t)data[0] + 1;
	cap = (uint32_t)data[1] * 257u;
	data += 2;
	size -= 2;
	if ((b = evbuffer_new()) == NULL)
		abort();
	/* References make one chain per piece: frames straddle chains. */
	for (off = 0; off < size; off += n) {
		n = size - off < chunk ? size - off : chunk;
		evbuffer_add_reference(b, data + off, n, NULL, NULL);
	}
	for (;;) {
		len = evbuffer_get_length(b);
		r = xp_frame_next(b, cap, &sc, &f);
		if (r == XP_FRAME_NEED) {
			REQUIRE(f.total == 0 ? len < PL_HLEN : f.total > len);
			break;
		}
		REQUIRE(f.total == PL_HLEN + (size_t)f.bodylen);
		if (r == XP_FRAME_OVERSIZE) {
			REQUIRE(f.bodylen > cap && f.why[0] != '\0');
			break;
		}
		REQUIRE(f.bodylen <= cap && f.total <= len);
		REQUIRE(sc.cap <= PL_HLEN + (size_t)cap || sc.cap <= PL_HLEN + 0xFFFFFFu);
		if (r == XP_FRAME_MALFORMED) {
			REQUIRE(f.why[0] != '\0' && memchr(f.why, '\0', sizeof(f.why)) != NULL);
		} else if (f.msg.known && f.total <= sizeof(copy)) {
			REQUIRE(evbuffer_copyout(b, copy, f.total) == (ev_ssize_t)f.total);
			e = pl_encode(&f.msg, enc, sizeof(enc));
			REQUIRE(e == (ssize_t)f.total && memcmp(enc, copy, f.total) == 0);
			if (f.type == PL_LINFO) {
				xp_linfo_text(&f.msg, text, sizeof(text));
				REQUIRE(memchr(text, '\0', sizeof(text)) != NULL);
				REQUIRE(strchr(text, '\n') == NULL);
			}
		}
		evbuffer_drain(b, f.total);
	}
	evbuffer_free(b);
	return 0;
}
