/* Station and bridge engines back to back in memory: two ECP ports whose
 * frames are queued and delivered to the other side by b2b_pump(), one
 * fake clock.  Used by test_engine_b2b and tests/bench/bench_engine. */
#ifndef TESTS_B2B_H
#define TESTS_B2B_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/unit/fakeclock.h"
#include "vdp/engine/vdp_bridge.h"
#include "vdp/engine/vdp_station.h"

struct b2b_frame {
	uint8_t to_bridge;
	uint16_t len;
	uint8_t buf[ECP_FRAME_MAX];
};

struct b2b {
	struct fakeclock fc;
	struct ecp s_ecp, b_ecp;
	struct vdp_station st;
	struct vdp_bridge br;
	/* frames on the wire, in order */
	struct b2b_frame *q;
	size_t q_head, q_n, q_cap;
	uint64_t frames_to_bridge, frames_to_station;
	uint64_t st_events[8];	/* by enum vdp_event */
	uint64_t br_events[8];	/* by enum vdp_bridge_event */
	uint64_t n_admit;
	uint16_t type_vlan;	/* VID given for VID 0 */
	uint8_t admit_status;
};

extern const uint8_t b2b_mgrid[16];

/* Returns 0; the engines start with default EVB values. */
int b2b_init(struct b2b *b);
void b2b_destroy(struct b2b *b);
void b2b_set_params(struct b2b *b, uint8_t r, uint8_t rte, uint8_t rwd, uint8_t rka);
/* Delivers queued frames until none is left; returns how many. */
size_t b2b_pump(struct b2b *b);
/* Runs timers and the wire until the clock reaches now + us. */
void b2b_run_for(struct b2b *b, uint64_t us);
/* A request for VSI i (UUID VSIID and MAC derived from i, one MAC/VID filter). */
int b2b_request(struct b2b *b, uint32_t i, uint8_t mode, uint16_t vid);
void b2b_vsiid(uint32_t i, uint8_t out[16]);
void b2b_mac(uint32_t i, uint8_t out[6]);

#endif
