/* vdpctl vsi show | add | del.
 *
 * add and del wait for the bridge's answer by default (up to 10 s, what
 * libvirt allows lldpad), polling vsi.show; "nowait" (the default in a
 * batch, vdpctl -b) returns once vdpd has queued the request; "vsi wait"
 * waits for every VSI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/vdpctl/vdpctl.h"

#define DEFAULT_WAIT_S 10
#define WAIT_ALL_S 60

static void vsi_help(void)
{
	vctl_help();
}

static const char *const vsi_keys[] = { "uplink", "mode", "uuid", "mgrid", "typeid", "typeidver",
					"format", "hints", "vsiid", "vsiid-format", "id", NULL };

static const char *json_key(const char *word)
{
	if (strcmp(word, "format") == 0)
		return "filter_format";
	if (strcmp(word, "vsiid-format") == 0)
		return "vsiid_format";
	return word;
}

static bool is_key(const char *w, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (strcmp(*allowed, w) == 0)
			return true;
	return false;
}

/* Number-looking values go as strings too: vdpd parses them strictly and
 * names the field in its error. */
struct parsed {
	json_t *args;
	int wait_s;
};

/* mac|vid|pcp|group VALUE into the current filter entry ("filter" may be
 * left out before the first).  Returns the words taken, or -1. */
static int filter_word(int argc, char **argv, json_t *list, json_t **cur)
{
	const char *w = argv[0];

	if (vctl_need_arg(argc, w, vsi_help) < 0)
		return -1;
	if (!*cur) {
		*cur = json_object();
		json_array_append_new(list, *cur);
	}
	if (json_object_get(*cur, w)) {
		fprintf(stderr,
			"Error: duplicate \"%s\" in one filter; start the next with \"filter\".\n",
			w);
		return -1;
	}
	json_object_set_new(*cur, w, json_string(argv[1]));
	return 2;
}

/* wait SECONDS.  Returns the words taken, or -1. */
static int wait_word(int argc, char **argv, struct parsed *p)
{
	char *end;

	if (vctl_need_arg(argc, argv[0], vsi_help) < 0)
		return -1;
	p->wait_s = (int)strtol(argv[1], &end, 10);
	if (*end || p->wait_s < 0 || p->wait_s > 3600) {
		fprintf(stderr, "Error: argument \"%s\" is wrong: wait takes 0..3600 seconds\n",
			argv[1]);
		return -1;
	}
	return 2;
}

/* KEY VALUE of the VSI itself.  Returns the words taken, or -1. */
static int key_word(int argc, char **argv, const char *const *allowed, struct parsed *p)
{
	const char *w = argv[0];

	if (!is_key(w, allowed) || !is_key(w, vsi_keys)) {
		vctl_what_is(w, vsi_help);
		return -1;
	}
	if (vctl_need_arg(argc, w, vsi_help) < 0)
		return -1;
	if (json_object_get(p->args, json_key(w))) {
		fprintf(stderr, "Error: duplicate \"%s\": %s is the second value.\n", w, argv[1]);
		return -1;
	}
	json_object_set_new(p->args, json_key(w), json_string(argv[1]));
	return 2;
}

static bool is_filter_word(const char *w)
{
	return !strcmp(w, "mac") || !strcmp(w, "vid") || !strcmp(w, "pcp") || !strcmp(w, "group");
}

static int parse_args(int argc, char **argv, const char *const *allowed, bool filters,
		      struct parsed *p)
{
	json_t *list = json_array(), *cur = NULL;
	int n = 0;

	p->args = json_object();
	/* a batch queues its requests and ends with "vsi wait" */
	p->wait_s = vctl.batch || vctl.no_wait ? 0 : DEFAULT_WAIT_S;
	while (argc > 0) {
		const char *w = argv[0];

		if (vctl_is_help(w)) {
			vsi_help();
			json_decref(list);
			json_decref(p->args);
			p->args = NULL;
			return 1;
		}
		if (strcmp(w, "nowait") == 0 && is_key("wait", allowed)) {
			p->wait_s = 0;
			n = 1;
		} else if (filters && strcmp(w, "filter") == 0) {
			cur = json_object();
			json_array_append_new(list, cur);
			n = 1;
		} else if (filters && is_filter_word(w)) {
			n = filter_word(argc, argv, list, &cur);
		} else if (strcmp(w, "wait") == 0 && is_key("wait", allowed)) {
			n = wait_word(argc, argv, p);
		} else {
			n = key_word(argc, argv, allowed, p);
		}
		if (n < 0)
			break;
		argc -= n;
		argv += n;
	}
	if (n < 0) {
		json_decref(list);
		json_decref(p->args);
		p->args = NULL;
		return -1;
	}
	if (filters)
		json_object_set_new(p->args, "filters", list);
	else
		json_decref(list);
	return 0;
}

