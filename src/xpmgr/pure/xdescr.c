/*
 * xdescr.c: the xdescr and the XPUB of each entry (see xpub.h).  Pure:
 * the clock, the connection's local address and the keys come in as
 * arguments.
 */
#include <stdio.h>
#include <string.h>

#include <pktlab/nvp.h>
#include <pktlab/wire.h>

#include "conf/xpconf.h"
#include "util/util.h"
#include "xpmgr/pure/xpub.h"

static int	 ov_has(const struct xp_xdin *in, const char *name);
static int	 put(char *out, size_t outsz, size_t *len, const char *name,
		    const char *value, size_t valuelen, char *why, size_t whylen);

static int
ov_has(const struct xp_xdin *in, const char *name)
{
	return in->overridelen > 0 && pl_nvp_count(in->override, in->overridelen,
	    PL_NVP_XDESCR, name) > 0;
}

static int
put(char *out, size_t outsz, size_t *len, const char *name, const char *value,
    size_t valuelen, char *why, size_t whylen)
{
	size_t	 i;

	if (pl_nvp_append(out, outsz, len, PL_NVP_XDESCR, name, value, valuelen) == 0)
		return 0;
	for (i = 0; i < valuelen; i++)
		if (!pl_nvp_value_char((unsigned char)value[i], PL_NVP_XDESCR)) {
			snprintf(why, whylen, "%s: invalid character 0x%02x in \"%.*s\"",
			    name, (unsigned char)value[i], (int)valuelen, value);
			return -1;
		}
	snprintf(why, whylen, "the descriptor is longer than %u bytes (at %s)",
	    XP_XDESCR_MAX, name);
	return -1;
}

int
xp_hostid_check(const char *hostid, char *why, size_t whylen)
{
	size_t	 i, n = strlen(hostid);

	for (i = 0; i < n; i++)
		if (!pl_nvp_value_char((unsigned char)hostid[i], PL_NVP_XDESCR)) {
			snprintf(why, whylen, "-i \"%s\": invalid character '%c' at %zu "
			    "(allowed: A-Z a-z 0-9 _ - . : [ ] , / ( ) space tab * ?)",
			    hostid, hostid[i] >= 0x20 && hostid[i] < 0x7f ? hostid[i] :
			    '?', i + 1);
			return -1;
		}
	if (n > XP_XDESCR_MAX) {
		snprintf(why, whylen, "-i: %zu bytes, more than a descriptor holds", n);
		return -1;
	}
	return 0;
}

