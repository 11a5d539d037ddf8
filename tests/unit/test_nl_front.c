/* vdp/nlfront/nl_front.c on a real libevent loop: libvirt's messages (built by
 * vdp/wire/nl_libvirt.c) over a real NETLINK_ROUTE socket to the front, a
 * station uplink and a bridge uplink joined by a socketpair behind it.
 * Sending to a userspace netlink port needs CAP_NET_ADMIN: without it the
 * tests that talk netlink are skipped. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cmocka.h>
#include <event2/event.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "vdp/nlfront/nl_front.h"
#include "vdp/wire/nl_libvirt.h"
#include "vdp/engine/uplink.h"
#include "vdp/io/vclock_event.h"

#include "tests/unit/sockwire.h"

#define BAD_TYPE 999

/* The system calls that carry answers, counted on their way to the kernel
 * (these definitions take the place of libc's in this program and make the
 * same system call): how many calls the front needed for what it sent.
 * Only messages to ports other than the front's own count as its. */
static uint32_t front_port;
static unsigned calls_sendto_out, calls_sendmmsg;

ssize_t sendto(int fd, const void *buf, size_t len, int flags, __CONST_SOCKADDR_ARG to,
	       socklen_t tolen)
{
	const struct sockaddr_nl *nl = (const struct sockaddr_nl *)to.__sockaddr__;
	if (nl && tolen >= sizeof(*nl) && nl->nl_family == AF_NETLINK && nl->nl_pid != front_port)
		calls_sendto_out++;
	return syscall(SYS_sendto, fd, buf, len, flags, to.__sockaddr__, tolen);
}

int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	calls_sendmmsg++;
	return (int)syscall(SYS_sendmmsg, fd, vec, vlen, flags);
}

struct fx {
	struct event_base *base;
	struct vclock *clock;
	struct sockwire wire;
	struct uplink *st, *br;
	struct nl_front *f;
	int cli;		/* a fresh socket per request, like libvirt */
	int ev;			/* libvirt's event-service socket */
	uint32_t ev_port;
	int events;
	bool can_send;
	/* what the front asked the daemon to keep / drop (persistence) */
	int kept, dropped;
	struct vdp_request kept_req;
	struct vdp_filter kept_filter;
	uint8_t kept_op;
	uint32_t kept_pid;
	/* before_ack: runs, what was kept by then, an answer already out */
	int before_acks, kept_at_ack, dropped_at_ack;
	bool answer_out_at_ack;
};

static struct uplink *find_uplink(void *ctx, int ifindex, const char *ifname)
{
	struct fx *fx = ctx;
	if (ifindex == uplink_ifindex(fx->st) || (ifname && !strcmp(ifname, "st0")))
		return fx->st;
	if (ifindex == uplink_ifindex(fx->br))
		return fx->br;
	return NULL;
}

static void keep(void *ctx, struct uplink *u, const struct vdp_request *req, uint8_t op, uint32_t pid,
		 uint32_t seq)
{
	struct fx *fx = ctx;
	(void)u;
	(void)seq;
	fx->kept++;
	fx->kept_req = *req;
	if (req->n_filters)
		fx->kept_filter = req->filters[0];
	fx->kept_req.filters = &fx->kept_filter;
	fx->kept_req.n_filters = req->n_filters ? 1 : 0;
	fx->kept_op = op;
	fx->kept_pid = pid;
}

static void drop(void *ctx, struct uplink *u, const uint8_t uuid[16])
{
	struct fx *fx = ctx;
	(void)u;
	(void)uuid;
	fx->dropped++;
}

static void before_ack(void *ctx)
{
	struct fx *fx = ctx;
	struct pollfd p = { .fd = fx->cli, .events = POLLIN };

	fx->before_acks++;
	fx->kept_at_ack = fx->kept;
	fx->dropped_at_ack = fx->dropped;
	if (poll(&p, 1, 0) > 0)
		fx->answer_out_at_ack = true;
}

static const struct nl_front_ops front_ops = {
	.find_uplink = find_uplink, .keep = keep, .drop = drop, .before_ack = before_ack,
};

static void on_vsi(void *ctx, struct uplink *u, struct vsi *v, enum vdp_event ev)
{
	struct fx *fx = ctx;
	fx->events++;
	nl_front_vsi_event(fx->f, u, v, ev);
}

/* The bridge refuses BAD_TYPE with reason 4 (hard), admits the rest. */
static int on_admit(void *ctx, struct uplink *u, struct vsi *v, const uint8_t mgrid[VDP_MGRID_LEN],
		    const struct vdp_assoc *req, struct vdp_filter *f, uint16_t n, uint8_t *status)
{
	(void)ctx;
	(void)u;
	(void)v;
	(void)mgrid;
	(void)f;
	(void)n;
	*status = req->type_id == BAD_TYPE ? (VDP_R_OTHER_FAILURE | VDP_STATUS_HARD) : 0;
	return VDP_ADMIT_DONE;
}

