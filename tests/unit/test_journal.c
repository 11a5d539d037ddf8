/* Registry journal: record bytes, replay on top of the snapshot, torn tail
 * dropped, damage refused, generation gaps refused, every crash point of a
 * compaction, and a state directory from before the journal. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/tfile.h"
#include "vdp/store/journal.h"
#include "profiles/reg_json.h"
#include "profiles/registry.h"
#include "profiles/store.h"

#define VM1 "0b3c9e2a-1111-4d4d-8e8e-000000000001"
#define VM2 "0b3c9e2a-1111-4d4d-8e8e-000000000002"
#define VM3 "0b3c9e2a-1111-4d4d-8e8e-000000000003"

struct fx {
	char dir[64], path[128], jpath[128];
	struct reg *reg;
	struct reg_store st;
	unsigned reported;
};

static void count(void *ctx, const struct reg_vsi *old, const struct reg_vsi *cur)
{
	struct fx *f = ctx;

	(void)old;
	if (cur)
		f->reported++;
}

static const struct reg_ops ops = { .vsi_desired = count };

static void must(int rc, struct reg_err *err)
{
	if (rc)
		fail_msg("%d: %s", rc, err->msg);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/vdpd-journal-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/registry.json", f->dir);
	snprintf(f->jpath, sizeof(f->jpath), "%s/registry.journal", f->dir);
	f->st.jfd = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[160];

	reg_store_close(&f->st);
	reg_free(f->reg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static off_t size_of(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return sb.st_size;
}

/* The whole registry as text, for comparing two of them. */
static char *dump(const struct reg *reg)
{
	json_t *j = reg_to_json(reg, true);
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	json_decref(j);
	return s;
}

/* The daemon's way: open (snapshot + journal), hook, changes, commit. */
static int open_store(struct fx *f, struct reg_err *err)
{
	int rc;

	reg_store_close(&f->st);
	reg_free(f->reg);
	f->reg = reg_new(&ops, f);
	rc = reg_store_open(&f->st, f->reg, f->path, NULL, err);
	if (rc == 0 || rc == -ENOENT) {
		reg_set_change_hook(f->reg, reg_store_note, &f->st);
		rc = 0;
	}
	return rc;
}

static void commit(struct fx *f)
{
	struct reg_err err;

	must(reg_store_commit(&f->st, f->reg, &err), &err);
}

static void base_entries(struct fx *f)
{
	struct reg_err err;
	struct reg_profile p = { .name = "web", .type = REG_VPORT_QBG, .mgrid = 11, .typeid = 5, .typeidver = 4 };
	struct reg_profile q = { .name = "db", .type = REG_VPORT_QBG, .mgrid = 11, .typeid = 6, .typeidver = 4 };
	struct reg_uplink u = { .dev = "eth4", .physnet = "dc", .mode = REG_MODE_VEPA };
	struct reg_network a = { .name = "A", .physnet = "dc", .profile = "web", .vlan = 10 };
	struct reg_network b = { .name = "B", .physnet = "dc", .profile = "db", .vlan = 20 };

	must(reg_profile_add(f->reg, &p, &err), &err);
	commit(f);
	must(reg_profile_add(f->reg, &q, &err), &err);
	commit(f);
	must(reg_uplink_add(f->reg, &u, &err), &err);
	commit(f);
	must(reg_network_add(f->reg, &a, &err), &err);
	commit(f);
	must(reg_network_add(f->reg, &b, &err), &err);
	commit(f);
}

static void attach(struct fx *f, const char *id, const char *net)
{
	struct reg_attachment a = { .network = "" };
	struct reg_err err;

	snprintf(a.iface_id, sizeof(a.iface_id), "%s", id);
	snprintf(a.network, sizeof(a.network), "%s", net);
	must(reg_attach(f->reg, &a, &err), &err);
	commit(f);
}

static void bind_vm(struct fx *f, const char *id, uint8_t last)
{
	struct reg_binding b = { .mac = { 0x52, 0x54, 0, 0, 0, last }, .uplink = "eth4" };
	struct reg_err err;

	snprintf(b.iface_id, sizeof(b.iface_id), "%s", id);
	must(reg_bind(f->reg, &b, &err), &err);
	commit(f);
}

