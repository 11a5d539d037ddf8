/* The "netlink" group of vdpd.conf: the front's settings (see
 * nl_front.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "vdp/nlfront/nl_front.h"

void nl_front_config_default(struct nl_front_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->pidfile, sizeof(c->pidfile), "%s", NLF_DEFAULT_PIDFILE);
	c->ack_delay_ms = 300;
	c->linkdel_grace_ms = 5000;
	c->linger_ms = 2000;
	c->unread_max_ms = 600000;
	c->part_max = 16384;
	c->require_admin = true;
}

int nl_front_config_load(const char *path, struct nl_front_config *c, char *err, size_t errlen)
{
	config_t cf;
	config_setting_t *g;
	int rc = 0;

	nl_front_config_default(c);
	if (!path || access(path, R_OK) < 0)
		return 0;
	config_init(&cf);
	if (!config_read_file(&cf, path)) {
		snprintf(err, errlen, "%s:%d: %s", path, config_error_line(&cf),
			 config_error_text(&cf));
		config_destroy(&cf);
		return -1;
	}
	g = config_lookup(&cf, "netlink");
	for (int i = 0; g && i < config_setting_length(g); i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *n = config_setting_name(s);
		int t = config_setting_type(s);
		long long v = t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64
			? config_setting_get_int64(s)
			: -1;
		uint32_t *u32 = NULL;

		if (!strcmp(n, "lldpad_compat") || !strcmp(n, "require_admin")) {
			if (t != CONFIG_TYPE_BOOL) {
				snprintf(err, errlen, "%s:%d: netlink.%s must be true or false",
					 path, config_setting_source_line(s), n);
				rc = -1;
				break;
			}
			*(n[0] == 'l' ? &c->enabled : &c->require_admin) =
				config_setting_get_bool(s);
			continue;
		}
		if (!strcmp(n, "pidfile")) {
			const char *p = config_setting_get_string(s);
			if (!p || strlen(p) >= sizeof(c->pidfile)) {
				snprintf(err, errlen, "%s:%d: netlink.pidfile must be a path", path,
					 config_setting_source_line(s));
				rc = -1;
				break;
			}
			snprintf(c->pidfile, sizeof(c->pidfile), "%s", p);
			continue;
		}
		if (!strcmp(n, "ack_delay_ms"))
			u32 = &c->ack_delay_ms;
		else if (!strcmp(n, "linkdel_grace_ms"))
			u32 = &c->linkdel_grace_ms;
		else if (!strcmp(n, "linger_ms"))
			u32 = &c->linger_ms;
		else if (!strcmp(n, "unread_max_ms"))
			u32 = &c->unread_max_ms;
		else if (!strcmp(n, "part_max"))
			u32 = &c->part_max;
		if (!u32) {
			snprintf(err, errlen,
				 "%s:%d: unknown setting \"%s\" in netlink (known: lldpad_compat, "
				 "pidfile, ack_delay_ms, linkdel_grace_ms, linger_ms, "
				 "unread_max_ms, part_max, "
				 "require_admin)",
				 path, config_setting_source_line(s), n);
			rc = -1;
			break;
		}
		if (v < 0 || v > 3600000 || (u32 == &c->part_max && (v < 256 || v > 65536))) {
			snprintf(err, errlen, "%s:%d: netlink.%s out of range", path,
				 config_setting_source_line(s), n);
			rc = -1;
			break;
		}
		*u32 = (uint32_t)v;
	}
	config_destroy(&cf);
	return rc;
}
