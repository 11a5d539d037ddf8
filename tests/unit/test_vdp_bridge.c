/* VDP bridge machine (802.1Qbg-2012 41.5.6) against a scripted station. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/smcheck.h"
#include "tests/unit/engine_frames.h"
#include "tests/unit/fakeclock.h"
#include "tests/unit/logcap.h"
#include "vdp/engine/vdp_bridge.h"
#include "vdp/wire/vdp_text.h"

static const uint8_t st_mac[6] = { 0x02, 0, 0, 0, 0, 1 };
static const uint8_t br_mac[6] = { 0x02, 0, 0, 0, 0, 2 };
static const uint8_t mgrid[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

struct benv {
	struct fakeclock fc;
	struct ecp ecp;
	struct vdp_bridge br;
	struct tf_capture cap;
	uint16_t sseq;
	/* admit behaviour */
	uint8_t admit_status;
	int admit_rc;
	uint16_t type_vlan;	/* replaces VID 0 */
	size_t n_admit;
	struct vsi *deferred;
	size_t nev;
	enum vdp_bridge_event ev[256];
	struct tf_ecp dec;
	uint64_t expect_illegal;	/* checked by benv_free() */
};

#define NBR (VDP_BR_END + 1)
/* Every state change any test made (ops->transition), for the table test. */
static uint32_t bseen[NBR][NBR];

static void b_send(void *ctx, const uint8_t *f, size_t len)
{
	struct benv *e = ctx;
	tf_capture_add(&e->cap, f, len, e->fc.now);
}

static void b_deliver(void *ctx, uint16_t subtype, const uint8_t *u, size_t len)
{
	struct benv *e = ctx;
	if (subtype == ECP_SUBTYPE_VDP)
		vdp_bridge_rx(&e->br, u, len);
}

static void b_tx_done(void *ctx, bool acked)
{
	struct benv *e = ctx;
	vdp_bridge_tx_done(&e->br, acked);
}

static const struct ecp_ops b_ecp_ops = { b_send, b_deliver, b_tx_done };

static int b_admit(void *ctx, struct vsi *vsi, const uint8_t m[16], const struct vdp_assoc *req,
		   struct vdp_filter *f, uint16_t n, uint8_t *status)
{
	struct benv *e = ctx;

	assert_memory_equal(m, mgrid, 16);
	assert_int_equal(req->n_filters, n);
	e->n_admit++;
	for (uint16_t i = 0; i < n; i++)
		if (vdp_vid(f[i].ps_pcp_vid) == 0)
			f[i].ps_pcp_vid = (uint16_t)((f[i].ps_pcp_vid & ~VDP_VID_MASK) | e->type_vlan);
	*status = e->admit_status;
	if (e->admit_rc == VDP_ADMIT_DEFER)
		e->deferred = vsi;
	return e->admit_rc;
}

static void b_event(void *ctx, struct vsi *v, enum vdp_bridge_event ev)
{
	struct benv *e = ctx;
	(void)v;
	assert_true(e->nev < 256);
	e->ev[e->nev++] = ev;
}

static void b_transition(void *ctx, const struct vsi *v, uint8_t from, uint8_t to)
{
	(void)ctx;
	assert_int_equal(v->state, to);
	assert_true(to < NBR);
	if (from < NBR)		/* else test_illegal_transition's corrupt state */
		bseen[from][to]++;
}

static const struct vdp_bridge_ops b_ops = { b_admit, b_event, b_transition };

static struct benv *benv_new(void)
{
	struct benv *e = calloc(1, sizeof(*e));

	fakeclock_init(&e->fc, 1000000);
	assert_int_equal(ecp_init(&e->ecp, &b_ecp_ops, e, fakeclock_vclock(&e->fc), br_mac, 1500), 0);
	ecp_set_peer(&e->ecp, st_mac);
	ecp_enable(&e->ecp);
	assert_int_equal(vdp_bridge_init(&e->br, &b_ops, e, fakeclock_vclock(&e->fc), &e->ecp), 0);
	e->type_vlan = 100;
	return e;
}

/* Also the check that no test made an illegal transition (41.5.6 table),
 * unless it meant to. */
static void benv_free(struct benv *e)
{
	assert_int_equal(e->br.cnt.illegal_transitions, e->expect_illegal);
	vdp_bridge_destroy(&e->br);
	ecp_free(&e->ecp);
	assert_int_equal(fakeclock_armed(&e->fc), 0);
	fakeclock_destroy(&e->fc);
	tf_capture_free(&e->cap);
	free(e);
}

static struct tf_tlv mk(uint32_t i, uint8_t type, uint16_t vid)
{
	struct tf_tlv t = {
		.type = type, .type_id = 5, .type_version = 4, .vsiid_fmt = VDP_VSIID_UUID,
		.filter_fmt = VDP_FILTER_MAC_VID, .n = 1,
	};
	tf_vsiid(i, t.vsiid);
	tf_mac(i, t.f[0].mac);
	t.f[0].ps_pcp_vid = vid;
	return t;
}

