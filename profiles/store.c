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

/* CRC-32 (IEEE 802.3 polynomial, reflected), bitwise: the file is small
 * and written once per change. */
uint32_t reg_crc32(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t c = 0xffffffffu;

	while (len--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

/* The checksum covers the canonical dump of everything but "checksum". */
static int doc_crc(json_t *doc, uint32_t *crc)
{
	char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);

	if (!s)
		return -ENOMEM;
	*crc = reg_crc32(s, strlen(s));
	free(s);
	return 0;
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t w = write(fd, s, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

int reg_store_save(const struct reg *reg, const char *path, struct reg_err *err)
{
	char tmp[PATH_MAX], dir[PATH_MAX], sum[32];
	json_t *doc;
	char *text = NULL;
	uint32_t crc;
	int fd = -1, dfd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp) ||
	    snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return sfail(err, -ENAMETOOLONG, path, "path too long");
	doc = reg_to_json(reg, false);
	if (!doc)
		return sfail(err, -ENOMEM, path, "out of memory");
	json_object_set_new(doc, "format", json_string(REG_STORE_FORMAT));
	json_object_set_new(doc, "version", json_integer(REG_STORE_VERSION));
	json_object_set_new(doc, "generation", json_integer((json_int_t)reg_generation(reg)));
	if (doc_crc(doc, &crc) < 0) {
		json_decref(doc);
		return sfail(err, -ENOMEM, path, "out of memory");
	}
	snprintf(sum, sizeof(sum), "crc32:%08x", crc);
	json_object_set_new(doc, "checksum", json_string(sum));
	text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(doc);
	if (!text)
		return sfail(err, -ENOMEM, path, "out of memory");

	/* The state dir itself (/var/lib/vdpd) is created when missing; its
	 * parent must exist. */
	if (mkdir(dirname(dir), 0755) < 0 && errno != EEXIST) {
		rc = sfail(err, -errno, path, "cannot create directory %s: %s", dir, strerror(errno));
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = sfail(err, -errno, path, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if ((rc = write_all(fd, text, strlen(text))) < 0 || (rc = write_all(fd, "\n", 1)) < 0) {
		sfail(err, rc, path, "write %s: %s", tmp, strerror(-rc));
		goto unlink;
	}
	if (fsync(fd) < 0) {
		rc = sfail(err, -errno, path, "fsync %s: %s", tmp, strerror(errno));
		goto unlink;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = sfail(err, -errno, path, "close %s: %s", tmp, strerror(errno));
		goto unlink;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = sfail(err, -errno, path, "rename from %s: %s", tmp, strerror(errno));
		goto unlink;
	}
	/* Make the rename itself durable. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		rc = sfail(err, -errno, path, "fsync directory %s: %s", dir, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		goto out;
	}
	close(dfd);
	rc = 0;
	goto out;
unlink:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(text);
	return rc;
}

static int read_file(const char *path, char **buf, size_t *len, struct reg_err *err)
{
	struct stat st;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return sfail(err, -ENOENT, path, "does not exist");
		return sfail(err, -errno, path, "cannot open: %s", strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > STORE_MAX_SIZE) {
		close(fd);
		return sfail(err, -EINVAL, path, "not a regular file of at most %u bytes", STORE_MAX_SIZE);
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
struct kind {
	const char *key;
	size_t size;
	from_fn from;
	get_fn get;
	add_fn add;
	size_t origin_off;
};

#define KIND(k, type, fromf, getf, addf)						\
	{ k, sizeof(type), (from_fn)fromf, getf, (add_fn)addf, offsetof(type, origin) }

static const struct kind kinds[] = {
	KIND("profiles", struct reg_profile, reg_profile_from_json, get_profile, reg_profile_add),
	KIND("uplinks", struct reg_uplink, reg_uplink_from_json, get_uplink, reg_uplink_add),
	KIND("networks", struct reg_network, reg_network_from_json, get_network, reg_network_add),
	KIND("ports", struct reg_port, reg_port_from_json, get_port, reg_port_add),
	/* bindings before attachments: either order is valid, this one
	 * reports each VSI once. */
	KIND("bindings", struct reg_binding, reg_binding_from_json, get_binding, reg_bind),
	KIND("attachments", struct reg_attachment, reg_attachment_from_json, get_attachment, reg_attach),
};

static enum reg_origin origin_of(const struct kind *k, const void *e)
{
	return *(const enum reg_origin *)((const char *)e + k->origin_off);
}

/* Adds every entry array of doc; entries shadowed by a config entry are
 * skipped and counted.  Messages end with tail. */
static int load_entries(struct reg *reg, json_t *doc, const char *path, const char *tail, unsigned *skipped,
			struct reg_err *err)
{
	union {
		struct reg_profile p;
		struct reg_uplink u;
		struct reg_network n;
		struct reg_port po;
		struct reg_attachment a;
		struct reg_binding b;
	} ent;
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

	if ((rc = read_file(path, &buf, &len, err)) < 0)
		return rc;
	rc = reg_store_load_buf(reg, path, buf, len, skipped, err);
	free(buf);
	return rc;
}

int reg_store_load_buf(struct reg *reg, const char *path, const char *buf, size_t len, unsigned *skipped,
		       struct reg_err *err)
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
	rc = load_entries(reg, doc, path, "; refusing it", skipped, err);
out:
	json_decref(doc);
	return rc;
}
