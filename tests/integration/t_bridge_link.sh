#!/bin/bash
# vdp-bridge's link handling through vdp/linkmon:
#  1. the port's link goes down: the port pauses (status link down, EVB no
#     longer converged); up again: LLDP restarts, EVB converges and VDP
#     works again (a new VSI is associated; what vdpd does with VSIs whose
#     keep-alives went unanswered while the link was down is its business,
#     t_vdpd_flap);
#  2. netlink overrun: with the bridge stopped (SIGSTOP) thousands of link
#     events (MTU changes) fill its socket, then p0 goes down; on SIGCONT the monitor
#     sees the overrun, re-reads every link (linkmon.resyncs) and the port
#     learns the link is down only from that dump; up again, it converges.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/vdpbridge.sh"

require_root
require_cmd ip jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

SOCK=$T_DIR/vdpd.sock
U=3c1d9a4e-6b2f-4e7a-8c5d-1f2e3a4b5c
vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }

ns_add host
ns_add br
veth_add host eth0 br p0 02:00:00:00:0c:01 02:00:00:00:0c:02
vbr_start br 'interfaces = [ "p0" ];
evb = { rka = 14; };
lldp = { tx_interval = 1; };
vdp = { types = ( { name = "web"; type_id = 5; vlan = 10; } ); };'
cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "eth0"; evb = { rka = 14; }; lldp = { tx_interval = 1; }; } );
CONF
bg host vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "$T_DIR/vdpd.pid" \
	-S "$T_DIR/state.json" "${VDPD_INTENTS[@]}"
wait_for 5 "vdpd answers" vdpctl uplink show
wait_for 5 "EVB converged at the bridge" vbr_converged p0
[ "$(vbr_j '.linkmon | type' status)" = object ] || fail "status has no linkmon counters"
# assoc NN: vdpd associates VSI NN, the bridge holds it.
assoc()
{
	vdpctl vsi add uplink eth0 mode assoc uuid "${U}$1" mgrid 0 typeid 5 typeidver 1 \
		filter mac "02:00:00:00:0d:$1" vid 0 >/dev/null || fail "associate VSI $1"
	wait_for 5 "VSI $1 associated at the bridge" vbr_has_vsi "${U}$1" assoc
}
assoc 01

port_link() { [ "$(vbr_j '.ports[0].link' status)" = "$1" ]; }
not_converged() { [ "$(vbr_j '.ports[0].converged' status)" = false ]; }

# ---- 1. link down / up ----------------------------------------------------------
changes=$(vbr_j '.linkmon.changes' status) || fail "no answer from the bridge for changes"
ip -n "$(nsname br)" link set p0 down || fail "p0 down"
wait_for 5 "bridge port p0 link down" port_link down
not_converged || fail "p0 still converged with its link down"
[ "$(vbr_j '.linkmon.changes' status)" -gt "$changes" ] || fail "no link change counted"
pass "link down: port paused (link down, EVB not converged) in $(ms_to_s "$WAITED_MS") s"
tx=$(vbr_j '.[0].lldp.tx_frames' uplink show) || fail "no answer from the bridge for tx"
ip -n "$(nsname br)" link set p0 up || fail "p0 up"
wait_for 5 "bridge port p0 link up" port_link up
wait_for 10 "EVB converged again after link up" vbr_converged p0
[ "$(vbr_j '.[0].lldp.tx_frames' uplink show)" -gt "$tx" ] || fail "no LLDPDU sent after link up"
assoc "02"
pass "link up: LLDP restarted, EVB converged, VSI 02 associated"

# ---- 2. overrun -> resync -------------------------------------------------------
BRNS=$(nsname br)
# MTU changes: one RTM_NEWLINK each, nothing for the kernel's link watch.
ip -n "$BRNS" link add fa type veth peer name fb || fail "veth fa/fb"
for i in $(seq 1 8000); do echo "link set fa mtu $((1000 + i % 500))"; done >"$T_DIR/flood"
resyncs=$(vbr_j '.linkmon.resyncs' status) || fail "no answer from the bridge for resyncs"
kill -STOP "$VBR_PID" || fail "SIGSTOP vdp-bridge"
ip -n "$BRNS" -b "$T_DIR/flood" >/dev/null || { kill -CONT "$VBR_PID"; fail "flood of link events"; }
# This event finds a full receive buffer: only the re-read can show it.
ip -n "$BRNS" link set p0 down || { kill -CONT "$VBR_PID"; fail "p0 down"; }
kill -CONT "$VBR_PID"
wait_for 20 "link monitor resynchronised after the overrun" \
	vbr_true ".linkmon.resyncs > $resyncs" status
wait_for 5 "p0 link down learnt from the re-read" port_link down
grep -q 'link: resync p0 (ifindex [0-9]*) down' "$T_DIR/bridge.log" ||
	fail "p0 was not reported down by the re-read"
pass "overrun: $(vbr_j '.linkmon.resyncs' status) resync(s), p0 down seen from the dump"
ip -n "$BRNS" link set p0 up || fail "p0 up"
wait_for 5 "bridge port p0 link up after the resync" port_link up
info "p0 up after the resync in $(ms_to_s "$WAITED_MS") s"
wait_for 10 "EVB converged after the resync" vbr_converged p0
assoc 03
pass "after the resync the port runs normally (VSI 03 associated)"
done_ok
