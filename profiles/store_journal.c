/* The registry's journal: changes noted, appended and replayed on top of
 * the snapshot, and compaction (see store.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vdp/store/fsops.h"
#include "vdp/store/journal.h"
#include "profiles/reg_json.h"
#include "profiles/reg_kind.h"
#include "profiles/store.h"
#include "profiles/store_int.h"

#define JOURNAL_MAX_SIZE (512u << 20)

void reg_store_journal_path(const char *path, char *out, size_t n)
{
	size_t l = strlen(path);

	if (l > 5 && !strcmp(path + l - 5, ".json"))
		snprintf(out, n, "%.*s%s", (int)(l - 5), path, REG_JOURNAL_SUFFIX);
	else
		snprintf(out, n, "%s%s", path, REG_JOURNAL_SUFFIX);
}

json_t *reg_store_change_json(enum reg_kind rk, const char *key, const void *entry)
{
	const struct reg_kind_ops *k = reg_kind_of(rk);

	if (!k || !key)
		return NULL;
	if (entry)
		return json_pack("{s:s, s:s, s:o}", "kind", k->name, "op", "put", "entry",
				 k->to_json(entry));
	return json_pack("{s:s, s:s, s:s}", "kind", k->name, "op", "del", "key", key);
}

static int apply_change(struct reg *reg, json_t *c, unsigned *skipped, struct reg_err *err)
{
	union reg_entry ent;
	const char *kname, *op, *key = NULL;
	const struct reg_kind_ops *k;
	json_t *entry = NULL;
	json_error_t je;
	struct reg_err e;
	const void *have;
	int r;

	if (json_unpack_ex(c, &je, JSON_STRICT, "{s:s, s:s, s?o, s?s}", "kind", &kname, "op", &op,
			   "entry", &entry, "key", &key))
		return reg_store_fail(err, -EINVAL, "change", "%s", je.text);
	if (!(k = reg_kind_by_name(kname)))
		return reg_store_fail(err, -EINVAL, "change", "kind '%s' unknown", kname);
	if (!strcmp(op, "put") && entry && !key) {
		if (k->from_json(entry, &ent, &e) < 0)
			return reg_store_fail(err, -EINVAL, kname, "%s", e.msg);
		if (k->origin_of(&ent) == REG_ORIGIN_CONFIG)
			return reg_store_fail(err, -EINVAL, kname,
					      "origin \"config\" is never stored");
		have = k->get(reg, k->key_of(&ent));
		if (have && k->origin_of(have) == REG_ORIGIN_CONFIG) {
			if (skipped)
				(*skipped)++;
			return 0;
		}
		if (have && !k->put_over)
			return reg_store_fail(err, -EINVAL, kname,
					      "put of an existing %s (never changed in place)",
					      kname);
		r = have ? k->put_over(reg, &ent, &e) : k->add(reg, &ent, &e);
		if (r < 0)
			return reg_store_fail(err, -EINVAL, kname, "%s", e.msg);
		return 0;
	}
	if (!strcmp(op, "del") && key && !entry) {
		have = k->get(reg, key);
		if (!have)
			return reg_store_fail(err, -EINVAL, kname,
					      "delete of '%s', which does not exist", key);
		if (k->origin_of(have) == REG_ORIGIN_CONFIG) {
			if (skipped)
				(*skipped)++;
			return 0;
		}
		if ((r = k->del(reg, key, &e)) < 0)
			return reg_store_fail(err, -EINVAL, kname, "%s", e.msg);
		return 0;
	}
	return reg_store_fail(err, -EINVAL, "change",
			      "op must be \"put\" with \"entry\" or \"del\" with \"key\"");
}

int reg_store_apply(struct reg *reg, const char *payload, size_t len, unsigned *skipped,
		    struct reg_err *err)
{
	json_error_t je;
	json_t *doc, *changes = NULL, *c;
	struct reg_err e;
	size_t i;
	int rc = 0;

	doc = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		return reg_store_fail(err, -EINVAL, "payload", "column %d: %s", je.column, je.text);
	if (json_unpack_ex(doc, &je, JSON_STRICT, "{s:o}", "changes", &changes) ||
	    !json_is_array(changes) || !json_array_size(changes)) {
		json_decref(doc);
		return reg_store_fail(err, -EINVAL, "payload",
				      "not {\"changes\":[...]} with at least one change");
	}
	json_array_foreach (changes, i, c) {
		if ((rc = apply_change(reg, c, skipped, &e)) < 0) {
			if (err)
				snprintf(err->msg, sizeof(err->msg), "change %zu: %.200s", i,
					 e.msg);
			break;
		}
	}
	json_decref(doc);
	return rc;
}

/* Replay state shared with the record callback. */
struct replay {
	struct reg *reg;
	const char *path;
	uint64_t base, last;
	unsigned *skipped;
	unsigned live, ignored;
};

