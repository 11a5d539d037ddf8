#!/bin/bash
# vdpd restarts (SIGTERM, then kill -9) under two VSIs that libvirt
# associated over the netlink front.  libvirt does not notice a restart and
# never asks again, so vdpd must: the VSIs and their requesters come from
# the intents file, are requested again before the bridge's toutKeepAlive
# runs out, the bridge never de-associates (same VSI, age growing, no
# timeout), keep-alives go on, libvirt's status poll still reports success,
# and a bridge De-Associate after the restart still reaches libvirt's port.
. "$(dirname "$0")/../lib/netns.sh"
# keep-alive every 10us x 2^18 = 2.6 s (both ends: the larger RKA wins);
# the bridge waits 1.5 x (that + 7 x 10us x 2^RTE) = 4 s for the next one:
# a restart must fit in the 1.4 s left after the worst-timed stop
NLF_RKA=18
. "$(dirname "$0")/../lib/nlfront.sh"

U1=6a1f0c2e-1111-4b7a-9c0d-1e2f3a4b5c01
U2=6a1f0c2e-2222-4b7a-9c0d-1e2f3a4b5c02
M1=52:54:00:77:00:01
M2=52:54:00:77:00:02
INTENTS=${VDPD_INTENTS[1]:-}
[ -n "$INTENTS" ] || fail "netns.sh gave no intents file"

nlf_netns
nlf_config
echo "evb = { rka = $NLF_RKA; };" >>"$T_DIR/bridge.conf"
nlf_start_vdpd
nlf_start_bridge
nlf_wait_converged
assert_eq "$(vdpctl -j uplink show | jq '.[0].evb.oper.rka')" $NLF_RKA "negotiated RKA"

# U1's requester stays (libvirt's event socket): it receives the unsolicited
# messages and re-associates, at most twice.
bg host client.log "$T_BUILD/vdp-nlclient" -p "$PIDF" -i eth0 -m $M1 -M $MGR -T $TYPEID -v $TYPEVER \
	-u $U1 -l 120 -r 2 associate
CLIENT=$BG_PID
wait_for 5 "client 1 associated and listening" grep -q "^listening on port" "$T_DIR/client.log"
grep -q '^RESULT ok$' "$T_DIR/client.log" || fail "associate U1: $(cat "$T_DIR/client.log")"
PORT1=$(sed -n 's/^listening on port \([0-9]*\).*/\1/p' "$T_DIR/client.log")
nlc_vm $U2 $M2 associate >"$T_DIR/c2.out" 2>&1 || fail "associate U2: $(cat "$T_DIR/c2.out")"
assert_eq "$(bridge_mode $U1) $(bridge_mode $U2)" "assoc assoc" "bridge has both VSIs"

# The intents file names each VSI with its requester.
saved() { [ "$(jq --arg u "$1" --argjson p "$2" \
	'[.vsis[] | select(.vsiid == $u and .netlink.port == $p and .netlink.request == "associate"
	  and .netlink.ifname == "eth0" and .mode == "assoc")] | length == 1' <<<"$(intents_now "$INTENTS")" 2>&1)" = true ]; }
wait_for 5 "U1 kept with port $PORT1" saved $U1 "$PORT1"
assert_eq "$(intents_now "$INTENTS" | jq '.vsis | length')" 2 "VSIs in $INTENTS"
assert_eq "$(intents_now "$INTENTS" | jq -r --arg u $U1 '.vsis[] | select(.vsiid == $u) | .filters[0].mac')" $M1 "U1's MAC kept"
pass "intents file holds both VSIs with their requesters"

br_json() { bridgectl -j "$@"; }
br_vsi() { br_json vsi show | jq -r --arg u "$1" ".[] | select(.vsiid == \$u) | $2"; }
# Whatever makes the bridge drop a VSI: De-Associates received or sent,
# keep-alive timeouts (the bridge machine's counters per port).
br_losses() { br_json counters show | jq -c '.ports[0].bridge | {station_deassoc, timeouts,
	resource_timeouts, bridge_deassoc}'; }

