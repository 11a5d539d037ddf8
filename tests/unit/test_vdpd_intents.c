/* vdpd in-process (fixture: vdpd_fx.h): the VSI intents file: restart,
 * one journal flush per batch, replay when an interface returns, a bad
 * file refused. */
#include "tests/unit/vdpd_fx.h"

/* Lines of the intents journal (all if prefix is ""), or its records whose
 * payload starts with prefix. */
static int journal_lines(struct fx *f, const char *prefix)
{
	char path[160], line[4096];
	int n = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s.journal", f->intents);
	fp = fopen(path, "r");
	assert_non_null(fp);
	/* records are "J <seq> <len> <crc> <payload>": the payload at 37 */
	while (fgets(line, sizeof(line), fp))
		if (!*prefix ||
		    (!strncmp(line, "J ", 2) && strlen(line) > 37 &&
		     !strncmp(line + 37, prefix, strlen(prefix))))
			n++;
	fclose(fp);
	return n;
}

static json_t *intents_file(struct fx *f)
{
	json_t *doc = json_load_file(f->intents, 0, NULL);

	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(doc, "version")), 1);
	return doc;
}

static void test_intents_survive_restart(void **state)
{
	struct fx *f = *state;
	json_t *doc, *e;
	uint8_t id[16];

	assert_true(wait_converged(f, 3000));
	associate(f, UUID1);
	json_decref(call_ok(f, "vsi.add",
			    json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:[{s:i, s:i}]}", "uplink",
				      "st0", "mode", "preassoc", "vsiid_format", "mac", "vsiid",
				      "52:54:00:aa:bb:cc", "typeid", 7, "typeidver", 1, "filters",
				      "vid", 20, "pcp", 5)));
	assert_true(wait_vsi(f, "52:54:00:aa:bb:cc", "state", "preassoc", 3000));
	/* Journaled in the loop pass of the change: no snapshot yet. */
	assert_int_equal(access(f->intents, F_OK), -1);
	assert_int_equal(journal_lines(f, "{\"put\":{"), 2);

	/* Stop (nothing is de-associated) and start again: both VSIs are
	 * requested again from the file, in their canonical form. */
	restart(f);
	/* the clean stop wrote the snapshot and emptied the journal */
	doc = intents_file(f);
	assert_int_equal(json_array_size(json_object_get(doc, "vsis")), 2);
	json_decref(doc);
	assert_int_equal(journal_lines(f, ""), 0);
	assert_true(wait_converged(f, 3000));
	assert_true(wait_vsi(f, UUID1, "state", "assoc", 3000));
	assert_true(wait_vsi(f, "52:54:00:aa:bb:cc", "state", "preassoc", 3000));
	assert_int_equal(vdp_txt_uuid_parse(UUID1, id), 0);
	assert_non_null(vdp_bridge_find(uplink_bridge(f->br), VDP_VSIID_UUID, id));
	json_t *r = call_ok(f, "vsi.show", json_pack("{s:s}", "id", "52:54:00:aa:bb:cc"));
	e = json_array_get(json_object_get(json_array_get(r, 0), "filters"), 0);
	assert_int_equal(json_integer_value(json_object_get(e, "pcp")), 5);
	assert_true(json_is_true(json_object_get(e, "ps")));
	json_decref(r);
	r = call_ok(f, "stats", NULL);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "intents"), "vsis")),
			 2);
	json_decref(r);

	/* vsi.del ends the intent at once. */
	json_decref(call_ok(f, "vsi.del", json_pack("{s:s, s:s}", "uplink", "st0", "uuid", UUID1)));
	assert_int_equal(journal_lines(f, "{\"del\":{\"uplink\":\"st0\",\"vsiid_format\":\"uuid\""),
			 0);
	run_ms(f, 1); /* one loop pass */
	assert_int_equal(journal_lines(f, "{\"del\":{\"uplink\":\"st0\",\"vsiid_format\":\"uuid\""),
			 1);
	restart(f);
	doc = intents_file(f);
	assert_int_equal(json_array_size(json_object_get(doc, "vsis")), 1);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(doc, "vsis"), 0), "vsiid")),
			    "52:54:00:aa:bb:cc");
	json_decref(doc);
}

/* True once a whole frame waits on fd: reading it then cannot stop half
 * way while the daemon, in this thread, still holds its rest. */
static bool frame_waiting(int fd)
{
	uint8_t h[4];
	int avail = 0;

	if (recv(fd, h, 4, MSG_PEEK | MSG_DONTWAIT) != 4 || ioctl(fd, FIONREAD, &avail) < 0)
		return false;
	return (size_t)avail >=
		4 + ((size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3]);
}

/* The next reply frame on fd, the daemon's loop run meanwhile; NULL after
 * 5 s. */
static json_t *pump_reply(struct fx *f, int fd)
{
	int64_t end = ctl_deadline(5000);
	json_t *m = NULL;

	while (ctl_deadline(0) < end) {
		if (frame_waiting(fd))
			return ctl_recv_msg(fd, &m, ctl_deadline(1000)) == 0 ? m : NULL;
		event_base_loop(f->d.base, EVLOOP_NONBLOCK);
	}
	return NULL;
}

