/* ECP per port (IEEE 802.1Qbg-2012 clause 43): the transmit and receive
 * state machines, free of I/O.  Frames leave through ops->send and come in
 * through ecp_rx(); the ackTimer is a vtimer.
 *
 * Transmit is stop-and-wait: one ECPDU outstanding (the receiver's duplicate
 * detection depends on it, 43.3).  ackTimer = 10 us x 2^RTE; on expiry the
 * same ECPDU (same sequence number) is sent again, at most maxRetries times
 * (1 + maxRetries transmissions), then the ECPDU is dropped and counted as
 * an error.  Unlike lldpad, an ack is acted on the moment it arrives:
 * tx_done(ctx, true) is called from ecp_rx() so the upper layer can hand over
 * the next ULPDU at once (ECP is paced by acks, not by its timer).
 *
 * Sequence numbers: 0 is skipped (as lldpad does); the first sequence number
 * after ecp_enable() is derived from the clock rather than fixed at 1, so a
 * restarted station does not collide with the lastSeq a bridge kept from the
 * previous run (its first ECPDU would be acked as a duplicate and lost).
 *
 * Admission, before anything is decoded: an ECPDU must be sent to the EVB
 * group address (dst; default Nearest Customer Bridge) and, once enabled,
 * come from the EVB neighbour that negotiated (ecp_set_peer); anything else
 * is dropped without an ack and counted by reason.  Without a peer nothing
 * is taken. */
#ifndef VDP_ECP_SM_H
#define VDP_ECP_SM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdp/wire/ecpdu.h"
#include "vdp/base/eth.h"
#include "vdp/base/vclock.h"

#define ECP_MAX_MTU 1500	/* Ethernet payload; ULPDU = MTU - 4 (1496) */
#define ECP_FRAME_MAX (ETH_HDR_LEN + ECP_MAX_MTU)
#define ECP_DEFAULT_R 3		/* maxRetries before EVB negotiation */
#define ECP_DEFAULT_RTE 8	/* lldpad's default: ackTimer 2.56 ms */

enum ecp_tx_state {
	ECP_TX_INIT,		/* initTransmit */
	ECP_TX_WAIT_FORREQ,	/* requestWait: next sequence number */
	ECP_TX_WAIT_ONDATA,	/* idle: no ULPDU outstanding */
	ECP_TX_TXMIT_ECPDU,	/* ECPDU outstanding, ackTimer running */
	ECP_TX_ERROR,		/* countErrors: retries exhausted */
};

enum ecp_rx_state {
	ECP_RX_WAIT,		/* nothing received since enable */
	ECP_RX_FIRST,		/* receiveFirst: lastSeq = seq - 1 */
	ECP_RX_WAIT2,		/* steady state (RX_REC_ECPDU/NEW/SEND_ACK are transient) */
};

/* The transmit machine's inputs not yet consumed (43.3.7's variables and
 * the events that stand for them). */
struct ecp_tx_in {
	bool begin : 1; /* the port was enabled: initTransmit */
	bool txRequest : 1; /* the upper layer handed over an ULPDU */
	bool ackReceived : 1; /* the ack of the outstanding ECPDU */
	bool ackTimerExpired : 1; /* ackTimer ran out without it */
};

union ecp_tx_inputs {
	struct ecp_tx_in in;
	uint8_t any; /* 0 = none left */
};

struct ecp_ops {
	/* A complete Ethernet frame (DA e->dst, ethertype 0x8940,
	 * padded to 60 octets). */
	void (*send)(void *ctx, const uint8_t *frame, size_t len);
	/* A new (non-duplicate) ECPDU's ULPDU.  May call ecp_tx(). */
	void (*deliver)(void *ctx, uint16_t subtype, const uint8_t *ulpdu, size_t len);
	/* The outstanding ECPDU was acked (true) or given up (false).  ECP is
	 * idle again when this is called; it may call ecp_tx(). */
	void (*tx_done)(void *ctx, bool acked);
	/* Optional: every state change of the transmit (tx true) or receive
	 * machine, after it took effect; for tracing and the transition-table
	 * tests.  Must not call back into ECP. */
	void (*transition)(void *ctx, bool tx, uint8_t from, uint8_t to);
};

