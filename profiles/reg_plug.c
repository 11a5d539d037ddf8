/* The two plugs of an interface-id: its attachment to a network (logical)
 * and its binding to a device on a host uplink (see registry.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiles/reg_int.h"

/* A plug changed: the store hears of it, and the interface-id's desired
 * VSI is derived again (reported to the daemon when it changed). */
static void plug_changed(struct reg *reg, enum reg_kind kind, const char *id, const void *entry)
{
	reg_changed(reg, kind, id, entry);
	reg_reconcile_one(reg, id);
}

/* ---- attachments (logical plug) ---- */

static int physnet_meets(const struct reg *reg, const char *iface_id, const char *uplink,
			 const struct reg_network *n, struct reg_err *err)
{
	const struct reg_uplink *u = reg_map_get(&reg->uplinks, uplink);

	if (u && n && strcmp(u->physnet, n->physnet))
		return reg_fail(err, -EINVAL,
				"interface %s: uplink %s reaches physical network '%s' but network "
				"'%s' is on '%s'",
				iface_id, uplink, u->physnet, n->name, n->physnet);
	return 0;
}

int reg_attach(struct reg *reg, const struct reg_attachment *a, struct reg_err *err)
{
	char id[REG_UUID_STRLEN + 1], port[REG_UUID_STRLEN + 1] = "";
	const struct reg_network *n;
	struct reg_attachment *cur, *user;
	const struct bnode *bn;
	int rc;

	if (reg_uuid_canon(a->iface_id, id) < 0)
		return reg_fail(err, -EINVAL, "interface-id '%.*s' is not a UUID",
				REG_UUID_STRLEN + 1, a->iface_id);
	if (!(n = reg_network_get(reg, a->network)))
		return reg_fail(err, -ENOENT, "interface %s: network '%.*s' does not exist", id,
				REG_NAME_MAX, a->network);
	if (a->port[0]) {
		const struct reg_port *p = reg_port_get(reg, a->port);

		if (!p)
			return reg_fail(err, -ENOENT, "interface %s: port '%.*s' does not exist",
					id, REG_UUID_STRLEN + 1, a->port);
		if (strcmp(p->network, n->name))
			return reg_fail(err, -EINVAL,
					"interface %s: port %s is on network '%s', not '%s'", id,
					p->uuid, p->network, n->name);
		user = reg_map_get(&reg->port_used, p->uuid);
		if (user && strcmp(user->iface_id, id))
			return reg_fail(err, -EBUSY, "port %s is already used by interface %s",
					p->uuid, user->iface_id);
		memcpy(port, p->uuid, sizeof(port));
	}
	bn = reg_map_get(&reg->bindings, id);
	if (bn && (rc = physnet_meets(reg, id, bn->b.uplink, n, err)) < 0)
		return rc;
	cur = reg_map_get(&reg->attachments, id);
	if (cur) {
		if ((rc = reg_check_origin("attachment", id, cur->origin, a->origin, err)) < 0)
			return rc;
		if (cur->port[0])
			reg_map_del(&reg->port_used, cur->port);
	} else {
		cur = calloc(1, sizeof(*cur));
		if (!cur)
			return reg_fail(err, -ENOMEM, "out of memory");
		memcpy(cur->iface_id, id, sizeof(id));
		if (reg_map_put(&reg->attachments, cur->iface_id, cur) < 0) {
			free(cur);
			return reg_fail(err, -ENOMEM, "out of memory");
		}
	}
	/* A move to another network: reconcile_one reports (old, new). */
	snprintf(cur->network, sizeof(cur->network), "%s", n->name);
	memcpy(cur->port, port, sizeof(port));
	cur->origin = a->origin;
	if (port[0])
		reg_map_put(&reg->port_used, cur->port, cur);
	plug_changed(reg, REG_KIND_ATTACHMENT, id, cur);
	return 0;
}

int reg_detach(struct reg *reg, const char *iface_id, struct reg_err *err)
{
	char id[REG_UUID_STRLEN + 1];
	struct reg_attachment *a;
	int rc;

	if (reg_uuid_canon(iface_id, id) < 0)
		return reg_fail(err, -EINVAL, "interface-id '%s' is not a UUID", iface_id);
	if (!(a = reg_map_get(&reg->attachments, id)))
		return reg_fail(err, -ENOENT, "interface %s is not attached", id);
	if ((rc = reg_check_origin("attachment", id, a->origin, REG_ORIGIN_RUNTIME, err)) < 0)
		return rc;
	if (a->port[0])
		reg_map_del(&reg->port_used, a->port);
	reg_map_del(&reg->attachments, id);
	free(a);
	plug_changed(reg, REG_KIND_ATTACHMENT, id, NULL);
	return 0;
}

/* ---- bindings (non-logical plug) ---- */

static bool mac_usable(const uint8_t m[6])
{
	static const uint8_t zero[6];

	/* A VSI filter names one station address: not zero, not group. */
	return memcmp(m, zero, 6) && !(m[0] & 1);
}

