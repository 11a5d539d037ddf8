#!/bin/bash
# make soak: vdpd holding 4,096 VSIs against vdp-bridge through a sequence
# of faults, one table row per phase (docs/reliability.md):
#   20 % drop both ways (SOAK_DROP_SECS, default 300), 50 ms delay both ways,
#   20 % duplicates, 20 % reordering (SOAK_PHASE_SECS each, default 120),
#   a bridge restart (all state lost), a vdpd kill -9 and restart (intents).
# Per phase: VSIs at the bridge min (sampled each second) and at the end,
# toutKeepAlive expiries at the bridge during it, and the time from the end
# of the fault until the bridge and vdpd both hold all VSIs again.
# EVB: R 3, RTE 12 (ackTimer 41 ms), RKA 20 (10.5 s): ECP is stop-and-wait,
# one ECPDU of at most 42 TLVs per round trip, so at 50 ms each way 4,096
# keep-alives take 98 round trips, 9.8 s, and RKA 16 (0.66 s) could not
# carry them in any implementation; the ackTimer must exceed the 100 ms
# round trip's share (4 x 41 ms = 164 ms per ECPDU).
# SOAK_N, SOAK_RTE, SOAK_RKA change the size and the timers.
. "$(dirname "$0")/../lib/netns.sh"
. "$T_ROOT/tests/lib/vdpbridge.sh"
. "$T_ROOT/tests/lib/converge.sh"

require_root
require_cmd ip jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

N=${SOAK_N:-4096}
DROP_SECS=${SOAK_DROP_SECS:-300}
PHASE_SECS=${SOAK_PHASE_SECS:-120}
CV_RTE=${SOAK_RTE:-12}
CV_RKA=${SOAK_RKA:-20}
CONV_MAX=${SOAK_CONVERGE_MAX:-120}
IT_T0=$(now_ms)
converge_setup $N
ROWS=()

st_has() { local a; a=$(cnum_or_empty st_assoc); [ -n "$a" ] && [ "$a" -ge "$1" ]; }
both_have() { br_has "$1" && st_has "$1"; }

# phase NAME SECS FAULT...: FAULT (vdp-bridge fault set words) for SECS,
# sampled every second, then cleared; the row is added.
phase()
{
	local name=$1 secs=$2 t0 next min=$N a to0 to1 conv end
	shift 2
	to0=$(cnum br_timeouts)
	vbr fault set "$@" >/dev/null || fail "fault set $*"
	info "phase $name: fault set $* for $secs s"
	t0=$(now_ms) next=$t0
	while [ $(($(now_ms) - t0)) -lt $((secs * 1000)) ]; do
		a=$(cnum br_assoc)
		[ "$a" -lt "$min" ] && min=$a
		next=$((next + 1000))
		while [ "$(now_ms)" -lt $next ]; do sleep 0.05; done
	done
	vbr fault clear >/dev/null || fail "fault clear"
	converge_row "$name" "$min" "$to0" "$(now_ms)"
}

# converge_row NAME MIN TIMEOUTS_BEFORE T_FAULT_END: waits for all N at both
# ends and adds the row.
converge_row()
{
	local name=$1 min=$2 to0=$3 t1=$4 conv end to1
	if wait_for_quiet $CONV_MAX both_have $N; then
		conv=$(ms_to_s $(($(now_ms) - t1)))
	else
		conv="not within $CONV_MAX s"
	fi
	end=$(cnum br_assoc)
	to1=$(cnum br_timeouts)
	ROWS+=("| $name | $min / $end | $((to1 - to0)) | $conv |")
	info "row: ${ROWS[-1]}"
}

# wait_for_quiet SECS CMD...: like wait_for, but a timeout is a result, not a failure.
wait_for_quiet()
{
	local secs=$1 t0
	shift
	t0=$(now_ms)
	while [ $(($(now_ms) - t0)) -lt $((secs * 1000)) ]; do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

phase "20 % drop both ways, $DROP_SECS s" $DROP_SECS drop 20
phase "50 ms delay both ways, $PHASE_SECS s" $PHASE_SECS delay 50
phase "20 % duplicates both ways, $PHASE_SECS s" $PHASE_SECS dup 20
phase "20 % reordering both ways, $PHASE_SECS s" $PHASE_SECS reorder 20

to0=$(cnum br_timeouts)
vbr restart >/dev/null || fail "restart"
t1=$(now_ms)
converge_row "vdp-bridge restart (all state lost)" 0 "$to0" "$t1"

to0=$(cnum br_timeouts)
kill -9 "$VDPD"
t1=$(now_ms)
cv_start_vdpd
wait_for 10 "vdpd answers again" vdpctl uplink show
converge_row "vdpd kill -9, restarted (intents)" "$(cnum br_assoc)" "$to0" "$t1"

{
	echo "vdpd soak: $N VSIs, R 3, RTE $CV_RTE, RKA $CV_RKA, $(nproc) CPUs, $(uname -r), $(date -u +%F)"
	echo
	echo "| fault | VSIs at the bridge min / end | toutKeepAlive expiries | time to converge |"
	echo "| --- | --- | --- | --- |"
	printf '%s\n' "${ROWS[@]}"
} | tee "$T_BUILD/soak.md"
for r in "${ROWS[@]}"; do
	case $r in
	*"| $N / $N | 0 |"* | *"| 0 / $N | 0 |"*) ;;
	*"/ $N | 0 |"*) ;;
	*) fail "row misses the goal (0 expiries, $N at the end): $r" ;;
	esac
done
done_ok
