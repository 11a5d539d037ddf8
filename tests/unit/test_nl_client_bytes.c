/* tools/vdp-nlclient builds its messages with vdp/wire/nl_libvirt.c; these are
 * compared here with the bytes libvirt 9.0 was observed to send (shared
 * reference libvirt-kernel.md A.1.1, A.2, A.7), and libvirt's reading of
 * answers is checked against the messages vdpd's builders make. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "vdp/wire/nl_libvirt.h"
#include "vdp/wire/nl_parse.h"

static const uint8_t uuid1[16] = { 0x09, 0xb1, 0x1c, 0x53, 0x8b, 0x5c, 0x4e, 0xeb,
				   0x8f, 0x00, 0xd8, 0x4e, 0xaa, 0x0a, 0xaa, 0x4f };

static void op_init(struct nlv_op *op, uint8_t req)
{
	memset(op, 0, sizeof(*op));
	op->ifname = "bqbg0";
	op->ifindex = 14;
	memcpy(op->mac, "\x52\x54\x00\xaa\xbb\xcc", 6);
	op->mgr_id = 11;
	op->type_id = 1193047;
	op->type_version = 2;
	memcpy(op->instance, uuid1, 16);
	op->request = req;
	op->seq = 0x6561f1a0;
	op->event_port = 1493190923;	/* 0x5900490b, observed */
}

/* Recorded layout, ASSOCIATE (156 octets); written out field by field. */
static size_t recorded_setlink(uint8_t *b, uint8_t req)
{
	static const uint8_t tmpl[156] = {
		0x9c, 0, 0, 0, 0x13, 0, 0x05, 0, 0xa0, 0xf1, 0x61, 0x65, 0x0b, 0x49, 0x00, 0x59,
		0, 0, 0, 0, 0x0e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x0a, 0, 0x03, 0, 'b', 'q', 'b', 'g', '0', 0, 0, 0,
		0x40, 0, 0x16, 0x80, 0x3c, 0, 0x01, 0x80,
		0x28, 0, 0x01, 0, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x10, 0, 0x02, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0,
		0x30, 0, 0x18, 0x80, 0x2c, 0, 0x01, 0x80,
		0x0c, 0, 0x03, 0, 0x0b, 0x57, 0x34, 0x12, 0x02, 0, 0, 0,
		0x14, 0, 0x04, 0, 0x09, 0xb1, 0x1c, 0x53, 0x8b, 0x5c, 0x4e, 0xeb,
		0x8f, 0x00, 0xd8, 0x4e, 0xaa, 0x0a, 0xaa, 0x4f,
		0x05, 0, 0x06, 0, 0x02, 0, 0, 0,
	};
	memcpy(b, tmpl, sizeof(tmpl));
	b[152] = req;
	return sizeof(tmpl);
}

static void test_setlink_bytes_all_ops(void **state)
{
	uint8_t got[512], want[512];
	struct wbuf w;
	struct nlv_op op;
	(void)state;

	for (uint8_t req = 0; req <= 3; req++) {
		op_init(&op, req);
		wbuf_init(&w, got, sizeof(got));
		assert_int_equal(nlv_build_setlink(&w, &op), 0);
		size_t n = recorded_setlink(want, req);
		assert_int_equal(w.len, n);
		assert_memory_equal(got, want, n);
	}
}

/* <source dev='eth0.100'>: IFLA_IFNAME eth0, vlan 100 in IFLA_VF_VLAN;
 * network port example of A.7: VSI_TYPE 0b 92 10 00 02 00 00 00. */
