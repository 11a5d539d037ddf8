/* vdpd's own control-socket commands (see ctl_cmds.h).  Every handler validates its arguments
 * completely before it changes anything, and answers with the state that
 * resulted; outcomes that take a round trip to the bridge (association) are
 * read back later with vsi.show.
 *
 * JSON conventions (docs/man/vdpctl.8): keys snake_case, lists always
 * arrays (also of one or none), numbers as numbers, booleans as booleans. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/base/log.h"
#include "vdp/base/logburst.h"
#include "vdp/ctl/ctl.h"
#include "vdp/daemon/ctl_cmds.h"
#include "vdp/daemon/fleet_vdpd.h"
#include "vdp/daemon/intents.h"
#include "vdp/daemon/vdpd.h"
#include "vdp/io/linkmon.h"
#include "vdp/io/qbh.h"
#include "vdp/nlfront/nl_front.h"
#include "vdp/wire/vdp_text.h"
#include "vdp/daemon/reconcile.h"
#include "vdp/daemon/reconcile_vdpd.h"

/* ---- argument helpers ---- */

static const char *arg_str(json_t *args, const char *key, bool *bad)
{
	json_t *j = json_object_get(args, key);

	if (!j)
		return NULL;
	if (!json_is_string(j)) {
		*bad = true;
		return NULL;
	}
	return json_string_value(j);
}

/* Numbers may come as JSON numbers or as strings (vdpctl passes what the
 * operator typed; "0x10" is fine). */
static int arg_uint(json_t *args, const char *key, uint32_t max, uint32_t *out, bool *present,
		    struct ctl_error *err)
{
	json_t *j = json_object_get(args, key);

	*present = j != NULL;
	if (!j)
		return 0;
	if (json_is_integer(j)) {
		json_int_t v = json_integer_value(j);

		if (v < 0 || (uint64_t)v > max)
			goto range;
		*out = (uint32_t)v;
		return 0;
	}
	if (json_is_string(j) && vdp_txt_uint(json_string_value(j), max, out) == 0)
		return 0;
range:
	ctl_fail(err, EINVAL, "%s must be a number 0..%u", key, max);
	return -1;
}

static struct vdpd_uplink *need_uplink(struct vdpd *d, json_t *args, bool required,
				       struct ctl_error *err, bool *failed)
{
	bool bad = false;
	const char *name = arg_str(args, "uplink", &bad);
	struct vdpd_uplink *du;
	char known[256] = "";

	*failed = false;
	if (bad || (!name && required)) {
		*failed = true;
		ctl_fail(err, EINVAL, "uplink (an interface name) is required");
		return NULL;
	}
	if (!name)
		return NULL;
	du = vdpd_find_uplink(d, name);
	if (du)
		return du;
	for (size_t i = 0; i < d->n_uplinks; i++) {
		size_t n = strlen(known);

		snprintf(known + n, sizeof(known) - n, "%s%s", n ? ", " : "", d->uplinks[i]->cfg.name);
	}
	*failed = true;
	ctl_fail(err, ENODEV, "%s is not a configured uplink (configured: %s)", name,
		 *known ? known : "none");
	return NULL;
}

/* ---- JSON of state ---- */

/* vid_assigned / pcp_assigned: the bridge filled in the VID (we asked
 * for VID 0) or set a priority (we asked for none), 802.1Qbg 41.2.9. */
static json_t *filter_json(uint8_t fmt, const struct vsi_fent *fe)
{
	const struct vdp_filter *f = &fe->f;
	char mac[VDP_TXT_MAC_LEN];
	json_t *o = json_pack("{s:i, s:i, s:b, s:b, s:b}", "vid", vdp_vid(f->ps_pcp_vid), "pcp",
			      vdp_pcp(f->ps_pcp_vid), "ps", vdp_ps(f->ps_pcp_vid), "vid_assigned",
			      vdp_vid(fe->asked) == 0 && vdp_vid(f->ps_pcp_vid) != 0,
			      "pcp_assigned", !vdp_ps(fe->asked) && vdp_ps(f->ps_pcp_vid));

	if (fmt == VDP_FILTER_MAC_VID || fmt == VDP_FILTER_GROUP_MAC_VID) {
		vdp_txt_mac_format(f->mac, mac);
		json_object_set_new(o, "mac", json_string(mac));
	}
	if (fmt == VDP_FILTER_GROUP_VID || fmt == VDP_FILTER_GROUP_MAC_VID)
		json_object_set_new(o, "group", json_integer(f->group_id));
	return o;
}

