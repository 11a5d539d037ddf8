/* etcd's JSON gateway through libcurl multi on libevent (see etcd_curl.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "vdp/io/etcd_curl.h"
#include "vdp/io/etcd_json.h"

enum req_kind { R_RANGE, R_WATCH, R_TXN, R_GRANT, R_KEEPALIVE, R_AUTH };

static const char *const paths[] = {
	[R_RANGE] = "/v3/kv/range",
	[R_WATCH] = "/v3/watch",
	[R_TXN] = "/v3/kv/txn",
	[R_GRANT] = "/v3/lease/grant",
	[R_KEEPALIVE] = "/v3/lease/keepalive",
	[R_AUTH] = "/v3/auth/authenticate",
};

struct req {
	struct etcd_curl *c;
	enum req_kind kind;
	CURL *easy;
	struct curl_slist *hdrs;
	char *body;
	char *resp;
	size_t len, cap, done; /* done: bytes of resp already handed on (watch) */
	void *cb, *ctx;
	unsigned tries;
	bool ended; /* a watch that told its end: no more calls */
	struct req *after; /* auth: the request waiting for the token */
	struct req *next;
	char errbuf[CURL_ERROR_SIZE];
};

struct etcd_curl {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	char *ep[ETCD_MAX_ENDPOINTS];
	size_t nep, cur;
	char *ca, *cert, *key, *user, *password;
	char token[256];
	long timeout_ms;
	char eplist[512];
	struct req *reqs; /* every request in flight */
	struct req *watch;
};

struct sock {
	struct event *ev;
	curl_socket_t fd;
};

static void req_free(struct req *r)
{
	if (!r)
		return;
	if (r->easy) {
		curl_multi_remove_handle(r->c->multi, r->easy);
		curl_easy_cleanup(r->easy);
	}
	curl_slist_free_all(r->hdrs);
	free(r->body);
	free(r->resp);
	req_free(r->after);
	free(r);
}

static void unlink_req(struct etcd_curl *c, struct req *r)
{
	for (struct req **p = &c->reqs; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			break;
		}
	if (c->watch == r)
		c->watch = NULL;
}

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct req *r = ud;
	size_t add = size * n;

	if (r->len + add + 1 > r->cap) {
		size_t cap = (r->len + add + 1) * 2;
		char *q = realloc(r->resp, cap);

		if (!q)
			return 0; /* curl fails the transfer */
		r->resp = q;
		r->cap = cap;
	}
	memcpy(r->resp + r->len, p, add);
	r->len += add;
	r->resp[r->len] = 0;
	return add;
}

static int start(struct req *r);

/* A new request of kind with body (taken); NULL on out of memory. */
static struct req *req_new(struct etcd_curl *c, enum req_kind kind, char *body, void *cb, void *ctx)
{
	struct req *r;

	if (!body)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r) {
		free(body);
		return NULL;
	}
	*r = (struct req){ .c = c, .kind = kind, .body = body, .cb = cb, .ctx = ctx };
	return r;
}

static int submit(struct etcd_curl *c, struct req *r)
{
	if (!r)
		return -ENOMEM;
	if (c->user && !c->token[0] && r->kind != R_AUTH) {
		struct req *a =
			req_new(c, R_AUTH, etcd_body_auth(c->user, c->password), NULL, NULL);

		if (!a) {
			req_free(r);
			return -ENOMEM;
		}
		a->after = r;
		r = a;
	}
	r->next = c->reqs;
	c->reqs = r;
	if (start(r)) {
		unlink_req(c, r);
		req_free(r);
		return -EIO;
	}
	if (r->kind == R_WATCH || (r->after && r->after->kind == R_WATCH))
		c->watch = r;
	return 0;
}

