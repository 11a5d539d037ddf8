#!/bin/bash
# libvirt -> vdpd over the lldpad netlink protocol: vdp-nlclient sends what
# libvirt 9.0 sends.  Associate (result on the first status poll),
# de-associate, pre-associate (incoming migration) then associate, the pid
# file's life, and the bytes on the wire equal the recorded libvirt layout.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/nlfront.sh"

U1=09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f
U2=1f6a0d3e-5b7c-4d2e-9a8b-0c1d2e3f4a5b
M1=52:54:00:aa:bb:cc
M2=52:54:00:aa:bb:cd

nlf_setup
assert_eq "$(cat "$PIDF")" "$(cat "$T_DIR/vdpd.pid")" "lldpad.pid holds vdpd's pid"
grep -q "netlink front on port $(cat "$PIDF")" "$T_DIR/vdpd.log" || fail "front not bound to its pid"
pass "front bound to port = pid"

# ---- associate --------------------------------------------------------------
nlc_vm $U1 $M1 -D -b associate >"$T_DIR/a1.out" 2>&1 || fail "associate: $(cat "$T_DIR/a1.out")"
grep -q '^RESULT ok$' "$T_DIR/a1.out" || fail "associate result: $(tail -3 "$T_DIR/a1.out")"
# libvirt reads the final result on its first poll: the answer waited for it
grep -q '^status: ok after 1 polls' "$T_DIR/a1.out" || fail "not final on the first poll: $(grep -E '^(poll|status)' "$T_DIR/a1.out")"
pass "associate: $(grep '^setlink answered' "$T_DIR/a1.out"), $(grep '^status:' "$T_DIR/a1.out")"
assert_eq "$(bridge_mode $U1)" assoc "bridge has the VSI associated"
answer v vdpctl -j vsi show id $U1
assert_eq "$(json_get "$v" '.[0].typeidver')" $TYPEVER "VSI type version from IFLA_PORT_VSI_TYPE"
assert_eq "$(json_get "$v" '.[0].typeid')" $TYPEID "VSI type id from IFLA_PORT_VSI_TYPE"
assert_eq "$(json_get "$v" '.[0].filters[0].mac')" $M1 "filter MAC from IFLA_VF_MAC"

# the SETLINK on the wire is libvirt's: 156 octets, flags 0x5, layout of A.1.1
sl=$(sed -n '/^setlink (156 bytes):/,/^[a-z]/p' "$T_DIR/a1.out" | grep '^  ' | tr -d '\n ')
[ ${#sl} = 312 ] || fail "setlink bytes not captured (${#sl} hex digits)"
assert_eq "${sl:8:8}" 13000500 "type RTM_SETLINK, flags 0x0005"
assert_eq "${sl:232:24}" 0c0003000b57341202000000 "IFLA_PORT_VSI_TYPE for mgr 11, type 0x123457, version 2"
assert_eq "${sl:296:16}" 0500060002000000 "IFLA_PORT_REQUEST 2 (u8)"

# ---- a second VM: status lists both; the first stays success ---------------------
nlc_vm $U2 $M2 associate >"$T_DIR/a2.out" 2>&1 || fail "second associate: $(cat "$T_DIR/a2.out")"
nlc -i eth0 -u $U1 dump >"$T_DIR/d1.out" || fail "dump"
grep -q 'entries=2 ok=2 in_progress=0 failed=0 parts=1' "$T_DIR/d1.out" || fail "dump: $(cat "$T_DIR/d1.out")"
pass "status lists both VSIs: $(head -1 "$T_DIR/d1.out")"

# ---- de-associate ------------------------------------------------------------------
nlc_vm $U1 $M1 disassociate >"$T_DIR/d.out" 2>&1 || fail "disassociate: $(cat "$T_DIR/d.out")"
grep -q '^RESULT ok$' "$T_DIR/d.out" || fail "disassociate result: $(tail -2 "$T_DIR/d.out")"
gone() { bridge_gone $U1; }
wait_for 5 "bridge removed the VSI" gone
pass "de-associated; bridge forgot it after ${WAITED_MS} ms"
# its result was read: after the linger the entry goes, the other stays
one_left() { nlc -i eth0 -u $U2 dump | grep -q 'entries=1 ok=1'; }
wait_for 8 "finished VSI leaves the status list" one_left

# ---- pre-associate (migration start), then associate (migration finish) ----------
nlc_vm $U1 $M1 preassociate >"$T_DIR/p.out" 2>&1 || fail "preassociate: $(cat "$T_DIR/p.out")"
assert_eq "$(bridge_mode $U1)" preassoc "bridge has the VSI pre-associated"
nlc_vm $U1 $M1 associate >"$T_DIR/pa.out" 2>&1 || fail "associate after pre: $(cat "$T_DIR/pa.out")"
grep -q '^status: ok after 1 polls' "$T_DIR/pa.out" || fail "associate after preassociate: $(cat "$T_DIR/pa.out")"
assert_eq "$(bridge_mode $U1)" assoc "bridge has the VSI associated after pre-association"

# ---- unknown device -----------------------------------------------------------------
nsx host ip link add dummyx type veth peer name dummyy 2>/dev/null
rc=0
nlc -i dummyx -m $M1 -M $MGR -T $TYPEID -v $TYPEVER -u $U1 associate >"$T_DIR/nodev.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "exit code for a device vdpd does not serve"
grep -q "error during virtual port configuration of ifindex .*: No such device" "$T_DIR/nodev.out" ||
	fail "no-device text: $(cat "$T_DIR/nodev.out")"
pass "unknown device: $(grep -m1 'RESULT error' "$T_DIR/nodev.out")"

# ---- pid file on exit ----------------------------------------------------------------
kill -TERM "$VDPD"
wait_for 5 "vdpd exits" bash -c "! kill -0 $VDPD 2>/dev/null"
[ ! -e "$PIDF" ] || fail "lldpad.pid left behind"
pass "lldpad.pid removed on exit"
rc=0
nlc_vm $U1 $M1 associate >"$T_DIR/nopid.out" 2>&1 || rc=$?
grep -q "Error opening file $PIDF: No such file or directory" "$T_DIR/nopid.out" ||
	fail "no-daemon text: $(cat "$T_DIR/nopid.out")"
pass "without daemon the client fails like libvirt"

# ---- daemonized: the pid changes at fork, the front follows ------------------------
nsx host "$T_BUILD/vdpd" -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "$T_DIR/vdpd.pid" -S "$T_DIR/state.json" "${VDPD_INTENTS[@]}" || fail "vdpd daemonize"
wait_for 5 "daemon wrote $PIDF" test -s "$PIDF"
dpid=$(cat "$PIDF")
assert_eq "$(cat /proc/$dpid/comm 2>/dev/null)" vdpd "lldpad.pid names the running daemon"
wait_for 5 "daemon wrote its own pid file" test -s "$T_DIR/vdpd.pid"
assert_eq "$(cat "$T_DIR/vdpd.pid")" "$dpid" "same pid in both pid files"
nlf_wait_converged
nlc_vm $U2 $M2 associate >"$T_DIR/dz.out" 2>&1 || fail "associate with the daemonized vdpd: $(tail -2 "$T_DIR/dz.out")"
pass "daemonized vdpd serves libvirt on port $dpid"
kill -TERM "$dpid"
wait_for 5 "daemon removed lldpad.pid" bash -c "[ ! -e '$PIDF' ]"

done_ok
