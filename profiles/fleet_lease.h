/* The etcd lease a host's status keys are put under (docs/registry.md
 * "Fleet"): granted once the store is reachable, kept alive every TTL/3
 * seconds (rounded down, at least 1), and granted anew when a keepalive
 * fails or etcd says the lease is gone (TTL 0: expired or not found),
 * since the status keys went with it.  Driven by the host's once-a-second
 * tick; time comes from a vclock so unit tests run it on a fake clock. */
#ifndef VDP_FLEET_LEASE_H
#define VDP_FLEET_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "vdp/io/etcd.h"

struct vclock;
struct fleet_lease;

/* id: the new lease (its keys must be written under it), or 0: the lease
 * was lost (its keys are gone or about to be). */
typedef void (*fleet_lease_fn)(void *ctx, int64_t id, const char *why);

struct fleet_lease *fleet_lease_new(struct vclock *clock, const struct etcd_ops *ops, void *t,
				    int64_t ttl_s, fleet_lease_fn changed, void *ctx);
void fleet_lease_free(struct fleet_lease *l);
/* Asks for a lease or a keepalive when one is due and none is awaited;
 * nothing while the store is not connected. */
void fleet_lease_tick(struct fleet_lease *l, bool connected);
/* The lease in force, 0 if none. */
int64_t fleet_lease_id(const struct fleet_lease *l);

#endif
