/* vdpd.conf loader (libconfig).  See config.h. */
#include "vdp/daemon/config.h"

#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "vdp/base/log.h"
#include "vdp/engine/vdp_station.h"
#include "vdp/wire/vdp_text.h"

/* Top-level groups read by other modules; anything else is a typo. */
static const char *const foreign_groups[] = { "profiles", "networks", "ports",   "attachments",
					      "bindings", "registry", "netlink", NULL };

struct ld {
	const char *name;	/* file name for messages */
	const char *incdir;	/* directory of the main file: @include is relative to it */
	char *err;
	size_t errlen;
};

static int fail(struct ld *ld, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ld *ld, const config_setting_t *s, const char *fmt, ...)
{
	char text[256];
	const char *file = s ? config_setting_source_file(s) : NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (file && file[0] != '/' && ld->incdir && strcmp(file, ld->name) != 0)
		snprintf(ld->err, ld->errlen, "%s/%s:%u: %s", ld->incdir, file,
			 s ? config_setting_source_line(s) : 0, text);
	else
		snprintf(ld->err, ld->errlen, "%s:%u: %s", file ? file : ld->name,
			 s ? config_setting_source_line(s) : 0, text);
	return -1;
}

static const char *type_name(int t)
{
	switch (t) {
	case CONFIG_TYPE_GROUP: return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return "a number";
	case CONFIG_TYPE_FLOAT: return "a decimal number";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "true or false";
	case CONFIG_TYPE_ARRAY: return "an array";
	case CONFIG_TYPE_LIST: return "a list";
	}
	return "something else";
}

static int get_uint(struct ld *ld, const config_setting_t *s, const char *what, uint32_t min,
		    uint32_t max, uint32_t *out)
{
	long long v;
	int t = config_setting_type(s);

	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
		return fail(ld, s, "%s must be a number, not %s", what, type_name(t));
	v = config_setting_get_int64(s);
	if (v < min || v > max)
		return fail(ld, s, "%s = %lld is out of range %u..%u", what, v, min, max);
	*out = (uint32_t)v;
	return 0;
}

static int get_u8(struct ld *ld, const config_setting_t *s, const char *what, uint8_t max,
		  uint8_t *out)
{
	uint32_t v;

	if (get_uint(ld, s, what, 0, max, &v) < 0)
		return -1;
	*out = (uint8_t)v;
	return 0;
}

static int get_bool(struct ld *ld, const config_setting_t *s, const char *what, bool *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return fail(ld, s, "%s must be true or false, not %s", what,
			    type_name(config_setting_type(s)));
	*out = config_setting_get_bool(s) != 0;
	return 0;
}

static int get_string(struct ld *ld, const config_setting_t *s, const char *what, const char **out)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return fail(ld, s, "%s must be a string, not %s", what, type_name(config_setting_type(s)));
	*out = config_setting_get_string(s);
	return 0;
}

static int get_mgrid(struct ld *ld, const config_setting_t *s, uint8_t out[VDP_MGRID_LEN])
{
	const char *str = NULL;
	char num[16];

	/* A bare number is what libvirt's managerid looks like: accept it. */
	if (config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64) {
		uint32_t v;

		if (get_uint(ld, s, "mgrid", 0, 255, &v) < 0)
			return -1;
		snprintf(num, sizeof(num), "%u", v);
		str = num;
	} else if (get_string(ld, s, "mgrid", &str) < 0) {
		return -1;
	}
	if (vdp_txt_mgrid_parse(str, out) < 0)
		return fail(ld, s, "mgrid \"%s\" is not a number 0..255, a UUID or a name of up to 15 "
			    "letters, digits, '-', '_', '.'", str);
	return 0;
}

static int need_group(struct ld *ld, const config_setting_t *s, const char *what)
{
	if (!config_setting_is_group(s))
		return fail(ld, s, "%s must be a group { ... }, not %s", what,
			    type_name(config_setting_type(s)));
	return 0;
}

/* One setting a group knows and how it is read into the group's struct:
 * a number (in min..max) into a uint32_t or uint8_t field, true or false,
 * a manager ID, a nested group (by its own table), or a string that a
 * function of its own checks and stores. */
enum setting_kind { SET_UINT, SET_U8, SET_BOOL, SET_MGRID, SET_GROUP, SET_STRING };

/* The offset of member in type, which must be a ctype: the loader writes
 * through the offset as the kind's type, so a field whose type changed
 * stops the build here instead of being written with the wrong width. */
