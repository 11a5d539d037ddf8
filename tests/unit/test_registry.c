/* Registry model: validation, lookups, reconciliation of desired VSIs in
 * every order, and the policy for libvirt requests. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "profiles/registry.h"

#define VM1 "0b3c9e2a-1111-4d4d-8e8e-000000000001"
#define VM2 "0b3c9e2a-1111-4d4d-8e8e-000000000002"
#define PORT1 "7d0c0b8a-2222-4e4e-9f9f-000000000001"

struct event {
	bool has_old, has_new;
	struct reg_vsi old, cur;
};

struct rec {
	struct event ev[64];
	size_t n;	/* recorded (first 64) */
	size_t total;	/* reported */
};

static void record(void *ctx, const struct reg_vsi *old, const struct reg_vsi *cur)
{
	struct rec *r = ctx;
	struct event *e;

	if (r->total++ >= 64)
		return;
	e = &r->ev[r->n++];
	memset(e, 0, sizeof(*e));
	if (old) {
		e->has_old = true;
		e->old = *old;
	}
	if (cur) {
		e->has_new = true;
		e->cur = *cur;
	}
}

static const struct reg_ops ops = { .vsi_desired = record };

struct fx {
	struct reg *reg;
	struct rec rec;
};

static void add_profile_qbg(struct reg *reg, const char *name, uint32_t typeid, uint16_t vlan)
{
	struct reg_profile p = { .type = REG_VPORT_QBG, .mgrid = 11, .typeid = typeid, .typeidver = 2, .vlan = vlan };
	struct reg_err err;

	snprintf(p.name, sizeof(p.name), "%s", name);
	assert_int_equal(reg_profile_add(reg, &p, &err), 0);
}

static void add_network(struct reg *reg, const char *name, const char *physnet, const char *profile, uint16_t vlan)
{
	struct reg_network n = { .vlan = vlan };
	struct reg_err err;

	snprintf(n.name, sizeof(n.name), "%s", name);
	snprintf(n.physnet, sizeof(n.physnet), "%s", physnet);
	snprintf(n.profile, sizeof(n.profile), "%s", profile);
	assert_int_equal(reg_network_add(reg, &n, &err), 0);
}

static void add_uplink(struct reg *reg, const char *dev, const char *physnet)
{
	struct reg_uplink u = { .mode = REG_MODE_VEPA };
	struct reg_err err;

	snprintf(u.dev, sizeof(u.dev), "%s", dev);
	snprintf(u.physnet, sizeof(u.physnet), "%s", physnet);
	assert_int_equal(reg_uplink_add(reg, &u, &err), 0);
}

static int attach(struct reg *reg, const char *id, const char *net, struct reg_err *err)
{
	struct reg_attachment a = { 0 };

	snprintf(a.iface_id, sizeof(a.iface_id), "%s", id);
	snprintf(a.network, sizeof(a.network), "%s", net);
	return reg_attach(reg, &a, err);
}

static int do_bind(struct reg *reg, const char *id, const char *dev, const char *mac, const char *uplink,
		struct reg_err *err)
{
	struct reg_binding b = { 0 };

	snprintf(b.iface_id, sizeof(b.iface_id), "%s", id);
	snprintf(b.dev, sizeof(b.dev), "%s", dev);
	snprintf(b.uplink, sizeof(b.uplink), "%s", uplink);
	assert_int_equal(reg_mac_parse(mac, b.mac), 0);
	return reg_bind(reg, &b, err);
}

/* Two networks on physnet1 (A: typeid 100 vlan 10, B: typeid 200 vlan 20)
 * and one on physnet2; eth4 reaches physnet1, eth5 physnet2. */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->reg = reg_new(&ops, &f->rec);
	add_profile_qbg(f->reg, "prof-a", 100, 0);
	add_profile_qbg(f->reg, "prof-b", 200, 0);
	add_network(f->reg, "net-a", "physnet1", "prof-a", 10);
	add_network(f->reg, "net-b", "physnet1", "prof-b", 20);
	add_network(f->reg, "net-c", "physnet2", "prof-a", 30);
	add_uplink(f->reg, "eth4", "physnet1");
	add_uplink(f->reg, "eth5", "physnet2");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	reg_free(f->reg);
	free(f);
	return 0;
}

