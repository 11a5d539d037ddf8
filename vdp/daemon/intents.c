/* VSI intents: the desired state vsi.add (or a libvirt request over the
 * netlink front) established, kept so that neither an interface that goes
 * away and comes back nor a restart of vdpd loses it (DESIGN: nothing
 * lost).  Stored as the canonical vsi.add arguments, so a replay goes
 * through exactly the validation a request does; a netlink requester's
 * entry adds "netlink":{port, seq, request, ifindex, ifname} so the front
 * keeps answering it (vdp/daemon/nl_vdpd.c).
 *
 * Files: the snapshot FILE, {"version":1,"vsis":[ARGS,...]}, written to a
 * temporary name, synced and renamed over the old one; and its journal
 * FILE.journal (vdp/store/jlog.h, the registry's framing: CRC-checked records
 * after a "vdpd-intents-journal 1" line), one record per change since the
 * snapshot: {"put":ARGS} or {"del":{"uplink","vsiid_format","vsiid"}}.  A change costs one journal line; the
 * snapshot is rewritten when the journal outgrows it, at start (after a
 * replay) and at a clean stop.  Replaying records the snapshot already
 * holds gives the same state (each record sets or removes one whole
 * entry), so a crash between the snapshot's rename and the journal's
 * truncation is harmless.
 *
 * Write-ahead: changes are flushed (one write, one fdatasync) at the end
 * of the event-loop pass that made them, and in any case before the reply
 * that acknowledges them leaves (ctl_server's before_reply hook, the
 * netlink front's before_ack): a requester never hears "done" for an
 * intent a kill -9 could lose, as long as the disk takes the write.  When
 * it does not (ENOSPC, EIO), the request has already gone ahead on the
 * wire, so it is still answered: the failure is logged, counted
 * (intents.save_errors in `vdpctl stats`) and the flush retried every
 * second until it succeeds. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "vdp/store/jlog.h"
#include "vdp/base/log.h"
#include "vdp/nlfront/nl_front.h"
#include "vdp/wire/vdp_text.h"
#include "vdp/daemon/vdpd.h"

#define SAVE_RETRY_MS 1000
/* The snapshot is rewritten once the journal has more records than this
 * and than twice the entries: amortised, a change costs O(1) writes. */
#define JOURNAL_MIN_RECORDS 1024
#define INTENTS_JOURNAL_MAGIC "vdpd-intents-journal 1\n"

static void key_of(char *buf, size_t len, const char *uplink, uint8_t fmt, const uint8_t id[VDP_VSIID_LEN])
{
	int n = snprintf(buf, len, "%s|%u|", uplink, fmt);

	for (int i = 0; i < VDP_VSIID_LEN && n + 2 < (int)len; i++, n += 2)
		snprintf(buf + n, len - (size_t)n, "%02x", id[i]);
}

static bool persistent(const struct vdpd *d)
{
	return d->opts.intents && *d->opts.intents;
}

/* A full or failing disk stays so for a while and the write is retried
 * every second: the first failure is an error, the repeats are debug
 * messages, and the recovery is announced with their number. */
static void __attribute__((format(printf, 2, 3))) write_failed(struct vdpd *d, const char *fmt, ...)
{
	va_list ap;

	d->intents_save_errors++;
	va_start(ap, fmt);
	log_vmsg(d->intents_failing++ ? LOG_DEBUG : LOG_ERR, "vsi", fmt, ap);
	va_end(ap);
}

static void write_succeeded(struct vdpd *d)
{
	if (d->intents_failing)
		log_notice("vsi", "%s written again, after %llu failed attempts", d->opts.intents,
			   (unsigned long long)d->intents_failing);
	d->intents_failing = 0;
}

/* The rename itself must reach the disk too, or a power loss right after
 * it may bring back the old file. */
static void sync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fsync(fd) < 0)
		log_debug("vsi", "fsync %s: %s", dir, strerror(errno));
	close(fd);
}

