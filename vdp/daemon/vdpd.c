/* vdpd: the wiring of the components (see vdpd.h).  The daemon is the only
 * place that knows them all: it owns the uplinks, the control server with
 * each component's command table, the link monitor, the netlink front
 * (nl_vdpd.c), the VSI intents (intents.c) and the registry with its
 * realizer (realize.c), and passes events between them.  Process life
 * (options, pid file, detach, signals) is process.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>

#include <event2/event.h>

#include "vdp/base/log.h"
#include "vdp/base/logburst.h"
#include "vdp/ctl/ctl.h"
#include "vdp/daemon/ctl_cmds.h"
#include "vdp/daemon/intents.h"
#include "vdp/daemon/nl_vdpd.h"
#include "vdp/daemon/process.h"
#include "vdp/daemon/realize.h"
#include "vdp/daemon/reconcile.h"
#include "vdp/daemon/reconcile_vdpd.h"
#include "vdp/daemon/vdpd.h"
#include "vdp/daemon/fleet_vdpd.h"
#include "vdp/io/linkmon.h"
#include "vdp/io/vclock_event.h"
#include "vdp/wire/vdp_text.h"

/* ---- status ---- */

/* What a control reply acknowledges is on disk before the reply leaves. */
static void before_reply(void *ctx)
{
	struct vdpd *d = ctx;

	intents_flush(d->intents);
}

/* STATUS= counts every VSI, so it is sent at most once a second: a burst
 * of thousands of associations must not cost a full scan per event. */
static void status_cb(evutil_socket_t fd, short what, void *arg)
{
	struct vdpd *d = arg;
	size_t assoc = 0, other = 0, up = 0;
	char msg[160];

	(void)fd;
	(void)what;
	for (size_t i = 0; i < d->n_uplinks; i++) {
		struct uplink *u = d->uplinks[i]->u;
		struct vdp_station *st = u ? uplink_station(u) : NULL;

		if (!st)
			continue;
		if (uplink_converged(u))
			up++;
		for (struct vsi *v = vdp_station_first(st); v; v = vdp_station_next(st, v)) {
			if (v->mode_cur == VDP_MODE_ASSOC)
				assoc++;
			else
				other++;
		}
	}
	snprintf(msg, sizeof(msg), "STATUS=%zu VSIs associated, %zu other, %zu of %zu uplinks negotiated",
		 assoc, other, up, d->n_uplinks);
	vdpd_sd_notify(msg);
}

void vdpd_status_now(struct vdpd *d)
{
	status_cb(-1, 0, d);
}

static void update_status(struct vdpd *d)
{
	static const struct timeval second = { 1, 0 };

	if (!d->ev_status || !getenv("NOTIFY_SOCKET") || event_pending(d->ev_status, EV_TIMEOUT, NULL))
		return;
	event_add(d->ev_status, &second);
}

/* ---- uplinks ---- */

static void up_event(void *ctx, struct uplink *u, enum uplink_event ev)
{
	struct vdpd *d = ctx;
	const struct evb_oper *o;

	switch (ev) {
	case UPLINK_EV_CONVERGED:
	case UPLINK_EV_EVB_CHANGED:
		/* the station re-sends what it has; what ended is tried now */
		vdpd_reconcile_uplink_up(d, u);
		o = uplink_oper(u);
		log_notice("evb", "%s: %s: R %u RTE %u RWD %u RKA %u%s%s", uplink_ifname(u),
			   ev == UPLINK_EV_CONVERGED ? "negotiated" : "renegotiated", o->r, o->rte,
			   o->rwd, o->rka, o->rr ? ", reflective relay" : "", o->gid ? ", group IDs" : "");
		break;
	case UPLINK_EV_LINK_UP:
	case UPLINK_EV_LINK_DOWN:
	case UPLINK_EV_NEW_PEER:
	case UPLINK_EV_PEER_GONE:
		log_info("uplink", "%s: %s", uplink_ifname(u), uplink_event_name(ev));
		break;
	}
	if (ctl_server_wants(d->ctl, "uplink")) {
		json_t *oper = json_null();

		if (uplink_converged(u)) {
			o = uplink_oper(u);
			oper = json_pack("{s:i, s:i, s:i, s:i, s:b, s:b}", "r", o->r, "rte", o->rte, "rwd", o->rwd,
					 "rka", o->rka, "rr", o->rr, "gid", o->gid);
		}
		ctl_server_publish(d->ctl, "uplink",
				   json_pack("{s:s, s:s, s:s, s:b, s:o}", "uplink", uplink_ifname(u), "event",
					     uplink_event_name(ev), "link", uplink_link_up(u) ? "up" : "down",
					     "converged", uplink_converged(u), "oper", oper));
	}
	update_status(d);
}

