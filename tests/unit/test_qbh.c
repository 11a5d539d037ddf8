/* vdp/io/qbh: the 802.1Qbh RTM_SETLINK byte for byte (libvirt's layout
 * without IFLA_VFINFO_LIST, the profile padded to 40 octets), the status
 * reply parser, the port behind a device on a fake sysfs, the SMBIOS host
 * UUID, the whole backend on a fake clock against the kernel + enic model
 * (tests/unit/enic_model.h), the registry realizing one profile as Qbh and
 * as Qbg, and the real kernel in a private network namespace (a veth has
 * no ndo_set_vf_port: -EOPNOTSUPP, said clearly). */
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
#include "tests/unit/enic_model.h"
#include "tests/unit/fakeclock.h"
#include "tests/unit/logcap.h"

static const uint8_t inst[16] = { 0x09, 0xb1, 0x1c, 0x53, 0x8b, 0x5c, 0x4e, 0xeb,
				  0x8f, 0x00, 0xd8, 0x4e, 0xaa, 0x0a, 0xaa, 0x4f };
static const uint8_t host[16] = { 0xa1, 0xa2, 0xa3, 0xa4, 0xb1, 0xb2, 0xc1, 0xc2,
				  0xd1, 0xd2, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6 };

/* ASSOCIATE of profile "finance" on ifindex 14, PORT_SELF, seq 0x65: the
 * profile NUL-padded to 40 octets (enic refuses any other length). */
