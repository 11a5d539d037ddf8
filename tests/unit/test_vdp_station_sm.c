/* VDP station machine: its transition table (802.1Qbg-2012 41.5.5), what
 * an illegal transition does, and the cap on steps per event. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/smcheck.h"
#include "tests/unit/logcap.h"
#include "tests/unit/station_env.h"
#include "vdp/wire/vdp_text.h"

/* ---- transition table (802.1Qbg-2012 41.5.5 as vdp_station.c implements
 * it): the scenarios below drive the machine through its public calls
 * only (requests, bridge frames, the fake clock, link pause/resume) and
 * ops->transition records every state change. */

#define S(x) VDP_ST_##x
static const struct sm_row st_rows[] = {
	{ S(INIT), S(STATION_PROC), "new request" },
	{ S(INIT), S(TXMIT_DEASSOC), "re-send of a VSI an allocation failure left in INIT" },
	{ S(INIT), S(END), "bridge De-Associate of a VSI left in INIT" },
	{ S(STATION_PROC), S(STATION_PROCWAIT), "handed to ECP" },
	{ S(STATION_PROC), S(STATION_PROC), "newer request while queued" },
	{ S(STATION_PROC), S(TXMIT_DEASSOC), "De-Associate while queued" },
	{ S(STATION_PROC), S(END), "bridge De-Associate while queued" },
	{ S(STATION_PROCWAIT), S(PREASSOC_NEW), "pre-association confirmed" },
	{ S(STATION_PROCWAIT), S(ASSOC_NEW), "association confirmed" },
	{ S(STATION_PROCWAIT), S(WAIT_SYSCMD), "change refused with Keep" },
	{ S(STATION_PROCWAIT), S(STATION_PROC), "re-sent after link up" },
	{ S(STATION_PROCWAIT), S(TXMIT_DEASSOC), "De-Associate while the link is down" },
	{ S(STATION_PROCWAIT), S(END), "response wait expired" },
	{ S(PREASSOC_NEW), S(WAIT_SYSCMD), "pre-association confirmed" },
	{ S(ASSOC_NEW), S(ASSOC_COMPL), "association confirmed" },
	{ S(ASSOC_COMPL), S(WAIT_SYSCMD), "association confirmed" },
	{ S(WAIT_SYSCMD), S(TXMIT_KA), "reinitKeepAlive expired" },
	{ S(WAIT_SYSCMD), S(STATION_PROC), "changed request" },
	{ S(WAIT_SYSCMD), S(TXMIT_DEASSOC), "De-Associate request" },
	{ S(WAIT_SYSCMD), S(END), "bridge De-Associate" },
	{ S(TXMIT_KA), S(TXMIT_KAWAIT), "keep-alive handed to ECP" },
	{ S(TXMIT_KA), S(TXMIT_DEAWAIT), "keep-alive of a De-Associate answered as Associate" },
	{ S(TXMIT_KA), S(STATION_PROC), "changed request while the keep-alive is queued" },
	{ S(TXMIT_KA), S(TXMIT_DEASSOC), "De-Associate while the keep-alive is queued" },
	{ S(TXMIT_KA), S(END), "bridge De-Associate while the keep-alive is queued" },
	{ S(TXMIT_KAWAIT), S(PREASSOC_NEW), "keep-alive of a pre-association confirmed" },
	{ S(TXMIT_KAWAIT), S(ASSOC_NEW), "keep-alive of an association confirmed" },
	{ S(TXMIT_KAWAIT), S(WAIT_SYSCMD), "keep-alive refused with Keep" },
	{ S(TXMIT_KAWAIT), S(STATION_PROC), "answer to a keep-alive a change superseded" },
	{ S(TXMIT_KAWAIT), S(TXMIT_DEASSOC), "De-Associate while the link is down" },
	{ S(TXMIT_KAWAIT), S(END), "response wait expired" },
	{ S(TXMIT_KAWAIT), S(TXMIT_KA), "keep-alive lost or unanswered, sent again" },
	{ S(TXMIT_DEASSOC), S(TXMIT_DEAWAIT), "handed to ECP" },
	{ S(TXMIT_DEASSOC), S(TXMIT_DEASSOC), "De-Associate again while queued; re-send" },
	{ S(TXMIT_DEASSOC), S(STATION_PROC), "Associate while the De-Associate is queued" },
	{ S(TXMIT_DEASSOC), S(END), "bridge De-Associate while queued" },
	{ S(TXMIT_DEAWAIT), S(PREASSOC_NEW), "De-Associate answered as Pre-Associate" },
	{ S(TXMIT_DEAWAIT), S(ASSOC_NEW), "De-Associate answered as Associate" },
	{ S(TXMIT_DEAWAIT), S(WAIT_SYSCMD), "De-Associate refused with Keep" },
	{ S(TXMIT_DEAWAIT), S(STATION_PROC), "Associate while de-associating" },
	{ S(TXMIT_DEAWAIT), S(TXMIT_DEASSOC), "re-sent after link up" },
	{ S(TXMIT_DEAWAIT), S(END), "De-Associate confirmed" },
	{ S(END), S(INIT), "requested again" },
};

