/* vdp-bridge ports: one bridge-role uplink per interface, the admit
 * decision (fault rules, then the VSI type database), per-VSI bookkeeping,
 * VDP counters and the fault-injection taps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "vdp/base/log.h"
#include "vdp/wire/vdp_text.h"
#include "vdp/wire/vdp_tlv.h"
#include "tools/vdp-bridge/vdp-bridge.h"

/* A frame held by a tap: delayed, or held back to be reordered. */
struct vbr_frame {
	struct vbr_port *port;
	enum fault_dir dir;
	bool reorder;
	struct event *ev;
	struct vbr_frame *next;		/* pending list (freed at stop) */
	struct vbr_frame *prev;
	uint16_t ethertype;
	size_t len;
	uint8_t data[];
};

struct vbr_port {
	struct vbr *b;
	struct uplink *u;
	struct vbr_frame *held[2];	/* reorder slot per direction */
	struct event *hold_ev[2];
	struct vbr_frame *frames;	/* every allocated frame */
};

static struct vbr_vsi *vsi_info(struct vbr *b, struct vsi *v)
{
	struct vbr_vsi *i = v->user;

	if (!i) {
		i = calloc(1, sizeof(*i));
		if (!i)
			return NULL;
		i->created_us = vclock_now(b->clock);
		v->user = i;
	}
	return i;
}

static void vsi_info_drop(struct vbr *b, struct vsi *v)
{
	struct vbr_vsi *i = v->user;

	if (!i)
		return;
	if (i->counted && b->n_active)
		b->n_active--;
	free(i);
	v->user = NULL;
}

/* ---- admit: fault rules, then the type database ---- */

static size_t count_type(struct vbr *b, const struct vsi *self, uint32_t type_id)
{
	size_t n = 0;

	for (size_t k = 0; k < b->n_ports; k++) {
		struct vdp_bridge *br = uplink_bridge(b->ports[k]->u);

		for (struct vsi *v = vdp_bridge_first(br); v; v = vdp_bridge_next(br, v))
			if (v != self && v->mode_cur != VDP_MODE_NONE && v->type_id == type_id)
				n++;
	}
	return n;
}

static int on_admit(void *ctx, struct uplink *u, struct vsi *v, const uint8_t mgrid[VDP_MGRID_LEN],
		    const struct vdp_assoc *req, struct vdp_filter *filters, uint16_t n,
		    uint8_t *status_out)
{
	struct vbr_port *p = ctx;
	struct vbr *b = p->b;
	const struct fault_rule *rule = fault_rule_find(&b->fault, req->type_id);
	const struct typedb_type *t;
	struct vbr_vsi *info = vsi_info(b, v);
	struct typedb_req r = {
		.mgrid = mgrid, .req = req, .filters = filters, .n = n,
		.is_new = v->mode_cur == VDP_MODE_NONE,
		.gid = uplink_oper(u)->gid,
		.n_active = b->n_active - (info && info->counted ? 1 : 0),
	};
	const char *why = "";
	char id[VDP_TXT_VSIID_LEN];

	b->cnt.admit_calls++;
	vdp_txt_vsiid_format(v->vsiid_fmt, v->vsiid, id);
	if (rule) {
		b->fault.rule_hits++;
		b->cnt.rule_answers++;
		if (rule->defer) {
			/* lldpad's debug type 199: the VSI manager never
			 * answers; resourceWaitDelay decides (41.5.6). */
			log_info("vdp", "%s: %s %s type %u: fault rule defers (no answer)", uplink_ifname(u),
				 vdp_txt_mode_name(req->type), id, req->type_id);
			return VDP_ADMIT_DEFER;
		}
		*status_out = fault_rule_status(rule);
		log_info("vdp", "%s: %s %s type %u: fault rule answers 0x%02x", uplink_ifname(u),
			 vdp_txt_mode_name(req->type), id, req->type_id, *status_out);
		return VDP_ADMIT_DONE;
	}
	t = typedb_find(&b->conf.db, mgrid, req->type_id, req->type_version);
	if (t && t->max_vsis)
		r.n_active_type = count_type(b, v, req->type_id);
	*status_out = typedb_decide(&b->conf.db, &r, &why);
	log_info("vdp", "%s: %s %s type %u/%u: %s (0x%02x)", uplink_ifname(u),
		 vdp_txt_mode_name(req->type), id, req->type_id, req->type_version, why, *status_out);
	return VDP_ADMIT_DONE;
}

