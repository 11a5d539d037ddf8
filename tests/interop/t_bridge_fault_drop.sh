#!/bin/bash
# vdp-bridge frame drops.  100 % of received frames dropped: the station's
# keep-alives no longer arrive, the bridge's toutKeepAlive (41.5.6:
# 1.5 x (10us x 2^RKA + (2R+1) x 10us x 2^RTE) = 2.212 s with RKA 15, RTE 14,
# R 3; measured and printed) expires, it sends a De-Associate, and lldpad forgets the VSI; a new
# request gets no confirmation.  30 % drops in both directions (seeded): ECP
# retransmission still gets the association through.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lldpad.sh"
. "$(dirname "$0")/../lib/vdpbridge.sh"
require_root
require_cmd lldpad vdptool jq "$T_BUILD/vdp-bridge"

U=a1412857-60f7-4ce1-e95a-2164943f5
vbr_lldpad_pair
tout=$(vbr_j '.[0].evb.oper | 1.5 * (10 * pow(2; .rka) + (2 * .r + 1) * 10 * pow(2; .rte)) / 1000 | floor' uplink show) ||
	fail "operational EVB values"
info "toutKeepAlive from the operational values: $tout ms"
vdp_req st eth0 assoc mgr1 4711 3 ${U}001 0-02:00:00:00:02:01 || fail "assoc: $VDP_OUT"
pass "VSI associated"

t0=$(now_ms)
vbr fault set rx-drop 100 >/dev/null || fail "fault set rx-drop 100"
gone() { vbr_no_vsi ${U}001; }
wait_for 10 "bridge times the VSI out" gone
dt=$(($(now_ms) - t0))
# How long toutKeepAlive is, is pinned by test_vdp_bridge's
# test_keepalive_timeout (fake clock); here: it happened, and it was the
# keep-alive timeout (counted below), measured $dt ms.
pass "VSI timed out $dt ms after receive drops started (toutKeepAlive $tout ms)"
# The counters may lag the VSI list by a moment (separate queries).
counted() { [ "$(vbr_j '.ports[0].bridge | "\(.timeouts) \(.bridge_deassoc)"' counters show)" = "1 1" ]; }
wait_for 2 "bridge counts one keep-alive timeout and one De-Associate" counted
pass "bridge counted one keep-alive timeout and one De-Associate"
st_gone() { ! vdp_listed st eth0 ${U}001 assoc; }
wait_for 5 "lldpad drops the VSI after the bridge's De-Associate" st_gone
pass "lldpad removed the VSI ($WAITED_MS ms after the bridge did)"

t0=$(now_ms)
vdp_req st eth0 assoc mgr1 4711 3 ${U}002 0-02:00:00:00:02:02 && fail "assoc confirmed while the bridge hears nothing"
info "vdptool while dropped ($(($(now_ms) - t0)) ms): $(printf '%s' "$VDP_OUT" | tr -d '\t' | tr '\n' ' ')"
vbr_no_vsi ${U}002 || fail "bridge lists a VSI it never heard of"
pass "no confirmation while the bridge receives nothing"
[ "$(vbr_counter '.fault.rx.dropped')" -gt 0 ] || fail "no drop counted"
pass "frames dropped: $(vbr_counter '.fault.rx.dropped')"

vbr fault clear >/dev/null
vbr counters reset >/dev/null
vbr fault set seed 7 drop 30 >/dev/null || fail "fault set drop 30"
for i in 3 4 5; do
	t0=$(now_ms)
	vdp_req st eth0 assoc mgr1 4711 3 ${U}00$i 0-02:00:00:00:02:0$i ||
		fail "assoc $i with 30 % drops: $VDP_OUT"
	pass "VSI $i associated despite 30 % drops ($(($(now_ms) - t0)) ms)"
done
answer c vbr -j counters show
drops=$(json_get "$c" '.fault.rx.dropped + .fault.tx.dropped')
[ "$drops" -gt 0 ] || fail "no frame dropped at 30 %"
pass "$drops frames dropped, $(json_get "$c" '.ports[0].ecp.tx_retrans') bridge retransmissions, $(json_get "$c" '.ports[0].ecp.rx_dup') duplicates"
vbr fault clear >/dev/null
done_ok
