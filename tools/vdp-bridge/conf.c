/* vdp-bridge configuration file (libconfig).  Format: docs/vdp-bridge.md.
 * Everything is validated before anything is used; errors name the file
 * and line. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libconfig.h>

#include "vdp/base/log.h"
#include "vdp/wire/vdp_text.h"
#include "tools/vdp-bridge/vdp-bridge.h"

void vbr_conf_init(struct vbr_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->log_level = -1;
	snprintf(c->ctl_path, sizeof(c->ctl_path), "%s", VBR_DEFAULT_SOCK);
	evb_config_default(&c->evb, EVB_MODE_BRIDGE);
	c->evb.rrcap = true;
	typedb_init(&c->db);
	fault_config_default(&c->fault);
	snprintf(c->dp.table, sizeof(c->dp.table), "vdp_bridge");
	snprintf(c->dp.nft, sizeof(c->dp.nft), "nft");
	c->dp.hairpin = true;
	c->dp.vlan_isolation = true;
}

void vbr_conf_free(struct vbr_conf *c)
{
	typedb_free(&c->db);
}

struct cerr {
	const char *file;
	char *buf;
	size_t len;
};

static int bad(struct cerr *e, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(struct cerr *e, const config_setting_t *s, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(e->buf, e->len, "%s:%d: %s", e->file, s ? config_setting_source_line(s) : 0, msg);
	return -1;
}

/* Only the listed member names are allowed in a group: a typo must not be
 * silently ignored. */
static int only(struct cerr *e, const config_setting_t *g, const char *const *names)
{
	int n = config_setting_length(g);

	for (int i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m);
		bool ok = false;

		for (int k = 0; names[k]; k++)
			if (name && !strcmp(name, names[k]))
				ok = true;
		if (!ok)
			return bad(e, m, "unknown setting \"%s\"", name ? name : "?");
	}
	return 0;
}

static int get_int(struct cerr *e, const config_setting_t *g, const char *name,
		   long long min, long long max, long long *out)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	int t;

	if (!s)
		return 0;
	t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
		return bad(e, s, "%s: an integer is expected", name);
	*out = config_setting_get_int64(s);
	if (*out < min || *out > max)
		return bad(e, s, "%s: %lld is out of range %lld..%lld", name, *out, min, max);
	return 1;
}

static int get_u8(struct cerr *e, const config_setting_t *g, const char *name, long long max, uint8_t *out)
{
	long long v;
	int rc = get_int(e, g, name, 0, max, &v);

	if (rc > 0)
		*out = (uint8_t)v;
	return rc < 0 ? -1 : 0;
}

static int get_bool(struct cerr *e, const config_setting_t *g, const char *name, bool *out)
{
	const config_setting_t *s = config_setting_get_member(g, name);

	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return bad(e, s, "%s: true or false is expected", name);
	*out = config_setting_get_bool(s);
	return 0;
}

static int get_str(struct cerr *e, const config_setting_t *g, const char *name, char *out, size_t len)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	const char *v;

	if (!s)
		return 0;
	v = config_setting_get_string(s);
	if (!v)
		return bad(e, s, "%s: a string is expected", name);
	if (strlen(v) >= len)
		return bad(e, s, "%s: longer than %zu characters", name, len - 1);
	snprintf(out, len, "%s", v);
	return 1;
}

static int get_ifnames(struct cerr *e, const config_setting_t *s, char (*out)[IF_NAMESIZE], size_t *n)
{
	int len;

	if (!config_setting_is_aggregate(s) || config_setting_is_group(s))
		return bad(e, s, "a list of interface names is expected");
	len = config_setting_length(s);
	if (len > VBR_MAX_IFACES)
		return bad(e, s, "at most %d interfaces", VBR_MAX_IFACES);
	*n = 0;
	for (int i = 0; i < len; i++) {
		const config_setting_t *m = config_setting_get_elem(s, (unsigned)i);
		const char *v = config_setting_get_string(m);

		if (!v || !*v || strlen(v) >= IF_NAMESIZE)
			return bad(e, m, "not an interface name");
		snprintf(out[(*n)++], IF_NAMESIZE, "%s", v);
	}
	return 0;
}

static int parse_evb(struct cerr *e, const config_setting_t *g, struct vbr_conf *c)
{
	static const char *const names[] = { "rrcap", "r", "rte", "rwd", "rka", "bgid", NULL };

	if (!config_setting_is_group(g))
		return bad(e, g, "evb: a group is expected");
	if (only(e, g, names) || get_bool(e, g, "rrcap", &c->evb.rrcap) ||
	    get_bool(e, g, "bgid", &c->evb.gid) || get_u8(e, g, "r", 7, &c->evb.r) ||
	    get_u8(e, g, "rte", 31, &c->evb.rte) || get_u8(e, g, "rwd", 31, &c->evb.rwd) ||
	    get_u8(e, g, "rka", 31, &c->evb.rka))
		return -1;
	return 0;
}

