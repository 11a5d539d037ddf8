/* vdpd in-process (fixture: vdpd_fx.h): vsi.show paging by offset and
 * by cursor ("after") while VSIs come and go. */
#include "tests/unit/vdpd_fx.h"

static void test_vsi_show_paging(void **state)
{
	struct fx *f = *state;
	char seen[300] = { 0 };
	uint32_t off = 0;
	size_t pages = 0, total = 0;

	/* 300 VSIs of 60 MAC/VID filters: about 1.3 MB of JSON, more than one
	 * message may carry. */
	for (int i = 0; i < 300; i++) {
		char uuid[40];
		json_t *filters = json_array();

		snprintf(uuid, sizeof(uuid), "00000000-0000-0000-0000-%012d", i);
		for (int k = 0; k < 60; k++) {
			char mac[18];

			snprintf(mac, sizeof(mac), "52:54:%02x:%02x:00:%02x", i >> 8, i & 0xff, k);
			json_array_append_new(filters,
					      json_pack("{s:s, s:i}", "mac", mac, "vid", 10));
		}
		json_decref(call_ok(f, "vsi.add",
				    json_pack("{s:s, s:s, s:s, s:i, s:i, s:o}", "uplink", "st0",
					      "mode", "assoc", "uuid", uuid, "typeid", 1,
					      "typeidver", 1, "filters", filters)));
	}
	for (;;) {
		json_t *r = call_ok(f, "vsi.show",
				    json_pack("{s:i, s:i}", "offset", off, "limit", 1000));
		size_t n = json_array_size(r), i;
		json_t *v;
		char *text = json_dumps(r, JSON_COMPACT);

		/* Every page fits a message. */
		assert_true(strlen(text) < CTL_MAX_FRAME);
		free(text);
		json_array_foreach (r, i, v) {
			int k = atoi(json_string_value(json_object_get(v, "vsiid")) + 24);

			assert_true(k >= 0 && k < 300);
			assert_int_equal(seen[k], 0);
			seen[k] = 1;
		}
		json_decref(r);
		if (n == 0)
			break;
		pages++;
		total += n;
		off += (uint32_t)n;
		assert_true(pages < 20);
	}
	assert_int_equal(total, 300);
	assert_true(pages >= 2);
	/* limit alone is honoured exactly. */
	json_t *r = call_ok(f, "vsi.show", json_pack("{s:i, s:i}", "offset", 10, "limit", 7));
	assert_int_equal(json_array_size(r), 7);
	json_decref(r);
	/* Without paging: everything (the control socket refuses to send it). */
	r = call_ok(f, "vsi.show", NULL);
	assert_int_equal(json_array_size(r), 300);
	json_decref(r);
	call_fail(f, "vsi.show", json_pack("{s:i}", "limit", -1), EINVAL, "limit must be a number");
}

/* vsi.add of VSI i ("00000000-0000-0000-0000-<i>", one MAC/VID filter). */
static void add_numbered(struct fx *f, int i)
{
	char uuid[40], mac[18];

	snprintf(uuid, sizeof(uuid), "00000000-0000-0000-0000-%012d", i);
	snprintf(mac, sizeof(mac), "52:54:00:%02x:%02x:01", i >> 8, i & 0xff);
	json_decref(call_ok(f, "vsi.add",
			    json_pack("{s:s, s:s, s:s, s:i, s:i, s:[{s:s, s:i}]}", "uplink", "st0",
				      "mode", "assoc", "uuid", uuid, "typeid", 1, "typeidver", 1,
				      "filters", "mac", mac, "vid", 10)));
}

/* vsi.del, then until the daemon has forgotten it. */
static void del_wait_gone(struct fx *f, const char *uuid)
{
	int64_t end = ctl_deadline(3000);
	size_t n = 1;

	json_decref(call_ok(f, "vsi.del", json_pack("{s:s, s:s}", "uplink", "st0", "uuid", uuid)));
	while (n && ctl_deadline(0) < end) {
		json_t *r;

		event_base_loop(f->d.base, EVLOOP_NONBLOCK);
		r = call_ok(f, "vsi.show", json_pack("{s:s}", "id", uuid));
		n = json_array_size(r);
		json_decref(r);
		usleep(200);
	}
	assert_int_equal(n, 0);
}

