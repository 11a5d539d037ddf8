/* vdp/nl_parse (fixture: nl_parse_fx.h): libvirt's recorded layouts byte
 * for byte, the replies vdpd builds, link notifications, error texts and
 * UUID text.  The malformed cases: test_nl_parse_errors.c. */
#include "tests/unit/nl_parse_fx.h"

static void test_parse_libvirt_assoc(void **state)
{
	struct nlp_msg m;
	(void)state;

	assert_int_equal(nlp_parse(libvirt_assoc, sizeof(libvirt_assoc), &m), NLP_OK);
	assert_int_equal(m.len, 156);
	assert_int_equal(m.type, RTM_SETLINK);
	assert_int_equal(m.flags, 5);
	assert_int_equal(m.seq, 0x65000000u);
	assert_int_equal(m.pid, 0x5900490bu);
	assert_int_equal(m.ifindex, 14);
	assert_true(m.has_ifname);
	assert_string_equal(m.ifname, "bqbg0");
	assert_int_equal(m.n_filters, 1);
	assert_true(m.filters[0].has_mac);
	assert_true(m.filters[0].has_vlan);
	assert_int_equal(m.filters[0].mac_vf, 0xffffffffu);
	assert_memory_equal(m.filters[0].mac, mac1, 6);
	assert_int_equal(m.filters[0].vlan, 0);
	assert_int_equal(m.n_ports, 1);
	assert_false(m.port_self);
	assert_true(m.port.has_vsi_type);
	assert_int_equal(m.port.mgr_id, 11);
	assert_int_equal(m.port.type_id, 0x123457);
	assert_int_equal(m.port.type_version, 2);
	assert_true(m.port.has_uuid);
	assert_memory_equal(m.port.uuid, uuid1, 16);
	assert_true(m.port.has_request);
	assert_int_equal(m.port.request, NLP_REQ_ASSOCIATE);
	assert_false(m.port.has_vf);
	assert_int_equal(nlp_check_setlink(&m), NLP_OK);
}

static void fill_setlink(struct nlp_setlink *s, uint8_t req)
{
	memset(s, 0, sizeof(*s));
	s->h = (struct nlp_hdr){ RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK, 0x65000000u, 0x5900490bu };
	s->ifindex = 14;
	s->ifname = "bqbg0";
	s->has_filter = true;
	memcpy(s->mac, mac1, 6);
	s->has_vsi_type = true;
	s->mgr_id = 11;
	s->type_id = 1193047;
	s->type_version = 2;
	memcpy(s->uuid, uuid1, 16);
	s->request = req;
}

static void test_build_matches_libvirt(void **state)
{
	uint8_t buf[512];
	struct wbuf w;
	struct nlp_setlink s;
	(void)state;

	fill_setlink(&s, NLP_REQ_ASSOCIATE);
	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(nlp_build_setlink(&w, &s), NLP_OK);
	assert_int_equal(w.len, sizeof(libvirt_assoc));
	assert_memory_equal(buf, libvirt_assoc, sizeof(libvirt_assoc));
}

/* The unsolicited DISASSOCIATE (reference A.3: 164 octets, flags 0,
 * PORT_VF 0xffffffff, REQUEST 3 as a u8, our pid in nlmsg_pid). */
static void test_build_unsolicited(void **state)
{
	uint8_t buf[512], want[164];
	struct wbuf w;
	struct nlp_setlink s;
	(void)state;

	fill_setlink(&s, NLP_REQ_DISASSOCIATE);
	s.h.flags = 0;
	s.h.pid = 4242;
	s.has_port_vf = true;
	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(nlp_build_setlink(&w, &s), NLP_OK);
	assert_int_equal(w.len, 164);

	/* expected: the libvirt message with the port nest grown by PORT_VF */
	memcpy(want, libvirt_assoc, 148);
	want[0] = 164;
	want[6] = 0;					/* flags */
	uint32_t pid = 4242;
	memcpy(want + 12, &pid, 4);
	want[108] = 0x38;				/* VF_PORTS len 56 */
	want[112] = 0x34;				/* VF_PORT len 52 */
	static const uint8_t tail[] = { 0x08, 0x00, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff,
					0x05, 0x00, 0x06, 0x00, 0x03, 0x00, 0x00, 0x00 };
	memcpy(want + 148, tail, sizeof(tail));
	assert_memory_equal(buf, want, 164);

	struct nlp_msg m;
	assert_int_equal(nlp_parse(buf, w.len, &m), NLP_OK);
	assert_true(m.port.has_vf);
	assert_int_equal(m.port.vf, 0xffffffffu);
	assert_int_equal(m.port.request, NLP_REQ_DISASSOCIATE);
	assert_int_equal(m.ifindex, 14);	/* lldpad VDP22 sends 0 */
	assert_int_equal(nlp_check_setlink(&m), NLP_OK);
}