struct ecp_counters {
	uint64_t tx_ecpdu;		/* first transmissions */
	uint64_t tx_retrans;		/* retransmissions (same seq) */
	uint64_t tx_errors;		/* ECPDUs given up after 1+maxRetries sends */
	uint64_t tx_acks;		/* acks sent */
	uint64_t rx_ecpdu;		/* new ECPDUs delivered */
	uint64_t rx_dup;		/* duplicates (acked, not delivered) */
	uint64_t rx_acks;		/* acks accepted */
	uint64_t rx_ack_stale;		/* acks for nothing or another seq (ignored) */
	uint64_t rx_bad;		/* dropped: bad version/op/subtype/ethertype/short */
	uint64_t rx_disabled;		/* dropped while disabled */
	uint64_t rx_drop_dst; /* dropped: not sent to the EVB group address */
	uint64_t rx_drop_src; /* dropped: not from the EVB neighbour */
	uint64_t illegal_transitions; /* a bug of ours: logged, machine restarted */
};

struct ecp {
	const struct ecp_ops *ops;
	void *ctx;
	struct vclock *clock;
	struct vtimer *ack_timer;
	uint8_t src[6];
	uint8_t dst[6]; /* EVB group address, ours and the peer's */
	uint8_t peer[6]; /* MAC of the EVB neighbour */
	bool has_peer;
	size_t mtu;
	uint8_t max_retries;	/* R */
	uint8_t rte;
	bool enabled;

	uint8_t tx_state; /* enum ecp_tx_state */
	union ecp_tx_inputs tx_in;
	uint16_t seq;		/* sequence number of the current/last ECPDU */
	uint8_t retries;	/* transmissions of the current ECPDU */
	size_t frame_len;
	uint8_t frame[ECP_FRAME_MAX];

	uint8_t rx_state; /* enum ecp_rx_state */
	uint16_t last_seq;	/* lastSeq: last delivered sequence number */

	struct ecp_counters cnt;
};

/* mtu: Ethernet payload size (clamped to 64..ECP_MAX_MTU).  Starts disabled,
 * with R = 3, RTE = 8.  Returns 0 or -ENOMEM. */
int ecp_init(struct ecp *e, const struct ecp_ops *ops, void *ctx,
	     struct vclock *clock, const uint8_t src_mac[6], size_t mtu);
void ecp_free(struct ecp *e);
/* The EVB neighbour's MAC (NULL: none, nothing is taken). */
void ecp_set_peer(struct ecp *e, const uint8_t mac[6]);
/* Operative R and RTE (from EVB); applies to the next (re)transmission. */
void ecp_set_params(struct ecp *e, uint8_t max_retries, uint8_t rte);
/* Port enabled / disabled (link, EVB).  Disable drops the outstanding
 * ECPDU without calling tx_done and resets both machines (TX_INIT, RX_WAIT):
 * the first ECPDU received after enable is always new. */
void ecp_enable(struct ecp *e);
void ecp_disable(struct ecp *e);
/* True when an ULPDU can be handed over (enabled, nothing outstanding). */
bool ecp_tx_idle(const struct ecp *e);
/* Sends one ECPDU.  0, -EBUSY (one outstanding), -ENETDOWN (disabled),
 * -EMSGSIZE (len > ecp_max_ulpdu()). */
int ecp_tx(struct ecp *e, uint16_t subtype, const uint8_t *ulpdu, size_t len);
size_t ecp_max_ulpdu(const struct ecp *e);
/* A received frame, Ethernet header included. */
void ecp_rx(struct ecp *e, const uint8_t *frame, size_t len);
/* ackTimer in microseconds for the current RTE. */
uint64_t ecp_ack_timeout_us(const struct ecp *e);

const char *ecp_tx_state_name(uint8_t s);
const char *ecp_rx_state_name(uint8_t s);
/* The transition tables (ecp.c, docs/engine.md), for the unit tests. */
bool ecp_tx_transition_legal(uint8_t from, uint8_t to);
bool ecp_rx_transition_legal(uint8_t from, uint8_t to);

#endif
