/* Journal framing: an append-only file of self-checking records next to a
 * snapshot, so that a change costs its own size, not the snapshot's.  Used
 * by the registry (profiles/store.c: registry.json -> registry.journal) and
 * the VSI intents (vdp/daemon/intents.c: vsis.json -> vsis.json.journal).  This
 * module knows bytes only; what a record means is its user's business.
 *
 * File:   a magic line naming the user and version (for example
 *         "vdpd-registry-journal 1\n"), then records, back to back.
 * Record: one line,
 *
 *	J <seq> <len> <crc> <payload>\n
 *
 *   seq	16 lower-case hex digits: the user's sequence number (the
 *		registry: the generation this record brings it to)
 *   len	8 lower-case hex digits: payload length in octets
 *   crc	8 lower-case hex digits: CRC-32 (IEEE, crc32_ieee) of the 28
 *		octets "J <seq> <len> " followed by the payload
 *   payload	len octets (compact JSON without a newline, see store.c)
 *
 * Fixed widths make a record's end computable from its first 37 octets,
 * so a crash in the middle of an append leaves a tail that is short or
 * fails its CRC: journal_scan() tells such a torn last record (never
 * acknowledged, dropped) from damage with valid records after it (refused). */
#ifndef VDP_JOURNAL_H
#define VDP_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CRC-32 (IEEE 802.3 polynomial, reflected; zlib's crc32).
 * crc32_update(crc32_ieee(a), b) is the CRC of a followed by b;
 * crc32_update(0, ...) = crc32_ieee(...). */
uint32_t crc32_ieee(const void *buf, size_t len);
uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);

#define JOURNAL_HDR_LEN 37		/* "J " + 16 + " " + 8 + " " + 8 + " " */
#define JOURNAL_CRC_SPAN 28		/* header octets covered by the CRC */
#define JOURNAL_MAX_PAYLOAD (16u << 20)

/* Encodes one record into a malloc'd buffer (*outlen octets, not
 * NUL-terminated); NULL when out of memory or plen is too large. */
char *journal_encode(uint64_t seq, const char *payload, size_t plen, size_t *outlen);

struct journal_rec {
	uint64_t seq;
	const char *payload;	/* into the decoded buffer */
	size_t len;
	size_t off, end;	/* the record occupies [off, end) */
};

/* Decodes the record at buf[off..len).  0 with rec filled; -EINVAL when
 * the octets there are not one whole valid record (why: a short reason). */
int journal_decode(const char *buf, size_t len, size_t off, struct journal_rec *rec, char *why, size_t whylen);

/* Called for every valid record in order (index from 0); a negative return
 * stops the scan and is returned by it (err filled by fn). */
typedef int (*journal_rec_fn)(void *ctx, const struct journal_rec *rec, unsigned index, char *err,
			      size_t errlen);

struct journal_scan {
	unsigned records;	/* valid records */
	size_t end;		/* offset after the last valid record (or after
				 * the header; 0 when there is no whole header) */
	bool torn;		/* a torn tail follows end */
	size_t torn_off;
	char torn_why[96];
};

/* Walks a whole journal image that must start with magic (path names it
 * in messages).  An empty file
 * or a prefix of the header (crash while creating it) holds no records.
 * A record that does not decode is a torn tail when it reaches the end of
 * the file (short, or its last octet is the file's) or, when even its
 * header is unreadable, no valid record starts anywhere after it: it is
 * reported in res, not an error.  Refused (-EINVAL, err names file, record
 * number and offset): a foreign header, a whole-length bad record with
 * octets after it, an unreadable one followed by a valid record.  0 or
 * fn's or -EINVAL. */
int journal_scan(const char *path, const char *magic, const char *buf, size_t len, journal_rec_fn fn, void *ctx,
		 struct journal_scan *res, char *err, size_t errlen);

#endif
