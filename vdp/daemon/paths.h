/* vdpd detaches with chdir("/"), and SIGHUP re-reads the config later:
 * a relative path given on the command line ("-S reg.json") must be made
 * absolute against the directory vdpd was started in, before anything
 * uses it. */
#ifndef VDP_DAEMON_PATHS_H
#define VDP_DAEMON_PATHS_H

struct vdpd_opts;

/* Config, socket, pid file, intents and state paths.  0, or -errno
 * (getcwd failed or a path is too long) after printing why. */
int vdpd_paths_absolute(struct vdpd_opts *o);

#endif
