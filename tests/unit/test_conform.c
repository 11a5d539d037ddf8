/* Conformance cases of 802.1Qbg-2012 clause 41 beyond the plain exchanges:
 * the bridge's priority (41.2.9), a keep-alive refused with and without
 * Keep (a profile revoked from a running VSI, 41.2.4 / 41.5.6), several
 * filter entries with the null VID, repeated identical requests while
 * confirmed and pre-association with resource reservation.  Station and
 * bridge engines back to back on one fake clock; every frame on the wire
 * is kept, and the TLVs that matter are checked octet by octet. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/engine_frames.h"
#include "tests/unit/fakeclock.h"
#include "tools/vdp-bridge/typedb.h"
#include "lldp/evb.h"
#include "lldp/lldp.h"
#include "vdp/engine/vdp_bridge.h"
#include "vdp/engine/vdp_station.h"

static const uint8_t s_mac[6] = { 0x02, 0, 0, 0, 0, 0x51 };
static const uint8_t b_mac[6] = { 0x02, 0, 0, 0, 0, 0xb1 };
static const uint8_t mgrid[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

#define MAXQ 256
#define MAXEV 64

struct pair {
	struct fakeclock fc;
	struct ecp s_ecp, b_ecp;
	struct vdp_station st;
	struct vdp_bridge br;
	struct tf_capture wire; /* every frame, both directions */
	uint8_t to_bridge[MAXQ]; /* per captured frame */
	size_t delivered;
	/* the bridge's VSI manager */
	int pcp; /* >= 0: answer PS=1 with this PCP */
	uint16_t vlan; /* answer for VID 0 */
	uint8_t status; /* answer */
	bool recheck; /* decide keep-alives again */
	bool cut; /* frames to the bridge are lost */
	size_t n_admit;
	enum vdp_event ev[MAXEV];
	size_t nev;
};

static void s_send(void *ctx, const uint8_t *f, size_t len)
{
	struct pair *p = ctx;
	assert_true(p->wire.n < MAXQ);
	p->to_bridge[p->wire.n] = 1;
	tf_capture_add(&p->wire, f, len, p->fc.now);
}

static void b_send(void *ctx, const uint8_t *f, size_t len)
{
	struct pair *p = ctx;
	assert_true(p->wire.n < MAXQ);
	p->to_bridge[p->wire.n] = 0;
	tf_capture_add(&p->wire, f, len, p->fc.now);
}

static void s_deliver(void *ctx, uint16_t subtype, const uint8_t *u, size_t len)
{
	struct pair *p = ctx;
	if (subtype == ECP_SUBTYPE_VDP)
		vdp_station_rx(&p->st, u, len);
}

static void b_deliver(void *ctx, uint16_t subtype, const uint8_t *u, size_t len)
{
	struct pair *p = ctx;
	if (subtype == ECP_SUBTYPE_VDP)
		vdp_bridge_rx(&p->br, u, len);
}

static void s_done(void *ctx, bool acked)
{
	vdp_station_tx_done(&((struct pair *)ctx)->st, acked);
}

static void b_done(void *ctx, bool acked)
{
	vdp_bridge_tx_done(&((struct pair *)ctx)->br, acked);
}

static const struct ecp_ops s_ecp_ops = { s_send, s_deliver, s_done };
static const struct ecp_ops b_ecp_ops = { b_send, b_deliver, b_done };

static void st_event(void *ctx, struct vsi *v, enum vdp_event ev)
{
	struct pair *p = ctx;
	(void)v;
	assert_true(p->nev < MAXEV);
	p->ev[p->nev++] = ev;
}

static int admit(void *ctx, struct vsi *v, const uint8_t m[16], const struct vdp_assoc *req,
		 struct vdp_filter *f, uint16_t n, uint8_t *status)
{
	struct pair *p = ctx;
	(void)v;
	(void)m;
	(void)req;
	p->n_admit++;
	for (uint16_t i = 0; i < n; i++) {
		uint16_t w = f[i].ps_pcp_vid;
		if (vdp_vid(w) == 0)
			w = (uint16_t)((w & ~VDP_VID_MASK) | p->vlan);
		if (p->pcp >= 0)
			w = (uint16_t)((w & VDP_VID_MASK) | VDP_PS | (p->pcp << VDP_PCP_SHIFT));
		f[i].ps_pcp_vid = w;
	}
	*status = p->status;
	return VDP_ADMIT_DONE;
}

