/* One EVB uplink: port + LLDP/EVB + ECP + VDP role.  See uplink.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "vdp/base/eth.h"
#include "vdp/engine/uplink.h"

struct uplink {
	struct event_base *base;
	struct vclock *clock;
	enum uplink_role role;
	const struct uplink_ops *ops;
	void *ctx;

	struct port *port;
	struct lldp_agent agent;
	bool agent_ready;
	struct ecp ecp;
	bool ecp_ready;
	struct vdp_station st;
	struct vdp_bridge br;
	bool vdp_ready;

	struct evb_config evb_cfg;
	struct lldp_agent_config lldp_cfg;
	bool link_up;
	bool tx_seq_valid;
	uint16_t tx_seq;	/* last ECPDU seen leaving (vdp_pdu hook) */
	bool converged;		/* ECP/VDP running with u->oper */
	bool resync;		/* peer changed since convergence: re-associate */
	struct evb_oper oper;
	uint64_t converged_at;
};

static void uplink_notify(struct uplink *u, enum uplink_event ev)
{
	if (u->ops && u->ops->event)
		u->ops->event(u->ctx, u, ev);
}

static void uplink_trace(struct uplink *u, char dir, const uint8_t *frame, size_t len)
{
	if (u->ops && u->ops->trace)
		u->ops->trace(u->ctx, u, dir, frame, len);
}

static void uplink_send(struct uplink *u, const uint8_t *frame, size_t len)
{
	uplink_trace(u, 't', frame, len);
	/* Failures are counted by the port; ECP retransmits, LLDP resends. */
	(void)port_send(u->port, frame, len);
}

/* ---- VDP role glue ---- */

static void st_vsi_event(void *ctx, struct vsi *v, enum vdp_event ev)
{
	struct uplink *u = ctx;

	if (u->ops && u->ops->vsi_event)
		u->ops->vsi_event(u->ctx, u, v, ev);
}

static const struct vdp_station_ops st_ops = {
	.vsi_event = st_vsi_event,
};

static int br_admit(void *ctx, struct vsi *v, const uint8_t mgrid[VDP_MGRID_LEN],
		    const struct vdp_assoc *req, struct vdp_filter *filters, uint16_t n,
		    uint8_t *status_out)
{
	struct uplink *u = ctx;

	if (u->ops && u->ops->admit)
		return u->ops->admit(u->ctx, u, v, mgrid, req, filters, n, status_out);
	*status_out = VDP_R_SUCCESS;
	return VDP_ADMIT_DONE;
}

static bool br_recheck(void *ctx, const struct vsi *v)
{
	struct uplink *u = ctx;

	return u->ops && u->ops->recheck && u->ops->recheck(u->ctx, u, v);
}

static void br_vsi_event(void *ctx, struct vsi *v, enum vdp_bridge_event ev)
{
	struct uplink *u = ctx;

	if (u->ops && u->ops->bridge_event)
		u->ops->bridge_event(u->ctx, u, v, ev);
}

static const struct vdp_bridge_ops br_ops = {
	.admit = br_admit,
	.recheck = br_recheck,
	.vsi_event = br_vsi_event,
};

/* ---- ECP glue ---- */

static void ecp_send_cb(void *ctx, const uint8_t *frame, size_t len)
{
	struct uplink *u = ctx;
	struct ecp_hdr h;
	const uint8_t *ulpdu;
	size_t ulen;

	if (u->ops && u->ops->vdp_pdu && len > ETH_HDR_LEN &&
	    ecp_decode(frame + ETH_HDR_LEN, len - ETH_HDR_LEN, &h, &ulpdu, &ulen) == CODEC_OK &&
	    h.op == ECP_OP_REQUEST && h.subtype == ECP_SUBTYPE_VDP &&
	    (!u->tx_seq_valid || h.seq != u->tx_seq)) {
		/* A retransmission repeats the sequence number. */
		u->tx_seq_valid = true;
		u->tx_seq = h.seq;
		u->ops->vdp_pdu(u->ctx, u, 't', ulpdu, ulen);
	}
	uplink_send(u, frame, len);
}

