/* vdp-bridge control-socket commands (framing: vdp/ctl/ctl.h).  Every reply is
 * built in a fixed key order and lists are sorted, so the JSON of a given
 * state is always the same text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vdp/ctl/ctl.h"
#include "vdp/io/linkmon.h"
#include "vdp/base/log.h"
#include "vdp/wire/vdp_text.h"
#include "tools/vdp-bridge/vdp-bridge.h"
#include "tools/vdp-bridge/vsipage.h"

static json_t *filter_json(uint8_t fmt, const struct vdp_filter *f)
{
	bool mac = fmt == VDP_FILTER_MAC_VID || fmt == VDP_FILTER_GROUP_MAC_VID;
	bool grp = fmt == VDP_FILTER_GROUP_VID || fmt == VDP_FILTER_GROUP_MAC_VID;
	char m[VDP_TXT_MAC_LEN];

	if (mac)
		vdp_txt_mac_format(f->mac, m);
	return json_pack("{s:o, s:i, s:i, s:b, s:o}",
			 "mac", mac ? json_string(m) : json_null(),
			 "vid", vdp_vid(f->ps_pcp_vid), "pcp", vdp_pcp(f->ps_pcp_vid),
			 "ps", vdp_ps(f->ps_pcp_vid),
			 "group", grp ? json_integer((json_int_t)f->group_id) : json_null());
}

json_t *vbr_vsi_json(struct vbr *b, struct uplink *u, struct vsi *v)
{
	const struct vbr_vsi *info = v->user;
	uint64_t now = vclock_now(b->clock);
	char id[VDP_TXT_VSIID_LEN], mg[VDP_TXT_MGRID_LEN];
	json_t *filters = json_array();

	vdp_txt_vsiid_format(v->vsiid_fmt, v->vsiid, id);
	vdp_txt_mgrid_format(v->mgrid, mg);
	for (uint16_t i = 0; i < v->n_filters; i++)
		json_array_append_new(filters, filter_json(v->filter_fmt, &v->filters[i].f));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:o, s:o, s:I, s:o}",
			 "port", uplink_ifname(u),
			 "vsiid_format", vdp_txt_vsiid_fmt_name(v->vsiid_fmt),
			 "vsiid", id,
			 "state", vdp_bridge_state_name(v->state),
			 "mode", vdp_txt_mode_name(v->mode_cur),
			 "mgrid", mg,
			 "type_id", (int)v->type_id, "type_version", v->type_version,
			 "filter_format", vdp_txt_filter_fmt_name(v->filter_fmt),
			 "filters", filters,
			 "age_ms", info ? json_integer((json_int_t)((now - info->created_us) / 1000)) : json_null(),
			 "keepalives", (json_int_t)(info ? info->keepalives : 0),
			 "last_keepalive_age_ms", info && info->last_request_us ?
				 json_integer((json_int_t)((now - info->last_request_us) / 1000)) : json_null());
}

/* The port named in args ("port"), or NULL for all; *bad on an unknown name. */
static struct vbr_port *arg_port(struct vbr *b, json_t *args, bool *bad)
{
	json_t *p = json_object_get(args, "port");

	*bad = false;
	if (!p)
		return NULL;
	if (!json_is_string(p) || !vbr_find_port(b, json_string_value(p))) {
		*bad = true;
		return NULL;
	}
	return vbr_find_port(b, json_string_value(p));
}

struct show_ctx {
	struct vbr *b;
	json_t **list;
	size_t n;
};

static void show_one(void *ctx, size_t port, struct vsi *v)
{
	struct show_ctx *c = ctx;

	c->list[c->n++] = vbr_vsi_json(c->b, vbr_port_uplink(c->b->ports[port]), v);
}

/* vsi.show args: port, and for paging (vsipage.h) offset, after and limit.
 * Without them every VSI, sorted by port and VSIID (the same state gives
 * the same text); a page is in walk order, and a paging client asks until
 * it gets an empty array. */
