/* LLDPDU / EVB TLV / CDCP TLV codec tests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lldp/lldp.h"
#include "vdp/base/eth.h"
#include "tests/unit/codec_vectors.h"

static struct lldpdu du, du2;	/* large (CDCP channel table): not on the stack */

/* Decodes a whole frame (Ethernet header included) of standards.md 5.4. */
static void decode_frame(const char *hex, struct lldpdu *d, const uint8_t **pdu, size_t *pdu_len)
{
	static uint8_t frame[1600];
	size_t n = hex2bin(hex, frame, sizeof(frame));
	struct eth_hdr h;

	assert_int_equal(eth_decode(frame, n, &h, pdu, pdu_len), CODEC_OK);
	assert_int_equal(h.ethertype, ETHERTYPE_LLDP);
	assert_int_equal(lldp_decode(*pdu, *pdu_len, d), CODEC_OK);
}

static void test_frame6_every_field(void **state)
{
	const uint8_t *pdu;
	size_t len;
	const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

	(void)state;
	decode_frame(VEC_FRAME6, &du, &pdu, &len);
	assert_int_equal(du.chassis_subtype, LLDP_CHASSIS_MAC);
	assert_int_equal(du.chassis_len, 6);
	assert_memory_equal(du.chassis_id, mac, 6);
	assert_int_equal(du.port_subtype, LLDP_PORT_IFNAME);
	assert_int_equal(du.port_len, 4);
	assert_memory_equal(du.port_id, "eth0", 4);
	assert_int_equal(du.ttl, 120);
	assert_true(du.has_evb);
	/* bridge status 0x00 */
	assert_false(du.evb.bgid);
	assert_false(du.evb.rrcap);
	assert_false(du.evb.rrctr);
	/* station status 0x07 */
	assert_false(du.evb.sgid);
	assert_true(du.evb.rrreq);
	assert_int_equal(du.evb.rrstat, EVB_RRSTAT_UNKNOWN);
	/* 0x68 0x94 0x14 */
	assert_int_equal(du.evb.r, 3);
	assert_int_equal(du.evb.rte, 8);
	assert_int_equal(du.evb.evb_mode, EVB_MODE_STATION);
	assert_false(du.evb.rwd_rol);
	assert_int_equal(du.evb.rwd, 20);
	assert_false(du.evb.rka_rol);
	assert_int_equal(du.evb.rka, 20);
	assert_true(du.has_cdcp);
	assert_int_equal(du.cdcp.role, 0);
	assert_false(du.cdcp.scomp);
	assert_int_equal(du.cdcp.chncap, 2);
	assert_int_equal(du.cdcp.n_channels, 1);
	assert_int_equal(du.cdcp.ch[0].scid, 1);
	assert_int_equal(du.cdcp.ch[0].svid, 0);
	/* the pre-standard 00-1B-3F EVB TLV is not ours: skipped, counted */
	assert_int_equal(du.n_unknown, 1);
}

static void test_frame7_every_field(void **state)
{
	const uint8_t *pdu;
	size_t len;
	const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };

	(void)state;
	decode_frame(VEC_FRAME7, &du, &pdu, &len);
	assert_int_equal(du.chassis_subtype, LLDP_CHASSIS_MAC);
	assert_int_equal(du.chassis_len, 6);
	assert_memory_equal(du.chassis_id, mac, 6);
	assert_int_equal(du.port_subtype, LLDP_PORT_IFNAME);
	assert_int_equal(du.port_len, 3);
	assert_memory_equal(du.port_id, "sw1", 3);
	assert_int_equal(du.ttl, 120);
	assert_true(du.has_evb);
	assert_true(du.evb.bgid);		/* 0x07 */
	assert_true(du.evb.rrcap);
	assert_true(du.evb.rrctr);
	assert_true(du.evb.sgid);		/* 0x0c */
	assert_true(du.evb.rrreq);
	assert_int_equal(du.evb.rrstat, EVB_RRSTAT_OFF);
	assert_int_equal(du.evb.r, 3);		/* 0x6e */
	assert_int_equal(du.evb.rte, 14);
	assert_int_equal(du.evb.evb_mode, EVB_MODE_BRIDGE); /* 0x74 */
	assert_true(du.evb.rwd_rol);
	assert_int_equal(du.evb.rwd, 20);
	assert_true(du.evb.rka_rol);		/* 0x34 */
	assert_int_equal(du.evb.rka, 20);
	assert_true(du.has_cdcp);
	assert_int_equal(du.cdcp.role, 1);
	assert_false(du.cdcp.scomp);
	assert_int_equal(du.cdcp.chncap, 167);
	assert_int_equal(du.cdcp.n_channels, 2);
	assert_int_equal(du.cdcp.ch[0].scid, 1);
	assert_int_equal(du.cdcp.ch[0].svid, 0);
	assert_int_equal(du.cdcp.ch[1].scid, 2);
	assert_int_equal(du.cdcp.ch[1].svid, 100);
	assert_int_equal(du.n_unknown, 0);
}

