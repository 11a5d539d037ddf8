/* vdp/engine/uplink.c end to end without privileges: a station uplink and a bridge
 * uplink joined by a socketpair (the port seam), on a real libevent loop
 * with the libevent vclock.  Covers EVB-gated start, association with a
 * bridge-chosen VID, link down/up re-association, bridge restart recovery
 * through keep-alives, the counters/status hooks, and admission: ECPDUs
 * only to the group address and from the EVB neighbour, through the port's
 * kernel filter on the socketpair. */
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

#include "vdp/engine/uplink.h"
#include "vdp/io/vclock_event.h"

#include "tests/unit/engine_frames.h"
#include "tests/unit/sockwire.h"

static const uint8_t vm_mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
static const uint8_t uuid1[16] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
				   0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01 };

struct fx {
	struct event_base *base;
	struct vclock *clock;
	struct sockwire wire;
	struct uplink *st, *br;
	int converged[2];
	int associated;
	int admit_calls;
	uint16_t admit_vid_seen;
	int pdus_r[2], pdus_t[2];
	int link_events;
	int bridge_deassoc;
};

static void on_event(void *ctx, struct uplink *u, enum uplink_event ev)
{
	struct fx *fx = ctx;
	int i = uplink_role(u) == UPLINK_BRIDGE;

	if (ev == UPLINK_EV_CONVERGED)
		fx->converged[i]++;
	if (ev == UPLINK_EV_LINK_UP || ev == UPLINK_EV_LINK_DOWN)
		fx->link_events++;
}

static void on_vsi(void *ctx, struct uplink *u, struct vsi *v, enum vdp_event ev)
{
	struct fx *fx = ctx;

	(void)u;
	(void)v;
	if (ev == VDP_EV_ASSOCIATED)
		fx->associated++;
	if (ev == VDP_EV_BRIDGE_DEASSOC)
		fx->bridge_deassoc++;
}

static int on_admit(void *ctx, struct uplink *u, struct vsi *v, const uint8_t mgrid[VDP_MGRID_LEN],
		    const struct vdp_assoc *req, struct vdp_filter *f, uint16_t n, uint8_t *status)
{
	struct fx *fx = ctx;

	(void)u;
	(void)v;
	(void)mgrid;
	(void)req;
	fx->admit_calls++;
	fx->admit_vid_seen = n ? vdp_vid(f[0].ps_pcp_vid) : 0xFFFF;
	/* The bridge picks VLAN 100 for a VID 0. */
	for (uint16_t i = 0; i < n; i++)
		if (vdp_vid(f[i].ps_pcp_vid) == 0)
			f[i].ps_pcp_vid |= 100;
	*status = 0;
	return VDP_ADMIT_DONE;
}

static void on_pdu(void *ctx, struct uplink *u, char dir, const uint8_t *p, size_t len)
{
	struct fx *fx = ctx;
	int i = uplink_role(u) == UPLINK_BRIDGE;

	(void)p;
	assert_true(len > 0);
	if (dir == 'r')
		fx->pdus_r[i]++;
	else
		fx->pdus_t[i]++;
}

static const struct uplink_ops ops = {
	.event = on_event, .vsi_event = on_vsi, .admit = on_admit, .vdp_pdu = on_pdu,
};

/* Runs the loop until *counter >= want or 3 s pass. */
static bool run_until(struct fx *fx, const int *counter, int want)
{
	struct timeval tick = { 0, 2000 };

	for (int i = 0; i < 1500 && *counter < want; i++) {
		event_base_loopexit(fx->base, &tick);
		event_base_dispatch(fx->base);
	}
	return *counter >= want;
}

static void run_for_ms(struct fx *fx, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(fx->base, &tv);
	event_base_dispatch(fx->base);
}

