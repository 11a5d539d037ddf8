/* ctl_replay SOCKET CANNED.json: a stand-in for vdpd's control socket that
 * answers from a file, so vdpctl's output can be compared with golden
 * files without a daemon, a network or root.
 *
 * CANNED.json: {"results": {CMD: RESULT, ...},
 *               "errors":  {CMD: {"error": TEXT, "errno": N}, ...}}
 * Array results honour the vsi.show arguments the CLI sends: "id" keeps
 * the entries whose vsiid matches, "offset" skips entries. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "vdp/ctl/ctl.h"

static json_t *answer(json_t *canned, json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	json_t *args = json_object_get(req, "args");
	json_t *e = json_object_get(json_object_get(canned, "errors"), cmd ? cmd : "");
	json_t *r = json_object_get(json_object_get(canned, "results"), cmd ? cmd : "");

	if (e)
		return json_pack("{s:i, s:b, s:O, s:O}", "version", CTL_VERSION, "ok", 0, "error",
				 json_object_get(e, "error"), "errno", json_object_get(e, "errno"));
	if (!r)
		return json_pack("{s:i, s:b, s:s, s:i}", "version", CTL_VERSION, "ok", 0, "error",
				 "unknown command", "errno", EOPNOTSUPP);
	if (json_is_array(r)) {
		const char *id = json_string_value(json_object_get(args, "id"));
		json_int_t off = json_integer_value(json_object_get(args, "offset"));
		json_t *out = json_array(), *v;
		size_t i;

		json_array_foreach(r, i, v) {
			if (id && strcmp(id, json_string_value(json_object_get(v, "vsiid")) ?: "") != 0)
				continue;
			if (off > 0) {
				off--;
				continue;
			}
			json_array_append(out, v);
		}
		return json_pack("{s:i, s:b, s:o}", "version", CTL_VERSION, "ok", 1, "result", out);
	}
	return json_pack("{s:i, s:b, s:O}", "version", CTL_VERSION, "ok", 1, "result", r);
}

int main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	json_error_t jerr;
	json_t *canned;
	int lfd;

	if (argc != 3) {
		fprintf(stderr, "usage: ctl_replay SOCKET CANNED.json\n");
		return 2;
	}
	canned = json_load_file(argv[2], 0, &jerr);
	if (!canned) {
		fprintf(stderr, "%s:%d: %s\n", argv[2], jerr.line, jerr.text);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1]);
	unlink(argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(lfd, 8) < 0) {
		perror(argv[1]);
		return 1;
	}
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		json_t *req;

		if (fd < 0)
			continue;
		while (ctl_recv_msg(fd, &req, ctl_deadline(5000)) == 0) {
			json_t *rep = answer(canned, req);

			json_decref(req);
			ctl_send_msg(fd, rep, ctl_deadline(5000));
			json_decref(rep);
		}
		close(fd);
	}
}