/* Frame 7 has only TLVs we encode: re-encoding gives the same octets. */
static void test_frame7_reencode_byte_equal(void **state)
{
	const uint8_t *pdu;
	size_t len;
	uint8_t out[600];
	struct wbuf w;

	(void)state;
	decode_frame(VEC_FRAME7, &du, &pdu, &len);
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(lldp_encode(&w, &du), CODEC_OK);
	assert_int_equal(w.len, len);
	assert_memory_equal(out, pdu, len);
}

/* Frame 6 minus the pre-standard TLV (which we skip) is what we encode. */
static void test_frame6_reencode(void **state)
{
	const uint8_t *pdu;
	size_t len, n;
	uint8_t out[600], expect[600];
	struct wbuf w;

	(void)state;
	decode_frame(VEC_FRAME6, &du, &pdu, &len);
	n = hex2bin("0207 04 020000000001 0405 05 65746830 0602 0078"
		    "fe09 0080c2 0d 00 07 68 94 14 fe0b 0080c2 0e 00 00 0002 001000 0000",
		    expect, sizeof(expect));
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(lldp_encode(&w, &du), CODEC_OK);
	assert_int_equal(w.len, n);
	assert_memory_equal(out, expect, n);
	/* and the result decodes to the same fields */
	assert_int_equal(lldp_decode(out, w.len, &du2), CODEC_OK);
	du.n_unknown = 0;
	assert_memory_equal(&du.evb, &du2.evb, sizeof(du.evb));
	assert_int_equal(du2.cdcp.n_channels, 1);
	assert_int_equal(du2.cdcp.ch[0].scid, 1);
}

static void test_evb_lldpad_vectors(void **state)
{
	uint8_t b[16];
	size_t n;
	struct evb_tlv e;

	(void)state;
	n = hex2bin(VEC_EVB_LLDPAD_BRIDGE, b, sizeof(b));
	assert_int_equal(n, 11);
	assert_int_equal(evb_info_decode(b + 2, n - 2, &e), CODEC_OK);
	assert_false(e.bgid);
	assert_true(e.rrcap);
	assert_false(e.rrctr);
	assert_false(e.sgid);
	assert_false(e.rrreq);
	assert_int_equal(e.rrstat, 0);
	assert_int_equal(e.r, 0);
	assert_int_equal(e.rte, 0);
	assert_int_equal(e.evb_mode, EVB_MODE_BRIDGE);
	assert_false(e.rwd_rol);
	assert_int_equal(e.rwd, 0);
	assert_false(e.rka_rol);
	assert_int_equal(e.rka, 0);

	n = hex2bin(VEC_EVB_LLDPAD_STATION, b, sizeof(b));
	assert_int_equal(evb_info_decode(b + 2, n - 2, &e), CODEC_OK);
	assert_true(e.rrcap);		/* echo of the bridge status */
	assert_false(e.bgid);
	assert_false(e.rrctr);
	assert_true(e.rrreq);
	assert_false(e.sgid);
	assert_int_equal(e.rrstat, 0);
	assert_int_equal(e.r, 3);
	assert_int_equal(e.rte, 8);
	assert_int_equal(e.evb_mode, EVB_MODE_STATION);
	assert_int_equal(e.rwd, 8);
	assert_int_equal(e.rka, 8);
	assert_false(e.rwd_rol);
	assert_false(e.rka_rol);
}

