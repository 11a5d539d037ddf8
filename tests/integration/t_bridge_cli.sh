#!/bin/bash
# vdp-bridge's own interface: configuration check (errors name FILE:LINE),
# client exit codes (0 done, 1 refused/unreachable, 2 usage), the VSI JSON
# schema, max_vsis (reason 2), a deferring fault rule (resourceWaitDelay
# runs out), bridge restart recovered by vdpd's keep-alives, vsi flush,
# counters reset, and a clean stop (socket removed).
. "$(dirname "$0")/../lib/netns.sh"

require_root
require_cmd ip jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

VBR=$T_BUILD/vdp-bridge
SOCK=$T_DIR/vdpd.sock
BSOCK=$T_DIR/bridge.sock
U=8f0e4d2c-1b3a-4c5d-9e6f-0a1b2c3d4e

vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
br() { "$VBR" -s "$BSOCK" "$@"; }
brj() { local f=$1; shift; json_q "$f" br -j "$@"; }
brt() { [ "$(brj "$@")" = true ]; }	# a predicate: FILTER is true on the answer

# ---- configuration check ----------------------------------------------------
printf 'interfaces = [ "p0" ];\nvdp = {\n  types = ( { type_id = 5; vlan = 4095; } );\n};\n' >"$T_DIR/bad.conf"
out=$("$VBR" -t -f "$T_DIR/bad.conf" 2>&1) && fail "-t accepted VLAN 4095"
[[ $out == *"bad.conf:3: VLAN ID 4095 is out of range 1..4094"* ]] || fail "-t said: $out"
pass "config error names file and line: $out"
printf 'evb = { rte = 8; retries = 3; };\n' >"$T_DIR/bad.conf"
out=$("$VBR" -t -f "$T_DIR/bad.conf" 2>&1) && fail "-t accepted an unknown setting"
[[ $out == *'unknown setting "retries"'* ]] || fail "-t said: $out"
pass "unknown setting refused"
printf 'fault = { rx = { drop = 150; }; };\n' >"$T_DIR/bad.conf"
out=$("$VBR" -t -f "$T_DIR/bad.conf" 2>&1) && fail "-t accepted drop 150%"
[[ $out == *"rx.drop: 150 is not a percentage"* ]] || fail "-t said: $out"
pass "fault setting checked: $out"

# ---- client exit codes without a bridge --------------------------------------
br status >/dev/null 2>&1
assert_eq "$?" 1 "client exit code, no bridge"
br frobnicate >/dev/null 2>&1
assert_eq "$?" 2 "client exit code, unknown object"
br fault set drop 101 >/dev/null 2>&1
assert_eq "$?" 2 "client exit code, bad percentage"

# ---- topology ------------------------------------------------------------------
ns_add host
ns_add br
veth_add host eth0 br p0 02:00:00:00:00:01 02:00:00:00:00:02
# The bridge's own decisions are under test: vdpd's reconciler, which would
# ask again for the refused and flushed VSIs, waits 5 to 10 minutes here.
cat >"$T_DIR/vdpd.conf" <<CONF
global = { retry_initial_ms = 600000; retry_max_ms = 600000; };
uplinks = ( { name = "eth0"; evb = { rwd = 17; rka = 14; }; lldp = { tx_interval = 2; }; } );
CONF
cat >"$T_DIR/bridge.conf" <<CONF
interfaces = [ "p0" ];
evb = { rwd = 17; rka = 14; };
vdp = { max_vsis = 2; types = ( { name = "web"; type_id = 5; vlan = 10; } ); };
fault = { rules = ( { type_id = 199; defer = true; } ); };
CONF
"$VBR" -t -f "$T_DIR/bridge.conf" >/dev/null || fail "-t refuses the good config"
bg br bridge.log "$VBR" -F -d -f "$T_DIR/bridge.conf" -s "$BSOCK" --seed 11
BRPID=$BG_PID
bg host vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "$T_DIR/vdpd.pid" -S "$T_DIR/state.json" "${VDPD_INTENTS[@]}"
wait_for 5 "vdp-bridge answers status" br status
wait_for 5 "EVB converged at the bridge" brt '.ports_converged == 1' status
wait_for 5 "vdpd answers" vdpctl uplink show
diag_add "$VBR -s $BSOCK -j vsi show"
diag_add "$VBR -s $BSOCK -j counters show"

