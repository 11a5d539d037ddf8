/* Optional data path: the Linux bridge forwards a station port's frames
 * only from the MACs of associated VSIs, and (VLAN isolation, the default)
 * only to a VSI of the same VLAN.  An nftables bridge-family table holds
 * the MACs (set vsi_macs), each MAC's VID (map vsi_vlan) and the
 * (MAC . VID) pairs (set vsi_ep), all from the confirmed filters; a
 * forward-hook chain drops frames entering from a station-facing port whose
 * source MAC is not associated, copies the source's VID into the packet
 * mark, and drops a unicast frame leaving by a station-facing port unless
 * (destination MAC . mark) is an associated endpoint.  The VEPA frames are
 * untagged (the VID lives only in the VDP filter, 41.2.9), so the VLAN of
 * a frame is that of the VSI that sent it.  Broadcast and multicast pass
 * from any associated source (ARP); the unicast answer is what the VLAN
 * check stops.  Hairpin (reflective relay, 802.1Qbg clause 40) is turned
 * on for the station ports, so VM-to-VM traffic on one host goes out and
 * back as VEPA requires.
 *
 * nft runs as a child process on a script file (one nft transaction per
 * run, so the set is never half-written); the loop watches SIGCHLD.  Only
 * one child at a time: changes arriving meanwhile are coalesced into the
 * next run, which writes the whole set (flush + add), so a lost or failed
 * run is repaired by the next. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <event2/event.h>

#include "vdp/base/log.h"
#include "vdp/wire/vdp_text.h"
#include "tools/vdp-bridge/vdp-bridge.h"

enum dp_job {
	DP_NONE,
	DP_SETUP,
	DP_SYNC,
};

struct datapath {
	struct event_base *base;
	struct vbr_datapath_conf conf;
	size_t n_ports;
	char (*ports)[IF_NAMESIZE];
	struct event *chld_ev;
	struct event *retry_ev;
	pid_t child;
	enum dp_job job;
	char script[64];
	bool setup_done;
	uint64_t gen;		/* generation of want */
	uint64_t gen_running;	/* generation the running sync writes */
	uint64_t gen_synced;	/* generation known to be in the kernel */
	size_t n_want;
	struct vbr_dp_entry *want;	/* sorted by MAC, then VID; unique */
	uint64_t runs;
	uint64_t errors;
	char last_error[128];
};

static void dp_kick(struct datapath *d);

static int entry_cmp(const void *a, const void *b)
{
	const struct vbr_dp_entry *x = a, *y = b;
	int c = memcmp(x->mac, y->mac, 6);

	return c ? c : (int)x->vid - (int)y->vid;
}

/* want[i] is the first entry of its MAC: that VID is the MAC's VLAN as a
 * source (an untagged frame cannot say which of several it meant). */
static bool first_of_mac(const struct datapath *d, size_t i)
{
	return i == 0 || memcmp(d->want[i - 1].mac, d->want[i].mac, 6) != 0;
}

static void set_hairpin(const char *port)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/brport/hairpin_mode", port);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1)
		log_warn("dp", "%s: cannot turn hairpin on (%s): is it a bridge port?", port, strerror(errno));
	else
		log_info("dp", "%s: hairpin on", port);
	if (fd >= 0)
		close(fd);
}

/* The table, its sets and the forward chain (a setup job). */
static void write_table(FILE *f, const struct datapath *d)
{
	const char *t = d->conf.table;
	bool vl = d->conf.vlan_isolation;
	char ports[VBR_MAX_IFACES * (IF_NAMESIZE + 4) + 8];
	size_t o = 0;

	/* Create-then-delete makes the delete safe on a clean start. */
	fprintf(f, "table bridge %s {}\ndelete table bridge %s\n", t, t);
	fprintf(f, "table bridge %s {\n\tset vsi_macs { type ether_addr; }\n", t);
	if (vl)
		fprintf(f,
			"\tmap vsi_vlan { type ether_addr : mark; }\n"
			"\tset vsi_ep { type ether_addr . mark; }\n");
	fprintf(f, "\tchain forward {\n\t\ttype filter hook forward priority 0; policy accept;\n");
	if (d->n_ports) {
		o += (size_t)snprintf(ports + o, sizeof(ports) - o, "{");
		for (size_t i = 0; i < d->n_ports && o < sizeof(ports); i++)
			o += (size_t)snprintf(ports + o, sizeof(ports) - o, "%s \"%s\"",
					      i ? "," : "", d->ports[i]);
		if (o < sizeof(ports))
			snprintf(ports + o, sizeof(ports) - o, " }");
		fprintf(f, "\t\tiifname %s ether saddr != @vsi_macs counter drop\n", ports);
		if (vl) {
			/* The mark carries the sender's VID to the egress
			 * check; group bit set = broadcast or multicast,
			 * which any VSI may send. */
			fprintf(f, "\t\tiifname %s meta mark set ether saddr map @vsi_vlan\n",
				ports);
			fprintf(f,
				"\t\tiifname %s ether daddr & 01:00:00:00:00:00 == "
				"01:00:00:00:00:00 accept\n",
				ports);
			fprintf(f,
				"\t\tiifname %s oifname %s ether daddr . meta mark != @vsi_ep "
				"counter drop\n",
				ports, ports);
		}
	}
	fprintf(f, "\t}\n}\n");
}