/* Each field alone at its maximum lands on the documented bits. */
static void test_evb_encode_each_bit(void **state)
{
	static const struct {
		struct evb_tlv e;
		const char *hex;
	} v[] = {
		{ { .bgid = true }, "fe09 0080c20d 04 00 00 00 00" },
		{ { .rrcap = true }, "fe09 0080c20d 02 00 00 00 00" },
		{ { .rrctr = true }, "fe09 0080c20d 01 00 00 00 00" },
		{ { .sgid = true }, "fe09 0080c20d 00 08 00 00 00" },
		{ { .rrreq = true }, "fe09 0080c20d 00 04 00 00 00" },
		{ { .rrstat = 3 }, "fe09 0080c20d 00 03 00 00 00" },
		{ { .r = 7 }, "fe09 0080c20d 00 00 e0 00 00" },
		{ { .rte = 31 }, "fe09 0080c20d 00 00 1f 00 00" },
		{ { .evb_mode = 3 }, "fe09 0080c20d 00 00 00 c0 00" },
		{ { .rwd_rol = true }, "fe09 0080c20d 00 00 00 20 00" },
		{ { .rwd = 31 }, "fe09 0080c20d 00 00 00 1f 00" },
		{ { .rka_rol = true }, "fe09 0080c20d 00 00 00 00 20" },
		{ { .rka = 31 }, "fe09 0080c20d 00 00 00 00 1f" },
		{ { .r = 3, .rte = 8, .evb_mode = 2, .rwd = 20, .rka = 20, .rrreq = true, .rrstat = 3 },
		  "fe09 0080c20d 00 07 68 94 14" },
	};
	uint8_t out[16], expect[16];
	struct wbuf w;
	struct evb_tlv back;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		wbuf_init(&w, out, sizeof(out));
		assert_int_equal(evb_tlv_encode(&w, &v[i].e), CODEC_OK);
		n = hex2bin(v[i].hex, expect, sizeof(expect));
		assert_int_equal(w.len, n);
		assert_memory_equal(out, expect, n);
		assert_int_equal(evb_info_decode(out + 2, w.len - 2, &back), CODEC_OK);
		assert_memory_equal(&back, &v[i].e, sizeof(back));
	}
}

static void test_evb_encode_invalid(void **state)
{
	uint8_t out[16];
	struct wbuf w;
	struct evb_tlv bad[] = { { .r = 8 }, { .rte = 32 }, { .evb_mode = 4 }, { .rwd = 32 },
				 { .rka = 32 }, { .rrstat = 4 } };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wbuf_init(&w, out, sizeof(out));
		assert_int_equal(evb_tlv_encode(&w, &bad[i]), CODEC_E_INVALID);
		assert_int_equal(w.len, 0);
	}
}

static void test_cdcp_encode_exact(void **state)
{
	static struct cdcp_tlv c;
	uint8_t out[600], expect[64];
	struct wbuf w;
	size_t n;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.role = 1;
	c.scomp = true;
	c.chncap = 0xABC;
	c.n_channels = 3;
	c.ch[0].scid = 1; c.ch[0].svid = 1;
	c.ch[1].scid = 0xFFF; c.ch[1].svid = 0x123;
	c.ch[2].scid = 0x456; c.ch[2].svid = 0xFFF;
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(cdcp_tlv_encode(&w, &c), CODEC_OK);
	n = hex2bin("fe11 0080c2 0e 88 00 0abc 001001 fff123 456fff", expect, sizeof(expect));
	assert_int_equal(w.len, n);
	assert_memory_equal(out, expect, n);
	assert_int_equal(cdcp_info_decode(out + 2, w.len - 2, &du.cdcp), CODEC_OK);
	assert_int_equal(du.cdcp.role, 1);
	assert_true(du.cdcp.scomp);
	assert_int_equal(du.cdcp.chncap, 0xABC);
	assert_int_equal(du.cdcp.n_channels, 3);
	assert_int_equal(du.cdcp.ch[1].scid, 0xFFF);
	assert_int_equal(du.cdcp.ch[1].svid, 0x123);
	assert_int_equal(du.cdcp.ch[2].scid, 0x456);
	assert_int_equal(du.cdcp.ch[2].svid, 0xFFF);

	/* the most channels a 9-bit length allows: 8 + 3 * 167 = 509 */
	c.n_channels = CDCP_MAX_CHANNELS;
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(cdcp_tlv_encode(&w, &c), CODEC_OK);
	assert_int_equal(w.len, 2 + 8 + 3 * CDCP_MAX_CHANNELS);
	assert_int_equal(((out[0] & 1) << 8 | out[1]), 8 + 3 * CDCP_MAX_CHANNELS);
	c.n_channels = CDCP_MAX_CHANNELS + 1;
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(cdcp_tlv_encode(&w, &c), CODEC_E_INVALID);
	c.n_channels = 1;
	c.ch[0].svid = 0x1000;
	assert_int_equal(cdcp_tlv_encode(&w, &c), CODEC_E_INVALID);
	c.ch[0].svid = 1;
	c.role = 2;
	assert_int_equal(cdcp_tlv_encode(&w, &c), CODEC_E_INVALID);
	assert_int_equal(w.len, 0);
}

