/* vdpd's process life (vdp/daemon/process.c): options, the pid file,
 * detaching, signals and systemd notification.  The wiring of the
 * components is vdp/daemon/vdpd.h. */
#ifndef VDP_DAEMON_PROCESS_H
#define VDP_DAEMON_PROCESS_H

#include <sys/types.h>

struct vdpd;

int vdpd_main(int argc, char **argv);

/* SIGHUP reloads (vdpd_reload), SIGTERM/SIGINT stop the loop without
 * de-associating anything.  0 or -ENOMEM. */
int vdpd_signals_add(struct vdpd *d);

/* systemd notification (no libsystemd): "READY=1", "STATUS=...".  0, or
 * -errno; nothing is sent when NOTIFY_SOCKET is unset (returns 0). */
int vdpd_sd_notify(const char *msg);
/* Pid file: created and locked for the life of the process.  Returns the
 * fd, or -EEXIST with *other set when a live process holds it. */
int vdpd_pidfile_open(const char *path, pid_t *other);
int vdpd_pidfile_write(int fd);

#endif
