/* VDP bridge role per port (IEEE 802.1Qbg-2012 clause 41, bridge state
 * machine 41.5.6), free of I/O: the peer of a station, used by vdp-bridge.
 *
 * The daemon wires ECP to the bridge:
 *	ecp ops->deliver(subtype VDP) -> vdp_bridge_rx(br, ulpdu, len)
 *	ecp ops->tx_done(acked)       -> vdp_bridge_tx_done(br, acked)
 *
 * Unlike lldpad's bridge: the confirmed mode is recorded, so a keep-alive
 * (same request again) is answered without asking for resources again
 * (ALIVE), and a station De-Associate really removes the VSI.  Responses are
 * packed, several response TLVs per ECPDU.
 *
 * One state machine per VSI (vdp_bridge.c), stepped until stable by the
 * calls below, which record what happened as the VSI's inputs; events
 * (ops->vsi_event) are reported from the steps.
 *
 * Timers (one vtimer per VSI):
 *   resourceWaitDelay = 10us x 2^RWD while a deferred admit is pending;
 *   toutKeepAlive     = 1.5 x (10us x 2^RKA + (2R+1) x 10us x 2^RTE) in
 *                       WAITCMD; expiry de-associates (unsolicited
 *                       De-Associate, status 0, to the station). */
#ifndef VDP_VDP_BRIDGE_H
#define VDP_VDP_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdp/engine/ecp.h"
#include "vdp/engine/vsi.h"

enum vdp_bridge_state {
	VDP_BR_INIT,
	VDP_BR_PROCESS,		/* admit deferred; resourceWaitDelay running */
	VDP_BR_SEND,		/* transient: success response queued */
	VDP_BR_WAITCMD,		/* confirmed (vsi->mode_cur); toutKeepAlive running */
	VDP_BR_ALIVE,		/* transient: keep-alive answered */
	VDP_BR_KEEP,		/* keep-error response queued (until it leaves) */
	VDP_BR_DEASSOC,		/* error / De-Associate response queued, then removed */
	VDP_BR_DEASSOCIATED,	/* unsolicited De-Associate queued, then removed */
	VDP_BR_END,
};

enum vdp_bridge_event {
	VDP_BR_EV_ADMITTED,	/* new mode confirmed (vsi->mode_cur) */
	VDP_BR_EV_REFUSED,	/* admit returned an error (vsi->status) */
	VDP_BR_EV_KEPT,		/* admit returned keep-error; previous mode kept */
	VDP_BR_EV_STATION_DEASSOC, /* the station de-associated */
	VDP_BR_EV_TIMEOUT,	/* toutKeepAlive expired: de-associated */
	VDP_BR_EV_DEASSOC_SENT,	/* vdp_bridge_deassoc(), or the reset after an
				 * illegal transition (vdp_bridge_enter) */
	VDP_BR_EV_REMOVED,	/* the VSI is about to be freed */
};

/* Return values of ops->admit. */
#define VDP_ADMIT_DONE 0	/* *status_out holds the answer */
#define VDP_ADMIT_DEFER 1	/* answer later with vdp_bridge_admit_done() */

struct vdp_bridge_ops {
	/* Decide a request (new VSI, or a mode/type/filter change).  filters
	 * (n entries, format req->filter_fmt) may be rewritten, e.g. a VID 0
	 * replaced by the VSI type's VLAN.  *status_out: 0 for success, or a
	 * reason (enum vdp_reason) with VDP_STATUS_KEEP and/or
	 * VDP_STATUS_HARD.  vsi is the table entry (vsi->mode_cur = the
	 * previously confirmed mode). */
	int (*admit)(void *ctx, struct vsi *vsi, const uint8_t mgrid[VDP_MGRID_LEN],
		     const struct vdp_assoc *req, struct vdp_filter *filters, uint16_t n,
		     uint8_t *status_out);
	/* Optional.  A struct vsi stays valid until VDP_BR_EV_REMOVED (or
	 * vdp_bridge_flush/destroy); a request with more filters than the
	 * VSI had replaces the record (vsi->user and the confirmed mode
	 * carried over), so keep VSIIDs rather than pointers across
	 * vdp_bridge_rx() and answer a deferred admit before that. */
	void (*vsi_event)(void *ctx, struct vsi *vsi, enum vdp_bridge_event ev);
	/* Optional: every state change (from, to: enum vdp_bridge_state),
	 * after it took effect; for tracing and the transition-table tests.
	 * Must not call back into the bridge. */
	void (*transition)(void *ctx, const struct vsi *vsi, uint8_t from, uint8_t to);
	/* Optional: true if a keep-alive of this confirmed VSI is to be
	 * decided by admit again, like a change (a refusal then revokes the
	 * VSI, or keeps it with Keep); otherwise it is answered at once. */
	bool (*recheck)(void *ctx, const struct vsi *vsi);
};

