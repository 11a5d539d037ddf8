/* Port-profile registry: the model, its life cycle and lookups, and the
 * mutators of profiles, uplinks, networks and ports (see registry.h and
 * docs/registry.md).  Attachments and bindings: reg_plug.c; the desired
 * VSIs: reg_reconcile.c; libvirt requests: reg_policy.c; text forms:
 * reg_text.c. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiles/reg_int.h"

#define FILTER_FMT_DEFAULT 2	/* MAC/VID, 802.1Qbg 41.2.9: what libvirt's requests carry */

int reg_fail(struct reg_err *err, int e, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return e;
}

/* ---- life cycle ---- */

struct reg *reg_new(const struct reg_ops *ops, void *ctx)
{
	struct reg *reg = calloc(1, sizeof(*reg));

	if (!reg)
		return NULL;
	reg->ops = ops;
	reg->ctx = ctx;
	reg->policy = REG_POLICY_OFF;
	return reg;
}

static void free_map_values(struct reg_map *m)
{
	size_t n;
	void **v = reg_map_sorted(m, &n);

	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void reg_free(struct reg *reg)
{
	if (!reg)
		return;
	/* Each object is owned by exactly one primary map. */
	free_map_values(&reg->profiles);
	free_map_values(&reg->uplinks);
	free_map_values(&reg->networks);
	free_map_values(&reg->ports);
	free_map_values(&reg->attachments);
	free_map_values(&reg->bindings);
	free_map_values(&reg->vsis);
	reg_map_fini(&reg->profiles);
	reg_map_fini(&reg->uplinks);
	reg_map_fini(&reg->networks);
	reg_map_fini(&reg->net_uuids);
	reg_map_fini(&reg->ports);
	reg_map_fini(&reg->port_used);
	reg_map_fini(&reg->attachments);
	reg_map_fini(&reg->bindings);
	reg_map_fini(&reg->bind_macs);
	reg_map_fini(&reg->vsis);
	free(reg);
}

uint64_t reg_generation(const struct reg *reg)
{
	return reg->generation;
}

void reg_set_change_hook(struct reg *reg, reg_change_fn fn, void *ctx)
{
	reg->on_change = fn;
	reg->change_ctx = ctx;
}

/* Every mutation ends here: one generation step, one report to the store. */
void reg_changed(struct reg *reg, enum reg_kind kind, const char *key, const void *entry)
{
	reg->generation++;
	if (reg->on_change)
		reg->on_change(reg->change_ctx, kind, key, entry);
}

/* Frees an entry already out of its maps and reports its removal under
 * key, copied first: key points into the entry. */
static void removed(struct reg *reg, enum reg_kind kind, void *entry, const char *key)
{
	char copy[REG_NAME_MAX]; /* the longest key: names (UUIDs 36, devices 15) */

	snprintf(copy, sizeof(copy), "%s", key);
	free(entry);
	reg_changed(reg, kind, copy, NULL);
}

void reg_set_policy(struct reg *reg, enum reg_policy pol)
{
	reg->policy = pol;
}

enum reg_policy reg_get_policy(const struct reg *reg)
{
	return reg->policy;
}

/* ---- lookups ---- */

const struct reg_profile *reg_profile_get(const struct reg *reg, const char *name)
{
	return reg_map_get(&reg->profiles, name);
}

const struct reg_uplink *reg_uplink_get(const struct reg *reg, const char *dev)
{
	return reg_map_get(&reg->uplinks, dev);
}

const struct reg_network *reg_network_get(const struct reg *reg, const char *key)
{
	const struct reg_network *n = reg_map_get(&reg->networks, key);
	char canon[REG_UUID_STRLEN + 1];

	if (!n && reg_uuid_canon(key, canon) == 0)
		n = reg_map_get(&reg->net_uuids, canon);
	return n;
}

const struct reg_port *reg_port_get(const struct reg *reg, const char *uuid)
{
	char canon[REG_UUID_STRLEN + 1];

	if (reg_uuid_canon(uuid, canon) < 0)
		return NULL;
	return reg_map_get(&reg->ports, canon);
}

const struct reg_attachment *reg_attachment_get(const struct reg *reg, const char *iface_id)
{
	char canon[REG_UUID_STRLEN + 1];

	if (reg_uuid_canon(iface_id, canon) < 0)
		return NULL;
	return reg_map_get(&reg->attachments, canon);
}

const struct reg_binding *reg_binding_get(const struct reg *reg, const char *iface_id)
{
	char canon[REG_UUID_STRLEN + 1];

	if (reg_uuid_canon(iface_id, canon) < 0)
		return NULL;
	return reg_map_get(&reg->bindings, canon);
}

void reg_mac_key(char *out, size_t len, const char *uplink, const uint8_t mac[6])
{
	char m[18];

	reg_mac_format(mac, m);
	snprintf(out, len, "%s/%s", uplink, m);
}

const struct reg_binding *reg_binding_by_mac(const struct reg *reg, const char *uplink,
					     const uint8_t mac[6])
{
	char key[IFNAMSIZ + 18];

	reg_mac_key(key, sizeof(key), uplink, mac);
	return reg_map_get(&reg->bind_macs, key);
}

const struct reg_vsi *reg_vsi_get(const struct reg *reg, const char *iface_id)
{
	char canon[REG_UUID_STRLEN + 1];

	if (reg_uuid_canon(iface_id, canon) < 0)
		return NULL;
	return reg_map_get(&reg->vsis, canon);
}

#define SNAPSHOT(fn, type, field)						\
	const type **fn(const struct reg *reg, size_t *n)			\
	{									\
		return (const type **)reg_map_sorted(&reg->field, n);		\
	}
SNAPSHOT(reg_profiles, struct reg_profile, profiles)
SNAPSHOT(reg_uplinks, struct reg_uplink, uplinks)
SNAPSHOT(reg_networks, struct reg_network, networks)
SNAPSHOT(reg_ports, struct reg_port, ports)
SNAPSHOT(reg_attachments, struct reg_attachment, attachments)
SNAPSHOT(reg_bindings, struct reg_binding, bindings)
SNAPSHOT(reg_vsis, struct reg_vsi, vsis)

void reg_get_counts(const struct reg *reg, struct reg_counts *c)
{
	c->profiles = reg->profiles.n;
	c->uplinks = reg->uplinks.n;
	c->networks = reg->networks.n;
	c->ports = reg->ports.n;
	c->attachments = reg->attachments.n;
	c->bindings = reg->bindings.n;
	c->vsis = reg->vsis.n;
}

/* ---- profiles ---- */

int reg_check_origin(const char *what, const char *name, enum reg_origin have, enum reg_origin want,
		     struct reg_err *err)
{
	if (have == REG_ORIGIN_CONFIG && want != REG_ORIGIN_CONFIG)
		return reg_fail(err, -EPERM,
				"%s '%s' is defined in the configuration file; change it there",
				what, name);
	return 0;
}

static int profileid_check(const struct reg_profile *p, size_t pl, struct reg_err *err)
{
	if (pl == 0 || pl > REG_QBH_PROFILEID_MAX)
		return reg_fail(err, -EINVAL,
				"profile '%s': 802.1Qbh profileid must be 1..%d characters",
				p->name, REG_QBH_PROFILEID_MAX);
	for (size_t i = 0; i < pl; i++)
		if (!isgraph((unsigned char)p->profileid[i]))
			return reg_fail(
				err, -EINVAL,
				"profile '%s': profileid has a non-printable or space character",
				p->name);
	return 0;
}

enum reg_vport reg_vport_for(const struct reg_profile *p, const struct reg_uplink *u)
{
	if (u && u->vport == REG_VPORT_QBH && p->profileid[0])
		return REG_VPORT_QBH;
	return p->type;
}

static int validate_profile(const struct reg_profile *p, struct reg_profile *out, struct reg_err *err)
{
	size_t pl;

	if (!reg_name_valid(p->name))
		return reg_fail(err, -EINVAL, "profile name '%.*s' invalid: 1-63 characters of A-Z a-z 0-9 . _ : -",
			    REG_NAME_MAX, p->name);
	if (p->vlan > REG_VLAN_MAX)
		return reg_fail(err, -EINVAL, "profile '%s': vlan %u out of range 0..%u", p->name, p->vlan,
			    REG_VLAN_MAX);
	pl = strnlen(p->profileid, sizeof(p->profileid));
	*out = *p;
	switch (p->type) {
	case REG_VPORT_QBG:
		/* a profileid too: the same name on 802.1Qbh uplinks */
		if (pl && profileid_check(p, pl, err) < 0)
			return -EINVAL;
		if (p->typeid > 0xffffff)
			return reg_fail(err, -EINVAL, "profile '%s': typeid %u out of range (24 bits, <= 16777215)",
				    p->name, p->typeid);
		if (!p->filter_fmt)
			out->filter_fmt = FILTER_FMT_DEFAULT;
		else if (p->filter_fmt > 4)
			return reg_fail(err, -EINVAL, "profile '%s': filter format %u unknown (1 vid, 2 mac-vid, 3 group-vid, 4 group-mac-vid)",
				    p->name, p->filter_fmt);
		return 0;
	case REG_VPORT_QBH:
		if (profileid_check(p, pl, err) < 0)
			return -EINVAL;
		if (p->mgrid || p->typeid || p->typeidver || p->filter_fmt)
			return reg_fail(err, -EINVAL, "profile '%s': managerid/typeid/typeidversion/filter are 802.1Qbg parameters",
				    p->name);
		return 0;
	}
	return reg_fail(err, -EINVAL, "profile '%s': type must be 802.1Qbg or 802.1Qbh", p->name);
}

int reg_profile_add(struct reg *reg, const struct reg_profile *p, struct reg_err *err)
{
	struct reg_profile *np;
	int rc;

	np = malloc(sizeof(*np));
	if (!np)
		return reg_fail(err, -ENOMEM, "out of memory");
	rc = validate_profile(p, np, err);
	if (rc == 0 && reg_map_get(&reg->profiles, np->name))
		rc = reg_fail(err, -EEXIST, "profile '%s' already exists", np->name);
	if (rc == 0 && (rc = reg_map_put(&reg->profiles, np->name, np)) < 0)
		reg_fail(err, rc, "out of memory");
	if (rc < 0) {
		free(np);
		return rc;
	}
	reg_changed(reg, REG_KIND_PROFILE, np->name, np);
	return 0;
}

int reg_profile_set(struct reg *reg, const struct reg_profile *p, struct reg_err *err)
{
	struct reg_profile *cur = reg_map_get(&reg->profiles, p->name), np;
	int rc;

	if (!cur)
		return reg_fail(err, -ENOENT, "profile '%.*s' does not exist", REG_NAME_MAX, p->name);
	if ((rc = reg_check_origin("profile", cur->name, cur->origin, p->origin, err)) < 0)
		return rc;
	if ((rc = validate_profile(p, &np, err)) < 0)
		return rc;
	*cur = np;
	reg_changed(reg, REG_KIND_PROFILE, cur->name, cur);
	reg_reconcile(reg);
	return 0;
}

int reg_profile_del(struct reg *reg, const char *name, struct reg_err *err)
{
	struct reg_profile *p = reg_map_get(&reg->profiles, name);
	size_t n;
	const struct reg_network **nets;
	int rc = 0;

	if (!p)
		return reg_fail(err, -ENOENT, "profile '%s' does not exist", name);
	if ((rc = reg_check_origin("profile", name, p->origin, REG_ORIGIN_RUNTIME, err)) < 0)
		return rc;
	nets = reg_networks(reg, &n);
	for (size_t i = 0; i < n && !rc; i++)
		if (!strcmp(nets[i]->profile, name))
			rc = reg_fail(err, -EBUSY, "profile '%s' is used by network '%s'", name, nets[i]->name);
	free(nets);
	if (rc)
		return rc;
	reg_map_del(&reg->profiles, name);
	removed(reg, REG_KIND_PROFILE, p, p->name); /* name may point into p */
	return 0;
}

/* ---- uplinks ---- */

static int validate_uplink(const struct reg_uplink *u, struct reg_err *err)
{
	if (!reg_ifname_valid(u->dev))
		return reg_fail(err, -EINVAL, "uplink device name '%.*s' invalid", IFNAMSIZ, u->dev);
	if (!reg_name_valid(u->physnet))
		return reg_fail(err, -EINVAL, "uplink %s: physical network name '%.*s' invalid", u->dev,
			    REG_NAME_MAX, u->physnet);
	if (u->vport && u->vport != REG_VPORT_QBG && u->vport != REG_VPORT_QBH)
		return reg_fail(err, -EINVAL, "uplink %s: vport must be 802.1Qbg or 802.1Qbh",
				u->dev);
	switch (u->mode) {
	case REG_MODE_VEPA:
	case REG_MODE_PRIVATE:
	case REG_MODE_PASSTHROUGH:
		return 0;
	}
	return reg_fail(err, -EINVAL, "uplink %s: mode must be vepa, private or passthrough", u->dev);
}

/* Keeps the invariant of registry.h: every bound and attached interface-id
 * meets its network's physical network on its uplink. */
static int check_pairs(const struct reg *reg, const char *uplink, const char *uplink_physnet,
		       const char *network, const char *net_physnet, struct reg_err *err)
{
	size_t n;
	const struct reg_binding **bs = reg_bindings(reg, &n);
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++) {
		const struct reg_binding *b = bs[i];
		const struct reg_attachment *a = reg_map_get(&reg->attachments, b->iface_id);
		const struct reg_network *net;
		const struct reg_uplink *u;
		const char *up_pn, *net_pn;

		if (!a || (uplink && strcmp(b->uplink, uplink)) || (network && strcmp(a->network, network)))
			continue;
		u = reg_map_get(&reg->uplinks, b->uplink);
		net = reg_map_get(&reg->networks, a->network);
		up_pn = uplink ? uplink_physnet : (u ? u->physnet : "");
		net_pn = network ? net_physnet : (net ? net->physnet : "");
		if (strcmp(up_pn, net_pn))
			rc = reg_fail(err, -EBUSY,
				  "interface %s is bound on %s (physical network '%s') and attached to network '%s' (physical network '%s')",
				  b->iface_id, b->uplink, up_pn, a->network, net_pn);
	}
	free(bs);
	return rc;
}