static void ecp_deliver_cb(void *ctx, uint16_t subtype, const uint8_t *ulpdu, size_t len)
{
	struct uplink *u = ctx;

	/* PE-CSP (802.1BR) ECPDUs are acked by ECP but have no user here. */
	if (subtype != ECP_SUBTYPE_VDP || !u->vdp_ready)
		return;
	if (u->ops && u->ops->vdp_pdu)
		u->ops->vdp_pdu(u->ctx, u, 'r', ulpdu, len);
	switch (u->role) {
	case UPLINK_STATION:
		vdp_station_rx(&u->st, ulpdu, len);
		break;
	case UPLINK_BRIDGE:
		vdp_bridge_rx(&u->br, ulpdu, len);
		break;
	}
}

static void ecp_tx_done_cb(void *ctx, bool acked)
{
	struct uplink *u = ctx;

	switch (u->role) {
	case UPLINK_STATION:
		vdp_station_tx_done(&u->st, acked);
		break;
	case UPLINK_BRIDGE:
		vdp_bridge_tx_done(&u->br, acked);
		break;
	}
}

static const struct ecp_ops uplink_ecp_ops = {
	.send = ecp_send_cb,
	.deliver = ecp_deliver_cb,
	.tx_done = ecp_tx_done_cb,
};

/* ---- EVB convergence ---- */

static void uplink_apply_oper(struct uplink *u)
{
	const struct evb_oper *o = &u->oper;

	ecp_set_params(&u->ecp, o->r, o->rte);
	switch (u->role) {
	case UPLINK_STATION:
		vdp_station_set_params(&u->st, o->r, o->rte, o->rwd, o->rka);
		vdp_station_set_gid(&u->st, o->gid);
		break;
	case UPLINK_BRIDGE:
		vdp_bridge_set_params(&u->br, o->r, o->rte, o->rwd, o->rka);
		break;
	}
}

static bool oper_equal(const struct evb_oper *a, const struct evb_oper *b)
{
	return a->r == b->r && a->rte == b->rte && a->rwd == b->rwd && a->rka == b->rka &&
	       a->rr == b->rr && a->gid == b->gid;
}

/* Re-evaluated after every LLDP agent event. */
static void uplink_evb_update(struct uplink *u)
{
	const struct evb *e = &u->agent.evb;

	if (!u->link_up || !e->converged)
		return;	/* convergence is only lost with the link (see uplink.h) */
	/* ECP is taken from the neighbour whose EVB TLV made these values,
	 * and stays with it when its LLDPDUs stop until another one
	 * negotiates. */
	ecp_set_peer(&u->ecp, u->agent.peer_mac);
	if (!u->converged) {
		u->oper = e->oper;
		u->converged = true;
		u->resync = false;
		u->converged_at = vclock_now(u->clock);
		uplink_apply_oper(u);
		ecp_enable(&u->ecp);
		switch (u->role) {
		case UPLINK_STATION:
			/* Sends every request that waited for EVB. */
			vdp_station_reassociate_all(&u->st);
			break;
		case UPLINK_BRIDGE:
			vdp_bridge_kick(&u->br);
			break;
		}
		uplink_notify(u, UPLINK_EV_CONVERGED);
		return;
	}
	if (oper_equal(&u->oper, &e->oper) && !u->resync)
		return;
	if (!oper_equal(&u->oper, &e->oper)) {
		u->oper = e->oper;
		uplink_apply_oper(u);
		uplink_notify(u, UPLINK_EV_EVB_CHANGED);
	}
	u->resync = false;
	/* Another bridge, or the same one with other timers: it may know
	 * none of our VSIs. */
	if (u->role == UPLINK_STATION)
		vdp_station_reassociate_all(&u->st);
}

static void agent_send_cb(void *ctx, const uint8_t *frame, size_t len)
{
	uplink_send(ctx, frame, len);
}

