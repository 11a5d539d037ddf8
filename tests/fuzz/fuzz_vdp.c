/* libFuzzer target: VDP ULPDU decoder.  A decoded PDU must re-encode with
 * our encoders, decode to the same TLVs, and re-encode to the same octets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/wire/vdp_tlv.h"

#define CAP 128

static struct vdp_tlv t1[CAP], t2[CAP];
static struct vdp_filter f[256];
static uint8_t out[CAP * 520], out2[CAP * 520];

static void encode(const struct vdp_pdu *p, struct wbuf *w)
{
	if (vdp_encode_mgrid(w, p->mgrid) != CODEC_OK)
		abort();
	for (size_t i = 0; i < p->n_tlvs; i++) {
		const struct vdp_tlv *t = &p->tlvs[i];

		if (t->type == VDP_TLV_ORG) {
			if (vdp_encode_org(w, &t->org) != CODEC_OK)
				abort();
			continue;
		}
		if (t->assoc.n_filters > 256)
			abort();	/* a 511-octet TLV holds at most 243 */
		for (uint16_t j = 0; j < t->assoc.n_filters; j++)
			vdp_filter_get(&t->assoc, j, &f[j]);
		if (vdp_encode_assoc(w, &t->assoc, f, t->assoc.n_filters) != CODEC_OK)
			abort();
	}
}

static int same_tlv(const struct vdp_tlv *x, const struct vdp_tlv *y)
{
	if (x->type != y->type)
		return 0;
	if (x->type == VDP_TLV_ORG)
		return memcmp(x->org.oui, y->org.oui, 3) == 0 && x->org.len == y->org.len &&
		       memcmp(x->org.data, y->org.data, x->org.len) == 0;
	const struct vdp_assoc *a = &x->assoc, *b = &y->assoc;
	return a->type == b->type && a->status == b->status && a->type_id == b->type_id &&
	       a->type_version == b->type_version && a->vsiid_fmt == b->vsiid_fmt &&
	       memcmp(a->vsiid, b->vsiid, VDP_VSIID_LEN) == 0 && a->filter_fmt == b->filter_fmt &&
	       a->n_filters == b->n_filters &&
	       memcmp(a->entries, b->entries,
		      (size_t)a->n_filters * vdp_filter_entry_size(a->filter_fmt)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vdp_pdu p = { .tlvs = t1, .cap = CAP }, q = { .tlvs = t2, .cap = CAP };
	struct wbuf w, w2;

	if (vdp_decode(data, size, &p) != CODEC_OK)
		return 0;
	if (p.n_tlvs == 0 || p.n_tlvs > CAP)
		abort();
	wbuf_init(&w, out, sizeof(out));
	encode(&p, &w);
	if (vdp_decode(out, w.len, &q) != CODEC_OK || q.n_tlvs != p.n_tlvs ||
	    memcmp(p.mgrid, q.mgrid, VDP_MGRID_LEN) != 0)
		abort();
	for (size_t i = 0; i < p.n_tlvs; i++)
		if (!same_tlv(&p.tlvs[i], &q.tlvs[i]))
			abort();
	wbuf_init(&w2, out2, sizeof(out2));
	encode(&q, &w2);
	if (w2.len != w.len || memcmp(out, out2, w.len) != 0)
		abort();
	return 0;
}