/* Uplink life events that are the daemon's, not the uplink's. */
static void publish_uplink(struct vdpd *d, const char *name, const char *event, const char *reason)
{
	if (ctl_server_wants(d->ctl, "uplink"))
		ctl_server_publish(d->ctl, "uplink", json_pack("{s:s, s:s, s:s}", "uplink", name, "event",
								 event, "reason", reason));
}

struct forget_req {
	struct vdpd *d;
	char ifname[IF_NAMESIZE];
	uint8_t fmt;
	uint8_t vsiid[VDP_VSIID_LEN];
};

/* A VSI whose de-association we asked for is gone for good; it is removed
 * outside the station's callback (the station may still touch it there). */
static void forget_cb(evutil_socket_t fd, short what, void *arg)
{
	struct forget_req *r = arg;
	struct vdpd_uplink *du = vdpd_find_uplink(r->d, r->ifname);
	struct vdp_station *st = du && du->u ? uplink_station(du->u) : NULL;
	struct vsi *v = st ? vdp_station_find(st, r->fmt, r->vsiid) : NULL;

	(void)fd;
	(void)what;
	if (v && v->state == VDP_ST_END && v->reason == VDP_END_DEASSOCIATED)
		vdp_station_forget(st, v);
	free(r);
}

static void up_vsi_event(void *ctx, struct uplink *u, struct vsi *v, enum vdp_event ev)
{
	struct vdpd *d = ctx;
	char id[VDP_TXT_VSIID_LEN];
	int lvl = LOG_INFO;

	if ((unsigned)ev < sizeof(d->cnt.vsi_events) / sizeof(d->cnt.vsi_events[0]))
		d->cnt.vsi_events[ev]++;
	/* first: it asks whether the VSI is still desired (the intent of a
	 * refused one is dropped below) */
	vdpd_reconcile_vsi_event(d, u, v, ev);
	nl_front_vsi_event(d->nl, u, v, ev);
	switch (ev) {
	case VDP_EV_KEEPALIVE_OK:
		lvl = LOG_DEBUG;
		break;
	case VDP_EV_FAILED:
	case VDP_EV_BRIDGE_DEASSOC:
	case VDP_EV_KEPT:
		lvl = LOG_WARNING;
		break;
	case VDP_EV_PREASSOCIATED:
	case VDP_EV_ASSOCIATED:
	case VDP_EV_DEASSOCIATED:
	case VDP_EV_VID_ASSIGNED:
		break;
	}
	/* The VSI ID is formatted only for a line that is written: a
	 * keep-alive at info level, or a burst of associations, costs none. */
	if (lvl <= log_get_level() &&
	    (lvl != LOG_INFO ||
	     log_burst_admit(d->vsi_log, uplink_ifname(u), vdp_event_name(ev)))) {
		vdp_txt_vsiid_format(v->vsiid_fmt, v->vsiid, id);
		if (ev == VDP_EV_FAILED || ev == VDP_EV_KEPT)
			log_msg(lvl, "vdp", "%s: VSI %s: %s (%s, status 0x%02x %s)",
				uplink_ifname(u), id, vdp_event_name(ev),
				vdp_end_reason_name(v->reason), v->status,
				vdp_reason_name(v->status & VDP_STATUS_REASON));
		else
			log_msg(lvl, "vdp", "%s: VSI %s: %s", uplink_ifname(u), id,
				vdp_event_name(ev));
	}
	/* The bridge said no for good: that intent is settled (it stays
	 * shown as failed until deleted).  Timeouts, transmission errors and
	 * refusals the bridge may lift (reasons 2 and 3 without the hard
	 * bit) keep it: the reconciler asks again. */
	if (ev == VDP_EV_FAILED && v->reason == VDP_END_REJECTED &&
	    reconcile_verdict(v->reason, v->status) != RC_RETRY)
		intents_drop(d->intents, uplink_ifname(u), v->vsiid_fmt, v->vsiid);
	if (ev == VDP_EV_KEPT)
		intents_kept(d->intents, uplink_ifname(u), v);
	if (ev == VDP_EV_DEASSOCIATED) {
		struct forget_req *r = calloc(1, sizeof(*r));

		if (r) {
			r->d = d;
			snprintf(r->ifname, sizeof(r->ifname), "%s", uplink_ifname(u));
			r->fmt = v->vsiid_fmt;
			memcpy(r->vsiid, v->vsiid, VDP_VSIID_LEN);
			if (event_base_once(d->base, -1, EV_TIMEOUT, forget_cb, r, NULL) < 0)
				free(r);
		}
	}
	if (ev != VDP_EV_KEEPALIVE_OK && ctl_server_wants(d->ctl, "vsi")) {
		struct vdpd_uplink *du = vdpd_find_uplink(d, uplink_ifname(u));

		if (du)
			ctl_server_publish(d->ctl, "vsi", json_pack("{s:s, s:s, s:o}", "uplink", du->cfg.name,
								   "event", vdp_event_name(ev), "vsi",
								   vdpd_vsi_json(du, v)));
	}
	if (ev != VDP_EV_KEEPALIVE_OK)
		update_status(d);
}

