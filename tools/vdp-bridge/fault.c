/* Seeded fault decisions for vdp-bridge.  See fault.h. */
#include <stdio.h>
#include <string.h>

#include "vdp/wire/ecpdu.h"
#include "vdp/base/eth.h"
#include "tools/vdp-bridge/fault.h"
#include "vdp/wire/vdp_tlv.h"

/* Distinct constants so the two directions draw unrelated streams. */
#define FAULT_RX_SALT 0x52582d7374726561ULL
#define FAULT_TX_SALT 0x54582d7374726561ULL

uint64_t fault_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* A draw in [0, 100). */
static double fault_pct(uint64_t *state)
{
	return (double)(fault_rand(state) >> 11) * (100.0 / 9007199254740992.0);
}

void fault_config_default(struct fault_config *c)
{
	memset(c, 0, sizeof(*c));
	c->seed = 1;
	c->reorder_hold_ms = 50;
}

static void fault_seed(struct fault *f)
{
	f->rng[FAULT_RX] = f->cfg.seed ^ FAULT_RX_SALT;
	f->rng[FAULT_TX] = f->cfg.seed ^ FAULT_TX_SALT;
}

void fault_init(struct fault *f, const struct fault_config *cfg)
{
	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
	fault_seed(f);
}

void fault_set_config(struct fault *f, const struct fault_config *cfg, bool reseed)
{
	bool seed_changed = cfg->seed != f->cfg.seed;

	f->cfg = *cfg;
	if (reseed || seed_changed)
		fault_seed(f);
}

bool fault_active(const struct fault_config *c)
{
	for (int d = 0; d < 2; d++) {
		const struct fault_dir_config *dc = &c->dir[d];

		if (dc->drop > 0 || dc->dup > 0 || dc->reorder > 0 || dc->delay_ms)
			return true;
	}
	return c->noack;
}

static bool is_ecp_ack(const uint8_t *frame, size_t len)
{
	struct ecp_hdr h;
	const uint8_t *u;
	size_t ulen;

	if (len < ETH_HDR_LEN + ECP_HDR_LEN)
		return false;
	if ((uint16_t)(frame[12] << 8 | frame[13]) != ETHERTYPE_ECP)
		return false;
	return ecp_decode(frame + ETH_HDR_LEN, len - ETH_HDR_LEN, &h, &u, &ulen) == CODEC_OK &&
	       h.op == ECP_OP_ACK;
}

struct fault_verdict fault_decide(struct fault *f, enum fault_dir dir,
				  const uint8_t *frame, size_t len)
{
	const struct fault_dir_config *dc = &f->cfg.dir[dir];
	struct fault_counters *cnt = &f->cnt[dir];
	struct fault_verdict v = { 0 };
	uint16_t et;
	double r_drop, r_dup, r_reorder;

	if (len < ETH_HDR_LEN)
		return v;
	et = (uint16_t)(frame[12] << 8 | frame[13]);
	if (et == ETHERTYPE_LLDP && !f->cfg.lldp)
		return v;
	cnt->seen++;
	/* Always three draws, so the stream position depends only on the
	 * number of frames seen (see fault.h). */
	r_drop = fault_pct(&f->rng[dir]);
	r_dup = fault_pct(&f->rng[dir]);
	r_reorder = fault_pct(&f->rng[dir]);
	if (dir == FAULT_TX && f->cfg.noack && is_ecp_ack(frame, len)) {
		cnt->acks_dropped++;
		v.drop = true;
		return v;
	}
	if (r_drop < dc->drop) {
		cnt->dropped++;
		v.drop = true;
		return v;
	}
	if (r_dup < dc->dup) {
		cnt->duplicated++;
		v.dup = true;
	}
	if (r_reorder < dc->reorder) {
		cnt->reordered++;
		v.reorder = true;
	}
	if (dc->delay_ms) {
		cnt->delayed++;
		v.delay_ms = dc->delay_ms;
	}
	return v;
}

const struct fault_rule *fault_rule_find(const struct fault *f, uint32_t type_id)
{
	for (size_t i = 0; i < f->cfg.n_rules; i++)
		if (f->cfg.rules[i].type_id == type_id)
			return &f->cfg.rules[i];
	return NULL;
}

uint8_t fault_rule_status(const struct fault_rule *r)
{
	return (uint8_t)((r->reason & VDP_STATUS_REASON) | (r->keep ? VDP_STATUS_KEEP : 0) |
			 (r->hard ? VDP_STATUS_HARD : 0));
}

/* ---- JSON ---- */

static json_t *dir_json(const struct fault_dir_config *d)
{
	return json_pack("{s:f, s:f, s:f, s:i}", "drop", d->drop, "dup", d->dup,
			 "reorder", d->reorder, "delay_ms", (int)d->delay_ms);
}

json_t *fault_config_json(const struct fault_config *c)
{
	json_t *rules = json_array();

	for (size_t i = 0; i < c->n_rules; i++) {
		const struct fault_rule *r = &c->rules[i];

		json_array_append_new(rules,
				      json_pack("{s:i, s:i, s:b, s:b, s:b, s:b}", "type_id",
						(int)r->type_id, "reason", r->reason, "keep",
						r->keep, "hard", r->hard, "defer", r->defer,
						"keepalive", r->keepalive));
	}
	return json_pack("{s:I, s:o, s:o, s:b, s:b, s:i, s:o}",
			 "seed", (json_int_t)c->seed, "rx", dir_json(&c->dir[FAULT_RX]),
			 "tx", dir_json(&c->dir[FAULT_TX]), "noack", c->noack, "lldp", c->lldp,
			 "reorder_hold_ms", (int)c->reorder_hold_ms, "rules", rules);
}

