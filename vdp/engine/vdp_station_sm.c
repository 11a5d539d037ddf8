/* The VDP station state machine, one per VSI (IEEE 802.1Qbg-2012 41.5.5),
 * on the driver of sm.h: the standard's states (enum vdp_station_state)
 * and their names; one entry function per state (its entry actions); one
 * step function that checks the global conditions first and then, in a
 * switch on the current state, decides the next state from the VSI's
 * inputs (vsi->sm_in.sta, recorded by the event handlers in
 * vdp_station.c) and variables; vdp_station_sm_run() steps it until
 * stable.  Every change of state is checked against the transition table
 * station_next[] (vdp_station_enter()). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/base/log.h"
#include "vdp/engine/sm_vsi.h"
#include "vdp/engine/vdp_station_int.h"
#include "vdp/wire/vdp_text.h"

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
 *                   TXMIT_KAWAIT also -> TXMIT_KA (keep-alive lost or not
 *                   answered while the bridge's toutKeepAlive can still be
 *                   met: sent again at once, vdp_station_ka.c)
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
static const uint16_t station_next[SM_ROWS] = {
	[VDP_ST_INIT] = ST(STATION_PROC) | ST(TXMIT_DEASSOC) | ST(END),
	[VDP_ST_STATION_PROC] =
		ST(STATION_PROCWAIT) | ST(STATION_PROC) | ST(TXMIT_DEASSOC) | ST(END),
	[VDP_ST_STATION_PROCWAIT] = ST_WAIT_NEXT,
	[VDP_ST_PREASSOC_NEW] = ST(WAIT_SYSCMD),
	[VDP_ST_ASSOC_NEW] = ST(ASSOC_COMPL),
	[VDP_ST_ASSOC_COMPL] = ST(WAIT_SYSCMD),
	[VDP_ST_WAIT_SYSCMD] = ST(TXMIT_KA) | ST(STATION_PROC) | ST(TXMIT_DEASSOC) | ST(END),
	[VDP_ST_TXMIT_KA] = ST(TXMIT_KAWAIT) | ST(TXMIT_DEAWAIT) | ST(STATION_PROC) |
		ST(TXMIT_DEASSOC) | ST(END),
	[VDP_ST_TXMIT_KAWAIT] = ST_WAIT_NEXT | ST(TXMIT_KA),
	[VDP_ST_TXMIT_DEASSOC] = ST(TXMIT_DEAWAIT) | ST(TXMIT_DEASSOC) | ST(STATION_PROC) | ST(END),
	[VDP_ST_TXMIT_DEAWAIT] = ST_WAIT_NEXT,
	[VDP_ST_END] = ST(INIT),
};
#undef ST_WAIT_NEXT
_Static_assert(VDP_ST_INIT == 0, "vsi_alloc() zeroes: a new VSI is in INIT");
_Static_assert(VDP_ST_END < SM_MAX_STATES, "station_next[] holds one bit per state");

static const struct sm_desc station_sm = {
	.name = "station",
	.clause = "802.1Qbg 41.5.5",
	.next = station_next,
	/* left unconditionally (UCT in the standard's figure) */
	.uct = ST(PREASSOC_NEW) | ST(ASSOC_NEW) | ST(ASSOC_COMPL),
	.n_states = VDP_ST_END + 1,
	.state_name = vdp_station_state_name,
};
#undef ST

