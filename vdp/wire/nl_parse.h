/* The lldpad-compatible rtnetlink protocol between libvirt and a VDP daemon:
 * a pure parser for the RTM_SETLINK / RTM_GETLINK requests libvirt sends
 * (802.1Qbg <virtualport>), and builders for every message of the protocol
 * (NLMSG_ERROR acks, status replies, the unsolicited DISASSOCIATE, and the
 * requests themselves, used by tools/vdp-nlclient).
 *
 * No I/O, no libnl: netlink attributes are walked with explicit bounds
 * checks so that each malformed case gets its own error code (libnl's
 * nla_parse() folds them into -NLE_RANGE/-NLE_INVAL) and so the parser can
 * be fuzzed standalone.  Netlink fields are in host byte order.
 *
 * Layouts: docs/libvirt.md and shared reference libvirt-kernel.md A.1-A.3. */
#ifndef VDP_NL_PARSE_H
#define VDP_NL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdp/base/cursor.h"

#define NLP_IFNAMSIZ 16
#define NLP_UUID_LEN 16
#define NLP_PROFILE_MAX 40
#define NLP_MAX_FILTERS 8	/* IFLA_VF_INFO entries kept per request */
#define NLP_PORT_SELF_VF 0xFFFFFFFFu

/* PORT_REQUEST_* of if_link.h */
enum nlp_request_op {
	NLP_REQ_PREASSOCIATE = 0,
	NLP_REQ_PREASSOCIATE_RR = 1,
	NLP_REQ_ASSOCIATE = 2,
	NLP_REQ_DISASSOCIATE = 3,
};

/* Every malformed or unacceptable request has its own code. */
enum nlp_err {
	NLP_OK = 0,
	/* framing */
	NLP_E_SHORT_HDR = -1,		/* fewer than 16 octets for struct nlmsghdr */
	NLP_E_MSG_LEN = -2,		/* nlmsg_len < 16 or beyond the datagram */
	NLP_E_SHORT_IFINFO = -3,	/* no room for struct ifinfomsg */
	NLP_E_MSG_TYPE = -4,		/* nlmsg_type is not RTM_SETLINK / RTM_GETLINK */
	NLP_E_ATTR_LEN = -5,		/* nla_len < 4 or past the end of its container */
	NLP_E_TRAILING = -6,		/* 1..3 stray octets after the last attribute */
	/* attribute payloads */
	NLP_E_IFNAME = -7,		/* IFLA_IFNAME empty, too long or not a valid name */
	NLP_E_VFINFO_CHILD = -8,	/* IFLA_VFINFO_LIST holds something other than IFLA_VF_INFO */
	NLP_E_VF_MAC_LEN = -9,		/* IFLA_VF_MAC shorter than struct ifla_vf_mac (36) */
	NLP_E_VF_VLAN_LEN = -10,	/* IFLA_VF_VLAN shorter than struct ifla_vf_vlan (12) */
	NLP_E_TOO_MANY_FILTERS = -11,	/* more than NLP_MAX_FILTERS IFLA_VF_INFO */
	NLP_E_VF_PORTS_CHILD = -12,	/* IFLA_VF_PORTS holds something other than IFLA_VF_PORT */
	NLP_E_MULTI_PORT = -13,		/* more than one IFLA_VF_PORT (or VF_PORTS and PORT_SELF) */
	NLP_E_PORT_VF_LEN = -14,	/* IFLA_PORT_VF not 4 octets */
	NLP_E_PROFILE_LEN = -15,	/* IFLA_PORT_PROFILE over 40 octets */
	NLP_E_VSI_TYPE_LEN = -16,	/* IFLA_PORT_VSI_TYPE not 8 octets */
	NLP_E_UUID_LEN = -17,		/* IFLA_PORT_INSTANCE_UUID not 16 octets */
	NLP_E_HOST_UUID_LEN = -18,	/* IFLA_PORT_HOST_UUID over 16 octets */
	NLP_E_REQUEST_LEN = -19,	/* IFLA_PORT_REQUEST empty or over 4 octets */
	NLP_E_REQUEST_RANGE = -20,	/* IFLA_PORT_REQUEST not 0..3 */
	NLP_E_RESPONSE_LEN = -21,	/* IFLA_PORT_RESPONSE not 2 octets */
	NLP_E_EXT_MASK_LEN = -22,	/* IFLA_EXT_MASK not 4 octets */
	/* semantics (nlp_check_setlink) */
	NLP_E_NO_PORT = -23,		/* SETLINK without IFLA_VF_PORTS */
	NLP_E_PORT_SELF = -24,		/* IFLA_PORT_SELF: an 802.1Qbh request, for the kernel */
	NLP_E_PORT_VF = -25,		/* IFLA_PORT_VF other than PORT_SELF_VF (an SR-IOV VF) */
	NLP_E_NO_REQUEST = -26,		/* no IFLA_PORT_REQUEST */
	NLP_E_NO_UUID = -27,		/* no IFLA_PORT_INSTANCE_UUID */
	NLP_E_UUID_ZERO = -28,		/* the nil UUID (all 16 octets zero) */
	NLP_E_NO_VSI_TYPE = -29,	/* (pre-)associate without IFLA_PORT_VSI_TYPE */
	NLP_E_NO_FILTER = -30,		/* (pre-)associate without IFLA_VF_MAC / IFLA_VF_VLAN */
	NLP_E_MAC_INVALID = -31,	/* filter MAC is zero or multicast */
	NLP_E_VLAN_RANGE = -32,		/* VLAN id above 4094 */
	NLP_E_QOS_RANGE = -33,		/* qos (PCP) above 7 */
	NLP_E_NO_DEVICE = -34,		/* neither ifi_index > 0 nor IFLA_IFNAME */
};
#define NLP_NERR 35

