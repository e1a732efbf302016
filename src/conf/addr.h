/*
 * addr.h: PacketLab address strings ("ADDR[:PORT]") for -a, -p, BrokerAddr,
 * PubControllerAddr and the controller_addr descriptor pair.
 *
 * pl_addr_split is pure (no DNS): it checks the form and splits host and
 * port.  Accepted forms:
 *   IPv4            192.0.2.1        192.0.2.1:20556
 *   host name       broker.example   broker.example:20556   abcd:80
 *   IPv6            ::1   2001:db8::1   fe80::1%eth0   [::1]   [::1]:20556
 * The 1.1.0 heuristics are fixed (xpmgr spec §1.2): a ':' at index 4 no
 * longer means IPv6 (abcd:80 is a host and a port), [::1] and ::1 are
 * valid, and an empty or out-of-range port is an error instead of port 0.
 *
 * pl_addr_resolve (resolve.c) turns a split address into every getaddrinfo
 * result, so callers can try each.  It is never called while the config is
 * parsed, nor by -t: host names are resolved when a connection is made.
 */
#ifndef PL_CONF_ADDR_H
#define PL_CONF_ADDR_H

#include <stddef.h>
#include <stdint.h>

struct addrinfo;

#define PL_HOST_MAX	253	/* longest DNS name */

struct pl_hostport {
	char		 host[PL_HOST_MAX + 1];	/* without brackets */
	uint16_t	 port;		/* the given port, or the default */
	int		 has_port;	/* a port was written */
	int		 is_ipv6;	/* host is an IPv6 literal */
	int		 is_ipv4;	/* host is a dotted-quad IPv4 literal */
	int		 bracketed;	/* written as [IPv6] */
};

/*
 * Split s (NUL-terminated) into host and port, using defport when no port is
 * written.  Returns 0, or -1 with a reason in why such as
 * "\"1.2.3.4:\": missing port after ':'".
 */
int	pl_addr_split(const char *s, uint16_t defport, struct pl_hostport *hp,
	    char *why, size_t whylen);

/* A port: 1..65535 in decimal digits.  0 or -1 with a reason. */
int	pl_addr_port(const char *s, size_t n, uint16_t *port, char *why, size_t whylen);

/* "host:port", or "[v6]:port", for log lines.  Returns out. */
char	*pl_addr_fmt(const struct pl_hostport *hp, char *out, size_t outlen);

/*
 * Resolve for a connection (passive == 0) or for bind (passive == 1, an
 * empty host is then not allowed either: use 0.0.0.0 or ::).  Numeric
 * hosts are never looked up in DNS.  Returns 0 with *res set (free it with
 * freeaddrinfo), or -1 with a reason naming the host.
 */
int	pl_addr_resolve(const struct pl_hostport *hp, int passive, struct addrinfo **res,
	    char *why, size_t whylen);

#endif /* PL_CONF_ADDR_H */