static json_t *cmd_vsi_show(void *ctx, json_t *args, struct ctl_error *err)
{
	struct vbr *b = ctx;
	bool bad;
	struct vbr_port *only = arg_port(b, args, &bad);
	struct vdp_bridge *brs[VBR_MAX_IFACES];
	const char *names[VBR_MAX_IFACES];
	struct show_ctx c = { .b = b };
	struct vbr_page pg;
	size_t cap = 0;
	json_t *out;

	if (bad)
		return ctl_fail(err, ENODEV, "no such port");
	for (size_t i = 0; i < b->n_ports; i++) {
		struct uplink *u = vbr_port_uplink(b->ports[i]);

		names[i] = uplink_ifname(u);
		brs[i] = only && only != b->ports[i] ? NULL : uplink_bridge(u);
		cap += brs[i] ? vdp_bridge_count(brs[i]) : 0;
	}
	if (vbr_page_parse(args, names, b->n_ports, &pg, err) < 0)
		return NULL;
	if (pg.limit < cap)
		cap = pg.limit;
	c.list = calloc(cap ? cap : 1, sizeof(*c.list));
	if (!c.list)
		return ctl_fail(err, ENOMEM, "out of memory");
	vbr_page_walk(brs, b->n_ports, &pg, show_one, &c);
	if (!pg.paging)
		qsort(c.list, c.n, sizeof(*c.list), vbr_vsi_json_cmp);
	out = json_array();
	for (size_t i = 0; i < c.n; i++)
		json_array_append_new(out, c.list[i]);
	free(c.list);
	return out;
}

static json_t *cmd_vsi_deassoc(void *ctx, json_t *args, struct ctl_error *err)
{
	struct vbr *b = ctx;
	const char *fmt_s = json_string_value(json_object_get(args, "vsiid_format"));
	const char *id_s = json_string_value(json_object_get(args, "vsiid"));
	uint8_t id[VDP_VSIID_LEN];
	int fmt = fmt_s ? vdp_txt_vsiid_fmt_parse(fmt_s) : VDP_VSIID_UUID;
	bool bad;
	struct vbr_port *only = arg_port(b, args, &bad);
	int n = 0;

	if (bad)
		return ctl_fail(err, ENODEV, "no such port");
	if (fmt < 0)
		return ctl_fail(err, EINVAL, "vsiid_format: one of ipv4, ipv6, mac, local, uuid");
	if (!id_s || vdp_txt_vsiid_parse((uint8_t)fmt, id_s, id) < 0)
		return ctl_fail(err, EINVAL, "vsiid: missing or not a %s", vdp_txt_vsiid_fmt_name((uint8_t)fmt));
	for (size_t i = 0; i < b->n_ports; i++) {
		struct vdp_bridge *br = uplink_bridge(vbr_port_uplink(b->ports[i]));
		struct vsi *v;

		if (only && only != b->ports[i])
			continue;
		v = vdp_bridge_find(br, (uint8_t)fmt, id);
		if (v && vdp_bridge_deassoc(br, v) == 0)
			n++;
	}
	if (!n)
		return ctl_fail(err, ENOENT, "no associated VSI %s", id_s);
	log_notice("ctl", "VSI %s de-associated by the operator", id_s);
	return json_pack("{s:i}", "deassociated", n);
}

static json_t *cmd_vsi_flush(void *ctx, json_t *args, struct ctl_error *err)
{
	struct vbr *b = ctx;
	bool bad;
	struct vbr_port *only = arg_port(b, args, &bad);
	int n = 0;

	if (bad)
		return ctl_fail(err, ENODEV, "no such port");
	for (size_t i = 0; i < b->n_ports; i++) {
		struct vdp_bridge *br = uplink_bridge(vbr_port_uplink(b->ports[i]));
		size_t cnt = vdp_bridge_count(br), k = 0;
		struct { uint8_t fmt; uint8_t id[VDP_VSIID_LEN]; } *ids;
		struct vsi *v;

		if (only && only != b->ports[i])
			continue;
		/* De-associating may free VSIs (once handed to ECP): collect
		 * the keys first, look each one up again. */
		ids = calloc(cnt ? cnt : 1, sizeof(*ids));
		if (!ids)
			return ctl_fail(err, ENOMEM, "out of memory");
		for (v = vdp_bridge_first(br); v && k < cnt; v = vdp_bridge_next(br, v)) {
			ids[k].fmt = v->vsiid_fmt;
			memcpy(ids[k++].id, v->vsiid, VDP_VSIID_LEN);
		}
		for (size_t j = 0; j < k; j++) {
			v = vdp_bridge_find(br, ids[j].fmt, ids[j].id);
			if (v && vdp_bridge_deassoc(br, v) == 0)
				n++;
		}
		free(ids);
	}
	log_notice("ctl", "flush: %d VSIs de-associated", n);
	return json_pack("{s:i}", "deassociated", n);
}

