/* The registry's control commands run straight against the fleet store,
 * with no vdpd: what `vdpctl --etcd ENDPOINTS ...` does.  The prefix is
 * read once into a registry of its own; a command runs there with the
 * same handlers vdpd serves (reg_ctl.h), so it is validated the same way
 * (references, the uplink invariant); each entry it changed is then
 * written in a transaction comparing the revision that was read, so a
 * change made meanwhile by another controller is not overwritten (the
 * command fails and says so). */
#ifndef VDP_FLEET_CTL_H
#define VDP_FLEET_CTL_H

#include <jansson.h>

#include "profiles/fleet_sync.h"

/* Runs the event loop once (until something happened); -ETIMEDOUT when
 * the caller's deadline passed. */
typedef int (*fleet_pump_fn)(void *ctx);

struct fleet_ctl;

/* Reads the prefix; host names this host's keys (uplinks, bindings).
 * NULL with err when the store cannot be read (err names the endpoints). */
struct fleet_ctl *fleet_ctl_open(const struct etcd_ops *ops, void *transport, const char *prefix,
				 const char *host, fleet_pump_fn pump, void *pump_ctx,
				 struct reg_err *err);
void fleet_ctl_close(struct fleet_ctl *fc);

/* One control command (cmd and args as on vdpd's socket); its result, or
 * NULL with err. */
json_t *fleet_ctl_call(struct fleet_ctl *fc, const char *cmd, json_t *args, struct reg_err *err);

/* Where iface_id is attached and bound, and what each host reports:
 * {"iface_id","attachment":{..}|null,"bindings":[{"host",..}],
 *  "status":[{..}]}. */
json_t *fleet_ctl_status(struct fleet_ctl *fc, const char *iface_id, struct reg_err *err);

#endif
