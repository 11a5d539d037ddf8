/* vdpd's registry on the fleet store (registry.backend = "etcd", see
 * profiles/fleet_config.h and docs/registry.md "Fleet"): the registry
 * follows etcd through fleet_sync, so a change a controller makes there
 * reaches realize.c's reconciliation like a local one; registry commands
 * on the control socket write to etcd; each bound interface's association
 * is reported under this host's lease; the state file is the cache a
 * restart starts from.  With the local backend none of this runs. */
#ifndef VDP_FLEET_VDPD_H
#define VDP_FLEET_VDPD_H

#include <jansson.h>

struct vdpd;
struct fleet_vdpd;

/* Reads vdpd.conf's fleet settings and adds the registry's control
 * commands: vdpd's own (reg_ctl.h) with the local backend, the same
 * commands writing to etcd with the etcd backend.  0 or -errno. */
int fleet_vdpd_add_cmds(struct vdpd *d);
/* After the registry is open: starts following etcd (nothing with the
 * local backend).  0 or -errno. */
int fleet_vdpd_start(struct vdpd *d);
void fleet_vdpd_stop(struct vdpd *d);
/* {"backend","endpoints","prefix","host","state","connected","revision",
 *  "last_error",...}, for stats and registry show. */
json_t *fleet_vdpd_json(const struct vdpd *d);

#endif
