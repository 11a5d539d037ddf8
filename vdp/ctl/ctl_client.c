/* Control socket, the client side: blocking calls with a deadline (vdpctl,
 * test tools) and the framing helpers.  See ctl.h. */
#include "vdp/ctl/ctl.h"
#include "vdp/ctl/ctl_int.h"
#include "vdp/base/jfast.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int64_t ctl_deadline(int timeout_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + timeout_ms;
}

static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int64_t left;
	int rc;

	for (;;) {
		left = deadline - ctl_deadline(0);
		if (left <= 0)
			return -ETIMEDOUT;
		rc = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -errno;
	}
}

static int write_all(int fd, const uint8_t *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		int rc = wait_fd(fd, POLLOUT, deadline);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* At least one octet, at most n, waiting until deadline: > 0, or -errno
 * (-ECONNRESET at end of stream). */
static ssize_t recv_some(int fd, void *p, size_t n, int64_t deadline)
{
	for (;;) {
		ssize_t r = recv(fd, p, n, MSG_DONTWAIT);

		if (r > 0)
			return r;
		if (r == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		int rc = wait_fd(fd, POLLIN, deadline);
		if (rc < 0)
			return rc;
	}
}

static int read_all(int fd, uint8_t *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		ssize_t r = recv_some(fd, p, n, deadline);

		if (r < 0)
			return (int)r;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One buffer, one write: a request is one socket buffer, not two (the
 * kernel charges each a few hundred octets of overhead, which bounds how
 * many a pipelining client has on the way). */
static uint8_t *frame_of(const void *payload, size_t len)
{
	uint8_t *f = malloc(4 + len);

	if (!f)
		return NULL;
	f[0] = (uint8_t)(len >> 24);
	f[1] = (uint8_t)(len >> 16);
	f[2] = (uint8_t)(len >> 8);
	f[3] = (uint8_t)len;
	memcpy(f + 4, payload, len);
	return f;
}

int ctl_send_frame(int fd, const void *payload, size_t len, int64_t deadline)
{
	uint8_t *f = frame_of(payload, len);
	int rc;

	if (!f)
		return -ENOMEM;
	rc = write_all(fd, f, 4 + len, deadline);
	free(f);
	return rc;
}

int ctl_send_bytes(int fd, const void *buf, size_t len, int timeout_ms)
{
	return write_all(fd, buf, len, ctl_deadline(timeout_ms));
}

int ctl_send_msg(int fd, json_t *msg, int64_t deadline)
{
	char *s = jfast_dumps(msg, NULL);
	size_t n;
	int rc;

	if (!s)
		return -ENOMEM;
	n = strlen(s);
	rc = n > CTL_MAX_FRAME ? -EMSGSIZE : ctl_send_frame(fd, s, n, deadline);
	free(s);
	return rc;
}

/* One frame's payload: a JSON object, else -EBADMSG. */
static int frame_json(const uint8_t *p, uint32_t n, json_t **msg)
{
	*msg = jfast_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, NULL);
	if (*msg && json_is_object(*msg))
		return 0;
	json_decref(*msg);
	*msg = NULL;
	return -EBADMSG;
}

int ctl_recv_msg(int fd, json_t **msg, int64_t deadline)
{
	uint8_t hdr[4];
	uint32_t n;
	uint8_t *buf;
	int rc;

	*msg = NULL;
	rc = read_all(fd, hdr, 4, deadline);
	if (rc < 0)
		return rc;
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (n == 0)
		return -EBADMSG;
	if (n > CTL_MAX_FRAME)
		return -EMSGSIZE;
	buf = malloc(n);
	if (!buf)
		return -ENOMEM;
	rc = read_all(fd, buf, n, deadline);
	if (rc == 0)
		rc = frame_json(buf, n, msg);
	free(buf);
	return rc;
}

/* Octets until rb holds want from rb->off on: whatever has come, at least
 * one octet more per read. */
static int rbuf_fill(int fd, struct ctl_rbuf *rb, size_t want, int64_t deadline)
{
	while (rb->len - rb->off < want) {
		ssize_t r;

		if (rb->off && rb->cap - rb->off < want) {
			memmove(rb->buf, rb->buf + rb->off, rb->len - rb->off);
			rb->len -= rb->off;
			rb->off = 0;
		}
		if (rb->cap - rb->off < want || rb->len == rb->cap) {
			size_t cap = rb->cap ? rb->cap : 64u << 10;
			uint8_t *b;

			while (cap - rb->off < want || cap == rb->len)
				cap *= 2;
			b = realloc(rb->buf, cap);
			if (!b)
				return -ENOMEM;
			rb->buf = b;
			rb->cap = cap;
		}
		r = recv_some(fd, rb->buf + rb->len, rb->cap - rb->len, deadline);
		if (r < 0)
			return (int)r;
		rb->len += (size_t)r;
	}
	return 0;
}

/* ctl_recv_msg from rb. */
static int rbuf_msg(int fd, struct ctl_rbuf *rb, json_t **msg, int64_t deadline)
{
	const uint8_t *hdr;
	uint32_t n;
	int rc;

	*msg = NULL;
	rc = rbuf_fill(fd, rb, 4, deadline);
	if (rc < 0)
		return rc;
	hdr = rb->buf + rb->off;
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (n == 0)
		return -EBADMSG;
	if (n > CTL_MAX_FRAME)
		return -EMSGSIZE;
	rc = rbuf_fill(fd, rb, 4 + (size_t)n, deadline);
	if (rc < 0)
		return rc;
	rc = frame_json(rb->buf + rb->off + 4, n, msg);
	rb->off += 4 + (size_t)n;
	if (rb->off == rb->len)
		rb->off = rb->len = 0;
	return rc;
}

bool ctl_rbuf_pending(const struct ctl_rbuf *rb)
{
	return rb->len > rb->off;
}

void ctl_rbuf_free(struct ctl_rbuf *rb)
{
	free(rb->buf);
	memset(rb, 0, sizeof(*rb));
}

static int set_err(char **err, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int set_err(char **err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		if (vasprintf(err, fmt, ap) < 0)
			*err = NULL;
		va_end(ap);
	}
	return rc;
}

/* One call; *retry tells an answer that says the request was not read
 * ("unread": busy, evicted, idle; the server closed) from a handler
 * that failed with EBUSY. */
/* The answer to one request, which it consumes: the result, or the
 * daemon's error; *unread when the server closed without reading it. */
static int eval_reply(json_t *rep, json_t **result, char **err, bool *unread)
{
	json_t *jv = json_object_get(rep, "version");
	int rc;

	*unread = false;
	if (!json_is_integer(jv) || json_integer_value(jv) != CTL_VERSION) {
		rc = set_err(err, -EPROTO,
			     "daemon speaks control protocol version %lld, this client %d",
			     json_is_integer(jv) ? (long long)json_integer_value(jv) : -1LL,
			     CTL_VERSION);
	} else if (json_is_true(json_object_get(rep, "ok"))) {
		*result = json_incref(json_object_get(rep, "result"));
		if (!*result)
			*result = json_null();
		rc = 0;
	} else {
		const char *text = json_string_value(json_object_get(rep, "error"));
		json_int_t e = json_integer_value(json_object_get(rep, "errno"));

		if (e <= 0 || e > 4095)
			e = EIO;
		*unread = json_is_true(json_object_get(rep, "unread"));
		rc = set_err(err, -(int)e, "%s", text ? text : "unspecified error");
	}
	json_decref(rep);
	return rc;
}

static int call_fd(int fd, const char *cmd, json_t *args, json_t **result, char **err,
		   int timeout_ms, bool *retry)
{
	int64_t deadline = ctl_deadline(timeout_ms);
	json_t *req, *rep = NULL;
	int rc;

	*result = NULL;
	*retry = false;
	if (err)
		*err = NULL;
	req = json_pack("{s:i, s:s, s:O?}", "version", CTL_VERSION, "cmd", cmd, "args", args);
	if (!req)
		return set_err(err, -EINVAL, "cannot build request for \"%s\"", cmd);
	rc = ctl_send_msg(fd, req, deadline);
	json_decref(req);
	/* A server that refused the connection wrote why before closing;
	 * the answer is still in our receive buffer. */
	if (rc == 0 || rc == -EPIPE || rc == -ECONNRESET) {
		int rrc = ctl_recv_msg(fd, &rep, deadline);

		if (rc == 0 || rrc == 0)
			rc = rrc;
	}
	switch (rc) {
	case 0:
		break;
	case -ETIMEDOUT:
		return set_err(err, rc, "no reply from daemon within %d ms", timeout_ms);
	case -EPIPE:
	case -ECONNRESET:
		return set_err(err, -ECONNRESET, "daemon closed the connection");
	case -EBADMSG:
		return set_err(err, rc, "malformed reply from daemon");
	default:
		return set_err(err, rc, "control socket: %s", strerror(-rc));
	}
	return eval_reply(rep, result, err, retry);
}

int ctl_call_fd(int fd, const char *cmd, json_t *args, json_t **result, char **err, int timeout_ms)
{
	bool retry;

	return call_fd(fd, cmd, args, result, err, timeout_ms, &retry);
}

/* ---- pipelining (vdpctl -b): requests sent ahead, replies taken later ---- */

/* A failed send or receive as the caller reports it. */
static int transport_err(char **err, int rc, int timeout_ms)
{
	switch (rc) {
	case -ETIMEDOUT:
		return set_err(err, rc, "no reply from daemon within %d ms", timeout_ms);
	case -EPIPE:
	case -ECONNRESET:
		return set_err(err, -ECONNRESET, "daemon closed the connection");
	case -EBADMSG:
		return set_err(err, rc, "malformed reply from daemon");
	default:
		return set_err(err, rc, "control socket: %s", strerror(-rc));
	}
}

uint8_t *ctl_request_frame(const char *cmd, json_t *args, bool if_ok, size_t *len)
{
	/* {"version":1,"cmd":CMD,"args":ARGS[,"if_ok":true]}: what json_dumps()
	 * writes of that object, after a 4-octet length */
	struct jfast_buf b = { 0 };
	uint8_t *f = NULL;
	size_t n;

	_Static_assert(CTL_VERSION == 1, "the head spells the version");
	jfast_put(&b, "\0\0\0\0{\"version\":1,\"cmd\":", 4 + 19);
	jfast_put_str(&b, cmd);
	jfast_put(&b, ",\"args\":", 8);
	if (args)
		jfast_put_json(&b, args);
	else
		jfast_put(&b, "null", 4);
	if (if_ok)
		jfast_put(&b, ",\"if_ok\":true", 13);
	jfast_put(&b, "}", 1);
	if (b.punt) {
		/* a command name outside ASCII: jansson checks and writes it */
		json_t *req = json_pack("{s:i, s:s, s:O?}", "version", CTL_VERSION, "cmd", cmd,
					"args", args);

		free(b.p);
		b = (struct jfast_buf){ 0 };
		if (req && if_ok)
			json_object_set_new(req, "if_ok", json_true());
		jfast_put(&b, "\0\0\0\0", 4);
		if (req)
			jfast_put_json(&b, req);
		else
			b.punt = true;
		json_decref(req);
	}
	n = b.len - 4;
	if (b.punt || n > CTL_MAX_FRAME) {
		free(b.p);
		return NULL;
	}
	f = (uint8_t *)b.p;
	f[0] = (uint8_t)(n >> 24);
	f[1] = (uint8_t)(n >> 16);
	f[2] = (uint8_t)(n >> 8);
	f[3] = (uint8_t)n;
	*len = b.len;
	return f;
}

int ctl_send_request(int fd, const char *cmd, json_t *args, bool if_ok, char **err, int timeout_ms)
{
	size_t len;
	uint8_t *f;
	int rc;

	if (err)
		*err = NULL;
	f = ctl_request_frame(cmd, args, if_ok, &len);
	if (!f)
		return set_err(err, -EINVAL, "cannot build request for \"%s\"", cmd);
	rc = write_all(fd, f, len, ctl_deadline(timeout_ms));
	free(f);
	return rc < 0 ? transport_err(err, rc, timeout_ms) : 0;
}

static int recv_result(int fd, struct ctl_rbuf *rb, json_t **result, char **err, int timeout_ms,
		       bool *lost)
{
	json_t *rep = NULL;
	bool unread;
	int rc;

	*result = NULL;
	if (err)
		*err = NULL;
	rc = rb ? rbuf_msg(fd, rb, &rep, ctl_deadline(timeout_ms))
		: ctl_recv_msg(fd, &rep, ctl_deadline(timeout_ms));
	if (lost)
		*lost = rc < 0;
	if (rc < 0)
		return transport_err(err, rc, timeout_ms);
	rc = eval_reply(rep, result, err, &unread);
	/* Not read by the server (busy, evicted): the stream is over. */
	if (lost && unread)
		*lost = true;
	return rc;
}

int ctl_recv_result(int fd, json_t **result, char **err, int timeout_ms, bool *lost)
{
	return recv_result(fd, NULL, result, err, timeout_ms, lost);
}

int ctl_recv_result_buf(int fd, struct ctl_rbuf *rb, json_t **result, char **err, int timeout_ms,
			bool *lost)
{
	return recv_result(fd, rb, result, err, timeout_ms, lost);
}

int ctl_connect(const char *path, char **err)
{
	struct sockaddr_un sun;
	int fd, rc;

	if (err)
		*err = NULL;
	if (ctl_sun_fill(&sun, path) < 0)
		return set_err(err, -ENAMETOOLONG, "socket path too long: %s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return set_err(err, -errno, "socket: %s", strerror(errno));
	/* connect() on a unix socket completes or fails at once, except
	 * EAGAIN when the backlog is full. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		rc = -errno;
		close(fd);
		return set_err(err, rc, "cannot connect to %s: %s (is vdpd running?)", path,
			       strerror(-rc));
	}
	return fd;
}

int ctl_call_conn(int *fd, const char *path, const char *cmd, json_t *args, json_t **result,
		  char **err, int timeout_ms)
{
	int64_t deadline = ctl_deadline(timeout_ms);
	int64_t left = timeout_ms, pause_ms = 20;
	bool retry;
	int rc;

	/* A server at its connection cap frees a slot as soon as one of its
	 * connections has been quiet CTL_EVICT_QUIET_MS: try again until then.
	 * A connection the server closed (idle, evicted) is replaced. */
	for (;;) {
		*result = NULL;
		if (*fd < 0 && (*fd = ctl_connect(path, err)) < 0)
			return *fd;
		rc = call_fd(*fd, cmd, args, result, err, (int)left, &retry);
		left = deadline - ctl_deadline(0);
		if (!retry || left <= pause_ms)
			return rc;
		close(*fd);
		*fd = -1;
		if (err) {
			free(*err);
			*err = NULL;
		}
		poll(NULL, 0, (int)pause_ms);
		left -= pause_ms;
		if (pause_ms < 200)
			pause_ms *= 2;
	}
}

int ctl_call(const char *path, const char *cmd, json_t *args, json_t **result, char **err,
	     int timeout_ms)
{
	int fd = -1;
	int rc = ctl_call_conn(&fd, path, cmd, args, result, err, timeout_ms);

	if (fd >= 0)
		close(fd);
	return rc;
}
