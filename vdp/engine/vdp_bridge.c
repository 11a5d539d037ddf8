/* VDP bridge state machine per VSI (IEEE 802.1Qbg-2012 41.5.6), in the
 * hostapd shape: the standard's states and their names; one entry function
 * per state; one step function that checks the global conditions first (a
 * bridge-initiated De-Associate, a station De-Associate) and then, in a
 * switch on the current state, decides the next state from the VSI's
 * inputs (vsi->sm_in: a request, the admit decision, the timer, the reply
 * handed to ECP); a driver, run(), that steps until stable.  The event
 * handlers (a request TLV from the station, a deferred admit decision,
 * vdp_bridge_deassoc(), the VSI's timer: resourceWaitDelay in PROCESS,
 * toutKeepAlive in WAITCMD and KEEP; packing) only record inputs and run
 * the machine.  Replies wait in br->pending and are packed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/base/log.h"
#include "vdp/engine/vdp_bridge.h"
#include "vdp/wire/vdp_text.h"

#define VSI_MAX_FILTERS ((VDP_TLV_MAX_INFO - VDP_ASSOC_FIXED) / 2)
#define RX_MAX_TLVS 128
#define PACK_MAX 128

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
static const uint16_t bridge_next[256] = {
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
#undef BR
_Static_assert(VDP_BR_INIT == 0, "vsi_alloc() zeroes: a new VSI is in INIT");
_Static_assert(VDP_BR_END < 16, "bridge_next[] holds one bit per state");

bool vdp_bridge_transition_legal(uint8_t from, uint8_t to)
{
	return to <= VDP_BR_END && (bridge_next[from] >> to) & 1;
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

/* ---- the machine's inputs (vsi->sm_in), recorded by the event handlers
 * below; each is consumed by the step that acts on it.  The request being
 * handled is in br->rx, an admit decision in br->adm. */
#define BR_IN_DEASSOC_CMD	0x0001	/* vdp_bridge_deassoc(): bridge-initiated */
#define BR_IN_RX_DEASSOC	0x0002	/* a De-Associate from the station */
#define BR_IN_GLOBAL		0x0003
#define BR_IN_RX_REQ		0x0004	/* a (Pre-)Associate from the station */
#define BR_IN_ADMIT		0x0008	/* the admit decision (br->adm) */
#define BR_IN_TIMER		0x0010	/* resourceWaitDelay (PROCESS), toutKeepAlive */
#define BR_IN_TXMIT		0x0020	/* the queued reply was handed to ECP */
#define BR_IN_TOO_BIG		0x0040	/* the queued reply does not fit an ECPDU */

/* The states left unconditionally. */
#define BR_UCT ((1u << VDP_BR_SEND) | (1u << VDP_BR_ALIVE))

static void emit(struct vdp_bridge *br, struct vsi *v, enum vdp_bridge_event ev)
{
	if (br->ops && br->ops->vsi_event)
		br->ops->vsi_event(br->ctx, v, ev);
}

static void vsi_free(struct vdp_bridge *br, struct vsi *v)
{
	vtimer_free(br->clock, v->timer);
	vsi_rec_drop(v);
	free(v);
}

