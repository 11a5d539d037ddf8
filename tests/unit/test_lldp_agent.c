/* LLDP agent: transmit schedule, TTL, neighbour ageing, new-peer and EVB
 * change events, admission (destination, one neighbour while its TTL
 * runs), with a fake clock; frames decoded with the codec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/fakeclock.h"
#include "tests/unit/logcap.h"
#include "lldp/lldp_agent.h"
#include "vdp/base/eth.h"

#define S 1000000ULL

struct aenv {
	struct fakeclock fc;
	struct lldp_agent a;
	size_t nf;
	uint64_t ftime[64];
	struct lldpdu last;
	size_t nev;
	enum lldp_agent_event ev[64];
};

static void a_send(void *ctx, const uint8_t *f, size_t len)
{
	struct aenv *e = ctx;
	struct eth_hdr eh;
	const uint8_t *pl;
	size_t pl_len;

	assert_true(len >= ETH_MIN_FRAME);
	assert_int_equal(eth_decode(f, len, &eh, &pl, &pl_len), CODEC_OK);
	assert_int_equal(eh.ethertype, ETHERTYPE_LLDP);
	assert_memory_equal(eh.dst, eth_nearest_customer_bridge, 6);
	assert_int_equal(lldp_decode(pl, pl_len, &e->last), CODEC_OK);
	assert_true(e->nf < 64);
	e->ftime[e->nf++] = e->fc.now;
}

static void a_event(void *ctx, enum lldp_agent_event ev)
{
	struct aenv *e = ctx;
	assert_true(e->nev < 64);
	e->ev[e->nev++] = ev;
}

static const struct lldp_agent_ops a_ops = { a_send, a_event };

static struct aenv *aenv_new(void)
{
	struct aenv *e = calloc(1, sizeof(*e));
	struct lldp_agent_config c;
	struct evb_config evb;

	fakeclock_init(&e->fc, 0);
	lldp_agent_config_default(&c);
	memcpy(c.mac, (uint8_t[]){ 2, 0, 0, 0, 0, 1 }, 6);
	strcpy(c.ifname, "eth4");
	evb_config_default(&evb, EVB_MODE_STATION);
	assert_int_equal(lldp_agent_init(&e->a, &a_ops, e, fakeclock_vclock(&e->fc), &c, &evb), 0);
	return e;
}

static void aenv_free(struct aenv *e)
{
	lldp_agent_free(&e->a);
	assert_int_equal(fakeclock_armed(&e->fc), 0);
	fakeclock_destroy(&e->fc);
	free(e);
}

static const uint8_t bridge_mac[6] = { 2, 0, 0, 0, 0, 2 };
static const uint8_t foreign_mac[6] = { 0x02, 0, 0, 0xaa, 0xbb, 0xcc };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* A bridge's LLDPDU with an EVB TLV, chassis ID = src with its last octet
 * replaced, sent from src to dst. */
static void peer_frame_to(struct aenv *e, const uint8_t dst[6], const uint8_t src[6],
			  uint8_t chassis_last, uint16_t ttl, uint8_t rte)
{
	struct lldpdu du;
	uint8_t buf[512];
	struct wbuf w;

	memset(&du, 0, sizeof(du));
	du.chassis_subtype = LLDP_CHASSIS_MAC;
	du.chassis_len = 6;
	memcpy(du.chassis_id, src, 6);
	du.chassis_id[5] = chassis_last;
	du.port_subtype = LLDP_PORT_IFNAME;
	du.port_len = 3;
	memcpy(du.port_id, "sw1", 3);
	du.ttl = ttl;
	du.has_evb = true;
	du.evb = (struct evb_tlv){ .rrcap = true, .r = 3, .rte = rte, .evb_mode = EVB_MODE_BRIDGE,
				   .rwd = 20, .rka = 20 };
	wbuf_init(&w, buf, sizeof(buf));
	eth_encode(&w, dst, src, ETHERTYPE_LLDP);
	assert_int_equal(lldp_encode(&w, &du), CODEC_OK);
	eth_pad(&w);
	lldp_agent_rx(&e->a, buf, w.len);
}

static void peer_frame(struct aenv *e, uint8_t chassis_last, uint16_t ttl, uint8_t rte)
{
	peer_frame_to(e, eth_nearest_customer_bridge, bridge_mac, chassis_last, ttl, rte);
}

static void test_tx_schedule(void **state)
{
	(void)state;
	struct aenv *e = aenv_new();

	assert_int_equal(lldp_agent_ttl(&e->a), 121);	/* 30 x 4 + 1 */
	lldp_agent_enable(&e->a);
	fakeclock_advance(&e->fc, 0);
	assert_int_equal(e->nf, 1);
	assert_int_equal(e->last.ttl, 121);
	assert_true(e->last.has_evb);
	assert_int_equal(e->last.evb.evb_mode, EVB_MODE_STATION);
	assert_int_equal(e->last.evb.rrstat, EVB_RRSTAT_UNKNOWN);
	assert_int_equal(e->last.port_len, 4);
	assert_memory_equal(e->last.port_id, "eth4", 4);
	/* txFastInit = 4: t = 0, 1, 2, 3 s, then every 30 s. */
	fakeclock_advance(&e->fc, 3 * S + 30 * S * 2);
	assert_int_equal(e->nf, 6);
	assert_int_equal(e->ftime[1], 1 * S);
	assert_int_equal(e->ftime[3], 3 * S);
	assert_int_equal(e->ftime[4], 33 * S);
	assert_int_equal(e->ftime[5], 63 * S);
	lldp_agent_shutdown(&e->a);
	assert_int_equal(e->nf, 7);
	assert_int_equal(e->last.ttl, 0);
	fakeclock_advance(&e->fc, 100 * S);
	assert_int_equal(e->nf, 7);
	aenv_free(e);
}

