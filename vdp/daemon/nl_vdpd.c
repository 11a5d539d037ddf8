/* vdpd glue for the lldpad-compatible netlink front: configuration from the
 * "netlink" group of vdpd.conf and uplink lookup in the daemon's table. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "vdp/base/log.h"
#include "vdp/daemon/intents.h"
#include "vdp/daemon/nl_vdpd.h"
#include "vdp/daemon/realize.h"
#include "vdp/daemon/vdpd.h"
#include "vdp/nlfront/nl_front.h"

static struct uplink *find_uplink(void *ctx, int ifindex, const char *ifname)
{
	struct vdpd *d = ctx;

	/* as rtnl_setlink: ifi_index first, then the name */
	if (ifindex > 0)
		for (size_t i = 0; i < d->n_uplinks; i++)
			if (d->uplinks[i]->u && uplink_ifindex(d->uplinks[i]->u) == ifindex)
				return d->uplinks[i]->u;
	if (ifname) {
		struct vdpd_uplink *du = vdpd_find_uplink(d, ifname);
		return du ? du->u : NULL;
	}
	return NULL;
}

static int check_request(void *ctx, const char *ifname, const uint8_t mac[6], uint16_t vlan, uint8_t mgrid,
			 uint32_t typeid, uint8_t typeidver, const uint8_t uuid[16])
{
	return realize_check_request(ctx, ifname, mac, vlan, mgrid, typeid, typeidver, uuid);
}

static const char *const req_names[] = {
	[NLP_REQ_PREASSOCIATE] = "preassociate",
	[NLP_REQ_PREASSOCIATE_RR] = "preassociate-rr",
	[NLP_REQ_ASSOCIATE] = "associate",
	[NLP_REQ_DISASSOCIATE] = "disassociate",
};

/* The requester of a netlink VSI goes into its intent, so that after a
 * restart the front still answers its status polls and tells its port
 * (nlmsg_pid) when the bridge ends the VSI: libvirt does not notice that
 * vdpd restarted and never asks again by itself. */
static void keep(void *ctx, struct uplink *u, const struct vdp_request *req, uint8_t op, uint32_t pid,
		 uint32_t seq)
{
	struct vdpd *d = ctx;

	if (op >= NLP_REQ_DISASSOCIATE)
		return;
	intents_put_netlink(d->intents, uplink_ifname(u), req,
			    json_pack("{s:I, s:I, s:s, s:i, s:s}", "port", (json_int_t)pid, "seq",
				      (json_int_t)seq, "request", req_names[op], "ifindex",
				      uplink_ifindex(u), "ifname", uplink_ifname(u)));
}

static void drop(void *ctx, struct uplink *u, const uint8_t uuid[16])
{
	struct vdpd *d = ctx;

	if (u)
		intents_drop(d->intents, uplink_ifname(u), VDP_VSIID_UUID, uuid);
}

static void before_ack(void *ctx)
{
	struct vdpd *d = ctx;

	intents_flush(d->intents);
}

static const struct nl_front_ops vdpd_nl_ops = {
	.find_uplink = find_uplink,
	.check_request = check_request,
	.keep = keep,
	.drop = drop,
	.before_ack = before_ack,
};

void vdpd_nl_restore(struct vdpd *d, struct uplink *u, const struct vdp_request *req, json_t *nl)
{
	json_int_t port = json_integer_value(json_object_get(nl, "port"));
	json_int_t seq = json_integer_value(json_object_get(nl, "seq"));
	const char *rq = json_string_value(json_object_get(nl, "request"));
	int op = -1, rc;

	for (int i = 0; rq && i < NLP_REQ_DISASSOCIATE; i++)
		if (!strcmp(rq, req_names[i]))
			op = i;
	if (op < 0 || port <= 0 || port > UINT32_MAX || seq < 0 || seq > UINT32_MAX) {
		log_warn("nl", "%s: stored netlink VSI without a valid port/request: requested again, "
			 "but its requester will not be told if it ends", uplink_ifname(u));
		return;
	}
	if (!d->nl) {
		log_warn("nl", "%s: stored netlink VSI requested again, but netlink.lldpad_compat is off",
			 uplink_ifname(u));
		return;
	}
	rc = nl_front_restore(d->nl, u, req, (uint8_t)op, (uint32_t)port, (uint32_t)seq);
	if (rc < 0)
		log_warn("nl", "%s: stored netlink VSI not served: %s", uplink_ifname(u), strerror(-rc));
}

int vdpd_nl_start(struct vdpd *d)
{
	struct nl_front_config c;
	char err[512];

	d->nl = NULL;
	if (nl_front_config_load(d->opts.config, &c, err, sizeof(err)) < 0) {
		log_err("nl", "%s", err);
		return -1;
	}
	if (!c.enabled)
		return 0;
	d->nl = nl_front_new(d->base, &c, &vdpd_nl_ops, d, err, sizeof(err));
	if (!d->nl) {
		log_err("nl", "lldpad-compatible netlink front: %s", err);
		return -1;
	}
	return 0;
}

void vdpd_nl_reload(struct vdpd *d, const struct nl_front_config *c)
{
	if (d->nl)
		nl_front_reconfigure(d->nl, c);
	else if (c->enabled)
		log_warn("nl", "netlink.lldpad_compat = true: takes effect when vdpd restarts");
}

void vdpd_nl_stop(struct vdpd *d)
{
	nl_front_free(d->nl);
	d->nl = NULL;
}
