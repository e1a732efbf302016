/*
 * addr.c: addresses the way the wire carries them (family byte, raw
 * network-order IP, port), from and to text and sockaddrs.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "pktlab/mlet.h"

int
pl_mlet_addr_parse(struct pl_mlet_addr *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	if (ip == NULL)
		return -1;
	if (inet_pton(AF_INET, ip, a->ip) == 1)
		a->family = PL_FAM_IPV4;
	else if (inet_pton(AF_INET6, ip, a->ip) == 1)
		a->family = PL_FAM_IPV6;
	else
		return -1;
	a->port = port;
	return 0;
}

void
pl_mlet_addr_any(struct pl_mlet_addr *a, uint8_t family)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
}

int
pl_mlet_addr_from_sockaddr(struct pl_mlet_addr *a, const struct sockaddr *sa)
{
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;

	memset(a, 0, sizeof(*a));
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)(const void *)sa;
		a->family = PL_FAM_IPV4;
		memcpy(a->ip, &s4->sin_addr, 4);
		a->port = ntohs(s4->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		a->family = PL_FAM_IPV6;
		memcpy(a->ip, &s6->sin6_addr, 16);
		a->port = ntohs(s6->sin6_port);
		return 0;
	}
	return -1;
}

const char *
pl_mlet_addr_ntop(const struct pl_mlet_addr *a, char *buf, size_t len)
{
	int	 af = a->family == PL_FAM_IPV4 ? AF_INET :
		    a->family == PL_FAM_IPV6 ? AF_INET6 : -1;

	if (len == 0)
		return buf;
	if (af == -1 || inet_ntop(af, a->ip, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}