struct vdp_bridge_counters {
	uint64_t requests;	/* request TLVs received */
	uint64_t keepalives;	/* answered in ALIVE */
	uint64_t admitted;
	uint64_t refused;	/* error responses (incl. keep) */
	uint64_t station_deassoc;
	uint64_t timeouts;	/* toutKeepAlive expiries */
	uint64_t resource_timeouts; /* resourceWaitDelay expiries */
	uint64_t bridge_deassoc; /* unsolicited De-Associates sent */
	uint64_t ecpdu_tx;
	uint64_t tlv_tx;
	uint64_t tx_errors;	/* TLVs in ECPDUs ECP gave up on */
	uint64_t rx_bad;
	uint64_t rx_ignored;	/* response TLVs, org TLVs */
	uint64_t alloc_fail;
	uint64_t illegal_transitions; /* refused by vdp_bridge_enter(), or a run past
				       * step_cap; VSI de-associated */
};

struct vdp_bridge {
	const struct vdp_bridge_ops *ops;
	void *ctx;
	/* ops->transition, looked up once: one test per transition */
	void (*on_transition)(void *ctx, const struct vsi *vsi, uint8_t from, uint8_t to);
	struct vclock *clock;
	struct ecp *ecp;
	struct vsi_table tab;
	struct vsi_fifo pending;
	uint8_t r, rte, rwd, rka;
	size_t n_inflight;	/* TLVs in the ECPDU ECP is carrying */
	/* The request a VSI's machine is running on (valid during
	 * vdp_bridge_rx()) and the admit decision it applies. */
	struct {
		const uint8_t *mgrid;
		const struct vdp_assoc *a;
		struct vdp_filter *f;	/* a's filters, decoded */
		bool known;		/* De-Associate of an active VSI */
	} rx;
	struct {
		uint8_t status;
		const struct vdp_filter *f;
		uint16_t n;
	} adm;
	/* Steps one run of a VSI's machine may take (VDP_BRIDGE_STEP_CAP;
	 * the unit tests lower it to see a cap hit). */
	unsigned step_cap;
	struct vdp_bridge_counters cnt;
};

/* The longest legal run is 4 steps (a changed request while a Keep reply
 * waits, admitted at once: WAITCMD, PROCESS, SEND, WAITCMD). */
#define VDP_BRIDGE_STEP_CAP 16

int vdp_bridge_init(struct vdp_bridge *br, const struct vdp_bridge_ops *ops, void *ctx,
		    struct vclock *clock, struct ecp *ecp);
void vdp_bridge_destroy(struct vdp_bridge *br);
void vdp_bridge_set_params(struct vdp_bridge *br, uint8_t r, uint8_t rte, uint8_t rwd, uint8_t rka);
uint64_t vdp_bridge_keepalive_timeout_us(const struct vdp_bridge *br);
uint64_t vdp_bridge_resource_wait_us(const struct vdp_bridge *br);

void vdp_bridge_rx(struct vdp_bridge *br, const uint8_t *ulpdu, size_t len);
void vdp_bridge_tx_done(struct vdp_bridge *br, bool acked);
void vdp_bridge_kick(struct vdp_bridge *br);

/* Answer to a deferred admit (VDP_ADMIT_DEFER).  -ENOENT if the VSI is no
 * longer waiting (resourceWaitDelay expired, removed). */
int vdp_bridge_admit_done(struct vdp_bridge *br, struct vsi *vsi, uint8_t status,
			  const struct vdp_filter *filters, uint16_t n);
/* Bridge-initiated De-Associate (unsolicited, status 0); the VSI is removed
 * once the TLV is handed to ECP. */
int vdp_bridge_deassoc(struct vdp_bridge *br, struct vsi *vsi);
/* Forgets everything without sending and without events (bridge
 * restart): free what hangs off vsi->user first. */
void vdp_bridge_flush(struct vdp_bridge *br);

struct vsi *vdp_bridge_find(const struct vdp_bridge *br, uint8_t vsiid_fmt, const uint8_t vsiid[VDP_VSIID_LEN]);
struct vsi *vdp_bridge_find_mac(const struct vdp_bridge *br, const uint8_t mac[6], uint16_t vid);
static inline struct vsi *vdp_bridge_first(const struct vdp_bridge *br) { return vsi_table_first(&br->tab); }
static inline struct vsi *vdp_bridge_next(const struct vdp_bridge *br, const struct vsi *v) { return vsi_table_next(&br->tab, v); }
/* Resuming a walk after a VSIID (which need not be present); see vsi.h. */
static inline struct vsi *vdp_bridge_after(const struct vdp_bridge *br, uint8_t fmt,
					   const uint8_t id[VDP_VSIID_LEN])
{
	return vsi_table_after(&br->tab, fmt, id);
}
static inline size_t vdp_bridge_count(const struct vdp_bridge *br) { return br->tab.n; }

/* The only writer of vsi->state.  Checks from -> to against the
 * transition table (vdp_bridge.c, docs/engine.md); an illegal transition
 * is logged (VSIID, from, to), counted (cnt.illegal_transitions) and the
 * VSI is de-associated as on a toutKeepAlive expiry (unsolicited
 * De-Associate, then removed; event VDP_BR_EV_DEASSOC_SENT).  Returns
 * false then.  Exported for the unit tests. */
bool vdp_bridge_enter(struct vdp_bridge *br, struct vsi *vsi, enum vdp_bridge_state to);
bool vdp_bridge_transition_legal(uint8_t from, uint8_t to);

const char *vdp_bridge_state_name(uint8_t s);
const char *vdp_bridge_event_name(enum vdp_bridge_event ev);

#endif
