/* The journal under the VSI intents (vdp/store/jlog.c on vdp/store/journal.h's
 * framing): exact bytes of what it writes (CRCs from zlib.crc32), replay
 * order, group flush, a torn last record dropped and cut off, damage,
 * sequence gaps and refused records refusing the journal, reset. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "vdp/store/jlog.h"

#define MAGIC "vdpd-test-journal 1\n"
#define R1 "J 0000000000000001 00000017 4aa57048 {\"put\":{\"a\":\"x\",\"b\":1}}\n"
#define R2 "J 0000000000000002 00000012 c8b6348a {\"del\":{\"k\":\"00\"}}\n"
#define R3 "J 0000000000000003 0000000f d8c54316 {\"del\":{\"z\":1}}\n"
/* first record of a journal that starts empty */
#define A1 "J 0000000000000001 0000000f a49efa21 {\"del\":{\"a\":1}}\n"

struct fx {
	char dir[64], path[128];
	struct jlog j;
	char seen[1024];	/* replayed records, compact, one per line */
	int refuse_at;		/* apply() refuses this record (1-based), 0 never */
	int n;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/test_jlog.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/log", f->dir);
	f->j.fd = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	jlog_close(&f->j);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int apply(void *ctx, json_t *rec, char *err, size_t errlen)
{
	struct fx *f = ctx;
	char *s;

	if (++f->n == f->refuse_at) {
		snprintf(err, errlen, "no such thing");
		return -1;
	}
	s = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	strncat(f->seen, s, sizeof(f->seen) - strlen(f->seen) - 2);
	strcat(f->seen, "\n");
	free(s);
	return 0;
}

static void put_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	fclose(fp);
}

static char *get_file(const char *path, size_t *len)
{
	static char buf[4096];
	FILE *fp = fopen(path, "r");

	assert_non_null(fp);
	*len = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[*len] = 0;
	fclose(fp);
	return buf;
}

static int open_log(struct fx *f, char *err, size_t errlen)
{
	return jlog_open(&f->j, f->path, MAGIC, apply, f, err, errlen);
}

