/* vdp/qbh: the 802.1Qbh RTM_SETLINK byte for byte (layout of reference
 * A.1.2 without IFLA_VFINFO_LIST), the status reply parser, the VF -> PF
 * lookup on a fake sysfs, machine-id, and the real kernel in a private
 * network namespace: a veth has no ndo_set_vf_port, so the answer is
 * -EOPNOTSUPP and the backend must say so. */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "profiles/reg_ctl.h"
#include "vdp/daemon/realize.h"
#include "profiles/registry.h"
#include "vdp/base/codec.h"
#include "vdp/ctl/ctl.h"
#include "vdp/base/log.h"
#include "vdp/wire/nl_parse.h"
#include "vdp/io/qbh.h"
#include "vdp/daemon/vdpd.h"

static const uint8_t inst[16] = { 0x09, 0xb1, 0x1c, 0x53, 0x8b, 0x5c, 0x4e, 0xeb,
				  0x8f, 0x00, 0xd8, 0x4e, 0xaa, 0x0a, 0xaa, 0x4f };
static const uint8_t host[16] = { 0xa1, 0xa2, 0xa3, 0xa4, 0xb1, 0xb2, 0xc1, 0xc2,
				  0xd1, 0xd2, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6 };

/* ASSOCIATE of profile "finance" on ifindex 14, PORT_SELF, seq 0x65. */
static const uint8_t self_assoc[96] = {
	0x60, 0x00, 0x00, 0x00, 0x13, 0x00, 0x05, 0x00,	/* len 96, SETLINK, REQUEST|ACK */
	0x65, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* seq, nlmsg_pid 0 */
	0x00, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00,	/* ifinfomsg, index 14 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x40, 0x00, 0x19, 0x80,				/* PORT_SELF|NESTED, 64 */
	0x0c, 0x00, 0x02, 0x00, 'f', 'i', 'n', 'a', 'n', 'c', 'e', 0x00,	/* PROFILE, 12 */
	0x14, 0x00, 0x04, 0x00, 0x09, 0xb1, 0x1c, 0x53, 0x8b, 0x5c, 0x4e, 0xeb,	/* INSTANCE_UUID */
	0x8f, 0x00, 0xd8, 0x4e, 0xaa, 0x0a, 0xaa, 0x4f,
	0x14, 0x00, 0x05, 0x00, 0xa1, 0xa2, 0xa3, 0xa4, 0xb1, 0xb2, 0xc1, 0xc2,	/* HOST_UUID */
	0xd1, 0xd2, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6,
	0x05, 0x00, 0x06, 0x00, 0x02, 0x00, 0x00, 0x00,	/* REQUEST = ASSOCIATE */
};

/* DISASSOCIATE of VF 3 of ifindex 7: only PORT_VF and REQUEST. */
static const uint8_t vf_disassoc[56] = {
	0x38, 0x00, 0x00, 0x00, 0x13, 0x00, 0x05, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x18, 0x00, 0x18, 0x80,				/* VF_PORTS|NESTED, 24 */
	0x14, 0x00, 0x01, 0x80,				/* VF_PORT|NESTED, 20 */
	0x08, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00,	/* PORT_VF = 3 */
	0x05, 0x00, 0x06, 0x00, 0x03, 0x00, 0x00, 0x00,	/* REQUEST = DISASSOCIATE */
};

static void req_init(struct qbh_req *r, int ifindex, int32_t vf, bool assoc)
{
	memset(r, 0, sizeof(*r));
	r->dev = r->target = "eth4";
	r->ifindex = ifindex;
	r->vf = vf;
	r->profile = "finance";
	memcpy(r->instance, inst, 16);
	memcpy(r->host_uuid, host, 16);
	r->has_host_uuid = true;
	r->associate = assoc;
}

static void test_build_self_associate(void **state)
{
	(void)state;
	struct qbh_req r;
	uint8_t buf[256];
	struct wbuf w;

	req_init(&r, 14, QBH_SELF_VF, true);
	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(qbh_build_setlink(&w, 0x65, 0, &r), NLP_OK);
	assert_int_equal(w.len, sizeof(self_assoc));
	assert_memory_equal(buf, self_assoc, sizeof(self_assoc));
}

static void test_build_vf_disassociate(void **state)
{
	(void)state;
	struct qbh_req r;
	uint8_t buf[256];
	struct wbuf w;

	req_init(&r, 7, 3, false);
	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(qbh_build_setlink(&w, 2, 0, &r), NLP_OK);
	assert_int_equal(w.len, sizeof(vf_disassoc));
	assert_memory_equal(buf, vf_disassoc, sizeof(vf_disassoc));
}

