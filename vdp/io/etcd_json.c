/* etcd v3's JSON gateway bodies and answers (see etcd_json.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "vdp/io/etcd_json.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void etcd_b64_encode(const void *in, size_t n, char *out)
{
	const uint8_t *p = in;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		*out++ = b64[v >> 18];
		*out++ = b64[(v >> 12) & 63];
		*out++ = b64[(v >> 6) & 63];
		*out++ = b64[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);

		*out++ = b64[v >> 18];
		*out++ = b64[(v >> 12) & 63];
		*out++ = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		*out++ = '=';
	}
	*out = 0;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

long etcd_b64_decode(const char *in, size_t len, uint8_t *out)
{
	long n = 0;

	if (len % 4)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;

		for (int k = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad || (v[k] = b64_val(in[i + k])) < 0) {
				return -1;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
			(uint32_t)v[3];
		out[n++] = (uint8_t)(w >> 16);
		if (pad < 2)
			out[n++] = (uint8_t)(w >> 8);
		if (pad < 1)
			out[n++] = (uint8_t)w;
	}
	return n;
}

static json_t *b64_json(const void *p, size_t n)
{
	char *s = malloc(4 * ((n + 2) / 3) + 1);
	json_t *j;

	if (!s)
		return NULL;
	etcd_b64_encode(p, n, s);
	j = json_string(s);
	free(s);
	return j;
}

static json_t *i64_json(int64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRId64, v);
	return json_string(s);
}

static char *dump(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return s;
}

/* The end of a prefix range: the prefix with its last byte incremented
 * (a prefix ends in '/', never in 0xff). */
static json_t *range_end(const char *prefix)
{
	size_t n = strlen(prefix);
	char *e = strdup(prefix);
	json_t *j;

	if (!e || !n) {
		free(e);
		return NULL;
	}
	e[n - 1]++;
	j = b64_json(e, n);
	free(e);
	return j;
}

char *etcd_body_range(const char *prefix, int64_t rev)
{
	json_t *j = json_pack("{s:o, s:o}", "key", b64_json(prefix, strlen(prefix)), "range_end",
			      range_end(prefix));

	if (j && rev)
		json_object_set_new(j, "revision", i64_json(rev));
	return dump(j);
}

char *etcd_body_watch(const char *prefix, int64_t start_rev)
{
	return dump(json_pack("{s:{s:o, s:o, s:o}}", "create_request", "key",
			      b64_json(prefix, strlen(prefix)), "range_end", range_end(prefix),
			      "start_revision", i64_json(start_rev)));
}

char *etcd_body_txn(const char *key, int64_t expect, const char *value, int64_t lease)
{
	json_t *op;

	if (value) {
		op = json_pack("{s:{s:o, s:o}}", "request_put", "key", b64_json(key, strlen(key)),
			       "value", b64_json(value, strlen(value)));
		if (op && lease)
			json_object_set_new(json_object_get(op, "request_put"), "lease",
					    i64_json(lease));
	} else {
		op = json_pack("{s:{s:o}}", "request_delete_range", "key",
			       b64_json(key, strlen(key)));
	}
	return dump(json_pack("{s:[{s:o, s:s, s:s, s:o}], s:[o]}", "compare", "key",
			      b64_json(key, strlen(key)), "target", "MOD", "result", "EQUAL",
			      "mod_revision", i64_json(expect), "success", op));
}

char *etcd_body_lease_grant(int64_t ttl)
{
	return dump(json_pack("{s:o}", "TTL", i64_json(ttl)));
}

char *etcd_body_lease_keepalive(int64_t id)
{
	return dump(json_pack("{s:o}", "ID", i64_json(id)));
}

char *etcd_body_auth(const char *user, const char *password)
{
	return dump(json_pack("{s:s, s:s}", "name", user, "password", password));
}

/* A 64-bit number the gateway writes as a string (or a plain integer);
 * absent is 0. */
