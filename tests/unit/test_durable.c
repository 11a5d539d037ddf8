/* Durability under a failing disk: the stores' file calls go through
 * vdp/store/fsops.h, and this test makes write, fsync, fdatasync, rename,
 * open and the directory fsync fail at each step.  What is checked: a
 * journal or snapshot is reported written only after a successful sync;
 * after a failure the next attempt writes again what may be lost (not
 * "nothing pending"); the counters tell the failures and the recovery;
 * the files then hold each change exactly once. */
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

#include "vdp/store/fsops.h"
#include "vdp/store/jlog.h"
#include "profiles/registry.h"
#include "profiles/store.h"

enum op { OP_OPEN, OP_WRITE, OP_PWRITE, OP_FTRUNCATE, OP_FSYNC, OP_FDATASYNC, OP_RENAME, OP_N };

/* Fail the fail_at-th call (from arming) of fail_op with fail_errno; a
 * write that fails may first write `partial` octets (returned as a short
 * write, the failure comes on the following call). */
static struct {
	unsigned calls[OP_N];
	int fail_op;
	unsigned fail_at, seen;
	int fail_errno;
	size_t partial;
	bool partial_done;
} fz;

static void arm(enum op op, unsigned at, int e, size_t partial)
{
	fz.fail_op = (int)op;
	fz.fail_at = at;
	fz.seen = 0;
	fz.fail_errno = e;
	fz.partial = partial;
	fz.partial_done = false;
}

static void disarm(void)
{
	fz.fail_op = -1;
}

static bool failing(enum op op)
{
	fz.calls[op]++;
	if (fz.fail_op != (int)op || ++fz.seen < fz.fail_at)
		return false;
	if (fz.partial && !fz.partial_done) {
		fz.partial_done = true;
		fz.seen--; /* the call after the short write fails */
		return false;
	}
	disarm();
	errno = fz.fail_errno;
	return true;
}

static int f_open(const char *p, int fl, mode_t m)
{
	return failing(OP_OPEN) ? -1 : open(p, fl, m);
}

static ssize_t f_write(int fd, const void *b, size_t n)
{
	bool short_write = fz.fail_op == OP_WRITE && fz.partial && !fz.partial_done;

	if (failing(OP_WRITE))
		return -1;
	return write(fd, b, short_write && n > fz.partial ? fz.partial : n);
}

static ssize_t f_pwrite(int fd, const void *b, size_t n, off_t o)
{
	bool short_write = fz.fail_op == OP_PWRITE && fz.partial && !fz.partial_done;

	if (failing(OP_PWRITE))
		return -1;
	return pwrite(fd, b, short_write && n > fz.partial ? fz.partial : n, o);
}

static int f_ftruncate(int fd, off_t l)
{
	return failing(OP_FTRUNCATE) ? -1 : ftruncate(fd, l);
}

static int f_fsync(int fd)
{
	return failing(OP_FSYNC) ? -1 : fsync(fd);
}

static int f_fdatasync(int fd)
{
	return failing(OP_FDATASYNC) ? -1 : fdatasync(fd);
}

static int f_rename(const char *a, const char *b)
{
	return failing(OP_RENAME) ? -1 : rename(a, b);
}

static const struct store_ops faulty = {
	.open = f_open,
	.write = f_write,
	.pwrite = f_pwrite,
	.ftruncate = f_ftruncate,
	.fsync = f_fsync,
	.fdatasync = f_fdatasync,
	.rename = f_rename,
};

struct fx {
	char dir[64], path[128];
	char cwd[4096];
	struct jlog j;
	unsigned replayed;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/test_durable.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/vsis.json", f->dir);
	assert_non_null(getcwd(f->cwd, sizeof(f->cwd)));
	f->j.fd = -1;
	memset(&fz, 0, sizeof(fz));
	disarm();
	store_ops_set(&faulty);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[256];

