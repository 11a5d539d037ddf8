/* `vdp-bridge [-s SOCK] [-j] [-p] OBJECT VERB [ARGS]`: the command-line
 * client of a running vdp-bridge, iproute2 style.  Exit status: 0 done,
 * 1 the bridge refused or could not be reached, 2 bad usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/ctl/ctl.h"
#include "vdp/wire/vdp_text.h"
#include "tools/vdp-bridge/vdp-bridge.h"
#include "tools/vdp-bridge/vsipage.h"

#define CLIENT_TIMEOUT_MS 5000
#define VSI_PAGE 1000 /* VSIs asked for per vsi.show page */

static void client_usage(FILE *f)
{
	fprintf(f,
		"Usage: vdp-bridge [-s SOCK] [-j] [-p] OBJECT VERB [ARGS]\n"
		"  status\n"
		"  uplink show [port IF]\n"
		"  vsi show [port IF]\n"
		"  vsi deassoc VSIID [format uuid|mac|ipv4|ipv6|local] [port IF]\n"
		"  vsi flush [port IF]\n"
		"  counters show | counters reset\n"
		"  fault show | fault clear\n"
		"  fault set [seed N] [reseed] [drop|rx-drop|tx-drop PCT] [dup|rx-dup|tx-dup PCT]\n"
		"            [reorder|rx-reorder|tx-reorder PCT] [delay|rx-delay|tx-delay MS]\n"
		"            [noack on|off] [lldp on|off] [rule TYPEID { reason N [keep] [hard] "
		"[keepalive] | defer }]... [norules]\n"
		"  fault json '{...}'\n"
		"  restart\n"
		"  datapath show\n"
		"  config show | config reload\n"
		"  call COMMAND ['{json args}']\n");
}

