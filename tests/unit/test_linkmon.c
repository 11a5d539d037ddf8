/* Link monitor against the kernel, in a private network namespace created
 * for the test (skipped when that is not allowed): a veth pair appears,
 * comes up, is renamed and removed, and each step is reported. */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "vdp/ctl/ctl.h"
#include "vdp/io/linkmon.h"
#include "vdp/base/log.h"

struct rec {
	int n;
	struct {
		enum linkmon_ev ev;
		char ifname[IF_NAMESIZE];
		int ifindex;
		bool exists, up;
	} e[256];
};

static void on_link(void *ctx, enum linkmon_ev ev, const char *ifname, int ifindex, bool exists, bool up)
{
	struct rec *r = ctx;

	if (r->n >= 256)
		return;
	r->e[r->n].ev = ev;
	snprintf(r->e[r->n].ifname, IF_NAMESIZE, "%s", ifname);
	r->e[r->n].ifindex = ifindex;
	r->e[r->n].exists = exists;
	r->e[r->n].up = up;
	r->n++;
}

static const struct linkmon_ops ops = { .link = on_link };

struct fx {
	struct event_base *base;
	struct linkmon *lm;
	struct rec rec;
};

static int group_setup(void **state)
{
	(void)state;
	log_init("test_linkmon", LOG_TO_STDERR, LOG_CRIT);
	/* Our own network namespace: nothing we do is seen outside. */
	if (unshare(CLONE_NEWNET) < 0)
		return 0;	/* tests skip below */
	if (system("ip link set lo up") != 0)
		return -1;
	return 0;
}

static bool private_netns(void)
{
	/* After unshare only lo exists: no eth*, ens*, ifb* etc. */
	return if_nametoindex("lo") == 1 && if_nametoindex("ifb0") == 0 && if_nametoindex("eth0") == 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->base = event_base_new();
	f->lm = linkmon_new(f->base, &ops, &f->rec);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (system("ip link del lmA 2>/dev/null; ip link del lmC 2>/dev/null; "
		   "ip link del lmP 2>/dev/null; ip link del lmBr 2>/dev/null") < 0)
		return -1;
	linkmon_free(f->lm);
	event_base_free(f->base);
	free(f);
	return 0;
}

