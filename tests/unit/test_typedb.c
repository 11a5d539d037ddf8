/* tools/vdp-bridge/typedb.c: every decision of the VSI type database. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tools/vdp-bridge/typedb.h"

static const uint8_t mgr_a[16] = { 'a' };
static const uint8_t mgr_b[16] = { 'b' };
static const uint8_t vm_mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };

struct fx {
	struct typedb db;
	struct vdp_assoc a;
	struct vdp_filter f[4];
	struct typedb_req r;
};

static int setup(void **state)
{
	static struct fx fx;
	struct typedb_type t;

	memset(&fx, 0, sizeof(fx));
	typedb_init(&fx.db);
	/* web: type 10 v1, manager a, VLAN 100 answered for VID 0, 101 too. */
	typedb_type_init(&t);
	t.type_id = 10;
	t.any_version = false;
	t.version = 1;
	t.any_mgrid = false;
	memcpy(t.mgrid, mgr_a, 16);
	t.vlan = 100;
	t.n_vlans = 1;
	t.vlans[0] = 101;
	assert_int_equal(typedb_add(&fx.db, &t), 0);
	/* any: type 20, any version and manager, any VLAN, PCP 5, max 1. */
	typedb_type_init(&t);
	t.type_id = 20;
	t.pcp = 5;
	t.max_vsis = 1;
	assert_int_equal(typedb_add(&fx.db, &t), 0);
	assert_int_equal(typedb_add(&fx.db, &t), -EEXIST);

	fx.a.type = VDP_TLV_ASSOC;
	fx.a.type_id = 10;
	fx.a.type_version = 1;
	fx.a.vsiid_fmt = VDP_VSIID_UUID;
	fx.a.filter_fmt = VDP_FILTER_MAC_VID;
	fx.a.n_filters = 1;
	memcpy(fx.f[0].mac, vm_mac, 6);
	fx.f[0].ps_pcp_vid = 100;
	fx.r.mgrid = mgr_a;
	fx.r.req = &fx.a;
	fx.r.filters = fx.f;
	fx.r.n = 1;
	fx.r.is_new = true;
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	typedb_free(&fx->db);
	return 0;
}

static uint8_t decide(struct fx *fx)
{
	const char *why = NULL;
	uint8_t s = typedb_decide(&fx->db, &fx->r, &why);

	assert_non_null(why);
	return s;
}

static void test_known_type_admitted(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(decide(fx), 0);
	assert_int_equal(fx->f[0].ps_pcp_vid, 100);
	fx->f[0].ps_pcp_vid = 101;
	assert_int_equal(decide(fx), 0);
}

static void test_vid0_answered_with_type_vlan(void **state)
{
	struct fx *fx = *state;

	fx->f[0].ps_pcp_vid = VDP_PS | (3 << VDP_PCP_SHIFT) | 0;
	assert_int_equal(decide(fx), 0);
	assert_int_equal(vdp_vid(fx->f[0].ps_pcp_vid), 100);
	/* PS/PCP as requested: the type sets no PCP. */
	assert_true(vdp_ps(fx->f[0].ps_pcp_vid));
	assert_int_equal(vdp_pcp(fx->f[0].ps_pcp_vid), 3);
}

static void test_vlan_not_admitted(void **state)
{
	struct fx *fx = *state;

	fx->f[0].ps_pcp_vid = 200;
	assert_int_equal(decide(fx), VDP_R_INVALID_VID_GROUP_MAC);
	fx->f[0].ps_pcp_vid = 0xFFF;
	assert_int_equal(decide(fx), VDP_R_INVALID_VID_GROUP_MAC);
	/* Second entry bad, first good: refused as a whole. */
	fx->f[0].ps_pcp_vid = 100;
	fx->f[1] = fx->f[0];
	fx->f[1].ps_pcp_vid = 300;
	fx->r.n = 2;
	assert_int_equal(decide(fx), VDP_R_INVALID_VID_GROUP_MAC);
}

static void test_bad_mac(void **state)
{
	struct fx *fx = *state;

	fx->f[0].mac[0] = 0x01;	/* multicast */
	assert_int_equal(decide(fx), VDP_R_INVALID_VID_GROUP_MAC);
	memset(fx->f[0].mac, 0, 6);
	assert_int_equal(decide(fx), VDP_R_INVALID_VID_GROUP_MAC);
	/* Format 1 (VID only) carries no MAC: not checked. */
	fx->a.filter_fmt = VDP_FILTER_VID;
	assert_int_equal(decide(fx), 0);
}

