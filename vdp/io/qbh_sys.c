/* 802.1Qbh: what the backend needs from the system (see qbh.h): the
 * SETLINK bytes, the port behind a device in sysfs, the driver's name,
 * the SMBIOS host UUID, and the kernel's netlink socket. */
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
	s.request = r->request;
	if (r->request == QBH_DISASSOCIATE)
		return nlp_build_qbh_setlink(w, &s);
	if (r->request != QBH_ASSOCIATE && r->request != QBH_PREASSOCIATE_RR)
		return -EINVAL;
	if (!r->profile || !r->profile[0] || strlen(r->profile) > QBH_PROFILE_MAX)
		return -EINVAL;
	s.profile = r->profile;
	s.uuid = r->instance;
	s.host_uuid = r->has_host_uuid ? r->host_uuid : NULL;
	return nlp_build_qbh_setlink(w, &s);
}

static const char *root_of(const char *sysfs)
{
	return sysfs ? sysfs : "/sys";
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The first entry of dir (a PF's net/: its netdev). */
static int first_entry(const char *dir, char out[16])
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = -ENODEV;

	if (!d)
		return -ENODEV;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strlen(e->d_name) >= 16)
			continue;
		snprintf(out, 16, "%s", e->d_name);
		rc = 0;
		break;
	}
	closedir(d);
	return rc;
}

/* fn: the VF's PCI function directory (it has physfn).  The PF lists its
 * VFs as virtfnN links; N is the index the PF's driver takes. */
static int vf_of(const char *fn, const char *pci_name, char pf[16], int32_t *vf)
{
	char path[PATH_MAX], l[PATH_MAX];
	ssize_t n;

	for (int i = 0; i < 4096; i++) {
		snprintf(path, sizeof(path), "%s/physfn/virtfn%d", fn, i);
		if ((n = readlink(path, l, sizeof(l) - 1)) < 0)
			break;
		l[n] = 0;
		if (strcmp(base(l), pci_name))
			continue;
		snprintf(path, sizeof(path), "%s/physfn/net", fn);
		if (first_entry(path, pf) < 0)
			return -ENODEV; /* the PF has no netdev to address */
		*vf = i;
		return 0;
	}
	return -ENODEV;
}

static bool name_ok(const char *dev)
{
	return dev[0] && strlen(dev) < 16 && !strchr(dev, '/') && strcmp(dev, ".") &&
		strcmp(dev, "..");
}

int qbh_target(const char *sysfs, const char *dev, char pf[16], int32_t *vf)
{
	char path[PATH_MAX], l[PATH_MAX];
	const char *root = root_of(sysfs);
	ssize_t n;

	if (!name_ok(dev))
		return -EINVAL;
	snprintf(pf, 16, "%s", dev);
	*vf = QBH_SELF_VF;
	snprintf(path, sizeof(path), "%s/class/net/%s", root, dev);
	if (exists(path)) {
		snprintf(path, sizeof(path), "%s/class/net/%s/device/physfn", root, dev);
		if (!exists(path))
			return 0;
		snprintf(path, sizeof(path), "%s/class/net/%s/device", root, dev);
		if ((n = readlink(path, l, sizeof(l) - 1)) < 0)
			return -errno;
		l[n] = 0;
		return vf_of(path, base(l), pf, vf);
	}
	/* a VF named by PCI address: bound to vfio it has no netdev */
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/physfn", root, dev);
	if (!exists(path))
		return -ENODEV;
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", root, dev);
	return vf_of(path, dev, pf, vf);
}

void qbh_driver(const char *sysfs, const char *dev, char *out, size_t len)
{
	char path[PATH_MAX], l[PATH_MAX];
	const char *root = root_of(sysfs);
	ssize_t n;

	out[0] = 0;
	if (!name_ok(dev))
		return;
	snprintf(path, sizeof(path), "%s/class/net/%s/device/driver", root, dev);
	if ((n = readlink(path, l, sizeof(l) - 1)) < 0) {
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", root, dev);
		if ((n = readlink(path, l, sizeof(l) - 1)) < 0)
			return;
	}
	l[n] = 0;
	snprintf(out, len, "%s", base(l));
}

int qbh_host_uuid(const char *sysfs, uint8_t out[16])
{
	char path[PATH_MAX], buf[64];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/class/dmi/id/product_uuid", root_of(sysfs));
	if (!(f = fopen(path, "re")))
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	if (!nlp_uuid_parse(buf, out))
		return -EINVAL;
	/* firmware that has no UUID fills one digit (0 or F) everywhere;
	 * libvirt does not take those either */
	bool same = true;
	for (size_t i = 1; i < 16; i++)
		same = same && out[i] == out[0];
	if (same && (out[0] >> 4) == (out[0] & 15))
		return -EINVAL;
	return 0;
}

/* ---- the kernel */

static int k_open(void *ctx)
{
	(void)ctx;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	return fd < 0 ? -errno : fd;
}

static int k_send(void *ctx, int fd, const void *msg, size_t len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	(void)ctx;
	/* rtnetlink runs the driver inside this call; MSG_DONTWAIT only
	 * keeps a full socket buffer from blocking us */
	if (sendto(fd, msg, len, MSG_DONTWAIT, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	return 0;
}

static ssize_t k_recv(void *ctx, int fd, uint8_t **buf, size_t *cap)
{
	(void)ctx;
	ssize_t n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if ((size_t)n > *cap || !*buf) {
		uint8_t *b = realloc(*buf, n ? (size_t)n : 1);
		if (!b)
			return -ENOMEM;
		*buf = b;
		*cap = n ? (size_t)n : 1;
	}
	n = recv(fd, *buf, *cap, MSG_DONTWAIT);
	return n < 0 ? -errno : n;
}

static void k_close(void *ctx, int fd)
{
	(void)ctx;
	close(fd);
}

static int k_ifindex(void *ctx, const char *name)
{
	(void)ctx;
	unsigned i = if_nametoindex(name);
	return i ? (int)i : -errno;
}

const struct qbh_nl_ops qbh_nl_kernel = {
	.open = k_open,
	.send = k_send,
	.recv = k_recv,
	.close = k_close,
	.ifindex = k_ifindex,
};
