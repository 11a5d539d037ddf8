/* File system calls behind a table (see fsops.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vdp/store/fsops.h"

static int posix_open(const char *path, int flags, mode_t mode)
{
	return open(path, flags, mode);
}

const struct store_ops store_ops_posix = {
	.open = posix_open,
	.write = write,
	.pwrite = pwrite,
	.ftruncate = ftruncate,
	.fsync = fsync,
	.fdatasync = fdatasync,
	.rename = rename,
};

const struct store_ops *store_ops = &store_ops_posix;

void store_ops_set(const struct store_ops *ops)
{
	store_ops = ops ? ops : &store_ops_posix;
}

int store_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = store_ops->write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int store_pwrite_all(int fd, const void *buf, size_t n, off_t off)
{
	const char *p = buf;

	while (n) {
		ssize_t w = store_ops->pwrite(fd, p, n, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

int store_dir_of(const char *path, char *dir, size_t n)
{
	const char *slash = strrchr(path, '/');
	int len;

	/* dirname(3) is not used: for a bare name glibc returns a static "."
	 * and leaves its argument alone, which made "reg.json" its own
	 * directory. */
	if (!slash)
		len = snprintf(dir, n, ".");
	else if (slash == path)
		len = snprintf(dir, n, "/");
	else
		len = snprintf(dir, n, "%.*s", (int)(slash - path), path);
	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

int store_sync_dir(const char *path)
{
	char dir[4096];
	int fd, rc;

	rc = store_dir_of(path, dir, sizeof(dir));
	if (rc < 0)
		return rc;
	fd = store_ops->open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = store_ops->fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

int store_replace_file(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
	char tmp[4096], dir[4096];
	const char *step;
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp) ||
	    store_dir_of(path, dir, sizeof(dir)) < 0) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = store_ops->open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(-rc));
		return rc;
	}
	step = "write";
	rc = store_write_all(fd, text, len);
	if (rc == 0) {
		step = "fsync";
		rc = store_ops->fsync(fd) < 0 ? -errno : 0;
	}
	if (close(fd) < 0 && rc == 0) {
		step = "close";
		rc = -errno;
	}
	if (rc == 0) {
		step = "rename to";
		rc = store_ops->rename(tmp, path) < 0 ? -errno : 0;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s %s: %s", step, strcmp(step, "rename to") ? tmp : path,
			 strerror(-rc));
		unlink(tmp);
		return rc;
	}
	/* The rename is not durable until its directory is: a power loss
	 * could bring the old file back, so this is a failure too. */
	rc = store_sync_dir(path);
	if (rc < 0)
		snprintf(err, errlen, "fsync directory %s: %s", dir, strerror(-rc));
	return rc;
}