static void test_text_helpers(void **state)
{
	uint8_t u[16], m[6];
	char s[REG_UUID_STRLEN + 1], ms[18];

	(void)state;
	assert_int_equal(reg_uuid_canon("0B3C9E2A-1111-4D4D-8E8E-00000000000A", s), 0);
	assert_string_equal(s, "0b3c9e2a-1111-4d4d-8e8e-00000000000a");
	assert_int_equal(reg_uuid_parse(VM1, u), 0);
	assert_int_equal(u[0], 0x0b);
	assert_int_equal(u[15], 0x01);
	assert_int_equal(reg_uuid_parse("0b3c9e2a-1111-4d4d-8e8e-00000000000", u), -EINVAL);
	assert_int_equal(reg_uuid_parse("0b3c9e2a11114d4d8e8e000000000001xxxx", u), -EINVAL);
	assert_int_equal(reg_uuid_parse("0b3c9e2a-1111-4d4d-8e8e-00000000000g", u), -EINVAL);
	/* The one UUID rule (vdp_txt_uuid_parse), as vsi show takes it: 32
	 * hex digits with or without the dashes. */
	assert_int_equal(reg_uuid_canon("0b3c9e2a11114d4d8e8e000000000001", s), 0);
	assert_string_equal(s, VM1);
	assert_int_equal(reg_uuid_parse(NULL, u), -EINVAL);
	assert_int_equal(reg_mac_parse("52:54:00:AB:cd:01", m), 0);
	reg_mac_format(m, ms);
	assert_string_equal(ms, "52:54:00:ab:cd:01");
	assert_int_equal(reg_mac_parse("52:54:00:ab:cd", m), -EINVAL);
	assert_int_equal(reg_mac_parse("52-54-00-ab-cd-01", m), -EINVAL);
	assert_true(reg_name_valid("enterprise-xyz"));
	assert_false(reg_name_valid(""));
	assert_false(reg_name_valid("has space"));
	assert_false(reg_name_valid("a/b"));
}

static void test_profile_validation(void **state)
{
	struct fx *f = *state;
	struct reg_profile p = { .type = REG_VPORT_QBG, .typeid = 0x1000000 };
	struct reg_err err;
	const struct reg_profile *got;

	strcpy(p.name, "too-big");
	assert_int_equal(reg_profile_add(f->reg, &p, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "typeid 16777216 out of range"));
	p.typeid = 0xffffff;
	p.vlan = 4095;
	assert_int_equal(reg_profile_add(f->reg, &p, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "vlan 4095"));
	p.vlan = 0;
	/* an 802.1Qbg profile may carry an 802.1Qbh profileid too, checked as one */
	strcpy(p.profileid, "x y");
	assert_int_equal(reg_profile_add(f->reg, &p, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "profileid has a non-printable or space character"));
	p.profileid[0] = 0;
	assert_int_equal(reg_profile_add(f->reg, &p, &err), 0);
	got = reg_profile_get(f->reg, "too-big");
	assert_non_null(got);
	assert_int_equal(got->typeid, 0xffffff);
	assert_int_equal(got->filter_fmt, 2);	/* default MAC/VID */
	assert_int_equal(reg_profile_add(f->reg, &p, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "already exists"));

	/* 802.1Qbh: profileid 1..39 characters, no Qbg parameters. */
	memset(&p, 0, sizeof(p));
	p.type = REG_VPORT_QBH;
	strcpy(p.name, "enterprise-xyz");
	assert_int_equal(reg_profile_add(f->reg, &p, &err), -EINVAL);
	memset(p.profileid, 'a', REG_QBH_PROFILEID_MAX);
	p.typeid = 5;
	assert_int_equal(reg_profile_add(f->reg, &p, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "802.1Qbg parameters"));
	p.typeid = 0;
	assert_int_equal(reg_profile_add(f->reg, &p, &err), 0);
	assert_int_equal(strlen(reg_profile_get(f->reg, "enterprise-xyz")->profileid), 39);

	/* In use by a network: not removable. */
	assert_int_equal(reg_profile_del(f->reg, "prof-a", &err), -EBUSY);
	assert_non_null(strstr(err.msg, "used by network"));
	assert_int_equal(reg_profile_del(f->reg, "enterprise-xyz", &err), 0);
	assert_null(reg_profile_get(f->reg, "enterprise-xyz"));
	assert_int_equal(reg_profile_del(f->reg, "enterprise-xyz", &err), -ENOENT);
}

