/* VDP station machine against a scripted bridge: its timers (keep-alive
 * period and spread, response wait) and ECPDUs ECP gives up on. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/station_env.h"

#define S(x) VDP_ST_##x

static void test_keepalive_timing(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	uint64_t ka, t0;
	size_t before;

	vdp_station_set_params(&e->st, 3, 8, 20, 14);
	ka = 10ULL << 14; /* reinitKeepAlive = 10 us x 2^RKA */
	assert_int_equal(vdp_station_keepalive_us(&e->st), ka);
	associate(e, 3, VDP_MODE_ASSOC);
	t0 = e->fc.now;
	before = n_ecpdus(e);
	fakeclock_advance(&e->fc, ka - 1);
	assert_int_equal(n_ecpdus(e), before);
	fakeclock_advance(&e->fc, 1);
	assert_int_equal(n_ecpdus(e), before + 1);
	assert_int_equal(e->cap.f[e->cap.n - 1].time, t0 + ka);
	assert_int_equal(last(e)->tlvs[0].type, VDP_TLV_ASSOC);
	assert_int_equal(e->st.cnt.ka_tx, 1);
	assert_int_equal(find(e, 3)->state, VDP_ST_TXMIT_KAWAIT);
	ack_last(e);
	respond(e, 3, VDP_STATUS_RESPONSE);
	assert_int_equal(last_ev(e), VDP_EV_KEEPALIVE_OK);
	/* Next keep-alive counted from this response. */
	t0 = e->fc.now;
	fakeclock_advance(&e->fc, ka);
	assert_int_equal(e->cap.f[e->cap.n - 1].time, t0 + ka);
	assert_int_equal(e->st.cnt.ka_tx, 2);
	senv_free(e);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* 1000 VSIs answered at one instant, each in its own ULPDU: with the
 * default spread their keep-alives are due in VDP_KA_CLASSES groups a step
 * apart, over 15/16 of the spread, none later than reinitKeepAlive after
 * the answer and none sooner than the spread; off, they are one wave. */
static void test_keepalive_spread(void **state)
{
	(void)state;
	enum { NV = 1000 };
	struct senv *e = senv_new();
	uint64_t p, span, step, t0, at[NV];
	size_t groups = 1, run = 1, max_run = 1;

	vdp_station_set_ka_spread(&e->st, 99);
	assert_int_equal(e->st.ka_spread_pct, VDP_KA_SPREAD_MAX);
	vdp_station_set_ka_spread(&e->st, VDP_KA_SPREAD_PCT);
	p = vdp_station_keepalive_us(&e->st);
	span = p * VDP_KA_SPREAD_PCT / 100;
	step = span / VDP_KA_CLASSES;
	e->ka_at = at;
	t0 = e->fc.now;
	for (uint32_t i = 1; i <= NV; i++)
		associate(e, i, VDP_MODE_ASSOC);
	assert_int_equal(e->fc.now, t0);
	fakeclock_advance(&e->fc, p - span - 1);
	assert_int_equal(e->n_ka, 0);
	fakeclock_advance(&e->fc, span + 1); /* now t0 + reinitKeepAlive */
	assert_int_equal(e->n_ka, NV);
	qsort(at, NV, sizeof(at[0]), cmp_u64);
	assert_true(at[0] >= t0 + p - span);
	assert_true(at[NV - 1] <= t0 + p);
	for (size_t k = 1; k < NV; k++) {
		run = at[k] == at[k - 1] ? run + 1 : 1;
		groups += at[k] != at[k - 1];
		if (run > max_run)
			max_run = run;
		/* on the steps */
		assert_int_equal((t0 + p - at[k]) % step, 0);
	}
	print_message("spread: %d keep-alives over %" PRIu64 " ms in %zu groups, largest %zu\n", NV,
		      (at[NV - 1] - at[0]) / 1000, groups, max_run);
	/* X: every step drawn (a counter through a mixer: the same draws
	 * each run), so the span is 15 steps. */
	assert_int_equal(groups, VDP_KA_CLASSES);
	assert_int_equal(at[NV - 1] - at[0], (VDP_KA_CLASSES - 1) * step);
	/* ... and shared out: none has twice its share */
	assert_true(max_run <= 2 * NV / VDP_KA_CLASSES);
	senv_free(e);
}

static void test_timeout_then_rerequest(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	uint64_t w, t0;
	struct vsi *v;

	vdp_station_set_params(&e->st, 3, 8, 20, 20);
	/* 1.5 x (10 us x 2^20 + 7 x 10 us x 2^8) = 15.75552 s uncapped. */
	vdp_station_set_resp_wait_max(&e->st, 0);
	assert_int_equal(vdp_station_resp_wait_us(&e->st), 15755520);
	vdp_station_set_resp_wait_max(&e->st, VDP_RESP_WAIT_MAX_US);
	w = vdp_station_resp_wait_us(&e->st);
	assert_int_equal(w, 8000000);
	vdp_station_set_params(&e->st, 3, 8, 10, 20);
	/* 1.5 x (10240 + 17920) = 42240 us, below the cap. */
	w = vdp_station_resp_wait_us(&e->st);
	assert_int_equal(w, 42240);
	assert_int_equal(request(e, 11, VDP_MODE_ASSOC, 100), 0);
	t0 = e->fc.now;
	ack_last(e);
	fakeclock_advance(&e->fc, w - 1);
	assert_int_equal(e->nev, 0);
	fakeclock_advance(&e->fc, 1);
	v = find(e, 11);
	assert_int_equal(last_ev(e), VDP_EV_FAILED);
	assert_int_equal(v->reason, VDP_END_TIMEOUT);
	assert_int_equal(e->fc.now, t0 + w);
	assert_int_equal(e->st.cnt.timeouts, 1);
	/* A late response is stale. */
	respond(e, 11, VDP_STATUS_RESPONSE);
	assert_int_equal(e->st.cnt.resp_stale, 1);
	assert_int_equal(request(e, 11, VDP_MODE_ASSOC, 100), 0);
	ack_last(e);
	respond(e, 11, VDP_STATUS_RESPONSE);
	assert_int_equal(last_ev(e), VDP_EV_ASSOCIATED);
	senv_free(e);
}

