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
#include "vdp/wire/nla.h"
#include "vdp/wire/vdp_text.h"

#define HDRLEN 16		/* struct nlmsghdr */
#define IFILEN 16 /* struct ifinfomsg */
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

/* ---- IFLA_VF_INFO: one filter */

static int vf_mac(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_filter *f = ctx;

	(void)n;
	f->has_mac = true;
	f->mac_vf = nla_u32(pl);
	memcpy(f->mac, pl + 4, 6);
	return NLP_OK;
}

static int vf_vlan(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_filter *f = ctx;
	uint32_t vlan = nla_u32(pl + 4), qos = nla_u32(pl + 8);

	(void)n;
	f->has_vlan = true;
	f->vlan_vf = nla_u32(pl);
	if (vlan > 4094)
		return NLP_E_VLAN_RANGE;
	if (qos > 7)
		return NLP_E_QOS_RANGE;
	f->vlan = (uint16_t)vlan;
	f->qos = (uint8_t)qos;
	return NLP_OK;
}

/* Other VF settings mean nothing to VDP. */
static const struct nla_rule vf_info_rules[] = {
	[IFLA_VF_MAC] = NLA_MIN(sizeof(struct ifla_vf_mac), NLP_E_VF_MAC_LEN, vf_mac),
	[IFLA_VF_VLAN] = NLA_MIN(sizeof(struct ifla_vf_vlan), NLP_E_VF_VLAN_LEN, vf_vlan),
};
static const struct nla_policy vf_info_policy = NLA_POLICY(vf_info_rules, NLP_OK);

static int vfinfo_entry(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_msg *m = ctx;
	struct nlp_filter *f;
	int r;

	if (m->n_filters >= NLP_MAX_FILTERS)
		return NLP_E_TOO_MANY_FILTERS;
	f = &m->filters[m->n_filters];
	memset(f, 0, sizeof(*f));
	if ((r = nla_walk(pl, n, &vf_info_policy, f)) < 0)
		return r;
	m->n_filters++;
	return NLP_OK;
}

static const struct nla_rule vfinfo_list_rules[] = {
	[IFLA_VF_INFO] = NLA_ANY(vfinfo_entry),
};
static const struct nla_policy vfinfo_list_policy =
	NLA_POLICY(vfinfo_list_rules, NLP_E_VFINFO_CHILD);

/* ---- IFLA_VF_PORT / IFLA_PORT_SELF: one port */

static int port_vf(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_port *port = ctx;

	(void)n;
	port->has_vf = true;
	port->vf = nla_u32(pl);
	return NLP_OK;
}

static int port_profile(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_port *port = ctx;

	port->has_profile = true;
	memcpy(port->profile, pl, n);
	port->profile[n] = 0;
	return NLP_OK;
}

/* struct ifla_port_vsi: the 24-bit type id is stored least significant
 * octet first by libvirt and lldpad */
static int port_vsi_type(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_port *port = ctx;

	(void)n;
	port->has_vsi_type = true;
	port->mgr_id = pl[0];
	port->type_id = (uint32_t)pl[1] | (uint32_t)pl[2] << 8 | (uint32_t)pl[3] << 16;
	port->type_version = pl[4];
	return NLP_OK;
}

static int port_uuid(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_port *port = ctx;

	(void)n;
	port->has_uuid = true;
	memcpy(port->uuid, pl, NLP_UUID_LEN);
	return NLP_OK;
}

static int port_host_uuid(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_port *port = ctx;

	(void)pl;
	(void)n;
	port->has_host_uuid = true;
	return NLP_OK;
}

static int port_request(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_port *port = ctx;

	(void)n;
	if (pl[0] > NLP_REQ_DISASSOCIATE)
		return NLP_E_REQUEST_RANGE;
	port->has_request = true;
	port->request = pl[0];
	return NLP_OK;
}

static int port_response(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_port *port = ctx;

	(void)n;
	port->has_response = true;
	port->response = nla_u16(pl);
	return NLP_OK;
}

/* IFLA_PORT_REQUEST is a u8; up to 4 octets are accepted because lldpad's
 * own unsolicited message writes it as a u16 (first octet is the value on
 * little-endian hosts). */
