/* vdp/nl_parse (fixture: nl_parse_fx.h): one test per error code, every
 * malformed case its own, on messages from the composer. */
#include "tests/unit/nl_parse_fx.h"

static void test_composer_baseline(void **state)
{
	struct tb t;
	(void)state;
	tb_request(&t, REQ());
	assert_int_equal(t.len, 156);
	assert_int_equal(tb_check(&t), NLP_OK);
	uint32_t l = 156;
	memcpy(t.b, &l, 4);
	/* the composer (hand-written here) agrees with the recorded bytes
	 * apart from seq/pid */
	assert_memory_equal(t.b + 16, libvirt_assoc + 16, 140);
}

static void test_e_short_hdr(void **state)
{
	struct nlp_msg m;
	(void)state;
	assert_int_equal(nlp_parse(libvirt_assoc, 15, &m), NLP_E_SHORT_HDR);
	assert_int_equal(nlp_parse(libvirt_assoc, 0, &m), NLP_E_SHORT_HDR);
}

static void test_e_msg_len(void **state)
{
	struct nlp_msg m;
	uint8_t b[156];
	(void)state;
	/* datagram cut short: nlmsg_len 156 > 100 */
	assert_int_equal(nlp_parse(libvirt_assoc, 100, &m), NLP_E_MSG_LEN);
	/* header fields are still there to address the answer */
	assert_int_equal(m.seq, 0x65000000u);
	memcpy(b, libvirt_assoc, sizeof(b));
	b[0] = 8;
	assert_int_equal(nlp_parse(b, sizeof(b), &m), NLP_E_MSG_LEN);
}

static void test_e_short_ifinfo(void **state)
{
	struct nlp_msg m;
	uint8_t b[156];
	(void)state;
	memcpy(b, libvirt_assoc, sizeof(b));
	b[0] = 24;
	assert_int_equal(nlp_parse(b, sizeof(b), &m), NLP_E_SHORT_IFINFO);
}

static void test_e_msg_type(void **state)
{
	struct nlp_msg m;
	uint8_t b[156];
	(void)state;
	memcpy(b, libvirt_assoc, sizeof(b));
	b[4] = RTM_NEWLINK;
	assert_int_equal(nlp_parse(b, sizeof(b), &m), NLP_E_MSG_TYPE);
	assert_int_equal(nlp_errno(NLP_E_MSG_TYPE), -EOPNOTSUPP);
}

static void test_e_attr_len(void **state)
{
	struct nlp_msg m;
	uint8_t b[156];
	(void)state;
	memcpy(b, libvirt_assoc, sizeof(b));
	b[32] = 2; /* IFLA_IFNAME nla_len 2 */
	assert_int_equal(nlp_parse(b, sizeof(b), &m), NLP_E_ATTR_LEN);
	memcpy(b, libvirt_assoc, sizeof(b));
	b[52] = 0x50; /* VF_MAC len 80 overruns its VF_INFO */
	assert_int_equal(nlp_parse(b, sizeof(b), &m), NLP_E_ATTR_LEN);
	memcpy(b, libvirt_assoc, sizeof(b));
	b[108] = 0xf0; /* VF_PORTS past the message */
	assert_int_equal(nlp_parse(b, sizeof(b), &m), NLP_E_ATTR_LEN);
}

static void test_e_trailing(void **state)
{
	struct tb t;
	struct nlp_msg m;
	(void)state;
	tb_begin(&t, RTM_GETLINK, 3);
	tb_raw(&t, "\x01\x02", 2);
	assert_int_equal(tb_parse(&t, &m), NLP_E_TRAILING);
}

