/* Control socket, the daemon side: length-prefixed JSON messages over a
 * unix stream socket, served on libevent.  See ctl.h for the protocol; the
 * client side is ctl_client.c. */
#include "vdp/ctl/ctl.h"
#include "vdp/ctl/ctl_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "vdp/base/vclock.h"
#include "vdp/io/vclock_event.h"

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

/* Topics a client may subscribe to; an unknown one is an error so typos
 * do not silently subscribe to nothing. */
static const char *const topics[] = { "vsi", "uplink", "link", "config", "registry", NULL };

static int topic_bit(const char *t)
{
	for (int i = 0; topics[i]; i++)
		if (strcmp(topics[i], t) == 0)
			return 1 << i;
	return 0;
}

json_t *ctl_fail(struct ctl_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	err->errnum = errnum ? errnum : EINVAL;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return NULL;
}

/* ---- server ---- */

static void client_free(struct ctl_client *c)
{
	TAILQ_REMOVE(&c->srv->clients, c, link);
	c->srv->st.clients--;
	if (c->subscribed)
		c->srv->n_subscribers--;
	vtimer_free(c->srv->clock, c->timer);
	bufferevent_free(c->bev);
	free(c);
}

static uint64_t ms_us(unsigned ms)
{
	return (uint64_t)ms * 1000u;
}

/* One frame {"version":1,"ok":false,"error":text,"errno":e,"unread":true[,"busy":n]}
 * written straight to a socket whose bufferevent output is empty (or that
 * has none yet), without waiting: the last word before a close.  A client
 * that does not read loses it, which costs the server nothing. */
