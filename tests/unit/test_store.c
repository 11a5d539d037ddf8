/* Registry persistence: round trip, config entries, and refusal of damaged,
 * truncated, partial or foreign state files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/tfile.h"
#include "profiles/reg_config.h"
#include "profiles/reg_json.h"
#include "profiles/registry.h"
#include "profiles/store.h"

#define VM1 "0b3c9e2a-1111-4d4d-8e8e-000000000001"
#define VM2 "0b3c9e2a-1111-4d4d-8e8e-000000000002"
#define VM3 "0b3c9e2a-1111-4d4d-8e8e-000000000003"
#define PORT1 "7d0c0b8a-2222-4e4e-9f9f-000000000001"

struct fx {
	char dir[64];
	char path[128];
	struct reg *reg;
	unsigned vsis_reported;
};

static void count(void *ctx, const struct reg_vsi *old, const struct reg_vsi *cur)
{
	struct fx *f = ctx;

	if (!old && cur)
		f->vsis_reported++;
}

static const struct reg_ops ops = { .vsi_desired = count };

static void must(int rc, struct reg_err *err)
{
	if (rc)
		fail_msg("%d: %s", rc, err->msg);
}

static void fill(struct reg *reg)
{
	struct reg_err err;
	struct reg_profile qbg = { .name = "prof-a", .type = REG_VPORT_QBG, .mgrid = 11, .typeid = 1193047,
				   .typeidver = 2, .filter_fmt = 2 };
	struct reg_profile qbh = { .name = "enterprise-xyz", .type = REG_VPORT_QBH, .profileid = "enterprise-xyz",
				   .vlan = 100 };
	struct reg_uplink u = { .dev = "eth4", .physnet = "physnet1", .mode = REG_MODE_VEPA };
	struct reg_network na = { .name = "net-a", .uuid = "5a0a8c5e-3333-4f4f-afaf-000000000001",
				  .physnet = "physnet1", .profile = "prof-a", .vlan = 10 };
	struct reg_network nb = { .name = "net-b", .physnet = "physnet1", .profile = "enterprise-xyz" };
	struct reg_port p = { .uuid = PORT1, .network = "net-a" };
	struct reg_attachment a1 = { .iface_id = VM1, .network = "net-a", .port = PORT1 };
	struct reg_attachment a2 = { .iface_id = VM2, .network = "net-b" };
	struct reg_binding b1 = { .iface_id = VM1, .dev = "macvtap0", .mac = { 0x52, 0x54, 0, 0, 0, 1 },
				  .uplink = "eth4" };
	struct reg_binding b2 = { .iface_id = VM2, .dev = "macvtap1", .mac = { 0x52, 0x54, 0, 0, 0, 2 },
				  .uplink = "eth4" };
	struct reg_binding b3 = { .iface_id = VM3, .mac = { 0x52, 0x54, 0, 0, 0, 3 }, .uplink = "eth4",
				  .origin = REG_ORIGIN_LEARNED };

	must(reg_profile_add(reg, &qbg, &err), &err);
	must(reg_profile_add(reg, &qbh, &err), &err);
	must(reg_uplink_add(reg, &u, &err), &err);
	must(reg_network_add(reg, &na, &err), &err);
	must(reg_network_add(reg, &nb, &err), &err);
	must(reg_port_add(reg, &p, &err), &err);
	must(reg_attach(reg, &a1, &err), &err);
	must(reg_attach(reg, &a2, &err), &err);
	must(reg_bind(reg, &b1, &err), &err);
	must(reg_bind(reg, &b2, &err), &err);
	must(reg_bind(reg, &b3, &err), &err);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/vdpd-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/state/registry.json", f->dir);
	f->reg = reg_new(&ops, f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[160];

	reg_free(f->reg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void save_filled(struct fx *f)
{
	struct reg *src = reg_new(NULL, NULL);
	struct reg_err err;

	fill(src);
	must(reg_store_save(src, f->path, &err), &err);
	reg_free(src);
}

static void test_round_trip(void **state)
{
	struct fx *f = *state;
	struct reg *src = reg_new(NULL, NULL);
	struct reg_err err;
	json_t *a, *b;
	unsigned skipped = 99;
	DIR *d;
	struct dirent *de;
	int files = 0;
	char sub[100];

	fill(src);
	must(reg_store_save(src, f->path, &err), &err);
	/* Saved twice: replaced atomically, no temporary left behind. */
	must(reg_store_save(src, f->path, &err), &err);
	snprintf(sub, sizeof(sub), "%s/state", f->dir);
	d = opendir(sub);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			files++;
	closedir(d);
	assert_int_equal(files, 1);

	must(reg_store_load(f->reg, f->path, &skipped, &err), &err);
	assert_int_equal(skipped, 0);
	a = reg_to_json(src, true);
	b = reg_to_json(f->reg, true);
	assert_true(json_equal(a, b));
	assert_int_equal(json_array_size(json_object_get(b, "bindings")), 3);
	/* Both attached+bound interfaces are reported as desired VSIs. */
	assert_int_equal(f->vsis_reported, 2);
	assert_int_equal(reg_vsi_get(f->reg, VM1)->typeid, 1193047);
	assert_string_equal(reg_vsi_get(f->reg, VM2)->profileid, "enterprise-xyz");
	assert_int_equal(reg_vsi_get(f->reg, VM2)->vlan, 100);
	assert_int_equal(reg_binding_get(f->reg, VM3)->origin, REG_ORIGIN_LEARNED);
	assert_string_equal(reg_attachment_get(f->reg, VM1)->port, PORT1);
	assert_string_equal(reg_network_get(f->reg, "5a0a8c5e-3333-4f4f-afaf-000000000001")->name, "net-a");
	json_decref(a);
	json_decref(b);
	reg_free(src);
}