static void agent_event_cb(void *ctx, enum lldp_agent_event ev)
{
	struct uplink *u = ctx;

	switch (ev) {
	case LLDP_EV_NEW_PEER:
		if (u->converged)
			u->resync = true;
		uplink_notify(u, UPLINK_EV_NEW_PEER);
		break;
	case LLDP_EV_PEER_GONE:
		uplink_notify(u, UPLINK_EV_PEER_GONE);
		break;
	case LLDP_EV_EVB_CHANGED:
		break;
	}
	uplink_evb_update(u);
}

static const struct lldp_agent_ops uplink_agent_ops = {
	.send = agent_send_cb,
	.event = agent_event_cb,
};

/* ---- port ---- */

static void port_rx_cb(void *arg, uint16_t ethertype, const uint8_t *frame, size_t len)
{
	struct uplink *u = arg;

	uplink_trace(u, 'r', frame, len);
	if (!u->link_up)
		return;
	switch (ethertype) {
	case ETHERTYPE_LLDP:
		lldp_agent_rx(&u->agent, frame, len);
		break;
	case ETHERTYPE_ECP:
		ecp_rx(&u->ecp, frame, len);
		break;
	default:
		break;
	}
}

static bool kernel_link_up(const char *ifname)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool up = false;

	if (fd < 0)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
		up = (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
	close(fd);
	return up;
}

/* ---- life cycle ---- */

void uplink_params_default(struct uplink_params *p, enum uplink_role role)
{
	memset(p, 0, sizeof(*p));
	evb_config_default(&p->evb, (uint8_t)role);
	lldp_agent_config_default(&p->lldp);
	p->link = UPLINK_LINK_AUTO;
}

/* The VDP machine of the uplink's role, on its ECP. */
static int vdp_init(struct uplink *u, const struct uplink_params *params)
{
	int err;

	if (u->role == UPLINK_BRIDGE)
		return vdp_bridge_init(&u->br, &br_ops, u, u->clock, &u->ecp);
	err = vdp_station_init(&u->st, &st_ops, u, u->clock, &u->ecp);
	if (err < 0)
		return err;
	if (params->resp_wait_max_us)
		vdp_station_set_resp_wait_max(&u->st, params->resp_wait_max_us);
	/* Requests wait for EVB convergence. */
	vdp_station_pause(&u->st);
	return 0;
}

struct uplink *uplink_new(struct event_base *base, struct vclock *clock, const char *ifname,
			  enum uplink_role role, const struct uplink_params *params,
			  const struct uplink_ops *ops, void *ctx)
{
	struct uplink_params defaults;
	const struct port_info *pi;
	struct uplink *u;
	int err;

	if (!params) {
		uplink_params_default(&defaults, role);
		params = &defaults;
	}
	u = calloc(1, sizeof(*u));
	if (!u) {
		errno = ENOMEM;
		return NULL;
	}
	u->base = base;
	u->clock = clock;
	u->role = role;
	u->ops = ops;
	u->ctx = ctx;
	u->evb_cfg = params->evb;
	u->evb_cfg.role = (uint8_t)role;

	u->port = port_open(base, ifname, params->lldp.dst, params->port_ops, params->port_ctx,
			    port_rx_cb, u);
	if (!u->port) {
		err = errno;
		free(u);
		errno = err;
		return NULL;
	}
	pi = port_info(u->port);

	u->lldp_cfg = params->lldp;
	memcpy(u->lldp_cfg.mac, pi->mac, 6);
	snprintf(u->lldp_cfg.ifname, sizeof(u->lldp_cfg.ifname), "%s", pi->ifname);
	u->lldp_cfg.evb_enabled = true;

	err = lldp_agent_init(&u->agent, &uplink_agent_ops, u, clock, &u->lldp_cfg, &u->evb_cfg);
	if (err < 0)
		goto fail;
	u->agent_ready = true;
	err = ecp_init(&u->ecp, &uplink_ecp_ops, u, clock, pi->mac,
		       pi->mtu < ECP_MAX_MTU ? pi->mtu : ECP_MAX_MTU);
	if (err < 0)
		goto fail;
	u->ecp_ready = true;
	memcpy(u->ecp.dst, u->lldp_cfg.dst, 6);
	err = vdp_init(u, params);
	if (err < 0)
		goto fail;
	u->vdp_ready = true;

	u->link_up = params->link == UPLINK_LINK_AUTO ? kernel_link_up(pi->ifname)
						      : params->link == UPLINK_LINK_UP;
	if (u->link_up)
		lldp_agent_enable(&u->agent);
	return u;
fail:
	uplink_free(u, false);
	errno = err < 0 ? -err : ENOMEM;
	return NULL;
}

