/* The lldpad-compatible netlink front: records, status, the request socket
 * and life cycle (see nl_front.h and docs/libvirt.md; RTM_SETLINK requests
 * are nl_setlink.c, status queries nl_status.c, the configuration
 * nl_front_config.c, the lldpad pid file nl_front_pidfile.c, the
 * link-deletion watch nl_front_linkdel.c, the JSON view nl_front_json.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "vdp/base/log.h"
#include "vdp/nlfront/nl_front_int.h"
#include "vdp/engine/uplink.h"

#define TAG "nl"
#define RX_BURST 256
#define CAP_NET_ADMIN_BIT 12

uint64_t nlf_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct timeval nlf_tv_ms(uint32_t ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	return tv;
}

/* ---- records */

static size_t rec_hash(const struct nl_front *f, int ifindex, const uint8_t *uuid)
{
	uint64_t h = 1469598103934665603ULL ^ (uint32_t)ifindex;
	for (int i = 0; i < NLP_UUID_LEN; i++)
		h = (h ^ uuid[i]) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 29)) & f->mask;
}

struct nlf_rec *nlf_rec_find(const struct nl_front *f, int ifindex, const uint8_t *uuid)
{
	struct nlf_rec *r = f->bkt[rec_hash(f, ifindex, uuid)];
	while (r && (r->ifindex != ifindex || memcmp(r->uuid, uuid, NLP_UUID_LEN)))
		r = r->hnext;
	return r;
}

void nlf_list_unlink(struct nl_front *f, struct nlf_rec *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		f->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		f->tail = r->prev;
	r->prev = r->next = NULL;
}

void nlf_list_push_head(struct nl_front *f, struct nlf_rec *r)
{
	r->prev = NULL;
	r->next = f->head;
	if (f->head)
		f->head->prev = r;
	else
		f->tail = r;
	f->head = r;
}

static int grow(struct nl_front *f)
{
	size_t nm = f->mask * 2 + 1;
	struct nlf_rec **nb = calloc(nm + 1, sizeof(*nb));
	if (!nb)
		return -ENOMEM;
	struct nlf_rec **ob = f->bkt;
	size_t om = f->mask;
	f->bkt = nb;
	f->mask = nm;
	for (size_t i = 0; i <= om; i++) {
		struct nlf_rec *r = ob[i], *nx;
		for (; r; r = nx) {
			nx = r->hnext;
			size_t h = rec_hash(f, r->ifindex, r->uuid);
			r->hnext = nb[h];
			nb[h] = r;
		}
	}
	free(ob);
	return 0;
}

struct nlf_rec *nlf_rec_new(struct nl_front *f, int ifindex, const char *ifname,
			    const uint8_t *uuid)
{
	if (f->n >= f->mask + 1 && grow(f) < 0)
		return NULL;
	struct nlf_rec *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->f = f;
	r->ifindex = ifindex;
	snprintf(r->ifname, sizeof(r->ifname), "%s", ifname);
	memcpy(r->uuid, uuid, NLP_UUID_LEN);
	size_t h = rec_hash(f, ifindex, uuid);
	r->hnext = f->bkt[h];
	f->bkt[h] = r;
	nlf_list_push_head(f, r);
	f->n++;
	return r;
}

static void ack_release(struct nlf_ack *a)
{
	struct nlf_ack **pp = &a->rec->acks;
	while (*pp && *pp != a)
		pp = &(*pp)->next;
	if (*pp)
		*pp = a->next;
	event_free(a->timer);
	free(a);
}

static void ack_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nlf_ack *a = arg;
	(void)fd;
	(void)what;
	a->f->cnt.acks_bounded++;
	nlf_send_ack(a->f, &a->to, a->hdr, sizeof(a->hdr), 0);
	ack_release(a);
}

static void flush_acks(struct nlf_rec *r, bool settled)
{
	while (r->acks) {
		struct nlf_ack *a = r->acks;
		if (settled)
			r->f->cnt.acks_settled++;
		else
			r->f->cnt.acks_bounded++;
		nlf_send_ack(r->f, &a->to, a->hdr, sizeof(a->hdr), 0);
		ack_release(a);
	}
}

void nlf_rec_free(struct nl_front *f, struct nlf_rec *r)
{
	flush_acks(r, false);
	if (r->linkdel)
		event_free(r->linkdel);
	struct nlf_rec **pp = &f->bkt[rec_hash(f, r->ifindex, r->uuid)];
	while (*pp && *pp != r)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = r->hnext;
	nlf_list_unlink(f, r);
	f->n--;
	free(r);
}