json_t *vdpd_vsi_json(const struct vdpd_uplink *du, const struct vsi *v)
{
	char id[VDP_TXT_VSIID_LEN], mgr[VDP_TXT_MGRID_LEN];
	json_t *filters = json_array();

	vdp_txt_vsiid_format(v->vsiid_fmt, v->vsiid, id);
	vdp_txt_mgrid_format(v->mgrid, mgr);
	for (uint16_t i = 0; i < v->n_filters; i++)
		json_array_append_new(filters, filter_json(v->filter_fmt, &v->filters[i]));
	return json_pack(
		"{s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:o, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:b, "
		"s:o}",
		"uplink", du->cfg.name, "vsiid_format", vdp_txt_vsiid_fmt_name(v->vsiid_fmt),
		"vsiid", id, "mgrid", mgr, "typeid", (int)v->type_id, "typeidver",
		(int)v->type_version, "filter_format", vdp_txt_filter_fmt_name(v->filter_fmt),
		"filters", filters, "mode", vdp_txt_mode_name(v->mode_req), "state",
		vdp_txt_mode_name(v->mode_cur), "sm_state", vdp_station_state_name(v->state),
		"hints", vdp_txt_hints_name(v->hints), "status", (int)v->status, "status_text",
		v->status & VDP_STATUS_REASON ? vdp_reason_name(v->status & VDP_STATUS_REASON)
					      : "success",
		"end_reason", vdp_end_reason_name(v->reason), "in_flight",
		(v->flags & VSI_F_INFLIGHT) != 0, "retry",
		vdpd_reconcile_vsi_json(du->rc, du->cfg.name, v));
}

static json_t *vsi_counts(struct vdp_station *st)
{
	size_t n[6] = { 0 };	/* total, assoc, preassoc, pending, ended, failed */

	for (struct vsi *v = st ? vdp_station_first(st) : NULL; v; v = vdp_station_next(st, v)) {
		n[0]++;
		if (v->state == VDP_ST_END) {
			n[4]++;
			if (v->reason != VDP_END_DEASSOCIATED)
				n[5]++;
		} else if (v->mode_cur == VDP_MODE_ASSOC) {
			n[1]++;
		} else if (v->mode_cur == VDP_MODE_PREASSOC || v->mode_cur == VDP_MODE_PREASSOC_RR) {
			n[2]++;
		}
		if (v->state != VDP_ST_END && v->mode_cur != v->mode_req)
			n[3]++;
	}
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "total", (json_int_t)n[0], "associated",
			 (json_int_t)n[1], "preassociated", (json_int_t)n[2], "pending",
			 (json_int_t)n[3], "ended", (json_int_t)n[4], "failed", (json_int_t)n[5]);
}

static json_t *cfg_json(const struct cfg_uplink *c)
{
	char mgr[VDP_TXT_MGRID_LEN];

	vdp_txt_mgrid_format(c->mgrid, mgr);
	return json_pack("{s:{s:i, s:i, s:i, s:i, s:b, s:b}, s:{s:i, s:i}, s:s}",
			 "evb", "r", c->evb.r, "rte", c->evb.rte, "rwd", c->evb.rwd, "rka", c->evb.rka,
			 "rrreq", c->evb.rrreq, "gid", c->evb.gid,
			 "lldp", "tx_interval", (int)c->tx_interval, "tx_hold", (int)c->tx_hold,
			 "mgrid", mgr);
}

static json_t *uplink_json(struct vdpd_uplink *du)
{
	json_t *o, *status = du->u ? uplink_status_json(du->u) : NULL;
	json_t *evb = status ? json_object_get(status, "evb") : NULL;
	json_t *peer = status ? json_object_get(status, "peer") : NULL;

	o = json_pack("{s:s, s:b, s:s, s:i, s:s, s:s, s:b, s:O?, s:O?, s:o, s:o}",
		      "name", du->cfg.name,
		      "present", du->u != NULL,
		      "reason", du->u ? "" : du->absent_why,
		      "ifindex", du->ifindex,
		      "mac", status ? json_string_value(json_object_get(status, "mac")) : "",
		      "link", du->u ? (uplink_link_up(du->u) ? "up" : "down") : "absent",
		      "converged", du->u && uplink_converged(du->u),
		      "evb", evb, "peer", peer,
		      "vsis", vsi_counts(du->u ? uplink_station(du->u) : NULL),
		      "config", cfg_json(&du->cfg));
	/* Added last: the group address LLDP and ECP are admitted to. */
	if (o && status)
		json_object_set(o, "group", json_object_get(status, "group"));
	json_decref(status);
	return o;
}

/* ---- commands ---- */

static json_t *cmd_uplink_show(void *ctx, json_t *args, struct ctl_error *err)
{
	struct vdpd *d = ctx;
	bool failed;
	struct vdpd_uplink *only = need_uplink(d, args, false, err, &failed);
	json_t *a;

	if (failed)
		return NULL;
	a = json_array();
	for (size_t i = 0; i < d->n_uplinks; i++)
		if (!only || d->uplinks[i] == only)
			json_array_append_new(a, uplink_json(d->uplinks[i]));
	return a;
}

static json_t *cmd_neighbor_show(void *ctx, json_t *args, struct ctl_error *err)
{
	struct vdpd *d = ctx;
	bool failed;
	struct vdpd_uplink *only = need_uplink(d, args, false, err, &failed);
	json_t *a;

	if (failed)
		return NULL;
	a = json_array();
	for (size_t i = 0; i < d->n_uplinks; i++) {
		struct vdpd_uplink *du = d->uplinks[i];
		json_t *st, *peer, *evb;

		if ((only && du != only) || !du->u)
			continue;
		st = uplink_status_json(du->u);
		peer = json_object_get(st, "peer");
		evb = json_object_get(st, "evb");
		/* Only uplinks with a neighbour: the list is what was heard. */
		if (json_is_object(peer))
			json_array_append_new(a,
					      json_pack("{s:s, s:O, s:O, s:O?, s:O, s:O, s:O, s:b}",
							"uplink", du->cfg.name, "chassis_id",
							json_object_get(peer, "chassis_id"),
							"port_id", json_object_get(peer, "port_id"),
							"mac", json_object_get(peer, "mac"), "ttl",
							json_object_get(peer, "ttl"), "evb",
							json_object_get(evb, "peer_tlv"),
							"negotiated", json_object_get(evb, "oper"),
							"converged", uplink_converged(du->u)));
		json_decref(st);
	}
	return a;
}

