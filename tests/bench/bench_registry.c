/* bench_registry: the port-profile registry at N interfaces (default 1000,
 * 10000 and 100000): attach + bind (with the reconcile each does), lookup
 * of the desired VSI by interface-id, a profile change that re-derives
 * every VSI, and a save + load of the state file.  Then what one change
 * costs to persist (a move of one interface, acknowledged only when
 * durable): before, a rewrite of the whole snapshot (tmp + fsync + rename
 * + directory fsync); after, one journal record (write + fdatasync); and
 * the cost of a compaction and of a load that replays the journal.
 * Prints figures only.  BENCH_N overrides the sizes; the state files go to
 * $TMPDIR (default /tmp). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vdp/store/journal.h"
#include "profiles/registry.h"
#include "profiles/store.h"

static unsigned long n_ev;

static void count(void *ctx, const struct reg_vsi *old, const struct reg_vsi *cur)
{
	(void)ctx;
	(void)old;
	(void)cur;
	n_ev++;
}

static const struct reg_ops ops = { .vsi_desired = count };

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void id_of(int i, char out[REG_UUID_STRLEN + 1])
{
	snprintf(out, REG_UUID_STRLEN + 1, "00000000-0000-4000-8000-%012x", i);
}

/* Moves interface i to the other network: one change of one entry. */
static int move(struct reg *reg, int i, struct reg_err *e)
{
	struct reg_attachment a = { .network = "" };
	const struct reg_attachment *cur;

	id_of(i, a.iface_id);
	cur = reg_attachment_get(reg, a.iface_id);
	snprintf(a.network, sizeof(a.network), "%s", cur && !strcmp(cur->network, "A") ? "B" : "A");
	return reg_attach(reg, &a, e);
}

static int persist(struct reg *reg, int n, const char *path, struct reg_err *e)
{
	int rounds = n >= 100000 ? 5 : n >= 10000 ? 20 : 50, appends = 500;
	char jpath[300];
	struct reg_store st;
	struct reg *again;
	uint64_t last;
	double t0, t1, t2, t3, t4, t5;

	/* Before: every change rewrote registry.json. */
	t0 = now();
	for (int k = 0; k < rounds; k++)
		if (move(reg, k % n, e) || reg_store_save(reg, path, e))
			return -1;
	t1 = now();
	/* After: the store the daemon uses (registry.json + registry.journal). */
	reg_store_journal_path(path, jpath, sizeof(jpath));
	unlink(jpath);
	unlink(path);
	again = reg_new(NULL, NULL);
	if (!again || reg_store_open(&st, again, path, NULL, e) != -ENOENT) {
		reg_free(again);
		return -1;
	}
	reg_free(again);
	reg_set_change_hook(reg, reg_store_note, &st);
	if (reg_store_compact(&st, reg, e))
		goto fail;
	t2 = now();
	for (int k = 0; k < appends; k++)
		if (move(reg, k % n, e) || reg_store_commit(&st, reg, e))
			goto fail;
	t3 = now();
	/* Load: snapshot + replay of the appended records. */
	again = reg_new(NULL, NULL);
	{
		struct reg_store st2;

		if (reg_store_open(&st2, again, path, NULL, e) < 0) {
			reg_free(again);
			goto fail;
		}
		last = st2.seq;
		reg_store_close(&st2);
	}
	t4 = now();
	reg_free(again);
	if (last != st.seq) {
		snprintf(e->msg, sizeof(e->msg), "replay ended at generation %llu, not %llu", (unsigned long long)last,
			 (unsigned long long)st.seq);
		goto fail;
	}
	t5 = now();
	if (reg_store_compact(&st, reg, e))
		goto fail;
	t5 = now() - t5;
	printf("interfaces %d: per-change persist: before (full rewrite) %.3f ms, after (journal append) %.3f ms "
	       "(%.0fx); compaction %.1f ms; load with %d journal records %.1f ms\n",
	       n, (t1 - t0) / rounds * 1e3, (t3 - t2) / appends * 1e3, ((t1 - t0) / rounds) / ((t3 - t2) / appends),
	       t5 * 1e3, appends, (t4 - t3) * 1e3);
	reg_set_change_hook(reg, NULL, NULL);
	reg_store_close(&st);
	unlink(jpath);
	unlink(path);
	return 0;
fail:
	reg_set_change_hook(reg, NULL, NULL);
	reg_store_close(&st);
	unlink(jpath);
	unlink(path);
	return -1;
}

