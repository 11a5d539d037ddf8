/* attachment add and binding add: the registry took the change; this
 * tells what became of it at the switch.  Either it cannot be realized
 * yet (not attached, not bound, the uplink absent or down, EVB not
 * negotiated: said, exit 0, the daemon asks when it can), or vdpctl waits
 * for the switch's answer (bounded, --no-wait skips) and exits non-zero
 * with the bridge's reason when refused, Keep or not. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tools/vdpctl/vdpctl.h"

#define OUTCOME_WAIT_S 10

struct told {
	const char *outcome; /* associated, refused, pending, requested, timeout, 802.1Qbh */
	char reason[256];
	json_t *vsi; /* the station's VSI when there is one */
};

static json_t *call1(const char *cmd, json_t *args)
{
	json_t *res = vctl_call(cmd, args);

	json_decref(args);
	return res;
}

bool vctl_uplink_waits(const char *uplink, const char *what, char *why, size_t len)
{
	json_t *args = json_pack("{s:s}", "uplink", uplink);
	json_t *ups = vctl_call_quiet("uplink.show", args), *u = json_array_get(ups, 0);
	bool waits = true;

	json_decref(args);
	if (!u)
		snprintf(why, len,
			 "uplink %s is not one of vdpd's uplinks (vdpd.conf uplinks): the %s "
			 "waits for it",
			 uplink, what);
	else if (!vctl_bool(u, "present"))
		snprintf(why, len, "uplink %s is absent (%s): the %s waits for it", uplink,
			 vctl_str(u, "reason"), what);
	else if (strcmp(vctl_str(u, "link"), "up") != 0)
		snprintf(why, len, "uplink %s is %s: the %s waits for it", uplink,
			 vctl_str(u, "link"), what);
	else if (!vctl_bool(u, "converged"))
		snprintf(why, len, "EVB is not negotiated on %s yet: the %s waits for the switch",
			 uplink, what);
	else
		waits = false;
	json_decref(ups);
	return waits;
}

static json_t *call1q(const char *cmd, json_t *args)
{
	json_t *res = vctl_call_quiet(cmd, args);

	json_decref(args);
	return res;
}

/* Why the switch cannot be asked yet; false when it can. */
static bool not_yet(const char *id, struct told *t, char *uplink, size_t len)
{
	json_t *r;
	bool waits = true;

	t->outcome = "pending";
	r = call1q("resolve", json_pack("{s:s, s:b}", "iface_id", id, "xml", 0));
	if (!r) {
		snprintf(t->reason, sizeof(t->reason),
			 "not attached to a network: the switch is asked once it is");
		return true;
	}
	snprintf(uplink, len, "%s", vctl_str(r, "uplink"));
	if (!vctl_bool(r, "bound")) {
		snprintf(t->reason, sizeof(t->reason),
			 "not bound yet: the switch is asked once it is "
			 "(binding add IFACE-ID mac MAC uplink IFNAME)");
	} else if (strcmp(vctl_str(json_object_get(r, "virtualport"), "type"), "802.1Qbg") != 0) {
		t->outcome = "802.1Qbh";
		snprintf(t->reason, sizeof(t->reason), "%s",
			 json_object_get(r, "qbh") ? vctl_str(json_object_get(r, "qbh"), "result")
						   : "no answer from the NIC driver");
	} else {
		waits = vctl_uplink_waits(uplink, "association", t->reason, sizeof(t->reason));
	}
	json_decref(r);
	return waits;
}

static void ask_switch(const char *id, const char *uplink, struct told *t)
{
	long long deadline = vctl_now_ms() + OUTCOME_WAIT_S * 1000LL;
	enum vctl_outcome o = PENDING;

	if (vctl.no_wait) {
		t->outcome = "requested";
		snprintf(t->reason, sizeof(t->reason),
			 "on %s (not waiting for the switch's answer)", uplink);
		return;
	}
	for (;;) {
		json_t *res =
			call1("vsi.show", json_pack("{s:s, s:s}", "uplink", uplink, "id", id));

		if (!res)
			break;
		json_decref(t->vsi);
		t->vsi = json_incref(json_array_get(res, 0));
		json_decref(res);
		o = vctl_vsi_judge(t->vsi, false);
		if (o != PENDING || vctl_now_ms() >= deadline)
			break;
		usleep(50000);
	}
	t->outcome = o == DONE ? "associated" : o == PENDING ? "timeout" : "refused";
	if (o == DONE)
		snprintf(t->reason, sizeof(t->reason), "on %s", uplink);
	else if (o == PENDING)
		snprintf(t->reason, sizeof(t->reason),
			 "no answer from the switch within %d s (the request "
			 "stays queued)",
			 OUTCOME_WAIT_S);
	else
		snprintf(t->reason, sizeof(t->reason), "%s",
			 t->vsi ? vctl_str(t->vsi, "status_text") : "VSI vanished");
}

int vctl_registry_outcome(const char *id, json_t *change)
{
	struct told t = { 0 };
	char uplink[64] = "";
	bool failed;

	if (vctl.etcd) {
		/* no vdpd here: the host that binds it associates it */
		t.outcome = "stored";
		snprintf(t.reason, sizeof(t.reason),
			 "in the fleet store (vdpctl status %s tells the association)", id);
	} else if (!not_yet(id, &t, uplink, sizeof(uplink))) {
		ask_switch(id, uplink, &t);
	}
	failed = !strcmp(t.outcome, "refused") || !strcmp(t.outcome, "timeout");
	if (vctl.json) {
		json_t *o = json_pack("{s:O, s:s, s:s, s:O?}", "registry", change, "outcome",
				      t.outcome, "reason", t.reason, "vsi", t.vsi);

		vctl_print_json(o);
		json_decref(o);
	} else {
		if (t.vsi && failed)
			vctl_print_vsi(t.vsi);
		if (!failed)
			printf("%s%s%s\n", t.outcome,
			       t.vsi || !strcmp(t.outcome, "requested") ? " " : ": ", t.reason);
	}
	fflush(stdout);
	if (failed && !strcmp(t.outcome, "refused"))
		vctl_vsi_failure(t.vsi, "association");
	else if (failed)
		fprintf(stderr, "Error: %s\n", t.reason);
	json_decref(t.vsi);
	return failed ? EXIT_FAIL : EXIT_OK;
}