void uplink_free(struct uplink *u, bool graceful)
{
	if (!u)
		return;
	if (graceful && u->agent_ready && u->link_up)
		lldp_agent_shutdown(&u->agent);
	if (u->vdp_ready) {
		switch (u->role) {
		case UPLINK_STATION:
			vdp_station_destroy(&u->st);
			break;
		case UPLINK_BRIDGE:
			vdp_bridge_destroy(&u->br);
			break;
		}
	}
	if (u->ecp_ready)
		ecp_free(&u->ecp);
	if (u->agent_ready)
		lldp_agent_free(&u->agent);
	port_close(u->port);
	free(u);
}

void uplink_set_link(struct uplink *u, bool up)
{
	if (up == u->link_up)
		return;
	u->link_up = up;
	if (!up) {
		u->converged = false;
		u->resync = false;
		lldp_agent_disable(&u->agent);
		ecp_disable(&u->ecp);
		ecp_set_peer(&u->ecp, NULL);
		u->tx_seq_valid = false;
		if (u->role == UPLINK_STATION)
			vdp_station_pause(&u->st);
		uplink_notify(u, UPLINK_EV_LINK_DOWN);
		return;
	}
	/* The MAC may have changed while the link was down. */
	if (port_refresh(u->port) == 0) {
		const struct port_info *pi = port_info(u->port);

		if (memcmp(pi->mac, u->lldp_cfg.mac, 6) != 0) {
			memcpy(u->lldp_cfg.mac, pi->mac, 6);
			memcpy(u->agent.cfg.mac, pi->mac, 6);
			memcpy(u->ecp.src, pi->mac, 6);
		}
	}
	uplink_notify(u, UPLINK_EV_LINK_UP);
	lldp_agent_enable(&u->agent);
}

void uplink_set_evb(struct uplink *u, const struct evb_config *cfg)
{
	u->evb_cfg = *cfg;
	u->evb_cfg.role = (uint8_t)u->role;
	lldp_agent_set_evb(&u->agent, &u->evb_cfg);
	uplink_evb_update(u);
}

void uplink_bridge_restart(struct uplink *u)
{
	if (u->role != UPLINK_BRIDGE)
		return;
	vdp_bridge_flush(&u->br);
	/* A restarted bridge has no lastSeq either: the next ECPDU is new. */
	ecp_disable(&u->ecp);
	u->tx_seq_valid = false;
	if (u->converged)
		ecp_enable(&u->ecp);
}

/* ---- accessors ---- */

enum uplink_role uplink_role(const struct uplink *u) { return u->role; }
const char *uplink_ifname(const struct uplink *u) { return port_name(u->port); }
int uplink_ifindex(const struct uplink *u) { return port_info(u->port)->ifindex; }
bool uplink_link_up(const struct uplink *u) { return u->link_up; }
bool uplink_converged(const struct uplink *u) { return u->converged; }
const struct evb_oper *uplink_oper(const struct uplink *u) { return &u->oper; }
uint64_t uplink_converged_at_us(const struct uplink *u) { return u->converged_at; }
struct port *uplink_port(struct uplink *u) { return u->port; }
struct ecp *uplink_ecp(struct uplink *u) { return &u->ecp; }
struct lldp_agent *uplink_agent(struct uplink *u) { return &u->agent; }

