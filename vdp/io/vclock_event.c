/* libevent-backed vclock.  See vclock_event.h. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "vdp/io/vclock_event.h"

/* A duration becomes a common timeout once it has been armed this many
 * times; rare durations (ECP retransmissions, backoffs) stay in the heap.
 * libevent allows at most 256 common timeouts per base; we use few. */
#define VCE_PROMOTE_AFTER 16
#define VCE_MAX_COMMON 32
#define VCE_CANDIDATES 64

struct vce_common {
	uint64_t us;
	const struct timeval *tv;	/* libevent's magic common-timeout value */
};

struct vce_candidate {
	uint64_t us;
	unsigned int hits;
};

struct vce {
	struct vclock clock;
	struct event_base *base;
	unsigned int n_common;
	struct vce_common common[VCE_MAX_COMMON];
	struct vce_candidate cand[VCE_CANDIDATES];
};

struct vtimer {
	struct event *ev;
	vtimer_cb cb;
	void *arg;
};

static struct vce *vce_of(struct vclock *c)
{
	return c->priv;
}

static uint64_t vce_now_us(struct vclock *c)
{
	struct timespec ts;

	(void)c;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void vce_fire(evutil_socket_t fd, short what, void *arg)
{
	struct vtimer *t = arg;

	(void)fd;
	(void)what;
	/* The callback may free t: touch nothing after it. */
	t->cb(t->arg);
}

static struct vtimer *vce_timer_new(struct vclock *c, vtimer_cb cb, void *arg)
{
	struct vtimer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cb = cb;
	t->arg = arg;
	t->ev = evtimer_new(vce_of(c)->base, vce_fire, t);
	if (!t->ev) {
		free(t);
		return NULL;
	}
	return t;
}

/* The common-timeout timeval for us, registering it when it has recurred
 * often enough; NULL means "use an ordinary timeout". */
static const struct timeval *vce_common_tv(struct vce *v, uint64_t us)
{
	struct vce_candidate *slot = NULL, *least = &v->cand[0];

	for (unsigned int i = 0; i < v->n_common; i++)
		if (v->common[i].us == us)
			return v->common[i].tv;
	if (v->n_common == VCE_MAX_COMMON || us == 0)
		return NULL;
	for (unsigned int i = 0; i < VCE_CANDIDATES; i++) {
		if (v->cand[i].hits && v->cand[i].us == us) {
			slot = &v->cand[i];
			break;
		}
		if (v->cand[i].hits < least->hits)
			least = &v->cand[i];
	}
	if (!slot) {
		/* Replace the least used candidate: a burst of distinct
		 * durations cannot pin the table. */
		least->us = us;
		least->hits = 0;
		slot = least;
	}
	if (++slot->hits < VCE_PROMOTE_AFTER)
		return NULL;
	struct timeval tv = { .tv_sec = (time_t)(us / 1000000u), .tv_usec = (suseconds_t)(us % 1000000u) };
	const struct timeval *ctv = event_base_init_common_timeout(v->base, &tv);

	slot->hits = 0;
	slot->us = 0;
	if (!ctv)
		return NULL;
	v->common[v->n_common].us = us;
	v->common[v->n_common].tv = ctv;
	v->n_common++;
	return ctv;
}

static void vce_timer_arm(struct vclock *c, struct vtimer *t, uint64_t delay_us)
{
	struct vce *v = vce_of(c);
	const struct timeval *ctv = vce_common_tv(v, delay_us);
	struct timeval tv;

	if (ctv) {
		/* A common timeout is a FIFO per duration; re-arming moves
		 * the timer to the tail, which is exactly its new place. */
		evtimer_add(t->ev, ctv);
		return;
	}
	tv.tv_sec = (time_t)(delay_us / 1000000u);
	tv.tv_usec = (suseconds_t)(delay_us % 1000000u);
	evtimer_add(t->ev, &tv);
}

static void vce_timer_cancel(struct vclock *c, struct vtimer *t)
{
	(void)c;
	evtimer_del(t->ev);
}

static void vce_timer_free(struct vclock *c, struct vtimer *t)
{
	(void)c;
	event_free(t->ev);
	free(t);
}

static bool vce_timer_pending(struct vclock *c, const struct vtimer *t)
{
	(void)c;
	return evtimer_pending(t->ev, NULL) != 0;
}

static const struct vclock_ops vce_ops = {
	.now_us = vce_now_us,
	.timer_new = vce_timer_new,
	.timer_arm = vce_timer_arm,
	.timer_cancel = vce_timer_cancel,
	.timer_free = vce_timer_free,
	.timer_pending = vce_timer_pending,
};

struct event_base *vclock_event_base_new(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	if (!cfg)
		return NULL;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

struct vclock *vclock_event_new(struct event_base *base)
{
	struct vce *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->base = base;
	v->clock.ops = &vce_ops;
	v->clock.priv = v;
	return &v->clock;
}

void vclock_event_free(struct vclock *c)
{
	if (c)
		free(vce_of(c));
}

unsigned int vclock_event_common_count(const struct vclock *c)
{
	return ((const struct vce *)c->priv)->n_common;
}
