/* The fleet registry's read, watch and resync, and its writes (see
 * fleet_sync.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiles/fleet_sync.h"
#include "profiles/reg_kind.h"
#include "profiles/regmap.h"

/* One key under the prefix as the cache holds it. */
struct fent {
	char *key;
	char *val;
	size_t len;
	int64_t mod;
	struct fleet_key k;
	bool ok; /* v holds the decoded value */
	union fleet_value v;
};

struct fleet_sync {
	struct reg *reg;
	const struct etcd_ops *ops;
	void *t;
	char prefix[FLEET_PREFIX_MAX];
	char watch_prefix[FLEET_PREFIX_MAX + 1]; /* prefix + "/" */
	char host[REG_NAME_MAX];
	struct reg_map cache;
	struct fleet_stats st;
	int64_t lease;
};

struct write_req {
	struct fleet_sync *fs;
	fleet_write_cb cb;
	void *ctx;
	bool create;
	int64_t expect;
	char key[FLEET_KEY_MAX];
};

static void noop_vsi(void *ctx, const struct reg_vsi *old, const struct reg_vsi *cur)
{
	(void)ctx;
	(void)old;
	(void)cur;
}

static const struct reg_ops noop_ops = { .vsi_desired = noop_vsi };

const char *fleet_state_name(enum fleet_state s)
{
	switch (s) {
	case FLEET_DOWN:
		return "down";
	case FLEET_READING:
		return "reading";
	case FLEET_WATCHING:
		return "watching";
	}
	return "?";
}

static void fent_free(struct fent *e)
{
	if (!e)
		return;
	free(e->key);
	free(e->val);
	free(e);
}

static void cache_clear(struct reg_map *m)
{
	size_t n;
	void **v = reg_map_sorted(m, &n);

	for (size_t i = 0; i < n; i++)
		fent_free(v[i]);
	free(v);
	reg_map_fini(m);
	reg_map_init(m);
}

/* Whether this host's registry holds the entry of k. */
static bool relevant(const struct fleet_sync *fs, const struct fleet_key *k)
{
	if (k->kind == FLEET_STATUS)
		return false;
	return !fleet_kind_per_host(k->kind) || (fs->host[0] && !strcmp(k->host, fs->host));
}

static void __attribute__((format(printf, 2, 3)))
set_error(struct fleet_sync *fs, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fs->st.last_error, sizeof(fs->st.last_error), fmt, ap);
	va_end(ap);
}

/* A new cache entry for kv, or NULL when the key is not the schema's. */
static struct fent *fent_new(struct fleet_sync *fs, const struct etcd_kv *kv)
{
	struct reg_err err = { "" };
	struct fent *e;
	int rc;

	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	rc = fleet_key_parse(fs->prefix, kv->key, &e->k, &err);
	if (rc) {
		if (rc != -ENOENT) {
			fs->st.bad_values++;
			set_error(fs, "%s", err.msg);
		}
		free(e);
		return NULL;
	}
	e->key = strdup(kv->key);
	e->val = malloc(kv->value_len + 1);
	if (!e->key || !e->val) {
		fent_free(e);
		return NULL;
	}
	memcpy(e->val, kv->value, kv->value_len);
	e->val[kv->value_len] = 0;
	e->len = kv->value_len;
	e->mod = kv->mod_revision;
	e->ok = !fleet_value_decode(&e->k, e->val, e->len, &e->v, &err);
	if (!e->ok) {
		fs->st.bad_values++;
		set_error(fs, "%s", err.msg);
	}
	return e;
}

/* Adds the entries of one registry kind to dst: dst's config entries
 * from cur first (vdpd.conf stays in force), then the cache's. */
static void rebuild_kind(struct fleet_sync *fs, struct reg *dst, const struct reg_kind_ops *k,
			 void **ents, size_t n)
{
	json_t *list = k->list_json(fs->reg, true), *j;
	union reg_entry e;
	size_t i;

	json_array_foreach (list, i, j) {
		if (!k->from_json(j, &e, NULL) && k->origin_of(&e) == REG_ORIGIN_CONFIG)
			(void)k->add(dst, &e, NULL);
	}
	json_decref(list);
	for (i = 0; i < n; i++) {
		struct fent *f = ents[i];
		struct reg_err err = { "" };

		if (!f->ok || !relevant(fs, &f->k) || fleet_reg_kind(f->k.kind) != k->kind)
			continue;
		if (k->add(dst, &f->v.e, &err)) {
			fs->st.unapplied++;
			set_error(fs, "%s: %s", f->key, err.msg);
		}
	}
}

