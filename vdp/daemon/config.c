/* vdpd.conf loader (libconfig).  See config.h. */
#include "vdp/daemon/config.h"

#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
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

static int load_evb(struct ld *ld, const config_setting_t *g, struct evb_config *e)
{
	if (need_group(ld, g, "evb") < 0)
		return -1;
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *n = config_setting_name(s);
		int rc;

		/* Field widths of the EVB TLV (802.1Qbg-2012 D.2.12.x): R is
		 * 3 bits, the timer exponents 5 bits. */
		if (strcmp(n, "r") == 0)
			rc = get_u8(ld, s, "evb.r (ECP maxRetries)", 7, &e->r);
		else if (strcmp(n, "rte") == 0)
			rc = get_u8(ld, s, "evb.rte (ECP ackTimer exponent)", 31, &e->rte);
		else if (strcmp(n, "rwd") == 0)
			rc = get_u8(ld, s, "evb.rwd (VDP resourceWaitDelay exponent)", 31, &e->rwd);
		else if (strcmp(n, "rka") == 0)
			rc = get_u8(ld, s, "evb.rka (VDP reinitKeepAlive exponent)", 31, &e->rka);
		else if (strcmp(n, "rrreq") == 0)
			rc = get_bool(ld, s, "evb.rrreq", &e->rrreq);
		else if (strcmp(n, "gid") == 0)
			rc = get_bool(ld, s, "evb.gid", &e->gid);
		else
			rc = fail(ld, s, "unknown setting \"%s\" in evb (known: r, rte, rwd, rka, rrreq, gid)", n);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int load_lldp(struct ld *ld, const config_setting_t *g, struct cfg_uplink *u)
{
	if (need_group(ld, g, "lldp") < 0)
		return -1;
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *n = config_setting_name(s);
		int rc;

		/* Ranges of 802.1AB-2009 10.5.1 (msgTxInterval 1..3600,
		 * msgTxHold 1..100). */
		if (strcmp(n, "tx_interval") == 0)
			rc = get_uint(ld, s, "lldp.tx_interval", 1, 3600, &u->tx_interval);
		else if (strcmp(n, "tx_hold") == 0)
			rc = get_uint(ld, s, "lldp.tx_hold", 1, 100, &u->tx_hold);
		else
			rc = fail(ld, s, "unknown setting \"%s\" in lldp (known: tx_interval, tx_hold)", n);
		if (rc < 0)
			return -1;
	}
	return 0;
}

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

static int load_uplink(struct ld *ld, const config_setting_t *g, struct vdpd_config *cfg,
		       struct cfg_uplink *u)
{
	const config_setting_t *name = NULL;

	if (need_group(ld, g, "an uplinks entry") < 0)
		return -1;
	uplink_defaults(u, cfg);
	u->line = (int)config_setting_source_line(g);
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *n = config_setting_name(s);
		int rc;

		if (strcmp(n, "name") == 0) {
			const char *str = NULL;

			rc = get_string(ld, s, "name", &str);
			if (rc == 0 && (!*str || strlen(str) >= IF_NAMESIZE || strpbrk(str, " /:")))
				rc = fail(ld, s, "\"%s\" is not a valid interface name", str);
			if (rc == 0) {
				strcpy(u->name, str);
				name = s;
			}
		} else if (strcmp(n, "evb") == 0) {
			rc = load_evb(ld, s, &u->evb);
		} else if (strcmp(n, "lldp") == 0) {
			rc = load_lldp(ld, s, u);
		} else if (strcmp(n, "mgrid") == 0) {
			rc = get_mgrid(ld, s, u->mgrid);
		} else {
			rc = fail(ld, s, "unknown setting \"%s\" in an uplink (known: name, evb, lldp, mgrid)", n);
		}
		if (rc < 0)
			return -1;
	}
	if (!name)
		return fail(ld, g, "uplink has no name");
	return 0;
}

