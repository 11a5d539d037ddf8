/* What libvirt 9.0 does on its side of the lldpad netlink protocol, as pure
 * functions: the request it builds for an 802.1Qbg <virtualport>
 * (virNetDevVPortProfileOpSetLink), how it reads a SETLINK answer
 * (virNetlinkCommand) and a status reply (virNetDevVPortProfileGetStatus),
 * and how its callback treats an unsolicited message
 * (virNetDevMacVLanVPortProfileCallback).  tools/vdp-nlclient is built on
 * these, and tests compare them with the bytes libvirt was observed to send
 * (shared reference libvirt-kernel.md A.1-A.3). */
#ifndef VDP_NL_LIBVIRT_H
#define VDP_NL_LIBVIRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdp/wire/nl_parse.h"

/* libvirt's timing (virnetdevvportprofile.c). */
#define NLV_POLL_INTERVAL_US 125000u	/* STATUS_POLL_INTERVL_USEC */
#define NLV_POLL_MAX 80u		/* STATUS_POLL_TIMEOUT_USEC / interval */
#define NLV_ACK_TIMEOUT_MS 2000		/* NETLINK_ACK_TIMEOUT_S, used as ms */
#define NLV_FLAGS 0x0005		/* NLM_F_REQUEST | auto NLM_F_ACK */

/* The inputs libvirt has for one 802.1Qbg operation. */
struct nlv_op {
	const char *ifname;		/* root device */
	int32_t ifindex;
	uint8_t mac[6];			/* guest MAC */
	uint16_t vlan;			/* VLAN of the first VLAN device met, else 0 */
	uint8_t mgr_id;			/* managerid */
	uint32_t type_id;		/* typeid (24 bits) */
	uint8_t type_version;		/* typeidversion */
	uint8_t instance[NLP_UUID_LEN];	/* instanceid */
	uint8_t request;		/* PORT_REQUEST_* */
	uint32_t seq;			/* libnl: time(NULL) at socket creation */
	uint32_t event_port;		/* nlmsg_pid: the event-service socket's port */
};

/* The SETLINK libvirt sends (156 octets for a 5-letter ifname). */
int nlv_build_setlink(struct wbuf *w, const struct nlv_op *op);
/* The status query (40 octets). */
int nlv_build_getlink(struct wbuf *w, const struct nlv_op *op);

enum nlv_result {
	NLV_OK = 0,		/* done (SUCCESS) */
	NLV_IN_PROGRESS,	/* poll again */
	NLV_FAILED,		/* libvirt reports an error (text says which) */
};

/* libvirt's reading of the first datagram after a SETLINK: NLMSG_ERROR with
 * error 0 is success; anything else fails with the text libvirt logs. */
enum nlv_result nlv_eval_ack(const void *buf, size_t len, int32_t ifindex, char *text, size_t text_len);

/* libvirt's reading of a status reply for (vf = PORT_SELF_VF, instance):
 * NLV_OK, NLV_IN_PROGRESS, or NLV_FAILED with libvirt's message in text.
 * *response gets IFLA_PORT_RESPONSE when present (else 0x101). */
enum nlv_result nlv_eval_status(const void *buf, size_t len, const struct nlv_op *op,
				uint16_t *response, char *text, size_t text_len);

/* libvirt's callback filter for an unsolicited message: true when a client
 * holding mac would re-associate (nlmsg_pid equals the lldpad pid, type
 * RTM_SETLINK, MAC matches or no VFINFO_LIST, a port with request
 * DISASSOCIATE). */
bool nlv_callback_wants_reassoc(const void *buf, size_t len, uint32_t lldpad_pid, const uint8_t mac[6]);

/* Reads a pid file as libvirt does (virNetDevVPortProfileGetLldpadPid):
 * at most 10 octets, base 10, trailing whitespace allowed, 0 refused.
 * Returns the pid or a negative errno. */
long nlv_read_pidfile(const char *path);

#endif
