/* ECP transmit and receive state machines (IEEE 802.1Qbg-2012 clause 43.3),
 * driven by three events: an ULPDU from the upper layer (ecp_tx), a frame
 * from the port (ecp_rx) and the ackTimer.  The transmit machine runs on
 * the driver of sm.h (inputs e->tx_in, transition table ecp_tx_next[]);
 * the receive machine has no inputs but the frame and no unconditional
 * loop, so the receive path walks it, each change checked against
 * ecp_rx_next[]. */
#include <errno.h>
#include <string.h>

#include "vdp/base/log.h"
#include "vdp/engine/ecp.h"
#include "vdp/engine/sm.h"

const char *ecp_tx_state_name(uint8_t s)
{
	switch ((enum ecp_tx_state)s) {
	case ECP_TX_INIT:
		return "TX_INIT";
	case ECP_TX_WAIT_FORREQ:
		return "TX_WAIT_FORREQ";
	case ECP_TX_WAIT_ONDATA:
		return "TX_WAIT_ONDATA";
	case ECP_TX_TXMIT_ECPDU:
		return "TX_TXMIT_ECPDU";
	case ECP_TX_ERROR:
		return "TX_ERROR";
	}
	return "?";
}

const char *ecp_rx_state_name(uint8_t s)
{
	switch ((enum ecp_rx_state)s) {
	case ECP_RX_WAIT:
		return "RX_WAIT";
	case ECP_RX_FIRST:
		return "RX_FIRST";
	case ECP_RX_WAIT2:
		return "RX_WAIT2";
	}
	return "?";
}

/* Legal transitions of the transmit machine (43.3 as built): one row per
 * state, the states that may follow it.  Port disabled is the standard's
 * BEGIN: every state back to TX_INIT, without entry actions until the
 * port is enabled again (ecp_disable(), not a transition).
 *
 * TX_INIT        -> TX_INIT (port enabled: initTransmit), TX_WAIT_FORREQ
 * TX_WAIT_FORREQ -> TX_WAIT_ONDATA
 * TX_WAIT_ONDATA -> TX_TXMIT_ECPDU (an ULPDU handed over)
 * TX_TXMIT_ECPDU -> TX_WAIT_FORREQ (ackReceived), TX_TXMIT_ECPDU (ackTimer
 *                   expired, retries <= maxRetries: the same ECPDU
 *                   again), TX_ERROR (retries > maxRetries)
 * TX_ERROR       -> TX_WAIT_FORREQ */
#define TX(s) (1u << ECP_TX_##s)
static const uint16_t ecp_tx_next[SM_ROWS] = {
	[ECP_TX_INIT] = TX(INIT) | TX(WAIT_FORREQ),
	[ECP_TX_WAIT_FORREQ] = TX(WAIT_ONDATA),
	[ECP_TX_WAIT_ONDATA] = TX(TXMIT_ECPDU),
	[ECP_TX_TXMIT_ECPDU] = TX(WAIT_FORREQ) | TX(TXMIT_ECPDU) | TX(ERROR),
	[ECP_TX_ERROR] = TX(WAIT_FORREQ),
};

static const struct sm_desc ecp_tx_sm = {
	.name = "ECP transmit",
	.clause = "802.1Qbg 43.3",
	.next = ecp_tx_next,
	/* left unconditionally */
	.uct = TX(INIT) | TX(WAIT_FORREQ) | TX(ERROR),
	.n_states = ECP_TX_ERROR + 1,
	.state_name = ecp_tx_state_name,
};
#undef TX

/* Receive (43.3 as built; RX_REC_ECPDU, RX_NEW_ECPDU and RX_SEND_ACK are
 * the receive path itself).  Port disabled is BEGIN: back to RX_WAIT.
 *
 * RX_WAIT  -> RX_FIRST (an ECPDU: receiveFirst)
 * RX_FIRST -> RX_WAIT2 (it is new: delivered and acked)
 * RX_WAIT2 -> RX_WAIT2 (the next one, new) */
#define RX(s) (1u << ECP_RX_##s)
static const uint16_t ecp_rx_next[SM_ROWS] = {
	[ECP_RX_WAIT] = RX(FIRST),
	[ECP_RX_FIRST] = RX(WAIT2),
	[ECP_RX_WAIT2] = RX(WAIT2),
};
#undef RX

static const struct sm_desc ecp_rx_sm = {
	.name = "ECP receive",
	.clause = "802.1Qbg 43.3",
	.next = ecp_rx_next,
	.n_states = ECP_RX_WAIT2 + 1,
	.state_name = ecp_rx_state_name,
};
_Static_assert(ECP_TX_ERROR < SM_MAX_STATES && ECP_RX_WAIT2 < SM_MAX_STATES,
	       "the tables hold one bit per state");

