/* Bounds-checked reading and writing of network-order byte buffers.
 *
 * A reader never touches memory outside [p, p+left); once a read fails the
 * cursor is poisoned (err set, left 0) so a sequence of reads can be checked
 * once at the end, as systemd's sd-lldp does.  A writer never writes past cap
 * and reports overflow the same way. */
#ifndef VDP_CURSOR_H
#define VDP_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
	const uint8_t *p;
	size_t left;
	bool err;
};

static inline void cur_init(struct cursor *c, const void *buf, size_t len)
{
	c->p = buf;
	c->left = len;
	c->err = false;
}

static inline bool cur_need(struct cursor *c, size_t n)
{
	if (c->err || c->left < n) {
		c->err = true;
		c->left = 0;
		return false;
	}
	return true;
}

static inline uint8_t cur_u8(struct cursor *c)
{
	if (!cur_need(c, 1))
		return 0;
	c->left--;
	return *c->p++;
}

static inline uint16_t cur_be16(struct cursor *c)
{
	if (!cur_need(c, 2))
		return 0;
	uint16_t v = (uint16_t)(c->p[0] << 8 | c->p[1]);
	c->p += 2;
	c->left -= 2;
	return v;
}

static inline uint32_t cur_be24(struct cursor *c)
{
	if (!cur_need(c, 3))
		return 0;
	uint32_t v = (uint32_t)c->p[0] << 16 | (uint32_t)c->p[1] << 8 | c->p[2];
	c->p += 3;
	c->left -= 3;
	return v;
}

static inline uint32_t cur_be32(struct cursor *c)
{
	if (!cur_need(c, 4))
		return 0;
	uint32_t v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 |
		     (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	c->left -= 4;
	return v;
}

/* Copies n bytes out; on underflow dst is zeroed. */
static inline bool cur_bytes(struct cursor *c, void *dst, size_t n)
{
	if (!cur_need(c, n)) {
		memset(dst, 0, n);
		return false;
	}
	memcpy(dst, c->p, n);
	c->p += n;
	c->left -= n;
	return true;
}

/* Returns a pointer to the next n bytes and skips them, or NULL. */
static inline const uint8_t *cur_take(struct cursor *c, size_t n)
{
	if (!cur_need(c, n))
		return NULL;
	const uint8_t *r = c->p;
	c->p += n;
	c->left -= n;
	return r;
}

/* A sub-cursor over the next n bytes; the parent skips them. */
static inline bool cur_sub(struct cursor *c, size_t n, struct cursor *sub)
{
	const uint8_t *p = cur_take(c, n);
	cur_init(sub, p, p ? n : 0);
	sub->err = p == NULL;
	return p != NULL;
}

struct wbuf {
	uint8_t *p;
	size_t len;
	size_t cap;
	bool err;
};

static inline void wbuf_init(struct wbuf *w, void *buf, size_t cap)
{
	w->p = buf;
	w->len = 0;
	w->cap = cap;
	w->err = false;
}

static inline bool wbuf_room(struct wbuf *w, size_t n)
{
	if (w->err || w->cap - w->len < n) {
		w->err = true;
		return false;
	}
	return true;
}

/* For encoders that write all of a unit or nothing: check the room first
 * (without setting err), and on a failure further on put len back to where
 * the unit began so that a caller can retry with a larger buffer. */
static inline bool wbuf_fits(const struct wbuf *w, size_t need)
{
	return !w->err && w->cap - w->len >= need;
}

static inline int wbuf_fail(struct wbuf *w, size_t saved, int err)
{
	w->len = saved;
	w->err = false;
	return err;
}

static inline void wbuf_u8(struct wbuf *w, uint8_t v)
{
	if (wbuf_room(w, 1))
		w->p[w->len++] = v;
}

static inline void wbuf_be16(struct wbuf *w, uint16_t v)
{
	if (!wbuf_room(w, 2))
		return;
	w->p[w->len++] = (uint8_t)(v >> 8);
	w->p[w->len++] = (uint8_t)v;
}

static inline void wbuf_be24(struct wbuf *w, uint32_t v)
{
	if (!wbuf_room(w, 3))
		return;
	w->p[w->len++] = (uint8_t)(v >> 16);
	w->p[w->len++] = (uint8_t)(v >> 8);
	w->p[w->len++] = (uint8_t)v;
}

static inline void wbuf_be32(struct wbuf *w, uint32_t v)
{
	wbuf_be16(w, (uint16_t)(v >> 16));
	wbuf_be16(w, (uint16_t)v);
}

static inline void wbuf_bytes(struct wbuf *w, const void *src, size_t n)
{
	if (!wbuf_room(w, n))
		return;
	memcpy(w->p + w->len, src, n);
	w->len += n;
}

static inline void wbuf_zero(struct wbuf *w, size_t n)
{
	if (!wbuf_room(w, n))
		return;
	memset(w->p + w->len, 0, n);
	w->len += n;
}

/* Overwrites a 16-bit value already written at offset off (back-patching a
 * TLV header once its length is known). */
static inline void wbuf_put_be16_at(struct wbuf *w, size_t off, uint16_t v)
{
	if (off + 2 > w->len)
		return;
	w->p[off] = (uint8_t)(v >> 8);
	w->p[off + 1] = (uint8_t)v;
}

#endif