static json_t *bridge_counters_json(const struct vdp_bridge_counters *c)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "requests", (json_int_t)c->requests, "keepalives", (json_int_t)c->keepalives,
			 "admitted", (json_int_t)c->admitted, "refused", (json_int_t)c->refused,
			 "station_deassoc", (json_int_t)c->station_deassoc, "timeouts", (json_int_t)c->timeouts,
			 "resource_timeouts", (json_int_t)c->resource_timeouts,
			 "bridge_deassoc", (json_int_t)c->bridge_deassoc, "ecpdu_tx", (json_int_t)c->ecpdu_tx,
			 "tlv_tx", (json_int_t)c->tlv_tx, "tx_errors", (json_int_t)c->tx_errors,
			 "rx_bad", (json_int_t)c->rx_bad, "rx_ignored", (json_int_t)c->rx_ignored,
			 "alloc_fail", (json_int_t)c->alloc_fail,
			 "illegal_transitions", (json_int_t)c->illegal_transitions);
}

static json_t *vdp_counters_json(const struct vbr_counters *c)
{
	static const char *const reasons[] = { "success", "invalid_format", "insufficient_resources",
					       "unable_to_contact_manager", "other_failure",
					       "invalid_vid_group_mac" };
	json_t *req = json_pack("{s:I, s:I, s:I, s:I}",
				"preassoc", (json_int_t)c->rx_req[1], "preassoc_rr", (json_int_t)c->rx_req[2],
				"assoc", (json_int_t)c->rx_req[3], "deassoc", (json_int_t)c->rx_req[4]);
	json_t *resp = json_pack("{s:I, s:I, s:I, s:I}",
				 "preassoc", (json_int_t)c->tx_resp[1], "preassoc_rr", (json_int_t)c->tx_resp[2],
				 "assoc", (json_int_t)c->tx_resp[3], "deassoc", (json_int_t)c->tx_resp[4]);
	json_t *rsn = json_object();
	uint64_t other = 0;

	for (int i = 0; i < 16; i++) {
		if (i < 6)
			json_object_set_new(rsn, reasons[i], json_integer((json_int_t)c->tx_reason[i]));
		else
			other += c->tx_reason[i];
	}
	json_object_set_new(rsn, "reserved", json_integer((json_int_t)other));
	return json_pack("{s:I, s:I, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "rx_pdu", (json_int_t)c->rx_pdu, "tx_pdu", (json_int_t)c->tx_pdu,
			 "requests", req, "responses", resp, "reasons", rsn,
			 "keep", (json_int_t)c->tx_keep, "hard", (json_int_t)c->tx_hard,
			 "unsolicited_deassoc", (json_int_t)c->tx_unsolicited,
			 "admit_calls", (json_int_t)c->admit_calls, "admitted", (json_int_t)c->admitted,
			 "refused", (json_int_t)c->refused, "rule_answers", (json_int_t)c->rule_answers,
			 "restarts", (json_int_t)c->restarts);
}

/* Reload counters and the reason the last reload was refused (null when
 * the last one was applied, or none was tried). */
static json_t *reload_json(const struct vbr *b)
{
	return json_pack("{s:I, s:I, s:I, s:o}",
			 "reloads", (json_int_t)b->cnt.reloads,
			 "reload_errors", (json_int_t)b->cnt.reload_errors,
			 "vsis_dropped_by_reload", (json_int_t)b->cnt.vsis_dropped_by_reload,
			 "last_error", b->reload_error[0] ? json_string(b->reload_error) : json_null());
}

static json_t *cmd_counters_show(void *ctx, json_t *args, struct ctl_error *err)
{
	struct vbr *b = ctx;
	json_t *ports = json_array();

	(void)args;
	(void)err;
	for (size_t i = 0; i < b->n_ports; i++) {
		struct uplink *u = vbr_port_uplink(b->ports[i]);

		json_array_append_new(ports,
				      json_pack("{s:s, s:o, s:o, s:o}", "port", uplink_ifname(u),
						"ecp", uplink_ecp_json(uplink_ecp(u)), "lldp",
						uplink_lldp_json(uplink_agent(u)), "bridge",
						bridge_counters_json(&uplink_bridge(u)->cnt)));
	}
	return json_pack("{s:o, s:o, s:o, s:o}", "vdp", vdp_counters_json(&b->cnt), "ports", ports,
			 "fault", fault_counters_json(&b->fault), "reload", reload_json(b));
}

