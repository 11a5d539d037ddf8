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

/* When the next keep-alive of a VSI confirmed by the ULPDU being received
 * goes: reinitKeepAlive after the answer, less one of VDP_KA_CLASSES steps
 * of ka_spread_pct / VDP_KA_CLASSES %, one step drawn per received ULPDU
 * (vdp_station_ka_rx) and shared by every VSI it confirms.
 *
 * Why: VSIs associated together (one vdpctl -b, a link up) would otherwise
 * come due together every period, and ECP is stop-and-wait: at 65,536 VSIs
 * a wave is ~1,560 ECPDUs sent one after the other, and on a loaded host
 * its tail reached the bridge after toutKeepAlive.  Only sooner is safe:
 * the bridge's deadline runs from its answer, so a later keep-alive eats
 * into the slack the lossy-wire re-sends need, a sooner one adds to it.
 * Why per answer and in a few steps, not per VSI or continuous:
 * - the VSIs the bridge answered in one ECPDU fall due together again, and
 *   ECP packs their keep-alives as before (with the kick after the timers
 *   due, vdp_station.c); a step per VSI split every answer of 42 VSIs into
 *   16 groups of ~3, each sent alone while ECP idled (on the wire at 65,536
 *   VSIs: 1,432 ECPDU/s instead of 188, vdpd 5.3 % of a core instead of
 *   1.1 %);
 * - the daemon's timers are libevent common timeouts, a FIFO per duration
 *   with no heap work to re-arm: 16 durations stay in that path, a
 *   continuous offset would put every VSI's timer in the heap;
 * - a fresh step per answer and period: the answers of a wave (and of the
 *   keep-alive waves after it) move independently, so a wave spreads over
 *   the steps in its first period, wider each period after, and does not
 *   re-form; a counter through a mixer, so a test sees the same instants
 *   each run.
 * Why 25 % by default: the round trips of a wave's keep-alives only need to
 * be slower than those of its associations for its tail to come late.  On
 * the wire at 65,536 VSIs with 3 ms / 2 ms added to the bridge's receive /
 * send after the associations, bridge keep-alive timeouts in 30 s: ~10,000
 * at 0 %, 0 to 1,515 at 12 %, 0 in three runs at 25 %.  The cost is
 * keep-alives on average 11.7 % sooner at 25 %: ~13 % more of them, in
 * about as many ECPDUs (165 ECPDU/s instead of 157 without the fault). */
void vdp_station_ka_rx(struct vdp_station *st)
{
	st->ka_class = (uint8_t)(vsi_mix64(++st->ka_rx) % VDP_KA_CLASSES);
}

uint64_t vdp_station_ka_delay_us(const struct vdp_station *st)
{
	uint64_t p = vdp_station_keepalive_us(st);

	return p - p * st->ka_spread_pct / 100 / VDP_KA_CLASSES * st->ka_class;
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
