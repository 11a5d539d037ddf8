/* vdp/io/qbh: retries of failed (pre)associations on the timer, against
 * the kernel + enic model (tests/unit/qbh_env.h): the backoff windows up
 * to the cap and the success after them, EBUSY and BADSTATE, a deadline on
 * a VF retried after its take-back, permanent causes left alone, a
 * DISASSOCIATE or a new request during the backoff, and a retry yielding
 * PORT_SELF to the VSI that took it meanwhile. */
#include "tests/unit/logcap.h"
#include "tests/unit/qbh_env.h"

/* ---- retries of transient failures */

/* Retries on (first delay 1 s, capped at max_us, 0: the default), the
 * adapter answering at once, and its next `count` (pre)associations ending
 * in `response`. */
static void fx_failing(struct fx *f, uint64_t max_us, unsigned count, uint16_t response)
{
	fx_init_retry(f, 0, 1000000, max_us);
	f->m.inprogress_polls = 0;
	f->m.fail_count = count;
	f->m.fail_response = response;
}

/* INSUFFICIENT_RESOURCES five times: sent again after about 1 s, then 2 s,
 * then capped at 3 s, each jittered within [d/2, d]; the sixth send
 * succeeds and the retries stop.  The log says when and which attempt;
 * the repeats of the same failure are not errors again. */
static void test_retry_transient_backoff_to_success(void **state)
{
	(void)state;
	static const uint64_t d[] = { 1000000, 2000000, 3000000, 3000000, 3000000 };
	struct logcap lc;
	char logs[4096], want[320];
	struct fx f;

	fx_failing(&f, 3000000, 5, QBH_RESP_INSUFFICIENT_RESOURCES);
	log_set_level(LOG_INFO);
	logcap_begin(&lc);
	int rc = assoc(&f, "vsi-r1", "enp1s0v0", "enp1s0", "finance");
	logcap_end(&lc, logs, sizeof(logs));
	assert_int_equal(rc, 0);
	assert_int_equal(f.m.setlinks, 1);
	const struct qbh_result *r = qbh_last("vsi-r1");
	assert_int_equal(r->response, QBH_RESP_INSUFFICIENT_RESOURCES);
	snprintf(want, sizeof(want),
		 "[error] qbh: vsi-r1: enp1s0v0 (VF 0 of enp1s0, driver enic): "
		 "802.1Qbh associate of profile finance failed: adapter answered insufficient "
		 "resources; retrying in %llu ms (attempt 1)",
		 (unsigned long long)((r->retry_at_us - f.fc.now) / 1000));
	assert_non_null(strstr(logs, want));
	for (unsigned n = 1; n <= 5; n++) {
		if (n == 2)
			logcap_begin(&lc);
		expect_retry(&f, "vsi-r1", d[n - 1], n);
		if (n == 2) {
			logcap_end(&lc, logs, sizeof(logs));
			r = qbh_last("vsi-r1");
			snprintf(want, sizeof(want), "; retrying in %llu ms (attempt 3)",
				 (unsigned long long)((r->retry_at_us - f.fc.now) / 1000));
			assert_non_null(strstr(logs, want));
			assert_null(strstr(logs, "[error]"));
		}
	}
	r = qbh_last("vsi-r1");
	assert_int_equal(r->state, QBH_ST_DONE);
	assert_int_equal(r->retries, 5);
	assert_int_equal(r->retry, QBH_RETRY_NONE);
	assert_int_equal(qbh_retry_in_ms("vsi-r1"), -1);
	assert_string_equal(enic_model_dev(&f.m, "enp1s0")->vf[0].name, "finance");
	assert_int_equal(DELTA(&f, retries), 5);
	assert_int_equal(DELTA(&f, recovered), 1);
	assert_int_equal(DELTA(&f, errors), 5);
	assert_int_equal(DELTA(&f, success), 1);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(f.m.setlinks, 6);
	log_set_level(LOG_CRIT);
	fx_fini(&f);
}

/* A driver busy with another command (-EBUSY from set_vf_port) and a port
 * in BADSTATE are retried too. */
static void test_retry_busy_and_badstate(void **state)
{
	(void)state;
	struct fx f;

	fx_failing(&f, 0, 1, 0);
	f.m.fail_errno = -EBUSY;
	assert_int_equal(assoc(&f, "vsi-b1", "", "eth4", "finance"), 0);
	assert_int_equal(qbh_last("vsi-b1")->error, -EBUSY);
	expect_retry(&f, "vsi-b1", 1000000, 1);
	assert_int_equal(qbh_last("vsi-b1")->state, QBH_ST_DONE);
	f.m.fail_errno = 0;
	f.m.fail_count = 1;
	f.m.fail_response = QBH_RESP_BADSTATE;
	assert_int_equal(assoc(&f, "vsi-b1", "", "eth4", "hr"), 0);
	assert_int_equal(qbh_last("vsi-b1")->response, QBH_RESP_BADSTATE);
	expect_retry(&f, "vsi-b1", 1000000, 1);
	assert_int_equal(qbh_last("vsi-b1")->state, QBH_ST_DONE);
	assert_string_equal(enic_model_dev(&f.m, "eth4")->self.name, "hr");
	fx_fini(&f);
}

