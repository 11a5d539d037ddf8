#!/bin/bash
# Several filter entries and group IDs (802.1Qbg-2012 41.2.8, 41.2.9),
# vdpd vs vdp-bridge:
#  1. group IDs not negotiated (vdpd's SGID off): a group-ID format is
#     refused by vdpd with the reason, nothing is sent;
#  2. VID 0 mixed with another VID: refused by vdpd, nothing sent;
#  3. two MAC/VID entries with VID 0: each replaced by the type's VLAN, at
#     both ends (vsi show: vid_assigned);
#  4. the same MAC on two VLANs: associated with both entries;
#  5. group IDs switched on by reload (SIGHUP): vdpd's SGID reaches the
#     bridge, group IDs are in use at both ends, and a GroupID/MAC/VID
#     request with two VID-0 entries is associated, each VID replaced;
#  6. the bridge switches group IDs off by reload: out of use at vdpd, a
#     new group-ID request is refused locally.
. "$(dirname "$0")/../lib/netns.sh"
. "$T_ROOT/tests/lib/vdpbridge.sh"
. "$T_ROOT/tests/lib/conform.sh"

require_root
require_cmd ip jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

SOCK=$T_DIR/vdpd.sock
vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
U=3f3f0000-0000-4000-8000-0000000000
vdpd_conf() # GID
{
	cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "eth0"; evb = { rte = 8; rka = 15; gid = $1; }; lldp = { tx_interval = 1; }; } );
CONF
}

ns_add host
ns_add br
veth_add host eth0 br p0 02:00:00:00:08:01 02:00:00:00:08:02
vdpd_conf false
vbr_start br 'interfaces = [ "p0" ];
evb = { bgid = true; rka = 15; rte = 8; };
lldp = { tx_interval = 1; };
vdp = { types = ( { name = "web"; type_id = 5; version = 4; vlan = 10; vlans = [ 11 ]; } ); };'
bg host vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "" -S "$T_DIR/state.json" "${VDPD_INTENTS[@]}"
VDPD=$BG_PID
wait_for 5 "vdpd answers on its socket" vdpctl uplink show
converged() { [ "$(vdpctl -j uplink show | jq -r '.[0].converged')" = true ]; }
wait_for 10 "EVB negotiated on eth0" converged
wait_for 5 "vdp-bridge EVB converged on p0" vbr_converged p0
diag_add "'$T_BUILD/vdpctl' -s '$SOCK' -j vsi show"
jset g '.[0].evb.oper.gid | tostring' vdpctl -j uplink show
assert_eq "$g" false "group IDs not in use (bridge BGID, station no SGID)"

# add UUID-SUFFIX ARGS...: vsi add, output in $T_DIR/add.out, exit status in rc
add() { local u=$U$1; shift; rc=0
	vdpctl vsi add uplink eth0 mode assoc uuid "$u" mgrid 0 typeid 5 typeidver 4 "$@" \
		>"$T_DIR/add.out" 2>&1 || rc=$?; }
jset req0 '.vdp.requests.assoc' vbr -j counters show

# ---- 1. group-ID format without group IDs ------------------------------------------
add 01 filter mac 52:54:00:00:08:01 vid 10 group 7 format group-mac-vid
[ "$rc" != 0 ] || fail "group-mac-vid accepted without group IDs"
grep -q "group IDs were not negotiated" "$T_DIR/add.out" || fail "no reason given: $(cat "$T_DIR/add.out")"
pass "refused by vdpd: $(head -1 "$T_DIR/add.out")"

# ---- 2. VID 0 next to another VID -----------------------------------------------------
add 02 filter mac 52:54:00:00:08:02 vid 0 filter mac 52:54:00:00:08:03 vid 11
[ "$rc" != 0 ] || fail "VID 0 mixed with VID 11 accepted"
grep -q "VID 0 (the bridge chooses) mixed with other VIDs" "$T_DIR/add.out" || fail "reason: $(cat "$T_DIR/add.out")"
pass "refused by vdpd: $(head -1 "$T_DIR/add.out")"
jset req1 '.vdp.requests.assoc' vbr -j counters show
assert_eq "$req1" "$req0" "nothing reached the bridge for the refused requests"

