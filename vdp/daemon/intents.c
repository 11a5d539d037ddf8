/* VSI intents: the desired state vsi.add (or a libvirt request over the
 * netlink front) established, kept so that neither an interface that goes
 * away and comes back nor a restart of vdpd loses it (DESIGN: nothing
 * lost).  In memory one compact record per VSI (vdp/daemon/intent_table.h:
 * the request's fields, one filter inline, the uplink as an interned
 * number; 120 octets), in a hash table of its own.  On disk and towards a
 * replay they are the canonical vsi.add arguments, rendered from the
 * record, so a replay goes through exactly the validation a request does.
 * A netlink requester's entry adds "netlink":{port, seq, request, ifindex,
 * ifname} so the front keeps answering it (vdp/daemon/nl_vdpd.c); that
 * object is the only JSON kept per VSI.  An entry of a loaded file that
 * does not read back identically from a record stays as loaded.  A change
 * renders its journal line straight from the record, without a json_t.
 * vdpd's RSS at 65,536 VSIs: 485 to 489 octets per VSI (2,887 to 2,897
 * with a jansson object of arguments per VSI); intents_put about 1 µs per
 * VSI in a `vdpctl -b` batch, 16 % of vdpd's CPU (6.5 µs, 54 %, before).
 *
 * Files: the snapshot FILE, {"version":1,"vsis":[ARGS,...]}, written to a
 * temporary name, synced and renamed over the old one; and its journal
 * FILE.journal (vdp/store/jlog.h, the registry's framing: CRC-checked records
 * after a "vdpd-intents-journal 1" line), one record per change since the
 * snapshot: {"put":ARGS} or {"del":{"uplink","vsiid_format","vsiid"}}.  A
 * change costs one journal line; the snapshot is rewritten when the
 * journal outgrows it, at start (after a replay) and at a clean stop.  It
 * is rendered entry by entry into one buffer, one entry a line (no json_t
 * per entry: the heap they took would stay with the process).
 * Replaying records the snapshot already holds gives the same state (each
 * record sets or removes one whole entry), so a crash between the
 * snapshot's rename and the journal's truncation is harmless.
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

#include "vdp/store/fsops.h"
#include "vdp/store/jlog.h"
#include "vdp/store/lock.h"
#include "vdp/base/log.h"
#include "vdp/wire/vdp_text.h"
#include "vdp/daemon/ctl_cmds.h"
#include "vdp/daemon/intent_table.h"
#include "vdp/daemon/intents.h"

#define SAVE_RETRY_MS 1000
/* The snapshot is rewritten once the journal has more records than this
 * and than twice the entries: amortised, a change costs O(1) writes. */
#define JOURNAL_MIN_RECORDS 1024
#define INTENTS_JOURNAL_MAGIC "vdpd-intents-journal 1\n"

struct intents {
	char *path; /* the snapshot FILE; NULL = not kept */
	struct intent_table tab;
	struct itab_buf rec; /* the journal record being rendered */
	struct event *ev_save; /* save at the end of the pass / retry */
	bool dirty; /* changed since the last good flush */
	struct jlog log; /* FILE.journal: changes since the snapshot */
	bool compact; /* a change missed the journal: snapshot next */
	uint64_t saves, save_errors;
	uint64_t snapshot_errors; /* of which snapshot (not journal) writes */
	uint64_t failing; /* failed writes since the last good one */
	int lock_fd; /* path.lock held (vdp/store/lock.h), -1 */
};

static bool persistent(const struct intents *in)
{
	return in->path != NULL;
}

/* A full or failing disk stays so for a while and the write is retried
 * every second: the first failure is an error, the repeats are debug
 * messages, and the recovery is announced with their number. */
static void __attribute__((format(printf, 2, 3)))
write_failed(struct intents *in, const char *fmt, ...)
{
	va_list ap;

	in->save_errors++;
	va_start(ap, fmt);
	log_vmsg(in->failing++ ? LOG_DEBUG : LOG_ERR, "vsi", fmt, ap);
	va_end(ap);
}

