#!/bin/bash
# make soak, second part: the 20 % scenario side by side with Debian's
# lldpad as the station.  The same vdp-bridge (R 3, RTE 10, RKA 16:
# toutKeepAlive 1.09 s), SOAK_LLDPAD_N VSIs (default 32) made through the
# libvirt netlink protocol (vdp-nlclient -n, libvirt 9.0's messages), 20 %
# drop both ways for SOAK_LLDPAD_SECS (default 60), sampled each second; then
# the time until the bridge holds all again (at most 30 s).  Then the same
# for vdpd with the same VSIs through the same protocol (its lldpad-
# compatible netlink front).  lldpad sends one ECPDU per VSI and at most one
# per ackTimer (10.24 ms here), so even without loss it cannot keep more
# than about 64 VSIs alive at RKA 16: hence the small default.  Neither
# station has a libvirt here to re-associate VSIs the bridge ended: that is
# libvirt's job for netlink VSIs (vdpd heals only its own, see
# docs/reliability.md).  Prints both rows (also build/soak-lldpad.md).
. "$(dirname "$0")/../lib/netns.sh"
. "$T_ROOT/tests/lib/lldpad.sh"
. "$T_ROOT/tests/lib/vdpbridge.sh"
. "$T_ROOT/tests/lib/converge.sh"
require_root
require_cmd lldpad lldptool jq "$T_BUILD/vdpd" "$T_BUILD/vdp-bridge" "$T_BUILD/vdp-nlclient"

N=${SOAK_LLDPAD_N:-32}
SECS=${SOAK_LLDPAD_SECS:-60}
ROWS=()
BRIDGE_CONF='interfaces = [ "p0" ];
evb = { rka = 10; rte = 8; };
vdp = { max_vsis = 0; types = ( { name = "libvirt"; type_id = 1193047; version = 2; vlan = 10; } ); };
fault = { seed = 11; };'

# run_20 WHO: N VSIs on the bridge already; 20 % drop for SECS, one row.
run_20()
{
	local who=$1 t0 next a min=$N to0 to conv
	to0=$(cnum br_timeouts)
	vbr fault set drop 20 >/dev/null || fail "fault set drop 20"
	t0=$(now_ms) next=$t0
	while [ $(($(now_ms) - t0)) -lt $((SECS * 1000)) ]; do
		a=$(cnum br_assoc)
		[ "$a" -lt "$min" ] && min=$a
		next=$((next + 1000))
		while [ "$(now_ms)" -lt $next ]; do sleep 0.05; done
	done
	vbr fault clear >/dev/null
	t0=$(now_ms)
	conv="not within 30 s"
	while [ $(($(now_ms) - t0)) -lt 30000 ]; do
		if br_has $N; then conv="$(ms_to_s $(($(now_ms) - t0))) s"; break; fi
		sleep 0.1
	done
	to=$(($(cnum br_timeouts) - to0))
	ROWS+=("| $who, $N VSIs (netlink), 20 % drop both ways, $SECS s | $min / $(cnum br_assoc) | $to | $conv |")
	info "row: ${ROWS[-1]}"
}

# pid_in NS COMM: the pid of COMM in namespace NS
pid_in() { local p; for p in $(ip netns pids "$(nsname "$1")"); do [ "$(cat /proc/$p/comm 2>/dev/null)" = "$2" ] && echo "$p"; done; }

# ---- lldpad -------------------------------------------------------------------------
ns_add st
ns_add br
veth_add st eth0 br p0 02:00:00:00:aa:01 02:00:00:00:bb:01
vbr_start br "$BRIDGE_CONF"
lldpad_start st eth0 station ecprte=10 vdprka=16 vdprwd=20 ecpretries=3
lldpad_wait_evb st eth0 bridge
wait_for 10 "vdp-bridge EVB converged on p0" vbr_converged p0
lp=$(pid_in st lldpad)
[ -n "$lp" ] || fail "no lldpad process"
echo "$lp" >"$T_DIR/lldpad.pid"
nsx st "$T_BUILD/vdp-nlclient" -p "$T_DIR/lldpad.pid" -i eth0 -m 52:54:00:aa:00:01 -M 11 -T 1193047 -v 2 \
	-V 10 -u 09b11c53-8b5c-4eeb-8f00-d84eaa000001 -n $N -w 8 associate >"$T_DIR/lldpad-add.out" 2>&1 ||
	info "vdp-nlclient: $(tail -1 "$T_DIR/lldpad-add.out")"
wait_for 60 "bridge lists $N associated from lldpad" br_has $N
pass "lldpad: $N VSIs associated ($(tail -1 "$T_DIR/lldpad-add.out"))"
run_20 "lldpad (Debian)"
lldpad_stop st
stop "$VBR_PID"

# ---- vdpd, same VSIs, same protocol ----------------------------------------------------
ns_add host
ns_add br2
veth_add host eth0 br2 p0 02:00:00:00:aa:02 02:00:00:00:bb:02
vbr_start br2 "$BRIDGE_CONF"
cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "eth0"; evb = { rte = 10; rka = 16; }; lldp = { tx_interval = 2; }; } );
netlink = { lldpad_compat = true; pidfile = "$T_DIR/vdpd-nl.pid"; };
CONF
cv_start_vdpd
wait_for 5 "vdpd answers" vdpctl uplink show
converged() { [ "$(vdpctl -j uplink show | jq -r '.[0].converged')" = true ]; }
wait_for 10 "EVB negotiated" converged
wait_for 5 "vdpd's netlink pid file" test -s "$T_DIR/vdpd-nl.pid"
nsx host "$T_BUILD/vdp-nlclient" -p "$T_DIR/vdpd-nl.pid" -i eth0 -m 52:54:00:aa:00:01 -M 11 -T 1193047 -v 2 \
	-V 10 -u 09b11c53-8b5c-4eeb-8f00-d84eaa000001 -n $N -w 8 associate >"$T_DIR/vdpd-add.out" 2>&1 ||
	info "vdp-nlclient: $(tail -1 "$T_DIR/vdpd-add.out")"
wait_for 60 "bridge lists $N associated from vdpd" br_has $N
pass "vdpd: $N VSIs associated ($(tail -1 "$T_DIR/vdpd-add.out"))"
run_20 "vdpd"

{
	echo "20 % scenario, station side by side: R 3, RTE 10, RKA 16, $(nproc) CPUs, $(uname -r), $(date -u +%F)"
	echo
	echo "| station | VSIs at the bridge min / end | toutKeepAlive expiries | time to converge |"
	echo "| --- | --- | --- | --- |"
	printf '%s\n' "${ROWS[@]}"
} | tee "$T_BUILD/soak-lldpad.md"
done_ok
