/* The VDP bridge state machine per VSI (IEEE 802.1Qbg-2012 41.5.6), on
 * the driver of sm.h: the standard's states and their names; one entry
 * function per state; one step function that checks the global conditions
 * first (a bridge-initiated De-Associate, a station De-Associate) and
 * then, in a switch on the current state, decides the next state from the
 * VSI's inputs (vsi->sm_in.br: a request, the admit decision, the timer,
 * the reply handed to ECP); vdp_bridge_sm_run() steps it until stable.
 * The event handlers (vdp_bridge.c) only record inputs and run it. */
#include <stdlib.h>
#include <string.h>

#include "vdp/engine/sm_vsi.h"
#include "vdp/engine/vdp_bridge_int.h"

#define IN(v) (&(v)->sm_in.br)
#define emit vdp_bridge_emit

static inline bool global_input(const struct vdp_bridge_in *in)
{
	return in->deassocCmd | in->rxDeassoc;
}

const char *vdp_bridge_state_name(uint8_t s)
{
	switch ((enum vdp_bridge_state)s) {
	case VDP_BR_INIT:
		return "INIT";
	case VDP_BR_PROCESS:
		return "PROCESS";
	case VDP_BR_SEND:
		return "SEND";
	case VDP_BR_WAITCMD:
		return "WAITCMD";
	case VDP_BR_ALIVE:
		return "ALIVE";
	case VDP_BR_KEEP:
		return "KEEP";
	case VDP_BR_DEASSOC:
		return "DEASSOC";
	case VDP_BR_DEASSOCIATED:
		return "DEASSOCIATED";
	case VDP_BR_END:
		return "END";
	}
	return "?";
}

const char *vdp_bridge_event_name(enum vdp_bridge_event ev)
{
	switch (ev) {
	case VDP_BR_EV_ADMITTED:
		return "admitted";
	case VDP_BR_EV_REFUSED:
		return "refused";
	case VDP_BR_EV_KEPT:
		return "kept";
	case VDP_BR_EV_STATION_DEASSOC:
		return "station-deassoc";
	case VDP_BR_EV_TIMEOUT:
		return "keepalive-timeout";
	case VDP_BR_EV_DEASSOC_SENT:
		return "deassoc-sent";
	case VDP_BR_EV_REMOVED:
		return "removed";
	}
	return "?";
}

/* Legal transitions of the bridge machine, 802.1Qbg-2012 41.5.6 as this
 * file implements it: one row per state, the states that may follow it.
 * A new VSI record starts in INIT (BEGIN, vsi_alloc() zeroes); a record
 * re-allocated for more filters starts there again.
 *
 * INIT          -> PROCESS (request), DEASSOC (De-Associate of an unknown VSI)
 * PROCESS       -> SEND (admitted), KEEP (refused with Keep; resourceWaitDelay
 *                  expiry of an association), DEASSOC (refused; station
 *                  De-Associate while deciding), DEASSOCIATED
 *                  (resourceWaitDelay expiry, vdp_bridge_deassoc())
 * SEND          -> WAITCMD
 * WAITCMD       -> ALIVE (same request again: keep-alive), PROCESS (other
 *                  mode, type or filters), DEASSOC (station De-Associate),
 *                  DEASSOCIATED (toutKeepAlive expiry, vdp_bridge_deassoc())
 * ALIVE         -> WAITCMD
 * KEEP          -> WAITCMD (Keep reply handed to ECP or dropped; new request
 *                  before it left; toutKeepAlive), DEASSOC (station
 *                  De-Associate), DEASSOCIATED (vdp_bridge_deassoc())
 * DEASSOC, DEASSOCIATED
 *               -> END (reply handed to ECP, record freed), PROCESS (new
 *                  request before the reply left), DEASSOC (station
 *                  De-Associate before it left)
 * END           -> (none: the record is freed)
 *
 * One bit per state, a row for every value of the uint8_t vsi->state (the
 * rows past END are 0): the check is one load and a bit test. */