static bool recheck(void *ctx, const struct vsi *v)
{
	(void)v;
	return ((struct pair *)ctx)->recheck;
}

static const struct vdp_station_ops st_ops = { st_event };
static const struct vdp_bridge_ops br_ops = { .admit = admit, .recheck = recheck };

/* Filter format of request_n(); every test starts with MAC/VID. */
static uint8_t req_fmt = VDP_FILTER_MAC_VID;

static struct pair *pair_new(void)
{
	struct pair *p = calloc(1, sizeof(*p));
	struct vclock *c;

	assert_non_null(p);
	fakeclock_init(&p->fc, 1000000);
	c = fakeclock_vclock(&p->fc);
	p->pcp = -1;
	p->vlan = 100;
	req_fmt = VDP_FILTER_MAC_VID;
	assert_int_equal(ecp_init(&p->s_ecp, &s_ecp_ops, p, c, s_mac, 1500), 0);
	assert_int_equal(ecp_init(&p->b_ecp, &b_ecp_ops, p, c, b_mac, 1500), 0);
	assert_int_equal(vdp_station_init(&p->st, &st_ops, p, c, &p->s_ecp), 0);
	assert_int_equal(vdp_bridge_init(&p->br, &br_ops, p, c, &p->b_ecp), 0);
	ecp_set_peer(&p->s_ecp, b_mac);
	ecp_set_peer(&p->b_ecp, s_mac);
	ecp_enable(&p->s_ecp);
	ecp_enable(&p->b_ecp);
	/* R 3, RTE 8, RWD 14, RKA 14: keep-alives every 163.84 ms */
	ecp_set_params(&p->s_ecp, 3, 8);
	ecp_set_params(&p->b_ecp, 3, 8);
	vdp_station_set_params(&p->st, 3, 8, 14, 14);
	vdp_bridge_set_params(&p->br, 3, 8, 14, 14);
	return p;
}

static void pair_free(struct pair *p)
{
	assert_int_equal(p->st.cnt.illegal_transitions, 0);
	assert_int_equal(p->br.cnt.illegal_transitions, 0);
	vdp_station_destroy(&p->st);
	vdp_bridge_destroy(&p->br);
	ecp_free(&p->s_ecp);
	ecp_free(&p->b_ecp);
	fakeclock_destroy(&p->fc);
	tf_capture_free(&p->wire);
	free(p);
}

/* Delivers every frame not yet delivered, in order. */
static void pump(struct pair *p)
{
	while (p->delivered < p->wire.n) {
		size_t i = p->delivered++;
		if (p->cut && p->to_bridge[i])
			continue;
		ecp_rx(p->to_bridge[i] ? &p->b_ecp : &p->s_ecp, p->wire.f[i].buf, p->wire.f[i].len);
	}
}

static void run_for(struct pair *p, uint64_t us)
{
	uint64_t end = p->fc.now + us;

	for (;;) {
		pump(p);
		if (fakeclock_next_deadline(&p->fc) > end)
			break;
		fakeclock_run_next(&p->fc);
	}
	fakeclock_advance(&p->fc, end - p->fc.now);
	pump(p);
}

static int request_n(struct pair *p, uint32_t i, uint8_t mode, const struct vdp_filter *f,
		     uint16_t n)
{
	struct vdp_request r = {
		.mode = mode,
		.type_id = 5,
		.type_version = 4,
		.vsiid_fmt = VDP_VSIID_UUID,
		.filter_fmt = req_fmt,
		.n_filters = n,
		.filters = f,
	};
	int rc;

	memcpy(r.mgrid, mgrid, 16);
	tf_vsiid(i, r.vsiid);
	rc = vdp_station_request(&p->st, &r);
	pump(p);
	return rc;
}

static int request(struct pair *p, uint32_t i, uint8_t mode, uint16_t word)
{
	struct vdp_filter f = { .ps_pcp_vid = word };

	tf_mac(i, f.mac);
	return request_n(p, i, mode, &f, 1);
}

static struct vsi *st_vsi(struct pair *p, uint32_t i)
{
	uint8_t id[16];
	tf_vsiid(i, id);
	return vdp_station_find(&p->st, VDP_VSIID_UUID, id);
}