static void test_network_and_port_validation(void **state)
{
	struct fx *f = *state;
	struct reg_network n = { 0 };
	struct reg_port p = { 0 };
	struct reg_err err;

	strcpy(n.name, "net-x");
	strcpy(n.physnet, "physnet1");
	strcpy(n.profile, "nope");
	assert_int_equal(reg_network_add(f->reg, &n, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "profile 'nope' does not exist"));
	strcpy(n.profile, "prof-a");
	strcpy(n.uuid, "not-a-uuid");
	assert_int_equal(reg_network_add(f->reg, &n, &err), -EINVAL);
	strcpy(n.uuid, "AAAAAAAA-1111-4d4d-8e8e-000000000009");
	assert_int_equal(reg_network_add(f->reg, &n, &err), 0);
	/* By name and by UUID (any case). */
	assert_ptr_equal(reg_network_get(f->reg, "net-x"),
			 reg_network_get(f->reg, "aaaaaaaa-1111-4d4d-8e8e-000000000009"));
	assert_ptr_equal(reg_network_get(f->reg, "net-x"),
			 reg_network_get(f->reg, "AAAAAAAA-1111-4D4D-8E8E-000000000009"));
	strcpy(n.name, "net-y");
	assert_int_equal(reg_network_add(f->reg, &n, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "already network 'net-x'"));

	strcpy(p.uuid, PORT1);
	strcpy(p.network, "aaaaaaaa-1111-4d4d-8e8e-000000000009");
	assert_int_equal(reg_port_add(f->reg, &p, &err), 0);
	assert_string_equal(reg_port_get(f->reg, PORT1)->network, "net-x");
	assert_int_equal(reg_network_del(f->reg, "net-x", &err), -EBUSY);
	assert_non_null(strstr(err.msg, "still has port"));
	assert_int_equal(reg_port_del(f->reg, PORT1, &err), 0);
	assert_int_equal(reg_network_del(f->reg, "aaaaaaaa-1111-4d4d-8e8e-000000000009", &err), 0);
	assert_null(reg_network_get(f->reg, "net-x"));
	assert_null(reg_network_get(f->reg, "aaaaaaaa-1111-4d4d-8e8e-000000000009"));
}

static void check_vsi(const struct reg_vsi *v, const char *id, uint32_t typeid, uint16_t vlan, const char *mac,
		      const char *network)
{
	char m[18];
	uint8_t u[16];

	assert_string_equal(v->iface_id, id);
	assert_int_equal(reg_uuid_parse(id, u), 0);
	assert_memory_equal(v->instance, u, 16);
	assert_int_equal(v->type, REG_VPORT_QBG);
	assert_int_equal(v->mgrid, 11);
	assert_int_equal(v->typeid, typeid);
	assert_int_equal(v->typeidver, 2);
	assert_int_equal(v->vlan, vlan);
	reg_mac_format(v->mac, m);
	assert_string_equal(m, mac);
	assert_string_equal(v->network, network);
	assert_string_equal(v->uplink, "eth4");
	assert_int_equal(v->mode, REG_MODE_VEPA);
}

static void test_attach_then_bind(void **state)
{
	struct fx *f = *state;
	struct reg_err err;

	assert_int_equal(attach(f->reg, VM1, "net-a", &err), 0);
	/* Attachment before binding: waits. */
	assert_int_equal(f->rec.n, 0);
	assert_null(reg_vsi_get(f->reg, VM1));
	assert_int_equal(do_bind(f->reg, VM1, "macvtap0", "52:54:00:00:00:01", "eth4", &err), 0);
	assert_int_equal(f->rec.n, 1);
	assert_false(f->rec.ev[0].has_old);
	assert_true(f->rec.ev[0].has_new);
	check_vsi(&f->rec.ev[0].cur, VM1, 100, 10, "52:54:00:00:00:01", "net-a");
	assert_string_equal(f->rec.ev[0].cur.dev, "macvtap0");
	assert_non_null(reg_vsi_get(f->reg, VM1));
}