static int save(struct vdpd *d)
{
	char tmp[4096];
	json_t *doc, *list = json_array(), *v;
	const char *k;
	int fd, rc = 0;
	char *text;
	size_t n;

	json_object_foreach(d->intents, k, v)
		json_array_append(list, v);
	doc = json_pack("{s:i, s:o}", "version", 1, "vsis", list);
	text = doc ? json_dumps(doc, JSON_INDENT(1)) : NULL;
	json_decref(doc);
	if (!text)
		return -ENOMEM;
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->opts.intents);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
	} else {
		n = strlen(text);
		if (write(fd, text, n) != (ssize_t)n || write(fd, "\n", 1) != 1 || fsync(fd) < 0)
			rc = -errno ? -errno : -EIO;
		if (close(fd) < 0 && !rc)
			rc = -errno;
		if (!rc && rename(tmp, d->opts.intents) < 0)
			rc = -errno;
		if (rc)
			unlink(tmp);
		else
			sync_dir(d->opts.intents);
	}
	free(text);
	if (rc) {
		write_failed(d, "saving %s: %s", d->opts.intents, strerror(-rc));
	} else {
		d->intents_saves++;
	}
	return rc;
}

/* Snapshot now, then an empty journal. */
static int compact(struct vdpd *d)
{
	int rc = save(d);

	if (rc == 0 && (rc = jlog_reset(&d->intents_log)) < 0)
		write_failed(d, "emptying %s: %s", d->intents_log.path, strerror(-rc));
	if (rc == 0)
		d->intents_compact = false;
	return rc;
}

void vdpd_intents_flush(struct vdpd *d)
{
	static const struct timeval retry = { SAVE_RETRY_MS / 1000, (SAVE_RETRY_MS % 1000) * 1000 };
	size_t n = json_object_size(d->intents);
	int rc;

	if (!d->intents_dirty)
		return;
	if (d->intents_compact ||
	    (d->intents_log.records > JOURNAL_MIN_RECORDS && d->intents_log.records > 2 * n)) {
		rc = compact(d);
	} else if ((rc = jlog_flush(&d->intents_log)) < 0) {
		write_failed(d, "writing %s: %s", d->intents_log.path, strerror(-rc));
	}
	if (rc < 0) {
		/* Still dirty: the next change, reply or the retry tries again. */
		event_add(d->ev_intents, &retry);
		return;
	}
	write_succeeded(d);
	d->intents_dirty = false;
	event_del(d->ev_intents);
}

static void save_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	vdpd_intents_flush(arg);
}

/* rec: {"put":ARGS} or {"del":KEY}, queued for the next flush. */
static void changed(struct vdpd *d, json_t *rec)
{
	if (!persistent(d) || !d->ev_intents) {
		json_decref(rec);
		return;
	}
	if (jlog_append(&d->intents_log, rec) < 0) {
		/* No memory for the line: the snapshot will carry it. */
		d->intents_save_errors++;
		d->intents_compact = true;
	}
	if (d->intents_dirty)
		return;
	d->intents_dirty = true;
	/* Runs in this loop pass, after the callback that changed it. */
	event_active(d->ev_intents, EV_TIMEOUT, 1);
}

/* The key of a stored vsi.add argument set; -1 if it has none. */
static int key_of_args(json_t *v, char key[128])
{
	const char *up = json_string_value(json_object_get(v, "uplink"));
	const char *fs = json_string_value(json_object_get(v, "vsiid_format"));
	const char *ids = json_string_value(json_object_get(v, "vsiid"));
	int fmt = fs ? vdp_txt_vsiid_fmt_parse(fs) : -1;
	uint8_t id[VDP_VSIID_LEN];

	if (!up || fmt < 0 || !ids || vdp_txt_vsiid_parse((uint8_t)fmt, ids, id) < 0)
		return -1;
	key_of(key, 128, up, (uint8_t)fmt, id);
	return 0;
}

/* {"put":ARGS} sets an entry, {"del":{uplink, vsiid_format, vsiid}}
 * removes one: both name it as the snapshot does. */
static int replay_record(void *ctx, json_t *rec, char *err, size_t errlen)
{
	struct vdpd *d = ctx;
	json_t *put = json_object_get(rec, "put"), *del = json_object_get(rec, "del");
	char key[128];

	if (json_object_size(rec) != 1 || !json_is_object(put ? put : del)) {
		snprintf(err, errlen, "neither {\"put\":{...}} nor {\"del\":{...}}");
		return -1;
	}
	if (key_of_args(put ? put : del, key) < 0) {
		snprintf(err, errlen, "%s without uplink, vsiid_format or vsiid", put ? "put" : "del");
		return -1;
	}
	if (put)
		json_object_set(d->intents, key, put);
	else
		json_object_del(d->intents, key);
	return 0;
}

