/* Resolution: what the hypervisor must plug for an interface-id, i.e. the
 * answer to "which source dev (eth4) and which profile (enterprise-xyz)?",
 * and the libvirt XML that says it.  See docs/registry.md. */
#ifndef VDP_RESOLVE_H
#define VDP_RESOLVE_H

#include <jansson.h>

#include "profiles/registry.h"
#include "vdp/engine/vdp_station.h"

struct reg_resolution {
	char iface_id[REG_UUID_STRLEN + 1];
	char network[REG_NAME_MAX];
	char profile[REG_NAME_MAX];
	char uplink[IFNAMSIZ];		/* the host uplink chosen (or bound) */
	/* What goes into <source dev>: the uplink, or for an 802.1Qbg profile
	 * with a VLAN its VLAN device "eth4.10", because libvirt takes the VID
	 * of its VDP request from the first VLAN device under the macvtap
	 * (reference A.1.1) and the station must tag the VM's frames. */
	char source_dev[IFNAMSIZ + 8];
	enum reg_mode mode;
	uint16_t vlan;
	bool bound;			/* an edge binding exists: mac and dev below */
	uint8_t mac[6];
	char dev[IFNAMSIZ];
	enum reg_vport type;
	uint8_t mgrid;
	uint32_t typeid;
	uint8_t typeidver;
	char profileid[REG_QBH_PROFILEID_MAX + 1];
};

/* 0, or -EINVAL (not a UUID), -ENOENT (not attached), -ENODEV (no host
 * uplink reaches the network's physical network).  Unbound interfaces get
 * the least-used uplink of the physical network (ties: by name), as
 * libvirt's own network driver picks its forward interface. */
int reg_resolve(const struct reg *reg, const char *iface_id, struct reg_resolution *r, struct reg_err *err);
json_t *reg_resolution_to_json(const struct reg_resolution *r);

/* <interface type='direct'> for a domain (malloc'd, NUL-terminated). */
char *reg_resolution_xml(const struct reg_resolution *r);

/* A libvirt <network> for a physical network: name is a registry network
 * (its physical network is exported) or a physical network name.  Forward
 * mode from the uplinks (they must agree), every uplink of the physical
 * network as <interface dev>, one <portgroup> per profile used by a
 * network on it with that profile's <virtualport>; the portgroup of the
 * named network's profile is the default.  malloc'd text or NULL with err. */
char *reg_export_libvirt_network(const struct reg *reg, const char *name, struct reg_err *err);

/* The VDP request for a desired VSI (802.1Qbg profiles only): one filter
 * entry with the bound MAC and the VLAN (41.2.9), VSIID format 5 (UUID),
 * the one-octet manager id first in the 16-octet Manager ID as lldpad puts
 * libvirt's managerid on the wire.  filter must outlive req.  -EINVAL for
 * an 802.1Qbh VSI. */
int reg_vsi_to_request(const struct reg_vsi *v, uint8_t mode, struct vdp_request *req, struct vdp_filter *filter);

#endif
