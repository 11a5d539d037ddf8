/* tools/vdp-bridge/fault.c: seeded, reproducible verdicts; JSON settings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vdp/wire/ecpdu.h"
#include "vdp/base/eth.h"
#include "tools/vdp-bridge/fault.h"
#include "vdp/wire/vdp_tlv.h"

static size_t ecp_frame(uint8_t *buf, uint8_t op, uint16_t seq)
{
	static const uint8_t src[6] = { 2, 0, 0, 0, 0, 9 };
	struct ecp_hdr h = { .version = ECP_VERSION, .op = op, .subtype = ECP_SUBTYPE_VDP, .seq = seq };
	struct wbuf w;

	wbuf_init(&w, buf, 128);
	eth_encode(&w, eth_nearest_customer_bridge, src, ETHERTYPE_ECP);
	ecp_encode_hdr(&w, &h);
	eth_pad(&w);
	return w.len;
}

static size_t lldp_frame(uint8_t *buf)
{
	static const uint8_t src[6] = { 2, 0, 0, 0, 0, 9 };
	struct wbuf w;

	wbuf_init(&w, buf, 128);
	eth_encode(&w, eth_nearest_customer_bridge, src, ETHERTYPE_LLDP);
	eth_pad(&w);
	return w.len;
}

/* Verdict pattern of n frames as a bit string: bit0 drop, bit1 dup, bit2 reorder. */
static void pattern(struct fault *f, enum fault_dir dir, int n, uint8_t *out)
{
	uint8_t fr[128];
	size_t len = ecp_frame(fr, ECP_OP_REQUEST, 1);

	for (int i = 0; i < n; i++) {
		struct fault_verdict v = fault_decide(f, dir, fr, len);

		out[i] = (uint8_t)(v.drop | v.dup << 1 | v.reorder << 2);
	}
}

static void test_same_seed_same_verdicts(void **state)
{
	struct fault_config c;
	struct fault a, b;
	uint8_t pa[2000], pb[2000];

	(void)state;
	fault_config_default(&c);
	c.seed = 42;
	c.dir[FAULT_TX].drop = 20;
	c.dir[FAULT_TX].dup = 10;
	c.dir[FAULT_TX].reorder = 5;
	fault_init(&a, &c);
	fault_init(&b, &c);
	pattern(&a, FAULT_TX, 2000, pa);
	pattern(&b, FAULT_TX, 2000, pb);
	assert_memory_equal(pa, pb, sizeof(pa));
	assert_int_equal(a.cnt[FAULT_TX].dropped, b.cnt[FAULT_TX].dropped);

	/* Another seed gives another pattern. */
	c.seed = 43;
	fault_init(&b, &c);
	pattern(&b, FAULT_TX, 2000, pb);
	assert_memory_not_equal(pa, pb, sizeof(pa));
}

static void test_rates_close_to_configured(void **state)
{
	enum { N = 20000 };
	struct fault_config c;
	struct fault f;
	uint8_t *p = malloc(N);

	(void)state;
	fault_config_default(&c);
	c.seed = 7;
	c.dir[FAULT_RX].drop = 25;
	c.dir[FAULT_RX].dup = 10;
	fault_init(&f, &c);
	pattern(&f, FAULT_RX, N, p);
	/* 25% of 20000 = 5000, binomial sd ~61: +-400 is > 6 sd. */
	assert_in_range(f.cnt[FAULT_RX].dropped, 4600, 5400);
	/* dup only among the 75% not dropped: 1500, sd ~37. */
	assert_in_range(f.cnt[FAULT_RX].duplicated, 1250, 1750);
	assert_int_equal(f.cnt[FAULT_RX].seen, N);
	assert_int_equal(f.cnt[FAULT_RX].reordered, 0);
	assert_int_equal(f.cnt[FAULT_TX].seen, 0);
	free(p);
}

