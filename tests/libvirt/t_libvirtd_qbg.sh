#!/bin/bash
# A real libvirtd 9.0 (unmodified, Debian 12) with a TCG guest against vdpd in
# lldpad's place, vdp-bridge as the switch (tests/libvirt/libvirtd.sh):
#   1. virsh start of a domain with <virtualport type='802.1Qbg'> on a VEPA
#      macvtap: the bridge and vdpd have the VSI (type, version, MAC);
#   2. the bridge de-associates it: vdpd sends libvirt the unsolicited
#      DISASSOCIATE and libvirt re-associates (setlink only);
#   3. virsh destroy de-associates it;
#   4. a type the bridge refuses: virsh start fails inside libvirt's 10 s.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/vdpbridge.sh"
. "$(dirname "$0")/libvirtd.sh"

MGR=11
TYPEID=1193047
TYPEVER=2
TYPEVLAN=100
BADTYPE=4242
DOM=qbgtest
DUUID=11111111-2222-3333-4444-555555555555
INST=09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f
MAC=52:54:00:aa:bb:cc
BADDOM=qbgbad
BADUUID=11111111-2222-3333-4444-666666666666
BADINST=4c1e7b0a-2f3d-4e5f-8a9b-0c1d2e3f4a5b
BADMAC=52:54:00:aa:bb:cd

T0=$(now_ms)
lv_setup "" "{ name = \"libvirt\"; type_id = $TYPEID; version = $TYPEVER; vlan = $TYPEVLAN; }"
info "set-up took $(ms_to_s $(($(now_ms) - T0))) s"

# ---- 1. virsh start associates ---------------------------------------------------
nlstat() { vdpctl -j stats | jq -r ".netlink.counters.$1"; }
lv_define $DOM $DUUID "$(lv_qbg_nic $MAC $MGR $TYPEID $TYPEVER $INST)"
lv_start $DOM
[ $LV_RC = 0 ] || fail "virsh start $DOM: $LV_OUT"
START_MS=$LV_MS
pass "virsh start $DOM took $(ms_to_s $START_MS) s"
assert_eq "$(lv_state $DOM)" running "domain state"
# what libvirt sent (its own log): ASSOCIATE with our parameters on bqbg0
grep -q "ASSOCIATE: ifname: $LV_DEV .* mac: $MAC .* instanceId: $INST" "$LV_LOG" ||
	fail "libvirt did not log its ASSOCIATE: $(grep -m3 'OpSetLink' "$LV_LOG")"
pass "libvirt logged: $(grep -m1 -o "ASSOCIATE: ifname: $LV_DEV.*instanceId: $INST" "$LV_LOG")"
# its macvtap on our bridge
mvt=$(virsh domiflist $DOM | awk -v m=$MAC '$5 == m {print $1}')
[ -n "$mvt" ] || fail "no interface in domiflist: $(virsh domiflist $DOM)"
nsx st ip -d link show "$mvt" | grep -q "macvtap mode vepa" || fail "$mvt is not a VEPA macvtap"
assert_eq "$(nsx st ip -o link show "$mvt" | sed -n 's/.*@\([^:]*\):.*/\1/p')" $LV_DEV "$mvt's lower device"

# what reached vdpd: one SETLINK (ASSOCIATE) and libvirt's status polls;
# vdpd holds its answer until the bridge answered, so one poll suffices
assert_eq "$(nlstat setlink)/$(nlstat 'requests[2]')" 1/1 "vdpd: SETLINKs / ASSOCIATE requests from libvirt"
# nlmsg_pid of libvirt's request = the port of its netlink event socket
# (where the unsolicited message must go), as vdpd logs it
EVPORT=$(sed -n "s/.*nl: assoc $INST on $LV_DEV from port \([0-9]*\).*/\1/p" "$T_DIR/vdpd.log" | head -1)
case " $LV_PORTS " in *" $EVPORT "*) ;; *) fail "request from port '$EVPORT', libvirtd's NETLINK_ROUTE ports: $LV_PORTS" ;; esac
pass "libvirt's requests name its event socket, port $EVPORT"
POLLS=$(nlstat getlink)
[ "$POLLS" -ge 1 ] || fail "libvirt never polled the status"
pass "libvirt polled the status $POLLS time(s); results ok: $(nlstat results_ok)"

