/* The append-only JSON-lines log under the VSI intents: exact bytes of
 * what it writes, replay order, group flush, a torn last record dropped
 * and cut off, damage and refused records refusing the log, reset. */
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

#include "vdp/jlog.h"

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
	return jlog_open(&f->j, f->path, apply, f, err, errlen);
}

static void test_append_flush_bytes_and_replay(void **state)
{
	struct fx *f = *state;
	char err[256];
	size_t len;

	assert_int_equal(open_log(f, err, sizeof(err)), 0);
	assert_int_equal(f->j.records, 0);
	assert_int_equal(jlog_append(&f->j, json_pack("{s:{s:s, s:i}}", "put", "a", "x", "b", 1)), 0);
	assert_int_equal(jlog_append(&f->j, json_pack("{s:s}", "del", "k|5|00")), 0);
	/* queued, not written: a group costs one write and one sync */
	assert_int_equal(get_file(f->path, &len)[0], 0);
	assert_int_equal(len, 0);
	assert_int_equal(jlog_flush(&f->j), 0);
	assert_string_equal(get_file(f->path, &len), "{\"put\":{\"a\":\"x\",\"b\":1}}\n{\"del\":\"k|5|00\"}\n");
	assert_int_equal(f->j.appends, 2);
	assert_int_equal(f->j.flushes, 1);
	assert_int_equal(jlog_flush(&f->j), 0);	/* nothing queued: no sync */
	assert_int_equal(f->j.flushes, 1);
	jlog_close(&f->j);

	assert_int_equal(open_log(f, err, sizeof(err)), 0);
	assert_string_equal(f->seen, "{\"put\":{\"a\":\"x\",\"b\":1}}\n{\"del\":\"k|5|00\"}\n");
	assert_int_equal(f->j.records, 2);
	assert_int_equal(f->j.torn, 0);
	/* appends go after what was replayed */
	assert_int_equal(jlog_append(&f->j, json_pack("{s:s}", "del", "z")), 0);
	assert_int_equal(jlog_flush(&f->j), 0);
	assert_string_equal(get_file(f->path, &len),
			    "{\"put\":{\"a\":\"x\",\"b\":1}}\n{\"del\":\"k|5|00\"}\n{\"del\":\"z\"}\n");
}

static void test_torn_tail_dropped_and_cut(void **state)
{
	struct fx *f = *state;
	char err[256];
	size_t len;

	put_file(f->path, "{\"del\":\"a\"}\n{\"put\":{\"uplink\":\"et");
	assert_int_equal(open_log(f, err, sizeof(err)), 0);
	assert_string_equal(f->seen, "{\"del\":\"a\"}\n");
	assert_int_equal(f->j.records, 1);
	assert_int_equal(f->j.torn, 1);
	assert_string_equal(get_file(f->path, &len), "{\"del\":\"a\"}\n");
	assert_int_equal(jlog_append(&f->j, json_pack("{s:s}", "del", "b")), 0);
	assert_int_equal(jlog_flush(&f->j), 0);
	assert_string_equal(get_file(f->path, &len), "{\"del\":\"a\"}\n{\"del\":\"b\"}\n");
}

static void test_damage_refused(void **state)
{
	struct fx *f = *state;
	char err[256], want[256];
	size_t len;

	/* a complete line that is not JSON: damage, even as the last line */
	put_file(f->path, "{\"del\":\"a\"}\n{\"del\":\n");
	assert_int_equal(open_log(f, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: damaged record: ", f->path);
	assert_memory_equal(err, want, strlen(want));
	assert_int_equal(f->j.fd, -1);
	/* the file is left as it was */
	assert_string_equal(get_file(f->path, &len), "{\"del\":\"a\"}\n{\"del\":\n");

	put_file(f->path, "[1,2]\n");
	assert_int_equal(open_log(f, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:1: damaged record: not a JSON object", f->path);
	assert_string_equal(err, want);

	put_file(f->path, "{\"a\":1,\"a\":2}\n");
	assert_int_equal(open_log(f, err, sizeof(err)), -EINVAL);

	put_file(f->path, "\n");
	assert_int_equal(open_log(f, err, sizeof(err)), -EINVAL);
}

static void test_refused_record(void **state)
{
	struct fx *f = *state;
	char err[256], want[256];

	put_file(f->path, "{\"del\":\"a\"}\n{\"del\":\"b\"}\n{\"del\":\"c\"}\n");
	f->refuse_at = 2;
	assert_int_equal(open_log(f, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: record refused: no such thing", f->path);
	assert_string_equal(err, want);
}

static void test_reset(void **state)
{
	struct fx *f = *state;
	char err[256];
	size_t len;
	struct stat sb;

	put_file(f->path, "{\"del\":\"a\"}\n");
	assert_int_equal(open_log(f, err, sizeof(err)), 0);
	assert_int_equal(jlog_append(&f->j, json_pack("{s:s}", "del", "b")), 0);
	assert_int_equal(jlog_reset(&f->j), 0);
	assert_int_equal(f->j.records, 0);
	assert_int_equal(jlog_flush(&f->j), 0);	/* the queued one went too */
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	assert_int_equal(jlog_append(&f->j, json_pack("{s:s}", "del", "c")), 0);
	assert_int_equal(jlog_flush(&f->j), 0);
	assert_string_equal(get_file(f->path, &len), "{\"del\":\"c\"}\n");
}

static void test_unopenable(void **state)
{
	struct fx *f = *state;
	char err[256], want[256];

	snprintf(want, sizeof(want), "%s/no/such/dir/log", f->dir);
	assert_int_equal(jlog_open(&f->j, want, apply, f, err, sizeof(err)), -ENOENT);
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