#define CFG_FIELD(type, member, ctype) \
	(offsetof(type, member) + \
	 0 * sizeof(struct { \
		 _Static_assert( \
			 __builtin_types_compatible_p(__typeof__(((type *)0)->member), ctype), \
			 #type "." #member " is not " #ctype); \
		 char c; \
	 }))
/* A setting's kind and its field, whose type the kind implies. */
#define AT_UINT(type, member) .kind = SET_UINT, .off = CFG_FIELD(type, member, uint32_t)
#define AT_U8(type, member) .kind = SET_U8, .off = CFG_FIELD(type, member, uint8_t)
#define AT_BOOL(type, member) .kind = SET_BOOL, .off = CFG_FIELD(type, member, bool)
#define AT_MGRID(type, member) \
	.kind = SET_MGRID, .off = CFG_FIELD(type, member, uint8_t[VDP_MGRID_LEN])

struct setting {
	const char *name;
	enum setting_kind kind;
	const char *what; /* its name in messages; NULL: name */
	size_t off; /* of the field in the group's struct */
	uint32_t min, max;
	const struct setting *group; /* SET_GROUP: the nested group's settings */
	int (*load)(struct ld *ld, const config_setting_t *s, const char *str,
		    void *obj); /* SET_STRING */
};

static int load_group(struct ld *ld, const config_setting_t *g, const char *what,
		      const struct setting *tab, void *obj);

static int load_setting(struct ld *ld, const config_setting_t *s, const struct setting *k,
			void *obj)
{
	const char *what = k->what ? k->what : k->name;
	char *field = (char *)obj + k->off;
	const char *str = NULL;

	switch (k->kind) {
	case SET_UINT:
		return get_uint(ld, s, what, k->min, k->max, (uint32_t *)(void *)field);
	case SET_U8:
		return get_u8(ld, s, what, (uint8_t)k->max, (uint8_t *)field);
	case SET_BOOL:
		return get_bool(ld, s, what, (bool *)(void *)field);
	case SET_MGRID:
		return get_mgrid(ld, s, (uint8_t *)field);
	case SET_GROUP:
		return load_group(ld, s, k->name, k->group, field);
	case SET_STRING:
		if (get_string(ld, s, what, &str) < 0)
			return -1;
		return k->load(ld, s, str, obj);
	}
	return -1;
}

/* Reads each setting of group g with the table (ended by a NULL name);
 * a name the table lacks is refused, naming the known ones ("in" is the
 * group as messages call it). */
static int for_each_setting(struct ld *ld, const config_setting_t *g, const char *in,
			    const struct setting *tab, void *obj)
{
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *n = config_setting_name(s);
		const struct setting *k = tab;

		while (k->name && strcmp(n, k->name) != 0)
			k++;
		if (!k->name) {
			char known[256];
			size_t len = 0;

			known[0] = '\0';
			for (k = tab; k->name && len < sizeof(known); k++)
				len += (size_t)snprintf(known + len, sizeof(known) - len, "%s%s",
							k == tab ? "" : ", ", k->name);
			return fail(ld, s, "unknown setting \"%s\" in %s (known: %s)", n, in,
				    known);
		}
		if (load_setting(ld, s, k, obj) < 0)
			return -1;
	}
	return 0;
}

static int load_group(struct ld *ld, const config_setting_t *g, const char *what,
		      const struct setting *tab, void *obj)
{
	if (need_group(ld, g, what) < 0)
		return -1;
	return for_each_setting(ld, g, what, tab, obj);
}

/* Field widths of the EVB TLV (802.1Qbg-2012 D.2.12.x): R is 3 bits, the
 * timer exponents 5 bits. */
static const struct setting evb_settings[] = {
	{ "r", .what = "evb.r (ECP maxRetries)", AT_U8(struct evb_config, r), .min = 0, .max = 7 },
	{ "rte", .what = "evb.rte (ECP ackTimer exponent)", AT_U8(struct evb_config, rte), .min = 0,
	  .max = 31 },
	{ "rwd", .what = "evb.rwd (VDP resourceWaitDelay exponent)", AT_U8(struct evb_config, rwd),
	  .min = 0, .max = 31 },
	{ "rka", .what = "evb.rka (VDP reinitKeepAlive exponent)", AT_U8(struct evb_config, rka),
	  .min = 0, .max = 31 },
	{ "rrreq", .what = "evb.rrreq", AT_BOOL(struct evb_config, rrreq) },
	{ "gid", .what = "evb.gid", AT_BOOL(struct evb_config, gid) },
	{ NULL }
};