/* Budget of one vsi.show reply, well under CTL_MAX_FRAME; a VSI's JSON is
 * about 400 octets plus 110 per filter entry (with the vid_assigned and
 * pcp_assigned flags). */
#define VSI_SHOW_BUDGET (768u << 10)

static size_t vsi_json_estimate(const struct vsi *v)
{
	return 400 + 110 * (size_t)v->n_filters;
}

/* ',' before every VSI but the first of the array. */
static void vsi_item(struct jfast_buf *out, size_t *n, const struct vdpd_uplink *du,
		     const struct vsi *v)
{
	if ((*n)++)
		jfast_put(out, ",", 1);
	vdpd_vsi_text(out, du, v);
}

static int parse_vsiid(json_t *args, uint8_t *fmt, uint8_t id[VDP_VSIID_LEN],
		       struct ctl_error *err);

/* Where a vsi.show page resumes: after this VSI of uplinks[ui], in the
 * order of uplinks and then of each uplink's VSI table (which does not
 * depend on the table's size).  A VSI given by "after" need not exist any
 * more. */
struct vsi_cursor {
	size_t ui;
	uint8_t fmt;
	uint8_t id[VDP_VSIID_LEN];
};

/* "after": {uplink, vsiid_format, vsiid} of the last VSI of the previous
 * page (the VSI object itself will do).  0 if absent, 1 if set, -1. */
static int parse_after(struct vdpd *d, json_t *args, struct vsi_cursor *c, struct ctl_error *err)
{
	json_t *a = json_object_get(args, "after");
	struct vdpd_uplink *du;
	bool failed;

	if (!a)
		return 0;
	if (!json_is_object(a))
		return ctl_failed(err, EINVAL,
				  "after must be an object {uplink, vsiid_format, vsiid}");
	du = need_uplink(d, a, true, err, &failed);
	if (failed || parse_vsiid(a, &c->fmt, c->id, err) < 0)
		return -1;
	for (c->ui = 0; d->uplinks[c->ui] != du; c->ui++)
		;
	return 1;
}

/* vsi.show args: uplink, id (any VSIID format, looked up in O(1)), and for
 * paging offset (VSIs to skip) or after (resume behind a VSI, O(1) per
 * page; offset is then ignored), and limit (at most this many).  A page also ends when it would
 * get too large for one message; a paging client asks until it gets an
 * empty array.  With offset the pages hold together only while no VSI is
 * added or removed; with after a VSI present through the walk is shown
 * exactly once and none twice. */
static int cmd_vsi_show(void *ctx, json_t *args, struct ctl_error *err, struct jfast_buf *out)
{
	struct vdpd *d = ctx;
	bool failed, bad = false, has, paging;
	struct vdpd_uplink *only = need_uplink(d, args, false, err, &failed);
	const char *id = arg_str(args, "id", &bad);
	uint32_t offset = 0, limit = UINT32_MAX;
	size_t skipped = 0, size = 0, n = 0;
	struct vsi_cursor cur;
	int after;

	if (failed)
		return -1;
	if (bad)
		return ctl_failed(err, EINVAL, "id must be a string");
	if ((after = parse_after(d, args, &cur, err)) < 0)
		return -1;
	if (arg_uint(args, "offset", UINT32_MAX, &offset, &has, err) < 0)
		return -1;
	/* A client may send offset along for a vdpd without "after". */
	if (after)
		offset = 0;
	paging = has || after;
	if (arg_uint(args, "limit", UINT32_MAX, &limit, &has, err) < 0)
		return -1;
	paging |= has;
	jfast_put(out, "[", 1);
	for (size_t i = after ? cur.ui : 0; i < d->n_uplinks; i++) {
		struct vdpd_uplink *du = d->uplinks[i];
		struct vdp_station *st = du->u ? uplink_station(du->u) : NULL;
		bool resume = after && i == cur.ui;
		struct vsi *v;

		if ((only && du != only) || !st)
			continue;
		if (id) {
			/* The text may be a VSIID of any format (a MAC is also
			 * 32 hex digits long only as "local"): try each. */
			for (uint8_t f = VDP_VSIID_IPV4; f <= VDP_VSIID_UUID; f++) {
				uint8_t b[VDP_VSIID_LEN];

				if (vdp_txt_vsiid_parse(f, id, b) == 0 &&
				    (v = vdp_station_find(st, f, b)) &&
				    (!resume || vdp_station_cmp(st, v, cur.fmt, cur.id) > 0) &&
				    skipped++ >= offset && n < limit)
					vsi_item(out, &n, du, v);
			}
			continue;
		}
		v = resume ? vdp_station_after(st, cur.fmt, cur.id) : vdp_station_first(st);
		for (; v; v = vdp_station_next(st, v)) {
			if (skipped++ < offset)
				continue;
			/* Without paging everything is asked for; a reply over
			 * the cap then fails as a whole rather than silently
			 * leaving VSIs out. */
			if (n >= limit ||
			    (paging && n && size + vsi_json_estimate(v) > VSI_SHOW_BUDGET))
				goto done;
			size += vsi_json_estimate(v);
			vsi_item(out, &n, du, v);
		}
	}
done:
	jfast_put(out, "]", 1);
	return 0;
}

