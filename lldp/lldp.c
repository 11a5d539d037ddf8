/* LLDPDU codec (IEEE 802.1AB clause 8) with the IEEE 802.1 EVB TLV
 * (802.1Q D.2.12, subtype 0x0D) and the CDCP TLV (802.1Q D.2.13, 0x0E).
 *
 * The decoder checks the mandatory prefix (Chassis ID, Port ID, TTL, in
 * that order, 802.1AB 8.2), refuses a repeated mandatory, EVB or CDCP TLV,
 * and skips every other TLV.  It never reads outside [buf, buf+len). */
#include <string.h>

#include "lldp/lldp.h"

#define TLV_HDR(type, len) ((uint16_t)(((type) << 9) | ((len) & 0x1FF)))
#define TLV_MAX_INFO 511

#define EVB_INFO_LEN 9		/* OUI + subtype + 5 octets */
#define CDCP_INFO_FIXED 8	/* OUI + subtype + role/scomp/chncap word */

/* Encoders leave w exactly as it was when they fail (wbuf_fits, wbuf_fail),
 * so a caller can retry with a larger buffer. */

int evb_tlv_encode(struct wbuf *w, const struct evb_tlv *evb)
{
	size_t saved = w->len;

	if (w->err)
		return CODEC_E_NO_SPACE;
	if (evb->rrstat > 3 || evb->r > 7 || evb->rte > 31 || evb->evb_mode > 3 ||
	    evb->rwd > 31 || evb->rka > 31)
		return CODEC_E_INVALID;
	if (!wbuf_fits(w, 2 + EVB_INFO_LEN))
		return CODEC_E_NO_SPACE;
	wbuf_be16(w, TLV_HDR(LLDP_TLV_ORG, EVB_INFO_LEN));
	wbuf_bytes(w, lldp_oui_8021, 3);
	wbuf_u8(w, LLDP_8021_SUBTYPE_EVB);
	wbuf_u8(w, (uint8_t)((evb->bgid ? 0x04 : 0) | (evb->rrcap ? 0x02 : 0) |
			     (evb->rrctr ? 0x01 : 0)));
	wbuf_u8(w, (uint8_t)((evb->sgid ? 0x08 : 0) | (evb->rrreq ? 0x04 : 0) |
			     (evb->rrstat & 0x03)));
	wbuf_u8(w, (uint8_t)(evb->r << 5 | evb->rte));
	wbuf_u8(w, (uint8_t)(evb->evb_mode << 6 | (evb->rwd_rol ? 0x20 : 0) | evb->rwd));
	wbuf_u8(w, (uint8_t)((evb->rka_rol ? 0x20 : 0) | evb->rka));
	if (w->err)
		return wbuf_fail(w, saved, CODEC_E_NO_SPACE);
	return CODEC_OK;
}

/* info: the whole information string, OUI and subtype included.  Reserved
 * bits are ignored, as 802.1Q asks of a receiver. */
int evb_info_decode(const uint8_t *info, size_t len, struct evb_tlv *evb)
{
	if (len != EVB_INFO_LEN)
		return CODEC_E_BAD_LENGTH;
	if (memcmp(info, lldp_oui_8021, 3) != 0 || info[3] != LLDP_8021_SUBTYPE_EVB)
		return CODEC_E_BAD_TLV_TYPE;
	memset(evb, 0, sizeof(*evb));
	evb->bgid = info[4] & 0x04;
	evb->rrcap = info[4] & 0x02;
	evb->rrctr = info[4] & 0x01;
	evb->sgid = info[5] & 0x08;
	evb->rrreq = info[5] & 0x04;
	evb->rrstat = info[5] & 0x03;
	evb->r = info[6] >> 5;
	evb->rte = info[6] & 0x1F;
	evb->evb_mode = info[7] >> 6;
	evb->rwd_rol = info[7] & 0x20;
	evb->rwd = info[7] & 0x1F;
	evb->rka_rol = info[8] & 0x20;
	evb->rka = info[8] & 0x1F;
	return CODEC_OK;
}

