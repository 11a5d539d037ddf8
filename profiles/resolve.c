/* Resolution of an interface-id to what the hypervisor plugs, libvirt XML
 * rendering (libxml2), and the desired VSI as a VDP request. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <libxml/xmlsave.h>

#include "profiles/resolve.h"

/* Least-used uplink of a physical network; ties broken by name (the
 * snapshot is sorted), so the answer is stable. */
static const struct reg_uplink *pick_uplink(const struct reg *reg, const char *physnet)
{
	size_t nu, nb;
	const struct reg_uplink **us = reg_uplinks(reg, &nu), *best = NULL;
	const struct reg_binding **bs = reg_bindings(reg, &nb);
	size_t best_use = (size_t)-1;

	for (size_t i = 0; i < nu; i++) {
		size_t use = 0;

		if (strcmp(us[i]->physnet, physnet))
			continue;
		for (size_t k = 0; k < nb; k++)
			use += !strcmp(bs[k]->uplink, us[i]->dev);
		if (use < best_use) {
			best = us[i];
			best_use = use;
		}
	}
	free(us);
	free(bs);
	return best;
}

int reg_resolve(const struct reg *reg, const char *iface_id, struct reg_resolution *r, struct reg_err *err)
{
	char id[REG_UUID_STRLEN + 1];
	const struct reg_attachment *a;
	const struct reg_binding *b;
	const struct reg_network *n;
	const struct reg_profile *p;
	const struct reg_uplink *u;

	memset(r, 0, sizeof(*r));
	if (reg_uuid_canon(iface_id, id) < 0)
		return reg_fail(err, -EINVAL, "interface-id '%s' is not a UUID", iface_id);
	if (!(a = reg_attachment_get(reg, id)))
		return reg_fail(err, -ENOENT, "interface %s is not attached to a network", id);
	n = reg_network_get(reg, a->network);
	p = n ? reg_profile_get(reg, n->profile) : NULL;
	if (!n || !p)
		return reg_fail(err, -ENOENT, "interface %s: network '%s' or its profile is gone", id, a->network);
	b = reg_binding_get(reg, id);
	u = b ? reg_uplink_get(reg, b->uplink) : pick_uplink(reg, n->physnet);
	if (!u)
		return reg_fail(err, -ENODEV, "interface %s: no host uplink reaches physical network '%s' of network '%s'",
			     id, n->physnet, n->name);
	memcpy(r->iface_id, id, sizeof(id));
	snprintf(r->network, sizeof(r->network), "%s", n->name);
	snprintf(r->profile, sizeof(r->profile), "%s", p->name);
	snprintf(r->uplink, sizeof(r->uplink), "%s", u->dev);
	r->mode = u->mode;
	r->vlan = n->vlan ? n->vlan : p->vlan;
	r->type = reg_vport_for(p, u);
	if (r->type == REG_VPORT_QBG && r->vlan)
		snprintf(r->source_dev, sizeof(r->source_dev), "%s.%u", u->dev, r->vlan);
	else
		snprintf(r->source_dev, sizeof(r->source_dev), "%s", u->dev);
	if (b) {
		r->bound = true;
		memcpy(r->mac, b->mac, 6);
		snprintf(r->dev, sizeof(r->dev), "%s", b->dev);
	}
	r->mgrid = p->mgrid;
	r->typeid = p->typeid;
	r->typeidver = p->typeidver;
	memcpy(r->profileid, p->profileid, sizeof(r->profileid));
	return 0;
}

