/* The fleet host's lease for its status keys against the in-memory etcd,
 * on a fake clock ticking once a second as the host does: keepalives every
 * TTL/3 renew it; a lease etcd no longer has (expired: keepalive answered
 * with TTL 0) or a failed keepalive makes the host grant a new one and
 * write its status keys under it; nothing is asked while etcd is down, and
 * a new lease is granted once it is back. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "profiles/fleet_lease.h"
#include "tests/unit/fake_etcd.h"
#include "tests/unit/fakeclock.h"

#define TTL 10
#define KEY "/vdpd/hosts/host-a/status/0b3c9e2a-1111-4d4d-8e8e-000000000001"

struct fx {
	struct fake_etcd *f;
	struct fake_etcd_client *c;
	struct fakeclock fc;
	struct fleet_lease *l;
	bool connected;
	int64_t told[8]; /* ids the host was told, 0 = lost */
	int ntold;
	bool written; /* the status key was written under the newest lease */
};

static void on_written(void *ctx, int err, const char *msg, bool ok, int64_t rev)
{
	struct fx *x = ctx;

	(void)msg, (void)rev;
	x->written = !err && ok;
}

/* What the host does (fleet_vdpd.c): on a new lease its status keys are
 * written under it; on a lost one they are marked unwritten. */
static void on_lease(void *ctx, int64_t id, const char *why)
{
	struct fx *x = ctx;

	(void)why;
	assert_true(x->ntold < 8);
	x->told[x->ntold++] = id;
	x->written = false;
	if (id)
		assert_int_equal(fake_etcd_ops.txn(x->c, KEY, fake_etcd_value(x->f, KEY) ? -1 : 0,
						   "{\"state\":\"associated\"}", id, on_written, x),
				 0);
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	x->f = fake_etcd_new();
	x->c = fake_etcd_client(x->f);
	fakeclock_init(&x->fc, 1000000);
	x->l = fleet_lease_new(fakeclock_vclock(&x->fc), &fake_etcd_ops, x->c, TTL, on_lease, x);
	x->connected = true;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	fleet_lease_free(x->l);
	fakeclock_destroy(&x->fc);
	fake_etcd_free(x->f);
	free(x);
	return 0;
}

/* One second of the host: its tick, then etcd answers. */
static void tick(struct fx *x)
{
	fakeclock_advance(&x->fc, 1000000);
	fleet_lease_tick(x->l, x->connected);
	fake_etcd_run(x->f);
}

static int64_t keepalives(struct fx *x)
{
	return fake_etcd_keepalives(x->f, NULL);
}

static void test_granted_then_kept_alive_every_ttl_third(void **state)
{
	struct fx *x = *state;
	int64_t id, last;
	int at[8], n = 0;

	tick(x);
	id = fleet_lease_id(x->l);
	assert_true(id != 0);
	assert_int_equal(fake_etcd_grants(x->f), 1);
	assert_int_equal(x->ntold, 1);
	assert_int_equal(x->told[0], id);
	assert_true(x->written);
	assert_int_equal(fake_etcd_lease_of(x->f, KEY), id);
	/* 20 s: a keepalive every TTL/3 = 3 s after the grant, each for it. */
	for (int s = 1; s <= 20; s++) {
		int64_t k = keepalives(x);

		tick(x);
		if (keepalives(x) != k)
			at[n++] = s;
		assert_true(n <= 8);
	}
	assert_int_equal(n, 6);
	for (int i = 0; i < n; i++)
		assert_int_equal(at[i], 3 * (i + 1));
	fake_etcd_keepalives(x->f, &last);
	assert_int_equal(last, id);
	/* Renewed, nothing else: the same lease, no second grant. */
	assert_int_equal(fleet_lease_id(x->l), id);
	assert_int_equal(fake_etcd_grants(x->f), 1);
	assert_int_equal(x->ntold, 1);
	/* Not connected: nothing is asked. */
	x->connected = false;
	for (int s = 0; s < 10; s++)
		tick(x);
	assert_int_equal(keepalives(x), 6);
}

static void test_expired_lease_regranted_and_status_rewritten(void **state)
{
	struct fx *x = *state;
	int64_t id, id2;

	tick(x);
	id = fleet_lease_id(x->l);
	assert_int_equal(fake_etcd_lease_of(x->f, KEY), id);
	/* etcd lets it expire (a stall longer than the TTL): the key goes. */
	fake_etcd_lease_expire(x->f, id);
	assert_null(fake_etcd_value(x->f, KEY));
	/* The next keepalive is answered with TTL 0: lost, then a new one. */
	for (int s = 0; s < 3; s++)
		tick(x);
	assert_int_equal(keepalives(x), 1);
	assert_int_equal(fleet_lease_id(x->l), 0);
	assert_int_equal(x->ntold, 2);
	assert_int_equal(x->told[1], 0);
	tick(x);
	id2 = fleet_lease_id(x->l);
	assert_true(id2 != 0 && id2 != id);
	assert_true(fake_etcd_lease_alive(x->f, id2));
	assert_int_equal(fake_etcd_grants(x->f), 2);
	assert_int_equal(x->ntold, 3);
	assert_int_equal(x->told[2], id2);
	/* The status key is back, under the new lease. */
	assert_true(x->written);
	assert_non_null(fake_etcd_value(x->f, KEY));
	assert_int_equal(fake_etcd_lease_of(x->f, KEY), id2);
	/* And it is kept alive in turn. */
	for (int s = 0; s < 3; s++)
		tick(x);
	int64_t last;
	fake_etcd_keepalives(x->f, &last);
	assert_int_equal(last, id2);
}

static void test_etcd_down_then_back(void **state)
{
	struct fx *x = *state;
	int64_t id, id2, grants;

	tick(x);
	id = fleet_lease_id(x->l);
	/* Down before the keepalive is due: it fails, the lease is taken as
	 * lost (its keys are written again under the next). */
	fake_etcd_set_down(x->f, true);
	for (int s = 0; s < 3; s++)
		tick(x);
	assert_int_equal(fleet_lease_id(x->l), 0);
	assert_int_equal(x->ntold, 2);
	assert_int_equal(x->told[1], 0);
	/* Still down and still taken for connected (the sync has not noticed
	 * yet): grants are asked and fail, each tick, none sticks. */
	grants = fake_etcd_grants(x->f);
	for (int s = 0; s < 3; s++)
		tick(x);
	assert_int_equal(fleet_lease_id(x->l), 0);
	assert_int_equal(fake_etcd_grants(x->f), grants);
	/* Known down: nothing is asked (no answer is queued). */
	x->connected = false;
	for (int s = 0; s < 30; s++) {
		tick(x);
		assert_int_equal(fake_etcd_run(x->f), 0);
	}
	/* The lease ran out meanwhile. */
	fake_etcd_lease_expire(x->f, id);
	/* Back: a new lease at the first tick, the status under it. */
	fake_etcd_set_down(x->f, false);
	x->connected = true;
	tick(x);
	id2 = fleet_lease_id(x->l);
	assert_true(id2 != 0 && id2 != id);
	assert_int_equal(x->told[x->ntold - 1], id2);
	assert_true(x->written);
	assert_int_equal(fake_etcd_lease_of(x->f, KEY), id2);
	for (int s = 0; s < 3; s++)
		tick(x);
	assert_int_equal(fleet_lease_id(x->l), id2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_granted_then_kept_alive_every_ttl_third, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_expired_lease_regranted_and_status_rewritten,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_etcd_down_then_back, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
