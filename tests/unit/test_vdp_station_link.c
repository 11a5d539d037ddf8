/* VDP station machine against a scripted bridge: link down and up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/station_env.h"

static void test_link_down_up(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	struct tf_tlv t[5];
	size_t before;

	for (uint32_t i = 0; i < 5; i++)
		associate(e, i, VDP_MODE_ASSOC);
	assert_int_equal(e->nev, 5);
	ecp_disable(&e->ecp);
	vdp_station_pause(&e->st);
	assert_int_equal(fakeclock_armed(&e->fc), 0);
	before = e->cap.n;
	fakeclock_advance(&e->fc, 100000000);
	assert_int_equal(e->cap.n, before);
	assert_int_equal(e->nev, 5);
	/* Desired state kept. */
	for (uint32_t i = 0; i < 5; i++)
		assert_int_equal(find(e, i)->mode_req, VDP_MODE_ASSOC);
	ecp_enable(&e->ecp);
	vdp_station_reassociate_all(&e->st);
	assert_int_equal(e->cap.n, before + 1);
	assert_int_equal(last(e)->pdu.n_tlvs, 5);
	for (uint32_t i = 0; i < 5; i++)
		t[i] = echo(e, i, VDP_STATUS_RESPONSE);
	ack_last(e);
	inject(e, t, 5);
	assert_int_equal(e->nev, 10);
	for (uint32_t i = 0; i < 5; i++)
		assert_int_equal(find(e, i)->state, VDP_ST_WAIT_SYSCMD);
	senv_free(e);
}

/* After a link flap the bridge's toutKeepAlive may have run out: its
 * unsolicited De-Associates, sent before it saw our re-requests, arrive
 * while those are in flight or still queued.  They are stale (counted);
 * the responses decide.  Once answered, a bridge De-Associate ends the VSI
 * as before, and without a flap it ends it even with a keep-alive out. */
static void test_stale_bridge_deassoc_after_flap(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	enum { N = 50 };
	struct tf_tlv t[N], d;
	struct tf_ecp *p;
	size_t first;
	uint32_t q = N;

	for (uint32_t i = 0; i < N; i++)
		associate(e, i, VDP_MODE_ASSOC);
	ecp_disable(&e->ecp);
	vdp_station_pause(&e->st);
	ecp_enable(&e->ecp);
	vdp_station_reassociate_all(&e->st);
	p = last(e);
	first = p->pdu.n_tlvs;
	assert_true(first < N); /* the rest waits for the ack */
	for (size_t k = 0; k < first; k++)
		t[k] = echo(e, index_of(p->tlvs[k].assoc.vsiid, N), VDP_STATUS_RESPONSE);
	/* De-Associates for one VSI in flight and one still queued. */
	assert_true(find(e, index_of(t[0].vsiid, N))->flags & VSI_F_INFLIGHT);
	for (uint32_t i = 0; i < N && q == N; i++)
		if (find(e, i)->flags & VSI_F_QUEUED)
			q = i;
	assert_true(q < N);
	d = bridge_deassoc(index_of(t[0].vsiid, N));
	inject(e, &d, 1);
	d = bridge_deassoc(q);
	inject(e, &d, 1);
	assert_int_equal(e->st.cnt.bridge_deassoc_stale, 2);
	assert_int_equal(e->st.cnt.bridge_deassoc, 0);
	assert_int_not_equal(find(e, index_of(t[0].vsiid, N))->state, VDP_ST_END);
	assert_int_not_equal(find(e, q)->state, VDP_ST_END);
	/* The responses decide: all associated again. */
	ack_last(e);
	inject(e, t, first);
	ack_last(e);
	{
		struct tf_ecp *p2 = last(e);
		struct tf_tlv r[N];
		size_t n = p2->pdu.n_tlvs;
		for (size_t k = 0; k < n; k++)
			r[k] = echo(e, index_of(p2->tlvs[k].assoc.vsiid, N), VDP_STATUS_RESPONSE);
		inject(e, r, n);
	}
	for (uint32_t i = 0; i < N; i++) {
		assert_int_equal(find(e, i)->state, VDP_ST_WAIT_SYSCMD);
		assert_int_equal(find(e, i)->mode_cur, VDP_MODE_ASSOC);
	}
	/* Answered: a bridge De-Associate ends the VSI again. */
	d = bridge_deassoc(1);
	inject(e, &d, 1);
	assert_int_equal(find(e, 1)->state, VDP_ST_END);
	assert_int_equal(find(e, 1)->reason, VDP_END_BRIDGE_DEASSOC);
	assert_int_equal(last_ev(e), VDP_EV_BRIDGE_DEASSOC);
	/* No flap: one crossing a keep-alive ends it too (41.5.5). */
	fakeclock_advance(&e->fc, vdp_station_keepalive_us(&e->st));
	q = index_of(last(e)->tlvs[0].assoc.vsiid, N);
	assert_int_equal(find(e, q)->state, VDP_ST_TXMIT_KAWAIT);
	d = bridge_deassoc(q);
	inject(e, &d, 1);
	assert_int_equal(find(e, q)->state, VDP_ST_END);
	assert_int_equal(e->st.cnt.bridge_deassoc, 2);
	assert_int_equal(e->st.cnt.bridge_deassoc_stale, 2);
	senv_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_down_up),
		cmocka_unit_test(test_stale_bridge_deassoc_after_flap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
