/* Station and bridge engines back to back (tests/unit/b2b.c) for 1000
 * VSIs: association with packing, keep-alives over several periods,
 * bridge restart, de-association. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/b2b.h"

#define N 1000

static void test_thousand_vsis(void **state)
{
	(void)state;
	struct b2b *b = calloc(1, sizeof(*b));
	size_t per, expect, ka_ecpdus;
	uint64_t ka, t0;
	uint8_t id[16], mac[6];

	assert_int_equal(b2b_init(b), 0);
	/* This test counts one keep-alive per VSI and period in a window of
	 * 3.5 periods, so it runs without the spread (which sends up to a
	 * quarter sooner); the spread has its own test below. */
	vdp_station_set_ka_spread(&b->st, 0);
	/* Half the VSIs let the bridge choose the VID. */
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(b2b_request(b, i, VDP_MODE_ASSOC, i % 2 ? 0 : 10), 0);
	t0 = b->fc.now;
	b2b_pump(b);
	/* No timer was needed: ECP is paced by acks. */
	assert_int_equal(b->fc.now, t0);
	assert_int_equal(b->st_events[VDP_EV_ASSOCIATED], N);
	assert_int_equal(b->st_events[VDP_EV_VID_ASSIGNED], N / 2);
	assert_int_equal(b->st_events[VDP_EV_FAILED], 0);
	assert_int_equal(vdp_bridge_count(&b->br), N);
	assert_int_equal(b->n_admit, N);
	per = (ecp_max_ulpdu(&b->s_ecp) - 18) / vdp_assoc_wire_size(VDP_FILTER_MAC_VID, 1);
	expect = 1 + (N - 1 + per - 1) / per;
	assert_int_equal(b->st.cnt.ecpdu_tx, expect);
	assert_int_equal(b->st.cnt.tlv_tx, N);
	assert_int_equal(b->br.cnt.tlv_tx, N);
	assert_true(b->br.cnt.ecpdu_tx <= expect + 1);
	assert_int_equal(b->s_ecp.cnt.tx_retrans + b->b_ecp.cnt.tx_retrans, 0);
	for (uint32_t i = 0; i < N; i++) {
		struct vsi *sv, *bv;
		b2b_vsiid(i, id);
		b2b_mac(i, mac);
		sv = vdp_station_find(&b->st, VDP_VSIID_UUID, id);
		bv = vdp_bridge_find(&b->br, VDP_VSIID_UUID, id);
		assert_non_null(sv);
		assert_non_null(bv);
		assert_int_equal(sv->state, VDP_ST_WAIT_SYSCMD);
		assert_int_equal(bv->mode_cur, VDP_MODE_ASSOC);
		assert_ptr_equal(vdp_station_find_mac(&b->st, mac, i % 2 ? 100 : 10), sv);
		assert_ptr_equal(vdp_bridge_find_mac(&b->br, mac, i % 2 ? 100 : 10), bv);
	}

	/* Three keep-alive periods: every VSI sends one per period, packed,
	 * the bridge never times one out. */
	ka = vdp_station_keepalive_us(&b->st);
	b2b_run_for(b, 3 * ka + ka / 2);
	assert_int_equal(b->st.cnt.ka_tx, 3 * N);
	assert_int_equal(b->br.cnt.keepalives, 3 * N);
	assert_int_equal(b->st_events[VDP_EV_KEEPALIVE_OK], 3 * N);
	assert_int_equal(b->br.cnt.timeouts, 0);
	assert_int_equal(b->st.cnt.timeouts, 0);
	assert_int_equal(b->n_admit, N);
	ka_ecpdus = b->st.cnt.ecpdu_tx - expect;
	assert_true(ka_ecpdus <= 3 * (expect + 1));
	print_message("b2b: %d VSIs associated in %zu ECPDUs; %zu ECPDUs for %d keep-alives\n",
		      N, expect, ka_ecpdus, 3 * N);

	/* Bridge restart: it forgot everything; the station re-sends. */
	vdp_bridge_flush(&b->br);
	vdp_station_reassociate_all(&b->st);
	b2b_pump(b);
	assert_int_equal(vdp_bridge_count(&b->br), N);
	assert_int_equal(b->n_admit, 2 * N);

	/* De-associate everything. */
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(b2b_request(b, i, VDP_MODE_DEASSOC, 0), 0);
	b2b_pump(b);
	assert_int_equal(b->st_events[VDP_EV_DEASSOCIATED], N);
	assert_int_equal(vdp_bridge_count(&b->br), 0);
	assert_int_equal(b->br.cnt.station_deassoc, N);
	/* Nothing left to time out. */
	b2b_run_for(b, 60000000);
	assert_int_equal(b->br.cnt.bridge_deassoc, 0);
	assert_int_equal(b->st_events[VDP_EV_FAILED], 0);
	assert_int_equal(fakeclock_armed(&b->fc), 0);
	/* Every transition on both sides was in the 41.5.5 / 41.5.6 tables. */
	assert_int_equal(b->st.cnt.illegal_transitions, 0);
	assert_int_equal(b->br.cnt.illegal_transitions, 0);
	b2b_destroy(b);
	free(b);
}

