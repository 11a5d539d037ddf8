/* vdpd: process life (options, pid file, signals, systemd notification)
 * and the set of uplinks.  See vdpd.h. */
#include "vdp/daemon/vdpd.h"
#include "vdp/nlfront/nl_front.h"
#include "vdp/daemon/reg_vdpd.h"
#include "vdp/daemon/reconcile.h"
#include "vdp/daemon/reconcile_vdpd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "vdp/ctl/ctl.h"
#include "vdp/io/linkmon.h"
#include "vdp/base/log.h"
#include "vdp/io/vclock_event.h"
#include "vdp/wire/vdp_text.h"

#ifndef VDP_VERSION
#define VDP_VERSION "0.1"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vdpd [OPTIONS]\n"
		"IEEE 802.1Qbg VDP station daemon.\n"
		"\n"
		"  -f, --config FILE      configuration (default " CFG_DEFAULT_PATH ")\n"
		"  -s, --socket PATH      control socket (default " VDPD_DEFAULT_SOCKET ")\n"
		"  -p, --pidfile PATH     pid file (default " VDPD_DEFAULT_PIDFILE "; \"\" for none)\n"
		"  -S, --state FILE       registry state (default from vdpd.conf, else /var/lib/vdpd/registry.json)\n"
		"  -i, --intents FILE     keep the requested VSIs (vdpctl, libvirt) in FILE across\n"
		"                         restarts (default global.intents_file, else\n"
		"                         " VDPD_DEFAULT_INTENTS "; \"\" for none)\n"
		"  -F, --foreground       do not detach; log to stderr\n"
		"  -d, --debug[=LEVEL]    log level: error, warning, notice, info, debug (default debug)\n"
		"  -t, --check-config     parse the configuration, report, exit 0 (valid) or 1\n"
		"  -V, --version          print the version and exit\n"
		"  -h, --help             print this help and exit\n"
		"\n"
		"Signals: SIGHUP reloads the configuration; SIGTERM and SIGINT stop without\n"
		"de-associating any VSI.  See vdpd(8), vdpd.conf(5), vdpctl(8).\n");
}

/* ---- systemd notification and pid file ---- */

int vdpd_sd_notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd, rc = 0;

	if (!path || !*path)
		return 0;
	/* "/path" or "@abstract"; sun_path need not be NUL-terminated. */
	if ((path[0] != '/' && path[0] != '@') || strlen(path) > sizeof(sun.sun_path))
		return -EINVAL;
	memcpy(sun.sun_path, path, strlen(path));
	if (path[0] == '@')
		sun.sun_path[0] = 0;
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sun, len) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int vdpd_pidfile_open(const char *path, pid_t *other)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	/* The lock, not the file's existence, tells a live daemon: a pid
	 * file left by a crash is simply taken over. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;

		*other = 0;
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			buf[n] = 0;
			*other = (pid_t)atoi(buf);
		}
		close(fd);
		return err == EWOULDBLOCK ? -EEXIST : -err;
	}
	return fd;
}

/* /run/vdpd may not exist when vdpd is started by hand (systemd creates it
 * through RuntimeDirectory=): create the last directory level only. */
static void make_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	if (!path || !*path || strlen(path) >= sizeof(dir))
		return;
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = 0;
	if (mkdir(dir, 0755) == 0)
		log_info(NULL, "created %s", dir);
}

int vdpd_pidfile_write(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		return -errno;
	return 0;
}

/* ---- status ---- */

/* STATUS= counts every VSI, so it is sent at most once a second: a burst
 * of thousands of associations must not cost a full scan per event. */
/* What a control reply acknowledges is on disk before the reply leaves. */
static void before_reply(void *ctx)
{
	vdpd_intents_flush(ctx);
}

