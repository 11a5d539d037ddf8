/* The reconciler (see reconcile.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/base/backoff.h"
#include "vdp/base/log.h"
#include "vdp/daemon/reconcile.h"
#include "vdp/wire/vdp_text.h"

void reconcile_init(struct reconcile *rc, struct vclock *clock, const struct reconcile_ops *ops,
		    void *ctx)
{
	memset(rc, 0, sizeof(*rc));
	rc->clock = clock;
	rc->ops = ops;
	rc->ctx = ctx;
	rc->max_us = RC_DEFAULT_MAX_US;
	reconcile_seed(rc, vclock_now(clock) ^ (uint64_t)(uintptr_t)rc);
}

void reconcile_seed(struct reconcile *rc, uint64_t seed)
{
	rc->rng = backoff_seed(seed);
}

void reconcile_set_params(struct reconcile *rc, uint64_t initial_us, uint64_t max_us)
{
	rc->initial_us = initial_us;
	rc->max_us = max_us ? max_us : RC_DEFAULT_MAX_US;
}

static void entry_free(struct reconcile *rc, struct rc_entry *e)
{
	vtimer_free(rc->clock, e->timer);
	free(e);
}

void reconcile_fini(struct reconcile *rc)
{
	for (size_t i = 0; i < RC_BUCKETS; i++) {
		struct rc_entry *e, *n;

		for (e = rc->bkt[i]; e; e = n) {
			n = e->next;
			entry_free(rc, e);
		}
		rc->bkt[i] = NULL;
	}
	rc->n = 0;
}

enum rc_verdict reconcile_verdict(uint8_t reason, uint8_t status)
{
	switch ((enum vdp_end_reason)reason) {
	case VDP_END_NONE:
	case VDP_END_DEASSOCIATED:
		return RC_OPERATOR;
	case VDP_END_TIMEOUT:
	case VDP_END_TX_ERROR:
	case VDP_END_BRIDGE_DEASSOC:
	case VDP_END_INTERNAL:
		return RC_RETRY;
	case VDP_END_TOO_BIG:
		return RC_GIVE_UP;
	case VDP_END_REJECTED:
		/* 802.1Qbg 41.2.x: the hard-error bit says asking again will
		 * not help; of the reasons, only a lack of resources and an
		 * unreachable VSI manager may pass. */
		if (status & VDP_STATUS_HARD)
			return RC_GIVE_UP;
		switch (status & VDP_STATUS_REASON) {
		case VDP_R_INSUFFICIENT_RESOURCES:
		case VDP_R_UNABLE_TO_CONTACT_MANAGER:
			return RC_RETRY;
		default:
			return RC_GIVE_UP;
		}
	}
	return RC_GIVE_UP;
}

uint64_t reconcile_backoff_us(const struct reconcile *rc, uint64_t base_us, uint32_t n)
{
	return backoff_us(base_us, rc->max_us, n);
}

/* Uniform in [d/2, d]: spread VSIs that failed together. */
static uint64_t jitter(struct reconcile *rc, uint64_t d)
{
	return backoff_jitter(&rc->rng, d);
}

static size_t hash(const char *uplink, uint8_t fmt, const uint8_t id[VDP_VSIID_LEN])
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const char *p = uplink; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	h = (h ^ fmt) * 0x100000001b3ULL;
	for (int i = 0; i < VDP_VSIID_LEN; i++)
		h = (h ^ id[i]) * 0x100000001b3ULL;
	return (size_t)(h % RC_BUCKETS);
}

static struct rc_entry **slot(const struct reconcile *rc, const char *uplink, uint8_t fmt,
			      const uint8_t id[VDP_VSIID_LEN])
{
	struct rc_entry *const *p = &rc->bkt[hash(uplink, fmt, id)];

	for (; *p; p = &(*p)->next)
		if ((*p)->fmt == fmt && !memcmp((*p)->vsiid, id, VDP_VSIID_LEN) &&
		    !strcmp((*p)->uplink, uplink))
			break;
	return (struct rc_entry **)p;
}

const struct rc_entry *reconcile_find(const struct reconcile *rc, const char *uplink, uint8_t fmt,
				      const uint8_t vsiid[VDP_VSIID_LEN])
{
	return *slot(rc, uplink, fmt, vsiid);
}

static void drop(struct reconcile *rc, struct rc_entry *e)
{
	struct rc_entry **p = slot(rc, e->uplink, e->fmt, e->vsiid);

	*p = e->next;
	rc->n--;
	entry_free(rc, e);
}

