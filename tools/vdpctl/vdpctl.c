/* vdpctl: main, global options, object dispatch, shared helpers. */
#include "tools/vdpctl/vdpctl.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vdp/ctl/ctl.h"
#include "tools/vdpctl/grammar.h"

#ifndef VDP_VERSION
#define VDP_VERSION "0.1"
#endif

struct vctl vctl = {
	.socket = VDPD_DEFAULT_SOCKET,
	.timeout_ms = 5000,
	.fd = -1,
};

static void usage(void)
{
	vctl_usage(stderr);
}

json_t *vctl_call_quiet(const char *cmd, json_t *args)
{
	json_t *res = NULL;
	char *err = NULL;
	int rc;

	if (vctl.etcd)
		return vctl_fleet_call(cmd, args, true);
	rc = vctl.fd >= 0 ? ctl_call_fd(vctl.fd, cmd, args, &res, &err, vctl.timeout_ms)
			  : ctl_call(vctl.socket, cmd, args, &res, &err, vctl.timeout_ms);

	free(err);
	return rc < 0 ? NULL : res;
}

json_t *vctl_call(const char *cmd, json_t *args)
{
	json_t *res = NULL;
	char *err = NULL;
	int rc;

	if (vctl.etcd)
		return vctl_fleet_call(cmd, args, false);
	/* In a batch, the earlier lines' replies first (their output comes
	 * first); a failure among them (no -force) stops the batch before
	 * this line. */
	if (vctl.batch) {
		vctl_pipe_drain();
		if (vctl_pipe_stopped())
			return NULL;
	}
	/* A batch keeps one connection; the daemon may close it between two
	 * lines (idle, or evicted when full): ctl_call_conn reconnects. */
	rc = vctl.batch
		? ctl_call_conn(&vctl.fd, vctl.socket, cmd, args, &res, &err, vctl.timeout_ms)
		: ctl_call(vctl.socket, cmd, args, &res, &err, vctl.timeout_ms);
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

static int run_object(int argc, char **argv)
{
	return vctl_dispatch(argc, argv);
}

/* One batch line into words: blanks separate, "..." and '...' quote, \
 * escapes the next character, # starts a comment.  Returns the number of
 * words (in place in line), or -1 on an open quote or too many words. */
static int split_line(char *line, char **words, int max)
{
	char *r = line, *w = line;
	int n = 0;

	for (;;) {
		char q = 0;

		while (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r')
			r++;
		if (!*r || *r == '#')
			return n;
		if (n == max)
			return -1;
		words[n++] = w;
		while (*r && (q || (*r != ' ' && *r != '\t' && *r != '\n' && *r != '\r'))) {
			if (!q && (*r == '"' || *r == '\'')) {
				q = *r++;
			} else if (q && *r == q) {
				q = 0;
				r++;
			} else if (*r == '\\' && r[1] && q != '\'') {
				r++;
				*w++ = *r++;
			} else {
				*w++ = *r++;
			}
		}
		if (q)
			return -1;
		if (*r)
			r++;
		*w++ = 0;
	}
}

/* -b FILE: one command per line over one control connection (as
 * iproute2's ip -b), so a thousand requests cost one process and one
 * connection, pipelined where a line allows (tools/vdpctl/pipeline.c).
 * Stops at the first failing line unless -force; the exit status is that
 * of the last failure (0 if none). */
static int batch(const char *file, bool force)
{
	FILE *fp = strcmp(file, "-") == 0 ? stdin : fopen(file, "re");
	char *line = NULL, *err = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int rc;

	if (!fp) {
		fprintf(stderr, "Error: cannot open batch file \"%s\": %s\n", file, strerror(errno));
		return EXIT_FAIL;
	}
	vctl.fd = ctl_connect(vctl.socket, &err);
	if (vctl.fd < 0) {
		fprintf(stderr, "Error: %s\n", err ? err : strerror(-vctl.fd));
		free(err);
		if (fp != stdin)
			fclose(fp);
		return EXIT_FAIL;
	}
	vctl.batch = true;
	vctl_pipe_begin(file, force);
	while (!vctl_pipe_stopped()) {
		char *words[256];
		bool pipelined;
		int n, lrc;

		vctl_pipe_input_wait(fp);
		if (getline(&line, &cap, fp) < 0)
			break;
		lineno++;
		n = split_line(line, words, (int)(sizeof(words) / sizeof(words[0])) - 1);
		if (n == 0)
			continue;
		vctl_pipe_line(lineno);
		/* Lines that may go out pipelined (vsi add/del) aside, the
		 * earlier lines' replies come first. */
		pipelined = n >= 2 && !strcmp(words[0], "vsi") &&
			(!strcmp(words[1], "add") || !strcmp(words[1], "del") ||
			 !strcmp(words[1], "delete"));
		if (!pipelined) {
			vctl_pipe_drain();
			if (vctl_pipe_stopped())
				break;
		}
		if (n < 0) {
			fprintf(stderr, "Error: unbalanced quote or too many words\n");
			lrc = EXIT_USAGE;
		} else {
			/* Options after a line's object are that line's. */
			struct vctl saved = vctl;

			words[n] = NULL;
			lrc = run_object(n, words);
			saved.fd = vctl.fd; /* a line may have reconnected */
			vctl = saved;
		}
		vctl_pipe_line_done(pipelined);
		/* Not run at all when an earlier line's failure came first. */
		if (lrc != EXIT_OK && !vctl_pipe_stopped())
			vctl_pipe_line_failed(lrc);
	}
	vctl_pipe_drain();
	vctl_pipe_end();
	rc = vctl_pipe_rc();
	free(line);
	if (vctl.fd >= 0)
		close(vctl.fd);
	vctl.fd = -1;
	if (fp != stdin)
		fclose(fp);
	return rc;
}

/* Over 80 lines: the option table and one getopt case per option, read
 * best as one list. */
int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "batch", required_argument, NULL, 'b' },
		{ "force", no_argument, NULL, 'f' },
		{ "no-wait", no_argument, NULL, 'W' },
		{ "timestamp", no_argument, NULL, 'T' },
		{ "etcd", required_argument, NULL, 'E' },
		{ NULL, 0, NULL, 0 },
	};
	const char *batch_file = NULL;
	bool force = false;
	char *end;
	int c;

	opterr = 0;
	/* "+": options end at the object word (vsi add ... may hold "-").
	 * Long options also with one dash (-batch, -force, as iproute2). */
	while ((c = getopt_long_only(argc, argv, "+:jps:t:Vhb:f", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			batch_file = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'W':
			vctl.no_wait = true;
			break;
		case 'T':
			vctl.timestamp = true;
			break;
		case 'E':
			vctl.etcd = optarg;
			vctl.no_wait = true; /* no local vdpd to ask the switch's answer */
			break;
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
	if (batch_file) {
		if (argc > 0) {
			fprintf(stderr, "Error: -b takes the commands from \"%s\", not from the command "
				"line (\"%s\")\n", batch_file, argv[0]);
			return EXIT_USAGE;
		}
		return batch(batch_file, force);
	}
	if (force) {
		fprintf(stderr, "Error: -force only goes with -b\n");
		return EXIT_USAGE;
	}
	if (argc < 1) {
		usage();
		return EXIT_USAGE;
	}
	if (vctl_is_help(argv[0])) {
		usage();
		return EXIT_OK;
	}
	/* Hidden: the shell completions' question (vdpctl.bash, _vdpctl). */
	if (strcmp(argv[0], "complete") == 0)
		return vctl_complete(argc - 1, argv + 1);
	/* Spelled out only: "sta", "stat" stay stats. */
	if (strcmp(argv[0], vctl_status.name) == 0)
		return do_status(argc - 1, argv + 1);
	return run_object(argc, argv);
}
