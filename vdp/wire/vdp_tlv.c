/* VDP TLV codec (IEEE 802.1Qbg-2012 clause 41.2): the ULPDU of an ECPDU of
 * subtype 1.  See docs/protocol.md for the byte layouts. */
#include <string.h>

#include "vdp/wire/vdp_tlv.h"

#define TLV_HDR(type, len) ((uint16_t)(((type) << 9) | ((len) & 0x1FF)))

size_t vdp_filter_entry_size(uint8_t fmt)
{
	switch (fmt) {
	case VDP_FILTER_VID:
		return 2;
	case VDP_FILTER_MAC_VID:
		return 8;
	case VDP_FILTER_GROUP_VID:
		return 6;
	case VDP_FILTER_GROUP_MAC_VID:
		return 12;
	}
	return 0;
}

static bool vsiid_fmt_known(uint8_t fmt)
{
	return fmt >= VDP_VSIID_IPV4 && fmt <= VDP_VSIID_UUID;
}

size_t vdp_assoc_wire_size(uint8_t filter_fmt, uint16_t n)
{
	size_t s = vdp_filter_entry_size(filter_fmt);

	if (s == 0)
		return 0;
	return 2 + VDP_ASSOC_FIXED + (size_t)n * s;
}

void vdp_filter_get(const struct vdp_assoc *a, uint16_t i, struct vdp_filter *f)
{
	size_t s = vdp_filter_entry_size(a->filter_fmt);
	struct cursor c;

	memset(f, 0, sizeof(*f));
	if (s == 0 || i >= a->n_filters || a->entries == NULL)
		return;
	cur_init(&c, a->entries + (size_t)i * s, s);
	if (a->filter_fmt == VDP_FILTER_GROUP_VID || a->filter_fmt == VDP_FILTER_GROUP_MAC_VID)
		f->group_id = cur_be32(&c);
	if (a->filter_fmt == VDP_FILTER_MAC_VID || a->filter_fmt == VDP_FILTER_GROUP_MAC_VID)
		cur_bytes(&c, f->mac, 6);
	f->ps_pcp_vid = cur_be16(&c);
}

/* Association TLV information string (after the header), tlen octets. */
static int decode_assoc(struct cursor *info, uint16_t tlen, uint8_t type, struct vdp_assoc *a)
{
	size_t s;

	if (tlen < VDP_ASSOC_FIXED)
		return CODEC_E_BAD_LENGTH;
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->status = cur_u8(info);
	a->type_id = cur_be24(info);
	a->type_version = cur_u8(info);
	a->vsiid_fmt = cur_u8(info);
	cur_bytes(info, a->vsiid, VDP_VSIID_LEN);
	a->filter_fmt = cur_u8(info);
	a->n_filters = cur_be16(info);
	if (info->err)
		return CODEC_E_SHORT;
	if (!vsiid_fmt_known(a->vsiid_fmt))
		return CODEC_E_UNKNOWN_FORMAT;
	s = vdp_filter_entry_size(a->filter_fmt);
	if (s == 0)
		return CODEC_E_UNKNOWN_FORMAT;
	/* 41.2.8: the entries fill the rest of the TLV exactly. */
	if ((size_t)a->n_filters * s != info->left)
		return CODEC_E_ENTRY_COUNT;
	a->entries = info->p;
	return CODEC_OK;
}

/* What vdp_decode() has taken so far. */
struct decode_state {
	struct vdp_pdu *pdu;
	size_t n;
	bool have_mgrid, have_assoc;
	bool too_many; /* more TLVs than pdu->cap: refused after the whole PDU is checked */
};

static int decode_mgrid_tlv(struct decode_state *s, struct cursor *info, uint16_t tlen)
{
	if (s->have_mgrid)
		return CODEC_E_MGRID_REPEATED;
	if (tlen != VDP_MGRID_LEN)
		return CODEC_E_BAD_LENGTH;
	cur_bytes(info, s->pdu->mgrid, VDP_MGRID_LEN);
	s->have_mgrid = true;
	return CODEC_OK;
}

/* The slot for the next TLV, or NULL when the caller's array is full. */
static struct vdp_tlv *next_slot(struct decode_state *s, uint8_t type)
{
	if (s->n >= s->pdu->cap) {
		s->too_many = true;
		return NULL;
	}
	s->pdu->tlvs[s->n].type = type;
	return &s->pdu->tlvs[s->n++];
}

