/* vdpd glue for the lldpad-compatible netlink front: configuration from the
 * "netlink" group of vdpd.conf and uplink lookup in the daemon's table. */
#include <string.h>

#include "log.h"
#include "nl_front.h"
#include "vdpd.h"
#include "profiles/reg_vdpd.h"

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
	return vdpd_reg_check_request(ctx, ifname, mac, vlan, mgrid, typeid, typeidver, uuid);
}

static const struct nl_front_ops vdpd_nl_ops = {
	.find_uplink = find_uplink,
	.check_request = check_request,
};

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

void vdpd_nl_stop(struct vdpd *d)
{
	nl_front_free(d->nl);
	d->nl = NULL;
}