static void fill_basic(struct lldpdu *d)
{
	memset(d, 0, sizeof(*d));
	d->chassis_subtype = LLDP_CHASSIS_MAC;
	d->chassis_len = 6;
	memcpy(d->chassis_id, "\x02\x00\x00\x00\x00\x09", 6);
	d->port_subtype = LLDP_PORT_IFNAME;
	d->port_len = 5;
	memcpy(d->port_id, "veth0", 5);
	d->ttl = 121;
}

static void test_encode_exact_and_no_space(void **state)
{
	uint8_t out[128], expect[128];
	struct wbuf w;
	size_t n, cap;

	(void)state;
	fill_basic(&du);
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(lldp_encode(&w, &du), CODEC_OK);
	n = hex2bin("0207 04 020000000009 0406 05 7665746830 0602 0079 0000", expect, sizeof(expect));
	assert_int_equal(w.len, n);
	assert_memory_equal(out, expect, n);
	/* with EVB: 11 more octets; every shorter buffer fails, unchanged */
	du.has_evb = true;
	du.evb.r = 3;
	for (cap = 0; cap < n + 11; cap++) {
		memset(out, 0xAA, sizeof(out));
		wbuf_init(&w, out, cap);
		assert_int_equal(lldp_encode(&w, &du), CODEC_E_NO_SPACE);
		assert_int_equal(w.len, 0);
		assert_false(w.err);
		assert_int_equal(out[0], 0xAA);	/* not one octet written */
	}
	wbuf_init(&w, out, cap);
	assert_int_equal(lldp_encode(&w, &du), CODEC_OK);
	assert_int_equal(w.len, n + 11);
	/* invalid IDs */
	du.port_len = 0;
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(lldp_encode(&w, &du), CODEC_E_INVALID);
}

static void test_round_trip(void **state)
{
	uint8_t a[700], b[700];
	struct wbuf wa, wb;
	uint16_t i;

	(void)state;
	fill_basic(&du);
	du.chassis_subtype = 7;
	du.chassis_len = 255;
	for (i = 0; i < 255; i++)
		du.chassis_id[i] = (uint8_t)i;
	du.has_evb = true;
	du.evb = (struct evb_tlv){ .bgid = true, .sgid = true, .rrstat = 1, .r = 5, .rte = 17,
				   .evb_mode = 1, .rwd_rol = true, .rwd = 9, .rka = 30 };
	du.has_cdcp = true;
	du.cdcp.n_channels = 40;
	du.cdcp.chncap = 40;
	for (i = 0; i < 40; i++) {
		du.cdcp.ch[i].scid = (uint16_t)(i + 1);
		du.cdcp.ch[i].svid = (uint16_t)(100 + i * 7);
	}
	wbuf_init(&wa, a, sizeof(a));
	assert_int_equal(lldp_encode(&wa, &du), CODEC_OK);
	assert_int_equal(lldp_decode(a, wa.len, &du2), CODEC_OK);
	assert_int_equal(du2.chassis_len, 255);
	assert_memory_equal(du2.chassis_id, du.chassis_id, 255);
	assert_memory_equal(&du2.evb, &du.evb, sizeof(du.evb));
	assert_int_equal(du2.cdcp.n_channels, 40);
	assert_memory_equal(du2.cdcp.ch, du.cdcp.ch, 40 * sizeof(du.cdcp.ch[0]));
	wbuf_init(&wb, b, sizeof(b));
	assert_int_equal(lldp_encode(&wb, &du2), CODEC_OK);
	assert_int_equal(wb.len, wa.len);
	assert_memory_equal(a, b, wa.len);
}