static int decode_assoc_tlv(struct decode_state *s, struct cursor *info, uint16_t tlen,
			    uint8_t type)
{
	struct vdp_assoc tmp;
	struct vdp_tlv *t;
	int rc = decode_assoc(info, tlen, type, &tmp);

	if (rc != CODEC_OK)
		return rc;
	s->have_assoc = true;
	if ((t = next_slot(s, type)))
		t->assoc = tmp;
	return CODEC_OK;
}

static int decode_org_tlv(struct decode_state *s, struct cursor *info, uint16_t tlen, uint8_t type)
{
	struct vdp_tlv *t;

	if (tlen < 3)
		return CODEC_E_BAD_LENGTH;
	if (!(t = next_slot(s, type)))
		return CODEC_OK;
	memset(&t->org, 0, sizeof(t->org));
	cur_bytes(info, t->org.oui, 3);
	t->org.len = (uint16_t)(tlen - 3);
	t->org.data = info->p;
	return CODEC_OK;
}

static int decode_tlv(struct decode_state *s, struct cursor *info, uint16_t tlen, uint8_t type)
{
	/* 41.2.1: one VSI Manager ID TLV, and it comes first. */
	if (!s->have_mgrid && type != VDP_TLV_MGRID)
		return CODEC_E_MGRID_MISSING;
	switch (type) {
	case VDP_TLV_MGRID:
		return decode_mgrid_tlv(s, info, tlen);
	case VDP_TLV_PREASSOC:
	case VDP_TLV_PREASSOC_RR:
	case VDP_TLV_ASSOC:
	case VDP_TLV_DEASSOC:
		return decode_assoc_tlv(s, info, tlen, type);
	case VDP_TLV_ORG:
		return decode_org_tlv(s, info, tlen, type);
	default:
		return CODEC_OK; /* unknown type: skipped */
	}
}

int vdp_decode(const uint8_t *buf, size_t len, struct vdp_pdu *pdu)
{
	struct decode_state s = { .pdu = pdu };
	struct cursor c, info;
	int rc = CODEC_OK;

	pdu->n_tlvs = 0;
	memset(pdu->mgrid, 0, sizeof(pdu->mgrid));
	cur_init(&c, buf, len);
	while (c.left > 0) {
		/* One octet left: ECP padding is zero, anything else is a
		 * truncated TLV header. */
		if (c.left == 1) {
			if (*c.p != 0)
				rc = CODEC_E_SHORT;
			break;
		}
		uint16_t hdr = cur_be16(&c);
		uint8_t type = hdr >> 9;
		uint16_t tlen = hdr & 0x1FF;

		if (hdr == 0)
			break; /* End TLV or padding */
		if (!cur_sub(&c, tlen, &info)) {
			rc = CODEC_E_BAD_LENGTH;
			break;
		}
		if ((rc = decode_tlv(&s, &info, tlen, type)) != CODEC_OK)
			break;
	}
	if (rc == CODEC_OK && !s.have_mgrid)
		rc = CODEC_E_MGRID_MISSING;
	if (rc == CODEC_OK && !s.have_assoc)
		rc = CODEC_E_NO_ASSOC;
	if (rc == CODEC_OK && s.too_many)
		rc = CODEC_E_TOO_MANY;
	if (rc != CODEC_OK) {
		memset(pdu->mgrid, 0, sizeof(pdu->mgrid));
		return rc;
	}
	pdu->n_tlvs = s.n;
	return CODEC_OK;
}

/* Encoders check the room first (wbuf_fits) and write nothing (not even
 * bytes beyond w->len) when the TLV does not fit. */

int vdp_encode_mgrid(struct wbuf *w, const uint8_t mgrid[VDP_MGRID_LEN])
{
	size_t saved = w->len;

	if (!wbuf_fits(w, 2 + VDP_MGRID_LEN))
		return CODEC_E_NO_SPACE;
	wbuf_be16(w, TLV_HDR(VDP_TLV_MGRID, VDP_MGRID_LEN));
	wbuf_bytes(w, mgrid, VDP_MGRID_LEN);
	if (w->err)
		return wbuf_fail(w, saved, CODEC_E_NO_SPACE);
	return CODEC_OK;
}

