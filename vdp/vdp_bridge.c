/* VDP bridge state machine per VSI (IEEE 802.1Qbg-2012 41.5.6).  Events: a
 * request TLV from the station, the admit decision (now or deferred), the
 * VSI's timer (resourceWaitDelay in PROCESS, toutKeepAlive in WAITCMD),
 * ECP's tx_done.  Replies wait in br->pending and are packed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vdp_bridge.h"
#include "vdp_text.h"

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

static void transition_hook(struct vdp_bridge *br, const struct vsi *v, uint8_t from)
{
	if (br->on_transition)
		br->on_transition(br->ctx, v, from, v->state);
}

/* DEASSOCIATED's entry actions: unsolicited De-Associate (request, status
 * 0), then END once it is handed to ECP. */
static void deassociated_entry(struct vdp_bridge *br, struct vsi *v)
{
	vtimer_cancel(br->clock, v->timer);
	restore(br, v);		/* it names what was associated */
	v->mode_cur = VDP_MODE_NONE;
	br->cnt.bridge_deassoc++;
	reply(br, v, VDP_TLV_DEASSOC, 0, true);
}

/* A transition the table does not allow is a bug here, not the station's
 * doing: log it, count it and de-associate the VSI as a toutKeepAlive
 * expiry would, so the station and the owner hear that it is gone. */
