/* VDP TLV codec tests (802.1Qbg-2012 clause 41). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vdp/wire/ecpdu.h"
#include "vdp/base/eth.h"
#include "vdp/wire/vdp_tlv.h"
#include "tests/unit/codec_vectors.h"

#define MGRID_TLV "0a10" VEC_MGRID
#define ASSOC_TLV "0621 00 000005 04 05" VEC_UUID "02 0001 525400123456 b064"

static struct vdp_tlv tlvs[64];
static struct vdp_filter fbuf[300];

static void pdu_init(struct vdp_pdu *p, size_t cap)
{
	memset(p, 0, sizeof(*p));
	p->tlvs = tlvs;
	p->cap = cap;
}

/* Re-encodes a decoded PDU: Manager ID, then every kept TLV in order. */
static void reencode(const struct vdp_pdu *p, struct wbuf *w)
{
	size_t i;
	uint16_t j;

	assert_int_equal(vdp_encode_mgrid(w, p->mgrid), CODEC_OK);
	for (i = 0; i < p->n_tlvs; i++) {
		const struct vdp_tlv *t = &p->tlvs[i];

		if (t->type == VDP_TLV_ORG) {
			assert_int_equal(vdp_encode_org(w, &t->org), CODEC_OK);
			continue;
		}
		assert_true(t->assoc.n_filters <= sizeof(fbuf) / sizeof(fbuf[0]));
		for (j = 0; j < t->assoc.n_filters; j++)
			vdp_filter_get(&t->assoc, j, &fbuf[j]);
		assert_int_equal(vdp_encode_assoc(w, &t->assoc, fbuf, t->assoc.n_filters), CODEC_OK);
	}
}

/* Decodes a whole ECP frame of standards.md 2.11 down to the VDP PDU. */
static size_t decode_frame(const char *hex, uint8_t *frame, size_t cap, struct ecp_hdr *h,
			   struct vdp_pdu *p)
{
	size_t n = hex2bin(hex, frame, cap), pl_len, ul_len;
	struct eth_hdr eh;
	const uint8_t *pl, *ul;

	assert_int_equal(eth_decode(frame, n, &eh, &pl, &pl_len), CODEC_OK);
	assert_int_equal(eh.ethertype, ETHERTYPE_ECP);
	assert_memory_equal(eh.dst, eth_nearest_customer_bridge, 6);
	assert_int_equal(ecp_decode(pl, pl_len, h, &ul, &ul_len), CODEC_OK);
	assert_int_equal(h->subtype, ECP_SUBTYPE_VDP);
	assert_int_equal(h->op, ECP_OP_REQUEST);
	pdu_init(p, 64);
	assert_int_equal(vdp_decode(ul, ul_len, p), CODEC_OK);
	return n;
}

/* Rebuilds the frame from its decoded parts with our encoders (End TLV as
 * in the vectors) and checks every octet. */
static void check_reencode_frame(const uint8_t *frame, size_t n, const struct ecp_hdr *h,
				 const struct vdp_pdu *p)
{
	uint8_t out[256];
	struct wbuf w;

	wbuf_init(&w, out, sizeof(out));
	eth_encode(&w, frame, frame + 6, ETHERTYPE_ECP);
	assert_int_equal(ecp_encode_hdr(&w, h), CODEC_OK);
	reencode(p, &w);
	wbuf_be16(&w, 0);
	assert_false(w.err);
	assert_int_equal(w.len, n);
	assert_memory_equal(out, frame, n);
}

static void check_common(const struct vdp_pdu *p, uint8_t type, uint8_t status, uint8_t ffmt,
			 uint16_t nf)
{
	uint8_t mgrid[16], uuid[16];
	const struct vdp_assoc *a = &p->tlvs[0].assoc;

	hex2bin(VEC_MGRID, mgrid, 16);
	hex2bin(VEC_UUID, uuid, 16);
	assert_memory_equal(p->mgrid, mgrid, 16);
	assert_int_equal(p->n_tlvs, 1);
	assert_int_equal(p->tlvs[0].type, type);
	assert_int_equal(a->type, type);
	assert_int_equal(a->status, status);
	assert_int_equal(a->type_id, 5);
	assert_int_equal(a->type_version, 4);
	assert_int_equal(a->vsiid_fmt, VDP_VSIID_UUID);
	assert_memory_equal(a->vsiid, uuid, 16);
	assert_int_equal(a->filter_fmt, ffmt);
	assert_int_equal(a->n_filters, nf);
}

static const uint8_t vec_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static void test_frame1_station_assoc(void **state)
{
	uint8_t frame[128];
	struct ecp_hdr h;
	struct vdp_pdu p;
	struct vdp_filter f;
	size_t n;

	(void)state;
	n = decode_frame(VEC_FRAME1, frame, sizeof(frame), &h, &p);
	assert_int_equal(h.seq, 1);
	check_common(&p, VDP_TLV_ASSOC, 0x00, VDP_FILTER_MAC_VID, 1);
	vdp_filter_get(&p.tlvs[0].assoc, 0, &f);
	assert_memory_equal(f.mac, vec_mac, 6);
	assert_true(vdp_ps(f.ps_pcp_vid));
	assert_int_equal(vdp_pcp(f.ps_pcp_vid), 3);
	assert_int_equal(vdp_vid(f.ps_pcp_vid), 100);
	check_reencode_frame(frame, n, &h, &p);
}

