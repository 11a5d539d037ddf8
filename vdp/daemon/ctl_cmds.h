/* vdpd's own control-socket commands (vdp/daemon/ctl_cmds.c): uplink.show,
 * neighbor.show, vsi.*, stats, link.events, config.reload.  Served with the
 * daemon (struct vdpd) as ctx; the registry brings its own table
 * (profiles/reg_ctl.h). */
#ifndef VDP_DAEMON_CTL_CMDS_H
#define VDP_DAEMON_CTL_CMDS_H

#include <jansson.h>

#include "vdp/ctl/ctl.h"
#include "vdp/engine/vdp_station.h"

#define VDPD_MAX_FILTERS 243 /* format vid: (511 - 25) / 2 entries in one VSI TLV */

struct vdpd;
struct vdpd_uplink;

extern const struct ctl_cmd vdpd_ctl_cmds[];

/* vsi.add's argument parsing, shared with the intents' replay: fills *du,
 * req (req->filters = filters, VDPD_MAX_FILTERS entries).  0 or -1 with
 * err. */
int vdpd_vsi_request_parse(struct vdpd *d, json_t *args, struct vdpd_uplink **du,
			   struct vdp_request *req, struct vdp_filter *filters,
			   struct ctl_error *err);
/* The canonical vsi.add arguments for a request. */
json_t *vdpd_request_json(const char *uplink, const struct vdp_request *req);
json_t *vdpd_vsi_json(const struct vdpd_uplink *du, const struct vsi *v);
/* The same as JSON text, appended to b: the bytes jfast_dumps() of
 * vdpd_vsi_json() writes (vdp/daemon/vsi_text.c). */
void vdpd_vsi_text(struct jfast_buf *b, const struct vdpd_uplink *du, const struct vsi *v);

#endif