static int parse_lldp(struct cerr *e, const config_setting_t *g, struct vbr_conf *c)
{
	static const char *const names[] = { "tx_interval", "tx_hold", NULL };
	long long v;
	int rc;

	if (!config_setting_is_group(g))
		return bad(e, g, "lldp: a group is expected");
	if (only(e, g, names))
		return -1;
	if ((rc = get_int(e, g, "tx_interval", 1, 3600, &v)) < 0)
		return -1;
	if (rc)
		c->lldp_tx_interval = (uint32_t)v;
	if ((rc = get_int(e, g, "tx_hold", 1, 100, &v)) < 0)
		return -1;
	if (rc)
		c->lldp_tx_hold = (uint32_t)v;
	return 0;
}

static int parse_vid(struct cerr *e, const config_setting_t *s, uint16_t *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_INT)
		return bad(e, s, "a VLAN ID is expected");
	int v = config_setting_get_int(s);
	if (v < 1 || v > 4094)
		return bad(e, s, "VLAN ID %d is out of range 1..4094", v);
	*out = (uint16_t)v;
	return 0;
}

static int parse_type(struct cerr *e, const config_setting_t *g, struct vbr_conf *c)
{
	static const char *const names[] = { "name", "type_id", "version", "mgrid", "vlan",
					     "vlans", "pcp", "max_vsis", NULL };
	struct typedb_type t;
	const config_setting_t *s;
	char mg[64];
	long long v;
	int rc;

	typedb_type_init(&t);
	if (!config_setting_is_group(g))
		return bad(e, g, "types: each entry is a group { type_id = ...; }");
	if (only(e, g, names) || get_str(e, g, "name", t.name, sizeof(t.name)) < 0)
		return -1;
	if ((rc = get_int(e, g, "type_id", 0, 0xFFFFFF, &v)) <= 0)
		return rc < 0 ? -1 : bad(e, g, "type: type_id is required");
	t.type_id = (uint32_t)v;
	if ((rc = get_int(e, g, "version", 0, 255, &v)) < 0)
		return -1;
	if (rc) {
		t.any_version = false;
		t.version = (uint8_t)v;
	}
	if ((rc = get_str(e, g, "mgrid", mg, sizeof(mg))) < 0)
		return -1;
	if (rc) {
		if (vdp_txt_mgrid_parse(mg, t.mgrid) < 0)
			return bad(e, config_setting_get_member(g, "mgrid"), "mgrid: \"%s\" is not a manager ID", mg);
		t.any_mgrid = false;
	}
	if ((s = config_setting_get_member(g, "vlan")) && parse_vid(e, s, &t.vlan))
		return -1;
	if ((s = config_setting_get_member(g, "vlans"))) {
		int n = config_setting_length(s);

		if (!config_setting_is_array(s) && !config_setting_is_list(s))
			return bad(e, s, "vlans: a list of VLAN IDs is expected");
		if (n > TYPEDB_MAX_VLANS)
			return bad(e, s, "vlans: at most %d", TYPEDB_MAX_VLANS);
		for (int i = 0; i < n; i++)
			if (parse_vid(e, config_setting_get_elem(s, (unsigned)i), &t.vlans[t.n_vlans++]))
				return -1;
	}
	if ((rc = get_int(e, g, "pcp", 0, 7, &v)) < 0)
		return -1;
	if (rc)
		t.pcp = (int8_t)v;
	if ((rc = get_int(e, g, "max_vsis", 0, 1000000, &v)) < 0)
		return -1;
	if (rc)
		t.max_vsis = (uint32_t)v;
	rc = typedb_add(&c->db, &t);
	if (rc == -EEXIST)
		return bad(e, g, "type %u is defined twice for the same version and manager", t.type_id);
	if (rc < 0)
		return bad(e, g, "out of memory");
	return 0;
}

