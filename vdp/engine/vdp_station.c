/* VDP station role per uplink (IEEE 802.1Qbg-2012 clause 41): the event
 * handlers around the per-VSI state machine of 41.5.5 (vdp_station_sm.c).
 * Events: a local request, a response (or unsolicited De-Associate) from
 * the bridge, the VSI's timer, ECP's tx_done, link down and up.  Each
 * handler records the event as an input of the VSI it concerns and runs
 * that VSI's machine until stable.  Transmission is batched: VSIs to send
 * sit in st->pending and vdp_station_kick() packs them into one ECPDU
 * whenever ECP is idle. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/engine/vdp_station_int.h"

#define VSI_MAX_FILTERS ((VDP_TLV_MAX_INFO - VDP_ASSOC_FIXED) / 2)
#define RX_MAX_TLVS 128

/* Records an input of v (a member of struct vdp_station_in) and runs v's
 * machine; the state it settled in. */
#define run(st, v, input) ((v)->sm_in.sta.input = true, vdp_station_sm_run((st), (v)))

/* The VSI's one timer: the response wait while a request is out, else
 * reinitKeepAlive (41.5.5); the machine tells which. */
static void vsi_timer_cb(void *arg)
{
	struct vsi *v = arg;
	struct vdp_station *st = v->owner;

	run(st, v, timeout);
	/* A keep-alive just queued (or queued again).  With the spread on it
	 * is sent once every timer due now has run, so that keep-alives
	 * falling due together leave in one ECPDU: kicked at once, the first
	 * would leave alone, be answered alone and, its step drawn for its
	 * answer alone, fall due alone from then on (vdp_station_ka.c).  Off,
	 * it goes at once, as it always did. */
	if (!st->ka_spread_pct)
		vdp_station_kick(st);
	else if (!vtimer_pending(st->clock, st->kick_timer))
		vtimer_arm(st->clock, st->kick_timer, 0);
}

static void kick_timer_cb(void *arg)
{
	vdp_station_kick(arg);
}

