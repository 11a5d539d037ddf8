/* fleet_watch ENDPOINTS PREFIX HOST STATEFILE: one host's view of the fleet
 * registry on a real etcd, without the rest of vdpd: the registry kept by
 * fleet_sync over etcd_curl (the daemon's pieces), every desired-VSI
 * change printed on stdout as one JSON line
 *   {"event":"associate"|"move"|"deassociate","iface_id","network","vlan","typeid"}
 * and, every 200 ms, STATEFILE rewritten (atomically) with
 *   {"state","connected","revision","reads","resyncs","events","unapplied",
 *    "bad_values","vsis","last_error"}.
 * Runs until SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include <jansson.h>

#include "profiles/fleet_sync.h"
#include "vdp/io/etcd_curl.h"

static struct fleet_sync *fs;
static struct reg *reg;
static const char *statefile;

static void on_vsi(void *ctx, const struct reg_vsi *old, const struct reg_vsi *cur)
{
	const struct reg_vsi *v = cur ? cur : old;
	const char *ev = !old ? "associate" : cur ? "move" : "deassociate";
	json_t *j;

	(void)ctx;
	j = json_pack("{s:s, s:s, s:s, s:i, s:I}", "event", ev, "iface_id", v->iface_id, "network",
		      v->network, "vlan", v->vlan, "typeid", (json_int_t)v->typeid);
	json_dumpf(j, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	fflush(stdout);
	json_decref(j);
}

static const struct reg_ops ops = { .vsi_desired = on_vsi };

static void write_state(void)
{
	const struct fleet_stats *st = fleet_sync_stats(fs);
	struct reg_counts c;
	char tmp[4096];
	json_t *j;

	reg_get_counts(reg, &c);
	j = json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "state",
		      fleet_state_name(st->state), "connected", st->connected, "revision",
		      (json_int_t)st->revision, "reads", (json_int_t)st->reads, "resyncs",
		      (json_int_t)st->resyncs, "events", (json_int_t)st->events, "unapplied",
		      (json_int_t)st->unapplied, "bad_values", (json_int_t)st->bad_values, "vsis",
		      (json_int_t)c.vsis, "last_error", st->last_error);
	snprintf(tmp, sizeof(tmp), "%s.tmp", statefile);
	if (!json_dump_file(j, tmp, JSON_COMPACT))
		rename(tmp, statefile);
	json_decref(j);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	fleet_sync_tick(fs);
	write_state();
}

static void on_term(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
	struct etcd_curl_cfg cfg = { 0 };
	struct timeval tv = { 0, 200000 };
	struct event_base *base;
	struct event *tick, *term;
	struct etcd_curl *c;
	struct reg_err rerr;
	char err[256], *save = NULL;

	if (argc != 5) {
		fprintf(stderr, "usage: fleet_watch ENDPOINTS PREFIX HOST STATEFILE\n");
		return 2;
	}
	statefile = argv[4];
	for (char *t = strtok_r(argv[1], ",", &save); t && cfg.nendpoints < ETCD_MAX_ENDPOINTS;
	     t = strtok_r(NULL, ",", &save))
		cfg.endpoints[cfg.nendpoints++] = t;
	base = event_base_new();
	c = etcd_curl_new(base, &cfg, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "fleet_watch: %s\n", err);
		return 1;
	}
	reg = reg_new(&ops, NULL);
	fs = fleet_sync_new(reg, &etcd_curl_ops, c, argv[2], argv[3], &rerr);
	if (!fs) {
		fprintf(stderr, "fleet_watch: %s\n", rerr.msg);
		return 1;
	}
	tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
	term = evsignal_new(base, SIGTERM, on_term, base);
	event_add(tick, &tv);
	event_add(term, NULL);
	fleet_sync_start(fs);
	event_base_dispatch(base);
	fleet_sync_free(fs);
	etcd_curl_free(c);
	reg_free(reg);
	event_free(tick);
	event_free(term);
	event_base_free(base);
	return 0;
}