static int start(struct req *r)
{
	struct etcd_curl *c = r->c;
	char url[600], auth[300];

	if (r->easy) {
		curl_multi_remove_handle(c->multi, r->easy);
		curl_easy_cleanup(r->easy);
	}
	curl_slist_free_all(r->hdrs);
	r->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	if (c->token[0] && r->kind != R_AUTH) {
		snprintf(auth, sizeof(auth), "Authorization: %s", c->token);
		r->hdrs = curl_slist_append(r->hdrs, auth);
	}
	r->len = r->done = 0;
	r->easy = curl_easy_init();
	if (!r->easy || !r->hdrs)
		return -ENOMEM;
	snprintf(url, sizeof(url), "%s%s", c->ep[c->cur], paths[r->kind]);
	curl_easy_setopt(r->easy, CURLOPT_URL, url);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->hdrs);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
	curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	/* a dead peer on an idle watch is found by TCP keepalive */
	curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPIDLE, 5L);
	curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPINTVL, 2L);
	if (r->kind != R_WATCH)
		curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	if (c->ca)
		curl_easy_setopt(r->easy, CURLOPT_CAINFO, c->ca);
	if (c->cert)
		curl_easy_setopt(r->easy, CURLOPT_SSLCERT, c->cert);
	if (c->key)
		curl_easy_setopt(r->easy, CURLOPT_SSLKEY, c->key);
	r->errbuf[0] = 0;
	return curl_multi_add_handle(c->multi, r->easy) == CURLM_OK ? 0 : -EIO;
}

/* Tells the request's caller err with msg (a transport failure). */
static void fail(struct req *r, int err, const char *msg)
{
	switch (r->kind) {
	case R_RANGE:
		((etcd_range_cb)r->cb)(r->ctx, err, msg, 0, NULL, 0);
		break;
	case R_WATCH:
		if (!r->ended)
			((etcd_watch_cb)r->cb)(r->ctx, err, msg, NULL, 0);
		r->ended = true;
		break;
	case R_TXN:
		((etcd_txn_cb)r->cb)(r->ctx, err, msg, false, 0);
		break;
	case R_GRANT:
	case R_KEEPALIVE:
		((etcd_lease_cb)r->cb)(r->ctx, err, msg, 0, 0);
		break;
	case R_AUTH:
		if (r->after)
			fail(r->after, err, msg);
		break;
	}
}

/* One answer object to the request's caller. */
static void answer(struct req *r, struct etcd_answer *a)
{
	char msg[400];

	if (a->err) {
		if (a->err == -EACCES)
			r->c->token[0] = 0; /* fetched again by the next request */
		snprintf(msg, sizeof(msg), "etcd at %s: %s", r->c->ep[r->c->cur], a->msg);
		fail(r, a->err, msg);
		return;
	}
	switch (r->kind) {
	case R_RANGE:
		((etcd_range_cb)r->cb)(r->ctx, 0, NULL, a->revision, a->kvs, a->nkvs);
		break;
	case R_WATCH:
		if (a->canceled) {
			snprintf(msg, sizeof(msg), "etcd at %s: the watch was canceled",
				 r->c->ep[r->c->cur]);
			fail(r, -EIO, msg);
		} else if (a->nevents && !r->ended)
			((etcd_watch_cb)r->cb)(r->ctx, 0, NULL, a->events, a->nevents);
		break;
	case R_TXN:
		((etcd_txn_cb)r->cb)(r->ctx, 0, NULL, a->succeeded, a->revision);
		break;
	case R_GRANT:
	case R_KEEPALIVE:
		((etcd_lease_cb)r->cb)(r->ctx, 0, NULL, a->id, a->ttl);
		break;
	case R_AUTH:
		snprintf(r->c->token, sizeof(r->c->token), "%s", a->token);
		break;
	}
}

static void answer_text(struct req *r, const char *text, size_t len)
{
	struct etcd_answer a;
	char msg[400];

	if (etcd_answer_parse(text, len, &a)) {
		snprintf(msg, sizeof(msg), "etcd at %s: bad answer: %s", r->c->ep[r->c->cur],
			 a.msg);
		fail(r, -EIO, msg);
		return;
	}
	answer(r, &a);
	etcd_answer_free(&a);
}

/* The watch stream's complete lines, each one answer object. */
static void watch_lines(struct req *r)
{
	char *nl;

	while (!r->ended && (nl = memchr(r->resp + r->done, '\n', r->len - r->done))) {
		size_t n = (size_t)(nl - (r->resp + r->done));

		if (n)
			answer_text(r, r->resp + r->done, n);
		r->done += n + 1;
	}
}

static bool transport_error(CURLcode rc)
{
	return rc != CURLE_OK;
}

