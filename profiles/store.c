/* Crash-safe persistence of the registry (see store.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vdp/store/fsops.h"
#include "vdp/store/journal.h"
#include "profiles/reg_json.h"
#include "profiles/store.h"

#define STORE_MAX_SIZE (64u << 20)	/* refuse absurd files before reading them */

static int sfail(struct reg_err *err, int e, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int sfail(struct reg_err *err, int e, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err) {
		n = snprintf(err->msg, sizeof(err->msg), "%s: ", path);
		if (n < 0 || (size_t)n >= sizeof(err->msg))
			n = 0;
		va_start(ap, fmt);
		vsnprintf(err->msg + n, sizeof(err->msg) - n, fmt, ap);
		va_end(ap);
	}
	return e;
}

/* The checksum covers the canonical dump of everything but "checksum". */
static int doc_crc(json_t *doc, uint32_t *crc)
{
	char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);

	if (!s)
		return -ENOMEM;
	*crc = crc32_ieee(s, strlen(s));
	free(s);
	return 0;
}

int reg_store_save(const struct reg *reg, const char *path, struct reg_err *err)
{
	return reg_store_save_gen(reg, path, reg_generation(reg), err);
}

int reg_store_save_gen(const struct reg *reg, const char *path, uint64_t gen, struct reg_err *err)
{
	char dir[PATH_MAX], sum[32], why[sizeof(err->msg)];
	json_t *doc;
	char *text = NULL, *nl;
	uint32_t crc;
	int rc;

	if (store_dir_of(path, dir, sizeof(dir)) < 0)
		return sfail(err, -ENAMETOOLONG, path, "path too long");
	doc = reg_to_json(reg, false);
	if (!doc)
		return sfail(err, -ENOMEM, path, "out of memory");
	json_object_set_new(doc, "format", json_string(REG_STORE_FORMAT));
	json_object_set_new(doc, "version", json_integer(REG_STORE_VERSION));
	json_object_set_new(doc, "generation", json_integer((json_int_t)gen));
	if (doc_crc(doc, &crc) < 0) {
		json_decref(doc);
		return sfail(err, -ENOMEM, path, "out of memory");
	}
	snprintf(sum, sizeof(sum), "crc32:%08x", crc);
	json_object_set_new(doc, "checksum", json_string(sum));
	text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(doc);
	nl = text ? realloc(text, strlen(text) + 2) : NULL;
	if (!nl) {
		free(text);
		return sfail(err, -ENOMEM, path, "out of memory");
	}
	text = strcat(nl, "\n");

	/* The state dir itself (/var/lib/vdpd) is created when missing; its
	 * parent must exist. */
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		rc = sfail(err, -errno, path, "cannot create directory %s: %s", dir, strerror(errno));
		goto out;
	}
	rc = store_replace_file(path, text, strlen(text), why, sizeof(why));
	if (rc < 0)
		sfail(err, rc, path, "%s", why);
out:
	free(text);
	return rc;
}