/* Keep-alive spread over several periods, with answers: per VSI, the time
 * of its last answer (WAIT_SYSCMD entered) and of its keep-alive. */
static struct {
	uint64_t answer[N];
	uint64_t p, span;
	uint64_t sent; /* keep-alives seen */
	uint64_t last_at, run, max_run; /* same-instant keep-alives */
	uint64_t instants; /* distinct instants keep-alives fell due at */
	bool late, early;
	struct fakeclock *fc;
} ks;

static uint32_t vsi_index(const struct vsi *v)
{
	return (uint32_t)v->vsiid[12] << 24 | (uint32_t)v->vsiid[13] << 16 |
		(uint32_t)v->vsiid[14] << 8 | v->vsiid[15];
}

static void ks_transition(void *ctx, const struct vsi *v, uint8_t from, uint8_t to)
{
	uint64_t now = ks.fc->now;
	uint32_t i = vsi_index(v);

	(void)ctx;
	assert_true(i < N);
	if (to == VDP_ST_WAIT_SYSCMD) {
		ks.answer[i] = now;
		return;
	}
	if (from != VDP_ST_WAIT_SYSCMD || to != VDP_ST_TXMIT_KA)
		return;
	ks.sent++;
	/* Never later than reinitKeepAlive after the answer; not sooner than
	 * the spread. */
	if (now - ks.answer[i] > ks.p)
		ks.late = true;
	if (now - ks.answer[i] < ks.p - ks.span)
		ks.early = true;
	ks.instants += now != ks.last_at;
	ks.run = now == ks.last_at ? ks.run + 1 : 1;
	ks.last_at = now;
	if (ks.run > ks.max_run)
		ks.max_run = ks.run;
}

/* 1000 VSIs associated at one instant (25 ECPDUs, answered at once: no
 * round-trip time here): their keep-alives leave as one wave without the
 * spread; with it, the answers of each ECPDU together at one of the steps
 * (so still packed), each within [reinitKeepAlive - spread,
 * reinitKeepAlive] of its answer, every one answered (no bridge timeout),
 * round after round. */
static void test_keepalive_spread(void **state)
{
	(void)state;
	struct b2b *b = calloc(1, sizeof(*b));
	uint64_t worst = 0, fewest = UINT64_MAX, first = 0, most_ecpdus = 0, e0;

	assert_int_equal(b2b_init(b), 0);
	memset(&ks, 0, sizeof(ks));
	ks.fc = &b->fc;
	ks.p = vdp_station_keepalive_us(&b->st);
	ks.span = ks.p * VDP_KA_SPREAD_PCT / 100;
	b->st.on_transition = ks_transition;
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(b2b_request(b, i, VDP_MODE_ASSOC, 10), 0);
	b2b_pump(b);
	assert_int_equal(b->st_events[VDP_EV_ASSOCIATED], N);
	for (int k = 1; k <= 8; k++) {
		ks.max_run = 0;
		ks.instants = 0;
		e0 = b->st.cnt.ecpdu_tx;
		/* one keep-alive of every VSI: they come at most
		 * up to span sooner per period */
		while (ks.sent < (uint64_t)k * N) {
			b2b_pump(b);
			assert_true(fakeclock_run_next(&b->fc));
		}
		b2b_pump(b);
		print_message("spread: round %d: %" PRIu64 " instants, largest group %" PRIu64
			      " of %d keep-alives, %" PRIu64 " ECPDUs\n",
			      k, ks.instants, ks.max_run, N, b->st.cnt.ecpdu_tx - e0);
		if (ks.max_run > worst)
			worst = ks.max_run;
		if (ks.instants < fewest)
			fewest = ks.instants;
		if (k == 1)
			first = ks.instants;
		if (b->st.cnt.ecpdu_tx - e0 > most_ecpdus)
			most_ecpdus = b->st.cnt.ecpdu_tx - e0;
	}
	assert_false(ks.late);
	assert_false(ks.early);
	/* The wave split at once and keeps spreading: in every round at least
	 * 8 instants, none with a quarter of the wave, more instants in the
	 * last round than in the first (the steps come from a counter: the
	 * same figures each run). */
	assert_true(fewest >= 8);
	assert_true(worst < N / 4);
	assert_true(ks.instants > first);
	/* ... at no cost in ECPDUs: the answers of one ECPDU share a step,
	 * and keep-alives due at one instant leave together, so a round
	 * takes no more ECPDUs than the association did (25). */
	assert_true(most_ecpdus <= 25);
	assert_int_equal(b->st_events[VDP_EV_KEEPALIVE_OK], ks.sent);
	assert_int_equal(b->br.cnt.timeouts, 0);
	assert_int_equal(b->st.cnt.timeouts, 0);
	assert_int_equal(b->st.cnt.illegal_transitions, 0);
	b2b_destroy(b);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thousand_vsis),
		cmocka_unit_test(test_keepalive_spread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
