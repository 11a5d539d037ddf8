/* Crash-safe persistence of the registry: the snapshot, registry.json
 * (see store.h); the journal is store_journal.c. */
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
#include "profiles/reg_kind.h"
#include "profiles/store.h"
#include "profiles/store_int.h"

int reg_store_fail(struct reg_err *err, int e, const char *path, const char *fmt, ...)
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

int reg_store_write(int fd, const char *s, size_t len, off_t off)
{
	while (len) {
		ssize_t w =
			off < 0 ? store_ops->write(fd, s, len) : store_ops->pwrite(fd, s, len, off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s += w;
		len -= (size_t)w;
		if (off >= 0)
			off += w;
	}
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
		return reg_store_fail(err, -ENAMETOOLONG, path, "path too long");
	doc = reg_to_json(reg, false);
	if (!doc)
		return reg_store_fail(err, -ENOMEM, path, "out of memory");
	json_object_set_new(doc, "format", json_string(REG_STORE_FORMAT));
	json_object_set_new(doc, "version", json_integer(REG_STORE_VERSION));
	json_object_set_new(doc, "generation", json_integer((json_int_t)gen));
	if (doc_crc(doc, &crc) < 0) {
		json_decref(doc);
		return reg_store_fail(err, -ENOMEM, path, "out of memory");
	}
	snprintf(sum, sizeof(sum), "crc32:%08x", crc);
	json_object_set_new(doc, "checksum", json_string(sum));
	text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(doc);
	nl = text ? realloc(text, strlen(text) + 2) : NULL;
	if (!nl) {
		free(text);
		return reg_store_fail(err, -ENOMEM, path, "out of memory");
	}
	text = strcat(nl, "\n");

	/* The state dir itself (/var/lib/vdpd) is created when missing; its
	 * parent must exist. */
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		rc = reg_store_fail(err, -errno, path, "cannot create directory %s: %s", dir,
				    strerror(errno));
		goto out;
	}
	rc = store_replace_file(path, text, strlen(text), why, sizeof(why));
	if (rc < 0)
		reg_store_fail(err, rc, path, "%s", why);
out:
	free(text);
	return rc;
}

