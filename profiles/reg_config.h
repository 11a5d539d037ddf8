/* Static registry entries from vdpd.conf (libconfig):
 *
 *	registry = {
 *		policy = "enforce";		# off | learn | enforce (libvirt requests)
 *		state_dir = "/var/lib/vdpd";	# where registry.json lives
 *		profiles = (
 *			{ name = "enterprise-xyz"; type = "802.1Qbh"; profileid = "enterprise-xyz"; },
 *			{ name = "web"; type = "802.1Qbg"; mgrid = 11; typeid = 1193047; typeidver = 2; }
 *		);
 *		uplinks = ( { dev = "eth4"; physnet = "datacenter"; mode = "vepa"; } );
 *		networks = ( { name = "tenant-a"; physnet = "datacenter"; profile = "enterprise-xyz"; vlan = 0; } );
 *		ports = ( ... ); attachments = ( ... ); bindings = ( ... );
 *	};
 *
 * Entries have the keys of their JSON shape (profiles/reg_json.h) and are
 * validated the same way; they get origin "config": not stored in the
 * state file, not removable at run time.  Errors read "FILE:LINE: ...". */
#ifndef VDP_REG_CONFIG_H
#define VDP_REG_CONFIG_H

#include <libconfig.h>
#include <limits.h>

#include "profiles/registry.h"

struct reg_config {
	bool has_policy;
	enum reg_policy policy;
	char state_dir[PATH_MAX];	/* "" when not set */
};

/* setting is the `registry` group (NULL: nothing to do).  0 or -EINVAL
 * with err; entries before the faulty one may have been added. */
int reg_config_load_setting(struct reg *reg, const config_setting_t *setting, struct reg_config *out,
			    struct reg_err *err);
/* Reads path with libconfig and loads its `registry` group, if any. */
int reg_config_load_file(struct reg *reg, const char *path, struct reg_config *out, struct reg_err *err);

#endif