/* A rule marked keepalive also decides the keep-alives of its type, so a
 * test can revoke a profile from a running VSI (with or without Keep). */
static bool on_recheck(void *ctx, struct uplink *u, const struct vsi *v)
{
	struct vbr_port *p = ctx;
	const struct fault_rule *rule = fault_rule_find(&p->b->fault, v->type_id);

	(void)u;
	return rule && rule->keepalive && !rule->defer;
}

static void on_bridge_event(void *ctx, struct uplink *u, struct vsi *v, enum vdp_bridge_event ev)
{
	struct vbr_port *p = ctx;
	struct vbr *b = p->b;
	struct vbr_vsi *info;
	char id[VDP_TXT_VSIID_LEN];

	vdp_txt_vsiid_format(v->vsiid_fmt, v->vsiid, id);
	log_debug("vdp", "%s: VSI %s: %s (state %s, mode %s)", uplink_ifname(u), id,
		  vdp_bridge_event_name(ev), vdp_bridge_state_name(v->state), vdp_mode_name(v->mode_cur));
	switch (ev) {
	case VDP_BR_EV_ADMITTED:
		b->cnt.admitted++;
		info = vsi_info(b, v);
		if (info && !info->counted) {
			info->counted = true;
			b->n_active++;
		}
		if (info && !info->last_request_us)
			info->last_request_us = vclock_now(b->clock);
		vbr_datapath_dirty(b);
		break;
	case VDP_BR_EV_REFUSED:
		b->cnt.refused++;
		break;
	case VDP_BR_EV_KEPT:
		b->cnt.refused++;
		break;
	case VDP_BR_EV_STATION_DEASSOC:
	case VDP_BR_EV_TIMEOUT:
	case VDP_BR_EV_DEASSOC_SENT:
		if (ev == VDP_BR_EV_TIMEOUT)
			log_notice("vdp", "%s: VSI %s: no keep-alive, de-associated", uplink_ifname(u), id);
		vbr_datapath_dirty(b);
		break;
	case VDP_BR_EV_REMOVED:
		vsi_info_drop(b, v);
		vbr_datapath_dirty(b);
		break;
	}
}

/* Counts request TLVs by type and response TLVs by type/reason, and notes
 * keep-alives per VSI (the engine answers those without an event). */
static void on_vdp_pdu(void *ctx, struct uplink *u, char dir, const uint8_t *ulpdu, size_t len)
{
	struct vbr_port *p = ctx;
	struct vbr *b = p->b;
	struct vdp_tlv tlvs[64];
	struct vdp_pdu pdu = { .tlvs = tlvs, .cap = 64 };
	struct vdp_bridge *br = uplink_bridge(u);

	if (vdp_decode(ulpdu, len, &pdu) != CODEC_OK)
		return;
	if (dir == 'r')
		b->cnt.rx_pdu++;
	else
		b->cnt.tx_pdu++;
	for (size_t i = 0; i < pdu.n_tlvs; i++) {
		const struct vdp_assoc *a = &tlvs[i].assoc;

		if (tlvs[i].type < VDP_TLV_PREASSOC || tlvs[i].type > VDP_TLV_DEASSOC)
			continue;
		if (dir == 'r') {
			struct vsi *v;

			if (a->status & VDP_STATUS_RESPONSE)
				continue;
			b->cnt.rx_req[a->type]++;
			v = vdp_bridge_find(br, a->vsiid_fmt, a->vsiid);
			if (v && v->user) {
				struct vbr_vsi *info = v->user;

				info->last_request_us = vclock_now(b->clock);
				if (v->mode_cur == a->type)
					info->keepalives++;
			}
			continue;
		}
		if (!(a->status & VDP_STATUS_RESPONSE)) {
			b->cnt.tx_unsolicited++;
			continue;
		}
		b->cnt.tx_resp[a->type]++;
		b->cnt.tx_reason[a->status & VDP_STATUS_REASON]++;
		if (a->status & VDP_STATUS_KEEP)
			b->cnt.tx_keep++;
		if (a->status & VDP_STATUS_HARD)
			b->cnt.tx_hard++;
	}
}

