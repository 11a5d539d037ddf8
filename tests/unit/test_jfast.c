/* jfast: control-message JSON in and out, byte for byte and value for value
 * what jansson makes of it, errors included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vdp/base/jfast.h"

/* jfast_dumps(j) is want, and so is json_dumps(j, JSON_COMPACT). */
static void dumps_is(json_t *j, const char *want)
{
	char *a = json_dumps(j, JSON_COMPACT), *b;
	size_t n = 0;

	b = jfast_dumps(j, &n);
	assert_non_null(b);
	assert_string_equal(b, want);
	assert_int_equal(n, strlen(want));
	assert_non_null(a);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

static void test_dumps_vsi_reply(void **state)
{
	json_t *f = json_pack("{s:i, s:i, s:b, s:b, s:b, s:s}", "vid", 10, "pcp", 0, "ps", 0,
			      "vid_assigned", 0, "pcp_assigned", 0, "mac", "52:54:07:00:01:02");
	json_t *r = json_pack("{s:i, s:b, s:{s:s, s:s, s:s, s:i, s:[o], s:b, s:n}, s:I}", "version",
			      1, "ok", 1, "result", "uplink", "eth0", "vsiid_format", "uuid",
			      "vsiid", "00000007-0000-4000-8000-000000000102", "typeid", 5,
			      "filters", f, "in_flight", 1, "retry", "id", (json_int_t)12345);

	(void)state;
	dumps_is(r,
		 "{\"version\":1,\"ok\":true,\"result\":{\"uplink\":\"eth0\",\"vsiid_format\":"
		 "\"uuid\",\"vsiid\":\"00000007-0000-4000-8000-000000000102\",\"typeid\":5,"
		 "\"filters\":[{\"vid\":10,\"pcp\":0,\"ps\":false,\"vid_assigned\":false,"
		 "\"pcp_assigned\":false,\"mac\":\"52:54:07:00:01:02\"}],\"in_flight\":true,"
		 "\"retry\":null},\"id\":12345}");
	json_decref(r);
}

static void test_dumps_order_escapes_integers(void **state)
{
	json_t *o = json_object(), *a = json_array();

	(void)state;
	/* insertion order, not sorted; a replaced value keeps its place */
	json_object_set_new(o, "z", json_integer(INT64_MIN));
	json_object_set_new(o, "a", json_integer(INT64_MAX));
	json_object_set_new(o, "z", json_integer(-1));
	json_object_set_new(o, "e", json_object());
	json_object_set_new(o, "q\"\\", a);
	json_array_append_new(a, json_stringn("\x01\x1f\x7f/\"\\\b\f\n\r\t\0x", 13));
	json_array_append_new(a, json_array());
	json_array_append_new(a, json_integer(0));
	dumps_is(o,
		 "{\"z\":-1,\"a\":9223372036854775807,\"e\":{},\"q\\\"\\\\\":"
		 "[\"\\u0001\\u001F\x7f/\\\"\\\\\\b\\f\\n\\r\\t\\u0000x\",[],0]}");
	json_object_set_new(o, "min", json_integer(INT64_MIN));
	dumps_is(o,
		 "{\"z\":-1,\"a\":9223372036854775807,\"e\":{},\"q\\\"\\\\\":"
		 "[\"\\u0001\\u001F\x7f/\\\"\\\\\\b\\f\\n\\r\\t\\u0000x\",[],0],"
		 "\"min\":-9223372036854775808}");
	json_decref(o);
}

/* What jfast leaves to jansson comes out as jansson writes it. */
static void test_dumps_handed_over(void **state)
{
	json_t *a = json_pack("[f, s]", 1.0, "caf\xc3\xa9"), *deep = json_array(), *s;
	char want[128] = "{\"d\":";

	(void)state;
	dumps_is(a, "[1.0,\"caf\xc3\xa9\"]");
	for (int i = 0; i < 40; i++) {
		json_t *in = json_array();

		json_array_append_new(in, deep);
		deep = in;
	}
	/* deeper than jfast goes */
	s = json_pack("{s:o}", "d", deep);
	memset(want + 5, '[', 41);
	memset(want + 46, ']', 41);
	strcpy(want + 87, "}");
	dumps_is(s, want);
	json_decref(s);
	json_decref(a);
	/* not a container: refused, as json_dumps() without JSON_ENCODE_ANY */
	s = json_string("x");
	assert_null(jfast_dumps(s, NULL));
	json_decref(s);
}

/* jfast_loadb(text) equals want (a json_pack format's value), and so does
 * json_loadb(text). */
static void load_is(const char *text, json_t *want)
{
	json_error_t e1, e2;
	json_t *a = jfast_loadb(text, strlen(text), JSON_REJECT_DUPLICATES, &e1);
	json_t *b = json_loadb(text, strlen(text), JSON_REJECT_DUPLICATES, &e2);

	assert_non_null(want);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(json_equal(a, want));
	assert_true(json_equal(b, want));
	json_decref(a);
	json_decref(b);
	json_decref(want);
}

static void test_load_values(void **state)
{
	(void)state;
	load_is("{\"version\":1,\"cmd\":\"vsi.add\",\"args\":{\"uplink\":\"eth0\",\"filters\":"
		"[{\"mac\":\"52:54:00:00:00:01\",\"vid\":\"10\"}]},\"if_ok\":true}",
		json_pack("{s:i, s:s, s:{s:s, s:[{s:s, s:s}]}, s:b}", "version", 1, "cmd",
			  "vsi.add", "args", "uplink", "eth0", "filters", "mac",
			  "52:54:00:00:00:01", "vid", "10", "if_ok", 1));
	load_is(" \t\r\n[ true , false , null , -0 , 0 , -9223372036854775808 ,"
		"9223372036854775807 , {} , [ ] ] \n",
		json_pack("[b, b, n, I, I, I, I, {}, []]", 1, 0, (json_int_t)0, (json_int_t)0,
			  (json_int_t)INT64_MIN, (json_int_t)INT64_MAX));
	/* escapes, in keys too; an escaped key and an escaped value in one member */
	load_is("{\"a\\\"b\":\"\\\\\\/\\b\\f\\n\\r\\t\\\"\",\"k\\n\":\"v\\t\"}",
		json_pack("{s:s, s:s}", "a\"b", "\\/\b\f\n\r\t\"", "k\n", "v\t"));
	/* handed to jansson: reals, \u, UTF-8 */
	load_is("[1.5,-2e3,\"\\u00e9\",\"caf\xc3\xa9\"]",
		json_pack("[f, f, s, s]", 1.5, -2e3, "\xc3\xa9", "caf\xc3\xa9"));
}

/* Refused with jansson's own error: the same text and position. */
static void refused(const char *text, size_t flags)
{
	json_error_t e1, e2;
	json_t *a = jfast_loadb(text, strlen(text), flags, &e1);
	json_t *b = json_loadb(text, strlen(text), flags, &e2);

	assert_null(a);
	assert_null(b);
	assert_string_equal(e1.text, e2.text);
	assert_int_equal(e1.position, e2.position);
	assert_int_equal(e1.line, e2.line);
	assert_int_equal(e1.column, e2.column);
}

static void test_load_refused(void **state)
{
	json_t *j;

	(void)state;
	refused("{\"a\":1,\"a\":2}", JSON_REJECT_DUPLICATES);
	refused("{\"x\":{\"a\":\"1\",\"b\":2,\"a\":3}}", JSON_REJECT_DUPLICATES);
	refused("[01]", 0);
	refused("[-]", 0);
	refused("[9223372036854775808]", 0);
	refused("[-9223372036854775809]", 0);
	refused("[1,]", 0);
	refused("[truex]", 0);
	refused("[1true]", 0);
	refused("{\"a\" 1}", 0);
	refused("{\"a\":1,}", 0);
	refused("[\"a\x01\"]", 0);
	refused("[\"\\x\"]", 0);
	refused("[\"abc", 0);
	refused("[1] x", 0);
	refused("\"text\"", 0);
	refused("", 0);
	refused("   ", 0);
	/* without JSON_REJECT_DUPLICATES the last one wins, as in jansson */
	j = jfast_loadb("{\"a\":1,\"a\":2}", 13, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "a")), 2);
	assert_int_equal(json_object_size(j), 1);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dumps_vsi_reply),
		cmocka_unit_test(test_dumps_order_escapes_integers),
		cmocka_unit_test(test_dumps_handed_over),
		cmocka_unit_test(test_load_values),
		cmocka_unit_test(test_load_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