static void farewell(int fd, int errnum, unsigned busy, const char *text)
{
	json_t *r = json_pack("{s:i, s:b, s:s, s:i}", "version", CTL_VERSION, "ok", 0, "error",
			      text, "errno", errnum);
	char *s;
	size_t n;
	uint8_t *buf;

	/* "unread": whatever the client sent on this connection was not
	 * acted on, so it may send it again on a new one. */
	if (r)
		json_object_set_new(r, "unread", json_true());
	if (r && busy)
		json_object_set_new(r, "busy", json_integer(busy));
	s = r ? json_dumps(r, JSON_COMPACT) : NULL;
	json_decref(r);
	n = s ? strlen(s) : 0;
	buf = s ? malloc(n + 4) : NULL;
	if (buf) {
		buf[0] = (uint8_t)(n >> 24);
		buf[1] = (uint8_t)(n >> 16);
		buf[2] = (uint8_t)(n >> 8);
		buf[3] = (uint8_t)n;
		memcpy(buf + 4, s, n);
		if (send(fd, buf, n + 4, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			/* nothing to do: the connection goes anyway */
		}
	}
	free(buf);
	free(s);
}

/* Closes c after telling it why, when its output is empty (otherwise the
 * text would land inside a half-sent reply). */
static void client_drop(struct ctl_client *c, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void client_drop(struct ctl_client *c, int errnum, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		va_start(ap, fmt);
		vsnprintf(text, sizeof(text), fmt, ap);
		va_end(ap);
		farewell(bufferevent_getfd(c->bev), errnum, 0, text);
	}
	client_free(c);
}

static bool client_reading(const struct ctl_client *c)
{
	return !c->closing && (bufferevent_get_enabled(c->bev) & EV_READ);
}

static bool client_idle(const struct ctl_client *c)
{
	return !c->subscribed && !c->closing && !c->in_frame && !c->out_pending &&
		evbuffer_get_length(bufferevent_get_input(c->bev)) == 0;
}

/* Arms c's timer for its earliest deadline. */
static void client_arm(struct ctl_client *c)
{
	struct vclock *clk = c->srv->clock;
	uint64_t now = vclock_now(clk), due = UINT64_MAX;

	if (c->out_pending)
		due = c->out_us + ms_us(CTL_WRITE_TIMEOUT_MS);
	if (c->in_frame && client_reading(c) && c->frame_us + ms_us(CTL_PARTIAL_TIMEOUT_MS) < due)
		due = c->frame_us + ms_us(CTL_PARTIAL_TIMEOUT_MS);
	if (client_idle(c) && c->last_us + ms_us(CTL_IDLE_TIMEOUT_MS) < due)
		due = c->last_us + ms_us(CTL_IDLE_TIMEOUT_MS);
	if (due == UINT64_MAX)
		vtimer_cancel(clk, c->timer);
	else
		vtimer_arm(clk, c->timer, due > now ? due - now : 0);
}

static void client_timer_cb(void *arg)
{
	struct ctl_client *c = arg;
	struct ctl_server *srv = c->srv;
	uint64_t now = vclock_now(srv->clock);

	if (c->out_pending && now >= c->out_us + ms_us(CTL_WRITE_TIMEOUT_MS)) {
		/* Its output is stuck, so no last word either. */
		srv->st.write_timeout++;
		client_free(c);
	} else if (c->in_frame && client_reading(c) &&
		   now >= c->frame_us + ms_us(CTL_PARTIAL_TIMEOUT_MS)) {
		srv->st.frame_timeout++;
		srv->st.bad_frame++;
		client_drop(c, ETIMEDOUT,
			    "message not complete %u ms after its first byte; closing",
			    CTL_PARTIAL_TIMEOUT_MS);
	} else if (client_idle(c) && now >= c->last_us + ms_us(CTL_IDLE_TIMEOUT_MS)) {
		srv->st.idle_closed++;
		client_drop(c, ETIMEDOUT, "idle for %u ms; closing", CTL_IDLE_TIMEOUT_MS);
	} else {
		client_arm(c);
	}
}

/* Marks output queued: the write deadline runs from the first byte queued
 * into an empty buffer until the buffer drains (client_write_cb). */
static void client_out_queued(struct ctl_client *c)
{
	if (!c->out_pending) {
		c->out_pending = true;
		c->out_us = vclock_now(c->srv->clock);
		client_arm(c);
	}
}

static void client_send_text(struct ctl_client *c, char *s)
{
	size_t n;
	uint8_t hdr[4];

	if (!s) {
		c->closing = true;
		return;
	}
	n = strlen(s);
	hdr[0] = (uint8_t)(n >> 24);
	hdr[1] = (uint8_t)(n >> 16);
	hdr[2] = (uint8_t)(n >> 8);
	hdr[3] = (uint8_t)n;
	evbuffer_add(bufferevent_get_output(c->bev), hdr, 4);
	evbuffer_add(bufferevent_get_output(c->bev), s, n);
	free(s);
	client_out_queued(c);
}

static void client_send(struct ctl_client *c, json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);

	json_decref(msg);
	client_send_text(c, s);
}

