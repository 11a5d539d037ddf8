/* Control socket, the daemon side: the listening socket and each client
 * connection (admission at the cap, reading frames, the per-client
 * deadlines, writing), served on libevent.  See ctl.h for the protocol;
 * commands are run by ctl_dispatch.c, the client side is ctl_client.c. */
#include "vdp/ctl/ctl.h"
#include "vdp/ctl/ctl_int.h"
#include "vdp/base/jfast.h"
#include "vdp/ctl/ctl_srv.h"

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

/* ---- server ---- */

void ctl_srv_client_free(struct ctl_client *c)
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
	s = r ? jfast_dumps(r, NULL) : NULL;
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
	ctl_srv_client_free(c);
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
		ctl_srv_client_free(c);
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

void ctl_srv_send_text(struct ctl_client *c, char *s)
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

void ctl_srv_send(struct ctl_client *c, json_t *msg)
{
	char *s = jfast_dumps(msg, NULL);

	json_decref(msg);
	ctl_srv_send_text(c, s);
}

void ctl_srv_reply_err(struct ctl_client *c, json_t *id, int errnum, const char *fmt, ...)
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
		ctl_srv_send(c, r);
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
			ctl_srv_reply_err(c, NULL, EBADMSG, "empty message (length 0)");
			continue;
		}
		if (n > CTL_MAX_FRAME) {
			/* Cannot resynchronise without reading up to 4 GiB:
			 * answer, then close. */
			c->srv->st.bad_frame++;
			ctl_srv_reply_err(c, NULL, EMSGSIZE,
					  "message of %u bytes exceeds the limit of %u", n,
					  CTL_MAX_FRAME);
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
			ctl_srv_dispatch(c, p, n);
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
			ctl_srv_client_free(c);
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

void ctl_server_set_clock(struct ctl_server *srv, struct vclock *clock)
{
	srv->clock = clock ? clock : srv->evclock;
}

static void client_write_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_client *c = arg;

	/* Called when the output buffer has drained (low watermark 0). */
	if (c->closing) {
		ctl_srv_client_free(c);
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
	ctl_srv_client_free(c);
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
		ctl_srv_client_free(c);
	evconnlistener_free(srv->lst);
	unlink(srv->path);
	free(srv->path);
	vclock_event_free(srv->evclock);
	free(srv);
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
