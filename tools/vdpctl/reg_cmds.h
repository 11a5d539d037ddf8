/* vdpctl objects of the port-profile registry (reg_cmds.c):
 *	profile, physnet, network, port, attach, detach, bind, unbind,
 *	resolve, export, hook, registry. */
#ifndef VDPCTL_REG_CMDS_H
#define VDPCTL_REG_CMDS_H

int do_profile(int argc, char **argv);
int do_physnet(int argc, char **argv);
int do_network(int argc, char **argv);
int do_port(int argc, char **argv);
int do_attach(int argc, char **argv);
int do_detach(int argc, char **argv);
int do_bind(int argc, char **argv);
int do_unbind(int argc, char **argv);
int do_resolve(int argc, char **argv);
int do_export(int argc, char **argv);
int do_hook(int argc, char **argv);
int do_registry(int argc, char **argv);
void reg_cmds_usage(void);

/* The dispatcher's table entries, for vdpctl.c's objects[]. */
#define REG_VDPCTL_OBJECTS					\
	{ "profile", do_profile }, { "physnet", do_physnet },	\
	{ "network", do_network }, { "port", do_port },		\
	{ "attach", do_attach }, { "detach", do_detach },	\
	{ "bind", do_bind }, { "unbind", do_unbind },		\
	{ "resolve", do_resolve }, { "export", do_export },	\
	{ "hook", do_hook }, { "registry", do_registry }

#endif
