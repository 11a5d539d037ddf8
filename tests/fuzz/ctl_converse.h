/* The control-socket fuzz targets' one conversation (fuzz_ctl: vdpd,
 * fuzz_bctl: vdp-bridge): the input written as-is to a fresh connection
 * adopted by srv, the event loop run until the server hangs up.  Aborts when
 * the connection never ends, outlives the input, or the server sent anything
 * but length-prefixed JSON objects with version 1 and ok; show prints each
 * reply to stderr. */
#ifndef TESTS_FUZZ_CTL_CONVERSE_H
#define TESTS_FUZZ_CTL_CONVERSE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "vdp/ctl/ctl.h"

static uint8_t ctl_converse_rbuf[8 << 20];

static inline void ctl_converse_check(size_t got, bool show)
{
	const uint8_t *rbuf = ctl_converse_rbuf;

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

static inline void ctl_converse(struct ctl_server *srv, struct event_base *base,
				const uint8_t *data, size_t size, bool show)
{
	uint8_t *rbuf = ctl_converse_rbuf;
	struct ctl_server_stats st;
	size_t off = 0, got = 0;
	bool eof = false, shut = false;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (ctl_server_adopt(srv, sv[0]) < 0)
		abort();
	/* Feed, drain, until the server has hung up. */
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
		event_base_loop(base, EVLOOP_NONBLOCK);
		for (;;) {
			ssize_t r = recv(sv[1], rbuf + got, sizeof(ctl_converse_rbuf) - got,
					 MSG_DONTWAIT);
			if (r > 0) {
				got += (size_t)r;
				if (got == sizeof(ctl_converse_rbuf))
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
	ctl_server_get_stats(srv, &st);
	if (st.clients != 0)
		abort();
	ctl_converse_check(got, show);
}

#endif
