/* The registry in the daemon: opening it (config + state file), saving it
 * after every change, and its control-socket commands.
 *
 * The program owns a struct reg_ctl and serves reg_ctl_cmds with it as
 * the handlers' context:
 *
 *	ctl_server_add_cmds(srv, reg_ctl_cmds, &rc);
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
	int lock_fd; /* state_path.lock held (vdp/store/lock.h), -1 */
	uint64_t saved_generation;
	uint64_t saves, save_errors;
	char last_save_error[256];
	unsigned shadowed;		/* state entries hidden by config entries at load */
};

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

/* The control-socket commands (profile.*, physnet.*, network.*, port.*,
 * attach, detach, bind, unbind, resolve, export, registry.*); each
 * handler's ctx is the struct reg_ctl. */
extern const struct ctl_cmd reg_ctl_cmds[];
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

#endif
