/* A journal of JSON records (see jlog.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "vdp/store/jlog.h"
#include "vdp/store/journal.h"
#include "vdp/store/fsops.h"
#include "vdp/base/log.h"

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

static int read_all(int fd, char **out, size_t *len)
{
	struct stat sb;
	size_t got = 0;
	char *buf;

	if (fstat(fd, &sb) < 0)
		return -errno;
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -EIO;
		}
		got += (size_t)n;
	}
	buf[got] = 0;
	*out = buf;
	*len = got;
	return 0;
}

struct replay {
	jlog_apply_fn apply;
	void *ctx;
	uint64_t last;
};

static int replay_rec(void *ctx, const struct journal_rec *rec, unsigned idx, char *err, size_t errlen)
{
	struct replay *rp = ctx;
	json_error_t jerr;
	char why[256];
	json_t *doc;
	int rc;

	if (idx > 0 && rec->seq != rp->last + 1)
		return fail(err, errlen, -EINVAL, "record %u at offset %zu: sequence %llu after %llu: records are missing",
			    idx, rec->off, (unsigned long long)rec->seq, (unsigned long long)rp->last);
	rp->last = rec->seq;
	doc = json_loadb(rec->payload, rec->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return fail(err, errlen, -EINVAL, "record %u at offset %zu: %s", idx, rec->off,
			    doc ? "not a JSON object" : jerr.text);
	}
	why[0] = 0;
	rc = rp->apply(rp->ctx, doc, why, sizeof(why));
	json_decref(doc);
	if (rc < 0)
		return fail(err, errlen, -EINVAL, "record %u at offset %zu: refused: %s", idx, rec->off, why);
	return 0;
}

int jlog_replay(const char *name, const char *magic, const char *buf, size_t len, size_t *good, size_t *records,
		bool *torn, uint64_t *last_seq, jlog_apply_fn apply, void *ctx, char *err, size_t errlen)
{
	struct replay rp = { .apply = apply, .ctx = ctx };
	struct journal_scan res;
	char why[384];
	int rc;

	rc = journal_scan(name, magic, buf, len, replay_rec, &rp, &res, why, sizeof(why));
	*good = res.end;
	*records = res.records;
	*torn = res.torn;
	*last_seq = rp.last;
	if (rc < 0) {
		/* journal_scan's own errors name the file; the record's don't */
		if (!strncmp(why, name, strlen(name)))
			return fail(err, errlen, rc, "%s", why);
		return fail(err, errlen, rc, "%s: %s", name, why);
	}
	if (res.torn)
		log_warn("jlog", "%s: last record incomplete at offset %zu (%s): never acknowledged, dropped", name,
			 res.torn_off, res.torn_why);
	return 0;
}

int jlog_open(struct jlog *j, const char *path, const char *magic, jlog_apply_fn apply, void *ctx, char *err,
	      size_t errlen)
{
	size_t len = 0, good = 0;
	char *buf = NULL;
	bool torn = false;
	int rc;

	memset(j, 0, sizeof(*j));
	j->magic = magic;
	j->fd = store_ops->open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (j->fd < 0)
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	j->path = strdup(path);
	j->pending = evbuffer_new();
	rc = j->pending && j->path ? read_all(j->fd, &buf, &len) : -ENOMEM;
	if (rc < 0) {
		fail(err, errlen, rc, "%s: %s", path, strerror(-rc));
		goto out;
	}
	rc = jlog_replay(path, magic, buf, len, &good, &j->records, &torn, &j->seq, apply, ctx, err, errlen);
	j->torn = torn;
	if (rc == 0 && good < len &&
	    (store_ops->ftruncate(j->fd, (off_t)good) < 0 || store_ops->fsync(j->fd) < 0))
		rc = fail(err, errlen, -errno, "%s: cutting the incomplete record off: %s", path, strerror(errno));
	j->size = good;
	j->synced = good;
out:
	free(buf);
	if (rc < 0)
		jlog_close(j);
	return rc;
}

int jlog_append_text(struct jlog *j, const char *json, size_t len)
{
	size_t n = 0;
	char *r = journal_encode(j->seq + 1, json, len, &n);
	int rc = -ENOMEM;

	if (!r)
		return -ENOMEM;
	/* An empty file starts with the magic line. */
	if (j->synced == 0 && evbuffer_get_length(j->pending) == 0 &&
	    evbuffer_add(j->pending, j->magic, strlen(j->magic)) < 0)
		goto out;
	if (evbuffer_add(j->pending, r, n) < 0)
		goto out;
	j->seq++;
	j->records++;
	j->appends++;
	rc = 0;
out:
	free(r);
	return rc;
}

int jlog_append(struct jlog *j, json_t *rec)
{
	char *text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
	int rc = text ? jlog_append_text(j, text, strlen(text)) : -ENOMEM;

	json_decref(rec);
	free(text);
	return rc;
}

int jlog_flush(struct jlog *j)
{
	size_t n = evbuffer_get_length(j->pending), done = 0;
	const uint8_t *p;

	if (n == 0)
		return 0;
	/* Octets past the last sync: a failed write or sync left them, in
	 * the file or not.  Cut them and write them again. */
	if (j->cut || j->size != j->synced) {
		if (store_ops->ftruncate(j->fd, (off_t)j->synced) < 0) {
			j->write_errors++;
			return -errno;
		}
		j->size = j->synced;
		j->cut = false;
		j->rewrites++;
	}
	p = evbuffer_pullup(j->pending, -1);
	if (!p)
		return -ENOMEM;
	while (done < n) {
		ssize_t w = store_ops->write(j->fd, p + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			j->write_errors++;
			return w < 0 ? -errno : -EIO;
		}
		done += (size_t)w;
		j->size += (size_t)w;
	}
	if (store_ops->fdatasync(j->fd) < 0) {
		j->sync_errors++;
		return -errno;
	}
	evbuffer_drain(j->pending, n);
	j->synced = j->size;
	j->flushes++;
	return 0;
}

int jlog_reset(struct jlog *j)
{
	evbuffer_drain(j->pending, evbuffer_get_length(j->pending));
	j->records = 0;
	/* Whatever happens below, the next record starts a new file. */
	j->synced = 0;
	if (store_ops->ftruncate(j->fd, 0) < 0) {
		j->write_errors++;
		j->cut = true;
		return -errno;
	}
	j->size = 0;
	if (store_ops->fsync(j->fd) < 0) {
		j->sync_errors++;
		j->cut = true;
		return -errno;
	}
	j->cut = false;
	return 0;
}

void jlog_close(struct jlog *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	if (j->pending)
		evbuffer_free(j->pending);
	j->pending = NULL;
	free(j->path);
	j->path = NULL;
}
