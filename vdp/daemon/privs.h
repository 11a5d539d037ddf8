/* vdpd's privileges: what it must have to start, and what it keeps
 * (vdp/io/privs.h says why those two). */
#ifndef VDP_DAEMON_PRIVS_H
#define VDP_DAEMON_PRIVS_H

/* Before anything is created: 0, or -EPERM after printing which of
 * CAP_NET_RAW / CAP_NET_ADMIN are missing. */
int vdpd_privs_require(void);
/* After vdpd_init (sockets open, files created), before the first frame
 * is read and before detaching: keeps CAP_NET_RAW and CAP_NET_ADMIN only,
 * and becomes user when set.  0, or -errno after logging why. */
int vdpd_privs_drop(const char *user);

#endif