/* The kernel's policy: PROFILE at most 40 octets with the NUL (B.2). */
static void test_build_profile_limits(void **state)
{
	(void)state;
	char p39[40], p40[41];
	struct qbh_req r;
	uint8_t buf[256];
	struct wbuf w;

	memset(p39, 'x', 39);
	p39[39] = 0;
	memset(p40, 'y', 40);
	p40[40] = 0;
	req_init(&r, 14, QBH_SELF_VF, true);
	r.profile = p39;
	r.has_host_uuid = false;
	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(qbh_build_setlink(&w, 1, 0, &r), NLP_OK);
	/* PORT_SELF nest, then PROFILE with nla_len 44 */
	assert_int_equal(buf[32 + 4] | buf[32 + 5] << 8, 44);
	assert_int_equal(buf[32 + 6], IFLA_PORT_PROFILE);
	assert_int_equal(buf[32 + 8 + 39], 0);
	/* no HOST_UUID: nest = 4 + 44 + 20 + 8 */
	assert_int_equal(buf[32] | buf[33] << 8, 76);
	assert_int_equal(w.len, 32 + 76);
	r.profile = p40;
	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(qbh_build_setlink(&w, 1, 0, &r), -EINVAL);
	r.profile = "";
	assert_int_equal(qbh_build_setlink(&w, 1, 0, &r), -EINVAL);
	/* overflow of the caller's buffer */
	r.profile = "finance";
	wbuf_init(&w, buf, 60);
	assert_int_equal(qbh_build_setlink(&w, 1, 0, &r), CODEC_E_NO_SPACE);
}

/* An enic-like GETLINK answer: IFLA_PORT_SELF{REQUEST (u16, as enic puts
 * it), RESPONSE 0x101, PROFILE 40 octets}. */
static void test_parse_port_self_reply(void **state)
{
	(void)state;
	uint8_t b[128] = {
		0, 0, 0, 0, RTM_NEWLINK, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0x0e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	size_t n = 32, nest = n;
	b[n + 2] = IFLA_PORT_SELF;
	n += 4;
	uint8_t a1[] = { 6, 0, IFLA_PORT_REQUEST, 0, 2, 0, 0, 0 };
	memcpy(b + n, a1, 8);
	n += 8;
	uint8_t a2[] = { 6, 0, IFLA_PORT_RESPONSE, 0, 0x01, 0x01, 0, 0 };
	memcpy(b + n, a2, 8);
	n += 8;
	b[n] = 44;
	b[n + 2] = IFLA_PORT_PROFILE;
	memcpy(b + n + 4, "finance", 7);
	n += 44;
	b[nest] = (uint8_t)(n - nest);
	b[0] = (uint8_t)n;

	struct nlp_port ports[2];
	struct nlp_status_reply r = { .ports = ports, .cap = 2 };
	assert_int_equal(nlp_parse_reply(b, n, &r), NLP_OK);
	assert_int_equal(r.type, RTM_NEWLINK);
	assert_true(r.has_port_self);
	assert_false(r.has_vf_ports);
	assert_true(r.self.has_response);
	assert_int_equal(r.self.response, QBH_RESP_INPROGRESS);
	assert_int_equal(r.self.request, NLP_REQ_ASSOCIATE);
	assert_string_equal(r.self.profile, "finance");
	assert_string_equal(qbh_response_name(r.self.response), "in progress");
	assert_string_equal(qbh_response_name(QBH_RESP_SUCCESS), "success");
}

static char tmpdir[64];

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_host_uuid(void **state)
{
	(void)state;
	char path[128];
	uint8_t u[16];

	snprintf(path, sizeof(path), "%s/machine-id", tmpdir);
	put_file(path, "a1a2a3a4b1b2c1c2d1d2e1e2e3e4e5e6\n");
	assert_int_equal(qbh_host_uuid(path, u), 0);
	assert_memory_equal(u, host, 16);
	put_file(path, "a1a2a3a4b1b2c1c2d1d2e1e2e3e4e5\n");
	assert_int_equal(qbh_host_uuid(path, u), -EINVAL);
	put_file(path, "a1a2a3a4b1b2c1c2d1d2e1e2e3e4e5e6ff\n");
	assert_int_equal(qbh_host_uuid(path, u), -EINVAL);
	snprintf(path, sizeof(path), "%s/none", tmpdir);
	assert_int_equal(qbh_host_uuid(path, u), -ENOENT);
}

/* sysfs as the kernel lays it out: class/net/<dev>/device -> the PCI
 * function; a VF's device/physfn -> its PF, which has virtfnN links and
 * net/<pf netdev>. */
static void test_target_sysfs(void **state)
{
	(void)state;
	char p[256], q[256], pf[16];
	int32_t vf;
	const char *pci[] = { "0000:01:00.0", "0000:01:10.0", "0000:01:10.2", "0000:01:10.4" };

	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/pci/%s", tmpdir, pci[i]);
		assert_int_equal(mkdir(p, 0755) == 0 || errno == EEXIST, 1);
	}
	snprintf(p, sizeof(p), "%s/pci/%s/net", tmpdir, pci[0]);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/pci/%s/net/enp1s0", tmpdir, pci[0]);
	mkdir(p, 0755);
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/pci/%s/virtfn%d", tmpdir, pci[0], i);
		snprintf(q, sizeof(q), "../%s", pci[i + 1]);
		assert_int_equal(symlink(q, p), 0);
		snprintf(p, sizeof(p), "%s/pci/%s/physfn", tmpdir, pci[i + 1]);
		snprintf(q, sizeof(q), "../%s", pci[0]);
		assert_int_equal(symlink(q, p), 0);
	}
	snprintf(p, sizeof(p), "%s/net", tmpdir);
	mkdir(p, 0755);
	const char *devs[] = { "enp1s0", "enp1s0v0", "enp1s0v1", "enp1s0v2" };
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/net/%s", tmpdir, devs[i]);
		mkdir(p, 0755);
		snprintf(p, sizeof(p), "%s/net/%s/device", tmpdir, devs[i]);
		snprintf(q, sizeof(q), "../../pci/%s", pci[i]);
		assert_int_equal(symlink(q, p), 0);
	}
	snprintf(p, sizeof(p), "%s/net/macvtap0", tmpdir);
	mkdir(p, 0755);

	snprintf(p, sizeof(p), "%s/net", tmpdir);
	assert_int_equal(qbh_target(p, "enp1s0v2", pf, &vf), 0);
	assert_string_equal(pf, "enp1s0");
	assert_int_equal(vf, 2);
	assert_int_equal(qbh_target(p, "enp1s0v0", pf, &vf), 0);
	assert_string_equal(pf, "enp1s0");
	assert_int_equal(vf, 0);
	assert_int_equal(qbh_target(p, "enp1s0", pf, &vf), 0);
	assert_string_equal(pf, "enp1s0");
	assert_int_equal(vf, QBH_SELF_VF);
	assert_int_equal(qbh_target(p, "macvtap0", pf, &vf), 0);
	assert_string_equal(pf, "macvtap0");
	assert_int_equal(vf, QBH_SELF_VF);
	assert_int_equal(qbh_target(p, "../x", pf, &vf), -EINVAL);
}