static int read_file(const char *path, size_t max, char **buf, size_t *len, struct reg_err *err)
{
	struct stat st;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return sfail(err, -ENOENT, path, "does not exist");
		return sfail(err, -errno, path, "cannot open: %s", strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		close(fd);
		return sfail(err, -EINVAL, path, "not a regular file of at most %zu bytes", max);
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		close(fd);
		return sfail(err, -ENOMEM, path, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, *buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	(*buf)[got] = 0;
	*len = got;
	return 0;
}

/* Adds one array of entries; skips those shadowed by a config entry. */
typedef int (*from_fn)(json_t *j, void *out, struct reg_err *err);
typedef const void *(*get_fn)(const struct reg *reg, const void *entry);
typedef int (*add_fn)(struct reg *reg, const void *entry, struct reg_err *err);

static const void *get_profile(const struct reg *reg, const void *e)
{
	return reg_profile_get(reg, ((const struct reg_profile *)e)->name);
}
static const void *get_uplink(const struct reg *reg, const void *e)
{
	return reg_uplink_get(reg, ((const struct reg_uplink *)e)->dev);
}
static const void *get_network(const struct reg *reg, const void *e)
{
	return reg_network_get(reg, ((const struct reg_network *)e)->name);
}
static const void *get_port(const struct reg *reg, const void *e)
{
	return reg_port_get(reg, ((const struct reg_port *)e)->uuid);
}
static const void *get_attachment(const struct reg *reg, const void *e)
{
	return reg_attachment_get(reg, ((const struct reg_attachment *)e)->iface_id);
}
static const void *get_binding(const struct reg *reg, const void *e)
{
	return reg_binding_get(reg, ((const struct reg_binding *)e)->iface_id);
}

/* Every entry struct has its origin; fetch it through the kind table. */
typedef const void *(*getk_fn)(const struct reg *reg, const char *key);
typedef int (*del_fn)(struct reg *reg, const char *key, struct reg_err *err);
typedef json_t *(*to_fn)(const void *entry);

struct kind {
	const char *key;	/* the snapshot's array */
	const char *jname;	/* the journal's "kind" */
	enum reg_kind rkind;
	size_t size;
	from_fn from;
	get_fn get;
	add_fn add;
	size_t origin_off;
	getk_fn getk;
	add_fn set;		/* replay of a put over an existing entry; NULL: none */
	del_fn del;
	to_fn to;
};

#define KIND(k, j, rk, type, fromf, getf, addf, getkf, setf, delf, tof)				\
	{ k, j, rk, sizeof(type), (from_fn)fromf, getf, (add_fn)addf, offsetof(type, origin),	\
	  (getk_fn)getkf, (add_fn)setf, delf, (to_fn)tof }

/* A put over an existing entry replays the mutation that made it: set for
 * profiles, uplinks and networks, a move for attachments, the completion
 * of dev for bindings (reg_bind); ports are never changed in place. */
static const struct kind kinds[] = {
	KIND("profiles", "profile", REG_KIND_PROFILE, struct reg_profile, reg_profile_from_json, get_profile,
	     reg_profile_add, reg_profile_get, reg_profile_set, reg_profile_del, reg_profile_to_json),
	KIND("uplinks", "uplink", REG_KIND_UPLINK, struct reg_uplink, reg_uplink_from_json, get_uplink,
	     reg_uplink_add, reg_uplink_get, reg_uplink_set, reg_uplink_del, reg_uplink_to_json),
	KIND("networks", "network", REG_KIND_NETWORK, struct reg_network, reg_network_from_json, get_network,
	     reg_network_add, reg_network_get, reg_network_set, reg_network_del, reg_network_to_json),
	KIND("ports", "port", REG_KIND_PORT, struct reg_port, reg_port_from_json, get_port, reg_port_add,
	     reg_port_get, NULL, reg_port_del, reg_port_to_json),
	/* bindings before attachments: either order is valid, this one
	 * reports each VSI once. */
	KIND("bindings", "binding", REG_KIND_BINDING, struct reg_binding, reg_binding_from_json, get_binding,
	     reg_bind, reg_binding_get, reg_bind, reg_unbind, reg_binding_to_json),
	KIND("attachments", "attachment", REG_KIND_ATTACHMENT, struct reg_attachment, reg_attachment_from_json,
	     get_attachment, reg_attach, reg_attachment_get, reg_attach, reg_detach, reg_attachment_to_json),
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static enum reg_origin origin_of(const struct kind *k, const void *e)
{
	return *(const enum reg_origin *)((const char *)e + k->origin_off);
}

/* Adds every entry array of doc; entries shadowed by a config entry are
 * skipped and counted.  Messages end with tail. */
static int load_entries(struct reg *reg, json_t *doc, const char *path, const char *tail, unsigned *skipped,
			struct reg_err *err)
{
	union reg_entry ent;
	struct reg_err e;
	int rc = -EINVAL;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct kind *k = &kinds[i];
		json_t *arr = json_object_get(doc, k->key), *item;
		size_t idx;

		if (!json_is_array(arr)) {
			sfail(err, rc, path, "\"%s\" missing or not an array%s", k->key, tail);
			goto out;
		}
		json_array_foreach(arr, idx, item) {
			const void *have;

			if (k->from(item, &ent, &e) < 0) {
				sfail(err, rc, path, "%s[%zu]: %s%s", k->key, idx, e.msg, tail);
				goto out;
			}
			if (origin_of(k, &ent) == REG_ORIGIN_CONFIG) {
				sfail(err, rc, path, "%s[%zu]: origin \"config\" is never stored%s", k->key,
				      idx, tail);
				goto out;
			}
			have = k->get(reg, &ent);
			if (have && origin_of(k, have) == REG_ORIGIN_CONFIG) {
				if (skipped)
					(*skipped)++;
				continue;
			}
			/* -EINVAL whatever the reason: -ENOENT would read as
			 * "no state file" to the caller. */
			if (k->add(reg, &ent, &e) < 0) {
				sfail(err, rc, path, "%s[%zu]: %s%s", k->key, idx, e.msg, tail);
				goto out;
			}
		}
	}
	rc = 0;
out:
	return rc;
}

int reg_store_copy_runtime(struct reg *dst, const struct reg *src, unsigned *skipped, struct reg_err *err)
{
	json_t *doc = reg_to_json(src, false);
	int rc;

	if (skipped)
		*skipped = 0;
	if (!doc)
		return sfail(err, -ENOMEM, "registry", "out of memory");
	rc = load_entries(dst, doc, "run-time entries", "", skipped, err);
	json_decref(doc);
	return rc;
}

int reg_store_load(struct reg *reg, const char *path, unsigned *skipped, struct reg_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = read_file(path, STORE_MAX_SIZE, &buf, &len, err)) < 0)
		return rc;
	rc = reg_store_load_buf(reg, path, buf, len, skipped, err);
	free(buf);
	return rc;
}

