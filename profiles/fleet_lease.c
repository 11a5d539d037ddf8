/* The host's etcd lease (see fleet_lease.h). */
#include <stdlib.h>

#include "profiles/fleet_lease.h"
#include "vdp/base/log.h"
#include "vdp/base/vclock.h"

struct fleet_lease {
	struct vclock *clock;
	const struct etcd_ops *ops;
	void *t;
	int64_t ttl_s;
	int64_t id;
	uint64_t asked_us; /* when the last grant or keepalive was sent */
	bool asked; /* its answer is awaited */
	fleet_lease_fn changed;
	void *ctx;
};

struct fleet_lease *fleet_lease_new(struct vclock *clock, const struct etcd_ops *ops, void *t,
				    int64_t ttl_s, fleet_lease_fn changed, void *ctx)
{
	struct fleet_lease *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	*l = (struct fleet_lease){
		.clock = clock, .ops = ops, .t = t, .ttl_s = ttl_s, .changed = changed, .ctx = ctx
	};
	return l;
}

void fleet_lease_free(struct fleet_lease *l)
{
	free(l);
}

int64_t fleet_lease_id(const struct fleet_lease *l)
{
	return l->id;
}

static void on_answer(void *ctx, int err, const char *msg, int64_t id, int64_t ttl)
{
	struct fleet_lease *l = ctx;

	l->asked = false;
	if (err || ttl <= 0) {
		/* A failed keepalive is taken as a lost lease too: the keys
		 * are written again under a new one, which holds whether or
		 * not the old one outlived the outage. */
		const char *why = err ? (msg ? msg : "unreachable") : "expired";

		if (l->id) {
			log_notice("fleet", "lease %lld lost: %s", (long long)l->id, why);
			l->id = 0;
			l->changed(l->ctx, 0, why);
		}
		return;
	}
	if (l->id == id)
		return;
	log_info("fleet", "lease %lld for the status keys (%lld s)", (long long)id,
		 (long long)l->ttl_s);
	l->id = id;
	l->changed(l->ctx, id, "granted");
}

void fleet_lease_tick(struct fleet_lease *l, bool connected)
{
	uint64_t now = vclock_now(l->clock);
	uint64_t every = (uint64_t)(l->ttl_s / 3 > 0 ? l->ttl_s / 3 : 1) * 1000000;
	int rc;

	if (l->asked || !connected)
		return;
	if (l->id && now - l->asked_us < every)
		return;
	rc = l->id ? l->ops->lease_keepalive(l->t, l->id, on_answer, l)
		   : l->ops->lease_grant(l->t, l->ttl_s, on_answer, l);
	if (rc == 0) {
		l->asked = true;
		l->asked_us = now;
	}
}
