/* VDP TLV codec (IEEE 802.1Qbg-2012 clause 41): the ULPDU carried by an ECPDU
 * of subtype 1.  Manager ID TLV first and once, then association TLVs (types
 * 1-4), organizationally defined TLVs (127) kept as opaque bytes.
 *
 * Decoding is zero-copy: a decoded association TLV points into the caller's
 * buffer for its filter entries; vdp_filter_get() reads entry i. */
#ifndef VDP_VDP_TLV_H
#define VDP_VDP_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdp/base/codec.h"
#include "vdp/base/cursor.h"

enum vdp_tlv_type {
	VDP_TLV_PREASSOC = 1,
	VDP_TLV_PREASSOC_RR = 2,
	VDP_TLV_ASSOC = 3,
	VDP_TLV_DEASSOC = 4,
	VDP_TLV_MGRID = 5,
	VDP_TLV_ORG = 127,
};

#define VDP_TLV_MAX_INFO 511		/* 9-bit length */
#define VDP_MGRID_LEN 16
#define VDP_VSIID_LEN 16
#define VDP_ASSOC_FIXED 25		/* status .. number of entries */

/* Status octet. Bit 6 tells request from response; bits 5 and 4 mean S/M
 * hints in a request and keep/hard error in a response. */
#define VDP_STATUS_RESPONSE 0x40
#define VDP_STATUS_SBIT 0x20
#define VDP_STATUS_MBIT 0x10
#define VDP_STATUS_KEEP 0x20
#define VDP_STATUS_HARD 0x10
#define VDP_STATUS_REASON 0x0F

enum vdp_reason {
	VDP_R_SUCCESS = 0,
	VDP_R_INVALID_FORMAT = 1,
	VDP_R_INSUFFICIENT_RESOURCES = 2,
	VDP_R_UNABLE_TO_CONTACT_MANAGER = 3,
	VDP_R_OTHER_FAILURE = 4,
	VDP_R_INVALID_VID_GROUP_MAC = 5,
};

enum vdp_vsiid_fmt {
	VDP_VSIID_IPV4 = 1,
	VDP_VSIID_IPV6 = 2,
	VDP_VSIID_MAC = 3,
	VDP_VSIID_LOCAL = 4,
	VDP_VSIID_UUID = 5,
};

enum vdp_filter_fmt {
	VDP_FILTER_VID = 1,
	VDP_FILTER_MAC_VID = 2,
	VDP_FILTER_GROUP_VID = 3,
	VDP_FILTER_GROUP_MAC_VID = 4,
};

/* PS/PCP/VID word of every filter entry. */
#define VDP_PS 0x8000
#define VDP_PCP_SHIFT 12
#define VDP_PCP_MASK 0x7000
#define VDP_VID_MASK 0x0FFF

struct vdp_filter {
	uint32_t group_id;	/* formats 3 and 4 */
	uint8_t mac[6];		/* formats 2 and 4 */
	uint16_t ps_pcp_vid;
};

static inline uint16_t vdp_vid(uint16_t w) { return w & VDP_VID_MASK; }
static inline uint8_t vdp_pcp(uint16_t w) { return (uint8_t)((w & VDP_PCP_MASK) >> VDP_PCP_SHIFT); }
static inline bool vdp_ps(uint16_t w) { return (w & VDP_PS) != 0; }

/* Octets per filter entry for a format, 0 for an unknown format. */
size_t vdp_filter_entry_size(uint8_t fmt);

/* An association TLV (types 1-4). */
struct vdp_assoc {
	uint8_t type;		/* enum vdp_tlv_type 1..4 */
	uint8_t status;
	uint32_t type_id;	/* 24 bits */
	uint8_t type_version;
	uint8_t vsiid_fmt;
	uint8_t vsiid[VDP_VSIID_LEN];
	uint8_t filter_fmt;
	uint16_t n_filters;
	const uint8_t *entries;	/* decode only: n_filters raw entries */
};

/* An organizationally defined TLV, opaque. */
struct vdp_org {
	uint8_t oui[3];
	uint16_t len;		/* bytes of data after the OUI */
	const uint8_t *data;
};

struct vdp_tlv {
	uint8_t type;		/* VDP_TLV_PREASSOC..DEASSOC or VDP_TLV_ORG */
	union {
		struct vdp_assoc assoc;
		struct vdp_org org;
	};
};

/* A decoded ULPDU: the manager ID and the TLVs after it, in order. */
struct vdp_pdu {
	uint8_t mgrid[VDP_MGRID_LEN];
	size_t n_tlvs;
	struct vdp_tlv *tlvs;	/* caller-provided */
	size_t cap;		/* capacity of tlvs */
};

/* Decodes a whole ULPDU and validates it before anything is returned: a
 * PDU with any malformed TLV is refused as a whole.  A 0x0000 TLV header
 * (End / padding) ends the PDU.  Unknown TLV types are skipped. */
int vdp_decode(const uint8_t *buf, size_t len, struct vdp_pdu *pdu);
/* Reads filter entry i (0 <= i < a->n_filters) of a decoded TLV. */
void vdp_filter_get(const struct vdp_assoc *a, uint16_t i, struct vdp_filter *f);

/* Encoding.  vdp_encode_mgrid() starts a ULPDU; vdp_encode_assoc() appends
 * one association TLV with n filters from f (a->entries is ignored).  If the
 * TLV would exceed 511 octets of information it returns CODEC_E_TOO_LONG;
 * if it does not fit the remaining buffer it returns CODEC_E_NO_SPACE and the
 * buffer is left exactly as it was, so a caller can close this ECPDU and
 * start the next. */
int vdp_encode_mgrid(struct wbuf *w, const uint8_t mgrid[VDP_MGRID_LEN]);
int vdp_encode_assoc(struct wbuf *w, const struct vdp_assoc *a,
		     const struct vdp_filter *f, uint16_t n);
int vdp_encode_org(struct wbuf *w, const struct vdp_org *o);
/* Size on the wire (header included) of an association TLV. */
size_t vdp_assoc_wire_size(uint8_t filter_fmt, uint16_t n);

/* Packs the manager ID and then as many of the n association TLVs (a[i]
 * with a[i].n_filters entries from f[i]) as fit into one ULPDU; the limit is
 * the remaining capacity of w (give it cap = MTU - ECP header).  Returns the
 * number packed (>= 1), or a negative error with w unchanged when not even
 * the first one fits (CODEC_E_NO_SPACE) or it is too long for any PDU
 * (CODEC_E_TOO_LONG).  Packing stops at the first TLV that does not fit. */
int vdp_pack(struct wbuf *w, const uint8_t mgrid[VDP_MGRID_LEN],
	     const struct vdp_assoc *a, const struct vdp_filter *const *f, size_t n);

const char *vdp_tlv_type_name(uint8_t type);
const char *vdp_reason_name(uint8_t reason);

#endif
