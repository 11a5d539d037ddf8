/* An in-memory etcd for unit tests (see fake_etcd.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/fake_etcd.h"

#define FAKE_MAX_KEYS 4096
#define FAKE_MAX_HIST 16384
#define FAKE_MAX_CLIENTS 4
#define FAKE_MAX_QUEUE 64
#define FAKE_DOWN_MSG "etcd at http://127.0.0.1:2379: connection refused"

#define FAKE_MAX_LEASES 32

struct fkv {
	char *key, *val;
	int64_t mod;
	int64_t lease;
};

enum fq_kind { FQ_RANGE, FQ_TXN, FQ_GRANT, FQ_KEEPALIVE };

struct fq {
	enum fq_kind kind;
	char *key, *val;
	int64_t rev, expect;
	void *cb, *ctx;
};

struct fake_etcd_client {
	struct fake_etcd *f;
	struct fq q[FAKE_MAX_QUEUE];
	int nq;
	bool watching, held;
	char *wprefix;
	int64_t wnext;
	etcd_watch_cb wcb;
	void *wctx;
};

struct fake_etcd {
	struct fkv kv[FAKE_MAX_KEYS];
	int nkv;
	struct fkv hist[FAKE_MAX_HIST]; /* val NULL: a delete */
	int nhist;
	int64_t rev, compacted;
	bool down;
	struct fake_etcd_client c[FAKE_MAX_CLIENTS];
	int nc;
	int64_t leases[FAKE_MAX_LEASES]; /* alive; 0: free slot */
	int64_t next_lease, grants, keepalives, last_keepalive;
};

struct fake_etcd *fake_etcd_new(void)
{
	struct fake_etcd *f = calloc(1, sizeof(*f));

	f->rev = 1; /* etcd starts at 1 */
	f->next_lease = 0x7e570000;
	return f;
}

static void client_fini(struct fake_etcd_client *c)
{
	for (int i = 0; i < c->nq; i++) {
		free(c->q[i].key);
		free(c->q[i].val);
	}
	free(c->wprefix);
}

void fake_etcd_free(struct fake_etcd *f)
{
	for (int i = 0; i < f->nkv; i++) {
		free(f->kv[i].key);
		free(f->kv[i].val);
	}
	for (int i = 0; i < f->nhist; i++) {
		free(f->hist[i].key);
		free(f->hist[i].val);
	}
	for (int i = 0; i < f->nc; i++)
		client_fini(&f->c[i]);
	free(f);
}

struct fake_etcd_client *fake_etcd_client(struct fake_etcd *f)
{
	struct fake_etcd_client *c = &f->c[f->nc++];

	c->f = f;
	return c;
}

void fake_etcd_client_hold(struct fake_etcd_client *c, bool hold)
{
	c->held = hold;
}

static struct fkv *find(struct fake_etcd *f, const char *key)
{
	for (int i = 0; i < f->nkv; i++)
		if (!strcmp(f->kv[i].key, key))
			return &f->kv[i];
	return NULL;
}

static void record(struct fake_etcd *f, const char *key, const char *val)
{
	struct fkv *h = &f->hist[f->nhist++];

	h->key = strdup(key);
	h->val = val ? strdup(val) : NULL;
	h->mod = f->rev;
}

int64_t fake_etcd_put(struct fake_etcd *f, const char *key, const char *val)
{
	struct fkv *e = find(f, key);

	f->rev++;
	if (!e) {
		e = &f->kv[f->nkv++];
		e->key = strdup(key);
	} else {
		free(e->val);
	}
	e->val = strdup(val);
	e->mod = f->rev;
	e->lease = 0;
	record(f, key, val);
	return f->rev;
}

int64_t fake_etcd_put_many(struct fake_etcd *f, const char *const *keys, const char *const *vals,
			   int n)
{
	for (int i = 0; i < n; i++) {
		fake_etcd_put(f, keys[i], vals[i]);
		if (i + 1 < n)
			f->rev--; /* the next put gets the same revision */
	}
	for (int i = f->nhist - n; i < f->nhist; i++)
		f->hist[i].mod = f->rev;
	return f->rev;
}

int64_t fake_etcd_del(struct fake_etcd *f, const char *key)
{
	struct fkv *e = find(f, key);

	if (!e)
		return f->rev;
	f->rev++;
	free(e->key);
	free(e->val);
	*e = f->kv[--f->nkv];
	record(f, key, NULL);
	return f->rev;
}

void fake_etcd_compact(struct fake_etcd *f, int64_t rev)
{
	f->compacted = rev;
}

