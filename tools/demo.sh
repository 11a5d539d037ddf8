#!/bin/bash
# `make demo`: vdpd and vdp-bridge end to end in network namespaces, in
# under a minute.  Everything it creates is removed at the end, also on
# Ctrl-C or failure (tests/lib/netns.sh cleanup).
#
#   host namespace: vdpd on eth0 (the uplink), two VMs = macvlan VEPA
#                   interfaces on eth0, each in its own namespace
#   switch namespace: p0 (the other end of eth0) in Linux bridge br0 with
#                   hairpin (reflective relay), vdp-bridge on p0 driving an
#                   nftables filter: only MACs of associated VSIs pass
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
show() { printf '    $ %s\n' "$*"; "$@" 2>&1 | sed 's/^/    /'; }

for c in ip jq nft ping "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"; do
	command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] ||
		{ echo "demo: $c is missing (run make first)" >&2; exit 1; }
done

SOCK=$T_DIR/vdpd.sock
UPLINK_MAC=02:00:00:00:d0:01 SWITCH_MAC=02:00:00:00:d0:02
VM1_MAC=52:54:00:00:d1:01 VM2_MAC=52:54:00:00:d2:02
VM1_UUID=d1d1d1d1-0000-4000-8000-000000000001
VM2_UUID=d2d2d2d2-0000-4000-8000-000000000002
vdpctl() { ip netns exec "$(nsname host)" "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
bridgectl() { "$T_BUILD/vdp-bridge" -s "$T_DIR/bridge.sock" "$@"; }
t_start=$(now_ms)

say "Topology: namespace host (vdpd, uplink eth0) --veth-- namespace switch (p0 in br0, vdp-bridge)"
ns_add host
ns_add switch
veth_add host eth0 switch p0 $UPLINK_MAC $SWITCH_MAC
bridge_add switch br0 p0
vm_add host eth0 vm1 $VM1_MAC 10.99.0.1/24
vm_add host eth0 vm2 $VM2_MAC 10.99.0.2/24
echo "    vm1: macvlan (VEPA) on host/eth0, $VM1_MAC, 10.99.0.1, namespace $(nsname vm1)"
echo "    vm2: macvlan (VEPA) on host/eth0, $VM2_MAC, 10.99.0.2, namespace $(nsname vm2)"

say "Starting vdp-bridge on switch/p0 (VSI type 'web' = 5 v1, VLAN 100; data path on br0)"
vbr_start switch 'interfaces = [ "p0" ];
evb = { rka = 16; rte = 10; };
vdp = { types = ( { name = "web"; type_id = 5; version = 1; vlan = 100; } ); };
datapath = { enable = true; bridge = "br0"; };'
say "Starting vdpd on host/eth0"
cat >"$T_DIR/vdpd.conf" <<'CONF'
# The demo's vdpd.conf (see vdpd.conf(5))
global = { mgrid = "demo"; };
uplinks = ( { name = "eth0"; evb = { rte = 10; rka = 16; }; lldp = { tx_interval = 2; }; } );
CONF
sed 's/^/    /' "$T_DIR/vdpd.conf"
bg host vdpd.log "$T_BUILD/vdpd" -F -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "" -S "$T_DIR/state.json" "${VDPD_INTENTS[@]}"
wait_for 5 "vdpd answers on its socket" vdpctl uplink show
converged() { [ "$(vdpctl -j uplink show | jq -r '.[0].converged')" = true ]; }
wait_for 10 "EVB negotiated" converged
say "EVB negotiated after ${WAITED_MS} ms; the station's view of the switch:"
show vdpctl neighbor show

dp_ready() { [ "$(bridgectl -j datapath show | jq -r .synced)" = true ]; }
wait_for 10 "vdp-bridge data path ready" dp_ready
say "No VM associated yet: the switch drops their frames (vm1 -> vm2 ping)"
if dp_cannot_ping vm1 10.99.0.2; then echo "    ping 10.99.0.2 from vm1: no answer (as expected)"
else fail "vm1 reached vm2 without any association"; fi

say "Associating vm1 and vm2 (VID 0: the switch chooses the VLAN)"
for vm in 1 2; do
	eval "mac=\$VM${vm}_MAC uuid=\$VM${vm}_UUID"
	show vdpctl vsi add uplink eth0 mode assoc uuid "$uuid" typeid 5 typeidver 1 \
		filter mac "$mac" vid 0 || fail "association of vm$vm refused"
done

say "The station's view (vdpctl vsi show)"
show vdpctl vsi show
say "The switch's view (vdp-bridge vsi show)"
show bridgectl vsi show
in_set() { dp_allowed switch | grep -qx "$1"; }
wait_for 5 "switch data path admits vm1" in_set $VM1_MAC
wait_for 5 "switch data path admits vm2" in_set $VM2_MAC
say "The switch's data path: MACs allowed through br0"
dp_allowed switch | sed 's/^/    /'

say "Ping vm1 -> vm2 through the switch (VEPA: out to the switch, hairpinned back)"
wait_for 5 "vm1 reaches vm2" dp_can_ping vm1 10.99.0.2
echo "    vm1\$ ping -c 3 10.99.0.2"
nsx vm1 ping -c 3 -i 0.2 -W 1 10.99.0.2 2>&1 | sed 's/^/    /' || fail "ping vm1 -> vm2"

say "De-associating vm2"
show vdpctl vsi del uplink eth0 uuid $VM2_UUID || fail "de-association of vm2"
gone() { ! in_set $VM2_MAC; }
wait_for 5 "switch data path drops vm2" gone
say "Both views again"
show vdpctl vsi show
show bridgectl vsi show
say "vm2 is cut off: ping vm1 -> vm2"
if dp_cannot_ping vm1 10.99.0.2; then echo "    no answer (vm2's frames are dropped at the switch: $(dp_drops switch) dropped so far)"
else fail "vm1 still reaches vm2 after vm2's de-association"; fi

say "Done in $(ms_to_s $(($(now_ms) - t_start))) s; removing namespaces and processes"
exit 0
