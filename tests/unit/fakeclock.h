/* A fake vclock for unit tests and benchmarks: time moves only when the test
 * says so; due timers fire in deadline order (ties in arming order), each
 * seeing now == its deadline. */
#ifndef TESTS_FAKECLOCK_H
#define TESTS_FAKECLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdp/base/vclock.h"

struct fakeclock {
	struct vclock vc;
	uint64_t now;
	uint64_t arm_seq;
	struct fake_timer **heap;
	size_t n, cap;
	uint64_t fired;
};

void fakeclock_init(struct fakeclock *fc, uint64_t start_us);
void fakeclock_destroy(struct fakeclock *fc);	/* all timers must be freed first */
static inline struct vclock *fakeclock_vclock(struct fakeclock *fc) { return &fc->vc; }
/* Advances time by us, firing every timer due up to the new time. */
void fakeclock_advance(struct fakeclock *fc, uint64_t us);
/* Jumps to the earliest deadline and fires what is due then; false if no
 * timer is armed. */
bool fakeclock_run_next(struct fakeclock *fc);
/* Earliest deadline, or UINT64_MAX. */
uint64_t fakeclock_next_deadline(const struct fakeclock *fc);
size_t fakeclock_armed(const struct fakeclock *fc);

#endif
