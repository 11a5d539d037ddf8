/* Policy for libvirt's netlink requests: off, learn or enforce (see
 * registry.h, reg_check_request). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiles/reg_int.h"

/* ---- policy for libvirt requests ---- */

int reg_check_request(struct reg *reg, const char *ifname, const uint8_t mac[6], uint16_t vlan,
		      uint8_t mgrid, uint32_t typeid, uint8_t typeidver, const uint8_t uuid[16],
		      struct reg_err *why)
{
	char id[REG_UUID_STRLEN + 1], m[18], bm[18];
	const struct bnode *bn;
	const struct reg_vsi *v;

	if (why)
		why->msg[0] = 0;
	reg_uuid_format(uuid, id);
	reg_mac_format(mac, m);
	bn = reg_map_get(&reg->bindings, id);
	switch (reg->policy) {
	case REG_POLICY_OFF:
		return 0;
	case REG_POLICY_LEARN:
		if (bn) {
			reg_mac_format(bn->b.mac, bm);
			if (strcmp(bn->b.uplink, ifname) || memcmp(bn->b.mac, mac, 6))
				return reg_fail(why, -EACCES,
						"instance %s is bound to mac %s on %s, request has "
						"mac %s on %s",
						id, bm, bn->b.uplink, m, ifname);
			return 0;
		} else {
			struct reg_binding b = { .origin = REG_ORIGIN_LEARNED };
			struct reg_err e;
			int rc;

			memcpy(b.iface_id, id, sizeof(id));
			memcpy(b.mac, mac, 6);
			snprintf(b.uplink, sizeof(b.uplink), "%s", ifname);
			rc = reg_bind(reg, &b, &e);
			/* An unknown uplink is no reason to refuse under learn:
			 * the request passes, unrecorded. */
			if (rc == -ENOENT)
				return reg_fail(why, 0, "passed, not learned: %s", e.msg);
			if (rc < 0)
				return reg_fail(why, -EACCES, "%s", e.msg);
			return 0;
		}
	case REG_POLICY_ENFORCE:
		break;
	}
	if (!reg_map_get(&reg->attachments, id))
		return reg_fail(why, -EACCES, "instance %s is not attached to any network", id);
	if (!bn)
		return reg_fail(why, -EACCES, "instance %s has no edge binding", id);
	if (!(v = reg_map_get(&reg->vsis, id)))
		return reg_fail(why, -EACCES, "instance %s: binding and attachment do not meet",
				id);
	reg_mac_format(v->mac, bm);
	if (strcmp(v->uplink, ifname))
		return reg_fail(why, -EACCES, "instance %s: request on %s, bound on uplink %s", id,
				ifname, v->uplink);
	if (memcmp(v->mac, mac, 6))
		return reg_fail(why, -EACCES, "instance %s: request mac %s, bound mac %s", id, m,
				bm);
	/* VID 0 asks the bridge to choose (802.1Qbg 41.2.9, null VID). */
	if (vlan && vlan != v->vlan)
		return reg_fail(why, -EACCES,
				"instance %s: request vlan %u, network '%s' has vlan %u", id, vlan,
				v->network, v->vlan);
	if (v->type != REG_VPORT_QBG)
		return reg_fail(why, -EACCES,
				"instance %s: profile '%s' is 802.1Qbh, request is 802.1Qbg", id,
				v->profile);
	if (v->mgrid != mgrid || v->typeid != typeid || v->typeidver != typeidver)
		return reg_fail(why, -EACCES,
				"instance %s: request managerid %u typeid %u version %u, profile "
				"'%s' has %u/%u/%u",
				id, mgrid, typeid, typeidver, v->profile, v->mgrid, v->typeid,
				v->typeidver);
	return 0;
}
