/*
 * fuzz_addr.c: libFuzzer harness for the "ADDR[:PORT]" splitter.  An
 * accepted address must print (pl_addr_fmt) as a form the splitter accepts
 * again with the same host, port and family.  The port parser and the
 * command-line parser (the input's NUL-separated pieces as argv) run too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/addr.h"
#include "conf/xpcli.h"
#include "require.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_split(const char *s)
{
	struct pl_hostport	 hp, again;
	char			 why[256], out[PL_HOST_MAX + 16];

	if (pl_addr_split(s, 20556, &hp, why, sizeof(why)) == -1) {
		REQUIRE(why[0] != '\0');
		return;
	}
	REQUIRE(hp.host[0] != '\0');
	REQUIRE(hp.port != 0);
	REQUIRE(!(hp.is_ipv4 && hp.is_ipv6));
	REQUIRE(hp.has_port || hp.port == 20556);
	pl_addr_fmt(&hp, out, sizeof(out));
	REQUIRE(pl_addr_split(out, 1, &again, why, sizeof(why)) == 0);
	REQUIRE(strcmp(hp.host, again.host) == 0);
	REQUIRE(hp.port == again.port && again.has_port);
	REQUIRE(hp.is_ipv6 == again.is_ipv6 && hp.is_ipv4 == again.is_ipv4);
}

static void
fuzz_cli(const char *s, size_t n)
{
	struct xpmgr_cli	 cli;
	char			*argv[32], err[512];
	size_t			 off = 0;
	int			 argc = 0;

	argv[argc++] = "pktxpmgr";
	while (off < n && argc < 31) {
		argv[argc++] = (char *)s + off;
		off += strlen(s + off) + 1;
	}
	argv[argc] = NULL;
	if (xpmgr_cli_parse(argc, argv, &cli, err, sizeof(err)) == -1) {
		REQUIRE(err[0] != '\0');
		return;
	}
	REQUIRE(cli.mlet != NULL || cli.help || cli.version);
	REQUIRE(!cli.has_attempts || cli.attempts > 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*s;
	uint16_t	 port;
	char		 why[256];

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_split(s);
	if (pl_addr_port(s, strlen(s), &port, why, sizeof(why)) == 0)
		REQUIRE(port > 0);
	fuzz_cli(s, size + 1);
	free(s);
	return 0;
}
