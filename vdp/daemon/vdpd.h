/* vdpd, the station-role daemon, as a library: vdp/daemon/main.c only calls
 * vdpd_main(), tests drive the pieces directly.
 *
 * One event loop holds: the control socket (vdp/ctl/ctl.h, commands in
 * vdp/daemon/ctl_cmds.c), the link monitor (vdp/io/linkmon.h), one uplink per
 * configured interface (vdp/engine/uplink.h), and the signals:
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
#include "vdp/store/jlog.h"
#include "vdp/engine/uplink.h"

#define VDPD_DEFAULT_PIDFILE "/run/vdpd/vdpd.pid"
#define VDPD_SOCKET_MODE 0660
#define VDPD_DEFAULT_INTENTS "/var/lib/vdpd/vsis.json"
#define VDPD_MAX_FILTERS 243	/* format vid: (511 - 25) / 2 entries in one VSI TLV */

struct event;
struct event_base;
struct vclock;
struct ctl_server;
struct linkmon;
struct nl_front;
struct reconcile;

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
	const char *state_file;		/* registry state: NULL none, "" config/default (vdp/daemon/reg_vdpd.h) */
	/* Test seams (unit tests run the daemon over socketpairs): the
	 * uplinks' port implementation, links taken as up, no netlink. */
	const struct port_ops *port_ops;
	void *port_ctx;
	bool assume_link_up;
	bool no_linkmon;
};

/* One configured uplink.  u is NULL while the interface does not exist
 * (config may name interfaces that appear later). */
struct vdpd_uplink {
	struct cfg_uplink cfg;
	struct uplink *u;
	int ifindex;			/* last known, 0 when absent */
	char absent_why[96];		/* why u is NULL */
	uint64_t link_events;		/* up/down seen by the link monitor */
	struct reconcile *rc;		/* the daemon's reconciler (retry state in vsi.show) */
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
	json_t *intents;		/* key "uplink|fmt|vsiid" -> vsi.add args */
	struct event *ev_intents;	/* save at the end of the pass / retry */
	bool intents_dirty;		/* changed since the last good flush */
	struct jlog intents_log;	/* FILE.journal: changes since the snapshot */
	bool intents_compact;		/* a change missed the journal: snapshot next */
	uint64_t intents_saves, intents_save_errors;
	uint64_t intents_failing;	/* failed writes since the last good one */
	int pid_fd;
	bool log_from_cli;
	uint64_t started_us;		/* vclock time at start */
	struct vdpd_counters cnt;
	struct reg_ctl reg;		/* port-profile registry (profiles/reg_ctl.h) */
	struct reconcile *rc;		/* heals desired VSIs (vdp/daemon/reconcile.h) */
};

int vdpd_main(int argc, char **argv);

/* Building blocks (used by vdpd_main and by tests). */
int vdpd_init(struct vdpd *d, const struct vdpd_opts *opts, struct vdpd_config *cfg);
void vdpd_fini(struct vdpd *d);
/* Applies a new configuration (takes ownership of cfg's contents). */
void vdpd_apply_config(struct vdpd *d, struct vdpd_config *cfg);
int vdpd_reload(struct vdpd *d);

struct vdpd_uplink *vdpd_find_uplink(struct vdpd *d, const char *name);
/* The link monitor's report about one interface. */
void vdpd_link_event(struct vdpd *d, const char *ifname, int ifindex, bool exists, bool up);

/* VSI intents (vdp/daemon/intents.c): what vsi.add or a netlink requester asked
 * for, kept until vsi.del / DISASSOCIATE, re-requested when the uplink
 * (re)starts and, with a file (default VDPD_DEFAULT_INTENTS), across
 * restarts.  The file is rewritten at most every 200 ms and at a clean
 * stop. */
int vdpd_intents_open(struct vdpd *d);
void vdpd_intents_close(struct vdpd *d);
/* Saves now if anything changed: before a reply acknowledges a change. */
void vdpd_intents_flush(struct vdpd *d);
void vdpd_intent_put(struct vdpd *d, const char *uplink, const struct vdp_request *req);
/* The same for a request of the netlink front; nl ({"port":..,...},
 * taken) says who asked (vdp/daemon/nl_vdpd.c). */
void vdpd_intent_put_netlink(struct vdpd *d, const char *uplink, const struct vdp_request *req, json_t *nl);
/* True if there was one. */
bool vdpd_intent_drop(struct vdpd *d, const char *uplink, uint8_t vsiid_fmt,
		      const uint8_t vsiid[VDP_VSIID_LEN]);
/* The stored vsi.add arguments of a VSI (borrowed), or NULL. */
json_t *vdpd_intent_get(struct vdpd *d, const char *uplink, uint8_t vsiid_fmt, const uint8_t vsiid[VDP_VSIID_LEN]);
/* The bridge refused a change with Keep: the station went back to what it
 * had confirmed (v), and so does the stored intent. */
void vdpd_intent_kept(struct vdpd *d, const char *uplink, const struct vsi *v);
void vdpd_intents_uplink_started(struct vdpd *d, struct vdpd_uplink *du);
json_t *vdpd_intents_stats_json(const struct vdpd *d);

/* Control commands (vdp/daemon/ctl_cmds.c). */
/* vsi.add's argument parsing, shared with the intents: fills *du, req
 * (req->filters = filters, VDPD_MAX_FILTERS entries).  0 or -1 with err. */
int vdpd_vsi_request_parse(struct vdpd *d, json_t *args, struct vdpd_uplink **du,
			   struct vdp_request *req, struct vdp_filter *filters, struct ctl_error *err);
/* The canonical vsi.add arguments for a request. */
json_t *vdpd_request_json(const char *uplink, const struct vdp_request *req);
extern const struct ctl_cmd vdpd_ctl_cmds[];
json_t *vdpd_vsi_json(const struct vdpd_uplink *du, const struct vsi *v);

/* systemd notification (no libsystemd): "READY=1", "STATUS=...".  0, or
 * -errno; nothing is sent when NOTIFY_SOCKET is unset (returns 0). */
int vdpd_sd_notify(const char *msg);
/* Pid file: created and locked for the life of the process.  Returns the
 * fd, or -EEXIST with *other set when a live process holds it. */
int vdpd_pidfile_open(const char *path, pid_t *other);
int vdpd_pidfile_write(int fd);

#endif
