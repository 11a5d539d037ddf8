/* VSI table: two intrusive chained hash tables (by VSIID, by MAC/VID of
 * each filter entry) that double at load 1, and the pending FIFO with the
 * packer shared by the station and bridge roles. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/engine/vsi.h"

#define VSI_MIN_BUCKETS 16
#define VSI_PACK_SKIP_MAX 64	/* other-manager VSIs looked past per ECPDU */
#define VSI_MAX_ENTRIES ((VDP_TLV_MAX_INFO - VDP_ASSOC_FIXED) / 2)

static uint64_t hash_id(const struct vsi_table *t, uint8_t fmt, const uint8_t id[VDP_VSIID_LEN])
{
	uint64_t a, b;

	memcpy(&a, id, 8);
	memcpy(&b, id + 8, 8);
	return vsi_mix64(vsi_mix64(t->seed ^ fmt ^ a) ^ b);
}

static uint64_t hash_mac(const struct vsi_table *t, const uint8_t mac[6], uint16_t vid)
{
	uint64_t k = 0;

	memcpy(&k, mac, 6);
	k |= (uint64_t)(vid & VDP_VID_MASK) << 48;
	return vsi_mix64(t->seed ^ k);
}

static bool has_mac(uint8_t filter_fmt)
{
	return filter_fmt == VDP_FILTER_MAC_VID || filter_fmt == VDP_FILTER_GROUP_MAC_VID;
}

static struct vsi *fent_owner(struct vsi_fent *fe)
{
	return (struct vsi *)((char *)(fe - fe->idx) - offsetof(struct vsi, filters));
}

struct vsi *vsi_alloc(uint16_t n_filters)
{
	struct vsi *v = calloc(1, sizeof(*v) + (size_t)n_filters * sizeof(struct vsi_fent));

	if (v)
		v->cap_filters = n_filters;
	return v;
}

void vsi_set_filters(struct vsi *v, uint8_t filter_fmt, const struct vdp_filter *f, uint16_t n)
{
	v->filter_fmt = filter_fmt;
	v->n_filters = n;
	for (uint16_t i = 0; i < n; i++) {
		v->filters[i].f = f[i];
		v->filters[i].idx = i;
		v->filters[i].asked = f[i].ps_pcp_vid;
		v->filters[i].mac_next = NULL;
	}
}

static struct vsi_rec *rec_alloc(uint16_t n)
{
	return calloc(1, sizeof(struct vsi_rec) + (size_t)n * sizeof(struct vdp_filter));
}

struct vsi_rec *vsi_rec_save(const struct vsi *v)
{
	struct vsi_rec *r = rec_alloc(v->n_filters);

	if (!r)
		return NULL;
	memcpy(r->mgrid, v->mgrid, VDP_MGRID_LEN);
	r->type_id = v->type_id;
	r->type_version = v->type_version;
	r->filter_fmt = v->filter_fmt;
	r->vflags = v->flags & VSI_F_VID0;
	r->n_filters = v->n_filters;
	vsi_get_filters(v, r->filters);
	return r;
}

struct vsi_rec *vsi_rec_from_assoc(const uint8_t mgrid[VDP_MGRID_LEN], const struct vdp_assoc *a)
{
	struct vsi_rec *r = rec_alloc(a->n_filters);

	if (!r)
		return NULL;
	memcpy(r->mgrid, mgrid, VDP_MGRID_LEN);
	r->type_id = a->type_id;
	r->type_version = a->type_version;
	r->filter_fmt = a->filter_fmt;
	r->n_filters = a->n_filters;
	for (uint16_t i = 0; i < a->n_filters; i++)
		vdp_filter_get(a, i, &r->filters[i]);
	return r;
}

void vsi_rec_restore(struct vsi_table *t, struct vsi *v, const struct vsi_rec *r)
{
	vsi_table_unindex_filters(t, v);
	memcpy(v->mgrid, r->mgrid, VDP_MGRID_LEN);
	v->type_id = r->type_id;
	v->type_version = r->type_version;
	vsi_set_filters(v, r->filter_fmt, r->filters, r->n_filters);
	v->flags = (uint8_t)((v->flags & ~VSI_F_VID0) | r->vflags);
	vsi_table_index_filters(t, v);
}