static struct vsi *br_vsi(struct pair *p, uint32_t i)
{
	uint8_t id[16];
	tf_vsiid(i, id);
	return vdp_bridge_find(&p->br, VDP_VSIID_UUID, id);
}

/* The association TLV (header included) of the last VDP request frame
 * sent towards the bridge (to_bridge) or the station; NULL if none. */
static const uint8_t *last_tlv(struct pair *p, bool to_bridge, size_t *len)
{
	for (size_t i = p->wire.n; i-- > 0;) {
		const uint8_t *f = p->wire.f[i].buf;
		size_t flen = p->wire.f[i].len;

		if (p->to_bridge[i] != to_bridge || flen < 14 + 4 + 18 + 2)
			continue;
		if (f[12] != 0x89 || f[13] != 0x40 || (f[14] & 0x0c) != 0) /* ECP request */
			continue;
		/* after the 18-octet Manager ID TLV */
		const uint8_t *t = f + 14 + 4 + 18;
		*len = 2 + (size_t)(((t[0] & 1) << 8) | t[1]);
		return t;
	}
	return NULL;
}

/* Expected association TLV for VSI i with one MAC/VID entry. */
static size_t tlv_bytes(uint8_t *b, uint8_t type, uint8_t status, uint32_t i, uint16_t word)
{
	b[0] = (uint8_t)(type << 1);
	b[1] = 25 + 8;
	b[2] = status;
	b[3] = 0, b[4] = 0, b[5] = 5; /* type ID 5 */
	b[6] = 4; /* version */
	b[7] = VDP_VSIID_UUID;
	tf_vsiid(i, b + 8);
	b[24] = VDP_FILTER_MAC_VID;
	b[25] = 0, b[26] = 1;
	tf_mac(i, b + 27);
	b[33] = (uint8_t)(word >> 8), b[34] = (uint8_t)word;
	return 35;
}

static void assert_last_tlv(struct pair *p, bool to_bridge, uint8_t type, uint8_t status,
			    uint32_t i, uint16_t word)
{
	uint8_t want[64];
	size_t n = tlv_bytes(want, type, status, i, word), len = 0;
	const uint8_t *got = last_tlv(p, to_bridge, &len);

	assert_non_null(got);
	assert_int_equal(len, n);
	assert_memory_equal(got, want, n);
}

static bool has_ev(struct pair *p, enum vdp_event ev)
{
	for (size_t i = 0; i < p->nev; i++)
		if (p->ev[i] == ev)
			return true;
	return false;
}

#define KA_US 200000 /* more than one reinitKeepAlive (163.84 ms) + round trip */

/* ---- 1. the bridge's priority (41.2.9) */

/* No priority asked for (PS 0): the bridge sets PCP 3, the station takes
 * it and its keep-alives carry PS 1, PCP 3; the bridge answers those at
 * once (no new decision). */
static void test_pcp_set_by_bridge(void **state)
{
	(void)state;
	struct pair *p = pair_new();
	struct vsi *v;

	p->pcp = 3;
	assert_int_equal(request(p, 1, VDP_MODE_ASSOC, 100), 0);
	assert_last_tlv(p, false, VDP_TLV_ASSOC, 0x40, 1, 0xB064); /* answer: PS 1 PCP 3 VID 100 */
	v = st_vsi(p, 1);
	assert_int_equal(v->mode_cur, VDP_MODE_ASSOC);
	assert_int_equal(v->filters[0].f.ps_pcp_vid, 0xB064);
	assert_int_equal(p->ev[0], VDP_EV_VID_ASSIGNED); /* filters updated */
	assert_int_equal(p->ev[1], VDP_EV_ASSOCIATED);
	run_for(p, KA_US);
	assert_last_tlv(p, true, VDP_TLV_ASSOC, 0x00, 1, 0xB064); /* keep-alive */
	assert_int_equal(p->br.cnt.keepalives, 1);
	assert_int_equal(p->n_admit, 1);
	assert_int_equal(p->st.cnt.resp_mismatch, 0);
	pair_free(p);
}

/* PCP 5 asked for (PS 1), the bridge answers PCP 3: not an answer to the
 * request; counted and ignored, the response wait ends the VSI. */
