/* vdpd in-process (fixture: vdpd_fx.h): negotiation, vsi.add and
 * vsi.del, validation, other VSI ID formats, text replies, stats, the
 * sd_notify handshake and pidfile, one registry profile on 802.1Qbg and
 * 802.1Qbh. */
#include "tests/unit/vdpd_fx.h"

static void model_init_vic(struct enic_model *em)
{
	enic_model_init(em);
	enic_model_add(em, "eth4", 14, true, 0); /* a dynamic vNIC */
}

static void test_negotiation_and_show(void **state)
{
	struct fx *f = *state;
	json_t *r, *u, *n;

	assert_true(wait_converged(f, 3000));
	r = call_ok(f, "uplink.show", NULL);
	assert_true(json_is_array(r));
	assert_int_equal(json_array_size(r), 1);
	u = json_array_get(r, 0);
	assert_string_equal(json_string_value(json_object_get(u, "name")), "st0");
	assert_true(json_is_true(json_object_get(u, "present")));
	assert_true(json_is_true(json_object_get(u, "converged")));
	assert_string_equal(json_string_value(json_object_get(u, "mac")), "02:00:00:00:00:01");
	/* Operative = max(local, peer): RWD 22 from the bridge, RKA 14 ours. */
	json_t *oper = json_object_get(json_object_get(u, "evb"), "oper");
	assert_int_equal(json_integer_value(json_object_get(oper, "rwd")), 22);
	assert_int_equal(json_integer_value(json_object_get(oper, "rka")), 20);
	assert_string_equal(json_string_value(json_object_get(json_object_get(u, "config"), "mgrid")),
			    "blabla");
	json_decref(r);

	r = call_ok(f, "neighbor.show", NULL);
	assert_int_equal(json_array_size(r), 1);
	n = json_array_get(r, 0);
	assert_string_equal(json_string_value(json_object_get(n, "uplink")), "st0");
	assert_string_equal(json_string_value(json_object_get(n, "chassis_id")), "02:00:00:00:00:02");
	assert_string_equal(json_string_value(json_object_get(n, "port_id")), "br0");
	assert_true(json_integer_value(json_object_get(n, "ttl")) > 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(n, "evb"), "rwd")), 22);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(n, "negotiated"), "rwd")), 22);
	json_decref(r);

	/* Filters by uplink: an unknown one is an error naming the known. */
	call_fail(f, "uplink.show", json_pack("{s:s}", "uplink", "eth9"), ENODEV,
		  "eth9 is not a configured uplink (configured: st0)");
	call_fail(f, "neighbor.show", json_pack("{s:i}", "uplink", 3), EINVAL, "uplink");
}

