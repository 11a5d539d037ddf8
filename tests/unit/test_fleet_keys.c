/* The fleet key schema on etcd: keys and values of each kind, exact text,
 * round trips, and refusals of bad keys and values. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "profiles/fleet_keys.h"

#define X "0b3c9e2a-1111-4d4d-8e8e-000000000001"
#define PORT1 "7d0c0b8a-2222-4e4e-9f9f-000000000001"

static int decode(const char *key, const char *val, union fleet_value *v, struct reg_err *err)
{
	struct fleet_key k;
	int rc = fleet_key_parse("/vdpd", key, &k, err);

	if (rc)
		return rc;
	return fleet_value_decode(&k, val, strlen(val), v, err);
}

static void test_key_round_trip(void **state)
{
	static const struct {
		const char *key;
		enum fleet_kind kind;
		const char *host, *id;
	} c[] = {
		{ "/vdpd/profiles/enterprise-xyz", FLEET_PROFILE, "", "enterprise-xyz" },
		{ "/vdpd/networks/net-1", FLEET_NETWORK, "", "net-1" },
		{ "/vdpd/ports/" PORT1, FLEET_PORT, "", PORT1 },
		{ "/vdpd/attachments/" X, FLEET_ATTACHMENT, "", X },
		{ "/vdpd/hosts/host-a/uplinks/eth4", FLEET_UPLINK, "host-a", "eth4" },
		{ "/vdpd/hosts/host-a/bindings/" X, FLEET_BINDING, "host-a", X },
		{ "/vdpd/hosts/host-b.example/status/" X, FLEET_STATUS, "host-b.example", X },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct fleet_key k;
		struct reg_err err = { "" };
		char buf[FLEET_KEY_MAX];

		assert_int_equal(fleet_key_parse("/vdpd", c[i].key, &k, &err), 0);
		assert_int_equal(k.kind, c[i].kind);
		assert_string_equal(k.host, c[i].host);
		assert_string_equal(k.id, c[i].id);
		assert_int_equal(fleet_key_format("/vdpd", &k, buf, sizeof(buf)),
				 (int)strlen(c[i].key));
		assert_string_equal(buf, c[i].key);
	}
}

static void test_key_foreign_and_bad(void **state)
{
	struct fleet_key k;
	struct reg_err err = { "" };
	char buf[FLEET_KEY_MAX];

	(void)state;
	/* not ours: ignored */
	assert_int_equal(fleet_key_parse("/vdpd", "/other/profiles/a", &k, &err), -ENOENT);
	assert_int_equal(fleet_key_parse("/vdpd", "/vdpdx/profiles/a", &k, &err), -ENOENT);
	assert_int_equal(fleet_key_parse("/vdpd", "/vdpd/locks/a", &k, &err), -ENOENT);
	assert_int_equal(fleet_key_parse("/vdpd", "/vdpd/hosts/a/cache/x", &k, &err), -ENOENT);
	/* ours but malformed */
	assert_int_equal(fleet_key_parse("/vdpd", "/vdpd/profiles/", &k, &err), -EINVAL);
	assert_int_equal(fleet_key_parse("/vdpd", "/vdpd/profiles/a/b", &k, &err), -EINVAL);
	assert_int_equal(fleet_key_parse("/vdpd", "/vdpd/profiles/bad name", &k, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a valid profiles key"));
	assert_int_equal(fleet_key_parse("/vdpd", "/vdpd/attachments/not-a-uuid", &k, &err),
			 -EINVAL);
	/* interface-ids only canonical (lower case) */
	assert_int_equal(fleet_key_parse("/vdpd",
					 "/vdpd/attachments/0B3C9E2A-1111-4D4D-8E8E-000000000001",
					 &k, &err),
			 -EINVAL);
	assert_int_equal(fleet_key_parse("/vdpd", "/vdpd/hosts//bindings/" X, &k, &err), -EINVAL);
	assert_int_equal(
		fleet_key_parse("/vdpd", "/vdpd/hosts/a/uplinks/eth4567890123456789", &k, &err),
		-EINVAL);
	/* format refuses what parse would */
	k = (struct fleet_key){ .kind = FLEET_BINDING, .host = "", .id = X };
	assert_int_equal(fleet_key_format("/vdpd", &k, buf, sizeof(buf)), -EINVAL);
	k = (struct fleet_key){ .kind = FLEET_PROFILE, .id = "a" };
	assert_int_equal(fleet_key_format("/vdpd", &k, buf, 10), -EINVAL);
	assert_int_equal(fleet_dir_format("/vdpd", FLEET_BINDING, "host-a", buf, sizeof(buf)), 28);
	assert_string_equal(buf, "/vdpd/hosts/host-a/bindings/");
	assert_int_equal(fleet_prefix_valid("/vdpd", &err), 0);
	assert_int_equal(fleet_prefix_valid("/fleet/a-1", &err), 0);
	assert_int_equal(fleet_prefix_valid("vdpd", &err), -EINVAL);
	assert_int_equal(fleet_prefix_valid("/vdpd/", &err), -EINVAL);
	assert_int_equal(fleet_prefix_valid("/", &err), -EINVAL);
	assert_int_equal(fleet_prefix_valid("/vd pd", &err), -EINVAL);
}

/* encode gives exactly these bytes; decode of them gives the entry back. */
static void check_exact(enum fleet_kind kind, const char *key, const void *entry, const char *want)
{
	union fleet_value v;
	struct reg_err err = { "" };
	char *s = fleet_value_encode(kind, entry);

	assert_non_null(s);
	assert_string_equal(s, want);
	if (decode(key, s, &v, &err))
		fail_msg("%s: %s", key, err.msg);
	free(s);
	s = fleet_value_encode(kind, &v);
	assert_string_equal(s, want);
	free(s);
}

static void test_value_each_kind(void **state)
{
	struct reg_profile p = { .name = "enterprise-xyz",
				 .type = REG_VPORT_QBG,
				 .mgrid = 11,
				 .typeid = 1193047,
				 .typeidver = 2,
				 .filter_fmt = 2,
				 .vlan = 0 };
	struct reg_network n = {
		.name = "net-1", .physnet = "physnet1", .profile = "enterprise-xyz", .vlan = 100
	};
	struct reg_port po = { .uuid = PORT1, .network = "net-1" };
	struct reg_attachment a = { .iface_id = X, .network = "net-1" };
	struct reg_uplink u = { .dev = "eth4", .physnet = "physnet1", .mode = REG_MODE_VEPA };
	struct reg_binding b = { .iface_id = X,
				 .dev = "macvtap0",
				 .mac = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 },
				 .uplink = "eth4" };
	struct fleet_status s = { .iface_id = X,
				  .host = "host-a",
				  .uplink = "eth4",
				  .state = "associated",
				  .vlan = 100,
				  .reason = "",
				  .time = 1796600000 };

	(void)state;
	check_exact(
		FLEET_PROFILE, "/vdpd/profiles/enterprise-xyz", &p,
		"{\"filter_fmt\":2,\"mgrid\":11,\"name\":\"enterprise-xyz\",\"origin\":\"runtime\","
		"\"type\":\"802.1Qbg\",\"typeid\":1193047,\"typeidver\":2,\"vlan\":0}");
	check_exact(FLEET_NETWORK, "/vdpd/networks/net-1", &n,
		    "{\"name\":\"net-1\",\"origin\":\"runtime\",\"physnet\":\"physnet1\","
		    "\"profile\":\"enterprise-xyz\",\"vlan\":100}");
	check_exact(FLEET_PORT, "/vdpd/ports/" PORT1, &po,
		    "{\"network\":\"net-1\",\"origin\":\"runtime\",\"uuid\":\"" PORT1 "\"}");
	check_exact(FLEET_ATTACHMENT, "/vdpd/attachments/" X, &a,
		    "{\"iface_id\":\"" X "\",\"network\":\"net-1\",\"origin\":\"runtime\"}");
	check_exact(FLEET_UPLINK, "/vdpd/hosts/host-a/uplinks/eth4", &u,
		    "{\"dev\":\"eth4\",\"mode\":\"vepa\",\"origin\":\"runtime\",\"physnet\":"
		    "\"physnet1\"}");
	check_exact(FLEET_BINDING, "/vdpd/hosts/host-a/bindings/" X, &b,
		    "{\"dev\":\"macvtap0\",\"iface_id\":\"" X "\",\"mac\":\"52:54:00:12:34:56\","
		    "\"origin\":\"runtime\",\"uplink\":\"eth4\"}");
	check_exact(FLEET_STATUS, "/vdpd/hosts/host-a/status/" X, &s,
		    "{\"host\":\"host-a\",\"iface_id\":\"" X
		    "\",\"reason\":\"\",\"state\":\"associated\","
		    "\"time\":1796600000,\"uplink\":\"eth4\",\"vlan\":100}");
}