/* VSIID from "vsiid" (+ "vsiid_format", default uuid) or "uuid". */
static int parse_vsiid(json_t *args, uint8_t *fmt, uint8_t id[VDP_VSIID_LEN], struct ctl_error *err)
{
	bool bad = false;
	const char *f = arg_str(args, "vsiid_format", &bad);
	const char *s = arg_str(args, "vsiid", &bad);
	const char *u = arg_str(args, "uuid", &bad);
	int n;

	if (bad)
		return ctl_fail(err, EINVAL, "vsiid, vsiid_format and uuid must be strings"), -1;
	if (s && u)
		return ctl_fail(err, EINVAL, "give either uuid or vsiid, not both"), -1;
	if (u) {
		if (f && strcmp(f, "uuid") != 0)
			return ctl_fail(err, EINVAL, "uuid given with vsiid_format %s", f), -1;
		s = u;
	}
	if (!s)
		return ctl_fail(err, EINVAL, "the VSI's uuid (or vsiid) is required"), -1;
	n = f ? vdp_txt_vsiid_fmt_parse(f) : VDP_VSIID_UUID;
	if (n < 0)
		return ctl_fail(err, EINVAL, "vsiid_format \"%s\" is not one of ipv4, ipv6, mac, local, uuid", f), -1;
	if (vdp_txt_vsiid_parse((uint8_t)n, s, id) < 0)
		return ctl_fail(err, EINVAL, "\"%s\" is not a valid %s VSI ID", s,
				vdp_txt_vsiid_fmt_name((uint8_t)n)), -1;
	*fmt = (uint8_t)n;
	return 0;
}

/* Filter entry i (1-based in messages) of format fmt into out[i]; out[0..i)
 * are the entries before it, which it may not repeat. */
static int parse_filter(json_t *e, uint8_t fmt, struct vdp_filter *out, size_t i,
			struct ctl_error *err)
{
	bool need_mac = fmt == VDP_FILTER_MAC_VID || fmt == VDP_FILTER_GROUP_MAC_VID;
	bool need_group = fmt == VDP_FILTER_GROUP_VID || fmt == VDP_FILTER_GROUP_MAC_VID;
	struct vdp_filter *f = &out[i];
	bool bad = false;
	const char *mac = arg_str(e, "mac", &bad);
	uint32_t vid = 0, pcp = 0, group = 0;
	bool has_vid, has_pcp, has_group;

	memset(f, 0, sizeof(*f));
	if (bad)
		return ctl_fail(err, EINVAL, "filter %zu: mac must be a string", i + 1), -1;
	if (arg_uint(e, "vid", 4095, &vid, &has_vid, err) < 0 ||
	    arg_uint(e, "pcp", 7, &pcp, &has_pcp, err) < 0 ||
	    arg_uint(e, "group", 0xffffffffu, &group, &has_group, err) < 0)
		return -1;
	/* VID 4095 is reserved (802.1Q 9.6); 0 asks the bridge to
	 * choose (41.2.7). */
	if (vid == 4095)
		return ctl_fail(err, EINVAL, "filter %zu: VLAN ID 4095 is reserved", i + 1), -1;
	if (need_mac && !mac)
		return ctl_fail(err, EINVAL, "filter %zu: format %s needs a mac", i + 1,
				vdp_txt_filter_fmt_name(fmt)),
		       -1;
	if (!need_mac && mac)
		return ctl_fail(err, EINVAL, "filter %zu: format %s takes no mac", i + 1,
				vdp_txt_filter_fmt_name(fmt)),
		       -1;
	if (need_group && (!has_group || group == 0))
		return ctl_fail(err, EINVAL, "filter %zu: format %s needs a group ID 1..4294967295",
				i + 1, vdp_txt_filter_fmt_name(fmt)),
		       -1;
	if (!need_group && has_group)
		return ctl_fail(err, EINVAL, "filter %zu: format %s takes no group", i + 1,
				vdp_txt_filter_fmt_name(fmt)),
		       -1;
	if (mac && vdp_txt_mac_parse(mac, f->mac) < 0)
		return ctl_fail(err, EINVAL, "filter %zu: \"%s\" is not a MAC address", i + 1, mac),
		       -1;
	if (mac && (f->mac[0] & 1))
		return ctl_fail(err, EINVAL, "filter %zu: %s is a multicast MAC", i + 1, mac), -1;
	f->group_id = group;
	/* PS: the PCP is significant only when one was given. */
	f->ps_pcp_vid = (uint16_t)(vid | (has_pcp ? VDP_PS | pcp << VDP_PCP_SHIFT : 0));
	for (size_t j = 0; need_mac && j < i; j++)
		if (memcmp(out[j].mac, f->mac, 6) == 0 && vdp_vid(out[j].ps_pcp_vid) == vid &&
		    out[j].group_id == group)
			return ctl_fail(err, EINVAL, "filter %zu repeats filter %zu", i + 1, j + 1),
			       -1;
	return 0;
}