static void test_frame3_bridge_success(void **state)
{
	uint8_t frame[128];
	struct ecp_hdr h;
	struct vdp_pdu p;
	struct vdp_filter f;
	size_t n;
	uint8_t st;

	(void)state;
	n = decode_frame(VEC_FRAME3, frame, sizeof(frame), &h, &p);
	assert_int_equal(h.seq, 0x100);
	check_common(&p, VDP_TLV_ASSOC, 0x40, VDP_FILTER_MAC_VID, 1);
	st = p.tlvs[0].assoc.status;
	assert_true(st & VDP_STATUS_RESPONSE);
	assert_false(st & VDP_STATUS_KEEP);
	assert_false(st & VDP_STATUS_HARD);
	assert_int_equal(st & VDP_STATUS_REASON, VDP_R_SUCCESS);
	vdp_filter_get(&p.tlvs[0].assoc, 0, &f);
	assert_memory_equal(f.mac, vec_mac, 6);
	assert_false(vdp_ps(f.ps_pcp_vid));
	assert_int_equal(vdp_pcp(f.ps_pcp_vid), 0);
	assert_int_equal(vdp_vid(f.ps_pcp_vid), 200);	/* VID chosen by the bridge */
	check_reencode_frame(frame, n, &h, &p);
}

static void test_frame4_hard_error(void **state)
{
	uint8_t frame[128];
	struct ecp_hdr h;
	struct vdp_pdu p;
	struct vdp_filter f;
	size_t n;
	uint8_t st;

	(void)state;
	n = decode_frame(VEC_FRAME4, frame, sizeof(frame), &h, &p);
	assert_int_equal(h.seq, 0x101);
	check_common(&p, VDP_TLV_PREASSOC, 0x52, VDP_FILTER_MAC_VID, 1);
	st = p.tlvs[0].assoc.status;
	assert_true(st & VDP_STATUS_RESPONSE);
	assert_true(st & VDP_STATUS_HARD);
	assert_false(st & VDP_STATUS_KEEP);
	assert_int_equal(st & VDP_STATUS_REASON, VDP_R_INSUFFICIENT_RESOURCES);
	assert_string_equal(vdp_reason_name(st & VDP_STATUS_REASON), "insufficient resources");
	vdp_filter_get(&p.tlvs[0].assoc, 0, &f);
	assert_int_equal(vdp_vid(f.ps_pcp_vid), 100);
	check_reencode_frame(frame, n, &h, &p);
}

static void test_frame5_deassoc_sbit_vid_format(void **state)
{
	uint8_t frame[128];
	struct ecp_hdr h;
	struct vdp_pdu p;
	struct vdp_filter f;
	size_t n;

	(void)state;
	n = decode_frame(VEC_FRAME5, frame, sizeof(frame), &h, &p);
	assert_int_equal(h.seq, 2);
	check_common(&p, VDP_TLV_DEASSOC, VDP_STATUS_SBIT, VDP_FILTER_VID, 2);
	assert_false(p.tlvs[0].assoc.status & VDP_STATUS_RESPONSE);
	vdp_filter_get(&p.tlvs[0].assoc, 0, &f);
	assert_false(vdp_ps(f.ps_pcp_vid));
	assert_int_equal(vdp_vid(f.ps_pcp_vid), 100);
	vdp_filter_get(&p.tlvs[0].assoc, 1, &f);
	assert_true(vdp_ps(f.ps_pcp_vid));
	assert_int_equal(vdp_pcp(f.ps_pcp_vid), 5);
	assert_int_equal(vdp_vid(f.ps_pcp_vid), 200);
	/* out of range index reads nothing */
	vdp_filter_get(&p.tlvs[0].assoc, 2, &f);
	assert_int_equal(f.ps_pcp_vid, 0);
	check_reencode_frame(frame, n, &h, &p);
}

/* Encodes one TLV, compares with the expected octets, decodes it back
 * (behind a Manager ID) and re-encodes byte-equal. */