static void test_pcp_changed_refused(void **state)
{
	(void)state;
	struct pair *p = pair_new();
	struct vsi *v;

	p->pcp = 3;
	assert_int_equal(request(p, 2, VDP_MODE_ASSOC, 0xD064), 0); /* PS 1 PCP 5 VID 100 */
	assert_last_tlv(p, true, VDP_TLV_ASSOC, 0x00, 2, 0xD064);
	assert_last_tlv(p, false, VDP_TLV_ASSOC, 0x40, 2, 0xB064);
	v = st_vsi(p, 2);
	assert_int_equal(p->st.cnt.resp_mismatch, 1);
	assert_int_equal(v->mode_cur, VDP_MODE_NONE);
	assert_false(has_ev(p, VDP_EV_ASSOCIATED));
	run_for(p, 2000000);
	assert_int_equal(v->state, VDP_ST_END);
	assert_int_equal(v->reason, VDP_END_TIMEOUT);
	assert_int_equal(p->ev[p->nev - 1], VDP_EV_FAILED);
	pair_free(p);
}

/* The same PCP asked for and answered: associated, nothing adopted. */
static void test_pcp_asked_and_given(void **state)
{
	(void)state;
	struct pair *p = pair_new();

	p->pcp = 5;
	assert_int_equal(request(p, 3, VDP_MODE_ASSOC, 0xD064), 0);
	assert_last_tlv(p, false, VDP_TLV_ASSOC, 0x40, 3, 0xD064);
	assert_int_equal(st_vsi(p, 3)->mode_cur, VDP_MODE_ASSOC);
	assert_false(has_ev(p, VDP_EV_VID_ASSIGNED));
	pair_free(p);
}

/* Bridge: a request asking for another priority than the confirmed one
 * is a change (a new decision), one asking for none is a keep-alive. */
static void test_bridge_keepalive_pcp(void **state)
{
	(void)state;
	struct pair *p = pair_new();
	struct tf_tlv t = { .type = VDP_TLV_ASSOC,
			    .type_id = 5,
			    .type_version = 4,
			    .vsiid_fmt = VDP_VSIID_UUID,
			    .filter_fmt = VDP_FILTER_MAC_VID,
			    .n = 1 };
	uint8_t buf[ECP_FRAME_MAX];
	size_t len;

	assert_int_equal(request(p, 4, VDP_MODE_ASSOC, 0xB064), 0); /* PS 1 PCP 3 */
	assert_int_equal(p->n_admit, 1);
	tf_vsiid(4, t.vsiid);
	tf_mac(4, t.f[0].mac);
	/* the same entry without priority: keep-alive (ALIVE) */
	t.f[0].ps_pcp_vid = 100;
	len = tf_build_vdp(buf, s_mac, 0x4001, mgrid, &t, 1);
	ecp_rx(&p->b_ecp, buf, len);
	pump(p);
	assert_int_equal(p->br.cnt.keepalives, 1);
	assert_int_equal(p->n_admit, 1);
	assert_last_tlv(p, false, VDP_TLV_ASSOC, 0x40, 4, 0xB064); /* the confirmed priority */
	/* PCP 4 asked for: a change, decided again */
	t.f[0].ps_pcp_vid = 0xC064;
	len = tf_build_vdp(buf, s_mac, 0x4002, mgrid, &t, 1);
	ecp_rx(&p->b_ecp, buf, len);
	pump(p);
	assert_int_equal(p->br.cnt.keepalives, 1);
	assert_int_equal(p->n_admit, 2);
	assert_last_tlv(p, false, VDP_TLV_ASSOC, 0x40, 4, 0xC064);
	assert_int_equal(br_vsi(p, 4)->filters[0].f.ps_pcp_vid, 0xC064);
	pair_free(p);
}

/* ---- 2. a keep-alive refused (profile revoked from a running VSI) */