static void test_peer_and_ageing(void **state)
{
	(void)state;
	struct aenv *e = aenv_new();
	size_t nf;

	lldp_agent_enable(&e->a);
	fakeclock_advance(&e->fc, 10 * S);
	nf = e->nf;
	peer_frame(e, 2, 40, 16);
	assert_int_equal(e->nev, 2);
	assert_int_equal(e->ev[0], LLDP_EV_NEW_PEER);
	assert_int_equal(e->ev[1], LLDP_EV_EVB_CHANGED);
	assert_true(e->a.evb.converged);
	assert_int_equal(e->a.evb.oper.rte, 16);
	/* Our EVB TLV changed: sent at once. */
	fakeclock_advance(&e->fc, 0);
	assert_int_equal(e->nf, nf + 1);
	assert_int_equal(e->last.evb.rte, 16);
	assert_int_equal(e->last.evb.rrstat, EVB_RRSTAT_OFF);
	/* Refresh at +30 s: ageing restarts; same peer, same TLV: no event. */
	fakeclock_advance(&e->fc, 30 * S);
	peer_frame(e, 2, 40, 16);
	assert_int_equal(e->nev, 2);
	fakeclock_advance(&e->fc, 40 * S - 1);
	assert_int_equal(e->nev, 2);
	fakeclock_advance(&e->fc, 1);
	assert_int_equal(e->nev, 4);
	assert_int_equal(e->ev[2], LLDP_EV_PEER_GONE);
	assert_int_equal(e->ev[3], LLDP_EV_EVB_CHANGED);
	assert_int_equal(e->a.cnt.ageouts, 1);
	assert_false(e->a.evb.converged);
	assert_int_equal(e->a.evb.oper.rte, 8);
	lldp_agent_disable(&e->a);
	aenv_free(e);
}

static void test_peer_change_and_shutdown(void **state)
{
	(void)state;
	struct aenv *e = aenv_new();

	lldp_agent_enable(&e->a);
	peer_frame(e, 2, 120, 8);
	assert_int_equal(e->nev, 2);
	/* Shutdown LLDPDU (TTL 0): forgotten at once, and the next chassis
	 * heard is a new peer. */
	peer_frame(e, 2, 0, 8);
	assert_false(e->a.has_peer);
	assert_int_equal(e->nev, 4);
	assert_int_equal(e->ev[2], LLDP_EV_PEER_GONE);
	assert_int_equal(e->ev[3], LLDP_EV_EVB_CHANGED);
	peer_frame(e, 3, 120, 8);
	assert_int_equal(e->nev, 6);
	assert_int_equal(e->ev[4], LLDP_EV_NEW_PEER);
	assert_int_equal(e->ev[5], LLDP_EV_EVB_CHANGED);
	assert_int_equal(e->a.cnt.new_peers, 2);
	assert_int_equal(e->a.peer_chassis[5], 3);
	/* Garbage to the group address is counted as bad. */
	lldp_agent_rx(&e->a,
		      (const uint8_t *)"\x01\x80\xc2\x00\x00\x00\x02\x00\x00\x00\x00\x02"
				       "\x88\xccshort",
		      19);
	assert_int_equal(e->a.cnt.rx_bad, 1);
	assert_int_equal(e->a.cnt.rx_drop_dst, 0);
	lldp_agent_disable(&e->a);
	aenv_free(e);
}

/* A second chassis while the neighbour's TTL runs: dropped, counted, logged
 * once; taken when the neighbour ages out. */