# ---- 3. two VID-0 entries ---------------------------------------------------------------
add 03 filter mac 52:54:00:00:08:04 vid 0 filter mac 52:54:00:00:08:05 vid 0
[ "$rc" = 0 ] || fail "two VID-0 entries: $(cat "$T_DIR/add.out")"
jset f '[.[0].filters[] | "\(.mac)/\(.vid)/\(.vid_assigned)"] | join(" ")' vdpctl -j vsi show id ${U}03
assert_eq "$f" "52:54:00:00:08:04/10/true 52:54:00:00:08:05/10/true" "vdpd: each VID 0 replaced by VLAN 10"
jset f '[.filters[] | "\(.mac)/\(.vid)"] | join(" ")' vbr_vsi ${U}03
assert_eq "$f" "52:54:00:00:08:04/10 52:54:00:00:08:05/10" "bridge record: both entries on VLAN 10"

# ---- 4. the same MAC on two VLANs ------------------------------------------------------
add 04 filter mac 52:54:00:00:08:06 vid 10 filter mac 52:54:00:00:08:06 vid 11
[ "$rc" = 0 ] || fail "same MAC on VLANs 10 and 11: $(cat "$T_DIR/add.out")"
jset f '[.filters[] | "\(.mac)/\(.vid)"] | join(" ")' vbr_vsi ${U}04
assert_eq "$f" "52:54:00:00:08:06/10 52:54:00:00:08:06/11" "bridge record: one MAC, two VLANs"

# ---- 5. group IDs switched on by reload -------------------------------------------------
vdpd_conf true
kill -HUP "$VDPD" || fail "SIGHUP to vdpd"
gid_on() { [ "$(vdpctl -j uplink show | jq -r '.[0].evb.oper.gid')" = true ]; }
wait_for 5 "group IDs in use at vdpd after the reload" gid_on
gid_on_br() { [ "$(vbr -j status | jq -r '.ports[0].oper.gid')" = true ]; }
wait_for 5 "group IDs in use at the bridge" gid_on_br
add 05 filter mac 52:54:00:00:08:07 vid 0 group 7 filter mac 52:54:00:00:08:08 vid 0 group 8 format group-mac-vid
[ "$rc" = 0 ] || fail "group-mac-vid with group IDs: $(cat "$T_DIR/add.out")"
jset f '[.[0].filters[] | "\(.group)/\(.mac)/\(.vid)/\(.vid_assigned)"] | join(" ")' vdpctl -j vsi show id ${U}05
assert_eq "$f" "7/52:54:00:00:08:07/10/true 8/52:54:00:00:08:08/10/true" "vdpd: group entries, each VID 0 replaced"
jset f '[.filters[] | "\(.group)/\(.vid)"] | join(" ")' vbr_vsi ${U}05
assert_eq "$f" "7/10 8/10" "bridge record: groups 7 and 8 on VLAN 10"

# ---- 6. the bridge switches group IDs off ------------------------------------------------
sed -i 's/bgid = true/bgid = false/' "$T_DIR/bridge.conf"
vbr config reload >/dev/null || fail "config reload (bgid false)"
gid_off() { [ "$(vdpctl -j uplink show | jq -r '.[0].evb.oper.gid')" = false ]; }
wait_for 5 "group IDs out of use at vdpd after the bridge's BGID 0" gid_off
add 06 filter mac 52:54:00:00:08:09 vid 10 group 9 format group-mac-vid
[ "$rc" != 0 ] || fail "group format accepted after the bridge switched group IDs off"
grep -q "group IDs were not negotiated" "$T_DIR/add.out" || fail "reason: $(cat "$T_DIR/add.out")"
pass "refused by vdpd once the bridge dropped BGID"
done_ok
