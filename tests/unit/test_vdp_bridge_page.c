/* vdp-bridge's vsi.show paging (tools/vdp-bridge/vsipage.c) over three
 * bridge machines (fixture: vdp_bridge_fx.h) whose VSIs come and go between
 * pages, asked for as the client asks: offset, after and limit. */
#include "tests/unit/vdp_bridge_fx.h"
#include "tools/vdp-bridge/vsipage.h"

#define NPORT 3
#define PER_PORT 30
#define MAX_ID 1000

static const char *const pnames[NPORT] = { "p0", "p1", "p2" };

struct pager {
	struct benv *e[NPORT];
	struct vdp_bridge *brs[NPORT];
	uint8_t present[MAX_ID]; /* 1 while the VSI exists */
	uint8_t always[MAX_ID]; /* 1: present through the whole walk */
	uint8_t seen[MAX_ID]; /* times listed */
	uint8_t listed_port[MAX_ID];
	uint32_t page[64]; /* the ids of the page being read */
	size_t n_page, total;
	uint32_t next; /* next new id */
};

/* Id i lives on port i % NPORT. */
static void add(struct pager *p, uint32_t i)
{
	struct benv *e = p->e[i % NPORT];

	send1(e, i, VDP_TLV_ASSOC, 10);
	ack_last(e);
	assert_non_null(find(e, i));
	p->present[i] = 1;
}

static void del(struct pager *p, uint32_t i)
{
	struct benv *e = p->e[i % NPORT];

	send1(e, i, VDP_TLV_DEASSOC, 10);
	ack_last(e);
	assert_null(find(e, i));
	p->present[i] = 0;
	p->always[i] = 0;
}

static void collect(void *ctx, size_t port, struct vsi *v)
{
	struct pager *p = ctx;
	uint32_t i = (uint32_t)v->vsiid[12] << 24 | (uint32_t)v->vsiid[13] << 16 |
		(uint32_t)v->vsiid[14] << 8 | v->vsiid[15];

	assert_true(i < MAX_ID);
	assert_int_equal(i % NPORT, port);
	assert_true(p->n_page < 64);
	p->page[p->n_page++] = i;
	p->seen[i]++;
	p->listed_port[i] = (uint8_t)port;
}

static struct pager *pager_new(void)
{
	struct pager *p = calloc(1, sizeof(*p));

	for (size_t k = 0; k < NPORT; k++) {
		p->e[k] = benv_new();
		p->brs[k] = &p->e[k]->br;
	}
	for (uint32_t i = 0; i < NPORT * PER_PORT; i++) {
		add(p, i);
		p->always[i] = 1;
	}
	p->next = NPORT * PER_PORT;
	return p;
}

static void pager_free(struct pager *p)
{
	for (size_t k = 0; k < NPORT; k++)
		benv_free(p->e[k]);
	free(p);
}

/* One page asked for as vdp-bridge's client asks: offset (what it has so
 * far), after (the last VSI it got) and limit; the VSI of after as the
 * text of a reply. */
static size_t ask(struct pager *p, const uint32_t *last, uint32_t limit)
{
	json_t *args = json_pack("{s:I, s:i}", "offset", (json_int_t)p->total, "limit", (int)limit);
	struct ctl_error err = { 0 };
	struct vbr_page pg;
	size_t n;

	if (last) {
		uint8_t id[VDP_VSIID_LEN];
		char txt[VDP_TXT_VSIID_LEN];

		tf_vsiid(*last, id);
		vdp_txt_vsiid_format(VDP_VSIID_UUID, id, txt);
		json_object_set_new(args, "after",
				    json_pack("{s:s, s:s, s:s}", "port", pnames[*last % NPORT],
					      "vsiid_format", "uuid", "vsiid", txt));
	}
	assert_int_equal(vbr_page_parse(args, pnames, NPORT, &pg, &err), 0);
	json_decref(args);
	p->n_page = 0;
	n = vbr_page_walk(p->brs, NPORT, &pg, collect, p);
	assert_int_equal(n, p->n_page);
	p->total += p->n_page;
	return p->n_page;
}

/* Between pages VSIs are added and deleted before the cursor, behind it
 * and the cursor's own VSI: every VSI present throughout is listed exactly
 * once, none twice.  With offset alone a deletion before the cursor would
 * skip one and an addition before it list one twice. */