# the bridge: associated, with the type, version and MAC libvirt asked for
assert_eq "$(vbr_vsi $INST .mode)" assoc "vdp-bridge: VSI $INST mode"
assert_eq "$(vbr_vsi $INST .type_id)" $TYPEID "vdp-bridge: type id"
assert_eq "$(vbr_vsi $INST .type_version)" $TYPEVER "vdp-bridge: type version"
assert_eq "$(vbr_vsi $INST '.filters[0].mac')" $MAC "vdp-bridge: filter MAC"
assert_eq "$(vbr_vsi $INST '.filters[0].vid')" $TYPEVLAN "vdp-bridge: VID chosen for libvirt's VID 0"
assert_eq "$(vbr_vsi $INST .mgrid)" $MGR "vdp-bridge: manager id"
# vdpd: the same VSI, confirmed
v=$(vdpctl -j vsi show id $INST)
assert_eq "$(json_get "$v" '.[0].state')" assoc "vdpctl: state"
assert_eq "$(json_get "$v" '.[0].typeid')" $TYPEID "vdpctl: type id"
assert_eq "$(json_get "$v" '.[0].typeidver')" $TYPEVER "vdpctl: type version"
assert_eq "$(json_get "$v" '.[0].filters[0].mac')" $MAC "vdpctl: filter MAC"
assert_eq "$(json_get "$v" '.[0].uplink')" $LV_DEV "vdpctl: uplink"

# ---- 2. the bridge de-associates: libvirt is told and re-associates -----------------
ASSOC_RE=" : ASSOCIATE: ifname: $LV_DEV .*instanceId: $INST"
a0=$(lv_log_count "$ASSOC_RE")
u0=$(nlstat unsolicited_sent)
s0=$(nlstat setlink) g0=$(nlstat getlink)
k0=$(vbr_vsi $INST .keepalives) || fail "no answer from the bridge for k0"
vbr vsi deassoc $INST >/dev/null || fail "vdp-bridge vsi deassoc"
T1=$(now_ms)
sent() { [ "$(nlstat unsolicited_sent)" -gt "$u0" ]; }
wait_for 5 "vdpd sent libvirt the unsolicited DISASSOCIATE" sent
grep -q "nl: told port $EVPORT that the bridge ended a VSI on $LV_DEV" "$T_DIR/vdpd.log" ||
	fail "vdpd did not address libvirt's event port $EVPORT: $(grep 'nl: told' "$T_DIR/vdpd.log")"
pass "vdpd: unsolicited DISASSOCIATE sent $(ms_to_s $(($(now_ms) - T1))) s after the bridge's De-Associate"
# libvirt's callback (virNetDevMacVLanVPortProfileCallback) logs the
# message and sends one ASSOCIATE (setlink only, no status polls)
resent() { [ "$(lv_log_count "$ASSOC_RE")" -gt "$a0" ]; }
wait_for 10 "libvirt sent a new ASSOCIATE" resent
pass "libvirt re-sent ASSOCIATE $(ms_to_s $(($(now_ms) - T1))) s after the bridge's De-Associate"
grep -q "Re-send 802.1qbg associate request" "$LV_LOG" ||
	fail "libvirt's callback line missing: $(grep -i -m3 'callback\|qbg' "$LV_LOG")"
pass "libvirt logged: $(grep -m1 -o 'Re-send 802.1qbg associate request.*' "$LV_LOG")"
# how libvirt's callback decoded vdpd's message (its debug lines)
cb() { sed -n 's/.*virNetDevMacVLanVPortProfileCallback:[0-9]* : *//p' "$LV_LOG"; }
VPID=$(cat "$T_DIR/vdpd.pid")
LVMAC=$(echo $MAC | sed -E 's/(^|:)0([0-9a-f])/\1 \2/g')	# libvirt prints octets with %2x
for want in "netlink message .* len: 164" "nlmsg_type  = 0x13" "nlmsg_pid   = $VPID" \
	"lldpad pid  = $VPID" "nlmsg_flags = 0x0000" "IFLA_VF_MAC = $LVMAC" "IFLA_IFNAME = $LV_DEV" \
	"IFLA_PORT_VF = -1" "mgr_id: $MGR" "type_id: $TYPEID" "type_version: $TYPEVER" \
	"IFLA_PORT_INSTANCE_UUID = $INST" "IFLA_PORT_REQUEST = 3" "Set disassociated."; do
	cb | grep -q "^$want" || fail "libvirt's callback did not log '$want': $(cb | head -30)"
