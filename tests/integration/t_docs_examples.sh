#!/bin/bash
# The examples of docs/registry.md and docs/libvirt.md run as written
# (tests/lib/docex.sh): the "$ " commands of their fenced blocks, in order,
# against vdpd and vdp-bridge in namespaces, configured with the document's
# own vdpd.conf blocks; every output the document shows is what they print.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/docex.sh"

require_root
require_cmd ip jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge" "$T_BUILD/vdp-nlclient"

SOCK=$T_DIR/vdpd.sock
BSOCK=$T_DIR/bridge.sock
PIDF=$T_DIR/lldpad.pid
vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
# the documents' libvirt side: vdp-nlclient in the host namespace, our pid file
vdp-nlclient() { nsx host "$T_BUILD/vdp-nlclient" -p "$PIDF" "$@"; }

ns_add host
ns_add br
veth_add host eth4 br p4 02:00:00:00:04:01 02:00:00:00:04:02
veth_add host eth5 br p5 02:00:00:00:05:01 02:00:00:00:05:02
# the VM NIC registry.md binds (what libvirt creates for <interface type='direct'>)
macvtap_add host eth4 macvtap0 52:54:00:00:00:01
cat >"$T_DIR/bridge.conf" <<CONF
interfaces = [ "p4", "p5" ];
vdp = { types = ( { name = "web"; type_id = 1193047; version = 2; } ); };
CONF
bg br bridge.log "$T_BUILD/vdp-bridge" -F -d -f "$T_DIR/bridge.conf" -s "$BSOCK"
BRIDGE=$BG_PID

# start_vdpd CONF: vdpd on eth4 and eth5 with CONF's groups
start_vdpd()
{
	"$T_BUILD/vdpd" -t -f "$1" >"$T_DIR/check.out" 2>&1 || { cat "$T_DIR/check.out"; fail "vdpd -t refuses $1"; }
	bg host vdpd.log "$T_BUILD/vdpd" -F -d -f "$1" -s "$SOCK" -p "$T_DIR/vdpd.pid" -S "$T_DIR/state.json" \
		"${VDPD_INTENTS[@]}"
	VDPD=$BG_PID
	wait_for 5 "vdpd answers" vdpctl uplink show
	wait_for 15 "EVB negotiated on eth4" sh -c "\"$T_BUILD/vdpctl\" -s \"$SOCK\" -j uplink show uplink eth4 |
		jq -e '.[0].converged' >/dev/null"
}

# ---- docs/registry.md: its vdpd.conf registry group, its commands ----------------------
{
	echo 'uplinks = ( { name = "eth4"; lldp = { tx_interval = 1; }; }, { name = "eth5"; lldp = { tx_interval = 1; }; } );'
	docex_block "$T_ROOT/docs/registry.md" 'name = "enterprise-xyz"'
} >"$T_DIR/registry.conf"
grep -q '^registry = {' "$T_DIR/registry.conf" || fail "no registry group in docs/registry.md's worked example"
start_vdpd "$T_DIR/registry.conf"
docex_extract "$T_ROOT/docs/registry.md" registry
docex_run registry
stop "$VDPD"

# ---- docs/libvirt.md: its uplinks and netlink groups (our pid file), its commands ------
docex_block "$T_ROOT/docs/libvirt.md" 'lldpad_compat = true' |
	sed "s|\"/var/run/lldpad.pid\"|\"$PIDF\"|; s|name = \"eth4\";|name = \"eth4\"; lldp = { tx_interval = 1; };|" \
		>"$T_DIR/libvirt.conf"
grep -q "pidfile = \"$PIDF\"" "$T_DIR/libvirt.conf" || fail "no netlink group in docs/libvirt.md"
rm -f "$T_DIR/state.json"
# libvirt's VLAN 0 asks the bridge to choose: this type's VLAN 100
stop "$BRIDGE"
sed -i 's/version = 2;/version = 2; vlan = 100;/' "$T_DIR/bridge.conf"
bg br bridge2.log "$T_BUILD/vdp-bridge" -F -d -f "$T_DIR/bridge.conf" -s "$BSOCK"
start_vdpd "$T_DIR/libvirt.conf"
wait_for 5 "vdpd wrote $PIDF" test -s "$PIDF"
docex_extract "$T_ROOT/docs/libvirt.md" libvirt
docex_run libvirt
done_ok
