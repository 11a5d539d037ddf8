#include "vdp/base/eth.h"
#include "vdp/base/codec.h"

const uint8_t eth_nearest_bridge[6] = { 0x01, 0x80, 0xC2, 0x00, 0x00, 0x0E };
const uint8_t eth_nearest_customer_bridge[6] = { 0x01, 0x80, 0xC2, 0x00, 0x00, 0x00 };
const uint8_t eth_nearest_nontpmr_bridge[6] = { 0x01, 0x80, 0xC2, 0x00, 0x00, 0x03 };

void eth_encode(struct wbuf *w, const uint8_t dst[6], const uint8_t src[6], uint16_t ethertype)
{
	wbuf_bytes(w, dst, 6);
	wbuf_bytes(w, src, 6);
	wbuf_be16(w, ethertype);
}

void eth_pad(struct wbuf *w)
{
	if (w->len < ETH_MIN_FRAME)
		wbuf_zero(w, ETH_MIN_FRAME - w->len);
}

int eth_decode(const uint8_t *frame, size_t len, struct eth_hdr *h,
	       const uint8_t **payload, size_t *payload_len)
{
	struct cursor c;

	cur_init(&c, frame, len);
	cur_bytes(&c, h->dst, 6);
	cur_bytes(&c, h->src, 6);
	h->ethertype = cur_be16(&c);
	if (c.err)
		return CODEC_E_SHORT;
	*payload = c.p;
	*payload_len = c.left;
	return CODEC_OK;
}
