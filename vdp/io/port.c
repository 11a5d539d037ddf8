/* Raw Ethernet port on AF_PACKET.  See port.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/pkt_sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "vdp/base/eth.h"
#include "vdp/io/port.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/* Frames read per callback before yielding to the rest of the loop. */
#define PORT_RX_BURST 64
/* Receive buffer: a burst of a few thousand VDP ECPDUs must not be lost
 * while the loop is busy (lldpad loses frames here, openlldp.md §9). */
#define PORT_RCVBUF (4 * 1024 * 1024)

struct port {
	struct port_info info;
	uint8_t group[6];
	const struct port_ops *ops;
	void *ops_ctx;
	int fd;
	struct event *ev;
	port_rx_fn rx;
	void *arg;
	const struct port_tap *tap;
	void *tap_arg;
	struct port_stats stats;
	uint8_t buf[PORT_MAX_FRAME];
};

/* ---- AF_PACKET implementation of port_ops ---- */

int port_lookup(const char *ifname, struct port_info *info)
{
	struct ifreq ifr;
	int fd, err = 0;

	if (strlen(ifname) >= IF_NAMESIZE)
		return -ENAMETOOLONG;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, ifname, IF_NAMESIZE - 1);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		err = -errno;
		goto out;
	}
	info->ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		err = -errno;
		goto out;
	}
	memcpy(info->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0) {
		err = -errno;
		goto out;
	}
	info->mtu = (unsigned int)ifr.ifr_mtu;
	/* ifname may be info->ifname itself (refresh): copy via ifr. */
	memcpy(ifr.ifr_name, ifname, strlen(ifname) + 1);
	memset(info->ifname, 0, sizeof(info->ifname));
	strncpy(info->ifname, ifr.ifr_name, IF_NAMESIZE - 1);
out:
	close(fd);
	return err;
}

/* The admission filter (see port.h).  EVB runs untagged on the uplink
 * (S-channels are not handled).  Loads are big-endian: the group address is
 * compared as its first four and last two octets. */
enum { RET_HEADER = 9, RET_DROP = 10 };

int port_filter_attach(int fd, const uint8_t group[6])
{
	const uint32_t hi = (uint32_t)group[0] << 24 | (uint32_t)group[1] << 16 |
		(uint32_t)group[2] << 8 | group[3];
	const uint32_t lo = (uint32_t)group[4] << 8 | group[5];
	struct sock_filter prog[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
				 (uint32_t)(SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT)),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, RET_DROP - 2),
		/* 2 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_LLDP, 1, 0),
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_ECP, 0, RET_DROP - 5),
		/* 5 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
		/* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, hi, 0, RET_HEADER - 7),
		/* 7 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 4),
		/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, lo, 2, 0),
		/* 9: another destination: the header alone, to be counted */
		BPF_STMT(BPF_RET | BPF_K, ETH_HDR_LEN),
		/* 10: not ours at all */
		BPF_STMT(BPF_RET | BPF_K, 0),
		/* 11: sent to the group */
		BPF_STMT(BPF_RET | BPF_K, PORT_MAX_FRAME),
	};
	struct sock_fprog fp = { .len = sizeof(prog) / sizeof(prog[0]), .filter = prog };

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) < 0)
		return -errno;
	return 0;
}

static int packet_open(void *ctx, const char *ifname, struct port_info *info)
{
	/* Nothing passes until packet_filter() knows the group. */
	static struct sock_filter none[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { .len = 1, .filter = none };
	struct sockaddr_ll sll;
	int fd, one = 1, prio = TC_PRIO_CONTROL, rcv = PORT_RCVBUF;
	int err;

	(void)ctx;
	err = port_lookup(ifname, info);
	if (err < 0)
		return err;
	/* Protocol 0 until the filter is attached, so no unfiltered frame
	 * is queued before bind(). */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		goto fail;
	/* Best effort: the check on sll_pkttype below covers older kernels. */
	(void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_PRIORITY, &prio, sizeof(prio));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));

	/* ETH_P_ALL taps see frames before a bridge's rx_handler, so this
	 * works on a bridge port too. */
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = info->ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

/* The admission filter, and the group address on the NIC's multicast list
 * (the other reserved groups are not served, so not joined). */
static int packet_filter(void *ctx, int fd, const uint8_t group[6])
{
	struct sockaddr_ll sll;
	socklen_t sl = sizeof(sll);
	struct packet_mreq mr;
	int err;

	(void)ctx;
	err = port_filter_attach(fd, group);
	if (err < 0)
		return err;
	if (getsockname(fd, (struct sockaddr *)&sll, &sl) < 0)
		return -errno;
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = sll.sll_ifindex;
	mr.mr_type = PACKET_MR_MULTICAST;
	mr.mr_alen = 6;
	memcpy(mr.mr_address, group, 6);
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
		return -errno;
	return 0;
}

static int packet_refresh(void *ctx, int fd, struct port_info *info)
{
	(void)ctx;
	(void)fd;
	return port_lookup(info->ifname, info);
}

