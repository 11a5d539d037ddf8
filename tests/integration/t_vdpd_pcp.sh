#!/bin/bash
# The bridge's priority (802.1Qbg-2012 41.2.9, PS = "PCP significant"),
# vdpd vs vdp-bridge:
#  1. no priority asked for (PS 0), the type has PCP 3: the bridge sets it,
#     vdpd takes it (vsi show: pcp 3, pcp_assigned; VID 0 replaced by the
#     type VLAN: vid_assigned; monitor: vid-assigned), keep-alives carry it
#     and the bridge answers them as keep-alives (no new decision);
#  2. PCP 5 asked for (PS 1), the bridge answers PCP 3: vdpd refuses the
#     answer (counted in resp_mismatch, logged) and the VSI fails;
#  3. PCP 2 asked for, the type sets none: associated with PCP 2, nothing
#     assigned.
. "$(dirname "$0")/../lib/netns.sh"
. "$T_ROOT/tests/lib/vdpbridge.sh"
. "$T_ROOT/tests/lib/conform.sh"

require_root
require_cmd ip jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

SOCK=$T_DIR/vdpd.sock
vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
U1=55555555-0000-4000-8000-000000000001
U2=55555555-0000-4000-8000-000000000002
U3=55555555-0000-4000-8000-000000000003

# RWD 10: vdpd's response wait (1.5 x (2^10 + 7 x 2^8) x 10 us = 42 ms) runs
# out well before the bridge's toutKeepAlive for the VSI it thinks it
# associated in step 2 (1.5 x (2^14 + 7 x 2^8) x 10 us = 272 ms).
ns_add host
ns_add br
veth_add host eth0 br p0 02:00:00:00:05:01 02:00:00:00:05:02
cat >"$T_DIR/vdpd.conf" <<CONF
global = { resp_wait_max_ms = 1000; };
uplinks = ( { name = "eth0"; evb = { rte = 8; rka = 14; rwd = 10; }; lldp = { tx_interval = 2; }; } );
CONF
"$T_BUILD/vdpd" -t -f "$T_DIR/vdpd.conf" >/dev/null || fail "vdpd -t rejects the config"
vbr_start br 'interfaces = [ "p0" ];
evb = { rka = 14; rte = 8; rwd = 10; };
vdp = { types = (
	{ name = "prio"; type_id = 5; version = 4; vlan = 100; pcp = 3; },
	{ name = "plain"; type_id = 6; version = 1; vlan = 200; }
); };'
bg host vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "" -S "$T_DIR/state.json" "${VDPD_INTENTS[@]}"
wait_for 5 "vdpd answers on its socket" vdpctl uplink show
converged() { [ "$(vdpctl -j uplink show | jq -r '.[0].converged')" = true ]; }
wait_for 10 "EVB negotiated on eth0" converged
wait_for 5 "vdp-bridge EVB converged on p0" vbr_converged p0
diag_add "'$T_BUILD/vdpctl' -s '$SOCK' -j vsi show"
monitor_start

# ---- 1. priority set by the bridge ----------------------------------------------
vdpctl vsi add uplink eth0 mode assoc uuid $U1 mgrid 0 typeid 5 typeidver 4 \
	filter mac 52:54:00:00:05:01 vid 0 >"$T_DIR/a1.out" 2>&1 || fail "assoc U1: $(cat "$T_DIR/a1.out")"
jset f '.[0].filters[0] | "\(.vid) \(.ps) \(.pcp) \(.vid_assigned) \(.pcp_assigned)"' vdpctl -j vsi show id $U1
assert_eq "$f" "100 true 3 true true" "vdpd: VID, PS, PCP as the bridge set them, both marked assigned"
jset f '.filters[0] | "\(.vid) \(.ps) \(.pcp)"' vbr_vsi $U1
assert_eq "$f" "100 true 3" "bridge record: VID 100, PS 1, PCP 3"
vdpctl vsi show id $U1 >"$T_DIR/show1.txt" || fail "vsi show U1"
grep -q "mac 52:54:00:00:05:01 vid 100 (by bridge) pcp 3 (by bridge)" "$T_DIR/show1.txt" ||
	fail "vsi show text: $(cat "$T_DIR/show1.txt")"
pass "vsi show: $(grep filter "$T_DIR/show1.txt" | sed 's/^ *//')"
monitor_wait $U1 vid-assigned
assert_eq "$(json_get "$MON_EV" '.data.vsi.filters[0].pcp')" 3 "monitor: the event carries PCP 3"
jset calls '.vdp.admit_calls' vbr -j counters show
jset ka0 .keepalives vbr_vsi $U1
more_ka() { [ "$(vbr_vsi $U1 .keepalives)" -ge $((ka0 + 3)) ]; }
wait_for 5 "three keep-alives answered" more_ka
jset calls2 '.vdp.admit_calls' vbr -j counters show
assert_eq "$calls2" "$calls" "keep-alives carrying PS 1 PCP 3 are keep-alives at the bridge (no new decision)"
jset st '.[0].state' vdpctl -j vsi show id $U1
assert_eq "$st" assoc "vdpd: U1 still associated after keep-alives"

# ---- 2. another priority than the one asked for: refused ------------------------
jset mm0 '.uplinks[0].vdp.resp_mismatch' vdpctl -j stats
rc=0
vdpctl vsi add uplink eth0 mode assoc uuid $U2 mgrid 0 typeid 5 typeidver 4 \
	filter mac 52:54:00:00:05:02 vid 100 pcp 5 >"$T_DIR/a2.out" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "assoc U2 asking for PCP 5 answered with PCP 3 succeeded: $(cat "$T_DIR/a2.out")"
pass "assoc U2 with PCP 5 fails (exit $rc): $(head -1 "$T_DIR/a2.out")"
jset mm1 '.uplinks[0].vdp.resp_mismatch' vdpctl -j stats
[ "$mm1" -gt "$mm0" ] || fail "resp_mismatch did not grow ($mm0 -> $mm1)"
pass "resp_mismatch $mm0 -> $mm1"
grep -q "VSI $U2: response refused: the bridge answered with another priority" "$T_DIR/vdpd.log" ||
	fail "no log line for the refused answer"
# vdpd holds U2's desired state (vsi add), so its reconciler asks again after
# a few ms: while a retry is in flight end_reason reads "none"; the retry
# record keeps the last end either way.
jset f '.[0] | "\(.state) \(.retry.last_end)"' vdpctl -j vsi show id $U2
assert_eq "$f" "none no response from bridge" "vdpd: U2 not associated, ended by the response wait"
monitor_wait $U2 failed

# ---- 3. a priority asked for and left as asked -----------------------------------
vdpctl vsi add uplink eth0 mode assoc uuid $U3 mgrid 0 typeid 6 typeidver 1 \
	filter mac 52:54:00:00:05:03 vid 200 pcp 2 >"$T_DIR/a3.out" 2>&1 || fail "assoc U3: $(cat "$T_DIR/a3.out")"
jset f '.[0].filters[0] | "\(.vid) \(.ps) \(.pcp) \(.vid_assigned) \(.pcp_assigned)"' vdpctl -j vsi show id $U3
assert_eq "$f" "200 true 2 false false" "vdpd: PCP 2 as asked, nothing assigned"
jset f '.filters[0] | "\(.ps) \(.pcp)"' vbr_vsi $U3
assert_eq "$f" "true 2" "bridge record: PS 1, PCP 2"
done_ok
