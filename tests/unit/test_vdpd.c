/* vdpd in-process: the daemon library with its uplink "st0" wired by a
 * socketpair to a bridge-role uplink "br0" (the same library in the other
 * role), driven through the control commands it serves.  Real libevent
 * clock, so waits are polls with deadlines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "vdp/ctl/ctl.h"
#include "vdp/base/log.h"
#include "vdp/wire/vdp_text.h"
#include "vdp/daemon/ctl_cmds.h"
#include "vdp/daemon/process.h"
#include "vdp/daemon/vdpd.h"

#include "profiles/reg_ctl.h"
#include "profiles/registry.h"
#include "vdp/io/qbh.h"
#include "tests/unit/enic_model.h"
#include "tests/unit/sockwire.h"

#define UUID1 "a1412857-60f7-4ce1-e95a-2164943f53dd"
#define UUID2 "09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f"

struct wire {
	int fd[2];		/* [0] st0, [1] br0 */
};

static int w_open(void *ctx, const char *ifname, struct port_info *info)
{
	struct wire *w = ctx;
	int i = strcmp(ifname, "st0") == 0 ? 0 : strcmp(ifname, "br0") == 0 ? 1 : -1;

	if (i < 0 || w->fd[i] < 0)
		return -ENODEV;
	memset(info, 0, sizeof(*info));
	snprintf(info->ifname, sizeof(info->ifname), "%s", ifname);
	info->ifindex = 10 + i;
	info->mtu = 1500;
	memcpy(info->mac, (const uint8_t[]){ 0x02, 0, 0, 0, 0, (uint8_t)(1 + i) }, 6);
	return w->fd[i];
}

static void w_close(void *ctx, int fd)
{
	struct wire *w = ctx;

	for (int i = 0; i < 2; i++)
		if (w->fd[i] == fd)
			w->fd[i] = -1;
	close(fd);
}

static const struct port_ops wire_ops = {
	.open = w_open,
	.recv = sockwire_recv,
	.send = sockwire_send,
	.close = w_close,
};

struct fx {
	struct vdpd d;
	struct wire w;
	struct uplink *br;
	char dir[64], conf[96], sock[96], intents[96];
};