static const struct uplink_ops vdpd_uplink_ops = {
	.event = up_event,
	.vsi_event = up_vsi_event,
};

static void uplink_params_from_cfg(const struct vdpd *d, const struct cfg_uplink *c,
				   struct uplink_params *p)
{
	uplink_params_default(p, UPLINK_STATION);
	p->evb = c->evb;
	p->evb.role = EVB_MODE_STATION;
	p->lldp.tx_interval_s = c->tx_interval;
	p->lldp.tx_hold = c->tx_hold;
	p->resp_wait_max_us = (uint64_t)d->cfg.resp_wait_max_ms * 1000;
	p->port_ops = d->opts.port_ops;
	p->port_ctx = d->opts.port_ctx;
	if (d->opts.assume_link_up)
		p->link = UPLINK_LINK_UP;
}

struct replay {
	struct vdpd *d;
	struct vdpd_uplink *du;
	size_t n, n_nl;
};

/* One stored intent of an uplink that (re)started: requested again through
 * vsi.add's validation, and its netlink requester served again. */
static void replay_intent(void *ctx, json_t *v)
{
	struct replay *r = ctx;
	struct vdp_filter filters[VDPD_MAX_FILTERS];
	struct vdp_request req;
	struct vdpd_uplink *got;
	struct ctl_error err = { 0 };
	int rc;

	if (vdpd_vsi_request_parse(r->d, v, &got, &req, filters, &err) < 0) {
		log_warn("vsi", "%s: stored VSI not requested: %s", r->du->cfg.name, err.msg);
		return;
	}
	/* All in one go: the station packs them into few ECPDUs, sent once
	 * EVB is negotiated, within the bridge's keep-alive window
	 * (802.1Qbg 41.5.5.11 toutKeepAlive). */
	rc = vdp_station_request(uplink_station(r->du->u), &req);
	if (rc < 0) {
		log_warn("vsi", "%s: stored VSI %s refused: %s", r->du->cfg.name,
			 json_string_value(json_object_get(v, "vsiid")), strerror(-rc));
		return;
	}
	r->n++;
	if (json_object_get(v, "netlink")) {
		vdpd_nl_restore(r->d, r->du->u, &req, json_object_get(v, "netlink"));
		r->n_nl++;
	}
}

static void replay_intents(struct vdpd *d, struct vdpd_uplink *du)
{
	struct replay r = { .d = d, .du = du };

	if (!d->intents || !du->u)
		return;
	intents_foreach(d->intents, du->cfg.name, replay_intent, &r);
	if (r.n)
		log_notice("vsi",
			   "%s: %zu stored VSIs requested again (%zu for netlink requesters)",
			   du->cfg.name, r.n, r.n_nl);
}