/* Ranges of 802.1AB-2009 10.5.1 (msgTxInterval 1..3600, msgTxHold 1..100). */
static const struct setting lldp_settings[] = {
	{ "tx_interval", .what = "lldp.tx_interval", AT_UINT(struct cfg_uplink, tx_interval),
	  .min = 1, .max = 3600 },
	{ "tx_hold", .what = "lldp.tx_hold", AT_UINT(struct cfg_uplink, tx_hold), .min = 1,
	  .max = 100 },
	{ NULL }
};

static void uplink_defaults(struct cfg_uplink *u, const struct vdpd_config *cfg)
{
	memset(u, 0, sizeof(*u));
	/* The MIB defaults lldpad also uses (R 3, RTE 8, RWD 20, RKA 20). */
	u->evb.role = EVB_MODE_STATION;
	u->evb.r = 3;
	u->evb.rte = 8;
	u->evb.rwd = 20;
	u->evb.rka = 20;
	u->evb.rrreq = true;
	u->evb.gid = false;
	u->tx_interval = 30;
	u->tx_hold = 4;
	memcpy(u->mgrid, cfg->mgrid, VDP_MGRID_LEN);
}

static int load_uplink_name(struct ld *ld, const config_setting_t *s, const char *str, void *obj)
{
	struct cfg_uplink *u = obj;

	if (!*str || strlen(str) >= IF_NAMESIZE || strpbrk(str, " /:"))
		return fail(ld, s, "\"%s\" is not a valid interface name", str);
	strcpy(u->name, str);
	return 0;
}

static const struct setting uplink_settings[] = {
	{ "name", SET_STRING, .load = load_uplink_name },
	{ "evb", SET_GROUP, .off = CFG_FIELD(struct cfg_uplink, evb, struct evb_config),
	  .group = evb_settings },
	{ "lldp", SET_GROUP, .group = lldp_settings },
	{ "mgrid", AT_MGRID(struct cfg_uplink, mgrid) },
	{ NULL }
};

static int load_uplink(struct ld *ld, const config_setting_t *g, struct vdpd_config *cfg,
		       struct cfg_uplink *u)
{
	if (need_group(ld, g, "an uplinks entry") < 0)
		return -1;
	uplink_defaults(u, cfg);
	u->line = (int)config_setting_source_line(g);
	if (for_each_setting(ld, g, "an uplink", uplink_settings, u) < 0)
		return -1;
	/* A name that was given is not empty (load_uplink_name). */
	if (!u->name[0])
		return fail(ld, g, "uplink has no name");
	return 0;
}

static int load_log_level(struct ld *ld, const config_setting_t *s, const char *str, void *obj)
{
	struct vdpd_config *cfg = obj;

	if ((cfg->log_level = log_level_parse(str)) < 0)
		return fail(ld, s,
			    "log_level \"%s\" is not one of error, warning, notice, info, debug",
			    str);
	return 0;
}

static int load_log_target(struct ld *ld, const config_setting_t *s, const char *str, void *obj)
{
	struct vdpd_config *cfg = obj;

	if ((cfg->log_target = log_target_parse(str)) < 0)
		return fail(ld, s, "log_target \"%s\" is not one of auto, syslog, stderr, journal",
			    str);
	return 0;
}

static int load_intents_file(struct ld *ld, const config_setting_t *s, const char *str, void *obj)
{
	struct vdpd_config *cfg = obj;

	if (strlen(str) >= sizeof(cfg->intents_file) || (*str && *str != '/'))
		return fail(ld, s,
			    "intents_file must be an absolute path of at most %zu "
			    "characters, or \"\" to keep no VSI intents",
			    sizeof(cfg->intents_file) - 1);
	snprintf(cfg->intents_file, sizeof(cfg->intents_file), "%s", str);
	cfg->intents_file_set = true;
	return 0;
}

static int load_user(struct ld *ld, const config_setting_t *s, const char *str, void *obj)
{
	struct vdpd_config *cfg = obj;

	if (strlen(str) >= sizeof(cfg->user))
		return fail(ld, s, "user name longer than %zu characters", sizeof(cfg->user) - 1);
	snprintf(cfg->user, sizeof(cfg->user), "%s", str);
	return 0;
}