static void test_directions_independent(void **state)
{
	struct fault_config c;
	struct fault a, b;
	uint8_t pa[500], pb[500], scratch[300];

	(void)state;
	fault_config_default(&c);
	c.seed = 99;
	c.dir[FAULT_RX].drop = 30;
	c.dir[FAULT_TX].drop = 50;
	fault_init(&a, &c);
	fault_init(&b, &c);
	pattern(&a, FAULT_RX, 500, pa);
	/* b sees transmit traffic interleaved: rx verdicts must not change. */
	pattern(&b, FAULT_TX, 300, scratch);
	pattern(&b, FAULT_RX, 500, pb);
	assert_memory_equal(pa, pb, sizeof(pa));
	/* Nor when the other direction's percentages change. */
	c.dir[FAULT_TX].drop = 0;
	fault_init(&b, &c);
	pattern(&b, FAULT_RX, 500, pb);
	assert_memory_equal(pa, pb, sizeof(pa));
}

static void test_reseed_replays(void **state)
{
	struct fault_config c;
	struct fault f;
	uint8_t p1[300], p2[300];

	(void)state;
	fault_config_default(&c);
	c.seed = 5;
	c.dir[FAULT_TX].drop = 40;
	fault_init(&f, &c);
	pattern(&f, FAULT_TX, 300, p1);
	/* Same settings without reseed: the stream continues (differs). */
	fault_set_config(&f, &c, false);
	pattern(&f, FAULT_TX, 300, p2);
	assert_memory_not_equal(p1, p2, sizeof(p1));
	fault_set_config(&f, &c, true);
	pattern(&f, FAULT_TX, 300, p2);
	assert_memory_equal(p1, p2, sizeof(p1));
}

static void test_noack_and_lldp_scope(void **state)
{
	struct fault_config c;
	struct fault f;
	uint8_t fr[128];
	size_t n;
	struct fault_verdict v;

	(void)state;
	fault_config_default(&c);
	c.noack = true;
	fault_init(&f, &c);
	n = ecp_frame(fr, ECP_OP_ACK, 3);
	v = fault_decide(&f, FAULT_TX, fr, n);
	assert_true(v.drop);
	assert_int_equal(f.cnt[FAULT_TX].acks_dropped, 1);
	/* Requests still leave; received acks are not ours to swallow. */
	n = ecp_frame(fr, ECP_OP_REQUEST, 3);
	assert_false(fault_decide(&f, FAULT_TX, fr, n).drop);
	n = ecp_frame(fr, ECP_OP_ACK, 3);
	assert_false(fault_decide(&f, FAULT_RX, fr, n).drop);

	/* 100% drop leaves LLDP alone unless lldp is set. */
	c.noack = false;
	c.dir[FAULT_RX].drop = 100;
	fault_init(&f, &c);
	n = lldp_frame(fr);
	assert_false(fault_decide(&f, FAULT_RX, fr, n).drop);
	assert_int_equal(f.cnt[FAULT_RX].seen, 0);
	c.lldp = true;
	fault_set_config(&f, &c, false);
	assert_true(fault_decide(&f, FAULT_RX, fr, n).drop);
	n = ecp_frame(fr, ECP_OP_REQUEST, 1);
	assert_true(fault_decide(&f, FAULT_RX, fr, n).drop);
	assert_int_equal(f.cnt[FAULT_RX].dropped, 2);
	/* A runt frame is never subject to anything. */
	assert_false(fault_decide(&f, FAULT_RX, fr, 5).drop);
}

static void test_delay_applies_to_every_frame(void **state)
{
	struct fault_config c;
	struct fault f;
	uint8_t fr[128];
	size_t n = ecp_frame(fr, ECP_OP_REQUEST, 1);

	(void)state;
	fault_config_default(&c);
	c.dir[FAULT_TX].delay_ms = 25;
	fault_init(&f, &c);
	for (int i = 0; i < 10; i++)
		assert_int_equal(fault_decide(&f, FAULT_TX, fr, n).delay_ms, 25);
	assert_int_equal(fault_decide(&f, FAULT_RX, fr, n).delay_ms, 0);
	assert_int_equal(f.cnt[FAULT_TX].delayed, 10);
	assert_true(fault_active(&c));
	fault_config_default(&c);
	assert_false(fault_active(&c));
}