static int parse_filters(json_t *args, struct vdp_request *req, struct vdp_filter *out, size_t cap,
			 struct ctl_error *err)
{
	json_t *list = json_object_get(args, "filters");
	bool bad = false, any_mac = false, any_group = false;
	const char *ff = arg_str(args, "filter_format", &bad);
	int fmt = 0;
	size_t n, max;

	if (bad)
		return ctl_fail(err, EINVAL, "filter_format must be a string"), -1;
	if (!json_is_array(list) || json_array_size(list) == 0)
		return ctl_fail(err, EINVAL, "at least one filter entry (mac/vid/pcp/group) is required"), -1;
	n = json_array_size(list);
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(list, i);

		if (!json_is_object(e))
			return ctl_fail(err, EINVAL, "filter %zu is not an object", i + 1), -1;
		any_mac |= json_object_get(e, "mac") != NULL;
		any_group |= json_object_get(e, "group") != NULL;
	}
	if (ff) {
		fmt = vdp_txt_filter_fmt_parse(ff);
		if (fmt < 0)
			return ctl_fail(err, EINVAL, "filter format \"%s\" is not one of vid, mac-vid, "
					"group-vid, group-mac-vid", ff), -1;
	} else {
		/* Inferred from what the entries carry. */
		fmt = any_group ? (any_mac ? VDP_FILTER_GROUP_MAC_VID : VDP_FILTER_GROUP_VID)
				: (any_mac ? VDP_FILTER_MAC_VID : VDP_FILTER_VID);
	}
	/* 511 octets of TLV information (41.2.6) bound the entry count. */
	max = (VDP_TLV_MAX_INFO - VDP_ASSOC_FIXED) / vdp_filter_entry_size((uint8_t)fmt);
	if (max > cap)
		max = cap;
	if (n > max)
		return ctl_fail(err, EINVAL, "%zu filter entries; format %s allows at most %zu in one VSI TLV",
				n, vdp_txt_filter_fmt_name((uint8_t)fmt), max), -1;
	for (size_t i = 0; i < n; i++)
		if (parse_filter(json_array_get(list, i), (uint8_t)fmt, out, i, err) < 0)
			return -1;
	req->filter_fmt = (uint8_t)fmt;
	req->n_filters = (uint16_t)n;
	req->filters = out;
	return 0;
}

int vdpd_vsi_request_parse(struct vdpd *d, json_t *args, struct vdpd_uplink **dup,
			   struct vdp_request *req, struct vdp_filter *filters, struct ctl_error *err)
{
	bool failed, bad = false, has;
	struct vdpd_uplink *du = need_uplink(d, args, true, err, &failed);
	const char *mode = arg_str(args, "mode", &bad);
	const char *mgrid = arg_str(args, "mgrid", &bad);
	const char *hints = arg_str(args, "hints", &bad);
	uint32_t typeid = 0, typeidver = 0;
	int m;

	if (failed)
		return -1;
	if (bad)
		return ctl_fail(err, EINVAL, "mode, mgrid and hints must be strings"), -1;
	memset(req, 0, sizeof(*req));
	if (!mode)
		return ctl_fail(err, EINVAL, "mode (assoc, preassoc, preassoc-rr) is required"), -1;
	m = vdp_txt_mode_parse(mode);
	if (m < 0 || m == VDP_MODE_DEASSOC)
		return ctl_fail(err, EINVAL, "mode \"%s\" is not one of assoc, preassoc, preassoc-rr%s",
				mode, m == VDP_MODE_DEASSOC ? " (use vsi.del to de-associate)" : ""), -1;
	req->mode = (uint8_t)m;
	if (parse_vsiid(args, &req->vsiid_fmt, req->vsiid, err) < 0)
		return -1;
	memcpy(req->mgrid, du->cfg.mgrid, VDP_MGRID_LEN);
	if (mgrid && vdp_txt_mgrid_parse(mgrid, req->mgrid) < 0)
		return ctl_fail(err, EINVAL, "mgrid \"%s\" is not a number 0..255, a UUID or a name of "
				"up to 15 letters and digits", mgrid), -1;
	if (arg_uint(args, "typeid", 0xffffff, &typeid, &has, err) < 0)
		return -1;
	if (!has)
		return ctl_fail(err, EINVAL, "typeid (VSI type ID, 0..16777215) is required"), -1;
	if (arg_uint(args, "typeidver", 255, &typeidver, &has, err) < 0)
		return -1;
	if (!has)
		return ctl_fail(err, EINVAL, "typeidver (VSI type version, 0..255) is required"), -1;
	req->type_id = typeid;
	req->type_version = (uint8_t)typeidver;
	if (hints) {
		int h = vdp_txt_hints_parse(hints);

		if (h < 0)
			return ctl_fail(err, EINVAL, "hints \"%s\" is not one of none, migrate-to, migrate-from",
					hints), -1;
		req->hints = (uint8_t)h;
	}
	if (parse_filters(args, req, filters, VDPD_MAX_FILTERS, err) < 0)
		return -1;
	*dup = du;
	return 0;
}

