/* VDP station role per uplink (IEEE 802.1Qbg-2012 clause 41, station state
 * machine 41.5.5), free of I/O.  Requests come from the daemon (netlink,
 * control socket, registry); VSI TLVs go out through an ECP instance and
 * bridge responses come back through vdp_station_rx().
 *
 * One state machine per VSI (vdp_station_sm.c), hostapd-style: the calls
 * below are event handlers (vdp_station.c) that record what happened as
 * the VSI's inputs (localChange, a response, a timer expiry, ...) and step
 * its machine until it is stable: global conditions first (BEGIN, link
 * down, re-send after link up, a bridge De-Associate), then a switch on
 * the current state; one entry function per state.  Each step is at most
 * one checked transition (vdp_station_enter()); the events for the
 * requester (ops->vsi_event) are reported once the machine is stable.
 *
 * The daemon wires ECP to the station:
 *	ecp ops->deliver(subtype VDP) -> vdp_station_rx(st, ulpdu, len)
 *	ecp ops->tx_done(acked)       -> vdp_station_tx_done(st, acked)
 *
 * Packing: VSIs that need a transmission (new request, keep-alive, re-send
 * after link up) wait in a FIFO; whenever ECP is idle the station packs as
 * many of them (same manager ID) as fit one ECPDU.
 *
 * Timers, one vtimer per VSI (41.5.5):
 *   response wait  = 1.5 x (10us x 2^RWD + (2R+1) x 10us x 2^RTE), capped by
 *                    resp_wait_max_us (default 8 s): the uncapped default,
 *                    15.76 s, exceeds the 10 s libvirt waits for a result;
 *                    started when the TLV is handed to ECP;
 *   reinitKeepAlive = 10us x 2^RKA after the last confirmed response, then
 *                    the current request is sent again (keep-alive);
 *                    sooner by one of 16 steps of ka_spread_pct / 16 %
 *                    (default 25), drawn per received ULPDU for the VSIs
 *                    it confirms, so VSIs associated together do not stay
 *                    one wave (vdp_station_ka.c); never later.
 *
 * Differences from lldpad, on purpose: a VSI that ended (timeout, error,
 * bridge de-associate) can be requested again; a request for a VSI whose
 * previous request is still in flight is accepted and sent after that
 * response (not -EBUSY); ECP transmission is paced by acks. */
#ifndef VDP_VDP_STATION_H
#define VDP_VDP_STATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdp/engine/ecp.h"
#include "vdp/engine/vsi.h"

enum vdp_station_state {
	VDP_ST_INIT,
	VDP_ST_STATION_PROC,		/* queued for transmission */
	VDP_ST_STATION_PROCWAIT,	/* sent, response-wait timer running */
	VDP_ST_PREASSOC_NEW,		/* transient: pre-association confirmed */
	VDP_ST_ASSOC_NEW,		/* transient: association confirmed */
	VDP_ST_ASSOC_COMPL,		/* transient */
	VDP_ST_WAIT_SYSCMD,		/* confirmed; reinitKeepAlive running */
	VDP_ST_TXMIT_KA,		/* keep-alive queued */
	VDP_ST_TXMIT_KAWAIT,		/* keep-alive sent, response awaited */
	VDP_ST_TXMIT_DEASSOC,		/* De-Associate queued */
	VDP_ST_TXMIT_DEAWAIT,		/* De-Associate sent, response awaited */
	VDP_ST_END,			/* no association; see vsi->reason */
};

/* vsi->reason once in VDP_ST_END (and for VDP_EV_FAILED). */
enum vdp_end_reason {
	VDP_END_NONE = 0,
	VDP_END_DEASSOCIATED,		/* our De-Associate confirmed */
	VDP_END_TIMEOUT,		/* no response within the response wait */
	VDP_END_TX_ERROR,		/* ECP gave up (no ack after 1+R sends) */
	VDP_END_REJECTED,		/* error response without keep; vsi->status */
	VDP_END_BRIDGE_DEASSOC,		/* unsolicited De-Associate from the bridge */
	VDP_END_TOO_BIG,		/* TLV does not fit an ECPDU */
	VDP_END_INTERNAL,		/* illegal state transition (a bug): reset */
};

