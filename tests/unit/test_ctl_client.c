/* Control socket client: calls over a real socket in a temporary
 * directory, timeouts, the busy answer, buffered replies (vdpctl -b), the
 * request frame and reconnecting. */
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
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "tests/unit/ctl_fx.h"

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
	assert_int_equal(st.connections, 3); /* socketpair + 2 calls */
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
		cmocka_unit_test_setup_teardown(test_call_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_over_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_reads_busy_answer, setup, teardown),
		cmocka_unit_test(test_recv_result_buffered),
		cmocka_unit_test(test_recv_result_buffered_over_cap),
		cmocka_unit_test(test_request_frame),
		cmocka_unit_test_setup_teardown(test_call_conn_reconnects, setup_fake, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
