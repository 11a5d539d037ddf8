/* The registry inside vdpd (glue between profiles/ and vdp/vdpd.c):
 * desired VSIs from the registry become VDP station requests on the
 * uplink they name. */
#ifndef VDP_REG_VDPD_H
#define VDP_REG_VDPD_H

struct vdpd;
struct vdpd_uplink;

/* Opens the registry (vdpd.conf `registry` group, then the state file)
 * and requests every desired VSI.  d->opts.state_file: NULL = no
 * persistence (test seam), "" = from the config's state_dir or
 * /var/lib/vdpd, else that file.  0, or -errno after logging why (a
 * refused state file: vdpd must not start). */
int vdpd_reg_start(struct vdpd *d);
void vdpd_reg_stop(struct vdpd *d);
/* An uplink (re)started: request the desired VSIs that name it. */
void vdpd_reg_uplink_started(struct vdpd *d, struct vdpd_uplink *du);

#endif
