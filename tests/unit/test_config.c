/* vdpd.conf loader: good files give the values written (defaults for the
 * rest), bad files give FILE:LINE and a message naming the problem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include "vdp/daemon/config.h"

static const char good[] =
	"# comment\n"
	"global: {\n"
	"  log_level = \"debug\";\n"
	"  mgrid = \"blabla\";\n"
	"  resp_wait_max_ms = 5000; keepalive_spread_pct = 0;\n"
	"};\n"
	"uplinks = (\n"
	"  {\n"
	"    name = \"eth0\";\n"
	"    evb = { r = 7; rte = 14; rwd = 21; rka = 18; rrreq = false; gid = true; };\n"
	"    lldp = { tx_interval = 5; tx_hold = 2; };\n"
	"    mgrid = 11;\n"
	"  },\n"
	"  { name = \"eth1\"; }\n"
	");\n"
	"profiles = { anything = \"is the registry's\"; };\n";

static void test_good(void **state)
{
	struct vdpd_config c;
	char err[256] = "";
	const struct cfg_uplink *u;
	uint8_t blabla[16] = { 'b', 'l', 'a', 'b', 'l', 'a' };

	(void)state;
	assert_int_equal(cfg_load_string(good, "good.conf", &c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(c.log_level, LOG_DEBUG);
	assert_int_equal(c.resp_wait_max_ms, 5000);
	assert_int_equal(c.keepalive_spread_pct, 0);
	assert_memory_equal(c.mgrid, blabla, 16);
	assert_int_equal(c.n_uplinks, 2);

	u = cfg_find_uplink(&c, "eth0");
	assert_non_null(u);
	assert_int_equal(u->line, 8);
	assert_int_equal(u->evb.role, EVB_MODE_STATION);
	assert_int_equal(u->evb.r, 7);
	assert_int_equal(u->evb.rte, 14);
	assert_int_equal(u->evb.rwd, 21);
	assert_int_equal(u->evb.rka, 18);
	assert_false(u->evb.rrreq);
	assert_true(u->evb.gid);
	assert_int_equal(u->tx_interval, 5);
	assert_int_equal(u->tx_hold, 2);
	assert_int_equal(u->mgrid[0], 11);
	for (int i = 1; i < 16; i++)
		assert_int_equal(u->mgrid[i], 0);

	/* Defaults, and the global mgrid inherited. */
	u = cfg_find_uplink(&c, "eth1");
	assert_non_null(u);
	assert_int_equal(u->evb.r, 3);
	assert_int_equal(u->evb.rte, 8);
	assert_int_equal(u->evb.rwd, 20);
	assert_int_equal(u->evb.rka, 20);
	assert_true(u->evb.rrreq);
	assert_false(u->evb.gid);
	assert_int_equal(u->tx_interval, 30);
	assert_int_equal(u->tx_hold, 4);
	assert_memory_equal(u->mgrid, blabla, 16);

	assert_null(cfg_find_uplink(&c, "eth2"));
	assert_true(cfg_uplink_changed(cfg_find_uplink(&c, "eth0"), cfg_find_uplink(&c, "eth1")));
	cfg_free(&c);
	assert_int_equal(c.n_uplinks, 0);
	assert_null(c.uplinks);
}

