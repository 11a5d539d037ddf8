/* Control socket: framing, dispatch, errors and malformed input, over a
 * socketpair (the server end adopted by ctl_server) and over a real socket
 * in a temporary directory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "vdp/ctl/ctl.h"
#include "tests/unit/fakeclock.h"

struct fx {
	struct event_base *base;
	struct ctl_server *srv;
	int fd;			/* client end */
	int calls;
	int hooks;		/* before_reply runs */
	int calls_at_hook;	/* handler calls when it last ran */
	bool reply_seen_at_hook;
	char dir[64];
	char path[128];
	struct fakeclock fc;
	bool fake;
};

static json_t *h_echo(void *ctx, json_t *args, struct ctl_error *err)
{
	struct fx *f = ctx;

	(void)err;
	f->calls++;
	return json_deep_copy(args);
}

static json_t *h_fail(void *ctx, json_t *args, struct ctl_error *err)
{
	(void)ctx;
	return ctl_fail(err, ENOENT, "no VSI %s", json_string_value(json_object_get(args, "id")));
}

static json_t *h_null(void *ctx, json_t *args, struct ctl_error *err)
{
	(void)ctx;
	(void)args;
	(void)err;
	return NULL;	/* forgot ctl_fail: must still give a clean error */
}

static json_t *h_big(void *ctx, json_t *args, struct ctl_error *err)
{
	json_int_t n = json_integer_value(json_object_get(args, "n"));
	char *s;
	json_t *r;

	(void)ctx;
	if (n <= 0 || n > 2000000)
		return ctl_fail(err, ERANGE, "n out of range");
	s = malloc((size_t)n + 1);
	memset(s, 'x', (size_t)n);
	s[n] = 0;
	r = json_string(s);
	free(s);
	return r;
}

static const struct ctl_cmd cmds[] = {
	{ "test.echo", h_echo, "return the args" },
	{ "test.fail", h_fail, "fail with ENOENT" },
	{ "test.null", h_null, "return NULL without an error" },
	{ "test.big", h_big, "return a string of n bytes" },
	{ NULL, NULL, NULL },
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int sv[2];

	f->base = event_base_new();
	strcpy(f->dir, "/tmp/test_ctl.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/ctl.sock", f->dir);
	f->srv = ctl_server_new(f->base, f->path, 0660, cmds, f);
	assert_non_null(f->srv);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(ctl_server_adopt(f->srv, sv[0]), 0);
	f->fd = sv[1];
	*state = f;
	return 0;
}

/* The same with a fake clock for the connection deadlines: set before the
 * first client, so its timer runs on it too. */
static int setup_fake(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int sv[2];

	f->base = event_base_new();
	fakeclock_init(&f->fc, 1000000);
	f->fake = true;
	strcpy(f->dir, "/tmp/test_ctl.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/ctl.sock", f->dir);
	f->srv = ctl_server_new(f->base, f->path, 0660, cmds, f);
	assert_non_null(f->srv);
	ctl_server_set_clock(f->srv, fakeclock_vclock(&f->fc));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(ctl_server_adopt(f->srv, sv[0]), 0);
	f->fd = sv[1];
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->fd >= 0)
		close(f->fd);
	ctl_server_free(f->srv);
	if (f->fake)
		fakeclock_destroy(&f->fc);
	event_base_free(f->base);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

/* Runs the server's loop until the client end has something to read. */
static void pump_until_readable(struct fx *f)
{
	int64_t deadline = ctl_deadline(2000);

	while (!readable(f->fd)) {
		assert_true(ctl_deadline(0) < deadline);
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		if (!readable(f->fd))
			usleep(1000);
	}
}

static void pump(struct fx *f, int rounds)
{
	for (int i = 0; i < rounds; i++)
		event_base_loop(f->base, EVLOOP_NONBLOCK);
}

/* Reads one reply frame, running the server loop while waiting so replies
 * larger than the socket buffer arrive too. */
