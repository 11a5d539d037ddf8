#include <stdlib.h>
#include <string.h>

#include "tests/unit/b2b.h"

const uint8_t b2b_mgrid[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t s_mac[6] = { 0x02, 0, 0, 0, 0, 0x51 };
static const uint8_t b_mac[6] = { 0x02, 0, 0, 0, 0, 0xb1 };

static void enqueue(struct b2b *b, bool to_bridge, const uint8_t *f, size_t len)
{
	struct b2b_frame *fr;

	if (b->q_n == b->q_cap) {
		size_t ncap = b->q_cap ? b->q_cap * 2 : 16;
		struct b2b_frame *nq = malloc(ncap * sizeof(*nq));
		if (!nq)
			abort();
		for (size_t i = 0; i < b->q_n; i++)
			nq[i] = b->q[(b->q_head + i) % b->q_cap];
		free(b->q);
		b->q = nq;
		b->q_head = 0;
		b->q_cap = ncap;
	}
	fr = &b->q[(b->q_head + b->q_n) % b->q_cap];
	fr->to_bridge = to_bridge;
	fr->len = (uint16_t)len;
	memcpy(fr->buf, f, len);
	b->q_n++;
}

static void s_send(void *ctx, const uint8_t *f, size_t len)
{
	enqueue(ctx, true, f, len);
}

static void b_send(void *ctx, const uint8_t *f, size_t len)
{
	enqueue(ctx, false, f, len);
}

static void s_deliver(void *ctx, uint16_t subtype, const uint8_t *u, size_t len)
{
	struct b2b *b = ctx;
	if (subtype == ECP_SUBTYPE_VDP)
		vdp_station_rx(&b->st, u, len);
}

static void b_deliver(void *ctx, uint16_t subtype, const uint8_t *u, size_t len)
{
	struct b2b *b = ctx;
	if (subtype == ECP_SUBTYPE_VDP)
		vdp_bridge_rx(&b->br, u, len);
}

static void s_done(void *ctx, bool acked)
{
	struct b2b *b = ctx;
	vdp_station_tx_done(&b->st, acked);
}

static void b_done(void *ctx, bool acked)
{
	struct b2b *b = ctx;
	vdp_bridge_tx_done(&b->br, acked);
}

static const struct ecp_ops s_ops = { s_send, s_deliver, s_done };
static const struct ecp_ops b_ops = { b_send, b_deliver, b_done };

static void st_event(void *ctx, struct vsi *v, enum vdp_event ev)
{
	struct b2b *b = ctx;
	(void)v;
	if ((unsigned)ev < 8)
		b->st_events[ev]++;
}

static void br_event(void *ctx, struct vsi *v, enum vdp_bridge_event ev)
{
	struct b2b *b = ctx;
	(void)v;
	if ((unsigned)ev < 8)
		b->br_events[ev]++;
}

static int admit(void *ctx, struct vsi *vsi, const uint8_t mgrid[16], const struct vdp_assoc *req,
		 struct vdp_filter *f, uint16_t n, uint8_t *status)
{
	struct b2b *b = ctx;
	(void)vsi;
	(void)mgrid;
	(void)req;
	b->n_admit++;
	for (uint16_t i = 0; i < n; i++)
		if (vdp_vid(f[i].ps_pcp_vid) == 0)
			f[i].ps_pcp_vid = (uint16_t)((f[i].ps_pcp_vid & ~VDP_VID_MASK) | b->type_vlan);
	*status = b->admit_status;
	return VDP_ADMIT_DONE;
}

static const struct vdp_station_ops st_ops = { st_event };
static const struct vdp_bridge_ops br_ops = { admit, br_event };

int b2b_init(struct b2b *b)
{
	struct vclock *c;
	int rc;

	memset(b, 0, sizeof(*b));
	fakeclock_init(&b->fc, 1000000);
	c = fakeclock_vclock(&b->fc);
	b->type_vlan = 100;
	if ((rc = ecp_init(&b->s_ecp, &s_ops, b, c, s_mac, 1500)) < 0 ||
	    (rc = ecp_init(&b->b_ecp, &b_ops, b, c, b_mac, 1500)) < 0 ||
	    (rc = vdp_station_init(&b->st, &st_ops, b, c, &b->s_ecp)) < 0 ||
	    (rc = vdp_bridge_init(&b->br, &br_ops, b, c, &b->b_ecp)) < 0)
		return rc;
	ecp_set_peer(&b->s_ecp, b_mac);
	ecp_set_peer(&b->b_ecp, s_mac);
	ecp_enable(&b->s_ecp);
	ecp_enable(&b->b_ecp);
	return 0;
}

void b2b_destroy(struct b2b *b)
{
	vdp_station_destroy(&b->st);
	vdp_bridge_destroy(&b->br);
	ecp_free(&b->s_ecp);
	ecp_free(&b->b_ecp);
	fakeclock_destroy(&b->fc);
	free(b->q);
}

void b2b_set_params(struct b2b *b, uint8_t r, uint8_t rte, uint8_t rwd, uint8_t rka)
{
	ecp_set_params(&b->s_ecp, r, rte);
	ecp_set_params(&b->b_ecp, r, rte);
	vdp_station_set_params(&b->st, r, rte, rwd, rka);
	vdp_bridge_set_params(&b->br, r, rte, rwd, rka);
}

size_t b2b_pump(struct b2b *b)
{
	struct b2b_frame fr;
	size_t n = 0;

	while (b->q_n) {
		fr = b->q[b->q_head];
		b->q_head = (b->q_head + 1) % b->q_cap;
		b->q_n--;
		n++;
		if (fr.to_bridge) {
			b->frames_to_bridge++;
			ecp_rx(&b->b_ecp, fr.buf, fr.len);
		} else {
			b->frames_to_station++;
			ecp_rx(&b->s_ecp, fr.buf, fr.len);
		}
	}
	return n;
}

void b2b_run_for(struct b2b *b, uint64_t us)
{
	uint64_t end = b->fc.now + us;

	for (;;) {
		b2b_pump(b);
		if (fakeclock_next_deadline(&b->fc) > end)
			break;
		fakeclock_run_next(&b->fc);
	}
	fakeclock_advance(&b->fc, end - b->fc.now);
}

void b2b_vsiid(uint32_t i, uint8_t out[16])
{
	memset(out, 0, 16);
	out[0] = 0x6b;
	out[6] = 0x40;
	out[8] = 0x80;
	out[12] = (uint8_t)(i >> 24);
	out[13] = (uint8_t)(i >> 16);
	out[14] = (uint8_t)(i >> 8);
	out[15] = (uint8_t)i;
}

void b2b_mac(uint32_t i, uint8_t out[6])
{
	out[0] = 0x52;
	out[1] = 0x54;
	out[2] = (uint8_t)(i >> 24);
	out[3] = (uint8_t)(i >> 16);
	out[4] = (uint8_t)(i >> 8);
	out[5] = (uint8_t)i;
}

int b2b_request(struct b2b *b, uint32_t i, uint8_t mode, uint16_t vid)
{
	struct vdp_filter f = { .ps_pcp_vid = vid };
	struct vdp_request r = {
		.mode = mode, .type_id = 42, .type_version = 1, .vsiid_fmt = VDP_VSIID_UUID,
		.filter_fmt = VDP_FILTER_MAC_VID, .n_filters = 1, .filters = &f,
	};

	memcpy(r.mgrid, b2b_mgrid, 16);
	b2b_vsiid(i, r.vsiid);
	b2b_mac(i, f.mac);
	return vdp_station_request(&b->st, &r);
}