static void write_succeeded(struct intents *in)
{
	if (in->failing)
		log_notice("vsi", "%s written again, after %llu failed attempts", in->path,
			   (unsigned long long)in->failing);
	in->failing = 0;
}

/* The snapshot text, one entry a line, rendered like the journal's
 * records: no json_t per entry, so a snapshot of many VSIs does not leave
 * the heap they would have taken behind. */
static int save(struct intents *in)
{
	struct itab_buf b = { 0 };
	char err[512];
	int rc;

	itab_buf_lit(&b, "{\"version\":1,\"vsis\":[");
	for (const struct intent *e = in->tab.first; e; e = e->next) {
		if (e != in->tab.first)
			itab_buf_lit(&b, ",");
		itab_buf_lit(&b, "\n");
		itab_render(&in->tab, e, &b);
	}
	itab_buf_lit(&b, "\n]}\n");
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	/* Counted as saved only once it and its directory entry are synced. */
	rc = store_replace_file(in->path, b.p, b.len, err, sizeof(err));
	free(b.p);
	if (rc) {
		in->snapshot_errors++;
		write_failed(in, "saving %s: %s", in->path, err);
	} else {
		in->saves++;
	}
	return rc;
}

/* Snapshot now, then an empty journal. */
static int compact(struct intents *in)
{
	int rc = save(in);

	if (rc == 0 && (rc = jlog_reset(&in->log)) < 0)
		write_failed(in, "emptying %s: %s", in->log.path, strerror(-rc));
	if (rc == 0)
		in->compact = false;
	return rc;
}

void intents_flush(struct intents *in)
{
	static const struct timeval retry = { SAVE_RETRY_MS / 1000, (SAVE_RETRY_MS % 1000) * 1000 };
	size_t n;
	int rc;

	if (!in || !in->dirty)
		return;
	n = in->tab.n;
	if (in->compact || (in->log.records > JOURNAL_MIN_RECORDS && in->log.records > 2 * n)) {
		rc = compact(in);
	} else if ((rc = jlog_flush(&in->log)) < 0) {
		write_failed(in, "writing %s: %s", in->log.path, strerror(-rc));
	}
	if (rc < 0) {
		/* Still dirty: the next change, reply or the retry tries again. */
		event_add(in->ev_save, &retry);
		return;
	}
	write_succeeded(in);
	in->dirty = false;
	event_del(in->ev_save);
}

static void save_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	intents_flush(arg);
}

static bool journaled(const struct intents *in)
{
	return persistent(in) && in->ev_save;
}

/* in->rec holds {"put":ARGS} or {"del":KEY}: queued for the next flush. */
static void changed(struct intents *in)
{
	if (in->rec.oom || jlog_append_text(&in->log, in->rec.p, in->rec.len) < 0) {
		/* No memory for the line: the snapshot will carry it. */
		in->save_errors++;
		in->compact = true;
	}
	in->rec.len = 0;
	in->rec.oom = false;
	if (in->dirty)
		return;
	in->dirty = true;
	/* Runs in this loop pass, after the callback that changed it. */
	event_active(in->ev_save, EV_TIMEOUT, 1);
}

static void changed_put(struct intents *in, const struct intent *e)
{
	if (!journaled(in))
		return;
	itab_buf_lit(&in->rec, "{\"put\":");
	itab_render(&in->tab, e, &in->rec);
	itab_buf_lit(&in->rec, "}");
	changed(in);
}