static void write_conf(struct fx *f, const char *text)
{
	FILE *fp = fopen(f->conf, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static const char base_conf[] =
	"global = { mgrid = \"blabla\"; };\n"
	"uplinks = ( { name = \"st0\"; evb = { rte = 8; rka = 14; }; } );\n";

static int setup_common(void **state, bool intents);

static int setup(void **state)
{
	return setup_common(state, false);
}

static int setup_intents(void **state)
{
	return setup_common(state, true);
}

static int setup_common(void **state, bool intents)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct vdpd_opts o = { 0 };
	struct vdpd_config cfg;
	struct uplink_params bp;
	char err[256];
	int sv[2];

	log_init("test_vdpd", LOG_TO_STDERR, getenv("TEST_DEBUG") ? LOG_DEBUG : LOG_CRIT);
	strcpy(f->dir, "/tmp/test_vdpd.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->conf, sizeof(f->conf), "%s/vdpd.conf", f->dir);
	snprintf(f->sock, sizeof(f->sock), "%s/vdpd.sock", f->dir);
	snprintf(f->intents, sizeof(f->intents), "%s/vsis.json", f->dir);
	write_conf(f, base_conf);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	f->w.fd[0] = sv[0];
	f->w.fd[1] = sv[1];
	o.config = f->conf;
	o.socket = f->sock;
	o.pidfile = "";
	o.foreground = true;
	o.debug = getenv("TEST_DEBUG") ? LOG_DEBUG : LOG_CRIT;
	o.port_ops = &wire_ops;
	o.port_ctx = &f->w;
	o.assume_link_up = true;
	o.no_linkmon = true;
	o.intents = intents ? f->intents : NULL;
	assert_int_equal(cfg_load_file(f->conf, &cfg, err, sizeof(err)), 0);
	assert_int_equal(vdpd_init(&f->d, &o, &cfg), 0);

	uplink_params_default(&bp, UPLINK_BRIDGE);
	bp.port_ops = &wire_ops;
	bp.port_ctx = &f->w;
	bp.link = UPLINK_LINK_UP;
	bp.evb.rwd = 22;	/* the bridge's bigger value must win */
	f->br = uplink_new(f->d.base, f->d.clock, "br0", UPLINK_BRIDGE, &bp, NULL, NULL);
	assert_non_null(f->br);
	*state = f;
	return 0;
}

static void model_init_vic(struct enic_model *em)
{
	enic_model_init(em);
	enic_model_add(em, "eth4", 14, true, 0); /* a dynamic vNIC */
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char path[160];

	uplink_free(f->br, false);
	vdpd_fini(&f->d);
	unlink(f->conf);
	unlink(f->intents);
	snprintf(path, sizeof(path), "%s.journal", f->intents);
	unlink(path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static json_t *call(struct fx *f, const char *cmd, json_t *args, struct ctl_error *err)
{
	json_t *empty = NULL, *r;
	void *ctx;
	const struct ctl_cmd *c = ctl_server_find_cmd(f->d.ctl, cmd, &ctx);

	memset(err, 0, sizeof(*err));
	if (!args)
		args = empty = json_object();
	if (c && c->text) {
		/* the result as the client gets it: its text, parsed */
		struct jfast_buf b = { 0 };

		r = c->text(ctx, args, err, &b) == 0 && !b.punt
			? jfast_loadb(b.p, b.len, JSON_REJECT_DUPLICATES, NULL)
			: NULL;
		free(b.p);
		json_decref(empty);
		return r;
	}
	if (c) {
		r = c->fn(ctx, args, err);
		json_decref(empty);
		return r;
	}
	fail_msg("no command %s", cmd);
	return NULL;
}

static json_t *call_ok(struct fx *f, const char *cmd, json_t *args)
{
	struct ctl_error err;
	json_t *r = call(f, cmd, args, &err);

	if (!r)
		fail_msg("%s failed: %s (errno %d)", cmd, err.msg, err.errnum);
	json_decref(args);
	return r;
}

/* Expects failure with errnum and a message containing needle. */
static void call_fail(struct fx *f, const char *cmd, json_t *args, int errnum, const char *needle)
{
	struct ctl_error err;
	json_t *r = call(f, cmd, args, &err);

	if (r)
		fail_msg("%s succeeded, expected \"%s\"", cmd, needle);
	if (err.errnum != errnum || !strstr(err.msg, needle))
		fail_msg("%s: got errno %d \"%s\", expected %d \"%s\"", cmd, err.errnum, err.msg, errnum,
			 needle);
	json_decref(args);
}

static void run_ms(struct fx *f, int ms)
{
	int64_t end = ctl_deadline(ms);

	while (ctl_deadline(0) < end) {
		event_base_loop(f->d.base, EVLOOP_NONBLOCK);
		usleep(200);
	}
}

/* The single VSI's field (vsi.show), "" if there is none. */
static const char *vsi_field(struct fx *f, const char *id, const char *key, char *buf, size_t len)
{
	json_t *r = call_ok(f, "vsi.show", json_pack("{s:s}", "id", id));
	json_t *v = json_array_get(r, 0);

	snprintf(buf, len, "%s", v ? json_string_value(json_object_get(v, key)) : "");
	json_decref(r);
	return buf;
}

static bool wait_vsi(struct fx *f, const char *id, const char *key, const char *want, int ms)
{
	int64_t end = ctl_deadline(ms);
	char buf[64];

	while (ctl_deadline(0) < end) {
		if (strcmp(vsi_field(f, id, key, buf, sizeof(buf)), want) == 0)
			return true;
		event_base_loop(f->d.base, EVLOOP_NONBLOCK);
		usleep(200);
	}
	return false;
}

static bool wait_converged(struct fx *f, int ms)
{
	int64_t end = ctl_deadline(ms);
	struct vdpd_uplink *du = vdpd_find_uplink(&f->d, "st0");

	while (ctl_deadline(0) < end) {
		if (du->u && uplink_converged(du->u) && uplink_converged(f->br))
			return true;
		event_base_loop(f->d.base, EVLOOP_NONBLOCK);
		usleep(200);
	}
	return false;
}

static json_t *add_args(const char *uuid, const char *mode)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}]}", "uplink", "st0", "mode", mode,
			 "uuid", uuid, "mgrid", "11", "typeid", "1193047", "typeidver", "2", "filters",
			 "mac", "52:54:00:c7:3e:ce", "vid", "10");
}

