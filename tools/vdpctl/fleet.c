/* vdpctl --etcd ENDPOINTS: the registry commands against the fleet store
 * (profiles/fleet_ctl.h) instead of a local vdpd, and `vdpctl status
 * IFACE-ID`.  The prefix, this host's name (for physnet and binding) and
 * TLS or user credentials come from the environment, like etcdctl's:
 * VDPCTL_ETCD_PREFIX (/vdpd), VDPCTL_ETCD_HOST (the hostname),
 * VDPCTL_ETCD_CA, VDPCTL_ETCD_CERT, VDPCTL_ETCD_KEY, VDPCTL_ETCD_USER,
 * VDPCTL_ETCD_PASSWORD. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>

#include "profiles/fleet_ctl.h"
#include "vdp/io/etcd_curl.h"
#include "tools/vdpctl/grammar.h"
#include "tools/vdpctl/vdpctl.h"

static struct {
	struct event_base *base;
	struct event *deadline;
	bool expired;
	struct etcd_curl *curl;
	struct fleet_ctl *fc;
	char endpoints[512];
} F;

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	F.expired = true;
}

static int pump(void *ctx)
{
	(void)ctx;
	if (F.expired)
		return -ETIMEDOUT;
	event_base_loop(F.base, EVLOOP_ONCE);
	return F.expired ? -ETIMEDOUT : 0;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && v[0] ? v : NULL;
}

static void fleet_close(void)
{
	fleet_ctl_close(F.fc);
	etcd_curl_free(F.curl);
	if (F.deadline)
		event_free(F.deadline);
	if (F.base)
		event_base_free(F.base);
	memset(&F, 0, sizeof(F));
}

/* Connects and reads the prefix once per vdpctl run. */
static struct fleet_ctl *fleet_open(void)
{
	struct etcd_curl_cfg cfg = { .ca = env("VDPCTL_ETCD_CA"),
				     .cert = env("VDPCTL_ETCD_CERT"),
				     .key = env("VDPCTL_ETCD_KEY"),
				     .user = env("VDPCTL_ETCD_USER"),
				     .password = env("VDPCTL_ETCD_PASSWORD"),
				     .timeout_ms = vctl.timeout_ms };
	struct timeval tv = { vctl.timeout_ms / 1000, (vctl.timeout_ms % 1000) * 1000 };
	const char *prefix = env("VDPCTL_ETCD_PREFIX") ? env("VDPCTL_ETCD_PREFIX") : "/vdpd";
	char host[REG_NAME_MAX] = "", err[512], *save = NULL, *tok;
	struct reg_err rerr = { "" };

	if (F.fc)
		return F.fc;
	snprintf(F.endpoints, sizeof(F.endpoints), "%s", vctl.etcd);
	for (tok = strtok_r(F.endpoints, ",", &save); tok && cfg.nendpoints < ETCD_MAX_ENDPOINTS;
	     tok = strtok_r(NULL, ",", &save))
		cfg.endpoints[cfg.nendpoints++] = tok;
	if (env("VDPCTL_ETCD_HOST"))
		snprintf(host, sizeof(host), "%s", env("VDPCTL_ETCD_HOST"));
	else if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = 0;
	F.base = event_base_new();
	F.deadline = F.base ? evtimer_new(F.base, on_deadline, NULL) : NULL;
	if (!F.deadline || evtimer_add(F.deadline, &tv)) {
		fprintf(stderr, "Error: cannot set up the event loop\n");
		fleet_close();
		return NULL;
	}
	F.curl = etcd_curl_new(F.base, &cfg, err, sizeof(err));
	if (!F.curl) {
		fprintf(stderr, "Error: %s\n", err);
		fleet_close();
		return NULL;
	}
	F.fc = fleet_ctl_open(&etcd_curl_ops, F.curl, prefix, host, pump, NULL, &rerr);
	if (!F.fc) {
		fprintf(stderr, "Error: %s\n", rerr.msg);
		fleet_close();
		return NULL;
	}
	atexit(fleet_close);
	return F.fc;
}

json_t *vctl_fleet_call(const char *cmd, json_t *args, bool quiet)
{
	struct fleet_ctl *fc = fleet_open();
	struct reg_err err = { "" };
	json_t *res, *none = NULL;

	if (!fc)
		return NULL;
	if (!args)
		args = none = json_object();
	res = fleet_ctl_call(fc, cmd, args, &err);
	json_decref(none);
	if (!res && !quiet)
		fprintf(stderr, "Error: %s\n", err.msg);
	return res;
}

static void print_status(json_t *st)
{
	json_t *a = json_object_get(st, "attachment"), *b, *s;
	size_t i;

	printf("%s", vctl_str(st, "iface_id"));
	if (json_is_object(a))
		printf(" network %s", vctl_str(a, "network"));
	else
		printf(" not attached");
	printf("\n");
	json_array_foreach (json_object_get(st, "bindings"), i, b)
		printf("  bound on %s uplink %s mac %s dev %s\n", vctl_str(b, "host"),
		       vctl_str(b, "uplink"), vctl_str(b, "mac"),
		       vctl_str(b, "dev")[0] ? vctl_str(b, "dev") : "-");
	json_array_foreach (json_object_get(st, "status"), i, s) {
		printf("  %s on %s uplink %s vlan %lld since %lld", vctl_str(s, "state"),
		       vctl_str(s, "host"), vctl_str(s, "uplink"), vctl_int(s, "vlan"),
		       vctl_int(s, "time"));
		if (vctl_str(s, "reason")[0])
			printf(": %s", vctl_str(s, "reason"));
		printf("\n");
	}
	if (!json_array_size(json_object_get(st, "bindings")))
		printf("  not bound on any host\n");
}

int do_status(int argc, char **argv)
{
	struct reg_err err = { "" };
	struct fleet_ctl *fc;
	json_t *st;

	if (argc != 1 || vctl_is_help(argv[0])) {
		fprintf(argc == 1 ? stdout : stderr,
			"Usage: vdpctl %s\n"
			"where the interface is attached and bound, and each host's association "
			"(the fleet store)\n",
			vctl_status.usage);
		return argc == 1 ? EXIT_OK : EXIT_USAGE;
	}
	if (!vctl.etcd) {
		fprintf(stderr, "Error: status reads the fleet store: give --etcd ENDPOINTS\n");
		return EXIT_USAGE;
	}
	fc = fleet_open();
	if (!fc)
		return EXIT_FAIL;
	st = fleet_ctl_status(fc, argv[0], &err);
	if (!st) {
		fprintf(stderr, "Error: %s\n", err.msg);
		return EXIT_FAIL;
	}
	if (vctl.json)
		vctl_print_json(st);
	else
		print_status(st);
	json_decref(st);
	return EXIT_OK;
}
