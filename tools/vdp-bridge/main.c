/* vdp-bridge: software IEEE 802.1Qbg bridge-role peer.
 *
 *   vdp-bridge [-f CONFIG] [-s SOCK] [-i IFACE]... [-d] [-F] [--seed N]   run
 *   vdp-bridge [-s SOCK] [-j] [-p] OBJECT VERB [ARGS]                     client
 *
 * Ready = the control socket answers `status` (it is created after every
 * port is open).  Logs go to stderr in the foreground, syslog otherwise. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <event2/event.h>

#include "vdp/io/privs.h"
#include "vdp/ctl/ctl.h"
#include "vdp/io/linkmon.h"
#include "vdp/base/log.h"
#include "vdp/io/vclock_event.h"
#include "tools/vdp-bridge/vdp-bridge.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vdp-bridge [OPTIONS]                      run the bridge\n"
		"       vdp-bridge [-s SOCK] [-j] [-p] OBJECT VERB   talk to a running bridge\n"
		"\n"
		"  -f, --config FILE     configuration (default " VBR_DEFAULT_CONF ")\n"
		"  -s, --socket PATH     control socket (default " VBR_DEFAULT_SOCK ")\n"
		"  -i, --interface IF    run on IF (repeatable; replaces the config's list)\n"
		"  -d, --debug           log debug messages\n"
		"  -F, --foreground      stay in the foreground, log to stderr\n"
		"      --seed N          fault-injection seed (overrides the config)\n"
		"  -t, --check           check the configuration, print it as JSON, exit\n"
		"  -j, --json            client: JSON output\n"
		"  -p, --pretty          client: indented JSON\n"
		"  -V, --version         print the version\n"
		"  -h, --help            this text; `vdp-bridge help` lists client commands\n");
}

static struct vbr B;

/* vdp/linkmon reports every interface; a port is matched by ifindex, so a
 * renamed interface stays the port it was.  An interface that vanished is
 * a link down: the port pauses (LLDP and ECP stop) and keeps its VSIs
 * until toutKeepAlive ends them, as on any link down (vdp/engine/uplink.h).
 * Reports repeat after an overrun (LINKMON_RESYNC); only a change acts. */
static void on_link(void *ctx, enum linkmon_ev ev, const char *ifname, int ifindex, bool exists,
		    bool up)
{
	struct vbr *b = ctx;

	(void)ev;
	for (size_t i = 0; i < b->n_ports; i++) {
		struct uplink *u = vbr_port_uplink(b->ports[i]);
		bool now = exists && up;

		if (uplink_ifindex(u) != ifindex || uplink_link_up(u) == now)
			continue;
		log_info("link", "%s: %s%s", uplink_ifname(u), now ? "link up" : "link down",
			 exists ? "" : " (interface removed)");
		if (exists && strcmp(ifname, uplink_ifname(u)) != 0)
			log_notice("link", "%s: now named %s", uplink_ifname(u), ifname);
		uplink_set_link(u, now);
	}
}

static const struct linkmon_ops vbr_linkmon_ops = {
	.link = on_link,
};

/* The ports read their link state when they opened; a change between that
 * and the monitor's first dump has no event of its own. */
static void link_reconcile(struct vbr *b)
{
	for (size_t i = 0; i < b->n_ports; i++) {
		struct uplink *u = vbr_port_uplink(b->ports[i]);
		int ifindex;
		bool up;

		if (linkmon_lookup(b->lm, uplink_ifname(u), &ifindex, &up) < 0 ||
		    ifindex != uplink_ifindex(u))
			up = false;
		if (uplink_link_up(u) != up)
			uplink_set_link(u, up);
	}
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct vbr *b = arg;

	(void)what;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_notice("main", "signal %d: stopping", (int)sig);
		event_base_loopbreak(b->base);
		break;
	case SIGHUP:
		/* Logs and counts its outcome; a refused file changes nothing. */
		vbr_reload(b, NULL, 0, NULL);
		break;
	case SIGUSR1:
		for (size_t i = 0; i < b->n_ports; i++) {
			json_t *j = uplink_status_json(vbr_port_uplink(b->ports[i]));
			char *s = json_dumps(j, JSON_COMPACT);

			log_notice("main", "%s", s ? s : "?");
			free(s);
			json_decref(j);
		}
		break;
	}
}

