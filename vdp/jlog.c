/* Append-only JSON-lines log (see jlog.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "vdp/jlog.h"
#include "vdp/log.h"

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

int jlog_replay(const char *name, const char *buf, size_t len, size_t *good, size_t *records, bool *torn,
		jlog_apply_fn apply, void *ctx, char *err, size_t errlen)
{
	size_t off = 0, line = 0;

	*good = 0;
	*records = 0;
	*torn = false;
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		json_error_t jerr;
		char why[256];
		json_t *rec;

		line++;
		if (!nl) {
			/* Cut short by a crash: it was never acknowledged. */
			*torn = true;
			log_warn("jlog", "%s:%zu: last record incomplete (%zu bytes, no newline): dropped", name,
				 line, len - off);
			return 0;
		}
		rec = json_loadb(buf + off, (size_t)(nl - (buf + off)), JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(rec)) {
			json_decref(rec);
			return fail(err, errlen, -EINVAL, "%s:%zu: damaged record: %s", name, line,
				    rec ? "not a JSON object" : jerr.text);
		}
		why[0] = 0;
		if (apply(ctx, rec, why, sizeof(why)) < 0) {
			json_decref(rec);
			return fail(err, errlen, -EINVAL, "%s:%zu: record refused: %s", name, line, why);
		}
		json_decref(rec);
		(*records)++;
		off = (size_t)(nl - buf) + 1;
		*good = off;
	}
	return 0;
}

int jlog_open(struct jlog *j, const char *path, jlog_apply_fn apply, void *ctx, char *err, size_t errlen)
{
	size_t len = 0, good = 0;
	char *buf = NULL;
	bool torn = false;
	int rc;

	memset(j, 0, sizeof(*j));
	j->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (j->fd < 0)
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	j->path = strdup(path);
	j->pending = evbuffer_new();
	rc = j->pending && j->path ? read_all(j->fd, &buf, &len) : -ENOMEM;
	if (rc < 0) {
		fail(err, errlen, rc, "%s: %s", path, strerror(-rc));
		goto out;
	}
	rc = jlog_replay(path, buf, len, &good, &j->records, &torn, apply, ctx, err, errlen);
	j->torn = torn;
	if (rc == 0 && good < len && (ftruncate(j->fd, (off_t)good) < 0 || fsync(j->fd) < 0))
		rc = fail(err, errlen, -errno, "%s: cutting the incomplete record off: %s", path, strerror(errno));
out:
	free(buf);
	if (rc < 0)
		jlog_close(j);
	return rc;
}

int jlog_append(struct jlog *j, json_t *rec)
{
	char *text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
	int rc;

	json_decref(rec);
	if (!text)
		return -ENOMEM;
	/* json_dumps escapes control characters: the text holds no newline. */
	rc = evbuffer_add_printf(j->pending, "%s\n", text) < 0 ? -ENOMEM : 0;
	free(text);
	if (rc == 0) {
		j->records++;
		j->appends++;
	}
	return rc;
}

int jlog_flush(struct jlog *j)
{
	if (evbuffer_get_length(j->pending) == 0)
		return 0;
	while (evbuffer_get_length(j->pending) > 0) {
		int n = evbuffer_write(j->pending, j->fd);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
	}
	if (fdatasync(j->fd) < 0)
		return -errno;
	j->flushes++;
	return 0;
}

int jlog_reset(struct jlog *j)
{
	evbuffer_drain(j->pending, evbuffer_get_length(j->pending));
	j->records = 0;
	if (ftruncate(j->fd, 0) < 0 || fsync(j->fd) < 0)
		return -errno;
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
