#!/bin/bash
# Converge after heavy loss and after a bridge that lost its state:
# 1,024 VSIs (R 3, RTE 10, RKA 16), then
#  - vdp-bridge drops 60 % of the ECP frames both ways for 20 s: the bridge
#    times VSIs out (toutKeepAlive 1.09 s) and vdpd sees ends; once the loss
#    stops, every VSI the bridge dropped is associated again within 5 s
#    (the reconciler: retries pulled forward as soon as the bridge answers);
#  - vdp-bridge `restart` (every VSI and ECP state forgotten, nothing sent):
#    all 1,024 are back within reinitKeepAlive + one ECP exchange (0.655 s +
#    41 ms) plus 300 ms slack, on the bridge's clock (its log: restart line to
#    the 1,024th admission); the polled figure is printed.
. "$(dirname "$0")/../lib/netns.sh"
. "$T_ROOT/tests/lib/vdpbridge.sh"
. "$T_ROOT/tests/lib/converge.sh"

require_root
require_cmd ip jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

N=1024
SECS=${CONVERGE_SECS:-20}
# A request whose answer and the bridge's De-Associate were both lost ends
# only when its response wait runs out (default cap 8 s): with 60 % loss a
# few such requests are out when the loss stops.  A 2 s cap bounds them.
CV_RESP_WAIT_MS=2000
converge_setup $N

# ---- 60 % loss for SECS, then none -------------------------------------------------
vbr fault set drop 60 >/dev/null || fail "fault set drop 60"
t0=$(now_ms) min=$N
while [ $(($(now_ms) - t0)) -lt $((SECS * 1000)) ]; do
	a=$(cnum br_assoc)
	[ "$a" -lt "$min" ] && min=$a
	sleep 0.5	# sampling the bridge while the fault lasts
done
to=$(cnum br_timeouts)
[ "$to" -gt 0 ] || fail "no toutKeepAlive expiry at 60 % loss: the test proves nothing"
vbr fault clear >/dev/null || fail "fault clear"
t1=$(now_ms)
wait_for 5 "all $N associated at the bridge within 5 s after the loss stopped" br_has $N
dt=$(($(now_ms) - t1))
st=$(vdpctl -j stats) || fail "vdpd stats"
re=$(json_get "$st" '.reconcile.reassociations')
[[ $re =~ ^[0-9]+$ ]] && [ "$re" -gt 0 ] || fail "re-associations: '$re'"
pass "60 % drop for $SECS s: bridge min $min of $N, $to toutKeepAlive expiries; all $N back $dt ms after the loss stopped ($re re-associations, $(json_get "$st" '.reconcile.retries') retries)"
all_st() { [ "$(cnum_or_empty st_assoc)" = $N ]; }
wait_for 10 "vdpd shows $N associated" all_st

# ---- bridge restart -------------------------------------------------------------------
# The bound is checked on the bridge's own clock, its log: from its restart
# line to the N-th VSI it admitted after it.  Polling the bridge from here
# adds the test's own process starts on a loaded machine (1.0-1.3 s seen
# for the 696 ms bound under load); the polled figure is printed, not
# asserted.
bound=$((655 + 41))
to0=$(cnum br_timeouts)
l0=$(wc -l <"$T_DIR/bridge.log")
vbr restart >/dev/null || fail "restart"
t2=$(now_ms)
wait_for 10 "all $N associated again after the bridge restart" br_has $N
dt=$(($(now_ms) - t2))
assert_eq "$(cnum br_timeouts)" "$to0" "toutKeepAlive expiries over the restart"
span=$(tail -n +"$((l0 + 1))" "$T_DIR/bridge.log" | awk -v n=$N '
	function ms(t,  a) { split(t, a, /[:.]/); return ((a[1] * 60 + a[2]) * 60 + a[3]) * 1000 + a[4] }
	/restart: all VSI state forgotten/ && r == "" { r = ms($1); next }
	r != "" && /: assoc .*: admitted \(0x00\)$/ && ++k == n { d = ms($1) - r; print d < 0 ? d + 86400000 : d; exit }')
[ -n "$span" ] || fail "bridge log: no restart line followed by $N admissions"
info "bridge restart: all $N admitted again $span ms after the restart by the bridge's log, $dt ms by polling (reinitKeepAlive + ECP budget = $bound ms)"
[ "$span" -le $((bound + 300)) ] || fail "bridge restart: $span ms for $N VSIs on the bridge's clock, bound $bound ms (+300 ms)"
pass "bridge restart: all $N VSIs associated again in $span ms by the bridge's log (bound reinitKeepAlive + ECP budget = $bound ms)"
done_ok