void fake_etcd_set_down(struct fake_etcd *f, bool down)
{
	f->down = down;
}

int64_t fake_etcd_revision(const struct fake_etcd *f)
{
	return f->rev;
}

const char *fake_etcd_value(const struct fake_etcd *f, const char *key)
{
	return find((struct fake_etcd *)f, key) ? find((struct fake_etcd *)f, key)->val : NULL;
}

static int enqueue(struct fake_etcd_client *c, enum fq_kind kind, const char *key, const char *val,
		   int64_t rev, int64_t expect, void *cb, void *ctx)
{
	if (c->nq == FAKE_MAX_QUEUE)
		return -ENOBUFS;
	c->q[c->nq++] = (struct fq){ .kind = kind,
				     .key = strdup(key),
				     .val = val ? strdup(val) : NULL,
				     .rev = rev,
				     .expect = expect,
				     .cb = cb,
				     .ctx = ctx };
	return 0;
}

static int f_range(void *t, const char *prefix, int64_t rev, etcd_range_cb cb, void *ctx)
{
	return enqueue(t, FQ_RANGE, prefix, NULL, rev, 0, (void *)cb, ctx);
}

static int f_watch(void *t, const char *prefix, int64_t start_rev, etcd_watch_cb cb, void *ctx)
{
	struct fake_etcd_client *c = t;

	free(c->wprefix);
	c->wprefix = strdup(prefix);
	c->wnext = start_rev;
	c->wcb = cb;
	c->wctx = ctx;
	c->watching = true;
	return 0;
}

static void f_watch_cancel(void *t)
{
	struct fake_etcd_client *c = t;

	c->watching = false;
}

/* rev carries the lease of a put */
static int f_txn(void *t, const char *key, int64_t expect, const char *value, int64_t lease,
		 etcd_txn_cb cb, void *ctx)
{
	return enqueue(t, FQ_TXN, key, value, lease, expect, (void *)cb, ctx);
}

/* rev carries the TTL of a grant, the ID of a keepalive */
static int f_lease(void *t, int64_t ttl, etcd_lease_cb cb, void *ctx)
{
	return enqueue(t, FQ_GRANT, "", NULL, ttl, 0, (void *)cb, ctx);
}

static int f_keepalive(void *t, int64_t id, etcd_lease_cb cb, void *ctx)
{
	return enqueue(t, FQ_KEEPALIVE, "", NULL, id, 0, (void *)cb, ctx);
}

static int64_t *lease_slot(struct fake_etcd *f, int64_t id)
{
	for (int i = 0; i < FAKE_MAX_LEASES; i++)
		if (f->leases[i] == id)
			return &f->leases[i];
	return NULL;
}

void fake_etcd_lease_expire(struct fake_etcd *f, int64_t id)
{
	int64_t *l = id ? lease_slot(f, id) : NULL;

	if (!l)
		return;
	*l = 0;
	for (int i = 0; i < f->nkv;)
		if (f->kv[i].lease == id) {
			char *key = strdup(f->kv[i].key);

			fake_etcd_del(f, key); /* moves the last into i */
			free(key);
		} else
			i++;
}

int64_t fake_etcd_lease_of(const struct fake_etcd *f, const char *key)
{
	const struct fkv *e = find((struct fake_etcd *)f, key);

	return e ? e->lease : 0;
}

bool fake_etcd_lease_alive(const struct fake_etcd *f, int64_t id)
{
	return id && lease_slot((struct fake_etcd *)f, id);
}

int64_t fake_etcd_grants(const struct fake_etcd *f)
{
	return f->grants;
}

int64_t fake_etcd_keepalives(const struct fake_etcd *f, int64_t *last_id)
{
	if (last_id)
		*last_id = f->last_keepalive;
	return f->keepalives;
}

const struct etcd_ops fake_etcd_ops = {
	.range = f_range,
	.watch = f_watch,
	.watch_cancel = f_watch_cancel,
	.txn = f_txn,
	.lease_grant = f_lease,
	.lease_keepalive = f_keepalive,
};

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct etcd_kv *)a)->key, ((const struct etcd_kv *)b)->key);
}