struct vdp_station *uplink_station(struct uplink *u)
{
	return u->role == UPLINK_STATION ? &u->st : NULL;
}

struct vdp_bridge *uplink_bridge(struct uplink *u)
{
	return u->role == UPLINK_BRIDGE ? &u->br : NULL;
}

const char *uplink_role_name(enum uplink_role r)
{
	switch (r) {
	case UPLINK_STATION:
		return "station";
	case UPLINK_BRIDGE:
		return "bridge";
	}
	return "?";
}

const char *uplink_event_name(enum uplink_event ev)
{
	switch (ev) {
	case UPLINK_EV_LINK_UP:
		return "link-up";
	case UPLINK_EV_LINK_DOWN:
		return "link-down";
	case UPLINK_EV_CONVERGED:
		return "evb-converged";
	case UPLINK_EV_EVB_CHANGED:
		return "evb-changed";
	case UPLINK_EV_NEW_PEER:
		return "new-peer";
	case UPLINK_EV_PEER_GONE:
		return "peer-gone";
	}
	return "?";
}

/* ---- JSON ---- */

char *uplink_mac_str(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

/* An LLDP ID as text: a MAC for the MAC subtypes, the string when it is
 * printable, else hex. */
static json_t *lldp_id_json(uint8_t subtype, bool is_chassis, const uint8_t *id, uint8_t len)
{
	char buf[2 * LLDP_ID_MAX + 1];
	bool printable = len > 0;
	uint8_t mac_sub = is_chassis ? LLDP_CHASSIS_MAC : LLDP_PORT_MAC;

	if (subtype == mac_sub && len == 6)
		return json_string(uplink_mac_str(id, buf));
	for (uint8_t i = 0; i < len; i++)
		if (!isprint(id[i]))
			printable = false;
	if (printable)
		return json_stringn((const char *)id, len);
	for (uint8_t i = 0; i < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", id[i]);
	buf[2 * len] = 0;
	return json_string(buf);
}

static json_t *evb_tlv_json(const struct evb_tlv *t)
{
	return json_pack("{s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:i, s:i, s:i, s:i}",
			 "bgid", t->bgid, "rrcap", t->rrcap, "rrctr", t->rrctr,
			 "sgid", t->sgid, "rrreq", t->rrreq, "rrstat", t->rrstat,
			 "mode", t->evb_mode, "r", t->r, "rte", t->rte, "rwd", t->rwd, "rka", t->rka);
}

json_t *uplink_ecp_json(const struct ecp *e)
{
	const struct ecp_counters *c = &e->cnt;

	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "tx_ecpdu",
			 (json_int_t)c->tx_ecpdu, "tx_retrans", (json_int_t)c->tx_retrans,
			 "tx_errors", (json_int_t)c->tx_errors, "tx_acks", (json_int_t)c->tx_acks,
			 "rx_ecpdu", (json_int_t)c->rx_ecpdu, "rx_dup", (json_int_t)c->rx_dup,
			 "rx_acks", (json_int_t)c->rx_acks, "rx_ack_stale",
			 (json_int_t)c->rx_ack_stale, "rx_bad", (json_int_t)c->rx_bad,
			 "rx_disabled", (json_int_t)c->rx_disabled, "rx_drop_dst",
			 (json_int_t)c->rx_drop_dst, "rx_drop_src", (json_int_t)c->rx_drop_src);
}

json_t *uplink_lldp_json(const struct lldp_agent *a)
{
	const struct lldp_agent_counters *lc = &a->cnt;

	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "tx_frames",
			 (json_int_t)lc->tx_frames, "rx_frames", (json_int_t)lc->rx_frames,
			 "rx_bad", (json_int_t)lc->rx_bad, "ageouts", (json_int_t)lc->ageouts,
			 "new_peers", (json_int_t)lc->new_peers, "rx_drop_dst",
			 (json_int_t)lc->rx_drop_dst, "rx_drop_peer", (json_int_t)lc->rx_drop_peer);
}

