/* The libevent implementation of vdp/base/vclock.h: CLOCK_MONOTONIC and one
 * struct event per vtimer.  Durations that recur (the keep-alive and
 * resource-wait periods of thousands of VSIs) are turned into libevent
 * common timeouts, which keeps them in a FIFO instead of the heap: O(1)
 * arming instead of O(log n). */
#ifndef VDP_VCLOCK_EVENT_H
#define VDP_VCLOCK_EVENT_H

#include "vdp/base/vclock.h"

struct event_base;

/* An event base fit for 802.1Qbg timers: EVENT_BASE_FLAG_PRECISE_TIMER,
 * because libevent otherwise reads CLOCK_MONOTONIC_COARSE (4 ms steps on
 * many kernels) and an ackTimer of 2.56 ms (RTE 8) would fire early or
 * late by more than its own length.  Both daemons create their base here. */
struct event_base *vclock_event_base_new(void);

/* NULL on allocation failure.  The clock must outlive its timers. */
struct vclock *vclock_event_new(struct event_base *base);
void vclock_event_free(struct vclock *c);
/* Number of durations currently served by common timeouts (for tests and
 * the debug dump). */
unsigned int vclock_event_common_count(const struct vclock *c);

#endif
