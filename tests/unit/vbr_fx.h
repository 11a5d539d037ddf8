/* A vdp-bridge in process for the tests of its control commands
 * (test_bctl, fuzz_bctl): struct vbr as tools/vdp-bridge/main.c runs it,
 * with its two ports p0 and p1 on socketpairs whose far ends are station
 * uplinks on the same event loop (real libevent clock).  The stations
 * associate the VSIs of vbr_fx_vsis[]; RKA 31 (keep-alives every 6 h)
 * keeps them without traffic.  The configuration is a file, so that
 * config.reload reads it again (the same: a reload is applied). */
#ifndef TESTS_UNIT_VBR_FX_H
#define TESTS_UNIT_VBR_FX_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "vdp/base/log.h"
#include "vdp/ctl/ctl.h"
#include "vdp/engine/vdp_station.h"
#include "vdp/io/vclock_event.h"
#include "tools/vdp-bridge/vdp-bridge.h"

#define VBR_FX_PORTS 2

struct vbr_fx_wire {
	int fd_station;
	struct uplink *st;
};

struct vbr_fx {
	struct vbr b;
	struct vbr_fx_wire wires[VBR_FX_PORTS];
	char conf[64], sock[64];
};

/* The stations' VSIs: port, VSIID format, type, VID (0: the type's VLAN).
 * VSI k has VSIID ...0<k+1> (UUID) or MAC 52:00:00:00:00:0<k+1> (MAC), and
 * that MAC in its filter. */
static const struct {
	uint8_t port, fmt;
	uint32_t type_id;
	uint16_t vid;
} vbr_fx_vsis[] = {
	{ 0, VDP_VSIID_UUID, 20, 7 },   { 0, VDP_VSIID_UUID, 20, 7 },  { 0, VDP_VSIID_UUID, 10, 0 },
	{ 0, VDP_VSIID_MAC, 20, 8 },    { 1, VDP_VSIID_UUID, 20, 12 }, { 1, VDP_VSIID_MAC, 20, 12 },
	{ 1, VDP_VSIID_UUID, 10, 101 },
};
#define VBR_FX_NVSIS (sizeof(vbr_fx_vsis) / sizeof(vbr_fx_vsis[0]))

static const char vbr_fx_conf_fmt[] =
	"log_level = \"error\";\n"
	"control = \"%s\";\n"
	"interfaces = [ \"p0\", \"p1\" ];\n"
	"evb = { r = 3; rte = 8; rwd = 20; rka = 31; };\n"
	"vdp = { max_vsis = 100; managers = [ \"0\", \"blabla\" ];\n"
	"  types = ( { name = \"web\"; type_id = 10; version = 1; mgrid = \"0\"; vlan = 100;\n"
	"              vlans = [ 101, 102 ]; pcp = 3; max_vsis = 10; },\n"
	"            { name = \"any\"; type_id = 20; } ); };\n"
	"fault = { seed = 7; };\n";

static inline void vbr_fx_info(struct port_info *info, const char *ifname, int ifindex,
			       uint8_t mac5)
{
	memset(info, 0, sizeof(*info));
	strncpy(info->ifname, ifname, sizeof(info->ifname) - 1);
	info->ifindex = ifindex;
	info->mtu = 1500;
	info->mac[0] = 2;
	info->mac[5] = mac5;
}

/* The bridge's ports p0 and p1 (ctx: the fixture). */
static inline int vbr_fx_br_open(void *ctx, const char *ifname, struct port_info *info)
{
	struct vbr_fx *f = ctx;
	int sv[2], i = ifname[1] - '0';

	if (ifname[0] != 'p' || i < 0 || i >= VBR_FX_PORTS)
		return -ENODEV;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	f->wires[i].fd_station = sv[1];
	vbr_fx_info(info, ifname, 10 + i, (uint8_t)(0xb0 + i));
	return sv[0];
}

/* A station on wire ctx. */
static inline int vbr_fx_st_open(void *ctx, const char *ifname, struct port_info *info)
{
	struct vbr_fx_wire *w = ctx;

	vbr_fx_info(info, ifname, 20 + ifname[1] - '0', (uint8_t)(0x50 + ifname[1] - '0'));
	return w->fd_station;
}

static inline ssize_t vbr_fx_recv(void *ctx, int fd, uint8_t *buf, size_t len, bool *outgoing)
{
	(void)ctx;
	*outgoing = false;
	ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);
	return n < 0 ? -errno : n;
}