static int parse_vdp(struct cerr *e, const config_setting_t *g, struct vbr_conf *c)
{
	static const char *const names[] = { "max_vsis", "accept_unknown", "unknown_type_reason",
					     "unknown_type_hard", "unknown_manager_reason",
					     "managers", "types", NULL };
	const config_setting_t *s;
	long long v;
	bool hard = (c->db.unknown_type_status & VDP_STATUS_HARD) != 0;
	uint8_t reason = c->db.unknown_type_status & VDP_STATUS_REASON;
	int rc;

	if (!config_setting_is_group(g))
		return bad(e, g, "vdp: a group is expected");
	if (only(e, g, names) || get_bool(e, g, "accept_unknown", &c->db.accept_unknown) ||
	    get_bool(e, g, "unknown_type_hard", &hard) ||
	    get_u8(e, g, "unknown_type_reason", 15, &reason))
		return -1;
	c->db.unknown_type_status = (uint8_t)(reason | (hard ? VDP_STATUS_HARD : 0));
	if (get_u8(e, g, "unknown_manager_reason", 15, &c->db.unknown_mgr_status))
		return -1;
	if ((rc = get_int(e, g, "max_vsis", 0, 10000000, &v)) < 0)
		return -1;
	if (rc)
		c->db.max_vsis = (uint32_t)v;
	if ((s = config_setting_get_member(g, "managers"))) {
		int n = config_setting_length(s);

		if (!config_setting_is_array(s) && !config_setting_is_list(s))
			return bad(e, s, "managers: a list of manager IDs is expected");
		if (n > TYPEDB_MAX_MANAGERS)
			return bad(e, s, "managers: at most %d", TYPEDB_MAX_MANAGERS);
		for (int i = 0; i < n; i++) {
			const config_setting_t *m = config_setting_get_elem(s, (unsigned)i);
			const char *str = config_setting_get_string(m);

			if (!str || vdp_txt_mgrid_parse(str, c->db.managers[c->db.n_managers]) < 0)
				return bad(e, m, "managers: not a manager ID (a number 0..255, a UUID or a name)");
			c->db.n_managers++;
		}
	}
	if ((s = config_setting_get_member(g, "types"))) {
		int n = config_setting_length(s);

		if (!config_setting_is_list(s))
			return bad(e, s, "types: a list ( {...}, {...} ) is expected");
		for (int i = 0; i < n; i++)
			if (parse_type(e, config_setting_get_elem(s, (unsigned)i), c))
				return -1;
	}
	return 0;
}

/* libconfig value -> JSON, so the fault section goes through the same
 * validation as the control socket's fault.set. */
static json_t *setting_json(const config_setting_t *s)
{
	json_t *j;
	int n;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return json_integer((json_int_t)config_setting_get_int64(s));
	case CONFIG_TYPE_FLOAT:
		return json_real(config_setting_get_float(s));
	case CONFIG_TYPE_BOOL:
		return json_boolean(config_setting_get_bool(s));
	case CONFIG_TYPE_STRING:
		return json_string(config_setting_get_string(s));
	case CONFIG_TYPE_GROUP:
		j = json_object();
		n = config_setting_length(s);
		for (int i = 0; i < n; i++) {
			const config_setting_t *m = config_setting_get_elem(s, (unsigned)i);

			json_object_set_new(j, config_setting_name(m), setting_json(m));
		}
		return j;
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
		j = json_array();
		n = config_setting_length(s);
		for (int i = 0; i < n; i++)
			json_array_append_new(j, setting_json(config_setting_get_elem(s, (unsigned)i)));
		return j;
	default:
		return json_null();
	}
}

static int parse_fault(struct cerr *e, const config_setting_t *g, struct vbr_conf *c)
{
	char msg[200];
	json_t *j = setting_json(g);
	int rc = fault_config_update(&c->fault, j, msg, sizeof(msg));

	json_decref(j);
	return rc < 0 ? bad(e, g, "fault: %s", msg) : 0;
}

