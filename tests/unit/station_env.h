/* The VDP station machine's test bench, shared by the test_vdp_station*
 * files: a station on a fake clock over a real ECP machine whose frames the
 * test captures, acks and answers as a scripted bridge would (responses
 * built with the codec). */
#ifndef TESTS_UNIT_STATION_ENV_H
#define TESTS_UNIT_STATION_ENV_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/engine_frames.h"
#include "tests/unit/fakeclock.h"
#include "vdp/engine/vdp_station.h"

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
	struct tf_ecp dec; /* last decoded */
	uint64_t expect_illegal; /* checked by senv_free() */
	uint32_t forget_pair[2]; /* on a failure of one, forget the other */
	uint64_t *ka_at; /* if set: when each keep-alive was due */
	size_t n_ka;
};

#define NST (VDP_ST_END + 1)
/* Every state change any test made (ops->transition), for the table test. */
static uint32_t seen[NST][NST];

static inline void s_send(void *ctx, const uint8_t *f, size_t len)
{
	struct senv *e = ctx;
	tf_capture_add(&e->cap, f, len, e->fc.now);
}

static inline void s_deliver(void *ctx, uint16_t subtype, const uint8_t *u, size_t len)
{
	struct senv *e = ctx;
	if (subtype == ECP_SUBTYPE_VDP)
		vdp_station_rx(&e->st, u, len);
}

static inline void s_tx_done(void *ctx, bool acked)
{
	struct senv *e = ctx;
	vdp_station_tx_done(&e->st, acked);
}

static const struct ecp_ops s_ecp_ops = { s_send, s_deliver, s_tx_done };

static inline void s_event(void *ctx, struct vsi *v, enum vdp_event ev)
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

static inline void s_transition(void *ctx, const struct vsi *v, uint8_t from, uint8_t to)
{
	struct senv *e = ctx;

	assert_int_equal(v->state, to);
	assert_true(to < NST);
	if (from < NST) /* else test_illegal_transition's corrupt state */
		seen[from][to]++;
	if (e->ka_at && from == VDP_ST_WAIT_SYSCMD && to == VDP_ST_TXMIT_KA)
		e->ka_at[e->n_ka++] = e->fc.now;
}

static const struct vdp_station_ops s_ops = { s_event, s_transition };

static inline struct senv *senv_new(void)
{
	struct senv *e = calloc(1, sizeof(*e));

	fakeclock_init(&e->fc, 1000000);
	assert_int_equal(ecp_init(&e->ecp, &s_ecp_ops, e, fakeclock_vclock(&e->fc), st_mac, 1500),
			 0);
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
static inline void senv_free(struct senv *e)
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

static inline struct vdp_request mkreq(uint32_t i, uint8_t mode, uint16_t vid)
{
	struct vdp_request r = {
		.mode = mode,
		.type_id = 0x000005,
		.type_version = 4,
		.vsiid_fmt = VDP_VSIID_UUID,
		.filter_fmt = VDP_FILTER_MAC_VID,
		.n_filters = 1,
		.filters = filt,
	};
	memcpy(r.mgrid, mgrid, 16);
	tf_vsiid(i, r.vsiid);
	memset(filt, 0, sizeof(filt));
	tf_mac(i, filt[0].mac);
	filt[0].ps_pcp_vid = vid;
	return r;
}

static inline int request(struct senv *e, uint32_t i, uint8_t mode, uint16_t vid)
{
	struct vdp_request r = mkreq(i, mode, vid);
	return vdp_station_request(&e->st, &r);
}

static inline struct vsi *find(struct senv *e, uint32_t i)
{
	uint8_t id[16];
	tf_vsiid(i, id);
	return vdp_station_find(&e->st, VDP_VSIID_UUID, id);
}

/* Number of VDP ECPDUs (requests, not acks) the station sent so far. */
static inline size_t n_ecpdus(struct senv *e)
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
static inline struct tf_ecp *last(struct senv *e)
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

static inline void ack(struct senv *e, uint16_t seq)
{
	uint8_t buf[ECP_FRAME_MAX];
	size_t n = tf_build_ack(buf, br_mac, seq);
	ecp_rx(&e->ecp, buf, n);
}

static inline void ack_last(struct senv *e)
{
	ack(e, last(e)->h.seq);
}

static inline void inject(struct senv *e, const struct tf_tlv *t, size_t n)
{
	uint8_t buf[ECP_FRAME_MAX];
	size_t len = tf_build_vdp(buf, br_mac, ++e->bseq, mgrid, t, n);
	ecp_rx(&e->ecp, buf, len);
}

/* The TLV the station sent for VSI i in the last ECPDU, as a response. */
static inline struct tf_tlv echo(struct senv *e, uint32_t i, uint8_t status)
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

static inline void respond(struct senv *e, uint32_t i, uint8_t status)
{
	struct tf_tlv t = echo(e, i, status);
	inject(e, &t, 1);
}

static inline enum vdp_event last_ev(struct senv *e)
{
	assert_true(e->nev > 0);
	return e->ev[e->nev - 1];
}

/* Request, ack, success response. */
static inline void associate(struct senv *e, uint32_t i, uint8_t mode)
{
	assert_int_equal(request(e, i, mode, 100), 0);
	ack_last(e);
	respond(e, i, VDP_STATUS_RESPONSE);
}

static inline uint32_t index_of(const uint8_t id[16], uint32_t n)
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
static inline struct tf_tlv bridge_deassoc(uint32_t i)
{
	struct tf_tlv t = {
		.type = VDP_TLV_DEASSOC,
		.status = 0,
		.type_id = 5,
		.type_version = 4,
		.vsiid_fmt = VDP_VSIID_UUID,
		.filter_fmt = VDP_FILTER_MAC_VID,
		.n = 1,
	};

	tf_vsiid(i, t.vsiid);
	tf_mac(i, t.f[0].mac);
	t.f[0].ps_pcp_vid = 100;
	return t;
}

/* A response for VSI i (from the last ECPDU) with another type. */
static inline void respond_as(struct senv *e, uint32_t i, uint8_t type, uint8_t status)
{
	struct tf_tlv t = echo(e, i, status);

	t.type = type;
	inject(e, &t, 1);
}

static inline void unsolicited_deassoc(struct senv *e, uint32_t i)
{
	struct tf_tlv t = bridge_deassoc(i);

	inject(e, &t, 1);
}

static inline void assert_state(struct senv *e, uint32_t i, enum vdp_station_state s)
{
	struct vsi *v = find(e, i);

	assert_non_null(v);
	if (v->state != s)
		fail_msg("VSI %u in %s, expected %s", i, vdp_station_state_name(v->state),
			 vdp_station_state_name(s));
}

#endif
