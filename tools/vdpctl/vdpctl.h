/* vdpctl: the operator CLI for vdpd, iproute2-shaped:
 *	vdpctl [OPTIONS] OBJECT VERB ARGS...
 * One file per object; this header holds what they share. */
#ifndef VDPCTL_H
#define VDPCTL_H

#include <stdbool.h>
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
};

extern struct vctl vctl;

/* Calls the daemon; on failure prints "Error: ..." and returns NULL. */
json_t *vctl_call(const char *cmd, json_t *args);
/* Prints a result in JSON mode (compact or pretty) followed by a newline. */
void vctl_print_json(json_t *j);

/* Argument helpers; they print the error and return -1. */
int vctl_what_is(const char *word, void (*help)(void));
int vctl_need_arg(int argc, const char *key, void (*help)(void));
bool vctl_is_help(const char *w);

/* One OBJECT word and its handler (ARGS after the word); tables end with
 * a NULL name. */
struct vctl_object {
	const char *name;
	int (*fn)(int argc, char **argv);
};

int do_uplink(int argc, char **argv);
int do_neighbor(int argc, char **argv);
int do_vsi(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_monitor(int argc, char **argv);

/* Text helpers. */
const char *vctl_str(json_t *o, const char *key);
long long vctl_int(json_t *o, const char *key);
bool vctl_bool(json_t *o, const char *key);

#endif
