/* libFuzzer target: the VDP station and bridge engines driven by a script
 * read from the input (local requests, responses and requests from the
 * peer built from fuzzed fields, raw ULPDUs, acks, time, link down/up,
 * bridge de-associate/flush).  Checks: no crash or leak, table counts
 * agree with iteration, every VSI found by its VSIID, and after time runs
 * far ahead nothing waits in a state that needs a timer without one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/fakeclock.c"
#include "vdp/engine/vdp_bridge.h"
#include "vdp/engine/vdp_station.h"

struct fz {
	struct fakeclock fc;
	struct ecp s_ecp, b_ecp;
	struct vdp_station st;
	struct vdp_bridge br;
	uint16_t s_out_seq, b_out_seq;	/* seq of the last ECPDU each side sent */
	uint8_t admit_status, admit_defer;
	/* the wire between them: frames in order, the fuzzer delivers or drops */
	struct { bool to_bridge; uint16_t len; uint8_t buf[ECP_FRAME_MAX]; } q[32];
	size_t q_head, q_n;
};

static const uint8_t mgr[16] = { 1 };
static const uint8_t s_mac[6] = { 2, 0, 0, 0, 0, 1 }, b_mac[6] = { 2, 0, 0, 0, 0, 2 };

static void seq_of(const uint8_t *f, size_t len, uint16_t *seq)
{
	if (len >= 18 && !(f[14] & 0x0C))
		*seq = (uint16_t)(f[16] << 8 | f[17]);
}

static void wire(struct fz *z, bool to_bridge, const uint8_t *f, size_t l)
{
	size_t i;

	if (z->q_n == 32 || l > ECP_FRAME_MAX)
		return;		/* lost */
	i = (z->q_head + z->q_n++) % 32;
	z->q[i].to_bridge = to_bridge;
	z->q[i].len = (uint16_t)l;
	memcpy(z->q[i].buf, f, l);
}

static void s_send(void *c, const uint8_t *f, size_t l)
{
	seq_of(f, l, &((struct fz *)c)->s_out_seq);
	wire(c, true, f, l);
}

static void b_send(void *c, const uint8_t *f, size_t l)
{
	seq_of(f, l, &((struct fz *)c)->b_out_seq);
	wire(c, false, f, l);
}

/* Delivers (or drops) up to n frames from the wire. */
static void pump(struct fz *z, unsigned n, bool drop)
{
	static uint8_t buf[ECP_FRAME_MAX];

	while (n-- && z->q_n) {
		size_t i = z->q_head, len = z->q[i].len;
		bool to_bridge = z->q[i].to_bridge;
		memcpy(buf, z->q[i].buf, len);
		z->q_head = (z->q_head + 1) % 32;
		z->q_n--;
		if (drop)
			continue;
		ecp_rx(to_bridge ? &z->b_ecp : &z->s_ecp, buf, len);
	}
}
static void s_del(void *c, uint16_t st, const uint8_t *u, size_t l) { (void)st; vdp_station_rx(&((struct fz *)c)->st, u, l); }
static void b_del(void *c, uint16_t st, const uint8_t *u, size_t l) { (void)st; vdp_bridge_rx(&((struct fz *)c)->br, u, l); }
static void s_done(void *c, bool a) { vdp_station_tx_done(&((struct fz *)c)->st, a); }
static void b_done(void *c, bool a) { vdp_bridge_tx_done(&((struct fz *)c)->br, a); }
static const struct ecp_ops s_ops = { s_send, s_del, s_done }, b_ops = { b_send, b_del, b_done };

static void st_ev(void *c, struct vsi *v, enum vdp_event ev)
{
	struct fz *z = c;
	/* Requesters may forget ended VSIs from the callback. */
	if (ev == VDP_EV_DEASSOCIATED && (v->vsiid[15] & 1))
		vdp_station_forget(&z->st, v);
}

static int admit(void *c, struct vsi *v, const uint8_t m[16], const struct vdp_assoc *a,
		 struct vdp_filter *f, uint16_t n, uint8_t *status)
{
	struct fz *z = c;
	(void)v; (void)m; (void)a;
	for (uint16_t i = 0; i < n; i++)
		if (vdp_vid(f[i].ps_pcp_vid) == 0)
			f[i].ps_pcp_vid |= 77;
	*status = z->admit_status;
	return z->admit_defer ? VDP_ADMIT_DEFER : VDP_ADMIT_DONE;
}

static const struct vdp_station_ops st_ops = { st_ev };
static const struct vdp_bridge_ops br_ops = { admit, NULL };