static int get_pct(json_t *o, const char *key, double *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	double d;

	if (!v)
		return 0;
	if (!json_is_number(v)) {
		snprintf(err, errlen, "%s: a number is expected", key);
		return -1;
	}
	d = json_number_value(v);
	if (!(d >= 0 && d <= 100)) {
		snprintf(err, errlen, "%s: %g is not a percentage (0..100)", key, d);
		return -1;
	}
	*out = d;
	return 0;
}

static int get_uint(json_t *o, const char *key, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max) {
		snprintf(err, errlen, "%s: an integer 0..%llu is expected", key, (unsigned long long)max);
		return -1;
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_bool(json_t *o, const char *key, bool *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		snprintf(err, errlen, "%s: true or false is expected", key);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

static int dir_update(struct fault_dir_config *d, json_t *o, const char *name, char *err, size_t errlen)
{
	uint64_t delay = d->delay_ms;
	const char *key;
	json_t *v;

	if (!json_is_object(o)) {
		snprintf(err, errlen, "%s: an object is expected", name);
		return -1;
	}
	json_object_foreach(o, key, v) {
		if (strcmp(key, "drop") && strcmp(key, "dup") && strcmp(key, "reorder") &&
		    strcmp(key, "delay_ms")) {
			snprintf(err, errlen, "%s: unknown member \"%s\"", name, key);
			return -1;
		}
	}
	if (get_pct(o, "drop", &d->drop, err, errlen) || get_pct(o, "dup", &d->dup, err, errlen) ||
	    get_pct(o, "reorder", &d->reorder, err, errlen) ||
	    get_uint(o, "delay_ms", FAULT_MAX_DELAY_MS, &delay, err, errlen)) {
		char inner[160];

		snprintf(inner, sizeof(inner), "%s", err);
		snprintf(err, errlen, "%s.%s", name, inner);
		return -1;
	}
	d->delay_ms = (uint32_t)delay;
	return 0;
}

static int rules_update(struct fault_config *c, json_t *a, char *err, size_t errlen)
{
	size_t i;
	json_t *r;

	if (!json_is_array(a)) {
		snprintf(err, errlen, "rules: an array is expected");
		return -1;
	}
	if (json_array_size(a) > FAULT_MAX_RULES) {
		snprintf(err, errlen, "rules: at most %d", FAULT_MAX_RULES);
		return -1;
	}
	c->n_rules = 0;
	json_array_foreach(a, i, r) {
		struct fault_rule *fr = &c->rules[i];
		uint64_t tid = 0, reason = VDP_R_OTHER_FAILURE;

		memset(fr, 0, sizeof(*fr));
		if (!json_is_object(r) || !json_object_get(r, "type_id")) {
			snprintf(err, errlen, "rules[%zu]: an object with type_id is expected", i);
			return -1;
		}
		if (get_uint(r, "type_id", 0xFFFFFF, &tid, err, errlen) ||
		    get_uint(r, "reason", 15, &reason, err, errlen) ||
		    get_bool(r, "keep", &fr->keep, err, errlen) ||
		    get_bool(r, "hard", &fr->hard, err, errlen) ||
		    get_bool(r, "defer", &fr->defer, err, errlen) ||
		    get_bool(r, "keepalive", &fr->keepalive, err, errlen))
			return -1;
		fr->type_id = (uint32_t)tid;
		fr->reason = (uint8_t)reason;
		c->n_rules++;
	}
	return 0;
}

int fault_config_update(struct fault_config *c, json_t *j, char *err, size_t errlen)
{
	static const char *const known[] = { "seed", "rx", "tx", "noack", "lldp",
					     "reorder_hold_ms", "rules", NULL };
	struct fault_config n = *c;
	uint64_t seed = n.seed, hold = n.reorder_hold_ms;
	const char *key;
	json_t *v;

	if (!json_is_object(j)) {
		snprintf(err, errlen, "fault settings: an object is expected");
		return -1;
	}
	json_object_foreach(j, key, v) {
		bool ok = false;

		for (int i = 0; known[i]; i++)
			if (!strcmp(key, known[i]))
				ok = true;
		if (!ok) {
			snprintf(err, errlen, "unknown fault setting \"%s\"", key);
			return -1;
		}
	}
	if (get_uint(j, "seed", UINT64_MAX >> 1, &seed, err, errlen) ||
	    get_bool(j, "noack", &n.noack, err, errlen) ||
	    get_bool(j, "lldp", &n.lldp, err, errlen) ||
	    get_uint(j, "reorder_hold_ms", FAULT_MAX_DELAY_MS, &hold, err, errlen))
		return -1;
	if ((v = json_object_get(j, "rx")) && dir_update(&n.dir[FAULT_RX], v, "rx", err, errlen))
		return -1;
	if ((v = json_object_get(j, "tx")) && dir_update(&n.dir[FAULT_TX], v, "tx", err, errlen))
		return -1;
	if ((v = json_object_get(j, "rules")) && rules_update(&n, v, err, errlen))
		return -1;
	n.seed = seed;
	n.reorder_hold_ms = (uint32_t)hold;
	*c = n;
	return 0;
}

static json_t *counters_json(const struct fault_counters *c)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
			 "seen", (json_int_t)c->seen, "dropped", (json_int_t)c->dropped,
			 "duplicated", (json_int_t)c->duplicated, "delayed", (json_int_t)c->delayed,
			 "reordered", (json_int_t)c->reordered, "acks_dropped", (json_int_t)c->acks_dropped);
}

json_t *fault_counters_json(const struct fault *f)
{
	return json_pack("{s:o, s:o, s:I}", "rx", counters_json(&f->cnt[FAULT_RX]),
			 "tx", counters_json(&f->cnt[FAULT_TX]), "rule_hits", (json_int_t)f->rule_hits);
}
