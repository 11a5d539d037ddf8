/* vdpctl commands of the port-profile registry (docs/registry.md):
 * profile, physnet, network, port, attachment, binding and registry; their
 * words and usage are in the keyword table (grammar.c), which hands the
 * handlers here the verb first and every keyword spelled in full.
 *
 * Numbers are parsed here like libvirt parses <virtualport> (base 0:
 * 0x0b is hex) and sent as JSON numbers; vdpd validates everything else
 * and names the field in its error. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profiles/hook.h"
#include "vdp/wire/vdp_text.h"
#include "vdp/ctl/ctl.h"
#include "tools/vdpctl/reg_cmds.h"
#include "tools/vdpctl/vdpctl.h"

#define HOOK_MAX_XML (16u << 20)

/* ---- argument parsing: KEY VALUE pairs into a JSON object ---- */

enum vt { V_STR, V_NUM, V_MGRID };

struct keydef {
	const char *word;	/* on the command line */
	const char *key;	/* in JSON */
	enum vt type;
};

/* mgrid: vsi's rule (vdp_txt_mgrid_parse); a profile's is libvirt's
 * one-octet managerid, so only its 0..255 form fits. */
static int put_mgrid(json_t *args, const char *key, const char *w)
{
	uint8_t m[VDP_MGRID_LEN];

	if (vdp_txt_mgrid_parse(w, m) < 0) {
		fprintf(stderr,
			"Error: mgrid \"%s\" is not a number 0..255, a UUID or a name of up to 15 "
			"letters and digits\n",
			w);
		return -1;
	}
	for (int i = 1; i < VDP_MGRID_LEN; i++)
		if (m[i]) {
			fprintf(stderr,
				"Error: mgrid \"%s\": a profile's mgrid is libvirt's one-octet "
				"managerid, 0..255\n",
				w);
			return -1;
		}
	json_object_set_new(args, key, json_integer(m[0]));
	return 0;
}

static int put_pairs(int argc, char **argv, const struct keydef *defs, json_t *args)
{
	while (argc > 0) {
		const struct keydef *d = defs;

		if (vctl_is_help(argv[0])) {
			vctl_help();
			return 1;
		}
		for (; d->word && strcmp(d->word, argv[0]); d++)
			;
		if (!d->word)
			return vctl_what_is(argv[0], vctl_help);
		if (vctl_need_arg(argc, argv[0], vctl_help) < 0)
			return -1;
		if (json_object_get(args, d->key)) {
			fprintf(stderr, "Error: duplicate \"%s\".\n", argv[0]);
			return -1;
		}
		if (d->type == V_MGRID) {
			if (put_mgrid(args, d->key, argv[1]) < 0)
				return -1;
		} else if (d->type == V_NUM) {
			char *end;
			unsigned long long v;

			errno = 0;
			v = strtoull(argv[1], &end, 0);
			if (errno || *end || !argv[1][0] || argv[1][0] == '-') {
				fprintf(stderr, "Error: argument \"%s\" is wrong: %s is not a number\n", argv[1],
					argv[0]);
				return -1;
			}
			json_object_set_new(args, d->key, json_integer((json_int_t)v));
		} else {
			json_object_set_new(args, d->key, json_string(argv[1]));
		}
		argc -= 2;
		argv += 2;
	}
	return 0;
}

/* ---- output ---- */

/* One entry per line: its key value first, then "key value" pairs. */
static void print_entry(json_t *e, const char *first)
{
	const char *k;
	json_t *v;

	printf("%s", vctl_str(e, first));
	json_object_foreach(e, k, v) {
		if (!strcmp(k, first))
			continue;
		if (json_is_string(v))
			printf(" %s %s", k, json_string_value(v)[0] ? json_string_value(v) : "-");
		else if (json_is_integer(v))
			printf(" %s %lld", k, (long long)json_integer_value(v));
		else if (json_is_boolean(v))
			printf(" %s %s", k, json_is_true(v) ? "yes" : "no");
	}
	printf("\n");
}

