/*
 * resolve.c: getaddrinfo for a split address (see addr.h).  Kept apart from
 * addr.c so that the parsers never reach DNS: only code that is about to
 * connect or bind calls this.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "conf/addr.h"

int
pl_addr_resolve(const struct pl_hostport *hp, int passive, struct addrinfo **res,
    char *why, size_t whylen)
{
	struct addrinfo	 hints;
	char		 port[8];
	int		 r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	/*
	 * No AI_ADDRCONFIG: in a namespace with only loopback it hides the
	 * loopback addresses themselves.  Callers try every result instead.
	 */
	hints.ai_flags = AI_NUMERICSERV;
	if (passive)
		hints.ai_flags |= AI_PASSIVE;
	if (hp->is_ipv4 || hp->is_ipv6)
		hints.ai_flags |= AI_NUMERICHOST;
	if (hp->host[0] == '\0') {
		snprintf(why, whylen, "empty host");
		return -1;
	}
	snprintf(port, sizeof(port), "%u", (unsigned)hp->port);
	*res = NULL;
	r = getaddrinfo(hp->host, port, &hints, res);
	if (r != 0) {
		snprintf(why, whylen, "cannot resolve %s: %s", hp->host, gai_strerror(r));
		*res = NULL;
		return -1;
	}
	return 0;
}
