/* vdp/io/vclock_event.c against a real libevent loop (short real delays). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <event2/event.h>

#include "vdp/io/vclock_event.h"

/* The 16th arming of a duration promotes it (VCE_PROMOTE_AFTER). */
#define VCE_FIRST_COMMON 15

struct rec {
	struct vclock *clock;
	int order[64];
	uint64_t at[64];
	int n;
	struct vtimer *self;	/* freed from its own callback */
};

struct tctx {
	struct rec *r;
	int id;
};

static void fired(void *arg)
{
	struct tctx *c = arg;

	c->r->order[c->r->n] = c->id;
	c->r->at[c->r->n] = vclock_now(c->r->clock);
	c->r->n++;
}

static void fired_and_free(void *arg)
{
	struct tctx *c = arg;

	fired(arg);
	vtimer_free(c->r->clock, c->r->self);
	c->r->self = NULL;
}

/* Runs the loop until n callbacks have run or 2 s have passed. */
static void run_until(struct event_base *b, struct rec *r, int n)
{
	struct timeval tick = { 0, 1000 };

	for (int i = 0; i < 2000 && r->n < n; i++) {
		event_base_loopexit(b, &tick);
		event_base_dispatch(b);
	}
}

static void test_now_monotonic(void **state)
{
	struct event_base *b = vclock_event_base_new();
	struct vclock *c = vclock_event_new(b);
	uint64_t t0 = vclock_now(c), t1;

	(void)state;
	for (volatile int i = 0; i < 100000; i++)
		;
	t1 = vclock_now(c);
	assert_true(t0 > 0);
	assert_true(t1 >= t0);
	vclock_event_free(c);
	event_base_free(b);
}

static void test_order_cancel_rearm(void **state)
{
	struct event_base *b = vclock_event_base_new();
	struct vclock *c = vclock_event_new(b);
	struct rec r = { .clock = c };
	struct tctx ctx[3] = { { &r, 1 }, { &r, 2 }, { &r, 3 } };
	struct vtimer *t[3];
	uint64_t start = vclock_now(c);

	(void)state;
	for (int i = 0; i < 3; i++)
		t[i] = vtimer_new(c, fired, &ctx[i]);
	vtimer_arm(c, t[0], 30000);
	vtimer_arm(c, t[1], 10000);
	vtimer_arm(c, t[2], 20000);
	assert_true(vtimer_pending(c, t[2]));
	vtimer_cancel(c, t[2]);
	assert_false(vtimer_pending(c, t[2]));
	/* Re-arming moves the deadline: t1 now fires last. */
	vtimer_arm(c, t[1], 50000);
	run_until(b, &r, 2);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.order[0], 1);
	assert_int_equal(r.order[1], 2);
	assert_true(r.at[0] - start >= 30000);
	assert_true(r.at[1] - start >= 50000);
	assert_false(vtimer_pending(c, t[0]));
	for (int i = 0; i < 3; i++)
		vtimer_free(c, t[i]);
	vtimer_free(c, NULL);
	vclock_event_free(c);
	event_base_free(b);
}

static void test_free_from_own_callback(void **state)
{
	struct event_base *b = vclock_event_base_new();
	struct vclock *c = vclock_event_new(b);
	struct rec r = { .clock = c };
	struct tctx ctx = { &r, 9 };

	(void)state;
	r.self = vtimer_new(c, fired_and_free, &ctx);
	vtimer_arm(c, r.self, 1000);
	run_until(b, &r, 1);
	assert_int_equal(r.n, 1);
	assert_null(r.self);
	vclock_event_free(c);
	event_base_free(b);
}

static void test_common_timeouts_for_recurring_duration(void **state)
{
	enum { N = 40 };
	struct event_base *b = vclock_event_base_new();
	struct vclock *c = vclock_event_new(b);
	struct rec r = { .clock = c };
	struct tctx ctx[N];
	struct vtimer *t[N];
	uint64_t start = vclock_now(c);

	(void)state;
	assert_int_equal(vclock_event_common_count(c), 0);
	for (int i = 0; i < N; i++) {
		ctx[i].r = &r;
		ctx[i].id = i;
		t[i] = vtimer_new(c, fired, &ctx[i]);
		vtimer_arm(c, t[i], 20000);
	}
	/* One recurring duration, promoted once. */
	assert_int_equal(vclock_event_common_count(c), 1);
	/* A one-off duration is not promoted. */
	vtimer_arm(c, t[0], 20001);
	assert_int_equal(vclock_event_common_count(c), 1);
	run_until(b, &r, N);
	assert_int_equal(r.n, N);
	for (int i = 0; i < N; i++)
		assert_true(r.at[i] - start >= 20000);
	/* Timers in the common queue fire in arming order (FIFO).  (Timers
	 * expiring in the same loop iteration may interleave with heap
	 * timers, so t0's place is not asserted.) */
	int last = -1, seen = 0;
	for (int i = 0; i < N; i++) {
		if (r.order[i] < VCE_FIRST_COMMON)
			continue;
		assert_true(r.order[i] > last);
		last = r.order[i];
		seen++;
	}
	assert_int_equal(seen, N - VCE_FIRST_COMMON);
	/* Promoted timers can be cancelled and re-armed like any other. */
	r.n = 0;
	vtimer_arm(c, t[5], 20000);
	vtimer_arm(c, t[6], 20000);
	vtimer_cancel(c, t[5]);
	run_until(b, &r, 1);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.order[0], 6);
	for (int i = 0; i < N; i++)
		vtimer_free(c, t[i]);
	vclock_event_free(c);
	event_base_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_now_monotonic),
		cmocka_unit_test(test_order_cancel_rearm),
		cmocka_unit_test(test_free_from_own_callback),
		cmocka_unit_test(test_common_timeouts_for_recurring_duration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
