/* lldpad-compatible rtnetlink messages: parser and builders (see nl_parse.h). */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <string.h>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "vdp/base/codec.h"
#include "vdp/wire/nl_parse.h"
#include "vdp/wire/vdp_text.h"

#define HDRLEN 16		/* struct nlmsghdr */
#define IFILEN 16		/* struct ifinfomsg */
#define NLAHDR 4
#define ALIGN4(x) (((x) + 3u) & ~(size_t)3u)
#define NEST_MAX 0xFFFFu

static const char *const errs[NLP_NERR] = {
	[0] = "ok",
	[1] = "message shorter than a netlink header",
	[2] = "nlmsg_len below 16 or beyond the datagram",
	[3] = "no room for struct ifinfomsg",
	[4] = "message type is not RTM_SETLINK or RTM_GETLINK",
	[5] = "attribute length below 4 or past its container",
	[6] = "stray octets after the last attribute",
	[7] = "IFLA_IFNAME empty, too long or not a valid interface name",
	[8] = "IFLA_VFINFO_LIST holds something other than IFLA_VF_INFO",
	[9] = "IFLA_VF_MAC shorter than 36 octets",
	[10] = "IFLA_VF_VLAN shorter than 12 octets",
	[11] = "too many IFLA_VF_INFO entries",
	[12] = "IFLA_VF_PORTS holds something other than IFLA_VF_PORT",
	[13] = "more than one port (IFLA_VF_PORT / IFLA_PORT_SELF)",
	[14] = "IFLA_PORT_VF is not 4 octets",
	[15] = "IFLA_PORT_PROFILE over 40 octets",
	[16] = "IFLA_PORT_VSI_TYPE is not 8 octets",
	[17] = "IFLA_PORT_INSTANCE_UUID is not 16 octets",
	[18] = "IFLA_PORT_HOST_UUID over 16 octets",
	[19] = "IFLA_PORT_REQUEST empty or over 4 octets",
	[20] = "IFLA_PORT_REQUEST not 0..3",
	[21] = "IFLA_PORT_RESPONSE is not 2 octets",
	[22] = "IFLA_EXT_MASK is not 4 octets",
	[23] = "SETLINK without IFLA_VF_PORTS",
	[24] = "IFLA_PORT_SELF (802.1Qbh request, meant for the kernel)",
	[25] = "IFLA_PORT_VF names an SR-IOV VF, only PORT_SELF_VF is served",
	[26] = "no IFLA_PORT_REQUEST",
	[27] = "no IFLA_PORT_INSTANCE_UUID",
	[28] = "instance UUID is the nil UUID",
	[29] = "(pre-)associate without IFLA_PORT_VSI_TYPE",
	[30] = "(pre-)associate without IFLA_VF_MAC/IFLA_VF_VLAN",
	[31] = "filter MAC is zero or multicast",
	[32] = "VLAN id above 4094",
	[33] = "qos above 7",
	[34] = "neither ifi_index nor IFLA_IFNAME names a device",
};

const char *nlp_strerror(int err)
{
	if (err > 0 || -err >= NLP_NERR)
		return "unknown error";
	return errs[-err];
}