static int load_global(struct ld *ld, const config_setting_t *g, struct vdpd_config *cfg)
{
	if (need_group(ld, g, "global") < 0)
		return -1;
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *n = config_setting_name(s);
		const char *str = NULL;
		int rc;

		if (strcmp(n, "log_level") == 0) {
			rc = get_string(ld, s, "log_level", &str);
			if (rc == 0 && (cfg->log_level = log_level_parse(str)) < 0)
				rc = fail(ld, s, "log_level \"%s\" is not one of error, warning, notice, info, debug", str);
		} else if (strcmp(n, "log_target") == 0) {
			rc = get_string(ld, s, "log_target", &str);
			if (rc == 0 && (cfg->log_target = log_target_parse(str)) < 0)
				rc = fail(ld, s,
					  "log_target \"%s\" is not one of auto, syslog, stderr, "
					  "journal",
					  str);
		} else if (strcmp(n, "mgrid") == 0) {
			rc = get_mgrid(ld, s, cfg->mgrid);
		} else if (strcmp(n, "resp_wait_max_ms") == 0) {
			rc = get_uint(ld, s, "resp_wait_max_ms", 0, 3600000, &cfg->resp_wait_max_ms);
		} else if (strcmp(n, "keepalive_spread_pct") == 0) {
			rc = get_uint(ld, s, "keepalive_spread_pct", 0, VDP_KA_SPREAD_MAX,
				      &cfg->keepalive_spread_pct);
		} else if (strcmp(n, "retry_initial_ms") == 0) {
			rc = get_uint(ld, s, "retry_initial_ms", 0, 3600000,
				      &cfg->retry_initial_ms);
		} else if (strcmp(n, "retry_max_ms") == 0) {
			rc = get_uint(ld, s, "retry_max_ms", 1, 86400000, &cfg->retry_max_ms);
		} else if (strcmp(n, "intents_file") == 0) {
			rc = get_string(ld, s, "intents_file", &str);
			if (rc == 0 && (strlen(str) >= sizeof(cfg->intents_file) || (*str && *str != '/')))
				rc = fail(ld, s, "intents_file must be an absolute path of at most %zu "
					  "characters, or \"\" to keep no VSI intents",
					  sizeof(cfg->intents_file) - 1);
			if (rc == 0) {
				snprintf(cfg->intents_file, sizeof(cfg->intents_file), "%s", str);
				cfg->intents_file_set = true;
			}
		} else if (strcmp(n, "user") == 0) {
			rc = get_string(ld, s, "user", &str);
			if (rc == 0 && strlen(str) >= sizeof(cfg->user))
				rc = fail(ld, s, "user name longer than %zu characters",
					  sizeof(cfg->user) - 1);
			if (rc == 0)
				snprintf(cfg->user, sizeof(cfg->user), "%s", str);
		} else {
			rc = fail(
				ld, s,
				"unknown setting \"%s\" in global (known: log_level, log_target, "
				"mgrid, resp_wait_max_ms, keepalive_spread_pct, retry_initial_ms, "
				"retry_max_ms, "
				"intents_file, user)",
				n);
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int load_qbh(struct ld *ld, const config_setting_t *g, struct cfg_qbh *q)
{
	if (need_group(ld, g, "qbh") < 0)
		return -1;
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *n = config_setting_name(s);
		const char *str = NULL;
		int rc;

		if (strcmp(n, "timeout_ms") == 0) {
			rc = get_uint(ld, s, "timeout_ms", 100, 600000, &q->timeout_ms);
		} else if (strcmp(n, "poll_ms") == 0) {
			rc = get_uint(ld, s, "poll_ms", 10, 10000, &q->poll_ms);
		} else if (strcmp(n, "host_uuid") == 0) {
			rc = get_string(ld, s, "host_uuid", &str);
			if (rc == 0 && strcmp(str, "smbios") == 0)
				q->host_from = CFG_QBH_HOST_SMBIOS;
			else if (rc == 0 && strcmp(str, "none") == 0)
				q->host_from = CFG_QBH_HOST_NONE;
			else if (rc == 0 && vdp_txt_uuid_parse(str, q->host_uuid) == 0)
				q->host_from = CFG_QBH_HOST_GIVEN;
			else if (rc == 0)
				rc = fail(ld, s,
					  "host_uuid \"%s\" is not \"smbios\", \"none\" or a UUID",
					  str);
		} else if (strcmp(n, "retry_initial_ms") == 0) {
			rc = get_uint(ld, s, "retry_initial_ms", 0, 3600000, &q->retry_initial_ms);
		} else if (strcmp(n, "instance_uuid") == 0) {
			rc = get_string(ld, s, "instance_uuid", &str);
			if (rc == 0 && strcmp(str, "domain") && strcmp(str, "interface-id"))
				rc = fail(ld, s,
					  "instance_uuid \"%s\" is not \"domain\" or "
					  "\"interface-id\"",
					  str);
			if (rc == 0)
				q->instance_is_iface_id = strcmp(str, "interface-id") == 0;
		} else {
			rc = fail(ld, s,
				  "unknown setting \"%s\" in qbh (known: timeout_ms, poll_ms, "
				  "host_uuid, instance_uuid, retry_initial_ms)",
				  n);
		}
		if (rc < 0)
			return -1;
	}
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
	if (g && load_global(ld, g, cfg) < 0)
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