int reg_uplink_add(struct reg *reg, const struct reg_uplink *u, struct reg_err *err)
{
	struct reg_uplink *nu;
	int rc;

	if ((rc = validate_uplink(u, err)) < 0)
		return rc;
	if (reg_map_get(&reg->uplinks, u->dev))
		return reg_fail(err, -EEXIST, "uplink %s already exists", u->dev);
	nu = malloc(sizeof(*nu));
	if (!nu)
		return reg_fail(err, -ENOMEM, "out of memory");
	*nu = *u;
	if (reg_map_put(&reg->uplinks, nu->dev, nu) < 0) {
		free(nu);
		return reg_fail(err, -ENOMEM, "out of memory");
	}
	reg_changed(reg, REG_KIND_UPLINK, nu->dev, nu);
	return 0;
}

int reg_uplink_set(struct reg *reg, const struct reg_uplink *u, struct reg_err *err)
{
	struct reg_uplink *cur = reg_map_get(&reg->uplinks, u->dev);
	int rc;

	if (!cur)
		return reg_fail(err, -ENOENT, "uplink %.*s does not exist", IFNAMSIZ, u->dev);
	if ((rc = reg_check_origin("uplink", cur->dev, cur->origin, u->origin, err)) < 0)
		return rc;
	if ((rc = validate_uplink(u, err)) < 0)
		return rc;
	if ((rc = check_pairs(reg, u->dev, u->physnet, NULL, NULL, err)) < 0)
		return rc;
	*cur = *u;
	reg_changed(reg, REG_KIND_UPLINK, cur->dev, cur);
	reg_reconcile(reg);
	return 0;
}

