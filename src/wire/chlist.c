/*
 * chlist.c: channel lists of xpub/xsub (protocol spec §10.5) and the
 * snikey rule (§1.1).
 *
 * A list is up to PL_CHLIST_MAX entries of a length byte (1..32) and the
 * id, closed by one 0x00 byte.  The id pointers borrow the input.
 */
#include "pktlab/wire.h"

ssize_t
pl_chlist_span(const uint8_t *buf, size_t len, struct pl_chlist *cl,
    const char **why)
{
	const char	*w = NULL;
	size_t		 off = 0, cnt = 0;
	uint8_t		 n;

	for (;;) {
		if (off >= len) {
			w = "missing 0x00 terminator";
			break;
		}
		if ((n = buf[off++]) == 0)
			break;
		if (n > PL_CHANNEL_MAX) {
			w = "channel id longer than 32 bytes";
			break;
		}
		if (len - off < n) {
			w = "channel id runs past the end";
			break;
		}
		if (cnt == PL_CHLIST_MAX) {
			w = "more than 64 channels";
			break;
		}
		if (cl != NULL) {
			cl->len[cnt] = n;
			cl->id[cnt] = buf + off;
		}
		cnt++;
		off += n;
	}
	if (w != NULL) {
		if (why != NULL)
			*why = w;
		return -1;
	}
	if (cl != NULL)
		cl->cnt = cnt;
	return (ssize_t)off;
}

int
pl_chlist_decode(const uint8_t *buf, size_t len, struct pl_chlist *cl,
    const char **why)
{
	ssize_t	 n;

	if ((n = pl_chlist_span(buf, len, cl, why)) == -1)
		return -1;
	if ((size_t)n != len) {
		if (why != NULL)
			*why = "bytes after the 0x00 terminator";
		return -1;
	}
	return 0;
}

ssize_t
pl_chlist_encode(const struct pl_chlist *cl, uint8_t *out, size_t outlen)
{
	size_t	 i, total = 1, off = 0;

	if (cl->cnt > PL_CHLIST_MAX)
		return -1;
	for (i = 0; i < cl->cnt; i++) {
		if (cl->len[i] == 0 || cl->len[i] > PL_CHANNEL_MAX ||
		    cl->id[i] == NULL)
			return -1;
		total += 1 + cl->len[i];
	}
	if (out == NULL || outlen < total)
		return (ssize_t)total;
	for (i = 0; i < cl->cnt; i++) {
		out[off++] = cl->len[i];
		for (size_t j = 0; j < cl->len[i]; j++)
			out[off++] = cl->id[i][j];
	}
	out[off] = 0;
	return (ssize_t)total;
}

int
pl_snikey_valid(const char *s, size_t len)
{
	size_t	 i;

	if (s == NULL || len == 0 || len > PL_SNIKEY_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}