/* The reconciler's state of a VSI vdpd heals itself (absent or null
 * otherwise). */
static void print_retry(json_t *r)
{
	if (!json_is_object(r))
		return;
	printf("    retry %s, %lld attempts", vctl_str(r, "state"), vctl_int(r, "attempts"));
	if (vctl_int(r, "next_try_ms") >= 0)
		printf(", next in %lld ms", vctl_int(r, "next_try_ms"));
	printf(", last end: %s", vctl_str(r, "last_end"));
	if (vctl_int(r, "last_status") & 0x0f)
		printf(" (status 0x%02llx %s)", vctl_int(r, "last_status"),
		       vctl_str(r, "last_status_text"));
	printf("\n");
}

void vctl_print_vsi(json_t *v)
{
	json_t *f;
	size_t i;

	printf("%s %s %s state %s", vctl_str(v, "uplink"), vctl_str(v, "vsiid_format"),
	       vctl_str(v, "vsiid"), vctl_str(v, "state"));
	if (strcmp(vctl_str(v, "state"), vctl_str(v, "mode")) != 0)
		printf(" (requested %s)", vctl_str(v, "mode"));
	printf(" %s%s\n", vctl_str(v, "sm_state"), vctl_bool(v, "in_flight") ? " in-flight" : "");
	printf("    mgrid %s typeid %lld typeidver %lld hints %s\n", vctl_str(v, "mgrid"),
	       vctl_int(v, "typeid"), vctl_int(v, "typeidver"), vctl_str(v, "hints"));
	json_array_foreach(json_object_get(v, "filters"), i, f) {
		printf("    filter %s", vctl_str(v, "filter_format"));
		if (json_object_get(f, "group"))
			printf(" group %lld", vctl_int(f, "group"));
		if (json_object_get(f, "mac"))
			printf(" mac %s", vctl_str(f, "mac"));
		printf(" vid %lld", vctl_int(f, "vid"));
		if (vctl_bool(f, "vid_assigned"))
			printf(" (by bridge)");
		if (vctl_bool(f, "ps"))
			printf(" pcp %lld", vctl_int(f, "pcp"));
		if (vctl_bool(f, "pcp_assigned"))
			printf(" (by bridge)");
		printf("\n");
	}
	/* A status only when the bridge answered with one: an ECP error or
	 * a timeout has no answer, whatever the last one said. */
	if (vctl_int(v, "status") & 0x0f)
		printf("    status 0x%02llx %s%s%s\n", vctl_int(v, "status"), vctl_str(v, "status_text"),
		       strcmp(vctl_str(v, "end_reason"), "none") ? ", ended: " : "",
		       strcmp(vctl_str(v, "end_reason"), "none") ? vctl_str(v, "end_reason") : "");
	else if (strcmp(vctl_str(v, "sm_state"), "END") == 0)
		printf("    ended: %s\n", vctl_str(v, "end_reason"));
	print_retry(json_object_get(v, "retry"));
}

