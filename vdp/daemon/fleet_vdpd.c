/* vdpd's registry on the fleet store (see fleet_vdpd.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "vdp/daemon/fleet_vdpd.h"
#include "profiles/fleet_config.h"
#include "profiles/fleet_lease.h"
#include "profiles/fleet_sync.h"
#include "profiles/reg_ctl.h"
#include "profiles/reg_kind.h"
#include "profiles/regmap.h"
#include "vdp/base/log.h"
#include "vdp/ctl/ctl.h"
#include "vdp/engine/uplink.h"
#include "vdp/engine/vdp_station.h"
#include "vdp/io/etcd_curl.h"
#include "vdp/daemon/vdpd.h"

#define FLEET_LEASE_TTL 10 /* s: a dead host's status is gone this long after */
#define FLEET_STATUS_PER_TICK 256 /* status writes in flight at most */
#define FLEET_MAX_CHANGES 16

struct change {
	enum reg_kind kind;
	char key[REG_NAME_MAX];
	json_t *entry;
};

/* What was last written to this host's status key of one interface. */
struct told {
	char iface_id[REG_UUID_STRLEN + 1];
	char text[256]; /* state|vlan|reason|uplink */
	bool seen; /* still desired at this tick */
	bool in_flight;
};

struct fleet_vdpd {
	struct fleet_config cfg;
	struct etcd_curl *curl;
	struct fleet_sync *fs;
	struct event *tick;
	unsigned ticks;
	struct fleet_lease *lease;
	uint64_t writes, write_errors, status_writes;
	struct change ch[FLEET_MAX_CHANGES];
	size_t nch;
	bool overflow;
	struct reg_map told; /* iface_id -> struct told */
	unsigned in_flight;
	char endpoints[600];
};

/* ---- status of each bound interface, under the host's lease ---- */

/* A new lease: the status keys are written under it.  None (0): they
 * went with the old one, so every one is written again once there is. */
static void on_lease(void *ctx, int64_t id, const char *why)
{
	struct fleet_vdpd *f = ctx;

	(void)why;
	fleet_sync_set_lease(f->fs, id);
	if (id)
		return;
	for (size_t i = 0; i < f->told.nb; i++)
		for (struct reg_map_ent *e = f->told.b[i]; e; e = e->next)
			((struct told *)e->val)->text[0] = 0;
}

/* What the station says of v: associated, pending, failed or
 * deassociated, the VLAN the bridge answered and why. */
static void station_view(struct vdpd *d, const struct reg_vsi *v, struct fleet_status *s)
{
	struct vdpd_uplink *du = vdpd_find_uplink(d, v->uplink);
	struct vsi *x = du && du->u
		? vdp_station_find(uplink_station(du->u), VDP_VSIID_UUID, v->instance)
		: NULL;

	snprintf(s->state, sizeof(s->state), "pending");
	s->reason[0] = 0;
	s->vlan = 0;
	if (v->type != REG_VPORT_QBG) {
		snprintf(s->reason, sizeof(s->reason), "802.1Qbh: asked of the NIC driver");
		return;
	}
	if (!x) {
		snprintf(s->reason, sizeof(s->reason),
			 du && du->u ? "not requested yet" : "uplink not running");
		return;
	}
	if (x->n_filters)
		s->vlan = vdp_vid(x->filters[0].f.ps_pcp_vid);
	if (x->status & VDP_STATUS_REASON)
		snprintf(s->reason, sizeof(s->reason), "%s",
			 vdp_reason_name(x->status & VDP_STATUS_REASON));
	if (x->state == VDP_ST_END) {
		snprintf(s->state, sizeof(s->state),
			 x->status & VDP_STATUS_REASON ? "failed" : "deassociated");
		if (!s->reason[0])
			snprintf(s->reason, sizeof(s->reason), "%s",
				 vdp_end_reason_name(x->reason));
	} else if (x->mode_cur == VDP_MODE_ASSOC) {
		snprintf(s->state, sizeof(s->state), "associated");
	}
}

