/* Control socket server: framing and malformed input (bad JSON, empty
 * and oversize frames, frames split or pipelined, half-closed and dropped
 * connections), over a socketpair. */
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

static void test_malformed_json_keeps_connection(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {
		"{not json",
		"{\"version\":1,\"cmd\":\"test.echo\"",
		"\xff\xfe\x00garbage",
		"{\"version\":1,\"version\":1,\"cmd\":\"test.echo\"}", /* duplicate key */
		"{\"version\":1,\"cmd\":\"test.echo\"} trailing",
	};
	struct ctl_server_stats st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *r = rpc_raw(f, bad[i]);

		assert_error_reply(r, EBADMSG, "malformed JSON");
		json_decref(r);
	}
	json_t *r = rpc_raw(f, "[1,2,3]");
	assert_error_reply(r, EBADMSG, "not a JSON object");
	json_decref(r);
	r = rpc_raw(f, "\"version\"");
	assert_error_reply(r, EBADMSG, "");
	json_decref(r);
	ctl_server_get_stats(f->srv, &st);
	assert_int_equal(st.bad_json, 7);
	assert_int_equal(f->calls, 0);
	assert_still_serving(f);
}

static void test_zero_length_frame(void **state)
{
	struct fx *f = *state;
	struct ctl_server_stats st;
	static const uint8_t zero[4] = { 0, 0, 0, 0 };

	assert_int_equal(write(f->fd, zero, 4), 4);
	json_t *r = recv_reply(f);
	assert_error_reply(r, EBADMSG, "length 0");
	json_decref(r);
	ctl_server_get_stats(f->srv, &st);
	assert_int_equal(st.bad_frame, 1);
	assert_still_serving(f);
}

static void test_oversize_frame_closes(void **state)
{
	struct fx *f = *state;
	struct ctl_server_stats st;
	/* Claims 2 GiB; the server must refuse from the header alone. */
	static const uint8_t hdr[8] = { 0x7f, 0xff, 0xff, 0xff, '{', '}', ' ', ' ' };
	json_t *r;
	char c;

	assert_int_equal(write(f->fd, hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	r = recv_reply(f);
	assert_error_reply(r, EMSGSIZE, "exceeds the limit");
	json_decref(r);
	/* Then the server closes its end: EOF. */
	pump_until_readable(f);
	assert_int_equal(read(f->fd, &c, 1), 0);
	ctl_server_get_stats(f->srv, &st);
	assert_int_equal(st.bad_frame, 1);
	assert_int_equal(st.clients, 0);
	/* Exactly at the cap plus one is also refused. */
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(ctl_server_adopt(f->srv, sv[0]), 0);
	close(f->fd);
	f->fd = sv[1];
	uint32_t n = CTL_MAX_FRAME + 1;
	uint8_t h2[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
	assert_int_equal(write(f->fd, h2, 4), 4);
	r = recv_reply(f);
	assert_error_reply(r, EMSGSIZE, "1048577 bytes");
	json_decref(r);
}

static void test_byte_by_byte_and_pipelined(void **state)
{
	struct fx *f = *state;
	const char *req = "{\"version\":1,\"cmd\":\"test.echo\",\"args\":{\"i\":1}}";
	size_t n = strlen(req);
	uint8_t buf[256];
	json_t *r;

	buf[0] = 0;
	buf[1] = 0;
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	memcpy(buf + 4, req, n);
	for (size_t i = 0; i < n + 4; i++) {
		assert_int_equal(write(f->fd, buf + i, 1), 1);
		pump(f, 2);
		if (i + 1 < n + 4)
			assert_false(readable(f->fd));
	}
	r = recv_reply(f);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "result"), "i")), 1);
	json_decref(r);

	/* Three requests in one write: three replies in order. */
	echo3_in_one_write(f);
	assert_int_equal(f->calls, 4);
}

/* A pipelining client (vdpctl -b): 1,000 requests in one write are read in
 * one pass, so the write-ahead hook (a journal's fdatasync) runs once for
 * all of them, and each is answered, in the order sent. */
