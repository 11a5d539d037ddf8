# tests/lib/conform.sh: helpers of the conformance tests (sourced after
# netns.sh).
#
#   jset VAR FILTER CMD...   runs CMD (a daemon's JSON answer), sets VAR to
#                            jq -r FILTER of it; fails the test on a failing
#                            command, an empty answer, text that is not JSON,
#                            or a null/false/absent result (jq 1.6 with -e
#                            exits 0 on empty input, so -e alone is not enough)
#   monitor_start            vdpctl -j monitor vsi uplink into $T_DIR/monitor.log,
#                            returns once vdpd counts it as a subscriber
#   monitor_event UUID EVENT the monitor's line for that VSI event ("" if none)
#   monitor_wait UUID EVENT  waits (5 s) for that line, sets MON_EV to it: the
#                            monitor is a process of its own, so an event vdpd
#                            sent before answering a request may reach
#                            monitor.log only after the answer

jset()
{
	local __var=$1 __f=$2 __out __res
	shift 2
	__out=$("$@" 2>"$T_DIR/jset.err") || fail "$*: exit status $?: $(cat "$T_DIR/jset.err")"
	[ -n "$__out" ] || fail "$*: empty answer"
	printf '%s' "$__out" | jq -e 'type == "object" or type == "array"' >/dev/null 2>&1 ||
		fail "$*: not a JSON object or array: ${__out:0:200}"
	__res=$(printf '%s' "$__out" | jq -er "$__f" 2>/dev/null) && [ -n "$__res" ] ||
		fail "$*: no value for $__f in ${__out:0:300}"
	printf -v "$__var" '%s' "$__res"
}

# Subscribers, not clients: a monitor that is connected but has not yet
# sent its subscription would miss the events that follow.
monitor_start()
{
	bg host monitor.log "$T_BUILD/vdpctl" -s "$SOCK" -j monitor vsi uplink
	wait_for 5 "monitor subscribed" \
		bash -c "[ \"\$('$T_BUILD/vdpctl' -s '$SOCK' -j stats | jq '.ctl.subscribers')\" -ge 1 ]"
}

monitor_event()
{
	grep '"event":"vsi"' "$T_DIR/monitor.log" |
		jq -c --arg u "$1" --arg e "$2" 'select(.data.vsi.vsiid == $u and .data.event == $e)' 2>/dev/null |
		head -1
}

_monitor_has() { local l; l=$(monitor_event "$1" "$2"); [ -n "$l" ] && printf '%s\n' "$l"; }
MON_EV=
monitor_wait()
{
	wait_for 5 "monitor: $2 event of $1 in $T_DIR/monitor.log" _monitor_has "$1" "$2"
	MON_EV=$WAIT_OUT
}
