/* VDP station machine (802.1Qbg-2012 41.5.5) against a scripted bridge:
 * the test acks ECPDUs and injects responses built with the codec. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/smcheck.h"
#include "tests/unit/engine_frames.h"
#include "tests/unit/fakeclock.h"
#include "tests/unit/logcap.h"
#include "vdp/engine/vdp_station.h"
#include "vdp/wire/vdp_text.h"

static const uint8_t st_mac[6] = { 0x02, 0, 0, 0, 0, 1 };
static const uint8_t br_mac[6] = { 0x02, 0, 0, 0, 0, 2 };
static const uint8_t mgrid[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

#define MAXEV 4096

struct senv {
	struct fakeclock fc;
	struct ecp ecp;
	struct vdp_station st;
	struct tf_capture cap;
	size_t nev;
	enum vdp_event ev[MAXEV];
	struct vsi *evv[MAXEV];
	uint16_t bseq;
	struct tf_ecp dec;	/* last decoded */
	uint64_t expect_illegal;	/* checked by senv_free() */
	uint32_t forget_pair[2];	/* on a failure of one, forget the other */
	uint64_t *ka_at; /* if set: when each keep-alive was due */
	size_t n_ka;
};

#define NST (VDP_ST_END + 1)
/* Every state change any test made (ops->transition), for the table test. */
static uint32_t seen[NST][NST];

static void s_send(void *ctx, const uint8_t *f, size_t len)
{
	struct senv *e = ctx;
	tf_capture_add(&e->cap, f, len, e->fc.now);
}

static void s_deliver(void *ctx, uint16_t subtype, const uint8_t *u, size_t len)
{
	struct senv *e = ctx;
	if (subtype == ECP_SUBTYPE_VDP)
		vdp_station_rx(&e->st, u, len);
}

static void s_tx_done(void *ctx, bool acked)
{
	struct senv *e = ctx;
	vdp_station_tx_done(&e->st, acked);
}

static const struct ecp_ops s_ecp_ops = { s_send, s_deliver, s_tx_done };

static void s_event(void *ctx, struct vsi *v, enum vdp_event ev)
{
	struct senv *e = ctx;
	assert_true(e->nev < MAXEV);
	e->ev[e->nev] = ev;
	e->evv[e->nev++] = v;
	if (ev == VDP_EV_FAILED && e->forget_pair[0]) {
		/* A requester forgetting another VSI from inside its callback,
		 * as the daemon forgets the ended VSIs it has reported. */
		uint8_t id[16];
		tf_vsiid(e->forget_pair[0], id);
		uint32_t other = memcmp(id, v->vsiid, 16) ? e->forget_pair[0] : e->forget_pair[1];
		struct vsi *o;
		tf_vsiid(other, id);
		o = vdp_station_find(&e->st, VDP_VSIID_UUID, id);
		e->forget_pair[0] = 0;
		if (o)
			vdp_station_forget(&e->st, o);
	}
}

static void s_transition(void *ctx, const struct vsi *v, uint8_t from, uint8_t to)
{
	struct senv *e = ctx;

	assert_int_equal(v->state, to);
	assert_true(to < NST);
	if (from < NST)		/* else test_illegal_transition's corrupt state */
		seen[from][to]++;
	if (e->ka_at && from == VDP_ST_WAIT_SYSCMD && to == VDP_ST_TXMIT_KA)
		e->ka_at[e->n_ka++] = e->fc.now;
}

static const struct vdp_station_ops s_ops = { s_event, s_transition };

static struct senv *senv_new(void)
{
	struct senv *e = calloc(1, sizeof(*e));

	fakeclock_init(&e->fc, 1000000);
	assert_int_equal(ecp_init(&e->ecp, &s_ecp_ops, e, fakeclock_vclock(&e->fc), st_mac, 1500), 0);
	ecp_set_peer(&e->ecp, br_mac);
	ecp_enable(&e->ecp);
	assert_int_equal(vdp_station_init(&e->st, &s_ops, e, fakeclock_vclock(&e->fc), &e->ecp), 0);
	/* The bridge here is scripted at exact keep-alive instants; the
	 * spread has its own test (test_keepalive_spread). */
	vdp_station_set_ka_spread(&e->st, 0);
	return e;
}

/* Also the check that no test made an illegal transition (41.5.5 table),
 * unless it meant to. */
static void senv_free(struct senv *e)
{
	assert_int_equal(e->st.cnt.illegal_transitions, e->expect_illegal);
	vdp_station_destroy(&e->st);
	ecp_free(&e->ecp);
	assert_int_equal(fakeclock_armed(&e->fc), 0);
	fakeclock_destroy(&e->fc);
	tf_capture_free(&e->cap);
	free(e);
}

static struct vdp_filter filt[1];

static struct vdp_request mkreq(uint32_t i, uint8_t mode, uint16_t vid)
{
	struct vdp_request r = {
		.mode = mode, .type_id = 0x000005, .type_version = 4,
		.vsiid_fmt = VDP_VSIID_UUID, .filter_fmt = VDP_FILTER_MAC_VID,
		.n_filters = 1, .filters = filt,
	};
	memcpy(r.mgrid, mgrid, 16);
	tf_vsiid(i, r.vsiid);
	memset(filt, 0, sizeof(filt));
	tf_mac(i, filt[0].mac);
	filt[0].ps_pcp_vid = vid;
	return r;
}

