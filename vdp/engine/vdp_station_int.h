/* Inside the VDP station role: what the event handlers (vdp_station.c:
 * requests, ECP glue, timer, link) share with the per-VSI state machine
 * (vdp_station_sm.c, 802.1Qbg-2012 41.5.5).  Not for other modules.
 *
 * A handler records what happened as an input of the VSI (vsi->sm_in.sta,
 * struct vdp_station_in in vsi.h) and calls vdp_station_sm_run(), which
 * steps the machine until it is stable (the driver in sm.h).
 * Every input is consumed by the step that acts on it; one that the
 * current state has no use for (a timer in a queued state) is dropped when
 * the machine is stable. */
#ifndef VDP_VDP_STATION_INT_H
#define VDP_VDP_STATION_INT_H

#include "vdp/engine/vdp_station.h"

/* Keep-alives on a lossy wire (vdp_station_ka.c). */
/* WAIT_SYSCMD entered: the bridge's toutKeepAlive for v runs (estimated). */
void vdp_station_ka_armed(struct vdp_station *st, struct vsi *v);
/* A ULPDU arrived: draws the keep-alive step of the VSIs it confirms. */
void vdp_station_ka_rx(struct vdp_station *st);
/* From now (a VSI just entered WAIT_SYSCMD) to its next keep-alive: at
 * most reinitKeepAlive, less by the step drawn. */
uint64_t vdp_station_ka_delay_us(const struct vdp_station *st);
/* A keep-alive of v was lost or not answered: true if another ECP
 * exchange still fits before the bridge's toutKeepAlive. */
bool vdp_station_ka_can_resend(const struct vdp_station *st, const struct vsi *v);
/* The response wait of v's keep-alive. */
uint64_t vdp_station_ka_wait_us(const struct vdp_station *st, const struct vsi *v);

/* Steps v's machine until stable (at most st->step_cap steps; more is a
 * bug: logged, counted in illegal_transitions, the VSI ended), clears the
 * inputs left, then reports the event the steps chose (ops->vsi_event,
 * which may free v).  Returns v's state before that report. */
uint8_t vdp_station_sm_run(struct vdp_station *st, struct vsi *v);
/* Removes v from the ECPDU in flight (st->inflight[]) and from those
 * being finished (st->done). */
void vdp_station_inflight_drop(struct vdp_station *st, struct vsi *v);
/* The same for a VSI record re-allocated (nv) or freed (NULL). */
void vdp_station_inflight_replace(struct vdp_station *st, struct vsi *v, struct vsi *nv);

#endif
