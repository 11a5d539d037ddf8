/* JSON text in and out without jansson's stream layers: see jfast.h.
 *
 * jansson reads through a per-character callback and writes through one
 * per fragment; a control request or a VSI reply (some 400 octets) costs
 * it several microseconds each way, most of a batch's time.  These walk
 * the buffer directly.  Whatever they do not handle themselves goes to
 * jansson unchanged, so the two can differ only in speed. */
#include "vdp/base/jfast.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Deeper than any control message; jansson takes the rest (it has its own
 * limit, and refuses cycles). */
#define JFAST_MAX_DEPTH 32

/* ---- out ---- */

static bool out_room(struct jfast_buf *o, size_t n)
{
	char *p;
	size_t cap;

	if (o->len + n + 1 <= o->cap)
		return true;
	cap = o->cap ? o->cap : 512;
	while (cap < o->len + n + 1)
		cap *= 2;
	p = realloc(o->p, cap);
	if (!p) {
		o->punt = true;
		return false;
	}
	o->p = p;
	o->cap = cap;
	return true;
}

void jfast_put(struct jfast_buf *o, const char *s, size_t n)
{
	if (!out_room(o, n))
		return;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void out_char(struct jfast_buf *o, char c)
{
	if (!out_room(o, 1))
		return;
	o->p[o->len++] = c;
	o->p[o->len] = '\0';
}

/* jansson escapes '"', '\\' and the controls (\b \f \n \r \t by name, the
 * rest as \u00XX, upper-case hex); it checks UTF-8, which is left to it. */
static void out_string(struct jfast_buf *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t run = 0;

	out_char(o, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = { '\\', 0 };
		size_t elen = 2;

		if (c >= 0x80) {
			o->punt = true;
			return;
		}
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jfast_put(o, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"':
			esc[1] = '"';
			break;
		case '\\':
			esc[1] = '\\';
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		jfast_put(o, esc, elen);
	}
	jfast_put(o, s + run, n - run);
	out_char(o, '"');
}

void jfast_put_str(struct jfast_buf *o, const char *s)
{
	if (!s) {
		o->punt = true; /* json_string(NULL) fails too */
		return;
	}
	out_string(o, s, strlen(s));
}

void jfast_put_int(struct jfast_buf *o, json_int_t v)
{
	char b[24], *e = b + sizeof(b), *p = e;
	/* via unsigned: the most negative value has no positive twin */
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	jfast_put(o, p, (size_t)(e - p));
}

void jfast_put_bool(struct jfast_buf *o, bool v)
{
	if (v)
		jfast_put(o, "true", 4);
	else
		jfast_put(o, "false", 5);
}

static void out_value(struct jfast_buf *o, const json_t *j, int depth)
{
	json_t *v;
	size_t i;

	if (depth > JFAST_MAX_DEPTH) {
		o->punt = true;
		return;
	}
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		out_char(o, '{');
		/* insertion order, as jansson writes them; a key may hold a NUL */
		i = 0;
		for (void *it = json_object_iter((json_t *)j); it;
		     it = json_object_iter_next((json_t *)j, it)) {
			if (i++)
				out_char(o, ',');
			out_string(o, json_object_iter_key(it), json_object_iter_key_len(it));
			out_char(o, ':');
			out_value(o, json_object_iter_value(it), depth + 1);
			if (o->punt)
				return;
		}
		out_char(o, '}');
		break;
	case JSON_ARRAY:
		out_char(o, '[');
		json_array_foreach (j, i, v) {
			if (i)
				out_char(o, ',');
			out_value(o, v, depth + 1);
			if (o->punt)
				return;
		}
		out_char(o, ']');
		break;
	case JSON_STRING:
		out_string(o, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		jfast_put_int(o, json_integer_value(j));
		break;
	case JSON_TRUE:
		jfast_put(o, "true", 4);
		break;
	case JSON_FALSE:
		jfast_put(o, "false", 5);
		break;
	case JSON_NULL:
		jfast_put(o, "null", 4);
		break;
	default: /* a real: jansson's own formatting */
		o->punt = true;
	}
}

void jfast_put_json(struct jfast_buf *o, const json_t *j)
{
	size_t start = o->len;
	char *s;

	if (o->punt)
		return;
	out_value(o, j, 0);
	if (!o->punt)
		return;
	/* jansson writes it; what jfast wrote of it goes */
	o->len = start;
	if (o->p)
		o->p[start] = '\0';
	o->punt = false;
	s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	if (s)
		jfast_put(o, s, strlen(s));
	else
		o->punt = true;
	free(s);
}

char *jfast_dumps(const json_t *j, size_t *len)
{
	struct jfast_buf o = { 0 };

	/* a whole text is an object or an array (no JSON_ENCODE_ANY) */
	if (!json_is_object(j) && !json_is_array(j))
		return NULL;
	jfast_put_json(&o, j);
	if (o.punt) {
		free(o.p);
		return NULL;
	}
	if (len)
		*len = o.len;
	return o.p;
}

/* ---- in ---- */

struct in {
	const char *p, *end;
	char *tmp; /* a string with escapes, unescaped */
	size_t tmp_cap;
};

static json_t *in_value(struct in *r, int depth);

static void in_ws(struct in *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\t' || *r->p == '\r'))
		r->p++;
}

/* The string at r->p (after its '"'): *s and *n, which point into the
 * input, or into r->tmp when it has escapes.  false for anything left to
 * jansson: \u, non-ASCII, controls, the end of input. */
static bool in_string(struct in *r, const char **s, size_t *n)
{
	const char *start = r->p, *q = start;
	size_t k = 0;

	while (q < r->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20 &&
	       (unsigned char)*q < 0x80)
		q++;
	if (q < r->end && *q == '"') {
		*s = start;
		*n = (size_t)(q - start);
		r->p = q + 1;
		return true;
	}
	if (q >= r->end || *q != '\\')
		return false;
	/* with escapes: no longer than the text it comes from */
	if (r->tmp_cap < (size_t)(r->end - start)) {
		char *t = realloc(r->tmp, (size_t)(r->end - start));

		if (!t)
			return false;
		r->tmp = t;
		r->tmp_cap = (size_t)(r->end - start);
	}
	for (q = start; q < r->end && *q != '"'; q++) {
		unsigned char c = (unsigned char)*q;

		if (c < 0x20 || c >= 0x80)
			return false;
		if (c == '\\') {
			if (++q >= r->end)
				return false;
			switch (*q) {
			case '"':
				c = '"';
				break;
			case '\\':
				c = '\\';
				break;
			case '/':
				c = '/';
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			default:
				return false; /* \u and the invalid ones */
			}
		}
		r->tmp[k++] = (char)c;
	}
	if (q >= r->end)
		return false;
	*s = r->tmp;
	*n = k;
	r->p = q + 1;
	return true;
}

/* -?(0|[1-9][0-9]*) within json_int_t; fractions and exponents (reals)
 * are jansson's, and so is an integer too big. */
static json_t *in_integer(struct in *r)
{
	bool neg = *r->p == '-';
	const char *q = r->p + neg;
	unsigned long long v = 0, lim = neg ? (unsigned long long)INT64_MAX + 1 : INT64_MAX;

	if (q >= r->end || *q < '0' || *q > '9')
		return NULL;
	if (*q == '0' && q + 1 < r->end && q[1] >= '0' && q[1] <= '9')
		return NULL;
	for (; q < r->end && *q >= '0' && *q <= '9'; q++) {
		unsigned d = (unsigned)(*q - '0');

		if (v > (lim - d) / 10)
			return NULL;
		v = v * 10 + d;
	}
	if (q < r->end && (*q == '.' || *q == 'e' || *q == 'E'))
		return NULL;
	r->p = q;
	return json_integer(neg ? (json_int_t)(0ULL - v) : (json_int_t)v);
}

static json_t *in_word(struct in *r, const char *w, size_t n, json_t *v)
{
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
		return NULL;
	r->p += n;
	return v;
}

/* After a member or an element: ',' (true, *more) or the closing c. */
static bool in_next(struct in *r, char c, bool *more)
{
	in_ws(r);
	if (r->p >= r->end)
		return false;
	*more = *r->p == ',';
	if (!*more && *r->p != c)
		return false;
	r->p++;
	return true;
}

static json_t *in_object(struct in *r, int depth)
{
	json_t *o = json_object(), *v;
	bool more = true;
	const char *k;
	char *kcopy;
	size_t kn, size;

	in_ws(r);
	if (r->p < r->end && *r->p == '}') {
		r->p++;
		return o;
	}
	while (o && more) {
		in_ws(r);
		if (r->p >= r->end || *r->p != '"')
			goto fail;
		r->p++;
		if (!in_string(r, &k, &kn))
			goto fail;
		in_ws(r);
		if (r->p >= r->end || *r->p != ':')
			goto fail;
		r->p++;
		/* an unescaped key lives in r->tmp, which the value may reuse */
		kcopy = k == r->tmp ? malloc(kn ? kn : 1) : NULL;
		if (kcopy)
			k = memcpy(kcopy, k, kn);
		v = k == r->tmp ? NULL : in_value(r, depth + 1);
		size = json_object_size(o);
		/* a duplicate replaces, the size stays: jansson's to judge */
		if (!v || json_object_setn_new_nocheck(o, k, kn, v) < 0 ||
		    json_object_size(o) != size + 1) {
			free(kcopy);
			goto fail;
		}
		free(kcopy);
		if (!in_next(r, '}', &more))
			goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

static json_t *in_array(struct in *r, int depth)
{
	json_t *a = json_array(), *v;
	bool more = true;

	in_ws(r);
	if (r->p < r->end && *r->p == ']') {
		r->p++;
		return a;
	}
	while (a && more) {
		v = in_value(r, depth + 1);
		if (!v || json_array_append_new(a, v) < 0 || !in_next(r, ']', &more)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *in_value(struct in *r, int depth)
{
	const char *s;
	size_t n;

	in_ws(r);
	if (r->p >= r->end || depth > JFAST_MAX_DEPTH)
		return NULL;
	switch (*r->p) {
	case '{':
		r->p++;
		return in_object(r, depth);
	case '[':
		r->p++;
		return in_array(r, depth);
	case '"':
		r->p++;
		return in_string(r, &s, &n) ? json_stringn_nocheck(s, n) : NULL;
	case 't':
		return in_word(r, "true", 4, json_true());
	case 'f':
		return in_word(r, "false", 5, json_false());
	case 'n':
		return in_word(r, "null", 4, json_null());
	default:
		return in_integer(r);
	}
}

json_t *jfast_loadb(const char *buf, size_t len, size_t flags, json_error_t *err)
{
	struct in r = { .p = buf, .end = buf + len };
	json_t *j = NULL;

	if (!(flags & ~(size_t)JSON_REJECT_DUPLICATES)) {
		in_ws(&r);
		/* a whole text is an object or an array (no JSON_DECODE_ANY) */
		if (r.p < r.end && (*r.p == '{' || *r.p == '['))
			j = in_value(&r, 0);
		in_ws(&r);
		if (j && r.p != r.end) {
			json_decref(j);
			j = NULL;
		}
		free(r.tmp);
	}
	if (!j)
		return json_loadb(buf, len, flags, err);
	if (err) {
		memset(err, 0, sizeof(*err));
		err->line = err->column = err->position = -1;
		strcpy(err->source, "<buffer>");
	}
	return j;
}