static void test_keepalive_refused_without_keep(void **state)
{
	(void)state;
	struct pair *p = pair_new();
	struct vsi *v;

	assert_int_equal(request(p, 5, VDP_MODE_ASSOC, 100), 0);
	v = st_vsi(p, 5);
	assert_int_equal(v->mode_cur, VDP_MODE_ASSOC);
	p->recheck = true;
	p->status = VDP_R_INSUFFICIENT_RESOURCES;
	run_for(p, KA_US);
	/* keep-alive, then a De-Associate carrying the error */
	assert_last_tlv(p, true, VDP_TLV_ASSOC, 0x00, 5, 100);
	assert_last_tlv(p, false, VDP_TLV_DEASSOC, 0x42, 5, 100);
	assert_int_equal(p->n_admit, 2);
	assert_null(br_vsi(p, 5));
	assert_int_equal(v->state, VDP_ST_END);
	assert_int_equal(v->reason, VDP_END_REJECTED);
	assert_int_equal(v->status, 0x42);
	assert_int_equal(p->ev[p->nev - 1], VDP_EV_FAILED);
	/* nothing more on the wire: no keep-alive of an ended VSI */
	size_t n = p->wire.n;
	run_for(p, 3 * KA_US);
	assert_int_equal(p->wire.n, n);
	pair_free(p);
}

static void test_keepalive_refused_with_keep(void **state)
{
	(void)state;
	struct pair *p = pair_new();
	struct vsi *v;

	assert_int_equal(request(p, 6, VDP_MODE_ASSOC, 100), 0);
	v = st_vsi(p, 6);
	p->recheck = true;
	p->status = VDP_STATUS_KEEP | VDP_R_UNABLE_TO_CONTACT_MANAGER;
	run_for(p, KA_US);
	assert_last_tlv(p, false, VDP_TLV_ASSOC, 0x63, 6, 100);
	assert_int_equal(p->ev[p->nev - 1], VDP_EV_KEPT);
	assert_int_equal(v->mode_cur, VDP_MODE_ASSOC);
	assert_int_equal(v->state, VDP_ST_WAIT_SYSCMD);
	assert_int_equal(br_vsi(p, 6)->mode_cur, VDP_MODE_ASSOC);
	/* the manager answers again: the next keep-alive is confirmed */
	p->status = 0;
	run_for(p, KA_US);
	assert_last_tlv(p, false, VDP_TLV_ASSOC, 0x40, 6, 100);
	assert_int_equal(p->ev[p->nev - 1], VDP_EV_KEEPALIVE_OK);
	pair_free(p);
}

/* ---- 3. several filter entries with the null VID */

static void test_several_vid0_replaced(void **state)
{
	(void)state;
	struct pair *p = pair_new();
	struct vdp_filter f[3] = { { .ps_pcp_vid = 0 }, { .ps_pcp_vid = 0 }, { .ps_pcp_vid = 0 } };
	struct vsi *v;
	const uint8_t *t;
	size_t len;

	for (int i = 0; i < 3; i++)
		tf_mac(70 + (uint32_t)i, f[i].mac);
	p->vlan = 10;
	assert_int_equal(request_n(p, 7, VDP_MODE_ASSOC, f, 3), 0);
	v = st_vsi(p, 7);
	assert_int_equal(v->mode_cur, VDP_MODE_ASSOC);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(v->filters[i].f.ps_pcp_vid, 10);
		assert_ptr_equal(vdp_station_find_mac(&p->st, f[i].mac, 10), v);
		assert_null(vdp_station_find_mac(&p->st, f[i].mac, 0));
	}
	/* the answer's entries: three times MAC + 00 0A */
	t = last_tlv(p, false, &len);
	assert_non_null(t);
	assert_int_equal(len, 2 + 25 + 3 * 8);
	for (int i = 0; i < 3; i++) {
		assert_memory_equal(t + 27 + 8 * i, f[i].mac, 6);
		assert_int_equal(t[27 + 8 * i + 6], 0x00);
		assert_int_equal(t[27 + 8 * i + 7], 0x0A);
	}
	pair_free(p);
}

/* Station: VID 0 next to another VID is refused locally, nothing sent;
 * a De-Associate is never refused for it. */