static void __attribute__((noinline, cold))
illegal(struct vdp_bridge *br, struct vsi *v, uint8_t from, uint8_t to)
{
	char id[VDP_TXT_VSIID_LEN];

	br->cnt.illegal_transitions++;
	vdp_txt_vsiid_format(v->vsiid_fmt, v->vsiid, id);
	log_err("vdp", "VSI %s: illegal bridge transition %s -> %s (802.1Qbg 41.5.6), VSI de-associated",
		id, vdp_bridge_state_name(from), vdp_bridge_state_name(to));
	v->state = VDP_BR_DEASSOCIATED;
	transition_hook(br, v, from);
	deassociated_entry(br, v);
	emit(br, v, VDP_BR_EV_DEASSOC_SENT);
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

static inline bool waitcmd(struct vdp_bridge *br, struct vsi *v)
{
	if (!enter(br, v, VDP_BR_WAITCMD))
		return false;
	vtimer_arm(br->clock, v->timer, vdp_bridge_keepalive_timeout_us(br));
	return true;
}

/* KEEP (41.2.4 Keep, 41.5.6): the request is refused and the state that
 * existed before it stays.  The reply echoes the refused request (the
 * station matches it by those keys), so the record keeps the request
 * until the reply is packed; keep_sent() then restores the confirmed one. */
static void keep(struct vdp_bridge *br, struct vsi *v, uint8_t status)
{
	if (!enter(br, v, VDP_BR_KEEP))
		return;
	reply(br, v, v->mode_req, status, false);
	vtimer_arm(br->clock, v->timer, vdp_bridge_keepalive_timeout_us(br));
	emit(br, v, VDP_BR_EV_KEPT);
}

/* KEEP -> WAITCMD (false: de-associated instead, illegal). */
static bool keep_sent(struct vdp_bridge *br, struct vsi *v)
{
	if (!enter(br, v, VDP_BR_WAITCMD))
		return false;
	restore(br, v);
	v->mode_req = v->mode_cur;
	return true;
}

/* DEASSOCIATED: unsolicited De-Associate (request, status 0) -> END.
 * false: the reset of an illegal transition did it, and told the owner. */
static bool deassociated(struct vdp_bridge *br, struct vsi *v)
{
	if (!enter(br, v, VDP_BR_DEASSOCIATED))
		return false;
	deassociated_entry(br, v);
	return true;
}

static void vsi_timer_cb(void *arg)
{
	struct vsi *v = arg;
	struct vdp_bridge *br = v->owner;

	switch ((enum vdp_bridge_state)v->state) {
	case VDP_BR_PROCESS:
		/* resourceWaitDelay expired without an answer: keep an
		 * association, otherwise de-associate. */
		br->cnt.resource_timeouts++;
		if (v->mode_cur == VDP_MODE_ASSOC) {
			br->cnt.refused++;
			keep(br, v, VDP_STATUS_RESPONSE | VDP_STATUS_KEEP |
			     VDP_R_UNABLE_TO_CONTACT_MANAGER);
		} else if (deassociated(br, v)) {
			emit(br, v, VDP_BR_EV_REFUSED);
		}
		break;
	case VDP_BR_KEEP:
		/* The keep reply never left (ECP busy all along). */
		if (!keep_sent(br, v))
			break;
		/* fall through */
	case VDP_BR_WAITCMD:
		/* No keep-alive within toutKeepAlive. */
		br->cnt.timeouts++;
		if (deassociated(br, v))
			emit(br, v, VDP_BR_EV_TIMEOUT);
		break;
	case VDP_BR_INIT:
	case VDP_BR_SEND:
	case VDP_BR_ALIVE:
	case VDP_BR_DEASSOC:
	case VDP_BR_DEASSOCIATED:
	case VDP_BR_END:
		return;
	}
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

static void set_filters(struct vdp_bridge *br, struct vsi *v, uint8_t fmt,
			const struct vdp_filter *f, uint16_t n)
{
	vsi_table_unindex_filters(&br->tab, v);
	vsi_set_filters(v, fmt, f, n);
	vsi_table_index_filters(&br->tab, v);
}

/* Applies an admit decision (41.5.6 SEND / KEEP / DEASSOC). */
static void decide(struct vdp_bridge *br, struct vsi *v, uint8_t status,
		   const struct vdp_filter *f, uint16_t n)
{
	uint8_t reason = status & VDP_STATUS_REASON;

	vtimer_cancel(br->clock, v->timer);
	if (!reason) {
		/* SEND: record the confirmed mode (lldpad never does, and
		 * so mistakes a De-Associate for a keep-alive). */
		if (!enter(br, v, VDP_BR_SEND))
			return;
		if (f && n == v->n_filters)
			set_filters(br, v, v->filter_fmt, f, n);
		vsi_rec_drop(v);	/* the request is the confirmed record now */
		v->mode_cur = v->mode_req;
		br->cnt.admitted++;
		reply(br, v, v->mode_cur, VDP_STATUS_RESPONSE, false);
		if (waitcmd(br, v))
			emit(br, v, VDP_BR_EV_ADMITTED);
		return;
	}
	br->cnt.refused++;
	status = (uint8_t)(VDP_STATUS_RESPONSE | (status & (VDP_STATUS_KEEP | VDP_STATUS_HARD)) | reason);
	if ((status & VDP_STATUS_KEEP) && v->mode_cur != VDP_MODE_NONE) {
		/* KEEP: the state before the request stays. */
		keep(br, v, status);
		return;
	}
	/* DEASSOC: refuse, then END. */
	if (!enter(br, v, VDP_BR_DEASSOC))
		return;
	v->mode_cur = VDP_MODE_NONE;
	reply(br, v, VDP_TLV_DEASSOC, status, true);
	emit(br, v, VDP_BR_EV_REFUSED);
}

int vdp_bridge_admit_done(struct vdp_bridge *br, struct vsi *v, uint8_t status,
			  const struct vdp_filter *filters, uint16_t n)
{
	if (v->state != VDP_BR_PROCESS)
		return -ENOENT;
	decide(br, v, status, filters, n);
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
	if (deassociated(br, v))
		emit(br, v, VDP_BR_EV_DEASSOC_SENT);
	vdp_bridge_kick(br);
	return 0;
}

/* Same request as the confirmed one?  A VID 0 in the request matches the
 * VID the bridge assigned. */
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
	}
	return true;
}

static bool active(const struct vsi *v)
{
	return v->state != VDP_BR_DEASSOC && v->state != VDP_BR_DEASSOCIATED && v->state != VDP_BR_END;
}

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

