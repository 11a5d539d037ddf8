/* The VSI table: per-VSI state shared by the station (vdp_station.c) and
 * the bridge (vdp_bridge.c) roles, with O(1) lookup by (VSIID format,
 * VSIID) and by (MAC, VID) of any MAC/VID filter entry.  Both indexes are
 * intrusive chained hash tables that double when the load passes 1, so a
 * lookup never scans the table (lldpad scans its per-port list).
 *
 * A VSI is one allocation: the fixed part plus its filter entries as a
 * flexible array; each entry carries its own link in the (MAC, VID) index.
 * The timer (one per VSI: response-wait OR keep-alive, never both) is owned
 * by the role machine. */
#ifndef VDP_VSI_H
#define VDP_VSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdp/wire/vdp_tlv.h"
#include "vdp/base/vclock.h"

/* Modes are the association TLV types; NONE = no association. */
enum vdp_mode {
	VDP_MODE_NONE = 0,
	VDP_MODE_PREASSOC = VDP_TLV_PREASSOC,
	VDP_MODE_PREASSOC_RR = VDP_TLV_PREASSOC_RR,
	VDP_MODE_ASSOC = VDP_TLV_ASSOC,
	VDP_MODE_DEASSOC = VDP_TLV_DEASSOC,
};

struct vsi;

/* A copy of a VSI's request (manager ID, type, filters): the record the
 * bridge confirmed, kept while a change of it awaits the bridge's
 * decision, so that a refusal with Keep (41.2.4) can put it back. */
struct vsi_rec {
	uint8_t mgrid[VDP_MGRID_LEN];
	uint32_t type_id;
	uint8_t type_version;
	uint8_t filter_fmt;
	uint8_t vflags;			/* saved VSI_F_VID0 */
	uint16_t n_filters;
	struct vdp_filter filters[];
};

/* A filter entry.  mac_next/idx belong to the (MAC, VID) index. */
struct vsi_fent {
	struct vdp_filter f;
	uint16_t idx;			/* position in vsi->filters[] */
	struct vsi_fent *mac_next;
};

/* Per-VSI flags (both roles). */
#define VSI_F_QUEUED	0x01	/* in the role's pending FIFO */
#define VSI_F_INFLIGHT	0x02	/* station: request sent, response awaited */
#define VSI_F_DIRTY	0x04	/* station: new local request while in flight */
#define VSI_F_VID0	0x08	/* station: a VID 0 was sent, adopt returned VIDs */
#define VSI_F_KA	0x10	/* station: the request in flight is a keep-alive */
#define VSI_F_REMOVE	0x20	/* bridge: free once the queued TLV is sent */
#define VSI_F_HARD	0x40	/* last response carried the hard-error bit */
#define VSI_F_INDEXED	0x80	/* filters are in the (MAC, VID) index */

/* vsi->flags2 */
#define VSI_F2_RESYNC	0x01	/* station: re-sent after link up / new peer,
				 * not answered yet */
#define VSI_F2_EV_VID	0x02	/* station: report VDP_EV_VID_ASSIGNED (before
				 * sm_ev) once the machine is stable */
#define VSI_F2_ECPDU	0x04	/* station: in the ECPDU ECP is carrying
				 * (st->inflight[]) */
#define VSI_F2_KA_DUE	0x08	/* station: vsi->ka_due_ms is set (the
				 * bridge's toutKeepAlive, estimated) */

struct vsi {
	struct vsi *id_next;		/* (fmt, VSIID) hash chain */
	struct vsi *q_next;		/* pending FIFO */
	struct vtimer *timer;
	void *user;			/* free for the daemon (e.g. requester) */
	void *owner;			/* the vdp_station / vdp_bridge holding it */
	struct vsi_rec *saved;		/* the confirmed request while a change of it
					 * is pending (NULL otherwise); owned */

	uint8_t vsiid[VDP_VSIID_LEN];
	uint8_t mgrid[VDP_MGRID_LEN];
	uint32_t type_id;		/* 24 bits */
	uint8_t type_version;
	uint8_t vsiid_fmt;
	uint8_t filter_fmt;
	uint8_t flags;			/* VSI_F_* */

	uint8_t state;			/* enum vdp_station_state / vdp_bridge_state */
	uint8_t mode_req;		/* station: desired mode; bridge: mode requested */
	uint8_t mode_cur;		/* confirmed mode (what the bridge last accepted) */
	uint8_t hints;			/* station: M/S bits of the request */
	uint8_t status;			/* last response status octet (station: received;
					 * bridge: to send) */
	uint8_t resp_type;		/* bridge: TLV type of the queued reply */
	uint8_t reason;			/* role-specific end/failure reason */
	uint8_t mode_sent;		/* station: mode of the TLV in flight */
	uint8_t flags2;			/* VSI_F2_* */
	uint8_t sm_ev;			/* station: event to report once the machine
					 * is stable (enum vdp_event + 1, 0 = none) */
	uint16_t n_filters;
	uint16_t cap_filters;		/* entries allocated */
	uint16_t sm_in;			/* station: machine inputs not yet consumed
					 * (VSI_IN_*, vdp_station_int.h) */
	uint32_t ka_due_ms;		/* station: a keep-alive must reach the bridge
					 * before this (vclock ms, wraps; VSI_F2_KA_DUE) */
	struct vsi_fent filters[];
};