const char *nlp_strerror(int err);
/* The negative errno a NLMSG_ERROR answer carries for err (-EINVAL mostly,
 * -EOPNOTSUPP for Qbh/SR-IOV, -ENODEV without a device). */
int nlp_errno(int err);

/* One filter entry, from one IFLA_VF_INFO. */
struct nlp_filter {
	bool has_mac, has_vlan;
	uint32_t mac_vf, vlan_vf;
	uint8_t mac[6];
	uint16_t vlan;
	uint8_t qos;
};

/* The contents of one IFLA_VF_PORT (or IFLA_PORT_SELF). */
struct nlp_port {
	bool has_vf, has_vsi_type, has_uuid, has_request, has_response;
	bool has_profile, has_host_uuid;
	uint32_t vf;
	uint8_t mgr_id;
	uint32_t type_id;	/* 24 bits; on the wire LSB first */
	uint8_t type_version;
	uint8_t uuid[NLP_UUID_LEN];
	uint8_t request;	/* enum nlp_request_op */
	uint16_t response;
	char profile[NLP_PROFILE_MAX + 1];
};

struct nlp_msg {
	/* header */
	uint32_t len;		/* nlmsg_len: octets this message used */
	uint16_t type;		/* RTM_SETLINK or RTM_GETLINK */
	uint16_t flags;
	uint32_t seq;
	uint32_t pid;		/* nlmsg_pid: libvirt's event-service port */
	/* ifinfomsg */
	int32_t ifindex;
	/* attributes */
	bool has_ifname;
	char ifname[NLP_IFNAMSIZ];
	bool has_ext_mask;
	uint32_t ext_mask;
	bool has_vfinfo;
	unsigned n_filters;
	struct nlp_filter filters[NLP_MAX_FILTERS];
	unsigned n_ports;	/* IFLA_VF_PORT entries seen */
	bool port_self;		/* the port came from IFLA_PORT_SELF */
	struct nlp_port port;
};

/* Parses the message at the start of buf (a datagram may hold several;
 * m->len tells where the next starts, NLMSG_ALIGN'ed by the caller).
 * Checks framing and every attribute it knows; unknown attributes are
 * skipped.  Returns NLP_OK or an NLP_E_* code; on error the header fields
 * of m are still filled when the header could be read, so an answer can be
 * addressed. */
int nlp_parse(const void *buf, size_t len, struct nlp_msg *m);
/* Semantic checks of a parsed RTM_SETLINK as a VDP request. */
int nlp_check_setlink(const struct nlp_msg *m);

/* ---- builders: each appends one whole netlink message to w.  On overflow
 * w->err is set and the function returns CODEC_E_NO_SPACE (-11). */

struct nlp_hdr {
	uint16_t type, flags;
	uint32_t seq, pid;
};

/* NLMSG_ERROR (36 octets): error 0 = ack, else -errno; the request's header
 * is echoed as the kernel does. */
int nlp_build_ack(struct wbuf *w, const void *req, size_t req_len, uint32_t our_pid, int error);

/* A SETLINK request as libvirt 9.0 builds it for 802.1Qbg, and (with
 * has_port_vf, flags 0, seq of the request) the unsolicited DISASSOCIATE. */
struct nlp_setlink {
	struct nlp_hdr h;
	int32_t ifindex;
	const char *ifname;	/* NULL: no IFLA_IFNAME */
	bool has_filter;
	uint8_t mac[6];
	uint16_t vlan;
	uint8_t qos;
	bool has_vsi_type;
	uint8_t mgr_id;
	uint32_t type_id;
	uint8_t type_version;
	uint8_t uuid[NLP_UUID_LEN];
	bool has_port_vf;	/* IFLA_PORT_VF = 0xFFFFFFFF */
	uint8_t request;
};
int nlp_build_setlink(struct wbuf *w, const struct nlp_setlink *s);

