/* Socketpair port seam for unit tests (see sockwire.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "tests/unit/sockwire.h"

static const uint8_t st_mac[6] = { 0x02, 0, 0, 0, 0, 0x51 };
static const uint8_t br_mac[6] = { 0x02, 0, 0, 0, 0, 0xB1 };

static int sw_open(void *ctx, const char *ifname, struct port_info *info)
{
	struct sockwire *w = ctx;
	int fd;

	if (w->opened == 0 &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, w->sv) < 0)
		return -errno;
	fd = w->sv[w->opened];
	memset(info, 0, sizeof(*info));
	snprintf(info->ifname, sizeof(info->ifname), "%s", ifname);
	info->ifindex = 10 + w->opened;
	memcpy(info->mac, w->opened == 0 ? st_mac : br_mac, 6);
	info->mtu = 1500;
	w->opened++;
	return fd;
}

ssize_t sockwire_recv(void *ctx, int fd, uint8_t *buf, size_t len, bool *outgoing)
{
	ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);

	(void)ctx;
	*outgoing = false;
	return n < 0 ? -errno : n;
}

ssize_t sockwire_send(void *ctx, int fd, const uint8_t *frame, size_t len)
{
	ssize_t n = send(fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	(void)ctx;
	return n < 0 ? -errno : n;
}

static void sw_close(void *ctx, int fd)
{
	(void)ctx;
	close(fd);
}

/* The production kernel filter: a SEQPACKET socket runs a socket filter
 * on every message it receives, as AF_PACKET does on every frame. */
int sockwire_filter(void *ctx, int fd, const uint8_t group[6])
{
	(void)ctx;
	return port_filter_attach(fd, group);
}

const struct port_ops sockwire_ops = {
	.open = sw_open,
	.recv = sockwire_recv,
	.send = sockwire_send,
	.close = sw_close,
	.filter = sockwire_filter,
};
