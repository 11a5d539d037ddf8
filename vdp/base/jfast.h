/* JSON text in and out for the hot paths (control requests and replies):
 * the same bytes and values as jansson, in a fraction of its time.
 *
 * jfast_dumps() writes what json_dumps(j, JSON_COMPACT) writes; jfast_loadb()
 * returns what json_loadb() returns.  Each handles the common shapes itself
 * (ASCII strings, integers, true/false/null, objects and arrays of those)
 * and hands anything else to jansson whole: reals, \u escapes, non-ASCII
 * text, duplicate keys, malformed input.  So errors, their positions and
 * their messages are jansson's. */
#ifndef VDP_BASE_JFAST_H
#define VDP_BASE_JFAST_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* JSON text being written, NUL-terminated (p is malloc'ed, NULL while
 * empty).  punt: something was not written (out of memory, or a value
 * only jansson writes: jfast_put_json() has it write that itself). */
struct jfast_buf {
	char *p;
	size_t len, cap;
	bool punt;
};

/* n octets as they are. */
void jfast_put(struct jfast_buf *b, const char *s, size_t n);
/* s as a JSON string; punt for non-ASCII or NULL (json_string() would
 * check it or fail). */
void jfast_put_str(struct jfast_buf *b, const char *s);
void jfast_put_int(struct jfast_buf *b, json_int_t v);
void jfast_put_bool(struct jfast_buf *b, bool v);
/* Any value, as json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) writes it. */
void jfast_put_json(struct jfast_buf *b, const json_t *j);

/* json_dumps(j, JSON_COMPACT): a NUL-terminated string to free(), or NULL;
 * *len (when not NULL) its length. */
char *jfast_dumps(const json_t *j, size_t *len);

/* json_loadb(buf, len, flags, err).  flags other than
 * JSON_REJECT_DUPLICATES are passed to jansson. */
json_t *jfast_loadb(const char *buf, size_t len, size_t flags, json_error_t *err);

#endif
