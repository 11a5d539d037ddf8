/* vdp-pcapgen: writes a classic pcap (linktype 1) of ECP/VDP and LLDP
 * frames built by our encoders, and prints on stdout a manifest, one JSON
 * object per frame, of the field values it asked the encoders to put on the
 * wire.  tests/integration/t_decoders_independent.sh compares the manifest
 * with what tshark and tcpdump decode from the pcap, so the expected values
 * come from the request, not from any decoder.
 *
 * Usage: vdp-pcapgen OUT.pcap > manifest.jsonl
 * Frame n has timestamp n seconds (so tcpdump -tt output can be matched). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lldp/lldp.h"
#include "vdp/wire/ecpdu.h"
#include "vdp/base/eth.h"
#include "vdp/wire/vdp_tlv.h"

static FILE *pcap;
static unsigned frameno;
static const uint8_t station_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t bridge_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

static void put32(uint32_t v)
{
	fwrite(&v, 4, 1, pcap);		/* host order: the magic tells readers */
}

static void pcap_open(const char *path)
{
	pcap = fopen(path, "wb");
	if (!pcap) {
		perror(path);
		exit(1);
	}
	put32(0xa1b2c3d4);
	uint16_t v[2] = { 2, 4 };
	fwrite(v, 2, 2, pcap);
	put32(0);		/* thiszone */
	put32(0);		/* sigfigs */
	put32(65535);		/* snaplen */
	put32(1);		/* LINKTYPE_ETHERNET */
}

static void pcap_frame(const struct wbuf *w)
{
	frameno++;
	put32(frameno);
	put32(0);
	put32((uint32_t)w->len);
	put32((uint32_t)w->len);
	fwrite(w->p, 1, w->len, pcap);
}

static void check(int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "vdp-pcapgen: %s: %s\n", what, codec_strerror(rc));
		exit(1);
	}
}

static void print_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

/* One ECPDU carrying VDP (or, with n == 0 and op ack, an ack). */
struct vdp_frame {
	uint16_t subtype;
	uint8_t op;
	uint16_t seq;
	const uint8_t *mgrid;
	size_t n;
	const struct vdp_assoc *a;
	const struct vdp_filter *const *f;
	const struct vdp_org *org;	/* optional, after the assoc TLVs */
	const uint8_t *raw;		/* PE-CSP: opaque ULPDU */
	size_t raw_len;
};

static void emit_ecp(const struct vdp_frame *v, bool from_bridge)
{
	uint8_t buf[1600];
	struct wbuf w;
	struct ecp_hdr h = { .version = ECP_VERSION, .op = v->op, .subtype = v->subtype, .seq = v->seq };
	size_t i;

	wbuf_init(&w, buf, sizeof(buf));
	eth_encode(&w, v->subtype == ECP_SUBTYPE_PECSP ? eth_nearest_nontpmr_bridge
						       : eth_nearest_customer_bridge,
		   from_bridge ? bridge_mac : station_mac, ETHERTYPE_ECP);
	check(ecp_encode_hdr(&w, &h), "ecp header");
	if (v->mgrid) {
		check(vdp_encode_mgrid(&w, v->mgrid), "manager id");
		for (i = 0; i < v->n; i++)
			check(vdp_encode_assoc(&w, &v->a[i], v->f[i], v->a[i].n_filters), "assoc");
		if (v->org)
			check(vdp_encode_org(&w, v->org), "org");
	}
	if (v->raw)
		wbuf_bytes(&w, v->raw, v->raw_len);
	eth_pad(&w);
	if (w.err)
		check(CODEC_E_NO_SPACE, "frame");
	pcap_frame(&w);

	printf("{\"frame\": %u, \"kind\": \"ecp\", \"ver\": %u, \"op\": %u, \"subtype\": %u, \"seq\": %u",
	       frameno, h.version, h.op, h.subtype, h.seq);
	if (v->mgrid) {
		printf(", \"mgrid\": \"");
		print_hex(v->mgrid, VDP_MGRID_LEN);
		printf("\", \"tlvs\": [{\"type\": %u, \"len\": %u}", VDP_TLV_MGRID, VDP_MGRID_LEN);
		for (i = 0; i < v->n; i++) {
			const struct vdp_assoc *a = &v->a[i];

			printf(", {\"type\": %u, \"len\": %zu, \"status\": %u, \"typeid\": %u, "
			       "\"version\": %u, \"vsiidfmt\": %u, \"vsiid\": \"",
			       a->type, VDP_ASSOC_FIXED + a->n_filters * vdp_filter_entry_size(a->filter_fmt),
			       a->status, a->type_id, a->type_version, a->vsiid_fmt);
			print_hex(a->vsiid, VDP_VSIID_LEN);
			printf("\", \"filterfmt\": %u, \"nfilters\": %u}", a->filter_fmt, a->n_filters);
		}
		if (v->org)
			printf(", {\"type\": %u, \"len\": %u}", VDP_TLV_ORG, 3 + v->org->len);
		printf("]");
	}
	printf("}\n");
}

