/* Control socket server: dispatch, handler errors, replies, hooks and
 * command tables, over a socketpair (the server end adopted by
 * ctl_server). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/ctl_fx.h"

static void test_echo_ok_and_id(void **state)
{
	struct fx *f = *state;
	json_t *r = rpc_raw(f, "{\"version\":1,\"cmd\":\"test.echo\",\"id\":42,"
			       "\"args\":{\"uplink\":\"eth0\",\"n\":[1,2,3]}}");
	struct ctl_server_stats st;

	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 42);
	json_t *res = json_object_get(r, "result");
	assert_string_equal(json_string_value(json_object_get(res, "uplink")), "eth0");
	assert_int_equal(json_array_size(json_object_get(res, "n")), 3);
	json_decref(r);
	assert_int_equal(f->calls, 1);
	ctl_server_get_stats(f->srv, &st);
	assert_int_equal(st.requests, 1);
	assert_int_equal(st.ok, 1);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.clients, 1);
}

static void test_missing_args_is_empty_object(void **state)
{
	struct fx *f = *state;
	json_t *r = rpc_raw(f, "{\"version\":1,\"cmd\":\"test.echo\"}");

	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_true(json_is_object(json_object_get(r, "result")));
	assert_int_equal(json_object_size(json_object_get(r, "result")), 0);
	json_decref(r);
	r = rpc_raw(f, "{\"version\":1,\"cmd\":\"test.echo\",\"args\":[1]}");
	assert_error_reply(r, EINVAL, "\"args\" must be an object");
	json_decref(r);
	assert_int_equal(f->calls, 1);
}

static void test_handler_error(void **state)
{
	struct fx *f = *state;
	json_t *r = rpc_raw(f, "{\"version\":1,\"cmd\":\"test.fail\",\"args\":{\"id\":\"abc\"}}");

	assert_error_reply(r, ENOENT, "no VSI abc");
	json_decref(r);
	r = rpc_raw(f, "{\"version\":1,\"cmd\":\"test.null\"}");
	assert_error_reply(r, EIO, "internal error in \"test.null\"");
	json_decref(r);
	assert_still_serving(f);
}

static void test_unknown_cmd(void **state)
{
	struct fx *f = *state;
	struct ctl_server_stats st;
	json_t *r = rpc_raw(f, "{\"version\":1,\"cmd\":\"vsi.frobnicate\"}");

	assert_error_reply(r, EOPNOTSUPP, "unknown command \"vsi.frobnicate\"");
	json_decref(r);
	r = rpc_raw(f, "{\"version\":1,\"cmd\":17}");
	assert_error_reply(r, EINVAL, "no string \"cmd\"");
	json_decref(r);
	ctl_server_get_stats(f->srv, &st);
	assert_int_equal(st.unknown_cmd, 2);
	assert_int_equal(st.errors, 2);
	assert_still_serving(f);
}

static void test_version_mismatch(void **state)
{
	struct fx *f = *state;
	struct ctl_server_stats st;
	json_t *r = rpc_raw(f, "{\"version\":2,\"cmd\":\"test.echo\",\"id\":\"a\"}");

	assert_error_reply(r, EPROTO, "version 2 not supported (this daemon speaks 1)");
	assert_string_equal(json_string_value(json_object_get(r, "id")), "a");
	json_decref(r);
	r = rpc_raw(f, "{\"cmd\":\"test.echo\"}");
	assert_error_reply(r, EPROTO, "no integer \"version\"");
	json_decref(r);
	r = rpc_raw(f, "{\"version\":\"1\",\"cmd\":\"test.echo\"}");
	assert_error_reply(r, EPROTO, "no integer \"version\"");
	json_decref(r);
	ctl_server_get_stats(f->srv, &st);
	assert_int_equal(st.bad_version, 3);
	assert_int_equal(f->calls, 0);
	assert_still_serving(f);
}

/* Write-ahead: the hook runs once per batch of requests, after their
 * handlers and before any of their replies reaches the client. */
static void test_before_reply_hook(void **state)
{
	struct fx *f = *state;
	json_t *r;

	ctl_server_set_before_reply(f->srv, before_reply, f);
	echo3_in_one_write(f);
	assert_int_equal(f->hooks, 1);
	assert_int_equal(f->calls_at_hook, 3);
	assert_false(f->reply_seen_at_hook);

	/* Error replies too: they may follow changes in the same batch. */
	r = rpc_raw(f, "{\"version\":1,\"cmd\":\"test.fail\",\"args\":{}}");
	json_decref(r);
	assert_int_equal(f->hooks, 2);
	assert_false(f->reply_seen_at_hook);
}