static int replay_rec_(struct replay *rp, const struct journal_rec *rec, unsigned idx,
		       struct reg_err *err)
{
	struct reg_err e;
	int rc;

	if (idx > 0 && rec->seq != rp->last + 1)
		return reg_store_fail(err, -EINVAL, rp->path,
				      "record %u at offset %zu: generation %llu after %llu: "
				      "records are missing; refusing it",
				      idx, rec->off, (unsigned long long)rec->seq,
				      (unsigned long long)rp->last);
	if (idx == 0 && rec->seq > rp->base + 1)
		return reg_store_fail(
			err, -EINVAL, rp->path,
			"record 0 at offset %zu: generation %llu, but the snapshot is at "
			"generation %llu: records %llu..%llu are missing; refusing it",
			rec->off, (unsigned long long)rec->seq, (unsigned long long)rp->base,
			(unsigned long long)rp->base + 1, (unsigned long long)rec->seq - 1);
	rp->last = rec->seq;
	if (rec->seq <= rp->base) {
		/* Already in the snapshot: a compaction died before emptying
		 * the journal. */
		rp->ignored++;
		return 0;
	}
	if ((rc = reg_store_apply(rp->reg, rec->payload, rec->len, rp->skipped, &e)) < 0)
		return reg_store_fail(err, -EINVAL, rp->path,
				      "record %u at offset %zu (generation %llu): %s; refusing it",
				      idx, rec->off, (unsigned long long)rec->seq, e.msg);
	rp->live++;
	return 0;
}

static int replay_rec(void *ctx, const struct journal_rec *rec, unsigned idx, char *err,
		      size_t errlen)
{
	struct reg_err e = { { 0 } };
	int rc = replay_rec_(ctx, rec, idx, &e);

	if (rc < 0)
		snprintf(err, errlen, "%s", e.msg);
	return rc;
}

static int replay(struct replay *rp, const char *buf, size_t len, struct journal_scan *res,
		  struct reg_err *err)
{
	int rc;

	rp->last = rp->base;
	rc = journal_scan(rp->path, REG_JOURNAL_MAGIC, buf, len, replay_rec, rp, res, err->msg,
			  sizeof(err->msg));
	if (rp->last < rp->base)
		rp->last = rp->base;
	return rc;
}

int reg_store_replay_buf(struct reg *reg, const char *path, const char *buf, size_t len,
			 uint64_t base, uint64_t *last, unsigned *skipped, struct reg_err *err)
{
	struct replay rp = { .reg = reg, .path = path, .base = base, .skipped = skipped };
	struct journal_scan res;
	int rc = replay(&rp, buf, len, &res, err);

	if (last)
		*last = rp.last;
	return rc;
}

static uint64_t entries_of(const struct reg *reg)
{
	struct reg_counts c;

	reg_get_counts(reg, &c);
	return c.profiles + c.uplinks + c.networks + c.ports + c.attachments + c.bindings;
}

int reg_store_open(struct reg_store *st, struct reg *reg, const char *path, unsigned *skipped,
		   struct reg_err *err)
{
	struct replay rp = { .reg = reg, .skipped = skipped };
	struct journal_scan res;
	bool have_snap = true, have_journal = true;
	char *buf = NULL;
	size_t len = 0;
	int rc;

