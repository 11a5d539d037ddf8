/* Per-VSI log lines in bursts (vdp/base/logburst.c), on a fake clock, the
 * lines caught from stderr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vdp/base/log.h"
#include "vdp/base/logburst.h"
#include "tests/unit/fakeclock.h"
#include "tests/unit/logcap.h"

static const char *const assoc = "associated";

/* n lines about subject, one every gap_us; the admitted ones written as
 * the daemon writes them.  Returns how many were admitted. */
static unsigned burst(struct log_bursts *b, struct fakeclock *fc, const char *subject, unsigned n,
		      uint64_t gap_us)
{
	unsigned written = 0;

	for (unsigned i = 0; i < n; i++) {
		if (log_burst_admit(b, subject, assoc)) {
			log_info("vdp", "%s: VSI %u: associated", subject, i);
			written++;
		}
		fakeclock_advance(fc, gap_us);
	}
	return written;
}

static unsigned count(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* 4,096 associations in 0.8 s: eight lines as they come, then one that
 * counts them all; not 4,096 lines. */
static void test_burst_one_line(void **state)
{
	struct fakeclock fc;
	struct log_bursts *b;
	struct logcap lc;
	static char out[1 << 16];
	unsigned written;

	(void)state;
	log_set_level(LOG_INFO);
	fakeclock_init(&fc, 1000);
	b = log_bursts_new(fakeclock_vclock(&fc), "vdp");
	logcap_begin(&lc);
	written = burst(b, &fc, "eth4", 4096, 200); /* 0.82 s */
	fakeclock_advance(&fc, LOG_BURST_WINDOW_US);
	logcap_end(&lc, out, sizeof(out));
	assert_int_equal(written, LOG_BURST_SINGLES);
	assert_int_equal(count(out, ": associated\n"), LOG_BURST_SINGLES);
	if (!strstr(out, "eth4: associated: 4096 VSIs in 0.8 s (8 logged singly"))
		fail_msg("no aggregate line in:\n%s", out);
	log_bursts_free(b);
	fakeclock_destroy(&fc);
}

/* A single VSI now and then is logged as before; so are two uplinks'
 * first lines, each in its own group. */
static void test_singles_and_groups(void **state)
{
	struct fakeclock fc;
	struct log_bursts *b;
	struct logcap lc;
	static char out[4096];

	(void)state;
	log_set_level(LOG_INFO);
	fakeclock_init(&fc, 1000);
	b = log_bursts_new(fakeclock_vclock(&fc), "vdp");
	logcap_begin(&lc);
	for (int i = 0; i < 20; i++)
		burst(b, &fc, "eth0", 1, 3 * LOG_BURST_WINDOW_US);
	burst(b, &fc, "eth1", LOG_BURST_SINGLES, 1000);
	burst(b, &fc, "eth2", LOG_BURST_SINGLES, 1000);
	fakeclock_advance(&fc, 2 * LOG_BURST_WINDOW_US);
	logcap_end(&lc, out, sizeof(out));
	assert_int_equal(count(out, "eth0: VSI"), 20);
	assert_int_equal(count(out, "eth1: VSI"), LOG_BURST_SINGLES);
	assert_int_equal(count(out, "eth2: VSI"), LOG_BURST_SINGLES);
	assert_null(strstr(out, "VSIs in"));
	log_bursts_free(b);
	fakeclock_destroy(&fc);
}

/* A long burst: one line a second, no singles after the first window; at
 * debug level every line; under info none. */
static void test_long_burst_and_levels(void **state)
{
	struct fakeclock fc;
	struct log_bursts *b;
	struct logcap lc;
	static char out[1 << 16];
	unsigned written;

	(void)state;
	log_set_level(LOG_INFO);
	fakeclock_init(&fc, 1000);
	b = log_bursts_new(fakeclock_vclock(&fc), "vdp");
	logcap_begin(&lc);
	written = burst(b, &fc, "eth0", 5000, 1000); /* 5 s */
	log_bursts_free(b); /* writes what is held back */
	logcap_end(&lc, out, sizeof(out));
	assert_int_equal(written, LOG_BURST_SINGLES);
	assert_int_equal(count(out, "VSIs in"), 5);

	b = log_bursts_new(fakeclock_vclock(&fc), "vdp");
	logcap_begin(&lc);
	log_set_level(LOG_DEBUG);
	written = burst(b, &fc, "eth0", 100, 10);
	log_set_level(LOG_NOTICE);
	written += 1000 * burst(b, &fc, "eth0", 100, 10);
	log_set_level(LOG_INFO);
	log_bursts_free(b);
	logcap_end(&lc, out, sizeof(out));
	assert_int_equal(written, 100);
	assert_int_equal(count(out, ": associated\n"), 100);
	fakeclock_destroy(&fc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_one_line),
		cmocka_unit_test(test_singles_and_groups),
		cmocka_unit_test(test_long_burst_and_levels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
