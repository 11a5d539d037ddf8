/* See logburst.h. */
#include "vdp/base/logburst.h"

#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/base/log.h"
#include "vdp/base/vclock.h"

#define MAX_GROUPS 64 /* beyond: lines are written, never held */

struct burst {
	char subject[IF_NAMESIZE];
	const char *what; /* NULL: slot free */
	uint64_t start_us; /* window opened at; 0: none open */
	uint64_t first_us, last_us;
	uint64_t quiet_from_us; /* singles allowed again from then */
	unsigned shown, held;
};

struct log_bursts {
	struct vclock *clk;
	struct vtimer *timer;
	const char *tag;
	struct burst g[MAX_GROUPS];
};

static void tick_cb(void *arg)
{
	log_bursts_tick(arg);
}

struct log_bursts *log_bursts_new(struct vclock *clk, const char *tag)
{
	struct log_bursts *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->clk = clk;
	b->tag = tag;
	b->timer = vtimer_new(clk, tick_cb, b);
	if (!b->timer) {
		free(b);
		return NULL;
	}
	return b;
}

static void close_window(struct log_bursts *b, struct burst *g, uint64_t now)
{
	if (g->held) {
		log_info(b->tag,
			 "%s: %s: %u VSIs in %.1f s (%u logged singly; log level debug logs each)",
			 g->subject, g->what, g->shown + g->held,
			 (double)(g->last_us - g->first_us) / 1e6, g->shown);
		g->quiet_from_us = now + LOG_BURST_WINDOW_US;
	}
	g->start_us = 0;
	g->shown = g->held = 0;
}

void log_bursts_free(struct log_bursts *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < MAX_GROUPS; i++)
		if (b->g[i].what && b->g[i].start_us)
			close_window(b, &b->g[i], vclock_now(b->clk));
	vtimer_free(b->clk, b->timer);
	free(b);
}

void log_bursts_tick(struct log_bursts *b)
{
	uint64_t now = vclock_now(b->clk), next = 0;

	for (size_t i = 0; i < MAX_GROUPS; i++) {
		struct burst *g = &b->g[i];

		if (!g->what || !g->start_us)
			continue;
		if (now >= g->start_us + LOG_BURST_WINDOW_US)
			close_window(b, g, now);
		else if (!next || g->start_us + LOG_BURST_WINDOW_US < next)
			next = g->start_us + LOG_BURST_WINDOW_US;
	}
	if (next)
		vtimer_arm(b->clk, b->timer, next - now);
}

static struct burst *group_of(struct log_bursts *b, const char *subject, const char *what)
{
	struct burst *free_slot = NULL;

	for (size_t i = 0; i < MAX_GROUPS; i++) {
		struct burst *g = &b->g[i];

		if (!g->what) {
			if (!free_slot)
				free_slot = g;
		} else if (g->what == what && strcmp(g->subject, subject) == 0) {
			return g;
		}
	}
	if (free_slot) {
		snprintf(free_slot->subject, sizeof(free_slot->subject), "%s", subject);
		free_slot->what = what;
	}
	return free_slot;
}

bool log_burst_admit(struct log_bursts *b, const char *subject, const char *what)
{
	struct burst *g;
	uint64_t now;

	if (log_get_level() < LOG_INFO)
		return false;
	if (!b || log_get_level() >= LOG_DEBUG)
		return true;
	g = group_of(b, subject, what);
	if (!g)
		return true;
	now = vclock_now(b->clk);
	if (!g->start_us) {
		g->start_us = g->first_us = now ? now : 1;
		if (!vtimer_pending(b->clk, b->timer))
			vtimer_arm(b->clk, b->timer, LOG_BURST_WINDOW_US);
	}
	g->last_us = now;
	if (now >= g->quiet_from_us && g->shown < LOG_BURST_SINGLES) {
		g->shown++;
		return true;
	}
	g->held++;
	return false;
}
