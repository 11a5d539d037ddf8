/* The reconciler inside vdpd (see reconcile.h and reconcile_vdpd.c). */
#ifndef VDP_DAEMON_RECONCILE_VDPD_H
#define VDP_DAEMON_RECONCILE_VDPD_H

#include <jansson.h>

#include "vdp/engine/vdp_station.h"

struct vdpd;
struct uplink;
struct reconcile;

int vdpd_reconcile_start(struct vdpd *d);
void vdpd_reconcile_stop(struct vdpd *d);
/* global.retry_initial_ms / retry_max_ms (start, reload). */
void vdpd_reconcile_config(struct vdpd *d);
/* Every station event, before the daemon acts on it. */
void vdpd_reconcile_vsi_event(struct vdpd *d, struct uplink *u, struct vsi *v, enum vdp_event ev);
/* EVB converged on u. */
void vdpd_reconcile_uplink_up(struct vdpd *d, struct uplink *u);
/* The VSI's retry state for vsi.show, or JSON null. */
json_t *vdpd_reconcile_vsi_json(const struct reconcile *rc, const char *uplink,
				const struct vsi *v);

#endif