static void test_unknown_tlvs_skipped(void **state)
{
	uint8_t b[128];
	size_t n;

	(void)state;
	/* port description (4), system name (5), another OUI, an 802.1
	 * subtype we do not use (port VLAN ID, 0x01), then EVB */
	n = hex2bin("0207 04 020000000001 0405 05 65746830 0602 0078"
		    "0803 616263 0a02 7831 fe06 00120f 01 0203 fe06 0080c2 01 0064"
		    "fe09 0080c2 0d 00 07 68 94 14 0000", b, sizeof(b));
	assert_int_equal(lldp_decode(b, n, &du), CODEC_OK);
	assert_int_equal(du.n_unknown, 4);
	assert_true(du.has_evb);
	assert_int_equal(du.evb.rte, 8);
	assert_false(du.has_cdcp);
}

static void test_no_end_tlv_accepted(void **state)
{
	uint8_t b[64];
	size_t n;

	(void)state;
	n = hex2bin("0207 04 020000000001 0405 05 65746830 0602 0078", b, sizeof(b));
	assert_int_equal(lldp_decode(b, n, &du), CODEC_OK);
	assert_int_equal(du.ttl, 120);
}

struct bad {
	const char *hex;
	int err;
};

#define HEAD "0207 04 020000000001 0405 05 65746830 0602 0078"

static void check_bad(const struct bad *v, size_t nv)
{
	uint8_t b[128];
	size_t i, n;

	for (i = 0; i < nv; i++) {
		n = hex2bin(v[i].hex, b, sizeof(b));
		memset(&du, 0x55, sizeof(du));
		if (lldp_decode(b, n, &du) != v[i].err)
			fail_msg("case %zu (%s): got %d want %d", i, v[i].hex,
				 lldp_decode(b, n, &du), v[i].err);
		/* nothing half-decoded is left behind */
		assert_false(du.has_evb);
		assert_int_equal(du.ttl, 0);
	}
}

static void test_err_short(void **state)
{
	static const struct bad v[] = {
		{ "", CODEC_E_SHORT },
		{ "02", CODEC_E_SHORT },
		{ HEAD "fe", CODEC_E_SHORT },
	};
	(void)state;
	check_bad(v, sizeof(v) / sizeof(v[0]));
}

static void test_err_bad_length(void **state)
{
	static const struct bad v[] = {
		{ "0207 04 0200000000", CODEC_E_BAD_LENGTH },		/* runs past the end */
		{ "0201 04 0405 05 65746830 0602 0078 0000", CODEC_E_BAD_LENGTH }, /* chassis no ID */
		{ "0200 0405 05 65746830 0602 0078 0000", CODEC_E_BAD_LENGTH },
		{ "0207 04 020000000001 0401 05 0602 0078 0000", CODEC_E_BAD_LENGTH }, /* port no ID */
		{ "0207 04 020000000001 0405 05 65746830 0603 007800 0000", CODEC_E_BAD_LENGTH },
		{ "0207 04 020000000001 0405 05 65746830 0601 00 0000", CODEC_E_BAD_LENGTH },
		{ HEAD "fe08 0080c2 0d 00 07 68 94 0000", CODEC_E_BAD_LENGTH },	/* EVB 8 */
		{ HEAD "fe0a 0080c2 0d 00 07 68 94 14 00 0000", CODEC_E_BAD_LENGTH }, /* EVB 10 */
		{ HEAD "fe09 0080c2 0e 00 00 0002 00 0000", CODEC_E_BAD_LENGTH },	/* CDCP 9 */
		{ HEAD "fe07 0080c2 0e 00 00 00 0000", CODEC_E_BAD_LENGTH },	/* CDCP 7 */
		{ HEAD "fe03 0080c2 0000", CODEC_E_BAD_LENGTH },		/* org w/o subtype */
		{ HEAD "0001 00", CODEC_E_BAD_LENGTH },			/* End with a length */
		{ HEAD "fe09 0080c2 0d 00 07", CODEC_E_BAD_LENGTH },	/* truncated EVB */
	};
	(void)state;
	check_bad(v, sizeof(v) / sizeof(v[0]));
}

static void test_err_missing_tlv(void **state)
{
	static const struct bad v[] = {
		{ "0405 05 65746830 0207 04 020000000001 0602 0078 0000", CODEC_E_MISSING_TLV },
		{ "0207 04 020000000001 0602 0078 0405 05 65746830 0000", CODEC_E_MISSING_TLV },
		{ "0207 04 020000000001 0405 05 65746830 0000", CODEC_E_MISSING_TLV },
		{ "0207 04 020000000001 0405 05 65746830", CODEC_E_MISSING_TLV },
		{ "0000", CODEC_E_MISSING_TLV },
		{ "0803 616263 " HEAD "0000", CODEC_E_MISSING_TLV },
		{ "fe09 0080c2 0d 00 07 68 94 14 " HEAD "0000", CODEC_E_MISSING_TLV },
	};
	(void)state;
	check_bad(v, sizeof(v) / sizeof(v[0]));
}