/* vdpctl -b pipelines: 1,000 vsi.add requests in one write are all
 * answered, in order, and their intents reach the journal in one write
 * and one sync (the write-ahead runs once per pass, not per request). */
static void test_thousand_adds_one_journal_flush(void **state)
{
	struct fx *f = *state;
	size_t cap = 1000 * 256, off = 0;
	uint8_t *buf = malloc(cap);
	json_t *r, *j;
	int sv[2];

	assert_true(wait_converged(f, 3000));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(ctl_server_adopt(f->d.ctl, sv[0]), 0);
	for (int i = 0; i < 1000; i++) {
		char one[256];
		int n = snprintf(
			one, sizeof(one),
			"{\"version\":1,\"cmd\":\"vsi.add\",\"id\":%d,\"args\":{\"uplink\":\"st0\","
			"\"mode\":\"assoc\",\"uuid\":\"%08x-0000-4000-8000-000000000001\","
			"\"typeid\":\"5\","
			"\"typeidver\":\"4\",\"filters\":[{\"vid\":\"10\"}]}}",
			i, i);

		buf[off] = 0;
		buf[off + 1] = 0;
		buf[off + 2] = (uint8_t)(n >> 8);
		buf[off + 3] = (uint8_t)n;
		memcpy(buf + off + 4, one, (size_t)n);
		off += 4 + (size_t)n;
	}
	assert_int_equal(write(sv[1], buf, off), (ssize_t)off);
	free(buf);
	for (int i = 0; i < 1000; i++) {
		char want[40];

		r = pump_reply(f, sv[1]);
		assert_non_null(r);
		assert_true(json_is_true(json_object_get(r, "ok")));
		assert_int_equal(json_integer_value(json_object_get(r, "id")), i);
		snprintf(want, sizeof(want), "%08x-0000-4000-8000-000000000001", i);
		assert_string_equal(
			json_string_value(json_object_get(json_object_get(r, "result"), "vsiid")),
			want);
		json_decref(r);
	}
	close(sv[1]);
	r = call_ok(f, "stats", NULL);
	j = json_object_get(json_object_get(r, "intents"), "journal");
	assert_int_equal(json_integer_value(json_object_get(j, "appends")), 1000);
	assert_int_equal(json_integer_value(json_object_get(j, "flushes")), 1);
	json_decref(r);
	assert_int_equal(journal_lines(f, "{\"put\":{"), 1000);
}

static void test_intents_replayed_when_interface_returns(void **state)
{
	struct fx *f = *state;
	struct vdpd_uplink *du = vdpd_find_uplink(&f->d, "st0");
	uint8_t id[16];
	int sv[2];

	assert_true(wait_converged(f, 3000));
	associate(f, UUID1);
	vdpd_link_event(&f->d, "st0", du->ifindex, false, false);
	assert_null(du->u);
	/* A new interface by that name (new wire, new bridge port). */
	uplink_free(f->br, false);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
			 0);
	f->w.fd[0] = sv[0];
	f->w.fd[1] = sv[1];
	struct uplink_params bp;
	uplink_params_default(&bp, UPLINK_BRIDGE);
	bp.port_ops = &wire_ops;
	bp.port_ctx = &f->w;
	bp.link = UPLINK_LINK_UP;
	f->br = uplink_new(f->d.base, f->d.clock, "br0", UPLINK_BRIDGE, &bp, NULL, NULL);
	vdpd_link_event(&f->d, "st0", 42, true, true);
	assert_non_null(du->u);
	assert_true(wait_vsi(f, UUID1, "state", "assoc", 3000));
	assert_int_equal(vdp_txt_uuid_parse(UUID1, id), 0);
	assert_non_null(vdp_bridge_find(uplink_bridge(f->br), VDP_VSIID_UUID, id));
}

static void test_intents_bad_file_refused(void **state)
{
	struct fx *f = *state;
	struct vdpd_opts o = f->d.opts;
	struct vdpd_config cfg;
	char err[256], buf[128];
	FILE *fp;

	/* One daemon per process (signals): stop the fixture's first. */
	uplink_free(f->br, false);
	f->br = NULL;
	vdpd_fini(&f->d);

	fp = fopen(f->intents, "w");
	fputs("{\"version\":1,\"vsis\":[", fp); /* truncated */
	fclose(fp);
	assert_int_equal(cfg_load_file(f->conf, &cfg, err, sizeof(err)), 0);
	assert_int_equal(vdpd_init(&f->d, &o, &cfg), -EINVAL);
	cfg_free(&cfg);
	/* Not overwritten. */
	fp = fopen(f->intents, "r");
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	assert_string_equal(buf, "{\"version\":1,\"vsis\":[");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_intents_survive_restart, setup_intents,
						teardown),
		cmocka_unit_test_setup_teardown(test_thousand_adds_one_journal_flush, setup_intents,
						teardown),
		cmocka_unit_test_setup_teardown(test_intents_replayed_when_interface_returns, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_intents_bad_file_refused, setup_intents,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
