#!/bin/bash
# `make demo`: the whole story of vdpd in network namespaces, in under a
# minute.  Everything it creates is removed at the end, also on Ctrl-C or
# failure (tests/lib/netns.sh cleanup).
#
#   host namespace: vdpd on eth0 (the uplink); vm1 and vm2 are macvlan
#                   interfaces in VEPA mode on eth0, each in its own namespace
#   switch namespace: p0 (the other end of eth0) in Linux bridge br0 with
#                   hairpin (reflective relay), vdp-bridge on p0 driving an
#                   nftables filter: only associated MACs pass, each in the
#                   VLAN its association gave it
#
# The story: a profile and two networks in vdpd's registry, two VMs attached
# (the tenant's side) and bound (the hypervisor's side), associated at the
# switch; they ping each other; vm2 is moved to the other network with one
# command and the switch follows, without the hypervisor.
#
# Options: DEMO_KEEP=1 keeps the logs (in /tmp/vdpt.demo.*).
T_NAME=demo
T_PREFIX=demo$$-
T_KEEP=${DEMO_KEEP:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "demo: needs root (it creates network namespaces): sudo make demo" >&2
	exit 1
fi
. "$ROOT/tests/lib/netns.sh"
. "$ROOT/tests/lib/vdpbridge.sh"
. "$ROOT/tests/lib/datapath.sh"
# The harness says "ok"/"PASS" as for a test; the demo narrates instead.
pass() { :; }
say() { printf '\n==> %s\n' "$*"; }
gloss() { printf '    (%s)\n' "$*"; }
show() { printf '    $ %s\n' "$*"; "$@" 2>&1 | sed 's/^/    /'; }

for c in ip jq nft ping "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"; do
	command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] ||
		{ echo "demo: $c is missing (run make first)" >&2; exit 1; }
done

SOCK=$T_DIR/vdpd.sock
UPLINK_MAC=02:00:00:00:d0:01 SWITCH_MAC=02:00:00:00:d0:02
VM1_MAC=52:54:00:00:d1:01 VM2_MAC=52:54:00:00:d2:02
VM1=d1d1d1d1-0000-4000-8000-000000000001
VM2=d2d2d2d2-0000-4000-8000-000000000002
vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
bridgectl() { "$T_BUILD/vdp-bridge" -s "$T_DIR/bridge.sock" "$@"; }
t_start=$(now_ms)

say "Topology: namespace host (vdpd, uplink eth0) --veth-- namespace switch (p0 in br0, vdp-bridge)"
ns_add host
ns_add switch
veth_add host eth0 switch p0 $UPLINK_MAC $SWITCH_MAC
bridge_add switch br0 p0
vm_add host eth0 vm1 $VM1_MAC 10.99.0.1/24
vm_add host eth0 vm2 $VM2_MAC 10.99.0.2/24
echo "    vm1: $VM1_MAC 10.99.0.1 and vm2: $VM2_MAC 10.99.0.2, one IP subnet:"
echo "    only the switch can keep them apart"
gloss "VEPA: the host does not switch between its VMs; every frame goes out to the switch, which"
gloss "sends it back down the same port when it is for a neighbour: reflective relay, or hairpin"

say "The switch: vdp-bridge knows one port profile, VSI type 5 version 4 ('web')"
vbr_start switch 'interfaces = [ "p0" ];
evb = { rka = 16; rte = 10; };
vdp = { types = ( { name = "web"; type_id = 5; version = 4; } ); };
datapath = { enable = true; bridge = "br0"; };'

say "The host: vdpd with a registry of one profile and two networks"
cat >"$T_DIR/vdpd.conf" <<'CONF'
# The demo's vdpd.conf (see vdpd.conf(5))
uplinks = ( { name = "eth0"; evb = { rte = 10; rka = 16; }; lldp = { tx_interval = 2; }; } );
registry = {
	policy = "off";
	profiles = ( { name = "web"; type = "802.1Qbg"; mgrid = 11; typeid = 5; typeidver = 4; } );
	uplinks = ( { dev = "eth0"; physnet = "datacenter"; mode = "vepa"; } );
	networks = (
		{ name = "blue"; physnet = "datacenter"; profile = "web"; vlan = 10; },
		{ name = "green"; physnet = "datacenter"; profile = "web"; vlan = 20; }
	);
};
CONF
sed 's/^/    /' "$T_DIR/vdpd.conf"
gloss "a profile is what the switch applies to a VM NIC (here the VSI type 5 v4); a network"
gloss "is a profile on a physical network with a VLAN; 'datacenter' is what eth0 reaches"
bg host vdpd.log "$T_BUILD/vdpd" -F -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "" -S "$T_DIR/registry.json" \
	"${VDPD_INTENTS[@]}"