static void test_getlink(void **state)
{
	static const uint8_t want[40] = {
		0x28, 0, 0, 0, 0x12, 0, 0x05, 0, 0x00, 0x00, 0x00, 0x65, 0x0b, 0x49, 0x00, 0x59,
		0, 0, 0, 0, 0x0e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x08, 0, 0x1d, 0, 0x01, 0, 0, 0,
	};
	uint8_t buf[64];
	struct wbuf w;
	struct nlp_hdr h = { RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, 0x65000000u, 0x5900490bu };
	struct nlp_msg m;
	(void)state;

	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(nlp_build_getlink(&w, &h, 14), NLP_OK);
	assert_int_equal(w.len, 40);
	assert_memory_equal(buf, want, 40);
	assert_int_equal(nlp_parse(want, 40, &m), NLP_OK);
	assert_int_equal(m.type, RTM_GETLINK);
	assert_int_equal(m.ifindex, 14);
	assert_true(m.has_ext_mask);
	assert_int_equal(m.ext_mask, RTEXT_FILTER_VF);
	assert_false(m.has_ifname);
}

/* The address a MAC restore sets (802.1Qbh on PORT_SELF): the attribute
 * 10 octets, padded to 12; read back by the link parser. */
static void test_setaddr(void **state)
{
	static const uint8_t want[44] = {
		0x2c, 0x00, 0x00, 0x00, 0x13, 0x00, 0x05, 0x00, /* len 44, SETLINK, REQUEST|ACK */
		0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* seq 7, nlmsg_pid 0 */
		0x00, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00, /* ifinfomsg, index 14 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* flags, change */
		0x0a, 0x00, 0x01, 0x00, 0x00, 0x25, 0xb5, 0x00, /* IFLA_ADDRESS, 10 */
		0x00, 0x0e, 0x00, 0x00, /* padded to 12 */
	};
	static const uint8_t mac[6] = { 0x00, 0x25, 0xb5, 0x00, 0x00, 0x0e };
	uint8_t buf[64];
	struct wbuf w;
	struct nlp_hdr h = { RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK, 7, 0 };
	struct nlp_link l;
	(void)state;

	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(nlp_build_setaddr(&w, &h, 14, mac), NLP_OK);
	assert_int_equal(w.len, 44);
	assert_memory_equal(buf, want, 44);
	wbuf_init(&w, buf, 40);
	assert_true(nlp_build_setaddr(&w, &h, 14, mac) < 0);
	/* the same attributes as a link message: the parser finds the MAC */
	memcpy(buf, want, 44);
	buf[4] = RTM_NEWLINK;
	assert_int_equal(nlp_parse_link(buf, 44, &l), NLP_OK);
	assert_int_equal(l.ifindex, 14);
	assert_true(l.has_mac);
	assert_memory_equal(l.mac, mac, 6);
}

static void test_ack(void **state)
{
	uint8_t buf[64];
	struct wbuf w;
	(void)state;

	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(nlp_build_ack(&w, libvirt_assoc, sizeof(libvirt_assoc), 77, -EBUSY), NLP_OK);
	assert_int_equal(w.len, 36);
	static const uint8_t hdr[16] = { 0x24, 0, 0, 0, 0x02, 0, 0, 0,
					 0x00, 0x00, 0x00, 0x65, 0x0b, 0x49, 0x00, 0x59 };
	assert_memory_equal(buf, hdr, 16);
	int32_t e;
	memcpy(&e, buf + 16, 4);
	assert_int_equal(e, -EBUSY);
	assert_memory_equal(buf + 20, libvirt_assoc, 16);

	struct nlp_status_reply r = { 0 };
	assert_int_equal(nlp_parse_reply(buf, w.len, &r), NLP_OK);
	assert_int_equal(r.type, NLMSG_ERROR);
	assert_int_equal(r.error, -EBUSY);
}

