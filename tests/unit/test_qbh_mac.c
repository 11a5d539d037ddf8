/* vdp/io/qbh: the MAC of the device itself (PORT_SELF) around 802.1Qbh,
 * against the kernel + enic model (tests/unit/qbh_env.h).  enic zeroes the
 * netdev's MAC on DISASSOCIATE and registers a random one for a
 * (pre)association on a zero MAC; the backend remembers the MAC it saw
 * before each of its requests and puts it back (RTM_SETLINK IFLA_ADDRESS)
 * before a (pre)association that finds it zero, or does not send it:
 *   a deadline's take-back, then its retry or a registry change;
 *   a detach, then another VSI attached on the same device (migrating in);
 *   no MAC known: not sent, said with the device and the fix, and the
 *   retry sends once the MAC is set by hand;
 *   the address refused: not sent either;
 *   the same through the registry in vdpd, shown by `resolve`;
 *   the real kernel taking the address message as built. */
#include <sched.h>
#include <net/if.h>

#include "vdp/base/codec.h"
#include "vdp/wire/nl_parse.h"
#include "tests/unit/logcap.h"
#include "tests/unit/qbh_env.h"

static const uint8_t zero[6];
static const uint8_t eth4_mac[6] = { 0x00, 0x25, 0xb5, 0x00, 0x00, 0x0e }; /* the model's */
static const uint8_t by_hand[6] = { 0x00, 0x25, 0xb5, 0x00, 0x00, 0x99 };

/* After a deadline: the take-back DISASSOCIATE went out and zeroed the
 * device's MAC; the adapter answers it at the next poll. */
static void end_take_back(struct fx *f, struct enic_dev *eth4)
{
	assert_int_equal(eth4->self.request, PORT_REQUEST_DISASSOCIATE);
	assert_memory_equal(eth4->mac, zero, 6);
	f->m.never_done = false;
	eth4->self.inprogress_left = 0;
}

/* A deadline on PORT_SELF is retried like one on a VF: the take-back
 * zeroed the MAC, the retry puts it back first, and the association is
 * on the device's own MAC, not a random one. */
static void test_retry_after_self_take_back_restores_mac(void **state)
{
	(void)state;
	struct fx f;

	const struct qbh_result *r = time_out(&f, "vsi-d2", "", "eth4");
	struct enic_dev *eth4 = enic_model_dev(&f.m, "eth4");
	assert_int_equal(r->retry, QBH_RETRY_WAITING);
	end_take_back(&f, eth4);
	while (fakeclock_run_next(&f.fc))
		;
	r = qbh_last("vsi-d2");
	assert_int_equal(r->state, QBH_ST_DONE);
	assert_int_equal(r->retries, 1);
	assert_int_equal(f.m.setaddrs, 1);
	assert_int_equal(f.m.zero_mac_assocs, 0);
	assert_int_equal(eth4->self.request, PORT_REQUEST_ASSOCIATE);
	assert_memory_equal(eth4->mac, eth4_mac, 6);
	assert_memory_equal(eth4->self.mac, eth4_mac, 6);
	assert_int_equal(DELTA(&f, mac_restored), 1);
	assert_int_equal(DELTA(&f, permanent), 0);
	fx_fini(&f);
}

/* Retries off: after a PORT_SELF deadline the registry changes the VSI's
 * profile.  The ASSOCIATE goes out on the original MAC, put back first and
 * said at info. */
static void test_registry_change_after_self_deadline_keeps_mac(void **state)
{
	(void)state;
	struct logcap lc;
	char logs[4096];
	struct fx f;

	fx_init(&f, 0);
	struct enic_dev *eth4 = enic_model_dev(&f.m, "eth4");
	f.m.never_done = true;
	assert_int_equal(assoc(&f, "vsi-m1", "macvtap0", "eth4", "finance"), 0);
	fakeclock_advance(&f.fc, QBH_DEADLINE_US);
	assert_int_equal(qbh_last("vsi-m1")->error, -ETIMEDOUT);
	end_take_back(&f, eth4);
	while (fakeclock_run_next(&f.fc))
		;
	unsigned sent = f.m.setlinks;

	log_set_level(LOG_INFO);
	logcap_begin(&lc);
	int rc = assoc(&f, "vsi-m1", "macvtap0", "eth4", "hr");
	logcap_end(&lc, logs, sizeof(logs));
	log_set_level(LOG_CRIT);
	assert_int_equal(rc, 0);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(qbh_last("vsi-m1")->state, QBH_ST_DONE);
	assert_int_equal(f.m.setlinks, sent + 2); /* the address, then the ASSOCIATE */
	assert_int_equal(f.m.setaddrs, 1);
	assert_int_equal(f.m.zero_mac_assocs, 0);
	assert_string_equal(eth4->self.name, "hr");
	assert_memory_equal(eth4->mac, eth4_mac, 6);
	assert_memory_equal(eth4->self.mac, eth4_mac, 6);
	assert_int_equal(DELTA(&f, mac_restored), 1);
	assert_non_null(strstr(logs,
			       "[info] qbh: vsi-m1: eth4: MAC 00:25:b5:00:00:0e put back "
			       "before the 802.1Qbh associate"));
	fx_fini(&f);
}