static int request(struct senv *e, uint32_t i, uint8_t mode, uint16_t vid)
{
	struct vdp_request r = mkreq(i, mode, vid);
	return vdp_station_request(&e->st, &r);
}

static struct vsi *find(struct senv *e, uint32_t i)
{
	uint8_t id[16];
	tf_vsiid(i, id);
	return vdp_station_find(&e->st, VDP_VSIID_UUID, id);
}

/* Number of VDP ECPDUs (requests, not acks) the station sent so far. */
static size_t n_ecpdus(struct senv *e)
{
	size_t n = 0;
	for (size_t i = 0; i < e->cap.n; i++) {
		struct tf_ecp d;
		assert_int_equal(tf_decode(e->cap.f[i].buf, e->cap.f[i].len, &d), 0);
		if (d.h.op == ECP_OP_REQUEST)
			n++;
	}
	return n;
}

/* Decodes the last VDP ECPDU into e->dec. */
static struct tf_ecp *last(struct senv *e)
{
	for (size_t i = e->cap.n; i-- > 0;) {
		assert_int_equal(tf_decode(e->cap.f[i].buf, e->cap.f[i].len, &e->dec), 0);
		if (e->dec.h.op == ECP_OP_REQUEST) {
			assert_true(e->dec.has_vdp);
			assert_memory_equal(e->dec.pdu.mgrid, mgrid, 16);
			return &e->dec;
		}
	}
	fail_msg("no ECPDU sent");
	return NULL;
}

static void ack(struct senv *e, uint16_t seq)
{
	uint8_t buf[ECP_FRAME_MAX];
	size_t n = tf_build_ack(buf, br_mac, seq);
	ecp_rx(&e->ecp, buf, n);
}

static void ack_last(struct senv *e)
{
	ack(e, last(e)->h.seq);
}

static void inject(struct senv *e, const struct tf_tlv *t, size_t n)
{
	uint8_t buf[ECP_FRAME_MAX];
	size_t len = tf_build_vdp(buf, br_mac, ++e->bseq, mgrid, t, n);
	ecp_rx(&e->ecp, buf, len);
}

/* The TLV the station sent for VSI i in the last ECPDU, as a response. */
static struct tf_tlv echo(struct senv *e, uint32_t i, uint8_t status)
{
	struct tf_ecp *d = last(e);
	uint8_t id[16];
	struct tf_tlv t = { 0 };

	tf_vsiid(i, id);
	for (size_t k = 0; k < d->pdu.n_tlvs; k++) {
		const struct vdp_assoc *a = &d->tlvs[k].assoc;
		if (memcmp(a->vsiid, id, 16) != 0)
			continue;
		t.type = a->type;
		t.status = status;
		t.type_id = a->type_id;
		t.type_version = a->type_version;
		t.vsiid_fmt = a->vsiid_fmt;
		memcpy(t.vsiid, a->vsiid, 16);
		t.filter_fmt = a->filter_fmt;
		t.n = a->n_filters;
		for (uint16_t j = 0; j < a->n_filters && j < 4; j++)
			vdp_filter_get(a, j, &t.f[j]);
		return t;
	}
	fail_msg("VSI %u not in last ECPDU", i);
	return t;
}

static void respond(struct senv *e, uint32_t i, uint8_t status)
{
	struct tf_tlv t = echo(e, i, status);
	inject(e, &t, 1);
}

static enum vdp_event last_ev(struct senv *e)
{
	assert_true(e->nev > 0);
	return e->ev[e->nev - 1];
}

/* Request, ack, success response. */
static void associate(struct senv *e, uint32_t i, uint8_t mode)
{
	assert_int_equal(request(e, i, mode, 100), 0);
	ack_last(e);
	respond(e, i, VDP_STATUS_RESPONSE);
}

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

