#!/bin/bash
# vdp-bridge with faults extended to LLDP (fault lldp on) and every received
# frame dropped, from start: the bridge never hears lldpad's EVB TLV, so it
# does not converge and never grants reflective relay; lldpad sees the
# bridge's TLV but RRSTAT stays "not enabled" and no VSI can be associated.
# Clearing the fault and a local EVB change on lldpad (which makes it send
# at once) lets both ends converge.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lldpad.sh"
. "$(dirname "$0")/../lib/vdpbridge.sh"
require_root
require_cmd lldpad lldptool vdptool jq "$T_BUILD/vdp-bridge"

VBR_NO_WAIT=1 vbr_lldpad_pair 'fault = { lldp = true; rx = { drop = 100.0; }; };'
seen_bridge() { lldpad_evb st eth0 -n | grep -q mode:bridge; }
wait_for 10 "lldpad receives the bridge's EVB TLV" seen_bridge
# lldpad sends LLDP every second at start; without faults the exchange
# converges after 2-3 of them (lldpad sends 4 fast, then every 30 s).
# Wait for 4 dropped frames.
dropped4() { [ "$(vbr_counter .fault.rx.dropped)" -ge 4 ]; }
wait_for 15 "4 LLDP frames dropped by vdp-bridge" dropped4
[ "$(vbr_j '.ports[0].converged' status)" = false ] || fail "vdp-bridge converged without hearing the station"
pass "vdp-bridge not converged after $(vbr_counter .fault.rx.dropped) dropped LLDP frames"
assert_eq "$(vbr_j '.[0].lldp.rx_frames' uplink show)" 0 "LLDP frames received by vdp-bridge"
st=$(lldpad_evb st eth0 | evb_parse)
info "lldpad sends: $st"
assert_eq "$(( $(evb_field "$st" station) & 3 ))" 0 "lldpad RRSTAT (0: bridge did not enable RR)"
assert_eq "$(evb_field "$st" bridge)" 0x2 "lldpad echoes bridge status RRCAP without RRCTR"
vdp_req st eth0 assoc mgr1 4711 3 a1412857-60f7-4ce1-e95a-2164943f5001 0-02:00:00:00:02:01 &&
	fail "associated while the bridge hears nothing"
pass "no association possible"

vbr fault clear >/dev/null || fail "fault clear"
t0=$(now_ms)
lldpad_evb_set st eth0 vdprka=13	# a local change: lldpad transmits now
lldpad_wait_evb st eth0 bridge
wait_for 5 "vdp-bridge converged" vbr_converged p0
pass "both ends converged $(ms_to_s $(($(now_ms) - t0))) s after the fault was cleared"
vdp_req st eth0 assoc mgr1 4711 3 a1412857-60f7-4ce1-e95a-2164943f5002 0-02:00:00:00:02:02 ||
	fail "assoc after convergence: $VDP_OUT"
pass "association works after convergence"
done_ok
