/* The kernel + enic model behind the 802.1Qbh seam (see enic_model.h).
 * Written from the behaviour of rtnetlink.c and enic_main.c/enic_pp.c,
 * not from their code. */
#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/enic_model.h"

#define A4(n) (((n) + 3u) & ~3u)
#define TYPE(t) ((t)&NLA_TYPE_MASK)

struct attr {
	const uint8_t *p; /* payload */
	size_t n;
	bool present;
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Splits attributes into tb[0..max] (the last of a type wins, as
 * nla_parse does).  -EINVAL on a malformed attribute. */
static int parse(const uint8_t *p, size_t n, struct attr *tb, unsigned max)
{
	memset(tb, 0, sizeof(*tb) * (max + 1));
	while (n >= 4) {
		uint16_t len = rd16(p), t = TYPE(rd16(p + 2));
		if (len < 4 || len > n)
			return -EINVAL;
		if (t <= max)
			tb[t] = (struct attr){ p + 4, len - 4u, true };
		size_t step = A4(len) < n ? A4(len) : n;
		p += step;
		n -= step;
	}
	return 0;
}

void enic_model_init(struct enic_model *m)
{
	memset(m, 0, sizeof(*m));
	m->inprogress_polls = 2;
	m->rnd = 0x1234567;
}

void enic_model_fini(struct enic_model *m)
{
	for (size_t i = 0; i < m->nq; i++)
		free(m->q[i].data);
	m->nq = 0;
}

struct enic_dev *enic_model_add(struct enic_model *m, const char *name, int ifindex, bool dynamic,
				int num_vfs)
{
	struct enic_dev *d = &m->dev[m->n_dev++];

	memset(d, 0, sizeof(*d));
	strncpy(d->name, name, sizeof(d->name) - 1);
	d->ifindex = ifindex;
	d->port_ops = true;
	d->dynamic = dynamic;
	d->num_vfs = num_vfs;
	uint8_t mac[6] = { 0x00, 0x25, 0xb5, 0x00, 0x00, (uint8_t)ifindex };
	memcpy(d->mac, mac, 6);
	return d;
}

struct enic_dev *enic_model_dev(struct enic_model *m, const char *name)
{
	for (size_t i = 0; i < m->n_dev; i++)
		if (!strcmp(m->dev[i].name, name))
			return &m->dev[i];
	return NULL;
}

static struct enic_dev *by_index(struct enic_model *m, int ifindex)
{
	for (size_t i = 0; i < m->n_dev; i++)
		if (m->dev[i].ifindex == ifindex)
			return &m->dev[i];
	return NULL;
}

struct enic_pp *enic_model_pp(struct enic_dev *d, int vf)
{
	return vf < 0 ? &d->self : vf < ENIC_MAX_VFS ? &d->vf[vf] : NULL;
}

void enic_model_preset(struct enic_dev *d, int vf, const char *profile, const uint8_t inst[16],
		       uint8_t request, uint16_t response)
{
	struct enic_pp *pp = enic_model_pp(d, vf);

	if (!pp)
		return;
	memset(pp, 0, sizeof(*pp));
	pp->applied = true;
	pp->request = request;
	pp->set_name = true;
	strncpy(pp->name, profile, sizeof(pp->name) - 1);
	pp->set_inst = true;
	memcpy(pp->inst, inst, 16);
	pp->final = response;
}

static void queue(struct enic_model *m, int fd, const void *data, size_t len)
{
	if (m->nq == ENIC_MAX_QUEUED)
		return; /* a full socket buffer drops, as the kernel would */
	m->q[m->nq].fd = fd;
	m->q[m->nq].len = len;
	m->q[m->nq].data = malloc(len);
	memcpy(m->q[m->nq].data, data, len);
	m->nq++;
}

static void ack(struct enic_model *m, int fd, const struct nlmsghdr *req, int error)
{
	struct {
		struct nlmsghdr h;
		struct nlmsgerr e;
	} a;

	memset(&a, 0, sizeof(a));
	a.h.nlmsg_len = sizeof(a);
	a.h.nlmsg_type = NLMSG_ERROR;
	a.h.nlmsg_seq = req->nlmsg_seq;
	a.h.nlmsg_pid = req->nlmsg_pid;
	a.e.error = error;
	a.e.msg = *req;
	queue(m, fd, &a, sizeof(a));
}

static bool zero_mac(const uint8_t *mac)
{
	static const uint8_t z[6];
	return !memcmp(mac, z, 6);
}

/* enic_is_valid_pp_vf */
static int valid_pp_vf(const struct enic_dev *d, int vf)
{
	if (vf != -1) {
		if (d->num_vfs <= 0)
			return -EOPNOTSUPP;
		if (vf < 0 || vf >= d->num_vfs)
			return -EINVAL;
		return 0;
	}
	return d->dynamic ? 0 : -EOPNOTSUPP;
}

static int set_port(struct enic_model *m, struct enic_dev *d, int vf, const struct attr *port)
{
	int rc = valid_pp_vf(d, vf);
	struct enic_pp *pp, prev;

	if (rc)
		return rc;
	pp = enic_model_pp(d, vf);
	if (!port[IFLA_PORT_REQUEST].present)
		return -EOPNOTSUPP;
	if (m->fail_count && m->fail_errno &&
	    port[IFLA_PORT_REQUEST].p[0] != PORT_REQUEST_DISASSOCIATE) {
		m->fail_count--;
		pp->requests++;
		return m->fail_errno;
	}
	prev = *pp;
	memset(pp, 0, sizeof(*pp));
	pp->requests = prev.requests + 1;
	pp->request = port[IFLA_PORT_REQUEST].p[0];
	if (port[IFLA_PORT_PROFILE].present) {
		m->last_profile_len = port[IFLA_PORT_PROFILE].n;
		if (port[IFLA_PORT_PROFILE].n != 40)
			goto bad;
		pp->set_name = true;
		memcpy(pp->name, port[IFLA_PORT_PROFILE].p, 40);
	}
	if (port[IFLA_PORT_INSTANCE_UUID].present) {
		if (port[IFLA_PORT_INSTANCE_UUID].n != 16)
			goto bad;
		pp->set_inst = true;
		memcpy(pp->inst, port[IFLA_PORT_INSTANCE_UUID].p, 16);
	}
	if (port[IFLA_PORT_HOST_UUID].present) {
		if (port[IFLA_PORT_HOST_UUID].n != 16)
			goto bad;
		pp->set_host = true;
		memcpy(pp->host, port[IFLA_PORT_HOST_UUID].p, 16);
	}
	if (pp->request == PORT_REQUEST_PREASSOCIATE || pp->request > PORT_REQUEST_DISASSOCIATE) {
		*pp = prev;
		return -EOPNOTSUPP;
	}
	if (pp->request != PORT_REQUEST_DISASSOCIATE && (!pp->set_name || !pp->name[0])) {
		*pp = prev;
		return -EINVAL;
	}
	if (vf < 0 && pp->request != PORT_REQUEST_DISASSOCIATE && zero_mac(d->mac)) {
		/* enic: a PORT_SELF without an address gets a random one */
		m->zero_mac_assocs++;
		for (int i = 0; i < 6; i++) {
			m->rnd = m->rnd * 1103515245u + 12345u;
			d->mac[i] = (uint8_t)(m->rnd >> 16);
		}
		d->mac[0] = (uint8_t)((d->mac[0] & 0xfe) | 0x02);
	}
	if (pp->request != PORT_REQUEST_DISASSOCIATE)
		memcpy(pp->mac, d->mac, 6);
	pp->applied = true;
	pp->inprogress_left = m->never_done ? UINT_MAX : m->inprogress_polls;
	pp->final = PORT_PROFILE_RESPONSE_SUCCESS;
	if (pp->request != PORT_REQUEST_DISASSOCIATE && m->invalid_profile[0] &&
	    !strncmp(pp->name, m->invalid_profile, 40))
		pp->final = PORT_PROFILE_RESPONSE_INVALID;
	if (pp->request != PORT_REQUEST_DISASSOCIATE && m->fail_count && !m->fail_errno) {
		m->fail_count--;
		pp->final = m->fail_response;
	}
	if (pp->request == PORT_REQUEST_DISASSOCIATE) {
		memset(pp->mac, 0, 6);
		if (vf < 0)
			memset(d->mac, 0, 6);
	}
	return 0;
bad:
	*pp = prev;
	return -EINVAL;
}

/* ifla_port_policy: lengths as nla_parse checks them. */
static int port_policy(const struct attr *port)
{
	if (port[IFLA_PORT_VF].present && port[IFLA_PORT_VF].n < 4)
		return -ERANGE;
	if (port[IFLA_PORT_PROFILE].present &&
	    (port[IFLA_PORT_PROFILE].n < 1 || port[IFLA_PORT_PROFILE].n > 40))
		return -ERANGE;
	if (port[IFLA_PORT_INSTANCE_UUID].present && port[IFLA_PORT_INSTANCE_UUID].n > 16)
		return -ERANGE;
	if (port[IFLA_PORT_HOST_UUID].present &&
	    (port[IFLA_PORT_HOST_UUID].n < 1 || port[IFLA_PORT_HOST_UUID].n > 16))
		return -ERANGE;
	if (port[IFLA_PORT_REQUEST].present && port[IFLA_PORT_REQUEST].n < 1)
		return -ERANGE;
	return 0;
}

static int vfinfo(struct enic_model *m, struct enic_dev *d, const struct attr *list)
{
	const uint8_t *p = list->p;
	size_t n = list->n;

	while (n >= 4) {
		uint16_t len = rd16(p), t = TYPE(rd16(p + 2));
		struct attr vf[IFLA_VF_MAX + 1];
		if (len < 4 || len > n || t != IFLA_VF_INFO)
			return -EINVAL;
		if (parse(p + 4, len - 4u, vf, IFLA_VF_MAX) < 0)
			return -EINVAL;
		if (vf[IFLA_VF_MAC].present) {
			m->last_had_vf_mac = true;
			if (vf[IFLA_VF_MAC].n < sizeof(struct ifla_vf_mac))
				return -ERANGE;
			uint32_t idx = rd32(vf[IFLA_VF_MAC].p);
			if (idx >= INT_MAX)
				return -EINVAL; /* do_setvfinfo */
			if (!d->port_ops)
				return -EOPNOTSUPP;
			if (valid_pp_vf(d, (int)idx))
				return valid_pp_vf(d, (int)idx);
		}
		size_t step = A4(len) < n ? A4(len) : n;
		p += step;
		n -= step;
	}
	return 0;
}

/* enic_set_mac_address_dynamic / enic_set_mac_address: a dynamic vNIC
 * takes a unicast or a zero MAC, also while up (the station address is
 * removed and added again); a static one only a unicast MAC. */
static int set_addr(struct enic_model *m, struct enic_dev *d, const struct attr *a)
{
	m->setaddrs++;
	if (a->n < 6)
		return -EINVAL; /* validate_linkmsg: shorter than addr_len */
	if (m->addr_errno)
		return m->addr_errno;
	if ((a->p[0] & 1) || (zero_mac(a->p) && !d->dynamic))
		return -EADDRNOTAVAIL;
	memcpy(d->mac, a->p, 6);
	return 0;
}

static int setlink(struct enic_model *m, struct enic_dev *d, const struct attr *tb)
{
	struct attr port[IFLA_PORT_MAX + 1];
	int rc;

	/* do_setlink: the address before VFINFO_LIST and the ports */
	if (tb[IFLA_ADDRESS].present && (rc = set_addr(m, d, &tb[IFLA_ADDRESS])) < 0)
		return rc;

	if (tb[IFLA_VFINFO_LIST].present && (rc = vfinfo(m, d, &tb[IFLA_VFINFO_LIST])) < 0)
		return rc;
	if (tb[IFLA_VF_PORTS].present) {
		const uint8_t *p = tb[IFLA_VF_PORTS].p;
		size_t n = tb[IFLA_VF_PORTS].n;
		if (!d->port_ops)
			return -EOPNOTSUPP;
		while (n >= 4) {
			uint16_t len = rd16(p), t = TYPE(rd16(p + 2));
			if (len < 4 || len > n || t != IFLA_VF_PORT)
				return -EINVAL;
			if (parse(p + 4, len - 4u, port, IFLA_PORT_MAX) < 0 ||
			    (rc = port_policy(port)) < 0)
				return rc < 0 ? rc : -EINVAL;
			if (!port[IFLA_PORT_VF].present)
				return -EOPNOTSUPP;
			if ((rc = set_port(m, d, (int)rd32(port[IFLA_PORT_VF].p), port)) < 0)
				return rc;
			size_t step = A4(len) < n ? A4(len) : n;
			p += step;
			n -= step;
		}
	}
	if (tb[IFLA_PORT_SELF].present) {
		if (parse(tb[IFLA_PORT_SELF].p, tb[IFLA_PORT_SELF].n, port, IFLA_PORT_MAX) < 0)
			return -EINVAL;
		if ((rc = port_policy(port)) < 0)
			return rc;
		if (!d->port_ops)
			return -EOPNOTSUPP;
		if ((rc = set_port(m, d, -1, port)) < 0)
			return rc;
	}
	return 0;
}

/* ---- GETLINK reply */

struct out {
	uint8_t *b;
	size_t len, cap;
};

static void put(struct out *o, uint16_t type, const void *data, size_t n)
{
	size_t need = o->len + A4(4 + n);
	if (need > o->cap) {
		o->cap = need * 2;
		o->b = realloc(o->b, o->cap);
	}
	uint16_t l = (uint16_t)(4 + n);
	memcpy(o->b + o->len, &l, 2);
	memcpy(o->b + o->len + 2, &type, 2);
	if (n)
		memcpy(o->b + o->len + 4, data, n);
	memset(o->b + o->len + 4 + n, 0, A4(4 + n) - 4 - n);
	o->len = need;
}

static size_t nest(struct out *o, uint16_t type)
{
	size_t at = o->len;
	put(o, type, NULL, 0); /* no NLA_F_NESTED: the kernel uses nla_nest_start_noflag here */
	return at;
}

static void nest_end(struct out *o, size_t at)
{
	uint16_t l = (uint16_t)(o->len - at);
	memcpy(o->b + at, &l, 2);
}

/* enic_get_vf_port: -ENODATA before a request was applied */
static int get_port(struct enic_dev *d, int vf, struct out *o)
{
	struct enic_pp *pp = enic_model_pp(d, vf);
	uint16_t req, resp;

	if (valid_pp_vf(d, vf) || !pp->applied)
		return -ENODATA;
	resp = pp->final;
	if (pp->inprogress_left) {
		resp = PORT_PROFILE_RESPONSE_INPROGRESS;
		if (pp->inprogress_left != UINT_MAX)
			pp->inprogress_left--;
	}
	req = pp->request;
	put(o, IFLA_PORT_REQUEST, &req, 2);
	put(o, IFLA_PORT_RESPONSE, &resp, 2);
	if (pp->set_name)
		put(o, IFLA_PORT_PROFILE, pp->name, 40);
	if (pp->set_inst)
		put(o, IFLA_PORT_INSTANCE_UUID, pp->inst, 16);
	if (pp->set_host)
		put(o, IFLA_PORT_HOST_UUID, pp->host, 16);
	return 0;
}

static void getlink(struct enic_model *m, int fd, const struct nlmsghdr *req, struct enic_dev *d,
		    uint32_t mask)
{
	struct out o = { 0 };
	struct nlmsghdr h = { 0 };
	struct ifinfomsg ifi = { 0 };

	o.cap = 256;
	o.b = calloc(1, o.cap);
	o.len = sizeof(h) + sizeof(ifi);
	ifi.ifi_index = d->ifindex;
	memcpy(o.b + sizeof(h), &ifi, sizeof(ifi));
	put(&o, IFLA_IFNAME, d->name, strlen(d->name) + 1);
	put(&o, IFLA_ADDRESS, d->mac, 6);
	if (d->port_ops && (mask & RTEXT_FILTER_VF)) {
		size_t at = nest(&o, IFLA_PORT_SELF), mark = o.len;
		if (get_port(d, -1, &o) < 0 && o.len == mark)
			o.len = at; /* nest cancelled */
		else
			nest_end(&o, at);
		if (d->num_vfs > 0) {
			size_t ps = nest(&o, IFLA_VF_PORTS);
			for (int vf = 0; vf < d->num_vfs; vf++) {
				size_t p = nest(&o, IFLA_VF_PORT);
				uint32_t v = (uint32_t)vf;
				put(&o, IFLA_PORT_VF, &v, 4);
				if (get_port(d, vf, &o) < 0)
					o.len = p;
				else
					nest_end(&o, p);
			}
			nest_end(&o, ps);
		}
	}
	h.nlmsg_len = (uint32_t)o.len;
	h.nlmsg_type = RTM_NEWLINK;
	h.nlmsg_seq = req->nlmsg_seq;
	h.nlmsg_pid = req->nlmsg_pid;
	memcpy(o.b, &h, sizeof(h));
	queue(m, fd, o.b, o.len);
	free(o.b);
}

/* ---- the seam */

static int m_open(void *ctx)
{
	struct enic_model *m = ctx;
	m->opens++;
	m->open_fds++;
	return 100 + (int)m->opens;
}

static int m_send(void *ctx, int fd, const void *msg, size_t len)
{
	struct enic_model *m = ctx;
	const uint8_t *b = msg;
	struct nlmsghdr h;
	struct ifinfomsg ifi;
	struct attr tb[IFLA_MAX + 1];
	struct enic_dev *d;

	if (len < sizeof(h) + sizeof(ifi))
		return -EINVAL;
	memcpy(&h, b, sizeof(h));
	memcpy(&ifi, b + sizeof(h), sizeof(ifi));
	if (h.nlmsg_len != len)
		return -EINVAL;
	if (parse(b + sizeof(h) + sizeof(ifi), len - sizeof(h) - sizeof(ifi), tb, IFLA_MAX) < 0) {
		ack(m, fd, &h, -EINVAL);
		return 0;
	}
	d = by_index(m, ifi.ifi_index);
	if (h.nlmsg_type == RTM_SETLINK) {
		m->setlinks++;
		m->last_had_vf_mac = false;
		m->last_error = d ? setlink(m, d, tb) : -ENODEV;
		if (m->last_error || (h.nlmsg_flags & NLM_F_ACK))
			ack(m, fd, &h, m->last_error);
	} else if (h.nlmsg_type == RTM_GETLINK) {
		m->getlinks++;
		if (!d)
			ack(m, fd, &h, -ENODEV);
		else
			getlink(m, fd, &h, d,
				tb[IFLA_EXT_MASK].present && tb[IFLA_EXT_MASK].n >= 4
					? rd32(tb[IFLA_EXT_MASK].p)
					: 0);
	} else {
		ack(m, fd, &h, -EOPNOTSUPP);
	}
	return 0;
}

static ssize_t m_recv(void *ctx, int fd, uint8_t **buf, size_t *cap)
{
	struct enic_model *m = ctx;

	for (size_t i = 0; i < m->nq; i++) {
		if (m->q[i].fd != fd)
			continue;
		size_t n = m->q[i].len;
		if (n > *cap || !*buf) {
			*buf = realloc(*buf, n);
			*cap = n;
		}
		memcpy(*buf, m->q[i].data, n);
		free(m->q[i].data);
		memmove(&m->q[i], &m->q[i + 1], (m->nq - i - 1) * sizeof(m->q[0]));
		m->nq--;
		return (ssize_t)n;
	}
	return -EAGAIN;
}

static void m_close(void *ctx, int fd)
{
	struct enic_model *m = ctx;

	m->open_fds--;
	for (size_t i = 0; i < m->nq;) {
		if (m->q[i].fd == fd) {
			free(m->q[i].data);
			memmove(&m->q[i], &m->q[i + 1], (m->nq - i - 1) * sizeof(m->q[0]));
			m->nq--;
		} else {
			i++;
		}
	}
}

static int m_ifindex(void *ctx, const char *name)
{
	struct enic_dev *d = enic_model_dev(ctx, name);
	return d ? d->ifindex : -ENODEV;
}

const struct qbh_nl_ops enic_model_ops = {
	.open = m_open,
	.send = m_send,
	.recv = m_recv,
	.close = m_close,
	.ifindex = m_ifindex,
};
