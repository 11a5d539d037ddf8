/* Inside the VDP bridge role: what the event handlers (vdp_bridge.c:
 * requests, admit answers, timer, ECP glue, packing) share with the
 * per-VSI state machine (vdp_bridge_sm.c, 802.1Qbg-2012 41.5.6).  Not for
 * other modules.
 *
 * A handler records what happened as an input of the VSI (vsi->sm_in.br,
 * struct vdp_bridge_in in vsi.h) and calls vdp_bridge_sm_run(), which
 * steps the machine until it is stable (the driver in sm.h). */
#ifndef VDP_VDP_BRIDGE_INT_H
#define VDP_VDP_BRIDGE_INT_H

#include "vdp/engine/vdp_bridge.h"

/* Steps v's machine until stable, at most br->step_cap steps (more is a
 * bug: logged, counted in illegal_transitions, the VSI de-associated),
 * then clears the inputs left.  Returns v (re-allocated for more
 * filters), or NULL once it is freed. */
struct vsi *vdp_bridge_sm_run(struct vdp_bridge *br, struct vsi *v);

/* A VSI record for the request a: v (resized if it has too few filter
 * entries: the new record, in INIT, keeps the confirmed mode and the
 * owner's data) or, v NULL, a new one.  NULL on ENOMEM. */
struct vsi *vdp_bridge_vsi_for(struct vdp_bridge *br, struct vsi *v, const struct vdp_assoc *a);
/* Frees a record already out of the table and the queue. */
void vdp_bridge_vsi_free(struct vdp_bridge *br, struct vsi *v);
/* Replaces v's filters, keeping the (MAC, VID) index right. */
void vdp_bridge_set_filters(struct vdp_bridge *br, struct vsi *v, uint8_t fmt,
			    const struct vdp_filter *f, uint16_t n);

static inline void vdp_bridge_emit(struct vdp_bridge *br, struct vsi *v, enum vdp_bridge_event ev)
{
	if (br->ops && br->ops->vsi_event)
		br->ops->vsi_event(br->ctx, v, ev);
}

/* Not on its way out (a De-Associate queued, or freed). */
static inline bool vdp_bridge_active(const struct vsi *v)
{
	return v->state != VDP_BR_DEASSOC && v->state != VDP_BR_DEASSOCIATED &&
		v->state != VDP_BR_END;
}

#endif