static void test_associate_and_deassociate(void **state)
{
	struct fx *f = *state;
	uint8_t id[16];
	json_t *r, *v;

	assert_true(wait_converged(f, 3000));
	associate(f, UUID1);
	/* The bridge holds it, with our filter. */
	assert_int_equal(vdp_txt_uuid_parse(UUID1, id), 0);
	struct vsi *bv = vdp_bridge_find(uplink_bridge(f->br), VDP_VSIID_UUID, id);
	assert_non_null(bv);
	assert_int_equal(bv->mode_cur, VDP_MODE_ASSOC);
	assert_int_equal(bv->type_id, 1193047);
	assert_int_equal(bv->mgrid[0], 11);
	assert_int_equal(vdp_vid(bv->filters[0].f.ps_pcp_vid), 10);

	r = call_ok(f, "vsi.show", json_pack("{s:s}", "uplink", "st0"));
	assert_int_equal(json_array_size(r), 1);
	v = json_array_get(r, 0);
	assert_string_equal(json_string_value(json_object_get(v, "vsiid")), UUID1);
	assert_string_equal(json_string_value(json_object_get(v, "vsiid_format")), "uuid");
	assert_string_equal(json_string_value(json_object_get(v, "mgrid")), "11");
	assert_int_equal(json_integer_value(json_object_get(v, "typeid")), 1193047);
	assert_string_equal(json_string_value(json_object_get(v, "filter_format")), "mac-vid");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(v, "filters"), 0), "mac")),
			    "52:54:00:c7:3e:ce");
	assert_string_equal(json_string_value(json_object_get(v, "sm_state")), "WAIT_SYSCMD");
	json_decref(r);
	/* id without dashes finds it too; another id finds nothing (empty array). */
	r = call_ok(f, "vsi.show", json_pack("{s:s}", "id", "A141285760F74CE1E95A2164943F53DD"));
	assert_int_equal(json_array_size(r), 1);
	json_decref(r);
	r = call_ok(f, "vsi.show", json_pack("{s:s}", "id", UUID2));
	assert_true(json_is_array(r));
	assert_int_equal(json_array_size(r), 0);
	json_decref(r);

	/* Stepping back to pre-association is refused (41.5.5). */
	call_fail(f, "vsi.add", add_args(UUID1, "preassoc"), EINVAL, "cannot step back");

	r = call_ok(f, "vsi.del", json_pack("{s:s, s:s}", "uplink", "st0", "uuid", UUID1));
	assert_string_equal(json_string_value(json_object_get(r, "mode")), "deassoc");
	json_decref(r);
	/* Confirmed, then forgotten by the daemon: vsi.show is empty. */
	int64_t end = ctl_deadline(3000);
	size_t n = 1;
	while (n && ctl_deadline(0) < end) {
		event_base_loop(f->d.base, EVLOOP_NONBLOCK);
		r = call_ok(f, "vsi.show", NULL);
		n = json_array_size(r);
		json_decref(r);
		usleep(200);
	}
	assert_int_equal(n, 0);
	run_ms(f, 20);
	assert_null(vdp_bridge_find(uplink_bridge(f->br), VDP_VSIID_UUID, id));
	call_fail(f, "vsi.del", json_pack("{s:s, s:s}", "uplink", "st0", "uuid", UUID1), ENOENT,
		  "no VSI " UUID1 " on st0");
	assert_int_equal(f->d.cnt.vsi_events[VDP_EV_ASSOCIATED], 1);
	assert_int_equal(f->d.cnt.vsi_events[VDP_EV_DEASSOCIATED], 1);
}

