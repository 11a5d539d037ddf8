/* VDP station state machine per VSI (IEEE 802.1Qbg-2012 41.5.5) inside a
 * per-uplink struct vdp_station.  Events: a local request, a response (or
 * unsolicited De-Associate) from the bridge, the VSI's timer, ECP's
 * tx_done.  Transmission is batched: VSIs to send sit in st->pending and
 * station_kick() packs them into one ECPDU whenever ECP is idle. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vdp_station.h"
#include "vdp_text.h"

#define VSI_MAX_FILTERS ((VDP_TLV_MAX_INFO - VDP_ASSOC_FIXED) / 2)
#define RX_MAX_TLVS 128

const char *vdp_station_state_name(uint8_t s)
{
	switch ((enum vdp_station_state)s) {
	case VDP_ST_INIT:
		return "INIT";
	case VDP_ST_STATION_PROC:
		return "STATION_PROC";
	case VDP_ST_STATION_PROCWAIT:
		return "STATION_PROCWAIT";
	case VDP_ST_PREASSOC_NEW:
		return "PREASSOC_NEW";
	case VDP_ST_ASSOC_NEW:
		return "ASSOC_NEW";
	case VDP_ST_ASSOC_COMPL:
		return "ASSOC_COMPL";
	case VDP_ST_WAIT_SYSCMD:
		return "WAIT_SYSCMD";
	case VDP_ST_TXMIT_KA:
		return "TXMIT_KA";
	case VDP_ST_TXMIT_KAWAIT:
		return "TXMIT_KAWAIT";
	case VDP_ST_TXMIT_DEASSOC:
		return "TXMIT_DEASSOC";
	case VDP_ST_TXMIT_DEAWAIT:
		return "TXMIT_DEAWAIT";
	case VDP_ST_END:
		return "END";
	}
	return "?";
}

const char *vdp_end_reason_name(uint8_t r)
{
	switch ((enum vdp_end_reason)r) {
	case VDP_END_NONE:
		return "none";
	case VDP_END_DEASSOCIATED:
		return "de-associated";
	case VDP_END_TIMEOUT:
		return "no response from bridge";
	case VDP_END_TX_ERROR:
		return "ECP transmission error";
	case VDP_END_REJECTED:
		return "rejected by bridge";
	case VDP_END_BRIDGE_DEASSOC:
		return "de-associated by bridge";
	case VDP_END_TOO_BIG:
		return "VSI TLV does not fit an ECPDU";
	case VDP_END_INTERNAL:
		return "internal error (illegal state transition)";
	}
	return "?";
}

const char *vdp_event_name(enum vdp_event ev)
{
	switch (ev) {
	case VDP_EV_PREASSOCIATED:
		return "preassociated";
	case VDP_EV_ASSOCIATED:
		return "associated";
	case VDP_EV_DEASSOCIATED:
		return "deassociated";
	case VDP_EV_FAILED:
		return "failed";
	case VDP_EV_BRIDGE_DEASSOC:
		return "bridge-deassociated";
	case VDP_EV_KEPT:
		return "kept";
	case VDP_EV_KEEPALIVE_OK:
		return "keepalive-ok";
	case VDP_EV_VID_ASSIGNED:
		return "vid-assigned";
	}
	return "?";
}

/* Legal transitions of the station machine, 802.1Qbg-2012 41.5.5 as this
 * file implements it: one row per state, the states that may follow it.
 * Not in the table: the standard's _2 evaluation states (STATION_PROCWAIT_2,
 * TXMIT_KAWAIT_2, TXMIT_DEAWAIT_2) are the response handling of the waiting
 * state itself; a new VSI starts in INIT (BEGIN, vsi_alloc() zeroes).
 *
 * INIT           -> STATION_PROC, TXMIT_DEASSOC (request queued; a VSI left
 *                   in INIT by an allocation failure may be re-sent by
 *                   reassociate_all), END (bridge De-Associate)
 * STATION_PROC   -> STATION_PROCWAIT (handed to ECP, response wait runs),
 *                   STATION_PROC, TXMIT_DEASSOC (newer request while queued;
 *                   re-sent after link up), END (bridge De-Associate,
 *                   TLV too big)
 * STATION_PROCWAIT, TXMIT_KAWAIT, TXMIT_DEAWAIT (41.5.5.9 response wait)
 *                -> PREASSOC_NEW, ASSOC_NEW (success response of that type),
 *                   WAIT_SYSCMD (error with Keep, 41.2.4: state kept),
 *                   STATION_PROC, TXMIT_DEASSOC (answer to a superseded
 *                   request, a request after link down, re-send after link
 *                   up), END (response-wait expiry, ECP error, error
 *                   without Keep, De-Associate confirmed, bridge
 *                   De-Associate)
 * PREASSOC_NEW   -> WAIT_SYSCMD
 * ASSOC_NEW      -> ASSOC_COMPL
 * ASSOC_COMPL    -> WAIT_SYSCMD
 * WAIT_SYSCMD    -> TXMIT_KA (reinitKeepAlive expiry), STATION_PROC,
 *                   TXMIT_DEASSOC (local request; re-send after link up),
 *                   END (bridge De-Associate)
 * TXMIT_KA       -> TXMIT_KAWAIT (handed to ECP), TXMIT_DEAWAIT (the
 *                   current request is a De-Associate that a bridge answered
 *                   as an association), STATION_PROC, TXMIT_DEASSOC (local
 *                   request while queued; re-send), END (bridge
 *                   De-Associate, TLV too big)
 * TXMIT_DEASSOC  -> TXMIT_DEAWAIT (handed to ECP), TXMIT_DEASSOC,
 *                   STATION_PROC (request while queued; re-send), END
 *                   (bridge De-Associate, TLV too big)
 * END            -> INIT (requested again; lldpad refuses that)
 *
 * One bit per state, a row for every value of the uint8_t vsi->state (the
 * rows past END are 0): the check is one load and a bit test. */