int reg_store_load_buf(struct reg *reg, const char *path, const char *buf, size_t len, unsigned *skipped,
		       struct reg_err *err)
{
	uint64_t gen;

	return reg_store_load_snapshot_buf(reg, path, buf, len, &gen, skipped, err);
}

int reg_store_load_snapshot_buf(struct reg *reg, const char *path, const char *buf, size_t len, uint64_t *gen,
				unsigned *skipped, struct reg_err *err)
{
	char want[32];
	json_t *doc, *sumj;
	json_error_t je;
	const char *fmt;
	json_int_t ver;
	uint32_t crc;
	int rc;

	if (skipped)
		*skipped = 0;
	if (len == 0)
		return sfail(err, -EINVAL, path, "empty file (a partial write?); refusing it");
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		return sfail(err, -EINVAL, path, "line %d column %d: %s (damaged or truncated); refusing it",
			     je.line, je.column, je.text);
	rc = -EINVAL;
	if (!json_is_object(doc)) {
		sfail(err, rc, path, "not a JSON object; refusing it");
		goto out;
	}
	sumj = json_object_get(doc, "checksum");
	if (!json_is_string(sumj)) {
		sfail(err, rc, path, "no \"checksum\" (damaged or not written by vdpd); refusing it");
		goto out;
	}
	snprintf(want, sizeof(want), "%s", json_string_value(sumj));
	json_object_del(doc, "checksum");
	if (doc_crc(doc, &crc) < 0) {
		rc = sfail(err, -ENOMEM, path, "out of memory");
		goto out;
	}
	{
		char have[32];

		snprintf(have, sizeof(have), "crc32:%08x", crc);
		if (strcmp(have, want)) {
			sfail(err, rc, path, "checksum mismatch (file says %s, content gives %s): damaged; refusing it",
			      want, have);
			goto out;
		}
	}
	*gen = 0;
	if (json_unpack_ex(doc, &je, 0, "{s:s, s:I}", "format", &fmt, "version", &ver)) {
		sfail(err, rc, path, "%s; refusing it", je.text);
		goto out;
	}
	if (strcmp(fmt, REG_STORE_FORMAT)) {
		sfail(err, rc, path, "format '%s' is not '%s'; refusing it", fmt, REG_STORE_FORMAT);
		goto out;
	}
	if (ver != REG_STORE_VERSION) {
		sfail(err, rc, path, "version %lld, this vdpd reads version %d; refusing it", (long long)ver,
		      REG_STORE_VERSION);
		goto out;
	}
	{
		const char *key;
		json_t *val;

		json_object_foreach(doc, key, val) {
			bool known = !strcmp(key, "format") || !strcmp(key, "version") || !strcmp(key, "generation");

			for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
				known |= !strcmp(key, kinds[i].key);
			if (!known) {
				sfail(err, rc, path, "unknown key \"%s\"; refusing it", key);
				goto out;
			}
		}
	}
	{
		/* Written by every vdpd; the journal continues from it. */
		json_t *g = json_object_get(doc, "generation");

		if (g && (!json_is_integer(g) || json_integer_value(g) < 0)) {
			sfail(err, rc, path, "\"generation\" is not a non-negative integer; refusing it");
			goto out;
		}
		*gen = g ? (uint64_t)json_integer_value(g) : 0;
	}
	rc = load_entries(reg, doc, path, "; refusing it", skipped, err);
out:
	json_decref(doc);
	return rc;
}

