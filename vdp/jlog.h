/* An append-only log of JSON records, one compact object per line, made
 * durable in groups: records queue in memory and jlog_flush() writes them
 * with one write and one fdatasync.  It journals the changes to a snapshot
 * file so that a change costs its own size, not the snapshot's; the owner
 * rewrites the snapshot now and then and empties the log (jlog_reset).
 *
 * Damage: the last line without its newline is a write that a crash cut
 * short, never acknowledged: dropped with a warning and cut off the file.
 * Any other line that is not a JSON object, or that apply() refuses, is
 * damage and the log is refused (never silently skipped). */
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
	struct evbuffer *pending;	/* records not yet written */
	size_t records;			/* in the file and pending */
	uint64_t appends, flushes, torn;
};

/* Takes one record (borrowed): 0, or -1 with err filled. */
typedef int (*jlog_apply_fn)(void *ctx, json_t *rec, char *err, size_t errlen);

/* Replays path (missing = empty) through apply in order, cuts a torn last
 * record off, and opens it for appending.  0, or -errno with err filled
 * ("PATH:LINE: ..."). */
int jlog_open(struct jlog *j, const char *path, jlog_apply_fn apply, void *ctx, char *err, size_t errlen);
/* The decoder behind jlog_open, on a buffer: *good is the length of the
 * complete records, *torn tells whether an incomplete last one follows
 * them.  name only labels messages. */
int jlog_replay(const char *name, const char *buf, size_t len, size_t *good, size_t *records, bool *torn,
		jlog_apply_fn apply, void *ctx, char *err, size_t errlen);
/* Queues rec (steals the reference).  0 or -ENOMEM. */
int jlog_append(struct jlog *j, json_t *rec);
/* Writes what is queued and syncs it.  0 or -errno (the records stay
 * queued for the next try). */
int jlog_flush(struct jlog *j);
/* Empties the log, queued records included: the snapshot now holds
 * everything.  0 or -errno. */
int jlog_reset(struct jlog *j);
void jlog_close(struct jlog *j);

#endif