int reg_uplink_del(struct reg *reg, const char *dev, struct reg_err *err)
{
	struct reg_uplink *u = reg_map_get(&reg->uplinks, dev);
	size_t n;
	const struct reg_binding **bs;
	int rc;

	if (!u)
		return reg_fail(err, -ENOENT, "uplink %s does not exist", dev);
	if ((rc = reg_check_origin("uplink", dev, u->origin, REG_ORIGIN_RUNTIME, err)) < 0)
		return rc;
	bs = reg_bindings(reg, &n);
	for (size_t i = 0; i < n && !rc; i++)
		if (!strcmp(bs[i]->uplink, dev))
			rc = reg_fail(err, -EBUSY, "uplink %s has interface %s bound", dev, bs[i]->iface_id);
	free(bs);
	if (rc)
		return rc;
	reg_map_del(&reg->uplinks, dev);
	removed(reg, REG_KIND_UPLINK, u, u->dev);
	return 0;
}

/* ---- networks ---- */

static int validate_network(const struct reg *reg, const struct reg_network *n, struct reg_network *out,
			    struct reg_err *err)
{
	const struct reg_network *other;

	*out = *n;
	if (!reg_name_valid(n->name))
		return reg_fail(err, -EINVAL, "network name '%.*s' invalid: 1-63 characters of A-Z a-z 0-9 . _ : -",
			    REG_NAME_MAX, n->name);
	if (n->uuid[0] && reg_uuid_canon(n->uuid, out->uuid) < 0)
		return reg_fail(err, -EINVAL, "network '%s': uuid '%.*s' is not a UUID", n->name,
			    REG_UUID_STRLEN + 1, n->uuid);
	if (out->uuid[0] && (other = reg_map_get(&reg->net_uuids, out->uuid)) &&
	    strcmp(other->name, n->name))
		return reg_fail(err, -EEXIST, "network '%s': uuid %s is already network '%s'", n->name,
			    out->uuid, other->name);
	if (!reg_name_valid(n->physnet))
		return reg_fail(err, -EINVAL, "network '%s': physical network name '%.*s' invalid", n->name,
			    REG_NAME_MAX, n->physnet);
	if (!reg_map_get(&reg->profiles, n->profile))
		return reg_fail(err, -ENOENT, "network '%s': profile '%.*s' does not exist", n->name,
			    REG_NAME_MAX, n->profile);
	if (n->vlan > REG_VLAN_MAX)
		return reg_fail(err, -EINVAL, "network '%s': vlan %u out of range 0..%u", n->name, n->vlan,
			    REG_VLAN_MAX);
	return 0;
}