static void finished(struct etcd_curl *c, struct req *r, CURLcode rc)
{
	char msg[800];
	long http = 0;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &http);
	if (transport_error(rc) && !(r->kind == R_WATCH && r->len)) {
		/* this endpoint is gone: the next one, each at most once */
		c->cur = (c->cur + 1) % c->nep;
		if (++r->tries < c->nep && !start(r))
			return;
		snprintf(msg, sizeof(msg), "etcd unreachable at %s: %s", c->eplist,
			 r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
		fail(r, rc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -ECONNREFUSED, msg);
	} else if (r->kind == R_WATCH) {
		watch_lines(r);
		/* the stream ended (member stopped, or canceled): tell it once */
		snprintf(msg, sizeof(msg), "etcd at %s: the watch stream ended%s%s", c->ep[c->cur],
			 rc ? ": " : "", rc ? curl_easy_strerror(rc) : "");
		fail(r, -EIO, msg);
	} else if (!r->len) {
		snprintf(msg, sizeof(msg), "etcd at %s: empty answer (HTTP %ld)", c->ep[c->cur],
			 http);
		fail(r, -EIO, msg);
	} else {
		answer_text(r, r->resp, r->len);
		if (r->kind == R_AUTH && r->after) {
			struct req *next = r->after;

			r->after = NULL;
			if (c->token[0]) {
				next->next = c->reqs;
				c->reqs = next;
				if (c->watch == r)
					c->watch = next;
				if (start(next)) {
					unlink_req(c, next);
					fail(next, -EIO, "cannot start a request");
					req_free(next);
				}
			} else {
				req_free(next);
			}
		}
	}
	unlink_req(c, r);
	req_free(r);
}

static void check_multi(struct etcd_curl *c)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(c->multi, &left))) {
		struct req *r;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		finished(c, r, m->data.result);
	}
	/* events of the watch, outside curl's callbacks (a caller may start
	 * a read or end the watch from its callback) */
	if (c->watch && c->watch->kind == R_WATCH) {
		struct req *w = c->watch;

		watch_lines(w);
		if (w->ended) {
			unlink_req(c, w);
			req_free(w);
		}
	}
}

static void on_sock_event(evutil_socket_t fd, short what, void *arg)
{
	struct etcd_curl *c = arg;
	int running,
		act = (what & EV_READ ? CURL_CSELECT_IN : 0) |
		(what & EV_WRITE ? CURL_CSELECT_OUT : 0);

	curl_multi_socket_action(c->multi, fd, act, &running);
	check_multi(c);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct etcd_curl *c = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_multi(c);
}

static int on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct etcd_curl *c = userp;
	struct sock *k = socketp;
	short kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) |
			     (what & CURL_POLL_OUT ? EV_WRITE : 0) | EV_PERSIST);

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (k) {
			event_free(k->ev);
			free(k);
		}
		curl_multi_assign(c->multi, s, NULL);
		return 0;
	}
	if (!k) {
		k = calloc(1, sizeof(*k));
		if (!k)
			return -1;
		k->fd = s;
		curl_multi_assign(c->multi, s, k);
	} else {
		event_free(k->ev);
	}
	k->ev = event_new(c->base, s, kind, on_sock_event, c);
	return k->ev ? event_add(k->ev, NULL) : -1;
}

static int on_timer_set(CURLM *m, long ms, void *userp)
{
	struct etcd_curl *c = userp;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	(void)m;
	if (ms < 0)
		evtimer_del(c->timer);
	else
		evtimer_add(c->timer, &tv);
	return 0;
}

static char *dup_opt(const char *s)
{
	return s && s[0] ? strdup(s) : NULL;
}