static void on_status_written(void *ctx, int err, const char *msg)
{
	struct told *t = ctx;

	t->in_flight = false;
	if (err) {
		t->text[0] = 0; /* written again next tick */
		log_debug("fleet", "status of %s not written: %s", t->iface_id, msg ? msg : "");
	}
}

/* Interfaces no longer desired here: their status keys go (a host that
 * keeps running must not leave "associated" behind). */
static void forget_status(struct fleet_vdpd *f)
{
	size_t n;
	void **v = reg_map_sorted(&f->told, &n);

	for (size_t i = 0; i < n; i++) {
		struct told *t = v[i];
		struct reg_err err;
		int rc;

		if (t->seen || t->in_flight)
			continue;
		if (t->text[0]) {
			rc = fleet_sync_del(f->fs, FLEET_STATUS, NULL, t->iface_id, NULL, NULL,
					    &err);
			if (rc < 0 && rc != -ENOENT)
				continue; /* again next tick */
		}
		reg_map_del(&f->told, t->iface_id);
		free(t);
	}
	free(v);
}

static void report_status(struct vdpd *d, struct fleet_vdpd *f)
{
	const struct reg_vsi **v;
	size_t n, i;

	if (!fleet_lease_id(f->lease) || !fleet_sync_stats(f->fs)->connected)
		return;
	for (size_t b = 0; b < f->told.nb; b++)
		for (struct reg_map_ent *e = f->told.b[b]; e; e = e->next)
			((struct told *)e->val)->seen = false;
	v = reg_vsis(d->reg.reg, &n);
	for (i = 0; i < n && f->in_flight < FLEET_STATUS_PER_TICK; i++) {
		struct fleet_status s = { .time = (int64_t)time(NULL) };
		struct told *t = reg_map_get(&f->told, v[i]->iface_id);
		char text[sizeof(t->text)];

		if (!t) {
			t = calloc(1, sizeof(*t));
			if (!t)
				break;
			snprintf(t->iface_id, sizeof(t->iface_id), "%s", v[i]->iface_id);
			if (reg_map_put(&f->told, t->iface_id, t)) {
				free(t);
				break;
			}
		}
		t->seen = true;
		if (t->in_flight)
			continue;
		station_view(d, v[i], &s);
		snprintf(text, sizeof(text), "%s|%u|%s|%s", s.state, s.vlan, s.reason,
			 v[i]->uplink);
		if (!strcmp(text, t->text))
			continue;
		snprintf(s.iface_id, sizeof(s.iface_id), "%s", v[i]->iface_id);
		snprintf(s.host, sizeof(s.host), "%s", f->cfg.host);
		snprintf(s.uplink, sizeof(s.uplink), "%s", v[i]->uplink);
		if (fleet_sync_put(f->fs, FLEET_STATUS, NULL, &s, false, on_status_written, t,
				   NULL) == 0) {
			snprintf(t->text, sizeof(t->text), "%s", text);
			t->in_flight = true;
			f->in_flight++;
			f->status_writes++;
		}
	}
	free(v);
	if (i == n)
		forget_status(f);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct vdpd *d = arg;
	struct fleet_vdpd *f = d->fleet;
	struct reg_err err;

	(void)fd;
	(void)what;
	f->ticks++;
	fleet_sync_tick(f->fs);
	/* the state file is the cache a restart starts from */
	if (reg_ctl_save(&d->reg, &err) < 0)
		log_warn("fleet", "registry cache not saved: %s", err.msg);
	fleet_lease_tick(f->lease, fleet_sync_stats(f->fs)->connected);
	f->in_flight = 0;
	for (size_t i = 0; i < f->told.nb; i++)
		for (struct reg_map_ent *e = f->told.b[i]; e; e = e->next)
			f->in_flight += ((struct told *)e->val)->in_flight;
	report_status(d, f);
}

/* ---- control-socket writes go to etcd ---- */

