/* The lldpad-compatible netlink front: status queries (RTM_GETLINK) answered
 * from the records and the station, and the sweep of finished records (see
 * nl_front.h and docs/libvirt.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "vdp/base/log.h"
#include "vdp/nlfront/nl_front_int.h"
#include "vdp/engine/uplink.h"

#define TAG "nl"

struct entries {
	struct nlp_vsi_status *v;
	struct nlf_rec **rec; /* NULL for VSIs we were not asked for */
	size_t n, cap;
};

static int entries_add(struct entries *e, const uint8_t *uuid, bool has, uint16_t resp,
		       struct nlf_rec *r)
{
	if (e->n == e->cap) {
		size_t nc = e->cap ? e->cap * 2 : 64;
		struct nlp_vsi_status *nv = realloc(e->v, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		e->v = nv;
		struct nlf_rec **nr = realloc(e->rec, nc * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		e->rec = nr;
		e->cap = nc;
	}
	memcpy(e->v[e->n].uuid, uuid, NLP_UUID_LEN);
	e->v[e->n].has_response = has;
	e->v[e->n].response = resp;
	e->rec[e->n] = r;
	e->n++;
	return 0;
}

static int send_part(struct nl_front *f, const struct sockaddr_nl *to, const uint8_t *b, size_t n)
{
	if (sendto(f->fd, b, n, MSG_DONTWAIT, (const struct sockaddr *)to, sizeof(*to)) < 0) {
		f->cnt.status_send_errors++;
		log_debug(TAG, "status part to port %u lost: %s", to->nl_pid, strerror(errno));
		return -1;
	}
	f->cnt.status_parts++;
	return 0;
}

void nlf_getlink(struct nl_front *f, const struct nlp_msg *m, const uint8_t *raw, size_t rawlen,
		 const struct sockaddr_nl *src)
{
	struct uplink *u;
	struct vdp_station *st =
		nlf_station_of(f, m->ifindex, m->has_ifname ? m->ifname : NULL, &u);
	int ifindex = u ? uplink_ifindex(u) : m->ifindex;
	struct entries e = { 0 };
	uint64_t now = nlf_now_ms();

	/* our records first, latest request first: libvirt reads only the
	 * first message, and the VSI it polls for is a recent one */
	for (struct nlf_rec *r = f->head; r; r = r->next)
		if (r->ifindex == ifindex &&
		    entries_add(&e, r->uuid, !r->latest.pending, r->response, r) < 0)
			goto nomem;
	if (!u && e.n == 0) {
		f->cnt.no_device++;
		nlf_send_ack(f, src, raw, rawlen, -ENODEV);
		return;
	}
	/* then the uplink's other VSIs (vdpctl, registry) */
	for (struct vsi *v = st ? vdp_station_first(st) : NULL; v; v = vdp_station_next(st, v)) {
		if (v->vsiid_fmt != VDP_VSIID_UUID || nlf_rec_find(f, ifindex, v->vsiid))
			continue;
		bool has = v->state == VDP_ST_END || v->mode_cur != VDP_MODE_NONE;
		uint16_t resp = v->state == VDP_ST_END ? nlf_end_code(v) : 0;
		if (entries_add(&e, v->vsiid, has, resp, NULL) < 0)
			goto nomem;
	}

	f->cnt.status_msgs++;
	/* the answers given before it go first; whether a part arrives
	 * decides which results count as read, so the parts go at once */
	nlf_tx_flush(f);
	size_t cap = f->cfg.part_max;
	uint8_t *b = malloc(cap);
	if (!b)
		goto nomem;
	struct wbuf w;
	struct nlp_hdr h = { RTM_NEWLINK, 0, m->seq, m->pid };
	size_t total = 32 + 4;
	for (size_t i = 0; i < e.n; i++)
		total += nlp_status_entry_size(&e.v[i]);
	size_t sent = 0;
	if (total <= cap) {
		wbuf_init(&w, b, cap);
		int k = nlp_build_status(&w, &h, ifindex, e.v, e.n);
		if (k >= 0 && send_part(f, src, b, w.len) == 0)
			sent = (size_t)k;
	} else {
		h.flags = NLM_F_MULTI;
		bool ok = true;
		while (ok && sent < e.n) {
			wbuf_init(&w, b, cap);
			int k = nlp_build_status(&w, &h, ifindex, e.v + sent, e.n - sent);
			if (k <= 0 || send_part(f, src, b, w.len) < 0)
				ok = false;
			else
				sent += (size_t)k;
		}
		wbuf_init(&w, b, cap);
		nlp_build_done(&w, &h);
		if (ok)
			send_part(f, src, b, w.len);
	}
	free(b);
	f->cnt.status_entries += sent;
	for (size_t i = 0; i < sent; i++) {
		struct nlf_rec *r = e.rec[i];
		if (r && !r->latest.pending && !r->latest.reported) {
			r->latest.reported = true;
			r->reported_ms = now;
		}
	}
	free(e.v);
	free(e.rec);
	nlf_sweep(f);
	return;
nomem:
	free(e.v);
	free(e.rec);
	nlf_send_ack(f, src, raw, rawlen, -ENOMEM);
}

/* Finished records (no association, result known) go once read and
 * linger_ms passed, or unread after unread_max_ms; the engine's ended VSI
 * goes with them. */
void nlf_sweep(struct nl_front *f)
{
	uint64_t now = nlf_now_ms();
	struct nlf_rec *r, *nx;

	for (r = f->head; r; r = nx) {
		nx = r->next;
		if (r->latest.pending) {
			/* the uplink went away (reload) with the VSI */
			struct vdp_station *ps = nlf_station_of(f, r->ifindex, NULL, NULL);
			if (!ps || !vdp_station_find(ps, VDP_VSIID_UUID, r->uuid)) {
				r->confirmed = false;
				nlf_settle(r,
					   r->latest.op == NLP_REQ_DISASSOCIATE ? 0 : RESP_ERROR);
			}
		}
		if (r->latest.pending || r->confirmed || r->acks)
			continue;
		bool read_done = r->latest.reported && now - r->reported_ms >= f->cfg.linger_ms;
		if (!read_done && now - r->done_ms < f->cfg.unread_max_ms)
			continue;
		struct vdp_station *st = nlf_station_of(f, r->ifindex, NULL, NULL);
		struct vsi *v = st ? vdp_station_find(st, VDP_VSIID_UUID, r->uuid) : NULL;
		if (v && v->state == VDP_ST_END)
			vdp_station_forget(st, v);
		f->cnt.records_freed++;
		nlf_rec_free(f, r);
	}
}

void nlf_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	nlf_sweep(arg);
}
