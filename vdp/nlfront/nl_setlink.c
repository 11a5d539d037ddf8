/* The lldpad-compatible netlink front: an RTM_SETLINK from libvirt made a
 * request to the station, and a request restored from the daemon's intents
 * (see nl_front.h and docs/libvirt.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "vdp/base/log.h"
#include "vdp/nlfront/nl_front_int.h"
#include "vdp/engine/uplink.h"

#define TAG "nl"

static uint8_t op_mode(uint8_t op)
{
	switch ((enum nlp_request_op)op) {
	case NLP_REQ_PREASSOCIATE:
		return VDP_MODE_PREASSOC;
	case NLP_REQ_PREASSOCIATE_RR:
		return VDP_MODE_PREASSOC_RR;
	case NLP_REQ_ASSOCIATE:
		return VDP_MODE_ASSOC;
	case NLP_REQ_DISASSOCIATE:
		return VDP_MODE_DEASSOC;
	}
	return VDP_MODE_NONE;
}

/* libvirt's MAC/VLAN pairs as VDP filter entries: MAC/VID (format 2) when
 * MACs are given, VID (format 1) for VLANs alone. */
static int to_filters(const struct nlp_msg *m, struct vdp_filter *out, uint8_t *fmt)
{
	unsigned macs = 0;
	for (unsigned i = 0; i < m->n_filters; i++)
		macs += m->filters[i].has_mac;
	if (macs && macs != m->n_filters)
		return -EINVAL;
	*fmt = macs ? VDP_FILTER_MAC_VID : VDP_FILTER_VID;
	unsigned n = 0;
	for (unsigned i = 0; i < m->n_filters; i++) {
		const struct nlp_filter *pf = &m->filters[i];
		if (!pf->has_mac && !pf->has_vlan)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		if (pf->has_mac)
			memcpy(out[n].mac, pf->mac, 6);
		out[n].ps_pcp_vid = (uint16_t)((pf->vlan & VDP_VID_MASK) |
					       (pf->qos ? VDP_PS | pf->qos << VDP_PCP_SHIFT : 0));
		n++;
	}
	return (int)n;
}

/* One RTM_SETLINK on its way from libvirt to the station. */
struct setlink {
	struct nl_front *f;
	const struct nlp_msg *m;
	const struct nlp_port *p;
	const uint8_t *raw;
	size_t rawlen;
	const struct sockaddr_nl *src;
	struct uplink *u;
	struct vdp_station *st;
	int ifindex;
	struct nlf_rec *r; /* the record of (ifindex, uuid), NULL when none yet */
	struct vsi *v; /* the station's VSI of the uuid, NULL when none */
	struct vdp_filter fl[NLP_MAX_FILTERS];
	int nf;
	struct vdp_request req;
};

static void setlink_answer(struct setlink *s, int error)
{
	nlf_send_ack(s->f, s->src, s->raw, s->rawlen, error);
}

static void setlink_refuse(struct setlink *s, int error)
{
	s->f->cnt.refused++;
	setlink_answer(s, error);
}

/* The message's checks, then the uplink and station it names: false when
 * the request was answered here. */
static bool setlink_target(struct setlink *s)
{
	struct nl_front *f = s->f;
	int rc = nlp_check_setlink(s->m);

	if (rc < 0) {
		f->cnt.malformed[-rc]++;
		log_info(TAG, "request from port %u refused: %s", s->src->nl_pid, nlp_strerror(rc));
		setlink_answer(s, nlp_errno(rc));
		return false;
	}
	f->cnt.req_op[s->p->request]++;
	s->st = nlf_station_of(f, s->m->ifindex, s->m->has_ifname ? s->m->ifname : NULL, &s->u);
	if (!s->u) {
		f->cnt.no_device++;
		setlink_answer(s, -ENODEV);
		return false;
	}
	if (!s->st) {
		f->cnt.not_station++;
		setlink_answer(s, -EOPNOTSUPP);
		return false;
	}
	s->ifindex = uplink_ifindex(s->u);
	s->r = nlf_rec_find(f, s->ifindex, s->p->uuid);
	s->v = vdp_station_find(s->st, VDP_VSIID_UUID, s->p->uuid);
	return true;
}

/* A De-Associate of what is not associated: the requested state holds
 * already, so it succeeds at once.  (lldpad answers -ENODEV/-EINVAL here,
 * and a VSI that timed out could never be de-associated.) */
