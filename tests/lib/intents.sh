# tests/lib/intents.sh: set-up shared by the t_vdpd_intents_*.sh tests
# (sourced after netns.sh): vdpd on host/eth0 keeping its VSI intents in
# $INTENTS (set it before sourcing; default $T_DIR/vsis.json), vdp-bridge on
# br/p0 admitting type 5 version 4 on VLAN 10.
#
#   intents_pair          namespaces, veth, configs; vdp-bridge started
#   start_vdpd NAME       vdpd, log vdpd.NAME.log, pid in VDPD; waits for its socket
#   wait_converged        EVB converged on eth0
#   add_line N            the vsi add arguments of VSI N (uuid_of N, mac_of_vsi N)
#   bridge_has N          the bridge holds N associated VSIs
#   bridge_forget         the bridge forgets every VSI (fault "restart") and
#                         answers that it holds none: while vdpd is down, so
#                         "bridge holds N after the restart" can only come
#                         from the restarted vdpd's requests (the bridge's
#                         toutKeepAlive outlives kill -9 + restart)

require_root
require_cmd ip jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

SOCK=$T_DIR/vdpd.sock
BSOCK=$T_DIR/bridge.sock
INTENTS=${INTENTS:-$T_DIR/vsis.json}
JOURNAL=$INTENTS.journal
vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
bridgectl() { "$T_BUILD/vdp-bridge" -s "$BSOCK" "$@"; }
uuid_of() { printf 'd0000000-0000-4000-8000-%012x' "$1"; }
mac_of_vsi() { printf '52:54:00:%02x:%02x:%02x' $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); }
add_line() { echo "vsi add uplink eth0 mode assoc uuid $(uuid_of "$1") typeid 5 typeidver 4 filter mac $(mac_of_vsi "$1") vid 10"; }
bridge_assoc() { json_q '[.[] | select(.mode == "assoc")] | length' bridgectl -j vsi show; }
bridge_has() { [ "$(bridge_assoc)" = "$1" ]; }
bridge_forget()
{
	bridgectl restart >/dev/null || fail "bridge restart (forget every VSI)"
	answer __j bridgectl -j vsi show
	assert_eq "$(json_get "$__j" length)" 0 "bridge holds no VSI while vdpd is down"
}

intents_pair()
{
	ns_add host
	ns_add br
	veth_add host eth0 br p0 02:00:00:00:00:01 02:00:00:00:00:02
	cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "eth0"; evb = { rka = 20; }; lldp = { tx_interval = 1; }; } );
CONF
	cat >"$T_DIR/bridge.conf" <<CONF
interfaces = [ "p0" ];
vdp = { types = ( { name = "web"; type_id = 5; version = 4; vlans = [ 10 ]; } ); };
CONF
	bg br bridge.log "$T_BUILD/vdp-bridge" -F -d -f "$T_DIR/bridge.conf" -s "$BSOCK"
}

start_vdpd()
{
	bg host "vdpd.$1.log" "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "$T_DIR/vdpd.pid" \
		-S "$T_DIR/state.json" -i "$INTENTS"
	VDPD=$BG_PID
	wait_for 5 "vdpd ($1) answers" vdpctl uplink show
}

converged() { [ "$(json_q '.[0].converged' vdpctl -j uplink show)" = true ]; }
wait_converged() { wait_for 10 "EVB converged" converged; }
