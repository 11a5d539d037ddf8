/* The seam between the fleet registry and etcd v3: the five calls it
 * makes, each answered later through a callback (never from inside the
 * call), so that the event loop never waits for etcd.  The daemon's
 * transport speaks etcd's JSON gateway over HTTP/1.1 (etcd_curl.h); unit
 * tests put an in-memory etcd behind the same ops.
 *
 * Errors handed to callbacks: 0; -ESTALE when the revision asked for was
 * compacted (range at an old revision, watch from one); -ECONNREFUSED,
 * -ETIMEDOUT, -EIO when the cluster could not be reached or answered
 * badly, with msg saying which endpoint and why.  Keys and values are
 * only valid during the callback. */
#ifndef VDP_ETCD_H
#define VDP_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct etcd_kv {
	const char *key;
	const char *value; /* not NUL-terminated: value_len bytes */
	size_t value_len;
	int64_t mod_revision;
	int64_t lease; /* 0: none */
};

enum etcd_event_type {
	ETCD_PUT = 0,
	ETCD_DELETE = 1,
};

struct etcd_event {
	enum etcd_event_type type;
	struct etcd_kv kv; /* for a delete: key and mod_revision (the deletion's) */
};

/* revision: the store's revision the answer was read at. */
typedef void (*etcd_range_cb)(void *ctx, int err, const char *msg, int64_t revision,
			      const struct etcd_kv *kvs, size_t n);
/* Called once per batch of events (one revision or more, in order), and
 * once with err != 0 when the watch ended (then no more calls). */
typedef void (*etcd_watch_cb)(void *ctx, int err, const char *msg, const struct etcd_event *ev,
			      size_t n);
/* succeeded: the compare held and the write was made; revision: the
 * store's revision after the transaction. */
typedef void (*etcd_txn_cb)(void *ctx, int err, const char *msg, bool succeeded, int64_t revision);
typedef void (*etcd_lease_cb)(void *ctx, int err, const char *msg, int64_t id, int64_t ttl);

struct etcd_ops {
	/* Every key in [prefix, prefix + 1) at revision rev (0: the newest). */
	int (*range)(void *t, const char *prefix, int64_t rev, etcd_range_cb cb, void *ctx);
	/* Events of keys under prefix from revision start_rev on; one watch
	 * at a time per transport, ended by watch_cancel (no callback after). */
	int (*watch)(void *t, const char *prefix, int64_t start_rev, etcd_watch_cb cb, void *ctx);
	void (*watch_cancel)(void *t);
	/* If key's mod_revision is expect (0: the key does not exist), put
	 * value (under lease when not 0) or, when value is NULL, delete key. */
	int (*txn)(void *t, const char *key, int64_t expect, const char *value, int64_t lease,
		   etcd_txn_cb cb, void *ctx);
	int (*lease_grant)(void *t, int64_t ttl, etcd_lease_cb cb, void *ctx);
	int (*lease_keepalive)(void *t, int64_t id, etcd_lease_cb cb, void *ctx);
};

#endif