static json_t *cmd_counters_reset(void *ctx, json_t *args, struct ctl_error *err)
{
	struct vbr *b = ctx;

	(void)args;
	(void)err;
	memset(&b->cnt, 0, sizeof(b->cnt));
	memset(b->fault.cnt, 0, sizeof(b->fault.cnt));
	b->fault.rule_hits = 0;
	for (size_t i = 0; i < b->n_ports; i++) {
		struct uplink *u = vbr_port_uplink(b->ports[i]);

		memset(&uplink_ecp(u)->cnt, 0, sizeof(uplink_ecp(u)->cnt));
		memset(&uplink_agent(u)->cnt, 0, sizeof(uplink_agent(u)->cnt));
		memset(&uplink_bridge(u)->cnt, 0, sizeof(uplink_bridge(u)->cnt));
	}
	return json_null();
}

static json_t *fault_json(struct vbr *b)
{
	return json_pack("{s:b, s:o, s:o}", "active", fault_active(&b->fault.cfg),
			 "config", fault_config_json(&b->fault.cfg),
			 "counters", fault_counters_json(&b->fault));
}

static json_t *cmd_fault_show(void *ctx, json_t *args, struct ctl_error *err)
{
	(void)args;
	(void)err;
	return fault_json(ctx);
}

static json_t *cmd_fault_set(void *ctx, json_t *args, struct ctl_error *err)
{
	struct vbr *b = ctx;
	struct fault_config c = b->fault.cfg;
	json_t *copy = json_deep_copy(args);
	bool reseed = json_is_true(json_object_get(args, "reseed"));
	char msg[200];
	int rc;

	json_object_del(copy, "reseed");
	rc = fault_config_update(&c, copy, msg, sizeof(msg));
	json_decref(copy);
	if (rc < 0)
		return ctl_fail(err, EINVAL, "%s", msg);
	fault_set_config(&b->fault, &c, reseed);
	vbr_fault_changed(b);
	log_notice("ctl", "fault settings changed%s", reseed ? " (reseeded)" : "");
	return fault_json(b);
}

static json_t *cmd_fault_clear(void *ctx, json_t *args, struct ctl_error *err)
{
	struct vbr *b = ctx;
	struct fault_config c;

	(void)args;
	(void)err;
	fault_config_default(&c);
	c.seed = b->fault.cfg.seed;
	fault_set_config(&b->fault, &c, false);
	vbr_fault_changed(b);
	log_notice("ctl", "fault injection off");
	return fault_json(b);
}

static json_t *cmd_restart(void *ctx, json_t *args, struct ctl_error *err)
{
	struct vbr *b = ctx;

	(void)args;
	(void)err;
	vbr_restart(b);
	return json_pack("{s:I}", "restarts", (json_int_t)b->cnt.restarts);
}

static json_t *cmd_uplink_show(void *ctx, json_t *args, struct ctl_error *err)
{
	struct vbr *b = ctx;
	bool bad;
	struct vbr_port *only = arg_port(b, args, &bad);
	json_t *a = json_array();

	if (bad) {
		json_decref(a);
		return ctl_fail(err, ENODEV, "no such port");
	}
	for (size_t i = 0; i < b->n_ports; i++)
		if (!only || only == b->ports[i])
			json_array_append_new(a, uplink_status_json(vbr_port_uplink(b->ports[i])));
	return a;
}

/* vdp/linkmon's counters (events, adds, dels, changes, resyncs, errors),
 * or null without a monitor. */
static json_t *linkmon_stats_json(const struct linkmon *lm)
{
	json_t *j, *st;

	if (!lm)
		return json_null();
	j = linkmon_json(lm);
	st = json_incref(json_object_get(j, "stats"));
	json_decref(j);
	return st ? st : json_null();
}