static void test_keepalive_timing(void **state)
{
	(void)state;
	struct senv *e = senv_new();
	uint64_t ka, t0;
	size_t before;

	vdp_station_set_params(&e->st, 3, 8, 20, 14);
	ka = 10ULL << 14;	/* reinitKeepAlive = 10 us x 2^RKA */
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
	associate(e, 60, VDP_MODE_ASSOC);		/* VID 100, version 4 */
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
	respond(e, 60, VDP_STATUS_RESPONSE);		/* answers 102 */
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
	respond(e, 60, keep);				/* answers 104 */
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
	t.type = VDP_TLV_DEASSOC;	/* request bit 0: unsolicited */
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
	t.type = VDP_TLV_DEASSOC;	/* request bit 0: unsolicited */
	inject(e, &t, 1);
	assert_int_equal(last_ev(e), VDP_EV_DEASSOCIATED);
	assert_int_equal(v->state, VDP_ST_END);
	assert_int_equal(v->reason, VDP_END_DEASSOCIATED);
	assert_int_equal(fakeclock_armed(&e->fc), 0);
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

	assert_int_equal(request(e, 30, VDP_MODE_ASSOC, 100), 0);	/* leaves at once */
	assert_int_equal(request(e, 31, VDP_MODE_ASSOC, 100), 0);	/* wait for the ack */
	assert_int_equal(request(e, 32, VDP_MODE_ASSOC, 100), 0);
	ack_last(e);
	assert_int_equal(e->st.n_inflight, 2);	/* 31 and 32 in one ECPDU */
	e->forget_pair[0] = 31;
	e->forget_pair[1] = 32;
	fakeclock_advance(&e->fc, 4 * (10 << 8));
	assert_int_equal(e->ecp.cnt.tx_errors, 1);
	assert_int_equal(e->st.cnt.tx_errors, 1);	/* the forgotten one is not counted */
	assert_int_equal(last_ev(e), VDP_EV_FAILED);
	assert_true((find(e, 31) == NULL) != (find(e, 32) == NULL));
	struct vsi *left = find(e, 31) ? find(e, 31) : find(e, 32);
	assert_int_equal(left->reason, VDP_END_TX_ERROR);
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

static uint32_t index_of(const uint8_t id[16], uint32_t n)
{
	uint8_t x[16];

	for (uint32_t i = 0; i < n; i++) {
		tf_vsiid(i, x);
		if (memcmp(x, id, 16) == 0)
			return i;
	}
	fail_msg("unknown VSIID");
	return 0;
}

/* An unsolicited De-Associate (request, status 0) for VSI i as associate()
 * made it. */
static struct tf_tlv bridge_deassoc(uint32_t i)
{
	struct tf_tlv t = {
		.type = VDP_TLV_DEASSOC, .status = 0, .type_id = 5, .type_version = 4,
		.vsiid_fmt = VDP_VSIID_UUID, .filter_fmt = VDP_FILTER_MAC_VID, .n = 1,
	};

	tf_vsiid(i, t.vsiid);
	tf_mac(i, t.f[0].mac);
	t.f[0].ps_pcp_vid = 100;
	return t;
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
	assert_true(first < N);			/* the rest waits for the ack */
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

/* A response for VSI i (from the last ECPDU) with another type. */
static void respond_as(struct senv *e, uint32_t i, uint8_t type, uint8_t status)
{
	struct tf_tlv t = echo(e, i, status);

	t.type = type;
	inject(e, &t, 1);
}

static void unsolicited_deassoc(struct senv *e, uint32_t i)
{
	struct tf_tlv t = bridge_deassoc(i);

	inject(e, &t, 1);
}

static void assert_state(struct senv *e, uint32_t i, enum vdp_station_state s)
{
	struct vsi *v = find(e, i);

	assert_non_null(v);
	if (v->state != s)
		fail_msg("VSI %u in %s, expected %s", i, vdp_station_state_name(v->state),
			 vdp_station_state_name(s));
}

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
	assert_int_equal(n_ecpdus(e), 1);	/* nothing left for 11 and 12 */
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
	assert_int_equal(request(e, 40, VDP_MODE_ASSOC, 100), 0);	/* in flight: waits */
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
	assert_string_equal(vdp_end_reason_name(v->reason), "internal error (illegal state transition)");
	snprintf(want, sizeof(want), "VSI %s: illegal station transition WAIT_SYSCMD -> ASSOC_COMPL", id);
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
	assert_state(e, 70, VDP_ST_STATION_PROCWAIT);			/* sent again */
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
	assert_int_equal(fakeclock_armed(&e->fc), 1);	/* VSI 70's keep-alive only */
	snprintf(want, sizeof(want), "VSI %s: station machine not stable after 2 steps, in ASSOC_COMPL", id);
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
		cmocka_unit_test(test_assoc_success),
		cmocka_unit_test(test_preassoc_then_assoc),
		cmocka_unit_test(test_keepalive_timing),
		cmocka_unit_test(test_keepalive_spread),
		cmocka_unit_test(test_error_without_keep_then_again),
		cmocka_unit_test(test_error_with_keep),
		cmocka_unit_test(test_keep_returns_to_confirmed),
		cmocka_unit_test(test_hard_error),
		cmocka_unit_test(test_bridge_deassoc),
		cmocka_unit_test(test_out_of_order_unknown_stale),
		cmocka_unit_test(test_timeout_then_rerequest),
		cmocka_unit_test(test_tx_error_ends),
		cmocka_unit_test(test_tx_error_forget_sibling),
		cmocka_unit_test(test_packing),
		cmocka_unit_test(test_link_down_up),
		cmocka_unit_test(test_stale_bridge_deassoc_after_flap),
		cmocka_unit_test(test_deassoc),
		cmocka_unit_test(test_bridge_deassoc_completes_ours),
		cmocka_unit_test(test_vid0_adopted),
		cmocka_unit_test(test_request_while_in_flight),
		cmocka_unit_test(test_more_filters_regrow),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_superseded_more_filters_keep),
		cmocka_unit_test(test_ka_lost_resent),
		cmocka_unit_test(test_transition_table),
		cmocka_unit_test(test_illegal_transition),
		cmocka_unit_test(test_step_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
