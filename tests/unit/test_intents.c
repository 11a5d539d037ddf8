/* The VSI intents as compact records (vdp/daemon/intent_table.c,
 * vdp/daemon/intents.c): the hand-rendered journal text against what
 * jansson makes of vdpd_request_json() for every filter format, 0, 1 and 3
 * filters, a netlink requester and uplink names that need escaping; files
 * written by the jansson-map version load into the same entries; 70,000
 * entries through put, get, drop (the table grows). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "vdp/daemon/ctl_cmds.h"
#include "vdp/daemon/intent_table.h"
#include "vdp/daemon/intents.h"
#include "vdp/store/jlog.h"
#include "vdp/store/journal.h"
#include "vdp/wire/vdp_text.h"
#include "tests/unit/tfile.h"

static void fill_request(struct vdp_request *r, struct vdp_filter *f, uint8_t ffmt, uint16_t n,
			 uint32_t k)
{
	memset(r, 0, sizeof(*r));
	r->mode = (uint8_t)(VDP_MODE_PREASSOC + k % 3);
	/* past INT_MAX: vdpd_request_json packs it as a (negative) int */
	r->type_id = k == 5 ? 0xfffffff0u : 0xabcdef - k;
	r->type_version = (uint8_t)(k * 7);
	r->vsiid_fmt = VDP_VSIID_UUID;
	for (int i = 0; i < VDP_VSIID_LEN; i++)
		r->vsiid[i] = (uint8_t)(k * 31 + (uint32_t)i);
	/* a name, a number and a UUID: the three mgrid spellings */
	if (k % 3 == 0)
		memcpy(r->mgrid, "mgr7", 4);
	else if (k % 3 == 1)
		r->mgrid[0] = 11;
	else
		memset(r->mgrid, 0x5a, VDP_MGRID_LEN);
	r->filter_fmt = ffmt;
	r->hints = k % 2 ? VDP_STATUS_MBIT : 0;
	for (uint16_t i = 0; i < n; i++) {
		memset(&f[i], 0, sizeof(f[i]));
		/* PS set on every other entry: "pcp" present or not */
		f[i].ps_pcp_vid =
			(uint16_t)((10 + i) |
				   (i % 2 ? 0 : VDP_PS | (uint16_t)(i + 3) << VDP_PCP_SHIFT));
		if (ffmt == VDP_FILTER_MAC_VID || ffmt == VDP_FILTER_GROUP_MAC_VID) {
			uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, (uint8_t)k, (uint8_t)i };

			memcpy(f[i].mac, mac, 6);
		}
		if (ffmt == VDP_FILTER_GROUP_VID || ffmt == VDP_FILTER_GROUP_MAC_VID)
			f[i].group_id = 0xfffffff0u + i;
	}
	r->n_filters = n;
	r->filters = f;
}

static json_t *netlink_member(void)
{
	return json_pack("{s:I, s:I, s:s, s:i, s:s}", "port", (json_int_t)4242, "seq",
			 (json_int_t)7, "request", "associate", "ifindex", 3, "ifname", "eth0");
}

/* What the jansson-map version journaled: json_dumps of {"put":ARGS}. */
static char *jansson_put(const char *uplink, const struct vdp_request *r, json_t *nl)
{
	json_t *args = vdpd_request_json(uplink, r), *rec;
	char *s;

	assert_non_null(args);
	if (nl)
		json_object_set(args, "netlink", nl);
	rec = json_pack("{s:o}", "put", args);
	s = json_dumps(rec, JSON_COMPACT);
	json_decref(rec);
	return s;
}

static void check_render(const char *uplink, uint8_t ffmt, uint16_t n, uint32_t k, bool netlink)
{
	struct vdp_filter f[3];
	struct vdp_request r;
	struct intent_table t;
	struct itab_buf b = { 0 };
	struct intent *e;
	json_t *nl = netlink ? netlink_member() : NULL;
	char *want = NULL;
	int64_t up;

	fill_request(&r, f, ffmt, n, k);
	itab_init(&t);
	up = itab_name_intern(&t, uplink);
	assert_true(up >= 0);
	want = jansson_put(uplink, &r, nl);
	e = itab_set(&t, (uint32_t)up, &r, nl);
	assert_non_null(e);
	itab_buf_lit(&b, "{\"put\":");
	itab_render(&t, e, &b);
	itab_buf_lit(&b, "}");
	assert_false(b.oom);
	assert_string_equal(b.p, want);
	free(b.p);
	free(want);
	itab_free(&t);
}

