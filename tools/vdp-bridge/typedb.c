/* VSI type database decisions.  See typedb.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tools/vdp-bridge/typedb.h"

void typedb_init(struct typedb *db)
{
	memset(db, 0, sizeof(*db));
	db->unknown_type_status = VDP_R_OTHER_FAILURE | VDP_STATUS_HARD;
	db->unknown_mgr_status = VDP_R_UNABLE_TO_CONTACT_MANAGER;
}

void typedb_free(struct typedb *db)
{
	free(db->types);
	db->types = NULL;
	db->n_types = 0;
}

void typedb_type_init(struct typedb_type *t)
{
	memset(t, 0, sizeof(*t));
	t->any_version = true;
	t->any_mgrid = true;
	t->pcp = -1;
}

static bool type_matches(const struct typedb_type *t, const uint8_t mgrid[VDP_MGRID_LEN],
			 uint32_t type_id, uint8_t version)
{
	return t->type_id == type_id && (t->any_version || t->version == version) &&
	       (t->any_mgrid || memcmp(t->mgrid, mgrid, VDP_MGRID_LEN) == 0);
}

int typedb_add(struct typedb *db, const struct typedb_type *t)
{
	struct typedb_type *n;

	for (size_t i = 0; i < db->n_types; i++) {
		const struct typedb_type *o = &db->types[i];

		if (o->type_id == t->type_id && o->any_version == t->any_version &&
		    o->version == t->version && o->any_mgrid == t->any_mgrid &&
		    memcmp(o->mgrid, t->mgrid, VDP_MGRID_LEN) == 0)
			return -EEXIST;
	}
	n = realloc(db->types, (db->n_types + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	db->types = n;
	db->types[db->n_types++] = *t;
	return 0;
}

const struct typedb_type *typedb_find(const struct typedb *db, const uint8_t mgrid[VDP_MGRID_LEN],
				      uint32_t type_id, uint8_t version)
{
	const struct typedb_type *wild = NULL;

	/* An exact version and manager beat wildcards, whatever the order. */
	for (size_t i = 0; i < db->n_types; i++) {
		const struct typedb_type *t = &db->types[i];

		if (!type_matches(t, mgrid, type_id, version))
			continue;
		if (!t->any_version && !t->any_mgrid)
			return t;
		if (!wild || (!t->any_version && wild->any_version))
			wild = t;
	}
	return wild;
}

bool typedb_manager_known(const struct typedb *db, const uint8_t mgrid[VDP_MGRID_LEN])
{
	if (db->n_managers == 0)
		return true;
	for (size_t i = 0; i < db->n_managers; i++)
		if (memcmp(db->managers[i], mgrid, VDP_MGRID_LEN) == 0)
			return true;
	return false;
}

static bool vid_admitted(const struct typedb_type *t, uint16_t vid)
{
	if (!t)
		return true;	/* accepted unknown type: no VLAN policy */
	if (t->vlan == 0 && t->n_vlans == 0)
		return true;
	if (vid == t->vlan)
		return true;
	for (uint16_t i = 0; i < t->n_vlans; i++)
		if (t->vlans[i] == vid)
			return true;
	return false;
}

static bool mac_valid(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	/* A VSI is a unicast station: group or null addresses cannot be
	 * filtered on its behalf. */
	return !(mac[0] & 1) && memcmp(mac, zero, 6) != 0;
}

static uint8_t fail(const struct typedb_req *r, uint8_t status, const char **why, const char *text)
{
	if (why)
		*why = text;
	if (!r->is_new)
		status |= VDP_STATUS_KEEP;
	return status;
}

/* VID 0 asks the bridge to choose the VSI's VLAN (802.1Qbg-2012 41.2.9);
 * next to entries naming VIDs it is ambiguous, and refused. */
static bool filters_mixed_vid0(const struct typedb_req *r)
{
	uint16_t zero = 0;

	for (uint16_t i = 0; i < r->n; i++)
		zero += vdp_vid(r->filters[i].ps_pcp_vid) == 0;
	return zero && zero != r->n;
}

/* The same MAC (or group ID) twice is fine on two VLANs; on the same VLAN
 * (VID 0 counting as the VLAN it will get) the entries are one filter
 * given twice, which the bridge cannot tell apart in its answer. */
