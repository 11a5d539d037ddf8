/* vdpctl config reload | show: the daemon's configuration file, re-read
 * as SIGHUP does, and what vdpd runs with (its last reload's error text
 * included, FILE:LINE first). */
#include <stdio.h>
#include <string.h>

#include "tools/vdpctl/vdpctl.h"

static void print_config(json_t *c)
{
	json_t *u;
	size_t i;

	printf("config %s log-target %s log-level %s\n", vctl_str(c, "file"),
	       vctl_str(c, "log_target"), vctl_str(c, "log_level"));
	printf("    reloads %lld (errors %lld)", vctl_int(c, "reloads"),
	       vctl_int(c, "reload_errors"));
	if (*vctl_str(c, "last_reload_error"))
		printf(", last error: %s", vctl_str(c, "last_reload_error"));
	printf("\n");
	json_array_foreach (json_object_get(c, "uplinks"), i, u)
		printf("    uplink %s mgrid %s\n", vctl_str(u, "name"), vctl_str(u, "mgrid"));
}

/* argv[0] is the verb, canonical (grammar.c). */
int do_config(int argc, char **argv)
{
	bool reload = strcmp(argv[0], "reload") == 0;
	json_t *args, *res;

	if (argc > 1)
		return vctl_what_is(argv[1], vctl_help), EXIT_USAGE;
	args = json_object();
	res = vctl_call(reload ? "config.reload" : "config.show", args);
	json_decref(args);
	if (!res)
		return EXIT_FAIL;
	if (vctl.json)
		vctl_print_json(res);
	else if (reload)
		printf("reloaded %s: %lld uplinks\n", vctl_str(res, "config"),
		       vctl_int(res, "uplinks"));
	else
		print_config(res);
	json_decref(res);
	return EXIT_OK;
}
