/* Clock and one-shot timers behind a small interface, so the protocol
 * engines (ECP, VDP station/bridge, LLDP agent) never touch the event loop:
 * the daemons plug in libevent (vdp/io/vclock_event.c), the unit tests and the
 * benchmark a fake clock they advance by hand (tests/unit/fakeclock.h).
 *
 * Time is a monotonic count of microseconds (802.1Qbg timers are all
 * "10 us x 2^exp").  A timer is created once per owner (one per VSI, one per
 * ECP port ...) and re-armed as often as needed; arming an armed timer moves
 * its deadline.  Callbacks run from the loop, never from inside timer_arm(),
 * and may arm, cancel or free any timer, including their own. */
#ifndef VDP_VCLOCK_H
#define VDP_VCLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct vclock;
struct vtimer;

typedef void (*vtimer_cb)(void *arg);

struct vclock_ops {
	uint64_t (*now_us)(struct vclock *c);
	/* NULL on allocation failure. */
	struct vtimer *(*timer_new)(struct vclock *c, vtimer_cb cb, void *arg);
	/* (Re)arms: fires once, delay_us from now. */
	void (*timer_arm)(struct vclock *c, struct vtimer *t, uint64_t delay_us);
	void (*timer_cancel)(struct vclock *c, struct vtimer *t);
	/* Cancels and frees; NULL is allowed. */
	void (*timer_free)(struct vclock *c, struct vtimer *t);
	bool (*timer_pending)(struct vclock *c, const struct vtimer *t);
};

struct vclock {
	const struct vclock_ops *ops;
	void *priv;		/* the implementation's state */
};

static inline uint64_t vclock_now(struct vclock *c)
{
	return c->ops->now_us(c);
}

static inline struct vtimer *vtimer_new(struct vclock *c, vtimer_cb cb, void *arg)
{
	return c->ops->timer_new(c, cb, arg);
}

static inline void vtimer_arm(struct vclock *c, struct vtimer *t, uint64_t delay_us)
{
	c->ops->timer_arm(c, t, delay_us);
}

static inline void vtimer_cancel(struct vclock *c, struct vtimer *t)
{
	c->ops->timer_cancel(c, t);
}

static inline void vtimer_free(struct vclock *c, struct vtimer *t)
{
	if (t)
		c->ops->timer_free(c, t);
}

static inline bool vtimer_pending(struct vclock *c, const struct vtimer *t)
{
	return c->ops->timer_pending(c, t);
}

/* 802.1Qbg timer unit: 10 us x 2^exp (clause 41/43, EVB TLV exponents). */
static inline uint64_t vdp_exp_us(uint8_t exp)
{
	return 10ULL << (exp & 31);
}

#endif
