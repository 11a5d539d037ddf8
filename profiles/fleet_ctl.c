/* Registry commands against the fleet store (see fleet_ctl.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiles/fleet_ctl.h"
#include "profiles/reg_ctl.h"
#include "profiles/reg_json.h"
#include "profiles/reg_kind.h"

#define FLEET_CTL_MAX_CHANGES 16

struct change {
	enum reg_kind kind;
	char key[REG_NAME_MAX];
	json_t *entry; /* NULL: removed */
};

struct fleet_ctl {
	struct reg *reg;
	struct fleet_sync *fs;
	fleet_pump_fn pump;
	void *pump_ctx;
	char host[REG_NAME_MAX];
	struct change ch[FLEET_CTL_MAX_CHANGES];
	size_t nch;
	bool overflow;
};

struct wait_write {
	bool done;
	int err;
	char msg[512];
};

static void no_vsi(void *ctx, const struct reg_vsi *old, const struct reg_vsi *cur)
{
	(void)ctx;
	(void)old;
	(void)cur;
}

static const struct reg_ops no_ops = { .vsi_desired = no_vsi };

static void note_change(void *ctx, enum reg_kind kind, const char *key, const void *entry)
{
	struct fleet_ctl *fc = ctx;
	const struct reg_kind_ops *k = reg_kind_of(kind);
	struct change *c;

	if (!k || fc->nch == FLEET_CTL_MAX_CHANGES) {
		fc->overflow = true;
		return;
	}
	c = &fc->ch[fc->nch++];
	c->kind = kind;
	snprintf(c->key, sizeof(c->key), "%s", key);
	c->entry = entry ? k->to_json(entry) : NULL;
}

static void clear_changes(struct fleet_ctl *fc)
{
	for (size_t i = 0; i < fc->nch; i++)
		json_decref(fc->ch[i].entry);
	fc->nch = 0;
	fc->overflow = false;
}

struct fleet_ctl *fleet_ctl_open(const struct etcd_ops *ops, void *transport, const char *prefix,
				 const char *host, fleet_pump_fn pump, void *pump_ctx,
				 struct reg_err *err)
{
	struct fleet_ctl *fc = calloc(1, sizeof(*fc));

	if (!fc) {
		reg_fail(err, -ENOMEM, "out of memory");
		return NULL;
	}
	fc->pump = pump;
	fc->pump_ctx = pump_ctx;
	snprintf(fc->host, sizeof(fc->host), "%s", host ? host : "");
	fc->reg = reg_new(&no_ops, NULL);
	fc->fs = fc->reg ? fleet_sync_new(fc->reg, ops, transport, prefix, host, err) : NULL;
	if (!fc->fs)
		goto fail;
	fleet_sync_start(fc->fs);
	while (fleet_sync_stats(fc->fs)->state == FLEET_READING)
		if (fc->pump(fc->pump_ctx) < 0) {
			reg_fail(err, -ETIMEDOUT, "no answer from etcd in time");
			goto fail;
		}
	if (!fleet_sync_stats(fc->fs)->connected) {
		reg_fail(err, -ENOTCONN, "%s", fleet_sync_stats(fc->fs)->last_error);
		goto fail;
	}
	return fc;
fail:
	fleet_ctl_close(fc);
	return NULL;
}

void fleet_ctl_close(struct fleet_ctl *fc)
{
	if (!fc)
		return;
	clear_changes(fc);
	fleet_sync_free(fc->fs);
	reg_free(fc->reg);
	free(fc);
}

static void on_written(void *ctx, int err, const char *msg)
{
	struct wait_write *w = ctx;

	w->done = true;
	w->err = err;
	snprintf(w->msg, sizeof(w->msg), "%s", msg ? msg : "");
}

