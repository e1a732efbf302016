/*
 * fuzz_endpt_conf.c: endpt.conf (src/endpoint/pure/epconf.c) and the
 * resolv.conf reader on arbitrary text.  Properties: no crash, no leak,
 * every diagnostic carries a line within the text, a parse without errors
 * leaves every list within its bound, and the vmem image built from it
 * reads back the counts it holds.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "endpoint/pure/endpt.h"
#include "require.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct bound {
	unsigned	 lines;
};

static void
diag(void *arg, enum ep_diag_level lvl, unsigned line, const char *msg)
{
	struct bound	*b = arg;

	REQUIRE(line >= 1 && line <= b->lines);
	REQUIRE(msg[0] != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct ep_vmem	 vm;
	struct ep_conf		 c;
	struct bound		 b = { 1 };
	uint8_t			 cnt[2];
	size_t			 i;

	for (i = 0; i < len; i++)
		if (data[i] == '\n')
			b.lines++;
	ep_conf_init(&c);
	if (ep_conf_parse(&c, (const char *)data, len, "/base", diag, &b) == 0) {
		REQUIRE(c.nip4 <= PL_MAX_LADDR_CNT && c.nip6 <= PL_MAX_LADDR_CNT);
		REQUIRE(c.ndns4 <= PL_MAX_DNS_CNT && c.ndns6 <= PL_MAX_DNS_CNT);
		REQUIRE(c.bufmax >= EP_BUFMAX_MIN);
		REQUIRE(strlen(c.hostid) <= EP_HOSTID_MAX);
		ep_vmem_sys_init(&vm.sys, &c);
		ep_vmem_read(&vm, PL_SP_IP4DNSNO, cnt, 2);
		REQUIRE(cnt[0] == c.ndns4 && cnt[1] == c.ndns6);
	}
	ep_conf_clear(&c);
	ep_conf_init(&c);
	(void)ep_resolv_parse((const char *)data, len, &c);
	REQUIRE(c.ndns4 <= PL_MAX_DNS_CNT && c.ndns6 <= PL_MAX_DNS_CNT);
	ep_conf_clear(&c);
	return 0;
}
