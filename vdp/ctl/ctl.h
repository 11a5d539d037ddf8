/* Control socket: the daemon side (libevent server) and the client side
 * (blocking call with a deadline, for vdpctl and test tools).
 *
 * Wire format, both directions: a 4-byte big-endian length N, then N bytes
 * holding exactly one JSON object (UTF-8, jansson).  N is checked against
 * CTL_MAX_FRAME before anything is allocated; 0 is invalid.
 *
 *   request: {"version":1, "cmd":"vsi.show", "args":{...}, "id":<any, optional>,
 *             "if_ok":true (optional)}
 *   event:   {"version":1, "event":"vsi", "data":{...}}   (after "subscribe")
 *   reply:   {"version":1, "ok":true,  "result":<any>, "id":<echoed>}
 *            {"version":1, "ok":false, "error":"text", "errno":N, "id":<echoed>}
 *   last word before the server closes a connection (busy, evicted, idle,
 *   frame deadline): {"version":1, "ok":false, "error":"text", "errno":N,
 *            "unread":true[, "busy":N]}
 *
 * JSON instead of a struct-walking marshaller so that vdpctl and vdpd from
 * different builds still understand each other (lldpd #703); a request with
 * a version this daemon does not speak gets a reply naming both versions.
 * Malformed frames and JSON get an error reply and bump a counter; the
 * connection is kept when the framing is still intact (bad JSON inside a
 * well-formed frame) and closed when it is not (length over the cap).
 * Handlers run to completion inside the event loop, so concurrent clients
 * are serialised by construction.
 *
 * Pipelining: a client may send many requests before reading; they run and
 * are answered in the order sent.  A request with "if_ok":true runs only
 * if no earlier request on its connection got an error reply; otherwise
 * its reply is ECANCELED.  So vdpctl -b stops at its first failing line
 * although the lines after it are already on the way. */
#ifndef VDP_CTL_H
#define VDP_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "vdp/base/jfast.h"

/* Where vdpd listens and vdpctl connects unless told otherwise (-s). */
#define VDPD_DEFAULT_SOCKET "/run/vdpd/vdpd.sock"
#define CTL_VERSION 1
#define CTL_MAX_FRAME (1u << 20)	/* 1 MiB, hard cap on one message */
/* Limits; docs/security.md says what happens at each. */
#define CTL_MAX_CLIENTS 64 /* request connections (not subscribers) */
#define CTL_MAX_SUBSCRIBERS 16 /* connections that sent "subscribe" */
#define CTL_PARTIAL_TIMEOUT_MS \
	10000 /* a started frame must complete within this,
					 * counted from its first byte */
#define CTL_IDLE_TIMEOUT_MS 30000 /* a request connection with nothing to do */
#define CTL_WRITE_TIMEOUT_MS 10000 /* queued output must drain within this */
#define CTL_EVICT_QUIET_MS \
	1000 /* at the cap, a request connection quiet this
					 * long gives its slot to a new one */
#define CTL_MAX_TABLES 8 /* command tables one server serves */
#define CTL_READ_MAX (256u << 10) /* octets read from one client per pass */

struct event_base;
struct ctl_server;
struct vclock;

/* A handler's error: errno-style number plus operator-facing text. */
struct ctl_error {
	int errnum;
	char msg[256];
};

