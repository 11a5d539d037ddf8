/* Catches what the code under test logs: log.c writes to stderr (the unit
 * tests do not call log_init), so stderr goes to a temporary file between
 * logcap_begin() and logcap_end().  Keep cmocka assertions out of that
 * window: a failure report would land in the file. */
#ifndef TESTS_LOGCAP_H
#define TESTS_LOGCAP_H

#include <stddef.h>
#include <stdio.h>

struct logcap {
	FILE *f;
	int saved_fd;
};

void logcap_begin(struct logcap *c);
/* Restores stderr; buf gets what was written (NUL-terminated, cut at cap). */
void logcap_end(struct logcap *c, char *buf, size_t cap);

#endif
