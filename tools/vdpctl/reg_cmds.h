/* vdpctl objects of the port-profile registry (reg_cmds.c):
 *	profile, physnet, network, port, attach, detach, bind, unbind,
 *	resolve, export, hook, registry.
 * vdpctl.c looks an OBJECT word up in its own table, then in this one. */
#ifndef VDPCTL_REG_CMDS_H
#define VDPCTL_REG_CMDS_H

#include "tools/vdpctl/vdpctl.h"

extern const struct vctl_object reg_vdpctl_objects[];
void reg_cmds_usage(void);

#endif
