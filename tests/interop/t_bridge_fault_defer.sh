#!/bin/bash
# vdp-bridge `defer` rule: the VSI manager never answers, so the bridge's
# resourceWaitDelay (10 us x 2^RWD, 41.5.6) decides.  RWD 16 here (655 ms):
# a new VSI gets an unsolicited De-Associate after that delay and lldpad
# drops it; after `fault clear` the same VSI associates at once.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lldpad.sh"
. "$(dirname "$0")/../lib/vdpbridge.sh"
require_root
require_cmd lldpad vdptool jq "$T_BUILD/vdp-bridge"

U=a1412857-60f7-4ce1-e95a-2164943f5
VBR_EVB='rka = 15; rte = 14; rwd = 16;' vbr_lldpad_pair \
	'fault = { rules = ( { type_id = 4711; defer = true; } ); };' vdprwd=14
assert_eq "$(vbr_j '.[0].evb.oper.rwd' uplink show)" 16 "operational RWD"
t0=$(now_ms)
vdp_req st eth0 assoc mgr1 4711 3 ${U}001 0-02:00:00:00:02:01 && fail "deferred VSI confirmed: $VDP_OUT"
lat=$(($(now_ms) - t0))
info "vdptool ($lat ms): $(printf '%s' "$VDP_OUT" | tr -d '\t' | tr '\n' ' ')"
printf '%s\n' "$VDP_OUT" | grep -qx '[[:space:]]*mode = deassoc' || fail "no De-Associate answer: $VDP_OUT"
# resourceWaitDelay's length is pinned by test_vdp_bridge (fake clock); that
# it decided here is the resource_timeouts counter below.
pass "answer is a De-Associate after $lat ms (resourceWaitDelay 655 ms)"
st_gone() { ! vdp_listed st eth0 ${U}001 assoc; }
wait_for 5 "lldpad drops the deferred VSI" st_gone
dt=$(($(now_ms) - t0))
vbr_no_vsi ${U}001 || fail "bridge still lists the deferred VSI"
answer c vbr -j counters show
assert_eq "$(json_get "$c" '.ports[0].bridge.resource_timeouts')" 1 "resourceWaitDelay expiries"
pass "deferred VSI ended by the bridge's De-Associate (lldpad clean after $dt ms)"
vbr fault clear >/dev/null
vdp_req st eth0 assoc mgr1 4711 3 ${U}001 0-02:00:00:00:02:01 || fail "after fault clear: $VDP_OUT"
pass "same VSI associates once the manager answers"
done_ok
