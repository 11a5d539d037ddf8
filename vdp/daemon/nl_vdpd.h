/* vdpd glue for the lldpad-compatible netlink front (vdp/daemon/nl_vdpd.c):
 * reads the "netlink" group of the daemon's configuration, starts the front
 * when lldpad_compat is true, and answers its ops (uplink lookup, registry
 * policy, intents of netlink requesters). */
#ifndef VDP_DAEMON_NL_VDPD_H
#define VDP_DAEMON_NL_VDPD_H

#include <jansson.h>

#include "vdp/nlfront/nl_front.h"

struct vdpd;
struct uplink;

/* 0 also when disabled (d->nl stays NULL); -1 after logging why it cannot
 * start. */
int vdpd_nl_start(struct vdpd *d);
void vdpd_nl_stop(struct vdpd *d);
/* SIGHUP: c from nl_front_config_load() of the new file. */
void vdpd_nl_reload(struct vdpd *d, const struct nl_front_config *c);
/* A stored netlink intent requested again on u: nl is its "netlink"
 * object (port, seq, request); the front serves its requester again. */
void vdpd_nl_restore(struct vdpd *d, struct uplink *u, const struct vdp_request *req, json_t *nl);

#endif
