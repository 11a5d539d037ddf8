/* Shared by the snapshot (store.c) and the journal (store_journal.c). */
#ifndef VDP_STORE_INT_H
#define VDP_STORE_INT_H

#include <stddef.h>
#include <sys/types.h>

#include "profiles/registry.h"

#define STORE_MAX_SIZE (64u << 20) /* refuse absurd files before reading them */

/* err->msg = "path: " + the message; returns e. */
int reg_store_fail(struct reg_err *err, int e, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The whole file (at most max octets, NUL-terminated) into a malloc'ed
 * *buf: 0, -ENOENT when it does not exist, or -errno/-EINVAL with err. */
int reg_store_read_file(const char *path, size_t max, char **buf, size_t *len, struct reg_err *err);
/* All of s written at off (off < 0: at the file offset), through EINTR:
 * 0 or -errno. */
int reg_store_write(int fd, const char *s, size_t len, off_t off);
#endif