int
xp_xdescr_build(const struct xp_xdin *in, char *out, size_t outsz, size_t *len,
    char *why, size_t whylen)
{
	struct pl_nvp_err	 nerr;
	struct pl_nvp		 p, pairs[256];
	char			 num[24];
	size_t			 i, off, n, cap;
	int			 r;

	*len = 0;
	if (outsz > 0)
		out[0] = '\0';
	/* The override itself (the config parser checked it too). */
	if (in->overridelen > 0) {
		memset(&nerr, 0, sizeof(nerr));
		if (pl_nvp_validate(in->override, in->overridelen, PL_NVP_XDESCR,
		    &nerr) < 0) {
			snprintf(why, whylen, "OVERRIDE_XDESCRNVP: %s (at byte %zu)",
			    nerr.msg, nerr.off);
			return -1;
		}
		if (ov_has(in, "sni_key")) {
			snprintf(why, whylen, "OVERRIDE_XDESCRNVP: sni_key cannot be "
			    "overridden (it is always the entry's SNIKEY)");
			return -1;
		}
		if (pl_nvp_count(in->override, in->overridelen, PL_NVP_XDESCR,
		    "hostid") > 1) {
			snprintf(why, whylen, "OVERRIDE_XDESCRNVP: hostid appears more "
			    "than once (at most once)");
			return -1;
		}
	}
	if (in->hostid != NULL && !ov_has(in, "hostid") &&
	    put(out, outsz, len, "hostid", in->hostid, strlen(in->hostid), why,
	    whylen) == -1)
		return -1;
	if (!ov_has(in, "endpoint_location"))
		for (i = in->nlocations; i-- > 0; )
			if (put(out, outsz, len, "endpoint_location", in->locations[i],
			    strlen(in->locations[i]), why, whylen) == -1)
				return -1;
	if (!ov_has(in, "endpoint_country"))
		for (i = in->ncountries; i-- > 0; )
			if (put(out, outsz, len, "endpoint_country", in->countries[i],
			    strlen(in->countries[i]), why, whylen) == -1)
				return -1;
	if (in->has_prio && !ov_has(in, "exp_priority")) {
		snprintf(num, sizeof(num), "%ju", (uintmax_t)in->prio);
		if (put(out, outsz, len, "exp_priority", num, strlen(num), why,
		    whylen) == -1)
			return -1;
	}
	if (in->has_pub_end && !ov_has(in, "pub_end")) {
		snprintf(num, sizeof(num), "%ju", (uintmax_t)in->pub_end);
		if (put(out, outsz, len, "pub_end", num, strlen(num), why, whylen) == -1)
			return -1;
	}
	if (!ov_has(in, "controller_addr")) {
		if (in->ctrl_addr != NULL) {
			if (put(out, outsz, len, "controller_addr", in->ctrl_addr,
			    strlen(in->ctrl_addr), why, whylen) == -1)
				return -1;
		} else if (in->ctrl_addr_local) {
			/* Display only: written as is, not a valid value. */
			n = snprintf(out + *len, outsz - *len, "controller_addr=%s;",
			    XP_CTRL_ADDR_LOCAL);
			if (n >= outsz - *len) {
				snprintf(why, whylen, "the descriptor is too long");
				return -1;
			}
			*len += n;
		} else {
			snprintf(why, whylen, "no controller address to publish");
			return -1;
		}
	}
	if (in->snikey == NULL || !pl_snikey_valid(in->snikey, strlen(in->snikey))) {
		snprintf(why, whylen, "invalid SNI key");
		return -1;
	}
	if (put(out, outsz, len, "sni_key", in->snikey, strlen(in->snikey), why,
	    whylen) == -1)
		return -1;
	/* The override's pairs, last first (1.1.0's order). */
	cap = sizeof(pairs) / sizeof(pairs[0]);
	for (n = 0, off = 0; in->overridelen > 0 && (r = pl_nvp_next(in->override,
	    in->overridelen, PL_NVP_XDESCR, &off, &p, NULL)) == 1; n++) {
		if (n == cap) {
			snprintf(why, whylen, "OVERRIDE_XDESCRNVP: more than %zu pairs",
			    cap);
			return -1;
		}
		pairs[n] = p;
	}
	while (n-- > 0) {
		char	 name[256];

		if (pairs[n].namelen >= sizeof(name)) {
			snprintf(why, whylen, "OVERRIDE_XDESCRNVP: name too long");
			return -1;
		}
		memcpy(name, pairs[n].name, pairs[n].namelen);
		name[pairs[n].namelen] = '\0';
		if (put(out, outsz, len, name, pairs[n].value, pairs[n].valuelen, why,
		    whylen) == -1)
			return -1;
	}
	if (*len > XP_XDESCR_MAX) {
		snprintf(why, whylen, "the descriptor is %zu bytes, more than the %u an "
		    "endpoint takes", *len, XP_XDESCR_MAX);
		return -1;
	}
	return 0;
}

int
xp_pub_end(const struct xpmgr_conf *c, size_t i, uint64_t start_ns, uint64_t *pub_end)
{
	const struct xpmgr_expexec	*e = &c->exp[i];

	if (e->ov_pub_end) {
		*pub_end = e->ov_pub_end_ns;
		return 1;
	}
	if (XPMGR_HAS(c, XPDIR_PUB_PERIOD)) {
		*pub_end = start_ns + c->pub_period < start_ns ? UINT64_MAX :
		    start_ns + c->pub_period;
		return 1;
	}
	*pub_end = 0;
	return 0;
}

uint64_t
xp_pub_window_end(const struct xpmgr_conf *c, uint64_t start_ns)
{
	uint64_t	 end = 0, v;
	size_t		 i;

	for (i = 0; i < c->nexp; i++)
		if (xp_pub_end(c, i, start_ns, &v) && v > end)
			end = v;
	return end;
}

int
xp_pubplan_build(const struct xpmgr_conf *c, size_t i, const uint8_t *keychan,
    const uint8_t *eopkey, uint64_t start_ns, const char *local_addr,
    struct xp_pubplan *p, char *why, size_t whylen)
{
	const struct xpmgr_expexec	*e = &c->exp[i];
	struct xp_xdin			 in;
	char				 reason[512];
	size_t				 j;
	int				 infer;

