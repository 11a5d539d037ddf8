/* The registry's realizer in vdpd (between profiles/ and the daemon's
 * uplinks): desired VSIs from the registry (reg_ops.vsi_desired) become VDP
 * station requests on the uplink they name, or 802.1Qbh requests to the
 * NIC driver. */
#ifndef VDP_DAEMON_REALIZE_H
#define VDP_DAEMON_REALIZE_H

#include <stdint.h>

struct vdpd;
struct vdpd_uplink;

/* Opens the registry (vdpd.conf `registry` group, then the state file)
 * and requests every desired VSI.  d->opts.state_file: NULL = no
 * persistence (test seam), "" = from the config's state_dir or
 * /var/lib/vdpd, else that file.  0, or -errno after logging why (a
 * refused state file: vdpd must not start). */
int realize_start(struct vdpd *d);
void realize_stop(struct vdpd *d);
/* SIGHUP: prepare checks vdpd.conf's registry group against the current
 * run-time entries (0, or -errno after logging: refuse the whole reload);
 * commit applies it and requests what changed. */
struct reg_reload;
int realize_reload_prepare(struct vdpd *d, struct reg_reload *rl, char *err, size_t errlen);
void realize_reload_commit(struct vdpd *d, struct reg_reload *rl);
/* vdpd -t: the registry group alone.  0, or -EINVAL with err. */
struct reg_err;
int realize_check_config(const char *path, struct reg_err *err);

/* A reload: the 802.1Qbh retry delays (qbh.retry_initial_ms,
 * retry_max_ms) from d->cfg. */
void realize_config(struct vdpd *d);

/* An uplink (re)started: request the desired VSIs that name it. */
void realize_uplink_started(struct vdpd *d, struct vdpd_uplink *du);

/* Policy check of one libvirt netlink request (ASSOCIATE/PRE-ASSOCIATE;
 * De-Associates are never refused) for the netlink front: reg_check_request
 * plus saving a binding learned under policy "learn".  0, or -EACCES after
 * logging the reason (answer libvirt with it). */
int realize_check_request(struct vdpd *d, const char *ifname, const uint8_t mac[6], uint16_t vlan,
			  uint8_t mgrid, uint32_t typeid, uint8_t typeidver,
			  const uint8_t uuid[16]);

#endif
