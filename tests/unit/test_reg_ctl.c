/* Registry control commands (reg_ctl_cmds, ctx the struct reg_ctl) called
 * as the control socket calls them: JSON arguments in, JSON result or
 * errno+text out, and every change saved to the state file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vdp/store/lock.h"
#include "profiles/reg_ctl.h"
#include "profiles/store.h"

#define VM1 "0b3c9e2a-1111-4d4d-8e8e-000000000001"

struct fx {
	struct reg_ctl rc;
	char dir[64], path[128];
	unsigned assoc, deassoc;
};

static void vsi_desired(void *ctx, const struct reg_vsi *old, const struct reg_vsi *cur)
{
	struct fx *f = ctx;

	f->deassoc += old != NULL;
	f->assoc += cur != NULL;
}

static const struct reg_ops ops = { .vsi_desired = vsi_desired };

static json_t *call(struct fx *f, const char *name, const char *args_json, struct ctl_error *err)
{
	json_t *args = json_loads(args_json, 0, NULL), *res;

	assert_non_null(args);
	memset(err, 0, sizeof(*err));
	for (const struct ctl_cmd *c = reg_ctl_cmds; c->name; c++) {
		if (strcmp(c->name, name))
			continue;
		res = c->fn(&f->rc, args, err);
		json_decref(args);
		return res;
	}
	fail_msg("no command %s", name);
	return NULL;
}

static void ok(struct fx *f, const char *name, const char *args)
{
	struct ctl_error err;
	json_t *r = call(f, name, args, &err);

	if (!r)
		fail_msg("%s %s: %d %s", name, args, err.errnum, err.msg);
	json_decref(r);
}

/* The daemon that had f->rc open is gone, as after kill -9: the kernel
 * drops its state lock with its last fd.  (A second daemon on the same
 * state while the first runs is refused: test_second_daemon_refused.) */
static void died(struct fx *f)
{
	store_unlock(f->rc.lock_fd);
	f->rc.lock_fd = -1;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct reg_err err;

	strcpy(f->dir, "/tmp/vdpd-regctl-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/registry.json", f->dir);
	assert_int_equal(reg_ctl_open(&f->rc, NULL, f->path, &ops, f, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	reg_ctl_close(&f->rc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void plug(struct fx *f)
{
	ok(f, "profile.add", "{\"name\":\"prof-a\",\"type\":\"802.1Qbg\",\"mgrid\":11,\"typeid\":100,\"typeidver\":2}");
	ok(f, "profile.add", "{\"name\":\"prof-b\",\"type\":\"qbg\",\"mgrid\":11,\"typeid\":200,\"typeidver\":2}");
	ok(f, "physnet.add", "{\"dev\":\"eth4\",\"physnet\":\"datacenter\",\"mode\":\"vepa\"}");
	ok(f, "network.add", "{\"name\":\"A\",\"physnet\":\"datacenter\",\"profile\":\"prof-a\",\"vlan\":10}");
	ok(f, "network.add", "{\"name\":\"B\",\"physnet\":\"datacenter\",\"profile\":\"prof-b\",\"vlan\":20}");
	ok(f, "attach", "{\"iface_id\":\"" VM1 "\",\"network\":\"A\"}");
	ok(f, "bind", "{\"iface_id\":\"" VM1 "\",\"dev\":\"macvtap0\",\"mac\":\"52:54:00:00:00:01\",\"uplink\":\"eth4\"}");
}

static void test_commands_and_persistence(void **state)
{
	struct fx *f = *state;
	struct ctl_error err;
	struct reg_ctl again;
	struct reg_err rerr;
	json_t *r;

	plug(f);
	assert_int_equal(f->assoc, 1);
	/* Saved after every change. */
	assert_int_equal(access(f->path, R_OK), 0);
	assert_int_equal(f->rc.saves, 7);

	r = call(f, "resolve", "{\"iface_id\":\"" VM1 "\",\"xml\":true}", &err);
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "source_dev")), "eth4.10");
	assert_non_null(strstr(json_string_value(json_object_get(r, "xml")), "typeid=\"100\""));
	json_decref(r);

	/* Move: one de-association and one association. */
	ok(f, "attach", "{\"iface_id\":\"" VM1 "\",\"network\":\"B\"}");
	assert_int_equal(f->deassoc, 1);
	assert_int_equal(f->assoc, 2);

	r = call(f, "registry.show", "{}", &err);
	assert_int_equal(json_array_size(json_object_get(r, "vsis")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(r, "vsis"), 0), "typeid")),
			 200);
	json_decref(r);

	/* A restart reads the same registry back and reports the VSI. */
	died(f);
	assert_int_equal(reg_ctl_open(&again, NULL, f->path, &ops, f, &rerr), 0);
	assert_int_equal(f->assoc, 3);
	assert_int_equal(reg_vsi_get(again.reg, VM1)->typeid, 200);
	reg_ctl_close(&again);

	ok(f, "detach", "{\"iface_id\":\"" VM1 "\"}");
	assert_int_equal(f->deassoc, 2);
}