static void client_reply_err(struct ctl_client *c, json_t *id, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void client_reply_err(struct ctl_client *c, json_t *id, int errnum, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	json_t *r;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r = json_pack("{s:i, s:b, s:s, s:i}", "version", CTL_VERSION, "ok", 0, "error", text,
		      "errno", errnum);
	if (r && id)
		json_object_set(r, "id", id);
	c->srv->st.errors++;
	c->failed = true;
	if (r)
		client_send(c, r);
}

static json_t *builtin_help(struct ctl_server *srv)
{
	json_t *a = json_array();

	for (size_t t = 0; t < srv->n_tables; t++)
		for (const struct ctl_cmd *k = srv->tables[t].cmds; k->name; k++)
			json_array_append_new(a,
					      json_pack("{s:s, s:s}", "cmd", k->name, "help",
							k->help ? k->help : ""));
	json_array_append_new(a, json_pack("{s:s, s:s}", "cmd", "help", "help",
					   "list the commands this daemon serves"));
	json_array_append_new(a, json_pack("{s:s, s:s}", "cmd", "subscribe", "help",
					   "receive events on this connection; args: topics "
					   "[vsi, uplink, link, config] (default all)"));
	return a;
}

static json_t *builtin_subscribe(struct ctl_client *c, json_t *args, struct ctl_error *err)
{
	json_t *list = json_object_get(args, "topics"), *t;
	unsigned bits = 0;
	size_t i;

	if (list && !json_is_array(list))
		return ctl_fail(err, EINVAL, "topics must be an array of strings");
	json_array_foreach(list, i, t) {
		int b = json_is_string(t) ? topic_bit(json_string_value(t)) : 0;

		if (!b)
			return ctl_fail(
				err, EINVAL,
				"unknown topic %s (known: vsi, uplink, link, config, registry)",
				json_is_string(t) ? json_string_value(t) : "(not a string)");
		bits |= (unsigned)b;
	}
	/* Subscribers have their own cap: they stay connected by design and
	 * must not use up the request connections (nor the other way). */
	if (!c->subscribed && c->srv->n_subscribers >= CTL_MAX_SUBSCRIBERS) {
		c->srv->st.sub_rejected++;
		return ctl_fail(err, EBUSY, "busy: %u subscribers", CTL_MAX_SUBSCRIBERS);
	}
	if (!c->subscribed)
		c->srv->n_subscribers++;
	c->subscribed = true;
	c->topics = bits;
	return json_pack("{s:b}", "subscribed", 1);
}

/* A well-formed request: the built-ins, else the command's handler, and
 * its reply. */
static void run_cmd(struct ctl_client *c, json_t *id, const char *cmd, json_t *args)
{
	struct ctl_server *srv = c->srv;
	struct ctl_error err = { 0 };
	json_t *res, *r;

	if (strcmp(cmd, "help") == 0) {
		res = builtin_help(srv);
	} else if (strcmp(cmd, "subscribe") == 0) {
		res = builtin_subscribe(c, args, &err);
	} else {
		void *ctx;
		const struct ctl_cmd *k = ctl_server_find_cmd(srv, cmd, &ctx);

		if (!k) {
			srv->st.unknown_cmd++;
			client_reply_err(c, id, EOPNOTSUPP, "unknown command \"%s\"", cmd);
			return;
		}
		res = k->fn(ctx, args, &err);
	}
	if (!res) {
		if (!err.errnum)
			ctl_fail(&err, EIO, "internal error in \"%s\"", cmd);
		client_reply_err(c, id, err.errnum, "%s", err.msg);
		return;
	}
	r = json_pack("{s:i, s:b, s:o}", "version", CTL_VERSION, "ok", 1, "result", res);
	if (r && id)
		json_object_set(r, "id", id);
	if (r) {
		char *text = json_dumps(r, JSON_COMPACT);
		size_t n = text ? strlen(text) : 0;

		json_decref(r);
		/* The cap holds both ways: a client would refuse it. */
		if (n > CTL_MAX_FRAME) {
			free(text);
			client_reply_err(c, id, EMSGSIZE,
					 "reply of %zu bytes exceeds the limit of %u; "
					 "ask for less (e.g. offset/limit)",
					 n, CTL_MAX_FRAME);
			return;
		}
		srv->st.ok++;
		client_send_text(c, text);
	}
}

static void dispatch(struct ctl_client *c, const uint8_t *buf, size_t len)
{
	struct ctl_server *srv = c->srv;
	json_error_t jerr;
	json_t *req, *id, *jv, *jcmd, *args;
	const char *cmd;

	req = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req) {
		srv->st.bad_json++;
		client_reply_err(c, NULL, EBADMSG, "malformed JSON at byte %d: %s", jerr.position,
				 jerr.text);
		return;
	}
	if (!json_is_object(req)) {
		srv->st.bad_json++;
		client_reply_err(c, NULL, EBADMSG, "request is not a JSON object");
		json_decref(req);
		return;
	}
	id = json_object_get(req, "id");
	jv = json_object_get(req, "version");
	if (!json_is_integer(jv)) {
		srv->st.bad_version++;
		client_reply_err(c, id, EPROTO, "request has no integer \"version\" (this daemon speaks %d)",
				 CTL_VERSION);
		goto out;
	}
	if (json_integer_value(jv) != CTL_VERSION) {
		srv->st.bad_version++;
		client_reply_err(c, id, EPROTO,
				 "control protocol version %lld not supported (this daemon speaks %d)",
				 (long long)json_integer_value(jv), CTL_VERSION);
		goto out;
	}
	jcmd = json_object_get(req, "cmd");
	if (!json_is_string(jcmd)) {
		srv->st.unknown_cmd++;
		client_reply_err(c, id, EINVAL, "request has no string \"cmd\"");
		goto out;
	}
	cmd = json_string_value(jcmd);
	args = json_object_get(req, "args");
	if (args && !json_is_object(args) && !json_is_null(args)) {
		client_reply_err(c, id, EINVAL, "\"args\" must be an object");
		goto out;
	}
	if (!args || json_is_null(args)) {
		args = json_object();
		json_object_set_new(req, "args", args);
	}
	if (json_is_true(json_object_get(req, "if_ok")) && c->failed) {
		srv->st.canceled++;
		client_reply_err(c, id, ECANCELED,
				 "\"%s\" not run: an earlier request on this "
				 "connection failed",
				 cmd);
		goto out;
	}

	run_cmd(c, id, cmd, args);
out:
	json_decref(req);
}