/* Associate, keep-alive, De-Associate, again as pre-association, a change,
 * a bridge De-Associate. */
static void scen_lifecycle(void)
{
	struct senv *e = senv_new();
	uint64_t ka;

	vdp_station_set_params(&e->st, 3, 8, 20, 14);
	ka = vdp_station_keepalive_us(&e->st);
	associate(e, 1, VDP_MODE_ASSOC);
	assert_state(e, 1, S(WAIT_SYSCMD));
	fakeclock_advance(&e->fc, ka);
	assert_state(e, 1, S(TXMIT_KAWAIT));
	ack_last(e);
	respond(e, 1, VDP_STATUS_RESPONSE);
	assert_int_equal(last_ev(e), VDP_EV_KEEPALIVE_OK);
	assert_int_equal(request(e, 1, VDP_MODE_DEASSOC, 100), 0);
	assert_state(e, 1, S(TXMIT_DEAWAIT));
	ack_last(e);
	respond(e, 1, VDP_STATUS_RESPONSE);
	assert_state(e, 1, S(END));
	associate(e, 1, VDP_MODE_PREASSOC);
	assert_int_equal(last_ev(e), VDP_EV_PREASSOCIATED);
	fakeclock_advance(&e->fc, ka);
	ack_last(e);
	respond(e, 1, VDP_STATUS_RESPONSE);
	assert_int_equal(last_ev(e), VDP_EV_KEEPALIVE_OK);
	assert_int_equal(request(e, 1, VDP_MODE_ASSOC, 100), 0);
	assert_state(e, 1, S(STATION_PROCWAIT));
	ack_last(e);
	respond(e, 1, VDP_STATUS_RESPONSE);
	assert_int_equal(last_ev(e), VDP_EV_ASSOCIATED);
	unsolicited_deassoc(e, 1);
	assert_state(e, 1, S(END));
	assert_int_equal(find(e, 1)->reason, VDP_END_BRIDGE_DEASSOC);
	senv_free(e);
}