static void test_render_every_format(void **state)
{
	static const uint16_t counts[] = { 0, 1, 3 };
	uint32_t k = 0;

	(void)state;
	for (uint8_t ffmt = VDP_FILTER_VID; ffmt <= VDP_FILTER_GROUP_MAC_VID; ffmt++)
		for (size_t c = 0; c < 3; c++)
			for (int nl = 0; nl < 2; nl++)
				check_render("eth0", ffmt, counts[c], k++, nl);
}

static void test_render_uplink_escaped(void **state)
{
	static const char *const names[] = {
		"a\"b",
		"back\\slash",
		"tab\tnl\ncr\rff\fbs\b",
		"ctl\x01\x1f",
		"sl/ash",
		"del\x7f",
		"\xc3\xbc"
		"ber0",
	};
	struct intent_table t;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		check_render(names[i], VDP_FILTER_MAC_VID, 1, (uint32_t)i, i % 2);
	/* not UTF-8: jansson cannot make it a string; neither is it kept */
	itab_init(&t);
	assert_true(itab_name_intern(&t, "bad\xc3(") < 0);
	assert_true(itab_name_intern(&t, "bad\xed\xa0\x80") < 0);
	itab_free(&t);
}

/* The framing of a rendered record is jlog_append's. */
static void test_jlog_append_text(void **state)
{
	const char *rec =
		"{\"del\":{\"uplink\":\"eth0\",\"vsiid_format\":\"uuid\",\"vsiid\":\"x\"}}";
	char dir[] = "/tmp/test_intents.XXXXXX", p1[64], p2[64];
	struct jlog a, b;
	char err[256], *t1, *t2;
	size_t n1, n2;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(p1, sizeof(p1), "%s/a", dir);
	snprintf(p2, sizeof(p2), "%s/b", dir);
	assert_int_equal(jlog_open(&a, p1, "m 1\n", NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(jlog_open(&b, p2, "m 1\n", NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(jlog_append(&a, json_loads(rec, 0, NULL)), 0);
	assert_int_equal(jlog_append_text(&b, rec, strlen(rec)), 0);
	assert_int_equal(jlog_flush(&a), 0);
	assert_int_equal(jlog_flush(&b), 0);
	t1 = tfile_read(p1, &n1);
	t2 = tfile_read(p2, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(t1, t2, n1);
	assert_non_null(strstr(t2, rec));
	free(t1);
	free(t2);
	jlog_close(&a);
	jlog_close(&b);
	unlink(p1);
	unlink(p2);
	rmdir(dir);
}

/* ---- files of the jansson-map version ---- */

#define U1 "11111111-2222-4333-8444-555555555555"
#define U2 "21111111-2222-4333-8444-555555555555"
#define U3 "31111111-2222-4333-8444-555555555555"
#define U4 "41111111-2222-4333-8444-555555555555"
#define U5 "51111111-2222-4333-8444-555555555555"
#define A_U1 \
	"{\"uplink\":\"eth0\",\"mode\":\"assoc\",\"vsiid_format\":\"uuid\",\"vsiid\":\"" U1 \
	"\",\"mgrid\":\"11\"," \
	"\"typeid\":1193047,\"typeidver\":2,\"filter_format\":\"mac-vid\",\"filters\":[{\"vid\":" \
	"10,\"mac\":" \
	"\"52:54:00:00:00:01\"}],\"hints\":\"none\"}"
/* a netlink requester's, three filters */
#define A_U2 \
	"{\"uplink\":\"eth1\",\"mode\":\"preassoc\",\"vsiid_format\":\"uuid\",\"vsiid\":\"" U2 \
	"\",\"mgrid\":" \
	"\"mgr7\",\"typeid\":5,\"typeidver\":0,\"filter_format\":\"group-mac-vid\",\"filters\":[{" \
	"\"vid\":1," \
	"\"pcp\":3,\"mac\":\"52:54:00:00:00:02\",\"group\":7},{\"vid\":2,\"mac\":\"52:54:00:00:" \
	"00:03\"," \
	"\"group\":8},{\"vid\":0,\"pcp\":0,\"mac\":\"52:54:00:00:00:04\",\"group\":9}],\"hints\":" \
	"\"migrate-to\",\"netlink\":{\"port\":4242,\"seq\":7,\"request\":\"preassociate\"," \
	"\"ifindex\":3," \
	"\"ifname\":\"eth1\"}}"
/* what vsi.add would refuse (VID 4095) and a key of no version: as it was */
#define A_U3 \
	"{\"uplink\":\"eth0\",\"mode\":\"assoc\",\"vsiid_format\":\"uuid\",\"vsiid\":\"" U3 \
	"\",\"mgrid\":\"11\"," \
	"\"typeid\":1,\"typeidver\":2,\"filter_format\":\"vid\",\"filters\":[{\"vid\":4095}]," \
	"\"hints\":\"none\"," \
	"\"note\":\"x\"}"
#define A_U4 \
	"{\"uplink\":\"eth0\",\"mode\":\"preassoc-rr\",\"vsiid_format\":\"uuid\",\"vsiid\":\"" U4 \
	"\",\"mgrid\":" \
	"\"11\",\"typeid\":3,\"typeidver\":4,\"filter_format\":\"group-vid\",\"filters\":[{" \
	"\"vid\":20,\"group\":" \
	"1}],\"hints\":\"migrate-from\"}"
#define A_U5 \
	"{\"uplink\":\"eth0\",\"mode\":\"assoc\",\"vsiid_format\":\"uuid\",\"vsiid\":\"" U5 \
	"\",\"mgrid\":\"11\"," \
	"\"typeid\":9,\"typeidver\":9,\"filter_format\":\"vid\",\"filters\":[{\"vid\":30}]," \
	"\"hints\":\"none\"}"

/* the snapshot as json_dumps(JSON_INDENT(1)) wrote it: U1..U4, and one
 * without a VSIID (ignored) */
static const char old_snapshot[] =
	"{\n \"version\": 1,\n \"vsis\": [\n  " A_U1 ",\n  " A_U2 ",\n  " A_U3 ",\n  " A_U4
	",\n  {\"uplink\": \"eth0\", \"mode\": \"assoc\"}\n ]\n}\n";
/* then: U5 added, U4 deleted, U1 changed to preassoc */
static const char *const old_journal[] = {
	"{\"put\":" A_U5 "}",
	"{\"del\":{\"uplink\":\"eth0\",\"vsiid_format\":\"uuid\",\"vsiid\":\"" U4 "\"}}",
	"{\"put\":{\"uplink\":\"eth0\",\"mode\":\"preassoc\","
	"\"vsiid_format\":\"uuid\",\"vsiid\":\"" U1 "\",\"mgrid\":\"11\","
	"\"typeid\":1193047,\"typeidver\":2,\"filter_format\":\"mac-vid\","
	"\"filters\":[{\"vid\":10,\"mac\":\"52:54:00:00:00:01\"}],"
	"\"hints\":\"none\"}}",
};

struct files {
	char dir[64], snap[96], journal[112];
	struct event_base *base;
};

static int setup_files(void **state)
{
	struct files *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/test_intents.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->snap, sizeof(f->snap), "%s/vsis.json", f->dir);
	snprintf(f->journal, sizeof(f->journal), "%s.journal", f->snap);
	f->base = event_base_new();
	*state = f;
	return 0;
}

static int teardown_files(void **state)
{
	struct files *f = *state;
	char lock[128];

	snprintf(lock, sizeof(lock), "%s.lock", f->snap);
	unlink(f->snap);
	unlink(f->journal);
	unlink(lock);
	rmdir(f->dir);
	event_base_free(f->base);
	free(f);
	return 0;
}

static void write_old_files(struct files *f)
{
	FILE *fp = fopen(f->journal, "w");

	assert_non_null(fp);
	fputs("vdpd-intents-journal 1\n", fp);
	for (size_t i = 0; i < 3; i++) {
		size_t n;
		char *r = journal_encode(i + 1, old_journal[i], strlen(old_journal[i]), &n);

		assert_non_null(r);
		fwrite(r, 1, n, fp);
		free(r);
	}
	fclose(fp);
	tfile_write(f->snap, old_snapshot, strlen(old_snapshot));
}

static void assert_entry(struct intents *in, const char *uplink, const char *uuid, const char *want)
{
	uint8_t id[VDP_VSIID_LEN];
	json_t *got, *w = want ? json_loads(want, 0, NULL) : NULL;

	assert_int_equal(vdp_txt_vsiid_parse(VDP_VSIID_UUID, uuid, id), 0);
	got = intents_get(in, uplink, VDP_VSIID_UUID, id);
	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(w);
	assert_non_null(got);
	assert_true(json_equal(got, w));
	assert_int_equal(intents_is_netlink(in, uplink, VDP_VSIID_UUID, id),
			 json_object_get(w, "netlink") != NULL);
	json_decref(got);
	json_decref(w);
}

static json_int_t vsis_of(struct intents *in)
{
	json_t *s = intents_stats_json(in);
	json_int_t n = json_integer_value(json_object_get(s, "vsis"));

	json_decref(s);
	return n;
}

static void assert_old_state(struct intents *in)
{
	json_t *u1 = json_loads(A_U1, 0, NULL);
	char *u1p;

	json_object_set_new(u1, "mode", json_string("preassoc"));
	u1p = json_dumps(u1, JSON_COMPACT);
	assert_int_equal(vsis_of(in), 4);
	assert_entry(in, "eth0", U1, u1p);
	assert_entry(in, "eth1", U2, A_U2);
	assert_entry(in, "eth0", U3, A_U3);
	assert_entry(in, "eth0", U4, NULL);
	assert_entry(in, "eth0", U5, A_U5);
	assert_entry(in, "eth1", U1, NULL);
	free(u1p);
	json_decref(u1);
}

static void test_load_old_files(void **state)
{
	struct files *f = *state;
	struct intents *in;
	json_t *doc, *list;

	write_old_files(f);
	assert_int_equal(intents_open(&in, f->base, f->snap), 0);
	assert_old_state(in);
	intents_close(in);
	/* what the new one wrote reads the same, in jansson too */
	doc = json_load_file(f->snap, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(doc, "version")), 1);
	list = json_object_get(doc, "vsis");
	assert_int_equal(json_array_size(list), 4);
	json_decref(doc);
	assert_int_equal(intents_open(&in, f->base, f->snap), 0);
	assert_old_state(in);
	intents_close(in);
}

/* Records rendered by the new code replay in a daemon of either version:
 * the journal holds what jansson would have written. */
static void test_journal_lines_as_jansson(void **state)
{
	struct files *f = *state;
	struct vdp_filter fl[3];
	struct vdp_request r;
	struct intents *in;
	char *text, *want, *p;
	json_t *nl;
	size_t n;

	assert_int_equal(intents_open(&in, f->base, f->snap), 0);
	fill_request(&r, fl, VDP_FILTER_GROUP_MAC_VID, 3, 5);
	intents_put_netlink(in, "eth\"0", &r, netlink_member());
	intents_drop(in, "eth\"0", r.vsiid_fmt, r.vsiid);
	intents_flush(in);
	text = tfile_read(f->journal, &n);
	nl = netlink_member();
	want = jansson_put("eth\"0", &r, nl);
	json_decref(nl);
	p = strchr(text, '{');
	assert_non_null(p);
	assert_memory_equal(p, want, strlen(want));
	p = strchr(p + strlen(want), '{');
	assert_non_null(p);
	{
		char id[VDP_TXT_VSIID_LEN], *del;
		json_t *d;

		vdp_txt_vsiid_format(r.vsiid_fmt, r.vsiid, id);
		d = json_pack("{s:{s:s, s:s, s:s}}", "del", "uplink", "eth\"0", "vsiid_format",
			      "uuid", "vsiid", id);
		del = json_dumps(d, JSON_COMPACT);
		assert_memory_equal(p, del, strlen(del));
		assert_int_equal(p[strlen(del)], '\n');
		free(del);
		json_decref(d);
	}
	free(want);
	free(text);
	intents_close(in);
}

/* ---- many ---- */

#define MANY 70000

static void many_id(uint32_t i, uint8_t id[VDP_VSIID_LEN])
{
	memset(id, 0, VDP_VSIID_LEN);
	id[0] = 7;
	id[6] = 0x40;
	id[8] = 0x80;
	id[12] = (uint8_t)(i >> 24);
	id[13] = (uint8_t)(i >> 16);
	id[14] = (uint8_t)(i >> 8);
	id[15] = (uint8_t)i;
}

static void count_cb(void *ctx, json_t *args)
{
	size_t *n = ctx;

	if (json_is_object(args))
		(*n)++;
}

static void test_many_put_get_drop(void **state)
{
	struct vdp_filter fl[1];
	struct vdp_request r;
	struct intents *in;
	size_t n0 = 0, n1 = 0;

	(void)state;
	assert_int_equal(intents_open(&in, NULL, NULL), 0);
	for (uint32_t i = 0; i < MANY; i++) {
		fill_request(&r, fl, VDP_FILTER_MAC_VID, 1, i);
		many_id(i, r.vsiid);
		intents_put(in, i % 2 ? "eth1" : "eth0", &r);
	}
	/* again: replaced in place, not added */
	fill_request(&r, fl, VDP_FILTER_VID, 1, 1);
	many_id(0, r.vsiid);
	intents_put(in, "eth0", &r);
	assert_int_equal(vsis_of(in), MANY);
	intents_foreach(in, "eth0", count_cb, &n0);
	intents_foreach(in, "eth1", count_cb, &n1);
	assert_int_equal(n0, MANY / 2);
	assert_int_equal(n1, MANY / 2);
	for (uint32_t i = 0; i < MANY; i += 997) {
		uint8_t id[VDP_VSIID_LEN];
		char txt[VDP_TXT_VSIID_LEN];
		json_t *a;

		many_id(i, id);
		a = intents_get(in, i % 2 ? "eth1" : "eth0", VDP_VSIID_UUID, id);
		assert_non_null(a);
		vdp_txt_vsiid_format(VDP_VSIID_UUID, id, txt);
		assert_string_equal(json_string_value(json_object_get(a, "vsiid")), txt);
		assert_string_equal(json_string_value(json_object_get(a, "filter_format")),
				    i ? "mac-vid" : "vid");
		json_decref(a);
		assert_null(intents_get(in, i % 2 ? "eth0" : "eth1", VDP_VSIID_UUID, id));
	}
	for (uint32_t i = 0; i < MANY; i += 2) {
		uint8_t id[VDP_VSIID_LEN];

		many_id(i, id);
		assert_true(intents_drop(in, "eth0", VDP_VSIID_UUID, id));
		assert_false(intents_drop(in, "eth0", VDP_VSIID_UUID, id));
	}
	assert_int_equal(vsis_of(in), MANY / 2);
	for (uint32_t i = 0; i < MANY; i++) {
		uint8_t id[VDP_VSIID_LEN];
		json_t *a;

		many_id(i, id);
		a = intents_get(in, i % 2 ? "eth1" : "eth0", VDP_VSIID_UUID, id);
		assert_true((a != NULL) == (i % 2 == 1));
		json_decref(a);
	}
	intents_close(in);
}

/* The table grew with its entries and spread VSIIDs that differ only in
 * their last octets over its chains (a weak hash once put them all in 4). */
static void test_table_spread(void **state)
{
	struct vdp_filter fl[1];
	struct vdp_request r;
	struct intent_table t;
	size_t longest = 0, used = 0;

	(void)state;
	itab_init(&t);
	for (uint32_t i = 0; i < MANY; i++) {
		fill_request(&r, fl, VDP_FILTER_VID, 1, 0);
		many_id(i, r.vsiid);
		assert_non_null(itab_set(&t, 0, &r, NULL));
	}
	assert_int_equal(t.n, MANY);
	assert_true(t.mask + 1 >= MANY);
	for (size_t s = 0; s <= t.mask; s++) {
		size_t c = 0;

		for (const struct intent *e = t.slots[s]; e; e = e->hnext)
			c++;
		used += c > 0;
		longest = c > longest ? c : longest;
	}
	assert_true(longest <= 12);
	assert_true(used >= MANY / 2);
	itab_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_every_format),
		cmocka_unit_test(test_render_uplink_escaped),
		cmocka_unit_test(test_jlog_append_text),
		cmocka_unit_test_setup_teardown(test_load_old_files, setup_files, teardown_files),
		cmocka_unit_test_setup_teardown(test_journal_lines_as_jansson, setup_files,
						teardown_files),
		cmocka_unit_test(test_many_put_get_drop),
		cmocka_unit_test(test_table_spread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