static void setlink_deassoc_noop(struct setlink *s)
{
	struct nl_front *f = s->f;
	struct nlf_rec *r = s->r;

	if (!r && !(r = nlf_rec_new(f, s->ifindex, uplink_ifname(s->u), s->p->uuid))) {
		setlink_answer(s, -ENOMEM);
		return;
	}
	nlf_list_unlink(f, r);
	nlf_list_push_head(f, r);
	r->latest.op = s->p->request;
	r->has_requester = true;
	r->req_pid = s->m->pid;
	r->req_seq = s->m->seq;
	r->confirmed = false;
	r->latest.pending = true;
	nlf_settle(r, 0);
	f->cnt.deassoc_noop++;
	if (f->ops->drop)
		f->ops->drop(f->ctx, s->u, s->p->uuid);
	setlink_answer(s, 0);
}

/* The registry's policy (ops->check_request) on a (pre-)associate:
 * 0, or the error the request is refused with. */
static int setlink_policy(struct setlink *s)
{
	static const uint8_t no_mac[6];
	const struct nlp_port *p = s->p;

	if (p->request == NLP_REQ_DISASSOCIATE || !s->f->ops->check_request)
		return 0;
	return s->f->ops->check_request(s->f->ctx, uplink_ifname(s->u),
					s->nf ? s->fl[0].mac : no_mac,
					s->nf ? vdp_vid(s->fl[0].ps_pcp_vid) : 0, p->mgr_id,
					p->type_id, p->type_version, p->uuid);
}

/* The station's request from the message; a De-Associate by UUID alone
 * repeats what was associated.  0 or -EINVAL. */
static int setlink_build_request(struct setlink *s, uint8_t fmt)
{
	const struct nlp_port *p = s->p;
	struct vdp_request *req = &s->req;

	*req = (struct vdp_request){
		.mode = op_mode(p->request),
		.type_id = p->type_id,
		.type_version = p->type_version,
		.vsiid_fmt = VDP_VSIID_UUID,
		.filter_fmt = fmt,
		.n_filters = (uint16_t)s->nf,
		.filters = s->fl,
	};
	/* the netlink manager id is one octet: octet 0 of the 16 */
	req->mgrid[0] = p->mgr_id;
	memcpy(req->vsiid, p->uuid, NLP_UUID_LEN);
	if (s->nf == 0 && p->request == NLP_REQ_DISASSOCIATE) {
		struct vsi *v = s->v;
		struct vdp_filter all[VDP_TLV_MAX_INFO / 8];

		if (v->n_filters > sizeof(all) / sizeof(all[0]))
			return -EINVAL;
		vsi_get_filters(v, all);
		s->nf = v->n_filters < NLP_MAX_FILTERS ? v->n_filters : NLP_MAX_FILTERS;
		memcpy(s->fl, all, (size_t)s->nf * sizeof(s->fl[0]));
		req->filter_fmt = v->filter_fmt;
		req->n_filters = (uint16_t)s->nf;
		memcpy(req->mgrid, v->mgrid, VDP_MGRID_LEN);
		req->type_id = v->type_id;
		req->type_version = v->type_version;
	}
	return 0;
}

static void setlink_claim(struct setlink *s)
{
	struct nlf_rec *r = s->r;
	const struct vdp_request *req = &s->req;

	r->latest.op = s->p->request;
	r->latest.pending = true;
	r->latest.reported = false;
	r->has_requester = true;
	r->req_pid = s->m->pid;
	r->req_seq = s->m->seq;
	if (s->p->request != NLP_REQ_DISASSOCIATE || !r->latest.n_filters) {
		r->latest.mgr_id = req->mgrid[0];
		r->latest.type_id = req->type_id;
		r->latest.type_version = req->type_version;
		r->latest.filter_fmt = req->filter_fmt;
		r->latest.n_filters = req->n_filters;
		memcpy(r->latest.filters, s->fl, (size_t)s->nf * sizeof(s->fl[0]));
	}
	if (r->linkdel && s->p->request != NLP_REQ_DISASSOCIATE)
		event_del(r->linkdel);
}

/* The station took the request: the daemon keeps (or drops) it, and the
 * ack goes now when the result is already known, else when it is. */
static void setlink_accepted(struct setlink *s)
{
	struct nl_front *f = s->f;
	struct nlf_rec *r = s->r;

	nlf_list_unlink(f, r);
	nlf_list_push_head(f, r);
	if (s->p->request == NLP_REQ_DISASSOCIATE) {
		if (f->ops->drop)
			f->ops->drop(f->ctx, s->u, s->p->uuid);
	} else if (f->ops->keep) {
		f->ops->keep(f->ctx, s->u, &s->req, s->p->request, s->m->pid, s->m->seq);
	}
	if (!r->latest.pending) {
		f->cnt.acks_settled++;
		setlink_answer(s, 0);
		return;
	}
	nlf_hold_ack(f, r, s->src, s->raw);
}