static const struct uplink_ops ops = { .vsi_event = on_vsi, .admit = on_admit };

static int nl_sock(uint32_t *port)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t sl = sizeof(sa);
	int big = 1 << 20;
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	if (port)
		*port = sa.nl_pid;
	return fd;
}

static int make_fx(struct fx *fx, bool with_bridge, uint32_t part_max)
{
	struct uplink_params p;
	struct nl_front_config c;
	char err[256];

	memset(fx, 0, sizeof(*fx));
	fx->base = vclock_event_base_new();
	fx->clock = vclock_event_new(fx->base);
	nl_front_config_default(&c);
	c.enabled = true;
	c.pidfile[0] = 0;
	c.linger_ms = 100;
	if (part_max)
		c.part_max = part_max;
	fx->f = nl_front_new(fx->base, &c, &front_ops, fx, err, sizeof(err));
	if (!fx->f) {
		print_message("nl_front_new: %s\n", err);
		return -1;
	}
	uplink_params_default(&p, UPLINK_STATION);
	p.link = UPLINK_LINK_UP;
	p.port_ops = &sockwire_ops;
	p.port_ctx = &fx->wire;
	p.evb.rka = 10;
	p.evb.rrreq = true;
	fx->st = uplink_new(fx->base, fx->clock, "st0", UPLINK_STATION, &p, &ops, fx);
	if (with_bridge) {
		uplink_params_default(&p, UPLINK_BRIDGE);
		p.link = UPLINK_LINK_UP;
		p.port_ops = &sockwire_ops;
		p.port_ctx = &fx->wire;
		p.evb.rka = 10;
		p.evb.rrcap = true;
		fx->br = uplink_new(fx->base, fx->clock, "br0", UPLINK_BRIDGE, &p, &ops, fx);
	}
	front_port = nl_front_port(fx->f);
	fx->ev = nl_sock(&fx->ev_port);
	fx->cli = nl_sock(NULL);
	/* the kernel lets only CAP_NET_ADMIN send to a userspace port */
	struct sockaddr_nl to = { .nl_family = AF_NETLINK, .nl_pid = nl_front_port(fx->f) };
	uint8_t noop[16] = { 16, 0, 0, 0, NLMSG_NOOP, 0 };
	fx->can_send = sendto(fx->cli, noop, sizeof(noop), 0, (struct sockaddr *)&to, sizeof(to)) == sizeof(noop);
	return fx->st && (!with_bridge || fx->br) ? 0 : -1;
}

/* One fixture at a time: each test's teardown ends it before the next setup. */
static int setup_fx(void **state, bool with_bridge, uint32_t part_max)
{
	static struct fx fx;
	if (make_fx(&fx, with_bridge, part_max) < 0)
		return -1;
	*state = &fx;
	return 0;
}

static int setup(void **state)
{
	return setup_fx(state, true, 0);
}

static int setup_nobridge(void **state)
{
	return setup_fx(state, false, 0);
}

static int setup_small_parts(void **state)
{
	return setup_fx(state, true, 256);
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	nl_front_free(fx->f);
	uplink_free(fx->st, false);
	if (fx->br)
		uplink_free(fx->br, false);
	close(fx->cli);
	close(fx->ev);
	vclock_event_free(fx->clock);
	event_base_free(fx->base);
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs the loop until fd has a datagram (returned in buf) or ms pass. */
static ssize_t run_until_rx(struct fx *fx, int fd, uint8_t *buf, size_t len, int ms)
{
	struct timeval tick = { 0, 2000 };
	uint64_t end = mono_ms() + (uint64_t)ms;
	while (mono_ms() < end) {
		ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);
		if (n > 0)
			return n;
		event_base_loopexit(fx->base, &tick);
		event_base_dispatch(fx->base);
	}
	return -1;
}

static void run_ms(struct fx *fx, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	event_base_loopexit(fx->base, &tv);
	event_base_dispatch(fx->base);
}

static void op_init(struct fx *fx, struct nlv_op *op, uint8_t req, uint32_t k)
{
	memset(op, 0, sizeof(*op));
	op->ifname = "st0";
	op->ifindex = uplink_ifindex(fx->st);
	memcpy(op->mac, "\x52\x54\x00\x00\x00\x00", 6);
	op->mac[5] = (uint8_t)k;
	op->mac[4] = (uint8_t)(k >> 8);
	op->mgr_id = 11;
	op->type_id = 0x123457;
	op->type_version = 2;
	op->instance[0] = 0x42;
	op->instance[14] = (uint8_t)(k >> 8);
	op->instance[15] = (uint8_t)k;
	op->request = req;
	op->seq = 77;
	op->event_port = fx->ev_port;
}

