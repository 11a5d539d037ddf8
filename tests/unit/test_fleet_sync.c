/* The fleet registry on etcd against an in-memory etcd: the first read,
 * the watch, a move, compaction and resync without spurious
 * de-associations, an outage, other hosts' entries, entries arriving out
 * of order, bad values, and write conflicts between two controllers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "profiles/fleet_sync.h"
#include "tests/unit/fake_etcd.h"

#define X "0b3c9e2a-1111-4d4d-8e8e-000000000001"
#define Y "0b3c9e2a-1111-4d4d-8e8e-000000000002"

struct host {
	struct reg *reg;
	struct fleet_sync *fs;
	unsigned assoc, move, deassoc;
	struct reg_vsi last;
};

struct fx {
	struct fake_etcd *f;
	struct host a, b;
};

static void on_vsi(void *ctx, const struct reg_vsi *old, const struct reg_vsi *cur)
{
	struct host *h = ctx;

	if (!old)
		h->assoc++;
	else if (cur)
		h->move++;
	else
		h->deassoc++;
	if (cur)
		h->last = *cur;
}

static const struct reg_ops vsi_ops = { .vsi_desired = on_vsi };

static void host_init(struct fx *x, struct host *h, const char *name)
{
	struct reg_err err = { "" };

	h->reg = reg_new(&vsi_ops, h);
	h->fs = fleet_sync_new(h->reg, &fake_etcd_ops, fake_etcd_client(x->f), "/vdpd", name, &err);
	if (!h->fs)
		fail_msg("%s", err.msg);
}

static void host_fini(struct host *h)
{
	fleet_sync_free(h->fs);
	reg_free(h->reg);
}

static void seed(struct fake_etcd *f)
{
	fake_etcd_put(f, "/vdpd/profiles/enterprise-xyz",
		      "{\"name\":\"enterprise-xyz\",\"type\":\"802.1Qbg\",\"mgrid\":11,\"typeid\":"
		      "1193047,"
		      "\"typeidver\":2}");
	fake_etcd_put(f, "/vdpd/profiles/web",
		      "{\"name\":\"web\",\"type\":\"802.1Qbg\",\"mgrid\":11,\"typeid\":42,"
		      "\"typeidver\":1}");
	fake_etcd_put(f, "/vdpd/networks/net-1",
		      "{\"name\":\"net-1\",\"physnet\":\"physnet1\",\"profile\":\"enterprise-xyz\","
		      "\"vlan\":100}");
	fake_etcd_put(
		f, "/vdpd/networks/net-2",
		"{\"name\":\"net-2\",\"physnet\":\"physnet1\",\"profile\":\"web\",\"vlan\":200}");
	fake_etcd_put(f, "/vdpd/hosts/host-a/uplinks/eth4",
		      "{\"dev\":\"eth4\",\"physnet\":\"physnet1\"}");
	fake_etcd_put(f, "/vdpd/hosts/host-b/uplinks/eth4",
		      "{\"dev\":\"eth4\",\"physnet\":\"physnet1\"}");
}

static void bind_at(struct fake_etcd *f, const char *host, const char *id, const char *mac)
{
	char key[160], val[256];

	snprintf(key, sizeof(key), "/vdpd/hosts/%s/bindings/%s", host, id);
	snprintf(val, sizeof(val),
		 "{\"iface_id\":\"%s\",\"dev\":\"macvtap0\",\"mac\":\"%s\",\"uplink\":\"eth4\"}",
		 id, mac);
	fake_etcd_put(f, key, val);
}

static void attach(struct fake_etcd *f, const char *id, const char *net)
{
	char key[160], val[256];

	snprintf(key, sizeof(key), "/vdpd/attachments/%s", id);
	snprintf(val, sizeof(val), "{\"iface_id\":\"%s\",\"network\":\"%s\"}", id, net);
	fake_etcd_put(f, key, val);
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	x->f = fake_etcd_new();
	seed(x->f);
	host_init(x, &x->a, "host-a");
	host_init(x, &x->b, "host-b");
	fleet_sync_start(x->a.fs);
	fleet_sync_start(x->b.fs);
	fake_etcd_run(x->f);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	host_fini(&x->a);
	host_fini(&x->b);
	fake_etcd_free(x->f);
	free(x);
	return 0;
}

static void test_read_then_watch(void **state)
{
	struct fx *x = *state;
	const struct fleet_stats *st = fleet_sync_stats(x->a.fs);
	struct reg_counts c;

	assert_int_equal(st->state, FLEET_WATCHING);
	assert_true(st->connected);
	assert_int_equal(st->revision, fake_etcd_revision(x->f));
	reg_get_counts(x->a.reg, &c);
	assert_int_equal(c.profiles, 2);
	assert_int_equal(c.networks, 2);
	assert_int_equal(c.uplinks, 1); /* its own, not host-b's */
	/* X: attached by the controller, bound on host A */
	attach(x->f, X, "net-1");
	bind_at(x->f, "host-a", X, "52:54:00:00:00:01");
	fake_etcd_run(x->f);
	assert_int_equal(x->a.assoc, 1);
	assert_int_equal(x->a.last.typeid, 1193047);
	assert_int_equal(x->a.last.vlan, 100);
	assert_string_equal(x->a.last.uplink, "eth4");
	assert_int_equal(x->b.assoc + x->b.move + x->b.deassoc, 0); /* host B sees nothing */
	assert_int_equal(st->revision, fake_etcd_revision(x->f));
	assert_int_equal(st->events, 2);
	/* the move: network 2's type and VLAN, nobody touching host A */
	attach(x->f, X, "net-2");
	fake_etcd_run(x->f);
	assert_int_equal(x->a.move, 1);
	assert_int_equal(x->a.last.typeid, 42);
	assert_int_equal(x->a.last.vlan, 200);
	assert_int_equal(x->a.deassoc, 0);
	/* the binding removed: de-associated */
	fake_etcd_del(x->f, "/vdpd/hosts/host-a/bindings/" X);
	fake_etcd_run(x->f);
	assert_int_equal(x->a.deassoc, 1);
	assert_int_equal(x->b.assoc + x->b.move + x->b.deassoc, 0);
}