static void emit_lldp(const struct lldpdu *du)
{
	uint8_t buf[1600];
	struct wbuf w;
	uint16_t i;

	wbuf_init(&w, buf, sizeof(buf));
	eth_encode(&w, eth_nearest_customer_bridge, du->chassis_id, ETHERTYPE_LLDP);
	check(lldp_encode(&w, du), "lldp");
	eth_pad(&w);
	pcap_frame(&w);

	printf("{\"frame\": %u, \"kind\": \"lldp\", \"ttl\": %u, \"port\": \"%.*s\"",
	       frameno, du->ttl, du->port_len, (const char *)du->port_id);
	if (du->has_evb) {
		const struct evb_tlv *e = &du->evb;

		printf(", \"evb\": {\"bgid\": %d, \"rrcap\": %d, \"rrctr\": %d, \"sgid\": %d, "
		       "\"rrreq\": %d, \"rrstat\": %u, \"r\": %u, \"rte\": %u, \"mode\": %u, "
		       "\"rwd_rol\": %d, \"rwd\": %u, \"rka_rol\": %d, \"rka\": %u}",
		       e->bgid, e->rrcap, e->rrctr, e->sgid, e->rrreq, e->rrstat, e->r, e->rte,
		       e->evb_mode, e->rwd_rol, e->rwd, e->rka_rol, e->rka);
	}
	if (du->has_cdcp) {
		const struct cdcp_tlv *c = &du->cdcp;

		printf(", \"cdcp\": {\"role\": %u, \"scomp\": %d, \"chncap\": %u, \"channels\": [",
		       c->role, c->scomp, c->chncap);
		for (i = 0; i < c->n_channels; i++)
			printf("%s[%u, %u]", i ? ", " : "", c->ch[i].scid, c->ch[i].svid);
		printf("]}");
	}
	printf("}\n");
}

static void fill_vsiid(uint8_t fmt, unsigned k, uint8_t *v)
{
	memset(v, 0, VDP_VSIID_LEN);
	switch ((enum vdp_vsiid_fmt)fmt) {
	case VDP_VSIID_IPV4:	/* IPv4-mapped 192.0.2.k */
		v[10] = v[11] = 0xFF;
		v[12] = 192; v[13] = 0; v[14] = 2; v[15] = (uint8_t)k;
		break;
	case VDP_VSIID_IPV6:	/* 2001:db8::k */
		v[0] = 0x20; v[1] = 0x01; v[2] = 0x0d; v[3] = 0xb8;
		v[15] = (uint8_t)k;
		break;
	case VDP_VSIID_MAC:
		v[10] = 0x52; v[11] = 0x54; v[15] = (uint8_t)k;
		break;
	case VDP_VSIID_LOCAL:
		memcpy(v, "local-vsi-0000", 14);
		v[14] = (uint8_t)('0' + k / 10 % 10); v[15] = (uint8_t)('0' + k % 10);
		break;
	case VDP_VSIID_UUID:
		for (unsigned i = 0; i < VDP_VSIID_LEN; i++)
			v[i] = (uint8_t)(0x11 * (i + 1) + k);
		break;
	}
}

static void fill_filters(struct vdp_filter *f, uint16_t n, unsigned k)
{
	for (uint16_t i = 0; i < n; i++) {
		f[i].group_id = 0x01000000u * (k % 200) + i + 1;
		uint8_t mac[6] = { 0x52, 0x54, 0x00, (uint8_t)k, 0x00, (uint8_t)i };
		memcpy(f[i].mac, mac, 6);
		f[i].ps_pcp_vid = (uint16_t)((i % 2 ? VDP_PS : 0) | ((k + i) % 8) << VDP_PCP_SHIFT |
					     ((100 + 37 * k + i) % 4096));
	}
}

