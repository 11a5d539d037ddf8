/* The reconciler: drives every VSI whose desired state vdpd itself holds
 * (an intent of `vdpctl vsi add`, a realized registry attachment/binding)
 * back to it after an end nobody asked for: a bridge De-Associate (also
 * the bridge's toutKeepAlive or resourceWaitDelay running out), ECP giving
 * up, the response wait expiring, a refusal the bridge may lift (reason 2
 * "insufficient resources" or 3 "unable to contact VSI manager" without
 * the hard-error bit).  A hard refusal, a format error and the other
 * reasons are final: reported as given up, with the bridge's status.
 * libvirt's VSIs (netlink front) are not healed here: libvirt is told with
 * an unsolicited DISASSOCIATE and associates again itself, as with lldpad.
 *
 * Retries back off exponentially from `initial` (default one ECP exchange,
 * (R+1) x ackTimer of the uplink) to `max` (default 60 s), with jitter
 * (each delay uniformly in [d/2, d]).  A bridge that answers is a bridge
 * worth asking: a confirmation on the uplink (association or keep-alive)
 * pulls the retries of transport failures forward to about `initial`, at
 * most once per `initial`; so does EVB converging again (link up, new
 * peer).  Refusals keep their backoff.
 *
 * One entry per VSI (uplink, VSIID), whatever its sources: a VSI heals
 * once.  The reconciler is free of I/O: time from a struct vclock, the
 * desired state and the request through ops (vdp/daemon/reconcile_vdpd.c
 * in vdpd, fakes in tests/unit/test_reconcile.c). */
#ifndef VDP_DAEMON_RECONCILE_H
#define VDP_DAEMON_RECONCILE_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "vdp/base/vclock.h"
#include "vdp/engine/vdp_station.h"

#define RC_DEFAULT_MAX_US 60000000ULL
#define RC_MAX_FILTERS 243

enum rc_verdict {
	RC_OPERATOR, /* an end that was asked for: nothing to heal */
	RC_RETRY, /* transport or a refusal that may be lifted */
	RC_GIVE_UP, /* hard refusal, format error, other reasons */
};

enum rc_state {
	RC_WAITING, /* next try armed */
	RC_TRYING, /* request sent, its outcome awaited */
	RC_GAVE_UP, /* final refusal: kept for show until healed/forgotten */
};

struct rc_entry {
	struct rc_entry *next; /* hash chain */
	struct reconcile *rc;
	struct vtimer *timer;
	char uplink[IF_NAMESIZE];
	uint8_t fmt;
	uint8_t vsiid[VDP_VSIID_LEN];
	uint8_t state; /* enum rc_state */
	uint8_t reason; /* last end (enum vdp_end_reason) */
	uint8_t status; /* its status octet (refusals) */
	uint32_t attempts; /* retries sent since the last success */
	uint64_t next_us; /* vclock time of the next try (WAITING) */
	uint64_t base_us; /* first delay for this VSI */
};

struct reconcile_ops {
	/* The desired request of the VSI if vdpd itself holds one (filters:
	 * RC_MAX_FILTERS entries): 1, or 0 when it is not ours (libvirt's,
	 * deleted). */
	int (*desired)(void *ctx, const char *uplink, uint8_t fmt,
		       const uint8_t vsiid[VDP_VSIID_LEN], struct vdp_request *req,
		       struct vdp_filter *filters);
	/* Request it again: 0 sent, 1 nothing to do (the VSI is alive or
	 * already on its way), -errno (e.g. -ENETDOWN: try later). */
	int (*request)(void *ctx, const char *uplink, const struct vdp_request *req);
	/* Optional: "retry-scheduled", "retrying", "healed", "given-up". */
	void (*event)(void *ctx, const struct rc_entry *e, const char *what);
};

struct reconcile_counters {
	uint64_t reassociations; /* VSIs healed (confirmed after a retry) */
	uint64_t retries; /* requests sent by the reconciler */
	uint64_t given_up; /* final refusals of desired VSIs */
	uint64_t pulled; /* retries pulled forward by a live bridge */
};

#define RC_BUCKETS 1024

struct reconcile {
	const struct reconcile_ops *ops;
	void *ctx;
	struct vclock *clock;
	uint64_t initial_us; /* 0 = the uplink's ECP budget */
	uint64_t max_us;
	uint64_t rng;
	size_t n;
	struct rc_entry *bkt[RC_BUCKETS];
	/* last pull per uplink: a few uplinks, a short list */
	struct rc_pull {
		char uplink[IF_NAMESIZE];
		uint64_t at;
	} pulls[16];
	struct reconcile_counters cnt;
};

void reconcile_init(struct reconcile *rc, struct vclock *clock, const struct reconcile_ops *ops,
		    void *ctx);
void reconcile_fini(struct reconcile *rc);
void reconcile_set_params(struct reconcile *rc, uint64_t initial_us, uint64_t max_us);
void reconcile_seed(struct reconcile *rc, uint64_t seed);

/* What an end means to the reconciler. */
enum rc_verdict reconcile_verdict(uint8_t reason, uint8_t status);
/* The n-th retry's delay (n >= 1) before jitter: min(max, base x 2^(n-1)). */
uint64_t reconcile_backoff_us(const struct reconcile *rc, uint64_t base_us, uint32_t n);

/* A station event of VSI v on uplink (ecp_budget_us: that uplink's
 * (R+1) x ackTimer).  Call before anything else acts on the event (the
 * intent of a refused VSI is still there). */
void reconcile_vsi_event(struct reconcile *rc, const char *uplink, const struct vsi *v,
			 enum vdp_event ev, uint64_t ecp_budget_us);
/* EVB converged on uplink (link up, new peer): waiting VSIs are tried now. */
void reconcile_uplink_up(struct reconcile *rc, const char *uplink, uint64_t ecp_budget_us);
/* The VSI is no longer wanted (deleted): its retry state goes. */
void reconcile_forget(struct reconcile *rc, const char *uplink, uint8_t fmt,
		      const uint8_t vsiid[VDP_VSIID_LEN]);

const struct rc_entry *reconcile_find(const struct reconcile *rc, const char *uplink, uint8_t fmt,
				      const uint8_t vsiid[VDP_VSIID_LEN]);
/* {"state","attempts","next_try_ms","last_end","last_status"} or NULL. */
json_t *reconcile_entry_json(const struct reconcile *rc, const struct rc_entry *e);
json_t *reconcile_stats_json(const struct reconcile *rc);
const char *reconcile_state_name(uint8_t s);

#endif
