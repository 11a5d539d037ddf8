#!/bin/bash
# vdp-bridge answer rules (fault set rule TYPEID reason N [keep] [hard]):
# lldpad/vdptool reports each reason; with the keep or hard-error bit vdptool
# prints no reason text (lldpad quirk) but lldpad's log shows the status
# octet; rules decide new requests only, keep-alives of an associated VSI of
# the same type keep being confirmed.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lldpad.sh"
. "$(dirname "$0")/../lib/vdpbridge.sh"
require_root
require_cmd lldpad vdptool jq "$T_BUILD/vdp-bridge"

U=a1412857-60f7-4ce1-e95a-2164943f5
vbr_lldpad_pair
vdp_req st eth0 assoc mgr1 4711 3 ${U}000 0-02:00:00:00:02:00 || fail "assoc before rules: $VDP_OUT"
pass "type 4711 associated before any rule"

vbr fault set rule 101 reason 1 rule 102 reason 2 rule 103 reason 3 rule 104 reason 4 \
	rule 105 reason 5 rule 106 reason 4 hard rule 107 reason 2 keep rule 4711 reason 2 >/dev/null ||
	fail "fault set rules"
texts=(
	[101]="VDP TLV Format is Invalid"
	[102]="Insufficient resources at bridge"
	[103]="Unable to contact VSI Mgr"
	[104]="Other Failures"
	[105]="Invalid VID, GroupID or MAC address field"
)
for t in 101 102 103 104 105; do
	vdp_req st eth0 assoc mgr1 $t 1 ${U}$t 0-02:00:00:00:02:$((t - 100)) &&
		fail "type $t associated despite the rule"
	printf '%s\n' "$VDP_OUT" | grep -qx "[[:space:]]*Error returned by Bridge: ${texts[$t]}" ||
		fail "type $t: vdptool says: $VDP_OUT"
	pass "rule reason $((t - 100)): vdptool reports \"${texts[$t]}\""
done
status_logged() { grep -q "vdp22_bridge_info:eth0 .*resp_vsi_mode:4 .*status:$1 " "$(lldpad_log st)"; }
for t in 106:0x14 107:0x22; do
	vdp_req st eth0 assoc mgr1 ${t%:*} 1 ${U}${t%:*} 0-02:00:00:00:02:0${t:2:1} &&
		fail "type ${t%:*} associated despite the rule"
	printf '%s\n' "$VDP_OUT" | grep -q 'Error returned' &&
		fail "vdptool printed a reason for status ${t#*:}: $VDP_OUT"
	printf '%s\n' "$VDP_OUT" | grep -qx '[[:space:]]*mode = deassoc' || fail "type ${t%:*}: $VDP_OUT"
	wait_for 2 "lldpad logs status ${t#*:}" status_logged "${t#*:}"
	pass "type ${t%:*}: refused, status ${t#*:} in lldpad's log, no text from vdptool"
done
assert_eq "$(vbr_counter .fault.rule_hits)" 7 "rule hits counted by vdp-bridge"
assert_eq "$(vbr_counter .vdp.hard)" 1 "hard-error answers counted"
assert_eq "$(vbr_counter .vdp.keep)" 1 "keep answers counted"

# The associated VSI of type 4711 (now under a refusing rule) stays: its
# keep-alives are not re-admitted.
ka=$(vbr_vsi ${U}000 .keepalives) || fail "no answer from the bridge for ka"
more_ka() { [ "$(vbr_vsi ${U}000 .keepalives)" -ge $((ka + 3)) ]; }
wait_for 5 "3 more keep-alives for the associated VSI" more_ka
vdp_listed st eth0 ${U}000 assoc || fail "lldpad lost the associated VSI"
pass "associated VSI kept alive under a rule for its type"
vdp_req st eth0 assoc mgr1 4711 3 ${U}001 0-02:00:00:00:03:01 && fail "new 4711 VSI associated despite the rule"
printf '%s\n' "$VDP_OUT" | grep -q 'Insufficient resources at bridge' || fail "new 4711: $VDP_OUT"
pass "a new VSI of type 4711 is refused by the rule"

vbr fault clear >/dev/null || fail "fault clear"
vdp_req st eth0 assoc mgr1 101 1 ${U}101 0-02:00:00:00:02:01 && fail "type 101 is unknown to the bridge, yet associated"
vdp_req st eth0 assoc mgr1 4711 3 ${U}001 0-02:00:00:00:03:01 || fail "after fault clear: $VDP_OUT"
pass "after fault clear type 4711 associates again"
done_ok
