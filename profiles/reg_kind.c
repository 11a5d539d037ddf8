/* The registry's kind table (see reg_kind.h).  Each row's functions are
 * the typed registry.h and reg_json.h functions of that kind, adapted to
 * void pointers by small functions written out by ENTRY_KIND and
 * MUTATOR below (no function-pointer casts). */
#include <stdlib.h>
#include <string.h>

#include "profiles/reg_json.h"
#include "profiles/reg_kind.h"

/* from_json, to_json, list_json, get, key_of and origin_of of one kind:
 * reg_<kind>_from_json, reg_<kind>_to_json, <list> (reg_<kind>s),
 * reg_<kind>_get, the key field and origin of struct reg_<kind>. */
#define ENTRY_KIND(kind, keyfield, list) \
	static int kind##_from_json(json_t *j, void *out, struct reg_err *err) \
	{ \
		return reg_##kind##_from_json(j, out, err); \
	} \
	static json_t *kind##_to_json(const void *e) \
	{ \
		return reg_##kind##_to_json(e); \
	} \
	static json_t *kind##_list_json(const struct reg *reg, bool with_config) \
	{ \
		size_t n; \
		const struct reg_##kind **v = list(reg, &n); \
		json_t *a = json_array(); \
\
		for (size_t i = 0; i < n; i++) \
			if (with_config || v[i]->origin != REG_ORIGIN_CONFIG) \
				json_array_append_new(a, reg_##kind##_to_json(v[i])); \
		free(v); \
		return a; \
	} \
	static const void *kind##_get(const struct reg *reg, const char *key) \
	{ \
		return reg_##kind##_get(reg, key); \
	} \
	static const char *kind##_key_of(const void *e) \
	{ \
		const struct reg_##kind *x = e; \
\
		return x->keyfield; \
	} \
	static enum reg_origin kind##_origin_of(const void *e) \
	{ \
		const struct reg_##kind *x = e; \
\
		return x->origin; \
	}

/* fn (struct reg *, const struct reg_<kind> *, struct reg_err *) as
 * fn_entry (struct reg *, const void *, struct reg_err *). */
#define MUTATOR(fn) \
	static int fn##_entry(struct reg *reg, const void *e, struct reg_err *err) \
	{ \
		return fn(reg, e, err); \
	}

ENTRY_KIND(profile, name, reg_profiles)
ENTRY_KIND(uplink, dev, reg_uplinks)
ENTRY_KIND(network, name, reg_networks)
ENTRY_KIND(port, uuid, reg_ports)
ENTRY_KIND(binding, iface_id, reg_bindings)
ENTRY_KIND(attachment, iface_id, reg_attachments)
MUTATOR(reg_profile_add)
MUTATOR(reg_profile_set)
MUTATOR(reg_uplink_add)
MUTATOR(reg_uplink_set)
MUTATOR(reg_network_add)
MUTATOR(reg_network_set)
MUTATOR(reg_port_add)
MUTATOR(reg_bind)
MUTATOR(reg_attach)

#define ROW(id, t, plural_, key_) \
	.kind = id, .plural = plural_, .name = #t, .key = key_, .from_json = t##_from_json, \
	.to_json = t##_to_json, .list_json = t##_list_json, .get = t##_get, .key_of = t##_key_of, \
	.origin_of = t##_origin_of

const struct reg_kind_ops reg_kinds[REG_NKINDS] = {
	[REG_KIND_PROFILE] = { ROW(REG_KIND_PROFILE, profile, "profiles", "name"),
			       .add = reg_profile_add_entry, .set = reg_profile_set_entry,
			       .put_over = reg_profile_set_entry, .del = reg_profile_del },
	[REG_KIND_UPLINK] = { ROW(REG_KIND_UPLINK, uplink, "uplinks", "dev"),
			      .add = reg_uplink_add_entry, .set = reg_uplink_set_entry,
			      .put_over = reg_uplink_set_entry, .del = reg_uplink_del },
	[REG_KIND_NETWORK] = { ROW(REG_KIND_NETWORK, network, "networks", "name"),
			       .add = reg_network_add_entry, .set = reg_network_set_entry,
			       .put_over = reg_network_set_entry, .del = reg_network_del },
	[REG_KIND_PORT] = { ROW(REG_KIND_PORT, port, "ports", "uuid"), .add = reg_port_add_entry,
			    .del = reg_port_del },
	[REG_KIND_BINDING] = { ROW(REG_KIND_BINDING, binding, "bindings", "iface_id"),
			       .add = reg_bind_entry, .put_over = reg_bind_entry,
			       .del = reg_unbind },
	[REG_KIND_ATTACHMENT] = { ROW(REG_KIND_ATTACHMENT, attachment, "attachments", "iface_id"),
				  .add = reg_attach_entry, .put_over = reg_attach_entry,
				  .del = reg_detach },
};

const struct reg_kind_ops *reg_kind_of(enum reg_kind kind)
{
	return (unsigned)kind < REG_NKINDS ? &reg_kinds[kind] : NULL;
}

const struct reg_kind_ops *reg_kind_by_name(const char *name)
{
	for (size_t i = 0; i < REG_NKINDS; i++)
		if (!strcmp(reg_kinds[i].name, name))
			return &reg_kinds[i];
	return NULL;
}

const struct reg_kind_ops *reg_kind_by_plural(const char *plural)
{
	for (size_t i = 0; i < REG_NKINDS; i++)
		if (!strcmp(reg_kinds[i].plural, plural))
			return &reg_kinds[i];
	return NULL;
}

/* The whole registry.  Attachments come before bindings here, as `vdpctl
 * registry show -j` has always printed them. */
json_t *reg_to_json(const struct reg *reg, bool with_config)
{
	static const enum reg_kind order[] = { REG_KIND_PROFILE,    REG_KIND_UPLINK,
					       REG_KIND_NETWORK,    REG_KIND_PORT,
					       REG_KIND_ATTACHMENT, REG_KIND_BINDING };
	json_t *j = json_object();

	if (!j)
		return NULL;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const struct reg_kind_ops *k = &reg_kinds[order[i]];

		json_object_set_new(j, k->plural, k->list_json(reg, with_config));
	}
	return j;
}