static void send_msg(struct fx *fx, const void *b, size_t n)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK, .nl_pid = nl_front_port(fx->f) };
	assert_int_equal(sendto(fx->cli, b, n, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)n);
}

/* SETLINK, then the answer: returns its errno field. */
static int setlink(struct fx *fx, const struct nlv_op *op, int wait_ms, uint64_t *took_ms)
{
	uint8_t b[512], a[512];
	struct wbuf w;
	wbuf_init(&w, b, sizeof(b));
	assert_int_equal(nlv_build_setlink(&w, op), 0);
	uint64_t t0 = mono_ms();
	send_msg(fx, b, w.len);
	ssize_t n = run_until_rx(fx, fx->cli, a, sizeof(a), wait_ms);
	assert_true(n >= 36);
	if (took_ms)
		*took_ms = mono_ms() - t0;
	struct nlp_status_reply r = { 0 };
	assert_int_equal(nlp_parse_reply(a, (size_t)n, &r), 0);
	assert_int_equal(r.type, NLMSG_ERROR);
	return r.error;
}

/* One libvirt status poll: NLV_* and libvirt's text. */
static enum nlv_result poll_status(struct fx *fx, const struct nlv_op *op, char *text, size_t tl)
{
	static uint8_t a[65536];
	uint8_t b[64];
	struct wbuf w;
	uint16_t resp;
	wbuf_init(&w, b, sizeof(b));
	nlv_build_getlink(&w, op);
	send_msg(fx, b, w.len);
	ssize_t n = run_until_rx(fx, fx->cli, a, sizeof(a), 1000);
	assert_true(n > 0);
	return nlv_eval_status(a, (size_t)n, op, &resp, text, tl);
}

#define NEED_SEND(fx) do { if (!(fx)->can_send) { print_message("no CAP_NET_ADMIN\n"); skip(); } } while (0)

static void test_associate_answer_waits_for_result(void **state)
{
	struct fx *fx = *state;
	struct nlv_op op;
	char text[256];
	uint64_t took;
	NEED_SEND(fx);

	op_init(fx, &op, NLP_REQ_ASSOCIATE, 1);
	assert_int_equal(setlink(fx, &op, 2000, &took), 0);
	/* the first poll already has the final result */
	assert_int_equal(poll_status(fx, &op, text, sizeof(text)), NLV_OK);
	const struct nl_front_counters *c = nl_front_counters(fx->f);
	assert_int_equal(c->acks_settled, 1);
	assert_int_equal(c->acks_bounded, 0);
	assert_int_equal(c->results_ok, 1);
	assert_int_equal(c->req_op[NLP_REQ_ASSOCIATE], 1);
	/* write-ahead: the daemon had kept the VSI when the answer left */
	assert_int_equal(fx->before_acks, 1);
	assert_int_equal(fx->kept_at_ack, 1);
	assert_false(fx->answer_out_at_ack);
	struct vsi *v = vdp_station_find(uplink_station(fx->st), VDP_VSIID_UUID, op.instance);
	assert_non_null(v);
	assert_int_equal(v->mode_cur, VDP_MODE_ASSOC);
	assert_int_equal(v->mgrid[0], 11);
	assert_int_equal(v->type_id, 0x123457);
	assert_int_equal(v->filter_fmt, VDP_FILTER_MAC_VID);
	assert_memory_equal(v->filters[0].f.mac, op.mac, 6);

	/* de-associate; the finished result is read, then swept */
	op.request = NLP_REQ_DISASSOCIATE;
	assert_int_equal(setlink(fx, &op, 2000, NULL), 0);
	assert_int_equal(fx->before_acks, 2);
	assert_int_equal(fx->dropped_at_ack, 1);
	assert_false(fx->answer_out_at_ack);
	assert_int_equal(poll_status(fx, &op, text, sizeof(text)), NLV_OK);
	assert_int_equal(poll_status(fx, &op, text, sizeof(text)), NLV_OK);	/* not destructive */
	/* the sweep timer (every second, linger 100 ms) drops it: a condition
	 * with a deadline, not a fixed wait */
	for (uint64_t end = mono_ms() + 5000; nl_front_records(fx->f) && mono_ms() < end;)
		run_ms(fx, 20);
	assert_int_equal(nl_front_records(fx->f), 0);
	/* de-associating again: nothing associated, answered 0 */
	assert_int_equal(setlink(fx, &op, 2000, NULL), 0);
	assert_int_equal(c->deassoc_noop, 1);
}

/* SIGHUP: ack_delay_ms = 0 answers at once (no waiting for the bridge);
 * the pid file is left for the next start. */