static void check_assoc_bytes(const struct vdp_assoc *a, const struct vdp_filter *f, uint16_t n,
			      const char *hex)
{
	static uint8_t out[1200], expect[1200], again[1200];
	uint8_t mgrid[16] = { 0 };
	struct wbuf w;
	size_t len;
	struct vdp_pdu p;
	uint16_t i;

	len = hex2bin(hex, expect, sizeof(expect));
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(vdp_encode_mgrid(&w, mgrid), CODEC_OK);
	assert_int_equal(vdp_encode_assoc(&w, a, f, n), CODEC_OK);
	assert_int_equal(w.len, 18 + len);
	assert_int_equal(vdp_assoc_wire_size(a->filter_fmt, n), len);
	assert_memory_equal(out + 18, expect, len);

	pdu_init(&p, 4);
	assert_int_equal(vdp_decode(out, w.len, &p), CODEC_OK);
	assert_int_equal(p.n_tlvs, 1);
	assert_int_equal(p.tlvs[0].assoc.type, a->type);
	assert_int_equal(p.tlvs[0].assoc.status, a->status);
	assert_int_equal(p.tlvs[0].assoc.type_id, a->type_id);
	assert_int_equal(p.tlvs[0].assoc.type_version, a->type_version);
	assert_int_equal(p.tlvs[0].assoc.vsiid_fmt, a->vsiid_fmt);
	assert_memory_equal(p.tlvs[0].assoc.vsiid, a->vsiid, 16);
	assert_int_equal(p.tlvs[0].assoc.filter_fmt, a->filter_fmt);
	assert_int_equal(p.tlvs[0].assoc.n_filters, n);
	for (i = 0; i < n; i++) {
		struct vdp_filter g;

		vdp_filter_get(&p.tlvs[0].assoc, i, &g);
		assert_int_equal(g.ps_pcp_vid, f[i].ps_pcp_vid);
		if (a->filter_fmt == VDP_FILTER_MAC_VID || a->filter_fmt == VDP_FILTER_GROUP_MAC_VID)
			assert_memory_equal(g.mac, f[i].mac, 6);
		if (a->filter_fmt >= VDP_FILTER_GROUP_VID)
			assert_int_equal(g.group_id, f[i].group_id);
	}
	wbuf_init(&w, again, sizeof(again));
	reencode(&p, &w);
	assert_int_equal(w.len, 18 + len);
	assert_memory_equal(again, out, w.len);
}

static void test_every_vsiid_format(void **state)
{
	static const struct {
		uint8_t fmt;
		const char *vsiid;
	} v[] = {
		{ VDP_VSIID_IPV4, "00000000000000000000ffff c0000201" },	/* 192.0.2.1 */
		{ VDP_VSIID_IPV6, "20010db8000000000000000000000005" },
		{ VDP_VSIID_MAC, "00000000000000000000 020000000007" },
		{ VDP_VSIID_LOCAL, "6c6f63616c2d7673692d303030303031" },	/* "local-vsi-000001" */
		{ VDP_VSIID_UUID, VEC_UUID },
	};
	struct vdp_filter f = { .mac = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 }, .ps_pcp_vid = 0x0064 };
	char hex[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct vdp_assoc a = { .type = VDP_TLV_ASSOC, .type_id = 0x123456, .type_version = 7,
				       .vsiid_fmt = v[i].fmt, .filter_fmt = VDP_FILTER_MAC_VID };

		assert_int_equal(hex2bin(v[i].vsiid, a.vsiid, 16), 16);
		snprintf(hex, sizeof(hex), "0621 00 123456 07 %02x %s 02 0001 525400123456 0064",
			 v[i].fmt, v[i].vsiid);
		check_assoc_bytes(&a, &f, 1, hex);
	}
}

static void test_filter_format_vid(void **state)
{
	/* no PS; PS with PCP 7; PCP without PS; null VID; VID 4095 */
	struct vdp_filter f[5] = { { .ps_pcp_vid = 100 },
				   { .ps_pcp_vid = VDP_PS | 7 << VDP_PCP_SHIFT | 200 },
				   { .ps_pcp_vid = 3 << VDP_PCP_SHIFT | 1 },
				   { .ps_pcp_vid = 0 },
				   { .ps_pcp_vid = VDP_PS | 0xFFF } };
	struct vdp_assoc a = { .type = VDP_TLV_PREASSOC, .status = VDP_STATUS_MBIT, .type_id = 1,
			       .type_version = 0, .vsiid_fmt = VDP_VSIID_UUID,
			       .filter_fmt = VDP_FILTER_VID };

	(void)state;
	hex2bin(VEC_UUID, a.vsiid, 16);
	/* info = 25 + 5 * 2 = 35 = 0x23; type 1 -> 0x0223 */
	check_assoc_bytes(&a, f, 5, "0223 10 000001 00 05" VEC_UUID "01 0005 0064 f0c8 3001 0000 8fff");
}

static void test_filter_format_mac_vid(void **state)
{
	struct vdp_filter f[2] = {
		{ .mac = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 }, .ps_pcp_vid = VDP_PS | 1 << VDP_PCP_SHIFT | 10 },
		{ .mac = { 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54 }, .ps_pcp_vid = 4094 },
	};
	struct vdp_assoc a = { .type = VDP_TLV_PREASSOC_RR, .type_id = 0xFFFFFF, .type_version = 0xFF,
			       .vsiid_fmt = VDP_VSIID_UUID, .filter_fmt = VDP_FILTER_MAC_VID };

	(void)state;
	hex2bin(VEC_UUID, a.vsiid, 16);
	/* info = 25 + 2 * 8 = 41 = 0x29; type 2 -> 0x0429 */
	check_assoc_bytes(&a, f, 2, "0429 00 ffffff ff 05" VEC_UUID
			  "02 0002 021122334455 900a fedcba987654 0ffe");
}

