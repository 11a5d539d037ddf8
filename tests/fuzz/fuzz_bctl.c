/* libFuzzer target: the control socket with vdp-bridge's commands behind it
 * (tools/vdp-bridge/bctl.c: vsi.show paging with offset, after and limit,
 * fault.set, config.reload, ...), a bridge in process whose two ports are
 * socketpairs nobody answers.  The input is written as-is to a fresh
 * connection; seeds hold valid frames.  Checks: no crash or leak, the
 * connection always ends, and every byte the bridge sent back is a sequence
 * of well-formed reply frames.  After each input the fault settings go back
 * to the file's, so one input's fault.set does not steer the next. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "vdp/ctl/ctl.h"
#include "vdp/base/log.h"
#include "vdp/io/vclock_event.h"
#include "tools/vdp-bridge/vdp-bridge.h"

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
	info->ifindex = ifname[1] == '0' ? 10 : 11;
	info->mtu = 1500;
	info->mac[0] = 2;
	info->mac[5] = (uint8_t)info->ifindex;
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

static struct vbr b;
static uint8_t rbuf[8 << 20];

/* config.reload reads this file again: the same, so a reload is applied
 * (and re-judges the VSIs against the same type database). */
static const char conf_fmt[] =
	"log_level = \"error\";\n"
	"control = \"%s\";\n"
	"interfaces = [ \"p0\", \"p1\" ];\n"
	"evb = { r = 3; rte = 8; rwd = 20; rka = 20; };\n"
	"vdp = { max_vsis = 100; managers = [ \"0\", \"blabla\" ];\n"
	"  types = ( { name = \"web\"; type_id = 10; version = 1; mgrid = \"0\"; vlan = 100;\n"
	"              vlans = [ 101, 102 ]; pcp = 3; max_vsis = 10; },\n"
	"            { name = \"any\"; type_id = 20; } ); };\n"
	"fault = { seed = 7; };\n";

static void init(void)
{
	char path[64], sock[64], err[512];
	FILE *f;

	log_init("fuzz_bctl", LOG_TO_STDERR, LOG_CRIT);
	snprintf(path, sizeof(path), "/tmp/fuzz_bctl.%d.conf", (int)getpid());
	snprintf(sock, sizeof(sock), "/tmp/fuzz_bctl.%d.sock", (int)getpid());
	f = fopen(path, "w");
	if (!f || fprintf(f, conf_fmt, sock) < 0 || fclose(f) != 0)
		abort();
	vbr_conf_init(&b.conf);
	snprintf(b.cli.conf_path, sizeof(b.cli.conf_path), "%s", path);
	if (vbr_conf_load(&b.conf, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_bctl: %s\n", err);
		abort();
	}
	b.base = vclock_event_base_new();
	b.clock = b.base ? vclock_event_new(b.base) : NULL;
	if (!b.clock)
		abort();
	b.started_us = vclock_now(b.clock);
	b.port_ops = &wire_ops;
	fault_init(&b.fault, &b.conf.fault);
	if (vbr_start_ports(&b) < 0)
		abort();
	b.ctl = ctl_server_new(b.base, b.conf.ctl_path, 0600, vbr_ctl_cmds, &b);
	if (!b.ctl)
		abort();
	/* The socket file is not needed: connections are adopted.  The
	 * configuration file stays for config.reload. */
	unlink(sock);
}

/* What fault.set changed goes back to the file's settings. */
static void reset(void)
{
	fault_set_config(&b.fault, &b.conf.fault, true);
	vbr_fault_changed(&b);
}

/* FUZZ_BCTL_SHOW=1 prints every reply (to look at what a seed reaches). */
static void check_replies(size_t got)
{
	static int show = -1;

	if (show < 0)
		show = getenv("FUZZ_BCTL_SHOW") != NULL;
	/* Replies: length-prefixed JSON objects with version 1 and ok. */
	for (size_t p = 0; p < got;) {
		if (got - p < 4)
			abort();
		size_t n = (size_t)rbuf[p] << 24 | (size_t)rbuf[p + 1] << 16 | (size_t)rbuf[p + 2] << 8 | rbuf[p + 3];
		if (n == 0 || n > CTL_MAX_FRAME || n > got - p - 4)
			abort();
		json_t *j = json_loadb((const char *)rbuf + p + 4, n, 0, NULL);
		if (!json_is_object(j) || json_integer_value(json_object_get(j, "version")) != CTL_VERSION ||
		    !json_is_boolean(json_object_get(j, "ok")))
			abort();
		if (show)
			fprintf(stderr, "%.*s\n", (int)n, (const char *)rbuf + p + 4);
		json_decref(j);
		p += 4 + n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct ctl_server_stats st;
	size_t off = 0, got = 0;
	int sv[2];

	if (!ready) {
		init();
		ready = true;
	}
	if (size > 128 * 1024)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (ctl_server_adopt(b.ctl, sv[0]) < 0)
		abort();
	/* Feed, drain, until the server has hung up. */
	bool eof = false, shut = false;
	for (int rounds = 0; !eof; rounds++) {
		if (off < size) {
			ssize_t w = send(sv[1], data + off, size - off, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (w > 0)
				off += (size_t)w;
			else if (w < 0 && errno != EAGAIN)
				off = size;	/* server closed (oversize frame) */
		} else if (!shut) {
			shutdown(sv[1], SHUT_WR);
			shut = true;
		}
		event_base_loop(b.base, EVLOOP_NONBLOCK);
		for (;;) {
			ssize_t r = recv(sv[1], rbuf + got, sizeof(rbuf) - got, MSG_DONTWAIT);
			if (r > 0) {
				got += (size_t)r;
				if (got == sizeof(rbuf))
					abort();
				continue;
			}
			if (r == 0)
				eof = true;
			break;
		}
		if (rounds > 1000000)
			abort();	/* the connection never ended */
	}
	close(sv[1]);
	ctl_server_get_stats(b.ctl, &st);
	if (st.clients != 0)
		abort();
	check_replies(got);
	reset();
	return 0;
}