static int vsi_show(int argc, char **argv)
{
	static const char *const allowed[] = { "uplink", "id", NULL };
	struct parsed p;
	json_t *res, *v, *all;
	size_t i, n;
	int rc;

	if ((rc = parse_args(argc, argv, allowed, false, &p)) != 0)
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	/* Page through: one reply is capped at 1 MiB, a host may have
	 * thousands of VSIs.  Each page resumes after the last VSI of the
	 * one before (O(1) for vdpd, and steady while VSIs come and go);
	 * offset goes along for a vdpd that does not know "after" (one that
	 * does ignores it).  JSON output is still one array. */
	all = json_array();
	for (;;) {
		json_t *last = json_array_get(all, json_array_size(all) - 1);

		json_object_set_new(p.args, "offset", json_integer((json_int_t)json_array_size(all)));
		if (last)
			json_object_set_new(p.args, "after",
					    json_pack("{s:O, s:O, s:O}", "uplink",
						      json_object_get(last, "uplink"),
						      "vsiid_format",
						      json_object_get(last, "vsiid_format"),
						      "vsiid", json_object_get(last, "vsiid")));
		json_object_set_new(p.args, "limit", json_integer(1000));
		res = vctl_call("vsi.show", p.args);
		if (!res) {
			json_decref(all);
			json_decref(p.args);
			return EXIT_FAIL;
		}
		n = json_array_size(res);
		json_array_foreach(res, i, v) {
			if (!vctl.json)
				vctl_print_vsi(v);
			json_array_append(all, v);
		}
		json_decref(res);
		if (n == 0)
			break;
	}
	if (vctl.json)
		vctl_print_json(all);
	json_decref(all);
	json_decref(p.args);
	return EXIT_OK;
}

long long vctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum vctl_outcome vctl_vsi_judge(json_t *v, bool del)
{
	const char *sm = vctl_str(v, "sm_state");
	bool ended = strcmp(sm, "END") == 0;

	if (!v)
		return del ? GONE : FAILED;
	if (del)
		return ended ? (strcmp(vctl_str(v, "end_reason"), "de-associated") == 0 ? DONE : FAILED)
			     : PENDING;
	if (ended)
		return FAILED;
	if (vctl_bool(v, "in_flight") || strcmp(sm, "STATION_PROC") == 0 || strcmp(sm, "INIT") == 0)
		return PENDING;
	/* Answered, but refused with "keep": the old state stays.  Checked
	 * before comparing modes: a refused change of an association (other
	 * filters, same mode) leaves state == mode. */
	if (vctl_int(v, "status") & 0x0f)
		return FAILED;
	if (strcmp(vctl_str(v, "state"), vctl_str(v, "mode")) == 0)
		return DONE;
	return PENDING;
}

/* Polls vsi.show until the request is answered.  Returns the last VSI
 * seen (or NULL when it is gone) and the outcome. */
static enum vctl_outcome wait_for(json_t *args, int wait_s, bool del, json_t **last)
{
	json_t *q = json_pack("{s:O, s:O}", "uplink", json_object_get(args, "uplink"), "id",
			      json_object_get(args, "vsiid") ? json_object_get(args, "vsiid")
							     : json_object_get(args, "uuid"));
	long long deadline = vctl_now_ms() + wait_s * 1000LL;
	enum vctl_outcome o = PENDING;

	for (;;) {
		json_t *res = vctl_call("vsi.show", q);

		if (!res)
			break;
		json_decref(*last);
		*last = json_incref(json_array_get(res, 0));
		json_decref(res);
		o = vctl_vsi_judge(*last, del);
		if (o != PENDING || vctl_now_ms() >= deadline)
			break;
		usleep(50000);
	}
	json_decref(q);
	return o;
}

/* "Error: WHAT failed: REASON[, status TEXT]": the status only when the
 * bridge answered with one (an ECP error has none, not "success"). */
void vctl_vsi_failure(json_t *v, const char *what)
{
	const char *end = v ? vctl_str(v, "end_reason") : "VSI vanished";
	bool answered = v && (vctl_int(v, "status") & 0x0f);

	if (!strcmp(end, "none") || !*end)
		end = answered ? "refused by the bridge" : "no answer";
	if (v && answered && strcmp(vctl_str(v, "sm_state"), "END") != 0)
		fprintf(stderr, "Error: %s refused by the bridge: %s (kept: state %s)\n", what,
			vctl_str(v, "status_text"), vctl_str(v, "state"));
	else if (answered)
		fprintf(stderr, "Error: %s failed: %s, status %s\n", what, end,
			vctl_str(v, "status_text"));
	else
		fprintf(stderr, "Error: %s failed: %s\n", what, end);
}