void nlf_settle(struct nlf_rec *r, uint16_t response)
{
	r->latest.pending = false;
	r->response = response;
	r->done_ms = nlf_now_ms();
	r->latest.reported = false;
	if (response == 0)
		r->f->cnt.results_ok++;
	else
		r->f->cnt.results_failed++;
	flush_acks(r, true);
}

/* The ack of a request whose result is not known yet waits for it, at
 * most ack_delay_ms. */
void nlf_hold_ack(struct nl_front *f, struct nlf_rec *r, const struct sockaddr_nl *src,
		  const uint8_t *raw)
{
	struct nlf_ack *a = calloc(1, sizeof(*a));
	if (!a || f->cfg.ack_delay_ms == 0 || !(a->timer = evtimer_new(f->base, ack_timer_cb, a))) {
		free(a);
		nlf_send_ack(f, src, raw, 16, 0);
		return;
	}
	a->f = f;
	a->rec = r;
	a->to = *src;
	memcpy(a->hdr, raw, 16);
	a->next = r->acks;
	r->acks = a;
	struct timeval tv = nlf_tv_ms(f->cfg.ack_delay_ms);
	evtimer_add(a->timer, &tv);
}

/* ---- the engine's VSI */

struct vdp_station *nlf_station_of(struct nl_front *f, int ifindex, const char *ifname, struct uplink **up)
{
	struct uplink *u = f->ops->find_uplink(f->ctx, ifindex, ifname);
	if (up)
		*up = u;
	return u ? uplink_station(u) : NULL;
}

/* The result a status query shows for an ended VSI: the bridge's reason
 * when it gave one, else PORT_PROFILE_RESPONSE_ERROR (no answer). */
uint16_t nlf_end_code(const struct vsi *v)
{
	uint8_t reason = v->status & VDP_STATUS_REASON;
	switch ((enum vdp_end_reason)v->reason) {
	case VDP_END_REJECTED:
		return reason ? reason : VDP_R_OTHER_FAILURE;
	case VDP_END_BRIDGE_DEASSOC:
		return reason ? reason : RESP_ERROR;
	case VDP_END_DEASSOCIATED:
		return 0;
	case VDP_END_NONE:
	case VDP_END_TIMEOUT:
	case VDP_END_TX_ERROR:
	case VDP_END_TOO_BIG:
	case VDP_END_INTERNAL:
		return RESP_ERROR;
	}
	return RESP_ERROR;
}

static void send_unsolicited(struct nl_front *f, struct nlf_rec *r)
{
	uint8_t b[512];
	struct wbuf w;
	struct nlp_setlink s = {
		.h = { RTM_SETLINK, 0, r->req_seq, f->port },
		.ifindex = r->ifindex, /* lldpad's VDP22 sends 0 */
		.ifname = r->ifname,
		.has_vsi_type = true,
		.mgr_id = r->latest.mgr_id,
		.type_id = r->latest.type_id,
		.type_version = r->latest.type_version,
		.has_port_vf = true,
		.request = NLP_REQ_DISASSOCIATE, /* a u8 (lldpad: u16) */
	};

	if (!r->has_requester)
		return;
	memcpy(s.uuid, r->uuid, NLP_UUID_LEN);
	if (r->latest.n_filters && r->latest.filter_fmt == VDP_FILTER_MAC_VID) {
		s.has_filter = true;
		memcpy(s.mac, r->latest.filters[0].mac, 6);
		s.vlan = vdp_vid(r->latest.filters[0].ps_pcp_vid);
		s.qos = vdp_pcp(r->latest.filters[0].ps_pcp_vid);
	}
	wbuf_init(&w, b, sizeof(b));
	if (nlp_build_setlink(&w, &s) < 0)
		return;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK, .nl_pid = r->req_pid };
	nlf_tx_flush(f); /* answers given before it go first */
	if (sendto(f->fd, b, w.len, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to)) < 0) {
		f->cnt.unsolicited_errors++;
		log_warn(TAG, "unsolicited DISASSOCIATE to port %u failed: %s", r->req_pid, strerror(errno));
		return;
	}
	f->cnt.unsolicited_sent++;
	log_info(TAG, "told port %u that the bridge ended a VSI on %s", r->req_pid, r->ifname);
}

