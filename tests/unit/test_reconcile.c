/* The reconciler (vdp/daemon/reconcile.h) with a fake clock and a fake
 * station: which ends are retried, the backoff schedule and its jitter,
 * that a hard refusal is never asked again, one heal per VSI, the pull
 * forward by a live bridge and by EVB converging. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/fakeclock.h"
#include "vdp/daemon/reconcile.h"

struct fake {
	struct fakeclock fc;
	struct reconcile rc;
	bool ours; /* desired() answers 1 */
	int req_rc; /* what request() returns */
	unsigned n_req;
	uint64_t req_at[64];
	unsigned n_ev;
	char last_ev[32];
};

static int f_desired(void *ctx, const char *uplink, uint8_t fmt, const uint8_t vsiid[VDP_VSIID_LEN],
		     struct vdp_request *req, struct vdp_filter *filters)
{
	struct fake *f = ctx;

	(void)uplink;
	memset(req, 0, sizeof(*req));
	req->mode = VDP_MODE_ASSOC;
	req->vsiid_fmt = fmt;
	memcpy(req->vsiid, vsiid, VDP_VSIID_LEN);
	req->filters = filters;
	return f->ours;
}

static int f_request(void *ctx, const char *uplink, const struct vdp_request *req)
{
	struct fake *f = ctx;

	(void)uplink;
	(void)req;
	if (f->n_req < 64)
		f->req_at[f->n_req] = f->fc.now;
	f->n_req++;
	return f->req_rc;
}

static void f_event(void *ctx, const struct rc_entry *e, const char *what)
{
	struct fake *f = ctx;

	(void)e;
	f->n_ev++;
	snprintf(f->last_ev, sizeof(f->last_ev), "%s", what);
}

static const struct reconcile_ops f_ops = { f_desired, f_request, f_event };

#define BUDGET 40960 /* (R+1) x ackTimer at R 3, RTE 10 */

static struct fake *fake_new(void)
{
	struct fake *f = calloc(1, sizeof(*f));

	fakeclock_init(&f->fc, 1000000);
	reconcile_init(&f->rc, fakeclock_vclock(&f->fc), &f_ops, f);
	reconcile_seed(&f->rc, 42);
	f->ours = true;
	return f;
}

static void fake_free(struct fake *f)
{
	reconcile_fini(&f->rc);
	assert_int_equal(fakeclock_armed(&f->fc), 0);
	fakeclock_destroy(&f->fc);
	free(f);
}

static struct vsi *mkvsi(uint8_t id, uint8_t reason, uint8_t status)
{
	struct vsi *v = vsi_alloc(1);

	v->vsiid_fmt = VDP_VSIID_UUID;
	v->vsiid[15] = id;
	v->state = VDP_ST_END;
	v->reason = reason;
	v->status = status;
	return v;
}

/* One end of VSI id, reported as the station does. */
static void end_of(struct fake *f, uint8_t id, uint8_t reason, uint8_t status)
{
	struct vsi *v = mkvsi(id, reason, status);

	reconcile_vsi_event(
		&f->rc, "eth0", v,
		reason == VDP_END_BRIDGE_DEASSOC ? VDP_EV_BRIDGE_DEASSOC : VDP_EV_FAILED, BUDGET);
	free(v);
}

static void ok_of(struct fake *f, uint8_t id, enum vdp_event ev)
{
	struct vsi *v = mkvsi(id, VDP_END_NONE, 0);

	v->state = VDP_ST_WAIT_SYSCMD;
	reconcile_vsi_event(&f->rc, "eth0", v, ev, BUDGET);
	free(v);
}

static const struct rc_entry *entry(struct fake *f, uint8_t id)
{
	uint8_t vsiid[VDP_VSIID_LEN] = { [15] = id };

	return reconcile_find(&f->rc, "eth0", VDP_VSIID_UUID, vsiid);
}

