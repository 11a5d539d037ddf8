/* A VSI as JSON text: the bytes jfast_dumps(vdpd_vsi_json(du, v)) would
 * write (vdp/daemon/ctl_cmds.c; the two change together, test_vdpd holds
 * them to it).  vsi.add, vsi.del and vsi.show answer with it: building
 * the object and dumping it was a fifth of vdpd's time per VSI in a batch. */
#include <string.h>

#include "vdp/daemon/ctl_cmds.h"
#include "vdp/daemon/reconcile_vdpd.h"
#include "vdp/daemon/vdpd.h"
#include "vdp/wire/vdp_text.h"

/* ,"key": */
static void key(struct jfast_buf *b, const char *k)
{
	jfast_put(b, ",\"", 2);
	jfast_put(b, k, strlen(k));
	jfast_put(b, "\":", 2);
}

static void filter_text(struct jfast_buf *b, uint8_t fmt, const struct vsi_fent *fe)
{
	const struct vdp_filter *f = &fe->f;
	char mac[VDP_TXT_MAC_LEN];

	jfast_put(b, "{\"vid\":", 7);
	jfast_put_int(b, vdp_vid(f->ps_pcp_vid));
	key(b, "pcp");
	jfast_put_int(b, vdp_pcp(f->ps_pcp_vid));
	key(b, "ps");
	jfast_put_bool(b, vdp_ps(f->ps_pcp_vid));
	key(b, "vid_assigned");
	jfast_put_bool(b, vdp_vid(fe->asked) == 0 && vdp_vid(f->ps_pcp_vid) != 0);
	key(b, "pcp_assigned");
	jfast_put_bool(b, !vdp_ps(fe->asked) && vdp_ps(f->ps_pcp_vid));
	if (fmt == VDP_FILTER_MAC_VID || fmt == VDP_FILTER_GROUP_MAC_VID) {
		vdp_txt_mac_format(f->mac, mac);
		key(b, "mac");
		jfast_put_str(b, mac);
	}
	if (fmt == VDP_FILTER_GROUP_VID || fmt == VDP_FILTER_GROUP_MAC_VID) {
		key(b, "group");
		jfast_put_int(b, (json_int_t)f->group_id);
	}
	jfast_put(b, "}", 1);
}

static void vsi_text(struct jfast_buf *b, const struct vdpd_uplink *du, const struct vsi *v)
{
	char id[VDP_TXT_VSIID_LEN], mgr[VDP_TXT_MGRID_LEN];
	json_t *retry;

	vdp_txt_vsiid_format(v->vsiid_fmt, v->vsiid, id);
	vdp_txt_mgrid_format(v->mgrid, mgr);
	jfast_put(b, "{\"uplink\":", 10);
	jfast_put_str(b, du->cfg.name);
	key(b, "vsiid_format");
	jfast_put_str(b, vdp_txt_vsiid_fmt_name(v->vsiid_fmt));
	key(b, "vsiid");
	jfast_put_str(b, id);
	key(b, "mgrid");
	jfast_put_str(b, mgr);
	key(b, "typeid");
	jfast_put_int(b, (int)v->type_id);
	key(b, "typeidver");
	jfast_put_int(b, (int)v->type_version);
	key(b, "filter_format");
	jfast_put_str(b, vdp_txt_filter_fmt_name(v->filter_fmt));
	key(b, "filters");
	jfast_put(b, "[", 1);
	for (uint16_t i = 0; i < v->n_filters; i++) {
		if (i)
			jfast_put(b, ",", 1);
		filter_text(b, v->filter_fmt, &v->filters[i]);
	}
	jfast_put(b, "]", 1);
	key(b, "mode");
	jfast_put_str(b, vdp_txt_mode_name(v->mode_req));
	key(b, "state");
	jfast_put_str(b, vdp_txt_mode_name(v->mode_cur));
	key(b, "sm_state");
	jfast_put_str(b, vdp_station_state_name(v->state));
	key(b, "hints");
	jfast_put_str(b, vdp_txt_hints_name(v->hints));
	key(b, "status");
	jfast_put_int(b, (int)v->status);
	key(b, "status_text");
	jfast_put_str(b,
		      v->status & VDP_STATUS_REASON ? vdp_reason_name(v->status & VDP_STATUS_REASON)
						    : "success");
	key(b, "end_reason");
	jfast_put_str(b, vdp_end_reason_name(v->reason));
	key(b, "in_flight");
	jfast_put_bool(b, (v->flags & VSI_F_INFLIGHT) != 0);
	key(b, "retry");
	retry = vdpd_reconcile_vsi_json(du->rc, du->cfg.name, v);
	if (retry)
		jfast_put_json(b, retry);
	else
		b->punt = true;
	json_decref(retry);
	jfast_put(b, "}", 1);
}

void vdpd_vsi_text(struct jfast_buf *b, const struct vdpd_uplink *du, const struct vsi *v)
{
	size_t start = b->len;
	json_t *j;

	if (b->punt)
		return;
	vsi_text(b, du, v);
	if (!b->punt)
		return;
	/* Something only jansson writes (a name outside ASCII): the object,
	 * written as before. */
	b->len = start;
	if (b->p)
		b->p[start] = '\0';
	b->punt = false;
	j = vdpd_vsi_json(du, v);
	if (j)
		jfast_put_json(b, j);
	else
		b->punt = true;
	json_decref(j);
}
