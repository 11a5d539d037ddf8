/* VDP bridge machine (802.1Qbg-2012 41.5.6) against a scripted station
 * (fixture: vdp_bridge_fx.h): admission, Keep, keep-alives, De-Associates,
 * packing.  The state table: test_vdp_bridge_sm.c. */
#include "tests/unit/vdp_bridge_fx.h"

static void test_admit_vid0_replaced(void **state)
{
	(void)state;
	struct benv *e = benv_new();
	struct tf_ecp *d;
	struct vdp_filter f;
	uint8_t mac[6];

	send1(e, 1, VDP_TLV_ASSOC, VDP_PS | (3 << VDP_PCP_SHIFT));	/* VID 0, PCP 3 */
	assert_int_equal(e->n_admit, 1);
	d = last(e);
	assert_int_equal(d->pdu.n_tlvs, 1);
	assert_int_equal(d->tlvs[0].type, VDP_TLV_ASSOC);
	assert_int_equal(d->tlvs[0].assoc.status, VDP_STATUS_RESPONSE);
	vdp_filter_get(&d->tlvs[0].assoc, 0, &f);
	assert_int_equal(vdp_vid(f.ps_pcp_vid), 100);
	assert_int_equal(vdp_pcp(f.ps_pcp_vid), 3);
	tf_mac(1, mac);
	assert_ptr_equal(vdp_bridge_find_mac(&e->br, mac, 100), find(e, 1));
	assert_int_equal(find(e, 1)->mode_cur, VDP_MODE_ASSOC);
	assert_int_equal(find(e, 1)->state, VDP_BR_WAITCMD);
	assert_int_equal(e->ev[0], VDP_BR_EV_ADMITTED);
	ack_last(e);
	assert_int_equal(e->br.cnt.admitted, 1);
	benv_free(e);
}

static void test_refuse_reasons(void **state)
{
	(void)state;
	struct benv *e = benv_new();
	struct tf_ecp *d;

	/* Plain error: De-Associate with the reason, VSI gone. */
	e->admit_status = VDP_R_INSUFFICIENT_RESOURCES;
	send1(e, 2, VDP_TLV_ASSOC, 10);
	d = last(e);
	assert_int_equal(d->tlvs[0].type, VDP_TLV_DEASSOC);
	assert_int_equal(d->tlvs[0].assoc.status, 0x42);
	assert_null(find(e, 2));
	assert_int_equal(vdp_bridge_count(&e->br), 0);
	ack_last(e);
	/* Hard error. */
	e->admit_status = VDP_STATUS_HARD | VDP_R_INVALID_VID_GROUP_MAC;
	send1(e, 3, VDP_TLV_PREASSOC, 10);
	assert_int_equal(last(e)->tlvs[0].assoc.status, 0x55);
	ack_last(e);
	/* Keep on an existing association: stays associated. */
	e->admit_status = 0;
	send1(e, 4, VDP_TLV_ASSOC, 10);
	ack_last(e);
	e->admit_status = VDP_STATUS_KEEP | VDP_R_OTHER_FAILURE;
	send1(e, 4, VDP_TLV_ASSOC, 11);		/* changed filter -> PROCESS */
	d = last(e);
	assert_int_equal(d->tlvs[0].type, VDP_TLV_ASSOC);
	assert_int_equal(d->tlvs[0].assoc.status, 0x64);
	assert_non_null(find(e, 4));
	assert_int_equal(find(e, 4)->mode_cur, VDP_MODE_ASSOC);
	assert_int_equal(find(e, 4)->state, VDP_BR_WAITCMD);
	ack_last(e);
	/* Keep without anything to keep: answered, then gone. */
	send1(e, 5, VDP_TLV_ASSOC, 11);
	assert_int_equal(last(e)->tlvs[0].assoc.status & 0x6F, 0x64);
	assert_null(find(e, 5));
	assert_int_equal(e->br.cnt.refused, 4);
	benv_free(e);
}

