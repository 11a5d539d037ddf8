/* The state-machine driver shared by the VDP station machine (41.5.5,
 * vdp_station_sm.c), the VDP bridge machine (41.5.6, vdp_bridge_sm.c) and
 * the ECP transmit machine (43.3, ecp.c), in the spirit of hostapd's
 * state_machine.h plus what hostapd lacks: a table of legal transitions
 * that every change of state is checked against.
 *
 * A machine is described once (struct sm_desc: its states' names, its
 * table, the states it leaves unconditionally).  Its owner keeps the
 * current state (a uint8_t) and the inputs not yet consumed (named bool
 * bitfields, after the standard's variables), and writes three things:
 *
 *   enter(to)  sm_allows() or sm_legal(), then the state, then the state's
 *              entry actions (SM_ENTER);
 *   step()     the global conditions, then a switch on the current state
 *              that takes one input (SM_TAKE) or leaves an unconditional
 *              state, and tells with sm_settled() whether another step
 *              may apply (SM_STEP);
 *   run()      sm_run(): step until stable, at most a cap of steps (more
 *              is a bug: the owner logs it with sm_fault_cap() and resets).
 *
 * An illegal transition is a bug of ours, never the peer's doing: the
 * owner logs it (sm_fault_illegal()), counts it and resets the object to
 * its machine's safe state; nothing aborts.
 *
 * Everything on the per-event path is inline: the target of a transition
 * is a constant at its call site and the step function is known to the
 * driver, so the check is one load and a bit test and the loop has no
 * indirect call. */
#ifndef VDP_ENGINE_SM_H
#define VDP_ENGINE_SM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Legal transitions are one row per possible value of the uint8_t state,
 * one bit per state that may follow: rows past the last state are 0, so
 * a corrupt state fails the check without a range test. */
#define SM_ROWS 256
#define SM_MAX_STATES 16

struct sm_desc {
	const char *name; /* "station": log lines */
	const char *clause; /* "802.1Qbg 41.5.5" */
	const uint16_t *next; /* [SM_ROWS] legal transitions */
	uint16_t uct; /* states left unconditionally (UCT) */
	uint8_t n_states;
	const char *(*state_name)(uint8_t s);
};

/* The table check where the target is a constant (inlined): no range test
 * on either state is needed there. */
static inline bool sm_allows(const struct sm_desc *d, uint8_t from, unsigned to)
{
	return (d->next[from] >> to) & 1;
}

/* The table check for any pair, e.g. a target given by a caller. */
static inline bool sm_legal(const struct sm_desc *d, uint8_t from, unsigned to)
{
	return to < d->n_states && sm_allows(d, from, to);
}

/* Stable: no input left and not in a state left unconditionally. */
static inline bool sm_settled(const struct sm_desc *d, uint8_t state, bool inputs)
{
	return !inputs && !((d->uct >> state) & 1);
}

/* Consumes a named input (a bool bitfield): true if it was set. */
#define SM_TAKE(in) ((in) ? ((in) = false, true) : false)

/* What a step returns to the driver. */
enum sm_step {
	SM_STABLE, /* nothing applied, or nothing more will */
	/* an input was consumed or the state changed, and another step may
	 * apply */
	SM_AGAIN,
};

/* The driver: steps until stable, at most cap steps.  step(m, o) is the
 * machine's step (o may be replaced or freed by it, e.g. a re-allocated
 * VSI record: pass a pointer to the pointer then).  Returns 0 once
 * stable, or the number of steps taken when the cap was hit: the machine
 * did not settle, which is a bug the caller logs and resets. */
static inline __attribute__((always_inline)) unsigned sm_run(unsigned cap,
							     enum sm_step (*step)(void *m, void *o),
							     void *m, void *o)
{
	for (unsigned n = 1; step(m, o) == SM_AGAIN; n++)
		if (__builtin_expect(n >= cap, 0))
			return n;
	return 0;
}

/* The text of a fault for the owner's log line, into buf (size len):
 * "illegal <name> transition <from> -> <to>" and "<name> machine not
 * stable after <n> steps, in <state>".  Out of line: never on the
 * per-event path. */
void sm_fault_illegal(const struct sm_desc *d, uint8_t from, uint8_t to, char *buf, size_t len);
void sm_fault_cap(const struct sm_desc *d, unsigned n, uint8_t state, char *buf, size_t len);

/* Room for either text. */
#define SM_FAULT_LEN 96

#endif
