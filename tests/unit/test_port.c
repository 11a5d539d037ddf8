/* vdp/io/port.c through the socketpair seam: the real receive path (libevent
 * read event, burst loop, filtering, counters, taps) without privileges. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <event2/event.h>

#include "vdp/base/eth.h"
#include "vdp/io/port.h"

#include "tests/unit/sockwire.h"

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };

struct pair {
	int peer;		/* the "wire" end the test writes and reads */
	int open_calls;
	int closed_fd;
};

static int sp_open(void *ctx, const char *ifname, struct port_info *info)
{
	struct pair *pp = ctx;
	int sv[2];

	pp->open_calls++;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pp->peer = sv[1];
	memset(info, 0, sizeof(*info));
	strncpy(info->ifname, ifname, sizeof(info->ifname) - 1);
	info->ifindex = 7;
	memcpy(info->mac, our_mac, 6);
	info->mtu = 1500;
	return sv[0];
}

static void sp_close(void *ctx, int fd)
{
	struct pair *pp = ctx;

	pp->closed_fd = fd;
	close(fd);
	if (pp->peer >= 0)
		close(pp->peer);
	pp->peer = -1;
}

static const struct port_ops sp_ops = {
	.open = sp_open,
	.recv = sockwire_recv,
	.send = sockwire_send,
	.close = sp_close,
};

struct seen {
	int n;
	uint16_t et[16];
	size_t len[16];
	uint8_t first[64];
};

static void on_rx(void *arg, uint16_t et, const uint8_t *frame, size_t len)
{
	struct seen *s = arg;

	if (s->n == 0)
		memcpy(s->first, frame, len < 64 ? len : 64);
	if (s->n < 16) {
		s->et[s->n] = et;
		s->len[s->n] = len;
	}
	s->n++;
}

static size_t mkframe(uint8_t *buf, const uint8_t *src, uint16_t et, uint8_t fill)
{
	struct wbuf w;

	wbuf_init(&w, buf, 128);
	eth_encode(&w, eth_nearest_customer_bridge, src, et);
	wbuf_u8(&w, fill);
	eth_pad(&w);
	return w.len;
}

struct fx {
	struct event_base *base;
	struct pair pp;
	struct seen seen;
	struct port *p;
};

static int setup(void **state)
{
	static struct fx fx;

	memset(&fx, 0, sizeof(fx));
	fx.pp.peer = -1;
	fx.base = event_base_new();
	fx.p = port_open(fx.base, "sp0", eth_nearest_customer_bridge, &sp_ops, &fx.pp, on_rx,
			 &fx.seen);
	if (!fx.p)
		return -1;
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	port_close(fx->p);
	event_base_free(fx->base);
	return 0;
}

static void pump(struct fx *fx)
{
	event_base_loop(fx->base, EVLOOP_NONBLOCK);
}

static void test_open_info(void **state)
{
	struct fx *fx = *state;
	const struct port_info *i = port_info(fx->p);

	assert_int_equal(fx->pp.open_calls, 1);
	assert_string_equal(port_name(fx->p), "sp0");
	assert_int_equal(i->ifindex, 7);
	assert_memory_equal(i->mac, our_mac, 6);
	assert_int_equal(i->mtu, 1500);
}