static ssize_t packet_recv(void *ctx, int fd, uint8_t *buf, size_t len, bool *outgoing)
{
	struct sockaddr_ll sll;
	socklen_t sl = sizeof(sll);
	ssize_t n;

	(void)ctx;
	memset(&sll, 0, sizeof(sll));
	n = recvfrom(fd, buf, len, MSG_TRUNC, (struct sockaddr *)&sll, &sl);
	if (n < 0)
		return -errno;
	if ((size_t)n > len)
		return -EMSGSIZE;
	*outgoing = sll.sll_pkttype == PACKET_OUTGOING;
	return n;
}

static ssize_t packet_send(void *ctx, int fd, const uint8_t *frame, size_t len)
{
	ssize_t n;

	(void)ctx;
	n = send(fd, frame, len, MSG_DONTWAIT);
	return n < 0 ? -errno : n;
}

static void packet_close(void *ctx, int fd)
{
	(void)ctx;
	close(fd);
}

const struct port_ops port_ops_packet = {
	.open = packet_open,
	.refresh = packet_refresh,
	.recv = packet_recv,
	.send = packet_send,
	.close = packet_close,
	.filter = packet_filter,
};

/* ---- port ---- */

static void port_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct port *p = arg;

	(void)what;
	for (int i = 0; i < PORT_RX_BURST; i++) {
		bool outgoing = false;
		ssize_t n = p->ops->recv(p->ops_ctx, fd, p->buf, sizeof(p->buf), &outgoing);
		uint16_t et;

		if (n == -EAGAIN || n == -EWOULDBLOCK || n == -EINTR)
			return;
		if (n < 0) {
			p->stats.rx_errors++;
			/* ENETDOWN and friends: nothing more to read now. */
			if (n != -EMSGSIZE)
				return;
			continue;
		}
		if (n == 0)	/* a stream test double closed its end */
			return;
		if (outgoing) {
			p->stats.rx_own++;
			continue;
		}
		if ((size_t)n < ETH_HDR_LEN) {
			p->stats.rx_short++;
			continue;
		}
		et = (uint16_t)(p->buf[12] << 8 | p->buf[13]);
		if (et != ETHERTYPE_LLDP && et != ETHERTYPE_ECP) {
			p->stats.rx_other++;
			continue;
		}
		/* Never hand our own frames up, whatever the kernel says. */
		if (memcmp(p->buf + 6, p->info.mac, 6) == 0) {
			p->stats.rx_own++;
			continue;
		}
		if (p->tap && p->tap->rx)
			p->tap->rx(p->tap_arg, p, et, p->buf, (size_t)n);
		else
			port_deliver(p, et, p->buf, (size_t)n);
	}
}

struct port *port_open(struct event_base *base, const char *ifname, const uint8_t group[6],
		       const struct port_ops *ops, void *ops_ctx, port_rx_fn rx, void *arg)
{
	struct port *p;
	int fd, err;

	if (!ops)
		ops = &port_ops_packet;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->ops = ops;
	p->ops_ctx = ops_ctx;
	p->rx = rx;
	p->arg = arg;
	fd = ops->open(ops_ctx, ifname, &p->info);
	if (fd < 0) {
		free(p);
		errno = -fd;
		return NULL;
	}
	p->fd = fd;
	memcpy(p->group, group, 6);
	if (ops->filter && (err = ops->filter(ops_ctx, fd, group)) < 0) {
		ops->close(ops_ctx, fd);
		free(p);
		errno = -err;
		return NULL;
	}
	p->ev = event_new(base, fd, EV_READ | EV_PERSIST, port_read_cb, p);
	if (!p->ev || event_add(p->ev, NULL) < 0) {
		if (p->ev)
			event_free(p->ev);
		ops->close(ops_ctx, fd);
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void port_close(struct port *p)
{
	if (!p)
		return;
	event_free(p->ev);
	p->ops->close(p->ops_ctx, p->fd);
	free(p);
}

int port_send_raw(struct port *p, const uint8_t *frame, size_t len)
{
	ssize_t n = p->ops->send(p->ops_ctx, p->fd, frame, len);

	if (n < 0 || (size_t)n != len) {
		p->stats.tx_errors++;
		return n < 0 ? (int)n : -EIO;
	}
	p->stats.tx_frames++;
	p->stats.tx_bytes += len;
	return 0;
}

int port_send(struct port *p, const uint8_t *frame, size_t len)
{
	if (p->tap && p->tap->tx) {
		p->tap->tx(p->tap_arg, p, frame, len);
		return 0;
	}
	return port_send_raw(p, frame, len);
}

void port_deliver(struct port *p, uint16_t ethertype, const uint8_t *frame, size_t len)
{
	p->stats.rx_frames++;
	p->stats.rx_bytes += len;
	if (p->rx)
		p->rx(p->arg, ethertype, frame, len);
}

void port_set_tap(struct port *p, const struct port_tap *tap, void *arg)
{
	p->tap = tap;
	p->tap_arg = arg;
}

int port_refresh(struct port *p)
{
	if (!p->ops->refresh)
		return 0;
	return p->ops->refresh(p->ops_ctx, p->fd, &p->info);
}

const struct port_info *port_info(const struct port *p)
{
	return &p->info;
}

const struct port_stats *port_stats(const struct port *p)
{
	return &p->stats;
}

const char *port_name(const struct port *p)
{
	return p->info.ifname;
}

const uint8_t *port_group(const struct port *p)
{
	return p->group;
}
