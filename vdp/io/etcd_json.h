/* etcd v3's JSON gateway, the bytes: request bodies and the parsing of
 * answers (keys and values are base64, 64-bit numbers are JSON strings).
 * No I/O; etcd_curl.c sends what these build. */
#ifndef VDP_ETCD_JSON_H
#define VDP_ETCD_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "vdp/io/etcd.h"

/* Standard base64 with padding; out must hold 4 * ((n + 2) / 3) + 1. */
void etcd_b64_encode(const void *in, size_t n, char *out);
/* The decoded length, or -1 for bad input; out must hold 3 * (len / 4). */
long etcd_b64_decode(const char *in, size_t len, uint8_t *out);

/* Bodies, malloc'd JSON text (NULL: out of memory).  A prefix range is
 * [prefix, prefix with its last byte + 1). */
char *etcd_body_range(const char *prefix, int64_t rev);
char *etcd_body_watch(const char *prefix, int64_t start_rev);
char *etcd_body_txn(const char *key, int64_t expect, const char *value, int64_t lease);
char *etcd_body_lease_grant(int64_t ttl);
char *etcd_body_lease_keepalive(int64_t id);
char *etcd_body_auth(const char *user, const char *password);

/* A parsed answer.  kvs/events point into the struct's own storage,
 * valid until etcd_answer_free. */
struct etcd_answer {
	int err; /* 0, -ESTALE (compacted), -EACCES (auth), -EIO (an error answer) */
	char msg[256]; /* etcd's message for an error answer */
	int64_t revision; /* header.revision */
	struct etcd_kv *kvs;
	size_t nkvs;
	struct etcd_event *events;
	size_t nevents;
	int succeeded; /* txn */
	int created, canceled; /* watch */
	int64_t compact_revision; /* watch canceled by compaction */
	int64_t id, ttl; /* lease */
	char token[256]; /* authenticate */
	char **mem; /* the decoded keys and values */
	size_t nmem;
};

/* One answer object (for a watch or keepalive stream: one line, the
 * object under "result" or an "error").  0 or -EINVAL with a->msg saying
 * what is malformed. */
int etcd_answer_parse(const char *text, size_t len, struct etcd_answer *a);
void etcd_answer_free(struct etcd_answer *a);

#endif