static void uplink_start(struct vdpd *d, struct vdpd_uplink *du)
{
	struct uplink_params p;

	if (du->u)
		return;
	uplink_params_from_cfg(d, &du->cfg, &p);
	du->u = uplink_new(d->base, d->clock, du->cfg.name, UPLINK_STATION, &p, &vdpd_uplink_ops, d);
	if (!du->u) {
		snprintf(du->absent_why, sizeof(du->absent_why), "%s", strerror(errno));
		du->ifindex = 0;
		log_msg(errno == ENODEV ? LOG_NOTICE : LOG_ERR, "uplink",
			"%s: not started: %s%s", du->cfg.name, du->absent_why,
			errno == ENODEV ? " (will start when it appears)" : "");
		publish_uplink(d, du->cfg.name, "absent", du->absent_why);
		return;
	}
	du->absent_why[0] = 0;
	du->ifindex = uplink_ifindex(du->u);
	/* 0 in the config means no cap; the uplink's 0 means "default". */
	vdp_station_set_resp_wait_max(uplink_station(du->u), (uint64_t)d->cfg.resp_wait_max_ms * 1000);
	vdp_station_set_ka_spread(uplink_station(du->u), d->cfg.keepalive_spread_pct);
	log_info("uplink", "%s: started (ifindex %d, link %s)", du->cfg.name, du->ifindex,
		 uplink_link_up(du->u) ? "up" : "down");
	replay_intents(d, du);
	publish_uplink(d, du->cfg.name, "started", "");
	realize_uplink_started(d, du);
}

static void uplink_stop(struct vdpd *d, struct vdpd_uplink *du, const char *why)
{
	size_t n;

	if (!du->u)
		return;
	n = vdp_station_count(uplink_station(du->u));
	log_msg(n ? LOG_WARNING : LOG_INFO, "uplink", "%s: stopped (%s)%s%zu VSIs dropped without "
		"de-association", du->cfg.name, why, n ? "; " : ", ", n);
	/* No LLDP shutdown frame either: the bridge would take the peer's
	 * disappearance as a reason to drop its VSIs. */
	uplink_free(du->u, false);
	du->u = NULL;
	du->ifindex = 0;
	snprintf(du->absent_why, sizeof(du->absent_why), "%s", why);
	publish_uplink(d, du->cfg.name, "stopped", why);
}

struct vdpd_uplink *vdpd_find_uplink(struct vdpd *d, const char *name)
{
	for (size_t i = 0; i < d->n_uplinks; i++)
		if (strcmp(d->uplinks[i]->cfg.name, name) == 0)
			return d->uplinks[i];
	return NULL;
}

void vdpd_link_event(struct vdpd *d, const char *ifname, int ifindex, bool exists, bool up)
{
	struct vdpd_uplink *du;

	/* The interface an uplink runs on vanished or took another name. */
	for (size_t i = 0; i < d->n_uplinks; i++) {
		du = d->uplinks[i];
		if (du->u && du->ifindex == ifindex && (!exists || strcmp(ifname, du->cfg.name) != 0))
			uplink_stop(d, du, exists ? "interface renamed" : "interface removed");
	}
	du = vdpd_find_uplink(d, ifname);
	if (!du || !exists)
		return;
	/* Same name, another interface (deleted and re-created). */
	if (du->u && du->ifindex != ifindex)
		uplink_stop(d, du, "interface re-created");
	if (!du->u) {
		uplink_start(d, du);
		return;
	}
	if (uplink_link_up(du->u) != up) {
		du->link_events++;
		d->cnt.link_events++;
		log_notice("link", "%s: link %s", ifname, up ? "up: negotiating EVB, then re-associating"
							    : "down: VDP paused");
		if (ctl_server_wants(d->ctl, "link"))
			ctl_server_publish(d->ctl, "link", json_pack("{s:s, s:i, s:b}", "ifname", ifname,
								     "ifindex", ifindex, "up", up));
		uplink_set_link(du->u, up);
	}
}

static void lm_link(void *ctx, enum linkmon_ev ev, const char *ifname, int ifindex, bool exists,
		    bool up)
{
	(void)ev;
	vdpd_link_event(ctx, ifname, ifindex, exists, up);
}

static const struct linkmon_ops vdpd_linkmon_ops = {
	.link = lm_link,
};

/* ---- configuration ---- */

static int add_uplink(struct vdpd *d, const struct cfg_uplink *c)
{
	struct vdpd_uplink **nu, *du;

	nu = realloc(d->uplinks, (d->n_uplinks + 1) * sizeof(*nu));
	if (!nu)
		return -ENOMEM;
	d->uplinks = nu;
	du = calloc(1, sizeof(*du));
	if (!du)
		return -ENOMEM;
	du->cfg = *c;
	du->rc = d->rc;
	d->uplinks[d->n_uplinks++] = du;
	uplink_start(d, du);
	return 0;
}

static void apply_log_level(struct vdpd *d)
{
	if (!d->log_from_cli)
		log_set_level(d->cfg.log_level >= 0 ? d->cfg.log_level : LOG_INFO);
	/* The target once the daemon is where it runs (vdpd_log_start). */
	if (d->log_started && vdpd_log_target(d) != log_get_target())
		log_init("vdpd", vdpd_log_target(d), log_get_level());
}

