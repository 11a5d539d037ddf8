#!/bin/bash
# Each lldpad netlink-side bug of the reference (openlldp.md §2, §9), shown
# absent in vdpd, using the libvirt-identical client:
#   A  requests before EVB converged are refused (-EPROTONOSUPPORT)  -> queued
#   B  a VSI that timed out is stuck: every later request -ENODEV    -> usable
#   C  timeout (15.76 s) beyond libvirt's 10 s window               -> error in time
#   D  a re-used UUID reports the unread result of an older request -> own result
#   E  status reads are destructive (second reader loses the result) -> kept
#   F  a request while one is in flight gets -EBUSY                  -> accepted
#   G  UUID nil test looks at 8 octets                              -> all 16
#   H  a live lldpad's pid file                                      -> vdpd refuses to start
#   I  VID 0 + bridge-chosen VLAN: DISASSOCIATE -EINVAL (found in
#      tests/interop/t_lldpad_libvirt_client.sh)                      -> de-associated
# (ifindex 0 / u16 request in the unsolicited message: t_libvirt_unsolicited;
#  the 4 KiB status cap: t_libvirt_scale.)
. "$(dirname "$0")/../lib/netns.sh"
NLF_RTE=14	# ECP ackTimer 164 ms: a bridge delay of 300 ms keeps a request in flight
. "$(dirname "$0")/../lib/nlfront.sh"

U1=11111111-2222-4333-8444-555555555555
U2=22222222-3333-4444-8555-666666666666
U3=33333333-4444-4555-8666-777777777777
U4=00000000-0000-0000-8000-000000000001
M1=52:54:00:00:01:01
M2=52:54:00:00:01:02
M3=52:54:00:00:01:03
M4=52:54:00:00:01:04

nlf_netns
nlf_config
# ---- H: a live lldpad holds the pid file -------------------------------------------
cp "$(command -v sleep)" "$T_DIR/lldpad"
bg host fake-lldpad.log "$T_DIR/lldpad" 600
FAKE=$BG_PID
wait_for 5 "fake lldpad running" bash -c "pgrep -x lldpad | grep -q ."
fpid=$(pgrep -x -n lldpad)
echo "$fpid" >"$PIDF"
rc=0
nsx host "$T_BUILD/vdpd" -F -f "$T_DIR/vdpd.conf" -s "$T_DIR/x.sock" -p "$T_DIR/x.pid" -S "$T_DIR/x.json" "${VDPD_INTENTS[@]}" >"$T_DIR/h.out" 2>&1 || rc=$?
[ $rc != 0 ] || fail "vdpd started while lldpad holds $PIDF"
grep -q "lldpad (pid $fpid) holds $PIDF" "$T_DIR/h.out" || fail "H message: $(cat "$T_DIR/h.out")"
assert_eq "$(cat "$PIDF")" "$fpid" "H: lldpad's pid file untouched"
pass "H: $(grep -o 'lldpad (pid.*first' "$T_DIR/h.out")"
stop $FAKE
# a stale pid file (dead process) is taken over
echo 999999 >"$PIDF"

# ---- A: request before EVB converged ------------------------------------------------
nlf_start_vdpd
assert_eq "$(cat "$PIDF")" "$(cat "$T_DIR/vdpd.pid")" "A: stale pid file taken over"
bg host a.out "$T_BUILD/vdp-nlclient" -p "$PIDF" -i eth0 -m $M1 -M $MGR -T $TYPEID -v $TYPEVER -u $U1 associate
CL=$BG_PID
wait_for 5 "A: request reached vdpd" grep -q "nl: assoc $U1 on eth0 from port .* (EVB not converged: queued)" "$T_DIR/vdpd.log"
nlf_start_bridge
wait_for 15 "A: client finished" bash -c "! kill -0 $CL 2>/dev/null"
grep -q '^RESULT ok$' "$T_DIR/a.out" || fail "A: $(cat "$T_DIR/a.out")"
pass "A: associate sent before EVB converged succeeded: $(grep '^status:' "$T_DIR/a.out")"

# ---- B + C: the bridge goes silent; timeout; then usable again ------------------------
bridgectl fault set rx-drop 100 >/dev/null || fail "fault set"
t0=$(now_ms)
rc=0
nlc_vm $U2 $M2 associate >"$T_DIR/b1.out" 2>&1 || rc=$?
el=$(($(now_ms) - t0))
# In time means inside libvirt's own window, counted as libvirt counts it
# (80 status polls 125 ms apart, done by the client): past it the client
# gives up itself and exits 2.  The response wait that produces the error is
# pinned with a fake clock in test_vdp_station_timers.
assert_eq "$rc" 1 "C: failure (not the client's own timeout, exit 2) reported to libvirt"
grep -q "^RESULT error: error 261 during port-profile setlink on interface eth0" "$T_DIR/b1.out" ||
	fail "C: $(tail -2 "$T_DIR/b1.out")"
pass "C: no answer from the bridge reported as an error within libvirt's polls ($(ms_to_s $el) s)"
nlc_vm $U2 $M2 disassociate >"$T_DIR/b2.out" 2>&1 || fail "B: de-associate of a timed-out VSI: $(tail -2 "$T_DIR/b2.out")"
pass "B: de-associate of the timed-out VSI: $(grep '^RESULT' "$T_DIR/b2.out") (lldpad: -ENODEV)"
bridgectl fault clear >/dev/null
nlc_vm $U2 $M2 associate >"$T_DIR/b3.out" 2>&1 || fail "B: re-associate: $(tail -2 "$T_DIR/b3.out")"
assert_eq "$(bridge_mode $U2)" assoc "B: timed-out VSI associated again"
nlc_vm $U2 $M2 disassociate >"$T_DIR/b4.out" 2>&1 || fail "B: de-associate: $(tail -2 "$T_DIR/b4.out")"
pass "B: associate and de-associate work after the timeout"

