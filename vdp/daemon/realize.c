/* The registry's realizer: what the registry wants (desired VSIs, see
 * profiles/registry.h reg_ops) becomes VDP station requests on the uplink
 * each names, or 802.1Qbh requests to the NIC driver (see realize.h).
 * An edge binding (reg_bind) or any other change goes reg_reconcile_one ->
 * ops->vsi_desired = realize_vsi() here -> request_vsi() ->
 * vdp_station_request(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vdp/daemon/realize.h"
#include "vdp/daemon/fleet_vdpd.h"
#include "profiles/resolve.h"
#include "vdp/base/log.h"
#include "vdp/ctl/ctl.h"
#include "vdp/io/qbh.h"
#include "vdp/engine/uplink.h"
#include "vdp/daemon/vdpd.h"

/* 802.1Qbh: the profile id goes to the NIC driver through the kernel
 * (vdp/io/qbh.h); the outcome arrives later and is kept per interface id. */
static int request_qbh(struct vdpd *d, const struct reg_vsi *v, uint8_t mode)
{
	/* migrating in: PREASSOCIATE_RR, ASSOCIATE once the VM runs here */
	struct qbh_vsi q = { .key = v->iface_id,
			     .dev = v->dev,
			     .uplink = v->uplink,
			     .profile = v->profileid,
			     .migrate = v->migrating };
	int rc;

	if (!d->qbh)
		return -ENODEV;
	if (mode == VDP_MODE_DEASSOC) {
		rc = qbh_disassociate(d->qbh, v->iface_id);
		return rc == -ENOENT ? 0 : rc;
	}
	/* libvirt's instance UUID is the domain's (one per VM, all its
	 * interfaces); the interface-id when the domain is unknown or
	 * qbh.instance_uuid = "interface-id" */
	if (d->cfg.qbh.instance_is_iface_id || !v->vm_uuid[0] ||
	    reg_uuid_parse(v->vm_uuid, q.instance) < 0)
		memcpy(q.instance, v->instance, 16);
	return qbh_associate(d->qbh, &q);
}

static int request_vsi(struct vdpd *d, const struct reg_vsi *v, uint8_t mode)
{
	struct vdpd_uplink *du = vdpd_find_uplink(d, v->uplink);
	struct vdp_request req;
	struct vdp_filter f;
	int rc;

	if (v->type != REG_VPORT_QBG)
		return request_qbh(d, v, mode);
	if (!du || !du->u) {
		/* Requested again by realize_uplink_started(). */
		log_notice("reg", "%s: uplink %s is not running; %s waits for it", v->iface_id,
			   v->uplink, mode == VDP_MODE_DEASSOC ? "de-association" : "association");
		return -ENETDOWN;
	}
	reg_vsi_to_request(v, mode, &req, &f);
	rc = vdp_station_request(uplink_station(du->u), &req);
	if (rc < 0 && !(rc == -ENOENT && mode == VDP_MODE_DEASSOC))
		log_warn("reg", "%s: %s on %s refused by the station: %s", v->iface_id,
			 mode == VDP_MODE_DEASSOC ? "de-association" : "association", v->uplink,
			 strerror(-rc));
	return rc;
}

/* monitor's "registry" topic: what the registry asked of the switch,
 * or why it could not ask yet. */
static void publish(struct vdpd *d, const char *ev, const struct reg_vsi *v, int rc)
{
	if (!ctl_server_wants(d->ctl, "registry"))
		return;
	ctl_server_publish(d->ctl, "registry",
			   json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s}", "event", ev, "iface_id",
				     v->iface_id, "network", v->network, "profile", v->profile,
				     "uplink", v->uplink, "vlan", (int)v->vlan, "result",
				     rc == -ENETDOWN  ? "waits for the uplink"
					     : rc < 0 ? strerror(-rc)
						      : "requested"));
}

