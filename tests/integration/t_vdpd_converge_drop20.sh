#!/bin/bash
# Keep-alives that survive a lossy wire: 1,024 VSIs (R 3, RTE 10, RKA 16:
# toutKeepAlive 1.09 s at the bridge), vdp-bridge dropping 20 % of the ECP
# frames in each direction for 60 s (seeded): sampled every second, the
# bridge's toutKeepAlive never expires and all 1,024 stay associated.  At
# this loss ECP gives up on about 1.7 % of the ECPDUs (0.36^4): without the
# immediate re-send of their keep-alives the bridge times VSIs out within
# seconds.  CONVERGE_SECS shortens or lengthens the fault.
. "$(dirname "$0")/../lib/netns.sh"
. "$T_ROOT/tests/lib/vdpbridge.sh"
. "$T_ROOT/tests/lib/converge.sh"

require_root
require_cmd ip jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

N=1024
SECS=${CONVERGE_SECS:-60}
converge_setup $N
ka0=$(cnum bash -c "'$T_BUILD/vdpctl' -s '$SOCK' -j stats | jq -er '.uplinks[0].vdp.ka_resent'")
vbr fault set drop 20 >/dev/null || fail "fault set drop 20"
hold $N $SECS
c=$(vbr -j counters show) || fail "counters show"
drops=$(json_get "$c" '.fault.rx.dropped + .fault.tx.dropped')
[[ $drops =~ ^[0-9]+$ ]] && [ "$drops" -gt 1000 ] || fail "frames dropped: '$drops'"
vbr fault clear >/dev/null
st=$(vdpctl -j stats) || fail "vdpd stats"
resent=$(json_get "$st" '.uplinks[0].vdp.ka_resent')
[[ $resent =~ ^[0-9]+$ ]] || fail "ka_resent: '$resent'"
pass "20 % drop both ways for $SECS s: $HOLD_SAMPLES samples, all $N associated (min $HOLD_MIN), 0 toutKeepAlive expiries; $drops frames dropped, $(json_get "$c" '.ports[0].ecp.tx_errors') bridge ECP give-ups, $((resent - ka0)) keep-alives re-sent at once, re-associations $(json_get "$st" '.reconcile.reassociations')"
wait_for 10 "vdpd shows $N associated" bash -c "[ \"\$('$T_BUILD/vdpctl' -s '$SOCK' -j uplink show | jq -r '.[0].vsis.associated')\" = $N ]"
done_ok