static void test_receive_filters_and_counts(void **state)
{
	struct fx *fx = *state;
	uint8_t f[128];
	size_t n;

	n = mkframe(f, peer_mac, ETHERTYPE_ECP, 0xAB);
	assert_int_equal(send(fx->pp.peer, f, n, 0), (ssize_t)n);
	n = mkframe(f, peer_mac, ETHERTYPE_LLDP, 0xCD);
	assert_int_equal(send(fx->pp.peer, f, n, 0), (ssize_t)n);
	n = mkframe(f, peer_mac, 0x0800, 0);		/* not ours */
	assert_int_equal(send(fx->pp.peer, f, n, 0), (ssize_t)n);
	n = mkframe(f, our_mac, ETHERTYPE_ECP, 0);	/* our own frame looped back */
	assert_int_equal(send(fx->pp.peer, f, n, 0), (ssize_t)n);
	assert_int_equal(send(fx->pp.peer, f, 10, 0), 10);	/* runt */
	pump(fx);

	const struct port_stats *st = port_stats(fx->p);
	assert_int_equal(fx->seen.n, 2);
	assert_int_equal(fx->seen.et[0], ETHERTYPE_ECP);
	assert_int_equal(fx->seen.et[1], ETHERTYPE_LLDP);
	assert_int_equal(fx->seen.len[0], ETH_MIN_FRAME);
	assert_int_equal(fx->seen.first[14], 0xAB);
	assert_int_equal(st->rx_frames, 2);
	assert_int_equal(st->rx_bytes, 2 * ETH_MIN_FRAME);
	assert_int_equal(st->rx_other, 1);
	assert_int_equal(st->rx_own, 1);
	assert_int_equal(st->rx_short, 1);
	assert_int_equal(st->rx_errors, 0);
}

static void test_burst_larger_than_one_callback(void **state)
{
	struct fx *fx = *state;
	uint8_t f[128];
	size_t n = mkframe(f, peer_mac, ETHERTYPE_ECP, 1);
	int sent = 0;

	/* More than PORT_RX_BURST frames: all arrive, over several callbacks. */
	for (int i = 0; i < 150; i++)
		if (send(fx->pp.peer, f, n, 0) == (ssize_t)n)
			sent++;
	assert_true(sent > 64);
	for (int i = 0; i < 10 && fx->seen.n < sent; i++)
		pump(fx);
	assert_int_equal(fx->seen.n, sent);
	assert_int_equal(port_stats(fx->p)->rx_frames, (uint64_t)sent);
}

static void test_send_and_error_counted(void **state)
{
	struct fx *fx = *state;
	uint8_t f[128], r[256];
	size_t n = mkframe(f, our_mac, ETHERTYPE_ECP, 0x5A);

	assert_int_equal(port_send(fx->p, f, n), 0);
	assert_int_equal(recv(fx->pp.peer, r, sizeof(r), 0), (ssize_t)n);
	assert_memory_equal(r, f, n);
	assert_int_equal(port_stats(fx->p)->tx_frames, 1);
	assert_int_equal(port_stats(fx->p)->tx_bytes, n);

	/* The wire goes away: the send fails, is counted, nothing aborts. */
	close(fx->pp.peer);
	fx->pp.peer = -1;
	assert_int_equal(port_send(fx->p, f, n), -EPIPE);
	assert_int_equal(port_stats(fx->p)->tx_errors, 1);
	assert_int_equal(port_stats(fx->p)->tx_frames, 1);
}

struct tapctx {
	int tx_seen, rx_seen;
	bool pass;
};

static void tap_tx(void *arg, struct port *p, const uint8_t *frame, size_t len)
{
	struct tapctx *t = arg;

	t->tx_seen++;
	if (t->pass)
		port_send_raw(p, frame, len);
}

static void tap_rx(void *arg, struct port *p, uint16_t et, const uint8_t *frame, size_t len)
{
	struct tapctx *t = arg;

	t->rx_seen++;
	if (t->pass)
		port_deliver(p, et, frame, len);
}

