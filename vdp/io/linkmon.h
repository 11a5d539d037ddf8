/* Link monitor: the kernel's link table (libnl route/link cache kept in
 * sync by a cache manager on the event loop) reported as per-interface
 * events: appeared, changed (up/down, rename), vanished.
 *
 * "up" means IFF_UP and IFF_RUNNING (carrier), the same test the uplink
 * makes at start.  A receive-buffer overrun (ENOBUFS) loses events, so the
 * monitor then refills the cache from a dump and reports every interface
 * again (the callback must be idempotent).  The last LINKMON_LOG events
 * are kept for `vdpctl` and tests. */
#ifndef VDP_LINKMON_H
#define VDP_LINKMON_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

struct event_base;
struct linkmon;

#define LINKMON_LOG 64

enum linkmon_ev {
	LINKMON_NEW,
	LINKMON_CHANGE,
	LINKMON_DEL,
	LINKMON_RESYNC,		/* reported again after an overrun */
};

struct linkmon_ops {
	/* exists is false for LINKMON_DEL.  ifname is the current name. */
	void (*link)(void *ctx, enum linkmon_ev ev, const char *ifname, int ifindex, bool exists,
		     bool up);
};

struct linkmon_stats {
	uint64_t events;	/* reports made */
	uint64_t adds, dels, changes;
	uint64_t resyncs;	/* overruns recovered by a dump */
	uint64_t errors;	/* other netlink errors */
};

/* NULL with errno set. */
struct linkmon *linkmon_new(struct event_base *base, const struct linkmon_ops *ops, void *ctx);
void linkmon_free(struct linkmon *lm);
/* Current state of an interface from the cache: 0, or -ENODEV. */
int linkmon_lookup(struct linkmon *lm, const char *ifname, int *ifindex, bool *up);
/* Reports every interface now (LINKMON_RESYNC), e.g. after a reload. */
void linkmon_replay(struct linkmon *lm);
void linkmon_get_stats(const struct linkmon *lm, struct linkmon_stats *st);
/* {"stats":{...}, "events":[{"t_ms":N,"event":"new","ifname":..,"ifindex":..,"up":..}, ...]} */
json_t *linkmon_json(const struct linkmon *lm);
const char *linkmon_ev_name(enum linkmon_ev ev);

#endif