/* A move keeps the VSIID (= interface-id): on the same uplink one
 * Associate with the new type replaces the old (802.1Qbg 41.5.5, an
 * associated VSI may be re-associated with changed parameters); on
 * another uplink, or when the VSI goes away, the old one is
 * de-associated. */
static void realize_vsi(void *ctx, const struct reg_vsi *old, const struct reg_vsi *cur)
{
	struct vdpd *d = ctx;
	/* 802.1Qbh to 802.1Qbh: the backend moves it (one ASSOCIATE on the
	 * same port keeps enic's MAC, another port is disassociated there) */
	bool qbh_move = old && cur && old->type == REG_VPORT_QBH && cur->type == REG_VPORT_QBH;

	if (old && !qbh_move &&
	    (!cur || strcmp(old->uplink, cur->uplink) || cur->type != REG_VPORT_QBG ||
	     old->type != REG_VPORT_QBG)) {
		log_info("reg", "%s: de-associate (network %s, profile %s)", old->iface_id,
			 old->network, old->profile);
		publish(d, "de-associate", old, request_vsi(d, old, VDP_MODE_DEASSOC));
	}
	if (cur) {
		log_info("reg", "%s: associate on %s (network %s, profile %s, vlan %u)",
			 cur->iface_id, cur->uplink, cur->network, cur->profile, cur->vlan);
		publish(d, "associate", cur, request_vsi(d, cur, VDP_MODE_ASSOC));
	}
}

static const struct reg_ops realize_ops = { .vsi_desired = realize_vsi };

/* The 802.1Qbh backend with vdpd.conf's qbh group: the host UUID as
 * libvirt takes it (SMBIOS) unless configured. */
static int qbh_start(struct vdpd *d)
{
	const struct cfg_qbh *c = &d->cfg.qbh;
	struct qbh_cfg qc = {
		.sysfs = d->opts.sysfs,
		.poll_us = (uint64_t)c->poll_ms * 1000,
		.deadline_us = (uint64_t)c->timeout_ms * 1000,
		/* the registry's VSIs are all vdpd's to heal, as with 802.1Qbg;
		 * the cap is the reconciler's */
		.retry_initial_us = (uint64_t)c->retry_initial_ms * 1000,
		.retry_max_us = (uint64_t)d->cfg.retry_max_ms * 1000,
	};

	if (c->host_from == CFG_QBH_HOST_GIVEN) {
		qc.has_host_uuid = true;
		memcpy(qc.host_uuid, c->host_uuid, 16);
	} else if (c->host_from == CFG_QBH_HOST_SMBIOS) {
		int rc = qbh_host_uuid(d->opts.sysfs, qc.host_uuid);
		qc.has_host_uuid = rc == 0;
		if (rc < 0)
			log_notice("qbh",
				   "no SMBIOS system UUID (%s/class/dmi/id/product_uuid: %s): "
				   "802.1Qbh requests "
				   "go without a host UUID; set qbh.host_uuid to give one",
				   d->opts.sysfs ? d->opts.sysfs : "/sys", strerror(-rc));
	}
	if (!d->clock)
		return 0; /* no event loop (vdpd -t): nothing is sent */
	d->qbh = qbh_new(d->clock, d->opts.qbh_ops, d->opts.qbh_ctx, &qc);
	return d->qbh ? 0 : -ENOMEM;
}

int realize_start(struct vdpd *d)
{
	const char *cfg =
		d->opts.config && access(d->opts.config, R_OK) == 0 ? d->opts.config : NULL;
	const char *state = d->opts.state_file;
	struct reg_err err;
	int rc;

	if ((rc = qbh_start(d)) < 0)
		return rc;
	rc = reg_ctl_open(&d->reg, cfg, state ? (state[0] ? state : NULL) : "", &realize_ops, d,
			  &err);
	if (rc < 0) {
		log_err("reg", "registry: %s", err.msg);
		qbh_free(d->qbh);
		d->qbh = NULL;
		return rc;
	}
	log_info("reg", "registry: policy %s, state %s, %s",
		 reg_policy_name(reg_get_policy(d->reg.reg)),
		 d->reg.state_path[0] ? d->reg.state_path : "not persisted",
		 d->reg.shadowed ? "some stored entries shadowed by vdpd.conf" : "loaded");
	return fleet_vdpd_start(d);
}

