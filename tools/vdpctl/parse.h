/* Lookups over the keyword table, shared by the parser (parse.c) and the
 * completion (complete.c) so that both read a command line alike. */
#ifndef VDPCTL_PARSE_H
#define VDPCTL_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "tools/vdpctl/grammar.h"

enum vctl_opt {
	OPT_NONE,
	OPT_JSON,
	OPT_PRETTY,
	OPT_SOCKET,
	OPT_TIMEOUT,
	OPT_T,
	OPT_STAMP,
	OPT_NOWAIT,
	OPT_HELP
};

/* Exact name, an old spelling (*alias set), or the one object w is a
 * prefix of; NULL with *ambig when several. */
const struct vctl_obj *vctl_obj_lookup(const char *w, const struct vctl_alias **alias, bool *ambig);
const struct vctl_verb *vctl_verb_named(const struct vctl_obj *o, const char *name);
const struct vctl_verb *vctl_verb_lookup(const struct vctl_obj *o, const char *w, bool *ambig);
const struct vctl_key *vctl_key_lookup(const struct vctl_key *keys, const char *w, bool *ambig);
/* How many positional words a verb takes before its keywords. */
int vctl_pos_count(const struct vctl_verb *v);
/* The n-th positional value spec of a verb (in buf), NULL past the last. */
const char *vctl_pos_spec(const struct vctl_verb *v, int n, char *buf, size_t len);
/* An option word after the object; -t is monitor's timestamps. */
enum vctl_opt vctl_opt_lookup(const char *w, bool monitor);
void vctl_opt_words(void (*out)(const char *));

#endif