static json_t *port_json(const struct port_stats *s)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "rx_frames", (json_int_t)s->rx_frames, "rx_bytes", (json_int_t)s->rx_bytes,
			 "rx_own", (json_int_t)s->rx_own, "rx_other", (json_int_t)s->rx_other,
			 "rx_short", (json_int_t)s->rx_short, "rx_errors", (json_int_t)s->rx_errors,
			 "tx_frames", (json_int_t)s->tx_frames, "tx_bytes", (json_int_t)s->tx_bytes,
			 "tx_errors", (json_int_t)s->tx_errors);
}

json_t *uplink_status_json(struct uplink *u)
{
	const struct port_info *pi = port_info(u->port);
	const struct lldp_agent *a = &u->agent;
	char mac[18];
	json_t *o, *evb, *peer;

	evb = json_pack("{s:b, s:o, s:o}",
			"converged", u->converged,
			"local", json_pack("{s:i, s:i, s:i, s:i, s:b, s:b}",
					   "r", u->evb_cfg.r, "rte", u->evb_cfg.rte,
					   "rwd", u->evb_cfg.rwd, "rka", u->evb_cfg.rka,
					   "rr", u->role == UPLINK_STATION ? u->evb_cfg.rrreq : u->evb_cfg.rrcap,
					   "gid", u->evb_cfg.gid),
			"peer_tlv", a->evb.have_peer ? evb_tlv_json(&a->evb.peer) : json_null());
	if (u->converged) {
		json_object_set_new(evb, "oper", json_pack("{s:i, s:i, s:i, s:i, s:b, s:b}",
							   "r", u->oper.r, "rte", u->oper.rte,
							   "rwd", u->oper.rwd, "rka", u->oper.rka,
							   "rr", u->oper.rr, "gid", u->oper.gid));
		json_object_set_new(evb, "ack_timeout_us", json_integer((json_int_t)ecp_ack_timeout_us(&u->ecp)));
		/* what ECP and VDP use now, not what was negotiated: a
		 * test can see an EVB change reach them */
		json_object_set_new(evb, "ecp_max_retries", json_integer(u->ecp.max_retries));
		if (u->role == UPLINK_STATION) {
			json_object_set_new(
				evb, "resp_wait_us",
				json_integer((json_int_t)vdp_station_resp_wait_us(&u->st)));
			json_object_set_new(
				evb, "keepalive_us",
				json_integer((json_int_t)vdp_station_keepalive_us(&u->st)));
		}
	} else {
		json_object_set_new(evb, "oper", json_null());
	}
	if (a->has_peer)
		peer = json_pack("{s:o, s:o, s:i}",
				 "chassis_id", lldp_id_json(a->peer_chassis_subtype, true, a->peer_chassis, a->peer_chassis_len),
				 "port_id", lldp_id_json(a->peer_port_subtype, false, a->peer_port, a->peer_port_len),
				 "ttl", a->peer_ttl);
	else
		peer = json_null();
	o = json_pack("{s:s, s:i, s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:o}", "ifname",
		      pi->ifname, "ifindex", pi->ifindex, "mac", uplink_mac_str(pi->mac, mac),
		      "role", uplink_role_name(u->role), "link", u->link_up ? "up" : "down", "mtu",
		      (int)pi->mtu, "evb", evb, "peer", peer, "port",
		      port_json(port_stats(u->port)), "ecp", uplink_ecp_json(&u->ecp), "lldp",
		      uplink_lldp_json(a));
	if (o && a->has_peer)
		json_object_set_new(json_object_get(o, "peer"), "mac",
				    json_string(uplink_mac_str(a->peer_mac, mac)));
	if (o)
		json_object_set_new(o, "group",
				    json_string(uplink_mac_str(port_group(u->port), mac)));
	return o;
}