static int usage_err(const char *fmt, const char *arg)
{
	fprintf(stderr, "vdp-bridge: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	client_usage(stderr);
	return 2;
}

/* "port IF" and friends: the optional key/value pairs after a verb. */
static int kv_args(json_t *args, int argc, char **argv, const char *const *keys, const char *const *jkeys)
{
	for (int i = 0; i < argc; i += 2) {
		int k;

		for (k = 0; keys[k]; k++)
			if (!strcmp(argv[i], keys[k]))
				break;
		if (!keys[k])
			return usage_err("What is \"%s\"?", argv[i]);
		if (i + 1 >= argc)
			return usage_err("\"%s\" needs a value", argv[i]);
		json_object_set_new(args, jkeys[k], json_string(argv[i + 1]));
	}
	return 0;
}

static int parse_pct(const char *s, double *out)
{
	char *end;
	double d = strtod(s, &end);

	if (end == s || *end || !(d >= 0 && d <= 100))
		return -1;
	*out = d;
	return 0;
}

static int set_dir(json_t *args, const char *dir, const char *key, json_t *v)
{
	json_t *o = json_object_get(args, dir);

	if (!o) {
		o = json_object();
		json_object_set_new(args, dir, o);
	}
	json_object_set(o, key, v);
	return 0;
}

/* "rule T defer" or "rule T reason N [keep] [hard] [keepalive]" from argv[*i]
 * (the type id, v, is already taken), appended to *rules. */
static int parse_rule(int argc, char **argv, int *i, const char *v, json_t **rules)
{
	uint32_t u, reason;
	json_t *r;

	if (vdp_txt_uint(v, 0xFFFFFF, &u) < 0)
		return usage_err("rule: \"%s\" is not a VSI type ID", v);
	if (!*rules)
		*rules = json_array();
	if (*i + 1 < argc && !strcmp(argv[*i + 1], "defer")) {
		++*i;
		json_array_append_new(*rules,
				      json_pack("{s:i, s:b}", "type_id", (int)u, "defer", true));
		return 0;
	}
	if (*i + 2 >= argc || strcmp(argv[*i + 1], "reason") ||
	    vdp_txt_uint(argv[*i + 2], 15, &reason) < 0)
		return usage_err("rule %s: \"reason N\" (0..15) must follow", v);
	*i += 2;
	r = json_pack("{s:i, s:i, s:b, s:b}", "type_id", (int)u, "reason", (int)reason, "keep",
		      false, "hard", false);
	while (*i + 1 < argc &&
	       (!strcmp(argv[*i + 1], "keep") || !strcmp(argv[*i + 1], "hard") ||
		!strcmp(argv[*i + 1], "keepalive"))) {
		json_object_set_new(r, argv[*i + 1], json_true());
		++*i;
	}
	json_array_append_new(*rules, r);
	return 0;
}

/* args.rx.key / args.tx.key = jv: one direction when dir says so, else both. */
static void set_dirs(json_t *args, const char *dir, const char *key, json_t *jv)
{
	if (dir)
		set_dir(args, dir, key, jv);
	else {
		set_dir(args, "rx", key, jv);
		set_dir(args, "tx", key, jv);
	}
	json_decref(jv);
}

/* One "KEY VALUE" of fault set (argv[*i] is the key, v its value). */
static int fault_kv(json_t *args, int argc, char **argv, int *i, const char *v, json_t **rules)
{
	const char *k = argv[*i - 1], *dir = NULL;
	uint32_t u;
	double d;

	if (!strcmp(k, "seed")) {
		if (vdp_txt_uint(v, 0x7fffffff, &u) < 0)
			return usage_err("seed: \"%s\" is not a number", v);
		json_object_set_new(args, "seed", json_integer(u));
		return 0;
	}
	if (!strcmp(k, "noack") || !strcmp(k, "lldp")) {
		if (strcmp(v, "on") && strcmp(v, "off"))
			return usage_err("expected on or off, not \"%s\"", v);
		json_object_set_new(args, k, json_boolean(!strcmp(v, "on")));
		return 0;
	}
	if (!strcmp(k, "rule"))
		return parse_rule(argc, argv, i, v, rules);
	if (!strncmp(k, "rx-", 3) || !strncmp(k, "tx-", 3)) {
		dir = k[0] == 'r' ? "rx" : "tx";
		k += 3;
	}
	if (!strcmp(k, "drop") || !strcmp(k, "dup") || !strcmp(k, "reorder")) {
		if (parse_pct(v, &d) < 0)
			return usage_err("\"%s\" is not a percentage (0..100)", v);
		set_dirs(args, dir, k, json_real(d));
		return 0;
	}
	if (!strcmp(k, "delay")) {
		if (vdp_txt_uint(v, FAULT_MAX_DELAY_MS, &u) < 0)
			return usage_err("delay: \"%s\" is not a number of ms", v);
		set_dirs(args, dir, "delay_ms", json_integer(u));
		return 0;
	}
	return usage_err("What is \"%s\"?", argv[*i - 1]);
}

static int fault_set_args(json_t *args, int argc, char **argv)
{
	json_t *rules = NULL;
	int rc = 0;

	for (int i = 0; i < argc && !rc; i++) {
		const char *k = argv[i];

		if (!strcmp(k, "reseed"))
			json_object_set_new(args, "reseed", json_true());
		else if (!strcmp(k, "norules")) {
			if (!rules)
				rules = json_array();
		} else if (i + 1 >= argc)
			rc = usage_err("\"%s\" needs a value", k);
		else {
			i++;
			rc = fault_kv(args, argc, argv, &i, argv[i], &rules);
		}
	}
	if (rules && !rc)
		json_object_set_new(args, "rules", rules);
	else
		json_decref(rules);
	return rc;
}

/* ---- plain-text output ---- */

static void print_vsis(json_t *a)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v) {
		json_t *filters = json_object_get(v, "filters"), *f, *age = json_object_get(v, "last_keepalive_age_ms");
		size_t k;

		printf("%s %s %s %s %s type %lld/%lld mgrid %s %s",
		       json_string_value(json_object_get(v, "port")),
		       json_string_value(json_object_get(v, "vsiid_format")),
		       json_string_value(json_object_get(v, "vsiid")),
		       json_string_value(json_object_get(v, "mode")),
		       json_string_value(json_object_get(v, "state")),
		       (long long)json_integer_value(json_object_get(v, "type_id")),
		       (long long)json_integer_value(json_object_get(v, "type_version")),
		       json_string_value(json_object_get(v, "mgrid")),
		       json_string_value(json_object_get(v, "filter_format")));
		json_array_foreach(filters, k, f) {
			json_t *mac = json_object_get(f, "mac"), *grp = json_object_get(f, "group");

			printf(" ");
			if (json_is_integer(grp))
				printf("group %lld/", (long long)json_integer_value(grp));
			if (json_is_string(mac))
				printf("%s/", json_string_value(mac));
			printf("%lld", (long long)json_integer_value(json_object_get(f, "vid")));
			if (json_is_true(json_object_get(f, "ps")))
				printf(" pcp %lld", (long long)json_integer_value(json_object_get(f, "pcp")));
		}
		printf(" keepalives %lld", (long long)json_integer_value(json_object_get(v, "keepalives")));
		if (json_is_integer(age))
			printf(" last %lldms", (long long)json_integer_value(age));
		printf("\n");
	}
}