/* Hands the request to the station with the record claimed for it. */
static void setlink_submit(struct setlink *s)
{
	struct nlf_latest saved;
	bool created = false;
	char us[37];
	int rc;

	if (!s->r) {
		s->r = nlf_rec_new(s->f, s->ifindex, uplink_ifname(s->u), s->p->uuid);
		if (!s->r) {
			setlink_answer(s, -ENOMEM);
			return;
		}
		created = true;
	}
	saved = s->r->latest;
	setlink_claim(s);
	nlp_uuid_format(s->p->uuid, us);
	log_debug(TAG, "%s %s on %s from port %u (EVB %s)", vdp_mode_name(s->req.mode), us,
		  s->r->ifname, s->m->pid,
		  uplink_converged(s->u) ? "converged" : "not converged: queued");
	rc = vdp_station_request(s->st, &s->req);
	if (rc < 0) {
		log_info(TAG, "%s %s on %s refused: %s", vdp_mode_name(s->req.mode), us,
			 s->r->ifname, strerror(-rc));
		/* a refused request leaves the earlier result alone (the
		 * requester's pid and seq stay the new ones) */
		if (created)
			nlf_rec_free(s->f, s->r);
		else
			s->r->latest = saved;
		setlink_refuse(s, rc);
		return;
	}
	setlink_accepted(s);
}

void nlf_setlink(struct nl_front *f, const struct nlp_msg *m, const uint8_t *raw, size_t rawlen,
		 const struct sockaddr_nl *src)
{
	struct setlink s = {
		.f = f, .m = m, .p = &m->port, .raw = raw, .rawlen = rawlen, .src = src
	};
	uint8_t fmt = VDP_FILTER_MAC_VID;
	int rc;

	if (!setlink_target(&s))
		return;
	if ((s.nf = to_filters(m, s.fl, &fmt)) < 0) {
		setlink_refuse(&s, -EINVAL);
		return;
	}
	if (s.p->request == NLP_REQ_DISASSOCIATE && (!s.v || s.v->state == VDP_ST_END)) {
		setlink_deassoc_noop(&s);
		return;
	}
	if ((rc = setlink_policy(&s)) < 0) {
		setlink_refuse(&s, rc);
		return;
	}
	if (setlink_build_request(&s, fmt) < 0) {
		setlink_refuse(&s, -EINVAL);
		return;
	}
	setlink_submit(&s);
}

int nl_front_restore(struct nl_front *f, struct uplink *u, const struct vdp_request *req,
		     uint8_t op, uint32_t pid, uint32_t seq)
{
	if (!f)
		return 0;
	if (req->vsiid_fmt != VDP_VSIID_UUID || op == NLP_REQ_DISASSOCIATE ||
	    op > NLP_REQ_DISASSOCIATE ||
	    (req->filter_fmt != VDP_FILTER_MAC_VID && req->filter_fmt != VDP_FILTER_VID) ||
	    req->n_filters > NLP_MAX_FILTERS)
		return -EINVAL;
	int ifindex = uplink_ifindex(u);
	struct nlf_rec *r = nlf_rec_find(f, ifindex, req->vsiid);
	if (!r && !(r = nlf_rec_new(f, ifindex, uplink_ifname(u), req->vsiid)))
		return -ENOMEM;
	r->latest.op = op;
	r->latest.mgr_id = req->mgrid[0];
	r->latest.type_id = req->type_id;
	r->latest.type_version = req->type_version;
	r->latest.filter_fmt = req->filter_fmt;
	r->latest.n_filters = req->n_filters;
	memcpy(r->latest.filters, req->filters,
	       (size_t)req->n_filters * sizeof(r->latest.filters[0]));
	/* What the requester last read: its request succeeded.  The station
	 * re-sends it now, inside the bridge's keep-alive window; if that
	 * fails, confirmed makes the loss an unsolicited DISASSOCIATE to
	 * pid, as libvirt expects from lldpad. */
	r->latest.pending = false;
	r->response = 0;
	r->confirmed = true;
	r->latest.reported = true;
	r->done_ms = r->reported_ms = nlf_now_ms();
	r->has_requester = true;
	r->req_pid = pid;
	r->req_seq = seq;
	return 0;
}
