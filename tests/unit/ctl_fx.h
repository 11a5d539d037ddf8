/* The control socket tests' fixture, shared by the test_ctl* files: a
 * ctl_server on its own event base whose first connection is the server
 * end of a socketpair (f->fd the client end), test handlers, and helpers
 * that run the server loop while waiting for a reply. */
#ifndef TESTS_UNIT_CTL_FX_H
#define TESTS_UNIT_CTL_FX_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "vdp/ctl/ctl.h"
#include "tests/unit/fakeclock.h"

struct fx {
	struct event_base *base;
	struct ctl_server *srv;
	int fd; /* client end */
	int calls;
	int hooks; /* before_reply runs */
	int calls_at_hook; /* handler calls when it last ran */
	bool reply_seen_at_hook;
	char dir[64];
	char path[128];
	struct fakeclock fc;
	bool fake;
};

static inline json_t *h_echo(void *ctx, json_t *args, struct ctl_error *err)
{
	struct fx *f = ctx;

	(void)err;
	f->calls++;
	return json_deep_copy(args);
}

static inline json_t *h_fail(void *ctx, json_t *args, struct ctl_error *err)
{
	(void)ctx;
	return ctl_fail(err, ENOENT, "no VSI %s", json_string_value(json_object_get(args, "id")));
}

static inline json_t *h_null(void *ctx, json_t *args, struct ctl_error *err)
{
	(void)ctx;
	(void)args;
	(void)err;
	return NULL; /* forgot ctl_fail: must still give a clean error */
}

static inline json_t *h_big(void *ctx, json_t *args, struct ctl_error *err)
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

static inline int setup(void **state)
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
static inline int setup_fake(void **state)
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

static inline int teardown(void **state)
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

static inline bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

/* Runs the server's loop until the client end has something to read. */
static inline void pump_until_readable(struct fx *f)
{
	int64_t deadline = ctl_deadline(2000);

	while (!readable(f->fd)) {
		assert_true(ctl_deadline(0) < deadline);
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		if (!readable(f->fd))
			usleep(1000);
	}
}

static inline void pump(struct fx *f, int rounds)
{
	for (int i = 0; i < rounds; i++)
		event_base_loop(f->base, EVLOOP_NONBLOCK);
}

/* Reads one reply frame, running the server loop while waiting so replies
 * larger than the socket buffer arrive too. */
static inline json_t *recv_reply(struct fx *f)
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
			need = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 |
				hdr[3];
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

static inline json_t *rpc_raw(struct fx *f, const char *text)
{
	assert_int_equal(ctl_send_frame(f->fd, text, strlen(text), ctl_deadline(1000)), 0);
	return recv_reply(f);
}
/* Not inline (so marked unused for the files that do not call it): inlined, GCC -O2 sees the path past assert_non_null (cmocka's
 * asserts are not noreturn) and -Wformat-overflow fails on a NULL %s. */
static __attribute__((noinline, unused)) void assert_error_reply(json_t *r, int errnum,
								 const char *needle)
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
static inline void assert_still_serving(struct fx *f)
{
	json_t *r = rpc_raw(f, "{\"version\":1,\"cmd\":\"test.echo\",\"args\":{\"k\":7}}");

	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "result"), "k")), 7);
	json_decref(r);
}

/* Three test.echo requests (ids 0, 1, 2) in one write, then their replies
 * in order. */
static inline void echo3_in_one_write(struct fx *f)
{
	uint8_t buf[512];
	size_t off = 0;
	json_t *r;

	for (int i = 0; i < 3; i++) {
		char one[128];
		int len =
			snprintf(one, sizeof(one),
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

static inline void before_reply(void *ctx)
{
	struct fx *f = ctx;

	f->hooks++;
	f->calls_at_hook = f->calls;
	if (readable(f->fd))
		f->reply_seen_at_hook = true;
}

/* Appends one frame holding text to buf at *off (cap checked). */
static inline void frame_into(uint8_t *buf, size_t cap, size_t *off, const char *text)
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

/* ---- connection limits and deadlines (fake clock) ---- */

static inline void advance_ms(struct fx *f, unsigned ms)
{
	pump(f, 3);
	fakeclock_advance(&f->fc, (uint64_t)ms * 1000u);
	pump(f, 3);
}

static inline unsigned n_clients(struct fx *f)
{
	struct ctl_server_stats st;

	ctl_server_get_stats(f->srv, &st);
	return st.clients;
}

#endif