# restart SIG: stop vdpd with SIG, start it again, check everything
restart()
{
	local sig=$1 age1 age2 ka1 ka2 losses t0

	age1=$(br_vsi $U1 .age_ms) age2=$(br_vsi $U2 .age_ms)
	ka1=$(br_vsi $U1 .keepalives) ka2=$(br_vsi $U2 .keepalives)
	losses=$(br_losses)
	t0=$(now_ms)
	kill -"$sig" "$VDPD"
	wait "$VDPD" 2>/dev/null
	mv "$T_DIR/vdpd.log" "$T_DIR/vdpd-before-$sig.log"
	[ "$sig" = KILL ] && rm -f "$PIDF"	# a crash leaves it; libvirt re-reads it per message
	nlf_start_vdpd
	nlf_wait_converged
	both_kept() { [ "$(br_vsi $U1 .keepalives)" -gt "$ka1" ] && [ "$(br_vsi $U2 .keepalives)" -gt "$ka2" ]; }
	wait_for 10 "bridge got both VSIs again from the new vdpd" both_kept
	pass "SIG$sig: new vdpd requested both VSIs again $(($(now_ms) - t0)) ms after the stop"
	grep -q "eth0: 2 stored VSIs requested again (2 for netlink requesters)" "$T_DIR/vdpd.log" ||
		fail "SIG$sig: vdpd did not request the stored VSIs: $(grep -i 'stored\|intents' "$T_DIR/vdpd.log")"

	# the bridge never let go: same VSIs (their age went on), nothing lost
	assert_eq "$(bridge_mode $U1) $(bridge_mode $U2)" "assoc assoc" "SIG$sig: bridge modes"
	[ "$(br_vsi $U1 .age_ms)" -gt "$age1" ] && [ "$(br_vsi $U2 .age_ms)" -gt "$age2" ] ||
		fail "SIG$sig: a VSI was re-created on the bridge (age $age1 -> $(br_vsi $U1 .age_ms))"
	assert_eq "$(br_losses)" "$losses" "SIG$sig: bridge de-associations/timeouts"

	# keep-alives go on (two more each, the first is the re-request)
	more_ka() { [ "$(br_vsi $U1 .keepalives)" -ge $((ka1 + 3)) ] &&
		[ "$(br_vsi $U2 .keepalives)" -ge $((ka2 + 3)) ]; }
	wait_for 15 "two keep-alives of each VSI after the restart" more_ka
	assert_eq "$(br_losses)" "$losses" "SIG$sig: bridge losses after keep-alives"
	assert_eq "$(bridge_mode $U1) $(bridge_mode $U2)" "assoc assoc" "SIG$sig: bridge modes after keep-alives"

	# libvirt's status poll: both successful
	nlc -i eth0 -e 2 -t 5 dump >"$T_DIR/dump-$sig.out" 2>&1 || fail "SIG$sig: dump: $(cat "$T_DIR/dump-$sig.out")"
	grep -q "^dump: entries=2 ok=2 in_progress=0 failed=0 " "$T_DIR/dump-$sig.out" ||
		fail "SIG$sig: status after restart: $(cat "$T_DIR/dump-$sig.out")"
	for u in $U1 $U2; do
		nlc_vm $u 52:54:00:00:00:00 -e 1 -t 5 dump >"$T_DIR/one.out" 2>&1 &&
			grep -q "uuid_ok=1" "$T_DIR/one.out" || fail "SIG$sig: status of $u: $(cat "$T_DIR/one.out")"
	done
	pass "SIG$sig: libvirt's status poll reports success for both"

	# a bridge De-Associate still reaches U1's requester, which re-associates
	local n_uns n_re
	n_uns=$(grep -c '^unsolicited:' "$T_DIR/client.log")
	n_re=$(grep -c '^reassociate: ok' "$T_DIR/client.log")
	bridgectl vsi deassoc $U1 >/dev/null || fail "bridge vsi deassoc"
	got_uns() { [ "$(grep -c '^unsolicited:' "$T_DIR/client.log")" -gt "$n_uns" ]; }
	wait_for 5 "unsolicited DISASSOCIATE reached port $PORT1" got_uns
	grep '^unsolicited:' "$T_DIR/client.log" | tail -1 | grep -q "pid=$(cat "$PIDF") .*request=3 uuid=$U1 parse=ok" ||
		fail "SIG$sig: unsolicited message: $(grep '^unsolicited:' "$T_DIR/client.log" | tail -1)"
	re_ok() { [ "$(grep -c '^reassociate: ok' "$T_DIR/client.log")" -gt "$n_re" ]; }
	wait_for 5 "client re-associated" re_ok
	on_bridge() { [ "$(bridge_mode $U1)" = assoc ]; }
	wait_for 5 "bridge has U1 again" on_bridge
	wait_for 5 "re-association kept for port $PORT1" saved $U1 "$PORT1"
	pass "SIG$sig: bridge De-Associate after the restart told port $PORT1; libvirt re-associated"
}

restart TERM
restart KILL

# DISASSOCIATE from libvirt ends the stored entry.
nlc_vm $U2 $M2 disassociate >"$T_DIR/d2.out" 2>&1 || fail "disassociate U2: $(cat "$T_DIR/d2.out")"
gone() { [ "$(intents_now "$INTENTS" | jq --arg u $U2 '[.vsis[] | select(.vsiid == $u)] | length')" = 0 ]; }
wait_for 5 "U2 removed from $INTENTS" gone
assert_eq "$(intents_now "$INTENTS" | jq '.vsis | length')" 1 "VSIs kept after the DISASSOCIATE"
done_ok