json_t *reg_resolution_to_json(const struct reg_resolution *r)
{
	json_t *j, *vp;
	char mac[18];

	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:b}", "iface_id", r->iface_id, "network", r->network,
		      "profile", r->profile, "uplink", r->uplink, "source_dev", r->source_dev, "mode",
		      reg_mode_name(r->mode), "vlan", r->vlan, "bound", r->bound);
	if (!j)
		return NULL;
	if (r->bound) {
		reg_mac_format(r->mac, mac);
		json_object_set_new(j, "mac", json_string(mac));
		json_object_set_new(j, "dev", json_string(r->dev));
	}
	vp = NULL;
	switch (r->type) {
	case REG_VPORT_QBG:
		vp = json_pack("{s:s, s:i, s:I, s:i, s:s}", "type", reg_vport_name(r->type), "managerid", r->mgrid,
			       "typeid", (json_int_t)r->typeid, "typeidversion", r->typeidver, "instanceid",
			       r->iface_id);
		break;
	case REG_VPORT_QBH:
		vp = json_pack("{s:s, s:s}", "type", reg_vport_name(r->type), "profileid", r->profileid);
		break;
	}
	json_object_set_new(j, "virtualport", vp ? vp : json_null());
	return j;
}

/* ---- XML ---- */

static void prop(xmlNodePtr n, const char *name, const char *val)
{
	xmlNewProp(n, BAD_CAST name, BAD_CAST val);
}

static void propu(xmlNodePtr n, const char *name, unsigned v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	prop(n, name, buf);
}

/* <virtualport [type]><parameters .../></virtualport>; instanceid only
 * when given (an interface; a portgroup leaves it to libvirt). */
static void add_virtualport(xmlNodePtr parent, enum reg_vport type, uint8_t mgrid, uint32_t typeid,
			    uint8_t ver, const char *profileid, const char *instanceid)
{
	xmlNodePtr vp = xmlNewChild(parent, NULL, BAD_CAST "virtualport", NULL);
	xmlNodePtr par;

	prop(vp, "type", reg_vport_name(type));
	par = xmlNewChild(vp, NULL, BAD_CAST "parameters", NULL);
	switch (type) {
	case REG_VPORT_QBG:
		propu(par, "managerid", mgrid);
		propu(par, "typeid", typeid);
		propu(par, "typeidversion", ver);
		if (instanceid)
			prop(par, "instanceid", instanceid);
		break;
	case REG_VPORT_QBH:
		prop(par, "profileid", profileid);
		break;
	}
}

static char *dump_node(xmlDocPtr doc, xmlNodePtr root)
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlSaveCtxtPtr sc;
	char *out = NULL;

	if (!buf)
		return NULL;
	xmlDocSetRootElement(doc, root);
	sc = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_FORMAT | XML_SAVE_NO_DECL);
	if (sc) {
		xmlSaveTree(sc, root);
		xmlSaveClose(sc);
		out = strdup((const char *)xmlBufferContent(buf));
	}
	xmlBufferFree(buf);
	return out;
}

char *reg_resolution_xml(const struct reg_resolution *r)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr ifc, n;
	char mac[18], *out;

	if (!doc)
		return NULL;
	ifc = xmlNewNode(NULL, BAD_CAST "interface");
	prop(ifc, "type", "direct");
	if (r->bound) {
		reg_mac_format(r->mac, mac);
		n = xmlNewChild(ifc, NULL, BAD_CAST "mac", NULL);
		prop(n, "address", mac);
	}
	n = xmlNewChild(ifc, NULL, BAD_CAST "source", NULL);
	prop(n, "dev", r->source_dev);
	prop(n, "mode", reg_mode_name(r->mode));
	add_virtualport(ifc, r->type, r->mgrid, r->typeid, r->typeidver, r->profileid, r->iface_id);
	out = dump_node(doc, ifc);
	xmlFreeDoc(doc);
	return out;
}

