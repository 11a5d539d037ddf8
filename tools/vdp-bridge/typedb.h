/* The VSI type database of vdp-bridge: what a VSI manager would answer.
 * Pure: a request and the database in, a status octet (41.2.4) out.
 *
 * Decision order (the first failing check answers):
 *   1. De-Associate: always success (nothing to allocate, 41.5.6).
 *   2. No filter entries, or a group-ID format while group IDs are not in
 *      use (BGID && SGID, D.2.12): 1 invalid format.
 *   3. Manager ID not among the configured managers (when any are listed):
 *      3 unable to contact VSI manager.
 *   4. No type with this type ID, version and manager: the configured
 *      unknown-type status (default 4 other failure with the hard-error bit:
 *      asking again will not make the type known), unless unknown types
 *      are accepted.
 *   5. Any filter entry with a multicast or zero MAC, VID 4095, a VID 0 when
 *      the type has no VLAN, or a VID the type does not admit:
 *      5 invalid VID, GroupID or MAC.  A VID 0 is answered with the type's
 *      VLAN; a type with a PCP answers with PS=1 and that PCP.
 *      VID 0 next to entries with other VIDs, or two entries with the
 *      same MAC, group ID and VID (VID 0 as the type's VLAN): 5 as well.
 *   6. A new VSI beyond max_vsis (all ports) or the type's max_vsis:
 *      2 insufficient resources.
 * A failed change of a VSI that is already associated carries the keep
 * bit: the bridge keeps what it had (41.2.4). */
#ifndef VDP_TYPEDB_H
#define VDP_TYPEDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdp/wire/vdp_tlv.h"

#define TYPEDB_MAX_VLANS 64
#define TYPEDB_MAX_MANAGERS 16

struct typedb_type {
	char name[32];
	uint32_t type_id;		/* 24 bits */
	bool any_version;
	uint8_t version;
	bool any_mgrid;
	uint8_t mgrid[VDP_MGRID_LEN];
	uint16_t vlan;			/* answer for VID 0; 0 = none (VID 0 refused) */
	uint16_t n_vlans;		/* admitted VIDs besides vlan; 0 and no vlan = any */
	uint16_t vlans[TYPEDB_MAX_VLANS];
	int8_t pcp;			/* -1: leave PS/PCP as requested */
	uint32_t max_vsis;		/* 0 = no per-type limit */
};

struct typedb {
	size_t n_types;
	struct typedb_type *types;	/* owned (typedb_free) */
	uint32_t max_vsis;		/* 0 = unlimited */
	bool accept_unknown;
	uint8_t unknown_type_status;	/* default VDP_R_OTHER_FAILURE | VDP_STATUS_HARD */
	uint8_t unknown_mgr_status;	/* default VDP_R_UNABLE_TO_CONTACT_MANAGER */
	size_t n_managers;		/* 0 = any manager */
	uint8_t managers[TYPEDB_MAX_MANAGERS][VDP_MGRID_LEN];
};

struct typedb_req {
	const uint8_t *mgrid;		/* 16 octets */
	const struct vdp_assoc *req;
	struct vdp_filter *filters;	/* rewritten in place (VID 0, PCP) */
	uint16_t n;
	bool is_new;			/* no confirmed association yet */
	bool gid;			/* group IDs in use on this port */
	size_t n_active;		/* associated VSIs now, this one excluded */
	size_t n_active_type;		/* of them, with this request's type */
};

void typedb_init(struct typedb *db);
void typedb_free(struct typedb *db);
/* Appends a copy; 0 or -ENOMEM / -EEXIST (same id, version and manager). */
int typedb_add(struct typedb *db, const struct typedb_type *t);
void typedb_type_init(struct typedb_type *t);

/* The type a request refers to, or NULL. */
const struct typedb_type *typedb_find(const struct typedb *db, const uint8_t mgrid[VDP_MGRID_LEN],
				      uint32_t type_id, uint8_t version);
bool typedb_manager_known(const struct typedb *db, const uint8_t mgrid[VDP_MGRID_LEN]);

/* The status octet to answer with (0 = success); *why (may be NULL) gets a
 * static text for logs. */
uint8_t typedb_decide(const struct typedb *db, const struct typedb_req *r, const char **why);

#endif
