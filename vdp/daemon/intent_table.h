/* The VSI intents in memory (vdp/daemon/intent_table.c): one compact record
 * per VSI, keyed by uplink, VSIID format and VSIID, in a hash table of its
 * own; rendered to the canonical vsi.add arguments (JSON text or a json_t)
 * only when a journal record, the snapshot or a replay needs them.  The
 * persistence around it is vdp/daemon/intents.c. */
#ifndef VDP_DAEMON_INTENT_TABLE_H
#define VDP_DAEMON_INTENT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vdp/engine/vdp_station.h"

/* One VSI's intent: what struct vdp_request holds, the uplink by its
 * interned number, and the netlink requester.  An entry of a loaded file
 * that does not read back identically from these fields (an unknown key,
 * a value vsi.add would refuse) is kept as it was, in raw, so that it
 * behaves exactly as before: refused with the same message when it is
 * requested again, written back unchanged. */
struct intent {
	struct intent *hnext; /* hash chain */
	struct intent *prev, *next; /* in the order of first insertion */
	uint32_t hash;
	uint32_t up; /* interned uplink name */
	uint32_t type_id;
	uint8_t vsiid_fmt, mode, type_version, filter_fmt, hints;
	uint16_t n_filters;
	uint8_t vsiid[VDP_VSIID_LEN];
	uint8_t mgrid[VDP_MGRID_LEN];
	json_t *nl; /* {"port","seq","request","ifindex","ifname"} or NULL */
	json_t *raw; /* a loaded entry kept as it was, or NULL */
	struct vdp_filter *filters; /* &one when n_filters <= 1 */
	struct vdp_filter one;
};

struct intent_table {
	struct intent **slots; /* mask + 1 chains */
	size_t mask, n;
	struct intent *first, *last;
	char **names; /* interned uplink names */
	uint32_t n_names, cap_names, last_name;
};

void itab_init(struct intent_table *t);
void itab_free(struct intent_table *t);
/* The interned number of an uplink name; -1 when it is unknown (lookup) or
 * not valid UTF-8 or out of memory (intern). */
int64_t itab_name_find(struct intent_table *t, const char *uplink);
int64_t itab_name_intern(struct intent_table *t, const char *uplink);
const char *itab_name(const struct intent_table *t, uint32_t up);
struct intent *itab_find(struct intent_table *t, uint32_t up, uint8_t fmt,
			 const uint8_t vsiid[VDP_VSIID_LEN]);
/* Sets the entry of (up, req->vsiid_fmt, req->vsiid) to req and nl (taken;
 * NULL for none), in place if it exists.  NULL when out of memory (nl is
 * released). */
struct intent *itab_set(struct intent_table *t, uint32_t up, const struct vdp_request *req,
			json_t *nl);
/* Sets an entry to a loaded argument set as it was (args borrowed). */
struct intent *itab_set_raw(struct intent_table *t, uint32_t up, uint8_t fmt,
			    const uint8_t vsiid[VDP_VSIID_LEN], json_t *args);
void itab_del(struct intent_table *t, struct intent *e);

/* A growable text buffer; oom says a grow failed (the text is then cut). */
struct itab_buf {
	char *p;
	size_t len, cap;
	bool oom;
};
void itab_buf_put(struct itab_buf *b, const char *s, size_t n);
#define itab_buf_lit(b, lit) itab_buf_put((b), "" lit, sizeof(lit) - 1)
/* s as a JSON string, quotes included, escaped as jansson does. */
void itab_buf_json_string(struct itab_buf *b, const char *s);

/* The entry's vsi.add arguments as compact JSON text, byte for byte what
 * json_dumps(JSON_COMPACT) gives for vdpd_request_json() (+ "netlink"). */
void itab_render(const struct intent_table *t, const struct intent *e, struct itab_buf *b);
/* The same as a new json_t; NULL when out of memory. */
json_t *itab_json(const struct intent_table *t, const struct intent *e);
/* The request of a compact entry (req->filters points into it). */
void itab_request(const struct intent *e, struct vdp_request *req);
/* A loaded argument set as a compact entry when it reads back identically,
 * else as it was.  -1 without uplink, vsiid_format or vsiid. */
int itab_load(struct intent_table *t, json_t *args);

#endif