#define BR(s) (1u << VDP_BR_##s)
static const uint16_t bridge_next[SM_ROWS] = {
	[VDP_BR_INIT] = BR(PROCESS) | BR(DEASSOC),
	[VDP_BR_PROCESS] = BR(SEND) | BR(KEEP) | BR(DEASSOC) | BR(DEASSOCIATED),
	[VDP_BR_SEND] = BR(WAITCMD),
	[VDP_BR_WAITCMD] = BR(ALIVE) | BR(PROCESS) | BR(DEASSOC) | BR(DEASSOCIATED),
	[VDP_BR_ALIVE] = BR(WAITCMD),
	[VDP_BR_KEEP] = BR(WAITCMD) | BR(DEASSOC) | BR(DEASSOCIATED),
	[VDP_BR_DEASSOC] = BR(END) | BR(PROCESS) | BR(DEASSOC),
	[VDP_BR_DEASSOCIATED] = BR(END) | BR(PROCESS) | BR(DEASSOC),
	[VDP_BR_END] = 0,
};
_Static_assert(VDP_BR_INIT == 0, "vsi_alloc() zeroes: a new VSI is in INIT");
_Static_assert(VDP_BR_END < SM_MAX_STATES, "bridge_next[] holds one bit per state");

static const struct sm_desc bridge_sm = {
	.name = "bridge",
	.clause = "802.1Qbg 41.5.6",
	.next = bridge_next,
	.uct = BR(SEND) | BR(ALIVE), /* left unconditionally */
	.n_states = VDP_BR_END + 1,
	.state_name = vdp_bridge_state_name,
};
#undef BR

bool vdp_bridge_transition_legal(uint8_t from, uint8_t to)
{
	return sm_legal(&bridge_sm, from, to);
}

/* toutKeepAlive (41.5.6; MIB ieee8021BridgeEvbSbpVdpOperToutKeepAlive). */
uint64_t vdp_bridge_keepalive_timeout_us(const struct vdp_bridge *br)
{
	uint64_t t = vdp_exp_us(br->rka) + (2ULL * br->r + 1) * vdp_exp_us(br->rte);

	return t * 3 / 2;
}

uint64_t vdp_bridge_resource_wait_us(const struct vdp_bridge *br)
{
	return vdp_exp_us(br->rwd);
}

/* ---- helpers of the entry actions */

/* Removes and frees now (the reply, if any, was sent or is dropped). */
static void vsi_remove(struct vdp_bridge *br, struct vsi *v)
{
	emit(br, v, VDP_BR_EV_REMOVED);
	vsi_fifo_remove(&br->pending, v);
	vsi_table_del(&br->tab, v);
	vdp_bridge_vsi_free(br, v);
}

/* Queues a reply TLV (type, status); remove: free the VSI once sent. */
static void reply(struct vdp_bridge *br, struct vsi *v, uint8_t type, uint8_t status, bool remove)
{
	v->resp_type = type;
	v->status = status;
	if (remove)
		v->flags |= VSI_F_REMOVE;
	else
		v->flags &= (uint8_t)~VSI_F_REMOVE;
	vsi_fifo_push(&br->pending, v);
}

/* Puts the confirmed record back (type, version, manager ID, filters and
 * their MAC/VID index entries) if a refused change had replaced it. */
static void restore(struct vdp_bridge *br, struct vsi *v)
{
	if (!v->saved)
		return;
	vsi_rec_restore(&br->tab, v, v->saved);
	vsi_rec_drop(v);
}

void vdp_bridge_set_filters(struct vdp_bridge *br, struct vsi *v, uint8_t fmt,
			    const struct vdp_filter *f, uint16_t n)
{
	vsi_table_unindex_filters(&br->tab, v);
	vsi_set_filters(v, fmt, f, n);
	vsi_table_index_filters(&br->tab, v);
}

/* ---- entry actions, one function per state (INIT has none: a record
 * starts there, zeroed). */

/* PROCESS: ask for the resources (ops->admit); a deferred answer gets
 * resourceWaitDelay. */
static void process_entry(struct vdp_bridge *br, struct vsi *v)
{
	uint8_t status = 0;
	int rc;

	rc = br->ops->admit(br->ctx, v, br->rx.mgrid, br->rx.a, br->rx.f, br->rx.a->n_filters,
			    &status);
	if (rc == VDP_ADMIT_DEFER) {
		vtimer_arm(br->clock, v->timer, vdp_bridge_resource_wait_us(br));
		return;
	}
	br->adm.status = status;
	br->adm.f = br->rx.f;
	br->adm.n = br->rx.a->n_filters;
	IN(v)->resourceResult = true;
}

/* SEND: record the confirmed mode (lldpad never does, and so mistakes a
 * De-Associate for a keep-alive) and answer success; toutKeepAlive runs. */