bool vdp_station_transition_legal(uint8_t from, uint8_t to)
{
	return sm_legal(&station_sm, from, to);
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

/* O(1) unless v is in the ECPDU in flight: a response usually comes after
 * the ack, when the next ECPDU (of other VSIs) is in flight. */
void vdp_station_inflight_drop(struct vdp_station *st, struct vsi *v)
{
	if (!v->in_ecpdu)
		return;
	v->in_ecpdu = false;
	vdp_station_inflight_replace(st, v, NULL);
}

void vdp_station_inflight_replace(struct vdp_station *st, struct vsi *v, struct vsi *nv)
{
	for (size_t i = 0; i < st->n_inflight; i++)
		if (st->inflight[i] == v)
			st->inflight[i] = nv;
	for (struct vdp_ecpdu_done *d = st->done; d; d = d->outer)
		for (size_t i = 0; i < d->n; i++)
			if (d->vsis[i] == v)
				d->vsis[i] = nv;
}

/* The event a run reports once the machine is stable: reported then, not
 * during the steps, because the requester may free v in ops->vsi_event. */
static inline void report(struct vsi *v, enum vdp_event ev)
{
	v->sm_ev = (uint8_t)(ev + 1);
}

static void __attribute__((noinline)) report_now(struct vdp_station *st, struct vsi *v)
{
	uint8_t ev = v->sm_ev;
	bool vid = v->ev_vid;

	v->sm_ev = 0;
	v->ev_vid = false;
	if (!st->ops || !st->ops->vsi_event)
		return;
	if (vid)
		st->ops->vsi_event(st->ctx, v, VDP_EV_VID_ASSIGNED);
	if (ev)
		st->ops->vsi_event(st->ctx, v, (enum vdp_event)(ev - 1));
}

static inline void flush_events(struct vdp_station *st, struct vsi *v)
{
	if (v->sm_ev || v->ev_vid)
		report_now(st, v);
}

/* ---- entry actions, one function per state (or group of states that
 * share them); the _NEW and ASSOC_COMPL states have none. */

/* INIT (BEGIN): an ended VSI starts over; its request follows. */
static void init_entry(struct vsi *v)
{
	v->reason = VDP_END_NONE;
	v->status = 0;
	v->flags &= (uint8_t)(VSI_F_INDEXED);
	v->change_held = false;
	v->keepalive = false;
}

/* STATION_PROC, TXMIT_KA, TXMIT_DEASSOC: the current request waits in the
 * pending FIFO for vdp_station_kick() to pack it. */
static inline void queued_entry(struct vdp_station *st, struct vsi *v, enum vdp_station_state s)
{
	vtimer_cancel(st->clock, v->timer);
	v->keepalive = s == VDP_ST_TXMIT_KA;
	if (v->keepalive)
		/* Keep-alives of established VSIs go before new work: the
		 * bridge's toutKeepAlive does not wait for a burst. */
		vsi_fifo_push_prio(&st->pending, v);
	else
		vsi_fifo_push(&st->pending, v);
}

/* STATION_PROCWAIT, TXMIT_KAWAIT, TXMIT_DEAWAIT: handed to ECP, the
 * response wait (41.5.5.9) runs from now. */
static inline void wait_entry(struct vdp_station *st, struct vsi *v, enum vdp_station_state s)
{
	v->mode_sent = v->mode_req;
	v->flags |= VSI_F_INFLIGHT;
	vtimer_arm(st->clock, v->timer,
		   s == VDP_ST_TXMIT_KAWAIT ? vdp_station_ka_wait_us(st, v)
					    : vdp_station_resp_wait_us(st));
}

/* WAIT_SYSCMD: reinitKeepAlive runs from the last confirmed response
 * (spread, vdp_station_ka.c). */
static inline void wait_syscmd_entry(struct vdp_station *st, struct vsi *v)
{
	vdp_station_ka_armed(st, v);
	vtimer_arm(st->clock, v->timer, vdp_station_ka_delay_us(st));
}

/* END: the VSI stays in the table (status for requesters) until forgotten
 * or requested again; vsi->reason and the event were set on the way. */
static void end_entry(struct vdp_station *st, struct vsi *v)
{
	vtimer_cancel(st->clock, v->timer);
	vsi_fifo_remove(&st->pending, v);
	vdp_station_inflight_drop(st, v);
	v->flags &= (uint8_t)~VSI_F_INFLIGHT;
	v->change_held = false;
	v->keepalive = false;
	v->resync = false;
	v->ka_due_set = false;
	v->mode_cur = VDP_MODE_NONE;
	vsi_rec_drop(v);
}

/* ---- checked transitions */

/* The machine went wrong (a bug here, not the peer's doing): logged, the
 * VSI in END (sm_vsi_fault()), the one state every other state may reach;
 * here: count it and end the VSI (no timer, nothing queued, the requester
 * told).  Only the failure is reported. */
static void __attribute__((noinline, cold)) reset(void *m, struct vsi *v)
{
	struct vdp_station *st = m;

	st->cnt.illegal_transitions++;
	v->reason = VDP_END_INTERNAL;
	v->ev_vid = false;
	report(v, VDP_EV_FAILED);
	end_entry(st, v);
}

static const struct sm_vsi station_vsi_sm = {
	.desc = &station_sm,
	.safe = VDP_ST_END,
	.outcome = "VSI ended",
	.reset = reset,
};

#define HOOK(st) ((struct sm_vsi_hook){ (st)->on_transition, (st)->ctx })

bool vdp_station_enter(struct vdp_station *st, struct vsi *v, enum vdp_station_state to)
{
	bool ok = sm_vsi_enter_any(&station_vsi_sm, st, v, to, HOOK(st));

	flush_events(st, v);	/* the failure of an illegal one */
	return ok;
}

/* SM_ENTER: the checked transition, then the new state's entry actions.
 * false: the transition was illegal and v ended instead. */
static inline __attribute__((always_inline)) bool
go(struct vdp_station *st, struct vsi *v, enum vdp_station_state to)
{
	if (!sm_vsi_enter(&station_vsi_sm, st, v, to, HOOK(st)))
		return false;
	switch (to) {
	case VDP_ST_INIT:
		init_entry(v);
		break;
	case VDP_ST_STATION_PROC:
	case VDP_ST_TXMIT_KA:
	case VDP_ST_TXMIT_DEASSOC:
		queued_entry(st, v, to);
		break;
	case VDP_ST_STATION_PROCWAIT:
	case VDP_ST_TXMIT_KAWAIT:
	case VDP_ST_TXMIT_DEAWAIT:
		wait_entry(st, v, to);
		break;
	case VDP_ST_PREASSOC_NEW:
	case VDP_ST_ASSOC_NEW:
	case VDP_ST_ASSOC_COMPL:
		break;
	case VDP_ST_WAIT_SYSCMD:
		wait_syscmd_entry(st, v);
		break;
	case VDP_ST_END:
		end_entry(st, v);
		break;
	}
	return true;
}

/* The state that sends the current request: TXMIT_DEASSOC for a
 * De-Associate, else STATION_PROC. */
static inline void send_current(struct vdp_station *st, struct vsi *v)
{
	go(st, v, v->mode_req == VDP_MODE_DEASSOC ? VDP_ST_TXMIT_DEASSOC : VDP_ST_STATION_PROC);
}

static inline void end(struct vdp_station *st, struct vsi *v, enum vdp_end_reason r, enum vdp_event ev)
{
	v->reason = (uint8_t)r;
	report(v, ev);
	go(st, v, VDP_ST_END);
}

/* ---- response evaluation (the standard's STATION_PROCWAIT_2,
 * TXMIT_KAWAIT_2 and TXMIT_DEAWAIT_2) */

/* What the bridge filled in: a VID where we sent VID 0, a priority (PS,
 * PCP) where we asked for none (802.1Qbg-2012 41.2.9).  The VSI takes
 * them, so later keep-alives carry what the bridge confirmed.  true if
 * anything changed. */
static uint16_t adopted_word(uint16_t o, uint16_t r)
{
	if (vdp_vid(o) == 0 && vdp_vid(r) != 0)
		o = (uint16_t)((o & ~VDP_VID_MASK) | vdp_vid(r));
	if (!vdp_ps(o) && vdp_ps(r))
		o = (uint16_t)((o & VDP_VID_MASK) | (r & (VDP_PS | VDP_PCP_MASK)));
	return o;
}

static bool adopt_filter_values(struct vdp_station *st, struct vsi *v, const struct vdp_assoc *a)
{
	struct vdp_filter f;
	uint16_t i;

	v->flags &= (uint8_t)~VSI_F_VID0;
	for (i = 0; i < a->n_filters; i++) {
		vdp_filter_get(a, i, &f);
		if (adopted_word(v->filters[i].f.ps_pcp_vid, f.ps_pcp_vid) !=
		    v->filters[i].f.ps_pcp_vid)
			break;
	}
	if (i == a->n_filters)
		return false; /* the common case: nothing filled in */
	vsi_table_unindex_filters(&st->tab, v);
	for (i = 0; i < a->n_filters; i++) {
		vdp_filter_get(a, i, &f);
		v->filters[i].f.ps_pcp_vid = adopted_word(v->filters[i].f.ps_pcp_vid, f.ps_pcp_vid);
	}
	vsi_table_index_filters(&st->tab, v);
	return true;
}

/* A response to the request the newest local request (other type or
 * filters) has replaced: note what the bridge now holds, then send the
 * newer request.  The requester hears about the newer one only. */
static void superseded(struct vdp_station *st, struct vsi *v, const uint8_t *mgrid,
		       const struct vdp_assoc *a)
{
	vtimer_cancel(st->clock, v->timer);
	vdp_station_inflight_drop(st, v);
	v->flags &= (uint8_t)~VSI_F_INFLIGHT;
	v->change_held = false;
	v->keepalive = false;
	v->resync = false;
	if (!(a->status & VDP_STATUS_REASON)) {
		v->mode_cur = a->type == VDP_MODE_DEASSOC ? VDP_MODE_NONE : a->type;
		vsi_rec_drop(v);
		/* The bridge now holds the replaced request, as echoed:
		 * what a Keep refusal of the newer one returns to.  Without
		 * memory for it, or if the echo has more filters than the
		 * VSI has room for (its keys differ anyway: vsi_rec_restore()
		 * must not overrun the VSI), such a refusal keeps the newer
		 * filters. */
		if (v->mode_cur != VDP_MODE_NONE && a->n_filters <= v->cap_filters)
			v->saved = vsi_rec_from_assoc(mgrid, a);
	} else if (!(a->status & VDP_STATUS_KEEP)) {
		v->mode_cur = VDP_MODE_NONE;
		vsi_rec_drop(v);
	}
	send_current(st, v);
}

/* The response to the request in flight.  A local request that came
 * meanwhile (vsi->change_held) becomes localChange again, for the state this
 * leads to. */
static void evaluate(struct vdp_station *st, struct vsi *v, const struct vdp_assoc *a)
{
	bool ka = v->keepalive, dirty = v->change_held;
	uint8_t prev = v->mode_cur;

	vtimer_cancel(st->clock, v->timer);
	vdp_station_inflight_drop(st, v);
	v->flags &= (uint8_t) ~(VSI_F_INFLIGHT | VSI_F_HARD);
	v->change_held = false;
	v->keepalive = false;
	v->resync = false;
	v->status = a->status;
	if (a->status & VDP_STATUS_HARD)
		v->flags |= VSI_F_HARD;
	if (dirty)
		v->sm_in.sta.localChange = true;

	if (a->status & VDP_STATUS_REASON) {
		st->cnt.requests_refused++;
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
			report(v, VDP_EV_KEPT);
			go(st, v, VDP_ST_WAIT_SYSCMD);
			return;
		}
		end(st, v, VDP_END_REJECTED, VDP_EV_FAILED);
		return;
	}

	vsi_rec_drop(v);	/* confirmed: nothing older to return to */
	if (a->type == VDP_MODE_DEASSOC) {
		if (dirty && v->mode_req != VDP_MODE_DEASSOC) {
			/* A new request came while de-associating. */
			v->sm_in.sta.localChange = false;
			v->mode_cur = VDP_MODE_NONE;
			report(v, VDP_EV_DEASSOCIATED);
			send_current(st, v);
			return;
		}
		end(st, v, VDP_END_DEASSOCIATED, VDP_EV_DEASSOCIATED);
		return;
	}

	v->mode_cur = a->type;
	if (!dirty && adopt_filter_values(st, v, a))
		v->ev_vid = true;
	if (ka && prev == a->type)
		report(v, VDP_EV_KEEPALIVE_OK);
	else
		report(v, a->type == VDP_MODE_ASSOC ? VDP_EV_ASSOCIATED : VDP_EV_PREASSOCIATED);
	/* then ASSOC_NEW -> ASSOC_COMPL -> WAIT_SYSCMD, PREASSOC_NEW ->
	 * WAIT_SYSCMD (unconditional) */
	go(st, v, a->type == VDP_MODE_ASSOC ? VDP_ST_ASSOC_NEW : VDP_ST_PREASSOC_NEW);
}