int nlp_errno(int err)
{
	switch (err) {
	case NLP_OK:
		return 0;
	case NLP_E_PORT_SELF:
	case NLP_E_PORT_VF:
		return -EOPNOTSUPP;
	case NLP_E_NO_DEVICE:
		return -ENODEV;
	case NLP_E_MSG_TYPE:
		return -EOPNOTSUPP;
	default:
		return -EINVAL;
	}
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* Attribute iterator over [p, p+len). */
struct nla_it {
	const uint8_t *p;
	size_t left;
};

/* Next attribute: 1 and type/payload set, 0 at a clean end, or an error. */
static int nla_next(struct nla_it *it, uint16_t *type, const uint8_t **pl, size_t *pl_len)
{
	if (it->left == 0)
		return 0;
	if (it->left < NLAHDR)
		return NLP_E_TRAILING;
	uint16_t len = rd16(it->p);
	if (len < NLAHDR || len > it->left)
		return NLP_E_ATTR_LEN;
	*type = rd16(it->p + 2) & NLA_TYPE_MASK;
	*pl = it->p + NLAHDR;
	*pl_len = len - NLAHDR;
	size_t step = ALIGN4(len);
	if (step > it->left)	/* last attribute may lack its padding */
		step = it->left;
	it->p += step;
	it->left -= step;
	return 1;
}

static int parse_ifname(const uint8_t *pl, size_t n, char out[NLP_IFNAMSIZ])
{
	size_t l = 0;
	if (n > NLP_IFNAMSIZ)
		return NLP_E_IFNAME;
	while (l < n && pl[l])
		l++;
	if (l == 0 || l >= NLP_IFNAMSIZ)
		return NLP_E_IFNAME;
	for (size_t i = 0; i < l; i++)
		if (pl[i] == '/' || pl[i] == ':' || pl[i] <= ' ' || pl[i] >= 0x7f)
			return NLP_E_IFNAME;
	if ((l == 1 && pl[0] == '.') || (l == 2 && pl[0] == '.' && pl[1] == '.'))
		return NLP_E_IFNAME;
	memcpy(out, pl, l);
	out[l] = 0;
	return NLP_OK;
}

static int parse_vf_info(const uint8_t *p, size_t n, struct nlp_filter *f)
{
	struct nla_it it = { p, n };
	uint16_t t;
	const uint8_t *pl;
	size_t pn;
	int r;

	memset(f, 0, sizeof(*f));
	while ((r = nla_next(&it, &t, &pl, &pn)) == 1) {
		switch (t) {
		case IFLA_VF_MAC:
			if (pn < sizeof(struct ifla_vf_mac))
				return NLP_E_VF_MAC_LEN;
			f->has_mac = true;
			f->mac_vf = rd32(pl);
			memcpy(f->mac, pl + 4, 6);
			break;
		case IFLA_VF_VLAN:
			if (pn < sizeof(struct ifla_vf_vlan))
				return NLP_E_VF_VLAN_LEN;
			f->has_vlan = true;
			f->vlan_vf = rd32(pl);
			uint32_t vlan = rd32(pl + 4), qos = rd32(pl + 8);
			if (vlan > 4094)
				return NLP_E_VLAN_RANGE;
			if (qos > 7)
				return NLP_E_QOS_RANGE;
			f->vlan = (uint16_t)vlan;
			f->qos = (uint8_t)qos;
			break;
		default:
			break;	/* other VF settings mean nothing to VDP */
		}
	}
	return r;
}

static int parse_vfinfo_list(const uint8_t *p, size_t n, struct nlp_msg *m)
{
	struct nla_it it = { p, n };
	uint16_t t;
	const uint8_t *pl;
	size_t pn;
	int r;

	m->has_vfinfo = true;
	while ((r = nla_next(&it, &t, &pl, &pn)) == 1) {
		if (t != IFLA_VF_INFO)
			return NLP_E_VFINFO_CHILD;
		if (m->n_filters >= NLP_MAX_FILTERS)
			return NLP_E_TOO_MANY_FILTERS;
		r = parse_vf_info(pl, pn, &m->filters[m->n_filters]);
		if (r < 0)
			return r;
		m->n_filters++;
	}
	return r;
}

static int parse_port(const uint8_t *p, size_t n, struct nlp_port *port)
{
	struct nla_it it = { p, n };
	uint16_t t;
	const uint8_t *pl;
	size_t pn;
	int r;

	memset(port, 0, sizeof(*port));
	while ((r = nla_next(&it, &t, &pl, &pn)) == 1) {
		switch (t) {
		case IFLA_PORT_VF:
			if (pn != 4)
				return NLP_E_PORT_VF_LEN;
			port->has_vf = true;
			port->vf = rd32(pl);
			break;
		case IFLA_PORT_PROFILE:
			if (pn > NLP_PROFILE_MAX)
				return NLP_E_PROFILE_LEN;
			port->has_profile = true;
			memcpy(port->profile, pl, pn);
			port->profile[pn] = 0;
			break;
		case IFLA_PORT_VSI_TYPE:
			if (pn != sizeof(struct ifla_port_vsi))
				return NLP_E_VSI_TYPE_LEN;
			/* struct ifla_port_vsi: the 24-bit type id is stored
			 * least significant octet first by libvirt and lldpad */
			port->has_vsi_type = true;
			port->mgr_id = pl[0];
			port->type_id = (uint32_t)pl[1] | (uint32_t)pl[2] << 8 | (uint32_t)pl[3] << 16;
			port->type_version = pl[4];
			break;
		case IFLA_PORT_INSTANCE_UUID:
			if (pn != NLP_UUID_LEN)
				return NLP_E_UUID_LEN;
			port->has_uuid = true;
			memcpy(port->uuid, pl, NLP_UUID_LEN);
			break;
		case IFLA_PORT_HOST_UUID:
			if (pn > NLP_UUID_LEN)
				return NLP_E_HOST_UUID_LEN;
			port->has_host_uuid = true;
			break;
		case IFLA_PORT_REQUEST:
			/* a u8; up to 4 octets accepted because lldpad's own
			 * unsolicited message writes it as a u16 (first octet
			 * is the value on little-endian hosts) */
			if (pn < 1 || pn > 4)
				return NLP_E_REQUEST_LEN;
			if (pl[0] > NLP_REQ_DISASSOCIATE)
				return NLP_E_REQUEST_RANGE;
			port->has_request = true;
			port->request = pl[0];
			break;
		case IFLA_PORT_RESPONSE:
			if (pn != 2)
				return NLP_E_RESPONSE_LEN;
			port->has_response = true;
			port->response = rd16(pl);
			break;
		default:
			break;
		}
	}
	return r;
}

static int parse_vf_ports(const uint8_t *p, size_t n, struct nlp_msg *m)
{
	struct nla_it it = { p, n };
	uint16_t t;
	const uint8_t *pl;
	size_t pn;
	int r;

	while ((r = nla_next(&it, &t, &pl, &pn)) == 1) {
		if (t != IFLA_VF_PORT)
			return NLP_E_VF_PORTS_CHILD;
		if (m->n_ports > 0)
			return NLP_E_MULTI_PORT;
		r = parse_port(pl, pn, &m->port);
		if (r < 0)
			return r;
		m->n_ports++;
	}
	return r;
}

static int parse_hdr(const uint8_t *b, size_t len, struct nlp_msg *m)
{
	if (len < HDRLEN)
		return NLP_E_SHORT_HDR;
	m->len = rd32(b);
	m->type = rd16(b + 4);
	m->flags = rd16(b + 6);
	m->seq = rd32(b + 8);
	m->pid = rd32(b + 12);
	if (m->len < HDRLEN || m->len > len)
		return NLP_E_MSG_LEN;
	return NLP_OK;
}

int nlp_parse(const void *buf, size_t len, struct nlp_msg *m)
{
	const uint8_t *b = buf;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = parse_hdr(b, len, m)) < 0)
		return r;
	if (m->type != RTM_SETLINK && m->type != RTM_GETLINK)
		return NLP_E_MSG_TYPE;
	if (m->len < HDRLEN + IFILEN)
		return NLP_E_SHORT_IFINFO;
	m->ifindex = (int32_t)rd32(b + HDRLEN + 4);

	struct nla_it it = { b + HDRLEN + IFILEN, m->len - HDRLEN - IFILEN };
	uint16_t t;
	const uint8_t *pl;
	size_t pn;
	while ((r = nla_next(&it, &t, &pl, &pn)) == 1) {
		switch (t) {
		case IFLA_IFNAME:
			if ((r = parse_ifname(pl, pn, m->ifname)) < 0)
				return r;
			m->has_ifname = true;
			break;
		case IFLA_EXT_MASK:
			if (pn != 4)
				return NLP_E_EXT_MASK_LEN;
			m->has_ext_mask = true;
			m->ext_mask = rd32(pl);
			break;
		case IFLA_VFINFO_LIST:
			if ((r = parse_vfinfo_list(pl, pn, m)) < 0)
				return r;
			break;
		case IFLA_VF_PORTS:
			if ((r = parse_vf_ports(pl, pn, m)) < 0)
				return r;
			break;
		case IFLA_PORT_SELF:
			if (m->n_ports > 0)
				return NLP_E_MULTI_PORT;
			if ((r = parse_port(pl, pn, &m->port)) < 0)
				return r;
			m->n_ports = 1;
			m->port_self = true;
			break;
		default:
			break;
		}
	}
	return r;
}

