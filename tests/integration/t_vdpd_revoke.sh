#!/bin/bash
# A VSI manager revokes a profile from a running VM by refusing its
# keep-alive (802.1Qbg-2012 41.2.4, 41.5.6): vdp-bridge fault rules marked
# keepalive decide keep-alives too.  vdpd with the netlink front (libvirt's
# side played by vdp-nlclient, listening as libvirt's callback):
#  1. refused with Keep (reason 3): the association stays at both ends;
#     vdpd reports the status (vsi show: 0x63, monitor: kept), netlink
#     status still ok, keep-alives go on once the manager answers again;
#  2. refused without Keep (reason 2): the bridge answers with a
#     De-Associate carrying the error and drops the VSI; vdpd ends it
#     (vsi show: rejected by bridge, status 0x42; monitor: failed), tells
#     libvirt with an unsolicited DISASSOCIATE, libvirt's re-association is
#     refused too (the profile is gone) and the netlink status says so.  (That no keep-alive follows is
#     checked by tests/unit/test_conform.c on a fake clock.)
. "$(dirname "$0")/../lib/netns.sh"
NLF_RKA=14	# keep-alive every 164 ms
. "$(dirname "$0")/../lib/nlfront.sh"
. "$T_ROOT/tests/lib/conform.sh"

U1=6a1b2c3d-0000-4000-8000-000000000001
M1=52:54:00:00:06:01

nlf_netns
nlf_config
echo 'evb = { rka = 14; rte = 8; };' >>"$T_DIR/bridge.conf"
nlf_start_vdpd
nlf_start_bridge
nlf_wait_converged
diag_add "'$T_BUILD/vdpctl' -s '$SOCK' -j vsi show"
monitor_start

bg host client.log "$T_BUILD/vdp-nlclient" -p "$PIDF" -i eth0 -m $M1 -M $MGR -T $TYPEID -v $TYPEVER \
	-u $U1 -l 15 -r 1 associate
wait_for 5 "client associated and listening" grep -q "^listening on port" "$T_DIR/client.log"
grep -q '^RESULT ok$' "$T_DIR/client.log" || fail "associate: $(cat "$T_DIR/client.log")"
assert_eq "$(bridge_mode $U1)" assoc "bridge has the VSI"

# ---- 1. keep-alive refused with Keep ------------------------------------------
bridgectl fault set rule $TYPEID reason 3 keep keepalive >/dev/null || fail "fault set (keep)"
jset r '.config.rules[0] | "\(.keep) \(.keepalive)"' bridgectl -j fault show
assert_eq "$r" "true true" "fault show: the rule keeps and acts on keep-alives"
kept() { [ "$(vdpctl -j vsi show id $U1 | jq -r '.[0].status')" = 99 ]; }
wait_for 3 "vdpd got the keep refusal of a keep-alive" kept
# Keep-alives go on every 164 ms: while one is in flight sm_state reads
# TXMIT_KA (seen in 1 of 300 reads), so the state between them is waited for.
kept_shown() { local f; f=$(json_q '.[0] | "\(.state) \(.sm_state) \(.status_text)"' vdpctl -j vsi show id $U1) ||
	return; echo "$f"; [ "$f" = "assoc WAIT_SYSCMD unable to contact VSI manager" ]; }
wait_for 3 "vdpd keeps the association (assoc WAIT_SYSCMD, status 0x63)" kept_shown
pass "vdpd keeps the association (status 0x63): $WAIT_OUT"
monitor_wait $U1 kept
assert_eq "$(bridge_mode $U1)" assoc "bridge keeps the association"
jset k '.vdp.keep' bridgectl -j counters show
[ "$k" -ge 1 ] || fail "bridge sent no Keep response"
nlc -i eth0 -u $U1 status >"$T_DIR/st1.out" 2>&1 || fail "netlink status: $(cat "$T_DIR/st1.out")"
grep -q 'uuid_ok=1' "$T_DIR/st1.out" || fail "netlink status after a kept refusal: $(cat "$T_DIR/st1.out")"
pass "netlink status: $(grep '^dump:' "$T_DIR/st1.out")"
bridgectl fault clear >/dev/null || fail "fault clear"
ka_ok() { [ "$(vdpctl -j vsi show id $U1 | jq -r '.[0].status')" = 64 ]; }
wait_for 3 "keep-alive confirmed again after fault clear" ka_ok

# ---- 2. keep-alive refused without Keep: the profile is revoked -----------------
bridgectl fault set rule $TYPEID reason 2 keepalive >/dev/null || fail "fault set (revoke)"
# libvirt's callback re-associates at once and the bridge refuses that too:
# while the re-association is in flight the record is not END, so its end
# is waited for, not read once.
ended() { local f; f=$(json_q '.[0] | "\(.sm_state) \(.state) \(.end_reason) \(.status) \(.status_text)"' \
	vdpctl -j vsi show id $U1) || return; echo "$f"; [ "$f" = "END none rejected by bridge 66 insufficient resources" ]; }
wait_for 3 "vdpd ended the VSI: revoked (status 0x42)" ended
pass "vdpd: revoked (status 0x42): $WAIT_OUT"
monitor_wait $U1 failed
assert_eq "$(json_get "$MON_EV" '.data.vsi.status')" 66 "monitor: the failed event carries status 0x42"
bridge_gone() { local n; jset n "[.[] | select(.vsiid == \"$U1\")] | length" bridgectl -j vsi show; [ "$n" = 0 ]; }
wait_for 3 "bridge dropped the VSI" bridge_gone
wait_for 5 "libvirt's callback was told" grep -q "^unsolicited:.*uuid=$U1" "$T_DIR/client.log"
pass "$(grep -m1 "^unsolicited:" "$T_DIR/client.log")"
# libvirt re-associates without polling (setlink only); the bridge refuses
# that new request too, so vdpd's record fails again.
wait_for 5 "libvirt's re-association sent" grep -q "^reassociate:" "$T_DIR/client.log"
refused_again() { [ "$(grep -c "VSI $U1: failed (rejected by bridge, status 0x42" "$T_DIR/vdpd.log")" -ge 2 ]; }
wait_for 3 "the re-association refused by the bridge as well" refused_again
nlc -i eth0 -u $U1 status >"$T_DIR/st2.out" 2>&1
grep -q 'uuid_ok=1' "$T_DIR/st2.out" && fail "netlink status still ok after the revocation: $(cat "$T_DIR/st2.out")"
pass "netlink status: $(grep '^dump:' "$T_DIR/st2.out")"
done_ok
