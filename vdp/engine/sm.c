/* The cold half of the state-machine driver (sm.h): fault texts. */
#include <stdio.h>

#include "vdp/base/log.h"
#include "vdp/engine/sm.h"
#include "vdp/engine/vsi.h"
#include "vdp/wire/vdp_text.h"

void __attribute__((cold))
sm_fault_illegal(const struct sm_desc *d, uint8_t from, uint8_t to, char *buf, size_t len)
{
	snprintf(buf, len, "illegal %s transition %s -> %s", d->name,
		 d->state_name(from), d->state_name(to));
}

void __attribute__((cold))
sm_fault_cap(const struct sm_desc *d, unsigned n, uint8_t state, char *buf, size_t len)
{
	snprintf(buf, len, "%s machine not stable after %u steps, in %s", d->name, n,
		 d->state_name(state));
}

void __attribute__((cold))
sm_vsi_fault(const struct sm_desc *d, const struct vsi *v, const char *what, const char *outcome)
{
	char id[VDP_TXT_VSIID_LEN];

	vdp_txt_vsiid_format(v->vsiid_fmt, v->vsiid, id);
	log_err("vdp", "VSI %s: %s (%s), %s", id, what, d->clause, outcome);
}
