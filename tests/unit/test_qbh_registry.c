/* The registry inside vdpd realizing 802.1Qbh VSIs at the kernel + enic
 * model (tests/unit/qbh_env.h): an ASSOCIATE polled to SUCCESS and shown by
 * `resolve` and `registry show`, a migration (PREASSOCIATE_RR, then
 * ASSOCIATE), and a transient failure retried, re-requested and dropped. */
#include "tests/unit/qbh_env.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_realizes_qbh),
		cmocka_unit_test(test_registry_migration_qbh),
		cmocka_unit_test(test_registry_qbh_retry),
	};
	return cmocka_run_group_tests(tests, qbh_env_setup, qbh_env_teardown);
}