static void test_missing_file_is_enoent(void **state)
{
	struct fx *f = *state;
	struct reg_err err;

	assert_int_equal(reg_store_load(f->reg, f->path, NULL, &err), -ENOENT);
	assert_non_null(strstr(err.msg, f->path));
}

static void test_config_entries_not_stored_and_shadow(void **state)
{
	struct fx *f = *state;
	struct reg *src = reg_new(NULL, NULL);
	struct reg_err err;
	struct reg_profile cfg = { .name = "prof-a", .type = REG_VPORT_QBG, .typeid = 5,
				   .origin = REG_ORIGIN_CONFIG };
	struct reg_profile cfg2 = { .name = "only-config", .type = REG_VPORT_QBG, .typeid = 6,
				    .origin = REG_ORIGIN_CONFIG };
	unsigned skipped = 0;
	size_t len;
	char *text;

	must(reg_profile_add(src, &cfg2, &err), &err);
	fill(src);
	must(reg_store_save(src, f->path, &err), &err);
	text = tfile_read(f->path, &len);
	assert_null(strstr(text, "only-config"));
	free(text);
	/* The daemon loads vdpd.conf first: its prof-a shadows the stored one. */
	must(reg_profile_add(f->reg, &cfg, &err), &err);
	must(reg_store_load(f->reg, f->path, &skipped, &err), &err);
	assert_int_equal(skipped, 1);
	assert_int_equal(reg_profile_get(f->reg, "prof-a")->typeid, 5);
	assert_int_equal(reg_vsi_get(f->reg, VM1)->typeid, 5);
	reg_free(src);
}

static void expect_refused(struct fx *f, const char *what)
{
	struct reg_err err;
	struct reg_counts c;
	int rc = reg_store_load(f->reg, f->path, NULL, &err);

	assert_int_not_equal(rc, 0);
	assert_int_not_equal(rc, -ENOENT);
	if (!strstr(err.msg, what) || !strstr(err.msg, f->path))
		fail_msg("expected '%s' and the path in: %s", what, err.msg);
	reg_get_counts(f->reg, &c);
	(void)c;
}

static void test_damaged_byte_refused(void **state)
{
	struct fx *f = *state;
	size_t len;
	char *text, *p;

	save_filled(f);
	text = tfile_read(f->path, &len);
	/* Still valid JSON, different content: typeid 1193047 -> 1193048. */
	p = strstr(text, "1193047");
	assert_non_null(p);
	p[6] = '8';
	tfile_write(f->path, text, len);
	free(text);
	expect_refused(f, "checksum mismatch");
	/* Nothing was loaded before the checksum check. */
	assert_null(reg_profile_get(f->reg, "prof-a"));
}

static void test_truncated_refused(void **state)
{
	struct fx *f = *state;
	size_t len;
	char *text;

	save_filled(f);
	text = tfile_read(f->path, &len);
	for (size_t cut = 1; cut < len - 2; cut += len / 7) {
		tfile_write(f->path, text, cut);
		expect_refused(f, "refusing it");
	}
	free(text);
}

static void test_empty_refused(void **state)
{
	struct fx *f = *state;

	save_filled(f);
	tfile_write(f->path, "", 0);
	expect_refused(f, "empty file");
}