enum log_target vdpd_log_target(const struct vdpd *d)
{
	if (d->cfg.log_target != LOG_TO_AUTO)
		return (enum log_target)d->cfg.log_target;
	return log_target_auto(d->opts.foreground, "/dev/log");
}

void vdpd_log_start(struct vdpd *d)
{
	d->log_started = true;
	log_init("vdpd", vdpd_log_target(d), log_get_level());
}

void vdpd_apply_config(struct vdpd *d, struct vdpd_config *cfg)
{
	size_t i = 0;

	/* Uplinks no longer configured. */
	while (i < d->n_uplinks) {
		struct vdpd_uplink *du = d->uplinks[i];

		if (cfg_find_uplink(cfg, du->cfg.name)) {
			i++;
			continue;
		}
		uplink_stop(d, du, "removed from the configuration");
		log_notice("cfg", "uplink %s removed", du->cfg.name);
		free(du);
		memmove(&d->uplinks[i], &d->uplinks[i + 1], (d->n_uplinks - i - 1) * sizeof(*d->uplinks));
		d->n_uplinks--;
	}
	/* Changed ones are updated in place: their VSIs stay. */
	for (i = 0; i < d->n_uplinks; i++) {
		struct vdpd_uplink *du = d->uplinks[i];
		const struct cfg_uplink *c = cfg_find_uplink(cfg, du->cfg.name);

		if (!cfg_uplink_changed(&du->cfg, c))
			continue;
		log_notice("cfg", "uplink %s: settings changed", c->name);
		if (du->u) {
			struct lldp_agent *a = uplink_agent(du->u);
			struct evb_config e = c->evb;

			/* The agent reads these when it next arms its timer
			 * and computes the TTL of the next LLDPDU. */
			a->cfg.tx_interval_s = c->tx_interval;
			a->cfg.tx_hold = c->tx_hold;
			e.role = EVB_MODE_STATION;
			if (memcmp(&e, &du->cfg.evb, sizeof(e)) != 0)
				uplink_set_evb(du->u, &e);
		}
		du->cfg = *c;
	}
	if (cfg->resp_wait_max_ms != d->cfg.resp_wait_max_ms)
		for (i = 0; i < d->n_uplinks; i++)
			if (d->uplinks[i]->u)
				vdp_station_set_resp_wait_max(uplink_station(d->uplinks[i]->u),
							      (uint64_t)cfg->resp_wait_max_ms * 1000);
	if (cfg->keepalive_spread_pct != d->cfg.keepalive_spread_pct)
		for (i = 0; i < d->n_uplinks; i++)
			if (d->uplinks[i]->u)
				vdp_station_set_ka_spread(uplink_station(d->uplinks[i]->u),
							  cfg->keepalive_spread_pct);
	cfg_free(&d->cfg);
	d->cfg = *cfg;
	cfg_init(cfg);
	apply_log_level(d);
	vdpd_reconcile_config(d);
	realize_config(d);
	/* New ones. */
	for (i = 0; i < d->cfg.n_uplinks; i++)
		if (!vdpd_find_uplink(d, d->cfg.uplinks[i].name)) {
			log_notice("cfg", "uplink %s added", d->cfg.uplinks[i].name);
			if (add_uplink(d, &d->cfg.uplinks[i]) < 0)
				log_err("cfg", "uplink %s: out of memory", d->cfg.uplinks[i].name);
		}
	if (ctl_server_wants(d->ctl, "config"))
		ctl_server_publish(d->ctl, "config", json_pack("{s:s, s:i}", "event", "applied", "uplinks",
							       (int)d->n_uplinks));
	update_status(d);
}

static int reload_refused(struct vdpd *d, const char *why)
{
	d->cnt.reload_errors++;
	snprintf(d->reload_error, sizeof(d->reload_error), "%s", why);
	log_err("cfg", "reload refused, configuration unchanged: %s", why);
	vdpd_sd_notify("READY=1");
	return -1;
}