/* What a controller writes by hand: no origin. */
static void test_value_minimal(void **state)
{
	union fleet_value v;
	struct reg_err err = { "" };

	(void)state;
	assert_int_equal(decode("/vdpd/attachments/" X,
				"{\"iface_id\":\"" X "\",\"network\":\"net-2\"}", &v, &err),
			 0);
	assert_string_equal(v.e.a.network, "net-2");
	assert_int_equal(v.e.a.origin, REG_ORIGIN_RUNTIME);
	assert_int_equal(decode("/vdpd/hosts/h/uplinks/eth4",
				"{\"dev\":\"eth4\",\"physnet\":\"p\"}", &v, &err),
			 0);
	assert_int_equal(v.e.u.mode, REG_MODE_VEPA);
}

static void test_value_refusals(void **state)
{
	static const struct {
		const char *key, *val, *msg;
	} c[] = {
		{ "/vdpd/profiles/a", "", "not JSON" },
		{ "/vdpd/profiles/a", "{\"name\":\"a\"", "not JSON" },
		{ "/vdpd/profiles/a", "[]", "profile" },
		{ "/vdpd/profiles/a", "{\"name\":\"b\",\"type\":\"802.1Qbh\",\"profileid\":\"b\"}",
		  "the value names 'b'" },
		{ "/vdpd/profiles/a", "{\"name\":\"a\",\"type\":\"802.1Qbg\",\"typeid\":16777216}",
		  "out of range" },
		{ "/vdpd/profiles/a", "{\"name\":\"a\",\"type\":\"802.1Qbg\",\"bogus\":1}",
		  "bogus" },
		{ "/vdpd/profiles/a", "{\"name\":\"a\",\"name\":\"a\",\"type\":\"802.1Qbg\"}",
		  "duplicate" },
		{ "/vdpd/networks/n",
		  "{\"name\":\"n\",\"physnet\":\"p\",\"profile\":\"a\",\"vlan\":4095}",
		  "out of range" },
		{ "/vdpd/networks/n",
		  "{\"name\":\"n\",\"physnet\":\"p\",\"profile\":\"a\",\"origin\":\"config\"}",
		  "must be runtime" },
		{ "/vdpd/attachments/" X, "{\"iface_id\":\"" PORT1 "\",\"network\":\"n\"}",
		  "the value names" },
		{ "/vdpd/hosts/h/bindings/" X,
		  "{\"iface_id\":\"" X "\",\"mac\":\"zz\",\"uplink\":\"eth4\"}", "mac" },
		{ "/vdpd/hosts/h/status/" X,
		  "{\"iface_id\":\"" X
		  "\",\"host\":\"other\",\"uplink\":\"eth4\",\"state\":\"associated\",\"time\":1}",
		  "not the key's host" },
		{ "/vdpd/hosts/h/status/" X,
		  "{\"iface_id\":\"" X
		  "\",\"host\":\"h\",\"uplink\":\"eth4\",\"state\":\"happy\",\"time\":1}",
		  "\"state\" 'happy'" },
		{ "/vdpd/hosts/h/status/" X,
		  "{\"iface_id\":\"" X "\",\"host\":\"h\",\"uplink\":\"eth4\",\"state\":\"failed\","
		  "\"vlan\":5000,\"time\":1}",
		  "\"vlan\" 5000" },
		{ "/vdpd/hosts/h/status/" X,
		  "{\"iface_id\":\"" X
		  "\",\"host\":\"h\",\"uplink\":\"eth4\",\"state\":\"failed\",\"time\":-1}",
		  "negative" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		union fleet_value v;
		struct reg_err err = { "" };

		if (decode(c[i].key, c[i].val, &v, &err) != -EINVAL)
			fail_msg("case %zu accepted: %s", i, c[i].val);
		if (!strstr(err.msg, c[i].msg))
			fail_msg("case %zu: '%s' does not say '%s'", i, err.msg, c[i].msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_round_trip),  cmocka_unit_test(test_key_foreign_and_bad),
		cmocka_unit_test(test_value_each_kind), cmocka_unit_test(test_value_minimal),
		cmocka_unit_test(test_value_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