int reg_bind(struct reg *reg, const struct reg_binding *b, struct reg_err *err)
{
	char id[REG_UUID_STRLEN + 1], mac[18], key[IFNAMSIZ + 18];
	const struct reg_attachment *a;
	const struct bnode *other;
	struct bnode *cur;
	int rc;

	if (reg_uuid_canon(b->iface_id, id) < 0)
		return reg_fail(err, -EINVAL, "interface-id '%.*s' is not a UUID",
				REG_UUID_STRLEN + 1, b->iface_id);
	/* dev may be unknown: libvirt's port-created hook runs before the
	 * macvtap exists; the qemu start hook fills it in later. */
	if (b->dev[0] && !reg_ifname_valid(b->dev))
		return reg_fail(err, -EINVAL, "interface %s: device name '%.*s' invalid", id,
				IFNAMSIZ, b->dev);
	reg_mac_format(b->mac, mac);
	if (!mac_usable(b->mac))
		return reg_fail(err, -EINVAL, "interface %s: MAC %s is zero or a group address", id,
				mac);
	if (!reg_map_get(&reg->uplinks, b->uplink))
		return reg_fail(err, -ENOENT,
				"interface %s: uplink '%.*s' is not a registered host uplink", id,
				IFNAMSIZ, b->uplink);
	reg_mac_key(key, sizeof(key), b->uplink, b->mac);
	other = reg_map_get(&reg->bind_macs, key);
	if (other && strcmp(other->b.iface_id, id))
		return reg_fail(err, -EEXIST,
				"interface %s: MAC %s on %s is already bound to interface %s", id,
				mac, b->uplink, other->b.iface_id);
	cur = reg_map_get(&reg->bindings, id);
	if (cur) {
		if ((!strcmp(cur->b.dev, b->dev) || !cur->b.dev[0] || !b->dev[0]) &&
		    !memcmp(cur->b.mac, b->mac, 6) && !strcmp(cur->b.uplink, b->uplink)) {
			bool mig =
				b->migrating >= 0 && (b->migrating > 0) != (cur->b.migrating > 0);

			if ((!cur->b.dev[0] && b->dev[0]) ||
			    (!cur->b.vm_uuid[0] && b->vm_uuid[0]) || mig) {
				if (!cur->b.dev[0])
					memcpy(cur->b.dev, b->dev, sizeof(cur->b.dev));
				if (!cur->b.vm_uuid[0])
					memcpy(cur->b.vm_uuid, b->vm_uuid, sizeof(cur->b.vm_uuid));
				if (mig)
					cur->b.migrating = b->migrating > 0;
				plug_changed(reg, REG_KIND_BINDING, id, &cur->b);
			}
			return 0;
		}
		reg_mac_format(cur->b.mac, mac);
		return reg_fail(
			err, -EEXIST,
			"interface %s is already bound to %s (mac %s, uplink %s); unbind it first",
			id, cur->b.dev[0] ? cur->b.dev : "-", mac, cur->b.uplink);
	}
	a = reg_map_get(&reg->attachments, id);
	if (a &&
	    (rc = physnet_meets(reg, id, b->uplink, reg_map_get(&reg->networks, a->network), err)) <
		    0)
		return rc;
	cur = calloc(1, sizeof(*cur));
	if (!cur)
		return reg_fail(err, -ENOMEM, "out of memory");
	cur->b = *b;
	cur->b.migrating = b->migrating > 0;
	memcpy(cur->b.iface_id, id, sizeof(id));
	memcpy(cur->mackey, key, sizeof(key));
	if (reg_map_put(&reg->bindings, cur->b.iface_id, cur) < 0) {
		free(cur);
		return reg_fail(err, -ENOMEM, "out of memory");
	}
	if (reg_map_put(&reg->bind_macs, cur->mackey, cur) < 0) {
		reg_map_del(&reg->bindings, cur->b.iface_id);
		free(cur);
		return reg_fail(err, -ENOMEM, "out of memory");
	}
	plug_changed(reg, REG_KIND_BINDING, id, &cur->b);
	return 0;
}

int reg_unbind(struct reg *reg, const char *iface_id, struct reg_err *err)
{
	char id[REG_UUID_STRLEN + 1];
	struct bnode *bn;
	int rc;

	if (reg_uuid_canon(iface_id, id) < 0)
		return reg_fail(err, -EINVAL, "interface-id '%s' is not a UUID", iface_id);
	if (!(bn = reg_map_get(&reg->bindings, id)))
		return reg_fail(err, -ENOENT, "interface %s is not bound", id);
	if ((rc = reg_check_origin("binding", id, bn->b.origin, REG_ORIGIN_RUNTIME, err)) < 0)
		return rc;
	reg_map_del(&reg->bind_macs, bn->mackey);
	reg_map_del(&reg->bindings, id);
	free(bn);
	plug_changed(reg, REG_KIND_BINDING, id, NULL);
	return 0;
}
