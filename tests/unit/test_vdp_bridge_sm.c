/* VDP bridge machine (fixture: vdp_bridge_fx.h): every transition against
 * the 41.5.6 state table, an illegal transition, the step cap. */
#include "tests/unit/vdp_bridge_fx.h"

/* ---- transition table (802.1Qbg-2012 41.5.6 as vdp_bridge.c implements
 * it): the scenarios drive the machine through its public calls only
 * (station frames, admit answers, the fake clock, vdp_bridge_deassoc) and
 * ops->transition records every state change. */

#define B(x) VDP_BR_##x
static const struct sm_row br_rows[] = {
	{ B(INIT), B(PROCESS), "new VSI requested" },
	{ B(INIT), B(DEASSOC), "De-Associate of an unknown VSI" },
	{ B(PROCESS), B(SEND), "admitted" },
	{ B(PROCESS), B(KEEP), "change refused with Keep; resourceWaitDelay of an association" },
	{ B(PROCESS), B(DEASSOC), "refused; station De-Associate while deciding" },
	{ B(PROCESS), B(DEASSOCIATED), "resourceWaitDelay expired; vdp_bridge_deassoc()" },
	{ B(SEND), B(WAITCMD), "success reply queued" },
	{ B(WAITCMD), B(ALIVE), "keep-alive" },
	{ B(WAITCMD), B(PROCESS), "changed request" },
	{ B(WAITCMD), B(DEASSOC), "station De-Associate" },
	{ B(WAITCMD), B(DEASSOCIATED), "toutKeepAlive expired; vdp_bridge_deassoc()" },
	{ B(ALIVE), B(WAITCMD), "keep-alive answered" },
	{ B(KEEP), B(WAITCMD), "Keep reply handed to ECP" },
	{ B(KEEP), B(DEASSOC), "station De-Associate before the Keep reply left" },
	{ B(KEEP), B(DEASSOCIATED), "vdp_bridge_deassoc() before the Keep reply left" },
	{ B(DEASSOC), B(END), "reply handed to ECP" },
	{ B(DEASSOC), B(PROCESS), "request before the reply left" },
	{ B(DEASSOC), B(DEASSOC), "De-Associate again before the reply left" },
	{ B(DEASSOCIATED), B(END), "De-Associate handed to ECP" },
	{ B(DEASSOCIATED), B(PROCESS), "request before our De-Associate left" },
	{ B(DEASSOCIATED), B(DEASSOC), "station De-Associate before ours left" },
};

static void assert_bstate(struct benv *e, uint32_t i, enum vdp_bridge_state s)
{
	struct vsi *v = find(e, i);

	assert_non_null(v);
	if (v->state != s)
		fail_msg("VSI %u in %s, expected %s", i, vdp_bridge_state_name(v->state),
			 vdp_bridge_state_name(s));
}

/* One VSI after the other, ECP idle each time. */
static void bscen_idle(void)
{
	struct benv *e = benv_new();

	vdp_bridge_set_params(&e->br, 3, 8, 10, 14);
	send1(e, 1, VDP_TLV_ASSOC, 10);
	assert_bstate(e, 1, B(WAITCMD));
	ack_last(e);
	send1(e, 1, VDP_TLV_ASSOC, 10); /* keep-alive */
	assert_int_equal(e->br.cnt.keepalives, 1);
	ack_last(e);
	send1(e, 1, VDP_TLV_ASSOC, 11); /* change */
	assert_int_equal(e->n_admit, 2);
	ack_last(e);
	send1(e, 1, VDP_TLV_DEASSOC, 11);
	assert_null(find(e, 1));
	ack_last(e);
	send1(e, 2, VDP_TLV_DEASSOC, 10); /* unknown */
	assert_null(find(e, 2));
	ack_last(e);
	e->admit_status = VDP_R_INSUFFICIENT_RESOURCES;
	send1(e, 3, VDP_TLV_ASSOC, 10); /* refused */
	assert_null(find(e, 3));
	ack_last(e);
	e->admit_status = 0;
	send1(e, 4, VDP_TLV_ASSOC, 10);
	ack_last(e);
	e->admit_status = VDP_STATUS_KEEP | VDP_R_OTHER_FAILURE;
	send1(e, 4, VDP_TLV_ASSOC, 11); /* Keep, reply leaves at once */
	assert_bstate(e, 4, B(WAITCMD));
	ack_last(e);
	e->admit_status = 0;
	fakeclock_advance(&e->fc, vdp_bridge_keepalive_timeout_us(&e->br));
	assert_null(find(e, 4)); /* toutKeepAlive */
	assert_int_equal(e->br.cnt.timeouts, 1);
	ack_last(e);
	send1(e, 9, VDP_TLV_ASSOC, 10);
	ack_last(e);
	assert_int_equal(vdp_bridge_deassoc(&e->br, find(e, 9)), 0);
	assert_null(find(e, 9));
	ack_last(e);
	benv_free(e);
}

/* Deferred admits: resourceWaitDelay for a new VSI and for an association,
 * a station De-Associate and vdp_bridge_deassoc() while deciding. */
