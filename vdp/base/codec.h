/* Result codes shared by every wire codec.  Decoders return CODEC_OK or one
 * negative code naming exactly what was wrong; vdp_strerror() gives the
 * operator-facing text used in logs and counters. */
#ifndef VDP_CODEC_H
#define VDP_CODEC_H

enum codec_err {
	CODEC_OK = 0,
	CODEC_E_SHORT = -1,		/* buffer ends before a fixed field */
	CODEC_E_BAD_LENGTH = -2,	/* a TLV length runs past its container or is wrong for its type */
	CODEC_E_BAD_VERSION = -3,	/* ECP version other than 1 */
	CODEC_E_UNKNOWN_SUBTYPE = -4,	/* ECP subtype we do not carry */
	CODEC_E_BAD_OP = -5,		/* ECP operation 2 or 3 (reserved) */
	CODEC_E_MGRID_MISSING = -6,	/* VDP ULPDU does not start with a Manager ID TLV */
	CODEC_E_MGRID_REPEATED = -7,	/* a second Manager ID TLV */
	CODEC_E_UNKNOWN_FORMAT = -8,	/* VSIID or filter info format not 1..5 / 1..4 */
	CODEC_E_ENTRY_COUNT = -9,	/* number of filter entries does not match the TLV length */
	CODEC_E_TOO_LONG = -10,		/* encoder: TLV information over 511 octets (9-bit length) */
	CODEC_E_NO_SPACE = -11,		/* encoder: does not fit the buffer/MTU; nothing was written */
	CODEC_E_MISSING_TLV = -12,	/* LLDPDU lacks Chassis ID, Port ID or TTL, or they are out of order */
	CODEC_E_BAD_TLV_TYPE = -13,	/* a TLV type not allowed where it stands */
	CODEC_E_BAD_ETHERTYPE = -14,	/* frame is not of the expected ethertype */
	CODEC_E_NO_ASSOC = -15,		/* VDP ULPDU with a Manager ID but no association TLV */
	CODEC_E_INVALID = -16,		/* encoder: a field out of range (e.g. VID > 4095, type > 127) */
	CODEC_E_TOO_MANY = -17,		/* decoder: more TLVs than the caller's array holds */
	CODEC_E_DUPLICATE = -18,	/* a TLV that may appear once appears twice */
};

#define CODEC_NERR 19

const char *codec_strerror(int err);

#endif
