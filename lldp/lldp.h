/* LLDPDU codec (IEEE 802.1AB) with the IEEE 802.1 EVB TLV (802.1Q D.2.12,
 * subtype 0x0D) and the CDCP TLV (subtype 0x0E, decoded for display).
 * Pure functions: no I/O, no allocation.  The buffer given to the decoder is
 * the LLDPDU (the frame after the 0x88CC ethertype). */
#ifndef LLDP_LLDP_H
#define LLDP_LLDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdp/base/codec.h"
#include "vdp/base/cursor.h"

enum lldp_tlv_type {
	LLDP_TLV_END = 0,
	LLDP_TLV_CHASSIS_ID = 1,
	LLDP_TLV_PORT_ID = 2,
	LLDP_TLV_TTL = 3,
	LLDP_TLV_ORG = 127,
};

#define LLDP_CHASSIS_MAC 4	/* chassis ID subtype: MAC address */
#define LLDP_PORT_IFNAME 5	/* port ID subtype: interface name */
#define LLDP_PORT_MAC 3
#define LLDP_ID_MAX 255

static const uint8_t lldp_oui_8021[3] = { 0x00, 0x80, 0xC2 };
#define LLDP_8021_SUBTYPE_EVB 0x0D
#define LLDP_8021_SUBTYPE_CDCP 0x0E

/* EVB mode (octet 7 bits 7..6). */
enum evb_mode {
	EVB_MODE_NONE = 0,
	EVB_MODE_BRIDGE = 1,
	EVB_MODE_STATION = 2,
	EVB_MODE_RESERVED = 3,
};

/* RRSTAT values as interoperable implementations use them. */
#define EVB_RRSTAT_OFF 0
#define EVB_RRSTAT_ON 1
#define EVB_RRSTAT_UNKNOWN 3

/* Every field of the EVB TLV, one struct member per field. */
struct evb_tlv {
	/* EVB Bridge Status */
	bool bgid;	/* bridge supports VDP group IDs */
	bool rrcap;	/* bridge capable of reflective relay */
	bool rrctr;	/* reflective relay enabled on this port */
	/* EVB Station Status */
	bool sgid;	/* station supports group IDs */
	bool rrreq;	/* station requests reflective relay */
	uint8_t rrstat;	/* 2 bits */
	uint8_t r;	/* ECP max retries, 3 bits */
	uint8_t rte;	/* ECP retransmission exponent, 5 bits */
	uint8_t evb_mode; /* enum evb_mode, 2 bits */
	bool rwd_rol;	/* RWD is the remote value */
	uint8_t rwd;	/* resourceWaitDelay exponent, 5 bits */
	bool rka_rol;	/* RKA is the remote value */
	uint8_t rka;	/* reinitKeepAlive exponent, 5 bits */
};

#define CDCP_MAX_CHANNELS 167	/* (511 - 8) / 3 */

struct cdcp_tlv {
	uint8_t role;		/* 1 bit, raw (its meaning is disputed, see docs/protocol.md) */
	bool scomp;
	uint16_t chncap;	/* 12 bits */
	uint16_t n_channels;
	struct {
		uint16_t scid;	/* 12 bits */
		uint16_t svid;	/* 12 bits */
	} ch[CDCP_MAX_CHANNELS];
};

struct lldpdu {
	uint8_t chassis_subtype;
	uint8_t chassis_len;
	uint8_t chassis_id[LLDP_ID_MAX];
	uint8_t port_subtype;
	uint8_t port_len;
	uint8_t port_id[LLDP_ID_MAX];
	uint16_t ttl;
	bool has_evb;
	struct evb_tlv evb;
	bool has_cdcp;
	struct cdcp_tlv cdcp;
	uint16_t n_unknown;	/* TLVs skipped because we do not use them */
};

/* Encodes chassis ID, port ID, TTL, the EVB TLV (if has_evb), the CDCP TLV
 * (if has_cdcp) and End.  Returns CODEC_OK or CODEC_E_NO_SPACE / _INVALID. */
int lldp_encode(struct wbuf *w, const struct lldpdu *du);
int lldp_decode(const uint8_t *buf, size_t len, struct lldpdu *du);

/* The EVB TLV alone (header fe 09 + 9 octets) and its information string. */
int evb_tlv_encode(struct wbuf *w, const struct evb_tlv *evb);
int evb_info_decode(const uint8_t *info, size_t len, struct evb_tlv *evb);
int cdcp_tlv_encode(struct wbuf *w, const struct cdcp_tlv *cdcp);
int cdcp_info_decode(const uint8_t *info, size_t len, struct cdcp_tlv *cdcp);

#endif