static void test_e_ifname(void **state)
{
	struct tb t;
	struct nlp_msg m;
	(void)state;
	const char *bad[] = { "", "0123456789abcdef", "a/b", "a b", "..", "." };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tb_begin(&t, RTM_GETLINK, 0);
		tb_attr(&t, IFLA_IFNAME, bad[i], strlen(bad[i]) + 1);
		assert_int_equal(tb_parse(&t, &m), NLP_E_IFNAME);
	}
	/* 17 octets even with a short name */
	tb_begin(&t, RTM_GETLINK, 0);
	tb_attr(&t, IFLA_IFNAME, "eth0\0\0\0\0\0\0\0\0\0\0\0\0", 17);
	assert_int_equal(tb_parse(&t, &m), NLP_E_IFNAME);
	/* 15 characters without a NUL is fine (NLA_STRING) */
	tb_begin(&t, RTM_GETLINK, 0);
	tb_attr(&t, IFLA_IFNAME, "0123456789abcde", 15);
	assert_int_equal(tb_parse(&t, &m), NLP_OK);
	assert_string_equal(m.ifname, "0123456789abcde");
}

static void test_e_vfinfo_child(void **state)
{
	struct tb t;
	struct nlp_msg m;
	(void)state;
	tb_begin(&t, RTM_SETLINK, 3);
	tb_open(&t, IFLA_VFINFO_LIST);
	tb_open(&t, 2);
	tb_close(&t);
	tb_close(&t);
	assert_int_equal(tb_parse(&t, &m), NLP_E_VFINFO_CHILD);
}

static void vfinfo_with(struct tb *t, uint16_t type, size_t n)
{
	uint8_t z[64] = { 0 };
	tb_begin(t, RTM_SETLINK, 3);
	tb_open(t, IFLA_VFINFO_LIST);
	tb_open(t, IFLA_VF_INFO);
	tb_attr(t, type, z, n);
	tb_close(t);
	tb_close(t);
}

static void test_e_vf_mac_len(void **state)
{
	struct tb t;
	struct nlp_msg m;
	(void)state;
	vfinfo_with(&t, IFLA_VF_MAC, 35);
	assert_int_equal(tb_parse(&t, &m), NLP_E_VF_MAC_LEN);
	vfinfo_with(&t, IFLA_VF_MAC, 36);
	assert_int_equal(tb_parse(&t, &m), NLP_OK);
}

static void test_e_vf_vlan_len(void **state)
{
	struct tb t;
	struct nlp_msg m;
	(void)state;
	vfinfo_with(&t, IFLA_VF_VLAN, 11);
	assert_int_equal(tb_parse(&t, &m), NLP_E_VF_VLAN_LEN);
}

static void test_e_too_many_filters(void **state)
{
	struct tb t;
	struct nlp_msg m;
	(void)state;
	tb_begin(&t, RTM_SETLINK, 3);
	tb_open(&t, IFLA_VFINFO_LIST);
	for (int i = 0; i <= NLP_MAX_FILTERS; i++) {
		tb_open(&t, IFLA_VF_INFO);
		tb_close(&t);
	}
	tb_close(&t);
	assert_int_equal(tb_parse(&t, &m), NLP_E_TOO_MANY_FILTERS);
}

static void test_e_vf_ports_child(void **state)
{
	struct tb t;
	struct nlp_msg m;
	(void)state;
	tb_begin(&t, RTM_SETLINK, 3);
	tb_open(&t, IFLA_VF_PORTS);
	tb_open(&t, 2);
	tb_close(&t);
	tb_close(&t);
	assert_int_equal(tb_parse(&t, &m), NLP_E_VF_PORTS_CHILD);
}

static void test_e_multi_port(void **state)
{
	struct tb t;
	struct nlp_msg m;
	(void)state;
	tb_begin(&t, RTM_SETLINK, 3);
	tb_open(&t, IFLA_VF_PORTS);
	tb_open(&t, IFLA_VF_PORT);
	tb_close(&t);
	tb_open(&t, IFLA_VF_PORT);
	tb_close(&t);
	tb_close(&t);
	assert_int_equal(tb_parse(&t, &m), NLP_E_MULTI_PORT);
	tb_begin(&t, RTM_SETLINK, 3);
	tb_open(&t, IFLA_VF_PORTS);
	tb_open(&t, IFLA_VF_PORT);
	tb_close(&t);
	tb_close(&t);
	tb_open(&t, IFLA_PORT_SELF);
	tb_close(&t);
	assert_int_equal(tb_parse(&t, &m), NLP_E_MULTI_PORT);
}

