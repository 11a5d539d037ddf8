/* libFuzzer target for vdp/nl_parse: the request parser, the semantic
 * check, the client-side reply parser, and a round trip: a request that
 * passes both checks is rebuilt with the builder and must parse back to
 * the same VDP meaning. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/wire/nl_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nlp_msg m, m2;
	struct nlp_port ports[8];
	struct nlp_status_reply r = { .ports = ports, .cap = 8 };
	uint8_t out[1024];
	struct wbuf w;

	/* every message of the datagram, as the front walks them */
	size_t off = 0;
	while (off < size) {
		int rc = nlp_parse(data + off, size - off, &m);
		if (rc < 0 || m.len == 0)
			break;
		if (m.type == 19 /* RTM_SETLINK */ && nlp_check_setlink(&m) == 0 &&
		    (m.n_filters == 0 || (m.n_filters == 1 && m.filters[0].has_mac && m.filters[0].has_vlan))) {
			struct nlp_setlink s = {
				.h = { m.type, m.flags, m.seq, m.pid },
				.ifindex = m.ifindex,
				.ifname = m.has_ifname ? m.ifname : NULL,
				.has_filter = m.n_filters == 1,
				.has_vsi_type = m.port.has_vsi_type,
				.mgr_id = m.port.mgr_id,
				.type_id = m.port.type_id,
				.type_version = m.port.type_version,
				.request = m.port.request,
				.has_port_vf = m.port.has_vf,
			};
			if (s.has_filter) {
				memcpy(s.mac, m.filters[0].mac, 6);
				s.vlan = m.filters[0].vlan;
				s.qos = m.filters[0].qos;
			}
			memcpy(s.uuid, m.port.uuid, 16);
			wbuf_init(&w, out, sizeof(out));
			if (nlp_build_setlink(&w, &s) != 0)
				abort();
			if (nlp_parse(out, w.len, &m2) != 0 || nlp_check_setlink(&m2) != 0)
				abort();
			if (memcmp(m2.port.uuid, m.port.uuid, 16) || m2.port.request != m.port.request ||
			    m2.port.type_id != m.port.type_id || m2.port.mgr_id != m.port.mgr_id ||
			    m2.ifindex != m.ifindex)
				abort();
		}
		wbuf_init(&w, out, sizeof(out));
		if (nlp_build_ack(&w, data + off, size - off, 1, -22) != 0 || w.len != 36)
			abort();
		off += (m.len + 3u) & ~3u;
	}
	nlp_parse_reply(data, size, &r);
	struct nlp_link l;
	if (nlp_parse_link(data, size, &l) == 0 && (l.kind[sizeof(l.kind) - 1] || l.ifname[NLP_IFNAMSIZ - 1]))
		abort();
	if (r.n_kept > r.cap)
		abort();
	return 0;
}