static int open_journal(struct vdpd *d)
{
	char path[4200], err[512];
	int rc;

	snprintf(path, sizeof(path), "%s.journal", d->opts.intents);
	rc = jlog_open(&d->intents_log, path, INTENTS_JOURNAL_MAGIC, replay_record, d, err, sizeof(err));
	if (rc < 0) {
		/* Refuse to start rather than lose what we cannot read. */
		log_err("vsi", "%s", err);
		return rc;
	}
	if (d->intents_log.records || d->intents_log.torn) {
		log_info("vsi", "%s: %zu changes replayed%s", path, d->intents_log.records,
			 d->intents_log.torn ? ", an incomplete last one dropped" : "");
		if ((rc = compact(d)) < 0)
			return rc;
	}
	return 0;
}

int vdpd_intents_open(struct vdpd *d)
{
	json_error_t jerr;
	json_t *doc, *list, *v;
	size_t i;

	d->intents = json_object();
	if (!d->intents)
		return -ENOMEM;
	if (!persistent(d))
		return 0;
	d->intents_log.fd = -1;
	d->ev_intents = evtimer_new(d->base, save_cb, d);
	if (!d->ev_intents)
		return -ENOMEM;
	if (access(d->opts.intents, F_OK) < 0 && errno == ENOENT)
		return open_journal(d);
	doc = json_load_file(d->opts.intents, JSON_REJECT_DUPLICATES, &jerr);
	list = json_object_get(doc, "vsis");
	if (!doc || json_integer_value(json_object_get(doc, "version")) != 1 || !json_is_array(list)) {
		/* Refuse to start rather than overwrite what we cannot read. */
		log_err("vsi", "%s:%d: %s", d->opts.intents, doc ? 1 : jerr.line,
			doc ? "not a version 1 intents file ({\"version\":1,\"vsis\":[...]})" : jerr.text);
		json_decref(doc);
		return -EINVAL;
	}
	json_array_foreach(list, i, v) {
		char key[128];

		/* The rest is validated when the entry is requested (the
		 * uplink may not even be configured now: kept for later). */
		if (key_of_args(v, key) < 0) {
			log_warn("vsi", "%s: entry %zu ignored: no uplink, vsiid_format or vsiid",
				 d->opts.intents, i + 1);
			continue;
		}
		json_object_set(d->intents, key, v);
	}
	json_decref(doc);
	if (open_journal(d) < 0)
		return -EINVAL;
	log_info("vsi", "%s: %zu VSI intents loaded", d->opts.intents, json_object_size(d->intents));
	return 0;
}

void vdpd_intents_close(struct vdpd *d)
{
	if (d->ev_intents) {
		/* A clean stop leaves the snapshot alone. */
		if (d->intents_log.fd >= 0 && (d->intents_dirty || d->intents_log.records))
			compact(d);
		jlog_close(&d->intents_log);
		event_free(d->ev_intents);
		d->ev_intents = NULL;
	}
	json_decref(d->intents);
	d->intents = NULL;
}

void vdpd_intent_put(struct vdpd *d, const char *uplink, const struct vdp_request *req)
{
	char key[128];
	json_t *args;

	if (!d->intents)
		return;
	key_of(key, sizeof(key), uplink, req->vsiid_fmt, req->vsiid);
	args = vdpd_request_json(uplink, req);
	if (!args)
		return;
	json_object_set_new(d->intents, key, args);
	changed(d, json_pack("{s:O}", "put", args));
}

void vdpd_intent_put_netlink(struct vdpd *d, const char *uplink, const struct vdp_request *req, json_t *nl)
{
	char key[128];
	json_t *args;

	if (!d->intents || !nl) {
		json_decref(nl);
		return;
	}
	key_of(key, sizeof(key), uplink, req->vsiid_fmt, req->vsiid);
	args = vdpd_request_json(uplink, req);
	if (!args || json_object_set_new(args, "netlink", nl) < 0) {
		json_decref(args);
		return;
	}
	json_object_set_new(d->intents, key, args);
	changed(d, json_pack("{s:O}", "put", args));
}

bool vdpd_intent_drop(struct vdpd *d, const char *uplink, uint8_t vsiid_fmt,
		      const uint8_t vsiid[VDP_VSIID_LEN])
{
	char key[128], id[VDP_TXT_VSIID_LEN];

	if (!d->intents)
		return false;
	key_of(key, sizeof(key), uplink, vsiid_fmt, vsiid);
	if (json_object_del(d->intents, key) < 0)
		return false;
	vdp_txt_vsiid_format(vsiid_fmt, vsiid, id);
	changed(d, json_pack("{s:{s:s, s:s, s:s}}", "del", "uplink", uplink, "vsiid_format",
			     vdp_txt_vsiid_fmt_name(vsiid_fmt), "vsiid", id));
	return true;
}

