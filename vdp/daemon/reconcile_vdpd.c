/* The reconciler inside vdpd (vdp/daemon/reconcile.h): the desired state
 * of a VSI comes from the intents of vsi.add (not those of a netlink
 * requester: libvirt heals its own VSIs) or from the registry's realized
 * VSIs; a retry is a station request on the uplink; its progress goes to
 * `vdpctl monitor` (topic vsi). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profiles/resolve.h"
#include "vdp/base/log.h"
#include "vdp/daemon/ctl_cmds.h"
#include "vdp/daemon/intents.h"
#include "vdp/daemon/reconcile.h"
#include "vdp/daemon/reconcile_vdpd.h"
#include "vdp/daemon/vdpd.h"
#include "vdp/wire/vdp_text.h"

static int from_registry(struct vdpd *d, const char *uplink, uint8_t fmt,
			 const uint8_t vsiid[VDP_VSIID_LEN], struct vdp_request *req,
			 struct vdp_filter *filters)
{
	const struct reg_vsi **v;
	size_t n;
	int found = 0;

	if (!d->reg.reg || fmt != VDP_VSIID_UUID)
		return 0;
	v = reg_vsis(d->reg.reg, &n);
	for (size_t i = 0; v && i < n && !found; i++)
		if (v[i]->type == REG_VPORT_QBG && !strcmp(v[i]->uplink, uplink) &&
		    !memcmp(v[i]->instance, vsiid, VDP_VSIID_LEN) &&
		    reg_vsi_to_request(v[i], VDP_MODE_ASSOC, req, &filters[0]) == 0)
			found = 1;
	free(v);
	return found;
}

static int desired(void *ctx, const char *uplink, uint8_t fmt, const uint8_t vsiid[VDP_VSIID_LEN],
		   struct vdp_request *req, struct vdp_filter *filters)
{
	struct vdpd *d = ctx;
	struct vdpd_uplink *du;
	struct ctl_error err = { 0 };
	json_t *args;
	int rc;

	_Static_assert(RC_MAX_FILTERS == VDPD_MAX_FILTERS, "one filter array for both");
	/* libvirt's (netlink front): it is told and asks again */
	if (intents_is_netlink(d->intents, uplink, fmt, vsiid))
		return 0;
	args = intents_get(d->intents, uplink, fmt, vsiid);
	if (args) {
		rc = vdpd_vsi_request_parse(d, args, &du, req, filters, &err) == 0;
		json_decref(args);
		return rc;
	}
	return from_registry(d, uplink, fmt, vsiid, req, filters);
}

static int request(void *ctx, const char *uplink, const struct vdp_request *req)
{
	struct vdpd_uplink *du = vdpd_find_uplink(ctx, uplink);
	struct vdp_station *st = du && du->u ? uplink_station(du->u) : NULL;
	struct vsi *v;

	if (!st)
		return -ENETDOWN;
	v = vdp_station_find(st, req->vsiid_fmt, req->vsiid);
	if (v && v->state != VDP_ST_END)
		return 1;
	return vdp_station_request(st, req);
}

static void event(void *ctx, const struct rc_entry *e, const char *what)
{
	struct vdpd *d = ctx;
	struct vdpd_uplink *du = vdpd_find_uplink(d, e->uplink);
	struct vdp_station *st = du && du->u ? uplink_station(du->u) : NULL;
	struct vsi *v = st ? vdp_station_find(st, e->fmt, e->vsiid) : NULL;
	char id[VDP_TXT_VSIID_LEN];

	vdp_txt_vsiid_format(e->fmt, e->vsiid, id);
	if (!strcmp(what, "given-up"))
		log_warn("vsi", "%s: VSI %s: not asked for again: %s (status 0x%02x %s)", e->uplink,
			 id, vdp_end_reason_name(e->reason), e->status,
			 vdp_reason_name(e->status & VDP_STATUS_REASON));
	else if (!strcmp(what, "healed"))
		log_info("vsi", "%s: VSI %s: associated again after %u retries", e->uplink, id,
			 e->attempts);
	else
		log_debug("vsi", "%s: VSI %s: %s (attempt %u)", e->uplink, id, what, e->attempts);
	if (!v || !ctl_server_wants(d->ctl, "vsi"))
		return;
	json_t *j = vdpd_vsi_json(du, v);

	/* vdpd_vsi_json() shows the entry as it is; "healed" drops it next */
	if (j && !json_object_get(j, "retry"))
		json_object_set_new(j, "retry", reconcile_entry_json(d->rc, e));
	ctl_server_publish(
		d->ctl, "vsi",
		json_pack("{s:s, s:s, s:o}", "uplink", e->uplink, "event", what, "vsi", j));
}

static const struct reconcile_ops vdpd_rc_ops = {
	.desired = desired,
	.request = request,
	.event = event,
};

int vdpd_reconcile_start(struct vdpd *d)
{
	d->rc = calloc(1, sizeof(*d->rc));
	if (!d->rc)
		return -ENOMEM;
	reconcile_init(d->rc, d->clock, &vdpd_rc_ops, d);
	vdpd_reconcile_config(d);
	return 0;
}

void vdpd_reconcile_stop(struct vdpd *d)
{
	if (!d->rc)
		return;
	reconcile_fini(d->rc);
	free(d->rc);
	d->rc = NULL;
}

void vdpd_reconcile_config(struct vdpd *d)
{
	if (d->rc)
		reconcile_set_params(d->rc, (uint64_t)d->cfg.retry_initial_ms * 1000,
				     (uint64_t)d->cfg.retry_max_ms * 1000);
}

void vdpd_reconcile_vsi_event(struct vdpd *d, struct uplink *u, struct vsi *v, enum vdp_event ev)
{
	if (d->rc)
		reconcile_vsi_event(d->rc, uplink_ifname(u), v, ev,
				    vdp_station_ecp_budget_us(uplink_station(u)));
}

void vdpd_reconcile_uplink_up(struct vdpd *d, struct uplink *u)
{
	if (d->rc)
		reconcile_uplink_up(d->rc, uplink_ifname(u),
				    vdp_station_ecp_budget_us(uplink_station(u)));
}

json_t *vdpd_reconcile_vsi_json(const struct reconcile *rc, const char *uplink, const struct vsi *v)
{
	const struct rc_entry *e = rc ? reconcile_find(rc, uplink, v->vsiid_fmt, v->vsiid) : NULL;

	return e ? reconcile_entry_json(rc, e) : json_null();
}
