/* vdpd.conf `registry` group -> registry entries (see reg_config.h).
 * Each entry group is turned into its JSON shape and goes through the same
 * strict parser as the state file and the control socket, so the three
 * ways in accept exactly the same things. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "profiles/fleet_config.h"
#include "profiles/reg_config.h"
#include "profiles/reg_kind.h"

static int cfail(struct reg_err *err, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int cfail(struct reg_err *err, const config_setting_t *s, const char *fmt, ...)
{
	const char *file = s ? config_setting_source_file(s) : NULL;
	char text[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (err)
		snprintf(err->msg, sizeof(err->msg), "%s:%u: %s", file ? file : "vdpd.conf",
			 s ? config_setting_source_line(s) : 0, text);
	return -EINVAL;
}

/* A group of scalars -> a JSON object; NULL with err for anything else. */
static json_t *group_to_json(const config_setting_t *g, const char *where, struct reg_err *err)
{
	json_t *j;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		cfail(err, g, "%s: each entry must be a group { key = value; ... }", where);
		return NULL;
	}
	j = json_object();
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		json_t *v;

		switch (config_setting_type(s)) {
		case CONFIG_TYPE_INT:
		case CONFIG_TYPE_INT64:
			v = json_integer(config_setting_get_int64(s));
			break;
		case CONFIG_TYPE_STRING:
			v = json_string(config_setting_get_string(s));
			break;
		case CONFIG_TYPE_BOOL:
			v = json_boolean(config_setting_get_bool(s));
			break;
		default:
			json_decref(j);
			cfail(err, s, "%s: \"%s\" must be a number or a string", where, config_setting_name(s));
			return NULL;
		}
		json_object_set_new(j, config_setting_name(s), v);
	}
	return j;
}

/* Every entry of registry.<plural> with origin "config"; an "origin" key
 * written in the file is refused (from_json alone would accept it). */
static int load_list(struct reg *reg, const config_setting_t *setting, const struct reg_kind_ops *k,
		     struct reg_err *err)
{
	const char *key = k->plural;
	const config_setting_t *list = config_setting_get_member(setting, key);
	union reg_entry ent;
	struct reg_err e;

	if (!list)
		return 0;
	if (!config_setting_is_list(list) && !config_setting_is_array(list))
		return cfail(err, list, "registry.%s must be a list ( {...}, {...} )", key);
	for (int i = 0; i < config_setting_length(list); i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		char where[64];
		json_t *j;
		int rc;

		snprintf(where, sizeof(where), "registry.%s[%d]", key, i);
		if (!(j = group_to_json(g, where, err)))
			return -EINVAL;
		if (json_object_get(j, "origin")) {
			json_decref(j);
			return cfail(err, g, "%s: \"origin\" is not a configuration key", where);
		}
		json_object_set_new(j, "origin", json_string("config"));
		rc = k->from_json(j, &ent, &e);
		json_decref(j);
		if (rc < 0 || k->add(reg, &ent, &e) < 0)
			return cfail(err, g, "%s: %s", where, e.msg);
	}
	return 0;
}

int reg_config_load_setting(struct reg *reg, const config_setting_t *setting, struct reg_config *out,
			    struct reg_err *err)
{
	const char *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!setting)
		return 0;
	if (!config_setting_is_group(setting))
		return cfail(err, setting, "registry must be a group { ... }");
	for (int i = 0; i < config_setting_length(setting); i++) {
		const config_setting_t *m = config_setting_get_elem(setting, (unsigned)i);
		const char *name = config_setting_name(m);

		if (strcmp(name, "policy") && strcmp(name, "state_dir") &&
		    !reg_kind_by_plural(name) && !fleet_config_is_setting(name))
			return cfail(err, m, "registry: unknown setting \"%s\"", config_setting_name(m));
	}
	if (config_setting_lookup_string(setting, "policy", &s)) {
		if (reg_policy_parse(s, &out->policy) < 0)
			return cfail(err, config_setting_get_member(setting, "policy"),
				     "registry.policy \"%s\" is not off, learn or enforce", s);
		out->has_policy = true;
		reg_set_policy(reg, out->policy);
	}
	if (config_setting_lookup_string(setting, "state_dir", &s)) {
		if (s[0] != '/' || strlen(s) >= sizeof(out->state_dir))
			return cfail(err, config_setting_get_member(setting, "state_dir"),
				     "registry.state_dir must be an absolute path");
		snprintf(out->state_dir, sizeof(out->state_dir), "%s", s);
	}
	{
		struct fleet_config fleet; /* checked here; used by the daemon */

		if ((rc = fleet_config_parse(setting, &fleet, err)) < 0)
			return rc;
	}
	for (size_t i = 0; i < REG_NKINDS; i++)
		if ((rc = load_list(reg, setting, &reg_kinds[i], err)) < 0)
			return rc;
	return 0;
}

int reg_config_load_file(struct reg *reg, const char *path, struct reg_config *out, struct reg_err *err)
{
	config_t cf;
	int rc;

	memset(out, 0, sizeof(*out));
	config_init(&cf);
	if (!config_read_file(&cf, path)) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "%s:%d: %s",
				 config_error_file(&cf) ? config_error_file(&cf) : path, config_error_line(&cf),
				 config_error_text(&cf));
		config_destroy(&cf);
		return -EINVAL;
	}
	rc = reg_config_load_setting(reg, config_lookup(&cf, "registry"), out, err);
	config_destroy(&cf);
	return rc;
}
