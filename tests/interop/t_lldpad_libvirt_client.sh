#!/bin/bash
# vdp-nlclient (libvirt 9.0's 802.1Qbg messages, byte for byte) against
# Debian's lldpad as EVB station, with vdp-bridge as the bridge: lldpad
# takes our client's ASSOCIATE and DISASSOCIATE exactly as it takes
# libvirt's, and answers in the format our front copies (status in an
# NLMSG_DONE).  Evidence from the other side that the client is libvirt.
#
# Found here: when the bridge chose the VLAN for libvirt's VID 0, lldpad
# refuses libvirt's DISASSOCIATE (still VID 0) with -EINVAL ("vdp22_addreq:
# TODO mismatch filter data"), so `virsh destroy` leaves the VSI associated.
# vdpd de-associates (t_libvirt_lldpad_bugs I).
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lldpad.sh"
. "$(dirname "$0")/../lib/vdpbridge.sh"
require_root
require_cmd lldpad lldptool jq "$T_BUILD/vdp-bridge" "$T_BUILD/vdp-nlclient"

U1=09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f
U2=19b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f
M1=52:54:00:aa:bb:cc
M2=52:54:00:aa:bb:cd
ns_add st
ns_add br
veth_add st eth0 br p0 02:00:00:00:aa:01 02:00:00:00:bb:01
vbr_start br 'interfaces = [ "p0" ];
evb = { rte = 12; };
vdp = { types = ( { name = "libvirt"; type_id = 1193047; version = 2; vlan = 10; } ); };'
lldpad_start st eth0 station ecprte=14 vdprka=16 vdprwd=20
lldpad_wait_evb st eth0 bridge
wait_for 10 "vdp-bridge EVB converged on p0" vbr_converged p0

# lldpad runs with a private /run; its netlink port is its pid
lp=
for p in $(ip netns pids "$(nsname st)"); do
	[ "$(cat /proc/$p/comm 2>/dev/null)" = lldpad ] && lp=$p
done
[ -n "$lp" ] || fail "no lldpad process"
echo "$lp" >"$T_DIR/lldpad.pid"
nlc() { local u=$1 m=$2; shift 2; nsx st "$T_BUILD/vdp-nlclient" -p "$T_DIR/lldpad.pid" -i eth0 -m $m -M 11 -T 1193047 -v 2 -u $u "$@"; }
mode() { vbr_j ".[] | select(.vsiid == \"$1\") | .mode" vsi show; }

# ---- VLAN given (libvirt with a VLAN device in the chain): both directions work
nlc $U2 $M2 -V 10 associate >"$T_DIR/a2.out" 2>&1 || fail "associate via lldpad: $(tail -4 "$T_DIR/a2.out")"
pass "lldpad accepted the client's ASSOCIATE: $(grep '^status:' "$T_DIR/a2.out")"
on2() { [ "$(mode $U2)" = assoc ]; }
wait_for 5 "bridge has the VSI from lldpad" on2
nlc $U2 $M2 -V 10 disassociate >"$T_DIR/d2.out" 2>&1 || fail "disassociate via lldpad: $(tail -4 "$T_DIR/d2.out")"
gone2() { vbr_no_vsi $U2; }
wait_for 5 "bridge removed the VSI" gone2
pass "lldpad accepted the client's DISASSOCIATE: $(grep '^status:' "$T_DIR/d2.out")"

# ---- VID 0 (no VLAN device): the bridge picks VLAN 10; lldpad then refuses
nlc $U1 $M1 associate >"$T_DIR/a1.out" 2>&1 || fail "associate VID 0: $(tail -4 "$T_DIR/a1.out")"
on1() { [ "$(mode $U1)" = assoc ]; }
wait_for 5 "bridge has VSI 1" on1
rc=0
nlc $U1 $M1 disassociate >"$T_DIR/d1.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "lldpad refuses libvirt's DISASSOCIATE after a bridge-assigned VLAN"
grep -q "error during virtual port configuration of ifindex [0-9]*: Invalid argument" "$T_DIR/d1.out" ||
	fail "$(cat "$T_DIR/d1.out")"
wait_for 5 "lldpad logs its reason" grep -q "mismatch filter data" "${LLDPAD_LOG[st]}"
assert_eq "$(mode $U1)" assoc "the VSI stays associated on the bridge"

done_ok