static void assert_refused(struct fx *f, const char *text, const char *want_tail)
{
	char err[512], want[512];
	size_t len;

	put_file(f->path, text);
	f->n = 0;
	assert_int_equal(open_log(f, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: %s", f->path, want_tail);
	if (strncmp(err, want, strlen(want)))
		fail_msg("error \"%s\", expected it to start with \"%s\"", err, want);
	assert_int_equal(f->j.fd, -1);
	/* the file is left as it was */
	assert_string_equal(get_file(f->path, &len), text);
}

static void test_append_flush_bytes_and_replay(void **state)
{
	struct fx *f = *state;
	char err[256];
	size_t len;

	assert_int_equal(open_log(f, err, sizeof(err)), 0);
	assert_int_equal(f->j.records, 0);
	assert_int_equal(jlog_append(&f->j, json_pack("{s:{s:s, s:i}}", "put", "a", "x", "b", 1)), 0);
	assert_int_equal(jlog_append(&f->j, json_pack("{s:{s:s}}", "del", "k", "00")), 0);
	/* queued, not written: a group costs one write and one sync */
	get_file(f->path, &len);
	assert_int_equal(len, 0);
	assert_int_equal(jlog_flush(&f->j), 0);
	assert_string_equal(get_file(f->path, &len), MAGIC R1 R2);
	assert_int_equal(f->j.appends, 2);
	assert_int_equal(f->j.flushes, 1);
	assert_int_equal(jlog_flush(&f->j), 0);	/* nothing queued: no sync */
	assert_int_equal(f->j.flushes, 1);
	jlog_close(&f->j);

	assert_int_equal(open_log(f, err, sizeof(err)), 0);
	assert_string_equal(f->seen, "{\"put\":{\"a\":\"x\",\"b\":1}}\n{\"del\":{\"k\":\"00\"}}\n");
	assert_int_equal(f->j.records, 2);
	assert_int_equal(f->j.seq, 2);
	assert_int_equal(f->j.torn, 0);
	/* appends go after what was replayed, numbered on */
	assert_int_equal(jlog_append(&f->j, json_pack("{s:{s:i}}", "del", "z", 1)), 0);
	assert_int_equal(jlog_flush(&f->j), 0);
	assert_string_equal(get_file(f->path, &len), MAGIC R1 R2 R3);
}

static void test_torn_tail_dropped_and_cut(void **state)
{
	struct fx *f = *state;
	char err[256];
	size_t len;

	/* a record cut short by a crash: never acknowledged */
	put_file(f->path, MAGIC R1 "J 0000000000000002 00000012 c8b6348a {\"del\":");
	assert_int_equal(open_log(f, err, sizeof(err)), 0);
	assert_string_equal(f->seen, "{\"put\":{\"a\":\"x\",\"b\":1}}\n");
	assert_int_equal(f->j.records, 1);
	assert_int_equal(f->j.torn, 1);
	assert_string_equal(get_file(f->path, &len), MAGIC R1);
	assert_int_equal(jlog_append(&f->j, json_pack("{s:{s:s}}", "del", "k", "00")), 0);
	assert_int_equal(jlog_flush(&f->j), 0);
	assert_string_equal(get_file(f->path, &len), MAGIC R1 R2);
	jlog_close(&f->j);

	/* a crash while the magic line was written: an empty journal */
	put_file(f->path, "vdpd-test-jou");
	assert_int_equal(open_log(f, err, sizeof(err)), 0);
	assert_int_equal(f->j.records, 0);
	assert_int_equal(f->j.torn, 1);
	assert_int_equal(jlog_append(&f->j, json_pack("{s:{s:i}}", "del", "a", 1)), 0);
	assert_int_equal(jlog_flush(&f->j), 0);
	assert_string_equal(get_file(f->path, &len), MAGIC A1);
}

static void test_damage_refused(void **state)
{
	struct fx *f = *state;

	/* a bad CRC with a record after it: acknowledged, damaged */
	assert_refused(f, MAGIC "J 0000000000000001 00000017 4aa57049 {\"put\":{\"a\":\"x\",\"b\":1}}\n" R2,
		       "record 0 at offset 20: CRC mismatch");
	assert_refused(f, "vdpd-other-journal 1\n" R1, "not a journal of this kind");
	/* valid framing, wrong content */
	assert_refused(f, MAGIC "J 0000000000000001 00000003 5bc7b8eb [1]\n", "record 0 at offset 20: not a JSON object");
	/* records missing between two */
	assert_refused(f, MAGIC R1 R3, "record 1 at offset 81: sequence 3 after 1: records are missing");
}

static void test_refused_record(void **state)
{
	struct fx *f = *state;

	f->refuse_at = 2;
	assert_refused(f, MAGIC R1 R2 R3, "record 1 at offset 81: refused: no such thing");
}

static void test_reset(void **state)
{
	struct fx *f = *state;
	char err[256];
	size_t len;
	struct stat sb;

	put_file(f->path, MAGIC R1);
	assert_int_equal(open_log(f, err, sizeof(err)), 0);
	assert_int_equal(jlog_append(&f->j, json_pack("{s:{s:i}}", "del", "b", 1)), 0);
	assert_int_equal(jlog_reset(&f->j), 0);
	assert_int_equal(f->j.records, 0);
	assert_int_equal(jlog_flush(&f->j), 0);	/* the queued one went too */
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	assert_int_equal(jlog_append(&f->j, json_pack("{s:{s:i}}", "del", "b", 1)), 0);
	assert_int_equal(jlog_flush(&f->j), 0);
	/* a new magic line; the numbering goes on (1 was replayed, 2 reset) */
	assert_string_equal(get_file(f->path, &len), MAGIC "J 0000000000000003 0000000f 3740c3e0 {\"del\":{\"b\":1}}\n");
}

static void test_unopenable(void **state)
{
	struct fx *f = *state;
	char err[256], path[256];

	snprintf(path, sizeof(path), "%s/no/such/dir/log", f->dir);
	assert_int_equal(jlog_open(&f->j, path, MAGIC, apply, f, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "No such file or directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_flush_bytes_and_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_dropped_and_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damage_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unopenable, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
