/* A model of the kernel's rtnetlink port-profile path and the Cisco VIC
 * driver (enic) behind the 802.1Qbh backend's netlink seam
 * (struct qbh_nl_ops).  It checks requests as they are checked on a
 * current kernel:
 *   rtnetlink do_setlink/do_setvfinfo: IFLA_VF_MAC with vf >= INT_MAX is
 *     -EINVAL; IFLA_VF_PORTS children must be IFLA_VF_PORT and carry
 *     IFLA_PORT_VF (-EOPNOTSUPP); no port ops: -EOPNOTSUPP;
 *     ifla_port_policy caps PROFILE at 40, the UUIDs at 16 (-ERANGE);
 *     NLA_F_NESTED on nests is ignored (the type is masked);
 *   enic_set_vf_port: REQUEST required (-EOPNOTSUPP); PROFILE exactly 40
 *     octets and UUIDs exactly 16 (-EINVAL, since 2024); a VF index below
 *     num_vfs (-EINVAL; without SR-IOV -EOPNOTSUPP); PORT_SELF only on a
 *     dynamic vNIC (-EOPNOTSUPP); PREASSOCIATE -EOPNOTSUPP; one profile
 *     per port, each request replacing the last; DISASSOCIATE zeroes the
 *     MAC (for PORT_SELF the netdev's), an ASSOCIATE on a zero MAC picks
 *     a random one;
 *   enic_get_vf_port through RTM_GETLINK with RTEXT_FILTER_VF:
 *     IFLA_PORT_SELF (dynamic vNICs) then IFLA_VF_PORTS with one entry per
 *     VF that had a request, REQUEST as u16, RESPONSE INPROGRESS a given
 *     number of times, then SUCCESS (or INVALID for a chosen name);
 *   do_setlink/enic_set_mac_address_dynamic: IFLA_ADDRESS (handled before
 *     the ports; shorter than 6 octets -EINVAL) sets the netdev's MAC, on
 *     a dynamic vNIC also while it is up, a unicast or zero one (else
 *     -EADDRNOTAVAIL; a static vNIC takes no zero MAC either);
 *     addr_errno refuses it instead (a devcmd the firmware did not take);
 *   a transient fault for the retry tests: the next fail_count
 *     (pre)associations end in fail_response (INSUFFICIENT_RESOURCES,
 *     BADSTATE, ERROR: the firmware's answer), or, with fail_errno set, are
 *     refused by set_vf_port with it (-EBUSY: a devcmd the firmware did
 *     not take) leaving the port as it was; then it accepts again. */
#ifndef TESTS_ENIC_MODEL_H
#define TESTS_ENIC_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdp/io/qbh.h"

#define ENIC_MAX_DEVS 8
#define ENIC_MAX_VFS 128
#define ENIC_MAX_QUEUED 32

struct enic_pp {
	bool applied; /* ENIC_PORT_REQUEST_APPLIED */
	uint8_t request;
	bool set_name, set_inst, set_host;
	char name[40]; /* as received: 40 octets */
	uint8_t inst[16], host[16];
	uint8_t mac[6]; /* registered with the switch */
	unsigned inprogress_left;
	uint16_t final;
	unsigned requests; /* set_vf_port calls that reached the port */
};

struct enic_dev {
	char name[16];
	int ifindex;
	bool port_ops; /* ndo_set/get_vf_port (false: e.g. a veth) */
	bool dynamic; /* a dynamic vNIC: PORT_SELF allowed */
	int num_vfs; /* SR-IOV enabled when > 0 */
	uint8_t mac[6]; /* the netdev's address */
	struct enic_pp self, vf[ENIC_MAX_VFS];
};

struct enic_model {
	struct enic_dev dev[ENIC_MAX_DEVS];
	size_t n_dev;
	unsigned inprogress_polls; /* INPROGRESS answers before the final one */
	bool never_done; /* INPROGRESS for ever */
	char invalid_profile[40]; /* this profile ends in INVALID */
	unsigned fail_count; /* (pre)associations still to fail */
	uint16_t fail_response; /* their final response, */
	int fail_errno; /* or (when not 0) set_vf_port's -errno */
	int addr_errno; /* IFLA_ADDRESS refused with it (when not 0) */
	/* seen */
	unsigned setlinks, getlinks, opens, open_fds;
	unsigned setaddrs; /* SETLINKs with IFLA_ADDRESS */
	unsigned zero_mac_assocs; /* (pre)associations on a zero PORT_SELF MAC */
	int last_error; /* of the last SETLINK */
	size_t last_profile_len; /* nla_len of the last IFLA_PORT_PROFILE */
	bool last_had_vf_mac;
	/* datagrams waiting to be read */
	struct {
		int fd;
		size_t len;
		uint8_t *data;
	} q[ENIC_MAX_QUEUED];
	size_t nq;
	uint32_t rnd;
};

extern const struct qbh_nl_ops enic_model_ops;

void enic_model_init(struct enic_model *m);
void enic_model_fini(struct enic_model *m);
struct enic_dev *enic_model_add(struct enic_model *m, const char *name, int ifindex, bool dynamic,
				int num_vfs);
struct enic_dev *enic_model_dev(struct enic_model *m, const char *name);
/* The port of (dev, vf), vf < 0 for PORT_SELF. */
struct enic_pp *enic_model_pp(struct enic_dev *d, int vf);
/* A port already associated (by an earlier run, or another VM). */
void enic_model_preset(struct enic_dev *d, int vf, const char *profile, const uint8_t inst[16],
		       uint8_t request, uint16_t response);

#endif
