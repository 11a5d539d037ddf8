/* A journal of JSON records in the framing of vdp/store/journal.h (magic line,
 * then "J <seq> <len> <crc> <json>\n" records), made durable in groups:
 * records queue in memory and jlog_flush() writes them with one write and
 * one fdatasync.  It journals the changes to a snapshot file so that a
 * change costs its own size, not the snapshot's; the owner rewrites the
 * snapshot now and then and empties the journal (jlog_reset).
 *
 * Damage (journal_scan): a torn last record, cut short by a crash, was
 * never acknowledged: dropped with a warning and cut off the file.  A bad
 * record with anything after it, a sequence gap, a payload that is not a
 * JSON object, or one that apply() refuses refuses the whole journal
 * (never silently skipped). */
#ifndef VDP_JLOG_H
#define VDP_JLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct evbuffer;

struct jlog {
	int fd;
	char *path;
	const char *magic;		/* static, e.g. "vdpd-intents-journal 1\n" */
	struct evbuffer *pending; /* records not yet synced, kept until they are */
	uint64_t seq;			/* of the last record */
	size_t size;			/* octets in the file */
	size_t synced; /* of which known to be on disk */
	bool cut; /* cut the file to synced before the next write */
	size_t records;			/* in the file and pending */
	uint64_t appends, flushes, torn;
	uint64_t write_errors; /* failed writes, truncations */
	uint64_t sync_errors; /* failed fdatasync/fsync */
	uint64_t rewrites; /* flushes that wrote again what a failed one
					 * may have lost */
};

/* Takes one record (borrowed): 0, or -1 with err filled. */
typedef int (*jlog_apply_fn)(void *ctx, json_t *rec, char *err, size_t errlen);

/* Replays path (missing = empty) through apply in order, cuts a torn last
 * record off, and opens it for appending.  0, or -errno with err filled
 * ("PATH: record N at offset O: ..."). */
int jlog_open(struct jlog *j, const char *path, const char *magic, jlog_apply_fn apply, void *ctx, char *err,
	      size_t errlen);
/* The decoder behind jlog_open, on a buffer: *good is where the valid
 * records end (where the next append goes), *torn tells whether a torn
 * record follows them, *last_seq is the last record's sequence number.
 * name only labels messages. */
int jlog_replay(const char *name, const char *magic, const char *buf, size_t len, size_t *good, size_t *records,
		bool *torn, uint64_t *last_seq, jlog_apply_fn apply, void *ctx, char *err, size_t errlen);
/* Queues rec (steals the reference).  0 or -ENOMEM. */
int jlog_append(struct jlog *j, json_t *rec);
/* The same for a record already rendered: json (len octets) must be one
 * JSON object on one line, as json_dumps(JSON_COMPACT) writes it; the
 * replay parses it like any other record.  0 or -ENOMEM. */
int jlog_append_text(struct jlog *j, const char *json, size_t len);
/* Writes what is queued and syncs it: 0 only once fdatasync succeeded.
 * On -errno the records stay queued, and the next flush cuts the file back
 * to what was last synced and writes them again: after a failed fdatasync
 * the kernel may have dropped the written pages, so "written" octets are
 * not trusted until a sync said so. */
int jlog_flush(struct jlog *j);
/* Empties the journal, queued records included: the snapshot now holds
 * everything.  0 or -errno (the file may keep old records, which the
 * snapshot already holds; the next flush cuts them). */
int jlog_reset(struct jlog *j);
void jlog_close(struct jlog *j);

#endif