static void rx_request(struct vdp_bridge *br, const uint8_t *mgrid, const struct vdp_assoc *a)
{
	struct vdp_filter f[VSI_MAX_FILTERS + 1];
	struct vsi *v = vsi_table_find(&br->tab, a->vsiid_fmt, a->vsiid);
	uint8_t status = 0;
	int rc;

	br->cnt.requests++;
	if (a->n_filters > VSI_MAX_FILTERS) {
		br->cnt.rx_bad++;
		return;
	}
	for (uint16_t i = 0; i < a->n_filters; i++)
		vdp_filter_get(a, i, &f[i]);

	if (a->type == VDP_TLV_DEASSOC) {
		bool known = v && active(v);
		/* A De-Associate really ends the VSI (lldpad keeps it). For
		 * an unknown VSI there is nothing to release: success. */
		v = vsi_for(br, v, a);
		if (!v) {
			br->cnt.alloc_fail++;
			return;
		}
		vtimer_cancel(br->clock, v->timer);
		if (!known) {
			memcpy(v->mgrid, mgrid, VDP_MGRID_LEN);
			v->type_id = a->type_id;
			v->type_version = a->type_version;
			set_filters(br, v, a->filter_fmt, f, a->n_filters);
		}
		if (!enter(br, v, VDP_BR_DEASSOC))
			return;
		if (known)
			br->cnt.station_deassoc++;
		v->mode_cur = VDP_MODE_NONE;
		v->mode_req = VDP_MODE_DEASSOC;
		reply(br, v, VDP_TLV_DEASSOC, VDP_STATUS_RESPONSE, true);
		if (known)
			emit(br, v, VDP_BR_EV_STATION_DEASSOC);
		return;
	}

	if (v && v->state == VDP_BR_KEEP && !keep_sent(br, v))
		return;		/* (asks again before our keep reply left) */
	if (v && active(v)) {
		if (v->state == VDP_BR_PROCESS)
			return;		/* repeat while deciding: answer comes */
		if (v->state == VDP_BR_WAITCMD && same_request(v, mgrid, a)) {
			/* ALIVE: a keep-alive; no new resource decision. */
			br->cnt.keepalives++;
			if (!enter(br, v, VDP_BR_ALIVE))
				return;
			reply(br, v, v->mode_cur, VDP_STATUS_RESPONSE, false);
			waitcmd(br, v);
			return;
		}
	}

	/* PROCESS: new VSI, or a change of mode, type or filters.  A change
	 * of a confirmed VSI keeps the confirmed record for a refusal with
	 * Keep (before vsi_for(), which may re-allocate the record). */
	if (v && active(v) && v->mode_cur != VDP_MODE_NONE && !v->saved) {
		v->saved = vsi_rec_save(v);
		if (!v->saved) {
			br->cnt.alloc_fail++;
			return;
		}
	}
	v = vsi_for(br, v, a);
	if (!v) {
		br->cnt.alloc_fail++;
		return;
	}
	if (!active(v)) {
		v->mode_cur = VDP_MODE_NONE;
		vsi_fifo_remove(&br->pending, v);
		vsi_rec_drop(v);
	}
	vtimer_cancel(br->clock, v->timer);
	memcpy(v->mgrid, mgrid, VDP_MGRID_LEN);
	v->type_id = a->type_id;
	v->type_version = a->type_version;
	v->mode_req = a->type;
	v->hints = a->status & (VDP_STATUS_MBIT | VDP_STATUS_SBIT);
	set_filters(br, v, a->filter_fmt, f, a->n_filters);
	if (!enter(br, v, VDP_BR_PROCESS))
		return;
	rc = br->ops->admit(br->ctx, v, mgrid, a, f, a->n_filters, &status);
	if (rc == VDP_ADMIT_DEFER) {
		vtimer_arm(br->clock, v->timer, vdp_bridge_resource_wait_us(br));
		return;
	}
	decide(br, v, status, f, a->n_filters);
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
			if (out[0]->flags & VSI_F_REMOVE)
				vsi_remove(br, out[0]);
			else if (out[0]->state == VDP_BR_KEEP)
				keep_sent(br, out[0]);
			continue;
		}
		if (n == 0)
			return;
		br->cnt.ecpdu_tx++;
		br->cnt.tlv_tx += (uint64_t)n;
		br->n_inflight = (size_t)n;
		for (int i = 0; i < n; i++) {
			struct vsi *v = out[i];
			if (v->flags & VSI_F_REMOVE) {
				if (enter(br, v, VDP_BR_END))
					vsi_remove(br, v);
			} else if (v->state == VDP_BR_KEEP) {
				keep_sent(br, v);	/* the echo is encoded */
			} else if (v->state == VDP_BR_SEND || v->state == VDP_BR_ALIVE) {
				enter(br, v, VDP_BR_WAITCMD);
			}
		}
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