/* The real kernel, in a network namespace of our own (gone when this
 * process exits).  Skipped without CAP_SYS_ADMIN. */
static void test_kernel_veth_eopnotsupp(void **state)
{
	(void)state;
	char name[IFNAMSIZ], peer[IFNAMSIZ], cmd[128], want[200];
	struct qbh_result res;
	struct qbh_req r;

	if (unshare(CLONE_NEWNET) < 0)
		skip();
	snprintf(name, sizeof(name), "qbh%d", (int)getpid() % 100000);
	snprintf(peer, sizeof(peer), "qbp%d", (int)getpid() % 100000);
	snprintf(cmd, sizeof(cmd), "ip link add %s type veth peer name %s", name, peer);
	if (system(cmd) != 0)
		skip();
	struct qbh_counters c0 = *qbh_counters();

	/* through the registry's entry point: no VF -> the uplink, PORT_SELF */
	assert_int_equal(qbh_apply_dev("", name, "finance", inst, true, &res), -EOPNOTSUPP);
	snprintf(want, sizeof(want), "%s does not support port profiles (802.1Qbh): Operation not supported", name);
	assert_string_equal(res.msg, want);
	assert_false(res.has_response);

	assert_int_equal(qbh_apply_dev("", name, "finance", inst, false, &res), -EOPNOTSUPP);
	assert_string_equal(res.msg, want);

	/* IFLA_VF_PORTS: same answer (B.2) */
	req_init(&r, (int)if_nametoindex(name), 1, true);
	r.dev = r.target = name;
	assert_int_equal(qbh_apply(&r, &res), -EOPNOTSUPP);
	snprintf(want, sizeof(want),
		 "%s (VF 1 of %s) does not support port profiles (802.1Qbh): Operation not supported", name, name);
	assert_string_equal(res.msg, want);

	/* no such device: never reaches the kernel */
	assert_int_equal(qbh_apply_dev("", "qbhnone0", "finance", inst, true, &res), -ENODEV);
	assert_non_null(strstr(res.msg, "qbhnone0: no device for 802.1Qbh associate"));

	const struct qbh_counters *c = qbh_counters();
	assert_int_equal(c->requests - c0.requests, 4);
	assert_int_equal(c->unsupported - c0.unsupported, 3);
	assert_int_equal(c->errors - c0.errors, 4);
	assert_int_equal(c->acked - c0.acked, 0);

	qbh_remember("iface-1", &res);
	assert_non_null(qbh_last("iface-1"));
	assert_int_equal(qbh_last("iface-1")->error, -ENODEV);
	assert_null(qbh_last("iface-2"));
}

