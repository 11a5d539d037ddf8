/* vdpd's privileges (see privs.h). */
#include <errno.h>
#include <stdio.h>

#include "vdp/base/log.h"
#include "vdp/io/privs.h"
#include "vdp/daemon/privs.h"

int vdpd_privs_require(void)
{
	char err[512];
	int rc = privs_check("vdpd", err, sizeof(err));

	if (rc < 0)
		fprintf(stderr, "%s\n", err);
	return rc;
}

int vdpd_privs_drop(const char *user)
{
	char err[512];
	int rc = privs_drop(user, err, sizeof(err));

	if (rc < 0) {
		log_err(NULL, "%s", err);
		return rc;
	}
	log_info(NULL, "capabilities: CAP_NET_RAW and CAP_NET_ADMIN kept, all others dropped%s%s",
		 user && *user ? "; running as user " : "", user && *user ? user : "");
	return 0;
}
