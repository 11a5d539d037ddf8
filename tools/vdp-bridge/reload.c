/* vdp-bridge configuration reload (SIGHUP, `vdp-bridge config reload`).
 *
 * All or nothing: the file is parsed and checked into a new configuration
 * first; a bad file, or a change that only a restart can make (interfaces,
 * control socket, datapath), leaves the old configuration untouched.
 * Otherwise it is applied without losing VSI state:
 *  - the VSI type database and limits replace the old ones; the VSIs the new
 *    database no longer admits (type or version removed, manager no longer
 *    listed, VID no longer admitted) get a bridge-initiated De-Associate
 *    (41.5.6, as `vsi deassoc` does); limits (max_vsis) apply to new VSIs
 *    only, the ones in place are kept;
 *  - changed EVB values go out in an LLDPDU at once (the agent's fast
 *    transmission), the operative values are negotiated again;
 *  - LLDP msgTxInterval / msgTxHold apply from the next LLDPDU;
 *  - log_level applies unless -d was given; the fault section replaces the
 *    settings in effect (also those made with `fault set`) only when the
 *    file's section changed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/base/log.h"
#include "vdp/wire/vdp_text.h"
#include "tools/vdp-bridge/vdp-bridge.h"

static bool ifaces_equal(const struct vbr_conf *a, const struct vbr_conf *b)
{
	if (a->n_ifaces != b->n_ifaces)
		return false;
	for (size_t i = 0; i < a->n_ifaces; i++) {
		size_t k;

		for (k = 0; k < b->n_ifaces; k++)
			if (!strcmp(a->ifaces[i], b->ifaces[k]))
				break;
		if (k == b->n_ifaces)
			return false;
	}
	return true;
}

static void ifaces_str(const struct vbr_conf *c, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < c->n_ifaces && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? " " : "", c->ifaces[i]);
}

static bool evb_equal(const struct evb_config *a, const struct evb_config *b)
{
	return a->r == b->r && a->rte == b->rte && a->rwd == b->rwd && a->rka == b->rka &&
	       a->rrcap == b->rrcap && a->gid == b->gid;
}

static bool fault_equal(const struct fault_config *a, const struct fault_config *b)
{
	json_t *ja = fault_config_json(a), *jb = fault_config_json(b);
	bool eq = json_equal(ja, jb);

	json_decref(ja);
	json_decref(jb);
	return eq;
}

/* What only a restart can change; "" when nothing. */
static void restart_needed(const struct vbr_conf *old, const struct vbr_conf *nc, char *why, size_t len)
{
	char a[VBR_MAX_IFACES * IF_NAMESIZE], b[VBR_MAX_IFACES * IF_NAMESIZE];

	why[0] = 0;
	if (!ifaces_equal(old, nc)) {
		ifaces_str(old, a, sizeof(a));
		ifaces_str(nc, b, sizeof(b));
		snprintf(why, len, "interfaces changed (running: %.180s; file: %.180s)", a, b);
	} else if (strcmp(old->ctl_path, nc->ctl_path) != 0) {
		snprintf(why, len, "control socket changed (running: %.180s; file: %.180s)", old->ctl_path,
			 nc->ctl_path);
	} else if (memcmp(&old->dp, &nc->dp, sizeof(old->dp)) != 0) {
		snprintf(why, len, "datapath settings changed");
	}
}

uint8_t vbr_readmit(struct vbr *b, struct uplink *u, const struct vsi *v, const char **why)
{
	struct vdp_assoc a = {
		.type = v->mode_cur, .type_id = v->type_id, .type_version = v->type_version,
		.vsiid_fmt = v->vsiid_fmt, .filter_fmt = v->filter_fmt, .n_filters = v->n_filters,
	};
	struct vdp_filter *f;
	struct typedb_req r = {
		.mgrid = v->mgrid, .req = &a, .n = v->n_filters,
		/* Limits are for new VSIs: the ones in place stay. */
		.is_new = false, .gid = uplink_oper(u)->gid,
	};
	uint8_t st;

	*why = "admitted";
	/* A fault rule answers for its type instead of the database. */
	if (fault_rule_find(&b->fault, v->type_id))
		return VDP_R_SUCCESS;
	/* typedb_decide rewrites the filters it admits (VID 0, PCP). */
	f = calloc(v->n_filters ? v->n_filters : 1, sizeof(*f));
	if (!f)
		return VDP_R_SUCCESS;	/* keep it rather than guess */
	for (uint16_t i = 0; i < v->n_filters; i++)
		f[i] = v->filters[i].f;
	r.filters = f;
	memcpy(a.vsiid, v->vsiid, VDP_VSIID_LEN);
	st = typedb_decide(&b->conf.db, &r, why);
	free(f);
	return st & VDP_STATUS_REASON;
}

struct drop_key {
	uint8_t fmt;
	uint8_t id[VDP_VSIID_LEN];
	const char *why;
};

/* De-associates, on every port, the confirmed VSIs the database in effect
 * no longer admits.  Returns how many. */
