/*
 * test_endpoint_vmem.c: the endpoint memory map (src/endpoint/pure/vmem.c):
 * SYSPARAM layout, SKTINFO blocks, reads across regions and gaps (the 1.1.0
 * rule that a read reaching a gap is zero from there on), and writes: only
 * the writable fields, only for sockets in state >= OPENING, byte-wise.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint/pure/endpt.h"
#include "ctrun.h"

static struct ep_vmem *
mkvm(void)
{
	struct ep_vmem	*vm = calloc(1, sizeof(*vm));
	struct ep_conf	 c;

	ep_conf_init(&c);
	c.nip4 = 2;
	memcpy(c.ip4[0].addr, "\x0a\0\0\x01", 4);
	memcpy(c.ip4[0].mask, "\xff\0\0\0", 4);
	memcpy(c.ip4[1].addr, "\xc0\xa8\x01\x02", 4);
	c.ndns4 = 1;
	memcpy(c.dns4[0], "\x01\x02\x03\x04", 4);
	strcpy(c.hostid, "host-a");
	ep_vmem_sys_init(&vm->sys, &c);
	vm->sys.time = 0x0102030405060708ull;
	vm->sys.bufused = 777;
	vm->skt[5].family = PL_FAM_IPV4;
	vm->skt[5].proto = PL_PROTO_UDP;
	vm->skt[5].state = PL_SKTST_OPEN;
	vm->skt[5].lport = 0x1234;
	vm->skt[5].rbufsz = 0x1000;
	vm->skt[6].family = PL_FAM_IPV4;
	vm->skt[6].proto = PL_PROTO_TCP;
	vm->skt[6].state = PL_SKTST_REFUSED;
	return vm;
}

START_TEST(sysparam_fields)
{
	struct ep_vmem	*vm = mkvm();
	uint8_t		 b[16];

	ep_vmem_read(vm, PL_SP_IP4NO, b, 10);
	ck_assert_mem_eq(b, "\x02\x00\x00\x00\x00\x06\x00\x80\x00\x00", 10);
	ep_vmem_read(vm, PL_SP_IP4LS, b, 16);
	ck_assert_mem_eq(b, "\x0a\0\0\x01\xff\0\0\0\xc0\xa8\x01\x02\0\0\0\0", 16);
	ep_vmem_read(vm, PL_SP_TIME, b, 8);
	ck_assert_uint_eq(pl_get64(b), 0x0102030405060708ull);
	ep_vmem_read(vm, PL_SP_BUFMAX, b, 8);
	ck_assert_uint_eq(pl_get32(b), 0x800000);
	ck_assert_uint_eq(pl_get32(b + 4), 777);
	ep_vmem_read(vm, PL_SP_IP4DNSNO, b, 1);
	ck_assert_uint_eq(b[0], 1);
	ep_vmem_read(vm, PL_SP_IP4DNSLS, b, 8);
	ck_assert_mem_eq(b, "\x01\x02\x03\x04\0\0\0\0", 8);
	ep_vmem_read(vm, PL_SP_IP4HDRMOD, b, 12);
	ck_assert_mem_eq(b, "\0\0\0\x01\x02\0\0\0\0\x01\x02\0", 12);
	ep_vmem_read(vm, PL_SP_HOSTID, b, 8);
	ck_assert_mem_eq(b, "host-a\0\0", 8);
	/* A read inside a field: its middle bytes. */
	ep_vmem_read(vm, PL_SP_TIME + 3, b, 2);
	ck_assert_mem_eq(b, "\x04\x05", 2);
	free(vm);
}
END_TEST

START_TEST(sktinfo_and_gaps)
{
	struct ep_vmem	*vm = mkvm();
	uint8_t		*b = malloc(0x10000);

	ep_vmem_read(vm, pl_sktinfo_addr(5, 0), b, 0x48);
	ck_assert_uint_eq(b[PL_SKT_FAMILY], 4);
	ck_assert_uint_eq(b[PL_SKT_PROTO], 0x11);
	ck_assert_uint_eq(b[PL_SKT_STATE], 2);
	ck_assert_uint_eq(pl_get16(b + PL_SKT_LPORT), 0x1234);
	ck_assert_uint_eq(pl_get32(b + PL_SKT_RBUFSZ), 0x1000);
	ep_vmem_read(vm, pl_sktinfo_addr(6, PL_SKT_STATE), b, 1);
	ck_assert_uint_eq(b[0], 0xff);			/* REFUSED = -1 */
	/* Across two blocks. */
	ep_vmem_read(vm, pl_sktinfo_addr(5, 0x3fe), b, 6);
	ck_assert_mem_eq(b, "\0\0\x04\x06\xff\0", 6);
	/* The end of SYSPARAM runs into a gap: zero from there on. */
	ep_vmem_read(vm, PL_VMEM_SYSPARAM + PL_VMEM_SYSPARAM_LEN - 4, b, 8);
	ck_assert_mem_eq(b, "\0\0\0\0\0\0\0\0", 8);
	/* Starting in a gap: zeros even where SKTINFO begins (1.1.0's rule). */
	memset(b, 0xee, 0x10000);
	ep_vmem_read(vm, PL_VMEM_SKTINFO - 0x10, b, 0x20);
	ck_assert_mem_eq(b, (uint8_t[0x20]){ 0 }, 0x20);
	/* NSENDTSTP is mapped and all zero; CURPKT is not mapped. */
	memset(b, 0xee, 0x10000);
	ep_vmem_read(vm, PL_VMEM_NSENDTSTP, b, 0xffff);
	ck_assert_mem_eq(b, (uint8_t[64]){ 0 }, 64);
	ep_vmem_read(vm, 0, b, 16);
	ck_assert_mem_eq(b, (uint8_t[16]){ 0 }, 16);
	ep_vmem_read(vm, 0xffffff00, b, 0xff);
	ck_assert_mem_eq(b, (uint8_t[0xff]){ 0 }, 0xff);
	free(b);
	free(vm);
}
END_TEST