static inline ssize_t vbr_fx_send(void *ctx, int fd, const uint8_t *frame, size_t len)
{
	(void)ctx;
	ssize_t n = send(fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	return n < 0 ? -errno : n;
}

static inline void vbr_fx_close(void *ctx, int fd)
{
	(void)ctx;
	close(fd);
}

static const struct port_ops vbr_fx_br_ops = {
	.open = vbr_fx_br_open, .recv = vbr_fx_recv, .send = vbr_fx_send, .close = vbr_fx_close
};
static const struct port_ops vbr_fx_st_ops = {
	.open = vbr_fx_st_open, .recv = vbr_fx_recv, .send = vbr_fx_send, .close = vbr_fx_close
};

/* VSIs in the bridge's tables, all ports. */
static inline size_t vbr_fx_count(struct vbr_fx *f)
{
	size_t n = 0;

	for (size_t i = 0; i < f->b.n_ports; i++)
		n += vdp_bridge_count(uplink_bridge(vbr_port_uplink(f->b.ports[i])));
	return n;
}

static inline int vbr_fx_request(struct vbr_fx *f, size_t k)
{
	struct vdp_filter flt = { .ps_pcp_vid = vbr_fx_vsis[k].vid };
	struct vdp_request r = {
		.mode = VDP_MODE_ASSOC,
		.type_id = vbr_fx_vsis[k].type_id,
		.type_version = 1,
		.vsiid_fmt = vbr_fx_vsis[k].fmt,
		.filter_fmt = VDP_FILTER_MAC_VID,
		.n_filters = 1,
		.filters = &flt,
	};

	flt.mac[0] = 0x52;
	flt.mac[5] = (uint8_t)(k + 1);
	if (vbr_fx_vsis[k].fmt == VDP_VSIID_MAC)
		memcpy(r.vsiid + 10, flt.mac, 6); /* the last 6 octets (vdp_text) */
	else
		r.vsiid[15] = (uint8_t)(k + 1);
	return vdp_station_request(uplink_station(f->wires[vbr_fx_vsis[k].port].st), &r);
}

static inline void vbr_fx_stop(struct vbr_fx *f)
{
	for (size_t i = 0; i < VBR_FX_PORTS; i++)
		if (f->wires[i].st)
			uplink_free(f->wires[i].st, false);
	vbr_stop_ports(&f->b, false);
	memset(f->wires, 0, sizeof(f->wires));
}

/* Bridge ports and stations from scratch, every VSI associated: at the
 * start, and after a command took VSIs away.  Whether all were associated
 * within 5 s. */
static inline bool vbr_fx_populate(struct vbr_fx *f)
{
	struct timeval tick = { 0, 1000 };
	struct uplink_params p;

	vbr_fx_stop(f);
	if (vbr_start_ports(&f->b) < 0)
		return false;
	for (size_t i = 0; i < VBR_FX_PORTS; i++) {
		char name[8];

		uplink_set_link(vbr_port_uplink(f->b.ports[i]), true);
		uplink_params_default(&p, UPLINK_STATION);
		p.link = UPLINK_LINK_UP;
		p.port_ops = &vbr_fx_st_ops;
		p.port_ctx = &f->wires[i];
		p.evb.rka = 31;
		snprintf(name, sizeof(name), "s%zu", i);
		f->wires[i].st =
			uplink_new(f->b.base, f->b.clock, name, UPLINK_STATION, &p, NULL, NULL);
		if (!f->wires[i].st)
			return false;
	}
	for (size_t k = 0; k < VBR_FX_NVSIS; k++)
		if (vbr_fx_request(f, k) < 0)
			return false;
	for (int i = 0; i < 5000 && f->b.n_active < VBR_FX_NVSIS; i++) {
		event_base_loopexit(f->b.base, &tick);
		event_base_dispatch(f->b.base);
	}
	return f->b.n_active == VBR_FX_NVSIS && vbr_fx_count(f) == VBR_FX_NVSIS;
}

/* 0, or -1 with the reason on stderr. */
static inline int vbr_fx_init(struct vbr_fx *f, const char *name)
{
	char err[512];
	FILE *fp;

	memset(f, 0, sizeof(*f));
	snprintf(f->conf, sizeof(f->conf), "/tmp/%s.%d.conf", name, (int)getpid());
	snprintf(f->sock, sizeof(f->sock), "/tmp/%s.%d.sock", name, (int)getpid());
	fp = fopen(f->conf, "w");
	if (!fp || fprintf(fp, vbr_fx_conf_fmt, f->sock) < 0 || fclose(fp) != 0)
		return -1;
	vbr_conf_init(&f->b.conf);
	snprintf(f->b.cli.conf_path, sizeof(f->b.cli.conf_path), "%s", f->conf);
	if (vbr_conf_load(&f->b.conf, f->conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "vbr_fx: %s\n", err);
		return -1;
	}
	f->b.base = vclock_event_base_new();
	f->b.clock = f->b.base ? vclock_event_new(f->b.base) : NULL;
	if (!f->b.clock)
		return -1;
	f->b.started_us = vclock_now(f->b.clock);
	f->b.port_ops = &vbr_fx_br_ops;
	f->b.port_ctx = f;
	fault_init(&f->b.fault, &f->b.conf.fault);
	if (!vbr_fx_populate(f)) {
		fprintf(stderr, "vbr_fx: %zu of %zu VSIs associated\n", vbr_fx_count(f),
			VBR_FX_NVSIS);
		return -1;
	}
	f->b.ctl = ctl_server_new(f->b.base, f->b.conf.ctl_path, 0600, vbr_ctl_cmds, &f->b);
	if (!f->b.ctl)
		return -1;
	/* Connections are adopted (ctl_server_adopt): no socket file. */
	unlink(f->sock);
	return 0;
}

/* Fault settings back to the file's, VSIs taken away back; false when
 * they did not come back. */
static inline bool vbr_fx_reset(struct vbr_fx *f)
{
	fault_set_config(&f->b.fault, &f->b.conf.fault, true);
	vbr_fault_changed(&f->b);
	if (f->b.n_active == VBR_FX_NVSIS && vbr_fx_count(f) == VBR_FX_NVSIS)
		return true;
	return vbr_fx_populate(f);
}

static inline void vbr_fx_free(struct vbr_fx *f)
{
	ctl_server_free(f->b.ctl);
	vbr_fx_stop(f);
	vclock_event_free(f->b.clock);
	if (f->b.base)
		event_base_free(f->b.base);
	vbr_conf_free(&f->b.conf);
	unlink(f->conf);
}

#endif