void reconcile_forget(struct reconcile *rc, const char *uplink, uint8_t fmt,
		      const uint8_t vsiid[VDP_VSIID_LEN])
{
	struct rc_entry *e = *slot(rc, uplink, fmt, vsiid);

	if (e)
		drop(rc, e);
}

static void tell(struct reconcile *rc, const struct rc_entry *e, const char *what)
{
	if (rc->ops->event)
		rc->ops->event(rc->ctx, e, what);
}

static void schedule(struct reconcile *rc, struct rc_entry *e, uint64_t delay_us)
{
	e->state = RC_WAITING;
	e->next_us = vclock_now(rc->clock) + delay_us;
	vtimer_arm(rc->clock, e->timer, delay_us);
}

static void try_now(void *arg)
{
	struct rc_entry *e = arg;
	struct reconcile *rc = e->rc;
	struct vdp_filter filters[RC_MAX_FILTERS];
	struct vdp_request req;
	int r;

	if (rc->ops->desired(rc->ctx, e->uplink, e->fmt, e->vsiid, &req, filters) <= 0) {
		drop(rc, e); /* deleted meanwhile, or no longer ours */
		return;
	}
	r = rc->ops->request(rc->ctx, e->uplink, &req);
	if (r > 0) {
		drop(rc, e); /* alive again by other means (link up, re-added) */
		return;
	}
	e->attempts++;
	if (r < 0) {
		/* The uplink is not running: the next try, later. */
		schedule(rc, e, jitter(rc, reconcile_backoff_us(rc, e->base_us, e->attempts)));
		return;
	}
	rc->cnt.retries++;
	e->state = RC_TRYING;
	tell(rc, e, "retrying");
}

static struct rc_entry *entry_get(struct reconcile *rc, const char *uplink, const struct vsi *v)
{
	struct rc_entry **p = slot(rc, uplink, v->vsiid_fmt, v->vsiid), *e = *p;

	if (e)
		return e;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->rc = rc;
	e->timer = vtimer_new(rc->clock, try_now, e);
	if (!e->timer) {
		free(e);
		return NULL;
	}
	snprintf(e->uplink, sizeof(e->uplink), "%s", uplink);
	e->fmt = v->vsiid_fmt;
	memcpy(e->vsiid, v->vsiid, VDP_VSIID_LEN);
	*p = e;
	rc->n++;
	return e;
}

static bool ours(struct reconcile *rc, const char *uplink, const struct vsi *v)
{
	struct vdp_filter filters[RC_MAX_FILTERS];
	struct vdp_request req;

	return rc->ops->desired(rc->ctx, uplink, v->vsiid_fmt, v->vsiid, &req, filters) > 0;
}

static void ended(struct reconcile *rc, const char *uplink, const struct vsi *v, uint64_t budget_us)
{
	enum rc_verdict vd = reconcile_verdict(v->reason, v->status);
	struct rc_entry *e;

	if (vd == RC_OPERATOR || !ours(rc, uplink, v)) {
		reconcile_forget(rc, uplink, v->vsiid_fmt, v->vsiid);
		return;
	}
	e = entry_get(rc, uplink, v);
	if (!e) {
		log_err("vsi", "%s: no memory to schedule a re-association", uplink);
		return;
	}
	e->reason = v->reason;
	e->status = v->status;
	e->base_us = rc->initial_us ? rc->initial_us : budget_us;
	if (vd == RC_GIVE_UP) {
		vtimer_cancel(rc->clock, e->timer);
		e->state = RC_GAVE_UP;
		rc->cnt.given_up++;
		tell(rc, e, "given-up");
		return;
	}
	/* attempts counts the retries already sent: the first end waits
	 * base, the n-th failed retry base x 2^n. */
	schedule(rc, e, jitter(rc, reconcile_backoff_us(rc, e->base_us, e->attempts + 1)));
	tell(rc, e, "retry-scheduled");
}

static struct rc_pull *pull_of(struct reconcile *rc, const char *uplink)
{
	struct rc_pull *free_slot = NULL;

	for (size_t i = 0; i < sizeof(rc->pulls) / sizeof(rc->pulls[0]); i++) {
		if (!strcmp(rc->pulls[i].uplink, uplink))
			return &rc->pulls[i];
		if (!free_slot && !rc->pulls[i].uplink[0])
			free_slot = &rc->pulls[i];
	}
	if (!free_slot)
		free_slot = &rc->pulls[0];
	snprintf(free_slot->uplink, sizeof(free_slot->uplink), "%s", uplink);
	free_slot->at = 0;
	return free_slot;
}