static void test_errors(void **state)
{
	struct fx *f = *state;
	struct ctl_error err;

	plug(f);
	assert_null(call(f, "profile.del", "{\"name\":\"prof-a\"}", &err));
	assert_int_equal(err.errnum, EBUSY);
	assert_non_null(strstr(err.msg, "used by network 'A'"));
	assert_null(call(f, "profile.add", "{\"name\":\"x\",\"type\":\"qbg\",\"typeid\":\"7\"}", &err));
	assert_int_equal(err.errnum, EINVAL);
	assert_null(call(f, "profile.add", "{\"name\":\"x\",\"type\":\"qbg\",\"origin\":\"config\"}", &err));
	assert_non_null(strstr(err.msg, "origin"));
	assert_null(call(f, "attach", "{\"iface_id\":\"" VM1 "\",\"network\":\"nope\"}", &err));
	assert_int_equal(err.errnum, ENOENT);
	assert_null(call(f, "network.show", "{\"name\":\"nope\"}", &err));
	assert_int_equal(err.errnum, ENOENT);
	assert_null(call(f, "export", "{\"format\":\"ovs\",\"name\":\"A\"}", &err));
	assert_int_equal(err.errnum, EINVAL);
	assert_null(call(f, "registry.policy", "{\"policy\":\"strict\"}", &err));
	assert_int_equal(err.errnum, EINVAL);
	assert_null(call(f, "detach", "{}", &err));
	assert_non_null(strstr(err.msg, "\"iface_id\""));
}

static void test_save_failure_reported(void **state)
{
	struct fx *f = *state;
	struct ctl_error err;

	/* The state directory disappears under the daemon. */
	snprintf(f->rc.state_path, sizeof(f->rc.state_path), "/nonexistent-vdpd/x/registry.json");
	assert_null(call(f, "profile.add", "{\"name\":\"x\",\"type\":\"qbg\"}", &err));
	assert_int_equal(err.errnum, EIO);
	assert_non_null(strstr(err.msg, "applied but not saved"));
	assert_int_equal(f->rc.save_errors, 1);
}

static void test_refused_state_fails_open(void **state)
{
	struct fx *f = *state;
	struct reg_ctl again;
	struct reg_err err;
	FILE *fp;

	plug(f);
	fp = fopen(f->path, "r+");
	assert_non_null(fp);
	fseek(fp, 20, SEEK_SET);
	fputc('#', fp);
	fclose(fp);
	died(f);
	assert_int_equal(reg_ctl_open(&again, NULL, f->path, &ops, f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, f->path));
	assert_null(again.reg);
}

/* Changes go to the journal; a crash mid-append leaves a torn last record
 * that the next open drops with a warning (and counts), keeping the rest. */
/* Two daemons on one state file: the second is refused, naming the file
 * and the holder's pid, and the first keeps it. */
static void test_second_daemon_refused(void **state)
{
	struct fx *f = *state;
	struct reg_ctl again;
	struct reg_err err;
	char want[512];

	assert_int_equal(reg_ctl_open(&again, NULL, f->path, &ops, f, &err), -EBUSY);
	snprintf(want, sizeof(want), "%s is in use by pid %ld (lock %s.lock)", f->path,
		 (long)getpid(), f->path);
	assert_string_equal(err.msg, want);
	assert_null(again.reg);
	/* Released with the first: the next one gets it. */
	reg_ctl_close(&f->rc);
	assert_int_equal(reg_ctl_open(&f->rc, NULL, f->path, &ops, f, &err), 0);
}

/* The state dir is created when missing (one level) before its lock is
 * taken: /var/lib/vdpd on a first start. */
static void test_state_dir_created(void **state)
{
	struct fx *f = *state;
	struct reg_ctl other;
	struct reg_err err;
	char path[200], lock[220];

	snprintf(path, sizeof(path), "%s/new/registry.json", f->dir);
	snprintf(lock, sizeof(lock), "%s.lock", path);
	if (reg_ctl_open(&other, NULL, path, &ops, f, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(access(lock, F_OK), 0);
	reg_ctl_close(&other);
}

static void test_journal_and_torn_tail(void **state)
{
	struct fx *f = *state;
	struct reg_ctl again;
	struct reg_err err;
	char jpath[160];
	json_t *st;
	FILE *fp;
	long len;

	plug(f);
	/* First save: the snapshot; the six others: journal records. */
	assert_int_equal(f->rc.store.compactions, 1);
	assert_int_equal(f->rc.store.appends, 6);
	snprintf(jpath, sizeof(jpath), "%s/registry.journal", f->dir);
	fp = fopen(jpath, "r+");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	fclose(fp);
	/* The bind (last record) loses its last 20 octets. */
	assert_int_equal(truncate(jpath, len - 20), 0);
	died(f);
	assert_int_equal(reg_ctl_open(&again, NULL, f->path, &ops, f, &err), 0);
	assert_non_null(reg_attachment_get(again.reg, VM1));
	assert_null(reg_binding_get(again.reg, VM1));
	st = reg_ctl_status_json(&again);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(st, "journal"), "torn_records")), 1);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(st, "journal"), "warning")),
			       "registry.journal: torn last record at offset"));
	json_decref(st);
	/* A clean stop compacts: snapshot, journal down to its header. */
	reg_ctl_close(&again);
	fp = fopen(jpath, "r");
	fseek(fp, 0, SEEK_END);
	assert_int_equal(ftell(fp), 24);
	fclose(fp);
	assert_int_equal(reg_ctl_open(&again, NULL, f->path, &ops, f, &err), 0);
	assert_int_equal(again.store.torn, 0);
	assert_null(reg_binding_get(again.reg, VM1));
	assert_non_null(reg_network_get(again.reg, "B"));
	reg_ctl_close(&again);
}

