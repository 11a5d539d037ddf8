/* The registry in the daemon: open/save, and its control-socket commands
 * (see reg_ctl.h).  Handlers parse their arguments with the strict JSON
 * shapes (reg_json.c), apply one change, save, and answer with the entry
 * as it now is. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vdp/store/fsops.h"
#include "vdp/store/lock.h"
#include "profiles/reg_ctl.h"
#include "profiles/reg_json.h"
#include "profiles/reg_kind.h"
#include "profiles/resolve.h"
#include "profiles/store.h"
#include "vdp/base/log.h"
#include "vdp/io/qbh.h"

int reg_ctl_open(struct reg_ctl *rc, const char *config_path, const char *state_path, const struct reg_ops *ops,
		 void *ops_ctx, struct reg_err *err)
{
	struct reg_config cfg = { 0 };
	struct reg *load;
	int r;

	memset(rc, 0, sizeof(*rc));
	rc->store.jfd = -1;
	rc->lock_fd = -1;
	rc->reg = reg_new(ops, ops_ctx);
	/* Loaded without ops: a journal replays changes one by one, and
	 * only the final desired VSIs may reach the daemon (no Associate of
	 * a network the VM has since left). */
	load = reg_new(NULL, NULL);
	if (!rc->reg || !load) {
		reg_free(load);
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		r = -ENOMEM;
		goto fail;
	}
	if (config_path && (r = reg_config_load_file(load, config_path, &cfg, err)) < 0)
		goto fail_load;
	if (state_path) {
		snprintf(rc->state_path, sizeof(rc->state_path), "%s", state_path);
	} else {
		const char *dir = cfg.state_dir[0] ? cfg.state_dir : REG_STATE_DIR;

		if (strlen(dir) + 1 + strlen(REG_STATE_FILE) >= sizeof(rc->state_path)) {
			snprintf(err->msg, sizeof(err->msg), "state_dir too long");
			r = -ENAMETOOLONG;
			goto fail_load;
		}
		strcpy(rc->state_path, dir);
		strcat(rc->state_path, "/" REG_STATE_FILE);
	}
	/* Ours alone for as long as we run (vdp/store/lock.h); the state
	 * dir is created when missing, as the first save would. */
	if (rc->state_path[0]) {
		char dir[PATH_MAX];

		if (store_dir_of(rc->state_path, dir, sizeof(dir)) == 0 && mkdir(dir, 0755) < 0 &&
		    errno != EEXIST)
			log_debug("reg", "cannot create %s: %s", dir, strerror(errno));
		r = rc->lock_fd = store_lock(rc->state_path, err->msg, sizeof(err->msg));
		if (r < 0)
			goto fail_load;
	}
	if (rc->state_path[0]) {
		r = reg_store_open(&rc->store, load, rc->state_path, &rc->shadowed, err);
		if (r < 0 && r != -ENOENT) {
			reg_store_close(&rc->store);
			goto fail_load;
		}
		if (rc->store.warning[0])
			log_warn("reg", "registry: %s", rc->store.warning);
	}
	/* Every desired VSI is reported once, as new. */
	reg_set_policy(rc->reg, reg_get_policy(load));
	reg_replace(rc->reg, load);
	/* From here on every change is noted for the journal. */
	if (rc->state_path[0])
		reg_set_change_hook(rc->reg, reg_store_note, &rc->store);
	rc->saved_generation = reg_generation(rc->reg);
	return 0;
fail_load:
	reg_free(load);
fail:
	store_unlock(rc->lock_fd);
	rc->lock_fd = -1;
	reg_free(rc->reg);
	rc->reg = NULL;
	return r;
}