static void test_setlink_vlan_and_typeid(void **state)
{
	uint8_t got[512];
	struct wbuf w;
	struct nlv_op op;
	(void)state;

	op_init(&op, NLP_REQ_ASSOCIATE);
	op.ifname = "eth0";
	op.vlan = 100;
	op.type_id = 4242;
	wbuf_init(&w, got, sizeof(got));
	assert_int_equal(nlv_build_setlink(&w, &op), 0);
	/* "eth0\0" is 5 octets, padded to 8 like "bqbg0\0" */
	assert_int_equal(w.len, 156);
	static const uint8_t vlan[16] = { 0x10, 0, 0x02, 0, 0xff, 0xff, 0xff, 0xff, 100, 0, 0, 0, 0, 0, 0, 0 };
	assert_memory_equal(got + 92, vlan, 16);
	static const uint8_t vsi[8] = { 0x0b, 0x92, 0x10, 0x00, 0x02, 0x00, 0x00, 0x00 };
	assert_memory_equal(got + 120, vsi, 8);
}

static void test_getlink_bytes(void **state)
{
	static const uint8_t want[40] = {
		0x28, 0, 0, 0, 0x12, 0, 0x05, 0, 0xa0, 0xf1, 0x61, 0x65, 0x0b, 0x49, 0x00, 0x59,
		0, 0, 0, 0, 0x0e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x08, 0, 0x1d, 0, 0x01, 0, 0, 0,
	};
	uint8_t got[64];
	struct wbuf w;
	struct nlv_op op;
	(void)state;

	op_init(&op, NLP_REQ_ASSOCIATE);
	wbuf_init(&w, got, sizeof(got));
	assert_int_equal(nlv_build_getlink(&w, &op), 0);
	assert_int_equal(w.len, 40);
	assert_memory_equal(got, want, 40);
}

static size_t status_msg(uint8_t *b, size_t cap, uint16_t type, const struct nlp_vsi_status *v, size_t n)
{
	struct wbuf w;
	struct nlp_hdr h = { type, 0, 1, 2 };
	wbuf_init(&w, b, cap);
	assert_int_equal(nlp_build_status(&w, &h, 14, v, n), (int)n);
	return w.len;
}

static void test_eval_status(void **state)
{
	uint8_t b[1024];
	char text[200];
	uint16_t resp;
	struct nlv_op op;
	struct nlp_vsi_status v[3];
	(void)state;

	op_init(&op, NLP_REQ_ASSOCIATE);
	memset(v, 0, sizeof(v));
	v[0].uuid[0] = 1;
	v[0].has_response = true;
	v[0].response = 5;
	memcpy(v[1].uuid, uuid1, 16);	/* ours, in progress */
	v[2].uuid[0] = 3;

	/* both reply types libvirt accepts */
	size_t n = status_msg(b, sizeof(b), NLMSG_DONE, v, 3);
	assert_int_equal(nlv_eval_status(b, n, &op, &resp, text, sizeof(text)), NLV_IN_PROGRESS);
	assert_int_equal(resp, 0x101);
	n = status_msg(b, sizeof(b), RTM_NEWLINK, v, 3);
	assert_int_equal(nlv_eval_status(b, n, &op, &resp, text, sizeof(text)), NLV_IN_PROGRESS);

	v[1].has_response = true;
	v[1].response = 0;
	n = status_msg(b, sizeof(b), RTM_NEWLINK, v, 3);
	assert_int_equal(nlv_eval_status(b, n, &op, &resp, text, sizeof(text)), NLV_OK);
	assert_int_equal(resp, 0);

	v[1].response = 1;
	n = status_msg(b, sizeof(b), RTM_NEWLINK, v, 3);
	assert_int_equal(nlv_eval_status(b, n, &op, &resp, text, sizeof(text)), NLV_FAILED);
	assert_string_equal(text, "error 1 during port-profile setlink on interface bqbg0 (14): Invalid argument");

	/* our UUID absent */
	n = status_msg(b, sizeof(b), RTM_NEWLINK, v, 1);
	assert_int_equal(nlv_eval_status(b, n, &op, &resp, text, sizeof(text)), NLV_FAILED);
	assert_string_equal(text, "Could not find vf/instanceId 4294967295/09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f in netlink response");

	/* an ack instead of a status */
	struct wbuf w;
	wbuf_init(&w, b, sizeof(b));
	uint8_t req[40];
	wbuf_init(&w, req, sizeof(req));
	nlv_build_getlink(&w, &op);
	wbuf_init(&w, b, sizeof(b));
	nlp_build_ack(&w, req, sizeof(req), 1, -ENODEV);
	assert_int_equal(nlv_eval_status(b, w.len, &op, &resp, text, sizeof(text)), NLV_FAILED);
	assert_string_equal(text, "error dumping (null) (14) interface");
}

