/*
 * pktlab/wire.h: the PacketLab 1.1.0 wire format.
 *
 * Pure code: no I/O, no allocation in the decoder, no libevent, no OpenSSL.
 * Every message is a 4-byte header (type, 24-bit big-endian body length)
 * followed by the body.  All integers on the wire are big-endian.
 *
 * A decoded message is "wire-faithful": every optional or variable part of
 * the encoding is recorded (presence flags, raw lengths), so that
 * pl_encode(pl_decode(bytes)) gives back exactly the same bytes.  Pointers
 * in a decoded message point into the caller's input buffer and stay valid
 * only as long as that buffer does.
 */
#ifndef PKTLAB_WIRE_H
#define PKTLAB_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PL_HLEN		4		/* header length */
#define PL_BODY_MAX	0xFFFFFFu	/* largest body a header can describe */

/* Default ports (xpmgr spec §1.1). */
#define PL_PORT_EXP		20556	/* controller (passive listen) */
#define PL_PORT_PUB		20556	/* broker publication */
#define PL_PORT_SUB		20557	/* broker subscription */
#define PL_PORT_PROXY		20557	/* proxy backlog set-up */

/* Size constants (protocol spec §2). */
#define PL_MREAD_MAX		0xFFFFu		/* len is a 16-bit field */
#define PL_NDATA_MAX		0x10000u
#define PL_NSEND_MAX		0xFFFFE0u
#define PL_LINFO_INFO_MAX	0x10000u
#define PL_MAX_SKT_CNT		256
#define PL_SNIKEY_MAX		63
#define PL_CHANNEL_MAX		32
#define PL_EOPKEY_LEN		32

/* Message types (protocol spec §3). */
enum pl_type {
	PL_UNDEF	= 0x00,	/* never on the wire */
	PL_CDATA	= 0x20,
	PL_START	= 0x21,
	PL_END		= 0x22,
	PL_YIELD	= 0x23,
	PL_CONT		= 0x24,
	PL_MREAD	= 0x28,
	PL_MWRITE	= 0x29,
	PL_NOPEN	= 0x2A,
	PL_NCLOSE	= 0x2B,
	PL_NSEND	= 0x2C,
	PL_NCAP		= 0x2D,
	PL_NCTL		= 0x2E,
	PL_XCERT	= 0x30,
	PL_XPUB		= 0x31,
	PL_XSUB		= 0x38,
	PL_RESULT	= 0x40,
	PL_MDATA	= 0x41,
	PL_NTAG		= 0x60,
	PL_NSTAT	= 0x61,
	PL_NDATA	= 0x62,
	PL_NDROP	= 0x63,
	PL_NBLOCK	= 0x64,
	PL_LINFO	= 0x65,
	PL_SUSPD	= 0x68,
	PL_RESUMD	= 0x69,
	PL_XNOTIFY	= 0x70,
	PL_XREG		= 0x80,
};

/* Families, protocols (protocol spec §4, §6). */
#define PL_FAM_IPV4	0x04
#define PL_FAM_IPV6	0x06
#define PL_PROTO_RAW	0x00
#define PL_PROTO_TCP	0x06
#define PL_PROTO_UDP	0x11

/* nstat codes. */
#define PL_NSTAT_ESTABLISHED	0x00
#define PL_NSTAT_RESET		0x01
#define PL_NSTAT_TIMEOUT	0x02
#define PL_NSTAT_PEERCLOSED	0x03
#define PL_NSTAT_UNKNOWN	0xFF

/* nctl commands. */
#define PL_NCTL_TCP_FIN		0x01

