/* Text forms of VDP values, shared by the config loader, the control-socket
 * commands and vdpctl so that all three spell things the same way (the
 * vocabulary operators know from vdptool: assoc/preassoc/preassoc-rr,
 * mgrid, typeid, typeidver, uuid, hints, filter).
 *
 * Parsers return 0 or -EINVAL and never accept trailing garbage. */
#ifndef VDP_VDP_TEXT_H
#define VDP_VDP_TEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "vdp/wire/vdp_tlv.h"

#define VDP_TXT_UUID_LEN 37	/* 8-4-4-4-12 + NUL */
#define VDP_TXT_MGRID_LEN 40
#define VDP_TXT_MAC_LEN 18
#define VDP_TXT_VSIID_LEN 48

/* 32 hex digits, dashes anywhere optional (vdptool accepts both). */
int vdp_txt_uuid_parse(const char *s, uint8_t out[16]);
void vdp_txt_uuid_format(const uint8_t in[16], char out[VDP_TXT_UUID_LEN]);
/* Exactly 32 hex digits, no dashes (a "local" VSIID, /etc/machine-id). */
int vdp_txt_hex16_parse(const char *s, uint8_t out[16]);

/* Manager ID (16 octets, 41.2.3):
 *   a number 0..255 (decimal or 0x hex) -> that octet first, rest zero: what
 *     lldpad puts on the wire for libvirt's one-octet managerid;
 *   a UUID -> its 16 octets;
 *   1..15 letters, digits, '-', '_', '.' -> ASCII, zero padded (vdptool's mgrid2).
 * Formatting is the inverse: printable-ASCII names of 2+ characters as text,
 * one non-zero first octet as its number, anything else as a UUID. */
int vdp_txt_mgrid_parse(const char *s, uint8_t out[VDP_MGRID_LEN]);
void vdp_txt_mgrid_format(const uint8_t in[VDP_MGRID_LEN], char out[VDP_TXT_MGRID_LEN]);

int vdp_txt_mac_parse(const char *s, uint8_t out[6]);
void vdp_txt_mac_format(const uint8_t in[6], char out[VDP_TXT_MAC_LEN]);

/* "assoc", "preassoc", "preassoc-rr", "deassoc" <-> VDP_TLV_* (1..4);
 * parse returns -EINVAL when unknown; name of 0 is "none". */
int vdp_txt_mode_parse(const char *s);
const char *vdp_txt_mode_name(uint8_t mode);

/* "vid", "mac-vid", "group-vid", "group-mac-vid" <-> VDP_FILTER_* */
int vdp_txt_filter_fmt_parse(const char *s);
const char *vdp_txt_filter_fmt_name(uint8_t fmt);

/* "ipv4", "ipv6", "mac", "local", "uuid" <-> VDP_VSIID_* */
int vdp_txt_vsiid_fmt_parse(const char *s);
const char *vdp_txt_vsiid_fmt_name(uint8_t fmt);
/* A VSIID in a given format: uuid as above; ipv4 dotted quad (stored
 * IPv4-mapped, 41.2.5); ipv6 as inet_pton; mac (stored in the last six
 * octets); local as 32 hex digits. */
int vdp_txt_vsiid_parse(uint8_t fmt, const char *s, uint8_t out[VDP_VSIID_LEN]);
void vdp_txt_vsiid_format(uint8_t fmt, const uint8_t in[VDP_VSIID_LEN], char out[VDP_TXT_VSIID_LEN]);

/* Request hints (M/S bits of the status octet, 41.2.4): "none",
 * "migrate-to" (M), "migrate-from" (S). */
int vdp_txt_hints_parse(const char *s);
const char *vdp_txt_hints_name(uint8_t hints);

/* Strict unsigned number (decimal, or 0x hex), <= max. */
int vdp_txt_uint(const char *s, uint32_t max, uint32_t *out);

#endif