static void send_entry(struct vdp_bridge *br, struct vsi *v)
{
	if (br->adm.f && br->adm.n == v->n_filters)
		vdp_bridge_set_filters(br, v, v->filter_fmt, br->adm.f, br->adm.n);
	vsi_rec_drop(v); /* the request is the confirmed record now */
	v->mode_cur = v->mode_req;
	br->cnt.admitted++;
	reply(br, v, v->mode_cur, VDP_STATUS_RESPONSE, false);
	vtimer_arm(br->clock, v->timer, vdp_bridge_keepalive_timeout_us(br));
}

/* WAITCMD: the confirmed record is the one in force (after KEEP: the
 * record before the refused change, 41.2.4). */
static void waitcmd_entry(struct vdp_bridge *br, struct vsi *v)
{
	restore(br, v);
	v->mode_req = v->mode_cur;
}

/* ALIVE: a keep-alive; answered without a new resource decision. */
static void alive_entry(struct vdp_bridge *br, struct vsi *v)
{
	reply(br, v, v->mode_cur, VDP_STATUS_RESPONSE, false);
	vtimer_arm(br->clock, v->timer, vdp_bridge_keepalive_timeout_us(br));
}

/* KEEP (41.2.4 Keep, 41.5.6): the request is refused (v->status) and the
 * state that existed before it stays.  The reply echoes the refused
 * request (the station matches it by those keys), so the record keeps the
 * request until the reply is packed; WAITCMD then restores the confirmed
 * one. */
static void keep_entry(struct vdp_bridge *br, struct vsi *v)
{
	reply(br, v, v->mode_req, v->status, false);
	vtimer_arm(br->clock, v->timer, vdp_bridge_keepalive_timeout_us(br));
}

/* DEASSOC: a De-Associate reply (v->status: success to a station
 * De-Associate, or the refusal), then END. */
static void deassoc_entry(struct vdp_bridge *br, struct vsi *v)
{
	v->mode_cur = VDP_MODE_NONE;
	reply(br, v, VDP_TLV_DEASSOC, v->status, true);
}

/* DEASSOCIATED: unsolicited De-Associate (request, status 0), then END. */
static void deassociated_entry(struct vdp_bridge *br, struct vsi *v)
{
	vtimer_cancel(br->clock, v->timer);
	restore(br, v); /* it names what was associated */
	v->mode_cur = VDP_MODE_NONE;
	br->cnt.bridge_deassoc++;
	reply(br, v, VDP_TLV_DEASSOC, 0, true);
}

/* ---- checked transitions */

/* The machine went wrong (a bug here, not the station's doing): logged,
 * the VSI in DEASSOCIATED (sm_vsi_fault()); here: count it and
 * de-associate the VSI as a toutKeepAlive expiry would, so the station
 * and the owner hear that it is gone. */
static void __attribute__((noinline, cold)) reset(void *m, struct vsi *v)
{
	struct vdp_bridge *br = m;

	br->cnt.illegal_transitions++;
	deassociated_entry(br, v);
	emit(br, v, VDP_BR_EV_DEASSOC_SENT);
}

static const struct sm_vsi bridge_vsi_sm = {
	.desc = &bridge_sm,
	.safe = VDP_BR_DEASSOCIATED,
	.outcome = "VSI de-associated",
	.reset = reset,
};

#define HOOK(br) ((struct sm_vsi_hook){ (br)->on_transition, (br)->ctx })

bool vdp_bridge_enter(struct vdp_bridge *br, struct vsi *v, enum vdp_bridge_state to)
{
	return sm_vsi_enter_any(&bridge_vsi_sm, br, v, to, HOOK(br));
}

/* SM_ENTER: the checked transition, then the new state's entry actions
 * (END's frees v).  false: illegal, v de-associated instead. */
static inline __attribute__((always_inline)) bool go(struct vdp_bridge *br, struct vsi *v,
						     enum vdp_bridge_state to)
{
	if (!sm_vsi_enter(&bridge_vsi_sm, br, v, to, HOOK(br)))
		return false;
	switch (to) {
	case VDP_BR_INIT:
		break;
	case VDP_BR_PROCESS:
		process_entry(br, v);
		break;
	case VDP_BR_SEND:
		send_entry(br, v);
		break;
	case VDP_BR_WAITCMD:
		waitcmd_entry(br, v);
		break;
	case VDP_BR_ALIVE:
		alive_entry(br, v);
		break;
	case VDP_BR_KEEP:
		keep_entry(br, v);
		break;
	case VDP_BR_DEASSOC:
		deassoc_entry(br, v);
		break;
	case VDP_BR_DEASSOCIATED:
		deassociated_entry(br, v);
		break;
	case VDP_BR_END:
		vsi_remove(br, v); /* the reply left: the record is freed */
		break;
	}
	return true;
}