void vsi_rec_drop(struct vsi *v)
{
	free(v->saved);
	v->saved = NULL;
}

void vsi_get_filters(const struct vsi *v, struct vdp_filter *out)
{
	for (uint16_t i = 0; i < v->n_filters; i++)
		out[i] = v->filters[i].f;
}

bool vsi_filters_equal(const struct vsi *v, uint8_t fmt, const struct vdp_filter *f, uint16_t n)
{
	if (v->filter_fmt != fmt || v->n_filters != n)
		return false;
	for (uint16_t i = 0; i < n; i++) {
		const struct vdp_filter *a = &v->filters[i].f;
		if (a->group_id != f[i].group_id || a->ps_pcp_vid != f[i].ps_pcp_vid ||
		    memcmp(a->mac, f[i].mac, 6) != 0)
			return false;
	}
	return true;
}

int vsi_table_init(struct vsi_table *t)
{
	memset(t, 0, sizeof(*t));
	t->id_bkt = calloc(VSI_MIN_BUCKETS, sizeof(*t->id_bkt));
	t->mac_bkt = calloc(VSI_MIN_BUCKETS, sizeof(*t->mac_bkt));
	if (!t->id_bkt || !t->mac_bkt) {
		vsi_table_destroy(t);
		return -ENOMEM;
	}
	t->id_mask = t->mac_mask = VSI_MIN_BUCKETS - 1;
	/* Keys come from the network (bridge) and from guests (station):
	 * seed per table so chains cannot be aimed at. */
	t->seed = vsi_mix64((uint64_t)(uintptr_t)t ^ (uint64_t)(uintptr_t)t->id_bkt ^
			    0x5644504456445044ULL);
	return 0;
}

void vsi_table_destroy(struct vsi_table *t)
{
	free(t->id_bkt);
	free(t->mac_bkt);
	t->id_bkt = NULL;
	t->mac_bkt = NULL;
	t->n = t->n_mac = 0;
}

/* Iteration order.  A VSI's place is its key (reversed hash, format,
 * VSIID): chains are kept sorted by it and buckets are visited in the
 * bit-reversed order of their index, so the walk is in key order whatever
 * the table's size.  A walk can therefore stop and resume after a key
 * (vsi_table_after) although VSIs were added, removed or the table grew in
 * between: doubling splits a bucket into two that are adjacent in this
 * order. */
static uint64_t rev64(uint64_t x)
{
	x = ((x >> 1) & 0x5555555555555555ULL) | ((x & 0x5555555555555555ULL) << 1);
	x = ((x >> 2) & 0x3333333333333333ULL) | ((x & 0x3333333333333333ULL) << 2);
	x = ((x >> 4) & 0x0f0f0f0f0f0f0f0fULL) | ((x & 0x0f0f0f0f0f0f0f0fULL) << 4);
	x = ((x >> 8) & 0x00ff00ff00ff00ffULL) | ((x & 0x00ff00ff00ff00ffULL) << 8);
	x = ((x >> 16) & 0x0000ffff0000ffffULL) | ((x & 0x0000ffff0000ffffULL) << 16);
	return (x >> 32) | (x << 32);
}

/* Bucket index <-> position in the walk: the index's bits reversed within
 * the mask's width (the same map both ways). */
static size_t bkt_flip(const struct vsi_table *t, size_t i)
{
	return (size_t)(rev64(i) >> (64 - __builtin_popcountll(t->id_mask)));
}

static int key_cmp(uint64_t ra, uint8_t fa, const uint8_t *ia, uint64_t rb, uint8_t fb,
		   const uint8_t *ib)
{
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (fa != fb)
		return fa < fb ? -1 : 1;
	return memcmp(ia, ib, VDP_VSIID_LEN);
}