/* The watch falls behind a compaction: a fresh read, and only what changed
 * is reported; X and Y stay associated throughout. */
static void test_compaction_resync(void **state)
{
	struct fx *x = *state;
	const struct fleet_stats *st = fleet_sync_stats(x->a.fs);
	struct reg_counts c;

	attach(x->f, X, "net-1");
	bind_at(x->f, "host-a", X, "52:54:00:00:00:01");
	attach(x->f, Y, "net-1");
	bind_at(x->f, "host-a", Y, "52:54:00:00:00:02");
	fake_etcd_run(x->f);
	assert_int_equal(x->a.assoc, 2);
	/* while A is not listening: Y moves, an unrelated network appears,
	 * and the history is compacted past A's revision */
	attach(x->f, Y, "net-2");
	fake_etcd_put(
		x->f, "/vdpd/networks/net-3",
		"{\"name\":\"net-3\",\"physnet\":\"physnet1\",\"profile\":\"web\",\"vlan\":300}");
	fake_etcd_compact(x->f, fake_etcd_revision(x->f));
	fake_etcd_run(x->f);
	assert_int_equal(st->resyncs, 1);
	assert_int_equal(st->reads, 2);
	assert_int_equal(st->state, FLEET_WATCHING);
	assert_int_equal(st->revision, fake_etcd_revision(x->f));
	assert_int_equal(x->a.assoc, 2); /* X not re-associated */
	assert_int_equal(x->a.move, 1); /* Y moved */
	assert_int_equal(x->a.deassoc, 0);
	reg_get_counts(x->a.reg, &c);
	assert_int_equal(c.networks, 3);
	assert_int_equal(c.vsis, 2);
	/* and the watch goes on from the new revision */
	attach(x->f, X, "net-3");
	fake_etcd_run(x->f);
	assert_int_equal(x->a.move, 2);
	assert_int_equal(x->a.last.vlan, 300);
}

/* The cluster gone: the registry stays, writes fail naming the endpoint;
 * back: the differences are applied. */