	memset(st, 0, sizeof(*st));
	st->jfd = -1;
	if (skipped)
		*skipped = 0;
	if (snprintf(st->path, sizeof(st->path), "%s", path) >= (int)sizeof(st->path))
		return reg_store_fail(err, -ENAMETOOLONG, path, "path too long");
	reg_store_journal_path(path, st->jpath, sizeof(st->jpath));
	rc = reg_store_read_file(path, STORE_MAX_SIZE, &buf, &len, err);
	if (rc == -ENOENT)
		have_snap = false;
	else if (rc < 0)
		return rc;
	else {
		unsigned sk = 0;

		rc = reg_store_load_snapshot_buf(reg, path, buf, len, &rp.base, &sk, err);
		free(buf);
		if (skipped)
			*skipped += sk;
		if (rc < 0)
			return rc;
	}
	rp.path = st->jpath;
	buf = NULL;
	rc = reg_store_read_file(st->jpath, JOURNAL_MAX_SIZE, &buf, &len, err);
	if (rc == -ENOENT) {
		have_journal = false;
		memset(&res, 0, sizeof(res));
		rp.last = rp.base;
	} else if (rc < 0) {
		return rc;
	} else {
		rc = replay(&rp, buf, len, &res, err);
		free(buf);
		if (rc < 0)
			return rc;
	}
	st->seq = rp.last;
	st->records = rp.live;
	st->ignored = rp.ignored;
	st->jend = res.end;
	st->snap_entries = entries_of(reg);
	if (res.torn) {
		st->torn = 1;
		st->jcut = true;
		snprintf(st->warning, sizeof(st->warning),
			 "%s: torn last record at offset %zu dropped (%s): a change that was never "
			 "acknowledged; it is cut off at the next save",
			 st->jpath, res.end, res.torn_why);
	}
	if (rp.ignored && !rp.live) {
		/* All left over from a compaction: cut them off too. */
		st->jcut = true;
		st->jend = res.end ? REG_JOURNAL_MAGIC_LEN : 0;
	} else if (rp.ignored) {
		st->compact = true;
	}
	/* The first save writes the snapshot the journal continues. */
	if (!have_snap)
		st->compact = true;
	return have_snap || have_journal ? 0 : -ENOENT;
}

void reg_store_note(void *ctx, enum reg_kind kind, const char *key, const void *entry)
{
	struct reg_store *st = ctx;
	const struct reg_kind_ops *k = reg_kind_of(kind);
	json_t *c;

	st->noted++;
	st->dirty = true;
	if (st->compact)
		return;
	/* A config entry is never journaled; a change of one (only a
	 * reload does that) goes through a snapshot. */
	if (!k || (entry && k->origin_of(entry) == REG_ORIGIN_CONFIG)) {
		st->compact = true;
		return;
	}
	if (!st->pending)
		st->pending = json_array();
	c = reg_store_change_json(kind, key, entry);
	if (!st->pending || !c || json_array_append_new(st->pending, c) < 0)
		st->compact = true;
}

static void drop_pending(struct reg_store *st)
{
	json_decref(st->pending);
	st->pending = NULL;
	st->noted = 0;
}

/* Opens (creating) the journal and makes it end at jend with a header. */
static int journal_ready(struct reg_store *st, struct reg_err *err)
{
	struct stat sb;
	int rc;

	if (st->jfd < 0) {
		st->jfd = store_ops->open(st->jpath, O_RDWR | O_CLOEXEC, 0);
		if (st->jfd < 0 && errno == ENOENT) {
			st->jfd = store_ops->open(st->jpath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
						  0600);
			st->jdir = true; /* its name is not durable yet */
			st->jend = 0;
			st->jcut = false;
		}
		if (st->jfd < 0) {
			st->write_errors++;
			return reg_store_fail(err, -errno, st->jpath, "cannot open: %s",
					      strerror(errno));
		}
	}
	if (fstat(st->jfd, &sb) < 0)
		return reg_store_fail(err, -errno, st->jpath, "fstat: %s", strerror(errno));
	if ((uint64_t)sb.st_size != st->jend && !st->jcut)
		/* Not what we left: someone else wrote it.  Start over from a
		 * snapshot rather than append after unknown octets. */
		return reg_store_fail(err, -ESTALE, st->jpath,
				      "size %lld, expected %zu: changed behind vdpd's back",
				      (long long)sb.st_size, st->jend);
	if (st->jend < REG_JOURNAL_MAGIC_LEN) {
		st->jend = 0;
		st->jcut = true;
	}
	if (st->jcut && store_ops->ftruncate(st->jfd, (off_t)st->jend) < 0) {
		st->write_errors++;
		return reg_store_fail(err, -errno, st->jpath, "truncate to %zu: %s", st->jend,
				      strerror(errno));
	}
	st->jcut = false;
	if (st->jend == 0) {
		if ((rc = reg_store_write(st->jfd, REG_JOURNAL_MAGIC, REG_JOURNAL_MAGIC_LEN, 0)) <
		    0) {
			st->jcut = true;
			st->write_errors++;
			return reg_store_fail(err, rc, st->jpath, "write: %s", strerror(-rc));
		}
		st->jend = REG_JOURNAL_MAGIC_LEN;
		if (store_ops->fdatasync(st->jfd) < 0) {
			st->jcut = true;
			st->jend = 0;
			st->sync_errors++;
			return reg_store_fail(err, -errno, st->jpath, "fdatasync: %s",
					      strerror(errno));
		}
	}
	/* A new file's name must be durable before a record in it is
	 * acknowledged; after a failure, tried again on the next append. */
	if (st->jdir && (rc = store_sync_dir(st->jpath)) < 0) {
		st->sync_errors++;
		return reg_store_fail(err, rc, st->jpath, "fsync directory: %s", strerror(-rc));
	}
	st->jdir = false;
	return 0;
}