static int setup(void **state)
{
	static struct fx fx;
	struct uplink_params p;

	memset(&fx, 0, sizeof(fx));
	fx.base = vclock_event_base_new();
	fx.clock = vclock_event_new(fx.base);
	uplink_params_default(&p, UPLINK_STATION);
	p.link = UPLINK_LINK_UP;
	p.port_ops = &sockwire_ops;
	p.port_ctx = &fx.wire;
	/* Short keep-alives so a restart is noticed within the test. */
	p.evb.rka = 10;
	p.evb.rrreq = true;
	fx.st = uplink_new(fx.base, fx.clock, "st0", UPLINK_STATION, &p, &ops, &fx);
	uplink_params_default(&p, UPLINK_BRIDGE);
	p.link = UPLINK_LINK_UP;
	p.port_ops = &sockwire_ops;
	p.port_ctx = &fx.wire;
	p.evb.rka = 10;
	p.evb.rrcap = true;
	fx.br = uplink_new(fx.base, fx.clock, "br0", UPLINK_BRIDGE, &p, &ops, &fx);
	if (!fx.st || !fx.br)
		return -1;
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	uplink_free(fx->st, true);
	uplink_free(fx->br, false);
	vclock_event_free(fx->clock);
	event_base_free(fx->base);
	return 0;
}

static int request(struct fx *fx, uint8_t mode)
{
	struct vdp_filter f = { .ps_pcp_vid = 0 };
	struct vdp_request r = {
		.mode = mode, .type_id = 10, .type_version = 1, .vsiid_fmt = VDP_VSIID_UUID,
		.filter_fmt = VDP_FILTER_MAC_VID, .n_filters = 1, .filters = &f,
	};

	memcpy(f.mac, vm_mac, 6);
	memcpy(r.vsiid, uuid1, 16);
	return vdp_station_request(uplink_station(fx->st), &r);
}

static void test_roles_and_accessors(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(uplink_role(fx->st), UPLINK_STATION);
	assert_non_null(uplink_station(fx->st));
	assert_null(uplink_bridge(fx->st));
	assert_non_null(uplink_bridge(fx->br));
	assert_null(uplink_station(fx->br));
	assert_string_equal(uplink_ifname(fx->br), "br0");
	assert_int_equal(uplink_ifindex(fx->st), 10);
	assert_true(uplink_link_up(fx->st));
	assert_false(uplink_converged(fx->st));
}

static void test_request_waits_for_evb_then_associates(void **state)
{
	struct fx *fx = *state;
	struct vsi *v;

	/* Made before any LLDP frame was read: accepted, nothing sent. */
	assert_int_equal(request(fx, VDP_MODE_ASSOC), 0);
	assert_int_equal(uplink_ecp(fx->st)->cnt.tx_ecpdu, 0);

	assert_true(run_until(fx, &fx->associated, 1));
	assert_int_equal(fx->converged[0], 1);
	assert_int_equal(fx->converged[1], 1);
	assert_true(uplink_converged(fx->st));
	assert_true(uplink_converged(fx->br));
	/* Operative values: max of both sides; RKA 10 on both. */
	assert_int_equal(uplink_oper(fx->st)->rka, 10);
	assert_int_equal(uplink_oper(fx->br)->r, 3);
	assert_true(uplink_oper(fx->st)->rr);

	assert_int_equal(fx->admit_calls, 1);
	assert_int_equal(fx->admit_vid_seen, 0);
	v = vdp_station_find(uplink_station(fx->st), VDP_VSIID_UUID, uuid1);
	assert_non_null(v);
	assert_int_equal(v->mode_cur, VDP_MODE_ASSOC);
	assert_int_equal(vdp_vid(v->filters[0].f.ps_pcp_vid), 100);
	v = vdp_bridge_find(uplink_bridge(fx->br), VDP_VSIID_UUID, uuid1);
	assert_non_null(v);
	assert_int_equal(v->mode_cur, VDP_MODE_ASSOC);
	/* vdp_pdu hook: the request left the station and reached the bridge. */
	assert_true(fx->pdus_t[0] >= 1);
	assert_true(fx->pdus_r[1] >= 1);
	assert_true(fx->pdus_t[1] >= 1);
	assert_true(fx->pdus_r[0] >= 1);
}

static void test_link_down_pauses_link_up_reassociates(void **state)
{
	struct fx *fx = *state;
	uint64_t ecp_before;

	assert_int_equal(request(fx, VDP_MODE_ASSOC), 0);
	assert_true(run_until(fx, &fx->associated, 1));

	uplink_set_link(fx->st, false);
	assert_false(uplink_converged(fx->st));
	assert_false(uplink_link_up(fx->st));
	ecp_before = uplink_ecp(fx->st)->cnt.tx_ecpdu;
	/* While down: no keep-alive leaves (RKA 10 = 10 ms). */
	run_for_ms(fx, 60);
	assert_int_equal(uplink_ecp(fx->st)->cnt.tx_ecpdu, ecp_before);

	uplink_set_link(fx->st, true);
	assert_true(run_until(fx, &fx->converged[0], 2));
	/* Re-association on convergence: the request is re-sent. */
	assert_true(run_until(fx, &fx->associated, 2));
	assert_true(uplink_ecp(fx->st)->cnt.tx_ecpdu > ecp_before);
	assert_int_equal(fx->link_events, 2);
}