json_t *vdpd_intent_get(struct vdpd *d, const char *uplink, uint8_t vsiid_fmt, const uint8_t vsiid[VDP_VSIID_LEN])
{
	char key[128];

	if (!d->intents)
		return NULL;
	key_of(key, sizeof(key), uplink, vsiid_fmt, vsiid);
	return json_object_get(d->intents, key);
}

/* Without this a restart would ask again for what the bridge refused and,
 * with nothing confirmed yet to keep (41.2.4), lose the VSI.  The
 * requester (netlink member) stays. */
void vdpd_intent_kept(struct vdpd *d, const char *uplink, const struct vsi *v)
{
	struct vdp_filter filters[VDPD_MAX_FILTERS];
	struct vdp_request req = {
		.mode = v->mode_req,
		.type_id = v->type_id,
		.type_version = v->type_version,
		.vsiid_fmt = v->vsiid_fmt,
		.filter_fmt = v->filter_fmt,
		.n_filters = v->n_filters,
		.filters = filters,
		.hints = v->hints,
	};
	json_t *old, *args;
	char key[128];

	if (!d->intents || v->n_filters > VDPD_MAX_FILTERS)
		return;
	key_of(key, sizeof(key), uplink, v->vsiid_fmt, v->vsiid);
	old = json_object_get(d->intents, key);
	if (!old)
		return;
	memcpy(req.mgrid, v->mgrid, VDP_MGRID_LEN);
	memcpy(req.vsiid, v->vsiid, VDP_VSIID_LEN);
	for (uint16_t i = 0; i < v->n_filters; i++)
		filters[i] = v->filters[i].f;
	args = vdpd_request_json(uplink, &req);
	if (!args)
		return;
	if (json_object_get(old, "netlink"))
		json_object_set(args, "netlink", json_object_get(old, "netlink"));
	if (json_equal(args, old)) {
		json_decref(args);
		return;
	}
	json_object_set_new(d->intents, key, args);
	changed(d, json_pack("{s:O}", "put", args));
}

void vdpd_intents_uplink_started(struct vdpd *d, struct vdpd_uplink *du)
{
	const char *k;
	json_t *v;
	size_t n = 0, n_nl = 0;

	if (!d->intents || !du->u)
		return;
	json_object_foreach(d->intents, k, v) {
		struct vdp_filter filters[VDPD_MAX_FILTERS];
		struct vdp_request req;
		struct vdpd_uplink *got;
		struct ctl_error err = { 0 };
		int rc;

		if (strcmp(json_string_value(json_object_get(v, "uplink")) ?: "", du->cfg.name) != 0)
			continue;
		if (vdpd_vsi_request_parse(d, v, &got, &req, filters, &err) < 0) {
			log_warn("vsi", "%s: stored VSI not requested: %s", du->cfg.name, err.msg);
			continue;
		}
		/* All in one go: the station packs them into few ECPDUs,
		 * sent once EVB is negotiated, within the bridge's
		 * keep-alive window (802.1Qbg 41.5.5.11 toutKeepAlive). */
		rc = vdp_station_request(uplink_station(du->u), &req);
		if (rc < 0) {
			log_warn("vsi", "%s: stored VSI %s refused: %s", du->cfg.name,
				 json_string_value(json_object_get(v, "vsiid")), strerror(-rc));
			continue;
		}
		n++;
		if (json_object_get(v, "netlink")) {
			vdpd_nl_restore(d, du->u, &req, json_object_get(v, "netlink"));
			n_nl++;
		}
	}
	if (n)
		log_notice("vsi", "%s: %zu stored VSIs requested again (%zu for netlink requesters)",
			   du->cfg.name, n, n_nl);
}

json_t *vdpd_intents_stats_json(const struct vdpd *d)
{
	const struct jlog *j = &d->intents_log;

	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I}}", "file",
			 persistent(d) ? d->opts.intents : "", "vsis",
			 (json_int_t)(d->intents ? json_object_size(d->intents) : 0), "saves",
			 (json_int_t)d->intents_saves, "save_errors", (json_int_t)d->intents_save_errors,
			 "failing", (json_int_t)d->intents_failing, "journal", "records", (json_int_t)j->records,
			 "appends", (json_int_t)j->appends, "flushes", (json_int_t)j->flushes, "torn",
			 (json_int_t)j->torn);
}