int reg_network_add(struct reg *reg, const struct reg_network *n, struct reg_err *err)
{
	struct reg_network *nn = malloc(sizeof(*nn));
	int rc;

	if (!nn)
		return reg_fail(err, -ENOMEM, "out of memory");
	rc = validate_network(reg, n, nn, err);
	if (rc == 0 && reg_map_get(&reg->networks, nn->name))
		rc = reg_fail(err, -EEXIST, "network '%s' already exists", nn->name);
	if (rc == 0 && reg_map_put(&reg->networks, nn->name, nn) < 0)
		rc = reg_fail(err, -ENOMEM, "out of memory");
	if (rc == 0 && nn->uuid[0] && reg_map_put(&reg->net_uuids, nn->uuid, nn) < 0) {
		reg_map_del(&reg->networks, nn->name);
		rc = reg_fail(err, -ENOMEM, "out of memory");
	}
	if (rc < 0) {
		free(nn);
		return rc;
	}
	reg_changed(reg, REG_KIND_NETWORK, nn->name, nn);
	return 0;
}

int reg_network_set(struct reg *reg, const struct reg_network *n, struct reg_err *err)
{
	struct reg_network *cur = reg_map_get(&reg->networks, n->name), nn;
	int rc;

	if (!cur)
		return reg_fail(err, -ENOENT, "network '%.*s' does not exist", REG_NAME_MAX, n->name);
	if ((rc = reg_check_origin("network", cur->name, cur->origin, n->origin, err)) < 0)
		return rc;
	if ((rc = validate_network(reg, n, &nn, err)) < 0)
		return rc;
	if ((rc = check_pairs(reg, NULL, NULL, nn.name, nn.physnet, err)) < 0)
		return rc;
	/* The uuid map's key points into cur->uuid: drop it before the copy. */
	if (cur->uuid[0])
		reg_map_del(&reg->net_uuids, cur->uuid);
	*cur = nn;
	if (cur->uuid[0] && reg_map_put(&reg->net_uuids, cur->uuid, cur) < 0)
		cur->uuid[0] = 0;
	reg_changed(reg, REG_KIND_NETWORK, cur->name, cur);
	reg_reconcile(reg);
	return 0;
}