static void bscen_deferred(void)
{
	struct benv *e = benv_new();

	vdp_bridge_set_params(&e->br, 3, 8, 10, 20);
	send1(e, 6, VDP_TLV_ASSOC, 10);
	ack_last(e);
	e->admit_rc = VDP_ADMIT_DEFER;
	send1(e, 5, VDP_TLV_ASSOC, 10);
	assert_bstate(e, 5, B(PROCESS));
	fakeclock_advance(&e->fc, vdp_bridge_resource_wait_us(&e->br));
	assert_null(find(e, 5));
	ack_last(e);
	send1(e, 6, VDP_TLV_ASSOC, 12);
	assert_bstate(e, 6, B(PROCESS));
	fakeclock_advance(&e->fc, vdp_bridge_resource_wait_us(&e->br));
	assert_bstate(e, 6, B(WAITCMD)); /* kept */
	ack_last(e);
	send1(e, 7, VDP_TLV_ASSOC, 10);
	send1(e, 7, VDP_TLV_DEASSOC, 10);
	assert_null(find(e, 7));
	ack_last(e);
	send1(e, 8, VDP_TLV_ASSOC, 10);
	assert_int_equal(vdp_bridge_deassoc(&e->br, find(e, 8)), 0);
	assert_null(find(e, 8));
	ack_last(e);
	benv_free(e);
}

/* Replies waiting behind an ECPDU in flight. */
static void bscen_busy(void)
{
	struct benv *e = benv_new();

	for (uint32_t i = 22; i < 26; i++) {
		send1(e, i, VDP_TLV_ASSOC, 10);
		ack_last(e);
	}
	send1(e, 20, VDP_TLV_ASSOC, 10); /* its reply keeps ECP busy */
	e->admit_status = VDP_STATUS_KEEP | VDP_R_OTHER_FAILURE;
	send1(e, 22, VDP_TLV_ASSOC, 11);
	assert_bstate(e, 22, B(KEEP));
	send1(e, 22, VDP_TLV_DEASSOC, 11);
	assert_bstate(e, 22, B(DEASSOC));
	send1(e, 22, VDP_TLV_DEASSOC, 11);
	assert_bstate(e, 22, B(DEASSOC));
	e->admit_status = 0;
	send1(e, 22, VDP_TLV_ASSOC, 10);
	assert_bstate(e, 22, B(WAITCMD));
	e->admit_status = VDP_STATUS_KEEP | VDP_R_OTHER_FAILURE;
	send1(e, 23, VDP_TLV_ASSOC, 11);
	assert_bstate(e, 23, B(KEEP));
	assert_int_equal(vdp_bridge_deassoc(&e->br, find(e, 23)), 0);
	assert_bstate(e, 23, B(DEASSOCIATED));
	e->admit_status = 0;
	send1(e, 23, VDP_TLV_ASSOC, 10);
	assert_bstate(e, 23, B(WAITCMD));
	assert_int_equal(vdp_bridge_deassoc(&e->br, find(e, 24)), 0);
	send1(e, 24, VDP_TLV_DEASSOC, 10);
	assert_bstate(e, 24, B(DEASSOC));
	assert_int_equal(vdp_bridge_deassoc(&e->br, find(e, 25)), 0);
	assert_bstate(e, 25, B(DEASSOCIATED));
	while (e->br.pending.head || !ecp_tx_idle(&e->ecp))
		ack_last(e);
	assert_null(find(e, 24));
	assert_null(find(e, 25));
	assert_bstate(e, 22, B(WAITCMD));
	assert_bstate(e, 23, B(WAITCMD));
	benv_free(e);
}

static void test_transition_table(void **state)
{
	static const struct sm_spec m = { "bridge", NBR, vdp_bridge_transition_legal,
					  vdp_bridge_state_name };

	(void)state;

	memset(bseen, 0, sizeof(bseen));
	bscen_idle();
	bscen_deferred();
	bscen_busy();

	sm_check_table(&m, br_rows, sizeof(br_rows) / sizeof(br_rows[0]), &bseen[0][0]);
	assert_false(vdp_bridge_transition_legal(NBR, B(INIT)));
	assert_false(vdp_bridge_transition_legal(B(WAITCMD), NBR));
}

/* An illegal transition: logged with VSIID and state names, counted, the
 * VSI de-associated as on a keep-alive timeout (unsolicited De-Associate,
 * removed). */
