/*
 * conn.c: the protocol of one broker connection, message by message.
 * Publishers send (xcert* xpub)* and wait for each result; subscribers send
 * xcert* xsub all at once (broker spec §1.5, §2.2-2.3).  Either way every
 * message gets exactly one result, in order.  After its xsub result a
 * subscription gets nothing but xnotify (§2.4), so anything it sends then
 * ends the connection instead of drawing an answer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pktlab/wire.h>

#include "util/log.h"
#include "util/util.h"
#include "broker/pure/bk.h"

static void	 reply(struct bk_conn *, uint16_t);
static void	 certs_reset(struct bk_conn *);
static void	 note(struct bk_conn *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

void
bk_conn_init(struct bk_conn *c, struct bk_store *st, enum bk_side side,
    void *udata, const uint8_t agent[BK_KEY_LEN])
{
	memset(c, 0, sizeof(*c));
	c->st = st;
	c->side = side;
	c->udata = udata;
	memcpy(c->agent, agent, BK_KEY_LEN);
	TAILQ_INIT(&c->pubs);
}

void
bk_conn_clear(struct bk_conn *c, const char *why)
{
	struct bk_pub	*p;

	while ((p = TAILQ_FIRST(&c->pubs)) != NULL)
		bk_store_withdraw(c->st, p, why);
	if (c->sub != NULL) {
		bk_store_unsubscribe(c->st, c->sub);
		c->sub = NULL;
	}
	certs_reset(c);
}

size_t
bk_conn_body_max(const struct bk_conn *c, uint8_t type)
{
	if (c->sub != NULL)
		return 0;
	if (type == PL_XCERT)
		return BK_CERT_MAX;
	if ((type == PL_XPUB && c->side == BK_SIDE_PUB) ||
	    (type == PL_XSUB && c->side == BK_SIDE_SUB))
		return BK_BODY_MAX;
	return 0;
}

int
bk_conn_msg(struct bk_conn *c, const uint8_t *msg, size_t len, int64_t now,
    uint64_t now_ns, char *why, size_t whylen)
{
	struct bk_req	 req;
	const uint8_t	*body = msg + PL_HLEN;
	size_t		 bodylen;
	uint8_t		 type;
	uint16_t	 e;
	char		 reason[512];

	if (len < PL_HLEN || (pl_get32(msg) & 0xFFFFFFu) != len - PL_HLEN) {
		snprintf(why, whylen, "internal: message framing");
		return -1;
	}
	type = msg[0];
	bodylen = len - PL_HLEN;
	if (c->sub != NULL) {
		snprintf(why, whylen, "%s after the subscription was made (a "
		    "subscriber sends nothing more)", pl_type_name(type));
		return -1;
	}
	if (bk_conn_body_max(c, type) == 0 || bodylen > bk_conn_body_max(c, type)) {
		if (bk_conn_body_max(c, type) == 0)
			snprintf(why, whylen, "unexpected message %s (0x%02x) on "
			    "the %s port", pl_type_name(type), type,
			    c->side == BK_SIDE_PUB ? "publisher" : "subscriber");
		else
			snprintf(why, whylen, "%s body of %zu bytes (limit %zu)",
			    pl_type_name(type), bodylen, bk_conn_body_max(c, type));
		return -1;
	}
	if (type == PL_XCERT) {
		if (bodylen == 0 || c->ncert >= BK_CERTS_MAX) {
			note(c, LOG_LVL_WARN, "refused xcert: %s", bodylen == 0 ?
			    "empty body" : "too many certificates before one request");
			c->nrefused++;
			reply(c, c->side == BK_SIDE_PUB ? PL_EPUBBADCHN : PL_ESUBBADCHN);
			return 0;
		}
		c->cert[c->ncert] = xmalloc(bodylen);
		memcpy(c->cert[c->ncert], body, bodylen);
		c->certlen[c->ncert++] = bodylen;
		reply(c, 0);
		return 0;
	}
	e = bk_check(c->side, body, bodylen, c->cert, c->certlen, c->ncert,
	    c->agent, now, &req, reason, sizeof(reason));
	if (e != 0) {
		note(c, LOG_LVL_WARN, "refused %s with %s: %s", pl_type_name(type),
		    pl_err_name(e), reason);
		c->nrefused++;
		certs_reset(c);
		reply(c, e);
		return 0;
	}
	/* The result goes first: notifications follow it on a subscription. */
	reply(c, 0);
	if (c->side == BK_SIDE_PUB) {
		if (req.pub_end <= now_ns)
			note(c, LOG_LVL_WARN, "publication accepted but not stored: "
			    "its pub_end has passed");
		else
			(void)bk_store_publish(c->st, c, &req, now_ns);
	} else
		c->sub = bk_store_subscribe(c->st, c, &req, now_ns);
	c->nrefused = 0;
	c->naccepted++;
	certs_reset(c);
	return 0;
}

static void
reply(struct bk_conn *c, uint16_t errid)
{
	uint8_t	 m[PL_HLEN + 2];

	if (errid == 0) {	/* the canonical 1.1.0 SUCCESS: an empty body */
		pl_put32(m, (uint32_t)PL_RESULT << 24);
		c->st->ops->send(c->udata, m, PL_HLEN);
	} else {
		pl_put32(m, ((uint32_t)PL_RESULT << 24) | 2);
		pl_put16(m + PL_HLEN, errid);
		c->st->ops->send(c->udata, m, sizeof(m));
	}
}

static void
certs_reset(struct bk_conn *c)
{
	size_t	 i;

	for (i = 0; i < c->ncert; i++)
		free(c->cert[i]);
	c->ncert = 0;
}

static void
note(struct bk_conn *c, int level, const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;

	if (c->st->ops->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	c->st->ops->log(c->udata, level, buf);
}
