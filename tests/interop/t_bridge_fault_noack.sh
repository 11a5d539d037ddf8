#!/bin/bash
# vdp-bridge `fault set noack on`: the bridge swallows every ECP ack it would
# send.  lldpad's ECP retransmits each ECPDU (maxRetries 3, ackTimer
# 10 us * 2^RTE = 164 ms), the bridge sees the copies as duplicates (same
# sequence number, 802.1Qbg 43.3.7) and processes each request once; the VDP
# response travels in the bridge's own ECPDU, so the association still works.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lldpad.sh"
. "$(dirname "$0")/../lib/vdpbridge.sh"
require_root
require_cmd lldpad vdptool jq tshark "$T_BUILD/vdp-bridge"

U=a1412857-60f7-4ce1-e95a-2164943f5
vbr_lldpad_pair
capture br p0 ecp.pcap ether proto 0x8940
vbr fault set noack on >/dev/null || fail "fault set noack on"
vbr counters reset >/dev/null
t0=$(now_ms)
vdp_req st eth0 assoc mgr1 4711 3 ${U}001 0-02:00:00:00:02:01 || fail "assoc with noack: $VDP_OUT"
pass "association confirmed without ECP acks ($(($(now_ms) - t0)) ms)"
dups() { [ "$(vbr_counter '.ports[0].ecp.rx_dup')" -ge 6 ]; }
wait_for 5 "station retransmissions seen as duplicates" dups
c=$(vbr -j counters show)	# one snapshot: keep-alives keep coming
req=$(json_get "$c" '.ports[0].bridge.requests')
ecpdu=$(json_get "$c" '.ports[0].ecp.rx_ecpdu')
dup=$(json_get "$c" '.ports[0].ecp.rx_dup')
dropped=$(json_get "$c" '.fault.tx.acks_dropped')
info "bridge: $ecpdu ECPDUs delivered, $dup duplicates, $req VDP requests, $dropped acks swallowed"
assert_eq "$req" "$ecpdu" "each ECPDU processed once (requests = delivered ECPDUs)"
[ "$dropped" -ge "$ecpdu" ] || fail "acks swallowed $dropped < ECPDUs $ecpdu"
pass "every ack swallowed ($dropped)"
capture_stop
# Per sequence number, how often the station sent it: 1 + maxRetries (3).
per=$(tshark -r "$T_DIR/ecp.pcap" -Y "eth.src == $ST_MAC && ecp.op == 0" -T fields -e ecp.seqno 2>/dev/null |
	sort | uniq -c | awk '{print $1}' | sort -n | uniq -c | sort -rn | head -1 | awk '{print $2}')
assert_eq "$per" 4 "copies per station ECPDU on the wire (1 + 3 retries)"
acks=$(tshark -r "$T_DIR/ecp.pcap" -Y "eth.src == $BR_MAC && ecp.op == 1" 2>/dev/null | wc -l)
assert_eq "$acks" 0 "ECP acks from the bridge on the wire"
vbr fault set noack off >/dev/null
vdp_req st eth0 assoc mgr1 4711 3 ${U}002 0-02:00:00:00:02:02 || fail "assoc after noack off: $VDP_OUT"
# Retransmissions of an ECPDU sent before "off" may still be under way
# (up to 3 x 164 ms): count from the second keep-alive on.
more() { [ "$(vbr_vsi ${U}002 .keepalives)" -ge "$1" ]; }
wait_for 5 "2 keep-alives after noack off" more 2
d0=$(vbr_counter '.ports[0].ecp.rx_dup') || fail "no answer from the bridge for d0"
wait_for 5 "3 more keep-alives" more 5
assert_eq "$(vbr_counter '.ports[0].ecp.rx_dup')" "$d0" "no more duplicates once acks flow"
done_ok