static const uint8_t
	self_assoc
		[128] = {
			0x80, 0x00, 0x00, 0x00, 0x13, 0x00, 0x05, 0x00, /* len 128, SETLINK, REQUEST|ACK */
			0x65, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* seq, nlmsg_pid 0 */
			0x00, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00, /* ifinfomsg, index 14 */
			0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x60, 0x00,
			0x19, 0x80, /* PORT_SELF|NESTED, 96 */
			0x2c, 0x00, 0x02, 0x00, 'f',  'i',  'n',  'a',  'n',  'c',
			'e',  0x00, /* PROFILE, 44 */
			0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
			0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
			0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
			0,    0,    0x14, 0x00, 0x04, 0x00, 0x09, 0xb1, 0x1c, 0x53,
			0x8b, 0x5c, 0x4e, 0xeb, /* INSTANCE_UUID */
			0x8f, 0x00, 0xd8, 0x4e, 0xaa, 0x0a, 0xaa, 0x4f, 0x14, 0x00,
			0x05, 0x00, 0xa1, 0xa2, 0xa3, 0xa4, 0xb1, 0xb2, 0xc1, 0xc2, /* HOST_UUID */
			0xd1, 0xd2, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0x05, 0x00,
			0x06, 0x00, 0x02, 0x00, 0x00, 0x00, /* REQUEST = ASSOCIATE */
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

static void req_init(struct qbh_req *r, int ifindex, int32_t vf, uint8_t request)
{
	memset(r, 0, sizeof(*r));
	r->dev = r->target = "eth4";
	r->ifindex = ifindex;
	r->vf = vf;
	r->profile = "finance";
	memcpy(r->instance, inst, 16);
	memcpy(r->host_uuid, host, 16);
	r->has_host_uuid = true;
	r->request = request;
}

static void test_build_self_associate(void **state)
{
	(void)state;
	struct qbh_req r;
	uint8_t buf[256];
	struct wbuf w;

	req_init(&r, 14, QBH_SELF_VF, QBH_ASSOCIATE);
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

	req_init(&r, 7, 3, QBH_DISASSOCIATE);
	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(qbh_build_setlink(&w, 2, 0, &r), NLP_OK);
	assert_int_equal(w.len, sizeof(vf_disassoc));
	assert_memory_equal(buf, vf_disassoc, sizeof(vf_disassoc));
}

/* A profile id of 39 characters and its NUL fill the 40 octets; 40
 * characters do not fit; PREASSOCIATE_RR is the migration request;
 * PREASSOCIATE (0) is never built (enic refuses it). */
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
	req_init(&r, 14, QBH_SELF_VF, QBH_PREASSOCIATE_RR);
	r.profile = p39;
	r.has_host_uuid = false;
	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(qbh_build_setlink(&w, 1, 0, &r), NLP_OK);
	assert_int_equal(buf[32 + 4] | buf[32 + 5] << 8, 44);
	assert_int_equal(buf[32 + 6], IFLA_PORT_PROFILE);
	assert_int_equal(buf[32 + 8 + 38], 'x');
	assert_int_equal(buf[32 + 8 + 39], 0);
	/* no HOST_UUID: nest = 4 + 44 + 20 + 8; REQUEST = 1 */
	assert_int_equal(buf[32] | buf[33] << 8, 76);
	assert_int_equal(w.len, 32 + 76);
	assert_int_equal(buf[32 + 76 - 4], QBH_PREASSOCIATE_RR);
	r.profile = p40;
	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(qbh_build_setlink(&w, 1, 0, &r), -EINVAL);
	r.profile = "";
	assert_int_equal(qbh_build_setlink(&w, 1, 0, &r), -EINVAL);
	r.profile = "finance";
	r.request = 0;
	assert_int_equal(qbh_build_setlink(&w, 1, 0, &r), -EINVAL);
	r.request = QBH_ASSOCIATE;
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
static char sysdir[96];

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void mkdirs(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void mkdirs(const char *fmt, ...)
{
	char p[512], cmd[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p, sizeof(p), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", p);
	assert_int_equal(system(cmd), 0);
}

static void link_to(const char *target, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void link_to(const char *target, const char *fmt, ...)
{
	char p[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p, sizeof(p), fmt, ap);
	va_end(ap);
	assert_int_equal(symlink(target, p), 0);
}

/* The SMBIOS system UUID as the kernel shows it (upper case is common). */
static void test_host_uuid(void **state)
{
	(void)state;
	char path[256];
	uint8_t u[16];

	snprintf(path, sizeof(path), "%s/class/dmi/id/product_uuid", sysdir);
	assert_int_equal(qbh_host_uuid(sysdir, u), -ENOENT);
	mkdirs("%s/class/dmi/id", sysdir);
	put_file(path, "A1A2A3A4-B1B2-C1C2-D1D2-E1E2E3E4E5E6\n");
	assert_int_equal(qbh_host_uuid(sysdir, u), 0);
	assert_memory_equal(u, host, 16);
	/* firmware without a UUID: refused, as libvirt refuses it */
	put_file(path, "00000000-0000-0000-0000-000000000000\n");
	assert_int_equal(qbh_host_uuid(sysdir, u), -EINVAL);
	put_file(path, "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF\n");
	assert_int_equal(qbh_host_uuid(sysdir, u), -EINVAL);
	put_file(path, "a1a2a3a4b1b2c1c2d1d2e1e2e3e4e5\n");
	assert_int_equal(qbh_host_uuid(sysdir, u), -EINVAL);
	put_file(path, "A1A2A3A4-B1B2-C1C2-D1D2-E1E2E3E4E5E6\n");
}

#define N_VFS 100

static void vf_pci(int i, char out[16])
{
	snprintf(out, 16, "0000:02:%02x.%x", i / 8, i % 8);
}

/* sysfs as the kernel lays it out: class/net/<dev>/device -> the PCI
 * function under bus/pci/devices; a VF's physfn -> its PF, which has
 * virtfnN links and net/<pf netdev>; <function>/driver -> the driver.
 *   eth4       dynamic enic vNIC (PORT_SELF), ifindex 14
 *   eth5       static enic vNIC, ifindex 15
 *   enp1s0     enic PF with 100 VFs, ifindex 20; VFs 0..2 have netdevs
 *              enp1s0v0..2, VF 90 is bound to vfio (no netdev)
 *   macvtap0, macvtap1, macvtap9   no device
 *   veth0      no driver port ops, ifindex 30 */
static void make_sysfs(void)
{
	char pci[16], rel[64];

	mkdirs("%s/bus/pci/devices/0000:01:00.0/net/enp1s0", sysdir);
	link_to("../../../../bus/drivers/enic", "%s/bus/pci/devices/0000:01:00.0/driver", sysdir);
	for (int i = 0; i < N_VFS; i++) {
		vf_pci(i, pci);
		snprintf(rel, sizeof(rel), "../%s", pci);
		link_to(rel, "%s/bus/pci/devices/0000:01:00.0/virtfn%d", sysdir, i);
		mkdirs("%s/bus/pci/devices/%s", sysdir, pci);
		link_to("../0000:01:00.0", "%s/bus/pci/devices/%s/physfn", sysdir, pci);
		link_to(i == 90 ? "../../../../bus/drivers/vfio-pci"
				: "../../../../bus/drivers/enic",
			"%s/bus/pci/devices/%s/driver", sysdir, pci);
	}
	const struct {
		const char *dev, *pci;
	} nets[] = { { "eth4", "0000:05:00.0" },
		     { "eth5", "0000:06:00.0" },
		     { "enp1s0", "0000:01:00.0" },
		     { "enp1s0v0", "0000:02:00.0" },
		     { "enp1s0v1", "0000:02:00.1" },
		     { "enp1s0v2", "0000:02:00.2" },
		     { "veth0", NULL },
		     { "macvtap0", NULL },
		     { "macvtap1", NULL },
		     { "macvtap9", NULL } };
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		mkdirs("%s/class/net/%s", sysdir, nets[i].dev);
		if (!nets[i].pci)
			continue;
		mkdirs("%s/bus/pci/devices/%s", sysdir, nets[i].pci);
		snprintf(rel, sizeof(rel), "../../../bus/pci/devices/%s", nets[i].pci);
		link_to(rel, "%s/class/net/%s/device", sysdir, nets[i].dev);
		if (strncmp(nets[i].pci, "0000:0", 6) == 0 && nets[i].pci[6] >= '5')
			link_to("../../../../bus/drivers/enic", "%s/bus/pci/devices/%s/driver",
				sysdir, nets[i].pci);
	}
}

static void test_target_sysfs(void **state)
{
	(void)state;
	char pf[16], drv[32];
	int32_t vf;

	assert_int_equal(qbh_target(sysdir, "enp1s0v2", pf, &vf), 0);
	assert_string_equal(pf, "enp1s0");
	assert_int_equal(vf, 2);
	assert_int_equal(qbh_target(sysdir, "enp1s0v0", pf, &vf), 0);
	assert_string_equal(pf, "enp1s0");
	assert_int_equal(vf, 0);
	assert_int_equal(qbh_target(sysdir, "enp1s0", pf, &vf), 0);
	assert_string_equal(pf, "enp1s0");
	assert_int_equal(vf, QBH_SELF_VF);
	assert_int_equal(qbh_target(sysdir, "macvtap0", pf, &vf), 0);
	assert_string_equal(pf, "macvtap0");
	assert_int_equal(vf, QBH_SELF_VF);
	/* a VF bound to vfio: no netdev, found by its PCI address */
	assert_int_equal(qbh_target(sysdir, "0000:02:0b.2", pf, &vf), 0);
	assert_string_equal(pf, "enp1s0");
	assert_int_equal(vf, 90);
	/* a PCI function that is not a VF, a netdev that is gone */
	assert_int_equal(qbh_target(sysdir, "0000:05:00.0", pf, &vf), -ENODEV);
	assert_int_equal(qbh_target(sysdir, "enp1s0v7", pf, &vf), -ENODEV);
	assert_int_equal(qbh_target(sysdir, "../x", pf, &vf), -EINVAL);
	assert_int_equal(qbh_target(sysdir, "", pf, &vf), -EINVAL);

	qbh_driver(sysdir, "eth4", drv, sizeof(drv));
	assert_string_equal(drv, "enic");
	qbh_driver(sysdir, "0000:02:0b.2", drv, sizeof(drv));
	assert_string_equal(drv, "vfio-pci");
	qbh_driver(sysdir, "macvtap0", drv, sizeof(drv));
	assert_string_equal(drv, "");
}

/* ---- the kernel + enic model on its own: it must refuse what they refuse */

struct mb {
	uint8_t b[1024];
	size_t len;
};

static void mb_init(struct mb *m, uint16_t type, int ifindex)
{
	memset(m, 0, sizeof(*m));
	m->b[4] = (uint8_t)type;
	m->b[6] = NLM_F_REQUEST | NLM_F_ACK;
	m->b[8] = 7; /* seq */
	memcpy(m->b + 20, &ifindex, 4);
	m->len = 32;
}

static void mb_attr(struct mb *m, uint16_t type, const void *d, size_t n)
{
	uint16_t l = (uint16_t)(4 + n);
	memcpy(m->b + m->len, &l, 2);
	memcpy(m->b + m->len + 2, &type, 2);
	if (n)
		memcpy(m->b + m->len + 4, d, n);
	m->len += (4 + n + 3) & ~(size_t)3;
}

static size_t mb_nest(struct mb *m, uint16_t type)
{
	size_t at = m->len;
	mb_attr(m, type, NULL, 0);
	return at;
}

static void mb_end(struct mb *m, size_t at)
{
	uint16_t l = (uint16_t)(m->len - at);
	memcpy(m->b + at, &l, 2);
}

/* The port attributes of an ASSOCIATE, with the profile plen octets. */
static void mb_port(struct mb *m, size_t plen, bool with_request, uint8_t request)
{
	char name[48] = "finance";
	mb_attr(m, IFLA_PORT_PROFILE, name, plen);
	mb_attr(m, IFLA_PORT_INSTANCE_UUID, inst, 16);
	if (with_request)
		mb_attr(m, IFLA_PORT_REQUEST, &request, 1);
}

static int mb_send(struct enic_model *em, struct mb *m)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint32_t len = (uint32_t)m->len;
	struct nlp_status_reply r;

	memcpy(m->b, &len, 4);
	int fd = enic_model_ops.open(em);
	assert_int_equal(enic_model_ops.send(em, fd, m->b, m->len), 0);
	ssize_t n = enic_model_ops.recv(em, fd, &buf, &cap);
	assert_true(n > 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(nlp_parse_reply(buf, (size_t)n, &r), NLP_OK);
	assert_int_equal(r.type, NLMSG_ERROR);
	enic_model_ops.close(em, fd);
	free(buf);
	return r.error;
}

static int self_request(struct enic_model *em, int ifindex, size_t plen, uint16_t nest_flag,
			bool req, uint8_t op)
{
	struct mb m;
	mb_init(&m, RTM_SETLINK, ifindex);
	size_t p = mb_nest(&m, IFLA_PORT_SELF | nest_flag);
	mb_port(&m, plen, req, op);
	mb_end(&m, p);
	return mb_send(em, &m);
}

static int vf_request(struct enic_model *em, int ifindex, bool with_vf, uint32_t vf)
{
	struct mb m;
	mb_init(&m, RTM_SETLINK, ifindex);
	size_t ps = mb_nest(&m, IFLA_VF_PORTS | NLA_F_NESTED);
	size_t p = mb_nest(&m, IFLA_VF_PORT | NLA_F_NESTED);
	if (with_vf)
		mb_attr(&m, IFLA_PORT_VF, &vf, 4);
	mb_port(&m, 40, true, PORT_REQUEST_ASSOCIATE);
	mb_end(&m, p);
	mb_end(&m, ps);
	return mb_send(em, &m);
}

static void model_init(struct enic_model *em)
{
	enic_model_init(em);
	enic_model_add(em, "eth4", 14, true, 0);
	enic_model_add(em, "eth5", 15, false, 0);
	enic_model_add(em, "enp1s0", 20, false, N_VFS);
	enic_model_add(em, "veth0", 30, false, 0)->port_ops = false;
}

static void test_model_enforces_kernel_and_enic(void **state)
{
	(void)state;
	struct enic_model em;
	struct enic_dev *eth4;
	uint8_t mac0[6];

	model_init(&em);
	eth4 = enic_model_dev(&em, "eth4");
	memcpy(mac0, eth4->mac, 6);
	/* exact lengths; nests with or without NLA_F_NESTED */
	assert_int_equal(self_request(&em, 14, 40, NLA_F_NESTED, true, PORT_REQUEST_ASSOCIATE), 0);
	assert_int_equal(self_request(&em, 14, 40, 0, true, PORT_REQUEST_ASSOCIATE), 0);
	assert_int_equal(eth4->self.requests, 2);
	/* libvirt's strlen+1: enic -EINVAL; over 40: the policy */
	assert_int_equal(self_request(&em, 14, 8, NLA_F_NESTED, true, PORT_REQUEST_ASSOCIATE),
			 -EINVAL);
	assert_int_equal(self_request(&em, 14, 41, NLA_F_NESTED, true, PORT_REQUEST_ASSOCIATE),
			 -ERANGE);
	assert_int_equal(eth4->self.requests, 2); /* refused ones left it as it was */
	/* REQUEST missing; PREASSOCIATE */
	assert_int_equal(self_request(&em, 14, 40, NLA_F_NESTED, false, 0), -EOPNOTSUPP);
	assert_int_equal(self_request(&em, 14, 40, NLA_F_NESTED, true, PORT_REQUEST_PREASSOCIATE),
			 -EOPNOTSUPP);
	/* PORT_SELF only on a dynamic vNIC; no port ops at all */
	assert_int_equal(self_request(&em, 15, 40, NLA_F_NESTED, true, PORT_REQUEST_ASSOCIATE),
			 -EOPNOTSUPP);
	assert_int_equal(self_request(&em, 20, 40, NLA_F_NESTED, true, PORT_REQUEST_ASSOCIATE),
			 -EOPNOTSUPP);
	assert_int_equal(self_request(&em, 30, 40, NLA_F_NESTED, true, PORT_REQUEST_ASSOCIATE),
			 -EOPNOTSUPP);
	/* VF index below num_vfs; IFLA_PORT_VF required; no SR-IOV */
	assert_int_equal(vf_request(&em, 20, true, 99), 0);
	assert_int_equal(vf_request(&em, 20, true, N_VFS), -EINVAL);
	assert_int_equal(vf_request(&em, 20, false, 0), -EOPNOTSUPP);
	assert_int_equal(vf_request(&em, 15, true, 0), -EOPNOTSUPP);
	assert_int_equal(vf_request(&em, 14, true, 0), -EOPNOTSUPP);

	/* IFLA_VF_MAC with vf = PORT_SELF_VF (libvirt's PORT_SELF request) */
	struct mb m;
	struct ifla_vf_mac vm = { .vf = 0xffffffffu, .mac = { 0x52, 0x54, 0, 0, 0, 1 } };
	mb_init(&m, RTM_SETLINK, 14);
	size_t l = mb_nest(&m, IFLA_VFINFO_LIST | NLA_F_NESTED);
	size_t i = mb_nest(&m, IFLA_VF_INFO | NLA_F_NESTED);
	mb_attr(&m, IFLA_VF_MAC, &vm, sizeof(vm));
	mb_end(&m, i);
	mb_end(&m, l);
	size_t p = mb_nest(&m, IFLA_PORT_SELF | NLA_F_NESTED);
	mb_port(&m, 40, true, PORT_REQUEST_ASSOCIATE);
	mb_end(&m, p);
	assert_int_equal(mb_send(&em, &m), -EINVAL);
	assert_true(em.last_had_vf_mac);
	assert_int_equal(eth4->self.requests, 2);

	/* DISASSOCIATE zeroes PORT_SELF's MAC; the next ASSOCIATE registers
	 * a random one */
	assert_memory_equal(eth4->mac, mac0, 6);
	assert_int_equal(self_request(&em, 14, 40, NLA_F_NESTED, true, PORT_REQUEST_DISASSOCIATE),
			 0);
	static const uint8_t zero[6];
	assert_memory_equal(eth4->mac, zero, 6);
	assert_int_equal(self_request(&em, 14, 40, NLA_F_NESTED, true, PORT_REQUEST_ASSOCIATE), 0);
	assert_memory_not_equal(eth4->mac, zero, 6);
	assert_memory_not_equal(eth4->mac, mac0, 6);
	enic_model_fini(&em);
}

/* GETLINK with RTEXT_FILTER_VF: INPROGRESS twice, then SUCCESS; a PF
 * answers with one entry per VF that had a request: here 100. */
static void test_model_status_replies(void **state)
{
	(void)state;
	struct enic_model em;
	uint8_t *buf = NULL;
	size_t cap = 0;
	struct mb m;

	model_init(&em);
	for (int vf = 0; vf < N_VFS; vf++)
		enic_model_preset(enic_model_dev(&em, "enp1s0"), vf, "other", host,
				  PORT_REQUEST_ASSOCIATE, QBH_RESP_SUCCESS);
	assert_int_equal(self_request(&em, 14, 40, NLA_F_NESTED, true, PORT_REQUEST_ASSOCIATE), 0);
	uint16_t want[] = { QBH_RESP_INPROGRESS, QBH_RESP_INPROGRESS, QBH_RESP_SUCCESS,
			    QBH_RESP_SUCCESS };
	for (size_t k = 0; k < 4; k++) {
		struct nlp_status_reply r;
		uint32_t mask = RTEXT_FILTER_VF;
		mb_init(&m, RTM_GETLINK, 14);
		mb_attr(&m, IFLA_EXT_MASK, &mask, 4);
		memcpy(m.b, &(uint32_t){ (uint32_t)m.len }, 4);
		int fd = enic_model_ops.open(&em);
		assert_int_equal(enic_model_ops.send(&em, fd, m.b, m.len), 0);
		ssize_t n = enic_model_ops.recv(&em, fd, &buf, &cap);
		memset(&r, 0, sizeof(r));
		assert_int_equal(nlp_parse_reply(buf, (size_t)n, &r), NLP_OK);
		assert_true(r.has_port_self);
		assert_int_equal(r.self.response, want[k]);
		assert_int_equal(r.self.request, PORT_REQUEST_ASSOCIATE);
		enic_model_ops.close(&em, fd);
	}
	struct nlp_status_reply r;
	uint32_t mask = RTEXT_FILTER_VF;
	mb_init(&m, RTM_GETLINK, 20);
	mb_attr(&m, IFLA_EXT_MASK, &mask, 4);
	memcpy(m.b, &(uint32_t){ (uint32_t)m.len }, 4);
	int fd = enic_model_ops.open(&em);
	assert_int_equal(enic_model_ops.send(&em, fd, m.b, m.len), 0);
	ssize_t n = enic_model_ops.recv(&em, fd, &buf, &cap);
	memset(&r, 0, sizeof(r));
	assert_int_equal(nlp_parse_reply(buf, (size_t)n, &r), NLP_OK);
	assert_false(r.has_port_self); /* a static PF: the nest is dropped */
	assert_true(r.has_vf_ports);
	assert_int_equal(r.n, N_VFS);
	enic_model_ops.close(&em, fd);
	free(buf);
	enic_model_fini(&em);
}

/* ---- the backend on a fake clock against the model */

struct fx {
	struct fakeclock fc;
	struct enic_model m;
	struct qbh *q;
	struct qbh_counters c0;
};

static void fx_init_retry(struct fx *f, uint64_t deadline_us, uint64_t retry_initial_us,
			  uint64_t retry_max_us)
{
	struct qbh_cfg c = { .sysfs = sysdir,
			     .deadline_us = deadline_us,
			     .has_host_uuid = true,
			     .retry_initial_us = retry_initial_us,
			     .retry_max_us = retry_max_us };

	memcpy(c.host_uuid, host, 16);
	fakeclock_init(&f->fc, 1000000);
	model_init(&f->m);
	f->q = qbh_new(fakeclock_vclock(&f->fc), &enic_model_ops, &f->m, &c);
	assert_non_null(f->q);
	f->c0 = *qbh_counters();
}

/* Retries off, as the backend starts without them. */
static void fx_init(struct fx *f, uint64_t deadline_us)
{
	fx_init_retry(f, deadline_us, 0, 0);
}

static void fx_fini(struct fx *f)
{
	qbh_free(f->q);
	assert_int_equal(f->m.open_fds, 0); /* every socket closed */
	assert_int_equal(fakeclock_armed(&f->fc), 0);
	fakeclock_destroy(&f->fc);
	enic_model_fini(&f->m);
}

#define DELTA(f, field) (qbh_counters()->field - (f)->c0.field)

static int assoc(struct fx *f, const char *key, const char *dev, const char *uplink,
		 const char *profile)
{
	struct qbh_vsi v = { .key = key, .dev = dev, .uplink = uplink, .profile = profile };
	memcpy(v.instance, inst, 16);
	v.instance[15] = (uint8_t)key[strlen(key) - 1];
	return qbh_associate(f->q, &v);
}

/* Defects 1 and 3: the profile in 40 octets, and the outcome polled to the
 * end (INPROGRESS twice, then SUCCESS) without blocking. */
static void test_associate_self_polls_to_success(void **state)
{
	(void)state;
	struct fx f;

	fx_init(&f, 0);
	struct enic_pp *pp = &enic_model_dev(&f.m, "eth4")->self;
	assert_int_equal(assoc(&f, "vsi-1", "macvtap0", "eth4", "finance"), 0);
	assert_int_equal(f.m.setlinks, 1);
	assert_int_equal(f.m.last_error, 0);
	assert_int_equal(f.m.last_profile_len, 40);
	assert_false(f.m.last_had_vf_mac);
	assert_string_equal(pp->name, "finance");
	assert_true(pp->set_host);
	assert_memory_equal(pp->host, host, 16);
	/* first poll sent at once (INPROGRESS); the rest wait on the clock */
	const struct qbh_result *r = qbh_last("vsi-1");
	assert_non_null(r);
	assert_int_equal(r->state, QBH_ST_POLLING);
	assert_int_equal(r->polls, 1);
	assert_int_equal(r->response, QBH_RESP_INPROGRESS);
	fakeclock_advance(&f.fc, QBH_POLL_US);
	assert_int_equal(qbh_last("vsi-1")->state, QBH_ST_POLLING);
	fakeclock_advance(&f.fc, QBH_POLL_US);
	r = qbh_last("vsi-1");
	assert_int_equal(r->state, QBH_ST_DONE);
	assert_int_equal(r->polls, 3);
	assert_int_equal(r->response, QBH_RESP_SUCCESS);
	assert_int_equal(r->error, 0);
	assert_string_equal(r->msg,
			    "eth4 (driver enic): 802.1Qbh associate of profile finance: success");
	assert_int_equal(DELTA(&f, success), 1);
	assert_int_equal(DELTA(&f, errors), 0);
	assert_int_equal(fakeclock_armed(&f.fc), 0);
	/* the same again: nothing sent */
	assert_int_equal(assoc(&f, "vsi-1", "macvtap0", "eth4", "finance"), 0);
	assert_int_equal(f.m.setlinks, 1);
	fx_fini(&f);
}

/* Defect 2: INVALID (and every other final response) is an error. */
static void test_invalid_response_is_error(void **state)
{
	(void)state;
	struct fx f;

	fx_init(&f, 0);
	strcpy(f.m.invalid_profile, "nosuch");
	assert_int_equal(assoc(&f, "vsi-1", "", "eth4", "nosuch"), 0);
	while (fakeclock_run_next(&f.fc))
		;
	const struct qbh_result *r = qbh_last("vsi-1");
	assert_int_equal(r->state, QBH_ST_FAILED);
	assert_int_equal(r->response, QBH_RESP_INVALID);
	assert_string_equal(r->msg,
			    "eth4 (driver enic): 802.1Qbh associate of profile nosuch failed: "
			    "adapter answered invalid");
	assert_int_equal(DELTA(&f, errors), 1);
	assert_int_equal(DELTA(&f, success), 0);
	/* a failed one is sent again when asked again */
	strcpy(f.m.invalid_profile, "");
	assert_int_equal(assoc(&f, "vsi-1", "", "eth4", "nosuch"), 0);
	assert_int_equal(f.m.setlinks, 2);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(qbh_last("vsi-1")->state, QBH_ST_DONE);
	fx_fini(&f);
}

/* Defect 3: a deadline (libvirt: 80 polls of 125 ms), then DISASSOCIATE;
 * the deadline is configurable. */
static void test_deadline_disassociates(void **state)
{
	(void)state;
	struct fx f;

	fx_init(&f, 0);
	f.m.never_done = true;
	assert_int_equal(assoc(&f, "vsi-1", "", "eth4", "finance"), 0);
	fakeclock_advance(&f.fc, QBH_DEADLINE_US - 1);
	assert_int_equal(qbh_last("vsi-1")->state, QBH_ST_POLLING);
	assert_int_equal(qbh_last("vsi-1")->polls, 80);
	fakeclock_advance(&f.fc, 1);
	const struct qbh_result *r = qbh_last("vsi-1");
	assert_int_equal(r->state, QBH_ST_FAILED);
	assert_int_equal(r->error, -ETIMEDOUT);
	assert_int_equal(r->polls, 80);
	assert_non_null(strstr(r->msg, "no final answer from the adapter before the deadline"));
	assert_int_equal(DELTA(&f, timeouts), 1);
	/* the DISASSOCIATE went out and is followed like any request */
	assert_int_equal(f.m.setlinks, 2);
	assert_int_equal(enic_model_dev(&f.m, "eth4")->self.request, PORT_REQUEST_DISASSOCIATE);
	f.m.never_done = false;
	enic_model_dev(&f.m, "eth4")->self.inprogress_left = 0;
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(qbh_last("vsi-1")->state,
			 QBH_ST_FAILED); /* the operator sees the failure */
	fx_fini(&f);

	fx_init(&f, 2000000);
	f.m.never_done = true;
	assert_int_equal(assoc(&f, "vsi-2", "", "eth4", "finance"), 0);
	fakeclock_advance(&f.fc, 2000000);
	assert_int_equal(qbh_last("vsi-2")->state, QBH_ST_FAILED);
	assert_int_equal(qbh_last("vsi-2")->polls, 16);
	f.m.never_done = false;
	enic_model_dev(&f.m, "eth4")->self.inprogress_left = 0;
	while (fakeclock_run_next(&f.fc))
		;
	fx_fini(&f);
}

/* Defect 4: an uplink that is a VF goes to its PF with the VF index; a
 * VF bound to vfio is found by PCI address; one whose netdev is gone is
 * refused, naming it.  VF 90's entry comes after 64 others. */
static void test_vf_resolution(void **state)
{
	(void)state;
	struct fx f;

	fx_init(&f, 0);
	struct enic_dev *pf = enic_model_dev(&f.m, "enp1s0");
	for (int vf = 0; vf < 90; vf++)
		enic_model_preset(pf, vf, "other", host, PORT_REQUEST_ASSOCIATE, QBH_RESP_SUCCESS);

	assert_int_equal(assoc(&f, "vsi-1", "macvtap1", "enp1s0v2", "finance"), 0);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(qbh_last("vsi-1")->state, QBH_ST_DONE);
	assert_string_equal(pf->vf[2].name, "finance");
	assert_int_equal(pf->self.requests, 0);
	assert_string_equal(qbh_last("vsi-1")->msg,
			    "enp1s0v2 (VF 2 of enp1s0, driver enic): 802.1Qbh associate of profile "
			    "finance: success");

	assert_int_equal(assoc(&f, "vsi-2", "0000:02:0b.2", "enp1s0", "finance"), 0);
	while (fakeclock_run_next(&f.fc))
		;
	const struct qbh_result *r = qbh_last("vsi-2");
	assert_int_equal(r->state, QBH_ST_DONE);
	assert_int_equal(r->response, QBH_RESP_SUCCESS);
	assert_string_equal(pf->vf[90].name, "finance");
	assert_string_equal(
		r->msg,
		"0000:02:0b.2 (VF 90 of enp1s0, driver vfio-pci): 802.1Qbh associate of "
		"profile finance: success");

	unsigned sent = f.m.setlinks;
	assert_int_equal(assoc(&f, "vsi-3", "enp1s0v7", "enp1s0", "finance"), -ENODEV);
	assert_int_equal(f.m.setlinks, sent);
	assert_int_equal(qbh_last("vsi-3")->state, QBH_ST_FAILED);
	assert_string_equal(qbh_last("vsi-3")->msg,
			    "enp1s0v7: no network device and no SR-IOV VF of that name (a VF bound "
			    "to vfio has no "
			    "netdev: bind it by PCI address): 802.1Qbh needs one");
	assert_int_equal(DELTA(&f, refused), 1);
	fx_fini(&f);
}

/* PORT_SELF on a static vNIC: refused by the driver, said with device,
 * driver and reason. */
static void test_static_vnic_refused(void **state)
{
	(void)state;
	struct fx f;

	fx_init(&f, 0);
	assert_int_equal(assoc(&f, "vsi-1", "", "eth5", "finance"), 0);
	const struct qbh_result *r = qbh_last("vsi-1");
	assert_int_equal(r->state, QBH_ST_FAILED);
	assert_int_equal(r->error, -EOPNOTSUPP);
	assert_string_equal(
		r->msg,
		"eth5 (driver enic): 802.1Qbh associate of profile finance failed: Operation not "
		"supported: no port profiles on the device itself (no ndo_set_vf_port, or enic: "
		"PORT_SELF only on a dynamic vNIC)");
	assert_int_equal(DELTA(&f, unsupported), 1);
	fx_fini(&f);
}

/* enic keeps one profile per PORT_SELF: a second VSI is refused and the
 * first keeps its association. */
static void test_two_vsis_on_port_self(void **state)
{
	(void)state;
	struct fx f;

	fx_init(&f, 0);
	assert_int_equal(assoc(&f, "vsi-1", "macvtap0", "eth4", "finance"), 0);
	assert_int_equal(assoc(&f, "vsi-2", "macvtap1", "eth4", "hr"), -EBUSY);
	assert_int_equal(f.m.setlinks, 1);
	assert_string_equal(enic_model_dev(&f.m, "eth4")->self.name, "finance");
	assert_string_equal(
		qbh_last("vsi-2")->msg,
		"eth4 (driver enic): 802.1Qbh refused: the device itself (PORT_SELF) carries one "
		"port "
		"profile and VSI vsi-1 holds it (profile finance); give each VSI its own VF");
	while (fakeclock_run_next(&f.fc))
		;
	/* once vsi-1 is gone, vsi-2 may have it */
	assert_int_equal(qbh_disassociate(f.q, "vsi-1"), 0);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(assoc(&f, "vsi-2", "macvtap1", "eth4", "hr"), 0);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(qbh_last("vsi-2")->state, QBH_ST_DONE);
	fx_fini(&f);
}

/* A profile change on the same port is one ASSOCIATE: the MAC stays.  A
 * move to another port disassociates the old one. */
static void test_move_keeps_mac(void **state)
{
	(void)state;
	struct fx f;
	uint8_t mac0[6];

	fx_init(&f, 0);
	struct enic_dev *eth4 = enic_model_dev(&f.m, "eth4");
	memcpy(mac0, eth4->mac, 6);
	assert_int_equal(assoc(&f, "vsi-1", "macvtap0", "eth4", "finance"), 0);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(assoc(&f, "vsi-1", "macvtap0", "eth4", "hr"), 0);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(f.m.setlinks, 2);
	assert_int_equal(eth4->self.request, PORT_REQUEST_ASSOCIATE);
	assert_string_equal(eth4->self.name, "hr");
	assert_memory_equal(eth4->mac, mac0, 6);
	assert_memory_equal(eth4->self.mac, mac0, 6);
	assert_int_equal(qbh_last("vsi-1")->state, QBH_ST_DONE);

	/* to VF 1 of enp1s0: DISASSOCIATE on eth4, ASSOCIATE there */
	assert_int_equal(assoc(&f, "vsi-1", "enp1s0v1", "enp1s0", "hr"), 0);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(eth4->self.request, PORT_REQUEST_DISASSOCIATE);
	assert_string_equal(enic_model_dev(&f.m, "enp1s0")->vf[1].name, "hr");
	assert_int_equal(qbh_last("vsi-1")->state, QBH_ST_DONE);
	assert_non_null(strstr(qbh_last("vsi-1")->msg, "VF 1 of enp1s0"));
	fx_fini(&f);
}

/* A restart: the adapter already reports this association (same profile,
 * instance, SUCCESS): adopted, nothing re-sent.  A different one is
 * sent. */
static void test_start_adopts_existing(void **state)
{
	(void)state;
	struct fx f;
	uint8_t u[16];

	fx_init(&f, 0);
	memcpy(u, inst, 16);
	u[15] = '1';
	enic_model_preset(enic_model_dev(&f.m, "eth4"), -1, "finance", u, PORT_REQUEST_ASSOCIATE,
			  QBH_RESP_SUCCESS);
	assert_int_equal(assoc(&f, "vsi-1", "macvtap0", "eth4", "finance"), 0);
	assert_int_equal(f.m.setlinks, 0);
	assert_int_equal(f.m.getlinks, 1);
	const struct qbh_result *r = qbh_last("vsi-1");
	assert_int_equal(r->state, QBH_ST_DONE);
	assert_non_null(strstr(r->msg, "(already on the adapter, not re-sent)"));
	assert_int_equal(DELTA(&f, adopted), 1);
	fx_fini(&f);

	fx_init(&f, 0);
	enic_model_preset(enic_model_dev(&f.m, "eth4"), -1, "older", u, PORT_REQUEST_ASSOCIATE,
			  QBH_RESP_SUCCESS);
	assert_int_equal(assoc(&f, "vsi-1", "macvtap0", "eth4", "finance"), 0);
	assert_int_equal(f.m.setlinks, 1);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(qbh_last("vsi-1")->state, QBH_ST_DONE);
	assert_int_equal(DELTA(&f, adopted), 0);
	fx_fini(&f);
}

/* Migration: PREASSOCIATE_RR first, ASSOCIATE when the VM runs here. */
static void test_migration_preassociate_rr(void **state)
{
	(void)state;
	struct fx f;
	struct qbh_vsi v = { .key = "vsi-1",
			     .dev = "enp1s0v0",
			     .uplink = "enp1s0",
			     .profile = "finance",
			     .migrate = true };

	fx_init(&f, 0);
	memcpy(v.instance, inst, 16);
	struct enic_pp *pp = &enic_model_dev(&f.m, "enp1s0")->vf[0];
	assert_int_equal(qbh_associate(f.q, &v), 0);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(pp->request, PORT_REQUEST_PREASSOCIATE_RR);
	assert_int_equal(qbh_last("vsi-1")->state, QBH_ST_DONE);
	assert_int_equal(qbh_last("vsi-1")->request, QBH_PREASSOCIATE_RR);
	v.migrate = false;
	assert_int_equal(qbh_associate(f.q, &v), 0);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(pp->request, PORT_REQUEST_ASSOCIATE);
	assert_int_equal(f.m.setlinks, 2);
	assert_int_equal(qbh_last("vsi-1")->state, QBH_ST_DONE);
	fx_fini(&f);
}

/* The real kernel, in a network namespace of our own (gone when this
 * process exits): a veth has no ndo_set_vf_port.  Skipped without
 * CAP_SYS_ADMIN. */
static void test_kernel_veth_eopnotsupp(void **state)
{
	(void)state;
	char name[IFNAMSIZ], cmd[128], want[QBH_MSG_MAX];
	struct fakeclock fc;

	if (unshare(CLONE_NEWNET) < 0)
		skip();
	snprintf(name, sizeof(name), "qbh%d", (int)getpid() % 100000);
	snprintf(cmd, sizeof(cmd), "ip link add %s type veth peer name %sp", name, name);
	if (system(cmd) != 0)
		skip();
	/* /sys shows the namespace it was mounted in: a fake one names the veth */
	mkdirs("%s/class/net/%s", sysdir, name);
	struct qbh_cfg c = { .sysfs = sysdir };
	fakeclock_init(&fc, 0);
	struct qbh *q = qbh_new(fakeclock_vclock(&fc), NULL, NULL, &c);
	struct qbh_counters c0 = *qbh_counters();
	struct qbh_vsi v = { .key = "k-veth", .dev = "", .uplink = name, .profile = "finance" };

	assert_int_equal(qbh_associate(q, &v), 0);
	const struct qbh_result *r = qbh_last("k-veth");
	assert_int_equal(r->state, QBH_ST_FAILED);
	assert_int_equal(r->error, -EOPNOTSUPP);
	snprintf(want, sizeof(want),
		 "%s (driver unknown): 802.1Qbh associate of profile finance failed: Operation "
		 "not supported: no port profiles on the device itself (no ndo_set_vf_port, or "
		 "enic: PORT_SELF only "
		 "on a dynamic vNIC)",
		 name);
	assert_string_equal(r->msg, want);
	assert_false(r->has_response);
	assert_int_equal(qbh_disassociate(q, "k-veth"), 0);
	assert_int_equal(qbh_last("k-veth")->error, -EOPNOTSUPP);

	const struct qbh_counters *cn = qbh_counters();
	assert_int_equal(cn->requests - c0.requests, 2);
	assert_int_equal(cn->unsupported - c0.unsupported, 2);
	assert_int_equal(cn->errors - c0.errors, 2);
	assert_int_equal(cn->acked - c0.acked, 0);
	assert_null(qbh_last("k-none"));
	qbh_free(q);
	assert_int_equal(fakeclock_armed(&fc), 0);
	fakeclock_destroy(&fc);
}

/* ---- a scripted kernel: replies given byte for byte */

static const uint8_t *script[4];
static size_t script_len[4], script_n, script_at;
static uint32_t script_seq;
static unsigned script_setlinks, script_sent;

static int s_open(void *ctx)
{
	(void)ctx;
	return 9;
}

static int s_send(void *ctx, int fd, const void *msg, size_t len)
{
	(void)ctx;
	(void)fd;
	assert_true(len >= 16);
	memcpy(&script_seq, (const uint8_t *)msg + 8, 4);
	script_sent++;
	script_setlinks += ((const uint8_t *)msg)[4] == RTM_SETLINK;
	return 0;
}

static ssize_t s_recv(void *ctx, int fd, uint8_t **buf, size_t *cap)
{
	(void)ctx;
	(void)fd;
	if (script_at == script_n)
		return -EAGAIN;
	size_t n = script_len[script_at];
	*buf = realloc(*buf, n);
	*cap = n;
	memcpy(*buf, script[script_at++], n);
	memcpy(*buf + 8, &script_seq, 4); /* answers the last request */
	return (ssize_t)n;
}

static void s_close(void *ctx, int fd)
{
	(void)ctx;
	(void)fd;
}

static int s_ifindex(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return 14;
}

static const struct qbh_nl_ops script_ops = { s_open, s_send, s_recv, s_close, s_ifindex };

/* An ack whose errno no kernel sends (INT_MIN: found by fuzz_qbh, where
 * strerror(-error) overflowed) is a protocol error, not a crash. */
static void test_bad_ack_errno(void **state)
{
	(void)state;
	static const uint8_t newlink[32] = { 0x20, 0, 0, 0, RTM_NEWLINK, 0, 0, 0, 0, 0,    0,
					     0,    0, 0, 0, 0,           0, 0, 0, 0, 0x0e, 0,
					     0,    0, 0, 0, 0,           0, 0, 0, 0, 0 };
	static const uint8_t ack[36] = {
		0x24, 0, 0, 0, NLMSG_ERROR, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x80
	}; /* error = INT_MIN */
	struct fakeclock fc;
	struct qbh_cfg c = { .sysfs = sysdir };
	struct qbh_vsi v = { .key = "vsi-bad", .dev = "", .uplink = "eth4", .profile = "finance" };

	script[0] = newlink;
	script_len[0] = sizeof(newlink);
	script[1] = ack;
	script_len[1] = sizeof(ack);
	script_n = 2;
	script_at = 0;
	fakeclock_init(&fc, 0);
	struct qbh *q = qbh_new(fakeclock_vclock(&fc), &script_ops, NULL, &c);
	assert_int_equal(qbh_associate(q, &v), 0);
	const struct qbh_result *r = qbh_last("vsi-bad");
	assert_int_equal(r->state, QBH_ST_FAILED);
	assert_int_equal(r->error, -EPROTO);
	assert_non_null(strstr(r->msg, "failed: Protocol error"));
	qbh_free(q);
	fakeclock_destroy(&fc);
}

/* A kernel that never answers: the session gives up at the deadline,
 * having waited on the clock (never in a loop), and sends nothing it would
 * have to take back: no SETLINK went out, so no DISASSOCIATE either. */
static void test_silent_kernel_deadline(void **state)
{
	(void)state;
	struct fakeclock fc;
	struct qbh_cfg c = { .sysfs = sysdir, .deadline_us = 1000000 };
	struct qbh_vsi v = {
		.key = "vsi-silent", .dev = "", .uplink = "eth4", .profile = "finance"
	};

	script_n = script_at = 0;
	script_setlinks = script_sent = 0;
	fakeclock_init(&fc, 0);
	struct qbh *q = qbh_new(fakeclock_vclock(&fc), &script_ops, NULL, &c);
	assert_int_equal(qbh_associate(q, &v), 0);
	assert_int_equal(script_sent, 1); /* the probe */
	assert_int_equal(qbh_last("vsi-silent")->state, QBH_ST_POLLING);
	fakeclock_advance(&fc, 999999);
	assert_int_equal(qbh_last("vsi-silent")->state, QBH_ST_POLLING);
	fakeclock_advance(&fc, 1);
	assert_int_equal(qbh_last("vsi-silent")->state, QBH_ST_FAILED);
	assert_int_equal(qbh_last("vsi-silent")->error, -ETIMEDOUT);
	assert_int_equal(script_setlinks, 0);
	assert_int_equal(fakeclock_armed(&fc), 0);
	qbh_free(q);
	fakeclock_destroy(&fc);
}

/* ---- retries of transient failures */

/* The n-th retry is due within [d/2, d] of the failure, d = min(max,
 * initial x 2^(n-1)): nothing is sent before retry_at_us, the SETLINK at
 * it. */
static void expect_retry(struct fx *f, const char *key, uint64_t d, unsigned n)
{
	const struct qbh_result *r = qbh_last(key);
	uint64_t now = f->fc.now, at = r->retry_at_us;
	unsigned sent = f->m.setlinks;

	assert_int_equal(r->state, QBH_ST_FAILED);
	assert_int_equal(r->retry, QBH_RETRY_WAITING);
	assert_int_equal(r->retries, n - 1);
	assert_in_range(at - now, d / 2, d);
	assert_int_equal(qbh_retry_in_ms(key), (int64_t)((at - now) / 1000));
	fakeclock_advance(&f->fc, at - now - 1);
	assert_int_equal(f->m.setlinks, sent);
	fakeclock_advance(&f->fc, 1);
	assert_int_equal(f->m.setlinks, sent + 1);
	assert_int_equal(qbh_last(key)->retries, n);
}

/* INSUFFICIENT_RESOURCES five times: sent again after about 1 s, then 2 s,
 * then capped at 3 s, each jittered within [d/2, d]; the sixth send
 * succeeds and the retries stop.  The log says when and which attempt;
 * the repeats of the same failure are not errors again. */
static void test_retry_transient_backoff_to_success(void **state)
{
	(void)state;
	static const uint64_t d[] = { 1000000, 2000000, 3000000, 3000000, 3000000 };
	struct logcap lc;
	char logs[4096], want[320];
	struct fx f;

	fx_init_retry(&f, 0, 1000000, 3000000);
	f.m.inprogress_polls = 0;
	f.m.fail_count = 5;
	f.m.fail_response = QBH_RESP_INSUFFICIENT_RESOURCES;
	log_set_level(LOG_INFO);
	logcap_begin(&lc);
	int rc = assoc(&f, "vsi-r1", "enp1s0v0", "enp1s0", "finance");
	logcap_end(&lc, logs, sizeof(logs));
	assert_int_equal(rc, 0);
	assert_int_equal(f.m.setlinks, 1);
	const struct qbh_result *r = qbh_last("vsi-r1");
	assert_int_equal(r->response, QBH_RESP_INSUFFICIENT_RESOURCES);
	snprintf(want, sizeof(want),
		 "[error] qbh: vsi-r1: enp1s0v0 (VF 0 of enp1s0, driver enic): "
		 "802.1Qbh associate of profile finance failed: adapter answered insufficient "
		 "resources; retrying in %llu ms (attempt 1)",
		 (unsigned long long)((r->retry_at_us - f.fc.now) / 1000));
	assert_non_null(strstr(logs, want));
	for (unsigned n = 1; n <= 5; n++) {
		if (n == 2)
			logcap_begin(&lc);
		expect_retry(&f, "vsi-r1", d[n - 1], n);
		if (n == 2) {
			logcap_end(&lc, logs, sizeof(logs));
			r = qbh_last("vsi-r1");
			snprintf(want, sizeof(want), "; retrying in %llu ms (attempt 3)",
				 (unsigned long long)((r->retry_at_us - f.fc.now) / 1000));
			assert_non_null(strstr(logs, want));
			assert_null(strstr(logs, "[error]"));
		}
	}
	r = qbh_last("vsi-r1");
	assert_int_equal(r->state, QBH_ST_DONE);
	assert_int_equal(r->retries, 5);
	assert_int_equal(r->retry, QBH_RETRY_NONE);
	assert_int_equal(qbh_retry_in_ms("vsi-r1"), -1);
	assert_string_equal(enic_model_dev(&f.m, "enp1s0")->vf[0].name, "finance");
	assert_int_equal(DELTA(&f, retries), 5);
	assert_int_equal(DELTA(&f, recovered), 1);
	assert_int_equal(DELTA(&f, errors), 5);
	assert_int_equal(DELTA(&f, success), 1);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(f.m.setlinks, 6);
	log_set_level(LOG_CRIT);
	fx_fini(&f);
}

/* A driver busy with another command (-EBUSY from set_vf_port) and a port
 * in BADSTATE are retried too. */
static void test_retry_busy_and_badstate(void **state)
{
	(void)state;
	struct fx f;

	fx_init_retry(&f, 0, 1000000, 0);
	f.m.inprogress_polls = 0;
	f.m.fail_count = 1;
	f.m.fail_errno = -EBUSY;
	assert_int_equal(assoc(&f, "vsi-b1", "", "eth4", "finance"), 0);
	assert_int_equal(qbh_last("vsi-b1")->error, -EBUSY);
	expect_retry(&f, "vsi-b1", 1000000, 1);
	assert_int_equal(qbh_last("vsi-b1")->state, QBH_ST_DONE);
	f.m.fail_errno = 0;
	f.m.fail_count = 1;
	f.m.fail_response = QBH_RESP_BADSTATE;
	assert_int_equal(assoc(&f, "vsi-b1", "", "eth4", "hr"), 0);
	assert_int_equal(qbh_last("vsi-b1")->response, QBH_RESP_BADSTATE);
	expect_retry(&f, "vsi-b1", 1000000, 1);
	assert_int_equal(qbh_last("vsi-b1")->state, QBH_ST_DONE);
	assert_string_equal(enic_model_dev(&f.m, "eth4")->self.name, "hr");
	fx_fini(&f);
}

/* An association with retries on that the adapter leaves INPROGRESS past
 * the deadline: its result, once the take-back DISASSOCIATE is sent. */
static const struct qbh_result *time_out(struct fx *f, const char *key, const char *dev,
					 const char *uplink)
{
	fx_init_retry(f, 0, 1000000, 0);
	f->m.never_done = true;
	assert_int_equal(assoc(f, key, dev, uplink, "finance"), 0);
	fakeclock_advance(&f->fc, QBH_DEADLINE_US);
	assert_int_equal(qbh_last(key)->error, -ETIMEDOUT);
	assert_int_equal(f->m.setlinks, 2); /* the take-back DISASSOCIATE */
	return qbh_last(key);
}

/* The deadline is transient; the DISASSOCIATE that takes the attempt back
 * goes first (an ASSOCIATE beside it would be undone), then the retry. */
static void test_retry_after_deadline_waits_for_take_back(void **state)
{
	(void)state;
	struct fx f;

	const struct qbh_result *r = time_out(&f, "vsi-d1", "enp1s0v0", "enp1s0");
	assert_int_equal(r->retry, QBH_RETRY_WAITING);
	fakeclock_advance(&f.fc, 1000000);
	assert_int_equal(f.m.setlinks, 2); /* due, but the take-back still runs */
	f.m.never_done = false;
	enic_model_dev(&f.m, "enp1s0")->vf[0].inprogress_left = 0;
	fakeclock_advance(&f.fc, 2 * QBH_POLL_US);
	assert_int_equal(f.m.setlinks, 3);
	assert_int_equal(enic_model_dev(&f.m, "enp1s0")->vf[0].request, PORT_REQUEST_ASSOCIATE);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(qbh_last("vsi-d1")->state, QBH_ST_DONE);
	assert_int_equal(qbh_last("vsi-d1")->retries, 1);
	fx_fini(&f);
}

/* On the device itself (PORT_SELF) the deadline's take-back zeroes the
 * netdev's MAC, and an ASSOCIATE on a zero MAC registers a random one:
 * that deadline is not retried. */
static void test_retry_not_after_self_take_back(void **state)
{
	(void)state;
	struct fx f;

	const struct qbh_result *r = time_out(&f, "vsi-d2", "", "eth4");
	assert_int_equal(r->retry, QBH_RETRY_PERMANENT);
	f.m.never_done = false;
	enic_model_dev(&f.m, "eth4")->self.inprogress_left = 0;
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(f.m.setlinks, 2);
	assert_int_equal(enic_model_dev(&f.m, "eth4")->self.request, PORT_REQUEST_DISASSOCIATE);
	assert_int_equal(qbh_last("vsi-d2")->retries, 0);
	assert_int_equal(qbh_counters()->permanent - f.c0.permanent, 1);
	fx_fini(&f);
}

/* Permanent causes are never sent again: no port profiles on the device
 * (EOPNOTSUPP) and a profile the switch calls INVALID; a transient failure
 * beside them is. */
static void test_retry_not_for_permanent(void **state)
{
	(void)state;
	struct fx f;

	fx_init_retry(&f, 0, 1000000, 0);
	f.m.inprogress_polls = 0;
	strcpy(f.m.invalid_profile, "nosuch");
	assert_int_equal(assoc(&f, "vsi-p1", "", "eth5", "finance"), 0);
	assert_int_equal(assoc(&f, "vsi-p2", "enp1s0v0", "enp1s0", "nosuch"), 0);
	f.m.fail_count = 1;
	f.m.fail_response = QBH_RESP_ERROR;
	assert_int_equal(assoc(&f, "vsi-p3", "enp1s0v1", "enp1s0", "finance"), 0);
	assert_int_equal(f.m.setlinks, 3);
	assert_int_equal(qbh_last("vsi-p1")->error, -EOPNOTSUPP);
	assert_int_equal(qbh_last("vsi-p1")->retry, QBH_RETRY_PERMANENT);
	assert_int_equal(qbh_last("vsi-p2")->response, QBH_RESP_INVALID);
	assert_int_equal(qbh_last("vsi-p2")->retry, QBH_RETRY_PERMANENT);
	assert_int_equal(qbh_retry_in_ms("vsi-p1"), -1);
	assert_int_equal(qbh_retry_in_ms("vsi-p2"), -1);
	assert_int_equal(qbh_last("vsi-p3")->retry, QBH_RETRY_WAITING);
	assert_int_equal(DELTA(&f, permanent), 2);
	fakeclock_advance(&f.fc, 300000000); /* five minutes */
	assert_int_equal(f.m.setlinks, 4); /* vsi-p3 once more, no one else */
	assert_int_equal(qbh_last("vsi-p3")->state, QBH_ST_DONE);
	assert_int_equal(qbh_last("vsi-p1")->state, QBH_ST_FAILED);
	assert_int_equal(qbh_last("vsi-p2")->state, QBH_ST_FAILED);
	assert_int_equal(DELTA(&f, retries), 1);
	/* the verdicts one by one */
	assert_true(qbh_failure_transient(-ETIMEDOUT, false, 0));
	assert_true(qbh_failure_transient(-EBUSY, false, 0));
	assert_true(qbh_failure_transient(-EAGAIN, false, 0));
	assert_true(qbh_failure_transient(-ENOBUFS, false, 0));
	assert_true(qbh_failure_transient(0, true, QBH_RESP_INSUFFICIENT_RESOURCES));
	assert_true(qbh_failure_transient(0, true, QBH_RESP_ERROR));
	assert_true(qbh_failure_transient(0, true, QBH_RESP_BADSTATE));
	assert_false(qbh_failure_transient(0, true, QBH_RESP_INVALID));
	assert_false(qbh_failure_transient(-EOPNOTSUPP, false, 0));
	assert_false(qbh_failure_transient(-EINVAL, false, 0));
	assert_false(qbh_failure_transient(-ENODEV, false, 0));
	assert_false(qbh_failure_transient(-EPROTO, false, 0));
	fx_fini(&f);
}

/* The VSI no longer wanted while its retry waits: DISASSOCIATE goes out,
 * the retry never does. */
static void test_retry_dropped_by_disassociate(void **state)
{
	(void)state;
	struct fx f;

	fx_init_retry(&f, 0, 1000000, 0);
	f.m.inprogress_polls = 0;
	f.m.fail_count = 1;
	f.m.fail_response = QBH_RESP_INSUFFICIENT_RESOURCES;
	assert_int_equal(assoc(&f, "vsi-x1", "enp1s0v2", "enp1s0", "finance"), 0);
	assert_int_equal(qbh_last("vsi-x1")->retry, QBH_RETRY_WAITING);
	assert_in_range(qbh_retry_in_ms("vsi-x1"), 500, 1000);
	assert_int_equal(qbh_disassociate(f.q, "vsi-x1"), 0);
	assert_int_equal(f.m.setlinks, 2);
	assert_int_equal(qbh_retry_in_ms("vsi-x1"), -1);
	fakeclock_advance(&f.fc, 300000000);
	assert_int_equal(f.m.setlinks, 2);
	assert_int_equal(enic_model_dev(&f.m, "enp1s0")->vf[2].request, PORT_REQUEST_DISASSOCIATE);
	assert_int_equal(qbh_last("vsi-x1")->request, QBH_DISASSOCIATE);
	assert_int_equal(qbh_last("vsi-x1")->state, QBH_ST_DONE);
	assert_int_equal(DELTA(&f, retries), 0);
	fx_fini(&f);
}

/* Asked anew while a retry waits (another profile): sent at once, and the
 * backoff starts over at the first delay. */
static void test_retry_reset_by_new_request(void **state)
{
	(void)state;
	struct fx f;

	fx_init_retry(&f, 0, 1000000, 0);
	f.m.inprogress_polls = 0;
	f.m.fail_count = 4;
	f.m.fail_response = QBH_RESP_ERROR;
	assert_int_equal(assoc(&f, "vsi-c1", "", "eth4", "finance"), 0);
	expect_retry(&f, "vsi-c1", 1000000, 1);
	expect_retry(&f, "vsi-c1", 2000000, 2);
	assert_in_range(qbh_last("vsi-c1")->retry_at_us - f.fc.now, 2000000, 4000000);
	fakeclock_advance(&f.fc, 100000);
	assert_int_equal(assoc(&f, "vsi-c1", "", "eth4", "hr"), 0);
	assert_int_equal(f.m.setlinks, 4);
	assert_string_equal(enic_model_dev(&f.m, "eth4")->self.name, "hr");
	assert_int_equal(qbh_last("vsi-c1")->retries, 0);
	expect_retry(&f, "vsi-c1", 1000000, 1);
	assert_int_equal(qbh_last("vsi-c1")->state, QBH_ST_DONE);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(f.m.setlinks, 5);
	fx_fini(&f);
}

/* A failed VSI does not hold PORT_SELF: when another VSI took it while the
 * retry waited, the retry is dropped instead of overwriting its profile. */
static void test_retry_yields_port_self(void **state)
{
	(void)state;
	struct fx f;

	fx_init_retry(&f, 0, 1000000, 0);
	f.m.inprogress_polls = 0;
	f.m.fail_count = 1;
	f.m.fail_response = QBH_RESP_INSUFFICIENT_RESOURCES;
	assert_int_equal(assoc(&f, "vsi-y1", "macvtap0", "eth4", "finance"), 0);
	assert_int_equal(qbh_last("vsi-y1")->retry, QBH_RETRY_WAITING);
	assert_int_equal(assoc(&f, "vsi-y2", "macvtap1", "eth4", "hr"), 0);
	assert_int_equal(qbh_last("vsi-y2")->state, QBH_ST_DONE);
	fakeclock_advance(&f.fc, 1000000);
	assert_int_equal(f.m.setlinks, 2);
	assert_string_equal(enic_model_dev(&f.m, "eth4")->self.name, "hr");
	const struct qbh_result *r = qbh_last("vsi-y1");
	assert_int_equal(r->error, -EBUSY);
	assert_int_equal(r->retry, QBH_RETRY_PERMANENT);
	assert_non_null(strstr(r->msg, "retry dropped"));
	assert_int_equal(qbh_retry_in_ms("vsi-y1"), -1);
	fx_fini(&f);
}

static struct vdpd *start_vdpd_retry(struct fakeclock *fc, struct enic_model *em,
				     const char *conf_text, uint32_t retry_initial_ms)
{
	char conf[128], path[256];
	struct vdpd *d;
	FILE *f;

	snprintf(path, sizeof(path), "%s/class/dmi/id", sysdir);
	mkdirs("%s", path);
	snprintf(path, sizeof(path), "%s/class/dmi/id/product_uuid", sysdir);
	put_file(path, "A1A2A3A4-B1B2-C1C2-D1D2-E1E2E3E4E5E6\n");
	log_init("test_qbh", LOG_TO_STDERR, getenv("TEST_DEBUG") ? LOG_DEBUG : LOG_CRIT);
	snprintf(conf, sizeof(conf), "%s/vdpd.conf", tmpdir);
	f = fopen(conf, "w");
	assert_non_null(f);
	fputs(conf_text, f);
	fclose(f);
	d = calloc(1, sizeof(*d));
	assert_non_null(d);
	d->opts.config = strdup(conf);
	d->opts.state_file = NULL;	/* not persisted */
	d->opts.qbh_ops = &enic_model_ops;
	d->opts.qbh_ctx = em;
	d->opts.sysfs = sysdir;
	d->clock = fakeclock_vclock(fc);
	d->cfg.qbh.retry_initial_ms = retry_initial_ms;
	d->cfg.retry_max_ms = 60000;
	assert_int_equal(realize_start(d), 0);
	return d;
}

static struct vdpd *start_vdpd(struct fakeclock *fc, struct enic_model *em, const char *conf_text)
{
	return start_vdpd_retry(fc, em, conf_text, 0);
}

static void stop_vdpd(struct vdpd *d)
{
	realize_stop(d);
	free((char *)d->opts.config);
	free(d);
}

/* The registry inside vdpd: an 802.1Qbh network on uplink eth4, an
 * attachment and a binding meet -> ASSOCIATE reaches the adapter, polled
 * to SUCCESS, shown by `resolve`; detach -> DISASSOCIATE. */
static void test_registry_realizes_qbh(void **state)
{
	(void)state;
	const char *id = "0b3c9e2a-1111-4d4d-8e8e-000000000001";
	struct ctl_error cerr;
	struct reg_err err;
	struct fakeclock fc;
	struct enic_model em;

	fakeclock_init(&fc, 0);
	model_init(&em);
	struct vdpd *d = start_vdpd(
		&fc, &em,
		"registry = {\n"
		"  profiles = ( { name = \"fin\"; type = \"802.1Qbh\"; profileid = \"finance\"; } "
		");\n"
		"  uplinks = ( { dev = \"eth4\"; physnet = \"dc\"; mode = \"vepa\"; } );\n"
		"  networks = ( { name = \"net-a\"; physnet = \"dc\"; profile = \"fin\"; } );\n"
		"};\n");
	struct reg_attachment a = { .network = "net-a" };
	struct reg_binding b = { .dev = "macvtap9", .mac = { 0x52, 0x54, 0, 0, 0, 1 } };
	snprintf(a.iface_id, sizeof(a.iface_id), "%s", id);
	snprintf(b.iface_id, sizeof(b.iface_id), "%s", id);
	snprintf(b.uplink, sizeof(b.uplink), "eth4");
	snprintf(b.vm_uuid, sizeof(b.vm_uuid), "66666666-2222-3333-4444-555555555555");
	assert_int_equal(reg_attach(d->reg.reg, &a, &err), 0);
	assert_int_equal(em.setlinks, 0); /* no binding yet: no VSI */
	assert_int_equal(reg_bind(d->reg.reg, &b, &err), 0);
	assert_int_equal(em.setlinks, 1);
	assert_int_equal(em.last_error, 0);
	assert_memory_equal(em.dev[0].self.host, host, 16); /* the SMBIOS UUID */
	/* the instance is the domain's UUID, as libvirt sends it */
	static const uint8_t vm[16] = { 0x66, 0x66, 0x66, 0x66, 0x22, 0x22, 0x33, 0x33,
					0x44, 0x44, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55 };
	assert_memory_equal(em.dev[0].self.inst, vm, 16);
	while (fakeclock_run_next(&fc))
		;

	json_t *args = json_pack("{s:s}", "iface_id", id);
	json_t *j = reg_ctl_resolve(&d->reg, args, &cerr);
	assert_non_null(j);
	json_t *q = json_object_get(j, "qbh");
	assert_non_null(q);
	assert_string_equal(json_string_value(json_object_get(q, "state")), "done");
	assert_string_equal(json_string_value(json_object_get(q, "response")), "success");
	assert_string_equal(json_string_value(json_object_get(q, "result")),
			    "eth4 (driver enic): 802.1Qbh associate of profile finance: success");
	json_decref(j);
	json_decref(args);
	/* registry.show has it with the desired VSI */
	j = reg_ctl_registry_show(&d->reg, NULL, &cerr);
	assert_non_null(j);
	json_t *v0 = json_array_get(json_object_get(j, "vsis"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(v0, "qbh"), "state")),
			    "done");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(v0, "qbh"), "polls")),
			 3);
	json_decref(j);

	assert_int_equal(reg_detach(d->reg.reg, id, &err), 0);
	assert_int_equal(em.setlinks, 2);
	assert_int_equal(em.dev[0].self.request, PORT_REQUEST_DISASSOCIATE);
	stop_vdpd(d);
	fakeclock_destroy(&fc);
	enic_model_fini(&em);
}