/* The sets' contents: the wanted MACs, and with VLAN isolation their VIDs. */
static void write_elements(FILE *f, const struct datapath *d)
{
	const char *t = d->conf.table;
	char m[VDP_TXT_MAC_LEN];
	size_t k = 0;

	fprintf(f, "flush set bridge %s vsi_macs\n", t);
	if (d->conf.vlan_isolation)
		fprintf(f, "flush map bridge %s vsi_vlan\nflush set bridge %s vsi_ep\n", t, t);
	if (!d->n_want)
		return;
	fprintf(f, "add element bridge %s vsi_macs {", t);
	for (size_t i = 0; i < d->n_want; i++) {
		if (!first_of_mac(d, i))
			continue;
		vdp_txt_mac_format(d->want[i].mac, m);
		fprintf(f, "%s %s", k++ ? "," : "", m);
	}
	fprintf(f, " }\n");
	if (!d->conf.vlan_isolation)
		return;
	k = 0;
	fprintf(f, "add element bridge %s vsi_vlan {", t);
	for (size_t i = 0; i < d->n_want; i++) {
		if (!first_of_mac(d, i))
			continue;
		vdp_txt_mac_format(d->want[i].mac, m);
		fprintf(f, "%s %s : %u", k++ ? "," : "", m, d->want[i].vid);
	}
	fprintf(f, " }\nadd element bridge %s vsi_ep {", t);
	for (size_t i = 0; i < d->n_want; i++) {
		vdp_txt_mac_format(d->want[i].mac, m);
		fprintf(f, "%s %s . %u", i ? "," : "", m, d->want[i].vid);
	}
	fprintf(f, " }\n");
}

/* Writes the script for the next job into a new temporary file; a setup
 * continues with the contents, so one run is enough. */
static int write_script(struct datapath *d, enum dp_job job)
{
	FILE *f;
	int fd;

	snprintf(d->script, sizeof(d->script), "/tmp/vdp-bridge-nft.XXXXXX");
	fd = mkstemp(d->script);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(d->script);
		return -ENOMEM;
	}
	if (job == DP_SETUP)
		write_table(f, d);
	write_elements(f, d);
	if (fclose(f) != 0) {
		unlink(d->script);
		return -EIO;
	}
	return 0;
}