static void status_cb(evutil_socket_t fd, short what, void *arg)
{
	struct vdpd *d = arg;
	size_t assoc = 0, other = 0, up = 0;
	char msg[160];

	(void)fd;
	(void)what;
	for (size_t i = 0; i < d->n_uplinks; i++) {
		struct uplink *u = d->uplinks[i]->u;
		struct vdp_station *st = u ? uplink_station(u) : NULL;

		if (!st)
			continue;
		if (uplink_converged(u))
			up++;
		for (struct vsi *v = vdp_station_first(st); v; v = vdp_station_next(st, v)) {
			if (v->mode_cur == VDP_MODE_ASSOC)
				assoc++;
			else
				other++;
		}
	}
	snprintf(msg, sizeof(msg), "STATUS=%zu VSIs associated, %zu other, %zu of %zu uplinks negotiated",
		 assoc, other, up, d->n_uplinks);
	vdpd_sd_notify(msg);
}

static void update_status(struct vdpd *d)
{
	static const struct timeval second = { 1, 0 };

	if (!d->ev_status || !getenv("NOTIFY_SOCKET") || event_pending(d->ev_status, EV_TIMEOUT, NULL))
		return;
	event_add(d->ev_status, &second);
}

/* ---- uplinks ---- */

static void up_event(void *ctx, struct uplink *u, enum uplink_event ev)
{
	struct vdpd *d = ctx;
	const struct evb_oper *o;

	switch (ev) {
	case UPLINK_EV_CONVERGED:
	case UPLINK_EV_EVB_CHANGED:
		/* the station re-sends what it has; what ended is tried now */
		vdpd_reconcile_uplink_up(d, u);
		o = uplink_oper(u);
		log_notice("evb", "%s: %s: R %u RTE %u RWD %u RKA %u%s%s", uplink_ifname(u),
			   ev == UPLINK_EV_CONVERGED ? "negotiated" : "renegotiated", o->r, o->rte,
			   o->rwd, o->rka, o->rr ? ", reflective relay" : "", o->gid ? ", group IDs" : "");
		break;
	case UPLINK_EV_LINK_UP:
	case UPLINK_EV_LINK_DOWN:
	case UPLINK_EV_NEW_PEER:
	case UPLINK_EV_PEER_GONE:
		log_info("uplink", "%s: %s", uplink_ifname(u), uplink_event_name(ev));
		break;
	}
	if (ctl_server_wants(d->ctl, "uplink")) {
		json_t *oper = json_null();

		if (uplink_converged(u)) {
			o = uplink_oper(u);
			oper = json_pack("{s:i, s:i, s:i, s:i, s:b, s:b}", "r", o->r, "rte", o->rte, "rwd", o->rwd,
					 "rka", o->rka, "rr", o->rr, "gid", o->gid);
		}
		ctl_server_publish(d->ctl, "uplink",
				   json_pack("{s:s, s:s, s:s, s:b, s:o}", "uplink", uplink_ifname(u), "event",
					     uplink_event_name(ev), "link", uplink_link_up(u) ? "up" : "down",
					     "converged", uplink_converged(u), "oper", oper));
	}
	update_status(d);
}

/* Uplink life events that are the daemon's, not the uplink's. */
static void publish_uplink(struct vdpd *d, const char *name, const char *event, const char *reason)
{
	if (ctl_server_wants(d->ctl, "uplink"))
		ctl_server_publish(d->ctl, "uplink", json_pack("{s:s, s:s, s:s}", "uplink", name, "event",
								 event, "reason", reason));
}

struct forget_req {
	struct vdpd *d;
	char ifname[IF_NAMESIZE];
	uint8_t fmt;
	uint8_t vsiid[VDP_VSIID_LEN];
};

/* A VSI whose de-association we asked for is gone for good; it is removed
 * outside the station's callback (the station may still touch it there). */
static void forget_cb(evutil_socket_t fd, short what, void *arg)
{
	struct forget_req *r = arg;
	struct vdpd_uplink *du = vdpd_find_uplink(r->d, r->ifname);
	struct vdp_station *st = du && du->u ? uplink_station(du->u) : NULL;
	struct vsi *v = st ? vdp_station_find(st, r->fmt, r->vsiid) : NULL;

	(void)fd;
	(void)what;
	if (v && v->state == VDP_ST_END && v->reason == VDP_END_DEASSOCIATED)
		vdp_station_forget(st, v);
	free(r);
}