bool ecp_tx_transition_legal(uint8_t from, uint8_t to)
{
	return sm_legal(&ecp_tx_sm, from, to);
}

bool ecp_rx_transition_legal(uint8_t from, uint8_t to)
{
	return sm_legal(&ecp_rx_sm, from, to);
}

uint64_t ecp_ack_timeout_us(const struct ecp *e)
{
	return vdp_exp_us(e->rte);
}

size_t ecp_max_ulpdu(const struct ecp *e)
{
	return e->mtu - ECP_HDR_LEN;
}

bool ecp_tx_idle(const struct ecp *e)
{
	return e->enabled && e->tx_state == ECP_TX_WAIT_ONDATA;
}

/* transmitECPDU.  Timer first: over a synchronous loopback the ack may
 * arrive inside send(). */
static void transmit_ecpdu(struct ecp *e)
{
	e->retries++;
	vtimer_arm(e->clock, e->ack_timer, ecp_ack_timeout_us(e));
	e->ops->send(e->ctx, e->frame, e->frame_len);
}

/* A bug of ours (never the peer's doing): log, count, and restart the
 * transmit machine as a port disable and enable would; the outstanding
 * ECPDU, if any, is dropped. */
static void __attribute__((noinline, cold))
fault(struct ecp *e, struct sm_desc const *d, const char *what)
{
	e->cnt.illegal_transitions++;
	log_err("ecp", "%s (%s), machine restarted", what, d->clause);
	vtimer_cancel(e->clock, e->ack_timer);
	e->tx_in.any = 0;
	e->tx_state = ECP_TX_INIT;
	e->tx_in.in.begin = true;
}

static void __attribute__((noinline, cold))
illegal(struct ecp *e, const struct sm_desc *d, uint8_t from, uint8_t to)
{
	char what[SM_FAULT_LEN];

	sm_fault_illegal(d, from, to, what, sizeof(what));
	fault(e, d, what);
}

static inline void hook(struct ecp *e, bool tx, uint8_t from, uint8_t to)
{
	if (__builtin_expect(e->ops->transition != NULL, 0))
		e->ops->transition(e->ctx, tx, from, to);
}

/* SM_ENTER for the transmit machine: the checked transition, then the new
 * state's entry actions, named as in the standard. */
static void tx_go(struct ecp *e, enum ecp_tx_state to)
{
	uint8_t from = e->tx_state;

	if (__builtin_expect(!sm_allows(&ecp_tx_sm, from, to), 0)) {
		illegal(e, &ecp_tx_sm, from, (uint8_t)to);
		return;
	}
	e->tx_state = (uint8_t)to;
	hook(e, true, from, to);
	switch (to) {
	case ECP_TX_INIT: {
		/* initTransmit.  See the header for why the first sequence
		 * number comes from the clock. */
		uint64_t now = vclock_now(e->clock);
		e->seq = (uint16_t)(now ^ (now >> 16) ^ (now >> 32));
		break;
	}
	case ECP_TX_WAIT_FORREQ:
		/* requestWait: next sequence number, 0 skipped as lldpad
		 * does (0 never appears on the wire). */
		e->retries = 0;
		e->seq++;
		if (e->seq == 0)
			e->seq = 1;
		break;
	case ECP_TX_WAIT_ONDATA:
		break;
	case ECP_TX_TXMIT_ECPDU:
		transmit_ecpdu(e);
		break;
	case ECP_TX_ERROR:
		e->cnt.tx_errors++; /* countErrors */
		break;
	}
}

/* One step of the transmit machine: true if it consumed an input or
 * changed the state. */
static bool tx_step(struct ecp *e)
{
	struct ecp_tx_in *in = &e->tx_in.in;

	if (SM_TAKE(in->begin)) {
		tx_go(e, ECP_TX_INIT);
		return true;
	}
	switch ((enum ecp_tx_state)e->tx_state) {
	case ECP_TX_INIT:
	case ECP_TX_ERROR:
		tx_go(e, ECP_TX_WAIT_FORREQ);
		return true;
	case ECP_TX_WAIT_FORREQ:
		tx_go(e, ECP_TX_WAIT_ONDATA);
		return true;
	case ECP_TX_WAIT_ONDATA:
		if (SM_TAKE(in->txRequest)) {
			tx_go(e, ECP_TX_TXMIT_ECPDU);
			return true;
		}
		return false;
	case ECP_TX_TXMIT_ECPDU:
		if (SM_TAKE(in->ackReceived)) {
			tx_go(e, ECP_TX_WAIT_FORREQ);
			return true;
		}
		if (SM_TAKE(in->ackTimerExpired)) {
			/* 43.3.6: the same ECPDU (same sequence number)
			 * again while retries <= maxRetries. */
			if (e->retries <= e->max_retries) {
				e->cnt.tx_retrans++;
				tx_go(e, ECP_TX_TXMIT_ECPDU);
			} else {
				tx_go(e, ECP_TX_ERROR);
			}
			return true;
		}
		return false;
	}
	return false;
}