static void test_bridge_restart_recovered_by_keepalive(void **state)
{
	struct fx *fx = *state;
	struct vdp_bridge *br = uplink_bridge(fx->br);
	json_t *j;

	assert_int_equal(request(fx, VDP_MODE_ASSOC), 0);
	assert_true(run_until(fx, &fx->associated, 1));
	assert_int_equal(vdp_bridge_count(br), 1);

	uplink_bridge_restart(fx->br);
	assert_int_equal(vdp_bridge_count(br), 0);
	/* The next keep-alive is a new request to the restarted bridge. */
	assert_true(run_until(fx, &fx->admit_calls, 2));
	run_for_ms(fx, 20);
	assert_int_equal(vdp_bridge_count(br), 1);
	assert_int_equal(vdp_bridge_first(br)->mode_cur, VDP_MODE_ASSOC);

	j = uplink_status_json(fx->br);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "role")), "bridge");
	assert_true(json_is_true(json_object_get(json_object_get(j, "evb"), "converged")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "peer"), "chassis_id")),
			    "02:00:00:00:00:51");
	assert_true(json_integer_value(json_object_get(json_object_get(j, "ecp"), "rx_ecpdu")) >= 2);
	json_decref(j);
}

static void test_evb_change_and_new_peer_reassociate(void **state)
{
	struct fx *fx = *state;
	struct vdp_station *st = uplink_station(fx->st);
	struct lldp_agent *a;
	struct evb_config c;
	uint64_t before;
	int assoc_before;

	assert_int_equal(request(fx, VDP_MODE_ASSOC), 0);
	assert_true(run_until(fx, &fx->associated, 1));

	/* New operative values (RKA 16 = 655 ms keep-alives on both sides):
	 * pushed to ECP/VDP and the VSIs re-associated at once. */
	evb_config_default(&c, EVB_MODE_STATION);
	c.rka = 16;
	c.rrreq = true;
	before = st->cnt.tlv_tx;
	uplink_set_evb(fx->st, &c);
	evb_config_default(&c, EVB_MODE_BRIDGE);
	c.rka = 16;
	c.rrcap = true;
	uplink_set_evb(fx->br, &c);
	run_for_ms(fx, 100);
	assert_int_equal(uplink_oper(fx->st)->rka, 16);
	assert_int_equal(uplink_oper(fx->br)->rka, 16);
	assert_int_equal(vdp_station_keepalive_us(st), 655360);
	assert_true(st->cnt.tlv_tx > before);

	/* Another chassis (and source MAC) while the bridge's TTL runs:
	 * ignored and counted, the neighbour and EVB stay.  (BGID alone
	 * changes what the bridge sends, so its LLDPDU leaves at once, but
	 * not the operative values: the station has no SGID.) */
	run_for_ms(fx, 20);
	a = uplink_agent(fx->br);
	a->cfg.mac[5] ^= 0x40;
	c.gid = true;
	uplink_set_evb(fx->br, &c);
	run_for_ms(fx, 100);
	assert_true(uplink_agent(fx->st)->cnt.rx_drop_peer >= 1);
	assert_int_equal(uplink_agent(fx->st)->cnt.new_peers, 1);
	assert_int_equal(uplink_agent(fx->st)->peer_mac[5], 0xb1);

	/* Once the old bridge shut down (TTL 0), the new one is the
	 * neighbour: re-associated well before the 655 ms keep-alive would
	 * re-send, and its ECPDUs (from its MAC) are taken. */
	a->cfg.mac[5] ^= 0x40;
	lldp_agent_shutdown(a);
	run_for_ms(fx, 20);
	assert_false(uplink_agent(fx->st)->has_peer);
	a->cfg.mac[5] ^= 0x40;
	memcpy(uplink_ecp(fx->br)->src, a->cfg.mac, 6);
	before = st->cnt.tlv_tx;
	assoc_before = fx->associated;
	lldp_agent_enable(a);
	run_for_ms(fx, 100);
	assert_int_equal(uplink_oper(fx->st)->rka, 16);
	assert_false(uplink_oper(fx->st)->gid);
	assert_true(st->cnt.tlv_tx > before);
	assert_int_equal(uplink_agent(fx->st)->cnt.new_peers, 2);
	assert_int_equal(uplink_agent(fx->st)->peer_mac[5], 0xb1 ^ 0x40);
	assert_true(fx->associated > assoc_before);
	assert_int_equal(uplink_ecp(fx->st)->cnt.rx_drop_src, 0);
}