/* A change refused with Keep (41.2.4, 41.5.6 KEEP): the reply echoes the
 * refused request, the record goes back to the confirmed one (type,
 * version, filters, MAC/VID index) and a keep-alive of the confirmed
 * request is ALIVE, not a new decision. */
static void test_keep_restores_confirmed(void **state)
{
	(void)state;
	struct benv *e = benv_new();
	const uint8_t keep = VDP_STATUS_KEEP | VDP_R_INSUFFICIENT_RESOURCES;
	struct tf_tlv t = mk(20, VDP_TLV_ASSOC, 11);
	struct vdp_filter f;
	struct vsi *v;
	uint8_t mac[6], mac2[6];

	tf_mac(20, mac);
	tf_mac(2000, mac2);
	send_tlvs(e, &t, 1);
	ack_last(e);
	v = find(e, 20);
	e->admit_status = keep;
	t.f[0].ps_pcp_vid = 12;
	t.type_version = 5;
	send_tlvs(e, &t, 1);
	assert_int_equal(last(e)->tlvs[0].assoc.status, VDP_STATUS_RESPONSE | keep);
	assert_int_equal(last(e)->tlvs[0].assoc.type_version, 5);	/* echo */
	vdp_filter_get(&last(e)->tlvs[0].assoc, 0, &f);
	assert_int_equal(vdp_vid(f.ps_pcp_vid), 12);
	assert_ptr_equal(find(e, 20), v);
	assert_int_equal(v->state, VDP_BR_WAITCMD);
	assert_int_equal(v->mode_cur, VDP_MODE_ASSOC);
	assert_int_equal(v->type_version, 4);
	assert_int_equal(vdp_vid(v->filters[0].f.ps_pcp_vid), 11);
	assert_ptr_equal(vdp_bridge_find_mac(&e->br, mac, 11), v);
	assert_null(vdp_bridge_find_mac(&e->br, mac, 12));
	assert_null(v->saved);
	ack_last(e);
	/* The confirmed request again: a keep-alive, no new decision. */
	e->admit_status = 0;
	send1(e, 20, VDP_TLV_ASSOC, 11);
	assert_int_equal(e->n_admit, 2);
	assert_int_equal(e->br.cnt.keepalives, 1);
	assert_int_equal(last(e)->tlvs[0].assoc.status, VDP_STATUS_RESPONSE);

	/* More filters (the record is re-allocated), refused with Keep while
	 * ECP still carries the previous reply: restored once it leaves. */
	e->admit_status = keep;
	t = mk(20, VDP_TLV_ASSOC, 11);
	t.n = 2;
	memcpy(t.f[1].mac, mac2, 6);
	t.f[1].ps_pcp_vid = 13;
	send_tlvs(e, &t, 1);
	v = find(e, 20);
	assert_int_equal(v->state, VDP_BR_KEEP);	/* reply waits for ECP */
	ack_last(e);
	assert_int_equal(last(e)->tlvs[0].assoc.n_filters, 2);
	assert_int_equal(last(e)->tlvs[0].assoc.status, VDP_STATUS_RESPONSE | keep);
	assert_int_equal(v->state, VDP_BR_WAITCMD);
	assert_int_equal(v->n_filters, 1);
	assert_ptr_equal(vdp_bridge_find_mac(&e->br, mac, 11), v);
	assert_null(vdp_bridge_find_mac(&e->br, mac2, 13));
	ack_last(e);

	/* No VSI-manager answer within resourceWaitDelay: kept, restored. */
	vdp_bridge_set_params(&e->br, 3, 8, 10, 20);
	e->admit_rc = VDP_ADMIT_DEFER;
	send1(e, 20, VDP_TLV_ASSOC, 14);
	assert_int_equal(v->state, VDP_BR_PROCESS);
	fakeclock_advance(&e->fc, vdp_bridge_resource_wait_us(&e->br));
	assert_int_equal(last(e)->tlvs[0].assoc.status,
			 VDP_STATUS_RESPONSE | VDP_STATUS_KEEP | VDP_R_UNABLE_TO_CONTACT_MANAGER);
	vdp_filter_get(&last(e)->tlvs[0].assoc, 0, &f);
	assert_int_equal(vdp_vid(f.ps_pcp_vid), 14);
	assert_int_equal(vdp_vid(v->filters[0].f.ps_pcp_vid), 11);
	assert_null(vdp_bridge_find_mac(&e->br, mac, 14));
	ack_last(e);

	/* Refused without Keep: the VSI ends. */
	e->admit_rc = 0;
	e->admit_status = VDP_R_INSUFFICIENT_RESOURCES;
	send1(e, 20, VDP_TLV_ASSOC, 15);
	assert_int_equal(last(e)->tlvs[0].type, VDP_TLV_DEASSOC);
	assert_null(find(e, 20));
	assert_null(vdp_bridge_find_mac(&e->br, mac, 11));
	benv_free(e);
}