static bool filters_repeat(const struct typedb_req *r, const struct typedb_type *t)
{
	for (uint16_t i = 0; i < r->n; i++)
		for (uint16_t j = 0; j < i; j++) {
			const struct vdp_filter *a = &r->filters[i], *b = &r->filters[j];
			uint16_t va = vdp_vid(a->ps_pcp_vid), vb = vdp_vid(b->ps_pcp_vid);

			if (!va && t)
				va = t->vlan;
			if (!vb && t)
				vb = t->vlan;
			if (va == vb && a->group_id == b->group_id && !memcmp(a->mac, b->mac, 6))
				return true;
		}
	return false;
}

uint8_t typedb_decide(const struct typedb *db, const struct typedb_req *r, const char **why)
{
	const struct vdp_assoc *a = r->req;
	const struct typedb_type *t;
	bool has_mac, has_group;

	if (why)
		*why = "admitted";
	if (a->type == VDP_TLV_DEASSOC)
		return VDP_R_SUCCESS;

	has_mac = a->filter_fmt == VDP_FILTER_MAC_VID || a->filter_fmt == VDP_FILTER_GROUP_MAC_VID;
	has_group = a->filter_fmt == VDP_FILTER_GROUP_VID || a->filter_fmt == VDP_FILTER_GROUP_MAC_VID;
	if (r->n == 0)
		return fail(r, VDP_R_INVALID_FORMAT, why, "no filter entries");
	if (vdp_filter_entry_size(a->filter_fmt) == 0)
		return fail(r, VDP_R_INVALID_FORMAT, why, "unknown filter format");
	if (has_group && !r->gid)
		return fail(r, VDP_R_INVALID_FORMAT, why, "group ID filter but group IDs are not in use");

	if (!typedb_manager_known(db, r->mgrid))
		return fail(r, db->unknown_mgr_status, why, "unknown VSI manager");
	t = typedb_find(db, r->mgrid, a->type_id, a->type_version);
	if (!t && !db->accept_unknown)
		return fail(r, db->unknown_type_status, why, "unknown VSI type/version");

	for (uint16_t i = 0; i < r->n; i++) {
		const struct vdp_filter *f = &r->filters[i];
		uint16_t vid = vdp_vid(f->ps_pcp_vid);

		if (has_mac && !mac_valid(f->mac))
			return fail(r, VDP_R_INVALID_VID_GROUP_MAC, why, "multicast or zero MAC");
		if (vid == 0xFFF)
			return fail(r, VDP_R_INVALID_VID_GROUP_MAC, why, "VID 4095 is reserved");
		if (vid == 0 && (!t || t->vlan == 0))
			return fail(r, VDP_R_INVALID_VID_GROUP_MAC, why, "VID 0 but the type has no VLAN");
		if (vid != 0 && !vid_admitted(t, vid))
			return fail(r, VDP_R_INVALID_VID_GROUP_MAC, why, "VID not admitted for the type");
	}

	if (filters_mixed_vid0(r))
		return fail(r, VDP_R_INVALID_VID_GROUP_MAC, why, "VID 0 mixed with other VIDs");
	if (filters_repeat(r, t))
		return fail(r, VDP_R_INVALID_VID_GROUP_MAC, why,
			    "two filter entries name the same MAC/group and VID");

	if (r->is_new) {
		if (db->max_vsis && r->n_active >= db->max_vsis)
			return fail(r, VDP_R_INSUFFICIENT_RESOURCES, why, "max_vsis reached");
		if (t && t->max_vsis && r->n_active_type >= t->max_vsis)
			return fail(r, VDP_R_INSUFFICIENT_RESOURCES, why, "type max_vsis reached");
	}

	/* Admitted: fill in what the bridge decides (41.2.6: the response
	 * carries the VID/PCP in effect). */
	for (uint16_t i = 0; i < r->n; i++) {
		struct vdp_filter *f = &r->filters[i];
		uint16_t w = f->ps_pcp_vid;

		if (vdp_vid(w) == 0 && t)
			w = (uint16_t)((w & ~VDP_VID_MASK) | t->vlan);
		if (t && t->pcp >= 0)
			w = (uint16_t)((w & VDP_VID_MASK) | VDP_PS | ((uint16_t)t->pcp << VDP_PCP_SHIFT));
		f->ps_pcp_vid = w;
	}
	return VDP_R_SUCCESS;
}
