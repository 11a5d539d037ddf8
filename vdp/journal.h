/* The registry journal's framing: an append-only file of self-checking
 * records next to the snapshot (registry.json -> registry.journal).  This
 * module knows bytes only; what a record means is store.c's business.
 *
 * File:   "vdpd-registry-journal 1\n" then records, back to back.
 * Record: one line,
 *
 *	J <seq> <len> <crc> <payload>\n
 *
 *   seq	16 lower-case hex digits: the generation this record brings
 *		the registry to (the snapshot's "generation" + 1, + 2, ...)
 *   len	8 lower-case hex digits: payload length in octets
 *   crc	8 lower-case hex digits: CRC-32 (IEEE, as reg_crc32) of the 28
 *		octets "J <seq> <len> " followed by the payload
 *   payload	len octets (compact JSON without a newline, see store.c)
 *
 * Fixed widths make a record's end computable from its first 37 octets,
 * so a crash in the middle of an append leaves a tail that is short or
 * fails its CRC: reg_journal_scan() tells such a torn last record (never
 * acknowledged, dropped) from damage with valid records after it (refused). */
#ifndef VDP_JOURNAL_H
#define VDP_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profiles/registry.h"

#define REG_JOURNAL_MAGIC "vdpd-registry-journal 1\n"
#define REG_JOURNAL_MAGIC_LEN (sizeof(REG_JOURNAL_MAGIC) - 1)
#define REG_JOURNAL_HDR_LEN 37		/* "J " + 16 + " " + 8 + " " + 8 + " " */
#define REG_JOURNAL_CRC_SPAN 28		/* header octets covered by the CRC */
#define REG_JOURNAL_MAX_PAYLOAD (16u << 20)

/* Encodes one record into a malloc'd buffer (*outlen octets, not
 * NUL-terminated); NULL when out of memory or plen is too large. */
char *reg_journal_encode(uint64_t seq, const char *payload, size_t plen, size_t *outlen);

struct reg_jrec {
	uint64_t seq;
	const char *payload;	/* into the decoded buffer */
	size_t len;
	size_t off, end;	/* the record occupies [off, end) */
};

/* Decodes the record at buf[off..len).  0 with rec filled; -EINVAL when
 * the octets there are not one whole valid record (why: a short reason). */
int reg_journal_decode(const char *buf, size_t len, size_t off, struct reg_jrec *rec, char *why, size_t whylen);

/* Called for every valid record in order (index from 0); a negative return
 * stops the scan and is returned by it (err filled by fn). */
typedef int (*reg_jrec_fn)(void *ctx, const struct reg_jrec *rec, unsigned index, struct reg_err *err);

struct reg_jscan {
	unsigned records;	/* valid records */
	size_t end;		/* offset after the last valid record (or after
				 * the header; 0 when there is no whole header) */
	bool torn;		/* a torn tail follows end */
	size_t torn_off;
	char torn_why[96];
};

/* Walks a whole journal image (path names it in messages).  An empty file
 * or a prefix of the header (crash while creating it) holds no records.
 * A record that does not decode is a torn tail when it reaches the end of
 * the file (short, or its last octet is the file's) or, when even its
 * header is unreadable, no valid record starts anywhere after it: it is
 * reported in res, not an error.  Refused (-EINVAL, err names file, record
 * number and offset): a foreign header, a whole-length bad record with
 * octets after it, an unreadable one followed by a valid record.  0 or
 * fn's or -EINVAL. */
int reg_journal_scan(const char *path, const char *buf, size_t len, reg_jrec_fn fn, void *ctx,
		     struct reg_jscan *res, struct reg_err *err);

#endif
