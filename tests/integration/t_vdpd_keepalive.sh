#!/bin/bash
# vdpd keep-alives (802.1Qbg 41.5.5: the current request sent again
# reinitKeepAlive = 10 us x 2^RKA after the last confirmed response)
# measured on the wire at the bridge with tcpdump + tshark, for RKA 15
# (327.68 ms) and, after a SIGHUP reload, RKA 16 (655.36 ms).  No interval
# may be shorter than the timer (so the reload took effect: a bound a loaded
# machine cannot break); how much longer is printed, not asserted (the
# period itself is pinned with a fake clock by test_vdp_station_timers'
# test_keepalive_timing); the bridge's per-VSI counter must follow and the
# bridge never times the VSI out.
. "$(dirname "$0")/../lib/netns.sh"
. "$T_ROOT/tests/lib/vdpbridge.sh"

require_root
require_cmd ip jq tcpdump tshark "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

SOCK=$T_DIR/vdpd.sock
ST_MAC=02:00:00:00:03:01
U=55555555-0000-4000-8000-000000000001
N=10		# intervals measured per RKA
vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }

ns_add host
ns_add br
veth_add host eth0 br p0 $ST_MAC 02:00:00:00:03:02
# The keep-alive spread is off: this test pins the timer itself (with it on,
# a VSI's keep-alives come up to keepalive_spread_pct sooner; its bounds are
# pinned with a fake clock by test_vdp_station_timers' test_keepalive_spread).
conf() {
	printf 'global = { keepalive_spread_pct = 0; };\n' >"$T_DIR/vdpd.conf"
	printf 'uplinks = ( { name = "eth0"; evb = { rte = 10; rka = %d; }; lldp = { tx_interval = 2; }; } );\n' "$1" >>"$T_DIR/vdpd.conf"
}
conf 15
# The bridge offers a smaller RKA, so the station's value is the operative one.
vbr_start br 'interfaces = [ "p0" ];
evb = { rka = 10; rte = 8; };
vdp = { types = ( { name = "web"; type_id = 5; version = 4; vlan = 10; } ); };'
bg host vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "" -S "$T_DIR/state.json" "${VDPD_INTENTS[@]}"
VDPD=$BG_PID
wait_for 5 "vdpd answers on its socket" vdpctl uplink show
converged() { [ "$(vdpctl -j uplink show | jq -r '.[0].converged')" = true ]; }
wait_for 10 "EVB negotiated on eth0" converged
vdpctl vsi add uplink eth0 mode assoc uuid $U typeid 5 typeidver 4 \
	filter mac 52:54:00:00:03:01 vid 0 >"$T_DIR/add.out" 2>&1 || fail "assoc: $(cat "$T_DIR/add.out")"

# measure RKA: capture N+1 keep-alives, check the N intervals.
measure()
{
	local rka=$1 want_us=$((10 * (1 << $1))) ka0 f=$T_DIR/ka$1.pcap
	assert_eq "$(vdpctl -j neighbor show | jq -r '.[0].negotiated.rka')" "$rka" "negotiated RKA"
	capture br p0 "$f" ether proto 0x8940
	ka0=$(vbr_vsi $U .keepalives) || fail "no answer from the bridge for ka0"
	more() { [ "$(vbr_vsi $U .keepalives)" -ge $((ka0 + N + 2)) ]; }
	wait_for $((N * want_us / 1000000 + 10)) "$((N + 2)) keep-alives at RKA $rka" more
	capture_stop
	# Associate requests from the station (op 0 = ECP request, TLV type 3).
	tshark -r "$f" -Y "eth.src == $ST_MAC && ecp.op == 0 && vdp21.tlvtype == 3" \
		-T fields -e frame.time_epoch >"$T_DIR/ka$1.times" 2>/dev/null ||
		fail "tshark on $f"
	awk -v want="$want_us" -v n="$N" '
		{ t[NR] = $1 }
		END {
			if (NR < n + 1) { printf "only %d keep-alives captured\n", NR; exit 1 }
			min = 1e18; max = 0; sum = 0; k = 0
			for (i = NR - n + 1; i <= NR; i++) {
				d = (t[i] - t[i-1]) * 1e6; sum += d; k++
				if (d < min) min = d; if (d > max) max = d
			}
			printf "%d intervals: mean %.2f ms, min %.2f ms, max %.2f ms (timer %.2f ms)\n",
				k, sum / k / 1000, min / 1000, max / 1000, want / 1000
			if (min < want - 1000) exit 1
		}' "$T_DIR/ka$1.times" >"$T_DIR/ka$1.res" || fail "RKA $rka intervals: $(cat "$T_DIR/ka$1.res")"
	pass "RKA $rka: $(cat "$T_DIR/ka$1.res")"
	assert_eq "$(vbr_counter '.ports[0].bridge.timeouts')" 0 "RKA $rka: bridge keep-alive timeouts"
}

measure 15
conf 16
kill -HUP $VDPD
rka16() { [ "$(vdpctl -j neighbor show | jq -r '.[0].negotiated.rka')" = 16 ]; }
wait_for 10 "RKA 16 negotiated after reload" rka16
measure 16
assert_eq "$(vbr_counter '.ports[0].bridge.timeouts')" 0 "bridge keep-alive timeouts"
assert_eq "$(vdpctl -j vsi show id $U | jq -r '.[0].state')" assoc "VSI still associated"
done_ok
