/* libFuzzer target: the control socket with vdp-bridge's commands behind it
 * (tools/vdp-bridge/bctl.c: vsi.show paging with offset, after and limit,
 * fault.set, config.reload, ...), a bridge in process whose two ports are
 * socketpairs to two stations with seven VSIs between them (fixture:
 * tests/unit/vbr_fx.h).  The input is written as-is to a fresh
 * connection; seeds hold valid frames.  Checks: no crash or leak, the
 * connection always ends, and every byte the bridge sent back is a sequence
 * of well-formed reply frames.  After each input the fault settings go back
 * to the file's and removed VSIs come back, so one input does not steer the
 * next. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "tests/unit/vbr_fx.h"

static struct vbr_fx fx;
static uint8_t rbuf[8 << 20];

static void cleanup(void)
{
	unlink(fx.conf);
}

/* FUZZ_BCTL_SHOW=1 prints every reply (to look at what a seed reaches). */
static void check_replies(size_t got)
{
	static int show = -1;

	if (show < 0)
		show = getenv("FUZZ_BCTL_SHOW") != NULL;
	/* Replies: length-prefixed JSON objects with version 1 and ok. */
	for (size_t p = 0; p < got;) {
		if (got - p < 4)
			abort();
		size_t n = (size_t)rbuf[p] << 24 | (size_t)rbuf[p + 1] << 16 |
			(size_t)rbuf[p + 2] << 8 | rbuf[p + 3];
		if (n == 0 || n > CTL_MAX_FRAME || n > got - p - 4)
			abort();
		json_t *j = json_loadb((const char *)rbuf + p + 4, n, 0, NULL);
		if (!json_is_object(j) ||
		    json_integer_value(json_object_get(j, "version")) != CTL_VERSION ||
		    !json_is_boolean(json_object_get(j, "ok")))
			abort();
		if (show)
			fprintf(stderr, "%.*s\n", (int)n, (const char *)rbuf + p + 4);
		json_decref(j);
		p += 4 + n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct ctl_server_stats st;
	size_t off = 0, got = 0;
	int sv[2];

	if (!ready) {
		log_init("fuzz_bctl", LOG_TO_STDERR, LOG_CRIT);
		if (vbr_fx_init(&fx, "fuzz_bctl") < 0)
			abort();
		atexit(cleanup);
		ready = true;
	}
	if (size > 128 * 1024)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (ctl_server_adopt(fx.b.ctl, sv[0]) < 0)
		abort();
	/* Feed, drain, until the server has hung up. */
	bool eof = false, shut = false;
	for (int rounds = 0; !eof; rounds++) {
		if (off < size) {
			ssize_t w =
				send(sv[1], data + off, size - off, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (w > 0)
				off += (size_t)w;
			else if (w < 0 && errno != EAGAIN)
				off = size; /* server closed (oversize frame) */
		} else if (!shut) {
			shutdown(sv[1], SHUT_WR);
			shut = true;
		}
		event_base_loop(fx.b.base, EVLOOP_NONBLOCK);
		for (;;) {
			ssize_t r = recv(sv[1], rbuf + got, sizeof(rbuf) - got, MSG_DONTWAIT);
			if (r > 0) {
				got += (size_t)r;
				if (got == sizeof(rbuf))
					abort();
				continue;
			}
			if (r == 0)
				eof = true;
			break;
		}
		if (rounds > 1000000)
			abort(); /* the connection never ended */
	}
	close(sv[1]);
	ctl_server_get_stats(fx.b.ctl, &st);
	if (st.clients != 0)
		abort();
	check_replies(got);
	if (!vbr_fx_reset(&fx))
		abort();
	return 0;
}
