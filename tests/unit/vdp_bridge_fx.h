/* test_vdp_bridge*'s fixture: the VDP bridge machine (802.1Qbg-2012 41.5.6)
 * over a real ECP machine, driven by frames of a scripted station on a fake
 * clock; the admit answer is set per test. */
#ifndef TESTS_UNIT_VDP_BRIDGE_FX_H
#define TESTS_UNIT_VDP_BRIDGE_FX_H

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
	uint16_t type_vlan; /* replaces VID 0 */
	size_t n_admit;
	struct vsi *deferred;
	size_t nev;
	enum vdp_bridge_event ev[256];
	struct tf_ecp dec;
	uint64_t expect_illegal; /* checked by benv_free() */
};

#define NBR (VDP_BR_END + 1)
/* Every state change any test made (ops->transition), for the table test. */
static uint32_t bseen[NBR][NBR];

static inline void b_send(void *ctx, const uint8_t *f, size_t len)
{
	struct benv *e = ctx;
	tf_capture_add(&e->cap, f, len, e->fc.now);
}

static inline void b_deliver(void *ctx, uint16_t subtype, const uint8_t *u, size_t len)
{
	struct benv *e = ctx;
	if (subtype == ECP_SUBTYPE_VDP)
		vdp_bridge_rx(&e->br, u, len);
}

static inline void b_tx_done(void *ctx, bool acked)
{
	struct benv *e = ctx;
	vdp_bridge_tx_done(&e->br, acked);
}

static const struct ecp_ops b_ecp_ops = { b_send, b_deliver, b_tx_done };

static inline int b_admit(void *ctx, struct vsi *vsi, const uint8_t m[16],
			  const struct vdp_assoc *req, struct vdp_filter *f, uint16_t n,
			  uint8_t *status)
{
	struct benv *e = ctx;

	assert_memory_equal(m, mgrid, 16);
	assert_int_equal(req->n_filters, n);
	e->n_admit++;
	for (uint16_t i = 0; i < n; i++)
		if (vdp_vid(f[i].ps_pcp_vid) == 0)
			f[i].ps_pcp_vid =
				(uint16_t)((f[i].ps_pcp_vid & ~VDP_VID_MASK) | e->type_vlan);
	*status = e->admit_status;
	if (e->admit_rc == VDP_ADMIT_DEFER)
		e->deferred = vsi;
	return e->admit_rc;
}

static inline void b_event(void *ctx, struct vsi *v, enum vdp_bridge_event ev)
{
	struct benv *e = ctx;
	(void)v;
	assert_true(e->nev < 256);
	e->ev[e->nev++] = ev;
}

static inline void b_transition(void *ctx, const struct vsi *v, uint8_t from, uint8_t to)
{
	(void)ctx;
	assert_int_equal(v->state, to);
	assert_true(to < NBR);
	if (from < NBR) /* else test_illegal_transition's corrupt state */
		bseen[from][to]++;
}

static const struct vdp_bridge_ops b_ops = { b_admit, b_event, b_transition };

static inline struct benv *benv_new(void)
{
	struct benv *e = calloc(1, sizeof(*e));

	fakeclock_init(&e->fc, 1000000);
	assert_int_equal(ecp_init(&e->ecp, &b_ecp_ops, e, fakeclock_vclock(&e->fc), br_mac, 1500),
			 0);
	ecp_set_peer(&e->ecp, st_mac);
	ecp_enable(&e->ecp);
	assert_int_equal(vdp_bridge_init(&e->br, &b_ops, e, fakeclock_vclock(&e->fc), &e->ecp), 0);
	e->type_vlan = 100;
	return e;
}

/* Also the check that no test made an illegal transition (41.5.6 table),
 * unless it meant to. */
static inline void benv_free(struct benv *e)
{
	assert_int_equal(e->br.cnt.illegal_transitions, e->expect_illegal);
	vdp_bridge_destroy(&e->br);
	ecp_free(&e->ecp);
	assert_int_equal(fakeclock_armed(&e->fc), 0);
	fakeclock_destroy(&e->fc);
	tf_capture_free(&e->cap);
	free(e);
}

static inline struct tf_tlv mk(uint32_t i, uint8_t type, uint16_t vid)
{
	struct tf_tlv t = {
		.type = type,
		.type_id = 5,
		.type_version = 4,
		.vsiid_fmt = VDP_VSIID_UUID,
		.filter_fmt = VDP_FILTER_MAC_VID,
		.n = 1,
	};
	tf_vsiid(i, t.vsiid);
	tf_mac(i, t.f[0].mac);
	t.f[0].ps_pcp_vid = vid;
	return t;
}

static inline void send_tlvs(struct benv *e, const struct tf_tlv *t, size_t n)
{
	uint8_t buf[ECP_FRAME_MAX];
	size_t len = tf_build_vdp(buf, st_mac, ++e->sseq, mgrid, t, n);
	ecp_rx(&e->ecp, buf, len);
}

static inline void send1(struct benv *e, uint32_t i, uint8_t type, uint16_t vid)
{
	struct tf_tlv t = mk(i, type, vid);
	send_tlvs(e, &t, 1);
}

static inline size_t n_ecpdus(struct benv *e)
{
	size_t n = 0;
	for (size_t i = 0; i < e->cap.n; i++) {
		struct tf_ecp d;
		assert_int_equal(tf_decode(e->cap.f[i].buf, e->cap.f[i].len, &d), 0);
		n += d.h.op == ECP_OP_REQUEST;
	}
	return n;
}

static inline struct tf_ecp *last(struct benv *e)
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

static inline void ack_last(struct benv *e)
{
	uint8_t buf[ECP_FRAME_MAX];
	size_t n = tf_build_ack(buf, st_mac, last(e)->h.seq);
	ecp_rx(&e->ecp, buf, n);
}

static inline struct vsi *find(struct benv *e, uint32_t i)
{
	uint8_t id[16];
	tf_vsiid(i, id);
	return vdp_bridge_find(&e->br, VDP_VSIID_UUID, id);
}
#endif
