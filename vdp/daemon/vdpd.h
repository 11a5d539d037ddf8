/* vdpd, the station-role daemon, as a library: vdp/daemon/main.c only calls
 * vdpd_main() (vdp/daemon/process.c: options, pid file, detach, signals),
 * tests drive the pieces directly.  This file and vdpd.c wire the
 * components; only vdp/daemon knows struct vdpd.
 *
 * One event loop holds: the control socket (vdp/ctl/ctl.h, commands of
 * vdp/daemon/ctl_cmds.h and profiles/reg_ctl.h), the link monitor
 * (vdp/io/linkmon.h), one uplink per configured interface
 * (vdp/engine/uplink.h), and the signals:
 *   SIGTERM/SIGINT  stop: uplinks are freed without sending VDP, so a
 *                   restart within the keep-alive window de-associates no VM;
 *   SIGHUP          reload vdpd.conf: parse fully first, then add/remove
 *                   uplinks and push changed EVB/LLDP values; VSIs of
 *                   unchanged uplinks are not touched. */
#ifndef VDP_VDPD_H
#define VDP_VDPD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "profiles/reg_ctl.h"
#include "vdp/daemon/config.h"
#include "vdp/ctl/ctl.h"
#include "vdp/engine/uplink.h"

#define VDPD_DEFAULT_PIDFILE "/run/vdpd/vdpd.pid"
#define VDPD_SOCKET_MODE 0660
#define VDPD_DEFAULT_INTENTS "/var/lib/vdpd/vsis.json"

struct event;
struct event_base;
struct vclock;
struct ctl_server;
struct intents;
struct log_bursts;
struct linkmon;
struct nl_front;
struct reconcile;
struct qbh;
struct qbh_nl_ops;

struct vdpd_opts {
	const char *config;
	const char *socket;
	const char *pidfile;		/* "" = none */
	bool foreground;
	int debug;			/* log level from -d, -1 = from config / info */
	bool check_only;
	const char *intents;		/* VSI intents file (vdp/daemon/intents.c): NULL or
					 * "" = not kept; vdpd_main() resolves -i,
					 * global.intents_file and the default */
	const char *state_file; /* registry state: NULL none, "" config/default (realize.h) */
	/* Test seams (unit tests run the daemon over socketpairs): the
	 * uplinks' port implementation, links taken as up, no netlink. */
	const struct port_ops *port_ops;
	void *port_ctx;
	bool assume_link_up;
	bool no_linkmon;
	/* 802.1Qbh: the kernel's side (NULL: the real netlink) and the
	 * sysfs root (NULL: /sys) */
	const struct qbh_nl_ops *qbh_ops;
	void *qbh_ctx;
	const char *sysfs;
};

/* One configured uplink.  u is NULL while the interface does not exist
 * (config may name interfaces that appear later). */
struct vdpd_uplink {
	struct cfg_uplink cfg;
	struct uplink *u;
	int ifindex;			/* last known, 0 when absent */
	char absent_why[96];		/* why u is NULL */
	uint64_t link_events;		/* up/down seen by the link monitor */
	struct reconcile *rc; /* the daemon's reconciler (retry state in vsi.show) */
};

struct vdpd_counters {
	uint64_t reloads;
	uint64_t reload_errors;
	uint64_t link_events;
	uint64_t vsi_events[8];		/* by enum vdp_event */
	uint64_t ctl_vsi_add;
	uint64_t ctl_vsi_del;
};

struct vdpd {
	struct vdpd_opts opts;
	struct event_base *base;
	struct vclock *clock;
	struct ctl_server *ctl;
	struct nl_front *nl;		/* lldpad-compatible netlink front (vdp/nlfront/nl_front.h), NULL when off */
	struct linkmon *lm;
	struct vdpd_config cfg;
	size_t n_uplinks;
	struct vdpd_uplink **uplinks;
	struct event *ev_sig[4];
	struct event *ev_status;	/* rate limit of STATUS= */
	struct intents *intents; /* VSI intents (vdp/daemon/intents.h) */
	struct log_bursts *vsi_log; /* per-VSI info lines, aggregated in bursts */
	int pid_fd;
	bool log_from_cli;
	bool log_started; /* vdpd_log_start() done: reloads may move the target */
	uint64_t started_us;		/* vclock time at start */
	struct vdpd_counters cnt;
	char reload_error
		[512]; /* the last reload's refusal, FILE:LINE first; "" after a good one */
	struct reg_ctl reg;		/* port-profile registry (profiles/reg_ctl.h) */
	struct reconcile *rc; /* heals desired VSIs (vdp/daemon/reconcile.h) */
	struct fleet_vdpd *fleet; /* registry.backend "etcd" (fleet_vdpd.h), else NULL */
	struct qbh *qbh; /* 802.1Qbh backend (vdp/io/qbh.h) */
};

/* Building blocks (used by vdpd_main() and by tests). */
int vdpd_init(struct vdpd *d, const struct vdpd_opts *opts, struct vdpd_config *cfg);
void vdpd_fini(struct vdpd *d);
/* Applies a new configuration (takes ownership of cfg's contents). */
void vdpd_apply_config(struct vdpd *d, struct vdpd_config *cfg);
/* SIGHUP and config.reload: all or nothing; on -1 d->reload_error says why. */
int vdpd_reload(struct vdpd *d);
/* global.log_target, "auto" resolved (log_target_auto on /dev/log). */
enum log_target vdpd_log_target(const struct vdpd *d);
/* After detaching: from now on log where vdpd_log_target() says. */
void vdpd_log_start(struct vdpd *d);

/* systemd STATUS= now (later ones are rate-limited to one a second). */
void vdpd_status_now(struct vdpd *d);

struct vdpd_uplink *vdpd_find_uplink(struct vdpd *d, const char *name);
/* The link monitor's report about one interface. */
void vdpd_link_event(struct vdpd *d, const char *ifname, int ifindex, bool exists, bool up);

#endif