int vdp_encode_assoc(struct wbuf *w, const struct vdp_assoc *a,
		     const struct vdp_filter *f, uint16_t n)
{
	size_t saved = w->len, s = vdp_filter_entry_size(a->filter_fmt), info;
	uint16_t i;

	if (w->err)
		return CODEC_E_NO_SPACE;
	if (a->type < VDP_TLV_PREASSOC || a->type > VDP_TLV_DEASSOC ||
	    a->type_id > 0xFFFFFF || !vsiid_fmt_known(a->vsiid_fmt) || s == 0 ||
	    (n > 0 && f == NULL))
		return CODEC_E_INVALID;
	/* The 9-bit length cannot say more; never truncate the entry list. */
	info = VDP_ASSOC_FIXED + (size_t)n * s;
	if (info > VDP_TLV_MAX_INFO)
		return CODEC_E_TOO_LONG;
	if (!wbuf_fits(w, 2 + info))
		return CODEC_E_NO_SPACE;
	wbuf_be16(w, TLV_HDR(a->type, info));
	wbuf_u8(w, a->status);
	wbuf_be24(w, a->type_id);
	wbuf_u8(w, a->type_version);
	wbuf_u8(w, a->vsiid_fmt);
	wbuf_bytes(w, a->vsiid, VDP_VSIID_LEN);
	wbuf_u8(w, a->filter_fmt);
	wbuf_be16(w, n);
	for (i = 0; i < n; i++) {
		if (a->filter_fmt == VDP_FILTER_GROUP_VID || a->filter_fmt == VDP_FILTER_GROUP_MAC_VID)
			wbuf_be32(w, f[i].group_id);
		if (a->filter_fmt == VDP_FILTER_MAC_VID || a->filter_fmt == VDP_FILTER_GROUP_MAC_VID)
			wbuf_bytes(w, f[i].mac, 6);
		wbuf_be16(w, f[i].ps_pcp_vid);
	}
	if (w->err)
		return wbuf_fail(w, saved, CODEC_E_NO_SPACE);
	return CODEC_OK;
}

int vdp_encode_org(struct wbuf *w, const struct vdp_org *o)
{
	size_t saved = w->len;

	if (w->err)
		return CODEC_E_NO_SPACE;
	if (o->len > 0 && o->data == NULL)
		return CODEC_E_INVALID;
	if ((size_t)o->len + 3 > VDP_TLV_MAX_INFO)
		return CODEC_E_TOO_LONG;
	if (!wbuf_fits(w, 2 + 3 + (size_t)o->len))
		return CODEC_E_NO_SPACE;
	wbuf_be16(w, TLV_HDR(VDP_TLV_ORG, o->len + 3));
	wbuf_bytes(w, o->oui, 3);
	if (o->len > 0)
		wbuf_bytes(w, o->data, o->len);
	if (w->err)
		return wbuf_fail(w, saved, CODEC_E_NO_SPACE);
	return CODEC_OK;
}

int vdp_pack(struct wbuf *w, const uint8_t mgrid[VDP_MGRID_LEN],
	     const struct vdp_assoc *a, const struct vdp_filter *const *f, size_t n)
{
	size_t saved = w->len, i;
	int rc;

	if (n == 0)
		return CODEC_E_NO_ASSOC;
	if ((rc = vdp_encode_mgrid(w, mgrid)) != CODEC_OK)
		return rc;
	for (i = 0; i < n; i++) {
		rc = vdp_encode_assoc(w, &a[i], f[i], a[i].n_filters);
		if (rc != CODEC_OK)
			break;
	}
	if (i == 0) {
		/* Not even one: a Manager ID alone is no VDP PDU. */
		w->len = saved;
		return rc;
	}
	return (int)i;
}

const char *vdp_tlv_type_name(uint8_t type)
{
	switch (type) {
	case 0:
		return "End";
	case VDP_TLV_PREASSOC:
		return "Pre-Associate";
	case VDP_TLV_PREASSOC_RR:
		return "Pre-Associate with RR";
	case VDP_TLV_ASSOC:
		return "Associate";
	case VDP_TLV_DEASSOC:
		return "De-Associate";
	case VDP_TLV_MGRID:
		return "VSI Manager ID";
	case VDP_TLV_ORG:
		return "Organizationally defined";
	}
	return "unknown";
}

const char *vdp_reason_name(uint8_t reason)
{
	switch (reason) {
	case VDP_R_SUCCESS:
		return "success";
	case VDP_R_INVALID_FORMAT:
		return "invalid format";
	case VDP_R_INSUFFICIENT_RESOURCES:
		return "insufficient resources";
	case VDP_R_UNABLE_TO_CONTACT_MANAGER:
		return "unable to contact VSI manager";
	case VDP_R_OTHER_FAILURE:
		return "other failure";
	case VDP_R_INVALID_VID_GROUP_MAC:
		return "invalid VID, GroupID or MAC address";
	}
	return "reserved";
}