/* A VSI detached from eth4 (DISASSOCIATE zeroes the MAC), later another
 * one attached there, migrating in: PREASSOCIATE_RR on the MAC put back,
 * then ASSOCIATE with nothing more to put back. */
static void test_detach_then_attach_restores_mac(void **state)
{
	(void)state;
	struct fx f;
	struct qbh_vsi v = { .key = "vsi-b",
			     .dev = "macvtap1",
			     .uplink = "eth4",
			     .profile = "hr",
			     .migrate = true };

	fx_init(&f, 0);
	struct enic_dev *eth4 = enic_model_dev(&f.m, "eth4");
	assert_int_equal(assoc(&f, "vsi-a", "macvtap0", "eth4", "finance"), 0);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(qbh_disassociate(f.q, "vsi-a"), 0);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(eth4->self.request, PORT_REQUEST_DISASSOCIATE);
	assert_memory_equal(eth4->mac, zero, 6);

	memcpy(v.instance, inst, 16);
	assert_int_equal(qbh_associate(f.q, &v), 0);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(qbh_last("vsi-b")->state, QBH_ST_DONE);
	assert_int_equal(eth4->self.request, PORT_REQUEST_PREASSOCIATE_RR);
	assert_int_equal(f.m.setaddrs, 1);
	assert_memory_equal(eth4->mac, eth4_mac, 6);
	assert_memory_equal(eth4->self.mac, eth4_mac, 6);
	v.migrate = false;
	assert_int_equal(qbh_associate(f.q, &v), 0);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(qbh_last("vsi-b")->state, QBH_ST_DONE);
	assert_int_equal(eth4->self.request, PORT_REQUEST_ASSOCIATE);
	assert_int_equal(f.m.setaddrs, 1);
	assert_int_equal(f.m.zero_mac_assocs, 0);
	assert_memory_equal(eth4->self.mac, eth4_mac, 6);
	fx_fini(&f);
}

/* eth4's MAC already zero when vdpd first sees it (e.g. a DISASSOCIATE
 * before a restart): no ASSOCIATE, a failure that names the device and the
 * fix, counted with the refusals.  Each retry reads the MAC again and
 * sends nothing while it is zero; set by hand, the next retry associates
 * on it. */
static void test_zero_mac_unknown_refused(void **state)
{
	(void)state;
	struct fx f;

	fx_init_retry(&f, 0, 1000000, 0);
	struct enic_dev *eth4 = enic_model_dev(&f.m, "eth4");
	memset(eth4->mac, 0, 6);
	assert_int_equal(assoc(&f, "vsi-z1", "macvtap0", "eth4", "finance"), 0);
	const struct qbh_result *r = qbh_last("vsi-z1");
	assert_int_equal(r->state, QBH_ST_FAILED);
	assert_int_equal(r->error, -EADDRNOTAVAIL);
	assert_string_equal(
		r->msg,
		"eth4 (driver enic): 802.1Qbh associate of profile finance not sent: the device's "
		"MAC is 00:00:00:00:00:00 (enic zeroes it on DISASSOCIATE; it would register a "
		"random one) and vdpd knows none it had before; set it (ip link set dev eth4 "
		"address <its MAC>), vdpd tries again at its next retry");
	assert_int_equal(f.m.setlinks, 0);
	assert_int_equal(eth4->self.requests, 0);
	assert_int_equal(DELTA(&f, mac_zero), 1);
	assert_int_equal(DELTA(&f, refused), 1);
	assert_int_equal(DELTA(&f, errors), 1);
	assert_int_equal(DELTA(&f, requests), 0);
	assert_int_equal(r->retry, QBH_RETRY_WAITING);

	fakeclock_advance(&f.fc, r->retry_at_us - f.fc.now);
	r = qbh_last("vsi-z1");
	assert_int_equal(r->retries, 1);
	assert_int_equal(r->error, -EADDRNOTAVAIL);
	assert_int_equal(f.m.setlinks, 0);

	memcpy(eth4->mac, by_hand, 6);
	while (fakeclock_run_next(&f.fc))
		;
	r = qbh_last("vsi-z1");
	assert_int_equal(r->state, QBH_ST_DONE);
	assert_int_equal(r->retries, 2);
	assert_int_equal(f.m.setlinks, 1);
	assert_int_equal(f.m.setaddrs, 0);
	assert_int_equal(f.m.zero_mac_assocs, 0);
	assert_memory_equal(eth4->self.mac, by_hand, 6);
	fx_fini(&f);
}