/* Response wait expiry for a request and for a keep-alive. */
static void scen_timeouts(void)
{
	struct senv *e = senv_new();
	uint64_t w;

	vdp_station_set_params(&e->st, 3, 8, 10, 14);
	w = vdp_station_resp_wait_us(&e->st);
	assert_true(w < vdp_station_keepalive_us(&e->st));
	assert_int_equal(request(e, 2, VDP_MODE_ASSOC, 100), 0);
	ack_last(e);
	fakeclock_advance(&e->fc, w);
	assert_state(e, 2, S(END));
	assert_int_equal(find(e, 2)->reason, VDP_END_TIMEOUT);
	associate(e, 2, VDP_MODE_ASSOC);
	/* An unanswered keep-alive goes again (TXMIT_KAWAIT -> TXMIT_KA)
	 * while one more ECP exchange fits before the bridge's
	 * toutKeepAlive, then the VSI ends as before. */
	uint64_t due =
		e->fc.now + vdp_station_tout_ka_us(&e->st) - vdp_station_ecp_budget_us(&e->st);
	fakeclock_advance(&e->fc, vdp_station_keepalive_us(&e->st));
	assert_state(e, 2, S(TXMIT_KAWAIT));
	ack_last(e);
	unsigned sends = 1;
	while (find(e, 2)->state != S(END)) {
		size_t n0 = n_ecpdus(e);
		assert_true(fakeclock_run_next(&e->fc));
		if (n_ecpdus(e) > n0) {
			sends++;
			assert_true(e->fc.now + vdp_station_ecp_budget_us(&e->st) <= due + 1000);
			ack_last(e);
		}
	}
	assert_int_equal(find(e, 2)->reason, VDP_END_TIMEOUT);
	assert_true(e->fc.now + vdp_station_ecp_budget_us(&e->st) > due - 1000);
	assert_true(sends >= 3);
	assert_int_equal(e->st.cnt.ka_resent, sends - 1);
	senv_free(e);
}

/* Refusals with Keep of a change, a keep-alive and a De-Associate. */
static void scen_keep(void)
{
	const uint8_t keep = VDP_STATUS_RESPONSE | VDP_STATUS_KEEP | VDP_R_OTHER_FAILURE;
	struct senv *e = senv_new();

	vdp_station_set_params(&e->st, 3, 8, 20, 14);
	associate(e, 3, VDP_MODE_ASSOC);
	assert_int_equal(request(e, 3, VDP_MODE_ASSOC, 101), 0);
	ack_last(e);
	respond(e, 3, keep);
	assert_int_equal(last_ev(e), VDP_EV_KEPT);
	assert_state(e, 3, S(WAIT_SYSCMD));
	fakeclock_advance(&e->fc, vdp_station_keepalive_us(&e->st));
	assert_state(e, 3, S(TXMIT_KAWAIT));
	ack_last(e);
	respond(e, 3, keep);
	assert_int_equal(last_ev(e), VDP_EV_KEPT);
	assert_state(e, 3, S(WAIT_SYSCMD));
	assert_int_equal(request(e, 3, VDP_MODE_DEASSOC, 100), 0);
	ack_last(e);
	respond(e, 3, keep);
	assert_int_equal(last_ev(e), VDP_EV_KEPT);
	assert_state(e, 3, S(WAIT_SYSCMD));
	assert_int_equal(find(e, 3)->mode_cur, VDP_MODE_ASSOC);
	senv_free(e);
}

/* Requests for VSIs queued behind an ECPDU in flight. */
static void scen_queued(void)
{
	struct senv *e = senv_new();

	assert_int_equal(request(e, 10, VDP_MODE_ASSOC, 100), 0);
	assert_int_equal(request(e, 11, VDP_MODE_ASSOC, 100), 0);
	assert_state(e, 11, S(STATION_PROC));
	assert_int_equal(request(e, 11, VDP_MODE_ASSOC, 101), 0);
	assert_int_equal(request(e, 11, VDP_MODE_DEASSOC, 101), 0);
	assert_state(e, 11, S(TXMIT_DEASSOC));
	assert_int_equal(request(e, 11, VDP_MODE_DEASSOC, 101), 0);
	assert_int_equal(request(e, 11, VDP_MODE_ASSOC, 101), 0);
	assert_state(e, 11, S(STATION_PROC));
	unsolicited_deassoc(e, 11);
	assert_state(e, 11, S(END));
	assert_int_equal(request(e, 12, VDP_MODE_ASSOC, 100), 0);
	assert_int_equal(request(e, 12, VDP_MODE_DEASSOC, 100), 0);
	assert_state(e, 12, S(TXMIT_DEASSOC));
	unsolicited_deassoc(e, 12);
	assert_state(e, 12, S(END));
	ack_last(e);
	assert_int_equal(n_ecpdus(e), 1); /* nothing left for 11 and 12 */
	respond(e, 10, VDP_STATUS_RESPONSE);
	assert_state(e, 10, S(WAIT_SYSCMD));
	senv_free(e);
}