static void note_change(void *ctx, enum reg_kind kind, const char *key, const void *entry)
{
	struct vdpd *d = ctx;
	struct fleet_vdpd *f = d->fleet;
	const struct reg_kind_ops *k = reg_kind_of(kind);

	if (d->reg.state_path[0])
		reg_store_note(&d->reg.store, kind, key, entry);
	if (!k || f->nch == FLEET_MAX_CHANGES) {
		f->overflow = true;
		return;
	}
	f->ch[f->nch].kind = kind;
	snprintf(f->ch[f->nch].key, sizeof(f->ch[0].key), "%s", key);
	f->ch[f->nch].entry = entry ? k->to_json(entry) : NULL;
	f->nch++;
}

static void on_written(void *ctx, int err, const char *msg)
{
	struct vdpd *d = ctx;

	if (!err)
		return;
	d->fleet->write_errors++;
	/* the store did not take it: back to what the store holds */
	log_warn("fleet", "registry change not stored, undone: %s", msg);
	fleet_sync_rebuild(d->fleet->fs);
}

static int send_change(struct vdpd *d, const struct change *c, struct reg_err *err)
{
	const struct reg_kind_ops *k = reg_kind_of(c->kind);
	enum fleet_kind fk = fleet_kind_of_reg(c->kind);
	union reg_entry e;

	d->fleet->writes++;
	if (!c->entry)
		return fleet_sync_del(d->fleet->fs, fk, NULL, c->key, on_written, d, err);
	if (k->from_json(c->entry, &e, err))
		return -EINVAL;
	return fleet_sync_put(d->fleet->fs, fk, NULL, &e, false, on_written, d, err);
}

/* A registry command with the etcd backend: refused while etcd is not
 * reachable (nothing changes), else run here (same validation, the VSIs
 * follow at once) and each changed entry sent to etcd in a transaction;
 * one the store refuses is undone. */
static json_t *fleet_write(struct vdpd *d, ctl_handler_fn fn, json_t *args, struct ctl_error *cerr)
{
	struct fleet_vdpd *f = d->fleet;
	const struct fleet_stats *st = fleet_sync_stats(f->fs);
	struct reg_err err = { "" };
	json_t *res;

	if (!st->connected)
		return ctl_fail(cerr, ENOTCONN,
				"registry writes go to the fleet store (etcd %s), unreachable: %s",
				f->endpoints, st->last_error[0] ? st->last_error : "not read yet");
	f->nch = 0;
	f->overflow = false;
	reg_set_change_hook(d->reg.reg, note_change, d);
	res = fn(&d->reg, args, cerr);
	reg_set_change_hook(d->reg.reg, d->reg.state_path[0] ? reg_store_note : NULL,
			    d->reg.state_path[0] ? &d->reg.store : NULL);
	for (size_t i = 0; i < f->nch; i++) {
		if (res && !f->overflow && send_change(d, &f->ch[i], &err) < 0) {
			log_warn("fleet", "registry change not sent, undone: %s", err.msg);
			fleet_sync_rebuild(f->fs);
			json_decref(res);
			res = ctl_fail(cerr, ENOTCONN, "%s", err.msg);
		}
		json_decref(f->ch[i].entry);
	}
	f->nch = 0;
	return res;
}