static void test_eval_ack(void **state)
{
	uint8_t b[256], req[256];
	char text[200];
	struct wbuf w;
	struct nlv_op op;
	(void)state;

	op_init(&op, NLP_REQ_ASSOCIATE);
	wbuf_init(&w, req, sizeof(req));
	nlv_build_setlink(&w, &op);
	size_t rl = w.len;
	wbuf_init(&w, b, sizeof(b));
	nlp_build_ack(&w, req, rl, 1, 0);
	assert_int_equal(nlv_eval_ack(b, w.len, 14, text, sizeof(text)), NLV_OK);
	wbuf_init(&w, b, sizeof(b));
	nlp_build_ack(&w, req, rl, 1, -EINVAL);
	assert_int_equal(nlv_eval_ack(b, w.len, 14, text, sizeof(text)), NLV_FAILED);
	assert_string_equal(text, "error during virtual port configuration of ifindex 14: Invalid argument");
	/* a status where an ack belongs */
	struct nlp_vsi_status v = { .has_response = true };
	size_t n = status_msg(b, sizeof(b), RTM_NEWLINK, &v, 1);
	assert_int_equal(nlv_eval_ack(b, n, 14, text, sizeof(text)), NLV_FAILED);
	assert_string_equal(text, "malformed netlink response message");
}

static void test_callback_filter(void **state)
{
	uint8_t b[512];
	struct wbuf w;
	struct nlp_setlink s = { 0 };
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
	static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcd };
	(void)state;

	s.h = (struct nlp_hdr){ RTM_SETLINK, 0, 7, 4242 };
	s.ifindex = 14;
	s.ifname = "bqbg0";
	s.has_filter = true;
	memcpy(s.mac, mac, 6);
	s.has_vsi_type = true;
	memcpy(s.uuid, uuid1, 16);
	s.has_port_vf = true;
	s.request = NLP_REQ_DISASSOCIATE;
	wbuf_init(&w, b, sizeof(b));
	nlp_build_setlink(&w, &s);
	assert_true(nlv_callback_wants_reassoc(b, w.len, 4242, mac));
	assert_false(nlv_callback_wants_reassoc(b, w.len, 4243, mac));	/* not from lldpad's pid */
	assert_false(nlv_callback_wants_reassoc(b, w.len, 4242, other));
	assert_true(nlv_callback_wants_reassoc(b, w.len, 4242, (const uint8_t *)"\xff\xff\xff\xff\xff\xff"));
	s.request = NLP_REQ_ASSOCIATE;
	wbuf_init(&w, b, sizeof(b));
	nlp_build_setlink(&w, &s);
	assert_false(nlv_callback_wants_reassoc(b, w.len, 4242, mac));
}

static void test_pidfile(void **state)
{
	char path[] = "/tmp/nlv_pid_XXXXXX";
	int fd = mkstemp(path);
	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "4242\n", 5), 5);
	close(fd);
	assert_int_equal(nlv_read_pidfile(path), 4242);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "0\n", 2), 2);
	close(fd);
	assert_int_equal(nlv_read_pidfile(path), -EINVAL);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "12x", 3), 3);
	close(fd);
	assert_int_equal(nlv_read_pidfile(path), -EINVAL);
	unlink(path);
	assert_int_equal(nlv_read_pidfile(path), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setlink_bytes_all_ops),
		cmocka_unit_test(test_setlink_vlan_and_typeid),
		cmocka_unit_test(test_getlink_bytes),
		cmocka_unit_test(test_eval_status),
		cmocka_unit_test(test_eval_ack),
		cmocka_unit_test(test_callback_filter),
		cmocka_unit_test(test_pidfile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
