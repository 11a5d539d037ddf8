/* ECP state machines (802.1Qbg-2012 clause 43) with a fake clock and a
 * fake port that captures frames; frames are checked with the codec. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/fakeclock.h"
#include "tests/unit/logcap.h"
#include "tests/unit/smcheck.h"
#include "vdp/engine/ecp.h"

#define MAXF 64

struct env {
	struct fakeclock fc;
	struct ecp ecp;
	size_t nf;
	uint8_t frames[MAXF][ECP_FRAME_MAX];
	size_t flen[MAXF];
	uint64_t ftime[MAXF];
	size_t ndel;
	uint8_t del[MAXF][64];
	size_t del_len[MAXF];
	size_t ndone, nacked;
	/* tx_done may send the next ULPDU from inside the callback */
	const uint8_t *next_ulpdu;
	size_t next_len;
	int next_rc;
	uint64_t expect_illegal; /* checked by env_free() */
};

#define NTX (ECP_TX_ERROR + 1)
#define NRX (ECP_RX_WAIT2 + 1)
/* Transitions made by every test (ops->transition), for the table test. */
static uint32_t tx_seen[NTX][NTX], rx_seen[NRX][NRX];

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 1 };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 2 };

static void f_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct env *e = ctx;

	assert_true(e->nf < MAXF);
	assert_true(len <= ECP_FRAME_MAX);
	memcpy(e->frames[e->nf], frame, len);
	e->flen[e->nf] = len;
	e->ftime[e->nf] = e->fc.now;
	e->nf++;
}

static void f_deliver(void *ctx, uint16_t subtype, const uint8_t *ulpdu, size_t len)
{
	struct env *e = ctx;

	assert_int_equal(subtype, ECP_SUBTYPE_VDP);
	assert_true(len <= 64);
	memcpy(e->del[e->ndel], ulpdu, len);
	e->del_len[e->ndel++] = len;
}

static void f_tx_done(void *ctx, bool acked)
{
	struct env *e = ctx;

	e->ndone++;
	if (acked)
		e->nacked++;
	if (e->next_ulpdu) {
		const uint8_t *u = e->next_ulpdu;
		e->next_ulpdu = NULL;
		e->next_rc = ecp_tx(&e->ecp, ECP_SUBTYPE_VDP, u, e->next_len);
	}
}

static void f_transition(void *ctx, bool tx, uint8_t from, uint8_t to)
{
	(void)ctx;
	if (tx && from < NTX && to < NTX)
		tx_seen[from][to]++;
	else if (!tx && from < NRX && to < NRX)
		rx_seen[from][to]++;
}

static const struct ecp_ops ops = { f_send, f_deliver, f_tx_done, f_transition };

static struct env *env_new(uint64_t start)
{
	struct env *e = calloc(1, sizeof(*e));

	fakeclock_init(&e->fc, start);
	assert_int_equal(ecp_init(&e->ecp, &ops, e, fakeclock_vclock(&e->fc), our_mac, 1500), 0);
	ecp_set_peer(&e->ecp, peer_mac);
	ecp_enable(&e->ecp);
	return e;
}

/* Also the check that no test made an illegal transition. */
static void env_free(struct env *e)
{
	assert_int_equal(e->ecp.cnt.illegal_transitions, e->expect_illegal);
	ecp_free(&e->ecp);
	fakeclock_destroy(&e->fc);
	free(e);
}

/* Decodes captured frame i; returns the ULPDU length. */
static size_t frame_decode(struct env *e, size_t i, struct ecp_hdr *h, const uint8_t **ulpdu)
{
	struct eth_hdr eh;
	const uint8_t *pl;
	size_t pl_len, ul;

	assert_true(i < e->nf);
	assert_int_equal(e->flen[i] >= ETH_MIN_FRAME, 1);
	assert_int_equal(eth_decode(e->frames[i], e->flen[i], &eh, &pl, &pl_len), CODEC_OK);
	assert_memory_equal(eh.dst, eth_nearest_customer_bridge, 6);
	assert_memory_equal(eh.src, our_mac, 6);
	assert_int_equal(eh.ethertype, ETHERTYPE_ECP);
	assert_int_equal(ecp_decode(pl, pl_len, h, ulpdu, &ul), CODEC_OK);
	return ul;
}

