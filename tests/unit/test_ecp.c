/* ECPDU header codec tests (802.1Qbg-2012 clause 43). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vdp/wire/ecpdu.h"
#include "vdp/base/eth.h"
#include "tests/unit/codec_vectors.h"

static const uint8_t station_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static void test_header_words(void **state)
{
	static const struct {
		struct ecp_hdr h;
		const char *hex;
	} v[] = {
		{ { 1, ECP_OP_REQUEST, ECP_SUBTYPE_VDP, 1 }, "1001 0001" },
		{ { 1, ECP_OP_ACK, ECP_SUBTYPE_VDP, 0x1224 }, "1401 1224" },
		{ { 1, ECP_OP_REQUEST, ECP_SUBTYPE_PECSP, 0xFFFF }, "1002 ffff" },
		{ { 1, ECP_OP_ACK, ECP_SUBTYPE_PECSP, 0 }, "1402 0000" },
		{ { 15, 3, 0x3FF, 0x8000 }, "ffff 8000" },	/* field widths */
	};
	uint8_t out[8], expect[8];
	struct wbuf w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		wbuf_init(&w, out, sizeof(out));
		assert_int_equal(ecp_encode_hdr(&w, &v[i].h), CODEC_OK);
		assert_int_equal(hex2bin(v[i].hex, expect, sizeof(expect)), ECP_HDR_LEN);
		assert_int_equal(w.len, ECP_HDR_LEN);
		assert_memory_equal(out, expect, ECP_HDR_LEN);
	}
}

static void test_encode_invalid_and_no_space(void **state)
{
	uint8_t out[8];
	struct wbuf w;
	struct ecp_hdr bad[] = { { 16, 0, 1, 0 }, { 1, 4, 1, 0 }, { 1, 0, 0x400, 0 } };
	struct ecp_hdr ok = { 1, 0, 1, 7 };
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		wbuf_init(&w, out, sizeof(out));
		assert_int_equal(ecp_encode_hdr(&w, &bad[i]), CODEC_E_INVALID);
		assert_int_equal(w.len, 0);
	}
	for (i = 0; i < ECP_HDR_LEN; i++) {
		wbuf_init(&w, out, i);
		assert_int_equal(ecp_encode_hdr(&w, &ok), CODEC_E_NO_SPACE);
		assert_int_equal(w.len, 0);
		assert_false(w.err);
	}
}

/* lldpad's ECP test data: request "89 40 10 01 12 24 00 00", the expected
 * reply "14 01 12 24".  Both as full frames through eth + ECP decode. */
static void test_lldpad_example_request_and_ack(void **state)
{
	uint8_t frame[64], expect[8];
	size_t n;
	struct eth_hdr eh;
	struct ecp_hdr h, ack;
	const uint8_t *pl, *ulpdu;
	size_t pl_len, ulpdu_len;
	struct wbuf w;

	(void)state;
	n = hex2bin("0180c2000000 020000000002 8940 1001 1224 0000", frame, sizeof(frame));
	assert_int_equal(eth_decode(frame, n, &eh, &pl, &pl_len), CODEC_OK);
	assert_int_equal(eh.ethertype, ETHERTYPE_ECP);
	assert_memory_equal(eh.dst, eth_nearest_customer_bridge, 6);
	assert_int_equal(ecp_decode(pl, pl_len, &h, &ulpdu, &ulpdu_len), CODEC_OK);
	assert_int_equal(h.version, 1);
	assert_int_equal(h.op, ECP_OP_REQUEST);
	assert_int_equal(h.subtype, ECP_SUBTYPE_VDP);
	assert_int_equal(h.seq, 0x1224);
	assert_int_equal(ulpdu_len, 2);
	assert_ptr_equal(ulpdu, pl + ECP_HDR_LEN);

	/* the ack: same version, subtype and sequence number, op = ack */
	ack = h;
	ack.op = ECP_OP_ACK;
	wbuf_init(&w, frame, sizeof(frame));
	eth_encode(&w, eth_nearest_customer_bridge, station_mac, ETHERTYPE_ECP);
	assert_int_equal(ecp_encode_hdr(&w, &ack), CODEC_OK);
	assert_int_equal(hex2bin("8940 1401 1224", expect, sizeof(expect)), 6);
	assert_memory_equal(frame + 12, expect, 6);
	eth_pad(&w);
	assert_int_equal(w.len, ETH_MIN_FRAME);
	assert_int_equal(eth_decode(frame, w.len, &eh, &pl, &pl_len), CODEC_OK);
	assert_int_equal(ecp_decode(pl, pl_len, &h, &ulpdu, &ulpdu_len), CODEC_OK);
	assert_int_equal(h.op, ECP_OP_ACK);
	assert_int_equal(h.seq, 0x1224);
	assert_int_equal(h.subtype, ECP_SUBTYPE_VDP);
	assert_int_equal(ulpdu_len, 0);		/* the padding is no ULPDU */
	assert_null(ulpdu);
}