static void on_uplink_event(void *ctx, struct uplink *u, enum uplink_event ev)
{
	struct vbr_port *p = ctx;
	const struct evb_oper *o = uplink_oper(u);

	(void)p;
	switch (ev) {
	case UPLINK_EV_CONVERGED:
	case UPLINK_EV_EVB_CHANGED:
		log_notice("evb", "%s: %s: R %u RTE %u RWD %u RKA %u RR %s GID %s", uplink_ifname(u),
			   uplink_event_name(ev), o->r, o->rte, o->rwd, o->rka,
			   o->rr ? "on" : "off", o->gid ? "on" : "off");
		break;
	case UPLINK_EV_LINK_UP:
	case UPLINK_EV_LINK_DOWN:
	case UPLINK_EV_NEW_PEER:
	case UPLINK_EV_PEER_GONE:
		log_notice("link", "%s: %s", uplink_ifname(u), uplink_event_name(ev));
		break;
	}
}

static const struct uplink_ops vbr_uplink_ops = {
	.event = on_uplink_event,
	.admit = on_admit,
	.recheck = on_recheck,
	.bridge_event = on_bridge_event,
	.vdp_pdu = on_vdp_pdu,
};

/* ---- fault taps ---- */

static void frame_emit(struct vbr_port *p, enum fault_dir dir, uint16_t et, const uint8_t *data, size_t len)
{
	struct port *port = uplink_port(p->u);

	if (dir == FAULT_TX)
		port_send_raw(port, data, len);
	else
		port_deliver(port, et, data, len);
}

static void frame_free(struct vbr_port *p, struct vbr_frame *f)
{
	if (f->ev)
		event_free(f->ev);
	if (f->prev)
		f->prev->next = f->next;
	else
		p->frames = f->next;
	if (f->next)
		f->next->prev = f->prev;
	free(f);
}

static struct vbr_frame *frame_new(struct vbr_port *p, enum fault_dir dir, uint16_t et,
				   const uint8_t *data, size_t len, bool reorder)
{
	struct vbr_frame *f = malloc(sizeof(*f) + len);

	if (!f)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->port = p;
	f->dir = dir;
	f->ethertype = et;
	f->reorder = reorder;
	f->len = len;
	memcpy(f->data, data, len);
	f->next = p->frames;
	if (p->frames)
		p->frames->prev = f;
	p->frames = f;
	return f;
}

static void hold_expired(evutil_socket_t fd, short what, void *arg);

/* Last stage: a frame marked for reordering waits for the next one. */
static void frame_release(struct vbr_port *p, enum fault_dir dir, uint16_t et,
			  const uint8_t *data, size_t len, bool reorder)
{
	struct vbr_frame *h = p->held[dir];

	if (reorder && !h) {
		struct timeval tv;
		uint32_t ms = p->b->fault.cfg.reorder_hold_ms;

		h = frame_new(p, dir, et, data, len, false);
		if (!h) {
			frame_emit(p, dir, et, data, len);
			return;
		}
		p->held[dir] = h;
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
		evtimer_add(p->hold_ev[dir], &tv);
		return;
	}
	frame_emit(p, dir, et, data, len);
	if (h) {
		p->held[dir] = NULL;
		evtimer_del(p->hold_ev[dir]);
		frame_emit(p, dir, h->ethertype, h->data, h->len);
		frame_free(p, h);
	}
}