static int grow_id(struct vsi_table *t)
{
	size_t nb = (t->id_mask + 1) * 2, half = t->id_mask + 1;
	struct vsi **b = calloc(nb, sizeof(*b));

	if (!b)
		return -ENOMEM;
	/* Bucket i splits into i and i + half; appending keeps both sorted. */
	for (size_t i = 0; i <= t->id_mask; i++) {
		struct vsi **tail[2] = { &b[i], &b[i + half] };
		struct vsi *v = t->id_bkt[i], *next;

		for (; v; v = next) {
			struct vsi ***at = &tail[(hash_id(t, v->vsiid_fmt, v->vsiid) & half) != 0];

			next = v->id_next;
			v->id_next = NULL;
			**at = v;
			*at = &v->id_next;
		}
	}
	free(t->id_bkt);
	t->id_bkt = b;
	t->id_mask = nb - 1;
	return 0;
}

static int grow_mac(struct vsi_table *t)
{
	size_t nb = (t->mac_mask + 1) * 2;
	struct vsi_fent **b = calloc(nb, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i <= t->mac_mask; i++) {
		struct vsi_fent *fe = t->mac_bkt[i], *next;
		for (; fe; fe = next) {
			size_t h = hash_mac(t, fe->f.mac, fe->f.ps_pcp_vid) & (nb - 1);
			next = fe->mac_next;
			fe->mac_next = b[h];
			b[h] = fe;
		}
	}
	free(t->mac_bkt);
	t->mac_bkt = b;
	t->mac_mask = nb - 1;
	return 0;
}

int vsi_table_index_filters(struct vsi_table *t, struct vsi *v)
{
	if ((v->flags & VSI_F_INDEXED) || !has_mac(v->filter_fmt))
		return 0;
	while (t->n_mac + v->n_filters > t->mac_mask + 1)
		if (grow_mac(t) < 0)
			break;	/* still correct, only longer chains */
	for (uint16_t i = 0; i < v->n_filters; i++) {
		struct vsi_fent *fe = &v->filters[i];
		size_t h = hash_mac(t, fe->f.mac, fe->f.ps_pcp_vid) & t->mac_mask;
		fe->idx = i;
		fe->mac_next = t->mac_bkt[h];
		t->mac_bkt[h] = fe;
	}
	t->n_mac += v->n_filters;
	v->flags |= VSI_F_INDEXED;
	return 0;
}

void vsi_table_unindex_filters(struct vsi_table *t, struct vsi *v)
{
	if (!(v->flags & VSI_F_INDEXED))
		return;
	for (uint16_t i = 0; i < v->n_filters; i++) {
		struct vsi_fent *fe = &v->filters[i];
		size_t h = hash_mac(t, fe->f.mac, fe->f.ps_pcp_vid) & t->mac_mask;
		struct vsi_fent **pp = &t->mac_bkt[h];
		while (*pp && *pp != fe)
			pp = &(*pp)->mac_next;
		if (*pp)
			*pp = fe->mac_next;
		fe->mac_next = NULL;
	}
	t->n_mac -= v->n_filters;
	v->flags &= (uint8_t)~VSI_F_INDEXED;
}

int vsi_table_add(struct vsi_table *t, struct vsi *v)
{
	struct vsi **pp;

	if (vsi_table_find(t, v->vsiid_fmt, v->vsiid))
		return -EEXIST;
	if (t->n + 1 > t->id_mask + 1 && grow_id(t) < 0 && t->n > 4 * (t->id_mask + 1))
		return -ENOMEM;
	pp = &t->id_bkt[hash_id(t, v->vsiid_fmt, v->vsiid) & t->id_mask];
	while (*pp && vsi_table_cmp(t, *pp, v->vsiid_fmt, v->vsiid) < 0)
		pp = &(*pp)->id_next;
	v->id_next = *pp;
	*pp = v;
	t->n++;
	v->flags &= (uint8_t)~VSI_F_INDEXED;
	return vsi_table_index_filters(t, v);
}

void vsi_table_del(struct vsi_table *t, struct vsi *v)
{
	size_t h = hash_id(t, v->vsiid_fmt, v->vsiid) & t->id_mask;
	struct vsi **pp = &t->id_bkt[h];

	while (*pp && *pp != v)
		pp = &(*pp)->id_next;
	if (!*pp)
		return;
	*pp = v->id_next;
	v->id_next = NULL;
	t->n--;
	vsi_table_unindex_filters(t, v);
}