int vdpd_reload(struct vdpd *d)
{
	struct vdpd_config cfg;
	struct nl_front_config nlc;
	struct reg_reload rl;
	char err[512];

	d->cnt.reloads++;
	vdpd_sd_notify("RELOADING=1");
	if (cfg_load_file(d->opts.config, &cfg, err, sizeof(err)) < 0)
		return reload_refused(d, err);
	if (nl_front_config_load(d->opts.config, &nlc, err, sizeof(err)) < 0) {
		cfg_free(&cfg);
		return reload_refused(d, err);
	}
	if (realize_reload_prepare(d, &rl, err, sizeof(err)) < 0) {
		cfg_free(&cfg);
		return reload_refused(d, err);
	}
	d->reload_error[0] = 0;
	log_notice("cfg", "reloading %s", d->opts.config);
	vdpd_apply_config(d, &cfg);
	vdpd_nl_reload(d, &nlc);
	realize_reload_commit(d, &rl);
	vdpd_sd_notify("READY=1");
	return 0;
}

/* ---- life cycle ---- */

int vdpd_init(struct vdpd *d, const struct vdpd_opts *opts, struct vdpd_config *cfg)
{
	int rc;

	memset(d, 0, sizeof(*d));
	d->opts = *opts;
	d->pid_fd = -1;
	cfg_init(&d->cfg);
	d->log_from_cli = opts->debug >= 0;
	d->base = vclock_event_base_new();
	d->clock = d->base ? vclock_event_new(d->base) : NULL;
	if (!d->clock) {
		log_err(NULL, "cannot create the event loop");
		return -ENOMEM;
	}
	d->started_us = vclock_now(d->clock);
	d->vsi_log = log_bursts_new(d->clock, "vdp");
	if (vdpd_signals_add(d) < 0)
		return -ENOMEM;
	/* before any libnl socket, so that our pid is free as a netlink port */
	if (vdpd_nl_start(d) < 0)
		return -EPERM;
	d->ev_status = evtimer_new(d->base, status_cb, d);
	d->ctl = ctl_server_new(d->base, opts->socket, VDPD_SOCKET_MODE, NULL, NULL);
	if (!d->ctl) {
		int err = errno;

		log_err("ctl", "control socket %s: %s%s", opts->socket, strerror(err),
			err == EADDRINUSE ? " (another vdpd is serving it)" : "");
		return -err;
	}
	/* Each component's commands with its own context; "help" lists
	 * them in this order. */
	if (ctl_server_add_cmds(d->ctl, vdpd_ctl_cmds, d) < 0 || fleet_vdpd_add_cmds(d) < 0) {
		log_err("ctl", "control commands: two components serve the same command");
		return -EEXIST;
	}
	ctl_server_set_before_reply(d->ctl, before_reply, d);
	d->lm = opts->no_linkmon ? NULL : linkmon_new(d->base, &vdpd_linkmon_ops, d);
	if (!d->lm && !opts->no_linkmon)
		log_warn("link", "no link monitor (%s): link changes will not be followed",
			 strerror(errno));
	rc = intents_open(&d->intents, d->base, d->opts.intents);
	if (rc < 0)
		return rc;
	d->cfg = *cfg;
	cfg_init(cfg);
	apply_log_level(d);
	if (vdpd_reconcile_start(d) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < d->cfg.n_uplinks; i++)
		if (add_uplink(d, &d->cfg.uplinks[i]) < 0)
			return -ENOMEM;
	if (realize_start(d) < 0)
		return -EINVAL;
	return 0;
}

void vdpd_fini(struct vdpd *d)
{
	intents_close(d->intents);
	d->intents = NULL;
	realize_stop(d);
	vdpd_nl_stop(d);
	for (size_t i = 0; i < d->n_uplinks; i++) {
		/* Not uplink_stop(): a stop keeps VSIs on the bridge by design. */
		uplink_free(d->uplinks[i]->u, false);
		free(d->uplinks[i]);
	}
	free(d->uplinks);
	d->uplinks = NULL;
	d->n_uplinks = 0;
	vdpd_reconcile_stop(d);
	linkmon_free(d->lm);
	ctl_server_free(d->ctl);
	for (size_t i = 0; i < sizeof(d->ev_sig) / sizeof(d->ev_sig[0]); i++)
		if (d->ev_sig[i])
			event_free(d->ev_sig[i]);
	if (d->ev_status)
		event_free(d->ev_status);
	log_bursts_free(d->vsi_log);
	d->vsi_log = NULL;
	if (d->clock)
		vclock_event_free(d->clock);
	if (d->base)
		event_base_free(d->base);
	cfg_free(&d->cfg);
	if (d->pid_fd >= 0) {
		unlink(d->opts.pidfile);
		close(d->pid_fd);
	}
}
