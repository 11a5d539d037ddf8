/* 802.1Qbh backend: port profile requests to the NIC driver through
 * rtnetlink (see qbh.h). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vdp/base/codec.h"
#include "vdp/wire/nl_parse.h"
#include "vdp/io/qbh.h"
#include "vdp/wire/vdp_text.h"

static struct qbh_counters counters;

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

int qbh_build_setlink(struct wbuf *w, uint32_t seq, uint32_t pid, const struct qbh_req *r)
{
	struct nlp_qbh_setlink s;

	memset(&s, 0, sizeof(s));
	s.h.type = RTM_SETLINK;
	s.h.flags = NLM_F_REQUEST | NLM_F_ACK;
	s.h.seq = seq;
	s.h.pid = pid;
	s.ifindex = r->ifindex;
	s.vf = r->vf < 0 ? NLP_PORT_SELF_VF : (uint32_t)r->vf;
	if (r->associate) {
		/* IFLA_PORT_PROFILE is an NLA_STRING of at most PORT_PROFILE_MAX
		 * (40) octets including the NUL (reference B.2). */
		if (!r->profile || !r->profile[0] || strlen(r->profile) >= NLP_PROFILE_MAX)
			return -EINVAL;
		s.profile = r->profile;
		s.uuid = r->instance;
		s.host_uuid = r->has_host_uuid ? r->host_uuid : NULL;
		s.request = NLP_REQ_ASSOCIATE;
	} else {
		s.request = NLP_REQ_DISASSOCIATE;
	}
	return nlp_build_qbh_setlink(w, &s);
}

/* The PF's netdev name: the entry of <pf device>/net/. */
static int pf_name(const char *netdir, char pf[16])
{
	DIR *d = opendir(netdir);
	struct dirent *e;
	int rc = -ENODEV;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strlen(e->d_name) >= 16)
			continue;
		snprintf(pf, 16, "%s", e->d_name);
		rc = 0;
		break;
	}
	closedir(d);
	return rc;
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

