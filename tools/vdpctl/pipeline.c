/* vdpctl -b: requests pipelined on the one control connection.
 *
 * A batch line whose output needs only its own reply (vsi add/del without
 * wait) is sent at once and its reply handled later, up to PIPE_WINDOW
 * requests ahead, so vdpd takes hundreds of requests per pass and one
 * journal sync covers them all.  Replies come in the order sent, so output
 * and "Command failed FILE:LINE" come in line order as before.  Without
 * -force each request carries "if_ok": vdpd does not run the lines after
 * a failing one, although they are already on the way.
 *
 * When stdout is not a terminal, the pipelined lines' output is written in
 * blocks rather than with a system call per line.  The order a reader sees stays: while the batch runs,
 * stderr is a stream that writes stdout's block before each message, and
 * the block is written before vdpctl waits for input. */
#include "tools/vdpctl/vdpctl.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vdp/ctl/ctl.h"

/* Replies to 1,024 vsi.add requests (about 400 octets each) stay well
 * under the 1 MiB that vdpd buffers for a client before it stops reading,
 * so sending never waits on a daemon that waits on us. */
#define PIPE_WINDOW 1024
/* Requests are written in chunks of up to this many octets: one socket
 * buffer for many requests (the kernel charges each write's buffer a few
 * hundred octets beyond its payload, and bounds the total). */
#define PIPE_CHUNK (64u << 10)

struct pipe_req {
	vctl_done_fn done;
	void *ctx;
	unsigned line;
	bool json, pretty; /* the line's output options (a line may set its own) */
};

static struct {
	struct pipe_req q[PIPE_WINDOW];
	unsigned head, count; /* oldest outstanding; how many */
	const char *file;
	unsigned line; /* of the line being run */
	bool force;
	bool stopped; /* a line failed without -force: no more lines */
	bool broken; /* the connection failed: no more replies */
	int rc; /* exit status of the last failed line */
	uint8_t out[PIPE_CHUNK]; /* requests not written yet */
	size_t out_len;
	struct ctl_rbuf rb; /* replies read and not yet taken */
	bool input_file; /* lines come from a regular file: never wait for one */
	bool block_out; /* stdout is written in blocks */
	FILE *real_stderr; /* while stderr writes through err_write() */
} pl;