/* A response not matching the request: say so if a priority we asked
 * for was not given (41.2.9), the one mismatch a working bridge makes. */
static void __attribute__((cold)) log_pcp_refused(const struct vsi *v, const struct vdp_assoc *a)
{
	char id[VDP_TXT_VSIID_LEN];
	struct vdp_filter f;

	for (uint16_t i = 0; i < a->n_filters && i < v->n_filters; i++) {
		vdp_filter_get(a, i, &f);
		if (!vsi_pcp_answers(v->filters[i].f.ps_pcp_vid, f.ps_pcp_vid)) {
			vdp_txt_vsiid_format(v->vsiid_fmt, v->vsiid, id);
			log_warn("vdp",
				 "VSI %s: response refused: the bridge answered with another "
				 "priority (PCP) than the one asked for (802.1Qbg 41.2.9)",
				 id);
			return;
		}
	}
}

/* A response for a VSI in flight: its own (evaluate), the answer to a
 * request a newer one replaced, or not ours (other keys: ignored). */
static void rx_response(struct vdp_station *st, struct vsi *v)
{
	const struct vdp_assoc *a = st->rx_tlv;

	/* Keys of a response must be those of the request (41.2.x); VIDs may
	 * differ where we sent 0, the priority where we asked for none. */
	if (!vsi_keys_match(v, st->rx_mgrid, a, VSI_VID0_IN_VSI)) {
		if (v->change_held) {
			st->cnt.responses++;
			superseded(st, v, st->rx_mgrid, a);
			return;
		}
		st->cnt.resp_mismatch++;
		log_pcp_refused(v, a);
		return;
	}
	st->cnt.responses++;
	evaluate(st, v, a);
}

