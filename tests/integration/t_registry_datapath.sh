#!/bin/bash
# "With vdp-bridge's datapath connectivity follows the network": the set-up
# of t_registry_vms (vdpd station in "host" on eth0, vdp-bridge in "br" on p0,
# networks A = type 5 VLAN 10 and B = type 6 VLAN 20) with real VMs (VEPA
# macvlans in their own namespaces, untagged: the VLAN exists only in the VDP
# filter) and vdp-bridge's nftables data path on br0 with VLAN isolation.
# vm1, vm2 on A and vm3 on B: vm1 and vm2 ping each other through the
# hairpin, vm3 is unreachable; vm1 moved to B reaches vm3 and no longer vm2;
# moved back it is on A again; detached it reaches nobody.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/datapath.sh"

require_root
require_cmd ip jq nft ping "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

VM1=0b3c9e2a-2222-4d4d-8e8e-000000000001
VM2=0b3c9e2a-2222-4d4d-8e8e-000000000002
VM3=0b3c9e2a-2222-4d4d-8e8e-000000000003
M1=52:54:00:00:0d:01 M2=52:54:00:00:0d:02 M3=52:54:00:00:0d:03
IP1=10.77.0.1 IP2=10.77.0.2 IP3=10.77.0.3
SOCK=$T_DIR/vdpd.sock
BSOCK=$T_DIR/bridge.sock

vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
bridgectl() { "$T_BUILD/vdp-bridge" -s "$BSOCK" "$@"; }

ns_add host
ns_add br
veth_add host eth0 br p0 02:00:00:00:0d:f1 02:00:00:00:0d:f2
bridge_add br br0 p0
# One IP subnet for all: only the data path separates A from B.
vm_add host eth0 vm1 $M1 $IP1/24
vm_add host eth0 vm2 $M2 $IP2/24
vm_add host eth0 vm3 $M3 $IP3/24
diag_add "nsx br nft list table bridge $DP_TABLE"

cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "eth0"; evb = { rte = 10; rka = 16; }; lldp = { tx_interval = 2; }; } );
registry = {
	policy = "off";
	profiles = (
		{ name = "web"; type = "802.1Qbg"; mgrid = 11; typeid = 5; typeidver = 4; },
		{ name = "db"; type = "802.1Qbg"; mgrid = 11; typeid = 6; typeidver = 4; }
	);
	uplinks = ( { dev = "eth0"; physnet = "datacenter"; mode = "vepa"; } );
	networks = (
		{ name = "A"; physnet = "datacenter"; profile = "web"; vlan = 10; },
		{ name = "B"; physnet = "datacenter"; profile = "db"; vlan = 20; }
	);
};
CONF
cat >"$T_DIR/bridge.conf" <<CONF
interfaces = [ "p0" ];
vdp = { types = ( { name = "web"; type_id = 5; version = 4; }, { name = "db"; type_id = 6; version = 4; } ); };
datapath = { enable = true; bridge = "br0"; };
CONF
"$T_BUILD/vdp-bridge" -t -f "$T_DIR/bridge.conf" >"$T_DIR/bridge.json" || fail "vdp-bridge -t"
assert_eq "$(jq -r .datapath.vlan_isolation "$T_DIR/bridge.json")" true "VLAN isolation is the default"

bg host vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "" -S "$T_DIR/registry.json" "${VDPD_INTENTS[@]}"
wait_for 5 "vdpd answers on its socket" vdpctl registry show
bg br bridge.log "$T_BUILD/vdp-bridge" -F -d -f "$T_DIR/bridge.conf" -s "$BSOCK"
BPID=$BG_PID
converged() { [ "$(vdpctl -j uplink show | jq -r '.[0].converged')" = true ]; }
wait_for 10 "EVB negotiated on eth0" converged
dp_synced() { [ "$(bridgectl -j datapath show | jq -r .synced)" = true ]; }
wait_for 5 "vdp-bridge data path ready" dp_synced
assert_eq "$(dp_hairpin br p0)" on "hairpin on p0 (set by vdp-bridge)"

bridge_vsi() { json_q "[.[] | select(.vsiid == \"$1\")] | .[0].$2 // empty" bridgectl -j vsi show; }
at_bridge() { [ "$(bridge_vsi "$1" mode)" = assoc ] && [ "$(bridge_vsi "$1" type_id)" = "$2" ] &&
	[ "$(bridge_vsi "$1" filters[0].vid)" = "$3" ]; }
gone_from_bridge() { json_none ".[] | select(.vsiid == \"$1\")" bridgectl -j vsi show; }
# endpoints_are "MAC VID" ...: the kernel's vsi_ep set, sorted by MAC.
endpoints_are() { [ "$(dp_endpoints br | tr '\n' ,)" = "$(printf '%s,' "$@")" ]; }
# ping_fails VMNS IP: one echo with no answer within 1 s.
ping_fails() { ! dp_can_ping "$1" "$2"; }

# ---- all three attached: vm1, vm2 on A, vm3 on B ------------------------------------
vdpctl bind $VM1 dev macvtap0 mac $M1 uplink eth0 >/dev/null || fail "bind VM1"
vdpctl bind $VM2 dev macvtap1 mac $M2 uplink eth0 >/dev/null || fail "bind VM2"
vdpctl bind $VM3 dev macvtap2 mac $M3 uplink eth0 >/dev/null || fail "bind VM3"
vdpctl attach $VM1 network A >/dev/null || fail "attach VM1"
vdpctl attach $VM2 network A >/dev/null || fail "attach VM2"
vdpctl attach $VM3 network B >/dev/null || fail "attach VM3"
wait_for 10 "VM1 on A at the bridge" at_bridge $VM1 5 10
wait_for 10 "VM2 on A at the bridge" at_bridge $VM2 5 10
wait_for 10 "VM3 on B at the bridge" at_bridge $VM3 6 20
wait_for 5 "vsi_ep = vm1/10 vm2/10 vm3/20" endpoints_are "$M1 10" "$M2 10" "$M3 20"
pass "data path: vm1, vm2 in VLAN 10, vm3 in VLAN 20 (${WAITED_MS} ms after the last association)"
assert_eq "$(dp_allowed br | tr '\n' ' ')" "$M1 $M2 $M3 " "vsi_macs holds all three"
answer dp bridgectl -j datapath show
assert_eq "$(json_get "$dp" '[.endpoints[] | "\(.mac)/\(.vid)"] | join(" ")')" "$M1/10 $M2/10 $M3/20" \
	"datapath show: endpoints"