/* Removes and frees now (the reply, if any, was sent or is dropped). */
static void vsi_remove(struct vdp_bridge *br, struct vsi *v)
{
	emit(br, v, VDP_BR_EV_REMOVED);
	vsi_fifo_remove(&br->pending, v);
	vsi_table_del(&br->tab, v);
	vsi_free(br, v);
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

static void set_filters(struct vdp_bridge *br, struct vsi *v, uint8_t fmt,
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

	rc = br->ops->admit(br->ctx, v, br->rx.mgrid, br->rx.a, br->rx.f, br->rx.a->n_filters, &status);
	if (rc == VDP_ADMIT_DEFER) {
		vtimer_arm(br->clock, v->timer, vdp_bridge_resource_wait_us(br));
		return;
	}
	br->adm.status = status;
	br->adm.f = br->rx.f;
	br->adm.n = br->rx.a->n_filters;
	v->sm_in |= BR_IN_ADMIT;
}

/* SEND: record the confirmed mode (lldpad never does, and so mistakes a
 * De-Associate for a keep-alive) and answer success; toutKeepAlive runs. */
static void send_entry(struct vdp_bridge *br, struct vsi *v)
{
	if (br->adm.f && br->adm.n == v->n_filters)
		set_filters(br, v, v->filter_fmt, br->adm.f, br->adm.n);
	vsi_rec_drop(v);	/* the request is the confirmed record now */
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
	restore(br, v);		/* it names what was associated */
	v->mode_cur = VDP_MODE_NONE;
	br->cnt.bridge_deassoc++;
	reply(br, v, VDP_TLV_DEASSOC, 0, true);
}

/* ---- checked transitions */

/* The machine went wrong (a bug here, not the station's doing): log it,
 * count it and de-associate the VSI as a toutKeepAlive expiry would, so
 * the station and the owner hear that it is gone. */
static void __attribute__((noinline, cold))
reset(struct vdp_bridge *br, struct vsi *v, uint8_t from, const char *what)
{
	char id[VDP_TXT_VSIID_LEN];

	br->cnt.illegal_transitions++;
	vdp_txt_vsiid_format(v->vsiid_fmt, v->vsiid, id);
	log_err("vdp", "VSI %s: %s (802.1Qbg 41.5.6), VSI de-associated", id, what);
	v->state = VDP_BR_DEASSOCIATED;
	if (br->on_transition)
		br->on_transition(br->ctx, v, from, v->state);
	deassociated_entry(br, v);
	emit(br, v, VDP_BR_EV_DEASSOC_SENT);
}

static void __attribute__((noinline, cold))
illegal(struct vdp_bridge *br, struct vsi *v, uint8_t from, uint8_t to)
{
	char what[96];

	snprintf(what, sizeof(what), "illegal bridge transition %s -> %s",
		 vdp_bridge_state_name(from), vdp_bridge_state_name(to));
	reset(br, v, from, what);
}

/* vdp_bridge_enter(), inlined into the machine (to is a constant there). */
static inline __attribute__((always_inline)) bool
enter(struct vdp_bridge *br, struct vsi *v, enum vdp_bridge_state to)
{
	uint8_t from = v->state;

	if (__builtin_expect(!((bridge_next[from] >> to) & 1), 0)) {
		illegal(br, v, from, (uint8_t)to);
		return false;
	}
	v->state = (uint8_t)to;
	if (__builtin_expect(br->on_transition != NULL, 0))
		br->on_transition(br->ctx, v, from, v->state);
	return true;
}

bool vdp_bridge_enter(struct vdp_bridge *br, struct vsi *v, enum vdp_bridge_state to)
{
	if (to > VDP_BR_END) {
		illegal(br, v, v->state, (uint8_t)to);
		return false;
	}
	return enter(br, v, to);
}

/* SM_ENTER: the checked transition, then the new state's entry actions
 * (END's frees v).  false: illegal, v de-associated instead. */
static inline __attribute__((always_inline)) bool
go(struct vdp_bridge *br, struct vsi *v, enum vdp_bridge_state to)
{
	if (!enter(br, v, to))
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
		vsi_remove(br, v);	/* the reply left: the record is freed */
		break;
	}
	return true;
}

static inline bool take(struct vsi *v, uint16_t in)
{
	if (!(v->sm_in & in))
		return false;
	v->sm_in &= (uint16_t)~in;
	return true;
}

static bool active(const struct vsi *v)
{
	return v->state != VDP_BR_DEASSOC && v->state != VDP_BR_DEASSOCIATED && v->state != VDP_BR_END;
}

/* Same request as the confirmed one?  A VID 0 in the request matches the
 * VID the bridge assigned, a request without priority (PS clear) the
 * priority the bridge set; a priority asked for (PS set) must be the one
 * confirmed, else the request is a change (802.1Qbg-2012 41.2.9). */
static bool same_request(const struct vsi *v, const uint8_t *mgrid, const struct vdp_assoc *a)
{
	if (a->type != v->mode_cur || memcmp(v->mgrid, mgrid, VDP_MGRID_LEN) != 0 ||
	    v->type_id != a->type_id || v->type_version != a->type_version ||
	    v->filter_fmt != a->filter_fmt || v->n_filters != a->n_filters)
		return false;
	for (uint16_t i = 0; i < a->n_filters; i++) {
		struct vdp_filter f;
		const struct vdp_filter *o = &v->filters[i].f;
		vdp_filter_get(a, i, &f);
		if (f.group_id != o->group_id || memcmp(f.mac, o->mac, 6) != 0)
			return false;
		if (vdp_vid(f.ps_pcp_vid) != 0 && vdp_vid(f.ps_pcp_vid) != vdp_vid(o->ps_pcp_vid))
			return false;
		if (vdp_ps(f.ps_pcp_vid) && (f.ps_pcp_vid & (VDP_PS | VDP_PCP_MASK)) !=
						    (o->ps_pcp_vid & (VDP_PS | VDP_PCP_MASK)))
			return false;
	}
	return true;
}

