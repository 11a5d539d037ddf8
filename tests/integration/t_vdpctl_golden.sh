#!/bin/bash
# vdpctl's text and JSON output, exit codes and error messages, compared
# with golden files.  The daemon is tests/tools/ctl_replay answering from
# tests/golden/vdpctl/canned.json (taken from a real vdpd + vdp-bridge run),
# so no root or network is needed.  UPDATE_GOLDEN=1 rewrites the files.
. "$(dirname "$0")/../lib/netns.sh"

require_cmd jq "$T_BUILD/vdpctl" "$T_BUILD/tests/ctl_replay"
G=$T_ROOT/tests/golden/vdpctl
SOCK=$T_DIR/ctl.sock

setsid "$T_BUILD/tests/ctl_replay" "$SOCK" "$G/canned.json" >"$T_DIR/replay.log" 2>&1 </dev/null &
T_PIDS+=("$!")
T_PIDLOG+=("$T_DIR/replay.log")
wait_for 5 "ctl_replay listening" test -S "$SOCK"

# golden NAME ARGS...: vdpctl ARGS; stdout, stderr and exit code against $G/NAME.txt
golden()
{
	local name=$1 out rc=0
	shift
	out=$("$T_BUILD/vdpctl" -s "$SOCK" "$@" 2>&1) || rc=$?
	out=$(printf '%s\nexit %d\n' "$out" "$rc")
	if [ -n "$UPDATE_GOLDEN" ]; then
		printf '%s\n' "$out" >"$G/$name.txt"
		pass "$name: written"
		return
	fi
	[ -f "$G/$name.txt" ] || fail "$name: no golden file $G/$name.txt (run with UPDATE_GOLDEN=1)"
	if ! diff -u "$G/$name.txt" <(printf '%s\n' "$out") >"$T_DIR/$name.diff"; then
		cat "$T_DIR/$name.diff"
		fail "$name: output differs from $G/$name.txt"
	fi
	pass "$name (vdpctl $*)"
}

golden uplink_show uplink show
golden uplink_show_json -j uplink show
golden neighbor_show neighbor show
golden neighbor_show_json -j -p neighbor show
golden vsi_show vsi show
golden vsi_show_json -j vsi show
golden vsi_show_id vsi show id a1412857-60f7-4ce1-e95a-2164943f53dd
golden vsi_show_none -j vsi show id 6e5a1f0c-1d2b-4c3a-9e8f-7a6b5c4d3e2f
golden stats stats
golden vsi_add_ok vsi add uplink eth0 mode assoc uuid a1412857-60f7-4ce1-e95a-2164943f53dd \
	mgrid 11 typeid 5 typeidver 4 filter mac 52:54:00:c7:3e:ce vid 10
golden vsi_add_refused vsi add uplink eth0 mode assoc uuid 09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f \
	typeid 99 typeidver 1 filter mac 52:54:00:00:00:99 vid 11 pcp 3
golden vsi_del_unknown vsi del uplink eth0 uuid 6e5a1f0c-1d2b-4c3a-9e8f-7a6b5c4d3e2f
golden vsi_add_deassoc vsi add uplink eth0 mode deassoc uuid 6e5a1f0c-1d2b-4c3a-9e8f-7a6b5c4d3e2f \
	mgrid 11 typeid 5 typeidver 4 filter mac 52:54:00:00:00:03 vid 12
golden usage_what_is vsi add uplink eth0 colour red
golden usage_missing_value vsi add uplink
golden usage_object frobnicate
golden usage_dup_filter_field vsi add uplink eth0 filter mac 52:54:00:00:00:01 mac 52:54:00:00:00:02
golden help_vsi vsi help
golden help_monitor monitor help
golden no_daemon -s /nonexistent/vdpd.sock uplink show
# A batch pipelines its vsi add/del lines: output, errors and the line
# named as failed stay in line order, and without -force nothing after the
# failing line is reported.
golden batch_stop -b - <"$G/batch.in"
golden batch_force -b - -force <"$G/batch.in"

# One grammar: the same golden output through options after the object,
# abbreviated keywords and the old spellings.
golden vsi_show_json vsi show -j
golden neighbor_show_json neighbor show -p --json
golden vsi_show_id v sh i a1412857-60f7-4ce1-e95a-2164943f53dd
golden uplink_show upl
golden neighbor_show neighbour show
golden stats sta sh upl eth0
golden usage_ambiguous p show
golden usage_ambiguous_key vsi add uplink eth0 f
golden usage_unknown_verb vsi frob
# in a batch, options after a line's object hold for that line only
printf 'neighbor show -j\nneighbor show\n' >"$T_DIR/batch"
golden batch_line_options -b "$T_DIR/batch"
# ... also for a pipelined line, whose reply is printed after later lines ran
A="vsi add uplink eth0 mode assoc uuid a1412857-60f7-4ce1-e95a-2164943f53dd mgrid 11 typeid 5 typeidver 4"
printf '%s filter mac 52:54:00:c7:3e:ce vid 10 -j\n%s filter mac 52:54:00:c7:3e:ce vid 10\n' "$A" "$A" >"$T_DIR/batch"
golden batch_pipe_options -b "$T_DIR/batch"

# Refusals told without contradiction (tests/golden/vdpctl/canned_refusals.json):
# an ECP error has no bridge status ("status success" was printed), a
# Keep refusal says what was kept.
SOCK2=$T_DIR/ctl2.sock
setsid "$T_BUILD/tests/ctl_replay" "$SOCK2" "$G/canned_refusals.json" >"$T_DIR/replay2.log" 2>&1 </dev/null &
T_PIDS+=("$!")
T_PIDLOG+=("$T_DIR/replay2.log")
wait_for 5 "second ctl_replay listening" test -S "$SOCK2"
SOCK=$SOCK2
golden vsi_add_txerror vsi add uplink eth0 mode assoc uuid e0e0e0e0-0000-4000-8000-000000000001 \
	typeid 5 typeidver 4 filter mac 52:54:00:00:e0:01 vid 10
golden vsi_add_kept vsi add uplink eth0 mode assoc uuid e0e0e0e0-0000-4000-8000-000000000002 \
	typeid 5 typeidver 4 filter mac 52:54:00:00:e0:02 vid 10
SOCK=$T_DIR/ctl.sock

# JSON lists are arrays whatever their length.
for c in "uplink show" "neighbor show" "vsi show"; do
	t=$("$T_BUILD/vdpctl" -s "$SOCK" -j $c | jq -r type)
	assert_eq "$t" array "type of vdpctl -j $c"
done
done_ok