/* Index of the first event after 'from' matching, or -1 by the deadline. */
static int wait_event(struct fx *f, int from, enum linkmon_ev ev, const char *ifname, int up)
{
	int64_t end = ctl_deadline(3000);

	for (;;) {
		for (int i = from; i < f->rec.n; i++)
			if (f->rec.e[i].ev == ev && strcmp(f->rec.e[i].ifname, ifname) == 0 &&
			    (up < 0 || f->rec.e[i].up == (up != 0)))
				return i;
		if (ctl_deadline(0) > end)
			return -1;
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

static void sh(const char *cmd)
{
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static void test_add_up_rename_del(void **state)
{
	struct fx *f = *state;
	int i, ifindex = 0;
	bool up = true;

	if (!private_netns())
		skip();
	assert_non_null(f->lm);
	sh("ip link add lmA type veth peer name lmB");
	i = wait_event(f, 0, LINKMON_NEW, "lmA", 0);
	assert_true(i >= 0);
	assert_true(f->rec.e[i].exists);
	assert_int_equal(linkmon_lookup(f->lm, "lmA", &ifindex, &up), 0);
	assert_int_equal(ifindex, (int)if_nametoindex("lmA"));
	assert_false(up);

	/* Up needs carrier: both ends up. */
	sh("ip link set lmA up && ip link set lmB up");
	i = wait_event(f, i + 1, LINKMON_CHANGE, "lmA", 1);
	assert_true(i >= 0);
	assert_int_equal(f->rec.e[i].ifindex, ifindex);
	assert_int_equal(linkmon_lookup(f->lm, "lmA", NULL, &up), 0);
	assert_true(up);

	/* Peer down: carrier lost, lmA reported down though still IFF_UP. */
	sh("ip link set lmB down");
	i = wait_event(f, i + 1, LINKMON_CHANGE, "lmA", 0);
	assert_true(i >= 0);

	/* Rename: same index under the new name. */
	sh("ip link set lmA down && ip link set lmA name lmC");
	i = wait_event(f, i + 1, LINKMON_CHANGE, "lmC", -1);
	assert_true(i >= 0);
	assert_int_equal(f->rec.e[i].ifindex, ifindex);
	assert_int_equal(linkmon_lookup(f->lm, "lmA", NULL, NULL), -ENODEV);

	sh("ip link del lmC");
	i = wait_event(f, i + 1, LINKMON_DEL, "lmC", -1);
	assert_true(i >= 0);
	assert_false(f->rec.e[i].exists);
	assert_int_equal(f->rec.e[i].ifindex, ifindex);

	struct linkmon_stats st;
	linkmon_get_stats(f->lm, &st);
	assert_true(st.adds >= 2);	/* lmA and lmB */
	assert_true(st.dels >= 1);
	assert_int_equal(st.events, (uint64_t)f->rec.n);
	json_t *j = linkmon_json(f->lm);
	json_t *evs = json_object_get(j, "events");
	assert_int_equal(json_array_size(evs), f->rec.n < LINKMON_LOG ? (size_t)f->rec.n : LINKMON_LOG);
	assert_string_equal(json_string_value(json_object_get(json_array_get(evs, json_array_size(evs) - 1),
							      "event")), "del");
	json_decref(j);
}

/* A Linux bridge as uplink (libvirt's <source dev> must not be a veth, so
 * hosts use a bridge): libnl 3.7 keeps the bridge device itself as an
 * AF_BRIDGE object (no AF_UNSPEC one), and its ports get extra AF_BRIDGE
 * objects.  The bridge must be seen coming up and going down, and be found
 * by name; its port must still be seen as itself. */
static void test_bridge(void **state)
{
	struct fx *f = *state;
	int i, ifindex = 0;
	bool up = false;

	if (!private_netns())
		skip();
	assert_non_null(f->lm);
	sh("ip link add lmBr type bridge stp_state 0 forward_delay 0");
	sh("ip link add lmP type veth peer name lmQ && ip link set lmP master lmBr");
	sh("ip link set lmQ up && ip link set lmP up && ip link set lmBr up");
	i = wait_event(f, 0, LINKMON_CHANGE, "lmBr", 1);
	if (i < 0)	/* the first report may already say up */
		i = wait_event(f, 0, LINKMON_NEW, "lmBr", 1);
	assert_true(i >= 0);
	assert_int_equal(f->rec.e[i].ifindex, (int)if_nametoindex("lmBr"));
	assert_int_equal(linkmon_lookup(f->lm, "lmBr", &ifindex, &up), 0);
	assert_int_equal(ifindex, (int)if_nametoindex("lmBr"));
	assert_true(up);
	assert_true(wait_event(f, 0, LINKMON_CHANGE, "lmP", 1) >= 0);

	/* the last port loses carrier: the bridge is down, still IFF_UP */
	sh("ip link set lmQ down");
	i = wait_event(f, i + 1, LINKMON_CHANGE, "lmBr", 0);
	assert_true(i >= 0);
	assert_int_equal(linkmon_lookup(f->lm, "lmBr", NULL, &up), 0);
	assert_false(up);

	sh("ip link del lmBr");
	assert_true(wait_event(f, i + 1, LINKMON_DEL, "lmBr", -1) >= 0);
	assert_int_equal(linkmon_lookup(f->lm, "lmBr", NULL, NULL), -ENODEV);
}

static void test_replay(void **state)
{
	struct fx *f = *state;
	int n0;

	if (!private_netns())
		skip();
	assert_non_null(f->lm);
	n0 = f->rec.n;
	linkmon_replay(f->lm);
	/* Every link in the namespace once, as RESYNC: here only lo. */
	assert_int_equal(f->rec.n - n0, 1);
	assert_int_equal(f->rec.e[n0].ev, LINKMON_RESYNC);
	assert_string_equal(f->rec.e[n0].ifname, "lo");
	assert_true(f->rec.e[n0].up);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_up_rename_del, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bridge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