static void up_vsi_event(void *ctx, struct uplink *u, struct vsi *v, enum vdp_event ev)
{
	struct vdpd *d = ctx;
	char id[VDP_TXT_VSIID_LEN];
	int lvl = LOG_INFO;

	if ((unsigned)ev < sizeof(d->cnt.vsi_events) / sizeof(d->cnt.vsi_events[0]))
		d->cnt.vsi_events[ev]++;
	/* first: it asks whether the VSI is still desired (the intent of a
	 * refused one is dropped below) */
	vdpd_reconcile_vsi_event(d, u, v, ev);
	nl_front_vsi_event(d->nl, u, v, ev);
	vdp_txt_vsiid_format(v->vsiid_fmt, v->vsiid, id);
	switch (ev) {
	case VDP_EV_KEEPALIVE_OK:
		lvl = LOG_DEBUG;
		break;
	case VDP_EV_FAILED:
	case VDP_EV_BRIDGE_DEASSOC:
	case VDP_EV_KEPT:
		lvl = LOG_WARNING;
		break;
	case VDP_EV_PREASSOCIATED:
	case VDP_EV_ASSOCIATED:
	case VDP_EV_DEASSOCIATED:
	case VDP_EV_VID_ASSIGNED:
		break;
	}
	if (ev == VDP_EV_FAILED || ev == VDP_EV_KEPT)
		log_msg(lvl, "vdp", "%s: VSI %s: %s (%s, status 0x%02x %s)", uplink_ifname(u), id,
			vdp_event_name(ev), vdp_end_reason_name(v->reason), v->status,
			vdp_reason_name(v->status & VDP_STATUS_REASON));
	else
		log_msg(lvl, "vdp", "%s: VSI %s: %s", uplink_ifname(u), id, vdp_event_name(ev));
	/* The bridge said no for good: that intent is settled (it stays
	 * shown as failed until deleted).  Timeouts, transmission errors and
	 * refusals the bridge may lift (reasons 2 and 3 without the hard
	 * bit) keep it: the reconciler asks again. */
	if (ev == VDP_EV_FAILED && v->reason == VDP_END_REJECTED &&
	    reconcile_verdict(v->reason, v->status) != RC_RETRY)
		vdpd_intent_drop(d, uplink_ifname(u), v->vsiid_fmt, v->vsiid);
	if (ev == VDP_EV_KEPT)
		vdpd_intent_kept(d, uplink_ifname(u), v);
	if (ev == VDP_EV_DEASSOCIATED) {
		struct forget_req *r = calloc(1, sizeof(*r));

		if (r) {
			r->d = d;
			snprintf(r->ifname, sizeof(r->ifname), "%s", uplink_ifname(u));
			r->fmt = v->vsiid_fmt;
			memcpy(r->vsiid, v->vsiid, VDP_VSIID_LEN);
			if (event_base_once(d->base, -1, EV_TIMEOUT, forget_cb, r, NULL) < 0)
				free(r);
		}
	}
	if (ev != VDP_EV_KEEPALIVE_OK && ctl_server_wants(d->ctl, "vsi")) {
		struct vdpd_uplink *du = vdpd_find_uplink(d, uplink_ifname(u));

		if (du)
			ctl_server_publish(d->ctl, "vsi", json_pack("{s:s, s:s, s:o}", "uplink", du->cfg.name,
								   "event", vdp_event_name(ev), "vsi",
								   vdpd_vsi_json(du, v)));
	}
	if (ev != VDP_EV_KEEPALIVE_OK)
		update_status(d);
}

static const struct uplink_ops vdpd_uplink_ops = {
	.event = up_event,
	.vsi_event = up_vsi_event,
};

static void uplink_params_from_cfg(const struct vdpd *d, const struct cfg_uplink *c,
				   struct uplink_params *p)
{
	uplink_params_default(p, UPLINK_STATION);
	p->evb = c->evb;
	p->evb.role = EVB_MODE_STATION;
	p->lldp.tx_interval_s = c->tx_interval;
	p->lldp.tx_hold = c->tx_hold;
	p->resp_wait_max_us = (uint64_t)d->cfg.resp_wait_max_ms * 1000;
	p->port_ops = d->opts.port_ops;
	p->port_ctx = d->opts.port_ctx;
	if (d->opts.assume_link_up)
		p->link = UPLINK_LINK_UP;
}