/* A VM migrating in: the hooks' "migrate" binds it with migrating set ->
 * PREASSOCIATE_RR; "prepare"/"start" keep it; "started" clears it ->
 * ASSOCIATE, which enic takes without disassociating (same profile, UUIDs,
 * MAC). */
static void test_registry_migration_qbh(void **state)
{
	(void)state;
	const char *id = "0b3c9e2a-1111-4d4d-8e8e-000000000002";
	struct reg_err err;
	struct fakeclock fc;
	struct enic_model em;

	fakeclock_init(&fc, 0);
	model_init(&em);
	struct vdpd *d = start_vdpd(
		&fc, &em,
		"registry = {\n"
		"  profiles = ( { name = \"fin\"; type = \"802.1Qbh\"; profileid = \"finance\"; } "
		");\n"
		"  uplinks = ( { dev = \"eth4\"; physnet = \"dc\"; } );\n"
		"  networks = ( { name = \"net-a\"; physnet = \"dc\"; profile = \"fin\"; } );\n"
		"};\n");
	struct reg_attachment a = { .network = "net-a" };
	struct reg_binding b = { .mac = { 0x52, 0x54, 0, 0, 0, 2 }, .migrating = 1 };
	snprintf(a.iface_id, sizeof(a.iface_id), "%s", id);
	snprintf(b.iface_id, sizeof(b.iface_id), "%s", id);
	snprintf(b.uplink, sizeof(b.uplink), "eth4");
	assert_int_equal(reg_attach(d->reg.reg, &a, &err), 0);
	assert_int_equal(reg_bind(d->reg.reg, &b, &err), 0);
	while (fakeclock_run_next(&fc))
		;
	assert_int_equal(em.setlinks, 1);
	assert_int_equal(em.dev[0].self.request, PORT_REQUEST_PREASSOCIATE_RR);
	assert_int_equal(qbh_last(id)->state, QBH_ST_DONE);
	assert_int_equal(qbh_last(id)->request, QBH_PREASSOCIATE_RR);
	/* prepare/start: migrating not given, nothing changes */
	b.migrating = -1;
	snprintf(b.dev, sizeof(b.dev), "macvtap9");
	assert_int_equal(reg_bind(d->reg.reg, &b, &err), 0);
	assert_int_equal(reg_binding_get(d->reg.reg, id)->migrating, 1);
	/* started: the VM runs here */
	b.migrating = 0;
	assert_int_equal(reg_bind(d->reg.reg, &b, &err), 0);
	while (fakeclock_run_next(&fc))
		;
	assert_int_equal(reg_binding_get(d->reg.reg, id)->migrating, 0);
	assert_int_equal(em.setlinks, 2);
	assert_int_equal(em.dev[0].self.request, PORT_REQUEST_ASSOCIATE);
	assert_int_equal(qbh_last(id)->state, QBH_ST_DONE);
	assert_int_equal(qbh_last(id)->request, QBH_ASSOCIATE);
	stop_vdpd(d);
	fakeclock_destroy(&fc);
	enic_model_fini(&em);
}