static void hold_expired_dir(struct vbr_port *p, enum fault_dir dir)
{
	struct vbr_frame *h = p->held[dir];

	if (!h)
		return;
	p->held[dir] = NULL;
	frame_emit(p, dir, h->ethertype, h->data, h->len);
	frame_free(p, h);
}

static void hold_expired(evutil_socket_t fd, short what, void *arg)
{
	struct vbr_port *p = arg;

	(void)fd;
	(void)what;
	/* Both directions share the callback; release whichever is due. */
	for (int d = 0; d < 2; d++)
		if (p->held[d] && !evtimer_pending(p->hold_ev[d], NULL))
			hold_expired_dir(p, (enum fault_dir)d);
}

static void delay_done(evutil_socket_t fd, short what, void *arg)
{
	struct vbr_frame *f = arg;
	struct vbr_port *p = f->port;

	(void)fd;
	(void)what;
	frame_release(p, f->dir, f->ethertype, f->data, f->len, f->reorder);
	frame_free(p, f);
}

static void tap_process(struct vbr_port *p, enum fault_dir dir, uint16_t et, const uint8_t *data, size_t len)
{
	struct fault_verdict v = fault_decide(&p->b->fault, dir, data, len);
	int copies = v.dup ? 2 : 1;

	if (v.drop)
		return;
	for (int i = 0; i < copies; i++) {
		if (v.delay_ms) {
			struct vbr_frame *f = frame_new(p, dir, et, data, len, v.reorder && i == 0);
			struct timeval tv = { .tv_sec = v.delay_ms / 1000,
					      .tv_usec = (suseconds_t)(v.delay_ms % 1000) * 1000 };

			if (!f || !(f->ev = evtimer_new(p->b->base, delay_done, f)) ||
			    evtimer_add(f->ev, &tv) < 0) {
				if (f)
					frame_free(p, f);
				frame_emit(p, dir, et, data, len);
			}
			continue;
		}
		frame_release(p, dir, et, data, len, v.reorder && i == 0);
	}
}

static void tap_tx(void *arg, struct port *port, const uint8_t *frame, size_t len)
{
	(void)port;
	tap_process(arg, FAULT_TX, (uint16_t)(frame[12] << 8 | frame[13]), frame, len);
}

static void tap_rx(void *arg, struct port *port, uint16_t et, const uint8_t *frame, size_t len)
{
	(void)port;
	tap_process(arg, FAULT_RX, et, frame, len);
}

static const struct port_tap vbr_tap = { .tx = tap_tx, .rx = tap_rx };

void vbr_fault_changed(struct vbr *b)
{
	bool active = fault_active(&b->fault.cfg);

	/* Without frame faults the taps are off: no cost on the fast path. */
	for (size_t i = 0; i < b->n_ports; i++)
		port_set_tap(uplink_port(b->ports[i]->u), active ? &vbr_tap : NULL, b->ports[i]);
}

/* ---- ports ---- */

static void vbr_port_free(struct vbr_port *p, bool graceful)
{
	struct vdp_bridge *br;

	if (!p)
		return;
	if (p->u) {
		br = uplink_bridge(p->u);
		for (struct vsi *v = vdp_bridge_first(br); v; v = vdp_bridge_next(br, v))
			vsi_info_drop(p->b, v);
		uplink_free(p->u, graceful);
	}
	while (p->frames)
		frame_free(p, p->frames);
	for (int d = 0; d < 2; d++)
		if (p->hold_ev[d])
			event_free(p->hold_ev[d]);
	free(p);
}

