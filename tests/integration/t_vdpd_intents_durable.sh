#!/bin/bash
# Write-ahead VSI intents: once vdpctl has its answer, the VSI is in the
# intents journal (FILE.journal), so a kill -9 at that very moment loses
# nothing.  Five rounds of "vsi add, kill -9 at once, restart", then a
# 300-VSI batch killed the moment vdpctl returns; each restart replays the
# journal into the snapshot FILE and the bridge gets every VSI again: the
# bridge is made to forget every VSI while vdpd is down, so only the
# restarted vdpd's requests can give it them back.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/intents.sh"

in_file() { jq -r '.vsis[].vsiid' "$INTENTS" 2>/dev/null | sort; }
journal_puts() { grep -c '^J [0-9a-f]* [0-9a-f]* [0-9a-f]* {"put":' "$JOURNAL" 2>/dev/null; }

intents_pair
start_vdpd 0
wait_converged

# ---- one VSI, killed the moment the answer is in ----------------------------
for i in 1 2 3 4 5; do
	vdpctl $(add_line "$i") >"$T_DIR/add.$i.out" 2>&1 ||
		fail "vsi add $i: $(cat "$T_DIR/add.$i.out")"
	kill -9 "$VDPD"
	wait "$VDPD" 2>/dev/null
	assert_eq "$(journal_puts)" 1 "journal records after vsi add $i and an immediate kill -9"
	bridge_forget
	start_vdpd "$i"
	want=$(for j in $(seq 1 "$i"); do uuid_of "$j"; echo; done | sort)
	assert_eq "$(in_file)" "$want" "snapshot after the restart replayed the journal"
	assert_eq "$(wc -c <"$JOURNAL")" 0 "journal emptied into the snapshot at start"
	wait_for 10 "bridge holds $i VSIs after restart $i" bridge_has "$i"
done
pass "5 x (vsi add, kill -9 at once, restart): every acknowledged VSI kept and associated again"

# ---- a batch of 300 adds, killed the moment vdpctl returns --------------------
N=${INTENTS_N:-300}
for i in $(seq 6 $((N + 5))); do add_line "$i"; done >"$T_DIR/add.batch"
t0=$(now_ms)
vdpctl -b "$T_DIR/add.batch" >"$T_DIR/batch.out" 2>"$T_DIR/batch.err" ||
	fail "vdpctl -b: $(tail -3 "$T_DIR/batch.err")"
t1=$(now_ms)
answer __j vdpctl -j stats; saves_before=$(json_get "$__j" '.intents.saves')
kill -9 "$VDPD"
wait "$VDPD" 2>/dev/null
bridge_forget
assert_eq "$(journal_puts)" "$N" "journal records after a $N-VSI batch and kill -9"
info "batch of $N adds answered in $(ms_to_s $((t1 - t0))) s; snapshot rewrites in this life: $saves_before"
pass "$N batched adds: all in the journal when vdpctl returned"

start_vdpd batch
assert_eq "$(jq '.vsis | length' "$INTENTS")" $((N + 5)) "snapshot after replaying the $N-line journal"
wait_for 20 "bridge holds all $((N + 5)) VSIs again" bridge_has $((N + 5))
pass "after the restart the bridge holds all $((N + 5)) VSIs"
# A torn last record (a crash in the middle of a write) is dropped; a
# damaged one with records after it refuses the start and names the file,
# the record and its offset.
vdpctl vsi del uplink eth0 uuid "$(uuid_of 1)" >/dev/null || fail "vsi del 1"
kill -9 "$VDPD"
wait "$VDPD" 2>/dev/null
assert_eq "$(grep -c '{"del":{"uplink":"eth0","vsiid_format":"uuid"' "$JOURNAL")" 1 "journal after vsi del + kill -9"
printf 'J 0000000000000002 0000004f 1234' >>"$JOURNAL"
start_vdpd torn
assert_eq "$(jq '.vsis | length' "$INTENTS")" $((N + 4)) "torn tail dropped, the record before it applied"
grep -q 'last record incomplete' "$T_DIR/vdpd.torn.log" || fail "no warning about the torn record"
vdpctl vsi del uplink eth0 uuid "$(uuid_of 2)" >/dev/null || fail "vsi del 2"
vdpctl vsi del uplink eth0 uuid "$(uuid_of 3)" >/dev/null || fail "vsi del 3"
kill -9 "$VDPD"
wait "$VDPD" 2>/dev/null
# one flipped octet in the first of the two records: its CRC fails
sed -i '0,/"uplink":"eth0"/s//"uplink":"eth1"/' "$JOURNAL"
rc=0
timeout 10 ip netns exec "$(nsname host)" "$T_BUILD/vdpd" -F -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "$T_DIR/vdpd.pid" \
	-S "$T_DIR/state.json" -i "$INTENTS" >"$T_DIR/damaged.log" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "vdpd started on a damaged journal"
grep -q "vsis.json.journal: record 0 at offset 23: CRC mismatch, and .* octets follow it: damaged; refusing it" \
	"$T_DIR/damaged.log" || fail "damaged journal: $(cat "$T_DIR/damaged.log")"
assert_eq "$(jq '.vsis | length' "$INTENTS")" $((N + 4)) "snapshot untouched by the refused start"
pass "damaged journal refused: $(grep -o 'vsis.json.journal: .*' "$T_DIR/damaged.log" | head -1)"
done_ok
