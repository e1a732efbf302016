/*
 * pktlab/vmem.h: the endpoint's virtual memory map, read and written with
 * mread/mwrite (protocol spec §6, §8), and the socket state constants.
 */
#ifndef PKTLAB_VMEM_H
#define PKTLAB_VMEM_H

#include <stdint.h>

/* Top-level regions. */
#define PL_VMEM_CURPKT		0x00000000u	/* monitors only */
#define PL_VMEM_SYSPARAM	0x10000000u
#define PL_VMEM_SYSPARAM_LEN	0x30400u
#define PL_VMEM_SKTINFO		0x20000000u
#define PL_VMEM_SKTINFO_STRIDE	0x400u
#define PL_VMEM_SKTINFO_LEN	(256u * PL_VMEM_SKTINFO_STRIDE)
#define PL_VMEM_NSENDTSTP	0x30000000u
#define PL_VMEM_NSENDTSTP_LEN	0x80000u
#define PL_VMEM_MONSCRATCH	0x40000000u
#define PL_VMEM_MONPERSIST	0x50000000u

/* SYSPARAM fields (absolute addresses). */
#define PL_SP_IP4NO		0x10000000u	/* u8 */
#define PL_SP_IP6NO		0x10000001u	/* u8 */
#define PL_SP_TRANSSUP		0x10000002u	/* u32: bit 0 raw, 1 TCP, 2 UDP */
#define PL_SP_BUFMAX_DUP	0x10000006u	/* u32 */
#define PL_SP_IP4LS		0x10000100u	/* 256 x (addr4, mask4) */
#define PL_SP_IP6LS		0x10001000u	/* 256 x addr16 */
#define PL_SP_TIME		0x10010000u	/* u64 */
#define PL_SP_BUFMAX		0x10010010u	/* u32 */
#define PL_SP_BUFUSED		0x10010014u	/* u32 */
#define PL_SP_IP4DNSNO		0x10020000u	/* u8 */
#define PL_SP_IP6DNSNO		0x10020001u	/* u8 */
#define PL_SP_IP4DNSLS		0x10020010u	/* 16 x addr4 */
#define PL_SP_IP6DNSLS		0x10020100u	/* 16 x addr16 */
#define PL_SP_IP4HDRMOD		0x10020200u	/* 12 bytes */
#define PL_SP_IP6HDRMOD		0x10020210u	/* 8 bytes */
#define PL_SP_HOSTID		0x10030000u	/* 0x100, NUL-padded */
#define PL_SP_HOSTID_LEN	0x100u
#define PL_SP_LATLONG		0x10030100u	/* 0x40 */
#define PL_SP_OSINFO		0x10030200u	/* 0x200 */

#define PL_TRANSSUP_RAW		0x1u
#define PL_TRANSSUP_TCP		0x2u
#define PL_TRANSSUP_UDP		0x4u

#define PL_MAX_LADDR_CNT	256
#define PL_MAX_DNS_CNT		16
#define PL_BUFMAX_DEFAULT	0x800000u

/* SKTINFO block offsets (block i at PL_VMEM_SKTINFO + i * stride). */
#define PL_SKT_FAMILY		0x000u
#define PL_SKT_PROTO		0x001u
#define PL_SKT_STATE		0x002u
#define PL_SKT_LADDR		0x010u
#define PL_SKT_RADDR		0x020u
#define PL_SKT_LPORT		0x030u
#define PL_SKT_RPORT		0x032u
#define PL_SKT_RBUFSZ		0x040u	/* writable */
#define PL_SKT_RBUFUSED		0x044u
#define PL_SKT_DROPBYTE		0x050u
#define PL_SKT_DROPPKT		0x054u
#define PL_SKT_NSENDERR		0x060u	/* writable */
#define PL_SKT_NSENDERRTAG	0x061u	/* writable */
#define PL_SKT_NOTIFMASK	0x070u	/* writable */
#define PL_SKT_CTFL		0x100u	/* writable, 0x80 bytes */
#define PL_SKT_CTFL_LEN		0x80u

static inline uint32_t pl_sktinfo_addr(uint8_t sktid, uint32_t off)
{ return PL_VMEM_SKTINFO + (uint32_t)sktid * PL_VMEM_SKTINFO_STRIDE + off; }

/* Socket states (i8). */
#define PL_SKTST_FREE		0
#define PL_SKTST_OPENING	1
#define PL_SKTST_OPEN		2
#define PL_SKTST_EOF		3
#define PL_SKTST_WFIN		4
#define PL_SKTST_END		5
#define PL_SKTST_REFUSED	(-1)
#define PL_SKTST_RESET		(-2)
#define PL_SKTST_TIMEDOUT	(-3)
#define PL_SKTST_UNREACH	(-4)
#define PL_SKTST_UNKFAULT	(-128)

/* NSENDERR values (i8). */
#define PL_NSENDERR_SUCCESS	0
#define PL_NSENDERR_NORES	1
#define PL_NSENDERR_BADPKT	2
#define PL_NSENDERR_TIMEDOUT	3
#define PL_NSENDERR_RESET	4
#define PL_NSENDERR_UNREACH	5
#define PL_NSENDERR_WFIN	6
#define PL_NSENDERR_UNKFAULT	127

/* NOTIFMASK bits: a set bit suppresses (queues) that notification. */
#define PL_NOTIF_NTAG		0x0002u
#define PL_NOTIF_NSTAT		0x0004u
#define PL_NOTIF_NDATA		0x0008u
#define PL_NOTIF_NDROP		0x0010u
#define PL_NOTIF_NBLOCK		0x0020u

#endif /* PKTLAB_VMEM_H */