/* Keep-alives due together: one goes, the others wait for ECP. */
static void scen_ka_queued(void)
{
	struct senv *e = senv_new();
	struct tf_tlv t[4];

	vdp_station_set_params(&e->st, 3, 8, 20, 14);
	for (uint32_t i = 20; i < 24; i++)
		assert_int_equal(request(e, i, VDP_MODE_ASSOC, 100), 0);
	t[0] = echo(e, 20, VDP_STATUS_RESPONSE);
	ack_last(e);
	for (uint32_t i = 21; i < 24; i++)
		t[i - 20] = echo(e, i, VDP_STATUS_RESPONSE);
	ack_last(e);
	inject(e, t, 4);
	fakeclock_advance(&e->fc, vdp_station_keepalive_us(&e->st));
	assert_state(e, 20, S(TXMIT_KAWAIT));
	for (uint32_t i = 21; i < 24; i++)
		assert_state(e, i, S(TXMIT_KA));
	assert_int_equal(request(e, 21, VDP_MODE_ASSOC, 101), 0);
	assert_state(e, 21, S(STATION_PROC));
	assert_int_equal(request(e, 22, VDP_MODE_DEASSOC, 100), 0);
	assert_state(e, 22, S(TXMIT_DEASSOC));
	unsolicited_deassoc(e, 23);
	assert_state(e, 23, S(END));
	/* 20 changes while its keep-alive is out: the answer to the
	 * keep-alive is superseded. */
	assert_int_equal(request(e, 20, VDP_MODE_ASSOC, 101), 0);
	respond(e, 20, VDP_STATUS_RESPONSE);
	assert_state(e, 20, S(STATION_PROC));
	ack_last(e);
	assert_int_equal(last(e)->pdu.n_tlvs, 3);
	senv_free(e);
}

/* Link down with VSIs waiting for answers, requests meanwhile, link up. */
static void scen_link(void)
{
	struct senv *e = senv_new();
	struct tf_tlv t[4];
	struct tf_ecp *d;

	vdp_station_set_params(&e->st, 3, 8, 20, 14);
	associate(e, 30, VDP_MODE_ASSOC);
	associate(e, 32, VDP_MODE_ASSOC);
	fakeclock_advance(&e->fc, vdp_station_keepalive_us(&e->st));
	assert_state(e, 30, S(TXMIT_KAWAIT));
	assert_int_equal(request(e, 32, VDP_MODE_DEASSOC, 100), 0);
	assert_int_equal(request(e, 31, VDP_MODE_ASSOC, 100), 0);
	assert_int_equal(request(e, 33, VDP_MODE_ASSOC, 100), 0);
	ack_last(e);
	assert_state(e, 31, S(STATION_PROCWAIT));
	assert_state(e, 32, S(TXMIT_DEAWAIT));
	assert_state(e, 33, S(STATION_PROCWAIT));
	ecp_disable(&e->ecp);
	vdp_station_pause(&e->st);
	assert_int_equal(request(e, 30, VDP_MODE_DEASSOC, 100), 0);
	assert_state(e, 30, S(TXMIT_DEASSOC));
	assert_int_equal(request(e, 31, VDP_MODE_DEASSOC, 100), 0);
	assert_state(e, 31, S(TXMIT_DEASSOC));
	ecp_enable(&e->ecp);
	vdp_station_reassociate_all(&e->st);
	d = last(e);
	assert_int_equal(d->pdu.n_tlvs, 4);
	for (size_t k = 0; k < 4; k++) {
		uint32_t i = 30 + (uint32_t)k;
		t[k] = echo(e, i, VDP_STATUS_RESPONSE);
		assert_state(e, i, i == 33 ? S(STATION_PROCWAIT) : S(TXMIT_DEAWAIT));
	}
	ack_last(e);
	inject(e, t, 4);
	for (uint32_t i = 30; i < 33; i++)
		assert_state(e, i, S(END));
	assert_state(e, 33, S(WAIT_SYSCMD));
	senv_free(e);
}

