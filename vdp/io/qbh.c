/* 802.1Qbh backend: one session per VSI on the event loop (see qbh.h).
 *
 * A session sends one request and follows it to the end:
 *   PROBE   GETLINK before the SETLINK, for the first association of a key
 *           (when the adapter already reports it, adopt it and send
 *           nothing) and for every request on the device itself
 *           (PORT_SELF: its MAC, see qbh.h);
 *   ADDR    SETLINK IFLA_ADDRESS sent: a zeroed PORT_SELF MAC put back
 *           before a (pre)association, waiting for the kernel's ack;
 *   ACK     SETLINK sent, waiting for the kernel's NLMSG_ERROR;
 *   STATUS  GETLINK sent, waiting for RTM_NEWLINK;
 *   SLEEP   in progress; the timer sends the next GETLINK;
 *   RETRY   a (pre)association failed for a cause that may pass: the timer
 *           sends it again (a new SETLINK, no probe) after the backoff.
 * Replies are read with the socket non-blocking; when one is not queued
 * yet the timer looks again.  Past the deadline the session fails and an
 * association is taken back with DISASSOCIATE (a session of its own whose
 * result is only logged). */
#include <errno.h>
#include <stdarg.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/base/backoff.h"
#include "vdp/base/codec.h"
#include "vdp/base/log.h"
#include "vdp/base/logburst.h"
#include "vdp/base/vclock.h"
#include "vdp/wire/nl_parse.h"
#include "vdp/io/qbh.h"

#define QBH_MACS_MAX 64 /* PORT_SELF devices whose MAC is kept (then the oldest goes) */

enum phase { PH_END, PH_PROBE, PH_ADDR, PH_ACK, PH_STATUS, PH_SLEEP, PH_RETRY };

struct sess {
	struct qbh *q;
	struct sess *next;
	char key[QBH_KEY_MAX];
	bool cleanup; /* DISASSOCIATE after a move or a deadline: not remembered */
	char dev[32], driver[32];
	char target[16];
	int ifindex;
	int32_t vf;
	char profile[QBH_PROFILE_LEN];
	uint8_t instance[16];
	uint8_t request;
	enum phase ph;
	bool adopt; /* PROBE: the first association, adopted when already there */
	bool mac_refused; /* not sent: PORT_SELF MAC zero and not put back */
	bool mac_tried; /* ... though mac_back was tried */
	uint8_t mac_back[6]; /* the MAC put back */
	bool acked; /* the kernel took this request: a deadline takes it back */
	int fd;
	uint32_t seq;
	uint64_t started;
	struct vtimer *timer;
	struct qbh_result res;
	uint32_t retries; /* sent again by the timer since the registry last asked */
	int fail_error; /* cause of the previous failure: a repeat is logged quieter */
	uint16_t fail_response;
};

struct qbh {
	struct vclock *clock;
	const struct qbh_nl_ops *ops;
	void *ctx;
	struct qbh_cfg cfg;
	uint32_t seq;
	struct sess *sessions;
	uint8_t *buf;
	size_t cap;
	uint64_t rng; /* the retries' jitter */
	struct log_bursts *bursts; /* repeated failures of many VSIs: one line */
	/* Per PORT_SELF device, the last non-zero MAC it had before one of our
	 * requests: what a (pre)association puts back after enic zeroed it. */
	struct {
		char dev[16];
		int ifindex;
		uint8_t mac[6];
	} macs[QBH_MACS_MAX];
	size_t n_macs, next_mac;
};

static struct qbh_counters counters;
static const uint8_t zero_mac[6];
static void remember(const char *key, const struct qbh_result *res, struct vclock *clock);

/* A session's result as it stands, for vdpctl (never a cleanup's). */
static void keep(const struct sess *s)
{
	if (!s->cleanup)
		remember(s->key, &s->res, s->q->clock);
}

const struct qbh_counters *qbh_counters(void)
{
	return &counters;
}

const char *qbh_response_name(uint16_t response)
{
	switch ((enum qbh_response)response) {
	case QBH_RESP_SUCCESS:
		return "success";
	case QBH_RESP_INPROGRESS:
		return "in progress";
	case QBH_RESP_INVALID:
		return "invalid";
	case QBH_RESP_BADSTATE:
		return "bad state";
	case QBH_RESP_INSUFFICIENT_RESOURCES:
		return "insufficient resources";
	case QBH_RESP_ERROR:
		return "error";
	}
	return "unknown";
}

const char *qbh_state_name(enum qbh_state st)
{
	static const char *const n[] = { "idle", "polling", "done", "failed" };
	return (unsigned)st < 4 ? n[st] : "?";
}

const char *qbh_retry_name(enum qbh_retry r)
{
	static const char *const n[] = { "none", "waiting", "permanent", "off" };
	return (unsigned)r < 4 ? n[r] : "?";
}