/* PROCESS for a new VSI or a change of mode, type or filters (br->rx):
 * the record takes the request.  A change of a confirmed VSI keeps the
 * confirmed record for a refusal with Keep (before vsi_for(), which may
 * re-allocate the record, leaving the new one in INIT).  NULL: no memory,
 * the request is dropped. */
static struct vsi *take_request(struct vdp_bridge *br, struct vsi *v)
{
	const struct vdp_assoc *a = br->rx.a;

	if (vdp_bridge_active(v) && v->mode_cur != VDP_MODE_NONE && !v->saved) {
		v->saved = vsi_rec_save(v);
		if (!v->saved) {
			br->cnt.alloc_fail++;
			return NULL;
		}
	}
	v = vdp_bridge_vsi_for(br, v, a);
	if (!v) {
		br->cnt.alloc_fail++;
		return NULL;
	}
	if (!vdp_bridge_active(v)) {
		v->mode_cur = VDP_MODE_NONE;
		vsi_fifo_remove(&br->pending, v);
		vsi_rec_drop(v);
	}
	vtimer_cancel(br->clock, v->timer);
	memcpy(v->mgrid, br->rx.mgrid, VDP_MGRID_LEN);
	v->type_id = a->type_id;
	v->type_version = a->type_version;
	v->mode_req = a->type;
	v->hints = a->status & (VDP_STATUS_MBIT | VDP_STATUS_SBIT);
	vdp_bridge_set_filters(br, v, a->filter_fmt, br->rx.f, a->n_filters);
	return v;
}

/* A keep-alive is answered without a new decision unless the owner asks
 * for one (ops->recheck): a VSI manager may revoke a profile from a
 * running VSI by refusing its keep-alive, with Keep or without (41.2.4). */
static bool keepalive_decided(struct vdp_bridge *br, const struct vsi *v)
{
	return br->ops && br->ops->recheck && br->ops->recheck(br->ctx, v);
}

/* take_request(), then PROCESS with the (maybe re-allocated) record. */
static bool process_request(struct vdp_bridge *br, struct vsi **vp)
{
	struct vsi *v = take_request(br, *vp);

	if (v) {
		*vp = v;
		go(br, v, VDP_BR_PROCESS);
	}
	return true;
}

/* The admit decision (br->adm) in PROCESS: SEND, KEEP or DEASSOC. */
static void decide(struct vdp_bridge *br, struct vsi *v)
{
	uint8_t status = br->adm.status, reason = status & VDP_STATUS_REASON;

	vtimer_cancel(br->clock, v->timer);
	if (!reason) {
		go(br, v, VDP_BR_SEND); /* then WAITCMD */
		return;
	}
	br->cnt.refused++;
	v->status = (uint8_t)(VDP_STATUS_RESPONSE | (status & (VDP_STATUS_KEEP | VDP_STATUS_HARD)) |
			      reason);
	if ((v->status & VDP_STATUS_KEEP) && v->mode_cur != VDP_MODE_NONE) {
		/* KEEP: the state before the request stays. */
		if (go(br, v, VDP_BR_KEEP))
			emit(br, v, VDP_BR_EV_KEPT);
		return;
	}
	/* DEASSOC: refuse, then END. */
	if (go(br, v, VDP_BR_DEASSOC))
		emit(br, v, VDP_BR_EV_REFUSED);
}

/* The global conditions, checked before the current state's (any state). */
static bool __attribute__((noinline)) step_global(struct vdp_bridge *br, struct vsi *v)
{
	if (SM_TAKE(IN(v)->deassocCmd)) {
		/* Bridge-initiated De-Associate. */
		if (go(br, v, VDP_BR_DEASSOCIATED))
			emit(br, v, VDP_BR_EV_DEASSOC_SENT);
		return true;
	}
	if (SM_TAKE(IN(v)->rxDeassoc)) {
		/* A station De-Associate really ends the VSI (lldpad
		 * keeps it); for an unknown VSI there is nothing to
		 * release: success. */
		vtimer_cancel(br->clock, v->timer);
		v->status = VDP_STATUS_RESPONSE;
		if (!go(br, v, VDP_BR_DEASSOC))
			return true;
		if (br->rx.known)
			br->cnt.station_deassoc++;
		v->mode_req = VDP_MODE_DEASSOC;
		if (br->rx.known)
			emit(br, v, VDP_BR_EV_STATION_DEASSOC);
		return true;
	}
	return false;
}

