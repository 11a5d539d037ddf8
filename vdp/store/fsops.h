/* The file system calls the stores make durable state with (the VSI
 * intents journal and snapshot, the registry's), behind a table so that
 * unit tests can make any one of them fail at any step (ENOSPC from a
 * write, EIO from an fdatasync, a rename or a directory fsync that fails)
 * and check what is reported and what the next attempt does.  Production
 * code uses the POSIX calls; only tests replace the table. */
#ifndef VDP_STORE_FSOPS_H
#define VDP_STORE_FSOPS_H

#include <stddef.h>
#include <sys/types.h>

struct store_ops {
	int (*open)(const char *path, int flags, mode_t mode);
	ssize_t (*write)(int fd, const void *buf, size_t n);
	ssize_t (*pwrite)(int fd, const void *buf, size_t n, off_t off);
	int (*ftruncate)(int fd, off_t len);
	int (*fsync)(int fd);
	int (*fdatasync)(int fd);
	int (*rename)(const char *from, const char *to);
};

extern const struct store_ops store_ops_posix;
/* The table in use: &store_ops_posix unless a test set another. */
extern const struct store_ops *store_ops;
/* NULL restores the POSIX calls. */
void store_ops_set(const struct store_ops *ops);

/* Writes all n octets (EINTR and short writes retried): 0 or -errno. */
int store_write_all(int fd, const void *buf, size_t n);
int store_pwrite_all(int fd, const void *buf, size_t n, off_t off);

/* The directory holding path ("." for a bare name, "/" for "/x") into
 * dir; -ENAMETOOLONG if it does not fit. */
int store_dir_of(const char *path, char *dir, size_t n);
/* fsync of the directory holding path: makes a rename or a creation in it
 * durable.  0 or -errno. */
int store_sync_dir(const char *path);

/* Replaces path by text crash-safely: a temporary file next to it
 * (path.tmp.PID), written, fsync'ed, closed, renamed over path, and the
 * directory fsync'ed.  Only when every step succeeded is the file
 * written: 0.  Otherwise -errno with err naming the step ("fsync
 * /var/lib/vdpd/vsis.json.tmp.42: Input/output error"); the temporary
 * file is removed, path holds the old or (after a failed directory sync)
 * perhaps the new content, and the caller must try again. */
int store_replace_file(const char *path, const char *text, size_t len, char *err, size_t errlen);

#endif
