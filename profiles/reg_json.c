/* Registry entries <-> JSON (see reg_json.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiles/reg_json.h"

static int cpy(char *dst, size_t n, const char *src, const char *key, struct reg_err *err)
{
	if (!src) {
		dst[0] = 0;
		return 0;
	}
	if (strlen(src) >= n)
		return reg_fail(err, -EINVAL, "\"%s\" is longer than %zu characters", key, n - 1);
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

static int range(json_int_t v, json_int_t max, const char *key, struct reg_err *err)
{
	if (v < 0 || v > max)
		return reg_fail(err, -EINVAL, "\"%s\" %lld out of range 0..%lld", key, (long long)v, (long long)max);
	return 0;
}

static int origin(const char *s, enum reg_origin *o, struct reg_err *err)
{
	*o = REG_ORIGIN_RUNTIME;
	if (s && reg_origin_parse(s, o) < 0)
		return reg_fail(err, -EINVAL, "\"origin\" '%s' is not runtime, config or learned", s);
	return 0;
}

static int unpack_fail(json_error_t *je, const char *what, struct reg_err *err)
{
	return reg_fail(err, -EINVAL, "%s: %s", what, je->text);
}

json_t *reg_profile_to_json(const struct reg_profile *p)
{
	switch (p->type) {
	case REG_VPORT_QBG: {
		json_t *j = json_pack("{s:s, s:s, s:i, s:I, s:i, s:i, s:i, s:s}", "name", p->name,
				      "type", reg_vport_name(p->type), "mgrid", p->mgrid, "typeid",
				      (json_int_t)p->typeid, "typeidver", p->typeidver,
				      "filter_fmt", p->filter_fmt, "vlan", p->vlan, "origin",
				      reg_origin_name(p->origin));
		if (j && p->profileid[0])
			json_object_set_new(j, "profileid", json_string(p->profileid));
		return j;
	}
	case REG_VPORT_QBH:
		return json_pack("{s:s, s:s, s:s, s:i, s:s}", "name", p->name, "type", reg_vport_name(p->type),
				 "profileid", p->profileid, "vlan", p->vlan, "origin", reg_origin_name(p->origin));
	}
	return NULL;
}

int reg_profile_from_json(json_t *j, struct reg_profile *p, struct reg_err *err)
{
	const char *name, *type, *pid = NULL, *org = NULL;
	json_int_t mgrid = 0, typeid = 0, ver = 0, fmt = 0, vlan = 0;
	json_error_t je;

	memset(p, 0, sizeof(*p));
	if (json_unpack_ex(j, &je, JSON_STRICT, "{s:s, s:s, s?I, s?I, s?I, s?I, s?s, s?I, s?s}", "name", &name,
			   "type", &type, "mgrid", &mgrid, "typeid", &typeid, "typeidver", &ver, "filter_fmt",
			   &fmt, "profileid", &pid, "vlan", &vlan, "origin", &org))
		return unpack_fail(&je, "profile", err);
	if (reg_vport_parse(type, &p->type) < 0)
		return reg_fail(err, -EINVAL, "profile '%s': \"type\" '%s' is not 802.1Qbg or 802.1Qbh", name, type);
	if (cpy(p->name, sizeof(p->name), name, "name", err) || range(mgrid, 0xff, "mgrid", err) ||
	    range(typeid, 0xffffff, "typeid", err) || range(ver, 0xff, "typeidver", err) ||
	    range(fmt, 4, "filter_fmt", err) || range(vlan, REG_VLAN_MAX, "vlan", err) ||
	    cpy(p->profileid, sizeof(p->profileid), pid, "profileid", err) || origin(org, &p->origin, err))
		return -EINVAL;
	p->mgrid = (uint8_t)mgrid;
	p->typeid = (uint32_t)typeid;
	p->typeidver = (uint8_t)ver;
	p->filter_fmt = (uint8_t)fmt;
	p->vlan = (uint16_t)vlan;
	return 0;
}

json_t *reg_uplink_to_json(const struct reg_uplink *u)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "dev", u->dev, "physnet", u->physnet, "mode",
			      reg_mode_name(u->mode), "origin", reg_origin_name(u->origin));

	if (j && u->vport)
		json_object_set_new(j, "vport", json_string(reg_vport_name(u->vport)));
	return j;
}

int reg_uplink_from_json(json_t *j, struct reg_uplink *u, struct reg_err *err)
{
	const char *dev, *pn, *mode = "vepa", *org = NULL, *vport = NULL;
	json_error_t je;

	memset(u, 0, sizeof(*u));
	if (json_unpack_ex(j, &je, JSON_STRICT, "{s:s, s:s, s?s, s?s, s?s}", "dev", &dev, "physnet",
			   &pn, "mode", &mode, "vport", &vport, "origin", &org))
		return unpack_fail(&je, "uplink", err);
	if (vport && reg_vport_parse(vport, &u->vport) < 0)
		return reg_fail(err, -EINVAL,
				"uplink %s: \"vport\" '%s' is not 802.1Qbg or 802.1Qbh", dev,
				vport);
	if (reg_mode_parse(mode, &u->mode) < 0)
		return reg_fail(err, -EINVAL, "uplink %s: \"mode\" '%s' is not vepa, private or passthrough", dev, mode);
	if (cpy(u->dev, sizeof(u->dev), dev, "dev", err) ||
	    cpy(u->physnet, sizeof(u->physnet), pn, "physnet", err) || origin(org, &u->origin, err))
		return -EINVAL;
	return 0;
}

json_t *reg_network_to_json(const struct reg_network *n)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s}", "name", n->name, "physnet", n->physnet, "profile",
			      n->profile, "vlan", n->vlan, "origin", reg_origin_name(n->origin));

	if (j && n->uuid[0])
		json_object_set_new(j, "uuid", json_string(n->uuid));
	return j;
}

int reg_network_from_json(json_t *j, struct reg_network *n, struct reg_err *err)
{
	const char *name, *uuid = NULL, *pn, *prof, *org = NULL;
	json_int_t vlan = 0;
	json_error_t je;

	memset(n, 0, sizeof(*n));
	if (json_unpack_ex(j, &je, JSON_STRICT, "{s:s, s?s, s:s, s:s, s?I, s?s}", "name", &name, "uuid", &uuid,
			   "physnet", &pn, "profile", &prof, "vlan", &vlan, "origin", &org))
		return unpack_fail(&je, "network", err);
	if (cpy(n->name, sizeof(n->name), name, "name", err) || cpy(n->uuid, sizeof(n->uuid), uuid, "uuid", err) ||
	    cpy(n->physnet, sizeof(n->physnet), pn, "physnet", err) ||
	    cpy(n->profile, sizeof(n->profile), prof, "profile", err) || range(vlan, REG_VLAN_MAX, "vlan", err) ||
	    origin(org, &n->origin, err))
		return -EINVAL;
	n->vlan = (uint16_t)vlan;
	return 0;
}

json_t *reg_port_to_json(const struct reg_port *p)
{
	return json_pack("{s:s, s:s, s:s}", "uuid", p->uuid, "network", p->network, "origin",
			 reg_origin_name(p->origin));
}

int reg_port_from_json(json_t *j, struct reg_port *p, struct reg_err *err)
{
	const char *uuid, *net, *org = NULL;
	json_error_t je;

	memset(p, 0, sizeof(*p));
	if (json_unpack_ex(j, &je, JSON_STRICT, "{s:s, s:s, s?s}", "uuid", &uuid, "network", &net, "origin", &org))
		return unpack_fail(&je, "port", err);
	if (cpy(p->uuid, sizeof(p->uuid), uuid, "uuid", err) || cpy(p->network, sizeof(p->network), net, "network", err) ||
	    origin(org, &p->origin, err))
		return -EINVAL;
	return 0;
}

json_t *reg_attachment_to_json(const struct reg_attachment *a)
{
	json_t *j = json_pack("{s:s, s:s, s:s}", "iface_id", a->iface_id, "network", a->network, "origin",
			      reg_origin_name(a->origin));

	if (j && a->port[0])
		json_object_set_new(j, "port", json_string(a->port));
	return j;
}

int reg_attachment_from_json(json_t *j, struct reg_attachment *a, struct reg_err *err)
{
	const char *id, *net, *port = NULL, *org = NULL;
	json_error_t je;

	memset(a, 0, sizeof(*a));
	if (json_unpack_ex(j, &je, JSON_STRICT, "{s:s, s:s, s?s, s?s}", "iface_id", &id, "network", &net, "port",
			   &port, "origin", &org))
		return unpack_fail(&je, "attachment", err);
	if (cpy(a->iface_id, sizeof(a->iface_id), id, "iface_id", err) ||
	    cpy(a->network, sizeof(a->network), net, "network", err) || cpy(a->port, sizeof(a->port), port, "port", err) ||
	    origin(org, &a->origin, err))
		return -EINVAL;
	return 0;
}

json_t *reg_binding_to_json(const struct reg_binding *b)
{
	char mac[18];

	reg_mac_format(b->mac, mac);
	json_t *j =
		json_pack("{s:s, s:s, s:s, s:s, s:s}", "iface_id", b->iface_id, "dev", b->dev,
			  "mac", mac, "uplink", b->uplink, "origin", reg_origin_name(b->origin));
	if (j && b->vm_uuid[0])
		json_object_set_new(j, "vm_uuid", json_string(b->vm_uuid));
	if (j && b->migrating > 0)
		json_object_set_new(j, "migrating", json_true());
	return j;
}

int reg_binding_from_json(json_t *j, struct reg_binding *b, struct reg_err *err)
{
	const char *id, *dev = "", *mac, *up, *org = NULL, *vm = NULL;
	json_t *mig = NULL;
	json_error_t je;

	memset(b, 0, sizeof(*b));
	if (json_unpack_ex(j, &je, JSON_STRICT, "{s:s, s?s, s:s, s:s, s?s, s?o, s?s}", "iface_id",
			   &id, "dev", &dev, "mac", &mac, "uplink", &up, "vm_uuid", &vm,
			   "migrating", &mig, "origin", &org))
		return unpack_fail(&je, "binding", err);
	if (mig && !json_is_boolean(mig))
		return reg_fail(err, -EINVAL, "binding %s: \"migrating\" must be true or false",
				id);
	/* absent: keep what a binding has (a new one: not migrating) */
	b->migrating = mig ? json_is_true(mig) : -1;
	if (vm && vm[0] && reg_uuid_canon(vm, b->vm_uuid) < 0)
		return reg_fail(err, -EINVAL, "binding %s: \"vm_uuid\" '%s' is not a UUID", id, vm);
	if (reg_mac_parse(mac, b->mac) < 0)
		return reg_fail(err, -EINVAL, "binding %s: \"mac\" '%s' is not aa:bb:cc:dd:ee:ff", id, mac);
	if (cpy(b->iface_id, sizeof(b->iface_id), id, "iface_id", err) || cpy(b->dev, sizeof(b->dev), dev, "dev", err) ||
	    cpy(b->uplink, sizeof(b->uplink), up, "uplink", err) || origin(org, &b->origin, err))
		return -EINVAL;
	return 0;
}

json_t *reg_vsi_to_json(const struct reg_vsi *v)
{
	char mac[18];
	json_t *j;

	reg_mac_format(v->mac, mac);
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s}", "iface_id", v->iface_id, "uplink",
		      v->uplink, "dev", v->dev, "mode", reg_mode_name(v->mode), "mac", mac, "vlan", v->vlan,
		      "network", v->network, "profile", v->profile, "type", reg_vport_name(v->type));
	if (!j)
		return NULL;
	switch (v->type) {
	case REG_VPORT_QBG:
		json_object_set_new(j, "mgrid", json_integer(v->mgrid));
		json_object_set_new(j, "typeid", json_integer(v->typeid));
		json_object_set_new(j, "typeidver", json_integer(v->typeidver));
		json_object_set_new(j, "filter_fmt", json_integer(v->filter_fmt));
		break;
	case REG_VPORT_QBH:
		json_object_set_new(j, "profileid", json_string(v->profileid));
		break;
	}
	return j;
}
