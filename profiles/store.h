/* Persistence of the run-time registry (everything not from vdpd.conf) in
 * one JSON file, /var/lib/vdpd/registry.json by default.
 *
 *   {"format":"vdpd-registry","version":1,"generation":N,
 *    "profiles":[...],...,"bindings":[...],"checksum":"crc32:xxxxxxxx"}
 *
 * The checksum is CRC-32 over the compact, key-sorted dump of the object
 * without "checksum", so a torn, truncated or hand-damaged file is noticed
 * even where it still parses.  Saving writes a temporary file in the same
 * directory, fsyncs it, renames it over the old one and fsyncs the
 * directory: after a crash the file is the old or the new version, never a
 * mix.  A file that fails any check is refused with a message naming the
 * file and the fault; it is never silently replaced by an empty registry
 * (the daemon refuses to start instead, and the operator decides). */
#ifndef VDP_STORE_H
#define VDP_STORE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "vdp/store/journal.h"
#include "profiles/registry.h"

#define REG_STATE_DIR "/var/lib/vdpd"
#define REG_STATE_FILE "registry.json"
#define REG_STORE_FORMAT "vdpd-registry"
#define REG_STORE_VERSION 1

/* 0 or -errno with err->msg ("/var/lib/vdpd/registry.json: ..."). */
int reg_store_save(const struct reg *reg, const char *path, struct reg_err *err);

/* Adds the file's entries to reg (which may already hold config entries;
 * a state entry shadowed by a config entry of the same name is skipped and
 * counted in *skipped, may be NULL).  -ENOENT when the file does not exist
 * (a first start: the caller goes on with what it has); any other error
 * means the file was refused and reg may hold part of it: the caller must
 * not save over the file. */
int reg_store_load(struct reg *reg, const char *path, unsigned *skipped, struct reg_err *err);

/* The same on a buffer already read (path names it in messages). */
int reg_store_load_buf(struct reg *reg, const char *path, const char *buf, size_t len, unsigned *skipped,
		       struct reg_err *err);

/* Adds the run-time (not config) entries of src to dst, as a load would:
 * entries shadowed by a config entry of dst are skipped and counted; any
 * entry dst refuses is an error (used to try a configuration reload). */
int reg_store_copy_runtime(struct reg *dst, const struct reg *src, unsigned *skipped, struct reg_err *err);

/* The journal file's first line (vdp/store/journal.h). */
#define REG_JOURNAL_MAGIC "vdpd-registry-journal 1\n"
#define REG_JOURNAL_MAGIC_LEN (sizeof(REG_JOURNAL_MAGIC) - 1)

/* ---- snapshot + journal ----
 *
 * A change costs one journal record (vdp/store/journal.h) appended to
 * registry.journal and fdatasync'd before the reply, not a rewrite of the
 * whole snapshot.  The record's payload names what changed:
 *
 *   {"changes":[{"kind":"binding","op":"put","entry":{...reg_json shape...}},
 *               {"key":"web","kind":"profile","op":"del"}]}
 *
 * kinds profile, uplink, network, port, binding, attachment.  Records carry
 * generations continuing the snapshot's "generation": load = snapshot, then
 * every record with a generation above it, in order, through the same
 * strict parsers and registry mutators as the snapshot (a config entry
 * shadows a stored one: skipped and counted).  Records at or below the
 * snapshot's generation are left over from a compaction that crashed
 * before it emptied the journal and are ignored.
 *
 * Compaction writes the snapshot (reg_store_save's crash-safe path) with
 * the next generation and then empties the journal: on the first save
 * without a snapshot, when the journal holds max(1024, entries at the last
 * snapshot) records, after a change not known entry by entry (a reload),
 * after a failed append, and at close.  Any crash leaves the old snapshot
 * with the whole journal, or the new snapshot with an ignored journal.
 *
 * Damage: a last record that is short or fails its CRC was being appended
 * when the daemon died, so never acknowledged: it is dropped, counted
 * (torn) and described in warning, and cut off before the next append.
 * Anything else -- a bad record followed by a valid one, a generation gap,
 * a record that does not parse or apply, a foreign file -- refuses the
 * load with the file, record number, offset and reason. */