static int run(const char *cmd, json_t *args, const char *first)
{
	json_t *res = vctl_call(cmd, args), *e;
	size_t i;

	json_decref(args);
	if (!res)
		return EXIT_FAIL;
	if (vctl.json)
		vctl_print_json(res);
	else if (json_is_array(res))
		json_array_foreach(res, i, e)
			print_entry(e, first);
	else if (json_is_object(res))
		print_entry(res, first);
	json_decref(res);
	return EXIT_OK;
}

/* "OBJECT VERB ..." with verbs add/set/del/show. */
static int verb_is(const char *w, const char *v)
{
	return !strcmp(w, v);
}

/* KEY VALUE pairs into args, then cmd; help among the pairs is not an error. */
static int put_and_run(int argc, char **argv, const struct keydef *defs, json_t *args, const char *cmd,
		       const char *first)
{
	int rc = put_pairs(argc, argv, defs, args);

	if (rc) {
		json_decref(args);
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	}
	return run(cmd, args, first);
}

/* "VERB [VALUE]": cmd, with key set to VALUE when there is one. */
static int run_keyed(int argc, char **argv, json_t *args, const char *cmd, const char *key)
{
	if (argc > 1)
		json_object_set_new(args, key, json_string(argv[1]));
	return run(cmd, args, key);
}

/* ---- profile ---- */