/* ---- the step function and its driver */

#define IN(v) (&(v)->sm_in.sta)

static inline bool global_input(const struct vdp_station_in *in)
{
	return in->begin | in->portDown | in->resend | in->rxDeassoc;
}

/* The global conditions, checked before the current state's (any state). */
static bool __attribute__((noinline)) step_global(struct vdp_station *st, struct vsi *v)
{
	if (SM_TAKE(IN(v)->begin)) {
		/* An ended VSI requested again (lldpad refuses: -ENODEV). */
		go(st, v, VDP_ST_INIT);
		return true;
	}
	if (SM_TAKE(IN(v)->portDown)) {
		/* Every state stays: the desired mode survives the link. */
		vtimer_cancel(st->clock, v->timer);
		v->flags &= (uint8_t)~VSI_F_INFLIGHT;
		v->change_held = false;
		v->keepalive = false;
		return true;
	}
	if (SM_TAKE(IN(v)->resend)) {
		/* Link up / new peer: whatever was in flight is gone. */
		if (v->state == VDP_ST_END)
			return true;
		v->flags &= (uint8_t)~VSI_F_INFLIGHT;
		v->change_held = false;
		v->keepalive = false;
		v->resync = true;
		send_current(st, v);
		return true;
	}
	if (SM_TAKE(IN(v)->rxDeassoc)) {
		if (v->resync && (v->flags & (VSI_F_INFLIGHT | VSI_F_QUEUED))) {
			/* Our re-request after a link up / new peer has not
			 * been answered: the bridge sent this before it saw
			 * it (its toutKeepAlive ran out while our link was
			 * down; ECP delivers in order, so a De-Associate
			 * after the request would follow the response).  The
			 * response decides; ending now would leave the bridge
			 * holding a VSI we dropped. */
			st->cnt.bridge_deassoc_stale++;
			return true;
		}
		st->cnt.bridge_deassoc++;
		if (v->mode_req == VDP_MODE_DEASSOC)
			/* We were de-associating it ourselves: the bridge's
			 * De-Associate completes that (an lldpad bridge
			 * answers a station De-Associate as a keep-alive and
			 * drops the VSI later). */
			end(st, v, VDP_END_DEASSOCIATED, VDP_EV_DEASSOCIATED);
		else
			/* 41.5.5 WAIT_SYSCMD (and any other state). */
			end(st, v, VDP_END_BRIDGE_DEASSOC, VDP_EV_BRIDGE_DEASSOC);
		return true;
	}
	return false;
}