static void test_after_while_changing(void **state)
{
	(void)state;
	struct pager *p = pager_new();
	uint32_t last = 0;
	size_t pages = 0, gone_cursor = 0, gone_before = 0;

	while (ask(p, pages ? &last : NULL, 7)) {
		last = p->page[p->n_page - 1];
		pages++;
		/* A listed VSI other than the cursor's goes (before the cursor). */
		for (uint32_t i = 0; i < p->next; i++)
			if (p->present[i] && p->seen[i] && i != last && i % 4 == 1) {
				del(p, i);
				gone_before++;
				break;
			}
		/* One not listed yet goes (behind the cursor, or before it in
		 * another port's order). */
		for (uint32_t i = p->next; i-- > 0;)
			if (p->present[i] && !p->seen[i] && i % 4 == 2) {
				del(p, i);
				break;
			}
		/* Every third page the cursor's own VSI goes. */
		if (pages % 3 == 0) {
			del(p, last);
			gone_cursor++;
		}
		/* Two new ones, on two ports. */
		for (int a = 0; a < 2 && p->next < MAX_ID; a++)
			add(p, p->next++);
	}
	assert_true(pages > 10);
	assert_true(gone_cursor > 3);
	assert_true(gone_before > 3);
	for (uint32_t i = 0; i < p->next; i++) {
		if (p->always[i] && p->seen[i] != 1)
			fail_msg("VSI %u (present throughout) listed %u times", i, p->seen[i]);
		assert_true(p->seen[i] <= 1);
	}
	pager_free(p);
}

/* offset alone still pages while nothing changes; no paging argument is
 * one reply with everything; limit 0 is an empty page. */
static void test_offset_and_unpaged(void **state)
{
	(void)state;
	struct pager *p = pager_new();
	json_t *none = json_object();
	struct ctl_error err = { 0 };
	struct vbr_page pg;
	size_t pages = 0;

	while (ask(p, NULL, 8))
		pages++;
	assert_int_equal(pages, (NPORT * PER_PORT + 7) / 8);
	for (uint32_t i = 0; i < NPORT * PER_PORT; i++)
		assert_int_equal(p->seen[i], 1);
	p->total = 0;
	assert_int_equal(ask(p, NULL, 0), 0);
	memset(p->seen, 0, sizeof(p->seen));
	assert_int_equal(vbr_page_parse(none, pnames, NPORT, &pg, &err), 0);
	assert_false(pg.paging);
	p->n_page = 0;
	p->brs[1] = NULL; /* not asked for (a "port" argument) */
	assert_int_equal(vbr_page_walk(p->brs, NPORT, &pg, collect, p), (NPORT - 1) * PER_PORT);
	assert_int_equal(p->n_page, (NPORT - 1) * PER_PORT);
	for (uint32_t i = 0; i < NPORT * PER_PORT; i++)
		assert_int_equal(p->seen[i], i % NPORT != 1);
	json_decref(none);
	pager_free(p);
}

static void expect_refused(const char *args_text, int errnum, const char *msg)
{
	json_t *args = json_loads(args_text, 0, NULL);
	struct ctl_error err = { 0 };
	struct vbr_page pg;

	assert_non_null(args);
	assert_int_equal(vbr_page_parse(args, pnames, NPORT, &pg, &err), -1);
	assert_int_equal(err.errnum, errnum);
	if (!strstr(err.msg, msg))
		fail_msg("\"%s\" does not say \"%s\"", err.msg, msg);
	json_decref(args);
}

static void test_bad_paging_args(void **state)
{
	(void)state;
	expect_refused("{\"after\": 3}", EINVAL, "after must be an object");
	expect_refused("{\"after\": {\"vsiid\": \"11000000-0000-4000-8000-000000000001\"}}", EINVAL,
		       "after must be an object");
	expect_refused("{\"after\": {\"port\": \"p9\", \"vsiid\": "
		       "\"11000000-0000-4000-8000-000000000001\"}}",
		       ENODEV, "no such port p9");
	expect_refused(
		"{\"after\": {\"port\": \"p1\", \"vsiid_format\": \"eui\", \"vsiid\": \"x\"}}",
		EINVAL, "vsiid_format");
	expect_refused("{\"after\": {\"port\": \"p1\", \"vsiid\": \"nope\"}}", EINVAL,
		       "not a uuid");
	expect_refused("{\"offset\": -1}", EINVAL, "offset must be a number");
	expect_refused("{\"limit\": \"7\"}", EINVAL, "limit must be a number");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_after_while_changing),
		cmocka_unit_test(test_offset_and_unpaged),
		cmocka_unit_test(test_bad_paging_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