/* The MAC is known but the kernel refuses to set it: no ASSOCIATE either,
 * the MAC to set named.  Asked again once it is taken: put back and sent. */
static void test_zero_mac_restore_failure_refused(void **state)
{
	(void)state;
	struct fx f;

	fx_init(&f, 0);
	struct enic_dev *eth4 = enic_model_dev(&f.m, "eth4");
	assert_int_equal(assoc(&f, "vsi-f1", "macvtap0", "eth4", "finance"), 0);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(qbh_disassociate(f.q, "vsi-f1"), 0);
	while (fakeclock_run_next(&f.fc))
		;
	assert_memory_equal(eth4->mac, zero, 6);
	unsigned port_requests = eth4->self.requests;

	f.m.addr_errno = -EBUSY;
	assert_int_equal(assoc(&f, "vsi-f2", "macvtap1", "eth4", "hr"), 0);
	const struct qbh_result *r = qbh_last("vsi-f2");
	assert_int_equal(r->state, QBH_ST_FAILED);
	assert_int_equal(r->error, -EBUSY);
	assert_string_equal(
		r->msg,
		"eth4 (driver enic): 802.1Qbh associate of profile hr not sent: the device's MAC "
		"is 00:00:00:00:00:00 (enic zeroes it on DISASSOCIATE; it would register a random "
		"one) and putting back 00:25:b5:00:00:0e failed: Device or resource busy; set it "
		"(ip link set dev eth4 address 00:25:b5:00:00:0e), vdpd tries again at its next "
		"retry");
	assert_int_equal(r->retry, QBH_RETRY_OFF); /* retries off here */
	assert_int_equal(f.m.setaddrs, 1);
	assert_int_equal(eth4->self.requests, port_requests);
	assert_int_equal(eth4->self.request, PORT_REQUEST_DISASSOCIATE);
	assert_memory_equal(eth4->mac, zero, 6);
	assert_int_equal(DELTA(&f, mac_zero), 1);
	assert_int_equal(DELTA(&f, mac_restored), 0);

	f.m.addr_errno = 0;
	assert_int_equal(assoc(&f, "vsi-f2", "macvtap1", "eth4", "hr"), 0);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(qbh_last("vsi-f2")->state, QBH_ST_DONE);
	assert_int_equal(f.m.setaddrs, 2);
	assert_int_equal(f.m.zero_mac_assocs, 0);
	assert_memory_equal(eth4->self.mac, eth4_mac, 6);
	assert_int_equal(DELTA(&f, mac_restored), 1);
	fx_fini(&f);
}

/* Through the registry in vdpd: a binding on eth4 whose MAC is zero and
 * unknown is not associated; `resolve` shows the failure (errno
 * EADDRNOTAVAIL, the sentence, a retry waiting); set by hand, the retry
 * associates on that MAC. */
static void test_registry_qbh_zero_mac(void **state)
{
	(void)state;
	const char *id = "0b3c9e2a-1111-4d4d-8e8e-000000000004";
	struct reg_err err;
	struct fakeclock fc;
	struct enic_model em;
	uint64_t mac_zero0 = qbh_counters()->mac_zero;

	fakeclock_init(&fc, 0);
	model_init(&em);
	memset(em.dev[0].mac, 0, 6);
	struct vdpd *d = start_vdpd_retry(
		&fc, &em,
		"registry = {\n"
		"  profiles = ( { name = \"fin\"; type = \"802.1Qbh\"; profileid = \"finance\"; } "
		");\n"
		"  uplinks = ( { dev = \"eth4\"; physnet = \"dc\"; } );\n"
		"  networks = ( { name = \"net-a\"; physnet = \"dc\"; profile = \"fin\"; } );\n"
		"};\n",
		1000);
	struct reg_attachment a = { .network = "net-a" };
	struct reg_binding b = { .dev = "macvtap9", .mac = { 0x52, 0x54, 0, 0, 0, 4 } };
	snprintf(a.iface_id, sizeof(a.iface_id), "%s", id);
	snprintf(b.iface_id, sizeof(b.iface_id), "%s", id);
	snprintf(b.uplink, sizeof(b.uplink), "eth4");
	assert_int_equal(reg_attach(d->reg.reg, &a, &err), 0);
	assert_int_equal(reg_bind(d->reg.reg, &b, &err), 0);
	assert_int_equal(em.setlinks, 0);
	assert_int_equal(qbh_counters()->mac_zero - mac_zero0, 1);

	json_t *q = resolve_qbh(d, id);
	assert_string_equal(json_string_value(json_object_get(q, "state")), "failed");
	assert_int_equal(json_integer_value(json_object_get(q, "errno")), EADDRNOTAVAIL);
	assert_non_null(strstr(json_string_value(json_object_get(q, "result")),
			       "eth4 (driver enic): 802.1Qbh associate of profile finance not "
			       "sent: the device's MAC is 00:00:00:00:00:00"));
	assert_string_equal(json_string_value(json_object_get(q, "retry")), "waiting");
	json_decref(q);

	memcpy(em.dev[0].mac, by_hand, 6);
	fakeclock_advance(&fc, 1000000);
	while (fakeclock_run_next(&fc))
		;
	q = resolve_qbh(d, id);
	assert_string_equal(json_string_value(json_object_get(q, "state")), "done");
	assert_int_equal(json_integer_value(json_object_get(q, "retries")), 1);
	json_decref(q);
	assert_int_equal(em.setlinks, 1);
	assert_memory_equal(em.dev[0].self.mac, by_hand, 6);
	assert_int_equal(em.zero_mac_assocs, 0);
	stop_vdpd(d);
	fakeclock_destroy(&fc);
	enic_model_fini(&em);
}

