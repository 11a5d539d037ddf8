/* VDP station machine against a scripted bridge: requests the bridge
 * refuses (with and without Keep, hard error) and its own De-Associates. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/station_env.h"

static void test_error_without_keep_then_again(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	struct vsi *v;
	size_t before;

	assert_int_equal(request(e, 4, VDP_MODE_ASSOC, 100), 0);
	ack_last(e);
	respond(e, 4, VDP_STATUS_RESPONSE | VDP_R_INSUFFICIENT_RESOURCES);
	v = find(e, 4);
	assert_int_equal(last_ev(e), VDP_EV_FAILED);
	assert_int_equal(v->state, VDP_ST_END);
	assert_int_equal(v->reason, VDP_END_REJECTED);
	assert_int_equal(v->status & VDP_STATUS_REASON, VDP_R_INSUFFICIENT_RESOURCES);
	assert_false(v->flags & VSI_F_HARD);
	assert_int_equal(fakeclock_armed(&e->fc), 0);
	/* Ended VSIs can be requested again (lldpad: -ENODEV forever). */
	assert_int_equal(request(e, 4, VDP_MODE_DEASSOC, 100), -ENOENT);
	before = n_ecpdus(e);
	assert_int_equal(request(e, 4, VDP_MODE_ASSOC, 100), 0);
	assert_int_equal(n_ecpdus(e), before + 1);
	ack_last(e);
	respond(e, 4, VDP_STATUS_RESPONSE);
	assert_int_equal(last_ev(e), VDP_EV_ASSOCIATED);
	senv_free(e);
}

static void test_error_with_keep(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	struct vsi *v;

	associate(e, 5, VDP_MODE_ASSOC);
	v = find(e, 5);
	/* A changed request (other VID) refused with keep: still associated. */
	assert_int_equal(request(e, 5, VDP_MODE_ASSOC, 101), 0);
	ack_last(e);
	assert_int_equal(e->st.cnt.requests_refused, 0);
	respond(e, 5, VDP_STATUS_RESPONSE | VDP_STATUS_KEEP | VDP_R_OTHER_FAILURE);
	assert_int_equal(last_ev(e), VDP_EV_KEPT);
	/* The bridge's refusal counts, Keep or not. */
	assert_int_equal(e->st.cnt.requests_refused, 1);
	assert_int_equal(v->state, VDP_ST_WAIT_SYSCMD);
	assert_int_equal(v->mode_cur, VDP_MODE_ASSOC);
	assert_int_equal(v->mode_req, VDP_MODE_ASSOC);
	assert_true(fakeclock_armed(&e->fc) >= 1);
	/* Keep without a confirmed state: nothing to keep, the VSI ends. */
	assert_int_equal(request(e, 6, VDP_MODE_PREASSOC, 100), 0);
	ack_last(e);
	respond(e, 6, VDP_STATUS_RESPONSE | VDP_STATUS_KEEP | VDP_R_OTHER_FAILURE);
	assert_int_equal(last_ev(e), VDP_EV_FAILED);
	assert_int_equal(e->st.cnt.requests_refused, 2);
	assert_int_equal(find(e, 6)->state, VDP_ST_END);
	senv_free(e);
}

/* A change refused with Keep (41.2.4): the station returns to the request
 * the bridge confirmed (type, filters, MAC/VID index) and its keep-alives
 * carry that, not the refused change. */