int cdcp_tlv_encode(struct wbuf *w, const struct cdcp_tlv *cdcp)
{
	size_t saved = w->len;
	uint16_t i;

	if (w->err)
		return CODEC_E_NO_SPACE;
	if (cdcp->role > 1 || cdcp->chncap > 0x0FFF || cdcp->n_channels > CDCP_MAX_CHANNELS)
		return CODEC_E_INVALID;
	for (i = 0; i < cdcp->n_channels; i++)
		if (cdcp->ch[i].scid > 0x0FFF || cdcp->ch[i].svid > 0x0FFF)
			return CODEC_E_INVALID;
	if (!wbuf_fits(w, 2 + CDCP_INFO_FIXED + 3 * (size_t)cdcp->n_channels))
		return CODEC_E_NO_SPACE;
	wbuf_be16(w, TLV_HDR(LLDP_TLV_ORG, CDCP_INFO_FIXED + 3 * cdcp->n_channels));
	wbuf_bytes(w, lldp_oui_8021, 3);
	wbuf_u8(w, LLDP_8021_SUBTYPE_CDCP);
	wbuf_u8(w, (uint8_t)((cdcp->role ? 0x80 : 0) | (cdcp->scomp ? 0x08 : 0)));
	wbuf_u8(w, 0);
	wbuf_be16(w, cdcp->chncap);
	for (i = 0; i < cdcp->n_channels; i++)
		wbuf_be24(w, (uint32_t)cdcp->ch[i].scid << 12 | cdcp->ch[i].svid);
	if (w->err)
		return wbuf_fail(w, saved, CODEC_E_NO_SPACE);
	return CODEC_OK;
}

int cdcp_info_decode(const uint8_t *info, size_t len, struct cdcp_tlv *cdcp)
{
	struct cursor c;
	uint16_t i;

	if (len < CDCP_INFO_FIXED || (len - CDCP_INFO_FIXED) % 3 != 0 ||
	    (len - CDCP_INFO_FIXED) / 3 > CDCP_MAX_CHANNELS)
		return CODEC_E_BAD_LENGTH;
	if (memcmp(info, lldp_oui_8021, 3) != 0 || info[3] != LLDP_8021_SUBTYPE_CDCP)
		return CODEC_E_BAD_TLV_TYPE;
	memset(cdcp, 0, sizeof(*cdcp));
	cur_init(&c, info + 4, len - 4);
	uint8_t b = cur_u8(&c);
	cdcp->role = b >> 7;
	cdcp->scomp = b & 0x08;
	(void)cur_u8(&c);
	cdcp->chncap = cur_be16(&c) & 0x0FFF;
	cdcp->n_channels = (uint16_t)((len - CDCP_INFO_FIXED) / 3);
	for (i = 0; i < cdcp->n_channels; i++) {
		uint32_t v = cur_be24(&c);
		cdcp->ch[i].scid = (uint16_t)(v >> 12);
		cdcp->ch[i].svid = (uint16_t)(v & 0x0FFF);
	}
	return c.err ? CODEC_E_SHORT : CODEC_OK;
}

int lldp_encode(struct wbuf *w, const struct lldpdu *du)
{
	size_t saved = w->len, need;
	int rc;

	if (w->err)
		return CODEC_E_NO_SPACE;
	if (du->chassis_len < 1 || du->port_len < 1)
		return CODEC_E_INVALID;
	need = 2 + 1 + (size_t)du->chassis_len + 2 + 1 + (size_t)du->port_len + 4 + 2;
	if (du->has_evb)
		need += 2 + EVB_INFO_LEN;
	if (du->has_cdcp)
		need += 2 + CDCP_INFO_FIXED + 3 * (size_t)du->cdcp.n_channels;
	if (!wbuf_fits(w, need))
		return CODEC_E_NO_SPACE;
	wbuf_be16(w, TLV_HDR(LLDP_TLV_CHASSIS_ID, 1 + du->chassis_len));
	wbuf_u8(w, du->chassis_subtype);
	wbuf_bytes(w, du->chassis_id, du->chassis_len);
	wbuf_be16(w, TLV_HDR(LLDP_TLV_PORT_ID, 1 + du->port_len));
	wbuf_u8(w, du->port_subtype);
	wbuf_bytes(w, du->port_id, du->port_len);
	wbuf_be16(w, TLV_HDR(LLDP_TLV_TTL, 2));
	wbuf_be16(w, du->ttl);
	if (w->err)
		return wbuf_fail(w, saved, CODEC_E_NO_SPACE);
	if (du->has_evb && (rc = evb_tlv_encode(w, &du->evb)) != CODEC_OK)
		return wbuf_fail(w, saved, rc);
	if (du->has_cdcp && (rc = cdcp_tlv_encode(w, &du->cdcp)) != CODEC_OK)
		return wbuf_fail(w, saved, rc);
	wbuf_be16(w, TLV_HDR(LLDP_TLV_END, 0));
	if (w->err)
		return wbuf_fail(w, saved, CODEC_E_NO_SPACE);
	return CODEC_OK;
}