void nl_front_vsi_event(struct nl_front *f, struct uplink *u, struct vsi *v, enum vdp_event ev)
{
	if (!f || v->vsiid_fmt != VDP_VSIID_UUID)
		return;
	struct nlf_rec *r = nlf_rec_find(f, uplink_ifindex(u), v->vsiid);
	if (!r)
		return;
	/* queued again: the event answers an older request of this VSI */
	bool older = (v->flags & VSI_F_QUEUED) != 0;
	bool was = r->confirmed;

	switch (ev) {
	case VDP_EV_PREASSOCIATED:
		r->confirmed = true;
		if (r->latest.pending && !older &&
		    (r->latest.op == NLP_REQ_PREASSOCIATE ||
		     r->latest.op == NLP_REQ_PREASSOCIATE_RR))
			nlf_settle(r, 0);
		break;
	case VDP_EV_ASSOCIATED:
		r->confirmed = true;
		if (r->latest.pending && !older && r->latest.op == NLP_REQ_ASSOCIATE)
			nlf_settle(r, 0);
		break;
	case VDP_EV_DEASSOCIATED:
		r->confirmed = false;
		if (r->latest.pending && r->latest.op == NLP_REQ_DISASSOCIATE)
			nlf_settle(r, 0);
		break;
	case VDP_EV_FAILED:
	case VDP_EV_BRIDGE_DEASSOC:
		r->confirmed = false;
		/* ended: the requester learns it (status or unsolicited
		 * message) and decides; nothing to request after a restart */
		if (v->state == VDP_ST_END && f->ops->drop)
			f->ops->drop(f->ctx, u, v->vsiid);
		if (r->latest.pending) {
			nlf_settle(r, nlf_end_code(v));
		} else {
			/* no request of ours is waiting: the association is
			 * lost (bridge De-Associate, keep-alive failed) */
			r->response = nlf_end_code(v);
			r->done_ms = nlf_now_ms();
			r->latest.reported = false;
			if (was)
				send_unsolicited(f, r);
		}
		break;
	case VDP_EV_KEPT:
		/* refused with keep: the earlier state stays */
		if (r->latest.pending && !older)
			nlf_settle(r, v->status & VDP_STATUS_REASON);
		break;
	case VDP_EV_KEEPALIVE_OK:
	case VDP_EV_VID_ASSIGNED:
		break;
	}
}

/* ---- receiving */

static bool same_file_text(const char *a, const char *b)
{
	char ta[512], tb[512];
	ssize_t na = -1, nb = -1;
	int fd;

	if ((fd = open(a, O_RDONLY | O_CLOEXEC)) >= 0) {
		na = read(fd, ta, sizeof(ta));
		close(fd);
	}
	if ((fd = open(b, O_RDONLY | O_CLOEXEC)) >= 0) {
		nb = read(fd, tb, sizeof(tb));
		close(fd);
	}
	return na > 0 && na == nb && memcmp(ta, tb, (size_t)na) == 0;
}

/* CapEff counts only in our user namespace: a process in a child user
 * namespace may show every capability there and hold none over us.
 * Reading another user's /proc/PID/ns/user needs CAP_SYS_PTRACE, which
 * vdpd drops (docs/security.md); then the sender's uid and gid maps must
 * be ours: a child namespace can only map more than its creator's own id
 * when the creator had CAP_SETUID/CAP_SETGID over us. */
static bool same_userns(pid_t pid)
{
	char path[64], a[64], b[64];
	ssize_t na, nb;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	na = readlink(path, a, sizeof(a) - 1);
	nb = readlink("/proc/self/ns/user", b, sizeof(b) - 1);
	if (na > 0 && nb > 0)
		return na == nb && memcmp(a, b, (size_t)na) == 0;
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	if (!same_file_text(path, "/proc/self/uid_map"))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	return same_file_text(path, "/proc/self/gid_map");
}

static bool has_net_admin(pid_t pid)
{
	char path[64], line[256];
	bool ok = false;
	if (!same_userns(pid))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *fp = fopen(path, "re");
	if (!fp)
		return false;
	while (fgets(line, sizeof(line), fp)) {
		if (strncmp(line, "CapEff:", 7))
			continue;
		unsigned long long caps = strtoull(line + 7, NULL, 16);
		ok = (caps >> CAP_NET_ADMIN_BIT) & 1;
		break;
	}
	fclose(fp);
	return ok;
}

static bool authorized(struct nl_front *f, const struct ucred *c)
{
	if (!f->cfg.require_admin)
		return true;
	if (!c) {
		f->cnt.no_creds++;
		return false;
	}
	if (c->uid == 0)
		return true;
	if (c->pid > 0 && has_net_admin(c->pid))
		return true;
	f->cnt.denied++;
	return false;
}