static json_t *cmd_status(void *ctx, json_t *args, struct ctl_error *err)
{
	struct vbr *b = ctx;
	json_t *ports = json_array();
	size_t n_vsis = 0, converged = 0;

	(void)args;
	(void)err;
	for (size_t i = 0; i < b->n_ports; i++) {
		struct uplink *u = vbr_port_uplink(b->ports[i]);
		const struct evb_oper *o = uplink_oper(u);

		n_vsis += vdp_bridge_count(uplink_bridge(u));
		converged += uplink_converged(u);
		json_array_append_new(ports, json_pack("{s:s, s:s, s:b, s:o, s:i}",
						       "port", uplink_ifname(u),
						       "link", uplink_link_up(u) ? "up" : "down",
						       "converged", uplink_converged(u),
						       "oper", uplink_converged(u) ?
							       json_pack("{s:i, s:i, s:i, s:i, s:b, s:b}",
									 "r", o->r, "rte", o->rte, "rwd", o->rwd,
									 "rka", o->rka, "rr", o->rr, "gid", o->gid) :
							       json_null(),
						       "vsis", (int)vdp_bridge_count(uplink_bridge(u))));
	}
	return json_pack("{s:s, s:i, s:I, s:b, s:i, s:i, s:i, s:i, s:b, s:o, s:o, s:o, s:o}",
			 "version", VDP_VERSION, "pid", (int)getpid(),
			 "uptime_s", (json_int_t)((vclock_now(b->clock) - b->started_us) / 1000000),
			 "ready", true, "ports_total", (int)b->n_ports, "ports_converged", (int)converged,
			 "vsis", (int)n_vsis, "vsis_associated", (int)b->n_active,
			 "fault_active", fault_active(&b->fault.cfg), "ports", ports,
			 "datapath", b->dp ? datapath_json(b->dp) : json_null(),
			 "linkmon", linkmon_stats_json(b->lm), "reload", reload_json(b));
}

static json_t *cmd_datapath_show(void *ctx, json_t *args, struct ctl_error *err)
{
	struct vbr *b = ctx;

	(void)args;
	if (!b->dp)
		return ctl_fail(err, ENOTSUP, "the datapath is not enabled (datapath { enable = true; } in the config)");
	return datapath_json(b->dp);
}

static json_t *cmd_config_show(void *ctx, json_t *args, struct ctl_error *err)
{
	struct vbr *b = ctx;

	(void)args;
	(void)err;
	return vbr_conf_json(&b->conf);
}

static json_t *cmd_config_reload(void *ctx, json_t *args, struct ctl_error *err)
{
	struct vbr *b = ctx;
	char msg[VBR_RELOAD_ERR_LEN];
	size_t dropped;

	(void)args;
	if (vbr_reload(b, msg, sizeof(msg), &dropped) < 0)
		return ctl_fail(err, EINVAL, "%s", msg);
	return json_pack("{s:I, s:i}", "reloads", (json_int_t)b->cnt.reloads, "vsis_dropped", (int)dropped);
}

const struct ctl_cmd vbr_ctl_cmds[] = {
	{ "status", cmd_status, "daemon, ports, EVB convergence, VSI totals" },
	{ "uplink.show", cmd_uplink_show, "per-port LLDP/EVB/ECP status {port}" },
	{ "vsi.show", cmd_vsi_show, "VSIs known to the bridge {port, offset, after, limit}" },
	{ "vsi.deassoc", cmd_vsi_deassoc,
	  "bridge-initiated De-Associate {vsiid, vsiid_format, port}" },
	{ "vsi.flush", cmd_vsi_flush, "De-Associate every VSI {port}" },
	{ "counters.show", cmd_counters_show, "ECP, VDP and fault counters" },
	{ "counters.reset", cmd_counters_reset, "zero all counters" },
	{ "fault.show", cmd_fault_show, "fault-injection settings and counters" },
	{ "fault.set", cmd_fault_set,
	  "change fault settings {seed, rx, tx, noack, lldp, rules, reseed}" },
	{ "fault.clear", cmd_fault_clear, "turn fault injection off" },
	{ "restart", cmd_restart, "forget all VSI state, as a crashed bridge would" },
	{ "datapath.show", cmd_datapath_show, "nftables data path state" },
	{ "config.show", cmd_config_show, "configuration in effect" },
	{ "config.reload", cmd_config_reload, "re-read the configuration file (as SIGHUP)" },
	{ NULL, NULL, NULL },
};