/* mkdir -p of the socket's directory (/run/vdpd may not exist yet). */
static void make_parent(const char *path)
{
	char tmp[256];
	char *dir;

	snprintf(tmp, sizeof(tmp), "%s", path);
	dir = dirname(tmp);
	for (char *p = dir + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			mkdir(dir, 0755);
			*p = '/';
		}
	}
	mkdir(dir, 0755);
}

static int run(struct vbr *b, bool foreground)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	const char *dports[VBR_MAX_IFACES];
	size_t n_dports = 0;
	char err[512];
	int rc = 1;

	if (!foreground && daemon(0, 0) < 0) {
		log_err("main", "cannot daemonize: %s", strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	b->base = vclock_event_base_new();
	b->clock = b->base ? vclock_event_new(b->base) : NULL;
	if (!b->clock) {
		log_err("main", "cannot create the event loop");
		goto out;
	}
	b->started_us = vclock_now(b->clock);
	fault_init(&b->fault, &b->conf.fault);
	if (fault_active(&b->conf.fault) || b->conf.fault.n_rules)
		log_notice("fault", "fault injection configured (seed %llu)",
			   (unsigned long long)b->conf.fault.seed);
	if (vbr_start_ports(b) < 0)
		goto out;
	b->lm = linkmon_new(b->base, &vbr_linkmon_ops, b);
	if (b->lm)
		link_reconcile(b);
	else
		log_warn("link", "no link monitor: link changes will not be seen");
	if (b->conf.dp.enable) {
		if (b->conf.dp.n_ports)
			for (size_t i = 0; i < b->conf.dp.n_ports; i++)
				dports[n_dports++] = b->conf.dp.ports[i];
		else
			for (size_t i = 0; i < b->conf.n_ifaces; i++)
				dports[n_dports++] = b->conf.ifaces[i];
		b->dp = datapath_new(b->base, &b->conf.dp, dports, n_dports);
		if (!b->dp) {
			log_err("dp", "cannot start the datapath");
			goto out;
		}
	}
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		b->sig_ev[i] = evsignal_new(b->base, sigs[i], on_signal, b);
		if (b->sig_ev[i])
			event_add(b->sig_ev[i], NULL);
	}
	make_parent(b->conf.ctl_path);
	b->ctl = ctl_server_new(b->base, b->conf.ctl_path, 0660, vbr_ctl_cmds, b);
	if (!b->ctl) {
		log_err("ctl", "%s: %s", b->conf.ctl_path, strerror(errno));
		goto out;
	}
	/* Before the loop reads the first frame: only the two capabilities
	 * the ports need (vdp/io/privs.h). */
	if (privs_drop(NULL, err, sizeof(err)) < 0) {
		log_err("main", "%s", err);
		goto out;
	}
	log_notice("main", "ready: %zu port(s), control socket %s", b->n_ports, b->conf.ctl_path);
	event_base_dispatch(b->base);
	rc = 0;
out:
	ctl_server_free(b->ctl);
	for (size_t i = 0; i < sizeof(b->sig_ev) / sizeof(b->sig_ev[0]); i++)
		if (b->sig_ev[i])
			event_free(b->sig_ev[i]);
	/* Ports before the datapath: their VSIs go with them. */
	vbr_stop_ports(b, true);
	if (b->dp_ev)
		event_free(b->dp_ev);
	datapath_free(b->dp);
	linkmon_free(b->lm);
	vclock_event_free(b->clock);
	if (b->base)
		event_base_free(b->base);
	return rc;
}

/* What the command line says. */
struct vbr_opts {
	const char *conf_path, *sock;
	char ifaces[VBR_MAX_IFACES][IF_NAMESIZE];
	size_t n_ifaces;
	bool debug, foreground, check, json, pretty, have_seed;
	unsigned long long seed;
};