static void test_vsi_add_validation(void **state)
{
	struct fx *f = *state;
	json_t *a;

	call_fail(f, "vsi.add", json_pack("{s:s}", "mode", "assoc"), EINVAL, "uplink");
	call_fail(f, "vsi.add", json_pack("{s:s}", "uplink", "st0"), EINVAL, "mode");
	call_fail(f, "vsi.add", add_args(UUID1, "deassoc"), EINVAL, "use vsi.del");
	call_fail(f, "vsi.add", add_args("nope", "assoc"), EINVAL, "\"nope\" is not a valid uuid VSI ID");
	a = add_args(UUID1, "assoc");
	json_object_set_new(a, "typeid", json_integer(1 << 24));
	call_fail(f, "vsi.add", a, EINVAL, "typeid must be a number 0..16777215");
	a = add_args(UUID1, "assoc");
	json_object_del(a, "typeidver");
	call_fail(f, "vsi.add", a, EINVAL, "typeidver (VSI type version, 0..255) is required");
	a = add_args(UUID1, "assoc");
	json_object_set_new(a, "mgrid", json_string("way-too-long-manager"));
	call_fail(f, "vsi.add", a, EINVAL, "mgrid \"way-too-long-manager\"");
	a = add_args(UUID1, "assoc");
	json_object_set_new(a, "hints", json_string("sideways"));
	call_fail(f, "vsi.add", a, EINVAL, "hints \"sideways\"");
	a = add_args(UUID1, "assoc");
	json_object_set_new(a, "filters", json_array());
	call_fail(f, "vsi.add", a, EINVAL, "at least one filter");
	a = add_args(UUID1, "assoc");
	json_object_set_new(a, "filters", json_pack("[{s:s}]", "vid", "4095"));
	call_fail(f, "vsi.add", a, EINVAL, "VLAN ID 4095 is reserved");
	a = add_args(UUID1, "assoc");
	json_object_set_new(a, "filters", json_pack("[{s:s, s:i}]", "mac", "52:54:00:c7:3e:ce", "pcp", 8));
	call_fail(f, "vsi.add", a, EINVAL, "pcp must be a number 0..7");
	a = add_args(UUID1, "assoc");
	json_object_set_new(a, "filters", json_pack("[{s:s}]", "mac", "01:00:5e:00:00:01"));
	call_fail(f, "vsi.add", a, EINVAL, "multicast");
	a = add_args(UUID1, "assoc");
	json_object_set_new(a, "filter_format", json_string("vid"));
	call_fail(f, "vsi.add", a, EINVAL, "format vid takes no mac");
	a = add_args(UUID1, "assoc");
	json_object_set_new(a, "filter_format", json_string("group-mac-vid"));
	call_fail(f, "vsi.add", a, EINVAL, "needs a group ID");
	a = add_args(UUID1, "assoc");
	json_object_set_new(a, "filters", json_pack("[{s:s, s:i}, {s:s, s:i}]", "mac", "52:54:00:00:00:01",
						   "vid", 5, "mac", "52:54:00:00:00:01", "vid", 5));
	call_fail(f, "vsi.add", a, EINVAL, "filter 2 repeats filter 1");
	/* 61 MAC/VID entries do not fit 511 octets (25 + 61 x 8). */
	a = add_args(UUID1, "assoc");
	json_t *many = json_array();
	for (int i = 0; i < 61; i++) {
		char mac[18];

		snprintf(mac, sizeof(mac), "52:54:00:00:01:%02x", i);
		json_array_append_new(many, json_pack("{s:s, s:i}", "mac", mac, "vid", 10));
	}
	json_object_set_new(a, "filters", many);
	call_fail(f, "vsi.add", a, EINVAL, "61 filter entries; format mac-vid allows at most 60");
	a = add_args(UUID1, "assoc");
	json_object_set_new(a, "vsiid", json_string(UUID2));
	call_fail(f, "vsi.add", a, EINVAL, "either uuid or vsiid");
	/* Nothing reached the station. */
	struct vdpd_uplink *du = vdpd_find_uplink(&f->d, "st0");
	assert_int_equal(vdp_station_count(uplink_station(du->u)), 0);
	assert_int_equal(uplink_station(du->u)->cnt.requests, 0);
}

static void test_other_formats(void **state)
{
	struct fx *f = *state;
	json_t *a, *r;

	assert_true(wait_converged(f, 3000));
	/* VSIID format mac, filter format vid with a PCP. */
	a = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:[{s:i, s:i}], s:s}", "uplink", "st0", "mode",
		      "preassoc", "vsiid_format", "mac", "vsiid", "52:54:00:aa:bb:cc", "typeid", 7,
		      "typeidver", 1, "filters", "vid", 20, "pcp", 5, "hints", "migrate-to");
	r = call_ok(f, "vsi.add", a);
	assert_string_equal(json_string_value(json_object_get(r, "filter_format")), "vid");
	assert_string_equal(json_string_value(json_object_get(r, "hints")), "migrate-to");
	json_t *fl = json_array_get(json_object_get(r, "filters"), 0);
	assert_int_equal(json_integer_value(json_object_get(fl, "pcp")), 5);
	assert_true(json_is_true(json_object_get(fl, "ps")));
	assert_null(json_object_get(fl, "mac"));
	json_decref(r);
	assert_true(wait_vsi(f, "52:54:00:aa:bb:cc", "state", "preassoc", 3000));
}

/* Every VSI of du: vdpd_vsi_text() writes what json_dumps() writes of
 * vdpd_vsi_json(); returns how many were compared. */
static size_t vsi_text_matches_json(struct vdpd_uplink *du)
{
	struct vdp_station *st = uplink_station(du->u);
	size_t n = 0;

	for (struct vsi *v = vdp_station_first(st); v; v = vdp_station_next(st, v), n++) {
		struct jfast_buf b = { 0 };
		json_t *j = vdpd_vsi_json(du, v);
		char *want = json_dumps(j, JSON_COMPACT);

		vdpd_vsi_text(&b, du, v);
		assert_false(b.punt);
		assert_non_null(want);
		assert_string_equal(b.p, want);
		assert_int_equal(b.len, strlen(want));
		free(want);
		free(b.p);
		json_decref(j);
	}
	return n;
}

