/* VSI table and pending FIFO.  On x86-64: sizeof(struct vsi) = 112 and
 * sizeof(struct vsi_fent) = 24, so a VSI with one MAC/VID filter is one
 * 136-octet allocation (lldpad: 128 + 32 per filter, plus one malloc per
 * armed timer); the test prints the sizes of the build it runs in. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/engine_frames.h"
#include "vdp/engine/vsi.h"

static struct vsi *mk(uint32_t i, uint16_t nf, uint8_t mgr)
{
	struct vsi *v = vsi_alloc(nf);
	struct vdp_filter f[4] = { 0 };

	assert_non_null(v);
	v->vsiid_fmt = VDP_VSIID_UUID;
	tf_vsiid(i, v->vsiid);
	v->mgrid[0] = mgr;
	v->type_id = 5;
	for (uint16_t k = 0; k < nf; k++) {
		tf_mac(i * 4 + k, f[k].mac);
		f[k].ps_pcp_vid = (uint16_t)(10 + k);
	}
	vsi_set_filters(v, VDP_FILTER_MAC_VID, f, nf);
	return v;
}

static void test_sizes(void **state)
{
	(void)state;
	print_message("sizeof(struct vsi) = %zu, sizeof(struct vsi_fent) = %zu\n",
		      sizeof(struct vsi), sizeof(struct vsi_fent));
	assert_true(sizeof(struct vsi) <= 128);
	assert_true(sizeof(struct vsi) <= 112 || sizeof(void *) != 8);
	assert_true(sizeof(struct vsi_fent) <= 32);
}

static void test_table_grow_find_iterate(void **state)
{
	(void)state;
	const uint32_t n = 5000;
	struct vsi_table t;
	struct vsi **all = calloc(n, sizeof(*all));
	uint8_t id[16], mac[6];
	size_t seen = 0;

	assert_int_equal(vsi_table_init(&t), 0);
	for (uint32_t i = 0; i < n; i++) {
		all[i] = mk(i, 2, 1);
		assert_int_equal(vsi_table_add(&t, all[i]), 0);
	}
	assert_int_equal(t.n, n);
	assert_int_equal(t.n_mac, 2 * n);
	assert_true(t.id_mask + 1 >= n);	/* grew: load <= 1 */
	assert_true(t.mac_mask + 1 >= 2 * n);
	/* Duplicate VSIID refused. */
	struct vsi *dup = mk(7, 1, 1);
	assert_int_equal(vsi_table_add(&t, dup), -EEXIST);
	free(dup);
	for (uint32_t i = 0; i < n; i++) {
		tf_vsiid(i, id);
		assert_ptr_equal(vsi_table_find(&t, VDP_VSIID_UUID, id), all[i]);
		assert_null(vsi_table_find(&t, VDP_VSIID_LOCAL, id));
		tf_mac(i * 4 + 1, mac);
		assert_ptr_equal(vsi_table_find_mac(&t, mac, 11), all[i]);
		assert_null(vsi_table_find_mac(&t, mac, 10));
	}
	/* Iteration sees each VSI once, and survives deleting the current. */
	for (struct vsi *v = vsi_table_first(&t), *nx; v; v = nx) {
		nx = vsi_table_next(&t, v);
		seen++;
		uint32_t i = (uint32_t)v->vsiid[14] << 8 | v->vsiid[15];
		if (i % 2) {
			vsi_table_del(&t, v);
			free(v);
			all[i] = NULL;
		}
	}
	assert_int_equal(seen, n);
	assert_int_equal(t.n, n / 2);
	assert_int_equal(t.n_mac, n);
	for (uint32_t i = 0; i < n; i++) {
		tf_vsiid(i, id);
		tf_mac(i * 4, mac);
		if (i % 2) {
			assert_null(vsi_table_find(&t, VDP_VSIID_UUID, id));
			assert_null(vsi_table_find_mac(&t, mac, 10));
		} else {
			assert_ptr_equal(vsi_table_find_mac(&t, mac, 10), all[i]);
		}
	}
	/* A filter change goes through unindex/index. */
	vsi_table_unindex_filters(&t, all[0]);
	all[0]->filters[0].f.ps_pcp_vid = 300;
	assert_int_equal(vsi_table_index_filters(&t, all[0]), 0);
	tf_mac(0, mac);
	assert_null(vsi_table_find_mac(&t, mac, 10));
	assert_ptr_equal(vsi_table_find_mac(&t, mac, 300), all[0]);
	for (uint32_t i = 0; i < n; i++)
		if (all[i]) {
			vsi_table_del(&t, all[i]);
			free(all[i]);
		}
	assert_int_equal(t.n, 0);
	assert_int_equal(t.n_mac, 0);
	assert_null(vsi_table_first(&t));
	vsi_table_destroy(&t);
	free(all);
}