static void test_vid0_mixed_refused(void **state)
{
	(void)state;
	struct pair *p = pair_new();
	struct vdp_filter f[2] = { { .ps_pcp_vid = 0 }, { .ps_pcp_vid = 10 } };
	uint64_t tx = p->st.cnt.ecpdu_tx;

	tf_mac(80, f[0].mac);
	tf_mac(81, f[1].mac);
	assert_int_equal(request_n(p, 11, VDP_MODE_ASSOC, f, 2), -EINVAL);
	assert_non_null(strstr(
		vdp_station_request_check(&p->st,
					  &(struct vdp_request){ .mode = VDP_MODE_ASSOC,
								 .filter_fmt = VDP_FILTER_MAC_VID,
								 .n_filters = 2,
								 .filters = f }),
		"VID 0"));
	assert_null(st_vsi(p, 11));
	assert_int_equal(p->st.cnt.ecpdu_tx, tx);
	assert_int_equal(p->wire.n, 0);
	pair_free(p);
}

/* Bridge type database: the same cases as the bridge's VSI manager sees
 * them (a station not checking them, e.g. lldpad's vdptool). */
static void test_typedb_mixed_and_repeated(void **state)
{
	(void)state;
	struct typedb db;
	struct typedb_type t;
	struct vdp_filter f[2];
	struct vdp_assoc a = { .type = VDP_TLV_ASSOC,
			       .type_id = 5,
			       .type_version = 4,
			       .filter_fmt = VDP_FILTER_MAC_VID,
			       .n_filters = 2 };
	struct typedb_req r = { .mgrid = mgrid, .req = &a, .filters = f, .n = 2, .is_new = true };
	const char *why;

	typedb_init(&db);
	typedb_type_init(&t);
	t.type_id = 5;
	t.any_version = t.any_mgrid = true;
	t.vlan = 10;
	t.n_vlans = 1;
	t.vlans[0] = 11;
	assert_int_equal(typedb_add(&db, &t), 0);
	/* VID 0 and VID 11: refused, 5 */
	memset(f, 0, sizeof(f));
	tf_mac(1, f[0].mac);
	tf_mac(2, f[1].mac);
	f[1].ps_pcp_vid = 11;
	assert_int_equal(typedb_decide(&db, &r, &why), VDP_R_INVALID_VID_GROUP_MAC);
	assert_string_equal(why, "VID 0 mixed with other VIDs");
	/* same MAC, VID 0 and VID 10 (= the type VLAN): one filter twice */
	tf_mac(1, f[1].mac);
	f[1].ps_pcp_vid = 10;
	f[0].ps_pcp_vid = 10;
	assert_int_equal(typedb_decide(&db, &r, &why), VDP_R_INVALID_VID_GROUP_MAC);
	assert_string_equal(why, "two filter entries name the same MAC/group and VID");
	f[0].ps_pcp_vid = 0;
	f[1].ps_pcp_vid = 0;
	assert_int_equal(typedb_decide(&db, &r, &why), VDP_R_INVALID_VID_GROUP_MAC);
	/* same MAC on two VLANs: admitted */
	f[0].ps_pcp_vid = 10;
	f[1].ps_pcp_vid = 11;
	assert_int_equal(typedb_decide(&db, &r, &why), VDP_R_SUCCESS);
	/* a change of an associated VSI: the same refusal with Keep */
	r.is_new = false;
	f[1].ps_pcp_vid = 0;
	assert_int_equal(typedb_decide(&db, &r, &why),
			 VDP_STATUS_KEEP | VDP_R_INVALID_VID_GROUP_MAC);
	typedb_free(&db);
}

/* ---- 5. group-ID filters and the EVB group-ID negotiation, station side */

static void test_group_filters_need_gid(void **state)
{
	(void)state;
	struct pair *p = pair_new();
	struct vdp_filter f[2] = { { .group_id = 0x01020304 }, { .group_id = 0x01020305 } };
	const uint8_t *t;
	size_t len;

	tf_mac(90, f[0].mac);
	tf_mac(91, f[1].mac);
	req_fmt = VDP_FILTER_GROUP_MAC_VID;
	/* EVB said no group IDs: refused, nothing sent */
	vdp_station_set_gid(&p->st, false);
	assert_int_equal(request_n(p, 12, VDP_MODE_ASSOC, f, 2), -EOPNOTSUPP);
	assert_null(st_vsi(p, 12));
	assert_int_equal(p->wire.n, 0);
	/* negotiated: sent, both VID 0 entries replaced by the bridge */
	vdp_station_set_gid(&p->st, true);
	p->vlan = 20;
	assert_int_equal(request_n(p, 12, VDP_MODE_ASSOC, f, 2), 0);
	assert_int_equal(st_vsi(p, 12)->mode_cur, VDP_MODE_ASSOC);
	t = last_tlv(p, false, &len);
	assert_non_null(t);
	assert_int_equal(len, 2 + 25 + 2 * 12);
	static const uint8_t e0[12] = {
		0x01, 0x02, 0x03, 0x04, 0x52, 0x54, 0, 0, 0, 90, 0x00, 0x14
	};
	static const uint8_t e1[12] = {
		0x01, 0x02, 0x03, 0x05, 0x52, 0x54, 0, 0, 0, 91, 0x00, 0x14
	};
	assert_int_equal(t[24], VDP_FILTER_GROUP_MAC_VID);
	assert_memory_equal(t + 27, e0, 12);
	assert_memory_equal(t + 39, e1, 12);
	assert_int_equal(vdp_vid(st_vsi(p, 12)->filters[1].f.ps_pcp_vid), 20);
	req_fmt = VDP_FILTER_MAC_VID;
	pair_free(p);
}