/* Rewrites the file with a correct checksum after edit(), so the check
 * that must catch the fault is the structural one. */
static void resave(struct fx *f, void (*edit)(json_t *doc))
{
	size_t len;
	char *text = tfile_read(f->path, &len), *s, sum[32];
	json_t *doc = json_loads(text, 0, NULL);

	assert_non_null(doc);
	free(text);
	json_object_del(doc, "checksum");
	edit(doc);
	s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(sum, sizeof(sum), "crc32:%08x", crc32_ieee(s, strlen(s)));
	free(s);
	json_object_set_new(doc, "checksum", json_string(sum));
	assert_int_equal(json_dump_file(doc, f->path, 0), 0);
	json_decref(doc);
}

static void edit_version(json_t *doc)
{
	json_object_set_new(doc, "version", json_integer(2));
}

static void edit_unknown_key(json_t *doc)
{
	json_object_set_new(doc, "extra", json_true());
}

static void edit_bad_typeid(json_t *doc)
{
	json_t *p = json_array_get(json_object_get(doc, "profiles"), 1);

	json_object_set_new(p, "typeid", json_integer(16777216));
}

static void edit_drop_networks(json_t *doc)
{
	json_object_del(doc, "networks");
}

static void edit_dangling_attachment(json_t *doc)
{
	json_t *a = json_array_get(json_object_get(doc, "attachments"), 0);

	json_object_set_new(a, "network", json_string("gone"));
}

static void edit_config_origin(json_t *doc)
{
	json_t *u = json_array_get(json_object_get(doc, "uplinks"), 0);

	json_object_set_new(u, "origin", json_string("config"));
}