/* ---- journal ---- */

#define JOURNAL_MAX_SIZE (512u << 20)

void reg_store_journal_path(const char *path, char *out, size_t n)
{
	size_t l = strlen(path);

	if (l > 5 && !strcmp(path + l - 5, ".json"))
		snprintf(out, n, "%.*s%s", (int)(l - 5), path, REG_JOURNAL_SUFFIX);
	else
		snprintf(out, n, "%s%s", path, REG_JOURNAL_SUFFIX);
}

static const struct kind *kind_of(enum reg_kind rk)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (kinds[i].rkind == rk)
			return &kinds[i];
	return NULL;
}

json_t *reg_store_change_json(enum reg_kind rk, const char *key, const void *entry)
{
	const struct kind *k = kind_of(rk);

	if (!k || !key)
		return NULL;
	if (entry)
		return json_pack("{s:s, s:s, s:o}", "kind", k->jname, "op", "put", "entry", k->to(entry));
	return json_pack("{s:s, s:s, s:s}", "kind", k->jname, "op", "del", "key", key);
}

static int apply_change(struct reg *reg, json_t *c, unsigned *skipped, struct reg_err *err)
{
	union reg_entry ent;
	const char *kname, *op, *key = NULL;
	const struct kind *k = NULL;
	json_t *entry = NULL;
	json_error_t je;
	struct reg_err e;
	const void *have;
	int r;

	if (json_unpack_ex(c, &je, JSON_STRICT, "{s:s, s:s, s?o, s?s}", "kind", &kname, "op", &op, "entry", &entry,
			   "key", &key))
		return sfail(err, -EINVAL, "change", "%s", je.text);
	for (size_t i = 0; i < NKINDS; i++)
		if (!strcmp(kinds[i].jname, kname))
			k = &kinds[i];
	if (!k)
		return sfail(err, -EINVAL, "change", "kind '%s' unknown", kname);
	if (!strcmp(op, "put") && entry && !key) {
		if (k->from(entry, &ent, &e) < 0)
			return sfail(err, -EINVAL, kname, "%s", e.msg);
		if (origin_of(k, &ent) == REG_ORIGIN_CONFIG)
			return sfail(err, -EINVAL, kname, "origin \"config\" is never stored");
		have = k->get(reg, &ent);
		if (have && origin_of(k, have) == REG_ORIGIN_CONFIG) {
			if (skipped)
				(*skipped)++;
			return 0;
		}
		if (have && !k->set)
			return sfail(err, -EINVAL, kname, "put of an existing %s (never changed in place)", kname);
		r = have ? k->set(reg, &ent, &e) : k->add(reg, &ent, &e);
		if (r < 0)
			return sfail(err, -EINVAL, kname, "%s", e.msg);
		return 0;
	}
	if (!strcmp(op, "del") && key && !entry) {
		have = k->getk(reg, key);
		if (!have)
			return sfail(err, -EINVAL, kname, "delete of '%s', which does not exist", key);
		if (origin_of(k, have) == REG_ORIGIN_CONFIG) {
			if (skipped)
				(*skipped)++;
			return 0;
		}
		if ((r = k->del(reg, key, &e)) < 0)
			return sfail(err, -EINVAL, kname, "%s", e.msg);
		return 0;
	}
	return sfail(err, -EINVAL, "change", "op must be \"put\" with \"entry\" or \"del\" with \"key\"");
}