/* Which failures are worth the same request again.  Transient: the cause
 * lies in the adapter's or the host's state at that moment, which changes
 * by itself.  Permanent: the request or the device is wrong, and only a
 * change of the registry (another profile, device or binding) or of the
 * device can help; that change re-sends at once anyway. */
bool qbh_failure_transient(int error, bool has_response, uint16_t response)
{
	switch (-error) {
	case 0:
		break;
	case ETIMEDOUT: /* the deadline: firmware or port extender slow or unreachable */
	case EBUSY: /* the driver or the firmware busy with another command */
	case EAGAIN:
	case EINTR:
	case EIO: /* a command to the firmware failed on the way */
	case ENOMEM: /* the host short of memory or socket buffers, */
	case ENOBUFS:
	case EMFILE: /* or of descriptors for our socket */
	case ENFILE:
		return true;
	default:
		/* EOPNOTSUPP: no port profiles on the device (no
		 * ndo_set_vf_port, PORT_SELF of a static vNIC, SR-IOV off);
		 * EINVAL/ERANGE: the request itself refused (VF index beyond
		 * num_vfs, attribute lengths); ENODEV: the device went away;
		 * EPROTO, EMSGSIZE: a reply or request we cannot make sense
		 * of.  The same request gets the same answer. */
		return false;
	}
	if (!has_response)
		return false;
	switch ((enum qbh_response)response) {
	case QBH_RESP_INSUFFICIENT_RESOURCES: /* may be freed by other VMs leaving */
	case QBH_RESP_ERROR: /* enic: any firmware status it does not name */
	case QBH_RESP_BADSTATE: /* the port mid-change (e.g. a DISASSOCIATE still
				 * being undone): settles by itself */
		return true;
	case QBH_RESP_INVALID: /* the switch does not know the profile (or
				* refuses it): the same name stays invalid until
				* the registry or the switch changes */
	case QBH_RESP_SUCCESS:
	case QBH_RESP_INPROGRESS:
		return false;
	}
	return false;
}

static const char *req_name(uint8_t r)
{
	return r == QBH_ASSOCIATE       ? "associate"
		: r == QBH_DISASSOCIATE ? "disassociate"
					: "preassociate-rr";
}

/* "eth4 (driver enic)" or "enp1s0v2 (VF 2 of enp1s0, driver enic)" */
static void where(const struct sess *s, char *out, size_t len)
{
	const char *drv = s->driver[0] ? s->driver : "unknown";

	if (s->vf >= 0)
		snprintf(out, len, "%s (VF %d of %s, driver %s)", s->dev, (int)s->vf, s->target,
			 drv);
	else
		snprintf(out, len, "%s (driver %s)", s->dev, drv);
}

/* Why the kernel or driver said no, in the terms of rtnetlink and enic. */
static const char *why(const struct sess *s, int error)
{
	if (error == -EOPNOTSUPP)
		return s->vf < 0
			? "no port profiles on the device itself (no ndo_set_vf_port, "
			  "or enic: PORT_SELF only on a dynamic vNIC)"
			: "no port profiles for VFs (no ndo_set_vf_port, or enic: SR-IOV off)";
	if (error == -EINVAL)
		return "request refused (enic: VF index not below num_vfs, or an attribute of the "
		       "wrong length)";
	if (error == -ETIMEDOUT)
		return "no final answer from the adapter before the deadline";
	return "";
}

static void after_failure(struct sess *s);

