/* vdpctl: the operator CLI for vdpd, iproute2-shaped:
 *	vdpctl [OPTIONS] OBJECT VERB ARGS...
 * One file per object; this header holds what they share. */
#ifndef VDPCTL_H
#define VDPCTL_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>

/* Exit codes (documented in vdpctl(8)). */
#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

struct vctl {
	const char *socket;
	int timeout_ms;
	bool json;
	bool pretty;
	const char *object;	/* the OBJECT word, for messages */
	int fd;			/* batch: the one control connection, else -1 */
	bool batch;		/* -b: vsi add/del do not wait by default */
	bool no_wait; /* --no-wait: changes return once vdpd queued them */
	bool timestamp; /* monitor -t */
	const char *etcd; /* --etcd ENDPOINTS: the fleet store instead of vdpd (fleet.c) */
};

extern struct vctl vctl;

/* Calls the daemon; on failure prints "Error: ..." and returns NULL. */
json_t *vctl_call(const char *cmd, json_t *args);
/* The same, silent: for questions whose "no" is an answer. */
json_t *vctl_call_quiet(const char *cmd, json_t *args);
/* vctl_call against the fleet store (--etcd); args borrowed. */
json_t *vctl_fleet_call(const char *cmd, json_t *args, bool quiet);
int do_status(int argc, char **argv);
/* What a line does with its reply (borrowed); returns its exit code. */
typedef int (*vctl_done_fn)(json_t *res, void *ctx);
/* vctl_call, then done(res, ctx).  In a batch (tools/vdpctl/pipeline.c)
 * the request goes out at once and done runs when its reply comes, after
 * the earlier lines' and before any later line's; EXIT_OK means queued. */
int vctl_call_then(const char *cmd, json_t *args, vctl_done_fn done, void *ctx);
/* The batch's side of the pipeline: begin; the number of the line being
 * run; a line that failed by itself (after the earlier lines' replies);
 * wait for every reply; whether to stop (a line failed, no -force); the
 * exit status of the last failed line, 0 if none.  Failed lines are
 * reported as "Command failed FILE:LINE". */
void vctl_pipe_begin(const char *file, bool force);
/* After the last line: the output written, stderr as it was. */
void vctl_pipe_end(void);
/* After running a line: its output written, unless it was pipelined and
 * stdout is written in blocks. */
void vctl_pipe_line_done(bool pipelined);
/* Before reading the next line from fp: if that may wait (a pipe with
 * nothing in it), take every reply first. */
void vctl_pipe_input_wait(FILE *fp);
void vctl_pipe_line(unsigned line);
void vctl_pipe_line_failed(int rc);
void vctl_pipe_drain(void);
bool vctl_pipe_stopped(void);
int vctl_pipe_rc(void);
/* Prints a result in JSON mode (compact or pretty) followed by a newline. */
void vctl_print_json(json_t *j);

/* Argument helpers; they print the error and return -1. */
int vctl_what_is(const char *word, void (*help)(void));
int vctl_need_arg(int argc, const char *key, void (*help)(void));
bool vctl_is_help(const char *w);
/* The help of the object being run (vctl.object), from the keyword table. */
void vctl_help(void);

int do_uplink(int argc, char **argv);
int do_neighbor(int argc, char **argv);
int do_vsi(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_monitor(int argc, char **argv);
int do_config(int argc, char **argv);

/* A request's answer as vsi.show tells it (vsi.c). */
enum vctl_outcome { PENDING, DONE, FAILED, GONE };
enum vctl_outcome vctl_vsi_judge(json_t *v, bool del);
void vctl_print_vsi(json_t *v);
/* The one-line error of a FAILED outcome, to stderr. */
void vctl_vsi_failure(json_t *v, const char *what);
long long vctl_now_ms(void);
/* Why a request on uplink cannot reach the switch yet (not vdpd's,
 * absent, down, EVB not negotiated), into why; false when it can. */
bool vctl_uplink_waits(const char *uplink, const char *what, char *why, size_t len);
/* attachment add, binding add: what the switch answers (outcome.c);
 * change is vdpd's reply to the change, printed with the outcome. */
int vctl_registry_outcome(const char *iface_id, json_t *change);

/* Text helpers. */
const char *vctl_str(json_t *o, const char *key);
long long vctl_int(json_t *o, const char *key);
bool vctl_bool(json_t *o, const char *key);

#endif
