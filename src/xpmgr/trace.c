/*
 * trace.c: --trace, every PacketLab message of a session into
 * DIR/sNN-ADDR.pcap, for Wireshark and tshark (contrib/wireshark/pktlab.lua).
 *
 * Classic pcap through libpcap (nanosecond time stamps: magic 0xa1b23c4d),
 * link type LINKTYPE_USER0 (147).  Each record
 * is one whole message behind a 4-byte pseudo-header:
 *
 *   byte 0  version, 1
 *   byte 1  direction: 0 endpoint -> mlet, 1 mlet -> endpoint
 *   byte 2  flags: 0x01 intercepted by pktxpmgr (its own set-up messages,
 *           cdata and start, and their results; linfo, which it eats)
 *   byte 3  0
 *
 * then the message bytes, header included, exactly as on the wire.  A
 * record's original length is the whole message; of a message larger than
 * TRACE_SNAPLEN (256 KiB less the pseudo-header, so that a record fits
 * Wireshark's limit) the first part is captured, as a packet capture would.  Records
 * are copied out of the relay's buffers, never moved: tracing changes no
 * byte, no order and no timing a peer could see beyond a copy's cost
 * (bench/README.md).
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <time.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <pcap/pcap.h>

#include "util/log.h"
#include "util/util.h"
#include "xpmgr/daemon.h"

#define TRACE_LINKTYPE	147		/* LINKTYPE_USER0 */
#define TRACE_PHDR	4
/* Whole records stay within Wireshark's largest packet (262144 bytes). */
#define TRACE_SNAPLEN	(256u * 1024u - TRACE_PHDR)

struct xp_trace {
	pcap_t		*p;
	pcap_dumper_t	*dump;
	char		 name[XP_EPADDR_MAX + 40];
};

/* One record in the making (pseudo-header + captured part), shared by all
 * open traces: one loop, no threads.  Freed with the last trace. */
static uint8_t	*trace_buf;
static size_t	 trace_nopen;

void
xp_trace_open(struct session *s, const char *dir)
{
	struct xp_trace	*t;
	char		 path[4096];
	FILE		*f;
	int		 fd;

	if (s->trace != NULL)
		return;
	t = xcalloc(1, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "s%llu-%s.pcap", (unsigned long long)s->id,
	    s->epaddr[0] != '\0' ? s->epaddr : "unknown");
	snprintf(path, sizeof(path), "%s/%s", dir, t->name);
	/* 0600 and close-on-exec: pcap_dump_open would use fopen's defaults. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || (f = fdopen(fd, "wb")) == NULL) {
		log_cwarn(s->ctx, "--trace: %s", path);
		if (fd != -1)
			close(fd);
		free(t);
		return;
	}
	/* Nanosecond stamps, like the pktlab times inside the messages. */
	t->p = pcap_open_dead_with_tstamp_precision(TRACE_LINKTYPE,
	    (int)(TRACE_SNAPLEN + TRACE_PHDR), PCAP_TSTAMP_PRECISION_NANO);
	if (t->p == NULL || (t->dump = pcap_dump_fopen(t->p, f)) == NULL) {
		log_cwarnx(s->ctx, "--trace: %s: %s", path, t->p != NULL ?
		    pcap_geterr(t->p) : "pcap_open_dead failed");
		fclose(f);
		if (t->p != NULL)
			pcap_close(t->p);
		free(t);
		return;
	}
	if (trace_buf == NULL)
		trace_buf = xmalloc(TRACE_PHDR + TRACE_SNAPLEN);
	trace_nopen++;
	s->trace = t;
}

void
xp_trace_msg(struct session *s, int dir, unsigned flags, const uint8_t *bytes,
    struct evbuffer *buf, size_t len)
{
	struct xp_trace		*t = s->trace;
	struct pcap_pkthdr	 h;
	struct timespec		 now;
	size_t			 cap;

	if (flags & XP_TR_INTERCEPTED) {
		s->icpt.msgs[dir]++;
		s->icpt.bytes[dir] += len;
	}
	if (t == NULL)
		return;
	cap = len < TRACE_SNAPLEN ? len : TRACE_SNAPLEN;
	trace_buf[0] = 1;
	trace_buf[1] = (uint8_t)dir;
	trace_buf[2] = (uint8_t)flags;
	trace_buf[3] = 0;
	if (bytes != NULL)
		memcpy(trace_buf + TRACE_PHDR, bytes, cap);
	else
		evbuffer_copyout(buf, trace_buf + TRACE_PHDR, cap);
	/* With nanosecond precision libpcap takes tv_usec as nanoseconds. */
	clock_gettime(CLOCK_REALTIME, &now);
	h.ts.tv_sec = now.tv_sec;
	h.ts.tv_usec = (suseconds_t)now.tv_nsec;
	h.caplen = (bpf_u_int32)(TRACE_PHDR + cap);
	h.len = (bpf_u_int32)(TRACE_PHDR + len);
	pcap_dump((u_char *)t->dump, &h, trace_buf);
}

void
xp_trace_close(struct session *s)
{
	struct xp_trace	*t = s->trace;

	if (t == NULL)
		return;
	if (pcap_dump_flush(t->dump) == -1)
		log_cwarnx(s->ctx, "--trace: %s: write error", t->name);
	pcap_dump_close(t->dump);
	pcap_close(t->p);
	free(t);
	s->trace = NULL;
	if (--trace_nopen == 0) {
		free(trace_buf);
		trace_buf = NULL;
	}
}