/* The registry inside vdpd: an 802.1Qbh network on uplink veth, an
 * attachment and a binding meet -> ASSOCIATE reaches the kernel, whose
 * -EOPNOTSUPP shows in `resolve`; detach -> DISASSOCIATE. */
static void test_registry_realizes_qbh(void **state)
{
	(void)state;
	char name[IFNAMSIZ], cmd[128], conf[128], want[200];
	const char *id = "0b3c9e2a-1111-4d4d-8e8e-000000000001";
	struct ctl_error cerr;
	struct reg_err err;
	struct vdpd *d;
	FILE *f;

	if (unshare(CLONE_NEWNET) < 0)
		skip();
	snprintf(name, sizeof(name), "qbr%d", (int)getpid() % 100000);
	snprintf(cmd, sizeof(cmd), "ip link add %s type veth peer name %sp", name, name);
	if (system(cmd) != 0)
		skip();
	log_init("test_qbh", LOG_TO_STDERR, getenv("TEST_DEBUG") ? LOG_DEBUG : LOG_CRIT);
	snprintf(conf, sizeof(conf), "%s/vdpd.conf", tmpdir);
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "registry = {\n"
		   "  profiles = ( { name = \"fin\"; type = \"802.1Qbh\"; profileid = \"finance\"; } );\n"
		   "  uplinks = ( { dev = \"%s\"; physnet = \"dc\"; mode = \"vepa\"; } );\n"
		   "  networks = ( { name = \"net-a\"; physnet = \"dc\"; profile = \"fin\"; } );\n"
		   "};\n", name);
	fclose(f);
	d = calloc(1, sizeof(*d));
	assert_non_null(d);
	d->opts.config = conf;
	d->opts.state_file = NULL;	/* not persisted */
	assert_int_equal(realize_start(d), 0);
	struct qbh_counters c0 = *qbh_counters();

	struct reg_attachment a = { .network = "net-a" };
	struct reg_binding b = { .dev = "macvtap9", .mac = { 0x52, 0x54, 0, 0, 0, 1 } };
	snprintf(a.iface_id, sizeof(a.iface_id), "%s", id);
	snprintf(b.iface_id, sizeof(b.iface_id), "%s", id);
	snprintf(b.uplink, sizeof(b.uplink), "%s", name);
	assert_int_equal(reg_attach(d->reg.reg, &a, &err), 0);
	assert_null(qbh_last(id));	/* no binding yet: no VSI */
	assert_int_equal(reg_bind(d->reg.reg, &b, &err), 0);
	assert_non_null(qbh_last(id));
	assert_int_equal(qbh_last(id)->error, -EOPNOTSUPP);
	assert_int_equal(qbh_counters()->requests - c0.requests, 1);
	assert_int_equal(qbh_counters()->unsupported - c0.unsupported, 1);

	json_t *args = json_pack("{s:s}", "iface_id", id);
	json_t *j = reg_ctl_resolve(&d->reg, args, &cerr);
	assert_non_null(j);
	json_t *q = json_object_get(j, "qbh");
	assert_non_null(q);
	snprintf(want, sizeof(want), "%s does not support port profiles (802.1Qbh): Operation not supported", name);
	assert_string_equal(json_string_value(json_object_get(q, "result")), want);
	assert_int_equal(json_integer_value(json_object_get(q, "errno")), EOPNOTSUPP);
	assert_true(json_is_null(json_object_get(q, "response")) || !json_object_get(q, "response"));
	json_decref(j);
	json_decref(args);

	/* detach: a DISASSOCIATE goes out, same answer */
	assert_int_equal(reg_detach(d->reg.reg, id, &err), 0);
	assert_int_equal(qbh_counters()->requests - c0.requests, 2);
	assert_int_equal(qbh_counters()->unsupported - c0.unsupported, 2);
	realize_stop(d);
	free(d);
}

static int setup(void **state)
{
	(void)state;
	char p[96];
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_qbh.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(p, sizeof(p), "%s/pci", tmpdir);
	return mkdir(p, 0755);
}

static int teardown(void **state)
{
	(void)state;
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_self_associate),
		cmocka_unit_test(test_build_vf_disassociate),
		cmocka_unit_test(test_build_profile_limits),
		cmocka_unit_test(test_parse_port_self_reply),
		cmocka_unit_test(test_host_uuid),
		cmocka_unit_test(test_target_sysfs),
		cmocka_unit_test(test_kernel_veth_eopnotsupp),
		cmocka_unit_test(test_registry_realizes_qbh),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