/* Paging with "after" while VSIs come and go between pages (the VSI the
 * cursor names among those removed, and enough added for the table to
 * double): none is shown twice, every VSI present through the whole walk
 * exactly once.  offset goes along as vdpctl sends it and is ignored. */
static void test_vsi_show_after(void **state)
{
	struct fx *f = *state;
	enum { N0 = 60, NMAX = 200 };
	char seen[NMAX] = { 0 }, gone[NMAX] = { 0 };
	int next = N0;
	size_t pages = 0, total = 0;
	json_t *after = NULL;
	struct vdpd_uplink *du = vdpd_find_uplink(&f->d, "st0");
	size_t mask0;

	assert_true(wait_converged(f, 3000));
	for (int i = 0; i < N0; i++)
		add_numbered(f, i);
	mask0 = uplink_station(du->u)->tab.id_mask;
	for (;;) {
		json_t *args = json_pack("{s:i, s:i}", "offset", (int)total, "limit", 9), *r, *v;
		size_t n, i;

		if (after)
			json_object_set_new(args, "after", after);
		r = call_ok(f, "vsi.show", args);
		n = json_array_size(r);
		json_array_foreach (r, i, v) {
			int k = atoi(json_string_value(json_object_get(v, "vsiid")) + 24);

			assert_true(k >= 0 && k < NMAX);
			assert_int_equal(seen[k], 0);
			seen[k] = 1;
		}
		if (n == 0) {
			json_decref(r);
			break;
		}
		/* The last VSI itself serves as the cursor. */
		after = json_deep_copy(json_array_get(r, n - 1));
		json_decref(r);
		pages++;
		total += n;
		assert_true(pages < 100);
		/* Between pages: the cursor's VSI and one more go, 9 come. */
		char victim[40];
		int k = atoi(json_string_value(json_object_get(after, "vsiid")) + 24), o;

		del_wait_gone(f, json_string_value(json_object_get(after, "vsiid")));
		gone[k] = 1;
		o = (int)(pages * 7) % next;
		if (!gone[o]) {
			snprintf(victim, sizeof(victim), "00000000-0000-0000-0000-%012d", o);
			del_wait_gone(f, victim);
			gone[o] = 1;
		}
		for (int a = 0; a < 9 && next < NMAX; a++)
			add_numbered(f, next++);
	}
	assert_true(uplink_station(du->u)->tab.id_mask > mask0);
	for (int i = 0; i < N0; i++)
		if (!gone[i])
			assert_int_equal(seen[i], 1);
	/* A bad cursor is refused; one naming an absent VSI is fine. */
	call_fail(f, "vsi.show", json_pack("{s:s}", "after", "x"), EINVAL,
		  "after must be an object");
	call_fail(f, "vsi.show",
		  json_pack("{s:{s:s, s:s}}", "after", "uplink", "nope", "vsiid", UUID1), ENODEV,
		  "not a configured uplink");
	json_t *r = call_ok(f, "vsi.show",
			    json_pack("{s:{s:s, s:s}, s:i}", "after", "uplink", "st0", "vsiid",
				      UUID1, "limit", 1000));
	struct vdp_station *st = uplink_station(du->u);
	uint8_t id1[16];
	size_t j = 0;

	assert_int_equal(vdp_txt_uuid_parse(UUID1, id1), 0);
	assert_null(vdp_station_find(st, VDP_VSIID_UUID, id1));
	for (struct vsi *v = vdp_station_first(st); v; v = vdp_station_next(st, v)) {
		char want[48];

		if (vdp_station_cmp(st, v, VDP_VSIID_UUID, id1) < 0)
			continue;
		vdp_txt_vsiid_format(v->vsiid_fmt, v->vsiid, want);
		assert_string_equal(
			json_string_value(json_object_get(json_array_get(r, j++), "vsiid")), want);
	}
	assert_int_equal(json_array_size(r), j);
	assert_true(j > 0 && j < vdp_station_count(st));
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vsi_show_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vsi_show_after, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