static int port_attr(uint16_t type, const void *d, size_t n)
{
	struct tb t;
	struct nlp_msg m;
	tb_begin(&t, RTM_SETLINK, 3);
	tb_open(&t, IFLA_VF_PORTS);
	tb_open(&t, IFLA_VF_PORT);
	tb_attr(&t, type, d, n);
	tb_close(&t);
	tb_close(&t);
	return tb_parse(&t, &m);
}

static void test_e_port_attr_lengths(void **state)
{
	uint8_t z[64] = { 0 };
	(void)state;
	assert_int_equal(port_attr(IFLA_PORT_VF, z, 2), NLP_E_PORT_VF_LEN);
	assert_int_equal(port_attr(IFLA_PORT_VF, z, 4), NLP_OK);
	assert_int_equal(port_attr(IFLA_PORT_PROFILE, z, 41), NLP_E_PROFILE_LEN);
	assert_int_equal(port_attr(IFLA_PORT_PROFILE, z, 40), NLP_OK);
	assert_int_equal(port_attr(IFLA_PORT_VSI_TYPE, z, 7), NLP_E_VSI_TYPE_LEN);
	assert_int_equal(port_attr(IFLA_PORT_VSI_TYPE, z, 9), NLP_E_VSI_TYPE_LEN);
	assert_int_equal(port_attr(IFLA_PORT_INSTANCE_UUID, z, 15), NLP_E_UUID_LEN);
	assert_int_equal(port_attr(IFLA_PORT_HOST_UUID, z, 17), NLP_E_HOST_UUID_LEN);
	assert_int_equal(port_attr(IFLA_PORT_REQUEST, z, 0), NLP_E_REQUEST_LEN);
	assert_int_equal(port_attr(IFLA_PORT_REQUEST, z, 5), NLP_E_REQUEST_LEN);
	/* lldpad writes the request as a u16: still read */
	assert_int_equal(port_attr(IFLA_PORT_REQUEST, "\x03\x00", 2), NLP_OK);
	assert_int_equal(port_attr(IFLA_PORT_RESPONSE, z, 1), NLP_E_RESPONSE_LEN);
}

static void test_e_request_range(void **state)
{
	(void)state;
	assert_int_equal(port_attr(IFLA_PORT_REQUEST, "\x04", 1), NLP_E_REQUEST_RANGE);
	assert_int_equal(port_attr(IFLA_PORT_REQUEST, "\xff", 1), NLP_E_REQUEST_RANGE);
}

static void test_e_ext_mask_len(void **state)
{
	struct tb t;
	struct nlp_msg m;
	(void)state;
	tb_begin(&t, RTM_GETLINK, 3);
	tb_attr(&t, IFLA_EXT_MASK, "\x01\x00", 2);
	assert_int_equal(tb_parse(&t, &m), NLP_E_EXT_MASK_LEN);
}