/* An 802.1Qbh request for the kernel (NIC driver's ndo_set_vf_port), laid
 * out as libvirt's but without IFLA_VFINFO_LIST (rtnetlink refuses
 * IFLA_VF_MAC with vf = PORT_SELF_VF) and with the profile NUL-padded to
 * NLP_PROFILE_MAX (40) octets, the length enic requires (libvirt sends
 * strlen+1).  vf == NLP_PORT_SELF_VF: IFLA_PORT_SELF nest; else
 * IFLA_VF_PORTS{IFLA_VF_PORT{IFLA_PORT_VF = vf, ...}}.  profile (at most
 * 39 characters are used), instance and host UUID are put when
 * non-NULL. */
struct nlp_qbh_setlink {
	struct nlp_hdr h;
	int32_t ifindex;
	uint32_t vf;
	const char *profile;
	const uint8_t *uuid;		/* IFLA_PORT_INSTANCE_UUID, 16 octets */
	const uint8_t *host_uuid;	/* IFLA_PORT_HOST_UUID, 16 octets */
	uint8_t request;		/* enum nlp_request_op */
};
int nlp_build_qbh_setlink(struct wbuf *w, const struct nlp_qbh_setlink *s);

/* libvirt's status query: ifinfomsg + IFLA_EXT_MASK = RTEXT_FILTER_VF. */
int nlp_build_getlink(struct wbuf *w, const struct nlp_hdr *h, int32_t ifindex);

/* RTM_SETLINK setting a netdev's address: ifinfomsg + IFLA_ADDRESS (6
 * octets), as `ip link set dev DEV address MAC` sends it. */
int nlp_build_setaddr(struct wbuf *w, const struct nlp_hdr *h, int32_t ifindex,
		      const uint8_t mac[6]);

/* One VSI in a status reply. */
struct nlp_vsi_status {
	uint8_t uuid[NLP_UUID_LEN];
	bool has_response;	/* false while in progress */
	uint16_t response;	/* 0 success, VDP reason on failure */
};
/* Octets one entry takes in IFLA_VF_PORTS. */
size_t nlp_status_entry_size(const struct nlp_vsi_status *v);
/* A status message (type RTM_NEWLINK, flags as given, e.g. NLM_F_MULTI):
 * ifinfomsg + IFLA_VF_PORTS with as many of the n entries as fit in w and
 * in one nest (65535 octets).  Returns how many were put (0 when n is 0);
 * CODEC_E_NO_SPACE if not even the empty message fits. */
int nlp_build_status(struct wbuf *w, const struct nlp_hdr *h, int32_t ifindex,
		     const struct nlp_vsi_status *v, size_t n);
/* NLMSG_DONE ending a multi-part reply. */
int nlp_build_done(struct wbuf *w, const struct nlp_hdr *h);

/* ---- client side: reading a status reply the way libvirt does. */
struct nlp_status_reply {
	uint16_t type;		/* NLMSG_DONE, RTM_NEWLINK or NLMSG_ERROR */
	uint16_t flags;
	int error;		/* NLMSG_ERROR: the errno field */
	int32_t ifindex;
	bool has_vf_ports;
	size_t n;		/* entries seen */
	size_t n_kept;		/* entries stored (<= cap) */
	struct nlp_port *ports;	/* caller's array */
	size_t cap;
	bool has_port_self;	/* IFLA_PORT_SELF (802.1Qbh, from the kernel) */
	struct nlp_port self;
};
/* Parses one status/ack message.  Returns NLP_OK or an NLP_E_* code. */
int nlp_parse_reply(const void *buf, size_t len, struct nlp_status_reply *r);

/* ---- link notifications (RTMGRP_LINK): enough to tell a deleted
 * macvtap/macvlan and its lower device. */
struct nlp_link {
	uint16_t type;		/* RTM_NEWLINK / RTM_DELLINK */
	int32_t ifindex;
	bool has_mac;
	uint8_t mac[6];		/* IFLA_ADDRESS when 6 octets */
	int32_t link;		/* IFLA_LINK (lower device), 0 if absent */
	char kind[16];		/* IFLA_LINKINFO/IFLA_INFO_KIND, "" if absent */
	char ifname[NLP_IFNAMSIZ];
};
/* NLP_OK, or an NLP_E_* code (NLP_E_MSG_TYPE for other messages). */
int nlp_parse_link(const void *buf, size_t len, struct nlp_link *l);

/* UUID text (36 chars + NUL) and back. */
void nlp_uuid_format(const uint8_t uuid[NLP_UUID_LEN], char out[37]);
bool nlp_uuid_parse(const char *s, uint8_t uuid[NLP_UUID_LEN]);

#endif
