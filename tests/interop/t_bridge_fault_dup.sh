#!/bin/bash
# vdp-bridge duplication.  tx-dup 100: every frame the bridge sends goes out
# twice; lldpad's ECP receiver drops the second copy of a request (same
# sequence number) but acks it again, which vdp-bridge counts as stale acks.
# rx-dup 100: the bridge receives everything twice and counts duplicates;
# each VDP request is still processed once.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lldpad.sh"
. "$(dirname "$0")/../lib/vdpbridge.sh"
require_root
require_cmd lldpad vdptool jq tshark "$T_BUILD/vdp-bridge"

U=a1412857-60f7-4ce1-e95a-2164943f5
vbr_lldpad_pair
capture br p0 ecp.pcap ether proto 0x8940

vbr fault set tx-dup 100 >/dev/null || fail "fault set tx-dup 100"
vbr counters reset >/dev/null
vdp_req st eth0 assoc mgr1 4711 3 ${U}001 0-02:00:00:00:02:01 || fail "assoc with tx-dup: $VDP_OUT"
pass "association confirmed with every bridge frame duplicated"
stale() { [ "$(vbr_counter '.ports[0].ecp.rx_ack_stale')" -ge 3 ]; }
wait_for 5 "lldpad acks the duplicate copies" stale
answer c vbr -j counters show
pass "tx-dup: $(json_get "$c" .fault.tx.duplicated) frames duplicated, $(json_get "$c" '.ports[0].ecp.rx_ack_stale') stale acks from lldpad"
vdp_listed st eth0 ${U}001 assoc || fail "lldpad does not list the VSI"

vbr fault clear >/dev/null
vbr fault set rx-dup 100 >/dev/null || fail "fault set rx-dup 100"
k0=$(vbr_vsi ${U}001 .keepalives) || fail "no answer from the bridge for k0"
more() { [ "$(vbr_vsi ${U}001 .keepalives)" -ge $((k0 + 5)) ]; }
vbr counters reset >/dev/null
wait_for 5 "5 keep-alives under rx-dup" more
answer c vbr -j counters show
e=$(json_get "$c" '.ports[0].ecp.rx_ecpdu') d=$(json_get "$c" '.ports[0].ecp.rx_dup')
r=$(json_get "$c" '.ports[0].bridge.requests')
info "rx-dup: $e ECPDUs delivered, $d duplicates, $r VDP requests"
[ "$d" -ge 4 ] || fail "only $d duplicates counted"
[ $((r - e)) -ge -1 ] && [ $((r - e)) -le 1 ] || fail "requests $r vs delivered ECPDUs $e"
pass "duplicates detected by ECP ($d), each request processed once ($r requests for $e ECPDUs)"
vbr fault clear >/dev/null
capture_stop
# The wire shows every bridge ECPDU twice while tx-dup was on.
n=$(tshark -r "$T_DIR/ecp.pcap" -Y "eth.src == $BR_MAC && ecp.op == 0" -T fields -e ecp.seqno 2>/dev/null |
	sort | uniq -c | awk '$1 >= 2' | wc -l)
[ "$n" -ge 1 ] || fail "no bridge ECPDU seen twice on the wire"
pass "$n bridge sequence numbers seen at least twice on the wire"
done_ok