struct vsi *vsi_table_find(const struct vsi_table *t, uint8_t vsiid_fmt, const uint8_t vsiid[VDP_VSIID_LEN])
{
	struct vsi *v = t->id_bkt[hash_id(t, vsiid_fmt, vsiid) & t->id_mask];

	for (; v; v = v->id_next)
		if (v->vsiid_fmt == vsiid_fmt && memcmp(v->vsiid, vsiid, VDP_VSIID_LEN) == 0)
			return v;
	return NULL;
}

struct vsi *vsi_table_find_mac(const struct vsi_table *t, const uint8_t mac[6], uint16_t vid)
{
	struct vsi_fent *fe = t->mac_bkt[hash_mac(t, mac, vid) & t->mac_mask];

	vid &= VDP_VID_MASK;
	for (; fe; fe = fe->mac_next)
		if (vdp_vid(fe->f.ps_pcp_vid) == vid && memcmp(fe->f.mac, mac, 6) == 0)
			return fent_owner(fe);
	return NULL;
}

/* The first VSI at walk position pos or later. */
static struct vsi *first_from(const struct vsi_table *t, size_t pos)
{
	for (; pos <= t->id_mask; pos++) {
		struct vsi *v = t->id_bkt[bkt_flip(t, pos)];

		if (v)
			return v;
	}
	return NULL;
}

struct vsi *vsi_table_first(const struct vsi_table *t)
{
	return first_from(t, 0);
}

struct vsi *vsi_table_next(const struct vsi_table *t, const struct vsi *v)
{
	if (v->id_next)
		return v->id_next;
	return first_from(t, bkt_flip(t, hash_id(t, v->vsiid_fmt, v->vsiid) & t->id_mask) + 1);
}

struct vsi *vsi_table_after(const struct vsi_table *t, uint8_t vsiid_fmt,
			    const uint8_t vsiid[VDP_VSIID_LEN])
{
	uint64_t h = hash_id(t, vsiid_fmt, vsiid), r = rev64(h);
	size_t b = h & t->id_mask;

	for (struct vsi *v = t->id_bkt[b]; v; v = v->id_next)
		if (key_cmp(rev64(hash_id(t, v->vsiid_fmt, v->vsiid)), v->vsiid_fmt, v->vsiid, r,
			    vsiid_fmt, vsiid) > 0)
			return v;
	return first_from(t, bkt_flip(t, b) + 1);
}

int vsi_table_cmp(const struct vsi_table *t, const struct vsi *v, uint8_t vsiid_fmt,
		  const uint8_t vsiid[VDP_VSIID_LEN])
{
	return key_cmp(rev64(hash_id(t, v->vsiid_fmt, v->vsiid)), v->vsiid_fmt, v->vsiid,
		       rev64(hash_id(t, vsiid_fmt, vsiid)), vsiid_fmt, vsiid);
}

void vsi_fifo_push(struct vsi_fifo *q, struct vsi *v)
{
	if (v->flags & VSI_F_QUEUED)
		return;
	v->flags |= VSI_F_QUEUED;
	v->q_next = NULL;
	if (q->tail)
		q->tail->q_next = v;
	else
		q->head = v;
	q->tail = v;
	q->n++;
}

void vsi_fifo_push_prio(struct vsi_fifo *q, struct vsi *v)
{
	struct vsi **at = q->prio_tail ? &q->prio_tail->q_next : &q->head;

	if (v->flags & VSI_F_QUEUED)
		return;
	v->flags |= VSI_F_QUEUED;
	v->q_next = *at;
	*at = v;
	if (!v->q_next)
		q->tail = v;
	q->prio_tail = v;
	q->n++;
}

struct vsi *vsi_fifo_pop(struct vsi_fifo *q)
{
	struct vsi *v = q->head;

	if (!v)
		return NULL;
	if (q->prio_tail == v)
		q->prio_tail = NULL;
	q->head = v->q_next;
	if (!q->head)
		q->tail = NULL;
	v->q_next = NULL;
	v->flags &= (uint8_t)~VSI_F_QUEUED;
	q->n--;
	return v;
}

