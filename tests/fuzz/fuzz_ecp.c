/* libFuzzer target: Ethernet + ECPDU header decoder.  A decoded ECPDU must
 * re-encode to the same header and decode to the same fields and ULPDU. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/wire/ecpdu.h"
#include "vdp/base/eth.h"

static uint8_t out[2048];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eth_hdr eh;
	struct ecp_hdr h, h2;
	const uint8_t *pl, *ul, *ul2;
	size_t pl_len, ul_len, ul2_len;
	struct wbuf w;

	if (eth_decode(data, size, &eh, &pl, &pl_len) != CODEC_OK)
		return 0;
	if (ecp_decode(pl, pl_len, &h, &ul, &ul_len) != CODEC_OK)
		return 0;
	if (ul_len > sizeof(out) - ECP_HDR_LEN)
		return 0;
	wbuf_init(&w, out, sizeof(out));
	if (ecp_encode_hdr(&w, &h) != CODEC_OK)
		abort();
	if (memcmp(out, pl, ECP_HDR_LEN) != 0)
		abort();
	if (ul_len)
		wbuf_bytes(&w, ul, ul_len);
	if (ecp_decode(out, w.len, &h2, &ul2, &ul2_len) != CODEC_OK)
		abort();
	if (h.version != h2.version || h.op != h2.op || h.subtype != h2.subtype ||
	    h.seq != h2.seq || ul_len != ul2_len || (ul_len && memcmp(ul, ul2, ul_len) != 0))
		abort();
	return 0;
}
