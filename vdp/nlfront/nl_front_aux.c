/* The netlink front's edges: vdpd.conf "netlink" group, the lldpad pid
 * file, the link-deletion watch (macvtap gone -> de-associate after a grace
 * period) and the JSON view.  See nl_front.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>

#include <libconfig.h>
#include <linux/rtnetlink.h>

#include "vdp/base/log.h"
#include "vdp/nlfront/nl_front_int.h"
#include "vdp/engine/uplink.h"

#define TAG "nl"
#define RX_BURST 256

/* ---- configuration */

void nl_front_config_default(struct nl_front_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->pidfile, sizeof(c->pidfile), "%s", NLF_DEFAULT_PIDFILE);
	c->ack_delay_ms = 300;
	c->linkdel_grace_ms = 5000;
	c->linger_ms = 2000;
	c->unread_max_ms = 600000;
	c->part_max = 16384;
	c->require_admin = true;
}

int nl_front_config_load(const char *path, struct nl_front_config *c, char *err, size_t errlen)
{
	config_t cf;
	config_setting_t *g;
	int rc = 0;

	nl_front_config_default(c);
	if (!path || access(path, R_OK) < 0)
		return 0;
	config_init(&cf);
	if (!config_read_file(&cf, path)) {
		snprintf(err, errlen, "%s:%d: %s", path, config_error_line(&cf), config_error_text(&cf));
		config_destroy(&cf);
		return -1;
	}
	g = config_lookup(&cf, "netlink");
	for (int i = 0; g && i < config_setting_length(g); i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *n = config_setting_name(s);
		int t = config_setting_type(s);
		long long v = t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 ? config_setting_get_int64(s) : -1;
		uint32_t *u32 = NULL;

		if (!strcmp(n, "lldpad_compat") || !strcmp(n, "require_admin")) {
			if (t != CONFIG_TYPE_BOOL) {
				snprintf(err, errlen, "%s:%d: netlink.%s must be true or false", path,
					 config_setting_source_line(s), n);
				rc = -1;
				break;
			}
			*(n[0] == 'l' ? &c->enabled : &c->require_admin) = config_setting_get_bool(s);
			continue;
		}
		if (!strcmp(n, "pidfile")) {
			const char *p = config_setting_get_string(s);
			if (!p || strlen(p) >= sizeof(c->pidfile)) {
				snprintf(err, errlen, "%s:%d: netlink.pidfile must be a path", path,
					 config_setting_source_line(s));
				rc = -1;
				break;
			}
			snprintf(c->pidfile, sizeof(c->pidfile), "%s", p);
			continue;
		}
		if (!strcmp(n, "ack_delay_ms"))
			u32 = &c->ack_delay_ms;
		else if (!strcmp(n, "linkdel_grace_ms"))
			u32 = &c->linkdel_grace_ms;
		else if (!strcmp(n, "linger_ms"))
			u32 = &c->linger_ms;
		else if (!strcmp(n, "unread_max_ms"))
			u32 = &c->unread_max_ms;
		else if (!strcmp(n, "part_max"))
			u32 = &c->part_max;
		if (!u32) {
			snprintf(err, errlen, "%s:%d: unknown setting \"%s\" in netlink (known: lldpad_compat, "
				 "pidfile, ack_delay_ms, linkdel_grace_ms, linger_ms, unread_max_ms, part_max, "
				 "require_admin)", path, config_setting_source_line(s), n);
			rc = -1;
			break;
		}
		if (v < 0 || v > 3600000 || (u32 == &c->part_max && (v < 256 || v > 65536))) {
			snprintf(err, errlen, "%s:%d: netlink.%s out of range", path,
				 config_setting_source_line(s), n);
			rc = -1;
			break;
		}
		*u32 = (uint32_t)v;
	}
	config_destroy(&cf);
	return rc;
}

/* ---- link deletions */