int reg_network_del(struct reg *reg, const char *key, struct reg_err *err)
{
	struct reg_network *n = (struct reg_network *)reg_network_get(reg, key);
	size_t cnt;
	int rc = 0;

	if (!n)
		return reg_fail(err, -ENOENT, "network '%s' does not exist", key);
	if ((rc = reg_check_origin("network", n->name, n->origin, REG_ORIGIN_RUNTIME, err)) < 0)
		return rc;
	{
		const struct reg_attachment **as = reg_attachments(reg, &cnt);

		for (size_t i = 0; i < cnt && !rc; i++)
			if (!strcmp(as[i]->network, n->name))
				rc = reg_fail(err, -EBUSY, "network '%s' has interface %s attached", n->name,
					  as[i]->iface_id);
		free(as);
	}
	if (!rc) {
		const struct reg_port **ps = reg_ports(reg, &cnt);

		for (size_t i = 0; i < cnt && !rc; i++)
			if (!strcmp(ps[i]->network, n->name))
				rc = reg_fail(err, -EBUSY, "network '%s' still has port %s", n->name, ps[i]->uuid);
		free(ps);
	}
	if (rc)
		return rc;
	if (n->uuid[0])
		reg_map_del(&reg->net_uuids, n->uuid);
	reg_map_del(&reg->networks, n->name);
	removed(reg, REG_KIND_NETWORK, n,
		n->name); /* key may be the UUID: the journal names the network */
	return 0;
}

