/* The fleet registry on etcd, as one host sees it: a copy of the keys
 * under the prefix (the cache), the revision it is at, and the host's
 * registry kept equal to the fleet-wide entries plus this host's uplinks
 * and bindings (fleet_keys.h).
 *
 * Sequence: read the prefix at the newest revision R, replace the
 * registry's entries by what was read, watch from R + 1 and apply each
 * batch of events.  A watch that ends (compaction: its revision is gone;
 * the cluster unreachable) leads to a fresh read, whose differences from
 * the cache are what gets applied: reg_replace() reports only the desired
 * VSIs that changed, so a resync never de-associates an interface whose
 * entries did not change.  While etcd is unreachable the registry stays as
 * it was; fleet_sync_tick() retries.
 *
 * Writes are transactions comparing the key's mod_revision with the one
 * in the cache: a writer that did not see another's change of the same
 * key gets -EAGAIN instead of overwriting it. */
#ifndef VDP_FLEET_SYNC_H
#define VDP_FLEET_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "profiles/fleet_keys.h"
#include "profiles/registry.h"
#include "vdp/io/etcd.h"

enum fleet_state {
	FLEET_DOWN, /* not reading nor watching: waiting for a retry */
	FLEET_READING, /* a range is under way */
	FLEET_WATCHING, /* in step with the store */
};

struct fleet_stats {
	enum fleet_state state;
	bool connected; /* the last answer from etcd was not an error */
	int64_t revision; /* the store revision the registry reflects */
	uint64_t reads, resyncs, events, bad_values, rejected, conflicts;
	size_t unapplied; /* cached entries the registry refused (missing reference) */
	char last_error[256];
};

struct fleet_sync;

/* reg is the host's registry (not owned); host names this host's keys.
 * 0-length host: a controller (no per-host entries are applied). */
struct fleet_sync *fleet_sync_new(struct reg *reg, const struct etcd_ops *ops, void *transport,
				  const char *prefix, const char *host, struct reg_err *err);
void fleet_sync_free(struct fleet_sync *fs);

/* Starts the first read. */
void fleet_sync_start(struct fleet_sync *fs);
/* Called every second or so: retries a read when DOWN. */
void fleet_sync_tick(struct fleet_sync *fs);

const struct fleet_stats *fleet_sync_stats(const struct fleet_sync *fs);
const char *fleet_state_name(enum fleet_state s);

/* Rebuilds the registry from the cache (a local change the store
 * refused is undone); only the desired VSIs that differ are reported. */
void fleet_sync_rebuild(struct fleet_sync *fs);
/* The lease status keys are put under (0: none). */
void fleet_sync_set_lease(struct fleet_sync *fs, int64_t lease);

/* A cached value (NULL when absent) and its mod_revision. */
const char *fleet_sync_get(const struct fleet_sync *fs, const char *key, int64_t *mod_revision);

/* Every cached key of the schema in key order, with its value text. */
typedef void (*fleet_each_fn)(void *ctx, const struct fleet_key *k, const char *value);
void fleet_sync_each(const struct fleet_sync *fs, fleet_each_fn fn, void *ctx);

typedef void (*fleet_write_cb)(void *ctx, int err, const char *msg);

/* Puts entry (a struct reg_<kind> or fleet_status) under its key; create:
 * only when the key is absent (else -EEXIST).  Otherwise the key must be
 * unchanged since the cache saw it (else -EAGAIN).  host for per-host
 * kinds ("" or NULL: this host).  Returns 0 when the write was sent (cb
 * follows) or -errno with err filled (bad value, etcd not connected). */
int fleet_sync_put(struct fleet_sync *fs, enum fleet_kind kind, const char *host, const void *entry,
		   bool create, fleet_write_cb cb, void *ctx, struct reg_err *err);
/* Deletes the key of kind and id; -ENOENT when the cache has none. */
int fleet_sync_del(struct fleet_sync *fs, enum fleet_kind kind, const char *host, const char *id,
		   fleet_write_cb cb, void *ctx, struct reg_err *err);

#endif
