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
	uint16_t asked; /* station: PS/PCP/VID as requested (f has
					 * what the bridge filled in, 41.2.9) */
	struct vsi_fent *mac_next;
};

/* Per-VSI flags (both roles). */
#define VSI_F_QUEUED	0x01	/* in the role's pending FIFO */
#define VSI_F_INFLIGHT	0x02	/* station: request sent, response awaited */
/* 0x04: free (was the held localChange, now vsi->change_held) */
#define VSI_F_VID0	0x08	/* station: a VID 0 was sent, adopt returned VIDs */
/* 0x10: free (was the keep-alive flag, now vsi->keepalive) */
#define VSI_F_REMOVE	0x20	/* bridge: free once the queued TLV is sent */
#define VSI_F_HARD	0x40	/* last response carried the hard-error bit */
#define VSI_F_INDEXED	0x80	/* filters are in the (MAC, VID) index */

/* The inputs of a VSI's machine not yet consumed (vsi->sm_in), named
 * after the standard's variables and the events that stand for them; the
 * event handlers set them, the step that acts on one clears it
 * (SM_TAKE, vdp/engine/sm.h). */
struct vdp_station_in { /* 41.5.5, vdp_station_sm.c */
	/* global conditions, checked in every state before the state's own */
	bool begin : 1; /* BEGIN: an ended VSI is requested again */
	/* link down: stop the timer, forget the request in flight, keep
	 * the state */
	bool portDown : 1;
	bool resend : 1; /* link up / new peer: re-send the current request */
	bool rxDeassoc : 1; /* unsolicited De-Associate from the bridge */
	/* inputs of single states */
	bool localChange : 1; /* a new local request (mode_req, hints, filters) */
	bool txmit : 1; /* the queued TLV was handed to ECP */
	bool tooBig : 1; /* the queued TLV does not fit an ECPDU */
	bool ecpError : 1; /* ECP gave up on the ECPDU carrying it */
	bool rxResp : 1; /* a response (st->rx_tlv, st->rx_mgrid) */
	/* the VSI's timer expired: the response wait, or reinitKeepAlive
	 * in WAIT_SYSCMD */
	bool timeout : 1;
};

struct vdp_bridge_in { /* 41.5.6, vdp_bridge_sm.c */
	/* global conditions */
	bool deassocCmd : 1; /* vdp_bridge_deassoc(): bridge-initiated */
	bool rxDeassoc : 1; /* a De-Associate from the station */
	/* inputs of single states */
	bool rxCmd : 1; /* a (Pre-)Associate from the station (br->rx) */
	bool resourceResult : 1; /* the admit decision (br->adm) */
	bool timeout : 1; /* resourceWaitDelay (PROCESS), toutKeepAlive */
	bool txmit : 1; /* the queued reply was handed to ECP */
	bool tooBig : 1; /* the queued reply does not fit an ECPDU */
};

union vsi_in {
	struct vdp_station_in sta;
	struct vdp_bridge_in br;
	uint16_t any; /* all of them: 0 = none left */
};
_Static_assert(sizeof(union vsi_in) == sizeof(uint16_t), "the inputs take two octets");

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
	/* station only */
	bool resync : 1; /* re-sent after link up / new peer, not answered yet */
	/* report VDP_EV_VID_ASSIGNED (before sm_ev) once the machine is stable */
	bool ev_vid : 1;
	bool in_ecpdu : 1; /* in the ECPDU ECP is carrying (st->inflight[]) */
	/* localChange held while a request is in flight: sent once its
	 * response is in */
	bool change_held : 1;
	bool keepalive : 1; /* the request queued or in flight is a keep-alive */
	bool ka_due_set : 1; /* ka_due_ms holds the bridge's toutKeepAlive (estimated) */
	uint8_t sm_ev;			/* station: event to report once the machine
					 * is stable (enum vdp_event + 1, 0 = none) */
	uint16_t n_filters;
	uint16_t cap_filters;		/* entries allocated */
	union vsi_in sm_in; /* machine inputs not yet consumed */
	uint32_t ka_due_ms; /* station: a keep-alive must reach the bridge
					 * before this (vclock ms, wraps; ka_due_set) */
	struct vsi_fent filters[];
};