/* A keep-alive is answered without a new decision unless the owner asks
 * for one (ops->recheck): a VSI manager may revoke a profile from a
 * running VSI by refusing its keep-alive, with Keep or without (41.2.4). */
static bool keepalive_decided(struct vdp_bridge *br, const struct vsi *v)
{
	return br->ops && br->ops->recheck && br->ops->recheck(br->ctx, v);
}

static void vsi_timer_cb(void *arg);

/* A VSI record for the request: the existing one (resized if needed) or
 * a new one. */
static struct vsi *vsi_for(struct vdp_bridge *br, struct vsi *v, const struct vdp_assoc *a)
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
		mode_cur = active(v) ? v->mode_cur : VDP_MODE_NONE;
		if (active(v)) {
			saved = v->saved;
			v->saved = NULL;
		}
		user = v->user;
		vsi_fifo_remove(&br->pending, v);
		vsi_table_del(&br->tab, v);
		vsi_free(br, v);
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
			emit(br, v, VDP_BR_EV_REMOVED);	/* the owner frees its data */
		vsi_free(br, v);
		return NULL;
	}
	return v;
}

/* PROCESS for a new VSI or a change of mode, type or filters (br->rx):
 * the record takes the request.  A change of a confirmed VSI keeps the
 * confirmed record for a refusal with Keep (before vsi_for(), which may
 * re-allocate the record, leaving the new one in INIT).  NULL: no memory,
 * the request is dropped. */
static struct vsi *take_request(struct vdp_bridge *br, struct vsi *v)
{
	const struct vdp_assoc *a = br->rx.a;

