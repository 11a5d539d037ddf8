/* vdpctl's keyword table and the parser that reads it (grammar.h). */
#include "tools/vdpctl/grammar.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tools/vdpctl/reg_cmds.h"
#include "tools/vdpctl/vdpctl.h"

#define MODES "assoc preassoc preassoc-rr deassoc"
#define FFORMATS "vid mac-vid group-vid group-mac-vid"

static const struct vctl_key k_uplink[] = { { "uplink", "@uplink" }, { NULL, NULL } };

static const struct vctl_verb v_show_uplink[] = {
	{ "show", "show [ uplink IFNAME ]", NULL, NULL, k_uplink },
	{ "list", NULL, "show", NULL, k_uplink },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct vctl_key k_vsi_show[] = { { "uplink", "@uplink" },
					      { "id", "@vsiid" },
					      { NULL, NULL } };
static const struct vctl_key k_vsi_add[] = {
	{ "uplink", "@uplink" },
	{ "mode", MODES },
	{ "uuid", "@uuid" },
	{ "vsiid-format", "ipv4 ipv6 mac local uuid" },
	{ "vsiid", "" },
	{ "mgrid", "" },
	{ "typeid", "" },
	{ "typeidver", "" },
	{ "filter", NULL },
	{ "mac", "" },
	{ "vid", "" },
	{ "pcp", "" },
	{ "group", "" },
	{ "format", FFORMATS },
	{ "hints", "none migrate-to migrate-from" },
	{ "wait", "" },
	{ "nowait", NULL },
	{ NULL, NULL },
};
static const struct vctl_key k_vsi_del[] = {
	{ "uplink", "@uplink" }, { "uuid", "@vsi" }, { "vsiid-format", "ipv4 ipv6 mac local uuid" },
	{ "vsiid", "@vsiid" },   { "wait", "" },     { "nowait", NULL },
	{ NULL, NULL },
};
static const struct vctl_key k_vsi_wait[] = { { "uplink", "@uplink" },
					      { "timeout", "" },
					      { NULL, NULL } };

static const struct vctl_verb v_vsi[] = {
	{ "show", "show [ uplink IFNAME ] [ id VSIID ]", NULL, NULL, k_vsi_show },
	{ "add",
	  "add uplink IFNAME mode MODE VSI mgrid MGRID typeid N typeidver N\n"
	  "                      FILTER [ FILTER ]... [ format FFORMAT ] [ hints HINTS ]\n"
	  "                      [ wait SECS | nowait ]",
	  NULL, NULL, k_vsi_add },
	{ "del", "del uplink IFNAME VSI [ wait SECS | nowait ]", NULL, NULL, k_vsi_del },
	{ "wait", "wait [ uplink IFNAME ] [ timeout SECS ]", NULL, NULL, k_vsi_wait },
	{ "list", NULL, "show", NULL, k_vsi_show },
	{ "delete", NULL, "del", NULL, k_vsi_del },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct vctl_key k_monitor[] = { { "vsi", NULL },      { "uplink", NULL },
					     { "link", NULL },     { "config", NULL },
					     { "registry", NULL }, { NULL, NULL } };
static const struct vctl_verb v_monitor[] = {
	{ NULL, "[ -t ] [ TOPIC ]...", NULL, NULL, k_monitor },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct vctl_key k_profile[] = {
	{ "mgrid", "" },     { "typeid", "" },        { "typeidver", "" },
	{ "vlan", "" },      { "filter", FFORMATS },  { "profileid", "" },
	{ "managerid", "" }, { "typeidversion", "" }, { NULL, NULL },
};
static const struct vctl_verb v_profile[] = {
	{ "add",
	  "{ add | set } NAME qbg mgrid MGRID typeid T typeidver V [ vlan N ] [ filter FFORMAT ]\n"
	  "                [ profileid P ]\n"
	  "       vdpctl profile { add | set } NAME qbh profileid P [ vlan N ]",
	  NULL, "|qbg qbh", k_profile },
	{ "set", NULL, NULL, "|qbg qbh", k_profile },
	{ "del", "del NAME", NULL, "@profile", NULL },
	{ "show", "show [ NAME ]", NULL, "@profile", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct vctl_key k_physnet[] = { { "dev", "@ifname" },
					     { "vport", "802.1Qbg 802.1Qbh" },
					     { "mode", "vepa private passthrough" },
					     { NULL, NULL } };
static const struct vctl_key k_dev[] = { { "dev", "@ifname" }, { NULL, NULL } };
static const struct vctl_verb v_physnet[] = {
	{ "add",
	  "{ add | set } PHYSNET dev DEV [ mode { vepa | private | passthrough } ]\n"
	  "                [ vport { 802.1Qbg | 802.1Qbh } ]",
	  NULL, "", k_physnet },
	{ "set", NULL, NULL, "", k_physnet },
	{ "del", "del dev DEV", NULL, NULL, k_dev },
	{ "show", "show [ dev DEV ]", NULL, NULL, k_dev },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct vctl_key k_network[] = { { "physnet", "@physnet" },
					     { "profile", "@profile" },
					     { "vlan", "" },
					     { "uuid", "@uuid" },
					     { NULL, NULL } };
static const struct vctl_verb v_network[] = {
	{ "add", "{ add | set } NAME physnet P profile X [ vlan N ] [ uuid UUID ]", NULL, "",
	  k_network },
	{ "set", NULL, NULL, "@network", k_network },
	{ "del", "del NAME", NULL, "@network", NULL },
	{ "show", "show [ NAME ]", NULL, "@network", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct vctl_key k_port[] = { { "network", "@network" }, { NULL, NULL } };
static const struct vctl_verb v_port[] = {
	{ "add", "add UUID network NAME", NULL, "@uuid", k_port },
	{ "del", "del UUID", NULL, "@port", NULL },
	{ "show", "show [ UUID ]", NULL, "@port", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct vctl_key k_attachment[] = { { "network", "@network" },
						{ "port", "@port" },
						{ NULL, NULL } };
static const struct vctl_verb v_attachment[] = {
	{ "add", "add IFACE-ID network NAME [ port UUID ]   (again: move)", NULL, "@iface",
	  k_attachment },
	{ "del", "del IFACE-ID", NULL, "@iface", NULL },
	{ "show", "show [ IFACE-ID ]", NULL, "@iface", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct vctl_key k_binding[] = { { "dev", "@ifname" },
					     { "mac", "" },
					     { "uplink", "@ifname" },
					     { "vm", "@uuid" },
					     { NULL, NULL } };
static const struct vctl_verb v_binding[] = {
	{ "add", "add IFACE-ID [ dev DEV ] mac MAC uplink IFNAME [ vm UUID ]", NULL, "@iface",
	  k_binding },
	{ "del", "del IFACE-ID", NULL, "@bound", NULL },
	{ "show", "show [ IFACE-ID ]", NULL, "@bound", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct vctl_key k_xml[] = { { "xml", NULL }, { "--xml", NULL }, { NULL, NULL } };
static const struct vctl_verb v_registry[] = {
	{ "show", "show", NULL, NULL, NULL },
	{ "resolve", "resolve IFACE-ID [ xml ]", NULL, "@iface", k_xml },
	{ "export", "export libvirt-network NAME", NULL, "libvirt-network|@network", NULL },
	{ "policy", "policy { off | learn | enforce }", NULL, "off learn enforce", NULL },
	{ "hook",
	  "hook { network | qemu } NAME OPERATION SUB-OP EXTRA   (libvirt hook XML on stdin)", NULL,
	  "network qemu", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct vctl_verb v_config[] = {
	{ "reload", "reload", NULL, NULL, NULL },
	{ "show", "show", NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct vctl_obj vctl_objects[] = {
	{ "uplink", do_uplink, v_show_uplink, "show", NULL },
	{ "neighbor", do_neighbor, v_show_uplink, "show", NULL },
	{ "vsi", do_vsi, v_vsi, "show",
	  "where  MODE := { assoc | preassoc | preassoc-rr | deassoc }\n"
	  "       VSI := { uuid UUID | vsiid-format { ipv4 | ipv6 | mac | local | uuid } vsiid "
	  "VSIID }\n"
	  "       MGRID := { 0..255 | UUID | NAME (1-15 letters, digits, '-', '_', '.') }\n"
	  "       FILTER := filter [ mac MAC ] [ vid VID ] [ pcp PCP ] [ group GROUPID ]\n"
	  "       FFORMAT := { vid | mac-vid | group-vid | group-mac-vid }\n"
	  "       HINTS := { none | migrate-to | migrate-from }\n"
	  "VID 0 asks the bridge to choose the VLAN.  Without format, it follows from the\n"
	  "filter fields given.  add and del wait 10 s for the bridge unless told otherwise\n"
	  "(in a batch, -b, they do not).  wait: until no VSI awaits the bridge (default 60 s).\n"
	  "\"add ... mode deassoc\" (vdptool's spelling) is \"del\".\n" },
	{ "stats", do_stats, v_show_uplink, "show", NULL },
	{ "monitor", do_monitor, v_monitor, NULL,
	  "where  TOPIC := { vsi | uplink | link | config | registry }   (default: all)\n"
	  "       -t: each event with its time\n" },
	{ "profile", do_profile, v_profile, NULL,
	  "where  MGRID := { 0..255 }   (libvirt's one-octet managerid; the same rule as vsi's "
	  "mgrid)\n"
	  "       FFORMAT := { vid | mac-vid | group-vid | group-mac-vid }\n" },
	{ "physnet", do_physnet, v_physnet, NULL, NULL },
	{ "network", do_network, v_network, NULL, NULL },
	{ "port", do_port, v_port, NULL, NULL },
	{ "attachment", do_attachment, v_attachment, NULL,
	  "add waits for the switch's answer when the interface is bound (--no-wait: do not).\n" },
	{ "binding", do_binding, v_binding, NULL,
	  "add waits for the switch's answer (--no-wait: do not).\n" },
	{ "registry", do_registry, v_registry, "show", NULL },
	{ "config", do_config, v_config, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct vctl_verb vctl_status = { "status", "--etcd ENDPOINTS status IFACE-ID", NULL, "@iface",
				       NULL };

/* The spellings before the noun-verb grammar; kept for one release. */
const struct vctl_alias vctl_aliases[] = {
	{ "attach", "attachment", "add" },
	{ "detach", "attachment", "del" },
	{ "bind", "binding", "add" },
	{ "unbind", "binding", "del" },
	{ "resolve", "registry", "resolve" },
	{ "export", "registry", "export" },
	{ "hook", "registry", "hook" },
	{ "neighbour", "neighbor", NULL },
	{ NULL, NULL, NULL },
};

int vctl_matches(const char *word, const char *name)
{
	size_t n = strlen(word);

	return n > 0 && n <= strlen(name) && strncmp(word, name, n) == 0;
}

const struct vctl_obj *vctl_obj_find(const char *name)
{
	for (const struct vctl_obj *o = vctl_objects; o->name; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

/* Words after lead, wrapped before column 100 under the first word. */
static int wrap(FILE *out, int col, int indent, const char *w)
{
	if (col + (int)strlen(w) + 1 > 99) {
		fprintf(out, "\n%*s", indent, "");
		col = indent;
	}
	return col + fprintf(out, " %s", w);
}

void vctl_usage(FILE *out)
{
	char buf[64];
	int col;

	fprintf(out,
		"Usage: vdpctl [ OPTIONS ] OBJECT { COMMAND | help }\n"
		"       vdpctl [ OPTIONS ] help\n"
		"       vdpctl [ OPTIONS ] -b | -batch FILENAME [ -force ]\n"
		"       vdpctl [ OPTIONS ] %s\n"
		"where  OBJECT := {",
		vctl_status.usage);
	col = 17;
	for (const struct vctl_obj *o = vctl_objects; o->name; o++) {
		snprintf(buf, sizeof(buf), "%s%s", o->name, o[1].name ? " |" : " }");
		col = wrap(out, col, 17, buf);
	}
	fprintf(out,
		"\n"
		"       OPTIONS := { -j | --json | -p | --pretty | -s | --socket PATH |\n"
		"                    -t | --timeout MS | --no-wait | --etcd ENDPOINTS |\n"
		"                    -V | --version | -h | --help }\n"
		"Options may also follow the object (vdpctl vsi show -j); there -t of monitor\n"
		"asks for timestamps.  Keywords may be abbreviated while unambiguous.\n\n");
	for (const struct vctl_obj *o = vctl_objects; o->name; o++)
		for (const struct vctl_verb *v = o->verbs; VCTL_VERB_LIVE(v); v++)
			if (v->usage)
				fprintf(out, "       vdpctl %s %s\n", o->name, v->usage);
	col = fprintf(out, "\nOld spellings, kept for one release:") - 1;
	for (const struct vctl_alias *a = vctl_aliases; a->name; a++) {
		snprintf(buf, sizeof(buf), "%s = %s%s%s%s", a->name, a->object, a->verb ? " " : "",
			 a->verb ? a->verb : "", a[1].name ? "," : ".");
		col = wrap(out, col, 6, buf);
	}
	fprintf(out, "\nTry \"vdpctl OBJECT help\" for the arguments of one object.\n");
}

void vctl_help_object(const struct vctl_obj *o, FILE *out)
{
	const char *lead = "Usage:";

	for (const struct vctl_verb *v = o->verbs; VCTL_VERB_LIVE(v); v++)
		if (v->usage) {
			fprintf(out, "%s vdpctl %s %s\n", lead, o->name, v->usage);
			lead = "      ";
		}
	if (o->where)
		fputs(o->where, out);
}

void vctl_help(void)
{
	const struct vctl_obj *o = vctl.object ? vctl_obj_find(vctl.object) : NULL;

	if (o)
		vctl_help_object(o, stderr);
	else
		vctl_usage(stderr);
}
