/* VSI intents (vdp/daemon/intents.c): what vsi.add or a netlink requester
 * asked for, kept until vsi.del / DISASSOCIATE, re-requested when the
 * uplink (re)starts and, with a file, across restarts.  The file is
 * rewritten at most every 200 ms and at a clean stop.  The daemon owns one
 * set; nothing here knows the daemon. */
#ifndef VDP_DAEMON_INTENTS_H
#define VDP_DAEMON_INTENTS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "vdp/engine/vdp_station.h"

struct event_base;
struct intents;

/* path: the snapshot file (its journal is path + ".journal"); NULL or ""
 * keeps the intents in memory only.  Saves run on base.  A file that
 * cannot be read is refused (the daemon must not start and must not
 * overwrite it).  0 with *out set, or -errno after logging why. */
int intents_open(struct intents **out, struct event_base *base, const char *path);
/* A clean stop: the journal is folded into the snapshot.  NULL is fine. */
void intents_close(struct intents *in);
/* Saves now if anything changed: before a reply acknowledges a change. */
void intents_flush(struct intents *in);
void intents_put(struct intents *in, const char *uplink, const struct vdp_request *req);
/* The same for a request of the netlink front; nl ({"port":..,...},
 * taken) says who asked (vdp/daemon/nl_vdpd.c). */
void intents_put_netlink(struct intents *in, const char *uplink, const struct vdp_request *req,
			 json_t *nl);
/* True if there was one. */
bool intents_drop(struct intents *in, const char *uplink, uint8_t vsiid_fmt,
		  const uint8_t vsiid[VDP_VSIID_LEN]);
/* The stored vsi.add arguments of one VSI, rendered for the caller (a new
 * reference), or NULL. */
json_t *intents_get(struct intents *in, const char *uplink, uint8_t vsiid_fmt,
		    const uint8_t vsiid[VDP_VSIID_LEN]);
/* True if there is one and a netlink requester made it. */
bool intents_is_netlink(struct intents *in, const char *uplink, uint8_t vsiid_fmt,
			const uint8_t vsiid[VDP_VSIID_LEN]);
/* The bridge refused a change with Keep: the station went back to what it
 * had confirmed (v), and so does the stored intent. */
void intents_kept(struct intents *in, const char *uplink, const struct vsi *v);
/* fn(ctx, args) for every intent of uplink, in the order they were first
 * stored: args are the stored vsi.add arguments, rendered for the call
 * (valid until fn returns; "netlink" names a netlink requester).  fn may
 * change the intent it is given, not others. */
void intents_foreach(struct intents *in, const char *uplink, void (*fn)(void *ctx, json_t *args),
		     void *ctx);
json_t *intents_stats_json(const struct intents *in);

#endif