void reg_ctl_close(struct reg_ctl *rc)
{
	struct reg_err err;

	if (rc->reg && rc->state_path[0] && !strcmp(rc->state_path, rc->store.path) &&
	    reg_store_shutdown(&rc->store, rc->reg, &err) < 0)
		log_err("reg", "registry: compaction at shutdown failed (the journal still holds every change): %s",
			err.msg);
	reg_store_close(&rc->store);
	store_unlock(rc->lock_fd);
	rc->lock_fd = -1;
	reg_free(rc->reg);
	rc->reg = NULL;
}

int reg_ctl_save(struct reg_ctl *rc, struct reg_err *err)
{
	struct reg_store *st = &rc->store;
	int r;

	if (!rc->state_path[0] || reg_generation(rc->reg) == rc->saved_generation)
		return 0;
	if (strcmp(rc->state_path, st->path)) {
		/* Another state file than the one loaded: start it with a
		 * snapshot (and its own journal). */
		reg_store_close(st);
		snprintf(st->path, sizeof(st->path), "%s", rc->state_path);
		reg_store_journal_path(st->path, st->jpath, sizeof(st->jpath));
		st->jend = 0;
		st->jcut = false;
		st->compact = true;
		st->dirty = true;
		reg_set_change_hook(rc->reg, reg_store_note, st);
	}
	/* Every mutation bumps the generation once and is noted once; a
	 * mismatch means a change the journal did not see: snapshot. */
	if (reg_generation(rc->reg) - rc->saved_generation != st->noted) {
		st->compact = true;
		st->dirty = true;
	}
	r = reg_store_commit(st, rc->reg, err);
	if (r < 0) {
		rc->save_errors++;
		snprintf(rc->last_save_error, sizeof(rc->last_save_error), "%s", err->msg);
		return r;
	}
	rc->saves++;
	rc->saved_generation = reg_generation(rc->reg);
	return 0;
}

json_t *reg_ctl_status_json(const struct reg_ctl *rc)
{
	struct reg_counts c;

	reg_get_counts(rc->reg, &c);
	json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:i, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}}", "policy",
			      reg_policy_name(reg_get_policy(rc->reg)), "state_file", rc->state_path, "generation",
			      (json_int_t)reg_generation(rc->reg), "saves", (json_int_t)rc->saves, "save_errors",
			      (json_int_t)rc->save_errors, "last_save_error", rc->last_save_error,
			      "shadowed_by_config", rc->shadowed, "counts", "profiles", (json_int_t)c.profiles,
			      "physnets", (json_int_t)c.uplinks, "networks", (json_int_t)c.networks, "ports",
			      (json_int_t)c.ports, "attachments", (json_int_t)c.attachments, "bindings",
			      (json_int_t)c.bindings, "vsis", (json_int_t)c.vsis);
	const struct reg_store *st = &rc->store;

	if (j && rc->state_path[0])
		json_object_set_new(
			j, "journal",
			json_pack("{s:s, s:I, s:I, s:i, s:I, s:I, s:I, s:i, s:s, s:I, s:I, s:I}",
				  "file", st->jpath, "generation", (json_int_t)st->seq, "records",
				  (json_int_t)st->records, "compact_at",
				  (int)(st->max_records ? st->max_records
						: st->snap_entries > REG_JOURNAL_MIN_RECORDS
						? st->snap_entries
						: REG_JOURNAL_MIN_RECORDS),
				  "appends", (json_int_t)st->appends, "compactions",
				  (json_int_t)st->compactions, "compaction_errors",
				  (json_int_t)st->compaction_errors, "torn_records", st->torn,
				  "warning", st->warning, "write_errors",
				  (json_int_t)st->write_errors, "sync_errors",
				  (json_int_t)st->sync_errors, "rewrites",
				  (json_int_t)st->rewrites));
	return j;
}