/* One VSI: 68 octets in progress, 76 with a response (reference A.7). */
static void test_status_layout(void **state)
{
	uint8_t buf[128];
	struct wbuf w;
	struct nlp_hdr h = { RTM_NEWLINK, 0, 9, 1234 };
	struct nlp_vsi_status v = { .has_response = false };
	(void)state;

	memcpy(v.uuid, uuid1, 16);
	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(nlp_build_status(&w, &h, 14, &v, 1), 1);
	assert_int_equal(w.len, 68);
	v.has_response = true;
	v.response = 3;
	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(nlp_build_status(&w, &h, 14, &v, 1), 1);
	assert_int_equal(w.len, 76);
	static const uint8_t want[76] = {
		0x4c, 0, 0, 0, 0x10, 0, 0, 0, 9, 0, 0, 0, 0xd2, 0x04, 0, 0,
		0, 0, 0, 0, 0x0e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x2c, 0x00, 0x18, 0x80, 0x28, 0x00, 0x01, 0x80,
		0x08, 0x00, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff,
		0x14, 0x00, 0x04, 0x00, 0x09, 0xb1, 0x1c, 0x53, 0x8b, 0x5c, 0x4e, 0xeb,
		0x8f, 0x00, 0xd8, 0x4e, 0xaa, 0x0a, 0xaa, 0x4f,
		0x06, 0x00, 0x07, 0x00, 0x03, 0x00, 0x00, 0x00,
	};
	assert_memory_equal(buf, want, 76);

	struct nlp_port ports[2];
	struct nlp_status_reply r = { .ports = ports, .cap = 2 };
	assert_int_equal(nlp_parse_reply(buf, w.len, &r), NLP_OK);
	assert_int_equal(r.type, RTM_NEWLINK);
	assert_true(r.has_vf_ports);
	assert_int_equal(r.n, 1);
	assert_true(ports[0].has_vf);
	assert_int_equal(ports[0].vf, 0xffffffffu);
	assert_memory_equal(ports[0].uuid, uuid1, 16);
	assert_true(ports[0].has_response);
	assert_int_equal(ports[0].response, 3);
}

/* Many VSIs: a message takes what fits and the rest goes to the next part;
 * every one of 4096 comes back exactly once. */
static void test_status_multipart(void **state)
{
	enum { N = 4096 };
	static struct nlp_vsi_status v[N];
	static uint8_t buf[16384];
	static struct nlp_port ports[N];
	static unsigned seen[N];
	struct nlp_hdr h = { RTM_NEWLINK, NLM_F_MULTI, 1, 2 };
	size_t done = 0, parts = 0, total = 0;
	(void)state;

	for (unsigned i = 0; i < N; i++) {
		memset(v[i].uuid, 0, 16);
		memcpy(v[i].uuid, &i, sizeof(i));
		v[i].uuid[15] = 0xee;
		v[i].has_response = i % 3 != 0;
		v[i].response = (uint16_t)(i % 7);
	}
	memset(seen, 0, sizeof(seen));
	while (done < N) {
		struct wbuf w;
		wbuf_init(&w, buf, sizeof(buf));
		int k = nlp_build_status(&w, &h, 3, v + done, N - done);
		assert_true(k > 0);
		assert_true(w.len <= sizeof(buf));
		struct nlp_status_reply r = { .ports = ports, .cap = N };
		assert_int_equal(nlp_parse_reply(buf, w.len, &r), NLP_OK);
		assert_int_equal(r.n, (size_t)k);
		assert_int_equal(r.flags, NLM_F_MULTI);
		for (size_t j = 0; j < r.n; j++) {
			unsigned id;
			memcpy(&id, ports[j].uuid, sizeof(id));
			assert_true(id < N);
			seen[id]++;
			assert_int_equal(ports[j].has_response, id % 3 != 0);
		}
		done += (size_t)k;
		total += r.n;
		parts++;
	}
	assert_int_equal(total, N);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(seen[i], 1);
	assert_true(parts > 1);
	/* a 16 KiB part holds >= 400 entries of <= 40 octets */
	assert_true(parts <= (N + 399) / 400);

	/* done message */
	struct wbuf w;
	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(nlp_build_done(&w, &h), NLP_OK);
	assert_int_equal(w.len, 20);
	struct nlp_status_reply r = { 0 };
	assert_int_equal(nlp_parse_reply(buf, w.len, &r), NLP_OK);
	assert_int_equal(r.type, NLMSG_DONE);
}

