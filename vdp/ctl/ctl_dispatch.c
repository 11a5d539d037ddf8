/* Control socket, the daemon side: the command tables components add at
 * run time, the built-in commands (help, subscribe), one request run to
 * its reply, and events to subscribers.  Connections are ctl.c. */
#include "vdp/ctl/ctl.h"
#include "vdp/ctl/ctl_srv.h"
#include "vdp/base/jfast.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

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

int ctl_failed(struct ctl_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	err->errnum = errnum ? errnum : EINVAL;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static json_t *builtin_help(struct ctl_server *srv)
{
	json_t *a = json_array();

	for (size_t t = 0; t < srv->n_tables; t++)
		for (const struct ctl_cmd *k = srv->tables[t].cmds; k->name; k++)
			json_array_append_new(a,
					      json_pack("{s:s, s:s}", "cmd", k->name, "help",
							k->help ? k->help : ""));
	json_array_append_new(a,
			      json_pack("{s:s, s:s}", "cmd", "help", "help",
					"list the commands this daemon serves"));
	json_array_append_new(a,
			      json_pack("{s:s, s:s}", "cmd", "subscribe", "help",
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
	json_array_foreach (list, i, t) {
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
 * its reply, {"version":1,"ok":true,"result":RESULT,"id":ID} (id when the
 * request had one), written as json_dumps() would write that object. */
static void run_cmd(struct ctl_client *c, json_t *id, const char *cmd, json_t *args)
{
	static const char head[] = "{\"version\":1,\"ok\":true,\"result\":";
	struct ctl_server *srv = c->srv;
	struct ctl_error err = { 0 };
	struct jfast_buf b = { 0 };
	const struct ctl_cmd *k = NULL;
	void *ctx = NULL;
	json_t *res = NULL;
	bool failed;

	_Static_assert(CTL_VERSION == 1, "head[] spells the version");
	if (strcmp(cmd, "help") && strcmp(cmd, "subscribe") &&
	    !(k = ctl_server_find_cmd(srv, cmd, &ctx))) {
		srv->st.unknown_cmd++;
		ctl_srv_reply_err(c, id, EOPNOTSUPP, "unknown command \"%s\"", cmd);
		return;
	}
	jfast_put(&b, head, sizeof(head) - 1);
	if (k && k->text) {
		failed = k->text(ctx, args, &err, &b) < 0;
	} else {
		if (k)
			res = k->fn(ctx, args, &err);
		else if (strcmp(cmd, "help") == 0)
			res = builtin_help(srv);
		else
			res = builtin_subscribe(c, args, &err);
		failed = !res;
		if (res)
			jfast_put_json(&b, res);
		json_decref(res);
	}
	if (!failed && id) {
		jfast_put(&b, ",\"id\":", 6);
		jfast_put_json(&b, id);
	}
	jfast_put(&b, "}", 1);
	/* out of memory, or a result jansson cannot write either */
	if (!failed && b.punt)
		ctl_fail(&err, EIO, "cannot write the reply to \"%s\"", cmd);
	if (failed || b.punt) {
		free(b.p);
		if (!err.errnum)
			ctl_fail(&err, EIO, "internal error in \"%s\"", cmd);
		ctl_srv_reply_err(c, id, err.errnum, "%s", err.msg);
		return;
	}
	/* The cap holds both ways: a client would refuse it. */
	if (b.len > CTL_MAX_FRAME) {
		free(b.p);
		ctl_srv_reply_err(c, id, EMSGSIZE,
				  "reply of %zu bytes exceeds the limit of %u; "
				  "ask for less (e.g. offset/limit)",
				  b.len, CTL_MAX_FRAME);
		return;
	}
	srv->st.ok++;
	ctl_srv_send_text(c, b.p);
}

void ctl_srv_dispatch(struct ctl_client *c, const uint8_t *buf, size_t len)
{
	struct ctl_server *srv = c->srv;
	json_error_t jerr;
	json_t *req, *id, *jv, *jcmd, *args;
	const char *cmd;

	req = jfast_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req) {
		srv->st.bad_json++;
		ctl_srv_reply_err(c, NULL, EBADMSG, "malformed JSON at byte %d: %s", jerr.position,
				  jerr.text);
		return;
	}
	if (!json_is_object(req)) {
		srv->st.bad_json++;
		ctl_srv_reply_err(c, NULL, EBADMSG, "request is not a JSON object");
		json_decref(req);
		return;
	}
	id = json_object_get(req, "id");
	jv = json_object_get(req, "version");
	if (!json_is_integer(jv)) {
		srv->st.bad_version++;
		ctl_srv_reply_err(c, id, EPROTO,
				  "request has no integer \"version\" (this daemon speaks %d)",
				  CTL_VERSION);
		goto out;
	}
	if (json_integer_value(jv) != CTL_VERSION) {
		srv->st.bad_version++;
		ctl_srv_reply_err(
			c, id, EPROTO,
			"control protocol version %lld not supported (this daemon speaks %d)",
			(long long)json_integer_value(jv), CTL_VERSION);
		goto out;
	}
	jcmd = json_object_get(req, "cmd");
	if (!json_is_string(jcmd)) {
		srv->st.unknown_cmd++;
		ctl_srv_reply_err(c, id, EINVAL, "request has no string \"cmd\"");
		goto out;
	}
	cmd = json_string_value(jcmd);
	args = json_object_get(req, "args");
	if (args && !json_is_object(args) && !json_is_null(args)) {
		ctl_srv_reply_err(c, id, EINVAL, "\"args\" must be an object");
		goto out;
	}
	if (!args || json_is_null(args)) {
		args = json_object();
		json_object_set_new(req, "args", args);
	}
	if (json_is_true(json_object_get(req, "if_ok")) && c->failed) {
		srv->st.canceled++;
		ctl_srv_reply_err(c, id, ECANCELED,
				  "\"%s\" not run: an earlier request on this "
				  "connection failed",
				  cmd);
		goto out;
	}

	run_cmd(c, id, cmd, args);
out:
	json_decref(req);
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
	text = msg ? jfast_dumps(msg, NULL) : NULL;
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
			ctl_srv_client_free(c);
			continue;
		}
		srv->st.events++;
		ctl_srv_send_text(c, strdup(text));
	}
	free(text);
}
