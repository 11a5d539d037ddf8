# tests/lib/nlfront.sh: set-up shared by the tests/integration/t_libvirt_*.sh
# tests (sourced after netns.sh): vdpd with the lldpad-compatible netlink
# front in namespace "host" on eth0, vdp-bridge in namespace "br" on p0, and
# vdp-nlclient (libvirt's side, byte for byte) run inside "host".
#
#   nlf_config [NETLINK_SETTINGS]  writes vdpd.conf / bridge.conf
#   nlf_start_vdpd / nlf_start_bridge / nlf_wait_converged
#   nlc ARGS...                    vdp-nlclient in "host" against our pid file
#   nlf_stat KEY                   a counter of the netlink front (vdpctl stats)

require_root
require_cmd ip jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge" "$T_BUILD/vdp-nlclient"

SOCK=$T_DIR/vdpd.sock
BSOCK=$T_DIR/bridge.sock
PIDF=$T_DIR/lldpad.pid
# libvirt's <virtualport type='802.1Qbg'> of the reference experiment
MGR=11
TYPEID=1193047
TYPEVER=2
TYPEVLAN=100

vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
bridgectl() { "$T_BUILD/vdp-bridge" -s "$BSOCK" "$@"; }
nlc() { nsx host "$T_BUILD/vdp-nlclient" -p "$PIDF" "$@"; }
# nlc_vm UUID MAC ARGS...: the client for one "VM"
nlc_vm() { local u=$1 m=$2; shift 2; nlc -i eth0 -m "$m" -M $MGR -T $TYPEID -v $TYPEVER -u "$u" "$@"; }

nlf_config()
{
	cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "eth0"; evb = { rte = ${NLF_RTE:-10}; rka = ${NLF_RKA:-16}; }; lldp = { tx_interval = 1; }; } );
netlink = { lldpad_compat = true; pidfile = "$PIDF"; $1 };
CONF
	cat >"$T_DIR/bridge.conf" <<CONF
interfaces = [ "p0" ];
vdp = { types = ( { name = "libvirt"; type_id = $TYPEID; version = $TYPEVER; vlan = $TYPEVLAN; } ); };
CONF
}

nlf_netns()
{
	ns_add host
	ns_add br
	veth_add host eth0 br p0 02:00:00:00:00:01 02:00:00:00:00:02
}

nlf_start_vdpd()
{
	local state=(-S "$T_DIR/state.json")

	# A test that configures registry.state_dir (inside $T_DIR) checks it.
	grep -q 'state_dir' "$T_DIR/vdpd.conf" && state=()
	bg host vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "$T_DIR/vdpd.pid" \
		"${state[@]}" "${VDPD_INTENTS[@]}"
	VDPD=$BG_PID
	wait_for 5 "vdpd answers on its socket" vdpctl uplink show
	wait_for 5 "vdpd wrote $PIDF" test -s "$PIDF"
}

nlf_start_bridge()
{
	bg br bridge.log "$T_BUILD/vdp-bridge" -F -d -f "$T_DIR/bridge.conf" -s "$BSOCK"
	BRIDGE=$BG_PID
}

nlf_converged() { [ "$(json_q '.[0].converged' vdpctl -j uplink show)" = true ]; }
nlf_wait_converged() { wait_for 15 "EVB negotiated on eth0" nlf_converged; }

# nlf_setup [NETLINK_SETTINGS]: everything up and converged.
nlf_setup()
{
	nlf_netns
	nlf_config "$1"
	nlf_start_vdpd
	nlf_start_bridge
	nlf_wait_converged
}

# bridge_mode UUID: the VSI's mode on the bridge ("" if unknown; status 2
# if the bridge gave no JSON answer)
bridge_mode() { json_q ".[] | select(.vsiid == \"$1\") | .mode" bridgectl -j vsi show; }
# bridge_gone UUID: the bridge answered and does not list UUID
bridge_gone() { json_none ".[] | select(.vsiid == \"$1\")" bridgectl -j vsi show; }