static void test_reconfigure(void **state)
{
	struct fx *fx = *state;
	struct nl_front_config c;
	struct nlv_op op;
	char text[256];
	NEED_SEND(fx);

	nl_front_config_default(&c);
	c.enabled = true;
	c.pidfile[0] = 0;
	c.linger_ms = 100;
	assert_int_equal(nl_front_reconfigure(fx->f, &c), 0);	/* same values */
	c.ack_delay_ms = 0;
	c.linger_ms = 150;
	snprintf(c.pidfile, sizeof(c.pidfile), "/nonexistent/lldpad.pid");
	assert_int_equal(nl_front_reconfigure(fx->f, &c), 2);
	json_t *j = nl_front_json(fx->f);
	assert_string_equal(json_string_value(json_object_get(j, "pidfile")), "");
	json_decref(j);

	op_init(fx, &op, NLP_REQ_ASSOCIATE, 3);
	assert_int_equal(setlink(fx, &op, 2000, NULL), 0);
	const struct nl_front_counters *cnt = nl_front_counters(fx->f);
	assert_int_equal(cnt->acks_settled, 0);
	assert_int_equal(cnt->acks_bounded, 0);
	assert_int_equal(cnt->acks_sent, 1);
	/* answered before the bridge: the first poll may still be in progress,
	 * the result comes all the same */
	int st = poll_status(fx, &op, text, sizeof(text));
	for (int i = 0; st == NLV_IN_PROGRESS && i < 50; i++) {
		run_ms(fx, 20);
		st = poll_status(fx, &op, text, sizeof(text));
	}
	assert_int_equal(st, NLV_OK);
}

static void test_refused_type(void **state)
{
	struct fx *fx = *state;
	struct nlv_op op;
	char text[256];
	NEED_SEND(fx);

	op_init(fx, &op, NLP_REQ_ASSOCIATE, 2);
	op.type_id = BAD_TYPE;
	assert_int_equal(setlink(fx, &op, 2000, NULL), 0);
	assert_int_equal(poll_status(fx, &op, text, sizeof(text)), NLV_FAILED);
	assert_string_equal(text, "error 4 during port-profile setlink on interface st0 (10): Invalid argument");
	/* the same UUID with a good type: its own result, not the old one */
	op.type_id = 0x123457;
	assert_int_equal(setlink(fx, &op, 2000, NULL), 0);
	assert_int_equal(poll_status(fx, &op, text, sizeof(text)), NLV_OK);
}

static void test_unsolicited_on_bridge_deassoc(void **state)
{
	struct fx *fx = *state;
	struct nlv_op op;
	uint8_t b[512];
	NEED_SEND(fx);

	op_init(fx, &op, NLP_REQ_ASSOCIATE, 3);
	assert_int_equal(setlink(fx, &op, 2000, NULL), 0);
	struct vdp_bridge *br = uplink_bridge(fx->br);
	struct vsi *bv = vdp_bridge_find(br, VDP_VSIID_UUID, op.instance);
	assert_non_null(bv);
	assert_int_equal(vdp_bridge_deassoc(br, bv), 0);
	ssize_t n = run_until_rx(fx, fx->ev, b, sizeof(b), 2000);
	assert_int_equal(n, 160);	/* "st0": 4 octets shorter than "bqbg0" */
	assert_true(nlv_callback_wants_reassoc(b, (size_t)n, nl_front_port(fx->f), op.mac));
	struct nlp_msg m;
	assert_int_equal(nlp_parse(b, (size_t)n, &m), 0);
	assert_int_equal(m.ifindex, 10);
	assert_int_equal(m.seq, 77);
	assert_int_equal(m.flags, 0);
	assert_true(m.port.has_vf);
	assert_memory_equal(m.port.uuid, op.instance, 16);
	assert_int_equal(nl_front_counters(fx->f)->unsolicited_sent, 1);
	/* libvirt re-associates, setlink only */
	assert_int_equal(setlink(fx, &op, 2000, NULL), 0);
	assert_int_equal(vdp_station_find(uplink_station(fx->st), VDP_VSIID_UUID, op.instance)->mode_cur,
			 VDP_MODE_ASSOC);
}

/* A restart of the daemon: the front is new, the VSI comes back from what
 * keep() was given; libvirt polls as before and still gets told when the
 * bridge ends the VSI. */