static void linkdel_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nlf_rec *r = arg;
	struct nl_front *f = r->f;
	(void)fd;
	(void)what;

	if (!r->confirmed && !(r->latest.pending && r->latest.op != NLP_REQ_DISASSOCIATE))
		return;
	struct uplink *u;
	struct vdp_station *st = nlf_station_of(f, r->ifindex, r->ifname, &u);
	if (!st || !r->latest.n_filters)
		return;
	struct vdp_request req = {
		.mode = VDP_MODE_DEASSOC,
		.type_id = r->latest.type_id,
		.type_version = r->latest.type_version,
		.vsiid_fmt = VDP_VSIID_UUID,
		.filter_fmt = r->latest.filter_fmt,
		.n_filters = r->latest.n_filters,
		.filters = r->latest.filters,
	};
	req.mgrid[0] = r->latest.mgr_id;
	memcpy(req.vsiid, r->uuid, NLP_UUID_LEN);
	uint8_t op = r->latest.op;
	bool pend = r->latest.pending;
	r->latest.op = NLP_REQ_DISASSOCIATE;
	r->latest.pending = true;
	r->latest.reported = false;
	if (vdp_station_request(st, &req) < 0) {
		r->latest.op = op;
		r->latest.pending = pend;
		return;
	}
	f->cnt.linkdel_deassoc++;
	if (f->ops->drop)
		f->ops->drop(f->ctx, u, r->uuid);
	log_notice(TAG, "macvtap of a VSI on %s is gone: de-associating", r->ifname);
}

static void link_event(struct nl_front *f, const struct nlp_link *l)
{
	if (!l->has_mac || !l->link || (strcmp(l->kind, "macvtap") && strcmp(l->kind, "macvlan")))
		return;
	for (struct nlf_rec *r = f->head; r; r = r->next) {
		if (r->ifindex != l->link || r->latest.filter_fmt != VDP_FILTER_MAC_VID)
			continue;
		bool match = false;
		for (unsigned i = 0; i < r->latest.n_filters && !match; i++)
			match = memcmp(r->latest.filters[i].mac, l->mac, 6) == 0;
		if (!match)
			continue;
		if (l->type == RTM_DELLINK) {
			bool active = r->confirmed ||
				(r->latest.pending && r->latest.op != NLP_REQ_DISASSOCIATE);
			if (!active)
				continue;
			f->cnt.linkdel_seen++;
			if (!r->linkdel && !(r->linkdel = evtimer_new(f->base, linkdel_cb, r)))
				continue;
			struct timeval tv = nlf_tv_ms(f->cfg.linkdel_grace_ms);
			evtimer_add(r->linkdel, &tv);
		} else if (r->linkdel && evtimer_pending(r->linkdel, NULL)) {
			event_del(r->linkdel);
			f->cnt.linkdel_cancelled++;
		}
	}
}

void nlf_link_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nl_front *f = arg;
	(void)what;

	for (int i = 0; i < RX_BURST; i++) {
		ssize_t n = recv(fd, f->rx, NLF_RXBUF, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == ENOBUFS)
				continue;	/* lost events; deletions are rare */
			return;
		}
		size_t off = 0;
		while (off + 16 <= (size_t)n) {
			struct nlp_link l;
			uint32_t ml;
			memcpy(&ml, f->rx + off, 4);
			if (ml < 16 || ml > (size_t)n - off)
				break;
			if (nlp_parse_link(f->rx + off, ml, &l) == NLP_OK)
				link_event(f, &l);
			off += (ml + 3u) & ~3u;
		}
	}
}

/* ---- pid file */