/* Returns -1 to go on, else the exit code (--help, --version, a bad option). */
static int parse_opts(int argc, char **argv, struct vbr_opts *o)
{
	enum { OPT_SEED = 256 };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "interface", required_argument, NULL, 'i' },
		{ "debug", no_argument, NULL, 'd' },
		{ "foreground", no_argument, NULL, 'F' },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "check", no_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "f:s:i:dFtjpVh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->conf_path = optarg;
			break;
		case 's':
			o->sock = optarg;
			break;
		case 'i':
			if (o->n_ifaces == VBR_MAX_IFACES || !*optarg ||
			    strlen(optarg) >= IF_NAMESIZE) {
				fprintf(stderr, "vdp-bridge: -i %s: bad interface name or too many\n", optarg);
				return 2;
			}
			snprintf(o->ifaces[o->n_ifaces++], IF_NAMESIZE, "%s", optarg);
			break;
		case 'd':
			o->debug = true;
			break;
		case 'F':
			o->foreground = true;
			break;
		case OPT_SEED:
			errno = 0;
			o->seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || o->seed > (UINT64_MAX >> 1)) {
				fprintf(stderr, "vdp-bridge: --seed %s: not a number\n", optarg);
				return 2;
			}
			o->have_seed = true;
			break;
		case 't':
			o->check = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'p':
			o->pretty = true;
			o->json = true;
			break;
		case 'V':
			printf("vdp-bridge %s\n", VDP_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	return -1;
}

/* The configuration file, then what the command line overrides. */
static int load_conf(const struct vbr_opts *o)
{
	const char *path = o->conf_path ? o->conf_path : VBR_DEFAULT_CONF;
	char err[512];

	vbr_conf_init(&B.conf);
	/* SIGHUP reads the same file (the default one may appear later). */
	snprintf(B.cli.conf_path, sizeof(B.cli.conf_path), "%s", path);
	B.cli.ifaces = o->n_ifaces > 0;
	B.cli.ctl_path = o->sock != NULL;
	B.cli.seed = o->have_seed;
	B.cli.debug = o->debug;
	if ((o->conf_path || access(VBR_DEFAULT_CONF, F_OK) == 0) &&
	    vbr_conf_load(&B.conf, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "vdp-bridge: %s\n", err);
		return -1;
	}
	if (o->n_ifaces) {
		memcpy(B.conf.ifaces, o->ifaces, sizeof(o->ifaces));
		B.conf.n_ifaces = o->n_ifaces;
	}
	if (o->sock)
		snprintf(B.conf.ctl_path, sizeof(B.conf.ctl_path), "%s", o->sock);
	if (o->have_seed)
		B.conf.fault.seed = o->seed;
	return 0;
}

/* -t: the configuration as it would run, in JSON. */
static void print_conf(void)
{
	json_t *j = vbr_conf_json(&B.conf);
	char *s;

	json_object_set_new(j, "fault", fault_config_json(&B.conf.fault));
	s = json_dumps(j, JSON_INDENT(2));
	printf("%s\n", s);
	free(s);
	json_decref(j);
}

int main(int argc, char **argv)
{
	struct vbr_opts o = { 0 };
	char err[512];
	int rc = parse_opts(argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (optind < argc)
		return vbr_client(o.sock ? o.sock : VBR_DEFAULT_SOCK, o.json, o.pretty,
				  argc - optind, argv + optind);
	if (load_conf(&o) < 0)
		rc = 1;
	else if (o.check) {
		print_conf();
		rc = 0;
	} else if (!B.conf.n_ifaces) {
		fprintf(stderr, "vdp-bridge: no interface: use -i IFACE or interfaces = [ ... ] in the config\n");
		rc = 2;
	} else if (privs_check("vdp-bridge", err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		rc = 1;
	} else {
		log_init("vdp-bridge", o.foreground ? LOG_TO_STDERR : LOG_TO_SYSLOG,
			 o.debug                         ? LOG_DEBUG
				 : B.conf.log_level >= 0 ? B.conf.log_level
							 : LOG_INFO);
		rc = run(&B, o.foreground);
	}
	vbr_conf_free(&B.conf);
	return rc;
}