static void test_keepalive_alive(void **state)
{
	(void)state;
	struct benv *e = benv_new();

	send1(e, 6, VDP_TLV_ASSOC, 0);	/* VID chosen by the bridge */
	ack_last(e);
	/* Keep-alive with the assigned VID, then one with VID 0 again. */
	send1(e, 6, VDP_TLV_ASSOC, 100);
	assert_int_equal(last(e)->tlvs[0].assoc.status, VDP_STATUS_RESPONSE);
	ack_last(e);
	send1(e, 6, VDP_TLV_ASSOC, 0);
	ack_last(e);
	assert_int_equal(e->n_admit, 1);	/* lldpad asks again each time */
	assert_int_equal(e->br.cnt.keepalives, 2);
	/* A mode change is a new decision. */
	send1(e, 6, VDP_TLV_PREASSOC, 100);
	assert_int_equal(e->n_admit, 2);
	assert_int_equal(find(e, 6)->mode_cur, VDP_MODE_PREASSOC);
	benv_free(e);
}

static void test_keepalive_timeout(void **state)
{
	(void)state;
	struct benv *e = benv_new();
	uint64_t to;
	struct tf_ecp *d;
	size_t before;

	vdp_bridge_set_params(&e->br, 3, 8, 20, 14);
	/* 1.5 x (10 us x 2^14 + 7 x 10 us x 2^8) */
	to = 3 * ((10ULL << 14) + 7 * (10ULL << 8)) / 2;
	assert_int_equal(vdp_bridge_keepalive_timeout_us(&e->br), to);
	assert_int_equal(to, 272640);
	send1(e, 7, VDP_TLV_ASSOC, 10);
	ack_last(e);
	fakeclock_advance(&e->fc, to / 2);
	send1(e, 7, VDP_TLV_ASSOC, 10);	/* keep-alive restarts the timeout */
	ack_last(e);
	before = n_ecpdus(e);
	fakeclock_advance(&e->fc, to - 1);
	assert_int_equal(n_ecpdus(e), before);
	fakeclock_advance(&e->fc, 1);
	assert_int_equal(n_ecpdus(e), before + 1);
	d = last(e);
	assert_int_equal(d->tlvs[0].type, VDP_TLV_DEASSOC);
	assert_int_equal(d->tlvs[0].assoc.status, 0);	/* unsolicited: request */
	assert_null(find(e, 7));
	assert_int_equal(e->br.cnt.timeouts, 1);
	assert_int_equal(e->br.cnt.bridge_deassoc, 1);
	assert_int_equal(e->ev[e->nev - 1], VDP_BR_EV_REMOVED);
	assert_int_equal(e->ev[e->nev - 2], VDP_BR_EV_TIMEOUT);
	ack_last(e);
	benv_free(e);
}

/* resourceWaitDelay (41.5.6: 10 us x 2^RWD) to the microsecond: a deferred
 * new VSI is De-Associated exactly then, not one tick sooner. */