static void changed_del(struct intents *in, const char *uplink, uint8_t fmt,
			const uint8_t vsiid[VDP_VSIID_LEN])
{
	char id[VDP_TXT_VSIID_LEN];
	const char *f = vdp_txt_vsiid_fmt_name(fmt);

	if (!journaled(in))
		return;
	vdp_txt_vsiid_format(fmt, vsiid, id);
	itab_buf_lit(&in->rec, "{\"del\":{\"uplink\":");
	itab_buf_json_string(&in->rec, uplink);
	itab_buf_lit(&in->rec, ",\"vsiid_format\":\"");
	itab_buf_put(&in->rec, f, strlen(f));
	itab_buf_lit(&in->rec, "\",\"vsiid\":\"");
	itab_buf_put(&in->rec, id, strlen(id));
	itab_buf_lit(&in->rec, "\"}}");
	changed(in);
}

/* The key a del record names; -1 if it has none. */
static int key_of_del(json_t *v, const char **up, uint8_t *fmt, uint8_t id[VDP_VSIID_LEN])
{
	const char *fs = json_string_value(json_object_get(v, "vsiid_format"));
	const char *ids = json_string_value(json_object_get(v, "vsiid"));
	int f = fs ? vdp_txt_vsiid_fmt_parse(fs) : -1;

	*up = json_string_value(json_object_get(v, "uplink"));
	if (!*up || f < 0 || !ids || vdp_txt_vsiid_parse((uint8_t)f, ids, id) < 0)
		return -1;
	*fmt = (uint8_t)f;
	return 0;
}

static void drop_entry(struct intents *in, const char *uplink, uint8_t fmt,
		       const uint8_t id[VDP_VSIID_LEN])
{
	int64_t up = itab_name_find(&in->tab, uplink);
	struct intent *e = up < 0 ? NULL : itab_find(&in->tab, (uint32_t)up, fmt, id);

	if (e)
		itab_del(&in->tab, e);
}

/* {"put":ARGS} sets an entry, {"del":{uplink, vsiid_format, vsiid}}
 * removes one: both name it as the snapshot does. */
static int replay_record(void *ctx, json_t *rec, char *err, size_t errlen)
{
	struct intents *in = ctx;
	json_t *put = json_object_get(rec, "put"), *del = json_object_get(rec, "del");
	uint8_t fmt = 0, id[VDP_VSIID_LEN] = { 0 };
	const char *up = NULL;

	if (json_object_size(rec) != 1 || !json_is_object(put ? put : del)) {
		snprintf(err, errlen, "neither {\"put\":{...}} nor {\"del\":{...}}");
		return -1;
	}
	if (put ? itab_load(&in->tab, put) < 0 : key_of_del(del, &up, &fmt, id) < 0) {
		snprintf(err, errlen, "%s without uplink, vsiid_format or vsiid", put ? "put" : "del");
		return -1;
	}
	if (del)
		drop_entry(in, up, fmt, id);
	return 0;
}

static int open_journal(struct intents *in)
{
	char path[4200], err[512];
	int rc;

	snprintf(path, sizeof(path), "%s.journal", in->path);
	rc = jlog_open(&in->log, path, INTENTS_JOURNAL_MAGIC, replay_record, in, err, sizeof(err));
	if (rc < 0) {
		/* Refuse to start rather than lose what we cannot read. */
		log_err("vsi", "%s", err);
		return rc;
	}
	if (in->log.records || in->log.torn) {
		log_info("vsi", "%s: %zu changes replayed%s", path, in->log.records,
			 in->log.torn ? ", an incomplete last one dropped" : "");
		if ((rc = compact(in)) < 0)
			return rc;
	}
	return 0;
}