static unsigned bound_of(const struct reg_store *st)
{
	if (st->max_records)
		return st->max_records;
	return st->snap_entries > REG_JOURNAL_MIN_RECORDS ? (unsigned)st->snap_entries
							  : REG_JOURNAL_MIN_RECORDS;
}

int reg_store_commit(struct reg_store *st, const struct reg *reg, struct reg_err *err)
{
	json_t *doc;
	char *payload, *rec;
	size_t rlen;
	int rc;

	if (!st->dirty)
		return 0;
	if (st->compact || !st->pending || st->records >= bound_of(st))
		return reg_store_compact(st, reg, err);
	doc = json_pack("{s:O}", "changes", st->pending);
	payload = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(doc);
	rec = payload ? journal_encode(st->seq + 1, payload, strlen(payload), &rlen) : NULL;
	free(payload);
	if (!rec) {
		st->compact = true;
		return reg_store_fail(err, -ENOMEM, st->jpath, "out of memory");
	}
	rc = journal_ready(st, err);
	if (rc == 0 && (rc = reg_store_write(st->jfd, rec, rlen, (off_t)st->jend)) < 0) {
		st->write_errors++;
		reg_store_fail(err, rc, st->jpath, "write: %s", strerror(-rc));
	}
	if (rc == 0 && store_ops->fdatasync(st->jfd) < 0) {
		st->sync_errors++;
		rc = reg_store_fail(err, -errno, st->jpath, "fdatasync: %s", strerror(errno));
	}
	free(rec);
	if (rc == -ESTALE) {
		/* Nothing written: the snapshot takes the change. */
		close(st->jfd);
		st->jfd = -1;
		return reg_store_compact(st, reg, err);
	}
	if (rc < 0) {
		/* Maybe half written, maybe written and lost by a failed sync:
		 * cut it, and let a snapshot carry the change (the next
		 * commit writes it; dirty stays set). */
		st->jcut = true;
		st->compact = true;
		st->rewrites++;
		drop_pending(st);
		return rc;
	}
	st->seq++;
	st->records++;
	st->jend += rlen;
	st->appends++;
	st->dirty = false;
	drop_pending(st);
	return 0;
}

int reg_store_compact(struct reg_store *st, const struct reg *reg, struct reg_err *err)
{
	uint64_t gen = st->seq + 1;
	int rc;

	/* 1. The snapshot at the next generation, crash-safe (tmp, fsync,
	 * rename, directory fsync): from here on every journal record is at
	 * or below it and is ignored by a load. */
	rc = reg_store_save_gen(reg, st->path, gen, err);
	if (rc < 0) {
		st->compact = true;
		drop_pending(st);
		st->compaction_errors++;
		return rc;
	}
	st->seq = gen;
	st->records = 0;
	st->snap_entries = entries_of(reg);
	st->compact = false;
	st->dirty = false;
	st->compactions++;
	drop_pending(st);
	/* 2. Empty the journal (down to its header).  Failing here loses
	 * nothing: the old records are ignored and cut before the next
	 * append. */
	if (st->jfd < 0) {
		st->jfd = store_ops->open(st->jpath, O_RDWR | O_CLOEXEC, 0);
		if (st->jfd < 0) {
			st->jend = 0;
			st->jcut = false;
			return 0; /* no journal yet: created on the first append */
		}
		st->jcut = true; /* whatever it holds */
	}
	if (st->jend < REG_JOURNAL_MAGIC_LEN) {
		st->jend = 0;
		st->jcut = true;
		return 0;
	}
	st->jend = REG_JOURNAL_MAGIC_LEN;
	if (store_ops->ftruncate(st->jfd, (off_t)st->jend) < 0 || store_ops->fdatasync(st->jfd) < 0)
		st->jcut = true;
	else
		st->jcut = false;
	return 0;
}

int reg_store_shutdown(struct reg_store *st, const struct reg *reg, struct reg_err *err)
{
	if (!st->records && !st->dirty && !st->jcut)
		return 0;
	return reg_store_compact(st, reg, err);
}

void reg_store_close(struct reg_store *st)
{
	if (st->jfd >= 0)
		close(st->jfd);
	st->jfd = -1;
	drop_pending(st);
}