/* The deadline is transient; the DISASSOCIATE that takes the attempt back
 * goes first (an ASSOCIATE beside it would be undone), then the retry. */
static void test_retry_after_deadline_waits_for_take_back(void **state)
{
	(void)state;
	struct fx f;

	const struct qbh_result *r = time_out(&f, "vsi-d1", "enp1s0v0", "enp1s0");
	assert_int_equal(r->retry, QBH_RETRY_WAITING);
	fakeclock_advance(&f.fc, 1000000);
	assert_int_equal(f.m.setlinks, 2); /* due, but the take-back still runs */
	f.m.never_done = false;
	enic_model_dev(&f.m, "enp1s0")->vf[0].inprogress_left = 0;
	fakeclock_advance(&f.fc, 2 * QBH_POLL_US);
	assert_int_equal(f.m.setlinks, 3);
	assert_int_equal(enic_model_dev(&f.m, "enp1s0")->vf[0].request, PORT_REQUEST_ASSOCIATE);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(qbh_last("vsi-d1")->state, QBH_ST_DONE);
	assert_int_equal(qbh_last("vsi-d1")->retries, 1);
	fx_fini(&f);
}

/* Permanent causes are never sent again: no port profiles on the device
 * (EOPNOTSUPP) and a profile the switch calls INVALID; a transient failure
 * beside them is. */
static void test_retry_not_for_permanent(void **state)
{
	(void)state;
	struct fx f;

	fx_failing(&f, 0, 0, 0);
	strcpy(f.m.invalid_profile, "nosuch");
	assert_int_equal(assoc(&f, "vsi-p1", "", "eth5", "finance"), 0);
	assert_int_equal(assoc(&f, "vsi-p2", "enp1s0v0", "enp1s0", "nosuch"), 0);
	f.m.fail_count = 1;
	f.m.fail_response = QBH_RESP_ERROR;
	assert_int_equal(assoc(&f, "vsi-p3", "enp1s0v1", "enp1s0", "finance"), 0);
	assert_int_equal(f.m.setlinks, 3);
	assert_int_equal(qbh_last("vsi-p1")->error, -EOPNOTSUPP);
	assert_int_equal(qbh_last("vsi-p1")->retry, QBH_RETRY_PERMANENT);
	assert_int_equal(qbh_last("vsi-p2")->response, QBH_RESP_INVALID);
	assert_int_equal(qbh_last("vsi-p2")->retry, QBH_RETRY_PERMANENT);
	assert_int_equal(qbh_retry_in_ms("vsi-p1"), -1);
	assert_int_equal(qbh_retry_in_ms("vsi-p2"), -1);
	assert_int_equal(qbh_last("vsi-p3")->retry, QBH_RETRY_WAITING);
	assert_int_equal(DELTA(&f, permanent), 2);
	fakeclock_advance(&f.fc, 300000000); /* five minutes */
	assert_int_equal(f.m.setlinks, 4); /* vsi-p3 once more, no one else */
	assert_int_equal(qbh_last("vsi-p3")->state, QBH_ST_DONE);
	assert_int_equal(qbh_last("vsi-p1")->state, QBH_ST_FAILED);
	assert_int_equal(qbh_last("vsi-p2")->state, QBH_ST_FAILED);
	assert_int_equal(DELTA(&f, retries), 1);
	/* the verdicts one by one */
	assert_true(qbh_failure_transient(-ETIMEDOUT, false, 0));
	assert_true(qbh_failure_transient(-EBUSY, false, 0));
	assert_true(qbh_failure_transient(-EAGAIN, false, 0));
	assert_true(qbh_failure_transient(-ENOBUFS, false, 0));
	assert_true(qbh_failure_transient(0, true, QBH_RESP_INSUFFICIENT_RESOURCES));
	assert_true(qbh_failure_transient(0, true, QBH_RESP_ERROR));
	assert_true(qbh_failure_transient(0, true, QBH_RESP_BADSTATE));
	assert_false(qbh_failure_transient(0, true, QBH_RESP_INVALID));
	assert_false(qbh_failure_transient(-EOPNOTSUPP, false, 0));
	assert_false(qbh_failure_transient(-EINVAL, false, 0));
	assert_false(qbh_failure_transient(-ENODEV, false, 0));
	assert_false(qbh_failure_transient(-EPROTO, false, 0));
	fx_fini(&f);
}