static void uplink_start(struct vdpd *d, struct vdpd_uplink *du)
{
	struct uplink_params p;

	if (du->u)
		return;
	uplink_params_from_cfg(d, &du->cfg, &p);
	du->u = uplink_new(d->base, d->clock, du->cfg.name, UPLINK_STATION, &p, &vdpd_uplink_ops, d);
	if (!du->u) {
		snprintf(du->absent_why, sizeof(du->absent_why), "%s", strerror(errno));
		du->ifindex = 0;
		log_msg(errno == ENODEV ? LOG_NOTICE : LOG_ERR, "uplink",
			"%s: not started: %s%s", du->cfg.name, du->absent_why,
			errno == ENODEV ? " (will start when it appears)" : "");
		publish_uplink(d, du->cfg.name, "absent", du->absent_why);
		return;
	}
	du->absent_why[0] = 0;
	du->ifindex = uplink_ifindex(du->u);
	/* 0 in the config means no cap; the uplink's 0 means "default". */
	vdp_station_set_resp_wait_max(uplink_station(du->u), (uint64_t)d->cfg.resp_wait_max_ms * 1000);
	log_info("uplink", "%s: started (ifindex %d, link %s)", du->cfg.name, du->ifindex,
		 uplink_link_up(du->u) ? "up" : "down");
	vdpd_intents_uplink_started(d, du);
	publish_uplink(d, du->cfg.name, "started", "");
	vdpd_reg_uplink_started(d, du);
}

static void uplink_stop(struct vdpd *d, struct vdpd_uplink *du, const char *why)
{
	size_t n;

	if (!du->u)
		return;
	n = vdp_station_count(uplink_station(du->u));
	log_msg(n ? LOG_WARNING : LOG_INFO, "uplink", "%s: stopped (%s)%s%zu VSIs dropped without "
		"de-association", du->cfg.name, why, n ? "; " : ", ", n);
	/* No LLDP shutdown frame either: the bridge would take the peer's
	 * disappearance as a reason to drop its VSIs. */
	uplink_free(du->u, false);
	du->u = NULL;
	du->ifindex = 0;
	snprintf(du->absent_why, sizeof(du->absent_why), "%s", why);
	publish_uplink(d, du->cfg.name, "stopped", why);
}

struct vdpd_uplink *vdpd_find_uplink(struct vdpd *d, const char *name)
{
	for (size_t i = 0; i < d->n_uplinks; i++)
		if (strcmp(d->uplinks[i]->cfg.name, name) == 0)
			return d->uplinks[i];
	return NULL;
}

void vdpd_link_event(struct vdpd *d, const char *ifname, int ifindex, bool exists, bool up)
{
	struct vdpd_uplink *du;

	/* The interface an uplink runs on vanished or took another name. */
	for (size_t i = 0; i < d->n_uplinks; i++) {
		du = d->uplinks[i];
		if (du->u && du->ifindex == ifindex && (!exists || strcmp(ifname, du->cfg.name) != 0))
			uplink_stop(d, du, exists ? "interface renamed" : "interface removed");
	}
	du = vdpd_find_uplink(d, ifname);
	if (!du || !exists)
		return;
	/* Same name, another interface (deleted and re-created). */
	if (du->u && du->ifindex != ifindex)
		uplink_stop(d, du, "interface re-created");
	if (!du->u) {
		uplink_start(d, du);
		return;
	}
	if (uplink_link_up(du->u) != up) {
		du->link_events++;
		d->cnt.link_events++;
		log_notice("link", "%s: link %s", ifname, up ? "up: negotiating EVB, then re-associating"
							    : "down: VDP paused");
		if (ctl_server_wants(d->ctl, "link"))
			ctl_server_publish(d->ctl, "link", json_pack("{s:s, s:i, s:b}", "ifname", ifname,
								     "ifindex", ifindex, "up", up));
		uplink_set_link(du->u, up);
	}
}

static void lm_link(void *ctx, enum linkmon_ev ev, const char *ifname, int ifindex, bool exists,
		    bool up)
{
	(void)ev;
	vdpd_link_event(ctx, ifname, ifindex, exists, up);
}

static const struct linkmon_ops vdpd_linkmon_ops = {
	.link = lm_link,
};

/* ---- configuration ---- */