static bool mac_ok(const uint8_t mac[6])
{
	static const uint8_t zero[6];
	return (mac[0] & 1) == 0 && memcmp(mac, zero, 6) != 0;
}

int nlp_check_setlink(const struct nlp_msg *m)
{
	static const uint8_t nil[NLP_UUID_LEN];
	const struct nlp_port *p = &m->port;

	if (m->ifindex <= 0 && !m->has_ifname)
		return NLP_E_NO_DEVICE;
	if (m->port_self)
		return NLP_E_PORT_SELF;
	if (m->n_ports == 0)
		return NLP_E_NO_PORT;
	if (p->has_vf && p->vf != NLP_PORT_SELF_VF)
		return NLP_E_PORT_VF;
	if (!p->has_request)
		return NLP_E_NO_REQUEST;
	if (!p->has_uuid)
		return NLP_E_NO_UUID;
	/* all 16 octets (lldpad's check_vsiid looks at 8) */
	if (memcmp(p->uuid, nil, NLP_UUID_LEN) == 0)
		return NLP_E_UUID_ZERO;
	for (unsigned i = 0; i < m->n_filters; i++)
		if (m->filters[i].has_mac && !mac_ok(m->filters[i].mac))
			return NLP_E_MAC_INVALID;
	if (p->request == NLP_REQ_DISASSOCIATE)
		return NLP_OK;	/* identified by the UUID alone */
	if (!p->has_vsi_type)
		return NLP_E_NO_VSI_TYPE;
	bool any = false;
	for (unsigned i = 0; i < m->n_filters; i++)
		any |= m->filters[i].has_mac || m->filters[i].has_vlan;
	if (!any)
		return NLP_E_NO_FILTER;
	return NLP_OK;
}