/* Error codes (protocol spec §5). */
enum pl_errid {
	PL_SUCCESS	= 0x0000,
	PL_ECTLBADMSG	= 0x0010,
	PL_ECTLNOTSUP	= 0x0011,
	PL_ECTLMONREJ	= 0x0012,
	PL_ECTLMONUKN	= 0x0013,
	PL_ECRTBADHDAT	= 0x0020,
	PL_ECRTNOHDAT	= 0x0021,
	PL_ECRTBADFRM	= 0x0022,
	PL_ECRTNOSPACE	= 0x0023,
	PL_ECRTBADHINT	= 0x0024,
	PL_ESYSNOBUFS	= 0x0030,
	PL_ESYSNOPERM	= 0x0031,
	PL_ESKTINUSE	= 0x0032,
	PL_ESKTNOTOPEN	= 0x0033,
	PL_ESKTNOPRFAM	= 0x0034,
	PL_ESKTNOPROTO	= 0x0035,
	PL_ESKTNOADDR	= 0x0036,
	PL_ESKTNOMATCH	= 0x0037,
	PL_ESKTBADFILT	= 0x0038,
	PL_ESKTPKTDENY	= 0x0039,
	PL_ESKTOPNDENY	= 0x003A,
	PL_ETCPNOPORT	= 0x0040,
	PL_EPKTNOTSENT	= 0x0041,
	PL_EUDPNOPORT	= 0x0042,
	PL_EPKTTRUNC	= 0x0043,
	PL_ENORES	= 0x0044,
	PL_EMEMBADADR	= 0x0048,
	PL_EPUBBADCHL	= 0x0050,
	PL_EPUBBADCHN	= 0x0051,
	PL_EPUBBADADDR	= 0x0052,
	PL_EPUBBADPR	= 0x0053,
	PL_EPUBBADXD	= 0x0054,
	PL_ESUBBADCHL	= 0x0060,
	PL_ESUBBADCHN	= 0x0061,
	PL_ESUBBADDA	= 0x0062,
	PL_EUNKFAULT	= 0xFFFF,
};

/* "ECTLBADMSG" etc., or NULL for a value not in the table. */
const char	*pl_err_name(uint16_t errid);
/* A human sentence ("malformed message"), or "unknown error 0x1234". */
const char	*pl_err_str(uint16_t errid);
/* "nopen" etc., or NULL for a type without a decoder. */
const char	*pl_type_name(uint8_t type);

/* pktlab time: nanoseconds since the Unix epoch (protocol spec §7). */
typedef uint64_t pl_time_t;
#define PL_TICKS_PER_SEC	1000000000ull
#define PL_TIME_NOW		((pl_time_t)0)		/* in nsend/nctl: as soon as possible */
#define PL_TIME_FOREVER		((pl_time_t)UINT64_MAX)	/* e.g. ncap endtime */
pl_time_t	 pl_time_now(void);	/* CLOCK_REALTIME */
pl_time_t	 pl_time_from_sec(uint64_t sec);	/* saturating */