static void test_outage(void **state)
{
	struct fx *x = *state;
	const struct fleet_stats *st = fleet_sync_stats(x->a.fs);
	struct reg_network n = { .name = "net-9", .physnet = "physnet1", .profile = "web" };
	struct reg_err err = { "" };

	attach(x->f, X, "net-1");
	bind_at(x->f, "host-a", X, "52:54:00:00:00:01");
	fake_etcd_run(x->f);
	assert_int_equal(x->a.assoc, 1);
	fake_etcd_set_down(x->f, true);
	fake_etcd_run(x->f);
	assert_int_equal(st->state, FLEET_DOWN);
	assert_false(st->connected);
	assert_non_null(strstr(st->last_error, "127.0.0.1:2379"));
	fleet_sync_tick(x->a.fs);
	fake_etcd_run(x->f);
	assert_int_equal(st->state, FLEET_DOWN);
	assert_int_equal(x->a.deassoc, 0);
	assert_non_null(reg_vsi_get(x->a.reg, X));
	assert_int_equal(fleet_sync_put(x->a.fs, FLEET_NETWORK, NULL, &n, true, NULL, NULL, &err),
			 -ENOTCONN);
	assert_non_null(strstr(err.msg, "unreachable"));
	assert_non_null(strstr(err.msg, "127.0.0.1:2379"));
	/* changed while A could not see it (written by the cluster's other side) */
	fake_etcd_set_down(x->f, false);
	attach(x->f, X, "net-2");
	fake_etcd_set_down(x->f, true);
	fleet_sync_tick(x->a.fs);
	fake_etcd_run(x->f);
	assert_int_equal(x->a.move, 0);
	fake_etcd_set_down(x->f, false);
	fleet_sync_tick(x->a.fs);
	fake_etcd_run(x->f);
	assert_int_equal(st->state, FLEET_WATCHING);
	assert_true(st->connected);
	assert_int_equal(x->a.move, 1);
	assert_int_equal(x->a.last.vlan, 200);
	assert_int_equal(x->a.deassoc, 0);
	assert_int_equal(x->a.assoc, 1);
}

/* An attachment written before its network: kept, applied when the
 * network arrives; a value that does not decode is counted, not applied. */
static void test_out_of_order_and_bad(void **state)
{
	struct fx *x = *state;
	const struct fleet_stats *st = fleet_sync_stats(x->a.fs);

	attach(x->f, X, "net-7");
	bind_at(x->f, "host-a", X, "52:54:00:00:00:01");
	fake_etcd_run(x->f);
	assert_int_equal(x->a.assoc, 0);
	assert_int_equal(st->unapplied, 1);
	assert_non_null(strstr(st->last_error, X));
	fake_etcd_put(
		x->f, "/vdpd/networks/net-7",
		"{\"name\":\"net-7\",\"physnet\":\"physnet1\",\"profile\":\"web\",\"vlan\":7}");
	fake_etcd_run(x->f);
	assert_int_equal(st->unapplied, 0);
	assert_int_equal(x->a.assoc, 1);
	assert_int_equal(x->a.last.vlan, 7);
	fake_etcd_put(x->f, "/vdpd/networks/net-8", "{\"name\":\"net-8\"");
	fake_etcd_put(x->f, "/vdpd/hosts/host-a/bindings/nonsense", "{}");
	fake_etcd_put(x->f, "/vdpd/unrelated/thing", "whatever");
	fake_etcd_run(x->f);
	assert_int_equal(st->bad_values, 2);
	assert_null(reg_network_get(x->a.reg, "net-8"));
	/* a good value over a bad one is taken; a bad one over a good one
	 * removes the entry (the store no longer holds a usable one) */
	fake_etcd_put(x->f, "/vdpd/networks/net-8",
		      "{\"name\":\"net-8\",\"physnet\":\"physnet1\",\"profile\":\"web\"}");
	fake_etcd_run(x->f);
	assert_non_null(reg_network_get(x->a.reg, "net-8"));
	fake_etcd_put(x->f, "/vdpd/networks/net-8", "[]");
	fake_etcd_run(x->f);
	assert_null(reg_network_get(x->a.reg, "net-8"));
	assert_int_equal(x->a.deassoc, 0);
}

/* A controller's transaction of many puts: every event carries the same
 * revision, and every one is applied. */
