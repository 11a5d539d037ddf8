/* libFuzzer target: the control socket with vdp-bridge's commands behind it
 * (tools/vdp-bridge/bctl.c: vsi.show paging with offset, after and limit,
 * fault.set, config.reload, ...), a bridge in process whose two ports are
 * socketpairs to two stations with seven VSIs between them.  The input is written as-is to a fresh
 * connection; seeds hold valid frames.  Checks: no crash or leak, the
 * connection always ends, and every byte the bridge sent back is a sequence
 * of well-formed reply frames.  After each input the fault settings go back
 * to the file's and removed VSIs come back, so one input does not steer the
 * next. */
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
#include "vdp/engine/vdp_station.h"
#include "vdp/io/vclock_event.h"
#include "tools/vdp-bridge/vdp-bridge.h"

/* Each bridge port's far end is a station uplink in the same process, on
 * the same event loop, which associates the VSIs of vsis[] before the
 * first input: vsi.show pages, vsi.deassoc and vsi.flush have VSIs to
 * work on.  RKA 31 (keep-alives every 6 h) keeps them without traffic. */
struct wire {
	int fd_bridge, fd_station;
	struct uplink *st;
};

#define NPORTS 2
static struct wire wires[NPORTS];

static void fill_info(struct port_info *info, const char *ifname, int ifindex, uint8_t mac5)
{
	memset(info, 0, sizeof(*info));
	strncpy(info->ifname, ifname, sizeof(info->ifname) - 1);
	info->ifindex = ifindex;
	info->mtu = 1500;
	info->mac[0] = 2;
	info->mac[5] = mac5;
}

/* The bridge's ports are p0 and p1. */
static int br_open(void *ctx, const char *ifname, struct port_info *info)
{
	int sv[2], i = ifname[1] - '0';

	(void)ctx;
	if (ifname[0] != 'p' || i < 0 || i >= NPORTS)
		return -ENODEV;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	wires[i].fd_bridge = sv[0];
	wires[i].fd_station = sv[1];
	fill_info(info, ifname, 10 + i, (uint8_t)(0xb0 + i));
	return sv[0];
}