/* stderr while the batch runs: stdout's block first, then the message. */
static ssize_t err_write(void *cookie, const char *buf, size_t n)
{
	size_t done = 0;

	(void)cookie;
	fflush(stdout);
	while (done < n) {
		ssize_t w = write(STDERR_FILENO, buf + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return done ? (ssize_t)done : -1;
		done += (size_t)w;
	}
	return (ssize_t)n;
}

void vctl_pipe_begin(const char *file, bool force)
{
	FILE *err;

	ctl_rbuf_free(&pl.rb);
	memset(&pl, 0, sizeof(pl));
	pl.file = file;
	pl.force = force;
	if (isatty(STDOUT_FILENO))
		return;
	err = fopencookie(NULL, "w", (cookie_io_functions_t){ .write = err_write });
	if (!err)
		return;
	setvbuf(err, NULL, _IONBF, 0);
	pl.real_stderr = stderr;
	stderr = err;
	pl.block_out = true;
}

void vctl_pipe_end(void)
{
	ctl_rbuf_free(&pl.rb);
	fflush(stdout);
	if (pl.real_stderr) {
		fclose(stderr);
		stderr = pl.real_stderr;
		pl.real_stderr = NULL;
	}
	pl.block_out = false;
}

void vctl_pipe_line_done(bool pipelined)
{
	if (!pl.block_out || !pipelined)
		fflush(stdout);
}

/* Writes the requests queued in pl.out; a failure loses the connection. */
static void flush_out(void)
{
	int rc;

	if (!pl.out_len || pl.broken)
		return;
	rc = ctl_send_bytes(vctl.fd, pl.out, pl.out_len, vctl.timeout_ms);
	pl.out_len = 0;
	if (rc < 0) {
		if (!pl.stopped)
			fprintf(stderr, "Error: control socket: %s\n", strerror(-rc));
		pl.broken = true;
	}
}

void vctl_pipe_input_wait(FILE *fp)
{
	struct pollfd p = { .fd = fileno(fp), .events = POLLIN };
	struct stat st;

	/* A file never keeps us waiting; a pipe or terminal may, and the
	 * daemon closes a connection that stays idle: not with requests
	 * of ours unanswered on it.  Whoever writes the lines may wait for
	 * the output of the last ones. */
	if (!pl.input_file && fstat(p.fd, &st) == 0 && S_ISREG(st.st_mode))
		pl.input_file = true;
	if (pl.input_file || poll(&p, 1, 0) > 0)
		return;
	vctl_pipe_drain();
	fflush(stdout);
}

void vctl_pipe_line(unsigned line)
{
	pl.line = line;
}

bool vctl_pipe_stopped(void)
{
	return pl.stopped;
}

int vctl_pipe_rc(void)
{
	return pl.rc;
}

static void line_failed(unsigned line, int rc)
{
	fprintf(stderr, "Command failed %s:%u\n", pl.file, line);
	pl.rc = rc;
	if (!pl.force)
		pl.stopped = true;
}

/* The oldest outstanding reply: its line's output, or its failure. */
static void take_one(void)
{
	struct pipe_req r = pl.q[pl.head];
	json_t *res = NULL;
	char *err = NULL;
	bool lost = false;
	int rc = EXIT_FAIL;

	flush_out();
	pl.head = (pl.head + 1) % PIPE_WINDOW;
	pl.count--;
	if (pl.broken) {
		if (!pl.stopped)
			line_failed(r.line, EXIT_FAIL);
		pl.stopped = true;
		return;
	}
	if (ctl_recv_result_buf(vctl.fd, &pl.rb, &res, &err, vctl.timeout_ms, &lost) == 0) {
		/* After a failing line (no -force): canceled by vdpd, or run
		 * by one that does not know "if_ok"; not reported either way. */
		if (!pl.stopped) {
			bool json = vctl.json, pretty = vctl.pretty;

			vctl.json = r.json;
			vctl.pretty = r.pretty;
			rc = r.done(res, r.ctx);
			vctl.json = json;
			vctl.pretty = pretty;
		}
		json_decref(res);
	} else if (!pl.stopped) {
		fprintf(stderr, "Error: %s\n", err ? err : "control socket");
	}
	pl.broken = lost;
	free(err);
	if (!pl.block_out)
		fflush(stdout);
	if (rc != EXIT_OK && !pl.stopped)
		line_failed(r.line, rc);
	if (pl.broken)
		pl.stopped = true;
}

static bool reply_ready(void)
{
	struct pollfd p = { .fd = vctl.fd, .events = POLLIN };

	return ctl_rbuf_pending(&pl.rb) || poll(&p, 1, 0) > 0;
}

/* The window is full: the oldest reply, then every one already here, so
 * that the next requests go out together.  Sent one per reply, they would
 * reach vdpd one at a time, and a pass (one journal sync) would start on
 * the first few. */
static void make_room(void)
{
	take_one();
	while (pl.count > 0 && !pl.broken && reply_ready())
		take_one();
}

/* Nothing is on the way, yet the connection has something to read: the
 * daemon closed it (idle, or evicted when at its cap; it writes why first).
 * A new one, as ctl_call_conn() does between two plain lines.  0 or -1. */
static int reconnect_if_closed(void)
{
	char *err = NULL;

	if (pl.count || pl.out_len || !reply_ready())
		return 0;
	ctl_rbuf_free(&pl.rb);
	close(vctl.fd);
	vctl.fd = ctl_connect(vctl.socket, &err);
	if (vctl.fd >= 0)
		return 0;
	fprintf(stderr, "Error: %s\n", err ? err : strerror(-vctl.fd));
	free(err);
	return -1;
}

void vctl_pipe_drain(void)
{
	while (pl.count > 0)
		take_one();
	/* Read with the last replies, and no request for it: the server's
	 * last word before it closed (idle, evicted).  A new connection, as
	 * ctl_call_conn() makes for it. */
	if (ctl_rbuf_pending(&pl.rb) && vctl.fd >= 0) {
		ctl_rbuf_free(&pl.rb);
		close(vctl.fd);
		vctl.fd = -1;
	}
}

void vctl_pipe_line_failed(int rc)
{
	vctl_pipe_drain();
	if (!pl.stopped)
		line_failed(pl.line, rc);
}

int vctl_call_then(const char *cmd, json_t *args, vctl_done_fn done, void *ctx)
{
	json_t *res;
	uint8_t *f;
	size_t len;
	int rc;

	if (!vctl.batch || vctl.fd < 0) {
		res = vctl_call(cmd, args);
		if (!res)
			return EXIT_FAIL;
		rc = done(res, ctx);
		json_decref(res);
		return rc;
	}
	if (pl.count == PIPE_WINDOW)
		make_room();
	if (pl.stopped)
		return EXIT_OK;
	if (reconnect_if_closed() < 0)
		return EXIT_FAIL;
	f = ctl_request_frame(cmd, args, !pl.force, &len);
	if (!f) {
		fprintf(stderr, "Error: cannot build request for \"%s\"\n", cmd);
		return EXIT_FAIL;
	}
	if (pl.out_len + len > sizeof(pl.out))
		flush_out();
	if (len > sizeof(pl.out)) {
		rc = ctl_send_bytes(vctl.fd, f, len, vctl.timeout_ms);
		pl.broken |= rc < 0;
	} else {
		memcpy(pl.out + pl.out_len, f, len);
		pl.out_len += len;
	}
	free(f);
	pl.q[(pl.head + pl.count) % PIPE_WINDOW] =
		(struct pipe_req){ done, ctx, pl.line, vctl.json, vctl.pretty };
	pl.count++;
	return EXIT_OK;
}