static json_t *recv_reply(struct fx *f)
{
	int64_t deadline = ctl_deadline(3000);
	uint8_t hdr[4];
	size_t got = 0, need = 4;
	uint8_t *buf = NULL;
	json_t *r;

	while (got < need) {
		ssize_t n;

		pump_until_readable(f);
		if (!buf)
			n = read(f->fd, hdr + got, need - got);
		else
			n = read(f->fd, buf + got, need - got);
		assert_true(n > 0);
		got += (size_t)n;
		if (!buf && got == 4) {
			need = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
			assert_true(need > 0 && need <= CTL_MAX_FRAME);
			buf = malloc(need);
			got = 0;
		}
		assert_true(ctl_deadline(0) < deadline);
	}
	r = json_loadb((const char *)buf, need, 0, NULL);
	free(buf);
	assert_non_null(r);
	return r;
}

static json_t *rpc_raw(struct fx *f, const char *text)
{
	assert_int_equal(ctl_send_frame(f->fd, text, strlen(text), ctl_deadline(1000)), 0);
	return recv_reply(f);
}

static void assert_error_reply(json_t *r, int errnum, const char *needle)
{
	assert_int_equal(json_integer_value(json_object_get(r, "version")), CTL_VERSION);
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_int_equal(json_integer_value(json_object_get(r, "errno")), errnum);
	const char *text = json_string_value(json_object_get(r, "error"));
	assert_non_null(text);
	if (!strstr(text, needle))
		fail_msg("error text \"%s\" lacks \"%s\"", text, needle);
}

/* A valid request still works after whatever came before. */
static void assert_still_serving(struct fx *f)
{
	json_t *r = rpc_raw(f, "{\"version\":1,\"cmd\":\"test.echo\",\"args\":{\"k\":7}}");

	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "result"), "k")), 7);
	json_decref(r);
}

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