/* A FIFO with a priority prefix: head .. prio_tail were pushed with
 * vsi_fifo_push_prio() (keep-alives: they go before new work), in their
 * own FIFO order. */
struct vsi_fifo {
	struct vsi *head;
	struct vsi *tail;
	struct vsi *prio_tail; /* last of the priority prefix, or NULL */
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

/* splitmix64 finaliser: the table's hashes and the station's keep-alive
 * spread. */
static inline uint64_t vsi_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

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
/* True if the association TLV a (manager ID mgrid) names v's request:
 * manager ID, type ID and version, filter format and count, each filter's
 * group ID and MAC; a VID 0 on the side wild says (VSI_VID0_IN_VSI: v's
 * own, e.g. a station's request whose VID the bridge chooses;
 * VSI_VID0_IN_TLV: a's, a keep-alive of a VID the bridge assigned)
 * matches any VID.  The mode is the caller's to compare.  The asking
 * side's priority, if it set PS, must be the other side's (41.2.9). */
enum vsi_vid0 { VSI_VID0_IN_VSI, VSI_VID0_IN_TLV };
/* The same side says whose priority was asked for: a PS/PCP asked for
 * must be answered with that PS/PCP (vsi_pcp_answers()). */
bool vsi_pcp_answers(uint16_t asked, uint16_t given);
static inline bool vsi_keys_match(const struct vsi *v, const uint8_t mgrid[VDP_MGRID_LEN],
				  const struct vdp_assoc *a, enum vsi_vid0 wild)
{
	if (memcmp(v->mgrid, mgrid, VDP_MGRID_LEN) != 0 || v->type_id != a->type_id ||
	    v->type_version != a->type_version || v->filter_fmt != a->filter_fmt ||
	    v->n_filters != a->n_filters)
		return false;
	for (uint16_t i = 0; i < a->n_filters; i++) {
		struct vdp_filter f;
		const struct vdp_filter *o = &v->filters[i].f;
		uint16_t ours = vdp_vid(o->ps_pcp_vid), theirs;

		vdp_filter_get(a, i, &f);
		if (f.group_id != o->group_id || memcmp(f.mac, o->mac, 6) != 0)
			return false;
		theirs = vdp_vid(f.ps_pcp_vid);
		if (ours != theirs && (wild == VSI_VID0_IN_VSI ? ours : theirs) != 0)
			return false;
		if (!vsi_pcp_answers(wild == VSI_VID0_IN_VSI ? o->ps_pcp_vid : f.ps_pcp_vid,
				     wild == VSI_VID0_IN_VSI ? f.ps_pcp_vid : o->ps_pcp_vid))
			return false;
	}
	return true;
}

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
/* Iteration in key order (a seeded hash of format and VSIID, fixed for
 * the table's life); v may be deleted after vsi_table_next(t, v) was
 * taken:  for (v = vsi_table_first(t); v; v = n) { n = vsi_table_next(t, v); ... } */
struct vsi *vsi_table_first(const struct vsi_table *t);
struct vsi *vsi_table_next(const struct vsi_table *t, const struct vsi *v);
/* The first VSI after the key (format, VSIID) in that order, which need not
 * be in the table: a walk resumes there in O(1), and a VSI present since
 * the walk began is met once, whatever was added, removed or regrown. */
struct vsi *vsi_table_after(const struct vsi_table *t, uint8_t vsiid_fmt,
			    const uint8_t vsiid[VDP_VSIID_LEN]);
/* <0, 0, >0 as v comes before, is, or comes after the key in that order. */
int vsi_table_cmp(const struct vsi_table *t, const struct vsi *v, uint8_t vsiid_fmt,
		  const uint8_t vsiid[VDP_VSIID_LEN]);

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
