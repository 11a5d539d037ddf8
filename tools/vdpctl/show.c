/* vdpctl uplink | neighbor | stats. */
#include <stdio.h>
#include <string.h>

#include "tools/vdpctl/vdpctl.h"

static void uplink_help(void)
{
	vctl_help();
}

static void neighbor_help(void)
{
	vctl_help();
}

static void stats_help(void)
{
	vctl_help();
}

/* [ uplink IFNAME ] into args; -1 on a usage error. */
static int parse_uplink_filter(int argc, char **argv, json_t *args, void (*help)(void))
{
	while (argc > 0) {
		if (strcmp(argv[0], "uplink") == 0 || strcmp(argv[0], "dev") == 0) {
			if (vctl_need_arg(argc, argv[0], help) < 0)
				return -1;
			json_object_set_new(args, "uplink", json_string(argv[1]));
			argc -= 2;
			argv += 2;
		} else if (vctl_is_help(argv[0])) {
			help();
			return 1;
		} else {
			return vctl_what_is(argv[0], help);
		}
	}
	return 0;
}

static void print_evb_values(const char *label, json_t *o)
{
	printf("%s R %lld RTE %lld RWD %lld RKA %lld", label, vctl_int(o, "r"), vctl_int(o, "rte"),
	       vctl_int(o, "rwd"), vctl_int(o, "rka"));
}

static void print_uplink(json_t *u)
{
	json_t *evb = json_object_get(u, "evb");
	json_t *cfg = json_object_get(u, "config");
	json_t *peer = json_object_get(u, "peer");
	json_t *vs = json_object_get(u, "vsis");

	if (!vctl_bool(u, "present")) {
		printf("%s: absent (%s)\n", vctl_str(u, "name"), vctl_str(u, "reason"));
		return;
	}
	printf("%s: link %s, ", vctl_str(u, "name"), vctl_str(u, "link"));
	if (vctl_bool(u, "converged")) {
		json_t *o = json_object_get(evb, "oper");

		print_evb_values("EVB negotiated", o);
		printf("%s%s\n", vctl_bool(o, "rr") ? ", reflective relay" : "",
		       vctl_bool(o, "gid") ? ", group IDs" : "");
	} else {
		printf("EVB not negotiated\n");
	}
	printf("    ifindex %lld mac %s mgrid %s\n", vctl_int(u, "ifindex"), vctl_str(u, "mac"),
	       vctl_str(cfg, "mgrid"));
	print_evb_values("    local", json_object_get(cfg, "evb"));
	printf(" rrreq %s gid %s\n", vctl_bool(json_object_get(cfg, "evb"), "rrreq") ? "on" : "off",
	       vctl_bool(json_object_get(cfg, "evb"), "gid") ? "on" : "off");
	if (json_is_object(peer))
		printf("    peer chassis %s port %s ttl %lld\n", vctl_str(peer, "chassis_id"),
		       vctl_str(peer, "port_id"), vctl_int(peer, "ttl"));
	else
		printf("    no peer\n");
	printf("    vsis %lld: associated %lld, preassociated %lld, pending %lld, ended %lld (failed %lld)\n",
	       vctl_int(vs, "total"), vctl_int(vs, "associated"), vctl_int(vs, "preassociated"),
	       vctl_int(vs, "pending"), vctl_int(vs, "ended"), vctl_int(vs, "failed"));
}

static int show_list(const char *cmd, int argc, char **argv, void (*help)(void),
		     void (*print)(json_t *))
{
	json_t *args = json_object(), *res;
	size_t i;
	json_t *e;
	int rc;

	if (argc > 0 && strcmp(argv[0], "show") != 0 && strcmp(argv[0], "list") != 0) {
		if (vctl_is_help(argv[0])) {
			help();
			json_decref(args);
			return EXIT_OK;
		}
		json_decref(args);
		return vctl_what_is(argv[0], help), EXIT_USAGE;
	}
	if (argc > 0) {
		argc--;
		argv++;
	}
	rc = parse_uplink_filter(argc, argv, args, help);
	if (rc != 0) {
		json_decref(args);
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	}
	res = vctl_call(cmd, args);
	json_decref(args);
	if (!res)
		return EXIT_FAIL;
	if (vctl.json)
		vctl_print_json(res);
	else
		json_array_foreach(res, i, e)
			print(e);
	json_decref(res);
	return EXIT_OK;
}

int do_uplink(int argc, char **argv)
{
	return show_list("uplink.show", argc, argv, uplink_help, print_uplink);
}

