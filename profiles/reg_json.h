/* JSON shapes of registry entries, shared by the state file (store.c), the
 * control-socket commands (reg_ctl.c) and vdpctl.  One shape per entry kind
 * so that what `vdpctl ... show -j` prints is what the state file holds.
 *
 *   profile    {"name","type":"802.1Qbg","mgrid","typeid","typeidver","filter_fmt","vlan","origin"}
 *              {"name","type":"802.1Qbh","profileid","vlan","origin"}
 *   uplink     {"dev","physnet","mode","origin"}
 *   network    {"name","uuid"?,"physnet","profile","vlan","origin"}
 *   port       {"uuid","network","origin"}
 *   attachment {"iface_id","network","port"?,"origin"}
 *   binding    {"iface_id","dev","mac","uplink","origin"}
 *   vsi        (output only) see reg_vsi_to_json
 *
 * from_json is strict: unknown keys, wrong types and out-of-range numbers
 * are errors naming the key; "origin" and fields marked ? are optional. */
#ifndef VDP_REG_JSON_H
#define VDP_REG_JSON_H

#include <jansson.h>

#include "profiles/registry.h"

json_t *reg_profile_to_json(const struct reg_profile *p);
json_t *reg_uplink_to_json(const struct reg_uplink *u);
json_t *reg_network_to_json(const struct reg_network *n);
json_t *reg_port_to_json(const struct reg_port *p);
json_t *reg_attachment_to_json(const struct reg_attachment *a);
json_t *reg_binding_to_json(const struct reg_binding *b);
json_t *reg_vsi_to_json(const struct reg_vsi *v);

/* 0 or -EINVAL with err->msg. */
int reg_profile_from_json(json_t *j, struct reg_profile *p, struct reg_err *err);
int reg_uplink_from_json(json_t *j, struct reg_uplink *u, struct reg_err *err);
int reg_network_from_json(json_t *j, struct reg_network *n, struct reg_err *err);
int reg_port_from_json(json_t *j, struct reg_port *p, struct reg_err *err);
int reg_attachment_from_json(json_t *j, struct reg_attachment *a, struct reg_err *err);
int reg_binding_from_json(json_t *j, struct reg_binding *b, struct reg_err *err);

/* The whole registry: {"profiles":[...],"uplinks":[...],"networks":[...],
 * "ports":[...],"attachments":[...],"bindings":[...]}; entries from the
 * config file only when with_config.  Written with the kind table
 * (reg_kind.c). */
json_t *reg_to_json(const struct reg *reg, bool with_config);

#endif