static void test_restore_after_restart(void **state)
{
	struct fx *fx = *state;
	struct nlv_op op;
	char text[256], err[256];
	uint8_t b[512];
	NEED_SEND(fx);

	op_init(fx, &op, NLP_REQ_ASSOCIATE, 4);
	assert_int_equal(setlink(fx, &op, 2000, NULL), 0);
	assert_int_equal(fx->kept, 1);
	assert_int_equal(fx->dropped, 0);
	assert_int_equal(fx->kept_op, NLP_REQ_ASSOCIATE);
	assert_int_equal(fx->kept_pid, fx->ev_port);
	assert_int_equal(fx->kept_req.mode, VDP_MODE_ASSOC);
	assert_int_equal(fx->kept_req.mgrid[0], 11);
	assert_memory_equal(fx->kept_req.vsiid, op.instance, 16);
	assert_memory_equal(fx->kept_filter.mac, op.mac, 6);

	struct nl_front_config c;
	nl_front_config_default(&c);
	c.enabled = true;
	c.pidfile[0] = 0;
	nl_front_free(fx->f);
	fx->f = nl_front_new(fx->base, &c, &front_ops, fx, err, sizeof(err));
	assert_non_null(fx->f);
	/* a new front knows nothing of the VSI: only the station's own */
	assert_int_equal(nl_front_records(fx->f), 0);
	assert_int_equal(nl_front_restore(fx->f, fx->st, &fx->kept_req, fx->kept_op, fx->kept_pid, 77), 0);
	assert_int_equal(nl_front_records(fx->f), 1);
	assert_int_equal(poll_status(fx, &op, text, sizeof(text)), NLV_OK);

	struct vdp_bridge *br = uplink_bridge(fx->br);
	struct vsi *bv = vdp_bridge_find(br, VDP_VSIID_UUID, op.instance);
	assert_non_null(bv);
	assert_int_equal(vdp_bridge_deassoc(br, bv), 0);
	ssize_t n = run_until_rx(fx, fx->ev, b, sizeof(b), 2000);
	assert_true(n > 0);
	assert_true(nlv_callback_wants_reassoc(b, (size_t)n, nl_front_port(fx->f), op.mac));
	assert_int_equal(nl_front_counters(fx->f)->unsolicited_sent, 1);
	/* ended and told: nothing to request after another restart */
	assert_int_equal(fx->dropped, 1);

	/* libvirt re-associates (kept again), then de-associates (dropped) */
	assert_int_equal(setlink(fx, &op, 2000, NULL), 0);
	assert_int_equal(fx->kept, 2);
	op.request = NLP_REQ_DISASSOCIATE;
	assert_int_equal(setlink(fx, &op, 2000, NULL), 0);
	assert_int_equal(fx->dropped, 2);
	assert_int_equal(fx->kept, 2);
	/* a restore of a de-association is refused */
	assert_int_equal(nl_front_restore(fx->f, fx->st, &fx->kept_req, NLP_REQ_DISASSOCIATE, 1, 1), -EINVAL);
}

static void test_malformed_answered(void **state)
{
	struct fx *fx = *state;
	uint8_t a[128];
	static const uint8_t junk[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	NEED_SEND(fx);

	send_msg(fx, junk, sizeof(junk));
	ssize_t n = run_until_rx(fx, fx->cli, a, sizeof(a), 1000);
	assert_int_equal(n, 36);
	int32_t e;
	memcpy(&e, a + 16, 4);
	assert_int_equal(e, -EINVAL);
	assert_int_equal(nl_front_counters(fx->f)->malformed[-NLP_E_SHORT_HDR], 1);

	/* an unknown device */
	struct nlv_op op;
	op_init(fx, &op, NLP_REQ_ASSOCIATE, 4);
	op.ifindex = 77;
	op.ifname = "nope0";
	assert_int_equal(setlink(fx, &op, 1000, NULL), -ENODEV);
	/* a bridge-role uplink */
	op.ifindex = uplink_ifindex(fx->br);
	op.ifname = "br0";
	assert_int_equal(setlink(fx, &op, 1000, NULL), -EOPNOTSUPP);
	json_t *j = nl_front_json(fx->f);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "counters"), "no_device")), 1);
	json_decref(j);
}

/* No bridge: EVB never converges, the request waits in the station and
 * the answer goes out after ack_delay_ms, status in progress. */
static void test_queued_before_evb(void **state)
{
	struct fx *fx = *state;
	struct nlv_op op;
	char text[256];
	uint64_t took;
	NEED_SEND(fx);

	op_init(fx, &op, NLP_REQ_ASSOCIATE, 5);
	assert_int_equal(setlink(fx, &op, 2000, &took), 0);
	/* answered by the bound (300 ms), not at once; how much later is the
	 * machine's business (the 2 s of setlink() are the deadline) */
	assert_true(took >= 290);
	assert_int_equal(nl_front_counters(fx->f)->acks_bounded, 1);
	assert_int_equal(poll_status(fx, &op, text, sizeof(text)), NLV_IN_PROGRESS);
}

/* Status split into parts of 256 octets: NLM_F_MULTI parts + DONE, each
 * VSI exactly once, latest request first. */
