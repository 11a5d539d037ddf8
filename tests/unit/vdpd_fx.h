/* test_vdpd*'s fixture: the daemon library with its uplink "st0" wired by
 * a socketpair to a bridge-role uplink "br0" (the same library in the other
 * role), driven through the control commands it serves.  Real libevent
 * clock, so waits are polls with deadlines. */
#ifndef TESTS_UNIT_VDPD_FX_H
#define TESTS_UNIT_VDPD_FX_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "vdp/ctl/ctl.h"
#include "vdp/base/log.h"
#include "vdp/wire/vdp_text.h"
#include "vdp/daemon/ctl_cmds.h"
#include "vdp/daemon/process.h"
#include "vdp/daemon/vdpd.h"

#include "profiles/reg_ctl.h"
#include "profiles/registry.h"
#include "vdp/io/qbh.h"
#include "tests/unit/enic_model.h"
#include "tests/unit/sockwire.h"

#define UUID1 "a1412857-60f7-4ce1-e95a-2164943f53dd"

#define UUID2 "09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f"

struct wire {
	int fd[2]; /* [0] st0, [1] br0 */
};

static inline int w_open(void *ctx, const char *ifname, struct port_info *info)
{
	struct wire *w = ctx;
	int i = strcmp(ifname, "st0") == 0 ? 0 : strcmp(ifname, "br0") == 0 ? 1 : -1;

	if (i < 0 || w->fd[i] < 0)
		return -ENODEV;
	memset(info, 0, sizeof(*info));
	snprintf(info->ifname, sizeof(info->ifname), "%s", ifname);
	info->ifindex = 10 + i;
	info->mtu = 1500;
	memcpy(info->mac, (const uint8_t[]){ 0x02, 0, 0, 0, 0, (uint8_t)(1 + i) }, 6);
	return w->fd[i];
}

static inline void w_close(void *ctx, int fd)
{
	struct wire *w = ctx;

	for (int i = 0; i < 2; i++)
		if (w->fd[i] == fd)
			w->fd[i] = -1;
	close(fd);
}

static const struct port_ops wire_ops = {
	.open = w_open,
	.recv = sockwire_recv,
	.send = sockwire_send,
	.close = w_close,
};

struct fx {
	struct vdpd d;
	struct wire w;
	struct uplink *br;
	char dir[64], conf[96], sock[96], intents[96];
};

static inline void write_conf(struct fx *f, const char *text)
{
	FILE *fp = fopen(f->conf, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static const char base_conf[] =
	"global = { mgrid = \"blabla\"; };\n"
	"uplinks = ( { name = \"st0\"; evb = { rte = 8; rka = 14; }; } );\n";

static inline int setup_common(void **state, bool intents);

static inline int setup(void **state)
{
	return setup_common(state, false);
}

static inline int setup_intents(void **state)
{
	return setup_common(state, true);
}

/* A new socketpair between st0 and br0. */
static inline void new_wire(struct fx *f)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
			 0);
	f->w.fd[0] = sv[0];
	f->w.fd[1] = sv[1];
}

/* The bridge-role uplink br0 on the wire; rwd 0: its default. */
static inline void start_bridge(struct fx *f, uint8_t rwd)
{
	struct uplink_params bp;

	uplink_params_default(&bp, UPLINK_BRIDGE);
	bp.port_ops = &wire_ops;
	bp.port_ctx = &f->w;
	bp.link = UPLINK_LINK_UP;
	if (rwd)
		bp.evb.rwd = rwd;
	f->br = uplink_new(f->d.base, f->d.clock, "br0", UPLINK_BRIDGE, &bp, NULL, NULL);
	assert_non_null(f->br);
}

static inline int setup_common(void **state, bool intents)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct vdpd_opts o = { 0 };
	struct vdpd_config cfg;
	char err[256];

	log_init("test_vdpd", LOG_TO_STDERR, getenv("TEST_DEBUG") ? LOG_DEBUG : LOG_CRIT);
	strcpy(f->dir, "/tmp/test_vdpd.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->conf, sizeof(f->conf), "%s/vdpd.conf", f->dir);
	snprintf(f->sock, sizeof(f->sock), "%s/vdpd.sock", f->dir);
	snprintf(f->intents, sizeof(f->intents), "%s/vsis.json", f->dir);
	write_conf(f, base_conf);
	new_wire(f);
	o.config = f->conf;
	o.socket = f->sock;
	o.pidfile = "";
	o.foreground = true;
	o.debug = getenv("TEST_DEBUG") ? LOG_DEBUG : LOG_CRIT;
	o.port_ops = &wire_ops;
	o.port_ctx = &f->w;
	o.assume_link_up = true;
	o.no_linkmon = true;
	o.intents = intents ? f->intents : NULL;
	assert_int_equal(cfg_load_file(f->conf, &cfg, err, sizeof(err)), 0);
	assert_int_equal(vdpd_init(&f->d, &o, &cfg), 0);

	start_bridge(f, 22); /* the bridge's bigger RWD must win */
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fx *f = *state;
	char path[160];

	uplink_free(f->br, false);
	vdpd_fini(&f->d);
	unlink(f->conf);
	unlink(f->intents);
	snprintf(path, sizeof(path), "%s.journal", f->intents);
	unlink(path);
	snprintf(path, sizeof(path), "%s.lock", f->intents); /* the daemon leaves it */
	unlink(path);
	/* fails the test when it left anything behind */
	int rc = rmdir(f->dir);
	free(f);
	return rc;
}

