/* vdpctl's parser over the keyword table (grammar.c): the object (exact,
 * an old spelling, or an unambiguous prefix), options anywhere after it,
 * the verb, and the keywords, which reach the handler canonical. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/wire/vdp_text.h"
#include "tools/vdpctl/grammar.h"
#include "tools/vdpctl/parse.h"
#include "tools/vdpctl/vdpctl.h"

const struct vctl_obj *vctl_obj_lookup(const char *w, const struct vctl_alias **alias, bool *ambig)
{
	const struct vctl_obj *hit = NULL;

	*alias = NULL;
	*ambig = false;
	if ((hit = vctl_obj_find(w)))
		return hit;
	for (const struct vctl_alias *a = vctl_aliases; a->name; a++)
		if (strcmp(a->name, w) == 0) {
			*alias = a;
			return vctl_obj_find(a->object);
		}
	for (const struct vctl_obj *o = vctl_objects; o->name; o++)
		if (vctl_matches(w, o->name)) {
			if (hit) {
				*ambig = true;
				return NULL;
			}
			hit = o;
		}
	return hit;
}

const struct vctl_verb *vctl_verb_named(const struct vctl_obj *o, const char *name)
{
	for (const struct vctl_verb *v = o->verbs; VCTL_VERB_LIVE(v); v++)
		if (v->name && strcmp(v->name, name) == 0)
			return v->alias_of ? vctl_verb_named(o, v->alias_of) : v;
	return NULL;
}

const struct vctl_verb *vctl_verb_lookup(const struct vctl_obj *o, const char *w, bool *ambig)
{
	const struct vctl_verb *hit = vctl_verb_named(o, w);

	*ambig = false;
	if (hit)
		return hit;
	for (const struct vctl_verb *v = o->verbs; VCTL_VERB_LIVE(v); v++)
		if (v->name && !v->alias_of && vctl_matches(w, v->name)) {
			if (hit) {
				*ambig = true;
				return NULL;
			}
			hit = v;
		}
	return hit;
}

const struct vctl_key *vctl_key_lookup(const struct vctl_key *keys, const char *w, bool *ambig)
{
	const struct vctl_key *hit = NULL;

	*ambig = false;
	for (const struct vctl_key *k = keys; k && k->word; k++)
		if (strcmp(k->word, w) == 0)
			return k;
	for (const struct vctl_key *k = keys; k && k->word; k++)
		if (w[0] != '-' && vctl_matches(w, k->word)) {
			if (hit) {
				*ambig = true;
				return NULL;
			}
			hit = k;
		}
	return hit;
}

int vctl_pos_count(const struct vctl_verb *v)
{
	int n = 1;

	if (!v->pos)
		return 0;
	for (const char *p = v->pos; *p; p++)
		n += *p == '|';
	return n;
}

/* One UUID rule for every command (vdp_txt_uuid_parse: 32 hex digits,
 * dashes anywhere optional): a value of a UUID kind goes to vdpd in the
 * 8-4-4-4-12 form; anything else (a MAC or IPv4 VSIID) as typed. */
static char *canon_uuid(const char *spec, char *w, char **keep, int *nkeep)
{
	static const char *const kinds[] = { "@uuid", "@vsi", "@iface", "@bound", "@port", NULL };
	uint8_t u[16];
	char *c;

	for (const char *const *k = kinds; spec && *k; k++)
		if (strcmp(spec, *k) == 0 && vdp_txt_uuid_parse(w, u) == 0 &&
		    (c = malloc(VDP_TXT_UUID_LEN))) {
			vdp_txt_uuid_format(u, c);
			keep[(*nkeep)++] = c;
			return c;
		}
	return w;
}

/* The n-th '|'-separated positional spec of a verb, into buf. */
const char *vctl_pos_spec(const struct vctl_verb *v, int n, char *buf, size_t len)
{
	char *p = buf, *bar;

	if (!v->pos)
		return NULL;
	snprintf(buf, len, "%s", v->pos);
	for (; n > 0 && p; n--)
		p = (bar = strchr(p, '|')) ? bar + 1 : NULL;
	if (p && (bar = strchr(p, '|')))
		*bar = 0;
	return p;
}

/* The options accepted after the object, as iproute2 accepts them. */
static const struct {
	const char *word;
	enum vctl_opt opt;
} after_opts[] = {
	{ "-j", OPT_JSON },          { "-json", OPT_JSON },        { "--json", OPT_JSON },
	{ "-p", OPT_PRETTY },        { "-pretty", OPT_PRETTY },    { "--pretty", OPT_PRETTY },
	{ "-s", OPT_SOCKET },        { "-socket", OPT_SOCKET },    { "--socket", OPT_SOCKET },
	{ "-timeout", OPT_TIMEOUT }, { "--timeout", OPT_TIMEOUT }, { "-t", OPT_T },
	{ "-timestamp", OPT_STAMP }, { "--timestamp", OPT_STAMP }, { "-ts", OPT_STAMP },
	{ "--no-wait", OPT_NOWAIT }, { "-no-wait", OPT_NOWAIT },   { "-h", OPT_HELP },
	{ "-help", OPT_HELP },       { "--help", OPT_HELP },
};

enum vctl_opt vctl_opt_lookup(const char *w, bool monitor)
{
	/* each one begins with '-'; most words of a line do not (a batch
	 * asks for every word of every line) */
	if (w[0] != '-')
		return OPT_NONE;
	for (size_t i = 0; i < sizeof(after_opts) / sizeof(after_opts[0]); i++)
		if (strcmp(after_opts[i].word, w) == 0)
			return after_opts[i].opt == OPT_T ? (monitor ? OPT_STAMP : OPT_TIMEOUT)
							  : after_opts[i].opt;
	return OPT_NONE;
}

