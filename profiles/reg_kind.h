/* The six kinds of registry entry, one row each: the names the state file,
 * the journal, vdpd.conf and the control socket give a kind, and its typed
 * operations behind one untyped signature, so that store.c, reg_config.c
 * and reg_ctl.c walk the same table.  Entries are passed as the struct
 * reg_<kind> (or a union reg_entry holding one) through void pointers. */
#ifndef VDP_REG_KIND_H
#define VDP_REG_KIND_H

#include <stdbool.h>
#include <jansson.h>

#include "profiles/registry.h"

struct reg_kind_ops {
	enum reg_kind kind;
	const char *plural; /* "profiles": the state file's array, vdpd.conf's registry.<plural> */
	const char *name; /* "profile": the journal's "kind"; how messages name one */
	const char *key; /* "name": the field that names an entry (a control-socket argument) */
	/* reg_json.h's strict parser and shape */
	int (*from_json)(json_t *j, void *out, struct reg_err *err);
	json_t *(*to_json)(const void *entry);
	/* every entry, sorted (entries from vdpd.conf only when with_config) */
	json_t *(*list_json)(const struct reg *reg, bool with_config);
	const void *(*get)(const struct reg *reg, const char *key);
	const char *(*key_of)(const void *entry);
	enum reg_origin (*origin_of)(const void *entry);
	/* registry.h's mutators */
	int (*add)(struct reg *reg, const void *entry, struct reg_err *err);
	int (*set)(struct reg *reg, const void *entry,
		   struct reg_err *err); /* NULL: no in-place change */
	/* A journal's put over an existing entry replays the mutation that
	 * made it: set for profiles, uplinks and networks, a move for
	 * attachments, the completion of dev for bindings; NULL: ports are
	 * never changed in place. */
	int (*put_over)(struct reg *reg, const void *entry, struct reg_err *err);
	int (*del)(struct reg *reg, const char *key, struct reg_err *err);
};

/* Indexed by enum reg_kind (REG_KIND_ALL excluded), which is also the
 * order entries are loaded in: bindings before attachments (either order
 * is valid, this one reports each VSI once). */
#define REG_NKINDS REG_KIND_ALL
extern const struct reg_kind_ops reg_kinds[REG_NKINDS];

/* The row of kind, NULL for REG_KIND_ALL. */
const struct reg_kind_ops *reg_kind_of(enum reg_kind kind);
/* The row whose name (journal "kind") is name, or NULL. */
const struct reg_kind_ops *reg_kind_by_name(const char *name);
/* The row whose plural (state-file array) is plural, or NULL. */
const struct reg_kind_ops *reg_kind_by_plural(const char *plural);

#endif