static inline json_t *call(struct fx *f, const char *cmd, json_t *args, struct ctl_error *err)
{
	json_t *empty = NULL, *r;
	void *ctx;
	const struct ctl_cmd *c = ctl_server_find_cmd(f->d.ctl, cmd, &ctx);

	memset(err, 0, sizeof(*err));
	if (!args)
		args = empty = json_object();
	if (c && c->text) {
		/* the result as the client gets it: its text, parsed */
		struct jfast_buf b = { 0 };

		r = c->text(ctx, args, err, &b) == 0 && !b.punt
			? jfast_loadb(b.p, b.len, JSON_REJECT_DUPLICATES, NULL)
			: NULL;
		free(b.p);
		json_decref(empty);
		return r;
	}
	if (c) {
		r = c->fn(ctx, args, err);
		json_decref(empty);
		return r;
	}
	fail_msg("no command %s", cmd);
	return NULL;
}

static inline json_t *call_ok(struct fx *f, const char *cmd, json_t *args)
{
	struct ctl_error err;
	json_t *r = call(f, cmd, args, &err);

	if (!r)
		fail_msg("%s failed: %s (errno %d)", cmd, err.msg, err.errnum);
	json_decref(args);
	return r;
}

/* Expects failure with errnum and a message containing needle. */
static inline void call_fail(struct fx *f, const char *cmd, json_t *args, int errnum,
			     const char *needle)
{
	struct ctl_error err;
	json_t *r = call(f, cmd, args, &err);

	if (r)
		fail_msg("%s succeeded, expected \"%s\"", cmd, needle);
	if (err.errnum != errnum || !strstr(err.msg, needle))
		fail_msg("%s: got errno %d \"%s\", expected %d \"%s\"", cmd, err.errnum, err.msg,
			 errnum, needle);
	json_decref(args);
}

static inline void run_ms(struct fx *f, int ms)
{
	int64_t end = ctl_deadline(ms);

	while (ctl_deadline(0) < end) {
		event_base_loop(f->d.base, EVLOOP_NONBLOCK);
		usleep(200);
	}
}

/* The single VSI's field (vsi.show), "" if there is none. */
static const char *vsi_field(struct fx *f, const char *id, const char *key, char *buf, size_t len)
{
	json_t *r = call_ok(f, "vsi.show", json_pack("{s:s}", "id", id));
	json_t *v = json_array_get(r, 0);

	snprintf(buf, len, "%s", v ? json_string_value(json_object_get(v, key)) : "");
	json_decref(r);
	return buf;
}

static inline bool wait_vsi(struct fx *f, const char *id, const char *key, const char *want, int ms)
{
	int64_t end = ctl_deadline(ms);
	char buf[64];

	while (ctl_deadline(0) < end) {
		if (strcmp(vsi_field(f, id, key, buf, sizeof(buf)), want) == 0)
			return true;
		event_base_loop(f->d.base, EVLOOP_NONBLOCK);
		usleep(200);
	}
	return false;
}

static inline bool wait_converged(struct fx *f, int ms)
{
	int64_t end = ctl_deadline(ms);
	struct vdpd_uplink *du = vdpd_find_uplink(&f->d, "st0");

	while (ctl_deadline(0) < end) {
		if (du->u && uplink_converged(du->u) && uplink_converged(f->br))
			return true;
		event_base_loop(f->d.base, EVLOOP_NONBLOCK);
		usleep(200);
	}
	return false;
}

static inline json_t *add_args(const char *uuid, const char *mode)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}]}", "uplink", "st0", "mode",
			 mode, "uuid", uuid, "mgrid", "11", "typeid", "1193047", "typeidver", "2",
			 "filters", "mac", "52:54:00:c7:3e:ce", "vid", "10");
}

static inline void associate(struct fx *f, const char *uuid)
{
	json_t *r = call_ok(f, "vsi.add", add_args(uuid, "assoc"));

	assert_string_equal(json_string_value(json_object_get(r, "mode")), "assoc");
	json_decref(r);
	if (!wait_vsi(f, uuid, "state", "assoc", 3000))
		fail_msg("VSI %s not associated within 3 s", uuid);
}

/* A second daemon life on the same intents file and a new wire. */
static inline void restart(struct fx *f)
{
	struct vdpd_opts o = f->d.opts;
	struct vdpd_config cfg;
	char err[256];

	uplink_free(f->br, false);
	vdpd_fini(&f->d);
	new_wire(f);
	assert_int_equal(cfg_load_file(f->conf, &cfg, err, sizeof(err)), 0);
	assert_int_equal(vdpd_init(&f->d, &o, &cfg), 0);
	start_bridge(f, 0);
}

#endif