/* ---- 4. EVB values raised by the bridge reach ECP and VDP */

/* The bridge's EVB TLV (R 5, RTE 12, RWD 14, RKA 14, RR): the operative
 * values are the larger ones; with them in ECP a lost ECPDU is sent
 * 1 + 5 times, 40.96 ms apart, the same octets each time, then the VSI
 * ends with an ECP error. */
static void test_evb_raised_r_rte(void **state)
{
	(void)state;
	static const uint8_t bridge_tlv[] = { 0xfe, 0x09, 0x00, 0x80, 0xc2, 0x0d,
					      0x03, 0x00, 0xac, 0x4e, 0x0e };
	struct pair *p = pair_new();
	struct evb_config c;
	struct evb e;
	struct evb_tlv peer;
	size_t first, n = 0;

	evb_config_default(&c, EVB_MODE_STATION);
	c.rwd = c.rka = 14;
	evb_init(&e, &c);
	assert_int_equal(evb_info_decode(bridge_tlv + 2, sizeof(bridge_tlv) - 2, &peer), CODEC_OK);
	assert_true(evb_rx(&e, &peer));
	assert_int_equal(e.oper.r, 5);
	assert_int_equal(e.oper.rte, 12);
	/* what the uplink does with them (uplink_apply_oper) */
	ecp_set_params(&p->s_ecp, e.oper.r, e.oper.rte);
	vdp_station_set_params(&p->st, e.oper.r, e.oper.rte, e.oper.rwd, e.oper.rka);
	vdp_station_set_gid(&p->st, e.oper.gid);
	p->cut = true;
	first = p->wire.n;
	assert_int_equal(request(p, 13, VDP_MODE_ASSOC, 100), 0);
	run_for(p, 1000000);
	for (size_t i = first; i < p->wire.n; i++) {
		if (!p->to_bridge[i])
			continue;
		assert_int_equal(p->wire.f[i].len, p->wire.f[first].len);
		assert_memory_equal(p->wire.f[i].buf, p->wire.f[first].buf, p->wire.f[first].len);
		assert_int_equal(p->wire.f[i].time - p->wire.f[first].time, n * 40960);
		n++;
	}
	assert_int_equal(n, 6);
	assert_int_equal(p->s_ecp.cnt.tx_retrans, 5);
	assert_int_equal(st_vsi(p, 13)->reason, VDP_END_TX_ERROR);
	pair_free(p);
}

/* ---- 6. repeated identical requests while confirmed; PREASSOC_RR */

/* ASSOC, ASSOC again: sent again (localChange in WAIT_SYSCMD, 41.5.5),
 * answered by the bridge as a keep-alive (same mode, 41.5.6 ALIVE), no
 * new resource decision, the station confirmed again. */
static void test_assoc_twice(void **state)
{
	(void)state;
	struct pair *p = pair_new();
	uint64_t tlv;

	assert_int_equal(request(p, 8, VDP_MODE_ASSOC, 100), 0);
	tlv = p->st.cnt.tlv_tx;
	assert_int_equal(request(p, 8, VDP_MODE_ASSOC, 100), 0);
	assert_int_equal(p->st.cnt.tlv_tx, tlv + 1);
	assert_last_tlv(p, true, VDP_TLV_ASSOC, 0x00, 8, 100);
	assert_last_tlv(p, false, VDP_TLV_ASSOC, 0x40, 8, 100);
	assert_int_equal(p->n_admit, 1);
	assert_int_equal(p->br.cnt.keepalives, 1);
	assert_int_equal(st_vsi(p, 8)->mode_cur, VDP_MODE_ASSOC);
	assert_int_equal(st_vsi(p, 8)->state, VDP_ST_WAIT_SYSCMD);
	assert_int_equal(p->ev[p->nev - 1], VDP_EV_ASSOCIATED);
	pair_free(p);
}

