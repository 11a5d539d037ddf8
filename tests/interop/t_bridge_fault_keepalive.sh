#!/bin/bash
# vdp-bridge rules that decide keep-alives too (fault set rule T reason N
# [keep] keepalive: a VSI manager revoking a profile from a running VM),
# with Debian's lldpad as the station:
#  1. with Keep (0x62): vdp-bridge keeps the association; lldpad logs the
#     status (0x22) and de-associates the VSI itself (vdpd keeps it, see
#     t_vdpd_revoke);
#  2. without Keep (0x42): vdp-bridge answers the keep-alive with a
#     De-Associate carrying the reason and drops the VSI; lldpad drops it
#     too (vdptool no longer lists it) and sends no more keep-alives.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lldpad.sh"
. "$(dirname "$0")/../lib/vdpbridge.sh"
. "$(dirname "$0")/../lib/conform.sh"
require_root
require_cmd lldpad vdptool jq "$T_BUILD/vdp-bridge"

U1=b2b2b2b2-0000-4000-8000-000000000001
U2=b2b2b2b2-0000-4000-8000-000000000002
vbr_lldpad_pair
vdp_req st eth0 assoc mgr1 4711 3 $U1 0-02:00:00:00:0b:01 || fail "assoc U1: $VDP_OUT"
jset m .mode vbr_vsi $U1
assert_eq "$m" assoc "bridge has U1"

# ---- 1. keep-alive refused with Keep --------------------------------------------
vbr fault set rule 4711 reason 2 keep keepalive >/dev/null || fail "fault set (keep)"
kept() { [ "$(vbr_counter .vdp.keep)" -ge 1 ]; }
wait_for 3 "the bridge answered a keep-alive with Keep" kept
# lldpad logs the status without the response bit: 0x22 = Keep, reason 2.
status_logged() { grep -q "vdp22_bridge_info:eth0 .*status:$1 " "$(lldpad_log st)"; }
wait_for 2 "lldpad logs status 0x22" status_logged 0x22
# lldpad (unlike vdpd) de-associates on a Keep refusal of a keep-alive: the
# bridge, which kept the VSI, then sees the station's De-Associate.
gone_at_bridge() { [ "$(vbr -j vsi show | jq '[.[] | select(.vsiid == "'$1'")] | length')" = 0 ]; }
wait_for 3 "lldpad de-associated U1 after the Keep refusal" gone_at_bridge $U1
pass "lldpad answered the Keep refusal of its keep-alive with a De-Associate"
vbr fault clear >/dev/null || fail "fault clear"

# ---- 2. keep-alive refused without Keep: revoked --------------------------------
vdp_req st eth0 assoc mgr1 4711 3 $U2 0-02:00:00:00:0b:02 || fail "assoc U2: $VDP_OUT"
vbr fault set rule 4711 reason 2 keepalive >/dev/null || fail "fault set (revoke)"
wait_for 3 "the bridge revoked U2" gone_at_bridge $U2
wait_for 2 "lldpad logs status 0x2 for a De-Associate answer" grep -q "vdp22_bridge_info:eth0 .*resp_vsi_mode:4 .*status:0x2 " "$(lldpad_log st)"
gone_at_lldpad() { ! vdp_listed st eth0 $U2 assoc; }
wait_for 3 "lldpad dropped U2" gone_at_lldpad
pass "U2 revoked at both ends"
vbr fault clear >/dev/null || fail "fault clear"
done_ok
