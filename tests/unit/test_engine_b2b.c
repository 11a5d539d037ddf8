/* Station and bridge engines back to back (tests/unit/b2b.c) for 1000
 * VSIs: association with packing, keep-alives over several periods,
 * bridge restart, de-association. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thousand_vsis),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
