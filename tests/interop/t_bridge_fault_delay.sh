#!/bin/bash
# vdp-bridge transmit delay: every frame the bridge sends (ECP acks and VDP
# responses) waits D ms.  lldpad's confirmation takes at least D longer than
# without delay; with D above lldpad's ECP ackTimer (164 ms at RTE 14) the
# station retransmits, the bridge sees duplicates, the association still holds.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lldpad.sh"
. "$(dirname "$0")/../lib/vdpbridge.sh"
require_root
require_cmd lldpad vdptool jq "$T_BUILD/vdp-bridge"

U=a1412857-60f7-4ce1-e95a-2164943f5
vbr_lldpad_pair
t0=$(now_ms)
vdp_req st eth0 assoc mgr1 4711 3 ${U}001 0-02:00:00:00:02:01 || fail "assoc: $VDP_OUT"
base=$(($(now_ms) - t0))
pass "no delay: confirmed in $base ms"

for d in 100 300; do
	vbr fault set tx-delay $d >/dev/null || fail "fault set tx-delay $d"
	vbr counters reset >/dev/null
	t0=$(now_ms)
	vdp_req st eth0 assoc mgr1 4711 3 ${U}$d 0-02:00:00:00:03:0${d:0:1} || fail "assoc with delay $d: $VDP_OUT"
	lat=$(($(now_ms) - t0))
	[ $lat -ge $d ] || fail "confirmed in $lat ms with a $d ms delay"
	answer c vbr -j counters show
	pass "tx-delay $d: confirmed in $lat ms (delayed frames $(json_get "$c" .fault.tx.delayed), duplicates seen $(json_get "$c" '.ports[0].ecp.rx_dup'))"
	[ "$(json_get "$c" .fault.tx.delayed)" -gt 0 ] || fail "no delayed frame counted"
done
[ "$(json_get "$c" '.ports[0].ecp.rx_dup')" -gt 0 ] || fail "300 ms > ackTimer 164 ms, but no retransmission seen"
pass "300 ms delay exceeds the station's ackTimer: retransmissions arrive as duplicates"
k0=$(vbr_vsi ${U}001 .keepalives) || fail "no answer from the bridge for k0"
more() { [ "$(vbr_vsi ${U}001 .keepalives)" -ge $((k0 + 4)) ]; }
wait_for 5 "keep-alives continue under delay" more
vdp_listed st eth0 ${U}001 assoc || fail "lldpad lost the VSI under delay"
pass "first VSI still associated under 300 ms delay"
vbr fault clear >/dev/null
done_ok