/* The step of PROCESS: the admit decision, resourceWaitDelay's expiry, a
 * repeated request. */
static bool step_process(struct vdp_bridge *br, struct vsi *v)
{
	if (SM_TAKE(IN(v)->resourceResult)) {
		decide(br, v);
		return true;
	}
	if (SM_TAKE(IN(v)->timeout)) {
		/* resourceWaitDelay expired without an answer: keep
		 * an association, otherwise de-associate. */
		br->cnt.resource_timeouts++;
		if (v->mode_cur == VDP_MODE_ASSOC) {
			br->cnt.refused++;
			v->status = VDP_STATUS_RESPONSE | VDP_STATUS_KEEP |
				VDP_R_UNABLE_TO_CONTACT_MANAGER;
			if (go(br, v, VDP_BR_KEEP))
				emit(br, v, VDP_BR_EV_KEPT);
		} else if (go(br, v, VDP_BR_DEASSOCIATED)) {
			emit(br, v, VDP_BR_EV_REFUSED);
		}
		return true;
	}
	/* A repeated request while deciding: the answer comes. */
	return SM_TAKE(IN(v)->rxCmd);
}

/* One step of *vp's machine: true if it consumed an input or changed the
 * state, false once nothing applies.  *vp may change: a request with more
 * filters re-allocates the record; END frees it (*vp = NULL). */
static bool step(void *m, struct vsi **vp)
{
	struct vdp_bridge *br = m;
	struct vsi *v = *vp;

	if (__builtin_expect(global_input(IN(v)), 0) && step_global(br, v))
		return true;
	switch ((enum vdp_bridge_state)v->state) {
	case VDP_BR_INIT:
	case VDP_BR_DEASSOC:
	case VDP_BR_DEASSOCIATED:
		if ((v->flags & VSI_F_REMOVE) && SM_TAKE(IN(v)->txmit)) {
			if (!go(br, v, VDP_BR_END))
				return true;
			*vp = NULL; /* freed */
			return false;
		}
		if ((v->flags & VSI_F_REMOVE) && SM_TAKE(IN(v)->tooBig)) {
			/* Cannot be answered in one ECPDU: dropped. */
			vsi_remove(br, v);
			*vp = NULL;
			return false;
		}
		if (SM_TAKE(IN(v)->rxCmd))
			return process_request(br, vp);
		return false;
	case VDP_BR_PROCESS:
		return step_process(br, v);
	case VDP_BR_SEND:
		if (go(br, v, VDP_BR_WAITCMD))
			emit(br, v, VDP_BR_EV_ADMITTED);
		return true;
	case VDP_BR_ALIVE:
		go(br, v, VDP_BR_WAITCMD);
		return true;
	case VDP_BR_WAITCMD:
		if (SM_TAKE(IN(v)->timeout)) {
			/* No keep-alive within toutKeepAlive. */
			br->cnt.timeouts++;
			if (go(br, v, VDP_BR_DEASSOCIATED))
				emit(br, v, VDP_BR_EV_TIMEOUT);
			return true;
		}
		if (SM_TAKE(IN(v)->rxCmd)) {
			/* The confirmed request again (a VID 0 in it
			 * matches the VID assigned, no priority the one
			 * set): a keep-alive, unless the owner decides
			 * keep-alives again. */
			if (br->rx.a->type == v->mode_cur &&
			    vsi_keys_match(v, br->rx.mgrid, br->rx.a, VSI_VID0_IN_TLV) &&
			    !keepalive_decided(br, v)) {
				br->cnt.keepalives++;
				go(br, v, VDP_BR_ALIVE);
				return true;
			}
			return process_request(br, vp);
		}
		return false;
	case VDP_BR_KEEP:
		/* The Keep reply was packed (the echo is encoded), dropped,
		 * or never left (ECP busy all along: the timer), or the
		 * station asks again before it left: WAITCMD first, where a
		 * timer or a request is then handled. */
		if (SM_TAKE(IN(v)->txmit) || SM_TAKE(IN(v)->tooBig) || IN(v)->timeout ||
		    IN(v)->rxCmd) {
			go(br, v, VDP_BR_WAITCMD);
			return true;
		}
		return false;
	case VDP_BR_END:
		return false;
	}
	return false; /* a state out of range: nothing applies */
}

struct vsi *vdp_bridge_sm_run(struct vdp_bridge *br, struct vsi *v)
{
	return sm_vsi_run(&bridge_vsi_sm, br->step_cap, step, br, v, HOOK(br));
}
