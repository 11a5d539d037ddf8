/* VDP station machine (802.1Qbg-2012 41.5.5) against a scripted bridge:
 * requests, their answers and how a response is matched to its VSI. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/station_env.h"

static void test_assoc_success(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	struct tf_ecp *d;
	struct vsi *v;

	assert_int_equal(request(e, 1, VDP_MODE_ASSOC, 100), 0);
	d = last(e);
	assert_int_equal(d->pdu.n_tlvs, 1);
	assert_int_equal(d->tlvs[0].type, VDP_TLV_ASSOC);
	assert_int_equal(d->tlvs[0].assoc.status, 0);
	assert_int_equal(d->tlvs[0].assoc.type_id, 5);
	v = find(e, 1);
	assert_non_null(v);
	assert_int_equal(v->state, VDP_ST_STATION_PROCWAIT);
	ack_last(e);
	respond(e, 1, VDP_STATUS_RESPONSE);
	assert_int_equal(e->nev, 1);
	assert_int_equal(last_ev(e), VDP_EV_ASSOCIATED);
	assert_ptr_equal(e->evv[0], v);
	assert_int_equal(v->state, VDP_ST_WAIT_SYSCMD);
	assert_int_equal(v->mode_cur, VDP_MODE_ASSOC);
	assert_int_equal(e->st.cnt.responses, 1);
	/* The station acked the bridge's ECPDU. */
	assert_int_equal(e->ecp.cnt.tx_acks, 1);
	assert_ptr_equal(vdp_station_find_mac(&e->st, filt[0].mac, 100), v);
	senv_free(e);
}

static void test_preassoc_then_assoc(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	struct vsi *v;

	associate(e, 7, VDP_MODE_PREASSOC);
	v = find(e, 7);
	assert_int_equal(last_ev(e), VDP_EV_PREASSOCIATED);
	assert_int_equal(v->mode_cur, VDP_MODE_PREASSOC);
	associate(e, 7, VDP_MODE_ASSOC);
	assert_int_equal(last(e)->tlvs[0].type, VDP_TLV_ASSOC);
	assert_int_equal(last_ev(e), VDP_EV_ASSOCIATED);
	assert_int_equal(v->mode_cur, VDP_MODE_ASSOC);
	/* 41.5.5: no way back from assoc to pre-assoc. */
	assert_int_equal(request(e, 7, VDP_MODE_PREASSOC, 100), -EINVAL);
	assert_int_equal(request(e, 7, VDP_MODE_PREASSOC_RR, 100), -EINVAL);
	assert_int_equal(e->st.cnt.requests_refused, 2);
	/* Nothing else to de-associate. */
	assert_int_equal(request(e, 8, VDP_MODE_DEASSOC, 100), -ENOENT);
	senv_free(e);
}

static void test_out_of_order_unknown_stale(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	struct tf_tlv t[4];

	/* The first request leaves at once, B and C together after its ack. */
	assert_int_equal(request(e, 1, VDP_MODE_ASSOC, 100), 0);
	assert_int_equal(request(e, 2, VDP_MODE_ASSOC, 100), 0);
	assert_int_equal(request(e, 3, VDP_MODE_ASSOC, 100), 0);
	t[1] = echo(e, 1, VDP_STATUS_RESPONSE);
	assert_int_equal(n_ecpdus(e), 1);
	ack_last(e);
	assert_int_equal(n_ecpdus(e), 2);
	assert_int_equal(last(e)->pdu.n_tlvs, 2);
	t[0] = echo(e, 3, VDP_STATUS_RESPONSE);
	t[3] = echo(e, 2, VDP_STATUS_RESPONSE);
	t[2] = t[0];
	tf_vsiid(999, t[2].vsiid);
	ack_last(e);
	/* C, A, unknown, B in one ECPDU. */
	inject(e, t, 4);
	assert_int_equal(e->nev, 3);
	assert_int_equal(find(e, 1)->mode_cur, VDP_MODE_ASSOC);
	assert_int_equal(find(e, 2)->mode_cur, VDP_MODE_ASSOC);
	assert_int_equal(find(e, 3)->mode_cur, VDP_MODE_ASSOC);
	assert_ptr_equal(e->evv[0], find(e, 3));
	assert_int_equal(e->st.cnt.resp_unknown, 1);
	/* A repeated response: nobody waits for it. */
	inject(e, &t[1], 1);
	assert_int_equal(e->st.cnt.resp_stale, 1);
	assert_int_equal(e->nev, 3);
	/* A response whose type differs from the request is not ours. */
	assert_int_equal(request(e, 1, VDP_MODE_ASSOC, 100), 0);
	ack_last(e);
	t[1] = echo(e, 1, VDP_STATUS_RESPONSE);
	t[1].type_id = 6;
	inject(e, &t[1], 1);
	assert_int_equal(e->st.cnt.resp_mismatch, 1);
	assert_int_equal(find(e, 1)->state, VDP_ST_STATION_PROCWAIT);
	senv_free(e);
}

