/*
 * fuzz_xdescr.c: libFuzzer harness for the xdescr pktxpmgr publishes
 * (src/xpmgr/pure/xdescr.c).
 *
 * Byte 0 holds flags (pub_end, priority, -i, countries, locations); the
 * rest is split at '\n' into OVERRIDE, HOSTID, CONTROLLER_ADDR, SNIKEY.
 * Checks on success: the text is a valid xdescr of at most XP_XDESCR_MAX
 * bytes; sni_key appears once, equal to SNIKEY; controller_addr exactly once;
 * a predefined name of the override replaces its default (the output holds
 * exactly the override's pairs of that name); every override pair is
 * published; hostid at most once.  On failure, a reason is given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pktlab/nvp.h"
#include "xpmgr/pure/xpub.h"

#include "require.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	*field(const char **p, const char *end);

static char *
field(const char **p, const char *end)
{
	const char	*nl;
	char		*s;

	nl = memchr(*p, '\n', (size_t)(end - *p));
	if (nl == NULL)
		nl = end;
	s = malloc((size_t)(nl - *p) + 1);
	REQUIRE(s != NULL);
	memcpy(s, *p, (size_t)(nl - *p));
	s[nl - *p] = '\0';
	*p = nl < end ? nl + 1 : end;
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *const	 countries[] = { "USA", "CAN" };
	static char *const	 locations[] = { "FN31*", "IO9?" };
	static const char *const names[] = { "controller_addr", "pub_end",
	    "exp_priority", "endpoint_country", "endpoint_location", "hostid" };
	struct xp_xdin		 in;
	const char		*p, *end;
	char			*ov, *hostid, *addr, *snikey, out[XP_XDESCR_MAX + 1], why[512];
	size_t			 len, i;
	unsigned		 nov, nout;
	int			 r, ovvalid;

	if (size < 1 || size > 16384)
		return 0;
	p = (const char *)data + 1;
	end = (const char *)data + size;
	ov = field(&p, end);
	hostid = field(&p, end);
	addr = field(&p, end);
	snikey = field(&p, end);

	memset(&in, 0, sizeof(in));
	in.snikey = snikey;
	in.ctrl_addr = addr;
	in.has_pub_end = data[0] & 1;
	in.pub_end = 1796492469099942466ull;
	in.has_prio = (data[0] >> 1) & 1;
	in.prio = 5;
	in.hostid = (data[0] >> 2) & 1 ? hostid : NULL;
	if ((data[0] >> 3) & 1) {
		in.countries = countries;
		in.ncountries = 2;
	}
	if ((data[0] >> 4) & 1) {
		in.locations = locations;
		in.nlocations = 2;
	}
	in.override = ov;
	in.overridelen = strlen(ov);
	ovvalid = pl_nvp_validate(ov, in.overridelen, PL_NVP_XDESCR, NULL) >= 0;

	why[0] = '\0';
	r = xp_xdescr_build(&in, out, sizeof(out), &len, why, sizeof(why));
	if (r == -1) {
		REQUIRE(why[0] != '\0');
	} else {
		REQUIRE(r == 0 && ovvalid && len == strlen(out) && len <= XP_XDESCR_MAX);
		REQUIRE(pl_nvp_validate(out, len, PL_NVP_XDESCR, NULL) >= 0);
		REQUIRE(pl_nvp_count(out, len, PL_NVP_XDESCR, "sni_key") == 1);
		{
			struct pl_nvp	 s;

			REQUIRE(pl_nvp_find(out, len, PL_NVP_XDESCR, "sni_key", 0, &s));
			REQUIRE(s.valuelen == strlen(snikey) &&
			    memcmp(s.value, snikey, s.valuelen) == 0);
		}
		REQUIRE(pl_nvp_count(out, len, PL_NVP_XDESCR, "controller_addr") >= 1);
		REQUIRE(pl_nvp_count(out, len, PL_NVP_XDESCR, "hostid") <= 1);
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			nov = pl_nvp_count(ov, in.overridelen, PL_NVP_XDESCR, names[i]);
			nout = pl_nvp_count(out, len, PL_NVP_XDESCR, names[i]);
			if (nov > 0)
				REQUIRE(nout == nov);
		}
		/* The override's pairs are all there, in the same bytes. */
		REQUIRE(in.overridelen <= len);
		if (in.overridelen > 0 && pl_nvp_validate(ov, in.overridelen,
		    PL_NVP_XDESCR, NULL) == 1)
			REQUIRE(strstr(out, ov) != NULL);
	}
	free(ov);
	free(hostid);
	free(addr);
	free(snikey);
	return 0;
}
