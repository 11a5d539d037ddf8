/* The registry in the daemon: opening it (config + state file), saving it
 * after every change, and its control-socket commands.
 *
 * The daemon embeds a struct reg_ctl, defines reg_ctl_of() to find it from
 * its control-socket context, and puts REG_CTL_CMDS into its command
 * table:
 *
 *	struct reg_ctl *reg_ctl_of(void *ctx) { return &((struct vdpd *)ctx)->reg; }
 *	const struct ctl_cmd vdpd_ctl_cmds[] = { ..., REG_CTL_CMDS, { NULL, NULL, NULL } };
 *
 * Arguments and results use the JSON shapes of profiles/reg_json.h. */
#ifndef VDP_REG_CTL_H
#define VDP_REG_CTL_H

#include <limits.h>
#include <jansson.h>

#include "profiles/reg_config.h"
#include "profiles/registry.h"
#include "profiles/store.h"
#include "vdp/ctl/ctl.h"

struct reg_ctl {
	struct reg *reg;
	char state_path[PATH_MAX];	/* "" = not persisted */
	struct reg_store store;		/* snapshot + journal of state_path */
	uint64_t saved_generation;
	uint64_t saves, save_errors;
	char last_save_error[256];
	unsigned shadowed;		/* state entries hidden by config entries at load */
};

/* Defined by the program that serves REG_CTL_CMDS. */
struct reg_ctl *reg_ctl_of(void *ctx);

/* Creates the registry: the `registry` group of config_path (NULL: none),
 * then the state file (state_path, or the config's state_dir, or
 * /var/lib/vdpd, + "/registry.json"; state_path "" = no persistence) and
 * its journal (registry.journal, see store.h).  A refused state file or
 * journal is an error (the daemon must not start and must not overwrite
 * it); a torn last journal record is dropped with a warning (logged, and
 * in rc->store.warning).  Every desired VSI is reported through ops before
 * this returns.  0 or -errno with err. */
int reg_ctl_open(struct reg_ctl *rc, const char *config_path, const char *state_path, const struct reg_ops *ops,
		 void *ops_ctx, struct reg_err *err);
/* A clean shutdown: compacts (snapshot, empty journal), then frees. */
void reg_ctl_close(struct reg_ctl *rc);
/* Saves when the registry changed since the last save: one journal record
 * fdatasync'd, or a compaction when due.  0 or -errno. */
int reg_ctl_save(struct reg_ctl *rc, struct reg_err *err);
json_t *reg_ctl_status_json(const struct reg_ctl *rc);

/* Reload of the `registry` group in two steps, so that the daemon can
 * refuse a whole reload: prepare builds the next registry (new config
 * entries + the current run-time ones, which must all still fit) without
 * touching the current one; commit swaps it in, reports only the VSIs
 * that changed, applies the policy (off when the file sets none) and
 * saves.  state_dir is not changed by a reload. */
struct reg_reload {
	struct reg *next;
	struct reg_config cfg;
	unsigned shadowed;
};
int reg_ctl_reload_prepare(struct reg_ctl *rc, const char *config_path, struct reg_reload *rl, struct reg_err *err);
int reg_ctl_reload_commit(struct reg_ctl *rc, struct reg_reload *rl, struct reg_err *err);
void reg_ctl_reload_abort(struct reg_reload *rl);

json_t *reg_ctl_profile_add(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_profile_set(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_profile_del(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_profile_show(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_physnet_add(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_physnet_set(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_physnet_del(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_physnet_show(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_network_add(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_network_set(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_network_del(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_network_show(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_port_add(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_port_del(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_port_show(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_attach(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_detach(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_attach_show(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_bind(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_unbind(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_bind_show(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_resolve(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_export(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_registry_show(void *ctx, json_t *args, struct ctl_error *err);
json_t *reg_ctl_registry_policy(void *ctx, json_t *args, struct ctl_error *err);

#define REG_CTL_CMDS									\
	{ "profile.add", reg_ctl_profile_add, "add a port profile; args: name, type, mgrid, typeid, typeidver, filter_fmt, profileid, vlan" }, \
	{ "profile.set", reg_ctl_profile_set, "change a port profile (VSIs using it are re-associated); args as profile.add" }, \
	{ "profile.del", reg_ctl_profile_del, "remove an unused port profile; args: name" },	\
	{ "profile.show", reg_ctl_profile_show, "port profiles; args: name" },		\
	{ "physnet.add", reg_ctl_physnet_add, "map a host uplink to a physical network; args: dev, physnet, mode" }, \
	{ "physnet.set", reg_ctl_physnet_set, "change a host uplink mapping; args as physnet.add" }, \
	{ "physnet.del", reg_ctl_physnet_del, "remove a host uplink mapping without bindings; args: dev" }, \
	{ "physnet.show", reg_ctl_physnet_show, "host uplinks and their physical networks; args: dev" }, \
	{ "network.add", reg_ctl_network_add, "add a network; args: name, uuid, physnet, profile, vlan" }, \
	{ "network.set", reg_ctl_network_set, "change a network (its VSIs are re-associated); args as network.add" }, \
	{ "network.del", reg_ctl_network_del, "remove a network without ports or attachments; args: name" }, \
	{ "network.show", reg_ctl_network_show, "networks; args: name" },		\
	{ "port.add", reg_ctl_port_add, "add a port on a network; args: uuid, network" },	\
	{ "port.del", reg_ctl_port_del, "remove an unused port; args: uuid" },		\
	{ "port.show", reg_ctl_port_show, "ports; args: uuid" },			\
	{ "attach", reg_ctl_attach, "attach (or move) an interface-id to a network; args: iface_id, network, port" }, \
	{ "detach", reg_ctl_detach, "detach an interface-id (de-associates it); args: iface_id" }, \
	{ "attach.show", reg_ctl_attach_show, "attachments; args: iface_id" },		\
	{ "bind", reg_ctl_bind, "edge binding of an interface-id; args: iface_id, dev, mac, uplink" }, \
	{ "unbind", reg_ctl_unbind, "remove an edge binding (de-associates it); args: iface_id" }, \
	{ "bind.show", reg_ctl_bind_show, "edge bindings; args: iface_id" },		\
	{ "resolve", reg_ctl_resolve, "source dev, mode and virtualport for an interface-id; args: iface_id, xml" }, \
	{ "export", reg_ctl_export, "libvirt XML; args: format (libvirt-network), name" }, \
	{ "registry.show", reg_ctl_registry_show, "the whole registry, desired VSIs, policy, state file" }, \
	{ "registry.policy", reg_ctl_registry_policy, "policy for libvirt requests; args: policy (off|learn|enforce)" }

#endif
