#!/bin/bash
# vdp-bridge reordering: each frame the bridge sends is held back until the
# next one (or reorder_hold_ms, 50 ms) and released after it.  With lldpad's
# stop-and-wait ECP a held ack or response is released by the hold timer, so
# the exchange completes late but complete; the association holds.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lldpad.sh"
. "$(dirname "$0")/../lib/vdpbridge.sh"
require_root
require_cmd lldpad vdptool jq tshark "$T_BUILD/vdp-bridge"

U=a1412857-60f7-4ce1-e95a-2164943f5
vbr_lldpad_pair
capture br p0 ecp.pcap ether proto 0x8940
vbr fault set tx-reorder 100 >/dev/null || fail "fault set tx-reorder 100"
vbr counters reset >/dev/null
for i in 1 2 3; do
	t0=$(now_ms)
	vdp_req st eth0 assoc mgr1 4711 3 ${U}00$i 0-02:00:00:00:02:0$i || fail "assoc $i with reordering: $VDP_OUT"
	pass "VSI $i confirmed with reordering in $(($(now_ms) - t0)) ms"
done
k0=$(vbr_vsi ${U}001 .keepalives) || fail "no answer from the bridge for k0"
more() { [ "$(vbr_vsi ${U}001 .keepalives)" -ge $((k0 + 4)) ]; }
wait_for 5 "keep-alives continue under reordering" more
answer c vbr -j counters show
[ "$(json_get "$c" .fault.tx.reordered)" -gt 0 ] || fail "nothing reordered"
pass "$(json_get "$c" .fault.tx.reordered) frames reordered, $(json_get "$c" '.ports[0].ecp.rx_dup') duplicates, VSIs: $(vbr_j length vsi show)"
for i in 1 2 3; do vdp_listed st eth0 ${U}00$i assoc || fail "lldpad lost VSI $i"; done
pass "lldpad keeps all three VSIs"
vbr fault clear >/dev/null
capture_stop
# On the wire: without reordering the bridge acks a station request and then
# sends its response; held back, the ack leaves after the response.
cat >"$T_DIR/order.awk" <<'AWK'
$2 == st && $3 == 0 { pending[$4] = 1; waiting = $4; next }
$2 == br && $3 == 0 && waiting != "" { if (!(waiting in acked)) swapped++; waiting = ""; next }
$2 == br && $3 == 1 { acked[$4] = 1; if ($4 == waiting) { inorder++; waiting = "" } }
END { printf "%d %d\n", swapped, inorder }
AWK
read -r swapped inorder < <(tshark -r "$T_DIR/ecp.pcap" -T fields -e frame.time_relative -e eth.src \
	-e ecp.op -e ecp.seqno 2>/dev/null | sed 's/0x000//' |
	awk -v st=$ST_MAC -v br=$BR_MAC -f "$T_DIR/order.awk")
info "bridge response before its ack: $swapped times; ack first: $inorder times"
[ "$swapped" -ge 3 ] || fail "only $swapped responses overtook their ack on the wire"
pass "the bridge's response overtook its ack $swapped times on the wire"
done_ok