static void test_packing(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	const uint32_t n = 300;
	size_t tlv = vdp_assoc_wire_size(VDP_FILTER_MAC_VID, 1);
	size_t per = (ecp_max_ulpdu(&e->ecp) - (2 + VDP_MGRID_LEN)) / tlv;
	size_t expect, sent = 0, ecpdus = 0;

	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(request(e, i, VDP_MODE_ASSOC, 100), 0);
	/* The first request found ECP idle and left alone; the rest packed. */
	expect = 1 + (n - 1 + per - 1) / per;
	while (sent < n) {
		struct tf_ecp *d = last(e);
		ecpdus++;
		sent += d->pdu.n_tlvs;
		assert_true(d->pdu.n_tlvs == 1 || d->pdu.n_tlvs == per || sent == n);
		ack_last(e);
	}
	assert_int_equal(sent, n);
	assert_int_equal(ecpdus, expect);
	assert_int_equal(e->st.cnt.ecpdu_tx, expect);
	assert_int_equal(e->st.cnt.tlv_tx, n);
	print_message("packing: %u VSIs, %zu TLVs of %zu octets per ECPDU, %zu ECPDUs\n",
		      n, per, tlv, ecpdus);
	senv_free(e);
}

static void test_deassoc(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	struct vsi *v;

	associate(e, 20, VDP_MODE_ASSOC);
	v = find(e, 20);
	assert_int_equal(request(e, 20, VDP_MODE_DEASSOC, 100), 0);
	assert_int_equal(last(e)->tlvs[0].type, VDP_TLV_DEASSOC);
	assert_int_equal(v->state, VDP_ST_TXMIT_DEAWAIT);
	ack_last(e);
	respond(e, 20, VDP_STATUS_RESPONSE);
	assert_int_equal(last_ev(e), VDP_EV_DEASSOCIATED);
	assert_int_equal(v->state, VDP_ST_END);
	assert_int_equal(v->reason, VDP_END_DEASSOCIATED);
	vdp_station_forget(&e->st, v);
	assert_null(find(e, 20));
	assert_int_equal(vdp_station_count(&e->st), 0);
	senv_free(e);
}

static void test_vid0_adopted(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	struct tf_tlv t;
	struct vsi *v;
	uint8_t mac[6];

	assert_int_equal(request(e, 30, VDP_MODE_ASSOC, 0), 0);
	ack_last(e);
	t = echo(e, 30, VDP_STATUS_RESPONSE);
	assert_int_equal(vdp_vid(t.f[0].ps_pcp_vid), 0);
	t.f[0].ps_pcp_vid = 200;
	inject(e, &t, 1);
	v = find(e, 30);
	assert_int_equal(e->ev[0], VDP_EV_VID_ASSIGNED);
	assert_int_equal(last_ev(e), VDP_EV_ASSOCIATED);
	assert_int_equal(vdp_vid(v->filters[0].f.ps_pcp_vid), 200);
	tf_mac(30, mac);
	assert_ptr_equal(vdp_station_find_mac(&e->st, mac, 200), v);
	assert_null(vdp_station_find_mac(&e->st, mac, 0));
	senv_free(e);
}

static void test_request_while_in_flight(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	size_t before;

	assert_int_equal(request(e, 40, VDP_MODE_PREASSOC, 100), 0);
	ack_last(e);
	before = n_ecpdus(e);
	/* Accepted (lldpad: -EBUSY) and sent after the pending response. */
	assert_int_equal(request(e, 40, VDP_MODE_ASSOC, 100), 0);
	assert_int_equal(n_ecpdus(e), before);
	respond(e, 40, VDP_STATUS_RESPONSE);
	assert_int_equal(last_ev(e), VDP_EV_PREASSOCIATED);
	assert_int_equal(n_ecpdus(e), before + 1);
	assert_int_equal(last(e)->tlvs[0].type, VDP_TLV_ASSOC);
	ack_last(e);
	respond(e, 40, VDP_STATUS_RESPONSE);
	assert_int_equal(last_ev(e), VDP_EV_ASSOCIATED);
	senv_free(e);
}

