/* ECPDU header codec (IEEE 802.1Qbg-2012 clause 43.3). */
#include "vdp/wire/ecpdu.h"

int ecp_encode_hdr(struct wbuf *w, const struct ecp_hdr *h)
{
	size_t saved = w->len;

	if (w->err)
		return CODEC_E_NO_SPACE;
	/* Field widths only: tests build frames with a wrong version or a
	 * reserved operation on purpose. */
	if (h->version > 0x0F || h->op > 3 || h->subtype > 0x03FF)
		return CODEC_E_INVALID;
	if (!wbuf_fits(w, ECP_HDR_LEN))
		return CODEC_E_NO_SPACE;
	wbuf_be16(w, (uint16_t)(h->version << 12 | h->op << 10 | h->subtype));
	wbuf_be16(w, h->seq);
	if (w->err)
		return wbuf_fail(w, saved, CODEC_E_NO_SPACE);
	return CODEC_OK;
}

int ecp_decode(const uint8_t *buf, size_t len, struct ecp_hdr *h,
	       const uint8_t **ulpdu, size_t *ulpdu_len)
{
	struct cursor c;
	uint16_t w;

	*ulpdu = NULL;
	*ulpdu_len = 0;
	cur_init(&c, buf, len);
	w = cur_be16(&c);
	h->seq = cur_be16(&c);
	if (c.err)
		return CODEC_E_SHORT;
	h->version = w >> 12;
	h->op = (w >> 10) & 0x03;
	h->subtype = w & 0x03FF;
	/* 43.3: a receiver drops (and does not acknowledge) ECPDUs of another
	 * version or for an upper layer protocol it does not carry. */
	if (h->version != ECP_VERSION)
		return CODEC_E_BAD_VERSION;
	if (h->op != ECP_OP_REQUEST && h->op != ECP_OP_ACK)
		return CODEC_E_BAD_OP;
	if (h->subtype != ECP_SUBTYPE_VDP && h->subtype != ECP_SUBTYPE_PECSP)
		return CODEC_E_UNKNOWN_SUBTYPE;
	/* An ack carries no ULPDU; what follows is frame padding. */
	if (h->op == ECP_OP_REQUEST) {
		*ulpdu = c.p;
		*ulpdu_len = c.left;
	}
	return CODEC_OK;
}