static void test_empty_and_defaults(void **state)
{
	struct vdpd_config c;
	char err[256];

	(void)state;
	assert_int_equal(cfg_load_string("", "empty.conf", &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_uplinks, 0);
	assert_int_equal(c.log_level, -1);
	assert_int_equal(c.resp_wait_max_ms, 8000);
	assert_int_equal(c.keepalive_spread_pct, 25);
	cfg_free(&c);
	assert_int_equal(cfg_load_string("uplinks = ();", "e.conf", &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_uplinks, 0);
	cfg_free(&c);
}

static void test_changed(void **state)
{
	struct vdpd_config a, b;
	char err[256];

	(void)state;
	assert_int_equal(cfg_load_string("uplinks = ({ name = \"e\"; evb = { rka = 10; }; });", "a",
					 &a, err, sizeof(err)), 0);
	assert_int_equal(cfg_load_string("uplinks = ({ name = \"e\"; evb = { rka = 10; }; });", "b",
					 &b, err, sizeof(err)), 0);
	assert_false(cfg_uplink_changed(&a.uplinks[0], &b.uplinks[0]));
	b.uplinks[0].evb.rka = 11;
	assert_true(cfg_uplink_changed(&a.uplinks[0], &b.uplinks[0]));
	b.uplinks[0].evb.rka = 10;
	b.uplinks[0].tx_hold = 5;
	assert_true(cfg_uplink_changed(&a.uplinks[0], &b.uplinks[0]));
	cfg_free(&a);
	cfg_free(&b);
}

struct bad {
	const char *text;
	const char *expect;	/* exact error message */
};

static const struct bad bads[] = {
	{ "uplinks = ( { name = \"eth0\"; evb = { r = 8; }; } );",
	  "bad.conf:1: evb.r (ECP maxRetries) = 8 is out of range 0..7" },
	{ "uplinks = (\n { name = \"eth0\";\n   evb = { rte = 32; }; } );",
	  "bad.conf:3: evb.rte (ECP ackTimer exponent) = 32 is out of range 0..31" },
	{ "uplinks = ( { name = \"eth0\"; evb = { rwd = -1; }; } );",
	  "bad.conf:1: evb.rwd (VDP resourceWaitDelay exponent) = -1 is out of range 0..31" },
	{ "uplinks = ( { name = \"eth0\"; evb = { rka = \"20\"; }; } );",
	  "bad.conf:1: evb.rka (VDP reinitKeepAlive exponent) must be a number, not a string" },
	{ "uplinks = ( { name = \"eth0\"; evb = { rrreq = 1; }; } );",
	  "bad.conf:1: evb.rrreq must be true or false, not a number" },
	{ "uplinks = ( { name = \"eth0\"; evb = { rtx = 1; }; } );",
	  "bad.conf:1: unknown setting \"rtx\" in evb (known: r, rte, rwd, rka, rrreq, gid)" },
	{ "uplinks = ( { name = \"eth0\"; lldp = { tx_interval = 0; }; } );",
	  "bad.conf:1: lldp.tx_interval = 0 is out of range 1..3600" },
	{ "uplinks = ( { name = \"eth0\"; lldp = { tx_hold = 101; }; } );",
	  "bad.conf:1: lldp.tx_hold = 101 is out of range 1..100" },
	{ "uplinks = ( { name = \"eth0\"; lldp = 3; } );",
	  "bad.conf:1: lldp must be a group { ... }, not a number" },
	{ "uplinks = ( { evb = { r = 1; }; } );", "bad.conf:1: uplink has no name" },
	{ "uplinks = ( { name = \"\"; } );", "bad.conf:1: \"\" is not a valid interface name" },
	{ "uplinks = ( { name = \"a-very-long-ifname\"; } );",
	  "bad.conf:1: \"a-very-long-ifname\" is not a valid interface name" },
	{ "uplinks = ( { name = \"eth0\"; },\n\n { name = \"eth0\"; } );",
	  "bad.conf:3: uplink \"eth0\" is already defined at line 1" },
	{ "uplinks = ( { name = \"eth0\"; mgrid = 256; } );",
	  "bad.conf:1: mgrid = 256 is out of range 0..255" },
	{ "uplinks = ( { name = \"eth0\"; mgrid = \"this-is-too-long-x\"; } );",
	  "bad.conf:1: mgrid \"this-is-too-long-x\" is not a number 0..255, a UUID or a name of up "
	  "to 15 letters, digits, '-', '_', '.'" },
	{ "uplinks = ( { name = \"eth0\"; speed = 10; } );",
	  "bad.conf:1: unknown setting \"speed\" in an uplink (known: name, evb, lldp, mgrid)" },
	{ "uplinks = { name = \"eth0\"; };",
	  "bad.conf:1: uplinks must be a list ( { ... }, ... ), not a group" },
	{ "uplinks = ( 3 );",
	  "bad.conf:1: an uplinks entry must be a group { ... }, not a number" },
	{ "global = { log_level = \"chatty\"; };",
	  "bad.conf:1: log_level \"chatty\" is not one of error, warning, notice, info, debug" },
	{ "global = { intents_file = \"vsis.json\"; };",
	  "bad.conf:1: intents_file must be an absolute path of at most 255 characters, or \"\" to "
	  "keep no VSI intents" },
	{ "global = { intents_file = 1; };",
	  "bad.conf:1: intents_file must be a string, not a number" },
	{ "global = { user = 1; };", "bad.conf:1: user must be a string, not a number" },
	{ "global = { user = \"u234567890123456789012345678901234567890123456789012345678901234\"; "
	  "};",
	  "bad.conf:1: user name longer than 63 characters" },
	{ "global = { foo = 1; };",
	  "bad.conf:1: unknown setting \"foo\" in global (known: log_level, log_target, mgrid, "
	  "resp_wait_max_ms, keepalive_spread_pct, retry_initial_ms, retry_max_ms, intents_file, "
	  "user)" },
	{ "global = { keepalive_spread_pct = 51; };",
	  "bad.conf:1: keepalive_spread_pct = 51 is out of range 0..50" },
	{ "qbh = { timeout_ms = 50; };",
	  "bad.conf:1: timeout_ms = 50 is out of range 100..600000" },
	{ "qbh = { host_uuid = \"machine-id\"; };",
	  "bad.conf:1: host_uuid \"machine-id\" is not \"smbios\", \"none\" or a UUID" },
	{ "qbh = { instance_uuid = \"vm\"; };",
	  "bad.conf:1: instance_uuid \"vm\" is not \"domain\" or \"interface-id\"" },
	{ "qbh = { poll = 1; };",
	  "bad.conf:1: unknown setting \"poll\" in qbh (known: timeout_ms, poll_ms, host_uuid, "
	  "instance_uuid, retry_initial_ms)" },
	{ "qbh = { retry_initial_ms = 3600001; };",
	  "bad.conf:1: retry_initial_ms = 3600001 is out of range 0..3600000" },
	{ "qbh = { timeout_ms = 1000; poll_ms = 2000; };",
	  "bad.conf:1: qbh: poll_ms 2000 is longer than timeout_ms 1000" },
	{ "\nuplink = ();",
	  "bad.conf:2: unknown setting \"uplink\" (known: global, qbh, uplinks, profiles, "
	  "networks, "
	  "ports, attachments, bindings, registry, netlink)" },
	{ "global = { log_target = \"file\"; };",
	  "bad.conf:1: log_target \"file\" is not one of auto, syslog, stderr, journal" },
	/* Syntax errors come from libconfig with the line. */
	{ "uplinks = ( { name = ; } );", "bad.conf:1: syntax error" },
	{ "global = {\n log_level = = 1;\n};", "bad.conf:2: syntax error" },
};

/* The 802.1Qbh group: defaults are zero (the backend's 10 s / 125 ms,
 * SMBIOS host UUID, domain instance UUID). */
static void test_qbh_group(void **state)
{
	(void)state;
	struct vdpd_config c;
	char err[256];
	static const uint8_t u[16] = { 0xa1, 0xa2, 0xa3, 0xa4, 0xb1, 0xb2, 0xc1, 0xc2,
				       0xd1, 0xd2, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6 };

	assert_int_equal(cfg_load_string("", "q.conf", &c, err, sizeof(err)), 0);
	assert_int_equal(c.qbh.timeout_ms, 0);
	assert_int_equal(c.qbh.host_from, CFG_QBH_HOST_SMBIOS);
	assert_false(c.qbh.instance_is_iface_id);
	assert_int_equal(c.qbh.retry_initial_ms, 1000); /* transient failures are retried */
	cfg_free(&c);
	assert_int_equal(
		cfg_load_string("qbh = { retry_initial_ms = 0; };", "q.conf", &c, err, sizeof(err)),
		0);
	assert_int_equal(c.qbh.retry_initial_ms, 0);
	cfg_free(&c);
	assert_int_equal(cfg_load_string("qbh = { timeout_ms = 2000; poll_ms = 250; "
					 "host_uuid = \"a1a2a3a4-b1b2-c1c2-d1d2-e1e2e3e4e5e6\"; "
					 "instance_uuid = \"interface-id\"; };",
					 "q.conf", &c, err, sizeof(err)),
			 0);
	assert_int_equal(c.qbh.timeout_ms, 2000);
	assert_int_equal(c.qbh.poll_ms, 250);
	assert_int_equal(c.qbh.host_from, CFG_QBH_HOST_GIVEN);
	assert_memory_equal(c.qbh.host_uuid, u, 16);
	assert_true(c.qbh.instance_is_iface_id);
	assert_int_equal(c.qbh.retry_initial_ms, 1000);
	cfg_free(&c);
	assert_int_equal(
		cfg_load_string("qbh = { host_uuid = \"none\"; };", "q.conf", &c, err, sizeof(err)),
		0);
	assert_int_equal(c.qbh.host_from, CFG_QBH_HOST_NONE);
	cfg_free(&c);
}

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct vdpd_config c;
		char err[512] = "";

		c.n_uplinks = 99;
		if (cfg_load_string(bads[i].text, "bad.conf", &c, err, sizeof(err)) != -1)
			fail_msg("case %zu accepted: %s", i, bads[i].text);
		if (strcmp(err, bads[i].expect) != 0)
			fail_msg("case %zu:\n  got      \"%s\"\n  expected \"%s\"", i, err, bads[i].expect);
		/* Nothing half-loaded is left behind. */
		assert_int_equal(c.n_uplinks, 0);
		assert_null(c.uplinks);
	}
}