static void fill(void *arg, const struct vsi *v, struct vdp_assoc *a)
{
	(void)arg;
	vsi_to_assoc(v, VDP_TLV_ASSOC, 0, a);
}

/* The priority prefix: keep-alives before plain entries, each group in
 * FIFO order; removing and popping keep the prefix right. */
/* A walk resumed after the last key seen (vsi.show's "after") while VSIs
 * are added and removed between pages and the table doubles: keys come in
 * strictly rising order, so none twice, and every VSI present through the
 * whole walk is met exactly once. */
static void test_table_resume_after(void **state)
{
	(void)state;
	const uint32_t n0 = 1000, n_max = 4000;
	struct vsi_table t;
	struct vsi **all = calloc(n_max, sizeof(*all));
	uint8_t *seen = calloc(n_max, 1), *gone = calloc(n_max, 1), last_id[16];
	uint8_t last_fmt = 0;
	uint32_t next = n0, pages = 0;
	size_t mask0;
	bool started = false;

	assert_int_equal(vsi_table_init(&t), 0);
	for (uint32_t i = 0; i < n0; i++) {
		all[i] = mk(i, 1, 1);
		assert_int_equal(vsi_table_add(&t, all[i]), 0);
	}
	mask0 = t.id_mask;
	for (;;) {
		struct vsi *v =
			started ? vsi_table_after(&t, last_fmt, last_id) : vsi_table_first(&t);
		uint32_t k = 0;

		for (; v && k < 7; v = vsi_table_next(&t, v), k++) {
			uint32_t i = (uint32_t)v->vsiid[14] << 8 | v->vsiid[15];

			if (started)
				assert_true(vsi_table_cmp(&t, v, last_fmt, last_id) > 0);
			assert_int_equal(seen[i], 0);
			seen[i] = 1;
			last_fmt = v->vsiid_fmt;
			memcpy(last_id, v->vsiid, 16);
			started = true;
		}
		if (k == 0)
			break;
		pages++;
		/* Between pages: remove the VSI the cursor names (the walk
		 * must resume without it) and another, add five. */
		struct vsi *cur = vsi_table_find(&t, last_fmt, last_id);
		assert_non_null(cur);
		uint32_t ci = (uint32_t)cur->vsiid[14] << 8 | cur->vsiid[15];
		vsi_table_del(&t, cur);
		gone[ci] = 1;
		uint32_t other = (pages * 37) % next;
		if (!gone[other]) {
			vsi_table_del(&t, all[other]);
			gone[other] = 1;
		}
		for (int a = 0; a < 5 && next < n_max; a++, next++) {
			all[next] = mk(next, 1, 1);
			assert_int_equal(vsi_table_add(&t, all[next]), 0);
		}
	}
	assert_true(t.id_mask > mask0); /* the table doubled during the walk */
	for (uint32_t i = 0; i < n0; i++)
		if (!gone[i])
			assert_int_equal(seen[i], 1);
	for (uint32_t i = 0; i < next; i++) {
		if (!gone[i])
			vsi_table_del(&t, all[i]);
		free(all[i]);
	}
	vsi_table_destroy(&t);
	free(all);
	free(seen);
	free(gone);
}

