/* The lldpad-compatible netlink front: libvirt, unmodified, talks to vdpd
 * as it talks to lldpad (docs/libvirt.md).
 *
 *  - A NETLINK_ROUTE socket bound with our pid as port id (created before
 *    any libnl socket so the pid is free), SO_PASSCRED on; the pid goes to
 *    /var/run/lldpad.pid, where libvirt looks for its VDP daemon.
 *  - RTM_SETLINK (802.1Qbg <virtualport>) -> vdp_station_request() on the
 *    uplink named by ifi_index / IFLA_IFNAME; RTM_GETLINK -> status of every
 *    VSI of that uplink (multi-part when large).  Only root or
 *    CAP_NET_ADMIN senders (kernel-provided credentials) are served.
 *  - Every request is answered (NLMSG_ERROR) to its source address; the
 *    answer waits until the VSI settles or ack_delay_ms passes, so that
 *    libvirt's first status poll already sees the final result.
 *  - Results belong to the request they answer; a finished VSI stays
 *    listed until its result was read; ended VSIs can be requested again.
 *  - When the bridge de-associates a VSI, or keep-alives fail for good, an
 *    unsolicited DISASSOCIATE goes to the requester's nlmsg_pid (libvirt
 *    then re-associates).
 *  - A VSI whose macvtap/macvlan (same MAC, on that uplink) is deleted is
 *    de-associated after linkdel_grace_ms unless the link comes back. */
#ifndef VDP_NL_FRONT_H
#define VDP_NL_FRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vdp/wire/nl_parse.h"
#include "vdp/engine/vdp_station.h"

struct event_base;
struct uplink;
struct nl_front;

#define NLF_DEFAULT_PIDFILE "/var/run/lldpad.pid"

struct nl_front_config {
	bool enabled;			/* netlink.lldpad_compat */
	char pidfile[256];		/* "" = write none */
	uint32_t ack_delay_ms;		/* longest wait for a VSI to settle before answering */
	uint32_t linkdel_grace_ms;	/* macvtap deleted -> de-associate after this */
	uint32_t linger_ms;		/* finished result kept this long after its first read */
	uint32_t unread_max_ms;		/* ... and at most this long unread */
	uint32_t part_max;		/* octets per status message (>= 256) */
	bool require_admin;		/* root or CAP_NET_ADMIN only (default true) */
};

void nl_front_config_default(struct nl_front_config *c);
/* Reads the top-level "netlink" group of vdpd.conf (libconfig):
 *	netlink = { lldpad_compat = true; pidfile = "/var/run/lldpad.pid";
 *		    ack_delay_ms = 300; linkdel_grace_ms = 5000; linger_ms = 2000;
 *		    unread_max_ms = 600000; part_max = 16384; require_admin = true; };
 * A missing file or group leaves the defaults (disabled).  0, or -1 with
 * err ("FILE:LINE: ..."). */
int nl_front_config_load(const char *path, struct nl_front_config *c, char *err, size_t errlen);

struct nl_front_ops {
	/* The station uplink for ifindex (> 0) or else ifname; NULL if none. */
	struct uplink *(*find_uplink)(void *ctx, int ifindex, const char *ifname);
	/* Optional: may refuse a (pre-)association before it reaches the
	 * station (the registry's policy, vdp/daemon/realize.h).  0, or
	 * -errno answered to libvirt as is (counted in refused). */
	int (*check_request)(void *ctx, const char *ifname, const uint8_t mac[6], uint16_t vlan,
			     uint8_t mgrid, uint32_t typeid, uint8_t typeidver, const uint8_t uuid[16]);
	/* Optional persistence (DESIGN: nothing lost; libvirt never re-sends
	 * after a restart of vdpd).  keep: a (pre-)association of requester
	 * port pid was accepted; req is what went to the station, op the
	 * PORT_REQUEST_*.  drop: the requester no longer owns the VSI (it
	 * asked for DISASSOCIATE, its macvtap went, or it was told that the
	 * bridge ended the VSI and will ask again itself). */
	void (*keep)(void *ctx, struct uplink *u, const struct vdp_request *req, uint8_t op, uint32_t pid,
		     uint32_t seq);
	void (*drop)(void *ctx, struct uplink *u, const uint8_t uuid[16]);
	/* Optional: runs before a success answer leaves, so that what keep
	 * and drop recorded is on disk by the time libvirt hears "done". */
	void (*before_ack)(void *ctx);
};