static void test_filter_format_group_vid(void **state)
{
	struct vdp_filter f[2] = { { .group_id = 0x01020304, .ps_pcp_vid = 0 },
				   { .group_id = 0xFFFFFFFF, .ps_pcp_vid = VDP_PS | 2 << VDP_PCP_SHIFT | 300 } };
	struct vdp_assoc a = { .type = VDP_TLV_ASSOC, .status = 0x40 | 0x20 | 4, .type_id = 0x0a0b0c,
			       .type_version = 2, .vsiid_fmt = VDP_VSIID_UUID,
			       .filter_fmt = VDP_FILTER_GROUP_VID };

	(void)state;
	hex2bin(VEC_UUID, a.vsiid, 16);
	/* info = 25 + 2 * 6 = 37 = 0x25; type 3 -> 0x0625; keep + other failure */
	check_assoc_bytes(&a, f, 2, "0625 64 0a0b0c 02 05" VEC_UUID "03 0002 01020304 0000 ffffffff a12c");
}

static void test_filter_format_group_mac_vid(void **state)
{
	struct vdp_filter f[3] = {
		{ .group_id = 7, .mac = { 0x52, 0x54, 0, 0, 0, 1 }, .ps_pcp_vid = 5 },
		{ .group_id = 8, .mac = { 0x52, 0x54, 0, 0, 0, 2 }, .ps_pcp_vid = VDP_PS | 6 << VDP_PCP_SHIFT | 6 },
		{ .group_id = 0x80000000, .mac = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, .ps_pcp_vid = 0xFFFF },
	};
	struct vdp_assoc a = { .type = VDP_TLV_DEASSOC, .status = 0x40 | 0x10 | 5, .type_id = 9,
			       .type_version = 1, .vsiid_fmt = VDP_VSIID_MAC,
			       .filter_fmt = VDP_FILTER_GROUP_MAC_VID };

	(void)state;
	hex2bin("00000000000000000000525400000001", a.vsiid, 16);
	/* info = 25 + 3 * 12 = 61 = 0x3d; type 4 -> 0x083d; hard + invalid VID */
	check_assoc_bytes(&a, f, 3, "083d 55 000009 01 03 00000000000000000000525400000001"
			  "04 0003 00000007 525400000001 0005 00000008 525400000002 e006"
			  "80000000 ffffffffffff ffff");
}

/* The largest TLV a 9-bit length allows with format VID: 243 entries
 * (25 + 243 * 2 = 511); one more is refused, not truncated. */
static void test_many_entries_and_too_long(void **state)
{
	static char hex[2200];
	static uint8_t out[1200];
	struct vdp_assoc a = { .type = VDP_TLV_ASSOC, .type_id = 5, .type_version = 4,
			       .vsiid_fmt = VDP_VSIID_UUID, .filter_fmt = VDP_FILTER_VID };
	struct wbuf w;
	uint16_t i, n = (VDP_TLV_MAX_INFO - VDP_ASSOC_FIXED) / 2;
	size_t off;

	(void)state;
	assert_int_equal(n, 243);
	hex2bin(VEC_UUID, a.vsiid, 16);
	for (i = 0; i < n + 1; i++)
		fbuf[i].ps_pcp_vid = (uint16_t)((i % 2 ? VDP_PS : 0) | (i % 8) << VDP_PCP_SHIFT | (i + 1));
	off = (size_t)snprintf(hex, sizeof(hex), "07ff 00 000005 04 05 %s 01 00f3", VEC_UUID);
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(hex + off, sizeof(hex) - off, "%04x", fbuf[i].ps_pcp_vid);
	check_assoc_bytes(&a, fbuf, n, hex);

	memset(out, 0xAA, sizeof(out));
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(vdp_encode_assoc(&w, &a, fbuf, n + 1), CODEC_E_TOO_LONG);
	assert_int_equal(w.len, 0);
	assert_int_equal(out[0], 0xAA);
	/* format 4: 40 entries = 505 octets fit, 41 = 517 do not */
	a.filter_fmt = VDP_FILTER_GROUP_MAC_VID;
	assert_int_equal(vdp_encode_assoc(&w, &a, fbuf, 40), CODEC_OK);
	assert_int_equal(w.len, 2 + 25 + 40 * 12);
	assert_int_equal(vdp_encode_assoc(&w, &a, fbuf, 41), CODEC_E_TOO_LONG);
	assert_int_equal(w.len, 2 + 25 + 40 * 12);
}

/* An organizationally defined TLV of 512 octets of information (OUI + 509)
 * is refused; 511 is the most. */
