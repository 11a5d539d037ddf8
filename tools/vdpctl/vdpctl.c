/* vdpctl: main, global options, object dispatch, shared helpers. */
#include "vdpctl.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/ctl.h"
#include "vdp/vdpd.h"
#include "reg_cmds.h"

#ifndef VDP_VERSION
#define VDP_VERSION "0.1"
#endif

struct vctl vctl = {
	.socket = VDPD_DEFAULT_SOCKET,
	.timeout_ms = 5000,
};

static void usage(void)
{
	fprintf(stderr,
		"Usage: vdpctl [ OPTIONS ] OBJECT { COMMAND | help }\n"
		"       vdpctl [ OPTIONS ] help\n"
		"where  OBJECT := { uplink | neighbor | vsi | stats | monitor | profile | physnet | network | port |\n"
		"                   attach | detach | bind | unbind | resolve | export | hook | registry }\n"
		"       OPTIONS := { -j | --json | -p | --pretty | -s | --socket PATH |\n"
		"                    -t | --timeout MS | -V | --version | -h | --help }\n"
		"\n"
		"       vdpctl uplink show [ uplink IFNAME ]\n"
		"       vdpctl neighbor show [ uplink IFNAME ]\n"
		"       vdpctl vsi show [ uplink IFNAME ] [ id VSIID ]\n"
		"       vdpctl vsi add uplink IFNAME mode MODE uuid UUID mgrid MGRID typeid N typeidver N\n"
		"                      FILTER [ FILTER ]... [ format FFORMAT ] [ hints HINTS ]\n"
		"       vdpctl vsi del uplink IFNAME uuid UUID\n"
		"       vdpctl stats [ uplink IFNAME ]\n"
		"       vdpctl monitor [ vsi | uplink | link | config ]...\n");
	reg_cmds_usage();
	fprintf(stderr, "Try \"vdpctl OBJECT help\" for the arguments of one object.\n");
}

json_t *vctl_call(const char *cmd, json_t *args)
{
	json_t *res = NULL;
	char *err = NULL;
	int rc = ctl_call(vctl.socket, cmd, args, &res, &err, vctl.timeout_ms);

	if (rc < 0) {
		fprintf(stderr, "Error: %s\n", err ? err : strerror(-rc));
		free(err);
		return NULL;
	}
	return res;
}

void vctl_print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_ENCODE_ANY | (vctl.pretty ? JSON_INDENT(4) : JSON_COMPACT));

	if (s) {
		puts(s);
		free(s);
	}
}

int vctl_what_is(const char *word, void (*help)(void))
{
	fprintf(stderr, "What is \"%s\"?\n", word);
	if (help)
		help();
	return -1;
}

int vctl_need_arg(int argc, const char *key, void (*help)(void))
{
	if (argc >= 2)
		return 0;
	fprintf(stderr, "Command line is not complete: \"%s\" needs a value. Try \"vdpctl %s help\".\n",
		key, vctl.object ? vctl.object : "OBJECT");
	(void)help;
	return -1;
}

bool vctl_is_help(const char *w)
{
	return strcmp(w, "help") == 0 || strcmp(w, "--help") == 0 || strcmp(w, "-h") == 0;
}

const char *vctl_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

long long vctl_int(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

bool vctl_bool(json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} objects[] = {
	{ "uplink", do_uplink },
	{ "neighbor", do_neighbor },
	{ "neighbour", do_neighbor },
	{ "vsi", do_vsi },
	{ "stats", do_stats },
	{ "monitor", do_monitor },
	REG_VDPCTL_OBJECTS,
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	opterr = 0;
	/* "+": options end at the object word (vsi add ... may hold "-"). */
	while ((c = getopt_long(argc, argv, "+:jps:t:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			vctl.json = true;
			break;
		case 'p':
			vctl.pretty = true;
			break;
		case 's':
			vctl.socket = optarg;
			break;
		case 't':
			vctl.timeout_ms = (int)strtol(optarg, &end, 10);
			if (*end || vctl.timeout_ms <= 0) {
				fprintf(stderr, "Error: timeout \"%s\" is not a number of milliseconds\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'V':
			printf("vdpctl %s (control protocol %d)\n", VDP_VERSION, CTL_VERSION);
			return EXIT_OK;
		case 'h':
			usage();
			return EXIT_OK;
		case ':':
			fprintf(stderr, "Option \"%s\" needs an argument.\n", argv[optind - 1]);
			usage();
			return EXIT_USAGE;
		default:
			fprintf(stderr, "Option \"%s\" is unknown, try \"vdpctl help\".\n", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage();
		return EXIT_USAGE;
	}
	if (vctl_is_help(argv[0])) {
		usage();
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		if (strcmp(objects[i].name, argv[0]) == 0) {
			vctl.object = objects[i].name;
			return objects[i].fn(argc - 1, argv + 1);
		}
	fprintf(stderr, "Object \"%s\" is unknown, try \"vdpctl help\".\n", argv[0]);
	return EXIT_USAGE;
}