static int add_uplink(struct vdpd *d, const struct cfg_uplink *c)
{
	struct vdpd_uplink **nu, *du;

	nu = realloc(d->uplinks, (d->n_uplinks + 1) * sizeof(*nu));
	if (!nu)
		return -ENOMEM;
	d->uplinks = nu;
	du = calloc(1, sizeof(*du));
	if (!du)
		return -ENOMEM;
	du->cfg = *c;
	du->rc = d->rc;
	d->uplinks[d->n_uplinks++] = du;
	uplink_start(d, du);
	return 0;
}

static void apply_log_level(struct vdpd *d)
{
	if (!d->log_from_cli)
		log_set_level(d->cfg.log_level >= 0 ? d->cfg.log_level : LOG_INFO);
}

void vdpd_apply_config(struct vdpd *d, struct vdpd_config *cfg)
{
	size_t i = 0;

	/* Uplinks no longer configured. */
	while (i < d->n_uplinks) {
		struct vdpd_uplink *du = d->uplinks[i];

		if (cfg_find_uplink(cfg, du->cfg.name)) {
			i++;
			continue;
		}
		uplink_stop(d, du, "removed from the configuration");
		log_notice("cfg", "uplink %s removed", du->cfg.name);
		free(du);
		memmove(&d->uplinks[i], &d->uplinks[i + 1], (d->n_uplinks - i - 1) * sizeof(*d->uplinks));
		d->n_uplinks--;
	}
	/* Changed ones are updated in place: their VSIs stay. */
	for (i = 0; i < d->n_uplinks; i++) {
		struct vdpd_uplink *du = d->uplinks[i];
		const struct cfg_uplink *c = cfg_find_uplink(cfg, du->cfg.name);

		if (!cfg_uplink_changed(&du->cfg, c))
			continue;
		log_notice("cfg", "uplink %s: settings changed", c->name);
		if (du->u) {
			struct lldp_agent *a = uplink_agent(du->u);
			struct evb_config e = c->evb;

			/* The agent reads these when it next arms its timer
			 * and computes the TTL of the next LLDPDU. */
			a->cfg.tx_interval_s = c->tx_interval;
			a->cfg.tx_hold = c->tx_hold;
			e.role = EVB_MODE_STATION;
			if (memcmp(&e, &du->cfg.evb, sizeof(e)) != 0)
				uplink_set_evb(du->u, &e);
		}
		du->cfg = *c;
	}
	if (cfg->resp_wait_max_ms != d->cfg.resp_wait_max_ms)
		for (i = 0; i < d->n_uplinks; i++)
			if (d->uplinks[i]->u)
				vdp_station_set_resp_wait_max(uplink_station(d->uplinks[i]->u),
							      (uint64_t)cfg->resp_wait_max_ms * 1000);
	cfg_free(&d->cfg);
	d->cfg = *cfg;
	cfg_init(cfg);
	apply_log_level(d);
	vdpd_reconcile_config(d);
	/* New ones. */
	for (i = 0; i < d->cfg.n_uplinks; i++)
		if (!vdpd_find_uplink(d, d->cfg.uplinks[i].name)) {
			log_notice("cfg", "uplink %s added", d->cfg.uplinks[i].name);
			if (add_uplink(d, &d->cfg.uplinks[i]) < 0)
				log_err("cfg", "uplink %s: out of memory", d->cfg.uplinks[i].name);
		}
	if (ctl_server_wants(d->ctl, "config"))
		ctl_server_publish(d->ctl, "config", json_pack("{s:s, s:i}", "event", "applied", "uplinks",
							       (int)d->n_uplinks));
	update_status(d);
}