static void test_resource_wait_timing(void **state)
{
	(void)state;
	struct benv *e = benv_new();
	uint64_t rw;
	size_t before;

	vdp_bridge_set_params(&e->br, 3, 8, 16, 20);
	rw = 10ULL << 16;
	assert_int_equal(vdp_bridge_resource_wait_us(&e->br), rw);
	e->admit_rc = VDP_ADMIT_DEFER;
	send1(e, 5, VDP_TLV_ASSOC, 10);
	before = n_ecpdus(e);
	fakeclock_advance(&e->fc, rw - 1);
	assert_int_equal(n_ecpdus(e), before);
	assert_int_equal(find(e, 5)->state, VDP_BR_PROCESS);
	fakeclock_advance(&e->fc, 1);
	assert_int_equal(n_ecpdus(e), before + 1);
	assert_int_equal(last(e)->tlvs[0].type, VDP_TLV_DEASSOC);
	assert_null(find(e, 5));
	assert_int_equal(e->br.cnt.resource_timeouts, 1);
	ack_last(e);
	benv_free(e);
}

static void test_station_deassoc_removes(void **state)
{
	(void)state;
	struct benv *e = benv_new();
	struct tf_ecp *d;
	size_t before;

	send1(e, 8, VDP_TLV_ASSOC, 10);
	ack_last(e);
	send1(e, 8, VDP_TLV_DEASSOC, 10);
	d = last(e);
	assert_int_equal(d->tlvs[0].type, VDP_TLV_DEASSOC);
	assert_int_equal(d->tlvs[0].assoc.status, VDP_STATUS_RESPONSE);
	assert_null(find(e, 8));
	assert_int_equal(e->br.cnt.station_deassoc, 1);
	ack_last(e);
	/* Nothing lingers: no unsolicited De-Associate later (lldpad bug). */
	before = n_ecpdus(e);
	fakeclock_advance(&e->fc, 60000000);
	assert_int_equal(n_ecpdus(e), before);
	/* De-Associate of an unknown VSI: success, nothing to release. */
	send1(e, 9, VDP_TLV_DEASSOC, 10);
	assert_int_equal(last(e)->tlvs[0].assoc.status, VDP_STATUS_RESPONSE);
	assert_int_equal(vdp_bridge_count(&e->br), 0);
	assert_int_equal(e->br.cnt.station_deassoc, 1);
	benv_free(e);
}

static void test_deferred_admit(void **state)
{
	(void)state;
	struct benv *e = benv_new();
	struct vdp_filter f = { 0 };
	size_t before;

	vdp_bridge_set_params(&e->br, 3, 8, 10, 20);
	assert_int_equal(vdp_bridge_resource_wait_us(&e->br), 10240);
	e->admit_rc = VDP_ADMIT_DEFER;
	send1(e, 10, VDP_TLV_ASSOC, 10);
	assert_int_equal(n_ecpdus(e), 0);
	assert_int_equal(find(e, 10)->state, VDP_BR_PROCESS);
	/* Repeats while deciding are not decided twice. */
	send1(e, 10, VDP_TLV_ASSOC, 10);
	assert_int_equal(e->n_admit, 1);
	tf_mac(10, f.mac);
	f.ps_pcp_vid = 10;
	assert_int_equal(vdp_bridge_admit_done(&e->br, e->deferred, 0, &f, 1), 0);
	assert_int_equal(last(e)->tlvs[0].assoc.status, VDP_STATUS_RESPONSE);
	ack_last(e);
	assert_int_equal(vdp_bridge_admit_done(&e->br, e->deferred, 0, &f, 1), -ENOENT);
	/* No answer within resourceWaitDelay: a new VSI is de-associated. */
	send1(e, 11, VDP_TLV_ASSOC, 10);
	before = n_ecpdus(e);
	fakeclock_advance(&e->fc, 10239);
	assert_int_equal(n_ecpdus(e), before);
	fakeclock_advance(&e->fc, 1);
	assert_int_equal(last(e)->tlvs[0].type, VDP_TLV_DEASSOC);
	assert_int_equal(last(e)->tlvs[0].assoc.status, 0);
	assert_null(find(e, 11));
	assert_int_equal(e->br.cnt.resource_timeouts, 1);
	ack_last(e);
	/* ... an association is kept. */
	send1(e, 10, VDP_TLV_ASSOC, 12);
	fakeclock_advance(&e->fc, 10240);
	assert_int_equal(last(e)->tlvs[0].assoc.status,
			 VDP_STATUS_RESPONSE | VDP_STATUS_KEEP | VDP_R_UNABLE_TO_CONTACT_MANAGER);
	assert_int_equal(find(e, 10)->mode_cur, VDP_MODE_ASSOC);
	benv_free(e);
}