static void print_status(json_t *s)
{
	json_t *ports = json_object_get(s, "ports"), *p;
	size_t i;

	printf("vdp-bridge %s pid %lld up %llds: %lld/%lld ports converged, %lld VSIs (%lld associated)%s\n",
	       json_string_value(json_object_get(s, "version")),
	       (long long)json_integer_value(json_object_get(s, "pid")),
	       (long long)json_integer_value(json_object_get(s, "uptime_s")),
	       (long long)json_integer_value(json_object_get(s, "ports_converged")),
	       (long long)json_integer_value(json_object_get(s, "ports_total")),
	       (long long)json_integer_value(json_object_get(s, "vsis")),
	       (long long)json_integer_value(json_object_get(s, "vsis_associated")),
	       json_is_true(json_object_get(s, "fault_active")) ? ", fault injection ON" : "");
	json_array_foreach(ports, i, p) {
		json_t *o = json_object_get(p, "oper");

		printf("  %s link %s %s", json_string_value(json_object_get(p, "port")),
		       json_string_value(json_object_get(p, "link")),
		       json_is_true(json_object_get(p, "converged")) ? "converged" : "not-converged");
		if (json_is_object(o))
			printf(" R %lld RTE %lld RWD %lld RKA %lld",
			       (long long)json_integer_value(json_object_get(o, "r")),
			       (long long)json_integer_value(json_object_get(o, "rte")),
			       (long long)json_integer_value(json_object_get(o, "rwd")),
			       (long long)json_integer_value(json_object_get(o, "rka")));
		printf(" vsis %lld\n", (long long)json_integer_value(json_object_get(p, "vsis")));
	}
}

/* *args becomes the one JSON object in text (or stays {} with a usage error). */
static int json_object_arg(json_t **args, const char *text, const char *what)
{
	json_decref(*args);
	*args = text ? json_loads(text, 0, NULL) : NULL;
	if (json_is_object(*args))
		return 0;
	json_decref(*args);
	*args = json_object();
	return usage_err("%s", what);
}

/* vsi show|flush|deassoc, uplink show */
static int vsi_request(const char *obj, const char *verb, int rest, char **rargv, json_t *args,
		       const char **cmd)
{
	static const char *const port_k[] = { "port", NULL }, *const port_j[] = { "port", NULL };
	static const char *const da_k[] = { "port", "format", NULL },
				 *const da_j[] = { "port", "vsiid_format", NULL };

	if (!strcmp(verb, "show")) {
		*cmd = !strcmp(obj, "vsi") ? "vsi.show" : "uplink.show";
		return kv_args(args, rest, rargv, port_k, port_j);
	}
	if (!strcmp(obj, "vsi") && !strcmp(verb, "flush")) {
		*cmd = "vsi.flush";
		return kv_args(args, rest, rargv, port_k, port_j);
	}
	if (!strcmp(obj, "vsi") && !strcmp(verb, "deassoc")) {
		*cmd = "vsi.deassoc";
		if (rest < 1)
			return usage_err("%s: which VSIID?", "vsi deassoc");
		json_object_set_new(args, "vsiid", json_string(rargv[0]));
		return kv_args(args, rest - 1, rargv + 1, da_k, da_j);
	}
	return usage_err("What is \"%s\"?", verb);
}

/* fault show|clear|set|json */
static int fault_request(const char *verb, int rest, char **rargv, json_t **args, const char **cmd)
{
	if (!strcmp(verb, "show"))
		*cmd = "fault.show";
	else if (!strcmp(verb, "clear"))
		*cmd = "fault.clear";
	else if (!strcmp(verb, "set")) {
		*cmd = "fault.set";
		return fault_set_args(*args, rest, rargv);
	} else if (!strcmp(verb, "json")) {
		*cmd = "fault.set";
		return json_object_arg(args, rest == 1 ? rargv[0] : NULL,
				       "fault json: one JSON object is expected");
	} else
		return usage_err("What is \"%s\"?", verb);
	return 0;
}

/* The command line after the options as a control command and its args. */
static int build_request(int argc, char **argv, const char **cmd, json_t **args)
{
	const char *obj = argv[0], *verb = argc > 1 ? argv[1] : "show";
	int rest = argc > 2 ? argc - 2 : 0;
	char **rargv = argv + 2;

	if (!strcmp(obj, "status") || !strcmp(obj, "restart")) {
		*cmd = obj;
		return argc > 1 ? usage_err("\"%s\" takes no arguments", obj) : 0;
	}
	if (!strcmp(obj, "vsi") || !strcmp(obj, "uplink"))
		return vsi_request(obj, verb, rest, rargv, *args, cmd);
	if (!strcmp(obj, "counters")) {
		if (!strcmp(verb, "show"))
			*cmd = "counters.show";
		else if (!strcmp(verb, "reset"))
			*cmd = "counters.reset";
		else
			return usage_err("What is \"%s\"?", verb);
		return 0;
	}
	if (!strcmp(obj, "fault"))
		return fault_request(verb, rest, rargv, args, cmd);
	if (!strcmp(obj, "config") && !strcmp(verb, "reload")) {
		*cmd = "config.reload";
		return argc > 2 ? usage_err("\"%s\" takes no arguments", "config reload") : 0;
	}
	if (!strcmp(obj, "datapath") || !strcmp(obj, "config")) {
		*cmd = !strcmp(obj, "datapath") ? "datapath.show" : "config.show";
		return strcmp(verb, "show") ? usage_err("What is \"%s\"?", verb) : 0;
	}
	if (!strcmp(obj, "call")) {
		if (argc < 2 || argc > 3)
			return usage_err("%s", "call COMMAND ['{json}']");
		*cmd = argv[1];
		return argc == 3
			? json_object_arg(args, argv[2], "call: arguments must be one JSON object")
			: 0;
	}
	return usage_err("Object \"%s\" is unknown, try \"vdp-bridge help\".", obj);
}

