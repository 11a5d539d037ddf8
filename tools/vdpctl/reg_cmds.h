/* vdpctl objects of the port-profile registry (reg_cmds.c): profile,
 * physnet, network, port, attachment, binding, registry.  Their words are
 * in the keyword table, grammar.c. */
#ifndef VDPCTL_REG_CMDS_H
#define VDPCTL_REG_CMDS_H

int do_profile(int argc, char **argv);
int do_physnet(int argc, char **argv);
int do_network(int argc, char **argv);
int do_port(int argc, char **argv);
int do_attachment(int argc, char **argv);
int do_binding(int argc, char **argv);
int do_registry(int argc, char **argv);

#endif