/* false: reading paused until the client reads its replies. */
static bool client_read_batch(struct ctl_client *c)
{
	struct bufferevent *bev = c->bev;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer *out = bufferevent_get_output(bev);

	while (!c->closing && evbuffer_get_length(in) >= 4) {
		uint8_t hdr[4];
		uint32_t n;
		uint8_t *p;

		/* Stop reading while the client does not read its replies;
		 * client_write_cb resumes, the write deadline ends it. */
		if (evbuffer_get_length(out) > CTL_MAX_FRAME) {
			bufferevent_disable(bev, EV_READ);
			return false;
		}
		evbuffer_copyout(in, hdr, 4);
		n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
		if (n == 0) {
			/* Framing still intact: answer and keep going. */
			evbuffer_drain(in, 4);
			c->in_frame = false;
			c->srv->st.requests++;
			c->srv->st.bad_frame++;
			client_reply_err(c, NULL, EBADMSG, "empty message (length 0)");
			continue;
		}
		if (n > CTL_MAX_FRAME) {
			/* Cannot resynchronise without reading up to 4 GiB:
			 * answer, then close. */
			c->srv->st.bad_frame++;
			client_reply_err(c, NULL, EMSGSIZE, "message of %u bytes exceeds the limit of %u",
					 n, CTL_MAX_FRAME);
			c->closing = true;
			break;
		}
		if (evbuffer_get_length(in) < 4 + (size_t)n)
			break;
		evbuffer_drain(in, 4);
		p = evbuffer_pullup(in, n);
		c->in_frame = false;
		c->srv->st.requests++;
		if (p)
			dispatch(c, p, n);
		evbuffer_drain(in, n);
	}
	return true;
}

/* libevent 2.1 reads at most 4,096 octets per wake-up; a pipelining client
 * (vdpctl -b) has hundreds of requests waiting.  Reads on, up to budget, so
 * they share one pass and before_reply (a journal's fdatasync) runs once
 * for all of them.  EOF and errors are left for the bufferevent to find on
 * its next read: the socket stays readable. */