#define CFG_UINT(n, lo, hi) \
	{ \
#n, AT_UINT(struct vdpd_config, n), .min = lo, .max = hi \
	}

static const struct setting global_settings[] = {
	{ "log_level", SET_STRING, .load = load_log_level },
	{ "log_target", SET_STRING, .load = load_log_target },
	{ "mgrid", AT_MGRID(struct vdpd_config, mgrid) },
	CFG_UINT(resp_wait_max_ms, 0, 3600000),
	CFG_UINT(keepalive_spread_pct, 0, VDP_KA_SPREAD_MAX),
	CFG_UINT(retry_initial_ms, 0, 3600000),
	CFG_UINT(retry_max_ms, 1, 86400000),
	{ "intents_file", SET_STRING, .load = load_intents_file },
	{ "user", SET_STRING, .load = load_user },
	{ NULL }
};
#undef CFG_UINT

static int load_host_uuid(struct ld *ld, const config_setting_t *s, const char *str, void *obj)
{
	struct cfg_qbh *q = obj;

	if (strcmp(str, "smbios") == 0)
		q->host_from = CFG_QBH_HOST_SMBIOS;
	else if (strcmp(str, "none") == 0)
		q->host_from = CFG_QBH_HOST_NONE;
	else if (vdp_txt_uuid_parse(str, q->host_uuid) == 0)
		q->host_from = CFG_QBH_HOST_GIVEN;
	else
		return fail(ld, s, "host_uuid \"%s\" is not \"smbios\", \"none\" or a UUID", str);
	return 0;
}

static int load_instance_uuid(struct ld *ld, const config_setting_t *s, const char *str, void *obj)
{
	struct cfg_qbh *q = obj;

	if (strcmp(str, "domain") && strcmp(str, "interface-id"))
		return fail(ld, s, "instance_uuid \"%s\" is not \"domain\" or \"interface-id\"",
			    str);
	q->instance_is_iface_id = strcmp(str, "interface-id") == 0;
	return 0;
}

static const struct setting qbh_settings[] = {
	{ "timeout_ms", AT_UINT(struct cfg_qbh, timeout_ms), .min = 100, .max = 600000 },
	{ "poll_ms", AT_UINT(struct cfg_qbh, poll_ms), .min = 10, .max = 10000 },
	{ "host_uuid", SET_STRING, .load = load_host_uuid },
	{ "instance_uuid", SET_STRING, .load = load_instance_uuid },
	{ "retry_initial_ms", AT_UINT(struct cfg_qbh, retry_initial_ms), .max = 3600000 },
	{ NULL }
};

static int load_qbh(struct ld *ld, const config_setting_t *g, struct cfg_qbh *q)
{
	if (load_group(ld, g, "qbh", qbh_settings, q) < 0)
		return -1;
	if (q->poll_ms && q->timeout_ms && q->poll_ms > q->timeout_ms)
		return fail(ld, g, "qbh: poll_ms %u is longer than timeout_ms %u", q->poll_ms,
			    q->timeout_ms);
	return 0;
}

static int load_root(struct ld *ld, config_t *lc, struct vdpd_config *cfg)
{
	const config_setting_t *root = config_root_setting(lc);
	const config_setting_t *g, *list;

	/* global first: its mgrid is every uplink's default. */
	g = config_setting_get_member(root, "global");
	if (g && load_group(ld, g, "global", global_settings, cfg) < 0)
		return -1;
	g = config_setting_get_member(root, "qbh");
	if (g && load_qbh(ld, g, &cfg->qbh) < 0)
		return -1;
	for (int i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const char *n = config_setting_name(s);
		bool known = strcmp(n, "global") == 0 || strcmp(n, "uplinks") == 0 ||
			strcmp(n, "qbh") == 0;

		for (const char *const *f = foreign_groups; !known && *f; f++)
			known = strcmp(n, *f) == 0;
		if (!known) {
			char known_list[256];
			size_t len = (size_t)snprintf(known_list, sizeof(known_list),
						      "global, qbh, uplinks");

			for (const char *const *f = foreign_groups; *f && len < sizeof(known_list);
			     f++)
				len += (size_t)snprintf(known_list + len, sizeof(known_list) - len,
							", %s", *f);
			return fail(ld, s, "unknown setting \"%s\" (known: %s)", n, known_list);
		}
	}
	list = config_setting_get_member(root, "uplinks");
	if (!list)
		return 0;
	if (!config_setting_is_list(list) && !config_setting_is_array(list))
		return fail(ld, list, "uplinks must be a list ( { ... }, ... ), not %s",
			    type_name(config_setting_type(list)));
	size_t n = (size_t)config_setting_length(list);
	if (n == 0)
		return 0;
	cfg->uplinks = calloc(n, sizeof(*cfg->uplinks));
	if (!cfg->uplinks)
		return fail(ld, list, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
		struct cfg_uplink *u = &cfg->uplinks[i];
		const struct cfg_uplink *dup;

		if (load_uplink(ld, s, cfg, u) < 0)
			return -1;
		cfg->n_uplinks = i;	/* search only the ones before */
		dup = cfg_find_uplink(cfg, u->name);
		if (dup)
			return fail(ld, s, "uplink \"%s\" is already defined at line %d", u->name, dup->line);
		cfg->n_uplinks = i + 1;
	}
	return 0;
}

