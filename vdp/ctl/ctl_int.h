/* Shared by the two sides of the control socket (ctl.c, ctl_client.c). */
#ifndef VDP_CTL_INT_H
#define VDP_CTL_INT_H

#include <sys/un.h>

/* sun for path; -ENAMETOOLONG when it does not fit. */
int ctl_sun_fill(struct sockaddr_un *sun, const char *path);

#endif