int reg_ctl_reload_prepare(struct reg_ctl *rc, const char *config_path, struct reg_reload *rl, struct reg_err *err)
{
	int r;

	memset(rl, 0, sizeof(*rl));
	rl->next = reg_new(NULL, NULL);
	if (!rl->next) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	if (config_path && (r = reg_config_load_file(rl->next, config_path, &rl->cfg, err)) < 0)
		goto fail;
	if ((r = reg_store_copy_runtime(rl->next, rc->reg, &rl->shadowed, err)) < 0)
		goto fail;
	return 0;
fail:
	reg_ctl_reload_abort(rl);
	return r;
}

int reg_ctl_reload_commit(struct reg_ctl *rc, struct reg_reload *rl, struct reg_err *err)
{
	reg_set_policy(rc->reg, rl->cfg.has_policy ? rl->cfg.policy : REG_POLICY_OFF);
	reg_replace(rc->reg, rl->next);
	rl->next = NULL;
	rc->shadowed += rl->shadowed;
	return reg_ctl_save(rc, err);
}

void reg_ctl_reload_abort(struct reg_reload *rl)
{
	reg_free(rl->next);
	rl->next = NULL;
}

/* ---- helpers ---- */

static struct reg_ctl *need(void *ctx, struct ctl_error *err)
{
	struct reg_ctl *rc = ctx;

	if (!rc || !rc->reg)
		ctl_fail(err, ENOTSUP, "the port-profile registry is not enabled in this daemon");
	return rc && rc->reg ? rc : NULL;
}

/* After a successful change: persist it.  The change stays in memory
 * when saving fails, and the caller is told so. */
static json_t *saved(struct reg_ctl *rc, json_t *result, struct ctl_error *err)
{
	struct reg_err e;

	if (reg_ctl_save(rc, &e) < 0) {
		json_decref(result);
		return ctl_fail(err, EIO, "applied but not saved: %s", e.msg);
	}
	return result ? result : json_null();
}

static const char *key_arg(json_t *args, const char *key, struct ctl_error *err)
{
	const char *s = json_string_value(json_object_get(args, key));

	if (!s)
		ctl_fail(err, EINVAL, "argument \"%s\" (a string) is required", key);
	return s;
}

/* Run-time changes may not claim another origin. */
static int runtime_only(json_t *args, struct ctl_error *err)
{
	json_t *o = json_object_get(args, "origin");

	if (o && !(json_is_string(o) && !strcmp(json_string_value(o), "runtime"))) {
		ctl_fail(err, EINVAL, "\"origin\" cannot be set through the control socket");
		return -1;
	}
	return 0;
}

/* add and set: the entry from the arguments, applied, answered as it now is. */
static json_t *change(void *ctx, json_t *args, struct ctl_error *err, enum reg_kind kind, bool set)
{
	const struct reg_kind_ops *k = &reg_kinds[kind];
	struct reg_ctl *rc = need(ctx, err);
	union reg_entry ent;
	struct reg_err e;
	int r;

	if (!rc || runtime_only(args, err) < 0)
		return NULL;
	if (k->from_json(args, &ent, &e) < 0)
		return ctl_fail(err, EINVAL, "%s", e.msg);
	if ((r = (set ? k->set : k->add)(rc->reg, &ent, &e)) < 0)
		return ctl_fail(err, -r, "%s", e.msg);
	return saved(rc,
		     k->to_json(k->get(rc->reg, json_string_value(json_object_get(args, k->key)))),
		     err);
}

static json_t *del(void *ctx, json_t *args, struct ctl_error *err, enum reg_kind kind)
{
	const struct reg_kind_ops *k = &reg_kinds[kind];
	struct reg_ctl *rc = need(ctx, err);
	const char *key;
	struct reg_err e;
	int r;

	if (!rc || !(key = key_arg(args, k->key, err)))
		return NULL;
	if ((r = k->del(rc->reg, key, &e)) < 0)
		return ctl_fail(err, -r, "%s", e.msg);
	return saved(rc, json_null(), err);
}