static void test_vsi_text_is_vsi_json(void **state)
{
	struct fx *f = *state;
	struct vdpd_uplink *du = vdpd_find_uplink(&f->d, "st0");
	char name[sizeof(du->cfg.name)];
	json_t *a;

	assert_true(wait_converged(f, 3000));
	/* in flight; then answered */
	json_decref(call_ok(f, "vsi.add", add_args(UUID1, "assoc")));
	/* VSIID mac, filter format vid with a PCP, VID 0 (the bridge's choice) */
	a = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:[{s:i, s:i}], s:s}", "uplink", "st0",
		      "mode", "preassoc", "vsiid_format", "mac", "vsiid", "52:54:00:aa:bb:cc",
		      "typeid", 7, "typeidver", 1, "filters", "vid", 0, "pcp", 5, "hints",
		      "migrate-to");
	json_decref(call_ok(f, "vsi.add", a));
	/* mac-vid, two entries */
	a = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}]}", "uplink", "st0",
		      "mode", "assoc", "uuid", UUID2, "typeid", "3", "typeidver", "1",
		      "filter_format", "mac-vid", "filters", "mac", "52:54:00:00:00:01", "vid",
		      "11", "mac", "52:54:00:00:00:02", "vid", "12");
	json_decref(call_ok(f, "vsi.add", a));
	assert_int_equal(vsi_text_matches_json(du), 3);
	assert_true(wait_vsi(f, UUID1, "state", "assoc", 3000));
	assert_true(wait_vsi(f, UUID2, "state", "assoc", 3000));
	assert_int_equal(vsi_text_matches_json(du), 3);
	/* the group formats (group IDs are not negotiated here): the table's
	 * entry itself, for as long as the comparison takes */
	uint8_t id[16];

	assert_int_equal(vdp_txt_uuid_parse(UUID2, id), 0);
	struct vsi *v = vdp_station_find(uplink_station(du->u), VDP_VSIID_UUID, id);

	assert_non_null(v);
	v->filter_fmt = VDP_FILTER_GROUP_MAC_VID;
	v->filters[0].f.group_id = 77;
	v->filters[1].f.group_id = 0xffffffffu;
	assert_int_equal(vsi_text_matches_json(du), 3);
	v->filter_fmt = VDP_FILTER_GROUP_VID;
	assert_int_equal(vsi_text_matches_json(du), 3);
	v->filter_fmt = VDP_FILTER_MAC_VID;
	/* a name jfast leaves to jansson (not ASCII): the same bytes */
	memcpy(name, du->cfg.name, sizeof(name));
	snprintf(du->cfg.name, sizeof(du->cfg.name), "st\xc3\xa9");
	assert_int_equal(vsi_text_matches_json(du), 3);
	memcpy(du->cfg.name, name, sizeof(name));
}

static void test_stats(void **state)
{
	struct fx *f = *state;
	json_t *r, *u;

	assert_true(wait_converged(f, 3000));
	associate(f, UUID1);
	r = call_ok(f, "stats", NULL);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(r, "daemon"),
									   "vsi_events"), "associated")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "daemon"), "vsi_add")), 1);
	assert_true(json_is_object(json_object_get(r, "ctl")));
	assert_true(json_is_null(json_object_get(r, "linkmon")) || !json_object_get(r, "linkmon"));
	u = json_array_get(json_object_get(r, "uplinks"), 0);
	assert_string_equal(json_string_value(json_object_get(u, "name")), "st0");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(u, "vdp"), "requests")), 1);
	assert_true(json_integer_value(json_object_get(json_object_get(u, "ecp"), "tx_ecpdu")) >= 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(u, "vsis"), "associated")), 1);
	json_decref(r);
	struct ctl_error err;
	assert_null(call(f, "link.events", NULL, &err));
	assert_int_equal(err.errnum, ENOTSUP);
}

