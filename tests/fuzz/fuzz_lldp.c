/* libFuzzer target: LLDPDU decoder.  A decoded PDU must re-encode, and the
 * re-encoded PDU must decode to the same fields (unknown TLVs aside). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lldp/lldp.h"

static struct lldpdu a, b;
static uint8_t out[4096], out2[4096];

static int same(const struct lldpdu *x, const struct lldpdu *y)
{
	if (x->chassis_subtype != y->chassis_subtype || x->chassis_len != y->chassis_len ||
	    memcmp(x->chassis_id, y->chassis_id, x->chassis_len) != 0 ||
	    x->port_subtype != y->port_subtype || x->port_len != y->port_len ||
	    memcmp(x->port_id, y->port_id, x->port_len) != 0 || x->ttl != y->ttl ||
	    x->has_evb != y->has_evb || x->has_cdcp != y->has_cdcp)
		return 0;
	if (x->has_evb && memcmp(&x->evb, &y->evb, sizeof(x->evb)) != 0)
		return 0;
	if (x->has_cdcp) {
		if (x->cdcp.role != y->cdcp.role || x->cdcp.scomp != y->cdcp.scomp ||
		    x->cdcp.chncap != y->cdcp.chncap || x->cdcp.n_channels != y->cdcp.n_channels)
			return 0;
		for (uint16_t i = 0; i < x->cdcp.n_channels; i++)
			if (x->cdcp.ch[i].scid != y->cdcp.ch[i].scid ||
			    x->cdcp.ch[i].svid != y->cdcp.ch[i].svid)
				return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wbuf w, w2;

	if (lldp_decode(data, size, &a) != CODEC_OK)
		return 0;
	wbuf_init(&w, out, sizeof(out));
	if (lldp_encode(&w, &a) != CODEC_OK)
		abort();
	if (lldp_decode(out, w.len, &b) != CODEC_OK || b.n_unknown != 0 || !same(&a, &b))
		abort();
	wbuf_init(&w2, out2, sizeof(out2));
	if (lldp_encode(&w2, &b) != CODEC_OK || w2.len != w.len || memcmp(out, out2, w.len) != 0)
		abort();
	return 0;
}