static size_t build(uint8_t *buf, uint8_t version, uint8_t op, uint16_t subtype, uint16_t seq,
		    const uint8_t *ulpdu, size_t len)
{
	struct ecp_hdr h = { version, op, subtype, seq };
	struct wbuf w;

	wbuf_init(&w, buf, ECP_FRAME_MAX);
	eth_encode(&w, eth_nearest_customer_bridge, peer_mac, ETHERTYPE_ECP);
	assert_int_equal(ecp_encode_hdr(&w, &h), CODEC_OK);
	if (len)
		wbuf_bytes(&w, ulpdu, len);
	eth_pad(&w);
	return w.len;
}

static void inject(struct env *e, uint8_t version, uint8_t op, uint16_t subtype, uint16_t seq,
		   const uint8_t *ulpdu, size_t len)
{
	uint8_t buf[ECP_FRAME_MAX];
	size_t n = build(buf, version, op, subtype, seq, ulpdu, len);

	ecp_rx(&e->ecp, buf, n);
}

static const uint8_t payload[] = { 0x0a, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static void test_frame_format(void **state)
{
	(void)state;
	struct env *e = env_new(1000);
	struct ecp_hdr h;
	const uint8_t *u;
	size_t ul;

	assert_true(ecp_tx_idle(&e->ecp));
	assert_int_equal(ecp_max_ulpdu(&e->ecp), 1496);
	assert_int_equal(ecp_tx(&e->ecp, ECP_SUBTYPE_VDP, payload, sizeof(payload)), 0);
	assert_int_equal(e->nf, 1);
	assert_int_equal(e->flen[0], ETH_MIN_FRAME);
	ul = frame_decode(e, 0, &h, &u);
	assert_int_equal(h.version, 1);
	assert_int_equal(h.op, ECP_OP_REQUEST);
	assert_int_equal(h.subtype, ECP_SUBTYPE_VDP);
	assert_int_not_equal(h.seq, 0);
	assert_true(ul >= sizeof(payload));
	assert_memory_equal(u, payload, sizeof(payload));
	assert_false(ecp_tx_idle(&e->ecp));
	assert_int_equal(e->ecp.cnt.tx_ecpdu, 1);
	env_free(e);
}

static void test_errors(void **state)
{
	(void)state;
	struct env *e = env_new(1000);
	uint8_t big[1497] = { 0 };

	assert_int_equal(ecp_tx(&e->ecp, ECP_SUBTYPE_VDP, big, sizeof(big)), -EMSGSIZE);
	assert_int_equal(ecp_tx(&e->ecp, ECP_SUBTYPE_VDP, big, 1496), 0);
	assert_int_equal(e->flen[0], ETH_HDR_LEN + 1500);
	assert_int_equal(ecp_tx(&e->ecp, ECP_SUBTYPE_VDP, payload, sizeof(payload)), -EBUSY);
	ecp_disable(&e->ecp);
	assert_int_equal(ecp_tx(&e->ecp, ECP_SUBTYPE_VDP, payload, sizeof(payload)), -ENETDOWN);
	assert_int_equal(fakeclock_armed(&e->fc), 0);
	env_free(e);
}

static void test_retransmit_same_seq_then_error(void **state)
{
	(void)state;
	struct env *e = env_new(5000);
	struct ecp_hdr h0, h;
	const uint8_t *u;
	uint64_t t0 = e->fc.now, ack = 10ULL << 8;	/* RTE 8 */

	ecp_set_params(&e->ecp, 3, 8);
	assert_int_equal(ecp_ack_timeout_us(&e->ecp), ack);
	assert_int_equal(ecp_tx(&e->ecp, ECP_SUBTYPE_VDP, payload, sizeof(payload)), 0);
	frame_decode(e, 0, &h0, &u);
	fakeclock_advance(&e->fc, ack - 1);
	assert_int_equal(e->nf, 1);
	fakeclock_advance(&e->fc, 1);
	assert_int_equal(e->nf, 2);
	frame_decode(e, 1, &h, &u);
	assert_int_equal(h.seq, h0.seq);
	assert_int_equal(e->flen[1], e->flen[0]);
	assert_memory_equal(e->frames[1], e->frames[0], e->flen[0]);
	/* 1 + R transmissions, each ackTimer apart, then the error. */
	fakeclock_advance(&e->fc, 10 * ack);
	assert_int_equal(e->nf, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(e->ftime[i], t0 + i * ack);
	assert_int_equal(e->ecp.cnt.tx_retrans, 3);
	assert_int_equal(e->ecp.cnt.tx_errors, 1);
	assert_int_equal(e->ndone, 1);
	assert_int_equal(e->nacked, 0);
	assert_true(ecp_tx_idle(&e->ecp));
	/* A late ack for the given-up ECPDU is stale. */
	inject(e, 1, ECP_OP_ACK, ECP_SUBTYPE_VDP, h0.seq, NULL, 0);
	assert_int_equal(e->ecp.cnt.rx_ack_stale, 1);
	/* The next ECPDU has the next sequence number. */
	assert_int_equal(ecp_tx(&e->ecp, ECP_SUBTYPE_VDP, payload, sizeof(payload)), 0);
	frame_decode(e, 4, &h, &u);
	assert_int_equal(h.seq, (uint16_t)(h0.seq + 1) ? (uint16_t)(h0.seq + 1) : 1);
	env_free(e);
}

static void test_r0_single_transmission(void **state)
{
	(void)state;
	struct env *e = env_new(5000);

	ecp_set_params(&e->ecp, 0, 4);
	assert_int_equal(ecp_tx(&e->ecp, ECP_SUBTYPE_VDP, payload, sizeof(payload)), 0);
	fakeclock_advance(&e->fc, 160);
	assert_int_equal(e->nf, 1);
	assert_int_equal(e->ecp.cnt.tx_errors, 1);
	env_free(e);
}

static void test_ack_sends_next_immediately(void **state)
{
	(void)state;
	struct env *e = env_new(7000);
	struct ecp_hdr h0, h1;
	const uint8_t *u;
	static const uint8_t second[] = { 0x0a, 0x10, 9, 9, 9 };

	assert_int_equal(ecp_tx(&e->ecp, ECP_SUBTYPE_VDP, payload, sizeof(payload)), 0);
	frame_decode(e, 0, &h0, &u);
	fakeclock_advance(&e->fc, 100);
	e->next_ulpdu = second;
	e->next_len = sizeof(second);
	/* Stale acks change nothing. */
	inject(e, 1, ECP_OP_ACK, ECP_SUBTYPE_VDP, (uint16_t)(h0.seq + 7), NULL, 0);
	assert_int_equal(e->ndone, 0);
	assert_int_equal(e->ecp.cnt.rx_ack_stale, 1);
	inject(e, 1, ECP_OP_ACK, ECP_SUBTYPE_VDP, h0.seq, NULL, 0);
	assert_int_equal(e->nacked, 1);
	assert_int_equal(e->next_rc, 0);
	/* The next ECPDU left at the moment of the ack, not at the timer. */
	assert_int_equal(e->nf, 2);
	assert_int_equal(e->ftime[1], e->ftime[0] + 100);
	frame_decode(e, 1, &h1, &u);
	assert_int_equal(h1.seq, (uint16_t)(h0.seq + 1) ? (uint16_t)(h0.seq + 1) : 1);
	assert_memory_equal(u, second, sizeof(second));
	/* Duplicate ack of the first: ignored, the second stays outstanding. */
	inject(e, 1, ECP_OP_ACK, ECP_SUBTYPE_VDP, h0.seq, NULL, 0);
	assert_int_equal(e->ecp.cnt.rx_ack_stale, 2);
	assert_int_equal(e->nacked, 1);
	assert_false(ecp_tx_idle(&e->ecp));
	inject(e, 1, ECP_OP_ACK, ECP_SUBTYPE_VDP, h1.seq, NULL, 0);
	assert_int_equal(e->nacked, 2);
	assert_int_equal(e->ecp.cnt.tx_retrans, 0);
	assert_int_equal(fakeclock_armed(&e->fc), 0);
	env_free(e);
}

static void test_seq_skips_zero(void **state)
{
	(void)state;
	/* First sequence number = f(clock) + 1; a clock of 0xFFFE gives
	 * 0xFFFF, then 0 is skipped. */
	struct env *e = env_new(0xFFFE);
	struct ecp_hdr h;
	const uint8_t *u;

	assert_int_equal(ecp_tx(&e->ecp, ECP_SUBTYPE_VDP, payload, sizeof(payload)), 0);
	frame_decode(e, 0, &h, &u);
	assert_int_equal(h.seq, 0xFFFF);
	inject(e, 1, ECP_OP_ACK, ECP_SUBTYPE_VDP, 0xFFFF, NULL, 0);
	assert_int_equal(ecp_tx(&e->ecp, ECP_SUBTYPE_VDP, payload, sizeof(payload)), 0);
	frame_decode(e, 1, &h, &u);
	assert_int_equal(h.seq, 1);
	env_free(e);
}

static void test_rx_ack_and_duplicate(void **state)
{
	(void)state;
	struct env *e = env_new(1);
	struct ecp_hdr h;
	const uint8_t *u;

	inject(e, 1, ECP_OP_REQUEST, ECP_SUBTYPE_VDP, 100, payload, sizeof(payload));
	assert_int_equal(e->nf, 1);
	assert_int_equal(e->flen[0], ETH_MIN_FRAME);
	frame_decode(e, 0, &h, &u);
	assert_int_equal(h.op, ECP_OP_ACK);
	assert_int_equal(h.seq, 100);
	assert_int_equal(h.subtype, ECP_SUBTYPE_VDP);
	assert_int_equal(e->ndel, 1);
	assert_true(e->del_len[0] >= sizeof(payload));
	assert_memory_equal(e->del[0], payload, sizeof(payload));
	/* Retransmission (ack lost): acked again, not delivered again. */
	inject(e, 1, ECP_OP_REQUEST, ECP_SUBTYPE_VDP, 100, payload, sizeof(payload));
	assert_int_equal(e->nf, 2);
	frame_decode(e, 1, &h, &u);
	assert_int_equal(h.seq, 100);
	assert_int_equal(e->ndel, 1);
	assert_int_equal(e->ecp.cnt.rx_dup, 1);
	inject(e, 1, ECP_OP_REQUEST, ECP_SUBTYPE_VDP, 101, payload, sizeof(payload));
	assert_int_equal(e->ndel, 2);
	assert_int_equal(e->ecp.cnt.rx_ecpdu, 2);
	assert_int_equal(e->ecp.cnt.tx_acks, 3);
	/* PE-CSP ECPDUs are acknowledged too (the deliver hook sees them;
	 * here only VDP is expected so it is not sent). */
	env_free(e);
}

static void test_rx_first_after_enable_is_new(void **state)
{
	(void)state;
	struct env *e = env_new(1);

	inject(e, 1, ECP_OP_REQUEST, ECP_SUBTYPE_VDP, 5, payload, sizeof(payload));
	assert_int_equal(e->ndel, 1);
	ecp_disable(&e->ecp);
	inject(e, 1, ECP_OP_REQUEST, ECP_SUBTYPE_VDP, 5, payload, sizeof(payload));
	assert_int_equal(e->ecp.cnt.rx_disabled, 1);
	assert_int_equal(e->nf, 1);
	ecp_enable(&e->ecp);
	inject(e, 1, ECP_OP_REQUEST, ECP_SUBTYPE_VDP, 5, payload, sizeof(payload));
	assert_int_equal(e->ndel, 2);
	assert_int_equal(e->ecp.cnt.rx_dup, 0);
	/* First frame after enable with seq 0 too. */
	ecp_disable(&e->ecp);
	ecp_enable(&e->ecp);
	inject(e, 1, ECP_OP_REQUEST, ECP_SUBTYPE_VDP, 0, payload, sizeof(payload));
	assert_int_equal(e->ndel, 3);
	env_free(e);
}

static void test_rx_bad_dropped(void **state)
{
	(void)state;
	struct env *e = env_new(1);
	uint8_t buf[ECP_FRAME_MAX];
	size_t n;

	inject(e, 2, ECP_OP_REQUEST, ECP_SUBTYPE_VDP, 1, payload, sizeof(payload));
	inject(e, 1, ECP_OP_REQUEST, 3, 2, payload, sizeof(payload));
	inject(e, 1, 2, ECP_SUBTYPE_VDP, 3, payload, sizeof(payload));
	n = build(buf, 1, ECP_OP_REQUEST, ECP_SUBTYPE_VDP, 4, payload, sizeof(payload));
	ecp_rx(&e->ecp, buf, 16);	/* truncated inside the ECP header */
	buf[12] = 0x88;			/* LLDP ethertype */
	buf[13] = 0xCC;
	ecp_rx(&e->ecp, buf, n);
	assert_int_equal(e->ecp.cnt.rx_bad, 5);
	assert_int_equal(e->nf, 0);	/* no ack for any of them */
	assert_int_equal(e->ndel, 0);
	env_free(e);
}

/* Every legal transition of both machines (the tables in ecp.c), each
 * reached through the public calls by the tests run before this one (it
 * runs last) and by the steps here; none made that is not listed. */
static const struct sm_row tx_rows[] = {
	{ ECP_TX_INIT, ECP_TX_INIT, "ecp_enable(): initTransmit" },
	{ ECP_TX_INIT, ECP_TX_WAIT_FORREQ, "then at once" },
	{ ECP_TX_WAIT_FORREQ, ECP_TX_WAIT_ONDATA, "then at once" },
	{ ECP_TX_WAIT_ONDATA, ECP_TX_TXMIT_ECPDU, "ecp_tx()" },
	{ ECP_TX_TXMIT_ECPDU, ECP_TX_WAIT_FORREQ, "the ack" },
	{ ECP_TX_TXMIT_ECPDU, ECP_TX_TXMIT_ECPDU, "ackTimer, retries <= maxRetries" },
	{ ECP_TX_TXMIT_ECPDU, ECP_TX_ERROR, "ackTimer, retries > maxRetries" },
	{ ECP_TX_ERROR, ECP_TX_WAIT_FORREQ, "then at once" },
};

static const struct sm_row rx_rows[] = {
	{ ECP_RX_WAIT, ECP_RX_FIRST, "the first ECPDU after enable" },
	{ ECP_RX_FIRST, ECP_RX_WAIT2, "it is new" },
	{ ECP_RX_WAIT2, ECP_RX_WAIT2, "the next new one" },
};

static const char *tx_name(uint8_t s)
{
	return ecp_tx_state_name(s);
}

static const char *rx_name(uint8_t s)
{
	return ecp_rx_state_name(s);
}

static void test_transition_table(void **state)
{
	static const struct sm_spec tx = { "ECP transmit", NTX, ecp_tx_transition_legal, tx_name };
	static const struct sm_spec rx = { "ECP receive", NRX, ecp_rx_transition_legal, rx_name };
	struct env *e = env_new(9000);
	struct ecp_hdr h;
	const uint8_t *u;

	(void)state;
	/* Sent, retransmitted once, acked; received twice. */
	assert_int_equal(ecp_tx(&e->ecp, ECP_SUBTYPE_VDP, payload, sizeof(payload)), 0);
	fakeclock_advance(&e->fc, ecp_ack_timeout_us(&e->ecp));
	assert_int_equal(e->nf, 2);
	frame_decode(e, 1, &h, &u);
	inject(e, 1, ECP_OP_ACK, ECP_SUBTYPE_VDP, h.seq, NULL, 0);
	assert_int_equal(e->nacked, 1);
	inject(e, 1, ECP_OP_REQUEST, ECP_SUBTYPE_VDP, 40, payload, sizeof(payload));
	inject(e, 1, ECP_OP_REQUEST, ECP_SUBTYPE_VDP, 41, payload, sizeof(payload));
	assert_int_equal(e->ndel, 2);
	/* Given up. */
	assert_int_equal(ecp_tx(&e->ecp, ECP_SUBTYPE_VDP, payload, sizeof(payload)), 0);
	fakeclock_advance(&e->fc, 10 * ecp_ack_timeout_us(&e->ecp));
	assert_int_equal(e->ecp.cnt.tx_errors, 1);
	env_free(e);

	sm_check_table(&tx, tx_rows, sizeof(tx_rows) / sizeof(tx_rows[0]), &tx_seen[0][0]);
	sm_check_table(&rx, rx_rows, sizeof(rx_rows) / sizeof(rx_rows[0]), &rx_seen[0][0]);
	assert_false(ecp_tx_transition_legal(NTX, ECP_TX_INIT));
	assert_false(ecp_tx_transition_legal(ECP_TX_WAIT_ONDATA, NTX));
	assert_false(ecp_rx_transition_legal(0xff, ECP_RX_WAIT2));
}

/* An illegal transition (here from a corrupt state value) is logged with
 * both state names, counted, and never aborts: the transmit machine
 * restarts as on a port enable, the receive path drops the ECPDU. */
static void test_illegal_transition(void **state)
{
	struct env *e = env_new(9000);
	char log[2048];
	struct logcap c;

	(void)state;
	ecp_disable(&e->ecp);
	e->ecp.tx_state = 9;
	logcap_begin(&c);
	ecp_enable(&e->ecp);
	logcap_end(&c, log, sizeof(log));
	if (!strstr(log, "illegal ECP transmit transition ? -> TX_INIT (802.1Qbg 43.3)") ||
	    !strstr(log, "machine restarted"))
		fail_msg("log: %s", log);
	assert_int_equal(e->ecp.cnt.illegal_transitions, 1);
	assert_true(ecp_tx_idle(&e->ecp));
	assert_int_equal(ecp_tx(&e->ecp, ECP_SUBTYPE_VDP, payload, sizeof(payload)), 0);
	assert_int_equal(e->nf, 1);

	inject(e, 1, ECP_OP_REQUEST, ECP_SUBTYPE_VDP, 7, payload, sizeof(payload));
	assert_int_equal(e->ndel, 1);
	e->ecp.rx_state = 0x7f;
	logcap_begin(&c);
	inject(e, 1, ECP_OP_REQUEST, ECP_SUBTYPE_VDP, 8, payload, sizeof(payload));
	logcap_end(&c, log, sizeof(log));
	if (!strstr(log, "illegal ECP receive transition ? -> RX_WAIT2"))
		fail_msg("log: %s", log);
	assert_int_equal(e->ecp.cnt.illegal_transitions, 2);
	assert_int_equal(e->ndel, 1); /* dropped */
	assert_int_equal(e->nf, 2); /* ack of seq 7 only */
	e->expect_illegal = 2;
	env_free(e);
}

/* Admission: an ECPDU is taken only when sent to the EVB group address and
 * from the EVB neighbour; nothing else is acked, delivered or decoded. */
static void test_rx_admission(void **state)
{
	(void)state;
	struct env *e = env_new(1000);
	static const uint8_t foreign[6] = { 0x02, 0, 0, 0xaa, 0xbb, 0xcc };
	/* A request, seq 0x0010, VDP, from the neighbour to the group. */
	uint8_t f[60] = { 0x01, 0x80, 0xc2, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
			  0x00, 0x02, 0x89, 0x40, 0x10, 0x01, 0x00, 0x10, 0x0a, 0x10 };
	uint8_t g[60];

	/* To broadcast, to our MAC, to the Nearest Bridge address. */
	memcpy(g, f, 60);
	memset(g, 0xff, 6);
	ecp_rx(&e->ecp, g, 60);
	memcpy(g, our_mac, 6);
	ecp_rx(&e->ecp, g, 60);
	memcpy(g, eth_nearest_bridge, 6);
	ecp_rx(&e->ecp, g, 60);
	/* The header alone, as the kernel filter passes it. */
	memset(g, 0xff, 6);
	ecp_rx(&e->ecp, g, 14);
	assert_int_equal(e->ecp.cnt.rx_drop_dst, 4);
	/* From another MAC to the group. */
	memcpy(g, f, 60);
	memcpy(g + 6, foreign, 6);
	ecp_rx(&e->ecp, g, 60);
	assert_int_equal(e->ecp.cnt.rx_drop_src, 1);
	assert_int_equal(e->ecp.cnt.rx_bad, 0);
	assert_int_equal(e->ecp.cnt.tx_acks, 0);
	assert_int_equal(e->ndel, 0);
	assert_int_equal(e->nf, 0);

	/* The neighbour's: acked and delivered. */
	ecp_rx(&e->ecp, f, 60);
	assert_int_equal(e->ecp.cnt.rx_ecpdu, 1);
	assert_int_equal(e->ndel, 1);
	assert_int_equal(e->nf, 1);

	/* Without a neighbour nothing is taken; disabled, a frame to another
	 * destination still counts as such. */
	ecp_set_peer(&e->ecp, NULL);
	f[17] = 0x11;
	ecp_rx(&e->ecp, f, 60);
	assert_int_equal(e->ecp.cnt.rx_drop_src, 2);
	ecp_set_peer(&e->ecp, foreign);
	ecp_rx(&e->ecp, f, 60);
	assert_int_equal(e->ecp.cnt.rx_drop_src, 3);
	ecp_disable(&e->ecp);
	memset(g, 0xff, 6);
	ecp_rx(&e->ecp, g, 14);
	ecp_rx(&e->ecp, f, 60);
	assert_int_equal(e->ecp.cnt.rx_drop_dst, 5);
	assert_int_equal(e->ecp.cnt.rx_disabled, 1);
	assert_int_equal(e->ndel, 1);
	env_free(e);
}

/* The group address is the uplink's: frames leave to it and only frames to
 * it are taken. */
static void test_group_address(void **state)
{
	(void)state;
	struct env *e = env_new(1000);
	uint8_t buf[ECP_FRAME_MAX];
	size_t n;

	memcpy(e->ecp.dst, eth_nearest_bridge, 6);
	assert_int_equal(ecp_tx(&e->ecp, ECP_SUBTYPE_VDP, payload, sizeof(payload)), 0);
	assert_memory_equal(e->frames[0], eth_nearest_bridge, 6);
	n = build(buf, 1, ECP_OP_ACK, ECP_SUBTYPE_VDP, e->ecp.seq, NULL, 0);
	ecp_rx(&e->ecp, buf, n); /* to 01-80-C2-00-00-00: not ours now */
	assert_int_equal(e->ecp.cnt.rx_drop_dst, 1);
	assert_int_equal(e->ndone, 0);
	memcpy(buf, eth_nearest_bridge, 6);
	ecp_rx(&e->ecp, buf, n);
	assert_int_equal(e->nacked, 1);
	env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_format),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_retransmit_same_seq_then_error),
		cmocka_unit_test(test_r0_single_transmission),
		cmocka_unit_test(test_ack_sends_next_immediately),
		cmocka_unit_test(test_seq_skips_zero),
		cmocka_unit_test(test_rx_ack_and_duplicate),
		cmocka_unit_test(test_rx_first_after_enable_is_new),
		cmocka_unit_test(test_rx_bad_dropped),
		cmocka_unit_test(test_rx_admission),
		cmocka_unit_test(test_group_address),
		cmocka_unit_test(test_illegal_transition),
		cmocka_unit_test(test_transition_table), /* last: counts all */
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