/* A nest is at most 65535 octets even in a large buffer. */
static void test_status_nest_cap(void **state)
{
	enum { N = 3000 };
	static struct nlp_vsi_status v[N];
	static uint8_t buf[256 * 1024];
	struct nlp_hdr h = { RTM_NEWLINK, NLM_F_MULTI, 1, 2 };
	struct wbuf w;
	(void)state;

	for (unsigned i = 0; i < N; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		v[i].uuid[0] = 1;
		v[i].has_response = true;
	}
	wbuf_init(&w, buf, sizeof(buf));
	int k = nlp_build_status(&w, &h, 3, v, N);
	assert_true(k > 1000 && k < N);
	assert_true(w.len - 32 <= 0xffff);
	assert_false(w.err);
}

/* Link notifications: a deleted macvtap, its lower device and MAC. */
static void test_parse_link(void **state)
{
	struct tb t;
	struct nlp_link l;
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xde, 0x1e, 0x01 };
	int32_t lower = 2;
	(void)state;

	tb_begin(&t, RTM_DELLINK, 9);
	tb_attr(&t, IFLA_IFNAME, "mvt1", 5);
	tb_attr(&t, IFLA_ADDRESS, mac, 6);
	tb_attr(&t, IFLA_LINK, &lower, 4);
	tb_open(&t, IFLA_LINKINFO);
	tb_attr(&t, IFLA_INFO_KIND, "macvtap", 8);
	tb_close(&t);
	uint32_t len = (uint32_t)t.len;
	memcpy(t.b, &len, 4);
	assert_int_equal(nlp_parse_link(t.b, t.len, &l), NLP_OK);
	assert_int_equal(l.type, RTM_DELLINK);
	assert_int_equal(l.ifindex, 9);
	assert_true(l.has_mac);
	assert_memory_equal(l.mac, mac, 6);
	assert_int_equal(l.link, 2);
	assert_string_equal(l.kind, "macvtap");
	assert_string_equal(l.ifname, "mvt1");

	/* IFLA_LINK of 2 octets */
	tb_begin(&t, RTM_NEWLINK, 9);
	tb_attr(&t, IFLA_LINK, "\x02\x00", 2);
	len = (uint32_t)t.len;
	memcpy(t.b, &len, 4);
	assert_int_equal(nlp_parse_link(t.b, t.len, &l), NLP_E_ATTR_LEN);
	/* a kind longer than 15 characters is cut, NUL-terminated */
	tb_begin(&t, RTM_NEWLINK, 9);
	tb_open(&t, IFLA_LINKINFO);
	tb_attr(&t, IFLA_INFO_KIND, "abcdefghijklmnopqrstuvwxyz", 26);
	tb_close(&t);
	len = (uint32_t)t.len;
	memcpy(t.b, &len, 4);
	assert_int_equal(nlp_parse_link(t.b, t.len, &l), NLP_OK);
	assert_string_equal(l.kind, "abcdefghijklmno");
	/* other message types are not links */
	assert_int_equal(nlp_parse_link(libvirt_assoc, sizeof(libvirt_assoc), &l), NLP_E_MSG_TYPE);
}

static void test_strerror_all(void **state)
{
	(void)state;
	for (int e = 0; e > -NLP_NERR; e--) {
		assert_non_null(nlp_strerror(e));
		assert_string_not_equal(nlp_strerror(e), "unknown error");
		assert_true(nlp_errno(e) <= 0);
	}
	assert_string_equal(nlp_strerror(-NLP_NERR), "unknown error");
}

static void test_uuid_text(void **state)
{
	char s[37];
	uint8_t u[16];
	(void)state;
	nlp_uuid_format(uuid1, s);
	assert_string_equal(s, "09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f");
	assert_true(nlp_uuid_parse(s, u));
	assert_memory_equal(u, uuid1, 16);
	assert_false(nlp_uuid_parse("09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4", u));
	assert_false(nlp_uuid_parse("09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4fff", u));
	assert_false(nlp_uuid_parse("g9b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f", u));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_libvirt_assoc),
		cmocka_unit_test(test_build_matches_libvirt),
		cmocka_unit_test(test_build_unsolicited),
		cmocka_unit_test(test_getlink),
		cmocka_unit_test(test_setaddr),
		cmocka_unit_test(test_ack),
		cmocka_unit_test(test_status_layout),
		cmocka_unit_test(test_status_multipart),
		cmocka_unit_test(test_status_nest_cap),
		cmocka_unit_test(test_parse_link),
		cmocka_unit_test(test_strerror_all),
		cmocka_unit_test(test_uuid_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
