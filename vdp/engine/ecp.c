/* ECP transmit and receive state machines (IEEE 802.1Qbg-2012 clause 43.3),
 * driven by three events: an ULPDU from the upper layer (ecp_tx), a frame
 * from the port (ecp_rx) and the ackTimer.  Each state's entry action is in
 * tx_enter()/the receive path, named as in the standard. */
#include <errno.h>
#include <string.h>

#include "vdp/engine/ecp.h"

const char *ecp_tx_state_name(enum ecp_tx_state s)
{
	switch (s) {
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

const char *ecp_rx_state_name(enum ecp_rx_state s)
{
	switch (s) {
	case ECP_RX_WAIT:
		return "RX_WAIT";
	case ECP_RX_FIRST:
		return "RX_FIRST";
	case ECP_RX_WAIT2:
		return "RX_WAIT2";
	}
	return "?";
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

static void transmit_ecpdu(struct ecp *e)
{
	/* Timer first: over a synchronous loopback the ack may arrive
	 * inside send(). */
	e->retries++;
	vtimer_arm(e->clock, e->ack_timer, ecp_ack_timeout_us(e));
	e->ops->send(e->ctx, e->frame, e->frame_len);
}

/* Entry actions, then the unconditional transitions out of the transient
 * states (INIT, WAIT_FORREQ, ERROR) until a waiting state is reached. */
static void tx_enter(struct ecp *e, enum ecp_tx_state s)
{
	for (;;) {
		e->tx_state = s;
		switch (s) {
		case ECP_TX_INIT:
			/* initTransmit.  See the header for why the first
			 * sequence number comes from the clock. */
			{
				uint64_t now = vclock_now(e->clock);
				e->seq = (uint16_t)(now ^ (now >> 16) ^ (now >> 32));
			}
			s = ECP_TX_WAIT_FORREQ;
			continue;
		case ECP_TX_WAIT_FORREQ:
			/* requestWait: next sequence number, 0 skipped as
			 * lldpad does (0 never appears on the wire). */
			e->retries = 0;
			e->seq++;
			if (e->seq == 0)
				e->seq = 1;
			s = ECP_TX_WAIT_ONDATA;
			continue;
		case ECP_TX_WAIT_ONDATA:
			return;
		case ECP_TX_TXMIT_ECPDU:
			transmit_ecpdu(e);
			return;
		case ECP_TX_ERROR:
			/* countErrors */
			e->cnt.tx_errors++;
			s = ECP_TX_WAIT_FORREQ;
			continue;
		}
	}
}

static void ack_timer_cb(void *arg)
{
	struct ecp *e = arg;

	if (!e->enabled || e->tx_state != ECP_TX_TXMIT_ECPDU)
		return;
	/* 43.3.6: retransmit the same ECPDU while retries <= maxRetries. */
	if (e->retries <= e->max_retries) {
		e->cnt.tx_retrans++;
		transmit_ecpdu(e);
		return;
	}
	tx_enter(e, ECP_TX_ERROR);
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
	tx_enter(e, ECP_TX_INIT);
}

void ecp_disable(struct ecp *e)
{
	e->enabled = false;
	vtimer_cancel(e->clock, e->ack_timer);
	e->tx_state = ECP_TX_INIT;
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
	tx_enter(e, ECP_TX_TXMIT_ECPDU);
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
	tx_enter(e, ECP_TX_WAIT_FORREQ);
	e->ops->tx_done(e->ctx, true);
}

static void rx_request(struct ecp *e, const struct ecp_hdr *h, const uint8_t *ulpdu, size_t len)
{
	if (e->rx_state == ECP_RX_WAIT) {
		/* receiveFirst: whatever comes first after enable is new. */
		e->rx_state = ECP_RX_FIRST;
		e->last_seq = (uint16_t)(h->seq - 1);
	}
	/* receiveECPDU: a repeat of the last delivered sequence number is a
	 * retransmission whose ack was lost: ack again, deliver once. */
	if (h->seq == e->last_seq) {
		e->cnt.rx_dup++;
		send_ack(e, h);
		return;
	}
	e->last_seq = h->seq;
	e->rx_state = ECP_RX_WAIT2;
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
