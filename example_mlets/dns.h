/*
 * dns.h: the DNS part of test_dns: the query it sends and the reading of
 * the reply.  The reply comes from the network through the endpoint, so
 * the reader checks every length and follows at most a bounded number of
 * compression pointers; fuzz/fuzz_mlet_dns.c runs it on arbitrary bytes.
 *
 * As in PacketLab 1.1.0, the query ID is copied in host byte order (bytes
 * be 15 for 5566 on a little-endian host) and compared the same way.
 */
#ifndef PL_EXAMPLE_DNS_H
#define PL_EXAMPLE_DNS_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define DNS_HLEN	12
#define DNS_NAME_MAX	255
#define DNS_HOPS_MAX	32	/* compression pointers followed per name */
#define DNS_T_A		1
#define DNS_T_CNAME	5
#define DNS_T_AAAA	28
#define DNS_RCODE_NXDOMAIN 3

/* Where a malformed reply was noticed, as the tutorial reported it. */
#define DNS_MALFORMED(err)	fprintf((err), "Malformed DNS packet (%s:%d)\n", \
				    __FILE__, __LINE__)

/*
 * An A/IN query with recursion desired for name.  Returns its length, or
 * -1 when name has an empty or over-long label or does not fit.
 */
static inline int
dns_query(uint8_t *q, size_t qlen, const char *name, uint16_t id)
{
	const char	*s = name, *dot;
	size_t		 o = DNS_HLEN, l;

	if (qlen < DNS_HLEN + 5)
		return -1;
	memset(q, 0, DNS_HLEN);
	memcpy(q, &id, 2);
	q[2] = 0x01;			/* RD */
	q[5] = 1;			/* QDCOUNT */
	while (*s != '\0') {
		dot = strchr(s, '.');
		l = dot != NULL ? (size_t)(dot - s) : strlen(s);
		if (l == 0 || l > 63 || o + 1 + l + 5 > qlen)
			return -1;
		q[o++] = (uint8_t)l;
		memcpy(q + o, s, l);
		o += l;
		s += l;
		if (*s == '.')
			s++;
	}
	if (o - DNS_HLEN + 1 > DNS_NAME_MAX)
		return -1;
	q[o++] = 0;
	q[o++] = 0;
	q[o++] = DNS_T_A;
	q[o++] = 0;
	q[o++] = 1;			/* IN */
	return (int)o;
}

/*
 * The name at *off (dotted, no trailing dot; "." for the root) into out;
 * *off moves past it.  0, or -1 when malformed.
 */
static inline int
dns_name(const uint8_t *p, size_t len, size_t *off, char *out, size_t outlen)
{
	size_t	 o = *off, n = 0, next = 0, l;
	int	 hops = 0;

	for (;;) {
		if (o >= len)
			return -1;
		l = p[o];
		if ((l & 0xC0) == 0xC0) {
			if (o + 1 >= len || ++hops > DNS_HOPS_MAX)
				return -1;
			if (next == 0)
				next = o + 2;
			o = ((l & 0x3F) << 8) | p[o + 1];
			continue;
		}
		if (l & 0xC0)
			return -1;
		if (l == 0) {
			o++;
			break;
		}
		if (o + 1 + l > len || n + l + 2 > outlen || n + l + 1 > DNS_NAME_MAX)
			return -1;
		if (n > 0)
			out[n++] = '.';
		memcpy(out + n, p + o + 1, l);
		n += l;
		o += 1 + l;
	}
	if (n == 0) {
		if (outlen < 2)
			return -1;
		out[n++] = '.';
	}
	out[n] = '\0';
	*off = next != 0 ? next : o;
	return 0;
}

/*
 * Print each A, AAAA and CNAME answer as "<name> is <value> (via EP)", or
 * "<qname> does not exist (via EP)", to out; problems to err.
 */
static inline void
dns_print(FILE *out, FILE *err, const uint8_t *p, size_t len, uint16_t id,
    const char *via)
{
	char		 name[DNS_NAME_MAX + 2], val[DNS_NAME_MAX + 2];
	size_t		 off = DNS_HLEN, rdoff;
	uint16_t	 got, qd, an, type, rdlen, i;

	if (len < DNS_HLEN) {
		DNS_MALFORMED(err);
		return;
	}
	memcpy(&got, p, 2);
	if (got != id) {
		fprintf(err, "DNS packet ID mismatch\n");
		return;
	}
	qd = (uint16_t)(p[4] << 8 | p[5]);
	an = (uint16_t)(p[6] << 8 | p[7]);
	name[0] = '\0';
	for (i = 0; i < qd; i++) {
		if (dns_name(p, len, &off, name, sizeof(name)) == -1 || off + 4 > len) {
			DNS_MALFORMED(err);
			return;
		}
		off += 4;
	}
	if ((p[3] & 0x0F) == DNS_RCODE_NXDOMAIN && qd > 0) {
		fprintf(out, "%s does not exist (via %s)\n", name, via);
		return;
	}
	if ((p[3] & 0x0F) != 0) {
		fprintf(err, "RCODE == %d != 0\n", p[3] & 0x0F);
		return;
	}
	if (an == 0) {
		fprintf(err, "ANCOUNT == 0\n");
		return;
	}
	for (i = 0; i < an; i++) {
		if (dns_name(p, len, &off, name, sizeof(name)) == -1 || off + 10 > len) {
			DNS_MALFORMED(err);
			return;
		}
		type = (uint16_t)(p[off] << 8 | p[off + 1]);
		rdlen = (uint16_t)(p[off + 8] << 8 | p[off + 9]);
		rdoff = off + 10;
		if (rdoff + rdlen > len) {
			DNS_MALFORMED(err);
			return;
		}
		off = rdoff + rdlen;
		if (type == DNS_T_A && rdlen == 4)
			inet_ntop(AF_INET, p + rdoff, val, sizeof(val));
		else if (type == DNS_T_AAAA && rdlen == 16)
			inet_ntop(AF_INET6, p + rdoff, val, sizeof(val));
		else if (type == DNS_T_CNAME) {
			if (dns_name(p, rdoff + rdlen, &rdoff, val, sizeof(val)) == -1) {
				DNS_MALFORMED(err);
				return;
			}
		} else
			continue;
		fprintf(out, "%s is %s (via %s)\n", name, val, via);
	}
}

#endif /* PL_EXAMPLE_DNS_H */
