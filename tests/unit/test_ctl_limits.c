/* Control socket server: connection limits and deadlines (per-frame,
 * idle and write deadlines, the connection and subscriber caps), with a
 * fake clock. */
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

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