/* Answers to a De-Associate: overtaken by an Associate, and (a bridge
 * that gets it wrong) an Associate or Pre-Associate success. */
static void scen_deassoc_answers(void)
{
	struct senv *e = senv_new();

	vdp_station_set_params(&e->st, 3, 8, 20, 14);
	associate(e, 40, VDP_MODE_ASSOC);
	assert_int_equal(request(e, 40, VDP_MODE_DEASSOC, 100), 0);
	assert_int_equal(request(e, 40, VDP_MODE_ASSOC, 100), 0); /* in flight: waits */
	ack_last(e);
	respond(e, 40, VDP_STATUS_RESPONSE);
	assert_int_equal(last_ev(e), VDP_EV_DEASSOCIATED);
	assert_state(e, 40, S(STATION_PROCWAIT));
	ack_last(e);
	respond(e, 40, VDP_STATUS_RESPONSE);
	assert_int_equal(last_ev(e), VDP_EV_ASSOCIATED);

	associate(e, 41, VDP_MODE_ASSOC);
	assert_int_equal(request(e, 41, VDP_MODE_DEASSOC, 100), 0);
	ack_last(e);
	respond_as(e, 41, VDP_TLV_ASSOC, VDP_STATUS_RESPONSE);
	assert_state(e, 41, S(WAIT_SYSCMD));
	assert_int_equal(find(e, 41)->mode_req, VDP_MODE_DEASSOC);
	/* Its keep-alive repeats the De-Associate (after 40's keep-alive,
	 * due at the same time); that one is confirmed. */
	fakeclock_advance(&e->fc, vdp_station_keepalive_us(&e->st));
	assert_state(e, 41, S(TXMIT_KA));
	ack_last(e);
	assert_state(e, 41, S(TXMIT_DEAWAIT));
	assert_int_equal(last(e)->tlvs[0].type, VDP_TLV_DEASSOC);
	ack_last(e);
	respond(e, 41, VDP_STATUS_RESPONSE);
	assert_state(e, 41, S(END));

	associate(e, 42, VDP_MODE_PREASSOC);
	assert_int_equal(request(e, 42, VDP_MODE_DEASSOC, 100), 0);
	ack_last(e);
	respond_as(e, 42, VDP_TLV_PREASSOC, VDP_STATUS_RESPONSE);
	assert_state(e, 42, S(WAIT_SYSCMD));
	assert_int_equal(find(e, 42)->mode_cur, VDP_MODE_PREASSOC);
	senv_free(e);
}

/* vdp_station_request() enters INIT for an ended VSI before it grows the
 * filter table; if that allocation fails, the VSI stays in INIT with its
 * previous request.  No public call makes malloc fail, so END -> INIT is
 * made with vdp_station_enter() (legal) to leave the same VSI. */
static void scen_init_leftover(void)
{
	struct senv *e = senv_new();
	struct vsi *v;

	associate(e, 50, VDP_MODE_ASSOC);
	assert_int_equal(request(e, 50, VDP_MODE_DEASSOC, 100), 0);
	ack_last(e);
	respond(e, 50, VDP_STATUS_RESPONSE);
	v = find(e, 50);
	assert_int_equal(v->state, S(END));
	assert_true(vdp_station_enter(&e->st, v, S(INIT)));
	vdp_station_reassociate_all(&e->st);
	assert_state(e, 50, S(TXMIT_DEAWAIT));
	ack_last(e);
	respond(e, 50, VDP_STATUS_RESPONSE);
	assert_state(e, 50, S(END));
	assert_true(vdp_station_enter(&e->st, v, S(INIT)));
	unsolicited_deassoc(e, 50);
	assert_state(e, 50, S(END));
	assert_int_equal(v->reason, VDP_END_DEASSOCIATED);
	senv_free(e);
}

