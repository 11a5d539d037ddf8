/* vdp-inject: sends one crafted LLDP or ECP frame on an interface
 * (AF_PACKET, needs CAP_NET_RAW), built by our encoders, for tests that play
 * a host on the uplink's segment which is not the EVB neighbour.
 *
 * Usage:
 *   vdp-inject IF DST SRC lldp CHASSIS-MAC [RTE]
 *	An LLDPDU: chassis ID CHASSIS-MAC (MAC subtype), port ID "intruder",
 *	TTL 120 and an EVB TLV in bridge mode (R 3, RTE as given or 20,
 *	RWD 20, RKA 20, RRCAP and BGID set).
 *   vdp-inject IF DST SRC deassoc SEQ MGRID TYPEID TYPEVER UUID MAC VID
 *	An ECPDU (request, VDP, sequence SEQ) carrying one De-Associate
 *	TLV for the VSI UUID with one MAC/VID filter.
 * DST and SRC are MACs (aa:bb:cc:dd:ee:ff); DST may be "ncb" (the Nearest
 * Customer Bridge group address, 01:80:c2:00:00:00) or "nb" (Nearest
 * Bridge, 01:80:c2:00:00:0e).  Prints the frame in hex on stdout. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>

#include "lldp/lldp.h"
#include "vdp/base/eth.h"
#include "vdp/wire/ecpdu.h"
#include "vdp/wire/vdp_text.h"
#include "vdp/wire/vdp_tlv.h"

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "vdp-inject: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

static void mac_arg(const char *s, uint8_t out[6])
{
	if (strcmp(s, "ncb") == 0)
		memcpy(out, eth_nearest_customer_bridge, 6);
	else if (strcmp(s, "nb") == 0)
		memcpy(out, eth_nearest_bridge, 6);
	else if (vdp_txt_mac_parse(s, out) < 0)
		die("bad MAC address \"%s\"", s);
}

static uint32_t uint_arg(const char *s, uint32_t max)
{
	uint32_t v;

	if (vdp_txt_uint(s, max, &v) < 0)
		die("bad number \"%s\"", s);
	return v;
}

static void build_lldp(struct wbuf *w, char **av, int ac)
{
	struct lldpdu du;

	if (ac < 1 || ac > 2)
		die("%s", "lldp: CHASSIS-MAC [RTE] expected");
	memset(&du, 0, sizeof(du));
	du.chassis_subtype = LLDP_CHASSIS_MAC;
	du.chassis_len = 6;
	mac_arg(av[0], du.chassis_id);
	du.port_subtype = LLDP_PORT_IFNAME;
	du.port_len = 8;
	memcpy(du.port_id, "intruder", 8);
	du.ttl = 120;
	du.has_evb = true;
	du.evb = (struct evb_tlv){ .bgid = true,
				   .rrcap = true,
				   .r = 3,
				   .rte = (uint8_t)(ac > 1 ? uint_arg(av[1], 31) : 20),
				   .evb_mode = EVB_MODE_BRIDGE,
				   .rwd = 20,
				   .rka = 20 };
	if (lldp_encode(w, &du) != CODEC_OK)
		die("%s", "lldp: encoding failed");
}

static void build_deassoc(struct wbuf *w, char **av, int ac)
{
	struct ecp_hdr h = { .version = ECP_VERSION,
			     .op = ECP_OP_REQUEST,
			     .subtype = ECP_SUBTYPE_VDP };
	struct vdp_assoc a = { .type = VDP_TLV_DEASSOC,
			       .vsiid_fmt = VDP_VSIID_UUID,
			       .filter_fmt = VDP_FILTER_MAC_VID,
			       .n_filters = 1 };
	struct vdp_filter f = { 0 };
	uint8_t mgrid[VDP_MGRID_LEN];

	if (ac != 7)
		die("%s", "deassoc: SEQ MGRID TYPEID TYPEVER UUID MAC VID expected");
	h.seq = (uint16_t)uint_arg(av[0], 65535);
	if (vdp_txt_mgrid_parse(av[1], mgrid) < 0)
		die("bad manager ID \"%s\"", av[1]);
	a.type_id = uint_arg(av[2], 0xFFFFFF);
	a.type_version = (uint8_t)uint_arg(av[3], 255);
	if (vdp_txt_uuid_parse(av[4], a.vsiid) < 0)
		die("bad UUID \"%s\"", av[4]);
	mac_arg(av[5], f.mac);
	f.ps_pcp_vid = (uint16_t)uint_arg(av[6], 4095);
	if (ecp_encode_hdr(w, &h) != CODEC_OK || vdp_encode_mgrid(w, mgrid) != CODEC_OK ||
	    vdp_encode_assoc(w, &a, &f, 1) != CODEC_OK)
		die("%s", "deassoc: encoding failed");
}

static void send_frame(const char *ifname, const uint8_t *frame, size_t len)
{
	struct sockaddr_ll sll;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket(AF_PACKET): %s", strerror(errno));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, frame, 6);
	if (sll.sll_ifindex == 0)
		die("no interface \"%s\"", ifname);
	if (sendto(fd, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll)) != (ssize_t)len)
		die("send: %s", strerror(errno));
	close(fd);
}

int main(int argc, char **argv)
{
	uint8_t buf[1514], dst[6], src[6];
	struct wbuf w;
	uint16_t et;

	if (argc < 5)
		die("%s", "usage: vdp-inject IF DST SRC lldp|deassoc ARGS... (see the source)");
	mac_arg(argv[2], dst);
	mac_arg(argv[3], src);
	if (strcmp(argv[4], "lldp") == 0)
		et = ETHERTYPE_LLDP;
	else if (strcmp(argv[4], "deassoc") == 0)
		et = ETHERTYPE_ECP;
	else
		die("unknown frame kind \"%s\" (lldp, deassoc)", argv[4]);
	wbuf_init(&w, buf, sizeof(buf));
	eth_encode(&w, dst, src, et);
	if (et == ETHERTYPE_LLDP)
		build_lldp(&w, argv + 5, argc - 5);
	else
		build_deassoc(&w, argv + 5, argc - 5);
	eth_pad(&w);
	if (w.err)
		die("%s", "frame too long");
	send_frame(argv[1], buf, w.len);
	for (size_t i = 0; i < w.len; i++)
		printf("%02x", buf[i]);
	printf("\n");
	return 0;
}
