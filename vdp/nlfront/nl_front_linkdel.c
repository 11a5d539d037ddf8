/* The link-deletion watch: the macvtap/macvlan of a VSI (same MAC, on that
 * uplink) deleted -> the VSI is de-associated after linkdel_grace_ms unless
 * the link comes back (RTMGRP_LINK socket, see nl_front.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/rtnetlink.h>

#include "vdp/base/log.h"
#include "vdp/engine/uplink.h"
#include "vdp/nlfront/nl_front_int.h"

#define TAG "nl"
#define RX_BURST 256 /* datagrams read per wake-up */

static void linkdel_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nlf_rec *r = arg;
	struct nl_front *f = r->f;
	(void)fd;
	(void)what;

	if (!r->confirmed && !(r->latest.pending && r->latest.op != NLP_REQ_DISASSOCIATE))
		return;
	struct uplink *u;
	struct vdp_station *st = nlf_station_of(f, r->ifindex, r->ifname, &u);
	if (!st || !r->latest.n_filters)
		return;
	struct vdp_request req = {
		.mode = VDP_MODE_DEASSOC,
		.type_id = r->latest.type_id,
		.type_version = r->latest.type_version,
		.vsiid_fmt = VDP_VSIID_UUID,
		.filter_fmt = r->latest.filter_fmt,
		.n_filters = r->latest.n_filters,
		.filters = r->latest.filters,
	};
	req.mgrid[0] = r->latest.mgr_id;
	memcpy(req.vsiid, r->uuid, NLP_UUID_LEN);
	uint8_t op = r->latest.op;
	bool pend = r->latest.pending;
	r->latest.op = NLP_REQ_DISASSOCIATE;
	r->latest.pending = true;
	r->latest.reported = false;
	if (vdp_station_request(st, &req) < 0) {
		r->latest.op = op;
		r->latest.pending = pend;
		return;
	}
	f->cnt.linkdel_deassoc++;
	if (f->ops->drop)
		f->ops->drop(f->ctx, u, r->uuid);
	log_notice(TAG, "macvtap of a VSI on %s is gone: de-associating", r->ifname);
}

static void link_event(struct nl_front *f, const struct nlp_link *l)
{
	if (!l->has_mac || !l->link || (strcmp(l->kind, "macvtap") && strcmp(l->kind, "macvlan")))
		return;
	f->cnt.linkdel_read += l->type == RTM_DELLINK;
	for (struct nlf_rec *r = f->head; r; r = r->next) {
		if (r->ifindex != l->link || r->latest.filter_fmt != VDP_FILTER_MAC_VID)
			continue;
		bool match = false;
		for (unsigned i = 0; i < r->latest.n_filters && !match; i++)
			match = memcmp(r->latest.filters[i].mac, l->mac, 6) == 0;
		if (!match)
			continue;
		if (l->type == RTM_DELLINK) {
			bool active = r->confirmed ||
				(r->latest.pending && r->latest.op != NLP_REQ_DISASSOCIATE);
			if (!active)
				continue;
			f->cnt.linkdel_seen++;
			if (!r->linkdel && !(r->linkdel = evtimer_new(f->base, linkdel_cb, r)))
				continue;
			struct timeval tv = nlf_tv_ms(f->cfg.linkdel_grace_ms);
			evtimer_add(r->linkdel, &tv);
		} else if (r->linkdel && evtimer_pending(r->linkdel, NULL)) {
			event_del(r->linkdel);
			f->cnt.linkdel_cancelled++;
		}
	}
}

void nlf_link_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nl_front *f = arg;
	(void)what;

	for (int i = 0; i < RX_BURST; i++) {
		ssize_t n = recv(fd, f->rx, NLF_RXBUF, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == ENOBUFS)
				continue; /* lost events; deletions are rare */
			return;
		}
		size_t off = 0;
		while (off + 16 <= (size_t)n) {
			struct nlp_link l;
			uint32_t ml;
			memcpy(&ml, f->rx + off, 4);
			if (ml < 16 || ml > (size_t)n - off)
				break;
			if (nlp_parse_link(f->rx + off, ml, &l) == NLP_OK)
				link_event(f, &l);
			off += (ml + 3u) & ~3u;
		}
	}
}
