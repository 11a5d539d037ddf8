#!/bin/bash
# vdp-bridge configuration reload (SIGHUP), vdpd as the station:
#  1. two VSIs of two types associated; the bridge's file loses type 6 and
#     gets SIGHUP: the bridge De-Associates the type-6 VSI (vdpd sees a
#     bridge De-Associate), the type-5 VSI stays associated and its
#     keep-alives go on; reloads 1, vsis_dropped_by_reload 1;
#  2. a broken file + SIGHUP: error with FILE:LINE logged and kept in
#     `counters show`, reload_errors 1, configuration and VSIs unchanged;
#  3. an added interface: `config reload` refuses (restart needed),
#     reload_errors 2, nothing changed;
#  4. a VLAN no longer admitted for type 5 (and an EVB change): the type-5
#     VSI is de-associated, the new RWD reaches vdpd in the bridge's
#     LLDPDU; a new request for type 5 on an admitted VLAN is associated.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/vdpbridge.sh"

require_root
require_cmd ip jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

SOCK=$T_DIR/vdpd.sock
U=5e7a0c1d-2b3f-4a6e-9d8c-7b6a5f4e3d
A=${U}0a B=${U}0b C=${U}0c
vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
CONF=$T_DIR/bridge.conf

ns_add host
ns_add br
veth_add host eth0 br p0 02:00:00:00:0e:01 02:00:00:00:0e:02
# bridge_conf TYPES [EVB]: the bridge's file with these VSI types.
bridge_conf()
{
	printf 'interfaces = [ "p0" ];\nevb = { rka = 14; %s };\nlldp = { tx_interval = 1; };\nvdp = { types = ( %s ); };\n' \
		"$2" "$1"
}
T5='{ name = "web"; type_id = 5; version = 1; vlan = 10; vlans = [ 11 ]; }'
T5B='{ name = "web"; type_id = 5; version = 1; vlan = 11; }'
T6='{ name = "db"; type_id = 6; version = 1; vlan = 20; }'
vbr_start br "$(bridge_conf "$T5, $T6")"
cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "eth0"; evb = { rka = 14; }; lldp = { tx_interval = 1; }; } );
CONF
bg host vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "$T_DIR/vdpd.pid" \
	-S "$T_DIR/state.json" "${VDPD_INTENTS[@]}"
wait_for 5 "vdpd answers" vdpctl uplink show
wait_for 5 "EVB converged at the bridge" vbr_converged p0
diag_add "'$T_BUILD/vdpctl' -s '$SOCK' -j vsi show"

# assoc VSIID TYPE MAC VID
assoc()
{
	vdpctl vsi add uplink eth0 mode assoc uuid "$1" mgrid 0 typeid "$2" typeidver 1 \
		filter mac "$3" vid "$4" >/dev/null || fail "associate $1 (type $2)"
	wait_for 5 "$1 associated at the bridge" vbr_has_vsi "$1" assoc
}
# st_field VSIID FIELD: vdpd's record of a VSI.
st_field() { vdpctl -j vsi show | jq -r ".[] | select(.vsiid == \"$1\") | .$2"; }
st_is() { [ "$(st_field "$1" "$2")" = "$3" ]; }
# st_given_up VSIID REASON: vdpd's reconciler asked again after the bridge's
# De-Associate and the bridge refused for good with REASON.
st_given_up() { [ "$(st_field "$1" 'retry | "\(.state) \(.last_status_text)"')" = "given-up $2" ]; }
ka_of() { vbr_vsi "$1" .keepalives; }
ka_beyond() { [ "$(ka_of "$1")" -ge "$2" ]; }
hup() { kill -HUP "$VBR_PID" || fail "SIGHUP to vdp-bridge"; }
reload_is() { [ "$(vbr_counter ".reload.$1")" = "$2" ]; }

assoc "$A" 5 02:00:00:00:0f:0a 0
assoc "$B" 6 02:00:00:00:0f:0b 0
wait_for 5 "vdpd: $A associated" st_is "$A" state assoc
wait_for 5 "vdpd: $B associated" st_is "$B" state assoc
assert_eq "$(vbr_vsi "$A" '.filters[0].vid')" 10 "VID of $A (type 5's VLAN)"
assert_eq "$(vbr_counter '.reload | "\(.reloads) \(.reload_errors) \(.vsis_dropped_by_reload)"')" "0 0 0" \
	"reload counters before any reload"

# ---- 1. type 6 removed -----------------------------------------------------------
unsol=$(vbr_counter .vdp.unsolicited_deassoc) || fail "no answer from the bridge for unsol"
bridge_conf "$T5" >"$CONF"
hup
wait_for 5 "reload applied" reload_is reloads 1
wait_for 5 "$B gone at the bridge" vbr_no_vsi "$B"
# vdpd asks again (it holds B's desired state); the bridge, which no
# longer knows type 6, refuses for good (reason 4, hard): given up.
wait_for 5 "vdpd sees the bridge De-Associate of $B, asks again, gives up" st_given_up "$B" "other failure"
assert_eq "$(st_field "$B" state)" none "vdpd: state of $B"
assert_eq "$(vbr_counter .reload.vsis_dropped_by_reload)" 1 "vsis_dropped_by_reload"
[ "$(vbr_counter .vdp.unsolicited_deassoc)" -gt "$unsol" ] || fail "no bridge-initiated De-Associate sent"
grep -q "VSI $B type 6/1: de-associated by reload: unknown VSI type/version" "$T_DIR/bridge.log" ||
	fail "de-association of $B not logged with its reason"
