/* vdp/io/qbh: the 802.1Qbh RTM_SETLINK byte for byte (libvirt's layout
 * without IFLA_VFINFO_LIST, the profile padded to 40 octets), the status
 * reply parser, the port behind a device on a fake sysfs, the SMBIOS host
 * UUID, the backend's sessions on a fake clock against the kernel + enic
 * model (tests/unit/qbh_env.h), and the real kernel in a private network
 * namespace (a veth has no ndo_set_vf_port: -EOPNOTSUPP, said clearly).
 * The model on its own: test_qbh_model.c; retries: test_qbh_retry.c; the
 * device's MAC on PORT_SELF: test_qbh_mac.c; the registry in vdpd:
 * test_qbh_registry.c. */
#include <sched.h>
#include <sys/stat.h>
#include <net/if.h>

#include "vdp/base/codec.h"
#include "vdp/wire/nl_parse.h"
#include "tests/unit/qbh_env.h"

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

/* ---- the backend on a fake clock against the model */

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_self_associate),
		cmocka_unit_test(test_build_vf_disassociate),
		cmocka_unit_test(test_build_profile_limits),
		cmocka_unit_test(test_parse_port_self_reply),
		cmocka_unit_test(test_host_uuid),
		cmocka_unit_test(test_target_sysfs),
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
		cmocka_unit_test(test_kernel_veth_eopnotsupp),
	};
	return cmocka_run_group_tests(tests, qbh_env_setup, qbh_env_teardown);
}