static void test_malformed_json_keeps_connection(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {
		"{not json",
		"{\"version\":1,\"cmd\":\"test.echo\"",
		"\xff\xfe\x00garbage",
		"{\"version\":1,\"version\":1,\"cmd\":\"test.echo\"}",	/* duplicate key */
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

/* Three test.echo requests (ids 0, 1, 2) in one write, then their replies
 * in order. */
static void echo3_in_one_write(struct fx *f)
{
	uint8_t buf[512];
	size_t off = 0;
	json_t *r;

	for (int i = 0; i < 3; i++) {
		char one[128];
		int len = snprintf(one, sizeof(one),
				   "{\"version\":1,\"cmd\":\"test.echo\",\"id\":%d,\"args\":{}}", i);
		buf[off] = 0;
		buf[off + 1] = 0;
		buf[off + 2] = 0;
		buf[off + 3] = (uint8_t)len;
		memcpy(buf + off + 4, one, (size_t)len);
		off += 4 + (size_t)len;
	}
	assert_int_equal(write(f->fd, buf, off), (ssize_t)off);
	for (int i = 0; i < 3; i++) {
		r = recv_reply(f);
		assert_int_equal(json_integer_value(json_object_get(r, "id")), i);
		json_decref(r);
	}
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

static void before_reply(void *ctx)
{
	struct fx *f = ctx;

	f->hooks++;
	f->calls_at_hook = f->calls;
	if (readable(f->fd))
		f->reply_seen_at_hook = true;
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

/* Appends one frame holding text to buf at *off (cap checked). */
static void frame_into(uint8_t *buf, size_t cap, size_t *off, const char *text)
{
	size_t len = strlen(text);

	assert_true(*off + 4 + len <= cap);
	buf[*off] = (uint8_t)(len >> 24);
	buf[*off + 1] = (uint8_t)(len >> 16);
	buf[*off + 2] = (uint8_t)(len >> 8);
	buf[*off + 3] = (uint8_t)len;
	memcpy(buf + *off + 4, text, len);
	*off += 4 + len;
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
		p += 4 + ((size_t)(uint8_t)buf[p] << 24 | (size_t)(uint8_t)buf[p + 1] << 16 |
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

static void test_call_timeout(void **state)
{
	struct fx *f = *state;
	int sv[2];
	json_t *res = (json_t *)1;
	char *err = NULL;
	int64_t t0 = ctl_deadline(0);

	(void)f;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* Nobody serves sv[0]. */
	assert_int_equal(ctl_call_fd(sv[1], "test.echo", NULL, &res, &err, 100), -ETIMEDOUT);
	assert_true(ctl_deadline(0) - t0 >= 100);
	assert_true(ctl_deadline(0) - t0 < 1000);
	assert_null(res);
	assert_non_null(strstr(err, "within 100 ms"));
	free(err);
	/* Peer answers with an oversize header: refused before allocation. */
	static const uint8_t hdr[4] = { 0xff, 0xff, 0xff, 0xff };
	assert_int_equal(write(sv[0], hdr, 4), 4);
	json_t *m = NULL;
	assert_int_equal(ctl_recv_msg(sv[1], &m, ctl_deadline(100)), -EMSGSIZE);
	assert_null(m);
	/* Peer closes: ECONNRESET, not a hang. */
	close(sv[0]);
	assert_int_equal(ctl_call_fd(sv[1], "test.echo", NULL, &res, &err, 1000), -ECONNRESET);
	free(err);
	close(sv[1]);
}

/* A real client process against the real listening socket. */
static void test_call_over_path(void **state)
{
	struct fx *f = *state;
	struct stat stb;
	pid_t pid;
	int status = -1;

	assert_int_equal(stat(f->path, &stb), 0);
	assert_true(S_ISSOCK(stb.st_mode));
	assert_int_equal(stb.st_mode & 0777, 0660);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		json_t *res = NULL, *args = json_pack("{s:s}", "id", "u1");
		char *err = NULL;
		int rc = ctl_call(f->path, "test.echo", args, &res, &err, 2000);

		if (rc != 0 || strcmp(json_string_value(json_object_get(res, "id")), "u1") != 0)
			_exit(10);
		json_decref(res);
		rc = ctl_call(f->path, "test.fail", args, &res, &err, 2000);
		if (rc != -ENOENT || !err || strcmp(err, "no VSI u1") != 0 || res)
			_exit(11);
		_exit(0);
	}
	int64_t deadline = ctl_deadline(5000);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (ctl_deadline(0) > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fail_msg("client process did not finish");
		}
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	pump(f, 5);
	struct ctl_server_stats st;
	ctl_server_get_stats(f->srv, &st);
	assert_int_equal(st.connections, 3);	/* socketpair + 2 calls */
	assert_int_equal(st.ok, 1);
	assert_int_equal(st.errors, 1);
}

static void test_socket_lifecycle(void **state)
{
	struct fx *f = *state;
	char p2[160];
	json_t *res = NULL;
	char *err = NULL;

	/* A live daemon's socket is not stolen. */
	errno = 0;
	assert_null(ctl_server_new(f->base, f->path, 0600, cmds, f));
	assert_int_equal(errno, EADDRINUSE);

	/* A stale socket (bound, nobody listening) is replaced. */
	snprintf(p2, sizeof(p2), "%s/stale.sock", f->dir);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	strcpy(sun.sun_path, p2);
	assert_int_equal(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(s);
	struct ctl_server *srv2 = ctl_server_new(f->base, p2, 0600, cmds, f);
	assert_non_null(srv2);
	ctl_server_free(srv2);
	/* Freed: the path is gone, a call fails cleanly. */
	assert_int_equal(access(p2, F_OK), -1);
	assert_int_equal(ctl_call(p2, "test.echo", NULL, &res, &err, 500), -ENOENT);
	assert_non_null(strstr(err, p2));
	assert_null(res);
	free(err);

	/* A regular file at the path is not removed. */
	FILE *fp = fopen(p2, "w");
	fclose(fp);
	errno = 0;
	assert_null(ctl_server_new(f->base, p2, 0600, cmds, f));
	assert_int_equal(errno, EEXIST);
	unlink(p2);
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

/* ---- connection limits and deadlines (fake clock) ---- */

static void advance_ms(struct fx *f, unsigned ms)
{
	pump(f, 3);
	fakeclock_advance(&f->fc, (uint64_t)ms * 1000u);
	pump(f, 3);
}

/* Reads whatever frame fd has (the server's last word) and then EOF
 * (libevent closes a freed bufferevent's socket from the loop). */
static json_t *read_last_word(struct fx *f, int fd)
{
	json_t *m = NULL;
	char c;

	assert_int_equal(ctl_recv_msg(fd, &m, ctl_deadline(1000)), 0);
	pump(f, 3);
	assert_int_equal(read(fd, &c, 1), 0);
	return m;
}

static unsigned n_clients(struct fx *f)
{
	struct ctl_server_stats st;

	ctl_server_get_stats(f->srv, &st);
	return st.clients;
}

/* 1 byte every 4 s kept a frame open for ever when the deadline restarted
 * on every read: now the frame has CTL_PARTIAL_TIMEOUT_MS from its first
 * byte. */
static void test_frame_deadline_not_per_read(void **state)
{
	struct fx *f = *state;
	static const char msg[] = "\0\0\0\x40{\"version\":1";
	struct ctl_server_stats st;
	unsigned t = 0;
	json_t *r;

	for (int i = 0; t + 4000 < CTL_PARTIAL_TIMEOUT_MS; i++, t += 4000) {
		assert_int_equal(write(f->fd, msg + i, 1), 1);
		advance_ms(f, 4000);
	}
	assert_int_equal(write(f->fd, msg + 3, 1), 1);
	advance_ms(f, CTL_PARTIAL_TIMEOUT_MS - t - 1);
	assert_int_equal(n_clients(f), 1);
	assert_false(readable(f->fd));
	advance_ms(f, 1);
	r = read_last_word(f, f->fd);
	assert_error_reply(r, ETIMEDOUT, "not complete 10000 ms after its first byte");
	json_decref(r);
	ctl_server_get_stats(f->srv, &st);
	assert_int_equal(st.frame_timeout, 1);
	assert_int_equal(st.bad_frame, 1);
	assert_int_equal(st.clients, 0);
}

/* Each frame gets its own deadline: a second frame started late is timed
 * from its own first byte. */
static void test_frame_deadline_per_frame(void **state)
{
	struct fx *f = *state;
	static const char req[] = "{\"version\":1,\"cmd\":\"test.echo\"}";
	uint8_t hdr[4] = { 0, 0, 0, (uint8_t)(sizeof(req) - 1) };
	json_t *r;

	assert_int_equal(write(f->fd, hdr, 4), 4);
	advance_ms(f, CTL_PARTIAL_TIMEOUT_MS - 100);
	assert_int_equal(write(f->fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	assert_int_equal(write(f->fd, hdr, 2), 2); /* next frame starts */
	r = recv_reply(f);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	advance_ms(f, CTL_PARTIAL_TIMEOUT_MS - 100);
	assert_int_equal(n_clients(f), 1);
	advance_ms(f, 100);
	assert_int_equal(n_clients(f), 0);
}

static void test_idle_timeout(void **state)
{
	struct fx *f = *state;
	struct ctl_server_stats st;
	json_t *r;
	int sv[2];

	/* A subscriber stays, however long it is quiet. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(ctl_server_adopt(f->srv, sv[0]), 0);
	assert_int_equal(ctl_send_frame(sv[1], "{\"version\":1,\"cmd\":\"subscribe\"}", 31,
					ctl_deadline(1000)),
			 0);
	pump(f, 3);
	assert_still_serving(f); /* activity moves the idle deadline */
	advance_ms(f, CTL_IDLE_TIMEOUT_MS - 1);
	assert_int_equal(n_clients(f), 2);
	advance_ms(f, 1);
	r = read_last_word(f, f->fd);
	assert_error_reply(r, ETIMEDOUT, "idle for 30000 ms");
	assert_true(json_is_true(json_object_get(r, "unread")));
	json_decref(r);
	advance_ms(f, 10 * CTL_IDLE_TIMEOUT_MS);
	ctl_server_get_stats(f->srv, &st);
	assert_int_equal(st.idle_closed, 1);
	assert_int_equal(st.clients, 1);
	assert_int_equal(st.subscribers, 1);
	close(sv[1]);
}

/* A client that pipelines requests and reads nothing: reading pauses
 * behind its output, then the write deadline closes it. */
static void test_write_deadline_paused_reader(void **state)
{
	struct fx *f = *state;
	static const char req[] = "{\"version\":1,\"cmd\":\"test.big\",\"args\":{\"n\":900000}}";
	struct ctl_server_stats st;

	for (int i = 0; i < 4; i++)
		assert_int_equal(ctl_send_frame(f->fd, req, sizeof(req) - 1, ctl_deadline(1000)),
				 0);
	pump(f, 10);
	advance_ms(f, CTL_WRITE_TIMEOUT_MS - 1);
	assert_int_equal(n_clients(f), 1);
	advance_ms(f, 1);
	ctl_server_get_stats(f->srv, &st);
	assert_int_equal(st.write_timeout, 1);
	assert_int_equal(st.clients, 0);
	assert_true(st.requests < 4); /* it stopped reading them */
}

/* The client reads slowly but steadily: each drain resets the write
 * deadline, so it is served to the end. */
static void test_write_deadline_reset_by_drain(void **state)
{
	struct fx *f = *state;
	json_t *r;

	for (int i = 0; i < 3; i++) {
		r = rpc_raw(f, "{\"version\":1,\"cmd\":\"test.big\",\"args\":{\"n\":200000}}");
		assert_true(json_is_true(json_object_get(r, "ok")));
		json_decref(r);
		advance_ms(f, CTL_WRITE_TIMEOUT_MS - 1);
	}
	assert_int_equal(n_clients(f), 1);
}

static int adopt_pair(struct fx *f, int *client)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	*client = sv[1];
	return ctl_server_adopt(f->srv, sv[0]);
}

static void test_cap_busy_then_evict(void **state)
{
	struct fx *f = *state;
	int fds[CTL_MAX_CLIENTS], over, late;
	struct ctl_server_stats st;
	json_t *r;

	/* f->fd holds one slot. */
	for (int i = 1; i < CTL_MAX_CLIENTS; i++)
		assert_int_equal(adopt_pair(f, &fds[i]), 0);
	/* Full, nobody quiet long enough: the newcomer is told, then closed. */
	assert_int_equal(adopt_pair(f, &over), -EBUSY);
	r = read_last_word(f, over);
	assert_error_reply(r, EBUSY, "busy: 64 clients");
	assert_int_equal(json_integer_value(json_object_get(r, "busy")), CTL_MAX_CLIENTS);
	assert_true(json_is_true(json_object_get(r, "unread")));
	json_decref(r);
	close(over);
	ctl_server_get_stats(f->srv, &st);
	assert_int_equal(st.rejected, 1);
	assert_int_equal(st.clients, CTL_MAX_CLIENTS);

	/* f->fd is active, fds[1] has been quiet longest: it goes. */
	advance_ms(f, CTL_EVICT_QUIET_MS);
	assert_still_serving(f);
	assert_int_equal(adopt_pair(f, &late), 0);
	r = read_last_word(f, fds[1]);
	assert_error_reply(r, EBUSY, "closed to make room");
	json_decref(r);
	ctl_server_get_stats(f->srv, &st);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(st.clients, CTL_MAX_CLIENTS);
	assert_false(readable(fds[2]));
	/* The newcomer is served. */
	assert_int_equal(
		ctl_send_frame(late, "{\"version\":1,\"cmd\":\"help\"}", 26, ctl_deadline(1000)),
		0);
	pump(f, 3);
	r = NULL;
	assert_int_equal(ctl_recv_msg(late, &r, ctl_deadline(1000)), 0);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	for (int i = 1; i < CTL_MAX_CLIENTS; i++)
		close(fds[i]);
	close(late);
}

static void test_subscribers_capped_apart(void **state)
{
	struct fx *f = *state;
	static const char sub[] = "{\"version\":1,\"cmd\":\"subscribe\"}";
	int subs[CTL_MAX_SUBSCRIBERS + 1], reqs[CTL_MAX_CLIENTS];
	struct ctl_server_stats st;
	json_t *r;

	for (int i = 0; i <= CTL_MAX_SUBSCRIBERS; i++) {
		assert_int_equal(adopt_pair(f, &subs[i]), 0);
		assert_int_equal(ctl_send_frame(subs[i], sub, sizeof(sub) - 1, ctl_deadline(1000)),
				 0);
		pump(f, 3);
		r = NULL;
		assert_int_equal(ctl_recv_msg(subs[i], &r, ctl_deadline(1000)), 0);
		if (i < CTL_MAX_SUBSCRIBERS)
			assert_true(json_is_true(json_object_get(r, "ok")));
		else
			assert_error_reply(r, EBUSY, "busy: 16 subscribers");
		json_decref(r);
	}
	ctl_server_get_stats(f->srv, &st);
	assert_int_equal(st.subscribers, CTL_MAX_SUBSCRIBERS);
	assert_int_equal(st.sub_rejected, 1);
	/* The refused one is a request connection: f->fd, subs[16] and 62
	 * more fill the request slots, the subscribers do not count. */
	for (int i = 2; i < CTL_MAX_CLIENTS; i++)
		assert_int_equal(adopt_pair(f, &reqs[i]), 0);
	assert_int_equal(adopt_pair(f, &reqs[0]), -EBUSY);
	close(reqs[0]);
	/* Subscribers are never evicted, however quiet. */
	advance_ms(f, CTL_IDLE_TIMEOUT_MS - 1);
	for (int i = 0; i < CTL_MAX_SUBSCRIBERS; i++) {
		assert_int_equal(adopt_pair(f, &reqs[0]), 0);
		close(reqs[0]);
		pump(f, 3);
	}
	for (int i = 0; i < CTL_MAX_SUBSCRIBERS; i++)
		assert_false(readable(subs[i]));
	ctl_server_get_stats(f->srv, &st);
	assert_int_equal(st.subscribers, CTL_MAX_SUBSCRIBERS);
	for (int i = 0; i <= CTL_MAX_SUBSCRIBERS; i++)
		close(subs[i]);
	for (int i = 2; i < CTL_MAX_CLIENTS; i++)
		close(reqs[i]);
}

/* The server answered "busy" and closed before the request went out: the
 * client still reads the answer, and tells it from a handler's EBUSY. */
static void test_call_reads_busy_answer(void **state)
{
	int sv[2];
	json_t *res = NULL;
	char *err = NULL;
	static const char busy[] = "{\"version\":1,\"ok\":false,\"error\":\"busy: 64 clients\","
				   "\"errno\":16,\"unread\":true,\"busy\":64}";

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(ctl_send_frame(sv[0], busy, sizeof(busy) - 1, ctl_deadline(1000)), 0);
	close(sv[0]);
	assert_int_equal(ctl_call_fd(sv[1], "stats", NULL, &res, &err, 1000), -EBUSY);
	assert_non_null(strstr(err, "busy: 64 clients"));
	free(err);
	close(sv[1]);
}

/* Replies through a receive buffer (vdpctl -b): three in one read, one
 * split over two, then the daemon's error, a bad frame and EOF, each
 * reported as ctl_recv_result reports it. */
static void test_recv_result_buffered(void **state)
{
	static const char r1[] = "{\"version\":1,\"ok\":true,\"result\":{\"n\":1}}";
	static const char r2[] = "{\"version\":1,\"ok\":true,\"result\":[2],\"id\":7}";
	static const char r3[] = "{\"version\":1,\"ok\":false,\"error\":\"no VSI\",\"errno\":2}";
	struct ctl_rbuf rb = { 0 };
	json_t *res = NULL;
	char *err = NULL;
	bool lost = true;
	uint8_t big[4 + sizeof(r2)];
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(ctl_send_frame(sv[0], r1, sizeof(r1) - 1, ctl_deadline(1000)), 0);
	assert_int_equal(ctl_send_frame(sv[0], r2, sizeof(r2) - 1, ctl_deadline(1000)), 0);
	assert_int_equal(ctl_send_frame(sv[0], r1, sizeof(r1) - 1, ctl_deadline(1000)), 0);
	assert_int_equal(ctl_recv_result_buf(sv[1], &rb, &res, &err, 1000, &lost), 0);
	assert_false(lost);
	assert_int_equal(json_integer_value(json_object_get(res, "n")), 1);
	json_decref(res);
	/* the other two came with the first read */
	assert_true(ctl_rbuf_pending(&rb));
	assert_int_equal(ctl_recv_result_buf(sv[1], &rb, &res, &err, 1000, &lost), 0);
	assert_int_equal(json_integer_value(json_array_get(res, 0)), 2);
	json_decref(res);
	assert_int_equal(ctl_recv_result_buf(sv[1], &rb, &res, &err, 1000, &lost), 0);
	json_decref(res);
	assert_false(ctl_rbuf_pending(&rb));

	/* a frame in two parts: its first octets (kept while the rest has
	 * not come), then the rest */
	big[0] = big[1] = big[2] = 0;
	big[3] = sizeof(r2) - 1;
	memcpy(big + 4, r2, sizeof(r2) - 1);
	assert_int_equal(write(sv[0], big, 10), 10);
	assert_int_equal(ctl_recv_result_buf(sv[1], &rb, &res, &err, 20, &lost), -ETIMEDOUT);
	assert_true(ctl_rbuf_pending(&rb));
	free(err);
	assert_int_equal(write(sv[0], big + 10, sizeof(big) - 1 - 10),
			 (ssize_t)(sizeof(big) - 1 - 10));
	assert_int_equal(ctl_recv_result_buf(sv[1], &rb, &res, &err, 1000, &lost), 0);
	assert_int_equal(json_integer_value(json_array_get(res, 0)), 2);
	json_decref(res);
	assert_false(ctl_rbuf_pending(&rb));

	/* the daemon's error: not a lost stream */
	assert_int_equal(ctl_send_frame(sv[0], r3, sizeof(r3) - 1, ctl_deadline(1000)), 0);
	assert_int_equal(ctl_recv_result_buf(sv[1], &rb, &res, &err, 1000, &lost), -ENOENT);
	assert_false(lost);
	assert_string_equal(err, "no VSI");
	free(err);
	/* not JSON: lost */
	assert_int_equal(ctl_send_frame(sv[0], "{x", 2, ctl_deadline(1000)), 0);
	assert_int_equal(ctl_recv_result_buf(sv[1], &rb, &res, &err, 1000, &lost), -EBADMSG);
	assert_true(lost);
	assert_null(res);
	free(err);
	/* the end of the stream */
	close(sv[0]);
	assert_int_equal(ctl_recv_result_buf(sv[1], &rb, &res, &err, 1000, &lost), -ECONNRESET);
	assert_true(lost);
	free(err);
	ctl_rbuf_free(&rb);
	close(sv[1]);
}

/* The request frame vdpctl -b sends: what json_dumps() writes of
 * {"version", "cmd", "args", "if_ok"} after its length, byte for byte. */
static void request_frame_is(const char *cmd, json_t *args, bool if_ok, const char *want)
{
	json_t *req =
		json_pack("{s:i, s:s, s:O?}", "version", CTL_VERSION, "cmd", cmd, "args", args);
	size_t len = 0, n = strlen(want);
	uint8_t *f = ctl_request_frame(cmd, args, if_ok, &len);
	char *dumped;

	if (if_ok)
		json_object_set_new(req, "if_ok", json_true());
	dumped = json_dumps(req, JSON_COMPACT);
	assert_string_equal(dumped, want);
	assert_non_null(f);
	assert_int_equal(len, 4 + n);
	assert_int_equal(f[0] << 24 | f[1] << 16 | f[2] << 8 | f[3], n);
	assert_memory_equal(f + 4, want, n);
	free(f);
	free(dumped);
	json_decref(req);
}

static void test_request_frame(void **state)
{
	json_t *a = json_pack("{s:s, s:[{s:s}], s:i}", "uplink", "eth0", "filters", "mac",
			      "52:54:00:00:00:01", "n", -3);

	(void)state;
	request_frame_is("vsi.add", a, true,
			 "{\"version\":1,\"cmd\":\"vsi.add\",\"args\":{\"uplink\":\"eth0\","
			 "\"filters\":[{\"mac\":\"52:54:00:00:00:01\"}],\"n\":-3},\"if_ok\":true}");
	request_frame_is("stats", NULL, false, "{\"version\":1,\"cmd\":\"stats\",\"args\":null}");
	/* left to jansson: a name outside ASCII, a real */
	json_object_set_new(a, "r", json_real(0.5));
	request_frame_is("vsi.d\xc3\xa9l", a, false,
			 "{\"version\":1,\"cmd\":\"vsi.d\xc3\xa9l\",\"args\":{\"uplink\":\"eth0\","
			 "\"filters\":[{\"mac\":\"52:54:00:00:00:01\"}],\"n\":-3,\"r\":0.5}}");
	json_decref(a);
}

/* A frame over the cap through the buffer: refused before it is read. */
static void test_recv_result_buffered_over_cap(void **state)
{
	struct ctl_rbuf rb = { 0 };
	uint8_t hdr[4] = { 0x7f, 0xff, 0xff, 0xff };
	json_t *res = NULL;
	char *err = NULL;
	bool lost = false;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], hdr, 4), 4);
	assert_int_equal(ctl_recv_result_buf(sv[1], &rb, &res, &err, 1000, &lost), -EMSGSIZE);
	assert_true(lost);
	free(err);
	ctl_rbuf_free(&rb);
	close(sv[0]);
	close(sv[1]);
}

/* A connection kept for several calls (vdpctl -b) that the server closed
 * while it was idle: ctl_call_conn reads the "unread" last word, connects
 * again and the call succeeds. */
static void test_call_conn_reconnects(void **state)
{
	struct fx *f = *state;
	struct ctl_server_stats st;
	int status = -1;
	pid_t pid;

	advance_ms(f, CTL_IDLE_TIMEOUT_MS);
	assert_int_equal(n_clients(f), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		json_t *res = NULL, *args = json_pack("{s:i}", "k", 9);
		char *err = NULL;
		int fd = f->fd, old = f->fd;
		int rc = ctl_call_conn(&fd, f->path, "test.echo", args, &res, &err, 2000);

		if (rc != 0)
			_exit(10);
		if (json_integer_value(json_object_get(res, "k")) != 9)
			_exit(11);
		_exit(fd >= 0 && fd != old ? 0 : 12);
	}
	int64_t deadline = ctl_deadline(5000);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (ctl_deadline(0) > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fail_msg("client process did not finish");
		}
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	ctl_server_get_stats(f->srv, &st);
	assert_int_equal(st.idle_closed, 1);
	assert_int_equal(st.connections, 2);
	assert_int_equal(st.ok, 1);
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
		cmocka_unit_test_setup_teardown(test_malformed_json_keeps_connection, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_zero_length_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversize_frame_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_byte_by_byte_and_pipelined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_before_reply_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thousand_in_one_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_if_ok_after_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_close_still_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disconnect_mid_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_over_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_builtin_help, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_cmds_own_ctx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subscribe_and_publish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_over_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frame_deadline_not_per_read, setup_fake,
						teardown),
		cmocka_unit_test_setup_teardown(test_frame_deadline_per_frame, setup_fake,
						teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, setup_fake, teardown),
		cmocka_unit_test_setup_teardown(test_write_deadline_paused_reader, setup_fake,
						teardown),
		cmocka_unit_test_setup_teardown(test_write_deadline_reset_by_drain, setup_fake,
						teardown),
		cmocka_unit_test_setup_teardown(test_cap_busy_then_evict, setup_fake, teardown),
		cmocka_unit_test_setup_teardown(test_subscribers_capped_apart, setup_fake,
						teardown),
		cmocka_unit_test_setup_teardown(test_call_reads_busy_answer, setup, teardown),
		cmocka_unit_test(test_recv_result_buffered),
		cmocka_unit_test(test_recv_result_buffered_over_cap),
		cmocka_unit_test(test_request_frame),
		cmocka_unit_test_setup_teardown(test_call_conn_reconnects, setup_fake, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