/* standards.md 5.4 frames 1, 2 (ack with 42 octets of padding), 3, 9
 * (PE-CSP request). */
static void test_vectors(void **state)
{
	uint8_t frame[128];
	size_t n;
	struct eth_hdr eh;
	struct ecp_hdr h;
	const uint8_t *pl, *ulpdu;
	size_t pl_len, ulpdu_len;

	(void)state;
	n = hex2bin(VEC_FRAME1, frame, sizeof(frame));
	assert_int_equal(eth_decode(frame, n, &eh, &pl, &pl_len), CODEC_OK);
	assert_int_equal(ecp_decode(pl, pl_len, &h, &ulpdu, &ulpdu_len), CODEC_OK);
	assert_int_equal(h.op, ECP_OP_REQUEST);
	assert_int_equal(h.seq, 1);
	assert_int_equal(ulpdu_len, n - ETH_HDR_LEN - ECP_HDR_LEN);
	assert_int_equal(ulpdu[0], 0x0a);	/* Manager ID TLV first */

	memset(frame, 0, sizeof(frame));
	n = hex2bin(VEC_FRAME2_HDR, frame, sizeof(frame));
	assert_int_equal(n + 42, ETH_MIN_FRAME);
	assert_int_equal(eth_decode(frame, n + 42, &eh, &pl, &pl_len), CODEC_OK);
	assert_int_equal(ecp_decode(pl, pl_len, &h, &ulpdu, &ulpdu_len), CODEC_OK);
	assert_int_equal(h.version, 1);
	assert_int_equal(h.op, ECP_OP_ACK);
	assert_int_equal(h.subtype, ECP_SUBTYPE_VDP);
	assert_int_equal(h.seq, 1);
	assert_int_equal(ulpdu_len, 0);

	n = hex2bin(VEC_FRAME3, frame, sizeof(frame));
	assert_int_equal(eth_decode(frame, n, &eh, &pl, &pl_len), CODEC_OK);
	assert_int_equal(ecp_decode(pl, pl_len, &h, &ulpdu, &ulpdu_len), CODEC_OK);
	assert_int_equal(h.seq, 0x100);

	memset(frame, 0, sizeof(frame));
	n = hex2bin(VEC_FRAME9_HDR, frame, sizeof(frame));
	assert_int_equal(n + 37, ETH_MIN_FRAME);
	assert_int_equal(eth_decode(frame, n + 37, &eh, &pl, &pl_len), CODEC_OK);
	assert_memory_equal(eh.dst, eth_nearest_nontpmr_bridge, 6);
	assert_int_equal(ecp_decode(pl, pl_len, &h, &ulpdu, &ulpdu_len), CODEC_OK);
	assert_int_equal(h.subtype, ECP_SUBTYPE_PECSP);
	assert_int_equal(h.op, ECP_OP_REQUEST);
	assert_int_equal(h.seq, 7);
	assert_int_equal(ulpdu_len, 5 + 37);
	assert_int_equal(ulpdu[0], 1);
	assert_int_equal(ulpdu[4], 5);
}