static void test_org_tlv_and_512_refused(void **state)
{
	static uint8_t data[600], out[1200], expect[16];
	struct vdp_org o = { .oui = { 0x00, 0x00, 0x0c }, .len = 2, .data = data };
	struct wbuf w;
	struct vdp_pdu p;
	uint8_t mgrid[16] = { 1 };
	size_t n;

	(void)state;
	data[0] = 0x01;
	data[1] = 0x02;
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(vdp_encode_org(&w, &o), CODEC_OK);
	n = hex2bin("fe05 00000c 0102", expect, sizeof(expect));
	assert_int_equal(w.len, n);
	assert_memory_equal(out, expect, n);

	o.len = 509;
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(vdp_encode_org(&w, &o), CODEC_E_TOO_LONG);
	assert_int_equal(w.len, 0);
	o.len = 508;
	assert_int_equal(vdp_encode_mgrid(&w, mgrid), CODEC_OK);
	assert_int_equal(vdp_encode_org(&w, &o), CODEC_OK);
	assert_int_equal(out[18], 0xFF);	/* 127 << 1 | 1: length 511 */
	assert_int_equal(out[19], 0xFF);
	/* decodes behind an association TLV as an opaque TLV */
	n = w.len;
	{
		struct vdp_assoc a = { .type = VDP_TLV_ASSOC, .vsiid_fmt = 5, .filter_fmt = 1 };
		struct vdp_filter f = { .ps_pcp_vid = 1 };
		size_t alen = vdp_assoc_wire_size(1, 1);

		memmove(out + 18 + alen, out + 18, n - 18);
		wbuf_init(&w, out + 18, alen);
		assert_int_equal(vdp_encode_assoc(&w, &a, &f, 1), CODEC_OK);
		n += alen;
	}
	pdu_init(&p, 4);
	assert_int_equal(vdp_decode(out, n, &p), CODEC_OK);
	assert_int_equal(p.n_tlvs, 2);
	assert_int_equal(p.tlvs[1].type, VDP_TLV_ORG);
	assert_memory_equal(p.tlvs[1].org.oui, o.oui, 3);
	assert_int_equal(p.tlvs[1].org.len, 508);
	assert_memory_equal(p.tlvs[1].org.data, data, 508);
}

static void test_encode_no_space_leaves_buffer(void **state)
{
	static uint8_t out[128], ref[128];
	struct vdp_filter f[2] = { { .mac = { 2, 0, 0, 0, 0, 1 }, .ps_pcp_vid = 1 },
				   { .mac = { 2, 0, 0, 0, 0, 2 }, .ps_pcp_vid = 2 } };
	struct vdp_assoc a = { .type = VDP_TLV_ASSOC, .vsiid_fmt = 5, .filter_fmt = 2 };
	uint8_t mgrid[16] = { 9 };
	struct vdp_org o = { .oui = { 1, 2, 3 }, .len = 3, .data = (const uint8_t *)"abc" };
	struct wbuf w;
	size_t cap, need = 18 + vdp_assoc_wire_size(2, 2);

	(void)state;
	for (cap = 18; cap < need; cap++) {
		memset(out, 0xAA, sizeof(out));
		wbuf_init(&w, out, cap);
		assert_int_equal(vdp_encode_mgrid(&w, mgrid), CODEC_OK);
		memcpy(ref, out, sizeof(out));
		assert_int_equal(vdp_encode_assoc(&w, &a, f, 2), CODEC_E_NO_SPACE);
		assert_int_equal(w.len, 18);
		assert_false(w.err);
		assert_memory_equal(out, ref, sizeof(out));
		if (cap < 18 + 8) {
			assert_int_equal(vdp_encode_org(&w, &o), CODEC_E_NO_SPACE);
			assert_int_equal(w.len, 18);
			assert_memory_equal(out, ref, sizeof(out));
		}
	}
	wbuf_init(&w, out, need);
	assert_int_equal(vdp_encode_mgrid(&w, mgrid), CODEC_OK);
	assert_int_equal(vdp_encode_assoc(&w, &a, f, 2), CODEC_OK);
	assert_int_equal(w.len, need);
	for (cap = 0; cap < 18; cap++) {
		wbuf_init(&w, out, cap);
		assert_int_equal(vdp_encode_mgrid(&w, mgrid), CODEC_E_NO_SPACE);
		assert_int_equal(w.len, 0);
	}
}

static void test_encode_invalid(void **state)
{
	uint8_t out[128];
	struct wbuf w;
	struct vdp_filter f = { 0 };
	struct vdp_assoc good = { .type = 3, .vsiid_fmt = 5, .filter_fmt = 2 };
	struct vdp_assoc a;
	struct vdp_org o = { .len = 4, .data = NULL };

	(void)state;
	wbuf_init(&w, out, sizeof(out));
	a = good; a.type = 0;
	assert_int_equal(vdp_encode_assoc(&w, &a, &f, 1), CODEC_E_INVALID);
	a = good; a.type = VDP_TLV_MGRID;
	assert_int_equal(vdp_encode_assoc(&w, &a, &f, 1), CODEC_E_INVALID);
	a = good; a.type_id = 0x1000000;
	assert_int_equal(vdp_encode_assoc(&w, &a, &f, 1), CODEC_E_INVALID);
	a = good; a.vsiid_fmt = 0;
	assert_int_equal(vdp_encode_assoc(&w, &a, &f, 1), CODEC_E_INVALID);
	a = good; a.vsiid_fmt = 6;
	assert_int_equal(vdp_encode_assoc(&w, &a, &f, 1), CODEC_E_INVALID);
	a = good; a.filter_fmt = 0;
	assert_int_equal(vdp_encode_assoc(&w, &a, &f, 1), CODEC_E_INVALID);
	a = good; a.filter_fmt = 5;
	assert_int_equal(vdp_encode_assoc(&w, &a, &f, 1), CODEC_E_INVALID);
	assert_int_equal(vdp_encode_assoc(&w, &good, NULL, 1), CODEC_E_INVALID);
	assert_int_equal(vdp_encode_org(&w, &o), CODEC_E_INVALID);
	assert_int_equal(w.len, 0);
	assert_int_equal(vdp_assoc_wire_size(0, 1), 0);
	assert_int_equal(vdp_assoc_wire_size(4, 2), 2 + 25 + 24);
}