static void test_bind_then_attach_move_detach(void **state)
{
	struct fx *f = *state;
	struct reg_err err;

	assert_int_equal(do_bind(f->reg, VM1, "macvtap0", "52:54:00:00:00:01", "eth4", &err), 0);
	assert_int_equal(f->rec.n, 0);
	assert_int_equal(attach(f->reg, VM1, "net-a", &err), 0);
	assert_int_equal(f->rec.n, 1);
	check_vsi(&f->rec.ev[0].cur, VM1, 100, 10, "52:54:00:00:00:01", "net-a");

	/* Same network again: nothing changes. */
	assert_int_equal(attach(f->reg, VM1, "net-a", &err), 0);
	assert_int_equal(f->rec.n, 1);

	/* Move: de-associate old (A), associate new (B) in one report. */
	assert_int_equal(attach(f->reg, VM1, "net-b", &err), 0);
	assert_int_equal(f->rec.n, 2);
	assert_true(f->rec.ev[1].has_old && f->rec.ev[1].has_new);
	check_vsi(&f->rec.ev[1].old, VM1, 100, 10, "52:54:00:00:00:01", "net-a");
	check_vsi(&f->rec.ev[1].cur, VM1, 200, 20, "52:54:00:00:00:01", "net-b");

	/* Detach: de-associate. */
	assert_int_equal(reg_detach(f->reg, VM1, &err), 0);
	assert_int_equal(f->rec.n, 3);
	assert_true(f->rec.ev[2].has_old);
	assert_false(f->rec.ev[2].has_new);
	check_vsi(&f->rec.ev[2].old, VM1, 200, 20, "52:54:00:00:00:01", "net-b");
	assert_null(reg_vsi_get(f->reg, VM1));
	assert_int_equal(reg_detach(f->reg, VM1, &err), -ENOENT);
	/* Still bound: re-attaching associates again. */
	assert_int_equal(attach(f->reg, VM1, "net-a", &err), 0);
	assert_int_equal(f->rec.n, 4);
	assert_true(f->rec.ev[3].has_new);
}

static void test_unbind_deassociates(void **state)
{
	struct fx *f = *state;
	struct reg_err err;

	assert_int_equal(attach(f->reg, VM1, "net-a", &err), 0);
	assert_int_equal(do_bind(f->reg, VM1, "macvtap0", "52:54:00:00:00:01", "eth4", &err), 0);
	assert_int_equal(attach(f->reg, VM2, "net-a", &err), 0);
	assert_int_equal(do_bind(f->reg, VM2, "macvtap1", "52:54:00:00:00:02", "eth4", &err), 0);
	assert_int_equal(f->rec.n, 2);
	assert_int_equal(reg_unbind(f->reg, VM1, &err), 0);
	assert_int_equal(f->rec.n, 3);
	assert_true(f->rec.ev[2].has_old);
	assert_false(f->rec.ev[2].has_new);
	assert_string_equal(f->rec.ev[2].old.iface_id, VM1);
	/* VM2 untouched; VM1's attachment stays and waits for a new binding. */
	assert_non_null(reg_vsi_get(f->reg, VM2));
	assert_non_null(reg_attachment_get(f->reg, VM1));
	assert_int_equal(reg_unbind(f->reg, VM1, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "not bound"));
}

static void test_binding_conflicts(void **state)
{
	struct fx *f = *state;
	struct reg_err err;

	assert_int_equal(do_bind(f->reg, VM1, "macvtap0", "52:54:00:00:00:01", "eth4", &err), 0);
	/* Same binding again (libvirtd restart re-runs hooks): accepted. */
	assert_int_equal(do_bind(f->reg, VM1, "macvtap0", "52:54:00:00:00:01", "eth4", &err), 0);
	assert_int_equal(reg_generation(f->reg) > 0, 1);
	/* Different binding of a bound interface. */
	assert_int_equal(do_bind(f->reg, VM1, "macvtap9", "52:54:00:00:00:01", "eth4", &err), -EEXIST);
	assert_non_null(strstr(err.msg, "already bound to macvtap0"));
	/* Same MAC on the same uplink for another interface. */
	assert_int_equal(do_bind(f->reg, VM2, "macvtap1", "52:54:00:00:00:01", "eth4", &err), -EEXIST);
	assert_non_null(strstr(err.msg, "already bound to interface " VM1));
	/* Group MAC, zero MAC, unknown uplink, bad iface-id. */
	assert_int_equal(do_bind(f->reg, VM2, "macvtap1", "01:00:5e:00:00:01", "eth4", &err), -EINVAL);
	assert_int_equal(do_bind(f->reg, VM2, "macvtap1", "00:00:00:00:00:00", "eth4", &err), -EINVAL);
	assert_int_equal(do_bind(f->reg, VM2, "macvtap1", "52:54:00:00:00:02", "eth9", &err), -ENOENT);
	assert_non_null(strstr(err.msg, "not a registered host uplink"));
	assert_int_equal(do_bind(f->reg, "vm2", "macvtap1", "52:54:00:00:00:02", "eth4", &err), -EINVAL);
	assert_non_null(reg_binding_by_mac(f->reg, "eth4", (const uint8_t[]){ 0x52, 0x54, 0, 0, 0, 1 }));
	assert_null(reg_binding_by_mac(f->reg, "eth5", (const uint8_t[]){ 0x52, 0x54, 0, 0, 0, 1 }));
	/* Uplink with a binding: not removable. */
	assert_int_equal(reg_uplink_del(f->reg, "eth4", &err), -EBUSY);
}