int do_profile(int argc, char **argv)
{
	static const struct keydef qbg[] = {
		{ "mgrid", "mgrid", V_MGRID },
		{ "managerid", "mgrid", V_MGRID },
		{ "typeid", "typeid", V_NUM },
		{ "typeidver", "typeidver", V_NUM },
		{ "typeidversion", "typeidver", V_NUM },
		{ "vlan", "vlan", V_NUM },
		{ "filter", "filter_fmt", V_NUM },
		{ "profileid", "profileid", V_STR },
		{ NULL, NULL, V_STR },
	};
	static const struct keydef qbh[] = {
		{ "profileid", "profileid", V_STR }, { "vlan", "vlan", V_NUM }, { NULL, NULL, V_STR },
	};
	json_t *args = json_object();

	if (argc < 1 || vctl_is_help(argv[0])) {
		vctl_help();
		json_decref(args);
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	if (verb_is(argv[0], "show"))
		return run_keyed(argc, argv, args, "profile.show", "name");
	if (verb_is(argv[0], "del")) {
		if (argc != 2)
			goto usage;
		return run_keyed(argc, argv, args, "profile.del", "name");
	}
	if (verb_is(argv[0], "add") || verb_is(argv[0], "set")) {
		const char *filter_word = NULL, *cmd;

		if (argc < 3)
			goto usage;
		json_object_set_new(args, "name", json_string(argv[1]));
		json_object_set_new(args, "type", json_string(argv[2]));
		/* filter takes a name too: vid, mac-vid, group-vid, group-mac-vid. */
		for (int i = 3; i + 1 < argc; i += 2)
			if (!strcmp(argv[i], "filter"))
				filter_word = argv[i + 1];
		if (filter_word) {
			static const char *const names[] = { "", "vid", "mac-vid", "group-vid", "group-mac-vid" };

			for (int k = 1; k <= 4; k++)
				if (!strcmp(filter_word, names[k]))
					snprintf((char *)filter_word, strlen(filter_word) + 1, "%d", k);
		}
		cmd = verb_is(argv[0], "add") ? "profile.add" : "profile.set";
		if (!strcasecmp(argv[2], "qbg") || !strcasecmp(argv[2], "802.1Qbg"))
			return put_and_run(argc - 3, argv + 3, qbg, args, cmd, "name");
		if (!strcasecmp(argv[2], "qbh") || !strcasecmp(argv[2], "802.1Qbh"))
			return put_and_run(argc - 3, argv + 3, qbh, args, cmd, "name");
		fprintf(stderr, "Error: profile type \"%s\" is not qbg or qbh.\n", argv[2]);
		goto usage;
	}
	vctl_what_is(argv[0], vctl_help);
usage:
	json_decref(args);
	return EXIT_USAGE;
}

/* ---- physnet (host uplink -> physical network) ---- */

int do_physnet(int argc, char **argv)
{
	static const struct keydef defs[] = { { "dev", "dev", V_STR },
					      { "mode", "mode", V_STR },
					      { "vport", "vport", V_STR },
					      { NULL, NULL, V_STR } };
	static const struct keydef devonly[] = { { "dev", "dev", V_STR }, { NULL, NULL, V_STR } };
	json_t *args = json_object();
	int rc;

	if (argc < 1 || vctl_is_help(argv[0])) {
		vctl_help();
		json_decref(args);
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	if (verb_is(argv[0], "show") || verb_is(argv[0], "del")) {
		if ((rc = put_pairs(argc - 1, argv + 1, devonly, args)) || (verb_is(argv[0], "del") &&
									     !json_object_get(args, "dev"))) {
			json_decref(args);
			if (rc > 0)
				return EXIT_OK;
			fprintf(stderr, "Error: physnet del needs dev DEV.\n");
			return EXIT_USAGE;
		}
		return run(verb_is(argv[0], "show") ? "physnet.show" : "physnet.del", args, "dev");
	}
	if ((verb_is(argv[0], "add") || verb_is(argv[0], "set")) && argc >= 2) {
		json_object_set_new(args, "physnet", json_string(argv[1]));
		return put_and_run(argc - 2, argv + 2, defs, args, verb_is(argv[0], "add") ? "physnet.add" : "physnet.set",
				   "dev");
	}
	json_decref(args);
	vctl_what_is(argv[0], vctl_help);
	return EXIT_USAGE;
}

/* ---- network ---- */

int do_network(int argc, char **argv)
{
	static const struct keydef defs[] = {
		{ "physnet", "physnet", V_STR }, { "profile", "profile", V_STR }, { "vlan", "vlan", V_NUM },
		{ "uuid", "uuid", V_STR }, { NULL, NULL, V_STR },
	};
	json_t *args = json_object();

	if (argc < 1 || vctl_is_help(argv[0])) {
		vctl_help();
		json_decref(args);
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	if (verb_is(argv[0], "show"))
		return run_keyed(argc, argv, args, "network.show", "name");
	if (verb_is(argv[0], "del") && argc == 2)
		return run_keyed(argc, argv, args, "network.del", "name");
	if ((verb_is(argv[0], "add") || verb_is(argv[0], "set")) && argc >= 2) {
		json_object_set_new(args, "name", json_string(argv[1]));
		return put_and_run(argc - 2, argv + 2, defs, args, verb_is(argv[0], "add") ? "network.add" : "network.set",
				   "name");
	}
	json_decref(args);
	vctl_what_is(argv[0], vctl_help);
	return EXIT_USAGE;
}

/* ---- port ---- */

int do_port(int argc, char **argv)
{
	static const struct keydef defs[] = { { "network", "network", V_STR }, { NULL, NULL, V_STR } };
	json_t *args = json_object();

	if (argc < 1 || vctl_is_help(argv[0])) {
		vctl_help();
		json_decref(args);
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	if (verb_is(argv[0], "show"))
		return run_keyed(argc, argv, args, "port.show", "uuid");
	if (verb_is(argv[0], "del") && argc == 2)
		return run_keyed(argc, argv, args, "port.del", "uuid");
	if (verb_is(argv[0], "add") && argc >= 2) {
		json_object_set_new(args, "uuid", json_string(argv[1]));
		return put_and_run(argc - 2, argv + 2, defs, args, "port.add", "uuid");
	}
	json_decref(args);
	vctl_what_is(argv[0], vctl_help);
	return EXIT_USAGE;
}

/* ---- attach / detach / bind / unbind ---- */

static int one_id(int argc, char **argv, const char *cmd)
{
	json_t *args;

	if (argc != 1 || vctl_is_help(argv[0])) {
		vctl_help();
		return argc == 1 ? EXIT_OK : EXIT_USAGE;
	}
	args = json_pack("{s:s}", "iface_id", argv[0]);
	return run(cmd, args, "iface_id");
}

/* attachment add and binding add: "IFACE-ID KEY VALUE...", then what
 * the switch makes of it (outcome.c). */
static int plug(int argc, char **argv, const struct keydef *defs, const char *cmd)
{
	json_t *args, *res;
	int rc;

	if (argc < 1 || vctl_is_help(argv[0])) {
		vctl_help();
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	args = json_pack("{s:s}", "iface_id", argv[0]);
	rc = put_pairs(argc - 1, argv + 1, defs, args);
	if (rc) {
		json_decref(args);
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	}
	res = vctl_call(cmd, args);
	json_decref(args);
	if (!res)
		return EXIT_FAIL;
	if (!vctl.json)
		print_entry(res, "iface_id");
	rc = vctl_registry_outcome(
		vctl_str(res, "iface_id")[0] ? vctl_str(res, "iface_id") : argv[0], res);
	json_decref(res);
	return rc;
}

int do_attachment(int argc, char **argv)
{
	static const struct keydef defs[] = { { "network", "network", V_STR }, { "port", "port", V_STR },
					      { NULL, NULL, V_STR } };

	if (argc >= 1 && verb_is(argv[0], "del"))
		return one_id(argc - 1, argv + 1, "detach");
	if (argc >= 1 && verb_is(argv[0], "show"))
		return run_keyed(argc, argv, json_object(), "attach.show", "iface_id");
	return plug(argc - 1, argv + 1, defs, "attach");
}

int do_binding(int argc, char **argv)
{
	static const struct keydef defs[] = { { "dev", "dev", V_STR },
					      { "mac", "mac", V_STR },
					      { "uplink", "uplink", V_STR },
					      { "vm", "vm_uuid", V_STR },
					      { NULL, NULL, V_STR } };

	if (argc >= 1 && verb_is(argv[0], "del"))
		return one_id(argc - 1, argv + 1, "unbind");
	if (argc >= 1 && verb_is(argv[0], "show"))
		return run_keyed(argc, argv, json_object(), "bind.show", "iface_id");
	return plug(argc - 1, argv + 1, defs, "bind");
}

/* ---- resolve / export ---- */

static int registry_resolve(int argc, char **argv)
{
	bool xml = false;
	const char *id = NULL;
	json_t *res, *vp;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--xml") || !strcmp(argv[i], "xml"))
			xml = true;
		else if (vctl_is_help(argv[i])) {
			vctl_help();
			return EXIT_OK;
		} else if (!id)
			id = argv[i];
		else
			return vctl_what_is(argv[i], vctl_help), EXIT_USAGE;
	}
	if (!id) {
		vctl_help();
		return EXIT_USAGE;
	}
	res = vctl_call("resolve", json_pack("{s:s, s:b}", "iface_id", id, "xml", xml));
	if (!res)
		return EXIT_FAIL;
	if (vctl.json) {
		vctl_print_json(res);
	} else if (xml) {
		puts(vctl_str(res, "xml"));
	} else {
		vp = json_object_get(res, "virtualport");
		printf("%s network %s profile %s\n", vctl_str(res, "iface_id"), vctl_str(res, "network"),
		       vctl_str(res, "profile"));
		printf("    source dev %s mode %s uplink %s vlan %lld\n", vctl_str(res, "source_dev"),
		       vctl_str(res, "mode"), vctl_str(res, "uplink"), vctl_int(res, "vlan"));
		if (!strcmp(vctl_str(vp, "type"), "802.1Qbg"))
			printf("    virtualport 802.1Qbg managerid %lld typeid %lld typeidversion %lld instanceid %s\n",
			       vctl_int(vp, "managerid"), vctl_int(vp, "typeid"), vctl_int(vp, "typeidversion"),
			       vctl_str(vp, "instanceid"));
		else
			printf("    virtualport 802.1Qbh profileid %s\n", vctl_str(vp, "profileid"));
		if (vctl_bool(res, "bound"))
			printf("    bound mac %s dev %s\n", vctl_str(res, "mac"),
			       vctl_str(res, "dev")[0] ? vctl_str(res, "dev") : "-");
		if (json_object_get(res, "qbh")) {
			json_t *q = json_object_get(res, "qbh");
			printf("    802.1Qbh %s after %lld polls: %s\n", vctl_str(q, "state"),
			       vctl_int(q, "polls"), vctl_str(q, "result"));
			if (!strcmp(vctl_str(q, "retry"), "waiting"))
				printf("    802.1Qbh retry %lld in %lld ms\n",
				       vctl_int(q, "retries") + 1, vctl_int(q, "next_retry_ms"));
			else if (!strcmp(vctl_str(q, "retry"), "permanent"))
				printf("    802.1Qbh not retried: permanent failure\n");
			else if (vctl_int(q, "retries"))
				printf("    802.1Qbh retries %lld\n", vctl_int(q, "retries"));
		}
	}
	json_decref(res);
	return EXIT_OK;
}

static int registry_export(int argc, char **argv)
{
	json_t *res;

	if (argc != 2 || strcmp(argv[0], "libvirt-network")) {
		vctl_help();
		return argc >= 1 && vctl_is_help(argv[0]) ? EXIT_OK : EXIT_USAGE;
	}
	res = vctl_call("export", json_pack("{s:s, s:s}", "format", argv[0], "name", argv[1]));
	if (!res)
		return EXIT_FAIL;
	if (vctl.json)
		vctl_print_json(res);
	else
		puts(vctl_str(res, "xml"));
	json_decref(res);
	return EXIT_OK;
}

/* ---- registry ---- */

static int registry_show(int argc, char **argv)
{
	json_t *res;

	if (argc > 0)
		return vctl_what_is(argv[0], vctl_help), EXIT_USAGE;
	res = vctl_call("registry.show", json_object());
	if (!res)
		return EXIT_FAIL;
	if (vctl.json) {
		vctl_print_json(res);
	} else {
		static const struct {
			const char *key, *label, *first;
		} parts[] = {
			{ "profiles", "profile", "name" },	{ "uplinks", "physnet uplink", "dev" },
			{ "networks", "network", "name" },	{ "ports", "port", "uuid" },
			{ "attachments", "attach", "iface_id" }, { "bindings", "bind", "iface_id" },
			{ "vsis", "desired vsi", "iface_id" },
		};
		json_t *st = json_object_get(res, "status"), *e;
		size_t i;

		printf("policy %s state %s generation %lld saves %lld save-errors %lld\n", vctl_str(st, "policy"),
		       vctl_str(st, "state_file"), vctl_int(st, "generation"), vctl_int(st, "saves"),
		       vctl_int(st, "save_errors"));
		if (json_is_object(json_object_get(res, "fleet"))) {
			json_t *f = json_object_get(res, "fleet");

			printf("fleet etcd %s prefix %s host %s revision %lld connected %s%s%s\n",
			       vctl_str(f, "endpoints"), vctl_str(f, "prefix"), vctl_str(f, "host"),
			       vctl_int(f, "revision"), vctl_bool(f, "connected") ? "yes" : "no",
			       vctl_str(f, "last_error")[0] ? " last-error " : "",
			       vctl_str(f, "last_error"));
		}
		for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++)
			json_array_foreach(json_object_get(res, parts[k].key), i, e) {
				printf("%s ", parts[k].label);
				print_entry(e, parts[k].first);
			}
	}
	json_decref(res);
	return EXIT_OK;
}

/* ---- libvirt hooks ---- */

static char *read_stdin(size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		ssize_t r;

		if (n == cap) {
			char *nb = cap >= HOOK_MAX_XML ? NULL : realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(STDIN_FILENO, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return buf;
}

/* libvirt puts a failing hook's stderr into its error message, and aborts
 * a "begin" operation on a non-zero exit: every failure here is one clear
 * line and exit 1. */
static int registry_hook(int argc, char **argv)
{
	struct reg_hook_result res;
	struct reg_err err;
	size_t len = 0;
	char *xml;
	int rc = EXIT_OK;

	if (argc < 3 || vctl_is_help(argv[0])) {
		vctl_help();
		return argc >= 1 && vctl_is_help(argv[0]) ? EXIT_OK : EXIT_USAGE;
	}
	xml = read_stdin(&len);
	if (!xml) {
		fprintf(stderr, "vdpd hook: cannot read the hook XML from stdin (over %u bytes or read error)\n",
			HOOK_MAX_XML);
		return EXIT_FAIL;
	}
	if (reg_hook_parse(argv[0], argc - 1, argv + 1, xml, len, &res, &err) < 0) {
		fprintf(stderr, "vdpd hook: %s\n", err.msg);
		free(xml);
		return EXIT_FAIL;
	}
	free(xml);
	if (res.notes[0])
		fprintf(stderr, "%s", res.notes);
	for (size_t i = 0; i < res.n && rc == EXIT_OK; i++) {
		const struct reg_hook_action *a = &res.acts[i];
		json_t *args, *out = NULL;
		char *msg = NULL, mac[18];
		int r;

		reg_mac_format(a->b.mac, mac);
		if (a->op == REG_HOOK_BIND) {
			args = json_pack("{s:s, s:s, s:s, s:s}", "iface_id", a->b.iface_id, "dev", a->b.dev, "mac", mac,
					 "uplink", a->b.uplink);
			if (args && a->b.vm_uuid[0])
				json_object_set_new(args, "vm_uuid", json_string(a->b.vm_uuid));
			if (args && a->b.migrating >= 0)
				json_object_set_new(args, "migrating",
						    json_boolean(a->b.migrating));
			r = ctl_call(vctl.socket, "bind", args, &out, &msg, vctl.timeout_ms);
		} else {
			args = json_pack("{s:s}", "iface_id", a->b.iface_id);
			r = ctl_call(vctl.socket, "unbind", args, &out, &msg, vctl.timeout_ms);
			/* Already gone (stopped, then release): fine.  Not
			 * "no socket", which is -ENOENT as well. */
			if (r == -ENOENT && msg && strstr(msg, "is not bound"))
				r = 0;
		}
		json_decref(args);
		json_decref(out);
		if (r < 0) {
			fprintf(stderr, "vdpd hook: %s: cannot %s interface-id %s (mac %s, uplink %s): %s\n", a->what,
				a->op == REG_HOOK_BIND ? "bind" : "unbind", a->b.iface_id, mac,
				a->b.uplink[0] ? a->b.uplink : "-", msg ? msg : strerror(-r));
			rc = EXIT_FAIL;
		}
		free(msg);
	}
	reg_hook_result_free(&res);
	return rc;
}

int do_registry(int argc, char **argv)
{
	if (verb_is(argv[0], "policy")) {
		if (argc != 2) {
			vctl_help();
			return EXIT_USAGE;
		}
		return run("registry.policy", json_pack("{s:s}", "policy", argv[1]), "policy");
	}
	if (verb_is(argv[0], "resolve"))
		return registry_resolve(argc - 1, argv + 1);
	if (verb_is(argv[0], "export"))
		return registry_export(argc - 1, argv + 1);
	if (verb_is(argv[0], "hook"))
		return registry_hook(argc - 1, argv + 1);
	return registry_show(argc - 1, argv + 1);
}