int vdpd_reload(struct vdpd *d)
{
	struct vdpd_config cfg;
	char err[512];

	d->cnt.reloads++;
	vdpd_sd_notify("RELOADING=1");
	if (cfg_load_file(d->opts.config, &cfg, err, sizeof(err)) < 0) {
		d->cnt.reload_errors++;
		log_err("cfg", "reload refused, configuration unchanged: %s", err);
		vdpd_sd_notify("READY=1");
		return -1;
	}
	struct nl_front_config nlc;

	if (nl_front_config_load(d->opts.config, &nlc, err, sizeof(err)) < 0) {
		d->cnt.reload_errors++;
		log_err("cfg", "reload refused, configuration unchanged: %s", err);
		cfg_free(&cfg);
		vdpd_sd_notify("READY=1");
		return -1;
	}
	struct reg_reload rl;

	if (vdpd_reg_reload_prepare(d, &rl) < 0) {
		d->cnt.reload_errors++;
		log_err("cfg", "reload refused, configuration unchanged: registry group");
		cfg_free(&cfg);
		vdpd_sd_notify("READY=1");
		return -1;
	}
	log_notice("cfg", "reloading %s", d->opts.config);
	vdpd_apply_config(d, &cfg);
	vdpd_nl_reload(d, &nlc);
	vdpd_reg_reload_commit(d, &rl);
	vdpd_sd_notify("READY=1");
	return 0;
}

/* ---- signals ---- */

static void sig_cb(evutil_socket_t sig, short what, void *arg)
{
	struct vdpd *d = arg;

	(void)what;
	switch (sig) {
	case SIGHUP:
		vdpd_reload(d);
		break;
	case SIGTERM:
	case SIGINT:
		log_notice(NULL, "%s: stopping; VSIs stay associated until their keep-alive "
			   "runs out", strsignal((int)sig));
		vdpd_sd_notify("STOPPING=1");
		event_base_loopbreak(d->base);
		break;
	}
}

/* ---- life cycle ---- */

int vdpd_init(struct vdpd *d, const struct vdpd_opts *opts, struct vdpd_config *cfg)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	int rc;

	memset(d, 0, sizeof(*d));
	d->opts = *opts;
	d->pid_fd = -1;
	cfg_init(&d->cfg);
	d->log_from_cli = opts->debug >= 0;
	d->base = vclock_event_base_new();
	d->clock = d->base ? vclock_event_new(d->base) : NULL;
	if (!d->clock) {
		log_err(NULL, "cannot create the event loop");
		return -ENOMEM;
	}
	d->started_us = vclock_now(d->clock);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		d->ev_sig[i] = evsignal_new(d->base, sigs[i], sig_cb, d);
		if (!d->ev_sig[i] || event_add(d->ev_sig[i], NULL) < 0)
			return -ENOMEM;
	}
	/* before any libnl socket, so that our pid is free as a netlink port */
	if (vdpd_nl_start(d) < 0)
		return -EPERM;
	d->ev_status = evtimer_new(d->base, status_cb, d);
	d->ctl = ctl_server_new(d->base, opts->socket, VDPD_SOCKET_MODE, vdpd_ctl_cmds, d);
	if (!d->ctl) {
		int err = errno;

		log_err("ctl", "control socket %s: %s%s", opts->socket, strerror(err),
			err == EADDRINUSE ? " (another vdpd is serving it)" : "");
		return -err;
	}
	ctl_server_set_before_reply(d->ctl, before_reply);
	d->lm = opts->no_linkmon ? NULL : linkmon_new(d->base, &vdpd_linkmon_ops, d);
	if (!d->lm && !opts->no_linkmon)
		log_warn("link", "no link monitor (%s): link changes will not be followed",
			 strerror(errno));
	rc = vdpd_intents_open(d);
	if (rc < 0)
		return rc;
	d->cfg = *cfg;
	cfg_init(cfg);
	apply_log_level(d);
	if (vdpd_reconcile_start(d) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < d->cfg.n_uplinks; i++)
		if (add_uplink(d, &d->cfg.uplinks[i]) < 0)
			return -ENOMEM;
	if (vdpd_reg_start(d) < 0)
		return -EINVAL;
	return 0;
}

void vdpd_fini(struct vdpd *d)
{
	vdpd_intents_close(d);
	vdpd_reg_stop(d);
	vdpd_nl_stop(d);
	for (size_t i = 0; i < d->n_uplinks; i++) {
		/* Not uplink_stop(): a stop keeps VSIs on the bridge by design. */
		uplink_free(d->uplinks[i]->u, false);
		free(d->uplinks[i]);
	}
	free(d->uplinks);
	d->uplinks = NULL;
	d->n_uplinks = 0;
	vdpd_reconcile_stop(d);
	linkmon_free(d->lm);
	ctl_server_free(d->ctl);
	for (size_t i = 0; i < sizeof(d->ev_sig) / sizeof(d->ev_sig[0]); i++)
		if (d->ev_sig[i])
			event_free(d->ev_sig[i]);
	if (d->ev_status)
		event_free(d->ev_status);
	if (d->clock)
		vclock_event_free(d->clock);
	if (d->base)
		event_base_free(d->base);
	cfg_free(&d->cfg);
	if (d->pid_fd >= 0) {
		unlink(d->opts.pidfile);
		close(d->pid_fd);
	}
}