/* The device of a binding is an interface name: 1-15 printable octets,
 * no '/' (a path) and no ':' (an alias); anything else is refused and
 * nothing is bound. */
static void test_binding_device_name(void **state)
{
	struct fx *f = *state;
	struct reg_err err;
	struct reg_binding b = { 0 };

	assert_int_equal(do_bind(f->reg, VM1, "a/b", "52:54:00:00:00:01", "eth4", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "device name 'a/b' invalid"));
	assert_int_equal(do_bind(f->reg, VM1, "x:y", "52:54:00:00:00:01", "eth4", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "device name 'x:y' invalid"));
	assert_int_equal(do_bind(f->reg, VM1, "mac vtap", "52:54:00:00:00:01", "eth4", &err),
			 -EINVAL);
	/* 16 octets fill dev[IFNAMSIZ] with no room for the terminator */
	snprintf(b.iface_id, sizeof(b.iface_id), "%s", VM1);
	memcpy(b.dev, "macvtap012345678", IFNAMSIZ);
	snprintf(b.uplink, sizeof(b.uplink), "eth4");
	assert_int_equal(reg_mac_parse("52:54:00:00:00:01", b.mac), 0);
	assert_int_equal(reg_bind(f->reg, &b, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "device name 'macvtap012345678' invalid"));
	assert_null(reg_binding_get(f->reg, VM1));
	/* 15 octets and an unknown device ("") are fine */
	assert_int_equal(do_bind(f->reg, VM1, "macvtap01234567", "52:54:00:00:00:01", "eth4", &err),
			 0);
	assert_int_equal(do_bind(f->reg, VM2, "", "52:54:00:00:00:02", "eth4", &err), 0);
}

static void test_physnet_mismatch_refused(void **state)
{
	struct fx *f = *state;
	struct reg_err err;

	/* net-c is on physnet2, eth4 reaches physnet1. */
	assert_int_equal(attach(f->reg, VM1, "net-c", &err), 0);
	assert_int_equal(do_bind(f->reg, VM1, "macvtap0", "52:54:00:00:00:01", "eth4", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "physical network 'physnet1' but network 'net-c' is on 'physnet2'"));
	assert_null(reg_binding_get(f->reg, VM1));
	assert_int_equal(do_bind(f->reg, VM1, "macvtap0", "52:54:00:00:00:01", "eth5", &err), 0);
	assert_int_equal(f->rec.n, 1);
	assert_string_equal(f->rec.ev[0].cur.uplink, "eth5");
	assert_int_equal(f->rec.ev[0].cur.vlan, 30);
	/* Moving it to a network eth5 does not reach is refused; VSI kept. */
	assert_int_equal(attach(f->reg, VM1, "net-a", &err), -EINVAL);
	assert_string_equal(reg_attachment_get(f->reg, VM1)->network, "net-c");
	assert_int_equal(f->rec.n, 1);
}

