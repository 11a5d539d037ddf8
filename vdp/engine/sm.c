/* The cold half of the state-machine driver (sm.h, sm_vsi.h): faults. */
#include <stdio.h>

#include "vdp/base/log.h"
#include "vdp/engine/sm.h"
#include "vdp/engine/sm_vsi.h"
#include "vdp/wire/vdp_text.h"

void __attribute__((cold))
sm_fault_illegal(const struct sm_desc *d, uint8_t from, uint8_t to, char *buf, size_t len)
{
	snprintf(buf, len, "illegal %s transition %s -> %s", d->name, d->state_name(from),
		 d->state_name(to));
}

void __attribute__((cold))
sm_fault_cap(const struct sm_desc *d, unsigned n, uint8_t state, char *buf, size_t len)
{
	snprintf(buf, len, "%s machine not stable after %u steps, in %s", d->name, n,
		 d->state_name(state));
}

void __attribute__((noinline, cold))
sm_vsi_fault(const struct sm_vsi *k, void *m, struct vsi *v, uint8_t from, const char *what,
	     struct sm_vsi_hook h)
{
	char id[VDP_TXT_VSIID_LEN];

	vdp_txt_vsiid_format(v->vsiid_fmt, v->vsiid, id);
	log_err("vdp", "VSI %s: %s (%s), %s", id, what, k->desc->clause, k->outcome);
	v->state = k->safe;
	if (h.fn)
		h.fn(h.ctx, v, from, v->state);
	k->reset(m, v);
}

void __attribute__((noinline, cold)) sm_vsi_illegal(const struct sm_vsi *k, void *m, struct vsi *v,
						    uint8_t from, unsigned to, struct sm_vsi_hook h)
{
	char what[SM_FAULT_LEN];

	sm_fault_illegal(k->desc, from, (uint8_t)to, what, sizeof(what));
	sm_vsi_fault(k, m, v, from, what, h);
}

void __attribute__((noinline, cold))
sm_vsi_cap(const struct sm_vsi *k, void *m, struct vsi *v, unsigned n, struct sm_vsi_hook h)
{
	char what[SM_FAULT_LEN];

	sm_fault_cap(k->desc, n, v->state, what, sizeof(what));
	sm_vsi_fault(k, m, v, v->state, what, h);
}