static void test_one_txn_many_puts(void **state)
{
	struct fx *x = *state;
	const char *keys[4] = { "/vdpd/hosts/host-a/bindings/" X, "/vdpd/hosts/host-a/bindings/" Y,
				"/vdpd/attachments/" X, "/vdpd/attachments/" Y };
	const char *vals[4] = {
		"{\"iface_id\":\"" X "\",\"mac\":\"52:54:00:00:00:01\",\"uplink\":\"eth4\"}",
		"{\"iface_id\":\"" Y "\",\"mac\":\"52:54:00:00:00:02\",\"uplink\":\"eth4\"}",
		"{\"iface_id\":\"" X "\",\"network\":\"net-1\"}",
		"{\"iface_id\":\"" Y "\",\"network\":\"net-2\"}",
	};
	int64_t rev = fake_etcd_put_many(x->f, keys, vals, 4);

	fake_etcd_run(x->f);
	assert_int_equal(x->a.assoc, 2);
	assert_int_equal(fleet_sync_stats(x->a.fs)->events, 4);
	assert_int_equal(fleet_sync_stats(x->a.fs)->revision, rev);
	assert_non_null(reg_vsi_get(x->a.reg, X));
	assert_non_null(reg_vsi_get(x->a.reg, Y));
}

struct wres {
	int calls, err;
	char msg[256];
};

static void on_write(void *ctx, int err, const char *msg)
{
	struct wres *w = ctx;

	w->calls++;
	w->err = err;
	snprintf(w->msg, sizeof(w->msg), "%s", msg ? msg : "");
}

/* Two controllers change one network from the same read: the second is
 * refused, not silently lost; after reading again it goes through. */
static void test_txn_conflict(void **state)
{
	struct fx *x = *state;
	struct reg_network n1 = {
		.name = "net-1", .physnet = "physnet1", .profile = "enterprise-xyz", .vlan = 101
	};
	struct reg_network n2 = {
		.name = "net-1", .physnet = "physnet1", .profile = "web", .vlan = 100
	};
	struct reg_err err = { "" };
	struct wres w1 = { 0 }, w2 = { 0 };

	/* A and B both saw net-1 at the same revision */
	assert_int_equal(
		fleet_sync_put(x->a.fs, FLEET_NETWORK, NULL, &n1, false, on_write, &w1, &err), 0);
	assert_int_equal(
		fleet_sync_put(x->b.fs, FLEET_NETWORK, NULL, &n2, false, on_write, &w2, &err), 0);
	fake_etcd_run(x->f);
	assert_int_equal(w1.calls, 1);
	assert_int_equal(w1.err, 0);
	assert_int_equal(w2.calls, 1);
	assert_int_equal(w2.err, -EAGAIN);
	assert_non_null(strstr(w2.msg, "/vdpd/networks/net-1 was changed by another writer"));
	assert_non_null(strstr(fake_etcd_value(x->f, "/vdpd/networks/net-1"), "\"vlan\":101"));
	assert_int_equal(fleet_sync_stats(x->b.fs)->conflicts, 1);
	/* B has now seen A's change (the watch): its write goes through */
	assert_int_equal(
		fleet_sync_put(x->b.fs, FLEET_NETWORK, NULL, &n2, false, on_write, &w2, &err), 0);
	fake_etcd_run(x->f);
	assert_int_equal(w2.err, 0);
	assert_non_null(
		strstr(fake_etcd_value(x->f, "/vdpd/networks/net-1"), "\"profile\":\"web\""));
	assert_string_equal(reg_network_get(x->a.reg, "net-1")->profile, "web");
	/* create of an existing key: refused before sending */
	assert_int_equal(
		fleet_sync_put(x->a.fs, FLEET_NETWORK, NULL, &n2, true, on_write, &w1, &err),
		-EEXIST);
	/* two creates racing: one wins */
	n1.name[4] = '5';
	w1 = (struct wres){ 0 };
	w2 = (struct wres){ 0 };
	assert_int_equal(
		fleet_sync_put(x->a.fs, FLEET_NETWORK, NULL, &n1, true, on_write, &w1, &err), 0);
	assert_int_equal(
		fleet_sync_put(x->b.fs, FLEET_NETWORK, NULL, &n1, true, on_write, &w2, &err), 0);
	fake_etcd_run(x->f);
	assert_int_equal(w1.err, 0);
	assert_int_equal(w2.err, -EEXIST);
	/* a delete of what is not there; a value the schema refuses */
	assert_int_equal(fleet_sync_del(x->a.fs, FLEET_NETWORK, NULL, "net-0", on_write, &w1, &err),
			 -ENOENT);
	n1.vlan = 5000;
	assert_int_equal(
		fleet_sync_put(x->a.fs, FLEET_NETWORK, NULL, &n1, false, on_write, &w1, &err),
		-EINVAL);
	assert_non_null(strstr(err.msg, "vlan"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_then_watch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compaction_resync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order_and_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_txn_conflict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_txn_many_puts, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