static void test_more_filters_regrow(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	struct vdp_filter f3[3] = { 0 };
	struct vdp_request r = mkreq(50, VDP_MODE_ASSOC, 100);
	struct vsi *v;

	assert_int_equal(vdp_station_request(&e->st, &r), 0);
	for (int i = 0; i < 3; i++) {
		tf_mac(500 + i, f3[i].mac);
		f3[i].ps_pcp_vid = 10;
	}
	r.filters = f3;
	r.n_filters = 3;
	assert_int_equal(vdp_station_request(&e->st, &r), 0);
	v = find(e, 50);
	assert_int_equal(v->n_filters, 3);
	assert_ptr_equal(vdp_station_find_mac(&e->st, f3[2].mac, 10), v);
	tf_mac(50, f3[0].mac);
	assert_null(vdp_station_find_mac(&e->st, f3[0].mac, 100));
	ack_last(e);
	/* The answer to the first request (1 filter) arrives: it is taken
	 * as superseded and the new request (3 filters) goes out at once. */
	respond(e, 50, VDP_STATUS_RESPONSE);
	assert_int_equal(e->st.cnt.resp_mismatch, 0);
	assert_int_equal(e->nev, 0);
	assert_int_equal(last(e)->pdu.n_tlvs, 1);
	assert_int_equal(last(e)->tlvs[0].assoc.n_filters, 3);
	assert_int_equal(v->mode_cur, VDP_MODE_ASSOC);
	ack_last(e);
	respond(e, 50, VDP_STATUS_RESPONSE);
	assert_int_equal(last_ev(e), VDP_EV_ASSOCIATED);
	assert_int_equal(v->state, VDP_ST_WAIT_SYSCMD);
	/* Without a newer request, a mismatching answer is ignored. */
	assert_int_equal(request(e, 51, VDP_MODE_ASSOC, 100), 0);
	ack_last(e);
	{
		struct tf_tlv t = echo(e, 51, VDP_STATUS_RESPONSE);
		t.type_version = 9;
		inject(e, &t, 1);
	}
	assert_int_equal(e->st.cnt.resp_mismatch, 1);
	assert_int_equal(find(e, 51)->state, VDP_ST_STATION_PROCWAIT);
	senv_free(e);
}

static void test_invalid(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	struct vdp_request r = mkreq(1, 0, 100);

	assert_int_equal(vdp_station_request(&e->st, &r), -EINVAL);
	r = mkreq(1, VDP_MODE_ASSOC, 100);
	r.vsiid_fmt = 9;
	assert_int_equal(vdp_station_request(&e->st, &r), -EINVAL);
	r = mkreq(1, VDP_MODE_ASSOC, 100);
	r.n_filters = 0;
	assert_int_equal(vdp_station_request(&e->st, &r), -EINVAL);
	r = mkreq(1, VDP_MODE_ASSOC, 100);
	r.hints = 0x01;
	assert_int_equal(vdp_station_request(&e->st, &r), -EINVAL);
	assert_int_equal(vdp_station_count(&e->st), 0);
	senv_free(e);
}

/* The answer to a replaced request may carry more filters than the VSI
 * has room for (the keys differ, so it is taken as superseded): it must
 * not become the record a Keep refusal of the newer request returns to
 * (vsi_rec_restore() copies into the VSI's own filter room).  Without
 * that record, the refusal keeps the newer request. */
static void test_superseded_more_filters_keep(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	struct tf_tlv t;
	struct vsi *v;

	associate(e, 80, VDP_MODE_ASSOC);
	v = find(e, 80);
	assert_int_equal(v->cap_filters, 1);
	assert_int_equal(request(e, 80, VDP_MODE_ASSOC, 101), 0);
	assert_int_equal(request(e, 80, VDP_MODE_ASSOC, 102), 0);	/* waits */
	ack_last(e);
	t = echo(e, 80, VDP_STATUS_RESPONSE);			/* answers 101 */
	t.n = 3;
	for (uint16_t j = 1; j < 3; j++) {
		tf_mac(800 + j, t.f[j].mac);
		t.f[j].ps_pcp_vid = 101;
	}
	inject(e, &t, 1);
	assert_int_equal(e->st.cnt.responses, 2);
	assert_int_equal(echo(e, 80, 0).f[0].ps_pcp_vid, 102);	/* 102 sent */
	assert_null(v->saved);
	ack_last(e);
	respond(e, 80, VDP_STATUS_RESPONSE | VDP_STATUS_KEEP | VDP_R_INSUFFICIENT_RESOURCES);
	assert_int_equal(last_ev(e), VDP_EV_KEPT);
	assert_int_equal(v->state, VDP_ST_WAIT_SYSCMD);
	assert_int_equal(v->n_filters, 1);
	assert_int_equal(vdp_vid(v->filters[0].f.ps_pcp_vid), 102);
	senv_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_assoc_success),
		cmocka_unit_test(test_preassoc_then_assoc),
		cmocka_unit_test(test_out_of_order_unknown_stale),
		cmocka_unit_test(test_packing),
		cmocka_unit_test(test_deassoc),
		cmocka_unit_test(test_vid0_adopted),
		cmocka_unit_test(test_request_while_in_flight),
		cmocka_unit_test(test_more_filters_regrow),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_superseded_more_filters_keep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