static void test_tx_error_ends(void **state)
{
	(void)state;
	struct senv *e = senv_new();

	assert_int_equal(request(e, 12, VDP_MODE_ASSOC, 100), 0);
	fakeclock_advance(&e->fc, 4 * (10 << 8));
	assert_int_equal(e->ecp.cnt.tx_errors, 1);
	assert_int_equal(last_ev(e), VDP_EV_FAILED);
	assert_int_equal(find(e, 12)->reason, VDP_END_TX_ERROR);
	senv_free(e);
}

/* Two VSIs in one lost ECPDU; the failure callback of the first forgets
 * the second before the station gets to it (a use after free under ASan
 * when the station forgot to drop it from the ECPDU it was ending). */
static void test_tx_error_forget_sibling(void **state)
{
	(void)state;
	struct senv *e = senv_new();

	assert_int_equal(request(e, 30, VDP_MODE_ASSOC, 100), 0); /* leaves at once */
	assert_int_equal(request(e, 31, VDP_MODE_ASSOC, 100), 0); /* wait for the ack */
	assert_int_equal(request(e, 32, VDP_MODE_ASSOC, 100), 0);
	ack_last(e);
	assert_int_equal(e->st.n_inflight, 2); /* 31 and 32 in one ECPDU */
	e->forget_pair[0] = 31;
	e->forget_pair[1] = 32;
	fakeclock_advance(&e->fc, 4 * (10 << 8));
	assert_int_equal(e->ecp.cnt.tx_errors, 1);
	assert_int_equal(e->st.cnt.tx_errors, 1); /* the forgotten one is not counted */
	assert_int_equal(last_ev(e), VDP_EV_FAILED);
	assert_true((find(e, 31) == NULL) != (find(e, 32) == NULL));
	struct vsi *left = find(e, 31) ? find(e, 31) : find(e, 32);
	assert_int_equal(left->reason, VDP_END_TX_ERROR);
	senv_free(e);
}

/* ECP gives up on an ECPDU of keep-alives: they go again at once, in a
 * fresh ECPDU, ahead of new work queued behind the busy ECP, as long as the
 * bridge's toutKeepAlive can still be met; after that the VSIs end. */
static void test_ka_lost_resent(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	uint64_t budget, due;
	uint16_t seq;
	struct tf_ecp *d;

	vdp_station_set_params(&e->st, 3, 8, 10, 14);
	budget = vdp_station_ecp_budget_us(&e->st);
	assert_int_equal(budget, 4 * 2560);
	assert_int_equal(vdp_station_tout_ka_us(&e->st), 272640);
	associate(e, 40, VDP_MODE_ASSOC);
	associate(e, 41, VDP_MODE_ASSOC);
	assert_state(e, 40, S(WAIT_SYSCMD));
	due = e->fc.now + vdp_station_tout_ka_us(&e->st) - budget;
	fakeclock_advance(&e->fc, vdp_station_keepalive_us(&e->st));
	assert_state(e, 40, S(TXMIT_KAWAIT));
	seq = last(e)->h.seq;
	/* 40's keep-alive left alone, 41's waits for ECP (in front), and
	 * new work comes while ECP is busy. */
	assert_int_equal(last(e)->pdu.n_tlvs, 1);
	assert_state(e, 41, S(TXMIT_KA));
	assert_int_equal(request(e, 42, VDP_MODE_ASSOC, 100), 0);
	assert_state(e, 42, S(STATION_PROC));
	/* No ack: 1 + R sends, then ECP gives up. */
	fakeclock_advance(&e->fc, budget);
	assert_int_equal(e->ecp.cnt.tx_errors, 1);
	assert_int_equal(e->st.cnt.ka_resent, 1);
	assert_state(e, 40, S(TXMIT_KAWAIT));
	assert_state(e, 41, S(TXMIT_KAWAIT));
	d = last(e);
	assert_int_not_equal(d->h.seq, seq);
	/* keep-alives first, the new request behind them */
	assert_int_equal(d->pdu.n_tlvs, 3);
	uint8_t id[16];
	tf_vsiid(42, id);
	assert_memory_equal(d->tlvs[2].assoc.vsiid, id, 16);
	assert_int_equal(e->nev, 2); /* nothing reported: still associated */
	/* Lost again and again: sent again while an exchange still fits. */
	while (find(e, 40)->state != S(END)) {
		uint64_t before = e->st.cnt.ka_resent;
		fakeclock_advance(&e->fc, budget);
		if (e->st.cnt.ka_resent > before)
			assert_true(e->fc.now + budget <= due + 1000);
	}
	assert_int_equal(find(e, 40)->reason, VDP_END_TX_ERROR);
	assert_int_equal(find(e, 41)->reason, VDP_END_TX_ERROR);
	assert_true(e->fc.now + budget > due - 1000);
	assert_true(e->st.cnt.ka_resent >= 2 * 5);
	senv_free(e);
}
#undef S

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keepalive_timing),
		cmocka_unit_test(test_keepalive_spread),
		cmocka_unit_test(test_timeout_then_rerequest),
		cmocka_unit_test(test_tx_error_ends),
		cmocka_unit_test(test_tx_error_forget_sibling),
		cmocka_unit_test(test_ka_lost_resent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
