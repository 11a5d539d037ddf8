/* Journal framing (see journal.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/store/journal.h"

/* Eight octets per step (slicing-by-8, tables derived from the bytewise
 * one): the CRC of each journal record was 4 % of vdpd's time in a
 * `vdpctl -b` batch a byte at a time, and a compaction checksums the
 * whole snapshot. */
static uint32_t crc_table[8][256];

static void crc_tables(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t t = i;

		for (int k = 0; k < 8; k++)
			t = (t >> 1) ^ (0xedb88320u & (0u - (t & 1)));
		crc_table[0][i] = t;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int k = 1; k < 8; k++)
			crc_table[k][i] = (crc_table[k - 1][i] >> 8) ^
				crc_table[0][crc_table[k - 1][i] & 0xff];
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t crc32_update(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t c = ~crc;

	if (!crc_table[0][1])
		crc_tables();
	for (; len >= 8; p += 8, len -= 8) {
		uint32_t lo = c ^ le32(p), hi = le32(p + 4);

		c = crc_table[7][lo & 0xff] ^ crc_table[6][lo >> 8 & 0xff] ^
			crc_table[5][lo >> 16 & 0xff] ^ crc_table[4][lo >> 24] ^
			crc_table[3][hi & 0xff] ^ crc_table[2][hi >> 8 & 0xff] ^
			crc_table[1][hi >> 16 & 0xff] ^ crc_table[0][hi >> 24];
	}
	while (len--)
		c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

uint32_t crc32_ieee(const void *buf, size_t len)
{
	return crc32_update(0, buf, len);
}

static const char hexd[] = "0123456789abcdef";

static void put_hex(char *p, uint64_t v, int digits)
{
	for (int i = digits - 1; i >= 0; i--) {
		p[i] = hexd[v & 15];
		v >>= 4;
	}
}

/* Exactly `digits` lower-case hex digits; upper case is not ours. */
static int get_hex(const char *p, int digits, uint64_t *v)
{
	*v = 0;
	for (int i = 0; i < digits; i++) {
		const char *d = p[i] ? strchr(hexd, p[i]) : NULL;

		if (!d)
			return -EINVAL;
		*v = *v << 4 | (uint64_t)(d - hexd);
	}
	return 0;
}

static uint32_t rec_crc(const char *hdr, const char *payload, size_t plen)
{
	return crc32_update(crc32_update(0, hdr, JOURNAL_CRC_SPAN), payload, plen);
}

char *journal_encode(uint64_t seq, const char *payload, size_t plen, size_t *outlen)
{
	char *r;

	if (plen > JOURNAL_MAX_PAYLOAD)
		return NULL;
	r = malloc(JOURNAL_HDR_LEN + plen + 1);
	if (!r)
		return NULL;
	r[0] = 'J';
	r[1] = ' ';
	put_hex(r + 2, seq, 16);
	r[18] = ' ';
	put_hex(r + 19, plen, 8);
	r[27] = ' ';
	put_hex(r + 28, rec_crc(r, payload, plen), 8);
	r[36] = ' ';
	memcpy(r + JOURNAL_HDR_LEN, payload, plen);
	r[JOURNAL_HDR_LEN + plen] = '\n';
	*outlen = JOURNAL_HDR_LEN + plen + 1;
	return r;
}

static int why_(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int why_(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (why && n) {
		va_start(ap, fmt);
		vsnprintf(why, n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int journal_decode(const char *buf, size_t len, size_t off, struct journal_rec *rec, char *why, size_t whylen)
{
	const char *h = buf + off;
	size_t left = off <= len ? len - off : 0;
	uint64_t seq, plen, crc;

	if (left < JOURNAL_HDR_LEN)
		return why_(why, whylen, "short record header (%zu of %d octets)", left, JOURNAL_HDR_LEN);
	if (h[0] != 'J' || h[1] != ' ' || h[18] != ' ' || h[27] != ' ' || h[36] != ' ')
		return why_(why, whylen, "not a record header");
	if (get_hex(h + 2, 16, &seq) < 0 || get_hex(h + 19, 8, &plen) < 0 || get_hex(h + 28, 8, &crc) < 0)
		return why_(why, whylen, "record header field is not hex");
	if (plen > JOURNAL_MAX_PAYLOAD)
		return why_(why, whylen, "record length %llu over the limit", (unsigned long long)plen);
	if (left < JOURNAL_HDR_LEN + plen + 1)
		return why_(why, whylen, "short record (%zu of %llu octets)", left,
			    (unsigned long long)(JOURNAL_HDR_LEN + plen + 1));
	if (rec_crc(h, h + JOURNAL_HDR_LEN, plen) != crc)
		return why_(why, whylen, "CRC mismatch");
	if (h[JOURNAL_HDR_LEN + plen] != '\n')
		return why_(why, whylen, "record not ended by a newline");
	rec->seq = seq;
	rec->payload = h + JOURNAL_HDR_LEN;
	rec->len = plen;
	rec->off = off;
	rec->end = off + JOURNAL_HDR_LEN + plen + 1;
	return 0;
}

static int jfail(char *err, size_t errlen, const char *path, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int jfail(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err && errlen) {
		n = snprintf(err, errlen, "%s: ", path);
		if (n < 0 || (size_t)n >= errlen)
			n = 0;
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Where the record at off says it ends, when its header fields parse. */
static bool declared_end(const char *buf, size_t len, size_t off, size_t *end)
{
	const char *h = buf + off;
	uint64_t v, plen;

	if (len - off < JOURNAL_HDR_LEN || h[0] != 'J' || h[1] != ' ' || h[18] != ' ' || h[27] != ' ' ||
	    h[36] != ' ' || get_hex(h + 2, 16, &v) < 0 || get_hex(h + 19, 8, &plen) < 0 ||
	    get_hex(h + 28, 8, &v) < 0 || plen > JOURNAL_MAX_PAYLOAD)
		return false;
	*end = off + JOURNAL_HDR_LEN + (size_t)plen + 1;
	return true;
}

/* A valid record anywhere after off means the bad one is not the tail. */
static bool valid_after(const char *buf, size_t len, size_t off, size_t *at)
{
	struct journal_rec r;

	for (size_t p = off + 1; p + JOURNAL_HDR_LEN <= len; p++) {
		const char *j = memchr(buf + p, 'J', len - p);

		if (!j)
			break;
		p = (size_t)(j - buf);
		if (journal_decode(buf, len, p, &r, NULL, 0) == 0) {
			*at = p;
			return true;
		}
	}
	return false;
}

int journal_scan(const char *path, const char *magic, const char *buf, size_t len, journal_rec_fn fn, void *ctx,
		 struct journal_scan *res, char *err, size_t errlen)
{
	size_t mlen = strlen(magic);
	struct journal_rec rec;
	char why[80];
	size_t off, at;
	int rc;

	memset(res, 0, sizeof(*res));
	if (len < mlen) {
		if (memcmp(buf, magic, len))
			return jfail(err, errlen, path, "not a journal of this kind (no \"%.*s\" header); refusing it", (int)mlen - 1,
				     magic);
		if (len) {
			/* Created, header not all written: nothing was acknowledged. */
			res->torn = true;
			snprintf(res->torn_why, sizeof(res->torn_why), "incomplete file header (%zu octets)", len);
		}
		return 0;
	}
	if (memcmp(buf, magic, mlen))
		return jfail(err, errlen, path, "not a journal of this kind (no \"%.*s\" header); refusing it", (int)mlen - 1, magic);
	off = mlen;
	res->end = off;
	while (off < len) {
		if (journal_decode(buf, len, off, &rec, why, sizeof(why)) < 0) {
			size_t end;

			/* One append writes one record, and octets after a
			 * record come from a later append: a whole-length bad
			 * record with octets after it was acknowledged. */
			if (declared_end(buf, len, off, &end) && end < len)
				return jfail(err, errlen, path,
					     "record %u at offset %zu: %s, and %zu octets follow it: damaged; refusing it",
					     res->records, off, why, len - end);
			if (valid_after(buf, len, off, &at))
				return jfail(err, errlen, path,
					     "record %u at offset %zu: %s, and a valid record follows at offset %zu: damaged; refusing it",
					     res->records, off, why, at);
			res->torn = true;
			res->torn_off = off;
			snprintf(res->torn_why, sizeof(res->torn_why), "%s", why);
			break;
		}
		if (fn && (rc = fn(ctx, &rec, res->records, err, errlen)) < 0)
			return rc;
		res->records++;
		off = rec.end;
		res->end = off;
	}
	return 0;
}