static void test_keep_returns_to_confirmed(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	struct vdp_request r;
	struct vsi *v;
	uint8_t mac[6];
	const uint8_t keep = VDP_STATUS_RESPONSE | VDP_STATUS_KEEP | VDP_R_INSUFFICIENT_RESOURCES;

	vdp_station_set_params(&e->st, 3, 8, 20, 14);
	tf_mac(60, mac);
	associate(e, 60, VDP_MODE_ASSOC); /* VID 100, version 4 */
	v = find(e, 60);
	r = mkreq(60, VDP_MODE_ASSOC, 101);
	r.type_version = 5;
	assert_int_equal(vdp_station_request(&e->st, &r), 0);
	assert_int_equal(echo(e, 60, 0).f[0].ps_pcp_vid, 101);
	assert_int_equal(last(e)->tlvs[0].assoc.type_version, 5);
	ack_last(e);
	respond(e, 60, keep);
	assert_int_equal(last_ev(e), VDP_EV_KEPT);
	assert_int_equal(v->mode_cur, VDP_MODE_ASSOC);
	assert_int_equal(v->type_version, 4);
	assert_int_equal(vdp_vid(v->filters[0].f.ps_pcp_vid), 100);
	assert_ptr_equal(vdp_station_find_mac(&e->st, mac, 100), v);
	assert_null(vdp_station_find_mac(&e->st, mac, 101));
	assert_null(v->saved);
	/* The next keep-alive is the confirmed request. */
	fakeclock_advance(&e->fc, vdp_station_keepalive_us(&e->st));
	assert_int_equal(v->state, VDP_ST_TXMIT_KAWAIT);
	assert_int_equal(last(e)->tlvs[0].assoc.type_version, 4);
	assert_int_equal(echo(e, 60, 0).f[0].ps_pcp_vid, 100);
	ack_last(e);
	respond(e, 60, VDP_STATUS_RESPONSE);
	assert_int_equal(last_ev(e), VDP_EV_KEEPALIVE_OK);

	/* A change (102) confirmed while a newer one (103) waited: the
	 * bridge holds 102, so a Keep refusal of 103 returns to 102. */
	assert_int_equal(request(e, 60, VDP_MODE_ASSOC, 102), 0);
	assert_int_equal(request(e, 60, VDP_MODE_ASSOC, 103), 0);
	ack_last(e);
	respond(e, 60, VDP_STATUS_RESPONSE); /* answers 102 */
	assert_int_equal(echo(e, 60, 0).f[0].ps_pcp_vid, 103);
	ack_last(e);
	respond(e, 60, keep);
	assert_int_equal(last_ev(e), VDP_EV_KEPT);
	assert_int_equal(vdp_vid(v->filters[0].f.ps_pcp_vid), 102);
	assert_ptr_equal(vdp_station_find_mac(&e->st, mac, 102), v);
	assert_null(vdp_station_find_mac(&e->st, mac, 103));

	/* Two refused changes in a row (104 in flight, 105 waiting): back
	 * to 102 after both. */
	assert_int_equal(request(e, 60, VDP_MODE_ASSOC, 104), 0);
	assert_int_equal(request(e, 60, VDP_MODE_ASSOC, 105), 0);
	ack_last(e);
	respond(e, 60, keep); /* answers 104 */
	assert_int_equal(echo(e, 60, 0).f[0].ps_pcp_vid, 105);
	ack_last(e);
	respond(e, 60, keep);
	assert_int_equal(vdp_vid(v->filters[0].f.ps_pcp_vid), 102);
	assert_int_equal(v->mode_cur, VDP_MODE_ASSOC);

	/* Refused without Keep: the VSI ends (and holds no saved copy). */
	assert_int_equal(request(e, 60, VDP_MODE_ASSOC, 106), 0);
	ack_last(e);
	respond(e, 60, VDP_STATUS_RESPONSE | VDP_R_INSUFFICIENT_RESOURCES);
	assert_int_equal(last_ev(e), VDP_EV_FAILED);
	assert_int_equal(v->state, VDP_ST_END);
	assert_null(v->saved);
	senv_free(e);
}

static void test_hard_error(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	struct vsi *v;

	assert_int_equal(request(e, 9, VDP_MODE_PREASSOC, 100), 0);
	ack_last(e);
	respond(e, 9, 0x52);
	v = find(e, 9);
	assert_int_equal(last_ev(e), VDP_EV_FAILED);
	assert_true(v->flags & VSI_F_HARD);
	assert_int_equal(v->status, 0x52);
	assert_int_equal(v->reason, VDP_END_REJECTED);
	senv_free(e);
}

static void test_bridge_deassoc(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	struct tf_tlv t;
	struct vsi *v;

	associate(e, 10, VDP_MODE_ASSOC);
	v = find(e, 10);
	t = echo(e, 10, 0);
	t.type = VDP_TLV_DEASSOC; /* request bit 0: unsolicited */
	inject(e, &t, 1);
	assert_int_equal(last_ev(e), VDP_EV_BRIDGE_DEASSOC);
	assert_int_equal(v->state, VDP_ST_END);
	assert_int_equal(v->reason, VDP_END_BRIDGE_DEASSOC);
	assert_int_equal(e->st.cnt.bridge_deassoc, 1);
	assert_int_equal(fakeclock_armed(&e->fc), 0);
	/* Again: nothing left to end, counted as unknown. */
	inject(e, &t, 1);
	assert_int_equal(e->st.cnt.bridge_deassoc, 1);
	assert_int_equal(e->st.cnt.resp_unknown, 1);
	senv_free(e);
}

/* Our own De-Associate is out and the bridge sends an unsolicited
 * De-Associate instead of answering it (lldpad's bridge answers a station
 * De-Associate as a keep-alive and drops the VSI later): the VSI is
 * de-associated as asked, not failed. */
static void test_bridge_deassoc_completes_ours(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	struct tf_tlv t;
	struct vsi *v;

	associate(e, 11, VDP_MODE_ASSOC);
	v = find(e, 11);
	t = echo(e, 11, 0);
	assert_int_equal(request(e, 11, VDP_MODE_DEASSOC, 100), 0);
	ack_last(e);
	t.type = VDP_TLV_DEASSOC; /* request bit 0: unsolicited */
	inject(e, &t, 1);
	assert_int_equal(last_ev(e), VDP_EV_DEASSOCIATED);
	assert_int_equal(v->state, VDP_ST_END);
	assert_int_equal(v->reason, VDP_END_DEASSOCIATED);
	assert_int_equal(fakeclock_armed(&e->fc), 0);
	senv_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_without_keep_then_again),
		cmocka_unit_test(test_error_with_keep),
		cmocka_unit_test(test_keep_returns_to_confirmed),
		cmocka_unit_test(test_hard_error),
		cmocka_unit_test(test_bridge_deassoc),
		cmocka_unit_test(test_bridge_deassoc_completes_ours),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