static void test_round_trip_all_valid_headers(void **state)
{
	uint8_t b[8];
	struct wbuf w;
	struct ecp_hdr h, d;
	const uint8_t *u;
	size_t ul;
	unsigned op, st, s;

	(void)state;
	for (op = 0; op <= 1; op++)
		for (st = 1; st <= 2; st++)
			for (s = 0; s <= 0xFFFF; s += 0x1111) {
				h = (struct ecp_hdr){ 1, (uint8_t)op, (uint16_t)st, (uint16_t)s };
				wbuf_init(&w, b, sizeof(b));
				assert_int_equal(ecp_encode_hdr(&w, &h), CODEC_OK);
				assert_int_equal(ecp_decode(b, w.len, &d, &u, &ul), CODEC_OK);
				assert_int_equal(d.version, 1);
				assert_int_equal(d.op, op);
				assert_int_equal(d.subtype, st);
				assert_int_equal(d.seq, s);
				assert_int_equal(ul, 0);
			}
}

static int decode_hex(const char *hex, struct ecp_hdr *h)
{
	uint8_t b[32] = { 0 };
	size_t n = hex2bin(hex, b, sizeof(b));
	const uint8_t *u;
	size_t ul;

	return ecp_decode(b, n, h, &u, &ul);
}

static void test_err_short(void **state)
{
	struct ecp_hdr h;

	(void)state;
	assert_int_equal(decode_hex("", &h), CODEC_E_SHORT);
	assert_int_equal(decode_hex("10", &h), CODEC_E_SHORT);
	assert_int_equal(decode_hex("1001 00", &h), CODEC_E_SHORT);
	assert_int_equal(decode_hex("1001 0000", &h), CODEC_OK);
}

static void test_err_bad_version(void **state)
{
	struct ecp_hdr h;

	(void)state;
	assert_int_equal(decode_hex("0001 0001", &h), CODEC_E_BAD_VERSION);
	assert_int_equal(decode_hex("2001 0001", &h), CODEC_E_BAD_VERSION);
	assert_int_equal(decode_hex("f401 0001", &h), CODEC_E_BAD_VERSION);
	assert_int_equal(h.version, 15);
}

static void test_err_bad_op(void **state)
{
	struct ecp_hdr h;

	(void)state;
	assert_int_equal(decode_hex("1801 0001", &h), CODEC_E_BAD_OP);
	assert_int_equal(h.op, 2);
	assert_int_equal(decode_hex("1c01 0001", &h), CODEC_E_BAD_OP);
	assert_int_equal(h.op, 3);
}

static void test_err_unknown_subtype(void **state)
{
	struct ecp_hdr h;

	(void)state;
	assert_int_equal(decode_hex("1000 0001", &h), CODEC_E_UNKNOWN_SUBTYPE);
	assert_int_equal(decode_hex("1003 0001", &h), CODEC_E_UNKNOWN_SUBTYPE);
	assert_int_equal(decode_hex("13ff 0001", &h), CODEC_E_UNKNOWN_SUBTYPE);
	assert_int_equal(h.subtype, 0x3FF);
	assert_int_equal(decode_hex("1403 0001", &h), CODEC_E_UNKNOWN_SUBTYPE);
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(codec_strerror(CODEC_E_BAD_VERSION), "bad ECP version");
	assert_string_equal(codec_strerror(1), "unknown error");
	assert_string_equal(codec_strerror(-CODEC_NERR), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_words),
		cmocka_unit_test(test_encode_invalid_and_no_space),
		cmocka_unit_test(test_lldpad_example_request_and_ack),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_round_trip_all_valid_headers),
		cmocka_unit_test(test_err_short),
		cmocka_unit_test(test_err_bad_version),
		cmocka_unit_test(test_err_bad_op),
		cmocka_unit_test(test_err_unknown_subtype),
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
