/* Fault injection for vdp-bridge: seeded, reproducible decisions about each
 * frame (drop, duplicate, delay, reorder, swallow ECP acks) and answer rules
 * that make chosen VSI type IDs fail with a chosen reason.
 *
 * Reproducible: every frame considered draws exactly three numbers from the
 * PRNG of its direction (receive and transmit have their own streams, both
 * derived from the seed), whatever the outcome.  The same seed and the same
 * frame sequence in one direction give the same verdicts, independently of
 * the other direction and of the percentages chosen for it.
 *
 * By default only ECP frames are subject to faults; LLDP (and with it EVB
 * negotiation) passes untouched unless lldp is set. */
#ifndef VDP_FAULT_H
#define VDP_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define FAULT_MAX_RULES 16
#define FAULT_MAX_DELAY_MS 60000

enum fault_dir {
	FAULT_RX = 0,
	FAULT_TX = 1,
};

/* Answer every request for VSI type type_id (any version) with reason. */
struct fault_rule {
	uint32_t type_id;
	uint8_t reason;		/* enum vdp_reason 0..15; 0 = success */
	bool keep;		/* VDP_STATUS_KEEP */
	bool hard;		/* VDP_STATUS_HARD */
	bool defer;		/* never answer: resourceWaitDelay runs out */
	bool keepalive; /* keep-alives of confirmed VSIs of the type are
				 * answered by the rule too (a VSI manager
				 * revoking a profile from a running VSI) */
};

struct fault_dir_config {
	double drop;		/* percent 0..100 */
	double dup;		/* percent: the frame is sent/delivered twice */
	double reorder;		/* percent: held back and released after the next frame */
	uint32_t delay_ms;	/* every frame waits this long */
};

struct fault_config {
	uint64_t seed;
	struct fault_dir_config dir[2];	/* [FAULT_RX], [FAULT_TX] */
	bool noack;		/* swallow every ECP ack we send */
	bool lldp;		/* LLDP frames are subject to faults too */
	uint32_t reorder_hold_ms; /* longest a held frame waits for a successor */
	size_t n_rules;
	struct fault_rule rules[FAULT_MAX_RULES];
};

struct fault_verdict {
	bool drop;
	bool dup;
	bool reorder;
	uint32_t delay_ms;
};

struct fault_counters {
	uint64_t seen;		/* frames considered */
	uint64_t dropped;
	uint64_t duplicated;
	uint64_t delayed;
	uint64_t reordered;
	uint64_t acks_dropped;	/* noack (tx only) */
};

struct fault {
	struct fault_config cfg;
	uint64_t rng[2];
	struct fault_counters cnt[2];
	uint64_t rule_hits;
};

void fault_config_default(struct fault_config *c);
/* Starts both PRNG streams from cfg->seed; zeroes the counters. */
void fault_init(struct fault *f, const struct fault_config *cfg);
/* Changes the configuration.  The PRNG streams restart from the seed when
 * the seed changed (or reseed is true), so a test can replay a pattern. */
void fault_set_config(struct fault *f, const struct fault_config *cfg, bool reseed);
/* True when some frame-level fault is configured in either direction. */
bool fault_active(const struct fault_config *c);

/* The verdict for one frame (Ethernet header included). */
struct fault_verdict fault_decide(struct fault *f, enum fault_dir dir,
				  const uint8_t *frame, size_t len);
/* The answer rule for a VSI type, or NULL. */
const struct fault_rule *fault_rule_find(const struct fault *f, uint32_t type_id);
/* The status octet a rule answers with. */
uint8_t fault_rule_status(const struct fault_rule *r);

/* The PRNG (splitmix64), exposed for tests. */
uint64_t fault_rand(uint64_t *state);

/* JSON: {"seed":N, "rx":{"drop":P,"dup":P,"reorder":P,"delay_ms":N},
 * "tx":{...}, "noack":B, "lldp":B, "reorder_hold_ms":N,
 * "rules":[{"type_id":N,"reason":N,"keep":B,"hard":B,"defer":B,"keepalive":B}, ...]}.
 * fault_config_update() applies only the members present in j (rules, when
 * present, replace the whole list); on error c is unchanged and err says
 * which member is wrong. */
json_t *fault_config_json(const struct fault_config *c);
int fault_config_update(struct fault_config *c, json_t *j, char *err, size_t errlen);
json_t *fault_counters_json(const struct fault *f);

#endif