static bool client_read_more(struct ctl_client *c, size_t *budget)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t got = 0;

	while (got < *budget) {
		int n;

		/* The bufferevent keeps its input's end frozen between its
		 * own reads. */
		evbuffer_unfreeze(in, 0);
		n = evbuffer_read(in, fd, (int)(*budget - got));
		evbuffer_freeze(in, 0);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	*budget -= got;
	return got > 0;
}

static void client_read_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_client *c = arg;
	struct ctl_server *srv = c->srv;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint64_t before = srv->st.requests;
	size_t budget = CTL_READ_MAX;
	bool reading;

	c->last_us = vclock_now(srv->clock);
	reading = client_read_batch(c);
	while (reading && !c->closing && client_read_more(c, &budget))
		reading = client_read_batch(c);
	/* The replies are only queued: libevent writes them in a later pass,
	 * after this. */
	if (srv->st.requests != before && srv->before_reply)
		srv->before_reply(srv->before_reply_ctx);
	if (!reading) {
		client_arm(c);
		return;
	}
	if (c->closing) {
		bufferevent_disable(bev, EV_READ);
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			client_free(c);
		else
			client_arm(c);
		return;
	}
	/* The frame deadline runs from the frame's first byte: bytes that
	 * trickle in do not move it. */
	if (evbuffer_get_length(in) > 0 && !c->in_frame) {
		c->in_frame = true;
		c->frame_us = c->last_us;
	}
	client_arm(c);
}

void ctl_server_set_before_reply(struct ctl_server *srv, void (*fn)(void *ctx), void *ctx)
{
	srv->before_reply = fn;
	srv->before_reply_ctx = ctx;
}

const struct ctl_cmd *ctl_server_find_cmd(const struct ctl_server *srv, const char *name,
					  void **ctx)
{
	for (size_t t = 0; t < srv->n_tables; t++)
		for (const struct ctl_cmd *k = srv->tables[t].cmds; k->name; k++)
			if (strcmp(k->name, name) == 0) {
				if (ctx)
					*ctx = srv->tables[t].ctx;
				return k;
			}
	return NULL;
}

int ctl_server_add_cmds(struct ctl_server *srv, const struct ctl_cmd *cmds, void *ctx)
{
	/* One name, one handler: a clash is a wiring mistake, refused whole. */
	for (const struct ctl_cmd *k = cmds; k->name; k++)
		if (ctl_server_find_cmd(srv, k->name, NULL) || !strcmp(k->name, "help") ||
		    !strcmp(k->name, "subscribe"))
			return -EEXIST;
	if (srv->n_tables == CTL_MAX_TABLES)
		return -ENOSPC;
	srv->tables[srv->n_tables].cmds = cmds;
	srv->tables[srv->n_tables].ctx = ctx;
	srv->n_tables++;
	return 0;
}

void ctl_server_set_clock(struct ctl_server *srv, struct vclock *clock)
{
	srv->clock = clock ? clock : srv->evclock;
}

static void client_write_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_client *c = arg;

	/* Called when the output buffer has drained (low watermark 0). */
	if (c->closing) {
		client_free(c);
		return;
	}
	c->out_pending = false;
	c->last_us = vclock_now(c->srv->clock);
	if (!(bufferevent_get_enabled(bev) & EV_READ)) {
		bufferevent_enable(bev, EV_READ);
		client_read_cb(bev, c);
		return;
	}
	client_arm(c);
}

static void client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_client *c = arg;

	/* A client may half-close after its last request (shutdown, or
	 * `socat` with stdin at EOF): its replies still go out, then the
	 * connection is freed by client_write_cb. */
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		c->closing = true;
		bufferevent_disable(bev, EV_READ);
		client_arm(c);
		return;
	}
	/* Error, or EOF with nothing to send: done. */
	client_free(c);
}

/* At the cap: the request connection quiet for longest, if that is at
 * least CTL_EVICT_QUIET_MS.  Subscribers and closing ones are not
 * candidates.  An idle attacker's connections are quiet; a tool in the
 * middle of a call is not, it has just written its request. */
