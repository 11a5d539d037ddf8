#include <stdlib.h>
#include <string.h>

#include "tests/unit/engine_frames.h"
#include "vdp/base/eth.h"

void tf_capture_add(struct tf_capture *c, const uint8_t *frame, size_t len, uint64_t now)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->f = realloc(c->f, c->cap * sizeof(*c->f));
		if (!c->f)
			abort();
	}
	if (len > ECP_FRAME_MAX)
		len = ECP_FRAME_MAX;
	memcpy(c->f[c->n].buf, frame, len);
	c->f[c->n].len = len;
	c->f[c->n].time = now;
	c->n++;
}

void tf_capture_free(struct tf_capture *c)
{
	free(c->f);
	memset(c, 0, sizeof(*c));
}

int tf_decode(const uint8_t *frame, size_t len, struct tf_ecp *out)
{
	struct eth_hdr eh;
	const uint8_t *pl;
	size_t pl_len;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = eth_decode(frame, len, &eh, &pl, &pl_len)) != CODEC_OK)
		return rc;
	if (eh.ethertype != ETHERTYPE_ECP)
		return CODEC_E_BAD_ETHERTYPE;
	if ((rc = ecp_decode(pl, pl_len, &out->h, &out->ulpdu, &out->ulpdu_len)) != CODEC_OK)
		return rc;
	if (out->h.op != ECP_OP_REQUEST || out->h.subtype != ECP_SUBTYPE_VDP)
		return 0;
	out->pdu.tlvs = out->tlvs;
	out->pdu.cap = TF_MAX_TLVS;
	if ((rc = vdp_decode(out->ulpdu, out->ulpdu_len, &out->pdu)) != CODEC_OK)
		return rc;
	out->has_vdp = true;
	return 0;
}

size_t tf_build_vdp(uint8_t *buf, const uint8_t src[6], uint16_t seq, const uint8_t mgrid[16],
		    const struct tf_tlv *t, size_t n)
{
	struct ecp_hdr h = { ECP_VERSION, ECP_OP_REQUEST, ECP_SUBTYPE_VDP, seq };
	struct wbuf w;

	wbuf_init(&w, buf, ECP_FRAME_MAX);
	eth_encode(&w, eth_nearest_customer_bridge, src, ETHERTYPE_ECP);
	ecp_encode_hdr(&w, &h);
	vdp_encode_mgrid(&w, mgrid);
	for (size_t i = 0; i < n; i++) {
		struct vdp_assoc a = {
			.type = t[i].type, .status = t[i].status, .type_id = t[i].type_id,
			.type_version = t[i].type_version, .vsiid_fmt = t[i].vsiid_fmt,
			.filter_fmt = t[i].filter_fmt, .n_filters = t[i].n,
		};
		memcpy(a.vsiid, t[i].vsiid, 16);
		if (vdp_encode_assoc(&w, &a, t[i].f, t[i].n) != CODEC_OK)
			abort();
	}
	eth_pad(&w);
	if (w.err)
		abort();
	return w.len;
}

size_t tf_build_ack(uint8_t *buf, const uint8_t src[6], uint16_t seq)
{
	struct ecp_hdr h = { ECP_VERSION, ECP_OP_ACK, ECP_SUBTYPE_VDP, seq };
	struct wbuf w;

	wbuf_init(&w, buf, ETH_MIN_FRAME);
	eth_encode(&w, eth_nearest_customer_bridge, src, ETHERTYPE_ECP);
	ecp_encode_hdr(&w, &h);
	eth_pad(&w);
	return w.len;
}

void tf_vsiid(uint32_t i, uint8_t out[16])
{
	memset(out, 0, 16);
	out[0] = 0x11;
	out[6] = 0x40;	/* version 4 */
	out[8] = 0x80;
	out[12] = (uint8_t)(i >> 24);
	out[13] = (uint8_t)(i >> 16);
	out[14] = (uint8_t)(i >> 8);
	out[15] = (uint8_t)i;
}

void tf_mac(uint32_t i, uint8_t out[6])
{
	out[0] = 0x52;
	out[1] = 0x54;
	out[2] = (uint8_t)(i >> 24);
	out[3] = (uint8_t)(i >> 16);
	out[4] = (uint8_t)(i >> 8);
	out[5] = (uint8_t)i;
}
