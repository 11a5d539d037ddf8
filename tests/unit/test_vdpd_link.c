/* vdpd in-process (fixture: vdpd_fx.h): VSIs across a reload, a link
 * down and up, a rename and a re-created interface. */
#include "tests/unit/vdpd_fx.h"

static void test_reload_keeps_vsis(void **state)
{
	struct fx *f = *state;
	struct vdpd_uplink *du;
	struct ctl_error err;
	uint64_t req_before;
	json_t *r;

	assert_true(wait_converged(f, 3000));
	associate(f, UUID1);
	du = vdpd_find_uplink(&f->d, "st0");
	req_before = uplink_station(du->u)->cnt.requests;

	/* A broken file changes nothing and says why. */
	write_conf(f, "uplinks = ( { name = \"st0\"; evb = { r = 9; }; } );\n");
	r = call(f, "config.reload", NULL, &err);
	assert_null(r);
	assert_non_null(
		strstr(err.msg, "vdpd.conf:1: evb.r (ECP maxRetries) = 9 is out of range 0..7"));
	assert_int_equal(f->d.cnt.reload_errors, 1);

	/* Add an uplink that does not exist yet, change st0's LLDP timer
	 * only: st0's VSI is not touched. */
	write_conf(f,
		   "global = { mgrid = \"blabla\"; };\n"
		   "uplinks = ( { name = \"st0\"; evb = { rte = 8; rka = 14; }; lldp = { "
		   "tx_interval = 5; }; },\n"
		   "            { name = \"st1\"; } );\n");
	r = call_ok(f, "config.reload", json_object());
	assert_int_equal(json_integer_value(json_object_get(r, "uplinks")), 2);
	json_decref(r);
	assert_ptr_equal(vdpd_find_uplink(&f->d, "st0"), du);
	assert_int_equal(uplink_agent(du->u)->cfg.tx_interval_s, 5);
	assert_int_equal(uplink_station(du->u)->cnt.requests, req_before);
	char buf[32];
	assert_string_equal(vsi_field(f, UUID1, "state", buf, sizeof(buf)), "assoc");
	r = call_ok(f, "uplink.show", json_pack("{s:s}", "uplink", "st1"));
	assert_false(json_is_true(json_object_get(json_array_get(r, 0), "present")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "link")),
			    "absent");
	json_decref(r);
	call_fail(f, "vsi.add",
		  json_pack("{s:s, s:s, s:s, s:i, s:i, s:[{s:i}]}", "uplink", "st1", "mode",
			    "assoc", "uuid", UUID2, "typeid", 1, "typeidver", 1, "filters", "vid",
			    3),
		  ENETDOWN, "uplink st1 is not running");

	/* Remove st1 again. */
	write_conf(f, base_conf);
	json_decref(call_ok(f, "config.reload", json_object()));
	assert_null(vdpd_find_uplink(&f->d, "st1"));
	assert_string_equal(vsi_field(f, UUID1, "state", buf, sizeof(buf)), "assoc");
}

static void test_link_down_up_reassociates(void **state)
{
	struct fx *f = *state;
	struct vdpd_uplink *du;
	char buf[32];
	uint8_t id[16];

	assert_true(wait_converged(f, 3000));
	associate(f, UUID1);
	du = vdpd_find_uplink(&f->d, "st0");
	vdpd_link_event(&f->d, "st0", du->ifindex, true, false);
	assert_false(uplink_link_up(du->u));
	assert_int_equal(f->d.cnt.link_events, 1);
	run_ms(f, 20);
	/* Paused, not forgotten. */
	assert_string_equal(vsi_field(f, UUID1, "mode", buf, sizeof(buf)), "assoc");
	/* The bridge forgets it (as a restarted bridge would). */
	uplink_bridge_restart(f->br);
	assert_int_equal(vdp_txt_uuid_parse(UUID1, id), 0);
	assert_null(vdp_bridge_find(uplink_bridge(f->br), VDP_VSIID_UUID, id));
	vdpd_link_event(&f->d, "st0", du->ifindex, true, true);
	assert_true(uplink_link_up(du->u));
	/* EVB again, then the VSI is sent again and the bridge has it. */
	int64_t end = ctl_deadline(3000);
	while (!vdp_bridge_find(uplink_bridge(f->br), VDP_VSIID_UUID, id) &&
	       ctl_deadline(0) < end) {
		event_base_loop(f->d.base, EVLOOP_NONBLOCK);
		usleep(200);
	}
	assert_non_null(vdp_bridge_find(uplink_bridge(f->br), VDP_VSIID_UUID, id));
	assert_true(wait_vsi(f, UUID1, "state", "assoc", 3000));
	/* The interface vanishing stops the uplink (reported as absent). */
	vdpd_link_event(&f->d, "st0", du->ifindex, false, false);
	assert_null(du->u);
	assert_string_equal(du->absent_why, "interface removed");
}

static void test_link_rename_and_recreate(void **state)
{
	struct fx *f = *state;
	struct vdpd_uplink *du = vdpd_find_uplink(&f->d, "st0");
	int ifindex = du->ifindex;

	assert_non_null(du->u);
	/* Other interfaces do not matter. */
	vdpd_link_event(&f->d, "eth7", 99, true, true);
	vdpd_link_event(&f->d, "eth7", 99, false, false);
	assert_non_null(du->u);
	assert_int_equal(f->d.cnt.link_events, 0);
	/* Same state again: nothing happens. */
	vdpd_link_event(&f->d, "st0", ifindex, true, true);
	assert_int_equal(f->d.cnt.link_events, 0);
	/* Our interface under another name: stopped. */
	vdpd_link_event(&f->d, "st0-old", ifindex, true, true);
	assert_null(du->u);
	assert_string_equal(du->absent_why, "interface renamed");
	/* A new interface by our name is started (the wire is closed now,
	 * so the start fails and says why). */
	vdpd_link_event(&f->d, "st0", ifindex + 1, true, true);
	assert_null(du->u);
	assert_string_equal(du->absent_why, strerror(ENODEV));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reload_keeps_vsis, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_down_up_reassociates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_rename_and_recreate, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