	store_ops_set(NULL);
	if (f->j.path)
		jlog_close(&f->j);
	assert_int_equal(chdir(f->cwd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

#define MAGIC "vdpd-test-journal 1\n"

static int count_rec(void *ctx, json_t *rec, char *err, size_t errlen)
{
	struct fx *f = ctx;

	(void)rec;
	(void)err;
	(void)errlen;
	f->replayed++;
	return 0;
}

static void jopen(struct fx *f)
{
	char jp[160], err[256];

	snprintf(jp, sizeof(jp), "%s.journal", f->path);
	assert_int_equal(jlog_open(&f->j, jp, MAGIC, count_rec, f, err, sizeof(err)), 0);
}

/* What a restart would replay: every record exactly once, nothing torn. */
static void assert_replays(struct fx *f, unsigned n)
{
	jlog_close(&f->j);
	f->replayed = 0;
	jopen(f);
	assert_int_equal(f->replayed, n);
	assert_int_equal(f->j.torn, 0);
}

/* The case that reported recovery without a sync: fdatasync failed, the
 * buffer had been emptied by the write, the retry found nothing to do. */
static void test_jlog_fdatasync_fails(void **state)
{
	struct fx *f = *state;

	jopen(f);
	assert_int_equal(jlog_append(&f->j, json_pack("{s:{s:i}}", "put", "a", 1)), 0);
	arm(OP_FDATASYNC, 1, EIO, 0);
	assert_int_equal(jlog_flush(&f->j), -EIO);
	assert_int_equal(fz.calls[OP_FDATASYNC], 1);
	/* The retry must sync again, not find "nothing pending". */
	assert_int_equal(jlog_flush(&f->j), 0);
	assert_int_equal(fz.calls[OP_FDATASYNC], 2);
	/* ... after writing again what the failed sync may have lost. */
	assert_int_equal(fz.calls[OP_FTRUNCATE], 1);
	assert_int_equal(fz.calls[OP_WRITE], 2);
	assert_int_equal(f->j.sync_errors, 1);
	assert_int_equal(f->j.rewrites, 1);
	assert_int_equal(f->j.flushes, 1);
	assert_int_equal(f->j.synced, f->j.size);
	assert_replays(f, 1);
}

static void append_n(struct fx *f, int n)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(jlog_append(&f->j, json_pack("{s:{s:i}}", "put", "a", i)), 0);
}

static void test_jlog_write_fails(void **state)
{
	struct fx *f = *state;

	jopen(f);
	append_n(f, 1);
	arm(OP_WRITE, 1, ENOSPC, 0);
	assert_int_equal(jlog_flush(&f->j), -ENOSPC);
	assert_int_equal(f->j.write_errors, 1);
	assert_int_equal(f->j.flushes, 0);
	assert_int_equal(jlog_flush(&f->j), 0);
	assert_int_equal(f->j.flushes, 1);
	assert_int_equal(f->j.rewrites, 0); /* nothing had reached the file */
	assert_replays(f, 1);
}

/* A short write, then ENOSPC: half a record in the file.  The next flush
 * cuts it and writes the records whole: no torn tail, no duplicate. */
static void test_jlog_short_write(void **state)
{
	struct fx *f = *state;

	jopen(f);
	append_n(f, 2);
	assert_int_equal(jlog_flush(&f->j), 0);
	append_n(f, 2);
	arm(OP_WRITE, 1, ENOSPC, 10);
	assert_int_equal(jlog_flush(&f->j), -ENOSPC);
	assert_int_equal(f->j.size, f->j.synced + 10);
	assert_int_equal(jlog_flush(&f->j), 0);
	assert_int_equal(f->j.rewrites, 1);
	assert_int_equal(f->j.write_errors, 1);
	assert_replays(f, 4);
}

/* The sync of a later group fails: only that group is written again, the
 * synced one before it stays as it is. */
static void test_jlog_sync_fails_second_group(void **state)
{
	struct fx *f = *state;
	size_t first;

	jopen(f);
	append_n(f, 3);
	assert_int_equal(jlog_flush(&f->j), 0);
	first = f->j.synced;
	append_n(f, 2);
	arm(OP_FDATASYNC, 1, EIO, 0);
	assert_int_equal(jlog_flush(&f->j), -EIO);
	assert_int_equal(f->j.synced, first);
	/* More changes arrive meanwhile: one flush takes all. */
	append_n(f, 1);
	assert_int_equal(jlog_flush(&f->j), 0);
	assert_int_equal(f->j.rewrites, 1);
	assert_int_equal(f->j.sync_errors, 1);
	assert_int_equal(f->j.flushes, 2);
	assert_replays(f, 6);
}

/* Cutting back fails too: reported, and the flush after succeeds. */
static void test_jlog_truncate_fails(void **state)
{
	struct fx *f = *state;

	jopen(f);
	append_n(f, 1);
	arm(OP_FDATASYNC, 1, EIO, 0);
	assert_int_equal(jlog_flush(&f->j), -EIO);
	arm(OP_FTRUNCATE, 1, EIO, 0);
	assert_int_equal(jlog_flush(&f->j), -EIO);
	assert_int_equal(f->j.write_errors, 1);
	assert_int_equal(fz.calls[OP_FDATASYNC], 1); /* never synced what it could not cut */
	assert_int_equal(jlog_flush(&f->j), 0);
	assert_replays(f, 1);
}

/* Emptying after a snapshot fails at the fsync: the next record starts a
 * fresh journal (the old records are cut then). */
static void test_jlog_reset_fails(void **state)
{
	struct fx *f = *state;

	jopen(f);
	append_n(f, 3);
	assert_int_equal(jlog_flush(&f->j), 0);
	arm(OP_FSYNC, 1, EIO, 0);
	assert_int_equal(jlog_reset(&f->j), -EIO);
	assert_int_equal(f->j.sync_errors, 1);
	append_n(f, 1);
	assert_int_equal(jlog_flush(&f->j), 0);
	assert_int_equal(f->j.rewrites, 1);
	assert_replays(f, 1);
	arm(OP_FTRUNCATE, 1, EIO, 0);
	assert_int_equal(jlog_reset(&f->j), -EIO);
	append_n(f, 2);
	assert_int_equal(jlog_flush(&f->j), 0);
	assert_replays(f, 2);
}

/* ---- snapshots: store_replace_file ---- */

static void put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void assert_content(const char *path, const char *text)
{
	char buf[256] = "";
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = 0;
	fclose(fp);
	assert_string_equal(buf, text);
}

static unsigned files_in(const char *dir)
{
	char cmd[256];
	FILE *p;
	unsigned n = 0;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%u", &n), 1);
	pclose(p);
	return n;
}

static void replace_fails_at(struct fx *f, enum op op, unsigned at, const char *step,
			     const char *left)
{
	char err[512];

	put(f->path, "old\n");
	arm(op, at, EIO, 0);
	assert_int_equal(store_replace_file(f->path, "new\n", 4, err, sizeof(err)), -EIO);
	if (!strstr(err, step))
		fail_msg("error \"%s\" does not name the step \"%s\"", err, step);
	assert_content(f->path, left);
	assert_int_equal(files_in(f->dir), 1); /* no temporary left */
	/* The next attempt writes it. */
	assert_int_equal(store_replace_file(f->path, "new\n", 4, err, sizeof(err)), 0);
	assert_content(f->path, "new\n");
}

static void test_snapshot_each_step_fails(void **state)
{
	struct fx *f = *state;

	replace_fails_at(f, OP_OPEN, 1, "cannot create", "old\n");
	replace_fails_at(f, OP_WRITE, 1, "write", "old\n");
	replace_fails_at(f, OP_FSYNC, 1, "fsync", "old\n");
	replace_fails_at(f, OP_RENAME, 1, "rename", "old\n");
	/* Renamed but the directory not synced: not reported as written. */
	replace_fails_at(f, OP_OPEN, 2, "fsync directory", "new\n");
	replace_fails_at(f, OP_FSYNC, 2, "fsync directory", "new\n");
}

/* A bare relative name: its directory is ".", not the file itself. */
static void test_relative_path(void **state)
{
	struct fx *f = *state;
	char dir[64], err[512];

	assert_int_equal(store_dir_of("reg.json", dir, sizeof(dir)), 0);
	assert_string_equal(dir, ".");
	assert_int_equal(store_dir_of("/reg.json", dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/");
	assert_int_equal(store_dir_of("a/b/reg.json", dir, sizeof(dir)), 0);
	assert_string_equal(dir, "a/b");
	assert_int_equal(chdir(f->dir), 0);
	assert_int_equal(store_replace_file("reg.json", "{}\n", 3, err, sizeof(err)), 0);
	assert_int_equal(store_sync_dir("reg.json"), 0);
}

/* ---- the registry's journal ---- */

static void add_profile(struct reg *reg, const char *name)
{
	struct reg_err err;
	struct reg_profile p = {
		.type = REG_VPORT_QBG, .mgrid = 11, .typeid = 7, .typeidver = 2, .filter_fmt = 2
	};

	snprintf(p.name, sizeof(p.name), "%s", name);

	if (reg_profile_add(reg, &p, &err))
		fail_msg("%s", err.msg);
}

static struct reg *reload(struct fx *f)
{
	struct reg *reg = reg_new(NULL, NULL);
	struct reg_store st;
	struct reg_err err;

	store_ops_set(NULL);
	if (reg_store_open(&st, reg, f->path, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	reg_store_close(&st);
	store_ops_set(&faulty);
	return reg;
}

/* Each failing step of a journal append: the change is not acknowledged
 * (commit fails), the counters say where, and the next commit writes it
 * (as a snapshot), so a restart has it. */
static void registry_append_fails_at(struct fx *f, enum op op, unsigned at)
{
	struct reg *reg = reg_new(NULL, NULL), *back;
	struct reg_store st;
	struct reg_err err;

	char jp[200];

	unlink(f->path);
	reg_store_journal_path(f->path, jp, sizeof(jp));
	unlink(jp);
	assert_int_equal(reg_store_open(&st, reg, f->path, NULL, &err), -ENOENT);
	reg_set_change_hook(reg, reg_store_note, &st);
	add_profile(reg, "p1");
	assert_int_equal(reg_store_commit(&st, reg, &err), 0); /* the first save: a snapshot */
	add_profile(reg, "p2");
	arm(op, at, EIO, 0);
	assert_true(reg_store_commit(&st, reg, &err) < 0);
	assert_true(st.dirty);
	assert_int_equal(st.write_errors + st.sync_errors, 1);
	assert_int_equal(st.rewrites, 1);
	assert_int_equal(reg_store_commit(&st, reg, &err), 0);
	assert_false(st.dirty);
	assert_int_equal(st.compactions, 2);
	reg_store_close(&st);
	back = reload(f);
	assert_non_null(reg_profile_get(back, "p2"));
	reg_free(back);
	reg_free(reg);
}

static void test_registry_append_fails(void **state)
{
	struct fx *f = *state;

	registry_append_fails_at(f, OP_OPEN, 1); /* opening the journal */
	registry_append_fails_at(f, OP_PWRITE, 1); /* its header */
	registry_append_fails_at(f, OP_FDATASYNC, 1); /* the header's sync */
	registry_append_fails_at(f, OP_OPEN, 3); /* the directory, for the new name */
	registry_append_fails_at(f, OP_PWRITE, 2); /* the record */
	registry_append_fails_at(f, OP_FDATASYNC, 2); /* the record's sync */
}

/* A relative state path: saves succeed (they failed with "fsync
 * directory reg.json: Not a directory"). */
static void test_registry_relative_path(void **state)
{
	struct fx *f = *state;
	struct reg *reg = reg_new(NULL, NULL);
	struct reg_err err;

	assert_int_equal(chdir(f->dir), 0);
	add_profile(reg, "p1");
	if (reg_store_save(reg, "reg.json", &err) < 0)
		fail_msg("%s", err.msg);
	reg_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_jlog_fdatasync_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jlog_write_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jlog_short_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jlog_sync_fails_second_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jlog_truncate_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jlog_reset_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_each_step_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_append_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_relative_path, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
