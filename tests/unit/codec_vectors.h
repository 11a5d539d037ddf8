/* Test vectors of the wire codecs (shared/reference/standards.md 2.11, 4.1,
 * 5.4) and a hex parser for writing expected bytes readably. */
#ifndef TESTS_CODEC_VECTORS_H
#define TESTS_CODEC_VECTORS_H

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Parses hex digits into out, ignoring spaces, '|' and ':'; returns the
 * number of octets, or aborts on a malformed string or overflow. */
static inline size_t hex2bin(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s == ' ' || *s == '|' || *s == ':' || *s == '\n')
			continue;
		if (!isxdigit((unsigned char)*s))
			abort();
		v = isdigit((unsigned char)*s) ? *s - '0' : tolower((unsigned char)*s) - 'a' + 10;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= cap)
			abort();
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		abort();
	return n;
}

/* Whole frames (DA .. end, no FCS) of standards.md 5.4. */
#define VEC_MGRID "20010db8000000000000000000000001"
#define VEC_UUID "112233445566778899aabbccddeeff00"

#define VEC_FRAME1 "0180c2000000 020000000001 8940 1001 0001 0a10" VEC_MGRID \
	"0621 00 000005 04 05" VEC_UUID "02 0001 525400123456 b064 0000"
#define VEC_FRAME3 "0180c2000000 020000000002 8940 1001 0100 0a10" VEC_MGRID \
	"0621 40 000005 04 05" VEC_UUID "02 0001 525400123456 00c8 0000"
#define VEC_FRAME4 "0180c2000000 020000000002 8940 1001 0101 0a10" VEC_MGRID \
	"0221 52 000005 04 05" VEC_UUID "02 0001 525400123456 0064 0000"
#define VEC_FRAME5 "0180c2000000 020000000001 8940 1001 0002 0a10" VEC_MGRID \
	"081d 20 000005 04 05" VEC_UUID "01 0002 0064 d0c8 0000"
/* frame 2 is followed by 42 zero octets, frame 9 by 37 */
#define VEC_FRAME2_HDR "0180c2000000 020000000002 8940 1401 0001"
#define VEC_FRAME9_HDR "0180c2000003 020000000002 8940 1002 0007 0102030405"

#define VEC_FRAME6 "0180c2000000 020000000001 88cc 0207 04 020000000001 0405 05 65746830" \
	"0602 0078 fe09 0080c2 0d 00 07 68 94 14 fe0b 0080c2 0e 00 00 0002 001000" \
	"fe0d 001b3f 00 8007 8007 0cdf 0000 0f 0000"
#define VEC_FRAME7 "0180c2000000 020000000002 88cc 0207 04 020000000002 0404 05 737731" \
	"0602 0078 fe09 0080c2 0d 07 0c 6e 74 34 fe0e 0080c2 0e 80 00 00a7 001000 002064 0000"

/* standards.md 4.1: lldpad's EVB TLVs (bridge offering RR, station reply) */
#define VEC_EVB_LLDPAD_BRIDGE "fe09 0080c2 0d 02 00 00 40 00"
#define VEC_EVB_LLDPAD_STATION "fe09 0080c2 0d 02 04 68 88 08"

#endif
