#!/bin/bash
# One daemon per state: a second vdpd on the registry state (-S) or on the
# intents file (-i) of a running one refuses to start, before detaching,
# naming the file and the running daemon's pid (the detached child's, not
# its parent's); the first one keeps serving and keeps its changes.  A
# relative "-S reg.json" works, detached too (vdpd does chdir /): saves
# succeed, land next to where vdpd was started, and survive a restart.
. "$(dirname "$0")/../lib/netns.sh"

require_root
require_cmd ip jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl"

ns_add host
: >"$T_DIR/vdpd.conf"
A=$T_DIR/a
mkdir -p "$A"
vdpd_a() { nsx host "$T_BUILD/vdpd" -f "$T_DIR/vdpd.conf" -s "$A/vdpd.sock" -p "$A/vdpd.pid" \
	-S "$T_DIR/state.json" -i "$T_DIR/vsis.json" "$@"; }

# ---- the first one, detached --------------------------------------------------------
vdpd_a || fail "first vdpd exited with $?"
PID_A=$(cat "$A/vdpd.pid")
T_PIDS+=("$PID_A")
"$T_BUILD/vdpctl" -s "$A/vdpd.sock" profile add p1 qbg mgrid 1 typeid 2 typeidver 3 >/dev/null ||
	fail "profile add on the first vdpd"
assert_eq "$(cat "$T_DIR/state.json.lock")" "$PID_A" "the state lock names the detached daemon"

# second() NAME ARGS...: starts a second vdpd (detaching: it must fail before
# that), expects exit 1 and a message naming FILE and pid A.
second()
{
	local what=$1 file=$2 rc=0
	shift 2
	mkdir -p "$T_DIR/$what"
	nsx host "$T_BUILD/vdpd" -f "$T_DIR/vdpd.conf" -s "$T_DIR/$what/vdpd.sock" -p "$T_DIR/$what/vdpd.pid" \
		"$@" >"$T_DIR/$what.out" 2>&1 || rc=$?
	[ $rc = 1 ] || fail "second vdpd on the same $what: exit $rc: $(cat "$T_DIR/$what.out")"
	grep -q "$file is in use by pid $PID_A (lock $file.lock)" "$T_DIR/$what.out" ||
		fail "second vdpd on the same $what: $(cat "$T_DIR/$what.out")"
	[ ! -S "$T_DIR/$what/vdpd.sock" ] || fail "second vdpd on the same $what left a socket"
	pass "second vdpd on the same $what refused: $(grep -m1 'in use' "$T_DIR/$what.out")"
}
second state "$T_DIR/state.json" -S "$T_DIR/state.json" -i "$T_DIR/other-vsis.json"
second intents "$T_DIR/vsis.json" -S "$T_DIR/other-state.json" -i "$T_DIR/vsis.json"

# The first still serves and still has its change.
"$T_BUILD/vdpctl" -s "$A/vdpd.sock" -j profile show | jq -e '.[] | select(.name == "p1")' >/dev/null ||
	fail "first vdpd lost profile p1"
kill -TERM "$PID_A"
wait_for 5 "first vdpd stops" bash -c "! kill -0 $PID_A 2>/dev/null"
# Gone: the next one takes the files.
vdpd_a || fail "vdpd after the first stopped: exit $?"
PID_A=$(cat "$A/vdpd.pid")
T_PIDS+=("$PID_A")
"$T_BUILD/vdpctl" -s "$A/vdpd.sock" -j profile show | jq -e '.[] | select(.name == "p1")' >/dev/null ||
	fail "profile p1 not there after the restart"
pass "after the first stopped, the next vdpd took the state (p1 kept)"
kill -TERM "$PID_A"
wait_for 5 "vdpd stops" bash -c "! kill -0 $PID_A 2>/dev/null"

# ---- relative paths -------------------------------------------------------------------
R=$T_DIR/rel
mkdir -p "$R"
( cd "$R" && nsx host "$T_BUILD/vdpd" -f ../vdpd.conf -s vdpd.sock -p vdpd.pid -S reg.json -i vsis.json ) ||
	fail "vdpd with relative paths exited with $?"
PID_R=$(cat "$R/vdpd.pid")
T_PIDS+=("$PID_R")
"$T_BUILD/vdpctl" -s "$R/vdpd.sock" profile add p2 qbg mgrid 1 typeid 2 typeidver 3 >"$T_DIR/rel.out" 2>&1 ||
	fail "profile add with -S reg.json: $(cat "$T_DIR/rel.out")"
st=$("$T_BUILD/vdpctl" -s "$R/vdpd.sock" -j registry show | jq .status)
assert_eq "$(json_get "$st" .save_errors)" 0 "registry save errors with -S reg.json"
grep -q '"p2"' "$R/reg.json" || fail "reg.json in the start directory lacks p2: $(ls -la "$R")"
[ ! -e /reg.json ] || fail "a reg.json appeared in /"
kill -TERM "$PID_R"
wait_for 5 "vdpd (relative) stops" bash -c "! kill -0 $PID_R 2>/dev/null"
( cd "$R" && nsx host "$T_BUILD/vdpd" -f ../vdpd.conf -s vdpd.sock -p vdpd.pid -S reg.json -i vsis.json ) ||
	fail "vdpd with relative paths (restart) exited with $?"
PID_R=$(cat "$R/vdpd.pid")
T_PIDS+=("$PID_R")
"$T_BUILD/vdpctl" -s "$R/vdpd.sock" -j profile show | jq -e '.[] | select(.name == "p2")' >/dev/null ||
	fail "p2 lost across a restart with -S reg.json"
pass "-S reg.json: saved in $R, no save error, kept across a restart"
kill -TERM "$PID_R"
wait_for 5 "vdpd stops" bash -c "! kill -0 $PID_R 2>/dev/null"
done_ok
