/*
 * resolv.c: the DNS servers of resolv.conf(5), which the endpoint exports in
 * its memory map when endpt.conf names none (protocol spec §8.2).  Only
 * "nameserver ADDR" lines count; a scope suffix (fe80::1%eth0) is dropped,
 * since the map has room for the bare address only.
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <string.h>

#include "endpoint/pure/endpt.h"

static int
blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

size_t
ep_resolv_parse(const char *buf, size_t len, struct ep_conf *c)
{
	char		 addr[INET6_ADDRSTRLEN + 1];
	const char	*line, *eol, *p, *q;
	size_t		 added = 0, n;

	for (line = buf; line < buf + len; line = eol + 1) {
		eol = memchr(line, '\n', (size_t)(buf + len - line));
		if (eol == NULL)
			eol = buf + len;
		for (p = line; p < eol && blank(*p); p++)
			;
		if ((size_t)(eol - p) < 11 || memcmp(p, "nameserver", 10) != 0 ||
		    !blank(p[10]))
			continue;
		for (p += 10; p < eol && blank(*p); p++)
			;
		for (q = p; q < eol && !blank(*q) && *q != '%' && *q != '#' &&
		    *q != ';'; q++)
			;
		n = (size_t)(q - p);
		if (n == 0 || n >= sizeof(addr))
			continue;
		memcpy(addr, p, n);
		addr[n] = '\0';
		if (c->ndns4 < PL_MAX_DNS_CNT &&
		    inet_pton(AF_INET, addr, c->dns4[c->ndns4]) == 1) {
			c->ndns4++;
			added++;
		} else if (c->ndns6 < PL_MAX_DNS_CNT &&
		    inet_pton(AF_INET6, addr, c->dns6[c->ndns6]) == 1) {
			c->ndns6++;
			added++;
		}
	}
	return added;
}
