/*
 * frame.c: PacketLab framing over libevent buffers, for the relay.  Finds
 * the frame at the head of an evbuffer, checks its size against the cap and
 * validates known types with the codec; also turns a linfo into log text.
 * Pure: it reads buffers and never does I/O, so unit tests drive it.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include <pktlab/wire.h>

#include "util/util.h"
#include "xpmgr/pure/xppure.h"

static const uint8_t	*frame_contig(struct evbuffer *buf, size_t total,
			    struct xp_scratch *sc);

/* The header is in f: size check. */
static enum xp_frame_res
frame_head(const uint8_t hdr[PL_HLEN], uint32_t max_body, struct xp_frame *f)
{
	pl_peek_header(hdr, PL_HLEN, &f->type, &f->bodylen);
	f->total = PL_HLEN + (size_t)f->bodylen;
	if (f->bodylen > max_body) {
		snprintf(f->why, sizeof(f->why), "oversize frame (%zu bytes)", f->total);
		return XP_FRAME_OVERSIZE;
	}
	return XP_FRAME_NEED;
}

/* The whole frame is at p: validate a known type. */
static enum xp_frame_res
frame_check(const uint8_t *p, struct xp_frame *f)
{
	size_t		 consumed;
	enum pl_dec	 r;

	/* A type without a decoder is relayed untouched: nothing to check. */
	if (pl_type_name(f->type) == NULL) {
		f->msg.type = f->type;
		f->msg.bodylen = f->bodylen;
		return XP_FRAME_OK;
	}
	r = pl_decode_r(p, f->total, &f->msg, &consumed, f->why, sizeof(f->why));
	if (r == PL_DEC_OK)
		return XP_FRAME_OK;
	if (f->why[0] == '\0')
		snprintf(f->why, sizeof(f->why), "%s: invalid body",
		    pl_type_name(f->type));
	return XP_FRAME_MALFORMED;
}

static void
frame_reset(struct xp_frame *f)
{
	memset(&f->msg, 0, sizeof(f->msg));
	f->why[0] = '\0';
	f->total = 0;
}

enum xp_frame_res
xp_frame_next(struct evbuffer *buf, uint32_t max_body, struct xp_scratch *sc,
    struct xp_frame *f)
{
	uint8_t		 hdr[PL_HLEN];

	frame_reset(f);
	if (evbuffer_copyout(buf, hdr, sizeof(hdr)) != (ev_ssize_t)sizeof(hdr))
		return XP_FRAME_NEED;
	if (frame_head(hdr, max_body, f) == XP_FRAME_OVERSIZE)
		return XP_FRAME_OVERSIZE;
	if (evbuffer_get_length(buf) < f->total)
		return XP_FRAME_NEED;
	return frame_check(pl_type_name(f->type) == NULL ? NULL :
	    frame_contig(buf, f->total, sc), f);
}

enum xp_frame_res
xp_frame_mem(const uint8_t *p, size_t len, uint32_t max_body, struct xp_frame *f)
{
	frame_reset(f);
	if (len < PL_HLEN)
		return XP_FRAME_NEED;
	if (frame_head(p, max_body, f) == XP_FRAME_OVERSIZE)
		return XP_FRAME_OVERSIZE;
	if (len < f->total)
		return XP_FRAME_NEED;
	return frame_check(p, f);
}

/*
 * The frame's bytes in one piece: in place when the first chain holds them
 * (the usual case), else copied into the process-wide scratch area, which
 * grows to the largest frame seen and is then reused: no allocation per
 * message.
 */
static const uint8_t *
frame_contig(struct evbuffer *buf, size_t total, struct xp_scratch *sc)
{
	struct evbuffer_iovec	 v;

	if (evbuffer_peek(buf, (ev_ssize_t)total, NULL, &v, 1) >= 1 &&
	    v.iov_len >= total)
		return v.iov_base;
	if (sc->cap < total) {
		sc->p = xrealloc(sc->p, total);
		sc->cap = total;
	}
	evbuffer_copyout(buf, sc->p, total);
	return sc->p;
}

void
xp_scratch_free(struct xp_scratch *sc)
{
	free(sc->p);
	sc->p = NULL;
	sc->cap = 0;
}

/* Append s[0..n) as hex, at most max bytes of it, to out at *off. */
static void
text_hex(char *out, size_t outlen, size_t *off, const uint8_t *s, size_t n, size_t max)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i, show = n < max ? n : max;

	for (i = 0; i < show && *off + 3 < outlen; i++) {
		out[(*off)++] = digits[s[i] >> 4];
		out[(*off)++] = digits[s[i] & 15];
	}
	out[*off] = '\0';
	if (show < n && *off < outlen)
		*off += (size_t)snprintf(out + *off, outlen - *off, "...(+%zu B)", n - show);
	if (*off >= outlen)
		*off = outlen - 1;
}

/* Append s[0..n) quoted; the caller made sure every byte is printable. */
static void
text_str(char *out, size_t outlen, size_t *off, const uint8_t *s, size_t n, size_t max)
{
	size_t	 show = n < max ? n : max;

	*off += (size_t)snprintf(out + *off, outlen - *off, "\"%.*s\"", (int)show,
	    (const char *)s);
	if (*off < outlen && show < n)
		*off += (size_t)snprintf(out + *off, outlen - *off, "...(+%zu B)", n - show);
	if (*off >= outlen)
		*off = outlen - 1;
}

static int
printable(const uint8_t *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (!isprint(s[i]) && s[i] != ' ')
			return 0;
	return 1;
}

/* Append a label and a field, as text when printable, else as hex. */
static void
text_field(char *out, size_t outlen, size_t *off, const char *label,
    const uint8_t *s, size_t n, size_t maxtext, size_t maxhex)
{
	if (*off < outlen)
		*off += (size_t)snprintf(out + *off, outlen - *off, "%s", label);
	if (*off >= outlen) {
		*off = outlen - 1;
		return;
	}
	if (n == 0)
		*off += (size_t)snprintf(out + *off, outlen - *off, "(empty)");
	else if (printable(s, n))
		text_str(out, outlen, off, s, n, maxtext);
	else
		text_hex(out, outlen, off, s, n, maxhex);
	if (*off >= outlen)
		*off = outlen - 1;
}

char *
xp_linfo_text(const struct pl_msg *m, char *out, size_t outlen)
{
	size_t	 off = 0;

	if (outlen == 0)
		return out;
	out[0] = '\0';
	text_field(out, outlen, &off, "name ", m->u.linfo.name, m->u.linfo.namelen, 64, 32);
	if (off + 1 < outlen) {
		off += (size_t)snprintf(out + off, outlen - off, ", aux ");
		if (off >= outlen)
			off = outlen - 1;
		if (m->u.linfo.auxlen == 0)
			off += (size_t)snprintf(out + off, outlen - off, "(empty)");
		else
			text_hex(out, outlen, &off, m->u.linfo.aux, m->u.linfo.auxlen, 32);
		if (off >= outlen)
			off = outlen - 1;
	}
	if (off + 1 < outlen) {
		off += (size_t)snprintf(out + off, outlen - off, ", info %u B ",
		    m->u.linfo.infolen);
		if (off >= outlen)
			off = outlen - 1;
		text_field(out, outlen, &off, "", m->u.linfo.info, m->u.linfo.infolen,
		    256, 64);
	}
	return out;
}