static void test_second_chassis_waits_for_ttl(void **state)
{
	(void)state;
	struct aenv *e = aenv_new();
	struct logcap lc;
	char log[2048];
	const char *p;
	int lines = 0;

	lldp_agent_enable(&e->a);
	peer_frame(e, 2, 120, 8);
	assert_int_equal(e->nev, 2);
	fakeclock_advance(&e->fc, 20 * S);

	logcap_begin(&lc);
	/* Another chassis from a foreign MAC, with other EVB values. */
	peer_frame_to(e, eth_nearest_customer_bridge, foreign_mac, 0xcc, 120, 20);
	peer_frame_to(e, eth_nearest_customer_bridge, foreign_mac, 0xcc, 120, 20);
	/* The neighbour's own chassis and port ID, but from another MAC. */
	peer_frame_to(e, eth_nearest_customer_bridge, foreign_mac, 2, 120, 20);
	/* A shutdown LLDPDU of the intruder does not end the neighbour. */
	peer_frame_to(e, eth_nearest_customer_bridge, foreign_mac, 0xcc, 0, 20);
	logcap_end(&lc, log, sizeof(log));
	for (p = log; (p = strstr(p, "another neighbour")) != NULL; p++)
		lines++;
	assert_int_equal(lines, 1);
	assert_non_null(
		strstr(log, "eth4: LLDPDU from another neighbour (source 02:00:00:aa:bb:cc"));
	assert_non_null(strstr(log, "100 s more"));
	assert_int_equal(e->a.cnt.rx_drop_peer, 4);
	assert_int_equal(e->a.cnt.rx_frames, 1);
	assert_int_equal(e->nev, 2);
	assert_true(e->a.has_peer);
	assert_int_equal(e->a.peer_chassis[5], 2);
	assert_memory_equal(e->a.peer_mac, bridge_mac, 6);
	assert_int_equal(e->a.evb.oper.rte, 8);
	assert_int_equal(e->a.cnt.new_peers, 1);

	/* The neighbour refreshes: still its port; the intruder is logged
	 * once per neighbour, not once per refresh. */
	fakeclock_advance(&e->fc, 10 * S);
	peer_frame(e, 2, 120, 8);
	logcap_begin(&lc);
	peer_frame_to(e, eth_nearest_customer_bridge, foreign_mac, 0xcc, 120, 20);
	logcap_end(&lc, log, sizeof(log));
	assert_null(strstr(log, "another neighbour"));
	assert_int_equal(e->a.cnt.rx_drop_peer, 5);

	/* Its TTL runs out (120 s after the refresh): the next chassis heard
	 * is the new neighbour, with its EVB values. */
	fakeclock_advance(&e->fc, 120 * S);
	assert_false(e->a.has_peer);
	assert_int_equal(e->a.cnt.ageouts, 1);
	peer_frame_to(e, eth_nearest_customer_bridge, foreign_mac, 0xcc, 120, 20);
	assert_true(e->a.has_peer);
	assert_memory_equal(e->a.peer_mac, foreign_mac, 6);
	assert_int_equal(e->a.evb.oper.rte, 20);
	assert_int_equal(e->a.cnt.new_peers, 2);
	/* ... and it is logged again for the next intruder. */
	logcap_begin(&lc);
	peer_frame(e, 2, 120, 8);
	logcap_end(&lc, log, sizeof(log));
	assert_non_null(strstr(log, "source 02:00:00:00:00:02"));
	assert_int_equal(e->a.cnt.rx_drop_peer, 6);
	lldp_agent_disable(&e->a);
	aenv_free(e);
}

/* Only LLDPDUs to the configured group address are read; the others are
 * counted before any decoding (the kernel passes only their header). */
static void test_drop_not_to_group(void **state)
{
	(void)state;
	struct aenv *e = aenv_new();
	static const uint8_t ucast[6] = { 2, 0, 0, 0, 0, 1 };
	/* What the port's kernel filter passes of an LLDPDU to broadcast. */
	static const uint8_t hdr_only[14] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
					      0x00, 0x00, 0xaa, 0xbb, 0xcc, 0x88, 0xcc };

	lldp_agent_enable(&e->a);
	peer_frame_to(e, bcast, foreign_mac, 0xcc, 120, 20);
	peer_frame_to(e, ucast, foreign_mac, 0xcc, 120, 20);
	peer_frame_to(e, eth_nearest_bridge, bridge_mac, 2, 120, 20);
	peer_frame_to(e, eth_nearest_nontpmr_bridge, bridge_mac, 2, 120, 20);
	lldp_agent_rx(&e->a, hdr_only, sizeof(hdr_only));
	assert_int_equal(e->a.cnt.rx_drop_dst, 5);
	assert_int_equal(e->a.cnt.rx_bad, 0);
	assert_int_equal(e->a.cnt.rx_frames, 0);
	assert_false(e->a.has_peer);
	assert_int_equal(e->nev, 0);
	/* To the group: taken. */
	peer_frame(e, 2, 120, 8);
	assert_true(e->a.has_peer);
	lldp_agent_disable(&e->a);
	aenv_free(e);

	/* An agent configured for the Nearest Bridge address takes that one
	 * and drops the Nearest Customer Bridge address. */
	e = aenv_new();
	memcpy(e->a.cfg.dst, eth_nearest_bridge, 6);
	lldp_agent_enable(&e->a);
	peer_frame(e, 2, 120, 8);
	assert_false(e->a.has_peer);
	assert_int_equal(e->a.cnt.rx_drop_dst, 1);
	peer_frame_to(e, eth_nearest_bridge, bridge_mac, 2, 120, 8);
	assert_true(e->a.has_peer);
	lldp_agent_disable(&e->a);
	aenv_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tx_schedule),
		cmocka_unit_test(test_peer_and_ageing),
		cmocka_unit_test(test_peer_change_and_shutdown),
		cmocka_unit_test(test_second_chassis_waits_for_ttl),
		cmocka_unit_test(test_drop_not_to_group),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