add() { vdpctl vsi add uplink eth0 mode assoc uuid "$U$1" mgrid 0 typeid "$2" typeidver 1 \
	filter mac "02:00:00:00:01:$1" vid 0 "${@:3}" >/dev/null 2>&1; }

add 01 5 || fail "assoc 01"
add 02 5 || fail "assoc 02"
pass "two VSIs associated"
add 03 5 && fail "a third VSI associated beyond max_vsis 2"
assert_eq "$(brj '.vdp.reasons.insufficient_resources' counters show)" 1 "reason 2 answers"

# The VSI JSON: every key present, filters as the bridge set them (VID 0 -> 10).
keys=$(brj '.[0] | keys_unsorted | join(",")' vsi show)
assert_eq "$keys" "port,vsiid_format,vsiid,state,mode,mgrid,type_id,type_version,filter_format,filters,age_ms,keepalives,last_keepalive_age_ms" "VSI keys"
assert_eq "$(brj '[.[].vsiid] | join(" ")' vsi show)" "${U}01 ${U}02" "VSIs sorted by VSIID"
assert_eq "$(brj '.[0].filters[0] | "\(.mac) \(.vid) \(.group)"' vsi show)" "02:00:00:00:01:01 10 null" "filter of VSI 01"
br vsi show port nosuch >/dev/null 2>&1
assert_eq "$?" 1 "client exit code, unknown port"
# vsi.show by pages as the client asks for them: limit 1, then after the VSI
# of the page before (the object as it came); two pages, then an empty one.
v1=$(brj '.[0] | tojson' call vsi.show '{"limit":1}')
v2=$(brj '.[0] | tojson' call vsi.show "{\"limit\":1,\"after\":$v1}")
assert_eq "$(brj length call vsi.show "{\"limit\":1,\"after\":$v2}")" 0 "vsi.show: no third page"
assert_eq "$(jq -r .vsiid <<<"$v1$v2" | sort | tr '\n' ' ')" "${U}01 ${U}02 " "vsi.show: two pages of one, by after"
br call vsi.show "{\"after\":{\"port\":\"nosuch\",\"vsiid\":\"${U}01\"}}" >/dev/null 2>&1
assert_eq "$?" 1 "vsi.show: after on an unknown port refused"
br vsi deassoc "${U}99" >/dev/null 2>&1
assert_eq "$?" 1 "client exit code, unknown VSI"

# Keep-alives every 10us*2^14 = 164 ms reach the bridge.
wait_for 5 "keep-alives counted for VSI 01" brt ".[] | select(.vsiid == \"${U}01\") | .keepalives >= 3" vsi show

# ---- restart: the bridge forgets, vdpd's next keep-alive re-creates ---------
calls=$(brj '.vdp.admit_calls' counters show)
br restart >/dev/null || fail "restart"
assert_eq "$(brj '.vdp.restarts' counters show)" 1 "restart counted"
wait_for 5 "both VSIs back after the restart" brt '[.[] | select(.mode == "assoc")] | length == 2' vsi show
[ "$(brj '.vdp.admit_calls' counters show)" -ge $((calls + 2)) ] || fail "restart: no new admit decisions"
pass "restart recovered through keep-alives with new admit decisions"

# ---- defer: no answer, resourceWaitDelay (10us*2^17 = 1.3 s) de-associates ---
br vsi flush >/dev/null || fail "flush"
wait_for 5 "vdpd sees the flush" json_none '.[] | select(.state == "assoc")' "$T_BUILD/vdpctl" -s "$SOCK" -j vsi show
add 04 199 nowait || fail "assoc request 04"
wait_for 5 "resource wait expired at the bridge" brt '.ports[0].bridge.resource_timeouts == 1' counters show
wait_for 5 "unsolicited De-Associate sent" brt '.vdp.unsolicited_deassoc >= 3' counters show
pass "defer rule: resourceWaitDelay ran out, VSI de-associated"

# ---- counters reset, clean stop ------------------------------------------------
br counters reset >/dev/null || fail "counters reset"
assert_eq "$(brj '.vdp.admit_calls + .ports[0].ecp.rx_ecpdu + .ports[0].lldp.new_peers' counters show)" 0 \
	"counters zeroed (VDP, ECP, LLDP)"
stop "$BRPID" 5
[ -e "$BSOCK" ] && fail "control socket left behind"
pass "stopped; socket removed"
done_ok