int vbr_start_ports(struct vbr *b)
{
	for (size_t i = 0; i < b->conf.n_ifaces; i++) {
		struct uplink_params up;
		struct vbr_port *p = calloc(1, sizeof(*p));

		if (!p)
			return -ENOMEM;
		p->b = b;
		for (int d = 0; d < 2; d++)
			p->hold_ev[d] = evtimer_new(b->base, hold_expired, p);
		uplink_params_default(&up, UPLINK_BRIDGE);
		up.evb = b->conf.evb;
		if (b->conf.lldp_tx_interval)
			up.lldp.tx_interval_s = b->conf.lldp_tx_interval;
		if (b->conf.lldp_tx_hold)
			up.lldp.tx_hold = b->conf.lldp_tx_hold;
		up.port_ops = b->port_ops;
		up.port_ctx = b->port_ctx;
		p->u = uplink_new(b->base, b->clock, b->conf.ifaces[i], UPLINK_BRIDGE, &up,
				  &vbr_uplink_ops, p);
		if (!p->u) {
			int err = errno;

			log_err("port", "%s: cannot open: %s", b->conf.ifaces[i], strerror(err));
			vbr_port_free(p, false);
			return -err;
		}
		b->ports[b->n_ports++] = p;
		log_info("port", "%s: bridge role, link %s", b->conf.ifaces[i],
			 uplink_link_up(p->u) ? "up" : "down");
	}
	vbr_fault_changed(b);
	return 0;
}

void vbr_stop_ports(struct vbr *b, bool graceful)
{
	for (size_t i = 0; i < b->n_ports; i++)
		vbr_port_free(b->ports[i], graceful);
	b->n_ports = 0;
}

struct uplink *vbr_port_uplink(struct vbr_port *p)
{
	return p->u;
}

struct vbr_port *vbr_find_port(struct vbr *b, const char *ifname)
{
	for (size_t i = 0; i < b->n_ports; i++)
		if (!strcmp(uplink_ifname(b->ports[i]->u), ifname))
			return b->ports[i];
	return NULL;
}

void vbr_restart(struct vbr *b)
{
	b->cnt.restarts++;
	for (size_t i = 0; i < b->n_ports; i++) {
		struct vdp_bridge *br = uplink_bridge(b->ports[i]->u);

		/* flush() frees without events: drop our bookkeeping first. */
		for (struct vsi *v = vdp_bridge_first(br); v; v = vdp_bridge_next(br, v))
			vsi_info_drop(b, v);
		uplink_bridge_restart(b->ports[i]->u);
	}
	b->n_active = 0;
	log_notice("vdp", "restart: all VSI state forgotten");
	vbr_datapath_dirty(b);
}

/* Recomputes the associated (MAC, VID) pairs; runs shortly after the last
 * change, so a burst of thousands of associations costs one scan. */
static void datapath_sync_cb(evutil_socket_t fd, short what, void *arg)
{
	struct vbr *b = arg;
	struct vbr_dp_entry *e;
	size_t n = 0, cap = 0;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < b->n_ports; i++)
		cap += vdp_bridge_count(uplink_bridge(b->ports[i]->u)) * 4 + 1;
	e = calloc(cap, sizeof(*e));
	if (!e)
		return;
	for (size_t i = 0; i < b->n_ports; i++) {
		struct vdp_bridge *br = uplink_bridge(b->ports[i]->u);

		for (struct vsi *v = vdp_bridge_first(br); v; v = vdp_bridge_next(br, v)) {
			/* Only a confirmed association opens the data path
			 * (41.1: pre-association reserves, does not forward). */
			if (v->mode_cur != VDP_MODE_ASSOC)
				continue;
			if (v->filter_fmt != VDP_FILTER_MAC_VID && v->filter_fmt != VDP_FILTER_GROUP_MAC_VID)
				continue;
			/* The confirmed filter: a VID 0 request was answered
			 * with the type's VLAN (41.2.9). */
			for (uint16_t k = 0; k < v->n_filters && n < cap; k++, n++) {
				memcpy(e[n].mac, v->filters[k].f.mac, 6);
				e[n].vid = vdp_vid(v->filters[k].f.ps_pcp_vid);
			}
		}
	}
	datapath_set(b->dp, e, n);
	free(e);
}

void vbr_datapath_dirty(struct vbr *b)
{
	struct timeval tv = { 0, 10000 };

	if (!b->dp)
		return;
	if (!b->dp_ev)
		b->dp_ev = evtimer_new(b->base, datapath_sync_cb, b);
	if (b->dp_ev && !evtimer_pending(b->dp_ev, NULL))
		evtimer_add(b->dp_ev, &tv);
}