/* Without the key: every entry (array); with it: that one or ENOENT. */
static json_t *show(void *ctx, json_t *args, struct ctl_error *err, enum reg_kind kind)
{
	const struct reg_kind_ops *k = &reg_kinds[kind];
	struct reg_ctl *rc = need(ctx, err);
	const char *key;
	const void *e;
	json_t *arr;

	if (!rc)
		return NULL;
	key = json_string_value(json_object_get(args, k->key));
	if (!key)
		return k->list_json(rc->reg, true);
	if (!(e = k->get(rc->reg, key)))
		return ctl_fail(err, ENOENT, "%s '%s' does not exist", k->name, key);
	arr = json_array();
	json_array_append_new(arr, k->to_json(e));
	return arr;
}

/* ---- profiles ---- */

json_t *reg_ctl_profile_add(void *ctx, json_t *args, struct ctl_error *err)
{
	return change(ctx, args, err, REG_KIND_PROFILE, false);
}

json_t *reg_ctl_profile_set(void *ctx, json_t *args, struct ctl_error *err)
{
	return change(ctx, args, err, REG_KIND_PROFILE, true);
}

json_t *reg_ctl_profile_del(void *ctx, json_t *args, struct ctl_error *err)
{
	return del(ctx, args, err, REG_KIND_PROFILE);
}

json_t *reg_ctl_profile_show(void *ctx, json_t *args, struct ctl_error *err)
{
	return show(ctx, args, err, REG_KIND_PROFILE);
}

/* ---- host uplinks (physnet mapping) ---- */

json_t *reg_ctl_physnet_add(void *ctx, json_t *args, struct ctl_error *err)
{
	return change(ctx, args, err, REG_KIND_UPLINK, false);
}

json_t *reg_ctl_physnet_set(void *ctx, json_t *args, struct ctl_error *err)
{
	return change(ctx, args, err, REG_KIND_UPLINK, true);
}

json_t *reg_ctl_physnet_del(void *ctx, json_t *args, struct ctl_error *err)
{
	return del(ctx, args, err, REG_KIND_UPLINK);
}

json_t *reg_ctl_physnet_show(void *ctx, json_t *args, struct ctl_error *err)
{
	return show(ctx, args, err, REG_KIND_UPLINK);
}

/* ---- networks ---- */

json_t *reg_ctl_network_add(void *ctx, json_t *args, struct ctl_error *err)
{
	return change(ctx, args, err, REG_KIND_NETWORK, false);
}

json_t *reg_ctl_network_set(void *ctx, json_t *args, struct ctl_error *err)
{
	return change(ctx, args, err, REG_KIND_NETWORK, true);
}

json_t *reg_ctl_network_del(void *ctx, json_t *args, struct ctl_error *err)
{
	return del(ctx, args, err, REG_KIND_NETWORK);
}

json_t *reg_ctl_network_show(void *ctx, json_t *args, struct ctl_error *err)
{
	return show(ctx, args, err, REG_KIND_NETWORK);
}

/* ---- ports ---- */

json_t *reg_ctl_port_add(void *ctx, json_t *args, struct ctl_error *err)
{
	return change(ctx, args, err, REG_KIND_PORT, false);
}

json_t *reg_ctl_port_del(void *ctx, json_t *args, struct ctl_error *err)
{
	return del(ctx, args, err, REG_KIND_PORT);
}

json_t *reg_ctl_port_show(void *ctx, json_t *args, struct ctl_error *err)
{
	return show(ctx, args, err, REG_KIND_PORT);
}

/* ---- attachments and bindings ---- */

json_t *reg_ctl_attach(void *ctx, json_t *args, struct ctl_error *err)
{
	return change(ctx, args, err, REG_KIND_ATTACHMENT, false);
}

json_t *reg_ctl_detach(void *ctx, json_t *args, struct ctl_error *err)
{
	return del(ctx, args, err, REG_KIND_ATTACHMENT);
}

json_t *reg_ctl_attach_show(void *ctx, json_t *args, struct ctl_error *err)
{
	return show(ctx, args, err, REG_KIND_ATTACHMENT);
}