wait_for 5 "vdpd answers on its socket" vdpctl uplink show
converged() { [ "$(json_get "$(vdpctl -j uplink show)" '.[0].converged')" = true ]; }
wait_for 10 "EVB negotiated" converged
say "vdpd and the switch agreed on EVB over LLDP after ${WAITED_MS} ms; the station's view:"
show vdpctl neighbor show
gloss "EVB: the LLDP TLV in which station and bridge agree on how VDP runs; R = ECP retries,"
gloss "RTE = ECP retransmission timer exponent, RWD = resource wait delay and RKA ="
gloss "keep-alive exponent (a period of 10 us x 2^N); rrcap/rrctr = reflective relay capable/on"

dp_ready() { [ "$(json_get "$(bridgectl -j datapath show)" .synced)" = true ]; }
wait_for 10 "vdp-bridge data path ready" dp_ready

say "The tenant attaches both NICs to network blue (the logical attachment)"
show vdpctl attachment add $VM1 network blue || fail "attach vm1"
show vdpctl attachment add $VM2 network blue || fail "attach vm2"
gloss "pending: nothing to ask the switch until the hypervisor binds the NIC to an uplink"
show vdpctl registry resolve $VM1 xml
gloss "what libvirt is told to use for this interface: source dev and <virtualport>"
say "The hypervisor plugs them in (the edge binding; libvirt's hooks do this with vdpctl registry hook)"
show vdpctl binding add $VM1 dev macvtap0 mac $VM1_MAC uplink eth0 || fail "bind vm1"
show vdpctl binding add $VM2 dev macvtap1 mac $VM2_MAC uplink eth0 || fail "bind vm2"
gloss "attachment + binding = a VSI (Virtual Station Interface): vdpd sends a VDP Associate;"
gloss "vdpctl returns with the switch's answer (a refusal would exit 1 with the bridge's reason)"

at_bridge() { [ "$(json_get "$(bridgectl -j vsi show)" \
	"[.[] | select(.vsiid == \"$1\" and .mode == \"assoc\") | .filters[0].vid] | .[0] // 0")" = "$2" ]; }
wait_for 10 "vm1 associated at the switch in VLAN 10" at_bridge $VM1 10
wait_for 10 "vm2 associated at the switch in VLAN 10" at_bridge $VM2 10
say "Both views: the station's (vdpd) and the switch's (vdp-bridge)"
show vdpctl vsi show
show bridgectl vsi show
gloss "assoc: associated, the switch applies the profile to the frames the filter names: MAC + VLAN"
gloss "WAIT_SYSCMD / WAITCMD: the station's and the bridge's VDP state machines, idle until the"
gloss "next command; keep-alives: the station repeats each Associate every RKA period"

say "vm1 pings vm2: out to the switch, hairpinned back, both in VLAN 10"
wait_for 5 "vm1 reaches vm2" dp_can_ping vm1 10.99.0.2
echo "    vm1\$ ping -c 3 10.99.0.2"
nsx vm1 ping -c 3 -i 0.2 -W 1 10.99.0.2 2>&1 | sed 's/^/    /' || fail "ping vm1 -> vm2"

say "The tenant moves vm2 to network green: one command, the hypervisor is not involved"
show vdpctl attachment add $VM2 network green || fail "move vm2"
wait_for 10 "vm2 re-associated at the switch in VLAN 20" at_bridge $VM2 20
echo "    vm2 re-associated in VLAN 20 at the switch"
show bridgectl vsi show
gloss "the same VSI (its id is the interface id) associated again with the new network's VLAN"
say "vm1 (blue) no longer reaches vm2 (green)"
if dp_cannot_ping vm1 10.99.0.2; then
	echo "    no answer: the switch drops frames between VLAN 10 and VLAN 20 ($(dp_vlan_drops switch) so far)"
else
	fail "vm1 still reaches vm2 across networks"
fi

say "The tenant moves vm1 to green as well: connectivity follows the network"
show vdpctl attachment add $VM1 network green || fail "move vm1"
wait_for 10 "vm1 re-associated at the switch in VLAN 20" at_bridge $VM1 20
wait_for 5 "vm1 reaches vm2 in green" dp_can_ping vm1 10.99.0.2
echo "    vm1\$ ping -c 3 10.99.0.2"
nsx vm1 ping -c 3 -i 0.2 -W 1 10.99.0.2 2>&1 | sed 's/^/    /' || fail "ping vm1 -> vm2 in green"

say "Done in $(ms_to_s $(($(now_ms) - t_start))) s; removing namespaces and processes"
exit 0