static void handle_datagram(struct nl_front *f, const uint8_t *b, size_t n, const struct sockaddr_nl *src,
			    bool allowed)
{
	size_t off = 0;
	while (off < n) {
		struct nlp_msg m;
		int rc = nlp_parse(b + off, n - off, &m);
		f->cnt.rx_msgs++;
		if (rc == NLP_E_SHORT_HDR || rc == NLP_E_MSG_LEN) {
			/* framing lost: answer once, drop the rest */
			f->cnt.malformed[-rc]++;
			nlf_send_ack(f, src, b + off, n - off, nlp_errno(rc));
			return;
		}
		if (m.type < NLMSG_MIN_TYPE) {
			/* an ack/done/noop sent to us: never answered, so two
			 * daemons cannot ping-pong errors */
			f->cnt.other_type++;
		} else if (!allowed) {
			nlf_send_ack(f, src, b + off, m.len, -EPERM);
		} else if (m.type != RTM_SETLINK && m.type != RTM_GETLINK) {
			f->cnt.other_type++;
			f->cnt.malformed[-NLP_E_MSG_TYPE]++;
			nlf_send_ack(f, src, b + off, m.len, nlp_errno(NLP_E_MSG_TYPE));
		} else if (rc < 0) {
			f->cnt.malformed[-rc]++;
			log_info(TAG, "malformed message from port %u: %s", src->nl_pid, nlp_strerror(rc));
			nlf_send_ack(f, src, b + off, m.len, nlp_errno(rc));
		} else if (m.type == RTM_SETLINK) {
			f->cnt.setlink++;
			nlf_setlink(f, &m, b + off, m.len, src);
		} else {
			f->cnt.getlink++;
			nlf_getlink(f, &m, b + off, m.len, src);
		}
		off += (m.len + 3u) & ~(size_t)3u;
	}
}

static void rx_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nl_front *f = arg;
	(void)what;

	for (int i = 0; i < RX_BURST; i++) {
		struct sockaddr_nl src;
		union {
			char b[CMSG_SPACE(sizeof(struct ucred))];
			struct cmsghdr align;
		} cb;
		struct iovec iov = { f->rx, NLF_RXBUF };
		struct msghdr mh = {
			.msg_name = &src, .msg_namelen = sizeof(src),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cb.b, .msg_controllen = sizeof(cb.b),
		};
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			f->cnt.rx_errors++;
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			return;
		}
		f->cnt.rx_datagrams++;
		if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
			f->cnt.rx_errors++;
			continue;
		}
		if (src.nl_pid == 0) {
			f->cnt.rx_kernel++;
			continue;
		}
		const struct ucred *cr = NULL;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
			    c->cmsg_len >= CMSG_LEN(sizeof(struct ucred)))
				cr = (const struct ucred *)CMSG_DATA(c);
		handle_datagram(f, f->rx, (size_t)n, &src, authorized(f, cr));
	}
}

/* ---- life cycle */