static size_t take(const uint8_t **p, size_t *n, uint8_t *out, size_t want)
{
	size_t k = want < *n ? want : *n;
	memset(out, 0, want);
	memcpy(out, *p, k);
	*p += k;
	*n -= k;
	return k;
}

static void ack(struct ecp *e, const uint8_t *src, uint16_t seq)
{
	uint8_t buf[60];
	struct wbuf w;
	struct ecp_hdr h = { 1, ECP_OP_ACK, ECP_SUBTYPE_VDP, seq };

	wbuf_init(&w, buf, sizeof(buf));
	eth_encode(&w, eth_nearest_customer_bridge, src, ETHERTYPE_ECP);
	ecp_encode_hdr(&w, &h);
	eth_pad(&w);
	ecp_rx(e, buf, w.len);
}

/* A ULPDU of up to 4 association TLVs with fuzzed fields over 8 VSIIDs. */
static size_t build(const uint8_t *d, uint8_t *buf, size_t cap)
{
	struct wbuf w;
	struct vdp_filter f[2];

	wbuf_init(&w, buf, cap);
	vdp_encode_mgrid(&w, (d[0] & 0x80) ? mgr : (const uint8_t[16]){ 2 });
	for (int i = 0; i < 1 + (d[0] & 3); i++) {
		const uint8_t *x = d + 1 + i * 4;
		struct vdp_assoc a = { .type = (uint8_t)(1 + (x[0] & 3)), .status = x[1],
				       .type_id = x[2] & 1, .type_version = 0,
				       .vsiid_fmt = VDP_VSIID_UUID, .filter_fmt = VDP_FILTER_MAC_VID,
				       .n_filters = (uint16_t)(1 + (x[0] >> 7)) };
		a.vsiid[15] = x[0] >> 2 & 7;
		memset(f, 0, sizeof(f));
		f[0].mac[5] = a.vsiid[15];
		f[0].ps_pcp_vid = (uint16_t)(x[3] & 3) * 50;
		f[1].mac[5] = 100;
		f[1].ps_pcp_vid = 5;
		vdp_encode_assoc(&w, &a, f, a.n_filters);
	}
	return w.len;
}

