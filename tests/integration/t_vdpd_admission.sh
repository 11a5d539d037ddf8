#!/bin/bash
# Wire admission, vdpd side: a host on the uplink's segment that is not the
# EVB neighbour (evil, 02:00:00:aa:bb:cc, see tests/lib/admission.sh) sends
#  (a) LLDPDUs with another chassis (and other EVB values) to the group
#      address, and one to broadcast;
#  (b) an ECPDU with a De-Associate for an associated VSI, to the group;
#  (c) the same ECPDU from the bridge's MAC, to vdpd's MAC and to broadcast.
# vdpd keeps its neighbour, the negotiated EVB values and every VSI; each
# case has its drop counter in `vdpctl stats` (text and -j), and the second
# chassis is logged once.  Then the same De-Associate from the bridge's MAC
# to the group address is taken: the frames above were refused for their
# addresses alone.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/admission.sh"

require_root
require_cmd ip jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge" "$T_BUILD/tests/vdp-inject"

UUID1=a1412857-60f7-4ce1-e95a-2164943f53dd
UUID2=09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f
SOCK=$T_DIR/vdpd.sock
BSOCK=$T_DIR/bridge.sock
vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
bridgectl() { "$T_BUILD/vdp-bridge" -s "$BSOCK" "$@"; }

adm_segment
cat >"$T_DIR/vdpd.conf" <<CONF
global = { mgrid = "blabla"; };
uplinks = ( { name = "eth0"; evb = { rte = 10; rka = 16; }; lldp = { tx_interval = 2; }; } );
CONF
cat >"$T_DIR/bridge.conf" <<CONF
interfaces = [ "p0" ];
vdp = { types = ( { name = "web"; type_id = 5; version = 4; } ); };
CONF
bg host vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "$T_DIR/vdpd.pid" \
	-S "$T_DIR/state.json" "${VDPD_INTENTS[@]}"
bg br bridge.log "$T_BUILD/vdp-bridge" -F -d -f "$T_DIR/bridge.conf" -s "$BSOCK"
wait_for 5 "vdpd answers on its socket" vdpctl uplink show
diag_add "$T_BUILD/vdpctl -s $SOCK -j stats"
diag_add "cat $T_DIR/inject.log"
converged() { [ "$(vdpctl -j uplink show | jq -r '.[0].converged')" = true ]; }
wait_for 10 "EVB negotiated on eth0" converged

for u in $UUID1 $UUID2; do
	vdpctl vsi add uplink eth0 mode assoc uuid $u mgrid 11 typeid 5 typeidver 4 \
		filter mac 52:54:00:c7:3e:${u:0:2} vid 10 >"$T_DIR/add.out" 2>&1 ||
		fail "vsi add $u: $(cat "$T_DIR/add.out")"
done
on_bridge() { [ "$(json_q '[.[] | select(.mode == "assoc")] | length' bridgectl -j vsi show)" = 2 ]; }
wait_for 5 "both VSIs associated on the bridge" on_bridge

# What must not change.
snapshot()
{
	local nb vs up
	adm_json nb vdpctl -j neighbor show
	adm_json vs vdpctl -j vsi show
	adm_json up vdpctl -j uplink show
	printf 'neighbour %s\nevb %s\nvsis %s\n' \
		"$(adm_get "$nb" '[.[] | [.uplink, .chassis_id, .port_id, .mac, .converged]] | tostring')" \
		"$(adm_get "$up" '[.[0].evb.oper, .[0].evb.peer_tlv] | tostring')" \
		"$(adm_get "$vs" '[.[] | [.vsiid, .state, .mode]] | sort | tostring')"
}
snapshot >"$T_DIR/before.txt"
grep -q '\["eth0","02:00:00:00:00:02","p0","02:00:00:00:00:02",true\]' "$T_DIR/before.txt" ||
	fail "neighbour before the intruder: $(cat "$T_DIR/before.txt")"
grep -q "\[\"$UUID1\",\"assoc\",\"assoc\"\]" "$T_DIR/before.txt" ||
	fail "VSI before the intruder: $(cat "$T_DIR/before.txt")"
pass "neighbour, EVB and two associated VSIs recorded"
adm_json up vdpctl -j uplink show
assert_eq "$(adm_get "$up" '.[0].group')" 01:80:c2:00:00:00 "group address admitted on eth0"
assert_eq "$(adm_get "$up" '.[0].peer.mac')" $ADM_BR "the neighbour's MAC (ECP is taken from it alone)"

# stat FILTER: one value from vdpctl -j stats (json_q: status 2, no value,
# without a JSON answer).
stat() { json_q "$1" vdpctl -j stats; }
stat_is() { [ "$(stat "$1")" = "$2" ]; }
adm_json s0 vdpctl -j stats
for k in lldp.rx_drop_dst lldp.rx_drop_peer ecp.rx_drop_dst ecp.rx_drop_src; do
	assert_eq "$(adm_get "$s0" ".uplinks[0].$k")" 0 "$k before the intruder"