char *reg_export_libvirt_network(const struct reg *reg, const char *name, struct reg_err *err)
{
	const struct reg_network *named = reg_network_get(reg, name);
	const char *physnet = named ? named->physnet : name;
	size_t nu, nn;
	const struct reg_uplink **us = reg_uplinks(reg, &nu);
	const struct reg_network **ns = reg_networks(reg, &nn);
	const struct reg_uplink *first = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr net, fwd, pg;
	struct reg_map_seen {
		const char *name;
	} *seen = NULL;
	size_t nseen = 0;
	char *out = NULL;

	for (size_t i = 0; i < nu; i++) {
		if (strcmp(us[i]->physnet, physnet))
			continue;
		if (!first) {
			first = us[i];
		} else if (us[i]->mode != first->mode) {
			reg_fail(err, -EINVAL, "physical network '%s': uplinks %s (%s) and %s (%s) differ in mode; a libvirt network has one forward mode",
			      physnet, first->dev, reg_mode_name(first->mode), us[i]->dev, reg_mode_name(us[i]->mode));
			goto out;
		}
	}
	if (!first) {
		reg_fail(err, named ? -ENODEV : -ENOENT, named ? "network '%s': no host uplink reaches physical network '%s'"
						      : "'%s' is neither a network nor a physical network with uplinks%s",
		      name, named ? physnet : "");
		goto out;
	}
	doc = xmlNewDoc(BAD_CAST "1.0");
	net = xmlNewNode(NULL, BAD_CAST "network");
	xmlNewChild(net, NULL, BAD_CAST "name", BAD_CAST name);
	if (named && named->uuid[0])
		xmlNewChild(net, NULL, BAD_CAST "uuid", BAD_CAST named->uuid);
	fwd = xmlNewChild(net, NULL, BAD_CAST "forward", NULL);
	prop(fwd, "mode", reg_mode_name(first->mode));
	for (size_t i = 0; i < nu; i++)
		if (!strcmp(us[i]->physnet, physnet))
			prop(xmlNewChild(fwd, NULL, BAD_CAST "interface", NULL), "dev", us[i]->dev);
	seen = calloc(nn ? nn : 1, sizeof(*seen));
	if (!seen) {
		reg_fail(err, -ENOMEM, "out of memory");
		xmlFreeNode(net);
		goto out;
	}
	/* The named network's profile first: libvirt takes the default
	 * portgroup for interfaces that name none. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < nn; i++) {
			const struct reg_network *n = ns[i];
			const struct reg_profile *p;
			bool dup = false;

			if (strcmp(n->physnet, physnet) || (pass == 0) != (named && n == named))
				continue;
			for (size_t k = 0; k < nseen; k++)
				dup |= !strcmp(seen[k].name, n->profile);
			if (dup || !(p = reg_profile_get(reg, n->profile)))
				continue;
			seen[nseen++].name = p->name;
			pg = xmlNewChild(net, NULL, BAD_CAST "portgroup", NULL);
			prop(pg, "name", p->name);
			if (nseen == 1)
				prop(pg, "default", "yes");
			add_virtualport(pg, p->type, p->mgrid, p->typeid, p->typeidver, p->profileid, NULL);
		}
	}
	out = dump_node(doc, net);
	if (!out)
		reg_fail(err, -ENOMEM, "out of memory");
out:
	if (doc)
		xmlFreeDoc(doc);
	free(seen);
	free(us);
	free(ns);
	return out;
}

/* ---- VDP request ---- */

int reg_vsi_to_request(const struct reg_vsi *v, uint8_t mode, struct vdp_request *req, struct vdp_filter *filter)
{
	if (v->type != REG_VPORT_QBG)
		return -EINVAL;
	memset(req, 0, sizeof(*req));
	memset(filter, 0, sizeof(*filter));
	req->mode = mode;
	req->mgrid[0] = v->mgrid;
	req->type_id = v->typeid;
	req->type_version = v->typeidver;
	req->vsiid_fmt = VDP_VSIID_UUID;
	memcpy(req->vsiid, v->instance, VDP_VSIID_LEN);
	req->filter_fmt = v->filter_fmt ? v->filter_fmt : VDP_FILTER_MAC_VID;
	memcpy(filter->mac, v->mac, 6);
	filter->ps_pcp_vid = v->vlan & VDP_VID_MASK;
	req->n_filters = 1;
	req->filters = filter;
	return 0;
}