/* ---- builders */

static void put32(struct wbuf *w, uint32_t v)
{
	wbuf_bytes(w, &v, 4);
}

static void put16(struct wbuf *w, uint16_t v)
{
	wbuf_bytes(w, &v, 2);
}

static void patch16(struct wbuf *w, size_t off, uint16_t v)
{
	if (!w->err && off + 2 <= w->len)
		memcpy(w->p + off, &v, 2);
}

static void patch32(struct wbuf *w, size_t off, uint32_t v)
{
	if (!w->err && off + 4 <= w->len)
		memcpy(w->p + off, &v, 4);
}

static size_t msg_start(struct wbuf *w, const struct nlp_hdr *h)
{
	size_t off = w->len;
	put32(w, 0);
	put16(w, h->type);
	put16(w, h->flags);
	put32(w, h->seq);
	put32(w, h->pid);
	return off;
}

static int msg_end(struct wbuf *w, size_t off)
{
	if (w->err)
		return CODEC_E_NO_SPACE;
	patch32(w, off, (uint32_t)(w->len - off));
	return NLP_OK;
}

/* An attribute with its payload, padded to 4 octets as libnl's nla_put. */
static void put_attr(struct wbuf *w, uint16_t type, const void *data, size_t n)
{
	put16(w, (uint16_t)(NLAHDR + n));
	put16(w, type);
	wbuf_bytes(w, data, n);
	wbuf_zero(w, ALIGN4(n) - n);
}

static size_t nest_start(struct wbuf *w, uint16_t type)
{
	size_t off = w->len;
	put16(w, 0);
	put16(w, (uint16_t)(type | NLA_F_NESTED));
	return off;
}

/* libnl's nla_nest_end: the length covers the padded children. */
static void nest_end(struct wbuf *w, size_t off)
{
	size_t n = w->len - off;
	if (n > NEST_MAX)
		w->err = true;
	patch16(w, off, (uint16_t)n);
}

