/* Per-uplink LLDP agent (IEEE 802.1AB-2009 clause 9, simplified): one
 * transmit timer (msgTxInterval, msgFastTx after a change), one ageing timer
 * for the single neighbour EVB cares about, and the EVB TLV. */
#include <errno.h>
#include <string.h>

#include "lldp/lldp_agent.h"
#include "vdp/base/eth.h"
#include "vdp/base/log.h"

void lldp_agent_config_default(struct lldp_agent_config *c)
{
	memset(c, 0, sizeof(*c));
	c->tx_interval_s = 30;
	c->tx_hold = 4;
	c->fast_tx_s = 1;
	c->tx_fast_init = 4;
	memcpy(c->dst, eth_nearest_customer_bridge, 6);
	c->evb_enabled = true;
}

uint16_t lldp_agent_ttl(const struct lldp_agent *a)
{
	uint64_t ttl = (uint64_t)a->cfg.tx_interval_s * a->cfg.tx_hold + 1;

	return ttl > 65535 ? 65535 : (uint16_t)ttl;
}

static void send_lldpdu(struct lldp_agent *a, uint16_t ttl)
{
	struct lldpdu du;
	uint8_t buf[512];
	struct wbuf w;
	size_t n = strnlen(a->cfg.ifname, sizeof(a->cfg.ifname));

	memset(&du, 0, sizeof(du));
	du.chassis_subtype = LLDP_CHASSIS_MAC;
	du.chassis_len = 6;
	memcpy(du.chassis_id, a->cfg.mac, 6);
	if (n) {
		du.port_subtype = LLDP_PORT_IFNAME;
		du.port_len = (uint8_t)n;
		memcpy(du.port_id, a->cfg.ifname, n);
	} else {
		du.port_subtype = LLDP_PORT_MAC;
		du.port_len = 6;
		memcpy(du.port_id, a->cfg.mac, 6);
	}
	du.ttl = ttl;
	if (a->cfg.evb_enabled) {
		du.has_evb = true;
		du.evb = *evb_tx_tlv(&a->evb);
	}
	wbuf_init(&w, buf, sizeof(buf));
	eth_encode(&w, a->cfg.dst, a->cfg.mac, ETHERTYPE_LLDP);
	if (lldp_encode(&w, &du) != CODEC_OK)
		return;
	eth_pad(&w);
	if (w.err)
		return;
	a->cnt.tx_frames++;
	a->ops->send(a->ctx, buf, w.len);
}

static void tx_timer_cb(void *arg)
{
	struct lldp_agent *a = arg;

	if (!a->enabled)
		return;
	send_lldpdu(a, lldp_agent_ttl(a));
	if (a->fast_left) {
		a->fast_left--;
		vtimer_arm(a->clock, a->tx_timer, (uint64_t)a->cfg.fast_tx_s * 1000000);
	} else {
		vtimer_arm(a->clock, a->tx_timer, (uint64_t)a->cfg.tx_interval_s * 1000000);
	}
}

/* Something we send changed, or a new neighbour: a frame now, then
 * txFastInit - 1 more at msgFastTx. */
static void tx_fast(struct lldp_agent *a)
{
	if (!a->enabled)
		return;
	a->fast_left = a->cfg.tx_fast_init ? a->cfg.tx_fast_init - 1 : 0;
	vtimer_arm(a->clock, a->tx_timer, 0);
}

static void emit(struct lldp_agent *a, enum lldp_agent_event ev)
{
	if (a->ops->event)
		a->ops->event(a->ctx, ev);
}

static void peer_gone(struct lldp_agent *a)
{
	bool evb_changed;

	if (!a->has_peer)
		return;
	a->has_peer = false;
	vtimer_cancel(a->clock, a->age_timer);
	evb_changed = evb_peer_lost(&a->evb);
	emit(a, LLDP_EV_PEER_GONE);
	if (evb_changed) {
		emit(a, LLDP_EV_EVB_CHANGED);
		tx_fast(a);
	}
}

static void age_timer_cb(void *arg)
{
	struct lldp_agent *a = arg;

	/* The neighbour's TTL ran out (802.1AB rxInfoAge). */
	a->cnt.ageouts++;
	peer_gone(a);
}

int lldp_agent_init(struct lldp_agent *a, const struct lldp_agent_ops *ops, void *ctx,
		    struct vclock *clock, const struct lldp_agent_config *cfg,
		    const struct evb_config *evb)
{
	struct evb_config def;

	memset(a, 0, sizeof(*a));
	a->ops = ops;
	a->ctx = ctx;
	a->clock = clock;
	a->cfg = *cfg;
	if (!evb) {
		evb_config_default(&def, EVB_MODE_STATION);
		evb = &def;
	}
	evb_init(&a->evb, evb);
	a->tx_timer = vtimer_new(clock, tx_timer_cb, a);
	a->age_timer = vtimer_new(clock, age_timer_cb, a);
	if (!a->tx_timer || !a->age_timer) {
		lldp_agent_free(a);
		return -ENOMEM;
	}
	return 0;
}