/* The registry becomes the cache's entries: only the desired VSIs that
 * differ are reported (reg_replace). */
static void rebuild(struct fleet_sync *fs)
{
	struct reg *dst = reg_new(&noop_ops, NULL);
	size_t n;
	void **ents;

	if (!dst)
		return;
	ents = reg_map_sorted(&fs->cache, &n);
	fs->st.unapplied = 0;
	for (size_t i = 0; i < REG_NKINDS; i++)
		rebuild_kind(fs, dst, &reg_kinds[i], ents, n);
	free(ents);
	reg_replace(fs->reg, dst);
}

static void on_watch(void *ctx, int err, const char *msg, const struct etcd_event *ev, size_t n);

void fleet_sync_rebuild(struct fleet_sync *fs)
{
	rebuild(fs);
}

void fleet_sync_set_lease(struct fleet_sync *fs, int64_t lease)
{
	fs->lease = lease;
}

static void start_watch(struct fleet_sync *fs)
{
	if (fs->ops->watch(fs->t, fs->watch_prefix, fs->st.revision + 1, on_watch, fs)) {
		fs->st.state = FLEET_DOWN;
		set_error(fs, "cannot start the watch on %s", fs->watch_prefix);
		return;
	}
	fs->st.state = FLEET_WATCHING;
}

static void on_range(void *ctx, int err, const char *msg, int64_t revision,
		     const struct etcd_kv *kvs, size_t n)
{
	struct fleet_sync *fs = ctx;

	if (err) {
		/* keep serving what we have: nothing is applied */
		fs->st.state = FLEET_DOWN;
		fs->st.connected = false;
		set_error(fs, "%s", msg ? msg : "etcd read failed");
		return;
	}
	fs->st.connected = true;
	fs->st.reads++;
	cache_clear(&fs->cache);
	for (size_t i = 0; i < n; i++) {
		struct fent *e = fent_new(fs, &kvs[i]);

		if (e && reg_map_put(&fs->cache, e->key, e))
			fent_free(e);
	}
	fs->st.revision = revision;
	rebuild(fs);
	start_watch(fs);
}

static void read_prefix(struct fleet_sync *fs)
{
	fs->st.state = FLEET_READING;
	if (fs->ops->range(fs->t, fs->watch_prefix, 0, on_range, fs)) {
		fs->st.state = FLEET_DOWN;
		set_error(fs, "cannot read %s", fs->watch_prefix);
	}
}

/* One event into the cache and, where the registry takes it in place,
 * into the registry; false when the registry must be rebuilt. */
static bool apply_event(struct fleet_sync *fs, const struct etcd_event *ev)
{
	struct fent *old = reg_map_get(&fs->cache, ev->kv.key), *e = NULL;
	const struct reg_kind_ops *k;
	bool was, now, ok = true;

	if (ev->type == ETCD_PUT) {
		if (old && old->len == ev->kv.value_len &&
		    !memcmp(old->val, ev->kv.value, old->len)) {
			old->mod = ev->kv.mod_revision;
			return true;
		}
		e = fent_new(fs, &ev->kv);
		if (!e)
			return true; /* not the schema's */
	} else if (!old) {
		return true;
	}
	was = old && old->ok && relevant(fs, &old->k);
	now = e && e->ok && relevant(fs, &e->k);
	k = reg_kind_of(fleet_reg_kind((e ? e : old)->k.kind));
	if (now) {
		const void *cur = k->get(fs->reg, e->k.id);

		if (!cur)
			ok = !k->add(fs->reg, &e->v.e, NULL);
		else
			ok = k->put_over && !k->put_over(fs->reg, &e->v.e, NULL);
	} else if (was) {
		ok = !k->del(fs->reg, old->k.id, NULL);
	}
	if (old) {
		reg_map_del(&fs->cache, old->key);
		fent_free(old);
	}
	if (e && reg_map_put(&fs->cache, e->key, e)) {
		fent_free(e);
		ok = false;
	}
	return ok;
}

