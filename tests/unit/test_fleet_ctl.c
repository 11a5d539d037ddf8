/* The controller's side (vdpctl --etcd) against an in-memory etcd: a
 * command validated as vdpd validates it and written as a transaction; two
 * controllers changing one network from the same read: the second fails
 * and says so, the first's change stays; unreachable: a clear error; the
 * status of an interface; the fleet settings of vdpd.conf. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "profiles/fleet_config.h"
#include "profiles/fleet_ctl.h"
#include "tests/unit/fake_etcd.h"

#define X "0b3c9e2a-1111-4d4d-8e8e-000000000001"

static int pump(void *ctx)
{
	return fake_etcd_run(ctx) ? 0 : -ETIMEDOUT;
}

static struct fleet_ctl *open_held(struct fake_etcd *f, const char *host,
				   struct fake_etcd_client **cl)
{
	struct reg_err err = { "" };
	struct fake_etcd_client *c = fake_etcd_client(f);
	struct fleet_ctl *fc = fleet_ctl_open(&fake_etcd_ops, c, "/vdpd", host, pump, f, &err);

	if (cl)
		*cl = c;

	if (!fc)
		fail_msg("%s", err.msg);
	return fc;
}

static struct fleet_ctl *open_ctl(struct fake_etcd *f, const char *host)
{
	return open_held(f, host, NULL);
}

static json_t *call(struct fleet_ctl *fc, const char *cmd, const char *args, struct reg_err *err)
{
	json_t *a = json_loads(args, 0, NULL);
	json_t *r = fleet_ctl_call(fc, cmd, a, err);

	json_decref(a);
	return r;
}

static void ok(struct fleet_ctl *fc, const char *cmd, const char *args)
{
	struct reg_err err = { "" };
	json_t *r = call(fc, cmd, args, &err);

	if (!r)
		fail_msg("%s %s: %s", cmd, args, err.msg);
	json_decref(r);
}

static void test_write_and_conflict(void **state)
{
	struct fake_etcd *f = fake_etcd_new();
	struct fleet_ctl *a, *b;
	struct fake_etcd_client *bc;
	struct reg_err err = { "" };
	json_t *r;

	(void)state;
	a = open_ctl(f, "host-a");
	ok(a, "profile.add",
	   "{\"name\":\"web\",\"type\":\"qbg\",\"mgrid\":1,\"typeid\":42,\"typeidver\":1}");
	ok(a, "network.add",
	   "{\"name\":\"net-1\",\"physnet\":\"p\",\"profile\":\"web\",\"vlan\":100}");
	assert_non_null(strstr(fake_etcd_value(f, "/vdpd/networks/net-1"), "\"vlan\":100"));
	/* refused by vdpd's own validation, nothing written */
	assert_null(call(a, "network.add",
			 "{\"name\":\"net-2\",\"physnet\":\"p\",\"profile\":\"nope\"}", &err));
	assert_non_null(strstr(err.msg, "profile 'nope' does not exist"));
	assert_null(fake_etcd_value(f, "/vdpd/networks/net-2"));
	/* a per-host entry goes under the host */
	ok(a, "physnet.add", "{\"dev\":\"eth4\",\"physnet\":\"p\"}");
	assert_non_null(fake_etcd_value(f, "/vdpd/hosts/host-a/uplinks/eth4"));
	fleet_ctl_close(a);

	/* two controllers read the same revision, both change net-1 */
	a = open_ctl(f, "");
	b = open_held(f, "", &bc);
	fake_etcd_client_hold(bc, true); /* b has not seen a's change when it writes */
	ok(a, "network.set",
	   "{\"name\":\"net-1\",\"physnet\":\"p\",\"profile\":\"web\",\"vlan\":101}");
	r = call(b, "network.set",
		 "{\"name\":\"net-1\",\"physnet\":\"p\",\"profile\":\"web\",\"vlan\":102}", &err);
	assert_null(r);
	assert_non_null(strstr(err.msg, "/vdpd/networks/net-1 was changed by another writer"));
	assert_non_null(strstr(fake_etcd_value(f, "/vdpd/networks/net-1"), "\"vlan\":101"));
	/* a per-host kind without a host */
	assert_null(call(b, "physnet.add", "{\"dev\":\"eth5\",\"physnet\":\"p\"}", &err));
	fleet_ctl_close(a);
	fleet_ctl_close(b);
	fake_etcd_free(f);
}

