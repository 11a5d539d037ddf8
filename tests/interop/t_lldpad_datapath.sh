#!/bin/bash
# VDP deciding the data path: two VEPA VMs (macvlan mode vepa) on the station
# uplink, lldpad associating their MACs with vdptool, vdp-bridge driving the
# nftables set of a Linux bridge whose station port reflects frames (hairpin).
# The VMs reach each other only while both are associated.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lldpad.sh"
. "$(dirname "$0")/../lib/vdpbridge.sh"
. "$(dirname "$0")/../lib/datapath.sh"
require_root
require_cmd lldpad vdptool nft jq ping "$T_BUILD/vdp-bridge"

M1=02:00:00:00:01:01 M2=02:00:00:00:01:02
U1=a1412857-60f7-4ce1-e95a-2164943f53d1
U2=a1412857-60f7-4ce1-e95a-2164943f53d2
ns_add st
ns_add br
veth_add st eth0 br p0 02:00:00:00:aa:01 02:00:00:00:bb:01
bridge_add br br0 p0
vm_add st eth0 vm1 $M1 10.9.0.1/24
vm_add st eth0 vm2 $M2 10.9.0.2/24

vbr_start br 'interfaces = [ "p0" ];
evb = { rka = 16; };
vdp = { types = ( { name = "web"; type_id = 4711; version = 3; vlan = 10; } ); };
datapath = { enable = true; bridge = "br0"; };'
dp_ready() { [ "$(vbr_j .ready datapath show)" = true ]; }
wait_for 5 "vdp-bridge data path ready" dp_ready
assert_eq "$(dp_hairpin br p0)" on "hairpin on p0 (set by vdp-bridge)"
assert_eq "$(dp_allowed br | wc -l)" 0 "no MAC allowed before any association"

lldpad_start st eth0 station
lldpad_wait_evb st eth0 bridge

dp_cannot_ping vm1 10.9.0.2 || fail "vm1 reached vm2 before any association"
pass "no association: vm1 cannot reach vm2 ($(dp_drops br) frames dropped)"

allowed_is() { [ "$(dp_allowed br | tr '\n' ' ')" = "$*" ]; }

vdp_req st eth0 assoc mgr1 4711 3 $U1 0-$M1 || fail "assoc vm1: $VDP_OUT"
wait_for 5 "vsi_macs = vm1" allowed_is "$M1 "
pass "vm1 associated: set is {vm1} after ${WAITED_MS} ms"
dp_cannot_ping vm1 10.9.0.2 || fail "vm1 reached vm2 with only vm1 associated"
pass "only vm1 associated: no path"

vdp_req st eth0 assoc mgr1 4711 3 $U2 0-$M2 || fail "assoc vm2: $VDP_OUT"
wait_for 5 "vsi_macs = vm1 vm2" allowed_is "$M1 $M2 "
pass "vm2 associated: set is {vm1, vm2} after ${WAITED_MS} ms"
wait_for 5 "vm1 pings vm2" dp_can_ping vm1 10.9.0.2
pass "both associated: vm1 -> vm2 through the hairpin"
dp_can_ping vm2 10.9.0.1 || fail "vm2 -> vm1 with both associated"
pass "both associated: vm2 -> vm1"

vdp_req st eth0 deassoc mgr1 4711 3 $U2 10-$M2 || fail "deassoc vm2: $VDP_OUT"
wait_for 5 "vsi_macs = vm1" allowed_is "$M1 "
pass "vm2 de-associated: set is {vm1} after ${WAITED_MS} ms"
d0=$(dp_drops br)
dp_cannot_ping vm1 10.9.0.2 || fail "vm1 still reaches vm2 after vm2 was de-associated"
pass "vm2 de-associated: no path ($(($(dp_drops br) - d0)) more drops)"

# vdp-bridge removes its table when it stops.
stop "$VBR_PID"
nsx br nft list table bridge vdp_bridge >/dev/null 2>&1 && fail "table vdp_bridge left after vdp-bridge stopped"
pass "vdp-bridge removed table vdp_bridge on exit"

done_ok
