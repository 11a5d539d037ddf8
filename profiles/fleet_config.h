/* The fleet store settings of vdpd.conf's `registry` group:
 *
 *	registry = {
 *		backend = "etcd";			# "local" (default): the state file only
 *		endpoints = [ "http://10.0.0.1:2379", "http://10.0.0.2:2379" ];
 *		prefix = "/vdpd";			# default
 *		host = "compute-17";			# default: the hostname
 *		tls = { ca = "/etc/vdpd/ca.pem"; cert = "..."; key = "..."; };
 *		user = "vdpd"; password = "...";	# etcd authentication
 *	};
 *
 * With backend "etcd" the registry follows the fleet store
 * (profiles/fleet_sync.h) and the state file is its local cache. */
#ifndef VDP_FLEET_CONFIG_H
#define VDP_FLEET_CONFIG_H

#include <stdbool.h>
#include <libconfig.h>
#include <limits.h>

#include "profiles/fleet_keys.h"

#define FLEET_MAX_ENDPOINTS 8

struct fleet_config {
	bool etcd; /* backend = "etcd" */
	char endpoints[FLEET_MAX_ENDPOINTS][256];
	unsigned nendpoints;
	char prefix[FLEET_PREFIX_MAX];
	char host[REG_NAME_MAX];
	char ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
	char user[128], password[128];
};

/* Whether name is one of these settings (for the registry group's check). */
bool fleet_config_is_setting(const char *name);
/* From the `registry` group (NULL: defaults, local backend).  0 or -EINVAL
 * with err ("FILE:LINE: ..."). */
int fleet_config_parse(const config_setting_t *registry, struct fleet_config *out,
		       struct reg_err *err);
/* Reads path's `registry` group. */
int fleet_config_load_file(const char *path, struct fleet_config *out, struct reg_err *err);

#endif
