/* The VSI intents in memory (see intent_table.h).  A record is ~130 octets
 * of heap where the jansson object of its vsi.add arguments was ~2 KiB, and
 * a change renders its journal line straight from it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/wire/vdp_text.h"
#include "vdp/daemon/ctl_cmds.h"
#include "vdp/daemon/intent_table.h"

#define MIN_SLOTS 64

void itab_init(struct intent_table *t)
{
	memset(t, 0, sizeof(*t));
}

static void entry_free(struct intent *e)
{
	json_decref(e->nl);
	json_decref(e->raw);
	if (e->filters != &e->one)
		free(e->filters);
	free(e);
}

void itab_free(struct intent_table *t)
{
	for (struct intent *e = t->first, *next; e; e = next) {
		next = e->next;
		entry_free(e);
	}
	for (uint32_t i = 0; i < t->n_names; i++)
		free(t->names[i]);
	free(t->names);
	free(t->slots);
	itab_init(t);
}

/* ---- uplink names: few, shared by many VSIs ---- */

/* Continuation octets after a lead octet (0 for ASCII), -1 if it cannot
 * lead. */
static int utf8_tail(unsigned char c)
{
	if (c < 0x80)
		return 0;
	if (c >= 0xc2 && c < 0xe0)
		return 1;
	if ((c & 0xf0) == 0xe0)
		return 2;
	if (c >= 0xf0 && c < 0xf5)
		return 3;
	return -1;
}

