/* EVB TLV negotiation (802.1Q D.2.12), checked field by field and against
 * bytes observed between two lldpad instances. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "lldp/evb.h"

static void test_station_alone(void **state)
{
	(void)state;
	struct evb_config c;
	struct evb e;

	evb_config_default(&c, EVB_MODE_STATION);
	c.rrreq = true;
	evb_init(&e, &c);
	assert_false(e.converged);
	assert_int_equal(e.tx.evb_mode, EVB_MODE_STATION);
	assert_int_equal(e.tx.rrstat, EVB_RRSTAT_UNKNOWN);
	assert_true(e.tx.rrreq);
	assert_int_equal(e.tx.r, 3);
	assert_int_equal(e.tx.rte, 8);
	assert_int_equal(e.tx.rwd, 20);
	assert_int_equal(e.tx.rka, 20);
	assert_false(e.tx.rwd_rol);
	assert_false(e.tx.rka_rol);
	assert_int_equal(e.oper.rte, 8);
	assert_false(e.oper.gid);
}

static void test_station_with_bridge(void **state)
{
	(void)state;
	struct evb_config c;
	struct evb e;
	struct evb_tlv p = { .bgid = true, .rrcap = true, .rrctr = true, .r = 2, .rte = 16,
			     .evb_mode = EVB_MODE_BRIDGE, .rwd = 18, .rka = 22 };

	evb_config_default(&c, EVB_MODE_STATION);
	c.gid = true;
	evb_init(&e, &c);
	assert_true(evb_rx(&e, &p));
	assert_true(e.converged);
	/* max(local, remote) */
	assert_int_equal(e.oper.r, 3);
	assert_int_equal(e.oper.rte, 16);
	assert_int_equal(e.oper.rwd, 20);
	assert_int_equal(e.oper.rka, 22);
	assert_false(e.tx.rwd_rol);	/* 18 < 20: local in use */
	assert_true(e.tx.rka_rol);	/* 22 >= 20: remote */
	assert_int_equal(e.tx.rrstat, EVB_RRSTAT_ON);
	assert_true(e.tx.bgid && e.tx.rrcap && e.tx.rrctr);	/* echoed */
	assert_true(e.oper.rr);
	assert_true(e.oper.gid);
	/* Same TLV again: nothing changes. */
	assert_false(evb_rx(&e, &p));
	/* Without BGID no group IDs, without RRCTR rrstat 0. */
	p.bgid = false;
	p.rrctr = false;
	assert_true(evb_rx(&e, &p));
	assert_false(e.oper.gid);
	assert_int_equal(e.tx.rrstat, EVB_RRSTAT_OFF);
	/* Peer gone: local values, unknown RR status. */
	assert_true(evb_peer_lost(&e));
	assert_false(e.converged);
	assert_int_equal(e.oper.rte, 8);
	assert_int_equal(e.tx.rrstat, EVB_RRSTAT_UNKNOWN);
	assert_false(evb_peer_lost(&e));
}

static void test_bridge_with_station(void **state)
{
	(void)state;
	struct evb_config c;
	struct evb e;
	struct evb_tlv p = { .sgid = true, .rrreq = true, .rrstat = EVB_RRSTAT_UNKNOWN, .r = 3,
			     .rte = 8, .evb_mode = EVB_MODE_STATION, .rwd = 20, .rka = 20 };

	evb_config_default(&c, EVB_MODE_BRIDGE);
	c.rrcap = true;
	c.gid = true;
	evb_init(&e, &c);
	assert_false(e.tx.rrctr);
	evb_rx(&e, &p);
	assert_true(e.converged);
	assert_true(e.tx.rrctr);	/* RRREQ && RRCAP */
	assert_true(e.tx.sgid && e.tx.rrreq);	/* station status echoed */
	assert_int_equal(e.tx.rrstat, EVB_RRSTAT_UNKNOWN);
	assert_true(e.oper.gid);
	c.rrcap = false;
	assert_true(evb_set_config(&e, &c));
	assert_false(e.tx.rrctr);
	/* A peer of our own role does not converge. */
	p.evb_mode = EVB_MODE_BRIDGE;
	evb_rx(&e, &p);
	assert_false(e.converged);
}

/* lldpad bridge -> station, then the station's answer (openlldp.md 5.1):
 *   bridge  00 80 c2 0d 02 00 68 54 12
 *   station 00 80 c2 0d 02 04 68 b4 32 */
static void test_lldpad_bytes(void **state)
{
	(void)state;
	static const uint8_t bridge_info[] = { 0x00, 0x80, 0xc2, 0x0d, 0x02, 0x00, 0x68, 0x54, 0x12 };
	static const uint8_t station_tlv[] = { 0xfe, 0x09, 0x00, 0x80, 0xc2, 0x0d, 0x02, 0x04, 0x68, 0xb4, 0x32 };
	struct evb_config c;
	struct evb_tlv p;
	struct evb e;
	uint8_t buf[32];
	struct wbuf w;

	assert_int_equal(evb_info_decode(bridge_info, sizeof(bridge_info), &p), CODEC_OK);
	evb_config_default(&c, EVB_MODE_STATION);
	c.rrreq = true;
	c.rka = 18;
	evb_init(&e, &c);
	evb_rx(&e, &p);
	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(evb_tlv_encode(&w, evb_tx_tlv(&e)), CODEC_OK);
	assert_int_equal(w.len, sizeof(station_tlv));
	assert_memory_equal(buf, station_tlv, sizeof(station_tlv));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_station_alone),
		cmocka_unit_test(test_station_with_bridge),
		cmocka_unit_test(test_bridge_with_station),
		cmocka_unit_test(test_lldpad_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