static int parse_datapath(struct cerr *e, const config_setting_t *g, struct vbr_conf *c)
{
	static const char *const names[] = { "enable", "bridge", "table", "nft", "hairpin", "vlan_isolation",
					     "ports", NULL };
	const config_setting_t *s;

	if (!config_setting_is_group(g))
		return bad(e, g, "datapath: a group is expected");
	if (only(e, g, names) || get_bool(e, g, "enable", &c->dp.enable) ||
	    get_bool(e, g, "hairpin", &c->dp.hairpin) ||
	    get_bool(e, g, "vlan_isolation", &c->dp.vlan_isolation) ||
	    get_str(e, g, "bridge", c->dp.bridge, sizeof(c->dp.bridge)) < 0 ||
	    get_str(e, g, "table", c->dp.table, sizeof(c->dp.table)) < 0 ||
	    get_str(e, g, "nft", c->dp.nft, sizeof(c->dp.nft)) < 0)
		return -1;
	for (const char *p = c->dp.table; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return bad(e, g, "datapath: table name may hold letters, digits and '_' only");
	if ((s = config_setting_get_member(g, "ports")) && get_ifnames(e, s, c->dp.ports, &c->dp.n_ports))
		return -1;
	if (c->dp.enable && !c->dp.bridge[0])
		return bad(e, g, "datapath: enable needs bridge = \"<linux bridge>\"");
	return 0;
}

int vbr_conf_load(struct vbr_conf *c, const char *path, char *err, size_t errlen)
{
	static const char *const names[] = { "log_level", "control", "interfaces", "evb", "lldp",
					     "vdp", "fault", "datapath", NULL };
	struct cerr e = { .file = path, .buf = err, .len = errlen };
	config_t cf;
	config_setting_t *root, *s;
	char lvl[32] = "";
	int rc = -1;

	config_init(&cf);
	if (!config_read_file(&cf, path)) {
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		else
			snprintf(err, errlen, "%s:%d: %s", path, config_error_line(&cf), config_error_text(&cf));
		goto out;
	}
	root = config_root_setting(&cf);
	if (only(&e, root, names))
		goto out;
	if (get_str(&e, root, "log_level", lvl, sizeof(lvl)) < 0)
		goto out;
	if (lvl[0] && config_setting_get_member(root, "log_level")) {
		c->log_level = log_level_parse(lvl);
		if (c->log_level < 0) {
			bad(&e, config_setting_get_member(root, "log_level"), "log_level: \"%s\" is not a level", lvl);
			goto out;
		}
	}
	if (get_str(&e, root, "control", c->ctl_path, sizeof(c->ctl_path)) < 0)
		goto out;
	if ((s = config_setting_get_member(root, "interfaces")) && get_ifnames(&e, s, c->ifaces, &c->n_ifaces))
		goto out;
	if ((s = config_setting_get_member(root, "evb")) && parse_evb(&e, s, c))
		goto out;
	if ((s = config_setting_get_member(root, "lldp")) && parse_lldp(&e, s, c))
		goto out;
	if ((s = config_setting_get_member(root, "vdp")) && parse_vdp(&e, s, c))
		goto out;
	if ((s = config_setting_get_member(root, "fault")) && parse_fault(&e, s, c))
		goto out;
	if ((s = config_setting_get_member(root, "datapath")) && parse_datapath(&e, s, c))
		goto out;
	rc = 0;
out:
	config_destroy(&cf);
	return rc;
}

static json_t *type_json(const struct typedb_type *t)
{
	char mg[VDP_TXT_MGRID_LEN];
	json_t *vl = json_array();

	for (uint16_t i = 0; i < t->n_vlans; i++)
		json_array_append_new(vl, json_integer(t->vlans[i]));
	if (!t->any_mgrid)
		vdp_txt_mgrid_format(t->mgrid, mg);
	return json_pack("{s:s, s:i, s:o, s:o, s:i, s:o, s:o, s:i}",
			 "name", t->name, "type_id", (int)t->type_id,
			 "version", t->any_version ? json_null() : json_integer(t->version),
			 "mgrid", t->any_mgrid ? json_null() : json_string(mg),
			 "vlan", t->vlan, "vlans", vl,
			 "pcp", t->pcp < 0 ? json_null() : json_integer(t->pcp),
			 "max_vsis", (int)t->max_vsis);
}

json_t *vbr_conf_json(const struct vbr_conf *c)
{
	json_t *ifs = json_array(), *types = json_array(), *mgrs = json_array(), *dports = json_array();
	char mg[VDP_TXT_MGRID_LEN];

	for (size_t i = 0; i < c->n_ifaces; i++)
		json_array_append_new(ifs, json_string(c->ifaces[i]));
	for (size_t i = 0; i < c->db.n_types; i++)
		json_array_append_new(types, type_json(&c->db.types[i]));
	for (size_t i = 0; i < c->db.n_managers; i++) {
		vdp_txt_mgrid_format(c->db.managers[i], mg);
		json_array_append_new(mgrs, json_string(mg));
	}
	for (size_t i = 0; i < c->dp.n_ports; i++)
		json_array_append_new(dports, json_string(c->dp.ports[i]));
	return json_pack("{s:s, s:o, s:{s:b, s:i, s:i, s:i, s:i, s:b}, s:{s:i, s:b, s:i, s:b, s:i, s:o, s:o}, s:{s:b, s:s, s:s, s:b, s:b, s:o}}",
			 "control", c->ctl_path, "interfaces", ifs,
			 "evb", "rrcap", c->evb.rrcap, "r", c->evb.r, "rte", c->evb.rte,
			 "rwd", c->evb.rwd, "rka", c->evb.rka, "bgid", c->evb.gid,
			 "vdp", "max_vsis", (int)c->db.max_vsis, "accept_unknown", c->db.accept_unknown,
			 "unknown_type_reason", c->db.unknown_type_status & VDP_STATUS_REASON,
			 "unknown_type_hard", (c->db.unknown_type_status & VDP_STATUS_HARD) != 0,
			 "unknown_manager_reason", c->db.unknown_mgr_status,
			 "managers", mgrs, "types", types,
			 "datapath", "enable", c->dp.enable, "bridge", c->dp.bridge, "table", c->dp.table,
			 "hairpin", c->dp.hairpin, "vlan_isolation", c->dp.vlan_isolation, "ports", dports);
}
