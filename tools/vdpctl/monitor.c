/* vdpctl monitor: the daemon's events as they happen, one per line (one
 * JSON object per line with -j), until interrupted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vdp/ctl/ctl.h"
#include "tools/vdpctl/vdpctl.h"

static void monitor_help(void)
{
	vctl_help();
}

/* -t: the time the event arrived, as ip monitor -t; in -j a "time" member. */
static void stamp(json_t *m)
{
	struct timespec ts;
	struct tm tm;
	char when[32], full[64];

	if (!vctl.timestamp)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(full, sizeof(full), "%s.%06d", when, (int)(ts.tv_nsec / 1000) % 1000000);
	if (vctl.json)
		json_object_set_new(m, "time", json_string(full));
	else
		printf("[%s] ", full);
}

static void print_event(json_t *m)
{
	const char *ev = vctl_str(m, "event");
	json_t *d = json_object_get(m, "data");

	if (strcmp(ev, "vsi") == 0) {
		json_t *v = json_object_get(d, "vsi");

		printf("[vsi] %s %s %s %s: state %s", vctl_str(d, "uplink"), vctl_str(v, "vsiid_format"),
		       vctl_str(v, "vsiid"), vctl_str(d, "event"), vctl_str(v, "state"));
		if (strcmp(vctl_str(v, "end_reason"), "none") != 0)
			printf(", %s (%s)", vctl_str(v, "end_reason"), vctl_str(v, "status_text"));
		if (json_is_object(json_object_get(v, "retry"))) {
			json_t *r = json_object_get(v, "retry");

			printf(", retry %s, %lld attempts", vctl_str(r, "state"),
			       vctl_int(r, "attempts"));
			if (vctl_int(r, "next_try_ms") >= 0)
				printf(", next in %lld ms", vctl_int(r, "next_try_ms"));
		}
		printf("\n");
	} else if (strcmp(ev, "uplink") == 0) {
		printf("[uplink] %s %s", vctl_str(d, "uplink"), vctl_str(d, "event"));
		if (*vctl_str(d, "reason"))
			printf(": %s", vctl_str(d, "reason"));
		if (json_object_get(d, "link"))
			printf(", link %s%s", vctl_str(d, "link"),
			       vctl_bool(d, "converged") ? ", EVB negotiated" : "");
		printf("\n");
	} else if (strcmp(ev, "link") == 0) {
		printf("[link] %s %s\n", vctl_str(d, "ifname"), vctl_bool(d, "up") ? "up" : "down");
	} else if (strcmp(ev, "registry") == 0) {
		printf("[registry] %s %s on %s: network %s profile %s vlan %lld, %s\n",
		       vctl_str(d, "iface_id"), vctl_str(d, "event"), vctl_str(d, "uplink"),
		       vctl_str(d, "network"), vctl_str(d, "profile"), vctl_int(d, "vlan"),
		       vctl_str(d, "result"));
	} else if (strcmp(ev, "config") == 0) {
		printf("[config] %s, %lld uplinks\n", vctl_str(d, "event"), vctl_int(d, "uplinks"));
	} else {
		printf("[%s]\n", ev);
	}
}

int do_monitor(int argc, char **argv)
{
	json_t *topics = json_array(), *args, *res = NULL;
	char *err = NULL;
	int fd, rc;

	for (int i = 0; i < argc; i++) {
		if (vctl_is_help(argv[i])) {
			monitor_help();
			json_decref(topics);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "vsi") && strcmp(argv[i], "uplink") &&
		    strcmp(argv[i], "link") && strcmp(argv[i], "config") &&
		    strcmp(argv[i], "registry")) {
			vctl_what_is(argv[i], monitor_help);
			json_decref(topics);
			return EXIT_USAGE;
		}
		json_array_append_new(topics, json_string(argv[i]));
	}
	args = json_pack("{s:o}", "topics", topics);
	fd = ctl_connect(vctl.socket, &err);
	if (fd < 0) {
		fprintf(stderr, "Error: %s\n", err ? err : strerror(-fd));
		free(err);
		json_decref(args);
		return EXIT_FAIL;
	}
	rc = ctl_call_fd(fd, "subscribe", args, &res, &err, vctl.timeout_ms);
	json_decref(args);
	json_decref(res);
	if (rc < 0) {
		fprintf(stderr, "Error: %s\n", err ? err : strerror(-rc));
		free(err);
		close(fd);
		return EXIT_FAIL;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		json_t *m = NULL;

		rc = ctl_recv_msg(fd, &m, ctl_deadline(3600 * 1000));
		if (rc == -ETIMEDOUT)
			continue;
		if (rc < 0) {
			fprintf(stderr, "Error: %s\n", rc == -ECONNRESET ? "daemon closed the connection"
								   : strerror(-rc));
			close(fd);
			return EXIT_FAIL;
		}
		stamp(m);
		if (vctl.json) {
			json_object_del(m, "version");
			vctl_print_json(m);
		} else {
			print_event(m);
		}
		json_decref(m);
	}
}
