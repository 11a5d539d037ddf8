#!/bin/bash
# Baseline for the interop suite: Debian's lldpad as EVB station against
# lldpad as EVB bridge, over one veth.  Shows what tests/lib/lldpad.sh relies
# on: EVB negotiation (each side sends max(local, received) for R, RTE, RWD,
# RKA, 802.1Qbg-2012 D.2.13), a VDP association confirmed by the bridge,
# keep-alives every reinitKeepAlive (10 us * 2^RKA), and de-association.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lldpad.sh"
require_root
require_cmd lldpad lldptool vdptool tshark

ST_MAC=02:00:00:00:aa:01 BR_MAC=02:00:00:00:bb:01
VM_MAC=02:00:00:00:01:01
UUID=a1412857-60f7-4ce1-e95a-2164943f53dd
ns_add st
ns_add br
veth_add st eth0 br eth0 $ST_MAC $BR_MAC

# Different local policies on purpose: the negotiated values are the maxima.
capture st eth0 ecp.pcap ether proto 0x8940
t0=$(now_ms)
# The bridge is configured at run time with lldptool, the station by config file.
lldpad_start_tool br eth0 bridge ecprte=12 vdprka=16 vdprwd=18
lldpad_start st eth0 station ecprte=14 vdprka=15 vdprwd=20
lldpad_wait_evb st eth0 bridge
lldpad_wait_evb br eth0 station
info "EVB converged $(ms_to_s $(($(now_ms) - t0))) s after lldpad start"

st=$(lldpad_evb st eth0 | evb_parse)
br=$(lldpad_evb br eth0 | evb_parse)
info "station sends: $st"
info "bridge sends:  $br"
assert_eq "$(evb_field "$st" mode)" station "station EVB mode"
assert_eq "$(evb_field "$br" mode)" bridge "bridge EVB mode"
assert_eq "$(evb_field "$st" bridge)" 0x3 "station echoes bridge status RRCAP|RRCTR"
assert_eq "$(evb_field "$st" station)" 0x5 "station status RRREQ, RRSTAT=1 (RR enabled)"
for side in st br; do
	l=${!side}
	assert_eq "$(evb_field "$l" rte)" 14 "$side RTE = max(14, 12)"
	assert_eq "$(evb_field "$l" rka)" 16 "$side RKA = max(15, 16)"
	assert_eq "$(evb_field "$l" rwd)" 20 "$side RWD = max(20, 18)"
	assert_eq "$(evb_field "$l" retries)" 3 "$side R"
done
assert_eq "$(evb_field "$st" rka_rl)" 1 "station marks RKA as the remote value"
assert_eq "$(evb_field "$br" rwd_rl)" 1 "bridge marks RWD as the remote value"

# ---- associate --------------------------------------------------------------
vdp_req st eth0 assoc mgr1 4711 3 $UUID 0-$VM_MAC ||
	fail "assoc not confirmed: $VDP_OUT"
pass "vdptool assoc confirmed by the bridge"
vdp_listed st eth0 $UUID assoc || fail "station does not list $UUID: $(vdp_list st eth0)"
pass "station lists the VSI as assoc"
wait_for 5 "lldpad bridge processed type 4711" lldpad_br_processed br eth0 4711
pass "bridge ran its PROCESS state for VSI type 4711"

# ---- keep-alives every reinitKeepAlive ----------------------------------------
# RKA 16 -> 10 us * 2^16 = 655 ms; lldpad restarts the timer after each
# exchange completes, so the period is 655 ms + one round trip.
ka_count() { tshark -r "$T_DIR/ecp.pcap" -Y "eth.src == $ST_MAC && ecp.op == 0 && vdp21.tlvtype == 3" 2>/dev/null | wc -l; }
ka_at_least() { [ "$(ka_count)" -ge "$1" ]; }
wait_for 15 "10 Associate ECPDUs (assoc + keep-alives) from the station" ka_at_least 10
vdp_req st eth0 deassoc mgr1 4711 3 $UUID 0-$VM_MAC ||
	fail "deassoc not confirmed: $VDP_OUT"
pass "vdptool deassoc confirmed"
vdp_listed st eth0 $UUID assoc && fail "station still lists $UUID after deassoc"
pass "station no longer lists the VSI"
capture_stop
# Station requests carrying a VDP Associate TLV (type 3), time of each.
tshark -r "$T_DIR/ecp.pcap" -Y "eth.src == $ST_MAC && ecp.op == 0 && vdp21.tlvtype == 3" \
	-T fields -e frame.time_relative 2>/dev/null >"$T_DIR/ka.txt"
n=$(wc -l <"$T_DIR/ka.txt")
[ "$n" -ge 10 ] || fail "only $n station Associate ECPDUs captured"
stats=$(awk 'NR > 1 { d = $1 - p; s += d; if (min == "" || d < min) min = d; if (d > max) max = d }
	{ p = $1 } END { printf "%.3f %.3f %.3f", s / (NR - 1), min, max }' "$T_DIR/ka.txt")
read -r mean min max <<<"$stats"
info "keep-alive interval over $n requests: mean $mean s, min $min s, max $max s"
awk -v m="$mean" -v lo="$min" -v hi="$max" 'BEGIN { exit !(m >= 0.655 && m < 0.8 && lo >= 0.6 && hi < 1.0) }' ||
	fail "keep-alive interval mean $mean min $min max $max, expected ~0.655-0.8 s"
pass "keep-alives every $mean s (RKA 16 = 0.655 s + round trip)"
n=$(tshark -r "$T_DIR/ecp.pcap" -Y "eth.src == $ST_MAC && ecp.op == 0 && vdp21.tlvtype == 4" 2>/dev/null | wc -l)
[ "$n" -ge 1 ] || fail "no De-Associate TLV from the station on the wire"
pass "De-Associate TLV sent ($n)"

done_ok