static void test_multipart(void **state)
{
	struct fx *fx = *state;
	struct nlv_op op;
	static uint8_t a[65536];
	NEED_SEND(fx);

	for (uint32_t k = 0; k < 20; k++) {
		op_init(fx, &op, NLP_REQ_ASSOCIATE, 100 + k);
		assert_int_equal(setlink(fx, &op, 2000, NULL), 0);
	}
	uint8_t b[64];
	struct wbuf w;
	wbuf_init(&w, b, sizeof(b));
	nlv_build_getlink(&w, &op);
	send_msg(fx, b, w.len);
	unsigned parts = 0, total = 0;
	bool done = false;
	struct nlp_port ports[32];
	while (!done) {
		ssize_t n = run_until_rx(fx, fx->cli, a, sizeof(a), 1000);
		assert_true(n > 0);
		assert_true(n <= 256);
		struct nlp_status_reply r = { .ports = ports, .cap = 32 };
		assert_int_equal(nlp_parse_reply(a, (size_t)n, &r), 0);
		if (r.type == NLMSG_DONE) {
			done = true;
			break;
		}
		assert_int_equal(r.type, RTM_NEWLINK);
		assert_true(r.flags & NLM_F_MULTI);
		if (parts == 0) {
			/* the latest request leads */
			assert_memory_equal(ports[0].uuid, op.instance, 16);
		}
		parts++;
		total += (unsigned)r.n;
	}
	assert_int_equal(total, 20);
	assert_true(parts >= 4);
}

/* The status dump's entries in order: their UUIDs' last octet (op_init's k). */
static unsigned dump_order(struct fx *fx, const struct nlv_op *op, uint8_t *k, unsigned cap)
{
	static uint8_t a[65536];
	uint8_t b[64];
	struct wbuf w;
	struct nlp_port ports[32];
	unsigned n = 0;

	wbuf_init(&w, b, sizeof(b));
	nlv_build_getlink(&w, op);
	send_msg(fx, b, w.len);
	for (;;) {
		ssize_t len = run_until_rx(fx, fx->cli, a, sizeof(a), 1000);
		assert_true(len > 0);
		struct nlp_status_reply r = { .ports = ports, .cap = 32 };
		assert_int_equal(nlp_parse_reply(a, (size_t)len, &r), 0);
		if (r.type == NLMSG_DONE)
			break;
		assert_int_equal(r.type, RTM_NEWLINK);
		for (size_t i = 0; i < r.n_kept && n < cap; i++)
			k[n++] = ports[i].uuid[15];
		if (!(r.flags & NLM_F_MULTI))
			break;
	}
	return n;
}

/* A repeated request for a UUID the front already holds moves it to the
 * front of the dump, like a new one: libvirt reads only the first
 * datagram, so an old entry left behind would look "in progress" to it. */
static void test_repeat_moves_to_front(void **state)
{
	struct fx *fx = *state;
	struct nlv_op op;
	uint8_t k[32];
	NEED_SEND(fx);

	for (uint32_t i = 0; i < 3; i++) {
		op_init(fx, &op, NLP_REQ_ASSOCIATE, 100 + i);
		assert_int_equal(setlink(fx, &op, 2000, NULL), 0);
	}
	assert_int_equal(dump_order(fx, &op, k, 32), 3);
	assert_int_equal(k[0], 102);
	assert_int_equal(k[1], 101);
	assert_int_equal(k[2], 100);
	/* the oldest, requested again (same request: a keep-alive for the
	 * bridge, a new request for libvirt) */
	op_init(fx, &op, NLP_REQ_ASSOCIATE, 100);
	assert_int_equal(setlink(fx, &op, 2000, NULL), 0);
	assert_int_equal(dump_order(fx, &op, k, 32), 3);
	assert_int_equal(k[0], 100);
	assert_int_equal(k[1], 102);
	assert_int_equal(k[2], 101);
	/* and a de-associate of the middle one, too */
	op_init(fx, &op, NLP_REQ_DISASSOCIATE, 102);
	assert_int_equal(setlink(fx, &op, 2000, NULL), 0);
	assert_int_equal(dump_order(fx, &op, k, 32), 3);
	assert_int_equal(k[0], 102);
	assert_int_equal(k[1], 100);
	assert_int_equal(k[2], 101);
}

