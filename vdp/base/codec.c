#include "vdp/base/codec.h"

static const char *const codec_errors[CODEC_NERR] = {
	[0] = "ok",
	[1] = "frame too short",
	[2] = "bad TLV length",
	[3] = "bad ECP version",
	[4] = "unknown ECP subtype",
	[5] = "reserved ECP operation",
	[6] = "VSI Manager ID TLV missing or not first",
	[7] = "VSI Manager ID TLV repeated",
	[8] = "unknown VSIID or filter info format",
	[9] = "number of filter entries does not match the TLV length",
	[10] = "TLV longer than 511 octets",
	[11] = "no space left in the PDU",
	[12] = "mandatory LLDP TLV missing or out of order",
	[13] = "TLV type not allowed here",
	[14] = "unexpected ethertype",
	[15] = "no association TLV after the Manager ID",
	[16] = "field out of range",
	[17] = "too many TLVs",
	[18] = "TLV repeated",
};

const char *codec_strerror(int err)
{
	int i = -err;

	if (i < 0 || i >= CODEC_NERR)
		return "unknown error";
	return codec_errors[i];
}