/* A 1500-octet MTU: the ULPDU gets 1500 minus the ECP header; the Manager
 * ID TLV takes 2 + 16, every association TLV with one MAC/VID entry
 * 2 + 25 + 8.  vdp_pack must fit exactly floor(rest / size) of them. */
static void test_pack_fills_mtu(void **state)
{
	enum { MTU = 1500, NVSI = 100 };
	static struct vdp_assoc a[NVSI];
	static struct vdp_filter f[NVSI];
	static const struct vdp_filter *fp[NVSI];
	static uint8_t frame[MTU];
	size_t room = MTU - ECP_HDR_LEN, tlv = vdp_assoc_wire_size(VDP_FILTER_MAC_VID, 1);
	size_t expect = (room - (2 + VDP_MGRID_LEN)) / tlv, i, done = 0, pdus = 0;
	uint8_t mgrid[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	struct wbuf w;
	struct vdp_pdu p;
	int n;

	(void)state;
	assert_true(expect < NVSI);
	for (i = 0; i < NVSI; i++) {
		a[i] = (struct vdp_assoc){ .type = VDP_TLV_ASSOC, .type_id = 5, .type_version = 4,
					   .vsiid_fmt = VDP_VSIID_UUID, .filter_fmt = VDP_FILTER_MAC_VID,
					   .n_filters = 1 };
		a[i].vsiid[14] = (uint8_t)(i >> 8);
		a[i].vsiid[15] = (uint8_t)i;
		f[i] = (struct vdp_filter){ .mac = { 0x52, 0x54, 0, 0, 0, (uint8_t)i }, .ps_pcp_vid = 100 };
		fp[i] = &f[i];
	}
	/* pack all NVSI into as many PDUs as needed; each full PDU has expect */
	while (done < NVSI) {
		wbuf_init(&w, frame, room);
		n = vdp_pack(&w, mgrid, a + done, fp + done, NVSI - done);
		assert_true(n > 0);
		if (done + expect <= NVSI)
			assert_int_equal(n, expect);
		assert_true(w.len <= room);
		assert_true(room - w.len < tlv || done + (size_t)n == NVSI);
		pdu_init(&p, 64);
		assert_int_equal(vdp_decode(frame, w.len, &p), CODEC_OK);
		assert_int_equal(p.n_tlvs, (size_t)n);
		assert_int_equal(p.tlvs[n - 1].assoc.vsiid[15], (uint8_t)(done + n - 1));
		done += (size_t)n;
		pdus++;
	}
	assert_int_equal(pdus, (NVSI + expect - 1) / expect);

	/* not even the first fits: nothing written */
	wbuf_init(&w, frame, 18 + tlv - 1);
	assert_int_equal(vdp_pack(&w, mgrid, a, fp, 1), CODEC_E_NO_SPACE);
	assert_int_equal(w.len, 0);
	assert_false(w.err);
	wbuf_init(&w, frame, 18 + tlv);
	assert_int_equal(vdp_pack(&w, mgrid, a, fp, 3), 1);
	assert_int_equal(vdp_pack(&w, mgrid, a, fp, 0), CODEC_E_NO_ASSOC);
}

/* Decoder cases */

static int decode_hex(const char *hex, size_t cap, struct vdp_pdu *p)
{
	static uint8_t b[1200];
	size_t n = hex2bin(hex, b, sizeof(b));

	pdu_init(p, cap);
	return vdp_decode(b, n, p);
}

static void expect_err(const char *hex, int err)
{
	struct vdp_pdu p;
	int rc = decode_hex(hex, 64, &p);

	if (rc != err)
		fail_msg("%s: got %d (%s), want %d", hex, rc, codec_strerror(rc), err);
	assert_int_equal(p.n_tlvs, 0);
}

static void test_err_short(void **state)
{
	struct vdp_pdu p;

	(void)state;
	expect_err(MGRID_TLV ASSOC_TLV "05", CODEC_E_SHORT);
	expect_err("0a", CODEC_E_SHORT);
	/* one zero octet of padding is fine */
	assert_int_equal(decode_hex(MGRID_TLV ASSOC_TLV "00", 4, &p), CODEC_OK);
}

static void test_err_bad_length(void **state)
{
	(void)state;
	expect_err(MGRID_TLV "0621 00 000005", CODEC_E_BAD_LENGTH);		/* past the end */
	expect_err("0a0f 20010db80000000000000000000000 " ASSOC_TLV, CODEC_E_BAD_LENGTH);
	expect_err("0a11 20010db8000000000000000000000001 00" ASSOC_TLV, CODEC_E_BAD_LENGTH);
	expect_err(MGRID_TLV "0618 00 000005 04 05" VEC_UUID "02 00", CODEC_E_BAD_LENGTH); /* 24 */
	expect_err(MGRID_TLV ASSOC_TLV "fe02 0000", CODEC_E_BAD_LENGTH);	/* org < 3 */
	expect_err(MGRID_TLV ASSOC_TLV "0c05 0102", CODEC_E_BAD_LENGTH);	/* unknown, past end */
}

static void test_err_mgrid_missing(void **state)
{
	(void)state;
	expect_err(ASSOC_TLV MGRID_TLV, CODEC_E_MGRID_MISSING);
	expect_err("", CODEC_E_MGRID_MISSING);
	expect_err("0000", CODEC_E_MGRID_MISSING);
	expect_err("fe04 00000c 01" MGRID_TLV ASSOC_TLV, CODEC_E_MGRID_MISSING);
	expect_err("0c01 00" MGRID_TLV ASSOC_TLV, CODEC_E_MGRID_MISSING);
}

static void test_err_mgrid_repeated(void **state)
{
	(void)state;
	expect_err(MGRID_TLV ASSOC_TLV MGRID_TLV, CODEC_E_MGRID_REPEATED);
	expect_err(MGRID_TLV MGRID_TLV ASSOC_TLV, CODEC_E_MGRID_REPEATED);
}

static void test_err_unknown_format(void **state)
{
	(void)state;
	expect_err(MGRID_TLV "0621 00 000005 04 00" VEC_UUID "02 0001 525400123456 b064",
		   CODEC_E_UNKNOWN_FORMAT);
	expect_err(MGRID_TLV "0621 00 000005 04 06" VEC_UUID "02 0001 525400123456 b064",
		   CODEC_E_UNKNOWN_FORMAT);
	expect_err(MGRID_TLV "0621 00 000005 04 05" VEC_UUID "00 0001 525400123456 b064",
		   CODEC_E_UNKNOWN_FORMAT);
	expect_err(MGRID_TLV "0621 00 000005 04 05" VEC_UUID "05 0001 525400123456 b064",
		   CODEC_E_UNKNOWN_FORMAT);
}

static void test_err_entry_count(void **state)
{
	(void)state;
	expect_err(MGRID_TLV "0621 00 000005 04 05" VEC_UUID "02 0002 525400123456 b064",
		   CODEC_E_ENTRY_COUNT);
	expect_err(MGRID_TLV "0621 00 000005 04 05" VEC_UUID "02 0000 525400123456 b064",
		   CODEC_E_ENTRY_COUNT);
	expect_err(MGRID_TLV "0619 00 000005 04 05" VEC_UUID "02 0001", CODEC_E_ENTRY_COUNT);
	expect_err(MGRID_TLV "061c 00 000005 04 05" VEC_UUID "01 0001 0064 00", CODEC_E_ENTRY_COUNT);
	expect_err(MGRID_TLV "0621 00 000005 04 05" VEC_UUID "03 0001 525400123456 b064",
		   CODEC_E_ENTRY_COUNT);	/* 8 octets are no GroupID/VID entry */
	expect_err(MGRID_TLV "0621 00 000005 04 05" VEC_UUID "02 ffff 525400123456 b064",
		   CODEC_E_ENTRY_COUNT);
}

static void test_err_no_assoc(void **state)
{
	(void)state;
	expect_err(MGRID_TLV, CODEC_E_NO_ASSOC);
	expect_err(MGRID_TLV "0000" ASSOC_TLV, CODEC_E_NO_ASSOC);	/* after End: ignored */
	expect_err(MGRID_TLV "fe05 00000c 0102", CODEC_E_NO_ASSOC);
}

static void test_err_too_many(void **state)
{
	struct vdp_pdu p;

	(void)state;
	assert_int_equal(decode_hex(MGRID_TLV ASSOC_TLV ASSOC_TLV, 1, &p), CODEC_E_TOO_MANY);
	assert_int_equal(p.n_tlvs, 0);
	assert_int_equal(decode_hex(MGRID_TLV ASSOC_TLV ASSOC_TLV, 2, &p), CODEC_OK);
	assert_int_equal(p.n_tlvs, 2);
	/* a malformed TLV after the overflow still names the malformation */
	assert_int_equal(decode_hex(MGRID_TLV ASSOC_TLV ASSOC_TLV "0a10" VEC_MGRID, 1, &p),
			 CODEC_E_MGRID_REPEATED);
}

/* A malformed TLV anywhere rejects the whole PDU. */
static void test_malformed_late_rejects_all(void **state)
{
	(void)state;
	expect_err(MGRID_TLV ASSOC_TLV ASSOC_TLV ASSOC_TLV
		   "0621 00 000005 04 05" VEC_UUID "02 0002 525400123456 b064",
		   CODEC_E_ENTRY_COUNT);
	expect_err(MGRID_TLV ASSOC_TLV "fe05 00000c 0102" ASSOC_TLV "0810", CODEC_E_BAD_LENGTH);
}

static void test_unknown_skipped_and_end(void **state)
{
	struct vdp_pdu p;

	(void)state;
	/* unknown types 6 and 100 (0xc8) are skipped */
	assert_int_equal(decode_hex(MGRID_TLV "0c02 abcd" ASSOC_TLV "c801 ff" ASSOC_TLV, 8, &p),
			 CODEC_OK);
	assert_int_equal(p.n_tlvs, 2);
	/* what follows End / padding is not looked at */
	assert_int_equal(decode_hex(MGRID_TLV ASSOC_TLV "0000 ffff ffff", 8, &p), CODEC_OK);
	assert_int_equal(p.n_tlvs, 1);
	/* type 0 with a length is no End: skipped as unknown */
	assert_int_equal(decode_hex(MGRID_TLV "0001 00" ASSOC_TLV, 8, &p), CODEC_OK);
	assert_int_equal(p.n_tlvs, 1);
}

/* Every prefix of a PDU, in a heap block of exactly that size (ASan checks
 * for reads past it), decodes only where it ends on a TLV boundary. */
static void test_truncations_stay_in_bounds(void **state)
{
	static uint8_t b[256];
	size_t n = hex2bin(MGRID_TLV ASSOC_TLV "fe05 00000c 0102" ASSOC_TLV, b, sizeof(b)), cut;
	size_t ok = 0;
	struct vdp_pdu p;

	(void)state;
	for (cut = 0; cut <= n; cut++) {
		uint8_t *q = malloc(cut ? cut : 1);

		memcpy(q, b, cut);
		pdu_init(&p, 8);
		if (vdp_decode(q, cut, &p) == CODEC_OK)
			ok++;
		free(q);
	}
	assert_int_equal(ok, 3);	/* after the 1st assoc, the org TLV, the 2nd assoc */
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(vdp_tlv_type_name(VDP_TLV_PREASSOC), "Pre-Associate");
	assert_string_equal(vdp_tlv_type_name(VDP_TLV_PREASSOC_RR), "Pre-Associate with RR");
	assert_string_equal(vdp_tlv_type_name(VDP_TLV_ASSOC), "Associate");
	assert_string_equal(vdp_tlv_type_name(VDP_TLV_DEASSOC), "De-Associate");
	assert_string_equal(vdp_tlv_type_name(VDP_TLV_MGRID), "VSI Manager ID");
	assert_string_equal(vdp_tlv_type_name(VDP_TLV_ORG), "Organizationally defined");
	assert_string_equal(vdp_tlv_type_name(6), "unknown");
	assert_string_equal(vdp_reason_name(VDP_R_SUCCESS), "success");
	assert_string_equal(vdp_reason_name(VDP_R_INVALID_FORMAT), "invalid format");
	assert_string_equal(vdp_reason_name(VDP_R_UNABLE_TO_CONTACT_MANAGER), "unable to contact VSI manager");
	assert_string_equal(vdp_reason_name(VDP_R_OTHER_FAILURE), "other failure");
	assert_string_equal(vdp_reason_name(VDP_R_INVALID_VID_GROUP_MAC), "invalid VID, GroupID or MAC address");
	assert_string_equal(vdp_reason_name(6), "reserved");
	assert_int_equal(vdp_filter_entry_size(1), 2);
	assert_int_equal(vdp_filter_entry_size(2), 8);
	assert_int_equal(vdp_filter_entry_size(3), 6);
	assert_int_equal(vdp_filter_entry_size(4), 12);
	assert_int_equal(vdp_filter_entry_size(5), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame1_station_assoc),
		cmocka_unit_test(test_frame3_bridge_success),
		cmocka_unit_test(test_frame4_hard_error),
		cmocka_unit_test(test_frame5_deassoc_sbit_vid_format),
		cmocka_unit_test(test_every_vsiid_format),
		cmocka_unit_test(test_filter_format_vid),
		cmocka_unit_test(test_filter_format_mac_vid),
		cmocka_unit_test(test_filter_format_group_vid),
		cmocka_unit_test(test_filter_format_group_mac_vid),
		cmocka_unit_test(test_many_entries_and_too_long),
		cmocka_unit_test(test_org_tlv_and_512_refused),
		cmocka_unit_test(test_encode_no_space_leaves_buffer),
		cmocka_unit_test(test_encode_invalid),
		cmocka_unit_test(test_pack_fills_mtu),
		cmocka_unit_test(test_err_short),
		cmocka_unit_test(test_err_bad_length),
		cmocka_unit_test(test_err_mgrid_missing),
		cmocka_unit_test(test_err_mgrid_repeated),
		cmocka_unit_test(test_err_unknown_format),
		cmocka_unit_test(test_err_entry_count),
		cmocka_unit_test(test_err_no_assoc),
		cmocka_unit_test(test_err_too_many),
		cmocka_unit_test(test_malformed_late_rejects_all),
		cmocka_unit_test(test_unknown_skipped_and_end),
		cmocka_unit_test(test_truncations_stay_in_bounds),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
