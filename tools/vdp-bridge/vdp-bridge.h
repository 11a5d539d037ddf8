/* vdp-bridge: a software IEEE 802.1Qbg bridge-role peer (EVB bridge, ECP,
 * VDP bridge state machine) with a VSI type database, fault injection, a
 * control socket and an optional nftables datapath.  See docs/vdp-bridge.md. */
#ifndef VDP_BRIDGE_TOOL_H
#define VDP_BRIDGE_TOOL_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lldp/evb.h"
#include "vdp/ctl/ctl.h"
#include "tools/vdp-bridge/fault.h"
#include "tools/vdp-bridge/typedb.h"
#include "vdp/engine/uplink.h"

#define VBR_DEFAULT_CONF "/etc/vdpd/vdp-bridge.conf"
#define VBR_DEFAULT_SOCK "/run/vdpd/vdp-bridge.sock"
#define VBR_MAX_IFACES 64
#define VBR_RELOAD_ERR_LEN 768

struct event_base;
struct event;
struct linkmon;

struct vbr_datapath_conf {
	bool enable;
	char bridge[IF_NAMESIZE];	/* Linux bridge the ports belong to */
	char table[64];			/* nftables bridge-family table */
	char nft[256];			/* nft program */
	bool hairpin;			/* reflective relay on the station ports */
	bool vlan_isolation;		/* unicast only between VSIs of one VID */
	size_t n_ports;			/* station-facing ports; 0 = the VDP interfaces */
	char ports[VBR_MAX_IFACES][IF_NAMESIZE];
};

struct vbr_conf {
	int log_level;			/* -1 = not set */
	char ctl_path[256];
	size_t n_ifaces;
	char ifaces[VBR_MAX_IFACES][IF_NAMESIZE];
	struct evb_config evb;		/* role bridge */
	uint32_t lldp_tx_interval;	/* 0 = agent default */
	uint32_t lldp_tx_hold;
	struct typedb db;
	struct fault_config fault;
	struct vbr_datapath_conf dp;
};

/* conf.c */
void vbr_conf_init(struct vbr_conf *c);
void vbr_conf_free(struct vbr_conf *c);
/* 0, or -1 with err ("FILE:LINE: ..."). */
int vbr_conf_load(struct vbr_conf *c, const char *path, char *err, size_t errlen);
json_t *vbr_conf_json(const struct vbr_conf *c);

/* Per-VSI bookkeeping of the tool (vsi->user). */
struct vbr_vsi {
	uint64_t created_us;
	uint64_t last_request_us;	/* last request TLV seen for it (keep-alives included) */
	uint64_t keepalives;
	bool counted;			/* in vbr.n_active */
};

/* Delayed / held frames of the fault taps. */
struct vbr_frame;

struct vbr_port;

struct vbr_counters {
	uint64_t rx_req[5];		/* request TLVs by type 1..4 (index = type) */
	uint64_t tx_resp[5];		/* response TLVs by type */
	uint64_t tx_reason[16];		/* response TLVs by reason */
	uint64_t tx_keep;
	uint64_t tx_hard;
	uint64_t tx_unsolicited;	/* bridge-initiated De-Associates */
	uint64_t rx_pdu, tx_pdu;	/* VDP ULPDUs */
	uint64_t admit_calls;
	uint64_t admitted;
	uint64_t refused;
	uint64_t rule_answers;		/* answered by a fault rule */
	uint64_t restarts;
	uint64_t reloads;		/* configurations applied (SIGHUP, config.reload) */
	uint64_t reload_errors;		/* reloads refused: bad file, restart needed */
	uint64_t vsis_dropped_by_reload;	/* de-associated: no longer admitted */
};

/* What the command line set: it wins over the file, also on reload. */
struct vbr_cli {
	char conf_path[256];		/* -f, or the default file */
	bool ifaces;			/* -i */
	bool ctl_path;			/* -s */
	bool seed;			/* --seed */
	bool debug;			/* -d */
};

struct vbr {
	struct event_base *base;
	struct vclock *clock;
	struct vbr_conf conf;
	struct fault fault;
	struct ctl_server *ctl;
	struct event *sig_ev[5];
	struct datapath *dp;
	struct event *dp_ev;		/* coalesces datapath updates */
	struct linkmon *lm;		/* vdp/linkmon: link up/down of the ports */
	size_t n_ports;
	struct vbr_port *ports[VBR_MAX_IFACES];
	size_t n_active;		/* VSIs with a confirmed association, all ports */
	uint64_t started_us;
	struct vbr_counters cnt;
	struct vbr_cli cli;
	char reload_error[VBR_RELOAD_ERR_LEN];	/* why the last reload was refused ("" = none) */
	/* How the ports reach the network (NULL: AF_PACKET); test_bctl and
	 * fuzz_bctl run the bridge on socketpairs (tests/unit/vbr_fx.h). */
	const struct port_ops *port_ops;
	void *port_ctx;
};

/* bridge.c */
int vbr_start_ports(struct vbr *b);
void vbr_stop_ports(struct vbr *b, bool graceful);
struct uplink *vbr_port_uplink(struct vbr_port *p);
struct vbr_port *vbr_find_port(struct vbr *b, const char *ifname);
/* Forget all VSI state on every port (fault "restart"). */
void vbr_restart(struct vbr *b);
/* Applies b->fault.cfg to the taps (after a change). */
void vbr_fault_changed(struct vbr *b);
/* Associated MACs changed: tell the datapath. */
void vbr_datapath_dirty(struct vbr *b);

/* reload.c: SIGHUP / config.reload.  Parses cli.conf_path into a new
 * configuration and applies it whole, or refuses it whole (bad file,
 * interfaces / control socket / datapath changed: restart needed) keeping
 * the old one.  0, or -1 with err set; counted and logged either way.
 * *dropped (may be NULL): VSIs de-associated because the new type database
 * no longer admits them. */
int vbr_reload(struct vbr *b, char *err, size_t errlen, size_t *dropped);
/* The status the type database in effect answers for the confirmed
 * request of VSI v (0 = still admitted), the reason in *why. */
uint8_t vbr_readmit(struct vbr *b, struct uplink *u, const struct vsi *v, const char **why);

/* bctl.c */
extern const struct ctl_cmd vbr_ctl_cmds[];
json_t *vbr_vsi_json(struct vbr *b, struct uplink *u, struct vsi *v);

/* datapath.c: nftables sets of associated VSI MACs and their VLANs. */
struct datapath;
/* One (MAC, VID) pair of a confirmed MAC/VID filter. */
struct vbr_dp_entry {
	uint8_t mac[6];
	uint16_t vid;
};
struct datapath *datapath_new(struct event_base *base, const struct vbr_datapath_conf *c,
			      const char *const *ports, size_t n_ports);
/* Desired (MAC, VID) pairs, any order, duplicates allowed; the datapath
 * converges to them. */
void datapath_set(struct datapath *d, const struct vbr_dp_entry *e, size_t n);
json_t *datapath_json(const struct datapath *d);
/* Removes the table (blocking, at exit) and frees. */
void datapath_free(struct datapath *d);

/* client.c: `vdp-bridge [-s SOCK] [-j] [-p] OBJECT VERB ...` */
int vbr_client(const char *sock, bool json, bool pretty, int argc, char **argv);

#endif