static void put_ifinfo(struct wbuf *w, int32_t ifindex)
{
	wbuf_u8(w, AF_UNSPEC);
	wbuf_u8(w, 0);
	put16(w, 0);				/* ifi_type */
	put32(w, (uint32_t)ifindex);
	put32(w, 0);				/* ifi_flags */
	put32(w, 0);				/* ifi_change */
}

int nlp_build_ack(struct wbuf *w, const void *req, size_t req_len, uint32_t our_pid, int error)
{
	struct nlp_msg m;
	uint8_t echo[HDRLEN] = { 0 };
	(void)our_pid;

	memset(&m, 0, sizeof(m));
	if (req_len >= HDRLEN) {
		memcpy(echo, req, HDRLEN);
		parse_hdr(req, req_len, &m);
	}
	/* as the kernel and lldpad do: seq and nlmsg_pid of the request */
	struct nlp_hdr h = { NLMSG_ERROR, 0, m.seq, m.pid };
	size_t off = msg_start(w, &h);
	put32(w, (uint32_t)error);
	wbuf_bytes(w, echo, HDRLEN);
	return msg_end(w, off);
}

int nlp_build_setlink(struct wbuf *w, const struct nlp_setlink *s)
{
	size_t off = msg_start(w, &s->h);
	put_ifinfo(w, s->ifindex);
	if (s->ifname)
		put_attr(w, IFLA_IFNAME, s->ifname, strlen(s->ifname) + 1);
	if (s->has_filter) {
		size_t l = nest_start(w, IFLA_VFINFO_LIST);
		size_t i = nest_start(w, IFLA_VF_INFO);
		struct ifla_vf_mac vm;
		memset(&vm, 0, sizeof(vm));
		vm.vf = NLP_PORT_SELF_VF;
		memcpy(vm.mac, s->mac, 6);
		put_attr(w, IFLA_VF_MAC, &vm, sizeof(vm));
		struct ifla_vf_vlan vv = { NLP_PORT_SELF_VF, s->vlan, s->qos };
		put_attr(w, IFLA_VF_VLAN, &vv, sizeof(vv));
		nest_end(w, i);
		nest_end(w, l);
	}
	size_t ps = nest_start(w, IFLA_VF_PORTS);
	size_t p = nest_start(w, IFLA_VF_PORT);
	if (s->has_vsi_type) {
		uint8_t vsi[8] = { s->mgr_id, (uint8_t)s->type_id, (uint8_t)(s->type_id >> 8),
				   (uint8_t)(s->type_id >> 16), s->type_version, 0, 0, 0 };
		put_attr(w, IFLA_PORT_VSI_TYPE, vsi, sizeof(vsi));
	}
	put_attr(w, IFLA_PORT_INSTANCE_UUID, s->uuid, NLP_UUID_LEN);
	if (s->has_port_vf) {
		uint32_t vf = NLP_PORT_SELF_VF;
		put_attr(w, IFLA_PORT_VF, &vf, 4);
	}
	put_attr(w, IFLA_PORT_REQUEST, &s->request, 1);
	nest_end(w, p);
	nest_end(w, ps);
	return msg_end(w, off);
}

int nlp_build_qbh_setlink(struct wbuf *w, const struct nlp_qbh_setlink *s)
{
	size_t off = msg_start(w, &s->h);
	size_t ps = 0, p;

	put_ifinfo(w, s->ifindex);
	if (s->vf == NLP_PORT_SELF_VF) {
		p = nest_start(w, IFLA_PORT_SELF);
	} else {
		ps = nest_start(w, IFLA_VF_PORTS);
		p = nest_start(w, IFLA_VF_PORT);
		put_attr(w, IFLA_PORT_VF, &s->vf, 4);
	}
	if (s->profile) {
		/* enic takes exactly PORT_PROFILE_MAX octets (a shorter
		 * attribute is -EINVAL since 2024); rtnetlink only caps it */
		char name[NLP_PROFILE_MAX] = { 0 };
		size_t n = strnlen(s->profile, NLP_PROFILE_MAX - 1);
		memcpy(name, s->profile, n);
		put_attr(w, IFLA_PORT_PROFILE, name, NLP_PROFILE_MAX);
	}
	if (s->uuid)
		put_attr(w, IFLA_PORT_INSTANCE_UUID, s->uuid, NLP_UUID_LEN);
	if (s->host_uuid)
		put_attr(w, IFLA_PORT_HOST_UUID, s->host_uuid, NLP_UUID_LEN);
	put_attr(w, IFLA_PORT_REQUEST, &s->request, 1);
	nest_end(w, p);
	if (s->vf != NLP_PORT_SELF_VF)
		nest_end(w, ps);
	return msg_end(w, off);
}