static void answer_range(struct fake_etcd *f, struct fq *q)
{
	etcd_range_cb cb = (etcd_range_cb)q->cb;
	struct etcd_kv *kvs = calloc((size_t)f->nkv + 1, sizeof(*kvs));
	size_t n = 0, pl = strlen(q->key);

	if (f->down) {
		cb(q->ctx, -ECONNREFUSED, FAKE_DOWN_MSG, 0, NULL, 0);
	} else {
		for (int i = 0; i < f->nkv; i++)
			if (!strncmp(f->kv[i].key, q->key, pl))
				kvs[n++] = (struct etcd_kv){ .key = f->kv[i].key,
							     .value = f->kv[i].val,
							     .value_len = strlen(f->kv[i].val),
							     .mod_revision = f->kv[i].mod };
		qsort(kvs, n, sizeof(*kvs), cmp_kv);
		cb(q->ctx, 0, NULL, f->rev, kvs, n);
	}
	free(kvs);
}

static void answer_txn(struct fake_etcd *f, struct fq *q)
{
	etcd_txn_cb cb = (etcd_txn_cb)q->cb;
	struct fkv *e = find(f, q->key);

	if (f->down) {
		cb(q->ctx, -ECONNREFUSED, FAKE_DOWN_MSG, false, 0);
		return;
	}
	if ((e ? e->mod : 0) != q->expect) {
		cb(q->ctx, 0, NULL, false, f->rev);
		return;
	}
	if (q->rev && !lease_slot(f, q->rev)) {
		cb(q->ctx, -EIO, "etcdserver: requested lease not found", false, 0);
		return;
	}
	if (q->val) {
		fake_etcd_put(f, q->key, q->val);
		find(f, q->key)->lease = q->rev;
	} else {
		fake_etcd_del(f, q->key);
	}
	cb(q->ctx, 0, NULL, true, f->rev);
}

/* A keepalive of a lease etcd does not have is answered with TTL 0 (the
 * JSON gateway leaves TTL out). */
static void answer_lease(struct fake_etcd *f, struct fq *q)
{
	etcd_lease_cb cb = (etcd_lease_cb)q->cb;
	int64_t *slot;

	if (f->down) {
		cb(q->ctx, -ECONNREFUSED, FAKE_DOWN_MSG, 0, 0);
		return;
	}
	if (q->kind == FQ_KEEPALIVE) {
		f->keepalives++;
		f->last_keepalive = q->rev;
		cb(q->ctx, 0, NULL, q->rev, lease_slot(f, q->rev) ? 10 : 0);
		return;
	}
	slot = lease_slot(f, 0);
	if (!slot) {
		cb(q->ctx, -EIO, "etcdserver: too many leases", 0, 0);
		return;
	}
	f->grants++;
	*slot = ++f->next_lease;
	cb(q->ctx, 0, NULL, *slot, q->rev);
}

/* Events from wnext on, in one batch; the end of the watch when the
 * revision was compacted or the store is down. */
static int deliver_watch(struct fake_etcd *f, struct fake_etcd_client *c)
{
	struct etcd_event *ev;
	size_t n = 0, pl;

	if (!c->watching || c->held)
		return 0;
	if (f->down || c->wnext <= f->compacted) {
		c->watching = false;
		c->wcb(c->wctx, f->down ? -ECONNREFUSED : -ESTALE,
		       f->down ? FAKE_DOWN_MSG : "compacted", NULL, 0);
		return 1;
	}
	ev = calloc((size_t)f->nhist + 1, sizeof(*ev));
	pl = strlen(c->wprefix);
	for (int i = 0; i < f->nhist; i++) {
		struct fkv *h = &f->hist[i];

		if (h->mod < c->wnext || strncmp(h->key, c->wprefix, pl))
			continue;
		ev[n++] = (struct etcd_event){ .type = h->val ? ETCD_PUT : ETCD_DELETE,
					       .kv = { .key = h->key,
						       .value = h->val ? h->val : "",
						       .value_len = h->val ? strlen(h->val) : 0,
						       .mod_revision = h->mod } };
	}
	c->wnext = f->rev + 1;
	if (n)
		c->wcb(c->wctx, 0, NULL, ev, n);
	free(ev);
	return n ? 1 : 0;
}

int fake_etcd_run(struct fake_etcd *f)
{
	int calls = 0, more = 1;

	while (more) {
		more = 0;
		for (int i = 0; i < f->nc; i++) {
			struct fake_etcd_client *c = &f->c[i];

			while (c->nq) {
				struct fq q = c->q[0];

				memmove(c->q, c->q + 1, (size_t)--c->nq * sizeof(c->q[0]));
				if (q.kind == FQ_RANGE)
					answer_range(f, &q);
				else if (q.kind == FQ_TXN)
					answer_txn(f, &q);
				else
					answer_lease(f, &q);
				free(q.key);
				free(q.val);
				calls++;
				more = 1;
			}
			if (deliver_watch(f, c)) {
				calls++;
				more = 1;
			}
		}
	}
	return calls;
}