static int open_socket(struct nl_front *f, char *err, size_t errlen)
{
	int one = 1, rcv = 4 << 20, snd = 4 << 20;
	f->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (f->fd < 0) {
		snprintf(err, errlen, "netlink socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(f->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(f->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (setsockopt(f->fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)) < 0)
		setsockopt(f->fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
	if (setsockopt(f->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
		snprintf(err, errlen, "SO_PASSCRED: %s", strerror(errno));
		return -1;
	}
	/* libvirt sends to the pid it reads from the pid file */
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_pid = (uint32_t)getpid() };
	if (bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "netlink port %u (our pid) is taken: %s; the front must be "
			 "created before any libnl socket", sa.nl_pid, strerror(errno));
		return -1;
	}
	f->port = sa.nl_pid;

	f->link_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl la = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	if (f->link_fd < 0 || bind(f->link_fd, (struct sockaddr *)&la, sizeof(la)) < 0) {
		snprintf(err, errlen, "netlink link socket: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int nl_front_reconfigure(struct nl_front *f, const struct nl_front_config *cfg)
{
	struct nl_front_config *c = &f->cfg;
	uint32_t part_max = cfg->part_max < 256 ? 256 : cfg->part_max;
	int n = 0;

#define TAKE(field, fmt)                                                                                   \
	do {                                                                                               \
		if (c->field != cfg->field) {                                                              \
			log_notice(TAG, "netlink." #field ": " fmt " -> " fmt, c->field, cfg->field);     \
			c->field = cfg->field;                                                             \
			n++;                                                                               \
		}                                                                                          \
	} while (0)
	TAKE(ack_delay_ms, "%u");
	TAKE(linkdel_grace_ms, "%u");
	TAKE(linger_ms, "%u");
	TAKE(unread_max_ms, "%u");
	TAKE(require_admin, "%d");
#undef TAKE
	if (c->part_max != part_max) {
		log_notice(TAG, "netlink.part_max: %u -> %u", c->part_max, part_max);
		c->part_max = part_max;
		n++;
	}
	if (!cfg->enabled)
		log_warn(TAG, "netlink.lldpad_compat = false: the front stays until vdpd restarts");
	if (strcmp(c->pidfile, cfg->pidfile) != 0)
		log_warn(TAG, "netlink.pidfile \"%s\": takes effect when vdpd restarts (now \"%s\")",
			 cfg->pidfile, c->pidfile);
	return n;
}

struct nl_front *nl_front_new(struct event_base *base, const struct nl_front_config *cfg,
			      const struct nl_front_ops *ops, void *ctx, char *err, size_t errlen)
{
	struct nl_front *f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->cfg = *cfg;
	if (f->cfg.part_max < 256)
		f->cfg.part_max = 256;
	f->ops = ops;
	f->ctx = ctx;
	f->base = base;
	f->fd = f->link_fd = -1;
	f->mask = 63;
	f->bkt = calloc(f->mask + 1, sizeof(*f->bkt));
	f->rx = malloc(NLF_RXBUF);
	if (!f->bkt || !f->rx) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (open_socket(f, err, errlen) < 0)
		goto fail;
	if (f->cfg.pidfile[0]) {
		if (nlf_take_pidfile(f->cfg.pidfile, err, errlen) < 0)
			goto fail;
		f->own_pidfile = true;
	}
	f->ev_rx = event_new(base, f->fd, EV_READ | EV_PERSIST, rx_cb, f);
	f->ev_link = event_new(base, f->link_fd, EV_READ | EV_PERSIST, nlf_link_cb, f);
	f->ev_sweep = event_new(base, -1, EV_PERSIST, nlf_sweep_cb, f);
	if (!f->ev_rx || !f->ev_link || !f->ev_sweep || nlf_tx_init(f) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	struct timeval tv = nlf_tv_ms(1000);
	event_add(f->ev_rx, NULL);
	event_add(f->ev_link, NULL);
	event_add(f->ev_sweep, &tv);
	log_info(TAG, "lldpad-compatible netlink front on port %u, pid file %s", f->port,
		 f->cfg.pidfile[0] ? f->cfg.pidfile : "(none)");
	return f;
fail:
	nl_front_free(f);
	return NULL;
}

void nl_front_free(struct nl_front *f)
{
	if (!f)
		return;
	while (f->head)
		nlf_rec_free(f, f->head);
	if (f->fd >= 0)
		nlf_tx_flush(f);
	nlf_tx_free(f);
	if (f->ev_rx)
		event_free(f->ev_rx);
	if (f->ev_link)
		event_free(f->ev_link);
	if (f->ev_sweep)
		event_free(f->ev_sweep);
	if (f->fd >= 0)
		close(f->fd);
	if (f->link_fd >= 0)
		close(f->link_fd);
	if (f->own_pidfile && nlf_read_pid(f->cfg.pidfile) == (long)f->port)
		unlink(f->cfg.pidfile);
	free(f->bkt);
	free(f->rx);
	free(f);
}

int nl_front_after_fork(struct nl_front *f, char *err, size_t errlen)
{
	if (!f || f->port == (uint32_t)getpid())
		return 0;
	/* the parent's pid file entry and port go; the child's come */
	if (f->own_pidfile && nlf_read_pid(f->cfg.pidfile) == (long)f->port)
		unlink(f->cfg.pidfile);
	f->own_pidfile = false;
	event_free(f->ev_rx);
	event_free(f->ev_link);
	f->ev_rx = f->ev_link = NULL;
	nlf_tx_flush(f);
	close(f->fd);
	close(f->link_fd);
	f->fd = f->link_fd = -1;
	if (open_socket(f, err, errlen) < 0)
		return -1;
	if (f->cfg.pidfile[0]) {
		if (nlf_take_pidfile(f->cfg.pidfile, err, errlen) < 0)
			return -1;
		f->own_pidfile = true;
	}
	f->ev_rx = event_new(f->base, f->fd, EV_READ | EV_PERSIST, rx_cb, f);
	f->ev_link = event_new(f->base, f->link_fd, EV_READ | EV_PERSIST, nlf_link_cb, f);
	if (!f->ev_rx || !f->ev_link) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	event_add(f->ev_rx, NULL);
	event_add(f->ev_link, NULL);
	return 0;
}

uint32_t nl_front_port(const struct nl_front *f)
{
	return f->port;
}

const struct nl_front_counters *nl_front_counters(const struct nl_front *f)
{
	return &f->cnt;
}

size_t nl_front_records(const struct nl_front *f)
{
	return f->n;
}