/* Waiting retries of transport failures on uplink, due later than about
 * base from now, are moved to within base (jittered).  force: whatever
 * was due, and refusals too (EVB converged again: a new bridge, perhaps). */
static void pull(struct reconcile *rc, const char *uplink, uint64_t budget_us, bool force)
{
	uint64_t now = vclock_now(rc->clock), base = rc->initial_us ? rc->initial_us : budget_us;
	struct rc_pull *p = pull_of(rc, uplink);

	if (!force && p->at && now - p->at < base)
		return;
	p->at = now;
	if (!rc->n)
		return;
	for (size_t i = 0; i < RC_BUCKETS; i++)
		for (struct rc_entry *e = rc->bkt[i]; e; e = e->next) {
			if (e->state != RC_WAITING || strcmp(e->uplink, uplink))
				continue;
			if (!force && e->reason == VDP_END_REJECTED)
				continue;
			if (e->next_us <= now + base)
				continue;
			rc->cnt.pulled++;
			schedule(rc, e, force ? jitter(rc, base) / 2 : jitter(rc, base));
		}
}

void reconcile_uplink_up(struct reconcile *rc, const char *uplink, uint64_t ecp_budget_us)
{
	pull(rc, uplink, ecp_budget_us, true);
}

void reconcile_vsi_event(struct reconcile *rc, const char *uplink, const struct vsi *v,
			 enum vdp_event ev, uint64_t ecp_budget_us)
{
	struct rc_entry *e;

	switch (ev) {
	case VDP_EV_FAILED:
	case VDP_EV_BRIDGE_DEASSOC:
		ended(rc, uplink, v, ecp_budget_us);
		return;
	case VDP_EV_DEASSOCIATED:
		reconcile_forget(rc, uplink, v->vsiid_fmt, v->vsiid);
		return;
	case VDP_EV_PREASSOCIATED:
	case VDP_EV_ASSOCIATED:
		e = *slot(rc, uplink, v->vsiid_fmt, v->vsiid);
		if (e) {
			if (e->state == RC_TRYING)
				rc->cnt.reassociations++;
			tell(rc, e, "healed");
			drop(rc, e);
		}
		pull(rc, uplink, ecp_budget_us, false);
		return;
	case VDP_EV_KEEPALIVE_OK:
		pull(rc, uplink, ecp_budget_us, false);
		return;
	case VDP_EV_KEPT:
	case VDP_EV_VID_ASSIGNED:
		return;
	}
}

const char *reconcile_state_name(uint8_t s)
{
	switch ((enum rc_state)s) {
	case RC_WAITING:
		return "waiting";
	case RC_TRYING:
		return "trying";
	case RC_GAVE_UP:
		return "given-up";
	}
	return "?";
}

json_t *reconcile_entry_json(const struct reconcile *rc, const struct rc_entry *e)
{
	uint64_t now = vclock_now(rc->clock);
	json_int_t next = e->state == RC_WAITING
		? (json_int_t)((e->next_us > now ? e->next_us - now : 0) / 1000)
		: -1;

	return json_pack(
		"{s:s, s:I, s:I, s:s, s:i, s:s}", "state", reconcile_state_name(e->state),
		"attempts", (json_int_t)e->attempts, "next_try_ms", next, "last_end",
		vdp_end_reason_name(e->reason), "last_status", (int)e->status, "last_status_text",
		e->status & VDP_STATUS_REASON ? vdp_reason_name(e->status & VDP_STATUS_REASON)
					      : "success");
}

json_t *reconcile_stats_json(const struct reconcile *rc)
{
	size_t st[3] = { 0 };

	for (size_t i = 0; i < RC_BUCKETS; i++)
		for (const struct rc_entry *e = rc->bkt[i]; e; e = e->next)
			if (e->state < 3)
				st[e->state]++;
	return json_pack(
		"{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "reassociations",
		(json_int_t)rc->cnt.reassociations, "retries", (json_int_t)rc->cnt.retries,
		"given_up", (json_int_t)rc->cnt.given_up, "pulled_forward",
		(json_int_t)rc->cnt.pulled, "waiting", (json_int_t)st[RC_WAITING], "trying",
		(json_int_t)st[RC_TRYING], "gave_up_now", (json_int_t)st[RC_GAVE_UP], "initial_ms",
		(json_int_t)(rc->initial_us / 1000), "max_ms", (json_int_t)(rc->max_us / 1000));
}