/* One registry profile, two kinds: "enterprise-xyz" is an 802.1Qbg VSI
 * type on uplink st0 (associated at the bridge over the wire) and an
 * 802.1Qbh port profile on eth4, an 802.1Qbh uplink (a VIC: the kernel +
 * enic model).  resolve --xml gives each its <virtualport>. */
static void test_registry_one_profile_qbg_and_qbh(void **state)
{
	struct fx *f = *state;
	static struct enic_model em; /* outlives the test: teardown stops the daemon */
	char sys[128], cmd[400];
	uint8_t id[16];
	struct reg_err err;
	struct ctl_error cerr;

	model_init_vic(&em);
	snprintf(sys, sizeof(sys), "%s/sys", f->dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/class/net/eth4 %s/class/net/macvtap9", sys, sys);
	assert_int_equal(system(cmd), 0);
	write_conf(f,
		   "global = { mgrid = \"blabla\"; };\n"
		   "uplinks = ( { name = \"st0\"; evb = { rte = 8; rka = 14; }; } );\n"
		   "qbh = { host_uuid = \"a1a2a3a4-b1b2-c1c2-d1d2-e1e2e3e4e5e6\"; };\n"
		   "registry = {\n"
		   "  profiles = ( { name = \"enterprise-xyz\"; type = \"802.1Qbg\"; mgrid = 11; "
		   "typeid = 1193047;\n"
		   "                 typeidver = 2; profileid = \"enterprise-xyz\"; } );\n"
		   "  uplinks = ( { dev = \"st0\"; physnet = \"dc\"; },\n"
		   "              { dev = \"eth4\"; physnet = \"dc\"; vport = \"802.1Qbh\"; } );\n"
		   "  networks = ( { name = \"tenant-a\"; physnet = \"dc\"; profile = "
		   "\"enterprise-xyz\"; } );\n"
		   "};\n");
	f->d.opts.qbh_ops = &enic_model_ops;
	f->d.opts.qbh_ctx = &em;
	f->d.opts.sysfs = sys;
	restart(f);
	assert_true(wait_converged(f, 3000));

	const char *ids[2] = { UUID1, UUID2 };
	const char *ups[2] = { "st0", "eth4" };
	const char *devs[2] = { "macvtap0", "macvtap9" };
	for (int i = 0; i < 2; i++) {
		struct reg_attachment a = { .network = "tenant-a" };
		struct reg_binding b = { .mac = { 0x52, 0x54, 0, 0, 0, (uint8_t)(1 + i) } };
		snprintf(a.iface_id, sizeof(a.iface_id), "%s", ids[i]);
		snprintf(b.iface_id, sizeof(b.iface_id), "%s", ids[i]);
		snprintf(b.uplink, sizeof(b.uplink), "%s", ups[i]);
		snprintf(b.dev, sizeof(b.dev), "%s", devs[i]);
		assert_int_equal(reg_attach(f->d.reg.reg, &a, &err), 0);
		assert_int_equal(reg_bind(f->d.reg.reg, &b, &err), 0);
	}
	/* 802.1Qbg at the bridge */
	assert_true(wait_vsi(f, UUID1, "state", "assoc", 3000));
	assert_int_equal(vdp_txt_uuid_parse(UUID1, id), 0);
	struct vsi *bv = vdp_bridge_find(uplink_bridge(f->br), VDP_VSIID_UUID, id);
	assert_non_null(bv);
	assert_int_equal(bv->mode_cur, VDP_MODE_ASSOC);
	assert_int_equal(bv->type_id, 1193047);
	/* 802.1Qbh at the adapter, polled to success on the event loop */
	int64_t end = ctl_deadline(3000);
	while ((!qbh_last(UUID2) || qbh_last(UUID2)->state != QBH_ST_DONE) &&
	       ctl_deadline(0) < end) {
		event_base_loop(f->d.base, EVLOOP_NONBLOCK);
		usleep(200);
	}
	assert_non_null(qbh_last(UUID2));
	assert_int_equal(qbh_last(UUID2)->state, QBH_ST_DONE);
	assert_string_equal(em.dev[0].self.name, "enterprise-xyz");
	assert_int_equal(em.dev[0].self.request, 2);
	assert_int_equal(vdp_txt_uuid_parse(UUID2, id), 0);
	assert_null(vdp_bridge_find(uplink_bridge(f->br), VDP_VSIID_UUID, id));

	/* resolve --xml: the matching <virtualport> for each */
	const char *want[2] = {
		"<virtualport type=\"802.1Qbg\">\n    <parameters managerid=\"11\" "
		"typeid=\"1193047\" "
		"typeidversion=\"2\" instanceid=\"" UUID1 "\"/>",
		"<virtualport type=\"802.1Qbh\">\n    <parameters profileid=\"enterprise-xyz\"/>"
	};
	for (int i = 0; i < 2; i++) {
		json_t *args = json_pack("{s:s, s:b}", "iface_id", ids[i], "xml", 1);
		json_t *j = reg_ctl_resolve(&f->d.reg, args, &cerr);
		assert_non_null(j);
		const char *xml = json_string_value(json_object_get(j, "xml"));
		assert_non_null(xml);
		if (!strstr(xml, want[i]))
			fail_msg("resolve %s: no %s in\n%s", ids[i], want[i], xml);
		json_decref(j);
		json_decref(args);
	}
	enic_model_fini(&em);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", sys);
	assert_int_equal(system(cmd), 0);
}

static void test_sd_notify_and_pidfile(void **state)
{
	struct fx *f = *state;
	char path[128], npath[128], buf[64];
	pid_t other = 0;
	int fd, fd2, s;

	snprintf(path, sizeof(path), "%s/vdpd.pid", f->dir);
	fd = vdpd_pidfile_open(path, &other);
	assert_true(fd >= 0);
	assert_int_equal(vdpd_pidfile_write(fd), 0);
	fd2 = vdpd_pidfile_open(path, &other);
	assert_int_equal(fd2, -EEXIST);
	assert_int_equal(other, getpid());
	close(fd);
	/* Left behind by a dead process: taken over. */
	fd2 = vdpd_pidfile_open(path, &other);
	assert_true(fd2 >= 0);
	close(fd2);
	unlink(path);

	/* NOTIFY_SOCKET: one datagram per message, exactly the text. */
	snprintf(npath, sizeof(npath), "%s/notify", f->dir);
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	strcpy(sun.sun_path, npath);
	assert_int_equal(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	setenv("NOTIFY_SOCKET", npath, 1);
	assert_int_equal(vdpd_sd_notify("READY=1"), 0);
	ssize_t n = recv(s, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_int_equal(n, 7);
	buf[n] = 0;
	assert_string_equal(buf, "READY=1");
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	assert_int_equal(vdpd_sd_notify("READY=1"), -EINVAL);
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(vdpd_sd_notify("READY=1"), 0);
	close(s);
	unlink(npath);
}

/* Each component's commands are served with that component's context: the
 * daemon's with the daemon, the registry's with its struct reg_ctl. */
static void test_command_tables_own_ctx(void **state)
{
	struct fx *f = *state;
	void *ctx = NULL;
	json_t *r;

	assert_non_null(ctl_server_find_cmd(f->d.ctl, "vsi.show", &ctx));
	assert_ptr_equal(ctx, &f->d);
	assert_non_null(ctl_server_find_cmd(f->d.ctl, "profile.add", &ctx));
	assert_ptr_equal(ctx, &f->d.reg);
	r = call_ok(f, "profile.add",
		    json_pack("{s:s, s:s, s:i, s:i, s:i}", "name", "p1", "type", "qbg", "mgrid", 1,
			      "typeid", 7, "typeidver", 1));
	json_decref(r);
	r = call_ok(f, "profile.show", json_pack("{s:s}", "name", "p1"));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 0), "typeid")), 7);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_negotiation_and_show, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_tables_own_ctx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_associate_and_deassociate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vsi_add_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_formats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vsi_text_is_vsi_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sd_notify_and_pidfile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_one_profile_qbg_and_qbh, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