static void test_structural_faults_refused(void **state)
{
	struct fx *f = *state;
	static const struct {
		void (*edit)(json_t *);
		const char *msg;
	} cases[] = {
		{ edit_version, "version 2" },
		{ edit_unknown_key, "unknown key \"extra\"" },
		{ edit_bad_typeid, "profiles[1]: \"typeid\" 16777216 out of range" },
		{ edit_drop_networks, "\"networks\" missing" },
		{ edit_dangling_attachment, "attachments[0]: interface " VM1 ": network 'gone' does not exist" },
		{ edit_config_origin, "uplinks[0]: origin \"config\" is never stored" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reg_free(f->reg);
		f->reg = reg_new(&ops, f);
		save_filled(f);
		resave(f, cases[i].edit);
		expect_refused(f, cases[i].msg);
	}
}

static void test_no_checksum_refused(void **state)
{
	struct fx *f = *state;
	size_t len;
	char *text = NULL, *p;

	save_filled(f);
	text = tfile_read(f->path, &len);
	p = strstr(text, "\"checksum\"");
	assert_non_null(p);
	memcpy(p, "\"checksuX\"", 10);
	tfile_write(f->path, text, len);
	free(text);
	expect_refused(f, "no \"checksum\"");
}

static void test_stale_temp_ignored(void **state)
{
	struct fx *f = *state;
	char tmp[160];
	struct reg_err err;

	/* A writer that died before its rename leaves only a temp file. */
	save_filled(f);
	snprintf(tmp, sizeof(tmp), "%s.tmp.12345", f->path);
	tfile_write(tmp, "{\"format\":", 10);
	must(reg_store_load(f->reg, f->path, NULL, &err), &err);
	assert_non_null(reg_profile_get(f->reg, "prof-a"));
}

static void test_save_error_is_clear(void **state)
{
	struct fx *f = *state;
	struct reg_err err;

	(void)f;
	assert_int_equal(reg_store_save(f->reg, "/nonexistent-dir/x/registry.json", &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent-dir/x/registry.json: cannot create directory"));
}

static void test_crc32_vector(void **state)
{
	(void)state;
	/* The standard check value of CRC-32/ISO-HDLC. */
	assert_int_equal(crc32_ieee("123456789", 9), 0xcbf43926);
}

/* Eight octets a step and the rest one at a time: every split of a buffer
 * whose length is no multiple of 8 gives python's zlib.crc32 of it. */
static void test_crc32_slices(void **state)
{
	uint8_t b[1000];

	(void)state;
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(crc32_ieee(b, sizeof(b)), 0x17bc2a46);
	for (size_t i = 0; i <= 40; i++)
		assert_int_equal(crc32_update(crc32_update(0, b, i), b + i, sizeof(b) - i),
				 0x17bc2a46);
	assert_int_equal(crc32_ieee(b, 0), 0);
}

static void write_conf(struct fx *f, const char *text, char *path, size_t len)
{
	snprintf(path, len, "%s/vdpd.conf", f->dir);
	tfile_write(path, text, strlen(text));
}

static void test_config_section(void **state)
{
	struct fx *f = *state;
	struct reg_config rc;
	struct reg_err err;
	char path[128];

	write_conf(f,
		   "global = { log_level = \"info\"; };\n"
		   "registry = {\n"
		   "  policy = \"enforce\";\n"
		   "  state_dir = \"/tmp/x\";\n"
		   "  profiles = (\n"
		   "    { name = \"enterprise-xyz\"; type = \"802.1Qbh\"; profileid = \"enterprise-xyz\"; },\n"
		   "    { name = \"web\"; type = \"qbg\"; mgrid = 11; typeid = 1193047; typeidver = 2; vlan = 10; }\n"
		   "  );\n"
		   "  uplinks = ( { dev = \"eth4\"; physnet = \"datacenter\"; mode = \"vepa\"; } );\n"
		   "  networks = ( { name = \"tenant-a\"; physnet = \"datacenter\"; profile = \"enterprise-xyz\"; } );\n"
		   "  attachments = ( { iface_id = \"" VM1 "\"; network = \"tenant-a\"; } );\n"
		   "};\n",
		   path, sizeof(path));
	must(reg_config_load_file(f->reg, path, &rc, &err), &err);
	assert_true(rc.has_policy);
	assert_int_equal(rc.policy, REG_POLICY_ENFORCE);
	assert_int_equal(reg_get_policy(f->reg), REG_POLICY_ENFORCE);
	assert_string_equal(rc.state_dir, "/tmp/x");
	assert_int_equal(reg_profile_get(f->reg, "web")->typeid, 1193047);
	assert_int_equal(reg_profile_get(f->reg, "web")->origin, REG_ORIGIN_CONFIG);
	assert_string_equal(reg_profile_get(f->reg, "enterprise-xyz")->profileid, "enterprise-xyz");
	assert_int_equal(reg_uplink_get(f->reg, "eth4")->mode, REG_MODE_VEPA);
	assert_string_equal(reg_attachment_get(f->reg, VM1)->network, "tenant-a");
	/* Config entries are not removable at run time, and not stored. */
	assert_int_equal(reg_network_del(f->reg, "tenant-a", &err), -EPERM);
	must(reg_store_save(f->reg, f->path, &err), &err);
	{
		size_t len;
		char *text = tfile_read(f->path, &len);

		assert_null(strstr(text, "tenant-a"));
		free(text);
	}
}

static void test_config_errors_have_line(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "registry = { profiles = ( { name = \"p\"; type = \"qbg\"; typeid = 16777216; } ); };\n",
		  "vdpd.conf:1: registry.profiles[0]: \"typeid\" 16777216 out of range" },
		{ "registry = {\n policy = \"strict\";\n};\n", "vdpd.conf:2: registry.policy \"strict\"" },
		{ "registry = {\n colour = 1;\n};\n", "vdpd.conf:2: registry: unknown setting \"colour\"" },
		{ "registry = { networks = (\n { name = \"n\"; physnet = \"p\"; profile = \"missing\"; }\n); };\n",
		  "vdpd.conf:2: registry.networks[0]: network 'n': profile 'missing' does not exist" },
		{ "registry = { uplinks = (\n { dev = \"eth0\"; physnet = \"p\"; speed = 10; }\n); };\n",
		  "registry.uplinks[0]: uplink: 1 object item(s) left unpacked: speed" },
		{ "registry = { uplinks = (\n { dev = \"eth0\"; physnet = \"p\"; origin = \"runtime\"; }\n); };\n",
		  "\"origin\" is not a configuration key" },
		{ "registry = { profiles = ( { name = ; } ); };\n", "vdpd.conf:1: syntax error" },
	};
	struct reg_config rc;
	struct reg_err err;
	char path[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reg_free(f->reg);
		f->reg = reg_new(NULL, NULL);
		write_conf(f, cases[i].text, path, sizeof(path));
		assert_int_equal(reg_config_load_file(f->reg, path, &rc, &err), -EINVAL);
		if (!strstr(err.msg, cases[i].want))
			fail_msg("case %zu: want '%s' in '%s'", i, cases[i].want, err.msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32_vector),
		cmocka_unit_test(test_crc32_slices),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file_is_enoent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_entries_not_stored_and_shadow, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_damaged_byte_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_structural_faults_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_checksum_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_temp_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_error_is_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_errors_have_line, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