void realize_stop(struct vdpd *d)
{
	/* Nothing is de-associated: a restart must leave every VM as it is. */
	fleet_vdpd_stop(d);
	reg_ctl_close(&d->reg);
	qbh_free(d->qbh);
	d->qbh = NULL;
}

void realize_config(struct vdpd *d)
{
	if (d->qbh)
		qbh_set_retry(d->qbh, (uint64_t)d->cfg.qbh.retry_initial_ms * 1000,
			      (uint64_t)d->cfg.retry_max_ms * 1000);
}

void realize_uplink_started(struct vdpd *d, struct vdpd_uplink *du)
{
	const struct reg_vsi **v;
	size_t n;

	if (!d->reg.reg)
		return;
	v = reg_vsis(d->reg.reg, &n);
	for (size_t i = 0; i < n; i++)
		/* an 802.1Qbh VSI does not depend on the VDP uplink, and a
		 * repeated ASSOCIATE would make the adapter re-associate */
		if (!strcmp(v[i]->uplink, du->cfg.name) && v[i]->type == REG_VPORT_QBG)
			request_vsi(d, v[i], VDP_MODE_ASSOC);
	free(v);
}

int realize_check_request(struct vdpd *d, const char *ifname, const uint8_t mac[6], uint16_t vlan,
			  uint8_t mgrid, uint32_t typeid, uint8_t typeidver, const uint8_t uuid[16])
{
	struct reg_err why, err;
	int rc;

	if (!d->reg.reg)
		return 0;
	rc = reg_check_request(d->reg.reg, ifname, mac, vlan, mgrid, typeid, typeidver, uuid, &why);
	if (rc < 0) {
		log_warn("reg", "libvirt request refused by policy %s: %s",
			 reg_policy_name(reg_get_policy(d->reg.reg)), why.msg);
		return rc;
	}
	if (why.msg[0])
		log_info("reg", "%s", why.msg);
	if (reg_ctl_save(&d->reg, &err) < 0)
		log_err("reg", "learned binding not saved: %s", err.msg);
	return 0;
}

int realize_reload_prepare(struct vdpd *d, struct reg_reload *rl, char *errbuf, size_t errlen)
{
	const char *cfg =
		d->opts.config && access(d->opts.config, R_OK) == 0 ? d->opts.config : NULL;
	struct reg_err err;
	int rc;

	memset(rl, 0, sizeof(*rl));
	if (!d->reg.reg)
		return 0;
	rc = reg_ctl_reload_prepare(&d->reg, cfg, rl, &err);
	if (rc < 0)
		snprintf(errbuf, errlen, "registry: %s", err.msg);
	return rc;
}

void realize_reload_commit(struct vdpd *d, struct reg_reload *rl)
{
	struct reg_err err;

	if (!d->reg.reg || !rl->next)
		return;
	if (reg_ctl_reload_commit(&d->reg, rl, &err) < 0)
		log_err("reg", "registry reloaded but not saved: %s", err.msg);
	else
		log_info("reg", "registry reloaded: policy %s",
			 reg_policy_name(reg_get_policy(d->reg.reg)));
}

int realize_check_config(const char *path, struct reg_err *err)
{
	struct reg *reg = reg_new(NULL, NULL);
	struct reg_config cfg;
	int rc;

	if (!reg)
		return -ENOMEM;
	rc = access(path, R_OK) == 0 ? reg_config_load_file(reg, path, &cfg, err) : 0;
	reg_free(reg);
	return rc;
}
