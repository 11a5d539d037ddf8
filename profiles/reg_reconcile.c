/* Desired VSIs: the join of an attachment and a binding, derived again
 * after every mutation and reported to the daemon when it changes (see
 * registry.h, reg_ops). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiles/reg_int.h"

/* ---- reconciliation ---- */

/* The desired VSI for iface_id, or false when there is none (not both
 * plugged, or the pair does not meet on a physical network). */
static bool compute_vsi(const struct reg *reg, const char *iface_id, struct reg_vsi *v)
{
	const struct reg_attachment *a = reg_map_get(&reg->attachments, iface_id);
	const struct bnode *bn = reg_map_get(&reg->bindings, iface_id);
	const struct reg_network *n;
	const struct reg_profile *p;
	const struct reg_uplink *u;

	if (!a || !bn)
		return false;
	n = reg_map_get(&reg->networks, a->network);
	p = n ? reg_map_get(&reg->profiles, n->profile) : NULL;
	u = reg_map_get(&reg->uplinks, bn->b.uplink);
	if (!n || !p || !u || strcmp(u->physnet, n->physnet))
		return false;
	memset(v, 0, sizeof(*v));
	memcpy(v->iface_id, a->iface_id, sizeof(v->iface_id));
	reg_uuid_parse(a->iface_id, v->instance);
	memcpy(v->uplink, u->dev, sizeof(v->uplink));
	memcpy(v->dev, bn->b.dev, sizeof(v->dev));
	v->mode = u->mode;
	memcpy(v->mac, bn->b.mac, 6);
	v->vlan = n->vlan ? n->vlan : p->vlan;
	memcpy(v->network, n->name, sizeof(v->network));
	memcpy(v->profile, p->name, sizeof(v->profile));
	v->type = reg_vport_for(p, u);
	v->mgrid = p->mgrid;
	v->typeid = p->typeid;
	v->typeidver = p->typeidver;
	v->filter_fmt = p->filter_fmt;
	memcpy(v->profileid, p->profileid, sizeof(v->profileid));
	memcpy(v->vm_uuid, bn->b.vm_uuid, sizeof(v->vm_uuid));
	/* 802.1Qbg re-associates nothing when a migration ends */
	v->migrating = v->type == REG_VPORT_QBH && bn->b.migrating > 0;
	return true;
}

void reg_reconcile_one(struct reg *reg, const char *iface_id)
{
	struct reg_vsi *old = reg_map_get(&reg->vsis, iface_id);
	struct reg_vsi cur;
	bool want = compute_vsi(reg, iface_id, &cur);

	if (!old && !want)
		return;
	if (old && want && !memcmp(old, &cur, sizeof(cur)))
		return;
	if (reg->ops && reg->ops->vsi_desired)
		reg->ops->vsi_desired(reg->ctx, old, want ? &cur : NULL);
	if (old && want) {
		*old = cur;
	} else if (want) {
		struct reg_vsi *v = malloc(sizeof(*v));

		/* Out of memory: the VSI is re-reported by the next reconcile. */
		if (!v)
			return;
		*v = cur;
		if (reg_map_put(&reg->vsis, v->iface_id, v) < 0)
			free(v);
	} else {
		reg_map_del(&reg->vsis, iface_id);
		free(old);
	}
}

static void add_keys(const struct reg_map *m, struct reg_map *keys)
{
	for (size_t i = 0; i < m->nb; i++)
		for (struct reg_map_ent *e = m->b[i]; e; e = e->next)
			reg_map_put(keys, e->key, NULL);
}

void reg_reconcile(struct reg *reg)
{
	struct reg_map keys;
	char(*ids)[REG_UUID_STRLEN + 1];
	size_t k = 0;

	/* Snapshot the interface-ids first: reg_reconcile_one() changes vsis. */
	reg_map_init(&keys);
	add_keys(&reg->attachments, &keys);
	add_keys(&reg->bindings, &keys);
	add_keys(&reg->vsis, &keys);
	ids = calloc(keys.n ? keys.n : 1, sizeof(*ids));
	if (ids) {
		for (size_t i = 0; i < keys.nb; i++)
			for (struct reg_map_ent *e = keys.b[i]; e; e = e->next)
				snprintf(ids[k++], sizeof(ids[0]), "%s", e->key);
	}
	reg_map_fini(&keys);
	for (size_t i = 0; i < k; i++)
		reg_reconcile_one(reg, ids[i]);
	free(ids);
}

void reg_replace(struct reg *dst, struct reg *src)
{
	struct reg_map *pairs[][2] = {
		{ &dst->profiles, &src->profiles },
		{ &dst->uplinks, &src->uplinks },
		{ &dst->networks, &src->networks },
		{ &dst->net_uuids, &src->net_uuids },
		{ &dst->ports, &src->ports },
		{ &dst->port_used, &src->port_used },
		{ &dst->attachments, &src->attachments },
		{ &dst->bindings, &src->bindings },
		{ &dst->bind_macs, &src->bind_macs },
	};

	/* src leaves with dst's old entries and its own VSIs: both freed. */
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct reg_map t = *pairs[i][0];

		*pairs[i][0] = *pairs[i][1];
		*pairs[i][1] = t;
	}
	reg_free(src);
	reg_changed(dst, REG_KIND_ALL, NULL, NULL);
	reg_reconcile(dst);
}
