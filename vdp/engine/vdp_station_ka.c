/* Keep-alives that survive a lossy wire (802.1Qbg-2012 41.5.5 leaves this
 * open).  The bridge ends a VSI when no request for it arrived within
 * toutKeepAlive = 1.5 x (10us x 2^RKA + (2R+1) x 10us x 2^RTE) after its
 * last answer; the station sends its keep-alive reinitKeepAlive after it
 * heard that answer, which leaves about half a reinitKeepAlive plus a few
 * ackTimer periods.  A keep-alive lost to ECP (no ack after 1 + R sends) or
 * whose answer does not come is therefore sent again at once, ahead of new
 * work, as long as one more ECP exchange still fits before the bridge's
 * deadline; only then does the VSI end as before (and the daemon's
 * reconciler takes over).  The deadline is estimated conservatively from
 * the moment the station heard the answer: the bridge armed its timer when
 * it sent it, up to R retransmissions earlier. */
#include <string.h>

#include "vdp/engine/vdp_station_int.h"

static inline uint32_t now_ms(const struct vdp_station *st)
{
	return (uint32_t)(vclock_now(st->clock) / 1000);
}

uint64_t vdp_station_tout_ka_us(const struct vdp_station *st)
{
	return (vdp_exp_us(st->rka) + (2ULL * st->r + 1) * vdp_exp_us(st->rte)) * 3 / 2;
}

uint64_t vdp_station_ecp_budget_us(const struct vdp_station *st)
{
	return (st->r + 1ULL) * vdp_exp_us(st->rte);
}

void vdp_station_ka_armed(struct vdp_station *st, struct vsi *v)
{
	uint64_t due = vdp_station_tout_ka_us(st) - vdp_station_ecp_budget_us(st);

	v->ka_due_ms = now_ms(st) + (uint32_t)(due / 1000);
	v->ka_due_set = true;
}

/* Milliseconds left until the bridge's deadline; negative when past. */
static int64_t ka_left_ms(const struct vdp_station *st, const struct vsi *v)
{
	return (int32_t)(v->ka_due_ms - now_ms(st));
}

/* When v's next keep-alive goes: reinitKeepAlive after the answer just
 * heard, minus an offset of up to ka_spread_pct of it, then rounded down to
 * a grid of reinitKeepAlive/VDP_KA_GRID.
 *
 * Why: VSIs associated together (one vdpctl -b, a link up) would otherwise
 * come due together every period, and ECP is stop-and-wait: at 65,536 VSIs
 * a wave is ~1,560 ECPDUs sent one after the other, and on a loaded host
 * its tail reached the bridge after toutKeepAlive.  Only earlier is safe:
 * the bridge's deadline runs from its answer, so a later keep-alive eats
 * into the slack the lossy-wire re-sends need, an earlier one adds to it.
 * The offset is a fixed function of the VSIID, not a fresh random draw:
 * each VSI then drifts from its neighbours by a constant amount per period,
 * so a wave is spread over the offset range after one period and over the
 * whole period after about 100 / ka_spread_pct periods, never re-forms, and
 * a test (or an operator reading a capture) sees the same instants each
 * run; a VSIID picked to aim at one instant gains nothing the requester
 * could not have by asking at that instant.  The grid is the price control:
 * spread out, keep-alives at low load would each leave alone in an ECPDU
 * (4,096 VSIs: ~390 ECPDUs/s instead of ~9); rounded down to the grid, those
 * falling in one cell leave together and ECP packs them as before, while a
 * wave still splits, since the VSIs of a cell hear their answers over as
 * many round trips as their ECPDUs take and fall into different cells the
 * next period.  The cost is keep-alives at most ka_spread_pct + 1/VDP_KA_GRID
 * sooner: ~7 % more of them at the default. */
uint64_t vdp_station_ka_delay_us(const struct vdp_station *st, const struct vsi *v)
{
	uint64_t p = vdp_station_keepalive_us(st), span = p * st->ka_spread_pct / 100;
	uint64_t grid = p / VDP_KA_GRID, now, due, a, b;

	if (!span)
		return p;
	memcpy(&a, v->vsiid, 8);
	memcpy(&b, v->vsiid + 8, 8);
	now = vclock_now(st->clock);
	due = now + p - vsi_mix64(vsi_mix64(a ^ v->vsiid_fmt) ^ b) % span;
	if (grid)
		due -= due % grid;
	/* span <= p / 2 and grid < p / 2: due stays ahead of now */
	return due - now;
}

bool vdp_station_ka_can_resend(const struct vdp_station *st, const struct vsi *v)
{
	if (!v->ka_due_set || v->change_held)
		return false;
	return ka_left_ms(st, v) * 1000 >= (int64_t)vdp_station_ecp_budget_us(st);
}

/* The response wait of a keep-alive: half the time left, so that a lost
 * answer leaves room for more tries, each sooner than the last, but no less
 * than two ECP exchanges (ours and the bridge's reply) and never more than
 * the ordinary response wait. */
uint64_t vdp_station_ka_wait_us(const struct vdp_station *st, const struct vsi *v)
{
	uint64_t w = vdp_station_resp_wait_us(st), min = 2 * vdp_station_ecp_budget_us(st);
	int64_t left = ka_left_ms(st, v) * 1000;
	uint64_t half = left > 0 ? (uint64_t)left / 2 : 0;

	if (!v->ka_due_set)
		return w;
	if (half < min)
		half = min;
	return half < w ? half : w;
}
