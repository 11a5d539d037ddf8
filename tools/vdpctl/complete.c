/* vdpctl complete WORDS...: what may come as the last word, read from the
 * keyword table the parser uses (grammar.c), names from the running daemon
 * (quietly nothing when it does not answer) and from /sys/class/net.
 * Hidden: tools/vdpctl/vdpctl.bash and tools/vdpctl/_vdpctl (zsh) call it,
 * so the two shells offer the same words; "@files" asks the shell for file
 * names.  With --etcd the names come from the fleet store instead. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/vdpctl/grammar.h"
#include "tools/vdpctl/parse.h"
#include "tools/vdpctl/vdpctl.h"

static const char *cur;

static void offer(const char *w)
{
	if (strncmp(w, cur, strlen(cur)) == 0)
		printf("%s\n", w);
}

/* KIND of "@KIND": the daemon command that lists them and the field. */
static const struct {
	const char *kind, *cmd, *field;
} daemon_names[] = {
	{ "uplink", "uplink.show", "name" },   { "vsi", "vsi.show", "vsiid" },
	{ "vsiid", "vsi.show", "vsiid" },      { "profile", "profile.show", "name" },
	{ "network", "network.show", "name" }, { "physnet", "physnet.show", "physnet" },
	{ "port", "port.show", "uuid" },       { "iface", "attach.show", "iface_id" },
	{ "bound", "bind.show", "iface_id" },
};

static void offer_daemon(const char *kind)
{
	for (size_t i = 0; i < sizeof(daemon_names) / sizeof(daemon_names[0]); i++) {
		json_t *args, *res, *e;
		size_t k;

		if (strcmp(daemon_names[i].kind, kind))
			continue;
		args = json_object();
		res = vctl_call_quiet(daemon_names[i].cmd, args);
		json_decref(args);
		json_array_foreach (res, k, e)
			offer(vctl_str(e, daemon_names[i].field));
		json_decref(res);
	}
}

static void offer_values(const char *spec)
{
	char buf[256], *save = NULL;

	if (!spec || !spec[0])
		return;
	if (strcmp(spec, "@files") == 0) {
		printf("@files\n");
	} else if (strcmp(spec, "@ifname") == 0) {
		DIR *d = opendir("/sys/class/net");
		struct dirent *e;

		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.')
				offer(e->d_name);
		if (d)
			closedir(d);
	} else if (strcmp(spec, "@uuid") == 0) {
		return;
	} else if (spec[0] == '@') {
		offer_daemon(spec + 1);
	} else {
		snprintf(buf, sizeof(buf), "%s", spec);
		for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
			offer(w);
	}
}

static void offer_pos(const struct vctl_verb *v, int n)
{
	char buf[256];

	offer_values(vctl_pos_spec(v, n, buf, sizeof(buf)));
}

static void offer_verbs(const struct vctl_obj *o)
{
	for (const struct vctl_verb *v = o->verbs; VCTL_VERB_LIVE(v); v++)
		if (v->name && !v->alias_of)
			offer(v->name);
	offer("help");
}

static void offer_keys(const struct vctl_verb *v)
{
	for (const struct vctl_key *k = v->keys; k && k->word; k++)
		offer(k->word);
}

static const char *const global_opts[] = {
	"-j", "--json",    "-p", "--pretty", "-s", "--socket", "-t",     "--timeout", "--no-wait",
	"-V", "--version", "-h", "--help",   "-b", "-batch",   "-force", "--etcd",    NULL
};

/* Global options before the object; returns the index of the object word
 * (n when the last word is still an option or its argument). */