done
pass "libvirt's callback decoded it: 164 octets, RTM_SETLINK from the pid in lldpad.pid, our MAC/type/UUID, request 3 -> \"Set disassociated.\""
reassoc() { [ "$(vbr_vsi $INST .mode)" = assoc ]; }
wait_for 10 "bridge has the VSI again" reassoc
REASSOC_MS=$(($(now_ms) - T1))
pass "bridge: VSI associated again $(ms_to_s $REASSOC_MS) s after its De-Associate"
assert_eq "$(vbr_vsi $INST .type_id)/$(vbr_vsi $INST .type_version)/$(vbr_vsi $INST '.filters[0].mac')" \
	$TYPEID/$TYPEVER/$MAC "bridge: re-association type/version/MAC"
assert_eq "$(lv_state $DOM)" running "domain still running"
# reference A.2.7/A.3: the callback's ASSOCIATE is "setlink only": no polls
assert_eq "$(($(nlstat setlink) - s0))/$(($(nlstat getlink) - g0))" 1/0 "vdpd: SETLINKs / status polls for the re-association"
# the association lives on: vdpd keeps it alive (RKA 16: every ~0.66 s)
k1=$(vbr_vsi $INST .keepalives) || fail "no answer from the bridge for k1"
ka() { [ "$(vbr_vsi $INST .keepalives)" -ge $((k1 + 2)) ]; }
wait_for 10 "two keep-alives for the re-associated VSI" ka
pass "keep-alives flow again ($k0 before the De-Associate; $k1 -> $(vbr_vsi $INST .keepalives) in ${WAITED_MS} ms)"
grep -q "DISASSOCIATE: ifname: $LV_DEV .*instanceId: $INST" "$LV_LOG" &&
	fail "libvirt sent a DISASSOCIATE of its own"
pass "libvirt sent no DISASSOCIATE in reply"

# ---- 3. virsh destroy de-associates ----------------------------------------------------
t=$(now_ms)
out=$(virsh destroy $DOM 2>&1) || fail "virsh destroy: $out"
pass "virsh destroy took $(ms_to_s $(($(now_ms) - t))) s"
grep -q " : DISASSOCIATE: ifname: $LV_DEV .*instanceId: $INST" "$LV_LOG" ||
	fail "libvirt did not log a DISASSOCIATE"
gone() { vbr_no_vsi $INST; }
wait_for 5 "bridge dropped the VSI" gone
pass "bridge: VSI gone after destroy"
assert_eq "$(json_get "$(vdpctl -j vsi show id $INST)" '.[0].state // "gone"')" gone "vdpctl: VSI after destroy"
nsx st ip link show "$mvt" >/dev/null 2>&1 && fail "$mvt still exists"
pass "libvirt removed $mvt"

# ---- 4. a type the bridge refuses: virsh start fails in libvirt's 10 s -------------
r0=$(vbr_counter .vdp.refused) || fail "no answer from the bridge for r0"
lv_define $BADDOM $BADUUID "$(lv_qbg_nic $BADMAC $MGR $BADTYPE $TYPEVER $BADINST)"
lv_start $BADDOM
[ $LV_RC != 0 ] || fail "virsh start of type $BADTYPE succeeded: $LV_OUT"
FAIL_MS=$LV_MS
info "virsh start $BADDOM failed after $(ms_to_s $FAIL_MS) s: $LV_OUT"
pass "virsh start with type $BADTYPE fails after $(ms_to_s $FAIL_MS) s"
[ $FAIL_MS -lt 10000 ] || fail "failure took $FAIL_MS ms, libvirt's window is 10 s"
pass "reported inside libvirt's 10 s status window"
echo "$LV_OUT" | grep -q "port-profile setlink on interface $LV_DEV" ||
	fail "unexpected error text: $LV_OUT"
pass "libvirt's error: $(echo "$LV_OUT" | tr '\n' ' ')"
assert_eq "$(lv_state $BADDOM)" "shut off" "refused domain state"
[ "$(vbr_counter .vdp.refused)" -gt "$r0" ] || fail "bridge refused nothing"
pass "bridge refused the request (refused $r0 -> $(vbr_counter .vdp.refused))"
vbr_no_vsi $BADINST || fail "bridge keeps the refused VSI"
nsx st ip -o link show type macvtap | grep -q . && fail "a macvtap is left: $(nsx st ip -o link show type macvtap)"
pass "no macvtap left after the failed start"

info "figures: virsh start $(ms_to_s $START_MS) s, re-association after bridge De-Associate $(ms_to_s $REASSOC_MS) s, refused start $(ms_to_s $FAIL_MS) s, libvirtd ready $(ms_to_s $LV_START_MS) s after ${LV_TRIES} start(s)"
done_ok