void lldp_agent_free(struct lldp_agent *a)
{
	vtimer_free(a->clock, a->tx_timer);
	vtimer_free(a->clock, a->age_timer);
	a->tx_timer = a->age_timer = NULL;
	a->enabled = false;
}

void lldp_agent_enable(struct lldp_agent *a)
{
	if (a->enabled)
		return;
	a->enabled = true;
	tx_fast(a);
}

void lldp_agent_disable(struct lldp_agent *a)
{
	if (!a->enabled)
		return;
	vtimer_cancel(a->clock, a->tx_timer);
	peer_gone(a);
	vtimer_cancel(a->clock, a->tx_timer);
	a->enabled = false;
}

void lldp_agent_shutdown(struct lldp_agent *a)
{
	if (a->enabled)
		send_lldpdu(a, 0);
	lldp_agent_disable(a);
}

void lldp_agent_set_evb(struct lldp_agent *a, const struct evb_config *evb)
{
	if (evb_set_config(&a->evb, evb)) {
		emit(a, LLDP_EV_EVB_CHANGED);
		tx_fast(a);
	}
}

static bool same_peer(const struct lldp_agent *a, const struct lldpdu *du, const uint8_t src[6])
{
	return a->has_peer && memcmp(a->peer_mac, src, 6) == 0 &&
		a->peer_chassis_subtype == du->chassis_subtype &&
		a->peer_chassis_len == du->chassis_len &&
		memcmp(a->peer_chassis, du->chassis_id, du->chassis_len) == 0 &&
		a->peer_port_subtype == du->port_subtype && a->peer_port_len == du->port_len &&
		memcmp(a->peer_port, du->port_id, du->port_len) == 0;
}

static void log_other_peer(struct lldp_agent *a, const struct lldpdu *du, const uint8_t src[6])
{
	uint64_t now = vclock_now(a->clock);
	uint64_t left = a->peer_expiry_us > now ? (a->peer_expiry_us - now + 999999) / 1000000 : 0;

	if (a->other_logged)
		return;
	a->other_logged = true;
	log_notice("lldp",
		   "%s: LLDPDU from another neighbour (source %02x:%02x:%02x:%02x:%02x:%02x, "
		   "chassis ID subtype %u length %u) ignored: the current neighbour's TTL runs "
		   "%llu s more (logged once per neighbour, counted in rx_drop_peer)",
		   a->cfg.ifname, src[0], src[1], src[2], src[3], src[4], src[5],
		   du->chassis_subtype, du->chassis_len, (unsigned long long)left);
}

static void take_peer(struct lldp_agent *a, const struct lldpdu *du, const uint8_t src[6])
{
	if (!a->has_peer)
		a->other_logged = false;
	a->has_peer = true;
	memcpy(a->peer_mac, src, 6);
	a->peer_chassis_subtype = du->chassis_subtype;
	a->peer_chassis_len = du->chassis_len;
	memcpy(a->peer_chassis, du->chassis_id, du->chassis_len);
	a->peer_port_subtype = du->port_subtype;
	a->peer_port_len = du->port_len;
	memcpy(a->peer_port, du->port_id, du->port_len);
}

void lldp_agent_rx(struct lldp_agent *a, const uint8_t *frame, size_t len)
{
	struct lldpdu du;
	struct eth_hdr eh;
	const uint8_t *pl;
	size_t pl_len;
	bool is_new, evb_changed = false;

	if (!a->enabled)
		return;
	/* Before decoding: the kernel passes only the header of a frame to
	 * another destination. */
	if (len < ETH_HDR_LEN || memcmp(frame, a->cfg.dst, 6) != 0) {
		a->cnt.rx_drop_dst++;
		return;
	}
	if (eth_decode(frame, len, &eh, &pl, &pl_len) != CODEC_OK ||
	    eh.ethertype != ETHERTYPE_LLDP || lldp_decode(pl, pl_len, &du) != CODEC_OK) {
		a->cnt.rx_bad++;
		return;
	}
	is_new = !same_peer(a, &du, eh.src);
	if (is_new && a->has_peer) {
		/* The neighbour holds the port until its TTL runs out or it
		 * shuts down (its own TTL 0 LLDPDU). */
		a->cnt.rx_drop_peer++;
		log_other_peer(a, &du, eh.src);
		return;
	}
	a->cnt.rx_frames++;
	if (du.ttl == 0) {
		/* Shutdown LLDPDU: forget the neighbour now. */
		if (!is_new)
			peer_gone(a);
		return;
	}
	take_peer(a, &du, eh.src);
	a->peer_ttl = du.ttl;
	a->peer_expiry_us = vclock_now(a->clock) + (uint64_t)du.ttl * 1000000;
	vtimer_arm(a->clock, a->age_timer, (uint64_t)du.ttl * 1000000);
	if (a->cfg.evb_enabled) {
		if (du.has_evb)
			evb_changed = evb_rx(&a->evb, &du.evb);
		else
			evb_changed = evb_peer_lost(&a->evb);
	}
	if (is_new) {
		a->cnt.new_peers++;
		emit(a, LLDP_EV_NEW_PEER);
	}
	if (evb_changed)
		emit(a, LLDP_EV_EVB_CHANGED);
	if (is_new || evb_changed)
		tx_fast(a);
}