/* "if_ok": after an error reply on the connection, such a request is not
 * run (ECANCELED); one without it still is. */
static void test_if_ok_after_failure(void **state)
{
	struct fx *f = *state;
	static const char *const reqs[] = {
		"{\"version\":1,\"cmd\":\"test.echo\",\"id\":0,\"if_ok\":true,\"args\":{}}",
		"{\"version\":1,\"cmd\":\"test.fail\",\"id\":1,\"if_ok\":true,\"args\":{\"id\":"
		"\"x\"}}",
		"{\"version\":1,\"cmd\":\"test.echo\",\"id\":2,\"if_ok\":true,\"args\":{}}",
		"{\"version\":1,\"cmd\":\"test.echo\",\"id\":3,\"args\":{}}",
	};
	uint8_t buf[1024];
	size_t off = 0;
	struct ctl_server_stats st;
	json_t *r;

	for (size_t i = 0; i < 4; i++)
		frame_into(buf, sizeof(buf), &off, reqs[i]);
	assert_int_equal(write(f->fd, buf, off), (ssize_t)off);
	r = recv_reply(f);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	r = recv_reply(f);
	assert_error_reply(r, ENOENT, "no VSI x");
	json_decref(r);
	r = recv_reply(f);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 2);
	assert_error_reply(r, ECANCELED, "\"test.echo\" not run");
	json_decref(r);
	r = recv_reply(f);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 3);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	assert_int_equal(f->calls, 2);
	ctl_server_get_stats(f->srv, &st);
	assert_int_equal(st.canceled, 1);
	assert_int_equal(st.errors, 2);
}

static void test_large_reply(void **state)
{
	struct fx *f = *state;
	json_t *r = rpc_raw(f, "{\"version\":1,\"cmd\":\"test.big\",\"args\":{\"n\":800000}}");

	/* Larger than a socket buffer: the server writes it in pieces. */
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_string_length(json_object_get(r, "result")), 800000);
	json_decref(r);
}

static void test_reply_over_cap(void **state)
{
	struct fx *f = *state;
	struct ctl_server_stats st;
	json_t *r = rpc_raw(f, "{\"version\":1,\"cmd\":\"test.big\",\"id\":9,\"args\":{\"n\":1048576}}");

	/* A reply over the cap would be refused by every client: an error
	 * instead, and the connection stays usable. */
	assert_error_reply(r, EMSGSIZE, "exceeds the limit of 1048576");
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 9);
	json_decref(r);
	ctl_server_get_stats(f->srv, &st);
	assert_int_equal(st.ok, 0);
	assert_int_equal(st.errors, 1);
	assert_still_serving(f);
}

static void test_builtin_help(void **state)
{
	struct fx *f = *state;
	json_t *r = rpc_raw(f, "{\"version\":1,\"cmd\":\"help\"}");
	json_t *list = json_object_get(r, "result");

	assert_true(json_is_array(list));
	assert_int_equal(json_array_size(list), 6);	/* 4 + help + subscribe */
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "cmd")),
			    "test.echo");
	json_decref(r);
}

/* A second table with its own context: its handlers get that context, the
 * first table's keep theirs, help lists both in the order added, and a
 * table naming a command already served is refused whole. */
static int other_calls;

static json_t *h_other(void *ctx, json_t *args, struct ctl_error *err)
{
	(void)args;
	(void)err;
	(*(int *)ctx)++;
	return json_string("other");
}

