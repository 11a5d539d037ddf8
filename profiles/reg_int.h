/* The registry's inside, shared by the files of the model (registry.c,
 * reg_plug.c, reg_reconcile.c, reg_policy.c, reg_text.c) and included by
 * no other file. */
#ifndef VDP_REG_INT_H
#define VDP_REG_INT_H

#include "profiles/registry.h"
#include "profiles/regmap.h"

/* A binding is indexed twice: by interface-id and by (uplink, MAC). */
struct bnode {
	struct reg_binding b; /* first: public pointers are to b */
	char mackey[IFNAMSIZ + 18];
};

struct reg {
	const struct reg_ops *ops;
	void *ctx;
	struct reg_map profiles; /* name -> reg_profile */
	struct reg_map uplinks; /* dev -> reg_uplink */
	struct reg_map networks; /* name -> reg_network */
	struct reg_map net_uuids; /* uuid -> reg_network */
	struct reg_map ports; /* uuid -> reg_port */
	struct reg_map port_used; /* port uuid -> reg_attachment */
	struct reg_map attachments; /* iface-id -> reg_attachment */
	struct reg_map bindings; /* iface-id -> bnode */
	struct reg_map bind_macs; /* "uplink/mac" -> bnode */
	struct reg_map vsis; /* iface-id -> reg_vsi (last reported) */
	enum reg_policy policy;
	uint64_t generation;
	reg_change_fn on_change;
	void *change_ctx;
};

/* Every mutation ends here: one generation step, one report to the store. */
void reg_changed(struct reg *reg, enum reg_kind kind, const char *key, const void *entry);
/* Re-derives iface_id's desired VSI and reports it when it changed
 * (reg_ops.vsi_desired): how an attachment or binding becomes a VSI. */
void reg_reconcile_one(struct reg *reg, const char *iface_id);
/* -EPERM when a config entry would be changed by another origin. */
int reg_check_origin(const char *what, const char *name, enum reg_origin have, enum reg_origin want,
		     struct reg_err *err);
/* The bind_macs key of (uplink, mac): "eth4/52:54:00:00:00:01". */
void reg_mac_key(char *out, size_t len, const char *uplink, const uint8_t mac[6]);
/* A Linux interface name: 1..15 printable characters, no '/' or ':'. */
bool reg_ifname_valid(const char *s);

#endif