static int skip_globals(int n, char **w, bool *file_arg)
{
	int i = 0;

	*file_arg = false;
	for (; i < n - 1 && w[i][0] == '-'; i++) {
		bool sock = !strcmp(w[i], "-s") || !strcmp(w[i], "--socket") ||
			!strcmp(w[i], "-socket");
		bool batch =
			!strcmp(w[i], "-b") || !strcmp(w[i], "-batch") || !strcmp(w[i], "--batch");
		bool tmo = !strcmp(w[i], "-t") || !strcmp(w[i], "--timeout") ||
			!strcmp(w[i], "-timeout");
		bool etcd = !strcmp(w[i], "--etcd") || !strcmp(w[i], "-etcd");

		if (!sock && !batch && !tmo && !etcd)
			continue;
		if (i + 1 == n - 1) {
			*file_arg = sock || batch;
			return n;
		}
		if (sock)
			vctl.socket = w[i + 1];
		if (etcd)
			vctl.etcd = w[i + 1];
		i++;
	}
	return i;
}

/* The words after the object: options out (the socket kept), the verb,
 * then positional words and keywords as the parser reads them. */
static void complete_after(const struct vctl_obj *o, const struct vctl_alias *al, int n, char **w)
{
	const struct vctl_verb *v;
	bool ambig;
	int i = 0, p = 0, npos;

	for (int j = 0; j < n - 1; j++) {
		enum vctl_opt opt = vctl_opt_lookup(w[j], o->fn == do_monitor);

		if (opt == OPT_SOCKET || opt == OPT_TIMEOUT) {
			if (j + 1 == n - 1) {
				if (opt == OPT_SOCKET)
					printf("@files\n");
				return;
			}
			if (opt == OPT_SOCKET)
				vctl.socket = w[j + 1];
			j++;
		} else if (opt == OPT_NONE) {
			w[i++] = w[j];
		}
	}
	w[i++] = w[n - 1];
	n = i;
	if (cur[0] == '-') {
		vctl_opt_words(offer);
		return;
	}
	i = 0;
	if (al && al->verb) {
		v = vctl_verb_named(o, al->verb);
	} else if (!o->verbs[0].name) {
		v = &o->verbs[0];
	} else if (n == 1) {
		offer_verbs(o);
		return;
	} else if ((v = vctl_verb_lookup(o, w[0], &ambig))) {
		i = 1;
	} else {
		return;
	}
	npos = vctl_pos_count(v);
	for (; i < n - 1; i++) {
		const struct vctl_key *k;

		if (p < npos) {
			p++;
			continue;
		}
		k = vctl_key_lookup(v->keys, w[i], &ambig);
		if (!k || !k->values)
			continue;
		if (i + 1 == n - 1) {
			offer_values(k->values);
			return;
		}
		i++;
	}
	if (p < npos)
		offer_pos(v, p);
	else
		offer_keys(v);
}

int vctl_complete(int argc, char **argv)
{
	const struct vctl_alias *al;
	const struct vctl_obj *o;
	bool ambig, file_arg;
	int i;

	if (argc > 0 && strcmp(argv[0], "--") == 0) {
		argc--;
		argv++;
	}
	if (argc < 1)
		return EXIT_OK;
	/* The shell shows no errors; a dead daemon offers nothing. */
	if (!freopen("/dev/null", "w", stderr))
		return EXIT_OK;
	vctl.timeout_ms = 1000;
	cur = argv[argc - 1];
	i = skip_globals(argc, argv, &file_arg);
	if (file_arg) {
		printf("@files\n");
	} else if (i == argc - 1) {
		if (cur[0] == '-') {
			for (const char *const *p = global_opts; *p; p++)
				offer(*p);
		} else {
			for (const struct vctl_obj *ob = vctl_objects; ob->name; ob++)
				offer(ob->name);
			offer(vctl_status.name);
			offer("help");
		}
	} else if (strcmp(argv[i], vctl_status.name) == 0) {
		/* status takes one word and no options after it. */
		if (i == argc - 2 && cur[0] != '-')
			offer_pos(&vctl_status, 0);
	} else if (i < argc - 1 && (o = vctl_obj_lookup(argv[i], &al, &ambig))) {
		complete_after(o, al, argc - i - 1, argv + i + 1);
	}
	return EXIT_OK;
}