/* ---- ports ---- */

int reg_port_add(struct reg *reg, const struct reg_port *p, struct reg_err *err)
{
	struct reg_port *np;
	const struct reg_network *n;
	char canon[REG_UUID_STRLEN + 1];

	if (reg_uuid_canon(p->uuid, canon) < 0)
		return reg_fail(err, -EINVAL, "port '%.*s' is not a UUID", REG_UUID_STRLEN + 1, p->uuid);
	if (!(n = reg_network_get(reg, p->network)))
		return reg_fail(err, -ENOENT, "port %s: network '%.*s' does not exist", canon, REG_NAME_MAX,
			    p->network);
	if (reg_map_get(&reg->ports, canon))
		return reg_fail(err, -EEXIST, "port %s already exists", canon);
	np = malloc(sizeof(*np));
	if (!np)
		return reg_fail(err, -ENOMEM, "out of memory");
	*np = *p;
	memcpy(np->uuid, canon, sizeof(np->uuid));
	snprintf(np->network, sizeof(np->network), "%s", n->name);
	if (reg_map_put(&reg->ports, np->uuid, np) < 0) {
		free(np);
		return reg_fail(err, -ENOMEM, "out of memory");
	}
	reg_changed(reg, REG_KIND_PORT, np->uuid, np);
	return 0;
}

int reg_port_del(struct reg *reg, const char *uuid, struct reg_err *err)
{
	struct reg_port *p = (struct reg_port *)reg_port_get(reg, uuid);
	const struct reg_attachment *a;
	int rc;

	if (!p)
		return reg_fail(err, -ENOENT, "port '%s' does not exist", uuid);
	if ((rc = reg_check_origin("port", p->uuid, p->origin, REG_ORIGIN_RUNTIME, err)) < 0)
		return rc;
	if ((a = reg_map_get(&reg->port_used, p->uuid)))
		return reg_fail(err, -EBUSY, "port %s has interface %s attached", p->uuid, a->iface_id);
	reg_map_del(&reg->ports, p->uuid);
	removed(reg, REG_KIND_PORT, p, p->uuid);
	return 0;
}