static size_t prune(struct vbr *b)
{
	size_t total = 0;

	for (size_t i = 0; i < b->n_ports; i++) {
		struct uplink *u = vbr_port_uplink(b->ports[i]);
		struct vdp_bridge *br = uplink_bridge(u);
		size_t cnt = vdp_bridge_count(br), k = 0;
		struct drop_key *keys;
		struct vsi *v;

		if (!cnt)
			continue;
		keys = calloc(cnt, sizeof(*keys));
		if (!keys) {
			log_err("main", "reload: %s: out of memory, VSIs not re-checked", uplink_ifname(u));
			continue;
		}
		/* De-associating may free VSIs: collect first, then look each
		 * one up again (as vsi.flush). */
		for (v = vdp_bridge_first(br); v && k < cnt; v = vdp_bridge_next(br, v)) {
			const char *why;

			if (v->mode_cur == VDP_MODE_NONE || vbr_readmit(b, u, v, &why) == VDP_R_SUCCESS)
				continue;
			keys[k].fmt = v->vsiid_fmt;
			memcpy(keys[k].id, v->vsiid, VDP_VSIID_LEN);
			keys[k++].why = why;
		}
		for (size_t j = 0; j < k; j++) {
			char id[VDP_TXT_VSIID_LEN];
			uint32_t type_id;
			uint8_t ver;

			v = vdp_bridge_find(br, keys[j].fmt, keys[j].id);
			if (!v)
				continue;
			type_id = v->type_id;
			ver = v->type_version;
			if (vdp_bridge_deassoc(br, v) < 0)
				continue;
			vdp_txt_vsiid_format(keys[j].fmt, keys[j].id, id);
			log_notice("vdp", "%s: VSI %s type %u/%u: de-associated by reload: %s", uplink_ifname(u),
				   id, type_id, ver, keys[j].why);
			total++;
		}
		free(keys);
	}
	return total;
}

static void apply_lldp(struct vbr *b, const struct vbr_conf *nc)
{
	struct uplink_params def;

	uplink_params_default(&def, UPLINK_BRIDGE);
	for (size_t i = 0; i < b->n_ports; i++) {
		struct lldp_agent *a = uplink_agent(vbr_port_uplink(b->ports[i]));

		a->cfg.tx_interval_s = nc->lldp_tx_interval ? nc->lldp_tx_interval : def.lldp.tx_interval_s;
		a->cfg.tx_hold = nc->lldp_tx_hold ? nc->lldp_tx_hold : def.lldp.tx_hold;
	}
}

static int refuse(struct vbr *b, char *err, size_t errlen, const char *msg)
{
	b->cnt.reload_errors++;
	snprintf(b->reload_error, sizeof(b->reload_error), "%s", msg);
	log_err("main", "reload refused: %s; the configuration in effect is unchanged", msg);
	if (err)
		snprintf(err, errlen, "%s", msg);
	return -1;
}

int vbr_reload(struct vbr *b, char *err, size_t errlen, size_t *dropped)
{
	const char *path = b->cli.conf_path;
	struct vbr_conf nc, old;
	char msg[VBR_RELOAD_ERR_LEN], why[448];
	bool evb_changed, fault_changed;
	size_t n;

	if (dropped)
		*dropped = 0;
	log_notice("main", "reloading %s", path);
	vbr_conf_init(&nc);
	if (vbr_conf_load(&nc, path, msg, sizeof(msg)) < 0) {
		vbr_conf_free(&nc);
		return refuse(b, err, errlen, msg);
	}
	/* The command line wins over the file, as at start. */
	if (b->cli.ifaces) {
		memcpy(nc.ifaces, b->conf.ifaces, sizeof(nc.ifaces));
		nc.n_ifaces = b->conf.n_ifaces;
	}
	if (b->cli.ctl_path)
		memcpy(nc.ctl_path, b->conf.ctl_path, sizeof(nc.ctl_path));
	if (b->cli.seed)
		nc.fault.seed = b->conf.fault.seed;
	restart_needed(&b->conf, &nc, why, sizeof(why));
	if (why[0]) {
		vbr_conf_free(&nc);
		snprintf(msg, sizeof(msg), "%.200s: %s: adding or removing interfaces, moving the control "
			 "socket or changing the datapath needs a restart", path, why);
		return refuse(b, err, errlen, msg);
	}

	evb_changed = !evb_equal(&b->conf.evb, &nc.evb);
	fault_changed = !fault_equal(&b->conf.fault, &nc.fault);
	old = b->conf;
	b->conf = nc;		/* the new type database is in effect from here */
	if (!b->cli.debug)
		log_set_level(nc.log_level >= 0 ? nc.log_level : LOG_INFO);
	if (fault_changed) {
		fault_set_config(&b->fault, &b->conf.fault, old.fault.seed != b->conf.fault.seed);
		vbr_fault_changed(b);
		log_notice("fault", "reload: fault settings of the file applied");
	}
	apply_lldp(b, &b->conf);
	if (evb_changed) {
		const struct evb_config *e = &b->conf.evb;

		/* The agent sends the new TLV at once (fast transmission);
		 * the operative values follow the negotiation. */
		for (size_t i = 0; i < b->n_ports; i++)
			uplink_set_evb(vbr_port_uplink(b->ports[i]), e);
		log_notice("evb", "reload: EVB now R %u RTE %u RWD %u RKA %u RRCAP %s BGID %s, announced in "
			   "the next LLDPDU", e->r, e->rte, e->rwd, e->rka, e->rrcap ? "on" : "off",
			   e->gid ? "on" : "off");
	}
	vbr_conf_free(&old);
	n = prune(b);
	b->cnt.reloads++;
	b->cnt.vsis_dropped_by_reload += n;
	b->reload_error[0] = 0;
	if (dropped)
		*dropped = n;
	log_notice("main", "reload of %s applied: %zu VSI type(s), %zu VSI(s) de-associated", path,
		   b->conf.db.n_types, n);
	return 0;
}