/* The VSI no longer wanted while its retry waits: DISASSOCIATE goes out,
 * the retry never does. */
static void test_retry_dropped_by_disassociate(void **state)
{
	(void)state;
	struct fx f;

	fx_failing(&f, 0, 1, QBH_RESP_INSUFFICIENT_RESOURCES);
	assert_int_equal(assoc(&f, "vsi-x1", "enp1s0v2", "enp1s0", "finance"), 0);
	assert_int_equal(qbh_last("vsi-x1")->retry, QBH_RETRY_WAITING);
	assert_in_range(qbh_retry_in_ms("vsi-x1"), 500, 1000);
	assert_int_equal(qbh_disassociate(f.q, "vsi-x1"), 0);
	assert_int_equal(f.m.setlinks, 2);
	assert_int_equal(qbh_retry_in_ms("vsi-x1"), -1);
	fakeclock_advance(&f.fc, 300000000);
	assert_int_equal(f.m.setlinks, 2);
	assert_int_equal(enic_model_dev(&f.m, "enp1s0")->vf[2].request, PORT_REQUEST_DISASSOCIATE);
	assert_int_equal(qbh_last("vsi-x1")->request, QBH_DISASSOCIATE);
	assert_int_equal(qbh_last("vsi-x1")->state, QBH_ST_DONE);
	assert_int_equal(DELTA(&f, retries), 0);
	fx_fini(&f);
}

/* Asked anew while a retry waits (another profile): sent at once, and the
 * backoff starts over at the first delay. */
static void test_retry_reset_by_new_request(void **state)
{
	(void)state;
	struct fx f;

	fx_failing(&f, 0, 4, QBH_RESP_ERROR);
	assert_int_equal(assoc(&f, "vsi-c1", "", "eth4", "finance"), 0);
	expect_retry(&f, "vsi-c1", 1000000, 1);
	expect_retry(&f, "vsi-c1", 2000000, 2);
	assert_in_range(qbh_last("vsi-c1")->retry_at_us - f.fc.now, 2000000, 4000000);
	fakeclock_advance(&f.fc, 100000);
	assert_int_equal(assoc(&f, "vsi-c1", "", "eth4", "hr"), 0);
	assert_int_equal(f.m.setlinks, 4);
	assert_string_equal(enic_model_dev(&f.m, "eth4")->self.name, "hr");
	assert_int_equal(qbh_last("vsi-c1")->retries, 0);
	expect_retry(&f, "vsi-c1", 1000000, 1);
	assert_int_equal(qbh_last("vsi-c1")->state, QBH_ST_DONE);
	while (fakeclock_run_next(&f.fc))
		;
	assert_int_equal(f.m.setlinks, 5);
	fx_fini(&f);
}

/* A failed VSI does not hold PORT_SELF: when another VSI took it while the
 * retry waited, the retry is dropped instead of overwriting its profile. */
static void test_retry_yields_port_self(void **state)
{
	(void)state;
	struct fx f;

	fx_failing(&f, 0, 1, QBH_RESP_INSUFFICIENT_RESOURCES);
	assert_int_equal(assoc(&f, "vsi-y1", "macvtap0", "eth4", "finance"), 0);
	assert_int_equal(qbh_last("vsi-y1")->retry, QBH_RETRY_WAITING);
	assert_int_equal(assoc(&f, "vsi-y2", "macvtap1", "eth4", "hr"), 0);
	assert_int_equal(qbh_last("vsi-y2")->state, QBH_ST_DONE);
	fakeclock_advance(&f.fc, 1000000);
	assert_int_equal(f.m.setlinks, 2);
	assert_string_equal(enic_model_dev(&f.m, "eth4")->self.name, "hr");
	const struct qbh_result *r = qbh_last("vsi-y1");
	assert_int_equal(r->error, -EBUSY);
	assert_int_equal(r->retry, QBH_RETRY_PERMANENT);
	assert_non_null(strstr(r->msg, "retry dropped"));
	assert_int_equal(qbh_retry_in_ms("vsi-y1"), -1);
	fx_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_transient_backoff_to_success),
		cmocka_unit_test(test_retry_busy_and_badstate),
		cmocka_unit_test(test_retry_after_deadline_waits_for_take_back),
		cmocka_unit_test(test_retry_not_for_permanent),
		cmocka_unit_test(test_retry_dropped_by_disassociate),
		cmocka_unit_test(test_retry_reset_by_new_request),
		cmocka_unit_test(test_retry_yields_port_self),
	};
	return cmocka_run_group_tests(tests, qbh_env_setup, qbh_env_teardown);
}