static void test_e_semantics(void **state)
{
	struct tb t;
	static const uint8_t zero[16];
	static const uint8_t mc[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	static const uint8_t zmac[6];
	(void)state;

	tb_request(&t, REQ(.no_ports = true));
	assert_int_equal(tb_check(&t), NLP_E_NO_PORT);
	tb_request(&t, REQ(.has_vf = true, .vf = 3));
	assert_int_equal(tb_check(&t), NLP_E_PORT_VF);
	assert_int_equal(nlp_errno(NLP_E_PORT_VF), -EOPNOTSUPP);
	tb_request(&t, REQ(.has_vf = true, .vf = 0xffffffffu));
	assert_int_equal(tb_check(&t), NLP_OK);
	tb_request(&t, REQ(.no_req = true));
	assert_int_equal(tb_check(&t), NLP_E_NO_REQUEST);
	tb_request(&t, REQ(.no_uuid = true));
	assert_int_equal(tb_check(&t), NLP_E_NO_UUID);
	tb_request(&t, REQ(.uuid = zero));
	assert_int_equal(tb_check(&t), NLP_E_UUID_ZERO);
	tb_request(&t, REQ(.no_vsi = true));
	assert_int_equal(tb_check(&t), NLP_E_NO_VSI_TYPE);
	tb_request(&t, REQ(.no_vsi = true, .deassoc = true));
	assert_int_equal(tb_check(&t), NLP_OK); /* de-associate by UUID */
	tb_request(&t, REQ(.no_filter = true));
	assert_int_equal(tb_check(&t), NLP_E_NO_FILTER);
	tb_request(&t, REQ(.no_filter = true, .deassoc = true));
	assert_int_equal(tb_check(&t), NLP_OK);
	tb_request(&t, REQ(.mac = mc));
	assert_int_equal(tb_check(&t), NLP_E_MAC_INVALID);
	tb_request(&t, REQ(.mac = zmac));
	assert_int_equal(tb_check(&t), NLP_E_MAC_INVALID);
	tb_request(&t, REQ(.vlan = 4095));
	assert_int_equal(tb_check(&t), NLP_E_VLAN_RANGE);
	tb_request(&t, REQ(.vlan = 4094));
	assert_int_equal(tb_check(&t), NLP_OK);
	tb_request(&t, REQ(.qos = 8));
	assert_int_equal(tb_check(&t), NLP_E_QOS_RANGE);
	tb_request(&t, REQ(.no_ifname = true, .ifindex = -1));
	assert_int_equal(tb_check(&t), NLP_E_NO_DEVICE);
	assert_int_equal(nlp_errno(NLP_E_NO_DEVICE), -ENODEV);
}

/* lldpad bug 7: check_vsiid tests only 8 octets of the UUID for zero. */
static void test_uuid_zero_all_16(void **state)
{
	struct tb t;
	uint8_t u[16] = { 0 };
	(void)state;
	u[15] = 1; /* first 8 octets zero: a valid, non-nil UUID */
	tb_request(&t, REQ(.uuid = u));
	assert_int_equal(tb_check(&t), NLP_OK);
	memset(u, 0, 16);
	u[0] = 1;
	tb_request(&t, REQ(.uuid = u));
	assert_int_equal(tb_check(&t), NLP_OK);
}

static void test_e_port_self(void **state)
{
	struct tb t;
	(void)state;
	tb_begin(&t, RTM_SETLINK, 3);
	tb_open(&t, IFLA_PORT_SELF);
	tb_attr(&t, IFLA_PORT_PROFILE, "finance", 8);
	tb_attr(&t, IFLA_PORT_REQUEST, "\x02", 1);
	tb_close(&t);
	assert_int_equal(tb_check(&t), NLP_E_PORT_SELF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_composer_baseline),
		cmocka_unit_test(test_e_short_hdr),
		cmocka_unit_test(test_e_msg_len),
		cmocka_unit_test(test_e_short_ifinfo),
		cmocka_unit_test(test_e_msg_type),
		cmocka_unit_test(test_e_attr_len),
		cmocka_unit_test(test_e_trailing),
		cmocka_unit_test(test_e_ifname),
		cmocka_unit_test(test_e_vfinfo_child),
		cmocka_unit_test(test_e_vf_mac_len),
		cmocka_unit_test(test_e_vf_vlan_len),
		cmocka_unit_test(test_e_too_many_filters),
		cmocka_unit_test(test_e_vf_ports_child),
		cmocka_unit_test(test_e_multi_port),
		cmocka_unit_test(test_e_port_attr_lengths),
		cmocka_unit_test(test_e_request_range),
		cmocka_unit_test(test_e_ext_mask_len),
		cmocka_unit_test(test_e_semantics),
		cmocka_unit_test(test_uuid_zero_all_16),
		cmocka_unit_test(test_e_port_self),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