static json_t *resolve_qbh(struct vdpd *d, const char *id)
{
	struct ctl_error cerr;
	json_t *args = json_pack("{s:s}", "iface_id", id);
	json_t *j = reg_ctl_resolve(&d->reg, args, &cerr);
	json_t *q;

	json_decref(args);
	assert_non_null(j);
	q = json_incref(json_object_get(j, "qbh"));
	json_decref(j);
	assert_non_null(q);
	return q;
}

/* The registry's VSI in vdpd: a transient failure is retried on the
 * timer and `resolve` shows it (retry, retries, next_retry_ms beside the
 * old members); a change of the binding re-requests at once with the
 * backoff from the start; unbinding during the backoff de-associates and
 * nothing is retried after. */
static void test_registry_qbh_retry(void **state)
{
	(void)state;
	const char *id = "0b3c9e2a-1111-4d4d-8e8e-000000000003";
	struct reg_err err;
	struct fakeclock fc;
	struct enic_model em;
	json_t *q;

	fakeclock_init(&fc, 0);
	model_init(&em);
	em.inprogress_polls = 0;
	em.fail_count = 3;
	em.fail_response = QBH_RESP_INSUFFICIENT_RESOURCES;
	struct vdpd *d = start_vdpd_retry(
		&fc, &em,
		"registry = {\n"
		"  profiles = ( { name = \"fin\"; type = \"802.1Qbh\"; profileid = \"finance\"; "
		"},\n"
		"               { name = \"hr\"; type = \"802.1Qbh\"; profileid = \"hr\"; } );\n"
		"  uplinks = ( { dev = \"eth4\"; physnet = \"dc\"; } );\n"
		"  networks = ( { name = \"net-a\"; physnet = \"dc\"; profile = \"fin\"; },\n"
		"               { name = \"net-b\"; physnet = \"dc\"; profile = \"hr\"; } );\n"
		"};\n",
		1000);
	struct reg_attachment a = { .network = "net-a" };
	struct reg_binding b = { .dev = "macvtap9", .mac = { 0x52, 0x54, 0, 0, 0, 3 } };
	snprintf(a.iface_id, sizeof(a.iface_id), "%s", id);
	snprintf(b.iface_id, sizeof(b.iface_id), "%s", id);
	snprintf(b.uplink, sizeof(b.uplink), "eth4");
	snprintf(b.vm_uuid, sizeof(b.vm_uuid), "66666666-2222-3333-4444-555555555555");
	assert_int_equal(reg_attach(d->reg.reg, &a, &err), 0);
	assert_int_equal(reg_bind(d->reg.reg, &b, &err), 0);
	assert_int_equal(em.setlinks, 1);

	q = resolve_qbh(d, id);
	assert_string_equal(json_string_value(json_object_get(q, "state")), "failed");
	assert_string_equal(json_string_value(json_object_get(q, "response")),
			    "insufficient resources");
	assert_true(json_is_integer(json_object_get(q, "polls")));
	assert_true(json_is_integer(json_object_get(q, "errno")));
	assert_string_equal(json_string_value(json_object_get(q, "retry")), "waiting");
	assert_int_equal(json_integer_value(json_object_get(q, "retries")), 0);
	assert_in_range(json_integer_value(json_object_get(q, "next_retry_ms")), 500, 1000);
	json_decref(q);

	fakeclock_advance(&fc, 1000000); /* the first retry, failing again */
	assert_int_equal(em.setlinks, 2);
	q = resolve_qbh(d, id);
	assert_int_equal(json_integer_value(json_object_get(q, "retries")), 1);
	assert_in_range(json_integer_value(json_object_get(q, "next_retry_ms")), 0, 2000);
	json_decref(q);
	assert_in_range(qbh_last(id)->retry_at_us - fc.now, 1, 2000000);

	/* the attachment moves to another network (profile hr): at once, from
	 * the first delay again */
	snprintf(a.network, sizeof(a.network), "net-b");
	assert_int_equal(reg_attach(d->reg.reg, &a, &err), 0);
	assert_int_equal(em.setlinks, 3);
	assert_string_equal(em.dev[0].self.name, "hr");
	q = resolve_qbh(d, id);
	assert_int_equal(json_integer_value(json_object_get(q, "retries")), 0);
	assert_in_range(json_integer_value(json_object_get(q, "next_retry_ms")), 500, 1000);
	json_decref(q);

	/* unbound while the retry waits: DISASSOCIATE, then nothing */
	assert_int_equal(reg_unbind(d->reg.reg, id, &err), 0);
	assert_int_equal(em.setlinks, 4);
	assert_int_equal(em.dev[0].self.request, PORT_REQUEST_DISASSOCIATE);
	assert_int_equal(qbh_retry_in_ms(id), -1);
	fakeclock_advance(&fc, 300000000);
	assert_int_equal(em.setlinks, 4);
	assert_int_equal(em.dev[0].self.request, PORT_REQUEST_DISASSOCIATE);
	stop_vdpd(d);
	fakeclock_destroy(&fc);
	enic_model_fini(&em);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_qbh.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(sysdir, sizeof(sysdir), "%s/sys", tmpdir);
	make_sysfs();
	return 0;
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
		cmocka_unit_test(test_model_enforces_kernel_and_enic),
		cmocka_unit_test(test_model_status_replies),
		cmocka_unit_test(test_associate_self_polls_to_success),
		cmocka_unit_test(test_invalid_response_is_error),
		cmocka_unit_test(test_deadline_disassociates),
		cmocka_unit_test(test_vf_resolution),
		cmocka_unit_test(test_static_vnic_refused),
		cmocka_unit_test(test_two_vsis_on_port_self),
		cmocka_unit_test(test_move_keeps_mac),
		cmocka_unit_test(test_start_adopts_existing),
		cmocka_unit_test(test_migration_preassociate_rr),
		cmocka_unit_test(test_bad_ack_errno),
		cmocka_unit_test(test_silent_kernel_deadline),
		cmocka_unit_test(test_registry_realizes_qbh),
		cmocka_unit_test(test_registry_migration_qbh),
		cmocka_unit_test(test_retry_transient_backoff_to_success),
		cmocka_unit_test(test_retry_busy_and_badstate),
		cmocka_unit_test(test_retry_after_deadline_waits_for_take_back),
		cmocka_unit_test(test_retry_not_after_self_take_back),
		cmocka_unit_test(test_retry_not_for_permanent),
		cmocka_unit_test(test_retry_dropped_by_disassociate),
		cmocka_unit_test(test_retry_reset_by_new_request),
		cmocka_unit_test(test_retry_yields_port_self),
		cmocka_unit_test(test_registry_qbh_retry),
		cmocka_unit_test(test_kernel_veth_eopnotsupp),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