void vctl_opt_words(void (*out)(const char *))
{
	for (size_t i = 0; i < sizeof(after_opts) / sizeof(after_opts[0]); i++)
		out(after_opts[i].word);
}

/* Applies one option; returns the words it took, -1 on a bad value. */
static int take_option(int argc, char **argv, enum vctl_opt opt, bool *help)
{
	char *end;

	switch (opt) {
	case OPT_JSON:
		vctl.json = true;
		return 1;
	case OPT_PRETTY:
		vctl.pretty = true;
		return 1;
	case OPT_STAMP:
		vctl.timestamp = true;
		return 1;
	case OPT_NOWAIT:
		vctl.no_wait = true;
		return 1;
	case OPT_HELP:
		*help = true;
		return 1;
	case OPT_SOCKET:
	case OPT_TIMEOUT:
		if (argc < 2) {
			fprintf(stderr, "Option \"%s\" needs an argument.\n", argv[0]);
			return -1;
		}
		if (opt == OPT_SOCKET) {
			vctl.socket = argv[1];
			return 2;
		}
		vctl.timeout_ms = (int)strtol(argv[1], &end, 10);
		if (*end || vctl.timeout_ms <= 0) {
			fprintf(stderr, "Error: timeout \"%s\" is not a number of milliseconds\n",
				argv[1]);
			return -1;
		}
		return 2;
	default:
		return 0;
	}
}

static const struct vctl_verb *pick_verb(const struct vctl_obj *o, const struct vctl_alias *al,
					 char **w, int n, int *used)
{
	const struct vctl_verb *v;
	bool ambig;

	*used = 0;
	if (al && al->verb) {
		/* "attach show", "bind show": the old listing spelling. */
		if (n > 0 && strcmp(w[0], "show") == 0 && (v = vctl_verb_named(o, "show"))) {
			*used = 1;
			return v;
		}
		return vctl_verb_named(o, al->verb);
	}
	if (!o->verbs[0].name)
		return &o->verbs[0];
	if (n == 0) {
		if (o->dflt)
			return vctl_verb_named(o, o->dflt);
		vctl_help_object(o, stderr);
		return NULL;
	}
	if ((v = vctl_verb_lookup(o, w[0], &ambig))) {
		*used = 1;
		return v;
	}
	/* "stats uplink eth0": the default verb's keyword. */
	if (!ambig && o->dflt && (v = vctl_verb_named(o, o->dflt)) &&
	    vctl_key_lookup(v->keys, w[0], &ambig))
		return v;
	fprintf(stderr, "Command \"%s\" is %s, try \"vdpctl %s help\".\n", w[0],
		ambig ? "ambiguous" : "unknown", o->name);
	return NULL;
}

/* Over 80 lines would be split here: options out, verb, keywords. */
int vctl_dispatch(int argc, char **argv)
{
	const struct vctl_alias *al;
	const struct vctl_obj *o;
	const struct vctl_verb *v;
	char **rest, **w, **keep, spec[256];
	int nr = 0, n = 0, nkeep = 0, used, npos, rc = EXIT_USAGE;
	bool ambig, help = false;

	o = vctl_obj_lookup(argv[0], &al, &ambig);
	if (!o && ambig) {
		const char *sep = "";

		fprintf(stderr, "Object \"%s\" is ambiguous (", argv[0]);
		for (const struct vctl_obj *c = vctl_objects; c->name; c++)
			if (vctl_matches(argv[0], c->name)) {
				fprintf(stderr, "%s%s", sep, c->name);
				sep = ", ";
			}
		fprintf(stderr, "), try \"vdpctl help\".\n");
		return EXIT_USAGE;
	}
	if (!o) {
		fprintf(stderr, "Object \"%s\" is unknown, try \"vdpctl help\".\n", argv[0]);
		return EXIT_USAGE;
	}
	vctl.object = o->name;
	rest = calloc((size_t)argc + 1, sizeof(*rest));
	w = calloc((size_t)argc + 2, sizeof(*w));
	keep = calloc((size_t)argc + 1, sizeof(*keep));
	if (!rest || !w || !keep)
		goto out;
	for (int i = 1; i < argc;) {
		int k = take_option(argc - i, argv + i,
				    vctl_opt_lookup(argv[i], o->fn == do_monitor), &help);

		if (k < 0)
			goto out;
		if (k == 0)
			rest[nr++] = argv[i++];
		i += k;
	}
	if (help || (nr > 0 && vctl_is_help(rest[0]))) {
		vctl_help_object(o, stderr);
		rc = EXIT_OK;
		goto out;
	}
	if (!(v = pick_verb(o, al, rest, nr, &used)))
		goto out;
	if (v->name)
		w[n++] = (char *)v->name;
	npos = vctl_pos_count(v);
	for (int j = used; j < nr; j++) {
		const struct vctl_key *k;

		if (j - used < npos) {
			w[n++] = canon_uuid(vctl_pos_spec(v, j - used, spec, sizeof(spec)), rest[j],
					    keep, &nkeep);
			continue;
		}
		if (!v->keys || !(k = vctl_key_lookup(v->keys, rest[j], &ambig))) {
			if (v->keys && ambig) {
				fprintf(stderr,
					"Keyword \"%s\" is ambiguous, try \"vdpctl %s help\".\n",
					rest[j], o->name);
				goto out;
			}
			w[n++] = rest[j];
			continue;
		}
		w[n++] = (char *)k->word;
		if (k->values && j + 1 < nr)
			w[n++] = canon_uuid(k->values, rest[++j], keep, &nkeep);
	}
	rc = o->fn(n, w);
out:
	for (int i = 0; i < nkeep; i++)
		free(keep[i]);
	free(keep);
	free(rest);
	free(w);
	return rc;
}
