/* The driver of sm.h specialised for the two machines that run once per
 * VSI on a struct vsi (the VDP station, 41.5.5, and the VDP bridge,
 * 41.5.6): the state is vsi->state, the inputs vsi->sm_in, a transition is
 * reported to an optional hook with the same signature in both roles, and
 * a fault (an illegal transition, a run past the step cap) is logged with
 * the VSIID and puts the VSI in the role's safe state (END for the
 * station, DEASSOCIATED for the bridge), whose entry actions the role's
 * reset does.  A step may re-allocate or free the
 * record (the bridge does), so steps take a struct vsi **. */
#ifndef VDP_ENGINE_SM_VSI_H
#define VDP_ENGINE_SM_VSI_H

#include "vdp/engine/sm.h"
#include "vdp/engine/vsi.h"

/* ops->transition of either role: after the change took effect. */
typedef void sm_vsi_hook_fn(void *ctx, const struct vsi *v, uint8_t from, uint8_t to);
/* The role's part of a fault, v already in the safe state: count it, the
 * safe state's entry actions.  m is the role (station, bridge). */
typedef void sm_vsi_reset_fn(void *m, struct vsi *v);
/* The role's step: true if it consumed an input or changed the state;
 * may replace *vp (re-allocated) or free it (*vp = NULL, false). */
typedef bool sm_vsi_step_fn(void *m, struct vsi **vp);

/* What the enter and run below need of a role, constant per role. */
struct sm_vsi {
	const struct sm_desc *desc;
	uint8_t safe; /* the state a fault puts a VSI in */
	const char *outcome; /* its words in the log line */
	sm_vsi_reset_fn *reset;
};

/* The instance of a role: where its transitions are reported. */
struct sm_vsi_hook {
	sm_vsi_hook_fn *fn; /* NULL: none */
	void *ctx;
};

void sm_vsi_illegal(const struct sm_vsi *k, void *m, struct vsi *v, uint8_t from, unsigned to,
		    struct sm_vsi_hook h);
void sm_vsi_cap(const struct sm_vsi *k, void *m, struct vsi *v, unsigned n, struct sm_vsi_hook h);

/* The checked transition (SM_ENTER without the entry actions): false if
 * the table forbids it, v reset instead.  Inlined where to is a
 * constant: one load and a bit test. */
static inline __attribute__((always_inline)) bool sm_vsi_enter(const struct sm_vsi *k, void *m,
							       struct vsi *v, unsigned to,
							       struct sm_vsi_hook h)
{
	uint8_t from = v->state;

	if (__builtin_expect(!sm_allows(k->desc, from, to), 0)) {
		sm_vsi_illegal(k, m, v, from, to, h);
		return false;
	}
	v->state = (uint8_t)to;
	if (__builtin_expect(h.fn != NULL, 0))
		h.fn(h.ctx, v, from, v->state);
	return true;
}

/* The same for a target given by a caller (range-checked). */
static inline bool sm_vsi_enter_any(const struct sm_vsi *k, void *m, struct vsi *v, unsigned to,
				    struct sm_vsi_hook h)
{
	if (to >= k->desc->n_states) {
		sm_vsi_illegal(k, m, v, v->state, to, h);
		return false;
	}
	return sm_vsi_enter(k, m, v, to, h);
}

/* Steps v's machine until stable, at most cap steps (more is a fault),
 * then clears the inputs the states had no use for.  Returns v, its
 * replacement, or NULL once the machine freed it.  The loop is sm_run()'s,
 * spelled out here so that step, a constant at each call site, is called
 * directly and inlined: through sm_run()'s context pointer it stayed an
 * indirect call (bench_engine: 3.3 % more instructions). */
static inline __attribute__((always_inline)) struct vsi *sm_vsi_run(const struct sm_vsi *k,
								    unsigned cap,
								    sm_vsi_step_fn *step, void *m,
								    struct vsi *v,
								    struct sm_vsi_hook h)
{
	for (unsigned n = 1; step(m, &v) && !sm_settled(k->desc, v->state, v->sm_in.any != 0);
	     n++) {
		if (__builtin_expect(n >= cap, 0)) {
			sm_vsi_cap(k, m, v, n, h);
			break;
		}
	}
	if (v)
		v->sm_in.any = 0;
	return v;
}

/* A fault: logged ("VSI <id>: <what> (<clause>), <outcome>", error
 * level), v put in the safe state (reported to the hook), then the
 * role's reset. */
void sm_vsi_fault(const struct sm_vsi *k, void *m, struct vsi *v, uint8_t from, const char *what,
		  struct sm_vsi_hook h);

#endif
