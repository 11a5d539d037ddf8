/* 802.1Qbh backend: a port profile is applied by the NIC (an enic-like
 * adapter whose firmware talks to the port extender), not by VDP.  The
 * host hands the profile id, the VSI's instance UUID and the host UUID to
 * the driver through the kernel: RTM_SETLINK with IFLA_PORT_SELF (the
 * device itself) or IFLA_VF_PORTS/IFLA_VF_PORT (an SR-IOV VF of a PF),
 * reaching ndo_set_vf_port (shared reference A.1.2, B.2, B.3).
 *
 * One exchange with the kernel (nl_pid 0) per call: rtnetlink handles the
 * request inside sendmsg(), so the NLMSG_ERROR ack is already queued when
 * we read it; the call does not wait on the adapter.  After a good ack one
 * RTM_GETLINK (RTEXT_FILTER_VF) reads the driver's PORT_PROFILE_RESPONSE_*;
 * IN-PROGRESS is reported as such, not polled for. */
#ifndef VDP_QBH_H
#define VDP_QBH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdp/base/cursor.h"

#define QBH_SELF_VF (-1)	/* PORT_SELF_VF */
#define QBH_MSG_MAX 200

/* PORT_PROFILE_RESPONSE_* of if_link.h */
enum qbh_response {
	QBH_RESP_SUCCESS = 0x100,
	QBH_RESP_INPROGRESS = 0x101,
	QBH_RESP_INVALID = 0x102,
	QBH_RESP_BADSTATE = 0x103,
	QBH_RESP_INSUFFICIENT_RESOURCES = 0x104,
	QBH_RESP_ERROR = 0x105,
};

struct qbh_req {
	const char *dev;	/* the bound device, for messages */
	const char *target;	/* device addressed: dev itself or its PF */
	int ifindex;		/* of target */
	int32_t vf;		/* QBH_SELF_VF or the VF index on target */
	const char *profile;	/* profile id, 1..39 characters */
	uint8_t instance[16];	/* IFLA_PORT_INSTANCE_UUID: the interface id */
	bool has_host_uuid;
	uint8_t host_uuid[16];
	bool associate;		/* PORT_REQUEST_ASSOCIATE, else _DISASSOCIATE */
};

struct qbh_result {
	int error;		/* 0, or -errno of the kernel's ack / of our I/O */
	bool has_response;	/* the driver reported a PORT_PROFILE_RESPONSE_* */
	uint16_t response;
	char msg[QBH_MSG_MAX];	/* one line for logs and vdpctl */
};

struct qbh_counters {
	uint64_t requests, acked, errors, unsupported;
};

/* The RTM_SETLINK message (flags REQUEST|ACK, nl_pid 0). Associate: profile,
 * instance UUID, host UUID (when known), request; disassociate: only the
 * request (and IFLA_PORT_VF), as libvirt sends it.  NLP_OK, CODEC_E_NO_SPACE,
 * or -EINVAL for a profile id of 40 characters or more. */
int qbh_build_setlink(struct wbuf *w, uint32_t seq, uint32_t pid, const struct qbh_req *r);

/* Which device to address for dev: its PF and VF index when dev is an SR-IOV
 * VF (sysfs device/physfn), else dev itself with QBH_SELF_VF.  sysfs: root
 * of /sys/class/net (NULL: the real one).  0 or -errno. */
int qbh_target(const char *sysfs, const char *dev, char pf[16], int32_t *vf);

/* The host UUID from a machine-id file (32 hex digits; NULL =
 * /etc/machine-id).  0 or -errno. */
int qbh_host_uuid(const char *path, uint8_t out[16]);

/* Sends r to the kernel and fills res (res->msg always set).  Returns
 * res->error. */
int qbh_apply(const struct qbh_req *r, struct qbh_result *res);

/* Resolves the port and applies: an SR-IOV VF dev -> its PF with vf = N;
 * anything else (a macvtap, or no dev) -> uplink, libvirt's <source dev>,
 * with PORT_SELF.  Host UUID from /etc/machine-id (left out if unreadable). */
int qbh_apply_dev(const char *dev, const char *uplink, const char *profile, const uint8_t instance[16],
		  bool associate, struct qbh_result *res);

/* The last result per VSI (interface id), kept for vdpctl; NULL if none. */
void qbh_remember(const char *iface_id, const struct qbh_result *res);
const struct qbh_result *qbh_last(const char *iface_id);

const char *qbh_response_name(uint16_t response);
const struct qbh_counters *qbh_counters(void);

#endif