static void test_fifo_prio(void **state)
{
	struct vsi_fifo q = { 0 };
	struct vsi *v[6];

	(void)state;
	for (int i = 0; i < 6; i++)
		v[i] = vsi_alloc(1);
	vsi_fifo_push(&q, v[0]);
	vsi_fifo_push(&q, v[1]);
	vsi_fifo_push_prio(&q, v[2]);
	vsi_fifo_push_prio(&q, v[3]);
	vsi_fifo_push(&q, v[4]);
	assert_int_equal(q.n, 5);
	assert_ptr_equal(vsi_fifo_pop(&q), v[2]);
	vsi_fifo_remove(&q, v[3]); /* the last of the prefix */
	assert_null(q.prio_tail);
	vsi_fifo_push_prio(&q, v[5]); /* prefix empty again: at the head */
	assert_ptr_equal(q.head, v[5]);
	vsi_fifo_push_prio(&q, v[3]);
	assert_ptr_equal(vsi_fifo_pop(&q), v[5]);
	assert_ptr_equal(vsi_fifo_pop(&q), v[3]);
	assert_ptr_equal(vsi_fifo_pop(&q), v[0]);
	assert_ptr_equal(vsi_fifo_pop(&q), v[1]);
	vsi_fifo_push_prio(&q, v[2]); /* only v[4] left: in front of it, tail stays */
	assert_ptr_equal(q.tail, v[4]);
	assert_ptr_equal(vsi_fifo_pop(&q), v[2]);
	assert_ptr_equal(vsi_fifo_pop(&q), v[4]);
	assert_null(vsi_fifo_pop(&q));
	assert_null(q.tail);
	vsi_fifo_push_prio(&q, v[1]); /* empty queue: head and tail */
	assert_ptr_equal(q.tail, v[1]);
	assert_ptr_equal(vsi_fifo_pop(&q), v[1]);
	for (int i = 0; i < 6; i++)
		free(v[i]);
}

static void test_fifo_pack(void **state)
{
	(void)state;
	struct vsi_fifo q = { 0 };
	struct vsi *v[6], *out[8];
	uint8_t buf[1496];
	struct wbuf w;
	struct vdp_tlv tlvs[8];
	struct vdp_pdu pdu = { .tlvs = tlvs, .cap = 8 };

	/* Managers 1 2 1 2 1 1 */
	for (int i = 0; i < 6; i++) {
		v[i] = mk((uint32_t)i, 1, (uint8_t)(i == 1 || i == 3 ? 2 : 1));
		vsi_fifo_push(&q, v[i]);
	}
	vsi_fifo_push(&q, v[0]);	/* already queued: no-op */
	assert_int_equal(q.n, 6);
	/* Room for the Manager ID and exactly three TLVs. */
	wbuf_init(&w, buf, 18 + 3 * vdp_assoc_wire_size(VDP_FILTER_MAC_VID, 1));
	assert_int_equal(vsi_fifo_pack(&q, &w, fill, NULL, out, 8), 3);
	assert_ptr_equal(out[0], v[0]);
	assert_ptr_equal(out[1], v[2]);
	assert_ptr_equal(out[2], v[4]);
	assert_int_equal(vdp_decode(buf, w.len, &pdu), CODEC_OK);
	assert_int_equal(pdu.n_tlvs, 3);
	assert_int_equal(pdu.mgrid[0], 1);
	/* The others kept their order. */
	assert_int_equal(q.n, 3);
	assert_ptr_equal(q.head, v[1]);
	assert_ptr_equal(q.head->q_next, v[3]);
	assert_ptr_equal(q.tail, v[5]);
	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(vsi_fifo_pack(&q, &w, fill, NULL, out, 8), 2);
	assert_ptr_equal(out[1], v[3]);
	vsi_fifo_remove(&q, v[5]);
	assert_int_equal(q.n, 0);
	assert_null(q.tail);
	/* A head that cannot fit is handed back with an error. */
	vsi_fifo_push(&q, v[5]);
	wbuf_init(&w, buf, 30);
	assert_true(vsi_fifo_pack(&q, &w, fill, NULL, out, 8) < 0);
	assert_ptr_equal(out[0], v[5]);
	assert_int_equal(q.n, 0);
	assert_false(v[5]->flags & VSI_F_QUEUED);
	for (int i = 0; i < 6; i++)
		free(v[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_table_grow_find_iterate),
		cmocka_unit_test(test_table_resume_after),
		cmocka_unit_test(test_fifo_pack),
		cmocka_unit_test(test_fifo_prio),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
