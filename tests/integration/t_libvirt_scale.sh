#!/bin/bash
# 4,096 VSIs on one uplink through the netlink front: all associated, all in
# one status dump (multi-part: RTM_NEWLINK|NLM_F_MULTI parts + NLMSG_DONE;
# lldpad stops at ~92 per 4 KiB reply), the VSI requested last first in the
# dump (also an existing one requested again: it moves to the front), and a
# libvirt-style poll for a new VSI still finds its result in the first
# message it reads.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/nlfront.sh"

N=${N_VSIS:-4096}
BASE=00000000-0000-4000-8000-000000000000
nlf_setup

t0=$(now_ms)
nlc_vm $BASE 52:54:00:00:00:00 -n $N -w 64 associate >"$T_DIR/many.out" 2>&1 ||
	fail "bulk associate: $(tail -3 "$T_DIR/many.out")"
grep -q "^many: $N requests, $N acked ok, 0 refused" "$T_DIR/many.out" || fail "$(cat "$T_DIR/many.out")"
pass "$(grep '^many:' "$T_DIR/many.out")"

# the last one requested (highest UUID) is the first in the dump
LAST=$(printf '00000000-0000-4000-8000-%012x' $((N - 1)))
nlc -i eth0 -u $LAST -t 60 -e $N dump >"$T_DIR/dump.out" 2>&1 || fail "dump: $(cat "$T_DIR/dump.out")"
line=$(grep '^dump:' "$T_DIR/dump.out")
echo "$line" | grep -q "entries=$N ok=$N in_progress=0 failed=0 " || fail "dump: $line"
parts=$(echo "$line" | sed 's/.*parts=\([0-9]*\).*/\1/')
[ "$parts" -gt 1 ] || fail "expected a multi-part dump: $line"
echo "$line" | grep -q "uuid_ok=1" || fail "latest VSI not reported ok: $line"
assert_eq "$(echo "$line" | sed -n 's/.* uuid_pos=\([0-9]*\).*/\1/p')" 1 "position of the last VSI requested in the dump"
pass "all $N VSIs in one status dump after $(ms_to_s $(($(now_ms) - t0))) s: $line"
answer __j bridgectl -j status
assert_eq "$(json_get "$__j" .vsis_associated)" $N "VSIs associated on the bridge"
answer __j vdpctl -j stats
assert_eq "$(json_get "$__j" .netlink.counters.status_send_errors)" 0 "status parts lost to a reader with room"

# an existing VSI requested again (the first one, last in the dump) leads it
nlc_vm $BASE 52:54:00:00:00:00 associate >"$T_DIR/again.out" 2>&1 || fail "VSI 1 again: $(tail -3 "$T_DIR/again.out")"
nlc -i eth0 -u $BASE -t 60 -e $N dump >"$T_DIR/dump2.out" 2>&1 || fail "dump: $(cat "$T_DIR/dump2.out")"
line=$(grep '^dump:' "$T_DIR/dump2.out")
echo "$line" | grep -q "entries=$N ok=$N " || fail "dump after the repeat: $line"
assert_eq "$(echo "$line" | sed -n 's/.* uuid_pos=\([0-9]*\).*/\1/p')" 1 "position of VSI 1 after it was requested again"

# libvirt reads one datagram per poll: a new VSI's result is in it
U=$(printf '00000000-0000-4000-8000-%012x' $N)
nlc_vm $U 52:54:00:ff:ff:fe associate >"$T_DIR/one.out" 2>&1 || fail "VSI $((N + 1)): $(tail -3 "$T_DIR/one.out")"
grep -q '^status: ok after 1 polls' "$T_DIR/one.out" || fail "$(cat "$T_DIR/one.out")"
pass "VSI $((N + 1)) with libvirt's polling: $(grep '^status:' "$T_DIR/one.out")"
# (libvirt's socket has 128 KiB and reads one datagram: the parts after
#  the first may find it full or closed; they are counted, not retried)
answer __j vdpctl -j stats
s=$(json_get "$__j" '.netlink.counters | {status_msgs, status_parts, status_entries, status_send_errors, acks_settled, acks_bounded} | tojson')
pass "front counters: $s"

done_ok