static int finish(json_t *v, enum vctl_outcome o, bool del, int wait_s)
{
	if (vctl.json) {
		vctl_print_json(v ? v : json_null());
	} else if (v) {
		vctl_print_vsi(v);
	}
	switch (o) {
	case DONE:
	case GONE:
		if (!vctl.json && !v)
			printf("de-associated\n");
		return EXIT_OK;
	case PENDING:
		if (wait_s == 0)
			return EXIT_OK;
		/* The VSI first, then what went wrong, also when both go to a pipe. */
		fflush(stdout);
		fprintf(stderr, "Error: no answer from the bridge within %d s (request stays queued)\n", wait_s);
		return EXIT_FAIL;
	case FAILED:
		fflush(stdout);
		vctl_vsi_failure(v, del ? "de-association" : "request");
		return EXIT_FAIL;
	}
	return EXIT_FAIL;
}

static bool is_add = false, is_del = true;

/* The reply to vsi.add / vsi.del when not waiting for the bridge; ctx
 * points to is_del or is_add. */
static int queued_done(json_t *res, void *ctx)
{
	if (vctl_bool(res, "removed")) {
		/* An ended VSI was forgotten; nothing went to the bridge. */
		if (vctl.json)
			vctl_print_json(res);
		else
			printf("removed (it had already ended)\n");
		return EXIT_OK;
	}
	return finish(res, PENDING, *(const bool *)ctx, 0);
}

static int vsi_add_del(int argc, char **argv, bool del)
{
	static const char *const add_keys[] = { "uplink", "mode", "uuid", "mgrid", "typeid", "typeidver",
						"format", "hints", "vsiid", "vsiid-format", "wait", NULL };
	static const char *const del_keys[] = { "uplink", "uuid", "vsiid", "vsiid-format", "wait", NULL };
	struct parsed p;
	json_t *res, *last = NULL;
	enum vctl_outcome o;
	int rc;

	if ((rc = parse_args(argc, argv, del ? del_keys : add_keys, !del, &p)) != 0)
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	if (!json_object_get(p.args, "uplink")) {
		fprintf(stderr, "Error: \"uplink IFNAME\" is required.\n");
		vsi_help();
		json_decref(p.args);
		return EXIT_USAGE;
	}
	/* vdptool's "mode deassoc": the same as vsi del (only the VSI ID
	 * counts, as the daemon de-associates what was associated). */
	const char *mode = json_string_value(json_object_get(p.args, "mode"));
	if (!del && mode && strcmp(mode, "deassoc") == 0) {
		static const char *const keep[] = { "uplink", "uuid", "vsiid", "vsiid_format", NULL };
		json_t *a = json_object();

		for (const char *const *k = keep; *k; k++)
			if (json_object_get(p.args, *k))
				json_object_set(a, *k, json_object_get(p.args, *k));
		json_decref(p.args);
		p.args = a;
		del = true;
	}
	if (p.wait_s == 0) {
		/* Pipelined in a batch: the reply is all the line prints. */
		rc = vctl_call_then(del ? "vsi.del" : "vsi.add", p.args, queued_done,
				    del ? &is_del : &is_add);
		json_decref(p.args);
		return rc;
	}
	res = vctl_call(del ? "vsi.del" : "vsi.add", p.args);
	if (!res) {
		json_decref(p.args);
		return EXIT_FAIL;
	}
	if (vctl_bool(res, "removed")) {
		rc = queued_done(res, &is_del);
		json_decref(res);
		json_decref(p.args);
		return rc;
	}
	/* Queued, but the switch cannot be asked yet: said, not timed out. */
	char why[256];

	if (vctl_uplink_waits(json_string_value(json_object_get(p.args, "uplink")),
			      del ? "de-association" : "association", why, sizeof(why))) {
		if (vctl.json) {
			json_object_set_new(res, "outcome", json_string("pending"));
			json_object_set_new(res, "reason", json_string(why));
		}
		rc = finish(res, PENDING, del, 0);
		if (!vctl.json)
			printf("pending: %s\n", why);
		json_decref(res);
		json_decref(p.args);
		return rc;
	}
	json_decref(res);
	o = wait_for(p.args, p.wait_s, del, &last);
	rc = finish(last, o, del, p.wait_s);
	json_decref(last);
	json_decref(p.args);
	return rc;
}