static void test_config_load(void **state)
{
	char path[] = "/tmp/nlf_cfg_XXXXXX";
	char err[512];
	struct nl_front_config c;
	(void)state;

	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *good = "netlink = { lldpad_compat = true; pidfile = \"/tmp/x.pid\"; ack_delay_ms = 50; part_max = 4096; };\n";
	assert_int_equal(write(fd, good, strlen(good)), (ssize_t)strlen(good));
	close(fd);
	assert_int_equal(nl_front_config_load(path, &c, err, sizeof(err)), 0);
	assert_true(c.enabled);
	assert_string_equal(c.pidfile, "/tmp/x.pid");
	assert_int_equal(c.ack_delay_ms, 50);
	assert_int_equal(c.part_max, 4096);
	assert_int_equal(c.linkdel_grace_ms, 5000);

	FILE *fp = fopen(path, "w");
	fputs("netlink = {\n  colour = 3;\n};\n", fp);
	fclose(fp);
	assert_int_equal(nl_front_config_load(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: unknown setting \"colour\" in netlink"));
	fp = fopen(path, "w");
	fputs("netlink = { part_max = 10; };\n", fp);
	fclose(fp);
	assert_int_equal(nl_front_config_load(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "netlink.part_max out of range"));
	fp = fopen(path, "w");
	fputs("global = { };\n", fp);
	fclose(fp);
	assert_int_equal(nl_front_config_load(path, &c, err, sizeof(err)), 0);
	assert_false(c.enabled);
	unlink(path);
	/* no file: defaults, off */
	assert_int_equal(nl_front_config_load(path, &c, err, sizeof(err)), 0);
	assert_false(c.enabled);
}

/* ---- answers of one pass: one sendmmsg, in order, past a dead requester */

#define REQUESTERS 4
#define PER_REQUESTER 40
#define DEAD_REQUESTS 8

/* A requester's socket with receive buffer rcvbuf (0: 1 MiB). */
static int requester(uint32_t *port, int rcvbuf)
{
	int fd = nl_sock(port);
	if (rcvbuf)
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
	return fd;
}

static void send_from(struct fx *fx, int fd, const void *b, size_t n)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK, .nl_pid = nl_front_port(fx->f) };
	assert_int_equal(sendto(fd, b, n, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)n);
}

/* A De-Associate of VSI k (never associated: answered at once) with seq. */
static void send_deassoc(struct fx *fx, int fd, uint32_t k, uint32_t seq)
{
	struct nlv_op op;
	uint8_t b[512];
	struct wbuf w;

	op_init(fx, &op, NLP_REQ_DISASSOCIATE, k);
	op.seq = seq;
	wbuf_init(&w, b, sizeof(b));
	assert_int_equal(nlv_build_setlink(&w, &op), 0);
	send_from(fx, fd, b, w.len);
}

/* The seq numbers of the answers waiting on fd, in arrival order; each an
 * NLMSG_ERROR with error 0 unless it is the status reply (type RTM_NEWLINK
 * or NLMSG_DONE), whose seq goes in negated.  Stops at an empty queue or an
 * overrun (ENOBUFS). */
static size_t drain_seqs(int fd, int64_t *seqs, size_t cap)
{
	static uint8_t a[65536];
	size_t n = 0;
	ssize_t len;

	while (n < cap && (len = recv(fd, a, sizeof(a), MSG_DONTWAIT)) > 0) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)a;
		assert_true((size_t)len >= sizeof(*h));
		if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlp_status_reply r = { 0 };
			assert_int_equal(nlp_parse_reply(a, (size_t)len, &r), 0);
			assert_int_equal(r.error, 0);
			seqs[n++] = h->nlmsg_seq;
		} else {
			assert_true(h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == NLMSG_DONE);
			seqs[n++] = -(int64_t)h->nlmsg_seq;
		}
	}
	return n;
}

/* Sends requests to the front interleaved, one datagram each, all queued
 * before the loop runs: per_fd[j] De-Associates from fds[j], seq 1 up. */
static unsigned send_interleaved(struct fx *fx, const int *fds, const unsigned *per_fd, int nfd)
{
	unsigned most = 0, total = 0;
	for (int j = 0; j < nfd; j++)
		most = per_fd[j] > most ? per_fd[j] : most;
	for (uint32_t i = 0; i < most; i++)
		for (int j = 0; j < nfd; j++)
			if (i < per_fd[j]) {
				send_deassoc(fx, fds[j], (uint32_t)j << 8 | i, i + 1);
				total++;
			}
	return total;
}

static void run_until_answered(struct fx *fx, unsigned total)
{
	const struct nl_front_counters *c = nl_front_counters(fx->f);
	for (uint64_t end = mono_ms() + 5000;
	     c->acks_sent + c->ack_send_errors < total && mono_ms() < end;)
		run_ms(fx, 5);
	assert_int_equal(c->deassoc_noop, total);
	assert_int_equal(c->acks_sent + c->ack_send_errors, total);
}

/* Requests from several requesters, all read in one pass and answered at
 * once (more than the queue holds): the answers leave in a sendmmsg per
 * full queue, none by a sendto of its own, every requester gets its own in
 * the order it asked, and an answer goes before a later status reply to
 * the same requester. */
