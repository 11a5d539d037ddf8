/* An in-memory etcd behind struct etcd_ops for unit tests: one revision
 * counter, keys with mod_revision, a history for watches, compaction, and
 * an outage switch.  Answers are queued and delivered by fake_etcd_run(),
 * never from inside the call (as with the real transport). */
#ifndef VDP_TESTS_FAKE_ETCD_H
#define VDP_TESTS_FAKE_ETCD_H

#include <stdbool.h>
#include <stdint.h>

#include "vdp/io/etcd.h"

extern const struct etcd_ops fake_etcd_ops;

struct fake_etcd;

struct fake_etcd *fake_etcd_new(void);
void fake_etcd_free(struct fake_etcd *f);
/* A client: its own watch and queue on the shared store. */
struct fake_etcd_client *fake_etcd_client(struct fake_etcd *f);

/* While held, the client's watch gets no events (a slow reader); its
 * other answers still come. */
void fake_etcd_client_hold(struct fake_etcd_client *c, bool hold);

/* Writes straight into the store (another controller); the revision. */
int64_t fake_etcd_put(struct fake_etcd *f, const char *key, const char *val);
int64_t fake_etcd_del(struct fake_etcd *f, const char *key);
/* n puts in one transaction: one revision for all. */
int64_t fake_etcd_put_many(struct fake_etcd *f, const char *const *keys, const char *const *vals,
			   int n);
/* Forgets the history up to rev: a watch from at or below it ends with -ESTALE. */
void fake_etcd_compact(struct fake_etcd *f, int64_t rev);
/* While down every call is answered with -ECONNREFUSED and watches end. */
void fake_etcd_set_down(struct fake_etcd *f, bool down);
int64_t fake_etcd_revision(const struct fake_etcd *f);
const char *fake_etcd_value(const struct fake_etcd *f, const char *key);
/* Leases: granted with IDs from 0x7e570001 on; a keepalive of one that is
 * not alive is answered with TTL 0, a put under it fails.  Expiring one
 * deletes the keys put under it.  Counters of grants and keepalives
 * answered (and the last keepalive's ID). */
void fake_etcd_lease_expire(struct fake_etcd *f, int64_t id);
bool fake_etcd_lease_alive(const struct fake_etcd *f, int64_t id);
int64_t fake_etcd_lease_of(const struct fake_etcd *f, const char *key);
int64_t fake_etcd_grants(const struct fake_etcd *f);
int64_t fake_etcd_keepalives(const struct fake_etcd *f, int64_t *last_id);
/* Delivers every queued answer and pending watch event of every client;
 * the number of callbacks made. */
int fake_etcd_run(struct fake_etcd *f);

#endif