/* Big-endian accessors. */
static inline uint16_t pl_get16(const uint8_t *p)
{ return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t pl_get32(const uint8_t *p)
{ return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]; }
static inline uint64_t pl_get64(const uint8_t *p)
{ return ((uint64_t)pl_get32(p) << 32) | pl_get32(p + 4); }
static inline void pl_put16(uint8_t *p, uint16_t v)
{ p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void pl_put32(uint8_t *p, uint32_t v)
{ p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v; }
static inline void pl_put64(uint8_t *p, uint64_t v)
{ pl_put32(p, (uint32_t)(v >> 32)); pl_put32(p + 4, (uint32_t)v); }

/* Address length for a wire family: 4, 16, or 0 for anything else. */
static inline size_t pl_addrlen(uint8_t family)
{ return family == PL_FAM_IPV4 ? 4 : family == PL_FAM_IPV6 ? 16 : 0; }

/*
 * A channel list (xpub/xsub): up to PL_CHLIST_MAX channels of 1..32 bytes,
 * each encoded as a length byte and the id, then one 0x00 terminator.
 */
#define PL_CHLIST_MAX	64
struct pl_chlist {
	size_t		 cnt;
	uint8_t		 len[PL_CHLIST_MAX];
	const uint8_t	*id[PL_CHLIST_MAX];
};

/*
 * One decoded message.  'type' is the wire type byte.  For a type without a
 * decoder, known == 0 and only 'body'/'bodylen' are meaningful; it encodes
 * back to the same bytes.  Variable-length fields point into the input.
 */
struct pl_msg {
	uint8_t		 type;
	int		 known;		/* type has a decoder */
	const uint8_t	*body;		/* the whole body, as received */
	uint32_t	 bodylen;
	union {
		struct {		/* cdata */
			const char	*hint;		/* not NUL-terminated */
			uint8_t		 hintlen;
			const uint8_t	*prog;		/* encoded program (§9) */
			size_t		 proglen;
		} cdata;
		struct {		/* yield */
			pl_time_t	 rhint;
		} yield;
		struct {		/* mread */
			uint32_t	 addr;
			uint16_t	 len;
		} mread;
		struct {		/* mwrite, mdata */
			uint32_t	 addr;
			const uint8_t	*data;
			size_t		 len;
		} mem;
		struct {		/* nopen */
			uint8_t		 sktid, family, proto;
			uint32_t	 rbufsz;
			uint8_t		 laddr[16];
			uint16_t	 lport;		/* host order */
			int		 has_lport;	/* UDP, TCP */
			uint8_t		 raddr[16];
			uint16_t	 rport;
			int		 has_raddr;	/* TCP connect (vs. listen) */
		} nopen;
		struct {		/* nclose */
			uint8_t		 sktid;
		} nclose;
		struct {		/* nsend, ndata */
			uint8_t		 sktid, family, proto;
			pl_time_t	 time;
			uint16_t	 tag;		/* nsend only */
			uint8_t		 addr[16];	/* UDP: nsend raddr / ndata source */
			uint16_t	 port;		/* UDP only, host order */
			const uint8_t	*data;
			size_t		 len;
		} ndata;
		struct {		/* ncap */
			uint8_t		 sktid, family, proto;
			pl_time_t	 endtime;
			const uint8_t	*filter;	/* encoded program */
			size_t		 filterlen;
		} ncap;
		struct {		/* nctl */
			uint8_t		 sktid, family, proto;
			pl_time_t	 time;
			uint8_t		 cmd;
		} nctl;
		struct {		/* xcert */
			const uint8_t	*der;
			size_t		 derlen;
		} xcert;
		struct {		/* xpub, xsub */
			struct pl_chlist chlist;
			const uint8_t	*eopkey;	/* 32 bytes */
			const char	*descr;		/* xdescr (xpub) / dattr (xsub) */
			size_t		 descrlen;
		} xpub;
		struct {		/* result */
			uint16_t	 errid;
			uint16_t	 monindx;	/* MONREJ, MONUKN */
			uint16_t	 monerrid;	/* MONREJ */
			int		 explicit_ok;	/* SUCCESS sent as a 2-byte 0000 body */
		} result;
		struct {		/* ntag */
			uint8_t		 sktid;
			uint16_t	 tag;
			pl_time_t	 time;
			uint16_t	 errid;
			int		 has_errid;	/* 13-byte body */
		} ntag;
		struct {		/* nstat */
			uint8_t		 sktid, family, proto;
			pl_time_t	 time;
			uint8_t		 code;
			int		 has_raddr;	/* ESTABLISHED form: 17/29 bytes */
			uint8_t		 raddr[16];
			uint16_t	 rport;
		} nstat;
		struct {		/* ndrop */
			uint8_t		 sktid, family, proto;
			pl_time_t	 tfirst, tlast;
			uint32_t	 unitcnt, bytecnt;
		} ndrop;
		struct {		/* nblock */
			uint8_t		 sktid, family, proto;
			uint16_t	 monerrid;
			pl_time_t	 time;
		} nblock;
		struct {		/* linfo */
			const uint8_t	*name, *aux, *info;
			uint32_t	 namelen, auxlen, infolen;
		} linfo;
		struct {		/* xnotify */
			const uint8_t	*channel;
			uint8_t		 channellen;
			const char	*descr;		/* optional xdescr */
			size_t		 descrlen;
		} xnotify;
		struct {		/* xreg */
			const char	*snikey;
			size_t		 snikeylen;
		} xreg;
	} u;
};

/* Decoder outcomes. */
enum pl_dec {
	PL_DEC_MALFORMED = -1,	/* a whole message was there, but its body is invalid */
	PL_DEC_NEED = 0,	/* not enough bytes yet; nothing consumed */
	PL_DEC_OK = 1,		/* one message decoded */
};

/*
 * Incremental decoder over partial input.  Looks at buf[0..len) and decodes
 * the first message.  On PL_DEC_OK and PL_DEC_MALFORMED, *consumed is set to
 * PL_HLEN + body length (so the caller can skip a malformed message) and
 * msg->type/body/bodylen are filled.  A malformed message comes back with
 * known == 0, so pl_encode() forwards it as the raw bytes it came as.
 * On PL_DEC_MALFORMED, *reason (if not NULL) points to an English phrase
 * such as "nopen: body length 20 invalid for TCP/IPv4 (want 13 or 19)",
 * held in a per-thread buffer that the next pl_decode() call in the same
 * thread overwrites; on other outcomes *reason is set to NULL.
 * 'reason' may instead be given a caller buffer through pl_decode_r().
 * The decoder never allocates.
 */
enum pl_dec	 pl_decode(const uint8_t *buf, size_t len, struct pl_msg *msg,
		    size_t *consumed, const char **reason);
/* Same, writing a precise reason into why[0..whylen). */
enum pl_dec	 pl_decode_r(const uint8_t *buf, size_t len, struct pl_msg *msg,
		    size_t *consumed, char *why, size_t whylen);

/* Header only: 1 and fills type/bodylen when 4 bytes are there, else 0. */
int		 pl_peek_header(const uint8_t *buf, size_t len, uint8_t *type,
		    uint32_t *bodylen);

/*
 * Encoder.  Returns the total encoded length (header included) and writes
 * the bytes when out != NULL and outlen is large enough; returns -1 when the
 * message is invalid (a field combination the decoder would reject, or a
 * body over PL_BODY_MAX).  Call with out == NULL to size a buffer.
 */
ssize_t		 pl_encode(const struct pl_msg *msg, uint8_t *out, size_t outlen);

/*
 * Constructors that fill a pl_msg in the canonical form the 1.1.0 encoder
 * produces (e.g. a SUCCESS result has an empty body, an ntag carries an
 * errid only when it is non-zero).  Pointers are borrowed, not copied.
 */
void	pl_msg_start(struct pl_msg *m);
void	pl_msg_empty(struct pl_msg *m, uint8_t type);	/* start end cont suspd resumd */
void	pl_msg_result(struct pl_msg *m, uint16_t errid);
void	pl_msg_result_mon(struct pl_msg *m, uint16_t errid, uint16_t monindx, uint16_t monerrid);
void	pl_msg_cdata(struct pl_msg *m, const char *hint, const uint8_t *prog, size_t proglen);
void	pl_msg_yield(struct pl_msg *m, pl_time_t rhint);
void	pl_msg_mread(struct pl_msg *m, uint32_t addr, uint16_t len);
void	pl_msg_mwrite(struct pl_msg *m, uint32_t addr, const uint8_t *data, size_t len);
void	pl_msg_mdata(struct pl_msg *m, uint32_t addr, const uint8_t *data, size_t len);
/* laddr/raddr are pl_addrlen(family) bytes in network order; raddr NULL = no remote (RAW, UDP, TCP listen). */
void	pl_msg_nopen(struct pl_msg *m, uint8_t sktid, uint8_t family, uint8_t proto,
	    uint32_t rbufsz, const uint8_t *laddr, uint16_t lport,
	    const uint8_t *raddr, uint16_t rport);
void	pl_msg_nclose(struct pl_msg *m, uint8_t sktid);
/* raddr/rport used for UDP only. */
void	pl_msg_nsend(struct pl_msg *m, uint8_t sktid, uint8_t family, uint8_t proto,
	    pl_time_t time, uint16_t tag, const uint8_t *raddr, uint16_t rport,
	    const uint8_t *data, size_t len);
void	pl_msg_ncap(struct pl_msg *m, uint8_t sktid, uint8_t family, uint8_t proto,
	    pl_time_t endtime, const uint8_t *filter, size_t filterlen);
void	pl_msg_nctl(struct pl_msg *m, uint8_t sktid, uint8_t family, uint8_t proto,
	    pl_time_t time, uint8_t cmd);
void	pl_msg_ntag(struct pl_msg *m, uint8_t sktid, uint16_t tag, pl_time_t time, uint16_t errid);
/* code ESTABLISHED with proto TCP and raddr != NULL gives the 17/29-byte form. */
void	pl_msg_nstat(struct pl_msg *m, uint8_t sktid, uint8_t family, uint8_t proto,
	    pl_time_t time, uint8_t code, const uint8_t *raddr, uint16_t rport);
/* saddr/sport used for UDP only. */
void	pl_msg_ndata(struct pl_msg *m, uint8_t sktid, uint8_t family, uint8_t proto,
	    pl_time_t time, const uint8_t *saddr, uint16_t sport,
	    const uint8_t *data, size_t len);
void	pl_msg_ndrop(struct pl_msg *m, uint8_t sktid, uint8_t family, uint8_t proto,
	    pl_time_t tfirst, pl_time_t tlast, uint32_t unitcnt, uint32_t bytecnt);
void	pl_msg_nblock(struct pl_msg *m, uint8_t sktid, uint8_t family, uint8_t proto,
	    uint16_t monerrid, pl_time_t time);
void	pl_msg_linfo(struct pl_msg *m, const uint8_t *name, uint32_t namelen,
	    const uint8_t *aux, uint32_t auxlen, const uint8_t *info, uint32_t infolen);
void	pl_msg_xcert(struct pl_msg *m, const uint8_t *der, size_t derlen);
void	pl_msg_xpub(struct pl_msg *m, uint8_t type /* PL_XPUB or PL_XSUB */,
	    const struct pl_chlist *chlist, const uint8_t eopkey[32],
	    const char *descr, size_t descrlen);
void	pl_msg_xnotify(struct pl_msg *m, const uint8_t *channel, uint8_t channellen,
	    const char *descr, size_t descrlen);
void	pl_msg_xreg(struct pl_msg *m, const char *snikey, size_t len);
/* A message of any type carried as opaque bytes (known = 0). */
void	pl_msg_raw(struct pl_msg *m, uint8_t type, const uint8_t *body, uint32_t bodylen);

/*
 * 1 when a and b put the same bytes on the wire: same type and form, equal
 * fields, equal contents behind the pointers.  Fields the form does not
 * carry (lport of a RAW nopen, monindx of a plain error) are ignored.
 */
int	pl_msg_equal(const struct pl_msg *a, const struct pl_msg *b);

/*
 * Channel lists.  pl_chlist_decode parses buf[0..len) as a complete list
 * (nothing may follow the terminator) and returns 0, or -1 with *why set.
 * pl_chlist_encode returns the encoded length, writing when out is large
 * enough, or -1 for an invalid list.
 */
int	pl_chlist_decode(const uint8_t *buf, size_t len, struct pl_chlist *cl, const char **why);
/* Length of the list at the start of buf (terminator included), or -1. */
ssize_t	pl_chlist_span(const uint8_t *buf, size_t len, struct pl_chlist *cl, const char **why);
ssize_t	pl_chlist_encode(const struct pl_chlist *cl, uint8_t *out, size_t outlen);

/* A valid snikey: 1..63 of [a-z0-9]. */
int	pl_snikey_valid(const char *s, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* PKTLAB_WIRE_H */