static enum sm_step tx_step_sm(void *m, void *o)
{
	struct ecp *e = m;

	(void)o;
	if (!tx_step(e) || sm_settled(&ecp_tx_sm, e->tx_state, e->tx_in.any != 0))
		return SM_STABLE;
	return SM_AGAIN;
}

/* Steps the transmit machine until stable.  Its longest legal run is 3
 * steps (TX_TXMIT_ECPDU, TX_ERROR, TX_WAIT_FORREQ, TX_WAIT_ONDATA); a
 * nested run (an ack inside send()) settles on its own. */
#define ECP_TX_STEP_CAP 8

static void tx_run(struct ecp *e)
{
	unsigned n = sm_run(ECP_TX_STEP_CAP, tx_step_sm, e, NULL);

	if (__builtin_expect(n != 0, 0)) {
		char what[SM_FAULT_LEN];

		sm_fault_cap(&ecp_tx_sm, n, e->tx_state, what, sizeof(what));
		fault(e, &ecp_tx_sm, what);
		tx_run(e); /* the restart: 3 steps, cannot loop */
	}
}

/* The receive machine's checked transition (no entry actions: the
 * receive path does them). */
static inline bool rx_go(struct ecp *e, enum ecp_rx_state to)
{
	uint8_t from = e->rx_state;

	if (__builtin_expect(!sm_allows(&ecp_rx_sm, from, to), 0)) {
		char what[SM_FAULT_LEN];

		sm_fault_illegal(&ecp_rx_sm, from, (uint8_t)to, what, sizeof(what));
		e->cnt.illegal_transitions++;
		log_err("ecp", "%s (%s), ECPDU dropped", what, ecp_rx_sm.clause);
		return false;
	}
	e->rx_state = (uint8_t)to;
	hook(e, false, from, to);
	return true;
}

static void ack_timer_cb(void *arg)
{
	struct ecp *e = arg;
	uint64_t errors = e->cnt.tx_errors;

	if (!e->enabled || e->tx_state != ECP_TX_TXMIT_ECPDU)
		return;
	e->tx_in.in.ackTimerExpired = true;
	tx_run(e);
	/* Given up (TX_ERROR counted it): ECP is idle again. */
	if (e->cnt.tx_errors != errors)
		e->ops->tx_done(e->ctx, false);
}

int ecp_init(struct ecp *e, const struct ecp_ops *ops, void *ctx,
	     struct vclock *clock, const uint8_t src_mac[6], size_t mtu)
{
	memset(e, 0, sizeof(*e));
	e->ops = ops;
	e->ctx = ctx;
	e->clock = clock;
	memcpy(e->src, src_mac, 6);
	memcpy(e->dst, eth_nearest_customer_bridge, 6);
	if (mtu > ECP_MAX_MTU)
		mtu = ECP_MAX_MTU;
	if (mtu < 64)
		mtu = 64;
	e->mtu = mtu;
	e->max_retries = ECP_DEFAULT_R;
	e->rte = ECP_DEFAULT_RTE;
	e->tx_state = ECP_TX_INIT;
	e->rx_state = ECP_RX_WAIT;
	e->ack_timer = vtimer_new(clock, ack_timer_cb, e);
	return e->ack_timer ? 0 : -ENOMEM;
}

void ecp_free(struct ecp *e)
{
	vtimer_free(e->clock, e->ack_timer);
	e->ack_timer = NULL;
	e->enabled = false;
}

void ecp_set_peer(struct ecp *e, const uint8_t mac[6])
{
	e->has_peer = mac != NULL;
	if (mac)
		memcpy(e->peer, mac, 6);
}

void ecp_set_params(struct ecp *e, uint8_t max_retries, uint8_t rte)
{
	e->max_retries = max_retries & 7;
	e->rte = rte & 31;
}

void ecp_enable(struct ecp *e)
{
	if (e->enabled)
		return;
	e->enabled = true;
	e->rx_state = ECP_RX_WAIT;
	e->tx_in.in.begin = true;
	tx_run(e);
}

void ecp_disable(struct ecp *e)
{
	e->enabled = false;
	vtimer_cancel(e->clock, e->ack_timer);
	/* BEGIN for both machines (not a transition: nothing runs until
	 * the port is enabled again). */
	e->tx_state = ECP_TX_INIT;
	e->tx_in.any = 0;
	e->rx_state = ECP_RX_WAIT;
}

