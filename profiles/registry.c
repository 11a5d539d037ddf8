/* Port-profile registry: the model, validation, and reconciliation of
 * desired VSIs (see registry.h and docs/registry.md). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiles/registry.h"
#include "vdp/wire/vdp_text.h"
#include "profiles/regmap.h"

#define FILTER_FMT_DEFAULT 2	/* MAC/VID, 802.1Qbg 41.2.9: what libvirt's requests carry */

/* A binding is indexed twice: by interface-id and by (uplink, MAC). */
struct bnode {
	struct reg_binding b;	/* first: public pointers are to b */
	char mackey[IFNAMSIZ + 18];
};

struct reg {
	const struct reg_ops *ops;
	void *ctx;
	struct reg_map profiles;	/* name -> reg_profile */
	struct reg_map uplinks;		/* dev -> reg_uplink */
	struct reg_map networks;	/* name -> reg_network */
	struct reg_map net_uuids;	/* uuid -> reg_network */
	struct reg_map ports;		/* uuid -> reg_port */
	struct reg_map port_used;	/* port uuid -> reg_attachment */
	struct reg_map attachments;	/* iface-id -> reg_attachment */
	struct reg_map bindings;	/* iface-id -> bnode */
	struct reg_map bind_macs;	/* "uplink/mac" -> bnode */
	struct reg_map vsis;		/* iface-id -> reg_vsi (last reported) */
	enum reg_policy policy;
	uint64_t generation;
	reg_change_fn on_change;
	void *change_ctx;
};

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

/* ---- text helpers ---- */

