/* Capped exponential backoff with jitter: one computation for everything
 * vdpd asks again on its own, the reconciler of 802.1Qbg VSIs
 * (vdp/daemon/reconcile.c) and the 802.1Qbh backend (vdp/io/qbh.c), so
 * both wait the same way and vdpd.conf's retry_max_ms caps both. */
#ifndef VDP_BACKOFF_H
#define VDP_BACKOFF_H

#include <stdint.h>

/* The n-th retry's delay (n >= 1) before jitter: min(max, base x 2^(n-1));
 * a base of 0 counts as 1 us. */
uint64_t backoff_us(uint64_t base_us, uint64_t max_us, uint32_t n);
/* Uniform in [d/2, d], drawn from *rng (xorshift64*, never 0): retries of
 * VSIs that failed together spread out instead of coming back as a wave. */
uint64_t backoff_jitter(uint64_t *rng, uint64_t d);
/* A generator state from seed (0 is replaced by a fixed odd constant). */
uint64_t backoff_seed(uint64_t seed);

#endif