static int run(int n)
{
	struct reg *reg = reg_new(&ops, NULL), *again;
	struct reg_profile pa = { .name = "a", .type = REG_VPORT_QBG, .typeid = 5 };
	struct reg_profile pb = { .name = "b", .type = REG_VPORT_QBG, .typeid = 6 };
	struct reg_uplink u = { .dev = "eth4", .physnet = "dc", .mode = REG_MODE_VEPA };
	struct reg_network na = { .name = "A", .physnet = "dc", .profile = "a", .vlan = 10 };
	struct reg_network nb = { .name = "B", .physnet = "dc", .profile = "b", .vlan = 20 };
	char path[256], id[REG_UUID_STRLEN + 1];
	const char *tmp = getenv("TMPDIR");
	unsigned long hits = 0;
	struct reg_err e;
	double t0, t1, t2, t3, t4, t5;
	int rounds = n < 10000 ? 100 : 5;

	n_ev = 0;
	snprintf(path, sizeof(path), "%s/bench_registry.%ld.json", tmp ? tmp : "/tmp", (long)getpid());
	if (reg_profile_add(reg, &pa, &e) || reg_profile_add(reg, &pb, &e) || reg_uplink_add(reg, &u, &e) ||
	    reg_network_add(reg, &na, &e) || reg_network_add(reg, &nb, &e))
		goto fail;
	t0 = now();
	for (int i = 0; i < n; i++) {
		struct reg_attachment a = { .network = "A" };
		struct reg_binding b = { .uplink = "eth4",
					 .mac = { 0x52, 0x54, 0, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i } };

		id_of(i, a.iface_id);
		memcpy(b.iface_id, a.iface_id, sizeof(b.iface_id));
		if (reg_attach(reg, &a, &e) || reg_bind(reg, &b, &e))
			goto fail;
	}
	t1 = now();
	for (int k = 0; k < rounds; k++)
		for (int i = 0; i < n; i++) {
			id_of(i, id);
			hits += reg_vsi_get(reg, id) != NULL;
		}
	t2 = now();
	pa.typeid = 7;
	if (reg_profile_set(reg, &pa, &e))
		goto fail;
	t3 = now();
	if (reg_store_save(reg, path, &e))
		goto fail;
	t4 = now();
	again = reg_new(NULL, NULL);
	if (reg_store_load(again, path, NULL, &e)) {
		reg_free(again);
		goto fail;
	}
	t5 = now();
	unlink(path);
	printf("interfaces %d: attach+bind %.2f us each; desired-VSI lookup %.0f ns (%lu hits); "
	       "profile change re-derives %d VSIs in %.1f ms; save %.1f ms, load %.1f ms\n",
	       n, (t1 - t0) / n * 1e6, (t2 - t1) / ((double)rounds * n) * 1e9, hits, n, (t3 - t2) * 1e3,
	       (t4 - t3) * 1e3, (t5 - t4) * 1e3);
	reg_free(again);
	if (persist(reg, n, path, &e))
		goto fail;
	reg_free(reg);
	return 0;
fail:
	fprintf(stderr, "bench_registry: %s\n", e.msg);
	reg_free(reg);
	return 1;
}

int main(void)
{
	const char *env = getenv("BENCH_N");

	if (env)
		return run(atoi(env));
	return run(1000) || run(10000) || run(100000);
}