static void test_thousand_in_one_read(void **state)
{
	struct fx *f = *state;
	size_t cap = 1000 * 80, off = 0;
	uint8_t *buf = malloc(cap);

	ctl_server_set_before_reply(f->srv, before_reply, f);
	for (int i = 0; i < 1000; i++) {
		char one[80];

		snprintf(one, sizeof(one),
			 "{\"version\":1,\"cmd\":\"test.echo\",\"id\":%d,\"args\":{\"i\":%d}}", i,
			 i);
		frame_into(buf, cap, &off, one);
	}
	assert_int_equal(write(f->fd, buf, off), (ssize_t)off);
	free(buf);
	for (int i = 0; i < 1000; i++) {
		json_t *r = recv_reply(f);

		assert_true(json_is_true(json_object_get(r, "ok")));
		assert_int_equal(json_integer_value(json_object_get(r, "id")), i);
		assert_int_equal(
			json_integer_value(json_object_get(json_object_get(r, "result"), "i")), i);
		json_decref(r);
	}
	assert_int_equal(f->calls, 1000);
	assert_int_equal(f->calls_at_hook, 1000);
	assert_int_equal(f->hooks, 1);
	assert_false(f->reply_seen_at_hook);
}

static void test_half_close_still_answered(void **state)
{
	struct fx *f = *state;
	struct ctl_server_stats st;
	size_t got = 0;
	int64_t deadline = ctl_deadline(2000);

	/* Three requests, then shutdown(SHUT_WR): all three replies arrive
	 * before the server closes. */
	static const char req[] = "{\"version\":1,\"cmd\":\"test.echo\"}";
	static const char big[] = "{\"version\":1,\"cmd\":\"test.big\",\"args\":{\"n\":600000}}";
	static char buf[1 << 20];

	/* The last reply is larger than a socket buffer: it cannot have left
	 * before the server sees the end of the stream. */
	for (int i = 0; i < 2; i++)
		assert_int_equal(ctl_send_frame(f->fd, req, strlen(req), ctl_deadline(100)), 0);
	assert_int_equal(ctl_send_frame(f->fd, big, strlen(big), ctl_deadline(100)), 0);
	assert_int_equal(shutdown(f->fd, SHUT_WR), 0);
	for (;;) {
		ssize_t n;

		pump(f, 1);
		n = recv(f->fd, buf + got, sizeof(buf) - got, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n > 0)
			got += (size_t)n;
		assert_true(ctl_deadline(0) < deadline);
	}
	size_t frames = 0, p = 0;
	while (p + 4 <= got) {
		p += 4 +
			((size_t)(uint8_t)buf[p] << 24 | (size_t)(uint8_t)buf[p + 1] << 16 |
			 (size_t)(uint8_t)buf[p + 2] << 8 | (uint8_t)buf[p + 3]);
		frames++;
	}
	assert_int_equal(p, got);
	assert_int_equal(frames, 3);
	assert_int_equal(f->calls, 2);
	ctl_server_get_stats(f->srv, &st);
	assert_int_equal(st.clients, 0);
}

static void test_disconnect_mid_frame(void **state)
{
	struct fx *f = *state;
	struct ctl_server_stats st;
	static const uint8_t part[6] = { 0, 0, 0, 100, '{', '"' };
	int64_t deadline = ctl_deadline(2000);

	assert_int_equal(write(f->fd, part, sizeof(part)), (ssize_t)sizeof(part));
	pump(f, 3);
	close(f->fd);
	f->fd = -1;
	do {
		pump(f, 1);
		ctl_server_get_stats(f->srv, &st);
	} while (st.clients > 0 && ctl_deadline(0) < deadline);
	assert_int_equal(st.clients, 0);
	assert_int_equal(f->calls, 0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_malformed_json_keeps_connection, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_zero_length_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversize_frame_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_byte_by_byte_and_pipelined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thousand_in_one_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_close_still_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disconnect_mid_frame, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
