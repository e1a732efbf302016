/*
 * sysinfo.c: what the memory map tells experiments about this host when
 * endpt.conf does not say it: the addresses of the interfaces that are up
 * (IP4LS with their netmasks, IP6LS), and the DNS servers of
 * /etc/resolv.conf (protocol spec §8.2).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "conf/file.h"
#include "endpoint/endpoint.h"
#include "util/log.h"

#define RESOLV_CONF	"/etc/resolv.conf"

static void	 fill_addrs(struct ep_conf *);
static void	 fill_dns(struct ep_conf *);

void
ep_sysinfo_fill(struct ep_conf *c)
{
	if (!c->have_ip4 || !c->have_ip6)
		fill_addrs(c);
	if (!c->have_dns)
		fill_dns(c);
}

static void
fill_addrs(struct ep_conf *c)
{
	struct ifaddrs	*ifa, *i;

	if (getifaddrs(&ifa) == -1) {
		log_warn("getifaddrs: no local addresses to export");
		return;
	}
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || !(i->ifa_flags & IFF_UP))
			continue;
		if (i->ifa_addr->sa_family == AF_INET && !c->have_ip4 &&
		    c->nip4 < PL_MAX_LADDR_CNT) {
			memcpy(c->ip4[c->nip4].addr,
			    &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
			memset(c->ip4[c->nip4].mask, 0, 4);
			if (i->ifa_netmask != NULL)
				memcpy(c->ip4[c->nip4].mask,
				    &((struct sockaddr_in *)i->ifa_netmask)->sin_addr, 4);
			c->nip4++;
		} else if (i->ifa_addr->sa_family == AF_INET6 && !c->have_ip6 &&
		    c->nip6 < PL_MAX_LADDR_CNT) {
			memcpy(c->ip6[c->nip6],
			    &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
			c->nip6++;
		}
	}
	freeifaddrs(ifa);
	log_debug("exporting %zu IPv4 and %zu IPv6 local address(es)", c->nip4,
	    c->nip6);
}

static void
fill_dns(struct ep_conf *c)
{
	char	*buf, why[256];
	size_t	 len;

	if (pl_conf_readfile(RESOLV_CONF, &buf, &len, why, sizeof(why)) == -1) {
		log_info("%s: %s; no DNS servers to export", RESOLV_CONF, why);
		return;
	}
	ep_resolv_parse(buf, len, c);
	free(buf);
	log_debug("%s: exporting %zu IPv4 and %zu IPv6 DNS server(s)",
	    RESOLV_CONF, c->ndns4, c->ndns6);
}