enum vdp_event {
	VDP_EV_PREASSOCIATED,		/* confirmed pre-association (with or without RR) */
	VDP_EV_ASSOCIATED,		/* confirmed association */
	VDP_EV_DEASSOCIATED,		/* our De-Associate confirmed (VSI in END) */
	VDP_EV_FAILED,			/* ended: vsi->reason, vsi->status */
	VDP_EV_BRIDGE_DEASSOC,		/* ended by the bridge */
	VDP_EV_KEPT,			/* request refused with keep: previous state kept
					 * (vsi->mode_cur), vsi->status holds the error */
	VDP_EV_KEEPALIVE_OK,		/* keep-alive confirmed */
	VDP_EV_VID_ASSIGNED,		/* the bridge filled in a VID 0 (filters updated) */
};

struct vdp_request {
	uint8_t mode;			/* VDP_MODE_PREASSOC..DEASSOC */
	uint8_t mgrid[VDP_MGRID_LEN];
	uint32_t type_id;
	uint8_t type_version;
	uint8_t vsiid_fmt;
	uint8_t vsiid[VDP_VSIID_LEN];
	uint8_t filter_fmt;
	uint16_t n_filters;
	const struct vdp_filter *filters;
	uint8_t hints;			/* VDP_STATUS_MBIT / VDP_STATUS_SBIT */
};

struct vdp_station_ops {
	/* Every transition worth telling a requester about. */
	void (*vsi_event)(void *ctx, struct vsi *v, enum vdp_event ev);
	/* Optional: every state change (from, to: enum vdp_station_state),
	 * after it took effect; for tracing and the transition-table tests.
	 * Must not call back into the station. */
	void (*transition)(void *ctx, const struct vsi *v, uint8_t from, uint8_t to);
};

struct vdp_station_counters {
	uint64_t requests;		/* accepted local requests */
	uint64_t requests_refused; /* refused here (EINVAL / ENOENT / ...) or by the
					 * bridge (an error response, Keep or not) */
	uint64_t ecpdu_tx;		/* ULPDUs handed to ECP */
	uint64_t tlv_tx;		/* association TLVs sent (incl. keep-alives) */
	uint64_t ka_tx;			/* keep-alive TLVs sent */
	uint64_t responses;		/* responses matched to a waiting VSI */
	uint64_t resp_unknown;		/* responses for VSIs we do not know */
	uint64_t resp_stale;		/* responses for VSIs not awaiting one */
	uint64_t resp_mismatch;		/* response keys differ from the request */
	uint64_t timeouts;		/* response-wait expiries */
	uint64_t tx_errors;		/* TLVs lost to ECP errors */
	uint64_t bridge_deassoc;	/* unsolicited De-Associates */
	uint64_t bridge_deassoc_stale;	/* ... crossing our re-request after a
					 * link up / new peer: ignored */
	uint64_t rx_bad;		/* undecodable ULPDUs */
	uint64_t rx_ignored;		/* request TLVs other than De-Associate, org TLVs */
	uint64_t illegal_transitions;	/* refused by vdp_station_enter(), or a run
					 * past step_cap: VSI ended */
	uint64_t ka_resent; /* keep-alives sent again at once after a loss
					 * (ECP gave up, or no answer) */
};

struct vdp_ecpdu_done {
	struct vsi **vsis;
	size_t n;
	struct vdp_ecpdu_done *outer;
};