static void test_bridge_deassoc_api(void **state)
{
	(void)state;
	struct benv *e = benv_new();

	send1(e, 12, VDP_TLV_ASSOC, 10);
	ack_last(e);
	assert_int_equal(vdp_bridge_deassoc(&e->br, find(e, 12)), 0);
	assert_int_equal(last(e)->tlvs[0].type, VDP_TLV_DEASSOC);
	assert_int_equal(last(e)->tlvs[0].assoc.status, 0);
	assert_null(find(e, 12));
	benv_free(e);
}

static void test_replies_packed(void **state)
{
	(void)state;
	struct benv *e = benv_new();
	struct tf_tlv t[40];

	for (uint32_t i = 0; i < 40; i++)
		t[i] = mk(100 + i, VDP_TLV_ASSOC, 10);
	send_tlvs(e, t, 40);
	assert_int_equal(n_ecpdus(e), 1);
	assert_int_equal(last(e)->pdu.n_tlvs, 40);
	assert_int_equal(vdp_bridge_count(&e->br), 40);
	assert_int_equal(e->br.cnt.tlv_tx, 40);
	/* Flush (restart) forgets everything, sends nothing. */
	ack_last(e);
	vdp_bridge_flush(&e->br);
	assert_int_equal(vdp_bridge_count(&e->br), 0);
	assert_int_equal(n_ecpdus(e), 1);
	benv_free(e);
}

static void test_more_filters_keeps_user(void **state)
{
	(void)state;
	struct benv *e = benv_new();
	struct tf_tlv t = mk(13, VDP_TLV_ASSOC, 10);
	static int marker;

	send_tlvs(e, &t, 1);
	ack_last(e);
	find(e, 13)->user = &marker;
	t.n = 3;
	tf_mac(1300, t.f[1].mac);
	tf_mac(1301, t.f[2].mac);
	t.f[1].ps_pcp_vid = t.f[2].ps_pcp_vid = 10;
	send_tlvs(e, &t, 1);
	assert_int_equal(e->n_admit, 2);
	assert_ptr_equal(find(e, 13)->user, &marker);
	assert_int_equal(find(e, 13)->n_filters, 3);
	assert_ptr_equal(vdp_bridge_find_mac(&e->br, t.f[2].mac, 10), find(e, 13));
	assert_int_equal(last(e)->tlvs[0].assoc.n_filters, 3);
	assert_int_equal(vdp_bridge_count(&e->br), 1);
	find(e, 13)->user = NULL;
	benv_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_admit_vid0_replaced),
		cmocka_unit_test(test_refuse_reasons),
		cmocka_unit_test(test_keep_restores_confirmed),
		cmocka_unit_test(test_keepalive_alive),
		cmocka_unit_test(test_keepalive_timeout),
		cmocka_unit_test(test_resource_wait_timing),
		cmocka_unit_test(test_station_deassoc_removes),
		cmocka_unit_test(test_deferred_admit),
		cmocka_unit_test(test_bridge_deassoc_api),
		cmocka_unit_test(test_replies_packed),
		cmocka_unit_test(test_more_filters_keeps_user),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