static void test_unreachable_and_status(void **state)
{
	struct fake_etcd *f = fake_etcd_new();
	struct reg_err err = { "" };
	struct fleet_ctl *a;
	json_t *st;

	(void)state;
	fake_etcd_set_down(f, true);
	assert_null(
		fleet_ctl_open(&fake_etcd_ops, fake_etcd_client(f), "/vdpd", "h", pump, f, &err));
	assert_non_null(strstr(err.msg, "127.0.0.1:2379"));
	fake_etcd_set_down(f, false);
	fake_etcd_put(f, "/vdpd/profiles/web",
		      "{\"name\":\"web\",\"type\":\"802.1Qbg\",\"typeid\":42}");
	fake_etcd_put(f, "/vdpd/networks/n",
		      "{\"name\":\"n\",\"physnet\":\"p\",\"profile\":\"web\"}");
	fake_etcd_put(f, "/vdpd/attachments/" X, "{\"iface_id\":\"" X "\",\"network\":\"n\"}");
	fake_etcd_put(f, "/vdpd/hosts/h2/uplinks/eth4", "{\"dev\":\"eth4\",\"physnet\":\"p\"}");
	fake_etcd_put(f, "/vdpd/hosts/h2/bindings/" X,
		      "{\"iface_id\":\"" X "\",\"mac\":\"52:54:00:00:00:01\",\"uplink\":\"eth4\"}");
	fake_etcd_put(f, "/vdpd/hosts/h2/status/" X,
		      "{\"iface_id\":\"" X
		      "\",\"host\":\"h2\",\"uplink\":\"eth4\",\"state\":\"associated\","
		      "\"vlan\":7,\"reason\":\"\",\"time\":1}");
	a = open_ctl(f, "h1");
	st = fleet_ctl_status(a, X, &err);
	assert_non_null(st);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(st, "attachment"), "network")),
		"n");
	assert_int_equal(json_array_size(json_object_get(st, "bindings")), 1);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(st, "bindings"), 0), "host")),
			    "h2");
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(json_object_get(st, "status"), 0), "vlan")),
			 7);
	json_decref(st);
	assert_null(fleet_ctl_status(a, "not-a-uuid", &err));
	fleet_ctl_close(a);
	fake_etcd_free(f);
}

static int parse(const char *text, struct fleet_config *c, struct reg_err *err)
{
	config_t cf;
	int rc;

	config_init(&cf);
	if (!config_read_string(&cf, text))
		fail_msg("libconfig: %s", config_error_text(&cf));
	rc = fleet_config_parse(config_lookup(&cf, "registry"), c, err);
	config_destroy(&cf);
	return rc;
}

static void test_config(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "registry = { backend = \"zookeeper\"; };", "not local or etcd" },
		{ "registry = { backend = \"etcd\"; };", "needs registry.endpoints" },
		{ "registry = { backend = \"etcd\"; endpoints = [ \"10.0.0.1:2379\" ]; };",
		  "not http://" },
		{ "registry = { endpoints = [ ]; };", "list of 1..8" },
		{ "registry = { prefix = \"vdpd\"; };", "prefix 'vdpd'" },
		{ "registry = { host = \"a b\"; };", "registry.host" },
		{ "registry = { user = \"u\"; };", "user and password go together" },
		{ "registry = { tls = { cert = \"/c\"; }; };", "cert and key go together" },
		{ "registry = { tls = 1; };", "must be a group" },
		{ "registry = { backend = 7; };", "\"backend\" must be a string" },
	};
	struct fleet_config c;
	struct reg_err err = { "" };

	(void)state;
	assert_int_equal(parse("registry = { backend = \"etcd\"; endpoints = [ \"http://a:2379\", "
			       "\"https://b:2379\" ];"
			       " prefix = \"/f\"; host = \"h1\"; tls = { ca = \"/ca\"; cert = "
			       "\"/c\"; key = \"/k\"; };"
			       " user = \"u\"; password = \"p\"; };",
			       &c, &err),
			 0);
	assert_true(c.etcd);
	assert_int_equal(c.nendpoints, 2);
	assert_string_equal(c.endpoints[1], "https://b:2379");
	assert_string_equal(c.prefix, "/f");
	assert_string_equal(c.host, "h1");
	assert_string_equal(c.key, "/k");
	assert_int_equal(parse("registry = { policy = \"off\"; };", &c, &err), 0);
	assert_false(c.etcd);
	assert_string_equal(c.prefix, "/vdpd");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = 0;
		if (parse(bad[i].text, &c, &err) != -EINVAL)
			fail_msg("accepted: %s", bad[i].text);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("%s: '%s' does not say '%s'", bad[i].text, err.msg, bad[i].msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_and_conflict),
		cmocka_unit_test(test_unreachable_and_status),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
