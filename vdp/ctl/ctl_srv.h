/* The control server's state, shared by its connection handling (ctl.c)
 * and its command dispatch (ctl_dispatch.c).  Not for other modules. */
#ifndef VDP_CTL_SRV_H
#define VDP_CTL_SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <jansson.h>

#include "vdp/base/vclock.h"
#include "vdp/ctl/ctl.h"

struct bufferevent;
struct evconnlistener;
struct event_base;

/* Each client has one timer for whichever of its deadlines comes first:
 *   write: queued output not drained CTL_WRITE_TIMEOUT_MS after it was
 *          queued (also while reading is paused behind it);
 *   frame: a frame not complete CTL_PARTIAL_TIMEOUT_MS after its first
 *          byte, however the bytes trickle in;
 *   idle:  a request connection with no input, no output, for
 *          CTL_IDLE_TIMEOUT_MS (subscribers idle by design). */
struct ctl_client {
	TAILQ_ENTRY(ctl_client) link;
	struct ctl_server *srv;
	struct bufferevent *bev;
	struct vtimer *timer;
	uint64_t last_us; /* last byte read or output drained */
	uint64_t frame_us; /* first byte of the frame being read */
	uint64_t out_us; /* output queued while the buffer was empty */
	bool in_frame; /* frame_us valid: a partial frame is buffered */
	bool out_pending; /* out_us valid: output not drained yet */
	bool closing;		/* flush the output, then free */
	bool subscribed;	/* sent "subscribe": receives events */
	unsigned topics;	/* bit per srv->topics[] entry; 0 = all */
	bool failed; /* an error reply went out: "if_ok" requests are refused */
};

struct ctl_server {
	struct event_base *base;
	struct evconnlistener *lst;
	struct vclock *clock;
	struct vclock *evclock; /* the default clock (vclock_event over base), owned */
	char *path;
	struct ctl_table {
		const struct ctl_cmd *cmds;
		void *ctx;
	} tables[CTL_MAX_TABLES]; /* in the order added: "help" lists them so */
	size_t n_tables;
	void (*before_reply)(void *ctx);
	void *before_reply_ctx;
	TAILQ_HEAD(, ctl_client) clients;
	struct ctl_server_stats st;
	unsigned n_subscribers;
};


/* Closes and frees c now, its output unsent. */
void ctl_srv_client_free(struct ctl_client *c);
/* Replies: a message, its text (NULL marks the client for closing), an error. */
void ctl_srv_send(struct ctl_client *c, json_t *msg);
void ctl_srv_send_text(struct ctl_client *c, char *s);
void ctl_srv_reply_err(struct ctl_client *c, json_t *id, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* One complete frame from c: parse, run, answer. */
void ctl_srv_dispatch(struct ctl_client *c, const uint8_t *buf, size_t len);

#endif
