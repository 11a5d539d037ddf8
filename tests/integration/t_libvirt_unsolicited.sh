#!/bin/bash
# The bridge de-associates a VSI that libvirt associated: vdpd sends the
# unsolicited DISASSOCIATE RTM_SETLINK to the port libvirt named in
# nlmsg_pid, and libvirt's callback (vdp-nlclient -l) re-associates.  The
# message carries the ifindex (lldpad's VDP22 sends 0) and IFLA_PORT_REQUEST
# as a u8 (lldpad writes a u16).  A VSI whose keep-alive fails for good
# (bridge gone) is reported the same way, once the keep-alive re-sends can
# no longer meet the bridge's toutKeepAlive (negotiated RKA 20 here: 10.5 s
# to the keep-alive, up to 15.7 s after the bridge went silent).
. "$(dirname "$0")/../lib/netns.sh"
NLF_RKA=14	# keep-alive every 164 ms
. "$(dirname "$0")/../lib/nlfront.sh"

U1=5d3c9a2e-8f61-4b7a-9c0d-1e2f3a4b5c6d
M1=52:54:00:12:34:56

nlf_setup

bg host client.log "$T_BUILD/vdp-nlclient" -p "$PIDF" -i eth0 -m $M1 -M $MGR -T $TYPEID -v $TYPEVER \
	-u $U1 -l 30 -r 2 -b associate
CLIENT=$BG_PID
wait_for 5 "client associated and listening" grep -q "^listening on port" "$T_DIR/client.log"
grep -q '^RESULT ok$' "$T_DIR/client.log" || fail "associate: $(cat "$T_DIR/client.log")"
assert_eq "$(bridge_mode $U1)" assoc "bridge has the VSI"

# ---- bridge-initiated De-Associate ------------------------------------------------
bridgectl vsi deassoc $U1 >/dev/null || fail "bridge vsi deassoc"
wait_for 5 "unsolicited message reached the client" grep -q "^unsolicited:" "$T_DIR/client.log"
line=$(grep -m1 "^unsolicited:" "$T_DIR/client.log")
pass "client got: $line"
ifx=$(nsx host cat /sys/class/net/eth0/ifindex)
echo "$line" | grep -q "type=19 pid=$(cat "$PIDF") ifindex=$ifx request=3 uuid=$U1 parse=ok -> re-associate" ||
	fail "unsolicited message fields: $line"
pass "RTM_SETLINK from lldpad.pid's pid, ifindex $ifx (not 0), request 3, our UUID"
# the bytes: 164 octets, flags 0, IFLA_PORT_VF 0xffffffff and REQUEST as u8
hex=$(sed -n '/^unsolicited (164 bytes):/,/^[a-z]/p' "$T_DIR/client.log" | grep '^  ' | tr -d '\n ')
[ ${#hex} = 328 ] || fail "unsolicited bytes not 164 (${#hex} hex digits)"
assert_eq "${hex:8:8}" 13000000 "RTM_SETLINK with flags 0"
assert_eq "${hex:296:32}" 08000100ffffffff0500060003000000 "IFLA_PORT_VF -1, IFLA_PORT_REQUEST 3 as u8"

wait_for 5 "client re-associated (setlink only)" grep -q "^reassociate: ok" "$T_DIR/client.log"
on_bridge() { [ "$(bridge_mode $U1)" = assoc ]; }
wait_for 5 "bridge has the VSI again" on_bridge
pass "re-associated by libvirt's callback; bridge mode assoc after ${WAITED_MS} ms"

# ---- keep-alive fails for good: the bridge stops answering --------------------------
bridgectl fault set rx-drop 100 >/dev/null || fail "fault set"
wait_for 25 "second unsolicited message (keep-alive failed)" \
	bash -c "[ \$(grep -c '^unsolicited:' '$T_DIR/client.log') -ge 2 ]"
pass "keep-alive failure reported after ${WAITED_MS} ms: $(grep '^unsolicited:' "$T_DIR/client.log" | tail -1)"
bridgectl fault clear >/dev/null || fail "fault clear"
wait_for 10 "client re-associated again" bash -c "[ \$(grep -c '^reassociate: ok' '$T_DIR/client.log') -ge 2 ]"
# That re-association went out while the bridge was still silent and failed
# (libvirt's callback does not poll the status); libvirt's next request,
# with its status poll, associates the VSI again.
nlc_vm $U1 $M1 associate >"$T_DIR/again.out" 2>&1 || fail "associate after recovery: $(tail -3 "$T_DIR/again.out")"
wait_for 10 "bridge has the VSI after recovery" on_bridge

# every message carried our MAC: libvirt's MAC filter acted on each
grep -q -- "-> ignored" "$T_DIR/client.log" && fail "client ignored a message for its own MAC"
pass "no message ignored"

done_ok
