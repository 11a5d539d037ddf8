/* Fake vclock: a binary min-heap of armed timers keyed by (deadline, arming
 * order), so benchmarks with 10^4 timers stay O(log n) per operation. */
#include <stdlib.h>

#include "tests/unit/fakeclock.h"

struct fake_timer {
	struct fakeclock *fc;
	vtimer_cb cb;
	void *arg;
	uint64_t deadline;
	uint64_t seq;
	size_t pos;		/* index in heap, SIZE_MAX when not armed */
};

#define FC(c) ((struct fakeclock *)(c)->priv)
#define NOPOS ((size_t)-1)

static bool before(const struct fake_timer *a, const struct fake_timer *b)
{
	return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void heap_set(struct fakeclock *fc, size_t i, struct fake_timer *t)
{
	fc->heap[i] = t;
	t->pos = i;
}

static void heap_up(struct fakeclock *fc, size_t i)
{
	struct fake_timer *t = fc->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!before(t, fc->heap[p]))
			break;
		heap_set(fc, i, fc->heap[p]);
		i = p;
	}
	heap_set(fc, i, t);
}

static void heap_down(struct fakeclock *fc, size_t i)
{
	struct fake_timer *t = fc->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, m = i;
		const struct fake_timer *best = t;
		if (l < fc->n && before(fc->heap[l], best)) {
			m = l;
			best = fc->heap[l];
		}
		if (l + 1 < fc->n && before(fc->heap[l + 1], best))
			m = l + 1;
		if (m == i)
			break;
		heap_set(fc, i, fc->heap[m]);
		i = m;
	}
	heap_set(fc, i, t);
}

static void heap_remove(struct fakeclock *fc, struct fake_timer *t)
{
	size_t i = t->pos;

	if (i == NOPOS)
		return;
	t->pos = NOPOS;
	fc->n--;
	if (i == fc->n)
		return;
	struct fake_timer *m = fc->heap[fc->n];
	heap_set(fc, i, m);
	heap_down(fc, i);
	heap_up(fc, m->pos);
}

static uint64_t fk_now(struct vclock *c)
{
	return FC(c)->now;
}

static struct vtimer *fk_new(struct vclock *c, vtimer_cb cb, void *arg)
{
	struct fake_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->fc = FC(c);
	t->cb = cb;
	t->arg = arg;
	t->pos = NOPOS;
	return (struct vtimer *)t;
}

static void fk_cancel(struct vclock *c, struct vtimer *vt)
{
	heap_remove(FC(c), (struct fake_timer *)vt);
}

static void fk_arm(struct vclock *c, struct vtimer *vt, uint64_t delay)
{
	struct fakeclock *fc = FC(c);
	struct fake_timer *t = (struct fake_timer *)vt;

	heap_remove(fc, t);
	if (fc->n == fc->cap) {
		size_t ncap = fc->cap ? fc->cap * 2 : 64;
		struct fake_timer **h = realloc(fc->heap, ncap * sizeof(*h));
		if (!h)
			abort();
		fc->heap = h;
		fc->cap = ncap;
	}
	t->deadline = fc->now + delay;
	t->seq = fc->arm_seq++;
	heap_set(fc, fc->n++, t);
	heap_up(fc, t->pos);
}

static void fk_free(struct vclock *c, struct vtimer *vt)
{
	heap_remove(FC(c), (struct fake_timer *)vt);
	free(vt);
}

static bool fk_pending(struct vclock *c, const struct vtimer *vt)
{
	(void)c;
	return ((const struct fake_timer *)vt)->pos != NOPOS;
}

static const struct vclock_ops fake_ops = {
	.now_us = fk_now,
	.timer_new = fk_new,
	.timer_arm = fk_arm,
	.timer_cancel = fk_cancel,
	.timer_free = fk_free,
	.timer_pending = fk_pending,
};

void fakeclock_init(struct fakeclock *fc, uint64_t start_us)
{
	*fc = (struct fakeclock){ .vc = { .ops = &fake_ops, .priv = fc }, .now = start_us };
}

void fakeclock_destroy(struct fakeclock *fc)
{
	free(fc->heap);
	fc->heap = NULL;
	fc->n = fc->cap = 0;
}

uint64_t fakeclock_next_deadline(const struct fakeclock *fc)
{
	return fc->n ? fc->heap[0]->deadline : UINT64_MAX;
}

size_t fakeclock_armed(const struct fakeclock *fc)
{
	return fc->n;
}

/* Fires the earliest timer if it is due at or before limit. */
static bool fire_one(struct fakeclock *fc, uint64_t limit)
{
	struct fake_timer *t;

	if (!fc->n || fc->heap[0]->deadline > limit)
		return false;
	t = fc->heap[0];
	if (t->deadline > fc->now)
		fc->now = t->deadline;
	heap_remove(fc, t);
	fc->fired++;
	t->cb(t->arg);
	return true;
}

void fakeclock_advance(struct fakeclock *fc, uint64_t us)
{
	uint64_t end = fc->now + us;

	while (fire_one(fc, end))
		;
	fc->now = end;
}

bool fakeclock_run_next(struct fakeclock *fc)
{
	uint64_t d = fakeclock_next_deadline(fc);

	if (d == UINT64_MAX)
		return false;
	while (fire_one(fc, d))
		;
	return true;
}