static void print_neighbor(json_t *n)
{
	json_t *evb = json_object_get(n, "evb");
	json_t *neg = json_object_get(n, "negotiated");

	printf("%s: chassis %s port %s ttl %lld\n", vctl_str(n, "uplink"), vctl_str(n, "chassis_id"),
	       vctl_str(n, "port_id"), vctl_int(n, "ttl"));
	if (json_is_object(evb)) {
		print_evb_values("    evb", evb);
		printf(" mode %lld rrcap %s rrctr %s bgid %s\n", vctl_int(evb, "mode"),
		       vctl_bool(evb, "rrcap") ? "on" : "off", vctl_bool(evb, "rrctr") ? "on" : "off",
		       vctl_bool(evb, "bgid") ? "on" : "off");
	} else {
		printf("    no EVB TLV\n");
	}
	if (json_is_object(neg)) {
		print_evb_values("    negotiated", neg);
		printf(" rr %s gid %s\n", vctl_bool(neg, "rr") ? "on" : "off",
		       vctl_bool(neg, "gid") ? "on" : "off");
	}
}

int do_neighbor(int argc, char **argv)
{
	return show_list("neighbor.show", argc, argv, neighbor_help, print_neighbor);
}

/* "    label: k v k v ...", wrapped before column 100 under the first pair. */
static void print_counters(const char *label, json_t *o)
{
	const int indent = 4 + (int)strlen(label) + 1;
	const char *k;
	json_t *v;
	int col, n = 0;

	if (!json_is_object(o))
		return;
	col = printf("    %s:", label);
	json_object_foreach(o, k, v) {
		char pair[160];
		int len;

		if (!json_is_integer(v))
			continue;
		len = snprintf(pair, sizeof(pair), " %s %lld", k, (long long)json_integer_value(v));
		if (n && col + len > 100)
			col = printf("\n%*s", indent, "") - 1;
		col += printf("%s", pair);
		n++;
	}
	printf("\n");
}

int do_stats(int argc, char **argv)
{
	json_t *args = json_object(), *res, *u;
	size_t i;
	int rc;

	if (argc > 0 && strcmp(argv[0], "show") == 0) {
		argc--;
		argv++;
	}
	rc = parse_uplink_filter(argc, argv, args, stats_help);
	if (rc != 0) {
		json_decref(args);
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	}
	res = vctl_call("stats", args);
	json_decref(args);
	if (!res)
		return EXIT_FAIL;
	if (vctl.json) {
		vctl_print_json(res);
		json_decref(res);
		return EXIT_OK;
	}
	json_t *d = json_object_get(res, "daemon");
	printf("vdpd %s, up %lld s, reloads %lld (errors %lld), link events %lld\n",
	       vctl_str(d, "version"), vctl_int(d, "uptime_s"), vctl_int(d, "reloads"),
	       vctl_int(d, "reload_errors"), vctl_int(d, "link_events"));
	if (*vctl_str(d, "last_reload_error"))
		printf("    last reload refused: %s\n", vctl_str(d, "last_reload_error"));
	print_counters("vsi events", json_object_get(d, "vsi_events"));
	print_counters("control socket", json_object_get(res, "ctl"));
	print_counters("link monitor", json_object_get(res, "linkmon"));
	print_counters("intents", json_object_get(res, "intents"));
	print_counters("intents journal", json_object_get(json_object_get(res, "intents"), "journal"));
	print_counters("netlink", json_object_get(json_object_get(res, "netlink"), "counters"));
	print_counters("802.1Qbh", json_object_get(res, "qbh"));
	if (json_is_object(json_object_get(res, "registry"))) {
		json_t *f = json_object_get(res, "registry");

		printf("    registry: etcd %s revision %lld connected %s%s%s\n",
		       vctl_str(f, "endpoints"), vctl_int(f, "revision"),
		       vctl_bool(f, "connected") ? "yes" : "no",
		       vctl_str(f, "last_error")[0] ? " last-error " : "",
		       vctl_str(f, "last_error"));
		print_counters("registry", f);
	}
	json_array_foreach(json_object_get(res, "uplinks"), i, u) {
		printf("%s:%s\n", vctl_str(u, "name"), vctl_bool(u, "present") ? "" : " absent");
		print_counters("vsis", json_object_get(u, "vsis"));
		print_counters("vdp", json_object_get(u, "vdp"));
		print_counters("ecp", json_object_get(u, "ecp"));
		print_counters("lldp", json_object_get(u, "lldp"));
		print_counters("port", json_object_get(u, "port"));
	}
	json_decref(res);
	return EXIT_OK;
}