int reg_store_apply(struct reg *reg, const char *payload, size_t len, unsigned *skipped, struct reg_err *err)
{
	json_error_t je;
	json_t *doc, *changes = NULL, *c;
	struct reg_err e;
	size_t i;
	int rc = 0;

	doc = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		return sfail(err, -EINVAL, "payload", "column %d: %s", je.column, je.text);
	if (json_unpack_ex(doc, &je, JSON_STRICT, "{s:o}", "changes", &changes) || !json_is_array(changes) ||
	    !json_array_size(changes)) {
		json_decref(doc);
		return sfail(err, -EINVAL, "payload", "not {\"changes\":[...]} with at least one change");
	}
	json_array_foreach(changes, i, c) {
		if ((rc = apply_change(reg, c, skipped, &e)) < 0) {
			if (err)
				snprintf(err->msg, sizeof(err->msg), "change %zu: %.200s", i, e.msg);
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

static int replay_rec_(struct replay *rp, const struct journal_rec *rec, unsigned idx, struct reg_err *err)
{
	struct reg_err e;
	int rc;

	if (idx > 0 && rec->seq != rp->last + 1)
		return sfail(err, -EINVAL, rp->path,
			     "record %u at offset %zu: generation %llu after %llu: records are missing; refusing it",
			     idx, rec->off, (unsigned long long)rec->seq, (unsigned long long)rp->last);
	if (idx == 0 && rec->seq > rp->base + 1)
		return sfail(err, -EINVAL, rp->path,
			     "record 0 at offset %zu: generation %llu, but the snapshot is at generation %llu: records %llu..%llu are missing; refusing it",
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
		return sfail(err, -EINVAL, rp->path, "record %u at offset %zu (generation %llu): %s; refusing it", idx,
			     rec->off, (unsigned long long)rec->seq, e.msg);
	rp->live++;
	return 0;
}

static int replay_rec(void *ctx, const struct journal_rec *rec, unsigned idx, char *err, size_t errlen)
{
	struct reg_err e = { { 0 } };
	int rc = replay_rec_(ctx, rec, idx, &e);

	if (rc < 0)
		snprintf(err, errlen, "%s", e.msg);
	return rc;
}

static int replay(struct replay *rp, const char *buf, size_t len, struct journal_scan *res, struct reg_err *err)
{
	int rc;

	rp->last = rp->base;
	rc = journal_scan(rp->path, REG_JOURNAL_MAGIC, buf, len, replay_rec, rp, res, err->msg, sizeof(err->msg));
	if (rp->last < rp->base)
		rp->last = rp->base;
	return rc;
}

int reg_store_replay_buf(struct reg *reg, const char *path, const char *buf, size_t len, uint64_t base,
			 uint64_t *last, unsigned *skipped, struct reg_err *err)
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
		return sfail(err, -ENAMETOOLONG, path, "path too long");
	reg_store_journal_path(path, st->jpath, sizeof(st->jpath));
	rc = read_file(path, STORE_MAX_SIZE, &buf, &len, err);
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
	rc = read_file(st->jpath, JOURNAL_MAX_SIZE, &buf, &len, err);
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
			 "%s: torn last record at offset %zu dropped (%s): a change that was never acknowledged; it is cut off at the next save",
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
	const struct kind *k = kind_of(kind);
	json_t *c;

	st->noted++;
	st->dirty = true;
	if (st->compact)
		return;
	/* A config entry is never journaled; a change of one (only a
	 * reload does that) goes through a snapshot. */
	if (!k || (entry && origin_of(k, entry) == REG_ORIGIN_CONFIG)) {
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
			st->jfd = store_ops->open(st->jpath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
			st->jdir = true;	/* its name is not durable yet */
			st->jend = 0;
			st->jcut = false;
		}
		if (st->jfd < 0) {
			st->write_errors++;
			return sfail(err, -errno, st->jpath, "cannot open: %s", strerror(errno));
		}
	}
	if (fstat(st->jfd, &sb) < 0)
		return sfail(err, -errno, st->jpath, "fstat: %s", strerror(errno));
	if ((uint64_t)sb.st_size != st->jend && !st->jcut)
		/* Not what we left: someone else wrote it.  Start over from a
		 * snapshot rather than append after unknown octets. */
		return sfail(err, -ESTALE, st->jpath, "size %lld, expected %zu: changed behind vdpd's back",
			     (long long)sb.st_size, st->jend);
	if (st->jend < REG_JOURNAL_MAGIC_LEN) {
		st->jend = 0;
		st->jcut = true;
	}
	if (st->jcut && store_ops->ftruncate(st->jfd, (off_t)st->jend) < 0) {
		st->write_errors++;
		return sfail(err, -errno, st->jpath, "truncate to %zu: %s", st->jend, strerror(errno));
	}
	st->jcut = false;
	if (st->jend == 0) {
		if ((rc = store_pwrite_all(st->jfd, REG_JOURNAL_MAGIC, REG_JOURNAL_MAGIC_LEN, 0)) < 0) {
			st->jcut = true;
			st->write_errors++;
			return sfail(err, rc, st->jpath, "write: %s", strerror(-rc));
		}
		st->jend = REG_JOURNAL_MAGIC_LEN;
		if (store_ops->fdatasync(st->jfd) < 0) {
			st->jcut = true;
			st->jend = 0;
			st->sync_errors++;
			return sfail(err, -errno, st->jpath, "fdatasync: %s", strerror(errno));
		}
	}
	/* A new file's name must be durable before a record in it is
	 * acknowledged; after a failure, tried again on the next append. */
	if (st->jdir && (rc = store_sync_dir(st->jpath)) < 0) {
		st->sync_errors++;
		return sfail(err, rc, st->jpath, "fsync directory: %s", strerror(-rc));
	}
	st->jdir = false;
	return 0;
}

static unsigned bound_of(const struct reg_store *st)
{
	if (st->max_records)
		return st->max_records;
	return st->snap_entries > REG_JOURNAL_MIN_RECORDS ? (unsigned)st->snap_entries : REG_JOURNAL_MIN_RECORDS;
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
		return sfail(err, -ENOMEM, st->jpath, "out of memory");
	}
	rc = journal_ready(st, err);
	if (rc == 0 && (rc = store_pwrite_all(st->jfd, rec, rlen, (off_t)st->jend)) < 0) {
		st->write_errors++;
		sfail(err, rc, st->jpath, "write: %s", strerror(-rc));
	}
	if (rc == 0 && store_ops->fdatasync(st->jfd) < 0) {
		st->sync_errors++;
		rc = sfail(err, -errno, st->jpath, "fdatasync: %s", strerror(errno));
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
			return 0;	/* no journal yet: created on the first append */
		}
		st->jcut = true;	/* whatever it holds */
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