int nlp_build_getlink(struct wbuf *w, const struct nlp_hdr *h, int32_t ifindex)
{
	size_t off = msg_start(w, h);
	put_ifinfo(w, ifindex);
	uint32_t mask = RTEXT_FILTER_VF;
	put_attr(w, IFLA_EXT_MASK, &mask, 4);
	return msg_end(w, off);
}

size_t nlp_status_entry_size(const struct nlp_vsi_status *v)
{
	/* VF_PORT nest + PORT_VF + INSTANCE_UUID [+ RESPONSE] */
	return NLAHDR + 8 + 20 + (v->has_response ? 8 : 0);
}

int nlp_build_status(struct wbuf *w, const struct nlp_hdr *h, int32_t ifindex,
		     const struct nlp_vsi_status *v, size_t n)
{
	size_t start = w->len;
	size_t off = msg_start(w, h);
	put_ifinfo(w, ifindex);
	size_t ps = nest_start(w, IFLA_VF_PORTS);
	if (w->err) {
		w->len = start;
		return CODEC_E_NO_SPACE;
	}
	size_t i;
	for (i = 0; i < n; i++) {
		size_t sz = nlp_status_entry_size(&v[i]);
		if (w->cap - w->len < sz || w->len + sz - ps > NEST_MAX)
			break;
		size_t p = nest_start(w, IFLA_VF_PORT);
		uint32_t vf = NLP_PORT_SELF_VF;
		put_attr(w, IFLA_PORT_VF, &vf, 4);
		put_attr(w, IFLA_PORT_INSTANCE_UUID, v[i].uuid, NLP_UUID_LEN);
		if (v[i].has_response)
			put_attr(w, IFLA_PORT_RESPONSE, &v[i].response, 2);
		nest_end(w, p);
	}
	nest_end(w, ps);
	if (msg_end(w, off) < 0)
		return CODEC_E_NO_SPACE;
	return (int)i;
}

int nlp_build_done(struct wbuf *w, const struct nlp_hdr *h)
{
	struct nlp_hdr d = { NLMSG_DONE, h->flags, h->seq, h->pid };
	size_t off = msg_start(w, &d);
	put32(w, 0);	/* the int the kernel puts in a dump's DONE */
	return msg_end(w, off);
}

/* ---- client side */

static int reply_ports(const uint8_t *p, size_t n, struct nlp_status_reply *r)
{
	struct nla_it it = { p, n };
	uint16_t t;
	const uint8_t *pl;
	size_t pn;
	int rc;

	while ((rc = nla_next(&it, &t, &pl, &pn)) == 1) {
		if (t != IFLA_VF_PORT)
			return NLP_E_VF_PORTS_CHILD;
		struct nlp_port port;
		if ((rc = parse_port(pl, pn, &port)) < 0)
			return rc;
		if (r->n_kept < r->cap)
			r->ports[r->n_kept++] = port;
		r->n++;
	}
	return rc;
}