vbr_has_vsi "$A" assoc || fail "$A no longer associated at the bridge"
st_is "$A" state assoc || fail "vdpd: $A no longer associated"
ka=$(ka_of "$A")
wait_for 5 "keep-alives of $A go on" ka_beyond "$A" $((ka + 3))
assert_eq "$(vbr_j '[.vdp.types[].type_id] | join(",")' config show)" 5 "types in effect"
pass "type 6 removed: $B de-associated by the bridge, $A kept ($(ka_of "$A") keep-alives)"

# ---- 2. broken file ---------------------------------------------------------------
printf 'interfaces = [ "p0" ];\nevb = { rka = 14; };\nvdp = { types = ( { type_id = 5; vlan = 4095; } ); };\n' >"$CONF"
answer before vbr -j config show
hup
wait_for 5 "reload error counted" reload_is reload_errors 1
err=$(vbr_counter .reload.last_error) || fail "no answer from the bridge for err"
[[ $err == "$CONF:3: VLAN ID 4095 is out of range 1..4094" ]] || fail "last_error: $err"
grep -q "reload refused: $CONF:3: VLAN ID 4095" "$T_DIR/bridge.log" || fail "refusal not logged with FILE:LINE"
assert_eq "$(vbr -j config show)" "$before" "configuration in effect unchanged"
assert_eq "$(vbr_counter .reload.reloads)" 1 "reloads after the broken file"
printf 'interfaces = [ "p0" ];\nvdp = { types = ( { type_id = 5; } ) ;\n' >"$CONF"
hup
wait_for 5 "second reload error counted" reload_is reload_errors 2
[[ $(vbr_counter .reload.last_error) == "$CONF:"[0-9]*": syntax error"* ]] ||
	fail "syntax error: $(vbr_counter .reload.last_error)"
vbr_has_vsi "$A" assoc || fail "$A lost after the broken files"
ka=$(ka_of "$A")
wait_for 5 "keep-alives of $A go on after the broken files" ka_beyond "$A" $((ka + 3))
pass "broken files refused ($err), $A still associated"

# ---- 3. interface added: restart needed ---------------------------------------------
bridge_conf "$T5" | sed 's/\[ "p0" \]/[ "p0", "p1" ]/' >"$CONF"
out=$(vbr config reload 2>&1) && fail "config reload accepted a new interface"
[[ $out == *"interfaces changed (running: p0; file: p0 p1)"*"needs a restart"* ]] || fail "config reload said: $out"
assert_eq "$(vbr_counter .reload.reload_errors)" 3 "reload_errors after the interface change"
assert_eq "$(vbr_j '.interfaces | join(",")' config show)" p0 "interfaces in effect"
pass "interface change refused: $out"

# ---- 4. VLAN 10 no longer admitted for type 5, EVB RWD 22 ------------------------------
rwd() { [ "$(vdpctl -j uplink show | jq -r '.[0].evb.peer_tlv.rwd')" = "$1" ]; }
rwd 20 || fail "bridge RWD before: $(vdpctl -j uplink show | jq -c '.[0].evb.peer_tlv')"
bridge_conf "$T5B" "rwd = 22;" >"$CONF"
out=$(vbr -j config reload) || fail "config reload: $out"
assert_eq "$(json_get "$out" .vsis_dropped)" 1 "VSIs dropped by config reload"
# vdpd asks again for A with its intent's VID 0: the bridge picks the
# type's new VLAN.
a_on_11() { st_is "$A" state assoc && [ "$(vbr_vsi "$A" '.filters[0].vid')" = 11 ]; }
wait_for 5 "vdpd sees the bridge De-Associate of $A and associates it again, on VLAN 11" a_on_11
wait_for 5 "vdpd receives RWD 22 from the bridge" rwd 22
assert_eq "$(vbr_j '.[0].evb.local.rwd' uplink show)" 22 "bridge's local RWD"
assoc "$C" 5 02:00:00:00:0f:0c 0
assert_eq "$(vbr_vsi "$C" '.filters[0].vid')" 11 "VID of $C (type 5's new VLAN)"
assert_eq "$(vbr_counter '.reload | "\(.reloads) \(.reload_errors) \(.vsis_dropped_by_reload)"')" "2 3 2" \
	"reload counters at the end"
assert_eq "$(vbr_counter '.reload.last_error == null')" true "no error after an applied reload"
pass "VLAN 10 removed: $A de-associated and associated again by vdpd on VLAN 11; RWD 22 announced; $C associated on VLAN 11"
done_ok
