/* Least privilege for the daemons that read frames from the wire (vdpd,
 * vdp-bridge).  They need exactly two capabilities for their whole life:
 * CAP_NET_RAW for the AF_PACKET sockets of LLDP and ECP (opened again
 * whenever an uplink comes back), CAP_NET_ADMIN for netlink link changes
 * (802.1Qbh port profiles, multicast membership, the lldpad-compatible
 * front).  Everything else is dropped before the first frame is read; a
 * parser bug then cannot load modules, read any file (CAP_DAC_*), trace
 * processes or change users.  Optionally the process also becomes an
 * unprivileged user, as lldpd does with _lldpd. */
#ifndef VDP_IO_PRIVS_H
#define VDP_IO_PRIVS_H

#include <stddef.h>

/* 0 when the effective set holds CAP_NET_RAW and CAP_NET_ADMIN, else
 * -EPERM with err naming the missing ones and what they are for. */
int privs_check(const char *prog, char *err, size_t errlen);

/* Keeps CAP_NET_RAW and CAP_NET_ADMIN (effective and permitted; the
 * bounding set too when the process may change it), drops the rest, and
 * when user is set (not NULL, not "") switches to that user and its
 * primary group, supplementary groups dropped, keeping the two
 * capabilities.  0, or -errno with err filled. */
int privs_drop(const char *user, char *err, size_t errlen);

#endif