/* Loads the snapshot, then replays the journal over it. */
static int load(struct intents *in, struct event_base *base)
{
	json_error_t jerr;
	json_t *doc, *list, *v;
	size_t i;

	if (!persistent(in))
		return 0;
	in->log.fd = -1;
	in->ev_save = evtimer_new(base, save_cb, in);
	if (!in->ev_save)
		return -ENOMEM;
	if (access(in->path, F_OK) < 0 && errno == ENOENT)
		return open_journal(in);
	doc = json_load_file(in->path, JSON_REJECT_DUPLICATES, &jerr);
	list = json_object_get(doc, "vsis");
	if (!doc || json_integer_value(json_object_get(doc, "version")) != 1 || !json_is_array(list)) {
		/* Refuse to start rather than overwrite what we cannot read. */
		log_err("vsi", "%s:%d: %s", in->path, doc ? 1 : jerr.line,
			doc ? "not a version 1 intents file ({\"version\":1,\"vsis\":[...]})"
			    : jerr.text);
		json_decref(doc);
		return -EINVAL;
	}
	json_array_foreach (list, i, v) {
		/* The rest is validated when the entry is requested (the
		 * uplink may not even be configured now: kept for later). */
		if (itab_load(&in->tab, v) < 0)
			log_warn("vsi", "%s: entry %zu ignored: no uplink, vsiid_format or vsiid",
				 in->path, i + 1);
	}
	json_decref(doc);
	if (open_journal(in) < 0)
		return -EINVAL;
	log_info("vsi", "%s: %zu VSI intents loaded", in->path, in->tab.n);
	return 0;
}

/* One daemon per intents file: a second one would overwrite the first's
 * acknowledged intents with its own at its next snapshot. */
static int lock_file(struct intents *in)
{
	char err[512];
	int fd;

	if (!persistent(in))
		return 0;
	fd = store_lock(in->path, err, sizeof(err));
	if (fd < 0) {
		log_err("vsi", "%s%s", err,
			fd == -EBUSY ? ": another vdpd keeps its VSI intents there" : "");
		return fd;
	}
	in->lock_fd = fd;
	return 0;
}

int intents_open(struct intents **out, struct event_base *base, const char *path)
{
	struct intents *in = calloc(1, sizeof(*in));
	int rc;

	*out = NULL;
	if (!in)
		return -ENOMEM;
	in->lock_fd = -1;
	itab_init(&in->tab);
	if (path && *path && !(in->path = strdup(path))) {
		free(in);
		return -ENOMEM;
	}
	rc = lock_file(in);
	if (rc == 0)
		rc = load(in, base);
	if (rc < 0) {
		intents_close(in);
		return rc;
	}
	*out = in;
	return 0;
}

void intents_close(struct intents *in)
{
	if (!in)
		return;
	if (in->ev_save) {
		/* A clean stop leaves the snapshot alone. */
		if (in->log.fd >= 0 && (in->dirty || in->log.records))
			compact(in);
		jlog_close(&in->log);
		event_free(in->ev_save);
		in->ev_save = NULL;
	}
	itab_free(&in->tab);
	free(in->rec.p);
	store_unlock(in->lock_fd);
	free(in->path);
	free(in);
}

static void put(struct intents *in, const char *uplink, const struct vdp_request *req, json_t *nl)
{
	int64_t up = itab_name_intern(&in->tab, uplink);
	const struct intent *e;

	if (up < 0) {
		/* not UTF-8 (never a JSON string), or no memory */
		json_decref(nl);
		return;
	}
	e = itab_set(&in->tab, (uint32_t)up, req, nl);
	if (e)
		changed_put(in, e);
}

void intents_put(struct intents *in, const char *uplink, const struct vdp_request *req)
{
	if (in)
		put(in, uplink, req, NULL);
}

void intents_put_netlink(struct intents *in, const char *uplink, const struct vdp_request *req,
			 json_t *nl)
{
	if (!in || !nl) {
		json_decref(nl);
		return;
	}
	put(in, uplink, req, nl);
}

static struct intent *find(struct intents *in, const char *uplink, uint8_t vsiid_fmt,
			   const uint8_t vsiid[VDP_VSIID_LEN])
{
	int64_t up = in ? itab_name_find(&in->tab, uplink) : -1;

	return up < 0 ? NULL : itab_find(&in->tab, (uint32_t)up, vsiid_fmt, vsiid);
}