/* A keep-alive lost (ECP gave up) or unanswered: sent again at once while
 * the bridge's toutKeepAlive can still be met (vdp_station_ka.c). */
static bool ka_resend(struct vdp_station *st, struct vsi *v)
{
	if (v->state != VDP_ST_TXMIT_KAWAIT || !vdp_station_ka_can_resend(st, v))
		return false;
	vdp_station_inflight_drop(st, v);
	v->flags &= (uint8_t)~VSI_F_INFLIGHT;
	st->cnt.ka_resent++;
	go(st, v, VDP_ST_TXMIT_KA);
	return true;
}

/* The step of the waiting states (STATION_PROCWAIT, TXMIT_KAWAIT,
 * TXMIT_DEAWAIT): the response (41.5.5.9), an ECP error, the response
 * wait's expiry, or a newer local request. */
static inline bool step_wait(struct vdp_station *st, struct vsi *v)
{
	if (SM_TAKE(IN(v)->rxResp)) {
		rx_response(st, v);
		return true;
	}
	if (SM_TAKE(IN(v)->ecpError)) {
		/* 41.5.5: a transmission error ends the VSI. */
		st->cnt.tx_errors++;
		if (!ka_resend(st, v))
			end(st, v, VDP_END_TX_ERROR, VDP_EV_FAILED);
		return true;
	}
	if (SM_TAKE(IN(v)->timeout)) {
		/* Response wait expired: the VSI ends (41.5.5). */
		st->cnt.timeouts++;
		if (!ka_resend(st, v))
			end(st, v, VDP_END_TIMEOUT, VDP_EV_FAILED);
		return true;
	}
	if (SM_TAKE(IN(v)->localChange)) {
		if (v->flags & VSI_F_INFLIGHT)
			/* Sent once the response to the previous
			 * request is in (lldpad: -EBUSY). */
			v->change_held = true;
		else
			send_current(st, v); /* link down: nothing in flight */
		return true;
	}
	return false;
}