static void test_tap_intercepts_both_directions(void **state)
{
	static const struct port_tap tap = { .tx = tap_tx, .rx = tap_rx };
	struct fx *fx = *state;
	struct tapctx t = { 0 };
	uint8_t f[128], r[256];
	size_t n = mkframe(f, peer_mac, ETHERTYPE_ECP, 3);

	port_set_tap(fx->p, &tap, &t);
	/* Dropping tap: nothing reaches the wire or the user. */
	assert_int_equal(port_send(fx->p, f, n), 0);
	assert_int_equal(recv(fx->pp.peer, r, sizeof(r), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(send(fx->pp.peer, f, n, 0), (ssize_t)n);
	pump(fx);
	assert_int_equal(t.tx_seen, 1);
	assert_int_equal(t.rx_seen, 1);
	assert_int_equal(fx->seen.n, 0);
	assert_int_equal(port_stats(fx->p)->tx_frames, 0);

	/* Passing tap forwards through the raw paths. */
	t.pass = true;
	assert_int_equal(port_send(fx->p, f, n), 0);
	assert_int_equal(recv(fx->pp.peer, r, sizeof(r), 0), (ssize_t)n);
	assert_int_equal(send(fx->pp.peer, f, n, 0), (ssize_t)n);
	pump(fx);
	assert_int_equal(fx->seen.n, 1);
	assert_int_equal(port_stats(fx->p)->tx_frames, 1);

	/* Without a tap, the direct path again. */
	port_set_tap(fx->p, NULL, NULL);
	assert_int_equal(port_send(fx->p, f, n), 0);
	assert_int_equal(t.tx_seen, 2);
}

/* The kernel admission filter (port_filter_attach), run by the kernel on a
 * SEQPACKET socketpair as it runs on an AF_PACKET socket: exact bytes in,
 * exact bytes out. */
static const uint8_t lldp_to_ncb[60] = {
	0x01, 0x80, 0xc2, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc,
	0x88, 0xcc, 0x02, 0x07, 0x04, 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc, /* chassis ID, MAC */
	0x04, 0x04, 0x05, 's',  'w',  '1', /* port ID, ifname */
	0x06, 0x02, 0x00, 0x78, /* TTL 120 */
	0x00, 0x00, /* End */
};

/* Sends frame with its first 6 octets replaced by dst (and its ethertype by
 * et when et != 0) on w, reads what came through on r: length, or 0 when
 * the kernel dropped it. */
static size_t through(int w, int r, const uint8_t dst[6], uint16_t et, uint8_t *out)
{
	uint8_t f[60];
	ssize_t n;

	memcpy(f, lldp_to_ncb, sizeof(f));
	memcpy(f, dst, 6);
	if (et) {
		f[12] = (uint8_t)(et >> 8);
		f[13] = (uint8_t)et;
	}
	assert_int_equal(send(w, f, sizeof(f), MSG_DONTWAIT), (ssize_t)sizeof(f));
	n = recv(r, out, 128, MSG_DONTWAIT);
	if (n < 0) {
		assert_int_equal(errno, EAGAIN);
		return 0;
	}
	return (size_t)n;
}

static void test_kernel_filter(void **state)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t ucast[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	uint8_t out[128];
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(port_filter_attach(sv[0], eth_nearest_customer_bridge), 0);

	/* To the group: whole. */
	assert_int_equal(through(sv[1], sv[0], eth_nearest_customer_bridge, 0, out), 60);
	assert_memory_equal(out, lldp_to_ncb, 60);
	assert_int_equal(through(sv[1], sv[0], eth_nearest_customer_bridge, ETHERTYPE_ECP, out),
			 60);
	assert_int_equal(out[12], 0x89);
	assert_int_equal(out[13], 0x40);
	/* LLDP or ECP to anywhere else: the 14-octet header alone. */
	assert_int_equal(through(sv[1], sv[0], bcast, 0, out), 14);
	assert_memory_equal(out, bcast, 6);
	assert_memory_equal(out + 6, lldp_to_ncb + 6, 8);
	assert_int_equal(through(sv[1], sv[0], ucast, ETHERTYPE_ECP, out), 14);
	assert_memory_equal(out, ucast, 6);
	assert_int_equal(through(sv[1], sv[0], eth_nearest_bridge, 0, out), 14);
	assert_int_equal(through(sv[1], sv[0], eth_nearest_nontpmr_bridge, ETHERTYPE_ECP, out), 14);
	/* One octet off in either half of the address. */
	assert_int_equal(
		through(sv[1], sv[0], (const uint8_t[]){ 0x01, 0x80, 0xc2, 0x01, 0, 0 }, 0, out),
		14);
	assert_int_equal(
		through(sv[1], sv[0], (const uint8_t[]){ 0x01, 0x80, 0xc2, 0, 0, 0x01 }, 0, out),
		14);
	/* Other ethertypes, to the group or not, and VLAN tags: nothing. */
	assert_int_equal(through(sv[1], sv[0], eth_nearest_customer_bridge, 0x0800, out), 0);
	assert_int_equal(through(sv[1], sv[0], eth_nearest_customer_bridge, 0x8100, out), 0);
	assert_int_equal(through(sv[1], sv[0], bcast, 0x0806, out), 0);
	/* A runt never reaches the ethertype: nothing. */
	assert_int_equal(send(sv[1], lldp_to_ncb, 12, 0), 12);
	assert_int_equal(recv(sv[0], out, sizeof(out), MSG_DONTWAIT), -1);

	/* A port for the Nearest Bridge address: the other way round. */
	assert_int_equal(port_filter_attach(sv[0], eth_nearest_bridge), 0);
	assert_int_equal(through(sv[1], sv[0], eth_nearest_bridge, 0, out), 60);
	assert_memory_equal(out, eth_nearest_bridge, 6);
	assert_memory_equal(out + 6, lldp_to_ncb + 6, 54);
	assert_int_equal(through(sv[1], sv[0], eth_nearest_customer_bridge, 0, out), 14);
	close(sv[0]);
	close(sv[1]);
}

/* Through the port: the header of a frame to another destination reaches
 * the user (who counts the drop), the port does not filter itself. */
static void test_port_filter_op(void **state)
{
	static const struct port_ops ops = {
		.open = sp_open,
		.recv = sockwire_recv,
		.send = sockwire_send,
		.close = sp_close,
		.filter = sockwire_filter,
	};
	struct event_base *base = event_base_new();
	struct pair pp = { .peer = -1 };
	struct seen seen = { 0 };
	uint8_t f[60];
	struct port *p;

	(void)state;
	p = port_open(base, "sp1", eth_nearest_customer_bridge, &ops, &pp, on_rx, &seen);
	assert_non_null(p);
	assert_memory_equal(port_group(p), eth_nearest_customer_bridge, 6);
	memcpy(f, lldp_to_ncb, sizeof(f));
	assert_int_equal(send(pp.peer, f, sizeof(f), 0), 60);
	memset(f, 0xff, 6);
	assert_int_equal(send(pp.peer, f, sizeof(f), 0), 60);
	f[12] = 0x08;
	f[13] = 0x00;
	assert_int_equal(send(pp.peer, f, sizeof(f), 0), 60);
	event_base_loop(base, EVLOOP_NONBLOCK);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.len[0], 60);
	assert_int_equal(seen.len[1], 14);
	assert_int_equal(port_stats(p)->rx_other, 0);
	port_close(p);
	event_base_free(base);
}

static void test_open_failure_reports_errno(void **state)
{
	struct event_base *base = event_base_new();
	struct port *p;

	(void)state;
	/* The real AF_PACKET ops on a name that cannot exist. */
	p = port_open(base, "no-such-if-xyz", eth_nearest_customer_bridge, NULL, NULL, on_rx, NULL);
	assert_null(p);
	assert_true(errno == ENODEV || errno == EPERM || errno == EACCES);
	p = port_open(base, "this-name-is-far-too-long-for-ifnamsiz", eth_nearest_customer_bridge,
		      NULL, NULL, on_rx, NULL);
	assert_null(p);
	assert_int_equal(errno, ENAMETOOLONG);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive_filters_and_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_burst_larger_than_one_callback, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_send_and_error_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tap_intercepts_both_directions, setup,
						teardown),
		cmocka_unit_test(test_open_failure_reports_errno),
		cmocka_unit_test(test_kernel_filter),
		cmocka_unit_test(test_port_filter_op),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
