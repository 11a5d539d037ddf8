/* libvirt's side of the lldpad netlink protocol (see nl_libvirt.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "vdp/wire/nl_libvirt.h"

int nlv_build_setlink(struct wbuf *w, const struct nlv_op *op)
{
	struct nlp_setlink s = {
		.h = { RTM_SETLINK, NLV_FLAGS, op->seq, op->event_port },
		.ifindex = op->ifindex,
		.ifname = op->ifname,
		.has_filter = true,	/* libvirt always has the macvtap MAC */
		.vlan = op->vlan,
		.qos = 0,
		.has_vsi_type = true,
		.mgr_id = op->mgr_id,
		.type_id = op->type_id,
		.type_version = op->type_version,
		.has_port_vf = false,	/* never for 802.1Qbg */
		.request = op->request,
	};
	memcpy(s.mac, op->mac, 6);
	memcpy(s.uuid, op->instance, NLP_UUID_LEN);
	return nlp_build_setlink(w, &s);
}

int nlv_build_getlink(struct wbuf *w, const struct nlv_op *op)
{
	struct nlp_hdr h = { RTM_GETLINK, NLV_FLAGS, op->seq, op->event_port };
	return nlp_build_getlink(w, &h, op->ifindex);
}

enum nlv_result nlv_eval_ack(const void *buf, size_t len, int32_t ifindex, char *text, size_t text_len)
{
	struct nlp_status_reply r = { 0 };

	if (nlp_parse_reply(buf, len, &r) < 0 ||
	    (r.type != NLMSG_ERROR && r.type != NLMSG_DONE)) {
		snprintf(text, text_len, "malformed netlink response message");
		return NLV_FAILED;
	}
	if (r.type == NLMSG_ERROR && r.error != 0) {
		snprintf(text, text_len,
			 "error during virtual port configuration of ifindex %d: %s",
			 ifindex, strerror(-r.error));
		return NLV_FAILED;
	}
	snprintf(text, text_len, "ok");
	return NLV_OK;
}

enum nlv_result nlv_eval_status(const void *buf, size_t len, const struct nlv_op *op,
				uint16_t *response, char *text, size_t text_len)
{
	enum { CAP = 8192 };
	static struct nlp_port ports[CAP];
	struct nlp_status_reply r = { .ports = ports, .cap = CAP };
	char u[37];

	*response = 0x101;
	nlp_uuid_format(op->instance, u);
	if (nlp_parse_reply(buf, len, &r) < 0) {
		snprintf(text, text_len, "malformed netlink response message");
		return NLV_FAILED;
	}
	if (r.type == NLMSG_ERROR) {
		if (r.error < 0) {
			snprintf(text, text_len, "error dumping (null) (%d) interface", op->ifindex);
			return NLV_FAILED;
		}
		/* an ack with error 0 would be read as ifinfomsg: garbage */
		snprintf(text, text_len, "IFLA_VF_PORTS is missing");
		return NLV_FAILED;
	}
	if (!r.has_vf_ports) {
		snprintf(text, text_len, "IFLA_VF_PORTS is missing");
		return NLV_FAILED;
	}
	for (size_t i = 0; i < r.n_kept; i++) {
		const struct nlp_port *p = &ports[i];
		if (!p->has_vf || p->vf != NLP_PORT_SELF_VF)
			continue;
		if (!p->has_uuid || memcmp(p->uuid, op->instance, NLP_UUID_LEN) != 0)
			continue;
		/* 802.1Qbg: a missing response means in progress */
		uint16_t resp = p->has_response ? p->response : 0x101;
		*response = resp;
		if (resp == 0x100 || resp == 0) {
			snprintf(text, text_len, "ok");
			return NLV_OK;
		}
		if (resp == 0x101) {
			snprintf(text, text_len, "in progress");
			return NLV_IN_PROGRESS;
		}
		snprintf(text, text_len,
			 "error %d during port-profile setlink on interface %s (%d): Invalid argument",
			 resp, op->ifname ? op->ifname : "(null)", op->ifindex);
		return NLV_FAILED;
	}
	snprintf(text, text_len, "Could not find vf/instanceId %u/%s in netlink response",
		 NLP_PORT_SELF_VF, u);
	return NLV_FAILED;
}

bool nlv_callback_wants_reassoc(const void *buf, size_t len, uint32_t lldpad_pid, const uint8_t mac[6])
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct nlp_msg m;

	if (nlp_parse(buf, len, &m) < 0)
		return false;
	if (m.pid != lldpad_pid || m.type != RTM_SETLINK)
		return false;
	if (m.has_vfinfo && m.n_filters > 0) {
		const struct nlp_filter *f = &m.filters[m.n_filters - 1];
		if (memcmp(mac, bcast, 6) != 0 && (!f->has_mac || memcmp(f->mac, mac, 6) != 0))
			return false;
	}
	return m.n_ports > 0 && m.port.has_request && m.port.request == NLP_REQ_DISASSOCIATE;
}

long nlv_read_pidfile(const char *path)
{
	char b[11];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, b, 10);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	b[n] = 0;
	char *end;
	errno = 0;
	unsigned long v = strtoul(b, &end, 10);
	if (errno || end == b || v == 0 || v > 0xffffffffUL)
		return -EINVAL;
	while (*end && isspace((unsigned char)*end))
		end++;
	if (*end)
		return -EINVAL;
	return (long)v;
}