int nlp_parse_reply(const void *buf, size_t len, struct nlp_status_reply *r)
{
	const uint8_t *b = buf;
	struct nlp_msg h;
	int rc;

	r->n = r->n_kept = 0;
	r->has_vf_ports = false;
	r->has_port_self = false;
	r->error = 0;
	r->ifindex = 0;
	memset(&h, 0, sizeof(h));
	if ((rc = parse_hdr(b, len, &h)) < 0)
		return rc;
	r->type = h.type;
	r->flags = h.flags;
	if (h.type == NLMSG_ERROR) {
		if (h.len < HDRLEN + 4)
			return NLP_E_MSG_LEN;
		r->error = (int32_t)rd32(b + HDRLEN);
		return NLP_OK;
	}
	if (h.type != NLMSG_DONE && h.type != RTM_NEWLINK)
		return NLP_E_MSG_TYPE;
	if (h.len < HDRLEN + IFILEN) {
		if (h.type == NLMSG_DONE)
			return NLP_OK;	/* a bare end of a multi-part dump */
		return NLP_E_SHORT_IFINFO;
	}
	r->ifindex = (int32_t)rd32(b + HDRLEN + 4);
	struct nla_it it = { b + HDRLEN + IFILEN, h.len - HDRLEN - IFILEN };
	uint16_t t;
	const uint8_t *pl;
	size_t pn;
	while ((rc = nla_next(&it, &t, &pl, &pn)) == 1) {
		if (t == IFLA_PORT_SELF) {
			r->has_port_self = true;
			if ((rc = parse_port(pl, pn, &r->self)) < 0)
				return rc;
			continue;
		}
		if (t != IFLA_VF_PORTS)
			continue;
		r->has_vf_ports = true;
		if ((rc = reply_ports(pl, pn, r)) < 0)
			return rc;
	}
	return rc;
}

int nlp_parse_link(const void *buf, size_t len, struct nlp_link *l)
{
	const uint8_t *b = buf;
	struct nlp_msg h;
	int rc;

	memset(l, 0, sizeof(*l));
	memset(&h, 0, sizeof(h));
	if ((rc = parse_hdr(b, len, &h)) < 0)
		return rc;
	l->type = h.type;
	if (h.type != RTM_NEWLINK && h.type != RTM_DELLINK)
		return NLP_E_MSG_TYPE;
	if (h.len < HDRLEN + IFILEN)
		return NLP_E_SHORT_IFINFO;
	l->ifindex = (int32_t)rd32(b + HDRLEN + 4);
	struct nla_it it = { b + HDRLEN + IFILEN, h.len - HDRLEN - IFILEN };
	uint16_t t;
	const uint8_t *pl;
	size_t pn;
	while ((rc = nla_next(&it, &t, &pl, &pn)) == 1) {
		switch (t) {
		case IFLA_ADDRESS:
			if (pn == 6) {
				l->has_mac = true;
				memcpy(l->mac, pl, 6);
			}
			break;
		case IFLA_LINK:
			if (pn != 4)
				return NLP_E_ATTR_LEN;
			l->link = (int32_t)rd32(pl);
			break;
		case IFLA_IFNAME:
			if (parse_ifname(pl, pn, l->ifname) < 0)
				return NLP_E_IFNAME;
			break;
		case IFLA_LINKINFO: {
			struct nla_it in = { pl, pn };
			uint16_t t2;
			const uint8_t *p2;
			size_t n2;
			while ((rc = nla_next(&in, &t2, &p2, &n2)) == 1) {
				if (t2 != IFLA_INFO_KIND)
					continue;
				size_t k = 0;
				while (k < n2 && k < sizeof(l->kind) - 1 && p2[k])
					k++;
				memcpy(l->kind, p2, k);
				l->kind[k] = 0;
			}
			if (rc < 0)
				return rc;
			break;
		}
		default:
			break;
		}
	}
	return rc;
}

void nlp_uuid_format(const uint8_t u[NLP_UUID_LEN], char out[37])
{
	vdp_txt_uuid_format(u, out);
}

/* Stricter than vdp_txt_uuid_parse: a dash only where 8-4-4-4-12 puts it,
 * between two octets. */
bool nlp_uuid_parse(const char *s, uint8_t u[NLP_UUID_LEN])
{
	size_t dashes = 0;

	for (size_t i = 0; s[i]; i++) {
		if (s[i] != '-')
			continue;
		if ((i != 8 && i != 13 && i != 18 && i != 23) || (i - dashes) % 2)
			return false;
		dashes++;
	}
	return vdp_txt_uuid_parse(s, u) == 0;
}