	memset(p, 0, sizeof(*p));
	p->entry = i;
	p->line = e->line;
	if (e->nchan > PL_CHLIST_MAX) {
		snprintf(why, whylen, "PUB_CHANNEL: more than %d channels", PL_CHLIST_MAX);
		return -1;
	}
	for (j = 0; j < e->nchan; j++) {
		if (e->chan[j].len == 0) {
			if (keychan == NULL) {
				snprintf(why, whylen, "PUB_CHANNEL: the key channel "
				    "needs TRUSTEDEOP_PATH");
				return -1;
			}
			memcpy(p->chan[j], keychan, PL_CHANNEL_MAX);
			p->chanlen[j] = PL_CHANNEL_MAX;
		} else {
			memcpy(p->chan[j], e->chan[j].id, e->chan[j].len);
			p->chanlen[j] = (uint8_t)e->chan[j].len;
		}
	}
	p->nchan = e->nchan;
	if (eopkey != NULL)
		memcpy(p->eopkey, eopkey, PL_EOPKEY_LEN);

	memset(&in, 0, sizeof(in));
	in.snikey = e->snikey;
	in.ctrl_addr = xpmgr_conf_ctrl_addr(c, e, &infer);
	p->sendable = 1;
	if (in.ctrl_addr == NULL && infer) {
		in.ctrl_addr = local_addr;
		if (local_addr == NULL) {
			in.ctrl_addr_local = 1;
			p->sendable = 0;
		}
	}
	p->has_pub_end = xp_pub_end(c, i, start_ns, &p->pub_end);
	in.has_pub_end = p->has_pub_end;
	in.pub_end = p->pub_end;
	in.has_prio = XPMGR_HAS(c, XPDIR_PUB_PRIO);
	in.prio = c->pub_prio;
	in.countries = c->countries.v;
	in.ncountries = c->countries.n;
	in.locations = c->locations.v;
	in.nlocations = c->locations.n;
	in.hostid = c->hostid;
	in.override = e->override;
	in.overridelen = e->override != NULL ? e->overridelen : 0;
	if (xp_xdescr_build(&in, p->xdescr, sizeof(p->xdescr), &p->xdlen, reason,
	    sizeof(reason)) == -1) {
		snprintf(why, whylen, "cannot build the descriptor: %s", reason);
		return -1;
	}
	return 0;
}

void
xp_pubplan_msg(const struct xp_pubplan *p, struct pl_chlist *cl, struct pl_msg *m)
{
	size_t	 j;

	memset(cl, 0, sizeof(*cl));
	for (j = 0; j < p->nchan; j++) {
		cl->len[j] = p->chanlen[j];
		cl->id[j] = p->chan[j];
	}
	cl->cnt = p->nchan;
	pl_msg_xpub(m, PL_XPUB, cl, p->eopkey, p->xdescr, p->xdlen);
}

ssize_t
xp_pubplan_encode(const struct xp_pubplan *p, uint8_t *out, size_t outlen)
{
	struct pl_chlist	 cl;
	struct pl_msg		 m;

	xp_pubplan_msg(p, &cl, &m);
	return pl_encode(&m, out, outlen);
}

char *
xp_pubplan_chans(const struct xp_pubplan *p, char *out, size_t outlen)
{
	char	 hex[2 * PL_CHANNEL_MAX + 1];
	size_t	 j, used = 0;
	int	 n;

	if (outlen > 0)
		out[0] = '\0';
	for (j = 0; j < p->nchan; j++) {
		n = snprintf(out + used, outlen - used, "%s%s", j > 0 ? "," : "",
		    pl_hex(p->chan[j], p->chanlen[j], hex));
		if (n < 0 || (size_t)n >= outlen - used)
			break;
		used += (size_t)n;
	}
	return out;
}

int
xp_addr_is_v6(const char *addr)
{
	const char	*c1;

	if (addr[0] == '[')
		return 1;
	/* Two colons: no host name or IPv4 address with a port has them. */
	return (c1 = strchr(addr, ':')) != NULL && strchr(c1 + 1, ':') != NULL;
}