static void test_err_duplicate(void **state)
{
	static const struct bad v[] = {
		{ HEAD "0207 04 020000000001 0000", CODEC_E_DUPLICATE },
		{ HEAD "0405 05 65746830 0000", CODEC_E_DUPLICATE },
		{ HEAD "0602 0078 0000", CODEC_E_DUPLICATE },
		{ HEAD "fe09 0080c2 0d 00 07 68 94 14 fe09 0080c2 0d 00 07 68 94 14 0000",
		  CODEC_E_DUPLICATE },
		{ HEAD "fe0b 0080c2 0e 00 00 0002 001000 fe08 0080c2 0e 00 00 0000 0000",
		  CODEC_E_DUPLICATE },
	};
	(void)state;
	check_bad(v, sizeof(v) / sizeof(v[0]));
}

/* The TLV-level decoders refuse an information string of another TLV. */
static void test_err_bad_tlv_type(void **state)
{
	uint8_t b[32];
	size_t n;
	struct evb_tlv e;

	(void)state;
	n = hex2bin("0080c2 0e 00 07 68 94 14", b, sizeof(b));	/* CDCP subtype */
	assert_int_equal(evb_info_decode(b, n, &e), CODEC_E_BAD_TLV_TYPE);
	n = hex2bin("001b3f 0d 00 07 68 94 14", b, sizeof(b));	/* other OUI */
	assert_int_equal(evb_info_decode(b, n, &e), CODEC_E_BAD_TLV_TYPE);
	n = hex2bin("0080c2 0d 00 00 0002 001000", b, sizeof(b));
	assert_int_equal(cdcp_info_decode(b, n, &du.cdcp), CODEC_E_BAD_TLV_TYPE);
	n = hex2bin("0080c2 0e 00 00 0002 001000", b, sizeof(b));
	assert_int_equal(cdcp_info_decode(b, n, &du.cdcp), CODEC_OK);
}

/* Every prefix of the vectors, in a heap block of exactly that size (ASan
 * catches any read past it), fails cleanly or decodes. */
static void test_truncations_stay_in_bounds(void **state)
{
	const char *vecs[] = { VEC_FRAME6, VEC_FRAME7 };
	uint8_t frame[256];
	size_t v, n, cut;
	int ok = 0;

	(void)state;
	for (v = 0; v < 2; v++) {
		n = hex2bin(vecs[v], frame, sizeof(frame)) - ETH_HDR_LEN;
		for (cut = 0; cut <= n; cut++) {
			uint8_t *p = malloc(cut ? cut : 1);
			memcpy(p, frame + ETH_HDR_LEN, cut);
			if (lldp_decode(p, cut, &du) == CODEC_OK)
				ok++;
			free(p);
		}
	}
	/* frame 6 decodes once its TTL TLV is complete, without End, when
	 * it stops on a TLV boundary (after TTL, EVB, CDCP, draft TLV, End);
	 * frame 7 likewise (TTL, EVB, CDCP, End) */
	assert_int_equal(ok, 5 + 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame6_every_field),
		cmocka_unit_test(test_frame7_every_field),
		cmocka_unit_test(test_frame7_reencode_byte_equal),
		cmocka_unit_test(test_frame6_reencode),
		cmocka_unit_test(test_evb_lldpad_vectors),
		cmocka_unit_test(test_evb_encode_each_bit),
		cmocka_unit_test(test_evb_encode_invalid),
		cmocka_unit_test(test_cdcp_encode_exact),
		cmocka_unit_test(test_encode_exact_and_no_space),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_unknown_tlvs_skipped),
		cmocka_unit_test(test_no_end_tlv_accepted),
		cmocka_unit_test(test_err_short),
		cmocka_unit_test(test_err_bad_length),
		cmocka_unit_test(test_err_missing_tlv),
		cmocka_unit_test(test_err_duplicate),
		cmocka_unit_test(test_err_bad_tlv_type),
		cmocka_unit_test(test_truncations_stay_in_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
