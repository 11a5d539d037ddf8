#!/bin/bash
# Uplink flap longer than the bridge's toutKeepAlive (802.1Qbg 41.5.6), the
# race forced: the link stays down until the bridge has timed out every VSI,
# so its unsolicited De-Associates wait for the link and leave when it comes
# back, crossing vdpd's re-associations (which the bridge admits as new
# VSIs).  vdpd must treat them as stale and let the responses decide.
# Observed: the bridge sent De-Associates after link up, vdpd counted them in
# bridge_deassoc_stale (>= 1: the race happened) and ended none
# (bridge_deassoc 0), all VSIs associated at both ends.
# Before the fix: 42 of 100 VSIs ended at vdpd, 100 associated at the bridge.
. "$(dirname "$0")/../lib/netns.sh"
. "$T_ROOT/tests/lib/vdpbridge.sh"

require_root
require_cmd ip jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

SOCK=$T_DIR/vdpd.sock
N=100
RKA=16	# keep-alive 655 ms, bridge toutKeepAlive 1.09 s (RTE 10, R 3)
vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
uuid_of() { printf '78787878-0000-4000-8000-%012x' "$1"; }

ns_add host
ns_add br
veth_add host eth0 br p0 02:00:00:00:06:01 02:00:00:00:06:02
cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "eth0"; evb = { rte = 10; rka = $RKA; }; lldp = { tx_interval = 1; }; } );
CONF
vbr_start br 'interfaces = [ "p0" ];
evb = { rka = 10; rte = 8; };
lldp = { tx_interval = 1; };
vdp = { types = ( { name = "web"; type_id = 5; version = 4; vlan = 10; } ); };'
bg host vdpd.log "$T_BUILD/vdpd" -F -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "" -S "$T_DIR/state.json" "${VDPD_INTENTS[@]}"
wait_for 5 "vdpd answers on its socket" vdpctl uplink show
converged() { [ "$(json_q '.[0].converged' vdpctl -j uplink show)" = true ]; }
wait_for 10 "EVB negotiated on eth0" converged
diag_add "'$T_BUILD/vdpctl' -s '$SOCK' -j stats"

br_all() { [ "$(vbr_j .vsis_associated status)" = $N ]; }
st_all() { [ "$(json_q '.[0].vsis.associated' vdpctl -j uplink show)" = $N ]; }
for ((i = 1; i <= N; i++)); do
	vdpctl vsi add uplink eth0 mode assoc uuid "$(uuid_of $i)" typeid 5 typeidver 4 \
		filter mac "$(printf '52:54:00:06:%02x:%02x' $((i / 256)) $((i % 256)))" vid 10 nowait \
		>/dev/null 2>"$T_DIR/add.err" || fail "vsi add #$i: $(cat "$T_DIR/add.err")"
done
wait_for 20 "bridge lists $N associated" br_all
wait_for 5 "vdpd shows $N associated" st_all
pass "$N VSIs associated"

linkstate() { [ "$(json_q '.[0].link' vdpctl -j uplink show)" = "$1" ]; }
br_timeouts() { vbr_counter '.ports[0].bridge.timeouts'; }
answer __j vbr -j counters show
to0=$(json_get "$__j" '.ports[0].bridge.timeouts')
ip -n "$(nsname host)" link set eth0 down
wait_for 5 "vdpd sees eth0 down" linkstate down
all_timed_out() { local t; t=$(br_timeouts) && [ $((t - to0)) -ge $N ]; }
wait_for 10 "bridge timed out all $N VSIs while the link is down" all_timed_out
answer __j vbr -j counters show
# unsolicited De-Associates that left the bridge (none can while the link is down)
da0=$(json_get "$__j" '.vdp.unsolicited_deassoc')
t0=$(now_ms)
ip -n "$(nsname host)" link set eth0 up
wait_for 5 "vdpd sees eth0 up" linkstate up
wait_for 10 "bridge lists $N associated after the flap" br_all
wait_for 5 "vdpd shows $N associated after the flap" st_all
pass "$N re-associated at both ends $(ms_to_s $(($(now_ms) - t0))) s after link up"
answer stats vdpctl -j stats
answer __j vbr -j counters show
sent=$(($(json_get "$__j" '.vdp.unsolicited_deassoc') - da0))
[ "$sent" -ge 1 ] || fail "the race did not happen: no De-Associate left the bridge after link up"
pass "bridge sent $sent unsolicited De-Associates after link up"
stale=$(json_get "$stats" '.uplinks[0].vdp.bridge_deassoc_stale')
[ "$stale" -ge 1 ] || fail "no crossing De-Associate counted stale at vdpd (bridge_deassoc_stale $stale)"
pass "vdpd counted $stale crossing De-Associates as stale (bridge_deassoc_stale)"
assert_eq "$(json_get "$stats" '.uplinks[0].vdp.bridge_deassoc')" 0 "VSIs ended by a bridge De-Associate at vdpd"
answer __j vdpctl -j uplink show
assert_eq "$(json_get "$__j" '.[0].vsis.failed')" 0 "no failed VSI after the flap"
done_ok