	if (active(v) && v->mode_cur != VDP_MODE_NONE && !v->saved) {
		v->saved = vsi_rec_save(v);
		if (!v->saved) {
			br->cnt.alloc_fail++;
			return NULL;
		}
	}
	v = vsi_for(br, v, a);
	if (!v) {
		br->cnt.alloc_fail++;
		return NULL;
	}
	if (!active(v)) {
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
	set_filters(br, v, a->filter_fmt, br->rx.f, a->n_filters);
	return v;
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
		go(br, v, VDP_BR_SEND);		/* then WAITCMD */
		return;
	}
	br->cnt.refused++;
	v->status = (uint8_t)(VDP_STATUS_RESPONSE | (status & (VDP_STATUS_KEEP | VDP_STATUS_HARD)) | reason);
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

/* One step of *vp's machine: true if it consumed an input or changed the
 * state, false once nothing applies.  *vp may change: a request with more
 * filters re-allocates the record; END frees it (*vp = NULL). */
static bool step(struct vdp_bridge *br, struct vsi **vp)
{
	struct vsi *v = *vp;

	if (__builtin_expect(v->sm_in & BR_IN_GLOBAL, 0)) {
		if (take(v, BR_IN_DEASSOC_CMD)) {
			/* Bridge-initiated De-Associate. */
			if (go(br, v, VDP_BR_DEASSOCIATED))
				emit(br, v, VDP_BR_EV_DEASSOC_SENT);
			return true;
		}
		if (take(v, BR_IN_RX_DEASSOC)) {
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
	}

	switch ((enum vdp_bridge_state)v->state) {
	case VDP_BR_INIT:
	case VDP_BR_DEASSOC:
	case VDP_BR_DEASSOCIATED:
		if ((v->flags & VSI_F_REMOVE) && take(v, BR_IN_TXMIT)) {
			if (!go(br, v, VDP_BR_END))
				return true;
			*vp = NULL;	/* freed */
			return false;
		}
		if ((v->flags & VSI_F_REMOVE) && take(v, BR_IN_TOO_BIG)) {
			/* Cannot be answered in one ECPDU: dropped. */
			vsi_remove(br, v);
			*vp = NULL;
			return false;
		}
		if (take(v, BR_IN_RX_REQ)) {
			return process_request(br, vp);
		}
		return false;
	case VDP_BR_PROCESS:
		if (take(v, BR_IN_ADMIT)) {
			decide(br, v);
			return true;
		}
		if (take(v, BR_IN_TIMER)) {
			/* resourceWaitDelay expired without an answer: keep
			 * an association, otherwise de-associate. */
			br->cnt.resource_timeouts++;
			if (v->mode_cur == VDP_MODE_ASSOC) {
				br->cnt.refused++;
				v->status = VDP_STATUS_RESPONSE | VDP_STATUS_KEEP | VDP_R_UNABLE_TO_CONTACT_MANAGER;
				if (go(br, v, VDP_BR_KEEP))
					emit(br, v, VDP_BR_EV_KEPT);
			} else if (go(br, v, VDP_BR_DEASSOCIATED)) {
				emit(br, v, VDP_BR_EV_REFUSED);
			}
			return true;
		}
		/* A repeated request while deciding: the answer comes. */
		return take(v, BR_IN_RX_REQ);
	case VDP_BR_SEND:
		if (go(br, v, VDP_BR_WAITCMD))
			emit(br, v, VDP_BR_EV_ADMITTED);
		return true;
	case VDP_BR_ALIVE:
		go(br, v, VDP_BR_WAITCMD);
		return true;
	case VDP_BR_WAITCMD:
		if (take(v, BR_IN_TIMER)) {
			/* No keep-alive within toutKeepAlive. */
			br->cnt.timeouts++;
			if (go(br, v, VDP_BR_DEASSOCIATED))
				emit(br, v, VDP_BR_EV_TIMEOUT);
			return true;
		}
		if (take(v, BR_IN_RX_REQ)) {
			if (same_request(v, br->rx.mgrid, br->rx.a) && !keepalive_decided(br, v)) {
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
		if (take(v, BR_IN_TXMIT) || take(v, BR_IN_TOO_BIG) ||
		    (v->sm_in & (BR_IN_TIMER | BR_IN_RX_REQ))) {
			go(br, v, VDP_BR_WAITCMD);
			return true;
		}
		return false;
	case VDP_BR_END:
		return false;
	}
	return false;		/* a state out of range: nothing applies */
}

/* Steps v's machine until stable, at most br->step_cap steps (more is a
 * bug: logged, counted in illegal_transitions, the VSI de-associated).
 * Returns v (re-allocated for more filters), or NULL once it is freed. */
static struct vsi *run(struct vdp_bridge *br, struct vsi *v, uint16_t in)
{
	unsigned n = 0;

	v->sm_in |= in;
	while (step(br, &v)) {
		if (!v->sm_in && !((BR_UCT >> v->state) & 1))
			break;
		if (__builtin_expect(++n >= br->step_cap, 0)) {
			char what[96];

			snprintf(what, sizeof(what), "bridge machine not stable after %u steps, in %s",
				 n, vdp_bridge_state_name(v->state));
			reset(br, v, v->state, what);
			break;
		}
	}
	if (v)
		v->sm_in = 0;
	return v;
}

/* ---- event handlers */

/* The VSI's one timer: resourceWaitDelay in PROCESS, toutKeepAlive in
 * WAITCMD and KEEP; the machine tells which. */
static void vsi_timer_cb(void *arg)
{
	struct vsi *v = arg;
	struct vdp_bridge *br = v->owner;
	bool kick = v->state == VDP_BR_PROCESS || v->state == VDP_BR_KEEP || v->state == VDP_BR_WAITCMD;

	run(br, v, BR_IN_TIMER);
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
		vsi_free(br, v);
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
	run(br, v, BR_IN_ADMIT);
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
	run(br, v, BR_IN_DEASSOC_CMD);
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
		br->rx.known = v && active(v);
		v = vsi_for(br, v, a);
		if (!v) {
			br->cnt.alloc_fail++;
			return;
		}
		if (!br->rx.known) {
			/* Unknown: the reply names what was asked. */
			memcpy(v->mgrid, mgrid, VDP_MGRID_LEN);
			v->type_id = a->type_id;
			v->type_version = a->type_version;
			set_filters(br, v, a->filter_fmt, f, a->n_filters);
		}
		run(br, v, BR_IN_RX_DEASSOC);
		return;
	}
	if (!v) {
		v = vsi_for(br, NULL, a);
		if (!v) {
			br->cnt.alloc_fail++;
			return;
		}
	}
	run(br, v, BR_IN_RX_REQ);
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
			run(br, out[0], BR_IN_TOO_BIG);
			continue;
		}
		if (n == 0)
			return;
		br->cnt.ecpdu_tx++;
		br->cnt.tlv_tx += (uint64_t)n;
		br->n_inflight = (size_t)n;
		for (int i = 0; i < n; i++)
			run(br, out[i], BR_IN_TXMIT);	/* the reply is encoded */
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