/* Reloads the state dir into a fresh registry; it must equal `want`. */
static void reload_equals(struct fx *f, const char *want)
{
	struct reg *r = reg_new(NULL, NULL);
	struct reg_store st;
	struct reg_err err;
	char *have;

	must(reg_store_open(&st, r, f->path, NULL, &err), &err);
	have = dump(r);
	assert_string_equal(have, want);
	free(have);
	reg_store_close(&st);
	reg_free(r);
}

/* ---- record bytes ---- */

static void test_record_exact_bytes(void **state)
{
	static const char payload[] = "{\"changes\":[{\"key\":\"web\",\"kind\":\"profile\",\"op\":\"del\"}]}";
	/* CRC-32 computed independently (python zlib.crc32 of the first 28
	 * octets + payload). */
	static const char want[] = "J 0000000000000005 00000037 963f4242 "
				   "{\"changes\":[{\"key\":\"web\",\"kind\":\"profile\",\"op\":\"del\"}]}\n";
	struct journal_rec rec;
	char why[80];
	size_t n;
	char *r;

	(void)state;
	r = journal_encode(5, payload, strlen(payload), &n);
	assert_non_null(r);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(r, want, n);
	assert_int_equal(journal_decode(r, n, 0, &rec, why, sizeof(why)), 0);
	assert_int_equal(rec.seq, 5);
	assert_int_equal(rec.len, strlen(payload));
	assert_memory_equal(rec.payload, payload, rec.len);
	assert_int_equal(rec.end, n);

	/* Every field is checked. */
	r[30] ^= 1;	/* CRC digit */
	assert_int_equal(journal_decode(r, n, 0, &rec, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "CRC mismatch");
	r[30] ^= 1;
	r[17] = '6';	/* seq 6: the CRC covers the header */
	assert_int_equal(journal_decode(r, n, 0, &rec, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "CRC mismatch");
	r[17] = '5';
	r[2] = 'A';	/* upper case is not ours */
	assert_int_equal(journal_decode(r, n, 0, &rec, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "record header field is not hex");
	r[2] = '0';
	assert_int_equal(journal_decode(r, n - 1, 0, &rec, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "short record (92 of 93 octets)"));
	r[n - 1] = ' ';
	assert_int_equal(journal_decode(r, n, 0, &rec, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "record not ended by a newline");
	assert_int_equal(journal_decode(r, 20, 0, &rec, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "short record header (20 of 37 octets)");
	free(r);
}

static void test_change_json_shape(void **state)
{
	struct reg_binding b = { .iface_id = VM1, .dev = "macvtap0", .mac = { 0x52, 0x54, 0, 0, 0, 1 },
				 .uplink = "eth4", .origin = REG_ORIGIN_LEARNED };
	json_t *j;
	char *s;

	(void)state;
	j = reg_store_change_json(REG_KIND_BINDING, VM1, &b);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"entry\":{\"dev\":\"macvtap0\",\"iface_id\":\"" VM1 "\",\"mac\":\"52:54:00:00:00:01\","
			       "\"origin\":\"learned\",\"uplink\":\"eth4\"},\"kind\":\"binding\",\"op\":\"put\"}");
	free(s);
	json_decref(j);
	j = reg_store_change_json(REG_KIND_NETWORK, "A", NULL);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"key\":\"A\",\"kind\":\"network\",\"op\":\"del\"}");
	free(s);
	json_decref(j);
}

/* ---- replay ---- */

static void test_changes_journaled_and_replayed(void **state)
{
	struct fx *f = *state;
	struct reg_err err;
	uint8_t mac3[6] = { 0x52, 0x54, 0, 0, 0, 3 }, u3[16];
	struct journal_scan res;
	char *want, *buf;
	size_t len;
	off_t snap;

	assert_int_equal(open_store(f, &err), 0);
	base_entries(f);
	/* The first save wrote the snapshot; the rest went to the journal. */
	assert_int_equal(f->st.compactions, 1);
	assert_int_equal(f->st.appends, 4);
	snap = size_of(f->path);
	attach(f, VM1, "A");
	bind_vm(f, VM1, 1);
	attach(f, VM2, "A");
	bind_vm(f, VM2, 2);
	attach(f, VM1, "B");	/* a move */
	{
		struct reg_network b = { .name = "B", .physnet = "dc", .profile = "web", .vlan = 30 };

		must(reg_network_set(f->reg, &b, &err), &err);
		commit(f);
	}
	must(reg_detach(f->reg, VM2, &err), &err);
	commit(f);
	must(reg_unbind(f->reg, VM2, &err), &err);
	commit(f);
	/* A learned binding (policy learn) is a change like any other. */
	reg_set_policy(f->reg, REG_POLICY_LEARN);
	reg_uuid_parse(VM3, u3);
	assert_int_equal(reg_check_request(f->reg, "eth4", mac3, 0, 11, 5, 4, u3, &err), 0);
	commit(f);
	assert_int_equal(reg_binding_get(f->reg, VM3)->origin, REG_ORIGIN_LEARNED);
	assert_int_equal(f->st.appends, 4 + 9);
	assert_int_equal(f->st.records, 13);
	/* The snapshot was not rewritten by any of them. */
	assert_int_equal(size_of(f->path), snap);
	buf = tfile_read(f->jpath, &len);
	assert_int_equal(journal_scan(f->jpath, REG_JOURNAL_MAGIC, buf, len, NULL, NULL, &res, err.msg, sizeof(err.msg)), 0);
	assert_int_equal(res.records, 13);
	assert_false(res.torn);
	assert_non_null(strstr(buf, "\"origin\":\"learned\""));
	free(buf);

	want = dump(f->reg);
	reload_equals(f, want);
	/* And through the daemon's open: same registry, generation continues. */
	{
		uint64_t seq = f->st.seq;

		f->reported = 0;
		assert_int_equal(open_store(f, &err), 0);
		assert_int_equal(f->st.seq, seq);
		assert_int_equal(f->st.records, 13);
		buf = dump(f->reg);
		assert_string_equal(buf, want);
		free(buf);
	}
	free(want);
}

/* ---- damage ---- */

static void build_three(struct fx *f, char **want2)
{
	struct reg_err err;

	assert_int_equal(open_store(f, &err), 0);
	base_entries(f);	/* snapshot + 4 records */
	attach(f, VM1, "A");
	*want2 = dump(f->reg);
	bind_vm(f, VM1, 1);	/* the last record */
}

static void test_torn_tail_dropped(void **state)
{
	struct fx *f = *state;
	struct reg_err err;
	size_t len, last_off;
	char *buf, *want, *after;
	struct journal_scan res;

	build_three(f, &want);
	reg_store_close(&f->st);
	buf = tfile_read(f->jpath, &len);
	assert_int_equal(journal_scan(f->jpath, REG_JOURNAL_MAGIC, buf, len, NULL, NULL, &res, err.msg, sizeof(err.msg)), 0);
	assert_int_equal(res.records, 6);
	/* Offset of the last record: the one before it ends there. */
	last_off = (size_t)(strrchr(buf, 'J') - buf);
	for (int variant = 0; variant < 4; variant++) {
		char msg[64];

		switch (variant) {
		case 0:	/* power lost mid-append: short */
			tfile_write(f->jpath, buf, len - 10);
			break;
		case 1:	/* only part of the header */
			tfile_write(f->jpath, buf, last_off + 12);
			break;
		case 2: {	/* whole length, but a block never written */
			char *z = malloc(len);

			memcpy(z, buf, len);
			memset(z + last_off + 40, 0, 20);
			tfile_write(f->jpath, z, len);
			free(z);
			break;
		}
		case 3: {	/* file size extended, data all zeros */
			char *z = calloc(1, len);

			memcpy(z, buf, last_off);
			tfile_write(f->jpath, z, len);
			free(z);
			break;
		}
		}
		assert_int_equal(open_store(f, &err), 0);
		assert_int_equal(f->st.torn, 1);
		snprintf(msg, sizeof(msg), "torn last record at offset %zu dropped", last_off);
		assert_non_null(strstr(f->st.warning, f->jpath));
		assert_non_null(strstr(f->st.warning, msg));
		after = dump(f->reg);
		assert_string_equal(after, want);	/* without the unacknowledged bind */
		free(after);
	}
	/* The next append cuts the torn octets off first. */
	bind_vm(f, VM2, 2);
	reg_store_close(&f->st);
	free(buf);
	buf = tfile_read(f->jpath, &len);
	assert_int_equal(journal_scan(f->jpath, REG_JOURNAL_MAGIC, buf, len, NULL, NULL, &res, err.msg, sizeof(err.msg)), 0);
	assert_false(res.torn);
	assert_int_equal(res.records, 6);
	assert_int_equal(res.end, len);
	free(buf);
	assert_int_equal(open_store(f, &err), 0);
	assert_int_equal(f->st.torn, 0);
	assert_null(reg_binding_get(f->reg, VM1));
	assert_non_null(reg_binding_get(f->reg, VM2));
	free(want);
}

static void test_middle_damage_refused(void **state)
{
	struct fx *f = *state;
	struct reg_err err;
	char *buf, *want;
	size_t len;

	build_three(f, &want);
	buf = tfile_read(f->jpath, &len);
	/* A byte inside record 1's payload (records follow it). */
	{
		char *r1 = strchr(strchr(buf + REG_JOURNAL_MAGIC_LEN, '\n') + 1, '{');

		*r1 = '[';
	}
	tfile_write(f->jpath, buf, len);
	assert_int_equal(open_store(f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, f->jpath));
	assert_non_null(strstr(err.msg, "record 1 at offset"));
	assert_non_null(strstr(err.msg, "CRC mismatch, and "));
	assert_non_null(strstr(err.msg, " octets follow it: damaged"));
	assert_non_null(strstr(err.msg, "refusing it"));
	/* Refused files are left as they are. */
	{
		size_t l2;
		char *b2 = tfile_read(f->jpath, &l2);

		assert_int_equal(l2, len);
		assert_memory_equal(b2, buf, len);
		free(b2);
	}
	/* Its header unreadable (so its length unknown), a valid record after. */
	{
		char *b2 = malloc(len);
		char *r1 = strchr(buf + REG_JOURNAL_MAGIC_LEN, '\n') + 1;

		memcpy(b2, buf, len);
		memset(b2 + (r1 - buf) + 2, 'x', 4);
		tfile_write(f->jpath, b2, len);
		assert_int_equal(open_store(f, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "record 1 at offset"));
		assert_non_null(strstr(err.msg, "record header field is not hex, and a valid record follows at offset"));
		/* Damage in record 1 and a torn record 5 after it: still refused
		 * (two faults, but record 1 was acknowledged). */
		tfile_write(f->jpath, b2, len - 10);
		assert_int_equal(open_store(f, &err), -EINVAL);
		free(b2);
	}
	{
		char *b2 = malloc(len);
		char *r1 = strchr(buf + REG_JOURNAL_MAGIC_LEN, '\n') + 1;

		memcpy(b2, buf, len);
		*(strchr(r1, '{')) = '[';
		tfile_write(f->jpath, b2, len - 10);
		assert_int_equal(open_store(f, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "record 1 at offset"));
		free(b2);
	}
	free(buf);
	free(want);
}

static void test_foreign_journal_refused(void **state)
{
	struct fx *f = *state;
	struct reg_err err;

	tfile_write(f->jpath, "hello\n", 6);
	assert_int_equal(open_store(f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "registry.journal: not a journal of this kind (no \"vdpd-registry-journal 1\" header)"));
	/* A prefix of the header: a crash while creating it; nothing there. */
	tfile_write(f->jpath, "vdpd-regis", 10);
	assert_int_equal(open_store(f, &err), 0);
	assert_int_equal(f->st.torn, 1);
}

static void write_records(const char *path, const uint64_t *seqs, const char *const *payloads, int n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	fputs(REG_JOURNAL_MAGIC, fp);
	for (int i = 0; i < n; i++) {
		size_t len;
		char *r = journal_encode(seqs[i], payloads[i], strlen(payloads[i]), &len);

		fwrite(r, 1, len, fp);
		free(r);
	}
	fclose(fp);
}

#define PUT_WEB "{\"changes\":[{\"entry\":{\"name\":\"web\",\"type\":\"802.1Qbg\",\"typeid\":5},\"kind\":\"profile\",\"op\":\"put\"}]}"
#define PUT_DB "{\"changes\":[{\"entry\":{\"name\":\"db\",\"type\":\"802.1Qbg\",\"typeid\":6},\"kind\":\"profile\",\"op\":\"put\"}]}"
#define DEL_WEB "{\"changes\":[{\"key\":\"web\",\"kind\":\"profile\",\"op\":\"del\"}]}"
#define DEL_NONE "{\"changes\":[{\"key\":\"nope\",\"kind\":\"profile\",\"op\":\"del\"}]}"

static void test_sequence_gap_refused(void **state)
{
	struct fx *f = *state;
	struct reg_err err;
	const char *p[] = { PUT_WEB, PUT_DB, DEL_WEB };

	/* No snapshot: generation 0, so the first record must be 1. */
	{
		const uint64_t s[] = { 1, 2, 3 };

		write_records(f->jpath, s, p, 3);
		assert_int_equal(open_store(f, &err), 0);
		assert_null(reg_profile_get(f->reg, "web"));
		assert_non_null(reg_profile_get(f->reg, "db"));
		assert_int_equal(f->st.seq, 3);
		/* and the first save writes the snapshot it lacks */
		assert_true(f->st.compact);
	}
	{
		const uint64_t s[] = { 1, 3, 4 };

		write_records(f->jpath, s, p, 3);
		assert_int_equal(open_store(f, &err), -EINVAL);
		assert_non_null(strstr(err.msg, f->jpath));
		assert_non_null(strstr(err.msg, "record 1 at offset 157: generation 3 after 1: records are missing"));
	}
	{
		const uint64_t s[] = { 2, 3, 4 };

		write_records(f->jpath, s, p, 3);
		assert_int_equal(open_store(f, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "record 0 at offset 24: generation 2, but the snapshot is at generation 0: records 1..1 are missing"));
	}
	{
		const uint64_t s[] = { 1, 2 };
		const char *bad[] = { PUT_WEB, DEL_NONE };

		write_records(f->jpath, s, bad, 2);
		assert_int_equal(open_store(f, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "record 1 at offset 157 (generation 2): change 0: profile: delete of 'nope', which does not exist; refusing it"));
	}
	{
		const uint64_t s[] = { 1 };
		const char *bad[] = { "{\"changes\":[{\"entry\":{\"name\":\"web\",\"type\":\"802.1Qbg\",\"typeid\":5,\"x\":1},\"kind\":\"profile\",\"op\":\"put\"}]}" };

		write_records(f->jpath, s, bad, 1);
		assert_int_equal(open_store(f, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "record 0 at offset 24 (generation 1): change 0: profile:"));
	}
}

/* ---- compaction ---- */

static void test_compaction_bound(void **state)
{
	struct fx *f = *state;
	struct reg_err err;
	json_t *doc;
	char *want;

	assert_int_equal(open_store(f, &err), 0);
	f->st.max_records = 3;
	base_entries(f);	/* snapshot(1) + records 2, 3, 4; the 5th compacts */
	assert_int_equal(f->st.compactions, 2);
	assert_int_equal(f->st.records, 0);
	assert_int_equal(size_of(f->jpath), (off_t)REG_JOURNAL_MAGIC_LEN);
	doc = json_load_file(f->path, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(doc, "generation")), 5);
	assert_int_equal(f->st.seq, 5);
	json_decref(doc);
	attach(f, VM1, "A");
	assert_int_equal(f->st.records, 1);
	want = dump(f->reg);
	reload_equals(f, want);
	/* Clean shutdown compacts. */
	must(reg_store_shutdown(&f->st, f->reg, &err), &err);
	assert_int_equal(size_of(f->jpath), (off_t)REG_JOURNAL_MAGIC_LEN);
	reload_equals(f, want);
	free(want);
}

/* Leaves the state dir as a compaction interrupted at each point would
 * and loads it: always the last acknowledged state. */
static void test_compaction_crash_points(void **state)
{
	struct fx *f = *state;
	struct reg_err err;
	char *old_snap, *old_j, *new_snap, *new_j, *want, tmp[160];
	size_t ls, lj, ns, nj;

	assert_int_equal(open_store(f, &err), 0);
	base_entries(f);
	attach(f, VM1, "A");
	bind_vm(f, VM1, 1);
	want = dump(f->reg);
	old_snap = tfile_read(f->path, &ls);
	old_j = tfile_read(f->jpath, &lj);
	must(reg_store_compact(&f->st, f->reg, &err), &err);
	new_snap = tfile_read(f->path, &ns);
	new_j = tfile_read(f->jpath, &nj);
	assert_int_equal(nj, REG_JOURNAL_MAGIC_LEN);
	reg_store_close(&f->st);
	snprintf(tmp, sizeof(tmp), "%s.tmp.4242", f->path);

	/* 1. Died writing the temporary snapshot: old snapshot, full journal,
	 *    a partial temporary file (ignored). */
	tfile_write(f->path, old_snap, ls);
	tfile_write(f->jpath, old_j, lj);
	tfile_write(tmp, new_snap, ns / 2);
	reload_equals(f, want);
	unlink(tmp);
	/* 2. Died after the rename (before or after the directory fsync):
	 *    new snapshot, journal not emptied.  Its records are at or below
	 *    the snapshot's generation: ignored, and cut at the next append. */
	tfile_write(f->path, new_snap, ns);
	tfile_write(f->jpath, old_j, lj);
	reload_equals(f, want);
	assert_int_equal(open_store(f, &err), 0);
	assert_int_equal(f->st.ignored, 6);
	assert_int_equal(f->st.records, 0);
	{
		char *s = dump(f->reg);

		assert_string_equal(s, want);
		free(s);
	}
	bind_vm(f, VM2, 2);
	reg_store_close(&f->st);
	{
		struct journal_scan res;
		size_t l;
		char *b = tfile_read(f->jpath, &l);

		assert_int_equal(journal_scan(f->jpath, REG_JOURNAL_MAGIC, b, l, NULL, NULL, &res, err.msg, sizeof(err.msg)), 0);
		assert_int_equal(res.records, 1);
		free(b);
	}
	/* 3. Died after emptying the journal: new snapshot alone. */
	tfile_write(f->path, new_snap, ns);
	tfile_write(f->jpath, new_j, nj);
	reload_equals(f, want);
	/* 4. ... or with the journal truncated to nothing. */
	tfile_write(f->jpath, "", 0);
	reload_equals(f, want);
	free(old_snap);
	free(old_j);
	free(new_snap);
	free(new_j);
	free(want);
}

/* ---- compatibility ---- */

static void test_old_state_dir_loads(void **state)
{
	struct fx *f = *state;
	struct reg *old = reg_new(NULL, NULL);
	struct reg_profile p = { .name = "web", .type = REG_VPORT_QBG, .typeid = 5 };
	struct reg_err err;
	char *want;
	json_t *doc;

	/* What vdpd wrote before the journal: registry.json only. */
	must(reg_profile_add(old, &p, &err), &err);
	must(reg_store_save(old, f->path, &err), &err);
	want = dump(old);
	reg_free(old);
	assert_int_equal(access(f->jpath, F_OK), -1);
	assert_int_equal(open_store(f, &err), 0);
	{
		char *s = dump(f->reg);

		assert_string_equal(s, want);
		free(s);
	}
	free(want);
	assert_int_equal(f->st.seq, 1);	/* its generation */
	/* A change goes to a new journal, continuing that generation. */
	{
		struct reg_uplink u = { .dev = "eth4", .physnet = "dc", .mode = REG_MODE_VEPA };

		must(reg_uplink_add(f->reg, &u, &err), &err);
		commit(f);
	}
	assert_int_equal(f->st.compactions, 0);
	doc = json_load_file(f->path, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(doc, "generation")), 1);
	json_decref(doc);
	{
		size_t len;
		char *b = tfile_read(f->jpath, &len);

		assert_memory_equal(b, REG_JOURNAL_MAGIC "J 0000000000000002 ", REG_JOURNAL_MAGIC_LEN + 19);
		free(b);
	}
	want = dump(f->reg);
	reload_equals(f, want);
	free(want);
}

static void test_journal_path(void **state)
{
	char out[64];

	(void)state;
	reg_store_journal_path("/var/lib/vdpd/registry.json", out, sizeof(out));
	assert_string_equal(out, "/var/lib/vdpd/registry.journal");
	reg_store_journal_path("/tmp/state", out, sizeof(out));
	assert_string_equal(out, "/tmp/state.journal");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_exact_bytes),
		cmocka_unit_test(test_change_json_shape),
		cmocka_unit_test(test_journal_path),
		cmocka_unit_test_setup_teardown(test_changes_journaled_and_replayed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_middle_damage_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_journal_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sequence_gap_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compaction_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compaction_crash_points, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_state_dir_loads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