/* A FIFO with a priority prefix: head .. prio_tail were pushed with
 * vsi_fifo_push_prio() (keep-alives: they go before new work), in their
 * own FIFO order. */
struct vsi_fifo {
	struct vsi *head;
	struct vsi *tail;
	struct vsi *prio_tail;		/* last of the priority prefix, or NULL */
	size_t n;
};

struct vsi_table {
	struct vsi **id_bkt;
	size_t id_mask;			/* buckets - 1 (power of two) */
	struct vsi_fent **mac_bkt;
	size_t mac_mask;
	size_t n;			/* VSIs */
	size_t n_mac;			/* indexed filter entries */
	uint64_t seed;			/* hash seed (flooding resistance) */
};

/* Allocates a VSI with room for n filters, zeroed. */
struct vsi *vsi_alloc(uint16_t n_filters);
/* Copies n filters into vsi (n <= cap_filters); the VSI must not be
 * indexed (call vsi_table_unindex_filters first if it is). */
void vsi_set_filters(struct vsi *v, uint8_t filter_fmt, const struct vdp_filter *f, uint16_t n);
/* A copy of v's request; NULL on ENOMEM.  Free with free(). */
struct vsi_rec *vsi_rec_save(const struct vsi *v);
/* A record of a received TLV (mgrid + association TLV); NULL on ENOMEM. */
struct vsi_rec *vsi_rec_from_assoc(const uint8_t mgrid[VDP_MGRID_LEN], const struct vdp_assoc *a);
/* Puts a saved request back into v (r->n_filters <= v->cap_filters),
 * re-indexing its MAC/VID entries in t; VSI_F_VID0 as saved. */
void vsi_rec_restore(struct vsi_table *t, struct vsi *v, const struct vsi_rec *r);
/* Frees v->saved. */
void vsi_rec_drop(struct vsi *v);
/* Copies the filters out as a plain array (for the encoder). */
void vsi_get_filters(const struct vsi *v, struct vdp_filter *out);
/* True if filters equal (format, count, every entry). */
bool vsi_filters_equal(const struct vsi *v, uint8_t fmt, const struct vdp_filter *f, uint16_t n);

int vsi_table_init(struct vsi_table *t);
/* Frees the index arrays only; the VSIs belong to the caller. */
void vsi_table_destroy(struct vsi_table *t);
/* Adds v (by its vsiid_fmt/vsiid, and its MAC/VID filters).  -EEXIST if
 * the VSIID is present, -ENOMEM. */
int vsi_table_add(struct vsi_table *t, struct vsi *v);
void vsi_table_del(struct vsi_table *t, struct vsi *v);
struct vsi *vsi_table_find(const struct vsi_table *t, uint8_t vsiid_fmt, const uint8_t vsiid[VDP_VSIID_LEN]);
/* The VSI having a filter entry with this MAC and VID (formats 2 and 4). */
struct vsi *vsi_table_find_mac(const struct vsi_table *t, const uint8_t mac[6], uint16_t vid);
/* Filter index maintenance around a change of v's filters. */
void vsi_table_unindex_filters(struct vsi_table *t, struct vsi *v);
int vsi_table_index_filters(struct vsi_table *t, struct vsi *v);
/* Iteration in hash order; v may be deleted after vsi_table_next(t, v)
 * was taken:  for (v = vsi_table_first(t); v; v = n) { n = vsi_table_next(t, v); ... } */
struct vsi *vsi_table_first(const struct vsi_table *t);
struct vsi *vsi_table_next(const struct vsi_table *t, const struct vsi *v);

/* Pending FIFO (VSI_F_QUEUED tracks membership). */
void vsi_fifo_push(struct vsi_fifo *q, struct vsi *v);
struct vsi *vsi_fifo_pop(struct vsi_fifo *q);
/* Behind the other priority VSIs, before every VSI pushed plainly. */
void vsi_fifo_push_prio(struct vsi_fifo *q, struct vsi *v);
/* O(n): only on removal of a queued VSI. */
void vsi_fifo_remove(struct vsi_fifo *q, struct vsi *v);

/* Fills the association TLV fields (type, status, ids, formats, count) of a
 * VSI for encoding. */
void vsi_to_assoc(const struct vsi *v, uint8_t type, uint8_t status, struct vdp_assoc *a);

/* Packs queued VSIs into one VDP ULPDU of at most max_len octets: the head's
 * manager ID, then the head and following queued VSIs with the same manager
 * ID, as many as fit (VSIs of other managers keep their place).  fill(arg, v,
 * a) gives each VSI's TLV (type/status); packed VSIs are popped and stored in
 * out[] (at most out_cap).  Returns the number packed, 0 if the queue is
 * empty, negative codec error if the head alone does not fit (it is popped
 * and put in out[0] so the caller can fail it). */
typedef void (*vsi_fill_fn)(void *arg, const struct vsi *v, struct vdp_assoc *a);
int vsi_fifo_pack(struct vsi_fifo *q, struct wbuf *w, vsi_fill_fn fill, void *arg,
		  struct vsi **out, size_t out_cap);

const char *vdp_mode_name(uint8_t mode);

#endif