static void gen_vdp(void)
{
	static const uint8_t mgrid[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };
	static const uint8_t mgrid_byte[16] = { 0x07 };	/* libvirt-style 1-octet id */
	static const uint8_t req_status[] = { 0x00, VDP_STATUS_MBIT, VDP_STATUS_SBIT };
	static const uint8_t rsp_status[] = {
		0x40, 0x40 | 1, 0x40 | 2, 0x40 | 3, 0x40 | 4, 0x40 | 5,
		0x40 | VDP_STATUS_KEEP | 2, 0x40 | VDP_STATUS_HARD | 4,
		0x40 | VDP_STATUS_KEEP | VDP_STATUS_HARD | 3, 0x40 | VDP_STATUS_KEEP,
	};
	struct vdp_assoc a[2];
	struct vdp_filter f[2][8];
	const struct vdp_filter *fp[2] = { f[0], f[1] };
	struct vdp_frame v;
	unsigned k = 0;
	uint16_t seq = 1;

	/* every association type x VSIID format x filter format, as requests
	 * with the M/S hints in turn, each followed by its ECP ack */
	for (uint8_t type = VDP_TLV_PREASSOC; type <= VDP_TLV_DEASSOC; type++)
		for (uint8_t vf = VDP_VSIID_IPV4; vf <= VDP_VSIID_UUID; vf++)
			for (uint8_t ff = VDP_FILTER_VID; ff <= VDP_FILTER_GROUP_MAC_VID; ff++) {
				k++;
				memset(a, 0, sizeof(a));
				a[0].type = type;
				a[0].status = req_status[k % 3];
				a[0].type_id = 0x10000 * (k % 256) + k;
				a[0].type_version = (uint8_t)(k % 256);
				a[0].vsiid_fmt = vf;
				fill_vsiid(vf, k, a[0].vsiid);
				a[0].filter_fmt = ff;
				a[0].n_filters = (uint16_t)(1 + k % 4);
				fill_filters(f[0], a[0].n_filters, k);
				v = (struct vdp_frame){ .subtype = ECP_SUBTYPE_VDP, .op = ECP_OP_REQUEST,
							.seq = seq, .mgrid = k % 2 ? mgrid : mgrid_byte,
							.n = 1, .a = a, .f = fp };
				emit_ecp(&v, false);
				v = (struct vdp_frame){ .subtype = ECP_SUBTYPE_VDP, .op = ECP_OP_ACK,
							.seq = seq };
				emit_ecp(&v, true);
				seq = (uint16_t)(seq * 3 + 7);
			}
	/* bridge responses: success, every reason, keep and hard bits */
	for (unsigned i = 0; i < sizeof(rsp_status); i++)
		for (uint8_t type = VDP_TLV_ASSOC; type <= VDP_TLV_DEASSOC; type++) {
			k++;
			memset(a, 0, sizeof(a));
			a[0].type = type;
			a[0].status = rsp_status[i];
			a[0].type_id = 0xABCDEF - k;
			a[0].type_version = 4;
			a[0].vsiid_fmt = (uint8_t)(1 + k % 5);
			fill_vsiid(a[0].vsiid_fmt, k, a[0].vsiid);
			a[0].filter_fmt = (uint8_t)(1 + k % 4);
			a[0].n_filters = 1;
			fill_filters(f[0], 1, k);
			v = (struct vdp_frame){ .subtype = ECP_SUBTYPE_VDP, .op = ECP_OP_REQUEST,
						.seq = seq++, .mgrid = mgrid, .n = 1, .a = a, .f = fp };
			emit_ecp(&v, true);
		}
	/* two association TLVs and an organizational TLV in one ECPDU */
	{
		static const uint8_t odata[] = { 0x01, 0xde, 0xad };
		struct vdp_org org = { .oui = { 0x00, 0x00, 0x0c }, .len = sizeof(odata), .data = odata };

		memset(a, 0, sizeof(a));
		for (int i = 0; i < 2; i++) {
			a[i].type = VDP_TLV_ASSOC;
			a[i].type_id = (uint32_t)(5 + i);
			a[i].type_version = (uint8_t)(4 + i);
			a[i].vsiid_fmt = VDP_VSIID_UUID;
			fill_vsiid(VDP_VSIID_UUID, 200 + (unsigned)i, a[i].vsiid);
			a[i].filter_fmt = VDP_FILTER_MAC_VID;
			a[i].n_filters = (uint16_t)(2 + i);
			fill_filters(f[i], a[i].n_filters, 200 + (unsigned)i);
		}
		v = (struct vdp_frame){ .subtype = ECP_SUBTYPE_VDP, .op = ECP_OP_REQUEST, .seq = 0xFFFF,
					.mgrid = mgrid, .n = 2, .a = a, .f = fp, .org = &org };
		emit_ecp(&v, false);
	}
	/* 802.1BR PE-CSP request (opaque payload) and its ack */
	{
		static const uint8_t pecsp[] = { 0x01, 0x02, 0x03, 0x04, 0x05 };

		v = (struct vdp_frame){ .subtype = ECP_SUBTYPE_PECSP, .op = ECP_OP_REQUEST, .seq = 7,
					.raw = pecsp, .raw_len = sizeof(pecsp) };
		emit_ecp(&v, true);
		v = (struct vdp_frame){ .subtype = ECP_SUBTYPE_PECSP, .op = ECP_OP_ACK, .seq = 7 };
		emit_ecp(&v, false);
	}
}