/* jansson refuses strings that are not UTF-8: so did the old map. */
static bool utf8_valid(const unsigned char *s)
{
	while (*s) {
		int n = utf8_tail(*s);
		uint32_t cp = *s & (0x7fu >> (n > 0 ? n + 1 : 0));

		if (n < 0)
			return false;
		for (int i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		/* overlong, surrogate or past U+10FFFF */
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		s += n + 1;
	}
	return true;
}

int64_t itab_name_find(struct intent_table *t, const char *uplink)
{
	if (t->last_name < t->n_names && !strcmp(t->names[t->last_name], uplink))
		return t->last_name;
	for (uint32_t i = 0; i < t->n_names; i++)
		if (!strcmp(t->names[i], uplink))
			return t->last_name = i;
	return -1;
}

int64_t itab_name_intern(struct intent_table *t, const char *uplink)
{
	int64_t i = itab_name_find(t, uplink);

	if (i >= 0)
		return i;
	if (!utf8_valid((const unsigned char *)uplink) || t->n_names == UINT32_MAX)
		return -1;
	if (t->n_names == t->cap_names) {
		uint32_t cap = t->cap_names ? t->cap_names * 2 : 8;
		char **n = realloc(t->names, cap * sizeof(*n));

		if (!n)
			return -1;
		t->names = n;
		t->cap_names = cap;
	}
	if (!(t->names[t->n_names] = strdup(uplink)))
		return -1;
	return t->last_name = t->n_names++;
}

const char *itab_name(const struct intent_table *t, uint32_t up)
{
	return up < t->n_names ? t->names[up] : "";
}

/* ---- the table ---- */

/* Every input bit reaches the low bits the chains are chosen by: VSIIDs
 * often differ only in a few octets (a counter at the end of a UUID). */
static uint64_t fmix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

static uint32_t hash_of(uint32_t up, uint8_t fmt, const uint8_t vsiid[VDP_VSIID_LEN])
{
	uint64_t a, b;

	memcpy(&a, vsiid, 8);
	memcpy(&b, vsiid + 8, 8);
	return (uint32_t)fmix64(a ^ fmix64(b ^ ((uint64_t)up << 8 | fmt)));
}

struct intent *itab_find(struct intent_table *t, uint32_t up, uint8_t fmt,
			 const uint8_t vsiid[VDP_VSIID_LEN])
{
	uint32_t h = hash_of(up, fmt, vsiid);

	if (!t->slots)
		return NULL;
	for (struct intent *e = t->slots[h & t->mask]; e; e = e->hnext)
		if (e->hash == h && e->up == up && e->vsiid_fmt == fmt &&
		    !memcmp(e->vsiid, vsiid, VDP_VSIID_LEN))
			return e;
	return NULL;
}

/* Twice the chains once there are more entries than chains. */
static int grow(struct intent_table *t)
{
	size_t n = t->slots ? (t->mask + 1) * 2 : MIN_SLOTS;
	struct intent **s;

	if (t->slots && t->n < t->mask + 1)
		return 0;
	s = calloc(n, sizeof(*s));
	if (!s)
		return t->slots ? 0 : -1; /* longer chains, still correct */
	for (struct intent *e = t->first; e; e = e->next) {
		e->hnext = s[e->hash & (n - 1)];
		s[e->hash & (n - 1)] = e;
	}
	free(t->slots);
	t->slots = s;
	t->mask = n - 1;
	return 0;
}

/* The entry of a key, created empty at the end of the order if needed. */
static struct intent *slot_get(struct intent_table *t, uint32_t up, uint8_t fmt,
			       const uint8_t vsiid[VDP_VSIID_LEN])
{
	struct intent *e = itab_find(t, up, fmt, vsiid);

	if (e)
		return e;
	if (grow(t) < 0 || !(e = calloc(1, sizeof(*e))))
		return NULL;
	e->hash = hash_of(up, fmt, vsiid);
	e->up = up;
	e->vsiid_fmt = fmt;
	memcpy(e->vsiid, vsiid, VDP_VSIID_LEN);
	e->filters = &e->one;
	e->hnext = t->slots[e->hash & t->mask];
	t->slots[e->hash & t->mask] = e;
	e->prev = t->last;
	if (t->last)
		t->last->next = e;
	else
		t->first = e;
	t->last = e;
	t->n++;
	return e;
}

struct intent *itab_set(struct intent_table *t, uint32_t up, const struct vdp_request *req,
			json_t *nl)
{
	struct vdp_filter *f = NULL;
	struct intent *e;

	if (req->n_filters > 1 && !(f = malloc(req->n_filters * sizeof(*f)))) {
		json_decref(nl);
		return NULL;
	}
	e = slot_get(t, up, req->vsiid_fmt, req->vsiid);
	if (!e) {
		free(f);
		json_decref(nl);
		return NULL;
	}
	if (e->filters != &e->one)
		free(e->filters);
	e->filters = f ? f : &e->one;
	memcpy(e->filters, req->filters, req->n_filters * sizeof(*f));
	e->n_filters = req->n_filters;
	e->mode = req->mode;
	e->type_id = req->type_id;
	e->type_version = req->type_version;
	e->filter_fmt = req->filter_fmt;
	e->hints = req->hints;
	memcpy(e->mgrid, req->mgrid, VDP_MGRID_LEN);
	json_decref(e->nl);
	e->nl = nl;
	json_decref(e->raw);
	e->raw = NULL;
	return e;
}

struct intent *itab_set_raw(struct intent_table *t, uint32_t up, uint8_t fmt,
			    const uint8_t vsiid[VDP_VSIID_LEN], json_t *args)
{
	struct intent *e = slot_get(t, up, fmt, vsiid);

	if (!e)
		return NULL;
	if (e->filters != &e->one)
		free(e->filters);
	e->filters = &e->one;
	e->n_filters = 0;
	json_decref(e->nl);
	e->nl = NULL;
	json_incref(args);
	json_decref(e->raw);
	e->raw = args;
	return e;
}

void itab_del(struct intent_table *t, struct intent *e)
{
	struct intent **p = &t->slots[e->hash & t->mask];

	while (*p != e)
		p = &(*p)->hnext;
	*p = e->hnext;
	if (e->prev)
		e->prev->next = e->next;
	else
		t->first = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		t->last = e->prev;
	t->n--;
	entry_free(e);
}

/* ---- rendering ---- */

void itab_buf_put(struct itab_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 512;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (b->oom || !(p = realloc(b->p, cap))) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void put_str(struct itab_buf *b, const char *s)
{
	itab_buf_put(b, s, strlen(s));
}

/* jansson's escapes (no JSON_ENSURE_ASCII, no JSON_ESCAPE_SLASH): the two
 * that must be, the short forms of five controls, \uXXXX for the rest
 * below 0x20; UTF-8 as it is. */
void itab_buf_json_string(struct itab_buf *b, const char *s)
{
	static const char short_esc[0x20] = {
		['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't',
	};

	itab_buf_put(b, "\"", 1);
	while (*s) {
		size_t run =
			strcspn(s,
				"\"\\\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
				"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f");
		unsigned char c;
		char e, esc[8];

		itab_buf_put(b, s, run);
		s += run;
		if (!*s)
			break;
		/* '"', '\\' or a control character */
		c = (unsigned char)*s++;
		e = c < 0x20 ? short_esc[c] : (char)c;
		if (e) {
			char two[2] = { '\\', e };

			itab_buf_put(b, two, 2);
		} else {
			snprintf(esc, sizeof(esc), "\\u%04X", c);
			put_str(b, esc);
		}
	}
	itab_buf_put(b, "\"", 1);
}

/* ,"key":"value" (values known not to need escapes) */
static void put_kv(struct itab_buf *b, const char *key, const char *val)
{
	put_str(b, ",\"");
	put_str(b, key);
	put_str(b, "\":\"");
	put_str(b, val);
	put_str(b, "\"");
}

/* key_text then v in decimal; by hand, as snprintf was a third of the
 * rendering. */
static void put_num(struct itab_buf *b, const char *key_text, long long v)
{
	char n[24], *p = n + sizeof(n);
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	put_str(b, key_text);
	itab_buf_put(b, p, (size_t)(n + sizeof(n) - p));
}

static void render_filters(const struct intent *e, struct itab_buf *b)
{
	bool mac = e->filter_fmt == VDP_FILTER_MAC_VID || e->filter_fmt == VDP_FILTER_GROUP_MAC_VID;
	bool group =
		e->filter_fmt == VDP_FILTER_GROUP_VID || e->filter_fmt == VDP_FILTER_GROUP_MAC_VID;
	char m[VDP_TXT_MAC_LEN];

	put_str(b, ",\"filters\":[");
	for (uint16_t i = 0; i < e->n_filters; i++) {
		const struct vdp_filter *f = &e->filters[i];

		put_num(b, i ? ",{\"vid\":" : "{\"vid\":", vdp_vid(f->ps_pcp_vid));
		if (vdp_ps(f->ps_pcp_vid))
			put_num(b, ",\"pcp\":", vdp_pcp(f->ps_pcp_vid));
		if (mac) {
			vdp_txt_mac_format(f->mac, m);
			put_kv(b, "mac", m);
		}
		if (group)
			put_num(b, ",\"group\":", (long long)f->group_id);
		put_str(b, "}");
	}
	put_str(b, "]");
}

void itab_render(const struct intent_table *t, const struct intent *e, struct itab_buf *b)
{
	char id[VDP_TXT_VSIID_LEN], mgr[VDP_TXT_MGRID_LEN], *nl;

	if (e->raw) {
		nl = json_dumps(e->raw, JSON_COMPACT);
		if (!nl)
			b->oom = true;
		else
			put_str(b, nl);
		free(nl);
		return;
	}
	vdp_txt_vsiid_format(e->vsiid_fmt, e->vsiid, id);
	vdp_txt_mgrid_format(e->mgrid, mgr);
	put_str(b, "{\"uplink\":");
	itab_buf_json_string(b, itab_name(t, e->up));
	put_kv(b, "mode", vdp_txt_mode_name(e->mode));
	put_kv(b, "vsiid_format", vdp_txt_vsiid_fmt_name(e->vsiid_fmt));
	put_kv(b, "vsiid", id);
	put_kv(b, "mgrid", mgr);
	/* vdpd_request_json packs both as int */
	put_num(b, ",\"typeid\":", (int)e->type_id);
	put_num(b, ",\"typeidver\":", (int)e->type_version);
	put_kv(b, "filter_format", vdp_txt_filter_fmt_name(e->filter_fmt));
	render_filters(e, b);
	put_kv(b, "hints", vdp_txt_hints_name(e->hints));
	if (e->nl) {
		/* Only for netlink requesters: not the hot path of a batch. */
		nl = json_dumps(e->nl, JSON_COMPACT);
		put_str(b, ",\"netlink\":");
		if (!nl)
			b->oom = true;
		else
			put_str(b, nl);
		free(nl);
	}
	put_str(b, "}");
}

void itab_request(const struct intent *e, struct vdp_request *req)
{
	memset(req, 0, sizeof(*req));
	req->mode = e->mode;
	memcpy(req->mgrid, e->mgrid, VDP_MGRID_LEN);
	req->type_id = e->type_id;
	req->type_version = e->type_version;
	req->vsiid_fmt = e->vsiid_fmt;
	memcpy(req->vsiid, e->vsiid, VDP_VSIID_LEN);
	req->filter_fmt = e->filter_fmt;
	req->n_filters = e->n_filters;
	req->filters = e->filters;
	req->hints = e->hints;
}

json_t *itab_json(const struct intent_table *t, const struct intent *e)
{
	struct vdp_request req;
	json_t *args;

	if (e->raw)
		return json_incref(e->raw);
	itab_request(e, &req);
	args = vdpd_request_json(itab_name(t, e->up), &req);
	if (args && e->nl && json_object_set(args, "netlink", e->nl) < 0) {
		json_decref(args);
		return NULL;
	}
	return args;
}

/* ---- loading ---- */

static bool get_uint(json_t *o, const char *key, json_int_t max, uint32_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
		return false;
	*out = (uint32_t)json_integer_value(v);
	return true;
}

static int get_name(json_t *o, const char *key, int (*parse)(const char *))
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? parse(s) : -1;
}

/* The fields of a stored argument set, as far as they parse; whether they
 * say all it says is for the caller to check. */
static bool read_filters(json_t *args, struct vdp_request *req, struct vdp_filter *f)
{
	json_t *list = json_object_get(args, "filters"), *e;
	size_t i;

	if (!json_is_array(list) || json_array_size(list) > VDPD_MAX_FILTERS)
		return false;
	json_array_foreach (list, i, e) {
		uint32_t vid, pcp = 0, group = 0;
		const char *mac = json_string_value(json_object_get(e, "mac"));

		memset(&f[i], 0, sizeof(f[i]));
		if (!get_uint(e, "vid", VDP_VID_MASK, &vid) ||
		    (json_object_get(e, "pcp") && !get_uint(e, "pcp", 7, &pcp)) ||
		    (json_object_get(e, "group") && !get_uint(e, "group", UINT32_MAX, &group)) ||
		    (mac && vdp_txt_mac_parse(mac, f[i].mac) < 0))
			return false;
		f[i].group_id = group;
		f[i].ps_pcp_vid =
			(uint16_t)(vid |
				   (json_object_get(e, "pcp") ? VDP_PS | pcp << VDP_PCP_SHIFT : 0));
	}
	req->n_filters = (uint16_t)json_array_size(list);
	req->filters = f;
	return true;
}

static bool read_request(json_t *args, struct vdp_request *req, struct vdp_filter *f)
{
	const char *mgrid = json_string_value(json_object_get(args, "mgrid"));
	int mode = get_name(args, "mode", vdp_txt_mode_parse);
	int ffmt = get_name(args, "filter_format", vdp_txt_filter_fmt_parse);
	int hints = get_name(args, "hints", vdp_txt_hints_parse);
	uint32_t typeid, typeidver;

	if (mode < 0 || ffmt < 0 || hints < 0 || !mgrid ||
	    vdp_txt_mgrid_parse(mgrid, req->mgrid) < 0 ||
	    !get_uint(args, "typeid", UINT32_MAX, &typeid) ||
	    !get_uint(args, "typeidver", 255, &typeidver))
		return false;
	req->mode = (uint8_t)mode;
	req->filter_fmt = (uint8_t)ffmt;
	req->hints = (uint8_t)hints;
	req->type_id = typeid;
	req->type_version = (uint8_t)typeidver;
	return read_filters(args, req, f);
}

int itab_load(struct intent_table *t, json_t *args)
{
	struct vdp_filter f[VDPD_MAX_FILTERS];
	const char *up = json_string_value(json_object_get(args, "uplink"));
	int fmt = get_name(args, "vsiid_format", vdp_txt_vsiid_fmt_parse);
	const char *ids = json_string_value(json_object_get(args, "vsiid"));
	json_t *nl = json_object_get(args, "netlink"), *back;
	struct vdp_request req = { 0 };
	struct intent *e;
	int64_t u;

	if (!up || fmt < 0 || !ids || vdp_txt_vsiid_parse((uint8_t)fmt, ids, req.vsiid) < 0)
		return -1;
	req.vsiid_fmt = (uint8_t)fmt;
	u = itab_name_intern(t, up);
	if (u < 0)
		return 0; /* as the old map: not kept (not UTF-8, no memory) */
	if (!read_request(args, &req, f)) {
		itab_set_raw(t, (uint32_t)u, req.vsiid_fmt, req.vsiid, args);
		return 0;
	}
	e = itab_set(t, (uint32_t)u, &req, json_incref(nl));
	if (!e)
		return 0;
	/* Compact only if it renders back to what was stored. */
	back = itab_json(t, e);
	if (!back || !json_equal(back, args))
		itab_set_raw(t, (uint32_t)u, req.vsiid_fmt, req.vsiid, args);
	json_decref(back);
	return 0;
}
