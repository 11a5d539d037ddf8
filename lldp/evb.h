/* EVB TLV negotiation (802.1Q D.2.12 / 802.1Qbg-2012 clause 41.3), pure.
 * Given the local configuration and the last EVB TLV received from the peer
 * it computes the TLV to send and the operative values:
 *   R, RTE, RWD, RKA = max(local, remote); the ROL bit of RWD/RKA is set when
 *                      the remote value is >= the local one (lldpad, H3C);
 *   station: RRSTAT = peer RRCTR (3 = unknown until a bridge TLV arrived),
 *            bridge status octet echoes the bridge's;
 *   bridge:  RRCTR = peer RRREQ && local RRCAP, station status octet echoes
 *            the station's;
 *   group IDs are used iff BGID && SGID.
 * Converged = a TLV from a peer of the opposite role was received. */
#ifndef LLDP_EVB_H
#define LLDP_EVB_H

#include <stdbool.h>
#include <stdint.h>

#include "lldp/lldp.h"

struct evb_config {
	uint8_t role;		/* EVB_MODE_STATION or EVB_MODE_BRIDGE */
	uint8_t r;		/* 0..7 */
	uint8_t rte, rwd, rka;	/* 0..31 */
	bool rrreq;		/* station: request reflective relay */
	bool rrcap;		/* bridge: capable of reflective relay */
	bool gid;		/* supports group IDs (SGID or BGID) */
};

/* Defaults: R 3, RTE 8, RWD 20, RKA 20 (lldpad / MIB defaults). */
void evb_config_default(struct evb_config *c, uint8_t role);

struct evb_oper {
	uint8_t r, rte, rwd, rka;
	bool rr;		/* reflective relay in effect (RRCTR) */
	bool gid;		/* group IDs usable in VDP filters */
};

struct evb {
	struct evb_config cfg;
	bool have_peer;
	struct evb_tlv peer;	/* last received */
	struct evb_tlv tx;	/* what we send */
	struct evb_oper oper;
	bool converged;
};

void evb_init(struct evb *e, const struct evb_config *cfg);
/* Returns true if the TLV to send or the operative values changed. */
bool evb_set_config(struct evb *e, const struct evb_config *cfg);
bool evb_rx(struct evb *e, const struct evb_tlv *peer);
/* Peer aged out / link down: back to local values. */
bool evb_peer_lost(struct evb *e);
static inline const struct evb_tlv *evb_tx_tlv(const struct evb *e) { return &e->tx; }

#endif