static void check(struct fz *z)
{
	size_t n = 0;

	for (struct vsi *v = vdp_station_first(&z->st); v; v = vdp_station_next(&z->st, v), n++) {
		bool timer = vtimer_pending(&z->fc.vc, v->timer), queued = v->flags & VSI_F_QUEUED;
		if (vdp_station_find(&z->st, v->vsiid_fmt, v->vsiid) != v)
			abort();
		if (z->st.paused)
			continue;
		/* No VSI may wait forever: a wait state has its timer, a
		 * transmit state is queued, END has neither. */
		switch ((enum vdp_station_state)v->state) {
		case VDP_ST_STATION_PROCWAIT:
		case VDP_ST_TXMIT_KAWAIT:
		case VDP_ST_TXMIT_DEAWAIT:
		case VDP_ST_WAIT_SYSCMD:
			if (!timer)
				abort();
			break;
		case VDP_ST_STATION_PROC:
		case VDP_ST_TXMIT_KA:
		case VDP_ST_TXMIT_DEASSOC:
			if (!queued)
				abort();
			break;
		case VDP_ST_END:
			if (timer || queued)
				abort();
			break;
		case VDP_ST_INIT:
		case VDP_ST_PREASSOC_NEW:
		case VDP_ST_ASSOC_NEW:
		case VDP_ST_ASSOC_COMPL:
			abort();	/* transient only */
		}
	}
	if (n != vdp_station_count(&z->st))
		abort();
	n = 0;
	for (struct vsi *v = vdp_bridge_first(&z->br); v; v = vdp_bridge_next(&z->br, v), n++) {
		bool timer = vtimer_pending(&z->fc.vc, v->timer), queued = v->flags & VSI_F_QUEUED;
		if (vdp_bridge_find(&z->br, v->vsiid_fmt, v->vsiid) != v)
			abort();
		switch ((enum vdp_bridge_state)v->state) {
		case VDP_BR_PROCESS:
		case VDP_BR_WAITCMD:
			if (!timer)
				abort();
			break;
		case VDP_BR_DEASSOC:
		case VDP_BR_DEASSOCIATED:
			if (!queued || timer)
				abort();
			break;
		case VDP_BR_KEEP:
			/* The Keep reply waits behind a busy ECP. */
			if (!queued)
				abort();
			break;
		case VDP_BR_INIT:
		case VDP_BR_SEND:
		case VDP_BR_ALIVE:
		case VDP_BR_END:
			abort();	/* transient, or freed */
		}
	}
	if (n != vdp_bridge_count(&z->br))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz z;
	uint8_t d[32], buf[ECP_MAX_MTU];
	struct vclock *c;

	memset(&z, 0, sizeof(z));
	fakeclock_init(&z.fc, 1000);
	c = fakeclock_vclock(&z.fc);
	ecp_init(&z.s_ecp, &s_ops, &z, c, s_mac, 200);	/* small MTU: packing limits */
	ecp_init(&z.b_ecp, &b_ops, &z, c, b_mac, 200);
	ecp_set_peer(&z.s_ecp, b_mac);
	ecp_set_peer(&z.b_ecp, s_mac);
	ecp_enable(&z.s_ecp);
	ecp_enable(&z.b_ecp);
	vdp_station_init(&z.st, &st_ops, &z, c, &z.s_ecp);
	vdp_bridge_init(&z.br, &br_ops, &z, c, &z.b_ecp);
	vdp_station_set_params(&z.st, 1, 4, 6, 8);
	vdp_bridge_set_params(&z.br, 1, 4, 6, 8);

	while (size) {
		uint8_t op = *data++;
		size--;
		take(&data, &size, d, 20);
		switch (op % 14) {
		case 12:
			pump(&z, 1 + d[0] % 64, false);
			break;
		case 13:
			pump(&z, 1, true);
			break;
		case 0: {
			struct vdp_filter f = { .ps_pcp_vid = (uint16_t)(d[2] & 1) * 10 };
			struct vdp_request r = { .mode = (uint8_t)(1 + (d[0] & 3)), .type_id = d[1] & 1,
						 .vsiid_fmt = VDP_VSIID_UUID, .filter_fmt = VDP_FILTER_MAC_VID,
						 .n_filters = 1, .filters = &f, .hints = d[3] & 0x30 };
			memcpy(r.mgrid, (d[0] & 0x80) ? mgr : (const uint8_t[16]){ 2 }, 16);
			r.vsiid[15] = d[0] >> 2 & 7;
			f.mac[5] = r.vsiid[15];
			vdp_station_request(&z.st, &r);
			break;
		}
		case 1:		/* from the bridge to the station */
			vdp_station_rx(&z.st, buf, build(d, buf, sizeof(buf)));
			break;
		case 2:		/* from the station to the bridge */
			vdp_bridge_rx(&z.br, buf, build(d, buf, sizeof(buf)));
			break;
		case 3:
			vdp_station_rx(&z.st, d, d[0] % 20);
			vdp_bridge_rx(&z.br, d, d[1] % 20);
			break;
		case 4:
			ack(&z.s_ecp, b_mac, (d[0] & 1) ? z.s_out_seq : (uint16_t)(d[1] << 8 | d[2]));
			break;
		case 5:
			ack(&z.b_ecp, s_mac, (d[0] & 1) ? z.b_out_seq : (uint16_t)(d[1] << 8 | d[2]));
			break;
		case 6:
			fakeclock_advance(&z.fc, (uint64_t)d[0] << (d[1] & 15));
			break;
		case 7:
			ecp_disable(&z.s_ecp);
			vdp_station_pause(&z.st);
			break;
		case 8:
			ecp_enable(&z.s_ecp);
			vdp_station_reassociate_all(&z.st);
			break;
		case 9: {
			struct vsi *v = vdp_bridge_first(&z.br);
			if (v && (d[0] & 1))
				vdp_bridge_deassoc(&z.br, v);
			else if (v && (d[0] & 2))
				vdp_bridge_admit_done(&z.br, v, d[1], NULL, 0);
			else if (d[0] & 4)
				vdp_bridge_flush(&z.br);
			break;
		}
		case 10:
			z.admit_status = d[0];
			z.admit_defer = d[1] & 1;
			break;
		case 11: {
			struct vsi *v = vdp_station_first(&z.st);
			if (v && v->state == VDP_ST_END)
				vdp_station_forget(&z.st, v);
			break;
		}
		}
		check(&z);
	}
	/* Far ahead: every wait ends. */
	for (int i = 0; i < 64 && fakeclock_run_next(&z.fc); i++)
		;
	check(&z);
	vdp_station_destroy(&z.st);
	vdp_bridge_destroy(&z.br);
	ecp_free(&z.s_ecp);
	ecp_free(&z.b_ecp);
	if (fakeclock_armed(&z.fc))
		abort();
	fakeclock_destroy(&z.fc);
	return 0;
}
