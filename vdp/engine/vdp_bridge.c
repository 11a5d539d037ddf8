/* VDP bridge role per port (IEEE 802.1Qbg-2012 clause 41): the event
 * handlers around the per-VSI state machine of 41.5.6 (vdp_bridge_sm.c):
 * a request TLV from the station, a deferred admit decision,
 * vdp_bridge_deassoc(), the VSI's timer (resourceWaitDelay in PROCESS,
 * toutKeepAlive in WAITCMD and KEEP), ECP's tx_done.  Each finds or makes
 * the VSI's record, records the event as an input of the VSI and runs its
 * machine until stable.  Replies wait in br->pending and are packed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/engine/vdp_bridge_int.h"

#define VSI_MAX_FILTERS ((VDP_TLV_MAX_INFO - VDP_ASSOC_FIXED) / 2)
#define RX_MAX_TLVS 128
#define PACK_MAX 128

/* Records an input of v (a member of struct vdp_bridge_in) and runs v's
 * machine: v (re-allocated for more filters), or NULL once it is freed. */
#define run(b, v, input) ((v)->sm_in.br.input = true, vdp_bridge_sm_run((b), (v)))

void vdp_bridge_vsi_free(struct vdp_bridge *br, struct vsi *v)
{
	vtimer_free(br->clock, v->timer);
	vsi_rec_drop(v);
	free(v);
}

static void vsi_timer_cb(void *arg);

/* A VSI record for the request: the existing one (resized if needed) or
 * a new one. */
struct vsi *vdp_bridge_vsi_for(struct vdp_bridge *br, struct vsi *v, const struct vdp_assoc *a)
{
	uint8_t mode_cur = VDP_MODE_NONE;
	struct vsi_rec *saved = NULL;
	struct vsi *nv;
	void *user = NULL;

	if (v && v->cap_filters >= a->n_filters) {
		v->flags &= (uint8_t)~VSI_F_REMOVE;
		return v;
	}
	nv = vsi_alloc(a->n_filters);
	if (!nv)
		return NULL;
	if (v) {
		/* More filters than it had room for: a new record replaces
		 * it, keeping the confirmed mode and the owner's data. */
		mode_cur = vdp_bridge_active(v) ? v->mode_cur : VDP_MODE_NONE;
		if (vdp_bridge_active(v)) {
			saved = v->saved;
			v->saved = NULL;
		}
		user = v->user;
		vsi_fifo_remove(&br->pending, v);
		vsi_table_del(&br->tab, v);
		vdp_bridge_vsi_free(br, v);
	}
	v = nv;
	v->owner = br;
	v->user = user;
	v->saved = saved;
	v->vsiid_fmt = a->vsiid_fmt;
	memcpy(v->vsiid, a->vsiid, VDP_VSIID_LEN);
	v->mode_cur = mode_cur;		/* in INIT (BEGIN): vsi_alloc() zeroes */
	v->timer = vtimer_new(br->clock, vsi_timer_cb, v);
	if (!v->timer || vsi_table_add(&br->tab, v) < 0) {
		if (user)
			vdp_bridge_emit(br, v, VDP_BR_EV_REMOVED); /* the owner frees its data */
		vdp_bridge_vsi_free(br, v);
		return NULL;
	}
	return v;
}

/* The VSI's one timer: resourceWaitDelay in PROCESS, toutKeepAlive in
 * WAITCMD and KEEP; the machine tells which. */
static void vsi_timer_cb(void *arg)
{
	struct vsi *v = arg;
	struct vdp_bridge *br = v->owner;
	bool kick = v->state == VDP_BR_PROCESS || v->state == VDP_BR_KEEP || v->state == VDP_BR_WAITCMD;

	run(br, v, timeout);
	if (kick)
		vdp_bridge_kick(br);
}