/* One step: true if it consumed an input or changed the state (another
 * step may apply), false once nothing applies (stable). */
static inline bool step(struct vdp_station *st, struct vsi *v)
{
	if (__builtin_expect(global_input(IN(v)), 0))
		return step_global(st, v);
	switch ((enum vdp_station_state)v->state) {
	case VDP_ST_INIT:
		if (SM_TAKE(IN(v)->localChange)) {
			send_current(st, v);
			return true;
		}
		return false;
	case VDP_ST_STATION_PROC:
	case VDP_ST_TXMIT_KA:
	case VDP_ST_TXMIT_DEASSOC:
		if (SM_TAKE(IN(v)->txmit)) {
			/* An illegal transition ends v here; its TLV still
			 * leaves and its answer is stale. */
			bool ka = v->state == VDP_ST_TXMIT_KA;
			if (go(st, v, v->mode_req == VDP_MODE_DEASSOC ? VDP_ST_TXMIT_DEAWAIT :
				      ka ? VDP_ST_TXMIT_KAWAIT : VDP_ST_STATION_PROCWAIT) && ka)
				st->cnt.ka_tx++;
			return true;
		}
		if (SM_TAKE(IN(v)->tooBig)) {
			end(st, v, VDP_END_TOO_BIG, VDP_EV_FAILED);
			return true;
		}
		if (SM_TAKE(IN(v)->localChange)) {
			send_current(st, v);	/* the newer request, same place */
			return true;
		}
		return false;
	case VDP_ST_STATION_PROCWAIT:
	case VDP_ST_TXMIT_KAWAIT:
	case VDP_ST_TXMIT_DEAWAIT:
		return step_wait(st, v);
	case VDP_ST_PREASSOC_NEW:
		go(st, v, VDP_ST_WAIT_SYSCMD);
		return true;
	case VDP_ST_ASSOC_NEW:
		go(st, v, VDP_ST_ASSOC_COMPL);
		return true;
	case VDP_ST_ASSOC_COMPL:
		go(st, v, VDP_ST_WAIT_SYSCMD);
		return true;
	case VDP_ST_WAIT_SYSCMD:
		if (SM_TAKE(IN(v)->timeout)) {
			/* reinitKeepAlive: send the current request again. */
			go(st, v, VDP_ST_TXMIT_KA);
			return true;
		}
		if (SM_TAKE(IN(v)->localChange)) {
			send_current(st, v);
			return true;
		}
		return false;
	case VDP_ST_END:
		return false;
	}
	return false;		/* a state out of range: nothing applies */
}

static bool step_vp(void *m, struct vsi **vp)
{
	return step(m, *vp);
}

uint8_t vdp_station_sm_run(struct vdp_station *st, struct vsi *v)
{
	uint8_t s;

	sm_vsi_run(&station_vsi_sm, st->step_cap, step_vp, st, v, HOOK(st)); /* v stays */
	s = v->state;
	flush_events(st, v);
	return s;
}