static void on_watch(void *ctx, int err, const char *msg, const struct etcd_event *ev, size_t n)
{
	struct fleet_sync *fs = ctx;
	bool ok = true;
	int64_t from;

	if (err == -ESTALE) {
		/* our revision was compacted: read afresh, apply the differences */
		fs->st.resyncs++;
		read_prefix(fs);
		return;
	}
	if (err) {
		fs->st.state = FLEET_DOWN;
		fs->st.connected = false;
		set_error(fs, "%s", msg ? msg : "etcd watch ended");
		return;
	}
	fs->st.connected = true;
	/* the events of one transaction share its revision */
	from = fs->st.revision;
	for (size_t i = 0; i < n; i++) {
		if (ev[i].kv.mod_revision <= from)
			continue; /* already in the read we started from */
		fs->st.events++;
		fs->st.revision = ev[i].kv.mod_revision;
		ok &= apply_event(fs, &ev[i]);
	}
	if (!ok || fs->st.unapplied)
		rebuild(fs);
}

struct fleet_sync *fleet_sync_new(struct reg *reg, const struct etcd_ops *ops, void *transport,
				  const char *prefix, const char *host, struct reg_err *err)
{
	struct fleet_sync *fs;

	if (fleet_prefix_valid(prefix, err))
		return NULL;
	if (host && host[0] && !reg_name_valid(host)) {
		reg_fail(err, -EINVAL, "host '%s': 1..63 characters of A-Z a-z 0-9 . _ : -", host);
		return NULL;
	}
	fs = calloc(1, sizeof(*fs));
	if (!fs) {
		reg_fail(err, -ENOMEM, "out of memory");
		return NULL;
	}
	fs->reg = reg;
	fs->ops = ops;
	fs->t = transport;
	snprintf(fs->prefix, sizeof(fs->prefix), "%s", prefix);
	snprintf(fs->watch_prefix, sizeof(fs->watch_prefix), "%s/", prefix);
	snprintf(fs->host, sizeof(fs->host), "%s", host ? host : "");
	reg_map_init(&fs->cache);
	return fs;
}

void fleet_sync_free(struct fleet_sync *fs)
{
	if (!fs)
		return;
	if (fs->st.state == FLEET_WATCHING)
		fs->ops->watch_cancel(fs->t);
	cache_clear(&fs->cache);
	reg_map_fini(&fs->cache);
	free(fs);
}

void fleet_sync_start(struct fleet_sync *fs)
{
	read_prefix(fs);
}

void fleet_sync_tick(struct fleet_sync *fs)
{
	if (fs->st.state == FLEET_DOWN)
		read_prefix(fs);
}

const struct fleet_stats *fleet_sync_stats(const struct fleet_sync *fs)
{
	return &fs->st;
}

const char *fleet_sync_get(const struct fleet_sync *fs, const char *key, int64_t *mod_revision)
{
	const struct fent *e = reg_map_get(&fs->cache, key);

	if (mod_revision)
		*mod_revision = e ? e->mod : 0;
	return e ? e->val : NULL;
}

void fleet_sync_each(const struct fleet_sync *fs, fleet_each_fn fn, void *ctx)
{
	size_t n;
	void **v = reg_map_sorted(&fs->cache, &n);

	for (size_t i = 0; i < n; i++) {
		const struct fent *e = v[i];

		fn(ctx, &e->k, e->val);
	}
	free(v);
}