assert_eq "$(json_get "$dp" '.macs | join(" ")')" "$M1 $M2 $M3" "datapath show: macs"

wait_for 5 "vm1 pings vm2 (both on A)" dp_can_ping vm1 $IP2
pass "A: vm1 -> vm2 through the hairpin (${WAITED_MS} ms)"
dp_can_ping vm2 $IP1 || fail "vm2 -> vm1 on A"
pass "A: vm2 -> vm1"
v0=$(dp_vlan_drops br)
dp_cannot_ping vm1 $IP3 || fail "vm1 (A) reached vm3 (B)"
dp_cannot_ping vm3 $IP2 || fail "vm3 (B) reached vm2 (A)"
v1=$(dp_vlan_drops br)
[ "$v1" -gt "$v0" ] || fail "VLAN drop counter did not grow ($v0 -> $v1)"
pass "A vs B: vm1 -/-> vm3, vm3 -/-> vm2 ($((v1 - v0)) frames dropped by the VLAN rule)"

# ---- move vm1 to B ----------------------------------------------------------------------
t0=$(now_ms)
vdpctl attach $VM1 network B >/dev/null || fail "move VM1 to B"
wait_for 10 "VM1 re-associated on B (type 6, VLAN 20)" at_bridge $VM1 6 20
wait_for 5 "vsi_ep = vm1/20 vm2/10 vm3/20" endpoints_are "$M1 20" "$M2 10" "$M3 20"
wait_for 10 "vm1 can no longer ping vm2" ping_fails vm1 $IP2
pass "vm1 moved to B: vm1 -> vm2 fails $(ms_to_s $(($(now_ms) - t0))) s after the attach"
v0=$(dp_vlan_drops br)
dp_cannot_ping vm1 $IP2 || fail "vm1 (B) reached vm2 (A) again"
dp_cannot_ping vm2 $IP1 || fail "vm2 (A) reached vm1 (B)"
v1=$(dp_vlan_drops br)
[ "$v1" -gt "$v0" ] || fail "VLAN drop counter did not grow ($v0 -> $v1)"
pass "B vs A: vm1 -/-> vm2, vm2 -/-> vm1 ($((v1 - v0)) more VLAN drops)"
assert_eq "$(dp_allowed br | tr '\n' ' ')" "$M1 $M2 $M3 " "vsi_macs: all three still associated"
wait_for 5 "vm1 pings vm3 (both on B)" dp_can_ping vm1 $IP3
pass "B: vm1 -> vm3 (${WAITED_MS} ms)"
dp_can_ping vm3 $IP1 || fail "vm3 -> vm1 on B"
pass "B: vm3 -> vm1"

# ---- and back to A ----------------------------------------------------------------------
t0=$(now_ms)
vdpctl attach $VM1 network A >/dev/null || fail "move VM1 back to A"
wait_for 10 "VM1 re-associated on A (type 5, VLAN 10)" at_bridge $VM1 5 10
wait_for 10 "vm1 pings vm2 again" dp_can_ping vm1 $IP2
pass "vm1 back on A: vm1 -> vm2 $(ms_to_s $(($(now_ms) - t0))) s after the attach"
dp_can_ping vm2 $IP1 || fail "vm2 -> vm1 after the move back"
dp_cannot_ping vm1 $IP3 || fail "vm1 (A again) reached vm3 (B)"
pass "A again: vm2 -> vm1, vm1 -/-> vm3"
endpoints_are "$M1 10" "$M2 10" "$M3 20" || fail "vsi_ep after the move back: $(dp_endpoints br | tr '\n' ,)"

# ---- detach vm1 -------------------------------------------------------------------------
vdpctl detach $VM1 >/dev/null || fail "detach VM1"
wait_for 10 "VM1 de-associated at the bridge" gone_from_bridge $VM1
wait_for 5 "vsi_ep = vm2/10 vm3/20" endpoints_are "$M2 10" "$M3 20"
assert_eq "$(dp_allowed br | tr '\n' ' ')" "$M2 $M3 " "vsi_macs without vm1"
wait_for 10 "vm1 can no longer ping vm2" ping_fails vm1 $IP2
d0=$(dp_drops br)
dp_cannot_ping vm1 $IP2 || fail "detached vm1 reached vm2"
dp_cannot_ping vm2 $IP1 || fail "vm2 reached detached vm1"
dp_cannot_ping vm1 $IP3 || fail "detached vm1 reached vm3"
d1=$(dp_drops br)
[ "$d1" -gt "$d0" ] || fail "drop counter did not grow ($d0 -> $d1)"
pass "vm1 detached: reaches nobody ($((d1 - d0)) more drops)"

# vdp-bridge removes its table when it stops.
stop "$BPID"
nsx br nft list table bridge "$DP_TABLE" >/dev/null 2>&1 && fail "table $DP_TABLE left after vdp-bridge stopped"
pass "vdp-bridge removed table $DP_TABLE on exit"

done_ok
