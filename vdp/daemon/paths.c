/* Relative command-line paths made absolute (see paths.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vdp/daemon/paths.h"
#include "vdp/daemon/vdpd.h"

/* The strings live as long as the process, like argv. */
static int absolute(const char **p, const char *cwd)
{
	char *abs;

	if (!*p || !**p || **p == '/')
		return 0;
	if (asprintf(&abs, "%s/%s", cwd, *p) < 0)
		return -ENOMEM;
	if (strlen(abs) >= PATH_MAX) {
		fprintf(stderr, "vdpd: %s: path too long\n", abs);
		free(abs);
		return -ENAMETOOLONG;
	}
	*p = abs;
	return 0;
}

int vdpd_paths_absolute(struct vdpd_opts *o)
{
	const char **paths[] = { &o->config, &o->socket, &o->pidfile, &o->intents, &o->state_file };
	char cwd[PATH_MAX];
	int rc;

	if (!getcwd(cwd, sizeof(cwd))) {
		rc = -errno;
		fprintf(stderr, "vdpd: cannot tell the current directory: %s\n", strerror(errno));
		return rc;
	}
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if ((rc = absolute(paths[i], cwd)) < 0)
			return rc;
	return 0;
}
