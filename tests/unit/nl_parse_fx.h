/* test_nl_parse*'s fixture: libvirt 9.0's recorded ASSOCIATE and a tiny
 * netlink message composer for the malformed cases. */
#ifndef TESTS_UNIT_NL_PARSE_FX_H
#define TESTS_UNIT_NL_PARSE_FX_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "vdp/base/codec.h"
#include "vdp/wire/nl_parse.h"

/* libvirt 9.0 ASSOCIATE for <source dev='bqbg0'> (ifindex 14), MAC
 * 52:54:00:aa:bb:cc, managerid 11, typeid 1193047, typeidversion 2,
 * instanceid 09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f (reference A.1.1/A.7). */
static const uint8_t libvirt_assoc[156] = {
	0x9c, 0x00, 0x00, 0x00, 0x13, 0x00, 0x05, 0x00, /* len 156, SETLINK, 0x5 */
	0x00, 0x00, 0x00, 0x65, 0x0b, 0x49, 0x00, 0x59, /* seq, pid 0x5900490b */
	0x00, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00, /* ifinfomsg, index 14 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x03, 0x00, 'b',  'q',
	'b',  'g',  '0',  0x00, 0x00, 0x00, 0x40, 0x00, 0x16, 0x80, /* VFINFO_LIST|NESTED */
	0x3c, 0x00, 0x01, 0x80, /* VF_INFO|NESTED */
	0x28, 0x00, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, /* VF_MAC vf=-1 */
	0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc, 0,    0,    0,    0,    0,    0,    0,    0,
	0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
	0,    0,    0,    0,    0x10, 0x00, 0x02, 0x00, 0xff, 0xff, 0xff, 0xff, /* VF_VLAN vf=-1 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* vlan 0, qos 0 */
	0x30, 0x00, 0x18, 0x80, /* VF_PORTS|NESTED */
	0x2c, 0x00, 0x01, 0x80, /* VF_PORT|NESTED */
	0x0c, 0x00, 0x03, 0x00, 0x0b, 0x57, 0x34, 0x12, 0x02, 0x00, 0x00, 0x00, 0x14, 0x00,
	0x04, 0x00, 0x09, 0xb1, 0x1c, 0x53, 0x8b, 0x5c, 0x4e, 0xeb, 0x8f, 0x00, 0xd8, 0x4e,
	0xaa, 0x0a, 0xaa, 0x4f, 0x05, 0x00, 0x06, 0x00, 0x02, 0x00, 0x00, 0x00, /* REQUEST = 2 */
};

static const uint8_t uuid1[16] = { 0x09, 0xb1, 0x1c, 0x53, 0x8b, 0x5c, 0x4e, 0xeb,
				   0x8f, 0x00, 0xd8, 0x4e, 0xaa, 0x0a, 0xaa, 0x4f };
static const uint8_t mac1[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };

/* ---- error cases: a tiny message composer */

struct tb {
	uint8_t b[2048];
	size_t len;
	size_t nest[8];
	int depth;
};

static inline void tb_raw(struct tb *t, const void *d, size_t n)
{
	memcpy(t->b + t->len, d, n);
	t->len += n;
}

static inline void tb_begin(struct tb *t, uint16_t type, int32_t ifindex)
{
	uint8_t h[32] = { 0 };
	memcpy(h + 4, &type, 2);
	h[6] = 5;
	memcpy(h + 20, &ifindex, 4);
	t->len = 0;
	t->depth = 0;
	tb_raw(t, h, sizeof(h));
}

static inline void tb_attr(struct tb *t, uint16_t type, const void *d, size_t n)
{
	uint16_t l = (uint16_t)(4 + n);
	tb_raw(t, &l, 2);
	tb_raw(t, &type, 2);
	if (n)
		tb_raw(t, d, n);
	while (t->len % 4)
		t->b[t->len++] = 0;
}

static inline void tb_open(struct tb *t, uint16_t type)
{
	t->nest[t->depth++] = t->len;
	tb_attr(t, type | NLA_F_NESTED, NULL, 0);
}

static inline void tb_close(struct tb *t)
{
	size_t off = t->nest[--t->depth];
	uint16_t l = (uint16_t)(t->len - off);
	memcpy(t->b + off, &l, 2);
}

static inline int tb_parse(struct tb *t, struct nlp_msg *m)
{
	uint32_t l = (uint32_t)t->len;
	memcpy(t->b, &l, 4);
	return nlp_parse(t->b, t->len, m);
}

/* Parse, then the semantic check. */
static inline int tb_check(struct tb *t)
{
	struct nlp_msg m;
	int r = tb_parse(t, &m);
	return r < 0 ? r : nlp_check_setlink(&m);
}

struct opts {
	bool no_ifname, no_filter, no_ports, no_vsi, no_uuid, no_req;
	int ifindex;
	bool deassoc;
	int req; /* 0: ASSOCIATE, else request + 1 */
	const uint8_t *uuid;
	const uint8_t *mac;
	uint32_t vlan, qos;
	bool has_vf;
	uint32_t vf;
};

static inline void tb_request(struct tb *t, const struct opts *o)
{
	tb_begin(t, RTM_SETLINK, o->ifindex ? o->ifindex : 14);
	if (!o->no_ifname)
		tb_attr(t, IFLA_IFNAME, "bqbg0", 6);
	if (!o->no_filter) {
		struct ifla_vf_mac vm = { .vf = 0xffffffffu };
		memcpy(vm.mac, o->mac ? o->mac : mac1, 6);
		struct ifla_vf_vlan vv = { 0xffffffffu, o->vlan, o->qos };
		tb_open(t, IFLA_VFINFO_LIST);
		tb_open(t, IFLA_VF_INFO);
		tb_attr(t, IFLA_VF_MAC, &vm, sizeof(vm));
		tb_attr(t, IFLA_VF_VLAN, &vv, sizeof(vv));
		tb_close(t);
		tb_close(t);
	}
	if (!o->no_ports) {
		tb_open(t, IFLA_VF_PORTS);
		tb_open(t, IFLA_VF_PORT);
		if (!o->no_vsi)
			tb_attr(t, IFLA_PORT_VSI_TYPE, "\x0b\x57\x34\x12\x02\0\0", 8);
		if (!o->no_uuid)
			tb_attr(t, IFLA_PORT_INSTANCE_UUID, o->uuid ? o->uuid : uuid1, 16);
		if (o->has_vf)
			tb_attr(t, IFLA_PORT_VF, &o->vf, 4);
		uint8_t req = o->deassoc ? 3 : o->req ? (uint8_t)(o->req - 1) : 2;
		if (!o->no_req)
			tb_attr(t, IFLA_PORT_REQUEST, &req, 1);
		tb_close(t);
		tb_close(t);
	}
}

#define REQ(...) (&(struct opts){ __VA_ARGS__ })

#endif