static void mac_text(const uint8_t m[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* Appends to a message, cut at its end. */
static void msg_add(char *msg, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void msg_add(char *msg, size_t cap, const char *fmt, ...)
{
	size_t n = strnlen(msg, cap);
	va_list ap;

	if (n + 1 >= cap)
		return;
	va_start(ap, fmt);
	vsnprintf(msg + n, cap - n, fmt, ap);
	va_end(ap);
}

/* A (pre)association not sent because the device's MAC is zero. */
static void mac_msg(const struct sess *s, const char *w, struct qbh_result *r)
{
	char back[18] = "<its MAC>";

	r->msg[0] = 0;
	msg_add(r->msg, sizeof(r->msg),
		"%s: 802.1Qbh %s of profile %s not sent: the device's MAC is 00:00:00:00:00:00 "
		"(enic zeroes it on DISASSOCIATE; it would register a random one) and ",
		w, req_name(s->request), s->profile);
	if (s->mac_tried) {
		mac_text(s->mac_back, back);
		msg_add(r->msg, sizeof(r->msg), "putting back %s failed: %s", back,
			strerror(-r->error));
	} else {
		msg_add(r->msg, sizeof(r->msg), "vdpd knows none it had before");
	}
	msg_add(r->msg, sizeof(r->msg),
		"; set it (ip link set dev %s address %s), vdpd tries again at its next retry",
		s->target, back);
}

static void finish(struct sess *s, enum qbh_state st, int error)
{
	struct qbh_result *r = &s->res;
	char w[128];
	const char *reason = why(s, error);

	s->ph = PH_END;
	vtimer_cancel(s->q->clock, s->timer);
	if (s->fd >= 0) {
		s->q->ops->close(s->q->ctx, s->fd);
		s->fd = -1;
	}
	r->state = st;
	r->error = error;
	where(s, w, sizeof(w));
	if (st == QBH_ST_DONE) {
		counters.success++;
		counters.recovered += s->retries > 0;
		snprintf(r->msg, sizeof(r->msg), "%s: 802.1Qbh %s of profile %s: success", w,
			 req_name(s->request), s->profile[0] ? s->profile : "-");
		if (s->retries)
			log_info("qbh", "%s: %s (after %u retries)", s->key, r->msg, s->retries);
		else
			log_info("qbh", "%s: %s", s->key, r->msg);
	} else {
		counters.errors++;
		counters.unsupported += error == -EOPNOTSUPP;
		if (s->mac_refused)
			mac_msg(s, w, r);
		else if (error)
			snprintf(r->msg, sizeof(r->msg),
				 "%s: 802.1Qbh %s of profile %s failed: %s%s%s", w,
				 req_name(s->request), s->profile[0] ? s->profile : "-",
				 strerror(-error), reason[0] ? ": " : "", reason);
		else
			snprintf(r->msg, sizeof(r->msg),
				 "%s: 802.1Qbh %s of profile %s failed: adapter answered %s", w,
				 req_name(s->request), s->profile[0] ? s->profile : "-",
				 qbh_response_name(r->response));
		after_failure(s);
	}
	keep(s);
}

/* A failure: logged, and sent again after the backoff when its cause may
 * pass.  Only the registry's (pre)associations are retried: a
 * DISASSOCIATE follows a VSI that is no longer wanted.  The first failure
 * of a request, or one with another cause than the last, is an error;
 * the same failure again is progress, at info and at most
 * LOG_BURST_SINGLES lines a second per device (the rest summed up). */
static void after_failure(struct sess *s)
{
	struct qbh *q = s->q;
	struct qbh_result *r = &s->res;
	bool retried = !s->cleanup && s->request != QBH_DISASSOCIATE;
	/* A zero PORT_SELF MAC is set by hand, not by waiting; but each retry
	 * only reads it again (nothing reaches the adapter while it is zero),
	 * so the association follows by itself once it is set.  A PORT_SELF
	 * deadline is retried too: its take-back zeroes the MAC, and the
	 * retry puts it back first. */
	bool transient =
		s->mac_refused || qbh_failure_transient(r->error, r->has_response, r->response);
	bool again = s->retries && r->error == s->fail_error &&
		(r->has_response ? r->response : 0) == s->fail_response;
	uint64_t d;

	s->fail_error = r->error;
	s->fail_response = r->has_response ? r->response : 0;
	if (!transient) {
		r->retry = QBH_RETRY_PERMANENT;
		counters.permanent += retried;
		log_err("qbh", "%s: %s%s", s->key, r->msg,
			!retried || !q->cfg.retry_initial_us ? "" : " (permanent: not retried)");
		return;
	}
	if (!retried || !q->cfg.retry_initial_us) {
		r->retry = QBH_RETRY_OFF;
		log_err("qbh", "%s: %s", s->key, r->msg);
		return;
	}
	d = backoff_jitter(
		&q->rng, backoff_us(q->cfg.retry_initial_us, q->cfg.retry_max_us, s->retries + 1));
	s->ph = PH_RETRY;
	r->retry = QBH_RETRY_WAITING;
	r->retry_at_us = vclock_now(q->clock) + d;
	vtimer_arm(q->clock, s->timer, d);
	if (!again)
		log_err("qbh", "%s: %s; retrying in %llu ms (attempt %u)", s->key, r->msg,
			(unsigned long long)(d / 1000), s->retries + 1);
	else if (log_burst_admit(q->bursts, s->target, "802.1Qbh failed again"))
		log_info("qbh", "%s: %s; retrying in %llu ms (attempt %u)", s->key, r->msg,
			 (unsigned long long)(d / 1000), s->retries + 1);
}

static void sess_free(struct sess *s)
{
	struct sess **pp;

	for (pp = &s->q->sessions; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	if (s->fd >= 0)
		s->q->ops->close(s->q->ctx, s->fd);
	vtimer_free(s->q->clock, s->timer);
	free(s);
}

static int send_msg(struct sess *s, const uint8_t *m, size_t len)
{
	struct qbh *q = s->q;
	int rc;

	if (s->fd < 0 && (s->fd = q->ops->open(q->ctx)) < 0) {
		rc = s->fd;
		s->fd = -1;
		return rc;
	}
	return q->ops->send(q->ctx, s->fd, m, len);
}

static int send_getlink(struct sess *s)
{
	uint8_t out[64];
	struct wbuf w;

	s->seq = ++s->q->seq;
	struct nlp_hdr h = { RTM_GETLINK, NLM_F_REQUEST, s->seq, 0 };
	wbuf_init(&w, out, sizeof(out));
	if (nlp_build_getlink(&w, &h, s->ifindex) < 0)
		return -EMSGSIZE;
	if (s->ph != PH_PROBE) {
		s->res.polls++;
		counters.polls++;
	}
	return send_msg(s, out, w.len);
}

static int send_setlink(struct sess *s)
{
	struct qbh_req r = {
		.dev = s->dev,
		.target = s->target,
		.ifindex = s->ifindex,
		.vf = s->vf,
		.profile = s->profile,
		.request = s->request,
		.has_host_uuid = s->q->cfg.has_host_uuid,
	};
	uint8_t out[256];
	struct wbuf w;
	int rc;

	memcpy(r.instance, s->instance, 16);
	memcpy(r.host_uuid, s->q->cfg.host_uuid, 16);
	s->seq = ++s->q->seq;
	wbuf_init(&w, out, sizeof(out));
	if ((rc = qbh_build_setlink(&w, s->seq, 0, &r)) < 0)
		return rc == CODEC_E_NO_SPACE ? -EMSGSIZE : rc;
	counters.requests++;
	s->ph = PH_ACK;
	return send_msg(s, out, w.len);
}

/* ---- the MAC of the device itself (PORT_SELF), see qbh.h */

static void step(struct sess *s);

static int mac_slot(const struct qbh *q, const struct sess *s)
{
	for (size_t i = 0; i < q->n_macs; i++)
		if (q->macs[i].ifindex == s->ifindex && !strcmp(q->macs[i].dev, s->target))
			return (int)i;
	return -1;
}

static void mac_note(struct qbh *q, const struct sess *s, const uint8_t mac[6])
{
	int i = mac_slot(q, s);

	if (i < 0) {
		if (q->n_macs < QBH_MACS_MAX) {
			i = (int)q->n_macs++;
		} else {
			i = (int)q->next_mac;
			q->next_mac = (q->next_mac + 1) % QBH_MACS_MAX;
		}
		snprintf(q->macs[i].dev, sizeof(q->macs[i].dev), "%s", s->target);
		q->macs[i].ifindex = s->ifindex;
	}
	memcpy(q->macs[i].mac, mac, 6);
}

static int send_setaddr(struct sess *s)
{
	uint8_t out[64];
	struct wbuf w;

	s->seq = ++s->q->seq;
	struct nlp_hdr h = { RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK, s->seq, 0 };
	wbuf_init(&w, out, sizeof(out));
	if (nlp_build_setaddr(&w, &h, s->ifindex, s->mac_back) < 0)
		return -EMSGSIZE;
	s->ph = PH_ADDR;
	return send_msg(s, out, w.len);
}

/* The (pre)association is not sent: counted with the refusals, and
 * retried (see after_failure). */
static void mac_refuse(struct sess *s, int error)
{
	s->mac_refused = true;
	counters.mac_zero++;
	counters.refused++;
	finish(s, QBH_ST_FAILED, error);
}

/* The link as it is before our SETLINK on PORT_SELF: a non-zero MAC is
 * remembered; a zero one is put back before a (pre)association (the
 * SETLINK follows its ack, on_addr_ack), or the request is not sent. */
static void before_setlink(struct sess *s, const uint8_t *m, size_t len)
{
	struct nlp_link l;
	int rc, i;

	if (s->vf < 0 && nlp_parse_link(m, len, &l) == NLP_OK && l.has_mac) {
		if (memcmp(l.mac, zero_mac, 6)) {
			mac_note(s->q, s, l.mac);
		} else if (s->request != QBH_DISASSOCIATE) {
			if ((i = mac_slot(s->q, s)) < 0) {
				mac_refuse(s, -EADDRNOTAVAIL);
				return;
			}
			memcpy(s->mac_back, s->q->macs[i].mac, 6);
			s->mac_tried = true;
			if ((rc = send_setaddr(s)) < 0)
				mac_refuse(s, rc);
			else
				step(s);
			return;
		}
	}
	if ((rc = send_setlink(s)) < 0)
		finish(s, QBH_ST_FAILED, rc);
	else
		step(s);
}

static void on_addr_ack(struct sess *s, int error)
{
	char mac[18];
	int rc;

	if (error) {
		mac_refuse(s, error);
		return;
	}
	counters.mac_restored++;
	mac_text(s->mac_back, mac);
	log_info("qbh",
		 "%s: %s: MAC %s put back before the 802.1Qbh %s (it was zero: enic zeroes it on "
		 "DISASSOCIATE, and would register a random one)",
		 s->key, s->target, mac, req_name(s->request));
	if ((rc = send_setlink(s)) < 0)
		finish(s, QBH_ST_FAILED, rc);
}

/* This session's entry of a status reply, or NULL.  Every entry is looked
 * at: a PF with many VFs answers with one IFLA_VF_PORT each. */
static const struct nlp_port *find_port(const struct sess *s, const uint8_t *m, size_t len,
					struct nlp_status_reply *rep, struct nlp_port **ports)
{
	memset(rep, 0, sizeof(*rep));
	if (nlp_parse_reply(m, len, rep) < 0 || rep->type != RTM_NEWLINK)
		return NULL;
	if (s->vf < 0)
		return rep->has_port_self ? &rep->self : NULL;
	if (!rep->n || !(*ports = calloc(rep->n, sizeof(**ports))))
		return NULL;
	rep->ports = *ports;
	rep->cap = rep->n;
	if (nlp_parse_reply(m, len, rep) < 0)
		return NULL;
	for (size_t i = 0; i < rep->n_kept; i++)
		if (rep->ports[i].has_vf && rep->ports[i].vf == (uint32_t)s->vf)
			return &rep->ports[i];
	return NULL;
}

static bool same_association(const struct sess *s, const struct nlp_port *p)
{
	return p->has_request && p->request == s->request && p->has_response &&
		p->response == QBH_RESP_SUCCESS && p->has_profile &&
		!strncmp(p->profile, s->profile, QBH_PROFILE_LEN) && p->has_uuid &&
		!memcmp(p->uuid, s->instance, 16);
}

/* No exchange under way: ended, or waiting for its retry. */
static bool over(const struct sess *s)
{
	return s->ph == PH_END || s->ph == PH_RETRY;
}

static void on_status(struct sess *s, const uint8_t *m, size_t len)
{
	struct nlp_status_reply rep;
	struct nlp_port *ports = NULL;
	const struct nlp_port *p = find_port(s, m, len, &rep, &ports);

	if (s->ph == PH_PROBE) {
		bool same = s->adopt && p && same_association(s, p);
		free(ports);
		if (same) {
			counters.adopted++;
			s->res.has_response = true;
			s->res.response = QBH_RESP_SUCCESS;
			finish(s, QBH_ST_DONE, 0);
			snprintf(s->res.msg + strlen(s->res.msg),
				 sizeof(s->res.msg) - strlen(s->res.msg),
				 " (already on the adapter, not re-sent)");
			keep(s);
			return;
		}
		before_setlink(s, m, len);
		return;
	}
	bool answered = p && p->has_response;
	if (answered) {
		s->res.has_response = true;
		s->res.response = p->response;
	}
	free(ports);
	if (!answered || s->res.response == QBH_RESP_INPROGRESS) {
		/* enic: INPROGRESS until the firmware is done; an entry
		 * appears once the request is applied */
		s->ph = PH_SLEEP;
		vtimer_arm(s->q->clock, s->timer, s->q->cfg.poll_us);
		keep(s);
		return;
	}
	finish(s, s->res.response == QBH_RESP_SUCCESS ? QBH_ST_DONE : QBH_ST_FAILED, 0);
}

static void on_ack(struct sess *s, int error)
{
	int rc;

	if (error) {
		finish(s, QBH_ST_FAILED, error);
		return;
	}
	counters.acked++;
	s->acked = true;
	/* like libvirt: the first status query right away */
	s->ph = PH_STATUS;
	s->res.state = QBH_ST_POLLING;
	if ((rc = send_getlink(s)) < 0)
		finish(s, QBH_ST_FAILED, rc);
	else
		keep(s);
}

/* Reads what is queued; true when a message of ours was handled. */
static bool read_replies(struct sess *s)
{
	struct qbh *q = s->q;
	ssize_t n;

	while (!over(s) && s->ph != PH_SLEEP &&
	       (n = q->ops->recv(q->ctx, s->fd, &q->buf, &q->cap)) != -EAGAIN) {
		if (n < 0) {
			finish(s, QBH_ST_FAILED, (int)n);
			return true;
		}
		struct nlp_status_reply rep;
		memset(&rep, 0, sizeof(rep));
		if (nlp_parse_reply(q->buf, (size_t)n, &rep) < 0 ||
		    ((const struct nlmsghdr *)q->buf)->nlmsg_seq != s->seq)
			continue; /* not ours, or not for this step */
		/* an errno the kernel could send: 0 or -1..-4095 */
		if (rep.type == NLMSG_ERROR && (rep.error > 0 || rep.error < -4095))
			rep.error = -EPROTO;
		if (s->ph == PH_ACK || s->ph == PH_ADDR) {
			if (rep.type == NLMSG_ERROR)
				(s->ph == PH_ACK ? on_ack : on_addr_ack)(s, rep.error);
		} else if (rep.type == NLMSG_ERROR && rep.error) {
			if (s->ph == PH_PROBE) {
				int rc = send_setlink(s);
				if (rc < 0)
					finish(s, QBH_ST_FAILED, rc);
			} else {
				finish(s, QBH_ST_FAILED, rep.error);
			}
		} else {
			on_status(s, q->buf, (size_t)n);
		}
		return true;
	}
	return false;
}

static void step(struct sess *s)
{
	if (s->fd < 0 || over(s))
		return;
	while (read_replies(s))
		;
	/* nothing queued yet: look again at the next tick */
	if (!over(s) && s->ph != PH_SLEEP)
		vtimer_arm(s->q->clock, s->timer, s->q->cfg.poll_us);
}

static void begin(struct sess *s, uint8_t request, bool probe);
static void start_cleanup(struct qbh *q, const struct sess *old);
static void retry_now(struct sess *s);

static void on_timer(void *arg)
{
	struct sess *s = arg;
	struct qbh *q = s->q;
	int rc;

	if (s->ph == PH_END)
		return;
	if (s->ph == PH_RETRY) {
		retry_now(s);
		return;
	}
	if (vclock_now(q->clock) - s->started >= q->cfg.deadline_us) {
		bool take_back = s->request != QBH_DISASSOCIATE && s->acked;
		counters.timeouts++;
		finish(s, QBH_ST_FAILED, -ETIMEDOUT);
		if (take_back)
			/* libvirt: an association that timed out is undone */
			start_cleanup(q, s);
		return;
	}
	if (s->ph == PH_SLEEP) {
		s->ph = PH_STATUS;
		if ((rc = send_getlink(s)) < 0) {
			finish(s, QBH_ST_FAILED, rc);
			return;
		}
	}
	step(s);
}

static void begin(struct sess *s, uint8_t request, bool probe)
{
	int rc;

	vtimer_cancel(s->q->clock, s->timer);
	s->request = request;
	s->acked = false;
	s->started = vclock_now(s->q->clock);
	memset(&s->res, 0, sizeof(s->res));
	s->res.request = request;
	s->res.state = QBH_ST_POLLING;
	s->res.retries = s->retries;
	s->adopt = probe;
	s->mac_refused = s->mac_tried = false;
	snprintf(s->res.msg, sizeof(s->res.msg), "%s: 802.1Qbh %s of profile %s sent", s->dev,
		 req_name(request), s->profile[0] ? s->profile : "-");
	keep(s);
	if (probe || s->vf < 0) {
		s->ph = PH_PROBE;
		rc = send_getlink(s);
	} else {
		rc = send_setlink(s);
	}
	if (rc < 0)
		finish(s, QBH_ST_FAILED, rc);
	else
		step(s);
}

struct qbh *qbh_new(struct vclock *clock, const struct qbh_nl_ops *ops, void *ops_ctx,
		    const struct qbh_cfg *cfg)
{
	struct qbh *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->clock = clock;
	q->ops = ops ? ops : &qbh_nl_kernel;
	q->ctx = ops_ctx;
	if (cfg)
		q->cfg = *cfg;
	if (!q->cfg.poll_us)
		q->cfg.poll_us = QBH_POLL_US;
	if (!q->cfg.deadline_us)
		q->cfg.deadline_us = QBH_DEADLINE_US;
	if (!q->cfg.retry_max_us)
		q->cfg.retry_max_us = QBH_RETRY_MAX_US;
	q->rng = backoff_seed(q->cfg.retry_seed ? q->cfg.retry_seed
						: vclock_now(clock) ^ (uint64_t)(uintptr_t)q);
	q->bursts = log_bursts_new(clock, "qbh"); /* NULL: every line written */
	return q;
}

/* A retry that will not come: vdpctl must not announce it. */
static void drop_retry(struct sess *s)
{
	if (s->ph != PH_RETRY)
		return;
	s->ph = PH_END;
	vtimer_cancel(s->q->clock, s->timer);
	s->res.retry = QBH_RETRY_OFF;
	s->res.retry_at_us = 0;
	keep(s);
}

void qbh_set_retry(struct qbh *q, uint64_t initial_us, uint64_t max_us)
{
	q->cfg.retry_initial_us = initial_us;
	q->cfg.retry_max_us = max_us ? max_us : QBH_RETRY_MAX_US;
	if (!initial_us)
		for (struct sess *s = q->sessions; s; s = s->next)
			drop_retry(s);
}

void qbh_free(struct qbh *q)
{
	if (!q)
		return;
	for (struct sess *s = q->sessions; s; s = s->next)
		drop_retry(s);
	while (q->sessions)
		sess_free(q->sessions);
	log_bursts_free(q->bursts);
	free(q->buf);
	free(q);
}

/* Finished DISASSOCIATEs are forgotten here, never from inside their own
 * callbacks. */
static void gc(struct qbh *q)
{
	struct sess *s = q->sessions, *n;

	for (; s; s = n) {
		n = s->next;
		if (s->ph == PH_END && (s->cleanup || s->request == QBH_DISASSOCIATE))
			sess_free(s);
	}
}

static struct sess *find(struct qbh *q, const char *key)
{
	for (struct sess *s = q->sessions; s; s = s->next)
		if (!s->cleanup && !strcmp(s->key, key))
			return s;
	return NULL;
}

/* A refusal before anything is sent: counted and remembered. */
static int refuse(const char *key, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(const char *key, int error, const char *fmt, ...)
{
	struct qbh_result r;
	va_list ap;

	memset(&r, 0, sizeof(r));
	r.state = QBH_ST_FAILED;
	r.error = error;
	va_start(ap, fmt);
	vsnprintf(r.msg, sizeof(r.msg), fmt, ap);
	va_end(ap);
	counters.refused++;
	counters.errors++;
	log_err("qbh", "%s: %s", key, r.msg);
	remember(key, &r, NULL);
	return error;
}

/* The port of v: a VF bound to the VSI (netdev or PCI address) through its
 * PF, else the uplink (a VF uplink through its PF too). */
static int resolve(struct qbh *q, const struct qbh_vsi *v, struct sess *s)
{
	const char *sys = q->cfg.sysfs;
	const char *dev = v->dev && v->dev[0] ? v->dev : v->uplink;
	int rc;

	if (!dev || !dev[0])
		return refuse(v->key, -ENODEV,
			      "no device bound and no uplink: nothing to send 802.1Qbh to");
	snprintf(s->dev, sizeof(s->dev), "%s", dev);
	qbh_driver(sys, dev, s->driver, sizeof(s->driver));
	rc = qbh_target(sys, dev, s->target, &s->vf);
	if (rc < 0)
		return refuse(v->key, rc,
			      "%s: no network device and no SR-IOV VF of that name (a VF bound to "
			      "vfio has no netdev: bind it by PCI address): 802.1Qbh needs one",
			      dev);
	if (s->vf < 0 && dev != v->uplink && v->uplink && v->uplink[0]) {
		/* a macvtap: its port is the lower device, libvirt's <source dev> */
		snprintf(s->dev, sizeof(s->dev), "%s", v->uplink);
		qbh_driver(sys, v->uplink, s->driver, sizeof(s->driver));
		if ((rc = qbh_target(sys, v->uplink, s->target, &s->vf)) < 0)
			return refuse(v->key, rc, "%s: no such uplink for 802.1Qbh", v->uplink);
	}
	if (s->vf >= 0 && !s->driver[0])
		qbh_driver(sys, s->target, s->driver, sizeof(s->driver));
	if ((s->ifindex = q->ops->ifindex(q->ctx, s->target)) < 0)
		return refuse(v->key, s->ifindex, "%s: no ifindex for 802.1Qbh: %s", s->target,
			      strerror(-s->ifindex));
	return 0;
}

static struct sess *new_sess(struct qbh *q, const char *key)
{
	struct sess *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->q = q;
	s->fd = -1;
	snprintf(s->key, sizeof(s->key), "%s", key);
	if (!(s->timer = vtimer_new(q->clock, on_timer, s))) {
		free(s);
		return NULL;
	}
	s->next = q->sessions;
	q->sessions = s;
	return s;
}

static bool same_port(const struct sess *a, const struct sess *b)
{
	return a->vf == b->vf && !strcmp(a->target, b->target);
}

/* enic keeps one profile per PORT_SELF: a second VSI would overwrite the
 * first, and either one's DISASSOCIATE would remove it for both. */
static const struct sess *self_holder(struct qbh *q, const struct sess *want, const char *key)
{
	for (struct sess *s = q->sessions; s; s = s->next)
		if (!s->cleanup && strcmp(s->key, key) && same_port(s, want) && s->vf < 0 &&
		    s->request != QBH_DISASSOCIATE && s->res.state != QBH_ST_FAILED)
			return s;
	return NULL;
}

static void start_cleanup(struct qbh *q, const struct sess *old)
{
	struct sess *d = new_sess(q, old->key);

	if (!d)
		return;
	d->cleanup = true;
	memcpy(d->dev, old->dev, sizeof(d->dev));
	memcpy(d->driver, old->driver, sizeof(d->driver));
	memcpy(d->target, old->target, sizeof(d->target));
	d->ifindex = old->ifindex;
	d->vf = old->vf;
	begin(d, QBH_DISASSOCIATE, false);
}

/* The DISASSOCIATE taking back s's timed-out attempt is still under way. */
static bool taking_back(struct qbh *q, const struct sess *s)
{
	for (const struct sess *c = q->sessions; c; c = c->next)
		if (c->cleanup && !over(c) && !strcmp(c->key, s->key) && same_port(c, s))
			return true;
	return false;
}

/* The retry timer: the same request again, unless the port went to
 * another VSI meanwhile. */
static void retry_now(struct sess *s)
{
	struct qbh *q = s->q;
	const struct sess *h;

	if (taking_back(q, s)) {
		/* an ASSOCIATE beside it would be undone by it */
		vtimer_arm(q->clock, s->timer, q->cfg.poll_us);
		return;
	}
	if ((h = self_holder(q, s, s->key))) {
		char w[128];
		where(s, w, sizeof(w));
		s->ph = PH_END;
		refuse(s->key, -EBUSY,
		       "%s: 802.1Qbh retry dropped: the device itself (PORT_SELF) carries one "
		       "port profile and VSI %s holds it now (profile %s)",
		       w, h->key, h->profile);
		s->res = *qbh_last(s->key);
		s->res.retry = QBH_RETRY_PERMANENT;
		s->res.retries = s->retries;
		keep(s);
		return;
	}
	s->retries++;
	counters.retries++;
	log_debug("qbh", "%s: 802.1Qbh %s of profile %s sent again (attempt %u)", s->key,
		  req_name(s->request), s->profile, s->retries);
	begin(s, s->request, false);
}

int qbh_associate(struct qbh *q, const struct qbh_vsi *v)
{
	struct sess want, *s = find(q, v->key);
	const struct sess *h;
	uint8_t request = v->migrate ? QBH_PREASSOCIATE_RR : QBH_ASSOCIATE;
	int rc;

	gc(q);
	s = find(q, v->key);
	memset(&want, 0, sizeof(want));
	if (!v->profile || !v->profile[0] || strlen(v->profile) > QBH_PROFILE_MAX)
		return refuse(v->key, -EINVAL, "802.1Qbh profile id '%s' is not 1..%d characters",
			      v->profile ? v->profile : "", QBH_PROFILE_MAX);
	if ((rc = resolve(q, v, &want)) < 0)
		return rc;
	if ((h = self_holder(q, &want, v->key))) {
		char w[128];
		where(&want, w, sizeof(w));
		return refuse(
			v->key, -EBUSY,
			"%s: 802.1Qbh refused: the device itself (PORT_SELF) carries one port "
			"profile and VSI %s holds it (profile %s); give each VSI its own VF",
			w, h->key, h->profile);
	}
	if (s && s->request == request && same_port(s, &want) && !strcmp(s->profile, v->profile) &&
	    !memcmp(s->instance, v->instance, 16) && s->res.state != QBH_ST_FAILED)
		return 0; /* unchanged: sent already, done or in progress */
	if (s && !same_port(s, &want) && s->request != QBH_DISASSOCIATE)
		start_cleanup(q, s);
	bool probe = !s;
	if (!s && !(s = new_sess(q, v->key)))
		return refuse(v->key, -ENOMEM, "out of memory");
	/* same port: one ASSOCIATE with the new profile.  enic undoes the old
	 * association itself and keeps the MAC; an explicit DISASSOCIATE
	 * would zero it and the next ASSOCIATE would register a random one */
	memcpy(s->dev, want.dev, sizeof(s->dev));
	memcpy(s->driver, want.driver, sizeof(s->driver));
	memcpy(s->target, want.target, sizeof(s->target));
	s->ifindex = want.ifindex;
	s->vf = want.vf;
	snprintf(s->profile, sizeof(s->profile), "%s", v->profile);
	memcpy(s->instance, v->instance, 16);
	if (s->fd >= 0) {
		q->ops->close(q->ctx, s->fd);
		s->fd = -1;
	}
	s->retries = 0; /* asked anew: a waiting retry goes, the backoff starts over */
	begin(s, request, probe);
	return 0;
}

int qbh_disassociate(struct qbh *q, const char *key)
{
	struct sess *s;

	gc(q);
	if (!(s = find(q, key)))
		return -ENOENT;
	if (s->request == QBH_DISASSOCIATE)
		return 0;
	if (s->fd >= 0) {
		q->ops->close(q->ctx, s->fd);
		s->fd = -1;
	}
	/* the profile stays in the messages; DISASSOCIATE carries none */
	s->cleanup = false;
	s->retries = 0; /* no longer wanted: a waiting retry goes */
	begin(s, QBH_DISASSOCIATE, false);
	return 0;
}

/* The last result per VSI, for vdpctl */
#define QBH_LAST_MAX 256
static struct {
	char key[QBH_KEY_MAX];
	struct qbh_result res;
	struct vclock *clock; /* of retry_at_us; NULL when none waits */
} last[QBH_LAST_MAX];
static size_t n_last, next_evict;

static void remember(const char *key, const struct qbh_result *res, struct vclock *clock)
{
	size_t i;

	for (i = 0; i < n_last; i++)
		if (!strcmp(last[i].key, key))
			break;
	if (i == n_last) {
		if (n_last < QBH_LAST_MAX) {
			n_last++;
		} else {
			i = next_evict;
			next_evict = (next_evict + 1) % QBH_LAST_MAX;
		}
	}
	snprintf(last[i].key, sizeof(last[i].key), "%s", key);
	last[i].res = *res;
	last[i].clock = res->retry == QBH_RETRY_WAITING ? clock : NULL;
}

const struct qbh_result *qbh_last(const char *key)
{
	for (size_t i = 0; i < n_last; i++)
		if (!strcmp(last[i].key, key))
			return &last[i].res;
	return NULL;
}

int64_t qbh_retry_in_ms(const char *key)
{
	for (size_t i = 0; i < n_last; i++) {
		if (strcmp(last[i].key, key))
			continue;
		if (last[i].res.retry != QBH_RETRY_WAITING || !last[i].clock)
			return -1;
		uint64_t now = vclock_now(last[i].clock), at = last[i].res.retry_at_us;
		return at > now ? (int64_t)((at - now) / 1000) : 0;
	}
	return -1;
}