static void print_result(const char *cmd, json_t *result, bool json, bool pretty)
{
	char *s;

	if (json) {
		s = json_dumps(result, JSON_ENCODE_ANY | (pretty ? JSON_INDENT(2) : JSON_COMPACT));
		printf("%s\n", s ? s : "null");
		free(s);
	} else if (!strcmp(cmd, "vsi.show")) {
		print_vsis(result);
	} else if (!strcmp(cmd, "status")) {
		print_status(result);
	} else if (!json_is_null(result)) {
		s = json_dumps(result, JSON_ENCODE_ANY | JSON_INDENT(2));
		printf("%s\n", s ? s : "");
		free(s);
	}
}

static bool same_vsi(json_t *x, json_t *y)
{
	return x && y && json_equal(json_object_get(x, "port"), json_object_get(y, "port")) &&
		json_equal(json_object_get(x, "vsiid_format"),
			   json_object_get(y, "vsiid_format")) &&
		json_equal(json_object_get(x, "vsiid"), json_object_get(y, "vsiid"));
}

/* vsi.show page by page (one reply is capped at 1 MiB; a bridge may hold
 * tens of thousands of VSIs), as one array sorted like an unpaged reply.
 * Each page resumes after the last VSI of the one before (O(1) for
 * vdp-bridge, steady while VSIs come and go); offset goes along as vdpctl
 * sends it.  A vdp-bridge that does not page answers every VSI each time:
 * a page starting where the first did means the first was all. */
static int vsi_show_pages(const char *sock, json_t *args, json_t **result, char **err)
{
	json_t *all = json_array(), *res, **v;
	size_t n;
	int rc;

	for (;;) {
		json_t *last = json_array_get(all, json_array_size(all) - 1);

		json_object_set_new(args, "offset", json_integer((json_int_t)json_array_size(all)));
		if (last)
			json_object_set_new(args, "after",
					    json_pack("{s:O, s:O, s:O}", "port",
						      json_object_get(last, "port"), "vsiid_format",
						      json_object_get(last, "vsiid_format"),
						      "vsiid", json_object_get(last, "vsiid")));
		json_object_set_new(args, "limit", json_integer(VSI_PAGE));
		res = NULL;
		rc = ctl_call(sock, "vsi.show", args, &res, err, CLIENT_TIMEOUT_MS);
		if (rc < 0) {
			json_decref(all);
			return rc;
		}
		n = json_array_size(res);
		if (n && !(last && same_vsi(json_array_get(res, 0), json_array_get(all, 0))))
			json_array_extend(all, res);
		else
			n = 0;
		json_decref(res);
		if (!n)
			break;
	}
	n = json_array_size(all);
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v) {
		json_decref(all);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(all, i);
	qsort(v, n, sizeof(*v), vbr_vsi_json_cmp);
	*result = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append(*result, v[i]);
	free(v);
	json_decref(all);
	return 0;
}

int vbr_client(const char *sock, bool json, bool pretty, int argc, char **argv)
{
	const char *cmd = NULL;
	json_t *args, *result = NULL;
	char *err = NULL;
	int rc;

	if (!strcmp(argv[0], "help") || !strcmp(argv[0], "-h")) {
		client_usage(stdout);
		return 0;
	}
	args = json_object();
	rc = build_request(argc, argv, &cmd, &args);
	if (rc) {
		json_decref(args);
		return rc;
	}
	if (!strcmp(cmd, "vsi.show") && strcmp(argv[0], "call") != 0)
		rc = vsi_show_pages(sock, args, &result, &err);
	else
		rc = ctl_call(sock, cmd, args, &result, &err, CLIENT_TIMEOUT_MS);
	json_decref(args);
	if (rc < 0) {
		fprintf(stderr, "vdp-bridge: %s\n", err ? err : strerror(-rc));
		free(err);
		return 1;
	}
	print_result(cmd, result, json, pretty);
	json_decref(result);
	return 0;
}