static void on_txn(void *ctx, int err, const char *msg, bool succeeded, int64_t revision)
{
	struct write_req *w = ctx;
	char buf[FLEET_KEY_MAX + 128];

	if (err) {
		/* the watch, not one failed write, tells whether etcd is there */
		set_error(w->fs, "%s", msg ? msg : "etcd write failed");
		if (w->cb)
			w->cb(w->ctx, err, w->fs->st.last_error);
	} else if (!succeeded) {
		w->fs->st.conflicts++;
		if (w->create)
			snprintf(buf, sizeof(buf), "%s already exists", w->key);
		else
			snprintf(buf, sizeof(buf),
				 "%s was changed by another writer after revision %lld (now %lld): "
				 "read it again",
				 w->key, (long long)w->expect, (long long)revision);
		if (w->cb)
			w->cb(w->ctx, w->create ? -EEXIST : -EAGAIN, buf);
	} else {
		if (w->cb)
			w->cb(w->ctx, 0, NULL);
	}
	free(w);
}

static int send_txn(struct fleet_sync *fs, const char *key, const char *val, int64_t lease,
		    bool create, fleet_write_cb cb, void *ctx, struct reg_err *err)
{
	struct write_req *w;
	int64_t mod = 0;

	if (!fs->st.connected)
		return reg_fail(err, -ENOTCONN,
				"the fleet store is unreachable (%s): %s not written",
				fs->st.last_error[0] ? fs->st.last_error : "not read yet", key);
	w = calloc(1, sizeof(*w));
	if (!w)
		return reg_fail(err, -ENOMEM, "out of memory");
	(void)fleet_sync_get(fs, key, &mod);
	if (create && mod) {
		free(w);
		return reg_fail(err, -EEXIST, "%s already exists", key);
	}
	*w = (struct write_req){ .fs = fs, .cb = cb, .ctx = ctx, .create = create, .expect = mod };
	snprintf(w->key, sizeof(w->key), "%s", key);
	if (fs->ops->txn(fs->t, key, mod, val, lease, on_txn, w)) {
		free(w);
		return reg_fail(err, -EIO, "cannot send the write of %s", key);
	}
	return 0;
}

int fleet_sync_put(struct fleet_sync *fs, enum fleet_kind kind, const char *host, const void *entry,
		   bool create, fleet_write_cb cb, void *ctx, struct reg_err *err)
{
	struct fleet_key k = { .kind = kind };
	char key[FLEET_KEY_MAX];
	union fleet_value check;
	char *val;
	int rc;

	if ((unsigned)kind >= FLEET_NKINDS)
		return reg_fail(err, -EINVAL, "unknown fleet kind %d", (int)kind);
	snprintf(k.host, sizeof(k.host), "%s", host && host[0] ? host : fs->host);
	snprintf(k.id, sizeof(k.id), "%s",
		 kind == FLEET_STATUS ? ((const struct fleet_status *)entry)->iface_id
				      : reg_kind_of(fleet_reg_kind(kind))->key_of(entry));
	if (fleet_key_format(fs->prefix, &k, key, sizeof(key)) < 0)
		return reg_fail(err, -EINVAL, "%s '%s' (host '%s') makes no valid key",
				fleet_kind_name(kind), k.id, k.host);
	val = fleet_value_encode(kind, entry);
	if (!val)
		return reg_fail(err, -ENOMEM, "out of memory");
	/* what we write must be what every host can read back */
	rc = fleet_value_decode(&k, val, strlen(val), &check, err);
	if (!rc)
		rc = send_txn(fs, key, val, kind == FLEET_STATUS ? fs->lease : 0, create, cb, ctx,
			      err);
	free(val);
	return rc;
}

int fleet_sync_del(struct fleet_sync *fs, enum fleet_kind kind, const char *host, const char *id,
		   fleet_write_cb cb, void *ctx, struct reg_err *err)
{
	struct fleet_key k = { .kind = kind };
	char key[FLEET_KEY_MAX];

	snprintf(k.host, sizeof(k.host), "%s", host && host[0] ? host : fs->host);
	snprintf(k.id, sizeof(k.id), "%s", id);
	if (fleet_key_format(fs->prefix, &k, key, sizeof(key)) < 0)
		return reg_fail(err, -EINVAL, "%s '%s' makes no valid key", fleet_kind_name(kind),
				id);
	if (!fleet_sync_get(fs, key, NULL))
		return reg_fail(err, -ENOENT, "%s does not exist", key);
	return send_txn(fs, key, NULL, 0, false, cb, ctx, err);
}