static void test_profile_change_reassociates(void **state)
{
	struct fx *f = *state;
	struct reg_profile p = { .type = REG_VPORT_QBG, .mgrid = 11, .typeid = 101, .typeidver = 3 };
	struct reg_network n = { .vlan = 0 };
	struct reg_err err;

	assert_int_equal(attach(f->reg, VM1, "net-a", &err), 0);
	assert_int_equal(do_bind(f->reg, VM1, "macvtap0", "52:54:00:00:00:01", "eth4", &err), 0);
	strcpy(p.name, "prof-a");
	assert_int_equal(reg_profile_set(f->reg, &p, &err), 0);
	assert_int_equal(f->rec.n, 2);
	assert_int_equal(f->rec.ev[1].old.typeid, 100);
	assert_int_equal(f->rec.ev[1].cur.typeid, 101);
	assert_int_equal(f->rec.ev[1].cur.typeidver, 3);
	/* Network VLAN 0: the profile's (0 = switch chooses). */
	strcpy(n.name, "net-a");
	strcpy(n.physnet, "physnet1");
	strcpy(n.profile, "prof-a");
	assert_int_equal(reg_network_set(f->reg, &n, &err), 0);
	assert_int_equal(f->rec.n, 3);
	assert_int_equal(f->rec.ev[2].cur.vlan, 0);
	/* Moving the network to physnet2 would strand VM1: refused. */
	strcpy(n.physnet, "physnet2");
	assert_int_equal(reg_network_set(f->reg, &n, &err), -EBUSY);
	assert_non_null(strstr(err.msg, VM1));
	/* Unchanged reconcile reports nothing. */
	reg_reconcile(f->reg);
	assert_int_equal(f->rec.n, 3);
}

static void test_ports(void **state)
{
	struct fx *f = *state;
	struct reg_port p = { 0 };
	struct reg_attachment a = { 0 };
	struct reg_err err;

	strcpy(p.uuid, PORT1);
	strcpy(p.network, "net-a");
	assert_int_equal(reg_port_add(f->reg, &p, &err), 0);
	strcpy(a.iface_id, VM1);
	strcpy(a.network, "net-b");
	strcpy(a.port, PORT1);
	assert_int_equal(reg_attach(f->reg, &a, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "is on network 'net-a'"));
	strcpy(a.network, "net-a");
	assert_int_equal(reg_attach(f->reg, &a, &err), 0);
	strcpy(a.iface_id, VM2);
	assert_int_equal(reg_attach(f->reg, &a, &err), -EBUSY);
	assert_int_equal(reg_port_del(f->reg, PORT1, &err), -EBUSY);
	assert_int_equal(reg_detach(f->reg, VM1, &err), 0);
	assert_int_equal(reg_attach(f->reg, &a, &err), 0);
	assert_string_equal(reg_attachment_get(f->reg, VM2)->port, PORT1);
}

static void test_config_entries_protected(void **state)
{
	struct fx *f = *state;
	struct reg_profile p = { .type = REG_VPORT_QBG, .typeid = 7, .origin = REG_ORIGIN_CONFIG };
	struct reg_err err;

	strcpy(p.name, "static");
	assert_int_equal(reg_profile_add(f->reg, &p, &err), 0);
	assert_int_equal(reg_profile_del(f->reg, "static", &err), -EPERM);
	assert_non_null(strstr(err.msg, "configuration file"));
	p.origin = REG_ORIGIN_RUNTIME;
	assert_int_equal(reg_profile_set(f->reg, &p, &err), -EPERM);
}

static void test_many_lookups(void **state)
{
	struct fx *f = *state;
	struct reg_err err;
	struct reg_counts c;
	char id[REG_UUID_STRLEN + 1], mac[18];

	/* Enough entries to grow the hash tables several times. */
	for (int i = 0; i < 2000; i++) {
		snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012x", i);
		snprintf(mac, sizeof(mac), "52:54:00:00:%02x:%02x", i >> 8, i & 0xff);
		assert_int_equal(attach(f->reg, id, (i & 1) ? "net-a" : "net-b", &err), 0);
		assert_int_equal(do_bind(f->reg, id, "macvtap0", mac, "eth4", &err), 0);
	}
	reg_get_counts(f->reg, &c);
	assert_int_equal(c.attachments, 2000);
	assert_int_equal(c.bindings, 2000);
	assert_int_equal(c.vsis, 2000);
	assert_int_equal(f->rec.total, 2000);
	assert_int_equal(reg_vsi_get(f->reg, "00000000-0000-4000-8000-0000000007cf")->typeid, 100);
	assert_int_equal(reg_vsi_get(f->reg, "00000000-0000-4000-8000-0000000007ce")->typeid, 200);
}

/* ---- policy ---- */

static void plug_vm1(struct fx *f)
{
	struct reg_err err;

	assert_int_equal(attach(f->reg, VM1, "net-a", &err), 0);
	assert_int_equal(do_bind(f->reg, VM1, "macvtap0", "52:54:00:00:00:01", "eth4", &err), 0);
}

