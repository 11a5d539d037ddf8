#!/bin/bash
# Wire admission, vdp-bridge side: a station port takes ECP only from its
# LLDP neighbour.  vdpd (station, host/eth0) and vdp-bridge (br/p0) on one
# segment with a foreign host (evil, 02:00:00:aa:bb:cc; tests/lib/admission.sh)
# that sends to the bridge
#  (a) an LLDPDU with another chassis to the group address;
#  (b) an ECPDU with a De-Associate for an associated VSI, from its MAC;
#  (c) the same ECPDU from the station's MAC, to the bridge's MAC and to
#      broadcast.
# The bridge keeps its neighbour, its EVB values and the VSI; `counters show`
# names each case.  Then the same De-Associate from the station's MAC to the
# group address is taken (the control: the frames were refused for their
# addresses alone).
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/admission.sh"

require_root
require_cmd ip jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge" "$T_BUILD/tests/vdp-inject"

UUID1=a1412857-60f7-4ce1-e95a-2164943f53dd
SOCK=$T_DIR/vdpd.sock
BSOCK=$T_DIR/bridge.sock
vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
bridgectl() { "$T_BUILD/vdp-bridge" -s "$BSOCK" "$@"; }

adm_segment
cat >"$T_DIR/vdpd.conf" <<CONF
global = { mgrid = "blabla"; };
uplinks = ( { name = "eth0"; lldp = { tx_interval = 2; }; } );
CONF
cat >"$T_DIR/bridge.conf" <<CONF
interfaces = [ "p0" ];
vdp = { types = ( { name = "web"; type_id = 5; version = 4; } ); };
CONF
bg host vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "$T_DIR/vdpd.pid" \
	-S "$T_DIR/state.json" "${VDPD_INTENTS[@]}"
bg br bridge.log "$T_BUILD/vdp-bridge" -F -d -f "$T_DIR/bridge.conf" -s "$BSOCK"
wait_for 5 "vdp-bridge answers on its socket" bridgectl status
diag_add "$T_BUILD/vdp-bridge -s $BSOCK -j counters show"
diag_add "cat $T_DIR/inject.log"
converged() { [ "$(bridgectl -j status | jq -r '.ports[0].converged')" = true ]; }
wait_for 10 "EVB negotiated on p0" converged
wait_for 5 "vdpd answers on its socket" vdpctl uplink show
vdpctl vsi add uplink eth0 mode assoc uuid $UUID1 mgrid 11 typeid 5 typeidver 4 \
	filter mac 52:54:00:c7:3e:01 vid 10 >"$T_DIR/add.out" 2>&1 ||
	fail "vsi add: $(cat "$T_DIR/add.out")"

snapshot()
{
	local up vs
	adm_json up bridgectl -j uplink show
	adm_json vs bridgectl -j vsi show
	printf 'neighbour %s\nevb %s\nvsis %s\n' \
		"$(adm_get "$up" '[.[0].peer.chassis_id, .[0].peer.port_id, .[0].peer.mac] | tostring')" \
		"$(adm_get "$up" '[.[0].evb.converged, .[0].evb.oper, .[0].evb.peer_tlv] | tostring')" \
		"$(adm_get "$vs" '[.[] | [.vsiid, .mode]] | sort | tostring')"
}
snapshot >"$T_DIR/before.txt"
grep -q '\["02:00:00:00:00:01","eth0","02:00:00:00:00:01"\]' "$T_DIR/before.txt" ||
	fail "bridge's neighbour before the intruder: $(cat "$T_DIR/before.txt")"
grep -q "\[\"$UUID1\",\"assoc\"\]" "$T_DIR/before.txt" ||
	fail "bridge's VSI before the intruder: $(cat "$T_DIR/before.txt")"
pass "bridge: neighbour vdpd, EVB converged, VSI associated"

# ctr FILTER: one value from the bridge's counters show -j (json_q: status
# 2, no value, without a JSON answer).
ctr() { json_q "$1" bridgectl -j counters show; }
ctr_is() { [ "$(ctr "$1")" = "$2" ]; }
adm_json c0 bridgectl -j counters show
for k in lldp.rx_drop_dst lldp.rx_drop_peer ecp.rx_drop_dst ecp.rx_drop_src; do
	assert_eq "$(adm_get "$c0" ".ports[0].$k")" 0 "$k before the intruder"
done

# (a) a second chassis, posing as a station with the group address.
adm_inject ncb $ADM_EVIL lldp $ADM_EVIL 20
wait_for 5 "the second chassis dropped" ctr_is .ports[0].lldp.rx_drop_peer 1
pass "(a) second chassis: lldp.rx_drop_peer 1"
# (b) De-Associate from the foreign MAC.
adm_inject ncb $ADM_EVIL deassoc 4242 11 5 4 $UUID1 52:54:00:c7:3e:01 10
wait_for 5 "the foreign ECPDU dropped" ctr_is .ports[0].ecp.rx_drop_src 1
pass "(b) ECPDU from a foreign MAC: ecp.rx_drop_src 1"
# (c) from the station's MAC, to the bridge's MAC and to broadcast.
adm_inject $ADM_BR $ADM_ST deassoc 4243 11 5 4 $UUID1 52:54:00:c7:3e:01 10
adm_inject ff:ff:ff:ff:ff:ff $ADM_ST deassoc 4244 11 5 4 $UUID1 52:54:00:c7:3e:01 10
wait_for 5 "the two ECPDUs not sent to the group dropped" ctr_is .ports[0].ecp.rx_drop_dst 2
pass "(c) ECPDU from the station's MAC to unicast and broadcast: ecp.rx_drop_dst 2"

snapshot >"$T_DIR/after.txt"
diff -u "$T_DIR/before.txt" "$T_DIR/after.txt" >"$T_DIR/state.diff" ||
	fail "bridge's neighbour, EVB or VSIs changed: $(cat "$T_DIR/state.diff")"
pass "bridge's neighbour, EVB values and VSI unchanged"
adm_json c1 bridgectl -j counters show
assert_eq "$(adm_get "$c1" '.ports[0].lldp.new_peers')" 1 "bridge's LLDP new peers"
assert_eq "$(adm_get "$c1" '.ports[0].ecp.rx_bad')" 0 "ECPDUs counted as bad"
assert_eq "$(adm_get "$c1" '.vdp.requests.deassoc')" 0 "De-Associate requests the bridge read"
adm_json v vdpctl -j vsi show id $UUID1
assert_eq "$(adm_get "$v" '.[0].state')" assoc "vdpd's VSI"

# Control: from the station's MAC to the group, the De-Associate is taken
# (two sequence numbers: one of them is not the station's last).
adm_inject ncb $ADM_ST deassoc 4245 11 5 4 $UUID1 52:54:00:c7:3e:01 10
adm_inject ncb $ADM_ST deassoc 4246 11 5 4 $UUID1 52:54:00:c7:3e:01 10
taken() { [ "$(ctr .vdp.requests.deassoc)" -ge 1 ] 2>/dev/null; }
wait_for 5 "the De-Associate from the neighbour's MAC to the group taken" taken
pass "control: the well-addressed De-Associate is read by the bridge"
done_ok