static void test_transition_table(void **state)
{
	static const struct sm_spec m = { "station", NST, vdp_station_transition_legal,
					  vdp_station_state_name };

	(void)state;

	memset(seen, 0, sizeof(seen));
	scen_lifecycle();
	scen_timeouts();
	scen_keep();
	scen_queued();
	scen_ka_queued();
	scen_link();
	scen_deassoc_answers();
	scen_init_leftover();

	sm_check_table(&m, st_rows, sizeof(st_rows) / sizeof(st_rows[0]), &seen[0][0]);
	/* Out of range never passes. */
	assert_false(vdp_station_transition_legal(NST, S(INIT)));
	assert_false(vdp_station_transition_legal(S(END), NST));
	assert_false(vdp_station_transition_legal(0xff, 0xff));
}

/* An illegal transition: logged with VSIID and state names, counted, the
 * VSI ended with VDP_END_INTERNAL and reported as failed; it can be
 * requested again. */
static void test_illegal_transition(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	char id[VDP_TXT_VSIID_LEN], log[2048], want[128];
	struct logcap c;
	struct vsi *v;
	size_t before;
	bool ok;

	associate(e, 60, VDP_MODE_ASSOC);
	v = find(e, 60);
	assert_int_equal(v->state, S(WAIT_SYSCMD));
	assert_int_equal(fakeclock_armed(&e->fc), 1);
	vdp_txt_vsiid_format(v->vsiid_fmt, v->vsiid, id);
	logcap_begin(&c);
	ok = vdp_station_enter(&e->st, v, S(ASSOC_COMPL));
	logcap_end(&c, log, sizeof(log));
	assert_false(ok);
	assert_int_equal(e->st.cnt.illegal_transitions, 1);
	assert_int_equal(v->state, S(END));
	assert_int_equal(v->reason, VDP_END_INTERNAL);
	assert_int_equal(v->mode_cur, VDP_MODE_NONE);
	assert_int_equal(last_ev(e), VDP_EV_FAILED);
	assert_int_equal(fakeclock_armed(&e->fc), 0);
	assert_string_equal(vdp_end_reason_name(v->reason),
			    "internal error (illegal state transition)");
	snprintf(want, sizeof(want),
		 "VSI %s: illegal station transition WAIT_SYSCMD -> ASSOC_COMPL", id);
	if (!strstr(log, want))
		fail_msg("log lacks \"%s\": %s", want, log);
	/* Requested again: a fresh start. */
	associate(e, 60, VDP_MODE_ASSOC);
	assert_int_equal(last_ev(e), VDP_EV_ASSOCIATED);
	assert_int_equal(v->state, S(WAIT_SYSCMD));

	/* A queued VSI leaves the queue: nothing is sent for it. */
	assert_int_equal(request(e, 61, VDP_MODE_ASSOC, 100), 0);
	assert_int_equal(request(e, 62, VDP_MODE_ASSOC, 100), 0);
	v = find(e, 62);
	assert_int_equal(v->state, S(STATION_PROC));
	logcap_begin(&c);
	ok = vdp_station_enter(&e->st, v, S(TXMIT_KAWAIT));
	logcap_end(&c, log, sizeof(log));
	assert_false(ok);
	assert_non_null(strstr(log, "STATION_PROC -> TXMIT_KAWAIT"));
	assert_int_equal(v->state, S(END));
	assert_false(v->flags & VSI_F_QUEUED);
	before = n_ecpdus(e);
	ack_last(e);
	assert_int_equal(n_ecpdus(e), before);

	/* A state value out of range (memory corruption): same reset. */
	v = find(e, 60);
	v->state = 200;
	logcap_begin(&c);
	ok = vdp_station_enter(&e->st, v, S(STATION_PROC));
	logcap_end(&c, log, sizeof(log));
	assert_false(ok);
	assert_non_null(strstr(log, "illegal station transition ? -> STATION_PROC"));
	assert_int_equal(v->state, S(END));
	assert_int_equal(v->reason, VDP_END_INTERNAL);
	assert_int_equal(e->st.cnt.illegal_transitions, 3);
	e->expect_illegal = 3;
	senv_free(e);
}
#undef S