bool reg_name_valid(const char *s)
{
	size_t n = strnlen(s, REG_NAME_MAX);

	if (n == 0 || n >= REG_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._:-", *s))
			return false;
	return true;
}

static bool ifname_valid(const char *s)
{
	size_t n = strnlen(s, IFNAMSIZ);

	if (n == 0 || n >= IFNAMSIZ)
		return false;
	for (; *s; s++)
		if (!isgraph((unsigned char)*s) || *s == '/' || *s == ':')
			return false;
	return true;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The one UUID rule of every command (vdp/wire/vdp_text.h): 32 hex
 * digits, dashes anywhere optional. */
int reg_uuid_parse(const char *in, uint8_t out[16])
{
	return in ? vdp_txt_uuid_parse(in, out) : -EINVAL;
}

/* By hand, not snprintf: every lookup by interface-id canonicalises. */
void reg_uuid_format(const uint8_t u[16], char out[REG_UUID_STRLEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	char *p = out;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[u[i] >> 4];
		*p++ = hex[u[i] & 15];
	}
	*p = 0;
}

int reg_uuid_canon(const char *in, char out[REG_UUID_STRLEN + 1])
{
	uint8_t u[16];

	if (reg_uuid_parse(in, u) < 0)
		return -EINVAL;
	reg_uuid_format(u, out);
	return 0;
}

int reg_mac_parse(const char *in, uint8_t out[6])
{
	if (!in || strlen(in) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(in[3 * i]), lo = hexval(in[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && in[3 * i + 2] != ':'))
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void reg_mac_format(const uint8_t m[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

const char *reg_vport_name(enum reg_vport t)
{
	switch (t) {
	case REG_VPORT_QBG:
		return "802.1Qbg";
	case REG_VPORT_QBH:
		return "802.1Qbh";
	}
	return "?";
}

int reg_vport_parse(const char *s, enum reg_vport *t)
{
	if (!strcasecmp(s, "qbg") || !strcasecmp(s, "802.1Qbg"))
		*t = REG_VPORT_QBG;
	else if (!strcasecmp(s, "qbh") || !strcasecmp(s, "802.1Qbh"))
		*t = REG_VPORT_QBH;
	else
		return -EINVAL;
	return 0;
}

const char *reg_mode_name(enum reg_mode m)
{
	switch (m) {
	case REG_MODE_VEPA:
		return "vepa";
	case REG_MODE_PRIVATE:
		return "private";
	case REG_MODE_PASSTHROUGH:
		return "passthrough";
	}
	return "?";
}

int reg_mode_parse(const char *s, enum reg_mode *m)
{
	if (!strcmp(s, "vepa"))
		*m = REG_MODE_VEPA;
	else if (!strcmp(s, "private"))
		*m = REG_MODE_PRIVATE;
	else if (!strcmp(s, "passthrough"))
		*m = REG_MODE_PASSTHROUGH;
	else
		return -EINVAL;
	return 0;
}

const char *reg_origin_name(enum reg_origin o)
{
	switch (o) {
	case REG_ORIGIN_RUNTIME:
		return "runtime";
	case REG_ORIGIN_CONFIG:
		return "config";
	case REG_ORIGIN_LEARNED:
		return "learned";
	}
	return "?";
}

int reg_origin_parse(const char *s, enum reg_origin *o)
{
	if (!strcmp(s, "runtime"))
		*o = REG_ORIGIN_RUNTIME;
	else if (!strcmp(s, "config"))
		*o = REG_ORIGIN_CONFIG;
	else if (!strcmp(s, "learned"))
		*o = REG_ORIGIN_LEARNED;
	else
		return -EINVAL;
	return 0;
}

const char *reg_policy_name(enum reg_policy p)
{
	switch (p) {
	case REG_POLICY_OFF:
		return "off";
	case REG_POLICY_LEARN:
		return "learn";
	case REG_POLICY_ENFORCE:
		return "enforce";
	}
	return "?";
}

int reg_policy_parse(const char *s, enum reg_policy *p)
{
	if (!strcmp(s, "off"))
		*p = REG_POLICY_OFF;
	else if (!strcmp(s, "learn"))
		*p = REG_POLICY_LEARN;
	else if (!strcmp(s, "enforce"))
		*p = REG_POLICY_ENFORCE;
	else
		return -EINVAL;
	return 0;
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
static void changed(struct reg *reg, enum reg_kind kind, const char *key, const void *entry)
{
	reg->generation++;
	if (reg->on_change)
		reg->on_change(reg->change_ctx, kind, key, entry);
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

static void mac_key(char *out, size_t len, const char *uplink, const uint8_t mac[6])
{
	char m[18];

	reg_mac_format(mac, m);
	snprintf(out, len, "%s/%s", uplink, m);
}

const struct reg_binding *reg_binding_by_mac(const struct reg *reg, const char *uplink,
					     const uint8_t mac[6])
{
	char key[IFNAMSIZ + 18];

	mac_key(key, sizeof(key), uplink, mac);
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
	v->type = p->type;
	v->mgrid = p->mgrid;
	v->typeid = p->typeid;
	v->typeidver = p->typeidver;
	v->filter_fmt = p->filter_fmt;
	memcpy(v->profileid, p->profileid, sizeof(v->profileid));
	return true;
}

static void reconcile_one(struct reg *reg, const char *iface_id)
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
	char (*ids)[REG_UUID_STRLEN + 1];
	size_t k = 0;

	/* Snapshot the interface-ids first: reconcile_one() changes vsis. */
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
		reconcile_one(reg, ids[i]);
	free(ids);
}

void reg_replace(struct reg *dst, struct reg *src)
{
	struct reg_map *pairs[][2] = {
		{ &dst->profiles, &src->profiles }, { &dst->uplinks, &src->uplinks },
		{ &dst->networks, &src->networks }, { &dst->net_uuids, &src->net_uuids },
		{ &dst->ports, &src->ports },	    { &dst->port_used, &src->port_used },
		{ &dst->attachments, &src->attachments }, { &dst->bindings, &src->bindings },
		{ &dst->bind_macs, &src->bind_macs },
	};

	/* src leaves with dst's old entries and its own VSIs: both freed. */
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct reg_map t = *pairs[i][0];

		*pairs[i][0] = *pairs[i][1];
		*pairs[i][1] = t;
	}
	reg_free(src);
	changed(dst, REG_KIND_ALL, NULL, NULL);
	reg_reconcile(dst);
}

/* ---- profiles ---- */

static int check_config_origin(const char *what, const char *name, enum reg_origin have,
			       enum reg_origin want, struct reg_err *err)
{
	if (have == REG_ORIGIN_CONFIG && want != REG_ORIGIN_CONFIG)
		return reg_fail(err, -EPERM, "%s '%s' is defined in the configuration file; change it there",
			    what, name);
	return 0;
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
		if (pl)
			return reg_fail(err, -EINVAL, "profile '%s': profileid is an 802.1Qbh parameter", p->name);
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
		if (pl == 0 || pl > REG_QBH_PROFILEID_MAX)
			return reg_fail(err, -EINVAL, "profile '%s': 802.1Qbh profileid must be 1..%d characters",
				    p->name, REG_QBH_PROFILEID_MAX);
		for (size_t i = 0; i < pl; i++)
			if (!isgraph((unsigned char)p->profileid[i]))
				return reg_fail(err, -EINVAL, "profile '%s': profileid has a non-printable or space character",
					    p->name);
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
	changed(reg, REG_KIND_PROFILE, np->name, np);
	return 0;
}

int reg_profile_set(struct reg *reg, const struct reg_profile *p, struct reg_err *err)
{
	struct reg_profile *cur = reg_map_get(&reg->profiles, p->name), np;
	int rc;

	if (!cur)
		return reg_fail(err, -ENOENT, "profile '%.*s' does not exist", REG_NAME_MAX, p->name);
	if ((rc = check_config_origin("profile", cur->name, cur->origin, p->origin, err)) < 0)
		return rc;
	if ((rc = validate_profile(p, &np, err)) < 0)
		return rc;
	*cur = np;
	changed(reg, REG_KIND_PROFILE, cur->name, cur);
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
	if ((rc = check_config_origin("profile", name, p->origin, REG_ORIGIN_RUNTIME, err)) < 0)
		return rc;
	nets = reg_networks(reg, &n);
	for (size_t i = 0; i < n && !rc; i++)
		if (!strcmp(nets[i]->profile, name))
			rc = reg_fail(err, -EBUSY, "profile '%s' is used by network '%s'", name, nets[i]->name);
	free(nets);
	if (rc)
		return rc;
	reg_map_del(&reg->profiles, name);
	{
		/* name may point into p. */
		char key[REG_NAME_MAX];

		memcpy(key, p->name, sizeof(key));
		free(p);
		changed(reg, REG_KIND_PROFILE, key, NULL);
	}
	return 0;
}

/* ---- uplinks ---- */

static int validate_uplink(const struct reg_uplink *u, struct reg_err *err)
{
	if (!ifname_valid(u->dev))
		return reg_fail(err, -EINVAL, "uplink device name '%.*s' invalid", IFNAMSIZ, u->dev);
	if (!reg_name_valid(u->physnet))
		return reg_fail(err, -EINVAL, "uplink %s: physical network name '%.*s' invalid", u->dev,
			    REG_NAME_MAX, u->physnet);
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
	changed(reg, REG_KIND_UPLINK, nu->dev, nu);
	return 0;
}

int reg_uplink_set(struct reg *reg, const struct reg_uplink *u, struct reg_err *err)
{
	struct reg_uplink *cur = reg_map_get(&reg->uplinks, u->dev);
	int rc;

	if (!cur)
		return reg_fail(err, -ENOENT, "uplink %.*s does not exist", IFNAMSIZ, u->dev);
	if ((rc = check_config_origin("uplink", cur->dev, cur->origin, u->origin, err)) < 0)
		return rc;
	if ((rc = validate_uplink(u, err)) < 0)
		return rc;
	if ((rc = check_pairs(reg, u->dev, u->physnet, NULL, NULL, err)) < 0)
		return rc;
	*cur = *u;
	changed(reg, REG_KIND_UPLINK, cur->dev, cur);
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
	if ((rc = check_config_origin("uplink", dev, u->origin, REG_ORIGIN_RUNTIME, err)) < 0)
		return rc;
	bs = reg_bindings(reg, &n);
	for (size_t i = 0; i < n && !rc; i++)
		if (!strcmp(bs[i]->uplink, dev))
			rc = reg_fail(err, -EBUSY, "uplink %s has interface %s bound", dev, bs[i]->iface_id);
	free(bs);
	if (rc)
		return rc;
	reg_map_del(&reg->uplinks, dev);
	{
		char key[IFNAMSIZ];

		memcpy(key, u->dev, sizeof(key));
		free(u);
		changed(reg, REG_KIND_UPLINK, key, NULL);
	}
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
	changed(reg, REG_KIND_NETWORK, nn->name, nn);
	return 0;
}

int reg_network_set(struct reg *reg, const struct reg_network *n, struct reg_err *err)
{
	struct reg_network *cur = reg_map_get(&reg->networks, n->name), nn;
	int rc;

	if (!cur)
		return reg_fail(err, -ENOENT, "network '%.*s' does not exist", REG_NAME_MAX, n->name);
	if ((rc = check_config_origin("network", cur->name, cur->origin, n->origin, err)) < 0)
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
	changed(reg, REG_KIND_NETWORK, cur->name, cur);
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
	if ((rc = check_config_origin("network", n->name, n->origin, REG_ORIGIN_RUNTIME, err)) < 0)
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
	{
		/* key may be the UUID: the journal names the network. */
		char name[REG_NAME_MAX];

		memcpy(name, n->name, sizeof(name));
		free(n);
		changed(reg, REG_KIND_NETWORK, name, NULL);
	}
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
	changed(reg, REG_KIND_PORT, np->uuid, np);
	return 0;
}

int reg_port_del(struct reg *reg, const char *uuid, struct reg_err *err)
{
	struct reg_port *p = (struct reg_port *)reg_port_get(reg, uuid);
	char canon[REG_UUID_STRLEN + 1];
	const struct reg_attachment *a;
	int rc;

	if (!p)
		return reg_fail(err, -ENOENT, "port '%s' does not exist", uuid);
	if ((rc = check_config_origin("port", p->uuid, p->origin, REG_ORIGIN_RUNTIME, err)) < 0)
		return rc;
	if ((a = reg_map_get(&reg->port_used, p->uuid)))
		return reg_fail(err, -EBUSY, "port %s has interface %s attached", p->uuid, a->iface_id);
	reg_map_del(&reg->ports, p->uuid);
	memcpy(canon, p->uuid, sizeof(canon));
	free(p);
	changed(reg, REG_KIND_PORT, canon, NULL);
	return 0;
}

/* ---- attachments (logical plug) ---- */

static int physnet_meets(const struct reg *reg, const char *iface_id, const char *uplink,
			 const struct reg_network *n, struct reg_err *err)
{
	const struct reg_uplink *u = reg_map_get(&reg->uplinks, uplink);

	if (u && n && strcmp(u->physnet, n->physnet))
		return reg_fail(err, -EINVAL,
			    "interface %s: uplink %s reaches physical network '%s' but network '%s' is on '%s'",
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
		return reg_fail(err, -EINVAL, "interface-id '%.*s' is not a UUID", REG_UUID_STRLEN + 1,
			    a->iface_id);
	if (!(n = reg_network_get(reg, a->network)))
		return reg_fail(err, -ENOENT, "interface %s: network '%.*s' does not exist", id, REG_NAME_MAX,
			    a->network);
	if (a->port[0]) {
		const struct reg_port *p = reg_port_get(reg, a->port);

		if (!p)
			return reg_fail(err, -ENOENT, "interface %s: port '%.*s' does not exist", id,
				    REG_UUID_STRLEN + 1, a->port);
		if (strcmp(p->network, n->name))
			return reg_fail(err, -EINVAL, "interface %s: port %s is on network '%s', not '%s'", id,
				    p->uuid, p->network, n->name);
		user = reg_map_get(&reg->port_used, p->uuid);
		if (user && strcmp(user->iface_id, id))
			return reg_fail(err, -EBUSY, "port %s is already used by interface %s", p->uuid,
				    user->iface_id);
		memcpy(port, p->uuid, sizeof(port));
	}
	bn = reg_map_get(&reg->bindings, id);
	if (bn && (rc = physnet_meets(reg, id, bn->b.uplink, n, err)) < 0)
		return rc;
	cur = reg_map_get(&reg->attachments, id);
	if (cur) {
		if ((rc = check_config_origin("attachment", id, cur->origin, a->origin, err)) < 0)
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
	changed(reg, REG_KIND_ATTACHMENT, id, cur);
	reconcile_one(reg, id);
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
	if ((rc = check_config_origin("attachment", id, a->origin, REG_ORIGIN_RUNTIME, err)) < 0)
		return rc;
	if (a->port[0])
		reg_map_del(&reg->port_used, a->port);
	reg_map_del(&reg->attachments, id);
	free(a);
	changed(reg, REG_KIND_ATTACHMENT, id, NULL);
	reconcile_one(reg, id);
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
		return reg_fail(err, -EINVAL, "interface-id '%.*s' is not a UUID", REG_UUID_STRLEN + 1,
			    b->iface_id);
	/* dev may be unknown: libvirt's port-created hook runs before the
	 * macvtap exists; the qemu start hook fills it in later. */
	if (b->dev[0] && !ifname_valid(b->dev))
		return reg_fail(err, -EINVAL, "interface %s: device name '%.*s' invalid", id, IFNAMSIZ, b->dev);
	reg_mac_format(b->mac, mac);
	if (!mac_usable(b->mac))
		return reg_fail(err, -EINVAL, "interface %s: MAC %s is zero or a group address", id, mac);
	if (!reg_map_get(&reg->uplinks, b->uplink))
		return reg_fail(err, -ENOENT, "interface %s: uplink '%.*s' is not a registered host uplink", id,
			    IFNAMSIZ, b->uplink);
	mac_key(key, sizeof(key), b->uplink, b->mac);
	other = reg_map_get(&reg->bind_macs, key);
	if (other && strcmp(other->b.iface_id, id))
		return reg_fail(err, -EEXIST, "interface %s: MAC %s on %s is already bound to interface %s", id,
			    mac, b->uplink, other->b.iface_id);
	cur = reg_map_get(&reg->bindings, id);
	if (cur) {
		if ((!strcmp(cur->b.dev, b->dev) || !cur->b.dev[0] || !b->dev[0]) &&
		    !memcmp(cur->b.mac, b->mac, 6) && !strcmp(cur->b.uplink, b->uplink)) {
			if (!cur->b.dev[0] && b->dev[0]) {
				memcpy(cur->b.dev, b->dev, sizeof(cur->b.dev));
				changed(reg, REG_KIND_BINDING, id, &cur->b);
				reconcile_one(reg, id);
			}
			return 0;
		}
		reg_mac_format(cur->b.mac, mac);
		return reg_fail(err, -EEXIST, "interface %s is already bound to %s (mac %s, uplink %s); unbind it first",
			    id, cur->b.dev[0] ? cur->b.dev : "-", mac, cur->b.uplink);
	}
	a = reg_map_get(&reg->attachments, id);
	if (a && (rc = physnet_meets(reg, id, b->uplink, reg_map_get(&reg->networks, a->network), err)) < 0)
		return rc;
	cur = calloc(1, sizeof(*cur));
	if (!cur)
		return reg_fail(err, -ENOMEM, "out of memory");
	cur->b = *b;
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
	changed(reg, REG_KIND_BINDING, id, &cur->b);
	reconcile_one(reg, id);
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
	if ((rc = check_config_origin("binding", id, bn->b.origin, REG_ORIGIN_RUNTIME, err)) < 0)
		return rc;
	reg_map_del(&reg->bind_macs, bn->mackey);
	reg_map_del(&reg->bindings, id);
	free(bn);
	changed(reg, REG_KIND_BINDING, id, NULL);
	reconcile_one(reg, id);
	return 0;
}

/* ---- policy for libvirt requests ---- */

int reg_check_request(struct reg *reg, const char *ifname, const uint8_t mac[6], uint16_t vlan,
		      uint8_t mgrid, uint32_t typeid, uint8_t typeidver, const uint8_t uuid[16],
		      struct reg_err *why)
{
	char id[REG_UUID_STRLEN + 1], m[18], bm[18];
	const struct bnode *bn;
	const struct reg_vsi *v;

	if (why)
		why->msg[0] = 0;
	reg_uuid_format(uuid, id);
	reg_mac_format(mac, m);
	bn = reg_map_get(&reg->bindings, id);
	switch (reg->policy) {
	case REG_POLICY_OFF:
		return 0;
	case REG_POLICY_LEARN:
		if (bn) {
			reg_mac_format(bn->b.mac, bm);
			if (strcmp(bn->b.uplink, ifname) || memcmp(bn->b.mac, mac, 6))
				return reg_fail(why, -EACCES, "instance %s is bound to mac %s on %s, request has mac %s on %s",
					    id, bm, bn->b.uplink, m, ifname);
			return 0;
		} else {
			struct reg_binding b = { .origin = REG_ORIGIN_LEARNED };
			struct reg_err e;
			int rc;

			memcpy(b.iface_id, id, sizeof(id));
			memcpy(b.mac, mac, 6);
			snprintf(b.uplink, sizeof(b.uplink), "%s", ifname);
			rc = reg_bind(reg, &b, &e);
			/* An unknown uplink is no reason to refuse under learn:
			 * the request passes, unrecorded. */
			if (rc == -ENOENT)
				return reg_fail(why, 0, "passed, not learned: %s", e.msg);
			if (rc < 0)
				return reg_fail(why, -EACCES, "%s", e.msg);
			return 0;
		}
	case REG_POLICY_ENFORCE:
		break;
	}
	if (!reg_map_get(&reg->attachments, id))
		return reg_fail(why, -EACCES, "instance %s is not attached to any network", id);
	if (!bn)
		return reg_fail(why, -EACCES, "instance %s has no edge binding", id);
	if (!(v = reg_map_get(&reg->vsis, id)))
		return reg_fail(why, -EACCES, "instance %s: binding and attachment do not meet", id);
	reg_mac_format(v->mac, bm);
	if (strcmp(v->uplink, ifname))
		return reg_fail(why, -EACCES, "instance %s: request on %s, bound on uplink %s", id, ifname, v->uplink);
	if (memcmp(v->mac, mac, 6))
		return reg_fail(why, -EACCES, "instance %s: request mac %s, bound mac %s", id, m, bm);
	/* VID 0 asks the bridge to choose (802.1Qbg 41.2.9, null VID). */
	if (vlan && vlan != v->vlan)
		return reg_fail(why, -EACCES, "instance %s: request vlan %u, network '%s' has vlan %u", id, vlan,
			    v->network, v->vlan);
	if (v->type != REG_VPORT_QBG)
		return reg_fail(why, -EACCES, "instance %s: profile '%s' is 802.1Qbh, request is 802.1Qbg", id,
			    v->profile);
	if (v->mgrid != mgrid || v->typeid != typeid || v->typeidver != typeidver)
		return reg_fail(why, -EACCES,
			    "instance %s: request managerid %u typeid %u version %u, profile '%s' has %u/%u/%u", id,
			    mgrid, typeid, typeidver, v->profile, v->mgrid, v->typeid, v->typeidver);
	return 0;
}