struct vdp_station {
	const struct vdp_station_ops *ops;
	void *ctx;
	/* ops->transition, looked up once: one test per transition */
	void (*on_transition)(void *ctx, const struct vsi *v, uint8_t from, uint8_t to);
	struct vclock *clock;
	struct ecp *ecp;
	struct vsi_table tab;
	struct vsi_fifo pending;
	/* vdp_station_kick() after the timers due now (VSI timer expiries) */
	struct vtimer *kick_timer;
	bool paused;
	uint8_t r, rte, rwd, rka;	/* operative EVB values */
	uint64_t resp_wait_max_us;	/* cap of the response wait (default 8 s) */
	uint8_t ka_spread_pct; /* keep-alive spread, % of reinitKeepAlive (0: off) */
	uint8_t ka_class; /* keep-alive step of the ULPDU being received */
	uint64_t ka_rx; /* ULPDUs received: draws ka_class */
	/* VSIs packed into the ECPDU ECP is carrying (response wait starts
	 * at hand-over; an ECP error ends them). */
	size_t n_inflight;
	struct vsi *inflight[128];
	/* The VSIs of ECPDUs vdp_station_tx_done() is finishing (innermost
	 * first): inflight[] already serves the next ECPDU, and a requester
	 * may forget one of them from its event callback meanwhile. */
	struct vdp_ecpdu_done *done;
	/* The response being evaluated (VSI_IN_RX_RESP), valid while
	 * vdp_station_rx() runs that VSI's machine. */
	const struct vdp_assoc *rx_tlv;
	const uint8_t *rx_mgrid;
	/* Steps one run of a VSI's machine may take (VDP_STATION_STEP_CAP;
	 * the unit tests lower it to see a cap hit). */
	unsigned step_cap;
	int8_t gid; /* group IDs in use (EVB): -1 not known yet */
	struct vdp_station_counters cnt;
};

/* The longest legal run is 4 steps (a response confirming an association
 * while a newer request waits: ASSOC_NEW, ASSOC_COMPL, WAIT_SYSCMD,
 * STATION_PROC); test_step_cap checks that 4 suffice. */
#define VDP_STATION_STEP_CAP 16

#define VDP_RESP_WAIT_MAX_US 8000000ULL
/* Keep-alives go up to this % of reinitKeepAlive sooner, in VDP_KA_CLASSES
 * steps, one drawn per answer (vdp_station_ka.c says why, and why 25). */
#define VDP_KA_SPREAD_PCT 25
#define VDP_KA_SPREAD_MAX 50
#define VDP_KA_CLASSES 16
/* 802.1Qbg defaults until EVB says otherwise. */
#define VDP_DEFAULT_RWD 20
#define VDP_DEFAULT_RKA 20

int vdp_station_init(struct vdp_station *st, const struct vdp_station_ops *ops, void *ctx,
		     struct vclock *clock, struct ecp *ecp);
/* Frees every VSI and timer (nothing is sent). */
void vdp_station_destroy(struct vdp_station *st);
/* Operative R/RTE/RWD/RKA from EVB; used for timers started afterwards. */
void vdp_station_set_params(struct vdp_station *st, uint8_t r, uint8_t rte, uint8_t rwd, uint8_t rka);
/* 0 = no cap. */
void vdp_station_set_resp_wait_max(struct vdp_station *st, uint64_t us);
uint64_t vdp_station_resp_wait_us(const struct vdp_station *st);
/* Keep-alive spread in % of reinitKeepAlive, 0 (off: every keep-alive
 * exactly reinitKeepAlive after its answer) to VDP_KA_SPREAD_MAX; used for
 * keep-alives armed afterwards. */
void vdp_station_set_ka_spread(struct vdp_station *st, unsigned pct);
uint64_t vdp_station_keepalive_us(const struct vdp_station *st);
/* The bridge's toutKeepAlive, 1.5 x (10us x 2^RKA + (2R+1) x 10us x 2^RTE),
 * and one ECP exchange with all retransmissions, (R+1) x ackTimer. */
uint64_t vdp_station_tout_ka_us(const struct vdp_station *st);
uint64_t vdp_station_ecp_budget_us(const struct vdp_station *st);

