/* vsi.show paging for vdp-bridge: which VSIs one page holds.  The walk
 * goes through the ports in their configured order and through each port's
 * VSI table in the table's own order (fixed for the table's life, see
 * vdp/engine/vsi.h).  A page resumes after the last VSI of the page before
 * ("after", O(1), steady while VSIs come and go) or skips "offset" VSIs
 * (O(offset), holds together only while no VSI is added or removed). */
#ifndef VDP_BRIDGE_VSIPAGE_H
#define VDP_BRIDGE_VSIPAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vdp/ctl/ctl.h"
#include "vdp/engine/vdp_bridge.h"

/* Budget of one page, well under CTL_MAX_FRAME: a VSI's JSON is about 300
 * octets plus 75 per filter entry, the estimate is above both. */
#define VBR_PAGE_BUDGET (768u << 10)

struct vbr_page {
	bool paging; /* offset, after or limit given */
	bool after; /* resume after (port, fmt, id) */
	size_t port; /* with after: the index of its port */
	uint8_t fmt;
	uint8_t id[VDP_VSIID_LEN];
	uint32_t offset; /* VSIs to skip; ignored with after */
	uint32_t limit; /* at most this many */
};

/* Reads offset, limit and after {port, vsiid_format, vsiid} (a VSI object
 * of vsi.show will do) from args; ports[] are the names of the ports in
 * walk order.  The VSI of after need not exist any more: the page then
 * starts at the first VSI behind its place.  0, or -1 after ctl_fail(). */
int vbr_page_parse(json_t *args, const char *const *ports, size_t n_ports, struct vbr_page *pg,
		   struct ctl_error *err);

typedef void (*vbr_page_fn)(void *ctx, size_t port, struct vsi *v);

/* Hands each VSI of the page to fn in walk order and returns how many;
 * ports whose brs[i] is NULL are not asked for.  Without paging the page
 * is every VSI, however large. */
size_t vbr_page_walk(struct vdp_bridge *const *brs, size_t n_ports, const struct vbr_page *pg,
		     vbr_page_fn fn, void *ctx);

/* qsort order of the unpaged reply, json_t * elements: port, then VSIID
 * text.  The client sorts what it paged through the same way. */
int vbr_vsi_json_cmp(const void *a, const void *b);

#endif