static int get_i64(json_t *o, const char *name, int64_t *out, struct etcd_answer *a)
{
	json_t *v = json_object_get(o, name);
	char *end;

	*out = 0;
	if (!v)
		return 0;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) && json_string_length(v)) {
		errno = 0;
		*out = strtoll(json_string_value(v), &end, 10);
		if (!*end && !errno)
			return 0;
	}
	snprintf(a->msg, sizeof(a->msg), "\"%s\" is not a 64-bit number", name);
	return -EINVAL;
}

static int get_bool(json_t *o, const char *name, int *out, struct etcd_answer *a)
{
	json_t *v = json_object_get(o, name);

	*out = 0;
	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		snprintf(a->msg, sizeof(a->msg), "\"%s\" is not true or false", name);
		return -EINVAL;
	}
	*out = json_is_true(v);
	return 0;
}

/* The base64 field name of o, decoded into a NUL-terminated string the
 * answer owns; "" when absent. */
static int get_b64(json_t *o, const char *name, const char **out, size_t *len,
		   struct etcd_answer *a)
{
	json_t *v = json_object_get(o, name);
	char **mem;
	uint8_t *buf;
	long n;

	*out = "";
	*len = 0;
	if (!v)
		return 0;
	if (!json_is_string(v))
		goto bad;
	buf = malloc(3 * (json_string_length(v) / 4) + 1);
	mem = realloc(a->mem, (a->nmem + 1) * sizeof(*mem));
	if (!buf || !mem) {
		free(buf);
		if (mem)
			a->mem = mem;
		snprintf(a->msg, sizeof(a->msg), "out of memory");
		return -ENOMEM;
	}
	a->mem = mem;
	a->mem[a->nmem++] = (char *)buf;
	n = etcd_b64_decode(json_string_value(v), json_string_length(v), buf);
	if (n < 0)
		goto bad;
	buf[n] = 0;
	*out = (const char *)buf;
	*len = (size_t)n;
	return 0;
bad:
	snprintf(a->msg, sizeof(a->msg), "\"%s\" is not base64", name);
	return -EINVAL;
}

static int parse_kv(json_t *o, struct etcd_kv *kv, struct etcd_answer *a)
{
	size_t klen;

	if (!json_is_object(o)) {
		snprintf(a->msg, sizeof(a->msg), "a key-value is not an object");
		return -EINVAL;
	}
	if (get_b64(o, "key", &kv->key, &klen, a) ||
	    get_b64(o, "value", &kv->value, &kv->value_len, a) ||
	    get_i64(o, "mod_revision", &kv->mod_revision, a) || get_i64(o, "lease", &kv->lease, a))
		return -EINVAL;
	if (!klen || strlen(kv->key) != klen) {
		snprintf(a->msg, sizeof(a->msg), "a key is empty or holds a NUL");
		return -EINVAL;
	}
	return 0;
}

static int parse_list(json_t *o, const char *name, size_t *n, void **out, size_t size,
		      struct etcd_answer *a)
{
	json_t *arr = json_object_get(o, name);

	*n = 0;
	if (!arr)
		return 0;
	if (!json_is_array(arr)) {
		snprintf(a->msg, sizeof(a->msg), "\"%s\" is not an array", name);
		return -EINVAL;
	}
	*out = calloc(json_array_size(arr) + 1, size);
	if (!*out) {
		snprintf(a->msg, sizeof(a->msg), "out of memory");
		return -ENOMEM;
	}
	*n = json_array_size(arr);
	return 0;
}