/* vsi wait: until every VSI (of the uplink) has its answer.  Pages
 * through vsi.show like show; the end of a batch of "add ... " lines. */
struct wait_counts {
	size_t total, done, failed, pending;
};

/* "uplink IF" and "timeout S" of vsi wait: -1 to go on, else the exit code. */
static int wait_args(int argc, char **argv, json_t *args, int *timeout_s)
{
	char *end;

	for (; argc > 0; argc -= 2, argv += 2) {
		if (vctl_is_help(argv[0])) {
			vsi_help();
			return EXIT_OK;
		}
		if (vctl_need_arg(argc, argv[0], vsi_help) < 0)
			return EXIT_USAGE;
		if (strcmp(argv[0], "uplink") == 0) {
			json_object_set_new(args, "uplink", json_string(argv[1]));
		} else if (strcmp(argv[0], "timeout") == 0) {
			*timeout_s = (int)strtol(argv[1], &end, 10);
			if (*end || *timeout_s < 0 || *timeout_s > 3600) {
				fprintf(stderr,
					"Error: argument \"%s\" is wrong: timeout takes 0..3600 "
					"seconds\n",
					argv[1]);
				return EXIT_USAGE;
			}
		} else {
			vctl_what_is(argv[0], vsi_help);
			return EXIT_USAGE;
		}
	}
	return -1;
}

/* One pass over every VSI, a page of 1,000 at a time. */
static int wait_count(json_t *args, struct wait_counts *c)
{
	size_t n;

	memset(c, 0, sizeof(*c));
	do {
		json_t *res, *v;
		size_t i;

		json_object_set_new(args, "offset", json_integer((json_int_t)c->total));
		json_object_set_new(args, "limit", json_integer(1000));
		res = vctl_call("vsi.show", args);
		if (!res)
			return -1;
		n = json_array_size(res);
		json_array_foreach (res, i, v) {
			switch (vctl_vsi_judge(v, strcmp(vctl_str(v, "mode"), "deassoc") == 0)) {
			case PENDING:
				c->pending++;
				break;
			case DONE:
			case GONE:
				c->done++;
				break;
			case FAILED:
				c->failed++;
				break;
			}
		}
		c->total += n;
		json_decref(res);
	} while (n > 0);
	return 0;
}

static int vsi_wait(int argc, char **argv)
{
	json_t *args = json_object();
	int timeout_s = WAIT_ALL_S, rc = wait_args(argc, argv, args, &timeout_s);
	struct wait_counts c;
	long long deadline;

	if (rc >= 0) {
		json_decref(args);
		return rc;
	}
	deadline = vctl_now_ms() + timeout_s * 1000LL;
	while ((rc = wait_count(args, &c)) == 0 && c.pending && vctl_now_ms() < deadline)
		usleep(100000);
	json_decref(args);
	if (rc < 0)
		return EXIT_FAIL;
	if (vctl.json) {
		json_t *o = json_pack("{s:I, s:I, s:I, s:I}", "vsis", (json_int_t)c.total, "done",
				      (json_int_t)c.done, "failed", (json_int_t)c.failed, "pending",
				      (json_int_t)c.pending);

		vctl_print_json(o);
		json_decref(o);
	} else {
		printf("%zu VSIs: %zu answered, %zu failed, %zu pending\n", c.total, c.done,
		       c.failed, c.pending);
	}
	fflush(stdout);
	if (c.pending)
		fprintf(stderr, "Error: %zu VSIs still without an answer after %d s\n", c.pending,
			timeout_s);
	else if (c.failed)
		fprintf(stderr, "Error: %zu VSIs failed\n", c.failed);
	return c.pending || c.failed ? EXIT_FAIL : EXIT_OK;
}

/* argv[0] is the verb, canonical (grammar.c). */
int do_vsi(int argc, char **argv)
{
	if (strcmp(argv[0], "add") == 0)
		return vsi_add_del(argc - 1, argv + 1, false);
	if (strcmp(argv[0], "del") == 0)
		return vsi_add_del(argc - 1, argv + 1, true);
	if (strcmp(argv[0], "wait") == 0)
		return vsi_wait(argc - 1, argv + 1);
	return vsi_show(argc - 1, argv + 1);
}