int vdp_bridge_init(struct vdp_bridge *br, const struct vdp_bridge_ops *ops, void *ctx,
		    struct vclock *clock, struct ecp *ecp)
{
	memset(br, 0, sizeof(*br));
	br->ops = ops;
	br->ctx = ctx;
	br->on_transition = ops ? ops->transition : NULL;
	br->clock = clock;
	br->ecp = ecp;
	br->r = ECP_DEFAULT_R;
	br->rte = ECP_DEFAULT_RTE;
	br->rwd = 20;
	br->rka = 20;
	br->step_cap = VDP_BRIDGE_STEP_CAP;
	return vsi_table_init(&br->tab);
}

void vdp_bridge_flush(struct vdp_bridge *br)
{
	struct vsi *v, *n;

	for (v = vsi_table_first(&br->tab); v; v = n) {
		n = vsi_table_next(&br->tab, v);
		vsi_table_del(&br->tab, v);
		vdp_bridge_vsi_free(br, v);
	}
	br->pending = (struct vsi_fifo){ 0 };
}

void vdp_bridge_destroy(struct vdp_bridge *br)
{
	vdp_bridge_flush(br);
	vsi_table_destroy(&br->tab);
}

void vdp_bridge_set_params(struct vdp_bridge *br, uint8_t r, uint8_t rte, uint8_t rwd, uint8_t rka)
{
	uint64_t before = vdp_bridge_keepalive_timeout_us(br);

	br->r = r & 7;
	br->rte = rte & 31;
	br->rwd = rwd & 31;
	br->rka = rka & 31;
	/* A longer keep-alive period: the station may already run on it (it
	 * changes RKA as soon as its own TLV changes, and a re-association
	 * can reach us before its LLDPDU), so the toutKeepAlive timers
	 * armed with the old, shorter value are restarted with the new one.
	 * Otherwise every VSI would time out right after the change. */
	if (vdp_bridge_keepalive_timeout_us(br) <= before)
		return;
	for (struct vsi *v = vdp_bridge_first(br); v; v = vdp_bridge_next(br, v))
		if (v->state == VDP_BR_WAITCMD)
			vtimer_arm(br->clock, v->timer, vdp_bridge_keepalive_timeout_us(br));
}

struct vsi *vdp_bridge_find(const struct vdp_bridge *br, uint8_t vsiid_fmt, const uint8_t vsiid[VDP_VSIID_LEN])
{
	return vsi_table_find(&br->tab, vsiid_fmt, vsiid);
}

struct vsi *vdp_bridge_find_mac(const struct vdp_bridge *br, const uint8_t mac[6], uint16_t vid)
{
	return vsi_table_find_mac(&br->tab, mac, vid);
}

int vdp_bridge_admit_done(struct vdp_bridge *br, struct vsi *v, uint8_t status,
			  const struct vdp_filter *filters, uint16_t n)
{
	if (v->state != VDP_BR_PROCESS)
		return -ENOENT;
	br->adm.status = status;
	br->adm.f = filters;
	br->adm.n = n;
	run(br, v, resourceResult);
	vdp_bridge_kick(br);
	return 0;
}

int vdp_bridge_deassoc(struct vdp_bridge *br, struct vsi *v)
{
	switch ((enum vdp_bridge_state)v->state) {
	case VDP_BR_DEASSOC:
	case VDP_BR_DEASSOCIATED:
	case VDP_BR_END:
		return -ENOENT;
	case VDP_BR_INIT:
	case VDP_BR_PROCESS:
	case VDP_BR_SEND:
	case VDP_BR_WAITCMD:
	case VDP_BR_ALIVE:
	case VDP_BR_KEEP:
		break;
	}
	run(br, v, deassocCmd);
	vdp_bridge_kick(br);
	return 0;
}

/* A request TLV from the station: find or make the VSI's record, then
 * run its machine on it. */