static int parse_events(json_t *o, struct etcd_answer *a)
{
	json_t *arr = json_object_get(o, "events"), *e;
	size_t i;

	if (parse_list(o, "events", &a->nevents, (void **)&a->events, sizeof(*a->events), a))
		return -EINVAL;
	json_array_foreach (arr, i, e) {
		json_t *type = json_object_get(e, "type");

		if (!json_is_object(e) || (type && !json_is_string(type))) {
			snprintf(a->msg, sizeof(a->msg), "event %zu is malformed", i);
			return -EINVAL;
		}
		if (!type || !strcmp(json_string_value(type), "PUT"))
			a->events[i].type = ETCD_PUT;
		else if (!strcmp(json_string_value(type), "DELETE"))
			a->events[i].type = ETCD_DELETE;
		else {
			snprintf(a->msg, sizeof(a->msg), "event %zu: unknown type", i);
			return -EINVAL;
		}
		if (parse_kv(json_object_get(e, "kv"), &a->events[i].kv, a))
			return -EINVAL;
	}
	return 0;
}

/* An error answer: {"error":"text","code":N,"message":"text"} or, in a
 * stream, {"error":{"grpc_code":N,"message":"text",...}}. */
static void parse_error(json_t *top, json_t *err, struct etcd_answer *a)
{
	json_t *m = json_object_get(json_is_object(err) ? err : top, "message");
	const char *text = json_is_string(m) ? json_string_value(m)
		: json_is_string(err)        ? json_string_value(err)
					     : "unknown error";

	snprintf(a->msg, sizeof(a->msg), "%s", text);
	if (strstr(text, "compacted"))
		a->err = -ESTALE;
	else if (strstr(text, "auth") || strstr(text, "permission denied") ||
		 strstr(text, "user name"))
		a->err = -EACCES;
	else
		a->err = -EIO;
}

int etcd_answer_parse(const char *text, size_t len, struct etcd_answer *a)
{
	json_error_t je;
	json_t *top, *o, *tok;
	size_t i;
	int rc = -EINVAL;

	memset(a, 0, sizeof(*a));
	top = json_loadb(text, len, 0, &je);
	if (!top || !json_is_object(top)) {
		snprintf(a->msg, sizeof(a->msg), "not a JSON object: %s", top ? "" : je.text);
		json_decref(top);
		return -EINVAL;
	}
	if (json_object_get(top, "error")) {
		parse_error(top, json_object_get(top, "error"), a);
		json_decref(top);
		return 0;
	}
	o = json_object_get(top, "result") ? json_object_get(top, "result") : top;
	if (!json_is_object(o)) {
		snprintf(a->msg, sizeof(a->msg), "\"result\" is not an object");
		goto out;
	}
	if (get_i64(json_object_get(o, "header"), "revision", &a->revision, a) ||
	    get_bool(o, "succeeded", &a->succeeded, a) || get_bool(o, "created", &a->created, a) ||
	    get_bool(o, "canceled", &a->canceled, a) ||
	    get_i64(o, "compact_revision", &a->compact_revision, a) ||
	    get_i64(o, "ID", &a->id, a) || get_i64(o, "TTL", &a->ttl, a))
		goto out;
	if (parse_list(o, "kvs", &a->nkvs, (void **)&a->kvs, sizeof(*a->kvs), a))
		goto out;
	for (i = 0; i < a->nkvs; i++)
		if (parse_kv(json_array_get(json_object_get(o, "kvs"), i), &a->kvs[i], a))
			goto out;
	if (parse_events(o, a))
		goto out;
	tok = json_object_get(o, "token");
	if (json_is_string(tok))
		snprintf(a->token, sizeof(a->token), "%s", json_string_value(tok));
	if (a->canceled && a->compact_revision)
		a->err = -ESTALE;
	rc = 0;
out:
	json_decref(top);
	if (rc)
		etcd_answer_free(a);
	return rc;
}

void etcd_answer_free(struct etcd_answer *a)
{
	for (size_t i = 0; i < a->nmem; i++)
		free(a->mem[i]);
	free(a->mem);
	free(a->kvs);
	free(a->events);
	a->mem = NULL;
	a->nmem = 0;
	a->kvs = NULL;
	a->events = NULL;
	a->nkvs = a->nevents = 0;
}
