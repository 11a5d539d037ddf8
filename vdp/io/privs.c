/* Capabilities kept and dropped (see privs.h), with libcap-ng. */
#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cap-ng.h>

#include "vdp/io/privs.h"

int privs_check(const char *prog, char *err, size_t errlen)
{
	bool raw, admin;

	if (capng_get_caps_process() < 0) {
		snprintf(err, errlen, "%s: cannot read the process capabilities", prog);
		return -EPERM;
	}
	raw = capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_RAW);
	admin = capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_ADMIN);
	if (raw && admin)
		return 0;
	snprintf(
		err, errlen,
		"%s: missing capabilit%s %s%s%s: needed to send and receive LLDP/ECP frames "
		"(CAP_NET_RAW) and to configure links over netlink (CAP_NET_ADMIN); run it as root "
		"or give it both (systemd: AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN)",
		prog, raw || admin ? "y" : "ies", raw ? "" : "CAP_NET_RAW",
		raw || admin ? "" : " and ", admin ? "" : "CAP_NET_ADMIN");
	return -EPERM;
}

int privs_drop(const char *user, char *err, size_t errlen)
{
	capng_select_t what = CAPNG_SELECT_CAPS;
	struct passwd *pw = NULL;
	int rc;

	if (user && *user) {
		errno = 0;
		pw = getpwnam(user);
		if (!pw) {
			snprintf(err, errlen, "user \"%s\": %s", user,
				 errno ? strerror(errno) : "no such user");
			return errno ? -errno : -ENOENT;
		}
	}
	if (capng_get_caps_process() < 0) {
		snprintf(err, errlen, "cannot read the process capabilities");
		return -EPERM;
	}
	/* The bounding set can only shrink with CAP_SETPCAP (root has it;
	 * under systemd CapabilityBoundingSet= has shrunk it already). */
	if (capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP))
		what = CAPNG_SELECT_BOTH;
	capng_clear(what);
	capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
		      CAP_NET_RAW, CAP_NET_ADMIN, -1);
	if (what == CAPNG_SELECT_BOTH && (rc = capng_apply(CAPNG_SELECT_BOUNDS)) < 0) {
		snprintf(err, errlen,
			 "cannot shrink the capability bounding set: libcap-ng error %d", rc);
		return -EPERM;
	}
	if (pw) {
		/* Applies the two capabilities once the ids are changed. */
		rc = capng_change_id((int)pw->pw_uid, (int)pw->pw_gid, CAPNG_DROP_SUPP_GRP);
		if (rc < 0) {
			snprintf(err, errlen, "cannot become user %s (uid %ld): libcap-ng error %d",
				 user, (long)pw->pw_uid, rc);
			return -EPERM;
		}
	} else if ((rc = capng_apply(CAPNG_SELECT_CAPS)) < 0) {
		snprintf(err, errlen, "cannot drop capabilities: libcap-ng error %d", rc);
		return -EPERM;
	}
	return 0;
}