static const struct nla_rule port_rules[] = {
	[IFLA_PORT_VF] = NLA_EXACT(4, NLP_E_PORT_VF_LEN, port_vf),
	[IFLA_PORT_PROFILE] = NLA_MAX(NLP_PROFILE_MAX, NLP_E_PROFILE_LEN, port_profile),
	[IFLA_PORT_VSI_TYPE] =
		NLA_EXACT(sizeof(struct ifla_port_vsi), NLP_E_VSI_TYPE_LEN, port_vsi_type),
	[IFLA_PORT_INSTANCE_UUID] = NLA_EXACT(NLP_UUID_LEN, NLP_E_UUID_LEN, port_uuid),
	[IFLA_PORT_HOST_UUID] = NLA_MAX(NLP_UUID_LEN, NLP_E_HOST_UUID_LEN, port_host_uuid),
	[IFLA_PORT_REQUEST] = NLA_RANGE(1, 4, NLP_E_REQUEST_LEN, port_request),
	[IFLA_PORT_RESPONSE] = NLA_EXACT(2, NLP_E_RESPONSE_LEN, port_response),
};
static const struct nla_policy port_policy = NLA_POLICY(port_rules, NLP_OK);

static int parse_port(const uint8_t *p, size_t n, struct nlp_port *port)
{
	memset(port, 0, sizeof(*port));
	return nla_walk(p, n, &port_policy, port);
}

/* ---- RTM_SETLINK / RTM_GETLINK */

/* One port per request, from IFLA_VF_PORTS or IFLA_PORT_SELF. */
static int request_vf_port(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_msg *m = ctx;
	int r;

	if (m->n_ports > 0)
		return NLP_E_MULTI_PORT;
	if ((r = parse_port(pl, n, &m->port)) < 0)
		return r;
	m->n_ports++;
	return NLP_OK;
}

static const struct nla_rule request_ports_rules[] = {
	[IFLA_VF_PORT] = NLA_ANY(request_vf_port),
};
static const struct nla_policy request_ports_policy =
	NLA_POLICY(request_ports_rules, NLP_E_VF_PORTS_CHILD);

static int request_ifname(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_msg *m = ctx;
	int r;

	if ((r = parse_ifname(pl, n, m->ifname)) < 0)
		return r;
	m->has_ifname = true;
	return NLP_OK;
}

static int request_ext_mask(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_msg *m = ctx;

	(void)n;
	m->has_ext_mask = true;
	m->ext_mask = nla_u32(pl);
	return NLP_OK;
}

static int request_vfinfo_list(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_msg *m = ctx;

	m->has_vfinfo = true;
	return nla_walk(pl, n, &vfinfo_list_policy, m);
}

static int request_vf_ports(void *ctx, const uint8_t *pl, size_t n)
{
	return nla_walk(pl, n, &request_ports_policy, ctx);
}

/* The same one port as request_vf_port(), marked as the 802.1Qbh one. */
static int request_port_self(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_msg *m = ctx;
	int r;

	if ((r = request_vf_port(ctx, pl, n)) < 0)
		return r;
	m->port_self = true;
	return NLP_OK;
}

static const struct nla_rule request_rules[] = {
	[IFLA_IFNAME] = NLA_ANY(request_ifname),
	[IFLA_EXT_MASK] = NLA_EXACT(4, NLP_E_EXT_MASK_LEN, request_ext_mask),
	[IFLA_VFINFO_LIST] = NLA_ANY(request_vfinfo_list),
	[IFLA_VF_PORTS] = NLA_ANY(request_vf_ports),
	[IFLA_PORT_SELF] = NLA_ANY(request_port_self),
};
static const struct nla_policy request_policy = NLA_POLICY(request_rules, NLP_OK);