int ecp_tx(struct ecp *e, uint16_t subtype, const uint8_t *ulpdu, size_t len)
{
	struct ecp_hdr h = { .version = ECP_VERSION, .op = ECP_OP_REQUEST, .subtype = subtype };
	struct wbuf w;

	if (!e->enabled)
		return -ENETDOWN;
	if (e->tx_state != ECP_TX_WAIT_ONDATA)
		return -EBUSY;
	if (len > ecp_max_ulpdu(e))
		return -EMSGSIZE;
	h.seq = e->seq;
	wbuf_init(&w, e->frame, sizeof(e->frame));
	eth_encode(&w, e->dst, e->src, ETHERTYPE_ECP);
	if (ecp_encode_hdr(&w, &h) != CODEC_OK)
		return -EINVAL;
	if (len)
		wbuf_bytes(&w, ulpdu, len);
	eth_pad(&w);
	if (w.err)
		return -EMSGSIZE;
	e->frame_len = w.len;
	e->cnt.tx_ecpdu++;
	e->tx_in.in.txRequest = true;
	tx_run(e);
	return 0;
}

static void send_ack(struct ecp *e, const struct ecp_hdr *req)
{
	struct ecp_hdr h = { .version = ECP_VERSION, .op = ECP_OP_ACK,
			     .subtype = req->subtype, .seq = req->seq };
	uint8_t buf[ETH_MIN_FRAME];
	struct wbuf w;

	wbuf_init(&w, buf, sizeof(buf));
	eth_encode(&w, e->dst, e->src, ETHERTYPE_ECP);
	ecp_encode_hdr(&w, &h);
	eth_pad(&w);
	e->cnt.tx_acks++;
	e->ops->send(e->ctx, buf, w.len);
}

static void rx_ack(struct ecp *e, const struct ecp_hdr *h)
{
	/* An ack counts only for the outstanding ECPDU (43.3.6); anything
	 * else is a late ack of an ECPDU already given up or a duplicate. */
	if (e->tx_state != ECP_TX_TXMIT_ECPDU || h->seq != e->seq) {
		e->cnt.rx_ack_stale++;
		return;
	}
	e->cnt.rx_acks++;
	vtimer_cancel(e->clock, e->ack_timer);
	e->tx_in.in.ackReceived = true;
	tx_run(e);
	e->ops->tx_done(e->ctx, true);
}

static void rx_request(struct ecp *e, const struct ecp_hdr *h, const uint8_t *ulpdu, size_t len)
{
	if (e->rx_state == ECP_RX_WAIT) {
		/* receiveFirst: whatever comes first after enable is new. */
		if (!rx_go(e, ECP_RX_FIRST))
			return;
		e->last_seq = (uint16_t)(h->seq - 1);
	}
	/* receiveECPDU: a repeat of the last delivered sequence number is a
	 * retransmission whose ack was lost: ack again, deliver once. */
	if (h->seq == e->last_seq) {
		e->cnt.rx_dup++;
		send_ack(e, h);
		return;
	}
	if (!rx_go(e, ECP_RX_WAIT2))
		return;
	e->last_seq = h->seq;
	/* sendAck before the upper layer runs, which may transmit. */
	send_ack(e, h);
	e->cnt.rx_ecpdu++;
	e->ops->deliver(e->ctx, h->subtype, ulpdu, len);
}

void ecp_rx(struct ecp *e, const uint8_t *frame, size_t len)
{
	struct eth_hdr eh;
	struct ecp_hdr h;
	const uint8_t *pl, *ulpdu;
	size_t pl_len, ulpdu_len;

	/* The kernel passes only the header of a frame to another
	 * destination. */
	if (len < ETH_HDR_LEN || memcmp(frame, e->dst, 6) != 0) {
		e->cnt.rx_drop_dst++;
		return;
	}
	if (!e->enabled) {
		e->cnt.rx_disabled++;
		return;
	}
	if (!e->has_peer || memcmp(frame + 6, e->peer, 6) != 0) {
		e->cnt.rx_drop_src++;
		return;
	}
	if (eth_decode(frame, len, &eh, &pl, &pl_len) != CODEC_OK ||
	    eh.ethertype != ETHERTYPE_ECP ||
	    ecp_decode(pl, pl_len, &h, &ulpdu, &ulpdu_len) != CODEC_OK) {
		/* Dropped without an ack (43.3.7): wrong version, reserved
		 * operation, a ULP we do not carry, truncated. */
		e->cnt.rx_bad++;
		return;
	}
	switch ((enum ecp_op)h.op) {
	case ECP_OP_ACK:
		rx_ack(e, &h);
		return;
	case ECP_OP_REQUEST:
		rx_request(e, &h, ulpdu, ulpdu_len);
		return;
	}
	e->cnt.rx_bad++;
}
