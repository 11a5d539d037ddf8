/* The per-uplink LLDP agent (IEEE 802.1AB), pure: transmit timer, TTL,
 * neighbour ageing and change detection, carrying the EVB TLV (lldp/evb.h).
 * Frames leave through ops->send; received LLDPDUs come in through
 * lldp_agent_rx() (full Ethernet frame).
 *
 *   msgTxInterval (default 30 s) between frames; when what we send changes
 *   (EVB TLV after negotiation, config) the next frame leaves at once and
 *   txFastInit (4) frames follow at msgFastTx (1 s).
 *   TTL = min(65535, msgTxInterval x msgTxHold + 1) (802.1AB-2009 txTTL).
 *   A neighbour is forgotten when its TTL runs out, at once for TTL 0;
 *   then the next one heard is a new peer.
 *
 * Admission: only LLDPDUs sent to cfg.dst (the EVB group address) are
 * read.  The neighbour is its chassis ID, port ID and source MAC; while its
 * TTL runs an LLDPDU from any other neighbour is dropped (counted, logged
 * once per neighbour), so a second chassis on the segment cannot take over
 * EVB.  It is taken once the current neighbour ages out or shuts down. */
#ifndef LLDP_LLDP_AGENT_H
#define LLDP_LLDP_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lldp/evb.h"
#include "lldp/lldp.h"
#include "vdp/base/vclock.h"

enum lldp_agent_event {
	LLDP_EV_NEW_PEER, /* a neighbour where there was none */
	LLDP_EV_PEER_GONE, /* aged out (TTL) or shutdown LLDPDU (TTL 0) */
	LLDP_EV_EVB_CHANGED, /* operative EVB values changed (a->evb.oper) */
};

struct lldp_agent_ops {
	void (*send)(void *ctx, const uint8_t *frame, size_t len);
	void (*event)(void *ctx, enum lldp_agent_event ev);
};

struct lldp_agent_config {
	uint32_t tx_interval_s;	/* msgTxInterval, default 30 */
	uint32_t tx_hold;	/* msgTxHold, default 4 */
	uint32_t fast_tx_s;	/* msgFastTx, default 1 */
	uint32_t tx_fast_init;	/* txFastInit, default 4 */
	uint8_t dst[6];		/* default 01-80-C2-00-00-00 (EVB: nearest customer bridge) */
	uint8_t mac[6];		/* source MAC and chassis ID (subtype MAC) */
	char ifname[32];	/* port ID (subtype interface name) */
	bool evb_enabled;	/* include the EVB TLV */
};

struct lldp_agent_counters {
	uint64_t tx_frames;
	uint64_t rx_frames;
	uint64_t rx_bad;
	uint64_t ageouts;
	uint64_t new_peers;
	uint64_t rx_drop_dst; /* not sent to cfg.dst */
	uint64_t rx_drop_peer; /* another neighbour while the current one's TTL runs */
};

struct lldp_agent {
	const struct lldp_agent_ops *ops;
	void *ctx;
	struct vclock *clock;
	struct vtimer *tx_timer;
	struct vtimer *age_timer;
	struct lldp_agent_config cfg;
	bool enabled;
	uint32_t fast_left;	/* fast frames still to send */
	struct evb evb;
	bool has_peer;
	uint8_t peer_chassis_subtype, peer_chassis_len;
	uint8_t peer_chassis[LLDP_ID_MAX];
	uint8_t peer_port_subtype, peer_port_len;
	uint8_t peer_port[LLDP_ID_MAX];
	uint8_t peer_mac[6]; /* source MAC of its LLDPDUs */
	bool other_logged; /* a second neighbour was logged for this one */
	uint16_t peer_ttl;
	uint64_t peer_expiry_us;
	struct lldp_agent_counters cnt;
};

void lldp_agent_config_default(struct lldp_agent_config *c);
int lldp_agent_init(struct lldp_agent *a, const struct lldp_agent_ops *ops, void *ctx,
		    struct vclock *clock, const struct lldp_agent_config *cfg,
		    const struct evb_config *evb);
void lldp_agent_free(struct lldp_agent *a);
/* Link up: send now, then fast, then every msgTxInterval. */
void lldp_agent_enable(struct lldp_agent *a);
/* Link down: stop, forget the neighbour (PEER_GONE if there was one). */
void lldp_agent_disable(struct lldp_agent *a);
/* Sends a shutdown LLDPDU (TTL 0) and disables. */
void lldp_agent_shutdown(struct lldp_agent *a);
void lldp_agent_set_evb(struct lldp_agent *a, const struct evb_config *evb);
void lldp_agent_rx(struct lldp_agent *a, const uint8_t *frame, size_t len);
uint16_t lldp_agent_ttl(const struct lldp_agent *a);

#endif