json_t *vdpd_request_json(const char *uplink, const struct vdp_request *req)
{
	char id[VDP_TXT_VSIID_LEN], mgr[VDP_TXT_MGRID_LEN], mac[VDP_TXT_MAC_LEN];
	json_t *filters = json_array();

	vdp_txt_vsiid_format(req->vsiid_fmt, req->vsiid, id);
	vdp_txt_mgrid_format(req->mgrid, mgr);
	for (uint16_t i = 0; i < req->n_filters; i++) {
		const struct vdp_filter *f = &req->filters[i];
		json_t *o = json_pack("{s:i}", "vid", vdp_vid(f->ps_pcp_vid));

		if (vdp_ps(f->ps_pcp_vid))
			json_object_set_new(o, "pcp", json_integer(vdp_pcp(f->ps_pcp_vid)));
		if (req->filter_fmt == VDP_FILTER_MAC_VID || req->filter_fmt == VDP_FILTER_GROUP_MAC_VID) {
			vdp_txt_mac_format(f->mac, mac);
			json_object_set_new(o, "mac", json_string(mac));
		}
		if (req->filter_fmt == VDP_FILTER_GROUP_VID || req->filter_fmt == VDP_FILTER_GROUP_MAC_VID)
			json_object_set_new(o, "group", json_integer(f->group_id));
		json_array_append_new(filters, o);
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:o, s:s}", "uplink", uplink,
			 "mode", vdp_txt_mode_name(req->mode), "vsiid_format",
			 vdp_txt_vsiid_fmt_name(req->vsiid_fmt), "vsiid", id, "mgrid", mgr,
			 "typeid", (int)req->type_id, "typeidver", (int)req->type_version,
			 "filter_format", vdp_txt_filter_fmt_name(req->filter_fmt), "filters", filters,
			 "hints", vdp_txt_hints_name(req->hints));
}

/* The reply to vsi.add and vsi.del: the VSI, or {} when it is gone. */
static int vsi_reply(struct jfast_buf *out, const struct vdpd_uplink *du, const struct vsi *v)
{
	if (v)
		vdpd_vsi_text(out, du, v);
	else
		jfast_put(out, "{}", 2);
	return 0;
}

static int cmd_vsi_add(void *ctx, json_t *args, struct ctl_error *err, struct jfast_buf *out)
{
	struct vdpd *d = ctx;
	struct vdp_filter filters[VDPD_MAX_FILTERS];
	struct vdp_request req;
	struct vdpd_uplink *du;
	struct vdp_station *st;
	struct vsi *v;
	int rc;

	if (vdpd_vsi_request_parse(d, args, &du, &req, filters, err) < 0)
		return -1;
	if (!du->u)
		return ctl_failed(err, ENETDOWN, "uplink %s is not running (%s)", du->cfg.name,
				  du->absent_why);
	st = uplink_station(du->u);
	rc = vdp_station_request(st, &req);
	if (rc < 0 && vdp_station_request_check(st, &req))
		return ctl_failed(err, -rc, "%s", vdp_station_request_check(st, &req));
	switch (rc) {
	case 0:
		break;
	case -EINVAL:
		v = vdp_station_find(st, req.vsiid_fmt, req.vsiid);
		if (v && v->state != VDP_ST_END)
			return ctl_failed(
				err, EINVAL,
				"VSI is %s; an association cannot step back to a "
				"pre-association (delete it first, 802.1Qbg 41.5.5)",
				vdp_txt_mode_name(v->mode_cur ? v->mode_cur : v->mode_req));
		return ctl_failed(err, EINVAL, "request refused by the VDP station");
	default:
		return ctl_failed(err, -rc, "request refused: %s", strerror(-rc));
	}
	d->cnt.ctl_vsi_add++;
	/* The operator's intent outlives this process and the interface. */
	intents_put(d->intents, du->cfg.name, &req);
	v = vdp_station_find(st, req.vsiid_fmt, req.vsiid);
	if (log_burst_admit(d->vsi_log, du->cfg.name, "requested by control socket"))
		log_info("ctl", "%s: %s requested by control socket", du->cfg.name,
			 vdp_txt_mode_name(req.mode));
	return vsi_reply(out, du, v);
}

/* vsi.del of a VSI that had ended or was only an intent: forgotten. */
static int removed_reply(struct jfast_buf *out, const struct vdpd_uplink *du, const char *id)
{
	json_t *r = json_pack("{s:s, s:s, s:b}", "uplink", du->cfg.name, "vsiid", id, "removed", 1);

	if (r)
		jfast_put_json(out, r);
	else
		out->punt = true;
	json_decref(r);
	return 0;
}