static void test_rules(void **state)
{
	struct fault_config c;
	struct fault f;
	const struct fault_rule *r;

	(void)state;
	fault_config_default(&c);
	c.n_rules = 2;
	c.rules[0] = (struct fault_rule){ .type_id = 201, .reason = VDP_R_INSUFFICIENT_RESOURCES };
	c.rules[1] = (struct fault_rule){ .type_id = 202, .reason = VDP_R_OTHER_FAILURE, .keep = true, .hard = true };
	fault_init(&f, &c);
	assert_null(fault_rule_find(&f, 200));
	r = fault_rule_find(&f, 201);
	assert_non_null(r);
	assert_int_equal(fault_rule_status(r), 0x02);
	r = fault_rule_find(&f, 202);
	assert_int_equal(fault_rule_status(r), 0x20 | 0x10 | 0x04);
}

static void test_json_update_partial_and_errors(void **state)
{
	struct fault_config c, before;
	char err[128];
	json_t *j, *out;

	(void)state;
	fault_config_default(&c);
	j = json_loads("{\"tx\":{\"drop\":12.5,\"delay_ms\":30},\"noack\":true,"
		       "\"rules\":[{\"type_id\":300,\"reason\":5,\"keep\":true},{\"type_id\":199,\"defer\":true}]}", 0, NULL);
	assert_int_equal(fault_config_update(&c, j, err, sizeof(err)), 0);
	json_decref(j);
	assert_true(c.dir[FAULT_TX].drop == 12.5);
	assert_int_equal(c.dir[FAULT_TX].delay_ms, 30);
	assert_true(c.dir[FAULT_RX].drop == 0);
	assert_true(c.noack);
	assert_int_equal(c.n_rules, 2);
	assert_true(c.rules[1].defer);
	assert_false(c.rules[0].defer);
	assert_int_equal(c.rules[0].type_id, 300);
	assert_int_equal(c.rules[0].reason, 5);
	assert_true(c.rules[0].keep);
	assert_false(c.rules[0].hard);
	assert_int_equal(c.seed, 1);

	/* Round trip through the JSON form. */
	out = fault_config_json(&c);
	struct fault_config d;
	fault_config_default(&d);
	assert_int_equal(fault_config_update(&d, out, err, sizeof(err)), 0);
	json_decref(out);
	assert_true(d.dir[FAULT_TX].drop == 12.5);
	assert_int_equal(d.n_rules, 2);
	assert_true(d.rules[1].defer);
	assert_true(d.noack);

	/* Errors leave the settings unchanged and say what is wrong. */
	before = c;
	const char *bad[] = {
		"{\"tx\":{\"drop\":101}}",
		"{\"rx\":{\"dorp\":1}}",
		"{\"bogus\":1}",
		"{\"noack\":1}",
		"{\"rules\":[{\"reason\":2}]}",
		"{\"rules\":[{\"type_id\":16777216}]}",
		"{\"tx\":{\"delay_ms\":-1}}",
		"[]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		j = json_loads(bad[i], 0, NULL);
		assert_non_null(j);
		assert_int_equal(fault_config_update(&c, j, err, sizeof(err)), -1);
		assert_true(strlen(err) > 0);
		assert_memory_equal(&c, &before, sizeof(c));
		json_decref(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_same_verdicts),
		cmocka_unit_test(test_rates_close_to_configured),
		cmocka_unit_test(test_directions_independent),
		cmocka_unit_test(test_reseed_replays),
		cmocka_unit_test(test_noack_and_lldp_scope),
		cmocka_unit_test(test_delay_applies_to_every_frame),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_json_update_partial_and_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