#define REG_JOURNAL_SUFFIX ".journal"
#define REG_JOURNAL_MIN_RECORDS 1024u

struct reg_store {
	char path[PATH_MAX];		/* registry.json */
	char jpath[PATH_MAX];		/* registry.journal */
	int jfd;			/* -1 until the first append */
	uint64_t seq;			/* generation of the last change on disk */
	uint64_t snap_entries;		/* entries at the last snapshot */
	unsigned max_records;		/* 0: max(1024, snap_entries) */
	unsigned records;		/* journal records above the snapshot */
	size_t jend;			/* where the next record goes */
	bool jcut;			/* octets after jend to cut first */
	bool jdir; /* journal created, its directory not synced yet */
	bool compact;			/* next save writes a snapshot */
	bool dirty;			/* changes not on disk */
	json_t *pending;		/* changes noted since the last save */
	uint64_t noted;			/* changes noted since the last save */
	unsigned torn;			/* torn last records dropped at load */
	unsigned ignored;		/* records at or below the snapshot at load */
	uint64_t appends, compactions, compaction_errors;
	uint64_t write_errors, sync_errors; /* journal appends that failed there */
	uint64_t rewrites; /* failed appends given to the next snapshot */
	char warning[PATH_MAX + 256];	/* the torn record, "" when none */
};

/* journal path of a state file: registry.json -> registry.journal, any
 * other name + ".journal". */
void reg_store_journal_path(const char *path, char *out, size_t n);

/* Loads path and its journal into reg (skipped: entries shadowed by the
 * config, may be NULL).  -ENOENT when neither file exists (a first start,
 * st is ready); any other error refuses the state (see above).  Then
 * reg_set_change_hook(reg, reg_store_note, st). */
int reg_store_open(struct reg_store *st, struct reg *reg, const char *path, unsigned *skipped,
		   struct reg_err *err);
/* The registry's change hook: notes what a mutation changed. */
void reg_store_note(void *st, enum reg_kind kind, const char *key, const void *entry);
/* Persists what was noted: one journal record, or a compaction when due.
 * 0 or -errno with err; after an error the next save compacts. */
int reg_store_commit(struct reg_store *st, const struct reg *reg, struct reg_err *err);
int reg_store_compact(struct reg_store *st, const struct reg *reg, struct reg_err *err);
/* Compacts when the journal holds records or changes are unsaved. */
int reg_store_shutdown(struct reg_store *st, const struct reg *reg, struct reg_err *err);
void reg_store_close(struct reg_store *st);

/* The JSON of one change (the payload's "changes" items). */
json_t *reg_store_change_json(enum reg_kind kind, const char *key, const void *entry);
/* Applies one record's payload to reg (errors name the change). */
int reg_store_apply(struct reg *reg, const char *payload, size_t len, unsigned *skipped, struct reg_err *err);
/* Replays a journal image onto reg above generation base, as a load does
 * (path names it in messages); *last gets the last generation applied
 * (base when none).  For tests and the fuzzer; res may be NULL. */
int reg_store_replay_buf(struct reg *reg, const char *path, const char *buf, size_t len, uint64_t base,
			 uint64_t *last, unsigned *skipped, struct reg_err *err);
/* reg_store_load_buf that also returns the snapshot's generation. */
int reg_store_load_snapshot_buf(struct reg *reg, const char *path, const char *buf, size_t len, uint64_t *gen,
				unsigned *skipped, struct reg_err *err);
/* reg_store_save with the generation given (a compaction's). */
int reg_store_save_gen(const struct reg *reg, const char *path, uint64_t gen, struct reg_err *err);

#endif