static void associate(struct fx *f, const char *uuid)
{
	json_t *r = call_ok(f, "vsi.add", add_args(uuid, "assoc"));

	assert_string_equal(json_string_value(json_object_get(r, "mode")), "assoc");
	json_decref(r);
	if (!wait_vsi(f, uuid, "state", "assoc", 3000))
		fail_msg("VSI %s not associated within 3 s", uuid);
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
	assert_non_null(strstr(err.msg, "vdpd.conf:1: evb.r (ECP maxRetries) = 9 is out of range 0..7"));
	assert_int_equal(f->d.cnt.reload_errors, 1);

	/* Add an uplink that does not exist yet, change st0's LLDP timer
	 * only: st0's VSI is not touched. */
	write_conf(f, "global = { mgrid = \"blabla\"; };\n"
		      "uplinks = ( { name = \"st0\"; evb = { rte = 8; rka = 14; }; lldp = { tx_interval = 5; }; },\n"
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
	assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "link")), "absent");
	json_decref(r);
	call_fail(f, "vsi.add", json_pack("{s:s, s:s, s:s, s:i, s:i, s:[{s:i}]}", "uplink", "st1", "mode",
					  "assoc", "uuid", UUID2, "typeid", 1, "typeidver", 1, "filters",
					  "vid", 3),
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
	while (!vdp_bridge_find(uplink_bridge(f->br), VDP_VSIID_UUID, id) && ctl_deadline(0) < end) {
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
			json_array_append_new(filters, json_pack("{s:s, s:i}", "mac", mac, "vid", 10));
		}
		json_decref(call_ok(f, "vsi.add", json_pack("{s:s, s:s, s:s, s:i, s:i, s:o}", "uplink", "st0",
							     "mode", "assoc", "uuid", uuid, "typeid", 1,
							     "typeidver", 1, "filters", filters)));
	}
	for (;;) {
		json_t *r = call_ok(f, "vsi.show", json_pack("{s:i, s:i}", "offset", off, "limit", 1000));
		size_t n = json_array_size(r), i;
		json_t *v;
		char *text = json_dumps(r, JSON_COMPACT);

		/* Every page fits a message. */
		assert_true(strlen(text) < CTL_MAX_FRAME);
		free(text);
		json_array_foreach(r, i, v) {
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
		if (!*prefix || (!strncmp(line, "J ", 2) && strlen(line) > 37 &&
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

/* A second daemon life on the same intents file and a new wire. */
static void restart(struct fx *f)
{
	struct vdpd_opts o = f->d.opts;
	struct vdpd_config cfg;
	struct uplink_params bp;
	char err[256];
	int sv[2];

	uplink_free(f->br, false);
	vdpd_fini(&f->d);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	f->w.fd[0] = sv[0];
	f->w.fd[1] = sv[1];
	assert_int_equal(cfg_load_file(f->conf, &cfg, err, sizeof(err)), 0);
	assert_int_equal(vdpd_init(&f->d, &o, &cfg), 0);
	uplink_params_default(&bp, UPLINK_BRIDGE);
	bp.port_ops = &wire_ops;
	bp.port_ctx = &f->w;
	bp.link = UPLINK_LINK_UP;
	f->br = uplink_new(f->d.base, f->d.clock, "br0", UPLINK_BRIDGE, &bp, NULL, NULL);
	assert_non_null(f->br);
}

static void test_intents_survive_restart(void **state)
{
	struct fx *f = *state;
	json_t *doc, *e;
	uint8_t id[16];

	assert_true(wait_converged(f, 3000));
	associate(f, UUID1);
	json_decref(call_ok(f, "vsi.add", json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:[{s:i, s:i}]}",
						    "uplink", "st0", "mode", "preassoc", "vsiid_format", "mac",
						    "vsiid", "52:54:00:aa:bb:cc", "typeid", 7, "typeidver", 1,
						    "filters", "vid", 20, "pcp", 5)));
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
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "intents"), "vsis")), 2);
	json_decref(r);

	/* vsi.del ends the intent at once. */
	json_decref(call_ok(f, "vsi.del", json_pack("{s:s, s:s}", "uplink", "st0", "uuid", UUID1)));
	assert_int_equal(journal_lines(f, "{\"del\":{\"uplink\":\"st0\",\"vsiid_format\":\"uuid\""), 0);
	run_ms(f, 1);	/* one loop pass */
	assert_int_equal(journal_lines(f, "{\"del\":{\"uplink\":\"st0\",\"vsiid_format\":\"uuid\""), 1);
	restart(f);
	doc = intents_file(f);
	assert_int_equal(json_array_size(json_object_get(doc, "vsis")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(doc, "vsis"), 0),
							       "vsiid")), "52:54:00:aa:bb:cc");
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
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
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
	fputs("{\"version\":1,\"vsis\":[", fp);	/* truncated */
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
		cmocka_unit_test_setup_teardown(test_reload_keeps_vsis, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_down_up_reassociates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_rename_and_recreate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vsi_show_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vsi_show_after, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intents_survive_restart, setup_intents,
						teardown),
		cmocka_unit_test_setup_teardown(test_thousand_adds_one_journal_flush, setup_intents,
						teardown),
		cmocka_unit_test_setup_teardown(test_intents_replayed_when_interface_returns, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_intents_bad_file_refused, setup_intents,
						teardown),
		cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sd_notify_and_pidfile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_one_profile_qbg_and_qbh, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