static void test_unknown_type_and_version(void **state)
{
	struct fx *fx = *state;

	fx->a.type_id = 11;
	assert_int_equal(decide(fx), VDP_R_OTHER_FAILURE | VDP_STATUS_HARD);
	fx->a.type_id = 10;
	fx->a.type_version = 2;
	assert_int_equal(decide(fx), VDP_R_OTHER_FAILURE | VDP_STATUS_HARD);
	/* Type 10 belongs to manager a only. */
	fx->a.type_version = 1;
	fx->r.mgrid = mgr_b;
	assert_int_equal(decide(fx), VDP_R_OTHER_FAILURE | VDP_STATUS_HARD);
	/* Configurable status, and accept_unknown. */
	fx->db.unknown_type_status = VDP_R_INVALID_FORMAT;
	assert_int_equal(decide(fx), VDP_R_INVALID_FORMAT);
	fx->db.accept_unknown = true;
	assert_int_equal(decide(fx), 0);
	/* ... but a VID 0 cannot be answered without a type VLAN. */
	fx->f[0].ps_pcp_vid = 0;
	assert_int_equal(decide(fx), VDP_R_INVALID_VID_GROUP_MAC);
}

static void test_unknown_manager(void **state)
{
	struct fx *fx = *state;

	fx->db.n_managers = 1;
	memcpy(fx->db.managers[0], mgr_a, 16);
	assert_int_equal(decide(fx), 0);
	fx->r.mgrid = mgr_b;
	fx->a.type_id = 20;
	assert_int_equal(decide(fx), VDP_R_UNABLE_TO_CONTACT_MANAGER);
}

static void test_max_vsis(void **state)
{
	struct fx *fx = *state;

	fx->db.max_vsis = 3;
	fx->r.n_active = 2;
	assert_int_equal(decide(fx), 0);
	fx->r.n_active = 3;
	assert_int_equal(decide(fx), VDP_R_INSUFFICIENT_RESOURCES);
	/* A VSI already associated may change mode: not a new resource; a
	 * refusal of an existing VSI carries keep. */
	fx->r.is_new = false;
	assert_int_equal(decide(fx), 0);
	fx->f[0].ps_pcp_vid = 999;
	assert_int_equal(decide(fx), VDP_R_INVALID_VID_GROUP_MAC | VDP_STATUS_KEEP);
	/* Per-type limit. */
	fx->r.is_new = true;
	fx->db.max_vsis = 0;
	fx->a.type_id = 20;
	fx->r.n_active_type = 1;
	assert_int_equal(decide(fx), VDP_R_INSUFFICIENT_RESOURCES);
	fx->r.n_active_type = 0;
	assert_int_equal(decide(fx), 0);
	/* Type 20 sets PCP 5 with PS. */
	assert_true(vdp_ps(fx->f[0].ps_pcp_vid));
	assert_int_equal(vdp_pcp(fx->f[0].ps_pcp_vid), 5);
	assert_int_equal(vdp_vid(fx->f[0].ps_pcp_vid), 999);
}

static void test_formats(void **state)
{
	struct fx *fx = *state;

	fx->r.n = 0;
	assert_int_equal(decide(fx), VDP_R_INVALID_FORMAT);
	fx->r.n = 1;
	fx->a.filter_fmt = VDP_FILTER_GROUP_MAC_VID;
	assert_int_equal(decide(fx), VDP_R_INVALID_FORMAT);
	fx->r.gid = true;
	assert_int_equal(decide(fx), 0);
	fx->a.filter_fmt = 9;
	assert_int_equal(decide(fx), VDP_R_INVALID_FORMAT);
}

static void test_deassoc_always_success(void **state)
{
	struct fx *fx = *state;

	fx->a.type = VDP_TLV_DEASSOC;
	fx->a.type_id = 12345;
	fx->f[0].ps_pcp_vid = 4095;
	fx->db.max_vsis = 1;
	fx->r.n_active = 10;
	assert_int_equal(decide(fx), 0);
}

static void test_find_prefers_exact(void **state)
{
	struct fx *fx = *state;
	struct typedb_type t;
	const struct typedb_type *found;

	typedb_type_init(&t);
	t.type_id = 20;
	t.any_version = false;
	t.version = 7;
	t.vlan = 77;
	assert_int_equal(typedb_add(&fx->db, &t), 0);
	found = typedb_find(&fx->db, mgr_b, 20, 7);
	assert_non_null(found);
	assert_int_equal(found->vlan, 77);
	found = typedb_find(&fx->db, mgr_b, 20, 6);
	assert_non_null(found);
	assert_int_equal(found->vlan, 0);
	assert_null(typedb_find(&fx->db, mgr_b, 21, 6));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_known_type_admitted),
		T(test_vid0_answered_with_type_vlan),
		T(test_vlan_not_admitted),
		T(test_bad_mac),
		T(test_unknown_type_and_version),
		T(test_unknown_manager),
		T(test_max_vsis),
		T(test_formats),
		T(test_deassoc_always_success),
		T(test_find_prefers_exact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