void cfg_init(struct vdpd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = -1;
	cfg->log_target = LOG_TO_AUTO;
	cfg->resp_wait_max_ms = 8000;
	cfg->keepalive_spread_pct = VDP_KA_SPREAD_PCT;
	cfg->retry_initial_ms = 0;
	cfg->retry_max_ms = 60000;
	cfg->qbh.retry_initial_ms = 1000;
}

void cfg_free(struct vdpd_config *cfg)
{
	free(cfg->uplinks);
	cfg_init(cfg);
}

static int finish(struct ld *ld, config_t *lc, int read_ok, struct vdpd_config *cfg)
{
	int rc;

	cfg_init(cfg);
	if (!read_ok) {
		const char *file = config_error_file(lc);

		if (config_error_type(lc) == CONFIG_ERR_FILE_IO)
			snprintf(ld->err, ld->errlen, "%s: cannot read: %s", ld->name, strerror(errno));
		else if (file && file[0] != '/' && ld->incdir && strcmp(file, ld->name) != 0)
			snprintf(ld->err, ld->errlen, "%s/%s:%d: %s", ld->incdir, file,
				 config_error_line(lc), config_error_text(lc));
		else
			snprintf(ld->err, ld->errlen, "%s:%d: %s", file ? file : ld->name,
				 config_error_line(lc), config_error_text(lc));
		config_destroy(lc);
		return -1;
	}
	rc = load_root(ld, lc, cfg);
	config_destroy(lc);
	if (rc < 0)
		cfg_free(cfg);
	return rc;
}

int cfg_load_file(const char *path, struct vdpd_config *cfg, char *err, size_t errlen)
{
	struct ld ld = { path, NULL, err, errlen };
	config_t lc;
	char *dir, *slash;
	int rc;

	config_init(&lc);
	/* @include "x.conf" is relative to the main file's directory. */
	dir = strdup(path);
	slash = dir ? strrchr(dir, '/') : NULL;
	if (slash) {
		*slash = 0;
		config_set_include_dir(&lc, dir);
		ld.incdir = dir;
	}
	rc = finish(&ld, &lc, config_read_file(&lc, path) == CONFIG_TRUE, cfg);
	free(dir);
	return rc;
}

int cfg_load_string(const char *text, const char *name, struct vdpd_config *cfg, char *err,
		    size_t errlen)
{
	struct ld ld = { name, NULL, err, errlen };
	config_t lc;

	config_init(&lc);
	return finish(&ld, &lc, config_read_string(&lc, text) == CONFIG_TRUE, cfg);
}

const struct cfg_uplink *cfg_find_uplink(const struct vdpd_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_uplinks; i++)
		if (strcmp(cfg->uplinks[i].name, name) == 0)
			return &cfg->uplinks[i];
	return NULL;
}

bool cfg_uplink_changed(const struct cfg_uplink *a, const struct cfg_uplink *b)
{
	return a->evb.r != b->evb.r || a->evb.rte != b->evb.rte || a->evb.rwd != b->evb.rwd ||
	       a->evb.rka != b->evb.rka || a->evb.rrreq != b->evb.rrreq || a->evb.gid != b->evb.gid ||
	       a->evb.rrcap != b->evb.rrcap || a->tx_interval != b->tx_interval ||
	       a->tx_hold != b->tx_hold || memcmp(a->mgrid, b->mgrid, VDP_MGRID_LEN) != 0;
}
