/*
 * fuzz_mlet_dns.c: libFuzzer harness for the DNS reader of the test_dns
 * example mlet (example_mlets/dns.h), which parses a reply that came from
 * the network through the endpoint.
 *
 * The input is read as a reply (printed to /dev/null) and, as a name, is
 * encoded into a query that must read back as the same name.
 */
#include <stdio.h>
#include <string.h>

#include "../example_mlets/dns.h"

#include "require.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static FILE	*sink;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		 name[DNS_NAME_MAX + 2], back[DNS_NAME_MAX + 2];
	uint8_t		 q[512];
	size_t		 off = DNS_HLEN, n;
	uint16_t	 id = 5566;
	int		 len;

	if (sink == NULL && (sink = fopen("/dev/null", "w")) == NULL)
		return 0;
	dns_print(sink, sink, data, size, id, "192.0.2.7");
	off = 0;
	if (dns_name(data, size, &off, back, sizeof(back)) == 0) {
		REQUIRE(off <= size);
		REQUIRE(strlen(back) <= DNS_NAME_MAX);
	}

	/* A name without NULs round-trips through a query. */
	n = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
	memcpy(name, data, n);
	name[n] = '\0';
	if ((len = dns_query(q, sizeof(q), name, id)) == -1)
		return 0;
	off = DNS_HLEN;
	REQUIRE(dns_name(q, (size_t)len, &off, back, sizeof(back)) == 0);
	REQUIRE(off + 4 == (size_t)len);
	n = strlen(name);
	if (n > 0 && name[n - 1] == '.')
		name[--n] = '\0';
	REQUIRE(strcmp(back, n == 0 ? "." : name) == 0);
	return 0;
}
