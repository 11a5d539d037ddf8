/* See backoff.h. */
#include "vdp/base/backoff.h"

uint64_t backoff_us(uint64_t base_us, uint64_t max_us, uint32_t n)
{
	uint64_t d = base_us ? base_us : 1;

	for (uint32_t i = 1; i < n && d < max_us; i++)
		d *= 2;
	return d < max_us ? d : max_us;
}

uint64_t backoff_seed(uint64_t seed)
{
	return seed ? seed : 0x9E3779B97F4A7C15ULL;
}

static uint64_t rng_next(uint64_t *rng)
{
	/* xorshift64*: jitter only, no secrecy */
	*rng ^= *rng >> 12;
	*rng ^= *rng << 25;
	*rng ^= *rng >> 27;
	return *rng * 0x2545F4914F6CDD1DULL;
}

uint64_t backoff_jitter(uint64_t *rng, uint64_t d)
{
	return d / 2 + rng_next(rng) % (d / 2 + 1);
}