int vdp_station_init(struct vdp_station *st, const struct vdp_station_ops *ops, void *ctx,
		     struct vclock *clock, struct ecp *ecp)
{
	memset(st, 0, sizeof(*st));
	st->ops = ops;
	st->ctx = ctx;
	st->on_transition = ops ? ops->transition : NULL;
	st->clock = clock;
	st->ecp = ecp;
	st->r = ECP_DEFAULT_R;
	st->rte = ECP_DEFAULT_RTE;
	st->rwd = VDP_DEFAULT_RWD;
	st->rka = VDP_DEFAULT_RKA;
	st->resp_wait_max_us = VDP_RESP_WAIT_MAX_US;
	st->ka_spread_pct = VDP_KA_SPREAD_PCT;
	st->step_cap = VDP_STATION_STEP_CAP;
	st->gid = -1;
	st->kick_timer = vtimer_new(clock, kick_timer_cb, st);
	if (!st->kick_timer)
		return -ENOMEM;
	if (vsi_table_init(&st->tab) < 0) {
		vtimer_free(clock, st->kick_timer);
		st->kick_timer = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void vsi_destroy(struct vdp_station *st, struct vsi *v)
{
	vtimer_free(st->clock, v->timer);
	vsi_rec_drop(v);
	free(v);
}

void vdp_station_destroy(struct vdp_station *st)
{
	struct vsi *v, *n;

	for (v = vsi_table_first(&st->tab); v; v = n) {
		n = vsi_table_next(&st->tab, v);
		vsi_table_del(&st->tab, v);
		vsi_destroy(st, v);
	}
	vsi_table_destroy(&st->tab);
	if (st->kick_timer)
		vtimer_free(st->clock, st->kick_timer);
	st->kick_timer = NULL;
	st->pending = (struct vsi_fifo){ 0 };
	st->n_inflight = 0;
}

void vdp_station_set_params(struct vdp_station *st, uint8_t r, uint8_t rte, uint8_t rwd, uint8_t rka)
{
	st->r = r & 7;
	st->rte = rte & 31;
	st->rwd = rwd & 31;
	st->rka = rka & 31;
}

void vdp_station_set_resp_wait_max(struct vdp_station *st, uint64_t us)
{
	st->resp_wait_max_us = us;
}

void vdp_station_set_ka_spread(struct vdp_station *st, unsigned pct)
{
	st->ka_spread_pct = (uint8_t)(pct > VDP_KA_SPREAD_MAX ? VDP_KA_SPREAD_MAX : pct);
}

struct vsi *vdp_station_find(const struct vdp_station *st, uint8_t vsiid_fmt, const uint8_t vsiid[VDP_VSIID_LEN])
{
	return vsi_table_find(&st->tab, vsiid_fmt, vsiid);
}

struct vsi *vdp_station_find_mac(const struct vdp_station *st, const uint8_t mac[6], uint16_t vid)
{
	return vsi_table_find_mac(&st->tab, mac, vid);
}

void vdp_station_forget(struct vdp_station *st, struct vsi *v)
{
	vtimer_cancel(st->clock, v->timer);
	vsi_fifo_remove(&st->pending, v);
	vdp_station_inflight_drop(st, v);
	vsi_table_del(&st->tab, v);
	vsi_destroy(st, v);
}

static bool request_valid(const struct vdp_request *req)
{
	if (req->mode < VDP_MODE_PREASSOC || req->mode > VDP_MODE_DEASSOC)
		return false;
	if (req->vsiid_fmt < VDP_VSIID_IPV4 || req->vsiid_fmt > VDP_VSIID_UUID)
		return false;
	if (vdp_filter_entry_size(req->filter_fmt) == 0)
		return false;
	if (req->n_filters == 0 || req->n_filters > VSI_MAX_FILTERS || !req->filters)
		return false;
	if (req->hints & (uint8_t)~(VDP_STATUS_MBIT | VDP_STATUS_SBIT))
		return false;
	if (req->type_id > 0xFFFFFF)
		return false;
	return true;
}

static bool group_format(uint8_t fmt)
{
	return fmt == VDP_FILTER_GROUP_VID || fmt == VDP_FILTER_GROUP_MAC_VID;
}

/* Filter checks beyond the codec's, for requests other than De-Associate
 * (one must always be able to release what is there).  The null VID asks
 * the bridge to choose the VLAN of the VSI (802.1Qbg-2012 41.2.9): some
 * entries with VIDs and others with VID 0 leave it unclear which VLAN the
 * bridge may choose, so vdpd refuses such a mix (lldpad allows VID 0 only
 * as the single entry of a VID filter).  Group-ID formats only when EVB
 * negotiated group IDs (BGID and SGID); before EVB converged that is not
 * known and the bridge decides. */
const char *vdp_station_request_check(const struct vdp_station *st, const struct vdp_request *req)
{
	uint16_t zero = 0;

	if (req->mode == VDP_MODE_DEASSOC || !req->filters)
		return NULL;
	for (uint16_t i = 0; i < req->n_filters; i++)
		zero += vdp_vid(req->filters[i].ps_pcp_vid) == 0;
	if (zero && zero != req->n_filters)
		return "VID 0 (the bridge chooses) mixed with other VIDs in one request";
	if (group_format(req->filter_fmt) && st->gid == 0)
		return "group-ID filter format, but group IDs were not negotiated (EVB BGID and "
		       "SGID)";
	return NULL;
}

/* A VSI whose filters need more room: re-allocate, keeping its place in
 * the table, the queue and the in-flight ECPDU.  The timer is re-created;
 * the only timer worth keeping is a response wait, re-armed in full. */
static struct vsi *grow(struct vdp_station *st, struct vsi *v, uint16_t n)
{
	bool queued = v->flags & VSI_F_QUEUED;
	struct vsi *nv = vsi_alloc(n);
	struct vtimer *t;

	if (!nv)
		return NULL;
	t = vtimer_new(st->clock, vsi_timer_cb, nv);
	if (!t) {
		free(nv);
		return NULL;
	}
	vsi_fifo_remove(&st->pending, v);
	vsi_table_del(&st->tab, v);
	memcpy(nv, v, sizeof(*v));	/* fixed part; filters are rewritten */
	nv->cap_filters = n;
	nv->n_filters = 0;
	nv->timer = t;
	nv->id_next = nv->q_next = NULL;
	nv->flags &= (uint8_t)~(VSI_F_INDEXED | VSI_F_QUEUED);
	if (v->in_ecpdu)
		vdp_station_inflight_replace(st, v, nv);
	vtimer_free(st->clock, v->timer);
	free(v);
	if (nv->flags & VSI_F_INFLIGHT)
		vtimer_arm(st->clock, nv->timer, vdp_station_resp_wait_us(st));
	vsi_table_add(&st->tab, nv);	/* cannot fail: the slot was just freed */
	vsi_table_unindex_filters(&st->tab, nv);	/* the caller indexes the new filters */
	if (queued)
		vsi_fifo_push(&st->pending, nv);
	return nv;
}

static bool any_vid0(const struct vdp_request *req)
{
	for (uint16_t i = 0; i < req->n_filters; i++)
		if (vdp_vid(req->filters[i].ps_pcp_vid) == 0)
			return true;
	return false;
}

/* What is refused locally, with nothing sent: -errno, else 0 and *vp the
 * VSI the request is for (NULL: a new one). */
static int request_refusal(struct vdp_station *st, const struct vdp_request *req, struct vsi **vp)
{
	struct vsi *v;

	if (!request_valid(req))
		return -EINVAL;
	if (vdp_station_request_check(st, req))
		return group_format(req->filter_fmt) && st->gid == 0 ? -EOPNOTSUPP : -EINVAL;
	*vp = v = vsi_table_find(&st->tab, req->vsiid_fmt, req->vsiid);
	if (req->mode == VDP_MODE_DEASSOC) {
		/* Nothing to de-associate. */
		if (!v || v->state == VDP_ST_END)
			return -ENOENT;
	} else if (v && v->state != VDP_ST_END &&
		   (req->mode == VDP_MODE_PREASSOC || req->mode == VDP_MODE_PREASSOC_RR) &&
		   (v->mode_cur == VDP_MODE_ASSOC || v->mode_req == VDP_MODE_ASSOC)) {
		/* 41.5.5 mode changes: an association is never stepped back
		 * to a pre-association; de-associate first. */
		return -EINVAL;
	}
	return 0;
}

/* A new VSI for req, in INIT (BEGIN: vsi_alloc() zeroes), indexed by VSIID. */
static struct vsi *vsi_new(struct vdp_station *st, const struct vdp_request *req)
{
	struct vsi *v = vsi_alloc(req->n_filters);

	if (!v)
		return NULL;
	v->owner = st;
	v->vsiid_fmt = req->vsiid_fmt;
	memcpy(v->vsiid, req->vsiid, VDP_VSIID_LEN);
	v->timer = vtimer_new(st->clock, vsi_timer_cb, v);
	if (!v->timer || vsi_table_add(&st->tab, v) < 0) {
		vsi_destroy(st, v);
		return NULL;
	}
	return v;
}

/* Identity and filters from the request into v (which may move when its
 * filters grow); NULL when out of memory, v unchanged then. */
static struct vsi *take_request(struct vdp_station *st, struct vsi *v,
				const struct vdp_request *req)
{
	vsi_table_unindex_filters(&st->tab, v);
	if (req->n_filters > v->cap_filters) {
		struct vsi *nv = grow(st, v, req->n_filters);

		if (!nv) {
			vsi_table_index_filters(&st->tab, v);
			return NULL;
		}
		v = nv;
	}
	memcpy(v->mgrid, req->mgrid, VDP_MGRID_LEN);
	v->type_id = req->type_id;
	v->type_version = req->type_version;
	vsi_set_filters(v, req->filter_fmt, req->filters, req->n_filters);
	vsi_table_index_filters(&st->tab, v);
	if (any_vid0(req))
		v->flags |= VSI_F_VID0;
	else
		v->flags &= (uint8_t)~VSI_F_VID0;
	return v;
}

int vdp_station_request(struct vdp_station *st, const struct vdp_request *req)
{
	struct vsi *v = NULL;
	bool fresh = false;
	int rc = request_refusal(st, req, &v);

	if (rc < 0) {
		st->cnt.requests_refused++;
		return rc;
	}
	if (!v) {
		if (!(v = vsi_new(st, req)))
			return -ENOMEM;
		fresh = true;
	} else if (v->state == VDP_ST_END) {
		/* An ended VSI may be requested again (lldpad: -ENODEV). */
		if (run(st, v, begin) != VDP_ST_INIT)
			return -EIO;
	}

	if (req->mode != VDP_MODE_DEASSOC && v->mode_cur != VDP_MODE_NONE && !v->saved &&
	    (memcmp(v->mgrid, req->mgrid, VDP_MGRID_LEN) != 0 || v->type_id != req->type_id ||
	     v->type_version != req->type_version ||
	     !vsi_filters_equal(v, req->filter_fmt, req->filters, req->n_filters))) {
		/* A change of what the bridge confirmed: keep that for a
		 * refusal with Keep (41.2.4), which returns to it. */
		v->saved = vsi_rec_save(v);
		if (!v->saved)
			return -ENOMEM;
	}
	/* A De-Associate repeats what was associated. */
	if ((req->mode != VDP_MODE_DEASSOC || fresh) && !(v = take_request(st, v, req)))
		return -ENOMEM;
	v->mode_req = req->mode;
	v->hints = req->hints;
	st->cnt.requests++;

	run(st, v, localChange);
	vdp_station_kick(st);
	return 0;
}

static void fill_request(void *arg, const struct vsi *v, struct vdp_assoc *a)
{
	(void)arg;
	vsi_to_assoc(v, v->mode_req, v->hints, a);
}

void vdp_station_kick(struct vdp_station *st)
{
	uint8_t buf[ECP_MAX_MTU];
	struct wbuf w;
	int n, rc;

	while (!st->paused && st->pending.head && ecp_tx_idle(st->ecp)) {
		wbuf_init(&w, buf, ecp_max_ulpdu(st->ecp));
		n = vsi_fifo_pack(&st->pending, &w, fill_request, st, st->inflight,
				  sizeof(st->inflight) / sizeof(st->inflight[0]));
		if (n < 0) {
			run(st, st->inflight[0], tooBig);
			continue;
		}
		if (n == 0)
			return;
		st->n_inflight = (size_t)n;
		for (int i = 0; i < n; i++)
			st->inflight[i]->in_ecpdu = true;
		/* The response wait starts at the hand-over. */
		for (int i = 0; i < n; i++)
			if (st->inflight[i])
				run(st, st->inflight[i], txmit);
		st->cnt.ecpdu_tx++;
		st->cnt.tlv_tx += (uint64_t)n;
		rc = ecp_tx(st->ecp, ECP_SUBTYPE_VDP, buf, w.len);
		if (rc < 0) {
			/* Cannot happen while idle; treat like an ECP error. */
			vdp_station_tx_done(st, false);
			return;
		}
	}
}

void vdp_station_tx_done(struct vdp_station *st, bool acked)
{
	struct vsi *vsis[sizeof(st->inflight) / sizeof(st->inflight[0])];
	struct vdp_ecpdu_done done = { vsis, st->n_inflight, st->done };

	if (acked) {
		for (size_t i = 0; i < done.n; i++)
			if (st->inflight[i])
				st->inflight[i]->in_ecpdu = false;
		st->n_inflight = 0;
		vdp_station_kick(st);
		return;
	}
	/* 41.5.5: a transmission error ends the VSIs whose TLVs were in the
	 * lost ECPDU.  Their requesters hear of it and may forget other VSIs
	 * of the list or request more (a new ECPDU in inflight[]). */
	memcpy(vsis, st->inflight, done.n * sizeof(vsis[0]));
	st->n_inflight = 0;
	st->done = &done;
	for (size_t i = 0; i < done.n; i++) {
		struct vsi *v = vsis[i];
		vsis[i] = NULL;
		if (!v)
			continue;
		v->in_ecpdu = false;
		if (v->flags & VSI_F_INFLIGHT)
			run(st, v, ecpError);
	}
	st->done = done.outer;
	vdp_station_kick(st);
}

void vdp_station_rx(struct vdp_station *st, const uint8_t *ulpdu, size_t len)
{
	struct vdp_tlv tlvs[RX_MAX_TLVS];
	struct vdp_pdu pdu = { .tlvs = tlvs, .cap = RX_MAX_TLVS };

	if (vdp_decode(ulpdu, len, &pdu) != CODEC_OK) {
		st->cnt.rx_bad++;
		return;
	}
	vdp_station_ka_rx(st);
	for (size_t i = 0; i < pdu.n_tlvs; i++) {
		const struct vdp_assoc *a = &tlvs[i].assoc;
		struct vsi *v;

		if (tlvs[i].type == VDP_TLV_ORG) {
			st->cnt.rx_ignored++;
			continue;
		}
		v = vsi_table_find(&st->tab, a->vsiid_fmt, a->vsiid);
		if (!(a->status & VDP_STATUS_RESPONSE)) {
			if (a->type != VDP_TLV_DEASSOC) {
				st->cnt.rx_ignored++;
				continue;
			}
			/* Bridge-initiated De-Associate (41.5.5 WAIT_SYSCMD). */
			if (!v || v->state == VDP_ST_END) {
				st->cnt.resp_unknown++;
				continue;
			}
			run(st, v, rxDeassoc);
			continue;
		}
		if (!v) {
			st->cnt.resp_unknown++;
			continue;
		}
		if (!(v->flags & VSI_F_INFLIGHT)) {
			/* Late answer to a request that already timed out or
			 * was superseded by a link reset. */
			st->cnt.resp_stale++;
			continue;
		}
		st->rx_tlv = a;
		st->rx_mgrid = pdu.mgrid;
		run(st, v, rxResp);
	}
	st->rx_tlv = NULL;
	st->rx_mgrid = NULL;
	vdp_station_kick(st);
}

void vdp_station_pause(struct vdp_station *st)
{
	struct vsi *v;

	st->paused = true;
	while (vsi_fifo_pop(&st->pending))
		;
	for (size_t i = 0; i < st->n_inflight; i++)
		if (st->inflight[i])
			st->inflight[i]->in_ecpdu = false;
	st->n_inflight = 0;
	for (v = vsi_table_first(&st->tab); v; v = vsi_table_next(&st->tab, v))
		run(st, v, portDown);
}

void vdp_station_reassociate_all(struct vdp_station *st)
{
	struct vsi *v, *n;

	st->paused = false;
	for (v = vsi_table_first(&st->tab); v; v = n) {
		n = vsi_table_next(&st->tab, v);
		if (v->state != VDP_ST_END)
			run(st, v, resend);
	}
	vdp_station_kick(st);
}