static void test_policy_off(void **state)
{
	struct fx *f = *state;
	uint8_t u[16], mac[6] = { 0x52, 0x54, 0, 0, 0, 9 };
	struct reg_err why;

	reg_uuid_parse(VM2, u);
	assert_int_equal(reg_get_policy(f->reg), REG_POLICY_OFF);
	assert_int_equal(reg_check_request(f->reg, "eth4", mac, 99, 1, 2, 3, u, &why), 0);
	assert_null(reg_binding_get(f->reg, VM2));
}

static void test_policy_enforce(void **state)
{
	struct fx *f = *state;
	uint8_t u[16], mac[6] = { 0x52, 0x54, 0, 0, 0, 1 };
	struct reg_err why;

	reg_set_policy(f->reg, REG_POLICY_ENFORCE);
	reg_uuid_parse(VM1, u);
	assert_int_equal(reg_check_request(f->reg, "eth4", mac, 10, 11, 100, 2, u, &why), -EACCES);
	assert_non_null(strstr(why.msg, "not attached"));
	plug_vm1(f);
	assert_int_equal(reg_check_request(f->reg, "eth4", mac, 10, 11, 100, 2, u, &why), 0);
	/* VID 0: the bridge chooses. */
	assert_int_equal(reg_check_request(f->reg, "eth4", mac, 0, 11, 100, 2, u, &why), 0);
	assert_int_equal(reg_check_request(f->reg, "eth4", mac, 11, 11, 100, 2, u, &why), -EACCES);
	assert_non_null(strstr(why.msg, "request vlan 11, network 'net-a' has vlan 10"));
	assert_int_equal(reg_check_request(f->reg, "eth4", mac, 10, 11, 200, 2, u, &why), -EACCES);
	assert_non_null(strstr(why.msg, "typeid 200"));
	assert_int_equal(reg_check_request(f->reg, "eth5", mac, 10, 11, 100, 2, u, &why), -EACCES);
	assert_non_null(strstr(why.msg, "bound on uplink eth4"));
	mac[5] = 2;
	assert_int_equal(reg_check_request(f->reg, "eth4", mac, 10, 11, 100, 2, u, &why), -EACCES);
	assert_non_null(strstr(why.msg, "bound mac 52:54:00:00:00:01"));
}

static void test_policy_learn(void **state)
{
	struct fx *f = *state;
	uint8_t u[16], mac[6] = { 0x52, 0x54, 0, 0, 0, 7 };
	struct reg_err why;
	const struct reg_binding *b;

	reg_set_policy(f->reg, REG_POLICY_LEARN);
	reg_uuid_parse(VM2, u);
	assert_int_equal(attach(f->reg, VM2, "net-a", &why), 0);
	assert_int_equal(reg_check_request(f->reg, "eth4", mac, 0, 1, 2, 3, u, &why), 0);
	b = reg_binding_get(f->reg, VM2);
	assert_non_null(b);
	assert_int_equal(b->origin, REG_ORIGIN_LEARNED);
	assert_string_equal(b->uplink, "eth4");
	assert_memory_equal(b->mac, mac, 6);
	/* The learned binding meets the attachment: a desired VSI. */
	assert_int_equal(f->rec.n, 1);
	assert_string_equal(f->rec.ev[0].cur.iface_id, VM2);
	/* Same request again: accepted; a different MAC is refused. */
	assert_int_equal(reg_check_request(f->reg, "eth4", mac, 0, 1, 2, 3, u, &why), 0);
	mac[5] = 8;
	assert_int_equal(reg_check_request(f->reg, "eth4", mac, 0, 1, 2, 3, u, &why), -EACCES);
	/* Unknown uplink: passes, not learned. */
	reg_uuid_parse(VM1, u);
	assert_int_equal(reg_check_request(f->reg, "eth9", mac, 0, 1, 2, 3, u, &why), 0);
	assert_non_null(strstr(why.msg, "not learned"));
	assert_null(reg_binding_get(f->reg, VM1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_helpers),
		cmocka_unit_test_setup_teardown(test_profile_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_network_and_port_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_then_bind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_then_attach_move_detach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unbind_deassociates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binding_conflicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binding_device_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_physnet_mismatch_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_profile_change_reassociates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_entries_protected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_lookups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_enforce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_learn, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