static void send_tlvs(struct benv *e, const struct tf_tlv *t, size_t n)
{
	uint8_t buf[ECP_FRAME_MAX];
	size_t len = tf_build_vdp(buf, st_mac, ++e->sseq, mgrid, t, n);
	ecp_rx(&e->ecp, buf, len);
}

static void send1(struct benv *e, uint32_t i, uint8_t type, uint16_t vid)
{
	struct tf_tlv t = mk(i, type, vid);
	send_tlvs(e, &t, 1);
}

static size_t n_ecpdus(struct benv *e)
{
	size_t n = 0;
	for (size_t i = 0; i < e->cap.n; i++) {
		struct tf_ecp d;
		assert_int_equal(tf_decode(e->cap.f[i].buf, e->cap.f[i].len, &d), 0);
		n += d.h.op == ECP_OP_REQUEST;
	}
	return n;
}

static struct tf_ecp *last(struct benv *e)
{
	for (size_t i = e->cap.n; i-- > 0;) {
		assert_int_equal(tf_decode(e->cap.f[i].buf, e->cap.f[i].len, &e->dec), 0);
		if (e->dec.h.op == ECP_OP_REQUEST) {
			assert_true(e->dec.has_vdp);
			assert_memory_equal(e->dec.pdu.mgrid, mgrid, 16);
			return &e->dec;
		}
	}
	fail_msg("no ECPDU");
	return NULL;
}

static void ack_last(struct benv *e)
{
	uint8_t buf[ECP_FRAME_MAX];
	size_t n = tf_build_ack(buf, st_mac, last(e)->h.seq);
	ecp_rx(&e->ecp, buf, n);
}

static struct vsi *find(struct benv *e, uint32_t i)
{
	uint8_t id[16];
	tf_vsiid(i, id);
	return vdp_bridge_find(&e->br, VDP_VSIID_UUID, id);
}

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
	send1(e, 1, VDP_TLV_ASSOC, 10);			/* keep-alive */
	assert_int_equal(e->br.cnt.keepalives, 1);
	ack_last(e);
	send1(e, 1, VDP_TLV_ASSOC, 11);			/* change */
	assert_int_equal(e->n_admit, 2);
	ack_last(e);
	send1(e, 1, VDP_TLV_DEASSOC, 11);
	assert_null(find(e, 1));
	ack_last(e);
	send1(e, 2, VDP_TLV_DEASSOC, 10);		/* unknown */
	assert_null(find(e, 2));
	ack_last(e);
	e->admit_status = VDP_R_INSUFFICIENT_RESOURCES;
	send1(e, 3, VDP_TLV_ASSOC, 10);			/* refused */
	assert_null(find(e, 3));
	ack_last(e);
	e->admit_status = 0;
	send1(e, 4, VDP_TLV_ASSOC, 10);
	ack_last(e);
	e->admit_status = VDP_STATUS_KEEP | VDP_R_OTHER_FAILURE;
	send1(e, 4, VDP_TLV_ASSOC, 11);			/* Keep, reply leaves at once */
	assert_bstate(e, 4, B(WAITCMD));
	ack_last(e);
	e->admit_status = 0;
	fakeclock_advance(&e->fc, vdp_bridge_keepalive_timeout_us(&e->br));
	assert_null(find(e, 4));			/* toutKeepAlive */
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
	assert_bstate(e, 6, B(WAITCMD));		/* kept */
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
	send1(e, 20, VDP_TLV_ASSOC, 10);		/* its reply keeps ECP busy */
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
	assert_int_equal(last(e)->tlvs[0].assoc.status, 0);	/* unsolicited */
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
	send1(e, 40, VDP_TLV_ASSOC, 10);		/* admitted; reply not acked */
	v = find(e, 40);
	assert_int_equal(v->state, B(WAITCMD));
	e->admit_status = VDP_STATUS_KEEP | VDP_R_OTHER_FAILURE;
	send1(e, 40, VDP_TLV_ASSOC, 11);		/* refused, Keep reply waits */
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
	snprintf(want, sizeof(want), "VSI %s: bridge machine not stable after 2 steps, in SEND", id);
	if (!strstr(log, want))
		fail_msg("log lacks \"%s\": %s", want, log);
	assert_int_equal(last(e)->tlvs[0].type, VDP_TLV_DEASSOC);
	assert_int_equal(last(e)->tlvs[0].assoc.status, 0);	/* unsolicited */
	ack_last(e);
	e->br.step_cap = VDP_BRIDGE_STEP_CAP;
	e->expect_illegal = 1;
	benv_free(e);
}
#undef B

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
		cmocka_unit_test(test_transition_table),
		cmocka_unit_test(test_illegal_transition),
		cmocka_unit_test(test_step_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
