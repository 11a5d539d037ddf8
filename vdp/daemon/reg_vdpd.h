/* The registry inside vdpd (glue between profiles/ and vdp/daemon/vdpd.c):
 * desired VSIs from the registry become VDP station requests on the
 * uplink they name. */
#ifndef VDP_REG_VDPD_H
#define VDP_REG_VDPD_H

#include <stdint.h>

struct vdpd;
struct vdpd_uplink;

/* Opens the registry (vdpd.conf `registry` group, then the state file)
 * and requests every desired VSI.  d->opts.state_file: NULL = no
 * persistence (test seam), "" = from the config's state_dir or
 * /var/lib/vdpd, else that file.  0, or -errno after logging why (a
 * refused state file: vdpd must not start). */
int vdpd_reg_start(struct vdpd *d);
void vdpd_reg_stop(struct vdpd *d);
/* SIGHUP: prepare checks vdpd.conf's registry group against the current
 * run-time entries (0, or -errno after logging: refuse the whole reload);
 * commit applies it and requests what changed. */
struct reg_reload;
int vdpd_reg_reload_prepare(struct vdpd *d, struct reg_reload *rl);
void vdpd_reg_reload_commit(struct vdpd *d, struct reg_reload *rl);
/* vdpd -t: the registry group alone.  0, or -EINVAL with err. */
struct reg_err;
int vdpd_reg_check_config(const char *path, struct reg_err *err);

/* An uplink (re)started: request the desired VSIs that name it. */
void vdpd_reg_uplink_started(struct vdpd *d, struct vdpd_uplink *du);

/* Policy check of one libvirt netlink request (ASSOCIATE/PRE-ASSOCIATE;
 * De-Associates are never refused) for the netlink front: reg_check_request
 * plus saving a binding learned under policy "learn".  0, or -EACCES after
 * logging the reason (answer libvirt with it). */
int vdpd_reg_check_request(struct vdpd *d, const char *ifname, const uint8_t mac[6], uint16_t vlan,
			   uint8_t mgrid, uint32_t typeid, uint8_t typeidver, const uint8_t uuid[16]);

#endif
