/* One EVB uplink, role-generic: the glue that both daemons use.
 *
 *	port (AF_PACKET) --LLDP--> lldp_agent (EVB TLV negotiation)
 *	                 --ECP---> ecp --VDP--> vdp_station (vdpd) or
 *	                                        vdp_bridge  (vdp-bridge)
 *
 * Life cycle, the parts 802.1Qbg leaves to the implementation:
 *  - ECP and VDP start when EVB has converged (a TLV from a peer of the
 *    opposite role arrived, 802.1Qbg-2012 41.3 / D.2.12); the operative R,
 *    RTE, RWD, RKA (max of both sides) are pushed to ECP and VDP first.
 *    Station requests made before that are accepted and wait.
 *  - Link down: LLDP and ECP stop, the station pauses (every VSI keeps its
 *    desired state).  Link up: LLDP restarts, EVB negotiates again, and on
 *    convergence the station re-sends every VSI's current request.
 *  - A new peer (another neighbour, once the previous one aged out or
 *    shut down: see lldp_agent.h) or changed operative EVB values after
 *    convergence: the station re-associates every VSI, since the new
 *    bridge knows none of them (41.5.5: the station owns the state).
 *  - The bridge role forgets nothing on link events; its keep-alive
 *    timeout (toutKeepAlive) ends VSIs whose station went away.
 *  - Admission: the port, the LLDP agent and ECP take only frames sent to
 *    the uplink's EVB group address (params->lldp.dst), ECP only from the
 *    source MAC of the LLDP neighbour that negotiated EVB.
 *
 * The uplink owns its port, agent, ECP and VDP instance.  Callbacks run from
 * the event loop; none of them may free the uplink. */
#ifndef VDP_UPLINK_H
#define VDP_UPLINK_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "lldp/evb.h"
#include "lldp/lldp_agent.h"
#include "vdp/engine/ecp.h"
#include "vdp/io/port.h"
#include "vdp/engine/vdp_bridge.h"
#include "vdp/engine/vdp_station.h"

struct event_base;
struct uplink;

enum uplink_role {
	UPLINK_STATION = EVB_MODE_STATION,
	UPLINK_BRIDGE = EVB_MODE_BRIDGE,
};

enum uplink_link {
	UPLINK_LINK_AUTO = 0,	/* ask the kernel (IFF_UP and IFF_RUNNING) */
	UPLINK_LINK_UP,
	UPLINK_LINK_DOWN,
};

enum uplink_event {
	UPLINK_EV_LINK_UP,
	UPLINK_EV_LINK_DOWN,
	UPLINK_EV_CONVERGED,	/* EVB converged: ECP/VDP running (u->oper valid) */
	UPLINK_EV_EVB_CHANGED,	/* operative values changed after convergence */
	UPLINK_EV_NEW_PEER,	/* LLDP: first peer or another chassis/port ID */
	UPLINK_EV_PEER_GONE,	/* LLDP: peer aged out or shut down */
};

/* What the daemon hears.  Every member is optional. */
struct uplink_ops {
	void (*event)(void *ctx, struct uplink *u, enum uplink_event ev);
	/* Station role. */
	void (*vsi_event)(void *ctx, struct uplink *u, struct vsi *v, enum vdp_event ev);
	/* Bridge role: see struct vdp_bridge_ops.  Without admit every
	 * request is accepted. */
	int (*admit)(void *ctx, struct uplink *u, struct vsi *v, const uint8_t mgrid[VDP_MGRID_LEN],
		     const struct vdp_assoc *req, struct vdp_filter *filters, uint16_t n,
		     uint8_t *status_out);
	void (*bridge_event)(void *ctx, struct uplink *u, struct vsi *v, enum vdp_bridge_event ev);
	/* Every frame received (after the port's tap) and sent (before it),
	 * for tracing; dir is 'r' or 't'. */
	void (*trace)(void *ctx, struct uplink *u, char dir, const uint8_t *frame, size_t len);
	/* Every VDP ULPDU delivered by ECP ('r', duplicates excluded) and
	 * handed to ECP ('t', first transmission only), for counters. */
	void (*vdp_pdu)(void *ctx, struct uplink *u, char dir, const uint8_t *ulpdu, size_t len);
	/* Bridge role: see recheck in struct vdp_bridge_ops. */
	bool (*recheck)(void *ctx, struct uplink *u, const struct vsi *v);
};

struct uplink_params {
	struct evb_config evb;		/* role is overwritten by uplink_new's role */
	struct lldp_agent_config lldp;	/* mac/ifname filled in from the port */
	enum uplink_link link;
	uint64_t resp_wait_max_us;	/* station: 0 keeps the engine default */
	/* The port's seam (NULL: AF_PACKET). */
	const struct port_ops *port_ops;
	void *port_ctx;
};

/* Defaults for a role: evb_config_default(), lldp_agent_config_default(),
 * link AUTO. */
void uplink_params_default(struct uplink_params *p, enum uplink_role role);

/* Opens the port and starts LLDP when the link is up.  NULL with errno set
 * (ENODEV: no such interface, EPERM: no CAP_NET_RAW, ENOMEM). */
struct uplink *uplink_new(struct event_base *base, struct vclock *clock, const char *ifname,
			  enum uplink_role role, const struct uplink_params *params,
			  const struct uplink_ops *ops, void *ctx);
/* Sends an LLDP shutdown frame (TTL 0) if graceful, then frees everything
 * without sending VDP (a restart must not de-associate VMs). */
void uplink_free(struct uplink *u, bool graceful);

/* From the daemon's link monitor. */
void uplink_set_link(struct uplink *u, bool up);
/* New local EVB configuration (re-negotiates). */
void uplink_set_evb(struct uplink *u, const struct evb_config *cfg);

enum uplink_role uplink_role(const struct uplink *u);
const char *uplink_ifname(const struct uplink *u);
int uplink_ifindex(const struct uplink *u);
bool uplink_link_up(const struct uplink *u);
bool uplink_converged(const struct uplink *u);
/* Operative EVB values (meaningful once converged). */
const struct evb_oper *uplink_oper(const struct uplink *u);
uint64_t uplink_converged_at_us(const struct uplink *u);

struct port *uplink_port(struct uplink *u);
struct ecp *uplink_ecp(struct uplink *u);
struct lldp_agent *uplink_agent(struct uplink *u);
/* The role's VDP instance; NULL for the other role. */
struct vdp_station *uplink_station(struct uplink *u);
struct vdp_bridge *uplink_bridge(struct uplink *u);

/* Bridge role: forget every VSI and ECP's sequence state without sending
 * (a crashed and restarted bridge, for fault injection). */
void uplink_bridge_restart(struct uplink *u);

/* Status of the uplink as a JSON object (new reference): ifname, ifindex,
 * mac, role, link, evb (converged, local, peer, operative values), peer
 * (chassis/port id, source MAC), group (the EVB group address the uplink
 * admits), port/ECP/LLDP counters. */
json_t *uplink_status_json(struct uplink *u);
/* ECP counters alone, as a JSON object. */
json_t *uplink_ecp_json(const struct ecp *e);
/* LLDP agent counters alone, as a JSON object. */
json_t *uplink_lldp_json(const struct lldp_agent *a);

const char *uplink_role_name(enum uplink_role r);
const char *uplink_event_name(enum uplink_event ev);

/* Formats a MAC as "aa:bb:cc:dd:ee:ff" into buf (18 octets). */
char *uplink_mac_str(const uint8_t mac[6], char buf[18]);

#endif