/* Fills *err and returns NULL, so handlers can `return ctl_fail(err, ...)`. */
json_t *ctl_fail(struct ctl_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* args is never NULL (an empty object when the request had none) and is
 * borrowed.  Return a new reference to the result (json_null() is fine), or
 * NULL after ctl_fail().  A NULL return without errnum set is reported as an
 * internal error. */
typedef json_t *(*ctl_handler_fn)(void *ctx, json_t *args, struct ctl_error *err);

/* The same for text handlers: returns -1. */
int ctl_failed(struct ctl_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A handler that writes its result as JSON text (the bytes jfast_dumps()
 * of the value would be) to out, for results on a hot path: no json_t is
 * built and dumped.  0, or -1 after ctl_fail(). */
typedef int (*ctl_text_fn)(void *ctx, json_t *args, struct ctl_error *err, struct jfast_buf *out);

struct ctl_cmd {
	const char *name;	/* "vsi.show"; the table ends with a NULL name */
	ctl_handler_fn fn; /* or text */
	const char *help;	/* one line, listed by the built-in "help" command */
	ctl_text_fn text; /* when set, used instead of fn */
};

struct ctl_server_stats {
	uint64_t connections;	/* accepted since start */
	uint64_t rejected; /* answered "busy" and closed at accept: CTL_MAX_CLIENTS
				 * request connections, none quiet enough to evict */
	uint64_t evicted; /* closed to make room: quiet for CTL_EVICT_QUIET_MS at the cap */
	uint64_t idle_closed; /* request connections closed after CTL_IDLE_TIMEOUT_MS */
	uint64_t frame_timeout; /* frames not complete CTL_PARTIAL_TIMEOUT_MS after their
				 * first byte (also counted in bad_frame) */
	uint64_t write_timeout; /* clients closed for not reading their output in time */
	uint64_t sub_rejected; /* "subscribe" refused: CTL_MAX_SUBSCRIBERS reached */
	uint64_t requests;	/* complete frames received */
	uint64_t ok;		/* replies with ok:true */
	uint64_t errors;	/* replies with ok:false (any reason) */
	uint64_t bad_frame;	/* length 0 or over CTL_MAX_FRAME, or partial frame timed out */
	uint64_t bad_json;	/* frame not valid JSON, or not an object */
	uint64_t bad_version;	/* missing or unsupported "version" */
	uint64_t unknown_cmd;	/* "cmd" missing or not in the table */
	uint64_t events;	/* event frames queued to subscribers */
	uint64_t slow_dropped;	/* subscribers dropped for not reading */
	uint64_t canceled; /* "if_ok" requests not run after an error reply */
	unsigned clients;	/* connected now */
	unsigned subscribers; /* of which subscribed */
};

/* Binds path (unlinking a stale socket left by a dead daemon, refusing with
 * EADDRINUSE when a live one answers), chmods it to mode and listens, serving
 * cmds with ctx (as ctl_server_add_cmds; cmds may be NULL: none yet).
 * Returns NULL with errno set. */
struct ctl_server *ctl_server_new(struct event_base *base, const char *path, mode_t mode,
				  const struct ctl_cmd *cmds, void *ctx);
/* Serves one more command table; its handlers get ctx.  Each component
 * brings its own table and context, the program that knows them all adds
 * them (vdpd: vdp/daemon/vdpd.c).  The table is borrowed and must outlive
 * the server; "help" lists the tables in the order they were added.
 * 0, -EEXIST when a name is taken already (nothing added), -ENOSPC after
 * CTL_MAX_TABLES. */
int ctl_server_add_cmds(struct ctl_server *srv, const struct ctl_cmd *cmds, void *ctx);
/* The command called name and its table's ctx (ctx may be NULL), or NULL. */
const struct ctl_cmd *ctl_server_find_cmd(const struct ctl_server *srv, const char *name,
					  void **ctx);
/* fn(ctx) runs after each batch of requests read from a client and before
 * their replies are written: the write-ahead point for state that a reply
 * acknowledges (vdpd saves its VSI intents there). */
void ctl_server_set_before_reply(struct ctl_server *srv, void (*fn)(void *ctx), void *ctx);
/* The clock for the connection deadlines (idle, frame, write).  Without
 * one the server uses the event base's own; tests give a fake clock.  Set
 * it before the first client connects; it must outlive the server. */
void ctl_server_set_clock(struct ctl_server *srv, struct vclock *clock);
/* Closes every client, the listener, and unlinks the socket path. */
void ctl_server_free(struct ctl_server *srv);
/* Serves an already connected stream fd (tests: one end of a socketpair).
 * Takes ownership of fd.  0 or -errno.  At CTL_MAX_CLIENTS request
 * connections the one quiet longest (at least CTL_EVICT_QUIET_MS) is told
 * why and closed to make room; when none is, fd is answered
 * {"ok":false,"error":"busy: N clients","errno":EBUSY,"busy":N}, closed,
 * and -EBUSY returned. */
int ctl_server_adopt(struct ctl_server *srv, int fd);
void ctl_server_get_stats(const struct ctl_server *srv, struct ctl_server_stats *st);

/* Events.  A client that sent the built-in "subscribe" command (args
 * {"topics":["vsi","uplink","link","config"]}, none = all) receives, after
 * that reply, frames {"version":1,"event":TOPIC,"data":{...}} on the same
 * connection.  A subscriber whose backlog passes 4 MiB is disconnected.
 * publish steals data; wants tells whether anyone listens (build nothing
 * otherwise). */
bool ctl_server_wants(const struct ctl_server *srv, const char *topic);
void ctl_server_publish(struct ctl_server *srv, const char *topic, json_t *data);
json_t *ctl_server_stats_json(const struct ctl_server *srv);

/* Client side.  Connects to path, sends {cmd, args} (args borrowed, NULL for
 * none), waits at most timeout_ms for the reply.  A "busy" answer (the
 * server at its connection cap, request not read) is retried with a short
 * back-off until timeout_ms; then -EBUSY.
 * Returns 0 with *result (new reference) on ok:true.  On failure returns a
 * negative errno and sets *err to a malloc'd message the caller frees:
 * the daemon's errno and text for ok:false, or a local description
 * ("cannot connect to /run/vdpd/vdpd.sock: No such file or directory",
 * "timed out after 5000 ms", ...).  err may be NULL. */
int ctl_call(const char *path, const char *cmd, json_t *args, json_t **result, char **err,
	     int timeout_ms);
/* Several calls on one connection (*fd, -1 to connect to path first):
 * when the server closed it without reading the request (idle, evicted,
 * busy: the answer says "unread"), reconnects to path and sends it again,
 * until timeout_ms.  *fd is the connection to use next (-1 if none). */
int ctl_call_conn(int *fd, const char *path, const char *cmd, json_t *args, json_t **result,
		  char **err, int timeout_ms);
/* Connected non-blocking fd, or -errno with *err set. */
int ctl_connect(const char *path, char **err);
/* Same over an already connected fd (kept open), for several calls on one
 * connection and for tests. */
int ctl_call_fd(int fd, const char *cmd, json_t *args, json_t **result, char **err, int timeout_ms);
/* ctl_call_fd in two halves, for a client that pipelines (vdpctl -b): the
 * request goes out without waiting for its reply (if_ok: see above), and
 * the next reply is taken later, replies coming in the order sent.  Same
 * returns and *err as ctl_call_fd; *lost (may be NULL) tells a failure of
 * the stream itself (timeout, EOF, bad frame: no more replies will come)
 * from a daemon's error reply. */
int ctl_send_request(int fd, const char *cmd, json_t *args, bool if_ok, char **err, int timeout_ms);
int ctl_recv_result(int fd, json_t **result, char **err, int timeout_ms, bool *lost);
/* ctl_recv_result through a receive buffer: one read takes every reply
 * that has come, so a client that pipelines reads once for many, not twice
 * for each.  Zero-initialised; ctl_rbuf_free() when done with the
 * connection (its bytes belong to it).  ctl_rbuf_pending(): octets read
 * and not yet taken (a reply, or the server's last word). */
struct ctl_rbuf {
	uint8_t *buf;
	size_t off, len, cap;
};
int ctl_recv_result_buf(int fd, struct ctl_rbuf *rb, json_t **result, char **err, int timeout_ms,
			bool *lost);
bool ctl_rbuf_pending(const struct ctl_rbuf *rb);
void ctl_rbuf_free(struct ctl_rbuf *rb);
/* The request ctl_send_request sends, as a malloc'd frame of *len octets
 * (length prefix included), to be sent with others in one write; NULL if
 * it cannot be built or exceeds the cap.  ctl_send_bytes writes it. */
uint8_t *ctl_request_frame(const char *cmd, json_t *args, bool if_ok, size_t *len);
int ctl_send_bytes(int fd, const void *buf, size_t len, int timeout_ms);

/* Framing helpers, blocking with a deadline (ms since CLOCK_MONOTONIC epoch
 * as returned by ctl_deadline()).  0 or -errno; -EBADMSG for bad JSON,
 * -EMSGSIZE over the cap, -ETIMEDOUT, -ECONNRESET on EOF. */
int64_t ctl_deadline(int timeout_ms);
int ctl_send_msg(int fd, json_t *msg, int64_t deadline);
int ctl_recv_msg(int fd, json_t **msg, int64_t deadline);
/* Raw frame: payload of len bytes with its length prefix (tests send junk). */
int ctl_send_frame(int fd, const void *payload, size_t len, int64_t deadline);

#endif