static void test_preassoc_twice(void **state)
{
	(void)state;
	struct pair *p = pair_new();

	assert_int_equal(request(p, 9, VDP_MODE_PREASSOC, 100), 0);
	assert_int_equal(request(p, 9, VDP_MODE_PREASSOC, 100), 0);
	assert_last_tlv(p, true, VDP_TLV_PREASSOC, 0x00, 9, 100);
	assert_last_tlv(p, false, VDP_TLV_PREASSOC, 0x40, 9, 100);
	assert_int_equal(p->n_admit, 1);
	assert_int_equal(p->br.cnt.keepalives, 1);
	assert_int_equal(st_vsi(p, 9)->mode_cur, VDP_MODE_PREASSOC);
	assert_int_equal(p->ev[0], VDP_EV_PREASSOCIATED);
	assert_int_equal(p->ev[1], VDP_EV_PREASSOCIATED);
	pair_free(p);
}

/* PREASSOC_RR: confirmed, kept alive with type-2 TLVs, then ASSOC is a
 * new decision (another mode), then De-Associate ends it at both ends. */
static void test_preassoc_rr_flow(void **state)
{
	(void)state;
	struct pair *p = pair_new();
	struct vsi *v;

	assert_int_equal(request(p, 10, VDP_MODE_PREASSOC_RR, 100), 0);
	assert_last_tlv(p, true, VDP_TLV_PREASSOC_RR, 0x00, 10, 100);
	assert_last_tlv(p, false, VDP_TLV_PREASSOC_RR, 0x40, 10, 100);
	v = st_vsi(p, 10);
	assert_int_equal(v->mode_cur, VDP_MODE_PREASSOC_RR);
	assert_int_equal(br_vsi(p, 10)->mode_cur, VDP_MODE_PREASSOC_RR);
	assert_int_equal(p->ev[0], VDP_EV_PREASSOCIATED);
	run_for(p, KA_US);
	assert_last_tlv(p, true, VDP_TLV_PREASSOC_RR, 0x00, 10, 100); /* keep-alive */
	assert_int_equal(p->br.cnt.keepalives, 1);
	assert_int_equal(p->n_admit, 1);
	assert_int_equal(request(p, 10, VDP_MODE_ASSOC, 100), 0);
	assert_last_tlv(p, false, VDP_TLV_ASSOC, 0x40, 10, 100);
	assert_int_equal(p->n_admit, 2);
	assert_int_equal(v->mode_cur, VDP_MODE_ASSOC);
	assert_int_equal(p->ev[p->nev - 1], VDP_EV_ASSOCIATED);
	assert_int_equal(request(p, 10, VDP_MODE_DEASSOC, 100), 0);
	assert_last_tlv(p, false, VDP_TLV_DEASSOC, 0x40, 10, 100);
	assert_int_equal(v->state, VDP_ST_END);
	assert_null(br_vsi(p, 10));
	pair_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcp_set_by_bridge),
		cmocka_unit_test(test_pcp_changed_refused),
		cmocka_unit_test(test_pcp_asked_and_given),
		cmocka_unit_test(test_bridge_keepalive_pcp),
		cmocka_unit_test(test_keepalive_refused_without_keep),
		cmocka_unit_test(test_keepalive_refused_with_keep),
		cmocka_unit_test(test_several_vid0_replaced),
		cmocka_unit_test(test_vid0_mixed_refused),
		cmocka_unit_test(test_typedb_mixed_and_repeated),
		cmocka_unit_test(test_group_filters_need_gid),
		cmocka_unit_test(test_evb_raised_r_rte),
		cmocka_unit_test(test_assoc_twice),
		cmocka_unit_test(test_preassoc_twice),
		cmocka_unit_test(test_preassoc_rr_flow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