static void gen_lldp(void)
{
	static struct lldpdu du;
	static const struct evb_tlv evbs[] = {
		/* station defaults before any bridge TLV */
		{ .rrreq = true, .rrstat = EVB_RRSTAT_UNKNOWN, .r = 3, .rte = 8,
		  .evb_mode = EVB_MODE_STATION, .rwd = 20, .rka = 20 },
		/* bridge with everything on, remote values in use */
		{ .bgid = true, .rrcap = true, .rrctr = true, .sgid = true, .rrreq = true,
		  .rrstat = EVB_RRSTAT_OFF, .r = 3, .rte = 14, .evb_mode = EVB_MODE_BRIDGE,
		  .rwd_rol = true, .rwd = 20, .rka_rol = true, .rka = 20 },
		/* field extremes */
		{ .r = 7, .rte = 31, .evb_mode = EVB_MODE_STATION, .rwd = 31, .rka = 31,
		  .rrstat = EVB_RRSTAT_ON },
		{ .bgid = true, .sgid = true, .r = 0, .rte = 0, .evb_mode = EVB_MODE_BRIDGE,
		  .rwd_rol = true, .rwd = 0, .rka = 1 },
		{ .rrcap = true, .r = 5, .rte = 16, .evb_mode = EVB_MODE_NONE, .rwd = 9,
		  .rka_rol = true, .rka = 14 },
	};
	unsigned i, c;

	for (i = 0; i < sizeof(evbs) / sizeof(evbs[0]); i++) {
		memset(&du, 0, sizeof(du));
		du.chassis_subtype = LLDP_CHASSIS_MAC;
		du.chassis_len = 6;
		memcpy(du.chassis_id, i % 2 ? bridge_mac : station_mac, 6);
		du.port_subtype = LLDP_PORT_IFNAME;
		du.port_len = (uint8_t)snprintf((char *)du.port_id, sizeof(du.port_id), "eth%u", i);
		du.ttl = (uint16_t)(120 - i);
		du.has_evb = true;
		du.evb = evbs[i];
		if (i != 2) {
			du.has_cdcp = true;
			du.cdcp.role = (uint8_t)(i % 2);
			du.cdcp.scomp = i >= 3;
			du.cdcp.chncap = (uint16_t)(i == 4 ? 4095 : 2 + 40 * i);
			du.cdcp.n_channels = (uint16_t)(i + 1);
			for (c = 0; c < du.cdcp.n_channels; c++) {
				du.cdcp.ch[c].scid = (uint16_t)(c + 1);
				du.cdcp.ch[c].svid = (uint16_t)(c == 0 ? 0 : (100 * c + i) % 4096);
			}
		}
		emit_lldp(&du);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUT.pcap > manifest.jsonl\n", argv[0]);
		return 2;
	}
	pcap_open(argv[1]);
	gen_vdp();
	gen_lldp();
	if (fclose(pcap) != 0) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