static int st_open(void *ctx, const char *ifname, struct port_info *info)
{
	struct wire *w = ctx;

	fill_info(info, ifname, 20 + (int)(w - wires), (uint8_t)(0x50 + (w - wires)));
	return w->fd_station;
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

static const struct port_ops br_ops = {
	.open = br_open, .recv = w_recv, .send = w_send, .close = w_close
};
static const struct port_ops st_ops = {
	.open = st_open, .recv = w_recv, .send = w_send, .close = w_close
};

static struct vbr b;
static uint8_t rbuf[8 << 20];

/* config.reload reads this file again: the same, so a reload is applied
 * (and re-judges the VSIs against the same type database). */
static const char conf_fmt[] =
	"log_level = \"error\";\n"
	"control = \"%s\";\n"
	"interfaces = [ \"p0\", \"p1\" ];\n"
	"evb = { r = 3; rte = 8; rwd = 20; rka = 31; };\n"
	"vdp = { max_vsis = 100; managers = [ \"0\", \"blabla\" ];\n"
	"  types = ( { name = \"web\"; type_id = 10; version = 1; mgrid = \"0\"; vlan = 100;\n"
	"              vlans = [ 101, 102 ]; pcp = 3; max_vsis = 10; },\n"
	"            { name = \"any\"; type_id = 20; } ); };\n"
	"fault = { seed = 7; };\n";

/* The stations' VSIs: port, VSIID format, type, VID (0: the type's VLAN). */
static const struct {
	uint8_t port, fmt;
	uint32_t type_id;
	uint16_t vid;
} vsis[] = {
	{ 0, VDP_VSIID_UUID, 20, 7 },   { 0, VDP_VSIID_UUID, 20, 7 },  { 0, VDP_VSIID_UUID, 10, 0 },
	{ 0, VDP_VSIID_MAC, 20, 8 },    { 1, VDP_VSIID_UUID, 20, 12 }, { 1, VDP_VSIID_MAC, 20, 12 },
	{ 1, VDP_VSIID_UUID, 10, 101 },
};
#define NVSIS (sizeof(vsis) / sizeof(vsis[0]))

static size_t bridge_vsis(void)
{
	size_t n = 0;

	for (size_t i = 0; i < b.n_ports; i++)
		n += vdp_bridge_count(uplink_bridge(vbr_port_uplink(b.ports[i])));
	return n;
}

static void request(size_t k)
{
	struct vdp_filter f = { .ps_pcp_vid = vsis[k].vid };
	struct vdp_request r = {
		.mode = VDP_MODE_ASSOC,
		.type_id = vsis[k].type_id,
		.type_version = 1,
		.vsiid_fmt = vsis[k].fmt,
		.filter_fmt = VDP_FILTER_MAC_VID,
		.n_filters = 1,
		.filters = &f,
	};

	f.mac[0] = 0x52;
	f.mac[5] = (uint8_t)(k + 1);
	if (vsis[k].fmt == VDP_VSIID_MAC)
		memcpy(r.vsiid + 10, f.mac, 6); /* the last 6 octets (vdp_text) */
	else
		r.vsiid[15] = (uint8_t)(k + 1);
	if (vdp_station_request(uplink_station(wires[vsis[k].port].st), &r) < 0)
		abort();
}

/* Bridge ports and stations from scratch, the VSIs associated: at the
 * start, and after an input took VSIs away (so that every input meets the
 * same VSIs).  Returns whether all were associated within 5 s. */
static bool populate(void)
{
	struct timeval tick = { 0, 1000 };
	struct uplink_params p;

	for (size_t i = 0; i < NPORTS; i++)
		if (wires[i].st)
			uplink_free(wires[i].st, false);
	vbr_stop_ports(&b, false);
	memset(wires, 0, sizeof(wires));
	if (vbr_start_ports(&b) < 0)
		abort();
	for (size_t i = 0; i < NPORTS; i++) {
		char name[8];

		uplink_set_link(vbr_port_uplink(b.ports[i]), true);
		uplink_params_default(&p, UPLINK_STATION);
		p.link = UPLINK_LINK_UP;
		p.port_ops = &st_ops;
		p.port_ctx = &wires[i];
		p.evb.rka = 31;
		snprintf(name, sizeof(name), "s%zu", i);
		wires[i].st = uplink_new(b.base, b.clock, name, UPLINK_STATION, &p, NULL, NULL);
		if (!wires[i].st)
			abort();
	}
	for (size_t k = 0; k < NVSIS; k++)
		request(k);
	for (int i = 0; i < 5000 && b.n_active < NVSIS; i++) {
		event_base_loopexit(b.base, &tick);
		event_base_dispatch(b.base);
	}
	return b.n_active == NVSIS && bridge_vsis() == NVSIS;
}

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
	b.port_ops = &br_ops;
	fault_init(&b.fault, &b.conf.fault);
	if (!populate()) {
		fprintf(stderr, "fuzz_bctl: %zu of %zu VSIs associated\n", bridge_vsis(), NVSIS);
		abort();
	}
	b.ctl = ctl_server_new(b.base, b.conf.ctl_path, 0600, vbr_ctl_cmds, &b);
	if (!b.ctl)
		abort();
	/* The socket file is not needed: connections are adopted.  The
	 * configuration file stays for config.reload. */
	unlink(sock);
}

/* What fault.set changed goes back to the file's settings; VSIs an input
 * took away come back. */
static void reset(void)
{
	fault_set_config(&b.fault, &b.conf.fault, true);
	vbr_fault_changed(&b);
	if ((b.n_active != NVSIS || bridge_vsis() != NVSIS) && !populate())
		abort();
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
		size_t n = (size_t)rbuf[p] << 24 | (size_t)rbuf[p + 1] << 16 |
			(size_t)rbuf[p + 2] << 8 | rbuf[p + 3];
		if (n == 0 || n > CTL_MAX_FRAME || n > got - p - 4)
			abort();
		json_t *j = json_loadb((const char *)rbuf + p + 4, n, 0, NULL);
		if (!json_is_object(j) ||
		    json_integer_value(json_object_get(j, "version")) != CTL_VERSION ||
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
			ssize_t w =
				send(sv[1], data + off, size - off, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (w > 0)
				off += (size_t)w;
			else if (w < 0 && errno != EAGAIN)
				off = size; /* server closed (oversize frame) */
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
			abort(); /* the connection never ended */
	}
	close(sv[1]);
	ctl_server_get_stats(b.ctl, &st);
	if (st.clients != 0)
		abort();
	check_replies(got);
	reset();
	return 0;
}