#define ST(s) (1u << VDP_ST_##s)
#define ST_WAIT_NEXT (ST(PREASSOC_NEW) | ST(ASSOC_NEW) | ST(WAIT_SYSCMD) | \
		      ST(STATION_PROC) | ST(TXMIT_DEASSOC) | ST(END))
static const uint16_t station_next[256] = {
	[VDP_ST_INIT] = ST(STATION_PROC) | ST(TXMIT_DEASSOC) | ST(END),
	[VDP_ST_STATION_PROC] = ST(STATION_PROCWAIT) | ST(STATION_PROC) | ST(TXMIT_DEASSOC) | ST(END),
	[VDP_ST_STATION_PROCWAIT] = ST_WAIT_NEXT,
	[VDP_ST_PREASSOC_NEW] = ST(WAIT_SYSCMD),
	[VDP_ST_ASSOC_NEW] = ST(ASSOC_COMPL),
	[VDP_ST_ASSOC_COMPL] = ST(WAIT_SYSCMD),
	[VDP_ST_WAIT_SYSCMD] = ST(TXMIT_KA) | ST(STATION_PROC) | ST(TXMIT_DEASSOC) | ST(END),
	[VDP_ST_TXMIT_KA] = ST(TXMIT_KAWAIT) | ST(TXMIT_DEAWAIT) | ST(STATION_PROC) |
			    ST(TXMIT_DEASSOC) | ST(END),
	[VDP_ST_TXMIT_KAWAIT] = ST_WAIT_NEXT,
	[VDP_ST_TXMIT_DEASSOC] = ST(TXMIT_DEAWAIT) | ST(TXMIT_DEASSOC) | ST(STATION_PROC) | ST(END),
	[VDP_ST_TXMIT_DEAWAIT] = ST_WAIT_NEXT,
	[VDP_ST_END] = ST(INIT),
};
#undef ST
#undef ST_WAIT_NEXT
_Static_assert(VDP_ST_INIT == 0, "vsi_alloc() zeroes: a new VSI is in INIT");
_Static_assert(VDP_ST_END < 16, "station_next[] holds one bit per state");

bool vdp_station_transition_legal(uint8_t from, uint8_t to)
{
	return to <= VDP_ST_END && (station_next[from] >> to) & 1;
}

/* 41.5.5.9 (lldpad's reading): the bridge may take resourceWaitDelay, and
 * ECP may need 1 + 2R ackTimer periods for request and response. */