struct nl_front_counters {
	uint64_t rx_datagrams, rx_msgs;
	uint64_t rx_kernel;		/* datagrams from the kernel on the request socket */
	uint64_t rx_errors;		/* recvmsg failures, truncated datagrams */
	uint64_t denied;		/* neither root nor CAP_NET_ADMIN: -EPERM */
	uint64_t no_creds;		/* no SCM_CREDENTIALS: -EPERM */
	uint64_t setlink, getlink, other_type;
	uint64_t req_op[4];		/* by PORT_REQUEST_* */
	uint64_t malformed[NLP_NERR];	/* by -nlp_err */
	uint64_t no_device;		/* no uplink for the request: -ENODEV */
	uint64_t not_station;		/* uplink in bridge role: -EOPNOTSUPP */
	uint64_t refused;		/* vdp_station_request() < 0 */
	uint64_t deassoc_noop;		/* de-associate of an unknown/ended VSI: success */
	uint64_t acks_sent, acks_settled, acks_bounded, ack_send_errors;
	uint64_t ack_batches; /* sendmmsg calls that sent the answers */
	uint64_t status_msgs, status_parts, status_entries, status_send_errors;
	uint64_t results_ok, results_failed;
	uint64_t unsolicited_sent, unsolicited_errors;
	uint64_t linkdel_read; /* macvtap/macvlan deletions read, a VSI's or not */
	uint64_t linkdel_seen, linkdel_cancelled, linkdel_deassoc;
	uint64_t records_freed;
};

/* Binds the socket and takes the pid file.  NULL with err filled when the
 * pid file is held by a live lldpad (or another vdpd), when our pid is
 * taken as a netlink port, or on a system error. */
struct nl_front *nl_front_new(struct event_base *base, const struct nl_front_config *cfg,
			      const struct nl_front_ops *ops, void *ctx, char *err, size_t errlen);
/* SIGHUP: takes ack_delay_ms, linkdel_grace_ms, linger_ms, unread_max_ms,
 * part_max and require_admin from cfg at once (timers already running keep
 * their deadline).  lldpad_compat and pidfile wait for the next start: the
 * front's port is our pid, which libnl's sockets may hold by now; a change
 * of them is logged.  Returns the number of settings changed. */
int nl_front_reconfigure(struct nl_front *f, const struct nl_front_config *cfg);
/* Answers pending requests, closes, removes the pid file if it still holds
 * our pid.  Sends nothing to the bridge. */
void nl_front_free(struct nl_front *f);

/* After daemon(): the pid changed, so the socket is bound again with the
 * new pid and the pid file rewritten.  0, or -1 with err filled. */
int nl_front_after_fork(struct nl_front *f, char *err, size_t errlen);

/* A VSI that an earlier life of the daemon was asked for and that was
 * requested again on u (req): the front serves it as if the request had
 * just come from port pid and been reported associated: status polls
 * show success, a later loss of the association is told to pid.  0, or
 * -errno. */
int nl_front_restore(struct nl_front *f, struct uplink *u, const struct vdp_request *req, uint8_t op,
		     uint32_t pid, uint32_t seq);

/* From the daemon's uplink_ops.vsi_event (station role). */
void nl_front_vsi_event(struct nl_front *f, struct uplink *u, struct vsi *v, enum vdp_event ev);

uint32_t nl_front_port(const struct nl_front *f);
const struct nl_front_counters *nl_front_counters(const struct nl_front *f);
size_t nl_front_records(const struct nl_front *f);
/* {"port":N,"pidfile":..,"records":N,"counters":{...}} */
json_t *nl_front_json(const struct nl_front *f);

#endif