/* Like daemon(3), except that the parent waits until the child reports
 * that it is serving (one byte on the returned fd) and exits 0 only then,
 * so whoever started vdpd may use the socket and the pid file at once; it
 * exits 1 if the child dies first.  Returns the fd in the child. */
static int detach(void)
{
	int p[2], fd;
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int err = errno;

		close(p[0]);
		close(p[1]);
		return -err;
	}
	if (pid > 0) {
		ssize_t n;

		close(p[1]);
		c = 1;
		do
			n = read(p[0], &c, 1);
		while (n < 0 && errno == EINTR);
		_exit(n == 1 && c == 0 ? 0 : 1);
	}
	close(p[0]);
	setsid();
	if (chdir("/") < 0)
		log_debug(NULL, "chdir /: %s", strerror(errno));
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return p[1];
}

static int parse_opts(int argc, char **argv, struct vdpd_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "state", required_argument, NULL, 'S' },
		{ "intents", required_argument, NULL, 'i' },
		{ "foreground", no_argument, NULL, 'F' },
		{ "debug", optional_argument, NULL, 'd' },
		{ "check-config", no_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->config = CFG_DEFAULT_PATH;
	o->socket = VDPD_DEFAULT_SOCKET;
	o->pidfile = VDPD_DEFAULT_PIDFILE;
	o->foreground = false;
	o->debug = -1;
	o->check_only = false;
	o->state_file = "";
	/* NULL: global.intents_file, else VDPD_DEFAULT_INTENTS (vdpd_main);
	 * tests pass their own file (tests/lib/netns.sh VDPD_INTENTS). */
	o->intents = NULL;
	o->port_ops = NULL;
	o->port_ctx = NULL;
	o->assume_link_up = false;
	o->no_linkmon = false;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:s:p:S:i:Fd::tVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->config = optarg;
			break;
		case 's':
			o->socket = optarg;
			break;
		case 'p':
			o->pidfile = optarg;
			break;
		case 'S':
			o->state_file = optarg;
			break;
		case 'i':
			o->intents = optarg;
			break;
		case 'F':
			o->foreground = true;
			break;
		case 'd':
			o->debug = optarg ? log_level_parse(optarg) : LOG_DEBUG;
			if (o->debug < 0) {
				fprintf(stderr, "vdpd: log level \"%s\" is not one of error, warning, "
					"notice, info, debug\n", optarg);
				return 2;
			}
			break;
		case 't':
			o->check_only = true;
			break;
		case 'V':
			printf("vdpd %s\n", VDP_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "vdpd: option %s needs an argument\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "vdpd: unknown option %s; try vdpd --help\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vdpd: unexpected argument \"%s\"; try vdpd --help\n", argv[optind]);
		return 2;
	}
	return -1;
}