static void test_file_and_include(void **state)
{
	char dir[] = "/tmp/test_config.XXXXXX";
	char main_path[64], inc_path[64], err[256];
	struct vdpd_config c;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(main_path, sizeof(main_path), "%s/vdpd.conf", dir);
	snprintf(inc_path, sizeof(inc_path), "%s/uplinks.conf", dir);
	f = fopen(inc_path, "w");
	fputs("uplinks = (\n  { name = \"veth0\"; evb = { rte = 40; }; }\n);\n", f);
	fclose(f);
	f = fopen(main_path, "w");
	fputs("global = { log_level = \"info\"; };\n@include \"uplinks.conf\"\n", f);
	fclose(f);
	/* An error inside the included file names that file. */
	assert_int_equal(cfg_load_file(main_path, &c, err, sizeof(err)), -1);
	char expect[160];
	snprintf(expect, sizeof(expect), "%s:2: evb.rte (ECP ackTimer exponent) = 40 is out of range 0..31",
		 inc_path);
	assert_string_equal(err, expect);
	f = fopen(inc_path, "w");
	fputs("uplinks = (\n  { name = \"veth0\"; evb = { rte = 14; }; }\n);\n", f);
	fclose(f);
	assert_int_equal(cfg_load_file(main_path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_uplinks, 1);
	assert_int_equal(c.uplinks[0].evb.rte, 14);
	assert_int_equal(c.log_level, LOG_INFO);
	cfg_free(&c);
	unlink(inc_path);
	unlink(main_path);
	/* Missing file. */
	assert_int_equal(cfg_load_file(main_path, &c, err, sizeof(err)), -1);
	snprintf(expect, sizeof(expect), "%s: cannot read: No such file or directory", main_path);
	assert_string_equal(err, expect);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),      cmocka_unit_test(test_empty_and_defaults),
		cmocka_unit_test(test_changed),   cmocka_unit_test(test_bad),
		cmocka_unit_test(test_qbh_group), cmocka_unit_test(test_file_and_include),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