bool intents_drop(struct intents *in, const char *uplink, uint8_t vsiid_fmt,
		  const uint8_t vsiid[VDP_VSIID_LEN])
{
	struct intent *e = find(in, uplink, vsiid_fmt, vsiid);

	if (!e)
		return false;
	itab_del(&in->tab, e);
	changed_del(in, uplink, vsiid_fmt, vsiid);
	return true;
}

json_t *intents_get(struct intents *in, const char *uplink, uint8_t vsiid_fmt,
		    const uint8_t vsiid[VDP_VSIID_LEN])
{
	struct intent *e = find(in, uplink, vsiid_fmt, vsiid);

	return e ? itab_json(&in->tab, e) : NULL;
}

bool intents_is_netlink(struct intents *in, const char *uplink, uint8_t vsiid_fmt,
			const uint8_t vsiid[VDP_VSIID_LEN])
{
	struct intent *e = find(in, uplink, vsiid_fmt, vsiid);

	return e && (e->raw ? json_object_get(e->raw, "netlink") : e->nl) != NULL;
}

/* Without this a restart would ask again for what the bridge refused and,
 * with nothing confirmed yet to keep (41.2.4), lose the VSI.  The
 * requester (netlink member) stays. */
void intents_kept(struct intents *in, const char *uplink, const struct vsi *v)
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
	struct intent *e =
		v->n_filters > VDPD_MAX_FILTERS ? NULL : find(in, uplink, v->vsiid_fmt, v->vsiid);
	struct itab_buf before = { 0 }, after = { 0 };
	json_t *nl;

	if (!e)
		return;
	memcpy(req.mgrid, v->mgrid, VDP_MGRID_LEN);
	memcpy(req.vsiid, v->vsiid, VDP_VSIID_LEN);
	for (uint16_t i = 0; i < v->n_filters; i++)
		filters[i] = v->filters[i].f;
	nl = e->raw ? json_object_get(e->raw, "netlink") : e->nl;
	/* Changed only if its arguments would read differently: compared as
	 * the text both render to (same keys in the same order). */
	itab_render(&in->tab, e, &before);
	e = itab_set(&in->tab, e->up, &req, json_incref(nl));
	if (e)
		itab_render(&in->tab, e, &after);
	if (e &&
	    (before.oom || after.oom || before.len != after.len ||
	     memcmp(before.p, after.p, after.len)))
		changed_put(in, e);
	free(before.p);
	free(after.p);
}

void intents_foreach(struct intents *in, const char *uplink, void (*fn)(void *ctx, json_t *args),
		     void *ctx)
{
	int64_t up = in ? itab_name_find(&in->tab, uplink) : -1;

	if (up < 0)
		return;
	for (struct intent *e = in->tab.first, *next; e; e = next) {
		json_t *args;

		next = e->next;
		if (e->up != (uint32_t)up || !(args = itab_json(&in->tab, e)))
			continue;
		fn(ctx, args);
		json_decref(args);
	}
}

json_t *intents_stats_json(const struct intents *in)
{
	static const struct intents none;
	const struct jlog *j;

	if (!in)
		in = &none;
	j = &in->log;
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
			 "file", persistent(in) ? in->path : "", "vsis", (json_int_t)in->tab.n,
			 "saves", (json_int_t)in->saves, "save_errors", (json_int_t)in->save_errors,
			 "snapshot_errors", (json_int_t)in->snapshot_errors, "failing",
			 (json_int_t)in->failing, "journal", "records", (json_int_t)j->records,
			 "appends", (json_int_t)j->appends, "flushes", (json_int_t)j->flushes,
			 "torn", (json_int_t)j->torn, "write_errors", (json_int_t)j->write_errors,
			 "sync_errors", (json_int_t)j->sync_errors, "rewrites",
			 (json_int_t)j->rewrites);
}
