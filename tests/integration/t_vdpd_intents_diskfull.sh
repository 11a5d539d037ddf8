#!/bin/bash
# The disk under the VSI intents fills up: a VSI request still goes ahead
# (answered, associated at the bridge), the failed journal write is logged
# and counted, and retried every second; once there is room again the
# intent reaches the journal, and a kill -9 + restart keeps it: the bridge
# forgets every VSI while vdpd is down and the restarted vdpd associates
# them all again.
. "$(dirname "$0")/../lib/netns.sh"
DISK=$T_DIR/disk
INTENTS=$DISK/vsis.json
. "$(dirname "$0")/../lib/intents.sh"
require_cmd dd mount

add() { vdpctl $(add_line "$1"); }
stat_of() { json_val ".intents.$1" vdpctl -j stats; }
# in_intents N: true/false from the intents a restart would load; an
# unreadable file is a failure, not "not there"
in_intents()
{
	local r
	r=$(intents_now "$INTENTS" | jq --arg u "$(uuid_of "$1")" 'any(.vsis[]; .vsiid == $u)')
	case $r in
	true) return 0 ;;
	false) return 1 ;;
	*) fail_test "intents of $INTENTS unreadable: '$r'" ;;
	esac
}

tmpfs_add "$DISK" 512k
intents_pair
start_vdpd 0
wait_converged

add 1 >/dev/null || fail "vsi add 1"
in_intents 1 || fail "VSI 1 not in the intents journal after its answer"
assert_eq "$(stat_of save_errors)" 0 "save errors with room on the disk"

# Fill the disk to the last block.  The journal's last page still has room,
# so the first requests after that still fit; add VSIs until one does not.
dd if=/dev/zero of="$DISK/fill" bs=4k 2>/dev/null && fail "a 512k tmpfs took unlimited data"
n=1
while [ "$(stat_of save_errors)" = 0 ]; do
	n=$((n + 1))
	[ $n -le 60 ] || fail "60 VSIs written to a full disk without an error"
	add $n >"$T_DIR/add.out" 2>&1 || fail "vsi add $n on a full disk: $(cat "$T_DIR/add.out")"
done
pass "VSI $n was the first the full disk refused; vsi add answered (exit 0)"
wait_for 10 "bridge associates all $n VSIs" bridge_has $n
e1=$(stat_of save_errors)
LOG=$T_DIR/vdpd.0.log
nospace() { grep -c "vsi: writing $INTENTS.journal: No space left on device" "$LOG"; }
grep -q "vdpd\[error\] vsi: writing $INTENTS.journal: No space left on device" "$LOG" ||
	fail "no error logged for the full disk"
pass "failed journal write logged and counted (save_errors $e1)"
[ "$(stat_of failing)" -ge 1 ] || fail "stats: failing $(stat_of failing) while the disk is full"
in_intents $n && fail "VSI $n in the journal of a full disk"
# From here on no request reaches vdpd (each would flush too): only its
# one-second retry timer writes; the log shows it.
l1=$(nospace)
retried() { [ "$(nospace)" -gt "$l1" ]; }
wait_for 5 "the write is retried without any request" retried
pass "retried after $WAITED_MS ms by the timer"
assert_eq "$(grep -c 'vdpd\[error\] vsi: writing' "$LOG")" 1 "error lines for $(nospace) failed writes (repeats are debug)"

rm -f "$DISK/fill"
wait_for 5 "the retry writes the journal once there is room" grep -q "vsi: $INTENTS written again, after [0-9]* failed attempts" "$LOG"
pass "journal written $WAITED_MS ms after space came back: $(grep -o "written again, after [0-9]* failed attempts" "$LOG")"
in_intents $n || fail "VSI $n not in the journal after the recovery"
e2=$(stat_of save_errors)
assert_eq "$(stat_of failing)" 0 "failing writes after the recovery"
n=$((n + 1))
add $n >/dev/null || fail "vsi add $n"
in_intents $n || fail "VSI $n not in the journal after its answer"
assert_eq "$(stat_of save_errors)" "$e2" "save errors with room again"

kill -9 "$VDPD"
wait "$VDPD" 2>/dev/null
# the bridge forgets them while vdpd is down: holding them again below can
# only come from the restarted vdpd's requests
bridge_forget
start_vdpd 1
assert_eq "$(jq -r '[.vsis[].vsiid] | sort | join(" ")' "$INTENTS")" \
	"$(for i in $(seq 1 $n); do uuid_of $i; echo; done | sort | paste -sd' ')" "intents after kill -9 and restart"
wait_for 10 "bridge holds the $n VSIs after the restart" bridge_has $n
pass "kill -9 + restart: all $n VSIs kept, including the one requested on a full disk"
done_ok