int reg_store_read_file(const char *path, size_t max, char **buf, size_t *len, struct reg_err *err)
{
	struct stat st;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return reg_store_fail(err, -ENOENT, path, "does not exist");
		return reg_store_fail(err, -errno, path, "cannot open: %s", strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		close(fd);
		return reg_store_fail(err, -EINVAL, path, "not a regular file of at most %zu bytes",
				      max);
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		close(fd);
		return reg_store_fail(err, -ENOMEM, path, "out of memory");
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

/* Adds every entry array of doc; entries shadowed by a config entry are
 * skipped and counted.  Messages end with tail. */
static int load_entries(struct reg *reg, json_t *doc, const char *path, const char *tail, unsigned *skipped,
			struct reg_err *err)
{
	union reg_entry ent;
	struct reg_err e;
	int rc = -EINVAL;

	for (size_t i = 0; i < REG_NKINDS; i++) {
		const struct reg_kind_ops *k = &reg_kinds[i];
		json_t *arr = json_object_get(doc, k->plural), *item;
		size_t idx;

		if (!json_is_array(arr)) {
			reg_store_fail(err, rc, path, "\"%s\" missing or not an array%s", k->plural,
				       tail);
			goto out;
		}
		json_array_foreach(arr, idx, item) {
			const void *have;

			if (k->from_json(item, &ent, &e) < 0) {
				reg_store_fail(err, rc, path, "%s[%zu]: %s%s", k->plural, idx,
					       e.msg, tail);
				goto out;
			}
			if (k->origin_of(&ent) == REG_ORIGIN_CONFIG) {
				reg_store_fail(err, rc, path,
					       "%s[%zu]: origin \"config\" is never stored%s",
					       k->plural, idx, tail);
				goto out;
			}
			have = k->get(reg, k->key_of(&ent));
			if (have && k->origin_of(have) == REG_ORIGIN_CONFIG) {
				if (skipped)
					(*skipped)++;
				continue;
			}
			/* -EINVAL whatever the reason: -ENOENT would read as
			 * "no state file" to the caller. */
			if (k->add(reg, &ent, &e) < 0) {
				reg_store_fail(err, rc, path, "%s[%zu]: %s%s", k->plural, idx,
					       e.msg, tail);
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
		return reg_store_fail(err, -ENOMEM, "registry", "out of memory");
	rc = load_entries(dst, doc, "run-time entries", "", skipped, err);
	json_decref(doc);
	return rc;
}

int reg_store_load(struct reg *reg, const char *path, unsigned *skipped, struct reg_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = reg_store_read_file(path, STORE_MAX_SIZE, &buf, &len, err)) < 0)
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

/* The whole document's checks: a JSON object whose checksum matches its
 * content, of our format and version, with no key we do not know.  0, or
 * -EINVAL (-ENOMEM) with err. */
static int snapshot_check(json_t *doc, const char *path, struct reg_err *err)
{
	char want[32], have[32];
	json_t *sumj, *val;
	json_error_t je;
	const char *fmt, *key;
	json_int_t ver;
	uint32_t crc;

	if (!json_is_object(doc))
		return reg_store_fail(err, -EINVAL, path, "not a JSON object; refusing it");
	sumj = json_object_get(doc, "checksum");
	if (!json_is_string(sumj))
		return reg_store_fail(
			err, -EINVAL, path,
			"no \"checksum\" (damaged or not written by vdpd); refusing it");
	snprintf(want, sizeof(want), "%s", json_string_value(sumj));
	json_object_del(doc, "checksum");
	if (doc_crc(doc, &crc) < 0)
		return reg_store_fail(err, -ENOMEM, path, "out of memory");
	snprintf(have, sizeof(have), "crc32:%08x", crc);
	if (strcmp(have, want))
		return reg_store_fail(
			err, -EINVAL, path,
			"checksum mismatch (file says %s, content gives %s): damaged; refusing it",
			want, have);
	if (json_unpack_ex(doc, &je, 0, "{s:s, s:I}", "format", &fmt, "version", &ver))
		return reg_store_fail(err, -EINVAL, path, "%s; refusing it", je.text);
	if (strcmp(fmt, REG_STORE_FORMAT))
		return reg_store_fail(err, -EINVAL, path, "format '%s' is not '%s'; refusing it",
				      fmt, REG_STORE_FORMAT);
	if (ver != REG_STORE_VERSION)
		return reg_store_fail(err, -EINVAL, path,
				      "version %lld, this vdpd reads version %d; refusing it",
				      (long long)ver, REG_STORE_VERSION);
	json_object_foreach (doc, key, val) {
		if (strcmp(key, "format") && strcmp(key, "version") && strcmp(key, "generation") &&
		    !reg_kind_by_plural(key))
			return reg_store_fail(err, -EINVAL, path, "unknown key \"%s\"; refusing it",
					      key);
	}
	return 0;
}

int reg_store_load_snapshot_buf(struct reg *reg, const char *path, const char *buf, size_t len,
				uint64_t *gen, unsigned *skipped, struct reg_err *err)
{
	json_error_t je;
	json_t *doc, *g;
	int rc;

	if (skipped)
		*skipped = 0;
	if (len == 0)
		return reg_store_fail(err, -EINVAL, path,
				      "empty file (a partial write?); refusing it");
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		return reg_store_fail(err, -EINVAL, path,
				      "line %d column %d: %s (damaged or truncated); refusing it",
				      je.line, je.column, je.text);
	if ((rc = snapshot_check(doc, path, err)) < 0)
		goto out;
	/* Written by every vdpd; the journal continues from it. */
	*gen = 0;
	g = json_object_get(doc, "generation");
	if (g && (!json_is_integer(g) || json_integer_value(g) < 0)) {
		rc = reg_store_fail(err, -EINVAL, path,
				    "\"generation\" is not a non-negative integer; refusing it");
		goto out;
	}
	*gen = g ? (uint64_t)json_integer_value(g) : 0;
	rc = load_entries(reg, doc, path, "; refusing it", skipped, err);
out:
	json_decref(doc);
	return rc;
}