static void rx_request(struct vdp_bridge *br, const uint8_t *mgrid, const struct vdp_assoc *a)
{
	struct vdp_filter f[VSI_MAX_FILTERS + 1];
	struct vsi *v = vsi_table_find(&br->tab, a->vsiid_fmt, a->vsiid);

	br->cnt.requests++;
	if (a->n_filters > VSI_MAX_FILTERS) {
		br->cnt.rx_bad++;
		return;
	}
	for (uint16_t i = 0; i < a->n_filters; i++)
		vdp_filter_get(a, i, &f[i]);
	br->rx.mgrid = mgrid;
	br->rx.a = a;
	br->rx.f = f;

	if (a->type == VDP_TLV_DEASSOC) {
		br->rx.known = v && vdp_bridge_active(v);
		v = vdp_bridge_vsi_for(br, v, a);
		if (!v) {
			br->cnt.alloc_fail++;
			return;
		}
		if (!br->rx.known) {
			/* Unknown: the reply names what was asked. */
			memcpy(v->mgrid, mgrid, VDP_MGRID_LEN);
			v->type_id = a->type_id;
			v->type_version = a->type_version;
			vdp_bridge_set_filters(br, v, a->filter_fmt, f, a->n_filters);
		}
		run(br, v, rxDeassoc);
		return;
	}
	if (!v) {
		v = vdp_bridge_vsi_for(br, NULL, a);
		if (!v) {
			br->cnt.alloc_fail++;
			return;
		}
	}
	run(br, v, rxCmd);
}

void vdp_bridge_rx(struct vdp_bridge *br, const uint8_t *ulpdu, size_t len)
{
	struct vdp_tlv tlvs[RX_MAX_TLVS];
	struct vdp_pdu pdu = { .tlvs = tlvs, .cap = RX_MAX_TLVS };

	if (vdp_decode(ulpdu, len, &pdu) != CODEC_OK) {
		br->cnt.rx_bad++;
		return;
	}
	for (size_t i = 0; i < pdu.n_tlvs; i++) {
		if (tlvs[i].type == VDP_TLV_ORG || (tlvs[i].assoc.status & VDP_STATUS_RESPONSE)) {
			br->cnt.rx_ignored++;
			continue;
		}
		rx_request(br, pdu.mgrid, &tlvs[i].assoc);
	}
	br->rx.mgrid = NULL;
	br->rx.a = NULL;
	br->rx.f = NULL;
	vdp_bridge_kick(br);
}

static void fill_reply(void *arg, const struct vsi *v, struct vdp_assoc *a)
{
	(void)arg;
	vsi_to_assoc(v, v->resp_type, v->status, a);
}

void vdp_bridge_kick(struct vdp_bridge *br)
{
	uint8_t buf[ECP_MAX_MTU];
	struct vsi *out[PACK_MAX];
	struct wbuf w;
	int n;

	while (br->pending.head && ecp_tx_idle(br->ecp)) {
		wbuf_init(&w, buf, ecp_max_ulpdu(br->ecp));
		n = vsi_fifo_pack(&br->pending, &w, fill_reply, br, out, PACK_MAX);
		if (n < 0) {
			/* Cannot be answered in one ECPDU: drop the reply. */
			br->cnt.tx_errors++;
			run(br, out[0], tooBig);
			continue;
		}
		if (n == 0)
			return;
		br->cnt.ecpdu_tx++;
		br->cnt.tlv_tx += (uint64_t)n;
		br->n_inflight = (size_t)n;
		for (int i = 0; i < n; i++)
			run(br, out[i], txmit); /* the reply is encoded */
		if (ecp_tx(br->ecp, ECP_SUBTYPE_VDP, buf, w.len) < 0) {
			br->cnt.tx_errors += (uint64_t)n;
			br->n_inflight = 0;
			return;
		}
	}
}

void vdp_bridge_tx_done(struct vdp_bridge *br, bool acked)
{
	/* A lost reply is not repeated: the station's response wait runs
	 * out and it asks again. */
	if (!acked)
		br->cnt.tx_errors += br->n_inflight;
	br->n_inflight = 0;
	vdp_bridge_kick(br);
}