static struct ctl_client *evict_candidate(struct ctl_server *srv)
{
	uint64_t now = vclock_now(srv->clock);
	struct ctl_client *c, *best = NULL;

	TAILQ_FOREACH(c, &srv->clients, link)
	{
		if (c->subscribed || c->closing)
			continue;
		if (!best || c->last_us < best->last_us)
			best = c;
	}
	if (best && now - best->last_us >= ms_us(CTL_EVICT_QUIET_MS))
		return best;
	return NULL;
}

/* 0 when there is room (made if need be), -EBUSY after answering fd. */
static int admit(struct ctl_server *srv, int fd)
{
	struct ctl_client *victim;
	char text[64];

	if (srv->st.clients - srv->n_subscribers < CTL_MAX_CLIENTS)
		return 0;
	victim = evict_candidate(srv);
	if (victim) {
		srv->st.evicted++;
		client_drop(
			victim, EBUSY,
			"closed to make room: quiet for %llu ms while all %u "
			"connections were taken",
			(unsigned long long)((vclock_now(srv->clock) - victim->last_us) / 1000u),
			CTL_MAX_CLIENTS);
		return 0;
	}
	srv->st.rejected++;
	snprintf(text, sizeof(text), "busy: %u clients", CTL_MAX_CLIENTS);
	farewell(fd, EBUSY, CTL_MAX_CLIENTS, text);
	return -EBUSY;
}

int ctl_server_adopt(struct ctl_server *srv, int fd)
{
	struct ctl_client *c;
	int rc;

	evutil_make_socket_nonblocking(fd);
	evutil_make_socket_closeonexec(fd);
	rc = admit(srv, fd);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->srv = srv;
	c->timer = vtimer_new(srv->clock, client_timer_cb, c);
	c->bev = c->timer ? bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE) : NULL;
	if (!c->bev) {
		vtimer_free(srv->clock, c->timer);
		close(fd);
		free(c);
		return -ENOMEM;
	}
	c->last_us = vclock_now(srv->clock);
	bufferevent_setcb(c->bev, client_read_cb, client_write_cb, client_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&srv->clients, c, link);
	srv->st.clients++;
	srv->st.connections++;
	client_arm(c);
	return 0;
}

static void accept_cb(struct evconnlistener *lst, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *arg)
{
	(void)lst;
	(void)sa;
	(void)salen;
	ctl_server_adopt(arg, fd);
}

int ctl_sun_fill(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	strcpy(sun->sun_path, path);
	return 0;
}

/* A socket file left behind by a dead daemon is removed; one that still
 * answers belongs to a running daemon and is left alone. */
