/* Engine micro-benchmark: N VSIs associated back to back station<->bridge
 * in memory (tests/unit/b2b.c, fake clock), then one keep-alive round and
 * de-association.  Prints figures; asserts nothing.
 *
 *   bench_engine [N ...]        default: 1000 10000
 *
 * Environment: BENCH_KA_SPREAD=pct sets the station's keep-alive spread
 * (default: the engine's, 12; 0 = every keep-alive of a wave at once);
 * BENCH_KA_ROUNDS=k runs k keep-alive rounds instead of one and prints each
 * (the spread splits a wave further each round). */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* The bench is one file by the Makefile's convention: pull in the test
 * helpers it shares with test_engine_b2b. */
#include "tests/unit/fakeclock.c"
#include "tests/unit/b2b.c"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static unsigned env_uint(const char *name, unsigned dflt)
{
	const char *s = getenv(name);

	return s && *s ? (unsigned)strtoul(s, NULL, 10) : dflt;
}

static void bench(uint32_t n)
{
	struct b2b *b = calloc(1, sizeof(*b));
	size_t h0, h1, h2;
	double t0, t1, t2, t3, t4;
	uint64_t e0, l0, ka, sink = 0;
	uint32_t reps;
	uint8_t id[16], mac[6];

	if (!b || b2b_init(b) < 0) {
		fprintf(stderr, "init failed\n");
		exit(1);
	}
	vdp_station_set_ka_spread(&b->st, env_uint("BENCH_KA_SPREAD", VDP_KA_SPREAD_PCT));
	h0 = heap_used();
	t0 = now_s();
	for (uint32_t i = 0; i < n; i++)
		b2b_request(b, i, VDP_MODE_ASSOC, i % 2 ? 0 : 10);
	t1 = now_s();
	h1 = heap_used();
	b2b_pump(b);
	t2 = now_s();
	h2 = heap_used();

	printf("N=%u\n", n);
	printf("  associate: %.3f ms wall (requests %.3f ms, protocol %.3f ms), %.2f us/VSI\n",
	       (t2 - t0) * 1e3, (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t2 - t0) * 1e6 / n);
	printf("  associated: station %llu events, bridge %zu VSIs, fake time used %llu us\n",
	       (unsigned long long)b->st_events[VDP_EV_ASSOCIATED], vdp_bridge_count(&b->br),
	       (unsigned long long)(b->fc.now - 1000000));
	printf("  ECPDUs: station %llu (%.1f TLVs/ECPDU), bridge %llu (%.1f TLVs/ECPDU), frames %llu\n",
	       (unsigned long long)b->st.cnt.ecpdu_tx, (double)b->st.cnt.tlv_tx / b->st.cnt.ecpdu_tx,
	       (unsigned long long)b->br.cnt.ecpdu_tx, (double)b->br.cnt.tlv_tx / b->br.cnt.ecpdu_tx,
	       (unsigned long long)(b->frames_to_bridge + b->frames_to_station));
	printf("  memory: station %.0f B/VSI, bridge %.0f B/VSI (heap, incl. timer and hash buckets); "
	       "sizeof(struct vsi) %zu + %zu per filter\n",
	       (double)(h1 - h0) / n, (double)(h2 - h1) / n, sizeof(struct vsi), sizeof(struct vsi_fent));

	/* Lookups in a scattered order, repeated to at least 10^6. */
	reps = n >= 1000000 ? 1 : 1000000 / n;
	t0 = now_s();
	for (uint32_t r = 0; r < reps; r++)
		for (uint32_t i = 0; i < n; i++) {
			b2b_vsiid((i * 2654435761u) % n, id);
			sink += (uintptr_t)vdp_station_find(&b->st, VDP_VSIID_UUID, id);
		}
	t1 = now_s();
	for (uint32_t r = 0; r < reps; r++)
		for (uint32_t i = 0; i < n; i++) {
			uint32_t k = (i * 2654435761u) % n;
			b2b_mac(k, mac);
			sink += (uintptr_t)vdp_bridge_find_mac(&b->br, mac, k % 2 ? 100 : 10);
		}
	t2 = now_s();
	/* The same loop without the lookup, to subtract key building. */
	for (uint32_t r = 0; r < reps; r++)
		for (uint32_t i = 0; i < n; i++) {
			b2b_vsiid((i * 2654435761u) % n, id);
			sink += id[15];
			__asm__ volatile("" : : "r"(id) : "memory");
		}
	t3 = now_s();
	printf("  lookup: by VSIID %.1f ns, by MAC/VID %.1f ns (%llu random-order lookups each; "
	       "key building, %.1f ns, subtracted)%s\n",
	       ((t1 - t0) - (t3 - t2)) * 1e9 / ((double)reps * n),
	       ((t2 - t1) - (t3 - t2)) * 1e9 / ((double)reps * n),
	       (unsigned long long)reps * n, (t3 - t2) * 1e9 / ((double)reps * n), sink ? "" : " !");

	/* Keep-alive rounds: the first is a window of 1.25 reinitKeepAlive,
	 * each further one ends once every VSI sent one more. */
	ka = vdp_station_keepalive_us(&b->st);
	for (unsigned k = 0, rounds = env_uint("BENCH_KA_ROUNDS", 1); k < rounds; k++) {
		e0 = b->st.cnt.ecpdu_tx;
		l0 = b->st.cnt.ka_tx;
		t3 = now_s();
		if (k == 0)
			b2b_run_for(b, ka + ka / 4);
		else
			while (b->st.cnt.ka_tx < l0 + n && fakeclock_run_next(&b->fc))
				b2b_pump(b);
		t4 = now_s();
		printf("  keep-alive round: %llu KAs in %llu ECPDUs, %.3f ms wall, bridge timeouts "
		       "%llu\n",
		       (unsigned long long)(b->st.cnt.ka_tx - l0),
		       (unsigned long long)(b->st.cnt.ecpdu_tx - e0), (t4 - t3) * 1e3,
		       (unsigned long long)b->br.cnt.timeouts);
	}

	t3 = now_s();
	for (uint32_t i = 0; i < n; i++)
		b2b_request(b, i, VDP_MODE_DEASSOC, 0);
	b2b_pump(b);
	t4 = now_s();
	printf("  de-associate: %.3f ms wall, bridge left %zu VSIs\n", (t4 - t3) * 1e3,
	       vdp_bridge_count(&b->br));
	b2b_destroy(b);
	free(b);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		bench(1000);
		bench(10000);
		return 0;
	}
	for (int i = 1; i < argc; i++)
		bench((uint32_t)strtoul(argv[i], NULL, 10));
	return 0;
}