/* The driver steps a VSI's machine until it is stable, at most
 * st.step_cap steps.  The longest legal run (a response confirming an
 * association while a newer request waits: ASSOC_NEW, ASSOC_COMPL,
 * WAIT_SYSCMD, STATION_PROC) fits 4; a run that needs more is a bug,
 * handled like an illegal transition: logged, counted, the VSI ended
 * (VDP_END_INTERNAL, VDP_EV_FAILED, not the success). */
static void test_step_cap(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	char id[VDP_TXT_VSIID_LEN], log[2048], want[160];
	struct logcap c;
	struct vsi *v;
	size_t nev;

	assert_int_equal(e->st.step_cap, VDP_STATION_STEP_CAP);
	e->st.step_cap = 4;
	associate(e, 70, VDP_MODE_PREASSOC);
	assert_int_equal(request(e, 70, VDP_MODE_ASSOC, 100), 0);
	/* The same request again (same keys: the response matches it)
	 * while the first is in flight: it waits. */
	assert_int_equal(request(e, 70, VDP_MODE_ASSOC, 100), 0);
	ack_last(e);
	respond(e, 70, VDP_STATUS_RESPONSE);
	assert_int_equal(last_ev(e), VDP_EV_ASSOCIATED);
	assert_state(e, 70, VDP_ST_STATION_PROCWAIT); /* sent again */
	assert_int_equal(e->st.cnt.illegal_transitions, 0);
	ack_last(e);
	respond(e, 70, VDP_STATUS_RESPONSE);
	assert_state(e, 70, VDP_ST_WAIT_SYSCMD);

	/* Cap 2: an association response needs 3 steps. */
	assert_int_equal(request(e, 71, VDP_MODE_ASSOC, 100), 0);
	ack_last(e);
	e->st.step_cap = 2;
	nev = e->nev;
	v = find(e, 71);
	vdp_txt_vsiid_format(v->vsiid_fmt, v->vsiid, id);
	logcap_begin(&c);
	respond(e, 71, VDP_STATUS_RESPONSE);
	logcap_end(&c, log, sizeof(log));
	assert_int_equal(e->st.cnt.illegal_transitions, 1);
	assert_int_equal(e->nev, nev + 1);
	assert_int_equal(last_ev(e), VDP_EV_FAILED);
	assert_int_equal(v->state, VDP_ST_END);
	assert_int_equal(v->reason, VDP_END_INTERNAL);
	assert_int_equal(v->mode_cur, VDP_MODE_NONE);
	assert_int_equal(fakeclock_armed(&e->fc), 1); /* VSI 70's keep-alive only */
	snprintf(want, sizeof(want),
		 "VSI %s: station machine not stable after 2 steps, in ASSOC_COMPL", id);
	if (!strstr(log, want))
		fail_msg("log lacks \"%s\": %s", want, log);
	/* Requested again with the cap back: a fresh start. */
	e->st.step_cap = VDP_STATION_STEP_CAP;
	associate(e, 71, VDP_MODE_ASSOC);
	assert_int_equal(last_ev(e), VDP_EV_ASSOCIATED);
	assert_state(e, 71, VDP_ST_WAIT_SYSCMD);
	e->expect_illegal = 1;
	senv_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transition_table),
		cmocka_unit_test(test_illegal_transition),
		cmocka_unit_test(test_step_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
