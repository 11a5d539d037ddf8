/* vdpctl's grammar: one keyword table (grammar.c) that the usage text,
 * the per-object help, the parser (object, verb and keyword lookup with
 * unambiguous prefixes, options anywhere, the old spellings as aliases)
 * and the completion (vdpctl complete WORDS..., called by vdpctl.bash
 * and _vdpctl) all read.  A word added here is parsed, documented and
 * completed. */
#ifndef VDPCTL_GRAMMAR_H
#define VDPCTL_GRAMMAR_H

#include <stdio.h>

/* A keyword after the verb.  values: NULL when the keyword stands alone
 * (a flag); otherwise what its value is, for completion: "" any word,
 * "@KIND" names from the daemon or the system (see complete.c), else the
 * accepted words separated by blanks. */
struct vctl_key {
	const char *word;
	const char *values;
};

struct vctl_verb {
	const char *name; /* NULL: the object takes no verb word (monitor) */
	const char *usage; /* after "vdpctl OBJECT "; NULL: a hidden spelling */
	const char *alias_of; /* hidden spelling of this verb */
	/* Positional words before the keywords, one value spec each
	 * (as in struct vctl_key), separated by '|'. */
	const char *pos;
	const struct vctl_key *keys;
};

struct vctl_obj {
	const char *name;
	int (*fn)(int argc, char **argv); /* argv[0]: the verb, if the object has verbs */
	const struct vctl_verb *verbs; /* ends with usage and name NULL */
	const char *dflt; /* verb when none is given */
	const char *where; /* help lines after the usage lines */
};

/* An old spelling: "attach ..." is "attachment add ...".  verb NULL:
 * the words after the alias start with the verb (neighbour). */
struct vctl_alias {
	const char *name;
	const char *object;
	const char *verb;
};

/* Verb tables end with an entry of neither name nor usage. */
#define VCTL_VERB_LIVE(v) ((v)->name || (v)->usage)

extern const struct vctl_obj vctl_objects[];
/* vdpctl --etcd ENDPOINTS status IFACE-ID: a command of its own, not an
 * object; its usage follows "vdpctl [ OPTIONS ] ".  Spelled out only, so
 * that "sta" and "stat" stay abbreviations of stats. */
extern const struct vctl_verb vctl_status;
extern const struct vctl_alias vctl_aliases[];

/* iproute2's matches(): word is a non-empty prefix of name. */
int vctl_matches(const char *word, const char *name);

const struct vctl_obj *vctl_obj_find(const char *name);
void vctl_usage(FILE *out);
void vctl_help_object(const struct vctl_obj *o, FILE *out);

/* OBJECT VERB ARGS... -> the object's handler, the words canonical. */
int vctl_dispatch(int argc, char **argv);
/* vdpctl complete WORDS...: the candidates for the last word, one a line. */
int vctl_complete(int argc, char **argv);

#endif
