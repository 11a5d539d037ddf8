/* Ethernet II framing for LLDP and ECP frames (no 802.1Q tag: the kernel
 * strips it on receive, and EVB traffic is untagged on the uplink). */
#ifndef VDP_ETH_H
#define VDP_ETH_H

#include <stddef.h>
#include <stdint.h>

#include "vdp/base/cursor.h"

#define ETH_ALEN_ 6
#define ETH_HDR_LEN 14
#define ETH_MIN_FRAME 60	/* without FCS: shorter frames are zero-padded */

#define ETHERTYPE_LLDP 0x88CC
#define ETHERTYPE_ECP 0x8940

extern const uint8_t eth_nearest_bridge[6];		/* 01-80-C2-00-00-0E */
extern const uint8_t eth_nearest_customer_bridge[6];	/* 01-80-C2-00-00-00 */
extern const uint8_t eth_nearest_nontpmr_bridge[6];	/* 01-80-C2-00-00-03 */

struct eth_hdr {
	uint8_t dst[6];
	uint8_t src[6];
	uint16_t ethertype;
};

/* Writes the 14-octet header. */
void eth_encode(struct wbuf *w, const uint8_t dst[6], const uint8_t src[6], uint16_t ethertype);
/* Pads w with zeros to the 60-octet minimum. */
void eth_pad(struct wbuf *w);
/* Splits a frame into header and payload. */
int eth_decode(const uint8_t *frame, size_t len, struct eth_hdr *h,
	       const uint8_t **payload, size_t *payload_len);

#endif
