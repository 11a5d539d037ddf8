/* etcd v3 JSON gateway bytes: base64, request bodies, and answers as etcd
 * 3.4 writes them (captured from etcd 3.4.23), including errors and a
 * watch canceled by compaction. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vdp/io/etcd_json.h"

#define HDR \
	"\"header\":{\"cluster_id\":\"15118495548433857066\",\"member_id\":" \
	"\"13668033151171901709\","

static void test_b64(void **state)
{
	static const struct {
		const char *in, *out;
	} c[] = { { "", "" },        { "f", "Zg==" },          { "fo", "Zm8=" },
		  { "foo", "Zm9v" }, { "/vdpd/", "L3ZkcGQv" }, { "/vdpd0", "L3ZkcGQw" } };
	char buf[64];
	uint8_t dec[64];

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		etcd_b64_encode(c[i].in, strlen(c[i].in), buf);
		assert_string_equal(buf, c[i].out);
		assert_int_equal(etcd_b64_decode(c[i].out, strlen(c[i].out), dec),
				 (long)strlen(c[i].in));
		assert_memory_equal(dec, c[i].in, strlen(c[i].in));
	}
	assert_int_equal(etcd_b64_decode("Zg=", 3, dec), -1);
	assert_int_equal(etcd_b64_decode("Z===", 4, dec), -1);
	assert_int_equal(etcd_b64_decode("Zg==Zg==", 8, dec), -1);
	assert_int_equal(etcd_b64_decode("Z!9v", 4, dec), -1);
}

static void check_body(char *s, const char *want)
{
	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static void test_bodies(void **state)
{
	(void)state;
	check_body(etcd_body_range("/vdpd/", 0),
		   "{\"key\":\"L3ZkcGQv\",\"range_end\":\"L3ZkcGQw\"}");
	check_body(etcd_body_range("/vdpd/", 7),
		   "{\"key\":\"L3ZkcGQv\",\"range_end\":\"L3ZkcGQw\",\"revision\":\"7\"}");
	check_body(etcd_body_watch("/vdpd/", 8),
		   "{\"create_request\":{\"key\":\"L3ZkcGQv\",\"range_end\":\"L3ZkcGQw\",\"start_"
		   "revision\":\"8\"}}");
	check_body(
		etcd_body_txn("/vdpd/a", 0, "{}", 0),
		"{\"compare\":[{\"key\":\"L3ZkcGQvYQ==\",\"target\":\"MOD\",\"result\":\"EQUAL\","
		"\"mod_revision\":\"0\"}],\"success\":[{\"request_put\":{\"key\":\"L3ZkcGQvYQ==\","
		"\"value\":\"e30=\"}}]}");
	check_body(
		etcd_body_txn("/vdpd/a", 12, "{}", 99),
		"{\"compare\":[{\"key\":\"L3ZkcGQvYQ==\",\"target\":\"MOD\",\"result\":\"EQUAL\","
		"\"mod_revision\":\"12\"}],\"success\":[{\"request_put\":{\"key\":\"L3ZkcGQvYQ==\","
		"\"value\":\"e30=\",\"lease\":\"99\"}}]}");
	check_body(
		etcd_body_txn("/vdpd/a", 12, NULL, 0),
		"{\"compare\":[{\"key\":\"L3ZkcGQvYQ==\",\"target\":\"MOD\",\"result\":\"EQUAL\","
		"\"mod_revision\":\"12\"}],\"success\":[{\"request_delete_range\":{\"key\":"
		"\"L3ZkcGQvYQ==\"}}]}");
	check_body(etcd_body_lease_grant(10), "{\"TTL\":\"10\"}");
	check_body(etcd_body_lease_keepalive(4111120506481122058LL),
		   "{\"ID\":\"4111120506481122058\"}");
	check_body(etcd_body_auth("root", "pw"), "{\"name\":\"root\",\"password\":\"pw\"}");
}

static void parse_ok(const char *text, struct etcd_answer *a)
{
	int rc = etcd_answer_parse(text, strlen(text), a);

	if (rc)
		fail_msg("%s: %s", text, a->msg);
}

static void test_answers(void **state)
{
	struct etcd_answer a;

	(void)state;
	parse_ok("{" HDR
		 "\"revision\":\"2\",\"raft_term\":\"2\"},\"kvs\":[{\"key\":\"L3ZkcGQvYQ==\","
		 "\"create_revision\":\"2\",\"mod_revision\":\"2\",\"version\":\"1\",\"value\":"
		 "\"eyJ4IjoxfQ==\"}],"
		 "\"count\":\"1\"}",
		 &a);
	assert_int_equal(a.err, 0);
	assert_int_equal(a.revision, 2);
	assert_int_equal(a.nkvs, 1);
	assert_string_equal(a.kvs[0].key, "/vdpd/a");
	assert_int_equal(a.kvs[0].value_len, 7);
	assert_memory_equal(a.kvs[0].value, "{\"x\":1}", 7);
	assert_int_equal(a.kvs[0].mod_revision, 2);
	etcd_answer_free(&a);
	/* a txn whose compare failed: "succeeded" omitted */
	parse_ok("{" HDR "\"revision\":\"2\",\"raft_term\":\"2\"}}", &a);
	assert_int_equal(a.succeeded, 0);
	etcd_answer_free(&a);
	parse_ok("{" HDR
		 "\"revision\":\"3\",\"raft_term\":\"2\"},\"succeeded\":true,\"responses\":[]}",
		 &a);
	assert_int_equal(a.succeeded, 1);
	assert_int_equal(a.revision, 3);
	etcd_answer_free(&a);
	/* watch stream lines */
	parse_ok("{\"result\":{" HDR "\"revision\":\"2\",\"raft_term\":\"2\"},\"created\":true}}",
		 &a);
	assert_int_equal(a.created, 1);
	assert_int_equal(a.nevents, 0);
	etcd_answer_free(&a);
	parse_ok("{\"result\":{" HDR
		 "\"revision\":\"4\",\"raft_term\":\"2\"},\"events\":[{\"kv\":{\"key\":"
		 "\"L3ZkcGQvYQ==\",\"create_revision\":\"2\",\"mod_revision\":\"3\",\"version\":"
		 "\"2\",\"value\":"
		 "\"e30=\"}},{\"type\":\"DELETE\",\"kv\":{\"key\":\"L3ZkcGQvYQ==\",\"mod_"
		 "revision\":\"4\"}}]}}",
		 &a);
	assert_int_equal(a.nevents, 2);
	assert_int_equal(a.events[0].type, ETCD_PUT);
	assert_int_equal(a.events[0].kv.mod_revision, 3);
	assert_memory_equal(a.events[0].kv.value, "{}", 2);
	assert_int_equal(a.events[1].type, ETCD_DELETE);
	assert_string_equal(a.events[1].kv.key, "/vdpd/a");
	assert_int_equal(a.events[1].kv.value_len, 0);
	etcd_answer_free(&a);
	parse_ok("{\"result\":{" HDR
		 "\"raft_term\":\"2\"},\"canceled\":true,\"compact_revision\":\"2\"}}",
		 &a);
	assert_int_equal(a.err, -ESTALE);
	etcd_answer_free(&a);
	parse_ok(
		"{\"error\":\"etcdserver: mvcc: required revision has been compacted\",\"message\":"
		"\"etcdserver: mvcc: required revision has been compacted\",\"code\":11}",
		&a);
	assert_int_equal(a.err, -ESTALE);
	assert_string_equal(a.msg, "etcdserver: mvcc: required revision has been compacted");
	parse_ok("{\"error\":\"etcdserver: invalid auth token\",\"message\":\"etcdserver: invalid "
		 "auth token\","
		 "\"code\":16}",
		 &a);
	assert_int_equal(a.err, -EACCES);
	parse_ok("{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":\"etcdserver: no "
		 "leader\"}}",
		 &a);
	assert_int_equal(a.err, -EIO);
	assert_string_equal(a.msg, "etcdserver: no leader");
	parse_ok("{" HDR "\"revision\":\"2\",\"raft_term\":\"2\"},\"ID\":\"4111120506481122058\","
		 "\"TTL\":\"5\"}",
		 &a);
	assert_int_equal(a.id, 4111120506481122058LL);
	assert_int_equal(a.ttl, 5);
	etcd_answer_free(&a);
	parse_ok("{" HDR "\"revision\":\"2\",\"raft_term\":\"2\"},\"token\":\"abc.7\"}", &a);
	assert_string_equal(a.token, "abc.7");
	etcd_answer_free(&a);
}

static void test_refusals(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"header\":{\"revision\":\"x\"}}",
		"{\"header\":{\"revision\":\"99999999999999999999\"}}",
		"{\"kvs\":{}}",
		"{\"kvs\":[1]}",
		"{\"kvs\":[{\"key\":\"!!!!\"}]}",
		"{\"kvs\":[{\"value\":\"e30=\"}]}",
		"{\"kvs\":[{\"key\":\"YQBi\"}]}", /* "a\0b" */
		"{\"result\":{\"events\":[{\"type\":\"EXPIRE\",\"kv\":{\"key\":\"YQ==\"}}]}}",
		"{\"result\":{\"events\":[{\"kv\":null}]}}",
		"{\"succeeded\":\"yes\"}",
		"{\"result\":7}",
	};
	struct etcd_answer a;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (etcd_answer_parse(bad[i], strlen(bad[i]), &a) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_true(a.msg[0]);
		assert_null(a.mem);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