static int cmd_vsi_del(void *ctx, json_t *args, struct ctl_error *err, struct jfast_buf *out)
{
	struct vdpd *d = ctx;
	struct vdp_filter filters[VDPD_MAX_FILTERS];
	struct vdp_request req;
	struct vdp_station *st;
	struct vsi *v;
	bool failed;
	struct vdpd_uplink *du = need_uplink(d, args, true, err, &failed);
	char id[VDP_TXT_VSIID_LEN];
	int rc;

	if (failed)
		return -1;
	memset(&req, 0, sizeof(req));
	if (parse_vsiid(args, &req.vsiid_fmt, req.vsiid, err) < 0)
		return -1;
	/* Whatever the bridge answers, the operator no longer wants it. */
	bool had = intents_drop(d->intents, du->cfg.name, req.vsiid_fmt, req.vsiid);
	/* nor is it healed any more (a given-up entry would stay for show) */
	if (d->rc)
		reconcile_forget(d->rc, du->cfg.name, req.vsiid_fmt, req.vsiid);
	vdp_txt_vsiid_format(req.vsiid_fmt, req.vsiid, id);
	st = du->u ? uplink_station(du->u) : NULL;
	v = st ? vdp_station_find(st, req.vsiid_fmt, req.vsiid) : NULL;
	if (!v && had)
		return removed_reply(out, du, id);
	if (!v)
		return ctl_failed(err, ENOENT, "no VSI %s on %s", id, du->cfg.name);
	if (v->state == VDP_ST_END) {
		/* Nothing on the bridge any more: just forget it. */
		vdp_station_forget(st, v);
		d->cnt.ctl_vsi_del++;
		return removed_reply(out, du, id);
	}
	/* De-associate what was associated: same identity and filters. */
	req.mode = VDP_MODE_DEASSOC;
	memcpy(req.mgrid, v->mgrid, VDP_MGRID_LEN);
	req.type_id = v->type_id;
	req.type_version = v->type_version;
	req.filter_fmt = v->filter_fmt;
	req.n_filters = v->n_filters < VDPD_MAX_FILTERS ? v->n_filters : VDPD_MAX_FILTERS;
	for (uint16_t i = 0; i < req.n_filters; i++)
		filters[i] = v->filters[i].f;
	req.filters = filters;
	rc = vdp_station_request(st, &req);
	if (rc < 0)
		return ctl_failed(err, -rc, "de-association refused: %s", strerror(-rc));
	d->cnt.ctl_vsi_del++;
	if (log_burst_admit(d->vsi_log, du->cfg.name, "deassoc requested by control socket"))
		log_info("ctl", "%s: VSI %s: deassoc requested by control socket", du->cfg.name,
			 id);
	v = vdp_station_find(st, req.vsiid_fmt, req.vsiid);
	return vsi_reply(out, du, v);
}

static json_t *station_counters_json(const struct vdp_station_counters *c)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
			 "s:I, s:I, s:I}",
			 "requests", (json_int_t)c->requests, "requests_refused",
			 (json_int_t)c->requests_refused, "ecpdu_tx", (json_int_t)c->ecpdu_tx,
			 "tlv_tx", (json_int_t)c->tlv_tx, "ka_tx", (json_int_t)c->ka_tx,
			 "responses", (json_int_t)c->responses, "resp_unknown",
			 (json_int_t)c->resp_unknown, "resp_stale", (json_int_t)c->resp_stale,
			 "resp_mismatch", (json_int_t)c->resp_mismatch, "timeouts",
			 (json_int_t)c->timeouts, "tx_errors", (json_int_t)c->tx_errors,
			 "bridge_deassoc", (json_int_t)c->bridge_deassoc, "bridge_deassoc_stale",
			 (json_int_t)c->bridge_deassoc_stale, "rx_bad", (json_int_t)c->rx_bad,
			 "rx_ignored", (json_int_t)c->rx_ignored, "illegal_transitions",
			 (json_int_t)c->illegal_transitions, "ka_resent", (json_int_t)c->ka_resent);
}

static json_t *cmd_stats(void *ctx, json_t *args, struct ctl_error *err)
{
	struct vdpd *d = ctx;
	bool failed;
	struct vdpd_uplink *only = need_uplink(d, args, false, err, &failed);
	json_t *ups, *evs, *lm;

	if (failed)
		return NULL;
	ups = json_array();
	for (size_t i = 0; i < d->n_uplinks; i++) {
		struct vdpd_uplink *du = d->uplinks[i];
		json_t *st = du->u ? uplink_status_json(du->u) : NULL;

		if (only && du != only) {
			json_decref(st);
			continue;
		}
		json_array_append_new(ups, json_pack("{s:s, s:b, s:I, s:o, s:o, s:O?, s:O?, s:O?, s:O?}",
			"name", du->cfg.name, "present", du->u != NULL,
			"link_events", (json_int_t)du->link_events,
			"vsis", vsi_counts(du->u ? uplink_station(du->u) : NULL),
			"vdp", du->u ? station_counters_json(&uplink_station(du->u)->cnt) : json_null(),
			"ecp", st ? json_object_get(st, "ecp") : NULL,
			"lldp", st ? json_object_get(st, "lldp") : NULL,
			"port", st ? json_object_get(st, "port") : NULL,
			"evb", st ? json_object_get(st, "evb") : NULL));
		json_decref(st);
	}
	evs = json_object();
	for (int e = VDP_EV_PREASSOCIATED; e <= VDP_EV_VID_ASSIGNED; e++)
		json_object_set_new(evs, vdp_event_name((enum vdp_event)e),
				    json_integer((json_int_t)d->cnt.vsi_events[e]));
	lm = d->lm ? linkmon_json(d->lm) : NULL;
	json_t *r = json_pack("{s:{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o}, s:o, s:O?, s:o}",
		"daemon", "version", VDP_VERSION,
		"uptime_s", (json_int_t)((vclock_now(d->clock) - d->started_us) / 1000000),
		"reloads", (json_int_t)d->cnt.reloads, "reload_errors", (json_int_t)d->cnt.reload_errors,
		"link_events", (json_int_t)d->cnt.link_events,
		"vsi_add", (json_int_t)d->cnt.ctl_vsi_add, "vsi_del", (json_int_t)d->cnt.ctl_vsi_del,
		"vsi_events", evs,
		"ctl", ctl_server_stats_json(d->ctl),
		"linkmon", lm ? json_object_get(lm, "stats") : NULL,
		"uplinks", ups);
	json_decref(lm);
	if (r)
		json_object_set_new(json_object_get(r, "daemon"), "last_reload_error",
				    json_string(d->reload_error));
	if (r)
		json_object_set_new(r, "intents", intents_stats_json(d->intents));
	if (r && d->rc)
		json_object_set_new(r, "reconcile", reconcile_stats_json(d->rc));
	if (r && d->nl)
		json_object_set_new(r, "netlink", nl_front_json(d->nl));
	if (r && d->fleet)
		json_object_set_new(r, "registry", fleet_vdpd_json(d));
	if (r) {
		const struct qbh_counters *q = qbh_counters();
		json_object_set_new(
			r, "qbh",
			json_pack(
				"{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
				"s:I}",
				"requests", (json_int_t)q->requests, "acked", (json_int_t)q->acked,
				"polls", (json_int_t)q->polls, "success", (json_int_t)q->success,
				"errors", (json_int_t)q->errors, "unsupported",
				(json_int_t)q->unsupported, "timeouts", (json_int_t)q->timeouts,
				"refused", (json_int_t)q->refused, "adopted",
				(json_int_t)q->adopted, "retries", (json_int_t)q->retries,
				"recovered", (json_int_t)q->recovered, "permanent",
				(json_int_t)q->permanent, "mac_restored",
				(json_int_t)q->mac_restored, "mac_zero", (json_int_t)q->mac_zero));
	}
	return r;
}