static void test_verdicts(void **state)
{
	static const struct {
		uint8_t reason, status;
		enum rc_verdict want;
	} t[] = {
		{ VDP_END_TIMEOUT, 0, RC_RETRY },
		{ VDP_END_TX_ERROR, 0, RC_RETRY },
		{ VDP_END_BRIDGE_DEASSOC, 0, RC_RETRY },
		{ VDP_END_INTERNAL, 0, RC_RETRY },
		{ VDP_END_REJECTED, 0x40 | VDP_R_INSUFFICIENT_RESOURCES, RC_RETRY },
		{ VDP_END_REJECTED, 0x40 | VDP_R_UNABLE_TO_CONTACT_MANAGER, RC_RETRY },
		{ VDP_END_REJECTED, 0x40 | VDP_STATUS_HARD | VDP_R_INSUFFICIENT_RESOURCES,
		  RC_GIVE_UP },
		{ VDP_END_REJECTED, 0x40 | VDP_STATUS_HARD | VDP_R_UNABLE_TO_CONTACT_MANAGER,
		  RC_GIVE_UP },
		{ VDP_END_REJECTED, 0x40 | VDP_R_INVALID_FORMAT, RC_GIVE_UP },
		{ VDP_END_REJECTED, 0x40 | VDP_R_OTHER_FAILURE, RC_GIVE_UP },
		{ VDP_END_REJECTED, 0x40 | VDP_R_INVALID_VID_GROUP_MAC, RC_GIVE_UP },
		{ VDP_END_TOO_BIG, 0, RC_GIVE_UP },
		{ VDP_END_DEASSOCIATED, 0, RC_OPERATOR },
		{ VDP_END_NONE, 0, RC_OPERATOR },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(reconcile_verdict(t[i].reason, t[i].status), t[i].want);
}

/* min(max, base x 2^(n-1)); the retries of one VSI that keeps failing
 * come at a delay drawn from [d/2, d]. */
static void test_backoff_schedule(void **state)
{
	struct fake *f = fake_new();
	uint64_t at;

	(void)state;
	reconcile_set_params(&f->rc, 0, 1000000);
	assert_int_equal(reconcile_backoff_us(&f->rc, BUDGET, 1), BUDGET);
	assert_int_equal(reconcile_backoff_us(&f->rc, BUDGET, 2), 2 * BUDGET);
	assert_int_equal(reconcile_backoff_us(&f->rc, BUDGET, 5), 16 * BUDGET);
	assert_int_equal(reconcile_backoff_us(&f->rc, BUDGET, 6), 1000000);
	assert_int_equal(reconcile_backoff_us(&f->rc, BUDGET, 40), 1000000);
	at = f->fc.now;
	end_of(f, 1, VDP_END_TIMEOUT, 0);
	assert_string_equal(f->last_ev, "retry-scheduled");
	for (unsigned n = 1; n <= 10; n++) {
		uint64_t d = reconcile_backoff_us(&f->rc, BUDGET, n);

		assert_int_equal(entry(f, 1)->state, RC_WAITING);
		assert_true(fakeclock_run_next(&f->fc));
		assert_int_equal(f->n_req, n);
		assert_true(f->fc.now - at >= d / 2 && f->fc.now - at <= d);
		assert_int_equal(entry(f, 1)->state, RC_TRYING);
		assert_int_equal(entry(f, 1)->attempts, n);
		at = f->fc.now;
		end_of(f, 1, VDP_END_TX_ERROR, 0); /* the retry failed too */
	}
	assert_int_equal(f->rc.cnt.retries, 10);
	/* configured start */
	reconcile_set_params(&f->rc, 5000, 20000);
	assert_int_equal(reconcile_backoff_us(&f->rc, 5000, 3), 20000);
	fake_free(f);
}

/* Every end reason: retried (a request after at most the first delay) or
 * not (nothing even an hour later). */
static void test_end_reasons(void **state)
{
	static const struct {
		uint8_t reason, status;
		bool retried;
	} t[] = {
		{ VDP_END_TIMEOUT, 0, true },
		{ VDP_END_TX_ERROR, 0, true },
		{ VDP_END_BRIDGE_DEASSOC, 0, true },
		{ VDP_END_REJECTED, 0x40 | VDP_R_INSUFFICIENT_RESOURCES, true },
		{ VDP_END_REJECTED, 0x40 | VDP_R_UNABLE_TO_CONTACT_MANAGER, true },
		{ VDP_END_REJECTED, 0x40 | VDP_STATUS_HARD | VDP_R_INSUFFICIENT_RESOURCES, false },
		{ VDP_END_REJECTED, 0x40 | VDP_R_INVALID_FORMAT, false },
		{ VDP_END_REJECTED, 0x40 | VDP_R_OTHER_FAILURE, false },
		{ VDP_END_TOO_BIG, 0, false },
		{ VDP_END_DEASSOCIATED, 0, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct fake *f = fake_new();

		end_of(f, 2, t[i].reason, t[i].status);
		fakeclock_advance(&f->fc, BUDGET);
		assert_int_equal(f->n_req, t[i].retried ? 1 : 0);
		fakeclock_advance(&f->fc, 3600ULL * 1000000);
		if (!t[i].retried) {
			assert_int_equal(f->n_req, 0);
			if (t[i].reason != VDP_END_DEASSOCIATED) {
				/* shown as given up, with the bridge's status */
				assert_non_null(entry(f, 2));
				assert_int_equal(entry(f, 2)->state, RC_GAVE_UP);
				assert_int_equal(entry(f, 2)->status, t[i].status);
				assert_int_equal(f->rc.cnt.given_up, 1);
			} else {
				assert_null(entry(f, 2));
			}
		}
		fake_free(f);
	}
}

/* Not ours (libvirt's, deleted): nothing scheduled; deleted while waiting:
 * dropped at the next try. */
static void test_not_ours(void **state)
{
	struct fake *f = fake_new();

	(void)state;
	f->ours = false;
	end_of(f, 3, VDP_END_BRIDGE_DEASSOC, 0);
	assert_null(entry(f, 3));
	f->ours = true;
	end_of(f, 3, VDP_END_BRIDGE_DEASSOC, 0);
	assert_non_null(entry(f, 3));
	f->ours = false;
	fakeclock_advance(&f->fc, BUDGET);
	assert_int_equal(f->n_req, 0);
	assert_null(entry(f, 3));
	fake_free(f);
}

/* One heal per VSI: confirmed after the retry, counted once, state gone;
 * a VSI alive by other means (request() says 1) is dropped uncounted. */
static void test_heal_once(void **state)
{
	struct fake *f = fake_new();

	(void)state;
	end_of(f, 4, VDP_END_BRIDGE_DEASSOC, 0);
	end_of(f, 4, VDP_END_BRIDGE_DEASSOC, 0); /* a second report: same entry */
	assert_int_equal(f->rc.n, 1);
	fakeclock_advance(&f->fc, BUDGET);
	assert_int_equal(f->n_req, 1);
	ok_of(f, 4, VDP_EV_ASSOCIATED);
	assert_string_equal(f->last_ev, "healed");
	assert_null(entry(f, 4));
	assert_int_equal(f->rc.cnt.reassociations, 1);
	ok_of(f, 4, VDP_EV_ASSOCIATED);
	assert_int_equal(f->rc.cnt.reassociations, 1);
	end_of(f, 5, VDP_END_TIMEOUT, 0);
	f->req_rc = 1;
	fakeclock_advance(&f->fc, BUDGET);
	assert_null(entry(f, 5));
	assert_int_equal(f->rc.cnt.reassociations, 1);
	/* the uplink not running: tried later, with backoff */
	f->req_rc = -ENETDOWN;
	end_of(f, 6, VDP_END_TIMEOUT, 0);
	fakeclock_advance(&f->fc, BUDGET);
	assert_int_equal(entry(f, 6)->state, RC_WAITING);
	assert_int_equal(entry(f, 6)->attempts, 1);
	fake_free(f);
}

/* A VSI far into its backoff is tried within about one ECP budget once
 * the bridge confirms anything on the uplink; a refusal keeps its
 * backoff; EVB converging again pulls everything. */
static void test_pull_forward(void **state)
{
	struct fake *f = fake_new();
	const struct rc_entry *e;

	(void)state;
	for (int i = 0; i < 10; i++) {
		end_of(f, 7, VDP_END_TX_ERROR, 0);
		assert_true(fakeclock_run_next(&f->fc));
	}
	end_of(f, 7, VDP_END_TX_ERROR, 0);
	end_of(f, 8, VDP_END_REJECTED, 0x40 | VDP_R_INSUFFICIENT_RESOURCES);
	for (int i = 0; i < 9; i++) {
		assert_true(fakeclock_run_next(&f->fc));
		end_of(f, 8, VDP_END_REJECTED, 0x40 | VDP_R_INSUFFICIENT_RESOURCES);
	}
	e = entry(f, 7);
	assert_true(e->next_us - f->fc.now > 10 * BUDGET);
	uint64_t far8 = entry(f, 8)->next_us;
	assert_true(far8 - f->fc.now > 10 * BUDGET);
	unsigned n0 = f->n_req;
	ok_of(f, 9, VDP_EV_KEEPALIVE_OK);
	assert_true(entry(f, 7)->next_us - f->fc.now <= BUDGET);
	assert_int_equal(entry(f, 8)->next_us, far8);
	fakeclock_advance(&f->fc, BUDGET);
	assert_int_equal(f->n_req, n0 + 1);
	assert_int_equal(f->rc.cnt.pulled, 1);
	reconcile_uplink_up(&f->rc, "eth0", BUDGET);
	assert_true(entry(f, 8)->next_us - f->fc.now <= BUDGET);
	fakeclock_advance(&f->fc, BUDGET);
	assert_int_equal(f->n_req, n0 + 2);
	fake_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),    cmocka_unit_test(test_backoff_schedule),
		cmocka_unit_test(test_end_reasons), cmocka_unit_test(test_not_ours),
		cmocka_unit_test(test_heal_once),   cmocka_unit_test(test_pull_forward),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
