/* ECP PDU codec (IEEE 802.1Qbg-2012 clause 43).  The buffer is the ECPDU:
 * the frame after the 0x8940 ethertype.
 *
 *   octets 0-1: version (4 bits) | operation (2 bits) | subtype (10 bits)
 *   octets 2-3: sequence number
 *   octets 4- : ULPDU (requests only)                                   */
#ifndef VDP_ECP_H
#define VDP_ECP_H

#include <stddef.h>
#include <stdint.h>

#include "vdp/base/codec.h"
#include "vdp/base/cursor.h"

#define ECP_VERSION 1
#define ECP_HDR_LEN 4

enum ecp_op {
	ECP_OP_REQUEST = 0,
	ECP_OP_ACK = 1,
};

enum ecp_subtype {
	ECP_SUBTYPE_VDP = 1,
	ECP_SUBTYPE_PECSP = 2,	/* 802.1BR port extension; acknowledged, not interpreted */
};

struct ecp_hdr {
	uint8_t version;
	uint8_t op;
	uint16_t subtype;
	uint16_t seq;
};

/* Writes the 4-octet header; the caller appends the ULPDU. */
int ecp_encode_hdr(struct wbuf *w, const struct ecp_hdr *h);
/* Decodes the header and returns the ULPDU (empty for an ack; an ack's
 * trailing zero padding is not an error).  Rejects version != 1, reserved
 * operations and subtypes other than VDP and PE-CSP. */
int ecp_decode(const uint8_t *buf, size_t len, struct ecp_hdr *h,
	       const uint8_t **ulpdu, size_t *ulpdu_len);

#endif