/* Unlinks v whose predecessor is prev (NULL: v is the head). */
static void fifo_unlink(struct vsi_fifo *q, struct vsi *prev, struct vsi *v)
{
	if (prev)
		prev->q_next = v->q_next;
	else
		q->head = v->q_next;
	if (q->tail == v)
		q->tail = prev;
	if (q->prio_tail == v)
		q->prio_tail = prev; /* the prefix ends earlier (or is empty) */
	v->q_next = NULL;
	v->flags &= (uint8_t)~VSI_F_QUEUED;
	q->n--;
}

void vsi_fifo_remove(struct vsi_fifo *q, struct vsi *v)
{
	struct vsi *prev = NULL, *p;

	if (!(v->flags & VSI_F_QUEUED))
		return;
	for (p = q->head; p && p != v; p = p->q_next)
		prev = p;
	if (p)
		fifo_unlink(q, prev, v);
}

/* 802.1Qbg-2012 41.2.9, PS = "PCP significant": an entry asking for no
 * priority (PS clear) leaves the bridge free to set one; an entry asking
 * for one (PS set) is answered only with that very priority. */
bool vsi_pcp_answers(uint16_t asked, uint16_t given)
{
	return !vdp_ps(asked) ||
		(asked & (VDP_PS | VDP_PCP_MASK)) == (given & (VDP_PS | VDP_PCP_MASK));
}

void vsi_to_assoc(const struct vsi *v, uint8_t type, uint8_t status, struct vdp_assoc *a)
{
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->status = status;
	a->type_id = v->type_id;
	a->type_version = v->type_version;
	a->vsiid_fmt = v->vsiid_fmt;
	memcpy(a->vsiid, v->vsiid, VDP_VSIID_LEN);
	a->filter_fmt = v->filter_fmt;
	a->n_filters = v->n_filters;
}

int vsi_fifo_pack(struct vsi_fifo *q, struct wbuf *w, vsi_fill_fn fill, void *arg,
		  struct vsi **out, size_t out_cap)
{
	struct vdp_filter tmp[VSI_MAX_ENTRIES + 1];
	uint8_t mgrid[VDP_MGRID_LEN];
	struct vsi *prev = NULL, *v, *next;
	size_t start = w->len, n = 0, skipped = 0;
	struct vdp_assoc a;
	int rc;

	if (!q->head || out_cap == 0)
		return 0;
	/* 41.3: one Manager ID TLV first; VSIs of other managers go in
	 * other ECPDUs. */
	memcpy(mgrid, q->head->mgrid, VDP_MGRID_LEN);
	rc = vdp_encode_mgrid(w, mgrid);
	if (rc != CODEC_OK) {
		out[0] = vsi_fifo_pop(q);
		return rc;
	}
	for (v = q->head; v && n < out_cap; v = next) {
		next = v->q_next;
		if (memcmp(v->mgrid, mgrid, VDP_MGRID_LEN) != 0) {
			prev = v;
			if (++skipped > VSI_PACK_SKIP_MAX)
				break;
			continue;
		}
		if (v->n_filters > VSI_MAX_ENTRIES) {
			rc = CODEC_E_TOO_LONG;
		} else {
			fill(arg, v, &a);
			vsi_get_filters(v, tmp);
			rc = vdp_encode_assoc(w, &a, tmp, v->n_filters);
		}
		if (rc != CODEC_OK) {
			if (n == 0) {
				/* Alone it does not fit: hand it back to fail. */
				w->len = start;
				w->err = false;
				fifo_unlink(q, prev, v);
				out[0] = v;
				return rc;
			}
			break;
		}
		fifo_unlink(q, prev, v);
		out[n++] = v;
	}
	return (int)n;
}

const char *vdp_mode_name(uint8_t mode)
{
	switch ((enum vdp_mode)mode) {
	case VDP_MODE_NONE:
		return "none";
	case VDP_MODE_PREASSOC:
		return "preassoc";
	case VDP_MODE_PREASSOC_RR:
		return "preassoc-rr";
	case VDP_MODE_ASSOC:
		return "assoc";
	case VDP_MODE_DEASSOC:
		return "deassoc";
	}
	return "?";
}