static void test_answers_batched_in_order(void **state)
{
	struct fx *fx = *state;
	int fd[REQUESTERS];
	unsigned per[REQUESTERS];
	uint32_t port;
	int64_t seqs[PER_REQUESTER + 2];
	const struct nl_front_counters *c = nl_front_counters(fx->f);
	NEED_SEND(fx);

	for (int r = 0; r < REQUESTERS; r++) {
		fd[r] = requester(&port, 0);
		per[r] = PER_REQUESTER;
	}
	calls_sendto_out = calls_sendmmsg = 0;
	run_until_answered(fx, send_interleaved(fx, fd, per, REQUESTERS));
	assert_int_equal(c->acks_sent, REQUESTERS * PER_REQUESTER);
	/* 160 answers of one pass: a full queue of 128, then the rest */
	assert_int_equal(calls_sendto_out, 0);
	assert_in_range(calls_sendmmsg, 1, 2);
	assert_int_equal(c->ack_batches, calls_sendmmsg);
	for (int r = 0; r < REQUESTERS; r++) {
		assert_int_equal(drain_seqs(fd[r], seqs, PER_REQUESTER + 2), PER_REQUESTER);
		for (int i = 0; i < PER_REQUESTER; i++)
			assert_int_equal(seqs[i], i + 1);
	}

	for (int r = 0; r < REQUESTERS; r++) {
		uint8_t b[64];
		struct wbuf w;
		struct nlv_op op;
		send_deassoc(fx, fd[r], 0x700 | (uint32_t)r, 1000);
		op_init(fx, &op, NLP_REQ_DISASSOCIATE, 0x700 | (uint32_t)r);
		op.seq = 1001;
		wbuf_init(&w, b, sizeof(b));
		nlv_build_getlink(&w, &op);
		send_from(fx, fd[r], b, w.len);
	}
	for (uint64_t end = mono_ms() + 5000; c->status_msgs < REQUESTERS && mono_ms() < end;)
		run_ms(fx, 5);
	for (int r = 0; r < REQUESTERS; r++) {
		assert_true(drain_seqs(fd[r], seqs, PER_REQUESTER + 2) >= 2);
		assert_int_equal(seqs[0], 1000);
		assert_int_equal(seqs[1], -1001);
		close(fd[r]);
	}
}

/* Answers of one pass to a requester that is gone (ECONNREFUSED) and to one
 * whose buffer is full (EAGAIN) between those of live requesters: theirs
 * are counted as lost, the others' all arrive, in order, still together. */
static void test_answers_past_failed_requester(void **state)
{
	struct fx *fx = *state;
	enum { LIVE0, SLOW, DEAD, LIVE1, N };
	int fd[N];
	unsigned per[N] = { PER_REQUESTER, PER_REQUESTER, DEAD_REQUESTS, PER_REQUESTER };
	uint32_t port;
	int64_t seqs[PER_REQUESTER + 2];
	const struct nl_front_counters *c = nl_front_counters(fx->f);
	NEED_SEND(fx);

	fd[LIVE0] = requester(&port, 0);
	fd[SLOW] = requester(&port, 1); /* the kernel's smallest buffer */
	fd[DEAD] = requester(&port, 0);
	fd[LIVE1] = requester(&port, 0);
	unsigned total = send_interleaved(fx, fd, per, N);
	close(fd[DEAD]);
	calls_sendto_out = calls_sendmmsg = 0;
	run_until_answered(fx, total);

	for (int j = 0; j < 2; j++) {
		int live = j ? fd[LIVE1] : fd[LIVE0];
		assert_int_equal(drain_seqs(live, seqs, PER_REQUESTER + 2), PER_REQUESTER);
		for (int i = 0; i < PER_REQUESTER; i++)
			assert_int_equal(seqs[i], i + 1);
		close(live);
	}
	/* the full one got its first few, in order */
	size_t got = drain_seqs(fd[SLOW], seqs, PER_REQUESTER + 2);
	assert_true(got >= 1 && got < PER_REQUESTER);
	for (size_t i = 0; i < got; i++)
		assert_int_equal(seqs[i], (int64_t)i + 1);
	close(fd[SLOW]);
	assert_int_equal(c->acks_sent, 2 * PER_REQUESTER + got);
	assert_int_equal(c->ack_send_errors, PER_REQUESTER - got + DEAD_REQUESTS);
	/* a refused answer costs a call of its own and one to go on */
	assert_int_equal(calls_sendto_out, 0);
	assert_int_equal(c->ack_batches, calls_sendmmsg);
	assert_in_range(calls_sendmmsg, 2, 2 + 2 * c->ack_send_errors);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_associate_answer_waits_for_result, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconfigure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsolicited_on_bridge_deassoc, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_restore_after_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queued_before_evb, setup_nobridge, teardown),
		cmocka_unit_test_setup_teardown(test_multipart, setup_small_parts, teardown),
		cmocka_unit_test_setup_teardown(test_repeat_moves_to_front, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answers_batched_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answers_past_failed_requester, setup,
						teardown),
		cmocka_unit_test(test_config_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