static void test_add_cmds_own_ctx(void **state)
{
	static const struct ctl_cmd more[] = {
		{ "other.x", h_other, "count in other_calls" },
		{ NULL, NULL, NULL },
	};
	static const struct ctl_cmd clash[] = {
		{ "other.y", h_other, "" },
		{ "test.echo", h_other, "" },
		{ NULL, NULL, NULL },
	};
	static const struct ctl_cmd builtin[] = { { "help", h_other, "" }, { NULL, NULL, NULL } };
	struct fx *f = *state;
	void *ctx = NULL;
	json_t *r, *list;

	other_calls = 0;
	assert_int_equal(ctl_server_add_cmds(f->srv, more, &other_calls), 0);
	assert_int_equal(ctl_server_add_cmds(f->srv, clash, &other_calls), -EEXIST);
	assert_int_equal(ctl_server_add_cmds(f->srv, builtin, &other_calls), -EEXIST);
	assert_null(ctl_server_find_cmd(f->srv, "other.y", NULL));
	assert_ptr_equal(ctl_server_find_cmd(f->srv, "other.x", &ctx), &more[0]);
	assert_ptr_equal(ctx, &other_calls);
	assert_ptr_equal(ctl_server_find_cmd(f->srv, "test.echo", &ctx), &cmds[0]);
	assert_ptr_equal(ctx, f);

	r = rpc_raw(f, "{\"version\":1,\"cmd\":\"other.x\"}");
	assert_string_equal(json_string_value(json_object_get(r, "result")), "other");
	json_decref(r);
	assert_int_equal(other_calls, 1);
	r = rpc_raw(f, "{\"version\":1,\"cmd\":\"test.echo\",\"args\":{\"a\":1}}");
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	assert_int_equal(f->calls, 1);
	assert_int_equal(other_calls, 1);

	r = rpc_raw(f, "{\"version\":1,\"cmd\":\"help\"}");
	list = json_object_get(r, "result");
	assert_int_equal(json_array_size(list), 7); /* 4 + 1 + help + subscribe */
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 3), "cmd")),
			    "test.big");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 4), "cmd")),
			    "other.x");
	json_decref(r);
}

static void test_subscribe_and_publish(void **state)
{
	struct fx *f = *state;
	struct ctl_server_stats st;
	json_t *r;

	/* Nobody listens: wants is false, publish costs nothing. */
	assert_false(ctl_server_wants(f->srv, "vsi"));
	ctl_server_publish(f->srv, "vsi", json_pack("{s:i}", "n", 0));
	pump(f, 3);
	assert_false(readable(f->fd));

	r = rpc_raw(f, "{\"version\":1,\"cmd\":\"subscribe\",\"args\":{\"topics\":[\"vsi\",\"typo\"]}}");
	assert_error_reply(r, EINVAL, "unknown topic typo");
	json_decref(r);
	assert_false(ctl_server_wants(f->srv, "vsi"));
	r = rpc_raw(f, "{\"version\":1,\"cmd\":\"subscribe\",\"args\":{\"topics\":[\"vsi\"]}}");
	assert_true(json_is_true(json_object_get(json_object_get(r, "result"), "subscribed")));
	json_decref(r);
	assert_true(ctl_server_wants(f->srv, "vsi"));
	assert_false(ctl_server_wants(f->srv, "uplink"));
	assert_false(ctl_server_wants(f->srv, "nonsense"));

	/* Only the subscribed topic arrives, in order. */
	ctl_server_publish(f->srv, "uplink", json_pack("{s:i}", "n", 1));
	ctl_server_publish(f->srv, "vsi", json_pack("{s:i}", "n", 2));
	ctl_server_publish(f->srv, "vsi", json_pack("{s:i}", "n", 3));
	for (int n = 2; n <= 3; n++) {
		r = recv_reply(f);
		assert_int_equal(json_integer_value(json_object_get(r, "version")), CTL_VERSION);
		assert_string_equal(json_string_value(json_object_get(r, "event")), "vsi");
		assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "data"), "n")), n);
		json_decref(r);
	}
	pump(f, 3);
	assert_false(readable(f->fd));
	/* Requests still work on a subscribed connection. */
	assert_still_serving(f);
	ctl_server_get_stats(f->srv, &st);
	assert_int_equal(st.events, 2);

	/* A subscriber that never reads is dropped, not buffered for ever. */
	char *big = malloc(600001);
	memset(big, 'x', 600000);
	big[600000] = 0;
	for (int i = 0; i < 40; i++) {
		ctl_server_publish(f->srv, "vsi", json_pack("{s:s}", "blob", big));
		pump(f, 2);
	}
	free(big);
	ctl_server_get_stats(f->srv, &st);
	assert_int_equal(st.slow_dropped, 1);
	assert_int_equal(st.clients, 0);
	assert_false(ctl_server_wants(f->srv, "vsi"));
}

static void test_stats_json(void **state)
{
	struct fx *f = *state;
	json_decref(rpc_raw(f, "{\"version\":1,\"cmd\":\"nope\"}"));
	json_t *j = ctl_server_stats_json(f->srv);

	assert_int_equal(json_integer_value(json_object_get(j, "requests")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "unknown_cmd")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "clients")), 1);
	json_decref(j);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_echo_ok_and_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_args_is_empty_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handler_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_cmd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_before_reply_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_if_ok_after_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_over_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_builtin_help, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_cmds_own_ctx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subscribe_and_publish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_json, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