/* One change to the store, waiting for its answer. */
static int write_change(struct fleet_ctl *fc, const struct change *c, struct reg_err *err)
{
	const struct reg_kind_ops *k = reg_kind_of(c->kind);
	enum fleet_kind fk = fleet_kind_of_reg(c->kind);
	struct wait_write w = { 0 };
	union reg_entry e;
	int rc;

	if (fleet_kind_per_host(fk) && !fc->host[0])
		return reg_fail(err, -EINVAL, "a %s belongs to a host: name one", k->name);
	if (c->entry) {
		if (k->from_json(c->entry, &e, err))
			return -EINVAL;
		rc = fleet_sync_put(fc->fs, fk, fc->host, &e, false, on_written, &w, err);
	} else {
		rc = fleet_sync_del(fc->fs, fk, fc->host, c->key, on_written, &w, err);
	}
	if (rc)
		return rc;
	while (!w.done)
		if (fc->pump(fc->pump_ctx) < 0)
			return reg_fail(err, -ETIMEDOUT, "no answer from etcd in time for %s %s",
					k->name, c->key);
	if (w.err)
		return reg_fail(err, w.err, "%s", w.msg);
	return 0;
}

static const struct ctl_cmd *find_cmd(const char *cmd)
{
	for (const struct ctl_cmd *c = reg_ctl_cmds; c->name; c++)
		if (!strcmp(c->name, cmd))
			return c;
	return NULL;
}

json_t *fleet_ctl_call(struct fleet_ctl *fc, const char *cmd, json_t *args, struct reg_err *err)
{
	const struct ctl_cmd *c = find_cmd(cmd);
	struct reg_ctl rc = { .reg = fc->reg, .lock_fd = -1 };
	struct ctl_error cerr = { 0 };
	json_t *res;

	if (!c) {
		reg_fail(err, -EOPNOTSUPP,
			 "\"%s\" is not a registry command the fleet store serves", cmd);
		return NULL;
	}
	clear_changes(fc);
	reg_set_change_hook(fc->reg, note_change, fc);
	res = c->fn(&rc, args, &cerr);
	reg_set_change_hook(fc->reg, NULL, NULL);
	if (!res) {
		reg_fail(err, cerr.errnum ? -abs(cerr.errnum) : -EINVAL, "%s",
			 cerr.msg[0] ? cerr.msg : "failed");
		return NULL;
	}
	if (fc->overflow) {
		json_decref(res);
		reg_fail(err, -E2BIG, "%s changes more entries than one command may", cmd);
		return NULL;
	}
	for (size_t i = 0; i < fc->nch; i++)
		if (write_change(fc, &fc->ch[i], err)) {
			json_decref(res);
			return NULL;
		}
	clear_changes(fc);
	return res;
}

struct status_walk {
	const char *id;
	json_t *bindings, *status;
};

static void status_one(void *ctx, const struct fleet_key *k, const char *value)
{
	struct status_walk *s = ctx;
	json_t *j;

	if (strcmp(k->id, s->id) || (k->kind != FLEET_BINDING && k->kind != FLEET_STATUS))
		return;
	j = json_loads(value, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return;
	}
	if (k->kind == FLEET_BINDING) {
		json_object_set_new(j, "host", json_string(k->host));
		json_array_append_new(s->bindings, j);
	} else {
		json_array_append_new(s->status, j);
	}
}

json_t *fleet_ctl_status(struct fleet_ctl *fc, const char *iface_id, struct reg_err *err)
{
	char id[REG_UUID_STRLEN + 1];
	const struct reg_attachment *a;
	struct status_walk s;

	if (reg_uuid_canon(iface_id, id) < 0) {
		reg_fail(err, -EINVAL, "interface-id '%s' is not a UUID", iface_id);
		return NULL;
	}
	s = (struct status_walk){ .id = id, .bindings = json_array(), .status = json_array() };
	fleet_sync_each(fc->fs, status_one, &s);
	a = reg_attachment_get(fc->reg, id);
	return json_pack("{s:s, s:o, s:o, s:o}", "iface_id", id, "attachment",
			 a ? reg_attachment_to_json(a) : json_null(), "bindings", s.bindings,
			 "status", s.status);
}
