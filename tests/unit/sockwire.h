/* A station port and a bridge port joined by one SOCK_SEQPACKET socketpair:
 * the port seam (vdp/io/port.h) for unit tests, without privileges. */
#ifndef TESTS_UNIT_SOCKWIRE_H
#define TESTS_UNIT_SOCKWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vdp/io/port.h"

struct sockwire {
	int sv[2];
	int opened;
};

/* ctx: a zeroed struct sockwire.  Each end gets the admission filter of
 * vdp/io/port.c (port_filter_attach) for its group address.  The first open (the station) gets
 * sv[0], ifindex 10, MAC 02:00:00:00:00:51; the second (the bridge) sv[1],
 * ifindex 11, MAC 02:00:00:00:00:b1. */
extern const struct port_ops sockwire_ops;

/* Non-blocking recv/send on the port's socket (ctx unused), for tests that
 * open and close their ports themselves. */
ssize_t sockwire_recv(void *ctx, int fd, uint8_t *buf, size_t len, bool *outgoing);
ssize_t sockwire_send(void *ctx, int fd, const uint8_t *frame, size_t len);
/* port_ops.filter: port_filter_attach() on the port's socket. */
int sockwire_filter(void *ctx, int fd, const uint8_t group[6]);

#endif