struct seen {
	int		 calls;
	uint8_t		 sktid;
	uint16_t	 oldmask;
};

static void
changed(void *arg, uint8_t sktid, const struct ep_sktinfo *before)
{
	struct seen	*s = arg;

	s->calls++;
	s->sktid = sktid;
	s->oldmask = before->notifmask;
}

START_TEST(writes)
{
	struct ep_vmem	*vm = mkvm();
	struct seen	 s = { 0 };
	uint8_t		 blk[0x400], b[4];
	struct ep_sktinfo before = vm->skt[5];

	/* Writable fields of an OPEN socket. */
	ep_vmem_write(vm, pl_sktinfo_addr(5, PL_SKT_NOTIFMASK),
	    (const uint8_t *)"\0\x0a", 2, changed, &s);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_uint_eq(s.sktid, 5);
	ck_assert_uint_eq(s.oldmask, 0);
	ck_assert_uint_eq(vm->skt[5].notifmask, 0x0a);
	/* One byte of RBUFSZ: big-endian byte-wise. */
	ep_vmem_write(vm, pl_sktinfo_addr(5, PL_SKT_RBUFSZ + 3),
	    (const uint8_t *)"\x20", 1, changed, &s);
	ck_assert_uint_eq(vm->skt[5].rbufsz, 0x1020);
	/* A whole-block write touches only writable fields. */
	memset(blk, 0x5a, sizeof(blk));
	ep_vmem_write(vm, pl_sktinfo_addr(5, 0), blk, sizeof(blk), changed, &s);
	ck_assert_uint_eq(vm->skt[5].family, before.family);
	ck_assert_uint_eq(vm->skt[5].state, before.state);
	ck_assert_uint_eq(vm->skt[5].lport, before.lport);
	ck_assert_uint_eq(vm->skt[5].rbufsz, 0x5a5a5a5a);
	ck_assert_int_eq(vm->skt[5].nsenderr, 0x5a);
	ck_assert_uint_eq(vm->skt[5].nsenderrtag, 0x5a5a);
	ck_assert_uint_eq(vm->skt[5].ctfl[0x7f], 0x5a);
	/* FREE and error-state sockets, and SYSPARAM: ignored. */
	s.calls = 0;
	ep_vmem_write(vm, pl_sktinfo_addr(6, PL_SKT_NOTIFMASK),
	    (const uint8_t *)"\xff\xff", 2, changed, &s);
	ep_vmem_write(vm, pl_sktinfo_addr(7, PL_SKT_CTFL),
	    (const uint8_t *)"\xff\xff", 2, changed, &s);
	ep_vmem_write(vm, PL_SP_BUFMAX, (const uint8_t *)"\0\0\0\0", 4, changed, &s);
	ck_assert_int_eq(s.calls, 0);
	ck_assert_uint_eq(vm->skt[6].notifmask, 0);
	ep_vmem_read(vm, PL_SP_BUFMAX, b, 4);
	ck_assert_uint_eq(pl_get32(b), 0x800000);
	/* Read-only bytes next to a writable field. */
	ep_vmem_write(vm, pl_sktinfo_addr(5, PL_SKT_RBUFUSED), (const uint8_t *)"\1\1\1\1",
	    4, changed, &s);
	ck_assert_uint_eq(vm->skt[5].rbufused, 0);
	free(vm);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("endpoint_vmem");
	TCase	*tc = tcase_create("vmem");

	tcase_add_test(tc, sysparam_fields);
	tcase_add_test(tc, sktinfo_and_gaps);
	tcase_add_test(tc, writes);
	suite_add_tcase(s, tc);
	return ct_run(s);
}