int vdpd_main(int argc, char **argv)
{
	struct vdpd_opts opts;
	struct vdpd_config cfg;
	struct vdpd d;
	char err[512];
	int rc;

	rc = parse_opts(argc, argv, &opts);
	if (rc >= 0)
		return rc;
	log_init("vdpd", LOG_TO_STDERR, opts.debug >= 0 ? opts.debug : LOG_INFO);
	if (cfg_load_file(opts.config, &cfg, err, sizeof(err)) < 0) {
		/* A missing default file is no error: no uplinks until a
		 * reload adds some.  A missing explicit file is. */
		if (opts.check_only || strcmp(opts.config, CFG_DEFAULT_PATH) != 0 ||
		    access(opts.config, F_OK) == 0) {
			fprintf(stderr, "vdpd: %s\n", err);
			return 1;
		}
		cfg_init(&cfg);
		log_notice("cfg", "%s not found; starting with no uplinks", opts.config);
	}
	/* On by default (DESIGN: nothing lost): without the file a restart
	 * would forget every VSI and the bridge would time them out. */
	static char intents_path[sizeof(cfg.intents_file)];

	if (!opts.intents) {
		/* a copy: cfg moves into the daemon and is cleared */
		snprintf(intents_path, sizeof(intents_path), "%s",
			 cfg.intents_file_set ? cfg.intents_file : VDPD_DEFAULT_INTENTS);
		opts.intents = intents_path;
	}
	if (opts.check_only) {
		struct nl_front_config nc;
		struct reg_err rerr;

		if (nl_front_config_load(opts.config, &nc, err, sizeof(err)) < 0) {
			fprintf(stderr, "vdpd: %s\n", err);
			cfg_free(&cfg);
			return 1;
		}
		if (vdpd_reg_check_config(opts.config, &rerr) < 0) {
			fprintf(stderr, "vdpd: %s\n", rerr.msg);
			cfg_free(&cfg);
			return 1;
		}
		printf("%s: OK, %zu uplink%s", opts.config, cfg.n_uplinks, cfg.n_uplinks == 1 ? "" : "s");
		for (size_t i = 0; i < cfg.n_uplinks; i++)
			printf("%s%s", i ? ", " : ": ", cfg.uplinks[i].name);
		printf("\n");
		cfg_free(&cfg);
		return 0;
	}
#ifdef VDP_FUZZING
	fprintf(stderr, "vdpd: built for fuzzing; refusing to run\n");
	return 1;
#endif
	signal(SIGPIPE, SIG_IGN);

	int pid_fd = -1;
	make_parent(opts.socket);
	make_parent(opts.pidfile);
	make_parent(opts.intents);
	if (opts.pidfile && *opts.pidfile) {
		pid_t other = 0;

		pid_fd = vdpd_pidfile_open(opts.pidfile, &other);
		if (pid_fd == -EEXIST) {
			fprintf(stderr, "vdpd: already running (pid %ld holds %s)\n", (long)other, opts.pidfile);
			cfg_free(&cfg);
			return 1;
		}
		if (pid_fd < 0) {
			fprintf(stderr, "vdpd: pid file %s: %s\n", opts.pidfile, strerror(-pid_fd));
			cfg_free(&cfg);
			return 1;
		}
	}
	rc = vdpd_init(&d, &opts, &cfg);
	d.pid_fd = pid_fd;
	if (rc < 0) {
		cfg_free(&cfg);
		vdpd_fini(&d);
		return 1;
	}
	/* Under systemd (NOTIFY_SOCKET) never fork; otherwise detach unless
	 * asked not to.  Everything that can fail has been done, so errors
	 * reached the terminal. */
	int ready_fd = -1;
	if (!opts.foreground && !getenv("NOTIFY_SOCKET")) {
		ready_fd = detach();
		if (ready_fd < 0) {
			log_err(NULL, "cannot detach: %s", strerror(-ready_fd));
			vdpd_fini(&d);
			return 1;
		}
		if (event_reinit(d.base) < 0)
			log_err(NULL, "event_reinit failed");
		if (nl_front_after_fork(d.nl, err, sizeof(err)) < 0)
			log_err("nl", "%s", err);
	}
	if (!opts.foreground)
		log_init("vdpd", LOG_TO_SYSLOG, log_get_level());
	if (pid_fd >= 0 && vdpd_pidfile_write(pid_fd) < 0)
		log_warn(NULL, "cannot write pid file %s", opts.pidfile);
	log_notice(NULL, "vdpd %s started: %zu uplinks, control socket %s", VDP_VERSION,
		   d.n_uplinks, opts.socket);
	vdpd_sd_notify("READY=1");
	if (ready_fd >= 0) {
		/* The parent exits 0 now: the socket is served, the pid
		 * file is written. */
		if (write(ready_fd, "", 1) != 1)
			log_warn(NULL, "parent gone before the start completed");
		close(ready_fd);
	}
	status_cb(-1, 0, &d);
	event_base_dispatch(d.base);
	vdpd_fini(&d);
	log_notice(NULL, "stopped");
	return 0;
}
