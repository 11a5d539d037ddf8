/* libFuzzer target: the control socket with vdpd's commands behind it.
 * The input is written as-is to a fresh connection (framing, JSON, versions
 * and every command's argument validation are reached: seeds hold valid
 * frames).  Checks: no crash or leak, the connection always ends, and every
 * byte the daemon sent back is a sequence of well-formed reply frames. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "vdp/ctl/ctl.h"
#include "vdp/base/log.h"
#include "vdp/daemon/vdpd.h"
#include "tests/fuzz/ctl_converse.h"

static int w_open(void *ctx, const char *ifname, struct port_info *info)
{
	int sv[2];

	(void)ctx;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	/* Nobody reads the far end (kept open: an EOF would make the port's
	 * fd readable for ever); sends fill it, then fail and are counted. */
	(void)sv[1];
	memset(info, 0, sizeof(*info));
	strncpy(info->ifname, ifname, sizeof(info->ifname) - 1);
	info->ifindex = 10;
	info->mtu = 1500;
	info->mac[0] = 2;
	return sv[0];
}

static ssize_t w_recv(void *ctx, int fd, uint8_t *buf, size_t len, bool *outgoing)
{
	(void)ctx;
	*outgoing = false;
	ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);
	return n < 0 ? -errno : n;
}

static ssize_t w_send(void *ctx, int fd, const uint8_t *frame, size_t len)
{
	(void)ctx;
	ssize_t n = send(fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	return n < 0 ? -errno : n;
}

static void w_close(void *ctx, int fd)
{
	(void)ctx;
	close(fd);
}

static const struct port_ops wire_ops = { .open = w_open, .recv = w_recv, .send = w_send, .close = w_close };

static struct vdpd d;

static void init(void)
{
	static const char conf[] = "uplinks = ( { name = \"st0\"; }, { name = \"st1\"; } );";
	struct vdpd_opts o = { 0 };
	struct vdpd_config cfg;
	char err[256], sock[64];

	log_init("fuzz_ctl", LOG_TO_STDERR, LOG_CRIT);
	snprintf(sock, sizeof(sock), "/tmp/fuzz_ctl.%d.sock", (int)getpid());
	o.config = "/nonexistent/vdpd.conf";
	o.socket = strdup(sock);
	o.pidfile = "";
	o.debug = LOG_CRIT;
	o.port_ops = &wire_ops;
	o.assume_link_up = true;
	o.no_linkmon = true;
	if (cfg_load_string(conf, "fuzz", &cfg, err, sizeof(err)) < 0 || vdpd_init(&d, &o, &cfg) < 0)
		abort();
	/* The socket file is not needed: connections are adopted. */
	unlink(sock);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;

	if (!ready) {
		init();
		ready = true;
	}
	if (size > 128 * 1024)
		return 0;
	ctl_converse(d.ctl, d.base, data, size, false);
	return 0;
}