/* Writes a frame on the bridge's end of the wire: the station's port reads
 * it through its kernel filter. */
static void inject(struct fx *fx, const uint8_t *frame, size_t len)
{
	assert_int_equal(send(fx->wire.sv[1], frame, len, MSG_DONTWAIT), (ssize_t)len);
	run_for_ms(fx, 30);
}

/* A De-Associate for the associated VSI, as the bridge would send it. */
static size_t deassoc_frame(struct fx *fx, uint8_t *buf, const uint8_t src[6], uint16_t seq)
{
	static const uint8_t mgrid[16];
	struct tf_tlv t = {
		.type = VDP_TLV_DEASSOC,
		.type_id = 10,
		.type_version = 1,
		.vsiid_fmt = VDP_VSIID_UUID,
		.filter_fmt = VDP_FILTER_MAC_VID,
		.n = 1,
	};

	(void)fx;
	memcpy(t.vsiid, uuid1, 16);
	memcpy(t.f[0].mac, vm_mac, 6);
	t.f[0].ps_pcp_vid = 100;
	return tf_build_vdp(buf, src, seq, mgrid, &t, 1);
}

static void test_ecp_admission(void **state)
{
	struct fx *fx = *state;
	static const uint8_t foreign[6] = { 0x02, 0, 0, 0xaa, 0xbb, 0xcc };
	static const uint8_t bridge[6] = { 0x02, 0, 0, 0, 0, 0xb1 };
	static const uint8_t station[6] = { 0x02, 0, 0, 0, 0, 0x51 };
	const struct ecp_counters *c = &uplink_ecp(fx->st)->cnt;
	struct vdp_station *st = uplink_station(fx->st);
	uint16_t seq = (uint16_t)(uplink_ecp(fx->br)->seq + 1000);
	uint8_t buf[ECP_FRAME_MAX];
	size_t n;
	json_t *j;

	assert_int_equal(request(fx, VDP_MODE_ASSOC), 0);
	assert_true(run_until(fx, &fx->associated, 1));

	/* (b) From a foreign MAC to the group address: not the neighbour. */
	n = deassoc_frame(fx, buf, foreign, seq);
	inject(fx, buf, n);
	assert_int_equal(c->rx_drop_src, 1);
	/* (c) From the bridge's MAC, to broadcast and to our own MAC: the
	 * kernel filter passes the header alone; dropped before decoding. */
	n = deassoc_frame(fx, buf, bridge, seq);
	memset(buf, 0xff, 6);
	inject(fx, buf, n);
	memcpy(buf, station, 6);
	inject(fx, buf, n);
	assert_int_equal(c->rx_drop_dst, 2);
	assert_int_equal(c->rx_bad, 0);
	assert_int_equal(fx->bridge_deassoc, 0);
	assert_int_equal(st->cnt.bridge_deassoc, 0);
	assert_int_equal(vdp_station_find(st, VDP_VSIID_UUID, uuid1)->mode_cur, VDP_MODE_ASSOC);

	j = uplink_status_json(fx->st);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(j, "ecp"), "rx_drop_src")), 1);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(j, "ecp"), "rx_drop_dst")), 2);
	assert_string_equal(json_string_value(json_object_get(j, "group")), "01:80:c2:00:00:00");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "peer"), "mac")),
			    "02:00:00:00:00:b1");
	json_decref(j);

	/* The same ECPDU from the bridge's MAC to the group is taken: the
	 * frames above were refused for their addresses alone. */
	n = deassoc_frame(fx, buf, bridge, seq);
	inject(fx, buf, n);
	assert_int_equal(fx->bridge_deassoc, 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_roles_and_accessors),
		T(test_request_waits_for_evb_then_associates),
		T(test_link_down_pauses_link_up_reassociates),
		T(test_bridge_restart_recovered_by_keepalive),
		T(test_evb_change_and_new_peer_reassociate),
		T(test_ecp_admission),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