long nlf_read_pid(const char *path)
{
	char b[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, b, sizeof(b) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	b[n] = 0;
	return strtol(b, NULL, 10);
}

static void proc_comm(long pid, char *out, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	out[0] = 0;
	FILE *fp = fopen(path, "re");
	if (!fp)
		return;
	if (fgets(out, (int)len, fp))
		out[strcspn(out, "\n")] = 0;
	fclose(fp);
}

int nlf_take_pidfile(const char *path, char *err, size_t errlen)
{
	long other = nlf_read_pid(path);
	if (other > 0 && other != getpid() && (kill((pid_t)other, 0) == 0 || errno == EPERM)) {
		char comm[32];
		proc_comm(other, comm, sizeof(comm));
		if (!strcmp(comm, "lldpad") || !strcmp(comm, "vdpd")) {
			snprintf(err, errlen,
				 "%s (pid %ld) holds %s and receives libvirt's requests; stop it first "
				 "(e.g. systemctl stop lldpad.service lldpad.socket) or turn netlink.lldpad_compat off",
				 comm, other, path);
			return -1;
		}
		/* a live process of another name: the pid was reused */
	}
	char tmp[300];
	snprintf(tmp, sizeof(tmp), "%s.vdpd%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		return -1;
	}
	char b[32];
	int n = snprintf(b, sizeof(b), "%d\n", (int)getpid());
	bool ok = write(fd, b, (size_t)n) == n;
	close(fd);
	if (!ok || rename(tmp, path) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

json_t *nl_front_json(const struct nl_front *f)
{
	const struct nl_front_counters *c = &f->cnt;
	json_t *mal = json_object();
	for (int i = 1; i < NLP_NERR; i++)
		if (c->malformed[i])
			json_object_set_new(mal, nlp_strerror(-i), json_integer((json_int_t)c->malformed[i]));
	json_t *cn = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:[I,I,I,I],s:I,s:I,s:I,s:I}",
			       "rx_datagrams", (json_int_t)c->rx_datagrams, "rx_msgs", (json_int_t)c->rx_msgs,
			       "rx_kernel", (json_int_t)c->rx_kernel, "rx_errors", (json_int_t)c->rx_errors,
			       "denied", (json_int_t)c->denied, "no_creds", (json_int_t)c->no_creds,
			       "setlink", (json_int_t)c->setlink, "getlink", (json_int_t)c->getlink,
			       "other_type", (json_int_t)c->other_type, "no_device", (json_int_t)c->no_device,
			       "requests", (json_int_t)c->req_op[0], (json_int_t)c->req_op[1],
			       (json_int_t)c->req_op[2], (json_int_t)c->req_op[3],
			       "not_station", (json_int_t)c->not_station, "refused", (json_int_t)c->refused,
			       "deassoc_noop", (json_int_t)c->deassoc_noop, "acks_sent", (json_int_t)c->acks_sent);
	json_t *more = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
				 "acks_settled", (json_int_t)c->acks_settled,
				 "acks_bounded", (json_int_t)c->acks_bounded,
				 "ack_send_errors", (json_int_t)c->ack_send_errors,
				 "status_msgs", (json_int_t)c->status_msgs,
				 "status_parts", (json_int_t)c->status_parts,
				 "status_entries", (json_int_t)c->status_entries,
				 "status_send_errors", (json_int_t)c->status_send_errors,
				 "results_ok", (json_int_t)c->results_ok,
				 "results_failed", (json_int_t)c->results_failed,
				 "unsolicited_sent", (json_int_t)c->unsolicited_sent,
				 "unsolicited_errors", (json_int_t)c->unsolicited_errors,
				 "linkdel_seen", (json_int_t)c->linkdel_seen,
				 "linkdel_cancelled", (json_int_t)c->linkdel_cancelled,
				 "linkdel_deassoc", (json_int_t)c->linkdel_deassoc,
				 "records_freed", (json_int_t)c->records_freed);
	if (cn && more)
		json_object_update(cn, more);
	json_decref(more);
	if (cn)
		json_object_set_new(cn, "malformed", mal);
	else
		json_decref(mal);
	return json_pack("{s:I,s:s,s:I,s:o*}", "port", (json_int_t)f->port, "pidfile", f->cfg.pidfile,
			 "records", (json_int_t)f->n, "counters", cn);
}
