/* vdpctl -b: requests pipelined on the one control connection.
 *
 * A batch line whose output needs only its own reply (vsi add/del without
 * wait) is sent at once and its reply handled later, up to PIPE_WINDOW
 * requests ahead, so vdpd takes hundreds of requests per pass and one
 * journal sync covers them all.  Replies come in the order sent, so output
 * and "Command failed FILE:LINE" come in line order as before.  Without
 * -force each request carries "if_ok": vdpd does not run the lines after
 * a failing one, although they are already on the way. */
#include "tools/vdpctl/vdpctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/ctl/ctl.h"

/* Replies to 512 vsi.add requests (about 600 octets each) stay well under
 * the 1 MiB that vdpd buffers for a client before it stops reading, so
 * sending never waits on a daemon that waits on us. */
#define PIPE_WINDOW 512

struct pipe_req {
	vctl_done_fn done;
	void *ctx;
	unsigned line;
};

static struct {
	struct pipe_req q[PIPE_WINDOW];
	unsigned head, count;	/* oldest outstanding; how many */
	const char *file;
	unsigned line;		/* of the line being run */
	bool force;
	bool stopped;		/* a line failed without -force: no more lines */
	bool broken;		/* the connection failed: no more replies */
	int rc;			/* exit status of the last failed line */
} pl;

void vctl_pipe_begin(const char *file, bool force)
{
	memset(&pl, 0, sizeof(pl));
	pl.file = file;
	pl.force = force;
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

	pl.head = (pl.head + 1) % PIPE_WINDOW;
	pl.count--;
	if (pl.broken)
		return;
	if (ctl_recv_result(vctl.fd, &res, &err, vctl.timeout_ms, &lost) == 0) {
		/* After a failing line (no -force): canceled by vdpd, or run
		 * by one that does not know "if_ok"; not reported either way. */
		if (!pl.stopped)
			rc = r.done(res, r.ctx);
		json_decref(res);
	} else if (!pl.stopped) {
		fprintf(stderr, "Error: %s\n", err ? err : "control socket");
	}
	pl.broken = lost;
	free(err);
	fflush(stdout);
	if (rc != EXIT_OK && !pl.stopped)
		line_failed(r.line, rc);
	if (pl.broken)
		pl.stopped = true;
}

void vctl_pipe_drain(void)
{
	while (pl.count > 0)
		take_one();
}

void vctl_pipe_line_failed(int rc)
{
	vctl_pipe_drain();
	if (!pl.stopped)
		line_failed(pl.line, rc);
}

int vctl_call_then(const char *cmd, json_t *args, vctl_done_fn done, void *ctx)
{
	char *err = NULL;
	json_t *res;
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
		take_one();
	if (pl.stopped)
		return EXIT_OK;
	rc = ctl_send_request(vctl.fd, cmd, args, !pl.force, &err, vctl.timeout_ms);
	if (rc < 0) {
		fprintf(stderr, "Error: %s\n", err ? err : strerror(-rc));
		free(err);
		return EXIT_FAIL;
	}
	pl.q[(pl.head + pl.count) % PIPE_WINDOW] = (struct pipe_req){ done, ctx, pl.line };
	pl.count++;
	return EXIT_OK;
}