/* Chassis ID and Port ID: subtype octet + 1..255 octets of ID. */
static int decode_id(struct cursor *info, size_t len, uint8_t *subtype,
		     uint8_t *id_len, uint8_t *id)
{
	if (len < 2 || len > 1 + LLDP_ID_MAX)
		return CODEC_E_BAD_LENGTH;
	*subtype = cur_u8(info);
	*id_len = (uint8_t)(len - 1);
	cur_bytes(info, id, *id_len);
	return info->err ? CODEC_E_SHORT : CODEC_OK;
}

static int decode_org(const uint8_t *info, size_t len, struct lldpdu *du)
{
	int rc;

	/* 802.1AB 8.6: an organizationally specific TLV has OUI + subtype. */
	if (len < 4)
		return CODEC_E_BAD_LENGTH;
	if (memcmp(info, lldp_oui_8021, 3) != 0)
		goto unknown;
	switch (info[3]) {
	case LLDP_8021_SUBTYPE_EVB:
		if (du->has_evb)
			return CODEC_E_DUPLICATE;
		if ((rc = evb_info_decode(info, len, &du->evb)) != CODEC_OK)
			return rc;
		du->has_evb = true;
		return CODEC_OK;
	case LLDP_8021_SUBTYPE_CDCP:
		if (du->has_cdcp)
			return CODEC_E_DUPLICATE;
		if ((rc = cdcp_info_decode(info, len, &du->cdcp)) != CODEC_OK)
			return rc;
		du->has_cdcp = true;
		return CODEC_OK;
	}
unknown:
	if (du->n_unknown < UINT16_MAX)
		du->n_unknown++;
	return CODEC_OK;
}

static int decode_tlvs(const uint8_t *buf, size_t len, struct lldpdu *du)
{
	struct cursor c, info;
	unsigned n = 0;		/* TLVs seen so far */
	int rc = CODEC_OK;

	cur_init(&c, buf, len);
	if (len == 0)
		return CODEC_E_SHORT;
	while (c.left > 0) {
		uint16_t hdr = cur_be16(&c);
		uint8_t type = hdr >> 9;
		uint16_t tlen = hdr & 0x1FF;

		if (c.err)
			return CODEC_E_SHORT;
		if (type == LLDP_TLV_END) {
			if (tlen != 0)
				rc = CODEC_E_BAD_LENGTH;
			break;
		}
		if (!cur_sub(&c, tlen, &info))
			return CODEC_E_BAD_LENGTH;
		/* 802.1AB 8.2: the first three TLVs are Chassis ID, Port
		 * ID and TTL, in this order, and appear nowhere else. */
		if (n < 3 && type != n + 1)
			return CODEC_E_MISSING_TLV;
		if (n >= 3 && type >= LLDP_TLV_CHASSIS_ID && type <= LLDP_TLV_TTL)
			return CODEC_E_DUPLICATE;
		n++;
		switch (type) {
		case LLDP_TLV_CHASSIS_ID:
			rc = decode_id(&info, tlen, &du->chassis_subtype, &du->chassis_len,
				       du->chassis_id);
			break;
		case LLDP_TLV_PORT_ID:
			rc = decode_id(&info, tlen, &du->port_subtype, &du->port_len, du->port_id);
			break;
		case LLDP_TLV_TTL:
			rc = tlen == 2 ? CODEC_OK : CODEC_E_BAD_LENGTH;
			du->ttl = cur_be16(&info);
			break;
		case LLDP_TLV_ORG:
			rc = decode_org(info.p, tlen, du);
			break;
		default:
			if (du->n_unknown < UINT16_MAX)
				du->n_unknown++;
			break;
		}
		if (rc != CODEC_OK)
			break;
	}
	/* An LLDPDU without End is accepted (802.1AB-2016 made End optional),
	 * but not one that lacks the mandatory TLVs. */
	if (rc == CODEC_OK && n < 3)
		rc = CODEC_E_MISSING_TLV;
	return rc;
}

int lldp_decode(const uint8_t *buf, size_t len, struct lldpdu *du)
{
	memset(du, 0, sizeof(*du));
	int rc = decode_tlvs(buf, len, du);
	/* nothing half-decoded is left for a careless caller */
	if (rc != CODEC_OK)
		memset(du, 0, sizeof(*du));
	return rc;
}
