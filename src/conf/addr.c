/*
 * addr.c: splitting and checking "ADDR[:PORT]" strings (see addr.h).
 * No DNS here; resolve.c does the lookups.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "conf/addr.h"
#include "conf/kv.h"

static int	addr_valid_v6(const char *s, size_t n);
static int	addr_check_host(const char *s, size_t n, struct pl_hostport *hp,
		    const char *whole, char *why, size_t whylen);
static int	addr_all_numeric(const char *s, size_t n);

/* An IPv6 literal, optionally with a %zone (fe80::1%eth0). */
static int
addr_valid_v6(const char *s, size_t n)
{
	struct in6_addr	 a;
	char		 buf[INET6_ADDRSTRLEN + 1];
	const char	*pct;
	size_t		 alen, i;

	pct = memchr(s, '%', n);
	alen = pct != NULL ? (size_t)(pct - s) : n;
	if (alen == 0 || alen >= sizeof(buf))
		return 0;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET6, buf, &a) != 1)
		return 0;
	if (pct == NULL)
		return 1;
	if (alen + 1 == n)
		return 0;
	for (i = alen + 1; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.' ||
		    s[i] == '-'))
			return 0;
	}
	return 1;
}

static int
addr_all_numeric(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (!(s[i] == '.' || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/* A host that is not bracketed: IPv4, IPv6 or a DNS name. */
static int
addr_check_host(const char *s, size_t n, struct pl_hostport *hp, const char *whole,
    char *why, size_t whylen)
{
	char		 q[PL_QUOTE_MAX], qh[PL_QUOTE_MAX], cn[16];
	struct in_addr	 a4;
	size_t		 i, label = 0;

	pl_val_quote(whole, strlen(whole), q, sizeof(q));
	pl_val_quote(s, n, qh, sizeof(qh));
	if (n > PL_HOST_MAX) {
		snprintf(why, whylen, "%s: host name longer than %d characters", q,
		    PL_HOST_MAX);
		return -1;
	}
	memcpy(hp->host, s, n);
	hp->host[n] = '\0';
	if (addr_all_numeric(s, n)) {
		if (inet_pton(AF_INET, hp->host, &a4) != 1) {
			snprintf(why, whylen, "%s: %s is not an IPv4 address "
			    "(four numbers 0-255 separated by '.')", q, qh);
			return -1;
		}
		hp->is_ipv4 = 1;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0) {
				snprintf(why, whylen, "%s: empty label in host name %s",
				    q, qh);
				return -1;
			}
			label = 0;
			continue;
		}
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_')) {
			snprintf(why, whylen, "%s: invalid %s in host name", q,
			    pl_val_charname(s[i], cn));
			return -1;
		}
		if (++label > 63) {
			snprintf(why, whylen, "%s: a label of host name %s is longer "
			    "than 63 characters", q, qh);
			return -1;
		}
	}
	return 0;
}

int
pl_addr_port(const char *s, size_t n, uint16_t *port, char *why, size_t whylen)
{
	char		 q[PL_QUOTE_MAX];
	unsigned long	 v = 0;
	size_t		 i;

	pl_val_quote(s, n, q, sizeof(q));
	if (n == 0) {
		snprintf(why, whylen, "empty port");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			snprintf(why, whylen, "port %s is not a number (use 1 to 65535)", q);
			return -1;
		}
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > 65535) {
			snprintf(why, whylen, "port %s is out of range (use 1 to 65535)", q);
			return -1;
		}
	}
	if (v == 0) {
		snprintf(why, whylen, "port 0 is not allowed (use 1 to 65535)");
		return -1;
	}
	*port = (uint16_t)v;
	return 0;
}

int
pl_addr_split(const char *s, uint16_t defport, struct pl_hostport *hp, char *why,
    size_t whylen)
{
	char		 q[PL_QUOTE_MAX], reason[160];
	const char	*close, *colon, *port = NULL;
	size_t		 n = strlen(s), hostlen, colons = 0, i;

	memset(hp, 0, sizeof(*hp));
	hp->port = defport;
	pl_val_quote(s, n, q, sizeof(q));
	if (n == 0) {
		snprintf(why, whylen, "empty address");
		return -1;
	}

	if (s[0] == '[') {
		close = strchr(s, ']');
		if (close == NULL) {
			snprintf(why, whylen, "%s: missing ']' after the IPv6 address", q);
			return -1;
		}
		hostlen = (size_t)(close - s) - 1;
		if (hostlen == 0) {
			snprintf(why, whylen, "%s: empty IPv6 address in []", q);
			return -1;
		}
		if (hostlen > PL_HOST_MAX || !addr_valid_v6(s + 1, hostlen)) {
			snprintf(why, whylen, "%s: the text in [] is not an IPv6 address", q);
			return -1;
		}
		memcpy(hp->host, s + 1, hostlen);
		hp->host[hostlen] = '\0';
		hp->is_ipv6 = hp->bracketed = 1;
		if (close[1] == '\0')
			return 0;
		if (close[1] != ':') {
			snprintf(why, whylen, "%s: unexpected text after ']' "
			    "(write [IPv6]:PORT)", q);
			return -1;
		}
		port = close + 2;
		if (*port == '\0') {
			snprintf(why, whylen, "%s: missing port after ':'", q);
			return -1;
		}
	} else {
		for (i = 0; i < n; i++)
			colons += s[i] == ':';
		if (colons > 1) {
			if (n > PL_HOST_MAX || !addr_valid_v6(s, n)) {
				snprintf(why, whylen, "%s: too many ':' for HOST:PORT, "
				    "and not an IPv6 address (write [IPv6]:PORT)", q);
				return -1;
			}
			memcpy(hp->host, s, n);
			hp->host[n] = '\0';
			hp->is_ipv6 = 1;
			return 0;
		}
		colon = strchr(s, ':');
		hostlen = colon != NULL ? (size_t)(colon - s) : n;
		if (hostlen == 0) {
			snprintf(why, whylen, "%s: missing host before ':'", q);
			return -1;
		}
		if (colon != NULL) {
			port = colon + 1;
			if (*port == '\0') {
				snprintf(why, whylen, "%s: missing port after ':'", q);
				return -1;
			}
		}
		if (addr_check_host(s, hostlen, hp, s, why, whylen) == -1)
			return -1;
	}
	if (port != NULL) {
		if (pl_addr_port(port, strlen(port), &hp->port, reason,
		    sizeof(reason)) == -1) {
			snprintf(why, whylen, "%s: %s", q, reason);
			return -1;
		}
		hp->has_port = 1;
	}
	return 0;
}

char *
pl_addr_fmt(const struct pl_hostport *hp, char *out, size_t outlen)
{
	snprintf(out, outlen, hp->is_ipv6 ? "[%s]:%u" : "%s:%u", hp->host,
	    (unsigned)hp->port);
	return out;
}
