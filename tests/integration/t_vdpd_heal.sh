#!/bin/bash
# The reconciler (vdp/daemon/reconcile.h), vdpd vs vdp-bridge: a VSI vdpd
# holds the desired state of comes back by itself after an end nobody
# asked for, and a final refusal is not asked for again.
#  - a refusal with the hard-error bit (type 7: reason 4, hard): asked once,
#    never again (the bridge's request counters stay put for 3 s, i.e. ~6
#    retries' worth of backoff), shown as given up with the bridge's status;
#  - a refusal the bridge may lift (type 8: reason 2, insufficient
#    resources, no hard bit): retried with backoff, associated once the
#    bridge's rule is gone;
#  - registry VSIs (bind + attach) and a vsi.add VSI de-associated by the
#    bridge (`vsi deassoc`) are associated again, each healed once;
#  - retry state in vsi show (-j and text), stats, monitor.
. "$(dirname "$0")/../lib/netns.sh"
. "$T_ROOT/tests/lib/vdpbridge.sh"

require_root
require_cmd ip jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

SOCK=$T_DIR/vdpd.sock
VM1=0b3c9e2a-2222-4d4d-8e8e-000000000001
VM2=0b3c9e2a-2222-4d4d-8e8e-000000000002
UHARD=0b3c9e2a-2222-4d4d-8e8e-0000000000a7
USOFT=0b3c9e2a-2222-4d4d-8e8e-0000000000a8
UADD=0b3c9e2a-2222-4d4d-8e8e-0000000000a5
vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
# num CMD...: the command's answer, which must be a number: an unreachable
# daemon or an empty answer fails the test instead of passing for 0.
num() { local out; out=$("$@") || fail "no answer: $*"; [[ $out =~ ^[0-9]+$ ]] || fail "not a number from $*: '$out'"; printf '%s' "$out"; }
st_j() { vdpctl -j "${@:2}" | jq -er "$1"; }

ns_add host
ns_add br
veth_add host eth0 br p0 02:00:00:00:05:01 02:00:00:00:05:02
cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "eth0"; evb = { rte = 10; rka = 16; }; lldp = { tx_interval = 2; }; } );
registry = {
	policy = "off";
	profiles = ( { name = "web"; type = "802.1Qbg"; mgrid = 11; typeid = 5; typeidver = 4; } );
	uplinks = ( { dev = "eth0"; physnet = "datacenter"; mode = "vepa"; } );
	networks = ( { name = "A"; physnet = "datacenter"; profile = "web"; vlan = 10; } );
};
CONF
vbr_start br 'interfaces = [ "p0" ];
evb = { rka = 10; rte = 8; };
vdp = { types = ( { name = "web"; type_id = 5; version = 4; }, { name = "hard"; type_id = 7; version = 4; },
		  { name = "soft"; type_id = 8; version = 4; } ); };
fault = { rules = ( { type_id = 7; reason = 4; hard = true; }, { type_id = 8; reason = 2; } ); };'
bg host vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "" -S "$T_DIR/state.json" "${VDPD_INTENTS[@]}"
wait_for 5 "vdpd answers on its socket" vdpctl uplink show
converged() { [ "$(vdpctl -j uplink show | jq -r '.[0].converged')" = true ]; }
wait_for 10 "EVB negotiated on eth0" converged
diag_add "'$T_BUILD/vdpctl' -s '$SOCK' -j stats | jq -c .reconcile"
vdpctl monitor vsi >"$T_DIR/monitor.out" 2>&1 &
MON=$!
T_PIDS+=("$MON")	# stopped by the harness's cleanup
subscribed() { [ "$(vdpctl -j stats | jq '.ctl.subscribers')" -ge 1 ] 2>/dev/null; }
wait_for 5 "monitor subscribed" subscribed

# ---- hard refusal: asked once ----------------------------------------------------
add() { vdpctl vsi add uplink eth0 mode assoc uuid "$1" typeid "$2" typeidver 4 filter mac "$3" vid 10 >/dev/null; }
add $UHARD 7 52:54:00:05:00:07 # refused: exits 1
given_up() { [ "$(vdpctl -j vsi show id $UHARD | jq -r '.[0].retry.state // empty')" = given-up ]; }
wait_for 5 "the hard refusal is given up" given_up
req0=$(num vbr_counter .vdp.requests.assoc) rule0=$(num vbr_counter .vdp.rule_answers)
assert_eq "$rule0" 1 "bridge answered the hard-refused request once"
t0=$(now_ms)
while [ $(($(now_ms) - t0)) -lt 3000 ]; do
	n=$(num vbr_counter .vdp.requests.assoc)
	[ "$n" = "$req0" ] || fail "bridge Associate requests after a hard refusal: $n, was $req0"
	sleep 0.2	# sampling a counter that must not move