# ---- D: a re-used UUID gets the result of its own request --------------------------------
# an unread failure (setlink only: nobody polls) ...
nlc_vm $U3 $M3 -T 999 -s associate >/dev/null 2>&1 || fail "D: setlink"
failed_seen() { grep -q "VSI $U3: failed" "$T_DIR/vdpd.log"; }
wait_for 5 "D: refusal arrived" failed_seen
# ... must not answer the next request for the same UUID
nlc_vm $U3 $M3 associate >"$T_DIR/d1.out" 2>&1 || fail "D: new request got the old result: $(tail -2 "$T_DIR/d1.out")"
pass "D: after an unread failure the new associate reports its own success"
# and an unread success must not answer a failing request
nlc_vm $U3 $M3 -T 999 associate >"$T_DIR/d2.out" 2>&1 && fail "D: failing request reported the old success"
grep -q "error 4 during port-profile setlink" "$T_DIR/d2.out" || fail "D: $(tail -2 "$T_DIR/d2.out")"
assert_eq "$(bridge_mode $U3)" assoc "D: refused change kept the association (keep bit)"
pass "D: a refused re-associate reports its own error: $(grep '^RESULT' "$T_DIR/d2.out")"

# ---- E: a finished result survives being read --------------------------------------------
nlc_vm $U3 $M3 -s disassociate >/dev/null 2>&1 || fail "E: setlink"
done_seen() { nlc -i eth0 -u $U3 dump | grep -q 'uuid_ok=1'; }
wait_for 5 "E: de-association finished" done_seen
nlc -i eth0 -u $U3 dump | grep -q 'uuid_ok=1' || fail "E: second reader lost the result"
pass "E: two readers both see the finished de-association"

# ---- F: a request while the previous one is in flight --------------------------------------
bridgectl fault set rx-delay 300 >/dev/null || fail "fault set delay"
bg host f1.out "$T_BUILD/vdp-nlclient" -p "$PIDF" -i eth0 -m $M1 -M $MGR -T $TYPEID -v $TYPEVER -u $U1 -s disassociate
wait_for 5 "F: de-associate reached vdpd" grep -q "nl: deassoc $U1 on eth0" "$T_DIR/vdpd.log"
nlc_vm $U1 $M1 associate >"$T_DIR/f2.out" 2>&1 || fail "F: second request refused: $(tail -2 "$T_DIR/f2.out")"
# In flight means: in vdpd's log, after the de-associate arrived, the
# associate arrived before the de-associate's answer (VSI ... deassociated).
wait_for 5 "F: the de-associate answered" grep -q "VSI $U1: deassociated" "$T_DIR/vdpd.log"
r=$(grep -n "nl: deassoc $U1 on eth0" "$T_DIR/vdpd.log" | tail -1 | cut -d: -f1)
a=$(tail -n +"$r" "$T_DIR/vdpd.log" | grep -n -m1 "nl: assoc $U1 on eth0" | cut -d: -f1)
d=$(tail -n +"$r" "$T_DIR/vdpd.log" | grep -n -m1 "VSI $U1: deassociated" | cut -d: -f1)
[ -n "$a" ] || fail "F: the associate is not in vdpd's log after the de-associate"
[ "$a" -lt "$d" ] || fail "F: the de-associate was answered (log line $((r + d - 1))) before the associate arrived (line $((r + a - 1))): not in flight"
pass "F: associate while the de-associate was in flight (log lines $((r + a - 1)) < $((r + d - 1))): $(grep '^RESULT' "$T_DIR/f2.out") (lldpad: -EBUSY)"
bridgectl fault clear >/dev/null
on() { [ "$(bridge_mode $U1)" = assoc ]; }
wait_for 5 "F: final state associated" on

# ---- G: a UUID whose first 8 octets are zero is a valid UUID ---------------------------------
nlc_vm $U4 $M4 associate >"$T_DIR/g.out" 2>&1 || fail "G: $(tail -2 "$T_DIR/g.out")"
assert_eq "$(bridge_mode $U4)" assoc "G: UUID $U4 associated"

# ---- I: VID 0, the bridge chose the VLAN; libvirt de-associates with VID 0 --------------
grep -q "VSI $U4: vid-assigned" "$T_DIR/vdpd.log" || fail "I: the bridge did not assign a VLAN"
vid=$(bridgectl -j vsi show | jq -r ".[] | select(.vsiid == \"$U4\") | .filters[0].vid")
assert_eq "$vid" $TYPEVLAN "I: bridge-chosen VLAN"
nlc_vm $U4 $M4 disassociate >"$T_DIR/i.out" 2>&1 || fail "I: $(tail -2 "$T_DIR/i.out")"
gone4() { bridge_gone $U4; }
wait_for 5 "I: bridge removed the VSI" gone4
pass "I: DISASSOCIATE with VID 0 after the bridge chose VLAN $vid: $(grep '^RESULT' "$T_DIR/i.out") (lldpad: -EINVAL)"

done_ok