struct etcd_curl *etcd_curl_new(struct event_base *base, const struct etcd_curl_cfg *cfg, char *err,
				size_t errlen)
{
	struct etcd_curl *c;
	size_t off = 0;

	if (!cfg->nendpoints || cfg->nendpoints > ETCD_MAX_ENDPOINTS) {
		snprintf(err, errlen, "etcd: 1..%d endpoints, not %zu", ETCD_MAX_ENDPOINTS,
			 cfg->nendpoints);
		return NULL;
	}
	for (size_t i = 0; i < cfg->nendpoints; i++)
		if (strncmp(cfg->endpoints[i], "http://", 7) &&
		    strncmp(cfg->endpoints[i], "https://", 8)) {
			snprintf(err, errlen,
				 "etcd endpoint '%s': not http://HOST:PORT or https://HOST:PORT",
				 cfg->endpoints[i]);
			return NULL;
		}
	if (!cfg->user != !cfg->password) {
		snprintf(err, errlen, "etcd: a user needs a password and a password a user");
		return NULL;
	}
	if (!cfg->cert != !cfg->key) {
		snprintf(err, errlen,
			 "etcd: a client certificate needs its key and a key its certificate");
		return NULL;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->base = base;
	c->multi = curl_multi_init();
	c->timer = evtimer_new(base, on_timer, c);
	c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 5000;
	for (size_t i = 0; i < cfg->nendpoints; i++) {
		size_t n = strlen(cfg->endpoints[i]);

		c->ep[c->nep++] = strdup(cfg->endpoints[i]);
		/* "host:2379/" and "host:2379" name one endpoint */
		if (n && c->ep[i] && c->ep[i][n - 1] == '/')
			c->ep[i][n - 1] = 0;
		off += (size_t)snprintf(c->eplist + off,
					off < sizeof(c->eplist) ? sizeof(c->eplist) - off : 0,
					"%s%s", i ? "," : "", cfg->endpoints[i]);
	}
	c->ca = dup_opt(cfg->ca);
	c->cert = dup_opt(cfg->cert);
	c->key = dup_opt(cfg->key);
	c->user = dup_opt(cfg->user);
	c->password = dup_opt(cfg->password);
	if (!c->multi || !c->timer) {
		snprintf(err, errlen, "etcd: cannot set up libcurl");
		etcd_curl_free(c);
		return NULL;
	}
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer_set);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	return c;
}

void etcd_curl_free(struct etcd_curl *c)
{
	if (!c)
		return;
	while (c->reqs) {
		struct req *r = c->reqs;

		c->reqs = r->next;
		req_free(r);
	}
	if (c->multi)
		curl_multi_cleanup(c->multi);
	if (c->timer)
		event_free(c->timer);
	for (size_t i = 0; i < c->nep; i++)
		free(c->ep[i]);
	free(c->ca);
	free(c->cert);
	free(c->key);
	free(c->user);
	free(c->password);
	free(c);
}

const char *etcd_curl_endpoints(const struct etcd_curl *c)
{
	return c->eplist;
}

static int t_range(void *t, const char *prefix, int64_t rev, etcd_range_cb cb, void *ctx)
{
	return submit(t, req_new(t, R_RANGE, etcd_body_range(prefix, rev), (void *)cb, ctx));
}

static int t_watch(void *t, const char *prefix, int64_t start_rev, etcd_watch_cb cb, void *ctx)
{
	struct etcd_curl *c = t;

	if (c->watch)
		return -EBUSY;
	return submit(c, req_new(c, R_WATCH, etcd_body_watch(prefix, start_rev), (void *)cb, ctx));
}

static void t_watch_cancel(void *t)
{
	struct etcd_curl *c = t;
	struct req *w = c->watch;

	if (w) {
		unlink_req(c, w);
		req_free(w);
	}
}

static int t_txn(void *t, const char *key, int64_t expect, const char *value, int64_t lease,
		 etcd_txn_cb cb, void *ctx)
{
	return submit(t,
		      req_new(t, R_TXN, etcd_body_txn(key, expect, value, lease), (void *)cb, ctx));
}

static int t_grant(void *t, int64_t ttl, etcd_lease_cb cb, void *ctx)
{
	return submit(t, req_new(t, R_GRANT, etcd_body_lease_grant(ttl), (void *)cb, ctx));
}

static int t_keepalive(void *t, int64_t id, etcd_lease_cb cb, void *ctx)
{
	return submit(t, req_new(t, R_KEEPALIVE, etcd_body_lease_keepalive(id), (void *)cb, ctx));
}

const struct etcd_ops etcd_curl_ops = {
	.range = t_range,
	.watch = t_watch,
	.watch_cancel = t_watch_cancel,
	.txn = t_txn,
	.lease_grant = t_grant,
	.lease_keepalive = t_keepalive,
};
