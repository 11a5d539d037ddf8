/* Whole-file helpers for unit tests (they assert instead of failing). */
#ifndef TESTS_UNIT_TFILE_H
#define TESTS_UNIT_TFILE_H

#include <stddef.h>

/* The file's octets, NUL-terminated, malloc'd; *len without the NUL. */
char *tfile_read(const char *path, size_t *len);
/* Replaces the file with len octets of buf. */
void tfile_write(const char *path, const void *buf, size_t len);

#endif
