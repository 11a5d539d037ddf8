/* Text forms of VDP values: parse what operators type, print it back. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "vdp/wire/vdp_text.h"

static void test_uuid(void **state)
{
	uint8_t u[16], keep[16];
	char s[VDP_TXT_UUID_LEN];

	(void)state;
	assert_int_equal(vdp_txt_uuid_parse("a1412857-60f7-4ce1-e95a-2164943f53dd", u), 0);
	assert_int_equal(u[0], 0xa1);
	assert_int_equal(u[15], 0xdd);
	vdp_txt_uuid_format(u, s);
	assert_string_equal(s, "a1412857-60f7-4ce1-e95a-2164943f53dd");
	assert_int_equal(vdp_txt_uuid_parse("A141285760F74CE1E95A2164943F53DD", u), 0);
	vdp_txt_uuid_format(u, s);
	assert_string_equal(s, "a1412857-60f7-4ce1-e95a-2164943f53dd");
	memcpy(keep, u, 16);
	/* Wrong length, bad digit: refused, output untouched. */
	assert_int_equal(vdp_txt_uuid_parse("a1412857-60f7-4ce1-e95a-2164943f53d", u), -EINVAL);
	assert_int_equal(vdp_txt_uuid_parse("a1412857-60f7-4ce1-e95a-2164943f53dd0", u), -EINVAL);
	assert_int_equal(vdp_txt_uuid_parse("g1412857-60f7-4ce1-e95a-2164943f53dd", u), -EINVAL);
	assert_int_equal(vdp_txt_uuid_parse("", u), -EINVAL);
	assert_memory_equal(u, keep, 16);
}