int qbh_target(const char *sysfs, const char *dev, char pf[16], int32_t *vf)
{
	char path[PATH_MAX], mine[PATH_MAX], l[PATH_MAX];
	const char *root = sysfs ? sysfs : "/sys/class/net";
	ssize_t n;

	if (!dev[0] || strlen(dev) >= 16 || strchr(dev, '/'))
		return -EINVAL;
	snprintf(pf, 16, "%s", dev);
	*vf = QBH_SELF_VF;
	/* An SR-IOV VF has device/physfn (its PF's PCI device); the PF lists
	 * its VFs as virtfnN links.  libvirt addresses the PF with vf = N
	 * (reference A.1.2). */
	snprintf(path, sizeof(path), "%s/%s/device/physfn", root, dev);
	if (access(path, F_OK) != 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s/device", root, dev);
	if ((n = readlink(path, mine, sizeof(mine) - 1)) < 0)
		return -errno;
	mine[n] = 0;
	for (int i = 0; i < 65536; i++) {
		snprintf(path, sizeof(path), "%s/%s/device/physfn/virtfn%d", root, dev, i);
		if ((n = readlink(path, l, sizeof(l) - 1)) < 0)
			break;
		l[n] = 0;
		if (strcmp(base(l), base(mine)))
			continue;
		snprintf(path, sizeof(path), "%s/%s/device/physfn/net", root, dev);
		if (pf_name(path, pf) < 0)
			return -ENODEV;
		*vf = i;
		return 0;
	}
	return -ENODEV;
}

int qbh_host_uuid(const char *path, uint8_t out[16])
{
	char buf[64];
	FILE *f = fopen(path ? path : "/etc/machine-id", "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* machine-id(5): 32 lower-case hex digits and a newline */
	if (n > 32 && buf[32] == '\n')
		buf[32] = 0;
	return vdp_txt_hex16_parse(buf, out);
}

static void describe(const struct qbh_req *r, struct qbh_result *res)
{
	const char *op = r->associate ? "associate" : "disassociate";
	char where[48] = "";

	if (r->vf >= 0)
		snprintf(where, sizeof(where), " (VF %d of %s)", (int)r->vf, r->target);
	if (res->error == -EOPNOTSUPP)
		/* do_setlink: no ndo_set_vf_port (B.2), or a driver refusing
		 * PORT_SELF on a static vNIC (B.3) */
		snprintf(res->msg, sizeof(res->msg), "%s%s does not support port profiles (802.1Qbh): %s", r->dev,
			 where, strerror(-res->error));
	else if (res->error)
		snprintf(res->msg, sizeof(res->msg), "%s%s: 802.1Qbh %s of profile %s failed: %s", r->dev, where, op,
			 r->profile ? r->profile : "-", strerror(-res->error));
	else if (res->has_response)
		snprintf(res->msg, sizeof(res->msg), "%s%s: 802.1Qbh %s of profile %s: %s", r->dev, where, op,
			 r->profile ? r->profile : "-", qbh_response_name(res->response));
	else
		snprintf(res->msg, sizeof(res->msg), "%s%s: 802.1Qbh %s of profile %s accepted by the driver (no status reported)",
			 r->dev, where, op, r->profile ? r->profile : "-");
}

/* Reads the next whole message addressed to seq (the kernel answers in
 * sendmsg() context, so it is queued already: never blocks).  Returns the
 * length, or -errno. */
static ssize_t recv_reply(int fd, uint32_t seq, uint8_t **buf)
{
	for (int tries = 0; tries < 16; tries++) {
		ssize_t n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		uint8_t *b = realloc(*buf, (size_t)n ? (size_t)n : 1);
		if (!b)
			return -ENOMEM;
		*buf = b;
		n = recv(fd, b, (size_t)n, MSG_DONTWAIT);
		if (n < 0)
			return -errno;
		if ((size_t)n >= sizeof(struct nlmsghdr) && ((struct nlmsghdr *)b)->nlmsg_seq == seq)
			return n;
	}
	return -EPROTO;
}

int qbh_apply(const struct qbh_req *r, struct qbh_result *res)
{
	static uint32_t seq_next = 1;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	uint8_t out[256], *in = NULL;
	struct wbuf w;
	struct nlp_status_reply rep;
	uint32_t seq = seq_next++;
	ssize_t n;
	int fd, rc;

	memset(res, 0, sizeof(res[0]));
	counters.requests++;
	wbuf_init(&w, out, sizeof(out));
	rc = qbh_build_setlink(&w, seq, 0, r);
	if (rc < 0) {
		res->error = rc == CODEC_E_NO_SPACE ? -EMSGSIZE : rc;
		goto done;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		res->error = -errno;
		goto done;
	}
	if (sendto(fd, out, w.len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		res->error = -errno;
		goto out;
	}
	/* the ack: NLMSG_ERROR, error 0 or -errno (A.2 step 2) */
	memset(&rep, 0, sizeof(rep));
	if ((n = recv_reply(fd, seq, &in)) < 0) {
		res->error = (int)n;
		goto out;
	}
	if (nlp_parse_reply(in, (size_t)n, &rep) < 0 || rep.type != NLMSG_ERROR) {
		res->error = -EPROTO;
		goto out;
	}
	res->error = rep.error;
	if (res->error)
		goto out;
	counters.acked++;
	/* the driver's view: IFLA_PORT_SELF or our IFLA_VF_PORT entry */
	seq = seq_next++;
	struct nlp_hdr gh = { RTM_GETLINK, NLM_F_REQUEST, seq, 0 };
	wbuf_init(&w, out, sizeof(out));
	if (nlp_build_getlink(&w, &gh, r->ifindex) < 0 ||
	    sendto(fd, out, w.len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		goto out;
	if ((n = recv_reply(fd, seq, &in)) < 0)
		goto out;
	struct nlp_port ports[64];
	memset(&rep, 0, sizeof(rep));
	rep.ports = ports;
	rep.cap = 64;
	if (nlp_parse_reply(in, (size_t)n, &rep) < 0 || rep.type != RTM_NEWLINK)
		goto out;
	if (r->vf < 0 && rep.has_port_self && rep.self.has_response) {
		res->has_response = true;
		res->response = rep.self.response;
	}
	for (size_t i = 0; r->vf >= 0 && i < rep.n_kept; i++)
		if (ports[i].has_vf && ports[i].vf == (uint32_t)r->vf && ports[i].has_response) {
			res->has_response = true;
			res->response = ports[i].response;
		}
out:
	close(fd);
done:
	free(in);
	if (res->error) {
		counters.errors++;
		if (res->error == -EOPNOTSUPP)
			counters.unsupported++;
	}
	describe(r, res);
	return res->error;
}

int qbh_apply_dev(const char *dev, const char *uplink, const char *profile, const uint8_t instance[16],
		  bool associate, struct qbh_result *res)
{
	struct qbh_req r;
	char pf[16] = "";
	int rc = 0;

	memset(&r, 0, sizeof(r));
	r.profile = profile;
	r.associate = associate;
	memcpy(r.instance, instance, 16);
	r.vf = QBH_SELF_VF;
	if (dev && dev[0])
		rc = qbh_target(NULL, dev, pf, &r.vf);
	if (rc == 0 && r.vf == QBH_SELF_VF && uplink && uplink[0])
		/* a macvtap's port is its lower device (libvirt's linkdev,
		 * the <source dev>) */
		snprintf(pf, sizeof(pf), "%s", uplink);
	r.dev = r.vf >= 0 ? dev : pf;
	r.target = pf;
	if (rc == 0 && !pf[0])
		rc = -ENODEV;
	if (rc == 0) {
		r.ifindex = (int)if_nametoindex(pf);
		if (!r.ifindex)
			rc = -errno;
	}
	if (rc < 0) {
		memset(res, 0, sizeof(res[0]));
		counters.requests++;
		counters.errors++;
		res->error = rc;
		snprintf(res->msg, sizeof(res->msg), "%s: no device for 802.1Qbh %s: %s", pf[0] ? pf : dev,
			 associate ? "associate" : "disassociate", strerror(-rc));
		return rc;
	}
	/* without a machine-id the host UUID is left out (enic sends the
	 * adapter only what it was given, B.3) */
	r.has_host_uuid = qbh_host_uuid(NULL, r.host_uuid) == 0;
	return qbh_apply(&r, res);
}

/* The last result per VSI, for vdpctl (attach.show) */
#define QBH_LAST_MAX 256
static struct {
	char iface_id[40];
	struct qbh_result res;
} last[QBH_LAST_MAX];
static size_t n_last, next_evict;

void qbh_remember(const char *iface_id, const struct qbh_result *res)
{
	size_t i;

	for (i = 0; i < n_last; i++)
		if (!strcmp(last[i].iface_id, iface_id))
			break;
	if (i == n_last) {
		if (n_last < QBH_LAST_MAX) {
			n_last++;
		} else {
			i = next_evict;
			next_evict = (next_evict + 1) % QBH_LAST_MAX;
		}
	}
	snprintf(last[i].iface_id, sizeof(last[i].iface_id), "%s", iface_id);
	last[i].res = *res;
}

const struct qbh_result *qbh_last(const char *iface_id)
{
	for (size_t i = 0; i < n_last; i++)
		if (!strcmp(last[i].iface_id, iface_id))
			return &last[i].res;
	return NULL;
}