static void test_export(void **state)
{
	struct fx *f = *state;
	struct ctl_error err;
	json_t *r;

	plug(f);
	r = call(f, "export", "{\"format\":\"libvirt-network\",\"name\":\"A\"}", &err);
	assert_non_null(r);
	assert_non_null(strstr(json_string_value(json_object_get(r, "xml")), "<interface dev=\"eth4\"/>"));
	json_decref(r);
}


static void write_conf(const char *path, const char *profile_of_a, const char *extra)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fprintf(fp,
		"registry = {\n"
		"  %s\n"
		"  profiles = ( { name = \"web\"; type = \"qbg\"; mgrid = 11; typeid = 5; typeidver = 4; },\n"
		"               { name = \"db\"; type = \"qbg\"; mgrid = 11; typeid = 6; typeidver = 4; } );\n"
		"  uplinks = ( { dev = \"eth4\"; physnet = \"dc\"; } );\n"
		"  networks = ( %s%s%s );\n"
		"};\n",
		extra, profile_of_a ? "{ name = \"A\"; physnet = \"dc\"; profile = \"" : "",
		profile_of_a ? profile_of_a : "", profile_of_a ? "\"; vlan = 10; }" : "");
	fclose(fp);
}

static void test_config_reload(void **state)
{
	struct fx *f = *state;
	struct reg_ctl rc;
	struct reg_reload rl;
	struct reg_err err;
	char conf[160];
	unsigned a0, d0;

	snprintf(conf, sizeof(conf), "%s/vdpd.conf", f->dir);
	write_conf(conf, "web", "policy = \"enforce\";");
	died(f);
	assert_int_equal(reg_ctl_open(&rc, conf, f->path, &ops, f, &err), 0);
	assert_int_equal(reg_get_policy(rc.reg), REG_POLICY_ENFORCE);
	{
		struct reg_attachment a = { .iface_id = VM1, .network = "A" };
		struct reg_binding b = { .iface_id = VM1, .mac = { 0x52, 0x54, 0, 0, 0, 1 }, .uplink = "eth4" };

		assert_int_equal(reg_attach(rc.reg, &a, &err), 0);
		assert_int_equal(reg_bind(rc.reg, &b, &err), 0);
	}
	assert_int_equal(reg_vsi_get(rc.reg, VM1)->typeid, 5);
	a0 = f->assoc;
	d0 = f->deassoc;

	/* The same file again: nothing reported. */
	assert_int_equal(reg_ctl_reload_prepare(&rc, conf, &rl, &err), 0);
	assert_int_equal(reg_ctl_reload_commit(&rc, &rl, &err), 0);
	assert_int_equal(f->assoc, a0);
	assert_int_equal(f->deassoc, d0);

	/* Network A now uses profile db: VM1 is re-derived, run-time entries kept. */
	write_conf(conf, "db", "");
	assert_int_equal(reg_ctl_reload_prepare(&rc, conf, &rl, &err), 0);
	assert_int_equal(reg_ctl_reload_commit(&rc, &rl, &err), 0);
	assert_int_equal(f->assoc, a0 + 1);
	assert_int_equal(f->deassoc, d0 + 1);
	assert_int_equal(reg_vsi_get(rc.reg, VM1)->typeid, 6);
	assert_non_null(reg_binding_get(rc.reg, VM1));
	/* No policy in the file: off. */
	assert_int_equal(reg_get_policy(rc.reg), REG_POLICY_OFF);

	/* Network A removed while VM1 is attached to it: refused, nothing changes. */
	write_conf(conf, NULL, "");
	assert_int_equal(reg_ctl_reload_prepare(&rc, conf, &rl, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "attachments[0]: interface " VM1 ": network 'A' does not exist"));
	assert_null(rl.next);
	assert_non_null(reg_network_get(rc.reg, "A"));
	assert_int_equal(reg_vsi_get(rc.reg, VM1)->typeid, 6);
	assert_int_equal(f->assoc, a0 + 1);

	/* A syntax error: refused too. */
	{
		FILE *fp = fopen(conf, "w");

		fputs("registry = { profiles = ( { name = ; } ); };\n", fp);
		fclose(fp);
	}
	assert_int_equal(reg_ctl_reload_prepare(&rc, conf, &rl, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "vdpd.conf:1"));
	reg_ctl_close(&rc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commands_and_persistence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_failure_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_state_fails_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_and_torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_daemon_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_dir_created, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_reload, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
