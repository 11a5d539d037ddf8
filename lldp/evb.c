/* EVB TLV negotiation (802.1Q D.2.12, 802.1Qbg-2012 41.3), pure. */
#include <string.h>

#include "lldp/evb.h"

void evb_config_default(struct evb_config *c, uint8_t role)
{
	memset(c, 0, sizeof(*c));
	c->role = role;
	c->r = 3;
	c->rte = 8;
	c->rwd = 20;
	c->rka = 20;
}

static uint8_t max8(uint8_t a, uint8_t b)
{
	return a > b ? a : b;
}

/* Recomputes tx and oper from cfg and peer; true if either changed. */
static bool recompute(struct evb *e)
{
	const struct evb_config *c = &e->cfg;
	const struct evb_tlv *p = &e->peer;
	bool peer = e->have_peer;
	struct evb_tlv tx = { 0 };
	struct evb_oper op = { 0 };
	bool changed;

	/* Operative values: the larger of ours and the peer's (H3C: "the
	 * larger of the values proposed by the station and bridge"). */
	op.r = peer ? max8(c->r, p->r) : c->r;
	op.rte = peer ? max8(c->rte, p->rte) : c->rte;
	op.rwd = peer ? max8(c->rwd, p->rwd) : c->rwd;
	op.rka = peer ? max8(c->rka, p->rka) : c->rka;
	op.r &= 7;
	op.rte &= 31;
	op.rwd &= 31;
	op.rka &= 31;

	tx.evb_mode = c->role;
	tx.r = op.r;
	tx.rte = op.rte;
	tx.rwd = op.rwd;
	tx.rka = op.rka;
	/* ROL: the value in use is the remote one (lldpad sets it when
	 * remote >= local). */
	tx.rwd_rol = peer && p->rwd >= c->rwd;
	tx.rka_rol = peer && p->rka >= c->rka;

	if (c->role == EVB_MODE_BRIDGE) {
		tx.bgid = c->gid;
		tx.rrcap = c->rrcap;
		tx.rrctr = peer && p->rrreq && c->rrcap;
		/* Echo the station status octet we last received. */
		if (peer) {
			tx.sgid = p->sgid;
			tx.rrreq = p->rrreq;
			tx.rrstat = p->rrstat;
		}
		op.rr = tx.rrctr;
		op.gid = c->gid && peer && p->sgid;
	} else {
		tx.sgid = c->gid;
		tx.rrreq = c->rrreq;
		tx.rrstat = peer ? (p->rrctr ? EVB_RRSTAT_ON : EVB_RRSTAT_OFF) : EVB_RRSTAT_UNKNOWN;
		if (peer) {
			tx.bgid = p->bgid;
			tx.rrcap = p->rrcap;
			tx.rrctr = p->rrctr;
		}
		op.rr = peer && p->rrctr;
		op.gid = c->gid && peer && p->bgid;
	}
	changed = memcmp(&tx, &e->tx, sizeof(tx)) != 0 || memcmp(&op, &e->oper, sizeof(op)) != 0;
	e->tx = tx;
	e->oper = op;
	e->converged = peer && p->evb_mode != c->role &&
		       (p->evb_mode == EVB_MODE_BRIDGE || p->evb_mode == EVB_MODE_STATION);
	return changed;
}

void evb_init(struct evb *e, const struct evb_config *cfg)
{
	memset(e, 0, sizeof(*e));
	e->cfg = *cfg;
	recompute(e);
}

bool evb_set_config(struct evb *e, const struct evb_config *cfg)
{
	e->cfg = *cfg;
	return recompute(e);
}

bool evb_rx(struct evb *e, const struct evb_tlv *peer)
{
	e->peer = *peer;
	e->have_peer = true;
	return recompute(e);
}

bool evb_peer_lost(struct evb *e)
{
	if (!e->have_peer)
		return false;
	e->have_peer = false;
	memset(&e->peer, 0, sizeof(e->peer));
	return recompute(e);
}