/* One request to the real kernel on the backend's socket; the first
 * reply is parsed into *l (a link) or returns the ack's error. */
static int kernel_ask(int fd, const uint8_t *msg, size_t len, struct nlp_link *l)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	struct nlp_status_reply r;
	int rc;

	assert_int_equal(qbh_nl_kernel.send(NULL, fd, msg, len), 0);
	n = qbh_nl_kernel.recv(NULL, fd, &buf, &cap); /* queued inside sendmsg() */
	assert_true(n > 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(nlp_parse_reply(buf, (size_t)n, &r), NLP_OK);
	rc = r.type == NLMSG_ERROR ? r.error : nlp_parse_link(buf, (size_t)n, l);
	free(buf);
	return rc;
}

/* The real kernel, in a network namespace of our own: the MAC restore's
 * RTM_SETLINK IFLA_ADDRESS sets a veth's MAC (read back with the status
 * query the backend sends), and a zero MAC is refused by a driver that
 * takes none (EADDRNOTAVAIL: what a failed restore reports).  Skipped
 * without CAP_SYS_ADMIN. */
static void test_kernel_takes_setaddr(void **state)
{
	(void)state;
	char name[IFNAMSIZ], cmd[128];
	uint8_t out[64];
	struct wbuf w;
	struct nlp_link l;

	if (unshare(CLONE_NEWNET) < 0)
		skip();
	snprintf(name, sizeof(name), "qbm%d", (int)getpid() % 100000);
	snprintf(cmd, sizeof(cmd), "ip link add %s type veth peer name %sp", name, name);
	if (system(cmd) != 0)
		skip();
	int ifindex = (int)if_nametoindex(name);
	assert_true(ifindex > 0);
	int fd = qbh_nl_kernel.open(NULL);
	assert_true(fd >= 0);
	struct nlp_hdr set = { RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK, 1, 0 };
	struct nlp_hdr get = { RTM_GETLINK, NLM_F_REQUEST, 2, 0 };

	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(nlp_build_setaddr(&w, &set, ifindex, by_hand), NLP_OK);
	assert_int_equal(kernel_ask(fd, out, w.len, &l), 0);
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(nlp_build_getlink(&w, &get, ifindex), NLP_OK);
	assert_int_equal(kernel_ask(fd, out, w.len, &l), NLP_OK);
	assert_true(l.has_mac);
	assert_memory_equal(l.mac, by_hand, 6);

	set.seq = 3;
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(nlp_build_setaddr(&w, &set, ifindex, zero), NLP_OK);
	assert_int_equal(kernel_ask(fd, out, w.len, &l), -EADDRNOTAVAIL);
	qbh_nl_kernel.close(NULL, fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_after_self_take_back_restores_mac),
		cmocka_unit_test(test_registry_change_after_self_deadline_keeps_mac),
		cmocka_unit_test(test_detach_then_attach_restores_mac),
		cmocka_unit_test(test_zero_mac_unknown_refused),
		cmocka_unit_test(test_zero_mac_restore_failure_refused),
		cmocka_unit_test(test_registry_qbh_zero_mac),
		cmocka_unit_test(test_kernel_takes_setaddr), /* last: leaves our netns */
	};
	return cmocka_run_group_tests(tests, qbh_env_setup, qbh_env_teardown);
}