static void test_illegal_transition(void **state)
{
	(void)state;
	struct benv *e = benv_new();
	char id[VDP_TXT_VSIID_LEN], log[2048], want[128];
	struct logcap c;
	struct vsi *v;
	bool ok;

	send1(e, 30, VDP_TLV_ASSOC, 10);
	ack_last(e);
	v = find(e, 30);
	assert_int_equal(v->state, B(WAITCMD));
	vdp_txt_vsiid_format(v->vsiid_fmt, v->vsiid, id);
	e->nev = 0;
	logcap_begin(&c);
	ok = vdp_bridge_enter(&e->br, v, B(SEND));
	logcap_end(&c, log, sizeof(log));
	assert_false(ok);
	assert_int_equal(e->br.cnt.illegal_transitions, 1);
	assert_int_equal(v->state, B(DEASSOCIATED));
	assert_int_equal(v->mode_cur, VDP_MODE_NONE);
	assert_int_equal(fakeclock_armed(&e->fc), 0);
	assert_int_equal(e->nev, 1);
	assert_int_equal(e->ev[0], VDP_BR_EV_DEASSOC_SENT);
	snprintf(want, sizeof(want), "VSI %s: illegal bridge transition WAITCMD -> SEND", id);
	if (!strstr(log, want))
		fail_msg("log lacks \"%s\": %s", want, log);
	vdp_bridge_kick(&e->br);
	assert_int_equal(last(e)->tlvs[0].type, VDP_TLV_DEASSOC);
	assert_int_equal(last(e)->tlvs[0].assoc.status, 0); /* unsolicited */
	assert_null(find(e, 30));
	assert_int_equal(e->ev[e->nev - 1], VDP_BR_EV_REMOVED);
	assert_int_equal(e->br.cnt.bridge_deassoc, 1);
	ack_last(e);

	/* Out of range (memory corruption): same reset. */
	send1(e, 31, VDP_TLV_ASSOC, 10);
	ack_last(e);
	v = find(e, 31);
	v->state = 99;
	logcap_begin(&c);
	ok = vdp_bridge_enter(&e->br, v, B(ALIVE));
	logcap_end(&c, log, sizeof(log));
	assert_false(ok);
	assert_non_null(strstr(log, "illegal bridge transition ? -> ALIVE"));
	vdp_bridge_kick(&e->br);
	assert_null(find(e, 31));
	assert_int_equal(e->br.cnt.illegal_transitions, 2);
	e->expect_illegal = 2;
	benv_free(e);
}
/* The driver steps a VSI's machine until it is stable, at most
 * br.step_cap steps.  The longest legal run (a changed request admitted at
 * once while a Keep reply still waits: WAITCMD, PROCESS, SEND, WAITCMD)
 * fits 4; a run that needs more is a bug, handled like an illegal
 * transition: logged, counted, the VSI de-associated. */
static void test_step_cap(void **state)
{
	(void)state;
	struct benv *e = benv_new();
	char id[VDP_TXT_VSIID_LEN], log[2048], want[160];
	uint8_t idb[16];
	struct logcap c;
	struct vsi *v;

	assert_int_equal(e->br.step_cap, VDP_BRIDGE_STEP_CAP);
	e->br.step_cap = 4;
	send1(e, 40, VDP_TLV_ASSOC, 10); /* admitted; reply not acked */
	v = find(e, 40);
	assert_int_equal(v->state, B(WAITCMD));
	e->admit_status = VDP_STATUS_KEEP | VDP_R_OTHER_FAILURE;
	send1(e, 40, VDP_TLV_ASSOC, 11); /* refused, Keep reply waits */
	assert_int_equal(v->state, B(KEEP));
	e->admit_status = 0;
	send1(e, 40, VDP_TLV_ASSOC, 12);
	assert_int_equal(v->state, B(WAITCMD));
	assert_int_equal(e->ev[e->nev - 1], VDP_BR_EV_ADMITTED);
	assert_int_equal(vdp_vid(v->filters[0].f.ps_pcp_vid), 12);
	assert_int_equal(e->br.cnt.illegal_transitions, 0);
	ack_last(e);
	ack_last(e);

	/* Cap 2: a new association admitted at once needs 3 steps.  ECP is
	 * idle, so the unsolicited De-Associate leaves at once and the
	 * record is removed. */
	e->br.step_cap = 2;
	e->nev = 0;
	tf_vsiid(41, idb);
	vdp_txt_vsiid_format(VDP_VSIID_UUID, idb, id);
	logcap_begin(&c);
	send1(e, 41, VDP_TLV_ASSOC, 10);
	logcap_end(&c, log, sizeof(log));
	assert_int_equal(e->br.cnt.illegal_transitions, 1);
	assert_int_equal(e->nev, 2);
	assert_int_equal(e->ev[0], VDP_BR_EV_DEASSOC_SENT);
	assert_int_equal(e->ev[1], VDP_BR_EV_REMOVED);
	assert_null(find(e, 41));
	snprintf(want, sizeof(want), "VSI %s: bridge machine not stable after 2 steps, in SEND",
		 id);
	if (!strstr(log, want))
		fail_msg("log lacks \"%s\": %s", want, log);
	assert_int_equal(last(e)->tlvs[0].type, VDP_TLV_DEASSOC);
	assert_int_equal(last(e)->tlvs[0].assoc.status, 0); /* unsolicited */
	ack_last(e);
	e->br.step_cap = VDP_BRIDGE_STEP_CAP;
	e->expect_illegal = 1;
	benv_free(e);
}
#undef B

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transition_table),
		cmocka_unit_test(test_illegal_transition),
		cmocka_unit_test(test_step_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
