/* libvirt hook XML -> edge-binding actions (see hook.h). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "profiles/hook.h"

static void note(struct reg_hook_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct reg_hook_result *res, const char *fmt, ...)
{
	size_t used = strlen(res->notes);
	va_list ap;

	if (used + 2 >= sizeof(res->notes))
		return;
	va_start(ap, fmt);
	vsnprintf(res->notes + used, sizeof(res->notes) - used - 1, fmt, ap);
	va_end(ap);
	strcat(res->notes, "\n");
}

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
	for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name))
			return c;
	return NULL;
}

/* Attribute value copied into buf ("" when absent). */
static const char *attr(xmlNodePtr n, const char *name, char *buf, size_t len)
{
	xmlChar *v = n ? xmlGetProp(n, BAD_CAST name) : NULL;

	snprintf(buf, len, "%s", v ? (const char *)v : "");
	xmlFree(v);
	return buf;
}

static const char *text(xmlNodePtr n, char *buf, size_t len)
{
	xmlChar *v = n ? xmlNodeGetContent(n) : NULL;

	snprintf(buf, len, "%s", v ? (const char *)v : "");
	xmlFree(v);
	return buf;
}

static int push(struct reg_hook_result *res, const struct reg_hook_action *a)
{
	struct reg_hook_action *n = realloc(res->acts, (res->n + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	res->acts = n;
	res->acts[res->n++] = *a;
	return 0;
}

/* "eth4.10" -> "eth4": the uplink under a VLAN device (libvirt takes the
 * VID from it, reference A.1.1; resolve.c names such devices). */
static void uplink_of(const char *dev, char *out, size_t len)
{
	const char *dot = strrchr(dev, '.');
	bool vlan = dot && dot != dev && dot[1];

	for (const char *p = dot ? dot + 1 : ""; vlan && *p; p++)
		vlan = isdigit((unsigned char)*p);
	snprintf(out, len, "%.*s", vlan ? (int)(dot - dev) : (int)strlen(dev), dev);
}

static int fill_ids(struct reg_hook_action *a, const char *id, const char *mac, struct reg_err *err)
{
	if (reg_uuid_canon(id, a->b.iface_id) < 0)
		return reg_fail(err, -EINVAL, "%s: interface-id '%s' is not a UUID", a->what, id);
	if (a->op == REG_HOOK_BIND && reg_mac_parse(mac, a->b.mac) < 0)
		return reg_fail(err, -EINVAL, "%s: MAC '%s' is not aa:bb:cc:dd:ee:ff", a->what, mac);
	return 0;
}

static int parse_network(xmlNodePtr root, const char *net, enum reg_hook_op op, struct reg_hook_result *res,
			 struct reg_err *err)
{
	xmlNodePtr port = child(root, "networkport"), vp, par, plug;
	char id[64], portuuid[64], mac[32], ptype[32], dev[64], vm[64];
	struct reg_hook_action a = { .op = op, .b.migrating = -1 };
	int rc;

	if (strcmp((const char *)root->name, "hookData"))
		return reg_fail(err, -EINVAL, "network hook: root element is <%s>, expected <hookData>", root->name);
	if (!port)
		return reg_fail(err, -EINVAL, "network %s: no <networkport> in the hook data", net);
	vp = child(port, "virtualport");
	par = child(vp, "parameters");
	attr(par, "instanceid", id, sizeof(id));
	text(child(port, "uuid"), portuuid, sizeof(portuuid));
	attr(child(port, "mac"), "address", mac, sizeof(mac));
	plug = child(port, "plug");
	text(child(child(port, "owner"), "uuid"), vm, sizeof(vm));
	attr(plug, "type", ptype, sizeof(ptype));
	attr(plug, "dev", dev, sizeof(dev));
	snprintf(a.what, sizeof(a.what), "network %s port %s", net, portuuid[0] ? portuuid : "?");
	if (!vp) {
		note(res, "%s: no <virtualport>, not a port-profile port", a.what);
		return 0;
	}
	if (strcmp(ptype, "direct")) {
		note(res, "%s: plug type '%s' is not direct", a.what, ptype);
		return 0;
	}
	if ((rc = fill_ids(&a, id[0] ? id : portuuid, mac, err)) < 0)
		return rc;
	/* the domain's UUID: libvirt's 802.1Qbh instance UUID */
	if (vm[0] && reg_uuid_canon(vm, a.b.vm_uuid) < 0)
		a.b.vm_uuid[0] = 0;
	uplink_of(dev, a.b.uplink, sizeof(a.b.uplink));
	if (op == REG_HOOK_BIND && !a.b.uplink[0])
		return reg_fail(err, -EINVAL, "%s: <plug> names no device", a.what);
	return push(res, &a) < 0 ? reg_fail(err, -EINVAL, "out of memory") : 0;
}

static int parse_domain(xmlNodePtr root, const char *dom, enum reg_hook_op op, int8_t migrating,
			struct reg_hook_result *res, struct reg_err *err)
{
	xmlNodePtr devs = child(root, "devices");
	char vm[64];

	if (strcmp((const char *)root->name, "domain"))
		return reg_fail(err, -EINVAL, "qemu hook: root element is <%s>, expected <domain>", root->name);
	text(child(root, "uuid"), vm, sizeof(vm));
	for (xmlNodePtr ifc = devs ? devs->children : NULL; ifc; ifc = ifc->next) {
		char type[32], id[80], alias[80], mac[32], src[64], tgt[64];
		struct reg_hook_action a = { .op = op, .b.migrating = migrating };
		xmlNodePtr vp;
		int rc;

		if (ifc->type != XML_ELEMENT_NODE || strcmp((const char *)ifc->name, "interface"))
			continue;
		attr(ifc, "type", type, sizeof(type));
		attr(child(ifc, "mac"), "address", mac, sizeof(mac));
		snprintf(a.what, sizeof(a.what), "domain %s interface %s", dom, mac[0] ? mac : "?");
		vp = child(ifc, "virtualport");
		if (strcmp(type, "direct") || !vp) {
			/* type='network' ports are the network hook's. */
			if (vp)
				note(res, "%s: type '%s' left to the network hook or not ours", a.what, type);
			continue;
		}
		attr(child(vp, "parameters"), "instanceid", id, sizeof(id));
		attr(child(ifc, "alias"), "name", alias, sizeof(alias));
		if (!id[0] && !strncmp(alias, "ua-", 3))
			snprintf(id, sizeof(id), "%s", alias + 3);
		if (!id[0]) {
			note(res, "%s: no instanceid and no alias ua-<uuid>: no interface-id", a.what);
			continue;
		}
		if ((rc = fill_ids(&a, id, mac, err)) < 0)
			return rc;
		/* libvirt sends the domain UUID as the 802.1Qbh instance */
		if (vm[0] && reg_uuid_canon(vm, a.b.vm_uuid) < 0)
			a.b.vm_uuid[0] = 0;
		attr(child(ifc, "source"), "dev", src, sizeof(src));
		attr(child(ifc, "target"), "dev", tgt, sizeof(tgt));
		uplink_of(src, a.b.uplink, sizeof(a.b.uplink));
		if (op == REG_HOOK_BIND && !a.b.uplink[0])
			return reg_fail(err, -EINVAL, "%s: <source> names no device", a.what);
		if (strlen(tgt) < sizeof(a.b.dev))
			memcpy(a.b.dev, tgt, strlen(tgt) + 1);
		if (push(res, &a) < 0)
			return reg_fail(err, -EINVAL, "out of memory");
	}
	return 0;
}

static bool is(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

int reg_hook_parse(const char *object, int argc, char *const argv[], const char *xml, size_t len,
		   struct reg_hook_result *res, struct reg_err *err)
{
	static const char *const qemu_bind[] = { "prepare", "start", "reconnect", "attach", NULL };
	int8_t migrating = -1;
	static const char *const qemu_unbind[] = { "stopped", "release", NULL };
	enum reg_hook_op op = 0;
	bool network;
	xmlDocPtr doc;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!strcmp(object, "network"))
		network = true;
	else if (!strcmp(object, "qemu"))
		network = false;
	else
		return reg_fail(err, -EINVAL, "hook object '%s' unknown (network, qemu)", object);
	if (argc < 2)
		return reg_fail(err, -EINVAL, "%s hook: expected arguments NAME OPERATION [SUB-OP EXTRA]", object);
	if (network) {
		if (!strcmp(argv[1], "port-created"))
			op = REG_HOOK_BIND;
		else if (!strcmp(argv[1], "port-deleted"))
			op = REG_HOOK_UNBIND;
	} else {
		if (is(argv[1], qemu_bind)) {
			op = REG_HOOK_BIND;
		} else if (!strcmp(argv[1], "migrate") || !strcmp(argv[1], "started")) {
			/* on the destination of a migration "migrate" comes
			 * first and "started" when the VM runs here: 802.1Qbh
			 * reserves the port (PREASSOCIATE_RR) in between, as
			 * libvirt does */
			op = REG_HOOK_BIND;
			migrating = !strcmp(argv[1], "migrate");
		} else if (is(argv[1], qemu_unbind)) {
			op = REG_HOOK_UNBIND;
		}
	}
	if (!op)
		return 0;
	if (len > (1u << 24))
		return reg_fail(err, -EINVAL, "%s hook: XML of %zu bytes is too large", object, len);
	/* No network access, no entity expansion: the input is libvirt's, but
	 * this runs as root. */
	doc = xmlReadMemory(xml, (int)len, "stdin", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *xe = xmlGetLastError();
		char msg[160];

		snprintf(msg, sizeof(msg), "%s", xe && xe->message ? xe->message : "empty input");
		msg[strcspn(msg, "\n")] = 0;
		return reg_fail(err, -EINVAL, "%s hook %s %s: XML on stdin does not parse: line %d: %s", object, argv[0], argv[1],
			     xe ? xe->line : 0, msg);
	}
	if (network)
		rc = parse_network(xmlDocGetRootElement(doc), argv[0], op, res, err);
	else
		rc = parse_domain(xmlDocGetRootElement(doc), argv[0], op, migrating, res, err);
	xmlFreeDoc(doc);
	if (rc < 0)
		reg_hook_result_free(res);
	return rc;
}

void reg_hook_result_free(struct reg_hook_result *res)
{
	free(res->acts);
	res->acts = NULL;
	res->n = 0;
}