/* Why the station refuses req without sending anything (NULL: it does
 * not): VID 0 mixed with other VIDs; a group-ID format while group IDs
 * are not in use.  vdp_station_request() then returns -EINVAL or
 * -EOPNOTSUPP. */
const char *vdp_station_request_check(const struct vdp_station *st, const struct vdp_request *req);
/* Whether EVB negotiated group IDs (BGID && SGID); the uplink tells. */
static inline void vdp_station_set_gid(struct vdp_station *st, bool gid)
{
	st->gid = gid;
}

/* A VSI's address may change when a request brings more filters than it
 * had room for (vsi->user is kept): keep VSIIDs, not pointers, across
 * this call.
 * 0, or -EINVAL (bad mode/format/filters, or a mode change 41.5.5 does not
 * allow: assoc -> pre-assoc), -ENOENT (De-Associate of an unknown or ended
 * VSI), -ENOMEM, -EIO (internal error: an illegal state transition, the
 * VSI ended with VDP_END_INTERNAL).  The outcome arrives later through
 * ops->vsi_event. */
int vdp_station_request(struct vdp_station *st, const struct vdp_request *req);
/* ECP glue. */
void vdp_station_rx(struct vdp_station *st, const uint8_t *ulpdu, size_t len);
void vdp_station_tx_done(struct vdp_station *st, bool acked);
/* Tries to send now (ECP idle, work pending); called by the above. */
void vdp_station_kick(struct vdp_station *st);

/* Link down: stop all timers and transmissions, keep every VSI's desired
 * state.  Requests are still accepted and wait for reassociate_all. */
void vdp_station_pause(struct vdp_station *st);
/* Link up / new peer / bridge restart: re-send the current request of every
 * VSI that has not ended (unpauses). */
void vdp_station_reassociate_all(struct vdp_station *st);

struct vsi *vdp_station_find(const struct vdp_station *st, uint8_t vsiid_fmt, const uint8_t vsiid[VDP_VSIID_LEN]);
struct vsi *vdp_station_find_mac(const struct vdp_station *st, const uint8_t mac[6], uint16_t vid);
static inline struct vsi *vdp_station_first(const struct vdp_station *st) { return vsi_table_first(&st->tab); }
static inline struct vsi *vdp_station_next(const struct vdp_station *st, const struct vsi *v) { return vsi_table_next(&st->tab, v); }
/* Resuming a walk after a VSIID (which need not be present); see vsi.h. */
static inline struct vsi *vdp_station_after(const struct vdp_station *st, uint8_t fmt,
					    const uint8_t id[VDP_VSIID_LEN])
{
	return vsi_table_after(&st->tab, fmt, id);
}
static inline int vdp_station_cmp(const struct vdp_station *st, const struct vsi *v, uint8_t fmt,
				  const uint8_t id[VDP_VSIID_LEN])
{
	return vsi_table_cmp(&st->tab, v, fmt, id);
}
static inline size_t vdp_station_count(const struct vdp_station *st) { return st->tab.n; }
/* Removes a VSI now (normally one in END, after its status was reported). */
void vdp_station_forget(struct vdp_station *st, struct vsi *v);

/* The only writer of vsi->state.  Checks from -> to against the
 * transition table (vdp_station_sm.c, docs/engine.md); an illegal transition
 * is logged (VSIID, from, to), counted (cnt.illegal_transitions) and the
 * VSI is reset to END with VDP_END_INTERNAL, reported as VDP_EV_FAILED.
 * Returns false then.  Exported for the unit tests; the daemon drives the
 * machine only through the calls above. */
bool vdp_station_enter(struct vdp_station *st, struct vsi *v, enum vdp_station_state to);
bool vdp_station_transition_legal(uint8_t from, uint8_t to);

const char *vdp_station_state_name(uint8_t s);
const char *vdp_end_reason_name(uint8_t r);
const char *vdp_event_name(enum vdp_event ev);

#endif
