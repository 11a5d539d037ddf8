# tests/lib/fleet.sh: hosts of the fleet registry's tests, sourced after
# netns.sh and etcd.sh (the cluster runs in namespace "fleet").
#
#   host_setup H N [MAX]  namespace hostH: eth0 to brH (a vdp-bridge on p0 that
#                         knows typeids 1193047 (VLAN 100) and 42 (200, 300),
#                         MAX VSIs, 0 = no limit), fl0 to the cluster at
#                         10.77.N.1; vdpdH.conf with backend "etcd", host host-H
#   start_vdpd H TAG      vdpd of host H (log vdpdH.TAG.log), VDPD_H its pid
#   vd H ARGS...          vdpctl on host H's socket
#   br H ARGS...          vdp-bridge's control on bridge H
#   br_assoc H            how many VSIs bridge H holds associated

# host H (a|b): namespace hostH with eth0 to brH (vdp-bridge on p0) and
# fl0 to the etcd namespace (10.77.N.0/24)
host_setup()
{
	local h=$1 n=$2
	ns_add "host$h"
	ns_add "br$h"
	veth_add "host$h" eth0 "br$h" p0
	veth_add "host$h" fl0 fleet "fl$h"
	ip -n "$(nsname "host$h")" addr add "10.77.$n.2/24" dev fl0 || fail "addr host$h"
	ip -n "$(nsname fleet)" addr add "10.77.$n.1/24" dev "fl$h" || fail "addr fleet/fl$h"
	cat >"$T_DIR/bridge$h.conf" <<CONF
interfaces = [ "p0" ];
vdp = { max_vsis = ${3:-0}; types = ( { name = "ent"; type_id = 1193047; version = 2; vlans = [ 100 ]; },
                  { name = "web"; type_id = 42; version = 1; vlans = [ 200, 300 ]; } ); };
CONF
	bg "br$h" "bridge$h.log" "$T_BUILD/vdp-bridge" -F -d -f "$T_DIR/bridge$h.conf" -s "$T_DIR/br$h.sock"
	cat >"$T_DIR/vdpd$h.conf" <<CONF
uplinks = ( { name = "eth0"; evb = { rka = 20; }; lldp = { tx_interval = 1; }; } );
registry = {
	backend = "etcd";
	endpoints = [ $(etcd_eps "10.77.$n.1" | sed 's/[^,]*/"&"/g; s/,/, /g') ];
	prefix = "/t";
	host = "host-$h";
};
CONF
}
start_vdpd()
{
	bg "host$1" "vdpd$1.$2.log" "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd$1.conf" -s "$T_DIR/vdpd$1.sock" \
		-p "$T_DIR/vdpd$1.pid" -S "$T_DIR/reg$1.json" -i "$T_DIR/vsis$1.json"
	eval "VDPD_$1=$BG_PID"
	wait_for 10 "vdpd $1 answers" nsx "host$1" "$T_BUILD/vdpctl" -s "$T_DIR/vdpd$1.sock" uplink show
}
vd() { local h=$1; shift; nsx "host$h" "$T_BUILD/vdpctl" -s "$T_DIR/vdpd$h.sock" "$@"; }
br() { local h=$1; shift; nsx "br$h" "$T_BUILD/vdp-bridge" -s "$T_DIR/br$h.sock" "$@"; }
br_assoc() { json_q .vsis_associated br "$1" -j status; }