done
assert_eq "$(num vbr_counter .vdp.rule_answers)" 1 "rule answers after 3 s"
assert_eq "$(st_j '.[0].retry.last_status_text' vsi show id $UHARD)" "other failure" "reported with the bridge's reason"
assert_eq "$(st_j '.[0].retry.attempts' vsi show id $UHARD)" 0 "retries of a hard refusal"
vdpctl vsi show id $UHARD | grep -q "retry given-up, 0 attempts, last end: rejected by bridge (status 0x" ||
	fail "vsi show text: $(vdpctl vsi show id $UHARD)"
assert_eq "$(num st_j .reconcile.given_up stats)" 1 "stats: given up"
pass "hard refusal not retried: bridge requests stayed at $req0 for 3 s"

# ---- retryable refusal: retried until the bridge takes it ------------------------------
add $USOFT 8 52:54:00:05:00:08 # refused first: exits 1
retried() { local a; a=$(vdpctl -j vsi show id $USOFT | jq -r '.[0].retry.attempts // empty'); [ -n "$a" ] && [ "$a" -ge 3 ]; }
wait_for 10 "3 retries of a reason-2 refusal" retried
pass "reason 2 without hard bit: $(vdpctl vsi show id $USOFT | grep retry)"
vbr fault set norules >/dev/null || fail "fault set norules"
soft_ok() { vbr_has_vsi $USOFT assoc; }
wait_for 10 "the refused VSI is associated once the bridge has resources" soft_ok
pass "reason-2 VSI associated $WAITED_MS ms after the rule was lifted"
healed_shown() { [ "$(vdpctl -j vsi show id $USOFT | jq -r '.[0].state, (.[0].retry == null)' | tr '\n' ' ')" = "assoc true " ]; }
wait_for 5 "vdpd shows it associated with no retry state" healed_shown

# ---- bridge De-Associate of registry and vsi.add VSIs -----------------------------------
vdpctl bind $VM1 dev macvtap0 mac 52:54:00:05:00:01 uplink eth0 >/dev/null || fail "bind VM1"
vdpctl attach $VM1 network A >/dev/null || fail "attach VM1"
vdpctl attach $VM2 network A >/dev/null || fail "attach VM2"
vdpctl bind $VM2 dev macvtap1 mac 52:54:00:05:00:02 uplink eth0 >/dev/null || fail "bind VM2"
add $UADD 5 52:54:00:05:00:05 || fail "vsi add"
all3() { vbr_has_vsi $VM1 assoc && vbr_has_vsi $VM2 assoc && vbr_has_vsi $UADD assoc; }
wait_for 10 "registry VSIs and the vsi.add VSI associated" all3
re0=$(num st_j .reconcile.reassociations stats)
ad0=$(num vbr_counter .vdp.admitted)
for u in $VM1 $VM2 $UADD; do vbr vsi deassoc $u >/dev/null || fail "vsi deassoc $u"; done
t0=$(now_ms)
readmitted() { [ "$(vbr_counter .vdp.admitted)" -ge $((ad0 + 3)) ] && all3; }
wait_for 10 "the bridge admits all three again" readmitted
dt=$(($(now_ms) - t0))
healed() { local r; r=$(vdpctl -j stats | jq -r '.reconcile.reassociations // empty'); [ -n "$r" ] && [ "$r" -ge $((re0 + 3)) ]; }
wait_for 5 "vdpd counts three re-associations" healed
assert_eq "$(num st_j .reconcile.reassociations stats)" $((re0 + 3)) "re-associations (each VSI healed once)"
assert_eq "$(num vbr_counter .vdp.admitted)" $((ad0 + 3)) "bridge admissions (one per VSI, not per source)"
pass "registry VSIs and the vsi.add VSI associated again $dt ms after the bridge's De-Associates"
for u in $VM1 $VM2 $UADD; do
	assert_eq "$(st_j '.[0].state' vsi show id $u)" assoc "vdpd state of $u"
done
grep -q "retry-scheduled: state none, de-associated by bridge" "$T_DIR/monitor.out" ||
	fail "monitor: no retry-scheduled event: $(head -5 "$T_DIR/monitor.out")"
grep -q "healed: state assoc" "$T_DIR/monitor.out" || fail "monitor: no healed event: $(cat "$T_DIR/monitor.out")"
pass "monitor: $(grep -c retry-scheduled "$T_DIR/monitor.out") retry-scheduled, $(grep -c healed "$T_DIR/monitor.out") healed events"
done_ok