static json_t *cmd_link_events(void *ctx, json_t *args, struct ctl_error *err)
{
	struct vdpd *d = ctx;
	json_t *lm, *r;

	(void)args;
	if (!d->lm)
		return ctl_fail(err, ENOTSUP, "the link monitor is not running");
	lm = linkmon_json(d->lm);
	r = json_incref(json_object_get(lm, "events"));
	json_decref(lm);
	return r;
}

/* As SIGHUP: the whole file (uplinks, netlink, registry) or nothing. */
static json_t *cmd_reload(void *ctx, json_t *args, struct ctl_error *err)
{
	struct vdpd *d = ctx;

	(void)args;
	if (vdpd_reload(d) < 0)
		return ctl_fail(err, EINVAL, "configuration unchanged: %s", d->reload_error);
	return json_pack("{s:s, s:i}", "config", d->opts.config, "uplinks", (int)d->n_uplinks);
}

static json_t *cmd_config_show(void *ctx, json_t *args, struct ctl_error *err)
{
	struct vdpd *d = ctx;
	json_t *ups = json_array();
	char mgr[VDP_TXT_MGRID_LEN];

	(void)args;
	(void)err;
	for (size_t i = 0; i < d->n_uplinks; i++) {
		vdp_txt_mgrid_format(d->uplinks[i]->cfg.mgrid, mgr);
		json_array_append_new(
			ups,
			json_pack("{s:s, s:s}", "name", d->uplinks[i]->cfg.name, "mgrid", mgr));
	}
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:o}", "file",
			 d->opts.config ? d->opts.config : "", "log_level",
			 log_level_name(log_get_level()), "log_target",
			 log_target_name(log_get_target()), "reloads", (json_int_t)d->cnt.reloads,
			 "reload_errors", (json_int_t)d->cnt.reload_errors, "last_reload_error",
			 d->reload_error, "uplinks", ups);
}

#ifndef VDP_VERSION
#define VDP_VERSION "0.1"
#endif

const struct ctl_cmd vdpd_ctl_cmds[] = {
	{ "uplink.show", cmd_uplink_show,
	  "uplinks: link, EVB (local/negotiated), neighbour, VSI counts; args: uplink" },
	{ "neighbor.show", cmd_neighbor_show,
	  "LLDP neighbours with their EVB TLV and the negotiated values; args: uplink" },
	{ "vsi.show", NULL,
	  "VSIs with requested and confirmed state; args: uplink, id, offset, limit",
	  cmd_vsi_show },
	{ "vsi.add", NULL,
	  "request (pre-)association; args: uplink, mode, mgrid, typeid, typeidver, "
	  "uuid|vsiid+vsiid_format, filter_format, filters[{mac,vid,pcp,group}], hints",
	  cmd_vsi_add },
	{ "vsi.del", NULL,
	  "de-associate (or forget an ended VSI); args: uplink, uuid|vsiid+vsiid_format",
	  cmd_vsi_del },
	{ "stats", cmd_stats,
	  "counters: daemon, control socket, link monitor, per uplink VDP/ECP/LLDP/port" },
	{ "link.events", cmd_link_events, "the last link events seen by the link monitor" },
	{ "config.reload", cmd_reload,
	  "re-read the configuration file (as SIGHUP), reporting errors" },
	{ "config.show", cmd_config_show,
	  "the configuration file, log target and level, reloads and the last reload error" },
	{ NULL, NULL, NULL },
};