static int clear_stale(const struct sockaddr_un *sun)
{
	struct stat stb;
	int fd, rc;

	if (lstat(sun->sun_path, &stb) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(stb.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (rc == 0)
		return -EADDRINUSE;
	if (unlink(sun->sun_path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

struct ctl_server *ctl_server_new(struct event_base *base, const char *path, mode_t mode,
				  const struct ctl_cmd *cmds, void *ctx)
{
	struct ctl_server *srv;
	struct sockaddr_un sun;
	mode_t old;
	int fd, rc;

	rc = ctl_sun_fill(&sun, path);
	if (rc == 0)
		rc = clear_stale(&sun);
	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return NULL;
	srv->base = base;
	srv->evclock = vclock_event_new(base);
	if (!srv->evclock) {
		free(srv);
		errno = ENOMEM;
		return NULL;
	}
	srv->clock = srv->evclock;
	if (cmds)
		ctl_server_add_cmds(srv, cmds, ctx);
	TAILQ_INIT(&srv->clients);
	srv->path = strdup(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (!srv->path || fd < 0)
		goto fail;
	/* No window in which the socket has wider permissions than asked. */
	old = umask(~mode & 0777);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc < 0 || chmod(path, mode) < 0)
		goto fail_fd;
	srv->lst = evconnlistener_new(base, accept_cb, srv, LEV_OPT_CLOSE_ON_FREE, 128, fd);
	if (!srv->lst) {
		unlink(path);
		goto fail_fd;
	}
	return srv;
fail_fd:
	rc = errno;
	close(fd);
	errno = rc;
fail:
	rc = errno;
	free(srv->path);
	vclock_event_free(srv->evclock);
	free(srv);
	errno = rc;
	return NULL;
}

void ctl_server_free(struct ctl_server *srv)
{
	struct ctl_client *c;

	if (!srv)
		return;
	while ((c = TAILQ_FIRST(&srv->clients)))
		client_free(c);
	evconnlistener_free(srv->lst);
	unlink(srv->path);
	free(srv->path);
	vclock_event_free(srv->evclock);
	free(srv);
}

bool ctl_server_wants(const struct ctl_server *srv, const char *topic)
{
	int b = topic_bit(topic);
	const struct ctl_client *c;

	if (!srv || !srv->n_subscribers || !b)
		return false;
	TAILQ_FOREACH(c, &srv->clients, link)
		if (c->subscribed && !c->closing && (!c->topics || (c->topics & (unsigned)b)))
			return true;
	return false;
}

void ctl_server_publish(struct ctl_server *srv, const char *topic, json_t *data)
{
	int b = topic_bit(topic);
	struct ctl_client *c, *next;
	json_t *msg;
	char *text;

	if (!srv || !b || !srv->n_subscribers) {
		json_decref(data);
		return;
	}
	msg = json_pack("{s:i, s:s, s:o}", "version", CTL_VERSION, "event", topic, "data", data);
	text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	if (!text || strlen(text) > CTL_MAX_FRAME) {
		free(text);
		return;
	}
	for (c = TAILQ_FIRST(&srv->clients); c; c = next) {
		next = TAILQ_NEXT(c, link);
		if (!c->subscribed || c->closing || (c->topics && !(c->topics & (unsigned)b)))
			continue;
		/* A subscriber that does not read is dropped rather than
		 * letting its backlog grow without bound. */
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) > 4 * CTL_MAX_FRAME) {
			srv->st.slow_dropped++;
			client_free(c);
			continue;
		}
		srv->st.events++;
		client_send_text(c, strdup(text));
	}
	free(text);
}

void ctl_server_get_stats(const struct ctl_server *srv, struct ctl_server_stats *st)
{
	*st = srv->st;
	st->subscribers = srv->n_subscribers;
}

json_t *ctl_server_stats_json(const struct ctl_server *srv)
{
	const struct ctl_server_stats *s = &srv->st;

	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:I, s:I}",
			      "connections", (json_int_t)s->connections, "rejected",
			      (json_int_t)s->rejected, "requests", (json_int_t)s->requests, "ok",
			      (json_int_t)s->ok, "errors", (json_int_t)s->errors, "bad_frame",
			      (json_int_t)s->bad_frame, "bad_json", (json_int_t)s->bad_json,
			      "bad_version", (json_int_t)s->bad_version, "unknown_cmd",
			      (json_int_t)s->unknown_cmd, "clients", (int)s->clients, "events",
			      (json_int_t)s->events, "slow_dropped", (json_int_t)s->slow_dropped);

	if (o &&
	    json_object_update_new(
		    o,
		    json_pack("{s:I, s:I, s:I, s:I, s:I, s:i, s:I}", "evicted",
			      (json_int_t)s->evicted, "idle_closed", (json_int_t)s->idle_closed,
			      "frame_timeout", (json_int_t)s->frame_timeout, "write_timeout",
			      (json_int_t)s->write_timeout, "sub_rejected",
			      (json_int_t)s->sub_rejected, "subscribers", (int)srv->n_subscribers,
			      "canceled", (json_int_t)s->canceled)) < 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}