done

# (a) another chassis, other EVB values (RTE 20), to the group address, twice,
# and once to broadcast.
adm_inject ncb $ADM_EVIL lldp $ADM_EVIL 20
adm_inject ncb $ADM_EVIL lldp $ADM_EVIL 20
adm_inject ff:ff:ff:ff:ff:ff $ADM_EVIL lldp $ADM_EVIL 20
wait_for 5 "two LLDPDUs of a second chassis dropped" stat_is .uplinks[0].lldp.rx_drop_peer 2
wait_for 5 "an LLDPDU to broadcast dropped" stat_is .uplinks[0].lldp.rx_drop_dst 1
pass "(a) second chassis: lldp.rx_drop_peer 2, to broadcast: lldp.rx_drop_dst 1"
assert_eq "$(grep -c 'LLDPDU from another neighbour (source 02:00:00:aa:bb:cc' "$T_DIR/vdpd.log")" 1 \
	"log lines about the second chassis"

# (b) De-Associate for UUID1 from the foreign MAC to the group address.
adm_inject ncb $ADM_EVIL deassoc 4242 11 5 4 $UUID1 52:54:00:c7:3e:${UUID1:0:2} 10
wait_for 5 "the foreign ECPDU dropped" stat_is .uplinks[0].ecp.rx_drop_src 1
pass "(b) ECPDU from a foreign MAC: ecp.rx_drop_src 1"

# (c) the same from the bridge's MAC, to vdpd's MAC and to broadcast.
adm_inject $ADM_ST $ADM_BR deassoc 4243 11 5 4 $UUID1 52:54:00:c7:3e:${UUID1:0:2} 10
adm_inject ff:ff:ff:ff:ff:ff $ADM_BR deassoc 4244 11 5 4 $UUID1 52:54:00:c7:3e:${UUID1:0:2} 10
wait_for 5 "the two ECPDUs not sent to the group dropped" stat_is .uplinks[0].ecp.rx_drop_dst 2
pass "(c) ECPDU from the bridge's MAC to unicast and broadcast: ecp.rx_drop_dst 2"

snapshot >"$T_DIR/after.txt"
diff -u "$T_DIR/before.txt" "$T_DIR/after.txt" >"$T_DIR/state.diff" ||
	fail "neighbour, EVB or VSIs changed: $(cat "$T_DIR/state.diff")"
pass "neighbour, negotiated EVB values and every VSI unchanged"
adm_json s1 vdpctl -j stats
assert_eq "$(adm_get "$s1" '.uplinks[0].lldp.new_peers')" 1 "LLDP new peers"
assert_eq "$(adm_get "$s1" '.uplinks[0].vdp.bridge_deassoc')" 0 "De-Associates taken from the wire"
assert_eq "$(adm_get "$s1" '.uplinks[0].ecp.rx_bad')" 0 "ECPDUs counted as bad"
answer b bridgectl -j vsi show
assert_eq "$(json_get "$b" '[.[] | select(.mode == "assoc")] | length')" 2 "VSIs the bridge holds"

# The text view names the counters too.
vdpctl stats >"$T_DIR/stats.txt" || fail "vdpctl stats"
grep -Eq 'rx_drop_dst 2 rx_drop_src 1|rx_drop_dst 2 +rx_drop_src 1' <(tr -s ' \n' ' ' <"$T_DIR/stats.txt") ||
	fail "vdpctl stats text: $(grep -A2 'ecp:' "$T_DIR/stats.txt")"
grep -Eq 'rx_drop_dst 1 rx_drop_peer 2' <(tr -s ' \n' ' ' <"$T_DIR/stats.txt") ||
	fail "vdpctl stats text: $(grep -A2 'lldp:' "$T_DIR/stats.txt")"
pass "vdpctl stats shows the drop counters"

# Control: the same De-Associate, from the bridge's MAC to the group, is taken
# (two sequence numbers: one of them is not the bridge's last).  Once or
# twice: the reconciler may associate the VSI again between the two.
adm_inject ncb $ADM_BR deassoc 4245 11 5 4 $UUID1 52:54:00:c7:3e:${UUID1:0:2} 10
adm_inject ncb $ADM_BR deassoc 4246 11 5 4 $UUID1 52:54:00:c7:3e:${UUID1:0:2} 10
deassoc_taken() { local n; n=$(stat .uplinks[0].vdp.bridge_deassoc) && [ "$n" -ge 1 ] && [ "$n" -le 2 ]; }
wait_for 5 "the De-Associate from the neighbour's MAC to the group taken" deassoc_taken
pass "control: the well-addressed De-Associate ends the VSI"
done_ok