uint64_t vdp_station_resp_wait_us(const struct vdp_station *st)
{
	uint64_t t = vdp_exp_us(st->rwd) + (2ULL * st->r + 1) * vdp_exp_us(st->rte);

	t = t * 3 / 2;
	if (st->resp_wait_max_us && t > st->resp_wait_max_us)
		t = st->resp_wait_max_us;
	return t;
}

uint64_t vdp_station_keepalive_us(const struct vdp_station *st)
{
	return vdp_exp_us(st->rka);
}

static void emit(struct vdp_station *st, struct vsi *v, enum vdp_event ev)
{
	if (st->ops && st->ops->vsi_event)
		st->ops->vsi_event(st->ctx, v, ev);
}

static void inflight_drop(struct vdp_station *st, struct vsi *v)
{
	for (size_t i = 0; i < st->n_inflight; i++)
		if (st->inflight[i] == v)
			st->inflight[i] = NULL;
}

static void transition_hook(struct vdp_station *st, const struct vsi *v, uint8_t from)
{
	if (st->on_transition)
		st->on_transition(st->ctx, v, from, v->state);
}

/* END's entry actions: the VSI stays in the table (status for requesters)
 * until forgotten or requested again. */
static void end_entry(struct vdp_station *st, struct vsi *v, enum vdp_end_reason r, enum vdp_event ev)
{
	vtimer_cancel(st->clock, v->timer);
	vsi_fifo_remove(&st->pending, v);
	inflight_drop(st, v);
	v->flags &= (uint8_t)~(VSI_F_INFLIGHT | VSI_F_DIRTY | VSI_F_KA);
	v->flags2 &= (uint8_t)~VSI_F2_RESYNC;
	v->mode_cur = VDP_MODE_NONE;
	v->reason = (uint8_t)r;
	vsi_rec_drop(v);
	emit(st, v, ev);
}

/* A transition the table does not allow is a bug here, not the peer's
 * doing: log it, count it and end the VSI (no timer, nothing queued, the
 * requester told), the one state every other state may reach. */
static void __attribute__((noinline, cold))
illegal(struct vdp_station *st, struct vsi *v, uint8_t from, uint8_t to)
{
	char id[VDP_TXT_VSIID_LEN];

	st->cnt.illegal_transitions++;
	vdp_txt_vsiid_format(v->vsiid_fmt, v->vsiid, id);
	log_err("vdp", "VSI %s: illegal station transition %s -> %s (802.1Qbg 41.5.5), VSI ended",
		id, vdp_station_state_name(from), vdp_station_state_name(to));
	v->state = VDP_ST_END;
	transition_hook(st, v, from);
	end_entry(st, v, VDP_END_INTERNAL, VDP_EV_FAILED);
}

/* vdp_station_enter(), inlined into the machine (to is a constant there). */
static inline __attribute__((always_inline)) bool
enter(struct vdp_station *st, struct vsi *v, enum vdp_station_state to)
{
	uint8_t from = v->state;

	if (__builtin_expect(!((station_next[from] >> to) & 1), 0)) {
		illegal(st, v, from, (uint8_t)to);
		return false;
	}
	v->state = (uint8_t)to;
	if (__builtin_expect(st->on_transition != NULL, 0))
		st->on_transition(st->ctx, v, from, v->state);
	return true;
}

bool vdp_station_enter(struct vdp_station *st, struct vsi *v, enum vdp_station_state to)
{
	if (to > VDP_ST_END) {
		illegal(st, v, v->state, (uint8_t)to);
		return false;
	}
	return enter(st, v, to);
}

/* Queues v for transmission of its current request (STATION_PROC,
 * TXMIT_KA or TXMIT_DEASSOC).  false: v ended instead (illegal). */
static inline bool queue(struct vdp_station *st, struct vsi *v, enum vdp_station_state s)
{
	if (!enter(st, v, s))
		return false;
	vtimer_cancel(st->clock, v->timer);
	if (s == VDP_ST_TXMIT_KA)
		v->flags |= VSI_F_KA;
	else
		v->flags &= (uint8_t)~VSI_F_KA;
	vsi_fifo_push(&st->pending, v);
	return true;
}