#define FLEET_WRITE(fn) \
	static json_t *w_##fn(void *ctx, json_t *args, struct ctl_error *err) \
	{ \
		return fleet_write(ctx, reg_ctl_##fn, args, err); \
	}
#define FLEET_READ(fn) \
	static json_t *r_##fn(void *ctx, json_t *args, struct ctl_error *err) \
	{ \
		return reg_ctl_##fn(&((struct vdpd *)ctx)->reg, args, err); \
	}

FLEET_WRITE(profile_add)
FLEET_WRITE(profile_set)
FLEET_WRITE(profile_del)
FLEET_WRITE(physnet_add)
FLEET_WRITE(physnet_set)
FLEET_WRITE(physnet_del)
FLEET_WRITE(network_add)
FLEET_WRITE(network_set)
FLEET_WRITE(network_del)
FLEET_WRITE(port_add)
FLEET_WRITE(port_del)
FLEET_WRITE(attach)
FLEET_WRITE(detach)
FLEET_WRITE(bind)
FLEET_WRITE(unbind)
FLEET_READ(profile_show)
FLEET_READ(physnet_show)
FLEET_READ(network_show)
FLEET_READ(port_show)
FLEET_READ(attach_show)
FLEET_READ(bind_show)
FLEET_READ(resolve)
FLEET_READ(export)
FLEET_READ(registry_policy)

static json_t *r_registry_show(void *ctx, json_t *args, struct ctl_error *err)
{
	json_t *res = reg_ctl_registry_show(&((struct vdpd *)ctx)->reg, args, err);

	if (res)
		json_object_set_new(res, "fleet", fleet_vdpd_json(ctx));
	return res;
}

static const struct {
	ctl_handler_fn orig, wrap;
} wraps[] = {
	{ reg_ctl_profile_add, w_profile_add },
	{ reg_ctl_profile_set, w_profile_set },
	{ reg_ctl_profile_del, w_profile_del },
	{ reg_ctl_physnet_add, w_physnet_add },
	{ reg_ctl_physnet_set, w_physnet_set },
	{ reg_ctl_physnet_del, w_physnet_del },
	{ reg_ctl_network_add, w_network_add },
	{ reg_ctl_network_set, w_network_set },
	{ reg_ctl_network_del, w_network_del },
	{ reg_ctl_port_add, w_port_add },
	{ reg_ctl_port_del, w_port_del },
	{ reg_ctl_attach, w_attach },
	{ reg_ctl_detach, w_detach },
	{ reg_ctl_bind, w_bind },
	{ reg_ctl_unbind, w_unbind },
	{ reg_ctl_profile_show, r_profile_show },
	{ reg_ctl_physnet_show, r_physnet_show },
	{ reg_ctl_network_show, r_network_show },
	{ reg_ctl_port_show, r_port_show },
	{ reg_ctl_attach_show, r_attach_show },
	{ reg_ctl_bind_show, r_bind_show },
	{ reg_ctl_resolve, r_resolve },
	{ reg_ctl_export, r_export },
	{ reg_ctl_registry_show, r_registry_show },
	{ reg_ctl_registry_policy, r_registry_policy },
};

#define FLEET_MAX_CMDS 40
static struct ctl_cmd fleet_cmds[FLEET_MAX_CMDS];

/* reg_ctl_cmds with each handler replaced by its etcd-backend wrapper;
 * a command without one is not served (refused loudly, at start). */
static int build_cmds(void)
{
	size_t n = 0;

	for (const struct ctl_cmd *c = reg_ctl_cmds; c->name; c++) {
		size_t i;

		for (i = 0; i < sizeof(wraps) / sizeof(wraps[0]) && wraps[i].orig != c->fn; i++)
			;
		if (i == sizeof(wraps) / sizeof(wraps[0]) || n + 1 >= FLEET_MAX_CMDS) {
			log_err("fleet", "registry command %s has no etcd backend", c->name);
			return -ENOSYS;
		}
		fleet_cmds[n] = *c;
		fleet_cmds[n++].fn = wraps[i].wrap;
	}
	fleet_cmds[n] = (struct ctl_cmd){ NULL, NULL, NULL };
	return 0;
}

int fleet_vdpd_add_cmds(struct vdpd *d)
{
	const char *path =
		d->opts.config && access(d->opts.config, R_OK) == 0 ? d->opts.config : NULL;
	struct fleet_config cfg;
	struct reg_err err = { "" };
	int rc;

	rc = path ? fleet_config_load_file(path, &cfg, &err) : fleet_config_parse(NULL, &cfg, &err);
	if (rc < 0) {
		log_err("fleet", "%s", err.msg);
		return rc;
	}
	if (!cfg.etcd)
		return ctl_server_add_cmds(d->ctl, reg_ctl_cmds, &d->reg);
	d->fleet = calloc(1, sizeof(*d->fleet));
	if (!d->fleet)
		return -ENOMEM;
	d->fleet->cfg = cfg;
	reg_map_init(&d->fleet->told);
	for (unsigned i = 0, off = 0; i < cfg.nendpoints && off < sizeof(d->fleet->endpoints); i++)
		off += (unsigned)snprintf(d->fleet->endpoints + off,
					  sizeof(d->fleet->endpoints) - off, "%s%s", i ? "," : "",
					  cfg.endpoints[i]);
	if ((rc = build_cmds()) < 0)
		return rc;
	return ctl_server_add_cmds(d->ctl, fleet_cmds, d);
}

int fleet_vdpd_start(struct vdpd *d)
{
	struct fleet_vdpd *f = d->fleet;
	struct etcd_curl_cfg cc = { 0 };
	struct timeval one = { 1, 0 };
	struct reg_err rerr = { "" };
	char err[256];

	if (!f || !d->base)
		return 0;
	for (unsigned i = 0; i < f->cfg.nendpoints; i++)
		cc.endpoints[cc.nendpoints++] = f->cfg.endpoints[i];
	cc.ca = f->cfg.ca[0] ? f->cfg.ca : NULL;
	cc.cert = f->cfg.cert[0] ? f->cfg.cert : NULL;
	cc.key = f->cfg.key[0] ? f->cfg.key : NULL;
	cc.user = f->cfg.user[0] ? f->cfg.user : NULL;
	cc.password = f->cfg.password[0] ? f->cfg.password : NULL;
	f->curl = etcd_curl_new(d->base, &cc, err, sizeof(err));
	if (!f->curl) {
		log_err("fleet", "%s", err);
		return -EINVAL;
	}
	f->fs = fleet_sync_new(d->reg.reg, &etcd_curl_ops, f->curl, f->cfg.prefix, f->cfg.host,
			       &rerr);
	f->lease = fleet_lease_new(d->clock, &etcd_curl_ops, f->curl, FLEET_LEASE_TTL, on_lease, f);
	f->tick = event_new(d->base, -1, EV_PERSIST, on_tick, d);
	if (!f->fs || !f->lease || !f->tick || event_add(f->tick, &one)) {
		log_err("fleet", "cannot follow the fleet store: %s",
			rerr.msg[0] ? rerr.msg : "out of memory");
		return -ENOMEM;
	}
	fleet_sync_start(f->fs);
	log_info("fleet", "registry on etcd %s, prefix %s, host %s (state file: the local cache)",
		 f->endpoints, f->cfg.prefix, f->cfg.host);
	return 0;
}

void fleet_vdpd_stop(struct vdpd *d)
{
	struct fleet_vdpd *f = d->fleet;
	size_t n;
	void **v;

	if (!f)
		return;
	/* nothing is de-associated or deleted: the lease ends the status */
	if (f->tick)
		event_free(f->tick);
	fleet_sync_free(f->fs);
	fleet_lease_free(f->lease);
	etcd_curl_free(f->curl);
	v = reg_map_sorted(&f->told, &n);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	reg_map_fini(&f->told);
	free(f);
	d->fleet = NULL;
}

json_t *fleet_vdpd_json(const struct vdpd *d)
{
	const struct fleet_vdpd *f = d->fleet;
	const struct fleet_stats *st;

	if (!f)
		return json_pack("{s:s}", "backend", "local");
	if (!f->fs)
		return json_pack("{s:s, s:s}", "backend", "etcd", "endpoints", f->endpoints);
	st = fleet_sync_stats(f->fs);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, "
			 "s:I, s:I, s:I}",
			 "backend", "etcd", "endpoints", f->endpoints, "prefix", f->cfg.prefix,
			 "host", f->cfg.host, "state", fleet_state_name(st->state), "connected",
			 st->connected, "revision", (json_int_t)st->revision, "last_error",
			 st->last_error, "reads", (json_int_t)st->reads, "resyncs",
			 (json_int_t)st->resyncs, "events", (json_int_t)st->events, "unapplied",
			 (json_int_t)st->unapplied, "bad_values", (json_int_t)st->bad_values,
			 "writes", (json_int_t)f->writes, "write_errors",
			 (json_int_t)f->write_errors, "status_writes", (json_int_t)f->status_writes,
			 "lease", (json_int_t)(f->lease ? fleet_lease_id(f->lease) : 0));
}