static int parse_hdr(const uint8_t *b, size_t len, struct nlp_msg *m)
{
	if (len < HDRLEN)
		return NLP_E_SHORT_HDR;
	m->len = nla_u32(b);
	m->type = nla_u16(b + 4);
	m->flags = nla_u16(b + 6);
	m->seq = nla_u32(b + 8);
	m->pid = nla_u32(b + 12);
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
	m->ifindex = (int32_t)nla_u32(b + HDRLEN + 4);
	return nla_walk(b + HDRLEN + IFILEN, m->len - HDRLEN - IFILEN, &request_policy, m);
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

int nlp_build_setaddr(struct wbuf *w, const struct nlp_hdr *h, int32_t ifindex,
		      const uint8_t mac[6])
{
	size_t off = msg_start(w, h);
	put_ifinfo(w, ifindex);
	put_attr(w, IFLA_ADDRESS, mac, 6);
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

static int reply_vf_port(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_status_reply *r = ctx;
	struct nlp_port port;
	int rc;

	if ((rc = parse_port(pl, n, &port)) < 0)
		return rc;
	if (r->n_kept < r->cap)
		r->ports[r->n_kept++] = port;
	r->n++;
	return NLP_OK;
}

static const struct nla_rule reply_ports_rules[] = {
	[IFLA_VF_PORT] = NLA_ANY(reply_vf_port),
};
static const struct nla_policy reply_ports_policy =
	NLA_POLICY(reply_ports_rules, NLP_E_VF_PORTS_CHILD);

static int reply_vf_ports(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_status_reply *r = ctx;

	r->has_vf_ports = true;
	return nla_walk(pl, n, &reply_ports_policy, r);
}

static int reply_port_self(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_status_reply *r = ctx;

	r->has_port_self = true;
	return parse_port(pl, n, &r->self);
}

static const struct nla_rule reply_rules[] = {
	[IFLA_VF_PORTS] = NLA_ANY(reply_vf_ports),
	[IFLA_PORT_SELF] = NLA_ANY(reply_port_self),
};
static const struct nla_policy reply_policy = NLA_POLICY(reply_rules, NLP_OK);

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
		r->error = (int32_t)nla_u32(b + HDRLEN);
		return NLP_OK;
	}
	if (h.type != NLMSG_DONE && h.type != RTM_NEWLINK)
		return NLP_E_MSG_TYPE;
	if (h.len < HDRLEN + IFILEN) {
		if (h.type == NLMSG_DONE)
			return NLP_OK;	/* a bare end of a multi-part dump */
		return NLP_E_SHORT_IFINFO;
	}
	r->ifindex = (int32_t)nla_u32(b + HDRLEN + 4);
	return nla_walk(b + HDRLEN + IFILEN, h.len - HDRLEN - IFILEN, &reply_policy, r);
}

/* ---- link notifications */

static int link_kind(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_link *l = ctx;
	size_t k = 0;

	while (k < n && k < sizeof(l->kind) - 1 && pl[k])
		k++;
	memcpy(l->kind, pl, k);
	l->kind[k] = 0;
	return NLP_OK;
}

static const struct nla_rule linkinfo_rules[] = {
	[IFLA_INFO_KIND] = NLA_ANY(link_kind),
};
static const struct nla_policy linkinfo_policy = NLA_POLICY(linkinfo_rules, NLP_OK);

static int link_address(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_link *l = ctx;

	(void)n;
	l->has_mac = true;
	memcpy(l->mac, pl, 6);
	return NLP_OK;
}

static int link_lower(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_link *l = ctx;

	(void)n;
	l->link = (int32_t)nla_u32(pl);
	return NLP_OK;
}

static int link_ifname(void *ctx, const uint8_t *pl, size_t n)
{
	struct nlp_link *l = ctx;

	return parse_ifname(pl, n, l->ifname);
}

static int link_info(void *ctx, const uint8_t *pl, size_t n)
{
	return nla_walk(pl, n, &linkinfo_policy, ctx);
}

/* An IFLA_ADDRESS other than 6 octets (not Ethernet) is passed over. */
static const struct nla_rule link_rules[] = {
	[IFLA_ADDRESS] = NLA_EXACT(6, NLP_OK, link_address),
	[IFLA_LINK] = NLA_EXACT(4, NLP_E_ATTR_LEN, link_lower),
	[IFLA_IFNAME] = NLA_ANY(link_ifname),
	[IFLA_LINKINFO] = NLA_ANY(link_info),
};
static const struct nla_policy link_policy = NLA_POLICY(link_rules, NLP_OK);

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
	l->ifindex = (int32_t)nla_u32(b + HDRLEN + 4);
	return nla_walk(b + HDRLEN + IFILEN, h.len - HDRLEN - IFILEN, &link_policy, l);
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