static pid_t spawn_nft(const char *nft, const char *arg1, const char *arg2, const char *arg3,
		       const char *arg4)
{
	pid_t pid = fork();

	if (pid == 0) {
		/* Child: nft inherits stderr, so its complaints reach our log. */
		execlp(nft, nft, arg1, arg2, arg3, arg4, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void dp_fail(struct datapath *d, const char *what)
{
	struct timeval tv = { 1, 0 };

	d->errors++;
	snprintf(d->last_error, sizeof(d->last_error), "%s", what);
	log_err("dp", "%s", what);
	evtimer_add(d->retry_ev, &tv);
}

static void dp_kick(struct datapath *d)
{
	enum dp_job job;
	int err;

	if (d->child > 0 || evtimer_pending(d->retry_ev, NULL))
		return;
	if (!d->setup_done)
		job = DP_SETUP;
	else if (d->gen_synced != d->gen)
		job = DP_SYNC;
	else
		return;
	err = write_script(d, job);
	if (err < 0) {
		dp_fail(d, "cannot write the nft script");
		return;
	}
	d->gen_running = d->gen;
	d->child = spawn_nft(d->conf.nft, "-f", d->script, NULL, NULL);
	if (d->child < 0) {
		d->child = 0;
		unlink(d->script);
		dp_fail(d, "cannot fork nft");
		return;
	}
	d->job = job;
	d->runs++;
	log_debug("dp", "nft %s started (pid %d, %zu MAC/VID pairs)", job == DP_SETUP ? "setup" : "sync",
		  (int)d->child, d->n_want);
}

static void chld_cb(evutil_socket_t sig, short what, void *arg)
{
	struct datapath *d = arg;
	int status;
	pid_t pid;

	(void)sig;
	(void)what;
	if (d->child <= 0)
		return;
	pid = waitpid(d->child, &status, WNOHANG);
	if (pid != d->child)
		return;
	d->child = 0;
	unlink(d->script);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (d->job == DP_SETUP)
			log_info("dp", "table bridge %s ready (%zu station ports)", d->conf.table, d->n_ports);
		d->setup_done = true;
		d->gen_synced = d->gen_running;
		d->last_error[0] = 0;
	} else {
		char msg[128];

		snprintf(msg, sizeof(msg), "nft %s failed (%s %d)", d->job == DP_SETUP ? "setup" : "sync",
			 WIFEXITED(status) ? "exit" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		d->job = DP_NONE;
		dp_fail(d, msg);
		return;
	}
	d->job = DP_NONE;
	dp_kick(d);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dp_kick(arg);
}

struct datapath *datapath_new(struct event_base *base, const struct vbr_datapath_conf *c,
			      const char *const *ports, size_t n_ports)
{
	struct datapath *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->base = base;
	d->conf = *c;
	d->ports = calloc(n_ports ? n_ports : 1, IF_NAMESIZE);
	d->chld_ev = evsignal_new(base, SIGCHLD, chld_cb, d);
	d->retry_ev = evtimer_new(base, retry_cb, d);
	if (!d->ports || !d->chld_ev || !d->retry_ev || event_add(d->chld_ev, NULL) < 0) {
		datapath_free(d);
		return NULL;
	}
	for (size_t i = 0; i < n_ports; i++) {
		snprintf(d->ports[i], IF_NAMESIZE, "%s", ports[i]);
		if (c->hairpin)
			set_hairpin(ports[i]);
	}
	d->n_ports = n_ports;
	dp_kick(d);
	return d;
}

void datapath_set(struct datapath *d, const struct vbr_dp_entry *e, size_t n)
{
	struct vbr_dp_entry *w = NULL;
	size_t k = 0;

	if (n) {
		w = malloc(n * sizeof(*w));
		if (!w)
			return;
		memcpy(w, e, n * sizeof(*w));
		qsort(w, n, sizeof(*w), entry_cmp);
		for (size_t i = 0; i < n; i++)
			if (k == 0 || entry_cmp(&w[k - 1], &w[i]) != 0)
				w[k++] = w[i];
	}
	if (k == d->n_want && (k == 0 || memcmp(w, d->want, k * sizeof(*w)) == 0)) {
		free(w);
		return;
	}
	free(d->want);
	d->want = w;
	d->n_want = k;
	d->gen++;
	dp_kick(d);
}

json_t *datapath_json(const struct datapath *d)
{
	json_t *macs = json_array(), *eps = json_array(), *ports = json_array();
	char m[VDP_TXT_MAC_LEN];

	for (size_t i = 0; i < d->n_want; i++) {
		vdp_txt_mac_format(d->want[i].mac, m);
		if (first_of_mac(d, i))
			json_array_append_new(macs, json_string(m));
		json_array_append_new(eps, json_pack("{s:s, s:i}", "mac", m, "vid", d->want[i].vid));
	}
	for (size_t i = 0; i < d->n_ports; i++)
		json_array_append_new(ports, json_string(d->ports[i]));
	return json_pack("{s:b, s:s, s:s, s:o, s:b, s:b, s:b, s:I, s:I, s:I, s:s, s:o, s:o}",
			 "enabled", true, "bridge", d->conf.bridge, "table", d->conf.table,
			 "ports", ports, "vlan_isolation", d->conf.vlan_isolation, "ready", d->setup_done,
			 "synced", d->setup_done && d->gen_synced == d->gen && d->child == 0,
			 "generation", (json_int_t)d->gen, "runs", (json_int_t)d->runs,
			 "errors", (json_int_t)d->errors, "last_error", d->last_error, "macs", macs,
			 "endpoints", eps);
}

void datapath_free(struct datapath *d)
{
	int status;
	pid_t pid;

	if (!d)
		return;
	if (d->child > 0) {
		waitpid(d->child, &status, 0);
		unlink(d->script);
	}
	if (d->setup_done) {
		/* At exit: leave no filter behind that would cut the VMs off. */
		pid = spawn_nft(d->conf.nft, "delete", "table", "bridge", d->conf.table);
		if (pid > 0)
			waitpid(pid, &status, 0);
	}
	if (d->chld_ev)
		event_free(d->chld_ev);
	if (d->retry_ev)
		event_free(d->retry_ev);
	free(d->ports);
	free(d->want);
	free(d);
}