static void test_mgrid(void **state)
{
	uint8_t m[16];
	char s[VDP_TXT_MGRID_LEN];

	(void)state;
	/* libvirt's one-octet manager id: first octet (as lldpad does). */
	assert_int_equal(vdp_txt_mgrid_parse("11", m), 0);
	assert_int_equal(m[0], 11);
	for (int i = 1; i < 16; i++)
		assert_int_equal(m[i], 0);
	vdp_txt_mgrid_format(m, s);
	assert_string_equal(s, "11");
	assert_int_equal(vdp_txt_mgrid_parse("0x0b", m), 0);
	assert_int_equal(m[0], 11);
	assert_int_equal(vdp_txt_mgrid_parse("0", m), 0);
	vdp_txt_mgrid_format(m, s);
	assert_string_equal(s, "0");
	/* vdptool's mgrid2: ASCII, zero padded. */
	assert_int_equal(vdp_txt_mgrid_parse("blabla", m), 0);
	assert_memory_equal(m, "blabla\0\0\0\0\0\0\0\0\0\0", 16);
	vdp_txt_mgrid_format(m, s);
	assert_string_equal(s, "blabla");
	assert_int_equal(vdp_txt_mgrid_parse("abcdefghijklmno", m), 0);
	vdp_txt_mgrid_format(m, s);
	assert_string_equal(s, "abcdefghijklmno");
	/* UUID: 16 octets, printed back as a UUID. */
	assert_int_equal(vdp_txt_mgrid_parse("00112233-4455-6677-8899-aabbccddeeff", m), 0);
	assert_int_equal(m[1], 0x11);
	vdp_txt_mgrid_format(m, s);
	assert_string_equal(s, "00112233-4455-6677-8899-aabbccddeeff");
	/* A name starting with a digit prints as a UUID but keeps its octets. */
	assert_int_equal(vdp_txt_mgrid_parse("1a", m), 0);
	vdp_txt_mgrid_format(m, s);
	uint8_t back[16];
	assert_int_equal(vdp_txt_mgrid_parse(s, back), 0);
	assert_memory_equal(m, back, 16);
	assert_int_equal(vdp_txt_mgrid_parse("256", m), 0);	/* not a number <= 255: a name */
	assert_memory_equal(m, "256\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	assert_int_equal(vdp_txt_mgrid_parse("abcdefghijklmnop", m), -EINVAL);
	assert_int_equal(vdp_txt_mgrid_parse("has space", m), -EINVAL);
	assert_int_equal(vdp_txt_mgrid_parse("", m), -EINVAL);
}

static void test_mac_and_vsiid(void **state)
{
	uint8_t mac[6], id[16];
	char s[VDP_TXT_VSIID_LEN];

	(void)state;
	assert_int_equal(vdp_txt_mac_parse("1e:94:C9:19:c6:e8", mac), 0);
	vdp_txt_mac_format(mac, s);
	assert_string_equal(s, "1e:94:c9:19:c6:e8");
	assert_int_equal(vdp_txt_mac_parse("1e-94-c9-19-c6-e8", mac), 0);
	assert_int_equal(vdp_txt_mac_parse("1e:94:c9:19:c6", mac), -EINVAL);
	assert_int_equal(vdp_txt_mac_parse("1e:94:c9:19:c6:e8:00", mac), -EINVAL);
	assert_int_equal(vdp_txt_mac_parse("1e:94:c9:19:c6:e", mac), -EINVAL);

	assert_int_equal(vdp_txt_vsiid_parse(VDP_VSIID_IPV4, "192.0.2.1", id), 0);
	assert_int_equal(id[10], 0xff);
	assert_int_equal(id[11], 0xff);
	assert_int_equal(id[12], 192);
	vdp_txt_vsiid_format(VDP_VSIID_IPV4, id, s);
	assert_string_equal(s, "192.0.2.1");
	assert_int_equal(vdp_txt_vsiid_parse(VDP_VSIID_IPV6, "2001:db8::1", id), 0);
	vdp_txt_vsiid_format(VDP_VSIID_IPV6, id, s);
	assert_string_equal(s, "2001:db8::1");
	assert_int_equal(vdp_txt_vsiid_parse(VDP_VSIID_MAC, "52:54:00:c7:3e:ce", id), 0);
	assert_int_equal(id[9], 0);
	assert_int_equal(id[10], 0x52);
	vdp_txt_vsiid_format(VDP_VSIID_MAC, id, s);
	assert_string_equal(s, "52:54:00:c7:3e:ce");
	assert_int_equal(vdp_txt_vsiid_parse(VDP_VSIID_LOCAL, "000102030405060708090a0b0c0d0e0f", id), 0);
	vdp_txt_vsiid_format(VDP_VSIID_LOCAL, id, s);
	assert_string_equal(s, "000102030405060708090a0b0c0d0e0f");
	assert_int_equal(vdp_txt_vsiid_parse(VDP_VSIID_LOCAL, "00010203-0405060708090a0b0c0d0e0f", id), -EINVAL);
	assert_int_equal(vdp_txt_vsiid_parse(VDP_VSIID_IPV4, "192.0.2", id), -EINVAL);
	assert_int_equal(vdp_txt_vsiid_parse(9, "x", id), -EINVAL);
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(vdp_txt_mode_parse("assoc"), VDP_TLV_ASSOC);
	assert_int_equal(vdp_txt_mode_parse("preassoc"), VDP_TLV_PREASSOC);
	assert_int_equal(vdp_txt_mode_parse("preassoc-rr"), VDP_TLV_PREASSOC_RR);
	assert_int_equal(vdp_txt_mode_parse("deassoc"), VDP_TLV_DEASSOC);
	assert_int_equal(vdp_txt_mode_parse("none"), -EINVAL);
	assert_int_equal(vdp_txt_mode_parse("ass"), -EINVAL);	/* no prefix matching */
	assert_string_equal(vdp_txt_mode_name(VDP_TLV_PREASSOC_RR), "preassoc-rr");
	assert_string_equal(vdp_txt_mode_name(0), "none");
	assert_string_equal(vdp_txt_mode_name(9), "unknown");
	for (int f = 1; f <= 4; f++)
		assert_int_equal(vdp_txt_filter_fmt_parse(vdp_txt_filter_fmt_name((uint8_t)f)), f);
	assert_int_equal(vdp_txt_filter_fmt_parse("mac"), -EINVAL);
	for (int f = 1; f <= 5; f++)
		assert_int_equal(vdp_txt_vsiid_fmt_parse(vdp_txt_vsiid_fmt_name((uint8_t)f)), f);
	assert_int_equal(vdp_txt_hints_parse("none"), 0);
	assert_int_equal(vdp_txt_hints_parse("migrate-to"), VDP_STATUS_MBIT);
	assert_int_equal(vdp_txt_hints_parse("migrate-from"), VDP_STATUS_SBIT);
	assert_int_equal(vdp_txt_hints_parse("to"), -EINVAL);
	assert_string_equal(vdp_txt_hints_name(VDP_STATUS_SBIT), "migrate-from");
}

static void test_uint(void **state)
{
	uint32_t v = 0;

	(void)state;
	assert_int_equal(vdp_txt_uint("16777215", 0xffffff, &v), 0);
	assert_int_equal(v, 0xffffff);
	assert_int_equal(vdp_txt_uint("16777216", 0xffffff, &v), -EINVAL);
	assert_int_equal(vdp_txt_uint("0x10", 255, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(vdp_txt_uint("0x", 255, &v), -EINVAL);
	assert_int_equal(vdp_txt_uint("-1", 255, &v), -EINVAL);
	assert_int_equal(vdp_txt_uint(" 1", 255, &v), -EINVAL);
	assert_int_equal(vdp_txt_uint("1x", 255, &v), -EINVAL);
	assert_int_equal(vdp_txt_uint("99999999999999999999999", 255, &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_mgrid),
		cmocka_unit_test(test_mac_and_vsiid),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_uint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