json_t *reg_ctl_bind(void *ctx, json_t *args, struct ctl_error *err)
{
	return change(ctx, args, err, REG_KIND_BINDING, false);
}

json_t *reg_ctl_unbind(void *ctx, json_t *args, struct ctl_error *err)
{
	return del(ctx, args, err, REG_KIND_BINDING);
}

json_t *reg_ctl_bind_show(void *ctx, json_t *args, struct ctl_error *err)
{
	return show(ctx, args, err, REG_KIND_BINDING);
}

/* ---- resolve, export, the whole registry ---- */

/* Where the last 802.1Qbh request stands and what the adapter answered;
 * state "failed" is an error.  retry: what follows a failure (none,
 * waiting, permanent, off), retries: sent again so far, next_retry_ms: -1
 * when none waits. */
static json_t *qbh_json(const char *id, const struct qbh_result *q)
{
	return json_pack("{s:s, s:s, s:i, s:s?, s:i, s:s, s:I, s:I}", "state",
			 qbh_state_name(q->state), "result", q->msg, "errno", -q->error, "response",
			 q->has_response ? qbh_response_name(q->response) : NULL, "polls",
			 (int)q->polls, "retry", qbh_retry_name(q->retry), "retries",
			 (json_int_t)q->retries, "next_retry_ms", (json_int_t)qbh_retry_in_ms(id));
}

json_t *reg_ctl_resolve(void *ctx, json_t *args, struct ctl_error *err)
{
	struct reg_ctl *rc = need(ctx, err);
	struct reg_resolution r;
	struct reg_err e;
	const char *id;
	json_t *j;
	int rr;

	if (!rc || !(id = key_arg(args, "iface_id", err)))
		return NULL;
	if ((rr = reg_resolve(rc->reg, id, &r, &e)) < 0)
		return ctl_fail(err, -rr, "%s", e.msg);
	j = reg_resolution_to_json(&r);
	const struct qbh_result *q = qbh_last(id);
	if (j && q)
		json_object_set_new(j, "qbh", qbh_json(id, q));
	if (json_is_true(json_object_get(args, "xml"))) {
		char *xml = reg_resolution_xml(&r);

		if (!xml) {
			json_decref(j);
			return ctl_fail(err, ENOMEM, "out of memory");
		}
		json_object_set_new(j, "xml", json_string(xml));
		free(xml);
	}
	return j;
}

json_t *reg_ctl_export(void *ctx, json_t *args, struct ctl_error *err)
{
	struct reg_ctl *rc = need(ctx, err);
	const char *fmt, *name;
	struct reg_err e;
	char *xml;
	json_t *j;

	if (!rc || !(fmt = key_arg(args, "format", err)) || !(name = key_arg(args, "name", err)))
		return NULL;
	if (strcmp(fmt, "libvirt-network"))
		return ctl_fail(err, EINVAL, "export format '%s' unknown (libvirt-network)", fmt);
	if (!(xml = reg_export_libvirt_network(rc->reg, name, &e)))
		return ctl_fail(err, ENOENT, "%s", e.msg);
	j = json_pack("{s:s, s:s, s:s}", "format", fmt, "name", name, "xml", xml);
	free(xml);
	return j;
}

json_t *reg_ctl_registry_show(void *ctx, json_t *args, struct ctl_error *err)
{
	struct reg_ctl *rc = need(ctx, err);
	const struct reg_vsi **v;
	json_t *j, *arr;
	size_t n;

	(void)args;
	if (!rc)
		return NULL;
	j = reg_to_json(rc->reg, true);
	arr = json_array();
	v = reg_vsis(rc->reg, &n);
	for (size_t i = 0; i < n; i++) {
		json_t *vj = reg_vsi_to_json(v[i]);
		const struct qbh_result *q =
			v[i]->type == REG_VPORT_QBH ? qbh_last(v[i]->iface_id) : NULL;

		if (vj && q)
			json_object_set_new(vj, "qbh", qbh_json(v[i]->iface_id, q));
		json_array_append_new(arr, vj);
	}
	free(v);
	json_object_set_new(j, "vsis", arr);
	json_object_set_new(j, "status", reg_ctl_status_json(rc));
	return j;
}