static inline bool queue_current(struct vdp_station *st, struct vsi *v)
{
	return queue(st, v, v->mode_req == VDP_MODE_DEASSOC ? VDP_ST_TXMIT_DEASSOC : VDP_ST_STATION_PROC);
}

static inline bool end(struct vdp_station *st, struct vsi *v, enum vdp_end_reason r, enum vdp_event ev)
{
	if (!enter(st, v, VDP_ST_END))
		return false;
	end_entry(st, v, r, ev);
	return true;
}

/* WAIT_SYSCMD: reinitKeepAlive runs from the last confirmed response. */
static inline bool wait_syscmd(struct vdp_station *st, struct vsi *v)
{
	if (!enter(st, v, VDP_ST_WAIT_SYSCMD))
		return false;
	vtimer_arm(st->clock, v->timer, vdp_station_keepalive_us(st));
	return true;
}

static void vsi_timer_cb(void *arg)
{
	struct vsi *v = arg;
	struct vdp_station *st = v->owner;

	switch ((enum vdp_station_state)v->state) {
	case VDP_ST_STATION_PROCWAIT:
	case VDP_ST_TXMIT_KAWAIT:
	case VDP_ST_TXMIT_DEAWAIT:
		/* Response wait expired: the VSI ends (41.5.5). */
		st->cnt.timeouts++;
		end(st, v, VDP_END_TIMEOUT, VDP_EV_FAILED);
		return;
	case VDP_ST_WAIT_SYSCMD:
		/* reinitKeepAlive: send the current request again. */
		queue(st, v, VDP_ST_TXMIT_KA);
		vdp_station_kick(st);
		return;
	case VDP_ST_INIT:
	case VDP_ST_STATION_PROC:
	case VDP_ST_PREASSOC_NEW:
	case VDP_ST_ASSOC_NEW:
	case VDP_ST_ASSOC_COMPL:
	case VDP_ST_TXMIT_KA:
	case VDP_ST_TXMIT_DEASSOC:
	case VDP_ST_END:
		return;		/* no timer in these states */
	}
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
	return vsi_table_init(&st->tab);
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
	inflight_drop(st, v);
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
	for (size_t i = 0; i < st->n_inflight; i++)
		if (st->inflight[i] == v)
			st->inflight[i] = nv;
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

int vdp_station_request(struct vdp_station *st, const struct vdp_request *req)
{
	struct vsi *v;
	bool fresh = false;

	if (!request_valid(req)) {
		st->cnt.requests_refused++;
		return -EINVAL;
	}
	v = vsi_table_find(&st->tab, req->vsiid_fmt, req->vsiid);
	if (req->mode == VDP_MODE_DEASSOC) {
		/* Nothing to de-associate: refused locally, nothing sent. */
		if (!v || v->state == VDP_ST_END) {
			st->cnt.requests_refused++;
			return -ENOENT;
		}
	} else if (v && v->state != VDP_ST_END &&
		   (req->mode == VDP_MODE_PREASSOC || req->mode == VDP_MODE_PREASSOC_RR) &&
		   (v->mode_cur == VDP_MODE_ASSOC || v->mode_req == VDP_MODE_ASSOC)) {
		/* 41.5.5 mode changes: an association is never stepped back
		 * to a pre-association; de-associate first. */
		st->cnt.requests_refused++;
		return -EINVAL;
	}

	if (!v) {
		v = vsi_alloc(req->n_filters);
		if (!v)
			return -ENOMEM;
		v->owner = st;
		v->vsiid_fmt = req->vsiid_fmt;
		memcpy(v->vsiid, req->vsiid, VDP_VSIID_LEN);
		v->timer = vtimer_new(st->clock, vsi_timer_cb, v);
		if (!v->timer || vsi_table_add(&st->tab, v) < 0) {
			vsi_destroy(st, v);
			return -ENOMEM;
		}
		fresh = true;		/* in INIT (BEGIN): vsi_alloc() zeroes */
	} else if (v->state == VDP_ST_END) {
		/* An ended VSI may be requested again (lldpad: -ENODEV). */
		if (!enter(st, v, VDP_ST_INIT))
			return -EIO;
		v->reason = VDP_END_NONE;
		v->status = 0;
		v->flags &= (uint8_t)(VSI_F_INDEXED);
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
	if (req->mode != VDP_MODE_DEASSOC || fresh) {
		/* Identity and filters come from the newest request; a
		 * De-Associate repeats what was associated. */
		vsi_table_unindex_filters(&st->tab, v);
		if (req->n_filters > v->cap_filters) {
			struct vsi *nv = grow(st, v, req->n_filters);
			if (!nv) {
				vsi_table_index_filters(&st->tab, v);
				return -ENOMEM;
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
	}
	v->mode_req = req->mode;
	v->hints = req->hints;
	st->cnt.requests++;

	if (v->flags & VSI_F_INFLIGHT)
		/* Sent once the response to the previous request is in. */
		v->flags |= VSI_F_DIRTY;
	else
		queue_current(st, v);	/* if not, it ended and told so */
	vdp_station_kick(st);
	return 0;
}

static void fill_request(void *arg, const struct vsi *v, struct vdp_assoc *a)
{
	(void)arg;
	vsi_to_assoc(v, v->mode_req, v->hints, a);
}

/* Response wait starts when the TLV is handed to ECP.  An illegal
 * transition ends v here; its TLV still leaves and its answer is stale. */
static void sent(struct vdp_station *st, struct vsi *v)
{
	bool ka = v->state == VDP_ST_TXMIT_KA;

	if (!enter(st, v, v->mode_req == VDP_MODE_DEASSOC ? VDP_ST_TXMIT_DEAWAIT :
				      ka ? VDP_ST_TXMIT_KAWAIT : VDP_ST_STATION_PROCWAIT))
		return;
	v->mode_sent = v->mode_req;
	v->flags |= VSI_F_INFLIGHT;
	if (ka)
		st->cnt.ka_tx++;
	vtimer_arm(st->clock, v->timer, vdp_station_resp_wait_us(st));
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
			end(st, st->inflight[0], VDP_END_TOO_BIG, VDP_EV_FAILED);
			continue;
		}
		if (n == 0)
			return;
		st->n_inflight = (size_t)n;
		for (int i = 0; i < n; i++)
			if (st->inflight[i])
				sent(st, st->inflight[i]);
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
	size_t n = st->n_inflight;

	st->n_inflight = 0;
	if (!acked) {
		/* 41.5.5: a transmission error ends the VSIs whose TLVs were
		 * in the lost ECPDU. */
		for (size_t i = 0; i < n; i++) {
			struct vsi *v = st->inflight[i];
			st->inflight[i] = NULL;
			if (!v || !(v->flags & VSI_F_INFLIGHT))
				continue;
			st->cnt.tx_errors++;
			end(st, v, VDP_END_TX_ERROR, VDP_EV_FAILED);
		}
	}
	vdp_station_kick(st);
}

/* Keys of a response must be those of the request (41.2.x): manager ID,
 * type, filter format and count; VIDs may differ where we sent 0. */
static bool response_matches(const struct vsi *v, const uint8_t *mgrid, const struct vdp_assoc *a)
{
	if (memcmp(v->mgrid, mgrid, VDP_MGRID_LEN) != 0 || v->type_id != a->type_id ||
	    v->type_version != a->type_version || v->filter_fmt != a->filter_fmt ||
	    v->n_filters != a->n_filters)
		return false;
	for (uint16_t i = 0; i < a->n_filters; i++) {
		struct vdp_filter f;
		const struct vdp_filter *o = &v->filters[i].f;
		vdp_filter_get(a, i, &f);
		if (f.group_id != o->group_id || memcmp(f.mac, o->mac, 6) != 0)
			return false;
		if (vdp_vid(o->ps_pcp_vid) != 0 && vdp_vid(f.ps_pcp_vid) != vdp_vid(o->ps_pcp_vid))
			return false;
	}
	return true;
}

/* The bridge chose the VID (we sent VID 0): adopt its filter values. */
static bool adopt_vids(struct vdp_station *st, struct vsi *v, const struct vdp_assoc *a)
{
	bool changed = false;

	vsi_table_unindex_filters(&st->tab, v);
	for (uint16_t i = 0; i < a->n_filters; i++) {
		struct vdp_filter f;
		struct vdp_filter *o = &v->filters[i].f;
		vdp_filter_get(a, i, &f);
		if (vdp_vid(o->ps_pcp_vid) == 0 && vdp_vid(f.ps_pcp_vid) != 0) {
			o->ps_pcp_vid = f.ps_pcp_vid;
			changed = true;
		}
	}
	vsi_table_index_filters(&st->tab, v);
	v->flags &= (uint8_t)~VSI_F_VID0;
	return changed;
}

static void handle_response(struct vdp_station *st, struct vsi *v, const struct vdp_assoc *a)
{
	bool ka = v->flags & VSI_F_KA, dirty = v->flags & VSI_F_DIRTY, vid = false;
	uint8_t prev = v->mode_cur;
	enum vdp_event ev;

	vtimer_cancel(st->clock, v->timer);
	inflight_drop(st, v);
	v->flags &= (uint8_t)~(VSI_F_INFLIGHT | VSI_F_KA | VSI_F_DIRTY | VSI_F_HARD);
	v->flags2 &= (uint8_t)~VSI_F2_RESYNC;
	v->status = a->status;
	if (a->status & VDP_STATUS_HARD)
		v->flags |= VSI_F_HARD;

	if (a->status & VDP_STATUS_REASON) {
		/* 41.2.x Keep: the bridge kept the state that existed before
		 * the request.  Without a confirmed state there is nothing
		 * to keep and the VSI ends like on any other error. */
		if ((a->status & VDP_STATUS_KEEP) && prev != VDP_MODE_NONE) {
			if (!dirty) {
				/* Back to the last confirmed request: the
				 * keep-alives must carry what the bridge
				 * kept, not the refused change. */
				v->mode_req = prev;
				if (v->saved) {
					vsi_rec_restore(&st->tab, v, v->saved);
					vsi_rec_drop(v);
				}
			}
			if (!wait_syscmd(st, v) || (dirty && !queue_current(st, v)))
				return;
			emit(st, v, VDP_EV_KEPT);
			return;
		}
		v->reason = VDP_END_REJECTED;
		end(st, v, VDP_END_REJECTED, VDP_EV_FAILED);
		return;
	}

	vsi_rec_drop(v);	/* confirmed: nothing older to return to */
	if (a->type == VDP_MODE_DEASSOC) {
		if (dirty && v->mode_req != VDP_MODE_DEASSOC) {
			/* A new request came while de-associating. */
			v->mode_cur = VDP_MODE_NONE;
			if (queue_current(st, v))
				emit(st, v, VDP_EV_DEASSOCIATED);
			return;
		}
		end(st, v, VDP_END_DEASSOCIATED, VDP_EV_DEASSOCIATED);
		return;
	}

	v->mode_cur = a->type;
	if ((v->flags & VSI_F_VID0) && !dirty)
		vid = adopt_vids(st, v, a);
	/* PREASSOC_NEW -> WAIT_SYSCMD; ASSOC_NEW -> ASSOC_COMPL -> WAIT_SYSCMD */
	if (a->type == VDP_MODE_ASSOC) {
		if (!enter(st, v, VDP_ST_ASSOC_NEW) ||
		    !enter(st, v, VDP_ST_ASSOC_COMPL))
			return;
	} else if (!enter(st, v, VDP_ST_PREASSOC_NEW)) {
		return;
	}
	if (!wait_syscmd(st, v) || (dirty && !queue_current(st, v)))
		return;
	if (ka && prev == a->type)
		ev = VDP_EV_KEEPALIVE_OK;
	else
		ev = a->type == VDP_MODE_ASSOC ? VDP_EV_ASSOCIATED : VDP_EV_PREASSOCIATED;
	if (vid)
		emit(st, v, VDP_EV_VID_ASSIGNED);
	emit(st, v, ev);
}

/* The answer to a request that a newer local request (other type or
 * filters) has replaced: note what the bridge now holds, then send the
 * newer request.  The requester hears about the newer one only. */
static void superseded(struct vdp_station *st, struct vsi *v, const uint8_t *mgrid,
		       const struct vdp_assoc *a)
{
	vtimer_cancel(st->clock, v->timer);
	inflight_drop(st, v);
	v->flags &= (uint8_t)~(VSI_F_INFLIGHT | VSI_F_KA | VSI_F_DIRTY);
	v->flags2 &= (uint8_t)~VSI_F2_RESYNC;
	if (!(a->status & VDP_STATUS_REASON)) {
		v->mode_cur = a->type == VDP_MODE_DEASSOC ? VDP_MODE_NONE : a->type;
		vsi_rec_drop(v);
		/* The bridge now holds the replaced request, as echoed:
		 * what a Keep refusal of the newer one returns to.  Without
		 * memory for it, such a refusal keeps the newer filters. */
		if (v->mode_cur != VDP_MODE_NONE)
			v->saved = vsi_rec_from_assoc(mgrid, a);
	} else if (!(a->status & VDP_STATUS_KEEP)) {
		v->mode_cur = VDP_MODE_NONE;
		vsi_rec_drop(v);
	}
	queue_current(st, v);
}

void vdp_station_rx(struct vdp_station *st, const uint8_t *ulpdu, size_t len)
{
	struct vdp_tlv tlvs[RX_MAX_TLVS];
	struct vdp_pdu pdu = { .tlvs = tlvs, .cap = RX_MAX_TLVS };

	if (vdp_decode(ulpdu, len, &pdu) != CODEC_OK) {
		st->cnt.rx_bad++;
		return;
	}
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
			if ((v->flags2 & VSI_F2_RESYNC) && (v->flags & (VSI_F_INFLIGHT | VSI_F_QUEUED))) {
				/* Our re-request after a link up / new peer
				 * has not been answered: the bridge sent this
				 * before it saw it (its toutKeepAlive ran out
				 * while our link was down; ECP delivers in
				 * order, so a De-Associate after the request
				 * would follow the response).  The response
				 * decides; ending now would leave the bridge
				 * holding a VSI we dropped. */
				st->cnt.bridge_deassoc_stale++;
				continue;
			}
			st->cnt.bridge_deassoc++;
			if (v->mode_req == VDP_TLV_DEASSOC) {
				/* We were de-associating it ourselves: the
				 * bridge's De-Associate completes that (an
				 * lldpad bridge answers a station De-Associate
				 * as a keep-alive and drops the VSI later). */
				end(st, v, VDP_END_DEASSOCIATED, VDP_EV_DEASSOCIATED);
				continue;
			}
			end(st, v, VDP_END_BRIDGE_DEASSOC, VDP_EV_BRIDGE_DEASSOC);
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
		if (!response_matches(v, pdu.mgrid, a)) {
			if (v->flags & VSI_F_DIRTY) {
				/* It answers the request the new one replaced. */
				st->cnt.responses++;
				superseded(st, v, pdu.mgrid, a);
				continue;
			}
			st->cnt.resp_mismatch++;
			continue;
		}
		st->cnt.responses++;
		handle_response(st, v, a);
	}
	vdp_station_kick(st);
}

void vdp_station_pause(struct vdp_station *st)
{
	struct vsi *v;

	st->paused = true;
	while (vsi_fifo_pop(&st->pending))
		;
	st->n_inflight = 0;
	for (v = vsi_table_first(&st->tab); v; v = vsi_table_next(&st->tab, v)) {
		vtimer_cancel(st->clock, v->timer);
		v->flags &= (uint8_t)~(VSI_F_INFLIGHT | VSI_F_KA | VSI_F_DIRTY);
	}
}

void vdp_station_reassociate_all(struct vdp_station *st)
{
	struct vsi *v, *n;

	st->paused = false;
	for (v = vsi_table_first(&st->tab); v; v = n) {
		n = vsi_table_next(&st->tab, v);
		if (v->state == VDP_ST_END)
			continue;
		v->flags &= (uint8_t)~(VSI_F_INFLIGHT | VSI_F_KA | VSI_F_DIRTY);
		v->flags2 |= VSI_F2_RESYNC;
		queue_current(st, v);
	}
	vdp_station_kick(st);
}