json_t *reg_ctl_registry_policy(void *ctx, json_t *args, struct ctl_error *err)
{
	struct reg_ctl *rc = need(ctx, err);
	enum reg_policy p;
	const char *s;

	if (!rc || !(s = key_arg(args, "policy", err)))
		return NULL;
	if (reg_policy_parse(s, &p) < 0)
		return ctl_fail(err, EINVAL, "policy '%s' is not off, learn or enforce", s);
	reg_set_policy(rc->reg, p);
	return json_pack("{s:s}", "policy", reg_policy_name(p));
}

/* Served with the struct reg_ctl as ctx (ctl_server_add_cmds). */
const struct ctl_cmd reg_ctl_cmds[] = {
	{ "profile.add", reg_ctl_profile_add,
	  "add a port profile; args: name, type, mgrid, typeid, typeidver, filter_fmt, profileid, "
	  "vlan" },
	{ "profile.set", reg_ctl_profile_set,
	  "change a port profile (VSIs using it are re-associated); args as profile.add" },
	{ "profile.del", reg_ctl_profile_del, "remove an unused port profile; args: name" },
	{ "profile.show", reg_ctl_profile_show, "port profiles; args: name" },
	{ "physnet.add", reg_ctl_physnet_add,
	  "map a host uplink to a physical network; args: dev, physnet, mode" },
	{ "physnet.set", reg_ctl_physnet_set, "change a host uplink mapping; args as physnet.add" },
	{ "physnet.del", reg_ctl_physnet_del,
	  "remove a host uplink mapping without bindings; args: dev" },
	{ "physnet.show", reg_ctl_physnet_show,
	  "host uplinks and their physical networks; args: dev" },
	{ "network.add", reg_ctl_network_add,
	  "add a network; args: name, uuid, physnet, profile, vlan" },
	{ "network.set", reg_ctl_network_set,
	  "change a network (its VSIs are re-associated); args as network.add" },
	{ "network.del", reg_ctl_network_del,
	  "remove a network without ports or attachments; args: name" },
	{ "network.show", reg_ctl_network_show, "networks; args: name" },
	{ "port.add", reg_ctl_port_add, "add a port on a network; args: uuid, network" },
	{ "port.del", reg_ctl_port_del, "remove an unused port; args: uuid" },
	{ "port.show", reg_ctl_port_show, "ports; args: uuid" },
	{ "attach", reg_ctl_attach,
	  "attach (or move) an interface-id to a network; args: iface_id, network, port" },
	{ "detach", reg_ctl_detach, "detach an interface-id (de-associates it); args: iface_id" },
	{ "attach.show", reg_ctl_attach_show, "attachments; args: iface_id" },
	{ "bind", reg_ctl_bind,
	  "edge binding of an interface-id; args: iface_id, dev, mac, uplink" },
	{ "unbind", reg_ctl_unbind, "remove an edge binding (de-associates it); args: iface_id" },
	{ "bind.show", reg_ctl_bind_show, "edge bindings; args: iface_id" },
	{ "resolve", reg_ctl_resolve,
	  "source dev, mode and virtualport for an interface-id; args: iface_id, xml" },
	{ "export", reg_ctl_export, "libvirt XML; args: format (libvirt-network), name" },
	{ "registry.show", reg_ctl_registry_show,
	  "the whole registry, desired VSIs, policy, state file" },
	{ "registry.policy", reg_ctl_registry_policy,
	  "policy for libvirt requests; args: policy (off|learn|enforce)" },
	{ NULL, NULL, NULL },
};
